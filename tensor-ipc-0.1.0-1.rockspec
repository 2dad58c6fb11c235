-- The Lua module through LuaRocks: `luarocks make` from the repository root
-- (add `--tree DIR` or `--local`) builds the project's CMake build (the
-- library and the Lua binding only) and installs tensor_ipc.lua, the C
-- module tensor_ipc_core and, beside it, libtensor_ipc (TIPC_LUA_ROCK).
-- Needs a C compiler, CMake >= 3.18, SWIG >= 4, Cyclone DDS and Lua 5.4's
-- headers (Debian 12: build-essential cmake swig cyclonedds-dev
-- liblua5.4-dev). The version is TIPC_VERSION_STRING of
-- c/include/tensor_ipc.h (tests/packaging/luarocks_check.sh checks it).
rockspec_format = "3.0"
package = "tensor-ipc"
version = "0.1.0-1"
source = {
   url = "git+file://.",  -- `luarocks make` builds the checkout it runs in
}
description = {
   summary = "Zero-copy sharing of fixed-shape tensors between processes on one host",
   detailed = [[
One producer writes frames into a named pool (a ring in POSIX shared memory);
consumers in any process and language (C, Python, Lua) read the latest frame
or the last N. Discovery over Cyclone DDS.]],
   license = "Apache-2.0",
   maintainer = "tensor-ipc developers",
}
dependencies = {
   "lua >= 5.4, < 5.5",
}
build = {
   type = "cmake",
   variables = {
      CMAKE_BUILD_TYPE = "Release",
      CMAKE_INSTALL_PREFIX = "$(PREFIX)",
      TIPC_LUA_ROCK = "ON",
      TIPC_LUA_CMOD_DIR = "$(LIBDIR)",
      TIPC_LUA_LMOD_DIR = "$(LUADIR)",
      TIPC_PYTHON = "OFF",
      TIPC_EXAMPLES = "OFF",
      TIPC_BENCH = "OFF",
      BUILD_TESTING = "OFF",
      TIPC_WERROR = "OFF",
   },
}
