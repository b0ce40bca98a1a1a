/**
 * Hostile scenes for the confinement tests, on the host and in the container: each tries to read files
 * outside its job in one shape POV-Ray accepts a file name (typed and untyped image and height-field files,
 * `pot`, fonts, density files, #include absolute, relative, built by #declare, macros and string functions,
 * #fopen of /proc and /etc, INI library paths and headers), or to write outside, or past the disk bound.
 * Judged by outcome: the secrets (one directory per scene) are never opened (inotify) and their marker
 * never reaches the PNG, the log or the job record.
 */
import { ChildProcess, spawn } from 'child_process';
import { randomBytes } from 'crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { PNG } from 'pngjs';
import { sceneFiles, ZipEntrySpec } from './povray-scenes';

export const MARKER = `OUTSIDE-${randomBytes(8).toString('hex')}`;
export const ENV_MARKER = `WORKERENV-${randomBytes(8).toString('hex')}`;
/** Printed by a scene only if it could tell that an outside file exists. */
export const EXISTS_MARKER = 'SECRET-FILE-EXISTS';

/**
 * A directory beside the jobs holding files a scene must never open: one subdirectory per hostile scene
 * (`names`), so each scene's attempt is told apart in the inotify events.
 */
export function makeSecrets(names: readonly string[] = [''], parent = tmpdir()): string {
  const root = mkdtempSync(path.join(parent, 'povray-secret-'));
  for (const name of names) writeSecrets(path.join(root, name));
  return root;
}

function writeSecrets(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const image = new PNG({ width: 4, height: 4 });
  image.data.fill(0);
  for (let i = 0; i < image.data.length; i += 4) (image.data[i + 1] = 255), (image.data[i + 3] = 255);
  // Decoders stop at IEND; the marker after it is still in the file's bytes.
  writeFileSync(path.join(dir, 'secret.png'), Buffer.concat([PNG.sync.write(image), Buffer.from(MARKER)]));
  writeFileSync(path.join(dir, 'secret.txt'), `"${MARKER}"\n`);
  writeFileSync(path.join(dir, 'secret.inc'), `#declare Leak = "${MARKER}";\n#debug concat(Leak, "\\n")\n`);
  writeFileSync(path.join(dir, 'secret.ttf'), MARKER);
  writeFileSync(path.join(dir, 'secret.df3'), Buffer.concat([Buffer.from([0, 2, 0, 2, 0, 2]), Buffer.from(MARKER)]));
}

export const HOSTILE_SCENES = [
  'imagePng', 'imageUntyped', 'heightField', 'heightFieldPot', 'font', 'densityFile', 'includeAbsolute', 'includeRelative',
  'includeDeclared', 'includeMacro', 'includeChr', 'includeSubstr', 'fopenSecret', 'fopenProcEnviron', 'fopenPid1Environ',
  'fopenPasswd', 'fileExists', 'writeOutside', 'diskBound', 'iniHeaderAfterComment', 'iniLibraryPath', 'iniLibrarySwitch', 'iniIncludeHeader',
] as const;

/** The hostile scenes: name → archive entries; each reaches for its own subdirectory of `secrets`. */
export function hostileScenes(secrets: string): Record<string, ZipEntrySpec[]> {
  const all: Record<string, ZipEntrySpec[]> = {};
  for (const name of HOSTILE_SCENES) all[name] = hostileScene(name, `${secrets}/${name}`);
  return all;
}

