import { spawnSync } from 'child_process';

/** Path of `command` on PATH, or undefined. */
export function whichTool(command: string): string | undefined {
  // env given explicitly: under jest, child_process would otherwise see the process's original environment.
  const result = spawnSync('sh', ['-c', `command -v "${command}"`], { encoding: 'utf8', env: process.env });
  return result.status === 0 ? result.stdout.trim() || undefined : undefined;
}

/** An external tool a test (or the build) uses: the Debian packages that bring it and how to tell it is the real one. */
export interface ToolSpec {
  /** Debian packages `.ci/run` installs for it (and the README lists). */
  readonly packages: readonly string[];
  /** Arguments that make it name itself (printed on stdout or stderr)... */
  readonly identifyArgs: readonly string[];
  /** ...and what the real tool's answer contains (a stand-in of the same name does not). */
  readonly identity: RegExp;
}

/**
 * Every external tool the tests use, by command name. `describeWithTools` accepts only these, and
 * test/local/tools.test.ts holds `.ci/run` and the README's package list to exactly their packages.
 */
export const TOOLS: Readonly<Record<string, ToolSpec>> = {
  povray: { packages: ['povray', 'povray-includes'], identifyArgs: ['--version'], identity: /POV-Ray 3\.7/ },
  chromium: { packages: ['chromium'], identifyArgs: ['--version'], identity: /^Chromium \d+/m },
  convert: { packages: ['imagemagick'], identifyArgs: ['-version'], identity: /Version: ImageMagick \d/ },
  inotifywait: { packages: ['inotify-tools'], identifyArgs: ['--help'], identity: /^inotifywait \d/m },
  // The build (npm ci's prepare) compiles the confinement launcher, docker/povray-worker/sandbox/povray-jail.c.
  cc: { packages: ['gcc', 'libc6-dev'], identifyArgs: ['--version'], identity: /Free Software Foundation/ },
  // local/local-https.ts makes the certificates of the trusted local HTTPS endpoint.
  openssl: { packages: ['openssl'], identifyArgs: ['version'], identity: /^OpenSSL \d/m },
  // npm run test:image builds and runs the worker image (no Docker engine; debootstrap makes its base).
  podman: { packages: ['podman', 'runc', 'debootstrap'], identifyArgs: ['--version'], identity: /^podman version \d/m },
};

/** Why `command` cannot be used (missing, or not the real tool), or undefined when it is there and real. */
export function toolProblem(command: string): string | undefined {
  const spec = TOOLS[command];
  if (!spec) throw new Error(`unknown tool '${command}': add it to TOOLS in local/tools.ts (and its packages to .ci/run and the README)`);
  const found = whichTool(command);
  if (!found) return `${command} is not installed`;
  const answer = spawnSync(found, [...spec.identifyArgs], { encoding: 'utf8', timeout: 15_000, env: process.env });
  const said = `${answer.stdout ?? ''}${answer.stderr ?? ''}`;
  if (!spec.identity.test(said)) {
    return `${found} is not the real ${command} (\`${command} ${spec.identifyArgs.join(' ')}\` said ${JSON.stringify(said.trim().slice(0, 120))}, expected ${spec.identity})`;
  }
  return undefined;
}

const problems = new Map<string, string | undefined>();
/** toolProblem, asked once per tool per test file. */
const cachedProblem = (command: string) => {
  if (!problems.has(command)) problems.set(command, toolProblem(command));
  return problems.get(command);
};

/**
 * `describe` for tests that need external tools. When one is missing or is not the real tool, the block
 * is skipped with a loud message locally, but FAILS when CI=true: a CI run must never pass by skipping.
 */
export function describeWithTools(tools: string[], name: string, body: () => void): void {
  const found = tools.map((tool) => ({ tool, problem: cachedProblem(tool) })).filter((t) => t.problem);
  if (found.length === 0) {
    describe(name, body);
    return;
  }
  const hint = found.map(({ tool }) => `apt-get install -y ${TOOLS[tool].packages.join(' ')}`).join('; ');
  const message = `'${name}' needs ${found.map((t) => t.problem).join('; ')}: ${hint}`;
  if (process.env.CI === 'true') {
    describe(name, () => {
      it('has its required tools', () => {
        throw new Error(`${message} (CI=true: missing tools fail instead of skipping)`);
      });
    });
    return;
  }
  process.stderr.write(`\n!!! SKIPPED: ${message}\n\n`);
  describe.skip(name, body);
}
