#!/usr/bin/python3
"""A smoke run of the benchmark (not a measurement: bench/run is): jg-bench builds each
traffic profile and runs every stage of both paths, the flow table holds every flow of
the uniform profile, and the SMB profile's PAExec sessions, their names cut across TCP
segments, are found by the full pipeline."""
import json
import os
import subprocess

from jgtest import *

BENCH = os.path.join(BUILD, "jg-bench")
if os.geteuid() != 0:
    skip("needs root (DPDK)")


def bench(*args):
    r = subprocess.run([BENCH, "--no-huge", "--seconds", "0.2", *args], capture_output=True, text=True, timeout=300)
    check(r.returncode == 0, f"jg-bench {' '.join(args)}: exit {r.returncode} {r.stderr[-300:]}")
    return {(d["path"], d["stage"]): d for d in map(json.loads, r.stdout.splitlines())}


rows = bench("--profile", "tcp64", "--flows", "5000", "--packets", "65536", "--path", "both")
check(set(rows) == {("inproc", s) for s in ("rx", "parse", "flow", "policy", "full")} | {("ring", "rx"), ("ring", "full")},
      f"every stage of both paths: {sorted(rows)}")
zero = {k: (r["packets"], r["mpps"], r["cycles_per_packet"]) for k, r in rows.items()
        if not (r["mpps"] > 0 and r["cycles_per_packet"] > 0)}
check(not zero, f"rates and cycles measured (not in {zero})")
check(rows[("inproc", "full")]["flows_active"] == 5000 and rows[("inproc", "full")]["evicted"] == 0,
      "uniform: every flow in the table, none evicted")
rows = bench("--profile", "smb", "--flows", "16", "--packets", "20000", "--admin-every", "20", "--stages", "full")
full = rows.get(("inproc", "full"), {})
check(full.get("hs_bytes_per_packet", 0) > 1000, f"SMB payload scanned: {full.get('hs_bytes_per_packet')} bytes/packet")
check(full.get("events", 0) > 0, f"the split PAExec artifacts are found: {full.get('events')} events")
for p in ("udp64", "imix"):
    rows = bench("--profile", p, "--flows", "1000", "--packets", "16384", "--zipf", "1.0", "--stages", "rx,full")
    check(rows.get(("inproc", "full"), {}).get("mpps", 0) > 0, f"{p} with Zipf flows")
done()
