/**
 * A static check of POV-Ray scene language (SDL) files. Debian's POV-Ray does not enforce its own
 * `[File I/O Security]`, so the worker refuses, before rendering, every construct that could touch a file
 * outside the job directory:
 *   - file I/O directives (`#fopen`, `#read`, `#write`, `#fclose`), with or without `#`;
 *   - `#include` of anything but a string literal naming a file in the archive or a standard include;
 *   - image/font/density file names (`png "x"`, `ttf "x"`, `df3 "x"` ...) that are not string literals
 *     (or names `#declare`d as string literals) with a relative path inside the job directory;
 *   - `file_exists` with anything but such a literal;
 *   - macros of the standard include library that read or write files (e.g. `Parse_String`,
 *     `BuildWriteMesh2`, `HF_Square`), found by scanning the library itself.
 * It is deliberately conservative: a scene that builds file names at parse time is refused, with a
 * reason that says so.
 */
import { PermanentJobError } from './failures';

export class SceneRejected extends PermanentJobError {
  constructor(message: string) {
    super(`scene rejected: ${message}`, 'scene-rejected');
  }
}

export type Token =
  | { kind: 'word'; value: string; line: number }
  | { kind: 'string'; value: string; line: number }
  | { kind: 'symbol'; value: string; line: number }
  | { kind: 'number'; value: string; line: number };

const isWordStart = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const isWordPart = (c: number) => isWordStart(c) || (c >= 48 && c <= 57);
const isNumberPart = (c: number) => (c >= 48 && c <= 57) || c === 46 || c === 101 || c === 69;

/** Splits SDL source into words, strings, numbers and symbols; comments (nested `/* *\/`) are dropped. */
export function tokenize(source: string, fileName = 'scene'): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  const n = source.length;
  while (i < n) {
    const c = source.charCodeAt(i);
    const next = source.charCodeAt(i + 1);
    if (c === 10 || (c === 13 && next !== 10)) {
      // POV-Ray ends a line at LF, CRLF and a lone CR alike.
      line++;
      i++;
    } else if (c === 32 || c === 9 || c === 13 || c === 12 || c === 11) {
      i++;
    } else if (c === 47 && next === 47) {
      // line comment: to the end of the line, which a lone CR ends too (else "// x<CR>#include ..." hides code)
      while (i < n && source.charCodeAt(i) !== 10 && source.charCodeAt(i) !== 13) i++;
    } else if (c === 47 && next === 42) {
      // block comment; POV-Ray nests them
      let depth = 1;
      i += 2;
      while (i < n && depth > 0) {
        const d = source.charCodeAt(i);
        const e = source.charCodeAt(i + 1);
        if (d === 47 && e === 42) {
          depth++;
          i += 2;
        } else if (d === 42 && e === 47) {
          depth--;
          i += 2;
        } else {
          if (d === 10) line++;
          i++;
        }
      }
    } else if (c === 34) {
      const start = line;
      let j = i + 1;
      while (j < n && source.charCodeAt(j) !== 34) {
        if (source.charCodeAt(j) === 92 && j + 1 < n) j++; // backslash escape: keep both characters
        else if (source.charCodeAt(j) === 10) line++;
        j++;
      }
      if (j >= n) throw new SceneRejected(`${fileName}:${start}: unterminated string`);
      tokens.push({ kind: 'string', value: source.slice(i + 1, j), line: start });
      i = j + 1;
    } else if (isWordStart(c)) {
      let j = i + 1;
      while (j < n && isWordPart(source.charCodeAt(j))) j++;
      tokens.push({ kind: 'word', value: source.slice(i, j), line });
      i = j;
    } else if (isNumberPart(c) && c !== 101 && c !== 69) {
      let j = i + 1;
      while (j < n && isNumberPart(source.charCodeAt(j))) j++;
      tokens.push({ kind: 'number', value: source.slice(i, j), line });
      i = j;
    } else {
      tokens.push({ kind: 'symbol', value: source[i], line });
      i++;
    }
  }
  return tokens;
}

/** Words that open file I/O; reserved in SDL, so they can never be a user's identifier. */
const FILE_IO_WORDS = new Set(['fopen', 'fclose', 'read', 'write', 'append']);
/** Keywords followed by a file name: image, height field, density and font files, photon maps. */
export const FILE_TYPE_WORDS = new Set(['png', 'jpeg', 'gif', 'tga', 'iff', 'ppm', 'pgm', 'sys', 'tiff', 'exr', 'hdr', 'bmp', 'df3', 'ttf', 'save_file', 'load_file']);
/** Directives that open a block closed by `#end`. */
const BLOCK_WORDS = new Set(['if', 'ifdef', 'ifndef', 'while', 'for', 'switch', 'macro']);

