import { spawnSync } from 'child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { DEFAULT_SIZE, povrayArguments, renderSize, unsupportedFileNameReason } from '../../../docker/povray-worker/src/ini-allowlist';
import { loadLibraryIndex } from '../../../docker/povray-worker/src/library';
import { checkScene, indexLibrary, LibraryIndex, tokenize, unsafePathReason } from '../../../docker/povray-worker/src/sdl-scan';
import { readZipEntry, seedSceneZipPath } from '../../../local/seed-scene';
import { describeWithTools } from '../../../local/tools';

/** A small stand-in for the standard library: colors.inc, an I/O macro and a macro calling it. */
const fakeLibrary = indexLibrary(
  new Map([
    ['colors.inc', '#declare Red = rgb <1,0,0>;'],
    ['strings.inc', '#macro Parse_String(S) #fopen F "parse_string.tmp" write #write (F, S) #fclose F #include "parse_string.tmp" #end'],
    ['wrap.inc', '#include "strings.inc"\n#macro Wrapper(S) Parse_String(S) #end #macro Harmless(X) X * 2 #end'],
    ['bad.inc', '#fopen F "/etc/passwd" read'],
    ['timrom.ttf', ''],
  ]),
);

function check(files: Record<string, string>, entry = 'scene.pov', library: LibraryIndex = fakeLibrary): void {
  checkScene(entry, { files: new Set(Object.keys(files)), read: (f) => files[f] }, library);
}

describe('SDL tokenizer', () => {
  it('drops line and nested block comments and keeps strings whole', () => {
    const tokens = tokenize('// #fopen\n/* a /* #read */ b */ #include "x // y.inc" sphere');
    expect(tokens.map((t) => t.value)).toEqual(['#', 'include', 'x // y.inc', 'sphere']);
    expect(tokens[2]).toMatchObject({ kind: 'string', line: 2 });
  });

  it('ends a line comment at LF, CRLF and a lone CR, as POV-Ray does', () => {
    expect(tokenize('// a\r#include "x.inc"').map((t) => t.value)).toEqual(['#', 'include', 'x.inc']);
    expect(tokenize('// a\r\n#include "x.inc"\r#declare').map((t) => [t.value, t.line])).toEqual([['#', 2], ['include', 2], ['x.inc', 2], ['#', 3], ['declare', 3]]);
  });

  it('rejects an unterminated string', () => {
    expect(() => tokenize('#include "oops', 'a.pov')).toThrow(/a\.pov:1: unterminated string/);
  });
});

describe('unsafePathReason', () => {
  it.each([
    ['wood.png', undefined],
    ['tex/wood.png', undefined],
    ['/etc/passwd', /absolute/],
    ['~/x', /absolute/],
    ['../x', /climbs out/],
    ['tex/../../x', /climbs out/],
    ['a\\x', /backslash/],
    ['', /empty/],
  ])('%j', (name, reason) => {
    const result = unsafePathReason(name);
    if (reason) expect(result).toMatch(reason);
    else expect(result).toBeUndefined();
  });
});

