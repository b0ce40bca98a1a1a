/**
 * A check of the scene's INI file. POV-Ray INI files can run shell commands (`Pre_Scene_Command` ...),
 * write files (`Create_Ini`, `All_File` ...), add search paths (`Library_Path`, `+L`) and include other
 * INI files. The worker accepts only the render options below and refuses everything else, naming it.
 * Options the worker forces (output file, type, display) may appear: they are overridden on the command line.
 */
import { PermanentJobError } from './failures';
import { unsafePathReason } from './sdl-scan';

export class IniRejected extends PermanentJobError {
  constructor(message: string) {
    super(`ini rejected: ${message}`, 'ini-rejected');
  }
}

/** What the INI asks for. */
export interface IniPlan {
  /** The scene file (`Input_File_Name` / `+I`), relative to the job directory, when named. */
  readonly inputFile?: string;
  readonly width?: number;
  readonly height?: number;
}

const COMMAND_KEYS = new Set(
  ['pre_scene', 'pre_frame', 'post_scene', 'post_frame', 'user_abort', 'fatal_error'].flatMap((k) => [`${k}_command`, `${k}_return`]),
);

/** Keys that write or read files of their own. */
const FILE_KEYS = new Set([
  'all_file', 'debug_file', 'fatal_file', 'render_file', 'statistic_file', 'warning_file', 'create_ini', 'include_header',
  'histogram_name', 'histogram_type', 'histogram_grid_size', 'radiosity_file_name', 'radiosity_from_file', 'radiosity_to_file',
]);

/** Animation keys: one scene renders one PNG. */
const ANIMATION_KEYS = new Set(['initial_frame', 'final_frame', 'subset_start_frame', 'subset_end_frame', 'frame_step', 'field_render', 'odd_field']);

/** Render options with no file or command effect. Output/display keys are overridden by the worker. */
const SAFE_KEYS = new Set([
  'width', 'height', 'quality', 'antialias', 'antialias_depth', 'antialias_threshold', 'antialias_gamma', 'sampling_method',
  'jitter', 'jitter_amount', 'bounding', 'bounding_method', 'bounding_threshold', 'light_buffer', 'vista_buffer', 'remove_bounds',
  'split_unions', 'start_column', 'start_row', 'end_column', 'end_row', 'clock', 'initial_clock', 'final_clock', 'cyclic_animation',
  'clockless_animation', 'real_time_raytracing', 'declare', 'version', 'output_alpha', 'bits_per_color', 'compression',
  'dither', 'dither_method', 'file_gamma', 'display_gamma', 'work_threads', 'render_block_size', 'render_block_step',
  'render_pattern', 'max_image_buffer_memory', 'buffer_output', 'buffer_size', 'output_file_type', 'output_to_file',
  'output_file_name', 'display', 'pause_when_done', 'verbose', 'test_abort', 'test_abort_count', 'draw_vistas', 'preview_start_size',
  'preview_end_size', 'video_mode', 'palette', 'continue_trace', 'all_console', 'debug_console', 'fatal_console',
  'render_console', 'statistic_console', 'warning_console', 'radiosity_vain_pretrace', 'high_reproducibility',
  'stochastic_seed', 'sampling_method', 'input_file_name',
]);

/** Command-line switches allowed inside an INI file (case-insensitive, after the `+` or `-`). */
const SAFE_SWITCHES: RegExp[] = [
  /^[wh]\d+$/, /^q\d+$/, /^a[\d.]*$/, /^am\d$/, /^ag[\d.]+$/, /^r\d+$/, /^j[\d.]*$/, /^(sc|sr|ec|er)[\d.]+$/, /^k[\d.+-]*$/,
  /^u[alrvo]$/, /^mb\d*$/, /^mv[\d.]+$/, /^wt\d+$/, /^bs\d+$/, /^b\d*$/, /^d\w*$/, /^v$/, /^p$/, /^x\d*$/, /^f\w*$/, /^c$/,
  /^g[adfrsw]$/, /^rp\d*$/, /^rs\d*$/, /^ha[\d.]*$/, /^o.*$/,
];

function parseDimension(value: string, what: string, where: string): number {
  const n = Number(value.trim());
  if (!Number.isInteger(n) || n < 1) throw new IniRejected(`${where}: ${what} "${value.trim()}" is not a positive integer`);
  return n;
}

function unquote(value: string): string {
  const v = value.trim();
  return v.length >= 2 && ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'"))) ? v.slice(1, -1) : v;
}

function checkInput(name: string, where: string): string {
  const reason = unsafePathReason(name);
  if (reason) throw new IniRejected(`${where}: the input file "${name}" ${reason}`);
  return name;
}

