/*
 * povray-jail's second backend: seccomp user notification, for kernels without Landlock (Linux >= 5.9, no
 * root, no capability, no user namespace; Amazon Linux 2's 5.10 is what Fargate runs).
 *
 * The jail forks. The child sets a seccomp filter (no_new_privs is already set) that sends every
 * path-taking system call to a listener, hands the listener to the parent over a socketpair, and executes
 * POV-Ray. The parent, the supervisor, answers each call itself:
 *   - it reads the path ONCE from the caller's memory, checks the notification is still live
 *     (SECCOMP_IOCTL_NOTIF_ID_VALID), makes it absolute (the caller's cwd or dirfd, from /proc), maps it to
 *     a canonical name, and opens it with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
 *     RESOLVE_NO_MAGICLINKS) from a pre-opened rule directory whose rights cover the access asked for;
 *   - it hands the descriptor it opened to the caller (SECCOMP_IOCTL_NOTIF_ADDFD), or writes stat results,
 *     link targets or an error back. The kernel never re-reads a path POV-Ray could change in between.
 * The only call the kernel performs itself is the one execve of the exact program, from the freshly forked,
 * single-threaded child, before any untrusted code runs. Everything else path-taking is denied (EACCES),
 * and what POV-Ray never needs (sockets, ptrace, other processes' memory, mount, keys, bpf, io_uring,
 * namespaces, signals to other processes...) answers an error from the filter itself.
 *
 * Rights mirror the Landlock rules: --read (read files, list directories beneath), --exec (read and execute
 * that file), --write (read, create, write, truncate, delete regular files beneath), --device (read and
 * write that file). Like Landlock, no directory, link, symlink or device node can be made, and nothing can
 * be renamed across rules.
 */
#define _GNU_SOURCE
#include "unotify.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

/* Own copies of the UAPI this needs beyond an older linux-libc-dev (all of it is in bookworm's 6.1). */
#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif
#ifndef SECCOMP_RET_USER_NOTIF
#define SECCOMP_RET_USER_NOTIF 0x7fc00000U
#endif
#ifndef SECCOMP_GET_NOTIF_SIZES
#define SECCOMP_GET_NOTIF_SIZES 3
#endif
struct jail_notif_sizes { __u16 notif, resp, data; };
struct jail_notif { __u64 id; __u32 pid; __u32 flags; struct { int nr; __u32 arch; __u64 ip; __u64 args[6]; } data; };
struct jail_notif_resp { __u64 id; __s64 val; __s32 error; __u32 flags; };
struct jail_notif_addfd { __u64 id; __u32 flags, srcfd, newfd, newfd_flags; };
struct jail_open_how { __u64 flags, mode, resolve; };
#define JAIL_IOC(dir, nr, size) (((dir) << 30) | ((size) << 16) | ('!' << 8) | (nr))
#define NOTIF_RECV JAIL_IOC(3U, 0, sizeof(struct jail_notif))
#define NOTIF_SEND JAIL_IOC(3U, 1, sizeof(struct jail_notif_resp))
#define NOTIF_ID_VALID JAIL_IOC(1U, 2, sizeof(__u64))
#define NOTIF_ADDFD JAIL_IOC(1U, 3, sizeof(struct jail_notif_addfd))
#define NOTIF_FLAG_CONTINUE 1U
#define RESOLVE_NO_MAGICLINKS_ 0x02
#define RESOLVE_NO_SYMLINKS_ 0x04
#define RESOLVE_BENEATH_ 0x08
#ifndef __NR_openat2
#define __NR_openat2 437
#endif
#ifndef __NR_faccessat2
#define __NR_faccessat2 439
#endif
#ifndef __NR_fchmodat2
#define __NR_fchmodat2 452
#endif
#ifndef __NR_clone3
#define __NR_clone3 435
#endif
#ifndef __NR_pidfd_getfd
#define __NR_pidfd_getfd 438
#endif

#if defined(__x86_64__)
#define JAIL_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define JAIL_AUDIT_ARCH AUDIT_ARCH_AARCH64
#else
#error "povray-jail's seccomp backend knows x86_64 and aarch64 only"
#endif

/* Landlock's bit numbers (see unotify.h). */
#define R_EXEC (1ULL << 0)
#define R_WRITE (1ULL << 1)
#define R_READ (1ULL << 2)
#define R_MAKE_REG (1ULL << 8)

enum { EXIT_UNSUPPORTED = 121, EXIT_RULE = 122, EXIT_SELFCHECK = 123, EXIT_EXEC = 124 };
enum need { NEED_ANY, NEED_READ, NEED_WRITE, NEED_CREATE };

struct root { char path[PATH_MAX]; size_t len; int fd; int is_dir; __u64 access; char *base; };
static struct root roots[128];
static int nroots;

