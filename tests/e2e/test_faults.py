#!/usr/bin/python3
"""Fault injection: nothing crashes, hangs, grows without bound or is lost uncounted.
1. A SYN flood from random sources to SSH (every new flow an admin_session and a
   zone_violation under the default policy) into a 1024-flow table, while the control plane
   is frozen (SIGSTOP): the table evicts (counted), the small flow and event rings fill
   (counted), the dataplane keeps receiving; every flow, record and event is accounted for,
   exactly.
2. A malformed-packet storm (garbage, short frames, bogus IHL and lengths, tiny
   fragments, overlapping TCP segments to 445): every frame lands in the class it was
   built for.
3. SIGTERM in the middle of a replay: a clean stop, complete JSON outputs, and the packets
   never read are accounted for as unread.
4. The mbuf pool exhausted: two workers share one CPU, the second is starved (nice 19), its
   dispatch ring (far larger than the pool) fills with mbufs until the pool runs dry; the port
   counts what it could not take (rx_nombuf), every packet read is handled or a counted drop,
   also those in flight between the workers at the stop."""
import json
import os
import random
import signal
import struct
import subprocess
import time

from jgtest import *

need_root_and_hugepages()
work = tmpdir("faults")
rng = random.Random(7)


def write_pcap(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", 1700000000 + i // 1000, (i % 1000) * 1000, len(fr), len(fr)))
            f.write(fr)


def ipv4(src, dst, proto, payload, ihl=5, total=None, frag=0):
    tot = total if total is not None else 4 * ihl + len(payload)
    hdr = struct.pack(">BBHHHBBH4s4s", 0x40 | ihl, 0, tot, 1, frag, 64, proto, 0, src, dst)
    return hdr + b"\0" * (4 * ihl - 20) + payload


def eth(payload, etype=0x0800):
    return b"\x02" * 6 + b"\x04" * 6 + struct.pack(">H", etype) + payload


def tcp(sport, dport, seq, flags, payload=b""):
    return struct.pack(">HHIIBBHHH", sport, dport, seq, 0, 5 << 4, flags, 65535, 0, 0) + payload


# ---- 1. SYN flood, frozen control plane ----
flood = os.path.join(work, "flood.pcap")
write_pcap(flood, [eth(ipv4(bytes(rng.randrange(256) for _ in range(4)), b"\x0a\0\0\x01", 6,
                            tcp(rng.randrange(1024, 65535), 22, rng.randrange(1 << 32), 0x02)))
                   for _ in range(5000)])  # infinite_rx keeps them all in mbufs
sock = os.path.join(work, "jgctl.sock")
cfg = os.path.join(work, "flood.yaml")
with open(cfg, "w") as f:
    f.write(f"""
eal: {{ file_prefix: jg-flood-{os.getpid()} }}
lcores: {{ main: 0, workers: [1] }}
ports: [ {{ name: flood, device: "net_pcap0,rx_pcap={flood},infinite_rx=1" }} ]
flows: {{ table_size: 1024 }}
rings: {{ flows: 64, events: 64 }}
control: {{ socket: {sock} }}
output: {{ dir: {work}/out }}
""")
with Live(cfg) as live:
    s = wait_status(sock, lambda s: s["workers"][0]["counters"]["flow-evicted"] > 1000, 10)
    check(s is not None, "a full table evicts")
    if s:
        os.kill(s["control_pid"], signal.SIGSTOP)
        time.sleep(1.5)
        os.kill(s["control_pid"], signal.SIGCONT)
        s2 = wait_status(sock, lambda s: True, 5)
        c, c1 = s2["workers"][0]["counters"], s["workers"][0]["counters"]
        w = s2["workers"][0]
        check(c["rx"] > c1["rx"] + 100000, "the dataplane kept receiving while the control plane was frozen")
        check(c["flow-ring-full"] > 0, "a full flow ring is a counted drop")
        check(w["flows_active"] <= 1024, "the table never grows past its size")
        ended = sum(c[k] for k in ("flow-end-idle", "flow-end-closed", "flow-evicted", "flow-end-flush"))
        check(abs(c["flow-new"] - ended - w["flows_active"]) <= 64, "every flow is live or ended (in-flight burst)")
check(live.returncode == 0, "clean stop")
# after the stop every counter is final: exact accounting
c = summary(os.path.join(work, "out"))["counters"]
ended = sum(c[k] for k in ("flow-end-idle", "flow-end-closed", "flow-evicted", "flow-end-flush", "flow-end-active"))
check(c["flow-new"] == ended - c["flow-end-active"], f"every flow ended exactly once: {c['flow-new']} vs {ended}")
check(c["flow-records"] + c["flow-ring-full"] == ended, "every ended flow is a record sent or a counted drop")
check(c["pkt-flow"] == c["rx"], "every packet handled")
check(c["event-ring-full"] > 0, "a full event ring is a counted drop")
check(c["events"] + c["event-ring-full"] == 2 * c["flow-new"],
      f"two events per new SSH flow, sent or counted: {c['events']} + {c['event-ring-full']} vs {c['flow-new']}")
flows = jsonl(os.path.join(work, "out", "flows.jsonl"))
check(len(flows) >= c["flow-records"], "every record sent was written")

# ---- 2. malformed storm ----
frames, want = [], {"pkt-non-ip": 0, "pkt-truncated": 0, "pkt-malformed": 0, "pkt-fragment": 0, "pkt-flow": 0}
for i in range(6000):
    k = i % 6
    if k == 0:
        frames.append(eth(bytes(rng.randrange(256) for _ in range(rng.randrange(0, 200))), 0x1234))
        want["pkt-non-ip"] += 1
    elif k == 1:
        frames.append(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 14))))
        want["pkt-truncated"] += 1
    elif k == 2:
        frames.append(eth(ipv4(b"\1\2\3\4", b"\5\6\7\x08", 6, b"x" * 20)[:0] + bytes([0x40 | rng.randrange(0, 5)]) +
                          bytes(rng.randrange(256) for _ in range(39))))
        want["pkt-malformed"] += 1
    elif k == 3:
        frames.append(eth(ipv4(b"\1\2\3\4", b"\5\6\7\x08", 17, b"y" * 8, frag=rng.randrange(1, 0x1fff))))
        want["pkt-fragment"] += 1
    elif k == 4:
        frames.append(eth(ipv4(b"\1\2\3\4", b"\5\6\7\x08", 6, b"z" * 10)))  # TCP header cut short
        want["pkt-truncated"] += 1
    else:  # overlapping, out-of-order segments of garbage "SMB" to 445
        seq = 1000 + rng.randrange(0, 3000)
        body = b"\0\0\0\x40\xfeSMB" + bytes(rng.randrange(256) for _ in range(rng.randrange(0, 300)))
        frames.append(eth(ipv4(b"\x0a\0\0\x07", b"\x0a\0\0\x28", 6, tcp(50000, 445, seq, 0x18, body))))
        want["pkt-flow"] += 1
