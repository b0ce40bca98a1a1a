/**
 * POV-Ray prints progress on stderr, lines separated by `\r` or `\n`:
 *   `Rendered 136 of 576 pixels (23%)`, and during radiosity pretrace `Radiosity pre-trace ... (12%)`.
 * The tracker turns that stream into a percentage and decides when it is worth writing to the job record.
 */
const RENDERED = /Rendered\s+(\d+)\s+of\s+(\d+)\s+pixels/i;

/** Progress 0–100 named by one output line, or undefined. Parsing counts as 0–1 %, rendering up to 99. */
export function parseProgressLine(line: string): number | undefined {
  const match = RENDERED.exec(line);
  if (!match) return undefined;
  const done = Number(match[1]);
  const total = Number(match[2]);
  if (!(total > 0)) return undefined;
  // 100 is written only when the PNG is uploaded; a finished trace still has work left.
  return Math.max(0, Math.min(99, Math.floor((done / total) * 100)));
}

export class ProgressTracker {
  private buffer = '';
  private current = 0;
  private lastReported = -1;
  private lastReportedAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly minIntervalMs: number) {}

  get progress(): number {
    return this.current;
  }

  /** Feeds a chunk of output; returns a percentage when it should be reported now (throttled). */
  push(chunk: string, nowMs: number): number | undefined {
    this.buffer += chunk;
    const parts = this.buffer.split(/[\r\n]/);
    this.buffer = parts.pop() ?? '';
    if (this.buffer.length > 4096) this.buffer = this.buffer.slice(-4096);
    for (const part of parts) {
      const value = parseProgressLine(part);
      if (value !== undefined && value > this.current) this.current = value;
    }
    if (this.current > Math.max(0, this.lastReported) && nowMs - this.lastReportedAt >= this.minIntervalMs) {
      this.lastReported = this.current;
      this.lastReportedAt = nowMs;
      return this.current;
    }
    return undefined;
  }
}
