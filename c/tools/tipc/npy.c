/* npy.c - read a NumPy .npy file (format versions 1.0, 2.0 and 3.0) for
 * `tipc pub --from`. The header is a Python dict literal; it is parsed, not
 * pattern-matched, and every field is checked, since the file is user input. */
#include "tipc_cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static int refuse(char *why, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int refuse(char *why, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, size, fmt, ap);
    va_end(ap);
    return -1;
}

struct cursor {
    const char *p, *end;
};

static void skip_ws(struct cursor *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static int eat(struct cursor *c, char ch)
{
    skip_ws(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return 1;
    }
    return 0;
}

/* A quoted Python string without escapes (numpy writes none in these keys). */
static int parse_string(struct cursor *c, char *out, size_t size)
{
    skip_ws(c);
    if (c->p >= c->end || (*c->p != '\'' && *c->p != '"'))
        return -1;
    char q = *c->p++;
    size_t n = 0;
    while (c->p < c->end && *c->p != q) {
        if (*c->p == '\\' || n + 1 >= size)
            return -1;
        out[n++] = *c->p++;
    }
    if (c->p >= c->end)
        return -1;
    c->p++;
    out[n] = '\0';
    return 0;
}

static int parse_word(struct cursor *c, const char *word)
{
    skip_ws(c);
    size_t n = strlen(word);
    if ((size_t)(c->end - c->p) >= n && strncmp(c->p, word, n) == 0) {
        c->p += n;
        return 1;
    }
    return 0;
}

/* "(2, 3)", "(5,)", "()": sizes >= 0 (0 is refused later, with its own words). */
static int parse_shape(struct cursor *c, int64_t *shape, size_t max, size_t *ndim)
{
    *ndim = 0;
    if (!eat(c, '('))
        return -1;
    if (eat(c, ')'))
        return 0;
    for (;;) {
        skip_ws(c);
        if (c->p >= c->end || *c->p < '0' || *c->p > '9' || *ndim >= max)
            return -1;
        errno = 0;
        char *e;
        long long v = strtoll(c->p, &e, 10);
        if (errno || e > c->end)
            return -1;
        c->p = e;
        if (*c->p == 'L') /* Python 2 longs, as old numpy wrote them */
            c->p++;
        shape[(*ndim)++] = v;
        if (eat(c, ')'))
            return 0;
        if (!eat(c, ','))
            return -1;
        if (eat(c, ')'))
            return 0;
    }
}

static int host_little_endian(void)
{
    const uint16_t one = 1;
    return *(const unsigned char *)&one == 1;
}

/* descr such as '<f4', '|u1', '>i8', '|b1', '<c16' to a dtype. */
static int descr_dtype(const char *descr, tipc_dtype *out, char *why, size_t size)
{
    static const struct {
        char kind;
        int bytes;
        tipc_dtype dt;
    } map[] = {
        {'b', 1, TIPC_DTYPE_BOOL},     {'i', 1, TIPC_DTYPE_INT8},       {'i', 2, TIPC_DTYPE_INT16},
        {'i', 4, TIPC_DTYPE_INT32},    {'i', 8, TIPC_DTYPE_INT64},      {'u', 1, TIPC_DTYPE_UINT8},
        {'u', 2, TIPC_DTYPE_UINT16},   {'u', 4, TIPC_DTYPE_UINT32},     {'u', 8, TIPC_DTYPE_UINT64},
        {'f', 2, TIPC_DTYPE_FLOAT16},  {'f', 4, TIPC_DTYPE_FLOAT32},    {'f', 8, TIPC_DTYPE_FLOAT64},
        {'c', 8, TIPC_DTYPE_COMPLEX64}, {'c', 16, TIPC_DTYPE_COMPLEX128},
    };
    char order = descr[0];
    if (order != '<' && order != '>' && order != '|' && order != '=')
        return refuse(why, size, "dtype '%s' has no byte-order mark", descr);
    char kind = descr[1];
    char *end;
    errno = 0;
    long bytes = descr[1] ? strtol(descr + 2, &end, 10) : 0;
    if (!descr[1] || errno || end == descr + 2 || *end)
        return refuse(why, size, "dtype '%s' is not a plain numeric dtype", descr);
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        if (map[i].kind != kind || map[i].bytes != bytes)
            continue;
        if (bytes > 1 && order != '=' && order != '|') {
            int little = order == '<';
            if (little != host_little_endian())
                return refuse(why, size,
                              "data is %s-endian ('%s') but pools hold this host's %s-endian "
                              "order; convert it first, e.g. arr.astype('%c%c%ld')",
                              little ? "little" : "big", descr,
                              host_little_endian() ? "little" : "big",
                              host_little_endian() ? '<' : '>', kind, bytes);
        }
        *out = map[i].dt;
        return 0;
    }
    return refuse(why, size,
                  "dtype '%s' is not a pool dtype (bool, int8..int64, uint8..uint64, float16, "
                  "float32, float64, complex64, complex128)",
                  descr);
}

