/**
 * The scene's INI file, reduced to an allow-list. POV-Ray INI files can run shell commands
 * (`Pre_Scene_Command` ...), write files (`Create_Ini`, `All_File` ...), add search paths (`Library_Path`,
 * `+L`), include headers (`+HI`) and other INI files, and POV-Ray reads more than one might think from a
 * line (`//` is NOT a comment on a switch line: `+W64 // +L/etc` adds a library path). So no user INI
 * reaches POV-Ray: the worker parses it into the options below, checks every value, and writes a fresh
 * INI of its own ({@link freshIni}). Anything else is refused with its name; the options the worker sets
 * itself (output file and type, display, pause, verbosity) are dropped with a note.
 */
import { PermanentJobError } from './failures';
import { printable } from './log';
import { unsafePathReason } from './sdl-scan';

export class IniRejected extends PermanentJobError {
  constructor(message: string) {
    super(`ini rejected: ${message}`, 'ini-rejected');
  }
}

/** One accepted option, its value checked and written in POV-Ray's canonical form. */
export interface IniOption {
  readonly key: string;
  readonly value: string;
}

/** What the INI asks for. */
export interface IniPlan {
  /** The scene file (`Input_File_Name` / `+I`), relative to the job directory, when named. */
  readonly inputFile?: string;
  readonly width?: number;
  readonly height?: number;
  /** Every accepted option but the input file, width and height (the command line carries those). */
  readonly options: readonly IniOption[];
  /** Options the worker sets itself, seen and dropped (named in the render log). */
  readonly ignored: readonly string[];
}

type Kind = 'bool' | 'float' | 'gamma' | { int: [number, number] };

/** An allowed option: its INI key, its switch letters (if any) and the values it takes. */
interface OptionSpec {
  readonly key: string;
  readonly switch?: string;
  readonly kind: Kind;
}

const int = (min: number, max: number): Kind => ({ int: [min, max] });

/** Render options with no file, command or search-path effect. */
const ALLOWED: readonly OptionSpec[] = [
  { key: 'Width', switch: 'W', kind: int(1, 65_535) },
  { key: 'Height', switch: 'H', kind: int(1, 65_535) },
  { key: 'Quality', switch: 'Q', kind: int(0, 11) },
  { key: 'Antialias', switch: 'A', kind: 'bool' },
  { key: 'Antialias_Threshold', kind: 'float' },
  { key: 'Antialias_Depth', switch: 'R', kind: int(1, 9) },
  { key: 'Antialias_Gamma', switch: 'AG', kind: 'float' },
  { key: 'Sampling_Method', switch: 'AM', kind: int(1, 3) },
  { key: 'Jitter', switch: 'J', kind: 'bool' },
  { key: 'Jitter_Amount', kind: 'float' },
  { key: 'Work_Threads', switch: 'WT', kind: int(1, 512) },
  { key: 'Output_Alpha', switch: 'UA', kind: 'bool' },
  { key: 'Bits_Per_Color', kind: int(5, 16) },
  { key: 'Bounding', kind: 'bool' },
  { key: 'Bounding_Threshold', switch: 'MB', kind: int(1, 1_000_000) },
  { key: 'Light_Buffer', switch: 'UL', kind: 'bool' },
  { key: 'Vista_Buffer', switch: 'UV', kind: 'bool' },
  { key: 'Remove_Bounds', switch: 'UR', kind: 'bool' },
  { key: 'Split_Unions', switch: 'UO', kind: 'bool' },
  { key: 'Clock', switch: 'K', kind: 'float' },
  { key: 'Version', switch: 'MV', kind: 'float' },
  { key: 'Start_Column', switch: 'SC', kind: 'float' },
  { key: 'End_Column', switch: 'EC', kind: 'float' },
  { key: 'Start_Row', switch: 'SR', kind: 'float' },
  { key: 'End_Row', switch: 'ER', kind: 'float' },
  { key: 'File_Gamma', kind: 'gamma' },
  { key: 'Display_Gamma', kind: 'gamma' },
  { key: 'High_Reproducibility', switch: 'HR', kind: 'bool' },
  { key: 'Render_Block_Size', switch: 'BS', kind: int(4, 4096) },
  { key: 'Render_Block_Step', kind: int(0, 1_000_000) },
  { key: 'Render_Pattern', switch: 'RP', kind: int(0, 5) },
  { key: 'Radiosity_Vain_Pretrace', kind: 'bool' },
];

