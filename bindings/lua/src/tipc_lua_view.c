#include "tipc_lua_view.h"

#include <lauxlib.h>

#include <errno.h>
#include <float.h>
#include <stdarg.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define VIEW_MT "tensor_ipc.View"

/* Like luaL_error, without the "file:line:" prefix: the sentence is the
 * library's own, naming the pool. */
static int view_fail(lua_State *L, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    lua_pushvfstring(L, fmt, ap);
    va_end(ap);
    return lua_error(L);
}

enum { VIEW_HELD = 1, VIEW_COPY = 2, VIEW_LOAN = 3 };

typedef struct {
    int kind;
    int released;      /* no more access (closed, committed or discarded) */
    int writable;
    tipc_view *held;   /* VIEW_HELD: frames held in the pool */
    tipc_dtype dtype;
    size_t esize;
    int ndim;          /* with the stacking axis when nframes > 1 */
    int64_t shape[TIPC_MAX_DIMS + 1];
    size_t frame_elems;
    uint32_t nframes;
    uint64_t index;    /* newest frame */
    int64_t timestamp_ns;
    char pool[TIPC_NAME_MAX + 1];
    char *frames[];    /* nframes pointers (NULL = padding); VIEW_COPY bytes follow */
} View;

/* ------------------------------------------------------------ half floats */

static uint16_t f32_to_f16(float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000u, mant = x & 0x7fffffu;
    int32_t exp = (int32_t)((x >> 23) & 0xffu) - 127 + 15;
    if (((x >> 23) & 0xffu) == 0xffu)
        return (uint16_t)(sign | 0x7c00u | (mant ? 0x200u : 0));
    if (exp >= 31)
        return (uint16_t)(sign | 0x7c00u);
    if (exp <= 0) {
        if (exp < -10)
            return (uint16_t)sign;
        mant |= 0x800000u;
        uint32_t shift = (uint32_t)(14 - exp), half = mant >> shift;
        uint32_t rem = mant & ((1u << shift) - 1), halfway = 1u << (shift - 1);
        if (rem > halfway || (rem == halfway && (half & 1u)))
            half++;
        return (uint16_t)(sign | half);
    }
    uint32_t half = sign | ((uint32_t)exp << 10) | (mant >> 13), rem = mant & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (half & 1u)))
        half++;
    return (uint16_t)half;
}

static float f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, exp = (h >> 10) & 0x1fu, mant = h & 0x3ffu;
    uint32_t x;
    if (exp == 0) {
        if (!mant) {
            x = sign;
        } else { /* subnormal: normalise */
            exp = 127 - 15 + 1;
            while (!(mant & 0x400u)) {
                mant <<= 1;
                exp--;
            }
            x = sign | (exp << 23) | ((mant & 0x3ffu) << 13);
        }
    } else if (exp == 31) {
        x = sign | 0x7f800000u | (mant << 13);
    } else {
        x = sign | ((exp - 15 + 127) << 23) | (mant << 13);
    }
    float f;
    memcpy(&f, &x, 4);
    return f;
}

static uint16_t f32_to_bf16(float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    if ((x & 0x7fffffffu) > 0x7f800000u)
        return (uint16_t)((x >> 16) | 0x40u); /* quiet NaN */
    return (uint16_t)((x + 0x7fffu + ((x >> 16) & 1u)) >> 16);
}

static float bf16_to_f32(uint16_t b)
{
    uint32_t x = (uint32_t)b << 16;
    float f;
    memcpy(&f, &x, 4);
    return f;
}

/* ------------------------------------------------------------ elements */

