/**
 * The trusted local HTTPS endpoint (local/local-https.ts): certificate verification stays on, in-process
 * clients trust it through `ca`, child processes through NODE_EXTRA_CA_CERTS (fetch and https alike), routes
 * and the proxy answer, nothing hangs, and stop() leaves nothing behind.
 */
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as https from 'https';
import type { AddressInfo } from 'net';
import { LocalHttps, startLocalHttps } from '../../local/local-https';

const get = (url: string, options: https.RequestOptions = {}) =>
  new Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }>((resolve, reject) => {
    https
      .get(url, options, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      })
      .on('error', reject);
  });

describe('local HTTPS endpoint (local/local-https.ts)', () => {
  let endpoint: LocalHttps;
  let upstream: http.Server;

  beforeAll(async () => {
    endpoint = await startLocalHttps({ handlerTimeoutMs: 500 });
    upstream = http.createServer((req, res) => res.writeHead(201, { 'x-upstream': 'yes' }).end(`upstream saw ${req.method} ${req.url}`));
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', () => resolve()));
  });

  afterAll(async () => {
    await endpoint?.stop();
    await new Promise<void>((resolve) => upstream?.close(() => resolve()));
  });

  it('stands up a route in two lines, binds 127.0.0.1 and trusts only through the given CA', async () => {
    endpoint.route('/health', () => ({ status: 200, body: 'ok' }));
    expect(endpoint.url('/health')).toBe(`https://127.0.0.1:${endpoint.port}/health`);
    expect(await get(endpoint.url('/health'), { ca: endpoint.ca })).toMatchObject({ status: 200, body: 'ok' });
    // Verification is on: without the CA the certificate is refused, as a production client would refuse it.
    await expect(get(endpoint.url('/health'))).rejects.toThrow(/unable to verify the first certificate|self-signed certificate|unable to get local issuer certificate/);
    expect((await get(`https://localhost:${endpoint.port}/health`, { agent: endpoint.agent(), family: 4 })).status).toBe(200);
  });

  // Asynchronously: the server runs in this process, so a synchronous spawn would block it.
  const runNode = (args: string[], env: NodeJS.ProcessEnv) =>
    new Promise<{ status: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, args, { env, encoding: 'utf8', timeout: 20_000 }, (error, stdout, stderr) => resolve({ status: error ? Number(error.code ?? 1) : 0, stdout, stderr }));
    });

  it('is trusted by a child process through NODE_EXTRA_CA_CERTS, with fetch and with https', async () => {
    endpoint.route('/child', () => ({ body: { hello: 'child' } }));
    const script = `
      const https = require('https');
      (async () => {
        const viaFetch = await fetch(process.argv[1]).then((r) => r.json());
        const viaHttps = await new Promise((resolve, reject) => https.get(process.argv[1], (res) => { let b = ''; res.on('data', (c) => (b += c)); res.on('end', () => resolve(JSON.parse(b))); }).on('error', reject));
        console.log(JSON.stringify({ viaFetch, viaHttps }));
      })().catch((e) => { console.error(e.cause?.code ?? e.code ?? e.message); process.exit(1); });`;
    const trusted = await runNode(['-e', script, endpoint.url('/child')], { PATH: process.env.PATH, ...endpoint.env() });
    expect(trusted.stderr).toBe('');
    expect(JSON.parse(trusted.stdout)).toEqual({ viaFetch: { hello: 'child' }, viaHttps: { hello: 'child' } });

    const untrusted = await runNode(['-e', script, endpoint.url('/child')], { PATH: process.env.PATH });
    expect(untrusted.status).toBe(1);
    expect(untrusted.stderr).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY/);
  });

  it('routes by exact path and by prefix, records requests, and names the routes on a 404', async () => {
    endpoint.route('/api/*', (request) => ({ status: 202, headers: { 'x-route': 'api' }, body: { path: request.path, q: request.query.get('q') } }));
    endpoint.route('/api/admin/*', () => ({ status: 403, body: 'admin' }));
    expect(await get(endpoint.url('/api/items?q=1'), { ca: endpoint.ca })).toMatchObject({ status: 202, body: '{"path":"/api/items","q":"1"}' });
    expect((await get(endpoint.url('/api/admin/x'), { ca: endpoint.ca })).status).toBe(403);
    const missing = await get(endpoint.url('/nowhere'), { ca: endpoint.ca });
    expect(missing.status).toBe(404);
    expect(missing.body).toContain('no route for GET /nowhere (routes: /health, /child, /api/*, /api/admin/*)');
    expect(endpoint.requests.map((r) => r.url)).toEqual(expect.arrayContaining(['/api/items?q=1', '/nowhere']));
  });

  it('proxies a prefix to a local http server, and refuses a non-local target', async () => {
    endpoint.proxy('/svc', `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`);
    const out = await get(endpoint.url('/svc/thing?x=1'), { ca: endpoint.ca });
    expect(out).toMatchObject({ status: 201, body: 'upstream saw GET /svc/thing?x=1' });
    expect(out.headers['x-upstream']).toBe('yes');
    expect(() => endpoint.proxy('/ext', 'http://example.com')).toThrow(/must be a local http server/);
  });

  it('answers 504 when a handler never answers and 500 when it throws, instead of hanging', async () => {
    endpoint.route('/stuck', () => new Promise(() => {}));
    endpoint.route('/throws', () => {
      throw new Error('broken handler');
    });
    const stuck = await get(endpoint.url('/stuck'), { ca: endpoint.ca });
    expect(stuck.status).toBe(504);
    expect(stuck.body).toContain('did not answer within 500 ms');
    const thrown = await get(endpoint.url('/throws'), { ca: endpoint.ca });
    expect(thrown).toMatchObject({ status: 500, body: expect.stringContaining('broken handler') });
  });

  it('stops: closes open connections and removes the certificate files', async () => {
    const own = await startLocalHttps();
    own.route('/', () => ({ body: 'x' }));
    const agent = new https.Agent({ ca: own.ca, keepAlive: true });
    expect((await get(own.url('/'), { agent })).status).toBe(200);
    await own.stop();
    expect(fs.existsSync(own.caFile)).toBe(false);
    await expect(get(own.url('/'), { ca: own.ca })).rejects.toThrow(/ECONNREFUSED/);
    agent.destroy();
  });
});
