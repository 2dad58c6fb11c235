-- The View userdata (bindings/lua/src/tipc_lua_view.c): length, 1-based
-- indexing, at(), shape(), dtype(), totable(), index(), timestamp_ns(),
-- release(), <close>, __gc and __tostring, on copies (get), held frames
-- (acquire) and loans.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
package.path = here .. "?.lua;" .. package.path
local H = require("tipc_test_helpers")
local tipc = require("tensor_ipc")

local function pool(shape, dtype, history_len, extra)
  local name = H.name("view")
  local popts = { name = name, shape = shape, dtype = dtype or "float64", history_len = history_len or 1 }
  for k, v in pairs(extra or {}) do popts[k] = v end
  local p = tipc.producer(popts)
  local c = tipc.consumer{ name = name, shape = shape, dtype = dtype or "float64",
                           history_len = history_len or 1 }
  return p, c
end

-- 2x3x4 frame holding 100*i + 10*j + k at (i, j, k), 1-based
local function cube()
  local t = {}
  for i = 1, 2 do
    t[i] = {}
    for j = 1, 3 do
      t[i][j] = {}
      for k = 1, 4 do t[i][j][k] = 100 * i + 10 * j + k end
    end
  end
  return t
end

describe("View", function()
  after_each(function() H.assert_no_leftovers() end)

  for _, how in ipairs({ "get", "acquire" }) do
    describe("from " .. how, function()
      it("has length, 1-based indexing in C order, at(), shape() and dtype()", function()
        local p, c = pool({ 2, 3, 4 }, "int32")
        p:put(cube())
        local v = c[how](c)
        assert.are.equal(24, #v)
        assert.are.equal(111, v[1])
        assert.are.equal(112, v[2])
        assert.are.equal(121, v[5])
        assert.are.equal(211, v[13])
        assert.are.equal(234, v[24])
        assert.are.equal("integer", math.type(v[24]))
        assert.are.equal(111, v:at(1, 1, 1))
        assert.are.equal(123, v:at(1, 2, 3))
        assert.are.equal(234, v:at(2, 3, 4))
        assert.are.equal(214, v:at(2, 1, 4))
        assert.are.same({ 2, 3, 4 }, v:shape())
        for _, d in ipairs(v:shape()) do assert.are.equal("integer", math.type(d)) end
        assert.are.equal("int32", v:dtype())
        if how == "acquire" then v:release() end
        c:close(); p:close()
      end)

      it("totable() gives nested plain tables", function()
        local p, c = pool({ 2, 3, 4 }, "int32")
        p:put(cube())
        local v = c[how](c)
        local t = v:totable()
        assert.are.same(cube(), t)
        assert.is_nil(getmetatable(t))
        assert.are.equal(2, #t); assert.are.equal(3, #t[1]); assert.are.equal(4, #t[1][1])
        -- a plain copy: changing it does not touch the view
        t[1][1][1] = -1
        assert.are.equal(111, v[1])
        if how == "acquire" then v:release() end
        c:close(); p:close()
      end)

      it("raises on indices outside the frame and on wrong at() arity", function()
        local p, c = pool({ 2, 3 }, "float32")
        p:put({ { 1, 2, 3 }, { 4, 5, 6 } })
        local v = c[how](c)
        assert.has_error(function() return v[0] end)
        assert.has_error(function() return v[7] end)
        assert.has_error(function() return v[-1] end)
        assert.has_error(function() return v[1.5] end)
        assert.has_error(function() return v:at(1) end)
        assert.has_error(function() return v:at(1, 2, 3) end)
        assert.has_error(function() return v:at(3, 1) end)
        assert.has_error(function() return v:at(1, 4) end)
        assert.has_error(function() return v:at(0, 1) end)
        assert.is_nil(v.no_such_method)
        if how == "acquire" then v:release() end
        c:close(); p:close()
      end)

      it("is read-only", function()
        local p, c = pool({ 3 }, "float64")
        p:put({ 1, 2, 3 })
        local v = c[how](c)
        assert.has_error(function() v[1] = 5 end)
        assert.has_error(function() v:copy_from({ 4, 5, 6 }) end)
        assert.are.same({ 1, 2, 3 }, v:totable())
        assert.are.same({ 1, 2, 3 }, c:get():totable())
        if how == "acquire" then v:release() end
        c:close(); p:close()
      end)

      it("carries the frame's integer index and timestamp", function()
        local p, c = pool({ 1 }, "float64", 2)
        p:put({ 0 })
        local before = tipc.now_ns()
        p:put({ 1 })
        local after = tipc.now_ns()
        local v = c[how](c)
        assert.are.equal("integer", math.type(v:index()))
        assert.are.equal(1, v:index())
        local ts = v:timestamp_ns()
        assert.are.equal("integer", math.type(ts))
        assert.is_true(ts >= before and ts <= after)
        if how == "acquire" then v:release() end
        c:close(); p:close()
      end)

      it("raises after release(); release is idempotent", function()
        local p, c = pool({ 3 }, "float64")
        p:put({ 1, 2, 3 })
        local v = c[how](c)
        v:release()
        v:release()
        assert.has_error(function() return v[1] end, "pool '" .. p.name .. "': the view was released")
        assert.has_error(function() return #v end)
        assert.has_error(function() v:totable() end)
        assert.has_error(function() v:shape() end)
        assert.has_error(function() v:dtype() end)
        assert.has_error(function() v:at(1) end)
        assert.has_error(function() v:index() end)
        assert.has_error(function() v:timestamp_ns() end)
        assert.truthy(tostring(v):find("released", 1, true))
        c:close(); p:close()
      end)

      it("one scalar per frame (shape {})", function()
        local p, c = pool({}, "int64")
        p:put({ 42 })
        local v = c[how](c)
        assert.are.equal(1, #v)
        assert.are.equal(42, v[1])
        assert.are.equal(42, v:at())
        assert.are.same({}, v:shape())
        assert.are.equal(42, v:totable())
        assert.are.equal("integer", math.type(v:totable()))
        if how == "acquire" then v:release() end
        c:close(); p:close()
      end)
    end)
  end

  it("__tostring names the pool, dtype, shape and frame", function()
    local p, c = pool({ 2, 3 }, "uint8")
    p:put({ 1, 2, 3, 4, 5, 6 })
    local v = c:get()
    assert.are.equal("tensor_ipc.View(pool '" .. p.name .. "', uint8 (2,3), frame 0)", tostring(v))
    c:close(); p:close()
  end)

  it("an acquired frame blocks put until released", function()
    local p, c = pool({ 2 }, "float64", 1, { put_timeout = 0.05 })
    p:put({ 1, 1 })
    local v = c:acquire()
    local ok, err = pcall(p.put, p, { 2, 2 })
    assert.is_false(ok)
    assert.truthy(tostring(err):find("timed out", 1, true), err)
    assert.are.equal(1, p:frames_written())
    assert.are.same({ 1, 1 }, v:totable()) -- not overwritten
    v:release()
    assert.are.equal(1, p:put({ 2, 2 }))
    c:close(); p:close()
  end)

  it("`local f <close> = consumer:acquire()` releases the frame at the end of the block", function()
    local p, c = pool({ 2 }, "float64", 1, { put_timeout = 0.05 })
    p:put({ 1, 1 })
    local outside
    do
      local f <close> = c:acquire()
      outside = f
      assert.are.same({ 1, 1 }, f:totable())
      assert.has_error(function() p:put({ 2, 2 }) end) -- held: put times out
      assert.are.equal(1, p:frames_written())
    end
    assert.are.equal(1, p:put({ 2, 2 }))              -- released by <close>
    assert.has_error(function() return outside[1] end) -- and spent
    -- <close> on an error path releases too
    local ok = pcall(function()
      local f <close> = c:acquire()
      error("boom")
    end)
    assert.is_false(ok)
    assert.are.equal(2, p:put({ 3, 3 }))
    -- <close> with nil (not connected) is allowed by Lua and harmless
    local q = tipc.consumer{ name = H.name("absent"), shape = { 2 }, dtype = "float64" }
    do
      local f <close>, msg = q:acquire()
      assert.is_nil(f); assert.is_string(msg)
    end
    q:close(); c:close(); p:close()
  end)

  it("__gc releases a held frame that was dropped without release()", function()
    local p, c = pool({ 2 }, "float64", 1, { put_timeout = 0.05 })
    p:put({ 1, 1 })
    local v = c:acquire()
    assert.has_error(function() p:put({ 2, 2 }) end)
    v = nil -- luacheck: ignore
    H.gc()
    assert.are.equal(1, p:put({ 2, 2 }))
    c:close(); p:close()
  end)

  it("get() copies never hold a frame", function()
    local p, c = pool({ 2 }, "float64", 1, { put_timeout = 0.05 })
    p:put({ 1, 1 })
    local keep = {}
    for i = 1, 10 do keep[i] = c:get() end
    assert.are.equal(1, p:put({ 2, 2 }))
    assert.are.same({ 1, 1 }, keep[10]:totable())
    c:close(); p:close()
  end)

  it("outlives its consumer: read after consumer:close() (and producer close)", function()
    local p, c = pool({ 4 }, "int16", 2)
    p:put({ 1, 2, 3, 4 })
    local held = c:acquire()
    local copy = c:get()
    local hist = c:acquire{ history_len = 2 }
    c:close()
    H.gc()
    assert.are.same({ 1, 2, 3, 4 }, held:totable())
    assert.are.equal(4, held:at(4))
    assert.are.same({ 1, 2, 3, 4 }, copy:totable())
    assert.are.same({ { 1, 2, 3, 4 }, { 0, 0, 0, 0 } }, hist:totable())
    p:close()
    H.gc()
    -- the segment is unlinked but stays mapped while the views live
    assert.are.same({}, H.shm_files())
    assert.is_true(H.maps_count(p.name) >= 1)
    assert.are.same({ 1, 2, 3, 4 }, held:totable())
    assert.are.equal(0, hist[8])
    held:release(); hist:release()
    held, hist = nil, nil -- luacheck: ignore
    H.gc()
    assert.are.equal(0, H.maps_count(p.name))
  end)

  it("a loan view keeps its producer alive (uservalue)", function()
    local name = H.name("loanref")
    local c = tipc.consumer{ name = name, shape = { 2 }, dtype = "float32" }
    local l
    do
      local p = tipc.producer{ name = name, shape = { 2 }, dtype = "float32" }
      l = p:loan()
    end
    H.gc()
    l[1] = 1.5 -- the producer is not collected under the loan
    l[2] = -2
    assert.are.same({ 1.5, -2 }, l:totable())
    assert.is_true(c:connected())
    c:close()
    l = nil -- luacheck: ignore
    H.gc()
  end)

  it("loan views index, assign and check values", function()
    local p, c = pool({ 2, 2 }, "int8")
    local l = p:loan()
    assert.are.equal(4, #l)
    assert.are.same({ 2, 2 }, l:shape())
    assert.are.equal("int8", l:dtype())
    l[1] = 1; l[2] = -2; l[3] = 127; l[4] = -128
    assert.has_error(function() l[1] = 128 end)
    assert.has_error(function() l[5] = 1 end)
    assert.has_error(function() l[0] = 1 end)
    assert.has_error(function() l[2] = "x" end)
    assert.are.equal(1, l[1])
    assert.are.equal(-2, l:at(1, 2))
    assert.are.same({ { 1, -2 }, { 127, -128 } }, l:totable())
    p:commit()
    assert.are.same({ { 1, -2 }, { 127, -128 } }, c:get():totable())
    c:close(); p:close()
  end)
end)
