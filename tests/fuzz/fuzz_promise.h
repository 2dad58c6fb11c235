/* PROMISE(cond, fmt, ...): a fuzz target's check of what acceptance or
 * rejection promises; a broken promise aborts, which libFuzzer reports as a
 * crash with the input kept. */
#ifndef TIPC_FUZZ_PROMISE_H
#define TIPC_FUZZ_PROMISE_H

#include <stdio.h>
#include <stdlib.h>

#ifndef FUZZ_TARGET_NAME
#error "define FUZZ_TARGET_NAME before including fuzz_promise.h"
#endif

#define PROMISE(cond, ...)                                                                         \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, FUZZ_TARGET_NAME ": broken promise: " __VA_ARGS__);                  \
            fputc('\n', stderr);                                                                   \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#endif
