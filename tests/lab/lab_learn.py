"""Scenario 7, inline: learn mode, then enforce. A Jumpgate whose policy has the lab's zones
and no rule watches the hosts (everything alerts, nothing is blocked); `jgctl policy
suggest` proposes a policy from what it saw, `jgctl policy diff` compares it with the
running one; the operator's two edits (default and attack tools: block) go into the
file the config names, `jgctl reload` swaps it in, and the same commands are judged again."""
import ipaddress
import os
import re

from lab_env import log
from lab_inline import BLOCKED_WITHIN
from lab_monitor import ALERTS, remcomsvc_binary, uploaded, within
from lab_net import HOSTS, ip_of
from lab_tools import Run, file_roundtrip, impacket

ADMIN_RUNS = 2   # PAExec-style psexec runs from the jump host while learning


def proposal_zones(yaml):
    """{zone: [prefixes]} of a proposal, as suggest.c writes its zones (one name, then
    its prefixes one a line)."""
    zones, name = {}, None
    for line in yaml.split("\npolicy:")[0].splitlines():
        m = re.match(r"\s*- name: (\S+)", line)
        if m:
            name = m.group(1)
            zones[name] = []
            continue
        m = re.match(r'\s*- "([0-9a-fA-F.:]+/\d+)"', line)
        if m and name:
            zones[name].append(ipaddress.ip_network(m.group(1)))
    return zones


def proposal_rules(yaml):
    """The rules of a proposal, each a dict (from, to, service, action), in order."""
    rules = []
    for m in re.finditer(r"^\s*- \{ from: (\S+), to: (\S+), service: (\S+), action: (\w+) \}", yaml, re.M):
        rules.append(dict(zip(("from", "to", "service", "action"), m.groups())))
    return rules


def zone_of(zones, role):
    """The zone a proposal gives a host: its longest matching prefix, as the dataplane finds it."""
    ip = ipaddress.ip_address(ip_of(role))
    best = max(((p.prefixlen, z) for z, ps in zones.items() for p in ps if ip in p), default=(-1, "unknown"))
    return best[1]


def enforcing(yaml):
    """The operator's edits of a proposal: block by default and block attack tools (the
    proposal itself never blocks). None when either line is not there once."""
    out, n1 = re.subn(r"^(  default:) alert\b", r"\1 block", yaml, flags=re.M)
    out, n2 = re.subn(r"^(  attack_tools:) alert\b", r"\1 block", out, flags=re.M)
    return out if n1 == n2 == 1 else None


def learn(res, net, jg, target):
    """The learning phase: the jump host administers the target, both copy files, the jump
    host runs smbexec once; the workstation administers nothing. Judged by the default."""
    user = target.user
    for i in range(ADMIN_RUNS):
        r = impacket(net, "adm", "psexec", "cmd.exe", user=user, paexec=True)
        res.check(uploaded(target, r.binary) == remcomsvc_binary(),
                  f"adm: psexec {i + 1}/{ADMIN_RUNS} (learning): {r.binary} reached ADMIN$")
        ev = jg.wait_events(lambda ev: any(e["event"] == "service_install" for e in within(ev, r, "adm")))
        mine = within(ev, r, "adm")
        res.check(any(e["event"] == "service_install" and e.get("service_name") == r.service and
                      e.get("action") == "alert" for e in mine) and
                  not any(e.get("action") == "block" for e in mine),
                  f"adm: psexec {i + 1}/{ADMIN_RUNS}: service_install of {r.service}, action alert (the default), "
                  "nothing blocked", str([(e["event"], e.get("action")) for e in mine]))
    r = Run(net, "adm", target.ssh_argv("echo lab-ssh-ok"), timeout=30)
    res.check(r.rc == 0 and "lab-ssh-ok" in r.out, f"adm: ssh with a key (learning) ({r.brief()})")
    for role in ("adm", "ws"):
        r, same = file_roundtrip(net, role, user, jg.work, "learn.bin", 200000)
        res.check(r.rc == 0 and same, f"{role}: smbclient copy (learning), both ways, intact ({r.brief()})")
        bad = [e for e in within(jg.events(), r, role) if e["event"] in ALERTS]
        res.check(not bad, f"{role}: no alert for the copy", str(bad))
    sx = impacket(net, "adm", "smbexec", user=user)
    ev = jg.wait_events(lambda ev: any(e.get("tool") == "smbexec" for e in within(ev, sx, "adm")))
    mine = [e for e in within(ev, sx, "adm") if e.get("tool") == "smbexec"]
    res.check(any(e["event"] == "service_install" and e.get("action") == "alert" for e in mine),
              "adm: smbexec (learning): service_install, tool smbexec, action alert", sx.brief())


