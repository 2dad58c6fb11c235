/* Writes the seed corpus of fuzz_segment: real segments of small pools, made
 * by the library itself and copied from /dev/shm, plus a few damaged copies.
 * The committed files under corpus/fuzz_segment/ came from:
 *     gen_segment_seeds tests/fuzz/corpus/fuzz_segment */
#include "segment.h"
#include "tensor_ipc.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *g_dir;

static void save(const char *name, const unsigned char *bytes, size_t size)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", g_dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(bytes, 1, size, f) != size) {
        perror(path);
        exit(1);
    }
    fclose(f);
}

/* A live segment's bytes, with @p frames frames put and @p readers consumers. */
static unsigned char *segment(const char *pool, tipc_dtype dtype, int ndim, const int64_t *shape,
                              uint32_t history, int frames, int readers, size_t *size)
{
    tipc_metadata *md = NULL;
    if (tipc_metadata_create(&md, pool, dtype, (size_t)ndim, shape, TIPC_BACKEND_NUMPY, history,
                             NULL) != TIPC_OK)
        exit(2);
    tipc_producer_options o = TIPC_PRODUCER_OPTIONS_INIT;
    o.control_plane = 0;
    tipc_producer *p = NULL;
    if (tipc_producer_create(&p, md, &o) != TIPC_OK)
        exit(3);
    size_t fb = tipc_metadata_frame_bytes(md);
    unsigned char *frame = calloc(1, fb);
    for (int i = 0; i < frames; i++) {
        memset(frame, i + 1, fb);
        tipc_producer_put(p, frame, fb, NULL);
    }
    tipc_consumer_options co = TIPC_CONSUMER_OPTIONS_INIT;
    co.control_plane = 0;
    tipc_consumer *c[4] = {NULL};
    tipc_view *v[4] = {NULL};
    for (int i = 0; i < readers; i++) {
        tipc_consumer_create(&c[i], md, &co);
        tipc_consumer_acquire(c[i], 1, 0, &v[i]);
    }
    char path[256];
    snprintf(path, sizeof path, "/dev/shm%s", tipc_metadata_shm_name(md));
    struct stat st;
    int fd = open(path, O_RDONLY);
    fstat(fd, &st);
    *size = (size_t)st.st_size;
    unsigned char *bytes = malloc(*size);
    if (read(fd, bytes, *size) != (ssize_t)*size)
        exit(4);
    close(fd);
    for (int i = 0; i < readers; i++) {
        tipc_view_release(v[i]);
        tipc_consumer_destroy(c[i]);
    }
    tipc_producer_destroy(p);
    tipc_metadata_destroy(md);
    free(frame);
    return bytes;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: gen_segment_seeds DIR\n");
        return 2;
    }
    g_dir = argv[1];
    size_t n;
    int64_t s1[1] = {16}, s2[2] = {2, 3}, s0[1] = {1};
    unsigned char *b;

    b = segment("seed/empty", TIPC_DTYPE_UINT8, 1, s1, 2, 0, 0, &n);
    save("valid-empty", b, n);
    free(b);
    b = segment("seed/written", TIPC_DTYPE_FLOAT32, 2, s2, 3, 5, 2, &n);
    save("valid-written-held", b, n);
    struct tipc_seg_header *h = (void *)b;
    unsigned char *copy = malloc(n);
    memcpy(copy, b, n);
    ((struct tipc_seg_header *)copy)->layout_version = 1;
    save("bad-version-1", copy, n);
    memcpy(copy, b, n);
    ((struct tipc_seg_header *)copy)->meta.history_len = 4;
    save("bad-history", copy, n);
    memcpy(copy, b, n);
    /* Slot 1 claims frame 3, which lives in slot 0. */
    uint64_t wrong = 4;
    memcpy(copy + h->ring_offset + 128 + 64, &wrong, sizeof wrong);
    save("bad-slot-seq", copy, n);
    memcpy(copy, b, n);
    ((struct tipc_seg_header *)copy)->payload_bytes = 8;
    save("bad-payload-on-host", copy, n);
    save("bad-truncated", b, n - 64);
    free(copy);
    free(b);
    b = segment("seed/scalar", TIPC_DTYPE_INT64, 1, s0, 1, 1, 1, &n);
    save("valid-scalar-held", b, n);
    free(b);
    return 0;
}
