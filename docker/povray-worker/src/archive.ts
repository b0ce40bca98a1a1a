import { createWriteStream, mkdirSync } from 'fs';
import * as path from 'path';
import { Transform, TransformCallback } from 'stream';
import { pipeline } from 'stream/promises';
import * as yauzl from 'yauzl';
import { PermanentJobError } from './failures';
import { printable } from './log';

export interface ArchiveLimits {
  /** Most entries (files and directories) the archive may hold. */
  readonly maxEntries: number;
  /** Most bytes all entries may inflate to together, counted while inflating. */
  readonly maxUncompressedBytes: number;
}

/** A rejected archive: permanent, the reason names the entry and the rule. */
export class ArchiveRejected extends PermanentJobError {
  constructor(message: string) {
    super(`archive rejected: ${message}`, 'archive-rejected');
  }
}

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;

export type EntryKind = 'file' | 'directory';

/**
 * Checks an entry's name and type; returns the safe relative path (forward slashes, no trailing slash) or
 * throws ArchiveRejected. Pure: `externalFileAttributes` and `versionMadeBy` are the zip header fields.
 */
export function checkEntry(name: string, externalFileAttributes: number, versionMadeBy: number): { path: string; kind: EntryKind } {
  const shown = printable(JSON.stringify(name));
  if (name.length === 0) throw new ArchiveRejected('an entry has an empty name');
  if (name.includes('\0')) throw new ArchiveRejected(`entry ${shown} has a NUL character in its name`);
  // Control characters (newlines, escape sequences) would forge lines in logs; no scene needs them.
  if (/[\x00-\x1f\x7f-\x9f]/.test(name)) throw new ArchiveRejected(`entry ${shown} has a control character in its name`);
  if (name.includes('\\')) throw new ArchiveRejected(`entry ${shown} uses a backslash; zip paths use "/"`);
  if (name.startsWith('/') || /^[a-zA-Z]:/.test(name)) throw new ArchiveRejected(`entry ${shown} has an absolute path`);
  const segments = name.split('/');
  const isDirectoryName = name.endsWith('/');
  if (isDirectoryName) segments.pop();
  if (segments.some((s) => s === '..')) throw new ArchiveRejected(`entry ${shown} climbs out of the archive with ".."`);
  if (segments.some((s) => s === '' || s === '.')) throw new ArchiveRejected(`entry ${shown} has an empty or "." path segment`);
  // Unix hosts (versionMadeBy high byte 3) keep the file mode in the high 16 bits of the attributes.
  const madeOnUnix = versionMadeBy >> 8 === 3;
  const mode = (externalFileAttributes >>> 16) & 0xffff;
  const type = mode & S_IFMT;
  if ((madeOnUnix || mode !== 0) && type === S_IFLNK) throw new ArchiveRejected(`entry ${shown} is a symbolic link`);
  if (type !== 0 && type !== S_IFREG && type !== S_IFDIR) {
    throw new ArchiveRejected(`entry ${shown} is not a regular file or directory (mode ${type.toString(8)})`);
  }
  const msDosDirectory = (externalFileAttributes & 0x10) !== 0;
  const kind: EntryKind = isDirectoryName || type === S_IFDIR || msDosDirectory ? 'directory' : 'file';
  return { path: segments.join('/'), kind };
}

/** Counts the bytes that really come out of the inflater and stops at the budget. */
class ByteBudget extends Transform {
  constructor(
    private readonly budget: { remaining: number },
    private readonly name: string,
    private readonly limit: number,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.budget.remaining -= chunk.length;
    if (this.budget.remaining < 0) {
      callback(new ArchiveRejected(`it inflates to more than ${this.limit} bytes (stopped in entry ${JSON.stringify(this.name)}): a zip bomb or too large a scene`));
      return;
    }
    callback(null, chunk);
  }
}

function openZip(file: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    // decodeStrings off: names are decoded and checked here, with reasons a user can act on.
    yauzl.open(file, { lazyEntries: true, autoClose: true, decodeStrings: false, validateEntrySizes: true, strictFileNames: false }, (error, zip) => {
      if (error) reject(new ArchiveRejected(`it is not a readable zip file (${error.message})`));
      else resolve(zip);
    });
  });
}

function openEntry(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<NodeJS.ReadableStream> {
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, (error, stream) => (error ? reject(new ArchiveRejected(error.message)) : resolve(stream)));
  });
}

/**
 * Extracts the zip at `file` into the empty directory `into`, or throws ArchiveRejected. Every name is
 * checked before anything is written; files are created exclusively (`wx`), so nothing is overwritten and
 * nothing outside `into` is touched. Returns the relative paths of the extracted files.
 */
export async function extractArchive(file: string, into: string, limits: ArchiveLimits): Promise<string[]> {
  const zip = await openZip(file);
  if (zip.entryCount > limits.maxEntries) {
    zip.close();
    throw new ArchiveRejected(`it holds ${zip.entryCount} entries, more than the limit of ${limits.maxEntries}`);
  }
  const root = path.resolve(into);
  const budget = { remaining: limits.maxUncompressedBytes };
  const files: string[] = [];
  const seen = new Set<string>();
  try {
    await new Promise<void>((resolve, reject) => {
      let failed = false;
      const fail = (error: unknown) => {
        if (failed) return;
        failed = true;
        reject(error instanceof PermanentJobError ? error : new ArchiveRejected(error instanceof Error ? error.message : String(error)));
      };
      zip.on('error', fail);
      zip.on('end', () => !failed && resolve());
      zip.on('entry', (entry: yauzl.Entry) => {
        (async () => {
          const rawName = entry.fileName as unknown as Buffer;
          const name = yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, rawName, entry.extraFields, false);
          // A name without the UTF-8 flag is CP437, which draws bytes 0x01-0x1F as glyphs ("\n" as "◙"):
          // refuse control bytes in the raw name rather than let decoding transliterate them.
          if (rawName.some((b) => b < 0x20 || b === 0x7f)) throw new ArchiveRejected(`entry ${printable(JSON.stringify(rawName.toString('latin1')))} has a control character in its name`);
          const checked = checkEntry(name, entry.externalFileAttributes, entry.versionMadeBy);
          const folded = checked.path.toLowerCase();
          if (checked.kind === 'file' && seen.has(folded)) throw new ArchiveRejected(`entry ${JSON.stringify(name)} appears twice`);
          seen.add(folded);
          if (entry.uncompressedSize > budget.remaining) {
            throw new ArchiveRejected(
              `entry ${JSON.stringify(name)} declares ${entry.uncompressedSize} bytes, over the limit of ${limits.maxUncompressedBytes} bytes for the whole archive`,
            );
          }
          const target = path.resolve(root, checked.path);
          if (target !== root && !target.startsWith(root + path.sep)) throw new ArchiveRejected(`entry ${JSON.stringify(name)} resolves outside the job directory`);
          if (checked.kind === 'directory') {
            mkdirSync(target, { recursive: true, mode: 0o700 });
          } else {
            mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
            const stream = await openEntry(zip, entry);
            await pipeline(stream, new ByteBudget(budget, name, limits.maxUncompressedBytes), createWriteStream(target, { flags: 'wx', mode: 0o600 }));
            files.push(checked.path);
          }
        })().then(
          () => !failed && zip.readEntry(),
          (error) => {
            zip.close();
            fail(error);
          },
        );
      });
      zip.readEntry();
    });
  } finally {
    if (zip.isOpen) zip.close();
  }
  return files;
}
