-- History reads: the last N frames stacked on a leading axis, latest first
-- (default) or oldest first, padded with zeros or with the oldest frame
-- (pad = "fill") while fewer than N frames exist; get() copies and acquire()
-- holds.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
package.path = here .. "?.lua;" .. package.path
local H = require("tipc_test_helpers")
local tipc = require("tensor_ipc")

local HIST = 4

local function open(dtype)
  local name = H.name("hist")
  local opts = { name = name, shape = { 2 }, dtype = dtype or "int32", history_len = HIST }
  local p = tipc.producer(opts)
  local c = tipc.consumer(opts)
  return p, c
end

-- frame k holds {k + 1, -(k + 1)} so no frame is all zeros
local function frame(k) return { k + 1, -(k + 1) } end
local ZERO = { 0, 0 }

local function put_frames(p, n)
  for k = 0, n - 1 do assert.are.equal(k, p:put(frame(k))) end
end

describe("history", function()
  after_each(function() H.assert_no_leftovers() end)

  it("with a full ring: latest first by default, oldest first on request", function()
    local p, c = open()
    put_frames(p, 6) -- frames 0..5; the ring holds 2..5
    local v = c:get{ history_len = HIST }
    assert.are.same({ HIST, 2 }, v:shape())
    assert.are.equal(8, #v)
    assert.are.same({ frame(5), frame(4), frame(3), frame(2) }, v:totable())
    assert.are.equal(5, v:index())          -- the newest frame
    assert.are.equal(6, v:at(1, 1))
    assert.are.equal(-3, v:at(4, 2))
    assert.are.equal(6, v[1]); assert.are.equal(-3, v[8])
    local o = c:get{ history_len = HIST, latest_first = false }
    assert.are.same({ frame(2), frame(3), frame(4), frame(5) }, o:totable())
    assert.are.equal(5, o:index())
    assert.are.equal(v:timestamp_ns(), o:timestamp_ns()) -- both the newest frame's
    -- a shorter history is the newest frames
    assert.are.same({ frame(5), frame(4) }, c:get{ history_len = 2 }:totable())
    assert.are.same({ frame(4), frame(5) }, c:get{ history_len = 2, latest_first = false }:totable())
    c:close(); p:close()
  end)

  it("pads missing frames with zeros at the old end", function()
    local p, c = open()
    put_frames(p, 2)
    assert.are.same({ frame(1), frame(0), ZERO, ZERO }, c:get{ history_len = HIST }:totable())
    assert.are.same({ ZERO, ZERO, frame(0), frame(1) },
                    c:get{ history_len = HIST, latest_first = false }:totable())
    assert.are.same({ frame(1), frame(0), ZERO, ZERO }, c:get{ history_len = HIST, pad = "zero" }:totable())
    c:close(); p:close()
  end)

  it("pad = 'fill' repeats the oldest frame", function()
    local p, c = open()
    put_frames(p, 2)
    assert.are.same({ frame(1), frame(0), frame(0), frame(0) },
                    c:get{ history_len = HIST, pad = "fill" }:totable())
    assert.are.same({ frame(0), frame(0), frame(0), frame(1) },
                    c:get{ history_len = HIST, pad = "fill", latest_first = false }:totable())
    -- a single frame fills everything
    local q, d = open()
    put_frames(q, 1)
    assert.are.same({ frame(0), frame(0), frame(0), frame(0) },
                    d:get{ history_len = HIST, pad = "fill" }:totable())
    assert.are.same({ frame(0), ZERO, ZERO, ZERO }, d:get{ history_len = HIST }:totable())
    d:close(); q:close(); c:close(); p:close()
  end)

  it("padding of float and bool pools reads as zero of the element type", function()
    for _, dt in ipairs({ "float32", "bool", "complex64" }) do
      local name = H.name("pad")
      local opts = { name = name, shape = { 1 }, dtype = dt, history_len = 3 }
      local p = tipc.producer(opts)
      local c = tipc.consumer(opts)
      local one, zero = 1.5, 0.0
      if dt == "bool" then one, zero = true, false end
      if dt == "complex64" then one, zero = { re = 1.0, im = 1.0 }, { re = 0.0, im = 0.0 } end
      p:put({ one })
      local t = c:get{ history_len = 3 }:totable()
      assert.are.same({ { one }, { zero }, { zero } }, t, dt)
      c:close(); p:close()
    end
  end)

  it("as_table works with history", function()
    local p, c = open()
    put_frames(p, 3)
    local t = c:get{ history_len = 3, as_table = true, latest_first = false }
    assert.are.same({ frame(0), frame(1), frame(2) }, t)
    c:close(); p:close()
  end)

  it("acquire holds the latest frames in place, padding as zeros", function()
    local p, c = open()
    put_frames(p, 2)
    local v = c:acquire{ history_len = HIST }
    assert.are.same({ HIST, 2 }, v:shape())
    assert.are.same({ frame(1), frame(0), ZERO, ZERO }, v:totable())
    assert.are.equal(1, v:index())
    v:release()
    v = c:acquire{ history_len = HIST, latest_first = false }
    assert.are.same({ ZERO, ZERO, frame(0), frame(1) }, v:totable())
    assert.are.equal(1, v:index())
    assert.are.equal(0, v:at(1, 1))
    assert.are.equal(2, v:at(4, 1))
    v:release()
    for k = 2, 5 do p:put(frame(k)) end
    v = c:acquire{ history_len = HIST }
    assert.are.same({ frame(5), frame(4), frame(3), frame(2) }, v:totable())
    v:release()
    c:close(); p:close()
  end)

  it("acquired history blocks put into the held slots until <close>", function()
    local name = H.name("histhold")
    local opts = { name = name, shape = { 2 }, dtype = "int32", history_len = 2 }
    local p = tipc.producer{ name = name, shape = { 2 }, dtype = "int32", history_len = 2,
                             put_timeout = 0.05 }
    local c = tipc.consumer(opts)
    put_frames(p, 2)
    do
      local v <close> = c:acquire{ history_len = 2 }
      assert.are.same({ frame(1), frame(0) }, v:totable())
      assert.has_error(function() p:put(frame(2)) end) -- would overwrite held frame 0
      assert.are.equal(2, p:frames_written())
    end
    assert.are.equal(2, p:put(frame(2)))
    assert.are.same({ frame(2), frame(1) }, c:get{ history_len = 2 }:totable())
    c:close(); p:close()
  end)

  it("copy views of a history can be put into a pool of the stacked shape", function()
    local p, c = open("float64")
    put_frames(p, 4)
    local v = c:get{ history_len = HIST }
    local name = H.name("stacked")
    local q = tipc.producer{ name = name, shape = { HIST, 2 }, dtype = "float64" }
    local d = tipc.consumer{ name = name, shape = { HIST, 2 }, dtype = "float64" }
    q:put(v)
    assert.are.same({ frame(3), frame(2), frame(1), frame(0) }, d:get():totable())
    -- and a padded history through copy_from (padding is written as zeros)
    local r, e = open("float64")
    put_frames(r, 1)
    local l = q:loan()
    l:copy_from(e:get{ history_len = HIST })
    q:commit()
    assert.are.same({ frame(0), ZERO, ZERO, ZERO }, d:get():totable())
    -- and from a held history, whose padding frames are not in the pool at all
    q:put({ 9, 9, 9, 9, 9, 9, 9, 9 })
    l = q:loan()
    local held = e:acquire{ history_len = HIST, latest_first = false }
    l:copy_from(held)
    held:release()
    q:commit()
    assert.are.same({ ZERO, ZERO, ZERO, frame(0) }, d:get():totable())
    e:close(); r:close(); d:close(); q:close(); c:close(); p:close()
  end)
end)
