#!/usr/bin/python3
"""Rewrite a capture the way fragroute-style tools evade an IDS, one class of evasion at
a time, so that a detector can be held to finding the same attack in it.

    evade.py --list
    evade.py --class NAME --seed N IN.pcap OUT.pcap [--server-port 445]

Only the TCP connections to --server-port change, and of those the client's data (the
direction that carries the attack), except where a class says otherwise. Each connection
is rebuilt from its byte streams (the first copy of every byte; retransmissions are
dropped), the client's segments no longer than the handshake's MSS (a capture taken on a
host holds segments TSO/GRO merged). Checksums are made right everywhere, untouched
packets included, except where a class wants them wrong. Every random choice comes from
the seed: the same seed and input give the same output, byte for byte. Exit status 3: the
capture has nothing the class can work on."""
import argparse
import random
import sys

from appclasses import DecoyLiterals, RpcBigEndian, RpcFrag3, RpcJunkCtx
from flows import Capture, Unfit, run
from netclasses import CLASSES as NET, Rpc1Byte, SynSweep
from wire import LINKTYPE_ETHERNET, write_pcap

CLASSES = {c.name: c for c in NET + (RpcJunkCtx, RpcFrag3, RpcBigEndian, DecoyLiterals, Rpc1Byte, SynSweep)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--list", action="store_true", help="print the classes")
    ap.add_argument("--class", dest="cls", choices=sorted(CLASSES), metavar="NAME")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--server-port", type=int, default=445)
    ap.add_argument("input", nargs="?")
    ap.add_argument("output", nargs="?")
    a = ap.parse_args()
    if a.list:
        for name, c in CLASSES.items():
            print(f"{name:20} {c.doc}")
        return 0
    if not (a.cls and a.input and a.output):
        ap.error("--class, IN.pcap and OUT.pcap are needed (or --list)")
    cap = Capture(a.input, a.server_port)
    if cap.linktype != LINKTYPE_ETHERNET:
        print(f"{a.input}: link type {cap.linktype}, only Ethernet is handled", file=sys.stderr)
        return 2
    targets = cap.targets()
    if not targets:
        print(f"{a.input}: no TCP connection to port {a.server_port}", file=sys.stderr)
        return 3
    try:
        frames = run(cap, CLASSES[a.cls](random.Random(a.seed), cap))
    except Unfit as e:
        print(f"{a.cls}: {a.input}: {e}", file=sys.stderr)
        return 3
    write_pcap(a.output, cap.linktype, frames)
    print(f"{a.cls} (seed {a.seed}): {len(cap.frames)} -> {len(frames)} packets, "
          f"{len(targets)} connection(s) to port {a.server_port} rewritten")
    return 0


if __name__ == "__main__":
    sys.exit(main())
