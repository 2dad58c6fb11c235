/* The control plane (DESIGN.md section 6, issue 3), proved with real separate
 * processes: fork + exec of tipc_ctl_helper, which plays producers and
 * consumers through the public API ("agent"), a raw DDS reader written
 * against dds.h and the IDL only ("observe"), and a raw DDS writer of
 * hand-made, lying announcements ("announce").
 *
 *   1 start orders ............. consumer_first_then_producer,
 *                                producer_first_then_consumer
 *   2 metadata mismatch ........ mismatch_each_field
 *   3 one producer per name .... second_producer_refused
 *   4 disconnect within 2 s .... disconnect_on_clean_exit, disconnect_on_sigkill
 *   5 producer restart ......... restart_after_clean_exit, restart_after_sigkill
 *   6 pools do not interfere ... same_topic_pools_do_not_interfere
 *   7 protocol conformance ..... protocol_conformance_raw_dds
 *   8 DDS never trusted ........ malformed_announcements_never_trusted,
 *                                lie_matching_consumer_not_segment,
 *                                forged_announcement_does_not_block_valid_segment,
 *                                forged_announcements_do_not_end_wait
 *
 * Each test case is its own CTest test (CK_RUN_CASE), uses pool names holding
 * the test's pid, waits only on conditions with deadlines, and ends with
 * nothing of its pools in /dev/shm.
 */
#include <check.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctl_common.h"
#include "ctl_harness.h"
#include "tensor_ipc.h"

#define T_START 30000 /* ms: a helper starts, joins DDS and answers */
#define T_CMD 20000   /* ms: a helper answers a command */
#define T_SEE 15000   /* ms: a condition that should hold within a second or two */
#define DISCONNECT_BOUND_NS (2000 * 1000000LL)

#define SPEC "uint8:256:numpy:4"

/* ---------------------------------------------------------------- utils --- */

static long ok_num(const char *line, const char *what)
{
    long v = 0;
    PH_ASSERT(sscanf(line, "ok %ld", &v) == 1, "%s: cannot parse '%s'", what, line);
    return v;
}

struct got {
    unsigned long long newest, salt;
    unsigned valid;
    long long elapsed_ns;
};

/* "get <id> <count> <salt> <timeout>" must succeed with frames of @p salt. */
static struct got get_ok(ph_child *c, int id, unsigned count, unsigned long long salt,
                         int64_t timeout_ms)
{
    struct got g = {0};
    const char *l = ctl_cmd(c, timeout_ms + T_CMD, "get %d %u %llu %lld", id, count, salt,
                            (long long)timeout_ms);
    PH_ASSERT(sscanf(l, "ok %llu %llu %u %lld", &g.newest, &g.salt, &g.valid,
                     &g.elapsed_ns) == 4,
              "%s: consumer %d: get of %u frames of salt %llu answered '%s'", c->what, id,
              count, salt, l);
    return g;
}

/* One get that must fail with @p status; returns the sentence. */
static const char *get1_err(ph_child *c, int id, const char *status)
{
    const char *l = ctl_cmd(c, T_CMD, "get1 %d", id);
    char want[64];
    snprintf(want, sizeof want, "err %s", status);
    PH_ASSERT(ph_starts(l, want),
              "%s: consumer %d: get1 expected %s, answered '%s'", c->what, id, status, l);
    return l + strlen(want);
}

static long start_producer(ph_child *p, int id, const char *pool, const char *spec)
{
    const char *l = ctl_cmd_ok(p, T_START, "prod %d %s %s", id, pool, spec);
    return ok_num(l, "prod");
}

/* "done <STATUS> <mono ns> ..." of a blocking command. */
static void read_done(ph_child *c, int64_t timeout_ms, char *status, size_t cap,
                      long long *t_ns)
{
    const char *l = ctl_expect_line(c, timeout_ms, "the end of a blocking command");
    char st[64] = "";
    PH_ASSERT(sscanf(l, "done %63s %lld", st, t_ns) == 2, "%s: expected 'done ...', got '%s'",
              c->what, l);
    snprintf(status, cap, "%s", st);
}

/* After "ok blocking", wait (with a deadline) until the helper's main thread
 * sleeps in futex: then it is really inside tipc_consumer_wait. */
static void wait_until_blocked(ph_child *c)
{
    int64_t deadline = mono_ns() + ctl_ms(5000) * 1000000;
    int r;
    while ((r = ph_in_futex(c->pid)) == 0 && mono_ns() < deadline)
        mono_sleep_ms(1);
    if (r < 0)
        ph_log("cannot read /proc/%ld/syscall; relying on the 'ok blocking' answer",
               (long)c->pid);
    else
        PH_ASSERT(r == 1, "%s (pid %ld) is not blocked in a futex wait 5 s after 'blocking'",
                  c->what, (long)c->pid);
}

static int contains(const char *hay, const char *needle) { return strstr(hay, needle) != NULL; }

/* ------------------------------------------------------- 1 start orders --- */

START_TEST(consumer_first_then_producer)
{
    ph_begin("consumer_first_then_producer");
    const char *pool = ctl_pool("cfirst");
    ph_child *c = ctl_agent("consumer");
    ctl_cmd_ok(c, T_START, "cons 0 %s %s", pool, SPEC);
    ctl_cmd_ok(c, T_START, "cons 1 %s %s", pool, SPEC);
    get1_err(c, 0, "TIPC_E_NOT_CONNECTED");
    PH_ASSERT(!strcmp(ctl_cmd(c, T_CMD, "connected 0"), "ok 0"), "connected before a producer");
    const char *l = ctl_cmd(c, T_CMD, "wait 1 0");
    PH_ASSERT(ph_starts(l, "err") && contains(l, "TIPC_E_NOT_CONNECTED"),
              "wait(0) without producer answered '%s'", l);

    /* Consumer 1 blocks in wait before the producer exists. */
    PH_ASSERT(ph_send(c, "waitblock 1 %lld", (long long)ctl_ms(T_SEE)) == 0, "send");
    ctl_expect_line(c, T_CMD, "ok blocking");

    ph_child *p = ctl_agent("producer");
    long pid = start_producer(p, 0, pool, SPEC);
    l = ctl_cmd_ok(p, T_CMD, "put 0 3 %ld", pid);
    PH_ASSERT(ok_num(l, "put") == 2, "put 3 frames answered '%s'", l);

    char st[64];
    long long t;
    read_done(c, ctl_ms(T_SEE) + T_CMD, st, sizeof st, &t);
    PH_ASSERT(!strcmp(st, "TIPC_OK"), "wait of a consumer created first ended with %s", st);

    struct got g = get_ok(c, 0, 4, (unsigned long long)pid, ctl_ms(T_SEE));
    PH_ASSERT(g.newest == 2 && g.valid == 3, "read newest %llu with %u frames, expected 2 / 3",
              g.newest, g.valid);
    ph_log("consumer created first connected and read after %lld ms", g.elapsed_ns / 1000000);
    g = get_ok(c, 1, 1, (unsigned long long)pid, ctl_ms(T_SEE));
    PH_ASSERT(g.newest == 2, "consumer 1 read newest %llu", g.newest);
    PH_ASSERT(!strcmp(ctl_cmd(c, T_CMD, "connected 0"), "ok 1"), "not connected after a read");

    ph_quit(p, T_CMD);
    ph_quit(c, T_CMD);
    ph_finish();
}
END_TEST

START_TEST(producer_first_then_consumer)
{
    ph_begin("producer_first_then_consumer");
    const char *pool = ctl_pool("pfirst");
    ph_child *p = ctl_agent("producer");
    long pid = start_producer(p, 0, pool, SPEC);
    ctl_cmd_ok(p, T_CMD, "put 0 5 %ld", pid);

    ph_child *c = ctl_agent("consumer");
    ctl_cmd_ok(c, T_START, "cons 0 %s %s", pool, SPEC);
    struct got g = get_ok(c, 0, 4, (unsigned long long)pid, ctl_ms(T_SEE));
    PH_ASSERT(g.newest == 4 && g.valid == 4, "read newest %llu with %u frames, expected 4 / 4",
              g.newest, g.valid);

    /* Blocked wait wakes for the next frame. */
    PH_ASSERT(ph_send(c, "waitblock 0 %lld", (long long)ctl_ms(T_SEE)) == 0, "send");
    ctl_expect_line(c, T_CMD, "ok blocking");
    wait_until_blocked(c);
    ctl_cmd_ok(p, T_CMD, "put 0 1 %ld", pid);
    char st[64];
    long long t;
    read_done(c, ctl_ms(T_SEE) + T_CMD, st, sizeof st, &t);
    PH_ASSERT(!strcmp(st, "TIPC_OK"), "wait for frame 5 ended with %s", st);
    g = get_ok(c, 0, 2, (unsigned long long)pid, ctl_ms(T_SEE));
    PH_ASSERT(g.newest == 5 && g.valid == 2, "read newest %llu with %u frames, expected 5 / 2",
              g.newest, g.valid);

    ph_quit(p, T_CMD);
    ph_quit(c, T_CMD);
    ph_finish();
}
END_TEST

