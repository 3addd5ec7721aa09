"""Scenario 5: real captures from ../shared/pcaps/ replayed with tcpreplay at a fixed rate
into the mirror port; Jumpgate's counters against what tcpreplay says it sent, per-packet
outcomes against an offline `jumpgate replay` of the same file, events against EXPECTED.tsv."""
import json
import os
import re
import struct
import subprocess
import tempfile
import time

from lab_env import JUMPGATE, SHARED_PCAPS
from lab_jumpgate import parse_ts
from lab_monitor import AFTER, BEFORE

# Ethernet pcaps whose frames fit a 1500-byte MTU (tcpreplay cannot send larger ones
# into a veth): attacks of several kinds and some plain SMB for volume.
CAPTURES = [
    "401trg/20171220_smb_at_schedule.pcap",
    "elcabezzonn/atexec_.pcap",
    "pcap-attack/LM_Fileless_Lateral_Movement_ChangeServiceConfigA.pcap",
    "elcabezzonn/dcom_ired_team_lateral_movement_mmc.pcap",
    "suricata-verify/dcerpc__zerologon__input.pcap",
    "zeek/smb__smb2.pcap",
]
PPS = int(os.environ.get("JG_LAB_PPS", "3000"))
OUTCOMES = ("pkt-flow", "pkt-non-ip", "pkt-fragment", "pkt-truncated", "pkt-malformed", "pkt-flow-table-full")


def pcap_frames(path):
    """(link type, frames, largest frame) of a classic pcap file; None for anything else."""
    with open(path, "rb") as f:
        h = f.read(24)
        if len(h) < 24:
            return None
        magic = struct.unpack("<I", h[:4])[0]
        e = {0xa1b2c3d4: "<", 0xa1b23c4d: "<", 0xd4c3b2a1: ">", 0x4d3cb2a1: ">"}.get(magic)
        if e is None:
            return None
        linktype, n, big = struct.unpack(e + "I", h[20:24])[0], 0, 0
        while True:
            r = f.read(16)
            if len(r) < 16:
                break
            _, _, caplen, origlen = struct.unpack(e + "IIII", r)
            f.seek(caplen, 1)
            n, big = n + 1, max(big, caplen, origlen)
    return linktype, n, big


def expectations():
    """EXPECTED.tsv: file -> (must, must not) condition lists, as ../shared/tools/check-events.py reads them."""
    out = {}
    path = os.path.join(SHARED_PCAPS, "EXPECTED.tsv")
    if not os.path.exists(path):
        return out
    for line in open(path):
        if not line.strip() or line.startswith("#"):
            continue
        f, must, mustnot = (line.rstrip("\n").split("\t") + ["", ""])[:3]
        out[f] = ([c for c in must.split(";") if c.strip()], [c for c in mustnot.split(";") if c.strip()])
    return out


def matches(ev, cond):
    for pair in cond.split(","):
        k, _, v = pair.strip().partition("=")
        if ev.get(k) is None or str(ev[k]).lower() not in [a.lower() for a in v.split("|")]:
            return False
    return True


def offline(path):
    """Per-packet outcomes of the same capture through `jumpgate replay`."""
    out = tempfile.mkdtemp(prefix="jglab-ref-")
    subprocess.run([JUMPGATE, "replay", "--out", out, path], capture_output=True, text=True, timeout=120, check=True)
    with open(os.path.join(out, "summary.json")) as f:
        c = json.load(f)["counters"]
    subprocess.run(["rm", "-rf", out])
    return {k: c[k] for k in OUTCOMES}


def scenario_replay(res, net, jg):
    if not os.path.isdir(SHARED_PCAPS):
        res.note(f"{SHARED_PCAPS} is absent: replay scenario skipped")
        return
    want = expectations()
    for name in CAPTURES:
        path = os.path.join(SHARED_PCAPS, name)
        info = pcap_frames(path) if os.path.exists(path) else None
        if info is None or info[0] != 1 or info[2] > 1514:
            res.note(f"{name}: absent or not an Ethernet pcap within the MTU, skipped")
            continue
        frames = info[1]
        ref = offline(path)
        s0 = jg.stats()
        k0 = net.counters("jg", "span0")[0]
        t0 = time.time()
        r = subprocess.run(net.cmd("sw", "tcpreplay", "-i", "mon", f"--pps={PPS}", path),
                           capture_output=True, text=True, timeout=300)
        t1 = time.time()
        m = re.search(r"Actual: (\d+) packets", r.stdout)
        sent = int(m.group(1)) if m else -1
        failed = re.search(r"Failed packets:\s+(\d+)", r.stdout)
        res.check(r.returncode == 0 and sent == frames and failed and failed.group(1) == "0",
                  f"{name}: tcpreplay sent {sent} of {frames} frames at {PPS} pps", r.stdout[-300:] + r.stderr[-300:])
        s1 = jg.wait_idle()
        rx = s1["ports"][0]["rx"] - s0["ports"][0]["rx"]
        kernel = net.counters("jg", "span0")[0] - k0
        d = {k: s1["total"][k] - s0["total"][k] for k in OUTCOMES}
        res.check(rx == sent == kernel, f"{name}: port rx {rx} = sent {sent} = kernel rx on span0 {kernel}")
        res.check(sum(d.values()) == sent and d == ref,
                  f"{name}: every packet handled, as offline: pkt-flow {d['pkt-flow']}, non-IP {d['pkt-non-ip']}",
                  f"live {d}, offline {ref}")
        drops = {k: s1["drops"][k] - s0["drops"][k] for k in s1["drops"]
                 if s1["drops"][k] != s0["drops"][k]}
        res.check(not drops, f"{name}: nothing dropped", str(drops))
        time.sleep(0.3)
        events = [e for e in jg.events() if t0 - BEFORE <= parse_ts(e["timestamp"]) <= t1 + AFTER]
        must, mustnot = want.get(name, ([], []))
        missing = [c for c in must if not any(matches(e, c) for e in events)]
        unwanted = [c for c in mustnot if any(matches(e, c) for e in events)]
        if must or mustnot:
            res.check(not missing and not unwanted, f"{name}: events as EXPECTED.tsv says ({len(events)} events)",
                      f"missing {missing}, unwanted {unwanted}")
