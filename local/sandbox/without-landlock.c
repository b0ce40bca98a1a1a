/*
 * without-landlock [--no-unotify | --keep-landlock] -- PROGRAM ARG...: runs PROGRAM as a host without Landlock would, the way
 * Fargate's kernel (Amazon Linux 2, 5.10) does: the three Landlock system calls answer ENOSYS, and user
 * namespaces are refused (unshare, clone with CLONE_NEWUSER: EPERM). With --no-unotify, seccomp() also
 * answers ENOSYS, so the jail's second backend is missing too and it must fail closed. With --keep-landlock,
 * Landlock stays (the same kind of filter otherwise: a benchmark's fair baseline, since any seccomp filter
 * turns on the kernel's speculative-store-bypass mitigation for the process, as a container profile does).
 * Test support only (compiled by the tests); no_new_privs + an unprivileged seccomp filter, then exec.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define ARCH AUDIT_ARCH_AARCH64
#endif
#define ERR(e) BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (e))
#define ALLOW BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)
#define NONE 0xffffffffU /* no such system call: the rule never matches */
#define IS(nr, skip) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, (skip))

int main(int argc, char **argv) {
  int a = 1, no_unotify = 0, keep_landlock = 0;
  if (a < argc && !strcmp(argv[a], "--no-unotify")) no_unotify = 1, a++;
  else if (a < argc && !strcmp(argv[a], "--keep-landlock")) keep_landlock = 1, a++;
  if (a < argc && !strcmp(argv[a], "--")) a++;
  if (a >= argc) {
    fprintf(stderr, "usage: without-landlock [--no-unotify | --keep-landlock] -- PROGRAM ARG...\n");
    return 2;
  }
  struct sock_filter filter[] = {
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ARCH, 1, 0),
    ALLOW,
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
    IS(keep_landlock ? NONE : 444, 1), ERR(ENOSYS), /* landlock_create_ruleset */
    IS(keep_landlock ? NONE : 445, 1), ERR(ENOSYS), /* landlock_add_rule */
    IS(keep_landlock ? NONE : 446, 1), ERR(ENOSYS), /* landlock_restrict_self */
    IS(__NR_unshare, 1), ERR(EPERM),
    IS(__NR_clone3, 1), ERR(ENOSYS),
    IS(no_unotify ? __NR_seccomp : NONE, 1), ERR(ENOSYS),
    IS(__NR_clone, 3),
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
    BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x10000000 /* CLONE_NEWUSER */, 0, 1), ERR(EPERM),
    ALLOW,
  };
  struct sock_fprog prog = { sizeof filter / sizeof filter[0], filter };
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog)) {
    perror("without-landlock: seccomp");
    return 2;
  }
  execvp(argv[a], &argv[a]);
  perror(argv[a]);
  return 127;
}