/* ---------------------------------------------------- 2 mismatch ------- */

/* @p sentence names @p field and both values. */
static void check_names(const char *sentence, const char *field, const char *v1, const char *v2)
{
    const char *f = strstr(sentence, field);
    PH_ASSERT(f != NULL, "mismatch sentence does not name '%s': %s", field, sentence);
    PH_ASSERT(contains(f, v1) && contains(f, v2),
              "mismatch sentence does not give both values of %s ('%s' and '%s'): %s", field,
              v1, v2, sentence);
}

static void check_history_names(const char *sentence, long a, long b)
{
    const char *f = strstr(sentence, "history_len");
    PH_ASSERT(f != NULL, "mismatch sentence does not name history_len: %s", sentence);
    PH_ASSERT(ph_mentions_num(f, a) && ph_mentions_num(f, b),
              "mismatch sentence does not give both history_len values %ld and %ld: %s", a, b,
              sentence);
}

START_TEST(mismatch_each_field)
{
    ph_begin("mismatch_each_field");
    const char *pool = ctl_pool("mism");
    const char *pspec = "uint8:256:numpy:5";
    /* Consumers created before the producer (lazy), one field off each. */
    static const char *cspec[] = {
        "float64:256:numpy:5", /* dtype */
        "uint8:16x16:numpy:5", /* shape, same frame size */
        "uint8:256:torch:5",   /* backend */
        "uint8:256:numpy:7",   /* history_len */
        "uint8:256:numpy:5",   /* matches */
    };
    ph_child *c = ctl_agent("consumers (first)");
    for (int i = 0; i < 5; i++)
        ctl_cmd_ok(c, T_START, "cons %d %s %s", i, pool, cspec[i]);
    for (int i = 0; i < 5; i++)
        get1_err(c, i, "TIPC_E_NOT_CONNECTED");

    ph_child *p = ctl_agent("producer");
    long pid = start_producer(p, 0, pool, pspec);
    ctl_cmd_ok(p, T_CMD, "put 0 2 %ld", pid);

    char s[4][4096];
    for (int i = 0; i < 4; i++) {
        const char *l = ctl_cmd(c, ctl_ms(T_SEE) + T_CMD, "connect %d %lld", i,
                                (long long)ctl_ms(T_SEE));
        PH_ASSERT(ph_starts(l, "err") && contains(l, "TIPC_E_MISMATCH"),
                  "consumer %s of a %s pool: connect answered '%s'", cspec[i], pspec, l);
        snprintf(s[i], sizeof s[i], "%s", l);
        /* and every read says so too */
        const char *g = get1_err(c, i, "TIPC_E_MISMATCH");
        PH_ASSERT(contains(g, pool), "get's sentence does not name the pool: %s", g);
    }
    check_names(s[0], "dtype", "float64", "uint8");
    check_names(s[1], "shape", "16,16", "(256");
    check_names(s[2], "backend", "torch", "numpy");
    check_history_names(s[3], 5, 7);
    for (int i = 0; i < 4; i++)
        PH_ASSERT(contains(s[i], pool), "mismatch sentence does not name the pool: %s", s[i]);
    /* Only the differing field is named. */
    PH_ASSERT(!contains(s[0], "shape") && !contains(s[0], "backend") &&
                   !contains(s[0], "history_len"),
              "dtype mismatch names other fields: %s", s[0]);
    struct got gg = get_ok(c, 4, 2, (unsigned long long)pid, ctl_ms(T_SEE));
    PH_ASSERT(gg.newest == 1, "matching consumer read newest %llu", gg.newest);

    /* Created after the producer (eager), through get directly; and one
     * consumer with all four fields off gets all four named. */
    ph_child *c2 = ctl_agent("consumers (after)");
    ctl_cmd_ok(c2, T_START, "cons 0 %s %s", pool, "uint8:256:torch:5");
    ctl_cmd_ok(c2, T_START, "cons 1 %s %s", pool, "float32:8x8:torch:3");
    int64_t deadline = mono_ns() + ctl_ms(T_SEE) * 1000000;
    const char *l;
    for (;;) {
        l = ctl_cmd(c2, T_CMD, "get1 0");
        if (!contains(l, "TIPC_E_NOT_CONNECTED") || mono_ns() > deadline)
            break;
        mono_sleep_ms(5);
    }
    PH_ASSERT(ph_starts(l, "err") && contains(l, "TIPC_E_MISMATCH"),
              "get of a torch consumer of a numpy pool answered '%s'", l);
    check_names(l, "backend", "torch", "numpy");
    l = ctl_cmd(c2, ctl_ms(T_SEE) + T_CMD, "connect 1 %lld", (long long)ctl_ms(T_SEE));
    PH_ASSERT(ph_starts(l, "err") && contains(l, "TIPC_E_MISMATCH"),
              "connect of a consumer with four fields off answered '%s'", l);
    check_names(l, "dtype", "float32", "uint8");
    check_names(l, "shape", "8,8", "(256");
    check_names(l, "backend", "torch", "numpy");
    check_history_names(l, 3, 5);
    ph_log("four-field mismatch: %s", l);

    ph_quit(c2, T_CMD);
    ph_quit(c, T_CMD);
    ph_quit(p, T_CMD);
    ph_finish();
}
END_TEST

/* ------------------------------------------- 3 second producer refused --- */

START_TEST(second_producer_refused)
{
    ph_begin("second_producer_refused");
    const char *pool = ctl_pool("twice");
    ph_child *p1 = ctl_agent("producer 1");
    long pid1 = start_producer(p1, 0, pool, SPEC);
    ctl_cmd_ok(p1, T_CMD, "put 0 3 %ld", pid1);

    ph_child *p2 = ctl_agent("producer 2");
    const char *specs[] = {SPEC, "float32:8:torch:2"};
    for (int i = 0; i < 2; i++) {
        const char *l = ctl_cmd(p2, T_START, "prod 0 %s %s", pool, specs[i]);
        PH_ASSERT(ph_starts(l, "err") && contains(l, "TIPC_E_EXISTS"),
                  "second producer (%s) answered '%s'", specs[i], l);
        PH_ASSERT(ph_mentions_num(l, pid1), "refusal does not name the first producer's pid %ld: %s",
                  pid1, l);
        PH_ASSERT(contains(l, pool), "refusal does not name the pool: %s", l);
    }

    /* The first producer is untouched: a consumer reads it, it keeps writing. */
    ph_child *c = ctl_agent("consumer");
    ctl_cmd_ok(c, T_START, "cons 0 %s %s", pool, SPEC);
    struct got g = get_ok(c, 0, 4, (unsigned long long)pid1, ctl_ms(T_SEE));
    PH_ASSERT(g.newest == 2 && g.valid == 3, "read %llu / %u", g.newest, g.valid);
    ctl_cmd_ok(p1, T_CMD, "put 0 1 %ld", pid1);
    g = get_ok(c, 0, 1, (unsigned long long)pid1, ctl_ms(T_SEE));
    PH_ASSERT(g.newest == 3, "read newest %llu after one more put", g.newest);

    /* Once the first is gone, the name is free for the second. */
    ctl_cmd_ok(p1, T_CMD, "pdestroy 0");
    long pid2 = start_producer(p2, 0, pool, SPEC);
    ctl_cmd_ok(p2, T_CMD, "put 0 1 %ld", pid2);
    g = get_ok(c, 0, 1, (unsigned long long)pid2, ctl_ms(T_SEE));
    PH_ASSERT(g.newest == 0, "read newest %llu of the second producer", g.newest);

    ph_quit(p2, T_CMD);
    ph_quit(p1, T_CMD);
    ph_quit(c, T_CMD);
    ph_finish();
}
END_TEST

/* ---------------------------------------------------- 4 disconnect ----- */