/**
 * The reason a relative file name is unsafe, or undefined when it stays inside the job directory:
 * absolute paths, `~`, drive letters, `..`, backslashes and control characters are refused.
 */
export function unsafePathReason(name: string): string | undefined {
  if (name.length === 0) return 'is empty';
  if (/[\x00-\x1f]/.test(name)) return 'has a control character';
  if (name.includes('\\')) return 'has a backslash (escape sequences and Windows paths are not allowed in file names)';
  if (name.startsWith('/') || name.startsWith('~') || /^[a-zA-Z]:/.test(name)) return 'is an absolute path';
  if (name.split('/').some((s) => s === '..')) return 'climbs out of the job directory with ".."';
  return undefined;
}

/** What the check needs to know about library files reached from a scene. */
export interface LibraryReach {
  /** Macros that read or write files, mapped to the file defining them. */
  readonly ioMacros: ReadonlyMap<string, string>;
  /** Library files doing file I/O outside any macro, with the reason. */
  readonly unsafeFiles: ReadonlyMap<string, string>;
}

/** The standard include library (see {@link libraryFrom}). */
export interface LibraryIndex {
  /** Base names of the library's files (`colors.inc`, `timrom.ttf` ...). */
  readonly files: ReadonlySet<string>;
  /** I/O facts of the library files `roots` name, and of every library file they include in turn. */
  reach(roots: Iterable<string>): LibraryReach;
}

/** What one file refers to, found in one pass. */
interface FileFacts {
  /** File I/O violations, each as a reason (line included). */
  readonly violations: string[];
  /** `#include` literals, in order. */
  readonly includes: Array<{ name: string; line: number }>;
  /** File names given as literals after a file-type keyword or in file_exists. */
  readonly fileLiterals: Array<{ name: string; line: number; keyword: string }>;
  /** Identifiers used as file names (after a file-type keyword), to resolve through declarations. */
  readonly fileIdentifiers: Array<{ name: string; line: number; keyword: string }>;
  /** `#declare/#local NAME = "literal"` values. */
  readonly stringDeclarations: Map<string, string[]>;
  /** Names also declared with something other than a plain string literal, or used as macro parameters. */
  readonly otherBindings: Set<string>;
  /** Every identifier used, to find calls of library I/O macros. */
  readonly words: Array<{ value: string; line: number }>;
  /** Macro bodies: name -> facts of the body (only when collected for the library). */
  readonly macros: Map<string, { violations: string[]; words: Set<string> }>;
}

function analyse(tokens: Token[], fileName: string): FileFacts {
  const facts: FileFacts = {
    violations: [],
    includes: [],
    fileLiterals: [],
    fileIdentifiers: [],
    stringDeclarations: new Map(),
    otherBindings: new Set(),
    words: [],
    macros: new Map(),
  };
  // Open macros with the block depth at which each began.
  const macroStack: Array<{ name: string; depth: number; violations: string[]; words: Set<string> }> = [];
  let depth = 0;
  const where = (line: number) => `${fileName}:${line}`;
  const violation = (line: number, text: string) => {
    const reason = `${where(line)}: ${text}`;
    facts.violations.push(reason);
    for (const macro of macroStack) macro.violations.push(reason);
  };

  for (let k = 0; k < tokens.length; k++) {
    const token = tokens[k];
    if (token.kind !== 'word') continue;
    const word = token.value;
    const previous = tokens[k - 1];
    const isDirective = previous?.kind === 'symbol' && previous.value === '#';
    facts.words.push({ value: word, line: token.line });
    for (const macro of macroStack) macro.words.add(word);

    if (isDirective && BLOCK_WORDS.has(word)) {
      depth++;
      if (word === 'macro' && tokens[k + 1]?.kind === 'word') {
        macroStack.push({ name: tokens[k + 1].value, depth, violations: [], words: new Set() });
        // Parameters: the words between the parentheses after the name.
        for (let p = k + 3; p < tokens.length && tokens[p].value !== ')'; p++) {
          if (tokens[p].kind === 'word') facts.otherBindings.add(tokens[p].value);
        }
      }
      continue;
    }
    if (isDirective && word === 'end') {
      const top = macroStack[macroStack.length - 1];
      if (top && top.depth === depth) {
        macroStack.pop();
        facts.macros.set(top.name, { violations: top.violations, words: top.words });
      }
      depth = Math.max(0, depth - 1);
      continue;
    }
    if (FILE_IO_WORDS.has(word)) {
      violation(token.line, `uses file I/O ("${isDirective ? '#' : ''}${word}"); #fopen, #read and #write are not allowed`);
      continue;
    }
    if (word === 'include') {
      const next = tokens[k + 1];
      if (next?.kind !== 'string') violation(token.line, '#include must name its file with a string literal');
      else facts.includes.push({ name: next.value, line: next.line });
      continue;
    }
    if ((word === 'declare' || word === 'local') && isDirective) {
      const name = tokens[k + 1];
      const equals = tokens[k + 2];
      const value = tokens[k + 3];
      const after = tokens[k + 4];
      if (name?.kind === 'word' && equals?.value === '=' && value?.kind === 'string' && !(after?.kind === 'symbol' && after.value !== ';' && after.value !== '#')) {
        const list = facts.stringDeclarations.get(name.value) ?? [];
        list.push(value.value);
        facts.stringDeclarations.set(name.value, list);
      } else if (name?.kind === 'word') {
        facts.otherBindings.add(name.value);
      }
      continue;
    }
    if (FILE_TYPE_WORDS.has(word) || word === 'file_exists') {
      let next = tokens[k + 1];
      if (word === 'file_exists') {
        if (next?.value !== '(') {
          violation(token.line, 'file_exists must be called with a string literal');
          continue;
        }
        next = tokens[k + 2];
        const close = tokens[k + 3];
        if (next?.kind !== 'string' || close?.value !== ')') {
          violation(token.line, 'file_exists must be called with a string literal');
          continue;
        }
      }
      if (next?.kind === 'string') facts.fileLiterals.push({ name: next.value, line: next.line, keyword: word });
      else if (next?.kind === 'word' && !['[', '.', '('].includes(tokens[k + 2]?.value ?? '')) {
        facts.fileIdentifiers.push({ name: next.value, line: next.line, keyword: word });
      } else violation(token.line, `the file name after "${word}" must be a string literal or a name #declared as one`);
      // A literal followed by an operator is an expression (e.g. concat or "+"), not a plain name.
      const after = tokens[k + (word === 'file_exists' ? 4 : 2)];
      if (word !== 'file_exists' && next?.kind === 'string' && after?.kind === 'symbol' && after.value === '+') {
        violation(token.line, `the file name after "${word}" must be a plain string literal`);
      }
    }
  }
  return facts;
}

