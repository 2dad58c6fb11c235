#include "pool.h"
#include "cuda.h"
#include "proc.h"
#include "status.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define SHM_DIR "/dev/shm"
/* How often a waiting writer checks that the readers it waits for are alive. */
#define REAP_INTERVAL_NS 10000000LL
/* How long a waiting reader sleeps at most before re-checking the producer. */
#define WAIT_SLICE_NS 100000000LL

_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2, "64-bit atomics must be lock-free");
_Static_assert(sizeof(struct tipc_seg_slot) == 64, "slot record is one cache line");
_Static_assert(sizeof(struct tipc_seg_reader) == 64, "reader record is one cache line");

static size_t round_up(size_t n, size_t align) { return (n + align - 1) / align * align; }

struct layout {
    size_t slots, readers, frames, stride, total;
};

/* Device pools keep their frames in GPU memory: the segment ends after the
 * reader table, and the stride is that of the device allocation. */
static struct layout layout_for(uint32_t history_len, size_t frame_bytes, int device)
{
    struct layout l;
    l.slots = round_up(sizeof(struct tipc_seg_header), 64);
    l.readers = l.slots + (size_t)history_len * sizeof(struct tipc_seg_slot);
    l.frames = round_up(l.readers + TIPC_SEG_MAX_READERS * sizeof(struct tipc_seg_reader), 4096);
    l.stride = round_up(frame_bytes, device ? TIPC_CUDA_ALIGN : 64);
    l.total = l.frames + (device ? 0 : (size_t)history_len * l.stride);
    return l;
}

static int is_device(const struct tipc_metadata *md)
{
    return md->backend == TIPC_BACKEND_TORCH_CUDA;
}

static long futex(_Atomic uint32_t *addr, int op, uint32_t val, const struct timespec *ts)
{
    return syscall(SYS_futex, (uint32_t *)addr, op, val, ts, NULL, 0);
}

static void shm_path(char *buf, size_t size, const char *shm_name)
{
    snprintf(buf, size, SHM_DIR "%s", shm_name);
}

static void nap(int64_t ns)
{
    struct timespec ts = {(time_t)(ns / 1000000000), (long)(ns % 1000000000)};
    nanosleep(&ts, NULL);
}

/* ------------------------------------------------------------------------ */

static void pool_init_common(struct tipc_pool *pool, const struct tipc_metadata *md,
                             void *base, size_t size)
{
    struct layout l = layout_for(md->history_len, md->frame_bytes, is_device(md));
    atomic_init(&pool->refs, 1);
    pool->base = base;
    pool->size = size;
    pool->hdr = base;
    pool->slots = (struct tipc_seg_slot *)((char *)base + l.slots);
    pool->readers = (struct tipc_seg_reader *)((char *)base + l.readers);
    pool->frames = (unsigned char *)base + l.frames;
    pool->history_len = md->history_len;
    pool->frame_bytes = md->frame_bytes;
    pool->stride = l.stride;
    memcpy(pool->name, md->name, sizeof pool->name);
    shm_path(pool->path, sizeof pool->path, md->shm_name);
    pool->reader_index = -1;
    pool->holds = NULL;
    pool->ordinal = is_device(md) ? tipc__cuda_ordinal(md->device) : -1;
    pthread_mutex_init(&pool->hold_lock, NULL);
}

static void pool_free(struct tipc_pool *pool)
{
    if (!pool)
        return;
    if (pool->ordinal >= 0 && pool->device_base)
        tipc__cuda_detach(pool->dev, pool->ino);
    if (pool->base)
        munmap(pool->base, pool->size);
    pthread_mutex_destroy(&pool->hold_lock);
    free(pool->holds);
    free(pool);
}

void tipc__pool_ref(struct tipc_pool *pool) { atomic_fetch_add(&pool->refs, 1); }

static void reader_detach(struct tipc_pool *pool);

void tipc__pool_unref(struct tipc_pool *pool)
{
    if (!pool || atomic_fetch_sub(&pool->refs, 1) != 1)
        return;
    if (pool->reader_index >= 0)
        reader_detach(pool);
    pool_free(pool);
}

