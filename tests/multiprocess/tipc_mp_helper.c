/* tipc_mp_helper: the separate processes of the multiprocess tests.
 *
 *   tipc_mp_helper <command> <pool> <history_len> <frame_bytes> [args...]
 *
 * Interactive commands read one request per line on stdin and answer one
 * line on stdout ("ok ..." or "err <WHAT> ..."). End of stdin means quit.
 *
 *   producer [put_timeout_ms]   create the pool, answer "ok ready <pid>"
 *                               (or "err create <STATUS> <sentence>", exit 3), then:
 *       put <n>                 put n pattern frames -> "ok <last index> <max put us>"
 *       stream <min_frames>     put at full speed (every 4th frame through
 *                               loan/commit) until "stop" arrived and at least
 *                               min_frames were put -> "ok <frames> <max put us>"
 *       loan-half               loan the next slot, fill its first half with
 *                               0xEE and keep the loan -> "ok <frames written>"
 *       loan                    loan the next slot and write the whole next
 *                               pattern frame into it -> "ok <its index>"
 *       commit                  commit the loan -> "ok <index>"
 *       destroy                 tipc_producer_destroy -> "ok"
 *       quit                    destroy (if needed) and exit 0
 *   consumer                    create a consumer, answer "ok created", then:
 *       connect <timeout_ms>    retry tipc_consumer_connect -> "ok" / "err <STATUS> ..."
 *       read <n> <idx> <salt> [modes]
 *                               n reads cycling get/acquire x history 1/N/half,
 *                               every frame verified; idx (or -1) is the newest
 *                               index each read must return, salt (or 0) the
 *                               producer pid frames must carry; modes is a bit
 *                               mask of the read kinds to cycle (default 0x3f):
 *                               1 get 1, 2 get N, 4 get half oldest first,
 *                               8 acquire 1, 16 acquire N, 32 acquire half
 *                               -> "ok <elapsed ns> <newest> <salt> <short reads>"
 *                               or "err <STATUS|TORN|INDEX|ORDER|MONO|PAD|MIXED|EXPECT> ..."
 *       hold <count> [oldest]   acquire and keep a view -> "ok <index or -1 per frame>"
 *       check                   re-verify every kept view -> "ok <views>"
 *       release                 release every kept view -> "ok"
 *       wait <timeout_ms>       tipc_consumer_wait -> "ok <elapsed ns>" / "err <STATUS> <elapsed ns>"
 *       spin                    answer "ok", then read in a loop until killed
 *                               (exit 1 on a torn frame)
 *       quit                    release, destroy, exit 0
 *   stress-consumer <min_index> <min_reads> <timeout_ms>
 *                               connect, answer "ok ready", read until a frame
 *                               with index >= min_index-1 was seen and min_reads
 *                               reads were made, then print
 *                               "result reads=... torn=... ..." and exit 0
 *                               ("short": history reads that returned fewer
 *                               frames than were written, the rest padding)
 *                               (1: a verification failed, 4: deadline)
 *   try-create                  tipc_producer_create once -> "result <STATUS> <sentence>",
 *                               destroy on success, exit 0
 *   touch-consumer              create a consumer, connect once ->
 *                               "result <STATUS> <sentence>", destroy, exit 0
 *
 * Every helper exits on its own after MP_HELPER_LIMIT_S seconds (SIGALRM) so
 * that nothing outlives a broken test; the tests also give it PDEATHSIG.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helper_io.h"
#include "mp_common.h"
#include "tensor_ipc.h"

#define MP_HELPER_LIMIT_S 600

static const char *g_pool;
static uint32_t g_hist;
static size_t g_fb;
static tipc_metadata *g_md;

/* ----------------------------------------------------------- producer --- */

