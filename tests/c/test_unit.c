/* Single-process tests of the C core: metadata, dtypes, errors, the pool's
 * read/write paths and every kind of bad input. Multi-process guarantees are
 * in tests/multiprocess. */
#include "cuda.h"
#include "pool.h"
#include "proc.h"
#include "remote.h"
#include "tensor_ipc.h"

#include <check.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <dirent.h>
#include <time.h>
#include <unistd.h>

static char pool_name[64];

static const char *unique(const char *base)
{
    static int n;
    snprintf(pool_name, sizeof pool_name, "unit/%s/%d_%d", base, (int)getpid(), n++);
    return pool_name;
}

static int shm_exists(const tipc_metadata *md)
{
    char path[128];
    snprintf(path, sizeof path, "/dev/shm%s", tipc_metadata_shm_name(md));
    return access(path, F_OK) == 0;
}

static tipc_metadata *make_md(const char *name, uint32_t history, int64_t a, int64_t b)
{
    int64_t shape[2] = {a, b};
    tipc_metadata *md = NULL;
    ck_assert_int_eq(tipc_metadata_create(&md, name, TIPC_DTYPE_INT32, 2, shape,
                                          TIPC_BACKEND_NUMPY, history, NULL), TIPC_OK);
    return md;
}

/* Frame k of a (2,3) int32 pool: every element is k * 10 + position. */
static void fill(int32_t *f, int k)
{
    for (int i = 0; i < 6; i++)
        f[i] = k * 10 + i;
}

static void put_frames(tipc_producer *p, int from, int to)
{
    int32_t f[6];
    for (int k = from; k < to; k++) {
        fill(f, k);
        uint64_t idx = 99;
        ck_assert_int_eq(tipc_producer_put(p, f, sizeof f, &idx), TIPC_OK);
        ck_assert_uint_eq(idx, (uint64_t)k);
    }
}

/* ---------------------------------------------------------------- basics */

START_TEST(test_version_and_status)
{
    ck_assert_uint_eq(tipc_version_number(), TIPC_VERSION_NUMBER);
    ck_assert_str_eq(tipc_version_string(), TIPC_VERSION_STRING);
    ck_assert_ptr_nonnull(tipc_last_error());
    ck_assert_str_eq(tipc_status_name(TIPC_E_TIMEOUT), "TIPC_E_TIMEOUT");
    ck_assert_str_eq(tipc_status_name((tipc_status)-999), "unknown");
    /* Pinned values: renumbering breaks every binding. */
    ck_assert_int_eq(TIPC_E_INVALID, -1);
    ck_assert_int_eq(TIPC_E_NOT_CONNECTED, -3);
    ck_assert_int_eq(TIPC_E_LIMIT, -15);
}
END_TEST

START_TEST(test_dtypes)
{
    static const struct { const char *name; size_t size; } all[] = {
        {"bool", 1}, {"int8", 1}, {"int16", 2}, {"int32", 4}, {"int64", 8},
        {"uint8", 1}, {"uint16", 2}, {"uint32", 4}, {"uint64", 8}, {"float16", 2},
        {"bfloat16", 2}, {"float32", 4}, {"float64", 8}, {"complex64", 8},
        {"complex128", 16}};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        tipc_dtype d = tipc_dtype_from_name(all[i].name);
        ck_assert_int_ne(d, TIPC_DTYPE_INVALID);
        ck_assert_str_eq(tipc_dtype_name(d), all[i].name);
        ck_assert_uint_eq(tipc_dtype_size(d), all[i].size);
    }
    ck_assert_int_eq(tipc_dtype_from_name("torch.float32"), TIPC_DTYPE_FLOAT32);
    ck_assert_int_eq(tipc_dtype_from_name("double"), TIPC_DTYPE_FLOAT64);
    ck_assert_int_eq(tipc_dtype_from_name("float128"), TIPC_DTYPE_INVALID);
    ck_assert_int_eq(tipc_dtype_from_name(NULL), TIPC_DTYPE_INVALID);
    ck_assert_str_eq(tipc_dtype_name((tipc_dtype)77), "invalid");
    ck_assert_uint_eq(tipc_dtype_size((tipc_dtype)77), 0);
    ck_assert_int_eq(tipc_backend_from_name("torch_cuda"), TIPC_BACKEND_TORCH_CUDA);
    ck_assert_int_eq(tipc_backend_from_name("jax"), TIPC_BACKEND_INVALID);
    ck_assert_str_eq(tipc_backend_name(TIPC_BACKEND_TORCH), "torch");
}
END_TEST

START_TEST(test_metadata_fields)
{
    int64_t shape[3] = {480, 640, 3};
    tipc_metadata *md = NULL;
    ck_assert_int_eq(tipc_metadata_create(&md, "cam/rgb", TIPC_DTYPE_UINT8, 3, shape,
                                          TIPC_BACKEND_TORCH, 4, NULL), TIPC_OK);
    ck_assert_str_eq(tipc_metadata_name(md), "cam/rgb");
    ck_assert_str_eq(tipc_metadata_device(md), "cpu");
    ck_assert_str_eq(tipc_metadata_shm_name(md), "/tipc.cam.rgb");
    ck_assert_uint_eq(tipc_metadata_ndim(md), 3);
    ck_assert_int_eq(tipc_metadata_dim(md, 1), 640);
    ck_assert_int_eq(tipc_metadata_dim(md, 3), 0);
    ck_assert_uint_eq(tipc_metadata_element_size(md), 1);
    ck_assert_uint_eq(tipc_metadata_frame_bytes(md), 921600);
    ck_assert_uint_eq(tipc_metadata_total_bytes(md), 4 * 921600);
    ck_assert_uint_eq(tipc_metadata_history_len(md), 4);
    ck_assert_int_eq(tipc_metadata_backend(md), TIPC_BACKEND_TORCH);
    size_t n = 1;
    ck_assert_ptr_null(tipc_metadata_payload(md, &n));
    ck_assert_uint_eq(n, 0);
    char buf[128];
    tipc_metadata_describe(md, buf, sizeof buf);
    ck_assert_str_eq(buf, "pool 'cam/rgb' uint8 (480,640,3) torch history 4 cpu");

    tipc_metadata *copy = NULL;
    ck_assert_int_eq(tipc_metadata_clone(&copy, md), TIPC_OK);
    ck_assert_int_eq(tipc_metadata_compare(md, copy), TIPC_OK);
    tipc_metadata_destroy(copy);

    /* A scalar per frame. */
    tipc_metadata *scalar = NULL;
    ck_assert_int_eq(tipc_metadata_create(&scalar, "s", TIPC_DTYPE_FLOAT64, 0, NULL,
                                          TIPC_BACKEND_NUMPY, 1, "cpu"), TIPC_OK);
    ck_assert_uint_eq(tipc_metadata_frame_bytes(scalar), 8);
    tipc_metadata_destroy(scalar);
    tipc_metadata_destroy(md);
    tipc_metadata_destroy(NULL);
}
END_TEST

START_TEST(test_metadata_compare_names_every_field)
{
    int64_t s1[3] = {480, 640, 3}, s2[3] = {480, 640, 4};
    tipc_metadata *a = NULL, *b = NULL;
    ck_assert_int_eq(tipc_metadata_create(&a, "cam", TIPC_DTYPE_UINT8, 3, s1,
                                          TIPC_BACKEND_NUMPY, 4, NULL), TIPC_OK);
    ck_assert_int_eq(tipc_metadata_create(&b, "cam", TIPC_DTYPE_FLOAT32, 3, s2,
                                          TIPC_BACKEND_TORCH_CUDA, 8, NULL), TIPC_OK);
    ck_assert_int_eq(tipc_metadata_compare(a, b), TIPC_E_MISMATCH);
    const char *e = tipc_last_error();
    ck_assert_ptr_nonnull(strstr(e, "pool 'cam'"));
    ck_assert_ptr_nonnull(strstr(e, "dtype uint8 vs float32"));
    ck_assert_ptr_nonnull(strstr(e, "shape (480,640,3) vs (480,640,4)"));
    ck_assert_ptr_nonnull(strstr(e, "backend numpy vs torch_cuda"));
    ck_assert_ptr_nonnull(strstr(e, "history_len 4 vs 8"));
    ck_assert_ptr_nonnull(strstr(e, "device 'cpu' vs 'cuda:0'"));
    ck_assert_int_eq(tipc_metadata_compare(a, NULL), TIPC_E_INVALID);
    /* Host pools: the backend is not part of the pool's identity. */
    tipc_metadata *t = NULL;
    ck_assert_int_eq(tipc_metadata_create(&t, "cam", TIPC_DTYPE_UINT8, 3, s1,
                                          TIPC_BACKEND_TORCH, 4, NULL), TIPC_OK);
    ck_assert_int_eq(tipc_metadata_compare(a, t), TIPC_OK);
    ck_assert_int_eq(tipc_metadata_compare(t, a), TIPC_OK);
    tipc_metadata_destroy(t);
    tipc_metadata_destroy(a);
    tipc_metadata_destroy(b);
}
END_TEST

static void expect_md_invalid(const char *name, tipc_dtype dt, size_t ndim, const int64_t *shape,
                              tipc_backend be, uint32_t hist, const char *dev, const char *needle)
{
    tipc_metadata *md = (tipc_metadata *)0x1;
    ck_assert_int_eq(tipc_metadata_create(&md, name, dt, ndim, shape, be, hist, dev),
                     TIPC_E_INVALID);
    ck_assert_ptr_null(md);
    ck_assert_msg(strstr(tipc_last_error(), needle), "'%s' lacks '%s'", tipc_last_error(),
                  needle);
}

