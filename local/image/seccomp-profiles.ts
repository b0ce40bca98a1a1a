/**
 * Seccomp profiles that make a container look like the compute the worker really deploys to.
 *
 * Fargate runs tasks on Amazon Linux 2 kernels (4.14, 5.10) without Landlock, under the container
 * runtime's default seccomp profile, unprivileged. `fargate` starts from podman's default profile (the
 * containers/common one, derived from Docker's) and takes away what such a task lacks: Landlock's three
 * system calls fall to the profile's default action (ENOSYS, what a kernel without Landlock answers), and
 * user namespaces are refused as in Docker's and containerd's defaults for a task without CAP_SYS_ADMIN
 * (unshare and setns refused, clone only without CLONE_NEW* flags, clone3 ENOSYS so glibc falls back).
 * `neither` also takes seccomp() away, so neither of the jail's backends can be set up.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';

export const PODMAN_DEFAULT_PROFILE = '/usr/share/containers/seccomp.json';
export type SimulatedCompute = 'fargate' | 'neither';

interface SyscallRule {
  names: string[];
  action: string;
  args?: Array<{ index: number; value: number; valueTwo?: number; op: string }>;
  includes?: Record<string, unknown>;
  excludes?: Record<string, unknown>;
  errnoRet?: number;
}
interface Profile {
  defaultAction: string;
  defaultErrnoRet?: number;
  syscalls: SyscallRule[];
  [key: string]: unknown;
}

const LANDLOCK = ['landlock_create_ruleset', 'landlock_add_rule', 'landlock_restrict_self'];
const NAMESPACES = ['unshare', 'setns', 'clone', 'clone3'];
/** CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET, as Docker's profile masks them. */
const CLONE_NEW_FLAGS = 0x7e020000;

/** The profile for `compute`, derived from `base` (podman's default profile). Pure. */
export function simulatedProfile(base: Profile, compute: SimulatedCompute): Profile {
  if (base.defaultAction !== 'SCMP_ACT_ERRNO' || base.defaultErrnoRet !== 38) {
    throw new Error(`expected a default profile that answers ENOSYS to unknown system calls, got ${base.defaultAction}/${base.defaultErrnoRet}`);
  }
  const removed = new Set([...LANDLOCK, ...NAMESPACES, ...(compute === 'neither' ? ['seccomp'] : [])]);
  const syscalls = base.syscalls
    .map((rule) => ({ ...rule, names: rule.names.filter((name) => !removed.has(name)) }))
    .filter((rule) => rule.names.length > 0);
  syscalls.push({ names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: CLONE_NEW_FLAGS, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }] });
  syscalls.push({ names: ['unshare', 'setns'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 });
  return { ...base, syscalls };
}

/** Writes the profile for `compute` to a temporary file and returns its path (for `--security-opt seccomp=`). */
export function writeSimulatedProfile(compute: SimulatedCompute, base = PODMAN_DEFAULT_PROFILE): string {
  const profile = simulatedProfile(JSON.parse(readFileSync(base, 'utf8')), compute);
  const file = path.join(mkdtempSync(path.join(tmpdir(), `seccomp-${compute}-`)), `${compute}.json`);
  writeFileSync(file, JSON.stringify(profile, null, 1));
  return file;
}