static void disconnect_case(int kill9)
{
    const char *pool = ctl_pool(kill9 ? "gone-kill" : "gone-exit");
    ph_child *p = ctl_agent("producer");
    long pid = start_producer(p, 0, pool, SPEC);
    ctl_cmd_ok(p, T_CMD, "put 0 1 %ld", pid);

    ph_child *cw = ctl_agent("consumer (wait)");
    ph_child *cg = ctl_agent("consumer (get)");
    ctl_cmd_ok(cw, T_START, "cons 0 %s %s", pool, SPEC);
    ctl_cmd_ok(cg, T_START, "cons 0 %s %s", pool, SPEC);
    get_ok(cw, 0, 1, (unsigned long long)pid, ctl_ms(T_SEE));
    get_ok(cg, 0, 1, (unsigned long long)pid, ctl_ms(T_SEE));

    PH_ASSERT(ph_send(cw, "waitblock 0 %lld", (long long)ctl_ms(30000)) == 0, "send");
    ctl_expect_line(cw, T_CMD, "ok blocking");
    PH_ASSERT(ph_send(cg, "pollgone 0 %lld", (long long)ctl_ms(30000)) == 0, "send");
    ctl_expect_line(cg, T_CMD, "ok polling");
    wait_until_blocked(cw);

    long long t0 = (long long)mono_ns();
    if (kill9) {
        ph_kill9(p);
    } else {
        PH_ASSERT(ph_send(p, "quit") == 0, "cannot tell the producer to exit");
    }
    char sw[64], sg[64];
    long long tw, tg;
    read_done(cw, ctl_ms(30000) + T_CMD, sw, sizeof sw, &tw);
    read_done(cg, ctl_ms(30000) + T_CMD, sg, sizeof sg, &tg);
    ph_log("producer %s: blocked wait returned %s after %.1f ms, polling get said %s after "
           "%.1f ms",
           kill9 ? "SIGKILLed" : "exited", sw, (tw - t0) / 1e6, sg, (tg - t0) / 1e6);
    PH_ASSERT(!strcmp(sw, "TIPC_E_CLOSED"), "blocked wait ended with %s, not TIPC_E_CLOSED: %s",
              sw, cw->line);
    PH_ASSERT(!strcmp(sg, "TIPC_E_NOT_CONNECTED") || !strcmp(sg, "TIPC_E_CLOSED"),
              "polling get ended with %s: %s", sg, cg->line);
    PH_ASSERT(tw >= t0 && tg >= t0, "a consumer reported the producer gone before it was");
    PH_ASSERT(tw - t0 < DISCONNECT_BOUND_NS,
              "blocked wait took %.1f ms to see the producer %s (bound 2000 ms)", (tw - t0) / 1e6,
              kill9 ? "killed" : "exit");
    PH_ASSERT(tg - t0 < DISCONNECT_BOUND_NS,
              "get took %.1f ms to say not connected after the producer %s (bound 2000 ms)",
              (tg - t0) / 1e6, kill9 ? "was killed" : "exited");

    /* Both stay disconnected. The killed producer is still an unreaped zombie. */
    get1_err(cw, 0, "TIPC_E_NOT_CONNECTED");
    get1_err(cg, 0, "TIPC_E_NOT_CONNECTED");
    PH_ASSERT(!strcmp(ctl_cmd(cw, T_CMD, "connected 0"), "ok 0"), "still connected");
    if (kill9) {
        PH_ASSERT(ph_reap(p, T_CMD) == 0, "killed producer not reaped");
    } else {
        ph_quit(p, T_CMD);
    }
    ph_quit(cw, T_CMD);
    ph_quit(cg, T_CMD);
    ph_finish();
}

START_TEST(disconnect_on_clean_exit)
{
    ph_begin("disconnect_on_clean_exit");
    disconnect_case(0);
}
END_TEST

START_TEST(disconnect_on_sigkill)
{
    ph_begin("disconnect_on_sigkill");
    disconnect_case(1);
}
END_TEST

/* ------------------------------------------------------ 5 restart ------ */

static void restart_case(int kill9)
{
    const char *pool = ctl_pool(kill9 ? "again-kill" : "again-exit");
    ph_child *p1 = ctl_agent("producer 1");
    long pid1 = start_producer(p1, 0, pool, SPEC);
    ctl_cmd_ok(p1, T_CMD, "put 0 3 %ld", pid1);

    ph_child *c = ctl_agent("consumer");
    ctl_cmd_ok(c, T_START, "cons 0 %s %s", pool, SPEC);
    ctl_cmd_ok(c, T_START, "cons 1 %s %s", pool, SPEC);
    struct got g = get_ok(c, 0, 4, (unsigned long long)pid1, ctl_ms(T_SEE));
    PH_ASSERT(g.newest == 2 && g.valid == 3, "first incarnation: read %llu / %u", g.newest,
              g.valid);
    get_ok(c, 1, 1, (unsigned long long)pid1, ctl_ms(T_SEE));
    ph_child *p2 = ctl_agent("producer 2"); /* starts joining DDS meanwhile */

    char st[64];
    long long t;
    long pid2 = 0;
    if (kill9) {
        /* Consumer 1 waits on the killed producer (an unreaped zombie): CLOSED. */
        ph_kill9(p1);
        PH_ASSERT(ph_send(c, "waitblock 1 %lld", (long long)ctl_ms(T_SEE)) == 0, "send");
        ctl_expect_line(c, T_CMD, "ok blocking");
        read_done(c, ctl_ms(T_SEE) + T_CMD, st, sizeof st, &t);
        PH_ASSERT(!strcmp(st, "TIPC_E_CLOSED"), "wait on a killed producer ended with %s: %s",
                  st, c->line);
        /* Restart at once, the killed producer still an unreaped zombie;
         * consumer 0 has not looked since the kill. */
        pid2 = start_producer(p2, 0, pool, SPEC);
        PH_ASSERT(pid2 != pid1, "same pid");
        ctl_cmd_ok(p2, T_CMD, "put 0 2 %ld", pid2);
        const char *l = ctl_cmd(c, ctl_ms(T_SEE) + T_CMD, "wait 1 %lld", (long long)ctl_ms(T_SEE));
        PH_ASSERT(ph_starts(l, "ok"), "wait after the restart answered '%s'", l);
    } else {
        ph_quit(p1, T_CMD);
        PH_ASSERT(ph_send(c, "pollgone 0 %lld", (long long)ctl_ms(T_SEE)) == 0, "send");
        ctl_expect_line(c, T_CMD, "ok polling");
        read_done(c, ctl_ms(T_SEE) + T_CMD, st, sizeof st, &t);
        PH_ASSERT(!strcmp(st, "TIPC_E_NOT_CONNECTED") || !strcmp(st, "TIPC_E_CLOSED"),
                  "consumer did not see the producer go: %s", c->line);
        get1_err(c, 1, "TIPC_E_NOT_CONNECTED");
        /* Consumer 1 blocks in wait with no producer, across the restart. */
        PH_ASSERT(ph_send(c, "waitblock 1 %lld", (long long)ctl_ms(T_SEE)) == 0, "send");
        ctl_expect_line(c, T_CMD, "ok blocking");
        pid2 = start_producer(p2, 0, pool, SPEC);
        PH_ASSERT(pid2 != pid1, "same pid");
        ctl_cmd_ok(p2, T_CMD, "put 0 2 %ld", pid2);
        read_done(c, ctl_ms(T_SEE) + T_CMD, st, sizeof st, &t);
        PH_ASSERT(!strcmp(st, "TIPC_OK"), "wait across exit + restart ended with %s: %s", st,
                  c->line);
    }
    /* The same consumer objects now read the new incarnation, from index 0. */
    g = get_ok(c, 0, 4, (unsigned long long)pid2, ctl_ms(T_SEE));
    PH_ASSERT(g.newest == 1 && g.valid == 2,
              "second incarnation: read newest %llu with %u frames, expected 1 / 2", g.newest,
              g.valid);
    ph_log("reconnected to the new producer after %lld ms of retrying", g.elapsed_ns / 1000000);
    g = get_ok(c, 1, 1, (unsigned long long)pid2, ctl_ms(T_SEE));
    PH_ASSERT(g.newest == 1, "consumer 1 read newest %llu", g.newest);
    ctl_cmd_ok(p2, T_CMD, "put 0 1 %ld", pid2);
    const char *l = ctl_cmd(c, T_CMD, "wait 1 %lld", (long long)ctl_ms(T_SEE));
    PH_ASSERT(ph_starts(l, "ok"), "wait for frame 2 of the new producer answered '%s'", l);
    g = get_ok(c, 1, 4, (unsigned long long)pid2, ctl_ms(T_SEE));
    PH_ASSERT(g.newest == 2 && g.valid == 3, "read newest %llu / %u", g.newest, g.valid);

    ph_quit(p2, T_CMD);
    if (kill9)
        PH_ASSERT(ph_reap(p1, T_CMD) == 0, "killed producer not reaped");
    ph_quit(c, T_CMD);
    ph_finish();
}

