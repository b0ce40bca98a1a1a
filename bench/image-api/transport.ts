/**
 * Where the image API's fixed cost goes: each step of moving the 12 MP JPEG of `bench:image-api` as a base64 JSON body (≈5 MB) through
 * the client, the local gateway and the handler, timed alone, and the two socket-write choices side by side.
 *
 *   npm run bench:image-api:transport -- [--runs N]
 *
 * Every figure is the median of N runs (default 9) after one warm-up, in one process, so the rows compare.
 * `bench:image-api` measures the whole request; this says which steps of it are worth removing.
 */
import * as http from 'http';
import * as os from 'os';
import { parseJson } from '../../lambda/image-processing-api/protocol';
import { median } from '../stats';
import { photoJpeg } from './photo';

async function timed(runs: number, fn: () => unknown): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i <= runs; i++) {
    const started = process.hrtime.bigint();
    await fn();
    if (i > 0) samples.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return median(samples);
}

/** A loopback server that reads the body and answers `answer` (a string or bytes), on a fresh connection per request. */
async function exchange(runs: number, body: string | Buffer, answer: string | Buffer): Promise<number> {
  const server = http.createServer(async (req, res) => {
    for await (const chunk of req) void chunk;
    res.writeHead(200, { 'Content-Length': Buffer.byteLength(answer) });
    res.end(answer);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  try {
    return await timed(
      runs,
      () =>
        new Promise<void>((resolve, reject) => {
          const request = http.request({ host: '127.0.0.1', port, method: 'POST', agent: false, headers: { 'Content-Length': Buffer.byteLength(body) } }, (response) => {
            response.on('data', () => undefined);
            response.on('end', resolve);
          });
          request.on('error', reject);
          request.end(body);
        }),
    );
  } finally {
    server.close();
  }
}

async function main(): Promise<void> {
  const runsAt = process.argv.indexOf('--runs');
  const runs = runsAt >= 0 ? Number(process.argv[runsAt + 1]) : 9;
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs needs a whole number >= 1');
  const image = await photoJpeg();
  const base64 = image.toString('base64');
  const json = JSON.stringify({ operation: 'thumbnail', base64Image: base64 });
  const bytes = Buffer.from(json);
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += 65536) chunks.push(bytes.subarray(i, i + 65536));
  const quoted = `"${base64}"`;
  const load = (): string => os.loadavg().map((l) => l.toFixed(2)).join(' ');
  process.stdout.write(`node ${process.version}; a ${(image.length / 1e6).toFixed(1)} MB JPEG, ${(bytes.length / 1e6).toFixed(1)} MB JSON body; median of ${runs}; load ${load()}\n\n`);
  const rows: Array<[string, string, number]> = [
    ['client', 'base64 of the image', await timed(runs, () => image.toString('base64'))],
    ['gateway', 'Buffer.concat of the body (64 KiB chunks)', await timed(runs, () => Buffer.concat(chunks))],
    ['gateway', 'body bytes → string (UTF-8)', await timed(runs, () => bytes.toString('utf8'))],
    ['handler', 'JSON.parse of the whole body', await timed(runs, () => JSON.parse(json))],
    ['handler', 'parseJson: the base64 value cut out, the rest parsed', await timed(runs, () => parseJson(json))],
    ['handler', 'base64 → image bytes', await timed(runs, () => Buffer.from(base64, 'base64'))],
    ['handler', 'image bytes → base64 (the answer)', await timed(runs, () => image.toString('base64'))],
    ['handler', 'JSON.stringify of the base64 answer', await timed(runs, () => JSON.stringify(base64))],
    ['gateway', 'answer string → bytes (UTF-8)', await timed(runs, () => Buffer.from(quoted, 'utf8'))],
    ['gateway', 'base64 answer → image bytes (binary media type)', await timed(runs, () => Buffer.from(base64, 'base64'))],
    ['socket', 'POST of the body written as a string, tiny answer', await exchange(runs, json, 'ok')],
    ['socket', 'POST of the body written as bytes, tiny answer', await exchange(runs, bytes, 'ok')],
    ['socket', 'tiny POST, the JSON answer written as a string', await exchange(runs, 'x', quoted)],
    ['socket', 'tiny POST, the JSON answer written as bytes', await exchange(runs, 'x', Buffer.from(quoted))],
    ['socket', 'tiny POST, the image bytes as the answer', await exchange(runs, 'x', image)],
  ];
  process.stdout.write('| where | step | ms |\n|---|---|---:|\n');
  for (const [where, step, ms] of rows) process.stdout.write(`| ${where} | ${step} | ${ms.toFixed(1)} |\n`);
  process.stdout.write(`\nload at end ${load()}\n`);
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
