// Runs the consumer matrix against the INSTALLED cdk-compute-patterns package and prints
// "N passed, N failed". Arguments: substrings of situation names to run only those.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CLEAN, runSituation, Situation } from './harness';
import { PACKAGE_CHECKS } from './package-checks';
import { everyConstructSituations } from './situations/constructs';
import { IMAGE_PROCESSING_API_SITUATIONS } from './situations/image-processing-api';
import { LAMBDA_ECS_WORKER_SITUATIONS } from './situations/lambda-ecs-worker';
import { LAMBDA_TEST_HARNESS_SITUATIONS } from './situations/lambda-test-harness';
import { SPOT_FLEET_AUTOSCALER_SITUATIONS } from './situations/spot-fleet-autoscaler';
import { TABLE_TRIGGER_SITUATIONS } from './situations/table-trigger';
import { REFUSAL_SITUATIONS } from './situations/refusals';
import { TOOLCHAIN_SITUATIONS } from './situations/toolchain';

/**
 * The README's runnable examples, extracted by run.mjs into src/readme/ (see readme-examples.mjs); the
 * `.compile.ts` ones are only type-checked.
 */
function readmeSituations(): Situation[] {
  const dir = path.join(__dirname, 'readme');
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.run.js'))
    .sort()
    .map((file) => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const example = require(path.join(dir, file)) as { title: string; build: Situation['build'] };
      return { name: `README: ${example.title}`, build: example.build, expect: CLEAN };
    });
}

function main(): void {
  const filters = process.argv.slice(2);
  const selected = (name: string) => filters.length === 0 || filters.some((f) => name.includes(f));
  const situations = [
    ...everyConstructSituations(),
    ...LAMBDA_ECS_WORKER_SITUATIONS,
    ...TABLE_TRIGGER_SITUATIONS,
    ...SPOT_FLEET_AUTOSCALER_SITUATIONS,
    ...IMAGE_PROCESSING_API_SITUATIONS,
    ...TOOLCHAIN_SITUATIONS,
    ...REFUSAL_SITUATIONS,
    ...LAMBDA_TEST_HARNESS_SITUATIONS,
    ...readmeSituations(),
  ].filter((s) => selected(s.name));
  const names = new Set<string>();
  for (const s of situations) {
    if (names.has(s.name)) throw new Error(`two situations are named '${s.name}'`);
    names.add(s.name);
  }

  let passed = 0;
  let failed = 0;
  const pending: string[] = [];
  const nowPassing: string[] = [];
  for (const check of PACKAGE_CHECKS.filter((c) => selected(c.name))) {
    try {
      check.run();
      passed++;
      console.log(`PASS  ${check.name}`);
    } catch (e) {
      failed++;
      console.log(`FAIL  ${check.name}\n      ${(e as Error).message}`);
    }
  }
  for (const situation of situations) {
    const outcome = runSituation(situation);
    const time = `(${(outcome.ms / 1000).toFixed(1)} s)`;
    if (situation.pending) {
      if (outcome.ok) {
        nowPassing.push(situation.name);
        passed++;
        console.log(`PASS  ${situation.name} ${time} — now passes: remove its \`pending\` (${situation.pending})`);
      } else {
        pending.push(situation.name);
        console.log(`PEND  ${situation.name} ${time} — expected to pass after: ${situation.pending}\n      ${outcome.detail}`);
      }
    } else if (outcome.ok) {
      passed++;
      console.log(`PASS  ${situation.name} ${time}`);
    } else {
      failed++;
      console.log(`FAIL  ${situation.name} ${time}\n      ${outcome.detail}`);
    }
  }
  console.log(`\n${passed} passed, ${failed} failed, ${pending.length} pending`);
  if (nowPassing.length > 0) console.log(`pending situations that now pass (remove their \`pending\`): ${nowPassing.join('; ')}`);
  process.exitCode = failed > 0 ? 1 : 0;
}

main();
