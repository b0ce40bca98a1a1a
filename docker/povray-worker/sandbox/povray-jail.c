/*
 * povray-jail: runs one program (POV-Ray) confined by Landlock, so an untrusted scene can open only what
 * the worker allows: the job directory and the read-only files POV-Ray needs to start. Works without root
 * or capabilities (PR_SET_NO_NEW_PRIVS + Landlock). Where the kernel has no Landlock (Fargate's Amazon
 * Linux 2 5.10), the same rules are enforced by seccomp user notification instead (unotify.c).
 *
 *   povray-jail [--read PATH]... [--exec PATH]... [--write PATH]... [--device PATH]...
 *               [--env NAME=VALUE]... [--max-file-bytes N] [--max-memory-bytes N] [--max-cpu-seconds N]
 *               [--max-processes N] [--parent-pid PID] [--probe] -- PROGRAM ARG...
 *
 *   --read   read files / list directories beneath PATH       --exec   read and execute PATH
 *   --write  read, create, write, truncate, delete beneath PATH  --device read and write one device file
 *   --env    the ONLY environment PROGRAM gets (none is inherited)
 *   --max-file-bytes  RLIMIT_FSIZE: no file written may grow past N bytes (SIGXFSZ)
 *   --max-memory-bytes  RLIMIT_AS: the address space may not grow past N bytes (allocations fail)
 *   --max-cpu-seconds   RLIMIT_CPU: SIGXCPU after N CPU-seconds (all threads together), SIGKILL 5 s later
 *   --max-processes     RLIMIT_NPROC: N processes/threads for the real user id (the kernel counts them per
 *                       user, not per process tree, and does not enforce it for root or CAP_SYS_RESOURCE)
 *   --parent-pid PID    die with the worker: PR_SET_PDEATHSIG(SIGKILL), and exit at once if PID is already
 *                       gone (the death signal fires when the parent *thread* that forked us exits; the
 *                       worker forks from its main thread, which lives as long as the worker)
 *   --probe  set everything up, check that "/" is now unreachable, print "landlock abi N" or
 *            "seccomp-unotify", exit 0 without exec
 *
 * Every file-system right of the kernel's Landlock ABI is handled (denied unless a rule grants it), and
 * from ABI 4 TCP bind/connect, from ABI 6 signals and abstract UNIX sockets outside the sandbox too.
 * Fails closed: if anything cannot be set up, it exits with a distinct code and a message, never runs
 * PROGRAM unconfined. Exit codes: 120 usage, 121 neither Landlock nor seccomp user notification, 122 a rule or limit could not be
 * set, 123 the self-check found "/" still readable, 124 PROGRAM could not be executed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <linux/types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "unotify.h"

/* Own copies of the Landlock UAPI, so an older linux-libc-dev (bookworm's knows ABI 2) still builds it. */
#ifndef __NR_landlock_create_ruleset
#define __NR_landlock_create_ruleset 444
#define __NR_landlock_add_rule 445
#define __NR_landlock_restrict_self 446
#endif
#ifndef __NR_close_range
#define __NR_close_range 436
#endif
struct jail_ruleset_attr { __u64 handled_access_fs, handled_access_net, scoped; };
struct jail_path_beneath { __u64 allowed_access; __s32 parent_fd; } __attribute__((packed));
#define RULE_PATH_BENEATH 1
#define CREATE_RULESET_VERSION (1U << 0)

#define FS_EXECUTE (1ULL << 0)
#define FS_WRITE_FILE (1ULL << 1)
#define FS_READ_FILE (1ULL << 2)
#define FS_READ_DIR (1ULL << 3)
#define FS_REMOVE_FILE (1ULL << 5)
#define FS_MAKE_REG (1ULL << 8)
#define FS_TRUNCATE (1ULL << 14)
#define FS_ABI1_ALL ((1ULL << 13) - 1) /* EXECUTE ... MAKE_SYM */
#define FS_REFER (1ULL << 13)          /* ABI 2 */
#define FS_IOCTL_DEV (1ULL << 15)      /* ABI 5 */
#define FS_FILE_RIGHTS (FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_TRUNCATE | FS_IOCTL_DEV)
#define NET_ALL 3ULL                   /* BIND_TCP | CONNECT_TCP, ABI 4 */
#define SCOPE_ALL 3ULL                 /* ABSTRACT_UNIX_SOCKET | SIGNAL, ABI 6 */

