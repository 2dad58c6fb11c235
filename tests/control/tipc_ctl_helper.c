/* tipc_ctl_helper: the separate processes of the control-plane tests.
 *
 *   tipc_ctl_helper agent            library user (producers and consumers)
 *   tipc_ctl_helper observe <pool>   a raw DDS reader of the pool's topics,
 *                                    written against dds.h and the IDL only
 *   tipc_ctl_helper announce         a raw DDS writer of hand-made (lying)
 *                                    PoolMeta samples
 *
 * Each reads one request per line on stdin and answers one line on stdout:
 * "ok ...", "err <STATUS> <sentence>", "bad <what>" (a check inside the helper
 * failed), or for the blocking commands first "ok ..." and later "done ...".
 * End of stdin means quit. Every helper exits on its own after
 * CTL_HELPER_LIMIT_S seconds so that nothing outlives a broken test.
 *
 * agent (ids are small integers 0..63; <spec> as in ctl_common.h):
 *   prod <id> <pool> <spec> [nodds]   create a producer -> "ok <pid>"
 *   put <id> <n> <salt>               n pattern frames -> "ok <last index>"
 *   pdestroy <id>                     destroy the producer -> "ok"
 *   cons <id> <pool> <spec>           create a consumer -> "ok"
 *   cdestroy <id>                     destroy it -> "ok"
 *   get <id> <count> <salt> <timeout_ms>
 *                                     retry get until it returns frames whose
 *                                     newest carries salt (0: any); every frame
 *                                     verified -> "ok <newest index> <salt>
 *                                     <valid frames> <elapsed ns>"
 *   get1 <id>                         one get of 1 frame -> "ok <index> <salt>"
 *                                     or "err <STATUS> <sentence>" (dst checked untouched)
 *   connect <id> <timeout_ms>         retry connect while NOT_CONNECTED -> status
 *   connected <id>                    -> "ok <tipc_consumer_is_connected>"
 *   wait <id> <timeout_ms>            tipc_consumer_wait -> "ok <ns>" / "err <STATUS> <ns> ..."
 *   waitblock <id> <timeout_ms|inf>   "ok blocking", then tipc_consumer_wait
 *                                     (one call; inf: TIPC_TIMEOUT_INFINITE)
 *                                     -> "done <STATUS> <mono ns> <sentence>"
 *   pollgone <id> <timeout_ms>        "ok polling", then get every ms until it
 *                                     says NOT_CONNECTED or CLOSED -> "done <STATUS> <mono ns> ..."
 *   probe <id> <rounds> [settle_ms]   every read call, rounds times, on a pool
 *                                     announced with lies: none may succeed
 *                                     -> "ok <statuses seen> | <last sentence>";
 *                                     first retries connect (which must not
 *                                     succeed either) up to settle_ms while it
 *                                     says NOT_CONNECTED without mentioning an
 *                                     announcement (the lie may still be on its
 *                                     way into the reader)
 *   discover <wait_ms> <timeout_ms> <must,must...> <prefix>
 *                                     list pools until every <must> is listed ->
 *                                     "ok <n> <name>,<pid>,<dtype>,<shape>,<fb>;..."
 *                                     for the names starting with <prefix>
 *   quit
 *
 * observe <pool>:
 *   qos <timeout_ms>                  matched writers' QoS -> "ok meta=<rel>,<dur>,<hist>,<depth>
 *                                     dir=... progress=<rel>"
 *   meta <meta|dir> <timeout_ms> [not_incarnation]
 *                                     newest alive sample of the pool -> "ok key=value ..."
 *   progress <last> <timeout_ms>      take progress samples until frame_index == last
 *                                     -> "ok n=.. first=.. last=.. inc=.. increasing=0|1 ts=0|1"
 *   count <n> <timeout_ms>            take meta samples of the pool until n were seen
 *   state <meta|dir> <alive|disposed|nowriters|notalive> <timeout_ms>
 *                                     poll the pool's instance state -> "ok <state>"
 *
 * announce:
 *   lie <pool> [key=value...]         write a PoolMeta on the pool's meta topic
 *                                     and the directory topic. Keys: pool (the
 *                                     key field), version, dtype, shape, backend,
 *                                     history_len, device, element_size,
 *                                     frame_bytes, total_bytes, shm_name,
 *                                     creator_pid, incarnation, payload_len,
 *                                     topics (meta|dir|both). Sizes are derived
 *                                     consistently unless given.
 *   sync <timeout_ms>                 every meta writer has a matched reader and
 *                                     all of them acknowledged -> "ok"
 *   quit
 */
#include <dds/dds.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl_common.h"
#include "helper_io.h"
#include "tensor_ipc.h"
#include "tensor_ipc_msgs.h"

#define CTL_HELPER_LIMIT_S 300
#define MAX_IDS 64

/* ------------------------------------------------------------- agent --- */

static tipc_producer *g_prod[MAX_IDS];
static tipc_consumer *g_cons[MAX_IDS];
static unsigned char *g_frame; /* scratch for put */
static size_t g_frame_cap;

static tipc_status md_from_spec(tipc_metadata **out, const char *pool, const char *spec)
{
    char dt[32], sh[128], be[32];
    unsigned hist = 0;
    *out = NULL;
    if (sscanf(spec, "%31[^:]:%127[^:]:%31[^:]:%u", dt, sh, be, &hist) != 4)
        return TIPC_E_INVALID;
    int64_t shape[TIPC_MAX_DIMS];
    int nd = ctl_parse_shape(sh, shape, TIPC_MAX_DIMS);
    if (nd < 0)
        return TIPC_E_INVALID;
    return tipc_metadata_create(out, pool, tipc_dtype_from_name(dt), (size_t)nd, shape,
                                tipc_backend_from_name(be), hist, NULL);
}

static int parse_id(const char *s)
{
    char *end;
    long v = strtol(s ? s : "", &end, 10);
    return (s && *s && !*end && v >= 0 && v < MAX_IDS) ? (int)v : -1;
}

