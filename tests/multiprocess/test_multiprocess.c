/* The five guarantees of DESIGN.md section 5, proved with real separate
 * processes (fork + exec of tipc_mp_helper, SIGKILL, zombies).
 *
 *   1 no torn frame ............ torn_frames_stress
 *   2 readers never block ...... readers_do_not_block_each_other,
 *                                held_frame_put_timeout
 *   3 SIGKILLed consumer ....... killed_consumer_zombie_and_reaped,
 *                                killed_consumer_random_points
 *   4 producer killed mid-write  producer_killed_mid_write,
 *                                full_history_read_during_short_loan,
 *                                producer_killed_new_producer_reclaims,
 *                                waiter_wakes_when_producer_killed
 *   5 no leftovers ............. no_leftovers_clean_exit,
 *                                no_leftovers_killed_consumer_touch,
 *                                no_leftovers_killed_producer_touch,
 *                                destroy_while_consumer_holds_view
 *   + one producer per name .... second_producer_refused
 *
 * Each test case is its own CTest test (CK_RUN_CASE) and uses its own pool
 * name containing the test's pid. Frames carry the pattern of
 * tests/common/frame_pattern.h.
 */
#include <check.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mp_common.h"
#include "mp_harness.h"
#include "tensor_ipc.h"

#define FB 4096                            /* frame bytes of most tests */
#define RECLAIM_BOUND_NS (250 * 1000000LL) /* guarantee 3: put past a dead reader */
#define T_START 30000                      /* ms: a helper starts and answers */
#define T_CMD 20000                        /* ms: a helper answers a command */

/* ---------------------------------------------------------------- utils --- */

struct rres {
    int ok;
    long long elapsed_ns;
    unsigned long long newest, salt;
    long long shorts;
    char line[1024];
};

/* "read n idx salt" on an interactive consumer; parses an "ok" answer. */
static void mp_read(ph_child *c, int n, long long idx, long long salt, struct rres *r)
{
    memset(r, 0, sizeof *r);
    ph_cmd(c, r->line, sizeof r->line, mp_ms(T_CMD), "read %d %lld %lld", n, idx, salt);
    if (strncmp(r->line, "ok", 2) == 0 &&
        sscanf(r->line, "ok %lld %llu %llu %lld", &r->elapsed_ns, &r->newest, &r->salt,
               &r->shorts) == 4)
        r->ok = 1;
}

static void mp_read_ok(ph_child *c, int n, long long idx, long long salt, struct rres *r)
{
    mp_read(c, n, idx, salt, r);
    PH_ASSERT(r->ok, "%s: read %d (expect newest %lld, producer %lld) answered '%s'", c->what, n,
              idx, salt, r->line);
}

/* A read after the producer died: a whole committed frame of @p salt with
 * newest index @p idx, or "not connected"/"closed". Never torn. */
static void mp_read_after_death(ph_child *c, long long idx, long long salt, const char *when)
{
    /* Every read kind once, in a fixed order, then 30 more cycling all. */
    static const struct { int n, mask; const char *what; } reads[] = {
        { 1, 1, "get 1" },        { 1, 2, "get history_len" }, { 1, 16, "acquire history_len" },
        { 1, 4, "get half" },     { 1, 8, "acquire 1" },       { 1, 32, "acquire half" },
        { 30, 0x3f, "30 reads of every kind" },
    };
    for (size_t i = 0; i < sizeof reads / sizeof reads[0]; i++) {
        struct rres r;
        memset(&r, 0, sizeof r);
        int64_t t0 = mono_ns();
        ph_cmd(c, r.line, sizeof r.line, mp_ms(T_CMD), "read %d -1 0 %d", reads[i].n,
               reads[i].mask);
        int64_t dt = mono_ns() - t0;
        if (sscanf(r.line, "ok %lld %llu %llu %lld", &r.elapsed_ns, &r.newest, &r.salt,
                   &r.shorts) == 4) {
            PH_ASSERT((long long)r.newest == idx && (long long)r.salt == salt,
                      "%s: %s returned frame %llu of producer %llu, expected the last committed "
                      "frame %lld of producer %lld ('%s')",
                      when, reads[i].what, r.newest, r.salt, idx, salt, r.line);
            ph_log("%s: %s: the last committed frame %llu (%.2f ms)", when, reads[i].what,
                   r.newest, dt / 1e6);
        } else if (strncmp(r.line, "err TIPC_E_NOT_CONNECTED", 24) == 0 ||
                   strncmp(r.line, "err TIPC_E_CLOSED", 17) == 0) {
            ph_log("%s: %s: '%.60s' (%.2f ms)", when, reads[i].what, r.line, dt / 1e6);
        } else {
            /* Not torn (that is a hard failure below), but not a documented
             * answer either: recorded, the test goes on and fails at the end. */
            PH_ASSERT(strncmp(r.line, "err TIPC_E_", 11) == 0,
                      "%s: %s after the producer died: '%s'", when, reads[i].what, r.line);
            ph_soft_fail("%s: %s: expected the last committed frame or NOT_CONNECTED/CLOSED, got "
                         "'%s' after %.1f ms",
                         when, reads[i].what, r.line, dt / 1e6);
        }
    }
}

static tipc_producer *mp_producer(const char *pool, uint32_t hist, size_t fb, int64_t timeout_ns)
{
    tipc_metadata *md = NULL;
    tipc_status st = mp_metadata(&md, pool, hist, fb);
    PH_ASSERT(st == TIPC_OK, "metadata: %s %s", tipc_status_name(st), tipc_last_error());
    tipc_producer_options o;
    PH_ASSERT(tipc_producer_options_init(&o, TIPC_PRODUCER_OPTIONS_VERSION) == TIPC_OK,
              "options_init");
    o.put_timeout_ns = timeout_ns;
    tipc_producer *p = NULL;
    st = tipc_producer_create(&p, md, &o);
    tipc_metadata_destroy(md);
    PH_ASSERT(st == TIPC_OK && p, "producer_create '%s': %s %s", pool, tipc_status_name(st),
              tipc_last_error());
    return p;
}

static uint64_t put_ok(tipc_producer *p, size_t fb, int64_t *elapsed)
{
    uint64_t idx = UINT64_MAX;
    uint64_t want = tipc_producer_frames_written(p);
    int64_t dt = 0;
    tipc_status st = mp_put(p, fb, &idx, &dt);
    PH_ASSERT(st == TIPC_OK, "put of frame %" PRIu64 ": %s (%s) after %.1f ms", want,
              tipc_status_name(st), tipc_last_error(), dt / 1e6);
    PH_ASSERT(idx == want, "put returned index %" PRIu64 ", expected %" PRIu64, idx, want);
    if (elapsed)
        *elapsed = dt;
    return idx;
}

