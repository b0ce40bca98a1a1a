// The simulator's plot and cost: a panel per policy on one time axis, and cost = instance-hours × price.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { run } from '../../bench/autoscaler/cli';
import { longestWaitPerMinute, plotSvg } from '../../bench/autoscaler/plot';
import { simulate } from '../../bench/autoscaler/simulator';
import { POLICIES } from '../../bench/autoscaler/policies';

const TRACE = Array.from({ length: 40 }, (_, i) => ({ arrivalSeconds: 600 + i * 5, durationSeconds: 300 }));

describe('bench:autoscaler --plot', () => {
  it('records a timeline only when asked, with one sample a minute and a wait per completed job', () => {
    expect(simulate(TRACE, POLICIES.ours(), { seed: 1 }).timeline).toBeUndefined();
    const { timeline, jobs } = simulate(TRACE, POLICIES.ours(), { seed: 1, recordTimeline: true });
    expect(timeline!.waits).toHaveLength(jobs.done);
    expect(timeline!.samples[1].seconds - timeline!.samples[0].seconds).toBe(60);
    expect(Math.max(...timeline!.samples.map((s) => s.queueDepth))).toBeGreaterThan(0);
  });

  it('writes one self-contained SVG with a panel per policy, and prices each run', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plot-'));
    const trace = path.join(dir, 'trace.json');
    fs.writeFileSync(trace, JSON.stringify(TRACE));
    const out = path.join(dir, 'out.svg');
    const result = run(['--trace', trace, '--plot', out, '--instance-hour-usd', '0.5']);
    const svg = fs.readFileSync(out, 'utf8');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).not.toMatch(/href=|<script|<image/);
    for (const [name, r] of Object.entries(result.results)) {
      expect(svg).toContain(`>${name}</text>`);
      expect(Math.abs(r.costUsd - r.instanceHours * 0.5)).toBeLessThanOrEqual(0.005 + 1e-9);
      expect((r as { timeline?: unknown }).timeline).toBeUndefined();
    }
    expect(svg.match(/>time \((minutes|hours)\)</g)).toHaveLength(1);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the longest wait of each minute', () => {
    expect(longestWaitPerMinute([{ startSeconds: 10, waitSeconds: 5 }, { startSeconds: 50, waitSeconds: 9 }, { startSeconds: 70, waitSeconds: 1 }])).toEqual([
      { startSeconds: 50, waitSeconds: 9 },
      { startSeconds: 70, waitSeconds: 1 },
    ]);
    expect(() => plotSvg('x', {})).toThrow(/recordTimeline/);
  });
});
