#include "segment.h"
#include "memory.h"
#include "proc.h"
#include "ring.h"
#include "status.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define SHM_DIR "/dev/shm"
#define SEG_PREFIX "tipc."
/* The stable prefix every layout version starts with. */
#define PREFIX_BYTES 32

_Static_assert(offsetof(struct tipc_seg_header, incarnation) == PREFIX_BYTES - 8,
               "the stable prefix is magic, version, pid and start time");

static size_t round_up(size_t n, size_t align) { return (n + align - 1) / align * align; }

struct layout {
    size_t ring, ring_bytes, frames, stride, total;
};

static struct layout layout_for(const struct tipc_metadata *md)
{
    struct layout l;
    l.ring = round_up(sizeof(struct tipc_seg_header), 64);
    l.ring_bytes = tipc__ring_bytes(md->history_len);
    l.frames = round_up(l.ring + l.ring_bytes, 4096);
    l.stride = tipc__mem_stride(md);
    l.total = l.frames + tipc__mem_segment_bytes(md);
    return l;
}

size_t tipc__segment_bytes(const struct tipc_metadata *md) { return layout_for(md).total; }

static void shm_path(char *buf, size_t size, const char *shm_name)
{
    snprintf(buf, size, SHM_DIR "%s", shm_name);
}

/* Unlink @p path only if it is still the file examined (dev/ino): a new
 * producer may have published another one meanwhile. */
static int unlink_if_same(const char *path, dev_t dev, ino_t ino)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? 1 : -1;
    if (st.st_dev != dev || st.st_ino != ino)
        return 1;
    if (unlink(path) != 0)
        return errno == ENOENT ? 1 : -1;
    return 0;
}

/* Open a file that any local user may have put at @p path: never block (a
 * FIFO), never follow a link, and accept only a regular file. */
static tipc_status open_hostile(const char *pool, const char *path, int flags, int *out_fd,
                                struct stat *st)
{
    int fd = open(path, flags | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0) {
        int e = errno;
        if (e == ENOENT)
            return TIPC_E_NOT_CONNECTED; /* the caller words it */
        if (e == ELOOP)
            return tipc__fail(TIPC_E_CORRUPT, "pool '%s': %s is a symbolic link, not a segment",
                              pool, path);
        if (e == ENXIO || e == EISDIR || e == ENODEV || e == ETXTBSY)
            return tipc__fail(TIPC_E_CORRUPT, "pool '%s': %s is not a regular file", pool, path);
        return tipc__fail_errno(e == EACCES || e == EPERM ? TIPC_E_PERMISSION : TIPC_E_SYSTEM, e,
                                "pool '%s': cannot open %s", pool, path);
    }
    if (fstat(fd, st) != 0) {
        int e = errno;
        close(fd);
        return tipc__fail_errno(TIPC_E_SYSTEM, e, "pool '%s': cannot stat %s", pool, path);
    }
    if (!S_ISREG(st->st_mode)) {
        close(fd);
        return tipc__fail(TIPC_E_CORRUPT, "pool '%s': %s is not a regular file (mode %06o)",
                          pool, path, (unsigned)st->st_mode);
    }
    *out_fd = fd;
    return TIPC_OK;
}

/* "tipc.<name>~<pid>.<n>.tmp": 1 and *pid if @p name is a temporary file,
 * *stem_len the length of its segment name. */
static int parse_temporary(const char *name, long *pid, size_t *stem_len)
{
    const char *t = strrchr(name, '~');
    size_t len = strlen(name);
    if (!t || len < 4 || strcmp(name + len - 4, ".tmp") != 0 || t[1] == '+' || t[1] == '-')
        return 0;
    char *end;
    errno = 0;
    long v = strtol(t + 1, &end, 10);
    if (errno || end == t + 1 || *end != '.' || v <= 0)
        return 0;
    const char *n = end + 1;
    if (*n == '+' || *n == '-')
        return 0;
    strtoul(n, &end, 10);
    if (end == n || strcmp(end, ".tmp") != 0)
        return 0;
    *pid = v;
    *stem_len = (size_t)(t - name);
    return 1;
}

