import { Router } from 'express';
import type { AppServices } from '../app-services';
import { pingMongo } from '../store/mongo';
import { SERVICE_VERSION } from '../service-info';

/** Flipped to false first thing on SIGTERM, so load balancers stop sending traffic before connections close. */
export interface Readiness {
  accepting: boolean;
}

type CheckResult = { status: 'up' } | { status: 'down'; error: string };

async function check(probe: () => Promise<void>): Promise<CheckResult> {
  try {
    await probe();
    return { status: 'up' };
  } catch (error) {
    return { status: 'down', error: error instanceof Error ? error.message : String(error) };
  }
}

export function healthRoutes(services: AppServices, readiness: Readiness): Router {
  const router = Router();

  router.get('/health', (_req, res) => {
    res.json({ status: 'healthy', service: services.config.SERVICE_NAME, version: SERVICE_VERSION });
  });

  router.get('/ready', async (_req, res) => {
    const [mongodb, kafka] = await Promise.all([check(() => pingMongo(services.mongo)), check(() => services.kafka.ping())]);
    const checks = { mongodb, kafka };
    const failed = Object.entries(checks)
      .filter(([, result]) => result.status === 'down')
      .map(([name]) => name);
    if (!readiness.accepting) failed.unshift('shutdown');
    if (failed.length === 0) {
      res.json({ status: 'ready', checks });
    } else {
      res.status(503).json({ status: 'not_ready', failed, checks });
    }
  });

  router.get('/metrics', async (_req, res) => {
    res.type(services.metrics.registry.contentType).send(await services.metrics.registry.metrics());
  });

  return router;
}