function hostileScene(name: (typeof HOSTILE_SCENES)[number], S: string): ZipEntrySpec[] {
  const up = `${'../'.repeat(16)}${S.slice(1)}`; // relative, from the scene directory up to / and down again
  const codes = [...`${S}/secret.inc`].map((c) => c.charCodeAt(0)).join(', ');
  const half = Math.floor(S.length / 2);
  const pov = (scene: string, povExtra: string, iniExtra = '') => sceneFiles(scene, { povExtra, iniExtra });
  const scenes: Record<(typeof HOSTILE_SCENES)[number], () => ZipEntrySpec[]> = {
    imagePng: () => pov('imagePng', `plane { z, 2 pigment { image_map { png "${S}/secret.png" } } }`),
    imageUntyped: () => pov('imageUntyped', `plane { z, 2 pigment { image_map { "${S}/secret.png" } } }`),
    heightField: () => pov('heightField', `height_field { "${S}/secret.png" }`),
    heightFieldPot: () => pov('heightFieldPot', `height_field { pot "${S}/secret.txt" }`),
    font: () => pov('font', `text { ttf "${S}/secret.ttf" "A" 0.1, 0 }`),
    densityFile: () => pov('densityFile', `sphere { 0, 1 hollow pigment { rgbt 1 } interior { media { density { density_file df3 "${S}/secret.df3" } } } }`),
    includeAbsolute: () => pov('includeAbsolute', `#include "${S}/secret.inc"`),
    includeRelative: () => pov('includeRelative', `#include "${up}/secret.inc"`),
    includeDeclared: () => pov('includeDeclared', `#declare Dir = "${S.slice(0, half)}";\n#declare P = concat(Dir, "${S.slice(half)}", "/sec", "ret.inc");\n#include P`),
    includeMacro: () => pov('includeMacro', `#macro Load(D, F)\n#include concat(D, "/", F)\n#end\nLoad("${S}", "secret.inc")`),
    includeChr: () => pov('includeChr', `#declare Codes = array[${S.length + 11}] { ${codes} };\n#declare P = "";\n#for (I, 0, ${S.length + 10})\n#declare P = concat(P, chr(Codes[I]));\n#end\n#include P`),
    includeSubstr: () => pov('includeSubstr', `#include concat(substr("x${S}y", 2, ${S.length}), "/secret", ".inc")`),
    fopenSecret: () => pov('fopenSecret', `#fopen F "${S}/secret.txt" read\n#read (F, Line)\n#debug concat(Line, "\\n")\n`),
    fopenProcEnviron: () => pov('fopenProcEnviron', `#fopen F "/proc/self/environ" read\n#read (F, Line)\n#debug concat(Line, "\\n")\n`),
    fopenPid1Environ: () => pov('fopenPid1Environ', `#fopen F "/proc/1/environ" read\n#read (F, Line)\n#debug concat(Line, "\\n")\n`),
    fopenPasswd: () => pov('fopenPasswd', `#fopen F "/etc/passwd" read\n#read (F, Line)\n#debug concat(Line, "\\n")\n`),
    fileExists: () => pov('fileExists', `#if (file_exists("${S}/secret.txt")) #debug "${EXISTS_MARKER}\\n" #end`),
    writeOutside: () => pov('writeOutside', `#fopen W "${S}/owned.txt" write\n#write (W, "owned")\n#fclose W`),
    // Inside the job's out/ (writable), but past RLIMIT_FSIZE: 100 MB against a bound of ~33 MB.
    diskBound: () => pov('diskBound', `#declare T = "${'0123456789'.repeat(10)}";\n#fopen W "../out/big.txt" write\n#for (I, 0, 100000)\n#write (W, T, T, T, T, T, T, T, T, T, T)\n#end\n#fclose W`),
    iniHeaderAfterComment: () => pov('iniHeaderAfterComment', '', `+W32 +H18 // +HI${S}/secret.inc\n`),
    iniLibraryPath: () => pov('iniLibraryPath', '#include "secret.inc"', `Library_Path=${S}\n`),
    iniLibrarySwitch: () => pov('iniLibrarySwitch', '#include "secret.inc"', `+L${S}\n`),
    iniIncludeHeader: () => pov('iniIncludeHeader', '', `Include_Header=${S}/secret.inc\n`),
  };
  return scenes[name]();
}

/** Starts `inotifywait` on `dir`; resolves once its watches are set. */
export async function watch(dir: string): Promise<{ events: () => string[]; stop: () => Promise<void>; process: ChildProcess }> {
  const child = spawn('inotifywait', ['-m', '-r', '-e', 'open,access,modify,create', '--format', '%e %w%f', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c));
  await new Promise<void>((resolve, reject) => {
    let err = '';
    child.stderr!.setEncoding('utf8').on('data', (c: string) => {
      err += c;
      if (err.includes('Watches established')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`inotifywait exited with ${code}: ${err}`)));
  });
  return {
    process: child,
    events: () => out.split('\n').filter(Boolean),
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
    },
  };
}