static int producer_main(int argc, char **argv)
{
    tipc_producer_options opts;
    tipc_producer_options_init(&opts, TIPC_PRODUCER_OPTIONS_VERSION);
    opts.put_timeout_ns = (argc > 0 ? strtoll(argv[0], NULL, 10) : 5000) * 1000000LL;
    tipc_producer *p = NULL;
    tipc_status st = tipc_producer_create(&p, g_md, &opts);
    if (st != TIPC_OK) {
        hio_reply("err create %s %s", tipc_status_name(st), hio_last_error());
        return 3;
    }
    const uint64_t salt = (uint64_t)getpid();
    unsigned char *frame = malloc(g_fb);
    if (!frame)
        return 3;
    hio_reply("ok ready %ld", (long)getpid());

    char line[256];
    int rc = 0;
    for (;;) {
        int r = hio_read_line(line, sizeof line, -1);
        if (r != 1)
            break;
        char cmd[32] = "";
        long long a = 0;
        sscanf(line, "%31s %lld", cmd, &a);
        if (!strcmp(cmd, "put") || !strcmp(cmd, "stream")) {
            int stream = !strcmp(cmd, "stream");
            int64_t max_put = 0;
            uint64_t done = 0;
            int stop = 0;
            const char *err = NULL;
            for (;;) {
                if (!stream && done >= (uint64_t)a)
                    break;
                if (stream && (done & 63) == 0 && !stop) {
                    char l2[64];
                    if (hio_read_line(l2, sizeof l2, 0) == 1 && !strncmp(l2, "stop", 4))
                        stop = 1;
                    else if (hio_eof())
                        stop = 1;
                }
                if (stream && stop && done >= (uint64_t)a)
                    break;
                uint64_t k = tipc_producer_frames_written(p), idx = UINT64_MAX;
                int64_t t0 = mono_ns();
                if (stream && (k & 3) == 3) {
                    void *slot = NULL;
                    size_t sz = 0;
                    st = tipc_producer_loan(p, &slot, &sz);
                    if (st == TIPC_OK) {
                        if (sz != g_fb) {
                            err = "loan size";
                            break;
                        }
                        fp_frame_fill(slot, g_fb, k, salt);
                        st = tipc_producer_commit(p, &idx);
                    }
                } else {
                    fp_frame_fill(frame, g_fb, k, salt);
                    st = tipc_producer_put(p, frame, g_fb, &idx);
                }
                int64_t dt = mono_ns() - t0;
                if (st != TIPC_OK)
                    break;
                if (idx != k) {
                    err = "index";
                    break;
                }
                if (dt > max_put)
                    max_put = dt;
                done++;
            }
            if (st != TIPC_OK)
                hio_reply("err %s after %" PRIu64 " frames: %s", tipc_status_name(st), done,
                          hio_last_error());
            else if (err)
                hio_reply("err %s after %" PRIu64 " frames", err, done);
            else
                hio_reply("ok %" PRIu64 " %lld", stream ? tipc_producer_frames_written(p)
                                                    : tipc_producer_frames_written(p) - 1,
                          (long long)(max_put / 1000));
        } else if (!strcmp(cmd, "loan-half") || !strcmp(cmd, "loan")) {
            void *slot = NULL;
            size_t sz = 0;
            st = tipc_producer_loan(p, &slot, &sz);
            if (st != TIPC_OK) {
                hio_reply("err %s %s", tipc_status_name(st), hio_last_error());
            } else {
                if (!strcmp(cmd, "loan-half")) /* a new frame starting to be written */
                    memset(slot, MP_TORN_BYTE, sz / 2);
                else
                    fp_frame_fill(slot, g_fb, tipc_producer_frames_written(p), salt);
                hio_reply("ok %" PRIu64, tipc_producer_frames_written(p));
            }
        } else if (!strcmp(cmd, "commit")) {
            uint64_t idx = UINT64_MAX;
            st = tipc_producer_commit(p, &idx);
            if (st != TIPC_OK)
                hio_reply("err %s %s", tipc_status_name(st), hio_last_error());
            else
                hio_reply("ok %" PRIu64, idx);
        } else if (!strcmp(cmd, "destroy")) {
            tipc_producer_destroy(p);
            p = NULL;
            hio_reply("ok");
            /* Nothing else may be asked of a destroyed producer but quit. */
        } else if (!strcmp(cmd, "quit")) {
            break;
        } else {
            hio_reply("err usage unknown command '%s'", cmd);
        }
        if (!p) {
            /* after destroy only quit/EOF is meaningful */
            while ((r = hio_read_line(line, sizeof line, -1)) == 1 && strncmp(line, "quit", 4))
                hio_reply("err usage destroyed");
            break;
        }
    }
    tipc_producer_destroy(p);
    free(frame);
    return rc;
}