/* Verify a read of @p count frames (latest first); "" when fine. */
static const char *verify_read(const unsigned char *buf, size_t fb, uint32_t count,
                               const tipc_frame_info *info, uint64_t *newest, uint64_t *salt,
                               uint32_t *valid)
{
    static char why[256];
    *valid = 0;
    for (uint32_t i = 0; i < count; i++) {
        const unsigned char *f = buf + (size_t)i * fb;
        if (!info[i].valid) {
            if (!fp_all_bytes(f, fb, 0)) {
                snprintf(why, sizeof why, "padding frame %u is not zero", i);
                return why;
            }
            continue;
        }
        uint64_t k, s;
        if (fp_frame_verify(f, fb, &k, &s) != 0) {
            snprintf(why, sizeof why, "frame %u (index %" PRIu64 ") fails its checksum", i,
                     info[i].index);
            return why;
        }
        if (k != info[i].index) {
            snprintf(why, sizeof why, "frame %u carries index %" PRIu64 ", info says %" PRIu64,
                     i, k, info[i].index);
            return why;
        }
        if (*valid == 0) {
            *newest = k;
            *salt = s;
            if (i != 0) {
                snprintf(why, sizeof why, "newest frame is at position %u", i);
                return why;
            }
        } else {
            if (s != *salt) {
                snprintf(why, sizeof why, "frames of two producers in one read (salt %" PRIu64
                         " and %" PRIu64 ")", *salt, s);
                return why;
            }
            if (k != *newest - *valid) {
                snprintf(why, sizeof why, "frame %u has index %" PRIu64 ", expected %" PRIu64,
                         i, k, *newest - *valid);
                return why;
            }
        }
        (*valid)++;
    }
    if (*valid == 0) {
        snprintf(why, sizeof why, "OK read with no valid frame");
        return why;
    }
    return "";
}

static void cmd_get(tipc_consumer *c, uint32_t count, uint64_t want_salt, int64_t timeout_ms)
{
    const tipc_metadata *md = tipc_consumer_metadata(c);
    size_t fb = tipc_metadata_frame_bytes(md);
    size_t size = (size_t)count * fb;
    unsigned char *buf = malloc(size ? size : 1);
    tipc_frame_info *info = calloc(count ? count : 1, sizeof *info);
    if (!buf || !info) {
        free(buf);
        free(info);
        hio_reply("bad out of memory");
        return;
    }
    int64_t t0 = mono_ns(), deadline = t0 + timeout_ms * 1000000;
    tipc_status st = TIPC_OK;
    char sentence[512] = "";
    uint64_t other_salt = 0;
    for (;;) {
        st = tipc_consumer_get(c, buf, size, count, 0, info);
        if (st == TIPC_OK) {
            uint64_t newest = 0, salt = 0;
            uint32_t valid = 0;
            const char *why = verify_read(buf, fb, count, info, &newest, &salt, &valid);
            if (*why) {
                hio_reply("bad %s", why);
                break;
            }
            if (want_salt == 0 || salt == want_salt) {
                hio_reply("ok %" PRIu64 " %" PRIu64 " %u %lld", newest, salt, valid,
                          (long long)(mono_ns() - t0));
                break;
            }
            other_salt = salt;
        } else {
            snprintf(sentence, sizeof sentence, "%s", hio_last_error());
        }
        if (mono_ns() >= deadline) {
            if (st == TIPC_OK)
                hio_reply("err SALT frames carry salt %" PRIu64 ", not %" PRIu64, other_salt,
                          want_salt);
            else
                hio_reply("err %s %s", tipc_status_name(st), sentence);
            break;
        }
        mono_sleep_ms(2);
    }
    free(buf);
    free(info);
}

#define POISON 0xA5 /* a destination no failed read may write into */

static void cmd_get1(tipc_consumer *c)
{
    size_t fb = tipc_metadata_frame_bytes(tipc_consumer_metadata(c));
    unsigned char *buf = malloc(fb);
    if (!buf) {
        hio_reply("bad out of memory");
        return;
    }
    memset(buf, POISON, fb);
    tipc_frame_info info;
    tipc_status st = tipc_consumer_get(c, buf, fb, 1, 0, &info);
    if (st == TIPC_OK) {
        uint64_t newest = 0, salt = 0;
        uint32_t valid = 0;
        const char *why = verify_read(buf, fb, 1, &info, &newest, &salt, &valid);
        if (*why)
            hio_reply("bad %s", why);
        else
            hio_reply("ok %" PRIu64 " %" PRIu64, newest, salt);
    } else if (!fp_all_bytes(buf, fb, POISON)) {
        hio_reply("bad get returned %s but wrote into the buffer", tipc_status_name(st));
    } else {
        hio_reply("err %s %s", tipc_status_name(st), hio_last_error());
    }
    free(buf);
}

static void cmd_connect(tipc_consumer *c, int64_t timeout_ms)
{
    int64_t deadline = mono_ns() + timeout_ms * 1000000;
    for (;;) {
        tipc_status st = tipc_consumer_connect(c);
        if (st == TIPC_OK) {
            hio_reply("ok");
            return;
        }
        if (st != TIPC_E_NOT_CONNECTED || mono_ns() >= deadline) {
            hio_reply("err %s %s", tipc_status_name(st), hio_last_error());
            return;
        }
        mono_sleep_ms(5);
    }
}

/* Every read entry point of a consumer whose pool is announced with lies:
 * none may return TIPC_OK, none may write into the caller's buffer. */
