/* The ring's shared-memory updates interrupted between their steps.
 *
 * Built against the white-box library, whose ring has pause points
 * (TIPC_HOOK in ring.c). A forked child runs one operation and stops at a
 * named point; the test then acts from outside (reclaims, attaches, puts)
 * and either lets the child go on or SIGKILLs it there. Every interleaving
 * is reproduced on purpose, not by luck. */
#include "pool.h"
#include "proc.h"
#include "ring.h"
#include "tensor_ipc.h"

#include <check.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define FRAME_BYTES 64
#define DEADLINE_MS 10000

static int counter;

static tipc_metadata *make_md(const char *tag, uint32_t history)
{
    char name[64];
    snprintf(name, sizeof name, "pause/%s-%d-%d", tag, (int)getpid(), counter++);
    int64_t shape[1] = {FRAME_BYTES};
    tipc_metadata *md = NULL;
    ck_assert_int_eq(tipc_metadata_create(&md, name, TIPC_DTYPE_UINT8, 1, shape,
                                          TIPC_BACKEND_NUMPY, history, NULL), TIPC_OK);
    return md;
}

static tipc_producer *make_producer(const tipc_metadata *md, int64_t put_timeout_ns)
{
    tipc_producer_options o = TIPC_PRODUCER_OPTIONS_INIT;
    o.control_plane = 0;
    o.put_timeout_ns = put_timeout_ns;
    tipc_producer *p = NULL;
    ck_assert_int_eq(tipc_producer_create(&p, md, &o), TIPC_OK);
    return p;
}

static tipc_consumer *make_consumer(const tipc_metadata *md)
{
    tipc_consumer_options o = TIPC_CONSUMER_OPTIONS_INIT;
    o.control_plane = 0;
    tipc_consumer *c = NULL;
    ck_assert_int_eq(tipc_consumer_create(&c, md, &o), TIPC_OK);
    return c;
}

static void put(tipc_producer *p, unsigned char value)
{
    unsigned char f[FRAME_BYTES];
    memset(f, value, sizeof f);
    ck_assert_int_eq(tipc_producer_put(p, f, sizeof f, NULL), TIPC_OK);
}

/* The producer's own view of its ring, for white-box checks. */
struct seen_ring {
    struct tipc_pool *pool; /* a mapping without a reader entry */
    void *region;
    uint32_t history;
};

static struct seen_ring ring_of(tipc_producer *p)
{
    /* The producer struct is opaque; map the segment by name instead. */
    const tipc_metadata *md = tipc_producer_metadata(p);
    struct tipc_pool *pool = NULL;
    ck_assert_int_eq(tipc__pool_open(&pool, md, -1), TIPC_OK);
    struct seen_ring r = {pool, pool->seg.ring, tipc_metadata_history_len(md)};
    /* Keep the mapping; drop our reader entry so the table is as before. */
    tipc__ring_free(pool->ring);
    pool->ring = NULL;
    return r;
}

static void forget_ring(struct seen_ring r) { tipc__pool_unref(r.pool); }

static int owner_index(struct seen_ring r, uint64_t identity)
{
    for (int i = 0; i < TIPC_RING_MAX_READERS; i++)
        if (atomic_load(tipc__test_ring_owner(r.region, r.history, i)) == identity)
            return i;
    return -1;
}

static int entries_in_use(struct seen_ring r)
{
    int n = 0;
    for (int i = 0; i < TIPC_RING_MAX_READERS; i++)
        n += atomic_load(tipc__test_ring_owner(r.region, r.history, i)) != 0;
    return n;
}

/* ------------------------------------------------------------ the pause */

static const char *pause_at;
static int to_parent = -1, from_parent = -1;

static void pause_hook(const char *point)
{
    if (!pause_at || strcmp(point, pause_at) != 0)
        return;
    pause_at = NULL; /* once */
    char c = 'P';
    if (write(to_parent, &c, 1) != 1)
        _exit(3);
    if (read(from_parent, &c, 1) != 1) /* until the test says go (or kills us) */
        _exit(4);
}

typedef void (*child_body)(const tipc_metadata *md, int report_fd);

struct paused {
    pid_t pid;
    int from_child; /* 'P' at the pause point, then what the body reports */
    int to_child;
};

/* Fork a child that runs @p body with the pause point armed; return once it
 * has stopped there. */
