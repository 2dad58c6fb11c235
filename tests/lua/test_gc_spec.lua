-- Garbage collection: 100,000 reads leave no extra mapping of the pool in
-- /proc/self/maps, no held frame and no Lua memory behind once collected.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
package.path = here .. "?.lua;" .. package.path
local H = require("tipc_test_helpers")
local tipc = require("tensor_ipc")

local N = 100000

local function open(extra)
  local name = H.name("gc")
  local opts = { name = name, shape = { 4, 4 }, dtype = "float32", history_len = 2 }
  local popts = { put_timeout = 0.05 }
  for k, v in pairs(opts) do popts[k] = v end
  for k, v in pairs(extra or {}) do popts[k] = v end
  local p = tipc.producer(popts)
  local c = tipc.consumer(opts)
  p:put(H.filled(16, function(i) return i end))
  assert.is_truthy(c:get()) -- connected: the consumer's mapping exists
  H.gc()
  return p, c, name
end

describe("garbage collection", function()
  after_each(function() H.assert_no_leftovers() end)

  it("100,000 get() views leave no mapping or memory behind", function()
    local p, c, name = open()
    local maps0 = H.maps_count(name)
    assert.is_true(maps0 >= 2, "producer and consumer map the pool: " .. maps0)
    local mem0 = collectgarbage("count")
    local sum = 0
    for i = 1, N do
      local v = c:get()
      sum = sum + v[16]
      if i % 10000 == 0 then p:put(H.filled(16, function(j) return j end)) end
    end
    assert.are.equal(16 * N, sum)
    H.gc()
    assert.are.equal(maps0, H.maps_count(name))
    assert.is_true(collectgarbage("count") - mem0 < 256, "Lua memory grew by "
      .. (collectgarbage("count") - mem0) .. " KiB")
    c:close(); p:close()
    H.gc()
    assert.are.equal(0, H.maps_count(name))
  end)

  it("100,000 get{as_table=true} and history reads leave nothing behind", function()
    local p, c, name = open()
    local maps0 = H.maps_count(name)
    local mem0 = collectgarbage("count")
    for _ = 1, N do
      local t = c:get{ as_table = true }
      assert(t[4][4] == 16)
    end
    for _ = 1, N // 10 do
      local v = c:get{ history_len = 2 }
      assert(#v == 32)
    end
    H.gc()
    assert.are.equal(maps0, H.maps_count(name))
    assert.is_true(collectgarbage("count") - mem0 < 256)
    c:close(); p:close()
  end)

  it("100,000 acquire() views dropped without release are released by __gc", function()
    local p, c, name = open()
    local maps0 = H.maps_count(name)
    local mem0 = collectgarbage("count")
    for _ = 1, N do
      local v = c:acquire()
      assert(v[1] == 1)
    end
    H.gc()
    assert.are.equal(maps0, H.maps_count(name))
    assert.is_true(collectgarbage("count") - mem0 < 256)
    -- nothing is held any more: both slots can be overwritten at once
    assert.are.equal(1, p:put(H.filled(16, function() return 2 end)))
    assert.are.equal(2, p:put(H.filled(16, function() return 3 end)))
    assert.are.equal(3, c:get()[1])
    c:close(); p:close()
  end)

  it("views that outlived their consumer unmap when collected", function()
    local p, c, name = open()
    local keep = {}
    for i = 1, 100 do keep[i] = c:acquire() end
    c:close()
    H.gc()
    assert.is_true(H.maps_count(name) >= 2, "held views keep the consumer's mapping")
    assert.are.equal(1.0, keep[100][1])
    keep = nil -- luacheck: ignore
    H.gc()
    assert.are.equal(1, H.maps_count(name), "only the producer's mapping is left")
    p:close()
    H.gc()
    assert.are.equal(0, H.maps_count(name))
  end)

  it("consumers created and closed 1,000 times leave no mapping behind", function()
    local p, c0, name = open()
    c0:close()
    H.gc()
    local maps0 = H.maps_count(name)
    for _ = 1, 1000 do
      local c = tipc.consumer{ name = name, shape = { 4, 4 }, dtype = "float32", history_len = 2 }
      assert(c:get()[1] == 1)
      c:close()
    end
    H.gc()
    assert.are.equal(maps0, H.maps_count(name))
    p:close()
  end)

  it("consumers dropped without close() are reclaimed by __gc (mappings and reader entries)", function()
    local p, c0, name = open()
    c0:close()
    H.gc()
    local maps0 = H.maps_count(name)
    local function batch(n)
      for _ = 1, n do
        local c = tipc.consumer{ name = name, shape = { 4, 4 }, dtype = "float32", history_len = 2 }
        assert(c:get()[1] == 1)
      end
    end
    -- 40 at a time stays below the pool's 64 reader entries; after each
    -- collection they are all free again, so 25 batches (1,000 consumers) fit
    for _ = 1, 25 do
      batch(40)
      H.gc()
      assert.are.equal(maps0, H.maps_count(name))
    end
    p:close()
  end)
end)
