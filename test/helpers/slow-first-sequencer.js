// Orders test files so the slowest start first and the run ends with short files on every worker.
// (Plain JavaScript: jest loads its sequencer without the TypeScript transform.)
//
// Jest's own order does that from the durations it cached on an earlier run. A fresh clone (CI) has no such
// cache, and jest falls back to file size, which starts small but slow files (the example app's synth with
// cfn-guard, some end-to-end files) last and leaves a worker busy long after the others are done. Without a
// cached duration, this puts first the files slow by their kind (they start processes, `*.e2e.test.ts`, or
// synthesize the whole example app or run cfn-guard), then the rest, each group in jest's order (by size).
// With the cache it changes nothing.
const fs = require('fs');
const TestSequencer = require('@jest/test-sequencer').default;

const SLOW_KIND = /\.e2e\.test\.ts$/;
const SLOW_IMPORT = /from '[./]*(bin\/example-app|helpers\/control-tower)'/;

function isSlowKind(test) {
  if (SLOW_KIND.test(test.path)) return true;
  try {
    return SLOW_IMPORT.test(fs.readFileSync(test.path, 'utf8'));
  } catch {
    return false;
  }
}

class SlowFirstSequencer extends TestSequencer {
  sort(tests) {
    const sorted = super.sort(tests);
    // Jest puts the files without a cached duration first; only those are reordered.
    const untimed = sorted.filter((test) => test.duration == null);
    const slow = untimed.filter(isSlowKind);
    const rest = untimed.filter((test) => !slow.includes(test));
    return [...slow, ...rest, ...sorted.filter((test) => test.duration != null)];
  }
}

module.exports = SlowFirstSequencer;
