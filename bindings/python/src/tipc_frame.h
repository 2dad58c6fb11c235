/* tensor_ipc._tipc.Frame: a zero-copy window on one frame of a pool, with the
 * buffer protocol, __array_interface__ and DLPack. Hand-written because SWIG
 * cannot export the buffer protocol. */
#ifndef TIPC_PY_FRAME_H
#define TIPC_PY_FRAME_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "tensor_ipc.h"

/* Register the Frame type in @p module. 0 on success, -1 with an exception. */
int tipc_py_frame_register(PyObject *module);

/* A list of Frame objects over the frames of @p view (ownership of the view
 * moves to the frames; padding frames appear as None). NULL on error, with
 * the view released. */
PyObject *tipc_py_frames_from_view(tipc_view *view, const tipc_metadata *md);

/* A writable Frame over a producer's loaned slot; @p owner (the producer
 * proxy) is kept alive by the frame. */
PyObject *tipc_py_frame_from_loan(void *data, const tipc_metadata *md, PyObject *owner);

#endif
