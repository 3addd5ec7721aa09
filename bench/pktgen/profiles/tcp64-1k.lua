-- 64-byte TCP frames over 1,000 flows (range mode: 125 source addresses x 8 source ports).
local dir = debug.getinfo(1, "S").source:match("^@(.*)/profiles/[^/]*$") or "bench/pktgen"
local jg = dofile(dir .. "/jumpgate.lua")
jg.range_flows("tcp", 1000)
jg.run()
