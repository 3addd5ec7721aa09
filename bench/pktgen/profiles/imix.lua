-- IMIX 7:4:1 (64/570/1518 bytes) in sequence mode, 12 flows.
local dir = debug.getinfo(1, "S").source:match("^@(.*)/profiles/[^/]*$") or "bench/pktgen"
local jg = dofile(dir .. "/jumpgate.lua")
jg.seq_imix()
jg.run()
