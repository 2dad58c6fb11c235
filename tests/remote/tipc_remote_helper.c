/* Plays the processes of the remote-pool tests (the scripts in tests/remote), each in
 * the namespace the script puts it in. Public API only, except the remote
 * module's counters (frames sent, mirrored, rejected), read through the
 * white-box library. One line per event on stdout; exit 0 on success.
 *
 *   produce POOL SHAPE HIST HZ SALT   put pattern frames until SIGTERM, then
 *                                     print "SENT <frame samples written>";
 *                                     "RIVAL <sentence>" once another host
 *                                     announces the same pool"
 *   consume POOL SHAPE HIST MODE N    every consumer feature, content-checked
 *                                     on every frame; "OK ..." or "FAIL ..."
 *                                     (MODE latest|every; stays until SIGTERM
 *                                     after OK when N is negative: |N| frames)
 *   follow POOL SHAPE HIST MODE       "CONNECTED <k>" at each (re)connection,
 *                                     "DISCONNECTED" at each loss, until SIGTERM
 *   probe POOL SHAPE HIST             default options (remote off unless
 *                                     TIPC_REMOTE=1): "ON" when a frame is
 *                                     read within 10 s, else "OFF <sentence>"
 *   hold POOL SHAPE HIST MODE         the mirror's owner holds a view of one
 *                                     frame for 1 s while frames arrive: the
 *                                     mirror fills the other slots, never the
 *                                     held one (its content is checked after);
 *                                     after the release the stream goes on
 *                                     (40 more frames within 5 s): "OK ..."
 *   forged POOL NGOOD NBAD            a consumer of the forger's pool: NGOOD
 *                                     good frames mirrored, NBAD rejected
 * SHAPE is HxWxC (uint8) or a byte count N; frames are at least 24 bytes. */
#include "tensor_ipc.h"

#include "../common/frame_pattern.h"
#include "../common/mono_clock.h"
#include "remote.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile sig_atomic_t g_stop;
static void on_term(int sig) { (void)sig; g_stop = 1; }

static void say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

static int fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("FAIL ");
    vprintf(fmt, ap);
    va_end(ap);
    printf(" (last error: %s)\n", tipc_last_error());
    fflush(stdout);
    return 1;
}

static tipc_metadata *make_md(const char *pool, const char *shape, unsigned hist)
{
    int64_t dims[3];
    size_t nd = 0;
    char *end;
    const char *p = shape;
    do {
        dims[nd++] = strtoll(p, &end, 10);
        p = end + (*end == 'x');
    } while (*end == 'x' && nd < 3);
    tipc_metadata *md = NULL;
    if (tipc_metadata_create(&md, pool, TIPC_DTYPE_UINT8, nd, dims, TIPC_BACKEND_NUMPY, hist,
                             "cpu") != TIPC_OK) {
        fail("metadata %s %s", pool, shape);
        exit(2);
    }
    return md;
}

static int produce(char **a)
{
    tipc_metadata *md = make_md(a[0], a[1], (unsigned)atoi(a[2]));
    double hz = atof(a[3]);
    uint64_t salt = strtoull(a[4], NULL, 10);
    tipc_producer *p;
    if (tipc_producer_create(&p, md, NULL) != TIPC_OK)
        return fail("producer %s", a[0]);
    size_t fb = tipc_metadata_frame_bytes(md);
    unsigned char *buf = malloc(fb);
    say("PRODUCING");
    const int64_t period = (int64_t)(1e9 / hz);
    int64_t next = mono_ns(), next_check = next;
    int rival = 0;
    for (uint64_t k = 0; !g_stop; k++) {
        if (!rival && mono_ns() >= next_check) {
            next_check += 100000000;
            if (tipc_producer_check(p) == TIPC_E_EXISTS) {
                say("RIVAL %s", tipc_last_error());
                rival = 1;
            }
        }
        fp_frame_fill(buf, fb, k, salt);
        uint64_t idx;
        if (tipc_producer_put(p, buf, fb, &idx) != TIPC_OK || idx != k)
            return fail("put %llu", (unsigned long long)k);
        next += period;
        int64_t now = mono_ns();
        if (next > now)
            mono_sleep_ns(next - now);
    }
    say("SENT %llu", (unsigned long long)tipc__remote_sent());
    tipc_producer_destroy(p);
    tipc_metadata_destroy(md);
    free(buf);
    return 0;
}

