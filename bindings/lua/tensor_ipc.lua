--- tensor_ipc: share fixed-shape tensors with other processes (Python, C, Lua).
--
-- local tipc = require("tensor_ipc")
-- local p = tipc.producer{name = "sim/joints", shape = {7}, dtype = "float64", history_len = 4}
-- local idx = p:put({0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6})
-- local c = tipc.consumer{name = "policy/action", shape = {7}, dtype = "float32"}
-- local action = c:get()            -- a view, or nil plus a message while not connected
-- local cam = tipc.consumer_from_pool{name = "camera", timeout = 2}  -- shape etc. from the producer
--
-- Names mirror the Python package. Errors raise with the library's sentence,
-- except "not connected" / "no data yet", which return nil plus the sentence.
local core = require("tensor_ipc_core")

local M = {
  _VERSION = core.version_string(),
  core = core,
}

local function need(opts, what)
  if type(opts) ~= "table" then
    error(what .. " takes a table of options, e.g. {name=..., shape={...}, dtype=...}", 3)
  end
  if type(opts.name) ~= "string" then
    error(what .. ": option 'name' (a string) is required", 3)
  end
  if opts.name:find("\0", 1, true) then
    error(what .. ": pool name must not contain NUL bytes", 3)
  end
end

--- Seconds as the C library's nanoseconds (nil: `if_nil`). Only the
-- conversion lives here; which values are valid is the library's rule: a
-- negative number goes on as a negative number of ns (never -1, which is
-- TIMEOUT_INFINITE) and the library refuses it with its sentence.
local function seconds_to_ns(pool, what, s, if_nil)
  if s == nil then return if_nil end
  if math.type(s) == nil then
    error(string.format("pool '%s': %s %s is not a number of seconds", pool, what,
                        type(s) == "string" and ("'" .. s .. "'") or tostring(s)), 3)
  end
  if s ~= s or s == math.huge or s == -math.huge then
    error(string.format("pool '%s': %s %s is not a finite number of seconds", pool, what,
                        tostring(s)), 3)
  end
  local ns = s * 1e9
  if ns >= 2^63 then
    error(string.format("pool '%s': %s %s s is longer than a 64-bit count of ns", pool, what,
                        tostring(s)), 3)
  end
  if s < 0 then
    if ns <= -2^63 then return math.mininteger end
    return math.min(math.floor(ns), -2)
  end
  return math.floor(ns)
end

local function metadata(opts)
  return core.Metadata(opts.name, opts.dtype or "float32", opts.shape or {},
                       opts.backend or "numpy", opts.history_len or 1, opts.device)
end

--------------------------------------------------------------------- producer

local Producer = {}
Producer.__index = Producer

