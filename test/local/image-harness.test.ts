/**
 * The decisions of the image test harness (test/image), without podman: what to build FROM, which mirror,
 * which limits, which run flags, and the refusal when tools are missing. Fast, so part of `npm test`.
 */
import { readFileSync } from 'fs';
import * as path from 'path';
import { WORKER_ENV } from '../../contracts/lambda-ecs-worker/render-job';
import { debianSources, externalBaseImages, imageSourcesFile, localImageNames, recipeHash } from '../../local/image/base-image';
import { containerUlimitArgs, imageTestBlocker, parseHardLimits } from '../../local/image/podman';
import { containerEnvironment, podmanRunFlags, runSettingsFrom } from '../../local/image/task-definition';

describe('base image recipe', () => {
  it('finds the registry image of the shipped Dockerfile', () => {
    const dockerfile = readFileSync(path.join(__dirname, '..', '..', 'docker', 'povray-worker', 'Dockerfile'), 'utf8');
    expect(externalBaseImages(dockerfile)).toEqual([{ name: 'node:24-bookworm-slim', nodeMajor: '24' }]);
  });

  it('skips earlier build stages in a multi-stage Dockerfile and refuses bases it cannot build', () => {
    const multiStage = 'FROM node:24-bookworm-slim AS build\nRUN make\nFROM build AS test\nFROM node:24-bookworm-slim\nCOPY --from=build /x /x\n';
    expect(externalBaseImages(multiStage)).toEqual([{ name: 'node:24-bookworm-slim', nodeMajor: '24' }]);
    expect(() => externalBaseImages('FROM alpine:3.20\n')).toThrow(/only node:<major>-bookworm-slim .* FROM alpine:3\.20/);
    expect(() => externalBaseImages('FROM node:18-bookworm-slim\n')).toThrow(/no Node 18 release is pinned/);
    expect(() => externalBaseImages('RUN true\n')).toThrow(/no FROM line/);
  });

  it('tags the image under the names podman resolves a short name to', () => {
    expect(localImageNames('node:24-bookworm-slim')).toEqual(['docker.io/library/node:24-bookworm-slim', 'localhost/node:24-bookworm-slim']);
  });

  it('reads the Debian mirror from deb822 and one-line sources', () => {
    const deb822 = 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm bookworm-updates\nComponents: main\n\nTypes: deb\nURIs: http://deb.debian.org/debian-security\nSuites: bookworm-security\nComponents: main\n';
    expect(debianSources([deb822])).toEqual({ mirror: 'http://deb.debian.org/debian', securityMirror: 'http://deb.debian.org/debian-security' });
    expect(debianSources(['# local\ndeb [arch=amd64] http://mirror.example/debian/ bookworm main\n'])).toEqual({ mirror: 'http://mirror.example/debian', securityMirror: undefined });
    expect(() => debianSources(['deb http://deb.debian.org/debian bullseye main\n'])).toThrow(/no Debian bookworm mirror/);
    expect(imageSourcesFile({ mirror: 'http://m/debian' })).toBe(
      'Types: deb\nURIs: http://m/debian\nSuites: bookworm bookworm-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n',
    );
  });

  it('changes the recipe hash with the recipe, the mirror or the base', () => {
    const ref = { name: 'node:24-bookworm-slim', nodeMajor: '24' };
    const sources = { mirror: 'http://deb.debian.org/debian' };
    const hash = recipeHash(ref, sources, 'recipe');
    expect(recipeHash(ref, sources, 'recipe')).toBe(hash);
    expect(recipeHash(ref, sources, 'recipe v2')).not.toBe(hash);
    expect(recipeHash(ref, { mirror: 'http://other/debian' }, 'recipe')).not.toBe(hash);
    expect(recipeHash({ ...ref, name: 'docker.io/library/node:24-bookworm-slim' }, sources, 'recipe')).not.toBe(hash);
  });
});