/** Parses and checks an INI file's text; throws IniRejected naming the first refused line. */
export function scanIni(text: string, iniName: string): IniPlan {
  let inputFile: string | undefined;
  let width: number | undefined;
  let height: number | undefined;
  const lines = text.split(/\r\n|\r|\n/);
  lines.forEach((raw, index) => {
    const where = `${iniName}:${index + 1}`;
    // `;` starts a comment (outside quotes, which INI values rarely need).
    const line = raw.replace(/;.*$/, '').replace(/\/\/.*$/, '').trim();
    if (line === '') return;
    if (/^\[.*\]$/.test(line)) return; // section label
    const eq = line.indexOf('=');
    const startsWithSwitch = /^[+-]/.test(line);
    if (eq > 0 && !startsWithSwitch) {
      const key = line.slice(0, eq).trim().toLowerCase();
      const value = line.slice(eq + 1);
      if (COMMAND_KEYS.has(key)) throw new IniRejected(`${where}: ${line.slice(0, eq).trim()} runs a shell command; shell-outs are forbidden`);
      if (FILE_KEYS.has(key)) throw new IniRejected(`${where}: ${line.slice(0, eq).trim()} reads or writes a file of its own; not allowed`);
      if (key === 'library_path') throw new IniRejected(`${where}: Library_Path adds a search path outside the job directory; not allowed`);
      if (key === 'include_ini') throw new IniRejected(`${where}: Include_Ini includes another INI file; put every option in the one INI`);
      if (ANIMATION_KEYS.has(key)) throw new IniRejected(`${where}: ${line.slice(0, eq).trim()} is an animation option; one scene renders one image`);
      if (!SAFE_KEYS.has(key)) throw new IniRejected(`${where}: unknown or unsupported INI option "${line.slice(0, eq).trim()}"`);
      if (key === 'width') width = parseDimension(value, 'Width', where);
      if (key === 'height') height = parseDimension(value, 'Height', where);
      if (key === 'input_file_name') inputFile = checkInput(unquote(value), where);
      return;
    }
    for (const word of line.split(/\s+/)) {
      if (!/^[+-]/.test(word)) {
        throw new IniRejected(`${where}: "${word}" is not an option; INI lines must be Key=Value or +/- switches (other INI files cannot be included)`);
      }
      const body = word.slice(1);
      const lower = body.toLowerCase();
      if (/^i/.test(lower)) {
        inputFile = checkInput(unquote(body.slice(1)), where);
        continue;
      }
      if (/^l/.test(lower)) throw new IniRejected(`${where}: ${word} adds a library path outside the job directory; not allowed`);
      if (/^g[a-z]./.test(lower) || /^gi/.test(lower)) throw new IniRejected(`${where}: ${word} writes a file of its own; not allowed`);
      if (/^hi/.test(lower)) throw new IniRejected(`${where}: ${word} includes a header file; not allowed`);
      if (/^k(f|i|c|ff|fi)/.test(lower) || /^(sf|ef)/.test(lower)) throw new IniRejected(`${where}: ${word} is an animation option; one scene renders one image`);
      if (!SAFE_SWITCHES.some((re) => re.test(lower))) throw new IniRejected(`${where}: unknown or unsupported switch "${word}"`);
      if (/^w\d+$/.test(lower)) width = parseDimension(body.slice(1), 'width', where);
      if (/^h\d+$/.test(lower)) height = parseDimension(body.slice(1), 'height', where);
    }
  });
  return { inputFile, width, height };
}

/** POV-Ray's size when neither the INI nor the override names one (Debian's /etc/povray/3.7/povray.ini). */
export const DEFAULT_SIZE = { width: 800, height: 600 };

/**
 * The size to render: the override (RENDER_WIDTH/RENDER_HEIGHT) wins over the INI, which wins over the
 * default; refused when width × height exceeds maxPixels.
 */
export function renderSize(
  plan: IniPlan,
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
 * The INI is the worker's checked copy (its own name in the archive may hold any character).
 */
export function povrayArguments(iniPath: string, inputFile: string, size: { width: number; height: number }, outputFile: string): string[] {
  return [
    `"${iniPath}"`,
    `+I"${inputFile}"`,
    `+W${size.width}`,
    `+H${size.height}`,
    '-D', // no display window
    '-P', // no pause at the end
    '+FN', // PNG
    `+O"${outputFile}"`,
  ];
}

/**
 * POV-Ray 3.7 cannot open a scene file whose name has a double quote or a non-ASCII character (it
 * mangles the name); refuse it with a reason instead of a confusing parse error.
 */
export function unsupportedFileNameReason(name: string): string | undefined {
  return /^[\x20-\x21\x23-\x7e]+$/.test(name) ? undefined : `POV-Ray cannot open "${name}": use only ASCII letters, digits, spaces and punctuation (no double quotes) in scene file names`;
}
