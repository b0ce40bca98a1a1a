/**
 * Benchmark: the image API handler (sharp) against ImageMagick's `convert`, as the original service ran it
 * (write the input to a file, spawn convert, read the output back), on the same inputs and operations.
 *
 *   npm run bench:image-api -- [--runs N] [--cold N]
 *
 * Inputs (generated, deterministic): a 12 MP (4000×3000) JPEG photo-like image and a 2000×1500 PNG with an
 * alpha gradient. The handler is the bundle that ships to Lambda (assets/image-processing-api/index.js),
 * called in-process with API Gateway proxy events, so its time includes base64 and JSON work.
 * Reports medians of N runs after one warm-up, and the cold module-load time of the bundle in fresh processes.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import sharp from 'sharp';
import { median } from '../stats';

const ROOT = path.join(__dirname, '..', '..');
const ASSET = path.join(ROOT, 'assets', 'image-processing-api', 'index.js');
const CONVERT = '/usr/bin/convert';

interface Args {
  runs: number;
  cold: number;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { runs: 5, cold: 7 };
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i].replace(/^--/, '') as keyof Args;
    if (!(key in args)) throw new Error(`unknown argument ${argv[i]}; usage: --runs N --cold N`);
    args[key] = Number(argv[++i]);
    if (!Number.isInteger(args[key]) || args[key] < 1) throw new Error(`--${key} needs a whole number >= 1`);
  }
  return args;
}

async function photoJpeg(): Promise<Buffer> {
  const [w, h] = [4000, 3000];
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}"><defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#2a6fb0"/><stop offset="1" stop-color="#f0c060"/></linearGradient></defs><rect width="100%" height="100%" fill="url(#g)"/><circle cx="1200" cy="1000" r="600" fill="#c03030"/><rect x="2200" y="1400" width="1400" height="1200" fill="#30a040"/></svg>`;
  const noise = await sharp({ create: { width: w, height: h, channels: 3, background: '#000', noise: { type: 'gaussian', mean: 128, sigma: 18 } } })
    .raw()
    .toBuffer();
  return sharp(Buffer.from(svg))
    .composite([{ input: noise, raw: { width: w, height: h, channels: 3 }, blend: 'overlay' }])
    .jpeg({ quality: 88 })
    .toBuffer();
}

async function alphaPng(): Promise<Buffer> {
  const [w, h] = [2000, 1500];
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}"><defs><radialGradient id="a"><stop offset="0" stop-color="#e04080" stop-opacity="1"/><stop offset="1" stop-color="#4080e0" stop-opacity="0"/></radialGradient></defs><rect width="100%" height="100%" fill="url(#a)"/><text x="200" y="800" font-size="300" fill="#102030">sharp vs IM</text></svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

interface Case {
  name: string;
  /** The API request (without base64Image). */
  request: Record<string, unknown>;
  /** The equivalent ImageMagick arguments between input and output file. */
  convertArgs: string[];
  /** Output extension for convert ('' = print to stdout, as identify-style operations). */
  output: string;
}

function cases(ext: 'jpg' | 'png'): Case[] {
  return [
    { name: 'getDimensions', request: { operation: 'getDimensions' }, convertArgs: ['-format', '%wx%h'], output: 'info' },
    { name: 'identify', request: { operation: 'identify' }, convertArgs: ['-format', '%m %wx%h %z-bit %[colorspace] %b'], output: 'info' },
    { name: 'resize 800w', request: { operation: 'resize', width: 800, outputExtension: ext }, convertArgs: ['-resize', '800x', '-quality', '80'], output: ext },
    { name: 'thumbnail 100w', request: { operation: 'thumbnail', outputExtension: ext }, convertArgs: ['-resize', '100x', '-quality', '80'], output: ext },
    { name: 'convert -negate', request: { operation: 'convert', customArgs: ['-negate'], outputExtension: ext }, convertArgs: ['-negate', '-quality', '80'], output: ext },
    {
      name: 'convert -sepia-tone 65% -resize 1024',
      request: { operation: 'convert', customArgs: ['-sepia-tone', '65%', '-resize', '1024'], outputExtension: ext },
      convertArgs: ['-sepia-tone', '65%', '-resize', '1024', '-quality', '80'],
      output: ext,
    },
    {
      name: 'convert -colorspace Gray -resize 1024',
      request: { operation: 'convert', customArgs: ['-colorspace', 'Gray', '-resize', '1024'], outputExtension: ext },
      convertArgs: ['-colorspace', 'Gray', '-resize', '1024', '-quality', '80'],
      output: ext,
    },
  ];
}

