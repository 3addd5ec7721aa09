#!/usr/bin/python3
"""Hosts named and sealed sessions judged, end to end on a capture this test writes
(scapy): NTLM CHALLENGE and AUTHENTICATE name the server and the workstation of a clear
SMB session; an RDP session from the same client, whose own flow names nobody, gets both
names from the control plane's table; a PAExec artifact whose origin is not the NTLM
workstation is flagged (host_conflict); an SMB3-encrypted file copy is `smb-encrypted`,
allowed by the policy, while an encrypted session shaped like a service install is
`smb-admin` and a zone_violation. The replay's lateral.dot and, live, `jgctl hosts`
and `jgctl lateral` read names, not only addresses."""
import json
import os
import struct
import subprocess
import time

from scapy.all import IP, TCP, Ether, Raw, wrpcap  # noqa: E402

from jgtest import *

work = tmpdir("hosts")
SRV, WS, ENC_COPY, ENC_TOOL, SRV2 = "10.9.0.30", "10.9.0.20", "10.9.0.21", "10.9.0.22", "10.9.0.31"


def u16(s):
    return s.encode("utf-16-le")


def nbss(m):
    return struct.pack(">I", len(m)) + m


def smb2(cmd, mid, body, response=False, sid=7, tid=0):
    h = b"\xfeSMB" + struct.pack("<HHIHHIIQIIQ16s", 64, 0, 0, cmd, 1, 1 if response else 0, 0, mid, 0, tid, sid, b"")
    return nbss(h + body)


def challenge(nb, dns):
    def av(i, v):
        return struct.pack("<HH", i, len(u16(v))) + u16(v)
    info = av(2, "CORP") + av(1, nb) + av(3, dns) + b"\0\0\0\0"
    msg = b"NTLMSSP\0" + struct.pack("<I", 2) + b"\0" * 8 + struct.pack("<I", 0x00028233) + b"\x11" * 8 + b"\0" * 8
    msg += struct.pack("<HHI", len(info), len(info), 56) + b"\0" * 8 + info
    return smb2(1, 1, struct.pack("<HHHH", 9, 0, 72, len(msg)) + msg, response=True)


def authenticate(user, ws):
    dom, usr, host = u16("CORP"), u16(user), u16(ws)
    off = 72
    msg = b"NTLMSSP\0" + struct.pack("<I", 3) + struct.pack("<HHI", 0, 0, off) * 2
    msg += struct.pack("<HHI", len(dom), len(dom), off) + struct.pack("<HHI", len(usr), len(usr), off + len(dom))
    msg += struct.pack("<HHI", len(host), len(host), off + len(dom) + len(usr)) + struct.pack("<HHI", 0, 0, off)
    msg += struct.pack("<I", 0x00000001) + b"\0" * 8 + dom + usr + host
    return smb2(1, 2, struct.pack("<HBBIIHHQ", 25, 0, 1, 0, 0, 88, len(msg), 0) + msg)


def tree(mid, path, tid=5):
    p = u16(path)
    return [(0, smb2(3, mid, struct.pack("<HHHH", 9, 0, 72, len(p)) + p)),
            (1, smb2(3, mid, struct.pack("<HBBIII", 16, 1, 0, 0, 0, 0x1f01ff), response=True, tid=tid))]


def create(mid, name, tid=5):
    n = u16(name)
    body = struct.pack("<HBBIQQIIIIIHHII", 57, 0, 0, 2, 0, 0, 0x0012019f, 0, 7, 2, 0x40, 120, len(n), 0, 0) + n
    return [(0, smb2(5, mid, body, tid=tid)),
            (1, smb2(5, mid, struct.pack("<HBBI", 89, 0, 0, 2) + b"\0" * 56 + b"\x5a" * 16 + b"\0" * 9,
                     response=True, tid=tid))]


def sealed(size):
    return nbss(b"\xfdSMB" + b"\x44" * 32 + struct.pack("<IHHQ", size, 0, 1, 7) + os.urandom(size))


