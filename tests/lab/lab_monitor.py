"""Scenarios on the mirror (monitor mode): real attacks from the workstation and the jump
host, a wrong password first, benign file copies; then what jgctl shows of them."""
import json
import os
import random
import string
import time

from lab_env import log
from lab_jumpgate import parse_ts
from lab_net import HOSTS, SEALED, ip_of
from lab_tools import file_roundtrip, impacket

# An event belongs to a command when its packet arrived between the command's start and
# shortly after its end. Jumpgate stamps packets from the TSC, set from the wall clock at
# its start: BEFORE allows for the two clocks drifting apart. Commands run one after the
# other with lab_tools.GAP of silence before each, and are checked before the next starts.
BEFORE, AFTER = 0.25, 1.0
ALERTS = ("zone_violation", "tool_artifact", "service_install", "service_change", "task_create", "wmi_exec")


def within(events, run, src_role):
    """The events of run's window whose source is src_role's host, towards the target."""
    return [e for e in events if e["src_ip"] == ip_of(src_role) and e["dst_ip"] == ip_of("srv")
            and run.t0 - BEFORE <= parse_ts(e["timestamp"]) <= run.t1 + AFTER]


def remcomsvc_binary():
    from impacket.examples import remcomsvc   # Debian's python3-impacket, installed by now
    return remcomsvc.RemComSvc().binary


def uploaded(target, name):
    """The bytes psexec left in ADMIN$ (moved to .recycle by its clean-up), or None."""
    for path in (os.path.join(target.recycle, name), os.path.join(target.admin, name)):
        if os.path.exists(path):
            return open(path, "rb").read()
    return None


def paexec_attack(res, jg, target, run, role, zone_action):
    """The events of one PAExec-style psexec run, judged as policy says for its zone."""
    src_zone = HOSTS[role][2]
    res.check(run.rc is not None and "Creating service " + run.service in run.out,
              f"{role}: psexec ran up to CreateServiceW of {run.service} ({run.brief()})")
    res.check(uploaded(target, run.binary) == remcomsvc_binary(),
              f"{role}: {run.binary} reached the target's ADMIN$ on disk, byte for byte")
    ev = jg.wait_events(lambda ev: any(e["event"] == "service_install" for e in within(ev, run, role)))
    mine = within(ev, run, role)
    viol = [e for e in mine if e["event"] == "zone_violation"]
    pax = [e for e in mine if e["tool"] == "paexec"]
    # judged: everything but logon failures, evasions and discovery (psexec's share list: severity low)
    unjudged = [e for e in mine if e["event"] in ("logon_failure", "evasion") or e.get("severity") == "low"]
    res.check(mine and all(e.get("src_zone") == src_zone and e.get("dst_zone") == "servers"
                           and e.get("action") == zone_action for e in mine if e not in unjudged),
              f"{role}: every event says {src_zone} -> servers, action {zone_action} ({len(mine)} events)",
              str([(e['event'], e.get('src_zone'), e.get('action')) for e in mine]))
    res.check(all(e.get("src_zone") == src_zone and "action" not in e for e in unjudged if e["event"] != "logon_failure"),
              f"{role}: evasions and discovery name the zones and no action ({len(unjudged)} events)",
              str([(e['event'], e.get('rpc_function'), e.get('src_zone'), e.get('action')) for e in unjudged]))
    if zone_action == "allow":
        res.check(not viol, f"{role}: no zone_violation for the allowed jump host", str(viol))
    else:
        res.check(len(viol) == 1 and viol[0].get("service") == "smb-admin",
                  f"{role}: one zone_violation (smb-admin, {zone_action})", str(viol))
        flows = {e["flow_id"] for e in viol}
        res.check(any(e["flow_id"] in flows for e in pax),
                  f"{role}: the zone_violation's flow is attributed to paexec")
        if viol and viol[0]["tool"] != "paexec":
            res.note(f"the zone_violation itself says tool {viol[0]['tool']}: it is raised at the ADMIN$ tree "
                     "connect, before any artifact; the flow's later events and jgctl lateral name paexec")
    origin = [e for e in pax if e.get("origin_host") == HOSTS[role][1] and e.get("origin_pid") == run.pid]
    res.check(origin, f"{role}: tool paexec with origin_host {HOSTS[role][1]}, origin_pid {run.pid}",
              str([(e["event"], e.get("origin_host"), e.get("origin_pid")) for e in pax]))
    res.check(any(e["event"] == "tool_artifact" and e.get("file") == run.binary and e.get("share") == "ADMIN$"
                  for e in pax), f"{role}: tool_artifact for {run.binary} on ADMIN$")
    res.check(any(e["event"] == "service_install" and e.get("service_name") == run.service and
                  e.get("binary_path", "").lower() == f"%systemroot%\\{run.binary}".lower() for e in pax),
              f"{role}: service_install of {run.service} (%systemroot%\\{run.binary})")
    res.check(all(e.get("user") == target.user for e in mine if e["event"] in ("admin_session", "zone_violation")),
              f"{role}: the NTLM user is {target.user}")
    return mine


