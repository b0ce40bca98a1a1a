/**
 * Benchmark: the image API against ImageMagick's `convert` run exactly as the original service ran it, and
 * against the bare sharp pipeline that produces the same output (the practical limit for the handler).
 *
 *   npm run bench:image-api -- [--runs N] [--sets N] [--cold N] [--png]
 *
 * Columns, all on the same generated 12 MP (4000×3000) photo-like JPEG, interleaved run by run:
 * - HTTP, JSON: `bin/image-api-local.ts --asset` (the Lambda bundle behind the API Gateway emulation; types stripped by esbuild) in a
 *   child process on 127.0.0.1; the client POSTs the JSON body (base64 in) and decodes the base64 answer, as
 *   the seed's clients do.
 * - HTTP, image bytes: the same POST with `Accept: image/*`; the answer is the image's bytes (API Gateway
 *   decodes the handler's base64 for a binary media type), as a client that wants a file does.
 * - api/in-process: the same bundle called with an API Gateway event in this process (JSON + base64 work
 *   included, no socket).
 * - bare sharp: the minimal sharp chain that produces the same output from the image's bytes in memory;
 *   the script checks it produces the very same bytes as the API.
 * - convert: `/usr/bin/convert` as the original service (npm `imagemagick`) called it: the base64 decoded
 *   to a file, convert spawned, the result read back and base64-encoded. Its resize was
 *   `convert IN -set option:filter:blur 0.8 -filter Lagrange -strip -resize W -quality 80 OUT` (PNG out,
 *   as the original wrote /tmp/resized.png); its convert operation passed the client's arguments only.
 * Every cell is the median of N runs after one warm-up; `os.loadavg()` is printed with each set and row.
 * Two tables per set: wall time, and CPU time (user + system of every thread of every process involved: this
 * process via getrusage, the local server from /proc/PID/stat, convert via the shell's `times`). On a
 * machine shared with other jobs, wall time mostly measures the scheduler; CPU time stays comparable.
 */
import { ChildProcess, execFileSync, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import sharp, { Matrix3x3, Sharp } from 'sharp';
import { colourTransformOf } from '../../lambda/image-processing-api/pipeline-plan';
import { assertBundleCurrent } from '../../local/bundles';
import { photoJpeg } from './photo';
import { median } from '../stats';

const ROOT = path.join(__dirname, '..', '..');
const ASSET = path.join(ROOT, 'assets', 'image-processing-api', 'index.js');
const CONVERT = '/usr/bin/convert';

interface Args {
  runs: number;
  sets: number;
  cold: number;
  png: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { runs: 5, sets: 2, cold: 5, png: false };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--png') {
      args.png = true;
      continue;
    }
    const key = argv[i].replace(/^--/, '');
    if (key !== 'runs' && key !== 'sets' && key !== 'cold') throw new Error(`unknown argument ${argv[i]}; usage: --runs N --sets N --cold N --png`);
    const value = Number(argv[++i]);
    if (!Number.isInteger(value) || value < 1) throw new Error(`--${key} needs a whole number >= 1`);
    args[key] = value;
  }
  return args;
}

async function alphaPng(): Promise<Buffer> {
  const [w, h] = [2000, 1500];
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}"><defs><radialGradient id="a"><stop offset="0" stop-color="#e04080" stop-opacity="1"/><stop offset="1" stop-color="#4080e0" stop-opacity="0"/></radialGradient></defs><rect width="100%" height="100%" fill="url(#a)"/><text x="200" y="800" font-size="300" fill="#102030">sharp vs IM</text></svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

interface Case {
  name: string;
  /** One of the seed clients' operations (counted in the geometric mean and the targets). */
  seed: boolean;
  /** The API request (without base64Image). */
  request: Record<string, unknown>;
  /** ImageMagick's arguments between the input and output file, as the original passed them. */
  convertArgs: string[];
  /** Output extension for convert; 'info' runs identify and prints to stdout. */
  output: string;
  /** The bare sharp chain producing the API's output (undefined for text answers). */
  bare?: (input: Buffer) => Sharp;
}

const LAGRANGE_RESIZE = (width: number): string[] => ['-set', 'option:filter:blur', '0.8', '-filter', 'Lagrange', '-strip', '-resize', String(width), '-quality', '80'];

