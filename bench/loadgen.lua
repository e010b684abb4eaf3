-- The closed loops of the HTTP benchmarks, run by wrk (`bench.wrk` writes the spec and starts
-- `wrk -t N -c N -s bench/loadgen.lua`): one connection per wrk thread, so each thread's Lua
-- state is one connection's state machine.
--
-- place_and_pay: POST /v1/orders with the connection's buyer token and order body; the answer's
-- order_id is read in `response`, and the connection's next request pays that order as the
-- payment provider (POST /v1/orders/{id}/payments); then it places again. A failed request is
-- counted by kind and status, and the loop goes back to placing. bare_insert: POST /orders.
-- Every request has a fresh Idempotency-Key (and every payment a fresh payment id).
--
-- Latency is timed per request with CLOCK_MONOTONIC (the clock of Python's time.monotonic), from
-- the request handed to wrk to its response parsed; only responses inside the spec's window
-- [window_start, window_end] are kept (before it: warm-up). `done` writes what the Python
-- generator writes: {"seconds", "latencies": {kind: [s, ...]}, "failures": {"kind status": n}}.

local ffi = require("ffi")
ffi.cdef([[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clock_id, bench_timespec *tp);
]])
local CLOCK_MONOTONIC = 1
local timespec = ffi.new("bench_timespec")

local function now()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, timespec)
  return tonumber(timespec.tv_sec) + tonumber(timespec.tv_nsec) * 1e-9
end

local spec = dofile(os.getenv("BENCH_WRK_SPEC"))
local EXPECT = { place = 201, pay = 200, insert = 201 }

-- setup and done run in wrk's main Lua state; the threads' states are reached through these.
local threads = {}
local created = 0

function setup(thread)
  created = created + 1
  thread:set("id", created)
  table.insert(threads, thread)
end

-- Requests are formatted by hand from blocks built once per connection (wrk.format builds a
-- table and concatenates it on every call, a cost plain wrk does not pay).
local function block(headers)
  local host = wrk.port and (wrk.host .. ":" .. wrk.port) or wrk.host
  local lines = { "Host: " .. host .. "\r\n" }
  for name, value in pairs(headers) do
    lines[#lines + 1] = name .. ": " .. value .. "\r\n"
  end
  return table.concat(lines)
end

local function head(path, headers, length)
  return "POST " .. path .. " HTTP/1.1\r\n" .. headers .. "Content-Length: " .. length
    .. "\r\nIdempotency-Key: "
end

function init(args)
  connection = spec.connections[id]
  buyer, payer = block(connection.headers), block(connection.payer_headers)
  local order = connection.order_body
  order_head = head(spec.scenario == "bare_insert" and "/orders" or "/v1/orders", buyer, #order)
  order_tail = "\r\n\r\n" .. order
  key_prefix = spec.run .. "-" .. id .. "-"
  sent = 0
  kind, sent_at, pending = nil, 0, nil
  -- Flat tables only: wrk 4.1's thread:get copies nested tables wrongly (and crashes).
  place_latencies, pay_latencies, insert_latencies = {}, {}, {}
  failures = {}
end

function request()
  sent = sent + 1
  local text
  if pending then
    kind = "pay"
    local body = '{"payment_id":"pay-' .. key_prefix .. sent .. '",' .. connection.payment_rest
    text = head("/v1/orders/" .. pending .. "/payments", payer, #body) .. key_prefix .. sent
      .. "\r\n\r\n" .. body
  else
    kind = spec.scenario == "bare_insert" and "insert" or "place"
    text = order_head .. key_prefix .. sent .. order_tail
  end
  sent_at = now()
  return text
end

function response(status, headers, body)
  local finished = now()
  if status ~= EXPECT[kind] then
    local name = kind .. " " .. status
    failures[name] = (failures[name] or 0) + 1
    pending = nil
    return
  end
  if finished >= spec.window_start and finished <= spec.window_end then
    local into = _G[kind .. "_latencies"]
    into[#into + 1] = finished - sent_at
  end
  if kind == "place" then
    pending = string.match(body, '"order_id"%s*:%s*"([^"]+)"')
  else
    pending = nil
  end
end

local function json_string(text)
  return '"' .. string.gsub(text, '[%c"\\]', function(c)
    return string.format("\\u%04x", string.byte(c))
  end) .. '"'
end

function done(summary, latency, requests)
  local by_kind, failed = {}, {}
  for _, thread in ipairs(threads) do
    for name in pairs(EXPECT) do
      local list = thread:get(name .. "_latencies")
      local into = by_kind[name] or {}
      for i = 1, #list do
        into[#into + 1] = string.format("%.6f", list[i])
      end
      by_kind[name] = into
    end
    for name, count in pairs(thread:get("failures")) do
      failed[name] = (failed[name] or 0) + count
    end
  end
  for _, name in ipairs({ "connect", "read", "write", "timeout" }) do
    if summary.errors[name] > 0 then
      failed["socket " .. name] = summary.errors[name]
    end
  end
  local kinds, failures_json = {}, {}
  for name, list in pairs(by_kind) do
    if #list > 0 then
      kinds[#kinds + 1] = json_string(name) .. ":[" .. table.concat(list, ",") .. "]"
    end
  end
  for name, count in pairs(failed) do
    failures_json[#failures_json + 1] = json_string(name) .. ":" .. count
  end
  local out = assert(io.open(spec.out, "w"))
  out:write(
    '{"seconds":', string.format("%.6f", spec.window_end - spec.window_start),
    ',"latencies":{', table.concat(kinds, ","), "}",
    ',"failures":{', table.concat(failures_json, ","), "}}"
  )
  out:close()
end