static void push_elem(lua_State *L, tipc_dtype dt, const char *p)
{
    if (!p) { /* padding reads as zero of the element type */
        static const char zero[16];
        p = zero;
    }
    switch (dt) {
    case TIPC_DTYPE_BOOL: lua_pushboolean(L, *(const uint8_t *)p != 0); break;
    case TIPC_DTYPE_INT8: lua_pushinteger(L, *(const int8_t *)p); break;
    case TIPC_DTYPE_INT16: { int16_t v; memcpy(&v, p, 2); lua_pushinteger(L, v); break; }
    case TIPC_DTYPE_INT32: { int32_t v; memcpy(&v, p, 4); lua_pushinteger(L, v); break; }
    case TIPC_DTYPE_INT64: { int64_t v; memcpy(&v, p, 8); lua_pushinteger(L, (lua_Integer)v); break; }
    case TIPC_DTYPE_UINT8: lua_pushinteger(L, *(const uint8_t *)p); break;
    case TIPC_DTYPE_UINT16: { uint16_t v; memcpy(&v, p, 2); lua_pushinteger(L, v); break; }
    case TIPC_DTYPE_UINT32: { uint32_t v; memcpy(&v, p, 4); lua_pushinteger(L, v); break; }
    case TIPC_DTYPE_UINT64: {
        uint64_t v;
        memcpy(&v, p, 8);
        if (v <= (uint64_t)LUA_MAXINTEGER)
            lua_pushinteger(L, (lua_Integer)v);
        else
            lua_pushnumber(L, (lua_Number)v);
        break;
    }
    case TIPC_DTYPE_FLOAT16: { uint16_t v; memcpy(&v, p, 2); lua_pushnumber(L, f16_to_f32(v)); break; }
    case TIPC_DTYPE_BFLOAT16: { uint16_t v; memcpy(&v, p, 2); lua_pushnumber(L, bf16_to_f32(v)); break; }
    case TIPC_DTYPE_FLOAT32: { float v; memcpy(&v, p, 4); lua_pushnumber(L, v); break; }
    case TIPC_DTYPE_FLOAT64: { double v; memcpy(&v, p, 8); lua_pushnumber(L, v); break; }
    case TIPC_DTYPE_COMPLEX64:
    case TIPC_DTYPE_COMPLEX128: {
        double re, im;
        if (dt == TIPC_DTYPE_COMPLEX64) {
            float c[2];
            memcpy(c, p, 8);
            re = c[0];
            im = c[1];
        } else {
            double c[2];
            memcpy(c, p, 16);
            re = c[0];
            im = c[1];
        }
        lua_createtable(L, 0, 2);
        lua_pushnumber(L, re);
        lua_setfield(L, -2, "re");
        lua_pushnumber(L, im);
        lua_setfield(L, -2, "im");
        break;
    }
    default: lua_pushnil(L); break;
    }
}

/* Integer value of the Lua value at idx within [lo, hi]; 0 and a reason if not. */
static int to_int(lua_State *L, int idx, lua_Integer lo, lua_Integer hi, lua_Integer *out,
                  const char **why)
{
    if (lua_type(L, idx) != LUA_TNUMBER) { /* no string coercion: "5" is not a number */
        *why = "is not a number";
        return 0;
    }
    int isnum;
    lua_Integer v = lua_tointegerx(L, idx, &isnum);
    if (!isnum) {
        *why = lua_type(L, idx) == LUA_TNUMBER ? "is not an integer" : "is not a number";
        return 0;
    }
    if (v < lo || v > hi) {
        *why = "is out of range";
        return 0;
    }
    *out = v;
    return 1;
}

/* Convert the Lua value at idx into one element at dst; 0 with *why on error
 * (nothing written). */