enum { EXIT_USAGE = 120, EXIT_UNSUPPORTED = 121, EXIT_RULE = 122, EXIT_SELFCHECK = 123, EXIT_EXEC = 124 };

static void die(int code, const char *what, const char *detail) {
  fprintf(stderr, "povray-jail: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
  exit(code);
}

static void add_rule(int ruleset, const char *path, __u64 access, __u64 handled) {
  if (ruleset < 0) return unotify_add_root(path, access); /* no Landlock: the seccomp backend's rule */
  int fd = open(path, O_PATH | O_CLOEXEC);
  if (fd < 0) die(EXIT_RULE, path, strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0) die(EXIT_RULE, path, strerror(errno));
  /* A rule on a file may carry only file rights; on a directory it covers everything beneath it. */
  struct jail_path_beneath rule = { .allowed_access = access & handled, .parent_fd = fd };
  if (!S_ISDIR(st.st_mode)) rule.allowed_access &= FS_FILE_RIGHTS;
  if (syscall(__NR_landlock_add_rule, ruleset, RULE_PATH_BENEATH, &rule, 0) != 0) die(EXIT_RULE, path, strerror(errno));
  close(fd);
}

static long long positive(const char *option, const char *value) {
  char *end;
  long long n = strtoll(value, &end, 10);
  if (*end || end == value || n < 1) {
    fprintf(stderr, "povray-jail: %s wants a positive integer: %s\n", option, value);
    exit(EXIT_USAGE);
  }
  return n;
}

static void limit(int resource, const char *name, long long soft, long long hard) {
  struct rlimit r = { (rlim_t)soft, (rlim_t)hard };
  if (setrlimit(resource, &r) != 0) die(EXIT_RULE, name, strerror(errno));
}

int main(int argc, char **argv) {
  static char *env[64];
  int envc = 0, probe = 0, i;
  long long max_file_bytes = -1, max_memory_bytes = -1, max_cpu_seconds = -1, max_processes = -1, parent_pid = -1;
  for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
    if (strcmp(argv[i], "--probe") == 0) probe = 1;
    else if (i + 1 >= argc) die(EXIT_USAGE, "option without a value", argv[i]);
    else if (strcmp(argv[i], "--env") == 0) {
      if (envc >= 63 || !strchr(argv[i + 1], '=')) die(EXIT_USAGE, "bad or too many --env", argv[i + 1]);
      env[envc++] = argv[++i];
    } else if (!strcmp(argv[i], "--max-file-bytes")) max_file_bytes = positive(argv[i], argv[i + 1]), i++;
    else if (!strcmp(argv[i], "--max-memory-bytes")) max_memory_bytes = positive(argv[i], argv[i + 1]), i++;
    else if (!strcmp(argv[i], "--max-cpu-seconds")) max_cpu_seconds = positive(argv[i], argv[i + 1]), i++;
    else if (!strcmp(argv[i], "--max-processes")) max_processes = positive(argv[i], argv[i + 1]), i++;
    else if (!strcmp(argv[i], "--parent-pid")) parent_pid = positive(argv[i], argv[i + 1]), i++;
    else if (strcmp(argv[i], "--read") && strcmp(argv[i], "--exec") && strcmp(argv[i], "--write") && strcmp(argv[i], "--device")) {
      die(EXIT_USAGE, "unknown option", argv[i]);
    } else i++; /* path rules are added below, once the ruleset exists */
  }
  if (!probe && i + 1 >= argc) die(EXIT_USAGE, "nothing to run", "usage: povray-jail [options] -- PROGRAM ARG...");

  /* Die with the worker: set first, then check the worker did not die before it was set. */
  if (parent_pid > 0) {
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) die(EXIT_RULE, "cannot set the parent-death signal", strerror(errno));
    if (getppid() != (pid_t)parent_pid) die(EXIT_RULE, "the worker is gone", "not starting an orphan render");
  }
  /* Nothing the worker had open (sockets, files) crosses into the sandbox; only stdin/stdout/stderr. */
  if (syscall(__NR_close_range, 3U, ~0U, 0) != 0) {
    for (int fd = 3; fd < 65536; fd++) close(fd);
  }
  long abi = syscall(__NR_landlock_create_ruleset, NULL, 0, CREATE_RULESET_VERSION);
  /* Without Landlock, the second backend (unotify.c): seccomp user notification, Linux >= 5.9. */
  const char *no_landlock = abi >= 1 ? NULL
      : errno == ENOSYS ? "the kernel has no Landlock (Linux >= 5.13 with CONFIG_SECURITY_LANDLOCK)"
      : errno == EOPNOTSUPP ? "Landlock is built in but disabled (add landlock to the lsm= boot parameter)"
      : strerror(errno); /* EPERM: a seccomp profile that blocks the Landlock system calls */
  struct jail_ruleset_attr attr = { .handled_access_fs = FS_ABI1_ALL };
  if (abi >= 2) attr.handled_access_fs |= FS_REFER;
  if (abi >= 3) attr.handled_access_fs |= FS_TRUNCATE;
  if (abi >= 4) attr.handled_access_net = NET_ALL; /* no rule: no TCP at all */
  if (abi >= 5) attr.handled_access_fs |= FS_IOCTL_DEV;
  if (abi >= 6) attr.scoped = SCOPE_ALL;
  int ruleset = no_landlock ? -1 : syscall(__NR_landlock_create_ruleset, &attr, sizeof attr, 0);
  if (ruleset < 0 && !no_landlock) die(EXIT_RULE, "cannot create the Landlock ruleset", strerror(errno));

  const __u64 read = FS_READ_FILE | FS_READ_DIR;
  for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
    const char *o = argv[i], *path = argv[i + 1];
    if (!strcmp(o, "--read")) add_rule(ruleset, path, read, attr.handled_access_fs);
    else if (!strcmp(o, "--exec")) add_rule(ruleset, path, FS_READ_FILE | FS_EXECUTE, attr.handled_access_fs);
    else if (!strcmp(o, "--device")) add_rule(ruleset, path, FS_READ_FILE | FS_WRITE_FILE, attr.handled_access_fs);
    else if (!strcmp(o, "--write"))
      add_rule(ruleset, path, read | FS_WRITE_FILE | FS_MAKE_REG | FS_REMOVE_FILE | FS_TRUNCATE, attr.handled_access_fs);
    if (strcmp(o, "--probe")) i++;
  }

  limit(RLIMIT_CORE, "cannot turn off core dumps", 0, 0);
  if (max_file_bytes > 0) limit(RLIMIT_FSIZE, "cannot set RLIMIT_FSIZE", max_file_bytes, max_file_bytes);
  if (max_memory_bytes > 0) limit(RLIMIT_AS, "cannot set RLIMIT_AS", max_memory_bytes, max_memory_bytes);
  /* SIGXCPU at the soft limit tells the worker which bound it was; the hard limit is the backstop. */
  if (max_cpu_seconds > 0) limit(RLIMIT_CPU, "cannot set RLIMIT_CPU", max_cpu_seconds, max_cpu_seconds + 5);
  if (max_processes > 0) limit(RLIMIT_NPROC, "cannot set RLIMIT_NPROC", max_processes, max_processes);
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) die(EXIT_RULE, "cannot set no_new_privs", strerror(errno));
  if (no_landlock) {
    env[envc] = NULL;
    unotify_run(&argv[i + 1], env, probe, no_landlock);
  }
  if (syscall(__NR_landlock_restrict_self, ruleset, 0) != 0) die(EXIT_RULE, "cannot enforce the Landlock ruleset", strerror(errno));
  close(ruleset);

  /* Trust the outcome, not the calls: the root directory must now be out of reach. */
  int root = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (root >= 0 || errno != EACCES) die(EXIT_SELFCHECK, "the confinement is not effective", "\"/\" can still be opened");
  if (probe) {
    printf("landlock abi %ld\n", abi);
    return 0;
  }
  env[envc] = NULL;
  execve(argv[i + 1], &argv[i + 1], env);
  die(EXIT_EXEC, argv[i + 1], strerror(errno));
}
