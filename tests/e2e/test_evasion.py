#!/usr/bin/python3
"""Detection under evasion: every class of tests/evasion/evade.py (IP fragments, tiny and
reordered TCP segments, overlaps, chaff, forged RST/SYN, an idle gap, DCE-RPC and SMB2
rewrites, a SYN sweep) applied to the lab's PAExec session and to a Sysinternals PsExec
one (shared captures; a DCE-RPC-over-TCP one for rpc-1byte) must leave what Jumpgate reports
unchanged: the same tool artifacts, service installs, admin sessions and zone violations,
with the same tool, hosts, user, origin and zones as the clean capture. The classes that
leave a trace a real stack would reject or resolve (overlaps, bad checksums, out-of-window
segments, low TTLs, forged RST/SYN) must also raise an `evasion` event; the SYN sweep must
not cut inspection of the attack's flow.

The seed comes from JG_EVASION_SEED, or is drawn and printed; JG_EVASION_CLASSES
(comma-separated) runs a subset."""
import ipaddress
import os
import random
import subprocess
import sys
import time
import zlib

from jgtest import *

need_root_and_hugepages()
EVADE = os.path.join(SRC, "tests", "evasion", "evade.py")
# (label, capture, client, server, server port)
LAB = ("lab", os.path.join(SRC, "tests", "lab", "paexec.pcap"), "10.99.0.7", "10.99.0.40", 445)
PSEXEC = ("psexec", os.path.join(SHARED, "401trg", "20171220_smb_psexec_add_user.pcap"),
          "192.168.10.31", "192.168.10.10", 445)
RPC_TCP = ("svcctl-tcp", os.path.join(SHARED, "suricata-verify",
                                      "dcerpc__dcerpc-dce-iface-01__20171220_smb_psexec_mimikatz_ticket_dump-s2.pcap"),
           "192.168.10.31", "192.168.10.30", 49155)

CLASSES = ["frag4-inorder", "frag4-reverse", "frag4-random", "frag6-inorder", "frag6-reverse", "frag6-random",
           "frag4-overlap-old", "frag4-overlap-new", "tcp-tiny-reorder", "tcp-dup", "tcp-overlap-inorder",
           "tcp-overlap-ooo", "chaff-badsum", "chaff-oow", "rst-forged", "syn-midsession", "ttl-chaff",
           "idle-gap", "rpc-junk-ctx", "rpc-frag3", "rpc-bigendian", "decoy-literals", "rpc-1byte", "syn-sweep"]
EVASION_EVENT = {"frag4-overlap-old", "frag4-overlap-new", "tcp-overlap-inorder", "tcp-overlap-ooo",
                 "chaff-badsum", "chaff-oow", "rst-forged", "ttl-chaff", "syn-midsession"}
# every other class rewrites the lab capture (Impacket and Samba) and Sysinternals PsExec's
INPUTS = {"rpc-1byte": [RPC_TCP]}
# Overlaps are resolved as the target would (detect.reassembly.overlap): Windows keeps the first
# copy; junk sent first and the real bytes after only reach a target that keeps the last, so
# that class runs against such a target.
OVERLAP = {"frag4-overlap-new": "last"}
SIGNED = ("tool_artifact", "service_install", "admin_session", "zone_violation")
FIELDS = ("event", "tool", "src_ip", "dst_ip", "dst_port", "user", "origin_host", "src_zone", "dst_zone",
          "service_name")

seed = int(os.environ.get("JG_EVASION_SEED") or random.SystemRandom().randrange(1, 1 << 31))
print(f"seed {seed} (JG_EVASION_SEED={seed} to replay)", flush=True)
wanted = [c for c in os.environ.get("JG_EVASION_CLASSES", "").split(",") if c]
unknown = [c for c in wanted if c not in CLASSES]
if unknown:
    print(f"unknown classes {unknown}; known: {','.join(CLASSES)}", file=sys.stderr)
    sys.exit(2)
run_classes = wanted or CLASSES
if subprocess.run([EVADE, "--list"], capture_output=True).returncode != 0:
    skip("tests/evasion/evade.py does not run here (it needs python3-scapy)")
work = tmpdir("evasion")


def class_seed(name):
    return (seed * 1000003 + zlib.crc32(name.encode())) % (1 << 32)