/** The sharp call for one seed filter, as a person writing it by hand would. */
function colour(args: string[]): (s: Sharp) => Sharp {
  return (s) => {
    switch (args.join(' ')) {
      case '-negate':
        return s.negate({ alpha: false });
      case '-sepia-tone 65%':
        return s.recomb(colourTransformOf({ kind: 'sepia', percent: 65 }).matrix as unknown as Matrix3x3);
      case '-colorspace Gray':
        return s.recomb(colourTransformOf({ kind: 'grayscale' }).matrix as unknown as Matrix3x3);
      case '-fill black -colorize 50%':
        return s.linear([0.5, 0.5, 0.5], [0, 0, 0]);
      case '-fill white -colorize 50%':
        return s.linear([0.5, 0.5, 0.5], [127.5, 127.5, 127.5]);
      default:
        throw new Error(`no bare chain for ${args.join(' ')}`);
    }
  };
}

function cases(ext: 'jpg' | 'png'): Case[] {
  const encode = (s: Sharp): Sharp => (ext === 'jpg' ? s.jpeg({ quality: 80, optimiseCoding: false }) : s.png({ compressionLevel: 6 }));
  const filter = (customArgs: string[]): Case => ({
    name: customArgs.join(' '),
    seed: true,
    request: { operation: 'convert', customArgs },
    convertArgs: customArgs,
    output: ext,
    bare: (input) => encode(colour(customArgs)(sharp(input))),
  });
  return [
    { name: 'getDimensions', seed: false, request: { operation: 'getDimensions' }, convertArgs: ['-format', '%wx%h'], output: 'info' },
    { name: 'identify', seed: false, request: { operation: 'identify' }, convertArgs: ['-format', '%m %wx%h %z-bit %[colorspace] %b'], output: 'info' },
    {
      name: 'resize 800 (PNG out)',
      seed: true,
      request: { operation: 'resize', width: 800 },
      convertArgs: LAGRANGE_RESIZE(800),
      output: 'png',
      bare: (input) => sharp(input).resize(800).png(),
    },
    {
      name: 'thumbnail 100 (PNG out)',
      seed: true,
      request: { operation: 'thumbnail' },
      convertArgs: LAGRANGE_RESIZE(100),
      output: 'png',
      bare: (input) => sharp(input).resize(100).png(),
    },
    filter(['-negate']),
    filter(['-sepia-tone', '65%']),
    filter(['-colorspace', 'Gray']),
    filter(['-fill', 'black', '-colorize', '50%']),
    filter(['-fill', 'white', '-colorize', '50%']),
  ];
}

type Handler = (event: unknown) => Promise<{ statusCode: number; body: string }>;

const elapsed = (started: bigint): number => Number(process.hrtime.bigint() - started) / 1e6;

/** One request's cost: wall time, and CPU time (user + system, every thread of every process involved). */
interface Cost {
  ms: number;
  cpu: number;
}

/** CPU ms this process has used so far, libvips' worker threads included (getrusage). */
function ownCpu(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

const CLOCK_TICKS_PER_SECOND = 100;
/** CPU ms another process has used so far, all its threads (utime + stime from /proc, 10 ms resolution). */
function processCpu(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
}

/** Measures `fn` in wall time and in the CPU time of this process plus the processes `others` reports. */
async function measure<T>(fn: () => Promise<T> | T, others: () => number = () => 0): Promise<Cost & { result: T }> {
  const [cpu0, other0, started] = [ownCpu(), others(), process.hrtime.bigint()];
  const result = await fn();
  const ms = elapsed(started);
  return { ms, cpu: ownCpu() - cpu0 + (others() - other0), result };
}

function body(input: Buffer, request: Record<string, unknown>): string {
  return JSON.stringify({ ...request, base64Image: input.toString('base64') });
}

/** The answer's bytes: the image for image operations, the UTF-8 text otherwise. */
function answer(status: number, text: string, request: Record<string, unknown>): Buffer {
  if (status !== 200) throw new Error(`API ${JSON.stringify(request)} -> ${status} ${text.slice(0, 300)}`);
  const value = JSON.parse(text) as string;
  return /^(resize|thumbnail|convert)$/.test(String(request.operation)) ? Buffer.from(value, 'base64') : Buffer.from(value);
}

async function timeInProcess(handler: Handler, json: string, request: Record<string, unknown>): Promise<Cost & { output: Buffer }> {
  const { ms, cpu, result } = await measure(async () => {
    const response = await handler({ httpMethod: 'POST', headers: { 'Content-Type': 'application/json' }, body: json, isBase64Encoded: false });
    return answer(response.statusCode, response.body, request);
  });
  return { ms, cpu, output: result };
}

/**
 * POST over a fresh connection (no keep-alive: a pooled socket the server closed between runs would fail).
 * The body is the JSON already encoded, as a client holding a file or a fetch body sends it: a multi-megabyte
 * string handed to `request.end` is written in pieces and costs Node's client ~15 ms more than its bytes.
 */
function post(url: string, json: Buffer, accept: Accept): Promise<{ status: number; contentType: string; bytes: Buffer }> {
  return new Promise((resolve, reject) => {
    const headers = { 'Content-Type': 'application/json', 'Content-Length': json.length, Accept: accept === 'image' ? 'image/*' : 'application/json' };
    const request = http.request(url, { method: 'POST', agent: false, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, contentType: String(response.headers['content-type'] ?? ''), bytes: Buffer.concat(chunks) }));
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(json);
  });
}