def scenario_attacks(res, net, jg, target):
    """1: PAExec-style psexec from the workstation (alert) and the jump host (allow), psexec
    with Impacket's own names, smbexec, atexec, wmiexec; benign file copies. Returns the
    runs, which are also what these commands achieve without Jumpgate in the path."""
    user, runs = target.user, {}
    runs["ws"] = impacket(net, "ws", "psexec", "cmd.exe", user=user, paexec=True)
    paexec_attack(res, jg, target, runs["ws"], "ws", "alert")
    runs["adm"] = impacket(net, "adm", "psexec", "cmd.exe", user=user, paexec=True)
    paexec_attack(res, jg, target, runs["adm"], "adm", "allow")

    # benign: files to and from the ordinary share, an .exe among them
    for role in ("ws", "adm"):
        for name, size in (("report.txt", 20000), ("setup.exe", 300000)):
            r, same = file_roundtrip(net, role, user, jg.work, name, size)
            res.check(r.rc == 0 and same, f"{role}: smbclient copied {name} to the data share and back ({r.brief()})")
            time.sleep(0.3)
            bad = [e for e in within(jg.events(), r, role) if e["event"] in ALERTS]
            res.check(not bad, f"{role}: no alert for the copy of {name}", str(bad))

    # psexec with Impacket's random service and binary names
    r = impacket(net, "ws", "psexec", "cmd.exe", user=user)
    res.check(r.service and r.binary, f"ws: psexec (own names) ran: service {r.service}, file {r.binary} ({r.brief()})")
    ev = jg.wait_events(lambda ev: any(e["event"] == "service_install" for e in within(ev, r, "ws")))
    mine = within(ev, r, "ws")
    res.check(any(e["event"] == "zone_violation" and e.get("action") == "alert" for e in mine),
              "ws: psexec (own names): zone_violation")
    res.check(any(e["event"] == "service_install" and e.get("service_name") == r.service for e in mine),
              f"ws: psexec (own names): service_install of {r.service}")
    res.check(any(e["event"] == "tool_artifact" and e.get("file") == r.binary for e in mine),
              f"ws: psexec (own names): executable {r.binary} written to ADMIN$")

    # smbexec: a service whose binary path is the command (Samba refuses CreateServiceW)
    svc = "".join(random.choice(string.ascii_letters) for _ in range(random.randint(6, 12)))
    r = runs["ws-smbexec"] = impacket(net, "ws", "smbexec", user=user, opts=("-service-name", svc))
    ev = jg.wait_events(lambda ev: any(e["event"] == "service_install" for e in within(ev, r, "ws")))
    mine = within(ev, r, "ws")
    inst = [e for e in mine if e["event"] == "service_install"]
    res.check(any(e["tool"] == "smbexec" and e.get("rule") == "impacket-smbexec" and e.get("service_name") == svc
                  and "__output" in e.get("binary_path", "") for e in inst),
              f"ws: smbexec (service {svc}): service_install, tool smbexec by rule impacket-smbexec, binary path "
              f"with __output ({r.brief()})", str(inst))
    res.check(any(e["event"] == "zone_violation" and e.get("service") == "smb-admin" for e in mine),
              "ws: smbexec: zone_violation (smb-admin)")
    res.check(not any(e["event"] == "wmi_exec" or e.get("service") == "wmi" for e in mine),
              "ws: smbexec: no wmi_exec (its CreateServiceW stub is SVCCTL over SMB, not WMI/DCOM)",
              str([(e["event"], e.get("service"), e.get("detail")) for e in mine if e.get("service") == "wmi"]))

    # atexec: Samba has no task scheduler pipe; the attempt ends at its open
    r = impacket(net, "ws", "atexec", "whoami", user=user)
    res.check("STATUS_OBJECT_NAME_NOT_FOUND" in r.out, f"ws: atexec fails against Samba at the atsvc pipe ({r.brief()})")
    time.sleep(2)
    mine = within(jg.events(), r, "ws")
    res.check(not any(e["event"] in ALERTS for e in mine),
              "ws: atexec: no task_create or other alert (no task request reached the wire)", str(mine))
    res.check(flow_seen(jg, r, "ws", 445), "ws: atexec: its SMB session is in flows.jsonl")

    # wmiexec: Samba's endpoint mapper refuses DCOM activation (IRemoteSCMActivator)
    r = impacket(net, "ws", "wmiexec", "whoami", user=user)
    res.check("abstract_syntax_not_supported" in r.out,
              f"ws: wmiexec fails against Samba at DCOM activation on 135 ({r.brief()})")
    time.sleep(2)
    mine = within(jg.events(), r, "ws")
    res.check(not any(e["event"] in ALERTS for e in mine),
              "ws: wmiexec: no wmi_exec (the activation was refused, nothing executed)", str(mine))
    res.check(flow_seen(jg, r, "ws", 135), "ws: wmiexec: its DCE-RPC connection to 135 is in flows.jsonl")
    return runs


