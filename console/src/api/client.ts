import { createClient, type Client } from 'graphql-ws';

/** A GraphQL error as the API reports it: the message and its code (UNAUTHENTICATED, CONFLICT, BAD_USER_INPUT…). */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
    readonly status: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

interface GraphQLResponse<T> {
  data?: T | null;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

/** Queries and mutations over HTTP with the supervisor's token; the first error is thrown as an ApiError. */
export async function graphqlRequest<T>(token: string, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const response = await fetch('/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  let body: GraphQLResponse<T>;
  try {
    body = (await response.json()) as GraphQLResponse<T>;
  } catch {
    throw new ApiError(`The service answered ${response.status} without a GraphQL body`, undefined, response.status);
  }
  const first = body.errors?.[0];
  if (first) throw new ApiError(first.message, first.extensions?.code ?? (response.status === 401 ? 'UNAUTHENTICATED' : undefined), response.status);
  if (!body.data) throw new ApiError('The service answered without data', undefined, response.status);
  return body.data;
}

export type ConnectionState = 'connecting' | 'connected' | 'disconnected';

export interface LiveConnection {
  client: Client;
  dispose(): void;
}

/** Close code of the service for a missing, invalid or expired token (src/server/graphql-server.ts). */
export const UNAUTHORIZED_CLOSE = 4401;

/**
 * The one graphql-ws connection of the console: retried for ever (a short backoff, at most 3 s apart) so a restart of
 * the service or a network drop heals by itself; `onState` drives the "Disconnected — reconnecting…" banner, and a
 * reconnection lets the views fetch what they missed. A 4401 (token refused or expired) is final: sign in again.
 */
export function connectLive(token: string, onState: (state: ConnectionState, reconnected: boolean) => void, onUnauthorized: () => void): LiveConnection {
  const url = `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/graphql`;
  let everConnected = false;
  let disposed = false;
  const client = createClient({
    url,
    lazy: false,
    retryAttempts: Infinity,
    shouldRetry: () => true,
    retryWait: async (retries) => new Promise((resolve) => setTimeout(resolve, Math.min(3_000, 250 * 2 ** retries))),
    // A ping every 5 s and a pong awaited 3 s: a silently dead connection is noticed within seconds.
    keepAlive: 5_000,
    connectionParams: () => ({ authorization: `Bearer ${token}` }),
    on: {
      connecting: () => {
        if (!everConnected) onState('connecting', false);
      },
      connected: () => {
        onState('connected', everConnected);
        everConnected = true;
      },
      closed: (event) => {
        if (disposed) return;
        if ((event as CloseEvent | undefined)?.code === UNAUTHORIZED_CLOSE) onUnauthorized();
        else onState('disconnected', false);
      },
    },
  });
  return {
    client,
    dispose: () => {
      disposed = true;
      void client.dispose();
    },
  };
}

/** Subscribes with the live connection; returns the unsubscribe function. */
export function subscribe<T>(
  connection: LiveConnection,
  query: string,
  variables: Record<string, unknown>,
  onData: (data: T) => void,
  onError?: (error: unknown) => void,
) {
  return connection.client.subscribe<T>(
    { query, variables },
    {
      next: (result) => {
        if (result.data) onData(result.data as T);
        else if (result.errors?.length)
          onError?.(new ApiError(result.errors[0].message, (result.errors[0].extensions as { code?: string } | undefined)?.code, 200));
      },
      error: (error) => onError?.(error),
      complete: () => undefined,
    },
  );
}