static void fail(int code, const char *what, const char *detail) {
  fprintf(stderr, "povray-jail: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
  exit(code);
}

void unotify_add_root(const char *path, __u64 access) {
  if (nroots == (int)(sizeof roots / sizeof roots[0])) fail(EXIT_RULE, "too many rules", path);
  struct root *r = &roots[nroots];
  if (!realpath(path, r->path)) fail(EXIT_RULE, path, strerror(errno));
  struct stat st;
  if (stat(r->path, &st) != 0) fail(EXIT_RULE, path, strerror(errno));
  r->is_dir = S_ISDIR(st.st_mode);
  r->len = strlen(r->path);
  r->access = access;
  if (r->is_dir) {
    r->fd = open(r->path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  } else { /* a file rule: keep its directory and name; opens must name exactly this file */
    char *slash = strrchr(r->path, '/');
    *slash = '\0';
    r->fd = open(slash == r->path ? "/" : r->path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    *slash = '/';
    r->base = slash + 1;
  }
  if (r->fd < 0) fail(EXIT_RULE, path, strerror(errno));
  nroots++;
}

/* ---- the filter ---------------------------------------------------------------------------------- */

/* Every system call that takes a path name: the supervisor answers it. */
static const int notified[] = {
#ifdef __NR_open
  __NR_open, __NR_creat, __NR_stat, __NR_lstat, __NR_access, __NR_readlink, __NR_mkdir, __NR_rmdir,
  __NR_unlink, __NR_rename, __NR_link, __NR_symlink, __NR_chmod, __NR_chown, __NR_lchown, __NR_mknod,
  __NR_utime, __NR_utimes, __NR_futimesat, __NR_inotify_add_watch, __NR_uselib,
#endif
  __NR_openat, __NR_openat2, __NR_newfstatat, __NR_statx, __NR_faccessat, __NR_faccessat2, __NR_readlinkat,
  __NR_execve, __NR_execveat, __NR_mkdirat, __NR_mknodat, __NR_unlinkat, __NR_renameat, __NR_renameat2,
  __NR_linkat, __NR_symlinkat, __NR_chdir, __NR_chroot, __NR_truncate, __NR_fchmodat, __NR_fchmodat2,
  __NR_fchownat, __NR_utimensat, __NR_inotify_init1, __NR_fanotify_init, __NR_fanotify_mark,
  __NR_statfs, __NR_setxattr, __NR_lsetxattr, __NR_getxattr, __NR_lgetxattr, __NR_listxattr,
  __NR_llistxattr, __NR_removexattr, __NR_lremovexattr, __NR_name_to_handle_at, __NR_open_by_handle_at,
  __NR_acct, __NR_swapon, __NR_swapoff, __NR_quotactl, __NR_mq_open, 463, 464, 465, 466 /* *xattrat */,
};

/* What POV-Ray never needs: the filter itself answers with an error. */
static const struct { int nr; int err; } refused[] = {
  { __NR_socket, EACCES }, { __NR_socketpair, EACCES }, { __NR_connect, EACCES }, { __NR_bind, EACCES },
  { __NR_ptrace, EPERM }, { __NR_process_vm_readv, EPERM }, { __NR_process_vm_writev, EPERM },
  { __NR_kcmp, EPERM }, { __NR_pidfd_open, EPERM }, { __NR_pidfd_getfd, EPERM },
  { __NR_pidfd_send_signal, EPERM }, { __NR_mount, EPERM }, { __NR_umount2, EPERM },
  { __NR_pivot_root, EPERM }, { __NR_open_tree, EPERM }, { __NR_move_mount, EPERM }, { __NR_fsopen, EPERM },
  { __NR_fsconfig, EPERM }, { __NR_fsmount, EPERM }, { __NR_fspick, EPERM }, { __NR_mount_setattr, EPERM },
  { __NR_keyctl, EPERM }, { __NR_add_key, EPERM }, { __NR_request_key, EPERM }, { __NR_bpf, EPERM },
  { __NR_userfaultfd, EPERM }, { __NR_perf_event_open, EPERM }, { __NR_io_uring_setup, ENOSYS },
  { __NR_io_uring_enter, ENOSYS }, { __NR_io_uring_register, ENOSYS }, { __NR_personality, EPERM },
  { __NR_unshare, EPERM }, { __NR_setns, EPERM }, { __NR_clone3, ENOSYS /* glibc falls back to clone */ },
  { __NR_seccomp, EPERM }, { __NR_kexec_load, EPERM }, { __NR_kexec_file_load, EPERM },
  { __NR_init_module, EPERM }, { __NR_finit_module, EPERM }, { __NR_delete_module, EPERM },
  { __NR_reboot, EPERM }, { __NR_tkill, EPERM }, { __NR_memfd_create, EPERM },
#ifdef __NR_iopl
  { __NR_iopl, EPERM }, { __NR_ioperm, EPERM }, { __NR_modify_ldt, EPERM },
#endif
};

/* Signals only to itself (raise, abort, pthread_kill): POV-Ray's pid is its thread group's. */
static const int self_signals[] = { __NR_kill, __NR_tgkill, __NR_rt_sigqueueinfo, __NR_rt_tgsigqueueinfo };

#define NS_FLAGS 0x7e020000U /* CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET */
#define LD(field) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (field))
#define RET(value) BPF_STMT(BPF_RET | BPF_K, (value))
#define ARG0_LO offsetof(struct seccomp_data, args[0])

static int build_filter(struct sock_filter *f, pid_t self) {
  int n = 0;
  f[n++] = (struct sock_filter)LD(offsetof(struct seccomp_data, arch));
  f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, JAIL_AUDIT_ARCH, 1, 0);
  f[n++] = (struct sock_filter)RET(SECCOMP_RET_KILL_PROCESS);
  f[n++] = (struct sock_filter)LD(offsetof(struct seccomp_data, nr));
#ifdef __x86_64__
  f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000U /* x32 ABI */, 0, 1);
  f[n++] = (struct sock_filter)RET(SECCOMP_RET_KILL_PROCESS);
#endif
  for (size_t i = 0; i < sizeof notified / sizeof notified[0]; i++) {
    f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (__u32)notified[i], 0, 1);
    f[n++] = (struct sock_filter)RET(SECCOMP_RET_USER_NOTIF);
  }
  for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
    f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (__u32)refused[i].nr, 0, 1);
    f[n++] = (struct sock_filter)RET(SECCOMP_RET_ERRNO | (refused[i].err & SECCOMP_RET_DATA));
  }
  for (size_t i = 0; i < sizeof self_signals / sizeof self_signals[0]; i++) {
    f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (__u32)self_signals[i], 0, 4);
    f[n++] = (struct sock_filter)LD(ARG0_LO);
    f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (__u32)self, 0, 1);
    f[n++] = (struct sock_filter)RET(SECCOMP_RET_ALLOW);
    f[n++] = (struct sock_filter)RET(SECCOMP_RET_ERRNO | EPERM);
  }
  f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone, 0, 4);
  f[n++] = (struct sock_filter)LD(ARG0_LO);
  f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, NS_FLAGS, 0, 1);
  f[n++] = (struct sock_filter)RET(SECCOMP_RET_ERRNO | EPERM);
  f[n++] = (struct sock_filter)RET(SECCOMP_RET_ALLOW);
  f[n++] = (struct sock_filter)RET(SECCOMP_RET_ALLOW);
  return n;
}

