import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { ArchiveRejected, checkEntry, extractArchive } from '../../../docker/povray-worker/src/archive';
import { forbiddenConfigFile, locateIni, sceneBaseName } from '../../../docker/povray-worker/src/job-plan';
import { zipOf, zipWithRawName } from '../../../local/povray-scenes';

const UNIX = 3 << 8;
const FILE = 0o100644 << 16;

describe('checkEntry', () => {
  it.each([
    ['scene.pov', 'scene.pov', 'file'],
    ['textures/wood.png', 'textures/wood.png', 'file'],
    ['textures/', 'textures', 'directory'],
  ])('accepts %s', (name, expected, kind) => {
    expect(checkEntry(name, name.endsWith('/') ? 0o040755 << 16 : FILE, UNIX)).toEqual({ path: expected, kind });
  });

  it.each([
    ['../evil', /climbs out of the archive/],
    ['a/../../evil', /climbs out of the archive/],
    ['/etc/passwd', /absolute path/],
    ['C:/evil', /absolute path/],
    ['a\\..\\evil', /backslash/],
    ['a//b', /empty or "\." path segment/],
    ['./a', /empty or "\." path segment/],
    ['', /empty name/],
    // Control characters would forge lines in the render log; the message shows them escaped.
    ['scene\n[worker] job succeeded.pov', /entry "scene\\n\[worker\] job succeeded\.pov" has a control character/],
    ['a\x1b[2Jb.pov', /entry "a\\u001b\[2Jb\.pov" has a control character/],
    ['a\x85b.pov', /entry "a\\x85b\.pov" has a control character/],
  ])('rejects the name %j', (name, reason) => {
    expect(() => checkEntry(name, FILE, UNIX)).toThrow(reason);
  });

  it('rejects symbolic links, devices and FIFOs by their Unix mode', () => {
    expect(() => checkEntry('link', 0o120777 << 16, UNIX)).toThrow(/symbolic link/);
    expect(() => checkEntry('fifo', 0o010644 << 16, UNIX)).toThrow(/not a regular file/);
    expect(() => checkEntry('dev', 0o060644 << 16, UNIX)).toThrow(/not a regular file/);
  });

  it('treats MS-DOS archives (no Unix mode) as plain files', () => {
    expect(checkEntry('SCENE.POV', 0x20, 0)).toEqual({ path: 'SCENE.POV', kind: 'file' });
  });
});

