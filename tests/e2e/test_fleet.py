#!/usr/bin/python3
"""Sensors and the fleet: a real RDP-then-WMI movement (../shared, elcabezzonn) cut in two
halves as two links would see it: the RDP A->B on one, the WMI B->C on the other. Two `jumpgate
replay` runs with different sensor.name publish their alerts to one real redis-server;
`jumpgate fleet` reads the stream as a consumer group and prints one chain A->B->C with both
sensors named (and again from its pending history on a second read), `--dot` draws it
(Graphviz accepts it when installed), `--json` gives the paths. Every alert and flow record
of each run names its sensor."""
import json
import os
import shutil
import subprocess
import time

from jgtest import *

need_root_and_hugepages()
need_shared()
if shutil.which("redis-server") is None or shutil.which("tshark") is None:
    skip("redis-server or tshark is missing (scripts/bootstrap installs them)")
CAP = os.path.join(SHARED, "elcabezzonn", "rdp-then-wmiexec.pcap")
A, B, C = "10.0.0.192", "10.0.0.3", "10.0.0.2"


work = tmpdir("fleet")
halves = {"link-a": os.path.join(work, "rdp.pcap"), "link-b": os.path.join(work, "rest.pcap")}
for (name, path), flt in zip(halves.items(), ("tcp.port == 3389", "not tcp.port == 3389")):
    subprocess.run(["tshark", "-r", CAP, "-Y", flt, "-F", "pcap", "-w", path], check=True, capture_output=True)