static struct paused run_until(const char *point, child_body body, const tipc_metadata *md)
{
    int up[2], down[2];
    ck_assert_int_eq(pipe(up), 0);
    ck_assert_int_eq(pipe(down), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        close(up[0]);
        close(down[1]);
        to_parent = up[1];
        from_parent = down[0];
        pause_at = point;
        tipc__test_hook = pause_hook;
        body(md, up[1]);
        char c = 'E'; /* the body ended without meeting the point */
        if (pause_at && write(up[1], &c, 1) != 1)
            _exit(5);
        _exit(0);
    }
    close(up[1]);
    close(down[0]);
    struct paused child = {pid, up[0], down[1]};
    struct pollfd pfd = {up[0], POLLIN, 0};
    ck_assert_msg(poll(&pfd, 1, DEADLINE_MS) == 1, "child never reached %s", point);
    char c = 0;
    ck_assert_int_eq(read(up[0], &c, 1), 1);
    ck_assert_msg(c == 'P', "child ended before reaching %s", point);
    return child;
}

/* Read one byte the child reports, within the deadline. */
static char child_says(struct paused *c)
{
    struct pollfd pfd = {c->from_child, POLLIN, 0};
    ck_assert_int_eq(poll(&pfd, 1, DEADLINE_MS), 1);
    char b = 0;
    ck_assert_int_eq(read(c->from_child, &b, 1), 1);
    return b;
}

static void let_go(struct paused *c)
{
    char b = 'G';
    ck_assert_int_eq(write(c->to_child, &b, 1), 1);
}

static void kill_and_reap(struct paused *c)
{
    kill(c->pid, SIGKILL);
    int st;
    ck_assert_int_eq(waitpid(c->pid, &st, 0), c->pid);
    ck_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    close(c->from_child);
    close(c->to_child);
}

