/**
 * The confinement's pure parts: the per-job policy, the launcher's command line, `ldd` parsing, the
 * launcher's failure reasons, and the render log's escaping. (The outcome — nothing outside is ever
 * opened — is proven by confinement.e2e.test.ts with the real launcher and POV-Ray.)
 */
import { confinementPolicy, describeConfinement, HostPaths, jailArguments, jailFailure, maxRenderFileBytes, parseLdd, parseProbe, renderEnvironment } from '../../../docker/povray-worker/src/confinement';
import { printable } from '../../../docker/povray-worker/src/log';
import { RenderLog } from '../../../docker/povray-worker/src/render-log';

const host: HostPaths = {
  povray: '/usr/bin/povray',
  read: ['/etc/povray', '/usr/lib/x86_64-linux-gnu', '/usr/share/povray-3.7'],
  exec: ['/usr/bin/povray', '/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2'],
  devices: ['/dev/null'],
};

describe('confinementPolicy', () => {
  it('adds only the job directory (read) and its out/ (write) to what POV-Ray needs to start', () => {
    expect(confinementPolicy(host, { jobDir: '/tmp/povray-job-1', outDir: '/tmp/povray-job-1/out' })).toEqual({
      read: [...host.read, '/tmp/povray-job-1'],
      exec: host.exec,
      write: ['/tmp/povray-job-1/out'],
      devices: ['/dev/null'],
    });
  });
});

describe('jailArguments', () => {
  it('puts every rule, the environment and the file-size limit before "--", then POV-Ray and its arguments', () => {
    const policy = confinementPolicy(host, { jobDir: '/j', outDir: '/j/out' });
    expect(jailArguments(policy, { env: renderEnvironment('/j/home'), maxFileBytes: 1000, program: '/usr/bin/povray', args: ['"/j/render.ini"', '+W8'] })).toEqual([
      '--read', '/etc/povray', '--read', '/usr/lib/x86_64-linux-gnu', '--read', '/usr/share/povray-3.7', '--read', '/j',
      '--exec', '/usr/bin/povray', '--exec', '/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2',
      '--write', '/j/out',
      '--device', '/dev/null',
      '--env', 'HOME=/j/home', '--env', 'LANG=C.UTF-8', '--env', 'LC_ALL=C.UTF-8', '--env', 'TZ=UTC',
      '--max-file-bytes', '1000',
      '--', '/usr/bin/povray', '"/j/render.ini"', '+W8',
    ]);
  });

  it('gives POV-Ray no variable of the worker', () => {
    expect(renderEnvironment('/j/home').map((e) => e.split('=')[0])).toEqual(['HOME', 'LANG', 'LC_ALL', 'TZ']);
  });

  it('bounds each written file by the image buffer POV-Ray keeps on disk at the pixel limit (20 bytes a pixel)', () => {
    expect(maxRenderFileBytes(3840 * 2160)).toBe(3840 * 2160 * 20 + 16 * 1024 * 1024);
  });
});

describe('parseLdd', () => {
  it('finds the libraries and the ELF interpreter', () => {
    const output = [
      '\tlinux-vdso.so.1 (0x00007ffd5a1f2000)',
      '\tlibpng16.so.16 => /lib/x86_64-linux-gnu/libpng16.so.16 (0x00007f1)',
      '\tlibpulsecommon-16.1.so => /usr/lib/x86_64-linux-gnu/pulseaudio/libpulsecommon-16.1.so (0x00007f2)',
      '\t/lib64/ld-linux-x86-64.so.2 (0x00007f3)',
    ].join('\n');
    expect(parseLdd(output)).toEqual({
      libraries: ['/lib/x86_64-linux-gnu/libpng16.so.16', '/usr/lib/x86_64-linux-gnu/pulseaudio/libpulsecommon-16.1.so'],
      interpreter: '/lib64/ld-linux-x86-64.so.2',
    });
  });

  it('refuses a POV-Ray with a missing library', () => {
    expect(() => parseLdd('\tlibboost_thread.so.1.74.0 => not found\n')).toThrow(/POV-Ray is missing a shared library: libboost_thread/);
  });
});

describe('jailFailure', () => {
  it("names the launcher's own failures with its message, and nothing else", () => {
    const neither = 'neither Landlock nor seccomp user notification is available, refusing to run unconfined: Landlock: the kernel has no Landlock; seccomp user notification: no seccomp() system call';
    expect(jailFailure(121, `povray-jail: ${neither}\n`)).toBe(`no kernel confinement available (exit 121): ${neither}`);
    expect(jailFailure(123, '')).toBe('the confinement self-check failed (exit 123)');
    expect(jailFailure(1, 'povray-jail: x')).toBeUndefined(); // POV-Ray's own failure
    expect(jailFailure(0, '')).toBeUndefined();
    expect(jailFailure(null, '')).toBeUndefined();
  });
});

describe('escaping what is logged', () => {
  it('printable escapes C0, DEL and C1 control characters', () => {
    expect(printable('a\nb\x1b[2J\x7f\x85ü')).toBe('a\\x0ab\\x1b[2J\\x7f\\x85ü');
  });

  it("keeps POV-Ray's line breaks and tabs in the render log, escapes the rest", () => {
    const log = new RenderLog();
    log.output('line 1\r\nline\t2\x1b[31m red\x07\n');
    expect(log.toString()).toBe('povray| line 1\npovray| line\t2\\x1b[31m red\\x07\n');
  });
});

describe('parseProbe and describeConfinement', () => {
  it('reads which backend the jail set up, and names it for the log', () => {
    expect(parseProbe('landlock abi 6\n')).toEqual({ mechanism: 'landlock', abi: 6 });
    expect(parseProbe('seccomp-unotify\n')).toEqual({ mechanism: 'seccomp-unotify' });
    expect(parseProbe('')).toBeUndefined();
    expect(parseProbe('landlock abi \n')).toBeUndefined();
    expect(describeConfinement({ mechanism: 'landlock', abi: 4 })).toBe('Landlock ABI 4');
    expect(describeConfinement({ mechanism: 'seccomp-unotify' })).toMatch(/^seccomp user notification/);
  });
});
