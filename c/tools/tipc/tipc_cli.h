/* tipc_cli.h - shared helpers of the `tipc` command-line tool.
 *
 * The tool is built on the public ABI only (tensor_ipc.h); nothing here may
 * include a header from c/src. */
#ifndef TIPC_CLI_H
#define TIPC_CLI_H

#include "tensor_ipc.h"

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Exit codes, documented in `tipc --help`. */
enum {
    CLI_EXIT_OK = 0,    /* success */
    CLI_EXIT_FAIL = 1,  /* runtime failure: pool not found, not connected, OS error */
    CLI_EXIT_USAGE = 2  /* bad command line */
};

/* Long-option value of the global --domain when given after the subcommand. */
#define CLI_OPT_DOMAIN 0x100
/* Default discovery wait in seconds. */
#define CLI_DEFAULT_WAIT_S 1.0

/* State shared by all subcommands: the global options and the lazily created
 * control-plane context. */
struct cli {
    int32_t domain;      /* -1: $TIPC_DOMAIN_ID or 0 */
    tipc_context *ctx;   /* created by cli_context() on first use */
};

/* Set by SIGINT/SIGTERM once cli_install_signals() ran. */
extern volatile sig_atomic_t cli_stop;
void cli_install_signals(void);

/* Messages. All return the exit code they stand for. */
int cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "tipc: <what>: <tipc_last_error()> (<status name>)"; returns CLI_EXIT_FAIL. */
int cli_fail_status(tipc_status st, const char *what);

/* getopt_long helpers. cli_getopt_error() reports the option error of the
 * last getopt_long() return (':' or '?') and returns CLI_EXIT_USAGE. */
int cli_getopt_error(const char *cmd, int c, char *const argv[]);
/* Handle the global --domain inside a subcommand. 0 ok, else an exit code. */
int cli_set_domain(struct cli *g, const char *cmd, const char *arg);

/* Number parsing: 0 on success, -1 if @p s is not a valid number in range. */
int cli_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);
int cli_parse_double(const char *s, double min, double max, double *out);

/* The control-plane context of the selected domain, created on first call.
 * NULL on failure (message printed). */
tipc_context *cli_context(struct cli *g);
void cli_cleanup(struct cli *g);

/* Discovery. cli_discover: all pools announced in the domain, sorted by name.
 * cli_find_pool: poll discovery until @p name is announced or @p wait_s passed
 * (wait_s < 0: forever); prints the reason and returns CLI_EXIT_FAIL if not
 * found, or if its announcement is malformed (the reason says why). */
int cli_discover(struct cli *g, double wait_s, tipc_metadata ***list, size_t *count);
int cli_find_pool(struct cli *g, const char *name, double wait_s, tipc_metadata **out);
/* cli_find_pool without the message: TIPC_OK, TIPC_E_NOT_CONNECTED (not
 * announced), TIPC_E_CORRUPT (announced, but only malformed) or another
 * error; @p why receives the reason (for CORRUPT, the validation sentence
 * without the leading "pool '<name>': "). */
tipc_status cli_lookup_pool(struct cli *g, const char *name, double wait_s, tipc_metadata **out,
                            char *why, size_t why_size);
/* Print the message of cli_find_pool for a cli_lookup_pool result; returns
 * the exit code. */
int cli_find_pool_report(struct cli *g, const char *name, tipc_status st, const char *why);

/* cli_find_pool, then a consumer of that pool in @p g's context: the start
 * of every command that follows one pool. Returns a CLI_EXIT_* code; Ctrl-C
 * during the search is a clean exit. */
int cli_follow_pool(struct cli *g, const char *name, double wait_s, tipc_consumer **out);

/* A shared-memory-only consumer of an announced pool, connected now.
 * Returns the status of tipc_consumer_connect (consumer destroyed on error). */
tipc_status cli_open_local(const tipc_metadata *md, tipc_consumer **out);

/* "(2,3)", "()" for scalars, "(5,)" for one dimension. */
void cli_shape_str(const tipc_metadata *md, char *buf, size_t size);
/* Where an announced pool's producer is: "local" (this host, i.e. this
 * /dev/shm), "<hostname>/<first 8 digits of its host id>" for another host,
 * "?" when the producer states no host identity. */
void cli_host_str(const tipc_metadata *md, char *buf, size_t size);
/* 1 when the pool's producer is on this host (or states no host). */
int cli_host_local(const tipc_metadata *md);
/* Shape as a JSON array "[2,3]". */
void cli_shape_json(FILE *f, const tipc_metadata *md);
/* A JSON string literal. */
void cli_json_string(FILE *f, const char *s);

/* Element conversion: any dtype to double (bool 0/1, complex: magnitude,
 * float16/bfloat16 widened). */
