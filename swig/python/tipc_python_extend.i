/* Python-only methods: they build Python objects, so they hold the GIL and
 * release it themselves around the blocking or copying C call. */



%feature("nothreadallow") Consumer::wait;
%feature("nothreadallow") Consumer::read_into;
%feature("nothreadallow") Consumer::get_into;
%feature("nothreadallow") Consumer::get_frame_into;
%feature("nothreadallow") Consumer::get_frame_into_ptr;
%feature("nothreadallow") Consumer::get_into_ptr;
%feature("nothreadallow") Consumer::acquire;
%feature("nothreadallow") Consumer::set_callback;
%feature("nothreadallow") Producer::loan;

%extend Consumer {
    /* Wait for a frame newer than the last one returned (timeout_ns:
     * TIPC_TIMEOUT_INFINITE waits forever); Ctrl-C interrupts it. True when
     * there is one; False on timeout, while no producer is there, or when it
     * closed (no exception to raise and catch per call). Raises for other
     * errors, or what a signal handler raised (KeyboardInterrupt). */
    PyObject *wait(int64_t timeout_ns) {
        int st = tipc_py_wait($self, timeout_ns);
        if (st > 0)
            return NULL;
        if (st == TIPC_OK)
            Py_RETURN_TRUE;
        if (st == TIPC_E_TIMEOUT || st == TIPC_E_NOT_CONNECTED || st == TIPC_E_CLOSED)
            Py_RETURN_FALSE;
        TIPC_TRY(st);
        return NULL;
    }

    /* get() in one call: with block, first wait (as wait(), timeout_ns), then
     * copy the latest count frames into dst. Returns (newest index, its
     * timestamp_ns), or None when there is nothing to read: not connected, no
     * frame yet, producer gone, or (block) no newer frame in time. */
    PyObject *read_into(void *dst, size_t dst_size, uint32_t count, unsigned int flags, int block,
                        int64_t timeout_ns) {
        tipc_frame_info info[1];
        tipc_frame_info *infos = count == 1 ? info : PyMem_Malloc(count * sizeof *infos);
        if (!infos)
            return PyErr_NoMemory();
        int st, got = 0;
        if (block) { /* wait, then copy within the same release of the GIL */
            st = tipc_py_wait_get($self, timeout_ns, dst, dst_size, count, flags, infos, &got);
        } else {
            Py_BEGIN_ALLOW_THREADS
            st = tipc_consumer_get($self, dst, dst_size, count, flags, infos);
            Py_END_ALLOW_THREADS
            got = 1;
        }
        PyObject *r = NULL;
        if (st == TIPC_OK && got) {
            uint32_t newest = (flags & TIPC_READ_OLDEST_FIRST) ? count - 1 : 0;
            r = Py_BuildValue("(KL)", (unsigned long long)infos[newest].index,
                              (long long)infos[newest].timestamp_ns);
        }
        if (infos != info)
            PyMem_Free(infos);
        if (st > 0) /* a signal handler raised */
            return NULL;
        if (st == TIPC_E_NOT_CONNECTED || st == TIPC_E_NO_DATA || st == TIPC_E_CLOSED ||
            (st == TIPC_E_TIMEOUT && !got))
            Py_RETURN_NONE;
        TIPC_TRY(st);
        return r;
    }

    /* get into a raw address (a CUDA tensor's data_ptr, or host memory);
     * returns (newest index, its timestamp_ns). */
    PyObject *get_into_ptr(unsigned long long address, size_t size, uint32_t count,
                           unsigned int flags) {
        tipc_frame_info info[1];
        tipc_frame_info *infos = count == 1 ? info : PyMem_Malloc(count * sizeof *infos);
        if (!infos)
            return PyErr_NoMemory();
        tipc_status st;
        Py_BEGIN_ALLOW_THREADS
        st = tipc_consumer_get($self, (void *)(uintptr_t)address, size, count, flags, infos);
        Py_END_ALLOW_THREADS
        PyObject *r = NULL;
        if (st == TIPC_OK) {
            uint32_t newest = (flags & TIPC_READ_OLDEST_FIRST) ? count - 1 : 0;
            r = Py_BuildValue("(KL)", (unsigned long long)infos[newest].index,
                              (long long)infos[newest].timestamp_ns);
        }
        if (infos != info)
            PyMem_Free(infos);
        TIPC_TRY(st);
        return r;
    }

    /* Copy frame @index into dst (host memory, or a CUDA address given as an
     * int); returns (index, timestamp_ns), or None when it is not in the ring. */
    PyObject *get_frame_into(void *dst, size_t dst_size, unsigned long long index) {
        tipc_frame_info info;
        tipc_status st;
        Py_BEGIN_ALLOW_THREADS
        st = tipc_consumer_get_frame($self, index, dst, dst_size, &info);
        Py_END_ALLOW_THREADS
        if (st == TIPC_E_NO_DATA || st == TIPC_E_NOT_CONNECTED || st == TIPC_E_CLOSED)
            Py_RETURN_NONE;
        if (TIPC_TRY(st) != TIPC_OK)
            return NULL;
        return Py_BuildValue("(KL)", (unsigned long long)info.index, (long long)info.timestamp_ns);
    }
    PyObject *get_frame_into_ptr(unsigned long long address, size_t size, unsigned long long index) {
        tipc_frame_info info;
        tipc_status st;
        Py_BEGIN_ALLOW_THREADS
        st = tipc_consumer_get_frame($self, index, (void *)(uintptr_t)address, size, &info);
        Py_END_ALLOW_THREADS
        if (st == TIPC_E_NO_DATA || st == TIPC_E_NOT_CONNECTED || st == TIPC_E_CLOSED)
            Py_RETURN_NONE;
        if (TIPC_TRY(st) != TIPC_OK)
            return NULL;
        return Py_BuildValue("(KL)", (unsigned long long)info.index, (long long)info.timestamp_ns);
    }

    /* Copy the latest count frames into dst; returns (newest index, its timestamp_ns). */
    PyObject *get_into(void *dst, size_t dst_size, uint32_t count, unsigned int flags) {
        tipc_frame_info info[1];
        tipc_frame_info *infos = count == 1 ? info : PyMem_Malloc(count * sizeof *infos);
        if (!infos)
            return PyErr_NoMemory();
        tipc_status st;
        Py_BEGIN_ALLOW_THREADS
        st = tipc_consumer_get($self, dst, dst_size, count, flags, infos);
        Py_END_ALLOW_THREADS
        PyObject *r = NULL;
        if (st == TIPC_OK) {
            uint32_t newest = (flags & TIPC_READ_OLDEST_FIRST) ? count - 1 : 0;
            r = Py_BuildValue("(KL)", (unsigned long long)infos[newest].index,
                              (long long)infos[newest].timestamp_ns);
        }
        if (infos != info)
            PyMem_Free(infos);
        TIPC_TRY(st);
        return r;
    }

    /* Zero-copy frames: a list of count Frame objects (None for padding). */
    PyObject *acquire(uint32_t count, unsigned int flags) {
        tipc_view *view = NULL;
        tipc_status st;
        Py_BEGIN_ALLOW_THREADS
        st = tipc_consumer_acquire($self, count, flags, &view);
        Py_END_ALLOW_THREADS
        if (TIPC_TRY(st) != TIPC_OK)
            return NULL;
        return tipc_py_frames_from_view(view, tipc_consumer_metadata($self));
    }

    /* Start calling fn(index) on a library thread for each new frame, or stop
     * (fn None). Returns a capsule that owns fn: keep it until the callback is
     * stopped or the consumer destroyed. */
    PyObject *set_callback(PyObject *fn) {
        tipc_status st;
        Py_BEGIN_ALLOW_THREADS /* stopping joins a thread that may wait for the GIL */
        st = tipc_consumer_set_callback($self, NULL, NULL);
        Py_END_ALLOW_THREADS
        if (TIPC_TRY(st) != TIPC_OK || fn == Py_None)
            Py_RETURN_NONE;
        if (!PyCallable_Check(fn)) {
            PyErr_SetString(PyExc_TypeError, "callback must be callable or None");
            return NULL;
        }
        struct tipc_py_callback *cb = PyMem_Malloc(sizeof *cb);
        if (!cb)
            return PyErr_NoMemory();
        Py_INCREF(fn);
        cb->fn = fn;
        PyObject *cap = PyCapsule_New(cb, "tensor_ipc.callback", tipc_py_callback_free);
        if (!cap) {
            Py_DECREF(fn);
            PyMem_Free(cb);
            return NULL;
        }
        if (TIPC_TRY(tipc_consumer_set_callback($self, tipc_py_callback_trampoline, cb))) {
            Py_DECREF(cap);
            return NULL;
        }
        return cap;
    }
}

%extend Producer {
    /* put from a raw address (a CUDA tensor's data_ptr, or host memory). */
    uint64_t put_ptr(unsigned long long address, size_t size) {
        uint64_t index = 0;
        TIPC_TRY(tipc_producer_put($self, (const void *)(uintptr_t)address, size, &index));
        return index;
    }

    /* A writable Frame over the next slot; publish with commit(), or discard(). */
    PyObject *loan(PyObject *owner) {
        void *data = NULL;
        tipc_status st;
        Py_BEGIN_ALLOW_THREADS
        st = tipc_producer_loan($self, &data, NULL);
        Py_END_ALLOW_THREADS
        if (TIPC_TRY(st) != TIPC_OK)
            return NULL;
        return tipc_py_frame_from_loan(data, tipc_producer_metadata($self), owner);
    }
}