static ph_child *spawn_consumer(const char *what, const char *pool, uint32_t hist, size_t fb,
                                int connect)
{
    char line[512];
    ph_child *c = mp_spawn(what, "consumer", pool, hist, fb, NULL);
    ph_expect_ok(c, line, sizeof line, mp_ms(T_START));
    if (connect)
        ph_cmd_ok(c, line, sizeof line, mp_ms(T_CMD), "connect %lld", (long long)mp_ms(10000));
    return c;
}

/* Start a producer helper; returns its pid from "ok ready <pid>". */
static ph_child *spawn_producer(const char *what, const char *pool, uint32_t hist, size_t fb,
                                const char *timeout_ms, long *pid)
{
    char line[512];
    ph_child *c = mp_spawn(what, "producer", pool, hist, fb, timeout_ms, NULL);
    ph_expect_ok(c, line, sizeof line, mp_ms(T_START));
    long p = 0;
    PH_ASSERT(sscanf(line, "ok ready %ld", &p) == 1 && p == (long)c->pid,
              "%s: unexpected greeting '%s'", what, line);
    if (pid)
        *pid = p;
    return c;
}

static void expect_line(const char *got, const char *want, const char *what)
{
    PH_ASSERT(strcmp(got, want) == 0, "%s: got '%s', expected '%s'", what, got, want);
}

static unsigned long long field(const char *line, const char *key)
{
    const char *p = strstr(line, key);
    return p ? strtoull(p + strlen(key), NULL, 10) : ULLONG_MAX;
}

/* ------------------------------------------------ 1. no torn frame --- */

START_TEST(torn_frames_stress)
{
    ph_begin("torn_frames_stress");
    char pool[80], line[2048];
    mp_pool_name(pool, sizeof pool, "torn");
    enum { H = 8, NCONS = 4, MIN_FRAMES = 20000 };
    const char *min_reads = "3000";

    long ppid;
    ph_child *P = spawn_producer("producer", pool, H, FB, "5000", &ppid);
    ph_child *C[NCONS];
    for (int i = 0; i < NCONS; i++) {
        char what[32];
        snprintf(what, sizeof what, "stress consumer %d", i);
        C[i] = mp_spawn(what, "stress-consumer", pool, H, FB, "20000", min_reads, "200000", NULL);
    }
    for (int i = 0; i < NCONS; i++)
        ph_expect_ok(C[i], line, sizeof line, mp_ms(T_START));

    /* Everyone is connected and reading (NO_DATA so far): go. */
    int64_t t0 = mono_ns();
    PH_ASSERT(ph_send(P, "stream %d", MIN_FRAMES) == 0, "producer gone");
    char results[NCONS][2048];
    for (int i = 0; i < NCONS; i++) {
        PH_ASSERT(ph_reap(C[i], mp_ms(220000)) == 0, "%s did not finish in time", C[i]->what);
        int r = ph_recv(C[i], results[i], sizeof results[i], 1000);
        PH_ASSERT(r == 0, "%s (exit %d) printed no result", C[i]->what,
                  WIFEXITED(C[i]->wstatus) ? WEXITSTATUS(C[i]->wstatus) : -WTERMSIG(C[i]->wstatus));
    }
    int64_t t_cons = mono_ns() - t0;
    PH_ASSERT(ph_send(P, "stop") == 0, "producer gone");
    ph_expect_ok(P, line, sizeof line, mp_ms(60000));
    unsigned long long frames = 0;
    long long max_put_us = 0;
    PH_ASSERT(sscanf(line, "ok %llu %lld", &frames, &max_put_us) == 2, "producer: '%s'", line);
    ph_quit(P, mp_ms(T_CMD));
    ph_log("producer wrote %llu frames (longest put %lld us); consumers done after %.2f s",
           frames, max_put_us, t_cons / 1e9);
    for (int i = 0; i < NCONS; i++)
        ph_log("consumer %d: %s", i, results[i]);

    PH_ASSERT(frames >= MIN_FRAMES, "producer wrote only %llu frames", frames);
    for (int i = 0; i < NCONS; i++) {
        const char *r = results[i];
        PH_ASSERT(strncmp(r, "result ", 7) == 0, "consumer %d: %s", i, r);
        PH_ASSERT(field(r, "torn=") == 0, "consumer %d saw torn frames: %s", i, r);
        PH_ASSERT(field(r, "badidx=") == 0, "consumer %d: frame index != frame counter: %s", i, r);
        PH_ASSERT(field(r, "order=") == 0, "consumer %d: history out of order: %s", i, r);
        PH_ASSERT(field(r, "nonmono=") == 0, "consumer %d: latest index went back: %s", i, r);
        PH_ASSERT(field(r, "pad=") == 0 && field(r, "mixed=") == 0,
                  "consumer %d: bad padding/mixed frames: %s", i, r);
        PH_ASSERT(field(r, "status=") == 0, "consumer %d: unexpected status: %s", i, r);
        PH_ASSERT(WIFEXITED(C[i]->wstatus) && WEXITSTATUS(C[i]->wstatus) == 0,
                  "consumer %d exited with %d: %s", i,
                  WIFEXITED(C[i]->wstatus) ? WEXITSTATUS(C[i]->wstatus) : -WTERMSIG(C[i]->wstatus),
                  r);
        PH_ASSERT(field(r, "reads=") > 0, "consumer %d read nothing: %s", i, r);
        PH_ASSERT(field(r, "get1=") > 0 && field(r, "getN=") > 0 && field(r, "acq1=") > 0 &&
                      field(r, "acqN=") > 0,
                  "consumer %d did not use every read kind: %s", i, r);
        PH_ASSERT(field(r, "maxidx=") + 1 >= MIN_FRAMES, "consumer %d never saw the end: %s", i,
                  r);
        PH_ASSERT(field(r, "distinct=") >= 2,
                  "consumer %d never read concurrently with the producer: %s", i, r);
    }
    ph_finish();
}
END_TEST

/* ------------------------------------ 2. readers never block each other --- */