/* ----------------------------------------------------------- consumer --- */

enum { V_OK = 0, V_STATUS, V_TORN, V_INDEX, V_ORDER, V_MONO, V_PAD, V_MIXED, V_EXPECT };
static const char *const v_names[] = { "OK",    "STATUS", "TORN",  "INDEX",
                                       "ORDER", "MONO",   "PAD",   "MIXED", "EXPECT" };

struct rd {
    uint64_t newest;     /* newest index of the last successful read */
    uint64_t salt;       /* salt of the last successful read */
    int have;            /* newest/salt are set */
    int short_read;      /* the last read had fewer valid frames than it could */
    tipc_status status;  /* library status when V_STATUS */
    char detail[256];
};

#define NMODES 6
/* mode: 0 get 1, 1 get N latest first, 2 get half oldest first,
 *       3 acquire 1, 4 acquire N latest first, 5 acquire half oldest first */
static uint32_t mode_count(int mode)
{
    switch (mode % 3) {
    case 0: return 1;
    case 1: return g_hist;
    default: return (g_hist + 1) / 2;
    }
}

/* Check one read: frames[i], info[i] in the order returned. */
static int verify_read(struct rd *rd, uint32_t count, int oldest_first, int is_view,
                       const unsigned char *const *frames, const tipc_frame_info *info)
{
    uint64_t newest = 0, salt = 0;
    uint32_t nvalid = 0;
    int seen_pad = 0;
    for (uint32_t j = 0; j < count; j++) {
        /* j walks latest first */
        uint32_t i = oldest_first ? count - 1 - j : j;
        const unsigned char *f = frames[i];
        if (!info[i].valid) {
            seen_pad = 1;
            if (is_view ? f != NULL : !fp_all_bytes(f, g_fb, 0)) {
                snprintf(rd->detail, sizeof rd->detail,
                         "padding entry %u of %u holds data", i, count);
                return V_PAD;
            }
            continue;
        }
        if (seen_pad) {
            snprintf(rd->detail, sizeof rd->detail,
                     "valid entry %u after padding (count %u, %s first)", i, count,
                     oldest_first ? "oldest" : "latest");
            return V_ORDER;
        }
        if (!f) {
            snprintf(rd->detail, sizeof rd->detail, "valid entry %u has NULL data", i);
            return V_PAD;
        }
        uint64_t k = 0, s = 0; /* set by fp_frame_verify, for the report */
        if (fp_frame_verify(f, g_fb, &k, &s) != 0) {
            snprintf(rd->detail, sizeof rd->detail,
                     "torn frame: entry %u of %u, info.index %" PRIu64 ", counter %" PRIu64
                     ", first byte 0x%02x, middle byte 0x%02x, last byte 0x%02x",
                     i, count, info[i].index, k, f[0], f[g_fb / 2], f[g_fb - 1]);
            return V_TORN;
        }
        if (k != info[i].index) {
            snprintf(rd->detail, sizeof rd->detail,
                     "entry %u: info.index %" PRIu64 " but the frame is frame %" PRIu64, i,
                     info[i].index, k);
            return V_INDEX;
        }
        if (nvalid == 0) {
            newest = k;
            salt = s;
        } else {
            if (s != salt) {
                snprintf(rd->detail, sizeof rd->detail,
                         "one read mixes producers %" PRIu64 " and %" PRIu64, salt, s);
                return V_MIXED;
            }
            if (k != newest - j) {
                snprintf(rd->detail, sizeof rd->detail,
                         "history not consecutive: newest %" PRIu64 ", position %u holds %" PRIu64,
                         newest, j, k);
                return V_ORDER;
            }
        }
        nvalid++;
    }
    if (nvalid == 0) {
        snprintf(rd->detail, sizeof rd->detail, "read returned OK with no valid frame");
        return V_PAD;
    }
    uint64_t possible = newest + 1 < count ? newest + 1 : count;
    rd->short_read = nvalid < possible;
    if (rd->have && rd->salt == salt && newest < rd->newest) {
        snprintf(rd->detail, sizeof rd->detail,
                 "newest index went back from %" PRIu64 " to %" PRIu64, rd->newest, newest);
        return V_MONO;
    }
    rd->have = 1;
    rd->newest = newest;
    rd->salt = salt;
    return V_OK;
}