static int check_elem(lua_State *L, int idx, tipc_dtype dt, char *dst, const char **why)
{
    lua_Integer i;
    switch (dt) {
    case TIPC_DTYPE_BOOL:
        if (lua_isboolean(L, idx)) {
            *(uint8_t *)dst = (uint8_t)lua_toboolean(L, idx);
            return 1;
        }
        if (!to_int(L, idx, 0, 1, &i, why))
            return 0;
        *(uint8_t *)dst = (uint8_t)i;
        return 1;
    case TIPC_DTYPE_INT8: if (!to_int(L, idx, INT8_MIN, INT8_MAX, &i, why)) return 0; *(int8_t *)dst = (int8_t)i; return 1;
    case TIPC_DTYPE_INT16: { if (!to_int(L, idx, INT16_MIN, INT16_MAX, &i, why)) return 0; int16_t v = (int16_t)i; memcpy(dst, &v, 2); return 1; }
    case TIPC_DTYPE_INT32: { if (!to_int(L, idx, INT32_MIN, INT32_MAX, &i, why)) return 0; int32_t v = (int32_t)i; memcpy(dst, &v, 4); return 1; }
    case TIPC_DTYPE_INT64: { if (!to_int(L, idx, LUA_MININTEGER, LUA_MAXINTEGER, &i, why)) return 0; int64_t v = (int64_t)i; memcpy(dst, &v, 8); return 1; }
    case TIPC_DTYPE_UINT8: if (!to_int(L, idx, 0, UINT8_MAX, &i, why)) return 0; *(uint8_t *)dst = (uint8_t)i; return 1;
    case TIPC_DTYPE_UINT16: { if (!to_int(L, idx, 0, UINT16_MAX, &i, why)) return 0; uint16_t v = (uint16_t)i; memcpy(dst, &v, 2); return 1; }
    case TIPC_DTYPE_UINT32: { if (!to_int(L, idx, 0, UINT32_MAX, &i, why)) return 0; uint32_t v = (uint32_t)i; memcpy(dst, &v, 4); return 1; }
    case TIPC_DTYPE_UINT64: {
        uint64_t v;
        if (lua_isinteger(L, idx)) {
            if (!to_int(L, idx, 0, LUA_MAXINTEGER, &i, why))
                return 0;
            v = (uint64_t)i;
        } else {
            int isnum = lua_type(L, idx) == LUA_TNUMBER;
            lua_Number n = lua_tonumber(L, idx);
            if (!isnum || n != floor(n) || n < 0 || n >= 18446744073709551616.0) {
                *why = !isnum ? "is not a number" : "is not an integer in range";
                return 0;
            }
            v = (uint64_t)n;
        }
        memcpy(dst, &v, 8);
        return 1;
    }
    default: break;
    }
    /* Floating point and complex. */
    double re = 0, im = 0;
    if (lua_istable(L, idx) && (dt == TIPC_DTYPE_COMPLEX64 || dt == TIPC_DTYPE_COMPLEX128)) {
        idx = lua_absindex(L, idx);
        lua_getfield(L, idx, "re");
        lua_getfield(L, idx, "im");
        int ok1 = lua_type(L, -2) == LUA_TNUMBER, ok2 = lua_type(L, -1) == LUA_TNUMBER;
        re = lua_tonumber(L, -2);
        im = lua_tonumber(L, -1);
        lua_pop(L, 2);
        if (!ok1 || !ok2) {
            *why = "is not a {re=..., im=...} pair of numbers";
            return 0;
        }
    } else {
        if (lua_type(L, idx) != LUA_TNUMBER) {
            *why = "is not a number";
            return 0;
        }
        re = lua_tonumber(L, idx);
    }
    switch (dt) {
    case TIPC_DTYPE_FLOAT16:
        if (isfinite(re) && fabs(re) > 65504.0) {
            *why = "is out of range for float16";
            return 0;
        } else {
            uint16_t v = f32_to_f16((float)re);
            memcpy(dst, &v, 2);
        }
        return 1;
    case TIPC_DTYPE_BFLOAT16:
    case TIPC_DTYPE_FLOAT32:
    case TIPC_DTYPE_COMPLEX64:
        if ((isfinite(re) && fabs(re) > FLT_MAX) || (isfinite(im) && fabs(im) > FLT_MAX)) {
            *why = "is out of range for a 32-bit float";
            return 0;
        }
        if (dt == TIPC_DTYPE_BFLOAT16) {
            uint16_t v = f32_to_bf16((float)re);
            if (isfinite(re) && (v & 0x7fffu) == 0x7f80u) { /* rounded to infinity */
                *why = "is out of range for bfloat16";
                return 0;
            }
            memcpy(dst, &v, 2);
        } else if (dt == TIPC_DTYPE_FLOAT32) {
            float v = (float)re;
            memcpy(dst, &v, 4);
        } else {
            float c[2] = {(float)re, (float)im};
            memcpy(dst, c, 8);
        }
        return 1;
    case TIPC_DTYPE_FLOAT64: memcpy(dst, &re, 8); return 1;
    case TIPC_DTYPE_COMPLEX128: { double c[2] = {re, im}; memcpy(dst, c, 16); return 1; }
    default: *why = "has an unsupported dtype"; return 0;
    }
}