static tipc_consumer *make_consumer(tipc_metadata *md, const char *mode)
{
    tipc_consumer_options o = TIPC_CONSUMER_OPTIONS_INIT;
    o.remote = 1;
    o.delivery = strcmp(mode, "every") == 0 ? TIPC_DELIVERY_EVERY : TIPC_DELIVERY_LATEST;
    tipc_consumer *c = NULL;
    if (tipc_consumer_create(&c, md, &o) != TIPC_OK) {
        fail("consumer");
        exit(2);
    }
    return c;
}

/* A frame read with its info: whole, and its own index when frames keep the
 * producer's indexes (every-frame delivery). */
static int check_frame(const void *data, size_t fb, const tipc_frame_info *info, int every,
                       uint64_t *k)
{
    if (fp_frame_verify(data, fb, k, NULL) != 0)
        return fail("frame %llu is torn or foreign", (unsigned long long)info->index);
    if (every && *k != info->index)
        return fail("frame %llu holds producer frame %llu", (unsigned long long)info->index,
                    (unsigned long long)*k);
    return 0;
}

struct cb_state {
    tipc_consumer *c;
    size_t fb;
    int every;
    _Atomic int calls, bad;
};

static void on_frame(tipc_consumer *c, uint64_t index, void *user)
{
    struct cb_state *s = user;
    unsigned char *buf = malloc(s->fb);
    tipc_frame_info info;
    uint64_t k;
    if (tipc_consumer_get_frame(c, index, buf, s->fb, &info) == TIPC_OK) {
        if (check_frame(buf, s->fb, &info, s->every, &k) != 0)
            s->bad++;
        else
            s->calls++;
    }
    free(buf);
}

static int consume(char **a)
{
    tipc_metadata *md = make_md(a[0], a[1], (unsigned)atoi(a[2]));
    const int every = strcmp(a[3], "every") == 0;
    long want = atol(a[4]);
    const int hold = want < 0;
    if (hold)
        want = -want;
    const uint32_t H = tipc_metadata_history_len(md);
    const size_t fb = tipc_metadata_frame_bytes(md);
    tipc_consumer *c = make_consumer(md, a[3]);
    unsigned char *buf = malloc(fb * H);
    tipc_frame_info *infos = calloc(H, sizeof *infos);

    /* 1. connect and follow: wait, latest_index, get_frame of every index. */
    int64_t deadline = mono_ns() + 30 * 1000000000LL;
    tipc_status st;
    while ((st = tipc_consumer_wait(c, 200000000)) != TIPC_OK)
        if (mono_ns() > deadline)
            return fail("no frame within 30 s (status %d)", (int)st);
    uint64_t last = 0, k;
    int have = 0;
    long got = 0;
    while (got < want) {
        if ((st = tipc_consumer_wait(c, 5000000000LL)) != TIPC_OK)
            return fail("wait after %ld frames: status %d", got, (int)st);
        uint64_t latest;
        if (tipc_consumer_latest_index(c, &latest) != TIPC_OK)
            return fail("latest_index");
        /* Latest-only reads the newest frame (which marks it seen for
         * wait); every-frame fetches each index since the last one. */
        uint64_t from = have && every ? last + 1 : latest;
        for (uint64_t i = from; i <= latest; i++) {
            tipc_frame_info info;
            st = every ? tipc_consumer_get_frame(c, i, buf, fb, &info)
                       : tipc_consumer_get(c, buf, fb, 1, 0, &info);
            if (st != TIPC_OK)
                return fail("read of %llu (latest %llu): status %d", (unsigned long long)i,
                            (unsigned long long)latest, (int)st);
            if (check_frame(buf, fb, &info, every, &k))
                return 1;
            if (have && k <= last)
                return fail("frame %llu after %llu", (unsigned long long)k,
                            (unsigned long long)last);
            if (have && every && k != last + 1)
                return fail("every-frame delivery skipped from %llu to %llu",
                            (unsigned long long)last, (unsigned long long)k);
            last = k;
            have = 1;
            got++;
        }
        if (every) /* mark what was read seen, for the next wait */
            tipc_consumer_get(c, buf, fb, 1, 0, NULL);
    }

    /* 2. history reads, both orders, both paddings. */
    const unsigned flag_sets[] = {0, TIPC_READ_OLDEST_FIRST, TIPC_READ_PAD_FILL,
                                  TIPC_READ_OLDEST_FIRST | TIPC_READ_PAD_FILL};
    for (size_t f = 0; f < 4; f++) {
        if ((st = tipc_consumer_get(c, buf, fb * H, H, flag_sets[f], infos)) != TIPC_OK)
            return fail("get %u flags %#x", H, flag_sets[f]);
        const int oldest = (flag_sets[f] & TIPC_READ_OLDEST_FIRST) != 0;
        int64_t prev = -1;
        for (uint32_t j = 0; j < H; j++) {
            uint32_t pos = oldest ? j : H - 1 - j; /* oldest to newest */
            if (!infos[pos].valid)
                continue;
            if (check_frame(buf + pos * fb, fb, &infos[pos], every, &k))
                return 1;
            if ((int64_t)infos[pos].index <= prev)
                return fail("history out of order at %u (flags %#x)", pos, flag_sets[f]);
            prev = (int64_t)infos[pos].index;
        }
        if (prev < 0)
            return fail("history read returned no frame");
    }

    /* 3. zero-copy views. */
    tipc_view *v;
    if (tipc_consumer_acquire(c, 4, 0, &v) != TIPC_OK)
        return fail("acquire 4");
    for (uint32_t i = 0; i < tipc_view_count(v); i++) {
        tipc_frame_info info;
        tipc_view_info(v, i, &info);
        if (info.valid && check_frame(tipc_view_data(v, i), fb, &info, every, &k))
            return 1;
    }
    tipc_view_release(v);

    /* 4. callbacks, each frame fetched by index in the callback. */
    struct cb_state s = {c, fb, every, 0, 0};
    if (tipc_consumer_set_callback(c, on_frame, &s) != TIPC_OK)
        return fail("set_callback");
    deadline = mono_ns() + 20 * 1000000000LL;
    while (s.calls < 20 && s.bad == 0 && mono_ns() < deadline)
        mono_sleep_ns(10000000);
    tipc_consumer_set_callback(c, NULL, NULL);
    if (s.bad || s.calls < 20)
        return fail("callbacks: %d good, %d bad", (int)s.calls, (int)s.bad);

    say("OK frames=%ld mirrored=%llu rejected=%llu", got,
        (unsigned long long)tipc__remote_mirrored(), (unsigned long long)tipc__remote_rejected());
    while (hold && !g_stop)
        mono_sleep_ns(20000000);
    tipc_consumer_destroy(c);
    tipc_metadata_destroy(md);
    free(buf);
    free(infos);
    return 0;
}

