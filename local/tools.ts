import { spawnSync } from 'child_process';

/** Path of `command` on PATH, or undefined. */
export function whichTool(command: string): string | undefined {
  const result = spawnSync('sh', ['-c', `command -v "${command}"`], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() || undefined : undefined;
}

const INSTALL_HINT: Record<string, string> = {
  povray: 'apt-get install -y povray povray-includes',
  chromium: 'apt-get install -y chromium',
  convert: 'apt-get install -y imagemagick',
  inotifywait: 'apt-get install -y inotify-tools',
};

/**
 * `describe` for tests that need external tools. When one is missing the block is skipped with a loud
 * message locally, but FAILS when CI=true: a CI run must never pass by skipping.
 */
export function describeWithTools(tools: string[], name: string, body: () => void): void {
  const missing = tools.filter((tool) => !whichTool(tool));
  if (missing.length === 0) {
    describe(name, body);
    return;
  }
  const message = `'${name}' needs ${missing.join(', ')}, not installed: ${missing.map((t) => INSTALL_HINT[t] ?? `install ${t}`).join('; ')}`;
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
