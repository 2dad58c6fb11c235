-- Lua and C in separate processes: a Lua producer read by the C `tipc echo`
-- consumer, and a C `tipc pub` producer read by a Lua consumer.
-- Needs TIPC_TEST_TIPC (the built `tipc` tool; CTest sets it).
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
package.path = here .. "?.lua;" .. package.path
local H = require("tipc_test_helpers")
local tipc = require("tensor_ipc")

local TOOL = H.tipc_tool

local function tool(args)
  local words = { H.child_env(), H.q(TOOL) }
  for _, a in ipairs(args) do words[#words + 1] = H.q(a) end
  return table.concat(words, " ")
end

-- echo's report of each frame: {index=, values=<text>}
local function echo_frames(text)
  local frames = {}
  for block in (text .. "\n---"):gmatch("(frame: .-)\n%-%-%-") do
    local idx = math.tointeger(tonumber(block:match("^frame: (%d+) ")))
    frames[#frames + 1] = { index = idx, header = block:match("^[^\n]*"),
                            values = block:match("\nvalues: ([^\n]*)") }
  end
  return frames
end

local function count(text, pattern)
  local n = 0
  for _ in text:gmatch(pattern) do n = n + 1 end
  return n
end

describe("Lua <-> C", function()
  after_each(function()
    H.cleanup_tmp()
    H.assert_no_leftovers()
  end)

  it("the tipc tool is available (TIPC_TEST_TIPC)", function()
    assert.is_string(TOOL, "TIPC_TEST_TIPC is not set")
    local f = io.open(TOOL, "r")
    assert.is_truthy(f, TOOL)
    f:close()
  end)

  it("`tipc echo` (C) prints the frames a Lua producer publishes", function()
    local K = 3
    local name = H.name("echo-f32")
    local big = H.name("echo-i64")
    local p = tipc.producer{ name = name, shape = { 2, 3 }, dtype = "float32", history_len = 4 }
    local q = tipc.producer{ name = big, shape = { 3 }, dtype = "int64", history_len = 4 }
    -- frame i: {i + 0.5, i, i, i, i, -i}; int64 frame i: {max - i, min + i, 2^53 + 1 + i}
    local function f32(i) return { { i + 0.5, i, i }, { i, i, -i } } end
    local function i64(i) return { math.maxinteger - i, math.mininteger + i, (1 << 53) + 1 + i } end
    local out1, out2 = H.tmp(), H.tmp()
    local h1 = H.spawn(tool({ "echo", name, "--count", tostring(K), "--wait", "20" }), out1, 60)
    local h2 = H.spawn(tool({ "echo", big, "--count", tostring(K), "--wait", "20" }), out2, 60)
    local i = 0
    H.wait_until(function()
      assert.are.equal(i, p:put(f32(i)))
      assert.are.equal(i, q:put(i64(i)))
      i = i + 1
      return count(H.read_file(out1), "\n%-%-%-") >= K and count(H.read_file(out2), "\n%-%-%-") >= K
    end, 40, "tipc echo to print " .. K .. " frames of each pool", 0.02)
    local rc1, text1 = H.finish(h1)
    local rc2, text2 = H.finish(h2)
    assert.are.equal(0, rc1, text1)
    assert.are.equal(0, rc2, text2)

    local frames = echo_frames(text1)
    assert.are.equal(K, #frames, text1)
    local last = -1
    for _, fr in ipairs(frames) do
      local k = fr.index
      assert.is_true(k > last and k < i, text1)
      last = k
      assert.truthy(fr.header:find("shape: (2,3)  dtype: float32", 1, true), fr.header)
      local expect = ("[[%g, %d, %d], [%d, %d, %d]]"):format(k + 0.5, k, k, k, k, -k)
      assert.are.equal(expect, fr.values, text1)
    end
    frames = echo_frames(text2)
    assert.are.equal(K, #frames, text2)
    for _, fr in ipairs(frames) do
      local k = fr.index
      local want = i64(k)
      assert.truthy(fr.header:find("shape: (3,)  dtype: int64", 1, true), fr.header)
      assert.are.equal(("[%d, %d, %d]"):format(want[1], want[2], want[3]), fr.values, text2)
    end
    q:close(); p:close()
  end)

  it("a Lua consumer created first reads `tipc pub` (C) frames of int32, float64 and bool", function()
    local pools = {
      { dtype = "int32", name = H.name("pub-i32"),
        check = function(v, k, i) return v == k + (i - 1) end },
      { dtype = "float64", name = H.name("pub-f64"),
        check = function(v, k, i) return math.abs(v - math.sin(0.1 * k + 0.25 * (i - 1))) < 1e-12 end },
      { dtype = "bool", name = H.name("pub-bool"),
        check = function(v, k, i) return v == ((k + i - 1) % 2 == 1) end },
    }
    local handles = {}
    for _, pl in ipairs(pools) do
      pl.c = tipc.consumer{ name = pl.name, shape = { 2, 3 }, dtype = pl.dtype, history_len = 4 }
      local v, msg = pl.c:get()
      assert.is_nil(v)
      assert.truthy(msg:find(pl.name, 1, true), msg)
      pl.out = H.tmp()
      handles[#handles + 1] = H.spawn(tool({ "pub", pl.name, "--shape", "2,3", "--dtype", pl.dtype,
                                             "--rate", "200", "--history", "4" }), pl.out, 60)
    end
    local ok, err = pcall(function()
      for _, pl in ipairs(pools) do
        local v = H.wait_until(function() return pl.c:get() end, 30, pl.dtype .. " frames from tipc pub")
        for _ = 1, 3 do
          local k = v:index()
          assert.are.equal("integer", math.type(k))
          for i = 1, 6 do
            assert.is_true(pl.check(v[i], k, i),
              ("%s frame %d element %d: %s"):format(pl.dtype, k, i, tostring(v[i])))
          end
          if pl.dtype == "int32" then assert.are.equal("integer", math.type(v[1])) end
          assert.is_true(pl.c:wait(5))
          local w = pl.c:get()
          assert.is_true(w:index() > k)
          v = w
        end
      end
    end)
    for _, h in ipairs(handles) do H.signal(h, "TERM") end
    local rcs = {}
    for n, h in ipairs(handles) do
      local rc, text = H.finish(h)
      rcs[n] = rc .. ": " .. text
    end
    assert(ok, err)
    for n = 1, #handles do assert.truthy(rcs[n]:match("^0: "), rcs[n]) end
    for _, pl in ipairs(pools) do
      H.wait_until(function() return pl.c:get() == nil end, 10, "the consumer to see tipc pub leave")
      pl.c:close()
    end
  end)
end)