def propose(res, jg):
    """jgctl policy suggest and policy diff; the proposal's text (None when there is none)."""
    rc, s = jg.ctl("policy", "suggest")
    if not res.check(rc == 0 and isinstance(s, dict) and "yaml" in s, "jgctl policy suggest --json answers", str(s)):
        return None
    yaml = s["yaml"]
    path = os.path.join(jg.work, "learn-proposal.yaml")
    with open(path, "w") as f:
        f.write(yaml)
    log(f"proposal: {path} (admin_hosts {s['admin_hosts']}, managed_hosts {s['managed_hosts']}, "
        f"other_hosts {s['other_hosts']}, zones_new {s['zones_new']}, rules_new {s['rules_new']}, "
        f"attack_paths {s['attack_paths']})")
    zones, rules = proposal_zones(yaml), proposal_rules(yaml)
    zadm, zws, zsrv = zone_of(zones, "adm"), zone_of(zones, "ws"), zone_of(zones, "srv")
    res.check(zadm in ("admin", "learnt-admin") and zadm != zws and s["admin_hosts"] == 1,
              f"the proposal makes the jump host the one admin source, in zone {zadm} (the workstation: {zws})",
              f"admin_hosts {s['admin_hosts']}; zones {zones}")
    res.check(any(r["from"] == zadm and r["to"] == zsrv and r["service"] == "smb-admin" and r["action"] == "allow"
                  for r in rules), f"rule: {zadm} -> {zsrv} smb-admin allow", str(rules))
    res.check(any(r["from"] == zadm and r["to"] == zsrv and r["service"] == "ssh" and r["action"] == "allow"
                  for r in rules), f"rule: {zadm} -> {zsrv} ssh allow", str(rules))
    res.check(not any(r["action"] == "allow" and r["from"] in (zws, "any") for r in rules),
              f"no allow rule from the workstation's zone ({zws}) or from any", str(rules))
    look = yaml.split("LOOK AT THESE FIRST", 1)[1].split("\n\n", 1)[0] if "LOOK AT THESE FIRST" in yaml else ""
    res.check(s["attack_paths"] >= 1 and re.search(rf"{re.escape(ip_of('adm'))}\b.*->.*smbexec", look),
              f"LOOK AT THESE FIRST names the jump host's smbexec (attack_paths {s['attack_paths']})", look or yaml)
    res.check(re.search(r"^  default: alert\b", yaml, re.M) and re.search(r"^  attack_tools: alert\b", yaml, re.M),
              "the proposal blocks nothing by itself: default alert, attack_tools alert")

    rc, d = jg.ctl("policy", "diff", path)
    if not res.check(rc == 0 and isinstance(d, dict) and "draft" in d, "jgctl policy diff --json answers", str(d)):
        return yaml
    cur, dr = d["current"], d["draft"]
    res.check(dr["alert"] < cur["alert"] and dr["attack_allowed"] == 0 and cur["block"] == dr["block"] == 0,
              f"policy diff over {d['sessions']} session(s): alerts {cur['alert']} -> {dr['alert']}, "
              f"allowed {cur['allow']} -> {dr['allow']}, attack sessions allowed by the draft {dr['attack_allowed']}",
              str(d))
    res.check(any(t["host"] == ip_of("adm") and t["zone"] == zadm for t in d["newly_trusted"]) and
              not any(t["host"] in (ip_of("ws"), ip_of("srv")) for t in d["newly_trusted"]),
              "policy diff: the jump host, and only it, newly trusted", str(d["newly_trusted"]))
    return yaml