START_TEST(restart_after_clean_exit)
{
    ph_begin("restart_after_clean_exit");
    restart_case(0);
}
END_TEST

START_TEST(restart_after_sigkill)
{
    ph_begin("restart_after_sigkill");
    restart_case(1);
}
END_TEST

/* ------------------------------------------- 6 pools do not interfere --- */

START_TEST(same_topic_pools_do_not_interfere)
{
    ph_begin("same_topic_pools_do_not_interfere");
    char n[3][TIPC_NAME_MAX + 1];
    snprintf(n[0], sizeof n[0], "ctl%ld/a-b", (long)getpid());
    snprintf(n[1], sizeof n[1], "ctl%ld/a_b", (long)getpid());
    snprintf(n[2], sizeof n[2], "ctl%ld__a-b", (long)getpid());
    const char *pool[3];
    char topic[3][200];
    for (int i = 0; i < 3; i++) {
        pool[i] = ctl_pool_named(n[i]);
        ctl_topic_name(topic[i], sizeof topic[i], pool[i], "meta");
    }
    PH_ASSERT(!strcmp(topic[0], topic[1]) && !strcmp(topic[1], topic[2]),
              "the three names were meant to share one DDS topic: %s %s %s", topic[0],
              topic[1], topic[2]);
    const char *spec[3] = {"uint8:256:numpy:4", "uint8:512:numpy:3", "float32:32:torch:2"};
    const unsigned long long salt[3] = {1001, 2002, 3003};

    /* Consumers of all three first: each sees the others' announcements on
     * its topic, and must neither connect nor report a mismatch. */
    ph_child *c = ctl_agent("consumer of all three");
    for (int i = 0; i < 3; i++)
        ctl_cmd_ok(c, T_START, "cons %d %s %s", i, pool[i], spec[i]);
    ph_child *pa = ctl_agent("producer a-b");
    start_producer(pa, 0, pool[0], spec[0]);
    ctl_cmd_ok(pa, T_CMD, "put 0 3 %llu", salt[0]);
    struct got g = get_ok(c, 0, 4, salt[0], ctl_ms(T_SEE));
    PH_ASSERT(g.newest == 2 && g.valid == 3, "a-b read %llu / %u", g.newest, g.valid);
    for (int i = 1; i < 3; i++)
        get1_err(c, i, "TIPC_E_NOT_CONNECTED");

    ph_child *pb = ctl_agent("producer a_b and __a-b");
    start_producer(pb, 0, pool[1], spec[1]);
    start_producer(pb, 1, pool[2], spec[2]);
    ctl_cmd_ok(pb, T_CMD, "put 0 5 %llu", salt[1]);
    ctl_cmd_ok(pb, T_CMD, "put 1 7 %llu", salt[2]);
    ctl_cmd_ok(pa, T_CMD, "put 0 1 %llu", salt[0]);
    const unsigned long long newest[3] = {3, 4, 6};
    const unsigned hist[3] = {4, 3, 2};
    for (int i = 0; i < 3; i++) {
        g = get_ok(c, i, hist[i], salt[i], ctl_ms(T_SEE));
        PH_ASSERT(g.newest == newest[i] && g.valid == hist[i],
                  "pool %s: read newest %llu with %u frames, expected %llu / %u", pool[i],
                  g.newest, g.valid, newest[i], hist[i]);
    }
    /* A consumer created after the producers, in another process. */
    ph_child *c2 = ctl_agent("consumer of a_b");
    ctl_cmd_ok(c2, T_START, "cons 0 %s %s", pool[1], spec[1]);
    g = get_ok(c2, 0, 3, salt[1], ctl_ms(T_SEE));
    PH_ASSERT(g.newest == 4, "a_b read newest %llu", g.newest);

    /* The directory lists each with its own metadata. */
    char must[256], prefix[64];
    snprintf(must, sizeof must, "%s,%s,%s", pool[0], pool[1], pool[2]);
    snprintf(prefix, sizeof prefix, "ctl%ld", (long)getpid());
    const char *l = ctl_cmd(c2, ctl_ms(T_SEE) + T_CMD, "discover 200 %lld %s %s",
                            (long long)ctl_ms(T_SEE), must, prefix);
    PH_ASSERT(ph_starts(l, "ok"), "discover answered '%s'", l);
    const char *want[3] = {",uint8,256,256;", ",uint8,512,512;", ",float32,32,128;"};
    for (int i = 0; i < 3; i++) {
        char entry[256];
        snprintf(entry, sizeof entry, " %s,", pool[i]);
        const char *e = strstr(l, entry);
        if (!e) {
            snprintf(entry, sizeof entry, ";%s,", pool[i]);
            e = strstr(l, entry);
        }
        PH_ASSERT(e != NULL, "discover does not list %s: %s", pool[i], l);
        const char *end = strchr(e + 1, ';');
        char one[256];
        snprintf(one, sizeof one, "%.*s", end ? (int)(end - e) + 1 : 0, e);
        PH_ASSERT(contains(one, want[i]), "discover lists %s as '%s' (expected ...%s)", pool[i],
                  one, want[i]);
    }

    /* Closing one pool disconnects only its consumers. */
    ctl_cmd_ok(pa, T_CMD, "pdestroy 0");
    PH_ASSERT(ph_send(c, "pollgone 0 %lld", (long long)ctl_ms(T_SEE)) == 0, "send");
    ctl_expect_line(c, T_CMD, "ok polling");
    char st[64];
    long long t;
    read_done(c, ctl_ms(T_SEE) + T_CMD, st, sizeof st, &t);
    PH_ASSERT(!strcmp(st, "TIPC_E_NOT_CONNECTED") || !strcmp(st, "TIPC_E_CLOSED"),
              "a-b consumer after its producer closed: %s", c->line);
    ctl_cmd_ok(pb, T_CMD, "put 0 1 %llu", salt[1]);
    ctl_cmd_ok(pb, T_CMD, "put 1 1 %llu", salt[2]);
    g = get_ok(c, 1, 1, salt[1], ctl_ms(T_SEE));
    PH_ASSERT(g.newest == 5, "a_b after a-b closed: newest %llu", g.newest);
    g = get_ok(c, 2, 1, salt[2], ctl_ms(T_SEE));
    PH_ASSERT(g.newest == 7, "__a-b after a-b closed: newest %llu", g.newest);
    PH_ASSERT(!strcmp(ctl_cmd(c, T_CMD, "connected 1"), "ok 1") &&
                   !strcmp(ctl_cmd(c, T_CMD, "connected 2"), "ok 1"),
              "a_b / __a-b consumers disconnected when a-b closed");
    ph_log("three pools on topic %s kept apart", topic[0]);

    ph_quit(pa, T_CMD);
    ph_quit(pb, T_CMD);
    ph_quit(c, T_CMD);
    ph_quit(c2, T_CMD);
    ph_finish();
}
END_TEST

/* ------------------------------------------- 7 protocol conformance ---- */

static void field_eq(const char *line, const char *key, const char *want)
{
    char v[256];
    PH_ASSERT(ph_field(line, key, v, sizeof v) == 0, "announcement has no %s: %s", key, line);
    PH_ASSERT(!strcmp(v, want), "announcement %s is '%s', expected '%s' (%s)", key, v, want,
              line);
}

static void check_meta_line(const char *l, const char *pool, long pid, const char *host)
{
    char shm[128], pids[32];
    ctl_shm_name(shm, sizeof shm, pool);
    snprintf(pids, sizeof pids, "%ld", pid);
    field_eq(l, "pool", pool);
    field_eq(l, "version", "1");
    field_eq(l, "dtype", "float32");
    field_eq(l, "shape", "3x5x8");
    field_eq(l, "ndim", "3");
    field_eq(l, "backend", "torch");
    field_eq(l, "history_len", "3");
    field_eq(l, "device", "cpu");
    field_eq(l, "element_size", "4");
    field_eq(l, "frame_bytes", "480");
    field_eq(l, "total_bytes", "1440");
    field_eq(l, "shm_name", shm);
    field_eq(l, "creator_pid", pids);
    field_eq(l, "hostname", host);
    field_eq(l, "payload_len", "0");
    char inc[64];
    ph_field(l, "incarnation", inc, sizeof inc);
    PH_ASSERT(inc[0] && strcmp(inc, "0") != 0, "incarnation is '%s': %s", inc, l);
}

