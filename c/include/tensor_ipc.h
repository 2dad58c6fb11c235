/*
 * tensor_ipc.h - the stable C ABI of tensor-ipc.
 *
 * tensor-ipc shares fixed-shape tensors ("frames") between processes on one
 * host through named pools: a ring of `history_len` frames in POSIX shared
 * memory, written by one producer and read by any number of consumers.
 *
 * Conventions (read these once; every function below follows them)
 * -----------------------------------------------------------------
 * Names      `tipc_<module>_<verb>`; constants `TIPC_*`.
 * Results    Every fallible call returns a `tipc_status`: TIPC_OK (0) or a
 *            negative error. The numeric values are pinned and never
 *            renumbered. After an error, `tipc_last_error()` returns a sentence
 *            naming the pool and the cause. A failed call changes nothing.
 * Out-params come first. `T **out` means the caller receives an *owned* object
 *            and must pass it to the matching destroy/release function;
 *            `*out` is set to NULL on error.
 * Borrowed   pointers returned by getters (`const char *`, `const void *`) stay
 *            valid for as long as the object they came from.
 * Loans      A producer loan (tipc_producer_loan) is valid until the next
 *            commit/discard/destroy of that producer. A consumer view
 *            (tipc_consumer_acquire) is valid until tipc_view_release, and keeps
 *            its pool mapped even after the consumer is destroyed.
 * Destroy    functions accept NULL and never fail.
 * Threads    Metadata is immutable after creation and may be shared freely.
 *            A producer is used by one thread at a time. A consumer's get,
 *            acquire, wait and getters are safe to call from several threads
 *            at once; create/destroy are not concurrent with anything else on
 *            the same handle. Views may be released from any thread.
 * Output     The library never prints, aborts or exits.
 * fork()     Producers and consumers start Cyclone DDS threads: a child of
 *            fork() must not use handles of its parent, and must exec (or
 *            only create new objects if no object existed before the fork).
 * Platform   Linux (futex, /proc, /dev/shm), little- or big-endian, 64-bit
 *            atomics required.
 */
#ifndef TENSOR_IPC_H
#define TENSOR_IPC_H

#include <stddef.h>
#include <stdint.h>

#include "tensor_ipc_export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Version                                                                  */
/* ------------------------------------------------------------------------ */

#define TIPC_VERSION_MAJOR 0
#define TIPC_VERSION_MINOR 1
#define TIPC_VERSION_PATCH 0
/** MAJOR * 10000 + MINOR * 100 + PATCH, comparable with `<`. */
#define TIPC_VERSION_NUMBER \
    (TIPC_VERSION_MAJOR * 10000 + TIPC_VERSION_MINOR * 100 + TIPC_VERSION_PATCH)
#define TIPC_VERSION_STRING "0.1.0"

/** @return TIPC_VERSION_NUMBER of the library actually loaded. Thread safe. */
TIPC_API unsigned tipc_version_number(void);
/** @return TIPC_VERSION_STRING of the library actually loaded (static). */
TIPC_API const char *tipc_version_string(void);

/* ------------------------------------------------------------------------ */
/* Status codes and errors                                                  */
/* ------------------------------------------------------------------------ */

/** Result of every fallible call. Values are pinned: never renumbered. */
typedef enum tipc_status {
    TIPC_OK = 0,
    TIPC_E_INVALID = -1,       /**< an argument is NULL, out of range or malformed */
    TIPC_E_NOMEM = -2,         /**< out of process memory */
    TIPC_E_NOT_CONNECTED = -3, /**< the consumer has no producer (yet) */
    TIPC_E_MISMATCH = -4,      /**< metadata differs from the pool's */
    TIPC_E_TIMEOUT = -5,       /**< a deadline passed */
    TIPC_E_EXISTS = -6,        /**< a live producer already owns the pool name */
    TIPC_E_UNSUPPORTED = -7,   /**< feature not available here (e.g. CUDA) */
    TIPC_E_NO_SPACE = -8,      /**< shared memory too small for the pool */
    TIPC_E_PERMISSION = -9,    /**< segment owned by another user, or access denied */
    TIPC_E_CORRUPT = -10,      /**< segment is not a valid tensor-ipc pool */
    TIPC_E_NO_DATA = -11,      /**< connected, but no frame was written yet */
    TIPC_E_BUSY = -12,         /**< resource in use (e.g. a loan is outstanding) */
    TIPC_E_CLOSED = -13,       /**< the producer closed or died */
    TIPC_E_SYSTEM = -14,       /**< an operating-system call failed */
    TIPC_E_LIMIT = -15         /**< a fixed limit was reached (e.g. reader slots) */
} tipc_status;

/**
 * The sentence describing the last error raised on the calling thread.
 * Never NULL: "" before any error. The text stays valid until the next
 * tensor-ipc call on the same thread. Thread-local, so thread safe.
 */
TIPC_API const char *tipc_last_error(void);

/** Stable symbolic name of a status ("TIPC_E_TIMEOUT"); "unknown" otherwise. */
TIPC_API const char *tipc_status_name(tipc_status status);

/* ------------------------------------------------------------------------ */
/* Element types and backends                                               */
/* ------------------------------------------------------------------------ */

/** Element types. Values are pinned; names follow numpy ("float32"). */
typedef enum tipc_dtype {
    TIPC_DTYPE_INVALID = 0,
    TIPC_DTYPE_BOOL = 1,
    TIPC_DTYPE_INT8 = 2,
    TIPC_DTYPE_INT16 = 3,
    TIPC_DTYPE_INT32 = 4,
    TIPC_DTYPE_INT64 = 5,
    TIPC_DTYPE_UINT8 = 6,
    TIPC_DTYPE_UINT16 = 7,
    TIPC_DTYPE_UINT32 = 8,
    TIPC_DTYPE_UINT64 = 9,
    TIPC_DTYPE_FLOAT16 = 10,
    TIPC_DTYPE_BFLOAT16 = 11,
    TIPC_DTYPE_FLOAT32 = 12,
    TIPC_DTYPE_FLOAT64 = 13,
    TIPC_DTYPE_COMPLEX64 = 14,
    TIPC_DTYPE_COMPLEX128 = 15
} tipc_dtype;

/** numpy-style name ("uint8", "bfloat16"); "invalid" for unknown values. */
TIPC_API const char *tipc_dtype_name(tipc_dtype dtype);
/** Size of one element in bytes; 0 for unknown values. */
TIPC_API size_t tipc_dtype_size(tipc_dtype dtype);
/**
 * Parse a numpy-style name. Also accepts the aliases "bool_", "float",
 * "double", "half" and torch's "torch." prefix ("torch.float32").
 * @return the dtype, or TIPC_DTYPE_INVALID (no error text is set).
 */
