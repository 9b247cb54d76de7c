import { TEST_AUTH_ENV, defaultAuthorization } from '../support/test-auth';
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { TEST_KAFKA_BROKERS, TEST_MONGODB_URI } from '../support/test-infra';
import { uniqueName } from '../support/test-service';

const MAIN = join(__dirname, '..', '..', 'dist', 'main.js');

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function startProcess(env: Record<string, string>): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', TRACING_ENABLED: 'false', ...TEST_AUTH_ENV, ...env },
  });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function waitForHealth(url: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    try {
      if ((await fetch(`${url}/health`)).ok) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('service did not become healthy');
}

describe('the service process', () => {
  it('refuses to start on a bad configuration value and names the variable', async () => {
    const { exited, output } = startProcess({ MONGODB_URI: TEST_MONGODB_URI, KAFKA_BROKERS: TEST_KAFKA_BROKERS, MAX_RETRIES: 'lots' });
    expect(await exited).toBe(2);
    expect(output()).toContain('MAX_RETRIES');
  });

  it('on SIGTERM lets the request in flight finish, then exits 0', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const proc = startProcess({
      MONGODB_URI: TEST_MONGODB_URI,
      MONGODB_DATABASE: uniqueName('lifecycle'),
      KAFKA_BROKERS: TEST_KAFKA_BROKERS,
      SERVER_ADDR: `127.0.0.1:${port}`,
    });
    await waitForHealth(url);

    // Send the headers and half of the body: the request is in flight when SIGTERM arrives.
    const body = JSON.stringify({ query: '{ orderServiceInfo { name } }' });
    const authorization = await defaultAuthorization();
    const response = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(
        `${url}/graphql`,
        { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization } },
        (res) => {
          let text = '';
          res.on('data', (chunk) => (text += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on('error', reject);
      req.write(body.slice(0, 10));
      setTimeout(() => {
        proc.child.kill('SIGTERM');
        setTimeout(() => req.end(body.slice(10)), 500);
      }, 200);
    });

    const finished = await response;
    expect(finished.status).toBe(200);
    expect(JSON.parse(finished.text)).toEqual({ data: { orderServiceInfo: { name: 'order-service' } } });
    expect(await proc.exited).toBe(0);
    expect(proc.output()).not.toMatch(/"level":"error"/);
  });
});
