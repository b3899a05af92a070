-- POST /api/v1/reports cycling through the covered enterprises, as a province's 16:00 rush would.
-- Arguments (after wrk's "--"): file of USCCs (one a line), report date, client_id prefix, start.
-- Each request has a new client_id and slightly different figures, so after the first round every
-- submission is a real revision; the figures always satisfy baseline ≥ reported_back ≥
-- on_duty + isolated, so no warning asks for confirmation (422).
dofile("stats.lua")

local usccs = {}
local day, prefix
local n = 0

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then
      table.insert(usccs, line)
    end
  end
  day, prefix = args[2], args[3]
  -- threads start at different enterprises so that two never queue on the same report row
  n = (tonumber(args[4]) or 0) + (id - 1) * math.floor(#usccs / 8)
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  n = n + 1
  local back = 70 + n % 21
  local isolated = n % 4
  local body = string.format(
    '{"enterprise":"%s","date":"%s","client_id":"%s-%d-%d","resumed":true,'
      .. '"baseline_headcount":100,"reported_back":%d,"isolated":%d,"on_duty":%d,"capacity_pct":%d}',
    usccs[(n - 1) % #usccs + 1], day, prefix, id, n, back, isolated, back - isolated - n % 7, 50 + n % 30
  )
  return wrk.format("POST", "/api/v1/reports", nil, body)
end
