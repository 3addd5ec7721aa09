#!/usr/bin/python3
"""Seed corpora for the fuzz harnesses, extracted from captures (the project's own and,
when present, ../shared/pcaps): frames, SMB messages, DCE-RPC PDUs, TCP flows in the
stream harness's record format, and the shipped YAML files.

usage: make-seeds.py OUTDIR CAPTURE_OR_DIR...
"""
import glob
import hashlib
import os
import struct
import sys

from scapy.all import IP, IPv6, TCP, PcapReader, fragment, fragment6, IPv6ExtHdrFragment, Ether  # Debian's python3-scapy

PER_HARNESS = 400
PACKETS_PER_FILE = 3000
STREAM_PORTS = [445, 139, 135, 3389, 5985, 5986, 49155, 8080]
out = sys.argv[1]
seeds = {h: {} for h in ("pkt", "smb", "dcerpc", "stream", "config", "ipfrag", "pcapfile", "fleet")}


def add(h, data):
    if len(seeds[h]) < PER_HARNESS and data:
        seeds[h].setdefault(hashlib.sha1(data).hexdigest(), data)


def captures(args):
    for a in args:
        if os.path.isdir(a):
            yield from sorted(glob.glob(f"{a}/**/*.pcap*", recursive=True) + glob.glob(f"{a}/**/*.cap", recursive=True))
        elif os.path.exists(a):
            yield a


flows = {}
for path in captures(sys.argv[2:]):
    with open(path, "rb") as fh:  # the files themselves, their first 64 KiB, for the in-place pcap reader
        add("pcapfile", fh.read(65536))
    try:
        reader = PcapReader(path)
    except Exception:
        continue
    with reader:
        for i, p in enumerate(reader):
            if i >= PACKETS_PER_FILE:
                break
            raw = bytes(p)
            add("pkt", b"\xff" + raw[:2048])
            if IP in p and TCP in p and len(p[IP]) > 200 and len(seeds["ipfrag"]) < PER_HARNESS:
                # the frame's datagram in fragments of 16..64 bytes, shuffled, as ipfrag's records
                size = 16 * (1 + i % 4)
                frags = [bytes(Ether(src=p.src, dst=p.dst) / f) for f in fragment(p[IP].copy(), fragsize=size)]
                frags = frags[1::2] + frags[0::2]
                add("ipfrag", b"".join(struct.pack(">HB", len(f), 1) + f for f in frags))
            if TCP not in p:
                continue
            pay = bytes(p[TCP].payload)  # whatever scapy dissected it as
            if not pay:
                continue
            t = p[TCP]
            if len(pay) > 8 and pay[0] == 0 and pay[5:8] == b"SMB" and pay[4] in (0xfe, 0xff):
                add("smb", (b"\x00" if pay[4] == 0xfe else b"\x01") + pay[4:4096])
            if len(pay) >= 16 and pay[0] == 5 and pay[1] in (0, 1):
                add("dcerpc", pay[:4096])
            server = t.dport if t.dport in STREAM_PORTS else t.sport if t.sport in STREAM_PORTS else None
            if server is None:
                continue
            key = (path, min(t.sport, t.dport), max(t.sport, t.dport))
            f = flows.setdefault(key, {"port": STREAM_PORTS.index(server), "recs": b"", "n": 0})
            if f["n"] < 40:
                flags = (0 if t.dport == server else 1) | (2 if t.flags & 0x02 else 0)
                f["recs"] += struct.pack("<BhB", flags, 0, min(len(pay), 255)) + pay[:255]
                f["n"] += 1
for f in flows.values():
    add("stream", bytes([f["port"]]) + f["recs"])
src = os.path.join(os.path.dirname(__file__), "..", "..")
for y in glob.glob(f"{src}/config/**/*.yaml", recursive=True) + glob.glob(f"{src}/tests/e2e/*.yaml"):
    text = open(y, "rb").read()
    sel = 1 if y.endswith("patterns.yaml") else 2 if "policy" in y else 0
    add("config", bytes([sel]) + text)
# jumpgate fleet: alert lines (even first byte) and Redis replies (odd first byte)
line = (b'{"timestamp":"2021-10-17T14:46:53.325835Z","event":"rdp_session","tool":"unknown","src_ip":"10.0.0.192",'
        b'"dst_ip":"10.0.0.3","service":"rdp","action":"alert","sensor":"link-a","dst_host":"B"}')
line2 = line.replace(b"10.0.0.192", b"10.0.0.3").replace(b'"10.0.0.3","service"', b'"10.0.0.2","service"')
add("fleet", b"\0" + line + b"\n" + line2 + b"\n" + line.replace(b"}", b',"update":true,"last_seen":"2022-01-01T00:00:00.000000Z"}'))
add("fleet", b"\1" + b"*1\r\n*2\r\n$12\r\nfleet:alerts\r\n*2\r\n*2\r\n$3\r\n1-0\r\n*2\r\n$5\r\nevent\r\n$"
    + str(len(line)).encode() + b"\r\n" + line + b"\r\n*2\r\n$3\r\n2-0\r\n*-1\r\n")
add("fleet", b"\1+OK\r\n-BUSYGROUP Consumer Group name already exists\r\n:12\r\n$-1\r\n*0\r\n")
for h, items in seeds.items():
    d = os.path.join(out, h)
    os.makedirs(d, exist_ok=True)
    for name, data in items.items():
        with open(os.path.join(d, name), "wb") as fh:
            fh.write(data)
    print(f"{h}: {len(items)} seeds")