def flow_seen(jg, run, role, port):
    path = os.path.join(jg.out, "flows.jsonl")
    if not os.path.exists(path):
        return False
    for line in open(path):
        f = json.loads(line)
        if f["src_ip"] == ip_of(role) and f["dst_port"] == port and \
                run.t0 - BEFORE <= parse_ts(f["start"]) <= run.t1 + AFTER:
            return True
    return False


def scenario_sealed(res, net, jg, target):
    """1b: on the target's encrypting address (SEALED: Samba requires SMB3 encryption there),
    a file copy from the workstation is smb-encrypted, which the policy allows: nothing to
    say; the PAExec-style psexec from the workstation is sealed too, yet names its
    workstation, and its sizes (an upload, then svcctl calls on a pipe) are a service
    install's: judged smb-admin, an alert."""
    def to_sealed(run):
        return [e for e in jg.events() if e["src_ip"] == ip_of("ws") and e["dst_ip"] == SEALED
                and run.t0 - BEFORE <= parse_ts(e["timestamp"]) <= run.t1 + AFTER]

    r, same = file_roundtrip(net, "ws", target.user, jg.work, "sealed.doc", 200000, server=SEALED)
    res.check(r.rc == 0 and same, f"ws: smbclient copied sealed.doc to {SEALED} and back, encrypted ({r.brief()})")
    time.sleep(1.0)
    mine = to_sealed(r)
    enc = [e for e in mine if e["event"] == "admin_session"]
    res.check(len(enc) == 1 and enc[0].get("encrypted") is True and enc[0].get("service") == "smb-encrypted"
              and enc[0].get("action") == "allow" and not enc[0].get("shape"),
              "ws: the encrypted copy is one admin_session, smb-encrypted, allowed", str(mine))
    res.check(not any(e["event"] in ALERTS for e in mine), "ws: no alert for the encrypted copy",
              str([e for e in mine if e["event"] in ALERTS]))
    res.check(enc and enc[0].get("workstation") == HOSTS["ws"][1] and enc[0].get("dst_host") == HOSTS["srv"][1],
              f"ws: the encrypted copy names {HOSTS['ws'][1]} -> {HOSTS['srv'][1]}", str(enc))

    run = impacket(net, "ws", "psexec", "cmd.exe", user=target.user, paexec=True, server=SEALED)
    res.check("Creating service " + run.service in run.out,
              f"ws: psexec over an encrypted session ran up to CreateServiceW of {run.service} ({run.brief()})")
    res.check(uploaded(target, run.binary) == remcomsvc_binary(),
              f"ws: {run.binary} reached ADMIN$ through the encrypted session, byte for byte")
    time.sleep(1.0)
    mine = to_sealed(run)
    res.check(mine and all(e.get("encrypted") is True for e in mine if e["event"] != "logon_failure")
              and not any(e["event"] in ("tool_artifact", "service_install") for e in mine),
              "ws: sealed: no artifact or service install can be read, only the session", str(mine))
    res.check(mine and all(e.get("workstation") == HOSTS["ws"][1] and e.get("user") == target.user for e in mine),
              f"ws: every event of the sealed session names the workstation {HOSTS['ws'][1]} (the only origin there is)",
              str([(e["event"], e.get("workstation"), e.get("user")) for e in mine]))
    shaped = [e for e in mine if e["event"] == "admin_session" and e.get("shape") == "service-install"]
    viol = [e for e in mine if e["event"] == "zone_violation"]
    res.check(len(shaped) == 1 and shaped[0].get("service") == "smb-admin" and shaped[0].get("action") == "alert",
              "ws: its sizes are a service install's: smb-admin, alert",
              str([(e["event"], e.get("service"), e.get("action"), e.get("detail")) for e in mine]))
    res.check(len(viol) == 1 and viol[0].get("service") == "smb-admin", "ws: one zone_violation (smb-admin)", str(viol))
    return run


