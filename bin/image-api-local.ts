#!/usr/bin/env node
/**
 * Runs the image API and its web page on 127.0.0.1, without an AWS account:
 *
 *   npm run image-api:local -- [--port N] [--asset]
 *
 * The page is served from lib/image-processing-api/site with a config.json pointing at /api; requests to
 * /api are turned into API Gateway (REST, Lambda proxy) events and passed to the real handler — its
 * TypeScript source by default, or with --asset the bundle that ships to Lambda (assets/image-processing-api,
 * built by `npm run build:assets`). Binary media types behave as API Gateway's `image/*` setting does.
 *
 * Originals and results live in the local S3 emulator (s3rver, local/local-aws.ts) unless --no-s3: the
 * handler gets IMAGE_BUCKET and the SDK's endpoint variables, and the bucket allows the page's origin (CORS).
 * GET /img/<spec>/<key> goes through a small shared cache standing in for CloudFront (local/http-cache.ts,
 * which honours the handler's Cache-Control), so a repeat is served without invoking the handler.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { randomUUID } from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as path from 'path';
import { CreateBucketCommand, PutBucketCorsCommand, S3Client } from '@aws-sdk/client-s3';
import { LocalAws, startLocalAws } from '../local/local-aws';
import { CachedResponse, LocalHttpCache } from '../local/http-cache';
import { IMAGE_API_STORAGE_ENV } from '../contracts/image-processing-api/storage';

const ROOT = path.join(__dirname, '..');
/** API Gateway's own payload limit. */
const API_GATEWAY_MAX_BODY = 10 * 1024 * 1024;
const STATIC_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

type Handler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

export interface LocalImageApiOptions {
  /** Port on 127.0.0.1; 0 picks a free one. */
  readonly port?: number;
  /** Use the built Lambda bundle instead of the TypeScript source. */
  readonly useAsset?: boolean;
  /** Directory of the web page. */
  readonly siteDir?: string;
  /**
   * Serve originals and results through the local S3 emulator (getUploadUrl, sourceKey, "deliver":"url" and the GET path).
   * @default true
   */
  readonly s3?: boolean;
}

/** What the local server has done so far: handler invocations (each one a pipeline run in Lambda) and the CDN cache. */
export interface LocalImageApiStats {
  readonly invocations: number;
  readonly deliveryInvocations: number;
  readonly cacheHits: number;
  readonly cacheMisses: number;
}

export interface LocalImageApi {
  /** Base URL, e.g. http://127.0.0.1:8787 */
  readonly url: string;
  readonly apiUrl: string;
  /** Base of the cached GET path: `${deliveryUrl}/<spec>/<key>`. */
  readonly deliveryUrl: string;
  /** The local S3 emulator's endpoint, when S3 is on. */
  readonly s3Endpoint?: string;
  /** The bucket holding originals and results, when S3 is on. */
  readonly bucket?: string;
  stats(): LocalImageApiStats;
  close(): Promise<void>;
}

/** The local image bucket. */
export const LOCAL_IMAGE_BUCKET = 'image-api-local';

function loadHandler(useAsset: boolean): Handler {
  const entry = useAsset ? path.join(ROOT, 'assets', 'image-processing-api', 'index.js') : path.join(ROOT, 'lambda', 'image-processing-api', 'index');
  if (useAsset && !fs.existsSync(entry)) throw new Error(`${entry} is missing: run 'npm run build:assets' first`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(entry).handler as Handler;
}

/** A single-value + multi-value header view of a Node request, as API Gateway passes them. */
function eventHeaders(req: http.IncomingMessage): Pick<APIGatewayProxyEvent, 'headers' | 'multiValueHeaders'> {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const [name, value] = [req.rawHeaders[i], req.rawHeaders[i + 1]];
    headers[name] = value;
    (multiValueHeaders[name] ??= []).push(value);
  }
  return { headers, multiValueHeaders };
}

export function matchesBinaryMediaType(type: string | undefined): boolean {
  return (type ?? '').split(',').some((t) => t.trim().toLowerCase().startsWith('image/'));
}