/* ---- the supervisor's tools ---------------------------------------------------------------------- */

static int listener = -1;
static pid_t child;
static int exec_done;
static const char *program;

static ssize_t child_memory(pid_t tid, __u64 addr, void *buf, size_t len, int write) {
  struct iovec local = { buf, len }, remote = { (void *)(uintptr_t)addr, len };
  ssize_t n = write ? process_vm_writev(tid, &local, 1, &remote, 1, 0) : process_vm_readv(tid, &local, 1, &remote, 1, 0);
  if (n >= 0 || (errno != EPERM && errno != ENOSYS)) return n;
  /* A container profile without process_vm_*: the same access through /proc/<tid>/mem. */
  char mem[64];
  snprintf(mem, sizeof mem, "/proc/%d/mem", tid);
  int fd = open(mem, (write ? O_WRONLY : O_RDONLY) | O_CLOEXEC);
  if (fd < 0) return -1;
  n = write ? pwrite(fd, buf, len, (off_t)addr) : pread(fd, buf, len, (off_t)addr);
  close(fd);
  return n;
}

/* The path argument, read once, page by page (a string may end just before an unmapped page). */
static int read_path(pid_t tid, __u64 addr, char out[PATH_MAX]) {
  if (addr == 0) return -EFAULT;
  size_t got = 0;
  while (got < PATH_MAX) {
    size_t chunk = 4096 - ((addr + got) & 4095);
    if (chunk > PATH_MAX - got) chunk = PATH_MAX - got;
    ssize_t n = child_memory(tid, addr + got, out + got, chunk, 0);
    if (n <= 0) return -EFAULT;
    char *nul = memchr(out + got, '\0', (size_t)n);
    if (nul) return 0;
    got += (size_t)n;
  }
  return -ENAMETOOLONG;
}

