import { defaultAuthorization } from '../support/test-auth';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import type { RunningOrderService } from '../../src/order-service';
import { VALIDATE, createOrder, ok } from '../support/graphql-client';
import { startTestService } from '../support/test-service';

describe('orderStatusChanged over graphql-ws', () => {
  let service: RunningOrderService;
  let client: Client;

  beforeAll(async () => {
    service = await startTestService();
    client = createClient({
      url: `${service.url.replace('http', 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      lazy: false,
      connectionParams: async () => ({ authorization: await defaultAuthorization() }),
    });
  });
  afterAll(async () => {
    await client.dispose();
    await service.stop();
  });

  it('pushes the change to a subscriber of that order after validateOrder, and nothing for other orders', async () => {
    const watched = await createOrder(service);
    const other = await createOrder(service);
    const received: any[] = [];
    const first = new Promise<void>((resolve, reject) => {
      const unsubscribe = client.subscribe(
        { query: 'subscription($id: ID!) { orderStatusChanged(orderId: $id) { orderId from to at } }', variables: { id: watched.id } },
        {
          next: (value) => {
            received.push(value);
            unsubscribe();
            resolve();
          },
          error: reject,
          complete: () => undefined,
        },
      );
    });
    // The subscription is registered once the server acknowledged it; an event published before could be missed.
    await new Promise((resolve) => setTimeout(resolve, 300));
    await ok(service, VALIDATE, { id: other.id });
    const validated = await ok(service, VALIDATE, { id: watched.id });
    await Promise.race([first, new Promise((_, reject) => setTimeout(() => reject(new Error('no notification within 10 s')), 10_000))]);
    expect(received).toEqual([{ data: { orderStatusChanged: { orderId: watched.id, from: 'RECEIVED', to: 'VALIDATED', at: expect.any(String) } } }]);
    expect(validated.status).toBe('VALIDATED');
  });

  it('refuses a subscription over the alias limit, like any query', async () => {
    const aliases = Array.from({ length: 31 }, (_, i) => `a${i}: orderId`).join(' ');
    const outcome = await new Promise<unknown>((resolve) => {
      client.subscribe(
        { query: `subscription { orderStatusChanged(orderId: "ORD-000000000000") { ${aliases} } }` },
        { next: (value) => resolve(value), error: (error) => resolve(error), complete: () => resolve('completed') },
      );
    });
    expect(Array.isArray(outcome)).toBe(true);
    expect((outcome as Array<{ message: string }>)[0].message).toContain('Query validation error');
  });
});