/* Unlink @p path only if it is still the file we examined (dev/ino). */
static void unlink_if_same(const char *path, dev_t dev, ino_t ino)
{
    struct stat st;
    if (stat(path, &st) == 0 && st.st_dev == dev && st.st_ino == ino)
        unlink(path);
}

/* Remove temporary files of this pool left by creators that died. */
static void sweep_temporaries(const struct tipc_metadata *md)
{
    char prefix[TIPC_SHM_NAME_MAX + 2];
    int plen = snprintf(prefix, sizeof prefix, "%s~", md->shm_name + 1);
    DIR *dir = opendir(SHM_DIR);
    if (!dir)
        return;
    struct dirent *e;
    while ((e = readdir(dir))) {
        if (strncmp(e->d_name, prefix, (size_t)plen) != 0)
            continue;
        char *end;
        long pid = strtol(e->d_name + plen, &end, 10);
        if (pid <= 0 || *end != '.')
            continue;
        const char *n = end + 1;
        strtoul(n, &end, 10);
        if (end == n || strcmp(end, ".tmp") != 0)
            continue;
        /* Only files of dead creators: a live one (this process's other
         * threads included) may be publishing right now. */
        if (tipc__proc_start_time((pid_t)pid) != 0)
            continue;
        char path[PATH_MAX];
        snprintf(path, sizeof path, SHM_DIR "/%s", e->d_name);
        unlink(path);
    }
    closedir(dir);
}

/* ------------------------------------------------------------------------ */
/* Producer side                                                            */
/* ------------------------------------------------------------------------ */

static void header_init(struct tipc_seg_header *h, const struct tipc_metadata *md,
                        const struct layout *l)
{
    h->payload_bytes = (uint32_t)md->payload_size;
    memcpy(h->payload, md->payload, md->payload_size);
    memcpy(h->magic, TIPC_SEG_MAGIC, 8);
    h->layout_version = TIPC_SEG_LAYOUT_VERSION;
    h->producer_pid = getpid();
    h->producer_start = tipc__proc_self_start_time();
    uint64_t inc = 0;
    if (getrandom(&inc, sizeof inc, GRND_NONBLOCK) != sizeof inc)
        inc = (uint64_t)tipc_now_ns() ^ ((uint64_t)getpid() << 40);
    h->incarnation = inc | 1; /* never 0 */
    h->header_bytes = sizeof *h;
    h->segment_bytes = l->total;
    h->slots_offset = l->slots;
    h->readers_offset = l->readers;
    h->frames_offset = l->frames;
    h->frame_stride = l->stride;
    h->max_readers = TIPC_SEG_MAX_READERS;
    h->created_ns = tipc_now_ns();
    memcpy(h->meta.name, md->name, sizeof h->meta.name);
    memcpy(h->meta.device, md->device, sizeof h->meta.device);
    h->meta.dtype = md->dtype;
    h->meta.backend = md->backend;
    h->meta.ndim = md->ndim;
    h->meta.history_len = md->history_len;
    memcpy(h->meta.shape, md->shape, sizeof h->meta.shape);
    h->meta.frame_bytes = md->frame_bytes;
    atomic_init(&h->state, TIPC_SEG_LIVE);
    atomic_init(&h->notify, 0);
    atomic_init(&h->waiters, 0);
    atomic_init(&h->reap_request, 0);
    atomic_init(&h->write_seq, 0);
}