TIPC_API tipc_dtype tipc_dtype_from_name(const char *name);

/** Which array type the bindings hand out; host pools differ only here. */
typedef enum tipc_backend {
    TIPC_BACKEND_INVALID = 0,
    TIPC_BACKEND_NUMPY = 1,
    TIPC_BACKEND_TORCH = 2,
    TIPC_BACKEND_TORCH_CUDA = 3
} tipc_backend;

/** "numpy", "torch", "torch_cuda"; "invalid" otherwise. */
TIPC_API const char *tipc_backend_name(tipc_backend backend);
/** Parse a backend name; TIPC_BACKEND_INVALID if unknown. */
TIPC_API tipc_backend tipc_backend_from_name(const char *name);

/* ------------------------------------------------------------------------ */
/* Metadata                                                                 */
/* ------------------------------------------------------------------------ */

/** Longest pool name in bytes, without the terminating NUL. */
#define TIPC_NAME_MAX 63
/** Most dimensions a frame may have (0 dims = one scalar per frame). */
#define TIPC_MAX_DIMS 8
/** Largest history_len accepted. */
#define TIPC_MAX_HISTORY 65536
/** Largest backend payload (e.g. a CUDA IPC handle) in bytes. */
#define TIPC_PAYLOAD_MAX 256

/** Immutable description of a pool. Opaque; share freely between threads. */
typedef struct tipc_metadata tipc_metadata;

/**
 * Describe a pool.
 *
 * @param out         receives the new metadata (owned: tipc_metadata_destroy).
 * @param name        pool name: 1..TIPC_NAME_MAX bytes of [A-Za-z0-9_-] and '/',
 *                    not starting or ending with '/', no "//".
 * @param dtype       element type.
 * @param ndim        number of dimensions, 0..TIPC_MAX_DIMS; checked before @p shape
 *                    is read, so a larger ndim never reads past a shorter array.
 * @param shape       ndim sizes, each > 0 (may be NULL when ndim is 0).
 * @param backend     array type the bindings hand out.
 * @param history_len frames in the ring, 1..TIPC_MAX_HISTORY.
 * @param device      "cpu", or "cuda:N" for TIPC_BACKEND_TORCH_CUDA; NULL = default
 *                    ("cpu", or "cuda:0" for torch_cuda).
 * @retval TIPC_OK          *out holds the metadata.
 * @retval TIPC_E_INVALID   a parameter is invalid, or the pool's byte size
 *                          overflows; the sentence says which.
 * @retval TIPC_E_NOMEM     out of memory.
 */
TIPC_API tipc_status tipc_metadata_create(tipc_metadata **out, const char *name,
                                          tipc_dtype dtype, size_t ndim,
                                          const int64_t *shape, tipc_backend backend,
                                          uint32_t history_len, const char *device);

/** Copy @p src into a new owned object. @retval TIPC_OK @retval TIPC_E_INVALID @retval TIPC_E_NOMEM */
TIPC_API tipc_status tipc_metadata_clone(tipc_metadata **out, const tipc_metadata *src);

/** Free metadata. Accepts NULL. */
TIPC_API void tipc_metadata_destroy(tipc_metadata *md);

/** Pool name (borrowed). */
TIPC_API const char *tipc_metadata_name(const tipc_metadata *md);
TIPC_API tipc_dtype tipc_metadata_dtype(const tipc_metadata *md);
TIPC_API tipc_backend tipc_metadata_backend(const tipc_metadata *md);
/** Number of dimensions. */
TIPC_API size_t tipc_metadata_ndim(const tipc_metadata *md);
/** Size of dimension @p axis; 0 when axis >= ndim or md is NULL. */
TIPC_API int64_t tipc_metadata_dim(const tipc_metadata *md, size_t axis);
TIPC_API uint32_t tipc_metadata_history_len(const tipc_metadata *md);
/** "cpu" or "cuda:N" (borrowed). */
TIPC_API const char *tipc_metadata_device(const tipc_metadata *md);
/** Bytes of one element. */
TIPC_API size_t tipc_metadata_element_size(const tipc_metadata *md);
/** Bytes of one frame: element size times the product of the shape. */
TIPC_API size_t tipc_metadata_frame_bytes(const tipc_metadata *md);
/** Bytes of all frames: frame_bytes * history_len (the original `total_size`). */
TIPC_API size_t tipc_metadata_total_bytes(const tipc_metadata *md);
/** Name of the shared-memory segment, e.g. "/tipc.cam.rgb" (borrowed). */
TIPC_API const char *tipc_metadata_shm_name(const tipc_metadata *md);
/** Pid of the producer that published this metadata; 0 when not from a producer. */
TIPC_API int64_t tipc_metadata_creator_pid(const tipc_metadata *md);
/** Backend payload (borrowed) and its size; NULL/0 when empty. */
TIPC_API const void *tipc_metadata_payload(const tipc_metadata *md, size_t *out_size);
/** Identity of the host (the /dev/shm) whose producer announced this
 *  metadata over DDS: 32 hex digits (borrowed); "" when not from an
 *  announcement or from a library that sends none. Compare with
 *  tipc_host_id() to tell local pools from remote ones. */
TIPC_API const char *tipc_metadata_host_id(const tipc_metadata *md);
/** Hostname the announcing producer reported (borrowed; for display only:
 *  containers share hostnames, the host id decides). "" when unknown. */
TIPC_API const char *tipc_metadata_hostname(const tipc_metadata *md);

/** Size of a buffer for tipc_host_id(): 32 hex digits and a NUL. */
#define TIPC_HOST_ID_SIZE 33
/**
 * The identity of this process's host for tensor-ipc: that of its /dev/shm,
 * where pools' segments live: derived from the kernel's boot id and the
 * device and inode of /dev/shm, so it is the same for every process that
 * can map this host's segments and differs for a container or namespace
 * with a /dev/shm of its own. Nothing is written.
 * @param buf   receives 32 lowercase hex digits and a NUL.
 * @param size  bytes at @p buf, at least TIPC_HOST_ID_SIZE.
 * @retval TIPC_OK @retval TIPC_E_INVALID (buf NULL or too small)
 * @retval TIPC_E_SYSTEM (/proc/sys/kernel/random/boot_id or /dev/shm unreadable)
 * Thread safe.
 */
TIPC_API tipc_status tipc_host_id(char *buf, size_t size);

/**
 * Check that two metadata describe the same pool: every field but creator pid
 * and payload must be equal, and the backend only when either is
 * TIPC_BACKEND_TORCH_CUDA (for host pools the backend is only the array type
 * a binding hands out: a numpy reader of a torch pool reads the same pool).
 * @retval TIPC_OK          they match.
 * @retval TIPC_E_MISMATCH  they differ; the sentence names every differing field
 *                          with both values ("pool 'cam': shape (480,640,3) vs (480,640,4)").
 * @retval TIPC_E_INVALID   a pointer is NULL.
 */
