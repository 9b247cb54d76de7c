import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import express, { Router, type Request, type Response } from 'express';
import helmet from 'helmet';
import type { AppServices } from '../app-services';
import { devSessionRoute } from './console-dev-session';

/**
 * The supervisors' console (a Vite-built single-page app) at /console: its assets as static files, and its index.html
 * for /console and every path below it that is not a file (the app routes in the browser).
 */
export const CONSOLE_PATH = '/console';

/**
 * Where `npm run build` puts the console: dist/console beside dist/server when running the build; from the TypeScript
 * sources (the tests run src/ directly) the same dist/console of the project.
 */
export function consoleAssetsDir(): string | null {
  const candidates = [join(__dirname, '..', 'console'), join(__dirname, '..', '..', 'dist', 'console')];
  return candidates.find((dir) => existsSync(join(dir, 'index.html'))) ?? null;
}

/** A Host header this service can name in its own CSP (host, optional port), nothing else. */
const SAFE_HOST = /^[\w.-]+(:\d{1,5})?$|^\[[0-9a-fA-F:]+\](:\d{1,5})?$/;

/**
 * default-src 'self', no inline script at all; styles from the app's own file plus the `<style>` elements Mantine makes
 * for its CSS variables, which carry this response's nonce (the app reads it from a meta tag: getStyleNonce).
 * WebSockets go to the same host (graphql-ws at /graphql).
 */
function consoleCsp() {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", (_req, res) => `'nonce-${(res as Response).locals.cspNonce}'`],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        connectSrc: [
          "'self'",
          (req) => {
            const host = (req as Request).headers.host ?? '';
            return SAFE_HOST.test(host) ? `ws://${host} wss://${host}` : '';
          },
        ],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
  });
}

const escapeAttribute = (value: string) => value.replace(/[&"<>]/g, (char) => `&#${char.charCodeAt(0)};`);

export function consoleRoutes(services: AppServices): Router {
  const router = Router();
  const dir = consoleAssetsDir();
  router.use(CONSOLE_PATH, (_req, res, next) => {
    res.locals.cspNonce = randomBytes(16).toString('base64');
    next();
  });
  router.use(CONSOLE_PATH, consoleCsp());
  const devSession = devSessionRoute(services.config);
  if (devSession) router.post(`${CONSOLE_PATH}/dev-session`, devSession);

  if (!dir) {
    router.use(CONSOLE_PATH, (_req, res) => {
      res.status(404).type('text/plain').send('The console is not built: run `npm run build`.');
    });
    return router;
  }
  const template = readFileSync(join(dir, 'index.html'), 'utf8');
  const page = (_req: Request, res: Response) => {
    const meta =
      `<meta name="csp-nonce" content="${escapeAttribute(res.locals.cspNonce)}">` + `<meta name="wms-dev-sign-in" content="${devSession ? 'on' : 'off'}">`;
    res
      .status(200)
      .type('html')
      .setHeader('Cache-Control', 'no-store')
      .send(template.replace('<head>', `<head>${meta}`));
  };
  router.get([CONSOLE_PATH, `${CONSOLE_PATH}/index.html`], page);
  // Hashed asset names: cached for long; index.html never (it names this build's assets and carries the nonce).
  router.use(`${CONSOLE_PATH}/assets`, express.static(join(dir, 'assets'), { immutable: true, maxAge: '365d', index: false, fallthrough: false }));
  router.use(CONSOLE_PATH, express.static(dir, { index: false }));
  router.get(`${CONSOLE_PATH}/*path`, page);
  return router;
}