/* ------------------------------------------------------------ construction */

static View *view_new(lua_State *L, const tipc_metadata *md, uint32_t nframes, int kind,
                      size_t copy_bytes)
{
    size_t head = sizeof(View) + nframes * sizeof(char *);
    head = (head + 63) & ~(size_t)63;
    View *v = lua_newuserdatauv(L, head + copy_bytes + (copy_bytes ? 64 : 0), 1);
    memset(v, 0, sizeof *v);
    v->kind = kind;
    v->dtype = tipc_metadata_dtype(md);
    v->esize = tipc_metadata_element_size(md);
    v->nframes = nframes;
    v->frame_elems = tipc_metadata_frame_bytes(md) / v->esize;
    snprintf(v->pool, sizeof v->pool, "%s", tipc_metadata_name(md));
    int nd = (int)tipc_metadata_ndim(md), off = nframes > 1;
    v->ndim = nd + off;
    if (off)
        v->shape[0] = nframes;
    for (int i = 0; i < nd; i++)
        v->shape[i + off] = tipc_metadata_dim(md, (size_t)i);
    for (uint32_t i = 0; i < nframes; i++)
        v->frames[i] = NULL;
    luaL_setmetatable(L, VIEW_MT);
    return v;
}

static char *copy_area(View *v)
{
    size_t head = sizeof(View) + v->nframes * sizeof(char *);
    head = (head + 63) & ~(size_t)63;
    return (char *)v + head;
}

static View *check_view(lua_State *L, int idx)
{
    View *v = luaL_checkudata(L, idx, VIEW_MT);
    if (v->released)
        view_fail(L, "pool '%s': the view was released", v->pool);
    return v;
}

static size_t total_elems(const View *v) { return v->frame_elems * v->nframes; }

static char *elem_ptr(const View *v, size_t flat) /* 0-based; NULL for padding */
{
    size_t f = flat / v->frame_elems, e = flat % v->frame_elems;
    return v->frames[f] ? v->frames[f] + e * v->esize : NULL;
}

/* Status that means "nothing to read right now": nil plus the sentence. */
static int soft_status(tipc_status st)
{
    return st == TIPC_E_NOT_CONNECTED || st == TIPC_E_NO_DATA || st == TIPC_E_CLOSED;
}

static int fail_status(lua_State *L, tipc_status st)
{
    if (soft_status(st)) {
        lua_pushnil(L);
        lua_pushstring(L, tipc_last_error());
        return 2;
    }
    return view_fail(L, "%s", tipc_last_error());
}

/* ------------------------------------------------------------ natives */

int tipc_lua_acquire(lua_State *L)
{
    tipc_consumer *c = tipc_lua_check_consumer(L, 1);
    lua_Integer count = luaL_optinteger(L, 2, 1);
    unsigned flags = lua_toboolean(L, 3) ? TIPC_READ_OLDEST_FIRST : 0;
    if (count < 1 || count > (lua_Integer)UINT32_MAX)
        return view_fail(L, "history_len %d is not >= 1", (int)count);
    tipc_view *tv = NULL;
    tipc_status st = tipc_consumer_acquire(c, (uint32_t)count, flags, &tv);
    if (st == TIPC_E_LIMIT) { /* reader entries held by consumers awaiting collection */
        lua_gc(L, LUA_GCCOLLECT);
        st = tipc_consumer_acquire(c, (uint32_t)count, flags, &tv);
    }
    if (st)
        return fail_status(L, st);
    View *v = view_new(L, tipc_consumer_metadata(c), (uint32_t)count, VIEW_HELD, 0);
    v->held = tv;
    for (uint32_t i = 0; i < (uint32_t)count; i++)
        v->frames[i] = (char *)tipc_view_data(tv, i);
    tipc_frame_info info;
    tipc_view_info(tv, flags ? (uint32_t)count - 1 : 0, &info);
    v->index = info.index;
    v->timestamp_ns = info.timestamp_ns;
    return 1;
}