START_TEST(readers_do_not_block_each_other)
{
    ph_begin("readers_do_not_block_each_other");
    char pool[80], line[1024];
    mp_pool_name(pool, sizeof pool, "nblk");
    enum { H = 4 };
    const long me = (long)getpid();
    tipc_producer *p = mp_producer(pool, H, FB, 1000000000LL);
    for (int i = 0; i < H; i++)
        put_ok(p, FB, NULL);

    ph_child *A = spawn_consumer("consumer A", pool, H, FB, 1);
    expect_line(ph_cmd_ok(A, line, sizeof line, mp_ms(T_CMD), "hold 4"), "ok 3 2 1 0",
                "A holds all frames");
    expect_line(ph_cmd_ok(A, line, sizeof line, mp_ms(T_CMD), "hold 1"), "ok 3",
                "A holds the latest frame again");

    /* B reads the very frames A holds, at full speed. */
    ph_child *B = spawn_consumer("consumer B", pool, H, FB, 1);
    struct rres r;
    mp_read_ok(B, 200, 3, me, &r);
    ph_log("B: 200 reads while A holds every frame: %.2f ms", r.elapsed_ns / 1e6);
    PH_ASSERT(r.elapsed_ns < 2000000000LL, "B needed %.1f ms for 200 reads while A held frames",
              r.elapsed_ns / 1e6);
    expect_line(ph_cmd_ok(B, line, sizeof line, mp_ms(T_CMD), "hold 4 oldest"), "ok 0 1 2 3",
                "B acquires the frames A holds");
    ph_cmd_ok(B, line, sizeof line, mp_ms(T_CMD), "check");
    ph_cmd_ok(B, line, sizeof line, mp_ms(T_CMD), "release");

    /* A keeps only frame 3 (slot 3); the producer writes slots 0..2 freely. */
    ph_cmd_ok(A, line, sizeof line, mp_ms(T_CMD), "release");
    expect_line(ph_cmd_ok(A, line, sizeof line, mp_ms(T_CMD), "hold 1"), "ok 3", "A holds frame 3");
    int64_t worst = 0;
    for (int i = 0; i < 3; i++) {
        int64_t dt;
        put_ok(p, FB, &dt);
        if (dt > worst)
            worst = dt;
    }
    ph_log("3 puts to slots nobody holds, while A holds slot 3: worst %.3f ms", worst / 1e6);
    PH_ASSERT(worst < 500000000LL, "a put to a free slot took %.1f ms", worst / 1e6);

    mp_read_ok(B, 200, 6, me, &r);
    ph_log("B: 200 reads of frames 3..6 while A holds frame 3: %.2f ms", r.elapsed_ns / 1e6);
    PH_ASSERT(r.elapsed_ns < 2000000000LL, "B needed %.1f ms for 200 reads", r.elapsed_ns / 1e6);
    expect_line(ph_cmd_ok(B, line, sizeof line, mp_ms(T_CMD), "hold 4"), "ok 6 5 4 3",
                "B holds frames 6..3 (3 shared with A)");
    ph_cmd_ok(A, line, sizeof line, mp_ms(T_CMD), "check");
    ph_cmd_ok(B, line, sizeof line, mp_ms(T_CMD), "check");
    ph_cmd_ok(B, line, sizeof line, mp_ms(T_CMD), "release");
    ph_cmd_ok(A, line, sizeof line, mp_ms(T_CMD), "release");
    ph_quit(A, mp_ms(T_CMD));
    ph_quit(B, mp_ms(T_CMD));
    tipc_producer_destroy(p);
    ph_finish();
}
END_TEST

START_TEST(held_frame_put_timeout)
{
    ph_begin("held_frame_put_timeout");
    char pool[80], line[1024];
    mp_pool_name(pool, sizeof pool, "ptmo");
    enum { H = 4 };
    const long me = (long)getpid();
    const int64_t timeout = 100000000LL; /* 100 ms */
    tipc_producer *p = mp_producer(pool, H, FB, timeout);
    for (int i = 0; i < H; i++)
        put_ok(p, FB, NULL);

    ph_child *A = spawn_consumer("consumer A", pool, H, FB, 1);
    expect_line(ph_cmd_ok(A, line, sizeof line, mp_ms(T_CMD), "hold 1"), "ok 3", "A holds frame 3");
    for (int i = 0; i < 3; i++)
        put_ok(p, FB, NULL); /* frames 4..6 into slots 0..2 */

    /* Frame 7 goes to slot 3, which A holds and does not release. */
    uint64_t idx = UINT64_MAX;
    int64_t dt = 0;
    tipc_status st = mp_put(p, FB, &idx, &dt);
    ph_log("put onto a slot held by a live reader: %s after %.1f ms (timeout 100 ms)",
           tipc_status_name(st), dt / 1e6);
    PH_ASSERT(st == TIPC_E_TIMEOUT, "put onto a held slot returned %s after %.1f ms, expected "
                                    "TIPC_E_TIMEOUT",
              tipc_status_name(st), dt / 1e6);
    PH_ASSERT(dt >= 80000000LL, "put gave up after %.1f ms, before its 100 ms timeout", dt / 1e6);
    PH_ASSERT(dt < 2000000000LL, "put took %.1f ms to time out (timeout 100 ms)", dt / 1e6);
    PH_ASSERT(tipc_producer_frames_written(p) == 7, "a timed-out put published something: %" PRIu64
                                                    " frames written",
              tipc_producer_frames_written(p));

    /* Nothing was published and the slot kept its old frame. */
    ph_child *B = spawn_consumer("consumer B", pool, H, FB, 1);
    struct rres r;
    mp_read_ok(B, 60, 6, me, &r);
    expect_line(ph_cmd_ok(B, line, sizeof line, mp_ms(T_CMD), "hold 4"), "ok 6 5 4 3",
                "B after the timed-out put");
    ph_cmd_ok(B, line, sizeof line, mp_ms(T_CMD), "release");
    ph_cmd_ok(A, line, sizeof line, mp_ms(T_CMD), "check");

    /* Released: the same put goes through, as frame 7. */
    ph_cmd_ok(A, line, sizeof line, mp_ms(T_CMD), "release");
    put_ok(p, FB, &dt);
    ph_log("put after the release: %.3f ms", dt / 1e6);
    PH_ASSERT(dt < timeout, "put after the release still waited %.1f ms", dt / 1e6);
    mp_read_ok(B, 60, 7, me, &r);

    /* The same for a loan: A holds frame 7 (slot 3); 8..10 fill slots 0..2. */
    expect_line(ph_cmd_ok(A, line, sizeof line, mp_ms(T_CMD), "hold 1"), "ok 7", "A holds frame 7");
    for (int i = 0; i < 3; i++)
        put_ok(p, FB, NULL);
    void *slot = NULL;
    size_t sz = 0;
    int64_t t0 = mono_ns();
    st = tipc_producer_loan(p, &slot, &sz);
    dt = mono_ns() - t0;
    ph_log("loan of a slot held by a live reader: %s after %.1f ms", tipc_status_name(st),
           dt / 1e6);
    PH_ASSERT(st == TIPC_E_TIMEOUT, "loan of a held slot returned %s after %.1f ms",
              tipc_status_name(st), dt / 1e6);
    PH_ASSERT(dt < 2000000000LL, "loan took %.1f ms to time out", dt / 1e6);
    mp_read_ok(B, 30, 10, me, &r);
    ph_cmd_ok(A, line, sizeof line, mp_ms(T_CMD), "check");
    ph_cmd_ok(A, line, sizeof line, mp_ms(T_CMD), "release");
    st = tipc_producer_loan(p, &slot, &sz);
    PH_ASSERT(st == TIPC_OK && slot && sz == FB, "loan after release: %s %s",
              tipc_status_name(st), tipc_last_error());
    fp_frame_fill(slot, FB, 11, (uint64_t)me);
    st = tipc_producer_commit(p, &idx);
    PH_ASSERT(st == TIPC_OK && idx == 11, "commit: %s index %" PRIu64, tipc_status_name(st), idx);
    mp_read_ok(B, 60, 11, me, &r);

    ph_quit(A, mp_ms(T_CMD));
    ph_quit(B, mp_ms(T_CMD));
    tipc_producer_destroy(p);
    ph_finish();
}
END_TEST

