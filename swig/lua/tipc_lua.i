/* Lua part of tensor_ipc.i: status -> Lua error, integer typemaps, shapes. */

%{
#include <lauxlib.h>

#include "tipc_lua_view.h"

#define TIPC_SWIG_RAISE(status) lua_pushstring(L, tipc_last_error())
%}

/* Lua 5.4 has 64-bit integers: counters, indices and sizes come back as
 * integers, not floats (SWIG's default Lua typemaps push numbers). */
%typemap(out) uint64_t, int64_t, uint32_t, int32_t, size_t, int, unsigned int
%{ lua_pushinteger(L, (lua_Integer)$1); SWIG_arg++; %}

%typemap(in, checkfn="lua_isnumber") uint64_t, int64_t, uint32_t, int32_t, size_t, int,
                                     unsigned int
%{ {
    int isint_ = 0;
    lua_Integer v_ = lua_tointegerx(L, $input, &isint_);
    if (!isint_) {
        lua_pushfstring(L, "argument %d must be an integer", $argnum);
        SWIG_fail;
    }
    $1 = ($1_ltype)v_;
} %}

/* A shape: a sequence table of integers ({} for one scalar per frame). */
%typemap(in, checkfn="lua_istable") (const int64_t *dims, size_t ndim)
    (int64_t buf[TIPC_MAX_DIMS + 1]) {
    lua_Integer n_ = (lua_Integer)lua_rawlen(L, $input);
    /* More than TIPC_MAX_DIMS: the library refuses the count (with the pool's
     * name) before it reads any dimension, so only the first ones are kept. */
    for (lua_Integer i_ = 0; i_ < n_ && i_ < TIPC_MAX_DIMS; i_++) {
        int isint_ = 0;
        lua_rawgeti(L, $input, i_ + 1);
        buf[i_] = (int64_t)lua_tointegerx(L, -1, &isint_);
        lua_pop(L, 1);
        if (!isint_) {
            lua_pushfstring(L, "shape[%d] must be an integer", (int)i_ + 1);
            SWIG_fail;
        }
    }
    $1 = ($1_ltype)buf;
    $2 = (size_t)n_;
}

%init %{
    tipc_lua_view_register(L);
%}