int tipc_lua_get(lua_State *L)
{
    tipc_consumer *c = tipc_lua_check_consumer(L, 1);
    lua_Integer count = luaL_optinteger(L, 2, 1);
    unsigned flags = (lua_toboolean(L, 3) ? TIPC_READ_OLDEST_FIRST : 0) |
                     (lua_toboolean(L, 4) ? TIPC_READ_PAD_FILL : 0);
    const tipc_metadata *md = tipc_consumer_metadata(c);
    if (count < 1 || count > (lua_Integer)tipc_metadata_history_len(md))
        return view_fail(L, "pool '%s': cannot read %d frames from a history of %d",
                          tipc_metadata_name(md), (int)count,
                          (int)tipc_metadata_history_len(md));
    size_t fb = tipc_metadata_frame_bytes(md), bytes = fb * (size_t)count;
    View *v = view_new(L, md, (uint32_t)count, VIEW_COPY, bytes);
    char *area = copy_area(v);
    tipc_frame_info info[1], *infos = count == 1 ? info : malloc((size_t)count * sizeof *infos);
    if (!infos)
        return view_fail(L, "out of memory");
    tipc_status st = tipc_consumer_get(c, area, bytes, (uint32_t)count, flags, infos);
    if (st == TIPC_E_LIMIT) { /* reader entries held by consumers awaiting collection */
        lua_gc(L, LUA_GCCOLLECT);
        st = tipc_consumer_get(c, area, bytes, (uint32_t)count, flags, infos);
    }
    if (st == TIPC_OK) {
        uint32_t newest = (flags & TIPC_READ_OLDEST_FIRST) ? (uint32_t)count - 1 : 0;
        v->index = infos[newest].index;
        v->timestamp_ns = infos[newest].timestamp_ns;
    }
    if (infos != info)
        free(infos);
    if (st) {
        v->released = 1;
        return fail_status(L, st);
    }
    for (uint32_t i = 0; i < (uint32_t)count; i++)
        v->frames[i] = area + i * fb;
    return 1;
}

int tipc_lua_loan(lua_State *L)
{
    tipc_producer *p = tipc_lua_check_producer(L, 1);
    void *data = NULL;
    tipc_status st = tipc_producer_loan(p, &data, NULL);
    if (st)
        return view_fail(L, "%s", tipc_last_error());
    View *v = view_new(L, tipc_producer_metadata(p), 1, VIEW_LOAN, 0);
    v->frames[0] = data;
    v->writable = 1;
    v->index = tipc_producer_frames_written(p);
    lua_pushvalue(L, 1); /* the producer stays alive while its loan view does */
    lua_setiuservalue(L, -2, 1);
    return 1;
}

/* Convert the source at idx (table, nested tables, or View) into dst, which
 * holds n elements of dtype dt. Raises on the first bad value; dst may then be
 * partly written, so callers convert into scratch memory first. */
static void fill_from(lua_State *L, int idx, tipc_dtype dt, size_t esize, char *dst, size_t n,
                      const char *pool);

static size_t fill_table(lua_State *L, int idx, tipc_dtype dt, size_t esize, char *dst,
                         size_t n, size_t at, const char *pool)
{
    lua_Integer len = (lua_Integer)lua_rawlen(L, idx);
    for (lua_Integer k = 1; k <= len; k++) {
        lua_rawgeti(L, idx, k);
        int complex_pair = 0;
        if ((dt == TIPC_DTYPE_COMPLEX64 || dt == TIPC_DTYPE_COMPLEX128) && lua_istable(L, -1)) {
            complex_pair = lua_getfield(L, -1, "re") != LUA_TNIL;
            lua_pop(L, 1);
        }
        if (lua_istable(L, -1) && !complex_pair) {
            at = fill_table(L, lua_gettop(L), dt, esize, dst, n, at, pool);
        } else {
            const char *why = NULL;
            if (at >= n)
                view_fail(L, "pool '%s': too many values (a frame holds %d)", pool, (int)n);
            if (!check_elem(L, -1, dt, dst + at * esize, &why)) {
                if (lua_type(L, -1) == LUA_TNUMBER)
                    view_fail(L, "pool '%s': value %d (%s) %s for %s", pool, (int)at + 1,
                               lua_tostring(L, -1), why, tipc_dtype_name(dt));
                view_fail(L, "pool '%s': value %d (a %s) %s for %s", pool, (int)at + 1,
                           luaL_typename(L, -1), why, tipc_dtype_name(dt));
            }
            at++;
        }
        lua_pop(L, 1);
    }
    return at;
}