static void cmd_probe(tipc_consumer *c, int rounds, int64_t settle_ms)
{
    int64_t settle_end = mono_ns() + settle_ms * 1000000;
    for (;;) {
        tipc_status st = tipc_consumer_connect(c);
        if (st == TIPC_OK) {
            hio_reply("bad connect returned TIPC_OK on a pool announced with lies (settling)");
            return;
        }
        if (st != TIPC_E_NOT_CONNECTED || strstr(hio_last_error(), "announcement") ||
            mono_ns() >= settle_end)
            break;
        mono_sleep_ms(2);
    }
    const tipc_metadata *md = tipc_consumer_metadata(c);
    size_t fb = tipc_metadata_frame_bytes(md);
    uint32_t hist = tipc_metadata_history_len(md);
    uint32_t n2 = hist > 1 ? 2 : 1;
    unsigned char *buf = malloc(fb * n2);
    if (!buf) {
        hio_reply("bad out of memory");
        return;
    }
    unsigned seen[32] = {0};
    char sentence[512] = "";
    static const char *ops[] = {"connect", "get1", "get2", "acquire", "wait", "latest"};
    for (int r = 0; r < rounds; r++) {
        for (int op = 0; op < 6; op++) {
            tipc_status st;
            memset(buf, POISON, fb * n2);
            tipc_view *v = NULL;
            uint64_t idx = 0;
            tipc_frame_info info[2];
            switch (op) {
            case 0: st = tipc_consumer_connect(c); break;
            case 1: st = tipc_consumer_get(c, buf, fb, 1, 0, info); break;
            case 2: st = tipc_consumer_get(c, buf, fb * n2, n2, TIPC_READ_PAD_FILL, info); break;
            case 3: st = tipc_consumer_acquire(c, 1, 0, &v); break;
            case 4: st = tipc_consumer_wait(c, 0); break;
            default: st = tipc_consumer_latest_index(c, &idx); break;
            }
            if (st == TIPC_OK) {
                tipc_view_release(v);
                hio_reply("bad %s returned TIPC_OK on a pool announced with lies (round %d)",
                          ops[op], r);
                free(buf);
                return;
            }
            if (!fp_all_bytes(buf, fb * n2, POISON)) {
                hio_reply("bad %s returned %s but wrote into the buffer", ops[op],
                          tipc_status_name(st));
                free(buf);
                return;
            }
            if (tipc_consumer_is_connected(c)) {
                hio_reply("bad consumer says it is connected after %s", ops[op]);
                free(buf);
                return;
            }
            seen[(unsigned)(-st) & 31]++;
            snprintf(sentence, sizeof sentence, "%s", hio_last_error());
        }
        mono_sleep_ms(1);
    }
    char list[512];
    size_t n = 0;
    list[0] = '\0';
    for (unsigned i = 0; i < 32; i++)
        if (seen[i])
            n += (size_t)snprintf(list + n, sizeof list - n, "%s%s=%u", n ? "," : "",
                                  tipc_status_name(-(tipc_status)i), seen[i]);
    hio_reply("ok %s | %s", list, sentence);
    free(buf);
}

static void cmd_discover(int64_t wait_ms, int64_t timeout_ms, const char *must,
                         const char *prefix)
{
    int64_t deadline = mono_ns() + timeout_ms * 1000000;
    for (;;) {
        tipc_metadata **list = NULL;
        size_t count = 0;
        tipc_status st = tipc_discover_pools(NULL, wait_ms * 1000000, &list, &count);
        if (st != TIPC_OK) {
            hio_reply("err %s %s", tipc_status_name(st), hio_last_error());
            return;
        }
        static char out[8192];
        size_t n = 0, shown = 0;
        out[0] = '\0';
        for (size_t i = 0; i < count; i++) {
            const char *name = tipc_metadata_name(list[i]);
            if (strncmp(name, prefix, strlen(prefix)) != 0 || n + 256 > sizeof out)
                continue;
            char shape[128];
            size_t sn = 0;
            shape[0] = '\0';
            for (size_t d = 0; d < tipc_metadata_ndim(list[i]); d++)
                sn += (size_t)snprintf(shape + sn, sizeof shape - sn, "%s%lld", d ? "x" : "",
                                       (long long)tipc_metadata_dim(list[i], d));
            n += (size_t)snprintf(out + n, sizeof out - n, "%s,%lld,%s,%s,%zu;", name,
                                  (long long)tipc_metadata_creator_pid(list[i]),
                                  tipc_dtype_name(tipc_metadata_dtype(list[i])),
                                  sn ? shape : "-", tipc_metadata_frame_bytes(list[i]));
            shown++;
        }
        /* every name of the comma-separated list @p must is listed? */
        int found = 1;
        for (const char *m = must; *m && found;) {
            size_t ml = strcspn(m, ",");
            int hit = 0;
            for (size_t i = 0; i < count && !hit; i++) {
                const char *name = tipc_metadata_name(list[i]);
                hit = strlen(name) == ml && strncmp(name, m, ml) == 0;
            }
            found = hit;
            m += ml;
            if (*m == ',')
                m++;
        }
        tipc_pool_list_free(list, count);
        if (found) {
            hio_reply("ok %zu %s", shown, out);
            return;
        }
        if (mono_ns() >= deadline) {
            hio_reply("err TIMEOUT not all of '%s' were listed", must);
            return;
        }
        mono_sleep_ms(20);
    }
}