START_TEST(protocol_conformance_raw_dds)
{
    ph_begin("protocol_conformance_raw_dds");
    const char *pool = ctl_pool("conf/x-y");
    const char *spec = "float32:3x5x8:torch:3";
    char host[64] = "";
    gethostname(host, sizeof host - 1);

    ph_child *o = ctl_spawn("raw DDS observer", "observe", pool, NULL);
    ctl_expect_line(o, T_START, "observer ready");
    PH_ASSERT(ph_starts(o->line, "ok"), "observer: %s", o->line);
    ph_child *p = ctl_agent("producer");
    long pid = start_producer(p, 0, pool, spec);

    const char *l = ctl_cmd_ok(o, ctl_ms(T_SEE) + T_CMD, "meta meta %lld", (long long)ctl_ms(T_SEE));
    ph_log("meta: %s", l);
    check_meta_line(l, pool, pid, host);
    char inc1[64];
    ph_field(l, "incarnation", inc1, sizeof inc1);
    l = ctl_cmd_ok(o, ctl_ms(T_SEE) + T_CMD, "meta dir %lld", (long long)ctl_ms(T_SEE));
    check_meta_line(l, pool, pid, host);
    field_eq(l, "incarnation", inc1);

    l = ctl_cmd_ok(o, ctl_ms(T_SEE) + T_CMD, "qos %lld", (long long)ctl_ms(T_SEE));
    ph_log("writer QoS: %s", l);
    field_eq(l, "meta", "reliable,transient_local,keep_last,1");
    field_eq(l, "dir", "reliable,transient_local,keep_last,1");
    char pq[128];
    ph_field(l, "progress", pq, sizeof pq);
    PH_ASSERT(!strncmp(pq, "best_effort,", 12), "progress writer QoS is %s", pq);

    /* Progress: one sample per put, frame_index = the put's index. */
    for (int k = 0; k < 5; k++) {
        l = ctl_cmd_ok(p, T_CMD, "put 0 1 %ld", pid);
        PH_ASSERT(ok_num(l, "put") == k, "put %d answered '%s'", k, l);
        l = ctl_cmd(o, ctl_ms(T_SEE) + T_CMD, "progress %d %lld", k, (long long)ctl_ms(T_SEE));
        PH_ASSERT(ph_starts(l, "ok"), "no progress sample with frame_index %d: %s", k, l);
        char last[32];
        ph_field(l, "last", last, sizeof last);
        PH_ASSERT(atol(last) == k, "progress after put %d ends at %s", k, last);
    }
    l = ctl_cmd_ok(p, T_CMD, "put 0 50 %ld", pid);
    PH_ASSERT(ok_num(l, "put") == 54, "put 50 answered '%s'", l);
    l = ctl_cmd(o, ctl_ms(T_SEE) + T_CMD, "progress 54 %lld", (long long)ctl_ms(T_SEE));
    ph_log("progress: %s", l);
    PH_ASSERT(ph_starts(l, "ok"), "no progress sample with frame_index 54: %s", l);
    field_eq(l, "first", "0");
    field_eq(l, "increasing", "1");
    field_eq(l, "ts", "1");
    field_eq(l, "poolkey", "1");
    field_eq(l, "inc", inc1);

    /* Re-announced periodically. */
    l = ctl_cmd(o, ctl_ms(T_SEE) + T_CMD, "count 3 %lld", (long long)ctl_ms(T_SEE));
    PH_ASSERT(ph_starts(l, "ok"), "metadata not re-announced (3 samples): %s", l);
    ph_log("3 meta samples within %s ns", strrchr(l, ' ') + 1);

    /* Destroy disposes the instance, on both topics. */
    ctl_cmd_ok(p, T_CMD, "pdestroy 0");
    l = ctl_cmd(o, ctl_ms(T_SEE) + T_CMD, "state meta disposed %lld", (long long)ctl_ms(T_SEE));
    PH_ASSERT(ph_starts(l, "ok"), "meta instance after destroy: %s", l);
    l = ctl_cmd(o, ctl_ms(T_SEE) + T_CMD, "state dir disposed %lld", (long long)ctl_ms(T_SEE));
    PH_ASSERT(ph_starts(l, "ok"), "directory instance after destroy: %s", l);

    /* A new producer is a new incarnation. */
    start_producer(p, 0, pool, spec);
    l = ctl_cmd_ok(o, ctl_ms(T_SEE) + T_CMD, "meta meta %lld %s", (long long)ctl_ms(T_SEE), inc1);
    check_meta_line(l, pool, pid, host);
    char inc2[64];
    ph_field(l, "incarnation", inc2, sizeof inc2);
    PH_ASSERT(strcmp(inc1, inc2) != 0, "same incarnation %s after a restart", inc1);

    /* A killed producer's instance stops being alive (writer liveliness). */
    long long t0 = (long long)mono_ns();
    ph_kill9(p);
    l = ctl_cmd(o, ctl_ms(30000) + T_CMD, "state meta notalive %lld", (long long)ctl_ms(30000));
    PH_ASSERT(ph_starts(l, "ok"), "meta instance of a killed producer still alive: %s", l);
    long long t1 = 0;
    sscanf(strrchr(l, ' ') + 1, "%lld", &t1);
    ph_log("killed producer's meta instance %s after %.0f ms", l, (t1 - t0) / 1e6);
    PH_ASSERT(ph_reap(p, T_CMD) == 0, "killed producer not reaped");

    /* Any tensor-ipc process touching the name removes the dead segment. */
    ph_child *c = ctl_agent("consumer");
    ctl_cmd_ok(c, T_START, "cons 0 %s %s", pool, spec);
    get1_err(c, 0, "TIPC_E_NOT_CONNECTED");
    ph_quit(c, T_CMD);
    ph_quit(o, T_CMD);
    ph_finish();
}
END_TEST

/* ------------------------------------------- 8 DDS is never trusted ---- */

struct lie {
    const char *tag;
    const char *cspec; /* the consumer's own (valid) metadata */
    const char *lie;   /* key=value overrides of the announcement */
    int listed;        /* whether tipc_discover_pools may list it (it is consistent) */
    int disagrees;     /* it reaches the consumer and disagrees with its metadata */
    const char *cause; /* NULL, or what a sentence reporting it must name */
};

