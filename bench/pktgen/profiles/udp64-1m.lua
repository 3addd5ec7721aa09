-- 64-byte UDP frames over 1,000,000 flows (range mode: 15625 x 64); see jumpgate.lua for pktgen's range pool limit.
local dir = debug.getinfo(1, "S").source:match("^@(.*)/profiles/[^/]*$") or "bench/pktgen"
local jg = dofile(dir .. "/jumpgate.lua")
jg.range_flows("udp", 1000000)
jg.run()