TIPC_API tipc_status tipc_metadata_compare(const tipc_metadata *expected,
                                           const tipc_metadata *actual);

/**
 * Write a one-line description ("pool 'cam' uint8 (480,640,3) numpy history 4 cpu")
 * into @p buf (always NUL-terminated when size > 0).
 * @return the length the full text needs, like snprintf.
 */
TIPC_API size_t tipc_metadata_describe(const tipc_metadata *md, char *buf, size_t size);

/* ------------------------------------------------------------------------ */
/* Frame information                                                        */
/* ------------------------------------------------------------------------ */

/** What is known about one frame handed out by a read. */
typedef struct tipc_frame_info {
    uint64_t index;       /**< 0-based frame index since the producer started */
    int64_t timestamp_ns; /**< CLOCK_REALTIME at commit, nanoseconds */
    int32_t valid;        /**< 1 for a written frame, 0 for padding */
    int32_t reserved_;
} tipc_frame_info;

/** CLOCK_REALTIME in nanoseconds, the clock of tipc_frame_info.timestamp_ns. */
TIPC_API int64_t tipc_now_ns(void);

/** A timeout that never expires (tipc_consumer_wait, put_timeout_ns). */
#define TIPC_TIMEOUT_INFINITE INT64_C(-1)

/* ------------------------------------------------------------------------ */
/* Control plane (Cyclone DDS)                                              */
/* ------------------------------------------------------------------------ */

/**
 * A control-plane context: one DDS participant on one domain. Producers and
 * consumers created without a context share the process's default context
 * (domain $TIPC_DOMAIN_ID, else 0), created on first use. A context must
 * outlive the producers and consumers made with it. Thread safe.
 */
typedef struct tipc_context tipc_context;

#define TIPC_CONTEXT_OPTIONS_VERSION 1

/** Context options. Fields are only ever appended. */
typedef struct tipc_context_options {
    unsigned int version; /**< TIPC_CONTEXT_OPTIONS_VERSION */
    int32_t domain_id;    /**< 0..232; < 0 = $TIPC_DOMAIN_ID or 0 */
} tipc_context_options;

#define TIPC_CONTEXT_OPTIONS_INIT { TIPC_CONTEXT_OPTIONS_VERSION, -1 }

/** Fill @p opts with defaults. @retval TIPC_OK @retval TIPC_E_INVALID */
TIPC_API tipc_status tipc_context_options_init(tipc_context_options *opts,
                                               unsigned int version);

/**
 * Join a DDS domain.
 * @param out  receives the context (owned: tipc_context_destroy).
 * @param opts NULL for defaults.
 * @retval TIPC_OK @retval TIPC_E_INVALID bad domain id or options.
 * @retval TIPC_E_SYSTEM DDS could not start (the sentence gives its reason).
 */
TIPC_API tipc_status tipc_context_create(tipc_context **out, const tipc_context_options *opts);

/** Leave the domain. Accepts NULL. Must not be called while objects made with it live. */
TIPC_API void tipc_context_destroy(tipc_context *ctx);

/** Domain id of @p ctx; -1 for NULL. */
TIPC_API int32_t tipc_context_domain_id(const tipc_context *ctx);

/**
 * List the pools announced in @p ctx's domain (NULL = default context).
 * @param wait_ns   how long to let discovery run first (e.g. 500 ms for a new process).
 * @param out_list  receives an array of owned metadata (tipc_pool_list_free);
 *                  each carries the producer's pid (tipc_metadata_creator_pid).
 *                  NULL when no pool is announced. Malformed announcements
 *                  are skipped.
 * @param out_count receives the number of entries.
 * @retval TIPC_OK @retval TIPC_E_INVALID @retval TIPC_E_NOMEM @retval TIPC_E_SYSTEM
 */
TIPC_API tipc_status tipc_discover_pools(tipc_context *ctx, int64_t wait_ns,
                                         tipc_metadata ***out_list, size_t *out_count);

/**
 * Look up the announcement of one pool in @p ctx's domain (NULL = default
 * context), waiting until a valid one is seen or @p wait_ns passed.
 * Unlike tipc_discover_pools, it tells a malformed announcement from none.
 * @param name     the pool name.
 * @param wait_ns  how long to wait for the announcement (0 only looks), or
 *                 TIPC_TIMEOUT_INFINITE.
 * @param out      receives owned metadata (tipc_metadata_destroy); NULL on error.
 * @retval TIPC_OK
 * @retval TIPC_E_NOT_CONNECTED  no live announcement of @p name arrived in time.
 * @retval TIPC_E_CORRUPT        the pool is announced, but only malformed: the
 *                               sentence gives the validation failure.
 * @retval TIPC_E_INVALID @retval TIPC_E_NOMEM @retval TIPC_E_SYSTEM
 */
TIPC_API tipc_status tipc_discover_pool(tipc_context *ctx, const char *name, int64_t wait_ns,
                                        tipc_metadata **out);

/** Free a list from tipc_discover_pools. Accepts NULL. */
TIPC_API void tipc_pool_list_free(tipc_metadata **list, size_t count);

/* ------------------------------------------------------------------------ */
/* Reclaiming what dead producers left                                      */
/* ------------------------------------------------------------------------ */

/** What tipc_pool_reclaim did with one file. */
typedef enum tipc_reclaim_action {
    TIPC_RECLAIM_REMOVED = 0,      /**< stale: removed (with TIPC_RECLAIM_DRY_RUN: would be) */
    TIPC_RECLAIM_KEPT_LIVE = 1,    /**< kept: its producer (or creator) is running */
    TIPC_RECLAIM_KEPT_FOREIGN = 2, /**< kept: not a regular file or not a tensor-ipc segment */
    TIPC_RECLAIM_FAILED = 3        /**< stale, but removing it failed */
} tipc_reclaim_action;

/** One file looked at by tipc_pool_reclaim. Every pointer is borrowed for
 *  the duration of the callback. */
typedef struct tipc_reclaim_entry {
    const char *path;            /**< e.g. "/dev/shm/tipc.cam.rgb" */
    int temporary;               /**< 1 for a pool creation's temporary file */
    int64_t pid;                 /**< its producer's (or creator's) pid; 0 if unknown */
    tipc_reclaim_action action;
    const char *reason;          /**< a sentence: why it was removed or kept */
} tipc_reclaim_entry;

/** Called once per file looked at, on the calling thread. */
typedef void (*tipc_reclaim_fn)(const tipc_reclaim_entry *entry, void *user);

#define TIPC_RECLAIM_DRY_RUN 0x1u /**< decide and report, remove nothing */

