/**
 * "Copy the built asset and run it in a fresh node": the one way asset tests prove that a prebundled handler
 * runs where Lambda runs it, i.e. from a directory outside this repository, with no node_modules above it,
 * no NODE_PATH or NODE_OPTIONS, and only the environment the test gives it.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { assertBundleCurrent } from '../../local/bundles';
import { handlerAssetPath } from '../../lib/core/assets';

const RESULT_MARKER = '\n@@handler-result@@';

/** How one invocation of the copied handler ended. */
export type AssetOutcome =
  | { readonly resolved: unknown; readonly modules: Record<string, string> }
  | { readonly rejected: string; readonly modules: Record<string, string> };

export interface AssetRunOptions {
  /** The event passed to `handler` (serialized to a file, so any size works). */
  readonly event: unknown;
  /** The context passed to `handler`. */
  readonly context?: unknown;
  /** Environment of the process, besides PATH, AWS_REGION and the SDK's Node-version warning switch. */
  readonly env?: Record<string, string>;
  /** Modules to `require.resolve` inside the copy, to prove where they load from (e.g. `sharp`). */
  readonly resolve?: string[];
}

/** A copy of `assets/<name>` (the whole directory: bundle, source map, shipped native modules) in a temp dir. */
export class AssetCopy {
  public readonly dir: string;

  constructor(public readonly name: string) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), `${name}-asset-`));
    // Never test a stale bundle: one built before its sources last changed.
    assertBundleCurrent(name);
    fs.cpSync(handlerAssetPath(name), this.dir, { recursive: true });
  }

  /** Runs `require('./index.js').handler(event, context)` in a fresh Node process and reports how it ended. */
  public invoke(options: AssetRunOptions): AssetOutcome {
    fs.writeFileSync(path.join(this.dir, 'event.json'), JSON.stringify({ event: options.event, context: options.context ?? {} }));
    const script = `
      const fs = require('fs');
      const { event, context } = JSON.parse(fs.readFileSync('event.json', 'utf8'));
      const modules = Object.fromEntries(${JSON.stringify(options.resolve ?? [])}.map((m) => [m, require.resolve(m)]));
      const report = (outcome) => process.stdout.write(${JSON.stringify(RESULT_MARKER)} + JSON.stringify({ ...outcome, modules }));
      Promise.resolve()
        .then(() => require('./index.js').handler(event, context))
        .then((resolved) => report({ resolved: resolved === undefined ? null : resolved }), (e) => report({ rejected: String(e && e.message) }));`;
    const env = {
      PATH: process.env.PATH ?? '',
      AWS_REGION: 'us-east-1',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      ...options.env,
    };
    const out = execFileSync(process.execPath, ['-e', script], { cwd: this.dir, env, encoding: 'utf8', timeout: 30_000 });
    const at = out.lastIndexOf(RESULT_MARKER);
    if (at < 0) throw new Error(`The ${this.name} asset printed no result:\n${out}`);
    return JSON.parse(out.slice(at + RESULT_MARKER.length)) as AssetOutcome;
  }

  /** Deletes the copy. */
  public remove(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Copies asset `name`, invokes its handler once in a fresh process, deletes the copy. */
export function invokeAssetOnce(name: string, options: AssetRunOptions): AssetOutcome {
  const copy = new AssetCopy(name);
  try {
    return copy.invoke(options);
  } finally {
    copy.remove();
  }
}
