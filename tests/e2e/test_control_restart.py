#!/usr/bin/python3
"""`jumpgate run` on a looping net_pcap port: jgctl answers; jg-control killed with
SIGKILL is restarted by the launcher while the dataplane keeps counting; SIGTERM
stops everything cleanly with complete JSON outputs."""
import json
import os
import signal
import subprocess
import time

from jgtest import *

need_root_and_hugepages()
work = tmpdir("run")
sock = os.path.join(work, "jgctl.sock")
cfg = os.path.join(work, "run.yaml")
with open(cfg, "w") as f:
    f.write(f"""
eal: {{ file_prefix: jg-run-{os.getpid()} }}
lcores: {{ main: 0, workers: [1] }}
ports:
  - name: loop
    device: "net_pcap0,rx_pcap={DEMO_PCAP},infinite_rx=1"
flows: {{ table_size: 65536, tcp_idle_timeout: 2, udp_idle_timeout: 1, tcp_closed_timeout: 0 }}
control: {{ socket: {sock} }}
output: {{ dir: {work}/out }}
""")



with Live(cfg) as live:
    s1 = wait_status(sock, lambda s: s["ports"][0]["ipackets"] > 1000)
    check(s1 is not None, "jgctl status --json answers while jumpgate run is live")
    if s1:
        check(s1["state"] == "running" and s1["control_attaches"] == 1, "running, attached once")
        check(s1["workers"][0]["counters"]["rx"] > 0, "worker counters")
        st = open(f"/proc/{s1['control_pid']}/status").read()
        check("CapEff:\t0000000000000000" in st and "CapBnd:\t0000000000000000" in st and "NoNewPrivs:\t1" in st,
              "jg-control runs without any capability")
        check(oct(os.stat(sock).st_mode & 0o777) == "0o660", "operator socket mode 0660")
        human = subprocess.run([JGCTL, "-s", sock, "status"], capture_output=True, text=True)
        check(human.returncode == 0 and "WORKER" in human.stdout and "loop" in human.stdout, "human table")
        os.kill(s1["control_pid"], signal.SIGKILL)
        s2 = wait_status(sock, lambda s: s["control_attaches"] == 2)
        check(s2 is not None, "launcher restarted the control plane")
        if s2:
            check(s2["dataplane_pid"] == s1["dataplane_pid"], "same dataplane")
            check(s2["ports"][0]["ipackets"] > s1["ports"][0]["ipackets"], "dataplane kept counting")
            check(s2["control_pid"] != s1["control_pid"], "a new control plane")
            s3 = wait_status(sock, lambda s: s["ports"][0]["ipackets"] > s2["ports"][0]["ipackets"] + 1000)
            check(s3 is not None, "still counting after the restart")
print(live.output[-2000:])
check(live.returncode == 0, f"clean stop, exit {live.returncode}")
check("packets" in live.output and "handled" in live.output, "summary printed at stop")
flows = jsonl(os.path.join(work, "out", "flows.jsonl"))  # raises on a broken line
check(len(flows) > 0, "flow records written across both control planes")
check(not os.path.exists(sock), "socket removed at exit")
check(not any(n.startswith(f"jg-run-{os.getpid()}map_") for n in os.listdir("/dev/hugepages")),
      "hugepage files of the instance removed")
cleanup(work)
done()
