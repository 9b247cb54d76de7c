import { ConfigError, loadConfig } from '../../src/config';

const auth = { AUTH_PUBLIC_KEY_FILE: '/etc/wms/token-key.pem', AUTH_ISSUER: 'https://auth.example.com', AUTH_AUDIENCE: 'wms-order-service' };
const required = { MONGODB_URI: 'mongodb://127.0.0.1:27017', KAFKA_BROKERS: '127.0.0.1:9092', ...auth };

describe('loadConfig', () => {
  it("applies the brief's defaults", () => {
    const config = loadConfig(required);
    expect(config).toMatchObject({
      SERVICE_NAME: 'order-service',
      port: 8001,
      host: undefined,
      MONGODB_DATABASE: 'orders_db',
      KAFKA_BROKERS: ['127.0.0.1:9092'],
      TRACING_ENABLED: true,
      LOG_LEVEL: 'info',
      MAX_RETRIES: 5,
      RETRY_BASE_DELAY: 15 * 60_000,
      RETRY_MAX_DELAY: 4 * 3_600_000,
    });
  });

  it('reads durations in days too: DLQ_RETENTION defaults to 30d, its sweep to 1m', () => {
    expect(loadConfig(required)).toMatchObject({ DLQ_RETENTION: 30 * 86_400_000, DLQ_RETENTION_SWEEP_INTERVAL: 60_000, DLQ_RETENTION_ENABLED: true });
    expect(loadConfig({ ...required, DLQ_RETENTION: '7d', DLQ_RETENTION_SWEEP_INTERVAL: '250ms' })).toMatchObject({
      DLQ_RETENTION: 7 * 86_400_000,
      DLQ_RETENTION_SWEEP_INTERVAL: 250,
    });
    expect(loadConfig({ ...required, RETRY_MAX_DELAY: '1d' }).RETRY_MAX_DELAY).toBe(86_400_000);
  });

  it('reads TRUST_PROXY as nobody, a hop count or a list of addresses, and names a bad entry', () => {
    expect(loadConfig(required).TRUST_PROXY).toBe(false);
    expect(loadConfig({ ...required, TRUST_PROXY: '2' }).TRUST_PROXY).toBe(2);
    expect(loadConfig({ ...required, TRUST_PROXY: 'loopback, 10.0.0.0/8,fd00::/8' }).TRUST_PROXY).toEqual(['loopback', '10.0.0.0/8', 'fd00::/8']);
    for (const bad of ['10.0.0.0/33', 'proxy.example.com', '1,2', '10.0.0.1/8/1']) {
      expect(() => loadConfig({ ...required, TRUST_PROXY: bad })).toThrow(/TRUST_PROXY/);
    }
  });

  it('reads the bulk redrive rates: 50 and 500 by default; the maximum may be lowered, not raised, and the default not above it', () => {
    expect(loadConfig(required)).toMatchObject({ DLQ_REDRIVE_DEFAULT_RATE: 50, DLQ_REDRIVE_MAX_RATE: 500, DLQ_REDRIVE_RUNNER_ENABLED: true });
    expect(loadConfig({ ...required, DLQ_REDRIVE_DEFAULT_RATE: '5', DLQ_REDRIVE_MAX_RATE: '10' })).toMatchObject({
      DLQ_REDRIVE_DEFAULT_RATE: 5,
      DLQ_REDRIVE_MAX_RATE: 10,
    });
    expect(() => loadConfig({ ...required, DLQ_REDRIVE_MAX_RATE: '501' })).toThrow(/DLQ_REDRIVE_MAX_RATE/);
    expect(() => loadConfig({ ...required, DLQ_REDRIVE_MAX_RATE: '0' })).toThrow(/DLQ_REDRIVE_MAX_RATE/);
    expect(() => loadConfig({ ...required, DLQ_REDRIVE_DEFAULT_RATE: '60', DLQ_REDRIVE_MAX_RATE: '50' })).toThrow(/DLQ_REDRIVE_DEFAULT_RATE/);
  });

  it('needs no key with AUTH_MODE=off (outside production), and reads CORS_ORIGINS as a list', () => {
    const config = loadConfig({
      MONGODB_URI: 'mongodb://x',
      KAFKA_BROKERS: 'a:1',
      AUTH_MODE: 'off',
      CORS_ORIGINS: 'https://a.example.com,http://localhost:3000',
    });
    expect(config).toMatchObject({ AUTH_MODE: 'off', CORS_ORIGINS: ['https://a.example.com', 'http://localhost:3000'] });
    expect(loadConfig(required)).toMatchObject({ AUTH_MODE: 'jwt', AUTH_TENANT_CLAIM: 'tenant_id', AUTH_CLOCK_SKEW: 30_000, CORS_ORIGINS: [] });
  });

  it('takes a console dev signing key outside production only, and only with token auth', () => {
    expect(loadConfig(required).CONSOLE_DEV_SIGNING_KEY_FILE).toBeUndefined();
    expect(loadConfig({ ...required, CONSOLE_DEV_SIGNING_KEY_FILE: '/run/local/private.pem' }).CONSOLE_DEV_SIGNING_KEY_FILE).toBe('/run/local/private.pem');
    expect(() => loadConfig({ ...required, CONSOLE_DEV_SIGNING_KEY_FILE: '/k.pem', NODE_ENV: 'production' })).toThrow(
      /CONSOLE_DEV_SIGNING_KEY_FILE: .*production/,
    );
    expect(() => loadConfig({ MONGODB_URI: 'mongodb://x', KAFKA_BROKERS: 'a:1', AUTH_MODE: 'off', CONSOLE_DEV_SIGNING_KEY_FILE: '/k.pem' })).toThrow(
      /CONSOLE_DEV_SIGNING_KEY_FILE: needs AUTH_MODE=jwt/,
    );
  });

  it('reads KAFKA_BROKERS as a comma list and SERVER_ADDR as host:port', () => {
    const config = loadConfig({ ...required, KAFKA_BROKERS: 'a:9092, b:9093', SERVER_ADDR: '0.0.0.0:9000' });
    expect(config.KAFKA_BROKERS).toEqual(['a:9092', 'b:9093']);
    expect(config).toMatchObject({ host: '0.0.0.0', port: 9000 });
  });

  it.each([
    ['MONGODB_URI', { KAFKA_BROKERS: '127.0.0.1:9092' }],
    ['KAFKA_BROKERS', { MONGODB_URI: 'mongodb://x' }],
    ['KAFKA_BROKERS', { ...required, KAFKA_BROKERS: 'no-port' }],
    ['SERVER_ADDR', { ...required, SERVER_ADDR: '8001' }],
    ['SERVER_ADDR', { ...required, SERVER_ADDR: ':70000' }],
    ['MAX_RETRIES', { ...required, MAX_RETRIES: '0' }],
    ['RETRY_BASE_DELAY', { ...required, RETRY_BASE_DELAY: 'soon' }],
    ['RETRY_MAX_DELAY', { ...required, RETRY_BASE_DELAY: '2h', RETRY_MAX_DELAY: '1h' }],
    ['DLQ_RETENTION', { ...required, DLQ_RETENTION: '30 days' }],
    ['DLQ_RETENTION', { ...required, DLQ_RETENTION: '1w' }],
    ['DLQ_RETENTION_SWEEP_INTERVAL', { ...required, DLQ_RETENTION_SWEEP_INTERVAL: '10ms' }],
    ['TRACING_ENABLED', { ...required, TRACING_ENABLED: 'yes please' }],
    ['LOG_LEVEL', { ...required, LOG_LEVEL: 'loud' }],
    ['AUTH_JWKS_URL or AUTH_PUBLIC_KEY_FILE', { ...required, AUTH_PUBLIC_KEY_FILE: '' }],
    ['AUTH_JWKS_URL, AUTH_PUBLIC_KEY_FILE: set only one', { ...required, AUTH_JWKS_URL: 'https://auth.example.com/jwks.json' }],
    ['AUTH_ISSUER', { ...required, AUTH_ISSUER: '' }],
    ['AUTH_AUDIENCE', { ...required, AUTH_AUDIENCE: '' }],
    ['AUTH_MODE', { ...required, AUTH_MODE: 'off', NODE_ENV: 'production' }],
    ['AUTH_MODE', { ...required, AUTH_MODE: 'basic' }],
    ['CORS_ORIGINS', { ...required, CORS_ORIGINS: 'https://console.example.com, *' }],
  ])('refuses a bad %s and names it', (variable, env) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(variable);
  });
});
