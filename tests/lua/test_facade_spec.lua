-- The facade tensor_ipc.lua: every function of the module, the producer and
-- the consumer, in one process.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
package.path = here .. "?.lua;" .. package.path
local H = require("tipc_test_helpers")
local tipc = require("tensor_ipc")

local function pair(opts)
  local name = H.name(opts.tag or "facade")
  local common = { name = name, shape = opts.shape or { 3 }, dtype = opts.dtype or "float64",
                   history_len = opts.history_len or 2 }
  local popts = {}
  for k, v in pairs(common) do popts[k] = v end
  for k, v in pairs(opts.producer or {}) do popts[k] = v end
  local p = tipc.producer(popts)
  local c = tipc.consumer(common)
  return p, c, name
end

describe("tensor_ipc module", function()
  after_each(function() H.assert_no_leftovers() end)

  it("reports the library version as a string, also in _VERSION", function()
    local v = tipc.version()
    assert.is_string(v)
    assert.truthy(v:match("^%d+%.%d+%.%d+$"), v)
    assert.are.equal(v, tipc._VERSION)
    assert.are.equal(v, tipc.core.version_string())
  end)

  it("now_ns is an integer CLOCK_REALTIME in nanoseconds", function()
    local a = tipc.now_ns()
    assert.are.equal("integer", math.type(a))
    -- within a minute of os.time() (seconds since the epoch)
    assert.is_true(math.abs(a // 1000000000 - os.time()) < 60)
    local b = tipc.now_ns()
    assert.is_true(b >= a)
  end)

  it("sleep waits at least the given fraction of a second", function()
    local t0 = tipc.now_ns()
    tipc.sleep(0.05)
    local dt = tipc.now_ns() - t0
    assert.is_true(dt >= 50000000, "slept only " .. dt .. " ns")
    assert.is_true(dt < 5000000000)
    tipc.sleep(0) -- returns at once
    tipc.sleep(-1)
  end)

  it("producer and consumer require a table with a string name", function()
    assert.has_error(function() tipc.producer() end,
      "tensor_ipc.producer takes a table of options, e.g. {name=..., shape={...}, dtype=...}")
    assert.has_error(function() tipc.producer{ shape = { 1 } } end,
      "tensor_ipc.producer: option 'name' (a string) is required")
    assert.has_error(function() tipc.consumer("x") end,
      "tensor_ipc.consumer takes a table of options, e.g. {name=..., shape={...}, dtype=...}")
    assert.has_error(function() tipc.consumer{ name = 3 } end,
      "tensor_ipc.consumer: option 'name' (a string) is required")
  end)

  it("rejects bad metadata with the library's sentence", function()
    local ok, err = pcall(tipc.producer, { name = H.name("bad"), shape = { 3 }, dtype = "float99" })
    assert.is_false(ok)
    assert.is_string(err)
    ok, err = pcall(tipc.producer, { name = "bad//name", shape = { 3 } })
    assert.is_false(ok)
    assert.truthy(tostring(err):find("name", 1, true), err)
    ok, err = pcall(tipc.producer, { name = H.name("bad"), shape = { 0 } })
    assert.is_false(ok)
    ok, err = pcall(tipc.producer, { name = H.name("bad"), shape = { 1.5 } })
    assert.is_false(ok)
    assert.truthy(tostring(err):find("shape[1] must be an integer", 1, true), err)
  end)
end)

describe("producer", function()
  after_each(function() H.assert_no_leftovers() end)

  it("put copies a table in and returns integer indices 0, 1, 2", function()
    local p, c = pair{}
    for k = 0, 2 do
      local idx = p:put({ k, k + 0.5, -k })
      assert.are.equal("integer", math.type(idx))
      assert.are.equal(k, idx)
    end
    local n = p:frames_written()
    assert.are.equal("integer", math.type(n))
    assert.are.equal(3, n)
    assert.are.same({ 2, 2.5, -2 }, c:get():totable())
    c:close(); p:close()
  end)

  it("put accepts nested tables in C order and a view of the same layout", function()
    local p, c = pair{ shape = { 2, 3 } }
    p:put({ { 1, 2, 3 }, { 4, 5, 6 } })
    local v = c:get()
    assert.are.same({ { 1, 2, 3 }, { 4, 5, 6 } }, v:totable())
    -- put straight from a view
    p:put({ 0, 0, 0, 0, 0, 0 })
    assert.are.equal(2, p:put(v))
    assert.are.same({ { 1, 2, 3 }, { 4, 5, 6 } }, c:get():totable())
    c:close(); p:close()
  end)

  it("put rejects a wrong element count and writes nothing", function()
    local p, c = pair{}
    p:put({ 1, 2, 3 })
    assert.has_error(function() p:put({ 1, 2 }) end)
    assert.has_error(function() p:put({ 1, 2, 3, 4 }) end)
    assert.has_error(function() p:put(7) end)
    assert.are.equal(1, p:frames_written())
    assert.are.same({ 1, 2, 3 }, c:get():totable())
    c:close(); p:close()
  end)

  it("loan gives a writable view published by commit", function()
    local p, c = pair{}
    p:put({ 9, 9, 9 })
    local l = p:loan()
    assert.are.equal("integer", math.type(l:index()))
    assert.are.equal(1, l:index()) -- the index it will get
    assert.truthy(tostring(l):find("writable", 1, true))
    l[1] = 1.5
    l[2] = 2.5
    l[3] = 3.5
    assert.are.equal(1.5, l[1])
    -- not visible before commit
    assert.are.same({ 9, 9, 9 }, c:get():totable())
    assert.are.equal(1, p:frames_written())
    local idx = p:commit()
    assert.are.equal("integer", math.type(idx))
    assert.are.equal(1, idx)
    assert.are.equal(2, p:frames_written())
    assert.are.same({ 1.5, 2.5, 3.5 }, c:get():totable())
    -- the loan view is spent
    assert.has_error(function() return l[1] end)
    assert.truthy(tostring(l):find("released", 1, true))
    c:close(); p:close()
  end)

  it("copy_from fills a loan from a flat table, a nested table and a view", function()
    local p, c = pair{ shape = { 2, 2 }, dtype = "int32", history_len = 3 }
    local l = p:loan()
    l:copy_from({ 1, 2, 3, 4 })
    p:commit()
    l = p:loan()
    l:copy_from({ { 5, 6 }, { 7, 8 } })
    p:commit()
    assert.are.same({ { 5, 6 }, { 7, 8 } }, c:get():totable())
    -- from a view of another dtype (float64 holding integers)
    local q = tipc.producer{ name = H.name("src"), shape = { 4 }, dtype = "float64" }
    local qc = tipc.consumer{ name = q.name, shape = { 4 }, dtype = "float64" }
    q:put({ 10, 20, 30, 40 })
    local src = qc:get()
    l = p:loan()
    l:copy_from(src)
    p:commit()
    local got = c:get()
    assert.are.same({ { 10, 20 }, { 30, 40 } }, got:totable())
    assert.are.equal("integer", math.type(got[1]))
    -- and from a view of the same layout
    l = p:loan()
    l:copy_from(got)
    assert.are.same({ { 10, 20 }, { 30, 40 } }, l:totable())
    p:discard()
    qc:close(); q:close(); c:close(); p:close()
  end)

  it("copy_from is all or nothing", function()
    local p, c = pair{ dtype = "uint8" }
    local l = p:loan()
    l:copy_from({ 1, 2, 3 })
    assert.has_error(function() l:copy_from({ 4, 5, 300 }) end)
    assert.has_error(function() l:copy_from({ 4, 5 }) end)
    assert.has_error(function() l:copy_from({ 4, "x", 6 }) end)
    assert.has_error(function() l:copy_from("abc") end)
    assert.are.same({ 1, 2, 3 }, l:totable())
    p:commit()
    assert.are.same({ 1, 2, 3 }, c:get():totable())
    c:close(); p:close()
  end)

  it("discard gives the loan back unpublished", function()
    local p, c = pair{}
    p:put({ 1, 1, 1 })
    local l = p:loan()
    l:copy_from({ 2, 2, 2 })
    p:discard()
    assert.are.equal(1, p:frames_written())
    assert.are.same({ 1, 1, 1 }, c:get():totable())
    assert.are.equal(0, c:latest_index())
    assert.has_error(function() return l[1] end)
    -- a new loan after discard is allowed, and gets the same index
    l = p:loan()
    assert.are.equal(1, l:index())
    p:discard()
    c:close(); p:close()
  end)

  it("refuses a second loan, put during a loan and commit without one", function()
    local p, c = pair{}
    p:loan()
    assert.has_error(function() p:loan() end)
    assert.has_error(function() p:put({ 1, 2, 3 }) end)
    p:discard()
    assert.has_error(function() p:commit() end)
    assert.has_error(function() p:discard() end)
    assert.are.equal(0, p:put({ 1, 2, 3 }))
    c:close(); p:close()
  end)

  it("close is idempotent, tells consumers, and later calls raise", function()
    local p, c = pair{}
    p:put({ 1, 2, 3 })
    assert.is_truthy(c:get())
    p:close()
    p:close()
    local v, msg = c:get()
    assert.is_nil(v)
    assert.is_string(msg)
    assert.is_false(c:connected())
    assert.has_error(function() p:put({ 1, 2, 3 }) end)
    assert.has_error(function() p:loan() end)
    assert.are.same({}, H.shm_files())
    c:close()
  end)

  it("close discards an outstanding loan and spends its view", function()
    local p, c = pair{}
    local l = p:loan()
    p:close()
    assert.has_error(function() return l[1] end)
    c:close()
  end)

  it("<close> closes the producer at the end of the block", function()
    local name
    do
      local p <close> = tipc.producer{ name = H.name("scoped"), shape = { 1 } }
      name = p.name
      p:put({ 1 })
      assert.are.equal(1, #H.shm_files(H.shm(name)))
    end
    assert.are.equal(0, #H.shm_files(H.shm(name)))
  end)

  it("__tostring describes the pool", function()
    local p, c, name = pair{ shape = { 2, 3 }, dtype = "uint16", history_len = 4 }
    assert.are.equal("tensor_ipc.producer(pool '" .. name .. "' uint16 (2,3) numpy history 4 cpu)",
                     tostring(p))
    assert.are.equal("tensor_ipc.consumer(pool '" .. name .. "' uint16 (2,3) numpy history 4 cpu)",
                     tostring(c))
    c:close(); p:close()
  end)

  it("mode sets the segment's permission bits", function()
    local p = tipc.producer{ name = H.name("mode"), shape = { 1 }, mode = 420 } -- 0644
    local f = assert(io.popen("stat -c %a /dev/shm/" .. H.q(H.shm(p.name))))
    local mode = f:read("l")
    f:close()
    assert.are.equal("644", mode)
    p:close()
    p = tipc.producer{ name = H.name("mode") , shape = { 1 } } -- default 0600
    f = assert(io.popen("stat -c %a /dev/shm/" .. H.q(H.shm(p.name))))
    mode = f:read("l")
    f:close()
    assert.are.equal("600", mode)
    p:close()
  end)

  it("another user's segment is read only when its owner is trusted", function()
    local name = H.name("owner")
    local p = tipc.producer{ name = name, shape = { 2 }, dtype = "int32", mode = 438 } -- 0666
    p:put({ 4, 5 })
    local path = "/dev/shm/" .. H.q(H.shm(name))
    assert.is_true(os.execute("chown 65534:65534 " .. path))
    local c = tipc.consumer{ name = name, shape = { 2 }, dtype = "int32" }
    local ok, err = pcall(c.get, c)
    assert.is_false(ok)
    assert.truthy(tostring(err):find("belongs to uid 65534", 1, true), err)
    local t = tipc.consumer{ name = name, shape = { 2 }, dtype = "int32", trusted_owner = 65534 }
    assert.are.same({ 4, 5 }, t:get():totable())
    assert.has_error(function() tipc.consumer{ name = name, shape = { 2 }, trusted_owner = "x" } end)
    t:close(); c:close()
    assert.is_true(os.execute("chown 0:0 " .. path))
    p:close()
  end)

  it("remote and delivery reach the consumer; a bad delivery is refused", function()
    local name = H.name("remote")
    local p = tipc.producer{ name = name, shape = { 2 }, dtype = "int32" }
    p:put{ 6, 7 }
    -- a pool of this host: read from its segment whatever the remote options
    for _, d in ipairs({ "latest", "every" }) do
      local c = tipc.consumer{ name = name, shape = { 2 }, dtype = "int32", remote = true, delivery = d }
      assert.are.same({ 6, 7 }, c:get():totable())
      c:close()
    end
    assert.has_error(function()
      tipc.consumer{ name = name, shape = { 2 }, dtype = "int32", delivery = "all" }
    end, "tensor_ipc.consumer: delivery must be \"latest\" or \"every\"")
    p:close()
  end)

  it("backend is not part of a host pool's identity: numpy and torch consumers read a torch pool", function()
    local name = H.name("torch")
    local p = tipc.producer{ name = name, shape = { 2 }, dtype = "float32", backend = "torch" }
    assert.truthy(tostring(p):find(" torch ", 1, true), tostring(p))
    local c = tipc.consumer{ name = name, shape = { 2 }, dtype = "float32", backend = "torch" }
    local other = tipc.consumer{ name = name, shape = { 2 }, dtype = "float32" } -- numpy
    p:put({ 1.5, 2.5 })
    assert.are.same({ 1.5, 2.5 }, c:get():totable())
    assert.are.same({ 1.5, 2.5 }, other:get():totable())
    local wrong = tipc.consumer{ name = name, shape = { 2 }, dtype = "float64", backend = "torch" }
    local ok, err = pcall(wrong.get, wrong)
    assert.is_false(ok)
    assert.truthy(tostring(err):find("dtype", 1, true), err)
    assert.falsy(tostring(err):find("backend", 1, true), err)
    wrong:close(); other:close(); c:close(); p:close()
  end)

  it("attaches by name: shape, dtype and history come from the producer", function()
    local name = H.name("byname")
    local p = tipc.producer{ name = name, shape = { 2, 3 }, dtype = "int32", history_len = 3,
                             backend = "torch" }
    p:put({ 1, 2, 3, 4, 5, 6 })
    local c = assert(tipc.consumer_from_pool{ name = name, timeout = 5 })
    assert.truthy(tostring(c):find("int32 (2,3) torch history 3", 1, true), tostring(c))
    assert.are.same({ { 1, 2, 3 }, { 4, 5, 6 } }, c:get():totable())
    local n = assert(tipc.consumer_from_pool{ name = name, timeout = 0, backend = "numpy",
                                              control_plane = false })
    assert.truthy(tostring(n):find("int32 (2,3) numpy history 3", 1, true), tostring(n))
    assert.are.same({ 1, 2, 3 }, n:get():totable()[1])
    -- a typo beside a live pool: nil plus a sentence naming the pool meant
    local typo = name:gsub("byname", "bynmae")
    local none, err = tipc.consumer_from_pool{ name = typo, timeout = 0.3 }
    assert.is_nil(none)
    assert.truthy(err:find("no producer of '" .. typo .. "'", 1, true), err)
    assert.truthy(err:find("did you mean '" .. name .. "'?", 1, true), err)
    assert.has_error(function() tipc.consumer_from_pool{ name = name, backend = "torch_cuda" } end)
    n:close(); c:close(); p:close()
  end)

  it("a second live producer of the same name is refused", function()
    local p, c, name = pair{}
    local ok, err = pcall(tipc.producer, { name = name, shape = { 3 }, dtype = "float64", history_len = 2 })
    assert.is_false(ok)
    assert.truthy(tostring(err):find(name, 1, true), err)
    c:close(); p:close()
  end)

  it("works without the control plane (control_plane = false, publish_progress = false)", function()
    local name = H.name("nodds")
    local p = tipc.producer{ name = name, shape = { 2 }, dtype = "int16", control_plane = false,
                             publish_progress = false }
    local c = tipc.consumer{ name = name, shape = { 2 }, dtype = "int16", control_plane = false }
    p:put({ -3, 4 })
    local v = H.wait_until(function() return c:get() end, 10, "a frame without DDS")
    assert.are.same({ -3, 4 }, v:totable())
    c:close(); p:close()
  end)
end)

describe("consumer", function()
  after_each(function() H.assert_no_leftovers() end)

  it("created before its producer: nil plus a message, then data", function()
    local name = H.name("early")
    local c = tipc.consumer{ name = name, shape = { 2 }, dtype = "int32" }
    local v, msg = c:get()
    assert.is_nil(v)
    assert.is_string(msg)
    assert.truthy(msg:find(name, 1, true), msg)
    v, msg = c:acquire()
    assert.is_nil(v); assert.is_string(msg)
    local t
    t, msg = c:get{ as_table = true }
    assert.is_nil(t); assert.is_string(msg)
    local idx
    idx, msg = c:latest_index()
    assert.is_nil(idx); assert.is_string(msg)
    assert.is_false(c:connected())
    local ok
    ok, msg = c:wait(0)
    assert.is_nil(ok); assert.is_string(msg)

    local p = tipc.producer{ name = name, shape = { 2 }, dtype = "int32" }
    assert.is_true(H.wait_until(function() return c:connected() end, 10, "connection"))
    v, msg = c:get() -- connected, no frame yet
    assert.is_nil(v)
    assert.truthy(msg:find(name, 1, true), msg)
    p:put({ 7, 8 })
    assert.are.same({ 7, 8 }, c:get():totable())
    c:close(); p:close()
  end)

  it("get returns a copy with index and timestamp; as_table returns a table", function()
    local p, c = pair{}
    local before = tipc.now_ns()
    p:put({ 1, 2, 3 })
    local after = tipc.now_ns()
    local v = c:get()
    assert.are.equal(0, v:index())
    local ts = v:timestamp_ns()
    assert.are.equal("integer", math.type(ts))
    assert.is_true(ts >= before and ts <= after, ("%d not in [%d, %d]"):format(ts, before, after))
    local t = c:get{ as_table = true }
    assert.are.equal("table", type(t))
    assert.is_nil(getmetatable(t))
    assert.are.same({ 1, 2, 3 }, t)
    -- a copy: later frames do not change it
    p:put({ 4, 5, 6 })
    assert.are.same({ 1, 2, 3 }, v:totable())
    assert.are.same({ 4, 5, 6 }, c:get():totable())
    c:close(); p:close()
  end)

  it("latest_index follows the producer", function()
    local p, c = pair{}
    p:put({ 0, 0, 0 })
    assert.are.equal(0, c:latest_index())
    p:put({ 0, 0, 0 }); p:put({ 0, 0, 0 })
    local i = c:latest_index()
    assert.are.equal("integer", math.type(i))
    assert.are.equal(2, i)
    c:close(); p:close()
  end)

  it("wait returns true for a newer frame, nil plus a message on timeout", function()
    local p, c = pair{}
    p:put({ 1, 2, 3 })
    assert.is_true(c:wait(1)) -- frame 0 is newer than anything returned
    c:get()
    local t0 = tipc.now_ns()
    local ok, msg = c:wait(0.05)
    local dt = tipc.now_ns() - t0
    assert.is_nil(ok)
    assert.is_string(msg)
    assert.is_true(dt >= 40000000, "returned after " .. dt .. " ns")
    p:put({ 4, 5, 6 })
    assert.is_true(c:wait(1))
    assert.is_true(c:wait(0)) -- still newer until read
    c:get()
    ok = c:wait(0)
    assert.is_nil(ok)
    c:close(); p:close()
  end)

  it("get{block=true} waits for a newer frame and honours the timeout", function()
    local p, c = pair{}
    p:put({ 1, 2, 3 })
    assert.are.same({ 1, 2, 3 }, c:get{ block = true, timeout = 1 }:totable())
    local v, msg = c:get{ block = true, timeout = 0.02 }
    assert.is_nil(v)
    assert.is_string(msg)
    p:put({ 4, 5, 6 })
    assert.are.same({ 4, 5, 6 }, c:get{ block = true, timeout = 1, as_table = true })
    c:close(); p:close()
  end)

  -- Blocking calls end by the script's own timeout, connected or not; and a
  -- timeout that is no finite number of seconds is refused (never "forever").
  local function elapsed(fn)
    local t0 = tipc.now_ns()
    local a, b = fn()
    return (tipc.now_ns() - t0) / 1e9, a, b
  end

  it("wait and get{block} return by their timeout, connected or not", function()
    local p, c = pair{}
    p:put({ 1, 2, 3 })
    c:get()
    local lonely = tipc.consumer{ name = H.name("nobody"), shape = { 3 }, dtype = "float64" }
    for _, cons in ipairs({ c, lonely }) do
      for _, call in ipairs({
        function() return cons:wait(0.1) end,
        function() return cons:get{ block = true, timeout = 0.1 } end,
      }) do
        local dt, v, msg = elapsed(call)
        assert.is_nil(v)
        assert.is_string(msg)
        assert.is_true(dt >= 0.09 and dt < 2, "returned after " .. dt .. " s")
      end
      local dt = elapsed(function() return cons:wait(0) end)
      assert.is_true(dt < 1, "wait(0) took " .. dt .. " s")
    end
    lonely:close(); c:close(); p:close()
  end)

  local BAD_TIMEOUTS = {
    { 0 / 0, "nan" }, { math.huge, "inf" }, { -math.huge, "inf" }, { -5, "negative" },
    { -1e-9, "negative" }, { -1, "negative" }, { 1e300, "1e%+300" }, { "1", "'1'" }, { true, "true" },
  }

  it("wait and get refuse timeouts that are not a finite number of seconds", function()
    local p, c, name = pair{}
    p:put({ 1, 2, 3 })
    local lonely = tipc.consumer{ name = H.name("nobody"), shape = { 3 }, dtype = "float64" }
    for _, cons in ipairs({ c, lonely }) do
      for _, case in ipairs(BAD_TIMEOUTS) do
        for _, call in ipairs({
          function() return cons:wait(case[1]) end,
          function() return cons:get{ block = true, timeout = case[1] } end,
        }) do
          local dt, ok, err = elapsed(function() return pcall(call) end)
          assert.is_false(ok, tostring(case[1]))
          err = tostring(err)
          assert.truthy(err:find(cons.name, 1, true), err)
          assert.truthy(err:find(case[2]), err .. " (expected " .. case[2] .. ")")
          assert.is_true(dt < 1, "refusing took " .. dt .. " s")
        end
      end
    end
    -- nothing was read: frame 0 is still new to c
    assert.are.same({ 1, 2, 3 }, c:get{ block = true, timeout = 0, as_table = true })
    lonely:close(); c:close(); p:close()
    assert.truthy(name)
  end)

  it("producer put_timeout: refused unless a finite number of seconds; nil is the C default", function()
    for _, case in ipairs(BAD_TIMEOUTS) do
      local name = H.name("badput")
      local ok, err = pcall(tipc.producer, { name = name, shape = { 2 }, put_timeout = case[1] })
      assert.is_false(ok, tostring(case[1]))
      err = tostring(err)
      assert.truthy(err:find(name, 1, true), err)
      assert.truthy(err:find(case[2]), err .. " (expected " .. case[2] .. ")")
      H.assert_no_leftovers()
    end
    -- a reader holding the only slot: put fails after put_timeout, never hangs
    for _, case in ipairs({ { 0.1, 0.1 }, { nil, tipc.core.PUT_TIMEOUT_DEFAULT_NS / 1e9 } }) do
      local p, c = pair{ history_len = 1, producer = { put_timeout = case[1] } }
      p:put({ 1, 2, 3 })
      local v = c:acquire()
      local dt, ok, err = elapsed(function() return pcall(p.put, p, { 4, 5, 6 }) end)
      assert.is_false(ok)
      assert.truthy(tostring(err):find("put", 1, true) or tostring(err):find("held", 1, true), err)
      assert.is_true(dt >= case[2] * 0.9 and dt < case[2] + 2, "put failed after " .. dt .. " s")
      v:release()
      assert.are.equal(1, p:put({ 7, 8, 9 }))
      c:close(); p:close()
    end
  end)

  it("sleep refuses what is not a finite number of seconds", function()
    for _, bad in ipairs({ 0 / 0, math.huge, 1e300, "1" }) do
      local dt, ok = elapsed(function() return pcall(tipc.sleep, bad) end)
      assert.is_false(ok, tostring(bad))
      assert.is_true(dt < 1)
    end
    local dt = elapsed(function() return tipc.sleep(-1) end)  -- nothing to sleep
    assert.is_true(dt < 1)
  end)

  it("get rejects a history longer than the pool's", function()
    local p, c = pair{ history_len = 2 }
    p:put({ 1, 2, 3 })
    assert.has_error(function() c:get{ history_len = 3 } end)
    assert.has_error(function() c:get{ history_len = 0 } end)
    assert.has_error(function() c:acquire{ history_len = 3 } end)
    assert.has_error(function() c:acquire{ history_len = 0 } end)
    c:close(); p:close()
  end)

  it("a consumer with other metadata than the pool raises on read", function()
    local p, _, name = pair{ shape = { 3 } }
    local c = tipc.consumer{ name = name, shape = { 4 }, dtype = "float64", history_len = 2 }
    p:put({ 1, 2, 3 })
    local ok, err = pcall(c.get, c)
    assert.is_false(ok)
    assert.truthy(tostring(err):find("shape", 1, true), err)
    c:close(); p:close()
    _:close()
  end)

  it("close is idempotent; views already taken stay valid", function()
    local p, c = pair{}
    p:put({ 1, 2, 3 })
    local copy = c:get()
    local held = c:acquire()
    c:close()
    c:close()
    assert.are.same({ 1, 2, 3 }, copy:totable())
    assert.are.same({ 1, 2, 3 }, held:totable())
    assert.has_error(function() c:get() end)
    assert.is_nil(c:wait(0))
    assert.is_nil(c:latest_index())
    assert.is_false(c:connected())
    held:release()
    p:close()
  end)

  it("<close> closes the consumer at the end of the block", function()
    local p = tipc.producer{ name = H.name("cscope"), shape = { 1 } }
    p:put({ 1 })
    local before = H.maps_count(p.name)
    do
      local c <close> = tipc.consumer{ name = p.name, shape = { 1 } }
      assert.are.same({ 1 }, c:get():totable())
      assert.is_true(H.maps_count(p.name) > before)
    end
    H.gc()
    assert.are.equal(before, H.maps_count(p.name))
    p:close()
  end)

  it("reconnects to a new producer of the same name", function()
    local p, c, name = pair{}
    p:put({ 1, 1, 1 })
    assert.are.same({ 1, 1, 1 }, c:get():totable())
    p:close()
    H.wait_until(function() return c:get() == nil end, 10, "disconnect")
    p = tipc.producer{ name = name, shape = { 3 }, dtype = "float64", history_len = 2 }
    p:put({ 2, 2, 2 })
    local v = H.wait_until(function() return c:get() end, 10, "reconnect")
    assert.are.same({ 2, 2, 2 }, v:totable())
    assert.are.equal(0, v:index())
    c:close(); p:close()
  end)
end)