static int follow(char **a)
{
    tipc_metadata *md = make_md(a[0], a[1], (unsigned)atoi(a[2]));
    const int every = strcmp(a[3], "every") == 0;
    const size_t fb = tipc_metadata_frame_bytes(md);
    tipc_consumer *c = make_consumer(md, a[3]);
    unsigned char *buf = malloc(fb);
    int connected = 0;
    while (!g_stop) {
        tipc_status st = tipc_consumer_wait(c, 100000000);
        if (st == TIPC_E_CLOSED) {
            if (connected)
                say("DISCONNECTED");
            connected = 0;
            continue;
        }
        if (st != TIPC_OK)
            continue;
        tipc_frame_info info;
        uint64_t k;
        st = tipc_consumer_get(c, buf, fb, 1, 0, &info);
        if (st == TIPC_E_CLOSED || st == TIPC_E_NOT_CONNECTED) {
            if (connected)
                say("DISCONNECTED");
            connected = 0;
            continue;
        }
        if (st != TIPC_OK)
            continue;
        if (check_frame(buf, fb, &info, every, &k))
            return 1;
        if (!connected)
            say("CONNECTED %llu", (unsigned long long)k);
        connected = 1;
    }
    tipc_consumer_destroy(c);
    tipc_metadata_destroy(md);
    free(buf);
    return 0;
}

static int probe(char **a)
{
    tipc_metadata *md = make_md(a[0], a[1], (unsigned)atoi(a[2]));
    tipc_consumer *c = NULL;
    if (tipc_consumer_create(&c, md, NULL) != TIPC_OK)
        return fail("consumer");
    tipc_status st = tipc_consumer_wait(c, 10000000000LL);
    if (st == TIPC_OK)
        say("ON");
    else
        say("OFF %s", tipc_last_error());
    tipc_consumer_destroy(c);
    tipc_metadata_destroy(md);
    return 0;
}

/* Latest index of @p c once it is at least @p want, within @p secs. */
static int wait_latest(tipc_consumer *c, uint64_t want, double secs, uint64_t *latest)
{
    const int64_t deadline = mono_ns() + (int64_t)(secs * 1e9);
    do {
        if (tipc_consumer_latest_index(c, latest) == TIPC_OK && *latest >= want)
            return 0;
        tipc_consumer_wait(c, 20000000);
    } while (mono_ns() < deadline);
    return -1;
}