int cli_npy_read(const char *path, struct cli_npy *out, char *why, size_t size)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (!f)
        return refuse(why, size, "cannot open: %s", strerror(errno));
    unsigned char pre[12];
    size_t got = fread(pre, 1, 10, f);
    int rc = -1;
    char *header = NULL;
    if (got < 10 || memcmp(pre, "\x93NUMPY", 6) != 0) {
        refuse(why, size, "not a .npy file (no \\x93NUMPY magic)");
        goto out;
    }
    unsigned major = pre[6];
    size_t hlen, prefix;
    if (major == 1) {
        hlen = (size_t)pre[8] | (size_t)pre[9] << 8;
        prefix = 10;
    } else if (major == 2 || major == 3) {
        if (fread(pre + 10, 1, 2, f) != 2) {
            refuse(why, size, "truncated header");
            goto out;
        }
        hlen = (size_t)pre[8] | (size_t)pre[9] << 8 | (size_t)pre[10] << 16 | (size_t)pre[11] << 24;
        prefix = 12;
    } else {
        refuse(why, size, ".npy format version %u.%u is not supported (1.0, 2.0, 3.0)", major,
               pre[7]);
        goto out;
    }
    if (hlen > 1 << 20 || !(header = malloc(hlen + 1)) || fread(header, 1, hlen, f) != hlen) {
        refuse(why, size, "truncated or oversized header (%zu bytes)", hlen);
        goto out;
    }
    header[hlen] = '\0';
    struct cursor c = {header, header + hlen};
    char descr[64] = "";
    int have_descr = 0, have_order = 0, have_shape = 0, fortran = 0;
    if (!eat(&c, '{')) {
        refuse(why, size, "header is not a dict: %.60s", header);
        goto out;
    }
    while (!eat(&c, '}')) {
        char key[32];
        if (parse_string(&c, key, sizeof key) || !eat(&c, ':')) {
            refuse(why, size, "malformed header: %.80s", header);
            goto out;
        }
        int ok;
        if (!strcmp(key, "descr")) {
            skip_ws(&c);
            if (c.p < c.end && *c.p == '[') {
                refuse(why, size, "structured dtypes (records) cannot be published");
                goto out;
            }
            ok = parse_string(&c, descr, sizeof descr) == 0;
            have_descr = 1;
        } else if (!strcmp(key, "fortran_order")) {
            ok = parse_word(&c, "True") ? (fortran = 1) : parse_word(&c, "False");
            have_order = 1;
        } else if (!strcmp(key, "shape")) {
            ok = parse_shape(&c, out->shape, TIPC_MAX_DIMS + 1, &out->ndim) == 0;
            have_shape = 1;
        } else {
            refuse(why, size, "unknown header key '%s'", key);
            goto out;
        }
        if (!ok) {
            refuse(why, size, "malformed value of '%s' in the header: %.80s", key, header);
            goto out;
        }
        if (!eat(&c, ',')) {
            if (!eat(&c, '}')) {
                refuse(why, size, "malformed header: %.80s", header);
                goto out;
            }
            break;
        }
    }
    if (!have_descr || !have_order || !have_shape) {
        refuse(why, size, "header lacks '%s'",
               !have_descr ? "descr" : !have_order ? "fortran_order" : "shape");
        goto out;
    }
    if (descr_dtype(descr, &out->dtype, why, size))
        goto out;
    if (fortran && out->ndim > 1) {
        refuse(why, size,
               "data is stored in Fortran (column-major) order; pools hold C order: save "
               "np.ascontiguousarray(arr) instead");
        goto out;
    }
    size_t elems = 1, esz = tipc_dtype_size(out->dtype);
    for (size_t i = 0; i < out->ndim; i++) {
        if (out->shape[i] <= 0) {
            refuse(why, size, "shape has an empty dimension (axis %zu is 0)", i);
            goto out;
        }
        if ((uint64_t)out->shape[i] > SIZE_MAX / esz / elems) {
            refuse(why, size, "shape is too large");
            goto out;
        }
        elems *= (size_t)out->shape[i];
    }
    out->bytes = elems * esz;
    if (fseek(f, 0, SEEK_END) != 0) {
        refuse(why, size, "cannot seek: %s", strerror(errno));
        goto out;
    }
    long total = ftell(f);
    if (total < 0 || (size_t)total != prefix + hlen + out->bytes) {
        refuse(why, size, "holds %ld bytes of data, its header describes %zu",
               total < 0 ? -1L : total - (long)(prefix + hlen), out->bytes);
        goto out;
    }
    fseek(f, (long)(prefix + hlen), SEEK_SET);
    if (!(out->data = malloc(out->bytes ? out->bytes : 1)) ||
        fread(out->data, 1, out->bytes, f) != out->bytes) {
        refuse(why, size, "cannot read %zu bytes of data", out->bytes);
        goto out;
    }
    rc = 0;
out:
    free(header);
    fclose(f);
    if (rc)
        cli_npy_free(out);
    return rc;
}

void cli_npy_free(struct cli_npy *n)
{
    free(n->data);
    n->data = NULL;
}