/**
 * What the client asks for: `json`, the seed clients' protocol (the image as a base64 JSON string, which the
 * client parses and decodes), or `image`, the image's bytes (`Accept: image/*`, API Gateway's binary media type).
 */
type Accept = 'json' | 'image';

async function timeHttp(server: LocalServer, json: Buffer, request: Record<string, unknown>, accept: Accept): Promise<Cost & { output: Buffer }> {
  const { ms, cpu, result } = await measure(async () => {
    const response = await post(server.apiUrl, json, accept);
    if (response.status === 200 && response.contentType.startsWith('image/')) return response.bytes;
    return answer(response.status, response.bytes.toString('utf8'), request);
  }, () => processCpu(server.child.pid!));
  return { ms, cpu, output: result };
}

async function timeBare(input: Buffer, testCase: Case): Promise<Cost & { output: Buffer }> {
  const { ms, cpu, result } = await measure(() => testCase.bare!(input).toBuffer());
  return { ms, cpu, output: result };
}

/** Runs a tool through `sh`, whose `times` built-in reports the CPU its children used (all their threads). */
function runTimed(command: string, args: string[]): number {
  const out = spawnSync('/bin/sh', ['-c', '"$@" >/dev/null || exit $?; times', 'sh', command, ...args], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${out.status}): ${out.stderr}`);
  const children = out.stdout.trim().split('\n').pop()!;
  const [user, system] = [...children.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60_000 + Number(m[2]) * 1000);
  return user + system;
}

/** What the original service did per request: write the decoded input, spawn convert, read the result back. */
async function timeConvert(dir: string, base64: string, inputExt: string, testCase: Case): Promise<Cost> {
  let toolCpu = 0;
  const { ms, cpu } = await measure(() => {
    const inFile = path.join(dir, `input.${inputExt}`);
    fs.writeFileSync(inFile, Buffer.from(base64, 'base64'));
    if (testCase.output === 'info') {
      toolCpu = runTimed('/usr/bin/identify', [...testCase.convertArgs, inFile]);
    } else {
      const outFile = path.join(dir, `output.${testCase.output}`);
      toolCpu = runTimed(CONVERT, [inFile, ...testCase.convertArgs, outFile]);
      fs.readFileSync(outFile).toString('base64');
    }
  });
  return { ms, cpu: cpu + toolCpu };
}

/** Starts `bin/image-api-local.ts --asset` as a child process on a free port; resolves with its API URL. */
interface LocalServer {
  apiUrl: string;
  child: ChildProcess;
}

async function startLocalServer(): Promise<LocalServer> {
  // Types stripped by esbuild rather than ts-node: ts-node would keep the TypeScript compiler in the gateway's
  // heap, and every major GC would mark it again (~27 vs ~13 ms of GC per 5 MB request), a cost no Lambda has.
  const register = path.join(ROOT, 'local', 'esbuild-register.cjs');
  const child = spawn(process.execPath, ['-r', register, path.join(ROOT, 'bin', 'image-api-local.ts'), '--asset', '--port', '0'], {
    cwd: ROOT,
    env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'ERROR' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const apiUrl = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /POST (http:\/\/127\.0\.0\.1:\d+\/api)/.exec(out);
      if (match) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`local server exited (${code}) before listening: ${out}`)));
  });
  return { apiUrl, child };
}

function coldLoad(runs: number): { require: number; firstPing: number; firstResize: number } {
  const script = `
    const t0 = process.hrtime.bigint();
    const { handler } = require(${JSON.stringify(ASSET)});
    const t1 = process.hrtime.bigint();
    (async () => {
      await handler({ httpMethod: 'POST', headers: {}, body: '{"operation":"ping"}' });
      const t2 = process.hrtime.bigint();
      const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAQAAAAECAIAAAAmkwkpAAAAEklEQVR4nGP4z8CAB+GTG8HSALfKY52fTcuYAAAAAElFTkSuQmCC', 'base64');
      await handler({ httpMethod: 'POST', headers: {}, body: JSON.stringify({ operation: 'resize', width: 2, base64Image: png.toString('base64') }) });
      const t3 = process.hrtime.bigint();
      console.log(JSON.stringify({ require: Number(t1 - t0) / 1e6, firstPing: Number(t2 - t1) / 1e6, firstResize: Number(t3 - t2) / 1e6 }));
    })();`;
  const samples: Array<{ require: number; firstPing: number; firstResize: number }> = [];
  for (let i = 0; i < runs; i++) {
    const out = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'ERROR' } });
    if (out.status !== 0) throw new Error(`cold load failed: ${out.stderr}`);
    samples.push(JSON.parse(out.stdout.trim().split('\n').pop()!));
  }
  return {
    require: median(samples.map((s) => s.require)),
    firstPing: median(samples.map((s) => s.firstPing)),
    firstResize: median(samples.map((s) => s.firstResize)),
  };
}

const load = (): string => os.loadavg().map((l) => l.toFixed(2)).join(' ');
const fmt = (ms: number): string => ms.toFixed(1);
const ratio = (x: number): string => `${x.toFixed(1)}×`;
const geomean = (xs: number[]): number => Math.exp(xs.reduce((s, x) => s + Math.log(x), 0) / xs.length);

type Column = 'http' | 'httpImage' | 'inProcess' | 'bare' | 'convert';
const COLUMNS: readonly Column[] = ['http', 'httpImage', 'inProcess', 'bare', 'convert'];
type Metric = keyof Cost;

interface Row {
  testCase: Case;
  /** Median per column and metric (bare is absent for text answers). */
  medians: Record<Column, Cost | undefined>;
  sameBytes?: boolean;
  load: string;
}

async function runSet(label: string, ext: 'jpg' | 'png', input: Buffer, args: Args, handler: Handler, server: LocalServer, dir: string): Promise<Row[]> {
  const base64 = input.toString('base64');
  const rows: Row[] = [];
  for (const testCase of cases(ext)) {
    const json = body(input, testCase.request);
    const jsonBytes = Buffer.from(json);
    const samples: Record<Column, Cost[]> = { http: [], httpImage: [], inProcess: [], bare: [], convert: [] };
    let sameBytes: boolean | undefined;
    for (let i = 0; i <= args.runs; i++) {
      const http = await timeHttp(server, jsonBytes, testCase.request, 'json');
      const httpImage = await timeHttp(server, jsonBytes, testCase.request, 'image');
      const inProcess = await timeInProcess(handler, json, testCase.request);
      const bare = testCase.bare ? await timeBare(input, testCase) : undefined;
      const convert = await timeConvert(dir, base64, ext, testCase);
      if (i === 0) {
        sameBytes = bare ? [http, httpImage, inProcess].every((api) => bare.output.equals(api.output)) : undefined;
        continue; // warm-up
      }
      samples.http.push(http);
      samples.httpImage.push(httpImage);
      samples.inProcess.push(inProcess);
      if (bare) samples.bare.push(bare);
      samples.convert.push(convert);
    }
    const mid = (costs: Cost[]): Cost | undefined => (costs.length ? { ms: median(costs.map((c) => c.ms)), cpu: median(costs.map((c) => c.cpu)) } : undefined);
    const row: Row = {
      testCase,
      medians: { http: mid(samples.http), httpImage: mid(samples.httpImage), inProcess: mid(samples.inProcess), bare: mid(samples.bare), convert: mid(samples.convert) },
      sameBytes,
      load: load(),
    };
    rows.push(row);
    const show = (c: Column): string => (row.medians[c] ? `${fmt(row.medians[c]!.ms)} (cpu ${fmt(row.medians[c]!.cpu)})` : '-');
    process.stderr.write(`  ${label} ${testCase.name}: ${COLUMNS.map((c) => `${c} ${show(c)}`).join(' ')} (load ${row.load})\n`);
  }
  return rows;
}

/** The issue's targets for one HTTP column (#23): each seed operation within 1.3× bare sharp + 30 ms, geomean ≥ 3× convert. */
function targets(rows: Row[], metric: Metric, column: 'http' | 'httpImage', label: string): string[] {
  const value = (r: Row, c: Column): number => r.medians[c]![metric];
  const seeds = rows.filter((r) => r.testCase.seed);
  const speedUps = seeds.map((r) => value(r, 'convert') / value(r, column));
  const withBare = seeds.filter((r) => r.medians.bare);
  const over = withBare.map((r) => ({ name: r.testCase.name, http: value(r, column), limit: 1.3 * value(r, 'bare') + 30 })).filter((l) => l.http > l.limit);
  return [
    `${label}: every seed operation within 1.3× bare sharp + 30 ms: ${over.length === 0 ? 'met' : `NOT met (${over.map((l) => `${l.name} ${fmt(l.http)} > ${fmt(l.limit)}`).join('; ')})`}`,
    `${label}: geometric mean of convert ÷ HTTP over the ${speedUps.length} seed operations ≥ 3×: ${geomean(speedUps) >= 3 ? 'met' : 'NOT met'} (${ratio(geomean(speedUps))}); ` +
      `HTTP ÷ bare sharp at most ${Math.max(...withBare.map((r) => value(r, column) / value(r, 'bare'))).toFixed(2)}×`,
  ];
}

/** One table per metric: the columns side by side, the ratios, and the issue's targets checked. */
function table(label: string, rows: Row[], metric: Metric): string {
  const lines = [
    '| input | operation | HTTP, JSON (base64) | HTTP, image bytes | API in-process | bare sharp | `convert` | convert ÷ HTTP (JSON, bytes) | HTTP ÷ bare (JSON, bytes) | same bytes | load (1/5/15 min) |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|:---:|---|',
  ];
  for (const r of rows) {
    const [http, httpImage, inProcess, bare, convert] = COLUMNS.map((c) => r.medians[c]?.[metric]);
    const pair = (a: number, b: number): string => `${ratio(a)}, ${ratio(b)}`;
    lines.push(
      `| ${label} | ${r.testCase.name} | ${fmt(http!)} | ${fmt(httpImage!)} | ${fmt(inProcess!)} | ${bare === undefined ? '—' : fmt(bare)} | ${fmt(convert!)} | ` +
        `${pair(convert! / http!, convert! / httpImage!)} | ${bare === undefined ? '—' : pair(http! / bare, httpImage! / bare)} | ${r.sameBytes === undefined ? '—' : r.sameBytes ? 'yes' : 'NO'} | ${r.load} |`,
    );
  }
  const checks = [...targets(rows, metric, 'http', 'HTTP, JSON (base64)'), ...targets(rows, metric, 'httpImage', 'HTTP, image bytes')];
  return `${lines.join('\n')}\n\n${checks.map((t) => `- ${t}`).join('\n')}\n`;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  assertBundleCurrent('image-processing-api');
  if (!fs.existsSync(CONVERT)) throw new Error('ImageMagick is missing: apt-get install -y imagemagick');
  process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
  // libvips caches operations by input: the bare chain, fed the same Buffer every run, would be served from
  // the cache, while the API decodes a fresh buffer per request. No cache for anyone in this process.
  sharp.cache(false);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { handler } = require(ASSET) as { handler: Handler };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'image-api-bench-'));
  const version = execFileSync(CONVERT, ['-version'], { encoding: 'utf8' }).split('\n')[0];
  process.stdout.write(`node ${process.version}, ${os.cpus().length} × ${os.cpus()[0].model}; sharp ${sharp.versions.sharp} (libvips ${sharp.versions.vips}); ${version}\n`);
  process.stdout.write(`median of ${args.runs} runs after 1 warm-up, ${args.sets} sets; times in ms; load average at start ${load()}\n\n`);
  const server = await startLocalServer();
  try {
    const inputs: Array<[string, 'jpg' | 'png', Buffer]> = [['12 MP JPEG', 'jpg', await photoJpeg()]];
    if (args.png) inputs.push(['PNG 2000×1500 alpha', 'png', await alphaPng()]);
    for (let set = 1; set <= args.sets; set++) {
      for (const [label, ext, input] of inputs) {
        const before = load();
        process.stderr.write(`set ${set}, ${label} (${input.length} bytes), load ${before}\n`);
        const rows = await runSet(label, ext, input, args, handler, server, dir);
        const heading = `Set ${set}, ${label} (${(input.length / 1e6).toFixed(1)} MB), load average ${before} at start, ${load()} at end`;
        process.stdout.write(`${heading}; wall time, ms:\n\n${table(label, rows, 'ms')}\n`);
        // CPU time barely moves with the load of other jobs on the machine: the robust ratio on a busy host.
        process.stdout.write(`${heading}; CPU time (user + system, all threads and processes), ms:\n\n${table(label, rows, 'cpu')}\n`);
      }
    }
    const cold = coldLoad(args.cold);
    process.stdout.write(
      `cold start of the bundle (fresh node processes, median of ${args.cold}): require ${fmt(cold.require)} ms, ` +
        `first ping ${fmt(cold.firstPing)} ms, first resize ${fmt(cold.firstResize)} ms; load ${load()}\n`,
    );
  } finally {
    server.child.kill('SIGTERM');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