/* ------------------------------------ 3. SIGKILLed consumer holding frames --- */

/* Put @p n frames onto slots a dead reader held; each must succeed within the
 * reclaim bound (the put timeout is 5 s, so success proves reclaim). */
static int64_t puts_past_dead_reader(tipc_producer *p, int n, const char *when)
{
    int64_t worst = 0;
    for (int i = 0; i < n; i++) {
        uint64_t idx = UINT64_MAX;
        int64_t dt = 0;
        tipc_status st = mp_put(p, FB, &idx, &dt);
        PH_ASSERT(st == TIPC_OK, "%s: put %d onto a slot held by a killed reader: %s after %.1f ms "
                                 "(%s)",
                  when, i, tipc_status_name(st), dt / 1e6, tipc_last_error());
        PH_ASSERT(dt < RECLAIM_BOUND_NS, "%s: put %d onto a slot held by a killed reader took "
                                         "%.1f ms (bound 250 ms)",
                  when, i, dt / 1e6);
        if (dt > worst)
            worst = dt;
    }
    return worst;
}

START_TEST(killed_consumer_zombie_and_reaped)
{
    ph_begin("killed_consumer_zombie_and_reaped");
    char pool[80], line[1024];
    mp_pool_name(pool, sizeof pool, "kcon");
    enum { H = 4 };
    const long me = (long)getpid();
    tipc_producer *p = mp_producer(pool, H, FB, 5000000000LL);
    for (int i = 0; i < H; i++)
        put_ok(p, FB, NULL);

    /* 1: killed, NOT reaped: a zombie holding every frame, one twice. */
    ph_child *C1 = spawn_consumer("consumer C1", pool, H, FB, 1);
    expect_line(ph_cmd_ok(C1, line, sizeof line, mp_ms(T_CMD), "hold 4"), "ok 3 2 1 0", "C1");
    expect_line(ph_cmd_ok(C1, line, sizeof line, mp_ms(T_CMD), "hold 1"), "ok 3", "C1");
    ph_kill9(C1);
    PH_ASSERT(ph_wait_zombie(C1, mp_ms(10000)) == 0, "C1 did not die of SIGKILL");
    char state = ph_proc_state(C1->pid);
    PH_ASSERT(state == 'Z', "C1 should be a zombie now, /proc state '%c'", state);
    int64_t w1 = puts_past_dead_reader(p, H, "zombie reader");
    ph_log("zombie reader held all %d slots: worst put %.2f ms", H, w1 / 1e6);
    PH_ASSERT(ph_reap(C1, mp_ms(10000)) == 0, "reap C1");

    /* 2: killed and reaped. */
    ph_child *C2 = spawn_consumer("consumer C2", pool, H, FB, 1);
    expect_line(ph_cmd_ok(C2, line, sizeof line, mp_ms(T_CMD), "hold 4 oldest"), "ok 4 5 6 7",
                "C2");
    expect_line(ph_cmd_ok(C2, line, sizeof line, mp_ms(T_CMD), "hold 2"), "ok 7 6", "C2");
    ph_kill9(C2);
    PH_ASSERT(ph_reap(C2, mp_ms(10000)) == 0, "C2 did not die of SIGKILL");
    PH_ASSERT(WIFSIGNALED(C2->wstatus) && WTERMSIG(C2->wstatus) == SIGKILL, "C2 status %d",
              C2->wstatus);
    int64_t w2 = puts_past_dead_reader(p, H, "reaped reader");
    ph_log("reaped reader held all %d slots: worst put %.2f ms", H, w2 / 1e6);

    /* A live consumer reads on undisturbed. */
    ph_child *C3 = spawn_consumer("consumer C3", pool, H, FB, 1);
    struct rres r;
    mp_read_ok(C3, 60, 11, me, &r);
    for (int i = 0; i < 2 * H; i++)
        put_ok(p, FB, NULL);
    mp_read_ok(C3, 60, 19, me, &r);
    ph_quit(C3, mp_ms(T_CMD));
    tipc_producer_destroy(p);
    ph_finish();
}
END_TEST

