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
    if (n > TIPC_MAX_DIMS) {
        Py_DECREF(seq);
        PyErr_Format(PyExc_ValueError, "shape has %zd dimensions, at most %d allowed", n,
                     TIPC_MAX_DIMS);
        SWIG_fail;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
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
