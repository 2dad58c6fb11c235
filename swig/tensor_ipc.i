/* tensor_ipc.i - the one SWIG interface of every language binding.
 *
 * It wraps the C ABI (c/include/tensor_ipc.h) as three classes, Metadata,
 * Producer and Consumer, mapping create/destroy onto constructors and
 * destructors. Each wrapped call stores its tipc_status in tipc_swig_status;
 * the single %exception below turns a negative status into the language's
 * error, carrying tipc_last_error()'s sentence. Per-language typemaps and the
 * frame wrappers live in python/ and lua/. */
#if defined(SWIGPYTHON)
%module(package="tensor_ipc", threads="1") capi
#elif defined(SWIGLUA)
%module tensor_ipc_core
#else
#error "tensor_ipc.i supports Python and Lua"
#endif

%{
#include "tensor_ipc.h"

#include <stdlib.h>
#include <string.h>

/* The classes SWIG sees are typedef names of the opaque C handles, so that
 * its generated helper functions (Metadata_name, ...) never collide with the
 * C ABI's own names (tipc_metadata_name, ...). */
typedef struct tipc_metadata Metadata;
typedef struct tipc_producer Producer;
typedef struct tipc_consumer Consumer;

/* Status of the last wrapped call on this thread (see %exception). */
static _Thread_local tipc_status tipc_swig_status;
#define TIPC_TRY(expr) (tipc_swig_status = (expr))

static tipc_dtype tipc_swig_dtype(const char *name)
{
    return tipc_dtype_from_name(name);
}
%}

%include <stdint.i>

#if defined(SWIGPYTHON)
%include "python/tipc_python.i"
#elif defined(SWIGLUA)
%include "lua/tipc_lua.i"
#endif

%exception {
    tipc_swig_status = TIPC_OK;
    $action
    if (tipc_swig_status < 0) {
        TIPC_SWIG_RAISE(tipc_swig_status);
        SWIG_fail;
    }
}

/* Free functions of the ABI that need no wrapping class. */
%rename(version_string) tipc_version_string;
%rename(version_number) tipc_version_number;
%rename(last_error) tipc_last_error;
%rename(status_name) tipc_status_name;
%rename(dtype_size_of) tipc_dtype_size;
%rename(now_ns) tipc_now_ns;
const char *tipc_version_string(void);
unsigned tipc_version_number(void);
const char *tipc_last_error(void);
const char *tipc_status_name(int status);
int64_t tipc_now_ns(void);

%inline %{
/* Size in bytes of a dtype given by name; 0 if the name is unknown. */
size_t dtype_size(const char *name) { return tipc_dtype_size(tipc_swig_dtype(name)); }
/* 1 when the name is a known dtype. */
int dtype_known(const char *name) { return tipc_swig_dtype(name) != TIPC_DTYPE_INVALID; }
%}

/* ---------------------------------------------------------------- Metadata */

%nodefaultctor Metadata;
%newobject Metadata::clone;
typedef struct {} Metadata;

%extend Metadata {
    /* shape arrives through the language's (const int64_t *dims, size_t ndim) typemap. */
    Metadata(const char *name, const char *dtype, const int64_t *dims, size_t ndim,
                  const char *backend, uint32_t history_len, const char *device = NULL) {
        tipc_metadata *md = NULL;
        TIPC_TRY(tipc_metadata_create(&md, name, tipc_swig_dtype(dtype), ndim, dims,
                                      tipc_backend_from_name(backend), history_len, device));
        return md;
    }
    ~Metadata() { tipc_metadata_destroy($self); }
    Metadata *clone() {
        tipc_metadata *md = NULL;
        TIPC_TRY(tipc_metadata_clone(&md, $self));
        return md;
    }
    const char *name() { return tipc_metadata_name($self); }
    const char *dtype() { return tipc_dtype_name(tipc_metadata_dtype($self)); }
    const char *backend() { return tipc_backend_name(tipc_metadata_backend($self)); }
    size_t ndim() { return tipc_metadata_ndim($self); }
    int64_t dim(size_t axis) { return tipc_metadata_dim($self, axis); }
    uint32_t history_len() { return tipc_metadata_history_len($self); }
    const char *device() { return tipc_metadata_device($self); }
    size_t element_size() { return tipc_metadata_element_size($self); }
    size_t frame_bytes() { return tipc_metadata_frame_bytes($self); }
    size_t total_bytes() { return tipc_metadata_total_bytes($self); }
    const char *shm_name() { return tipc_metadata_shm_name($self); }
    int64_t creator_pid() { return tipc_metadata_creator_pid($self); }
    /* Raises MismatchError naming every differing field. */
    void check_matches(const Metadata *actual) {
        TIPC_TRY(tipc_metadata_compare($self, actual));
    }
    char *describe() {
        size_t n = tipc_metadata_describe($self, NULL, 0) + 1;
        char *buf = malloc(n);
        if (buf)
            tipc_metadata_describe($self, buf, n);
        return buf;
    }
}
%newobject Metadata::describe;

/* ---------------------------------------------------------------- Producer */

%nodefaultctor Producer;
%newobject Producer::metadata;
typedef struct {} Producer;