def v4(a):
    """An fd00::/96 address (the IPv6 classes' image of an IPv4 one) back as IPv4."""
    try:
        ip = ipaddress.ip_address(a)
    except (TypeError, ValueError):
        return a
    if ip.version == 6 and ip in ipaddress.ip_network("fd00::/96"):
        return str(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return a


def policy(client, server):
    """Zones for both ends (and their IPv6 images): an alert from client to server."""
    path = os.path.join(work, f"policy-{client}.yaml")
    six = lambda a: str(ipaddress.IPv6Address((0xFD << 120) | int(ipaddress.IPv4Address(a))))
    with open(path, "w") as f:
        f.write(f"""
zones:
  - {{ name: workstations, prefixes: [{client}/32, "{six(client)}/128"] }}
  - {{ name: servers, prefixes: [{server}/32, "{six(server)}/128"] }}
policy:
  default: allow
  rules:
    - {{ from: workstations, to: servers, service: any, action: alert }}
""")
    return path


def config(overlap):
    """The test config, with the targets' overlap policy, and every event its own alert (an
    idle gap longer than the alert window must not make the same detections look new)."""
    path = os.path.join(work, f"replay-{overlap}.yaml")
    with open(path, "w") as f:
        f.write(config_text().replace("\ndetect:\n", f"\ndetect:\n  reassembly:\n    overlap: {overlap}\n", 1)
                + "alerts:\n  window: 0\n")
    return path


def events(pcap, client, server, overlap="first"):
    r, out = replay([pcap], config=config(overlap), extra=("--policy", policy(client, server)))
    evs = jsonl(os.path.join(out, "events.jsonl")) if r.returncode == 0 else None
    cleanup(out)
    return r, evs


def signature(evs):
    return {tuple(v4(e.get(k)) if k in ("src_ip", "dst_ip") else e.get(k) for k in FIELDS)
            for e in evs if e["event"] in SIGNED}


def evade(name, inp, out, port):
    return subprocess.run([EVADE, "--class", name, "--seed", str(class_seed(name)), inp, out,
                           "--server-port", str(port)], capture_output=True, text=True, timeout=120)


clean = {}
results = []
for name, (label, inp, client, server, port) in [(n, i) for n in run_classes for i in INPUTS.get(n, [LAB, PSEXEC])]:
    case, cseed = f"{name} on {label}", class_seed(name)
    how = f"{EVADE} --class {name} --seed {cseed} {inp} OUT.pcap --server-port {port}"
    if not os.path.exists(inp):
        print(f"{case}: {inp} absent, skipped")
        results.append((name, label, "skipped (capture absent)"))
        continue
    if inp not in clean:
        r, evs = events(inp, client, server)
        check(r.returncode == 0 and evs, f"clean replay of {inp}: exit {r.returncode} {r.stderr[-300:]}")
        clean[inp] = signature(evs or [])
    t0 = time.time()
    out = os.path.join(work, f"{name}-{label}.pcap")
    g = evade(name, inp, out, port)
    if not check(g.returncode == 0, f"{case} (seed {cseed}): evade.py failed: {g.stderr.strip()[-300:]}"):
        results.append((name, label, "evade.py failed"))
        continue
    if not results:
        again = os.path.join(work, "again.pcap")
        evade(name, inp, again, port)
        check(open(again, "rb").read() == open(out, "rb").read(), f"{case}: the same seed gives the same capture")
        os.unlink(again)
    r, evs = events(out, client, server, OVERLAP.get(name, "first"))
    os.unlink(out)
    if not check(r.returncode == 0, f"{case} (seed {cseed}): replay exit {r.returncode} {r.stderr[-300:]}; "
                                    f"regenerate: {how}"):
        results.append((name, label, "replay failed"))
        continue
    sig, verdict = signature(evs), []
    if sig != clean[inp]:
        verdict.append("detection differs")
        check(False, f"{case} (seed {cseed}): detection differs from the clean capture's: "
                     f"missing {sorted(clean[inp] - sig, key=str)}, extra {sorted(sig - clean[inp], key=str)}; "
                     f"regenerate: {how}")
    if name in EVASION_EVENT and not any(e["event"] == "evasion" for e in evs):
        verdict.append("no evasion event")
        check(False, f"{case} (seed {cseed}): no evasion event; regenerate: {how}")
    if name == "syn-sweep":
        cut = [e for e in evs if e["event"] == "inspection_cut" and v4(e.get("src_ip")) == client
               and v4(e.get("dst_ip")) == server]
        if cut:
            verdict.append("attack flow's inspection cut")
            check(False, f"{case} (seed {cseed}): inspection of the attack's flow was cut: {cut[0]}; "
                         f"regenerate: {how}")
    results.append((name, label, "; ".join(verdict) or "same detection", f"{time.time() - t0:.1f} s"))

print()
for row in results:
    print("  ".join(f"{x:20}" for x in row))
cleanup(work)
done()