static int hold(char **a)
{
    const unsigned hist = (unsigned)atoi(a[2]);
    tipc_metadata *md = make_md(a[0], a[1], hist);
    tipc_consumer *c = make_consumer(md, a[3]);
    const size_t fb = tipc_metadata_frame_bytes(md);
    uint64_t latest, k0, k1;
    if (wait_latest(c, 0, 20, &latest) != 0)
        return fail("no frame within 20 s");
    tipc_view *v = NULL;
    if (tipc_consumer_acquire(c, 1, 0, &v) != TIPC_OK || !tipc_view_data(v, 0))
        return fail("acquire");
    tipc_frame_info held;
    tipc_view_info(v, 0, &held);
    if (fp_frame_verify(tipc_view_data(v, 0), fb, &k0, NULL) != 0)
        return fail("held frame %llu is torn", (unsigned long long)held.index);
    /* The mirror writes the other hist - 1 slots, then waits for the held one. */
    if (wait_latest(c, held.index + hist - 1, 10, &latest) != 0)
        return fail("the mirror stopped at %llu before the held slot (held %llu)",
                    (unsigned long long)latest, (unsigned long long)held.index);
    mono_sleep_ns(1000000000);
    tipc_consumer_latest_index(c, &latest);
    if (latest >= held.index + hist)
        return fail("frame %llu overwrote the held frame %llu", (unsigned long long)latest,
                    (unsigned long long)held.index);
    if (fp_frame_verify(tipc_view_data(v, 0), fb, &k1, NULL) != 0 || k1 != k0)
        return fail("the held frame changed under its view");
    tipc_view_release(v);
    if (wait_latest(c, latest + 40, 5, &latest) != 0)
        return fail("the stream stopped after the release at %llu", (unsigned long long)latest);
    tipc_frame_info info;
    unsigned char *buf = malloc(fb);
    if (tipc_consumer_get_frame(c, latest, buf, fb, &info) != TIPC_OK ||
        check_frame(buf, fb, &info, 0, &k1) != 0)
        return fail("frame %llu after the release", (unsigned long long)latest);
    say("OK held %llu, stopped at %llu while held, went on to %llu",
        (unsigned long long)held.index, (unsigned long long)held.index + hist - 1,
        (unsigned long long)latest);
    free(buf);
    tipc_consumer_destroy(c);
    tipc_metadata_destroy(md);
    return 0;
}

static int forged(char **a)
{
    tipc_metadata *md = make_md(a[0], "64", 8);
    const uint64_t ngood = strtoull(a[1], NULL, 10), nbad = strtoull(a[2], NULL, 10);
    tipc_consumer *c = make_consumer(md, "every");
    unsigned char buf[64];
    int64_t deadline = mono_ns() + 30 * 1000000000LL;
    uint64_t latest = 0;
    while (mono_ns() < deadline &&
           (tipc_consumer_latest_index(c, &latest) != TIPC_OK || latest + 1 < ngood ||
            tipc__remote_rejected() < nbad))
        tipc_consumer_wait(c, 50000000);
    if (latest + 1 != ngood || tipc__remote_rejected() != nbad ||
        tipc__remote_mirrored() != ngood)
        return fail("latest %llu, mirrored %llu, rejected %llu (want %llu good, %llu bad)",
                    (unsigned long long)latest, (unsigned long long)tipc__remote_mirrored(),
                    (unsigned long long)tipc__remote_rejected(), (unsigned long long)ngood,
                    (unsigned long long)nbad);
    for (uint64_t i = ngood > 8 ? ngood - 8 : 0; i < ngood; i++) {
        tipc_frame_info info;
        uint64_t k;
        if (tipc_consumer_get_frame(c, i, buf, sizeof buf, &info) != TIPC_OK)
            return fail("get_frame %llu", (unsigned long long)i);
        if (check_frame(buf, sizeof buf, &info, 1, &k))
            return 1;
    }
    say("OK mirrored=%llu rejected=%llu", (unsigned long long)tipc__remote_mirrored(),
        (unsigned long long)tipc__remote_rejected());
    tipc_consumer_destroy(c);
    tipc_metadata_destroy(md);
    return 0;
}

int main(int argc, char **argv)
{
    signal(SIGTERM, on_term);
    signal(SIGINT, on_term);
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc >= 7 && !strcmp(argv[1], "produce"))
        return produce(argv + 2);
    if (argc >= 7 && !strcmp(argv[1], "consume"))
        return consume(argv + 2);
    if (argc >= 6 && !strcmp(argv[1], "follow"))
        return follow(argv + 2);
    if (argc >= 5 && !strcmp(argv[1], "probe"))
        return probe(argv + 2);
    if (argc >= 6 && !strcmp(argv[1], "hold"))
        return hold(argv + 2);
    if (argc >= 5 && !strcmp(argv[1], "forged"))
        return forged(argv + 2);
    fprintf(stderr, "usage: see the top of tipc_remote_helper.c\n");
    return 2;
}
