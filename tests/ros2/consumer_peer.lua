--- A Lua consumer in its own process, for test_ros2_dds.py.
--   lua5.4 consumer_peer.lua NAME SHAPE DTYPE HISTORY COUNT
-- Waits (deadline 20 s) until the pool has COUNT frames, then prints the
-- last COUNT frames oldest first, one line of space-separated values each,
-- and "done"; exit 3 on deadline.
local tipc = require("tensor_ipc")
local name, shape_s, dtype, history, count = table.unpack(arg, 1, 5)
local shape = {}
for d in shape_s:gmatch("%d+") do shape[#shape + 1] = math.tointeger(tonumber(d)) end
count = math.tointeger(tonumber(count))
local c = tipc.consumer{ name = name, shape = shape, dtype = dtype,
                         history_len = math.tointeger(tonumber(history)) }
local deadline = tipc.now_ns() + 20 * 1000000000
while tipc.now_ns() < deadline do
  local idx = c:latest_index()
  if idx and idx >= count - 1 then
    local t = c:get{ history_len = count, latest_first = false, as_table = true }
    for _, frame in ipairs(t) do
      local vals = {}
      for _, v in ipairs(frame) do vals[#vals + 1] = string.format("%.17g", v) end
      print(table.concat(vals, " "))
    end
    print("done")
    os.exit(0)
  end
  tipc.sleep(0.01)
end
os.exit(3)
