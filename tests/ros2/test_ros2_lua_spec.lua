--- The Lua facade's ROS 2 bridges against the independent peer
-- (peer_cdds.py: Cyclone DDS's Python binding with the ROS 2 type names)
-- and rosbags (cdr_tool.py). Env: TIPC_ROS2_PEER_PYTHON (the peer venv's
-- python), LUA_CPATH/LUA_PATH of the build tree, ROS_DOMAIN_ID (set by
-- CMake from TIPC_DOMAIN_ID, see CMakeLists.txt).
local tipc = require("tensor_ipc")

local here = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or "."
local py = assert(os.getenv("TIPC_ROS2_PEER_PYTHON"), "TIPC_ROS2_PEER_PYTHON is not set")
local tmp = os.tmpname()
os.remove(tmp)
assert(os.execute("mkdir -p " .. tmp))
local n = 0
local function uniq(what)
  n = n + 1
  return string.format("ros2l_%s_%d_%d", what, tipc.now_ns() % 1000000007, n)
end

local function wait_until(cond, what, timeout)
  local deadline = tipc.now_ns() + (timeout or 20) * 1000000000
  while tipc.now_ns() < deadline do
    if cond() then return end
    tipc.sleep(0.01)
  end
  error("timed out waiting for " .. what, 2)
end

local function sh(cmd)
  local f = assert(io.popen(cmd))
  local out = f:read("a")
  local ok, _, rc = f:close()
  return out, ok and 0 or rc
end

describe("tensor_ipc ROS 2 bridges from Lua", function()
  it("lists the supported types", function()
    local types = tipc.ros2_types()
    assert.is_true(#types >= 20)
    local seen = {}
    for _, t in ipairs(types) do seen[t.name] = t end
    assert.equals("sensor_msgs::msg::dds_::Image_", seen["sensor_msgs/msg/Image"].dds_name)
    assert.truthy(seen["sensor_msgs/msg/JointState"].shapes:find("(N,)", 1, true))
  end)

  it("exports a Lua producer's frames to a ROS 2 subscriber", function()
    local name, topic = uniq("cam"), uniq("camera")
    local p = tipc.producer{ name = name, shape = {2, 3, 3}, dtype = "uint8", history_len = 2 }
    local b = tipc.ros2_export{ producer = p, topic = topic, frame_id = "sim", manual = true }
    assert.equals("sensor_msgs/msg/Image", b:type())
    p:put({ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 })
    assert.equals(0, b:poll(0)) -- no reader: nothing sent
    assert.equals(0, b:stats().frames)
    local out = tmp .. "/" .. topic .. ".json"
    local peer = io.popen(string.format("%s %s/peer_cdds.py sub sensor_msgs/msg/Image %s %s 1",
                                        py, here, topic, out))
    assert.equals("ready", peer:read("l"))
    wait_until(function() return b:stats().matched == 1 end, "the peer's reader")
    assert.equals("matched", peer:read("l")) -- and the peer's side of the match
    local frame = {}
    for i = 1, 18 do frame[i] = i * 10 end
    p:put(frame)
    assert.equals(1, b:poll(0))
    local ok = peer:close()
    assert.is_true(ok)
    local shown = sh(string.format("%s %s/cdr_tool.py show sensor_msgs/msg/Image %s", py, here, out))
    assert.truthy(shown:find('"height": 2, "width": 3, "encoding": "rgb8", "is_bigendian": 0, "step": 9', 1, true), shown)
    assert.truthy(shown:find('"frame_id": "sim"', 1, true), shown)
    assert.truthy(shown:find('"data": [10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150, 160, 170, 180]', 1, true), shown)
    local s = b:stats()
    assert.equals(1, s.frames)
    assert.equals(1, s.skipped)
    b:close()
    p:close()
  end)

  for _, manual in ipairs({ false, true }) do
    it("imports a ROS 2 topic into a pool a Lua consumer reads (manual=" .. tostring(manual) .. ")", function()
      local name, topic = uniq("js"), uniq("joints")
      local b = tipc.ros2_import{ topic = topic, name = name, type = "sensor_msgs/msg/JointState",
                                  shape = { 4 }, dtype = "float64", history_len = 4, manual = manual }
      local c = tipc.consumer{ name = name, shape = { 4 }, dtype = "float64", history_len = 4 }
      local input = tmp .. "/" .. topic .. ".json"
      local _, rc = sh(string.format("%s %s/cdr_tool.py jointstate %s 1500000000250000000 0.5,-1.25,2,1e300",
                                     py, here, input))
      assert.equals(0, rc)
      local go = input .. ".go"
      local pub = io.popen(string.format("%s %s/peer_cdds.py pub sensor_msgs/msg/JointState %s %s %s",
                                         py, here, topic, input, go))
      -- send once both sides matched: a volatile reader misses what came before
      assert.equals("matched", pub:read("l"))
      wait_until(function() return b:stats().matched == 1 end, "our reader to match the peer")
      assert(io.open(go, "w")):close()
      if manual then
        wait_until(function() b:poll(0.05) return b:stats().frames == 1 end, "the message")
      else
        wait_until(function() return b:stats().frames == 1 end, "the message")
      end
      assert.equals("done\n", pub:read("a"))
      assert.is_true(pub:close())
      local v = c:get{ block = true, timeout = 5 }
      assert.same({ 0.5, -1.25, 2, 1e300 }, v:totable())
      assert.equals(1500000000250000000, v:timestamp_ns())
      c:close()
      b:close()
    end)
  end

  it("refuses a pool the type cannot carry, with the library's sentence", function()
    local ok, err = pcall(tipc.ros2_export, { name = uniq("bad"), shape = { 5 }, dtype = "float32",
                                              topic = uniq("t"), type = "sensor_msgs/msg/Imu" })
    assert.is_false(ok)
    assert.truthy(tostring(err):find("Imu"), err)
  end)
end)