/**
 * Remove the shared-memory files that dead producers left: pool segments
 * whose recorded producer (pid and start time) is not running, and temporary
 * files of pool creations whose process is gone. Producers and consumers do
 * this by themselves for the names they touch; this call serves tools
 * (`tipc gc`) and start-up scripts. Only the stable 32-byte prefix of a
 * segment is read, so segments of any layout version are handled. A file is
 * removed only if it is still the one examined, so a producer publishing a
 * new segment meanwhile is safe. Pids are those of the caller's pid namespace.
 *
 * @param pool        a pool name: only its files; NULL: every tensor-ipc file.
 * @param flags       0 or TIPC_RECLAIM_DRY_RUN.
 * @param fn          called for each file looked at (may be NULL).
 * @param user        passed to @p fn.
 * @param out_removed receives how many files were (or would be) removed; may be NULL.
 * @retval TIPC_OK          every stale file is gone.
 * @retval TIPC_E_INVALID   bad pool name or flags.
 * @retval TIPC_E_PERMISSION a stale file could not be removed for lack of rights
 *                          (the sentence names the first; the others were tried).
 * @retval TIPC_E_SYSTEM    /dev/shm could not be listed, or another removal failed.
 * Thread safety: any thread.
 */
TIPC_API tipc_status tipc_pool_reclaim(const char *pool, unsigned int flags, tipc_reclaim_fn fn,
                                       void *user, size_t *out_removed);

/* ------------------------------------------------------------------------ */
/* Producer                                                                 */
/* ------------------------------------------------------------------------ */

/** The single writer of a pool. Opaque; one thread at a time. */
typedef struct tipc_producer tipc_producer;

#define TIPC_PRODUCER_OPTIONS_VERSION 1

/** Producer options. Fields are only ever appended. */
typedef struct tipc_producer_options {
    unsigned int version;     /**< TIPC_PRODUCER_OPTIONS_VERSION */
    unsigned int mode;        /**< permission bits of the segment; 0 = 0600 */
    int64_t put_timeout_ns;   /**< longest wait for a reader holding the slot
                                   about to be overwritten: >= 0 nanoseconds
                                   (default 1 s), or TIPC_TIMEOUT_INFINITE;
                                   any other negative value is TIPC_E_INVALID */
    tipc_context *context;    /**< control-plane context; NULL = process default */
    int control_plane;        /**< 1 = announce over DDS (default); 0 = shared memory only */
    int publish_progress;     /**< 1 = a DDS progress sample after each put (default) */
} tipc_producer_options;

/** The default put_timeout_ns: 1 s. */
#define TIPC_PUT_TIMEOUT_DEFAULT_NS INT64_C(1000000000)

#define TIPC_PRODUCER_OPTIONS_INIT \
    { TIPC_PRODUCER_OPTIONS_VERSION, 0600, TIPC_PUT_TIMEOUT_DEFAULT_NS, NULL, 1, 1 }

/**
 * Fill @p opts with defaults for the given struct version.
 * @retval TIPC_OK @retval TIPC_E_INVALID NULL or unknown version.
 */
TIPC_API tipc_status tipc_producer_options_init(tipc_producer_options *opts,
                                                unsigned int version);

/**
 * Create the pool described by @p md and become its producer.
 *
 * The segment is created fully initialised and then published under its name
 * atomically, so no reader ever sees a half-built header. A segment of the
 * same name whose producer is dead is reclaimed. Space for every frame is
 * reserved now, so a full /dev/shm fails here and never later.
 *
 * @param out  receives the producer (owned: tipc_producer_destroy).
 * @param md   pool description (copied; the caller keeps ownership).
 * @param opts NULL for defaults.
 * @retval TIPC_OK            *out is the producer.
 * @retval TIPC_E_INVALID     NULL argument or bad options.
 * @retval TIPC_E_EXISTS      a live producer owns the name (its pid is named).
 * @retval TIPC_E_PERMISSION  an existing segment of that name belongs to another user.
 * @retval TIPC_E_CORRUPT     a file of that name exists and is not a tensor-ipc pool.
 * @retval TIPC_E_NO_SPACE    shared memory cannot hold the pool (needed and free bytes named).
 * @retval TIPC_E_UNSUPPORTED the backend needs something missing (CUDA).
 * @retval TIPC_E_SYSTEM      another OS call failed.
 */
TIPC_API tipc_status tipc_producer_create(tipc_producer **out, const tipc_metadata *md,
                                          const tipc_producer_options *opts);

/**
 * Close the pool: consumers are told it is gone, blocked waiters wake with
 * TIPC_E_CLOSED, and the name is removed. Memory stays mapped by consumers
 * that still hold views. Accepts NULL. An outstanding loan is discarded.
 */
TIPC_API void tipc_producer_destroy(tipc_producer *p);

/** The producer's metadata (borrowed, valid while @p p lives). */
TIPC_API const tipc_metadata *tipc_producer_metadata(const tipc_producer *p);

/**
 * Copy one frame into the next slot and publish it.
 *
 * @param data      frame bytes, in C order.
 * @param size      must equal tipc_metadata_frame_bytes().
 * @param out_index receives the frame's 0-based index (may be NULL).
 * @retval TIPC_OK         published; consumers waiting are woken.
 * @retval TIPC_E_INVALID  NULL pointer or wrong size (nothing written).
 * @retval TIPC_E_BUSY     a loan is outstanding.
 * @retval TIPC_E_TIMEOUT  a live reader held the slot past put_timeout_ns; the
 *                         slot keeps its old frame and nothing is published.
 */
TIPC_API tipc_status tipc_producer_put(tipc_producer *p, const void *data, size_t size,
                                       uint64_t *out_index);

/**
 * Borrow the next slot to write a frame in place (zero copy). The pointer is
 * valid until tipc_producer_commit, tipc_producer_discard or destroy. Readers
 * never see the slot's new bytes until it is committed; the frame it held
 * before (the oldest of the ring) is no longer readable once loaned.
 * @param out_data receives the slot's address (frame_bytes, 64-byte aligned).
 * @param out_size receives frame_bytes (may be NULL).
 * @retval TIPC_OK @retval TIPC_E_INVALID @retval TIPC_E_BUSY a loan is already out.
 * @retval TIPC_E_TIMEOUT as for put.
 */
TIPC_API tipc_status tipc_producer_loan(tipc_producer *p, void **out_data, size_t *out_size);

/**
 * Publish the loaned slot as the newest frame.
 * @retval TIPC_OK @retval TIPC_E_INVALID no loan is outstanding.
 */
TIPC_API tipc_status tipc_producer_commit(tipc_producer *p, uint64_t *out_index);

