import 'reflect-metadata';
import { ConfigError, loadConfig } from './config';
import { createLogger } from './observability/logger';
import { startOrderService } from './order-service';

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
  const service = await startOrderService(config, logger);

  const shutdown = (signal: string) => {
    logger.info({ signal }, 'signal received');
    service.stop().then(
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