static void fill_from(lua_State *L, int idx, tipc_dtype dt, size_t esize, char *dst, size_t n,
                      const char *pool)
{
    idx = lua_absindex(L, idx);
    View *src = luaL_testudata(L, idx, VIEW_MT);
    if (src) {
        if (src->released)
            view_fail(L, "pool '%s': the source view was released", src->pool);
        if (total_elems(src) != n)
            view_fail(L, "pool '%s': source view has %d elements, the frame %d", pool,
                       (int)total_elems(src), (int)n);
        for (size_t i = 0; i < n; i++) {
            const char *p = elem_ptr(src, i);
            if (src->dtype == dt) {
                if (p)
                    memcpy(dst + i * esize, p, esize);
                else
                    memset(dst + i * esize, 0, esize);
                continue;
            }
            push_elem(L, src->dtype, p);
            const char *why = NULL;
            if (!check_elem(L, -1, dt, dst + i * esize, &why))
                view_fail(L, "pool '%s': value %d of the source view %s for %s", pool,
                           (int)i + 1, why, tipc_dtype_name(dt));
            lua_pop(L, 1);
        }
        return;
    }
    if (!lua_istable(L, idx))
        view_fail(L, "pool '%s': expected a table or a view, got a %s", pool,
                   luaL_typename(L, idx));
    size_t got = fill_table(L, idx, dt, esize, dst, n, 0, pool);
    if (got != n)
        view_fail(L, "pool '%s': %d values given, a frame holds %d", pool, (int)got, (int)n);
}

/* Scratch memory owned by a Lua userdata, so an error never leaks it. */
static char *scratch(lua_State *L, size_t bytes)
{
    return lua_newuserdatauv(L, bytes ? bytes : 1, 0);
}

int tipc_lua_put(lua_State *L)
{
    tipc_producer *p = tipc_lua_check_producer(L, 1);
    const tipc_metadata *md = tipc_producer_metadata(p);
    size_t fb = tipc_metadata_frame_bytes(md), es = tipc_metadata_element_size(md);
    View *src = luaL_testudata(L, 2, VIEW_MT);
    const void *data;
    if (src && !src->released && src->nframes == 1 && src->dtype == tipc_metadata_dtype(md) &&
        src->frame_elems * src->esize == fb && src->frames[0]) {
        data = src->frames[0]; /* same layout: one copy, straight from the view */
    } else {
        char *buf = scratch(L, fb);
        fill_from(L, 2, tipc_metadata_dtype(md), es, buf, fb / es, tipc_metadata_name(md));
        data = buf;
    }
    uint64_t index = 0;
    if (tipc_producer_put(p, data, fb, &index))
        return view_fail(L, "%s", tipc_last_error());
    lua_pushinteger(L, (lua_Integer)index);
    return 1;
}

/* wait(consumer, timeout_ns) -> true, or nil + message on timeout / no producer. */
int tipc_lua_wait(lua_State *L)
{
    tipc_consumer *c = tipc_lua_check_consumer(L, 1);
    tipc_status st = tipc_consumer_wait(c, (int64_t)luaL_optinteger(L, 2, TIPC_TIMEOUT_INFINITE));
    if (st == TIPC_OK) {
        lua_pushboolean(L, 1);
        return 1;
    }
    if (st == TIPC_E_TIMEOUT) {
        lua_pushnil(L);
        lua_pushstring(L, tipc_last_error());
        return 2;
    }
    return fail_status(L, st);
}