/**
 * tipc_producer_commit with the frame stamp given instead of read from the
 * clock: for frames that carry their own time (a ROS 2 header.stamp, a
 * replayed recording). @p timestamp_ns is CLOCK_REALTIME nanoseconds.
 * @retval TIPC_OK @retval TIPC_E_INVALID no loan is outstanding.
 */
TIPC_API tipc_status tipc_producer_commit_at(tipc_producer *p, int64_t timestamp_ns,
                                             uint64_t *out_index);

/**
 * Give the loaned slot back unpublished. The frame the slot held before may
 * have been overwritten by the loan, so it is dropped: it reads as padding in
 * history reads (and, with history_len 1, reads return TIPC_E_NO_DATA until
 * the next commit).
 * @retval TIPC_OK @retval TIPC_E_INVALID no loan is outstanding.
 */
TIPC_API tipc_status tipc_producer_discard(tipc_producer *p);

/** Number of frames published so far (the next frame's index). */
TIPC_API uint64_t tipc_producer_frames_written(const tipc_producer *p);

/**
 * Whether this producer is still the pool's only announced producer. A
 * producer of the same name on another host (another /dev/shm: it cannot be
 * on this one) is found within a few seconds (DDS discovery, then the next
 * re-announcement); of the two, the one that started later (the announced
 * start times, CLOCK_REALTIME; host identities decide a tie) stops
 * announcing, so every other host sees the pool on one host. Its own host's
 * consumers still read it (they map its segment). The other producer is told
 * too when it saw the later one's announcement before it was withdrawn.
 * @retval TIPC_OK        announced, and no other host announces this name.
 * @retval TIPC_E_EXISTS  another host announces it: the sentence names that
 *                        host, its hostname and pid, and whether this
 *                        producer stopped announcing.
 * @retval TIPC_E_INVALID p is NULL.
 * Thread safe.
 */
TIPC_API tipc_status tipc_producer_check(tipc_producer *p);

/* ------------------------------------------------------------------------ */
/* Consumer                                                                 */
/* ------------------------------------------------------------------------ */

/** A reader of a pool. Opaque; get/acquire/wait are thread safe. */
typedef struct tipc_consumer tipc_consumer;

#define TIPC_CONSUMER_OPTIONS_VERSION 3

/** Delivery of a pool read from another host (tipc_consumer_options.delivery). */
typedef enum tipc_delivery {
    /** Newest frame only, best effort: drops under load, lowest latency. */
    TIPC_DELIVERY_LATEST = 0,
    /** Every frame, reliable, bounded by the pool's history_len. */
    TIPC_DELIVERY_EVERY = 1
} tipc_delivery;

/** Consumer options. Fields are only ever appended; version 1 ends before
 *  trusted_owner_uid, version 2 before remote; both are still accepted. */
typedef struct tipc_consumer_options {
    unsigned int version;  /**< TIPC_CONSUMER_OPTIONS_VERSION */
    int control_plane;     /**< 1 = follow DDS announcements (default); 0 = shared memory only */
    tipc_context *context; /**< control-plane context; NULL = process default */
    /** (version 2) A pool's segment is read only when this user or root owns
     *  it, since any local user can create a file under a pool's name first.
     *  A uid here is trusted too, for pools shared across users on purpose;
     *  -1 (the default) trusts nobody else. */
    int64_t trusted_owner_uid;
    /** (version 3) 1 = read a pool announced by another host (another
     *  /dev/shm) over DDS when none is here. Off by default: any DDS peer
     *  could otherwise feed this process frames. The environment variable
     *  TIPC_REMOTE=1 turns it on for every consumer. See docs/remote.md. */
    int remote;
    /** (version 3) a tipc_delivery: how frames of a remote pool arrive. The
     *  first consumer on a host chooses for all consumers of that host. */
    int delivery;
} tipc_consumer_options;

#define TIPC_CONSUMER_OPTIONS_INIT { TIPC_CONSUMER_OPTIONS_VERSION, 1, NULL, -1, 0, TIPC_DELIVERY_LATEST }

/** Fill @p opts with defaults. @retval TIPC_OK @retval TIPC_E_INVALID */
TIPC_API tipc_status tipc_consumer_options_init(tipc_consumer_options *opts,
                                                unsigned int version);

/**
 * Create a consumer of the pool described by @p md. Lazy: succeeds whether or
 * not the producer exists yet; reads connect when it appears, disconnect when
 * it closes or dies, and reconnect to a new producer of the same name.
 * @retval TIPC_OK @retval TIPC_E_INVALID @retval TIPC_E_NOMEM
 */
TIPC_API tipc_status tipc_consumer_create(tipc_consumer **out, const tipc_metadata *md,
                                          const tipc_consumer_options *opts);

/**
 * Attach to pool @p pool by name alone: shape, dtype, history, backend and
 * device are taken from the producer's segment on this host (when it exists,
 * is live and its owner is trusted, see trusted_owner_uid), else from its DDS
 * announcement (unless opts->control_plane is 0), waiting up to @p wait_ns
 * for either to appear; then as tipc_consumer_create with that metadata (the
 * consumer follows later producers of the name with the same metadata).
 * @param out     receives the consumer (owned: tipc_consumer_destroy).
 * @param pool    the pool name.
 * @param wait_ns how long to wait for a producer (0 only looks), or
 *                TIPC_TIMEOUT_INFINITE; other negative values are TIPC_E_INVALID.
 * @param opts    NULL for defaults.
 * @retval TIPC_OK               *out is the consumer (tipc_consumer_metadata has the pool's).
 * @retval TIPC_E_NOT_CONNECTED  no producer appeared in time. When a pool of a
 *                               close name exists (at most 2 edits), the sentence
 *                               says so: "no producer of 'camrea' (waited 1.00 s);
 *                               did you mean 'camera'?".
 * @retval TIPC_E_CORRUPT        only a malformed segment or announcement exists.
 * @retval TIPC_E_PERMISSION     only a segment of an untrusted owner exists.
 * @retval TIPC_E_INVALID        bad name, wait or options.
 * @retval TIPC_E_NOMEM @retval TIPC_E_SYSTEM the control plane could not start.
 * Threads: any thread; it blocks for up to @p wait_ns.
 */
TIPC_API tipc_status tipc_consumer_open(tipc_consumer **out, const char *pool, int64_t wait_ns,
                                        const tipc_consumer_options *opts);

/**
 * The processes attached to the pool as readers, from its reader table: the
 * pid of each live reader entry (this consumer's own included; a process with
 * several consumers appears once per consumer). Entries of dead readers are
 * reclaimed first. Connects if needed.
 * @param pids      array of @p cap entries receiving the pids (may be NULL when cap is 0).
 * @param cap       capacity of @p pids; at most 64 readers exist.
 * @param out_count receives the number of readers (may exceed @p cap: the rest are not written).
 * @retval TIPC_OK @retval TIPC_E_INVALID @retval TIPC_E_NOT_CONNECTED and the
 *         other codes of tipc_consumer_connect.
 * Threads: as tipc_consumer_get.
 */