/* Decide what to do with an existing file under the pool's name. */
static tipc_status examine_existing(const struct tipc_metadata *md, const char *path,
                                    dev_t *dev, ino_t *ino)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        if (errno == ENOENT)
            return TIPC_OK; /* vanished meanwhile: try again */
        return tipc__fail_errno(errno == EACCES ? TIPC_E_PERMISSION : TIPC_E_SYSTEM, errno,
                                "pool '%s': cannot open existing segment %s", md->name, path);
    }
    struct stat st;
    struct tipc_seg_header head;
    ssize_t n = -1;
    if (fstat(fd, &st) == 0)
        n = pread(fd, &head, 32, 0);
    close(fd);
    if (n < 0)
        return tipc__fail_errno(TIPC_E_SYSTEM, errno, "pool '%s': cannot read %s", md->name,
                                path);
    *dev = st.st_dev;
    *ino = st.st_ino;
    if (st.st_uid != geteuid())
        return tipc__fail(TIPC_E_PERMISSION,
                          "pool '%s': segment %s belongs to uid %u, not to this user (uid %u)",
                          md->name, path, (unsigned)st.st_uid, (unsigned)geteuid());
    if (n < 32 || memcmp(head.magic, TIPC_SEG_MAGIC, 8) != 0)
        return tipc__fail(TIPC_E_CORRUPT,
                          "pool '%s': %s exists and is not a tensor-ipc segment; remove it by hand",
                          md->name, path);
    if (tipc__proc_alive(head.producer_pid, head.producer_start))
        return tipc__fail(TIPC_E_EXISTS, "pool '%s': already has a live producer (pid %d)",
                          md->name, (int)head.producer_pid);
    return TIPC_E_CLOSED; /* dead producer: reclaim */
}

