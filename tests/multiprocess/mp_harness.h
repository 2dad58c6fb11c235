/* Test-side harness of the multiprocess tests: start helper processes
 * (fork + exec of tipc_mp_helper) with pipes on their stdin/stdout, talk to
 * them line by line with deadlines, kill and reap them, and check /dev/shm.
 *
 * Every wait has a deadline; nothing sleeps hoping that something happened.
 * Children get PDEATHSIG = SIGKILL and see EOF on stdin when the test dies,
 * and MP_ASSERT kills them and removes the test's segments before failing. */
#ifndef TIPC_MP_HARNESS_H
#define TIPC_MP_HARNESS_H

#include <check.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "mp_common.h"

typedef struct mp_child {
    pid_t pid;
    int to;   /* child's stdin */
    int from; /* child's stdout */
    int reaped;
    int wstatus;
    char what[48];
    char buf[16384];
    size_t len;
} mp_child;

/* Kill every child still registered and unlink every registered pool's
 * segment; called by MP_ASSERT before it fails the test. */
void mp_cleanup_all(void);

#define MP_ASSERT(cond, ...)                                                   \
    do {                                                                       \
        if (!(cond)) {                                                         \
            mp_cleanup_all();                                                  \
            ck_abort_msg(__VA_ARGS__);                                         \
        }                                                                      \
    } while (0)

/* Per-test setup: ignore SIGPIPE, remember the pid. Call first in each test. */
void mp_begin(const char *test);

/* "mp/<tag>-<pid>-p": unique per test process (the "-p" ends the pid, so no
 * name is a prefix of another); registered for cleanup. */
void mp_pool_name(char *out, size_t cap, const char *tag);

/* Timings are multiplied by this (env MP_TIME_SCALE, default 1; the
 * sanitizer build sets nothing: the defaults are already generous). */
int64_t mp_ms(int64_t ms);

/* Start the helper: argv[0] is the helper command (producer, consumer, ...),
 * the pool, history_len, frame_bytes and extra args follow. NULL-terminated. */
mp_child *mp_spawn(const char *what, const char *cmd, const char *pool, uint32_t hist,
                   size_t frame_bytes, ...);

/* Send one line (a '\n' is added). 0 ok, -1 the child's stdin is closed. */
int mp_send(mp_child *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Receive one line within timeout_ms: 0 ok, -1 EOF (child gone), -2 timeout. */
int mp_recv(mp_child *c, char *line, size_t cap, int64_t timeout_ms);

/* Send a line and receive the answer; fails the test on EOF or timeout.
 * Returns @p line. */
char *mp_cmd(mp_child *c, char *line, size_t cap, int64_t timeout_ms, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Like mp_cmd, and fails the test unless the answer starts with "ok". */
char *mp_cmd_ok(mp_child *c, char *line, size_t cap, int64_t timeout_ms, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Receive a line that must start with "ok" (fails the test otherwise). */
char *mp_expect_ok(mp_child *c, char *line, size_t cap, int64_t timeout_ms);

/* SIGKILL the child (it stays a zombie until reaped). */
void mp_kill9(mp_child *c);

/* Wait until the child has exited WITHOUT reaping it (waitid WNOWAIT):
 * afterwards it is a zombie. 0 ok, -1 timeout. */
int mp_wait_zombie(mp_child *c, int64_t timeout_ms);

/* Reap the child within timeout_ms. 0 ok (c->wstatus set), -1 timeout. */
int mp_reap(mp_child *c, int64_t timeout_ms);

/* Close stdin (EOF = quit), reap, and require exit status 0. */
void mp_quit(mp_child *c, int64_t timeout_ms);

/* Close pipes, kill if still running, reap, free. Accepts NULL. */
void mp_child_free(mp_child *c);

/* "/proc/<pid>/stat" state letter ('Z' for a zombie), or '?'. */
char mp_proc_state(pid_t pid);

/* Number of /dev/shm entries belonging to @p pool (names starting with its
 * segment name); their names are written to @p list. */
int mp_shm_entries(const char *pool, char *list, size_t cap);

/* Fail the test if anything of @p pool is in /dev/shm. */
void mp_assert_no_shm(const char *pool, const char *when);

/* Record a violation, go on with the test, fail it in mp_finish (so that one
 * wrong answer does not hide what the rest of the test would find). */
void mp_soft_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* End of a test: all children must have been reaped, nothing left in /dev/shm,
 * no mp_soft_fail recorded. */
void mp_finish(const char *pool);

/* Whether @p text contains @p pid as a whole number. */
int mp_mentions_pid(const char *text, long pid);

/* A test-process producer of the standard pattern. */
struct tipc_producer;
tipc_status mp_put(struct tipc_producer *p, size_t frame_bytes, uint64_t *out_index,
                   int64_t *elapsed_ns);

/* Diagnostic line on stderr (shown by ctest --output-on-failure / -V). */
void mp_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