static int agent_main(void)
{
    char line[1024], *tok[7];
    while (hio_request(line, sizeof line, tok, 7)) {
        char *cmd = tok[0], **a = tok + 1;
        if (!strcmp(cmd, "quit"))
            break;
        int id = parse_id(a[0]);
        if (!strcmp(cmd, "prod") || !strcmp(cmd, "cons")) {
            tipc_metadata *md = NULL;
            if (id < 0 || !a[1] || !a[2]) {
                hio_reply("bad usage: %s <id> <pool> <spec>", cmd);
                continue;
            }
            tipc_status st = md_from_spec(&md, a[1], a[2]);
            if (st != TIPC_OK) {
                hio_reply("bad spec '%s' for '%s': %s", a[2], a[1], hio_last_error());
                continue;
            }
            if (!strcmp(cmd, "prod")) {
                tipc_producer_options o;
                tipc_producer_options_init(&o, TIPC_PRODUCER_OPTIONS_VERSION);
                if (a[3] && !strcmp(a[3], "nodds"))
                    o.control_plane = 0;
                tipc_producer_destroy(g_prod[id]);
                g_prod[id] = NULL;
                st = tipc_producer_create(&g_prod[id], md, &o);
                if (st == TIPC_OK)
                    hio_reply("ok %ld", (long)getpid());
            } else {
                tipc_consumer_destroy(g_cons[id]);
                g_cons[id] = NULL;
                st = tipc_consumer_create(&g_cons[id], md, NULL);
                if (st == TIPC_OK)
                    hio_reply("ok");
            }
            if (st != TIPC_OK)
                hio_reply("err %s %s", tipc_status_name(st), hio_last_error());
            tipc_metadata_destroy(md);
            continue;
        }
        if (!strcmp(cmd, "open")) {
            /* open <id> <pool> <wait_ms> [nodds|pid]: attach by name; answers
             * "ok <dtype> <shape> <backend> <history>" or "err STATUS sentence". */
            if (id < 0 || !a[1] || !a[2]) {
                hio_reply("bad usage: open <id> <pool> <wait_ms> [nodds|pid]");
                continue;
            }
            tipc_consumer_options o;
            tipc_consumer_options_init(&o, TIPC_CONSUMER_OPTIONS_VERSION);
            if (a[3] && !strcmp(a[3], "nodds"))
                o.control_plane = 0;
            tipc_consumer_destroy(g_cons[id]);
            g_cons[id] = NULL;
            tipc_status st = tipc_consumer_open(&g_cons[id], a[1], atoll(a[2]) * 1000000LL, &o);
            if (st != TIPC_OK) {
                hio_reply("err %s %s", tipc_status_name(st), hio_last_error());
                continue;
            }
            const tipc_metadata *md = tipc_consumer_metadata(g_cons[id]);
            char shape[128] = "";
            size_t n = 0;
            for (size_t i = 0; i < tipc_metadata_ndim(md); i++)
                n += (size_t)snprintf(shape + n, sizeof shape - n, "%s%lld", i ? "x" : "",
                                      (long long)tipc_metadata_dim(md, i));
            hio_reply("ok %s %s %s %u", tipc_dtype_name(tipc_metadata_dtype(md)), shape,
                      tipc_backend_name(tipc_metadata_backend(md)),
                      (unsigned)tipc_metadata_history_len(md));
            continue;
        }
        if (!strcmp(cmd, "readers")) {
            /* readers <id>: "ok <n> <pid>..." from the pool's reader table. */
            int64_t pids[64];
            size_t n = 0;
            tipc_status st = id < 0 || !g_cons[id] ? TIPC_E_INVALID
                                                   : tipc_consumer_readers(g_cons[id], pids, 64, &n);
            if (st != TIPC_OK) {
                hio_reply("err %s %s", tipc_status_name(st), hio_last_error());
                continue;
            }
            char list[64 * 12] = "";
            size_t k = 0;
            for (size_t i = 0; i < n && i < 64; i++)
                k += (size_t)snprintf(list + k, sizeof list - k, " %lld", (long long)pids[i]);
            hio_reply("ok %zu%s", n, list);
            continue;
        }
        if (!strcmp(cmd, "discover")) {
            if (!a[0] || !a[1] || !a[2] || !a[3]) {
                hio_reply("bad usage: discover <wait_ms> <timeout_ms> <must> <prefix>");
                continue;
            }
            cmd_discover(atoll(a[0]), atoll(a[1]), a[2], a[3]);
            continue;
        }
        if (!strcmp(cmd, "put") || !strcmp(cmd, "pdestroy")) {
            if (id < 0 || !g_prod[id]) {
                hio_reply("bad no producer %s", a[0] ? a[0] : "?");
                continue;
            }
            if (!strcmp(cmd, "pdestroy")) {
                tipc_producer_destroy(g_prod[id]);
                g_prod[id] = NULL;
                hio_reply("ok");
                continue;
            }
            long long n = a[1] ? atoll(a[1]) : 1;
            uint64_t salt = a[2] ? strtoull(a[2], NULL, 10) : (uint64_t)getpid();
            size_t fb = tipc_metadata_frame_bytes(tipc_producer_metadata(g_prod[id]));
            if (g_frame_cap < fb) {
                free(g_frame);
                g_frame = malloc(fb);
                g_frame_cap = g_frame ? fb : 0;
            }
            if (!g_frame) {
                hio_reply("bad out of memory");
                continue;
            }
            uint64_t idx = 0;
            tipc_status st = TIPC_OK;
            for (long long i = 0; i < n && st == TIPC_OK; i++) {
                fp_frame_fill(g_frame, fb, tipc_producer_frames_written(g_prod[id]), salt);
                st = tipc_producer_put(g_prod[id], g_frame, fb, &idx);
            }
            if (st == TIPC_OK)
                hio_reply("ok %" PRIu64, idx);
            else
                hio_reply("err %s %s", tipc_status_name(st), hio_last_error());
            continue;
        }
        /* consumer commands */
        if (id < 0 || !g_cons[id]) {
            hio_reply("bad no consumer %s for '%s'", a[0] ? a[0] : "?", cmd);
            continue;
        }
        tipc_consumer *c = g_cons[id];
        if (!strcmp(cmd, "cdestroy")) {
            tipc_consumer_destroy(c);
            g_cons[id] = NULL;
            hio_reply("ok");
        } else if (!strcmp(cmd, "get")) {
            if (!a[1] || !a[2] || !a[3]) {
                hio_reply("bad usage: get <id> <count> <salt> <timeout_ms>");
                continue;
            }
            cmd_get(c, (uint32_t)atol(a[1]), strtoull(a[2], NULL, 10), atoll(a[3]));
        } else if (!strcmp(cmd, "get1")) {
            cmd_get1(c);
        } else if (!strcmp(cmd, "connect")) {
            cmd_connect(c, a[1] ? atoll(a[1]) : 0);
        } else if (!strcmp(cmd, "connected")) {
            hio_reply("ok %d", tipc_consumer_is_connected(c));
        } else if (!strcmp(cmd, "wait")) {
            hio_wait(c, (a[1] ? atoll(a[1]) : 0) * 1000000);
        } else if (!strcmp(cmd, "waitblock")) {
            int64_t t = a[1] && !strcmp(a[1], "inf") ? TIPC_TIMEOUT_INFINITE
                                                     : (a[1] ? atoll(a[1]) : 10000) * 1000000;
            hio_reply("ok blocking %lld", (long long)mono_ns());
            tipc_status st = tipc_consumer_wait(c, t);
            int64_t now = mono_ns();
            hio_reply("done %s %lld %s", tipc_status_name(st), (long long)now,
                      st ? hio_last_error() : "");
        } else if (!strcmp(cmd, "pollgone")) {
            int64_t deadline = mono_ns() + (a[1] ? atoll(a[1]) : 10000) * 1000000;
            size_t fb = tipc_metadata_frame_bytes(tipc_consumer_metadata(c));
            unsigned char *buf = malloc(fb);
            hio_reply("ok polling %lld", (long long)mono_ns());
            for (;;) {
                tipc_status st = buf ? tipc_consumer_get(c, buf, fb, 1, 0, NULL) : TIPC_E_NOMEM;
                int64_t now = mono_ns();
                if (st == TIPC_E_NOT_CONNECTED || st == TIPC_E_CLOSED) {
                    hio_reply("done %s %lld %s", tipc_status_name(st), (long long)now,
                              hio_last_error());
                    break;
                }
                if (st != TIPC_OK && st != TIPC_E_NO_DATA) {
                    hio_reply("done %s %lld unexpected: %s", tipc_status_name(st), (long long)now,
                              hio_last_error());
                    break;
                }
                if (now >= deadline) {
                    hio_reply("done TIMEOUT %lld still connected", (long long)now);
                    break;
                }
                mono_sleep_ms(1);
            }
            free(buf);
        } else if (!strcmp(cmd, "probe")) {
            cmd_probe(c, a[1] ? atoi(a[1]) : 10, a[2] ? atoll(a[2]) : 0);
        } else {
            hio_reply("bad unknown command '%s'", cmd);
        }
    }
    for (int i = 0; i < MAX_IDS; i++) {
        tipc_consumer_destroy(g_cons[i]);
        tipc_producer_destroy(g_prod[i]);
    }
    free(g_frame);
    return 0;
}

