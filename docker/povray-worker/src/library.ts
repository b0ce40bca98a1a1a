import { existsSync, readdirSync, readFileSync, statSync } from 'fs';
import * as path from 'path';
import { libraryFrom, LibraryIndex } from './sdl-scan';

/** Debian's POV-Ray library paths (from /etc/povray/3.7/povray.ini), searched for #include and fonts. */
export const POVRAY_LIBRARY_DIRS = ['/usr/share/povray-3.7', '/usr/share/povray-3.7/ini', '/usr/share/povray-3.7/include'];

/**
 * The standard include library: its file names now (one directory listing each), each file's contents
 * only when a scene includes it (then cached for the worker's life).
 */
export function loadLibraryIndex(dirs: readonly string[] = POVRAY_LIBRARY_DIRS): LibraryIndex {
  const paths = new Map<string, string>();
  for (const dir of dirs) {
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      const file = path.join(dir, name);
      if (!paths.has(name) && statSync(file).isFile()) paths.set(name, file);
    }
  }
  return libraryFrom(new Set(paths.keys()), (name) => readFileSync(paths.get(name)!, 'latin1'));
}