/** Keys and switches the worker sets itself (display, pause, output): accepted and dropped. */
const WORKER_SET_KEYS = ['Display', 'Pause_When_Done', 'Verbose', 'Output_To_File', 'Output_File_Name', 'Output_File_Type'];
const WORKER_SET_SWITCH = /^([DPV]|O.*|F[A-Z]?\d*)$/;

const BY_KEY = new Map(ALLOWED.map((o) => [o.key.toLowerCase(), o]));
/** Longest switch letters first, so `+AM2` is Sampling_Method, not Antialias with "M2". */
const BY_SWITCH = ALLOWED.filter((o) => o.switch).sort((a, b) => b.switch!.length - a.switch!.length);

const COMMAND_KEYS = new Set(
  ['pre_scene', 'pre_frame', 'post_scene', 'post_frame', 'user_abort', 'fatal_error'].flatMap((k) => [`${k}_command`, `${k}_return`]),
);
const FILE_KEYS = new Set([
  'all_file', 'debug_file', 'fatal_file', 'render_file', 'statistic_file', 'warning_file', 'create_ini', 'include_header',
  'histogram_name', 'histogram_type', 'radiosity_file_name', 'radiosity_from_file', 'radiosity_to_file', 'continue_trace',
]);
const ANIMATION_KEYS = new Set(['initial_frame', 'final_frame', 'initial_clock', 'final_clock', 'subset_start_frame', 'subset_end_frame', 'frame_step', 'cyclic_animation', 'field_render', 'odd_field']);

const ALLOWED_NAMES = `${ALLOWED.map((o) => o.key).join(', ')}, Input_File_Name`;

/** Why a refused key is refused: the dangerous ones by name, the rest as not on the list. */
function refusedKey(key: string): string {
  const lower = key.toLowerCase();
  if (COMMAND_KEYS.has(lower)) return `${key} runs a shell command; shell-outs are forbidden`;
  if (FILE_KEYS.has(lower)) return `${key} reads or writes a file of its own; not allowed`;
  if (lower === 'library_path') return 'Library_Path adds a search path outside the job directory; not allowed';
  if (lower === 'include_ini') return 'Include_Ini includes another INI file; put every option in the one INI';
  if (ANIMATION_KEYS.has(lower)) return `${key} is an animation option; one scene renders one image`;
  return `"${key}" is not an option the worker accepts (allowed: ${ALLOWED_NAMES})`;
}

/** Why a refused switch is refused. */
function refusedSwitch(word: string): string {
  const letters = word.slice(1).toUpperCase();
  if (letters.startsWith('L')) return `${word} adds a library path outside the job directory; not allowed`;
  if (letters.startsWith('HI')) return `${word} includes a header file; not allowed`;
  if (/^G/.test(letters)) return `${word} writes a file of its own; not allowed`;
  if (/^(K[FIC]|SF|EF)/.test(letters)) return `${word} is an animation option; one scene renders one image`;
  return `unknown or unsupported switch "${word}"`;
}

const TRUE = new Set(['on', 'true', 'yes', '1']);
const FALSE = new Set(['off', 'false', 'no', '0']);

/** The canonical text of `raw` for `spec`, or undefined when it is not such a value. */
function checkValue(spec: OptionSpec, raw: string): string | undefined {
  const value = raw.trim();
  if (spec.kind === 'bool') {
    const lower = value.toLowerCase();
    return TRUE.has(lower) ? 'on' : FALSE.has(lower) ? 'off' : undefined;
  }
  if (spec.kind === 'gamma' && value.toLowerCase() === 'srgb') return 'sRGB';
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(value)) return undefined;
  const n = Number(value);
  if (spec.kind === 'float' || spec.kind === 'gamma') return Number.isFinite(n) ? String(n) : undefined;
  const [min, max] = spec.kind.int;
  return Number.isInteger(n) && n >= min && n <= max ? String(n) : undefined;
}