START_TEST(test_metadata_bad_input)
{
    int64_t ok[2] = {2, 3}, zero[2] = {2, 0}, neg[2] = {-1, 3};
    int64_t huge[3] = {INT64_C(1) << 40, INT64_C(1) << 40, 4};
    int64_t big[1] = {INT64_C(1) << 36};
    int64_t nine[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    char longname[80];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    const tipc_dtype i32 = TIPC_DTYPE_INT32;
    const tipc_backend np = TIPC_BACKEND_NUMPY;
    expect_md_invalid(NULL, i32, 2, ok, np, 1, NULL, "NULL");
    expect_md_invalid("", i32, 2, ok, np, 1, NULL, "empty");
    expect_md_invalid(longname, i32, 2, ok, np, 1, NULL, "longer than 63");
    expect_md_invalid("a b", i32, 2, ok, np, 1, NULL, "character 1");
    expect_md_invalid("a.b", i32, 2, ok, np, 1, NULL, "character 1");
    expect_md_invalid("/abs", i32, 2, ok, np, 1, NULL, "starts or ends");
    expect_md_invalid("a//b", i32, 2, ok, np, 1, NULL, "'//'");
    expect_md_invalid("p", i32, 2, zero, np, 1, NULL, "dimension 1 is 0");
    expect_md_invalid("p", i32, 2, neg, np, 1, NULL, "dimension 0 is -1");
    expect_md_invalid("p", i32, 3, huge, np, 1, NULL, "overflows");
    expect_md_invalid("p", i32, 1, big, np, 65536, NULL, "exceed");
    expect_md_invalid("p", i32, 9, nine, np, 1, NULL, "at most 8");
    expect_md_invalid("p", i32, 2, NULL, np, 1, NULL, "shape is NULL");
    expect_md_invalid("p", i32, 2, ok, np, 0, NULL, "history_len 0");
    expect_md_invalid("p", i32, 2, ok, np, 1000000, NULL, "history_len 1000000");
    expect_md_invalid("p", (tipc_dtype)99, 2, ok, np, 1, NULL, "unknown dtype");
    expect_md_invalid("p", i32, 2, ok, (tipc_backend)9, 1, NULL, "unknown backend");
    expect_md_invalid("p", i32, 2, ok, np, 1, "cuda:0", "device 'cuda:0'");
    expect_md_invalid("p", i32, 2, ok, TIPC_BACKEND_TORCH_CUDA, 1, "cpu", "device 'cpu'");
    expect_md_invalid("p", i32, 2, ok, TIPC_BACKEND_TORCH_CUDA, 1, "cuda:x", "device");
    ck_assert_int_eq(tipc_metadata_create(NULL, "p", i32, 2, ok, np, 1, NULL), TIPC_E_INVALID);
    ck_assert_int_eq(tipc_metadata_clone(NULL, NULL), TIPC_E_INVALID);
}
END_TEST

/* ---------------------------------------------------------------- pool I/O */

START_TEST(test_put_get_latest_and_history)
{
    tipc_metadata *md = make_md(unique("hist"), 4, 2, 3);
    tipc_producer *p = NULL;
    tipc_consumer *c = NULL;
    ck_assert_int_eq(tipc_producer_create(&p, md, NULL), TIPC_OK);
    ck_assert_int_eq(tipc_consumer_create(&c, md, NULL), TIPC_OK);
    int32_t one[6], four[24], expect[6];

    memset(one, 0x55, sizeof one);
    ck_assert_int_eq(tipc_consumer_get(c, one, sizeof one, 1, 0, NULL), TIPC_E_NO_DATA);
    ck_assert_int_eq(one[0], 0x55555555); /* untouched */
    ck_assert_int_eq(tipc_consumer_is_connected(c), 1);

    put_frames(p, 0, 2); /* frames 0, 1 */
    tipc_frame_info info[4];
    ck_assert_int_eq(tipc_consumer_get(c, one, sizeof one, 1, 0, info), TIPC_OK);
    fill(expect, 1);
    ck_assert_mem_eq(one, expect, sizeof one);
    ck_assert_uint_eq(info[0].index, 1);
    ck_assert_int_eq(info[0].valid, 1);
    ck_assert_int_gt(info[0].timestamp_ns, 0);

    /* Latest first, zero padding at the old end. */
    ck_assert_int_eq(tipc_consumer_get(c, four, sizeof four, 4, 0, info), TIPC_OK);
    fill(expect, 1);
    ck_assert_mem_eq(four, expect, sizeof expect);
    fill(expect, 0);
    ck_assert_mem_eq(four + 6, expect, sizeof expect);
    for (int i = 12; i < 24; i++)
        ck_assert_int_eq(four[i], 0);
    ck_assert_int_eq(info[2].valid, 0);
    ck_assert_uint_eq(info[1].index, 0);

    /* Oldest first with fill padding: pad, pad, 0, 1 -> 0, 0, 0, 1. */
    ck_assert_int_eq(tipc_consumer_get(c, four, sizeof four, 4,
                                       TIPC_READ_OLDEST_FIRST | TIPC_READ_PAD_FILL, info), TIPC_OK);
    fill(expect, 0);
    for (int f = 0; f < 3; f++)
        ck_assert_mem_eq(four + 6 * f, expect, sizeof expect);
    fill(expect, 1);
    ck_assert_mem_eq(four + 18, expect, sizeof expect);
    ck_assert_int_eq(info[0].valid, 0);
    ck_assert_uint_eq(info[3].index, 1);

    /* Wrap the ring: frames 2..9, history holds 6..9. */
    put_frames(p, 2, 10);
    ck_assert_int_eq(tipc_consumer_get(c, four, sizeof four, 4, TIPC_READ_OLDEST_FIRST, info),
                     TIPC_OK);
    for (int f = 0; f < 4; f++) {
        fill(expect, 6 + f);
        ck_assert_mem_eq(four + 6 * f, expect, sizeof expect);
        ck_assert_uint_eq(info[f].index, (uint64_t)(6 + f));
    }
    uint64_t latest = 0;
    ck_assert_int_eq(tipc_consumer_latest_index(c, &latest), TIPC_OK);
    ck_assert_uint_eq(latest, 9);
    ck_assert_uint_eq(tipc_producer_frames_written(p), 10);

    tipc_consumer_destroy(c);
    tipc_producer_destroy(p);
    ck_assert(!shm_exists(md));
    tipc_metadata_destroy(md);
}
END_TEST

START_TEST(test_acquire_views)
{
    tipc_metadata *md = make_md(unique("acq"), 3, 2, 3);
    tipc_producer *p = NULL;
    tipc_consumer *c = NULL;
    ck_assert_int_eq(tipc_producer_create(&p, md, NULL), TIPC_OK);
    ck_assert_int_eq(tipc_consumer_create(&c, md, NULL), TIPC_OK);
    tipc_view *v = (tipc_view *)0x1;
    ck_assert_int_eq(tipc_consumer_acquire(c, 1, 0, &v), TIPC_E_NO_DATA);
    ck_assert_ptr_null(v);
    put_frames(p, 0, 2);

    ck_assert_int_eq(tipc_consumer_acquire(c, 3, TIPC_READ_OLDEST_FIRST, &v), TIPC_OK);
    ck_assert_uint_eq(tipc_view_count(v), 3);
    ck_assert_uint_eq(tipc_view_frame_bytes(v), 24);
    ck_assert_ptr_null(tipc_view_data(v, 0)); /* padding */
    int32_t expect[6];
    fill(expect, 0);
    ck_assert_mem_eq(tipc_view_data(v, 1), expect, sizeof expect);
    fill(expect, 1);
    ck_assert_mem_eq(tipc_view_data(v, 2), expect, sizeof expect);
    tipc_frame_info info;
    ck_assert_int_eq(tipc_view_info(v, 2, &info), TIPC_OK);
    ck_assert_uint_eq(info.index, 1);
    ck_assert_int_eq(tipc_view_info(v, 3, &info), TIPC_E_INVALID);
    ck_assert_ptr_null(tipc_view_data(v, 3));

    /* The view outlives its consumer and the producer. */
    tipc_consumer_destroy(c);
    put_frames(p, 2, 3); /* slot of frame 2 is free: 0 and 1 stay held */
    tipc_producer_destroy(p);
    ck_assert(!shm_exists(md));
    ck_assert_mem_eq(tipc_view_data(v, 2), expect, sizeof expect);
    tipc_view_release(v);
    tipc_view_release(NULL);
    tipc_metadata_destroy(md);
}
END_TEST

START_TEST(test_held_frame_makes_put_time_out)
{
    tipc_metadata *md = make_md(unique("hold"), 2, 2, 3);
    tipc_producer_options o;
    ck_assert_int_eq(tipc_producer_options_init(&o, TIPC_PRODUCER_OPTIONS_VERSION), TIPC_OK);
    o.put_timeout_ns = 50 * 1000000LL;
    tipc_producer *p = NULL;
    tipc_consumer *c = NULL;
    ck_assert_int_eq(tipc_producer_create(&p, md, &o), TIPC_OK);
    ck_assert_int_eq(tipc_consumer_create(&c, md, NULL), TIPC_OK);
    put_frames(p, 0, 1);
    tipc_view *v = NULL;
    ck_assert_int_eq(tipc_consumer_acquire(c, 1, 0, &v), TIPC_OK); /* holds frame 0, slot 0 */
    put_frames(p, 1, 2);                                           /* slot 1: free */
    int32_t f[6];
    fill(f, 2);
    ck_assert_int_eq(tipc_producer_put(p, f, sizeof f, NULL), TIPC_E_TIMEOUT);
    ck_assert_ptr_nonnull(strstr(tipc_last_error(), "holds frame 0"));
    /* Nothing published; the held frame is intact and still readable. */
    ck_assert_uint_eq(tipc_producer_frames_written(p), 2);
    int32_t two[12];
    ck_assert_int_eq(tipc_consumer_get(c, two, sizeof two, 2, 0, NULL), TIPC_OK);
    int32_t expect[6];
    fill(expect, 0);
    ck_assert_mem_eq(two + 6, expect, sizeof expect);
    /* Unhold lets the producer overwrite; the memory stays mapped. */
    tipc_view_unhold(v);
    tipc_view_unhold(v); /* idempotent */
    ck_assert_int_eq(tipc_producer_put(p, f, sizeof f, NULL), TIPC_OK);
    ck_assert_mem_eq(tipc_view_data(v, 0), f, sizeof f); /* frame 2 landed in the old slot */
    tipc_view_release(v);
    tipc_consumer_destroy(c);
    tipc_producer_destroy(p);
    tipc_metadata_destroy(md);
}
END_TEST

START_TEST(test_loan_commit_discard)
{
    tipc_metadata *md = make_md(unique("loan"), 2, 2, 3);
    tipc_producer *p = NULL;
    tipc_consumer *c = NULL;
    ck_assert_int_eq(tipc_producer_create(&p, md, NULL), TIPC_OK);
    ck_assert_int_eq(tipc_consumer_create(&c, md, NULL), TIPC_OK);
    put_frames(p, 0, 1);
    void *slot = NULL, *again = NULL;
    size_t size = 0;
    ck_assert_int_eq(tipc_producer_loan(p, &slot, &size), TIPC_OK);
    ck_assert_uint_eq(size, 24);
    ck_assert_uint_eq((uintptr_t)slot % 64, 0);
    ck_assert_int_eq(tipc_producer_loan(p, &again, NULL), TIPC_E_BUSY);
    ck_assert_ptr_null(again);
    int32_t f[6];
    ck_assert_int_eq(tipc_producer_put(p, f, sizeof f, NULL), TIPC_E_BUSY);
    fill(slot, 7);
    /* Unpublished: readers still see frame 0. */
    uint64_t latest;
    ck_assert_int_eq(tipc_consumer_latest_index(c, &latest), TIPC_OK);
    ck_assert_uint_eq(latest, 0);
    ck_assert_int_eq(tipc_producer_discard(p), TIPC_OK);
    ck_assert_int_eq(tipc_producer_discard(p), TIPC_E_INVALID);
    ck_assert_int_eq(tipc_producer_commit(p, NULL), TIPC_E_INVALID);

    ck_assert_int_eq(tipc_producer_loan(p, &slot, NULL), TIPC_OK);
    fill(slot, 8);
    uint64_t idx = 0;
    ck_assert_int_eq(tipc_producer_commit(p, &idx), TIPC_OK);
    ck_assert_uint_eq(idx, 1);
    ck_assert_int_eq(tipc_consumer_get(c, f, sizeof f, 1, 0, NULL), TIPC_OK);
    int32_t expect[6];
    fill(expect, 8);
    ck_assert_mem_eq(f, expect, sizeof f);
    /* Destroy with a loan out discards it. */
    ck_assert_int_eq(tipc_producer_loan(p, &slot, NULL), TIPC_OK);
    tipc_consumer_destroy(c);
    tipc_producer_destroy(p);
    ck_assert(!shm_exists(md));
    tipc_metadata_destroy(md);
}
END_TEST

static void *delayed_put(void *arg)
{
    tipc_producer *p = arg;
    struct timespec ts = {0, 20 * 1000000};
    nanosleep(&ts, NULL); /* only orders the test; the waiter's result is what is checked */
    put_frames(p, 1, 2);
    return NULL;
}

START_TEST(test_wait)
{
    tipc_metadata *md = make_md(unique("wait"), 2, 2, 3);
    tipc_consumer *c = NULL;
    ck_assert_int_eq(tipc_consumer_create(&c, md, NULL), TIPC_OK);
    ck_assert_int_eq(tipc_consumer_wait(c, 0), TIPC_E_NOT_CONNECTED);
    ck_assert_int_eq(tipc_consumer_wait(c, 20 * 1000000LL), TIPC_E_NOT_CONNECTED);
    tipc_producer *p = NULL;
    ck_assert_int_eq(tipc_producer_create(&p, md, NULL), TIPC_OK);
    ck_assert_int_eq(tipc_consumer_wait(c, 10 * 1000000LL), TIPC_E_TIMEOUT);
    put_frames(p, 0, 1);
    ck_assert_int_eq(tipc_consumer_wait(c, 0), TIPC_OK);
    int32_t f[6];
    ck_assert_int_eq(tipc_consumer_get(c, f, sizeof f, 1, 0, NULL), TIPC_OK);
    ck_assert_int_eq(tipc_consumer_wait(c, 0), TIPC_E_TIMEOUT); /* frame 0 already returned */

    pthread_t t;
    pthread_create(&t, NULL, delayed_put, p);
    ck_assert_int_eq(tipc_consumer_wait(c, 10 * 1000000000LL), TIPC_OK);
    pthread_join(t, NULL);
    ck_assert_int_eq(tipc_consumer_get(c, f, sizeof f, 1, 0, NULL), TIPC_OK);
    ck_assert_int_eq(f[0], 10);
    tipc_producer_destroy(p);
    ck_assert_int_eq(tipc_consumer_wait(c, 1000000000LL), TIPC_E_CLOSED);
    tipc_consumer_destroy(c);
    tipc_metadata_destroy(md);
}
END_TEST

START_TEST(test_lazy_connect_and_reconnect)
{
    tipc_metadata *md = make_md(unique("lazy"), 2, 2, 3);
    tipc_consumer *c = NULL;
    ck_assert_int_eq(tipc_consumer_create(&c, md, NULL), TIPC_OK);
    int32_t f[6], expect[6];
    ck_assert_int_eq(tipc_consumer_get(c, f, sizeof f, 1, 0, NULL), TIPC_E_NOT_CONNECTED);
    ck_assert_ptr_nonnull(strstr(tipc_last_error(), md ? "no producer" : ""));
    ck_assert_int_eq(tipc_consumer_is_connected(c), 0);

    tipc_producer *p = NULL, *p2 = NULL;
    ck_assert_int_eq(tipc_producer_create(&p, md, NULL), TIPC_OK);
    ck_assert_int_eq(tipc_producer_create(&p2, md, NULL), TIPC_E_EXISTS);
    char pid[32];
    snprintf(pid, sizeof pid, "pid %d", (int)getpid());
    ck_assert_ptr_nonnull(strstr(tipc_last_error(), pid));
    ck_assert_ptr_null(p2);
    put_frames(p, 0, 3);
    ck_assert_int_eq(tipc_consumer_get(c, f, sizeof f, 1, 0, NULL), TIPC_OK);
    tipc_producer_destroy(p);
    ck_assert_int_eq(tipc_consumer_get(c, f, sizeof f, 1, 0, NULL), TIPC_E_NOT_CONNECTED);

    ck_assert_int_eq(tipc_producer_create(&p, md, NULL), TIPC_OK); /* a new incarnation */
    put_frames(p, 0, 1);
    ck_assert_int_eq(tipc_consumer_wait(c, 1000000000LL), TIPC_OK);
    tipc_frame_info info;
    ck_assert_int_eq(tipc_consumer_get(c, f, sizeof f, 1, 0, &info), TIPC_OK);
    fill(expect, 0);
    ck_assert_mem_eq(f, expect, sizeof f);
    ck_assert_uint_eq(info.index, 0);
    tipc_producer_destroy(p);
    tipc_consumer_destroy(c);
    ck_assert(!shm_exists(md));
    tipc_metadata_destroy(md);
}
END_TEST

START_TEST(test_bad_calls_change_nothing)
{
    tipc_metadata *md = make_md(unique("bad"), 2, 2, 3);
    tipc_producer *p = NULL;
    tipc_consumer *c = NULL;
    ck_assert_int_eq(tipc_producer_create(NULL, md, NULL), TIPC_E_INVALID);
    ck_assert_int_eq(tipc_producer_create(&p, NULL, NULL), TIPC_E_INVALID);
    tipc_producer_options o = TIPC_PRODUCER_OPTIONS_INIT;
    o.version = 99;
    ck_assert_int_eq(tipc_producer_create(&p, md, &o), TIPC_E_INVALID);
    ck_assert_int_eq(tipc_producer_options_init(&o, 99), TIPC_E_INVALID);
    ck_assert_int_eq(tipc_producer_options_init(NULL, 1), TIPC_E_INVALID);
    o = (tipc_producer_options)TIPC_PRODUCER_OPTIONS_INIT;
    o.mode = 04755;
    ck_assert_int_eq(tipc_producer_create(&p, md, &o), TIPC_E_INVALID);
    ck_assert(!shm_exists(md));
    tipc_consumer_options co;
    ck_assert_int_eq(tipc_consumer_options_init(&co, 4), TIPC_E_INVALID);
    /* Version 2 callers end before remote: those fields keep their canary,
     * and an options struct of version 2 creates a consumer (remote off). */
    struct {
        tipc_consumer_options head; /* only the version-2 prefix is written */
    } v2;
    memset(&v2, 0x5a, sizeof v2);
    ck_assert_int_eq(tipc_consumer_options_init(&v2.head, 2), TIPC_OK);
    ck_assert_int_eq(v2.head.remote, 0x5a5a5a5a);
    ck_assert_int_eq(v2.head.delivery, 0x5a5a5a5a);
    ck_assert_int_eq(tipc_consumer_options_init(&co, TIPC_CONSUMER_OPTIONS_VERSION), TIPC_OK);
    ck_assert_int_eq(co.remote, 0);
    ck_assert_int_eq(co.delivery, TIPC_DELIVERY_LATEST);
    co.delivery = 7;
    ck_assert_int_eq(tipc_consumer_create(&c, md, &co), TIPC_E_INVALID);
    ck_assert_ptr_nonnull(strstr(tipc_last_error(), "delivery"));
    co.delivery = TIPC_DELIVERY_LATEST;
    co.remote = 2;
    ck_assert_int_eq(tipc_consumer_create(&c, md, &co), TIPC_E_INVALID);
    /* Version 1 callers have the shorter struct: nothing past it is written. */
    struct {
        unsigned int version;
        int control_plane;
        tipc_context *context;
        uint64_t canary;
    } v1 = {0, 0, NULL, 0xfeedu};
    ck_assert_int_eq(tipc_consumer_options_init((tipc_consumer_options *)&v1, 1), TIPC_OK);
    ck_assert_uint_eq(v1.version, 1);
    ck_assert_int_eq(v1.control_plane, 1);
    ck_assert_uint_eq(v1.canary, 0xfeedu);
    o.put_timeout_ns = -5;
    o.mode = 0;
    ck_assert_int_eq(tipc_producer_create(&p, md, &o), TIPC_E_INVALID);
    ck_assert_ptr_nonnull(strstr(tipc_last_error(), "-5 ns is negative"));
    ck_assert(!shm_exists(md));
    ck_assert_int_eq(tipc_consumer_create(&c, NULL, NULL), TIPC_E_INVALID);

    ck_assert_int_eq(tipc_producer_create(&p, md, NULL), TIPC_OK);
    ck_assert_int_eq(tipc_consumer_create(&c, md, NULL), TIPC_OK);
    put_frames(p, 0, 1);
    int32_t f[12];
    fill(f, 5);
    ck_assert_int_eq(tipc_producer_put(p, f, 23, NULL), TIPC_E_INVALID);
    ck_assert_ptr_nonnull(strstr(tipc_last_error(), "put of 23 bytes, a frame is 24 bytes"));
    ck_assert_int_eq(tipc_producer_put(p, NULL, 24, NULL), TIPC_E_INVALID);
    ck_assert_int_eq(tipc_producer_put(NULL, f, 24, NULL), TIPC_E_INVALID);
    ck_assert_int_eq(tipc_producer_loan(p, NULL, NULL), TIPC_E_INVALID);
    ck_assert_uint_eq(tipc_producer_frames_written(p), 1);

    memset(f, 0x77, sizeof f);
    ck_assert_int_eq(tipc_consumer_get(c, f, 25, 1, 0, NULL), TIPC_E_INVALID);
    ck_assert_int_eq(tipc_consumer_get(c, f, 24, 0, 0, NULL), TIPC_E_INVALID);
    ck_assert_int_eq(tipc_consumer_get(c, f, 72, 3, 0, NULL), TIPC_E_INVALID);
    ck_assert_ptr_nonnull(strstr(tipc_last_error(), "3 frames from a history of 2"));
    ck_assert_int_eq(tipc_consumer_get(c, NULL, 24, 1, 0, NULL), TIPC_E_INVALID);
    ck_assert_int_eq(tipc_consumer_get(NULL, f, 24, 1, 0, NULL), TIPC_E_INVALID);
    ck_assert_int_eq(f[0], 0x77777777);
    tipc_view *v = (tipc_view *)0x1;
    ck_assert_int_eq(tipc_consumer_acquire(c, 0, 0, &v), TIPC_E_INVALID);
    ck_assert_ptr_null(v);
    ck_assert_int_eq(tipc_consumer_acquire(c, 1, 0, NULL), TIPC_E_INVALID);
    ck_assert_int_eq(tipc_consumer_wait(NULL, 0), TIPC_E_INVALID);
    ck_assert_int_eq(tipc_consumer_latest_index(c, NULL), TIPC_E_INVALID);
    ck_assert_int_eq(tipc_view_info(NULL, 0, NULL), TIPC_E_INVALID);
    ck_assert_uint_eq(tipc_view_count(NULL), 0);
    ck_assert_int_eq(tipc_consumer_is_connected(NULL), 0);
    ck_assert_ptr_null(tipc_producer_metadata(NULL));
    ck_assert_str_eq(tipc_metadata_name(NULL), "");
    tipc_producer_destroy(NULL);
    tipc_consumer_destroy(NULL);

    tipc_consumer_destroy(c);
    tipc_producer_destroy(p);
    tipc_metadata_destroy(md);
}
END_TEST

/* ------------------------------------------------------------ bad segments */

static void write_file(const char *path, const void *data, size_t size, mode_t mode)
{
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, mode);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, data, size), (ssize_t)size);
    close(fd);
}