port = free_port()
redis = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    for _ in range(50):
        if subprocess.run(["redis-cli", "-p", str(port), "PING"], capture_output=True, text=True).stdout.strip() == "PONG":
            break
        time.sleep(0.1)
    for name, path in halves.items():
        cfg = os.path.join(work, f"{name}.yaml")
        redis_out = f'  redis: {{ enabled: true, server: "127.0.0.1:{port}", stream: "fleet:alerts" }}\n'
        with open(cfg, "w") as f:
            f.write(config_text().replace("  dir: /tmp/jumpgate-test\n", "  dir: /tmp/jumpgate-test\n" + redis_out) +
                    f"sensor: {{ name: {name} }}\nalerts: {{ window: 0 }}\n")
        r, out = replay([path], out=os.path.join(work, name), config=cfg)
        check(r.returncode == 0, f"{name}: replay ({r.stderr[-300:]})")
        evs = jsonl(os.path.join(out, "events.jsonl"))
        flows = jsonl(os.path.join(out, "flows.jsonl"))
        check(evs and all(e.get("sensor") == name for e in evs), f"{name}: every alert names its sensor")
        check(flows and all(x.get("sensor") == name for x in flows), f"{name}: every flow record names its sensor")

    def fleet(*extra):
        return subprocess.run([JUMPGATE, "fleet", "--redis", f"127.0.0.1:{port}", "--stream", "fleet:alerts",
                               "--consumer", "soc", *extra], capture_output=True, text=True, timeout=60)

    r = fleet()
    chain = [l for l in r.stdout.splitlines() if l.startswith("  ") and "-[" in l]
    one = [l for l in chain if A in l and B in l and C in l]
    print("\n".join(chain))
    check(r.returncode == 0 and len(one) == 1, f"one chain {A} -> {B} -> {C}: {chain} {r.stderr}")
    if one:
        l = one[0]
        check(l.index(A) < l.index(B) < l.index(C) and "rdp" in l and "wmi" in l and
              "seen by link-a" in l and "seen by link-b" in l, "the chain: rdp seen by link-a, then wmi seen by link-b")
    r2 = fleet()
    check(r2.returncode == 0 and [l for l in r2.stdout.splitlines() if l.startswith("  ") and "-[" in l] == chain,
          "a second read gives the same chain (the consumer's pending history)")
    r = fleet("--json")
    paths = json.loads(r.stdout) if r.returncode == 0 else []
    ab = [p for p in paths if p["src_ip"] == A and p["dst_ip"] == B]
    bc = [p for p in paths if p["src_ip"] == B and p["dst_ip"] == C]
    check(len(ab) == 1 and ab[0]["sensors"] == "link-a" and "rdp" in ab[0]["services"] and
          len(bc) == 1 and bc[0]["sensors"] == "link-b" and "wmi" in bc[0]["services"] and
          ab[0]["first"] < bc[0]["first"], f"--json: the two paths, each with its sensor ({ab} {bc})")
    r = fleet("--dot")
    check(r.returncode == 0 and r.stdout.startswith("digraph") and "seen by link-a" in r.stdout and
          "seen by link-b" in r.stdout, "--dot draws both hops")
    if shutil.which("dot"):
        g = subprocess.run(["dot", "-Tsvg"], input=r.stdout, capture_output=True, text=True)
        check(g.returncode == 0 and "<svg" in g.stdout, f"Graphviz draws it: {g.stderr[:200]}")
    # what the stream says cannot forge the view: a hostile field stays a value
    def xadd(key, **kv):
        line = json.dumps(dict({"tool": "unknown", "service": "rdp", "action": "alert"}, **kv), separators=(",", ":"))
        subprocess.run(["redis-cli", "-p", str(port), "XADD", key, "*", "event", line], check=True, capture_output=True)

    def view(key, *extra):
        return subprocess.run([JUMPGATE, "fleet", "--redis", f"127.0.0.1:{port}", "--stream", key, "--consumer", "t",
                               *extra], capture_output=True, text=True, timeout=60)

    xadd("evil", event="rdp_session", src_ip='10.9.9.9","evil":"x', dst_ip="10.9.9.8",
         timestamp="2026-01-01T10:00:00.000000Z", sensor='s"1\u001b[31m')
    r = view("evil", "--json")
    got = json.loads(r.stdout) if r.returncode == 0 else [{}]
    check(len(got) == 1 and "evil" not in got[0] and "\x1b" not in r.stdout and "\x1b" not in view("evil").stdout,
          f"a hostile field is a value, printable: {r.stdout[:300]}")
    # a cycle (A->B, B->C, C->A, A->B again) still shows its chain, closed back at A;
    # an alert's final count (update) moves its last time and is not another alert
    for src, dst, t in (("1.0.0.1", "1.0.0.2", "10:00"), ("1.0.0.2", "1.0.0.3", "10:05"), ("1.0.0.3", "1.0.0.1", "10:10"),
                        ("1.0.0.1", "1.0.0.2", "10:20")):
        xadd("cyc", event="rdp_session", src_ip=src, dst_ip=dst, timestamp=f"2026-01-01T{t}:00.000000Z", sensor="s")
    xadd("cyc", event="rdp_session", src_ip="1.0.0.2", dst_ip="1.0.0.3", timestamp="2026-01-01T10:05:00.000000Z",
         last_seen="2026-01-01T10:30:00.000000Z", update=True, count=50, sensor="s")
    r = view("cyc")
    chain = [l for l in r.stdout.splitlines() if l.startswith("  ") and "-[" in l]
    check(any(l.count("-[") == 3 and l.strip().startswith("1.0.0.1") and l.strip().endswith("1.0.0.1") for l in chain),
          f"a cycle: the chain 1->2->3 closed back at 1 ({chain})")
    bc = [p for p in json.loads(view("cyc", "--json").stdout) if p["src_ip"] == "1.0.0.2"]
    check(len(bc) == 1 and bc[0]["alerts"] == 1 and bc[0]["last"].startswith("2026-01-01T10:30"),
          f"an update moves the last time, is no second alert ({bc})")
    # entries trimmed from the stream leave the consumer's pending list
    subprocess.run(["redis-cli", "-p", str(port), "XTRIM", "cyc", "MAXLEN", "0"], check=True, capture_output=True)
    r = view("cyc")
    pend = subprocess.run(["redis-cli", "-p", str(port), "XPENDING", "cyc", "jumpgate-fleet"], capture_output=True,
                          text=True).stdout.split()
    check(r.returncode == 0 and pend[:1] == ["0"] and "5 trimmed" in r.stderr, f"trimmed entries forgotten: {pend} {r.stderr}")

    r = subprocess.run([JUMPGATE, "fleet", "--redis", "127.0.0.1:1"], capture_output=True, text=True, timeout=30)
    check(r.returncode == 1 and "jumpgate fleet:" in r.stderr, f"no Redis there: a clear error ({r.stderr.strip()})")
    check(subprocess.run([JUMPGATE, "fleet"], capture_output=True).returncode == 2, "no --redis: usage")
finally:
    redis.terminate()
    redis.wait(timeout=10)
if not failures:
    cleanup(work)
done()