interface LibraryFileFacts {
  readonly macros: Map<string, { violations: string[]; words: Set<string> }>;
  /** File I/O outside any macro. */
  readonly ioAtTop?: string;
  /** Names this file #includes (literals). */
  readonly includes: string[];
}

function analyseLibraryFile(name: string, source: string): LibraryFileFacts {
  let facts: FileFacts;
  try {
    facts = analyse(tokenize(source, name), name);
  } catch {
    return { macros: new Map(), ioAtTop: `${name} could not be checked`, includes: [] };
  }
  const insideMacros = new Set<string>();
  for (const body of facts.macros.values()) for (const v of body.violations) insideMacros.add(v);
  // Top-level file names in the library are the library's own business, but file I/O is not.
  const ioAtTop = facts.violations.filter((v) => !insideMacros.has(v)).find((v) => /file I\/O|#include must/.test(v));
  return { macros: facts.macros, ioAtTop, includes: facts.includes.map((i) => i.name) };
}

/**
 * The standard include library, read lazily: a scene's check analyses only the library files it
 * includes (and those include), once each, and finds which of their macros do file I/O, directly or by
 * calling such a macro.
 */
export function libraryFrom(files: ReadonlySet<string>, read: (name: string) => string): LibraryIndex {
  const cache = new Map<string, LibraryFileFacts>();
  const factsOf = (name: string) => {
    let facts = cache.get(name);
    if (!facts) {
      facts = /\.(inc|mcr)$/i.test(name) ? analyseLibraryFile(name, read(name)) : { macros: new Map(), includes: [] };
      cache.set(name, facts);
    }
    return facts;
  };
  const resolve = (name: string) => (name.includes('/') ? undefined : [name, `${name}.inc`].find((c) => files.has(c)));
  return {
    files,
    reach(roots) {
      const reached = new Set<string>();
      const pending = [...roots].map(resolve).filter((n): n is string => n !== undefined);
      while (pending.length > 0) {
        const name = pending.pop()!;
        if (reached.has(name)) continue;
        reached.add(name);
        for (const include of factsOf(name).includes) {
          const next = resolve(include);
          if (next) pending.push(next);
        }
      }
      const macroFacts = new Map<string, { file: string; violations: string[]; words: Set<string> }>();
      const unsafeFiles = new Map<string, string>();
      for (const name of reached) {
        const facts = factsOf(name);
        if (facts.ioAtTop) unsafeFiles.set(name, facts.ioAtTop);
        for (const [macro, body] of facts.macros) macroFacts.set(macro, { file: name, ...body });
      }
      const ioMacros = new Map<string, string>();
      for (const [macro, facts] of macroFacts) if (facts.violations.length > 0) ioMacros.set(macro, facts.file);
      // Macros that call an I/O macro do I/O too (to a fixpoint).
      for (let changed = true; changed; ) {
        changed = false;
        for (const [macro, facts] of macroFacts) {
          if (ioMacros.has(macro)) continue;
          for (const word of facts.words) {
            if (word !== macro && ioMacros.has(word)) {
              ioMacros.set(macro, facts.file);
              changed = true;
              break;
            }
          }
        }
      }
      return { ioMacros, unsafeFiles };
    },
  };
}

/** A library from file contents in memory (tests, tools). */
export function indexLibrary(files: ReadonlyMap<string, string>): LibraryIndex {
  return libraryFrom(new Set(files.keys()), (name) => files.get(name) ?? '');
}

export interface SceneSources {
  /** Paths (relative, `/`-separated) of every file extracted from the archive. */
  readonly files: ReadonlySet<string>;
  /** Reads an archive file's text (only called for files in `files`). */
  readonly read: (relativePath: string) => string;
}

/**
 * Checks `entry` (a .pov in the archive) and every archive file it includes, transitively. Throws
 * SceneRejected with the first problem found.
 */
export function checkScene(entry: string, sources: SceneSources, library: LibraryIndex): void {
  const pending = [entry];
  const checked = new Set<string>();
  const declarations = new Map<string, string[]>();
  const otherBindings = new Set<string>();
  const identifierUses: Array<{ file: string; name: string; line: number; keyword: string }> = [];
  const wordsByFile: Array<{ file: string; facts: FileFacts }> = [];
  /** Library files the archive includes, with where (for messages). */
  const libraryIncludes = new Map<string, string>();

  while (pending.length > 0) {
    const file = pending.shift()!;
    if (checked.has(file)) continue;
    checked.add(file);
    const facts = analyse(tokenize(sources.read(file), file), file);
    if (facts.violations.length > 0) throw new SceneRejected(facts.violations[0]);
    wordsByFile.push({ file, facts });

    for (const include of facts.includes) {
      const reason = unsafePathReason(include.name);
      if (reason) throw new SceneRejected(`${file}:${include.line}: #include "${include.name}" ${reason}`);
      const candidates = [include.name, `${include.name}.inc`];
      const inArchive = candidates.find((c) => sources.files.has(c));
      if (inArchive) {
        pending.push(inArchive);
        continue;
      }
      const inLibrary = !include.name.includes('/') && candidates.find((c) => library.files.has(c));
      if (inLibrary) {
        if (!libraryIncludes.has(inLibrary)) libraryIncludes.set(inLibrary, `${file}:${include.line}: #include "${include.name}"`);
        continue;
      }
      throw new SceneRejected(`${file}:${include.line}: #include "${include.name}" is neither in the archive nor a standard POV-Ray include`);
    }
    for (const literal of facts.fileLiterals) {
      const reason = unsafePathReason(literal.name);
      if (reason) throw new SceneRejected(`${file}:${literal.line}: the file name "${literal.name}" after "${literal.keyword}" ${reason}`);
    }
    for (const [name, values] of facts.stringDeclarations) declarations.set(name, [...(declarations.get(name) ?? []), ...values]);
    for (const name of facts.otherBindings) otherBindings.add(name);
    for (const use of facts.fileIdentifiers) identifierUses.push({ file, ...use });
  }

  // The library files reached from the archive's includes: none may do file I/O at top level, and none of
  // their I/O macros may be called.
  const reach = library.reach(libraryIncludes.keys());
  for (const [libraryFile, where] of libraryIncludes) {
    const unsafe = reach.unsafeFiles.get(libraryFile);
    if (unsafe) throw new SceneRejected(`${where}: ${unsafe}`);
  }
  if (reach.unsafeFiles.size > 0) {
    const [name, reason] = [...reach.unsafeFiles][0];
    throw new SceneRejected(`the standard include ${name}, reached from the scene's includes, does file I/O: ${reason}`);
  }
  const archiveMacros = new Set(wordsByFile.flatMap(({ facts }) => [...facts.macros.keys()]));
  for (const { file, facts } of wordsByFile) {
    for (const word of facts.words) {
      const from = reach.ioMacros.get(word.value);
      // A macro of the same name defined in the archive shadows the library's.
      if (from && !archiveMacros.has(word.value)) {
        throw new SceneRejected(`${file}:${word.line}: calls ${word.value} from ${from}, which reads or writes files; not allowed`);
      }
    }
  }

  for (const use of identifierUses) {
    const values = declarations.get(use.name);
    if (!values || values.length === 0 || otherBindings.has(use.name)) {
      throw new SceneRejected(`${use.file}:${use.line}: the file name after "${use.keyword}" is ${use.name}, which is not #declared as a string literal; name files with string literals`);
    }
    for (const value of values) {
      const reason = unsafePathReason(value);
      if (reason) throw new SceneRejected(`${use.file}:${use.line}: the file name ${use.name} = "${value}" ${reason}`);
    }
  }
}