def enforced(res, net, jg, target):
    """After the reload: the jump host's administration allowed, the workstation's blocked
    inline, the jump host's smbexec blocked; file sharing flows."""
    user = target.user
    adm = impacket(net, "adm", "psexec", "cmd.exe", user=user, paexec=True)
    res.check(uploaded(target, adm.binary) == remcomsvc_binary(),
              f"adm: psexec (enforced): {adm.binary} reached the target's ADMIN$ through Jumpgate")
    ev = jg.wait_events(lambda ev: any(e["event"] == "service_install" for e in within(ev, adm, "adm")))
    mine = within(ev, adm, "adm")
    res.check(any(e["event"] == "service_install" and e.get("service_name") == adm.service and
                  e.get("action") == "allow" for e in mine) and not any(e["event"] == "zone_violation" for e in mine),
              f"adm: service_install of {adm.service}, action allow, no zone_violation",
              str([(e["event"], e.get("action")) for e in mine]))

    ws = impacket(net, "ws", "psexec", "cmd.exe", user=user, paexec=True, debug=True)
    res.check(ws.seconds < BLOCKED_WITHIN and "Uploading file" not in ws.out and "Connection reset" in ws.out,
              f"ws: psexec (enforced) reset before any upload, in {ws.seconds:.1f} s", ws.brief())
    res.check(uploaded(target, ws.binary) is None, f"ws: nothing reached ADMIN$ ({ws.binary} absent)")
    ev = jg.wait_events(lambda ev: any(e["event"] == "zone_violation" for e in within(ev, ws, "ws")))
    viol = [e for e in within(ev, ws, "ws") if e["event"] == "zone_violation"]
    res.check(len(viol) == 1 and viol[0].get("action") == "block" and viol[0].get("share") == "ADMIN$" and
              viol[0].get("src_zone") == HOSTS["ws"][2],
              f"ws: zone_violation from {HOSTS['ws'][2]}, share ADMIN$, action block", str(viol))

    sx = impacket(net, "adm", "smbexec", user=user, debug=True)
    res.check(sx.rc != 0 and sx.seconds < BLOCKED_WITHIN and "nca_s_op_rng_error" not in sx.out,
              "adm: smbexec (enforced) fails at the client; its CreateServiceW never reaches Samba", sx.brief())
    ev = jg.wait_events(lambda ev: any(e["event"] == "zone_violation" for e in within(ev, sx, "adm")))
    res.check(any(e["event"] == "zone_violation" and e.get("tool") == "smbexec" and e.get("action") == "block"
                  for e in within(ev, sx, "adm")),
              "adm: smbexec: zone_violation, tool smbexec, action block (an attack tool, whoever runs it)",
              str([(e["event"], e.get("tool"), e.get("action")) for e in within(ev, sx, "adm")]))

    for role in ("ws", "adm"):
        r, same = file_roundtrip(net, role, user, jg.work, "enforced.bin", 200000)
        res.check(r.rc == 0 and same, f"{role}: smbclient copy (enforced), both ways, intact ({r.brief()})")
    r = Run(net, "adm", target.ssh_argv("echo lab-ssh-ok"), timeout=30)
    res.check(r.rc == 0 and "lab-ssh-ok" in r.out, f"adm: ssh (learnt) gets through ({r.brief()})")
    r = Run(net, "ws", target.ssh_argv("echo lab-ssh-ok"), timeout=30)
    res.check(r.rc != 0 and r.seconds < BLOCKED_WITHIN, "ws: ssh (never learnt) blocked by the default, at once",
              r.brief())


def scenario_learn(res, net, jg, target):
    """7: learn, propose, enforce; jg runs lab_jumpgate.learning_policy_yaml()."""
    learn(res, net, jg, target)
    yaml = propose(res, jg)
    if yaml is None:
        return
    draft = enforcing(yaml)
    if not res.check(draft is not None, "the proposal has one `default: alert` and one `attack_tools: alert` to edit"):
        return
    with open(jg.policy, "w") as f:
        f.write(draft)
    rc, r = jg.ctl("reload")
    if not res.check(rc == 0 and isinstance(r, dict) and r.get("policy") == jg.policy,
                     f"jgctl reload takes the edited proposal ({jg.policy}: default and attack_tools block)",
                     str(r)):
        return
    enforced(res, net, jg, target)