/* `path` of the caller made absolute: against its cwd, or the directory its `dirfd` names. */
static int absolute(pid_t tid, int dirfd, const char *path, char out[PATH_MAX]) {
  if (path[0] == '/') {
    if (strlen(path) >= PATH_MAX) return -ENAMETOOLONG;
    strcpy(out, path);
    return 0;
  }
  char link[64];
  if (dirfd == AT_FDCWD) snprintf(link, sizeof link, "/proc/%d/cwd", tid);
  else snprintf(link, sizeof link, "/proc/%d/fd/%d", tid, dirfd);
  ssize_t n = readlink(link, out, PATH_MAX - 1);
  if (n <= 0 || out[0] != '/') return -EBADF; /* sockets, pipes, deleted directories */
  out[n] = '\0';
  if (path[0] == '\0') return 0;
  if ((size_t)n + 1 + strlen(path) >= PATH_MAX) return -ENAMETOOLONG;
  if (out[n - 1] != '/') strcat(out, "/");
  strcat(out, path);
  return 0;
}

/* The canonical name (no symlink, no "." or ".."): the whole path when it exists and `follow`, else the
 * canonical parent plus the last component. Only names are computed here; the open below is what counts. */
static int canonical(const char *abs, int follow, char out[PATH_MAX]) {
  if (follow && realpath(abs, out)) return 0;
  if (follow && errno != ENOENT) return -errno;
  char parent[PATH_MAX];
  strcpy(parent, abs);
  size_t len = strlen(parent);
  while (len > 1 && parent[len - 1] == '/') parent[--len] = '\0';
  char *slash = strrchr(parent, '/');
  const char *base = slash + 1;
  if (!*base || !strcmp(base, ".") || !strcmp(base, "..")) {
    if (!realpath(abs, out)) return -errno;
    return 0;
  }
  *slash = '\0';
  char real[PATH_MAX];
  if (!realpath(slash == parent ? "/" : parent, real)) return -errno;
  if (strlen(real) + 1 + strlen(base) >= PATH_MAX) return -ENAMETOOLONG;
  strcpy(out, real);
  if (strcmp(real, "/") != 0) strcat(out, "/");
  strcat(out, base);
  return 0;
}

static int grants(const struct root *r, enum need need) {
  switch (need) {
  case NEED_ANY: return 1;
  case NEED_READ: return (r->access & (R_READ | R_EXEC)) != 0;
  case NEED_WRITE: return (r->access & R_WRITE) != 0;
  case NEED_CREATE: return r->is_dir && (r->access & R_MAKE_REG) != 0;
  }
  return 0;
}

/* Opens the canonical name beneath a rule that grants `need`: openat2 from the rule's pre-opened
 * directory, RESOLVE_BENEATH | NO_SYMLINKS | NO_MAGICLINKS. -EACCES when no rule covers it. */
static int open_beneath(const char *name, __u64 flags, __u64 mode, enum need need) {
  int result = -EACCES;
  for (int i = 0; i < nroots; i++) {
    const struct root *r = &roots[i];
    const char *rel;
    if (r->is_dir) {
      if (strncmp(name, r->path, r->len) != 0) continue;
      if (name[r->len] == '/') rel = name + r->len + 1;
      else if (name[r->len] == '\0' || r->len == 1) rel = name + r->len;
      else continue;
      if (!*rel) rel = ".";
    } else {
      if (strcmp(name, r->path) != 0) continue;
      rel = r->base;
    }
    if (!grants(r, need)) continue;
    struct jail_open_how how = { flags | O_CLOEXEC, mode, RESOLVE_BENEATH_ | RESOLVE_NO_SYMLINKS_ | RESOLVE_NO_MAGICLINKS_ };
    int fd = (int)syscall(__NR_openat2, r->fd, rel, &how, sizeof how);
    if (fd >= 0) return fd;
    result = -errno;
    if (errno != EACCES && errno != EPERM) return result; /* ENOENT, ENOTDIR, EEXIST...: the real answer */
  }
  return result;
}

/* Which right an open(2) with these flags needs. */
static enum need open_need(__u64 flags) {
  if (flags & O_PATH) return NEED_ANY;
  if ((flags & O_CREAT) || (flags & __O_TMPFILE) == __O_TMPFILE) return NEED_CREATE;
  if ((flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC)) return NEED_WRITE;
  return NEED_READ;
}

/* ---- the supervisor ------------------------------------------------------------------------------ */

static int still_valid(__u64 id) { return ioctl(listener, NOTIF_ID_VALID, &id) == 0; }

static void respond(__u64 id, __s64 val, int error, __u32 flags) {
  struct jail_notif_resp resp = { id, error ? 0 : val, error, flags };
  ioctl(listener, NOTIF_SEND, &resp); /* ENOENT: the caller died or was interrupted meanwhile */
}

static void respond_fd(__u64 id, int fd, int cloexec) {
  struct jail_notif_addfd add = { id, 0, (__u32)fd, 0, cloexec ? O_CLOEXEC : 0 };
  int remote = ioctl(listener, NOTIF_ADDFD, &add);
  close(fd);
  if (remote < 0) respond(id, 0, -errno, 0);
  else respond(id, remote, 0, 0);
}

