#!/usr/bin/python3
"""Learn mode on real captures (../shared): the WinRM, RDP and PsExec sets with Impacket's
psexec and smbexec among them, replayed together.

1. `jumpgate learn`: the proposal is a policy, its what-if alerts less than the default and
   allows no attack-tool session; the attack tools are listed first; `jumpgate replay
   --policy` with it does in the dataplane exactly what the what-if said (the policy
   counters equal its totals, every attack-tool event keeps alerting).
2. Live (`jumpgate run` on a net_pcap port with the same traffic): `jgctl policy suggest`
   and `jgctl policy diff`, then `jgctl reload` accepts the proposal; jg-control killed and
   restarted by the launcher reads the learnt graph back from its store."""
import json
import os
import re
import signal
import subprocess
import time

from jgtest import *

need_root_and_hugepages()
need_shared()
CAPS = [os.path.join(SHARED, p) for p in (
    "elcabezzonn/winrm_psremote_05-16.pcap", "zeek/rdp__rdp-x509.pcap", "pcap-attack/LM_rdp_sharprdp.pcapng",
    "elcabezzonn/psexec_cmd.pcap", "elcabezzonn/psexec_calc.pcap", "401trg/20171220_smb_psexec_add_user.pcap",
    "elcabezzonn/multiple_psexecs_with_cmds_netstat_ipconfig.pcap",
    "elcabezzonn/smbexec.pcap", "elcabezzonn/impacket_psexec.pcap")]
ATTACK_TOOLS = {"impacket-psexec", "smbexec", "crackmapexec", "metasploit-psexec", "atexec", "wmiexec", "dcomexec",
                "cobalt-strike", "sharpmove", "scshell", "csexec"}
work = tmpdir("learn")
prop = os.path.join(work, "proposal.yaml")


def ctl(sock, *args):
    return subprocess.run([JGCTL, "-s", sock, *args], capture_output=True, text=True, timeout=60)


# 1. jumpgate learn, then the proposal replayed as a draft
r = subprocess.run([JUMPGATE, "learn", "-c", CONFIG, "--dir", os.path.join(work, "learn"), "--out", prop, *CAPS],
                   capture_output=True, text=True, timeout=300)
check(r.returncode == 0 and os.path.exists(prop), f"jumpgate learn: exit {r.returncode}\n{r.stderr[-2000:]}")
text = open(prop).read() if os.path.exists(prop) else ""
check("what-if over" in r.stdout and "hosts the draft newly trusts" in r.stdout, "learn prints the what-if")
w = json.load(open(os.path.join(work, "learn", "whatif.json")))
cur, dr = w["current"], w["draft"]
print(f"what-if: current {cur['allow']}/{cur['alert']}/{cur['block']}, proposal {dr['allow']}/{dr['alert']}/{dr['block']} "
      f"(allow/alert/block over {w['sessions']} sessions)")
check(cur["allow"] == 0 and cur["alert"] == w["sessions"], "the default alerts on every session")
check(dr["alert"] + dr["block"] < cur["alert"] + cur["block"] and dr["allow"] > 0, "the proposal alerts less")
check(dr["attack_allowed"] == 0 and not any(c["attack_tool"] and c["draft"] == "allow" for c in w["changes"]),
      "the proposal allows no attack-tool session")
head = text[:text.find("\nzones:")]
check("LOOK AT THESE FIRST" in head and "smbexec" in head and "impacket-psexec" in head,
      "attack tools listed first, before the zones")
check(re.search(r"^\s+default: alert\b", text, re.M) is not None and not re.search(r"^\s+default: block\b", text, re.M),
      "default alert, never block")
rules = re.findall(r"^(.*)\n\s+- \{ from: (\S+), to: (\S+), service: (\S+), action: allow \}", text, re.M)
check(rules and all(re.search(r"# seen: [1-9]\d* session", ev) for ev, *_ in rules),
      f"every allow rule says its evidence ({len(rules)} rules)")

res, out = replay(CAPS, out=os.path.join(work, "draft"), extra=("--policy", prop))
check(res.returncode == 0 and "what-if over" in res.stdout, "replay --policy: runs, prints the what-if")
c = summary(out)["counters"]
check(c["policy-allowed"] == dr["allow"] and c["policy-alerts"] == dr["alert"] and c["policy-blocks"] == dr["block"],
      f"the dataplane did what the what-if said: allowed {c['policy-allowed']}, alerts {c['policy-alerts']}, "
      f"blocks {c['policy-blocks']}")