/* ------------------------------------------------------------------------ */
/* Reclaim                                                                  */
/* ------------------------------------------------------------------------ */

struct reclaim {
    unsigned flags;
    tipc_reclaim_fn fn;
    void *user;
    size_t removed;
    tipc_status status;
};

static void report(struct reclaim *rc, const char *path, int temporary, int64_t pid,
                   tipc_reclaim_action action, const char *reason)
{
    if (action == TIPC_RECLAIM_REMOVED)
        rc->removed++;
    if (rc->fn) {
        tipc_reclaim_entry e = {path, temporary, pid, action, reason};
        rc->fn(&e, rc->user);
    }
}

static void reclaim_one(struct reclaim *rc, const char *pool, const char *path, int temporary,
                        long tmp_pid)
{
    char why[192];
    struct stat st;
    int64_t pid = temporary ? tmp_pid : 0;
    if (lstat(path, &st) != 0)
        return; /* gone meanwhile */
    if (!S_ISREG(st.st_mode)) {
        report(rc, path, temporary, pid, TIPC_RECLAIM_KEPT_FOREIGN, "not a regular file");
        return;
    }
    if (temporary) {
        uint64_t start = tipc__proc_start_time((pid_t)tmp_pid);
        if (start != 0) {
            snprintf(why, sizeof why, "its creator pid %ld is running", tmp_pid);
            report(rc, path, 1, pid, TIPC_RECLAIM_KEPT_LIVE, why);
            return;
        }
        snprintf(why, sizeof why, "temporary file of pid %ld, which is not running", tmp_pid);
    } else {
        int fd = -1;
        tipc_status st2 = open_hostile(pool, path, O_RDONLY, &fd, &st);
        if (st2 == TIPC_E_NOT_CONNECTED)
            return;
        if (st2) {
            report(rc, path, 0, 0, TIPC_RECLAIM_KEPT_FOREIGN, tipc_last_error());
            return;
        }
        struct tipc_seg_header h;
        ssize_t n = pread(fd, &h, PREFIX_BYTES, 0);
        close(fd);
        if (n != PREFIX_BYTES || memcmp(h.magic, TIPC_SEG_MAGIC, 8) != 0) {
            report(rc, path, 0, 0, TIPC_RECLAIM_KEPT_FOREIGN, "not a tensor-ipc segment");
            return;
        }
        pid = h.producer_pid;
        uint64_t start = h.producer_pid > 0 ? tipc__proc_start_time(h.producer_pid) : 0;
        if (start != 0 && start == h.producer_start) {
            snprintf(why, sizeof why, "producer pid %d is running", (int)h.producer_pid);
            report(rc, path, 0, pid, TIPC_RECLAIM_KEPT_LIVE, why);
            return;
        }
        snprintf(why, sizeof why, "producer pid %d %s", (int)h.producer_pid,
                 start ? "was reused by another process (start time differs)"
                       : "is not running");
    }
    if (!(rc->flags & TIPC_RECLAIM_DRY_RUN) && unlink_if_same(path, st.st_dev, st.st_ino) < 0) {
        int e = errno;
        char failed[256];
        snprintf(failed, sizeof failed, "%s; cannot remove it: %s", why, strerror(e));
        report(rc, path, temporary, pid, TIPC_RECLAIM_FAILED, failed);
        if (rc->status == TIPC_OK)
            rc->status = tipc__fail_errno(e == EACCES || e == EPERM ? TIPC_E_PERMISSION
                                                                    : TIPC_E_SYSTEM,
                                          e, "cannot remove stale %s (%s)", path, why);
        return;
    }
    report(rc, path, temporary, pid, TIPC_RECLAIM_REMOVED, why);
}

