/* Hostile surroundings: files that any local user can put at a pool's path,
 * a /dev/shm out of inodes, corrupted ring tables, and other users trying to
 * touch a pool's segment. Each case would fail if its defence broke. */
#include "pool.h"
#include "proc.h"
#include "ring.h"
#include "segment.h"
#include "tensor_ipc.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char pool_name[96];

static tipc_metadata *make_md(const char *tag, uint32_t history)
{
    static int n;
    snprintf(pool_name, sizeof pool_name, "hostile/%s/%d_%d", tag, (int)getpid(), n++);
    int64_t shape[1] = {16};
    tipc_metadata *md = NULL;
    ck_assert_int_eq(tipc_metadata_create(&md, pool_name, TIPC_DTYPE_INT32, 1, shape,
                                          TIPC_BACKEND_NUMPY, history, NULL), TIPC_OK);
    return md;
}

static void path_of(const tipc_metadata *md, char *out, size_t cap)
{
    snprintf(out, cap, "/dev/shm%s", tipc_metadata_shm_name(md));
}

static tipc_producer *producer(const tipc_metadata *md, tipc_status expect)
{
    tipc_producer_options o = TIPC_PRODUCER_OPTIONS_INIT;
    o.control_plane = 0;
    tipc_producer *p = NULL;
    ck_assert_int_eq(tipc_producer_create(&p, md, &o), expect);
    return p;
}

static tipc_consumer *consumer(const tipc_metadata *md)
{
    tipc_consumer_options o = TIPC_CONSUMER_OPTIONS_INIT;
    o.control_plane = 0;
    tipc_consumer *c = NULL;
    ck_assert_int_eq(tipc_consumer_create(&c, md, &o), TIPC_OK);
    return c;
}

struct found {
    const char *path;
    tipc_reclaim_action action;
    int seen;
};

static void note(const tipc_reclaim_entry *e, void *user)
{
    struct found *f = user;
    if (strcmp(e->path, f->path) == 0) {
        f->action = e->action;
        f->seen++;
    }
}

/* Something that is not a regular file at the pool's path: the producer and
 * the consumer refuse it at once (an alarm catches a hang), say so, and
 * reclaim keeps it. */
static void refuse_at_path(int (*make)(const char *path), const char *says)
{
    tipc_metadata *md = make_md("odd", 2);
    char path[128];
    path_of(md, path, sizeof path);
    ck_assert_int_eq(make(path), 0);
    alarm(10);
    producer(md, TIPC_E_CORRUPT);
    ck_assert_msg(strstr(tipc_last_error(), says), "%s", tipc_last_error());
    tipc_consumer *c = consumer(md);
    ck_assert_int_eq(tipc_consumer_connect(c), TIPC_E_CORRUPT);
    ck_assert_msg(strstr(tipc_last_error(), says), "%s", tipc_last_error());
    tipc_consumer_destroy(c);
    struct found f = {path, TIPC_RECLAIM_REMOVED, 0};
    ck_assert_int_eq(tipc_pool_reclaim(pool_name, 0, note, &f, NULL), TIPC_OK);
    ck_assert_int_eq(f.seen, 1);
    ck_assert_int_eq(f.action, TIPC_RECLAIM_KEPT_FOREIGN);
    alarm(0);
    struct stat st;
    ck_assert_int_eq(lstat(path, &st), 0); /* left alone */
    if (S_ISDIR(st.st_mode))
        rmdir(path);
    else
        unlink(path);
    tipc_metadata_destroy(md);
}

static int make_fifo(const char *path) { return mkfifo(path, 0666); }
static int make_dir(const char *path) { return mkdir(path, 0700); }
static int make_link(const char *path) { return symlink("/etc/passwd", path); }

START_TEST(fifo_at_pool_path)
{
    refuse_at_path(make_fifo, "not a regular file");
}
END_TEST

START_TEST(directory_at_pool_path)
{
    refuse_at_path(make_dir, "not a regular file");
}
END_TEST

START_TEST(symlink_at_pool_path)
{
    refuse_at_path(make_link, "symbolic link");
}
END_TEST

/* A large sparse file at the pool's path: a consumer's attempt to read it
 * allocates none of its holes beyond the header it reads (segments are
 * pre-faulted only when all their pages exist), and it is refused. */
