/*
 * The second confinement backend of povray-jail, for kernels without Landlock (Amazon Linux 2's 5.10, which
 * Fargate runs): seccomp user notification. See unotify.c.
 */
#ifndef POVRAY_JAIL_UNOTIFY_H
#define POVRAY_JAIL_UNOTIFY_H
#include <linux/types.h>

/* Records one rule of the command line. `access` uses the Landlock access-right bits (EXECUTE = 1 << 0,
 * WRITE_FILE = 1 << 1, READ_FILE = 1 << 2, READ_DIR = 1 << 3, ...), so both backends read one rule set. */
void unotify_add_root(const char *path, __u64 access);

/* Forks; the child installs the filter and executes argv[0] with envp, the parent supervises it and exits
 * with the child's status. With `probe`, the child checks the confinement holds and exits instead.
 * `no_landlock` says why Landlock was not used (for the fail-closed message). Never returns. */
void unotify_run(char *const argv[], char *const envp[], int probe, const char *no_landlock) __attribute__((noreturn));

#endif
