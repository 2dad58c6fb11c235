-- Lua producer and Lua consumer in separate processes: a consumer created
-- before its producer, views that outlive the producer's exit, a producer
-- killed with SIGKILL and a new one reclaiming the name.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
package.path = here .. "?.lua;" .. package.path
local H = require("tipc_test_helpers")
local tipc = require("tensor_ipc")

local PEER = H.dir .. "lua_peer.lua"

local function peer(name, shape, dtype, history, stop, out)
  local cmd = table.concat({ H.child_env(), H.q(H.lua), H.q(PEER), H.q(name), H.q(shape),
                             H.q(dtype), H.q(history), H.q(stop) }, " ")
  local h = H.spawn(cmd, out, 90)
  h.child = H.wait_until(function()
    return math.tointeger(tonumber(H.read_file(out):match("ready (%d+)")))
  end, 30, "the Lua producer process to start")
  return h
end

-- all elements of a frame equal: frames are never torn
local function uniform(v)
  local x = v[1]
  for i = 2, #v do if v[i] ~= x then return false end end
  return true
end

describe("Lua processes", function()
  after_each(function()
    H.cleanup_tmp()
    H.assert_no_leftovers()
  end)

  it("a consumer created before its producer: nil plus a message, then data", function()
    local name = H.name("proc")
    local c = tipc.consumer{ name = name, shape = { 4, 4 }, dtype = "float64", history_len = 4 }
    local v, msg = c:get()
    assert.is_nil(v)
    assert.truthy(msg:find(name, 1, true), msg)
    local ok
    ok, msg = c:wait(0.05)
    assert.is_nil(ok)
    assert.is_string(msg)

    local stop, out = H.tmp(), H.tmp()
    os.remove(stop)
    local h = peer(name, "4,4", "float64", "4", stop, out)
    local held
    local okrun, err = pcall(function()
      v = H.wait_until(function() return c:get() end, 30, "the first frame")
      assert.is_true(uniform(v))
      assert.are.equal(v:index() + 0.0, v[1]) -- frame k holds k
      -- newer frames keep coming, in order, never torn
      local last = v:index()
      for _ = 1, 20 do
        assert.is_true(c:wait(5))
        local w = c:get()
        assert.is_true(w:index() > last)
        assert.is_true(uniform(w))
        assert.are.equal(w:index() + 0.0, w[16])
        last = w:index()
      end
      local hist = c:get{ history_len = 4, latest_first = false }
      local t = hist:totable()
      assert.is_true(t[1][1][1] < t[4][1][1])
      held = c:acquire()
    end)
    H.touch(stop)
    local rc, text = H.finish(h)
    assert(okrun, err)
    assert.are.equal(0, rc, text)
    assert.truthy(text:find("done %d+"), text)
    -- the producer process is gone; the held view is still mapped and readable
    assert.is_true(uniform(held))
    assert.are.equal(held:index() + 0.0, held[1])
    held:release()
    H.wait_until(function() return c:get() == nil end, 10, "the consumer to see the producer leave")
    c:close()
  end)

  it("a producer killed with SIGKILL: reads stop, held views stay readable, a new producer takes over", function()
    local name = H.name("kill")
    local c = tipc.consumer{ name = name, shape = { 8 }, dtype = "int32", history_len = 8 }
    local stop, out = H.tmp(), H.tmp()
    os.remove(stop)
    local h = peer(name, "8", "int32", "8", stop, out)
    local v = H.wait_until(function() return c:get() end, 30, "the first frame")
    assert.is_true(uniform(v))
    local held = c:acquire{ history_len = 2 }
    H.signal(h.child, "KILL")
    local rc = H.finish(h)
    assert.are_not.equal(0, rc)
    -- reads report the dead producer (nil plus a message) within a deadline
    local _, msg = H.wait_until(function()
      local x, m = c:get()
      if x == nil then return true, m end
      return false
    end, 15, "the consumer to notice the dead producer")
    assert.is_string(msg)
    -- the frames held before the kill are still there
    local t = held:totable()
    assert.are.equal(8, #t[1])
    assert.is_true(t[1][1] >= t[2][1])
    held:release()
    -- a new producer (another process) reclaims the dead one's segment
    local stop2, out2 = H.tmp(), H.tmp()
    os.remove(stop2)
    local h2 = peer(name, "8", "int32", "8", stop2, out2)
    local w = H.wait_until(function() return c:get() end, 30, "the new producer's frames")
    assert.is_true(uniform(w))
    assert.are.equal(w:index(), w[1])
    H.touch(stop2)
    local rc2, text2 = H.finish(h2)
    assert.are.equal(0, rc2, text2)
    c:close()
  end)
end)