type Handler = (event: unknown) => Promise<{ statusCode: number; body: string }>;

async function timeHandler(handler: Handler, input: Buffer, request: Record<string, unknown>): Promise<number> {
  const body = JSON.stringify({ ...request, base64Image: input.toString('base64') });
  const started = process.hrtime.bigint();
  const response = await handler({ httpMethod: 'POST', headers: { 'Content-Type': 'application/json' }, body, isBase64Encoded: false });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (response.statusCode !== 200) throw new Error(`handler ${JSON.stringify(request)} -> ${response.statusCode} ${response.body.slice(0, 200)}`);
  return ms;
}

/** What the original service did per request: write the decoded input, spawn convert, read the result back. */
function timeConvert(dir: string, input: Buffer, inputExt: string, testCase: Case): number {
  const started = process.hrtime.bigint();
  const inFile = path.join(dir, `input.${inputExt}`);
  fs.writeFileSync(inFile, Buffer.from(input.toString('base64'), 'base64'));
  if (testCase.output === 'info') {
    execFileSync('/usr/bin/identify', [...testCase.convertArgs, inFile]);
  } else {
    const outFile = path.join(dir, `output.${testCase.output}`);
    execFileSync(CONVERT, [inFile, ...testCase.convertArgs, outFile]);
    fs.readFileSync(outFile).toString('base64');
  }
  return Number(process.hrtime.bigint() - started) / 1e6;
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

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (!fs.existsSync(ASSET)) throw new Error(`${ASSET} is missing: run 'npm run build:assets'`);
  if (!fs.existsSync(CONVERT)) throw new Error('ImageMagick is missing: apt-get install -y imagemagick');
  process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { handler } = require(ASSET) as { handler: Handler };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'image-api-bench-'));
  const version = execFileSync(CONVERT, ['-version'], { encoding: 'utf8' }).split('\n')[0];
  process.stdout.write(`node ${process.version}, ${os.cpus().length} × ${os.cpus()[0].model}; sharp ${sharp.versions.sharp} (libvips ${sharp.versions.vips}); ${version}\n`);
  process.stdout.write(`median of ${args.runs} runs after 1 warm-up; times in ms\n\n`);
  try {
    const inputs: Array<[string, 'jpg' | 'png', Buffer]> = [
      ['12 MP JPEG 4000×3000', 'jpg', await photoJpeg()],
      ['PNG 2000×1500 with alpha', 'png', await alphaPng()],
    ];
    const rows: string[] = ['| input | operation | handler (sharp) | ImageMagick convert | speed-up |', '|---|---|---:|---:|---:|'];
    for (const [label, ext, input] of inputs) {
      process.stderr.write(`${label}: ${input.length} bytes\n`);
      for (const testCase of cases(ext)) {
        await timeHandler(handler, input, testCase.request);
        timeConvert(dir, input, ext, testCase);
        const ours: number[] = [];
        const theirs: number[] = [];
        for (let i = 0; i < args.runs; i++) {
          ours.push(await timeHandler(handler, input, testCase.request));
          theirs.push(timeConvert(dir, input, ext, testCase));
        }
        const [a, b] = [median(ours), median(theirs)];
        rows.push(`| ${label} | ${testCase.name} | ${a.toFixed(1)} | ${b.toFixed(1)} | ${(b / a).toFixed(1)}× |`);
        process.stderr.write(`  ${testCase.name}: ${a.toFixed(1)} vs ${b.toFixed(1)}\n`);
      }
    }
    process.stdout.write(`${rows.join('\n')}\n\n`);
    const cold = coldLoad(args.cold);
    process.stdout.write(
      `cold start of the bundle (fresh node processes, median of ${args.cold}): require ${cold.require.toFixed(1)} ms, ` +
        `first ping ${cold.firstPing.toFixed(1)} ms, first resize ${cold.firstResize.toFixed(1)} ms\n`,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
