-- sim.lua: the Lua simulator of the robot demo.
--
-- A 7-joint arm integrated at 200 Hz: each step reads the latest action the
-- policy published on "demo/action" (7 float32 joint velocities), integrates
-- the joint positions and publishes them on "demo/joints" (7 float64). It also
-- publishes what it measured of the actions on "demo/sim_stats": frames seen,
-- latency p50 and p99 (microseconds, policy put -> sim read) and dropped.
--
--   lua5.4 sim.lua [--duration S] [--hz HZ] [--prefix P]
local tipc = require("tensor_ipc")

local duration, hz, prefix = 0, 200, "demo"
local i = 1
while i <= #arg do
  local a = arg[i]
  if a == "--help" or a == "-h" then
    print("usage: lua5.4 sim.lua [--duration S] [--hz HZ] [--prefix P]")
    print("Integrates a 7-joint arm: reads P/action, publishes P/joints and P/sim_stats.")
    os.exit(0)
  elseif a == "--duration" then duration = tonumber(arg[i + 1]); i = i + 1
  elseif a == "--hz" then hz = tonumber(arg[i + 1]); i = i + 1
  elseif a == "--prefix" then prefix = arg[i + 1]; i = i + 1
  else
    io.stderr:write("sim.lua: unknown argument '", a, "' (see --help)\n")
    os.exit(2)
  end
  i = i + 1
end

local joints <close> = tipc.producer{name = prefix .. "/joints", shape = {7}, dtype = "float64",
                                     history_len = 16}
local stats <close> = tipc.producer{name = prefix .. "/sim_stats", shape = {4}, dtype = "float64"}
local action <close> = tipc.consumer{name = prefix .. "/action", shape = {7}, dtype = "float32",
                                     history_len = 4}

local function percentile(sorted, p)
  if #sorted == 0 then return 0 end
  return sorted[math.max(1, math.ceil(p * #sorted))]
end

local q = {0, 0, 0, 0, 0, 0, 0}
local dt = 1 / hz
local start = tipc.now_ns()
local period_ns = math.floor(1e9 / hz)
local next_tick, next_report = start, start
local last_index, seen, dropped = nil, 0, 0
local latencies, told = {}, false
print(string.format("sim: publishing %s/joints at %d Hz, reading %s/action", prefix, hz, prefix))
io.stdout:flush()

while duration <= 0 or tipc.now_ns() - start < duration * 1e9 do
  local a, err = action:get()
  if a then
    local idx = a:index()
    if idx ~= last_index then
      if last_index and idx > last_index + 1 then dropped = dropped + (idx - last_index - 1) end
      last_index, seen = idx, seen + 1
      latencies[#latencies + 1] = (tipc.now_ns() - a:timestamp_ns()) / 1e3
    end
    for j = 1, 7 do q[j] = q[j] + dt * a[j] end
  elseif not told then
    print("sim: waiting for the policy on " .. prefix .. "/action (" .. err .. ")")
    io.stdout:flush()
    told = true
  end
  joints:put(q)

  local now = tipc.now_ns()
  if now >= next_report then
    table.sort(latencies)
    stats:put({seen, percentile(latencies, 0.5), percentile(latencies, 0.99), dropped})
    if #latencies > 2000 then latencies = {} end
    next_report = now + 500000000
  end
  next_tick = next_tick + period_ns
  local wait = next_tick - tipc.now_ns()
  if wait > 0 then tipc.sleep(wait / 1e9) end
end
print(string.format("sim: %d actions applied, %d dropped; final q[1] = %.3f", seen, dropped, q[1]))
