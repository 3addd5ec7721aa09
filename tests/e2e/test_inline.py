#!/usr/bin/python3
"""Inline (bump in the wire): two net_pcap ports paired; the bundled capture enters
one, leaves by the other. With a policy that blocks the workstation's SMB admin
session, that flow's packets are absent from the output from the packet that decided
the verdict on, and every other packet is there, in order (compared frame by frame
with tshark). Without a blocking policy, everything passes."""
import hashlib
import os
import signal
import struct
import subprocess
import time

from jgtest import *

need_root_and_hugepages()
work = tmpdir("inline")
sock = os.path.join(work, "jgctl.sock")
empty = os.path.join(work, "empty.pcap")
with open(empty, "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))


def frames(path):
    """Each frame as tshark sees it: addresses, ports, raw sequence number, lengths, UDP/DNS id."""
    r = subprocess.run(["tshark", "-n", "-r", path, "-T", "fields", "-E", "separator=,", "-e", "ip.src", "-e", "ip.dst",
                        "-e", "tcp.srcport", "-e", "tcp.dstport", "-e", "tcp.seq_raw", "-e", "tcp.len",
                        "-e", "frame.len", "-e", "dns.id"], capture_output=True, text=True)
    return [tuple(l.split(",")) for l in r.stdout.splitlines()]


def run_inline(policy_text, rst=False):
    pol = os.path.join(work, "policy.yaml")
    with open(pol, "w") as f:
        f.write(policy_text)
    out_b = os.path.join(work, "out-b.pcap")
    cfg = os.path.join(work, "inline.yaml")
    with open(cfg, "w") as f:
        f.write(f"""
eal: {{ file_prefix: jg-inl-{os.getpid()} }}
lcores: {{ main: 0, workers: [1] }}
ports:
  - {{ name: a, device: "net_pcap0,rx_pcap={DEMO_PCAP},tx_pcap={work}/out-a.pcap" }}
  - {{ name: b, device: "net_pcap1,rx_pcap={empty},tx_pcap={out_b}", peer: a }}
flows: {{ table_size: 65536 }}
control: {{ socket: {sock} }}
output: {{ dir: {work}/out }}
detect: {{ policy: {pol} }}
inline: {{ rst: {"true" if rst else "false"} }}
""")
    with Live(cfg) as live:
        status = wait_status(sock, lambda s: s["ports"][0]["ipackets"] == 81 and
                             s["workers"][0]["counters"]["pkt-flow"] == 81)
    check(status is not None, f"all 81 packets read: {live.output[-500:]}")
    return frames(out_b), status, frames(os.path.join(work, "out-a.pcap"))


inp = frames(DEMO_PCAP)
check(len(inp) == 81, "81 input frames")

passed, st, _ = run_inline("policy:\n  default: alert\n")
check(passed == inp, f"alert only: every frame forwarded, in order ({len(passed)} of {len(inp)})")

BLOCK = """
zones:
  - { name: workstations, prefixes: [10.20.30.0/26] }
  - { name: db, prefixes: [10.20.30.40/32] }
policy:
  default: allow
  rules:
    - { from: workstations, to: db, service: smb-admin, action: block }
"""
blocked, st, back = run_inline(BLOCK)
c = st["workers"][0]["counters"] if st else {}
# the verdict falls on the ADMIN$ tree connect (frame 50): that frame and every later one
# of the 10.20.30.7:51234 <-> 10.20.30.40:445 flow are gone, nothing else is
session = [i for i, f in enumerate(inp) if {f[0], f[1]} == {"10.20.30.7", "10.20.30.40"}]
verdict = 49  # 0-based index of frame 50
want = [f for i, f in enumerate(inp) if not (i in session and i >= verdict)]
check(blocked == want, f"block: the flow stops at its verdict, all else in order ({len(blocked)} vs {len(want)})")
check(c.get("pkt-blocked") == len([i for i in session if i >= verdict]), f"pkt-blocked counts them: {c.get('pkt-blocked')}")
check(c.get("tx") == len(want), "tx counts the forwarded packets")
check(back == [], "nothing goes back without resets")

# with resets: the server gets one after the last forwarded packet, the client one back
blocked, st, back = run_inline(BLOCK, rst=True)
check(blocked[:-1] == want and len(blocked) == len(want) + 1, "a reset follows the forwarded frames")
if blocked:
    check(blocked[-1][:4] == ("10.20.30.7", "10.20.30.40", "51234", "445"), f"the reset to the server: {blocked[-1]}")
check(len(back) == 1 and back[0][:4] == ("10.20.30.40", "10.20.30.7", "445", "51234"), f"the reset to the client: {back}")
check(st is not None and st["workers"][0]["counters"]["tx-rst"] == 2, "tx-rst counts both")
r = subprocess.run(["tshark", "-n", "-r", os.path.join(work, "out-a.pcap"), "-T", "fields", "-e", "tcp.flags.reset",
                    "-e", "tcp.checksum.status", "-e", "ip.checksum.status", "-o", "tcp.check_checksum:TRUE",
                    "-o", "ip.check_checksum:TRUE"], capture_output=True, text=True)
check(r.stdout.split() == ["1", "1", "1"], f"tshark: a RST with good IP and TCP checksums ({r.stdout.strip()})")


def fail_mode(fail_open):
    """Looping input, output to a sink; kill the control plane: forwarding goes on (fail-open)
    or stops, counted, until a control plane is back (fail-closed)."""
    cfg = os.path.join(work, "fail.yaml")
    with open(cfg, "w") as f:
        f.write(f"""
eal: {{ file_prefix: jg-fail-{os.getpid()} }}
lcores: {{ main: 0, workers: [1] }}
ports:
  - {{ name: a, device: "net_pcap0,rx_pcap={DEMO_PCAP},infinite_rx=1" }}
  - {{ name: b, device: "net_null0,no-rx=1", peer: a }}
flows: {{ table_size: 65536 }}
control: {{ socket: {sock} }}
output: {{ dir: {work}/out }}
inline: {{ fail_open: {"true" if fail_open else "false"} }}
""")
    with Live(cfg):
        s1 = wait_status(sock, lambda s: s["workers"][0]["counters"]["tx"] > 10000, 10)
        check(s1 is not None, "forwarding")
        if s1:
            os.kill(s1["control_pid"], signal.SIGKILL)
            s2 = wait_status(sock, lambda s: s["control_attaches"] == 2, 10)
            c = s2["workers"][0]["counters"] if s2 else {}
            if fail_open:
                check(c.get("pkt-fail-closed") == 0 and c.get("tx", 0) > s1["workers"][0]["counters"]["tx"],
                      "fail-open: forwarding went on without a control plane")
            else:
                check(c.get("pkt-fail-closed", 0) > 0, f"fail-closed: packets dropped, counted ({c.get('pkt-fail-closed')})")


fail_mode(True)
fail_mode(False)
cleanup(work)
done()
