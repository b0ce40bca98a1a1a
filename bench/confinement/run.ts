/**
 * `npm run bench:confinement [-- --pairs N]`: what each confinement backend of povray-jail costs per render,
 * side by side in one process. Each pair renders the same scene twice, in random order, both behind
 * local/sandbox/without-landlock (a seccomp filter, as a container's profile is): once with
 * `--keep-landlock` (Landlock) and once without (Landlock answers ENOSYS as on Fargate: seccomp user
 * notification). Both then pay the same exec and the kernel's speculative-store-bypass mitigation, which
 * any seccomp filter turns on, so the difference is the backend's alone.
 * Reports the median wall time of each and the median paired difference, per scene:
 *   - tiny: one sphere, 64×36 (start-up dominated: the loader's and POV-Ray's own opens);
 *   - seed: the project's seed scene (includes, radiosity), 160×90;
 *   - includes: 40 #includes of the standard library, 32×18 (the most path-taking calls per second).
 * Linux only; needs POV-Ray, a C compiler and the built jail (`npm run build`). The machine is shared:
 * quote medians and ratios, and the load average printed with them.
 */
import { spawnSync } from 'child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { loadavg, tmpdir } from 'os';
import * as path from 'path';
import { confinementPolicy, discoverHost, jailArguments, renderEnvironment } from '../../docker/povray-worker/src/confinement';
import { POVRAY_LIBRARY_DIRS } from '../../docker/povray-worker/src/library';
import { seedSceneZipPath } from '../../local/seed-scene';
import { buildWithoutLandlock } from '../../local/sandbox/without-landlock';
import { median } from '../stats';

const JAIL = path.join(__dirname, '..', '..', 'docker', 'povray-worker', 'dist', 'povray-jail');
const pairs = Number(process.argv[process.argv.indexOf('--pairs') + 1] || 15);

const INCLUDES = ['colors.inc', 'textures.inc', 'shapes.inc', 'metals.inc', 'glass.inc', 'woods.inc', 'stones.inc', 'skies.inc', 'finish.inc', 'math.inc'];
const SCENES: Record<string, { files: (dir: string) => string; size: [number, number] }> = {
  tiny: { size: [64, 36], files: (dir) => write(dir, 'scene.pov', 'camera { location <0,0,-3> look_at 0 }\nlight_source { <2,4,-3>, rgb 1 }\nsphere { 0, 1 pigment { rgb <1,0.5,0> } }\n') },
  includes: {
    size: [32, 18],
    files: (dir) => write(dir, 'scene.pov', `${Array.from({ length: 4 }, () => INCLUDES.map((f) => `#include "${f}"`).join('\n')).join('\n')}\ncamera { location <0,0,-3> look_at 0 }\nlight_source { <2,4,-3>, rgb 1 }\nsphere { 0, 1 texture { T_Stone1 } }\n`),
  },
  seed: {
    size: [160, 90],
    files: (dir) => {
      const unzip = spawnSync('unzip', ['-q', '-o', seedSceneZipPath(), '-d', dir]);
      if (unzip.status !== 0) throw new Error(`unzip failed: ${unzip.stderr}`);
      return spawnSync('sh', ['-c', `cd "${dir}" && ls *.pov | head -1`], { encoding: 'utf8' }).stdout.trim();
    },
  },
};

function write(dir: string, name: string, text: string): string {
  writeFileSync(path.join(dir, name), text);
  return name;
}

function main(): void {
  const wrapper = buildWithoutLandlock();
  const host = discoverHost('povray', POVRAY_LIBRARY_DIRS);
  const results: Record<string, unknown> = {};
  console.log(`povray-jail backends, ${pairs} pairs per scene, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  for (const [name, scene] of Object.entries(SCENES)) {
    const jobDir = mkdtempSync(path.join(tmpdir(), `bench-confine-${name}-`));
    const outDir = path.join(jobDir, 'out');
    const home = path.join(jobDir, 'home');
    mkdirSync(outDir);
    mkdirSync(home);
    const input = scene.files(jobDir);
    const args = jailArguments(confinementPolicy(host, { jobDir, outDir }), {
      env: renderEnvironment(home),
      program: host.povray,
      args: [`+I${input}`, `+W${scene.size[0]}`, `+H${scene.size[1]}`, '-D', '-P', '+FN', `+O${outDir}/out.png`],
    });
    const run = (prefix: string[]): number => {
      const started = process.hrtime.bigint();
      const result = spawnSync(prefix[0], [...prefix.slice(1), JAIL, ...args], { cwd: jobDir, env: {}, encoding: 'utf8' });
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (result.status !== 0) throw new Error(`${name}: ${prefix[0]} render failed (exit ${result.status}): ${result.stderr.slice(-800)}`);
      return ms;
    };
    const landlock: number[] = [];
    const unotify: number[] = [];
    run([wrapper, '--keep-landlock', '--']); // warm the page cache
    for (let i = 0; i < pairs; i++) {
      const order = Math.random() < 0.5;
      const a = order ? run([wrapper, '--keep-landlock', '--']) : 0;
      const b = run([wrapper, '--']);
      const c = order ? a : run([wrapper, '--keep-landlock', '--']);
      landlock.push(c);
      unotify.push(b);
    }
    const diffs = landlock.map((l, i) => unotify[i] - l);
    results[name] = { landlockMs: median(landlock), unotifyMs: median(unotify), pairedDiffMs: median(diffs) };
    console.log(
      `${name.padEnd(9)} landlock ${median(landlock).toFixed(1)} ms   seccomp-unotify ${median(unotify).toFixed(1)} ms   ` +
        `median paired difference ${median(diffs) >= 0 ? '+' : ''}${median(diffs).toFixed(1)} ms (${((median(unotify) / median(landlock) - 1) * 100).toFixed(1)} %)`,
    );
    rmSync(jobDir, { recursive: true, force: true });
  }
  rmSync(path.dirname(wrapper), { recursive: true, force: true });
  console.log(`load average after: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  console.log(JSON.stringify(results));
}

main();