/* Copy a live producer's segment, let @p corrupt change it, and reopen. */
static tipc_status open_corrupted(void (*corrupt)(struct tipc_seg_header *, size_t *))
{
    tipc_metadata *md = make_md(unique("corrupt"), 2, 2, 3);
    tipc_producer *p = NULL;
    ck_assert_int_eq(tipc_producer_create(&p, md, NULL), TIPC_OK);
    char path[128];
    snprintf(path, sizeof path, "/dev/shm%s", tipc_metadata_shm_name(md));
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    size_t size = (size_t)st.st_size;
    unsigned char *copy = malloc(size);
    int fd = open(path, O_RDONLY);
    ck_assert_int_eq(read(fd, copy, size), (ssize_t)size);
    close(fd);
    corrupt((struct tipc_seg_header *)copy, &size);
    unlink(path);
    write_file(path, copy, size, 0600); /* the producer is alive: only the bytes are bad */
    tipc_consumer *c = NULL;
    ck_assert_int_eq(tipc_consumer_create(&c, md, NULL), TIPC_OK);
    int32_t f[6];
    tipc_status st2 = tipc_consumer_get(c, f, sizeof f, 1, 0, NULL);
    tipc_consumer_destroy(c);
    /* Readers never change a segment they reject. */
    unsigned char *after = malloc(size);
    fd = open(path, O_RDONLY);
    ck_assert_int_eq(read(fd, after, size), (ssize_t)size);
    close(fd);
    ck_assert_mem_eq(after, copy, size);
    free(after);
    free(copy);
    tipc_producer_destroy(p);
    unlink(path);
    tipc_metadata_destroy(md);
    return st2;
}

