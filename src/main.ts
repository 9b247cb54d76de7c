import 'reflect-metadata';
import { ConfigError, loadConfig } from './config';
import { createLogger } from './observability/logger';
import { startTracing } from './observability/tracing';
import { SERVICE_VERSION } from './service-info';

async function main() {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`order-service: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config.LOG_LEVEL, config.SERVICE_NAME);
  // Before anything loads http, express, graphql, mongodb or kafkajs: instrumentation patches them as they are required.
  const tracing = startTracing({
    enabled: config.TRACING_ENABLED,
    serviceName: config.SERVICE_NAME,
    serviceVersion: SERVICE_VERSION,
    endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT,
    protocol: config.OTEL_EXPORTER_OTLP_PROTOCOL,
  });
  // Required, not imported, so that it loads after tracing started (imports would be hoisted above it).
  const { startOrderService } = require('./order-service') as typeof import('./order-service');
  const service = await startOrderService(config, logger);

  const shutdown = (signal: string) => {
    logger.info({ signal }, 'signal received');
    service
      .stop()
      .then(() => tracing.shutdown()) // exports the spans of the last requests
      .then(
        () => process.exit(0),
        (error) => {
          logger.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error) => {
  process.stderr.write(`order-service: failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