static unsigned char *g_dst;
static tipc_frame_info *g_info;
static const unsigned char **g_ptrs;

static int do_read(tipc_consumer *c, int mode, struct rd *rd)
{
    uint32_t count = mode_count(mode);
    unsigned flags = (mode % 3 == 2) ? TIPC_READ_OLDEST_FIRST : 0;
    rd->detail[0] = '\0';
    rd->short_read = 0;
    if (mode < 3) {
        memset(g_info, 0xA5, sizeof *g_info * count);
        tipc_status st = tipc_consumer_get(c, g_dst, count * g_fb, count, flags, g_info);
        if (st != TIPC_OK) {
            rd->status = st;
            snprintf(rd->detail, sizeof rd->detail, "%s", hio_last_error());
            return V_STATUS;
        }
        for (uint32_t i = 0; i < count; i++)
            g_ptrs[i] = g_dst + (size_t)i * g_fb;
        return verify_read(rd, count, flags != 0, 0, g_ptrs, g_info);
    }
    tipc_view *v = NULL;
    tipc_status st = tipc_consumer_acquire(c, count, flags, &v);
    if (st != TIPC_OK) {
        rd->status = st;
        snprintf(rd->detail, sizeof rd->detail, "%s", hio_last_error());
        return V_STATUS;
    }
    int res = V_OK;
    if (tipc_view_count(v) != count || tipc_view_frame_bytes(v) != g_fb) {
        snprintf(rd->detail, sizeof rd->detail, "view count %u frame_bytes %zu",
                 tipc_view_count(v), tipc_view_frame_bytes(v));
        res = V_PAD;
    } else {
        for (uint32_t i = 0; i < count && res == V_OK; i++) {
            g_ptrs[i] = tipc_view_data(v, i);
            if (tipc_view_info(v, i, &g_info[i]) != TIPC_OK) {
                snprintf(rd->detail, sizeof rd->detail, "tipc_view_info(%u) failed", i);
                res = V_PAD;
            }
        }
        if (res == V_OK)
            res = verify_read(rd, count, flags != 0, 1, g_ptrs, g_info);
    }
    tipc_view_release(v);
    return res;
}

#define MAX_HELD 64
struct held {
    tipc_view *v;
    uint64_t idx[64];
    int valid[64];
    uint32_t count;
};

