-- Plain wrk, the yardstick of the load generator (`bench.wrk.plain`): one static request (the
-- first connection's bare-insert POST, a fixed Idempotency-Key), built once by wrk, no `request`
-- or `response` function, so wrk neither builds requests nor parses answers in Lua: the most
-- requests wrk can push through the same endpoint. `done` writes the count, the duration and
-- wrk's own latency percentiles (µs) to the spec's `out`.

local spec = dofile(os.getenv("BENCH_WRK_SPEC"))
local first = spec.connections[1]

wrk.method = "POST"
wrk.path = "/orders"
wrk.body = first.order_body
for name, value in pairs(first.headers) do
  wrk.headers[name] = value
end
wrk.headers["Idempotency-Key"] = "plain-wrk"

function done(summary, latency, requests)
  local errors = summary.errors
  local out = assert(io.open(spec.out, "w"))
  out:write(string.format(
    '{"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"errors":%d}',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    errors.connect + errors.read + errors.write + errors.status + errors.timeout
  ))
  out:close()
end