START_TEST(killed_consumer_random_points)
{
    ph_begin("killed_consumer_random_points");
    char pool[80], line[1024];
    mp_pool_name(pool, sizeof pool, "krnd");
    enum { H = 4, ROUNDS = 80 }; /* more rounds than reader-table entries (64) */
    const long me = (long)getpid();
    unsigned seed = (unsigned)getpid();
    const char *s = getenv("MP_SEED");
    if (s)
        seed = (unsigned)strtoul(s, NULL, 10);
    srand(seed);
    ph_log("seed %u (set MP_SEED to repeat)", seed);
    tipc_producer *p = mp_producer(pool, H, FB, 5000000000LL);
    put_ok(p, FB, NULL);
    int64_t worst = 0, worst_busy = 0;
    int64_t t_start = mono_ns();
    for (int round = 0; round < ROUNDS; round++) {
        ph_child *C = spawn_consumer("spinning consumer", pool, H, FB, 1);
        ph_cmd_ok(C, line, sizeof line, mp_ms(T_CMD), "spin");
        /* It reads in a loop (get/acquire, 1/N/half) while we write. */
        int n = rand() % 64;
        for (int i = 0; i < n; i++) {
            int64_t dt;
            put_ok(p, FB, &dt);
            if (dt > worst_busy)
                worst_busy = dt;
        }
        /* Randomise the kill point within its read loop (not a wait). */
        int64_t until = mono_ns() + (rand() % 2000) * 1000;
        while (mono_ns() < until) {
        }
        ph_kill9(C);
        int zombie = round % 2 == 0;
        if (zombie)
            PH_ASSERT(ph_wait_zombie(C, mp_ms(10000)) == 0, "round %d: no death", round);
        else
            PH_ASSERT(ph_reap(C, mp_ms(10000)) == 0, "round %d: no death", round);
        /* It died of the kill, not of a torn frame (exit 1) or anything else. */
        int64_t w = puts_past_dead_reader(p, 2 * H, zombie ? "zombie" : "reaped");
        if (w > worst)
            worst = w;
        PH_ASSERT(ph_reap(C, mp_ms(10000)) == 0, "reap");
        PH_ASSERT(WIFSIGNALED(C->wstatus) && WTERMSIG(C->wstatus) == SIGKILL,
                  "round %d: spinning consumer ended with status 0x%x before the kill (exit 1 = "
                  "torn frame)",
                  round, C->wstatus);
        ph_child_free(C);
    }
    ph_log("%d consumers killed at random points; worst put after a kill %.2f ms, worst put "
           "beside a live reader %.2f ms; %.1f s",
           ROUNDS, worst / 1e6, worst_busy / 1e6, (mono_ns() - t_start) / 1e9);
    /* The reader table was not used up by the dead. */
    ph_child *C = spawn_consumer("late consumer", pool, H, FB, 1);
    struct rres r;
    uint64_t last = put_ok(p, FB, NULL);
    mp_read_ok(C, 60, (long long)last, me, &r);
    ph_quit(C, mp_ms(T_CMD));
    tipc_producer_destroy(p);
    ph_finish();
}
END_TEST

/* ------------------------------------ 4. producer killed mid-write --- */

START_TEST(producer_killed_mid_write)
{
    ph_begin("producer_killed_mid_write");
    char pool[80], line[1024];
    mp_pool_name(pool, sizeof pool, "kprod");
    enum { H = 4 };
    long pid1, pid2;
    ph_child *P1 = spawn_producer("producer P1", pool, H, FB, "5000", &pid1);
    ph_child *C = spawn_consumer("consumer", pool, H, FB, 1);
    ph_cmd_ok(P1, line, sizeof line, mp_ms(T_CMD), "put 10");
    PH_ASSERT(strncmp(line, "ok 9 ", 5) == 0, "P1 put: '%s'", line);
    ph_cmd_ok(P1, line, sizeof line, mp_ms(T_CMD), "loan-half");
    PH_ASSERT(strcmp(line, "ok 10") == 0, "P1 loan-half: '%s'", line);

    /* The loaned slot (it held frame 6) is half 0xEE: invisible to readers.
     * Reads of 1 and 2 frames (get and acquire) never need that slot. */
    struct rres r;
    ph_cmd(C, r.line, sizeof r.line, mp_ms(T_CMD), "read 60 9 %ld 0x2d", pid1);
    PH_ASSERT(strncmp(r.line, "ok", 2) == 0, "reads of 1-2 frames during the loan: '%s'", r.line);
    /* Reads of all history_len frames need frame 6, whose slot is being
     * rewritten: they may wait for the commit, then fail (TIPC_E_BUSY), but
     * never return the half-written slot. */
    for (int mask = 2; mask <= 16; mask *= 8) {
        int64_t t0 = mono_ns();
        ph_cmd(C, r.line, sizeof r.line, mp_ms(T_CMD), "read 1 -1 0 %d", mask);
        ph_log("%s of %d frames during a loan that is never committed: '%.70s' after %.1f ms",
               mask == 2 ? "get" : "acquire", H, r.line, (mono_ns() - t0) / 1e6);
        PH_ASSERT(strncmp(r.line, "ok", 2) == 0 || strncmp(r.line, "err TIPC_E_BUSY", 15) == 0,
                  "full-history read during an outstanding loan: '%s'", r.line);
        long long el;
        unsigned long long nw, sl;
        PH_ASSERT(strncmp(r.line, "ok", 2) != 0 ||
                      (sscanf(r.line, "ok %lld %llu %llu", &el, &nw, &sl) == 3 && nw == 9 &&
                       (long)sl == pid1),
                  "full-history read during an outstanding loan: '%s'", r.line);
    }
    ph_cmd(C, r.line, sizeof r.line, mp_ms(T_CMD), "read 12 9 %ld 0x2d", pid1);
    PH_ASSERT(strncmp(r.line, "ok", 2) == 0, "reads of 1-2 frames during the loan: '%s'", r.line);

    ph_kill9(P1);
    PH_ASSERT(ph_wait_zombie(P1, mp_ms(10000)) == 0, "P1 did not die");
    mp_read_after_death(C, 9, pid1, "producer killed, zombie");
    PH_ASSERT(ph_reap(P1, mp_ms(10000)) == 0, "reap P1");
    mp_read_after_death(C, 9, pid1, "producer killed, reaped");

    /* A new producer of the same name starts cleanly... */
    ph_child *P2 = spawn_producer("producer P2", pool, H, FB, "5000", &pid2);
    ph_cmd_ok(P2, line, sizeof line, mp_ms(T_CMD), "put 5");
    PH_ASSERT(strncmp(line, "ok 4 ", 5) == 0, "P2 put: '%s'", line);
    /* ...and the old consumer reconnects to it by itself. */
    int64_t deadline = mono_ns() + mp_ms(10000) * 1000000;
    for (;;) {
        mp_read(C, 1, -1, 0, &r);
        if (r.ok && (long)r.salt == pid2)
            break;
        PH_ASSERT(r.ok || strncmp(r.line, "err TIPC_E_", 11) == 0,
                  "consumer while the pool changes producer: '%s'", r.line);
        PH_ASSERT(!r.ok || (long)r.salt == pid1, "frame of unknown producer %llu", r.salt);
        PH_ASSERT(mono_ns() < deadline, "consumer did not reach the new producer in 10 s: '%s'",
                  r.line);
        mono_sleep_ns(1000000);
    }
    mp_read_ok(C, 60, 4, pid2, &r);
    ph_cmd_ok(P2, line, sizeof line, mp_ms(T_CMD), "put 3");
    mp_read_ok(C, 60, 7, pid2, &r);
    ph_quit(P2, mp_ms(T_CMD));
    ph_quit(C, mp_ms(T_CMD));
    ph_finish();
}
END_TEST

