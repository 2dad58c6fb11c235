-- A Lua program that used the library exits cleanly: status 0, no signal,
-- nothing left in /dev/shm. lua5.4 calls lua_close() at exit, which dlclose()s
-- the C module (and with it the library and Cyclone DDS) while the control
-- plane's threads may still run; each child below is a separate process, run
-- many times because such a crash is intermittent.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
package.path = here .. "?.lua;" .. package.path
local H = require("tipc_test_helpers")

local RUNS = 60

-- A child Lua program: `body` runs after a producer and a consumer of a fresh
-- pool exist and one frame went through.
local function child(body, name)
  return table.concat({
    "local t = require('tensor_ipc')",
    ("local name = %q"):format(name),
    "local p = t.producer{ name = name, shape = { 2 }, dtype = 'float32' }",
    "local c = t.consumer{ name = name, shape = { 2 }, dtype = 'float32' }",
    "p:put({ 1, 2 })",
    "assert(c:get()[2] == 2)",
    body,
  }, "\n")
end

local function run_many(body, tag)
  local failures = {}
  for i = 1, RUNS do
    local name = H.name(tag)
    local script = H.tmp()
    local f = assert(io.open(script, "w"))
    f:write(child(body, name))
    f:close()
    local ok, how, code = os.execute(H.child_env() .. " " .. H.q(H.lua) .. " " .. H.q(script)
                                     .. " > /dev/null 2>&1")
    if not ok then failures[#failures + 1] = ("run %d: %s %s"):format(i, how, tostring(code)) end
    os.remove(script)
  end
  return failures
end

describe("process exit", function()
  after_each(function()
    H.cleanup_tmp()
    H.assert_no_leftovers()
  end)

  it("after close(): status 0 in " .. RUNS .. " runs", function()
    local failures = run_many("c:close(); p:close()", "exit-closed")
    assert.are.same({}, failures)
  end)

  it("without close() (objects collected by lua_close): status 0 in " .. RUNS .. " runs", function()
    local failures = run_many("", "exit-open")
    assert.are.same({}, failures)
  end)

  it("with os.exit(0, true): status 0 in " .. RUNS .. " runs", function()
    local failures = run_many("local v = c:acquire(); os.exit(0, true)", "exit-os")
    assert.are.same({}, failures)
  end)
end)