/* ---------------------------------------------------------- raw DDS --- */

static dds_domainid_t env_domain(void)
{
    const char *s = getenv("TIPC_DOMAIN_ID");
    return s && *s ? (dds_domainid_t)atoi(s) : 0;
}

static dds_qos_t *meta_reader_qos(void)
{
    dds_qos_t *q = dds_create_qos();
    dds_qset_reliability(q, DDS_RELIABILITY_RELIABLE, DDS_SECS(1));
    dds_qset_durability(q, DDS_DURABILITY_TRANSIENT_LOCAL);
    dds_qset_history(q, DDS_HISTORY_KEEP_LAST, 1);
    return q;
}

static const char *rel_name(dds_reliability_kind_t k)
{
    return k == DDS_RELIABILITY_RELIABLE ? "reliable" : "best_effort";
}

static const char *dur_name(dds_durability_kind_t k)
{
    switch (k) {
    case DDS_DURABILITY_VOLATILE: return "volatile";
    case DDS_DURABILITY_TRANSIENT_LOCAL: return "transient_local";
    case DDS_DURABILITY_TRANSIENT: return "transient";
    default: return "persistent";
    }
}

static const char *ist_name(dds_instance_state_t s)
{
    switch (s) {
    case DDS_IST_ALIVE: return "alive";
    case DDS_IST_NOT_ALIVE_DISPOSED: return "disposed";
    default: return "nowriters";
    }
}

/* "reliable,transient_local,keep_last,1" of the first matched writer of @p rd. */
static int matched_qos(dds_entity_t rd, char *out, size_t cap)
{
    dds_instance_handle_t h[8];
    dds_return_t n = dds_get_matched_publications(rd, h, 8);
    if (n <= 0)
        return 0;
    dds_builtintopic_endpoint_t *ep = dds_get_matched_publication_data(rd, h[0]);
    if (!ep)
        return 0;
    dds_reliability_kind_t rk = DDS_RELIABILITY_BEST_EFFORT;
    dds_duration_t mb;
    dds_durability_kind_t dk = DDS_DURABILITY_VOLATILE;
    dds_history_kind_t hk = DDS_HISTORY_KEEP_ALL;
    int32_t depth = 0;
    dds_qget_reliability(ep->qos, &rk, &mb);
    dds_qget_durability(ep->qos, &dk);
    dds_qget_history(ep->qos, &hk, &depth);
    snprintf(out, cap, "%s,%s,%s,%d", rel_name(rk), dur_name(dk),
             hk == DDS_HISTORY_KEEP_LAST ? "keep_last" : "keep_all", (int)depth);
    dds_builtintopic_free_endpoint(ep);
    return (int)n;
}

static void format_meta(char *out, size_t cap, const tensor_ipc_PoolMeta *m)
{
    char shape[160];
    size_t sn = 0;
    shape[0] = '\0';
    for (uint32_t i = 0; i < m->shape._length && i < 8; i++)
        sn += (size_t)snprintf(shape + sn, sizeof shape - sn, "%s%lld", i ? "x" : "",
                               (long long)m->shape._buffer[i]);
    snprintf(out, cap,
             "pool=%s version=%u dtype=%s shape=%s ndim=%u backend=%s history_len=%u "
             "device=%s element_size=%" PRIu64 " frame_bytes=%" PRIu64 " total_bytes=%" PRIu64
             " shm_name=%s creator_pid=%" PRId64 " incarnation=%" PRIu64
             " hostname=%s payload_len=%u",
             m->pool, m->version, m->dtype, sn ? shape : "-", m->shape._length, m->backend,
             m->history_len, m->device, m->element_size, m->frame_bytes, m->total_bytes,
             m->shm_name, m->creator_pid, m->incarnation, m->hostname[0] ? m->hostname : "-",
             m->payload._length);
}

