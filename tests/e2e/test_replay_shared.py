#!/usr/bin/python3
"""Every real capture in ../shared/pcaps: `jumpgate replay` exits 0, every packet is
accounted for (handled, or dropped with a reason: none expected here), and TCP/UDP
flow counts agree with tshark's conversation counts (see docs/flows.md for the
differences that are deliberate)."""
import collections
import concurrent.futures
import glob
import os

from jgtest import *

need_root_and_hugepages()
need_shared()

# Captures where a Jumpgate flow deliberately differs from a tshark conversation:
# path -> {proto: jumpgate count}. Each entry is explained in docs/flows.md.
DIFFERENT = {}


def one(path):
    rel = os.path.relpath(path, SHARED)
    out = tmpdir("shared")
    try:
        r, _ = replay([path], out=out)
        if r.returncode != 0:
            return [f"{rel}: exit {r.returncode}: {r.stderr[-300:]}"]
        s = summary(out)
        handled, dropped = accounted(s)
        n = capinfos_count(path)
        errs = []
        if s["input_packets"] != n:
            errs.append(f"{rel}: input {s['input_packets']} != capinfos {n}")
        if handled + dropped != n or dropped:
            errs.append(f"{rel}: {handled} handled + {dropped} dropped != {n}")
        flows = jsonl(os.path.join(out, "flows.jsonl"))
        if sum(f["packets"] for f in flows) != s["counters"]["pkt-flow"]:
            errs.append(f"{rel}: flow packets do not add up to pkt-flow")
        c = collections.Counter(f["proto"] for f in flows)
        for proto in ("tcp", "udp"):
            want = DIFFERENT.get(rel, {}).get(proto, tshark_conversations(path, proto))
            if c[proto] != want:
                errs.append(f"{rel}: {proto} flows {c[proto]} != {want}")
        return errs
    finally:
        cleanup(out)


files = sorted(glob.glob(f"{SHARED}/**/*.pcap*", recursive=True) + glob.glob(f"{SHARED}/**/*.cap", recursive=True))
check(len(files) > 100, f"found {len(files)} captures")
with concurrent.futures.ThreadPoolExecutor(max_workers=2) as ex:
    for path, errs in zip(files, ex.map(one, files)):
        for e in errs:
            check(False, e)
print(f"{len(files)} captures replayed")
done()
