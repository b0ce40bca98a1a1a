/**
 * The scene's INI becomes an allow-list of checked options and a fresh INI of the worker's own: no line
 * of the archive's INI reaches POV-Ray, and anything off the list is refused with its name.
 */
import { freshIni, parseIni } from '../../../docker/povray-worker/src/ini-allowlist';

describe('parseIni', () => {
  it('reads the seed INI: input file, size from switches, render options', () => {
    const ini = '; comment\nInput_File_Name=ECSLogo.pov\n+W1920 +H1080\nQuality=11\nAntialias=on\nSampling_Method=2\nAntialias_Depth=5\nJitter=on\n';
    expect(parseIni(ini, 'ECSLogo.ini')).toEqual({
      inputFile: 'ECSLogo.pov',
      width: 1920,
      height: 1080,
      options: [
        { key: 'Quality', value: '11' },
        { key: 'Antialias', value: 'on' },
        { key: 'Sampling_Method', value: '2' },
        { key: 'Antialias_Depth', value: '5' },
        { key: 'Jitter', value: 'on' },
      ],
      ignored: [],
    });
  });

  it('reads Key=Value sizes, quoted names, +I and the switch forms of the options', () => {
    expect(parseIni('Width = 320\r\nHeight=240\r\nInput_File_Name="my scene.pov"', 'a.ini')).toMatchObject({ inputFile: 'my scene.pov', width: 320, height: 240, options: [] });
    expect(parseIni('+I"my scene.pov" +W10 +H20 -D +A0.3 +AM2 +R3 +Q9 +WT2 -UA +J0.5 +MV3.7', 'a.ini')).toEqual({
      inputFile: 'my scene.pov',
      width: 10,
      height: 20,
      options: [
        { key: 'Antialias', value: 'on' },
        { key: 'Antialias_Threshold', value: '0.3' },
        { key: 'Sampling_Method', value: '2' },
        { key: 'Antialias_Depth', value: '3' },
        { key: 'Quality', value: '9' },
        { key: 'Work_Threads', value: '2' },
        { key: 'Output_Alpha', value: 'off' },
        { key: 'Jitter', value: 'on' },
        { key: 'Jitter_Amount', value: '0.5' },
        { key: 'Version', value: '3.7' },
      ],
      ignored: ['-D'],
    });
  });

  it('drops the options the worker sets itself, naming them', () => {
    const plan = parseIni('Output_File_Name=/tmp/elsewhere.png\nOutput_File_Type=T\nDisplay=on\n+O/tmp/x.png +FT +P\nVerbose=on', 'a.ini');
    expect(plan.ignored).toEqual(['Output_File_Name', 'Output_File_Type', 'Display', '+O/tmp/x.png', '+FT', '+P', 'Verbose']);
    expect(plan.options).toEqual([]);
  });

  it.each([
    ['Pre_Scene_Command=touch /tmp/x', /a\.ini:2: Pre_Scene_Command runs a shell command/],
    ['post_frame_command = rm -rf /', /post_frame_command runs a shell command/],
    ['Fatal_Error_Return=q', /runs a shell command/],
    ['Library_Path=/', /Library_Path adds a search path/],
    ['+L/etc', /\+L\/etc adds a library path/],
    ['Include_Ini=other.ini', /Include_Ini includes another INI/],
    ['other.ini', /"other\.ini" is not an option/],
    ['Create_Ini=/tmp/x.ini', /Create_Ini reads or writes a file/],
    ['All_File=/tmp/log', /All_File reads or writes a file/],
    ['Include_Header=/etc/passwd', /Include_Header reads or writes a file/],
    ['+GA/tmp/log', /\+GA\/tmp\/log writes a file/],
    ['+GI/tmp/x.ini', /writes a file/],
    ['+HI/etc/passwd', /\+HI\/etc\/passwd includes a header file/],
    ['+hi/etc/passwd', /includes a header file/],
    ['Input_File_Name=/etc/passwd', /the input file "\/etc\/passwd" is an absolute path/],
    ['+I../x.pov', /climbs out/],
    ['Final_Frame=10', /animation option/],
    ['+KFF10', /animation option/],
    ['Declare=Secret=1', /"Declare" is not an option the worker accepts \(allowed: Width, Height, /],
    ['Mystery_Option=1', /"Mystery_Option" is not an option the worker accepts/],
    ['+ZZ', /unknown or unsupported switch "\+ZZ"/],
    ['Width=-5', /Width "-5" is not valid: expected an integer from 1 to 65535/],
    ['Width=64 ; ok', null],
    ['Quality=12', /Quality "12" is not valid/],
    ['Antialias=maybe', /Antialias "maybe" is not valid: expected on or off/],
    ['+W-5', /\+W-5 is not valid: Width expects an integer/],
    ['+Q', /\+Q is not valid/],
    // POV-Ray does not treat `//` as a comment on a switch line: what follows would be options.
    ['+W64 +H48 // +L/outside', /a\.ini:2: "\/\/" is not a comment in a POV-Ray INI file/],
    ['// +HI/etc/passwd', /"\/\/" is not a comment/],
    ['Width=64 // +L/x', /"\/\/" is not a comment/],
    ['[Section]', /INI sections \(\[Section\]\) are not supported/],
    ['Bad\x1b[2J=1', /"Bad\\x1b\[2J" is not an option/],
  ])('judges %j', (line, reason) => {
    const parse = () => parseIni(`Antialias=on\n${line}`, 'a.ini');
    if (reason === null) expect(parse).not.toThrow();
    else expect(parse).toThrow(reason);
  });

  it('escapes control characters of the INI name it quotes', () => {
    expect(() => parseIni('Bogus=1', 'evil\n[worker] job succeeded.ini')).toThrow(/^ini rejected: evil\\x0a\[worker\] job succeeded\.ini:1:/);
  });
});

describe('freshIni', () => {
  it('writes only the checked options, canonical, never a line of the original', () => {
    const original = '; my scene\nInput_File_Name=s.pov\n+W64 +H48\nANTIALIAS = Yes\nQuality=  9 \nOutput_File_Name=/etc/x.png\n+A0.25\n';
    const text = freshIni(parseIni(original, 's.ini'));
    expect(text).toBe('; written by the worker from the scene\'s INI (allowed options only)\nAntialias=on\nQuality=9\nAntialias_Threshold=0.25\n');
    expect(text).not.toMatch(/s\.pov|Output_File_Name|\/etc|Width|Height|my scene/);
  });
});
