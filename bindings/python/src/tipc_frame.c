#include "tipc_frame.h"

#include "dlpack_abi.h"

#include <structmember.h>

#include <stdlib.h>
#include <string.h>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the typestr table below assumes a little-endian host"
#endif

/* One entry per tipc_dtype. bfloat16 has no buffer/numpy type: it is exposed
 * as its raw 16 bits (uint16) there, and as a real bfloat16 through DLPack. */
static const struct {
    const char *format;
    const char *typestr;
    uint8_t dl_code, dl_bits;
} dtypes[] = {
    [TIPC_DTYPE_BOOL] = {"?", "|b1", kDLBool, 8},
    [TIPC_DTYPE_INT8] = {"b", "|i1", kDLInt, 8},
    [TIPC_DTYPE_INT16] = {"h", "<i2", kDLInt, 16},
    [TIPC_DTYPE_INT32] = {"i", "<i4", kDLInt, 32},
    [TIPC_DTYPE_INT64] = {"q", "<i8", kDLInt, 64},
    [TIPC_DTYPE_UINT8] = {"B", "|u1", kDLUInt, 8},
    [TIPC_DTYPE_UINT16] = {"H", "<u2", kDLUInt, 16},
    [TIPC_DTYPE_UINT32] = {"I", "<u4", kDLUInt, 32},
    [TIPC_DTYPE_UINT64] = {"Q", "<u8", kDLUInt, 64},
    [TIPC_DTYPE_FLOAT16] = {"e", "<f2", kDLFloat, 16},
    [TIPC_DTYPE_BFLOAT16] = {"H", "<u2", kDLBfloat, 16},
    [TIPC_DTYPE_FLOAT32] = {"f", "<f4", kDLFloat, 32},
    [TIPC_DTYPE_FLOAT64] = {"d", "<f8", kDLFloat, 64},
    [TIPC_DTYPE_COMPLEX64] = {"Zf", "<c8", kDLComplex, 64},
    [TIPC_DTYPE_COMPLEX128] = {"Zd", "<c16", kDLComplex, 128},
};

/* The frames of one tipc_view share it; the last frame frees it. Guarded by
 * the GIL. */
struct shared_view {
    tipc_view *view;
    Py_ssize_t refs;
};

typedef struct {
    PyObject_HEAD
    struct shared_view *sv; /* NULL for a producer loan */
    PyObject *owner;        /* producer proxy for loans */
    char *data;
    int ndim;
    Py_ssize_t shape[TIPC_MAX_DIMS];
    Py_ssize_t strides[TIPC_MAX_DIMS];
    tipc_dtype dtype;
    Py_ssize_t itemsize;
    Py_ssize_t nbytes;
    int readonly;
    int device;             /* CUDA ordinal of a torch_cuda pool's frame, else -1 */
    int ended;              /* a loan that was committed or discarded: no new exports */
    unsigned long long index;
    long long timestamp_ns;
    char pool[TIPC_NAME_MAX + 1];
} FrameObject;

static PyTypeObject FrameType;

static FrameObject *frame_new(const tipc_metadata *md, char *data, int readonly)
{
    FrameObject *f = PyObject_New(FrameObject, &FrameType);
    if (!f)
        return NULL;
    f->sv = NULL;
    f->owner = NULL;
    f->data = data;
    f->ndim = (int)tipc_metadata_ndim(md);
    f->dtype = tipc_metadata_dtype(md);
    f->itemsize = (Py_ssize_t)tipc_metadata_element_size(md);
    f->nbytes = (Py_ssize_t)tipc_metadata_frame_bytes(md);
    f->readonly = readonly;
    f->ended = 0;
    const char *dev = tipc_metadata_device(md);
    f->device = strncmp(dev, "cuda:", 5) == 0 ? atoi(dev + 5) : -1;
    f->index = 0;
    f->timestamp_ns = 0;
    snprintf(f->pool, sizeof f->pool, "%s", tipc_metadata_name(md));
    Py_ssize_t stride = f->itemsize;
    for (int i = f->ndim - 1; i >= 0; i--) {
        f->shape[i] = (Py_ssize_t)tipc_metadata_dim(md, (size_t)i);
        f->strides[i] = stride;
        stride *= f->shape[i];
    }
    return f;
}