START_TEST(malformed_announcements_never_trusted)
{
    ph_begin("malformed_announcements_never_trusted");
    long me = (long)getpid();
    char victim_shm[128], lie9[256];
    const char *victim = ctl_pool("victim");
    ctl_shm_name(victim_shm, sizeof victim_shm, victim);
    snprintf(lie9, sizeof lie9, "shape=4096 history_len=8 shm_name=%s", victim_shm);
    const struct lie lies[] = {
        {"m-fb", "uint8:64:numpy:4", "frame_bytes=1099511627776 total_bytes=4398046511104", 0, 1,
         NULL},
        {"m-fb-small", "uint8:64:numpy:4", "frame_bytes=8 total_bytes=32", 0, 1, NULL},
        {"m-total", "uint8:64:numpy:4", "total_bytes=18446744073709551615", 0, 1, NULL},
        {"m-zero", "uint8:64:numpy:4", "shape=64x0", 0, 1, "sizes must be > 0"},
        {"m-neg", "uint8:64:numpy:4", "shape=-64", 0, 1, "is -64"},
        {"m-neg2", "uint8:64:numpy:4", "shape=-8x-8", 0, 1, "is -8"},
        {"m-hist0", "uint8:64:numpy:4", "history_len=0", 0, 1, "history_len 0"},
        {"m-histbig", "uint8:64:numpy:4", "history_len=65537", 0, 1, "history_len 65537"},
        {"m-histmax", "uint8:64:numpy:4", "history_len=4294967295", 0, 1,
         "history_len 4294967295"},
        {"m-dtype", "uint8:64:numpy:4", "dtype=float128 element_size=16 frame_bytes=1024 "
                                        "total_bytes=4096", 0, 1, "dtype"},
        {"m-elem", "float32:64:numpy:4", "dtype=float32 element_size=1 frame_bytes=64 "
                                         "total_bytes=256", 0, 1, NULL},
        {"m-overflow", "uint8:64:numpy:4", "shape=4294967296x4294967296x16", 0, 1, "overflow"},
        {"m-8dims", "uint8:64:numpy:4", "shape=65536x65536x65536x65536x2x2x2x2", 0, 1,
         "overflow"},
        {"m-9dims", "uint8:64:numpy:4", "shape=1x1x1x1x1x1x1x1x64", 0, 0, NULL},
        {"m-backend", "uint8:64:numpy:4", "backend=tensorflow", 0, 1, "backend"},
        {"m-device", "uint8:64:numpy:4", "device=cuda:7", 0, 1, "cuda:7"},
        {"m-shm", "uint8:4096:numpy:8", lie9, 0, 1, NULL},
        {"m-shm-up", "uint8:64:numpy:4", "shm_name=/../../tmp/tipc-ctl-evil", 0, 1, NULL},
        {"m-key", "uint8:64:numpy:4", "pool=ctl-evil/../x", 0, 0, NULL},
        /* a torch_cuda announcement whose payload is no CUDA IPC payload */
        {"m-cuda", "uint8:64:numpy:4", "backend=torch_cuda device=cuda:0 payload_len=256", 0, 1,
         "CUDA payload of 256 bytes"},
        /* a later message version, and a payload on a host pool */
        {"m-version", "uint8:64:numpy:4", "version=2", 0, 1, "version 2"},
        {"m-payload", "uint8:64:numpy:4", "payload_len=16", 0, 1, "16-byte payload"},
        /* consistent, but not what the consumer expects / no segment behind */
        {"m-pid", "uint8:64:numpy:4", "creator_pid=1 incarnation=0", 1, 0, NULL},
        {"m-valid", "uint8:64:numpy:4", "", 1, 0, NULL}, /* control: consistent, written last */
    };
    const int n = (int)(sizeof lies / sizeof lies[0]);
    char names[40][TIPC_NAME_MAX + 1];
    const char *pools[40];
    for (int i = 0; i < n; i++) {
        snprintf(names[i], sizeof names[i], "ctl%ld/%s", me, lies[i].tag);
        pools[i] = ctl_pool_named(names[i]);
    }
    const char *valid = pools[n - 1];

    /* A real pool whose segment the m-shm lie points at. */
    ph_child *vp = ctl_agent("victim producer");
    long vpid = start_producer(vp, 0, victim, "uint8:32:numpy:2");
    ctl_cmd_ok(vp, T_CMD, "put 0 3 %ld", vpid);

    ph_child *c = ctl_agent("consumers of lied-about pools");
    for (int i = 0; i < n; i++)
        ctl_cmd_ok(c, T_START, "cons %d %s %s", i, pools[i], lies[i].cspec);

    ph_child *a = ctl_spawn("liar", "announce", NULL);
    ctl_expect_line(a, T_START, "liar ready");
    PH_ASSERT(ph_starts(a->line, "ok"), "announcer: %s", a->line);
    for (int i = 0; i < n; i++) {
        const char *l = ctl_cmd(a, T_CMD, "lie %s %s", pools[i], lies[i].lie);
        if (!strcmp(lies[i].tag, "m-9dims") && !ph_starts(l, "ok")) {
            ph_log("9 dims cannot even be written (IDL bound 8): %s", l);
            continue;
        }
        PH_ASSERT(ph_starts(l, "ok"), "announcing %s: %s", pools[i], l);
    }
    /* Every lie reached every matched reader (the consumers'). */
    ctl_cmd_ok(a, ctl_ms(T_SEE) + T_CMD, "sync %lld", (long long)ctl_ms(T_SEE));
    char bad_sentences[4096] = "";
    for (int i = 0; i < n; i++) {
        const char *l = ctl_cmd(c, ctl_ms(T_SEE) + T_CMD, "probe %d 30 %lld", i,
                                lies[i].disagrees ? (long long)ctl_ms(3000) : 0LL);
        ph_log("%-12s %s", lies[i].tag, l);
        PH_ASSERT(ph_starts(l, "ok"), "consumer of %s (lie: %s): %s", pools[i], lies[i].lie,
                  l);
        /* The sentence gives the cause once, readably. */
        const char *sentence = strstr(l, " | ");
        sentence = sentence ? sentence + 3 : "";
        int reported = contains(l, "TIPC_E_CORRUPT") || contains(l, "TIPC_E_MISMATCH") ||
                       contains(sentence, "ignored a");
        const char *twice = strstr(sentence, "over DDS");
        int garbled = twice && strstr(twice + 1, "over DDS") != NULL;
        if (reported && (garbled || (lies[i].cause && !contains(sentence, lies[i].cause)))) {
            size_t len = strlen(bad_sentences);
            snprintf(bad_sentences + len, sizeof bad_sentences - len,
                     "%s[%s: expected the cause '%s'%s] %.160s", len ? "; " : "", lies[i].tag,
                     lies[i].cause ? lies[i].cause : "-", garbled ? ", text repeats itself" : "",
                     sentence);
        }
    }

    /* The consumers' process maps none of these names, nor the victim. */
    for (int i = 0; i < n; i++)
        PH_ASSERT(!ph_maps_pool(c->pid, pools[i]), "the consumer process maps %s",
                  pools[i]);
    PH_ASSERT(!ph_maps_pool(c->pid, victim),
              "the consumer process maps the victim's segment %s (lie: %s)", victim_shm, lie9);

    /* The directory never lists a malformed announcement. */
    char must[256], prefix[64];
    snprintf(must, sizeof must, "%s,%s", valid, victim);
    snprintf(prefix, sizeof prefix, "ctl%ld/", me);
    const char *l = ctl_cmd(c, ctl_ms(T_SEE) + T_CMD, "discover 200 %lld %s %s",
                            (long long)ctl_ms(T_SEE), must, prefix);
    ph_log("discover: %s", l);
    PH_ASSERT(ph_starts(l, "ok"), "discover: %s", l);
    for (int i = 0; i < n; i++) {
        char entry[128];
        snprintf(entry, sizeof entry, "%s,", pools[i]);
        int listed = contains(l, entry);
        PH_ASSERT(!listed || lies[i].listed,
                  "tipc_discover_pools lists the malformed announcement of %s (lie: %s): %s",
                  pools[i], lies[i].lie, l);
    }
    PH_ASSERT(!contains(l, "evil"), "discover lists a pool with an invalid name: %s", l);

    /* The victim pool is unharmed: its producer writes, a consumer reads. */
    ctl_cmd_ok(vp, T_CMD, "put 0 2 %ld", vpid);
    ph_child *vc = ctl_agent("victim consumer");
    ctl_cmd_ok(vc, T_START, "cons 0 %s %s", victim, "uint8:32:numpy:2");
    struct got g = get_ok(vc, 0, 2, (unsigned long long)vpid, ctl_ms(T_SEE));
    PH_ASSERT(g.newest == 4 && g.valid == 2, "victim read %llu / %u", g.newest, g.valid);

    /* A real producer of a lied-about name: the lie does not stick. */
    ph_child *rp = ctl_agent("real producer after the lie");
    long rpid = start_producer(rp, 0, pools[0], lies[0].cspec);
    ctl_cmd_ok(rp, T_CMD, "put 0 2 %ld", rpid);
    g = get_ok(c, 0, 1, (unsigned long long)rpid, ctl_ms(T_SEE));
    PH_ASSERT(g.newest == 1, "consumer of %s after a real producer came: newest %llu", pools[0],
              g.newest);

    ph_quit(rp, T_CMD);
    ph_quit(a, T_CMD);
    ph_quit(vc, T_CMD);
    ph_quit(vp, T_CMD);
    ph_quit(c, T_CMD);
    ph_finish();
    /* Checked last: every safety property above holds even when this fails. */
    PH_ASSERT(!bad_sentences[0], "tipc_last_error() after a rejected announcement does not "
              "name the cause: %s", bad_sentences);
}
END_TEST

/* A consistent announcement that matches the consumer exactly, for a pool
 * whose real segment (made by a producer without control plane) is smaller:
 * the consumer must believe the segment header, not DDS. */
