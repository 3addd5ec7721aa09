#!/usr/bin/python3
"""Live on a real Linux interface: `jumpgate run` on net_af_packet at one end of a veth
pair, tcpreplay of the bundled capture into the other end (inside a network namespace
this test creates), jgctl answering while it runs, and the capture's flows in flows.jsonl."""
import json
import os
import signal
import subprocess
import time

from jgtest import *

need_root_and_hugepages()
need_netns()
work = tmpdir("afp")
sock = os.path.join(work, "jgctl.sock")

with VethNs(f"jg{os.getpid() % 100000}") as v:
    host_if, peer_if = v.host_if, v.peer_if
    cfg = os.path.join(work, "afp.yaml")
    with open(cfg, "w") as f:
        f.write(f"""
eal: {{ file_prefix: jg-afp-{os.getpid()} }}
lcores: {{ main: 0, workers: [1] }}
ports:
  - name: veth
    device: "net_af_packet0,iface={host_if},qpairs=1,framecnt=4096,blocksz=4096,framesz=2048"
flows: {{ table_size: 65536 }}
control: {{ socket: {sock} }}
output: {{ dir: {work}/out }}
""")
    with Live(cfg) as live:
        s = wait_status(sock, lambda s: s["state"] == "running" and s["ports"][0]["link_up"])
        check(s is not None, "jgctl status --json answers while live on net_af_packet")
        if s:
            # Twenty seconds up first: a worker clock that only counted TSC cycles from its start
            # drifted (DPDK rounds the TSC rate: 0.2% here, 40 ms by now); the events' times must
            # still be the packets' times, so packet-to-store latency stays small.
            time.sleep(max(0.0, 20 - (time.time() - live.started)))
            v.in_ns("tcpreplay", "-q", "-i", peer_if, "--pps=2000", DEMO_PCAP)
            s = wait_status(sock, lambda s: s["ports"][0]["ipackets"] >= 81, 20)
            check(s is not None and s["ports"][0]["ipackets"] == 81, "every replayed packet received")
            if s:
                c = s["workers"][0]["counters"]
                check(c["pkt-flow"] == 81 and c["flow-new"] == 6, f"81 packets in 6 flows: {c['pkt-flow']}, {c['flow-new']}")
            time.sleep(0.5)
            r = subprocess.run([JGCTL, "-s", sock, "stats", "--json"], capture_output=True, text=True, timeout=10)
            lat = json.loads(r.stdout)["latency"] if r.returncode == 0 else {}
            check(lat.get("events", 0) > 0 and lat.get("max_us", 1e9) < 20000,
                  f"events 20 s into a run carry the packets' time: packet to store at most 20 ms ({lat})")
    print(live.output[-1500:])
    check(live.returncode == 0, f"clean stop ({live.returncode})")

flows = jsonl(os.path.join(work, "out", "flows.jsonl"))
smb = [f for f in flows if f["dst_port"] == 445 and f["dst_ip"] == "10.20.30.40"]
check(len(flows) == 6, f"6 flows written ({len(flows)})")
check(len(smb) == 1 and smb[0]["packets"] == 43 and smb[0]["src_ip"] == "10.20.30.7", "the SMB session, both ways")
cleanup(work)
done()
