/**
 * Scene archives for the worker's tests, built on the fly with yazl (plus byte patches for what yazl
 * refuses to write: `..` and absolute names).
 */
import { readFileSync } from 'fs';
import { ZipFile } from 'yazl';
import { seedSceneZipPath } from './seed-scene';

export { SEED_SCENE_ZIP } from './seed-scene';

export interface ZipEntrySpec {
  readonly name: string;
  readonly data: string | Buffer;
  /** Unix mode (type bits included), e.g. 0o120777 for a symbolic link. */
  readonly mode?: number;
  /** Store instead of deflate. */
  readonly store?: boolean;
}

export function zipOf(entries: readonly ZipEntrySpec[]): Promise<Buffer> {
  const zip = new ZipFile();
  for (const entry of entries) {
    const data = typeof entry.data === 'string' ? Buffer.from(entry.data) : entry.data;
    zip.addBuffer(data, entry.name, { mode: entry.mode, compress: !entry.store, mtime: new Date('2020-01-01T00:00:00Z') });
  }
  zip.end();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    zip.outputStream.on('data', (c: Buffer) => chunks.push(c));
    zip.outputStream.on('error', reject);
    zip.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
  });
}

/**
 * Renames an entry in a built zip, in its local header and central directory alike. The new name must be
 * as long as the placeholder: this is how the tests get names yazl will not write (`../x`, `/tmp/x`).
 */
export function renameEntry(zip: Buffer, placeholder: string, name: string): Buffer {
  if (Buffer.byteLength(placeholder) !== Buffer.byteLength(name)) throw new Error(`"${placeholder}" and "${name}" differ in length`);
  const from = Buffer.from(placeholder);
  const to = Buffer.from(name);
  const out = Buffer.from(zip);
  let at = out.indexOf(from);
  let count = 0;
  while (at !== -1) {
    to.copy(out, at);
    count++;
    at = out.indexOf(from, at + to.length);
  }
  if (count !== 2) throw new Error(`expected "${placeholder}" twice (local header and central directory), found it ${count} times`);
  return out;
}

/** A placeholder name of the same length as `name`, safe for yazl. */
export function placeholderFor(name: string): string {
  return 'p'.repeat(Buffer.byteLength(name) - 4) + '.txt';
}

/** A zip holding `name` (any bytes, even `../` or absolute), by writing a placeholder and patching it. */
export async function zipWithRawName(entries: readonly ZipEntrySpec[], rawName: string, data: string): Promise<Buffer> {
  const placeholder = placeholderFor(rawName);
  return renameEntry(await zipOf([...entries, { name: placeholder, data }]), placeholder, rawName);
}

/** A minimal valid scene: renders a red sphere; `frames` of extra work make it take longer. */
export function sceneFiles(base: string, options: { ini?: string; pov?: string; iniExtra?: string; povExtra?: string } = {}): ZipEntrySpec[] {
  const ini = options.ini ?? `Input_File_Name=${base}.pov\n+W64 +H36\nAntialias=off\n${options.iniExtra ?? ''}`;
  const pov =
    options.pov ??
    `#version 3.7;
global_settings { assumed_gamma 1.0 }
camera { location <0, 0, -4> look_at 0 }
light_source { <5, 5, -5> color rgb 1 }
sphere { 0, 1 pigment { color rgb <1, 0, 0> } }
${options.povExtra ?? ''}`;
  return [
    { name: `${base}.ini`, data: ini },
    { name: `${base}.pov`, data: pov },
  ];
}

/**
 * A scene that takes seconds to render even when small: nine samples a pixel of glassy, reflective
 * spheres, one thread. About 1.5 s of CPU at 32×18 and 6 s at 64×36 on these machines.
 */
export function slowSceneFiles(base: string, size = { width: 64, height: 36 }): ZipEntrySpec[] {
  const ini = `Input_File_Name=${base}.pov\n+W${size.width} +H${size.height}\nAntialias=on\nAntialias_Depth=3\nAntialias_Threshold=0.0\nSampling_Method=1\nWork_Threads=1\n`;
  const pov = `#version 3.7;
global_settings { assumed_gamma 1.0 max_trace_level 40 }
camera { location <0, 0, -4> look_at 0 }
light_source { <5, 5, -5> color rgb 1 }
#for (I, 0, 24)
  sphere { <mod(I, 5) - 2, div(I, 5) - 2, 0>, 0.45
    pigment { color rgbf <1, 0.9, 0.9, 0.9> } finish { reflection 0.5 } interior { ior 1.5 } }
#end
plane { y, -3 pigment { checker color rgb 1 color rgb 0 } finish { reflection 0.3 } }
`;
  return [
    { name: `${base}.ini`, data: ini },
    { name: `${base}.pov`, data: pov },
  ];
}

export function seedSceneZip(): Buffer {
  return readFileSync(seedSceneZipPath());
}
