#!/usr/bin/python3
"""Replay input in every form the reader takes: an Ethernet pcap read in place (microsecond
and nanosecond stamps), and converted first: pcapng whose interfaces differ in link type,
snapshot length and timestamp resolution (libpcap gives up on it), PPP, Cisco HDLC and
NFLOG captures, a file cut inside a record. The same traffic each time (two TCP sessions
and a DNS exchange): the same flows, every packet in a flow, capture times kept. A file read
in place is mapped; each such form is replayed with read() too, and so are random frames cut at
random lengths (seed printed) ending at a page boundary: both readers alike. A file cut on
disk during its replay stops the dataplane with exit 3 and a message."""
import os
import random
import shutil
import struct
import subprocess

from scapy.all import DNS, DNSQR, IP, TCP, UDP, Ether, Raw  # Debian's python3-scapy

from jgtest import *

need_root_and_hugepages()
T0 = 1764000000  # 2025-11-24T16:00:00Z


def traffic():
    """(seconds, nanoseconds, IP packet) of two TCP sessions and a DNS query and answer."""
    pkts = []
    for k, (cli, port) in enumerate((("10.9.0.7", 50001), ("10.9.0.8", 50002))):
        srv = "10.9.0.40"
        c = IP(src=cli, dst=srv) / TCP(sport=port, dport=445, seq=1000)
        s = IP(src=srv, dst=cli) / TCP(sport=445, dport=port, seq=5000)
        pkts += [c.copy(), s.copy(), c.copy(), c.copy(), s.copy(), c.copy(), s.copy()]
        flags = ["S", "SA", "A", "PA", "PA", "FA", "FA"]
        for p, f in zip(pkts[-7:], flags):
            p[TCP].flags = f
            if f == "PA":
                p /= Raw(b"x" * 100)
    pkts.append(IP(src="10.9.0.7", dst="10.9.0.53") / UDP(sport=53000, dport=53) / DNS(qd=DNSQR(qname="dc01")))
    pkts.append(IP(src="10.9.0.53", dst="10.9.0.7") / UDP(sport=53, dport=53000) / DNS(qr=1, qd=DNSQR(qname="dc01")))
    return [(T0 + i, 123456789 + i, bytes(p)) for i, p in enumerate(pkts)]


def eth(ip):
    return bytes(Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / IP(ip))


def pcap(linktype, recs, nsec=False, snap=65535):
    out = [struct.pack("<IHHiIII", 0xA1B23C4D if nsec else 0xA1B2C3D4, 2, 4, 0, 0, snap, linktype)]
    for sec, ns, data in recs:
        frac = ns if nsec else ns // 1000
        out += [struct.pack("<IIII", sec, frac, len(data), len(data)), data]
    return b"".join(out)


def block(btype, body):
    body += b"\0" * (-len(body) % 4)
    n = len(body) + 12
    return struct.pack("<II", btype, n) + body + struct.pack("<I", n)


def pcapng(recs):
    """Two interfaces: Ethernet (microseconds) and raw IP with a 256-byte snapshot (nanoseconds)."""
    out = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    out += block(1, struct.pack("<HHI", 1, 0, 65535))
    out += block(1, struct.pack("<HHI", 101, 0, 256) + struct.pack("<HHB3x", 9, 1, 9) + struct.pack("<HH", 0, 0))
    for i, (sec, ns, data) in enumerate(recs):
        iface = i % 2
        frame = eth(data) if iface == 0 else data
        ts = sec * 1000000 + ns // 1000 if iface == 0 else sec * 1000000000 + ns
        out += block(6, struct.pack("<IIIII", iface, ts >> 32, ts & 0xFFFFFFFF, len(frame), len(frame)) + frame)
    return out


def nflog(ip):
    tlv = lambda t, v: struct.pack("<HH", 4 + len(v), t) + v + b"\0" * (-len(v) % 4)
    return struct.pack("<BBH", 2, 0, 0) + tlv(1, b"\x08\x00\x03\x00") + tlv(10, b"jg\0") + tlv(9, ip)


