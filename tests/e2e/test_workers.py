#!/usr/bin/python3
"""Two workers on a single-queue port share the load by software dispatch on a
symmetric hash: the same flows (both directions in one record) as with one worker."""
import glob
import os

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
cleanup(work)
done()