static void shared_view_unref(struct shared_view *sv)
{
    if (sv && --sv->refs == 0) {
        Py_BEGIN_ALLOW_THREADS
        tipc_view_release(sv->view);
        Py_END_ALLOW_THREADS
        PyMem_Free(sv);
    }
}

static void frame_dealloc(FrameObject *f)
{
    shared_view_unref(f->sv);
    Py_XDECREF(f->owner);
    PyObject_Free(f);
}

PyObject *tipc_py_frames_from_view(tipc_view *view, const tipc_metadata *md)
{
    uint32_t n = tipc_view_count(view);
    struct shared_view *sv = PyMem_Malloc(sizeof *sv);
    PyObject *list = sv ? PyList_New(n) : NULL;
    if (!list) {
        PyMem_Free(sv);
        tipc_view_release(view);
        return PyErr_NoMemory();
    }
    sv->view = view;
    sv->refs = 1; /* the list-building reference, dropped below */
    for (uint32_t i = 0; i < n; i++) {
        const void *data = tipc_view_data(view, i);
        if (!data) {
            Py_INCREF(Py_None);
            PyList_SET_ITEM(list, i, Py_None);
            continue;
        }
        FrameObject *f = frame_new(md, (char *)data, 1);
        if (!f) {
            Py_DECREF(list);
            shared_view_unref(sv);
            return NULL;
        }
        tipc_frame_info info;
        tipc_view_info(view, i, &info);
        f->index = info.index;
        f->timestamp_ns = info.timestamp_ns;
        f->sv = sv;
        sv->refs++;
        PyList_SET_ITEM(list, i, (PyObject *)f);
    }
    shared_view_unref(sv);
    return list;
}

PyObject *tipc_py_frame_from_loan(void *data, const tipc_metadata *md, PyObject *owner)
{
    FrameObject *f = frame_new(md, data, 0);
    if (!f)
        return NULL;
    Py_XINCREF(owner);
    f->owner = owner;
    return (PyObject *)f;
}

/* ---------------------------------------------------------------- buffer */

/* 1 (with BufferError set) when @p f is a loan that has ended. */
static int frame_ended(const FrameObject *f)
{
    if (!f->ended)
        return 0;
    PyErr_Format(PyExc_BufferError,
                 "pool '%s': this loan ended (committed or discarded): its frame belongs to "
                 "the pool again; take a new loan to write another frame",
                 f->pool);
    return 1;
}

static int frame_getbuffer(FrameObject *f, Py_buffer *view, int flags)
{
    if (frame_ended(f)) {
        view->obj = NULL;
        return -1;
    }
    if (f->device >= 0) {
        PyErr_Format(PyExc_BufferError,
                     "pool '%s': the frame is in GPU memory (cuda:%d); use DLPack "
                     "(torch.from_dlpack) or __cuda_array_interface__",
                     f->pool, f->device);
        view->obj = NULL;
        return -1;
    }
    if ((flags & PyBUF_WRITABLE) && f->readonly) {
        PyErr_Format(PyExc_BufferError, "pool '%s': frames read by a consumer are read-only",
                     f->pool);
        view->obj = NULL;
        return -1;
    }
    view->buf = f->data;
    view->obj = (PyObject *)f;
    Py_INCREF(f);
    view->len = f->nbytes;
    view->readonly = f->readonly;
    view->itemsize = f->itemsize;
    view->format = (flags & PyBUF_FORMAT) ? (char *)dtypes[f->dtype].format : NULL;
    view->ndim = f->ndim;
    view->shape = (flags & PyBUF_ND) ? f->shape : NULL;
    view->strides = (flags & PyBUF_STRIDES) == PyBUF_STRIDES ? f->strides : NULL;
    view->suboffsets = NULL;
    view->internal = NULL;
    return 0;
}