evs = jsonl(os.path.join(out, "events.jsonl"))
check(not [e for e in evs if e.get("tool") in ATTACK_TOOLS and e.get("action") == "allow"],
      "no attack-tool event allowed under the proposal")
check(any(e.get("tool") == "psexec" and e.get("action") == "allow" for e in evs), "PsExec from its admin host allowed")
check(any(e["event"] == "zone_violation" and e.get("tool") == "smbexec" for e in evs), "smbexec still a zone_violation")

# 2. live: suggest, diff, reload; the graph survives a control-plane restart
merged = os.path.join(work, "merged.pcap")
plain = [p for p in CAPS if p.endswith(".pcap")]
subprocess.run(["mergecap", "-a", "-F", "pcap", "-w", merged, *plain], check=True)
total = capinfos_count(merged)
sock, policy = os.path.join(work, "jgctl.sock"), os.path.join(work, "policy.yaml")
with open(policy, "w") as f:
    f.write("# nothing trusted yet\npolicy:\n  default: alert\n")
cfg = os.path.join(work, "run.yaml")
with open(cfg, "w") as f:
    f.write(f"""
eal: {{ file_prefix: jg-learn-{os.getpid()} }}
lcores: {{ main: 0, workers: [1] }}
ports:
  - name: pcap
    device: "net_pcap0,rx_pcap={merged}"
flows: {{ table_size: 65536 }}
control: {{ socket: {sock} }}
output: {{ dir: {work}/live }}
detect: {{ policy: {policy}, patterns: {os.path.join(SRC, "config", "patterns.yaml")} }}
""")
with Live(cfg) as live:
    s = wait_status(sock, lambda s: s["ports"][0]["ipackets"] >= total, seconds=60)
    check(s is not None, f"live: the {total} packets read")
    time.sleep(1.5)  # the events drained
    r = ctl(sock, "policy", "suggest", "--json")
    sug = json.loads(r.stdout) if r.returncode == 0 else {}
    check(sug.get("admin_hosts", 0) >= 2 and sug.get("attack_paths", 0) >= 2 and sug.get("rules_new", 0) >= 2,
          f"jgctl policy suggest: {({k: v for k, v in sug.items() if k != 'yaml'})} {r.stderr}")
    live_prop = os.path.join(work, "live-proposal.yaml")
    with open(live_prop, "w") as f:
        f.write(sug.get("yaml", ""))
    r = ctl(sock, "policy", "diff", live_prop, "--json")
    d = json.loads(r.stdout) if r.returncode == 0 else {"current": {}, "draft": {}}
    check(d["draft"].get("alert", 1 << 30) < d["current"].get("alert", 0) and d["draft"].get("attack_allowed") == 0,
          f"jgctl policy diff: fewer alerts, no attack allowed ({r.stdout[:300]} {r.stderr})")
    r = ctl(sock, "policy", "diff", os.path.join(work, "nonexistent.yaml"))
    check(r.returncode == 1, "policy diff of a missing file: an error")
    r = ctl(sock, "policy", "suggest", "--since", "soon")
    check(r.returncode == 2, "policy suggest --since soon: usage")
    os.replace(live_prop, policy)
    r = ctl(sock, "reload")
    check(r.returncode == 0, f"jgctl reload accepts the proposal: {r.stdout} {r.stderr}")
    r = ctl(sock, "zones", "--json")
    z = json.loads(r.stdout) if r.returncode == 0 else {}
    check(z.get("generation") == 2 and any(x["name"] == "learnt-admin" and x["prefixes"] for x in z.get("zones", [])),
          "the proposal runs: generation 2 with zone learnt-admin")
    pid = jgctl_status(sock)["control_pid"]
    os.kill(pid, signal.SIGKILL)
    s2 = wait_status(sock, lambda s: s["control_pid"] != pid, seconds=30)
    check(s2 is not None, "jg-control restarted")
    r = ctl(sock, "policy", "suggest", "--json")
    again = json.loads(r.stdout) if r.returncode == 0 else {}
    # the running policy now holds the learnt zones: the same hosts, the same roles
    check(again.get("admin_hosts") == sug.get("admin_hosts") and again.get("attack_paths") == sug.get("attack_paths"),
          f"the learnt graph survived the restart (SQLite): {({k: v for k, v in again.items() if k != 'yaml'})}")
check(live.returncode == 0, f"jumpgate run stopped cleanly ({live.returncode})\n{live.output[-1500:]}")
if not failures:
    cleanup(work)
done()