tipc_status tipc_pool_reclaim(const char *pool, unsigned int flags, tipc_reclaim_fn fn,
                              void *user, size_t *out_removed)
{
    if (out_removed)
        *out_removed = 0;
    if (flags & ~TIPC_RECLAIM_DRY_RUN)
        return tipc__fail(TIPC_E_INVALID, "tipc_pool_reclaim: unknown flags %#x", flags);
    char stem[TIPC_SHM_NAME_MAX] = "";
    if (pool) {
        tipc_status st = tipc__check_name(pool);
        if (st)
            return st;
        char shm[TIPC_SHM_NAME_MAX];
        tipc__shm_name(shm, sizeof shm, pool);
        snprintf(stem, sizeof stem, "%s", shm + 1);
    }
    DIR *dir = opendir(SHM_DIR);
    if (!dir)
        return tipc__fail_errno(TIPC_E_SYSTEM, errno, "cannot list %s", SHM_DIR);
    struct reclaim rc = {flags, fn, user, 0, TIPC_OK};
    struct dirent *e;
    while ((e = readdir(dir))) {
        if (strncmp(e->d_name, SEG_PREFIX, strlen(SEG_PREFIX)) != 0)
            continue;
        long tmp_pid = 0;
        size_t stem_len = strlen(e->d_name);
        int temporary = parse_temporary(e->d_name, &tmp_pid, &stem_len);
        if (pool && (stem_len != strlen(stem) || strncmp(e->d_name, stem, stem_len) != 0))
            continue;
        char path[PATH_MAX];
        snprintf(path, sizeof path, SHM_DIR "/%s", e->d_name);
        reclaim_one(&rc, pool ? pool : e->d_name + strlen(SEG_PREFIX), path, temporary, tmp_pid);
    }
    closedir(dir);
    if (out_removed)
        *out_removed = rc.removed;
    if (rc.status)
        return tipc__fail(rc.status, "%s", tipc_last_error());
    return TIPC_OK;
}

void tipc__segment_names(void (*fn)(const char *name, void *user), void *user)
{
    DIR *dir = opendir(SHM_DIR);
    if (!dir)
        return;
    struct dirent *e;
    while ((e = readdir(dir))) {
        long pid;
        size_t stem_len;
        const char *stem = e->d_name + strlen(SEG_PREFIX);
        if (strncmp(e->d_name, SEG_PREFIX, strlen(SEG_PREFIX)) != 0 ||
            parse_temporary(e->d_name, &pid, &stem_len) || strlen(stem) > TIPC_NAME_MAX)
            continue;
        char name[TIPC_NAME_MAX + 1];
        snprintf(name, sizeof name, "%s", stem);
        for (char *c = name; *c; c++)
            if (*c == '.')
                *c = '/'; /* names have no '.': the segment name maps '/' to '.' */
        if (tipc__check_name(name) == TIPC_OK)
            fn(name, user);
    }
    closedir(dir);
}

/* Remove temporary files of this pool left by creators that died. */
static void sweep_temporaries(const struct tipc_metadata *md)
{
    struct reclaim rc = {0, NULL, NULL, 0, TIPC_OK};
    size_t plen = strlen(md->shm_name + 1);
    DIR *dir = opendir(SHM_DIR);
    if (!dir)
        return;
    struct dirent *e;
    while ((e = readdir(dir))) {
        long pid;
        size_t stem_len;
        if (strncmp(e->d_name, md->shm_name + 1, plen) != 0 ||
            !parse_temporary(e->d_name, &pid, &stem_len) || stem_len != plen)
            continue;
        char path[PATH_MAX];
        snprintf(path, sizeof path, SHM_DIR "/%s", e->d_name);
        /* Only files of dead creators: a live one (this process's other
         * threads included) may be publishing right now. */
        reclaim_one(&rc, md->name, path, 1, pid);
    }
    closedir(dir);
}

/* ------------------------------------------------------------------------ */
/* Producer side                                                            */
/* ------------------------------------------------------------------------ */

static void header_init(struct tipc_seg_header *h, const struct tipc_metadata *md,
                        const struct layout *l)
{
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
    h->ring_offset = l->ring;
    h->ring_bytes = l->ring_bytes;
    h->frames_offset = l->frames;
    h->frame_stride = l->stride;
    h->created_ns = tipc_now_ns();
    memcpy(h->meta.name, md->name, sizeof h->meta.name);
    memcpy(h->meta.device, md->device, sizeof h->meta.device);
    h->meta.dtype = md->dtype;
    h->meta.backend = md->backend;
    h->meta.ndim = md->ndim;
    h->meta.history_len = md->history_len;
    memcpy(h->meta.shape, md->shape, sizeof h->meta.shape);
    h->meta.frame_bytes = md->frame_bytes;
    h->payload_bytes = (uint32_t)md->payload_size;
    memcpy(h->payload, md->payload, md->payload_size);
}

