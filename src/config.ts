import { isIP } from 'node:net';
import { z } from 'zod';
import { REDRIVE_LIMITS } from './models/dead-letter-redrive';

/**
 * The service's whole configuration, read once from the environment at start-up.
 * A bad value stops the process with a message naming the variable, instead of failing later at first use.
 */
const durationMs = z
  .string()
  .regex(/^\d+(ms|s|m|h|d)$/, 'expected a duration such as 500ms, 30s, 15m, 4h or 30d')
  .transform((value) => {
    const [, amount, unit] = /^(\d+)(ms|s|m|h|d)$/.exec(value)!;
    const factor = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[unit as 'ms' | 's' | 'm' | 'h' | 'd'];
    return Number(amount) * factor;
  });

const booleanFlag = z.enum(['true', 'false', '1', '0'], { message: 'expected true or false' }).transform((value) => value === 'true' || value === '1');

const envSchema = z.object({
  SERVICE_NAME: z.string().min(1).default('order-service'),
  SERVER_ADDR: z
    .string()
    .regex(/^([\w.-]*|\[[0-9a-fA-F:]+\]):\d{1,5}$/, 'expected [host]:port, e.g. :8001')
    .default(':8001'),
  MONGODB_URI: z.string().regex(/^mongodb(\+srv)?:\/\//, 'expected a mongodb:// or mongodb+srv:// URI'),
  MONGODB_DATABASE: z
    .string()
    .regex(/^[^/\\. "$]{1,63}$/, 'expected a MongoDB database name')
    .default('orders_db'),
  KAFKA_BROKERS: z
    .string()
    .transform((value) =>
      value
        .split(',')
        .map((broker) => broker.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().regex(/^[\w.-]+:\d{1,5}$/, 'expected host:port')).min(1, 'expected at least one host:port')),
  KAFKA_CLIENT_ID: z.string().min(1).optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().min(1).default('localhost:4317'),
  /** The standard OpenTelemetry variable; gRPC unless told otherwise (the brief's endpoint default is the gRPC port). */
  OTEL_EXPORTER_OTLP_PROTOCOL: z.enum(['grpc', 'http/protobuf', 'http/json']).default('grpc'),
  TRACING_ENABLED: booleanFlag.default('true'),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  MAX_RETRIES: z.coerce.number().int().min(1).max(100).default(5),
  RETRY_BASE_DELAY: durationMs.default('15m'),
  RETRY_MAX_DELAY: durationMs.default('4h'),
  /** Off: this instance stores events but leaves publishing to other instances (or a later start). */
  OUTBOX_RELAY_ENABLED: booleanFlag.default('true'),
  /** Off: this instance leaves folding changed orders into the order counts to the others (its totals stay exact). */
  ORDER_COUNTS_PROJECTOR_ENABLED: booleanFlag.default('true'),
  /** Entries a bulk redrive resolves per second when the caller names no rate, and the highest rate a caller may ask for. */
  DLQ_REDRIVE_DEFAULT_RATE: z.coerce.number().int().min(1).max(REDRIVE_LIMITS.rateCeiling).default(50),
  DLQ_REDRIVE_MAX_RATE: z.coerce.number().int().min(1).max(REDRIVE_LIMITS.rateCeiling).default(500),
  /** Off: this instance takes up no bulk redrive tasks (others run the ones it starts). */
  DLQ_REDRIVE_RUNNER_ENABLED: booleanFlag.default('true'),
  /**
   * How often the one sweeping replica scans for events no relay was told about (a crashed replica's, a relay-less
   * replica's). Each replica publishes what it stores itself at once, so this bounds only those leftovers' delay. A sweep
   * reads the partial index of pending outboxes; sweeps are also spaced by 4 × the last one's duration.
   */
  OUTBOX_POLL_INTERVAL: durationMs.default('10s'),
  /** `off`: every caller is a local experimenter with every scope in tenant `default` — refused when NODE_ENV=production. */
  AUTH_MODE: z.enum(['jwt', 'off']).default('jwt'),
  AUTH_JWKS_URL: z.string().url().optional(),
  AUTH_PUBLIC_KEY_FILE: z.string().min(1).optional(),
  AUTH_ISSUER: z.string().min(1).optional(),
  AUTH_AUDIENCE: z.string().min(1).optional(),
  AUTH_TENANT_CLAIM: z
    .string()
    .regex(/^[\w:./-]{1,64}$/, 'expected a claim name')
    .default('tenant_id'),
  /** Allowed difference between the issuer's clock and ours, for `exp` and `nbf`. */
  AUTH_CLOCK_SKEW: durationMs.default('30s'),
  /** The least time between two fetches of the JWKS (a token with an unknown `kid` fetches it again, at most this often). */
  AUTH_JWKS_COOLDOWN: durationMs.default('30s'),
  NODE_ENV: z.string().optional(),
  /**
   * A PEM EC P-256 private key the service signs the console's one-click "Dev sign-in" tokens with (POST
   * /console/dev-session); unset, that route does not exist. `npm start` in local mode sets it; refused with NODE_ENV=production.
   */
  CONSOLE_DEV_SIGNING_KEY_FILE: z.string().min(1).optional(),
  /** Browser origins allowed to call the API (comma list of exact origins); none by default. */
  CORS_ORIGINS: z
    .string()
    .transform((value) =>
      value
        .split(',')
        .map((origin) => origin.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().regex(/^https?:\/\/[^/\s]+$/, 'expected origins such as https://console.example.com')))
    .default(''),
  /**
   * Whose `X-Forwarded-For` names the client (its address counts for the per-address rate limit and the logs): empty
   * trusts nobody, a number trusts that many proxy hops, a list trusts those addresses, CIDR ranges or the names
   * loopback, linklocal, uniquelocal (express `trust proxy`). Only set it behind a proxy that overwrites the header.
   */
  TRUST_PROXY: z
    .string()
    .default('')
    .transform((value) =>
      value
        .split(',')
        .map((entry) => entry.trim())
        .filter(Boolean),
    )
    .superRefine((entries, context) => {
      if (entries.length === 1 && /^\d+$/.test(entries[0])) return;
      for (const entry of entries.filter((item) => !isTrustedProxyEntry(item))) {
        context.addIssue({ code: 'custom', message: `"${entry}": expected a hop count, or addresses, CIDR ranges, loopback, linklocal or uniquelocal` });
      }
    })
    .transform((entries): false | number | string[] => (entries.length === 0 ? false : /^\d+$/.test(entries[0]) ? Number(entries[0]) : entries)),
  /** Requests per subject, and per client address, within RATE_LIMIT_WINDOW on REST and GraphQL over HTTP (per replica). */
  RATE_LIMIT_PER_SUBJECT: z.coerce.number().int().min(1).default(600),
  RATE_LIMIT_PER_ADDRESS: z.coerce.number().int().min(1).default(1200),
  RATE_LIMIT_WINDOW: durationMs.default('1m'),
  /** Resolved dead letter queue entries older than this leave the queue's list and statistics (their order keeps them). */
  DLQ_RETENTION: durationMs.default('30d'),
  /** How often the one replica holding the `dlq-retention` lease looks for entries past the retention. */
  DLQ_RETENTION_SWEEP_INTERVAL: durationMs.pipe(z.number().min(100, 'must be at least 100ms')).default('1m'),
  /** Off: this instance leaves the retention's sweeps to the others. */
  DLQ_RETENTION_ENABLED: booleanFlag.default('true'),
  SHUTDOWN_GRACE_PERIOD: durationMs.default('10s'),
  /** Lets a load balancer see the service as not ready before connections start closing. */
  SHUTDOWN_DRAIN_DELAY: durationMs.default('0ms'),
});

export type Config = Omit<z.infer<typeof envSchema>, 'SERVER_ADDR'> & { host: string | undefined; port: number };

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings count as unset, so `FOO= npm start` behaves like no FOO at all.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.') || '(environment)'}: ${issue.message}`));
  }
  const { SERVER_ADDR, ...rest } = parsed.data;
  if (rest.RETRY_MAX_DELAY < rest.RETRY_BASE_DELAY) {
    throw new ConfigError(['RETRY_MAX_DELAY: must not be shorter than RETRY_BASE_DELAY']);
  }
  if (rest.DLQ_REDRIVE_DEFAULT_RATE > rest.DLQ_REDRIVE_MAX_RATE) {
    throw new ConfigError(['DLQ_REDRIVE_DEFAULT_RATE: must not be above DLQ_REDRIVE_MAX_RATE']);
  }
  if (rest.AUTH_MODE === 'off' && rest.NODE_ENV === 'production') {
    throw new ConfigError(['AUTH_MODE: off is for local experiments and is refused when NODE_ENV=production']);
  }
  if (rest.CONSOLE_DEV_SIGNING_KEY_FILE && rest.NODE_ENV === 'production') {
    throw new ConfigError(['CONSOLE_DEV_SIGNING_KEY_FILE: the console dev sign-in is for local runs and is refused when NODE_ENV=production']);
  }
  if (rest.CONSOLE_DEV_SIGNING_KEY_FILE && rest.AUTH_MODE !== 'jwt') {
    throw new ConfigError(['CONSOLE_DEV_SIGNING_KEY_FILE: needs AUTH_MODE=jwt (with AUTH_MODE=off there is no token to sign)']);
  }
  if (rest.AUTH_MODE === 'jwt') {
    const missing = [
      ...(rest.AUTH_JWKS_URL || rest.AUTH_PUBLIC_KEY_FILE ? [] : ['AUTH_JWKS_URL or AUTH_PUBLIC_KEY_FILE: one is required to verify tokens']),
      ...(rest.AUTH_JWKS_URL && rest.AUTH_PUBLIC_KEY_FILE ? ['AUTH_JWKS_URL, AUTH_PUBLIC_KEY_FILE: set only one'] : []),
      ...(rest.AUTH_ISSUER ? [] : ['AUTH_ISSUER: required (the `iss` tokens must carry)']),
      ...(rest.AUTH_AUDIENCE ? [] : ['AUTH_AUDIENCE: required (the `aud` tokens must carry)']),
    ];
    if (missing.length) throw new ConfigError(missing.map((problem) => `${problem} (or AUTH_MODE=off for local experiments)`));
  }
  const separator = SERVER_ADDR.lastIndexOf(':');
  const host = SERVER_ADDR.slice(0, separator).replace(/^\[|\]$/g, '') || undefined;
  const port = Number(SERVER_ADDR.slice(separator + 1));
  if (port > 65535) throw new ConfigError(['SERVER_ADDR: port must be at most 65535']);
  return { ...rest, host, port };
}

const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** An address, a CIDR range (prefix within the address's length) or one of express's names for address groups. */
function isTrustedProxyEntry(entry: string): boolean {
  if (PROXY_NAMES.has(entry)) return true;
  const [address, prefix, extra] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}