describe('extractArchive', () => {
  let dir: string;
  let n = 0;
  beforeAll(() => (dir = mkdtempSync(path.join(tmpdir(), 'archive-test-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Writes `zip` to disk and extracts it into a fresh directory inside `dir/case-N/into`. */
  async function extract(zip: Buffer, limits = { maxEntries: 100, maxUncompressedBytes: 1024 * 1024 }) {
    const root = path.join(dir, `case-${n++}`);
    const into = path.join(root, 'into');
    mkdirSync(into, { recursive: true });
    const file = path.join(root, 'scene.zip');
    writeFileSync(file, zip);
    const result: string[] | Error = await extractArchive(file, into, limits).catch((e) => e as Error);
    return { root, into, result };
  }

  it('extracts files and folders', async () => {
    const { into, result } = await extract(await zipOf([{ name: 'a.ini', data: 'x' }, { name: 'tex/b.png', data: 'yy' }]));
    expect(result).toEqual(['a.ini', 'tex/b.png']);
    expect(readFileSync(path.join(into, 'tex/b.png'), 'utf8')).toBe('yy');
  });

  it('refuses a control character in a name without the UTF-8 flag (CP437), instead of transliterating it', async () => {
    const zip = await zipWithRawName([], 'scene\n[worker] x.pov', 'x');
    // Clear the UTF-8 flag (general purpose bit 11) in the local and central headers: the name is CP437 now.
    for (const [signature, offset] of [[0x04034b50, 6], [0x02014b50, 8]]) {
      for (let i = zip.indexOf(Buffer.from(new Uint32Array([signature]).buffer)); i >= 0; i = zip.indexOf(Buffer.from(new Uint32Array([signature]).buffer), i + 4)) {
        zip.writeUInt16LE(zip.readUInt16LE(i + offset) & ~0x800, i + offset);
      }
    }
    const { result } = await extract(zip);
    expect(result).toBeInstanceOf(ArchiveRejected);
    expect((result as Error).message).toMatch(/entry "scene\\n\[worker\] x\.pov" has a control character in its name/);
  });

  it('rejects "../" before writing anything outside', async () => {
    const { root, result } = await extract(await zipWithRawName([], '../escaped.txt', 'x'));
    expect(result).toBeInstanceOf(ArchiveRejected);
    expect((result as Error).message).toMatch(/climbs out/);
    expect(existsSync(path.join(root, 'escaped.txt'))).toBe(false);
  });

  it('rejects a symlink entry and anything written through it', async () => {
    const target = mkdtempSync(path.join(dir, 'target-'));
    const { result } = await extract(await zipOf([{ name: 'link', data: target, mode: 0o120777 }, { name: 'link/owned', data: 'x' }]));
    expect((result as Error).message).toMatch(/"link" is a symbolic link/);
    expect(readdirSync(target)).toEqual([]);
  });

  it('rejects more entries than the limit without reading them', async () => {
    const entries = Array.from({ length: 11 }, (_, i) => ({ name: `f${i}`, data: 'x' }));
    const { into, result } = await extract(await zipOf(entries), { maxEntries: 10, maxUncompressedBytes: 1e6 });
    expect((result as Error).message).toMatch(/holds 11 entries, more than the limit of 10/);
    expect(readdirSync(into)).toEqual([]);
  });

  it('rejects an archive whose declared sizes exceed the budget', async () => {
    const { result } = await extract(await zipOf([{ name: 'big', data: Buffer.alloc(200_000) }]), { maxEntries: 10, maxUncompressedBytes: 100_000 });
    expect((result as Error).message).toMatch(/declares 200000 bytes, over the limit of 100000/);
  });

  it('counts real bytes while inflating: a header that lies about the size does not get through', async () => {
    const zip = await zipOf([{ name: 'bomb', data: Buffer.alloc(5 * 1024 * 1024) }]);
    // Patch the declared uncompressed size (local header offset 22, central directory offset 24) to 100.
    const lying = Buffer.from(zip);
    lying.writeUInt32LE(100, 22);
    const central = lying.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    lying.writeUInt32LE(100, central + 24);
    const { into, result } = await extract(lying, { maxEntries: 10, maxUncompressedBytes: 64 * 1024 });
    expect(result).toBeInstanceOf(ArchiveRejected);
    expect((result as Error).message).toMatch(/archive rejected: .*(too many bytes|inflates to more than)/);
    const written = existsSync(path.join(into, 'bomb')) ? statSync(path.join(into, 'bomb')).size : 0;
    expect(written).toBeLessThanOrEqual(64 * 1024);
  });

  it('rejects something that is not a zip', async () => {
    const { result } = await extract(Buffer.from('not a zip at all'));
    expect((result as Error).message).toMatch(/not a readable zip file/);
  });

  it('rejects two entries with the same name', async () => {
    const { result } = await extract(await zipOf([{ name: 'a.pov', data: '1' }, { name: 'A.pov', data: '2' }]));
    expect((result as Error).message).toMatch(/appears twice/);
  });
});

describe('scene layout', () => {
  it('names the scene after the archive', () => {
    expect(sceneBaseName('scenes/sub/ECSLogo.zip')).toBe('ECSLogo');
    expect(sceneBaseName('scenes/my scene.v2.zip')).toBe('my scene.v2');
  });

  it('finds <base>.ini at the root or in a single top-level folder', () => {
    expect(locateIni(['ECSLogo.ini', 'ECSLogo.pov'], 'ECSLogo')).toEqual({ sceneDir: '', iniFile: 'ECSLogo.ini' });
    expect(locateIni(['ECSLogo/ECSLogo.ini', 'ECSLogo/ECSLogo.pov'], 'ECSLogo')).toEqual({ sceneDir: 'ECSLogo', iniFile: 'ECSLogo.ini' });
    expect(() => locateIni(['other.ini', 'x.pov'], 'ECSLogo')).toThrow(/missing ini: the archive must hold ECSLogo\.ini .* it holds other\.ini/);
    expect(() => locateIni(['x.pov'], 'ECSLogo')).toThrow(/it holds no \.ini file/);
  });

  it('spots configuration files POV-Ray would read by itself', () => {
    expect(forbiddenConfigFile(['a.ini', 'POVRAY.INI'])).toBe('POVRAY.INI');
    expect(forbiddenConfigFile(['sub/povray.conf'])).toBe('sub/povray.conf');
    expect(forbiddenConfigFile(['.povray/3.7/povray.ini'])).toBe('.povray/3.7/povray.ini');
    expect(forbiddenConfigFile(['a.ini', 'a.pov', 'my-povray.ini.txt'])).toBeUndefined();
  });
});
