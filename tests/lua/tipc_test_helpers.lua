--- Shared helpers of the Lua binding's busted specs (tests/lua/*_spec.lua).
--
-- * H.name(tag): a pool name unique to this process and call
--   ("luatest/<pid>/<tag>-0007"), so tests never share a pool.
-- * H.wait_until(fn, seconds, what): polls fn() with a deadline (no
--   sleep-and-hope); returns fn's values or raises naming `what`.
-- * H.shm_files(tag) / H.maps_count(shm): what this process left in /dev/shm
--   and how many of its mappings name a pool.
-- * H.spawn(cmd, out): runs a shell command concurrently (io.popen), its output
--   in the file `out`; H.finish(proc) waits for it and returns its exit status.
-- * H.lua, H.python, H.tipc: interpreters and tools for the process tests,
--   from the environment CTest sets (TIPC_TEST_LUA, TIPC_TEST_PYTHON,
--   TIPC_TEST_TIPC), with defaults for runs by hand.
--
-- Run by hand from the repository root:
--   export CYCLONEDDS_URI=file://$PWD/tests/cyclonedds-loopback.xml
--   export LUA_CPATH="<build>/bindings/lua/pkg/?.so;;" LUA_PATH="<build>/bindings/lua/pkg/?.lua;;"
--   export PYTHONPATH=<build>/bindings/python/pkg
--   lua5.4 /usr/bin/busted tests/lua/test_view_spec.lua
local tipc = require("tensor_ipc")

local H = {}

H.dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
H.tipc = tipc

local function read_pid()
  local f = assert(io.open("/proc/self/stat", "r"))
  local line = f:read("l")
  f:close()
  return math.tointeger(tonumber(line:match("^(%d+)")))
end

H.pid = read_pid()
H.lua = os.getenv("TIPC_TEST_LUA") or "lua5.4"
H.python = os.getenv("TIPC_TEST_PYTHON") or "/usr/bin/python3"
H.tipc_tool = os.getenv("TIPC_TEST_TIPC") -- nil when the CLI was not built
H.prefix = "luatest/" .. H.pid .. "/"
H.shm_prefix = "tipc.luatest." .. H.pid .. "."

local counter = 0

--- A pool name unique to this process: luatest/<pid>/<tag>-NNNN.
function H.name(tag)
  counter = counter + 1
  return string.format("%s%s-%04d", H.prefix, tag or "pool", counter)
end

--- /dev/shm name (without the leading '/') of a pool name.
function H.shm(name)
  return "tipc." .. name:gsub("/", ".")
end

--- Monotonic-enough wall clock in seconds (CLOCK_REALTIME from the library).
function H.now()
  return tipc.now_ns() / 1e9
end

--- Poll fn() every `step` seconds (default 2 ms) until it returns a truthy
-- first value; return all its values. Raise after `seconds`.
function H.wait_until(fn, seconds, what, step)
  local deadline = H.now() + (seconds or 10)
  while true do
    local r = table.pack(fn())
    if r[1] then return table.unpack(r, 1, r.n) end
    if H.now() > deadline then
      error(string.format("timed out after %.1f s waiting for %s", seconds or 10,
                          what or "a condition"), 2)
    end
    tipc.sleep(step or 0.002)
  end
end

