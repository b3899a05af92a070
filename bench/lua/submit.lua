-- POST /api/v1/reports cycling through the covered enterprises, as a province's 16:00 rush would.
-- Arguments (after wrk's "--"): file of "USCC 在册员工" lines, report date, client_id prefix, start.
-- Each request has a new client_id and slightly different figures, so after the first round every
-- submission is a real revision. The figures keep the registry's 在册员工 (a far one asks for
-- confirmation, baseline_change) and always satisfy baseline ≥ reported_back ≥ on_duty + isolated,
-- so no warning asks for confirmation (422).
dofile("stats.lua")

local usccs, baselines = {}, {}
local day, prefix
local n = 0

function init(args)
  for line in io.lines(args[1]) do
    local uscc, baseline = line:match("^(%S+) (%d+)$")
    if uscc then
      table.insert(usccs, uscc)
      table.insert(baselines, tonumber(baseline))
    end
  end
  day, prefix = args[2], args[3]
  -- threads start at different enterprises so that two never queue on the same report row
  n = (tonumber(args[4]) or 0) + (id - 1) * math.floor(#usccs / 8)
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  n = n + 1
  local i = (n - 1) % #usccs + 1
  local baseline = baselines[i]
  local back = math.floor(baseline * (70 + n % 21) / 100)
  local isolated = math.min(n % 4, back)
  local on_duty = math.max(0, back - isolated - n % 7)
  local body = string.format(
    '{"enterprise":"%s","date":"%s","client_id":"%s-%d-%d","resumed":true,'
      .. '"baseline_headcount":%d,"reported_back":%d,"isolated":%d,"on_duty":%d,"capacity_pct":%d}',
    usccs[i], day, prefix, id, n, baseline, back, isolated, on_duty, 50 + n % 30
  )
  return wrk.format("POST", "/api/v1/reports", nil, body)
end
