/**
 * One call of the HTTPS invoker: checks the target (ssrf.ts), sends the request with the guarded lookup,
 * bounds its time (connection to last byte) and the response's size, and follows at most
 * MAX_REDIRECTS redirects, each checked as the first call was. Never logs or returns request headers;
 * the caller decides what of the answer to log (the handler logs sizes, never bodies).
 */
import * as http from 'http';
import * as https from 'https';
import type { InvokerConfig } from '../../contracts/lambda-test-harness/config';
import type { InvokerEvent } from '../../contracts/lambda-test-harness/events';
import { checkUrl, EndpointRefusedError, guardedLookup, Resolver } from './ssrf';

export const MAX_REDIRECTS = 3;

/**
 * Connections are kept alive between calls of a warm invoker (a load test calls one host many times); a
 * new connection, and only that, resolves the host, and every resolution goes through the guarded lookup.
 */
const AGENTS = { 'http:': new http.Agent({ keepAlive: true, maxSockets: 64 }), 'https:': new https.Agent({ keepAlive: true, maxSockets: 64 }) };

/** What the invoker returns (the original protocol: status and body). */
export interface InvokerAnswer {
  readonly statusCode: number;
  readonly body: string;
  readonly bodyBytes: number;
  readonly redirects: number;
}

export class EndpointCallError extends Error {
  constructor(name: 'Timeout' | 'ResponseTooLarge' | 'TooManyRedirects' | 'ConnectionFailed', message: string) {
    super(message);
    this.name = name;
  }
}

export interface CallOptions {
  /** Extra CAs for in-process tests (a child process gets NODE_EXTRA_CA_CERTS instead). */
  readonly ca?: string;
  /** DNS for tests (a name that resolves to a metadata address). */
  readonly resolve?: Resolver;
}

export function targetUrl(event: InvokerEvent): URL {
  const o = event.options;
  const url = new URL(`${o.protocol ?? 'https:'}//placeholder`);
  url.hostname = o.host;
  if (o.port !== undefined) url.port = String(o.port);
  const target = new URL(o.path, url);
  return target;
}

function bodyOf(data: unknown): Buffer | undefined {
  if (data === undefined) return undefined;
  return Buffer.from(typeof data === 'string' ? data : JSON.stringify(data));
}

/** Calls the endpoint of `event` under `config`'s rules. */
export async function callEndpoint(event: InvokerEvent, config: InvokerConfig, options: CallOptions = {}): Promise<InvokerAnswer> {
  const deadline = Date.now() + config.timeoutMs;
  let url = targetUrl(event);
  let method = event.options.method;
  let body = method === 'GET' || method === 'HEAD' ? undefined : bodyOf(event.data);
  const lookup = guardedLookup(config.allowLoopbackForTests, options.resolve);
  for (let redirects = 0; ; redirects++) {
    try {
      checkUrl(url, config.allowedHosts, config.allowLoopbackForTests);
    } catch (error) {
      if (redirects > 0 && error instanceof EndpointRefusedError) throw new EndpointRefusedError('RedirectRefused', `redirect ${redirects} refused: ${error.message}`);
      throw error;
    }
    const answer = await requestOnce(url, method, event.options.headers ?? {}, body, deadline, config.maxResponseBytes, lookup, options.ca);
    const location = answer.location;
    if (answer.statusCode >= 300 && answer.statusCode < 400 && location !== undefined) {
      if (redirects >= MAX_REDIRECTS) throw new EndpointCallError('TooManyRedirects', `more than ${MAX_REDIRECTS} redirects`);
      url = new URL(location, url);
      if (answer.statusCode === 303 || ((answer.statusCode === 301 || answer.statusCode === 302) && method === 'POST')) {
        method = 'GET';
        body = undefined;
      }
      continue;
    }
    return { statusCode: answer.statusCode, body: answer.body.toString('utf8'), bodyBytes: answer.body.length, redirects };
  }
}

function requestOnce(
  url: URL,
  method: string,
  headers: Readonly<Record<string, string>>,
  body: Buffer | undefined,
  deadline: number,
  maxBytes: number,
  lookup: ReturnType<typeof guardedLookup>,
  ca: string | undefined,
): Promise<{ statusCode: number; body: Buffer; location?: string }> {
  return new Promise((resolve, reject) => {
    const transport = url.protocol === 'http:' ? http : https;
    const remaining = deadline - Date.now();
    if (remaining <= 0) return reject(new EndpointCallError('Timeout', 'the call ran out of time'));
    const request = transport.request(
      url,
      {
        method,
        lookup: lookup as any,
        headers: { ...headers, ...(body ? { 'content-type': headers['content-type'] ?? 'application/json', 'content-length': String(body.length) } : {}) },
        // A test's own CA needs its own connection (an agent's sockets are keyed by their TLS options).
        ...(ca ? { ca, agent: false } : { agent: AGENTS[url.protocol === 'http:' ? 'http:' : 'https:'] }),
      },
      (response) => {
        const declared = Number(response.headers['content-length']);
        if (Number.isFinite(declared) && declared > maxBytes) {
          request.destroy(new EndpointCallError('ResponseTooLarge', `the response declares ${declared} bytes, more than the ${maxBytes} allowed`));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBytes) {
            request.destroy(new EndpointCallError('ResponseTooLarge', `the response exceeded ${maxBytes} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        response.on('end', () => {
          clearTimeout(timer);
          const location = response.headers.location;
          resolve({ statusCode: response.statusCode ?? 0, body: Buffer.concat(chunks), ...(location ? { location } : {}) });
        });
        response.on('error', (error) => request.destroy(error));
      },
    );
    const timer = setTimeout(() => request.destroy(new EndpointCallError('Timeout', `no complete answer within the invoker's timeout`)), remaining);
    request.on('error', (error) => {
      clearTimeout(timer);
      if (error instanceof EndpointRefusedError || error instanceof EndpointCallError) reject(error);
      else reject(new EndpointCallError('ConnectionFailed', `${url.host}: ${(error as NodeJS.ErrnoException).code ?? error.message}`));
    });
    request.end(body);
  });
}
