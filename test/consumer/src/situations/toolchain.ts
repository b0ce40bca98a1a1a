// The toolchains users run: cdk-nag 2 (an Aspect) as well as 3, every compliance pack, over every construct
// in one env-specific stack. A situation fails with the findings on the library's resources, if any.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AppKind, ENV, Situation, UserApp } from '../harness';
import { applyNag2, Finding, NAG2, NAG3, nag3Findings, PackName, PACKS } from '../nag';
import { CONSTRUCTS } from './constructs';

/** Every construct with the fewest props, in one stack of the user's. */
function everyConstruct(user: UserApp): void {
  const stack = user.stack('Stack', { env: ENV });
  for (const c of CONSTRUCTS) c.create(user, stack, c.name);
}

function refuseLibraryFindings(user: UserApp, pack: string, findings: Finding[]): void {
  const library = findings.filter((f) => !user.isUsers(f.path));
  if (library.length > 0) {
    throw new Error(`${pack}: ${library.length} finding(s) on the library's resources:\n      ${library.map((f) => `${f.rule} at ${f.path}`).join('\n      ')}`);
  }
}

const nag2Situation = (pack: PackName): Situation => ({
  name: `toolchain: cdk-nag 2 ${pack} as an Aspect over every construct`,
  build: () => {
    // An app of its own: aws-cdk-lib 2.26x+ fails the synth on cdk-nag 2's error annotations, the user's own
    // resources' included, so this app's synth is judged here by where the findings are, not by the harness.
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'consumer-nag2-'));
    try {
      const own = new UserApp(AppKind.CDK_INIT, outdir);
      everyConstruct(own);
      const findings = applyNag2(own.app, pack);
      try {
        own.app.synth();
      } catch (error) {
        if (findings.length === 0) throw error;
      }
      refuseLibraryFindings(own, `cdk-nag 2 ${pack}`, findings);
    } finally {
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  },
});

const nag3Situation = (pack: PackName): Situation => ({
  name: `toolchain: cdk-nag 3 ${pack} over every construct`,
  build: (user) => {
    everyConstruct(user);
    user.app.synth(); // the library's acknowledgements for the regulated packs are applied by Aspects
    refuseLibraryFindings(user, `cdk-nag 3 ${pack}`, nag3Findings(user.app, pack));
  },
});

/** cdk-nag 2 situations run wherever it is installed (the peer floor too); cdk-nag 3 ones where it can run. */
export const TOOLCHAIN_SITUATIONS: Situation[] = [...(NAG2 ? PACKS.map(nag2Situation) : []), ...(NAG3 ? PACKS.map(nag3Situation) : [])];