static int consumer_main(void)
{
    tipc_consumer *c = NULL;
    tipc_status st = tipc_consumer_create(&c, g_md, NULL);
    if (st != TIPC_OK) {
        hio_reply("err create %s %s", tipc_status_name(st), hio_last_error());
        return 3;
    }
    hio_reply("ok created");
    static struct held held[MAX_HELD];
    int nheld = 0;
    struct rd rd;
    memset(&rd, 0, sizeof rd);
    char line[256];
    int mode = 0;
    for (;;) {
        if (hio_read_line(line, sizeof line, -1) != 1)
            break;
        char cmd[32] = "";
        long long a = 0, b = -1, s = 0, modes = 0x3f;
        char word[32] = "";
        sscanf(line, "%31s %lld %lld %lld %lli", cmd, &a, &b, &s, &modes);
        if (!(modes & 0x3f))
            modes = 0x3f;
        if (!strcmp(cmd, "connect")) {
            int64_t deadline = mono_ns() + a * 1000000LL;
            for (;;) {
                st = tipc_consumer_connect(c);
                if (st == TIPC_OK || mono_ns() > deadline)
                    break;
                mono_sleep_ns(1000000);
            }
            if (st == TIPC_OK)
                hio_reply("ok");
            else
                hio_reply("err %s %s", tipc_status_name(st), hio_last_error());
        } else if (!strcmp(cmd, "read")) {
            int64_t t0 = mono_ns();
            int res = V_OK;
            long long shorts = 0;
            for (long long i = 0; i < a && res == V_OK; i++) {
                while (!(modes & (1 << mode)))
                    mode = (mode + 1) % NMODES;
                res = do_read(c, mode, &rd);
                mode = (mode + 1) % NMODES;
                if (res != V_OK)
                    break;
                shorts += rd.short_read;
                if (b >= 0 && rd.newest != (uint64_t)b) {
                    snprintf(rd.detail, sizeof rd.detail,
                             "newest index %" PRIu64 ", expected %lld", rd.newest, b);
                    res = V_EXPECT;
                } else if (s != 0 && rd.salt != (uint64_t)s) {
                    snprintf(rd.detail, sizeof rd.detail,
                             "frame from producer %" PRIu64 ", expected %lld", rd.salt, s);
                    res = V_EXPECT;
                }
            }
            int64_t dt = mono_ns() - t0;
            if (res == V_STATUS)
                hio_reply("err %s mode %d: %s", tipc_status_name(rd.status),
                          (mode + NMODES - 1) % NMODES, rd.detail);
            else if (res != V_OK)
                hio_reply("err %s mode %d: %s", v_names[res], (mode + NMODES - 1) % NMODES,
                          rd.detail);
            else
                hio_reply("ok %lld %" PRIu64 " %" PRIu64 " %lld", (long long)dt, rd.newest, rd.salt,
                          shorts);
        } else if (!strcmp(cmd, "hold")) {
            sscanf(line, "%31s %lld %31s", cmd, &a, word);
            int oldest = !strcmp(word, "oldest");
            if (nheld == MAX_HELD || a < 1 || a > 64) {
                hio_reply("err usage hold");
                continue;
            }
            tipc_view *v = NULL;
            st = tipc_consumer_acquire(c, (uint32_t)a, oldest ? TIPC_READ_OLDEST_FIRST : 0, &v);
            if (st != TIPC_OK) {
                hio_reply("err %s %s", tipc_status_name(st), hio_last_error());
                continue;
            }
            struct held *h = &held[nheld];
            h->v = v;
            h->count = (uint32_t)a;
            int res = V_OK;
            for (uint32_t i = 0; i < h->count; i++) {
                g_ptrs[i] = tipc_view_data(v, i);
                tipc_view_info(v, i, &g_info[i]);
                h->valid[i] = g_ptrs[i] != NULL && g_info[i].valid;
                h->idx[i] = g_info[i].index;
            }
            struct rd hr;
            memset(&hr, 0, sizeof hr);
            res = verify_read(&hr, h->count, oldest, 1, g_ptrs, g_info);
            if (res != V_OK) {
                tipc_view_release(v);
                hio_reply("err %s hold: %s", v_names[res], hr.detail);
                continue;
            }
            nheld++;
            char out[900];
            size_t o = (size_t)snprintf(out, sizeof out, "ok");
            for (uint32_t i = 0; i < h->count && o < sizeof out - 24; i++)
                o += (size_t)snprintf(out + o, sizeof out - o, h->valid[i] ? " %" PRIu64 : " -1",
                                      h->idx[i]);
            hio_reply("%s", out);
        } else if (!strcmp(cmd, "check")) {
            int bad = 0;
            for (int j = 0; j < nheld && !bad; j++) {
                for (uint32_t i = 0; i < held[j].count && !bad; i++) {
                    if (!held[j].valid[i])
                        continue;
                    const unsigned char *f = tipc_view_data(held[j].v, i);
                    uint64_t k;
                    if (!f || fp_frame_verify(f, g_fb, &k, NULL) != 0 || k != held[j].idx[i]) {
                        hio_reply("err TORN held view %d frame %u (index %" PRIu64 ") changed", j,
                                  i, held[j].idx[i]);
                        bad = 1;
                    }
                }
            }
            if (!bad)
                hio_reply("ok %d", nheld);
        } else if (!strcmp(cmd, "release")) {
            for (int j = 0; j < nheld; j++)
                tipc_view_release(held[j].v);
            nheld = 0;
            hio_reply("ok");
        } else if (!strcmp(cmd, "wait")) {
            hio_wait(c, a * 1000000LL);
        } else if (!strcmp(cmd, "spin")) {
            hio_reply("ok");
            for (;;) {
                int res = do_read(c, mode, &rd);
                mode = (mode + 1) % NMODES;
                if (res != V_OK && res != V_STATUS) {
                    fprintf(stderr, "tipc_mp_helper spin: %s: %s\n", v_names[res], rd.detail);
                    _exit(1);
                }
            }
        } else if (!strcmp(cmd, "quit")) {
            break;
        } else {
            hio_reply("err usage unknown command '%s'", cmd);
        }
    }
    for (int j = 0; j < nheld; j++)
        tipc_view_release(held[j].v);
    tipc_consumer_destroy(c);
    return 0;
}

