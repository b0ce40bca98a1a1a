/**
 * Benchmark: this harness's load test by rate against artillery 2.x, side by side in one run, against the
 * local image API's `ping` (bench/test-harness/target.ts: the image API bundle, in a process of its own).
 *
 *   npm run bench:test-harness -- [--runs N] [--duration S] [--rates 50,200]
 *
 * - harness: `npm run test-harness:local`'s code in a child process (bin/test-harness-local.ts): the harness and
 *   HTTPS invoker bundles in the local Lambda stand-in, dynalite, a local TLS endpoint in front of the API;
 * - artillery: installed on demand into bench/test-harness/.tools (ignored; not the root lock file), one
 *   arrival phase at the same rate, POSTing the same body straight to the API over http.
 * Per cell, the median of N runs (interleaved): achieved rate = requests / duration against the target, the
 * errors, and the client CPU per request = user + system CPU of the client's whole process tree (the shell's
 * `times` for its waited children), start-up included. The machine is shared: quote it with its load average.
 */
import { ChildProcess, execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { median } from '../stats';

const ROOT = path.join(__dirname, '..', '..');
const TOOLS = path.join(__dirname, '.tools');
const ARTILLERY = path.join(TOOLS, 'node_modules', 'artillery', 'bin', 'run');
const BODY = { operation: 'ping' };

interface Args {
  runs: number;
  duration: number;
  rates: number[];
}

function parseArgs(argv: string[]): Args {
  const args: Args = { runs: 3, duration: 20, rates: [50, 200] };
  for (let i = 0; i < argv.length; i += 2) {
    const value = argv[i + 1];
    if (argv[i] === '--runs') args.runs = Number(value);
    else if (argv[i] === '--duration') args.duration = Number(value);
    else if (argv[i] === '--rates') args.rates = value.split(',').map(Number);
    else throw new Error(`unknown argument ${argv[i]}: npm run bench:test-harness -- [--runs N] [--duration S] [--rates 50,200]`);
  }
  return args;
}

function ensureArtillery(): void {
  if (fs.existsSync(ARTILLERY)) return;
  process.stdout.write('installing artillery@2 into bench/test-harness/.tools (once)...\n');
  fs.mkdirSync(TOOLS, { recursive: true });
  if (!fs.existsSync(path.join(TOOLS, 'package.json'))) fs.writeFileSync(path.join(TOOLS, 'package.json'), '{"name":"bench-tools","private":true}\n');
  // --ignore-scripts: artillery's playwright engine would download a browser (no internet here; not needed for HTTP).
  execFileSync('npm', ['install', 'artillery@2', '--no-audit', '--no-fund', '--ignore-scripts'], { cwd: TOOLS, stdio: 'inherit', env: { ...process.env, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1' } });
}

/** Runs `command` under a shell and returns its output and the CPU seconds of its waited children. */
function runMeasured(command: string[], env: NodeJS.ProcessEnv): Promise<{ stdout: string; cpuSeconds: number }> {
  const quoted = command.map((c) => `'${c.replace(/'/g, `'\\''`)}'`).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', `${quoted} > "$OUT" 2>&1; status=$?; times >&2; exit $status`], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    child.on('exit', (code) => {
      const out = fs.readFileSync(env.OUT!, 'utf8');
      // `times`: the shell's own user/sys, then its children's: "0m1.234s 0m0.056s".
      const lines = stderr.trim().split('\n').slice(-1)[0].split(/\s+/);
      const seconds = (t: string) => {
        const m = /^(\d+)m([\d.]+)s$/.exec(t);
        return m ? Number(m[1]) * 60 + Number(m[2]) : NaN;
      };
      if (code !== 0) return reject(new Error(`${command.join(' ')} failed (${code}):\n${out.slice(-2000)}`));
      resolve({ stdout: out, cpuSeconds: seconds(lines[0]) + seconds(lines[1]) });
    });
  });
}

interface Cell {
  count: number;
  errors: number;
  cpuSeconds: number;
}

async function runHarness(url: string, rate: number, duration: number): Promise<Cell> {
  const out = path.join(os.tmpdir(), `bench-harness-${process.pid}.txt`);
  const { stdout, cpuSeconds } = await runMeasured(
    [process.execPath, '-r', 'ts-node/register/transpile-only', path.join(ROOT, 'bin', 'test-harness-local.ts'), '--url', url, '--body', JSON.stringify(BODY), '--rate', String(rate), '--duration', String(duration)],
    { ...process.env, OUT: out, TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.json') },
  );
  const summary = JSON.parse(stdout.trim().split('\n').slice(-1)[0]);
  return { count: summary.count, errors: summary.errors, cpuSeconds };
}

async function runArtillery(url: string, rate: number, duration: number): Promise<Cell> {
  const target = new URL(url);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-artillery-'));
  const config = path.join(dir, 'load.json');
  fs.writeFileSync(
    config,
    JSON.stringify({
      config: { target: target.origin, phases: [{ duration, arrivalRate: rate }], http: { timeout: 30 } },
      scenarios: [{ flow: [{ post: { url: target.pathname, json: BODY } }] }],
    }),
  );
  const report = path.join(dir, 'report.json');
  try {
    const { cpuSeconds } = await runMeasured([process.execPath, ARTILLERY, 'run', '--quiet', '--output', report, config], {
      ...process.env,
      OUT: path.join(dir, 'out.txt'),
      ARTILLERY_DISABLE_TELEMETRY: 'true',
      ARTILLERY_TELEMETRY_DEFAULTS: '{}',
    });
    const counters = JSON.parse(fs.readFileSync(report, 'utf8')).aggregate.counters as Record<string, number>;
    const ok = counters['http.codes.200'] ?? 0;
    const count = counters['http.requests'] ?? 0;
    return { count, errors: count - ok, cpuSeconds };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function startTarget(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', path.join(__dirname, 'target.ts')], {
    env: { ...process.env, TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.json'), POWERTOOLS_LOG_LEVEL: 'ERROR', ALLOWED_ORIGINS: '*' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let text = '';
    child.stdout!.on('data', (chunk) => {
      text += chunk;
      if (text.includes('\n')) resolve(text.split('\n')[0].trim());
    });
    child.once('exit', (code) => reject(new Error(`the target exited (${code})`)));
  });
  child.stdout!.resume();
  return { url, child };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  ensureArtillery();
  const { url, child } = await startTarget();
  try {
    process.stdout.write(`target ${url}; ${args.runs} run(s) per cell, ${args.duration} s each; load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}\n`);
    const rows: string[] = [];
    for (const rate of args.rates) {
      const cells: Record<'harness' | 'artillery', Cell[]> = { harness: [], artillery: [] };
      for (let run = 0; run < args.runs; run++) {
        for (const tool of ['harness', 'artillery'] as const) {
          const cell = tool === 'harness' ? await runHarness(url, rate, args.duration) : await runArtillery(url, rate, args.duration);
          cells[tool].push(cell);
          process.stdout.write(
            `  ${rate} rps run ${run + 1} ${tool}: ${cell.count} requests (${((cell.count / (rate * args.duration)) * 100).toFixed(1)} % of target), ${cell.errors} errors, ` +
              `${((cell.cpuSeconds * 1000) / Math.max(1, cell.count)).toFixed(2)} ms CPU/request; load ${os.loadavg()[0].toFixed(1)}\n`,
          );
        }
      }
      for (const tool of ['harness', 'artillery'] as const) {
        const c = cells[tool];
        const achieved = median(c.map((x) => x.count / args.duration));
        const cpu = median(c.map((x) => (x.cpuSeconds * 1000) / Math.max(1, x.count)));
        rows.push(`| ${rate} | ${tool} | ${achieved.toFixed(2)} | ${((achieved / rate - 1) * 100).toFixed(2)} % | ${median(c.map((x) => x.errors))} | ${cpu.toFixed(2)} |`);
      }
    }
    process.stdout.write(`\n| target rps | client | achieved rps (median) | vs target | errors | client CPU ms/request (median) |\n|---|---|---|---|---|---|\n${rows.join('\n')}\n`);
  } finally {
    child.kill('SIGTERM');
  }
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