START_TEST(sparse_file_at_pool_path_allocates_nothing)
{
    tipc_metadata *md = make_md("sparse", 2);
    char path[128];
    path_of(md, path, sizeof path);
    int fd = open(path, O_CREAT | O_EXCL | O_WRONLY, 0600);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(ftruncate(fd, (off_t)1 << 30), 0);
    close(fd);
    tipc_consumer *c = consumer(md);
    ck_assert_int_ne(tipc_consumer_connect(c), TIPC_OK);
    tipc_consumer_destroy(c);
    struct stat st;
    int got = stat(path, &st);
    unlink(path); /* before the checks: a failed case leaves no gigabyte behind */
    tipc_metadata_destroy(md);
    ck_assert_int_eq(got, 0);
    /* the header page it read, at most (512 B blocks) */
    ck_assert_msg(st.st_blocks * 512 <= 4096, "%lld blocks of the sparse file were allocated",
                  (long long)st.st_blocks);
}
END_TEST

/* A valid segment whose frames were punched out (by anyone who may write
 * it): a consumer connects, and pre-faulting its frames allocates none of
 * the holes (it is skipped unless every page exists). */
START_TEST(sparse_segment_is_not_prefaulted)
{
    tipc_metadata *md = NULL;
    snprintf(pool_name, sizeof pool_name, "hostile/punched/%d", (int)getpid());
    int64_t shape[1] = {1 << 20};
    ck_assert_int_eq(tipc_metadata_create(&md, pool_name, TIPC_DTYPE_UINT8, 1, shape,
                                          TIPC_BACKEND_NUMPY, 4, NULL),
                     TIPC_OK);
    tipc_producer *p = producer(md, TIPC_OK);
    char path[128];
    path_of(md, path, sizeof path);
    int fd = open(path, O_RDWR);
    ck_assert_int_ge(fd, 0);
    struct tipc_seg_header h;
    ck_assert_int_eq(pread(fd, &h, sizeof h, 0), (ssize_t)sizeof h);
    struct stat st;
    ck_assert_int_eq(fstat(fd, &st), 0);
    ck_assert_int_eq(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                               (off_t)h.frames_offset, st.st_size - (off_t)h.frames_offset),
                     0);
    struct stat punched;
    ck_assert_int_eq(fstat(fd, &punched), 0);
    tipc_consumer *c = consumer(md);
    tipc_status got = tipc_consumer_connect(c);
    struct stat after;
    ck_assert_int_eq(fstat(fd, &after), 0);
    close(fd);
    tipc_consumer_destroy(c);
    tipc_producer_destroy(p);
    tipc_metadata_destroy(md);
    ck_assert_int_eq(got, TIPC_OK);
    ck_assert_int_lt(punched.st_blocks, st.st_blocks);
    ck_assert_msg(after.st_blocks == punched.st_blocks,
                  "connecting allocated %lld blocks of the holes",
                  (long long)(after.st_blocks - punched.st_blocks));
}
END_TEST

/* Run @p fn in a child with its own mount namespace whose /dev/shm is a tiny
 * tmpfs: nothing outside the child sees it, and it vanishes with the child. */
static void in_small_shm(const char *options, void (*fn)(void))
{
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
            mount("tmpfs", "/dev/shm", "tmpfs", 0, options) != 0)
            _exit(90);
        fn();
        _exit(0);
    }
    int st;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) != 90,
                  "cannot make a private /dev/shm (needs root): status %#x", st);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child failed: status %#x", st);
}

static void no_inodes(void)
{
    /* Use up every inode with empty files. */
    for (int i = 0; i < 100; i++) {
        char f[64];
        snprintf(f, sizeof f, "/dev/shm/filler%d", i);
        int fd = open(f, O_CREAT | O_WRONLY, 0600);
        if (fd < 0) {
            if (errno != ENOSPC)
                _exit(91);
            break;
        }
        close(fd);
    }
    tipc_metadata *md = make_md("inodes", 2);
    tipc_producer *p = NULL;
    tipc_producer_options o = TIPC_PRODUCER_OPTIONS_INIT;
    o.control_plane = 0;
    tipc_status st = tipc_producer_create(&p, md, &o);
    if (st != TIPC_E_NO_SPACE) {
        fprintf(stderr, "got %s: %s\n", tipc_status_name(st), tipc_last_error());
        _exit(92);
    }
    if (!strstr(tipc_last_error(), "inodes")) {
        fprintf(stderr, "sentence: %s\n", tipc_last_error());
        _exit(93);
    }
    tipc_metadata_destroy(md);
}

START_TEST(shm_out_of_inodes_is_no_space)
{
    in_small_shm("size=1m,nr_inodes=8", no_inodes);
}
END_TEST