START_TEST(lie_matching_consumer_not_segment)
{
    ph_begin("lie_matching_consumer_not_segment");
    const char *pool = ctl_pool("seglie");
    ph_child *p = ctl_agent("producer (no DDS)");
    long pid = start_producer(p, 0, pool, "uint8:16:numpy:2 nodds");
    ctl_cmd_ok(p, T_CMD, "put 0 3 %ld", pid);

    ph_child *c = ctl_agent("consumer believing the lie");
    const char *big = "uint8:65536:numpy:8";
    ctl_cmd_ok(c, T_START, "cons 0 %s %s", pool, big);
    ph_child *a = ctl_spawn("liar", "announce", NULL);
    ctl_expect_line(a, T_START, "liar ready");
    ctl_cmd_ok(a, T_CMD, "lie %s shape=65536 history_len=8 creator_pid=%ld", pool, pid);
    ctl_cmd_ok(a, ctl_ms(T_SEE) + T_CMD, "sync %lld", (long long)ctl_ms(T_SEE));

    const char *l = ctl_cmd(c, T_CMD + ctl_ms(T_CMD), "probe 0 30");
    ph_log("probe: %s", l);
    PH_ASSERT(ph_starts(l, "ok"), "consumer of a 16-byte pool announced as 64 KiB: %s", l);
    PH_ASSERT(contains(l, "TIPC_E_MISMATCH"),
              "the segment header (16-byte frames) was not checked against the consumer: %s",
              l);
    l = ctl_cmd(c, T_CMD, "get1 0");
    PH_ASSERT(ph_starts(l, "err TIPC_E_MISMATCH"), "get1: %s", l);
    check_names(l, "shape", "65536", "(16");
    check_history_names(l, 8, 2);
    PH_ASSERT(!ph_maps_pool(c->pid, pool), "the mismatching consumer keeps %s mapped", pool);

    ph_quit(a, T_CMD);
    ph_quit(c, T_CMD);
    ph_quit(p, T_CMD);
    ph_finish();
}
END_TEST

/* The reverse: the segment matches the consumer, an announcement of the same
 * name does not (a forged one, a stale one, or that of a producer of the same
 * name on another host of the domain). The local segment is the truth for a
 * local reader; the announcement must not keep the consumer from it. Pool 0's
 * announcement is well formed but different, pool 1's is malformed. The
 * producers run without control plane, so nothing re-announces the truth. */
/* Another program (the original pure-Python tensor-ipc) uses the same topic
 * names with other types: a consumer without a producer says so instead of
 * waiting in silence, and still connects to a real segment. */
START_TEST(foreign_type_on_topic_is_named)
{
    ph_begin("foreign_type_on_topic_is_named");
    const char *pool = ctl_pool("foreign");
    ph_child *a = ctl_spawn("other program", "announce", NULL);
    ctl_expect_line(a, T_START, "other program ready");
    /* The library's topic name (docs/architecture.md): '/' -> "__", '-' -> '_'. */
    char topic[200] = "tensoripc_";
    size_t n = strlen(topic);
    for (const char *q = pool; *q && n < sizeof topic - 8; q++) {
        if (*q == '/') {
            topic[n++] = '_';
            topic[n++] = '_';
        } else {
            topic[n++] = *q == '-' ? '_' : *q;
        }
    }
    snprintf(topic + n, sizeof topic - n, "_meta");
    ctl_cmd_ok(a, T_CMD, "foreign %s", topic);
    ph_child *c = ctl_agent("consumer");
    ctl_cmd_ok(c, T_START, "cons 0 %s %s", pool, SPEC);
    const char *l = "";
    int64_t deadline = mono_ns() + ctl_ms(10000) * 1000000LL;
    while (mono_ns() < deadline) {
        l = ctl_cmd(c, ctl_ms(3000) + T_CMD, "connect 0 0");
        if (strstr(l, "tensor_ipc::Progress"))
            break;
        mono_sleep_ms(50);
    }
    ph_log("consumer beside a writer of another type: %s", l);
    PH_ASSERT(strstr(l, "NOT_CONNECTED") && strstr(l, "tensor_ipc::Progress") &&
                  strstr(l, "original pure-Python tensor-ipc"),
              "the consumer did not name the foreign writer on %s: %s", topic, l);
    ph_child *p = ctl_agent("producer (no DDS)");
    char spec[64];
    snprintf(spec, sizeof spec, "%s nodds", SPEC);
    long pid = start_producer(p, 0, pool, spec);
    ctl_cmd_ok(p, T_CMD, "put 0 3 %ld", pid);
    l = ctl_cmd(c, ctl_ms(T_SEE) + T_CMD, "get 0 4 %ld %lld", pid, (long long)ctl_ms(5000));
    PH_ASSERT(ph_starts(l, "ok"), "a foreign writer blocked a valid segment: %s", l);
    ph_quit(a, T_CMD);
    ph_quit(c, T_CMD);
    ph_quit(p, T_CMD);
    ph_finish();
}
END_TEST

START_TEST(forged_announcement_does_not_block_valid_segment)
{
    ph_begin("forged_announcement_does_not_block_valid_segment");
    const char *pool[2] = {ctl_pool("forged"), ctl_pool("forged-bad")};
    const char *lie[2] = {"dtype=float64 shape=4096 history_len=8", "frame_bytes=1"};
    ph_child *c = ctl_agent("consumer");
    for (int i = 0; i < 2; i++)
        ctl_cmd_ok(c, T_START, "cons %d %s %s", i, pool[i], SPEC);
    ph_child *a = ctl_spawn("liar", "announce", NULL);
    ctl_expect_line(a, T_START, "liar ready");
    for (int i = 0; i < 2; i++)
        ctl_cmd_ok(a, T_CMD, "lie %s %s", pool[i], lie[i]);
    ctl_cmd_ok(a, ctl_ms(T_SEE) + T_CMD, "sync %lld", (long long)ctl_ms(T_SEE));
    /* Without a segment, the library may report the announcement: once it
     * does, the lie is certainly in the consumer's reader. */
    for (int i = 0; i < 2; i++) {
        const char *l = ctl_cmd(c, ctl_ms(3000) + T_CMD, "connect %d %lld", i,
                                (long long)ctl_ms(3000));
        PH_ASSERT(!ph_starts(l, "ok"), "connected to a pool that has no segment: %s", l);
        ph_log("%s before its producer, with announcement '%s' around: %s", pool[i], lie[i], l);
    }
    /* Now the real producers, matching the consumers, without control plane. */
    ph_child *p = ctl_agent("producer (no DDS)");
    long pid = 0;
    for (int i = 0; i < 2; i++) {
        char spec[64];
        snprintf(spec, sizeof spec, "%s nodds", SPEC);
        pid = start_producer(p, i, pool[i], spec);
        ctl_cmd_ok(p, T_CMD, "put %d 3 %ld", i, pid);
    }
    char res[2][1024];
    for (int i = 0; i < 2; i++) {
        const char *l = ctl_cmd(c, ctl_ms(T_SEE) + T_CMD, "get %d 4 %ld %lld", i, pid,
                                (long long)ctl_ms(5000));
        snprintf(res[i], sizeof res[i], "%s", l);
        ph_log("get of %s with announcement '%s' around: %s", pool[i], lie[i], l);
    }
    for (int i = 0; i < 2; i++)
        PH_ASSERT(ph_starts(res[i], "ok"),
                  "a consumer whose metadata matches the segment of %s cannot read it while a "
                  "%s DDS announcement of the name ('%s') exists: %s",
                  pool[i], i ? "malformed" : "different", lie[i], res[i]);

    ph_quit(a, T_CMD);
    ph_quit(c, T_CMD);
    ph_quit(p, T_CMD);
    ph_finish();
}
END_TEST

/* Forged announcements never end a wait (tipc_consumer_wait, with a timeout
 * or forever): only a local segment or a validated announcement decides. A
 * hostile raw-DDS writer announces the pool first malformed, then well formed
 * but mismatching; consumers wait (one from before the lies, one from after);
 * then the real producer starts in another process, and every waiter
 * connects and reads its frame. Meanwhile get reports the malformed
 * announcement as NOT_CONNECTED (naming it), the mismatching one as
 * MISMATCH, and a wait with a short timeout ends NOT_CONNECTED at its
 * deadline naming the mismatching announcement. */
