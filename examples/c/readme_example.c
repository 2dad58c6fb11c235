/* One producer and one consumer of a 2x3 uint8 pool. Usually they live in two
 * processes; any process on the host that describes the pool the same way can
 * read it. */
#include <stdio.h>
#include <string.h>
#include <tensor_ipc.h>

int main(void)
{
    const int64_t shape[2] = {2, 3};
    uint8_t frame[6] = {1, 2, 3, 4, 5, 6}, out[6] = {0};
    tipc_metadata *md = NULL;
    tipc_producer *prod = NULL;
    tipc_consumer *cons = NULL;
    tipc_frame_info info;
    uint64_t index = 0;
    int ok = tipc_metadata_create(&md, "readme/frames", TIPC_DTYPE_UINT8, 2, shape,
                                  TIPC_BACKEND_NUMPY, 4, NULL) == TIPC_OK
          && tipc_producer_create(&prod, md, NULL) == TIPC_OK     /* writer side */
          && tipc_producer_put(prod, frame, sizeof frame, &index) == TIPC_OK
          && tipc_consumer_create(&cons, md, NULL) == TIPC_OK     /* reader side */
          && tipc_consumer_get(cons, out, sizeof out, 1, 0, &info) == TIPC_OK;
    if (ok)
        printf("put frame %llu, got frame %llu: %s\n", (unsigned long long)index,
               (unsigned long long)info.index,
               memcmp(frame, out, sizeof out) == 0 ? "same bytes" : "DIFFERENT");
    else
        fprintf(stderr, "tensor_ipc: %s\n", tipc_last_error());
    tipc_consumer_destroy(cons);
    tipc_producer_destroy(prod);
    tipc_metadata_destroy(md);
    return ok && memcmp(frame, out, sizeof out) == 0 ? 0 : 1;
}
