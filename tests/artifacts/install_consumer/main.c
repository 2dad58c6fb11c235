/* Smallest program against an installed tensor_ipc: prints the library's
 * version and one metadata description. Built by check_install.sh. */
#include <stdio.h>

#include <tensor_ipc.h>

int main(void)
{
    const int64_t shape[2] = {2, 3};
    tipc_metadata *md = NULL;
    char text[256];

    /* The header and the loaded library must be the same release. */
    if (tipc_version_number() != TIPC_VERSION_NUMBER) {
        fprintf(stderr, "header %s but library %s\n", TIPC_VERSION_STRING,
                tipc_version_string());
        return 1;
    }
    if (tipc_metadata_create(&md, "install/check", TIPC_DTYPE_UINT8, 2, shape,
                             TIPC_BACKEND_NUMPY, 4, NULL) != TIPC_OK) {
        fprintf(stderr, "tipc_metadata_create: %s\n", tipc_last_error());
        return 1;
    }
    tipc_metadata_describe(md, text, sizeof text);
    printf("tensor_ipc %s\n%s\n", tipc_version_string(), text);
    tipc_metadata_destroy(md);
    return 0;
}