START_TEST(full_history_read_during_short_loan)
{
    ph_begin("full_history_read_during_short_loan");
    char pool[80], line[1024];
    mp_pool_name(pool, sizeof pool, "sloan");
    enum { H = 4 };
    long pid;
    struct rres r;
    ph_child *P = spawn_producer("producer", pool, H, FB, "5000", &pid);
    ph_child *C = spawn_consumer("consumer", pool, H, FB, 1);
    ph_cmd_ok(P, line, sizeof line, mp_ms(T_CMD), "put 10");
    for (int mask = 2; mask <= 16; mask *= 8) {
        /* A loan of the slot of the oldest frame, committed right after a
         * full-history read started: the read returns whole frames. */
        ph_cmd_ok(P, line, sizeof line, mp_ms(T_CMD), "loan");
        unsigned long long loaned = strtoull(line + 3, NULL, 10);
        int64_t t0 = mono_ns();
        PH_ASSERT(ph_send(C, "read 1 -1 %ld %d", pid, mask) == 0, "consumer gone");
        ph_cmd_ok(P, line, sizeof line, mp_ms(T_CMD), "commit");
        int rc = ph_recv(C, r.line, sizeof r.line, mp_ms(T_CMD));
        PH_ASSERT(rc == 0, "consumer did not answer");
        ph_log("%s of all %d frames while the producer holds a loan for ~1 round trip: '%.60s' "
               "after %.2f ms",
               mask == 2 ? "get" : "acquire", H, r.line, (mono_ns() - t0) / 1e6);
        unsigned long long nw = 0, sl = 0;
        long long el = 0;
        PH_ASSERT(sscanf(r.line, "ok %lld %llu %llu", &el, &nw, &sl) == 3,
                  "full-history read during a short loan: '%s'", r.line);
        PH_ASSERT(nw == loaned || nw + 1 == loaned, "newest %llu, loaned frame %llu", nw, loaned);
    }
    mp_read_ok(C, 30, 11, pid, &r);
    ph_quit(P, mp_ms(T_CMD));
    ph_quit(C, mp_ms(T_CMD));
    ph_finish();
}
END_TEST

START_TEST(producer_killed_new_producer_reclaims)
{
    ph_begin("producer_killed_new_producer_reclaims");
    char pool[80], line[1024], list[1024];
    mp_pool_name(pool, sizeof pool, "recl");
    enum { H = 4 };
    long pid1, pid2;
    ph_child *P1 = spawn_producer("producer P1", pool, H, FB, "5000", &pid1);
    ph_cmd_ok(P1, line, sizeof line, mp_ms(T_CMD), "put 6");
    ph_cmd_ok(P1, line, sizeof line, mp_ms(T_CMD), "loan-half");
    ph_kill9(P1);
    PH_ASSERT(ph_reap(P1, mp_ms(10000)) == 0, "P1 did not die");
    /* Nobody touched the name since: the dead segment is still there. */
    int n = ph_shm_entries(pool, list, sizeof list);
    PH_ASSERT(n >= 1, "the killed producer's segment vanished by itself?");
    ph_log("after SIGKILL, /dev/shm: %s", list);

    ph_child *P2 = spawn_producer("producer P2", pool, H, FB, "5000", &pid2);
    n = ph_shm_entries(pool, list, sizeof list);
    PH_ASSERT(n == 1, "after the new producer started, /dev/shm holds %d entries: %s", n, list);

    /* The new incarnation shows none of the old frames, half-written or not. */
    ph_child *C = spawn_consumer("consumer", pool, H, FB, 1);
    ph_cmd(C, line, sizeof line, mp_ms(T_CMD), "read 1 -1 0");
    PH_ASSERT(strncmp(line, "err TIPC_E_NO_DATA", 18) == 0,
              "new pool before its first put: expected NO_DATA, got '%s'", line);
    ph_cmd_ok(P2, line, sizeof line, mp_ms(T_CMD), "put 3");
    struct rres r;
    mp_read_ok(C, 60, 2, pid2, &r);
    ph_quit(P2, mp_ms(T_CMD));
    ph_quit(C, mp_ms(T_CMD));
    ph_finish();
}
END_TEST

START_TEST(waiter_wakes_when_producer_killed)
{
    ph_begin("waiter_wakes_when_producer_killed");
    char pool[80], line[1024];
    mp_pool_name(pool, sizeof pool, "wake");
    enum { H = 4 };
    long pid1;
    ph_child *P = spawn_producer("producer", pool, H, FB, "5000", &pid1);
    ph_child *C = spawn_consumer("consumer", pool, H, FB, 1);
    ph_cmd_ok(P, line, sizeof line, mp_ms(T_CMD), "put 3");
    struct rres r;
    mp_read_ok(C, 6, 2, pid1, &r);

    /* A wait woken by a put. */
    PH_ASSERT(ph_send(C, "wait 20000") == 0, "consumer gone");
    ph_cmd_ok(P, line, sizeof line, mp_ms(T_CMD), "put 1");
    ph_expect_ok(C, line, sizeof line, mp_ms(T_CMD));
    mp_read_ok(C, 6, 3, pid1, &r);

    /* A wait for frame 4, which never comes: the producer is killed. */
    PH_ASSERT(ph_send(C, "wait 20000") == 0, "consumer gone");
    int64_t t0 = mono_ns();
    ph_kill9(P);
    int rc = ph_recv(C, line, sizeof line, mp_ms(25000));
    int64_t dt = mono_ns() - t0;
    PH_ASSERT(rc == 0, "consumer stuck in wait");
    ph_log("wait after the producer's SIGKILL: '%s' after %.1f ms", line, dt / 1e6);
    PH_ASSERT(strncmp(line, "err TIPC_E_CLOSED", 17) == 0 ||
                  strncmp(line, "err TIPC_E_NOT_CONNECTED", 24) == 0,
              "wait when the producer died: expected CLOSED (or NOT_CONNECTED), got '%s' after "
              "%.1f ms",
              line, dt / 1e6);
    PH_ASSERT(dt < 5000000000LL, "the waiter noticed the dead producer only after %.1f ms",
              dt / 1e6);
    PH_ASSERT(ph_reap(P, mp_ms(10000)) == 0, "reap");
    ph_quit(C, mp_ms(T_CMD));
    /* The consumer, the last process that touched it, removed the segment or
     * the next toucher will: guarantee 5 is checked at the end. */
    ph_child *T = mp_spawn("toucher", "touch-consumer", pool, H, FB, NULL);
    PH_ASSERT(ph_recv(T, line, sizeof line, mp_ms(T_START)) == 0, "toucher");
    ph_quit(T, mp_ms(T_CMD));
    ph_finish();
}
END_TEST

/* ------------------------------------ 5. no leftovers --- */

