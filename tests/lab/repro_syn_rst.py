#!/usr/bin/python3
"""Minimal reproduction (found by tests/lab/run, scenario 3): inline.rst on a flow blocked at
its SYN. A service judged by port (ssh) is blocked on the client's first packet; the reset
Jumpgate sends back must be one a TCP in SYN-SENT accepts (RFC 9293 3.10.7.3: ACK set,
acknowledging the SYN), else the client ignores it and waits for its connect timeout.

    sudo tests/lab/repro_syn_rst.py      exit 0: the reset is acceptable; 1: it is not

Two net_pcap ports paired inline, one SYN in, the packets each port sent read back."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from jgtest import Live, cleanup, need_root_and_hugepages, tmpdir, wait_status  # noqa: E402
from scapy.all import IP, TCP, Ether, rdpcap, wrpcap  # noqa: E402

need_root_and_hugepages()
# JG_REPRO_DIR=/tmp/jq (a short path) shows a second bug: jg-control reopens the net_pcap
# tx files with O_TRUNC and the dataplane's reset is lost ("got 0"); see docs/lab.md
work = os.environ.get("JG_REPRO_DIR") or tmpdir("synrst")
os.makedirs(work, exist_ok=True)
syn = Ether(src="02:00:00:00:00:20", dst="02:00:00:00:00:30") / \
    IP(src="10.0.2.20", dst="10.0.3.30") / TCP(sport=40000, dport=22, flags="S", seq=1000)
wrpcap(os.path.join(work, "syn.pcap"), [syn])
wrpcap(os.path.join(work, "empty.pcap"), [])
with open(os.path.join(work, "policy.yaml"), "w") as f:
    f.write("""zones:
  - { name: workstations, prefixes: [10.0.2.0/24] }
  - { name: servers, prefixes: [10.0.3.0/24] }
policy:
  default: allow
  rules:
    - { from: workstations, to: servers, service: ssh, action: block }
""")
sock = os.path.join(work, "jgctl.sock")
cfg = os.path.join(work, "run.yaml")
with open(cfg, "w") as f:
    f.write(f"""eal: {{ file_prefix: jg-synrst-{os.getpid()} }}
lcores: {{ main: 0, workers: [1] }}
ports:
  - {{ name: clients, device: "net_pcap0,rx_pcap={work}/syn.pcap,tx_pcap={work}/to-client.pcap" }}
  - {{ name: servers, device: "net_pcap1,rx_pcap={work}/empty.pcap,tx_pcap={work}/to-server.pcap", peer: clients }}
flows: {{ table_size: 65536 }}
control: {{ socket: {sock} }}
output: {{ dir: {work}/out }}
detect: {{ policy: {work}/policy.yaml }}
inline: {{ rst: true }}
""")
with Live(cfg):
    st = wait_status(sock, lambda s: s["workers"][0]["counters"]["tx-rst"] == 2, 20)
if st is None:
    print("no reset was sent (tx-rst != 2)")
    sys.exit(1)
back = [p for p in rdpcap(os.path.join(work, "to-client.pcap")) if TCP in p]
cleanup(work)
# jg-control (a DPDK secondary) opens the net_pcap ports' files too, its tx_pcap paths cut
# short: the stray empty pcap it leaves is a prefix of one of ours (see docs/lab.md)
for tx in ("to-client.pcap", "to-server.pcap"):
    full = os.path.join(work, tx)
    for n in range(len(os.path.dirname(work)) + 2, len(full)):
        if os.path.isfile(full[:n]) and os.path.getsize(full[:n]) == 24:
            os.remove(full[:n])
if len(back) != 1:
    print(f"expected one reset to the client, got {len(back)}")
    sys.exit(1)
t = back[0][TCP]
print(f"reset to the client: flags {t.flags}, seq {t.seq}, ack {t.ack} (the SYN had seq {syn[TCP].seq})")
ok = "R" in str(t.flags) and "A" in str(t.flags) and t.ack == syn[TCP].seq + 1
print("OK: SYN-SENT accepts it" if ok else "BUG: SYN-SENT ignores it (needs RST+ACK, ack = SYN seq + 1)")
sys.exit(0 if ok else 1)