/* latest_index(consumer) -> integer, or nil + message while nothing to read. */
int tipc_lua_latest_index(lua_State *L)
{
    uint64_t index = 0;
    tipc_status st = tipc_consumer_latest_index(tipc_lua_check_consumer(L, 1), &index);
    if (st)
        return fail_status(L, st);
    lua_pushinteger(L, (lua_Integer)index);
    return 1;
}

/* connect(consumer) -> true, or nil + message while there is no producer. */
int tipc_lua_connect(lua_State *L)
{
    tipc_status st = tipc_consumer_connect(tipc_lua_check_consumer(L, 1));
    if (st)
        return fail_status(L, st);
    lua_pushboolean(L, 1);
    return 1;
}

/* sleep(seconds): simulators pace their loops; Lua has no sleep of its own. */
int tipc_lua_sleep(lua_State *L)
{
    if (lua_type(L, 1) != LUA_TNUMBER) /* no numeric strings */
        return luaL_error(L, "sleep: %s is not a number of seconds", luaL_typename(L, 1));
    lua_Number s = lua_tonumber(L, 1);
    if (!isfinite(s) || s >= 9.2e18)
        return luaL_error(L, "sleep: %f is not a finite number of seconds", s);
    if (s > 0) {
        struct timespec ts = {(time_t)s, (long)((s - floor(s)) * 1e9)};
        if (ts.tv_nsec > 999999999)
            ts.tv_nsec = 999999999;
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
            ;
    }
    return 0;
}

/* ------------------------------------------------------------ metamethods */

static int view_len(lua_State *L)
{
    View *v = check_view(L, 1);
    lua_pushinteger(L, (lua_Integer)total_elems(v));
    return 1;
}

static int view_index(lua_State *L)
{
    if (lua_type(L, 2) == LUA_TSTRING) { /* methods */
        lua_getmetatable(L, 1);
        lua_getfield(L, -1, "__methods");
        lua_pushvalue(L, 2);
        lua_rawget(L, -2);
        return 1;
    }
    View *v = check_view(L, 1);
    lua_Integer i = luaL_checkinteger(L, 2);
    if (i < 1 || (size_t)i > total_elems(v))
        return view_fail(L, "pool '%s': index %d is outside 1..%d", v->pool, (int)i,
                          (int)total_elems(v));
    push_elem(L, v->dtype, elem_ptr(v, (size_t)i - 1));
    return 1;
}

static int view_newindex(lua_State *L)
{
    View *v = check_view(L, 1);
    if (!v->writable)
        return view_fail(L, "pool '%s': frames read by a consumer are read-only", v->pool);
    lua_Integer i = luaL_checkinteger(L, 2);
    if (i < 1 || (size_t)i > total_elems(v))
        return view_fail(L, "pool '%s': index %d is outside 1..%d", v->pool, (int)i,
                          (int)total_elems(v));
    char tmp[16];
    const char *why = NULL;
    if (!check_elem(L, 3, v->dtype, tmp, &why))
        return view_fail(L, "pool '%s': value %s for %s", v->pool, why,
                          tipc_dtype_name(v->dtype));
    memcpy(elem_ptr(v, (size_t)i - 1), tmp, v->esize);
    return 0;
}

/* Give the frames back; the userdata stays (reads then raise). */
static void view_close(View *v)
{
    if (v->released)
        return;
    v->released = 1;
    if (v->kind == VIEW_HELD && v->held)
        tipc_view_unhold(v->held);
}

static int view_gc(lua_State *L)
{
    View *v = luaL_checkudata(L, 1, VIEW_MT);
    v->released = 1;
    if (v->kind == VIEW_HELD && v->held) {
        tipc_view_release(v->held);
        v->held = NULL;
    }
    return 0;
}

static int view_release(lua_State *L)
{
    view_close(luaL_checkudata(L, 1, VIEW_MT));
    return 0;
}