describe('checkScene', () => {
  it('accepts a scene with standard includes, archive includes and literal file names', () => {
    expect(() =>
      check({
        'scene.pov': '#include "colors.inc"\n#include "parts"\n#declare Tex = "tex/wood.png"\nplane { y, 0 pigment { image_map { png Tex } } }\ntext { ttf "timrom.ttf" "hi" 1, 0 }',
        'parts.inc': 'box { 0, 1 pigment { image_map { jpeg "tex/stone.jpg" } } }',
      }),
    ).not.toThrow();
  });

  it.each([
    ['#fopen', '#fopen F "/etc/passwd" read', /scene\.pov:1: uses file I\/O \("#fopen"\)/],
    ['#read', '#read (F, L)', /uses file I\/O \("#read"\)/],
    ['#write with a space', '# write (F, "x")', /uses file I\/O \("#write"\)/],
    ['an absolute include', '#include "/etc/passwd"', /#include "\/etc\/passwd" is an absolute path/],
    ['a climbing include', '#include "../../secret.inc"', /climbs out of the job directory/],
    ['an include by expression', '#include concat("/et", "c/passwd")', /#include must name its file with a string literal/],
    ['an include not in the archive or library', '#include "nowhere.inc"', /neither in the archive nor a standard POV-Ray include/],
    ['an absolute image', 'plane { y, 0 pigment { image_map { png "/etc/shadow" } } }', /the file name "\/etc\/shadow" after "png" is an absolute path/],
    ['an image by expression', 'plane { y, 0 pigment { image_map { png concat("/", "x") } } }', /after "png" must be a string literal/],
    ['an image named by an undeclared name', '#macro M(F) image_map { png F } #end', /F, which is not #declared as a string literal/],
    ['a name re-declared with an expression', '#declare F = "ok.png"\n#declare F = concat("/etc/", "x")\nimage_map { png F }', /not #declared as a string literal/],
    ['a name declared with a bad literal', '#declare F = "../../x.png"\nimage_map { tga F }', /the file name F = "\.\.\/\.\.\/x\.png" climbs out/],
    ['a library macro doing file I/O', '#include "strings.inc"\nParse_String("#fopen F \\"/etc/passwd\\" read")', /calls Parse_String from strings\.inc, which reads or writes files/],
    ['a library macro calling one that does', '#include "wrap.inc"\nWrapper("x")', /calls Wrapper from wrap\.inc/],
    ['a library file doing I/O at top level', '#include "bad.inc"', /#include "bad\.inc": bad\.inc:1: uses file I\/O/],
    ['file_exists with an expression', '#if (file_exists(concat("/etc/", "passwd"))) #end', /file_exists must be called with a string literal/],
    ['file_exists of an absolute path', '#if (file_exists("/etc/passwd")) #end', /"\/etc\/passwd" after "file_exists" is an absolute path/],
  ])('rejects %s', (_name, source, reason) => {
    expect(() => check({ 'scene.pov': source })).toThrow(reason);
  });

  it('sees code after a comment ended by a lone CR, and the archive files it includes', () => {
    expect(() => check({ 'scene.pov': 'sphere { 0, 1 } // harmless\r#fopen F "/etc/passwd" read\n' })).toThrow(/file I\/O/);
    expect(() => check({ 'scene.pov': '// harmless\r#include "hidden.inc"\n', 'hidden.inc': '#fopen F "/etc/passwd" read\n' })).toThrow(/hidden\.inc:\d+: uses file I\/O/);
  });

  it('checks the photon map file names (save_file, load_file) like every other file name', () => {
    expect(() => check({ 'scene.pov': 'global_settings { photons { count 100 save_file "../out/p.ph" } }' })).toThrow(/climbs out of the job directory/);
    expect(() => check({ 'scene.pov': 'global_settings { photons { load_file "/etc/passwd" } }' })).toThrow(/absolute path/);
    expect(() => check({ 'scene.pov': '#declare P = concat("/etc", "/x");\nglobal_settings { photons { load_file P } }' })).toThrow(/load_file/);
  });

  it('checks archive includes too, transitively', () => {
    expect(() => check({ 'scene.pov': '#include "a.inc"', 'a.inc': '#include "b.inc"', 'b.inc': '#fopen F "/etc/passwd" read' })).toThrow(/b\.inc:1: uses file I\/O/);
  });

  it('allows harmless library macros', () => {
    expect(() => check({ 'scene.pov': '#include "wrap.inc"\n#declare X = Harmless(2);' })).not.toThrow();
  });
});

describeWithTools(['povray'], 'against the installed POV-Ray library', () => {
  const library = loadLibraryIndex();

  it('finds the library macros that read or write files', () => {
    const { ioMacros, unsafeFiles } = library.reach(library.files);
    for (const macro of ['Parse_String', 'BuildWriteMesh2', 'HF_Square', 'HF_Sphere', 'ARRAYS_WriteDF3']) expect(ioMacros.has(macro)).toBe(true);
    for (const macro of ['Round_Box', 'Rad_Settings', 'VRand']) expect(ioMacros.has(macro)).toBe(false);
    expect(unsafeFiles.size).toBe(0);
    expect(library.files.has('colors.inc')).toBe(true);
  });

  it('reads only the library files a scene reaches', () => {
    expect([...library.reach(['colors.inc']).ioMacros.keys()]).toEqual([]);
    expect(library.reach(['strings.inc']).ioMacros.get('Parse_String')).toBe('strings.inc');
    expect(() => check({ 'a.pov': '#include "shapes.inc"\nobject { HF_Square(f_noise3d, 0, 0, <10,10>, 0, "", <0,0,0>, <1,1,1>) }' }, 'a.pov', library)).toThrow(
      /calls HF_Square from shapes\.inc/,
    );
  });

  it('accepts the seed scene as shipped', async () => {
    const seedPov = (await readZipEntry(seedSceneZipPath(), 'ECSLogo.pov')).toString('latin1');
    expect(() => check({ 'ECSLogo.pov': seedPov, 'AWS_Logo_PoweredBy_300px.png': '' }, 'ECSLogo.pov', library)).not.toThrow();
  });

  it('is needed: Debian POV-Ray itself lets a scene write outside its directory', () => {
    // The control experiment behind the check: run POV-Ray directly on an #fopen/#write scene.
    const dir = mkdtempSync(path.join(tmpdir(), 'povray-fopen-control-'));
    const outside = mkdtempSync(path.join(tmpdir(), 'povray-fopen-outside-'));
    try {
      const target = path.join(outside, 'written-by-scene.txt');
      writeFileSync(path.join(dir, 'w.pov'), `#fopen F "${target}" write\n#write (F, "owned")\n#fclose F\nsphere { 0, 1 pigment { rgb 1 } }\n`);
      spawnSync('povray', ['+Iw.pov', '-D', '+W8', '+H8', '-F'], { cwd: dir, env: { PATH: process.env.PATH, HOME: dir }, encoding: 'utf8' });
      expect(existsSync(target)).toBe(true);
      expect(() => check({ 'w.pov': `#fopen F "${target}" write` }, 'w.pov', library)).toThrow(/uses file I\/O/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      rmSync(outside, { recursive: true, force: true });
    }
  });
});

describe('render size and command line', () => {
  it('prefers the override, then the INI, then the default', () => {
    expect(renderSize({ width: 1920, height: 1080 }, { width: 32, height: 18 }, 1e9)).toEqual({ width: 32, height: 18 });
    expect(renderSize({ width: 1920, height: 1080 }, {}, 1e9)).toEqual({ width: 1920, height: 1080 });
    expect(renderSize({}, {}, 1e9)).toEqual(DEFAULT_SIZE);
  });

  it('refuses more pixels than the limit', () => {
    expect(() => renderSize({ width: 1920, height: 1080 }, {}, 1920 * 1080 - 1)).toThrow(/asks for 1920×1080 = 2073600 pixels, more than the limit of 2073599/);
    expect(() => renderSize({ width: 10, height: 100 }, { width: 100_000 }, 1e6)).toThrow(/more than the limit/);
  });

  it('puts the forced options after the INI so they win, with paths quoted', () => {
    const args = povrayArguments('/job/render.ini', 'my scene.pov', { width: 32, height: 18 }, '/job/out/render.png');
    expect(args).toEqual(['"/job/render.ini"', '+I"my scene.pov"', '+W32', '+H18', '-D', '-P', '+FN', '+O"/job/out/render.png"']);
  });

  it('refuses scene file names POV-Ray cannot open', () => {
    expect(unsupportedFileNameReason('my scene+1.pov')).toBeUndefined();
    expect(unsupportedFileNameReason('ü.pov')).toMatch(/POV-Ray cannot open "ü\.pov"/);
    expect(unsupportedFileNameReason('a"b.pov')).toMatch(/no double quotes/);
  });
});
