import pino, { type Logger } from 'pino';

/** Structured JSON logs; every line of a request carries its correlation ids through pino-http's child logger. */
export function createLogger(level: string, service: string): Logger {
  return pino({
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: ['req.headers.authorization', 'req.headers.cookie'], remove: true },
  });
}