static int view_at(lua_State *L)
{
    View *v = check_view(L, 1);
    int n = lua_gettop(L) - 1;
    if (n != v->ndim)
        return view_fail(L, "pool '%s': at() needs %d indices, got %d", v->pool, v->ndim, n);
    size_t flat = 0;
    for (int d = 0; d < v->ndim; d++) {
        lua_Integer i = luaL_checkinteger(L, d + 2);
        if (i < 1 || i > v->shape[d])
            return view_fail(L, "pool '%s': index %d of axis %d is outside 1..%d", v->pool,
                              (int)i, d + 1, (int)v->shape[d]);
        flat = flat * (size_t)v->shape[d] + (size_t)(i - 1);
    }
    push_elem(L, v->dtype, elem_ptr(v, flat));
    return 1;
}

static int view_shape(lua_State *L)
{
    View *v = check_view(L, 1);
    lua_createtable(L, v->ndim, 0);
    for (int d = 0; d < v->ndim; d++) {
        lua_pushinteger(L, (lua_Integer)v->shape[d]);
        lua_rawseti(L, -2, d + 1);
    }
    return 1;
}

static int view_dtype(lua_State *L)
{
    lua_pushstring(L, tipc_dtype_name(check_view(L, 1)->dtype));
    return 1;
}

static int view_frame_index(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)check_view(L, 1)->index);
    return 1;
}

static int view_timestamp(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)check_view(L, 1)->timestamp_ns);
    return 1;
}

static size_t build_table(lua_State *L, View *v, int d, size_t flat)
{
    lua_createtable(L, (int)v->shape[d], 0);
    for (int64_t i = 0; i < v->shape[d]; i++) {
        if (d == v->ndim - 1)
            push_elem(L, v->dtype, elem_ptr(v, flat++));
        else
            flat = build_table(L, v, d + 1, flat);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return flat;
}

static int view_totable(lua_State *L)
{
    View *v = check_view(L, 1);
    if (v->ndim == 0) { /* one scalar per frame */
        push_elem(L, v->dtype, elem_ptr(v, 0));
        return 1;
    }
    build_table(L, v, 0, 0);
    return 1;
}

static int view_copy_from(lua_State *L)
{
    View *v = check_view(L, 1);
    if (!v->writable)
        return view_fail(L, "pool '%s': frames read by a consumer are read-only", v->pool);
    size_t n = total_elems(v);
    char *buf = scratch(L, n * v->esize); /* all or nothing */
    fill_from(L, 2, v->dtype, v->esize, buf, n, v->pool);
    memcpy(v->frames[0], buf, n * v->esize);
    return 0;
}

static int view_tostring(lua_State *L)
{
    View *v = luaL_checkudata(L, 1, VIEW_MT);
    char shape[128];
    size_t k = (size_t)snprintf(shape, sizeof shape, "(");
    for (int d = 0; d < v->ndim && k < sizeof shape; d++)
        k += (size_t)snprintf(shape + k, sizeof shape - k, "%s%lld", d ? "," : "",
                              (long long)v->shape[d]);
    if (k < sizeof shape)
        snprintf(shape + k, sizeof shape - k, ")");
    lua_pushfstring(L, "tensor_ipc.View(pool '%s', %s %s, frame %I%s%s)", v->pool,
                    tipc_dtype_name(v->dtype), shape, (lua_Integer)v->index,
                    v->writable ? ", writable" : "", v->released ? ", released" : "");
    return 1;
}

void tipc_lua_view_register(lua_State *L)
{
    static const luaL_Reg meta[] = {
        {"__len", view_len},       {"__index", view_index}, {"__newindex", view_newindex},
        {"__gc", view_gc},         {"__close", view_release}, {"__tostring", view_tostring},
        {NULL, NULL},
    };
    static const luaL_Reg methods[] = {
        {"at", view_at},           {"shape", view_shape},         {"dtype", view_dtype},
        {"totable", view_totable}, {"copy_from", view_copy_from}, {"release", view_release},
        {"index", view_frame_index}, {"timestamp_ns", view_timestamp}, {NULL, NULL},
    };
    if (luaL_newmetatable(L, VIEW_MT)) {
        luaL_setfuncs(L, meta, 0);
        luaL_newlib(L, methods);
        lua_setfield(L, -2, "__methods");
    }
    lua_pop(L, 1);
}
