/* Python part of tensor_ipc.i: status -> exception, buffer and shape typemaps. */

%{
#include "tipc_frame.h"

/* Raise the tensor_ipc exception class matching @p status, with the library's
 * sentence. The classes live in tensor_ipc/errors.py (exception_for). */
static void tipc_py_raise(tipc_status status)
{
    PyObject *cls = NULL;
    PyObject *mod = PyImport_ImportModule("tensor_ipc.errors");
    if (mod) {
        cls = PyObject_CallMethod(mod, "exception_for", "i", (int)status);
        Py_DECREF(mod);
    }
    if (!cls) {
        PyErr_Clear();
        cls = PyExc_RuntimeError;
        Py_INCREF(cls);
    }
    PyErr_SetString(cls, tipc_last_error());
    Py_DECREF(cls);
}
#define TIPC_SWIG_RAISE(status) tipc_py_raise(status)
%}

%{
/* The callable behind a consumer callback; owned by the capsule returned
 * from Consumer.set_callback. */
struct tipc_py_callback {
    PyObject *fn;
};

static void tipc_py_callback_trampoline(tipc_consumer *c, uint64_t index, void *user)
{
    (void)c;
    struct tipc_py_callback *cb = user;
    PyGILState_STATE g = PyGILState_Ensure();
    PyObject *r = PyObject_CallFunction(cb->fn, "K", (unsigned long long)index);
    if (!r)
        PyErr_WriteUnraisable(cb->fn);
    Py_XDECREF(r);
    PyGILState_Release(g);
}

static void tipc_py_callback_free(PyObject *cap)
{
    struct tipc_py_callback *cb = PyCapsule_GetPointer(cap, "tensor_ipc.callback");
    if (cb) {
        Py_XDECREF(cb->fn);
        PyMem_Free(cb);
    }
}
%}

%{
#include <time.h>

/* The longest the GIL stays released in one piece of a blocking wait: a
 * signal (Ctrl-C) is handled within it. A frame arriving inside a piece
 * still ends the wait at once (the futex wake). */
#define TIPC_PY_WAIT_SLICE_NS INT64_C(20000000)

static int64_t tipc_py_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* tipc_consumer_wait in pieces of at most TIPC_PY_WAIT_SLICE_NS, running
 * Python's signal handlers between them. Returns the status of the wait, or
 * 1 when a signal handler raised (the Python exception is set). Values the C
 * library refuses (negatives other than TIPC_TIMEOUT_INFINITE) go to it
 * unchanged, so its sentence is the error.
 *
 * With @p dst, a successful wait goes straight on to tipc_consumer_get(dst,
 * size, count, flags, infos) without taking the GIL in between (*got = 1: the
 * status is the get's). */
static int tipc_py_wait_get(tipc_consumer *c, int64_t timeout_ns, void *dst, size_t size,
                            uint32_t count, unsigned int flags, tipc_frame_info *infos, int *got)
{
    if (timeout_ns < 0 && timeout_ns != TIPC_TIMEOUT_INFINITE)
        return tipc_consumer_wait(c, timeout_ns);
    const int64_t start = tipc_py_mono_ns();
    const int64_t deadline =
        timeout_ns < 0 ? -1 : (timeout_ns > INT64_MAX - start ? INT64_MAX : start + timeout_ns);
    for (;;) {
        int64_t slice = TIPC_PY_WAIT_SLICE_NS;
        if (deadline >= 0) {
            int64_t left = deadline - tipc_py_mono_ns();
            if (left < slice)
                slice = left > 0 ? left : 0;
        }
        tipc_status st;
        Py_BEGIN_ALLOW_THREADS
        st = tipc_consumer_wait(c, slice);
        if (st == TIPC_OK && dst) {
            st = tipc_consumer_get(c, dst, size, count, flags, infos);
            *got = 1;
        }
        Py_END_ALLOW_THREADS
        if ((st != TIPC_E_TIMEOUT && st != TIPC_E_NOT_CONNECTED) || (got && *got) || slice == 0 ||
            (deadline >= 0 && tipc_py_mono_ns() >= deadline))
            return st;
        if (PyErr_CheckSignals() < 0)
            return 1;
    }
}

static int tipc_py_wait(tipc_consumer *c, int64_t timeout_ns)
{
    return tipc_py_wait_get(c, timeout_ns, NULL, 0, 0, 0, NULL, NULL);
}
%}

%init %{
    if (tipc_py_frame_register(m) < 0)
        return NULL;
%}

/* A shape: any sequence of ints. */
%typemap(in) (const int64_t *dims, size_t ndim) (int64_t buf[TIPC_MAX_DIMS + 1]) {
    PyObject *seq = PySequence_Fast($input, "shape must be a sequence of ints");
    if (!seq)
        SWIG_fail;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    /* More than TIPC_MAX_DIMS: the library refuses the count (with the pool's
     * name) before it reads any dimension, so only the first ones are kept. */
    for (Py_ssize_t i = 0; i < n && i < TIPC_MAX_DIMS; i++) {
        buf[i] = PyLong_AsLongLong(PySequence_Fast_GET_ITEM(seq, i));
        if (buf[i] == -1 && PyErr_Occurred()) {
            Py_DECREF(seq);
            SWIG_fail;
        }
    }
    Py_DECREF(seq);
    $1 = ($1_ltype)buf;
    $2 = (size_t)n;
}
%typemap(typecheck) (const int64_t *dims, size_t ndim) { $1 = PySequence_Check($input); }

/* A read-only C-contiguous buffer (numpy array, bytes, memoryview...). */
%typemap(in) (const void *data, size_t size) (Py_buffer view) {
    if (PyObject_GetBuffer($input, &view, PyBUF_C_CONTIGUOUS) < 0)
        SWIG_fail;
    $1 = view.buf;
    $2 = (size_t)view.len;
}
%typemap(freearg) (const void *data, size_t size) {
    if (view$argnum.obj)
        PyBuffer_Release(&view$argnum);
}

/* A writable C-contiguous buffer. */
%typemap(in) (void *dst, size_t dst_size) (Py_buffer view) {
    if (PyObject_GetBuffer($input, &view, PyBUF_C_CONTIGUOUS | PyBUF_WRITABLE) < 0)
        SWIG_fail;
    $1 = view.buf;
    $2 = (size_t)view.len;
}
%typemap(freearg) (void *dst, size_t dst_size) {
    if (view$argnum.obj)
        PyBuffer_Release(&view$argnum);
}