START_TEST(no_leftovers_clean_exit)
{
    ph_begin("no_leftovers_clean_exit");
    char pool[80], line[1024];
    mp_pool_name(pool, sizeof pool, "clean");
    enum { H = 3 };
    long pid;
    struct rres r;
    /* a: consumer leaves first */
    ph_child *P = spawn_producer("producer", pool, H, FB, "5000", &pid);
    ph_child *C = spawn_consumer("consumer", pool, H, FB, 1);
    ph_cmd_ok(P, line, sizeof line, mp_ms(T_CMD), "put 5");
    mp_read_ok(C, 30, 4, pid, &r);
    ph_quit(C, mp_ms(T_CMD));
    PH_ASSERT(ph_shm_entries(pool, NULL, 0) == 1, "live pool not in /dev/shm");
    ph_quit(P, mp_ms(T_CMD));
    ph_assert_no_shm(pool, "consumer then producer exited");
    ph_child_free(P);
    ph_child_free(C);

    /* b: producer leaves first, consumer still connected (no view held) */
    P = spawn_producer("producer 2", pool, H, FB, "5000", &pid);
    C = spawn_consumer("consumer 2", pool, H, FB, 1);
    ph_cmd_ok(P, line, sizeof line, mp_ms(T_CMD), "put 2");
    mp_read_ok(C, 30, 1, pid, &r);
    ph_quit(P, mp_ms(T_CMD));
    ph_assert_no_shm(pool, "producer exited while a consumer is connected");
    mp_read(C, 6, -1, 0, &r);
    PH_ASSERT(!r.ok, "read after the producer closed: '%s'", r.line);
    PH_ASSERT(strncmp(r.line, "err TIPC_E_NOT_CONNECTED", 24) == 0 ||
                  strncmp(r.line, "err TIPC_E_CLOSED", 17) == 0,
              "read after the producer closed: '%s'", r.line);
    ph_quit(C, mp_ms(T_CMD));
    ph_finish();
}
END_TEST

START_TEST(no_leftovers_killed_consumer_touch)
{
    ph_begin("no_leftovers_killed_consumer_touch");
    char pool[80], line[1024], list[1024];
    mp_pool_name(pool, sizeof pool, "ktouch");
    enum { H = 4 };
    long pid;
    struct rres r;
    ph_child *P = spawn_producer("producer", pool, H, FB, "5000", &pid);
    ph_child *C1 = spawn_consumer("consumer C1", pool, H, FB, 1);
    ph_child *C2 = spawn_consumer("consumer C2", pool, H, FB, 1);
    ph_cmd_ok(P, line, sizeof line, mp_ms(T_CMD), "put 6");
    expect_line(ph_cmd_ok(C1, line, sizeof line, mp_ms(T_CMD), "hold 2"), "ok 5 4", "C1");
    mp_read_ok(C2, 30, 5, pid, &r);
    /* Everybody dies: producer and C1 by SIGKILL, C2 cleanly afterwards. */
    ph_kill9(P);
    ph_kill9(C1);
    PH_ASSERT(ph_reap(P, mp_ms(10000)) == 0 && ph_reap(C1, mp_ms(10000)) == 0, "no death");
    ph_quit(C2, mp_ms(T_CMD));
    int n = ph_shm_entries(pool, list, sizeof list);
    ph_log("all processes gone; /dev/shm before any new toucher: %d entr%s %s", n,
           n == 1 ? "y" : "ies", list);

    /* A new process touches the name: a consumer connect attempt. */
    ph_child *T = mp_spawn("toucher", "touch-consumer", pool, H, FB, NULL);
    PH_ASSERT(ph_recv(T, line, sizeof line, mp_ms(T_START)) == 0, "toucher said nothing");
    ph_log("connect attempt: %s", line);
    PH_ASSERT(strncmp(line, "result TIPC_E_NOT_CONNECTED", 27) == 0,
              "connect to a pool whose producer was killed: '%s'", line);
    ph_quit(T, mp_ms(T_CMD));
    ph_assert_no_shm(pool, "after a consumer touched the dead pool");
    ph_finish();
}
END_TEST

START_TEST(no_leftovers_killed_producer_touch)
{
    ph_begin("no_leftovers_killed_producer_touch");
    char pool[80], line[1024], list[1024];
    mp_pool_name(pool, sizeof pool, "ptouch");
    enum { H = 4 };
    long pid;
    ph_child *P = spawn_producer("producer", pool, H, FB, "5000", &pid);
    ph_child *C = spawn_consumer("consumer", pool, H, FB, 1);
    ph_cmd_ok(P, line, sizeof line, mp_ms(T_CMD), "put 4");
    /* C holds frames 3 and 2; the loan takes slot 0 (frame 0). */
    expect_line(ph_cmd_ok(C, line, sizeof line, mp_ms(T_CMD), "hold 2"), "ok 3 2", "C");
    ph_cmd_ok(P, line, sizeof line, mp_ms(T_CMD), "loan-half");
    ph_kill9(C);
    ph_kill9(P);
    PH_ASSERT(ph_reap(P, mp_ms(10000)) == 0 && ph_reap(C, mp_ms(10000)) == 0, "no death");
    int n = ph_shm_entries(pool, list, sizeof list);
    PH_ASSERT(n >= 1, "nobody touched the pool, yet its segment is gone");
    ph_log("all processes killed; /dev/shm: %s", list);

    /* A new process creates the pool and destroys it. */
    ph_child *T = mp_spawn("new producer", "try-create", pool, H, FB, NULL);
    PH_ASSERT(ph_recv(T, line, sizeof line, mp_ms(T_START)) == 0, "try-create said nothing");
    PH_ASSERT(strncmp(line, "result TIPC_OK", 14) == 0,
              "create over a killed producer's pool: '%s'", line);
    ph_quit(T, mp_ms(T_CMD));
    ph_assert_no_shm(pool, "after a new producer created and destroyed the pool");
    ph_finish();
}
END_TEST

