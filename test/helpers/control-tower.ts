// Runs AWS Control Tower's proactive controls (the cfn-guard rules shipped in @cdklabs/cdk-validator-cfnguard)
// against synthesized templates, and names each failure by its control id (CT.SERVICE.PR.N).
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { promisify } from 'util';

const PACKAGE = path.dirname(require.resolve('@cdklabs/cdk-validator-cfnguard/package.json'));
export const CFN_GUARD = path.join(PACKAGE, 'bin', 'ubuntu', 'x86_64', 'cfn-guard');
export const CONTROL_TOWER_RULES = path.join(PACKAGE, 'rules', 'control-tower', 'cfn-guard');

/** A control that fails on a stack, with the resources it names. */
export interface ControlFailure {
  readonly stack: string;
  readonly control: string;
  readonly resources: string[];
}

/** rule name (e.g. `lambda_function_public_access_prohibited_check`) → control id (`CT.LAMBDA.PR.2`), from the rule files. */
export function controlIdsByRule(rulesDir = CONTROL_TOWER_RULES): Map<string, string> {
  const byRule = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/^ct-.*\.guard$/.test(entry.name)) {
        const control = entry.name.replace(/\.guard$/, '').toUpperCase().replace(/-/g, '.');
        for (const match of fs.readFileSync(full, 'utf8').matchAll(/^rule\s+([a-z0-9_]+)/gm)) byRule.set(match[1], control);
      }
    }
  };
  walk(rulesDir);
  return byRule;
}

/** The JSON documents cfn-guard prints one after another (one per rule file). */
function parseConcatenatedJson(text: string): any[] {
  const documents: any[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') {
      if (depth++ === 0) start = i;
    } else if (c === '}' && --depth === 0) documents.push(JSON.parse(text.slice(start, i + 1)));
  }
  return documents;
}

/** Logical ids of the resources a failed check points at. */
function resourcesIn(node: unknown, found = new Set<string>()): Set<string> {
  if (typeof node === 'string') {
    const match = /^\/Resources\/([^/]+)/.exec(node);
    if (match) found.add(match[1]);
  } else if (Array.isArray(node)) node.forEach((item) => resourcesIn(item, found));
  else if (node && typeof node === 'object') Object.values(node).forEach((value) => resourcesIn(value, found));
  return found;
}

/** Every control that fails on `templateFile`, by control id. */
export async function failingControls(stack: string, templateFile: string, byRule = controlIdsByRule()): Promise<ControlFailure[]> {
  // cfn-guard exits 19 when a rule fails; the report is on stdout either way.
  const { stdout } = await promisify(execFile)(CFN_GUARD, ['validate', '-r', CONTROL_TOWER_RULES, '-d', templateFile, '--show-summary', 'none', '-o', 'json'], {
    maxBuffer: 256 * 1024 * 1024,
  }).catch((error: { code?: number; stdout?: string }) => {
    if (error.code === 19 && error.stdout) return { stdout: error.stdout };
    throw error;
  });
  const failures = new Map<string, Set<string>>();
  for (const report of parseConcatenatedJson(stdout)) {
    for (const failure of report.not_compliant ?? []) {
      const rule: string = failure.Rule?.name;
      const control = byRule.get(rule);
      if (!control) throw new Error(`cfn-guard reported rule ${rule}, which no ct-*.guard file defines`);
      const resources = failures.get(control) ?? new Set<string>();
      resourcesIn(failure, resources);
      failures.set(control, resources);
    }
  }
  return [...failures].map(([control, resources]) => ({ stack, control, resources: [...resources].sort() })).sort((a, b) => a.control.localeCompare(b.control));
}
