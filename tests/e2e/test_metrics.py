#!/usr/bin/python3
"""Prometheus metrics: `jumpgate run` with control.metrics on a free port, replaying the demo
attack once through a net_pcap port; promtool accepts the exposition; Debian's real
`prometheus` scrapes it, and the values it stores (read back through its HTTP API) are
jgctl's: per-worker counters, port packets, events and alerts by tool, the drop reasons."""
import json
import os
import shutil
import subprocess
import time
import urllib.parse
import urllib.request

from jgtest import *

need_root_and_hugepages()
PROM, PROMTOOL = shutil.which("prometheus"), shutil.which("promtool")
if PROM is None or PROMTOOL is None:
    skip("prometheus is not installed (scripts/bootstrap installs it)")


def get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.read().decode()


def query(base, expr):
    """Prometheus's instant value of expr as {labels: value}."""
    _, body = get(f"{base}/api/v1/query?" + urllib.parse.urlencode({"query": expr}))
    res = json.loads(body)["data"]["result"]
    return {tuple(sorted((k, v) for k, v in r["metric"].items() if k not in ("instance", "job", "__name__"))): float(r["value"][1])
            for r in res}


work = tmpdir("metrics")
sock, mport, pport = os.path.join(work, "jgctl.sock"), free_port(), free_port()
total = capinfos_count(DEMO_PCAP)
cfg = os.path.join(work, "run.yaml")
with open(cfg, "w") as f:
    f.write(f"""
eal: {{ file_prefix: jg-metrics-{os.getpid()} }}
lcores: {{ main: 0, workers: [1] }}
ports:
  - name: demo
    device: "net_pcap0,rx_pcap={DEMO_PCAP}"
flows: {{ table_size: 65536 }}
control: {{ socket: {sock}, metrics: "127.0.0.1:{mport}" }}
output: {{ dir: {work}/out }}
alerts: {{ window: 0 }}
""")
prom_cfg = os.path.join(work, "prometheus.yml")
with open(prom_cfg, "w") as f:
    f.write(f"""
global: {{ scrape_interval: 1s, scrape_timeout: 1s }}
scrape_configs:
  - job_name: jumpgate
    static_configs: [ {{ targets: ["127.0.0.1:{mport}"] }} ]
""")
prom = None
with Live(cfg) as live:
    s = wait_status(sock, lambda s: s["ports"][0]["ipackets"] >= total, seconds=60)
    check(s is not None, f"live: the demo's {total} packets read")
    time.sleep(1.0)  # the events drained
    st, text = get(f"http://127.0.0.1:{mport}/metrics")
    check(st == 200 and "# TYPE jumpgate_worker_rx_total counter" in text, "GET /metrics answers")
    r = subprocess.run([PROMTOOL, "check", "metrics"], input=text, capture_output=True, text=True)
    check(r.returncode == 0, f"promtool check metrics: {r.stdout}{r.stderr}")
    try:
        get(f"http://127.0.0.1:{mport}/other")
        check(False, "another path: 404")
    except urllib.error.HTTPError as e:
        check(e.code == 404, "another path: 404")
    prom = subprocess.Popen([PROM, f"--config.file={prom_cfg}", f"--storage.tsdb.path={work}/tsdb",
                             f"--web.listen-address=127.0.0.1:{pport}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{pport}"
    up = {}
    end = time.time() + 60
    while time.time() < end:
        try:
            up = query(base, 'up{job="jumpgate"}')
            rx = query(base, "jumpgate_worker_rx_total")
            if up and list(up.values())[0] == 1 and rx:
                break
        except OSError:
            pass
        time.sleep(0.5)
    check(up and list(up.values())[0] == 1, f"prometheus scraped jg-control: up {up}")
    stats = json.loads(subprocess.run([JGCTL, "-s", sock, "stats", "--json"], capture_output=True, text=True).stdout)
    w0 = stats["workers"][0]
    for name in ("rx", "rx-bytes", "pkt-flow", "flow-new", "events", "sessions", "hs-matches", "policy-alerts"):
        got = query(base, f"jumpgate_worker_{name.replace('-', '_')}_total").get((("worker", "0"),))
        check(got == w0[name], f"jumpgate_worker_{name.replace('-', '_')}_total = jgctl's {name} ({got} vs {w0[name]})")
    got = query(base, "jumpgate_port_received_packets_total").get((("port", "demo"),))
    check(got == stats["ports"][0]["rx"] == total, f"port packets: prometheus {got}, jgctl {stats['ports'][0]['rx']}")
    drops = {dict(k)["reason"]: v for k, v in query(base, "jumpgate_dropped_total").items()}
    want = {k: v for k, v in stats["drops"].items() if not k.startswith("port-")}
    check(drops == want, f"every drop reason, as jgctl says: prometheus {drops}, jgctl {want}")
    alerts = [json.loads(l) for l in open(os.path.join(work, "out", "events.jsonl")) if l.strip()]
    by_tool = {}
    for a in alerts:
        if not a.get("update"):
            by_tool[a.get("tool", "unknown")] = by_tool.get(a.get("tool", "unknown"), 0) + 1
    got = {dict(k)["tool"]: v for k, v in query(base, "sum by (tool) (jumpgate_alerts_total)").items()}
    check(got == by_tool and by_tool.get("paexec", 0) > 0, f"alerts by tool: prometheus {got}, events.jsonl {by_tool}")
    ev = sum(query(base, "sum(jumpgate_events_total)").values())
    check(ev == w0["events"], f"events by event/tool/action sum to the dataplane's events ({ev} vs {w0['events']})")
    prom.terminate()
    prom.wait(timeout=30)
check(live.returncode == 0, f"jumpgate run stopped cleanly ({live.returncode})")
if prom is not None and prom.poll() is None:
    prom.kill()
if not failures:
    cleanup(work)
done()
