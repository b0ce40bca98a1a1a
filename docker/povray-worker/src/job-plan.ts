import * as path from 'path';
import { RenderJobMessage } from '../../../contracts/lambda-ecs-worker/render-job';
import { ArchiveRejected } from './archive';
import { PermanentJobError } from './failures';
import { printable } from './log';

/** Parses a job message body; throws PermanentJobError when it is not a version-1 render job. */
export function parseJobMessage(body: string | undefined, inputPrefix: string): RenderJobMessage {
  let value: unknown;
  try {
    value = JSON.parse(body ?? '');
  } catch {
    throw new PermanentJobError('the message is not JSON; expected a render job from the launcher', 'bad-message');
  }
  const job = value as Partial<RenderJobMessage> | null;
  if (!job || typeof job !== 'object') throw new PermanentJobError('the message is not a JSON object', 'bad-message');
  if (job.version !== 1) throw new PermanentJobError(`unsupported job message version ${JSON.stringify(job.version)}; this worker reads version 1`, 'bad-message');
  for (const field of ['jobId', 'bucket', 'key'] as const) {
    if (typeof job[field] !== 'string' || job[field] === '') throw new PermanentJobError(`the job message has no ${field}`, 'bad-message');
  }
  if (!job.key!.startsWith(inputPrefix)) {
    throw new PermanentJobError(`the scene key ${JSON.stringify(job.key)} is outside the input prefix ${JSON.stringify(inputPrefix)}`, 'bad-message');
  }
  return job as RenderJobMessage;
}

/** The scene's base name: `scenes/sub/ECSLogo.zip` → `ECSLogo`. */
export function sceneBaseName(key: string): string {
  return path.posix.basename(key).replace(/\.[^.]+$/, '');
}

/** Files POV-Ray reads by itself from its working directory or HOME: an archive must not bring them. */
export function forbiddenConfigFile(files: readonly string[]): string | undefined {
  return files.find((f) => {
    const lower = f.toLowerCase();
    const base = path.posix.basename(lower);
    return base === 'povray.ini' || base === 'povray.conf' || lower.split('/').some((s) => s === '.povray' || s === '.povrayrc');
  });
}

export function rejectConfigFiles(files: readonly string[]): void {
  const found = forbiddenConfigFile(files);
  if (found) {
    throw new ArchiveRejected(
      `it carries its own ${JSON.stringify(found)}, which POV-Ray would read by itself (and could run commands or read files with); remove it and put the options in the scene's INI`,
    );
  }
}

/**
 * Where the scene's INI is, as the original worker looked for it: `<base>.ini` at the archive's root, or
 * inside the archive's single top-level folder (what "compress folder" tools produce). Returns the scene
 * directory (relative, '' for the root) and the INI's name in it.
 */
export function locateIni(files: readonly string[], base: string): { sceneDir: string; iniFile: string } {
  const wanted = `${base}.ini`;
  const shown = printable(wanted); // the base comes from the S3 key, which may hold control characters
  if (files.includes(wanted)) return { sceneDir: '', iniFile: wanted };
  const tops = new Set(files.map((f) => (f.includes('/') ? f.slice(0, f.indexOf('/')) : '')));
  if (tops.size === 1 && !tops.has('')) {
    const [top] = [...tops];
    if (files.includes(`${top}/${wanted}`)) return { sceneDir: top, iniFile: wanted };
  }
  const inis = files.filter((f) => f.toLowerCase().endsWith('.ini'));
  throw new PermanentJobError(
    `missing ini: the archive must hold ${shown} (named after the archive) at its root${inis.length ? `; it holds ${inis.join(', ')}` : '; it holds no .ini file'}`,
    'missing-ini',
  );
}

/** The scene file when the INI names none: `<base>.pov` (POV-Ray's own default, object.pov, is never what is meant). */
export function defaultInputFile(base: string): string {
  return `${base}.pov`;
}

/** PNG files start with these 8 bytes. */
export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
