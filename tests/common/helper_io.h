/* Helper side of the line protocol of the multiprocess suites: a helper
 * reads one request per line on stdin and answers one line on stdout. End of
 * stdin means quit (the test went away or closed it). */
#ifndef TIPC_TEST_HELPER_IO_H
#define TIPC_TEST_HELPER_IO_H

#include <stddef.h>
#include <stdint.h>

/* One request into @p line: 1 a line, 0 end of input, 2 no whole line
 * within @p timeout_ms (-1 waits for ever, 0 only looks). */
int hio_read_line(char *line, size_t cap, int timeout_ms);

/* Whether stdin has reached its end. */
int hio_eof(void);

/* One answer line; line breaks inside become spaces. Exits with status 5
 * when stdout is gone (SIGPIPE ignored): nobody is left to tell. */
void hio_reply(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* tipc_last_error(), or "(no sentence)" when it is empty. */
const char *hio_last_error(void);

/* The "wait" request of the helpers: tipc_consumer_wait(@p c, timeout_ns),
 * answered "ok <elapsed ns>" or "err <STATUS> <elapsed ns> <sentence>". */
struct tipc_consumer;
void hio_wait(struct tipc_consumer *c, int64_t timeout_ns);

/* The next request (waiting for ever), split in place at spaces into at
 * most @p max words in @p tok, the slots past the last word NULL; blank
 * lines are skipped. Returns the number of words, 0 at the end of input. */
int hio_request(char *line, size_t cap, char **tok, int max);

#endif
