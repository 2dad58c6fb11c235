/* Python part of tipc_ros2.i: the codec moving bytes without extra copies.
 * ros2_encode serialises into a new bytes object (one pass, shrunk to size),
 * ros2_encode_into into a buffer the caller owns (the recorder's staging);
 * ros2_decode_info gives the array form of a message, and ros2_decode_into
 * fills a buffer the caller allocated for it (a numpy array). */

%feature("nothreadallow") ros2_encode;
%feature("nothreadallow") ros2_encode_into;
%feature("nothreadallow") ros2_decode_info;
%feature("nothreadallow") ros2_decode_into;

%{
/* The frame handed to ros2_encode / ros2_encode_into: metadata given, and
 * exactly a frame of its pool. 0 with the exception set otherwise. */
static int tipc_py_ros2_frame_ok(const Metadata *md, size_t size, const char *fn)
{
    if (!md) {
        PyErr_Format(PyExc_TypeError, "%s: metadata must not be None", fn);
        return 0;
    }
    if (size != tipc_metadata_frame_bytes(md)) {
        PyErr_Format(PyExc_ValueError,
                     "pool '%s': a frame is %zu bytes, the data given is %zu bytes",
                     tipc_metadata_name(md), tipc_metadata_frame_bytes(md), size);
        return 0;
    }
    return 1;
}

static PyObject *tipc_py_ros2_array(const tipc_ros2_array *a)
{
    PyObject *shape = PyTuple_New((Py_ssize_t)a->ndim);
    if (!shape)
        return NULL;
    for (uint32_t i = 0; i < a->ndim; i++)
        PyTuple_SET_ITEM(shape, i, PyLong_FromLongLong((long long)a->shape[i]));
    return Py_BuildValue("(sNnL)", tipc_dtype_name(a->dtype), shape, (Py_ssize_t)a->bytes,
                         (long long)a->stamp_ns);
}
%}

%inline %{
/* One frame of @p md as a serialised ROS 2 message (bytes, encapsulation
 * header included). The frame's size must be the pool's frame size. */
PyObject *ros2_encode(const Metadata *md, const void *data, size_t size, int64_t stamp_ns,
                      const char *msg_type, const char *encoding, const char *frame_id,
                      const char *joint_names) {
    if (!tipc_py_ros2_frame_ok(md, size, "ros2_encode"))
        return NULL;
    tipc_ros2_options o = tipc_swig_ros2_opts(msg_type, encoding, frame_id, joint_names);
    /* One serialisation in the common case: a bytes object with room for
     * the frame and the fields around it, shrunk to the size written; only
     * messages with more than that around the frame (long joint names) take
     * a second pass at the exact size. */
    size_t cap = size + 4096, got = 0;
    PyObject *out = NULL;
    tipc_status st;
    for (int pass = 0; pass < 2; pass++) {
        out = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)cap);
        if (!out)
            return NULL;
        char *dst = PyBytes_AS_STRING(out);
        Py_BEGIN_ALLOW_THREADS
        st = tipc_ros2_encode(dst, cap, &got, md, data, stamp_ns, &o);
        Py_END_ALLOW_THREADS
        if (st != TIPC_E_LIMIT || got <= cap)
            break;
        Py_DECREF(out);
        out = NULL;
        cap = got;
    }
    if (TIPC_TRY(st) != TIPC_OK) {
        Py_XDECREF(out);
        return NULL;
    }
    if (got != cap && _PyBytes_Resize(&out, (Py_ssize_t)got) < 0)
        return NULL;
    return out;
}

/* Serialise one frame of @p md into dst. Returns the message's size; a size
 * above dst_size means it did not fit and nothing usable was written. */
PyObject *ros2_encode_into(void *dst, size_t dst_size, const Metadata *md, const void *data,
                           size_t size, int64_t stamp_ns, const char *msg_type,
                           const char *encoding, const char *frame_id, const char *joint_names) {
    if (!tipc_py_ros2_frame_ok(md, size, "ros2_encode_into"))
        return NULL;
    tipc_ros2_options o = tipc_swig_ros2_opts(msg_type, encoding, frame_id, joint_names);
    size_t got = 0;
    tipc_status st;
    Py_BEGIN_ALLOW_THREADS
    st = tipc_ros2_encode(dst, dst_size, &got, md, data, stamp_ns, &o);
    Py_END_ALLOW_THREADS
    if (st == TIPC_E_LIMIT && got > dst_size)
        return PyLong_FromSize_t(got);
    if (TIPC_TRY(st) != TIPC_OK)
        return NULL;
    return PyLong_FromSize_t(got);
}

/* The array form of a serialised message: (dtype name, shape, nbytes, stamp_ns). */
PyObject *ros2_decode_info(const char *msg_type, const void *data, size_t size,
                           const char *encoding) {
    tipc_ros2_options o = tipc_swig_ros2_opts(msg_type, encoding, NULL, NULL);
    tipc_ros2_array a;
    memset(&a, 0, sizeof a);
    tipc_status st;
    Py_BEGIN_ALLOW_THREADS
    st = tipc_ros2_decode(&a, NULL, 0, msg_type, data, size, &o);
    Py_END_ALLOW_THREADS
    if (TIPC_TRY(st) != TIPC_OK)
        return NULL;
    return tipc_py_ros2_array(&a);
}

/* Decode into dst (C-contiguous, writable, exactly nbytes of ros2_decode_info);
 * returns the same tuple as ros2_decode_info. */
PyObject *ros2_decode_into(void *dst, size_t dst_size, const char *msg_type, const void *data,
                           size_t size, const char *encoding) {
    tipc_ros2_options o = tipc_swig_ros2_opts(msg_type, encoding, NULL, NULL);
    tipc_ros2_array a;
    memset(&a, 0, sizeof a);
    tipc_status st;
    Py_BEGIN_ALLOW_THREADS
    st = tipc_ros2_decode(&a, dst, dst_size, msg_type, data, size, &o);
    Py_END_ALLOW_THREADS
    if (TIPC_TRY(st) != TIPC_OK)
        return NULL;
    return tipc_py_ros2_array(&a);
}
%}