double cli_elem_to_double(tipc_dtype dt, const void *p);
/* Print one element in its natural form (integers exactly, complex as a+bj). */
void cli_elem_print(FILE *f, tipc_dtype dt, const void *p);
/* Store a value in an element of type @p dt: floats get @p re (complex:
 * re + i*im), integers and bool get @p ramp truncated to the type's width. */
void cli_elem_store(tipc_dtype dt, void *p, double re, double im, uint64_t ramp);

/* Half-precision conversions (IEEE binary16 and bfloat16). */
double cli_half_to_double(uint16_t h);
uint16_t cli_double_to_half(double d);
double cli_bf16_to_double(uint16_t b);
uint16_t cli_double_to_bf16(double d);

/* Monotonic clock, nanoseconds. Sleep, returning early on cli_stop. */
int64_t cli_mono_ns(void);
void cli_sleep_ns(int64_t ns);

/* The loop of hz, bw and delay: wait for each new frame of @p con, call
 * ops->frame with its info and the CLOCK_REALTIME moment it was seen,
 * ops->report once a second (fresh: frames seen since the last report, so 0
 * means "no new frames"), ops->reset when the producer leaves. Ends after
 * @p count reports (0: until Ctrl-C). Returns an exit code. */
struct cli_monitor_ops {
    void (*frame)(void *user, const tipc_frame_info *fi, int64_t seen_ns);
    void (*report)(void *user, uint64_t fresh);
    void (*reset)(void *user);
};
int cli_monitor_run(tipc_consumer *con, const char *cmd, const char *name, uint64_t count,
                    const struct cli_monitor_ops *ops, void *user);

/* Publication intervals over a sliding window of frames, counted by frame
 * index (frames this reader did not see still count: a gap contributes its
 * average interval) and timed by the producer's commit stamps. */
struct cli_rate_obs {
    uint64_t frames;
    int64_t dt_ns;
};
struct cli_rate_window {
    struct cli_rate_obs *ring;
    size_t cap, head, len; /* entries ring[head .. head+len) */
    uint64_t frames;       /* sum of frames over the entries */
    uint64_t limit;        /* most frames kept */
    uint64_t missed;       /* frames published but not observed individually */
    int have_prev;
    tipc_frame_info prev;
};
struct cli_rate_stats {
    double rate, min_s, max_s, std_s;
    uint64_t frames, missed;
};
int cli_rate_window_init(struct cli_rate_window *w, uint64_t limit); /* -1: out of memory */
void cli_rate_window_free(struct cli_rate_window *w);
void cli_rate_window_reset(struct cli_rate_window *w);
void cli_rate_window_frame(struct cli_rate_window *w, const tipc_frame_info *fi);
/* -1 while fewer than two frames are in the window. */
int cli_rate_window_stats(const struct cli_rate_window *w, struct cli_rate_stats *out);

/* A JSON number, or null for NaN and infinities (JSON has neither). */
void cli_json_number(FILE *f, double v, int digits);

/* A .npy file read whole: dtype, shape (up to TIPC_MAX_DIMS + 1 axes: a
 * frame, or a sequence of frames) and C-order data in this host's byte order.
 * cli_npy_read returns -1 with a sentence in @p why when the file is not
 * one that can be published (other byte order, Fortran order, structured or
 * non-numeric dtype, truncated). */
struct cli_npy {
    tipc_dtype dtype;
    size_t ndim;
    int64_t shape[TIPC_MAX_DIMS + 1];
    unsigned char *data;
    size_t bytes;
};
int cli_npy_read(const char *path, struct cli_npy *out, char *why, size_t size);
void cli_npy_free(struct cli_npy *n);

/* Subcommands: argv[0] is the subcommand name. Return an exit code. */
int cli_cmd_list(struct cli *g, int argc, char **argv);
int cli_cmd_info(struct cli *g, int argc, char **argv);
int cli_cmd_hz(struct cli *g, int argc, char **argv);
int cli_cmd_echo(struct cli *g, int argc, char **argv);
int cli_cmd_pub(struct cli *g, int argc, char **argv);
int cli_cmd_gc(struct cli *g, int argc, char **argv);
int cli_cmd_bw(struct cli *g, int argc, char **argv);
int cli_cmd_delay(struct cli *g, int argc, char **argv);
int cli_cmd_completion(struct cli *g, int argc, char **argv);
int cli_cmd_ros2(struct cli *g, int argc, char **argv);
int cli_cmd_record(struct cli *g, int argc, char **argv); /* cmd_record.c: execs Python */
int cli_cmd_play(struct cli *g, int argc, char **argv);

#endif /* TIPC_CLI_H */