static void bad_magic(struct tipc_seg_header *h, size_t *size) { (void)size; h->magic[0] = 'X'; }
static void bad_version(struct tipc_seg_header *h, size_t *size) { (void)size; h->layout_version = 7; }
static void truncated(struct tipc_seg_header *h, size_t *size) { (void)h; *size -= 64; }
static void tiny(struct tipc_seg_header *h, size_t *size) { (void)h; *size = 16; }
static void bad_layout(struct tipc_seg_header *h, size_t *size) { (void)size; h->frames_offset += 64; }
static void bad_meta(struct tipc_seg_header *h, size_t *size) { (void)size; h->meta.history_len = 0; }

START_TEST(test_corrupt_segments)
{
    ck_assert_int_eq(open_corrupted(bad_magic), TIPC_E_CORRUPT);
    ck_assert_ptr_nonnull(strstr(tipc_last_error(), "bad magic"));
    ck_assert_int_eq(open_corrupted(bad_version), TIPC_E_CORRUPT);
    ck_assert_ptr_nonnull(strstr(tipc_last_error(), "layout version 7"));
    ck_assert_int_eq(open_corrupted(truncated), TIPC_E_CORRUPT);
    ck_assert_ptr_nonnull(strstr(tipc_last_error(), "truncated"));
    ck_assert_int_eq(open_corrupted(tiny), TIPC_E_CORRUPT);
    ck_assert_ptr_nonnull(strstr(tipc_last_error(), "truncated: 16 bytes"));
    ck_assert_int_eq(open_corrupted(bad_layout), TIPC_E_CORRUPT);
    ck_assert_ptr_nonnull(strstr(tipc_last_error(), "inconsistent"));
    ck_assert_int_eq(open_corrupted(bad_meta), TIPC_E_CORRUPT);
    ck_assert_ptr_nonnull(strstr(tipc_last_error(), "metadata is invalid"));
}
END_TEST

START_TEST(test_producer_refuses_foreign_file)
{
    tipc_metadata *md = make_md(unique("foreign"), 2, 2, 3);
    char path[128];
    snprintf(path, sizeof path, "/dev/shm%s", tipc_metadata_shm_name(md));
    write_file(path, "hello, not a pool", 17, 0600);
    tipc_producer *p = NULL;
    ck_assert_int_eq(tipc_producer_create(&p, md, NULL), TIPC_E_CORRUPT);
    ck_assert_ptr_nonnull(strstr(tipc_last_error(), "not a tensor-ipc segment"));
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0); /* left alone */
    ck_assert_int_eq(st.st_size, 17);
    unlink(path);
    tipc_metadata_destroy(md);
}
END_TEST

