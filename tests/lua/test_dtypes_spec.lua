-- Element conversions between Lua values and every dtype, both ways, and the
-- range checks: a value that does not fit raises and writes nothing (the
-- consumer still sees the previous frame, frames_written is unchanged).
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
package.path = here .. "?.lua;" .. package.path
local H = require("tipc_test_helpers")
local tipc = require("tensor_ipc")

local CASES = require("tipc_dtype_cases")
local NAN = 0 / 0
local INF = math.huge

local INTEGER = { int8 = 1, int16 = 1, int32 = 1, int64 = 1, uint8 = 1, uint16 = 1, uint32 = 1 }

local same_value = H.same_value

local function show(v)
  if type(v) == "table" then
    local parts = {}
    for k, x in pairs(v) do parts[#parts + 1] = tostring(k) .. "=" .. tostring(x) end
    table.sort(parts)
    return "{" .. table.concat(parts, ",") .. "}"
  end
  return string.format("%s (%s)", tostring(v), math.type(v) or type(v))
end

describe("dtype conversions", function()
  after_each(function() H.assert_no_leftovers() end)

  for _, case in ipairs(CASES) do
    describe(case.dtype, function()
      local n = #case.ok

      local function open()
        local name = H.name(case.dtype)
        local p = tipc.producer{ name = name, shape = { n }, dtype = case.dtype }
        local c = tipc.consumer{ name = name, shape = { n }, dtype = case.dtype }
        return p, c
      end

      local function values()
        local t = {}
        for i, pair in ipairs(case.ok) do t[i] = pair[1] end
        return t
      end

      it("round-trips values through put, get, acquire, totable and a loan", function()
        local p, c = open()
        p:put(values())
        local v = c:get()
        assert.are.equal(case.dtype, v:dtype())
        local t = v:totable()
        local held = c:acquire()
        for i, pair in ipairs(case.ok) do
          local what = ("%s value %d: put %s"):format(case.dtype, i, show(pair[1]))
          same_value(case.dtype, pair[2], v[i], what .. " view[i]")
          same_value(case.dtype, pair[2], v:at(i), what .. " at(i)")
          same_value(case.dtype, pair[2], t[i], what .. " totable")
          same_value(case.dtype, pair[2], held[i], what .. " acquire")
        end
        held:release()
        -- element by element through a loan
        local l = p:loan()
        for i, pair in ipairs(case.ok) do l[i] = pair[1] end
        p:commit()
        local w = c:get()
        for i, pair in ipairs(case.ok) do
          same_value(case.dtype, pair[2], w[i], ("%s loan value %d"):format(case.dtype, i))
        end
        -- what was read back puts again unchanged (a fixed point)
        p:put(w:totable())
        local again = c:get()
        for i, pair in ipairs(case.ok) do
          same_value(case.dtype, pair[2], again[i], ("%s re-put value %d"):format(case.dtype, i))
        end
        c:close(); p:close()
      end)

      if INTEGER[case.dtype] then
        it("reads integers as Lua integers", function()
          local p, c = open()
          p:put(values())
          for i = 1, n do assert.are.equal("integer", math.type(c:get()[i])) end
          c:close(); p:close()
        end)
      end

      for _, bad in ipairs(case.bad) do
        it("refuses " .. show(bad) .. " and writes nothing", function()
          local p, c = open()
          p:put(values())
          local before = c:get():totable()
          local frame = values()
          local at = (n + 1) // 2
          frame[at] = bad
          local ok, err = pcall(p.put, p, frame)
          assert.is_false(ok, case.dtype .. " accepted " .. show(bad))
          assert.is_string(err)
          assert.truthy(err:find(p.name, 1, true), err)
          assert.are.equal(1, p:frames_written())
          assert.are.equal(0, c:latest_index())
          local now = c:get()
          assert.are.equal(0, now:index())
          for i = 1, n do
            same_value(case.dtype, case.ok[i][2], now[i], "unchanged value " .. i)
            same_value(case.dtype, before[i], now[i], "unchanged value " .. i)
          end
          -- the same through a loan: element assignment and copy_from refuse it
          local l = p:loan()
          l:copy_from(values())
          assert.has_error(function() l[at] = bad end)
          assert.has_error(function() l:copy_from(frame) end)
          for i = 1, n do
            same_value(case.dtype, case.ok[i][2], l[i], "loan value " .. i .. " unchanged")
          end
          p:discard()
          c:close(); p:close()
        end)
      end
    end)
  end

  it("NaN round-trips through every floating dtype", function()
    for _, dt in ipairs({ "float16", "bfloat16", "float32", "float64" }) do
      local name = H.name("nan")
      local p = tipc.producer{ name = name, shape = { 2 }, dtype = dt }
      local c = tipc.consumer{ name = name, shape = { 2 }, dtype = dt }
      p:put({ NAN, -0.0 })
      local v = c:get()
      assert.is_true(v[1] ~= v[1], dt .. ": NaN")
      assert.are.equal(-INF, 1 / v[2], dt .. ": -0.0")
      assert.are.equal("float", math.type(v[2]))
      c:close(); p:close()
    end
  end)

  it("complex values read as {re=, im=} tables, also in totable()", function()
    local name = H.name("cplx")
    local p = tipc.producer{ name = name, shape = { 2, 2 }, dtype = "complex128" }
    local c = tipc.consumer{ name = name, shape = { 2, 2 }, dtype = "complex128" }
    p:put({ { { re = 1, im = 2 }, { re = 3, im = 4 } }, { 5, { re = -1, im = -2 } } })
    local t = c:get():totable()
    assert.are.same({ { { re = 1.0, im = 2.0 }, { re = 3.0, im = 4.0 } },
                      { { re = 5.0, im = 0.0 }, { re = -1.0, im = -2.0 } } }, t)
    assert.are.equal("float", math.type(t[1][1].re))
    c:close(); p:close()
  end)

  it("numeric strings are not numbers: put({'5'}) raises for integer and float dtypes", function()
    -- The binding converts with lua_tointegerx/lua_tonumberx, which also accept
    -- strings; a string in a frame is almost always a bug in the caller.
    for _, dt in ipairs({ "int32", "float64", "uint64" }) do
      local name = H.name("str")
      local p = tipc.producer{ name = name, shape = { 2 }, dtype = dt }
      local c = tipc.consumer{ name = name, shape = { 2 }, dtype = dt }
      p:put({ 1, 2 })
      local ok = pcall(p.put, p, { "5", 6 })
      assert.is_false(ok, dt .. " accepted the string '5'")
      assert.are.equal(1, p:frames_written())
      assert.are.same({ 1, 2 }, c:get():totable())
      c:close(); p:close()
    end
  end)

  it("integer dtypes keep 64-bit integers exact through int64 and uint64", function()
    local name = H.name("i64")
    local p = tipc.producer{ name = name, shape = { 4 }, dtype = "int64" }
    local c = tipc.consumer{ name = name, shape = { 4 }, dtype = "int64" }
    local vals = { math.maxinteger, math.mininteger, (1 << 53) + 1, -((1 << 53) + 1) }
    p:put(vals)
    local v = c:get()
    for i = 1, 4 do
      assert.are.equal("integer", math.type(v[i]))
      assert.is_true(math.ult(v[i], vals[i]) == false and math.ult(vals[i], v[i]) == false)
      assert.are.equal(vals[i], v[i])
    end
    c:close(); p:close()
  end)
end)
