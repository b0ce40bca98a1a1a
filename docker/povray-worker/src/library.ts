import { existsSync, readdirSync, readFileSync, statSync } from 'fs';
import * as path from 'path';
import { indexLibrary, LibraryIndex } from './sdl-scan';

/** Debian's POV-Ray library paths (from /etc/povray/3.7/povray.ini), searched for #include and fonts. */
export const POVRAY_LIBRARY_DIRS = ['/usr/share/povray-3.7', '/usr/share/povray-3.7/ini', '/usr/share/povray-3.7/include'];

/** Reads the standard include library once and indexes it (≈100 small files, a few ms). */
export function loadLibraryIndex(dirs: readonly string[] = POVRAY_LIBRARY_DIRS): LibraryIndex {
  const files = new Map<string, string>();
  for (const dir of dirs) {
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      const file = path.join(dir, name);
      if (files.has(name) || !statSync(file).isFile()) continue;
      files.set(name, /\.(inc|mcr)$/i.test(name) ? readFileSync(file, 'latin1') : '');
    }
  }
  return indexLibrary(files);
}