/* Resolves (dirfd, path) of the caller to a descriptor the supervisor opened, or -errno. */
static int resolve(const struct jail_notif *n, int dirfd, const char *path, __u64 flags, __u64 mode, enum need need) {
  char abs[PATH_MAX], name[PATH_MAX];
  int err = absolute((pid_t)n->pid, dirfd, path, abs);
  if (err) return err;
  if ((err = canonical(abs, !(flags & O_NOFOLLOW) && need != NEED_CREATE, name))) return err == -ENOENT ? -EACCES : err;
  return open_beneath(name, flags, mode, need);
}

/* The caller's own descriptor (fstat through newfstatat(fd, "", AT_EMPTY_PATH)), reopened as O_PATH. */
static int caller_fd(pid_t tid, int fd) {
  char link[64];
  snprintf(link, sizeof link, "/proc/%d/fd/%d", tid, fd);
  int own = open(link, O_PATH | O_CLOEXEC);
  return own < 0 ? -EBADF : own;
}

static void handle(const struct jail_notif *n) {
  const __u64 *a = n->data.args;
  const pid_t tid = (pid_t)n->pid;
  char path[PATH_MAX], path2[PATH_MAX];
  int nr = n->data.nr, dirfd = AT_FDCWD, err;
  __u64 flags = 0, mode = 0, buf = 0, size = 0, at = 0;
  __u64 pathp = 0;
  enum { OPEN, STAT, STATX, ACCESS, READLINK, UNLINK, RENAME, TRUNCATE, CHDIR, EXEC, UTIMENS, DENY } op = DENY;
  switch (nr) {
#ifdef __NR_open
  case __NR_open: op = OPEN; pathp = a[0]; flags = a[1]; mode = a[2]; break;
  case __NR_creat: op = OPEN; pathp = a[0]; flags = O_CREAT | O_WRONLY | O_TRUNC; mode = a[1]; break;
  case __NR_stat: op = STAT; pathp = a[0]; buf = a[1]; break;
  case __NR_lstat: op = STAT; pathp = a[0]; buf = a[1]; at = AT_SYMLINK_NOFOLLOW; break;
  case __NR_access: op = ACCESS; pathp = a[0]; mode = a[1]; break;
  case __NR_readlink: op = READLINK; pathp = a[0]; buf = a[1]; size = a[2]; break;
  case __NR_unlink: op = UNLINK; pathp = a[0]; break;
  case __NR_rename: op = RENAME; pathp = a[0]; buf = a[1]; break;
#endif
  case __NR_openat: op = OPEN; dirfd = (int)a[0]; pathp = a[1]; flags = a[2]; mode = a[3]; break;
  case __NR_newfstatat: op = STAT; dirfd = (int)a[0]; pathp = a[1]; buf = a[2]; at = a[3]; break;
  case __NR_statx: op = STATX; dirfd = (int)a[0]; pathp = a[1]; at = a[2]; mode = a[3]; buf = a[4]; break;
  case __NR_faccessat: case __NR_faccessat2: op = ACCESS; dirfd = (int)a[0]; pathp = a[1]; mode = a[2]; break;
  case __NR_readlinkat: op = READLINK; dirfd = (int)a[0]; pathp = a[1]; buf = a[2]; size = a[3]; break;
  case __NR_unlinkat: op = (a[2] & AT_REMOVEDIR) ? DENY : UNLINK; dirfd = (int)a[0]; pathp = a[1]; break;
  case __NR_renameat: op = RENAME; dirfd = (int)a[0]; pathp = a[1]; size = a[2]; buf = a[3]; break;
  case __NR_renameat2: op = a[4] ? DENY : RENAME; dirfd = (int)a[0]; pathp = a[1]; size = a[2]; buf = a[3]; break;
  case __NR_truncate: op = TRUNCATE; pathp = a[0]; size = a[1]; break;
  case __NR_chdir: op = CHDIR; pathp = a[0]; break;
  case __NR_execve: op = EXEC; pathp = a[0]; break;
  case __NR_utimensat: op = a[1] ? DENY : UTIMENS; break; /* futimens(fd): no path at all */
  case __NR_openat2: respond(n->id, 0, -ENOSYS, 0); return; /* glibc falls back to openat */
  default: break;
  }
  if (op == DENY) { respond(n->id, 0, -EACCES, 0); return; }
  if (op == UTIMENS) { respond(n->id, 0, 0, NOTIF_FLAG_CONTINUE); return; } /* registers only: nothing to re-read */
  if ((err = read_path(tid, pathp, path))) { respond(n->id, 0, err, 0); return; }
  if (op == RENAME) {
    int dirfd2 = nr == __NR_renameat || nr == __NR_renameat2 ? (int)size : AT_FDCWD;
    if ((err = read_path(tid, buf, path2))) { respond(n->id, 0, err, 0); return; }
    size = (__u64)dirfd2;
  }
  /* From here on only the copies count; the caller must still be the one that asked (no pid reuse). */
  if (!still_valid(n->id)) return;

  int fd;
  switch (op) {
  case EXEC:
    /* Once, for the exact program, from the child the jail forked: it is single-threaded and runs only
     * the jail's code, so the kernel's own reading of the path cannot differ from this one. */
    if (!exec_done && tid == child && strcmp(path, program) == 0) {
      exec_done = 1;
      respond(n->id, 0, 0, NOTIF_FLAG_CONTINUE);
    } else respond(n->id, 0, -EACCES, 0);
    return;
  case OPEN: {
    if (flags & ~(__u64)(O_ACCMODE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND | O_NONBLOCK | O_DSYNC | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_SYNC | O_PATH | __O_TMPFILE | O_LARGEFILE | O_NOATIME | O_DIRECT | 0100000 | 0400000 /* the kernel's O_LARGEFILE: x86_64, aarch64 */)) {
      respond(n->id, 0, -EINVAL, 0);
      return;
    }
    __u64 m = (flags & (O_CREAT | __O_TMPFILE)) ? (mode & 0777) : 0;
    enum need need = open_need(flags);
    /* Opening an existing file with O_CREAT needs only write; creating one needs a directory rule. */
    fd = resolve(n, dirfd, path, flags, m, need == NEED_CREATE && !(flags & O_EXCL) ? NEED_WRITE : need);
    if (fd == -ENOENT && need == NEED_CREATE) fd = resolve(n, dirfd, path, flags, m, NEED_CREATE);
    if (fd < 0) respond(n->id, 0, fd, 0);
    else respond_fd(n->id, fd, (flags & O_CLOEXEC) != 0);
    return;
  }
  case STAT: case STATX: {
    if (path[0] == '\0' && (at & AT_EMPTY_PATH)) fd = dirfd == AT_FDCWD ? resolve(n, AT_FDCWD, "", O_PATH, 0, NEED_ANY) : caller_fd(tid, dirfd);
    else fd = resolve(n, dirfd, path, O_PATH | ((at & AT_SYMLINK_NOFOLLOW) ? O_NOFOLLOW : 0), 0, NEED_ANY);
    if (fd < 0) { respond(n->id, 0, fd, 0); return; }
    int rc;
    if (op == STAT) {
      struct stat st;
      rc = fstat(fd, &st) == 0 && child_memory(tid, buf, &st, sizeof st, 1) == (ssize_t)sizeof st ? 0 : -EFAULT;
    } else {
      struct statx stx;
      rc = statx(fd, "", AT_EMPTY_PATH | (int)(at & AT_STATX_SYNC_TYPE), (unsigned)mode, &stx) == 0 && child_memory(tid, buf, &stx, sizeof stx, 1) == (ssize_t)sizeof stx ? 0 : -EFAULT;
    }
    close(fd);
    respond(n->id, 0, rc, 0);
    return;
  }
  case ACCESS: {
    if (mode & ~(__u64)(R_OK | W_OK | X_OK)) { respond(n->id, 0, -EINVAL, 0); return; }
    fd = resolve(n, dirfd, path, O_PATH, 0, (mode & W_OK) ? NEED_WRITE : (mode & R_OK) ? NEED_READ : NEED_ANY);
    if (fd < 0) { respond(n->id, 0, fd, 0); return; }
    char self[64];
    snprintf(self, sizeof self, "/proc/self/fd/%d", fd);
    int rc = faccessat(AT_FDCWD, self, (int)mode, 0) == 0 ? 0 : -errno;
    close(fd);
    respond(n->id, 0, rc, 0);
    return;
  }
  case READLINK: {
    fd = resolve(n, dirfd, path, O_PATH | O_NOFOLLOW, 0, NEED_READ);
    if (fd < 0) { respond(n->id, 0, fd, 0); return; }
    char target[PATH_MAX];
    ssize_t len = readlinkat(fd, "", target, sizeof target);
    close(fd);
    if (len < 0) { respond(n->id, 0, -errno, 0); return; }
    if ((__u64)len > size) len = (ssize_t)size;
    if (child_memory(tid, buf, target, (size_t)len, 1) != len) { respond(n->id, 0, -EFAULT, 0); return; }
    respond(n->id, len, 0, 0);
    return;
  }
  case TRUNCATE: {
    fd = resolve(n, dirfd, path, O_WRONLY, 0, NEED_WRITE);
    if (fd < 0) { respond(n->id, 0, fd, 0); return; }
    int rc = ftruncate(fd, (off_t)size) == 0 ? 0 : -errno;
    close(fd);
    respond(n->id, 0, rc, 0);
    return;
  }
  case CHDIR: {
    /* The supervisor resolves every later relative path itself from /proc/<tid>/cwd as a name, so the
     * working directory grants nothing; still, only directories beneath a rule are accepted. */
    fd = resolve(n, dirfd, path, O_PATH | O_DIRECTORY, 0, NEED_READ);
    if (fd < 0) { respond(n->id, 0, fd, 0); return; }
    close(fd);
    respond(n->id, 0, 0, NOTIF_FLAG_CONTINUE);
    return;
  }
  case UNLINK: case RENAME: {
    /* Both names must lie in a directory this rule set lets POV-Ray write. */
    char abs[PATH_MAX], name[PATH_MAX], *slash;
    int dirs[2] = { -1, -1 }, rc = 0;
    const char *names[2] = { path, path2 };
    char bases[2][PATH_MAX];
    int count = op == RENAME ? 2 : 1;
    for (int k = 0; k < count && rc == 0; k++) {
      int from = k == 0 ? dirfd : (int)size;
      if ((rc = absolute(tid, from, names[k], abs)) || (rc = canonical(abs, 0, name))) break;
      slash = strrchr(name, '/');
      strcpy(bases[k], slash + 1);
      *slash = '\0';
      dirs[k] = open_beneath(slash == name ? "/" : name, O_PATH | O_DIRECTORY, 0, NEED_CREATE);
      if (dirs[k] < 0) rc = dirs[k];
    }
    if (rc == 0) {
      if (op == UNLINK) rc = unlinkat(dirs[0], bases[0], 0) == 0 ? 0 : -errno;
      else rc = renameat(dirs[0], bases[0], dirs[1], bases[1]) == 0 ? 0 : -errno;
    }
    for (int k = 0; k < 2; k++) if (dirs[k] >= 0) close(dirs[k]);
    respond(n->id, 0, rc, 0);
    return;
  }
  default:
    respond(n->id, 0, -EACCES, 0);
  }
}