--- Files of /dev/shm whose name starts with `prefix` (default: this process's pools).
function H.shm_files(prefix)
  prefix = prefix or H.shm_prefix
  local found = {}
  local p = assert(io.popen("ls -1 /dev/shm 2>/dev/null"))
  for line in p:lines() do
    if line:sub(1, #prefix) == prefix then found[#found + 1] = line end
  end
  p:close()
  return found
end

--- Remove this process's leftovers (after reporting them).
function H.remove_shm(files)
  for _, f in ipairs(files) do os.remove("/dev/shm/" .. f) end
end

--- Lines of /proc/self/maps that map the segment of pool `name`.
function H.maps_count(name)
  local shm = "/dev/shm/" .. H.shm(name)
  local n = 0
  for line in io.lines("/proc/self/maps") do
    local at = line:find(shm, 1, true)
    if at then
      local after = line:sub(at + #shm, at + #shm)
      if after == "" or after == " " or after == "~" then n = n + 1 end
    end
  end
  return n
end

--- Full collection, twice (userdata with __gc need two cycles).
function H.gc()
  collectgarbage("collect")
  collectgarbage("collect")
end

--- Quote one shell word.
function H.q(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

--- A temporary file name (removed by H.cleanup_tmp()).
local tmpfiles = {}
function H.tmp(tag)
  local f = os.tmpname()
  tmpfiles[#tmpfiles + 1] = f
  return f
end

function H.cleanup_tmp()
  for _, f in ipairs(tmpfiles) do os.remove(f) end
  tmpfiles = {}
end

function H.read_file(path)
  local f = io.open(path, "r")
  if not f then return "" end
  local s = f:read("a")
  f:close()
  return s
end

function H.touch(path)
  local f = assert(io.open(path, "w"))
  f:write("stop\n")
  f:close()
end

--- Run `cmd` (a shell command line) concurrently; its stdout and stderr go
-- to the file `out`. `limit` seconds (default 60) bound it with timeout(1),
-- so a hung peer can never hang the test. Returns a handle for H.finish and
-- H.signal (h.pid: the pid of timeout(1), which passes TERM/INT on).
function H.spawn(cmd, out, limit)
  local pidfile = H.tmp()
  local line = string.format("{ timeout -k 5 %d %s > %s 2>&1 & echo $! > %s; wait $!; echo \"rc=$?\"; } 2>/dev/null",
                             limit or 60, cmd, H.q(out), H.q(pidfile))
  local proc = assert(io.popen(line, "r"))
  local pid = H.wait_until(function()
    return math.tointeger(tonumber(H.read_file(pidfile):match("(%d+)")))
  end, 10, "the spawned command's pid")
  return { proc = proc, out = out, cmd = cmd, pid = pid }
end

--- Send a signal ("TERM", "INT", "KILL") to a spawned command or a pid.
function H.signal(h_or_pid, sig)
  local pid = type(h_or_pid) == "table" and h_or_pid.pid or h_or_pid
  return os.execute(string.format("kill -%s %d 2>/dev/null", sig or "TERM", pid))
end

--- Wait for a spawned command; returns its exit status (124 = timed out) and output.
function H.finish(h)
  if h.rc then return h.rc, H.read_file(h.out) end
  local text = h.proc:read("a") or ""
  h.proc:close()
  h.rc = math.tointeger(tonumber(text:match("rc=(%d+)"))) or -1
  return h.rc, H.read_file(h.out)
end

--- Environment prefix that carries this process's module paths to a child.
function H.child_env()
  local parts = {}
  for _, k in ipairs({ "LUA_CPATH", "LUA_PATH", "PYTHONPATH", "CYCLONEDDS_URI" }) do
    local v = os.getenv(k)
    if v then parts[#parts + 1] = k .. "=" .. H.q(v) end
  end
  return "env " .. table.concat(parts, " ")
end

--- Fill a flat table of n elements with f(i) (1-based).
function H.filled(n, f)
  local t = {}
  for i = 1, n do t[i] = f(i) end
  return t
end

--- Assert that no pool of this process is left in /dev/shm (after a full GC);
-- removes leftovers so one leak does not cascade into later tests.
function H.assert_no_leftovers()
  H.gc()
  local files = H.shm_files()
  H.remove_shm(files)
  assert(#files == 0, "left in /dev/shm: " .. table.concat(files, ", "))
end

local function assert_equal(want, got, what)
  if want ~= got then
    error(string.format("%s: expected %s (%s), got %s (%s)", what, tostring(want),
                        math.type(want) or type(want), tostring(got), math.type(got) or type(got)), 3)
  end
end

--- Assert that an element read back equals `want`: same Lua type and math.type,
-- NaN for NaN, the sign of zero, {re=, im=} for complex.
function H.same_value(dtype, want, got, what)
  if type(want) == "table" then
    assert_equal("table", type(got), what)
    H.same_value(dtype, want.re, got.re, what .. ".re")
    H.same_value(dtype, want.im, got.im, what .. ".im")
    return
  end
  assert_equal(type(want), type(got), what)
  if type(want) == "number" then
    if want ~= want then
      assert(got ~= got, what .. ": expected NaN, got " .. tostring(got))
    else
      assert_equal(want, got, what)
      assert_equal(math.type(want), math.type(got), what .. ": math.type")
      if want == 0 then assert_equal(1 / want, 1 / got, what .. ": sign of zero") end
    end
  else
    assert_equal(want, got, what)
  end
end

return H