--- Create the pool and become its producer.
-- opts: name, shape, dtype, backend ("numpy"|"torch"), history_len, mode (e.g. 420 for
-- 0644), put_timeout (seconds a put waits for a reader holding the slot; nil: the C
-- library's default, 1 s), control_plane (default true), publish_progress (default true).
function M.producer(opts)
  need(opts, "tensor_ipc.producer")
  local md = metadata(opts)
  local h = core.Producer(md, opts.mode or 384,
                          seconds_to_ns(opts.name, "put_timeout", opts.put_timeout,
                                        core.PUT_TIMEOUT_DEFAULT_NS),
                          opts.control_plane == false and 0 or 1,
                          opts.publish_progress == false and 0 or 1)
  return setmetatable({ _h = h, _md = md, name = opts.name }, Producer)
end

--- Copy a frame (a flat or nested table, or a view) in and publish it; returns its index.
function Producer:put(data)
  return core.put(self._h, data)
end

--- Borrow the next frame to fill in place (a writable view); publish with commit().
function Producer:loan()
  if self._loan then error("pool '" .. self.name .. "': a loan is already outstanding", 2) end
  self._loan = core.loan(self._h)
  return self._loan
end

local function end_loan(self)
  if self._loan then
    self._loan:release()
    self._loan = nil
  end
end

--- Publish the loaned frame; returns its index.
function Producer:commit()
  local idx = self._h:commit()
  end_loan(self)
  return idx
end

--- Give the loaned frame back unpublished.
function Producer:discard()
  self._h:discard()
  end_loan(self)
end

function Producer:frames_written()
  if self._closed then error("pool '" .. self.name .. "': the producer is closed", 2) end
  return self._h:frames_written()
end

--- Close the pool now (consumers learn it is gone). Idempotent.
function Producer:close()
  end_loan(self)
  core.close(self._h)
  self._closed = true
end
Producer.__close = Producer.close

function Producer:__tostring()
  return string.format("tensor_ipc.producer(%s)", self._md:describe())
end

--------------------------------------------------------------------- consumer

local Consumer = {}
Consumer.__index = Consumer

--- A reader of a pool; created before or after its producer.
-- opts: name, shape, dtype, backend, history_len, control_plane (default true),
-- trusted_owner (a uid whose pools are read besides this user's and root's),
-- remote (true: read a pool of another host over DDS, see docs/remote.md;
-- TIPC_REMOTE=1 does it too), delivery ("latest", the default, or "every").
function M.consumer(opts)
  need(opts, "tensor_ipc.consumer")
  local md = metadata(opts)
  if opts.trusted_owner ~= nil and math.type(opts.trusted_owner) ~= "integer" then
    error("tensor_ipc.consumer: trusted_owner must be an integer uid", 2)
  end
  if opts.delivery ~= nil and opts.delivery ~= "latest" and opts.delivery ~= "every" then
    error("tensor_ipc.consumer: delivery must be \"latest\" or \"every\"", 2)
  end
  local h = core.Consumer(md, opts.control_plane == false and 0 or 1, opts.trusted_owner or -1,
                          opts.remote and 1 or 0, opts.delivery == "every" and 1 or 0)
  return setmetatable({ _h = h, _md = md, name = opts.name }, Consumer)
end

--- Attach to a pool by name alone: shape, dtype, history and device come from
-- its producer (its segment here, else its DDS announcement).
-- opts: name, timeout (seconds to wait for the producer; default 5),
-- forever (true: wait without a deadline), backend (nil: the producer's;
-- "numpy" and "torch" both read a host pool), control_plane (default true),
-- trusted_owner.
-- Returns the consumer, or nil plus the library's sentence when no producer
-- appeared ("no producer of 'camrea' (waited 5.00 s); did you mean 'camera'?").
function M.consumer_from_pool(opts)
  need(opts, "tensor_ipc.consumer_from_pool")
  if opts.trusted_owner ~= nil and math.type(opts.trusted_owner) ~= "integer" then
    error("tensor_ipc.consumer_from_pool: trusted_owner must be an integer uid", 2)
  end
  local ns = opts.forever and core.TIMEOUT_INFINITE
    or seconds_to_ns(opts.name, "timeout", opts.timeout, 5000000000)
  local cp = opts.control_plane == false and 0 or 1
  local ok, h = pcall(core.Consumer.open, opts.name, ns, cp, opts.trusted_owner or -1)
  if not ok then
    -- tipc_consumer_open's sentence for "nobody produces it" (TIPC_E_NOT_CONNECTED).
    if type(h) == "string" and h:find("no producer of '", 1, true) == 1 then return nil, h end
    error(h, 2)
  end
  local found = h:metadata()
  local backend = opts.backend or found:backend()
  if (backend == "torch_cuda") ~= (found:backend() == "torch_cuda") then
    error(string.format("pool '%s': a %s pool cannot be read as %s", opts.name, found:backend(),
                        backend), 2)
  end
  local shape = {}
  for i = 0, found:ndim() - 1 do shape[#shape + 1] = found:dim(i) end
  local md = core.Metadata(found:name(), found:dtype(), shape, backend, found:history_len(),
                           found:device())
  return setmetatable({ _h = h, _md = md, name = opts.name }, Consumer)
end

--- Wait for a frame newer than the last one returned; timeout in seconds, nil
-- waits forever. Returns true, or nil plus a message on timeout / no producer;
-- a mismatching pool, a timeout that is no finite number of seconds (or is
-- negative), or another error raises.
function Consumer:wait(timeout)
  local ns = seconds_to_ns(self.name, "timeout", timeout, core.TIMEOUT_INFINITE)
  if self._closed then return nil, "pool '" .. self.name .. "': the consumer is closed" end
  return core.wait(self._h, ns)
end

local function read(self, fn, opts)
  opts = opts or {}
  if opts.block then
    local ok, err = self:wait(opts.timeout)
    if not ok then return nil, err end
  end
  local v, err = fn(self._h, opts.history_len or 1, opts.latest_first == false, opts.pad == "fill")
  if v and opts.as_table then return v:totable() end
  return v, err
end

--- A copy of the latest frame (or the last history_len frames, stacked) as a view.
-- opts: history_len, latest_first (default true), pad ("zero"|"fill"), block, timeout
-- (seconds), as_table. Returns nil plus a message while not connected.
function Consumer:get(opts)
  return read(self, core.get, opts)
end

--- The latest frames held in place (zero copy) until view:release() or <close>.
-- opts: history_len, latest_first. Returns nil plus a message while not connected.
function Consumer:acquire(opts)
  opts = opts or {}
  local v, err = core.acquire(self._h, opts.history_len or 1, opts.latest_first == false)
  return v, err
end

--- True while connected to a live producer (tries to connect); false plus a
-- message while there is none. A mismatching pool raises.
function Consumer:connected()
  if self._closed then return false, "pool '" .. self.name .. "': the consumer is closed" end
  local ok, err = core.connect(self._h)
  return ok == true, err
end

--- Index of the newest published frame, or nil plus a message.
function Consumer:latest_index()
  if self._closed then return nil, "pool '" .. self.name .. "': the consumer is closed" end
  return core.latest_index(self._h)
end

--- Disconnect now. Idempotent. Views already taken stay valid.
function Consumer:close()
  core.close(self._h)
  self._closed = true
end
Consumer.__close = Consumer.close

function Consumer:__tostring()
  return string.format("tensor_ipc.consumer(%s)", self._md:describe())
end

--------------------------------------------------------------------- ROS 2

local Bridge = {}
Bridge.__index = Bridge

local function bridge_args(opts, what)
  if type(opts) ~= "table" then
    error(what .. " takes a table of options, e.g. {topic=..., pool=...}", 3)
  end
  if type(opts.topic) ~= "string" then
    error(what .. ": option 'topic' (a ROS 2 topic name) is required", 3)
  end
  return opts.type, opts.encoding, opts.frame_id,
         type(opts.joint_names) == "table" and table.concat(opts.joint_names, ",")
           or opts.joint_names,
         opts.domain_id or -1, opts.qos_depth or 10, opts.reliable == false and 0 or 1
end

local function bridge(h, opts, name)
  return setmetatable({ _h = h, topic = opts.topic, name = name,
                        manual = opts.manual == true }, Bridge)
end

--- Copy each new frame of a pool to a ROS 2 topic (no ROS install needed).
-- opts: topic, and the pool as for tensor_ipc.consumer (name, shape, dtype,
-- history_len) or producer = a tensor_ipc.producer; type (nil: inferred,
-- "sensor_msgs/msg/Image", ...), encoding, frame_id, joint_names (table or
-- comma-separated), domain_id (nil: ROS_DOMAIN_ID), qos_depth, reliable,
-- manual (true: no thread; call bridge:poll()).
function M.ros2_export(opts)
  local ty, enc, fid, joints, dom, depth, rel = bridge_args(opts, "tensor_ipc.ros2_export")
  local md
  if opts.producer then
    md = opts.producer._md
  else
    need(opts, "tensor_ipc.ros2_export")
    md = metadata(opts)
  end
  local h = core.Ros2Bridge(core.ROS2_EXPORT, opts.topic, md, nil, ty, enc, fid, joints, dom,
                            depth, rel, opts.history_len or 8, opts.manual and 1 or 0)
  return bridge(h, opts, md:name())
end

--- Write each message of a ROS 2 topic into a pool this bridge produces.
-- opts: topic, name (the pool), type (required), shape and dtype (nil: from
-- the first message), history_len, encoding, domain_id, qos_depth, reliable, manual.
function M.ros2_import(opts)
  local ty, enc, fid, joints, dom, depth, rel = bridge_args(opts, "tensor_ipc.ros2_import")
  need(opts, "tensor_ipc.ros2_import")
  if type(ty) ~= "string" then
    error("tensor_ipc.ros2_import: option 'type' (e.g. \"sensor_msgs/msg/JointState\") is required", 2)
  end
  local md = opts.shape and metadata(opts) or nil
  local h = core.Ros2Bridge(core.ROS2_IMPORT, opts.topic, md, opts.name, ty, enc, fid, joints,
                            dom, depth, rel, opts.history_len or 8, opts.manual and 1 or 0)
  return bridge(h, opts, opts.name)
end

--- Drive a manual bridge: moves what arrived, waiting up to timeout seconds
-- (nil: 0) for the first; returns the number of frames moved.
function Bridge:poll(timeout)
  if self._closed then error("ROS 2 bridge '" .. self.topic .. "' is closed", 2) end
  return self._h:poll(seconds_to_ns(self.name, "timeout", timeout, 0))
end

--- The counters: frames, bytes, skipped, rejected, malformed, matched, last_problem.
function Bridge:stats()
  if self._closed then error("ROS 2 bridge '" .. self.topic .. "' is closed", 2) end
  local s = self._h:stats()
  return { frames = s.frames, bytes = s.bytes, skipped = s.skipped, rejected = s.rejected,
           malformed = s.malformed, matched = s.matched, last_problem = s.last_problem }
end

--- The ROS 2 type carried ("sensor_msgs/msg/Image").
function Bridge:type()
  return self._h:type()
end

--- Stop the bridge (an import bridge closes its pool). Idempotent.
function Bridge:close()
  core.close(self._h)
  self._closed = true
end
Bridge.__close = Bridge.close

function Bridge:__tostring()
  return string.format("tensor_ipc.ros2_bridge(%s, topic %s)", self._h:type(), self.topic)
end

--- The supported ROS 2 types: a list of {name, dds_name, shapes}.
function M.ros2_types()
  local out = {}
  for i = 0, core.ros2_type_count() - 1 do
    local t = core.ros2_type_at(i)
    out[#out + 1] = { name = t.name, dds_name = t.dds_name, shapes = t.shapes }
  end
  return out
end

--- Sleep for the given seconds (fractions allowed); for pacing simulator loops.
function M.sleep(seconds)
  core.sleep(seconds)
end

--- Version of the loaded C library.
function M.version()
  return core.version_string()
end

--- CLOCK_REALTIME in nanoseconds (the clock of view:timestamp_ns()).
function M.now_ns()
  return core.now_ns()
end

return M
