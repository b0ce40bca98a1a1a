#!/usr/bin/env node
// Test stand-in whose render takes at least MIN_SECONDS, whatever the machine's speed: it runs the real
// renderer command (the confinement launcher, which runs the real POV-Ray) on the real arguments, holds back POV-Ray's output and reports paced progress lines
// ("Rendered k of 100 pixels") until MIN_SECONDS have passed and POV-Ray has exited, then writes POV-Ray's
// output and exits as POV-Ray did. The worker's lifecycle tests (SIGTERM/SIGKILL mid-render, heartbeat,
// grace period) need a render that is still running when they act, by construction rather than by CPU.
//
//   paced-povray.cjs <MIN_SECONDS> <command> <arguments...>
'use strict';
const { spawn } = require('child_process');

const minMs = Number(process.argv[2]) * 1000;
if (!(minMs >= 0)) {
  process.stderr.write(`paced-povray: expected MIN_SECONDS first, got ${JSON.stringify(process.argv[2])}\n`);
  process.exit(2);
}
// The worker gone (its end of the pipe closed): stop at once, as POV-Ray would on SIGPIPE.
process.stdout.on('error', () => process.exit(1));
process.stderr.on('error', () => process.exit(1));

const started = Date.now();
process.stderr.write(`paced-povray (test stand-in): real POV-Ray, output held for at least ${minMs / 1000} s\n`);
// The launcher's parent is this stand-in, not the worker: it is the process whose death must end POV-Ray
// (povray-jail --parent-pid refuses to start under any other parent).
const args = process.argv.slice(4).map((arg, i, all) => (all[i - 1] === '--parent-pid' ? String(process.pid) : arg));
const povray = spawn(process.argv[3], args, { stdio: ['ignore', 'pipe', 'pipe'] });
const held = [];
povray.stdout.on('data', (chunk) => held.push([process.stdout, chunk]));
povray.stderr.on('data', (chunk) => held.push([process.stderr, chunk]));
let ended;
povray.once('error', (error) => {
  process.stderr.write(`paced-povray: cannot run ${process.argv[3]}: ${error.message}\n`);
  process.exit(127);
});
povray.once('close', (code, signal) => {
  ended = { code, signal };
  finishIfDue();
});

let reported = 0;
const ticker = setInterval(() => {
  const percent = Math.min(99, Math.floor(((Date.now() - started) / Math.max(1, minMs)) * 100));
  if (percent > reported) {
    reported = percent;
    process.stderr.write(`Rendered ${percent} of 100 pixels (${percent}%)\n`);
  }
  finishIfDue();
}, 200);

function finishIfDue() {
  if (!ended || Date.now() - started < minMs) return;
  clearInterval(ticker);
  for (const [stream, chunk] of held) stream.write(chunk);
  if (ended.signal) process.kill(process.pid, ended.signal);
  else process.stdout.write('', () => process.exit(ended.code ?? 1));
}