START_TEST(test_mismatch_changes_nothing)
{
    tipc_metadata *md = make_md(unique("mm"), 2, 2, 3);
    tipc_metadata *other = NULL;
    int64_t shape[2] = {2, 4};
    ck_assert_int_eq(tipc_metadata_create(&other, tipc_metadata_name(md), TIPC_DTYPE_FLOAT32, 2,
                                          shape, TIPC_BACKEND_NUMPY, 3, NULL), TIPC_OK);
    tipc_producer *p = NULL;
    tipc_consumer *c = NULL;
    ck_assert_int_eq(tipc_producer_create(&p, md, NULL), TIPC_OK);
    ck_assert_int_eq(tipc_consumer_create(&c, other, NULL), TIPC_OK);
    float f[8];
    ck_assert_int_eq(tipc_consumer_get(c, f, sizeof f, 1, 0, NULL), TIPC_E_MISMATCH);
    const char *e = tipc_last_error();
    ck_assert_ptr_nonnull(strstr(e, "dtype float32 vs int32"));
    ck_assert_ptr_nonnull(strstr(e, "shape (2,4) vs (2,3)"));
    ck_assert_ptr_nonnull(strstr(e, "history_len 3 vs 2"));
    ck_assert_int_eq(tipc_consumer_connect(c), TIPC_E_MISMATCH);
    /* No reader entry was claimed. */
    char path[128];
    snprintf(path, sizeof path, "/dev/shm%s", tipc_metadata_shm_name(md));
    int fd = open(path, O_RDONLY);
    struct stat st;
    fstat(fd, &st);
    void *base = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    const struct tipc_seg_header *h = base;
    void *ring = (char *)base + h->ring_offset;
    for (int i = 0; i < TIPC_RING_MAX_READERS; i++)
        ck_assert_uint_eq(atomic_load(tipc__test_ring_owner(ring, 2, i)), 0);
    munmap(base, (size_t)st.st_size);
    tipc_consumer_destroy(c);
    tipc_producer_destroy(p);
    tipc_metadata_destroy(other);
    tipc_metadata_destroy(md);
}
END_TEST

START_TEST(test_segment_of_another_user)
{
    ck_assert_msg(geteuid() == 0, "this test chowns a segment and must run as root");
    tipc_metadata *md = make_md(unique("uid"), 2, 2, 3);
    tipc_producer *p = NULL;
    ck_assert_int_eq(tipc_producer_create(&p, md, NULL), TIPC_OK);
    char path[128];
    snprintf(path, sizeof path, "/dev/shm%s", tipc_metadata_shm_name(md));
    ck_assert_int_eq(chown(path, 65534, 65534), 0);
    tipc_consumer *c = NULL;
    ck_assert_int_eq(tipc_consumer_create(&c, md, NULL), TIPC_OK);
    ck_assert_int_eq(tipc_consumer_connect(c), TIPC_E_PERMISSION);
    ck_assert_ptr_nonnull(strstr(tipc_last_error(), "belongs to uid 65534"));
    tipc_producer *p2 = NULL;
    ck_assert_int_eq(tipc_producer_create(&p2, md, NULL), TIPC_E_PERMISSION);
    /* Mode 0666 alone does not make another user's file trusted: anyone can
     * create a file under a pool's name first (squatting). */
    ck_assert_int_eq(chmod(path, 0666), 0);
    ck_assert_int_eq(tipc_consumer_connect(c), TIPC_E_PERMISSION);
    ck_assert_ptr_nonnull(strstr(tipc_last_error(), "belongs to uid 65534"));
    /* Shared on purpose: the consumer names the owner it trusts. */
    tipc_consumer_options co = TIPC_CONSUMER_OPTIONS_INIT;
    co.trusted_owner_uid = 65534;
    tipc_consumer *shared = NULL;
    ck_assert_int_eq(tipc_consumer_create(&shared, md, &co), TIPC_OK);
    ck_assert_int_eq(tipc_consumer_connect(shared), TIPC_OK);
    tipc_consumer_destroy(shared);
    tipc_consumer_destroy(c);
    tipc_producer_destroy(p);
    ck_assert(!shm_exists(md));
    tipc_metadata_destroy(md);
}
END_TEST

START_TEST(test_shm_too_small)
{
    struct statvfs vfs;
    ck_assert_int_eq(statvfs("/dev/shm", &vfs), 0);
    uint64_t avail = (uint64_t)vfs.f_bavail * vfs.f_frsize;
    int64_t shape[1] = {(int64_t)(avail / 4 + 1)};
    tipc_metadata *md = NULL;
    ck_assert_int_eq(tipc_metadata_create(&md, unique("nospace"), TIPC_DTYPE_UINT8, 1, shape,
                                          TIPC_BACKEND_NUMPY, 8, NULL), TIPC_OK);
    tipc_producer *p = NULL;
    ck_assert_int_eq(tipc_producer_create(&p, md, NULL), TIPC_E_NO_SPACE);
    ck_assert_ptr_nonnull(strstr(tipc_last_error(), "needs"));
    ck_assert_ptr_nonnull(strstr(tipc_last_error(), "free"));
    ck_assert_ptr_null(p);
    ck_assert(!shm_exists(md));
    tipc_metadata_destroy(md);
}
END_TEST

START_TEST(test_permissions_default_owner_only)
{
    tipc_metadata *md = make_md(unique("mode"), 2, 2, 3);
    tipc_producer *p = NULL;
    ck_assert_int_eq(tipc_producer_create(&p, md, NULL), TIPC_OK);
    char path[128];
    snprintf(path, sizeof path, "/dev/shm%s", tipc_metadata_shm_name(md));
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0600);
    tipc_producer_destroy(p);
    tipc_producer_options o = TIPC_PRODUCER_OPTIONS_INIT;
    o.mode = 0644;
    ck_assert_int_eq(tipc_producer_create(&p, md, &o), TIPC_OK);
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0644);
    tipc_producer_destroy(p);
    tipc_metadata_destroy(md);
}
END_TEST

/* ------------------------------------------------------ control plane */

struct cb_state {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    uint64_t last;
    int calls;
};

static void on_frame(tipc_consumer *c, uint64_t index, void *user)
{
    struct cb_state *s = user;
    int32_t f[6];
    /* A callback may read the frame it was told about. */
    tipc_status st = tipc_consumer_get(c, f, sizeof f, 1, 0, NULL);
    pthread_mutex_lock(&s->lock);
    if (st == TIPC_OK && (uint64_t)f[0] / 10 >= index) {
        s->last = index;
        s->calls++;
    }
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
}

START_TEST(test_callback_per_frame)
{
    tipc_metadata *md = make_md(unique("cb"), 4, 2, 3);
    tipc_consumer *c = NULL;
    tipc_producer *p = NULL;
    struct cb_state s = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0};
    ck_assert_int_eq(tipc_consumer_create(&c, md, NULL), TIPC_OK);
    ck_assert_int_eq(tipc_consumer_set_callback(NULL, on_frame, &s), TIPC_E_INVALID);
    ck_assert_int_eq(tipc_consumer_set_callback(c, on_frame, &s), TIPC_OK); /* before the producer */
    ck_assert_int_eq(tipc_producer_create(&p, md, NULL), TIPC_OK);
    for (int k = 0; k < 5; k++) {
        put_frames(p, k, k + 1);
        struct timespec deadline;
        clock_gettime(CLOCK_REALTIME, &deadline);
        deadline.tv_sec += 10;
        pthread_mutex_lock(&s.lock);
        while (s.calls < k + 1 && pthread_cond_timedwait(&s.cond, &s.lock, &deadline) == 0)
            ;
        ck_assert_int_eq(s.calls, k + 1);
        ck_assert_uint_eq(s.last, (uint64_t)k);
        pthread_mutex_unlock(&s.lock);
    }
    ck_assert_int_eq(tipc_consumer_set_callback(c, NULL, NULL), TIPC_OK);
    put_frames(p, 5, 6);
    ck_assert_int_eq(tipc_consumer_wait(c, 1000000000LL), TIPC_OK);
    pthread_mutex_lock(&s.lock);
    ck_assert_int_eq(s.calls, 5); /* stopped: no call for frame 5 */
    pthread_mutex_unlock(&s.lock);
    tipc_consumer_destroy(c);
    tipc_producer_destroy(p);
    tipc_metadata_destroy(md);
}
END_TEST

/* Every frame of a burst reaches the callback, once, in order, readable by
 * its index; when the callback falls behind by more than the history, the
 * overwritten frames are skipped and the gap shows how many. */
struct burst_state {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    sem_t go;            /* the first call waits on it */
    uint64_t seen[64];
    int values_ok[64];
    int calls;
    int entered;         /* the first call has begun */
};

static void on_burst(tipc_consumer *c, uint64_t index, void *user)
{
    struct burst_state *s = user;
    if (s->calls == 0) {
        pthread_mutex_lock(&s->lock);
        s->entered = 1;
        pthread_cond_broadcast(&s->cond);
        pthread_mutex_unlock(&s->lock);
        sem_wait(&s->go);
    }
    int32_t f[6];
    tipc_frame_info info;
    tipc_status st = tipc_consumer_get_frame(c, index, f, sizeof f, &info);
    pthread_mutex_lock(&s->lock);
    if (s->calls < 64) {
        s->seen[s->calls] = index;
        s->values_ok[s->calls] = st == TIPC_OK ? (f[0] == (int32_t)index * 10 && info.index == index)
                                               : (st == TIPC_E_NO_DATA ? -1 : 0);
    }
    s->calls++;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
}

static void wait_calls(struct burst_state *s, int n)
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 10;
    pthread_mutex_lock(&s->lock);
    while (s->calls < n && pthread_cond_timedwait(&s->cond, &s->lock, &deadline) == 0)
        ;
    pthread_mutex_unlock(&s->lock);
}

