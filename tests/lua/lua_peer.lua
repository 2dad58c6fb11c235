--- A Lua producer in its own process, for tests/lua/test_process_spec.lua.
--
--   lua5.4 lua_peer.lua NAME SHAPE DTYPE HISTORY STOPFILE
--
-- Creates the producer, prints "ready PID", then puts frame k (every element
-- k, k = 0, 1, ...; frame k has index k) every 5 ms until STOPFILE exists (at most 60 s), closes
-- the pool and prints "done K". SHAPE is comma separated ("" for a scalar).
local tipc = require("tensor_ipc")

local name, shape_s, dtype, history, stopfile = table.unpack(arg, 1, 5)
local shape = {}
for d in (shape_s or ""):gmatch("%d+") do shape[#shape + 1] = math.tointeger(tonumber(d)) end
local n = 1
for _, d in ipairs(shape) do n = n * d end

local f = assert(io.open("/proc/self/stat"))
local pid = f:read("l"):match("^(%d+)")
f:close()

local p = tipc.producer{ name = name, shape = shape, dtype = dtype,
                         history_len = math.tointeger(tonumber(history)), put_timeout = 0.05 }
io.stdout:setvbuf("line")
print("ready " .. pid)

local function exists(path)
  local h = io.open(path, "r")
  if h then h:close() return true end
  return false
end

local deadline = tipc.now_ns() + 60 * 1000000000
local k = 0
local frame = {}
while not exists(stopfile) and tipc.now_ns() < deadline do
  for i = 1, n do frame[i] = k end
  -- a reader holding the slot makes put time out (the tests hold views on
  -- purpose); that frame is skipped, anything else is an error
  local ok, err = pcall(p.put, p, frame)
  if ok then
    k = k + 1
  elseif not tostring(err):find("timed out", 1, true) then
    error(err)
  end
  tipc.sleep(0.005)
end
p:close()
print("done " .. k)