static int observe_main(const char *pool)
{
    dds_entity_t pp = dds_create_participant(env_domain(), NULL, NULL);
    if (pp < 0) {
        hio_reply("err participant %s", dds_strretcode(pp));
        return 3;
    }
    char name[200];
    dds_qos_t *q = meta_reader_qos();
    ctl_topic_name(name, sizeof name, pool, "meta");
    dds_entity_t mt = dds_create_topic(pp, &tensor_ipc_PoolMeta_desc, name, NULL, NULL);
    dds_entity_t mr = dds_create_reader(pp, mt, q, NULL);
    dds_entity_t mr_count = dds_create_reader(pp, mt, q, NULL); /* taken by "count" */
    dds_entity_t dt = dds_create_topic(pp, &tensor_ipc_PoolMeta_desc, "tensoripc_pools", NULL,
                                       NULL);
    dds_entity_t dr = dds_create_reader(pp, dt, q, NULL);
    dds_delete_qos(q);
    q = dds_create_qos();
    dds_qset_reliability(q, DDS_RELIABILITY_BEST_EFFORT, 0);
    dds_qset_history(q, DDS_HISTORY_KEEP_LAST, 4096);
    ctl_topic_name(name, sizeof name, pool, "progress");
    dds_entity_t pt = dds_create_topic(pp, &tensor_ipc_Progress_desc, name, NULL, NULL);
    dds_entity_t pr = dds_create_reader(pp, pt, q, NULL);
    dds_delete_qos(q);
    if (mt < 0 || mr < 0 || mr_count < 0 || dt < 0 || dr < 0 || pt < 0 || pr < 0) {
        hio_reply("err entities %d %d %d %d %d %d %d", mt, mr, mr_count, dt, dr, pt, pr);
        dds_delete(pp);
        return 3;
    }
    hio_reply("ok ready %s", name);

    /* progress state kept across commands */
    uint64_t p_n = 0, p_first = 0, p_last = 0, p_inc = 0;
    int p_increasing = 1, p_ts_ok = 1, p_pool_ok = 1;
    int64_t p_prev_ts = 0;

    char line[1024], *tok[5];
    while (hio_request(line, sizeof line, tok, 5)) {
        char *cmd = tok[0], **a = tok + 1;
        if (!strcmp(cmd, "quit"))
            break;
        if (!strcmp(cmd, "qos")) {
            int64_t deadline = mono_ns() + (a[0] ? atoll(a[0]) : 5000) * 1000000;
            char m[128] = "", d[128] = "", p[128] = "";
            int nm = 0, nd = 0, np = 0;
            for (;;) {
                nm = matched_qos(mr, m, sizeof m);
                nd = matched_qos(dr, d, sizeof d);
                np = matched_qos(pr, p, sizeof p);
                if ((nm && nd && np) || mono_ns() >= deadline)
                    break;
                mono_sleep_ms(10);
            }
            if (nm && nd && np)
                hio_reply("ok meta=%s dir=%s progress=%s nmeta=%d", m, d, p, nm);
            else
                hio_reply("err matched writers: meta %d dir %d progress %d", nm, nd, np);
        } else if (!strcmp(cmd, "meta")) {
            dds_entity_t rd = a[0] && !strcmp(a[0], "dir") ? dr : mr;
            int64_t deadline = mono_ns() + (a[1] ? atoll(a[1]) : 5000) * 1000000;
            uint64_t not_inc = a[2] ? strtoull(a[2], NULL, 10) : 0;
            char out[2048] = "";
            int found = 0;
            for (;;) {
                void *samples[64] = {NULL};
                dds_sample_info_t infos[64];
                int n = dds_read(rd, samples, infos, 64, 64);
                for (int i = 0; i < n; i++) {
                    const tensor_ipc_PoolMeta *s = samples[i];
                    if (!infos[i].valid_data || infos[i].instance_state != DDS_IST_ALIVE ||
                        strcmp(s->pool, pool) != 0)
                        continue;
                    if (not_inc && s->incarnation == not_inc)
                        continue;
                    format_meta(out, sizeof out, s);
                    found = 1;
                }
                if (n > 0)
                    dds_return_loan(rd, samples, n);
                if (found || mono_ns() >= deadline)
                    break;
                mono_sleep_ms(10);
            }
            if (found)
                hio_reply("ok %s", out);
            else
                hio_reply("err TIMEOUT no alive sample of '%s'", pool);
        } else if (!strcmp(cmd, "progress")) {
            uint64_t want = a[0] ? strtoull(a[0], NULL, 10) : 0;
            int64_t deadline = mono_ns() + (a[1] ? atoll(a[1]) : 5000) * 1000000;
            int reached = 0;
            for (;;) {
                void *samples[256] = {NULL};
                dds_sample_info_t infos[256];
                int n = dds_take(pr, samples, infos, 256, 256);
                for (int i = 0; i < n; i++) {
                    const tensor_ipc_Progress *s = samples[i];
                    if (!infos[i].valid_data)
                        continue;
                    if (strcmp(s->pool, pool) != 0) {
                        p_pool_ok = 0;
                        continue;
                    }
                    if (p_n == 0) {
                        p_first = s->frame_index;
                        p_inc = s->incarnation;
                    } else {
                        if (s->frame_index <= p_last || s->incarnation != p_inc)
                            p_increasing = 0;
                        if (s->timestamp_ns < p_prev_ts)
                            p_ts_ok = 0;
                    }
                    int64_t now = (int64_t)time(NULL) * 1000000000;
                    if (s->timestamp_ns < now - 60 * (int64_t)1000000000 ||
                        s->timestamp_ns > now + 60 * (int64_t)1000000000)
                        p_ts_ok = 0;
                    p_prev_ts = s->timestamp_ns;
                    p_last = s->frame_index;
                    p_n++;
                    if (s->frame_index == want)
                        reached = 1;
                }
                if (n > 0)
                    dds_return_loan(pr, samples, n);
                if (reached || mono_ns() >= deadline)
                    break;
                mono_sleep_ms(5);
            }
            hio_reply("%s n=%" PRIu64 " first=%" PRIu64 " last=%" PRIu64 " inc=%" PRIu64
                      " increasing=%d ts=%d poolkey=%d",
                      reached ? "ok" : "err", p_n, p_first, p_last, p_inc, p_increasing, p_ts_ok,
                      p_pool_ok);
        } else if (!strcmp(cmd, "count")) {
            long want = a[0] ? atol(a[0]) : 2;
            int64_t t0 = mono_ns(), deadline = t0 + (a[1] ? atoll(a[1]) : 10000) * 1000000;
            long got = 0;
            for (;;) {
                void *samples[64] = {NULL};
                dds_sample_info_t infos[64];
                int n = dds_take(mr_count, samples, infos, 64, 64);
                for (int i = 0; i < n; i++)
                    if (infos[i].valid_data && infos[i].instance_state == DDS_IST_ALIVE &&
                        !strcmp(((const tensor_ipc_PoolMeta *)samples[i])->pool, pool))
                        got++;
                if (n > 0)
                    dds_return_loan(mr_count, samples, n);
                if (got >= want || mono_ns() >= deadline)
                    break;
                mono_sleep_ms(20);
            }
            hio_reply("%s %ld %lld", got >= want ? "ok" : "err", got,
                      (long long)(mono_ns() - t0));
        } else if (!strcmp(cmd, "state")) {
            dds_entity_t rd = a[0] && !strcmp(a[0], "dir") ? dr : mr;
            const char *want = a[1] ? a[1] : "disposed";
            int64_t deadline = mono_ns() + (a[2] ? atoll(a[2]) : 5000) * 1000000;
            tensor_ipc_PoolMeta key;
            memset(&key, 0, sizeof key);
            snprintf(key.pool, sizeof key.pool, "%s", pool);
            const char *cur = "unknown";
            int ok = 0;
            for (;;) {
                dds_instance_handle_t ih = dds_lookup_instance(rd, &key);
                if (ih != DDS_HANDLE_NIL) {
                    void *samples[4] = {NULL};
                    dds_sample_info_t infos[4];
                    int n = dds_read_instance(rd, samples, infos, 4, 4, ih);
                    if (n > 0) {
                        cur = ist_name(infos[n - 1].instance_state);
                        dds_return_loan(rd, samples, n);
                    }
                }
                if (!strcmp(cur, want) ||
                    (!strcmp(want, "notalive") && strcmp(cur, "alive") && strcmp(cur, "unknown")))
                    ok = 1;
                if (ok || mono_ns() >= deadline)
                    break;
                mono_sleep_ms(10);
            }
            hio_reply("%s %s %lld", ok ? "ok" : "err", cur, (long long)mono_ns());
        } else {
            hio_reply("bad unknown command '%s'", cmd);
        }
    }
    dds_delete(pp);
    return 0;
}

