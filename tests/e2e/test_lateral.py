#!/usr/bin/python3
"""The lateral-movement chain, live: `jumpgate run` on a net_pcap port reading a
multi-host capture (RDP 10.0.0.192 -> 10.0.0.3, then WMI 10.0.0.3 -> 10.0.0.2), and
`jgctl lateral` as a table, JSON and Graphviz DOT, filtered by host and time; a replay
leaves lateral.dot beside its events."""
import json
import os
import signal
import subprocess
import time

from jgtest import *

need_root_and_hugepages()
cap = os.path.join(SHARED, "elcabezzonn", "rdp-then-wmiexec.pcap")
if not os.path.exists(cap):
    skip("the multi-host capture is in ../shared/pcaps, absent here")
work = tmpdir("lateral")
sock = os.path.join(work, "jgctl.sock")
cfg = os.path.join(work, "run.yaml")
with open(cfg, "w") as f:
    f.write(f"""
eal: {{ file_prefix: jg-lat-{os.getpid()} }}
lcores: {{ main: 0, workers: [1] }}
ports:
  - {{ name: cap, device: "net_pcap0,rx_pcap={cap}" }}
flows: {{ table_size: 65536 }}
control: {{ socket: {sock} }}
output: {{ dir: {work}/out }}
""")


def ctl(*args):
    return subprocess.run([JGCTL, "-s", sock, *args], capture_output=True, text=True, timeout=10)


with Live(cfg):
    edges = None
    for _ in range(150):
        r = ctl("lateral", "--json")
        if r.returncode == 0 and len(json.loads(r.stdout)) >= 2:
            edges = json.loads(r.stdout)
            break
        time.sleep(0.2)
    check(edges is not None, "two edges in the chain")
    if edges:
        check([(e["src_ip"], e["dst_ip"]) for e in edges] == [("10.0.0.192", "10.0.0.3"), ("10.0.0.3", "10.0.0.2")],
              f"in time order: {[(e['src_ip'], e['dst_ip']) for e in edges]}")
        check("rdp" in edges[0]["services"] and "wmi" in edges[1]["services"], "services per edge")
        check(edges[0]["first"] < edges[1]["first"] and edges[0]["verdict"] == "alert", "times and verdict")
        r = ctl("lateral")
        check(r.returncode == 0 and "10.0.0.192 -> 10.0.0.3" in r.stdout and "SERVICES" in r.stdout, "the table")
        r = ctl("lateral", "--host", "10.0.0.2", "--json")
        check(r.returncode == 0 and [e["src_ip"] for e in json.loads(r.stdout)] == ["10.0.0.3"], "--host: who reached it")
        r = ctl("lateral", "--since", edges[1]["first"], "--json")
        check(r.returncode == 0 and len(json.loads(r.stdout)) == 1, "--since keeps the later edge")
        r = ctl("lateral", "--dot")
        check(r.returncode == 0 and r.stdout.startswith("digraph") and
              '"10.0.0.192" -> "10.0.0.3"' in r.stdout and '"10.0.0.3" -> "10.0.0.2"' in r.stdout and
              edges[0]["first"] in r.stdout, "Graphviz DOT with times")
        r = ctl("lateral", "--host", "not-an-ip")
        check(r.returncode == 2 and "not an IP address" in r.stderr, "bad argument: usage error")
r, out = replay([cap])
check(r.returncode == 0 and os.path.exists(os.path.join(out, "lateral.dot")), "replay leaves lateral.dot")
cleanup(out, work)
done()