/* ---- set-up -------------------------------------------------------------------------------------- */

static void send_msg(int sock, const char *text, int fd) {
  struct iovec io = { (void *)text, strlen(text) + 1 };
  union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } u;
  struct msghdr msg = { .msg_iov = &io, .msg_iovlen = 1 };
  if (fd >= 0) {
    msg.msg_control = u.buf;
    msg.msg_controllen = sizeof u.buf;
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof fd);
  }
  if (sendmsg(sock, &msg, 0) < 0) _exit(EXIT_RULE);
}

static int receive_msg(int sock, char *text, size_t len) {
  struct iovec io = { text, len - 1 };
  union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } u;
  struct msghdr msg = { .msg_iov = &io, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf };
  ssize_t n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  text[n > 0 ? n : 0] = '\0';
  struct cmsghdr *c = n > 0 ? CMSG_FIRSTHDR(&msg) : NULL;
  int fd = -1;
  if (c && c->cmsg_type == SCM_RIGHTS) memcpy(&fd, CMSG_DATA(c), sizeof fd);
  return fd;
}

static void child_side(int sock, char *const argv[], char *const envp[], int probe, const sigset_t *mask) {
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() == 1) _exit(EXIT_RULE);
  sigprocmask(SIG_SETMASK, mask, NULL);
  static struct sock_filter filter[512];
  struct sock_fprog prog = { (unsigned short)build_filter(filter, getpid()), filter };
  int fd = (int)syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
  if (fd < 0) {
    char why[200];
    snprintf(why, sizeof why, "seccomp(SECCOMP_FILTER_FLAG_NEW_LISTENER): %s", strerror(errno));
    send_msg(sock, why, -1);
    _exit(EXIT_UNSUPPORTED);
  }
  send_msg(sock, "listener", fd);
  close(fd);
  char go = 0;
  if (read(sock, &go, 1) != 1 || go != 'g') _exit(EXIT_UNSUPPORTED);
  close(sock);
  /* Trust the outcome, not the calls: the root directory must now be out of reach. */
  int root = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (root >= 0 || errno != EACCES) {
    fprintf(stderr, "povray-jail: the confinement is not effective: \"/\" can still be opened (seccomp-unotify)\n");
    _exit(EXIT_SELFCHECK);
  }
  if (probe) {
    /* ... and a rule's file must be reachable through the supervisor. */
    for (int i = 0; i < nroots; i++) {
      if (roots[i].is_dir || !(roots[i].access & R_READ)) continue;
      int fd2 = open(roots[i].path, O_RDONLY | O_CLOEXEC);
      if (fd2 < 0) {
        fprintf(stderr, "povray-jail: the confinement self-check failed: %s cannot be opened through the supervisor (%s)\n", roots[i].path, strerror(errno));
        _exit(EXIT_SELFCHECK);
      }
      close(fd2);
      break;
    }
    _exit(0);
  }
  execve(argv[0], argv, envp);
  fprintf(stderr, "povray-jail: %s: %s\n", argv[0], strerror(errno));
  _exit(EXIT_EXEC);
}

