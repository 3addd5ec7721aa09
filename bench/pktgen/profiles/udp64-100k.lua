-- 64-byte UDP frames over 100,000 flows (range mode: 3125 x 32); see jumpgate.lua for pktgen's range pool limit.
local dir = debug.getinfo(1, "S").source:match("^@(.*)/profiles/[^/]*$") or "bench/pktgen"
local jg = dofile(dir .. "/jumpgate.lua")
jg.range_flows("udp", 100000)
jg.run()