def scenario_families(res, net, jg, target, seed):
    """1c: tools told apart by the shape of what they install, their names drawn anew each
    run (the seed is printed; JG_LAB_SEED replays it), passed through psexec.py's own
    options (-service-name, -remote-binary-name; its payload, Impacket's RemComSvc, is no
    artifact Jumpgate knows, and CreateServiceW fails before RemCom's pipes: the attribution
    rule alone names the tool). Metasploit psexec: a mixed-case service running an
    8-letter executable in %systemroot%; Impacket psexec: a 4-letter service, an 8-letter
    executable; Sysinternals PsExec: its PSEXESVC names (an artifact pattern)."""
    rng = random.Random(seed)
    log(f"families: names drawn with seed {seed} (JG_LAB_SEED={seed} replays them)")

    def word(n, mixed=False):
        while True:
            w = "".join(rng.choice(string.ascii_letters) for _ in range(n))
            if not mixed or (w != w.lower() and w != w.upper()):
                return w

    cases = [("metasploit-psexec", "metasploit-psexec", word(rng.choice((8, 12, 16)), mixed=True), word(8) + ".exe"),
             ("impacket-psexec", "impacket-psexec", word(4), word(8) + ".exe"),
             ("psexec", None, "PSEXESVC", "PSEXESVC.exe")]
    for tool, rule, svc, binary in cases:
        r = impacket(net, "ws", "psexec", "cmd.exe", user=target.user,
                     opts=("-service-name", svc, "-remote-binary-name", binary))
        ev = jg.wait_events(lambda ev: any(e["event"] == "service_install" for e in within(ev, r, "ws")))
        inst = [e for e in within(ev, r, "ws") if e["event"] == "service_install"]
        res.check(any(e["tool"] == tool and e.get("service_name") == svc and (rule is None or e.get("rule") == rule)
                      and e.get("src_host") == HOSTS["ws"][1] for e in inst),
                  f"ws: service {svc} running %systemroot%\\{binary}: {tool}" + (f" by rule {rule}" if rule else ""),
                  str([(e["tool"], e.get("rule"), e.get("service_name"), e.get("binary_path")) for e in inst]) + " " + r.brief())


