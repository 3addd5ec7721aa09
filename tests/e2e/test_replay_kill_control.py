#!/usr/bin/python3
"""A replay long enough to be caught in the middle: jg-control is killed with SIGKILL,
the launcher restarts it, the dataplane keeps counting (replays pause on full rings
instead of dropping), and at the end every packet is accounted for and every flow
record the dataplane sent is in flows.jsonl (at least once)."""
import json
import os
import signal
import subprocess
import time

from jgtest import *

need_root_and_hugepages()
work = tmpdir("kill")
# ring sizes small enough that a dead control plane makes the replay wait
cfg = os.path.join(work, "kill.yaml")
with open(cfg, "w") as f:
    f.write(config_text().replace("flows: 16384", "flows: 1024"))
big = os.path.join(SHARED, "elcabezzonn", "miscellaneous.pcap")
base = [big] if os.path.exists(big) else [DEMO_PCAP]
# long enough to be caught at 5 Mpps, with a status poll every 20 ms (about 2 M packets)
inputs = base * (300 if os.path.exists(big) else 2000)
out = os.path.join(work, "out")
sock = os.path.join(out, "jgctl.sock")
proc = subprocess.Popen([JUMPGATE, "replay", "-c", cfg, "--out", out, *inputs],
                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


killed = None
end = time.time() + 60
while time.time() < end and proc.poll() is None:
    s = jgctl_status(sock)
    if s and 0 < s["ports"][0]["ipackets"] < s["replay_packets"] * 9 // 10:
        killed = s
        os.kill(s["control_pid"], signal.SIGKILL)
        break
    time.sleep(0.02)
check(killed is not None, "caught the replay before its last tenth")
try:
    output, _ = proc.communicate(timeout=240)
except subprocess.TimeoutExpired:
    proc.kill()
    output, _ = proc.communicate()
print(output[-1500:])
check(proc.returncode == 0, f"replay exit {proc.returncode}")
sm = summary(out)
handled, dropped = accounted(sm)
check(handled == sm["input_packets"] and dropped == 0, f"every packet handled: {handled}/{sm['input_packets']}")
c = sm["counters"]
check(c["flow-ring-full"] == 0 and c["event-ring-full"] == 0, "no record dropped")
check(sm["control_attaches"] == 2, "the launcher restarted the control plane: two attached in all")
if killed:
    check(sm["port"]["ipackets"] > killed["ports"][0]["ipackets"], "the dataplane kept counting after the kill")
flows = jsonl(os.path.join(out, "flows.jsonl"))
check(len(flows) >= c["flow-records"], f"every flow record written: {len(flows)} >= {c['flow-records']}")
check(len(flows) <= c["flow-records"] + 64, "at most one burst written twice")
check(sum(f["packets"] for f in flows) >= c["pkt-flow"], "flow packets cover every packet")
cleanup(work)
done()