struct lie_writer {
    char topic[200];
    dds_entity_t topic_e, writer;
    int is_meta;
};

static struct lie_writer g_writers[128];
static int g_nwriters;

static dds_entity_t writer_for(dds_entity_t pp, const char *topic, int is_meta)
{
    for (int i = 0; i < g_nwriters; i++)
        if (!strcmp(g_writers[i].topic, topic))
            return g_writers[i].writer;
    if (g_nwriters == (int)(sizeof g_writers / sizeof g_writers[0]))
        return -1;
    struct lie_writer *w = &g_writers[g_nwriters];
    snprintf(w->topic, sizeof w->topic, "%s", topic);
    /* The library's writer QoS (discovery.c meta_qos), so that its readers match. */
    dds_qos_t *q = meta_reader_qos();
    dds_qset_liveliness(q, DDS_LIVELINESS_AUTOMATIC, DDS_SECS(1));
    dds_qset_writer_data_lifecycle(q, false);
    w->topic_e = dds_create_topic(pp, &tensor_ipc_PoolMeta_desc, topic, NULL, NULL);
    w->writer = w->topic_e < 0 ? w->topic_e : dds_create_writer(pp, w->topic_e, q, NULL);
    dds_delete_qos(q);
    w->is_meta = is_meta;
    if (w->writer < 0)
        return w->writer;
    g_nwriters++;
    return w->writer;
}

