/* Test-side harness of the multiprocess suites (check): start helper
 * processes (fork + exec) with pipes on their stdin/stdout, talk to them line
 * by line with deadlines, kill and reap them, and check /proc and /dev/shm.
 *
 * Every wait has a deadline; nothing sleeps hoping that something happened.
 * Children get PDEATHSIG = SIGKILL and see EOF on stdin when the test dies,
 * and PH_ASSERT kills them and removes the test's segments before failing.
 * Each test case runs in its own process (CK_RUN_CASE), so the registries
 * below are per test. */
#ifndef TIPC_TEST_PROC_HARNESS_H
#define TIPC_TEST_PROC_HARNESS_H

#include <check.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "mono_clock.h"

typedef struct ph_child {
    pid_t pid;
    int to;   /* child's stdin */
    int from; /* child's stdout */
    int reaped;
    int wstatus;
    char what[48];
    char buf[32768]; /* received, not yet a whole line */
    size_t len;
    char line[16384]; /* the last answer, for callers that read into the child */
} ph_child;

/* Kill every child still registered and unlink the /dev/shm entries of
 * every tracked pool; called by PH_ASSERT before it fails the test. */
void ph_cleanup_all(void);

#define PH_ASSERT(cond, ...)                                                   \
    do {                                                                       \
        if (!(cond)) {                                                         \
            ph_cleanup_all();                                                  \
            ck_abort_msg(__VA_ARGS__);                                         \
        }                                                                      \
    } while (0)

/* Per-test setup: ignore SIGPIPE, name the test for ph_log. Call first. */
void ph_begin(const char *test);

/* A diagnostic line on stderr (shown by ctest --output-on-failure / -V);
 * with @p failure also a violation that fails the test in ph_finish, so that
 * one wrong answer does not hide what the rest of the test would find. */
void ph_note(int failure, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define ph_log(...) ph_note(0, __VA_ARGS__)
#define ph_soft_fail(...) ph_note(1, __VA_ARGS__)

/* @p ms times $<env> (at least 1), for slow machines and sanitizers. */
int64_t ph_scale_ms(const char *env, int64_t ms);

/* Track @p pool, whose /dev/shm entries are named @p stem, for cleanup and
 * for the checks below. With @p whole, only the stem itself and its
 * temporaries "<stem>~..." are the pool's (names may be prefixes of others);
 * otherwise every name starting with it. Returns the stored copy of @p pool,
 * NULL when the table is full. */
const char *ph_track_pool(const char *pool, const char *stem, int whole);

/* Number of /dev/shm entries of the tracked @p pool; their names are written
 * to @p list (may be NULL). */
int ph_shm_entries(const char *pool, char *list, size_t cap);

/* Fail the test if anything of the tracked @p pool is in /dev/shm. */
void ph_assert_no_shm(const char *pool, const char *when);

/* Whether /proc/<pid>/maps has a mapping of the tracked @p pool's segment. */
int ph_maps_pool(pid_t pid, const char *pool);

/* Start a child: argv = the @p n entries of @p head (head[0] the executable)
 * followed by the NULL-terminated strings of @p extra. */
ph_child *ph_vspawn(const char *what, const char *const *head, int n, va_list extra);

/* Send one line (a '\n' is added). 0 ok, -1 the child's stdin is closed. */
int ph_send(ph_child *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Receive one line within timeout_ms: 0 ok, -1 EOF (child gone), -2 timeout. */
int ph_recv(ph_child *c, char *line, size_t cap, int64_t timeout_ms);

/* Receive one line; fails the test on EOF or timeout (@p what: what was
 * awaited, for the message). Returns @p line. */
char *ph_expect_line(ph_child *c, char *line, size_t cap, int64_t timeout_ms, const char *what);

/* Receive a line that must be "ok" or "ok ..." (fails the test otherwise). */
char *ph_expect_ok(ph_child *c, char *line, size_t cap, int64_t timeout_ms);

/* Send a request and receive its answer; fails the test on EOF or timeout,
 * and with @p need_ok unless the answer is "ok" or "ok ...". Returns @p line. */
char *ph_request(ph_child *c, char *line, size_t cap, int64_t timeout_ms, int need_ok,
                 const char *fmt, ...) __attribute__((format(printf, 6, 7)));
#define ph_cmd(c, line, cap, timeout_ms, ...)                                  \
    ph_request((c), (line), (cap), (timeout_ms), 0, __VA_ARGS__)
#define ph_cmd_ok(c, line, cap, timeout_ms, ...)                               \
    ph_request((c), (line), (cap), (timeout_ms), 1, __VA_ARGS__)

/* Whether @p line is the word @p prefix or starts with it and a space. */
int ph_starts(const char *line, const char *prefix);

/* SIGKILL the child (it stays a zombie until reaped). */
void ph_kill9(ph_child *c);

/* Wait until the child has exited WITHOUT reaping it (waitid WNOWAIT):
 * afterwards it is a zombie. 0 ok, -1 timeout. */
int ph_wait_zombie(ph_child *c, int64_t timeout_ms);

/* Reap the child within timeout_ms. 0 ok (c->wstatus set), -1 timeout. */
int ph_reap(ph_child *c, int64_t timeout_ms);

/* Send "quit", close stdin (EOF = quit), reap, and require exit status 0. */
void ph_quit(ph_child *c, int64_t timeout_ms);

/* Close pipes, kill if still running, reap, free. Accepts NULL. */
void ph_child_free(ph_child *c);

/* "/proc/<pid>/stat" state letter ('Z' for a zombie), or '?'. */
char ph_proc_state(pid_t pid);

/* Whether the main thread of @p pid sleeps in a futex syscall: 1 yes, 0 no,
 * -1 cannot tell. */
int ph_in_futex(pid_t pid);

/* End of a test: all children must have been reaped (they are freed),
 * nothing of the tracked pools left in /dev/shm, no ph_soft_fail recorded. */
void ph_finish(void);

/* Whether @p text contains @p num as a whole number. */
int ph_mentions_num(const char *text, long long num);

/* Value of "key=" in a "k=v k=v" line into @p out; 0 if found. */
int ph_field(const char *line, const char *key, char *out, size_t cap);

/* Register @p tc with its single test @p t; @p timeout_s 0 keeps check's
 * default (CK_DEFAULT_TIMEOUT, which CTest sets per suite). */
void ph_add_case(Suite *s, TCase *tc, const TTest *t, int timeout_s);

/* Run every case (CK_RUN_CASE selects one); the exit status for main. */
int ph_run_suite(Suite *s);

#endif