tipc_status tipc__pool_create(struct tipc_pool **out, struct tipc_metadata *md,
                              unsigned int mode)
{
    *out = NULL;
    struct layout l = layout_for(md->history_len, md->frame_bytes, is_device(md));
    int ordinal = is_device(md) ? tipc__cuda_ordinal(md->device) : -1;
    if (ordinal >= 0) {
        tipc_status st = tipc__cuda_available(md->name, ordinal);
        if (st)
            return st;
    }
    char path[TIPC_SHM_NAME_MAX + 16], tmp[TIPC_SHM_NAME_MAX + 48];
    shm_path(path, sizeof path, md->shm_name);
    static _Atomic unsigned tmp_counter; /* threads of one process never share a name */
    snprintf(tmp, sizeof tmp, "%s~%d.%u.tmp", path, (int)getpid(),
             atomic_fetch_add(&tmp_counter, 1));
    sweep_temporaries(md);

    struct statvfs vfs;
    if (statvfs(SHM_DIR, &vfs) == 0) {
        unsigned long long avail = (unsigned long long)vfs.f_bavail * vfs.f_frsize;
        if (avail < l.total)
            return tipc__fail(TIPC_E_NO_SPACE,
                              "pool '%s': needs %zu bytes of shared memory but %s has %llu free"
                              " (enlarge it, e.g. docker --shm-size)",
                              md->name, l.total, SHM_DIR, avail);
    }

    int fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return tipc__fail_errno(errno == EACCES ? TIPC_E_PERMISSION : TIPC_E_SYSTEM, errno,
                                "pool '%s': cannot create %s", md->name, tmp);
    tipc_status st = TIPC_OK;
    void *base = MAP_FAILED;
    struct stat sb;
    uint64_t device_base = 0;
    int err = posix_fallocate(fd, 0, (off_t)l.total);
    if (err) {
        if (err == ENOSPC)
            st = tipc__fail(TIPC_E_NO_SPACE,
                            "pool '%s': needs %zu bytes of shared memory and %s is full",
                            md->name, l.total, SHM_DIR);
        else
            st = tipc__fail_errno(TIPC_E_SYSTEM, err, "pool '%s': cannot reserve %zu bytes",
                                  md->name, l.total);
        goto fail;
    }
    if (fchmod(fd, mode) != 0) {
        st = tipc__fail_errno(TIPC_E_SYSTEM, errno, "pool '%s': cannot set mode %o", md->name,
                              mode);
        goto fail;
    }
    base = mmap(NULL, l.total, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (base == MAP_FAILED) {
        st = tipc__fail_errno(TIPC_E_SYSTEM, errno, "pool '%s': cannot map %zu bytes",
                              md->name, l.total);
        goto fail;
    }
    fstat(fd, &sb); /* the published name keeps this inode */
    if (ordinal >= 0) {
        struct tipc_cuda_payload payload;
        st = tipc__cuda_create(md->name, ordinal, (uint64_t)md->history_len * l.stride, l.stride,
                               sb.st_dev, sb.st_ino, &payload, &device_base);
        if (st)
            goto fail;
        memcpy(md->payload, &payload, sizeof payload);
        md->payload_size = sizeof payload;
    }
    header_init(base, md, &l);

    /* Publish the finished segment atomically; link(2) fails if the name exists. */
    for (int attempt = 0;; attempt++) {
        if (link(tmp, path) == 0)
            break;
        if (errno != EEXIST || attempt == 8) {
            st = tipc__fail_errno(TIPC_E_SYSTEM, errno, "pool '%s': cannot publish %s",
                                  md->name, path);
            goto fail;
        }
        dev_t dev = 0;
        ino_t ino = 0;
        st = examine_existing(md, path, &dev, &ino);
        if (st == TIPC_E_CLOSED)
            unlink_if_same(path, dev, ino);
        else if (st != TIPC_OK)
            goto fail;
        st = TIPC_OK;
    }
    unlink(tmp);
    close(fd);

    struct tipc_pool *pool = calloc(1, sizeof *pool);
    if (!pool) {
        unlink_if_same(path, sb.st_dev, sb.st_ino);
        munmap(base, l.total);
        if (device_base)
            tipc__cuda_detach(sb.st_dev, sb.st_ino);
        return tipc__fail(TIPC_E_NOMEM, "pool '%s': out of memory", md->name);
    }
    pool_init_common(pool, md, base, l.total);
    pool->dev = sb.st_dev;
    pool->ino = sb.st_ino;
    if (device_base) {
        pool->device_base = device_base;
        pool->frames = (unsigned char *)(uintptr_t)device_base;
    }
    *out = pool;
    return TIPC_OK;

fail:
    if (device_base)
        tipc__cuda_detach(sb.st_dev, sb.st_ino);
    if (base != MAP_FAILED)
        munmap(base, l.total);
    unlink(tmp);
    close(fd);
    return st;
}

/* Owner word helpers. */
#define OWNER_PID(o) ((uint32_t)(o))
#define OWNER_GEN(o) ((o) >> 32)
#define OWNER_RECLAIMING UINT32_MAX

/* Free the entries of dead readers among @p only_mask (all if 0), clearing
 * their bits in every slot. Only the producer reclaims entries that may hold
 * bits, so two reclaimers never race. */
void tipc__pool_reap_readers(struct tipc_pool *pool, uint64_t only_mask)
{
    for (int i = 0; i < TIPC_SEG_MAX_READERS; i++) {
        uint64_t bit = UINT64_C(1) << i;
        if (only_mask && !(only_mask & bit))
            continue;
        struct tipc_seg_reader *r = &pool->readers[i];
        uint64_t owner = atomic_load(&r->owner);
        uint32_t pid = OWNER_PID(owner);
        if (pid == 0 || pid == OWNER_RECLAIMING)
            continue;
        uint64_t start = atomic_load(&r->start_time);
        if (start == 0 || tipc__proc_alive((pid_t)pid, start))
            continue;
        uint64_t claimed = (OWNER_GEN(owner) << 32) | OWNER_RECLAIMING;
        if (!atomic_compare_exchange_strong(&r->owner, &owner, claimed))
            continue;
        for (uint32_t s = 0; s < pool->history_len; s++)
            atomic_fetch_and(&pool->slots[s].readers, ~bit);
        atomic_store(&r->start_time, 0);
        atomic_store(&r->owner, (OWNER_GEN(owner) + 1) << 32);
    }
}

tipc_status tipc__pool_begin_write(struct tipc_pool *pool, uint64_t index, int64_t timeout_ns,
                                   void **out_ptr)
{
    struct tipc_seg_slot *slot = tipc__pool_slot(pool, index);
    if (atomic_load_explicit(&pool->hdr->reap_request, memory_order_relaxed)) {
        atomic_store(&pool->hdr->reap_request, 0);
        tipc__pool_reap_readers(pool, 0);
    }
    const uint64_t old_seq = atomic_load(&slot->seq);
    /* Mark first, then look for readers: a reader sets its bit, then checks
     * seq; with seq_cst ordering one of the two sides sees the other. */
    atomic_store(&slot->seq, (index + 1) | TIPC_SEG_WRITING);
    uint64_t mask = atomic_load(&slot->readers);
    if (mask) {
        int64_t start = tipc__mono_ns(), next_reap = start + REAP_INTERVAL_NS;
        int64_t deadline = timeout_ns < 0 ? INT64_MAX : start + timeout_ns;
        for (unsigned spin = 0; (mask = atomic_load(&slot->readers)) != 0; spin++) {
            int64_t now = tipc__mono_ns();
            if (now >= next_reap) {
                tipc__pool_reap_readers(pool, mask);
                next_reap = now + REAP_INTERVAL_NS;
                continue;
            }
            if (now >= deadline) {
                /* However short the timeout, dead holders are reclaimed first. */
                tipc__pool_reap_readers(pool, mask);
                if (atomic_load(&slot->readers) == 0)
                    break;
                atomic_store(&slot->seq, old_seq); /* nothing was written: keep it */
                int holder = __builtin_ctzll(mask);
                return tipc__fail(TIPC_E_TIMEOUT,
                                  "pool '%s': put timed out after %lld ms: a reader (pid %u) "
                                  "holds frame %llu; release views sooner or raise history_len",
                                  pool->name, (long long)(timeout_ns / 1000000),
                                  OWNER_PID(atomic_load(&pool->readers[holder].owner)),
                                  (unsigned long long)(old_seq ? old_seq - 1 : 0));
            }
            if (spin < 64)
                sched_yield();
            else
                nap(spin < 256 ? 20000 : 200000);
        }
    }
    *out_ptr = tipc__pool_frame(pool, index);
    return TIPC_OK;
}

void tipc__pool_discard_write(struct tipc_pool *pool, uint64_t index)
{
    /* The loan may have overwritten the slot's old frame: it is empty now. */
    atomic_store(&tipc__pool_slot(pool, index)->seq, 0);
}

void tipc__pool_commit(struct tipc_pool *pool, uint64_t index)
{
    struct tipc_seg_slot *slot = tipc__pool_slot(pool, index);
    struct tipc_seg_header *h = pool->hdr;
    atomic_store_explicit(&slot->timestamp_ns, tipc_now_ns(), memory_order_relaxed);
    atomic_store(&slot->seq, index + 1);
    atomic_store(&h->write_seq, index + 1);
    atomic_fetch_add(&h->notify, 1);
    if (atomic_load(&h->waiters))
        futex(&h->notify, FUTEX_WAKE, INT_MAX, NULL);
}

/* How long a closing device pool waits for its readers to let go of the
 * GPU allocation before freeing it anyway. */
#define DEVICE_DRAIN_NS 1000000000LL

void tipc__pool_close(struct tipc_pool *pool)
{
    struct tipc_seg_header *h = pool->hdr;
    atomic_store(&h->state, TIPC_SEG_CLOSED);
    atomic_fetch_add(&h->notify, 1);
    futex(&h->notify, FUTEX_WAKE, INT_MAX, NULL);
    unlink_if_same(pool->path, pool->dev, pool->ino);
    if (pool->ordinal < 0)
        return;
    /* Readers map the GPU ring through IPC; keep it until they have seen the
     * closed state and detached (bounded), dead readers do not count. */
    int64_t deadline = tipc__mono_ns() + DEVICE_DRAIN_NS;
    for (;;) {
        tipc__pool_reap_readers(pool, 0);
        int attached = 0;
        for (int i = 0; i < TIPC_SEG_MAX_READERS; i++) {
            uint32_t pid = OWNER_PID(atomic_load(&pool->readers[i].owner));
            attached += pid != 0 && pid != OWNER_RECLAIMING;
        }
        if (!attached || tipc__mono_ns() >= deadline)
            break;
        nap(1000000);
    }
}

/* ------------------------------------------------------------------------ */
/* Reader side                                                              */
/* ------------------------------------------------------------------------ */

static int header_producer_alive(const struct tipc_seg_header *h)
{
    return atomic_load(&h->state) == TIPC_SEG_LIVE &&
           tipc__proc_alive(h->producer_pid, h->producer_start);
}

int tipc__pool_producer_alive(const struct tipc_pool *pool)
{
    return header_producer_alive(pool->hdr);
}

/* A segment of another user is readable when its producer asked for wider
 * access: read-write for others, or for a group this process is in. (Root
 * bypasses file modes, so the check is explicit.) */
static int shared_with_us(const struct stat *st)
{
    if ((st->st_mode & (S_IROTH | S_IWOTH)) == (S_IROTH | S_IWOTH))
        return 1;
    if ((st->st_mode & (S_IRGRP | S_IWGRP)) != (S_IRGRP | S_IWGRP))
        return 0;
    if (st->st_gid == getegid())
        return 1;
    gid_t groups[256];
    int n = getgroups(256, groups);
    for (int i = 0; i < n; i++)
        if (groups[i] == st->st_gid)
            return 1;
    return 0;
}

static tipc_status validate_header(const struct tipc_metadata *md, const struct stat *st,
                                   const struct tipc_seg_header *h, const char *path)
{
    const char *name = md->name;
    if (memcmp(h->magic, TIPC_SEG_MAGIC, 8) != 0)
        return tipc__fail(TIPC_E_CORRUPT, "pool '%s': %s is not a tensor-ipc segment (bad magic)",
                          name, path);
    if (h->layout_version != TIPC_SEG_LAYOUT_VERSION)
        return tipc__fail(TIPC_E_CORRUPT,
                          "pool '%s': segment layout version %u, this library reads version %u",
                          name, h->layout_version, TIPC_SEG_LAYOUT_VERSION);
    if (h->header_bytes != sizeof *h)
        return tipc__fail(TIPC_E_CORRUPT, "pool '%s': header of %llu bytes, expected %zu", name,
                          (unsigned long long)h->header_bytes, sizeof *h);
    if (h->segment_bytes > (uint64_t)st->st_size)
        return tipc__fail(TIPC_E_CORRUPT,
                          "pool '%s': segment is truncated: %lld bytes, its header claims %llu",
                          name, (long long)st->st_size, (unsigned long long)h->segment_bytes);
    struct tipc_metadata seg = {0};
    memcpy(seg.name, h->meta.name, sizeof seg.name);
    memcpy(seg.device, h->meta.device, sizeof h->meta.device);
    seg.dtype = (tipc_dtype)h->meta.dtype;
    seg.backend = (tipc_backend)h->meta.backend;
    seg.ndim = h->meta.ndim;
    seg.history_len = h->meta.history_len;
    memcpy(seg.shape, h->meta.shape, sizeof seg.shape);
    if (tipc__metadata_finish(&seg) != TIPC_OK)
        return tipc__fail(TIPC_E_CORRUPT, "pool '%s': segment metadata is invalid (%s)", name,
                          tipc_last_error());
    tipc_status status = tipc_metadata_compare(md, &seg);
    if (status)
        return status;
    struct layout l = layout_for(seg.history_len, seg.frame_bytes, is_device(&seg));
    if (h->meta.frame_bytes != seg.frame_bytes || h->segment_bytes != l.total ||
        h->slots_offset != l.slots || h->readers_offset != l.readers ||
        h->frames_offset != l.frames || h->frame_stride != l.stride ||
        h->max_readers != TIPC_SEG_MAX_READERS)
        return tipc__fail(TIPC_E_CORRUPT, "pool '%s': segment layout fields are inconsistent",
                          name);
    if (is_device(&seg))
        return tipc__cuda_payload_check(name, h->payload, h->payload_bytes,
                                        tipc__cuda_ordinal(seg.device), seg.frame_bytes,
                                        seg.history_len);
    if (h->payload_bytes != 0)
        return tipc__fail(TIPC_E_CORRUPT, "pool '%s': a host pool's segment carries a payload",
                          name);
    return TIPC_OK;
}

/* Take a free reader entry, or one whose dead owner holds no frame. */
static tipc_status reader_attach(struct tipc_pool *pool)
{
    uint32_t self = (uint32_t)getpid();
    uint64_t start = tipc__proc_self_start_time();
    for (int i = 0; i < TIPC_SEG_MAX_READERS; i++) {
        struct tipc_seg_reader *r = &pool->readers[i];
        uint64_t owner = atomic_load(&r->owner);
        uint32_t pid = OWNER_PID(owner);
        if (pid == OWNER_RECLAIMING)
            continue;
        if (pid != 0) {
            uint64_t st = atomic_load(&r->start_time);
            if (st == 0 || tipc__proc_alive((pid_t)pid, st))
                continue;
            uint64_t bit = UINT64_C(1) << i, held = 0;
            for (uint32_t s = 0; s < pool->history_len; s++)
                held |= atomic_load(&pool->slots[s].readers) & bit;
            if (held)
                continue; /* left for the producer to reclaim */
        }
        uint64_t mine = ((OWNER_GEN(owner) + 1) << 32) | self;
        if (atomic_compare_exchange_strong(&r->owner, &owner, mine)) {
            atomic_store(&r->start_time, start);
            pool->reader_index = i;
            return TIPC_OK;
        }
    }
    atomic_store(&pool->hdr->reap_request, 1);
    return tipc__fail(TIPC_E_LIMIT, "pool '%s': all %d reader entries are in use", pool->name,
                      TIPC_SEG_MAX_READERS);
}

static void reader_detach(struct tipc_pool *pool)
{
    int i = pool->reader_index;
    struct tipc_seg_reader *r = &pool->readers[i];
    uint64_t bit = UINT64_C(1) << i;
    for (uint32_t s = 0; s < pool->history_len; s++)
        if (pool->holds[s])
            atomic_fetch_and(&pool->slots[s].readers, ~bit);
    uint64_t owner = atomic_load(&r->owner);
    if (OWNER_PID(owner) == (uint32_t)getpid()) {
        atomic_store(&r->start_time, 0);
        atomic_compare_exchange_strong(&r->owner, &owner, (OWNER_GEN(owner) + 1) << 32);
    }
    pool->reader_index = -1;
}

tipc_status tipc__pool_open(struct tipc_pool **out, const struct tipc_metadata *md)
{
    *out = NULL;
    char path[TIPC_SHM_NAME_MAX + 16];
    shm_path(path, sizeof path, md->shm_name);
    int fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        if (errno == ENOENT)
            return tipc__fail(TIPC_E_NOT_CONNECTED, "pool '%s': no producer", md->name);
        return tipc__fail_errno(errno == EACCES ? TIPC_E_PERMISSION : TIPC_E_SYSTEM, errno,
                                "pool '%s': cannot open %s", md->name, path);
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return tipc__fail_errno(TIPC_E_SYSTEM, e, "pool '%s': cannot stat %s", md->name, path);
    }
    if (st.st_uid != geteuid() && !shared_with_us(&st)) {
        close(fd);
        return tipc__fail(TIPC_E_PERMISSION,
                          "pool '%s': segment %s belongs to uid %u, not to this user (uid %u), "
                          "and its mode %03o does not share it",
                          md->name, path, (unsigned)st.st_uid, (unsigned)geteuid(),
                          (unsigned)(st.st_mode & 0777));
    }
    if ((size_t)st.st_size < sizeof(struct tipc_seg_header)) {
        close(fd);
        return tipc__fail(TIPC_E_CORRUPT,
                          "pool '%s': segment %s is truncated: %lld bytes, a header needs %zu",
                          md->name, path, (long long)st.st_size, sizeof(struct tipc_seg_header));
    }
    size_t size = (size_t)st.st_size;
    void *base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (base == MAP_FAILED)
        return tipc__fail_errno(TIPC_E_SYSTEM, errno, "pool '%s': cannot map %s", md->name,
                                path);
    const struct tipc_seg_header *h = base;
    tipc_status status = validate_header(md, &st, h, path);
    if (status == TIPC_OK && !header_producer_alive(h)) {
        /* Left by a producer that closed or died: nobody writes it again. */
        if (!tipc__proc_alive(h->producer_pid, h->producer_start))
            unlink_if_same(path, st.st_dev, st.st_ino);
        status = tipc__fail(TIPC_E_NOT_CONNECTED, "pool '%s': the producer (pid %d) is gone",
                            md->name, (int)h->producer_pid);
    }
    if (status) {
        munmap(base, size);
        return status;
    }
    struct tipc_pool *pool = calloc(1, sizeof *pool);
    uint32_t *holds = calloc(md->history_len, sizeof *holds);
    if (!pool || !holds) {
        free(pool);
        free(holds);
        munmap(base, size);
        return tipc__fail(TIPC_E_NOMEM, "pool '%s': out of memory", md->name);
    }
    pool_init_common(pool, md, base, size);
    pool->holds = holds;
    pool->dev = st.st_dev;
    pool->ino = st.st_ino;
    if (pool->ordinal >= 0) {
        struct tipc_cuda_payload payload;
        memcpy(&payload, pool->hdr->payload, sizeof payload); /* checked above */
        status = tipc__cuda_attach(md->name, &payload, st.st_dev, st.st_ino, &pool->device_base);
        if (status) {
            pool_free(pool);
            return status;
        }
        pool->frames = (unsigned char *)(uintptr_t)pool->device_base;
    }
    status = reader_attach(pool);
    if (status) {
        pool_free(pool);
        return status;
    }
    *out = pool;
    return TIPC_OK;
}

