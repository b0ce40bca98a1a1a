#!/usr/bin/env node
// Compares the example stacks' CloudFormation templates of two cloud assemblies, asset hashes masked (a
// refactoring that changes no behaviour must leave them identical):
//
//   node scripts/compare-templates.mjs BASELINE_DIR [NEW_DIR]    (NEW_DIR defaults to cdk.out)
//
// Prints a unified diff per template that differs (or is missing on one side) and exits 1; prints
// "identical" per template and exits 0 otherwise. Asset hashes (64 hex digits, in S3 keys, asset paths and
// metadata) are masked as in test/helpers/asset-hash-serializer.ts.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [baseline, current = 'cdk.out'] = process.argv.slice(2);
if (!baseline) {
  console.error('usage: node scripts/compare-templates.mjs BASELINE_DIR [NEW_DIR]');
  process.exit(2);
}
const templates = (dir) => readdirSync(dir).filter((f) => f.endsWith('.template.json')).sort();
const masked = (file) => `${JSON.stringify(JSON.parse(readFileSync(file, 'utf8')), null, 1).replace(/[0-9a-f]{64}/g, '[ASSET HASH]')}\n`;

const scratch = mkdtempSync(join(tmpdir(), 'compare-templates-'));
let differ = 0;
try {
  for (const name of [...new Set([...templates(baseline), ...templates(current)])].sort()) {
    const before = join(baseline, name);
    const after = join(current, name);
    if (!existsSync(before) || !existsSync(after)) {
      console.log(`${name}: only in ${existsSync(before) ? baseline : current}`);
      differ++;
      continue;
    }
    writeFileSync(join(scratch, 'before.json'), masked(before));
    writeFileSync(join(scratch, 'after.json'), masked(after));
    const diff = spawnSync('diff', ['-u', '--label', `${baseline}/${name}`, '--label', `${current}/${name}`, join(scratch, 'before.json'), join(scratch, 'after.json')], { encoding: 'utf8' });
    if (diff.status === 0) {
      console.log(`${name}: identical (asset hashes masked)`);
    } else {
      differ++;
      process.stdout.write(diff.stdout);
    }
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
process.exit(differ > 0 ? 1 : 0);