/** The API Gateway proxy event for one HTTP request, as a REST API stage would build it. */
export function toProxyEvent(req: http.IncomingMessage, body: Buffer, stage: string): APIGatewayProxyEvent {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const binary = matchesBinaryMediaType(req.headers['content-type']);
  const query: Record<string, string> = {};
  url.searchParams.forEach((v, k) => (query[k] = v));
  const requestId = randomUUID();
  return {
    resource: '/',
    path: url.pathname,
    httpMethod: req.method ?? 'GET',
    ...eventHeaders(req),
    queryStringParameters: Object.keys(query).length ? query : null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    body: body.length === 0 ? null : binary ? body.toString('base64') : body.toString('utf8'),
    isBase64Encoded: binary,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      stage,
      requestId,
      httpMethod: req.method ?? 'GET',
      path: `/${stage}${url.pathname}`,
      resourceId: 'local',
      resourcePath: '/',
      protocol: 'HTTP/1.1',
      requestTimeEpoch: Date.now(),
      identity: { sourceIp: req.socket.remoteAddress ?? '127.0.0.1', userAgent: req.headers['user-agent'] ?? null },
      authorizer: null,
    } as unknown as APIGatewayProxyEvent['requestContext'],
  };
}

async function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Starts the local API and page; resolves once listening. */
export async function startLocalImageApi(options: LocalImageApiOptions = {}): Promise<LocalImageApi> {
  const siteDir = options.siteDir ?? path.join(ROOT, 'lib', 'image-processing-api', 'site');
  let base = '';
  const server = http.createServer((req, res) => {
    handle(req, res).catch((error) => {
      process.stderr.write(`image-api-local: ${error instanceof Error ? error.stack : String(error)}\n`);
      if (!res.headersSent) res.writeHead(502, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ message: 'Internal server error' }));
    });
  });
  let handler: Handler | undefined;

  const cache = new LocalHttpCache();
  let invocations = 0;
  let deliveryInvocations = 0;

  /** One request through the API Gateway emulation to the handler, answered as API Gateway would. */
  async function invoke(req: http.IncomingMessage, body: Buffer, accept: string | undefined): Promise<CachedResponse> {
    handler ??= loadHandler(options.useAsset === true);
    invocations++;
    const result = await handler(toProxyEvent(req, body, 'local'));
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
    // API Gateway converts a base64 answer to binary when the request's Accept matches a binary media type.
    if (result.isBase64Encoded && matchesBinaryMediaType(accept)) return { status: result.statusCode, headers, body: Buffer.from(result.body, 'base64') };
    // Text (the JSON answers, megabytes of base64 among them) is encoded once, here: Node's socket writes a
    // multi-megabyte string in pieces (18 ms for a 5 MB answer against 6.5 ms as one Buffer, measured by
    // `npm run bench:image-api:transport`).
    return { status: result.statusCode, headers, body: Buffer.from(result.body ?? '', 'utf8') };
  }

  function send(res: http.ServerResponse, response: CachedResponse, head: boolean): void {
    res.writeHead(response.status, { ...response.headers, 'Content-Length': response.body.length });
    res.end(head ? undefined : response.body);
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const pathname = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    if (pathname.startsWith('/img/') && (req.method === 'GET' || req.method === 'HEAD')) {
      // CloudFront's delivery behaviour: cache key = path; the origin gets Accept: image/* (a custom origin
      // header) so API Gateway answers binary whatever the viewer sent.
      const response = await cache.get(pathname, async () => {
        deliveryInvocations++;
        return invoke(req, Buffer.alloc(0), 'image/*');
      });
      send(res, response, req.method === 'HEAD');
      return;
    }
    if (pathname === '/api' || pathname.startsWith('/api/')) {
      const body = await readBody(req, API_GATEWAY_MAX_BODY);
      if (body === undefined) {
        res.writeHead(413, { 'Content-Type': 'application/json', Connection: 'close' });
        res.end(JSON.stringify({ error: 'request_too_large', message: 'Request Too Long' }));
        return;
      }
      send(res, await invoke(req, body, req.headers.accept), false);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    if (pathname === '/config.json') {
      const config = { apiUrl: `${base}/api`, authorization: 'NONE', maxInputBytes: 4 * 1024 * 1024, uploads: Boolean(local), deliveryUrl: local ? `${base}/img` : undefined };
      res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }).end(JSON.stringify(config));
      return;
    }
    const name = pathname === '/' ? 'index.html' : pathname.slice(1);
    const file = path.join(siteDir, name);
    // Only files directly in the site directory: no traversal, no subdirectories.
    if (path.dirname(file) !== siteDir || !STATIC_TYPES[path.extname(file)] || !fs.existsSync(file)) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, {
      'Content-Type': STATIC_TYPES[path.extname(file)],
      'Cache-Control': 'no-store',
      // The same policy CloudFront sends, with the local API as the allowed connect-src.
      'Content-Security-Policy': `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'${local ? ` ${local.endpoints.s3}` : ''}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
      'X-Content-Type-Options': 'nosniff',
    });
    res.end(req.method === 'HEAD' ? undefined : fs.readFileSync(file));
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8787, '127.0.0.1', () => resolve());
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // The handler reads its CORS origins when it loads; the page is same-origin, but a second local page may call it.
  process.env.ALLOWED_ORIGINS ??= base;
  let local: LocalAws | undefined;
  if (options.s3 !== false) {
    try {
      local = await startLocalAws(['s3']);
      await createLocalBucket(local, base);
    } catch (error) {
      await local?.stop();
      server.close();
      throw error;
    }
    // Before the handler loads: it reads its bucket and the SDK its endpoint and credentials from the environment.
    Object.assign(process.env, local.env(), { [IMAGE_API_STORAGE_ENV.bucket]: LOCAL_IMAGE_BUCKET });
  }
  return {
    url: base,
    apiUrl: `${base}/api`,
    deliveryUrl: `${base}/img`,
    s3Endpoint: local?.endpoints.s3,
    bucket: local ? LOCAL_IMAGE_BUCKET : undefined,
    stats: () => ({ invocations, deliveryInvocations, cacheHits: cache.hits, cacheMisses: cache.misses }),
    close: async () => {
      await new Promise<void>((resolve, reject) => {
        server.closeAllConnections?.();
        server.close((error) => (error ? reject(error) : resolve()));
      });
      await local?.stop();
    },
  };
}

/** The image bucket in the emulator, open to the page's origin for the presigned PUT and GET (as the construct's bucket CORS). */
async function createLocalBucket(local: LocalAws, origin: string): Promise<void> {
  const s3 = new S3Client(local.clientConfig('s3'));
  await s3.send(new CreateBucketCommand({ Bucket: LOCAL_IMAGE_BUCKET }));
  await s3.send(
    new PutBucketCorsCommand({
      Bucket: LOCAL_IMAGE_BUCKET,
      CORSConfiguration: { CORSRules: [{ AllowedOrigins: [origin], AllowedMethods: ['PUT', 'GET'], AllowedHeaders: ['content-type', 'if-none-match'], MaxAgeSeconds: 600 }] },
    }),
  );
  s3.destroy();
}

function parseArgs(argv: string[]): LocalImageApiOptions {
  let port = 8787;
  let useAsset = false;
  let s3 = true;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--port') {
      port = Number(argv[++i]);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port needs a port number from 0 to 65535 (got '${argv[i]}')`);
    } else if (argv[i] === '--asset') {
      useAsset = true;
    } else if (argv[i] === '--no-s3') {
      s3 = false;
    } else {
      throw new Error(`unknown argument '${argv[i]}'; usage: npm run image-api:local -- [--port N] [--asset] [--no-s3]`);
    }
  }
  return { port, useAsset, s3 };
}

if (require.main === module) {
  (async () => {
    const api = await startLocalImageApi(parseArgs(process.argv.slice(2)));
    process.stdout.write(
      `image API page: ${api.url}/\nimage API:      POST ${api.apiUrl}  e.g. curl -s -d '{"operation":"ping"}' ${api.apiUrl}\n` +
        (api.s3Endpoint ? `cached GET:     ${api.deliveryUrl}/<spec>/<key>  (originals in s3rver at ${api.s3Endpoint}, bucket ${api.bucket})\n` : ''),
    );
    const stop = (): void => {
      api.close().then(() => process.exit(0));
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  })().catch((error) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