static void too_small(void)
{
    tipc_metadata *md = NULL;
    int64_t shape[1] = {1 << 20};
    if (tipc_metadata_create(&md, "hostile/small", TIPC_DTYPE_UINT8, 1, shape,
                             TIPC_BACKEND_NUMPY, 2, NULL) != TIPC_OK)
        _exit(94);
    tipc_producer_options o = TIPC_PRODUCER_OPTIONS_INIT;
    o.control_plane = 0;
    tipc_producer *p = NULL;
    if (tipc_producer_create(&p, md, &o) != TIPC_E_NO_SPACE || !strstr(tipc_last_error(), "free"))
        _exit(95);
    tipc_metadata_destroy(md);
}

START_TEST(shm_too_small_is_no_space)
{
    in_small_shm("size=256k", too_small);
}
END_TEST

/* The consumer's own mapping of a live pool's ring. */
static void *ring_region(const tipc_metadata *md, size_t *size)
{
    char path[128];
    path_of(md, path, sizeof path);
    int fd = open(path, O_RDWR);
    ck_assert_int_ge(fd, 0);
    struct stat st;
    fstat(fd, &st);
    void *base = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    ck_assert_ptr_ne(base, MAP_FAILED);
    *size = (size_t)st.st_size;
    return base;
}

static void *ring_in(void *base) { return (char *)base + ((struct tipc_seg_header *)base)->ring_offset; }

/* A slot record scribbled over reads as corruption, named, not as "the
 * producer is too fast, raise history_len". */
START_TEST(corrupted_slot_is_corrupt_not_busy)
{
    tipc_metadata *md = make_md("slot", 2);
    tipc_producer *p = producer(md, TIPC_OK);
    int32_t f[16] = {1};
    ck_assert_int_eq(tipc_producer_put(p, f, sizeof f, NULL), TIPC_OK);
    ck_assert_int_eq(tipc_producer_put(p, f, sizeof f, NULL), TIPC_OK);
    tipc_consumer *c = consumer(md);
    ck_assert_int_eq(tipc_consumer_connect(c), TIPC_OK);
    size_t size;
    void *base = ring_region(md, &size);
    /* Slot 1 claims frame 4, which belongs to slot 0. */
    atomic_store(tipc__test_ring_seq(ring_in(base), 2, 1), 5);
    int64_t t0 = tipc__mono_ns();
    ck_assert_int_eq(tipc_consumer_get(c, f, sizeof f, 1, 0, NULL), TIPC_E_CORRUPT);
    ck_assert_ptr_nonnull(strstr(tipc_last_error(), "slot 1 of the ring is corrupted"));
    ck_assert_int_lt(tipc__mono_ns() - t0, 500000000LL); /* no 1 s of retries */
    tipc_view *v = NULL;
    ck_assert_int_eq(tipc_consumer_acquire(c, 1, 0, &v), TIPC_E_CORRUPT);
    /* A new reader refuses to connect to it at all. */
    tipc_consumer *c2 = consumer(md);
    ck_assert_int_eq(tipc_consumer_connect(c2), TIPC_E_CORRUPT);
    ck_assert_ptr_nonnull(strstr(tipc_last_error(), "belongs to another slot"));
    tipc_consumer_destroy(c2);
    tipc_consumer_destroy(c);
    munmap(base, size);
    tipc_producer_destroy(p);
    tipc_metadata_destroy(md);
}
END_TEST

/* Reader bits of free entries (debris) do not stall the producer. */
START_TEST(orphan_reader_bits_do_not_block_put)
{
    tipc_metadata *md = make_md("orphan", 2);
    tipc_producer *p = producer(md, TIPC_OK);
    int32_t f[16] = {1};
    ck_assert_int_eq(tipc_producer_put(p, f, sizeof f, NULL), TIPC_OK);
    ck_assert_int_eq(tipc_producer_put(p, f, sizeof f, NULL), TIPC_OK);
    size_t size;
    void *base = ring_region(md, &size);
    atomic_store(tipc__test_ring_holders(ring_in(base), 2, 0), UINT64_MAX);
    int64_t t0 = tipc__mono_ns();
    ck_assert_int_eq(tipc_producer_put(p, f, sizeof f, NULL), TIPC_OK); /* slot 0 */
    ck_assert_int_lt(tipc__mono_ns() - t0, 500000000LL);
    ck_assert_uint_eq(atomic_load(tipc__test_ring_holders(ring_in(base), 2, 0)), 0);
    munmap(base, size);
    tipc_producer_destroy(p);
    tipc_metadata_destroy(md);
}
END_TEST

