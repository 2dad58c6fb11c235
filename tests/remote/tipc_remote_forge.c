/* Raw DDS (dds.h and the IDL only, no tensor-ipc library) for the remote-pool
 * tests: a forger of a remote pool, and a counter of frame-topic readers.
 *
 *   forge POOL NGOOD     announce POOL (64-byte uint8 frames, history 8) as a
 *                        producer on another host, wait for a frame reader,
 *                        then write NGOOD good frames (indexes 0..NGOOD-1,
 *                        the test pattern, salt 7) and, after each of the
 *                        first two, five bad samples: wrong size, another
 *                        pool's key, another incarnation, an index already
 *                        seen, an implausible index. Prints "FORGED <bad>"
 *                        and keeps announcing until SIGTERM.
 *   count-readers POOL N T
 *                        wait up to T s until exactly N readers of POOL's
 *                        frame topic are known (DCPSSubscription) for 1 s
 *                        in a row; prints "READERS <n>", exit 0 on success.
 *   count-writers POOL N T
 *                        the same for writers of POOL's announcement topic
 *                        (DCPSPublication); prints "WRITERS <n>".
 * POOL names here hold only [A-Za-z0-9_]. */
#include "tensor_ipc_msgs.h"

#include "../common/frame_pattern.h"
#include "../common/mono_clock.h"

#include <dds/dds.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define INCARNATION UINT64_C(0x5eed0000cafe)
#define SALT 7

static volatile sig_atomic_t g_stop;
static void on_term(int sig) { (void)sig; g_stop = 1; }

static dds_qos_t *meta_qos(void)
{
    dds_qos_t *q = dds_create_qos();
    dds_qset_reliability(q, DDS_RELIABILITY_RELIABLE, DDS_SECS(1));
    dds_qset_durability(q, DDS_DURABILITY_TRANSIENT_LOCAL);
    dds_qset_history(q, DDS_HISTORY_KEEP_LAST, 1);
    dds_qset_liveliness(q, DDS_LIVELINESS_AUTOMATIC, DDS_SECS(1));
    dds_qset_writer_data_lifecycle(q, false);
    return q;
}

static void write_frame(dds_entity_t w, const char *pool, uint64_t inc, uint64_t index,
                        uint32_t size, uint64_t k)
{
    static unsigned char data[128];
    fp_frame_fill(data, 64, k, SALT);
    tensor_ipc_Frame f;
    memset(&f, 0, sizeof f);
    snprintf(f.pool, sizeof f.pool, "%s", pool);
    f.incarnation = inc;
    f.frame_index = index;
    f.timestamp_ns = dds_time();
    f.data._buffer = data;
    f.data._length = f.data._maximum = size;
    dds_write(w, &f);
    mono_sleep_ns(10000000); /* the reader keeps 8 per pool: let it take them */
}

