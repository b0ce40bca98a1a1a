import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as https from 'https';
import type { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';

/**
 * A trusted HTTPS endpoint on 127.0.0.1 for tests of code that calls HTTPS URLs (no AWS emulator covers
 * "any HTTPS endpoint"). At start it makes a throwaway certificate authority and a server certificate for
 * 127.0.0.1 and localhost with the openssl CLI (Debian's `openssl`, installed by .ci/run), so code under
 * test verifies TLS as it would in production, with nothing switched off:
 * - a child process (e.g. a handler run by local/local-lambda.ts) trusts it through `env()`
 *   (NODE_EXTRA_CA_CERTS, read by Node at start-up: https, fetch and the AWS SDK all honour it);
 * - in-process code gets `ca` (`new https.Agent({ ca })`, `https.request(url, { ca })`).
 *
 *   const endpoint = await startLocalHttps();
 *   endpoint.route('/health', () => ({ status: 200, body: 'ok' }));   // endpoint.url('/health')
 *
 * Routes: a handler per path (exact, or a prefix when it ends with `*`), or `proxy(prefix, 'http://127.0.0.1:port')`
 * to put TLS in front of a local http server. Unrouted paths get 404 naming the routes. Every request is
 * recorded (`requests`). A handler that does not answer within `handlerTimeoutMs` gets a 504, so a test
 * never hangs on it; `stop()` closes every connection.
 */

/** What a route handler returns; `body` may be a string, a Buffer or a value sent as JSON. */
export interface LocalHttpsResponse {
  readonly status?: number;
  readonly headers?: Record<string, string>;
  readonly body?: string | Buffer | object;
}

/** A request as a route handler (and `requests`) sees it. */
export interface LocalHttpsRequest {
  readonly method: string;
  /** Path and query, as sent. */
  readonly url: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
  /** The body as text. */
  text(): string;
  /** The body parsed as JSON (throws on invalid JSON). */
  json(): any;
}

export type LocalHttpsHandler = (request: LocalHttpsRequest) => LocalHttpsResponse | Promise<LocalHttpsResponse>;

export interface LocalHttpsOptions {
  /** Routes to start with (path → handler). @default none */
  readonly routes?: Record<string, LocalHttpsHandler>;
  /** How long a handler (or a proxied server) may take before the client gets 504. @default 10_000 */
  readonly handlerTimeoutMs?: number;
}

export interface LocalHttps {
  /** https://127.0.0.1:<port> */
  readonly origin: string;
  readonly port: number;
  /** The certificate authority (PEM) that signed the server certificate: `ca` for in-process clients. */
  readonly ca: string;
  /** Path of `ca` on disk (what NODE_EXTRA_CA_CERTS names); removed by `stop()`. */
  readonly caFile: string;
  /** `origin` + `path`. */
  url(path?: string): string;
  /** `{ NODE_EXTRA_CA_CERTS: caFile }`, for processes that must trust this endpoint. */
  env(): Record<string, string>;
  /** An https.Agent that trusts this endpoint, for in-process clients (SDK `NodeHttpHandler({ httpsAgent })`). */
  agent(): https.Agent;
  /** Answers requests to `path` (exact; a prefix when it ends with `*`) with `handler`. Replaces an existing route. */
  route(path: string, handler: LocalHttpsHandler): void;
  /** Forwards requests under `prefix` (path unchanged) to a local http server, e.g. `http://127.0.0.1:8080`. */
  proxy(prefix: string, target: string): void;
  /** Every request received so far, in order. */
  readonly requests: LocalHttpsRequest[];
  /** Closes the server and every open connection, and removes the certificate files. */
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';

/** A CA and a server certificate for 127.0.0.1 and localhost, signed by it (valid for a day), in `dir`. */
function makeCertificates(dir: string): { ca: string; caFile: string; key: string; cert: string } {
  const file = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => {
    try {
      execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], timeout: 15_000 });
    } catch (error: any) {
      const why = error.code === 'ENOENT' ? 'the openssl CLI is not installed (apt-get install openssl; .ci/run installs it)' : String(error.stderr ?? error.message);
      throw new Error(`local HTTPS: cannot make a certificate: ${why}`);
    }
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=cdk-compute-patterns local test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  openssl('req', '-x509', ...ec, '-keyout', 'server.key', '-out', 'server.pem', '-days', '1', '-subj', '/CN=localhost',
    '-CA', 'ca.pem', '-CAkey', 'ca.key',
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-addext', 'basicConstraints=critical,CA:FALSE',
    '-addext', 'extendedKeyUsage=serverAuth');
  fs.rmSync(file('ca.key'));
  return { ca: fs.readFileSync(file('ca.pem'), 'utf8'), caFile: file('ca.pem'), key: fs.readFileSync(file('server.key'), 'utf8'), cert: fs.readFileSync(file('server.pem'), 'utf8') };
}

function toRequest(req: http.IncomingMessage, body: Buffer): LocalHttpsRequest {
  const url = new URL(req.url ?? '/', `https://${HOST}`);
  return {
    method: req.method ?? 'GET',
    url: req.url ?? '/',
    path: url.pathname,
    query: url.searchParams,
    headers: req.headers,
    body,
    text: () => body.toString('utf8'),
    json: () => JSON.parse(body.toString('utf8')),
  };
}

