import { Agent, request as httpRequest } from 'node:http';
import { benchAuthorization } from './auth';

/** Keep-alive connections, as a real client or gateway would hold them; enough sockets for every worker. */
const agent = new Agent({ keepAlive: true, maxSockets: 512 });

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export function request(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string; timeoutMs?: number } = {},
): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { authorization: benchAuthorization(), ...options.headers };
    if (options.body !== undefined) headers['content-length'] = Buffer.byteLength(options.body);
    const req = httpRequest(url, { method: options.method ?? 'GET', headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.setTimeout(options.timeoutMs ?? 30_000, () => req.destroy(new Error(`${options.method ?? 'GET'} ${url} timed out`)));
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

export class GraphQLRequestError extends Error {}

/** POSTs a GraphQL operation; resolves with `data`, rejects on an HTTP error or any GraphQL error. */
export async function graphql<T = any>(baseUrl: string, query: string, variables: Record<string, unknown> = {}, timeoutMs?: number): Promise<T> {
  const response = await request(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
    timeoutMs,
  });
  let parsed: { data?: T; errors?: Array<{ message: string; extensions?: { code?: string } }> };
  try {
    parsed = JSON.parse(response.body);
  } catch {
    throw new GraphQLRequestError(`HTTP ${response.status}: ${response.body.slice(0, 200)}`);
  }
  if (parsed.errors?.length) {
    const [first] = parsed.errors;
    throw new GraphQLRequestError(`${first.extensions?.code ?? 'ERROR'}: ${first.message}`);
  }
  if (response.status !== 200 || parsed.data === undefined) throw new GraphQLRequestError(`HTTP ${response.status}: ${response.body.slice(0, 200)}`);
  return parsed.data;
}

export async function json<T = any>(
  url: string,
  options: Parameters<typeof request>[1] = {},
): Promise<{ status: number; body: T; headers: HttpResponse['headers'] }> {
  const response = await request(url, options);
  return { status: response.status, headers: response.headers, body: (response.body ? JSON.parse(response.body) : null) as T };
}

export function closeHttp(): void {
  agent.destroy();
}