static PyBufferProcs frame_as_buffer = {(getbufferproc)frame_getbuffer, NULL};

/* ---------------------------------------------------------------- attributes */

static PyObject *shape_tuple(const FrameObject *f)
{
    PyObject *t = PyTuple_New(f->ndim);
    for (int i = 0; t && i < f->ndim; i++)
        PyTuple_SET_ITEM(t, i, PyLong_FromSsize_t(f->shape[i]));
    return t;
}

static PyObject *frame_get_shape(FrameObject *f, void *closure)
{
    (void)closure;
    return shape_tuple(f);
}

static PyObject *frame_get_dtype(FrameObject *f, void *closure)
{
    (void)closure;
    return PyUnicode_FromString(tipc_dtype_name(f->dtype));
}

static PyObject *array_interface(FrameObject *f)
{
    if (frame_ended(f))
        return NULL;
    PyObject *shape = shape_tuple(f);
    if (!shape)
        return NULL;
    return Py_BuildValue("{s:N,s:s,s:(N,O),s:O,s:i}", "shape", shape, "typestr",
                         dtypes[f->dtype].typestr, "data", PyLong_FromVoidPtr(f->data),
                         f->readonly ? Py_True : Py_False, "strides", Py_None, "version", 3);
}

/* Host frames have __array_interface__, GPU frames __cuda_array_interface__;
 * the other one raises AttributeError, so libraries pick the right one. */
static PyObject *frame_get_array_interface(FrameObject *f, void *closure)
{
    (void)closure;
    if (f->device >= 0) {
        PyErr_SetString(PyExc_AttributeError, "GPU frames have __cuda_array_interface__");
        return NULL;
    }
    return array_interface(f);
}

static PyObject *frame_get_cuda_array_interface(FrameObject *f, void *closure)
{
    (void)closure;
    if (f->device < 0) {
        PyErr_SetString(PyExc_AttributeError, "host frames have __array_interface__");
        return NULL;
    }
    PyObject *d = array_interface(f);
    /* The producer's copy is complete before a frame is published: no stream. */
    if (d && PyDict_SetItemString(d, "stream", Py_None) < 0)
        Py_CLEAR(d);
    return d;
}

