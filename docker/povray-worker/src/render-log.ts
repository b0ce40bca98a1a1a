import { printable } from './log';

/**
 * The render log uploaded beside the PNG: the worker's own notes followed by POV-Ray's console output
 * (`\r` progress updates turned into lines), capped so a chatty scene cannot fill the disk or the bucket.
 */
export class RenderLog {
  private head = '';
  private tail = '';
  private dropped = 0;

  constructor(private readonly capBytes = 512 * 1024) {}

  /** A line from the worker itself. */
  note(line: string, now = new Date()): void {
    this.append(`[worker ${now.toISOString()}] ${line}\n`);
  }

  /** A chunk of POV-Ray output. */
  output(chunk: string): void {
    // Line breaks and tabs stay; any other control character (escape sequences) is shown as \xNN.
    this.append(chunk.replace(/\r\n?/g, '\n').replace(/[^\n\t]+/g, printable));
  }

  private append(text: string): void {
    const half = this.capBytes / 2;
    if (this.head.length < half) {
      const room = half - this.head.length;
      this.head += text.slice(0, room);
      text = text.slice(room);
    }
    if (text.length === 0) return;
    this.tail += text;
    if (this.tail.length > half) {
      this.dropped += this.tail.length - half;
      this.tail = this.tail.slice(this.tail.length - half);
    }
  }

  toString(): string {
    return this.dropped > 0 ? `${this.head}\n[... ${this.dropped} characters of output left out ...]\n${this.tail}` : this.head + this.tail;
  }
}

/**
 * The part of POV-Ray's output that says why a render failed: its parse error (with the continuation
 * lines POV-Ray wraps it onto), else its fatal error line, else the last lines of output.
 */
export function summarizePovrayFailure(output: string): string {
  // Quoted into the job record: printable, and short.
  const text = failureLines(output);
  return text.length > 400 ? `${text.slice(0, 400)}...` : text;
}

function failureLines(output: string): string {
  const lines = output.replace(/\r\n?/g, '\n').split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (/Parse Error:|Possible Parse Error/.test(lines[i]) && !/^Possible/.test(lines[i])) {
      let text = lines[i].trim();
      for (let j = i + 1; j < lines.length && lines[j].startsWith(' '); j++) text += ` ${lines[j].trim()}`;
      return printable(text);
    }
  }
  const fatal = lines.find((l) => /^Fatal error|Error:/i.test(l.trim()));
  if (fatal) return printable(fatal.trim());
  const last = lines.map((l) => l.trim()).filter((l) => l.length > 0 && !/^Rendered \d+ of/.test(l));
  return printable(last.slice(-3).join(' / ')) || 'no output';
}