function sendResponse(res: http.ServerResponse, response: LocalHttpsResponse): void {
  const headers: Record<string, string> = { ...response.headers };
  let body: Buffer;
  if (response.body === undefined) body = Buffer.alloc(0);
  else if (Buffer.isBuffer(response.body)) body = response.body;
  else if (typeof response.body === 'string') body = Buffer.from(response.body);
  else {
    body = Buffer.from(JSON.stringify(response.body));
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
  }
  res.writeHead(response.status ?? 200, { ...headers, 'content-length': String(body.length) });
  res.end(body);
}

export async function startLocalHttps(options: LocalHttpsOptions = {}): Promise<LocalHttps> {
  const handlerTimeoutMs = options.handlerTimeoutMs ?? 10_000;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-https-'));
  let certificates: ReturnType<typeof makeCertificates>;
  try {
    certificates = makeCertificates(dir);
  } catch (error) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const routes = new Map<string, LocalHttpsHandler>(Object.entries(options.routes ?? {}));
  const requests: LocalHttpsRequest[] = [];
  const agents: https.Agent[] = [];

  const routeFor = (pathname: string): LocalHttpsHandler | undefined => {
    const exact = routes.get(pathname);
    if (exact) return exact;
    // The longest matching prefix wins, so '/api/*' and '/api/admin/*' can coexist.
    const prefixes = [...routes.keys()].filter((r) => r.endsWith('*') && pathname.startsWith(r.slice(0, -1)));
    prefixes.sort((a, b) => b.length - a.length);
    return prefixes.length > 0 ? routes.get(prefixes[0]) : undefined;
  };

  const server = https.createServer({ key: certificates.key, cert: certificates.cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = toRequest(req, Buffer.concat(chunks));
      requests.push(request);
      const handler = routeFor(request.path);
      if (!handler) {
        sendResponse(res, { status: 404, body: { message: `local HTTPS: no route for ${request.method} ${request.path} (routes: ${[...routes.keys()].join(', ') || 'none'})` } });
        return;
      }
      const timer = setTimeout(() => {
        if (!res.headersSent) sendResponse(res, { status: 504, body: { message: `local HTTPS: the handler for ${request.path} did not answer within ${handlerTimeoutMs} ms` } });
      }, handlerTimeoutMs);
      Promise.resolve()
        .then(() => handler(request))
        .then(
          (response) => !res.headersSent && sendResponse(res, response),
          (error) => !res.headersSent && sendResponse(res, { status: 500, body: { message: `local HTTPS: the handler for ${request.path} threw: ${error?.message ?? error}` } }),
        )
        .finally(() => clearTimeout(timer));
    });
  });
  // Bounded, so a stuck client cannot hold the server open.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, HOST, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const origin = `https://${HOST}:${port}`;

  const proxyTo = (target: string): LocalHttpsHandler => {
    const upstream = new URL(target);
    if (upstream.protocol !== 'http:' || !['127.0.0.1', 'localhost', '[::1]'].includes(upstream.hostname)) {
      throw new Error(`local HTTPS: proxy target must be a local http server (http://127.0.0.1:<port>), got ${target}`);
    }
    return (request) =>
      new Promise<LocalHttpsResponse>((resolve, reject) => {
        const forwarded = http.request(
          { host: upstream.hostname, port: upstream.port, method: request.method, path: request.url, headers: { ...request.headers, host: upstream.host }, timeout: handlerTimeoutMs },
          (response) => {
            const chunks: Buffer[] = [];
            response.on('data', (chunk: Buffer) => chunks.push(chunk));
            response.on('end', () => {
              const headers: Record<string, string> = {};
              for (const [name, value] of Object.entries(response.headers)) {
                if (value !== undefined && !['content-length', 'transfer-encoding', 'connection'].includes(name)) headers[name] = Array.isArray(value) ? value.join(', ') : value;
              }
              resolve({ status: response.statusCode ?? 502, headers, body: Buffer.concat(chunks) });
            });
            response.on('error', reject);
          },
        );
        forwarded.on('timeout', () => forwarded.destroy(new Error(`no answer from ${target} within ${handlerTimeoutMs} ms`)));
        forwarded.on('error', (error) => resolve({ status: 502, body: { message: `local HTTPS: proxy to ${target} failed: ${error.message}` } }));
        forwarded.end(request.body);
      });
  };

  let stopped = false;
  return {
    origin,
    port,
    ca: certificates.ca,
    caFile: certificates.caFile,
    url: (p = '/') => `${origin}${p.startsWith('/') ? p : `/${p}`}`,
    env: () => ({ NODE_EXTRA_CA_CERTS: certificates.caFile }),
    agent: () => {
      const agent = new https.Agent({ ca: certificates.ca, keepAlive: false });
      agents.push(agent);
      return agent;
    },
    route: (p, handler) => void routes.set(p, handler),
    proxy: (prefix, target) => void routes.set(prefix.endsWith('*') ? prefix : `${prefix.replace(/\/$/, '')}/*`, proxyTo(target)),
    requests,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      for (const agent of agents) agent.destroy();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Jest helper: a trusted HTTPS endpoint for the file's tests, stopped after them.
 * `const endpoint = useLocalHttps(); ... endpoint().route('/x', () => ({ body: 'ok' }))`.
 */
export function useLocalHttps(options?: LocalHttpsOptions): () => LocalHttps {
  let endpoint: LocalHttps | undefined;
  beforeAll(async () => {
    endpoint = await startLocalHttps(options);
  }, 30_000);
  afterAll(async () => {
    await endpoint?.stop();
  });
  return () => {
    if (!endpoint) throw new Error('local HTTPS is not started: call useLocalHttps() at the top of the test file');
    return endpoint;
  };
}