function expected(spec: OptionSpec): string {
  if (spec.kind === 'bool') return 'on or off';
  if (spec.kind === 'float') return 'a number';
  if (spec.kind === 'gamma') return 'a number or sRGB';
  return `an integer from ${spec.kind.int[0]} to ${spec.kind.int[1]}`;
}

function unquote(value: string): string {
  const v = value.trim();
  return v.length >= 2 && ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'"))) ? v.slice(1, -1) : v;
}

function checkInput(name: string, where: string): string {
  const reason = unsafePathReason(name);
  if (reason) throw new IniRejected(`${where}: the input file "${printable(name)}" ${reason}`);
  return name;
}

/** Drops a `;` comment (outside quotes) from a line. */
function stripComment(line: string): string {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === ';') return line.slice(0, i);
  }
  return line;
}

/** Splits a switch line into words, keeping quoted parts (`+I"my scene.pov"`) whole. */
function switchWords(line: string): string[] {
  return line.match(/(?:[^\s"']+|"[^"]*"|'[^']*')+/g) ?? [];
}

/**
 * Parses the INI's text into the allowed options; throws IniRejected naming the first refused line and
 * option. Later lines win over earlier ones, as in POV-Ray.
 */
export function parseIni(text: string, iniName: string): IniPlan {
  const options = new Map<string, string>();
  const ignored = new Set<string>();
  let inputFile: string | undefined;
  const lines = text.split(/\r\n|\r|\n/);
  lines.forEach((raw, index) => {
    const where = `${printable(iniName)}:${index + 1}`;
    const line = stripComment(raw).trim();
    if (line === '') return;
    if (line.includes('//')) {
      throw new IniRejected(`${where}: "//" is not a comment in a POV-Ray INI file (POV-Ray reads what follows it as options); comment with ";"`);
    }
    if (/^\[.*\]$/.test(line)) throw new IniRejected(`${where}: INI sections (${printable(line)}) are not supported; put the options at the top level`);
    const eq = line.indexOf('=');
    if (eq > 0 && !/^[+-]/.test(line)) {
      const key = line.slice(0, eq).trim();
      const value = line.slice(eq + 1);
      const lower = key.toLowerCase();
      if (lower === 'input_file_name') {
        inputFile = checkInput(unquote(value), where);
        return;
      }
      if (WORKER_SET_KEYS.some((k) => k.toLowerCase() === lower)) {
        ignored.add(key);
        return;
      }
      const spec = BY_KEY.get(lower);
      if (!spec) throw new IniRejected(`${where}: ${refusedKey(printable(key))}`);
      const canonical = checkValue(spec, value);
      if (canonical === undefined) throw new IniRejected(`${where}: ${spec.key} "${printable(value.trim())}" is not valid: expected ${expected(spec)}`);
      options.set(spec.key, canonical);
      return;
    }
    for (const word of switchWords(line)) {
      const shown = printable(word);
      if (!/^[+-]/.test(word)) {
        throw new IniRejected(`${where}: "${shown}" is not an option; INI lines must be Key=Value or +/- switches (other INI files cannot be included)`);
      }
      const on = word.startsWith('+');
      const body = word.slice(1);
      const upper = body.toUpperCase();
      if (upper.startsWith('I')) {
        inputFile = checkInput(unquote(body.slice(1)), where);
        continue;
      }
      if (WORKER_SET_SWITCH.test(upper)) {
        ignored.add(word);
        continue;
      }
      const spec = BY_SWITCH.find((o) => upper.startsWith(o.switch!));
      if (!spec) throw new IniRejected(`${where}: ${refusedSwitch(shown)}`);
      const rest = body.slice(spec.switch!.length);
      if (spec.kind === 'bool') {
        // +A0.3 / +J0.5: on, with a threshold or an amount; -A / +A alone: off / on.
        options.set(spec.key, on ? 'on' : 'off');
        if (rest === '') continue;
        const amount = spec.key === 'Antialias' ? BY_KEY.get('antialias_threshold')! : spec.key === 'Jitter' ? BY_KEY.get('jitter_amount')! : undefined;
        const canonical = amount && checkValue(amount, rest);
        if (!amount || canonical === undefined) throw new IniRejected(`${where}: ${refusedSwitch(shown)}`);
        options.set(amount.key, canonical);
        continue;
      }
      const canonical = checkValue(spec, rest);
      if (canonical === undefined) {
        // Not a value of this option: either a switch the worker does not know (+KFF10) or a bad value (+W-5).
        if (/^[A-Z]/i.test(rest)) throw new IniRejected(`${where}: ${refusedSwitch(shown)}`);
        throw new IniRejected(`${where}: ${shown} is not valid: ${spec.key} expects ${expected(spec)}`);
      }
      options.set(spec.key, canonical);
    }
  });
  const width = options.get('Width');
  const height = options.get('Height');
  options.delete('Width');
  options.delete('Height');
  return {
    inputFile,
    width: width === undefined ? undefined : Number(width),
    height: height === undefined ? undefined : Number(height),
    options: [...options].map(([key, value]) => ({ key, value })),
    ignored: [...ignored],
  };
}

/** The INI POV-Ray reads: the worker's own text, holding only checked options in canonical form. */
export function freshIni(plan: IniPlan): string {
  return `; written by the worker from the scene's INI (allowed options only)\n${plan.options.map((o) => `${o.key}=${o.value}\n`).join('')}`;
}

/** POV-Ray's size when neither the INI nor the override names one (Debian's /etc/povray/3.7/povray.ini). */
export const DEFAULT_SIZE = { width: 800, height: 600 };

/**
 * The size to render: the override (RENDER_WIDTH/RENDER_HEIGHT) wins over the INI, which wins over the
 * default; refused when width × height exceeds maxPixels.
 */
export function renderSize(
  plan: Pick<IniPlan, 'width' | 'height'>,
  override: { width?: number; height?: number },
  maxPixels: number,
): { width: number; height: number } {
  const width = override.width ?? plan.width ?? DEFAULT_SIZE.width;
  const height = override.height ?? plan.height ?? DEFAULT_SIZE.height;
  if (width * height > maxPixels) {
    throw new IniRejected(`the scene asks for ${width}×${height} = ${width * height} pixels, more than the limit of ${maxPixels}`);
  }
  return { width, height };
}

/**
 * POV-Ray's command line. Options after the INI override the INI's: no display, PNG output into the
 * private output directory, the checked size. Paths are quoted, as POV-Ray splits options on spaces.
 * The INI is the worker's fresh one ({@link freshIni}), never the archive's.
 */
export function povrayArguments(iniPath: string, inputFile: string, size: { width: number; height: number }, outputFile: string, threads?: number): string[] {
  return [
    `"${iniPath}"`,
    `+I"${inputFile}"`,
    `+W${size.width}`,
    `+H${size.height}`,
    // After the INI, so it wins; without it POV-Ray starts one thread per CPU the host shows, not the task's.
    ...(threads ? [`+WT${threads}`] : []),
    '-D', // no display window
    '-P', // no pause at the end
    '+FN', // PNG
    `+O"${outputFile}"`,
  ];
}

/**
 * POV-Ray's render threads: the INI's `Work_Threads`, at most `max` (the task's vCPUs); an INI asking for
 * more is refused rather than quietly given fewer, so the reason names the bound.
 */
export function renderThreads(plan: IniPlan, max: number): number {
  const asked = plan.options.find((o) => o.key === 'Work_Threads');
  if (asked && Number(asked.value) > max) {
    throw new IniRejected(`Work_Threads=${asked.value} is more than the ${max} render threads this task allows (its vCPUs, TASK_VCPUS)`);
  }
  return asked ? Number(asked.value) : max;
}

/**
 * POV-Ray 3.7 cannot open a scene file whose name has a double quote or a non-ASCII character (it
 * mangles the name); refuse it with a reason instead of a confusing parse error.
 */
export function unsupportedFileNameReason(name: string): string | undefined {
  return /^[\x20-\x21\x23-\x7e]+$/.test(name) ? undefined : `POV-Ray cannot open "${name}": use only ASCII letters, digits, spaces and punctuation (no double quotes) in scene file names`;
}
