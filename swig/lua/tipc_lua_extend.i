/* Lua-only functions, hand-written in bindings/lua/src/tipc_lua_view.c. */

%wrapper %{
tipc_consumer *tipc_lua_check_consumer(lua_State *L, int idx)
{
    Consumer *c = NULL;
    if (!SWIG_IsOK(SWIG_ConvertPtr(L, idx, (void **)&c, SWIGTYPE_p_Consumer, 0)) || !c)
        luaL_error(L, "argument %d: expected an open Consumer", idx);
    return c;
}

tipc_producer *tipc_lua_check_producer(lua_State *L, int idx)
{
    Producer *p = NULL;
    if (!SWIG_IsOK(SWIG_ConvertPtr(L, idx, (void **)&p, SWIGTYPE_p_Producer, 0)) || !p)
        luaL_error(L, "argument %d: expected an open Producer", idx);
    return p;
}

/* close(obj): destroy a Producer, Consumer, Metadata or Ros2Bridge now instead of at
 * garbage collection. The userdata stays, emptied: later calls raise. */
static int tipc_lua_close(lua_State *L)
{
    swig_lua_userdata *u = (swig_lua_userdata *)lua_touserdata(L, 1);
    if (!u || !u->ptr)
        return 0;
    if (u->type == SWIGTYPE_p_Producer)
        tipc_producer_destroy((Producer *)u->ptr);
    else if (u->type == SWIGTYPE_p_Consumer)
        tipc_consumer_destroy((Consumer *)u->ptr);
    else if (u->type == SWIGTYPE_p_Metadata)
        tipc_metadata_destroy((Metadata *)u->ptr);
    else if (u->type == SWIGTYPE_p_Ros2Bridge)
        tipc_ros2_bridge_destroy((Ros2Bridge *)u->ptr);
    else
        return luaL_error(L, "close: not a tensor_ipc object");
    u->ptr = NULL;
    u->own = 0;
    return 0;
}
%}

%native(acquire) int tipc_lua_acquire(lua_State *L);
%native(get) int tipc_lua_get(lua_State *L);
%native(loan) int tipc_lua_loan(lua_State *L);
%native(put) int tipc_lua_put(lua_State *L);
%native(close) int tipc_lua_close(lua_State *L);
%native(sleep) int tipc_lua_sleep(lua_State *L);
%native(wait) int tipc_lua_wait(lua_State *L);
%native(latest_index) int tipc_lua_latest_index(lua_State *L);
%native(connect) int tipc_lua_connect(lua_State *L);
