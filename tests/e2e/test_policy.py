#!/usr/bin/python3
"""Zones and policy on real captures: the same PsExec session replayed with a policy
that allows the attacker's zone (no violation; its admin session recorded with
action allow) and with one that does not (a zone_violation naming the zones, the
service and the action); an SMB3-encrypted session is judged as smb-encrypted (a
violation from a zone that may not, nothing where encrypted file access is allowed); with no policy at all, every remote administration is an alert from
unknown to unknown; a broken policy file is refused with its errors."""
import os
import subprocess

from jgtest import *

need_root_and_hugepages()
work = tmpdir("policy")
DEMO_CLIENT, DEMO_SERVER = "10.20.30.7", "10.20.30.40"


def policy(name, text):
    path = os.path.join(work, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def events(files, pol=None):
    r, out = replay(files, extra=("--policy", pol) if pol else ())
    check(r.returncode == 0, f"replay with {pol}: exit {r.returncode} {r.stderr[-400:]}")
    evs = jsonl(os.path.join(out, "events.jsonl"))
    cleanup(out)
    return evs


def cases(capture, client, server, label):
    allow = policy("allow.yaml", f"""
zones:
  - {{ name: admins, prefixes: [{client}/32] }}
  - {{ name: servers, prefixes: [{server}/32] }}
policy:
  default: alert
  rules:
    - {{ from: admins, to: servers, service: any, action: allow }}
""")
    deny = policy("deny.yaml", f"""
zones:
  - {{ name: workstations, prefixes: [{client.rsplit('.', 1)[0]}.0/24] }}
  - {{ name: servers, prefixes: [{server}/32] }}
policy:
  default: allow
  rules:
    - {{ from: workstations, to: servers, service: smb-admin, action: block }}
""")
    evs = events([capture], allow)
    check(not [e for e in evs if e["event"] == "zone_violation"], f"{label}: allowed zone: no violation")
    adm = [e for e in evs if e["event"] == "admin_session" and e.get("action") == "allow"]
    check(len(adm) >= 1 and adm[0]["src_zone"] == "admins" and adm[0]["dst_zone"] == "servers" and
          adm[0]["service"] == "smb-admin", f"{label}: admin_session recorded with action allow and zones")
    evs = events([capture], deny)
    zv = [e for e in evs if e["event"] == "zone_violation"]
    check(len(zv) >= 1, f"{label}: disallowed zone: a zone_violation")
    for e in zv:
        check(e["src_ip"] == client and e["dst_ip"] == server, f"{label}: violation direction")
        check(e["src_zone"] == "workstations" and e["dst_zone"] == "servers" and e["service"] == "smb-admin"
              and e["action"] == "block", f"{label}: violation fields {e}")
    check(len({e["flow_id"] for e in zv}) == len(zv), f"{label}: one violation per flow and service")
    check(all(e.get("action") == "block" for e in evs if e["event"] != "logon_failure"),
          f"{label}: every admin event carries the verdict")


cases(DEMO_PCAP, DEMO_CLIENT, DEMO_SERVER, "demo")
psexec = os.path.join(SHARED, "401trg", "20171220_smb_psexec_add_user.pcap")
if os.path.exists(psexec):
    cases(psexec, "192.168.10.31", "192.168.10.10", "psexec")

# no policy: nothing is trusted
evs = events([DEMO_PCAP])
zv = [e for e in evs if e["event"] == "zone_violation"]
check(len(zv) == 1 and zv[0]["src_zone"] == "unknown" and zv[0]["dst_zone"] == "unknown" and
      zv[0]["action"] == "alert", "default: unknown -> unknown alert")

enc = os.path.join(SHARED, "zeek", "smb__smb3.pcap")
if os.path.exists(enc):
    first = events([enc])
    e = [x for x in first if x["event"] == "admin_session" and x.get("encrypted")]
    def enc_policy(name, default, action):
        """The client's zone `outside`; smb-encrypted from it gets action, the rest default."""
        return policy(name, f"""
zones:
  - {{ name: outside, prefixes: [{e[0]['src_ip']}/32] }}
policy:
  default: {default}
  rules:
    - {{ from: outside, to: any, service: smb-encrypted, action: {action} }}
""")

    if check(len(e) >= 1, "encrypted session seen"):
        deny = enc_policy("enc.yaml", "allow", "alert")
        zv = [x for x in events([enc], deny) if x["event"] == "zone_violation"]
        check(len(zv) == 1 and zv[0].get("encrypted") is True and zv[0]["src_zone"] == "outside"
              and zv[0].get("service") == "smb-encrypted",
              "an SMB3-encrypted session from a disallowed zone is a violation (smb-encrypted)")
        allow = enc_policy("enc-allow.yaml", "alert", "allow")
        evs = events([enc], allow)
        check(not [x for x in evs if x["event"] == "zone_violation"] and
              all(x.get("action") == "allow" for x in evs if x["event"] == "admin_session"),
              "smb-encrypted: allow lets the encrypted file share be (it is not tool-shaped)")

# an attack tool is never allowed: smbexec from a zone allowed everything (its flow is
# judged again when the service install names smbexec, whatever came before)
smbexec = os.path.join(SHARED, "elcabezzonn", "smbexec.pcap")
if os.path.exists(smbexec):
    for act in ("alert", "block"):
        trusted = policy(f"trust-{act}.yaml", f"""
zones:
  - {{ name: jump, prefixes: [192.168.1.161/32] }}
policy:
  default: alert
  attack_tools: {act}
  rules:
    - {{ from: jump, to: any, service: any, action: allow }}
""")
        evs = events([smbexec], trusted)
        zv = [e for e in evs if e["event"] == "zone_violation"]
        check(len(zv) == 1 and zv[0].get("tool") == "smbexec" and zv[0].get("action") == act and
              zv[0].get("src_zone") == "jump" and
              all(e.get("action") == act for e in evs if e.get("tool") == "smbexec"),
              f"attack_tools {act}: smbexec from an allowed zone raised to {act} when named "
              f"({[(e['event'], e.get('tool'), e.get('action')) for e in evs]})")

bad = policy("bad.yaml", "zones:\n  - { name: x, prefixes: [10.0.0.1/8] }\npolicy:\n  default: maybe\n")
r, out = replay([DEMO_PCAP], extra=("--policy", bad))
check(r.returncode != 0 and "bad.yaml:2" in r.stderr and "bad.yaml:4: policy.default: maybe" in r.stderr,
      f"a broken policy is refused with its errors: {r.stderr[-300:]}")
cleanup(out, work)
done()