TIPC_API tipc_status tipc_consumer_readers(tipc_consumer *c, int64_t *pids, size_t cap,
                                           size_t *out_count);

/** Destroy a consumer. Views it handed out stay valid until released. Accepts NULL. */
TIPC_API void tipc_consumer_destroy(tipc_consumer *c);

/** The consumer's metadata (borrowed). */
TIPC_API const tipc_metadata *tipc_consumer_metadata(const tipc_consumer *c);

/**
 * Try to connect now (reads do this by themselves).
 * @retval TIPC_OK               connected (or already was).
 * @retval TIPC_E_NOT_CONNECTED  no live producer of this name.
 * @retval TIPC_E_MISMATCH       the pool exists with other metadata (fields named).
 * @retval TIPC_E_CORRUPT        the segment is malformed or truncated.
 * @retval TIPC_E_PERMISSION     the segment belongs to a user other than this one, root
 *                               and trusted_owner_uid (the owner is named).
 */
TIPC_API tipc_status tipc_consumer_connect(tipc_consumer *c);

/** 1 when connected to a live producer, else 0. Does not try to connect. */
TIPC_API int tipc_consumer_is_connected(const tipc_consumer *c);

/** Read flags (bitwise or). */
#define TIPC_READ_OLDEST_FIRST 0x1u /**< order frames oldest first (default latest first) */
#define TIPC_READ_PAD_FILL 0x2u     /**< pad missing history with the oldest frame, not zeros */
#define TIPC_READ_NO_MARK 0x4u      /**< do not count the frames as returned (tipc_consumer_wait) */

/**
 * Copy the latest @p count frames into @p dst, stacked on a leading axis
 * (count == 1: just the frame). Frames not written yet are padding: zeros, or
 * the oldest frame read with TIPC_READ_PAD_FILL. Padding goes at the old end
 * (last when latest first, first when oldest first). The oldest frame of a
 * full-history read is padding too while the producer is overwriting it. A
 * frame is held only while it is copied.
 *
 * @param dst       destination of count * frame_bytes bytes.
 * @param dst_size  size of dst; must equal count * frame_bytes.
 * @param count     1..history_len.
 * @param flags     TIPC_READ_* flags.
 * @param out_info  NULL, or an array of count entries that receive each frame's info.
 * @retval TIPC_OK               dst holds the frames.
 * @retval TIPC_E_INVALID        NULL pointer, bad count or dst_size (nothing written).
 * @retval TIPC_E_NOT_CONNECTED  no producer; dst untouched.
 * @retval TIPC_E_NO_DATA        connected but no frame written yet; dst untouched.
 * @retval TIPC_E_BUSY           the producer kept overwriting the frames for 1 s
 *                               (history_len too small for this reader).
 * @retval TIPC_E_CLOSED         the producer died while the read was retrying.
 * @retval TIPC_E_MISMATCH, TIPC_E_CORRUPT, TIPC_E_PERMISSION as for connect.
 */
TIPC_API tipc_status tipc_consumer_get(tipc_consumer *c, void *dst, size_t dst_size,
                                       uint32_t count, unsigned int flags,
                                       tipc_frame_info *out_info);

/** Zero-copy frames held by a consumer; see tipc_consumer_acquire. */
typedef struct tipc_view tipc_view;

/**
 * Hold the latest @p count frames in place (zero copy). The producer will not
 * overwrite a held frame (put waits, then times out), so release views quickly.
 * @param out   receives the view (owned: tipc_view_release).
 * @param count 1..history_len; missing history appears as NULL data (padding).
 * @param flags TIPC_READ_OLDEST_FIRST orders the frames; TIPC_READ_NO_MARK as for get;
 *              PAD_FILL is ignored.
 * @retval as tipc_consumer_get.
 */
TIPC_API tipc_status tipc_consumer_acquire(tipc_consumer *c, uint32_t count,
                                           unsigned int flags, tipc_view **out);

/**
 * Wait until a frame newer than the newest this consumer has returned exists.
 * Wakes through a futex in the segment.
 * @param timeout_ns nanoseconds (0 only checks), or TIPC_TIMEOUT_INFINITE to wait
 *                   forever; any other negative value is TIPC_E_INVALID.
 * @retval TIPC_OK               a newer frame is available.
 * @retval TIPC_E_TIMEOUT        none arrived in time.
 * @retval TIPC_E_NOT_CONNECTED  no producer appeared in time.
 * @retval TIPC_E_CLOSED         the producer this consumer was connected to closed
 *                               or died (before or during the wait); the consumer
 *                               has disconnected, and the next call looks for a new producer.
 */
TIPC_API tipc_status tipc_consumer_wait(tipc_consumer *c, int64_t timeout_ns);

/**
 * Index of the newest frame published, without reading it.
 * @retval TIPC_OK @retval TIPC_E_NOT_CONNECTED @retval TIPC_E_NO_DATA
 */
TIPC_API tipc_status tipc_consumer_latest_index(tipc_consumer *c, uint64_t *out_index);

/**
 * Copy frame @p index (not necessarily the newest) into @p dst, if it is
 * still in the ring. Does not count as returned for tipc_consumer_wait.
 * @param dst_size   must equal frame_bytes.
 * @param out_info   receives the frame's info (may be NULL).
 * @retval TIPC_OK               copied.
 * @retval TIPC_E_NO_DATA        frame @p index is not written yet, or was
 *                               overwritten already (the sentence says which).
 * @retval TIPC_E_INVALID, TIPC_E_NOT_CONNECTED, TIPC_E_CORRUPT, ... as tipc_consumer_get.
 * Thread safety: as tipc_consumer_get.
 */
TIPC_API tipc_status tipc_consumer_get_frame(tipc_consumer *c, uint64_t index, void *dst,
                                             size_t dst_size, tipc_frame_info *out_info);

/**
 * Hold frame @p index in place (zero copy), if it is still in the ring: a
 * one-frame view, released with tipc_view_release. Does not count as
 * returned for tipc_consumer_wait.
 * @retval as tipc_consumer_get_frame.
 */
TIPC_API tipc_status tipc_consumer_acquire_frame(tipc_consumer *c, uint64_t index,
                                                 tipc_view **out);

/**
 * Called on a library thread once for each frame published, in order, with
 * its index: read it with tipc_consumer_get_frame / tipc_consumer_acquire_frame
 * while it is still in the ring. When the thread falls behind by more than
 * history_len frames, the frames already overwritten are skipped (a gap in
 * the indices says how many). The callback may call get, acquire,
 * latest_index and view functions on @p c, but must not destroy @p c or
 * change its callback. Keep it short: the next call waits for it.
 */