static int stress_consumer_main(int argc, char **argv)
{
    if (argc < 3)
        return 2;
    uint64_t min_index = strtoull(argv[0], NULL, 10);
    uint64_t min_reads = strtoull(argv[1], NULL, 10);
    int64_t deadline = mono_ns() + strtoll(argv[2], NULL, 10) * 1000000LL;
    tipc_consumer *c = NULL;
    tipc_status st = tipc_consumer_create(&c, g_md, NULL);
    if (st == TIPC_OK) {
        do {
            st = tipc_consumer_connect(c);
            if (st != TIPC_OK)
                mono_sleep_ns(1000000);
        } while (st != TIPC_OK && mono_ns() < deadline);
    }
    if (st != TIPC_OK) {
        hio_reply("err connect %s %s", tipc_status_name(st), hio_last_error());
        tipc_consumer_destroy(c);
        return 3;
    }
    hio_reply("ok ready");
    uint64_t reads = 0, per_mode[NMODES] = { 0 }, short_mode[NMODES] = { 0 }, nodata = 0;
    uint64_t shorts = 0, waits = 0;
    uint64_t distinct = 0, counts[9] = { 0 }, max_idx = 0;
    int have_max = 0;
    char first_err[300] = "";
    struct rd rd;
    memset(&rd, 0, sizeof rd);
    int mode = 0, timed_out = 0;
    for (uint64_t it = 0;; it++) {
        if (have_max && max_idx + 1 >= min_index && reads >= min_reads)
            break;
        if ((it & 255) == 0 && mono_ns() > deadline) {
            timed_out = 1;
            break;
        }
        if ((it & 15) == 15) {
            /* the futex path under load: any of OK / TIMEOUT is fine */
            st = tipc_consumer_wait(c, 1000000);
            waits++;
            if (st != TIPC_OK && st != TIPC_E_TIMEOUT) {
                counts[V_STATUS]++;
                if (!first_err[0])
                    snprintf(first_err, sizeof first_err, "wait: %s %s", tipc_status_name(st),
                             hio_last_error());
            }
            continue;
        }
        uint64_t before = rd.newest;
        int had = rd.have;
        int res = do_read(c, mode, &rd);
        if (res == V_STATUS && rd.status == TIPC_E_NO_DATA) {
            nodata++;
        } else if (res == V_OK) {
            reads++;
            per_mode[mode]++;
            shorts += rd.short_read;
            short_mode[mode] += rd.short_read;
            if (!had || rd.newest != before)
                distinct++;
            if (!have_max || rd.newest > max_idx)
                max_idx = rd.newest;
            have_max = 1;
        } else {
            counts[res]++;
            if (!first_err[0])
                snprintf(first_err, sizeof first_err, "%s mode %d: %s",
                         res == V_STATUS ? tipc_status_name(rd.status) : v_names[res], mode,
                         rd.detail);
            if (res == V_STATUS) /* e.g. CLOSED: nothing more to read */
                break;
        }
        mode = (mode + 1) % NMODES;
    }
    uint64_t errors = 0;
    for (int i = 1; i < 9; i++)
        errors += counts[i];
    hio_reply("result reads=%" PRIu64 " get1=%" PRIu64 " getN=%" PRIu64 " gethalf=%" PRIu64
              " acq1=%" PRIu64 " acqN=%" PRIu64 " acqhalf=%" PRIu64 " waits=%" PRIu64
              " nodata=%" PRIu64 " short=%" PRIu64 " (getN %" PRIu64 " gethalf %" PRIu64
              " acqN %" PRIu64 " acqhalf %" PRIu64 ") distinct=%" PRIu64 " maxidx=%" PRIu64
              " torn=%" PRIu64 " badidx=%" PRIu64 " order=%" PRIu64 " nonmono=%" PRIu64
              " pad=%" PRIu64 " mixed=%" PRIu64 " status=%" PRIu64 " timeout=%d first_error=[%s]",
              reads, per_mode[0], per_mode[1], per_mode[2], per_mode[3], per_mode[4], per_mode[5],
              waits, nodata, shorts, short_mode[1], short_mode[2], short_mode[4], short_mode[5],
              distinct, max_idx, counts[V_TORN], counts[V_INDEX],
              counts[V_ORDER], counts[V_MONO], counts[V_PAD], counts[V_MIXED], counts[V_STATUS],
              timed_out, first_err);
    tipc_consumer_destroy(c);
    if (errors)
        return 1;
    return timed_out ? 4 : 0;
}

