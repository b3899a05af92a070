-- Shared by the wrk scripts of `make bench`: counts statuses per thread, keeps the first few
-- error bodies, and prints "result ..." lines that bench/loadgen.py parses (wrk's own summary
-- has no per-status counts and no bodies).
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

statuses = {}
error_bodies = {}

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status ~= 200 and status ~= 201 and #error_bodies < 3 then
    local flat = string.gsub(body or "", "%s+", " ")
    table.insert(error_bodies, status .. " " .. string.sub(flat, 1, 400))
  end
end

function done(summary, latency, requests)
  print(string.format("result requests %d", summary.requests))
  print(string.format("result duration_us %d", summary.duration))
  local e = summary.errors
  print(string.format("result socket_errors %d", e.connect + e.read + e.write + e.timeout))
  for _, p in ipairs({50, 90, 95, 99, 99.9}) do
    print(string.format("result latency_us %s %d", p, latency:percentile(p)))
  end
  print(string.format("result latency_us max %d", latency.max))
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      print(string.format("result status %d %d", status, count))
    end
    for _, line in ipairs(thread:get("error_bodies")) do
      print("result error " .. line)
    end
  end
end