/* Decide what to do with an existing file under the pool's name:
 * TIPC_E_CLOSED means its producer is dead and it may be replaced. */
static tipc_status examine_existing(const struct tipc_metadata *md, const char *path,
                                    dev_t *dev, ino_t *ino)
{
    int fd = -1;
    struct stat st;
    tipc_status status = open_hostile(md->name, path, O_RDONLY, &fd, &st);
    if (status == TIPC_E_NOT_CONNECTED)
        return TIPC_OK; /* vanished meanwhile: try again */
    if (status == TIPC_E_CORRUPT)
        return tipc__fail(TIPC_E_CORRUPT, "%s; remove it by hand", tipc_last_error());
    if (status)
        return status;
    struct tipc_seg_header head;
    ssize_t n = pread(fd, &head, PREFIX_BYTES, 0);
    int e = errno;
    close(fd);
    if (n < 0)
        return tipc__fail_errno(TIPC_E_SYSTEM, e, "pool '%s': cannot read %s", md->name, path);
    *dev = st.st_dev;
    *ino = st.st_ino;
    if (st.st_uid != geteuid())
        return tipc__fail(TIPC_E_PERMISSION,
                          "pool '%s': segment %s belongs to uid %u, not to this user (uid %u)",
                          md->name, path, (unsigned)st.st_uid, (unsigned)geteuid());
    if (n < PREFIX_BYTES || memcmp(head.magic, TIPC_SEG_MAGIC, 8) != 0)
        return tipc__fail(TIPC_E_CORRUPT,
                          "pool '%s': %s exists and is not a tensor-ipc segment; remove it by hand",
                          md->name, path);
    if (tipc__proc_alive(head.producer_pid, head.producer_start))
        return tipc__fail(TIPC_E_EXISTS, "pool '%s': already has a live producer (pid %d)",
                          md->name, (int)head.producer_pid);
    return TIPC_E_CLOSED;
}

static tipc_status no_space(const struct tipc_metadata *md, size_t bytes, int err)
{
    if (err == ENOSPC)
        return tipc__fail(TIPC_E_NO_SPACE,
                          "pool '%s': needs %zu bytes of shared memory and %s is full "
                          "(no space or no free inodes)",
                          md->name, bytes, SHM_DIR);
    return tipc__fail(TIPC_E_NO_SPACE, "pool '%s': %s has no room for %zu more bytes: %s",
                      md->name, SHM_DIR, bytes, strerror(err));
}

