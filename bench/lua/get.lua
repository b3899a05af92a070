-- A plain GET of the URL given to wrk (headers such as Authorization come from wrk -H).
dofile("stats.lua")
