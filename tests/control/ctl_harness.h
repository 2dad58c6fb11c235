/* Test-side harness of the control-plane tests: start tipc_ctl_helper
 * processes (fork + exec) with pipes on stdin/stdout, talk to them line by
 * line with deadlines, kill and reap them, and check /dev/shm.
 *
 * Every wait has a deadline. Children get PDEATHSIG = SIGKILL and see EOF on
 * stdin when the test dies; CTL_ASSERT kills them and removes the test's
 * segments before failing the test. */
#ifndef TIPC_CTL_HARNESS_H
#define TIPC_CTL_HARNESS_H

#include <check.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct ctl_child {
    pid_t pid;
    int to, from;
    int reaped, wstatus;
    char what[48];
    char buf[32768];
    size_t len;
    char line[16384]; /* last line received */
} ctl_child;

void ctl_cleanup_all(void);

#define CTL_ASSERT(cond, ...)                                                  \
    do {                                                                       \
        if (!(cond)) {                                                         \
            ctl_cleanup_all();                                                 \
            ck_abort_msg(__VA_ARGS__);                                         \
        }                                                                      \
    } while (0)

/* Call first in each test. */
void ctl_begin(const char *test);
/* Diagnostic line on stderr. */
void ctl_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "ctl<pid>/<tag>": unique per test process; registered for cleanup and
 * for the final /dev/shm check. */
const char *ctl_pool(const char *tag);
/* Register an explicitly named pool (must contain the pid). */
const char *ctl_pool_named(const char *name);

/* Timeouts in ms, multiplied by $CTL_TIME_SCALE (default 1). */
int64_t ctl_ms(int64_t ms);

/* Start the helper with these arguments (NULL-terminated). */
ctl_child *ctl_spawn(const char *what, ...);
/* Start "agent" and wait for nothing (it answers only to commands). */
ctl_child *ctl_agent(const char *what);

int ctl_send(ctl_child *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* 0 ok (line in c->line), -1 EOF, -2 timeout. */
int ctl_recv(ctl_child *c, int64_t timeout_ms);
/* Receive one line; fail the test on EOF/timeout. Returns c->line. */
const char *ctl_expect_line(ctl_child *c, int64_t timeout_ms, const char *what);
/* Send a command, return the answer (fails on EOF/timeout). */
const char *ctl_cmd(ctl_child *c, int64_t timeout_ms, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Same, and the answer must start with "ok". */
const char *ctl_cmd_ok(ctl_child *c, int64_t timeout_ms, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int ctl_starts(const char *line, const char *prefix);

void ctl_kill9(ctl_child *c);
int ctl_reap(ctl_child *c, int64_t timeout_ms);
/* Send quit, close stdin, reap, require exit status 0. */
void ctl_quit(ctl_child *c, int64_t timeout_ms);
void ctl_child_free(ctl_child *c);

/* Entries of @p pool in /dev/shm (segment and temporaries). */
int ctl_shm_entries(const char *pool, char *list, size_t cap);
/* All children reaped and freed, nothing of the registered pools in /dev/shm. */
void ctl_finish(void);

/* Whether @p text contains @p pid as a whole number. */
int ctl_mentions_num(const char *text, long long num);
/* Value of "key=" in a "k=v k=v" line into out; 0 if found. */
int ctl_field(const char *line, const char *key, char *out, size_t cap);
/* Whether /proc/<pid>/maps has a mapping of @p pool's segment. */
int ctl_maps_segment(pid_t pid, const char *pool);
/* The first state of the main thread of @p pid in a futex syscall? 1 yes,
 * 0 no, -1 cannot tell. */
int ctl_in_futex(pid_t pid);

#endif