START_TEST(destroy_while_consumer_holds_view)
{
    ph_begin("destroy_while_consumer_holds_view");
    char pool[80], line[1024];
    mp_pool_name(pool, sizeof pool, "dview");
    enum { H = 4 };
    const long me = (long)getpid();
    tipc_producer *p = mp_producer(pool, H, FB, 1000000000LL);
    for (int i = 0; i < H; i++)
        put_ok(p, FB, NULL);
    ph_child *C = spawn_consumer("consumer", pool, H, FB, 1);
    expect_line(ph_cmd_ok(C, line, sizeof line, mp_ms(T_CMD), "hold 4"), "ok 3 2 1 0", "C");
    expect_line(ph_cmd_ok(C, line, sizeof line, mp_ms(T_CMD), "hold 1"), "ok 3", "C");
    struct rres r;
    mp_read_ok(C, 6, 3, me, &r);
    /* C blocks waiting for frame 4; the producer closes instead. */
    PH_ASSERT(ph_send(C, "wait 20000") == 0, "consumer gone");
    int64_t t0 = mono_ns();
    tipc_producer_destroy(p);
    int64_t t_destroy = mono_ns() - t0;
    /* The name is gone at once, though C still maps the segment. */
    ph_assert_no_shm(pool, "right after tipc_producer_destroy, a consumer holding views");
    int rc = ph_recv(C, line, sizeof line, mp_ms(25000));
    int64_t dt = mono_ns() - t0;
    PH_ASSERT(rc == 0, "consumer stuck in wait after destroy");
    ph_log("destroy took %.2f ms; the blocked wait returned '%s' after %.1f ms", t_destroy / 1e6,
           line, dt / 1e6);
    PH_ASSERT(strncmp(line, "err TIPC_E_CLOSED", 17) == 0 ||
                  strncmp(line, "err TIPC_E_NOT_CONNECTED", 24) == 0,
              "wait across destroy: '%s'", line);
    PH_ASSERT(dt < 2000000000LL, "waiter woke %.1f ms after destroy", dt / 1e6);
    /* The views stay readable, content intact, until released. */
    expect_line(ph_cmd_ok(C, line, sizeof line, mp_ms(T_CMD), "check"), "ok 2", "held views");
    mp_read(C, 6, -1, 0, &r);
    PH_ASSERT(strncmp(r.line, "err TIPC_E_NOT_CONNECTED", 24) == 0 ||
                  strncmp(r.line, "err TIPC_E_CLOSED", 17) == 0,
              "read after destroy: '%s'", r.line);
    expect_line(ph_cmd_ok(C, line, sizeof line, mp_ms(T_CMD), "check"), "ok 2", "held views");
    ph_cmd_ok(C, line, sizeof line, mp_ms(T_CMD), "release");
    ph_assert_no_shm(pool, "after release");
    ph_quit(C, mp_ms(T_CMD));
    ph_finish();
}
END_TEST

/* ------------------------------------ one producer per name --- */

START_TEST(second_producer_refused)
{
    ph_begin("second_producer_refused");
    char pool[80], line[1024];
    mp_pool_name(pool, sizeof pool, "dup");
    enum { H = 2 };
    const long me = (long)getpid();
    struct rres r;

    /* The test process produces; another process tries to. */
    tipc_producer *p = mp_producer(pool, H, FB, 1000000000LL);
    put_ok(p, FB, NULL);
    ph_child *T = mp_spawn("second producer", "try-create", pool, H, FB, NULL);
    PH_ASSERT(ph_recv(T, line, sizeof line, mp_ms(T_START)) == 0, "try-create said nothing");
    ph_quit(T, mp_ms(T_CMD));
    ph_log("second producer in another process: %s", line);
    PH_ASSERT(strncmp(line, "result TIPC_E_EXISTS ", 21) == 0,
              "second producer: expected TIPC_E_EXISTS, got '%s'", line);
    PH_ASSERT(ph_mentions_num(line + 21, me), "the error does not name the first producer's pid "
                                              "%ld: '%s'",
              me, line + 21);
    /* The refused attempt did not harm the live pool. */
    ph_child *C = spawn_consumer("consumer", pool, H, FB, 1);
    mp_read_ok(C, 20, 0, me, &r);
    put_ok(p, FB, NULL);
    mp_read_ok(C, 20, 1, me, &r);
    tipc_producer_destroy(p);
    ph_quit(C, mp_ms(T_CMD));
    ph_assert_no_shm(pool, "after destroy");

    /* Another process produces; the test process tries to. */
    long pid2;
    ph_child *P = spawn_producer("producer", pool, H, FB, "5000", &pid2);
    tipc_metadata *md = NULL;
    PH_ASSERT(mp_metadata(&md, pool, H, FB) == TIPC_OK, "metadata");
    tipc_producer *p2 = NULL;
    tipc_status st = tipc_producer_create(&p2, md, NULL);
    char err[1024];
    snprintf(err, sizeof err, "%s", tipc_last_error());
    tipc_metadata_destroy(md);
    if (st == TIPC_OK)
        tipc_producer_destroy(p2);
    ph_log("second producer in the test process: %s: %s", tipc_status_name(st), err);
    PH_ASSERT(st == TIPC_E_EXISTS, "expected TIPC_E_EXISTS, got %s (%s)", tipc_status_name(st),
              err);
    PH_ASSERT(p2 == NULL, "*out not NULL after an error");
    PH_ASSERT(ph_mentions_num(err, pid2), "the error does not name pid %ld: '%s'", pid2, err);
    ph_cmd_ok(P, line, sizeof line, mp_ms(T_CMD), "put 2");
    C = spawn_consumer("consumer 2", pool, H, FB, 1);
    mp_read_ok(C, 20, 1, pid2, &r);
    ph_quit(C, mp_ms(T_CMD));
    ph_quit(P, mp_ms(T_CMD));
    ph_finish();
}
END_TEST

/* ---------------------------------------------------------------- main --- */

static void add(Suite *s, TCase *tc, const TTest *t) { ph_add_case(s, tc, t, 300); }

static Suite *multiprocess_suite(void)
{
    Suite *s = suite_create("multiprocess");
    add(s, tcase_create("torn_frames_stress"), torn_frames_stress);
    add(s, tcase_create("readers_do_not_block_each_other"), readers_do_not_block_each_other);
    add(s, tcase_create("held_frame_put_timeout"), held_frame_put_timeout);
    add(s, tcase_create("killed_consumer_zombie_and_reaped"), killed_consumer_zombie_and_reaped);
    add(s, tcase_create("killed_consumer_random_points"), killed_consumer_random_points);
    add(s, tcase_create("producer_killed_mid_write"), producer_killed_mid_write);
    add(s, tcase_create("full_history_read_during_short_loan"),
        full_history_read_during_short_loan);
    add(s, tcase_create("producer_killed_new_producer_reclaims"),
        producer_killed_new_producer_reclaims);
    add(s, tcase_create("waiter_wakes_when_producer_killed"), waiter_wakes_when_producer_killed);
    add(s, tcase_create("no_leftovers_clean_exit"), no_leftovers_clean_exit);
    add(s, tcase_create("no_leftovers_killed_consumer_touch"), no_leftovers_killed_consumer_touch);
    add(s, tcase_create("no_leftovers_killed_producer_touch"), no_leftovers_killed_producer_touch);
    add(s, tcase_create("destroy_while_consumer_holds_view"), destroy_while_consumer_holds_view);
    add(s, tcase_create("second_producer_refused"), second_producer_refused);
    return s;
}

int main(void) { return ph_run_suite(multiprocess_suite()); }