recs = traffic()
forms = {
    "ethernet.pcap": (pcap(1, [(s, n, eth(d)) for s, n, d in recs]), "read in place"),
    "ethernet-ns.pcap": (pcap(1, [(s, n, eth(d)) for s, n, d in recs], nsec=True), "read in place"),
    "two-interfaces.pcapng": (pcapng(recs), "converted"),
    "ppp.pcap": (pcap(9, [(s, n, b"\xff\x03\x00\x21" + d) for s, n, d in recs]), "converted"),
    "c_hdlc.pcap": (pcap(104, [(s, n, b"\x0f\x00\x08\x00" + d) for s, n, d in recs]), "converted"),
    "nflog.pcap": (pcap(239, [(s, n, nflog(d)) for s, n, d in recs]), "converted"),
}
work = tmpdir("formats")
runs = [(name, data, how, None) for name, (data, how) in forms.items()]
# a pcap read in place is mapped; read() (JG_REPLAY_MAP=0) is what a file that cannot be mapped gets
runs += [(name, data, how, "0") for name, (data, how) in forms.items() if how == "read in place"]
for name, data, how, map_env in runs:
    path = f"{work}/{name}"
    with open(path, "wb") as f:
        f.write(data)
    env = dict(os.environ, JG_REPLAY_MAP=map_env) if map_env is not None else None
    r, out = replay([path], env=env)
    name += " (read)" if map_env is not None else ""
    check(r.returncode == 0, f"{name}: replay exit {r.returncode}: {r.stderr[-400:]}")
    check(how in r.stdout, f"{name}: input {how}")
    s = summary(out)
    check(s["reader"] == ("read" if map_env is not None else "mapped"), f"{name}: the reader {s['reader']}")
    handled, dropped = accounted(s)
    check(handled == len(recs) and dropped == 0, f"{name}: {handled} handled, {dropped} dropped of {len(recs)}")
    check(s["counters"]["pkt-flow"] == len(recs), f"{name}: every packet in a flow ({s['counters']['pkt-flow']})")
    flows = jsonl(f"{out}/flows.jsonl")
    tcp = sorted((f["src_ip"], f["src_port"], f["packets"]) for f in flows if f["proto"] == "tcp")
    check(tcp == [("10.9.0.7", 50001, 7), ("10.9.0.8", 50002, 7)], f"{name}: the two sessions {tcp}")
    check(sum(1 for f in flows if f["proto"] == "udp") == 1, f"{name}: one DNS flow")
    first = min(f["start"] for f in flows)
    check(first == "2025-11-24T16:00:00.123456Z", f"{name}: capture time kept ({first})")
    cleanup(out)

# a frame longer than an mbuf can point to (65,535 bytes): copied into a chain, both readers alike
big_ip = bytes(IP(src="10.9.0.7", dst="10.9.0.40") / UDP(sport=53001, dport=9999) / Raw(b"y" * 65507))
big = eth(big_ip) + b"\0" * 4451  # an Ethernet trailer past the 65,535-byte datagram: 70,000 bytes
with open(f"{work}/big.pcap", "wb") as f:
    f.write(pcap(1, [(T0, 0, big), (T0 + 1, 0, eth(recs[0][2]))], snap=262144))
for map_env in (None, "0"):
    env = dict(os.environ, JG_REPLAY_MAP=map_env) if map_env is not None else None
    r, out = replay([f"{work}/big.pcap"], env=env)
    check(r.returncode == 0 and "read in place" in r.stdout, f"big frame ({map_env}): {r.stderr[-300:]}")
    handled, dropped = accounted(summary(out))
    check(handled == 2 and dropped == 0, f"big frame ({map_env}): {handled} handled, {dropped} dropped")
    udp = [f for f in jsonl(f"{out}/flows.jsonl") if f["proto"] == "udp"]
    check(len(udp) == 1 and udp[0]["bytes"] == 70000, f"big frame ({map_env}): its flow {udp}")
    cleanup(out)

# random frames, cut at random lengths (none, inside the Ethernet, IP or TCP header, whole), the
# last record ending on the file's last byte at a page boundary (a mapped read past a frame's end
# would fault there): the mapped reader and read() must give the same counters and flow records
seed = int(os.environ.get("JG_REPLAY_SEED", "0")) or int.from_bytes(os.urandom(4), "little")
print(f"random frames: seed {seed} (JG_REPLAY_SEED)")
rng = random.Random(seed)


def random_frame(caplen):
    proto = rng.choice((6, 17, 6, 1))
    l4 = struct.pack(">HHIIBBHHH", rng.choice((445, 135, 80, 53, 50000)), rng.randrange(1, 65536), rng.getrandbits(32),
                     rng.getrandbits(32), 0x50, rng.getrandbits(8), 65535, 0, 0)
    body = l4 + bytes(rng.getrandbits(8) for _ in range(rng.randrange(0, 80)))
    ip = struct.pack(">BBHHHBBH4s4s", 0x45 if rng.random() < 0.9 else rng.getrandbits(8), 0, 20 + len(body),
                     rng.getrandbits(16), 0x4000 if rng.random() < 0.9 else rng.getrandbits(16), 64, proto, 0,
                     bytes((10, 0, rng.randrange(4), rng.randrange(1, 5))), bytes((10, 1, 0, rng.randrange(1, 5))))
    frame = b"\2\0\0\0\0\2\2\0\0\0\0\1\x08\0" + ip + body
    frame += bytes(max(0, caplen - len(frame)))
    return frame[:caplen], len(frame)