static int forge(const char *pool, uint64_t ngood)
{
    const char *dom = getenv("TIPC_DOMAIN_ID");
    dds_entity_t pp = dds_create_participant(dom && *dom ? (dds_domainid_t)atoi(dom)
                                                         : DDS_DOMAIN_DEFAULT, NULL, NULL);
    char name[160];
    snprintf(name, sizeof name, "tensoripc_%s_meta", pool);
    dds_qos_t *q = meta_qos();
    dds_entity_t mt = dds_create_topic(pp, &tensor_ipc_PoolMeta_desc, name, q, NULL);
    /* The host identity, where the library states it: the writer's USER_DATA. */
    static const char host[] = "tipc.host_id=ffffffffffffffffffffffffffffffff";
    dds_qset_userdata(q, host, sizeof host - 1);
    dds_entity_t mw = dds_create_writer(pp, mt, q, NULL);
    dds_delete_qos(q);
    int64_t shape[1] = {64};
    tensor_ipc_PoolMeta m;
    memset(&m, 0, sizeof m);
    snprintf(m.pool, sizeof m.pool, "%s", pool);
    m.version = 1;
    snprintf(m.dtype, sizeof m.dtype, "uint8");
    m.shape._buffer = shape;
    m.shape._length = m.shape._maximum = 1;
    snprintf(m.backend, sizeof m.backend, "numpy");
    m.history_len = 8;
    snprintf(m.device, sizeof m.device, "cpu");
    m.element_size = 1;
    m.frame_bytes = 64;
    m.total_bytes = 512;
    snprintf(m.shm_name, sizeof m.shm_name, "/tipc.%s", pool);
    m.creator_pid = getpid();
    m.incarnation = INCARNATION;
    snprintf(m.hostname, sizeof m.hostname, "forger");
    if (dds_write(mw, &m) < 0)
        return printf("FAIL announce\n"), 1;

    snprintf(name, sizeof name, "tensoripc_%s_frames", pool);
    q = dds_create_qos();
    dds_qset_reliability(q, DDS_RELIABILITY_RELIABLE, DDS_SECS(1));
    dds_qset_history(q, DDS_HISTORY_KEEP_ALL, 0);
    dds_entity_t ft = dds_create_topic(pp, &tensor_ipc_Frame_desc, name, NULL, NULL);
    dds_entity_t fw = dds_create_writer(pp, ft, q, NULL);
    dds_delete_qos(q);
    int64_t deadline = mono_ns() + 30 * 1000000000LL;
    dds_publication_matched_status_t ms = {0};
    while (!g_stop && mono_ns() < deadline &&
           (dds_get_publication_matched_status(fw, &ms) < 0 || ms.current_count == 0))
        mono_sleep_ns(10000000);
    if (ms.current_count == 0)
        return printf("FAIL no frame reader within 30 s\n"), 1;
    mono_sleep_ns(200000000); /* the reader's side of the match settles too */
    char other[64];
    snprintf(other, sizeof other, "%.50sx", pool);
    int bad = 0;
    for (uint64_t k = 0; k < ngood; k++) {
        write_frame(fw, pool, INCARNATION, k, 64, k);
        if (k < 2) {
            write_frame(fw, pool, INCARNATION, k + 1000, 63, k + 1000);     /* size */
            write_frame(fw, other, INCARNATION, k + 1001, 64, k + 1001);    /* pool */
            write_frame(fw, pool, INCARNATION + 1, k + 1002, 64, k + 1002); /* incarnation */
            write_frame(fw, pool, INCARNATION, k, 64, k + 1003);            /* index seen */
            write_frame(fw, pool, INCARNATION, UINT64_C(1) << 62, 64, k + 1004); /* index */
            bad += 5;
        }
    }
    printf("FORGED %d\n", bad);
    fflush(stdout);
    while (!g_stop)
        mono_sleep_ns(20000000);
    dds_delete(pp);
    return 0;
}

static int count_endpoints(const char *pool, int expect, int timeout_s, int writers)
{
    const char *dom = getenv("TIPC_DOMAIN_ID");
    dds_entity_t pp = dds_create_participant(dom && *dom ? (dds_domainid_t)atoi(dom)
                                                         : DDS_DOMAIN_DEFAULT, NULL, NULL);
    dds_entity_t r = dds_create_reader(pp, writers ? DDS_BUILTIN_TOPIC_DCPSPUBLICATION
                                                   : DDS_BUILTIN_TOPIC_DCPSSUBSCRIPTION,
                                       NULL, NULL);
    char name[160];
    snprintf(name, sizeof name, "tensoripc_%s_%s", pool, writers ? "meta" : "frames");
    int64_t deadline = mono_ns() + (int64_t)timeout_s * 1000000000LL, stable_since = -1;
    int n = -1;
    while (mono_ns() < deadline) {
        void *samples[256] = {NULL};
        dds_sample_info_t infos[256];
        int got = dds_read(r, samples, infos, 256, 256);
        n = 0;
        for (int i = 0; i < got; i++) {
            const dds_builtintopic_endpoint_t *e = samples[i];
            if (infos[i].valid_data && infos[i].instance_state == DDS_IST_ALIVE &&
                e->topic_name && strcmp(e->topic_name, name) == 0)
                n++;
        }
        if (got > 0)
            dds_return_loan(r, samples, got);
        if (n == expect) {
            if (stable_since < 0)
                stable_since = mono_ns();
            if (mono_ns() - stable_since > 1000000000LL)
                break;
        } else {
            stable_since = -1;
        }
        mono_sleep_ns(50000000);
    }
    printf("%s %d\n", writers ? "WRITERS" : "READERS", n);
    dds_delete(pp);
    return n == expect ? 0 : 1;
}

int main(int argc, char **argv)
{
    signal(SIGTERM, on_term);
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc == 4 && !strcmp(argv[1], "forge"))
        return forge(argv[2], strtoull(argv[3], NULL, 10));
    if (argc == 5 && !strcmp(argv[1], "count-readers"))
        return count_endpoints(argv[2], atoi(argv[3]), atoi(argv[4]), 0);
    if (argc == 5 && !strcmp(argv[1], "count-writers"))
        return count_endpoints(argv[2], atoi(argv[3]), atoi(argv[4]), 1);
    fprintf(stderr, "usage: see the top of tipc_remote_forge.c\n");
    return 2;
}
