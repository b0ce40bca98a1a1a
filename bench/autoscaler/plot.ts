/**
 * One self-contained SVG of a simulator run: a panel per policy, all on one time axis, each showing the
 * queue depth, the running capacity (and the target it was given) and every job's wait at the time it started.
 */
import { SimResult, Timeline } from './simulator';

const PANEL_HEIGHT = 150;
const WIDTH = 960;
const LEFT = 60;
const RIGHT = 70;
const TOP = 52;
const GAP = 34;
const COLORS = { queue: '#4878d0', running: '#ee854a', target: '#8c8c8c', wait: '#d65f5f' };

const escape = (text: string) => text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
const fmt = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(1));

/** A round step for about `ticks` ticks up to `max`. */
export function niceStep(max: number, ticks = 4): number {
  if (max <= 0) return 1;
  const raw = max / ticks;
  const power = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * power).find((step) => step >= raw)!;
}

/** The longest wait among the jobs that started in each minute: one dot per minute keeps the file small. */
export function longestWaitPerMinute(waits: Timeline['waits']): Timeline['waits'] {
  const byMinute = new Map<number, Timeline['waits'][number]>();
  for (const wait of waits) {
    const minute = Math.floor(wait.startSeconds / 60);
    if ((byMinute.get(minute)?.waitSeconds ?? -1) < wait.waitSeconds) byMinute.set(minute, wait);
  }
  return [...byMinute.values()].sort((a, b) => a.startSeconds - b.startSeconds);
}

/** The SVG text for `results` (each simulated with `recordTimeline`). */
export function plotSvg(title: string, results: Record<string, SimResult>): string {
  const entries = Object.entries(results).filter((e): e is [string, SimResult & { timeline: Timeline }] => e[1].timeline !== undefined);
  if (entries.length === 0) throw new Error('no timeline to plot: simulate with recordTimeline');
  const endSeconds = Math.max(...entries.map(([, r]) => r.endSeconds), 60);
  const hours = endSeconds >= 3 * 3600;
  const unit = hours ? 3600 : 60;
  const plotWidth = WIDTH - LEFT - RIGHT;
  const x = (seconds: number) => LEFT + (seconds / endSeconds) * plotWidth;
  const height = TOP + entries.length * (PANEL_HEIGHT + GAP) + 40;
  // One scale for every panel, so panels compare at a glance.
  const countMax = Math.max(1, ...entries.flatMap(([, r]) => r.timeline.samples.map((s) => Math.max(s.queueDepth, s.running, s.target))));
  const countStep = niceStep(countMax);
  const countTop = Math.ceil(countMax / countStep) * countStep;
  const waitMax = Math.max(1, ...entries.flatMap(([, r]) => r.timeline.waits.map((w) => w.waitSeconds)));
  const waitStep = niceStep(waitMax);
  const waitTop = Math.ceil(waitMax / waitStep) * waitStep;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${LEFT}" y="18" font-size="14" font-weight="bold">${escape(title)}</text>`,
    `<g transform="translate(${LEFT},24)">` +
      `<rect width="12" height="8" y="2" fill="${COLORS.queue}" fill-opacity="0.35"/><text x="16" y="10">queue depth (messages)</text>` +
      `<line x1="150" x2="166" y1="6" y2="6" stroke="${COLORS.running}" stroke-width="2"/><text x="170" y="10">running instances</text>` +
      `<line x1="275" x2="291" y1="6" y2="6" stroke="${COLORS.target}" stroke-dasharray="3,2"/><text x="295" y="10">target</text>` +
      `<circle cx="345" cy="6" r="2.5" fill="${COLORS.wait}"/><text x="352" y="10">longest job wait per minute (s, right axis)</text></g>`,
  ];
  entries.forEach(([name, result], index) => {
    const top = TOP + index * (PANEL_HEIGHT + GAP) + 14;
    const bottom = top + PANEL_HEIGHT;
    const { samples } = result.timeline;
    const waits = longestWaitPerMinute(result.timeline.waits);
    const yCount = (v: number) => bottom - (v / countTop) * PANEL_HEIGHT;
    const yWait = (v: number) => bottom - (v / waitTop) * PANEL_HEIGHT;
    const cost = (result as SimResult & { costUsd?: number }).costUsd;
    out.push(
      `<text x="${LEFT}" y="${top - 5}" font-weight="bold">${escape(name)}</text>` +
        `<text x="${LEFT + 150}" y="${top - 5}">p95 wait ${fmt(result.p95WaitSeconds)} s · ${fmt(result.instanceHours)} instance-hours${cost === undefined ? '' : ` · $${cost.toFixed(2)}`} · peak ${result.peakCapacity}</text>`,
      `<rect x="${LEFT}" y="${top}" width="${plotWidth}" height="${PANEL_HEIGHT}" fill="none" stroke="#ccc"/>`,
    );
    for (let v = 0; v <= countTop; v += countStep) {
      out.push(`<line x1="${LEFT}" x2="${LEFT + plotWidth}" y1="${yCount(v)}" y2="${yCount(v)}" stroke="#eee"/><text x="${LEFT - 6}" y="${yCount(v) + 4}" text-anchor="end">${fmt(v)}</text>`);
    }
    for (let v = 0; v <= waitTop; v += waitStep) {
      out.push(`<text x="${LEFT + plotWidth + 6}" y="${yWait(v) + 4}" fill="${COLORS.wait}">${fmt(v)}</text>`);
    }
    if (samples.length > 0) {
      const area = samples.map((s) => `${x(s.seconds).toFixed(1)},${yCount(s.queueDepth).toFixed(1)}`).join(' ');
      out.push(`<polygon points="${x(samples[0].seconds).toFixed(1)},${bottom} ${area} ${x(samples[samples.length - 1].seconds).toFixed(1)},${bottom}" fill="${COLORS.queue}" fill-opacity="0.35"/>`);
      const step = (key: 'running' | 'target') =>
        samples.map((s, i) => `${i === 0 ? 'M' : 'H'}${x(s.seconds).toFixed(1)}${i === 0 ? ',' : ' V'}${yCount(s[key]).toFixed(1)}`).join(' ');
      out.push(`<path d="${step('target')}" fill="none" stroke="${COLORS.target}" stroke-dasharray="3,2"/>`);
      out.push(`<path d="${step('running')}" fill="none" stroke="${COLORS.running}" stroke-width="1.6"/>`);
    }
    out.push(...waits.map((w) => `<circle cx="${x(w.startSeconds).toFixed(1)}" cy="${yWait(w.waitSeconds).toFixed(1)}" r="1.6" fill="${COLORS.wait}" fill-opacity="0.6"/>`));
  });
  const axisY = TOP + entries.length * (PANEL_HEIGHT + GAP) - GAP + 14;
  const tickStep = niceStep(endSeconds / unit, 8);
  for (let t = 0; t <= endSeconds / unit + 1e-9; t += tickStep) {
    out.push(`<line x1="${x(t * unit)}" x2="${x(t * unit)}" y1="${axisY}" y2="${axisY + 4}" stroke="#333"/><text x="${x(t * unit)}" y="${axisY + 16}" text-anchor="middle">${fmt(t)}</text>`);
  }
  out.push(`<text x="${LEFT + plotWidth / 2}" y="${axisY + 32}" text-anchor="middle">time (${hours ? 'hours' : 'minutes'})</text>`, '</svg>');
  return out.join('\n');
}