static PyGetSetDef frame_getset[] = {
    {"shape", (getter)frame_get_shape, NULL, "Shape of the frame.", NULL},
    {"dtype", (getter)frame_get_dtype, NULL, "numpy-style dtype name.", NULL},
    {"__array_interface__", (getter)frame_get_array_interface, NULL,
     "numpy array interface (version 3), zero copy; host frames only.", NULL},
    {"__cuda_array_interface__", (getter)frame_get_cuda_array_interface, NULL,
     "CUDA array interface (version 3), zero copy; GPU frames only.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyMemberDef frame_members[] = {
    {"index", T_ULONGLONG, offsetof(FrameObject, index), READONLY, "Frame index."},
    {"timestamp_ns", T_LONGLONG, offsetof(FrameObject, timestamp_ns), READONLY,
     "CLOCK_REALTIME of the commit, ns (0 for a loan)."},
    {"nbytes", T_PYSSIZET, offsetof(FrameObject, nbytes), READONLY, "Bytes in the frame."},
    {"readonly", T_INT, offsetof(FrameObject, readonly), READONLY, "1 for consumer frames."},
    {"device", T_INT, offsetof(FrameObject, device), READONLY,
     "CUDA device ordinal of a GPU frame, -1 for host memory."},
    {NULL, 0, 0, 0, NULL},
};

/* ---------------------------------------------------------------- DLPack */

/* Storage behind one exported tensor: either header, shape, and the frame
 * (or a private copy) that keeps the memory alive. */
struct dl_export {
    union {
        DLManagedTensor plain;
        DLManagedTensorVersioned versioned;
    } t;
    int64_t shape[TIPC_MAX_DIMS];
    PyObject *frame; /* NULL when data is a private copy */
    void *copy;
};

static void dl_export_free(struct dl_export *e)
{
    if (e->frame) {
        PyGILState_STATE g = PyGILState_Ensure(); /* deleters may run on any thread */
        Py_DECREF(e->frame);
        PyGILState_Release(g);
    }
    free(e->copy);
    free(e);
}

static void dl_plain_deleter(DLManagedTensor *t) { dl_export_free(t->manager_ctx); }
static void dl_versioned_deleter(DLManagedTensorVersioned *t) { dl_export_free(t->manager_ctx); }

static void capsule_plain_destructor(PyObject *cap)
{
    if (PyCapsule_IsValid(cap, "dltensor")) { /* never consumed */
        DLManagedTensor *t = PyCapsule_GetPointer(cap, "dltensor");
        t->deleter(t);
    }
}

static void capsule_versioned_destructor(PyObject *cap)
{
    if (PyCapsule_IsValid(cap, "dltensor_versioned")) {
        DLManagedTensorVersioned *t = PyCapsule_GetPointer(cap, "dltensor_versioned");
        t->deleter(t);
    }
}

static PyObject *frame_dlpack(FrameObject *f, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"stream", "max_version", "dl_device", "copy", NULL};
    PyObject *stream = Py_None, *max_version = Py_None, *dl_device = Py_None, *copy = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|$OOOO:__dlpack__", kwlist, &stream,
                                     &max_version, &dl_device, &copy))
        return NULL;
    if (frame_ended(f))
        return NULL;
    /* Frames are complete when published, so any consumer stream may use them
     * at once: the stream argument needs no synchronisation. */
    if (f->device < 0 && stream != Py_None && !(PyLong_Check(stream) && PyLong_AsLong(stream) == -1)) {
        PyErr_SetString(PyExc_BufferError, "host frames take no stream (None or -1)");
        return NULL;
    }
    const int dev_type = f->device >= 0 ? kDLCUDA : kDLCPU, dev_id = f->device >= 0 ? f->device : 0;
    if (dl_device != Py_None) {
        int type = -1, id = -1;
        if (!PyArg_ParseTuple(dl_device, "ii", &type, &id))
            return NULL;
        if (type != dev_type || id != dev_id) {
            PyErr_Format(PyExc_BufferError, "pool '%s': frame is on device (%d, %d), not (%d, %d)",
                         f->pool, dev_type, dev_id, type, id);
            return NULL;
        }
    }
    int want_copy = copy != Py_None && PyObject_IsTrue(copy);
    if (want_copy && f->device >= 0) {
        PyErr_Format(PyExc_BufferError, "pool '%s': copy=True is not supported for GPU frames; "
                     "use consumer.get()", f->pool);
        return NULL;
    }
    int versioned = 0;
    if (max_version != Py_None) {
        unsigned int major = 0, minor = 0;
        if (!PyArg_ParseTuple(max_version, "II", &major, &minor))
            return NULL;
        versioned = major >= 1;
    }
    struct dl_export *e = calloc(1, sizeof *e);
    if (!e)
        return PyErr_NoMemory();
    void *data = f->data;
    if (want_copy) {
        e->copy = malloc(f->nbytes ? (size_t)f->nbytes : 1);
        if (!e->copy) {
            free(e);
            return PyErr_NoMemory();
        }
        memcpy(e->copy, f->data, (size_t)f->nbytes);
        data = e->copy;
    } else {
        Py_INCREF(f);
        e->frame = (PyObject *)f;
    }
    for (int i = 0; i < f->ndim; i++)
        e->shape[i] = f->shape[i];
    DLTensor dl = {data,
                   {dev_type, dev_id},
                   f->ndim,
                   {dtypes[f->dtype].dl_code, dtypes[f->dtype].dl_bits, 1},
                   e->shape,
                   NULL, /* compact row-major */
                   0};
    PyObject *cap;
    if (versioned) {
        e->t.versioned.version = (DLPackVersion){1, 0};
        e->t.versioned.manager_ctx = e;
        e->t.versioned.deleter = dl_versioned_deleter;
        e->t.versioned.flags = (f->readonly && !want_copy) ? DLPACK_FLAG_BITMASK_READ_ONLY : 0;
        e->t.versioned.dl_tensor = dl;
        cap = PyCapsule_New(&e->t.versioned, "dltensor_versioned", capsule_versioned_destructor);
    } else {
        e->t.plain.dl_tensor = dl;
        e->t.plain.manager_ctx = e;
        e->t.plain.deleter = dl_plain_deleter;
        cap = PyCapsule_New(&e->t.plain, "dltensor", capsule_plain_destructor);
    }
    if (!cap)
        dl_export_free(e);
    return cap;
}

