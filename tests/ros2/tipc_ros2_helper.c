/* Helper of the ROS 2 bridge tests: a raw Cyclone DDS reader or writer of
 * sensor_msgs/msg/Image written against the IDL alone (not the library), and
 * a tensor-ipc consumer. One request per line on stdin, one answer per line:
 *   reader TOPIC                 raw DDS reader on rt/TOPIC (ROS 2 default QoS)
 *   take TIMEOUT_MS              the next sample: "ok sec= nsec= h= w= enc= step= big= frame_id= len= hash="
 *   rmatched TIMEOUT_MS          until the reader matches a writer
 *   available                    "ok N": samples received and not taken
 *   writer TOPIC                 raw DDS writer on rt/TOPIC
 *   matched TIMEOUT_MS           until the writer matches a reader
 *   write H W ENC CH STEP SEC NSEC SEED [LEN]
 *                                an image of the ros2_pattern.h pattern with row
 *                                padding up to STEP; data LEN bytes (default STEP*H)
 *   consumer POOL TIMEOUT_MS     discover POOL and consume it
 *   get TIMEOUT_MS               wait for a newer frame, read it: "ok index= stamp= hash= bytes="
 */
#include "helper_io.h"
#include "ros2_pattern.h"
#include "ros2_raw_dds.h"
#include "sensor_msgs.h"
#include "tensor_ipc.h"

#include <dds/dds.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mono_clock.h"

static dds_entity_t pp;

static dds_entity_t image_topic(const char *topic)
{
    char name[300];
    snprintf(name, sizeof name, "rt/%s", topic);
    if (!pp)
        pp = dds_create_participant((dds_domainid_t)ros_domain(), NULL, NULL);
    return dds_create_topic(pp, &sensor_msgs_msg_dds__Image__desc, name, NULL, NULL);
}

static dds_qos_t *ros_qos(void)
{
    dds_qos_t *q = dds_create_qos();
    dds_qset_reliability(q, DDS_RELIABILITY_RELIABLE, DDS_SECS(1));
    dds_qset_durability(q, DDS_DURABILITY_VOLATILE);
    dds_qset_history(q, DDS_HISTORY_KEEP_LAST, 10);
    return q;
}