/* --------------------------------------------------------- one-shots --- */

static int try_create_main(void)
{
    tipc_producer *p = NULL;
    tipc_status st = tipc_producer_create(&p, g_md, NULL);
    hio_reply("result %s %s", tipc_status_name(st), st == TIPC_OK ? "-" : hio_last_error());
    tipc_producer_destroy(p);
    return 0;
}

static int touch_consumer_main(void)
{
    tipc_consumer *c = NULL;
    tipc_status st = tipc_consumer_create(&c, g_md, NULL);
    if (st == TIPC_OK)
        st = tipc_consumer_connect(c);
    hio_reply("result %s %s", tipc_status_name(st), st == TIPC_OK ? "-" : hio_last_error());
    tipc_consumer_destroy(c);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: %s <command> <pool> <history_len> <frame_bytes> [args]\n",
                argv[0]);
        return 2;
    }
    alarm(MP_HELPER_LIMIT_S);
    g_pool = argv[2];
    g_hist = (uint32_t)strtoul(argv[3], NULL, 10);
    g_fb = (size_t)strtoull(argv[4], NULL, 10);
    if (g_hist < 1 || g_hist > 64 || g_fb < 32 || g_fb % 8) {
        fprintf(stderr, "tipc_mp_helper: history_len 1..64, frame_bytes >= 32 and a multiple of 8\n");
        return 2;
    }
    tipc_status st = mp_metadata(&g_md, g_pool, g_hist, g_fb);
    if (st != TIPC_OK) {
        hio_reply("err metadata %s %s", tipc_status_name(st), hio_last_error());
        return 3;
    }
    g_dst = malloc(g_hist * g_fb);
    g_info = calloc(g_hist, sizeof *g_info);
    g_ptrs = calloc(g_hist, sizeof *g_ptrs);
    if (!g_dst || !g_info || !g_ptrs)
        return 3;
    const char *cmd = argv[1];
    int rc;
    if (!strcmp(cmd, "producer"))
        rc = producer_main(argc - 5, argv + 5);
    else if (!strcmp(cmd, "consumer"))
        rc = consumer_main();
    else if (!strcmp(cmd, "stress-consumer"))
        rc = stress_consumer_main(argc - 5, argv + 5);
    else if (!strcmp(cmd, "try-create"))
        rc = try_create_main();
    else if (!strcmp(cmd, "touch-consumer"))
        rc = touch_consumer_main();
    else {
        fprintf(stderr, "tipc_mp_helper: unknown command %s\n", cmd);
        rc = 2;
    }
    free(g_dst);
    free(g_info);
    free(g_ptrs);
    tipc_metadata_destroy(g_md);
    return rc;
}