static PyObject *frame_dlpack_device(FrameObject *f, PyObject *unused)
{
    (void)unused;
    if (f->device >= 0)
        return Py_BuildValue("(ii)", kDLCUDA, f->device);
    return Py_BuildValue("(ii)", kDLCPU, 0);
}

static PyObject *frame_release(FrameObject *f, PyObject *unused)
{
    (void)unused;
    if (f->sv) {
        Py_BEGIN_ALLOW_THREADS
        tipc_view_unhold(f->sv->view);
        Py_END_ALLOW_THREADS
    }
    Py_RETURN_NONE;
}

/* The end of a loan (commit or discard): the frame gives no new access to
 * the slot, which belongs to the pool again. */
static PyObject *frame_end_loan(FrameObject *f, PyObject *unused)
{
    (void)unused;
    if (!f->sv) {
        f->ended = 1;
        f->readonly = 1;
    }
    Py_RETURN_NONE;
}

static PyObject *frame_repr(FrameObject *f)
{
    PyObject *shape = shape_tuple(f);
    if (!shape)
        return NULL;
    PyObject *r = PyUnicode_FromFormat("<tensor_ipc Frame pool='%s' index=%llu shape=%R %s%s>",
                                       f->pool, f->index, shape, tipc_dtype_name(f->dtype),
                                       f->ended ? " loan ended"
                                                : f->readonly ? " read-only" : " writable");
    Py_DECREF(shape);
    return r;
}

static PyMethodDef frame_methods[] = {
    {"__dlpack__", (PyCFunction)(void (*)(void))frame_dlpack, METH_VARARGS | METH_KEYWORDS,
     "__dlpack__(*, stream=None, max_version=None, dl_device=None, copy=None)\n"
     "Export the frame as a DLPack capsule (versioned only when max_version >= (1, 0))."},
    {"__dlpack_device__", (PyCFunction)frame_dlpack_device, METH_NOARGS,
     "(kDLCPU, 0) for host frames, (kDLCUDA, N) for frames of a torch_cuda pool."},
    {"release", (PyCFunction)frame_release, METH_NOARGS,
     "Let the producer reuse this frame (and the others of the same view). The memory\n"
     "stays mapped while any array made from the frame lives, but its content may change."},
    {"_end_loan", (PyCFunction)frame_end_loan, METH_NOARGS,
     "Internal: a loan's frame after commit or discard refuses new exports."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject FrameType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "tensor_ipc._core.Frame",
    .tp_basicsize = sizeof(FrameObject),
    .tp_dealloc = (destructor)frame_dealloc,
    .tp_repr = (reprfunc)frame_repr,
    .tp_as_buffer = &frame_as_buffer,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A zero-copy frame of a tensor-ipc pool (buffer protocol, "
              "__array_interface__, DLPack). Created by the library, not by users.",
    .tp_methods = frame_methods,
    .tp_members = frame_members,
    .tp_getset = frame_getset,
};

int tipc_py_frame_register(PyObject *module)
{
    if (PyType_Ready(&FrameType) < 0)
        return -1;
    Py_INCREF(&FrameType);
    if (PyModule_AddObject(module, "Frame", (PyObject *)&FrameType) < 0) {
        Py_DECREF(&FrameType);
        return -1;
    }
    return 0;
}