static void finish(struct paused *c)
{
    let_go(c);
    int st;
    ck_assert_int_eq(waitpid(c->pid, &st, 0), c->pid);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child failed (status %#x)", st);
    close(c->from_child);
    close(c->to_child);
}

/* ------------------------------------------------------------ bodies */

/* Connect, then hold the latest frame and say 'H'; wait to be told to end. */
static void attach_and_hold(const tipc_metadata *md, int report_fd)
{
    tipc_consumer *c = make_consumer(md);
    tipc_view *v = NULL;
    if (tipc_consumer_acquire(c, 1, 0, &v) != TIPC_OK)
        _exit(10);
    char b = 'H';
    if (write(report_fd, &b, 1) != 1)
        _exit(11);
    if (read(from_parent, &b, 1) < 0)
        _exit(12);
    tipc_view_release(v);
    tipc_consumer_destroy(c);
}

/* Connect and disconnect (detach), having held a frame. */
static void attach_hold_detach(const tipc_metadata *md, int report_fd)
{
    (void)report_fd;
    tipc_consumer *c = make_consumer(md);
    tipc_view *v = NULL;
    if (tipc_consumer_acquire(c, 1, 0, &v) != TIPC_OK)
        _exit(10);
    tipc_view_release(v);
    tipc_consumer_destroy(c);
}

/* Open the pool as a reader and reclaim dead readers' entries. */
static void reclaim_dead(const tipc_metadata *md, int report_fd)
{
    (void)report_fd;
    struct tipc_pool *pool = NULL;
    if (tipc__pool_open(&pool, md, -1) != TIPC_OK)
        _exit(10);
    tipc__ring_reclaim(pool->ring, 0);
    tipc__pool_unref(pool);
}

/* ------------------------------------------------------------ tests */

/* Defect: a reader claimed its entry in two steps; a reap between them freed
 * the entry, a second reader took it, and the producer overwrote a frame the
 * first still held. Now the claim is one step: a reap at that point sees a
 * live owner, the second reader gets another entry, and the first reader's
 * hold stops the producer. */
START_TEST(claim_survives_reap_between_steps)
{
    tipc_metadata *md = make_md("claim", 2);
    tipc_producer *p = make_producer(md, 200 * 1000000LL);
    put(p, 1);
    struct seen_ring r = ring_of(p);

    struct paused a = run_until("attach.claimed", attach_and_hold, md);
    uint64_t a_id = tipc__proc_identity(a.pid, tipc__proc_start_time(a.pid));
    int a_entry = owner_index(r, a_id);
    ck_assert_int_ge(a_entry, 0);
    /* The reap runs exactly between the claim's steps. */
    struct tipc_pool *pool = NULL;
    ck_assert_int_eq(tipc__pool_open(&pool, md, -1), TIPC_OK);
    tipc__ring_reclaim(pool->ring, 0);
    ck_assert_int_eq(owner_index(r, a_id), a_entry);
    /* A second reader comes and goes, holding and releasing a frame. */
    tipc_consumer *b = make_consumer(md);
    tipc_view *bv = NULL;
    ck_assert_int_eq(tipc_consumer_acquire(b, 1, 0, &bv), TIPC_OK);
    ck_assert_int_ne(owner_index(r, tipc__proc_self_identity()), a_entry);
    tipc_view_release(bv);
    tipc_consumer_destroy(b);
    tipc__pool_unref(pool);

    /* The first reader goes on and holds frame 0 (slot 0). */
    let_go(&a);
    ck_assert_int_eq(child_says(&a), 'H');
    put(p, 2); /* slot 1 */
    unsigned char f[FRAME_BYTES] = {3};
    ck_assert_int_eq(tipc_producer_put(p, f, sizeof f, NULL), TIPC_E_TIMEOUT); /* slot 0: held */
    char pid[32];
    snprintf(pid, sizeof pid, "pid %d", (int)a.pid);
    ck_assert_ptr_nonnull(strstr(tipc_last_error(), pid));
    finish(&a);
    put(p, 3); /* released: now it goes through */
    forget_ring(r);
    tipc_producer_destroy(p);
    tipc_metadata_destroy(md);
}
END_TEST

/* Defect: a reader killed between the steps of attach or detach left an entry
 * that nothing reclaimed; 64 such deaths locked every reader out. Now kill
 * 70 readers at every pause point of attach, hold, detach and reclaim (the
 * producer idle throughout): afterwards 64 readers still connect. */
START_TEST(killed_between_steps_never_leaks_entries)
{
    tipc_metadata *md = make_md("leak", 2);
    tipc_producer *p = make_producer(md, -1);
    put(p, 1);
    struct seen_ring r = ring_of(p);
    static const struct {
        const char *point;
        child_body body;
    } plan[] = {
        {"attach.claimed", attach_and_hold},
        {"hold.marked", attach_and_hold},
        {"detach.cleared", attach_hold_detach},
        {"reclaim.claimed", reclaim_dead},
        {"reclaim.cleared", reclaim_dead},
    };
    for (int k = 0; k < 70; k++) {
        struct paused c = run_until(plan[k % 5].point, plan[k % 5].body, md);
        kill_and_reap(&c);
    }
    /* Nothing reclaimed them yet but the readers themselves. */
    tipc_consumer *live[TIPC_RING_MAX_READERS];
    for (int i = 0; i < TIPC_RING_MAX_READERS; i++) {
        live[i] = make_consumer(md);
        ck_assert_msg(tipc_consumer_connect(live[i]) == TIPC_OK, "reader %d: %s", i,
                      tipc_last_error());
    }
    ck_assert_int_eq(entries_in_use(r), TIPC_RING_MAX_READERS);
    tipc_consumer *extra = make_consumer(md);
    ck_assert_int_eq(tipc_consumer_connect(extra), TIPC_E_LIMIT);
    ck_assert_ptr_nonnull(strstr(tipc_last_error(), "held by live processes"));
    tipc_consumer_destroy(extra);
    for (int i = 0; i < TIPC_RING_MAX_READERS; i++)
        tipc_consumer_destroy(live[i]);
    ck_assert_int_eq(entries_in_use(r), 0);
    put(p, 2); /* and the producer was never blocked */
    put(p, 3);
    forget_ring(r);
    tipc_producer_destroy(p);
    tipc_metadata_destroy(md);
}
END_TEST

/* Defect: readers SIGKILLed while holding views kept their entries until the
 * producer's next put; a pool written once locked new readers out. Now a
 * reader that finds the table full reclaims dead entries itself. */
START_TEST(dead_holders_reclaimed_while_producer_idle)
{
    tipc_metadata *md = make_md("idle", 3);
    tipc_producer *p = make_producer(md, -1);
    put(p, 7);
    struct seen_ring r = ring_of(p);
    for (int i = 0; i < TIPC_RING_MAX_READERS; i++) {
        struct paused c = run_until("hold.marked", attach_and_hold, md);
        let_go(&c);
        ck_assert_int_eq(child_says(&c), 'H'); /* holding frame 0 */
        kill_and_reap(&c);
    }
    ck_assert_int_eq(entries_in_use(r), TIPC_RING_MAX_READERS);
    ck_assert_uint_ne(atomic_load(tipc__test_ring_holders(r.region, r.history, 0)), 0);
    tipc_consumer *c = make_consumer(md);
    unsigned char f[FRAME_BYTES];
    ck_assert_msg(tipc_consumer_get(c, f, sizeof f, 1, 0, NULL) == TIPC_OK, "%s",
                  tipc_last_error());
    ck_assert_uint_eq(f[0], 7);
    tipc_consumer_destroy(c);
    /* Every dead holder's bits went with its entry. */
    ck_assert_uint_eq(atomic_load(tipc__test_ring_holders(r.region, r.history, 0)), 0);
    ck_assert_int_eq(entries_in_use(r), 0);
    forget_ring(r);
    tipc_producer_destroy(p);
    tipc_metadata_destroy(md);
}
END_TEST

/* Produce frame 0 (value 1) with the pause disarmed, then frame 1 (value 2). */
static void produce_two(const tipc_metadata *md, int report_fd)
{
    (void)report_fd;
    const char *point = pause_at;
    pause_at = NULL;
    tipc_producer *p = make_producer(md, -1);
    put(p, 1);
    pause_at = point;
    put(p, 2);
    tipc_producer_destroy(p);
}

/* A producer killed between publishing a slot and the write count, or while
 * writing a frame: readers see only whole frames announced by the count, and
 * a new producer of the pool starts cleanly. */
START_TEST(producer_killed_between_write_steps)
{
    static const char *points[] = {"write.marked", "commit.slot"};
    for (int k = 0; k < 2; k++) {
        tipc_metadata *md = make_md("commit", 2);
        struct paused w = run_until(points[k], produce_two, md);
        tipc_consumer *c = make_consumer(md);
        unsigned char f[2 * FRAME_BYTES];
        tipc_frame_info info[2];
        ck_assert_int_eq(tipc_consumer_get(c, f, sizeof f, 2, 0, info), TIPC_OK);
        ck_assert_uint_eq(info[0].index, 0); /* frame 1 is not announced yet */
        ck_assert_uint_eq(f[0], 1);
        ck_assert_int_eq(info[1].valid, 0);
        kill_and_reap(&w);
        tipc_consumer_destroy(c);
        tipc_producer *p = make_producer(md, -1); /* reclaims the dead one's segment */
        c = make_consumer(md);
        uint64_t index = 99;
        memset(f, 5, FRAME_BYTES);
        ck_assert_int_eq(tipc_producer_put(p, f, FRAME_BYTES, &index), TIPC_OK);
        ck_assert_uint_eq(index, 0);
        ck_assert_int_eq(tipc_consumer_get(c, f, FRAME_BYTES, 1, 0, NULL), TIPC_OK);
        ck_assert_uint_eq(f[0], 5);
        tipc_consumer_destroy(c);
        tipc_producer_destroy(p);
        tipc_metadata_destroy(md);
    }
}
END_TEST

static Suite *pauses_suite(void)
{
    Suite *s = suite_create("ring_pauses");
    TCase *tc;
    tc = tcase_create("claim_survives_reap_between_steps");
    tcase_add_test(tc, claim_survives_reap_between_steps);
    suite_add_tcase(s, tc);
    tc = tcase_create("killed_between_steps_never_leaks_entries");
    tcase_add_test(tc, killed_between_steps_never_leaks_entries);
    tcase_set_timeout(tc, 120);
    suite_add_tcase(s, tc);
    tc = tcase_create("dead_holders_reclaimed_while_producer_idle");
    tcase_add_test(tc, dead_holders_reclaimed_while_producer_idle);
    tcase_set_timeout(tc, 120);
    suite_add_tcase(s, tc);
    tc = tcase_create("producer_killed_between_write_steps");
    tcase_add_test(tc, producer_killed_between_write_steps);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(pauses_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
