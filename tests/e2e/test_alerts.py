#!/usr/bin/python3
"""Alerts with counts and the operator's view of them.

Replay: the demo's PAExec attack repeated 200 times (tests/e2e/repeat_attack.py)
is one alert per (event, tool, source, target, service, artifact): the first
occurrence at once with count 1, then one update with the final count 201, in
events.jsonl and in the SQLite store; the counts add up to the dataplane's
events. With alerts.window 0 every event is its own alert.

Live (`jumpgate run` on a net_pcap port): jgctl events (filters, --json,
--follow), flows top, stats, zones and zones test answer from the running
control plane, with the usage errors that mean something; DPDK telemetry serves
the same counters (/jumpgate/stats, /jumpgate/worker,N, /jumpgate/info)."""
import json
import os
import socket
import sqlite3
import subprocess
import time

from jgtest import *

need_root_and_hugepages()
work = tmpdir("alerts")
cap = os.path.join(work, "repeat.pcap")
subprocess.run([os.path.join(SRC, "tests", "e2e", "repeat_attack.py"), cap, "200", "0.5"], check=True)
REPEATS = 201  # the demo's own session and 200 more

# --- replay: one alert per key, one final count ---
r, out = replay([cap], out=os.path.join(work, "replay"))
check(r.returncode == 0, f"replay exit 0 ({r.returncode}: {r.stderr[-300:]})")
lines = jsonl(os.path.join(out, "events.jsonl"))
firsts = [e for e in lines if not e.get("update")]
updates = [e for e in lines if e.get("update")]
check(len(firsts) == 5 and all(e["count"] == 1 for e in firsts), f"5 alerts at first sight ({len(firsts)})")
check(len({e["alert_id"] for e in firsts}) == 5, "each alert its own id")
paexec = [e for e in updates if e["event"] == "tool_artifact" and e.get("file") == "PAExec-4242-WKSTN07.exe"]
check(len(paexec) == 1, "the repeated PAExec artifact is reported once more, with its count")
if paexec:
    check(paexec[0]["count"] == 2 * REPEATS, f"count {paexec[0]['count']} == {2 * REPEATS} (two sightings a session)")
    check(paexec[0]["origin_host"] == "WKSTN07" and paexec[0]["first_seen"] < paexec[0]["last_seen"],
          "the update keeps the evidence and spans first to last")
viol = [e for e in updates if e["event"] == "zone_violation"]
check(len(viol) == 1 and viol[0]["count"] == REPEATS, f"one zone_violation counted {REPEATS} times")
s = summary(out)
check(sum(e["count"] for e in updates) + sum(1 for e in firsts if e["alert_id"] not in {u["alert_id"] for u in updates})
      == s["counters"]["events"], "the counts add up to the dataplane's events")
db = sqlite3.connect(os.path.join(out, "jumpgate.db"))
rows = db.execute("SELECT type, tool, count FROM alerts ORDER BY id").fetchall()
check(len(rows) == 5, f"5 rows in the store ({len(rows)})")
check(("zone_violation", "unknown", REPEATS) in rows, f"the store counts the violation: {rows}")
check(db.execute("SELECT count(*) FROM flows").fetchone()[0] == s["counters"]["flow-records"], "every flow stored")
db.close()

# --- alerts.window 0: no aggregation ---
raw = os.path.join(work, "raw.yaml")
with open(raw, "w") as f:
    f.write(config_text() + "\nalerts:\n  window: 0\nstore:\n  max_alerts: 200\n  max_flows: 100\n")
r, out0 = replay([cap], out=os.path.join(work, "raw"), config=raw)
lines0 = jsonl(os.path.join(out0, "events.jsonl"))
check(r.returncode == 0 and len(lines0) == summary(out0)["counters"]["events"],
      f"window 0: one line per event ({len(lines0)})")