typedef void (*tipc_frame_callback)(tipc_consumer *c, uint64_t index, void *user);

/**
 * Start (fn != NULL) or stop (fn == NULL) calling @p fn for each new frame.
 * Stopping waits until a running call returns. Not to be called from the
 * callback itself. tipc_consumer_destroy stops it too.
 * @retval TIPC_OK @retval TIPC_E_INVALID @retval TIPC_E_SYSTEM the thread could not start.
 */
TIPC_API tipc_status tipc_consumer_set_callback(tipc_consumer *c, tipc_frame_callback fn,
                                                void *user);

/** Number of frames in the view. */
TIPC_API uint32_t tipc_view_count(const tipc_view *v);
/** Address of frame @p i (borrowed, valid until release); NULL for padding or bad i. */
TIPC_API const void *tipc_view_data(const tipc_view *v, uint32_t i);
/** Bytes of each frame. */
TIPC_API size_t tipc_view_frame_bytes(const tipc_view *v);
/** Info of frame @p i. @retval TIPC_OK @retval TIPC_E_INVALID */
TIPC_API tipc_status tipc_view_info(const tipc_view *v, uint32_t i, tipc_frame_info *out);
/**
 * Let the producer reuse the frames but keep the memory mapped: the data
 * pointers stay readable (never a crash) while their content may change.
 * For bindings whose arrays can outlive a scoped view. Idempotent; any thread.
 */
TIPC_API void tipc_view_unhold(tipc_view *v);

/** Let the producer reuse the frames and free the view. Accepts NULL. Any thread. */
TIPC_API void tipc_view_release(tipc_view *v);

/* ------------------------------------------------------------------------ */
/* ROS 2 bridge                                                             */
/* ------------------------------------------------------------------------ */
/*
 * ROS 2 over Cyclone DDS is plain DDS on the wire: topic "rt/<topic>", type
 * "<pkg>::msg::dds_::<Msg>_", XCDR1, the domain in ROS_DOMAIN_ID (default 0).
 * This section maps pool frames to ROS 2 messages and back, and runs bridges
 * that copy a pool to a ROS 2 topic (export) or a topic into a pool (import),
 * with no ROS install. Array forms follow ros2_numpy's numpify/msgify
 * (docs/ros2.md has the table; `tipc ros2 types` prints it).
 */

/** One supported ROS 2 message type. Static data: never freed. */
typedef struct tipc_ros2_type_info {
    const char *name;       /**< "sensor_msgs/msg/Image" */
    const char *dds_name;   /**< "sensor_msgs::msg::dds_::Image_" */
    const char *shapes;     /**< the pool shapes and dtypes it maps to, in words */
    const char *definition; /**< its .msg text with dependencies ("ros2msg", as MCAP stores it) */
} tipc_ros2_type_info;

/** Number of supported ROS 2 message types. Thread safe. */
TIPC_API size_t tipc_ros2_type_count(void);
/** Type @p i (0-based), or NULL past the end. Thread safe. */
TIPC_API const tipc_ros2_type_info *tipc_ros2_type_at(size_t i);
/**
 * The type named @p name: "sensor_msgs/msg/Image", "sensor_msgs/Image" or the
 * DDS name. NULL (and tipc_last_error lists the supported names) if unknown.
 */
TIPC_API const tipc_ros2_type_info *tipc_ros2_type_find(const char *name);

#define TIPC_ROS2_OPTIONS_VERSION 1

/** How frames map to messages and how a bridge talks DDS. Fields are only ever appended. */
typedef struct tipc_ros2_options {
    unsigned int version;    /**< TIPC_ROS2_OPTIONS_VERSION */
    int32_t domain_id;       /**< -1: ROS_DOMAIN_ID from the environment, else 0 */
    const char *msg_type;    /**< NULL: inferred from the pool (tipc_ros2_infer) */
    const char *encoding;    /**< sensor_msgs/Image encoding; NULL: inferred */
    const char *frame_id;    /**< header.frame_id of exported messages; NULL: "" */
    const char *joint_names; /**< JointState names, comma-separated; NULL: "joint_0", ... */
    uint32_t qos_depth;      /**< keep-last depth; 0: 10 (ROS 2's default profile) */
    int32_t reliable;        /**< 1: reliable (ROS 2's default); 0: best effort */
    uint32_t history_len;    /**< import: history of a pool made from the first message; 0: 8 */
    unsigned int flags;      /**< TIPC_ROS2_* flags below */
} tipc_ros2_options;

/** The bridge starts no thread: the caller drives it with tipc_ros2_bridge_poll. */
#define TIPC_ROS2_MANUAL 0x1u

#define TIPC_ROS2_OPTIONS_INIT { TIPC_ROS2_OPTIONS_VERSION, -1, NULL, NULL, NULL, NULL, 10, 1, 8, 0 }

/**
 * Fill @p opts with defaults for the given struct version.
 * @retval TIPC_OK @retval TIPC_E_INVALID NULL or unknown version.
 */
TIPC_API tipc_status tipc_ros2_options_init(tipc_ros2_options *opts, unsigned int version);

/**
 * The ROS 2 type (and Image encoding) a pool maps to, for the obvious cases
 * (uint8 (H,W,3) is an Image "rgb8", float32 (N,3) a PointCloud2, ...).
 * @param out_type     receives the type name (static).
 * @param out_encoding receives the Image encoding, or NULL for other types (static; may be NULL).
 * @param md           the pool.
 * @param msg_type     a requested type, or NULL to infer; a request is checked against the pool.
 * @retval TIPC_OK
 * @retval TIPC_E_UNSUPPORTED no type fits, or several do: the sentence lists the choices.
 * @retval TIPC_E_MISMATCH    @p msg_type cannot carry this pool's shape or dtype (says why).
 * @retval TIPC_E_INVALID     NULL argument or unknown type name.
 */
TIPC_API tipc_status tipc_ros2_infer(const char **out_type, const char **out_encoding,
                                     const tipc_metadata *md, const char *msg_type);

/**
 * Serialise one frame as a ROS 2 message: the 4-byte encapsulation header
 * (XCDR1, little-endian) and the body, exactly as it travels on "rt/" topics
 * and as rosbag2/MCAP store it ("cdr" encoding).
 * @param buf       destination, or NULL to ask for the size only.
 * @param cap       bytes at @p buf.
 * @param out_size  receives the serialised size (also when @p buf is too small).
 * @param md        the frame's pool; @p frame holds tipc_metadata_frame_bytes() bytes.
 * @param stamp_ns  header.stamp (CLOCK_REALTIME ns) for types with a header.
 * @param opts      type, encoding, frame_id, joint names; NULL for defaults.
 * @retval TIPC_OK @retval TIPC_E_LIMIT @p cap is too small (nothing written)
 * @retval TIPC_E_UNSUPPORTED / TIPC_E_MISMATCH as tipc_ros2_infer @retval TIPC_E_INVALID
 * Thread safe.
 */
