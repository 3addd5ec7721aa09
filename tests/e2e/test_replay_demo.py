#!/usr/bin/python3
"""Replay the bundled capture: every packet accounted for, flows as tshark sees them,
flow records complete and well-formed; a second replay into the same directory starts its
outputs, the store among them, afresh."""
import os
import re
import sqlite3

from jgtest import *

need_root_and_hugepages()
r, out = replay([DEMO_PCAP])
check(r.returncode == 0, f"replay exit {r.returncode}: {r.stderr[-500:]}")
check("replayed 81 packets" in r.stdout, "summary names the packet count")
s = summary(out)
handled, dropped = accounted(s)
check(s["input_packets"] == capinfos_count(DEMO_PCAP) == 81, "input packet count matches capinfos")
check(handled == 81 and dropped == 0, f"all packets handled: {handled} + {dropped}")
flows = jsonl(f"{out}/flows.jsonl")
tcp = [f for f in flows if f["proto"] == "tcp"]
udp = [f for f in flows if f["proto"] == "udp"]
check(len(tcp) == tshark_conversations(DEMO_PCAP, "tcp") == 3, f"tcp flows {len(tcp)}")
check(len(udp) == tshark_conversations(DEMO_PCAP, "udp") == 3, f"udp flows {len(udp)}")
check(sum(f["packets"] for f in flows) == 81, "flow packets add up to the capture")
check(sum(f["bytes"] for f in flows) == s["port"]["ibytes"], "flow bytes add up to the port's bytes")
rfc3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
for f in flows:
    for k in ("src_ip", "src_port", "dst_ip", "dst_port", "proto", "packets", "bytes", "src_packets",
              "dst_packets", "src_bytes", "dst_bytes", "start", "end"):
        check(k in f, f"flow has {k}")
    check(rfc3339.match(f["start"]) and rfc3339.match(f["end"]), "RFC 3339 times")
    check(f["packets"] == f["src_packets"] + f["dst_packets"], "both directions add up")
    check(f["bytes"] == f["src_bytes"] + f["dst_bytes"], "bytes add up")
# the PAExec session, as tshark shows it: client 10.20.30.7:51234 -> 10.20.30.40:445, 43 frames
smb = [f for f in tcp if f["dst_port"] == 445 and f["dst_ip"] == "10.20.30.40"]
check(len(smb) == 1, "the admin SMB session is one flow")
if smb:
    f = smb[0]
    check(f["src_ip"] == "10.20.30.7" and f["src_port"] == 51234, "initiator is the client")
    check(f["packets"] == 43 and f["src_packets"] == 23 and f["dst_packets"] == 20, "SMB session counters")
    check(f["start"] == "2026-03-02T09:01:00.000000Z", "capture time, not wall time")
    check(f["tcp_state"] == "closed" and f["end_reason"] == "end-of-input", "closed, then flushed at the end")
fs = [f for f in tcp if f["dst_ip"] == "10.20.30.5"]
check(len(fs) == 1 and fs[0]["end_reason"] == "closed", "FIN both ways ends a flow after the closed timeout")
# DNS flows ended by the UDP idle timeout (60 s) before the end of the capture
dns = [f for f in udp if f["dst_port"] == 53]
check(any(f["end_reason"] == "idle" for f in dns), "UDP idle timeout on capture time")

# A second replay into the same directory starts afresh, its store as its JSON lines: the
# store holds this replay's flows and alerts alone, no earlier replay's.
r2, _ = replay([DEMO_PCAP], out=out)
check(r2.returncode == 0, f"second replay exit {r2.returncode}: {r2.stderr[-500:]}")
db = sqlite3.connect(os.path.join(out, "jumpgate.db"))
n_flows = db.execute("SELECT count(*) FROM flows").fetchone()[0]
n_alerts = db.execute("SELECT count(*) FROM alerts").fetchone()[0]
flow_indices = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'flows'")}
db.close()
# a replay's store builds them after its last flow: they must be there when the replay is done
check(flow_indices == {"flows_end", "flows_bytes", "flows_packets"}, f"the flows' indices are built: {flow_indices}")
check(n_flows == len(jsonl(os.path.join(out, "flows.jsonl"))) == 6,
      f"the store after a second replay holds its 6 flows alone: {n_flows}")
check(n_alerts >= 1 and n_alerts <= len(jsonl(os.path.join(out, "events.jsonl"))),
      f"and its alerts alone: {n_alerts}")
cleanup(out)
done()
