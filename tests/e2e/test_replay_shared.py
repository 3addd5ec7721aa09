#!/usr/bin/python3
"""Every real capture in ../shared/pcaps: `jumpgate replay` exits 0, every packet is
accounted for (handled, or dropped with a reason: none expected here), and the TCP and
UDP flows are tshark's conversations: same endpoints, same packet counts.

Replays use long-timeouts.yaml: tshark never ends a conversation for idleness, while
Jumpgate's default timeouts do (docs/flows.md lists the captures where this shows)."""
import concurrent.futures
import glob
import os

from jgtest import *

need_root_and_hugepages()
need_shared()

LONG = os.path.join(SRC, "tests", "e2e", "long-timeouts.yaml")


def one(path):
    rel = os.path.relpath(path, SHARED)
    out = tmpdir("shared")
    try:
        r, _ = replay([path], out=out, config=LONG)
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
        for proto in ("tcp", "udp"):
            want, got = tshark_conv_table(path, proto), flow_conv_table(flows, proto)
            if got != want:
                extra = [x for x in got if x not in want][:3]
                missing = [x for x in want if x not in got][:3]
                errs.append(f"{rel}: {proto}: {len(got)} flows vs {len(want)} conversations; "
                            f"only Jumpgate: {extra}; only tshark: {missing}")
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
