-- Replay the capture given as -s 0:FILE (a jg-bench --write-pcap profile: tcp64, udp64, imix, smb), looped.
local dir = debug.getinfo(1, "S").source:match("^@(.*)/profiles/[^/]*$") or "bench/pktgen"
local jg = dofile(dir .. "/jumpgate.lua")
jg.pcap()
jg.run()