%extend Producer {
    Producer(const Metadata *md, unsigned int mode = 0600,
                  int64_t put_timeout_ns = TIPC_PUT_TIMEOUT_DEFAULT_NS, int control_plane = 1,
                  int publish_progress = 1) {
        tipc_producer_options o = TIPC_PRODUCER_OPTIONS_INIT;
        o.mode = mode;
        o.put_timeout_ns = put_timeout_ns;
        o.control_plane = control_plane;
        o.publish_progress = publish_progress;
        tipc_producer *p = NULL;
        TIPC_TRY(tipc_producer_create(&p, md, &o));
        return p;
    }
    ~Producer() { tipc_producer_destroy($self); }
    /* data/size arrive through the language's buffer typemap. */
    uint64_t put(const void *data, size_t size) {
        uint64_t index = 0;
        TIPC_TRY(tipc_producer_put($self, data, size, &index));
        return index;
    }
    uint64_t commit() {
        uint64_t index = 0;
        TIPC_TRY(tipc_producer_commit($self, &index));
        return index;
    }
    void discard() { TIPC_TRY(tipc_producer_discard($self)); }
    uint64_t frames_written() { return tipc_producer_frames_written($self); }
    Metadata *metadata() {
        tipc_metadata *md = NULL;
        TIPC_TRY(tipc_metadata_clone(&md, tipc_producer_metadata($self)));
        return md;
    }
}

/* ---------------------------------------------------------------- Consumer */

%nodefaultctor Consumer;
%newobject Consumer::metadata;
typedef struct {} Consumer;

%extend Consumer {
    Consumer(const Metadata *md, int control_plane = 1, int64_t trusted_owner_uid = -1,
             int remote = 0, int delivery = TIPC_DELIVERY_LATEST) {
        tipc_consumer_options o = TIPC_CONSUMER_OPTIONS_INIT;
        o.control_plane = control_plane;
        o.trusted_owner_uid = trusted_owner_uid;
        o.remote = remote;
        o.delivery = delivery;
        tipc_consumer *c = NULL;
        TIPC_TRY(tipc_consumer_create(&c, md, &o));
        return c;
    }
    ~Consumer() { tipc_consumer_destroy($self); }
    void connect() { TIPC_TRY(tipc_consumer_connect($self)); }
    int is_connected() { return tipc_consumer_is_connected($self); }
#if !defined(SWIGPYTHON) /* Python's wait (python/tipc_python_extend.i) lets signal handlers run */
    /* timeout_ns: TIPC_TIMEOUT_INFINITE waits forever; raises TimeoutError,
     * NotConnectedError, ClosedError. */
    void wait(int64_t timeout_ns) { TIPC_TRY(tipc_consumer_wait($self, timeout_ns)); }
#endif
    uint64_t latest_index() {
        uint64_t index = 0;
        TIPC_TRY(tipc_consumer_latest_index($self, &index));
        return index;
    }
    Metadata *metadata() {
        tipc_metadata *md = NULL;
        TIPC_TRY(tipc_metadata_clone(&md, tipc_consumer_metadata($self)));
        return md;
    }
}

/* ------------------------------------------------ Consumer: attach by name */

%newobject Consumer::open;
%extend Consumer {
    /* A consumer of pool @p pool with the producer's metadata (segment or
     * announcement), waiting up to wait_ns; NotConnectedError (with a
     * "did you mean" hint when a close name exists) if none appears. */
    static Consumer *open(const char *pool, int64_t wait_ns, int control_plane = 1,
                          int64_t trusted_owner_uid = -1) {
        tipc_consumer_options o = TIPC_CONSUMER_OPTIONS_INIT;
        o.control_plane = control_plane;
        o.trusted_owner_uid = trusted_owner_uid;
        tipc_consumer *c = NULL;
        TIPC_TRY(tipc_consumer_open(&c, pool, wait_ns, &o));
        return c;
    }
}

/* Timeouts: the bindings take their defaults from here, never repeat them. */
%constant int64_t TIMEOUT_INFINITE = TIPC_TIMEOUT_INFINITE;
%constant int64_t PUT_TIMEOUT_DEFAULT_NS = TIPC_PUT_TIMEOUT_DEFAULT_NS;
%constant unsigned int READ_OLDEST_FIRST = TIPC_READ_OLDEST_FIRST;
%constant unsigned int READ_PAD_FILL = TIPC_READ_PAD_FILL;
%constant unsigned int READ_NO_MARK = TIPC_READ_NO_MARK;
%constant int E_INVALID = TIPC_E_INVALID;
%constant int E_NOMEM = TIPC_E_NOMEM;
%constant int E_NOT_CONNECTED = TIPC_E_NOT_CONNECTED;
%constant int E_MISMATCH = TIPC_E_MISMATCH;
%constant int E_TIMEOUT = TIPC_E_TIMEOUT;
%constant int E_EXISTS = TIPC_E_EXISTS;
%constant int E_UNSUPPORTED = TIPC_E_UNSUPPORTED;
%constant int E_NO_SPACE = TIPC_E_NO_SPACE;
%constant int E_PERMISSION = TIPC_E_PERMISSION;
%constant int E_CORRUPT = TIPC_E_CORRUPT;
%constant int E_NO_DATA = TIPC_E_NO_DATA;
%constant int E_BUSY = TIPC_E_BUSY;
%constant int E_CLOSED = TIPC_E_CLOSED;
%constant int E_SYSTEM = TIPC_E_SYSTEM;
%constant int E_LIMIT = TIPC_E_LIMIT;

/* ---------------------------------------------------------------- ROS 2 */
%include "tipc_ros2.i"

#if defined(SWIGPYTHON)
%include "python/tipc_python_extend.i"
#elif defined(SWIGLUA)
%include "lua/tipc_lua_extend.i"
#endif
