-- The shared part of Jumpgate's pktgen-dpdk profiles (bench/pktgen/profiles/).
--
-- A profile describes port 0's traffic with one of the helpers below, then calls
-- jg.run(). Parameters come from the environment, so the same files serve
-- bench/pktgen/run and an operator at a pktgen prompt on a real NIC:
--
--   JG_PORT     the pktgen port (default 0)
--   JG_SECONDS  how long to send (default 10); 0: start and return, `stop 0` by hand
--   JG_RATE     "max" (default) or a rate in Mpps, turned into pktgen's percent of
--               the link speed for the profile's mean frame size
--   JG_FRAME    mean frame length without FCS, for pcap profiles (jg-bench prints it)
--   JG_STATE    a directory for the handshake with bench/pktgen/run: `ready` once
--               pktgen's port is started, `started` when sending begins,
--               `result.json` (pktgen's counters) after the stop; then pktgen
--               waits for `release` and quits. Unset: pktgen stays up.
--
-- Tested with pktgen 23.03.0 on DPDK 22.11 (bench/pktgen/README.md).

local jg = {}

local port = tonumber(os.getenv("JG_PORT") or "0")
local pstr = tostring(port)
local seconds = tonumber(os.getenv("JG_SECONDS") or "10")
local rate = os.getenv("JG_RATE") or "max"
local state = os.getenv("JG_STATE")

-- Mean frame length without FCS, for the rate conversion; the helpers set it.
local frame = tonumber(os.getenv("JG_FRAME") or "60")
local source = "single"
local flows = 0

local function ip4(n)
	return string.format("%d.%d.%d.%d", (n >> 24) & 255, (n >> 16) & 255, (n >> 8) & 255, n & 255)
end

local function touch(name, text)
	if state == nil then
		return
	end
	local tmp = state .. "/" .. name .. ".tmp"
	local f = assert(io.open(tmp, "w"))
	f:write(text or "")
	f:close()
	os.rename(tmp, state .. "/" .. name)
end

local function exists(path)
	local f = io.open(path, "r")
	if f == nil then
		return false
	end
	f:close()
	return true
end

-- pktgen runs this after starting its ports. When pktgen is the memif server, the
-- client must connect after this point: one that connected while pktgen was still
-- setting up never got a link in our tries.
touch("ready")

local function range4(field, start, min, max, inc)
	local r = pktgen.range[field]
	r(pstr, "start", start)
	r(pstr, "min", min)
	r(pstr, "max", max)
	r(pstr, "inc", inc)
end

--- 64-byte frames (60 + FCS) of `proto` ("tcp" or "udp") over n flows, in range mode.
-- Every range field steps once per packet, together. The source address walks
-- `ips` addresses and the source port `ports` ports, with ports the largest power
-- of two dividing n (up to 32768) and ips = n / ports: the cycle lengths are coprime,
-- so the pair repeats only after ips * ports = n packets, i.e. n distinct flows
-- (1K = 125 x 8, 100K = 3125 x 32, 1M = 15625 x 64). Server side as jg-bench:
-- 172.16.0.1, port 80 (TCP) or 53 (UDP).
--
-- pktgen writes range packets into its range mbuf pool once, when sending
-- starts, and then resends those buffers: the wire carries at most as many
-- distinct flows as that pool has mbufs (24576 per tx queue in 23.03). Beyond
-- that, use the jg-bench pcap of the same profile (bench/pktgen/run --source pcap).
function jg.range_flows(proto, n)
	local ports = 1
	while n % (ports * 2) == 0 and ports * 2 <= 32768 do
		ports = ports * 2
	end
	local ips = n // ports
	local src = (10 << 24) + 1

	pktgen.set_type(pstr, "ipv4")
	pktgen.set_proto(pstr, proto)
	pktgen.set(pstr, "size", 64)
	pktgen.range.ip_proto(pstr, proto)
	range4("pkt_size", 64, 64, 64, 0)
	range4("src_ip", ip4(src), ip4(src), ip4(src + ips - 1), "0.0.0.1")
	range4("dst_ip", "172.16.0.1", "172.16.0.1", "172.16.0.1", "0.0.0.0")
	range4("src_port", 1024, 1024, 1024 + ports - 1, ports > 1 and 1 or 0)
	local server = proto == "udp" and 53 or 80
	range4("dst_port", server, server, server, 0)
	range4("ttl", 64, 64, 64, 0)
	pktgen.set_range(pstr, "on")
	frame = 60
	source = "range"
	flows = n
end

--- IMIX 7:4:1 (64, 570 and 1518-byte frames) in sequence mode: twelve sequence
-- packets, one flow each, TCP and UDP alternating. pktgen stamps its sequence
-- pool in this order, so the size mix is exact; the flow count is only 12 (the
-- jg-bench imix pcap has 100K flows).
function jg.seq_imix()
	local sizes = { 64, 64, 570, 64, 64, 570, 64, 1518, 570, 64, 570, 64 }
	local sum = 0
	for i, size in ipairs(sizes) do
		local udp = i % 2 == 0
		pktgen.seqTable(i - 1, pstr, {
			eth_dst_addr = "0200:0000:0002",
			eth_src_addr = "0200:0000:0001",
			ip_dst_addr = "172.16.0.1",
			ip_src_addr = "10.1.0." .. i .. "/16",
			sport = 1024 + i,
			dport = udp and 53 or 80,
			ethType = "ipv4",
			ipProto = udp and "udp" or "tcp",
			vlanid = 1,
			pktSize = size,
			teid = 0,
			cos = 0,
			tos = 0,
		})
		sum = sum + size - 4
	end
	pktgen.set(pstr, "seq_cnt", #sizes)
	frame = sum / #sizes
	source = "seq"
	flows = 12
end

--- Replay the capture loaded with `-s PORT:FILE` on pktgen's command line, looped.
function jg.pcap()
	pktgen.pcap(pstr, "on")
	source = "pcap"
end

local function link_speed()
	for _ = 1, 600 do
		local s = pktgen.linkState(pstr)[port]
		local mbps = s:match("<UP%-(%d+)%-")
		if mbps ~= nil then
			return tonumber(mbps)
		end
		pktgen.delay(100)
	end
	return nil
end

--- Send for JG_SECONDS at JG_RATE, report pktgen's counters.
function jg.run()
	local mbps = link_speed()
	if mbps == nil then
		touch("result.json", '{"error": "link down after 60 s"}')
		print("jumpgate.lua: link down after 60 s")
		return
	end
	local pct = 100
	if rate ~= "max" then
		-- pktgen paces to pct % of the link in frames of (frame + 24) bytes on the
		-- wire: preamble, start delimiter, FCS and inter-frame gap
		pct = tonumber(rate) * 1e6 * (frame + 24) * 8 / (mbps * 1e6) * 100
		if pct > 100 then
			pct = 100
		end
	end
	pktgen.set(pstr, "rate", string.format("%.4f", pct))
	pktgen.clr()
	pktgen.start(pstr)
	touch("started")
	if seconds <= 0 then
		return
	end
	pktgen.delay(math.floor(seconds * 1000))
	local last = pktgen.portStats(pstr, "rate")[port]
	pktgen.stop(pstr)
	-- the counters pktgen reports are refreshed by its timer thread once a second
	pktgen.delay(2100)
	local s = pktgen.portStats(pstr, "port")[port]
	local result = string.format(
		'{"pktgen": "%s", "source": "%s", "flows": %d, "seconds": %g, "link_mbps": %d, ' ..
		'"rate_pct": %.4f, "frame": %.1f, "tx": %d, "tx_bytes": %d, "tx_errors": %d, ' ..
		'"tx_pps_last_second": %d, "rx": %d}',
		pktgen.info.Pktgen_Version, source, flows, seconds, mbps, pct, frame, s.opackets,
		s.obytes, s.oerrors, last.opackets, s.ipackets)
	print(result)
	if state == nil then
		return
	end
	touch("result.json", result)
	-- Jumpgate's port counters live in the memif queues, which go with the
	-- connection: stay connected until the runner has read them.
	for _ = 1, 1200 do
		if exists(state .. "/release") then
			break
		end
		pktgen.delay(100)
	end
	pktgen.quit()
end

return jg
