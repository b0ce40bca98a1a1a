/**
 * `node dist/index.js --canary`: the deploy-time check (LambdaEcsWorker's `deployCanary`). Renders one tiny
 * scene embedded here, confined exactly as a job is, in the deployed task with its real settings, and exits:
 * 0 when it rendered confined, else a code from CANARY_EXIT with one `CANARY FAILED: <reason>` line on
 * stdout, which the trigger function quotes when it fails the deployment. The scene also asks POV-Ray
 * whether /etc/passwd exists: confined, it cannot see it; if it can, the canary fails (judged by outcome).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import * as path from 'path';
import { CANARY_FAILED_PREFIX } from '../../../contracts/lambda-ecs-worker/canary-env';
import { WorkerConfig } from './config';
import { Confinement, confinementPolicy, describeConfinement, jailArguments, jailFailure, maxRenderFileBytes, renderEnvironment } from './confinement';
import { povrayArguments } from './ini-allowlist';
import { PNG_SIGNATURE } from './job-plan';
import { Logger } from './log';
import { startRender } from './render';

/** The canary's exit codes (the trigger function maps them to words when the log cannot be read). */
export const CANARY_EXIT = { rendered: 0, unconfined: 3, renderFailed: 4 } as const; // CANARY_EXIT_REASONS in contracts/lambda-ecs-worker/canary-env.ts

/** The first line of the canary's failure, which the trigger function looks for in the log stream. */
export const CANARY_FAILED = CANARY_FAILED_PREFIX;

export const CANARY_SCENE = [
  '#version 3.7;',
  '#if (file_exists("/etc/passwd")) #error "the confinement is not effective: /etc/passwd is visible to POV-Ray" #end',
  'camera { location <0, 0, -3> look_at 0 }',
  'light_source { <2, 4, -3>, rgb 1 }',
  'sphere { 0, 1 pigment { rgb <1, 0.5, 0> } }',
  '',
].join('\n');

export async function runCanary(config: WorkerConfig, confinement: Confinement, logger: Logger): Promise<number> {
  const fail = (code: number, reason: string) => {
    logger.error(`${CANARY_FAILED}${reason}`, { canary: 'failed' });
    return code;
  };
  if (!confinement.available) return fail(CANARY_EXIT.unconfined, `POV-Ray cannot be confined on this host: ${confinement.reason}`);
  const jobDir = mkdtempSync(path.join(config.workDir, 'canary-'));
  try {
    const outDir = path.join(jobDir, 'out');
    const home = path.join(jobDir, 'home');
    mkdirSync(outDir);
    mkdirSync(home);
    writeFileSync(path.join(jobDir, 'canary.pov'), CANARY_SCENE);
    writeFileSync(path.join(jobDir, 'canary.ini'), '; canary\n');
    const outputFile = path.join(outDir, 'canary.png');
    const povrayArgs = povrayArguments(path.join(jobDir, 'canary.ini'), 'canary.pov', { width: 16, height: 8 }, outputFile);
    const args = jailArguments(confinementPolicy(confinement.host, { jobDir, outDir }), {
      env: renderEnvironment(home),
      maxFileBytes: maxRenderFileBytes(config.maxPixels),
      program: confinement.host.povray,
      args: povrayArgs,
    });
    let output = '';
    const result = await startRender({ command: confinement.jail, args, cwd: jobDir, timeoutMs: 120_000, onOutput: (chunk) => (output += chunk) }).done;
    const unconfined = jailFailure(result.exitCode, output);
    if (unconfined) return fail(CANARY_EXIT.unconfined, `POV-Ray could not be confined: ${unconfined}`);
    const error = output.split('\n').find((line) => /Parse Error|Fatal error|not effective/.test(line));
    if (result.exitCode !== 0 || !existsSync(outputFile) || !readFileSync(outputFile).subarray(0, 8).equals(PNG_SIGNATURE)) {
      return fail(CANARY_EXIT.renderFailed, `the canary scene did not render (exit ${result.signal ?? result.exitCode})${error ? `: ${error.trim()}` : ''}`);
    }
    logger.info(`canary rendered confined by ${describeConfinement(confinement)}`, { canary: 'rendered', confinement: confinement.mechanism });
    return CANARY_EXIT.rendered;
  } finally {
    rmSync(jobDir, { recursive: true, force: true });
  }
}
