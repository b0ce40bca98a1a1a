// What the user installs: the package as npm put it into node_modules, checked file by file.
import { builtinModules } from 'node:module';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as patterns from 'cdk-compute-patterns';

export interface Check {
  readonly name: string;
  /** Throws with what is wrong. */
  readonly run: () => void;
}

const ROOT = path.dirname(require.resolve('cdk-compute-patterns/package.json'));
const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

/**
 * A bare `require("name")` call in a bundle. The AWS SDK's error messages quote advice such as
 * `[require('@aws-sdk/signature-v4a');]`: that is text, not a call, hence the `;]` look-ahead.
 */
const BARE_REQUIRE = /\brequire\(\s*["']([^"'./][^"']*)["']\s*\)(?!;\])/g;

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(full) : [full];
  });
}

/** Package name of a bare require (`@scope/name/sub` → `@scope/name`). */
function packageOf(request: string): string {
  const parts = request.split('/');
  return request.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** Bare module names a bundle requires that neither Node, nor the bundle's own node_modules, nor the package's declared dependencies provide. */
export function undeclaredRequires(bundleFile: string): string[] {
  const source = fs.readFileSync(bundleFile, 'utf8');
  const declared = new Set([...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {})]);
  const missing = new Set<string>();
  for (const match of source.matchAll(BARE_REQUIRE)) {
    const request = match[1];
    if (request.startsWith('node:') || builtinModules.includes(request) || builtinModules.includes(packageOf(request))) continue;
    const name = packageOf(request);
    if (declared.has(name)) continue;
    try {
      // It must resolve inside the package's assets (the bundle's own node_modules), not from the user's app.
      const resolved = require.resolve(request, { paths: [path.dirname(bundleFile)] });
      if (!resolved.startsWith(path.join(ROOT, 'assets'))) missing.add(name);
    } catch {
      missing.add(name);
    }
  }
  return [...missing];
}

const WORKER_CONTRACT = 'cdk-compute-patterns/contracts/lambda-ecs-worker/render-job';

export const PACKAGE_CHECKS: Check[] = [
  {
    name: 'package: LICENSE holds the Apache-2.0 text that package.json declares',
    run: () => {
      if (manifest.license !== 'Apache-2.0') throw new Error(`package.json license is ${manifest.license}`);
      const license = path.join(ROOT, 'LICENSE');
      if (!fs.existsSync(license)) throw new Error('no LICENSE file in the package');
      const text = fs.readFileSync(license, 'utf8');
      for (const phrase of ['Apache License', 'Version 2.0, January 2004', 'TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION', 'END OF TERMS AND CONDITIONS']) {
        if (!text.includes(phrase)) throw new Error(`LICENSE does not contain '${phrase}': ship the full Apache-2.0 text`);
      }
    },
  },
  {
    // npm lists these (prepare too, for a tarball or git dependency) as install scripts each user must review.
    name: 'package: the packed package.json has no install scripts (preinstall, install, postinstall, prepare)',
    run: () => {
      const scripts = Object.keys(manifest.scripts ?? {}).filter((s) => ['preinstall', 'install', 'postinstall', 'prepare'].includes(s));
      if (scripts.length > 0) throw new Error(`the packed package.json has ${scripts.join(', ')}: pack with 'npm pack' (prepack runs scripts/pack-manifest.mjs strip), not --ignore-scripts`);
    },
  },
  {
    name: "package: the worker's Docker build context ships what the Dockerfile copies and no TypeScript sources",
    run: () => {
      const context = path.join(ROOT, 'docker', 'povray-worker');
      const files = filesUnder(context).map((f) => path.relative(context, f));
      const sources = files.filter((f) => f.startsWith(`src${path.sep}`) || (f.endsWith('.ts') && !f.endsWith('.d.ts')));
      if (sources.length > 0) throw new Error(`the build context ships sources: ${sources.join(', ')}`);
      const dockerfile = fs.readFileSync(path.join(context, 'Dockerfile'), 'utf8');
      for (const match of dockerfile.matchAll(/^\s*(?:COPY|ADD)\s+(?!--from)(?:--\S+\s+)*(.+?)\s*$/gim)) {
        const sources = match[1].split(/\s+/).slice(0, -1);
        for (const source of sources) {
          if (!fs.existsSync(path.join(context, source))) throw new Error(`the Dockerfile copies '${source}', which the package does not ship`);
        }
      }
      if (!files.includes(path.join('dist', 'index.js'))) throw new Error('the worker bundle dist/index.js is missing');
    },
  },
  {
    name: 'package: every bundle in assets/ needs only Node, its own node_modules or declared dependencies',
    run: () => {
      const bundles = [
        ...fs.readdirSync(path.join(ROOT, 'assets')).map((name) => path.join(ROOT, 'assets', name, 'index.js')).filter((f) => fs.existsSync(f)),
        path.join(ROOT, 'docker', 'povray-worker', 'dist', 'index.js'),
      ];
      const problems = bundles.flatMap((bundle) => undeclaredRequires(bundle).map((name) => `${path.relative(ROOT, bundle)} requires '${name}'`));
      if (problems.length > 0) throw new Error(`undeclared dependencies: ${problems.join('; ')}`);
    },
  },
  {
    name: 'package: the contracts a custom worker image needs are its second entry point',
    run: () => {
      // Not the root: the root is what jsii carries to other languages, and a constant object is not jsii.
      const exported = require(WORKER_CONTRACT) as Record<string, unknown>;
      const workerEnv = exported.WORKER_ENV as Record<string, unknown> | undefined;
      if (!workerEnv || typeof workerEnv !== 'object') throw new Error(`WORKER_ENV is not exported from '${WORKER_CONTRACT}'`);
      for (const name of ['renderJobId', 'renderOutputKeys']) {
        if (typeof exported[name] !== 'function') throw new Error(`${name} is not exported from '${WORKER_CONTRACT}'`);
      }
      for (const [key, value] of Object.entries(workerEnv)) {
        if (typeof value !== 'string' || !/^[A-Z][A-Z0-9_]*$/.test(value)) throw new Error(`WORKER_ENV.${key} is not an environment variable name (${String(value)})`);
      }
      for (const name of ['queueUrl', 'jobTableName', 'inputPrefix', 'outputPrefix', 'visibilityTimeoutSeconds']) {
        if (!(name in workerEnv)) throw new Error(`WORKER_ENV.${name} is missing`);
      }
    },
  },
  {
    name: "package: the jsii assembly (.jsii) ships, describes this version, and names only what the root exports",
    run: () => {
      const file = path.join(ROOT, '.jsii');
      if (!fs.existsSync(file)) throw new Error("no .jsii in the package: run 'npm run build:jsii' before packing");
      const assembly = JSON.parse(fs.readFileSync(file, 'utf8'));
      if (assembly.name !== manifest.name || assembly.version !== manifest.version) {
        throw new Error(`.jsii describes ${assembly.name}@${assembly.version}, the package is ${manifest.name}@${manifest.version}`);
      }
      const exported = patterns as unknown as Record<string, unknown>;
      const missing = Object.values(assembly.types as Record<string, { kind: string; name: string }>)
        .filter((type) => type.kind !== 'interface' && exported[type.name] === undefined)
        .map((type) => type.name);
      if (missing.length > 0) throw new Error(`.jsii names classes or enums the root does not export (stale assembly?): ${missing.join(', ')}`);
      const outside = Object.keys(exported).filter((name) => !(`${manifest.name}.${name}` in assembly.types));
      if (outside.length > 0) throw new Error(`the root exports what jsii languages cannot see: ${outside.join(', ')}`);
    },
  },
];
