-- Static GETs, the reads benchmark's load (`bench.wrk.gets`): each wrk thread (one connection)
-- sends one request over and over, built once in `init` from its target in the spec (a path and
-- its headers: an order and its buyer's token), so wrk does no per-request work in Lua beyond
-- handing the same string back. `done` writes the count, the duration, wrk's own latency
-- percentiles (µs) and the errors (non-2xx answers included) to the spec's `out`.

local spec = dofile(os.getenv("BENCH_WRK_SPEC"))
local created = 0

function setup(thread)
  created = created + 1
  thread:set("id", created)
end

function init(args)
  local target = spec.targets[(id - 1) % #spec.targets + 1]
  local headers = {}
  for name, value in pairs(target.headers) do
    headers[name] = value
  end
  prepared = wrk.format("GET", target.path, headers)
end

function request()
  return prepared
end

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
