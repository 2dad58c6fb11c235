/* tensor_ipc.View: a Lua userdata over one frame or a stack of frames, either
 * held in place in the pool (acquire), loaned from a producer (loan), or an
 * owned copy (get). Hand-written: SWIG's Lua wrappers cannot express views. */
#ifndef TIPC_LUA_VIEW_H
#define TIPC_LUA_VIEW_H

#include <lua.h>

#include "tensor_ipc.h"

/* Register the View metatable (call once from the module's init). */
void tipc_lua_view_register(lua_State *L);

/* Native functions exported by the SWIG module (see swig/lua/tipc_lua_extend.i). */
int tipc_lua_acquire(lua_State *L);   /* acquire(consumer, count, oldest_first) */
int tipc_lua_get(lua_State *L);       /* get(consumer, count, oldest_first, pad_fill) */
int tipc_lua_loan(lua_State *L);      /* loan(producer) -> writable view */
int tipc_lua_put(lua_State *L);       /* put(producer, table_or_view) -> index */
int tipc_lua_sleep(lua_State *L);     /* sleep(seconds) */
int tipc_lua_wait(lua_State *L);      /* wait(consumer, timeout_ns) */
int tipc_lua_latest_index(lua_State *L);
int tipc_lua_connect(lua_State *L);

/* Converters from the SWIG userdata to C handles; defined in the wrapper. */
tipc_consumer *tipc_lua_check_consumer(lua_State *L, int idx);
tipc_producer *tipc_lua_check_producer(lua_State *L, int idx);

#endif
