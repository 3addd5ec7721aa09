#!/usr/bin/python3
"""Two workers on a single-queue port share the load by software dispatch on a
symmetric hash: the same flows (both directions in one record) as with one worker. The
fragments of a datagram meet on one worker, and the whole datagram goes to the worker that
owns its flow: a fragmented attack is detected the same with two workers as with one."""
import glob
import os
import subprocess

from jgtest import *

need_root_and_hugepages()
work = tmpdir("workers")
cfg2 = os.path.join(work, "two.yaml")
with open(cfg2, "w") as f:
    f.write(config_text().replace("workers: [1]", "workers: [1, 2]\n  cpus: [0, 1, 1]"))

captures = [DEMO_PCAP]
if os.path.isdir(SHARED):
    captures += [os.path.join(SHARED, "elcabezzonn", "miscellaneous.pcap"),
                 os.path.join(SHARED, "401trg", "20171220_smb_psexec_mimikatz_ticket_dump.pcap")]


def key(f):
    return (f["src_ip"], f["src_port"], f["dst_ip"], f["dst_port"], f["proto"], f["start"], f["packets"],
            f["src_packets"], f["bytes"])


for cap in captures:
    if not os.path.exists(cap):
        continue
    r1, o1 = replay([cap])
    r2, o2 = replay([cap], config=cfg2)
    check(r1.returncode == 0 and r2.returncode == 0, f"{cap}: both replays succeed")
    s2 = summary(o2)
    handled, dropped = accounted(s2)
    check(handled == s2["input_packets"] and dropped == 0, f"{cap}: all packets handled with 2 workers")
    check(s2["workers"] == 2, "two workers")
    f1 = sorted(map(key, jsonl(f"{o1}/flows.jsonl")))
    f2 = jsonl(f"{o2}/flows.jsonl")
    check(f1 == sorted(map(key, f2)), f"{cap}: same flows with 1 and 2 workers")
    if len(f2) > 20:
        check(len({f["worker"] for f in f2}) == 2, f"{cap}: both workers own flows")
        check(s2["counters"]["dispatch-in"] > 0, f"{cap}: packets were dispatched")
    cleanup(o1, o2)

# the lab's PAExec session with every client datagram in 8-64 byte fragments, shuffled
frag = os.path.join(work, "fragmented.pcap")
g = subprocess.run([os.path.join(SRC, "tests", "evasion", "evade.py"), "--class", "frag4-random", "--seed", "11",
                    os.path.join(SRC, "tests", "lab", "paexec.pcap"), frag], capture_output=True, text=True)
if g.returncode == 0:
    r1, o1 = replay([frag])
    r2, o2 = replay([frag], config=cfg2)
    check(r1.returncode == 0 and r2.returncode == 0, "fragmented: both replays succeed")
    sig = lambda o: sorted({(e["event"], e["tool"], e["src_ip"], e["dst_ip"], e.get("origin_host") or "", e.get("service_name") or "")
                            for e in jsonl(f"{o}/events.jsonl") if e["event"] != "evasion"})
    e1, e2 = sig(o1), sig(o2)
    check(e1 == e2 and ("service_install", "paexec", "10.99.0.7", "10.99.0.40", "", "PAExec-4242-WKSTN07") in e1,
          f"fragmented: the same detection with 1 and 2 workers: {e1} vs {e2}")
    c2 = summary(o2)["counters"]
    check(c2["frag-reassembled"] > 0 and c2["frag-lost"] == 0 and c2["frag-timeout"] == 0,
          f"fragmented: {c2['frag-reassembled']} datagrams reassembled, none lost")
    handled, dropped = accounted(summary(o2))
    check(handled == summary(o2)["input_packets"] and dropped == 0, "fragmented: every packet handled")
    cleanup(o1, o2)
else:
    print("fragmented: evade.py cannot run here (python3-scapy): skipped", g.stderr[-200:])
cleanup(work)
done()