describe('podman on this machine', () => {
  const limits = [
    'Limit                     Soft Limit           Hard Limit           Units',
    'Max processes             96365                96365                processes',
    'Max open files            1024                 20000                files',
  ].join('\n');

  it('asks for no limit above the hard limits or pid_max', () => {
    expect(parseHardLimits(limits)).toEqual({ nofile: 20000, nproc: 96365 });
    expect(containerUlimitArgs(limits, 32768)).toEqual(['--ulimit', 'nofile=20000:20000', '--ulimit', 'nproc=32768:32768']);
    expect(containerUlimitArgs('Max open files            unlimited            unlimited            files', 4_194_304)).toEqual([
      '--ulimit', 'nofile=65535:65535', '--ulimit', 'nproc=4194304:4194304',
    ]);
  });

  it('refuses to run, saying what to install, when a tool or root is missing', () => {
    expect(imageTestBlocker(true, () => '/usr/bin/x')).toBeUndefined();
    expect(imageTestBlocker(true, (c) => (c === 'podman' ? undefined : '/usr/bin/x'))).toBe(
      'npm run test:image cannot run: podman not installed: run `apt-get install -y podman`',
    );
    expect(imageTestBlocker(false, () => undefined)).toMatch(/podman, runc, debootstrap not installed: run `apt-get install -y podman runc debootstrap`; .* need root/);
  });
});

describe('container settings from the task definition', () => {
  const template = {
    Resources: {
      Task: {
        Type: 'AWS::ECS::TaskDefinition',
        Properties: {
          Cpu: '2048',
          Memory: '4096',
          Volumes: [{ Name: 'scratch' }],
          ContainerDefinitions: [
            {
              User: '1000:1000',
              ReadonlyRootFilesystem: true,
              StopTimeout: 120,
              MountPoints: [{ SourceVolume: 'scratch', ContainerPath: '/tmp', ReadOnly: false }],
              LinuxParameters: { Capabilities: { Drop: ['ALL'] } },
              Environment: [
                { Name: WORKER_ENV.queueUrl, Value: { Ref: 'Queue' } },
                { Name: WORKER_ENV.inputPrefix, Value: 'scenes/' },
              ],
            },
          ],
        },
      },
    },
  };
  const settings = runSettingsFrom(template);

  it('reads user, root filesystem, volumes, capabilities, size and environment', () => {
    expect(settings).toEqual({
      user: '1000:1000',
      readonlyRootFilesystem: true,
      volumePaths: ['/tmp'],
      dropCapabilities: ['ALL'],
      addCapabilities: [],
      cpuUnits: 2048,
      memoryMiB: 4096,
      stopTimeoutSeconds: 120,
      environment: { QUEUE_URL: null, INPUT_PREFIX: 'scenes/' },
    });
    expect(podmanRunFlags(settings)).toEqual([
      '--user', '1000:1000', '--read-only', '--read-only-tmpfs=false', '--mount', 'type=volume,dst=/tmp', '--cap-drop=ALL',
      '--security-opt', 'no-new-privileges', '--cpus', '2', '--memory', '4096m', '--stop-timeout', '120',
    ]);
  });

  it('fills token values locally and refuses values the task definition does not set', () => {
    expect(containerEnvironment(settings, { QUEUE_URL: 'http://q' }, { POLL_WAIT_SECONDS: '1' })).toEqual({ QUEUE_URL: 'http://q', INPUT_PREFIX: 'scenes/', POLL_WAIT_SECONDS: '1' });
    expect(() => containerEnvironment(settings, {})).toThrow(/sets QUEUE_URL from a CloudFormation token/);
    expect(() => containerEnvironment(settings, { QUEUE_URL: 'http://q', RENDER_WIDTH: '8' })).toThrow(/local values for RENDER_WIDTH, which the task definition does not set/);
  });

  it('refuses mounts of unknown or read-only volumes', () => {
    const withMount = (mount: object) => ({ Resources: { T: { ...template.Resources.Task, Properties: { ...template.Resources.Task.Properties, ContainerDefinitions: [{ ...template.Resources.Task.Properties.ContainerDefinitions[0], MountPoints: [mount] }] } } } });
    expect(() => runSettingsFrom(withMount({ SourceVolume: 'other', ContainerPath: '/x' }))).toThrow(/unknown volume other/);
    expect(() => runSettingsFrom(withMount({ SourceVolume: 'scratch', ContainerPath: '/x', ReadOnly: true }))).toThrow(/read-only/);
  });
});