START_TEST(test_callback_every_frame_of_a_burst)
{
    /* A history longer than the burst: all 20 back-to-back frames arrive. */
    tipc_metadata *md = make_md(unique("burst"), 32, 2, 3);
    tipc_producer *p = NULL;
    tipc_consumer *c = NULL;
    static struct burst_state s;
    pthread_mutex_init(&s.lock, NULL);
    pthread_cond_init(&s.cond, NULL);
    sem_init(&s.go, 0, 0);
    ck_assert_int_eq(tipc_producer_create(&p, md, NULL), TIPC_OK);
    ck_assert_int_eq(tipc_consumer_create(&c, md, NULL), TIPC_OK);
    ck_assert_int_eq(tipc_consumer_set_callback(c, on_burst, &s), TIPC_OK);
    put_frames(p, 0, 20); /* while the first call waits */
    sem_post(&s.go);
    wait_calls(&s, 20);
    ck_assert_int_eq(s.calls, 20);
    for (int i = 0; i < 20; i++) {
        ck_assert_uint_eq(s.seen[i], (uint64_t)i);
        ck_assert_int_eq(s.values_ok[i], 1);
    }
    tipc_consumer_destroy(c);
    tipc_producer_destroy(p);
    tipc_metadata_destroy(md);

    /* A history of 4 and a callback stuck in its first call while 12 frames
     * go by: it sees frame 0 (already overwritten), then only frames still
     * in the ring, in order. */
    md = make_md(unique("burst4"), 4, 2, 3);
    static struct burst_state t;
    pthread_mutex_init(&t.lock, NULL);
    pthread_cond_init(&t.cond, NULL);
    sem_init(&t.go, 0, 0);
    ck_assert_int_eq(tipc_producer_create(&p, md, NULL), TIPC_OK);
    ck_assert_int_eq(tipc_consumer_create(&c, md, NULL), TIPC_OK);
    ck_assert_int_eq(tipc_consumer_set_callback(c, on_burst, &t), TIPC_OK);
    put_frames(p, 0, 1);
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 10;
    pthread_mutex_lock(&t.lock); /* until the thread is inside its first call */
    while (!t.entered && pthread_cond_timedwait(&t.cond, &t.lock, &deadline) == 0)
        ;
    ck_assert_int_eq(t.entered, 1);
    pthread_mutex_unlock(&t.lock);
    put_frames(p, 1, 12);
    sem_post(&t.go);
    wait_calls(&t, 1);
    uint64_t last = 0;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 10;
    pthread_mutex_lock(&t.lock); /* until frame 11 has been delivered */
    while ((last = t.seen[t.calls - 1]) != 11 &&
           pthread_cond_timedwait(&t.cond, &t.lock, &deadline) == 0)
        ;
    pthread_mutex_unlock(&t.lock);
    ck_assert_uint_eq(last, 11);
    pthread_mutex_lock(&t.lock);
    ck_assert_uint_eq(t.seen[0], 0);
    ck_assert_int_eq(t.values_ok[0], -1); /* overwritten: NO_DATA, not stale bytes */
    ck_assert_int_le(t.calls, 1 + 4);
    for (int i = 1; i < t.calls; i++) {
        ck_assert_uint_gt(t.seen[i], t.seen[i - 1]);
        ck_assert_uint_ge(t.seen[i], 12 - 4);
    }
    pthread_mutex_unlock(&t.lock);
    tipc_consumer_destroy(c);
    tipc_producer_destroy(p);
    tipc_metadata_destroy(md);
}
END_TEST

/* Reading one frame by index: in the ring, overwritten, not yet written;
 * a frame held that way stops the producer like any held frame. */
START_TEST(test_get_and_acquire_frame_by_index)
{
    tipc_metadata *md = make_md(unique("byindex"), 3, 2, 3);
    tipc_producer_options o = TIPC_PRODUCER_OPTIONS_INIT;
    o.put_timeout_ns = 50 * 1000000LL;
    tipc_producer *p = NULL;
    tipc_consumer *c = NULL;
    ck_assert_int_eq(tipc_producer_create(&p, md, &o), TIPC_OK);
    ck_assert_int_eq(tipc_consumer_create(&c, md, NULL), TIPC_OK);
    put_frames(p, 0, 5);
    int32_t f[6];
    tipc_frame_info info;
    ck_assert_int_eq(tipc_consumer_get_frame(c, 3, f, sizeof f, &info), TIPC_OK);
    ck_assert_int_eq(f[0], 30);
    ck_assert_uint_eq(info.index, 3);
    ck_assert_int_eq(tipc_consumer_get_frame(c, 1, f, sizeof f, NULL), TIPC_E_NO_DATA);
    ck_assert_ptr_nonnull(strstr(tipc_last_error(), "frame 1 was overwritten"));
    ck_assert_int_eq(tipc_consumer_get_frame(c, 5, f, sizeof f, NULL), TIPC_E_NO_DATA);
    ck_assert_ptr_nonnull(strstr(tipc_last_error(), "not written yet"));
    ck_assert_int_eq(tipc_consumer_get_frame(c, 3, f, sizeof f - 1, NULL), TIPC_E_INVALID);
    tipc_view *v = NULL;
    ck_assert_int_eq(tipc_consumer_acquire_frame(c, 2, &v), TIPC_OK);
    ck_assert_int_eq(((const int32_t *)tipc_view_data(v, 0))[0], 20);
    fill(f, 5);
    /* Frame 5 goes into frame 2's slot, which the view holds. */
    ck_assert_int_eq(tipc_producer_put(p, f, sizeof f, NULL), TIPC_E_TIMEOUT);
    tipc_view_release(v);
    ck_assert_int_eq(tipc_producer_put(p, f, sizeof f, NULL), TIPC_OK);
    /* Reads by index do not count as returned: wait() still sees news. */
    ck_assert_int_eq(tipc_consumer_wait(c, 0), TIPC_OK);
    tipc_consumer_destroy(c);
    tipc_producer_destroy(p);
    tipc_metadata_destroy(md);
}
END_TEST

START_TEST(test_discover_pools)
{
    tipc_metadata *md = make_md(unique("disc"), 3, 2, 3);
    tipc_producer *p = NULL;
    ck_assert_int_eq(tipc_producer_create(&p, md, NULL), TIPC_OK);
    tipc_metadata **list = NULL;
    size_t n = 0, found = 0;
    for (int tries = 0; tries < 50 && !found; tries++) {
        ck_assert_int_eq(tipc_discover_pools(NULL, 100 * 1000000LL, &list, &n), TIPC_OK);
        for (size_t i = 0; i < n; i++)
            if (strcmp(tipc_metadata_name(list[i]), tipc_metadata_name(md)) == 0) {
                found = 1;
                ck_assert_int_eq(tipc_metadata_compare(md, list[i]), TIPC_OK);
                ck_assert_int_eq(tipc_metadata_creator_pid(list[i]), getpid());
            }
        tipc_pool_list_free(list, n);
    }
    ck_assert_msg(found, "the producer's announcement was not discovered");
    tipc_producer_destroy(p);
    /* Disposed: the pool disappears from the directory. */
    for (int tries = 0; tries < 50 && found; tries++) {
        found = 0;
        ck_assert_int_eq(tipc_discover_pools(NULL, 100 * 1000000LL, &list, &n), TIPC_OK);
        for (size_t i = 0; i < n; i++)
            found |= strcmp(tipc_metadata_name(list[i]), tipc_metadata_name(md)) == 0;
        tipc_pool_list_free(list, n);
    }
    ck_assert_msg(!found, "the pool is still listed after its producer closed");
    tipc_context_options o;
    tipc_context *ctx = NULL;
    ck_assert_int_eq(tipc_context_options_init(&o, TIPC_CONTEXT_OPTIONS_VERSION), TIPC_OK);
    o.domain_id = 500;
    ck_assert_int_eq(tipc_context_create(&ctx, &o), TIPC_E_INVALID);
    ck_assert_ptr_null(ctx);
    o.domain_id = 7;
    ck_assert_int_eq(tipc_context_create(&ctx, &o), TIPC_OK);
    ck_assert_int_eq(tipc_context_domain_id(ctx), 7);
    tipc_context_destroy(ctx);
    tipc_context_destroy(NULL);
    tipc_metadata_destroy(md);
}
END_TEST

/* ------------------------------------------------------- remote frames */

/* A serialised tensor_ipc::Frame built byte by byte: @p kind is the second
 * encapsulation byte (0 CDR_BE, 1 CDR_LE, 6 CDR2_BE, 7 CDR2_LE). */
static size_t frame_cdr(uint8_t *b, uint8_t kind, const char *pool, uint32_t data_len,
                        uint32_t claimed_len)
{
    const int be = !(kind & 1);
    const size_t maxalign = kind >= 6 ? 4 : 8;
    size_t n = 4;
    memset(b, 0xEE, 4096);
    b[0] = 0, b[1] = kind, b[2] = 0, b[3] = 0;
#define PUT(v, w)                                                                   \
    do {                                                                            \
        size_t a_ = (w) < maxalign ? (w) : maxalign;                                \
        while ((n - 4) % a_)                                                        \
            b[n++] = 0;                                                             \
        for (int k_ = 0; k_ < (w); k_++)                                            \
            b[n + k_] = (uint8_t)((uint64_t)(v) >> (8 * (be ? (w) - 1 - k_ : k_))); \
        n += (w);                                                                   \
    } while (0)
    PUT(strlen(pool) + 1, 4);
    memcpy(b + n, pool, strlen(pool) + 1);
    n += strlen(pool) + 1;
    PUT(UINT64_C(0x1122334455667788), 8); /* incarnation */
    PUT(42, 8);                           /* frame_index */
    PUT(-5, 8);                           /* timestamp_ns */
    PUT(claimed_len, 4);
#undef PUT
    for (uint32_t i = 0; i < data_len; i++)
        b[n++] = (uint8_t)(i * 7 + 1);
    return n;
}