def scenario_wrong_password(res, net, jg, target):
    """2: a wrong password, then the right one: a logon_failure tied to the attempt, then
    the attack's events."""
    bad = impacket(net, "ws", "psexec", "cmd.exe", user=target.user, password="Summer2023?", paexec=True)
    res.check(bad.rc != 0 and "STATUS_LOGON_FAILURE" in bad.out, f"ws: the wrong password is refused ({bad.brief()})")
    good = impacket(net, "ws", "psexec", "cmd.exe", user=target.user, paexec=True)
    ev = jg.wait_events(lambda ev: any(e["event"] == "service_install" for e in within(ev, good, "ws")))
    fail = [e for e in within(ev, bad, "ws") if e["event"] == "logon_failure"]
    res.check(len(fail) == 1 and fail[0]["dst_port"] == 445 and fail[0].get("user") == target.user,
              f"logon_failure {ip_of('ws')} -> {ip_of('srv')}:445, user {target.user}", str(fail))
    attack = [e for e in within(ev, good, "ws") if e["event"] in ALERTS]
    res.check(attack and any(e["tool"] == "paexec" and e.get("origin_pid") == good.pid for e in attack),
              f"then the attack's events (tool paexec, origin_pid {good.pid})")
    if fail and attack:
        res.check(parse_ts(fail[0]["timestamp"]) < min(parse_ts(e["timestamp"]) for e in attack),
                  "the logon_failure comes before the attack's events")


def scenario_jgctl(res, jg, target, runs):
    """4: jgctl, while Jumpgate runs, shows the events, the flows and the lateral chain."""
    time.sleep(1.5)   # flows end 1 s after their FIN (tcp_closed_timeout)
    rc, events = jg.ctl("events", "--limit", "10000")
    res.check(rc == 0 and isinstance(events, list), "jgctl events --json answers")
    events = events if isinstance(events, list) else []
    ws_paexec = [e for e in events if e.get("tool") == "paexec" and e.get("src_ip") == ip_of("ws")]
    res.check(any(e.get("event") == "zone_violation" and e.get("src_ip") == ip_of("ws") for e in events) and
              any(e.get("origin_pid") == runs["ws"].pid for e in ws_paexec),
              "jgctl events: the workstation's zone_violation and its paexec events")
    res.check(any(e.get("src_ip") == ip_of("adm") and e.get("action") == "allow" for e in events),
              "jgctl events: the jump host's allowed administration")
    rc, flows = jg.ctl("flows", "top", "--limit", "100")
    flows = flows if rc == 0 and isinstance(flows, list) else []
    for role, action in (("ws", "alert"), ("adm", "allow")):
        res.check(any(f.get("src_ip") == ip_of(role) and f.get("dst_ip") == ip_of("srv") and f.get("dst_port") == 445
                      and "smb-admin" in f.get("services", []) and f.get("action") == action for f in flows),
                  f"jgctl flows top: {role}'s SMB flow with smb-admin, action {action}")
    rc, lat = jg.ctl("lateral")
    lat = lat if rc == 0 and isinstance(lat, list) else []
    for role, verdict in (("ws", "alert"), ("adm", "allow")):
        edge = [l for l in lat if l.get("src_ip") == ip_of(role) and l.get("dst_ip") == ip_of("srv")]
        res.check(edge and "paexec" in edge[0].get("tools", "") and edge[0].get("verdict") == verdict and
                  edge[0].get("origin_host") == HOSTS[role][1] and edge[0].get("src_zone") == HOSTS[role][2],
                  f"jgctl lateral: {HOSTS[role][1]} {ip_of(role)} -> {ip_of('srv')}, paexec, {verdict}",
                  str(edge))
    # the wire named every host: NTLM workstations (as Windows sends them), the server's NTLM challenge
    res.check(lat and all(l.get("src_host") and l.get("dst_host") for l in lat),
              f"jgctl lateral: both ends of every edge ({len(lat)}) named",
              str([(l["src_ip"], l.get("src_host"), l["dst_ip"], l.get("dst_host")) for l in lat]))
    res.check(all(l.get("src_host") == HOSTS[r][1] for l in lat for r in ("adm", "ws") if l["src_ip"] == ip_of(r)) and
              all(l.get("dst_host") == HOSTS["srv"][1] for l in lat),
              f"jgctl lateral: {HOSTS['ws'][1]}, {HOSTS['adm'][1]} -> {HOSTS['srv'][1]}")
    rc, dot = jg.ctl("lateral", "--dot")
    dot = dot if isinstance(dot, str) else ""
    res.check(rc == 0 and f"{HOSTS['ws'][1]} ({ip_of('ws')})" in dot and f"{HOSTS['srv'][1]} ({SEALED})" in dot,
              "jgctl lateral --dot: nodes read NAME (address)", dot[:400])