START_TEST(forged_announcements_do_not_end_wait)
{
    ph_begin("forged_announcements_do_not_end_wait");
    const char *pool = ctl_pool("waitlie");
    const char *malformed = "frame_bytes=1";
    const char *mismatching = "dtype=float64 shape=4096 history_len=8";

    ph_child *w1 = ctl_agent("waiter (forever, from before the lies)");
    ctl_cmd_ok(w1, T_START, "cons 0 %s %s", pool, SPEC);
    ph_child *w2 = ctl_agent("waiter (60 s, from after the lies)");
    ctl_cmd_ok(w2, T_START, "cons 0 %s %s", pool, SPEC);
    ph_child *g = ctl_agent("getter");
    ctl_cmd_ok(g, T_START, "cons 0 %s %s", pool, SPEC);
    ctl_cmd_ok(w1, T_CMD, "waitblock 0 inf");
    wait_until_blocked(w1);

    ph_child *a = ctl_spawn("liar", "announce", NULL);
    ctl_expect_line(a, T_START, "liar ready");
    PH_ASSERT(ph_starts(a->line, "ok"), "announcer: %s", a->line);

    /* The malformed lie: get says NOT_CONNECTED, naming what it ignored. */
    ctl_cmd_ok(a, T_CMD, "lie %s %s", pool, malformed);
    ctl_cmd_ok(a, ctl_ms(T_SEE) + T_CMD, "sync %lld", (long long)ctl_ms(T_SEE));
    char seen_malformed[1024];
    int64_t deadline = mono_ns() + ctl_ms(T_SEE) * 1000000;
    for (;;) {
        const char *l = ctl_cmd(g, T_CMD, "get1 0");
        snprintf(seen_malformed, sizeof seen_malformed, "%s", l);
        if (!ph_starts(l, "err TIPC_E_NOT_CONNECTED") || contains(l, "announcement") ||
            mono_ns() > deadline)
            break;
        mono_sleep_ms(5);
    }
    ph_log("get with the malformed announcement around: %s", seen_malformed);

    /* The mismatching lie replaces it: a single get may report it. */
    ctl_cmd_ok(a, T_CMD, "lie %s %s", pool, mismatching);
    ctl_cmd_ok(a, ctl_ms(T_SEE) + T_CMD, "sync %lld", (long long)ctl_ms(T_SEE));
    char seen_mismatch[1024];
    deadline = mono_ns() + ctl_ms(T_SEE) * 1000000;
    for (;;) {
        const char *l = ctl_cmd(g, T_CMD, "get1 0");
        snprintf(seen_mismatch, sizeof seen_mismatch, "%s", l);
        if (!ph_starts(l, "err TIPC_E_NOT_CONNECTED") || contains(l, "mismatching") ||
            mono_ns() > deadline)
            break;
        mono_sleep_ms(5);
    }
    ph_log("get with the mismatching announcement around: %s", seen_mismatch);

    /* A wait with a timeout runs to its deadline and then names the lie. */
    const long short_ms = 1000;
    const char *l = ctl_cmd_ok(g, T_CMD, "waitblock 0 %ld", short_ms);
    long long t0 = 0, t1 = 0;
    PH_ASSERT(sscanf(l, "ok blocking %lld", &t0) == 1, "waitblock: '%s'", l);
    l = ctl_expect_line(g, short_ms + T_CMD, "the end of a short wait");
    char short_wait[1024];
    snprintf(short_wait, sizeof short_wait, "%s", l);
    char st[64] = "";
    PH_ASSERT(sscanf(short_wait, "done %63s %lld", st, &t1) == 2, "short wait: '%s'", l);

    /* A waiter from after the lies. A wait that (wrongly) ended at once is
     * reported by its 'done' line below, so this only gives it a chance to
     * block before the producer comes. */
    ctl_cmd_ok(w2, T_CMD, "waitblock 0 %lld", (long long)ctl_ms(60000));
    deadline = mono_ns() + ctl_ms(5000) * 1000000;
    while (ph_in_futex(w2->pid) == 0 && mono_ns() < deadline)
        mono_sleep_ms(1);

    /* The real producer, in its own process. */
    ph_child *p = ctl_agent("real producer");
    long pid = start_producer(p, 0, pool, SPEC);
    ctl_cmd_ok(p, T_CMD, "put 0 1 %ld", pid);
    char st1[64], st2[64];
    long long t_done;
    read_done(w1, ctl_ms(T_SEE) + T_CMD, st1, sizeof st1, &t_done);
    ph_log("forever waiter: %s", w1->line);
    read_done(w2, ctl_ms(T_SEE) + T_CMD, st2, sizeof st2, &t_done);
    ph_log("60 s waiter: %s", w2->line);
    PH_ASSERT(!strcmp(st1, "TIPC_OK") && !strcmp(st2, "TIPC_OK"),
              "a waiting consumer of %s ended its wait on a forged announcement ('%s', then "
              "'%s') instead of waiting for its producer: forever -> %s, 60 s -> %s", pool,
              malformed, mismatching, st1, st2);
    struct got r1 = get_ok(w1, 0, 1, (unsigned long long)pid, ctl_ms(T_SEE));
    struct got r2 = get_ok(w2, 0, 1, (unsigned long long)pid, ctl_ms(T_SEE));
    struct got r3 = get_ok(g, 0, 1, (unsigned long long)pid, ctl_ms(T_SEE));
    PH_ASSERT(r1.newest == 0 && r2.newest == 0 && r3.newest == 0, "read frames %llu %llu %llu",
              r1.newest, r2.newest, r3.newest);

    /* What get and the short wait said while only the lies were around. */
    PH_ASSERT(ph_starts(seen_malformed, "err TIPC_E_NOT_CONNECTED") &&
                  contains(seen_malformed, "ignored a malformed announcement") &&
                  contains(seen_malformed, "inconsistent sizes") &&
                  contains(seen_malformed, pool),
              "get of %s with only a malformed announcement ('%s') around answered '%s'", pool,
              malformed, seen_malformed);
    PH_ASSERT(ph_starts(seen_mismatch, "err TIPC_E_MISMATCH") && contains(seen_mismatch, "dtype"),
              "get of %s with a mismatching announcement ('%s') around answered '%s'", pool,
              mismatching, seen_mismatch);
    PH_ASSERT(!strcmp(st, "TIPC_E_NOT_CONNECTED") && contains(short_wait, "mismatching") &&
                  contains(short_wait, "dtype"),
              "a %ld ms wait with a mismatching announcement around answered '%s'", short_ms,
              short_wait);
    PH_ASSERT(t1 - t0 >= short_ms * 1000000LL,
              "a %ld ms wait ended after %lld ms: '%s'", short_ms, (t1 - t0) / 1000000,
              short_wait);

    ph_quit(a, T_CMD);
    ph_quit(w1, T_CMD);
    ph_quit(w2, T_CMD);
    ph_quit(g, T_CMD);
    ph_quit(p, T_CMD);
    ph_finish();
}
END_TEST

/* ---------------------------------------------------------------- main --- */

static void add(Suite *s, TCase *tc, const TTest *t) { ph_add_case(s, tc, t, 0); }

static Suite *control_suite(void)
{
    Suite *s = suite_create("control");
    add(s, tcase_create("consumer_first_then_producer"), consumer_first_then_producer);
    add(s, tcase_create("producer_first_then_consumer"), producer_first_then_consumer);
    add(s, tcase_create("mismatch_each_field"), mismatch_each_field);
    add(s, tcase_create("second_producer_refused"), second_producer_refused);
    add(s, tcase_create("disconnect_on_clean_exit"), disconnect_on_clean_exit);
    add(s, tcase_create("disconnect_on_sigkill"), disconnect_on_sigkill);
    add(s, tcase_create("restart_after_clean_exit"), restart_after_clean_exit);
    add(s, tcase_create("restart_after_sigkill"), restart_after_sigkill);
    add(s, tcase_create("same_topic_pools_do_not_interfere"), same_topic_pools_do_not_interfere);
    add(s, tcase_create("protocol_conformance_raw_dds"), protocol_conformance_raw_dds);
    add(s, tcase_create("malformed_announcements_never_trusted"),
        malformed_announcements_never_trusted);
    add(s, tcase_create("lie_matching_consumer_not_segment"), lie_matching_consumer_not_segment);
    add(s, tcase_create("forged_announcement_does_not_block_valid_segment"),
        forged_announcement_does_not_block_valid_segment);
    add(s, tcase_create("foreign_type_on_topic_is_named"), foreign_type_on_topic_is_named);
    add(s, tcase_create("forged_announcements_do_not_end_wait"),
        forged_announcements_do_not_end_wait);
    return s;
}

int main(void) { return ph_run_suite(control_suite()); }