tipc_status tipc__segment_prepare(struct tipc_segment *seg, const struct tipc_metadata *md,
                                  unsigned int mode)
{
    memset(seg, 0, sizeof *seg);
    seg->fd = -1;
    seg->base = MAP_FAILED;
    struct layout l = layout_for(md);
    shm_path(seg->path, sizeof seg->path, md->shm_name);
    static _Atomic unsigned tmp_counter; /* threads of one process never share a name */
    snprintf(seg->tmp, sizeof seg->tmp, "%s~%d.%u.tmp", seg->path, (int)getpid(),
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
        if (vfs.f_files != 0 && vfs.f_favail == 0)
            return tipc__fail(TIPC_E_NO_SPACE,
                              "pool '%s': %s has no free inodes (all %llu in use)", md->name,
                              SHM_DIR, (unsigned long long)vfs.f_files);
    }
    seg->fd = open(seg->tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (seg->fd < 0) {
        int e = errno;
        seg->tmp[0] = '\0';
        if (e == ENOSPC || e == EDQUOT)
            return no_space(md, l.total, e);
        return tipc__fail_errno(e == EACCES ? TIPC_E_PERMISSION : TIPC_E_SYSTEM, e,
                                "pool '%s': cannot create a file in %s", md->name, SHM_DIR);
    }
    tipc_status st = TIPC_OK;
    int err = posix_fallocate(seg->fd, 0, (off_t)l.total);
    struct stat sb;
    if (err) {
        st = err == ENOSPC || err == EDQUOT
                 ? no_space(md, l.total, err)
                 : tipc__fail_errno(TIPC_E_SYSTEM, err, "pool '%s': cannot reserve %zu bytes",
                                    md->name, l.total);
    } else if (fchmod(seg->fd, mode) != 0) {
        st = tipc__fail_errno(TIPC_E_SYSTEM, errno, "pool '%s': cannot set mode %o", md->name,
                              mode);
    } else if ((seg->base = mmap(NULL, l.total, PROT_READ | PROT_WRITE,
                                 /* The pages exist (fallocate): populating maps them now,
                                  * so the first pass through the ring pays no page faults. */
                                 MAP_SHARED | MAP_POPULATE, seg->fd, 0)) == MAP_FAILED) {
        st = tipc__fail_errno(TIPC_E_SYSTEM, errno, "pool '%s': cannot map %zu bytes", md->name,
                              l.total);
    } else if (fstat(seg->fd, &sb) != 0) {
        st = tipc__fail_errno(TIPC_E_SYSTEM, errno, "pool '%s': cannot stat %s", md->name,
                              seg->tmp);
    }
    if (st) {
        tipc__segment_abandon(seg);
        return st;
    }
    seg->size = l.total;
    seg->dev = sb.st_dev; /* the published name keeps this inode */
    seg->ino = sb.st_ino;
    seg->ring = (char *)seg->base + l.ring;
    seg->frames = (unsigned char *)seg->base + l.frames;
    return TIPC_OK;
}

tipc_status tipc__segment_publish(struct tipc_segment *seg, const struct tipc_metadata *md)
{
    struct layout l = layout_for(md);
    struct tipc_seg_header *h = seg->base;
    header_init(h, md, &l);
    tipc__ring_format(seg->ring, md->history_len);
    seg->producer_pid = h->producer_pid;
    seg->producer_start = h->producer_start;
    seg->incarnation = h->incarnation;
    /* Publish the finished segment atomically; link(2) fails if the name exists. */
    for (int attempt = 0;; attempt++) {
        if (link(seg->tmp, seg->path) == 0)
            break;
        int e = errno;
        if (e != EEXIST || attempt == 8) {
            if (e == ENOSPC || e == EDQUOT)
                return no_space(md, 0, e);
            return tipc__fail_errno(TIPC_E_SYSTEM, e, "pool '%s': cannot publish %s", md->name,
                                    seg->path);
        }
        dev_t dev = 0;
        ino_t ino = 0;
        tipc_status st = examine_existing(md, seg->path, &dev, &ino);
        if (st == TIPC_E_CLOSED)
            unlink_if_same(seg->path, dev, ino);
        else if (st != TIPC_OK)
            return st;
    }
    unlink(seg->tmp);
    seg->tmp[0] = '\0';
    close(seg->fd);
    seg->fd = -1;
    return TIPC_OK;
}

void tipc__segment_abandon(struct tipc_segment *seg)
{
    if (seg->tmp[0])
        unlink(seg->tmp);
    seg->tmp[0] = '\0';
    if (seg->fd >= 0)
        close(seg->fd);
    seg->fd = -1;
    tipc__segment_unmap(seg);
}

void tipc__segment_unlink(const struct tipc_segment *seg)
{
    unlink_if_same(seg->path, seg->dev, seg->ino);
}

void tipc__segment_unmap(struct tipc_segment *seg)
{
    if (seg->base && seg->base != MAP_FAILED)
        munmap(seg->base, seg->size);
    seg->base = NULL;
}

/* ------------------------------------------------------------------------ */
/* Reader side                                                              */
/* ------------------------------------------------------------------------ */

tipc_status tipc__segment_validate(const void *bytes, size_t size,
                                   const struct tipc_metadata *expect, struct tipc_metadata *out)
{
    const char *name = expect ? expect->name : "?";
    if (size < sizeof(struct tipc_seg_header))
        return tipc__fail(TIPC_E_CORRUPT,
                          "pool '%s': segment is truncated: %zu bytes, a header needs %zu", name,
                          size, sizeof(struct tipc_seg_header));
    const struct tipc_seg_header *h = bytes;
    if (memcmp(h->magic, TIPC_SEG_MAGIC, 8) != 0)
        return tipc__fail(TIPC_E_CORRUPT, "pool '%s': not a tensor-ipc segment (bad magic)", name);
    if (h->layout_version != TIPC_SEG_LAYOUT_VERSION)
        return tipc__fail(TIPC_E_CORRUPT,
                          "pool '%s': segment layout version %u, this library reads version %u",
                          name, h->layout_version, TIPC_SEG_LAYOUT_VERSION);
    if (h->header_bytes != sizeof *h)
        return tipc__fail(TIPC_E_CORRUPT, "pool '%s': header of %llu bytes, expected %zu", name,
                          (unsigned long long)h->header_bytes, sizeof *h);
    if (h->segment_bytes > (uint64_t)size)
        return tipc__fail(TIPC_E_CORRUPT,
                          "pool '%s': segment is truncated: %zu bytes, its header claims %llu",
                          name, size, (unsigned long long)h->segment_bytes);
    struct tipc_metadata seg = {0};
    memcpy(seg.name, h->meta.name, sizeof seg.name);
    seg.name[TIPC_NAME_MAX] = '\0';
    memcpy(seg.device, h->meta.device, sizeof seg.device);
    seg.device[TIPC_DEVICE_MAX] = '\0';
    seg.dtype = (tipc_dtype)h->meta.dtype;
    seg.backend = (tipc_backend)h->meta.backend;
    seg.ndim = h->meta.ndim;
    seg.history_len = h->meta.history_len;
    memcpy(seg.shape, h->meta.shape, sizeof seg.shape);
    if (tipc__metadata_finish(&seg) != TIPC_OK)
        return tipc__fail(TIPC_E_CORRUPT, "pool '%s': segment metadata is invalid (%s)", name,
                          tipc_last_error());
    if (expect) {
        tipc_status status = tipc_metadata_compare(expect, &seg);
        if (status)
            return status;
    }
    name = seg.name;
    struct layout l = layout_for(&seg);
    if (h->meta.frame_bytes != seg.frame_bytes || h->segment_bytes != l.total ||
        h->ring_offset != l.ring || h->ring_bytes != l.ring_bytes ||
        h->frames_offset != l.frames || h->frame_stride != l.stride)
        return tipc__fail(TIPC_E_CORRUPT, "pool '%s': segment layout fields are inconsistent",
                          name);
    if (h->payload_bytes > TIPC_PAYLOAD_MAX)
        return tipc__fail(TIPC_E_CORRUPT, "pool '%s': backend payload of %u bytes (at most %d)",
                          name, h->payload_bytes, TIPC_PAYLOAD_MAX);
    tipc_status status = tipc__mem_payload_check(&seg, h->payload, h->payload_bytes);
    if (status)
        return status;
    status = tipc__ring_validate((const char *)bytes + l.ring, seg.history_len, name);
    if (status)
        return status;
    if (out) {
        *out = seg;
        out->payload_size = h->payload_bytes;
        memcpy(out->payload, h->payload, h->payload_bytes);
        out->creator_pid = h->producer_pid;
    }
    return TIPC_OK;
}

/* Open, map and validate the segment of pool @p name at @p shm_name, against
 * @p expect (NULL: any metadata, but the segment's name must be @p name);
 * *found receives the segment's metadata. With @p prefault, the frames of a
 * segment that passed are mapped now (see below). */
static tipc_status open_segment(struct tipc_segment *seg, const char *name, const char *shm_name,
                                const struct tipc_metadata *expect, int64_t trusted_uid,
                                int prefault, struct tipc_metadata *found)
{
    memset(seg, 0, sizeof *seg);
    seg->fd = -1;
    shm_path(seg->path, sizeof seg->path, shm_name);
    int fd = -1;
    struct stat st;
    tipc_status status = open_hostile(name, seg->path, O_RDWR, &fd, &st);
    if (status == TIPC_E_NOT_CONNECTED)
        return tipc__fail(TIPC_E_NOT_CONNECTED, "pool '%s': no producer", name);
    if (status)
        return status;
    /* Anyone may create a file under a pool's name first: only a segment of
     * this user, root or the one other owner the caller trusts is read. */
    uid_t self = geteuid();
    if (st.st_uid != self && st.st_uid != 0 &&
        (trusted_uid < 0 || (uid_t)trusted_uid != st.st_uid)) {
        close(fd);
        return tipc__fail(TIPC_E_PERMISSION,
                          "pool '%s': segment %s belongs to uid %u, not to this user (uid %u) "
                          "or root; refused (trust that owner explicitly to read a shared pool)",
                          name, seg->path, (unsigned)st.st_uid, (unsigned)self);
    }
    if ((size_t)st.st_size < sizeof(struct tipc_seg_header)) {
        close(fd);
        return tipc__fail(TIPC_E_CORRUPT,
                          "pool '%s': segment %s is truncated: %lld bytes, a header needs %zu",
                          name, seg->path, (long long)st.st_size,
                          sizeof(struct tipc_seg_header));
    }
    size_t size = (size_t)st.st_size;
    void *base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (base == MAP_FAILED)
        return tipc__fail_errno(TIPC_E_SYSTEM, errno, "pool '%s': cannot map %s", name,
                                seg->path);
    const struct tipc_seg_header *h = base;
    status = tipc__segment_validate(base, size, expect, found);
    if (status == TIPC_OK && !expect && strcmp(found->name, name) != 0)
        status = tipc__fail(TIPC_E_CORRUPT, "pool '%s': segment %s holds pool '%s'", name,
                            seg->path, found->name);
    if (status == TIPC_OK && !tipc__proc_alive(h->producer_pid, h->producer_start)) {
        /* Left by a producer that died: nobody writes it again. */
        unlink_if_same(seg->path, st.st_dev, st.st_ino);
        status = tipc__fail(TIPC_E_NOT_CONNECTED, "pool '%s': the producer (pid %d) is gone",
                            name, (int)h->producer_pid);
    }
    if (status) {
        munmap(base, size);
        return status;
    }
    seg->base = base;
    seg->size = size;
    seg->dev = st.st_dev;
    seg->ino = st.st_ino;
    seg->producer_pid = h->producer_pid;
    seg->producer_start = h->producer_start;
    seg->incarnation = h->incarnation;
    seg->ring = (char *)base + h->ring_offset;
    seg->frames = (unsigned char *)base + h->frames_offset;
    /* A segment this library made has all its pages (fallocate): mapping its
     * frames now spares a reader's first pass through the ring a fault per
     * page. Only a segment that passed, and only if no page is missing: a
     * sparse file would have its holes allocated. Best effort (Linux 5.14+). */
    if (prefault && (uint64_t)st.st_blocks * 512u >= (uint64_t)size) {
        uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
        uintptr_t from = (uintptr_t)seg->frames & ~(page - 1);
        uintptr_t end = (uintptr_t)base + size;
        if (end > from)
            (void)madvise((void *)from, end - from, MADV_POPULATE_READ);
    }
    return TIPC_OK;
}

tipc_status tipc__segment_open(struct tipc_segment *seg, const struct tipc_metadata *md,
                               int64_t trusted_uid)
{
    struct tipc_metadata found;
    return open_segment(seg, md->name, md->shm_name, md, trusted_uid, 1, &found);
}

tipc_status tipc__segment_peek(const char *name, int64_t trusted_uid, struct tipc_metadata *out)
{
    char shm_name[TIPC_SHM_NAME_MAX];
    tipc__shm_name(shm_name, sizeof shm_name, name);
    struct tipc_segment seg;
    tipc_status status = open_segment(&seg, name, shm_name, NULL, trusted_uid, 0, out);
    if (status == TIPC_OK)
        tipc__segment_unmap(&seg);
    return status;
}

/* The payload as validated (device pools map their frames from it). */
const void *tipc__segment_payload(const struct tipc_segment *seg)
{
    return ((const struct tipc_seg_header *)seg->base)->payload;
}
