import { closeSync, fstatSync, openSync, readSync } from 'fs';
import { printable } from './log';

/** What begins every line of POV-Ray's in the render log, so no line of a scene's can pass for the worker's. */
export const POVRAY_LINE_PREFIX = 'povray| ';

/**
 * The render log uploaded beside the PNG: the worker's own notes (`[worker <time>] ...`) and POV-Ray's
 * output, every line of which starts with {@link POVRAY_LINE_PREFIX} (`\r` progress updates turned into
 * lines, control characters escaped), capped so a chatty scene cannot fill the disk or the bucket. A scene
 * prints what it likes (`#debug "\n[worker ...] render cancelled"`), but only ever after the prefix.
 */
export class RenderLog {
  private head = '';
  private tail = '';
  private dropped = 0;
  private partial = '';

  constructor(private readonly capBytes = 512 * 1024) {}

  /** A line from the worker itself. */
  note(line: string, now = new Date()): void {
    this.flush();
    this.append(`[worker ${now.toISOString()}] ${line}\n`);
  }

  /** A chunk of POV-Ray output; an unfinished last line waits for the rest of it. */
  output(chunk: string): void {
    const lines = (this.partial + chunk).split(/\r\n?|\n/);
    this.partial = lines.pop() ?? '';
    if (this.partial.length > 4096) {
      lines.push(this.partial);
      this.partial = '';
    }
    // Tabs stay; any other control character (escape sequences) is shown as \xNN.
    for (const line of lines) this.append(`${POVRAY_LINE_PREFIX}${line.replace(/[^\t]+/g, printable)}\n`);
  }

  private flush(): void {
    if (this.partial) this.output('\n');
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
    this.flush();
    return this.dropped > 0 ? `${this.head}\n[... ${this.dropped} characters of output left out ...]\n${this.tail}` : this.head + this.tail;
  }
}

/**
 * The command-line options that send POV-Ray's message streams (debug, warning, fatal, statistics: the
 * ones `#debug`, `#warning` and `#error` write to) to `fileName` instead of the console. The console
 * (stderr) then carries only POV-Ray's own status: its banners, "Rendered N of M pixels" and its fatal
 * status lines, which no scene can print; progress is read from there alone. POV-Ray writes the file in
 * the image's directory and refuses any other ("Stream output files must reside in same directory as image
 * output file"), so it takes a bare name.
 */
export function streamsToFile(fileName: string): string[] {
  if (fileName.includes('/')) throw new Error(`streamsToFile takes a bare file name, not ${fileName}`);
  return ['All_Console=Off', `All_File=${fileName}`];
}

/** The head and tail of a file a scene may have made huge, `capBytes` at most; '' when there is none. */
export function readCapped(file: string, capBytes = 256 * 1024): string {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return '';
  }
  try {
    const size = fstatSync(fd).size;
    const read = (position: number, length: number) => {
      const buffer = Buffer.alloc(length);
      return buffer.subarray(0, readSync(fd, buffer, 0, length, position)).toString('latin1');
    };
    if (size <= capBytes) return read(0, size);
    const half = Math.floor(capBytes / 2);
    return `${read(0, half)}\n[... ${size - 2 * half} bytes left out ...]\n${read(size - half, half)}`;
  } finally {
    closeSync(fd);
  }
}

/**
 * Why a render failed, in POV-Ray's words: the last `Parse Error:` of its message streams (with the
 * continuation lines it wraps onto, and the file and line it names), else its fatal status line, else the
 * last lines of output. "Possible Parse Error" and "Parse Warning" are warnings, never the reason. The last
 * error, not the first: a scene can print a fake one, but POV-Ray's own stops the parse.
 */
export function summarizePovrayFailure(streams: string, console = ''): string {
  // Quoted into the job record: printable, and short.
  const text = failureLines(streams, console);
  return text.length > 400 ? `${text.slice(0, 400)}...` : text;
}

function failureLines(streams: string, console: string): string {
  const lines = streams.replace(/\r\n?/g, '\n').split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const error = /^(File '.*' line \d+: )?Parse Error:/.exec(lines[i]);
    if (!error) continue;
    let text = lines[i].trim();
    for (let j = i + 1; j < lines.length && lines[j].startsWith(' '); j++) text += ` ${lines[j].trim()}`;
    // POV-Ray names the place on an earlier line: "File: b.pov  Line: 3" (console form: "File 'b.pov' line 3:").
    for (let k = i - 1; k >= 0 && !error[1]; k--) {
      const where = /^File: (.*?)\s+Line: (\d+)$/.exec(lines[k]);
      if (where) {
        text = `File '${where[1]}' line ${where[2]}: ${text}`;
        break;
      }
    }
    return printable(text);
  }
  const consoleLines = console.replace(/\r\n?/g, '\n').split('\n').map((l) => l.trim());
  const all = [...lines.map((l) => l.trim()), ...consoleLines];
  const fatal = consoleLines.find((l) => /^Fatal error/i.test(l)) ?? all.find((l) => /^(Fatal error|Error:)/i.test(l));
  if (fatal) return printable(fatal);
  const last = all.filter((l) => l.length > 0 && !/^Rendered \d+ of/.test(l));
  return printable(last.slice(-3).join(' / ')) || 'no output';
}
