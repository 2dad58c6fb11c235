-- Lua and Python in separate processes on the same pools: a Lua producer read
-- by a Python consumer (every dtype, history, a live stream), and a Python
-- producer read by a Lua consumer created before it.
-- Needs PYTHONPATH with the built package (CTest sets it) and TIPC_TEST_PYTHON.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
package.path = here .. "?.lua;" .. package.path
local H = require("tipc_test_helpers")
local CASES = require("tipc_dtype_cases")
local tipc = require("tensor_ipc")

local PEER = H.dir .. "py_peer.py"

local function py(args)
  local words = { H.child_env(), H.q(H.python), H.q(PEER) }
  for _, a in ipairs(args) do words[#words + 1] = H.q(a) end
  return table.concat(words, " ")
end

-- Run a `read` peer to completion and load the Lua chunk it prints.
local function py_read(name, shape, dtype, history)
  local out = H.tmp()
  local h = H.spawn(py({ "read", name, table.concat(shape, ","), dtype, tostring(history) }), out, 60)
  local rc, text = H.finish(h)
  assert.are.equal(0, rc, "py_peer read failed: " .. text)
  local chunk = assert(load(text, "py_peer output", "t", { math = math }))
  return chunk(), text
end

local function file_has(path, pattern)
  return H.read_file(path):find(pattern) ~= nil
end

describe("Lua <-> Python", function()
  after_each(function()
    H.cleanup_tmp()
    H.assert_no_leftovers()
  end)

  it("a Python consumer reads a Lua producer's frames of every dtype, with history", function()
    for _, case in ipairs(CASES) do
      local n = #case.ok
      local name = H.name("py-" .. case.dtype)
      local opts = { name = name, shape = { n }, dtype = case.dtype, history_len = 3 }
      local p = tipc.producer(opts)
      local c = tipc.consumer(opts)
      local fwd, rev = {}, {}
      for i, pair in ipairs(case.ok) do
        fwd[i] = pair[1]
        rev[n + 1 - i] = pair[1]
      end
      p:put(fwd)
      p:put(rev)
      local mine = c:get{ history_len = 3 }
      local theirs = py_read(name, { n }, case.dtype, 3)
      assert.are.equal(case.dtype, theirs.dtype)
      assert.are.equal(1, theirs.index)
      assert.are.equal(mine:index(), theirs.index)
      assert.are.equal(mine:timestamp_ns(), theirs.timestamp_ns)
      local t = mine:totable()
      for f = 1, 3 do
        for i = 1, n do
          local what = ("%s frame %d value %d"):format(case.dtype, f, i)
          -- Python sees what Lua wrote ...
          local want
          if f == 1 then want = case.ok[n + 1 - i][2]
          elseif f == 2 then want = case.ok[i][2]
          end
          if want ~= nil then
            -- bool reads as Python bool, integers exact; the expected value in Lua terms
            H.same_value(case.dtype, want, theirs.data[f][i], what .. " (python)")
          else
            -- ... and zero padding for the frame never written
            local zero = theirs.data[f][i]
            if type(zero) == "table" then
              assert.are.same({ re = 0.0, im = 0.0 }, zero, what)
            elseif type(zero) == "boolean" then
              assert.is_false(zero, what)
            else
              assert.are.equal(0, zero, what)
            end
          end
          -- and Lua reads the same thing back
          H.same_value(case.dtype, theirs.data[f][i], t[f][i], what .. " (lua vs python)")
        end
      end
      c:close(); p:close()
    end
  end)

  it("a Python consumer follows a live Lua producer frame by frame", function()
    local name = H.name("py-stream")
    local p = tipc.producer{ name = name, shape = { 2, 3 }, dtype = "float32", history_len = 2 }
    p:put(H.filled(6, function() return 0 end))
    local out = H.tmp()
    local LAST = 20
    local h = H.spawn(py({ "stream", name, "2,3", "float32", "2", tostring(LAST) }), out, 60)
    H.wait_until(function() return file_has(out, "ready") or file_has(out, "error") end, 30,
                 "the Python consumer to connect")
    assert.is_false(file_has(out, "error"), H.read_file(out))
    for k = 1, LAST do
      local idx = p:put({ { k, k, k }, { k, k, k } })
      H.wait_until(function() return file_has(out, "\ngot " .. idx .. " " .. k .. "\n") end, 10,
                   "python to report frame " .. idx)
    end
    local rc, text = H.finish(h)
    assert.are.equal(0, rc, text)
    assert.is_nil(text:find("torn", 1, true), text)
    local n = 0
    for _ in text:gmatch("\ngot %d+ %d+") do n = n + 1 end
    assert.is_true(n >= LAST, text)
    p:close()
  end)

  it("a Lua consumer created first reads a Python producer, then sees it leave", function()
    local name = H.name("from-py")
    local big = H.name("from-py-i64")
    local c = tipc.consumer{ name = name, shape = { 2, 3 }, dtype = "float32", history_len = 2 }
    local ci = tipc.consumer{ name = big, shape = { 3 }, dtype = "int64", history_len = 2 }
    local v, msg = c:get()
    assert.is_nil(v)
    assert.is_string(msg)
    assert.truthy(msg:find(name, 1, true), msg)
    assert.is_false(c:connected())

    local stop = H.tmp()
    os.remove(stop)
    local out1, out2 = H.tmp(), H.tmp()
    local h1 = H.spawn(py({ "produce", name, "2,3", "float32", "2", stop }), out1, 90)
    local h2 = H.spawn(py({ "produce", big, "3", "int64", "2", stop }), out2, 90)
    local ok, err = pcall(function()
      v = H.wait_until(function() return c:get() end, 30, "the Python producer's first frame")
      assert.are.same({ 2, 3 }, v:shape())
      assert.are.equal("float32", v:dtype())
      local idx = v:index()
      assert.are.equal("integer", math.type(idx))
      for i = 1, 6 do assert.are.equal(idx + 0.0, v[i]) end -- frame k holds k
      assert.is_true(c:wait(5))
      local w = c:get()
      assert.is_true(w:index() > idx)
      assert.are.equal(w:index() + 0.0, w:at(2, 3))
      -- int64 values beyond 2^53 arrive exact, as integers
      local x = H.wait_until(function() return ci:get() end, 30, "the int64 producer")
      local k = x:index()
      assert.are.equal("integer", math.type(x[1]))
      assert.are.equal((1 << 62) + k, x[1])
      assert.are.equal(-(1 << 62) - k, x[2])
      assert.are.equal(k, x[3])
      local hist = ci:get{ history_len = 2, as_table = true }
      assert.is_true(hist[1][1] > hist[2][1] or hist[2][1] == 0)
    end)
    H.touch(stop)
    local rc1, text1 = H.finish(h1)
    local rc2, text2 = H.finish(h2)
    assert(ok, err)
    assert.are.equal(0, rc1, text1)
    assert.are.equal(0, rc2, text2)
    assert.truthy(text1:find("done %d+"), text1)
    -- the producer closed: reads say so again
    H.wait_until(function() return c:get() == nil end, 10, "the consumer to see the producer leave")
    v, msg = c:get()
    assert.is_nil(v)
    assert.is_string(msg)
    c:close(); ci:close()
  end)

  it("a Lua consumer attaching by name waits for a Python producer started after it", function()
    local name = H.name("byname")
    local none, msg = tipc.consumer_from_pool{ name = name, timeout = 0 }
    assert.is_nil(none)
    assert.truthy(msg:find("no producer of '" .. name .. "'", 1, true), msg)
    local stop = H.tmp()
    os.remove(stop)
    local out = H.tmp()
    local h = H.spawn(py({ "produce", name, "4,2", "int16", "3", stop }), out, 90)
    local ok, err = pcall(function()
      local c = assert(tipc.consumer_from_pool{ name = name, timeout = 30 })
      assert.truthy(tostring(c):find("int16 (4,2) numpy history 3", 1, true), tostring(c))
      local v = H.wait_until(function() return c:get() end, 30, "the Python producer's frame")
      assert.are.same({ 4, 2 }, v:shape())
      assert.are.equal(v:index(), v:at(4, 2)) -- frame k holds k
      c:close()
    end)
    H.touch(stop)
    local rc, text = H.finish(h)
    assert(ok, err)
    assert.are.equal(0, rc, text)
  end)
end)
