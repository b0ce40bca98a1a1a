import { run } from './cli';
const seeds = [1, 2, 3, 4, 5];
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const t of ['steady', 'bursty', 'daily']) {
  const outs = seeds.map((seed) => run(['--trace', `bench/autoscaler/traces/${t}.json`, '--seed', String(seed)]) as any);
  for (const p of Object.keys(outs[0].results)) {
    const m = (k: string) => median(outs.map((o) => o.results[p][k]));
    console.log([t, p, m('p50WaitSeconds'), m('p95WaitSeconds'), m('instanceHours'), m('peakBacklog'), m('lostJobs'), m('spotInterruptions')].join(' | '));
  }
}