static int announce_main(void)
{
    dds_entity_t pp = dds_create_participant(env_domain(), NULL, NULL);
    if (pp < 0) {
        hio_reply("err participant %s", dds_strretcode(pp));
        return 3;
    }
    hio_reply("ok ready %ld", (long)getpid());
    char host[64] = "";
    gethostname(host, sizeof host - 1);
    char line[2048], *tok[34]; /* lie <pool> and up to 32 key=value */
    int ntok;
    while ((ntok = hio_request(line, sizeof line, tok, 34)) > 0) {
        char *cmd = tok[0];
        if (!strcmp(cmd, "quit"))
            break;
        if (!strcmp(cmd, "sync")) {
            char *t = tok[1];
            int64_t deadline = mono_ns() + (t ? atoll(t) : 10000) * 1000000;
            int ok = 1;
            for (int i = 0; i < g_nwriters && ok; i++) {
                if (!g_writers[i].is_meta)
                    continue;
                for (;;) {
                    dds_publication_matched_status_t ms;
                    if (dds_get_publication_matched_status(g_writers[i].writer, &ms) == 0 &&
                        ms.current_count > 0)
                        break;
                    if (mono_ns() >= deadline) {
                        ok = 0;
                        break;
                    }
                    mono_sleep_ms(10);
                }
                int64_t left = deadline - mono_ns();
                if (ok && dds_wait_for_acks(g_writers[i].writer, left > 0 ? left : 0) != 0)
                    ok = 0;
                if (!ok)
                    hio_reply("err TIMEOUT topic %s: no reader matched or acknowledged",
                              g_writers[i].topic);
            }
            if (ok)
                hio_reply("ok");
            continue;
        }
        if (!strcmp(cmd, "foreign")) {
            /* foreign <topic>: a writer of another type (Progress) on a
             * topic name, as another program using the same names would. */
            if (!tok[1]) {
                hio_reply("bad usage: foreign <topic>");
                continue;
            }
            dds_entity_t t = dds_create_topic(pp, &tensor_ipc_Progress_desc, tok[1], NULL, NULL);
            dds_entity_t w = t < 0 ? t : dds_create_writer(pp, t, NULL, NULL);
            if (w < 0)
                hio_reply("err foreign %s", dds_strretcode(w));
            else
                hio_reply("ok");
            continue;
        }
        if (strcmp(cmd, "lie") != 0) {
            hio_reply("bad unknown command '%s'", cmd);
            continue;
        }
        char *pool = tok[1];
        if (!pool) {
            hio_reply("bad usage: lie <pool> [key=value...]");
            continue;
        }
        tensor_ipc_PoolMeta m;
        memset(&m, 0, sizeof m);
        int64_t shape[16];
        int ndim = 1;
        shape[0] = 64;
        const char *dtype = "uint8", *backend = "numpy", *device = "cpu";
        uint64_t hist = 4;
        char topics[8] = "both";
        /* first pass: primary fields */
        char **kv = tok + 2;
        int nkv = ntok - 2;
        for (int i = 0; i < nkv; i++) {
            char *eq = strchr(kv[i], '=');
            if (!eq)
                continue;
            *eq = '\0';
            const char *k = kv[i], *v = eq + 1;
            if (!strcmp(k, "dtype"))
                dtype = v;
            else if (!strcmp(k, "backend"))
                backend = v;
            else if (!strcmp(k, "device"))
                device = v;
            else if (!strcmp(k, "history_len"))
                hist = strtoull(v, NULL, 10);
            else if (!strcmp(k, "shape"))
                ndim = ctl_parse_shape(v, shape, 16);
            else if (!strcmp(k, "topics"))
                snprintf(topics, sizeof topics, "%s", v);
            *eq = '=';
        }
        if (ndim < 0) {
            hio_reply("bad shape");
            continue;
        }
        snprintf(m.pool, sizeof m.pool, "%s", pool);
        m.version = 1;
        snprintf(m.dtype, sizeof m.dtype, "%s", dtype);
        snprintf(m.backend, sizeof m.backend, "%s", backend);
        snprintf(m.device, sizeof m.device, "%s", device);
        m.history_len = (uint32_t)hist;
        m.shape._length = m.shape._maximum = (uint32_t)ndim;
        m.shape._buffer = shape;
        tipc_dtype dt = tipc_dtype_from_name(dtype);
        m.element_size = tipc_dtype_size(dt);
        uint64_t fb = m.element_size; /* wraps on purpose for absurd shapes */
        for (int i = 0; i < ndim; i++)
            fb *= (uint64_t)shape[i];
        m.frame_bytes = fb;
        m.total_bytes = fb * m.history_len;
        ctl_shm_name(m.shm_name, sizeof m.shm_name, pool);
        m.creator_pid = getpid();
        m.incarnation = ((uint64_t)getpid() << 32) | 0x1234567u;
        snprintf(m.hostname, sizeof m.hostname, "%s", host);
        static uint8_t payload[512];
        m.payload._buffer = payload;
        /* second pass: explicit overrides of derived and identity fields */
        for (int i = 0; i < nkv; i++) {
            char *eq = strchr(kv[i], '=');
            if (!eq)
                continue;
            *eq = '\0';
            const char *k = kv[i], *v = eq + 1;
            if (!strcmp(k, "pool"))
                snprintf(m.pool, sizeof m.pool, "%s", v);
            else if (!strcmp(k, "version"))
                m.version = (uint32_t)strtoul(v, NULL, 10);
            else if (!strcmp(k, "element_size"))
                m.element_size = strtoull(v, NULL, 10);
            else if (!strcmp(k, "frame_bytes"))
                m.frame_bytes = strtoull(v, NULL, 10);
            else if (!strcmp(k, "total_bytes"))
                m.total_bytes = strtoull(v, NULL, 10);
            else if (!strcmp(k, "shm_name"))
                snprintf(m.shm_name, sizeof m.shm_name, "%s", v);
            else if (!strcmp(k, "creator_pid"))
                m.creator_pid = strtoll(v, NULL, 10);
            else if (!strcmp(k, "incarnation"))
                m.incarnation = strtoull(v, NULL, 10);
            else if (!strcmp(k, "payload_len")) {
                m.payload._length = m.payload._maximum = (uint32_t)strtoul(v, NULL, 10);
                if (m.payload._length > sizeof payload)
                    m.payload._length = m.payload._maximum = sizeof payload;
            }
        }
        char tname[200];
        dds_return_t rc = 0;
        if (strcmp(topics, "dir") != 0) {
            ctl_topic_name(tname, sizeof tname, pool, "meta");
            dds_entity_t w = writer_for(pp, tname, 1);
            rc = w < 0 ? w : dds_write(w, &m);
        }
        if (rc >= 0 && strcmp(topics, "meta") != 0) {
            dds_entity_t w = writer_for(pp, "tensoripc_pools", 0);
            rc = w < 0 ? w : dds_write(w, &m);
        }
        if (rc < 0)
            hio_reply("err WRITE %s", dds_strretcode(rc));
        else
            hio_reply("ok");
    }
    dds_delete(pp);
    return 0;
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    alarm(CTL_HELPER_LIMIT_S);
    if (argc >= 2 && !strcmp(argv[1], "agent"))
        return agent_main();
    if (argc >= 3 && !strcmp(argv[1], "observe"))
        return observe_main(argv[2]);
    if (argc >= 2 && !strcmp(argv[1], "announce"))
        return announce_main();
    fprintf(stderr, "usage: tipc_ctl_helper agent | observe <pool> | announce\n");
    return 2;
}