int tipc__pool_hold(struct tipc_pool *pool, uint64_t index)
{
    uint32_t s = (uint32_t)(index % pool->history_len);
    struct tipc_seg_slot *slot = &pool->slots[s];
    uint64_t bit = UINT64_C(1) << pool->reader_index;
    int ok;
    pthread_mutex_lock(&pool->hold_lock);
    if (pool->holds[s]) {
        ok = atomic_load(&slot->seq) == index + 1;
    } else {
        atomic_fetch_or(&slot->readers, bit);
        ok = atomic_load(&slot->seq) == index + 1;
        if (!ok)
            atomic_fetch_and(&slot->readers, ~bit);
    }
    if (ok)
        pool->holds[s]++;
    pthread_mutex_unlock(&pool->hold_lock);
    return ok;
}

void tipc__pool_unhold(struct tipc_pool *pool, uint64_t index)
{
    uint32_t s = (uint32_t)(index % pool->history_len);
    pthread_mutex_lock(&pool->hold_lock);
    if (pool->holds[s] && --pool->holds[s] == 0)
        atomic_fetch_and(&pool->slots[s].readers, ~(UINT64_C(1) << pool->reader_index));
    pthread_mutex_unlock(&pool->hold_lock);
}

tipc_status tipc__pool_wait(struct tipc_pool *pool, uint64_t seen, int64_t deadline)
{
    struct tipc_seg_header *h = pool->hdr;
    for (int check_producer = 0;; ) {
        uint32_t word = atomic_load(&h->notify);
        if (atomic_load(&h->write_seq) > seen)
            return TIPC_OK;
        /* The state word is cheap; /proc is read only after a quiet slice. */
        if (atomic_load(&h->state) != TIPC_SEG_LIVE ||
            (check_producer && !tipc__proc_alive(h->producer_pid, h->producer_start)))
            return tipc__fail(TIPC_E_CLOSED, "pool '%s': the producer (pid %d) is gone",
                              pool->name, (int)h->producer_pid);
        int64_t now = tipc__mono_ns();
        if (deadline >= 0 && now >= deadline)
            return tipc__fail(TIPC_E_TIMEOUT, "pool '%s': no new frame in time", pool->name);
        int64_t slice = WAIT_SLICE_NS;
        if (deadline >= 0 && deadline - now < slice)
            slice = deadline - now;
        struct timespec ts = {(time_t)(slice / 1000000000), (long)(slice % 1000000000)};
        atomic_fetch_add(&h->waiters, 1);
        check_producer = atomic_load(&h->write_seq) <= seen &&
                         futex(&h->notify, FUTEX_WAIT, word, &ts) != 0 && errno == ETIMEDOUT;
        atomic_fetch_sub(&h->waiters, 1);
    }
}
