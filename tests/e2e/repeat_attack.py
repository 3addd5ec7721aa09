#!/usr/bin/python3
"""Write a capture in which one attack repeats: the bundled demo's PAExec session
(10.20.30.7 -> 10.20.30.40:445) played N times, each time from a new client port,
STEP seconds apart, after the rest of the demo.

usage: repeat_attack.py OUT.pcap [N] [STEP]"""
import os
import sys

from scapy.all import IP, TCP, PcapWriter, rdpcap

SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ATTACK_PORT = 51234


def main():
    out = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    step = float(sys.argv[3]) if len(sys.argv) > 3 else 0.5
    pkts = rdpcap(os.path.join(SRC, "demo", "demo.pcap"))
    attack = [p for p in pkts if TCP in p and ATTACK_PORT in (p[TCP].sport, p[TCP].dport)]
    if not attack:
        sys.exit("the demo capture has no PAExec session on port %d" % ATTACK_PORT)
    t0 = float(attack[0].time)
    end = max(float(p.time) for p in pkts)
    w = PcapWriter(out, linktype=1, sync=False)
    for p in pkts:
        w.write(p)
    for i in range(n):
        port = 20000 + i
        for p in attack:
            q = p.copy()
            if q[TCP].sport == ATTACK_PORT:
                q[TCP].sport = port
            else:
                q[TCP].dport = port
            del q[TCP].chksum
            del q[IP].chksum
            q.time = end + 1 + i * step + (float(p.time) - t0)
            w.write(q)
    w.close()


main()