int main(void)
{
    char line[4096], *tok[12];
    dds_entity_t rd = 0, wr = 0;
    tipc_consumer *cons = NULL;
    while (hio_request(line, sizeof line, tok, 12) > 0) {
        if (!strcmp(tok[0], "reader") && tok[1]) {
            dds_qos_t *q = ros_qos();
            dds_entity_t tp = image_topic(tok[1]);
            rd = dds_create_reader(pp, tp, q, NULL);
            dds_delete_qos(q);
            if (rd < 0)
                hio_reply("err reader %s", dds_strretcode(rd));
            else
                hio_reply("ok");
        } else if (!strcmp(tok[0], "take") && tok[1]) {
            int64_t deadline = mono_ns() + atoll(tok[1]) * 1000000;
            void *samples[1] = { NULL };
            dds_sample_info_t si;
            int done = 0;
            while (!done && mono_ns() < deadline) {
                dds_return_t n = dds_take(rd, samples, &si, 1, 1);
                if (n > 0 && si.valid_data) {
                    const sensor_msgs_msg_dds__Image_ *m = samples[0];
                    hio_reply("ok sec=%d nsec=%u h=%u w=%u enc=%s step=%u big=%u frame_id=%s "
                              "len=%u hash=%016llx",
                              m->header.stamp.sec, m->header.stamp.nanosec, m->height, m->width,
                              m->encoding, m->step, m->is_bigendian, m->header.frame_id,
                              m->data._length,
                              (unsigned long long)ros2_hash(m->data._buffer, m->data._length));
                    done = 1;
                }
                if (n > 0)
                    dds_return_loan(rd, samples, n);
                if (!done)
                    mono_sleep_ms(2);
            }
            if (!done)
                hio_reply("err timeout");
        } else if (!strcmp(tok[0], "rmatched") && tok[1]) {
            hio_reply(ros2_wait_matched(rd, 0, atoll(tok[1])) ? "ok" : "err not matched");
        } else if (!strcmp(tok[0], "available")) {
            void *samples[64] = { NULL };
            dds_sample_info_t si[64];
            dds_return_t n = dds_read(rd, samples, si, 64, 64);
            if (n > 0)
                dds_return_loan(rd, samples, n);
            hio_reply("ok %d", (int)(n > 0 ? n : 0));
        } else if (!strcmp(tok[0], "writer") && tok[1]) {
            dds_qos_t *q = ros_qos();
            dds_entity_t tp = image_topic(tok[1]);
            wr = dds_create_writer(pp, tp, q, NULL);
            dds_delete_qos(q);
            if (wr < 0)
                hio_reply("err writer %s", dds_strretcode(wr));
            else
                hio_reply("ok");
        } else if (!strcmp(tok[0], "matched") && tok[1]) {
            hio_reply(ros2_wait_matched(wr, 1, atoll(tok[1])) ? "ok" : "err not matched");
        } else if (!strcmp(tok[0], "write") && tok[8]) {
            uint32_t h = (uint32_t)atol(tok[1]), w = (uint32_t)atol(tok[2]);
            uint32_t ch = (uint32_t)atol(tok[4]), step = (uint32_t)atol(tok[5]);
            size_t row = (size_t)w * ch;
            size_t len = tok[9] ? (size_t)atol(tok[9]) : (size_t)step * h;
            uint8_t *data = malloc(len ? len : 1);
            memset(data, ROS2_PAD_BYTE, len);
            for (size_t r = 0; r < h; r++)
                for (size_t j = 0; j < row && r * step + j < len; j++)
                    data[r * step + j] = ros2_pixel((unsigned)atol(tok[8]), r, j);
            sensor_msgs_msg_dds__Image_ m = { 0 };
            m.header.stamp.sec = atoi(tok[6]);
            m.header.stamp.nanosec = (uint32_t)atol(tok[7]);
            m.header.frame_id = "helper";
            m.height = h;
            m.width = w;
            m.encoding = tok[3];
            m.step = step;
            m.data._buffer = data;
            m.data._length = m.data._maximum = (uint32_t)len;
            dds_return_t rc = dds_write(wr, &m);
            free(data);
            if (rc)
                hio_reply("err write %s", dds_strretcode(rc));
            else
                hio_reply("ok");
        } else if (!strcmp(tok[0], "consumer") && tok[2]) {
            tipc_metadata *md = NULL;
            tipc_status st = tipc_discover_pool(NULL, tok[1], atoll(tok[2]) * 1000000, &md);
            if (st == TIPC_OK)
                st = tipc_consumer_create(&cons, md, NULL);
            tipc_metadata_destroy(md);
            if (st)
                hio_reply("err %s %s", tipc_status_name(st), hio_last_error());
            else
                hio_reply("ok");
        } else if (!strcmp(tok[0], "get") && tok[1]) {
            tipc_status st = tipc_consumer_wait(cons, atoll(tok[1]) * 1000000);
            size_t bytes = tipc_metadata_frame_bytes(tipc_consumer_metadata(cons));
            uint8_t *buf = malloc(bytes);
            tipc_frame_info info;
            if (st == TIPC_OK)
                st = tipc_consumer_get(cons, buf, bytes, 1, 0, &info);
            if (st)
                hio_reply("err %s %s", tipc_status_name(st), hio_last_error());
            else
                hio_reply("ok index=%llu stamp=%lld hash=%016llx bytes=%zu",
                          (unsigned long long)info.index, (long long)info.timestamp_ns,
                          (unsigned long long)ros2_hash(buf, bytes), bytes);
            free(buf);
        } else if (!strcmp(tok[0], "quit")) {
            break;
        } else {
            hio_reply("err unknown request '%s'", tok[0]);
        }
    }
    tipc_consumer_destroy(cons);
    if (pp)
        dds_delete(pp);
    return 0;
}