# the store stays within its bounds: the oldest rows go, the newest stay
db = sqlite3.connect(os.path.join(out0, "jumpgate.db"))
n_alerts, lo, hi = db.execute("SELECT count(*), min(id), max(id) FROM alerts").fetchone()
n_flows = db.execute("SELECT count(*) FROM flows").fetchone()[0]
db.close()
check(n_alerts <= 200 and hi == len(lines0) and lo > 1, f"store.max_alerts 200: {n_alerts} rows, ids {lo}..{hi}")
check(n_flows <= 100, f"store.max_flows 100: {n_flows} rows")

# --- live: jgctl against the running control plane ---
sock = os.path.join(work, "jgctl.sock")
cfg = os.path.join(work, "run.yaml")
with open(cfg, "w") as f:
    f.write(f"""
eal: {{ file_prefix: jg-alerts-{os.getpid()} }}
lcores: {{ main: 0, workers: [1] }}
ports:
  - {{ name: cap, device: "net_pcap0,rx_pcap={cap}" }}
flows: {{ table_size: 65536, tcp_closed_timeout: 0 }}
control: {{ socket: {sock} }}
output: {{ dir: {work}/live }}
detect: {{ policy: {os.path.join(SRC, "config", "policy.example.yaml")} }}
""")


def ctl(*args):
    return subprocess.run([JGCTL, "-s", sock, *args], capture_output=True, text=True, timeout=20)


