/**
 * The real worker process, real POV-Ray, local AWS: the seed scene renders; broken, unsafe and malformed
 * scenes end FAILED with a clear reason, their message gone, nothing written outside the job directory.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { PNG } from 'pngjs';
import { WORKER_ENV } from '../../../contracts/lambda-ecs-worker/render-job';
import { useLocalAws } from '../../../local/local-aws';
import { describeWithTools } from '../../../local/tools';
import { sceneFiles, seedSceneZip, zipOf, zipWithRawName } from '../../../local/povray-scenes';
import { Scenario, WorkerTestbed } from '../../../local/povray-worker';

const local = useLocalAws(['sqs', 's3', 'dynamodb']);

describeWithTools(['povray'], 'povray worker: rendering and rejecting scenes', () => {
  let bed: WorkerTestbed;
  let s: Scenario;
  const canary = path.join(tmpdir(), `povray-worker-canary-${process.pid}-${Date.now()}`);
  let outsideDir: string;
  const jobs: Record<string, string> = {};
  let exitCode: number | null;

  const cases: Record<string, () => Promise<Buffer>> = {
    ECSLogo: async () => seedSceneZip(),
    broken: () => zipOf(sceneFiles('broken', { povExtra: 'sphere { 0, 1 pigment { color rgb 1 }\nbogus_keyword\n' })),
    noini: () => zipOf([{ name: 'other.ini', data: 'Input_File_Name=x.pov\n' }, { name: 'x.pov', data: 'sphere { 0, 1 }' }]),
    dotdot: () => zipWithRawName(sceneFiles('dotdot'), `../../../../../../../../../..${canary}-dotdot.txt`, 'escaped'),
    absolute: () => zipWithRawName(sceneFiles('absolute'), `${canary}-absolute.txt`, 'escaped'),
    symlink: () =>
      zipOf([...sceneFiles('symlink'), { name: 'link', data: outsideDir, mode: 0o120777 }, { name: 'link/owned.txt', data: 'through the link' }]),
    // 20 entries of 1 MiB of zeros, each well under the limit; together over the 8 MiB this worker allows.
    bomb: () => zipOf([...sceneFiles('bomb'), ...Array.from({ length: 20 }, (_, i) => ({ name: `pad/${i}.bin`, data: Buffer.alloc(1024 * 1024) }))]),
    shellout: () => zipOf(sceneFiles('shellout', { iniExtra: `Pre_Scene_Command=touch ${canary}-shellout\n` })),
    fopen: () =>
      zipOf(
        sceneFiles('fopen', {
          povExtra: `#fopen Passwd "/etc/passwd" read\n#read (Passwd, Line)\n#fclose Passwd\n#fopen Out "${canary}-fopen" write\n#write (Out, Line)\n#fclose Out\n`,
        }),
      ),
    povrayini: () => zipOf([...sceneFiles('povrayini'), { name: 'povray.ini', data: `Pre_Scene_Command=touch ${canary}-povrayini\nLibrary_Path=/\n` }]),
  };

  beforeAll(async () => {
    bed = new WorkerTestbed(local());
    s = await bed.scenario('render');
    outsideDir = mkdtempSync(path.join(tmpdir(), 'povray-worker-outside-'));
    for (const [name, build] of Object.entries(cases)) jobs[name] = await bed.submit(s, `${name}.zip`, await build());
    // A key with spaces, '+' and unicode: its INI carries the same name (POV-Ray splits unquoted options on spaces).
    jobs.spaced = await bed.submit(s, 'my scene+1 ü.zip', await zipOf(sceneFiles('my scene+1 ü', { ini: 'Input_File_Name=tiny scene.pov\n+W64 +H36\n' }).map((f) => (f.name.endsWith('.pov') ? { ...f, name: 'tiny scene.pov' } : f))));
    // A message the worker cannot run (a future format version) that names a job, and one that is not JSON.
    jobs.malformed = 'malformed-job';
    await bed.sqs.send(new SendMessageCommand({ QueueUrl: s.queueUrl, MessageBody: JSON.stringify({ version: 2, jobId: 'malformed-job', bucket: s.bucket, key: 'scenes/x.zip' }) }));
    await bed.sqs.send(new SendMessageCommand({ QueueUrl: s.queueUrl, MessageBody: 'not json' }));
    // Two workers drain the queue side by side and exit by themselves once it is empty.
    const env = { [WORKER_ENV.renderWidth]: '32', [WORKER_ENV.renderHeight]: '18', [WORKER_ENV.maxUncompressedBytes]: String(8 * 1024 * 1024) };
    const workers = [bed.startWorker(s, env), bed.startWorker(s, env)];
    const exits = await Promise.all(workers.map((w) => w.exited));
    exitCode = exits.every((e) => e.code === 0) ? 0 : (exits.find((e) => e.code !== 0)?.code ?? null);
  }, 60_000);

  afterAll(async () => {
    await bed?.close();
    rmSync(outsideDir, { recursive: true, force: true });
    if (s) rmSync(s.workDir, { recursive: true, force: true });
  });

  it('renders the seed scene at the reduced size, uploads PNG and log, and records SUCCEEDED', async () => {
    const record = await bed.record(s, jobs.ECSLogo);
    expect(record).toMatchObject({ status: 'SUCCEEDED', progress: 100, attempts: 1, outputKey: 'renders/ECSLogo.png', logKey: 'renders/ECSLogo.log' });
    expect(record?.errorReason).toBeUndefined();
    expect(Date.parse(record!.finishedAt!)).toBeGreaterThanOrEqual(Date.parse(record!.startedAt!));
    const png = await bed.object(s, 'renders/ECSLogo.png');
    expect(png.contentType).toBe('image/png');
    const image = PNG.sync.read(png.body);
    expect([image.width, image.height]).toEqual([32, 18]);
    // Not a blank image: the logo has orange and dark pixels.
    const values = new Set<number>();
    for (let i = 0; i < image.data.length; i += 4) values.add(image.data[i]);
    expect(values.size).toBeGreaterThan(5);
    const log = (await bed.object(s, 'renders/ECSLogo.log')).body.toString();
    expect(log).toContain('POV-Ray finished');
    expect(log).toMatch(/Rendered \d+ of 576 pixels/);
  });

  it('renders a scene whose name has spaces, "+" and unicode under that name', async () => {
    expect(await bed.record(s, jobs.spaced)).toMatchObject({ status: 'SUCCEEDED', outputKey: 'renders/my scene+1 ü.png', logKey: 'renders/my scene+1 ü.log' });
    const image = PNG.sync.read((await bed.object(s, 'renders/my scene+1 ü.png')).body);
    expect([image.width, image.height]).toEqual([32, 18]);
  });

  const failures: Array<[string, RegExp]> = [
    ['broken', /POV-Ray failed \(exit 1\): File 'broken\.pov' line \d+: Parse Error/],
    ['noini', /missing ini: the archive must hold noini\.ini .*it holds other\.ini/],
    ['dotdot', /archive rejected: entry ".*" climbs out of the archive with "\.\."/],
    ['absolute', /archive rejected: entry ".*" has an absolute path/],
    ['symlink', /archive rejected: entry "link" is a symbolic link/],
    ['bomb', /archive rejected: .*(inflates to more than|over the limit of) 8388608 bytes/],
    ['shellout', /ini rejected: shellout\.ini:\d+: Pre_Scene_Command runs a shell command/],
    ['fopen', /scene rejected: fopen\.pov:\d+: uses file I\/O \("#fopen"\)/],
    ['povrayini', /archive rejected: it carries its own "povray\.ini"/],
  ];

  it.each(failures)('%s: FAILED with a clear reason, log uploaded', async (name, reason) => {
    const record = await bed.record(s, jobs[name]);
    expect(record?.status).toBe('FAILED');
    expect(record?.errorReason).toMatch(reason);
    expect(record?.attempts).toBe(1);
    expect(record?.logKey).toBe(`renders/${name}.log`);
    const log = (await bed.object(s, `renders/${name}.log`)).body.toString();
    expect(log).toContain(record!.errorReason);
    await expect(bed.object(s, `renders/${name}.png`)).rejects.toThrow();
  });

  it('drops a malformed message and marks the job it names FAILED', async () => {
    const record = await bed.record(s, 'malformed-job');
    expect(record).toMatchObject({ status: 'FAILED', errorReason: 'unsupported job message version 2; this worker reads version 1' });
  });

  it('deletes every message: nothing left on the queue or in the DLQ, no job lost', async () => {
    expect(await bed.queueCounts(s.queueUrl)).toEqual({ visible: 0, inFlight: 0 });
    expect(await bed.queueCounts(s.dlqUrl)).toEqual({ visible: 0, inFlight: 0 });
    for (const jobId of Object.values(jobs)) expect(['SUCCEEDED', 'FAILED']).toContain((await bed.record(s, jobId))?.status);
  });

  it('writes nothing outside its job directories and removes them', () => {
    expect(exitCode).toBe(0);
    expect(readdirSync(s.workDir)).toEqual([]);
    expect(readdirSync(outsideDir)).toEqual([]);
    for (const suffix of ['-dotdot.txt', '-absolute.txt', '-shellout', '-fopen', '-povrayini']) expect(existsSync(canary + suffix)).toBe(false);
  });
});