TIPC_API tipc_status tipc_ros2_encode(void *buf, size_t cap, size_t *out_size,
                                      const tipc_metadata *md, const void *frame,
                                      int64_t stamp_ns, const tipc_ros2_options *opts);

/** The array a message decodes to (tipc_ros2_decode). */
typedef struct tipc_ros2_array {
    tipc_dtype dtype;
    uint32_t ndim;
    int64_t shape[TIPC_MAX_DIMS];
    size_t bytes;      /**< C-order bytes of the array */
    int64_t stamp_ns;  /**< header.stamp, or 0 for types without a header */
} tipc_ros2_array;

/**
 * Decode a serialised ROS 2 message (encapsulation header included, either
 * byte order) into a C-order array, checking every length against @p size:
 * row padding of images is dropped, big-endian data converted.
 * @param out  receives dtype, shape, bytes and stamp (always, on TIPC_OK).
 * @param dst  destination of out->bytes bytes, or NULL to ask for the shape only.
 * @param dst_size bytes at @p dst.
 * @param msg_type the message's type name.
 * @retval TIPC_OK @retval TIPC_E_LIMIT @p dst_size too small (nothing written)
 * @retval TIPC_E_CORRUPT the bytes are not a valid message of that type (says where)
 * @retval TIPC_E_UNSUPPORTED valid, but with no array form (e.g. an unknown encoding)
 * @retval TIPC_E_INVALID
 * Thread safe.
 */
TIPC_API tipc_status tipc_ros2_decode(tipc_ros2_array *out, void *dst, size_t dst_size,
                                      const char *msg_type, const void *cdr, size_t size,
                                      const tipc_ros2_options *opts);

/** A running export or import. Opaque. */
typedef struct tipc_ros2_bridge tipc_ros2_bridge;

/**
 * Copy each new frame of a pool to the ROS 2 topic @p topic ("camera" is
 * published as DDS topic "rt/camera"). Frames are read through zero-copy
 * views and serialised once; nothing is serialised or sent while no ROS 2
 * reader is matched. Unless TIPC_ROS2_MANUAL, a library thread does the work
 * until destroy. The frame stamp becomes header.stamp.
 * @param out   receives the bridge (owned: tipc_ros2_bridge_destroy).
 * @param pool  the pool to read (copied; from tipc_discover_pool or a producer).
 * @param topic ROS 2 topic name, without "rt/"; a leading '/' is allowed.
 * @param opts  NULL for defaults.
 * @retval TIPC_OK
 * @retval TIPC_E_UNSUPPORTED / TIPC_E_MISMATCH no type fits the pool (tipc_ros2_infer's sentence)
 * @retval TIPC_E_INVALID @retval TIPC_E_SYSTEM DDS entities could not be made
 * The pool need not exist yet: the bridge connects when it appears.
 */
TIPC_API tipc_status tipc_ros2_export_create(tipc_ros2_bridge **out, const tipc_metadata *pool,
                                             const char *topic, const tipc_ros2_options *opts);

/**
 * Write each message of the ROS 2 topic @p topic (type opts->msg_type,
 * required) into a pool this bridge produces, through loan/commit, with
 * header.stamp as the frame stamp. With @p pool NULL, the pool is named
 * @p pool_name and takes its shape and dtype from the first message
 * (history opts->history_len); otherwise it is created now as described.
 * A message of another shape or dtype is counted (rejected) and never
 * written; one that does not decode is counted (malformed).
 * @param pool_name the pool's name when @p pool is NULL (else NULL or the same name).
 * @retval TIPC_OK @retval TIPC_E_INVALID @retval TIPC_E_UNSUPPORTED the type or its array form
 * @retval TIPC_E_EXISTS and the rest of tipc_producer_create's codes when @p pool is given
 * @retval TIPC_E_SYSTEM
 */
TIPC_API tipc_status tipc_ros2_import_create(tipc_ros2_bridge **out, const char *topic,
                                             const char *pool_name, const tipc_metadata *pool,
                                             const tipc_ros2_options *opts);

/**
 * Drive a TIPC_ROS2_MANUAL bridge: export publishes the frames written since
 * the last call (the newest history_len of them at most), import writes the
 * messages received; either waits up to @p timeout_ns (0: no wait;
 * TIPC_TIMEOUT_INFINITE) for the first one.
 * @param out_count receives the number of frames moved (may be NULL).
 * @retval TIPC_OK @retval TIPC_E_TIMEOUT nothing arrived in time
 * @retval TIPC_E_BUSY the bridge has its own thread @retval TIPC_E_INVALID
 */
TIPC_API tipc_status tipc_ros2_bridge_poll(tipc_ros2_bridge *b, int64_t timeout_ns,
                                           uint64_t *out_count);

#define TIPC_ROS2_STATS_VERSION 1

/** Counters of a bridge since it was created. */
typedef struct tipc_ros2_stats {
    unsigned int version;      /**< set to TIPC_ROS2_STATS_VERSION by the caller */
    uint64_t frames;           /**< frames published (export) or written (import) */
    uint64_t bytes;            /**< serialised bytes of those frames */
    uint64_t skipped;          /**< export: frames not sent (no reader, or overtaken);
                                    import: messages dropped because a reader held the
                                    slot to be written past put_timeout_ns */
    uint64_t rejected;         /**< import: messages of another shape or dtype */
    uint64_t malformed;        /**< import: messages that did not decode */
    uint32_t matched;          /**< ROS 2 readers (export) or writers (import) matched now */
    int32_t reserved_;
    char last_problem[256];    /**< sentence on the last rejected/malformed message, or "" */
} tipc_ros2_stats;

/**
 * Read the counters. Thread safe.
 * @retval TIPC_OK @retval TIPC_E_INVALID NULL or unknown version.
 */
TIPC_API tipc_status tipc_ros2_bridge_stats(const tipc_ros2_bridge *b, tipc_ros2_stats *out);

/** The ROS 2 type the bridge carries (static). */
TIPC_API const char *tipc_ros2_bridge_type(const tipc_ros2_bridge *b);

/**
 * The pool's metadata (borrowed, valid while @p b lives); NULL for an import
 * bridge that has not received its first message yet.
 */
TIPC_API const tipc_metadata *tipc_ros2_bridge_metadata(const tipc_ros2_bridge *b);

/** Stop the bridge (joins its thread); an import bridge closes its pool. Accepts NULL. */
TIPC_API void tipc_ros2_bridge_destroy(tipc_ros2_bridge *b);

#ifdef __cplusplus
}
#endif

#endif /* TENSOR_IPC_H */
