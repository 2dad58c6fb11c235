/* Control plane over Cyclone DDS (internal). Knows nothing of frame memory:
 * it announces pools, carries progress, and tells consumers about producers.
 * One DDS participant per context; the default context serves the process. */
#ifndef TIPC_DISCOVERY_H
#define TIPC_DISCOVERY_H

#include "metadata.h"

struct tipc_dds_pub;
struct tipc_dds_sub;

/* What a consumer's subscription has learnt about its producer. */
enum tipc_dds_peer { TIPC_PEER_UNKNOWN = 0, TIPC_PEER_ALIVE = 1, TIPC_PEER_GONE = 2 };

/* Announce @p md (with incarnation) from @p ctx (NULL = default context). */
tipc_status tipc__dds_pub_create(struct tipc_dds_pub **out, tipc_context *ctx,
                                 const struct tipc_metadata *md, uint64_t incarnation,
                                 int progress);
void tipc__dds_pub_progress(struct tipc_dds_pub *pub, uint64_t index, int64_t timestamp_ns);
/* TIPC_E_EXISTS (sentence set) once an announcement of the same pool from
 * another host was seen; see tipc_producer_check. */
tipc_status tipc__dds_pub_check(struct tipc_dds_pub *pub);
/* Dispose the announcement (consumers learn the producer is gone) and free. */
void tipc__dds_pub_destroy(struct tipc_dds_pub *pub);

/* Follow the announcements of @p md's pool. */
tipc_status tipc__dds_sub_create(struct tipc_dds_sub **out, tipc_context *ctx,
                                 const struct tipc_metadata *md);
/* Latest state; on a mismatching announcement returns TIPC_E_MISMATCH, on a
 * malformed one TIPC_E_CORRUPT, and with no announcement but a writer of
 * another type on the pool's topic TIPC_E_UNSUPPORTED, the sentence set.
 * *incarnation receives the announced incarnation. */
tipc_status tipc__dds_sub_poll(struct tipc_dds_sub *sub, enum tipc_dds_peer *peer,
                               uint64_t *incarnation);
/* Sleep until an announcement arrives or @p timeout_ns passes. */
void tipc__dds_sub_wait(struct tipc_dds_sub *sub, int64_t timeout_ns);
void tipc__dds_sub_destroy(struct tipc_dds_sub *sub);

/* The DDS participant of @p ctx (NULL = default context, created if needed),
 * for modules that own topics of their own (remote.c). */
tipc_status tipc__dds_participant(tipc_context *ctx, int32_t *out);
/* Host identity of the newest alive announcement seen by the last poll that
 * returned TIPC_PEER_ALIVE ("" for a version-1 announcement). */
const char *tipc__dds_sub_host(const struct tipc_dds_sub *sub);
/* The DDS topic name of @p pool's @p suffix topic ("meta", "frames", ...). */
void tipc__dds_topic_name(char *buf, size_t size, const char *pool, const char *suffix);

/* Convert a received announcement into validated metadata (never trusts sizes). */
struct tensor_ipc_PoolMeta;
tipc_status tipc__dds_meta_from_msg(struct tipc_metadata *md, const struct tensor_ipc_PoolMeta *m);

#endif