with Live(cfg):
    got = None
    for _ in range(150):
        r = ctl("events", "--json", "--type", "zone_violation")
        if r.returncode == 0 and json.loads(r.stdout) and json.loads(r.stdout)[0]["count"] == REPEATS:
            got = json.loads(r.stdout)
            break
        time.sleep(0.2)
    check(got is not None and len(got) == 1, f"jgctl events: one violation counted {REPEATS} times")
    r = ctl("events")
    check(r.returncode == 0 and r.stdout.startswith("ID") and "paexec" in r.stdout and
          "WKSTN07 (10.20.30.7) -> SRV-DB01 (10.20.30.40):445" in r.stdout, f"events as a table, hosts by name: {r.stdout[:900]!r}")
    r = ctl("events", "--json", "--tool", "paexec", "--host", "10.20.30.40")
    check(r.returncode == 0 and len(json.loads(r.stdout)) == 3 and
          all(e["tool"] == "paexec" for e in json.loads(r.stdout)), "filters by tool and host")
    r = ctl("events", "--json", "--host", "192.0.2.1")
    check(r.returncode == 0 and json.loads(r.stdout) == [], "a host with nothing: an empty list")
    r = ctl("events", "--json", "--zone", "servers", "--limit", "2")
    check(r.returncode == 0 and len(json.loads(r.stdout)) == 2, "--zone and --limit")
    r = ctl("events", "--json", "--since", "2030-01-01T00:00:00Z")
    check(r.returncode == 0 and json.loads(r.stdout) == [], "--since after everything: nothing")
    check(ctl("events", "--since", "yesterday").returncode == 2, "a bad time is a usage error (2)")
    check(ctl("events", "--limit", "0").returncode == 2, "a bad limit is a usage error (2)")
    check(ctl("events", "--bogus", "x").returncode == 2, "an unknown option is a usage error (2)")
    # --follow prints what is there, then only what is new (nothing here): no repeats
    p = subprocess.Popen([JGCTL, "-s", sock, "events", "--follow", "--json"], stdout=subprocess.PIPE, text=True)
    time.sleep(2.5)
    p.terminate()
    followed = [json.loads(l) for l in p.communicate(timeout=10)[0].splitlines() if l.strip()]
    check(p.returncode == 0 and len(followed) == 5 and len({e["alert_id"] for e in followed}) == 5,
          f"--follow: each alert once, as JSON lines ({len(followed)})")
    r = ctl("flows", "top", "--json", "--limit", "3")
    top = json.loads(r.stdout) if r.returncode == 0 else []
    check(len(top) == 3 and all(f.get("services") == ["smb-admin"] for f in top),
          "flows top: remote-administration flows first")
    check(top == sorted(top, key=lambda f: -f["bytes"]), "then by bytes")
    r = ctl("flows", "top", "--by", "packets")
    check(r.returncode == 0 and "PACKETS" in r.stdout and "smb-admin" not in r.stdout and "alert" in r.stdout,
          "flows top as a table")
    check(ctl("flows").returncode == 2 and ctl("flows", "top", "--by", "colour").returncode == 2, "flows usage errors")
    r = ctl("stats", "--json")
    st = json.loads(r.stdout) if r.returncode == 0 else {}
    check(st.get("total", {}).get("events") == st.get("alerts", {}).get("events"), "stats: events in = events taken")
    check(st.get("alerts", {}).get("alerts") == 5 and st.get("store", {}).get("errors") == 0,
          f"stats: alerts and store ({st.get('alerts')})")
    check("port-missed" in st.get("drops", {}) and "flow-ring-full" in st.get("drops", {}) and
          "stream-gaps" in st.get("degraded", {}), "stats: drop reasons, degraded handling")
    r = ctl("stats")
    check(r.returncode == 0 and "DROPS (packets and records lost)" in r.stdout and "hs-bytes" in r.stdout, "stats as a table")
    r = ctl("zones", "--json")
    z = json.loads(r.stdout) if r.returncode == 0 else {}
    check(z.get("generation") == 1 and "admin-jump" in [x["name"] for x in z.get("zones", [])] and
      "ssh-alt" in [x["name"] for x in z.get("services", [])], "zones: the running policy")
    r = ctl("zones", "test", "10.20.30.7", "10.20.30.40", "smb-admin", "--json")
    t = json.loads(r.stdout) if r.returncode == 0 else {}
    check(t.get("src_zone") == "servers" and t.get("actions") == {"smb-admin": "alert"}, f"zones test: {t}")
    r = ctl("zones", "test", "10.0.5.10", "10.20.1.5")
    check(r.returncode == 0 and "admin-jump" in r.stdout and "domain-controllers" in r.stdout and
          "via 10.20.1.0/28" in r.stdout and "allow" in r.stdout and "block" not in r.stdout,
          "zones test as a table: the jump host may, first rule wins")
    r = ctl("zones", "test", "10.0.6.7", "10.20.1.5", "--json")
    check(r.returncode == 0 and set(json.loads(r.stdout)["actions"].values()) == {"block"},
          "a workstation to a domain controller: block")
    check(ctl("zones", "test", "10.0.0.1").returncode == 2, "zones test needs two addresses")
    # DPDK telemetry (what dpdk-telemetry.py speaks): Jumpgate's counters beside ethdev's
    tsock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    tsock.connect(f"/var/run/dpdk/jg-alerts-{os.getpid()}/dpdk_telemetry.v2")
    json.loads(tsock.recv(16384))

    def tel(cmd):
        tsock.send(cmd.encode())
        return json.loads(tsock.recv(65536))[cmd.split(",")[0]]
    cmds = tel("/")
    check("/jumpgate/stats" in cmds and "/jumpgate/worker" in cmds and "/ethdev/stats" in cmds,
          "telemetry lists Jumpgate's commands beside ethdev's")
    ts = tel("/jumpgate/stats")
    check(ts["events"] == st["total"]["events"] and ts["pkt_flow"] == st["total"]["pkt-flow"] and
          len(ts) == len(st["total"]),
          "telemetry /jumpgate/stats = jgctl stats")
    check(tel("/jumpgate/worker,0")["flow_new"] == st["workers"][0]["flow-new"], "telemetry per worker")
    check(tel("/jumpgate/info")["rules_generation"] == 1, "telemetry /jumpgate/info")
    tsock.close()
    check(ctl("zones", "test", "10.0.0.1", "10.0.0.2", "telnet").returncode == 2, "an unknown service is refused")
cleanup(work)
done()