storm = os.path.join(work, "storm.pcap")
write_pcap(storm, frames)
r, out = replay([storm])
check(r.returncode == 0, f"storm replay exit {r.returncode}: {r.stderr[-300:]}")
if r.returncode == 0:
    c = summary(out)["counters"]
    for k, v in want.items():
        check(c[k] == v, f"storm: {k} {c[k]} == {v}")
    check(c["stream-gaps"] + c["stream-retransmits"] > 0, "storm: overlapping segments seen as such")
    cleanup(out)

# ---- 3. SIGTERM during a replay ----
big = os.path.join(SHARED, "elcabezzonn", "miscellaneous.pcap")
inputs = [big] * 40 if os.path.exists(big) else [flood] * 10
out = os.path.join(work, "term")
proc = subprocess.Popen([JUMPGATE, "replay", "-c", CONFIG, "--out", out, *inputs],
                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
sock = os.path.join(out, "jgctl.sock")
for _ in range(300):
    s = jgctl_status(sock) if os.path.exists(sock) else None
    if s and s["ports"][0]["ipackets"] > 0:
        break
    time.sleep(0.01)
proc.send_signal(signal.SIGTERM)
text, _ = proc.communicate(timeout=120)
check(proc.returncode == 0, f"SIGTERM: clean stop ({proc.returncode})")
sm = summary(out)
handled, dropped = accounted(sm)
check(handled + dropped == sm["input_packets"] and sm["unread"] > 0,
      f"SIGTERM: handled {handled} + dropped {dropped} (unread {sm['unread']}) == {sm['input_packets']}")
jsonl(os.path.join(out, "events.jsonl"))
fl = jsonl(os.path.join(out, "flows.jsonl"))
check(len(fl) >= sm["counters"]["flow-records"], "SIGTERM: every flow record written")

# ---- 4. mbuf pool exhausted ----
small = os.path.join(work, "small.pcap")
write_pcap(small, [eth(ipv4(bytes([10, 1, (i // 256) % 256, i % 256]), b"\x0a\0\0\x01", 6,
                               tcp(40000 + i % 20000, 445, i, 0x02))) for i in range(300000)])
cfg = os.path.join(work, "pool.yaml")
with open(cfg, "w") as f:
    f.write(f"""
eal: {{ file_prefix: jg-pool-{os.getpid()} }}
lcores: {{ main: 0, workers: [1, 2], cpus: [0, 1, 1] }}
ports: [ {{ name: p, device: "net_pcap0,rx_pcap={small}" }} ]
mempool: {{ mbufs: 4095, cache: 64 }}
rings: {{ dispatch: 16384 }}
flows: {{ table_size: 4096 }}
control: {{ socket: {sock} }}
output: {{ dir: {work}/pool }}
""")


def nice_thread_early(cmdline_part, thread, seconds=30):
    """nice 19 a dataplane thread as soon as it exists: lcore threads are made at EAL start,
    before the ports start, so this lands before the first packet however fast the file is read."""
    end = time.time() + seconds
    while time.time() < end:
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as fh:
                    if cmdline_part.encode() not in fh.read() or not os.path.exists(f"/proc/{pid}/exe") or \
                            not os.readlink(f"/proc/{pid}/exe").endswith("jg-dataplane"):
                        continue
                for tid in os.listdir(f"/proc/{pid}/task"):
                    with open(f"/proc/{pid}/task/{tid}/comm") as fh:
                        if fh.read().strip() == thread:
                            os.setpriority(os.PRIO_PROCESS, int(tid), 19)
                            return True
            except OSError:
                continue
        time.sleep(0.002)
    return False


with Live(cfg) as live:
    # starve the second worker (nice 19 on the CPU it shares with the first): its dispatch
    # ring fills with mbufs until the pool runs dry
    check(nice_thread_early(cfg, "rte-worker-2"), "the second worker is starved from the start")
    check(wait_status(sock, lambda s: s["state"] == "running", 30) is not None, "running")
    # the file is read once: wait until all of it is in (received, or lost for want of an mbuf)
    s = wait_status(sock, lambda s: s["ports"][0]["ipackets"] + s["ports"][0]["rx_nombuf"] == 300000, 60)
    check(s is not None, "the whole file was read")
check(live.returncode == 0, f"clean stop ({live.returncode}): {live.output[-300:]}")
sm = summary(os.path.join(work, "pool"))
c = sm["counters"]
handled = sum(c[k] for k in ("pkt-flow", "pkt-non-ip", "pkt-fragment", "pkt-truncated", "pkt-malformed"))
check(handled + c["dispatch-ring-full"] == c["rx"] == sm["port"]["ipackets"],
      f"every received packet handled or a counted drop: {handled} + {c['dispatch-ring-full']} vs {c['rx']}")
check(sm["port"]["ipackets"] + sm["port"]["rx_nombuf"] == 300000, "what the port could not take is counted (rx_nombuf)")
check(sm["port"]["rx_nombuf"] > 0, "the pool did run dry")
print(f"pool: {sm['port']['rx_nombuf']} packets found no mbuf, {c['dispatch-ring-full']} dispatch drops")
cleanup(work)
done()