START_TEST(test_remote_frame_parse)
{
    static uint8_t b[4096];
    struct tipc__remote_frame f;
    const uint8_t kinds[] = {0, 1, 6, 7};
    for (size_t k = 0; k < sizeof kinds; k++) {
        /* "abcd": the payload fields start at body offset 16 (XCDR1) or 12 (XCDR2). */
        size_t n = frame_cdr(b, kinds[k], "abcd", 100, 100);
        memset(&f, 0, sizeof f);
        ck_assert_int_eq(tipc__remote_frame_parse(&f, b, n), TIPC_OK);
        ck_assert_str_eq(f.pool, "abcd");
        ck_assert_uint_eq(f.incarnation, UINT64_C(0x1122334455667788));
        ck_assert_uint_eq(f.frame_index, 42);
        ck_assert_int_eq(f.timestamp_ns, -5);
        ck_assert_uint_eq(f.data_len, 100);
        ck_assert_ptr_eq(f.data, b + n - 100);
        ck_assert_uint_eq(f.data[99], (uint8_t)(99 * 7 + 1));
        for (size_t cut = 0; cut < n; cut++) /* every truncation fails */
            ck_assert_int_eq(tipc__remote_frame_parse(&f, b, cut), TIPC_E_CORRUPT);
        /* a payload claiming more bytes than there are */
        n = frame_cdr(b, kinds[k], "abcd", 100, 101);
        ck_assert_int_eq(tipc__remote_frame_parse(&f, b, n), TIPC_E_CORRUPT);
        n = frame_cdr(b, kinds[k], "abcd", 0, UINT32_MAX);
        ck_assert_int_eq(tipc__remote_frame_parse(&f, b, n), TIPC_E_CORRUPT);
    }
    size_t n = frame_cdr(b, 1, "abcd", 8, 8);
    b[8 + 4] = 'x'; /* the pool name's terminator overwritten */
    ck_assert_int_eq(tipc__remote_frame_parse(&f, b, n), TIPC_E_CORRUPT);
    char longname[80];
    memset(longname, 'p', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0'; /* 79 characters: above string<63> */
    n = frame_cdr(b, 1, longname, 8, 8);
    ck_assert_int_eq(tipc__remote_frame_parse(&f, b, n), TIPC_E_CORRUPT);
    n = frame_cdr(b, 1, "abcd", 8, 8);
    b[1] = 2; /* PL_CDR_BE: not a plain CDR stream */
    ck_assert_int_eq(tipc__remote_frame_parse(&f, b, n), TIPC_E_CORRUPT);
}
END_TEST

/* ------------------------------------------------------------------ CUDA */

START_TEST(test_cuda_payload_validation)
{
    struct tipc_cuda_payload p = {.version = 1, .device = 1, .stride = 256, .bytes = 4 * 256};
    memcpy(p.magic, "TIPCCUDA", 8);
    ck_assert_int_eq(tipc__cuda_payload_check("g", &p, sizeof p, 1, 200, 4), TIPC_OK);
    ck_assert_int_eq(tipc__cuda_payload_check("g", &p, sizeof p - 1, 1, 200, 4), TIPC_E_CORRUPT);
    ck_assert_ptr_nonnull(strstr(tipc_last_error(), "payload of 95 bytes, expected 96"));
    ck_assert_int_eq(tipc__cuda_payload_check("g", NULL, 0, 1, 200, 4), TIPC_E_CORRUPT);
    ck_assert_int_eq(tipc__cuda_payload_check("g", &p, sizeof p, 0, 200, 4), TIPC_E_CORRUPT);
    ck_assert_ptr_nonnull(strstr(tipc_last_error(), "device 1, the pool cuda:0"));
    ck_assert_int_eq(tipc__cuda_payload_check("g", &p, sizeof p, 1, 300, 4), TIPC_E_CORRUPT);
    ck_assert_int_eq(tipc__cuda_payload_check("g", &p, sizeof p, 1, 200, 5), TIPC_E_CORRUPT);
    struct tipc_cuda_payload bad = p;
    bad.stride = 250; /* not aligned */
    bad.bytes = 1000;
    ck_assert_int_eq(tipc__cuda_payload_check("g", &bad, sizeof bad, 1, 200, 4), TIPC_E_CORRUPT);
    bad = p;
    bad.stride = UINT64_MAX - 255; /* overflows bytes = stride * history */
    ck_assert_int_eq(tipc__cuda_payload_check("g", &bad, sizeof bad, 1, 200, 4), TIPC_E_CORRUPT);
    bad = p;
    bad.magic[0] = 'X';
    ck_assert_int_eq(tipc__cuda_payload_check("g", &bad, sizeof bad, 1, 200, 4), TIPC_E_CORRUPT);
    bad = p;
    bad.version = 2;
    ck_assert_int_eq(tipc__cuda_payload_check("g", &bad, sizeof bad, 1, 200, 4), TIPC_E_CORRUPT);
    ck_assert_int_eq(tipc__cuda_ordinal("cuda:3"), 3);
    ck_assert_int_eq(tipc__cuda_ordinal("cuda:x"), -1);
    ck_assert_int_eq(tipc__cuda_ordinal("cpu"), -1);
}
END_TEST

/* A GPU pool that cannot be had fails clearly and creates nothing: on a machine
 * without CUDA (as CI is) any device; with CUDA, a device that is not there. */
START_TEST(test_cuda_unavailable_is_clear)
{
    const char *device = tipc__cuda_available("probe", 0) == TIPC_OK ? "cuda:63" : "cuda:0";
    int64_t shape[1] = {4};
    tipc_metadata *gpu = NULL;
    tipc_producer *p = NULL;
    tipc_consumer *c = NULL;
    ck_assert_int_eq(tipc_metadata_create(&gpu, unique("gpu"), TIPC_DTYPE_FLOAT32, 1, shape,
                                          TIPC_BACKEND_TORCH_CUDA, 2, device), TIPC_OK);
    ck_assert_int_eq(tipc_producer_create(&p, gpu, NULL), TIPC_E_UNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(tipc_last_error(), "CUDA not available: "));
    ck_assert_ptr_nonnull(strstr(tipc_last_error(), tipc_metadata_name(gpu)));
    ck_assert_ptr_null(p);
    ck_assert(!shm_exists(gpu));
    ck_assert_int_eq(tipc_consumer_create(&c, gpu, NULL), TIPC_E_UNSUPPORTED);
    ck_assert_ptr_null(c);
    /* No temporary file of the failed creation either. */
    char tmp[160];
    snprintf(tmp, sizeof tmp, "/dev/shm%s~%d.tmp", tipc_metadata_shm_name(gpu), (int)getpid());
    ck_assert_int_ne(access(tmp, F_OK), 0);
    tipc_metadata_destroy(gpu);
}
END_TEST

/* ------------------------------------------------- review regressions */

/* A holder that died is reclaimed even when the put timeout is shorter than
 * the writer's liveness-check period. */
START_TEST(test_short_timeout_still_reclaims_dead_holder)
{
    tipc_metadata *md = make_md(unique("shorttmo"), 2, 2, 3);
    tipc_producer_options o = TIPC_PRODUCER_OPTIONS_INIT;
    o.put_timeout_ns = 2 * 1000000LL;
    tipc_producer *p = NULL;
    ck_assert_int_eq(tipc_producer_create(&p, md, &o), TIPC_OK);
    put_frames(p, 0, 2);
    pid_t child = fork();
    if (child == 0)
        _exit(0);
    ck_assert_int_gt(child, 0);
    int wst;
    ck_assert_int_eq(waitpid(child, &wst, 0), child); /* now certainly dead */
    /* Forge a reader entry of the dead child holding slot 0 (frame 0). */
    char path[128];
    snprintf(path, sizeof path, "/dev/shm%s", tipc_metadata_shm_name(md));
    int fd = open(path, O_RDWR);
    struct stat st;
    fstat(fd, &st);
    void *base = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    struct tipc_seg_header *h = base;
    void *ring = (char *)base + h->ring_offset;
    atomic_store(tipc__test_ring_owner(ring, 2, 5), tipc__proc_identity(child, 12345));
    atomic_fetch_or(tipc__test_ring_holders(ring, 2, 0), UINT64_C(1) << 5);
    int32_t f[6];
    fill(f, 2);
    ck_assert_int_eq(tipc_producer_put(p, f, sizeof f, NULL), TIPC_OK); /* slot 0 */
    ck_assert_uint_eq(atomic_load(tipc__test_ring_holders(ring, 2, 0)), 0);
    ck_assert_uint_eq(atomic_load(tipc__test_ring_owner(ring, 2, 5)), 0);
    munmap(base, (size_t)st.st_size);
    tipc_producer_destroy(p);
    tipc_metadata_destroy(md);
}
END_TEST

struct race {
    const tipc_metadata *md;
    int ok, exists, other;
};

static void *create_destroy(void *arg)
{
    struct race *r = arg;
    for (int i = 0; i < 20; i++) {
        tipc_producer *p = NULL;
        tipc_status st = tipc_producer_create(&p, r->md, NULL);
        if (st == TIPC_OK)
            r->ok++;
        else if (st == TIPC_E_EXISTS)
            r->exists++;
        else
            r->other++;
        tipc_producer_destroy(p);
    }
    return NULL;
}

/* Two threads of one process creating the same pool: one wins each time, the
 * other is told the name is taken; nothing else, nothing left behind. */
START_TEST(test_threads_race_to_create)
{
    tipc_metadata *md = make_md(unique("race"), 2, 2, 3);
    struct race a = {md, 0, 0, 0}, b = {md, 0, 0, 0};
    pthread_t ta, tb;
    pthread_create(&ta, NULL, create_destroy, &a);
    pthread_create(&tb, NULL, create_destroy, &b);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    ck_assert_int_eq(a.other + b.other, 0);
    ck_assert_int_eq(a.ok + a.exists + b.ok + b.exists, 40);
    ck_assert_int_gt(a.ok + b.ok, 0);
    ck_assert(!shm_exists(md));
    char prefix[128];
    snprintf(prefix, sizeof prefix, "%s~", tipc_metadata_shm_name(md) + 1);
    DIR *d = opendir("/dev/shm");
    struct dirent *e;
    while ((e = readdir(d)))
        ck_assert_msg(strncmp(e->d_name, prefix, strlen(prefix)) != 0, "left: %s", e->d_name);
    closedir(d);
    tipc_metadata_destroy(md);
}
END_TEST

START_TEST(test_no_mark_reads_and_domain_env)
{
    tipc_metadata *md = make_md(unique("nomark"), 2, 2, 3);
    tipc_producer *p = NULL;
    tipc_consumer *c = NULL;
    ck_assert_int_eq(tipc_producer_create(&p, md, NULL), TIPC_OK);
    ck_assert_int_eq(tipc_consumer_create(&c, md, NULL), TIPC_OK);
    put_frames(p, 0, 1);
    int32_t f[6];
    ck_assert_int_eq(tipc_consumer_get(c, f, sizeof f, 1, TIPC_READ_NO_MARK, NULL), TIPC_OK);
    ck_assert_int_eq(tipc_consumer_wait(c, 0), TIPC_OK); /* still new for the application */
    ck_assert_int_eq(tipc_consumer_get(c, f, sizeof f, 1, 0, NULL), TIPC_OK);
    ck_assert_int_eq(tipc_consumer_wait(c, 0), TIPC_E_TIMEOUT);
    tipc_consumer_destroy(c);
    tipc_producer_destroy(p);
    tipc_metadata_destroy(md);

    setenv("TIPC_DOMAIN_ID", "300", 1);
    tipc_context *ctx = NULL;
    ck_assert_int_eq(tipc_context_create(&ctx, NULL), TIPC_E_INVALID);
    ck_assert_ptr_nonnull(strstr(tipc_last_error(), "TIPC_DOMAIN_ID='300'"));
    unsetenv("TIPC_DOMAIN_ID");
}
END_TEST

/* Attach by name without DDS: the consumer takes everything from the
 * segment; arguments are checked first; readers lists this process. */
START_TEST(test_consumer_open_by_name)
{
    tipc_consumer *c = (tipc_consumer *)0x1;
    tipc_consumer_options o;
    ck_assert_int_eq(tipc_consumer_options_init(&o, TIPC_CONSUMER_OPTIONS_VERSION), TIPC_OK);
    o.control_plane = 0;
    ck_assert_int_eq(tipc_consumer_open(NULL, "x", 0, &o), TIPC_E_INVALID);
    ck_assert_int_eq(tipc_consumer_open(&c, NULL, 0, &o), TIPC_E_INVALID);
    ck_assert_ptr_null(c);
    ck_assert_int_eq(tipc_consumer_open(&c, "bad//name", 0, &o), TIPC_E_INVALID);
    ck_assert_int_eq(tipc_consumer_open(&c, "x", -2, &o), TIPC_E_INVALID);
    ck_assert_ptr_nonnull(strstr(tipc_last_error(), "negative"));
    tipc_consumer_options bad = o;
    bad.version = 99;
    ck_assert_int_eq(tipc_consumer_open(&c, "x", 0, &bad), TIPC_E_INVALID);
    bad = o;
    bad.trusted_owner_uid = -7;
    ck_assert_int_eq(tipc_consumer_open(&c, "x", 0, &bad), TIPC_E_INVALID);

    int64_t shape[3] = {2, 3, 5};
    tipc_metadata *md = NULL;
    ck_assert_int_eq(tipc_metadata_create(&md, unique("byname"), TIPC_DTYPE_FLOAT64, 3, shape,
                                          TIPC_BACKEND_TORCH, 7, NULL), TIPC_OK);
    /* Nobody produces it yet: the wait is honoured, and the sentence names the pool. */
    int64_t t0 = tipc_now_ns();
    ck_assert_int_eq(tipc_consumer_open(&c, tipc_metadata_name(md), 50000000LL, &o),
                     TIPC_E_NOT_CONNECTED);
    ck_assert_int_ge(tipc_now_ns() - t0, 50000000LL);
    char want[128];
    snprintf(want, sizeof want, "no producer of '%s'", tipc_metadata_name(md));
    ck_assert_ptr_nonnull(strstr(tipc_last_error(), want));

    tipc_producer_options po;
    ck_assert_int_eq(tipc_producer_options_init(&po, TIPC_PRODUCER_OPTIONS_VERSION), TIPC_OK);
    po.control_plane = 0;
    tipc_producer *p = NULL;
    ck_assert_int_eq(tipc_producer_create(&p, md, &po), TIPC_OK);
    ck_assert_int_eq(tipc_consumer_open(&c, tipc_metadata_name(md), 0, &o), TIPC_OK);
    ck_assert_int_eq(tipc_metadata_compare(md, tipc_consumer_metadata(c)), TIPC_OK);
    ck_assert_int_eq(tipc_metadata_backend(tipc_consumer_metadata(c)), TIPC_BACKEND_TORCH);
    ck_assert_int_eq(tipc_metadata_history_len(tipc_consumer_metadata(c)), 7);
    ck_assert_int_eq(tipc_metadata_creator_pid(tipc_consumer_metadata(c)), getpid());

    int64_t pids[4] = {0};
    size_t n = 99;
    ck_assert_int_eq(tipc_consumer_readers(NULL, pids, 4, &n), TIPC_E_INVALID);
    ck_assert_int_eq(tipc_consumer_readers(c, NULL, 4, &n), TIPC_E_INVALID);
    ck_assert_int_eq(tipc_consumer_readers(c, pids, 4, &n), TIPC_OK); /* connects */
    ck_assert_uint_eq(n, 1);
    ck_assert_int_eq(pids[0], getpid());
    tipc_consumer *c2 = NULL;
    ck_assert_int_eq(tipc_consumer_create(&c2, md, &o), TIPC_OK);
    ck_assert_int_eq(tipc_consumer_connect(c2), TIPC_OK);
    ck_assert_int_eq(tipc_consumer_readers(c, NULL, 0, &n), TIPC_OK); /* count only */
    ck_assert_uint_eq(n, 2);
    tipc_consumer_destroy(c2);
    ck_assert_int_eq(tipc_consumer_readers(c, pids, 4, &n), TIPC_OK);
    ck_assert_uint_eq(n, 1);

    /* A close name: the local segment is suggested, a far one is not. */
    char typo[96];
    snprintf(typo, sizeof typo, "%sx", tipc_metadata_name(md));
    tipc_consumer *none = NULL;
    ck_assert_int_eq(tipc_consumer_open(&none, typo, 0, &o), TIPC_E_NOT_CONNECTED);
    snprintf(want, sizeof want, "; did you mean '%s'?", tipc_metadata_name(md));
    ck_assert_ptr_nonnull(strstr(tipc_last_error(), want));
    ck_assert_int_eq(tipc_consumer_open(&none, "unit/far/away/name", 0, &o), TIPC_E_NOT_CONNECTED);
    ck_assert_ptr_null(strstr(tipc_last_error(), "did you mean"));

    tipc_consumer_destroy(c);
    tipc_producer_destroy(p);
    ck_assert(!shm_exists(md));
    tipc_metadata_destroy(md);
}
END_TEST

static Suite *unit_suite(void)
{
    Suite *s = suite_create("unit");
    TCase *tc;
#define CASE(name, fn)                 \
    tc = tcase_create(name);           \
    tcase_add_test(tc, fn);            \
    suite_add_tcase(s, tc)
    CASE("version_and_status", test_version_and_status);
    CASE("dtypes", test_dtypes);
    CASE("metadata_fields", test_metadata_fields);
    CASE("metadata_compare", test_metadata_compare_names_every_field);
    CASE("metadata_bad_input", test_metadata_bad_input);
    CASE("put_get_history", test_put_get_latest_and_history);
    CASE("acquire_views", test_acquire_views);
    CASE("held_frame_put_timeout", test_held_frame_makes_put_time_out);
    CASE("loan_commit_discard", test_loan_commit_discard);
    CASE("wait", test_wait);
    CASE("lazy_connect_reconnect", test_lazy_connect_and_reconnect);
    CASE("bad_calls_change_nothing", test_bad_calls_change_nothing);
    CASE("corrupt_segments", test_corrupt_segments);
    CASE("producer_refuses_foreign_file", test_producer_refuses_foreign_file);
    CASE("mismatch_changes_nothing", test_mismatch_changes_nothing);
    CASE("segment_of_another_user", test_segment_of_another_user);
    CASE("shm_too_small", test_shm_too_small);
    CASE("permissions", test_permissions_default_owner_only);
    CASE("callback_per_frame", test_callback_per_frame);
    CASE("callback_every_frame_of_a_burst", test_callback_every_frame_of_a_burst);
    CASE("get_and_acquire_frame_by_index", test_get_and_acquire_frame_by_index);
    CASE("discover_pools", test_discover_pools);
    CASE("cuda_payload_validation", test_cuda_payload_validation);
    CASE("remote_frame_parse", test_remote_frame_parse);
    CASE("cuda_unavailable_is_clear", test_cuda_unavailable_is_clear);
    CASE("short_timeout_reclaims_dead_holder", test_short_timeout_still_reclaims_dead_holder);
    CASE("threads_race_to_create", test_threads_race_to_create);
    CASE("no_mark_reads_and_domain_env", test_no_mark_reads_and_domain_env);
    CASE("consumer_open_by_name", test_consumer_open_by_name);
#undef CASE
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(unit_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