lens = (0, 1, 13, 14, 33, 34, 53, 54, 55, 60, 64, 100, 200)
rand_recs = [random_frame(rng.choice(lens)) for _ in range(3000)]
body = b"".join(struct.pack("<IIII", T0 + i // 100, i, len(f), o) + f for i, (f, o) in enumerate(rand_recs))
last = 4096 - (24 + len(body) + 16) % 4096
last += 4096 if last < 60 else 0
f, o = random_frame(last)
body += struct.pack("<IIII", T0 + 60, 0, len(f), o) + f
rand_path = f"{work}/random.pcap"
with open(rand_path, "wb") as fh:
    fh.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1) + body)
check(os.path.getsize(rand_path) % 4096 == 0, "random frames: the file ends at a page boundary")
results = []
for map_env in (None, "0"):
    env = dict(os.environ, JG_HASH_SEED="7", **({"JG_REPLAY_MAP": map_env} if map_env else {}))
    r, out = replay([rand_path], env=env)
    check(r.returncode == 0, f"random frames ({map_env}): exit {r.returncode}: {r.stderr[-400:]}")
    s = summary(out)
    handled, dropped = accounted(s)
    check(handled == len(rand_recs) + 1 and dropped == 0, f"random frames ({map_env}): {handled} handled, {dropped} dropped")
    results.append((s["counters"], sorted(open(f"{out}/flows.jsonl").read().splitlines())))
    cleanup(out)
check(results[0] == results[1], f"random frames: both readers alike (seed {seed})")

# a file cut on disk while it is replayed: its mapping's pages past the new end are gone (SIGBUS),
# the dataplane says so and stops. Made certain: jg-dataplane alone, the file cut once it is ready
# (mapped) and before the control plane attaches (no packet is read before that).
frames = [eth(d) for _, _, d in recs]
many = [(T0 + i // 1000, (i % 1000) * 1000, frames[i % len(frames)]) for i in range(40000)]
cut_path = f"{work}/cut-on-disk.pcap"
with open(cut_path, "wb") as f:
    f.write(pcap(1, many))
prefix = f"jgcut{os.getpid()}"
out = tmpdir("cut")
rfd, wfd = os.pipe()
# under AddressSanitizer the dataplane's own SIGBUS handler is ignored unless allowed
asan = ":".join(o for o in (os.environ.get("ASAN_OPTIONS"), "allow_user_segv_handler=1") if o)
dp = subprocess.Popen([os.path.join(BUILD, "jg-dataplane"), "-c", CONFIG, "--file-prefix", prefix, "--pcap", cut_path,
                       "--replay-packets", str(len(many)), "--out", out, "--ready-fd", str(wfd)],
                      pass_fds=(wfd,), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                      env=dict(os.environ, ASAN_OPTIONS=asan))
os.close(wfd)
ready = os.read(rfd, 16)
os.close(rfd)
check(ready.startswith(b"ready"), f"the dataplane got ready: {ready!r}")
os.truncate(cut_path, 65536)
ctl = subprocess.Popen([os.path.join(BUILD, "jg-control"), "-c", CONFIG, "--file-prefix", prefix, "--socket",
                        f"{out}/jgctl.sock", "--out", out, "--replay"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    _, err = dp.communicate(timeout=60)
except subprocess.TimeoutExpired:
    dp.kill()
    _, err = dp.communicate()
try:
    ctl.wait(timeout=30)
except subprocess.TimeoutExpired:
    ctl.kill()
    ctl.wait()
check(dp.returncode == 3, f"cut on disk: the dataplane's exit {dp.returncode}: {err[-400:]}")
check("cut short while it was read" in err, "cut on disk: said in words")
for d in ("/dev/hugepages", "/mnt/huge"):  # what the launcher's clean-up would remove
    if os.path.isdir(d):
        for name in os.listdir(d):
            if name.startswith(prefix):
                os.unlink(os.path.join(d, name))
shutil.rmtree(f"/var/run/dpdk/{prefix}", ignore_errors=True)
cleanup(out)

# a file cut inside its last record: libpcap reads what is whole, and says so
data = forms["ethernet.pcap"][0][:-30]
with open(f"{work}/cut.pcap", "wb") as f:
    f.write(data)
r, out = replay([f"{work}/cut.pcap"])
check(r.returncode == 0 and "converted" in r.stdout, f"cut file replayed after conversion: {r.stderr[-300:]}")
check("warning" in r.stderr, "the cut is reported")
handled, dropped = accounted(summary(out))
check(handled == len(recs) - 1 and dropped == 0, f"the whole records: {handled}")
cleanup(out, work)
done()