static void unsupported(const char *no_landlock, const char *why) {
  char both[600];
  snprintf(both, sizeof both, "Landlock: %s; seccomp user notification: %s", no_landlock, why);
  fail(EXIT_UNSUPPORTED, "neither Landlock nor seccomp user notification is available, refusing to run unconfined", both);
}

void unotify_run(char *const argv[], char *const envp[], int probe, const char *no_landlock) {
  struct jail_notif_sizes sizes;
  if (syscall(__NR_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) != 0) unsupported(no_landlock, errno == ENOSYS ? "no seccomp() system call" : "the kernel has no seccomp user notification (Linux >= 5.0)");
  if (sizes.notif < sizeof(struct jail_notif) || sizes.resp < sizeof(struct jail_notif_resp)) unsupported(no_landlock, "unexpected seccomp notification sizes");
  struct jail_open_how how = { O_PATH | O_CLOEXEC, 0, RESOLVE_BENEATH_ };
  int probe_fd = (int)syscall(__NR_openat2, AT_FDCWD, ".", &how, sizeof how);
  if (probe_fd < 0) unsupported(no_landlock, errno == ENOSYS ? "no openat2() (Linux >= 5.6)" : strerror(errno));
  close(probe_fd);
  program = argv[0];

  sigset_t handled, old;
  sigemptyset(&handled);
  sigaddset(&handled, SIGCHLD);
  sigaddset(&handled, SIGTERM);
  sigaddset(&handled, SIGINT);
  sigaddset(&handled, SIGHUP);
  sigprocmask(SIG_BLOCK, &handled, &old);
  int sigfd = signalfd(-1, &handled, SFD_CLOEXEC);
  int sv[2];
  if (sigfd < 0 || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) fail(EXIT_RULE, "cannot set up the supervisor", strerror(errno));
  child = fork();
  if (child < 0) fail(EXIT_RULE, "fork", strerror(errno));
  if (child == 0) {
    close(sv[0]);
    close(sigfd);
    child_side(sv[1], argv, envp, probe, &old);
  }
  close(sv[1]);
  char text[256];
  listener = receive_msg(sv[0], text, sizeof text);
  if (listener < 0) {
    kill(child, SIGKILL);
    unsupported(no_landlock, text[0] ? text : "the child could not set the filter");
  }
  /* SECCOMP_IOCTL_NOTIF_ADDFD (Linux >= 5.9) answers ENOENT for an unknown id where it exists. */
  struct jail_notif_addfd add = { 0, 0, 0, 0, 0 };
  if (ioctl(listener, NOTIF_ADDFD, &add) == 0 || errno != ENOENT) {
    kill(child, SIGKILL);
    unsupported(no_landlock, "the kernel cannot hand descriptors to the confined process (SECCOMP_IOCTL_NOTIF_ADDFD, Linux >= 5.9)");
  }
  if (write(sv[0], "g", 1) != 1) fail(EXIT_RULE, "cannot start the confined process", strerror(errno));
  close(sv[0]);

  struct jail_notif *req = calloc(1, sizes.notif > sizeof *req ? sizes.notif : sizeof *req);
  for (;;) {
    struct pollfd fds[2] = { { listener, POLLIN, 0 }, { sigfd, POLLIN, 0 } };
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      fail(EXIT_RULE, "poll", strerror(errno));
    }
    if (fds[1].revents & POLLIN) {
      struct signalfd_siginfo si;
      if (read(sigfd, &si, sizeof si) == sizeof si && si.ssi_signo != SIGCHLD) kill(child, (int)si.ssi_signo);
      int status;
      if (waitpid(child, &status, WNOHANG) == child) {
        if (WIFEXITED(status)) {
          if (probe && WEXITSTATUS(status) == 0) printf("seccomp-unotify\n");
          exit(WEXITSTATUS(status));
        }
        /* Die of the same signal, so the worker sees what happened to POV-Ray. */
        int sig = WTERMSIG(status);
        signal(sig, SIG_DFL);
        sigprocmask(SIG_SETMASK, &old, NULL);
        raise(sig);
        exit(128 + sig);
      }
    }
    if (fds[0].revents & POLLIN) {
      memset(req, 0, sizes.notif);
      if (ioctl(listener, NOTIF_RECV, req) != 0) continue; /* EINTR, or the caller went away */
      handle(req);
    }
    if ((fds[0].revents & (POLLHUP | POLLERR)) && !(fds[1].revents & POLLIN)) {
      /* Every confined task is gone; the SIGCHLD follows. */
      struct pollfd s = { sigfd, POLLIN, 0 };
      poll(&s, 1, 1000);
    }
  }
}