/* What another user can do to a pool's segment. With the default mode, not
 * even open it: so no truncation, hole punch or scribbling. */
START_TEST(other_user_cannot_touch_default_segment)
{
    ck_assert_msg(geteuid() == 0, "this test drops to uid 65534 and must run as root");
    tipc_metadata *md = make_md("owner", 2);
    tipc_producer *p = producer(md, TIPC_OK);
    char path[128];
    path_of(md, path, sizeof path);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_uint_eq(st.st_mode & 0777, 0600);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        if (setgid(65534) != 0 || setuid(65534) != 0)
            _exit(80);
        if (open(path, O_RDWR) >= 0 || errno != EACCES)
            _exit(81);
        if (open(path, O_RDONLY) >= 0 || errno != EACCES)
            _exit(82);
        if (truncate(path, 0) == 0 || errno != EACCES)
            _exit(83);
        if (unlink(path) == 0) /* /dev/shm is sticky */
            _exit(84);
        _exit(0);
    }
    int ws;
    ck_assert_int_eq(waitpid(pid, &ws, 0), pid);
    ck_assert_msg(WIFEXITED(ws) && WEXITSTATUS(ws) == 0, "uid 65534 got in: status %#x", ws);
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_gt(st.st_size, 0);
    tipc_producer_destroy(p);
    tipc_metadata_destroy(md);
}
END_TEST

/* A squatter of another uid that created the name first with mode 0666:
 * the producer refuses, naming the owner, and consumers do not read it. */
START_TEST(squatted_name_is_refused)
{
    ck_assert_msg(geteuid() == 0, "this test creates a file as uid 65534 and must run as root");
    tipc_metadata *md = make_md("squat", 2);
    char path[128];
    path_of(md, path, sizeof path);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        if (setgid(65534) != 0 || setuid(65534) != 0)
            _exit(80);
        tipc_producer_options o = TIPC_PRODUCER_OPTIONS_INIT;
        o.control_plane = 0;
        o.mode = 0666;
        tipc_producer *sq = NULL;
        if (tipc_producer_create(&sq, md, &o) != TIPC_OK)
            _exit(81);
        int32_t f[16] = {666};
        tipc_producer_put(sq, f, sizeof f, NULL);
        pause(); /* a live squatter */
        _exit(0);
    }
    for (int i = 0; i < 1000 && access(path, F_OK) != 0; i++)
        usleep(5000);
    ck_assert_int_eq(access(path, F_OK), 0);
    tipc_producer *p = producer(md, TIPC_E_PERMISSION);
    ck_assert_ptr_nonnull(strstr(tipc_last_error(), "belongs to uid 65534"));
    tipc_consumer *c = consumer(md);
    int32_t f[16];
    ck_assert_int_eq(tipc_consumer_get(c, f, sizeof f, 1, 0, NULL), TIPC_E_PERMISSION);
    ck_assert_ptr_nonnull(strstr(tipc_last_error(), "belongs to uid 65534"));
    tipc_consumer_destroy(c);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    (void)p;
    tipc_pool_reclaim(pool_name, 0, NULL, NULL, NULL);
    ck_assert_int_ne(access(path, F_OK), 0);
    tipc_metadata_destroy(md);
}
END_TEST

static Suite *hostile_suite(void)
{
    Suite *s = suite_create("hostile");
    TCase *tc;
#define CASE(name, fn)                 \
    tc = tcase_create(name);           \
    tcase_add_test(tc, fn);            \
    suite_add_tcase(s, tc)
    CASE("fifo_at_pool_path", fifo_at_pool_path);
    CASE("directory_at_pool_path", directory_at_pool_path);
    CASE("symlink_at_pool_path", symlink_at_pool_path);
    CASE("sparse_file_at_pool_path_allocates_nothing", sparse_file_at_pool_path_allocates_nothing);
    CASE("sparse_segment_is_not_prefaulted", sparse_segment_is_not_prefaulted);
    CASE("shm_out_of_inodes_is_no_space", shm_out_of_inodes_is_no_space);
    CASE("shm_too_small_is_no_space", shm_too_small_is_no_space);
    CASE("corrupted_slot_is_corrupt_not_busy", corrupted_slot_is_corrupt_not_busy);
    CASE("orphan_reader_bits_do_not_block_put", orphan_reader_bits_do_not_block_put);
    CASE("other_user_cannot_touch_default_segment", other_user_cannot_touch_default_segment);
    CASE("squatted_name_is_refused", squatted_name_is_refused);
#undef CASE
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(hostile_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