def flow(client, cport, server, sport, msgs, t0):
    """A TCP connection carrying msgs [(0 client / 1 server, bytes)], with its handshake and end."""
    pk, seq, t = [], [1000, 5000], t0
    ep = [(client, cport, server, sport), (server, sport, client, cport)]

    def send(d, flags, data=b""):
        nonlocal t
        s, sp, dd, dp = ep[d]
        p = Ether() / IP(src=s, dst=dd) / TCP(sport=sp, dport=dp, flags=flags, seq=seq[d], ack=seq[1 - d])
        if data:
            p = p / Raw(data)
        p.time = t
        t += 0.001
        pk.append(p)
        seq[d] += len(data) + (1 if "S" in flags or "F" in flags else 0)

    seq[0] -= 1
    seq[1] -= 1
    send(0, "S")
    send(1, "SA")
    for d, m in msgs:
        for i in range(0, len(m), 1400):
            send(d, "PA", m[i:i + 1400])
    send(0, "FA")
    send(1, "FA")
    return pk


T0 = 1796371200.0  # 2026-12-03T00:00:00Z
pkts = []
# WKSTN20 logs on to SRV30 and opens ADMIN$
clear = [(0, smb2(1, 0, struct.pack("<HBBIIHHQ", 25, 0, 1, 0, 0, 88, 0, 0))), (1, challenge("SRV30", "srv30.corp.example")),
         (0, authenticate("alice", "WKSTN20"))] + tree(3, "\\\\10.9.0.30\\ADMIN$")
pkts += flow(WS, 50001, SRV, 445, clear, T0 + 0)
# then RDP from the same host: its flow names nobody
cr = b"\x03\x00\x00\x2a\x25\xe0\x00\x00\x00\x00\x00Cookie: mstshash=alice\r\n"
pkts += flow(WS, 50002, SRV, 3389, [(0, cr)], T0 + 1)
# PAExec to another server, launched (its name says) on HELPDESK7: not the NTLM workstation
pax = [(0, authenticate("alice", "WKSTN20"))] + tree(3, "\\\\SRV31\\ADMIN$") + create(4, "PAExec-4242-HELPDESK7.exe")
pkts += flow(WS, 50003, SRV2, 445, pax, T0 + 2)
# an encrypted file copy
copy = [(1, challenge("SRV30", "srv30")), (0, authenticate("bob", "ENCWS21"))]
for _ in range(4):
    copy += [(0, sealed(300)), (1, sealed(344))] + [(0, sealed(8112)), (1, sealed(80))] * 3
    copy += [(0, sealed(104)), (1, sealed(150)), (0, sealed(88)), (1, sealed(124))]
pkts += flow(ENC_COPY, 50004, SRV, 445, copy, T0 + 3)
# an encrypted session that uploads, then calls svcctl on a pipe
tool = [(1, challenge("SRV30", "srv30")), (0, authenticate("eve", "ENCWS22")), (0, sealed(100)), (1, sealed(80))]
tool += [(0, sealed(8112)), (1, sealed(80))] * 4 + [(0, sealed(88)), (1, sealed(124)), (0, sealed(132)), (1, sealed(240))]
for i in range(4):
    tool += [(0, sealed(184 + 40 * i)), (1, sealed(80)), (0, sealed(113)), (1, sealed(148))]
pkts += flow(ENC_TOOL, 50005, SRV, 445, tool, T0 + 4)
cap = os.path.join(work, "hosts.pcap")
wrpcap(cap, pkts)

pol = os.path.join(work, "policy.yaml")
with open(pol, "w") as f:
    f.write("""
zones:
  - { name: clients, prefixes: [10.9.0.16/28] }
  - { name: servers, prefixes: [10.9.0.30/31] }
policy:
  default: alert
  rules:
    - { from: clients, to: servers, service: smb-encrypted, action: allow }
""")
r, out = replay([cap], extra=("--policy", pol))
check(r.returncode == 0, f"replay ({r.stderr[-300:]})")
evs = jsonl(os.path.join(out, "events.jsonl")) if r.returncode == 0 else []


def of(src, dport=None, event=None):
    return [e for e in evs if e["src_ip"] == src and (dport is None or e["dst_port"] == dport)
            and (event is None or e["event"] == event)]


adm = of(WS, 445, "admin_session")
check(adm and adm[0].get("workstation") == "WKSTN20" and adm[0].get("src_host") == "WKSTN20"
      and adm[0].get("dst_host") == "SRV30", f"clear session: workstation and the server's own name ({adm[:1]})")
