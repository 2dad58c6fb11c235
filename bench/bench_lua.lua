#!/usr/bin/env lua5.4
--- bench_lua.lua - per-call cost of the tensor_ipc Lua binding beside Lua's
-- own cost of building the same table.
--
--   LUA_CPATH="<build>/bindings/lua/pkg/?.so;;" LUA_PATH="<build>/bindings/lua/pkg/?.lua;;" \
--   CYCLONEDDS_URI=file://$PWD/tests/cyclonedds-loopback.xml \
--   lua5.4 bench/bench_lua.lua [--quick]
--
-- Frames are float64, shape {7} (a robot arm's joints) and {1000}. In one
-- process, one producer and one consumer per size, history_len 4. Each row is
-- timed over a batch of calls; a run makes several repeats, and within a
-- repeat every row runs once, back to back, so a noisy neighbour slows them
-- alike. The figure printed is the median over the repeats, in ns per call.
--
--   table constructor        {x + 1, x + 2, ..., x + n}: the cheapest way Lua
--     (baseline)             builds the table (a chunk generated with load())
--   table by loop            local t = {}; for i = 1, n do t[i] = x + i end
--                            (how most code fills a table: it grows by rehashing)
--   put(table)               producer:put(t), t prebuilt (n numbers converted
--                            to float64 and copied into the pool; default
--                            options: a DDS progress sample per put)
--   put(table), no progress  the same on a producer with publish_progress=false
--   get() -> view            consumer:get(): a copy of the latest frame in a
--                            View userdata
--   core.get() -> view       the C function behind it, called directly (the
--                            difference is the facade tensor_ipc.lua)
--   get() -> view, read all  the same, then v[1] .. v[n] read back (what a
--                            caller that uses every value pays)
--   get{as_table=true}       consumer:get{as_table=true}: a plain Lua table
--   acquire + release        consumer:acquire() + view:release() (zero copy)
--
-- ratio = cost of the row / cost of the table constructor of the same n.
-- The collector runs as it would in an application (a full collection before
-- each batch, incremental steps inside it). Speed is reported, never asserted:
-- the exit status is 0 unless a call fails, a value read back is wrong, or a
-- pool is left in /dev/shm.
local tipc = require("tensor_ipc")

local quick = false
for _, a in ipairs(arg) do
  if a == "--quick" then
    quick = true
  elseif a == "-h" or a == "--help" then
    print("usage: lua5.4 bench/bench_lua.lua [--quick]")
    os.exit(0)
  else
    io.stderr:write("bench_lua.lua: unknown argument " .. a .. "\n")
    os.exit(2)
  end
end

local REPEATS = quick and 3 or 9
local SCALE = quick and 0.1 or 1

local function pid()
  local f = assert(io.open("/proc/self/stat"))
  local p = f:read("l"):match("^(%d+)")
  f:close()
  return p
end
local PREFIX = "bench/lua-" .. pid()

local function now() return tipc.now_ns() end

local function build(n, x)
  local t = {}
  for i = 1, n do t[i] = x + i end
  return t
end

-- function(x) returning {x + 1, ..., x + n} through one table constructor
local function constructor(n)
  local items = {}
  for i = 1, n do items[i] = "x + " .. i end
  return assert(load("local x = ...; return {" .. table.concat(items, ", ") .. "}"))
end

local function open(n, tag, extra)
  local name = PREFIX .. "/" .. tag .. n
  local popts = { name = name, shape = { n }, dtype = "float64", history_len = 4 }
  for k, v in pairs(extra or {}) do popts[k] = v end
  local p = tipc.producer(popts)
  local c = tipc.consumer{ name = name, shape = { n }, dtype = "float64", history_len = 4 }
  return p, c
end

local sizes = { 7, 1000 }
local pools = {}
for _, n in ipairs(sizes) do
  local p, c = open(n, "f")
  local q, d = open(n, "np", { publish_progress = false })
  p:put(build(n, 0))
  q:put(build(n, 0))
  assert(c:get()[n] == n and d:get()[n] == n, "first frame read back wrong")
  pools[n] = { p = p, c = c, q = q, d = d, t = build(n, 0.5) }
end

-- Rows: name, n, calls per batch (full run), function(batch) that makes the calls.
local rows = {}
local function row(name, n, calls, fn, baseline)
  rows[#rows + 1] = { name = name, n = n, calls = math.max(10, math.floor(calls * SCALE)),
                      fn = fn, baseline = baseline, samples = {} }
end

for _, n in ipairs(sizes) do
  local P = pools[n]
  local small = n < 100
  local ctor = constructor(n)
  row("table constructor (base)", n, small and 400000 or 8000, function(k)
    local t
    for _ = 1, k do t = ctor(0.5) end
    assert(t[n] == n + 0.5)
  end, true)
  row("table by loop", n, small and 200000 or 4000, function(k)
    local t
    for _ = 1, k do t = build(n, 0.5) end
    assert(t[n] == n + 0.5)
  end)
  row("put(table)", n, small and 50000 or 4000, function(k)
    local p, t = P.p, P.t
    for _ = 1, k do p:put(t) end
  end)
  row("put(table), no progress", n, small and 100000 or 4000, function(k)
    local q, t = P.q, P.t
    for _ = 1, k do q:put(t) end
  end)
  row("get() -> view", n, small and 100000 or 20000, function(k)
    local c, v = P.c, nil
    for _ = 1, k do v = c:get() end
    assert(v[n] == n + 0.5)
  end)
  row("core.get() -> view", n, small and 100000 or 20000, function(k)
    local get, h, v = tipc.core.get, P.c._h, nil
    for _ = 1, k do v = get(h) end
    assert(v[n] == n + 0.5)
  end)
  row("get() -> view, read all", n, small and 100000 or 2000, function(k)
    local c, s = P.c, 0
    for _ = 1, k do
      local v = c:get()
      for i = 1, n do s = s + v[i] end
    end
    assert(s == k * (n * 0.5 + n * (n + 1) / 2))
  end)
  row("get{as_table=true}", n, small and 100000 or 2000, function(k)
    local c, t = P.c, nil
    local opts = { as_table = true }
    for _ = 1, k do t = c:get(opts) end
    assert(t[n] == n + 0.5)
  end)
  row("acquire + release", n, small and 100000 or 100000, function(k)
    local c = P.c
    for _ = 1, k do c:acquire():release() end
  end)
end

-- every pool holds frames of build(n, 0.5) from now on
for _, n in ipairs(sizes) do
  pools[n].p:put(pools[n].t)
  pools[n].q:put(pools[n].t)
end

-- warm-up: one short batch of each row
for _, r in ipairs(rows) do r.fn(math.max(1, r.calls // 20)) end

for _ = 1, REPEATS do
  for _, r in ipairs(rows) do
    collectgarbage("collect")
    local t0 = now()
    r.fn(r.calls)
    local dt = now() - t0
    r.samples[#r.samples + 1] = dt / r.calls
  end
end

local function median(xs)
  local s = {}
  for i, x in ipairs(xs) do s[i] = x end
  table.sort(s)
  local m = #s // 2
  if #s % 2 == 1 then return s[m + 1] end
  return (s[m] + s[m + 1]) / 2
end

local function fmt_ns(x)
  if x >= 100000 then return string.format("%.1f us", x / 1000) end
  if x >= 1000 then return string.format("%.2f us", x / 1000) end
  return string.format("%.0f ns", x)
end

local base = {}
for _, r in ipairs(rows) do
  r.med = median(r.samples)
  r.min = math.min(table.unpack(r.samples))
  r.max = math.max(table.unpack(r.samples))
  if r.baseline then base[r.n] = r.med end
end

print(string.format("tensor_ipc %s, %s, float64 frames, history_len 4, %d repeats (%s run)",
                    tipc.version(), _VERSION, REPEATS, quick and "quick" or "full"))
print(string.format("date %s, pid %s", os.date("!%Y-%m-%d %H:%M UTC"), pid()))
print()
print(string.format("| %-26s | %5s | %7s | %10s | %21s | %7s |", "operation", "n", "calls",
                    "per call", "min .. max", "ratio"))
print("|:---------------------------|------:|--------:|-----------:|----------------------:|--------:|")
for _, r in ipairs(rows) do
  print(string.format("| %-26s | %5d | %7d | %10s | %21s | %6.2fx |", r.name, r.n, r.calls,
                      fmt_ns(r.med), fmt_ns(r.min) .. " .. " .. fmt_ns(r.max), r.med / base[r.n]))
end
print()
print("per call: median over the repeats; ratio: per call / the table constructor of the same n")

-- derived: cost per element of the conversions
local function med(name, n)
  for _, r in ipairs(rows) do
    if r.name == name and r.n == n then return r.med end
  end
end
local function per_elem(name)
  return (med(name, 1000) - med(name, 7)) / 993
end
print(string.format("per extra element: constructor %.1f ns, loop %.1f ns, put (no progress) %.1f ns, "
                    .. "get->view %.2f ns, as_table %.1f ns, v[i] read %.1f ns",
                    per_elem("table constructor (base)"), per_elem("table by loop"), per_elem("put(table), no progress"),
                    per_elem("get() -> view"), per_elem("get{as_table=true}"),
                    (med("get() -> view, read all", 1000) - med("get() -> view", 1000)) / 1000))

-- check and clean up
for _, n in ipairs(sizes) do
  local P = pools[n]
  assert(P.c:get()[n] == n + 0.5)
  P.c:close(); P.d:close(); P.p:close(); P.q:close()
end
pools = nil
collectgarbage("collect")
local left = {}
local ls = assert(io.popen("ls -1 /dev/shm"))
local mangled = ("tipc." .. PREFIX):gsub("/", ".")
for f in ls:lines() do
  if f:sub(1, #mangled) == mangled then left[#left + 1] = f end
end
ls:close()
print("/dev/shm after the run: " .. (#left == 0 and "clean" or table.concat(left, " ")))
io.stdout:flush()
-- Leave without lua_close(): closing the Lua state dlclose()s the module while
-- Cyclone DDS threads still run, which can crash at exit (see
-- tests/lua/test_exit_spec.lua); every pool is closed above.
os.exit(#left == 0 and 0 or 1, false)
