-- wrk script for bench/inbound.py: POST pre-signed Zalo events, each once.
-- The events file has one "signature<TAB>body" line per event; wrk thread k of n sends
-- lines k, k+n, k+2n… so no event is sent twice. done() prints a JSON summary line.
local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  local n = tonumber(args[2])
  signatures, bodies = {}, {}
  local i = 0
  for line in io.lines(args[1]) do
    if i % n == tid then
      local tab = line:find("\t", 1, true)
      table.insert(signatures, line:sub(1, tab - 1))
      table.insert(bodies, line:sub(tab + 1))
    end
    i = i + 1
  end
  next_event = 0
  wrapped = 0
end

function request()
  next_event = next_event + 1
  if next_event > #bodies then
    next_event = 1
    wrapped = wrapped + 1
  end
  return wrk.format("POST", "/webhooks/zalo",
    {["Content-Type"] = "application/json", ["X-ZEvent-Signature"] = signatures[next_event]},
    bodies[next_event])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, ' ..
    '"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