rdp = of(WS, 3389, "rdp_session")
check(rdp and rdp[0].get("src_host") == "WKSTN20" and rdp[0].get("dst_host") == "SRV30" and "workstation" not in rdp[0],
      f"RDP from the same host: both names from the table ({rdp[:1]})")
art = [e for e in of(WS, 445) if e.get("origin_host") == "HELPDESK7"]
check(art and all("origin_host HELPDESK7 is not the workstation WKSTN20" in e.get("host_conflict", "") for e in art)
      and all(e.get("dst_host") == "SRV31" for e in art), f"PAExec from elsewhere than the logon: flagged ({art[:1]})")
enc = of(ENC_COPY)
check(len(enc) == 1 and enc[0]["event"] == "admin_session" and enc[0].get("encrypted") is True
      and enc[0].get("service") == "smb-encrypted" and enc[0].get("action") == "allow"
      and enc[0].get("workstation") == "ENCWS21" and enc[0].get("user") == "bob",
      f"encrypted copy: one admin_session, smb-encrypted, allowed, named ({enc})")
shaped = [e for e in of(ENC_TOOL, event="admin_session") if e.get("shape") == "service-install"]
viol = of(ENC_TOOL, event="zone_violation")
check(len(shaped) == 1 and shaped[0].get("service") == "smb-admin" and shaped[0].get("action") == "alert"
      and shaped[0].get("src_host") == "ENCWS22", f"encrypted service-install shape: smb-admin, alert ({shaped})")
check(len(viol) == 1 and viol[0].get("service") == "smb-admin", f"...and its zone_violation ({viol})")
dot = open(os.path.join(out, "lateral.dot")).read() if os.path.exists(os.path.join(out, "lateral.dot")) else ""
check("WKSTN20 (10.9.0.20)" in dot and "SRV30 (10.9.0.30)" in dot and "ENCWS22 (10.9.0.22)" in dot,
      "lateral.dot: nodes by name and address")
cleanup(out)

need_root_and_hugepages()
sock = os.path.join(work, "jgctl.sock")
cfg = os.path.join(work, "run.yaml")
with open(cfg, "w") as f:
    f.write(f"""
eal: {{ file_prefix: jg-hosts-{os.getpid()} }}
lcores: {{ main: 0, workers: [1] }}
ports:
  - {{ name: cap, device: "net_pcap0,rx_pcap={cap}" }}
flows: {{ table_size: 65536 }}
detect: {{ policy: {pol} }}
control: {{ socket: {sock} }}
output: {{ dir: {work}/out }}
""")


def ctl(*args):
    return subprocess.run([JGCTL, "-s", sock, *args], capture_output=True, text=True, timeout=10)


with Live(cfg):
    hosts = []
    for _ in range(150):
        r = ctl("hosts", "--json")
        if r.returncode == 0 and len(json.loads(r.stdout)) >= 5:
            hosts = json.loads(r.stdout)
            break
        time.sleep(0.2)
    names = {h["ip"]: h for h in hosts}
    check(names.get(WS, {}).get("name") == "WKSTN20" and names.get(SRV, {}).get("name") == "SRV30"
          and names.get(SRV2, {}).get("name") == "SRV31" and names.get(ENC_COPY, {}).get("name") == "ENCWS21",
          f"jgctl hosts: every end named ({hosts})")
    r = ctl("hosts")
    check(r.returncode == 0 and "WKSTN20" in r.stdout and "ADDRESS" in r.stdout, "jgctl hosts: the table")
    r = ctl("lateral", "--json")
    lat = json.loads(r.stdout) if r.returncode == 0 else []
    check(lat and all(e.get("src_host") and e.get("dst_host") for e in lat),
          f"jgctl lateral: both ends named on every edge ({[(e['src_ip'], e.get('src_host'), e['dst_ip'], e.get('dst_host')) for e in lat]})")
    r = ctl("lateral")
    check(r.returncode == 0 and "WKSTN20 (10.9.0.20) -> SRV30 (10.9.0.30)" in r.stdout, "jgctl lateral: the table by name")
    r = ctl("events", "--host", WS)
    check(r.returncode == 0 and "WKSTN20 (10.9.0.20) -> SRV30 (10.9.0.30):445" in r.stdout, "jgctl events: by name")
cleanup(work)
done()
