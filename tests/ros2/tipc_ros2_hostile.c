/* A writer of a type named like sensor_msgs/msg/Image with another layout
 * (hostile_image.idl). Requests: "writer TOPIC", "matched TIMEOUT_MS",
 * "write TEXT". */
#include "helper_io.h"
#include "hostile_image.h"

#include "ros2_raw_dds.h"

#include <dds/dds.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void)
{
    char line[4096], *tok[4];
    dds_entity_t pp = 0, wr = 0;
    while (hio_request(line, sizeof line, tok, 4) > 0) {
        if (!strcmp(tok[0], "writer") && tok[1]) {
            char name[300];
            snprintf(name, sizeof name, "rt/%s", tok[1]);
            pp = dds_create_participant((dds_domainid_t)ros_domain(), NULL, NULL);
            dds_entity_t tp = dds_create_topic(pp, &sensor_msgs_msg_dds__Image__desc, name, NULL, NULL);
            dds_qos_t *q = dds_create_qos();
            dds_qset_reliability(q, DDS_RELIABILITY_RELIABLE, DDS_SECS(1));
            wr = dds_create_writer(pp, tp, q, NULL);
            dds_delete_qos(q);
            if (wr < 0)
                hio_reply("err %s", dds_strretcode(wr));
            else
                hio_reply("ok");
        } else if (!strcmp(tok[0], "matched") && tok[1]) {
            hio_reply(ros2_wait_matched(wr, 1, atoll(tok[1])) ? "ok" : "err not matched");
        } else if (!strcmp(tok[0], "write") && tok[1]) {
            sensor_msgs_msg_dds__Image_ m = { .junk = tok[1] };
            dds_return_t rc = dds_write(wr, &m);
            hio_reply(rc == 0 ? "ok" : "err write");
        } else if (!strcmp(tok[0], "quit")) {
            break;
        } else {
            hio_reply("err unknown request");
        }
    }
    if (pp)
        dds_delete(pp);
    return 0;
}
