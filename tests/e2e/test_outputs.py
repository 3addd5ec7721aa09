#!/usr/bin/python3
"""The control plane's outputs against the real collectors, on loopback, each started here on
free ports in a temporary directory and always stopped:

- an attack repeated 200 times is one alert and one update with its count in every output;
- rsyslogd (imudp and imtcp) gets every alert over UDP and over TCP: PRI, MSGID and structured
  data as rsyslog parses them, and the JSON in MSG equal to the events.jsonl line;
- redis-server (with a password) gets one XADD per alert and per flow: read back with XRANGE and
  compared with events.jsonl and flows.jsonl; a stream key of the wrong type and a missing
  password are errors of the output, not of the replay;
- nfcapd gets IPFIX: `nfdump -o json` reads back the same flows as flows.jsonl of the same replay
  of real captures, with the same packets and bytes per direction and the same first and last
  milliseconds (biflow records, and one record per direction); zones, services and action, which
  nfdump skips, are decoded here;
- dead collectors (nothing listening, a black hole) never hold a replay back, and a Redis killed
  under a live run is noticed, reconnected to when it returns, and the run stops in normal time."""
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import time

from jgtest import *

need_root_and_hugepages()
missing = [b for b in ("rsyslogd", "redis-server", "redis-cli", "nfcapd", "nfdump") if shutil.which(b) is None]
if missing:
    skip("collector binaries missing: " + ", ".join(missing) +
         " (Debian: rsyslog, redis-server, redis-tools, nfdump; scripts/bootstrap installs them)")

work = tmpdir("outputs")
PSEXEC = os.path.join(SHARED, "401trg", "20171220_smb_psexec_add_user.pcap")
MISC = os.path.join(SHARED, "elcabezzonn", "miscellaneous.pcap")
WINMISC = os.path.join(SHARED, "elcabezzonn", "windows_miscellany.pcap")
# the demo's PAExec attack repeated 200 times: one alert per key, then one update with its count
REPEAT = os.path.join(work, "repeat.pcap")
subprocess.run([os.path.join(SRC, "tests", "e2e", "repeat_attack.py"), REPEAT, "200", "0.5"], check=True)
ALERT_CAPS = [DEMO_PCAP, REPEAT] + [p for p in (PSEXEC,) if os.path.exists(p)]


def check_counted(label, jsons):
    """The repeated capture: its violation is one alert with count 1, then one update with count 201."""
    evs = [json.loads(j) for j in jsons]
    viol = [e for e in evs if e["event"] == "zone_violation"]
    check(len(viol) == 2 and viol[0]["count"] == 1 and viol[1].get("update") and viol[1]["count"] == 201 and
          viol[0]["alert_id"] == viol[1]["alert_id"], f"{label}: one deduplicated alert, counted 201 times")
FLOW_CAPS = [p for p in (PSEXEC, WINMISC, MISC) if os.path.exists(p)] or \
    [DEMO_PCAP, os.path.join(SRC, "tests", "lab", "paexec.pcap")]
FACILITY = 16  # local0, the default


class Proc:
    """A collector for the length of a with-block: SIGTERM at its end, SIGKILL if it lingers."""

    def __init__(self, argv, cwd=None):
        self.argv, self.cwd = argv, cwd
        self.start()

    def start(self):
        self.log = open(os.path.join(work, os.path.basename(self.argv[0]) + ".log"), "a")
        self.p = subprocess.Popen(self.argv, cwd=self.cwd, stdout=self.log, stderr=subprocess.STDOUT)

    def stop(self, sig=signal.SIGTERM):
        if self.p.poll() is None:
            self.p.send_signal(sig)
            try:
                self.p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        self.log.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False


def free_port(kind):
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def until(pred, seconds=15, step=0.05):
    end = time.time() + seconds
    while time.time() < end:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()


def tcp_listening(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


def udp_bound(port):
    """True once someone holds the UDP port (our own bind fails)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.bind(("127.0.0.1", port))
            return False
        except OSError:
            return True


def udp_socket(port):
    """(bytes unread, datagrams the kernel dropped) of the socket bound to 127.0.0.1:port (/proc/net/udp)."""
    with open("/proc/net/udp") as f:
        for line in f.readlines()[1:]:
            fields = line.split()
            if fields[1] == f"0100007F:{port:04X}":
                return int(fields[4].split(":")[1], 16), int(fields[-1])
    return 0, 0


def udp_unread(port):
    return udp_socket(port)[0]


def config(name, outputs):
    """The e2e config with `outputs` (YAML lines, indented under output:) added."""
    path = os.path.join(work, name + ".yaml")
    text = config_text().replace("output:\n", "output:\n" + "".join("  " + l + "\n" for l in outputs), 1)
    with open(path, "w") as f:
        f.write(text)
    return path


def run_replay(cap, cfg, tag):
    t0 = time.time()
    r, out = replay([cap], out=os.path.join(work, tag), config=cfg)
    took = time.time() - t0
    check(r.returncode == 0, f"{tag}: replay exit 0 ({r.returncode}: {r.stderr[-400:]})")
    return r, out, took


def lines(path):
    with open(path) as f:
        return [l.rstrip("\n") for l in f if l.strip()]


# ---------------------------------------------------------------- syslog
def severity(ev):
    """docs/outputs.md's table."""
    t, action = ev["event"], ev.get("action")
    if t == "zone_violation":
        return 4 if action == "block" else 3
    if t in ("tool_artifact", "service_install", "service_change", "task_create", "wmi_exec") or \
            (t == "rpc_call" and ev.get("severity") != "low"):
        return 5 if action == "allow" else 4
    if t in ("admin_session", "winrm_session", "rdp_session"):
        return 6 if action == "allow" else 5
    return 5 if t == "logon_failure" else 6


def parse_sd(sd):
    """[id k="v" ...] -> (id, {k: v}) with RFC 5424 escapes undone; None when it does not parse."""
    m = re.fullmatch(r'\[(\S+)((?: [^= \]"]+="(?:[^"\\\]]|\\.)*")*)\]', sd)
    if not m:
        return None
    params = {k: re.sub(r'\\(["\\\]])', r"\1", v) for k, v in re.findall(r' ([^= \]"]+)="((?:[^"\\\]]|\\.)*)"', m[2])}
    return m[1], params


def scalar(v):
    return ("true" if v else "false") if isinstance(v, bool) else str(v)


def check_syslog(label, got, events):
    check(len(got) == len(events), f"{label}: {len(got)} messages for {len(events)} alerts")
    check(sorted(json.dumps(json.loads(g["msg"]), sort_keys=True) for g in got) ==
          sorted(json.dumps(json.loads(e), sort_keys=True) for e in events),
          f"{label}: the JSON of every MSG is an events.jsonl line, each line once")
    for g in got:
        ev = json.loads(g["msg"])
        check(g["pri"] == FACILITY * 8 + severity(ev), f"{label}: PRI {g['pri']} for {ev['event']}/{ev.get('action')}")
        check(g["msgid"] == ev["event"], f"{label}: MSGID {g['msgid']}")
        check(re.match(r"<\d+>1 \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z \S+ jumpgate \d+ " + ev["event"] + r" \[",
                       g["raw"]) is not None, f"{label}: RFC 5424 header {g['raw'][:90]}")
        sd = parse_sd(g["sd"])
        if not check(sd is not None and sd[0] == "jumpgate@32473", f"{label}: structured data {g['sd'][:200]}"):
            continue
        p = sd[1]
        check(p.get("alert_id") == str(ev["alert_id"]) and p.get("count") == str(ev["count"]),
              f"{label}: alert_id and count in SD {p}")
        check(p.get("src_ip") == ev["src_ip"] and p.get("dst_ip") == ev["dst_ip"] and
              p.get("dst_port") == str(ev["dst_port"]), f"{label}: endpoints in SD")
        for k in ("file", "share", "user", "service_name", "binary_path", "src_zone", "dst_zone", "service",
                  "action", "origin_pid", "encrypted"):
            if k in ev and scalar(ev[k]).isprintable():
                check(p.get(k) == scalar(ev[k]), f"{label}: SD {k}={p.get(k)!r} is the event's {ev[k]!r}")


def syslog_tests():
    udp, tcp = free_port(socket.SOCK_DGRAM), free_port(socket.SOCK_STREAM)
    d = tmpdir("rsyslog")
    log = os.path.join(d, "got.log")
    conf = os.path.join(d, "rsyslog.conf")
    with open(conf, "w") as f:
        f.write(f"""global(workDirectory="{d}" maxMessageSize="64k")
module(load="imudp")
module(load="imtcp")
input(type="imudp" address="127.0.0.1" port="{udp}")
input(type="imtcp" address="127.0.0.1" port="{tcp}")
template(name="t" type="string" string="%inputname%\\t%pri%\\t%msgid%\\t%structured-data%\\t%msg%\\t%rawmsg%\\n")
*.* action(type="omfile" file="{log}" template="t")
""")
    with Proc(["rsyslogd", "-n", "-f", conf, "-i", os.path.join(d, "pid")]) as rs:
        if not check(until(lambda: tcp_listening(tcp) and udp_bound(udp)), "rsyslogd listens"):
            return
        seen = 0
        for transport, port in (("udp", udp), ("tcp", tcp)):
            cfg = config(f"syslog-{transport}",
                         [f'syslog: {{ enabled: true, server: "127.0.0.1:{port}", transport: {transport} }}'])
            for cap in ALERT_CAPS:
                label = f"syslog {transport} {os.path.basename(cap)}"
                r, out, _ = run_replay(cap, cfg, f"sl-{transport}-{os.path.basename(cap)}")
                events = lines(os.path.join(out, "events.jsonl"))
                want = seen + len(events)
                until(lambda: os.path.exists(log) and len(lines(log)) >= want, 10)
                got = []
                for l in lines(log)[seen:]:
                    f = l.split("\t")
                    if check(len(f) == 6, f"{label}: one line per message: {l[:120]}"):
                        got.append({"input": f[0], "pri": int(f[1]), "msgid": f[2], "sd": f[3], "msg": f[4],
                                    "raw": f[5]})
                seen += len(got)
                check(all(g["input"] == "im" + transport for g in got), f"{label}: received over {transport}")
                check_syslog(label, got, events)
                if cap == REPEAT:
                    check_counted(label, [g["msg"] for g in got])
    cleanup(d)


# ---------------------------------------------------------------- Redis
def redis_cli(port, *args):
    r = subprocess.run(["redis-cli", "-p", str(port), "-a", "s3cret", "--no-auth-warning", "--json", *args],
                       capture_output=True, text=True, timeout=20)
    return json.loads(r.stdout) if r.returncode == 0 and r.stdout.strip() else None


def xrange(port, key):
    """[{field: value}] of a stream, oldest first."""
    entries = redis_cli(port, "XRANGE", key, "-", "+") or []
    return [dict(zip(fields[0::2], fields[1::2])) for _, fields in entries]


def redis_tests():
    port = free_port(socket.SOCK_STREAM)
    d = tmpdir("redis")
    with Proc(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
               "--dir", d, "--requirepass", "s3cret"]) as rd:
        if not check(until(lambda: redis_cli(port, "PING") == "PONG"), "redis-server answers"):
            return
        for i, cap in enumerate(ALERT_CAPS):
            label = f"redis {os.path.basename(cap)}"
            cfg = config(f"redis-{i}", [f'redis: {{ enabled: true, server: "127.0.0.1:{port}", stream: "jg:alerts:{i}",'
                                        f' flows_stream: "jg:flows:{i}", password: s3cret, maxlen: 100000 }}'])
            r, out, _ = run_replay(cap, cfg, f"rd-{i}")
            events = lines(os.path.join(out, "events.jsonl"))
            flows = lines(os.path.join(out, "flows.jsonl"))
            got = xrange(port, f"jg:alerts:{i}")
            if cap == REPEAT:
                check_counted(label, [g["event"] for g in got])
            check([g["event"] for g in got] == events, f"{label}: XRANGE gives every events.jsonl line, in order "
                  f"({len(got)} entries, {len(events)} lines)")
            for g in got:
                ev = json.loads(g["event"])
                check(g["type"] == ev["event"] and g["src"] == ev["src_ip"] and g["dst"] == ev["dst_ip"] and
                      g["alert_id"] == str(ev["alert_id"]) and g["count"] == str(ev["count"]) and
                      ("update" in g) == bool(ev.get("update")), f"{label}: entry fields {sorted(g)}")
            got = xrange(port, f"jg:flows:{i}")
            check(sorted(g["flow"] for g in got) == sorted(flows), f"{label}: the flows stream is flows.jsonl")
        # a key of the wrong type, a missing password: errors of the output, the replay goes on
        redis_cli(port, "SET", "jg:wrong", "x")
        # (Redis answers an unauthenticated client's long command with a protocol error and closes the
        # connection, so what jg-control reads of it depends on timing: only the replay is checked)
        for tag, extra, want in (("wrongtype", ', stream: "jg:wrong", password: s3cret', "WRONGTYPE"),
                                 ("noauth", "", None)):
            cfg = config(f"redis-{tag}", [f'redis: {{ enabled: true, server: "127.0.0.1:{port}"{extra} }}'])
            r, out, _ = run_replay(DEMO_PCAP, cfg, f"rd-{tag}")
            check(len(lines(os.path.join(out, "events.jsonl"))) == 6, f"redis {tag}: events.jsonl complete")
            check(want is None or want in r.stderr, f"redis {tag}: the first error reply is reported "
                  f"({r.stderr[-300:]})")
        check(redis_cli(port, "GET", "jg:wrong") == "x", "redis: the key of the wrong type is left alone")
    cleanup(d)


# ---------------------------------------------------------------- IPFIX
def ms(rfc3339):
    """2017-10-09T16:45:00.277883Z -> Unix milliseconds (truncated, as flowStartMilliseconds)."""
    import calendar
    base, frac = rfc3339.rstrip("Z").split(".")
    return calendar.timegm(time.strptime(base, "%Y-%m-%dT%H:%M:%S")) * 1000 + int(frac[:3])


def nf_ms(s):
    import calendar
    base, frac = s.split(".")
    return calendar.timegm(time.strptime(base, "%Y-%m-%dT%H:%M:%S")) * 1000 + int(frac)


def nfdump_flows(d):
    r = subprocess.run(["nfdump", "-R", d, "-o", "json"], capture_output=True, text=True, timeout=120,
                       env=dict(os.environ, TZ="UTC"))
    check(r.returncode == 0, f"nfdump -R: {r.stderr[-300:]}")
    return json.loads(r.stdout) if r.stdout.strip() else []


def nf_key(n):
    sa, da = n.get("src4_addr", n.get("src6_addr")), n.get("dst4_addr", n.get("dst6_addr"))
    sp = n.get("src_port", 0)
    dp = n["dst_port"] if "dst_port" in n else n.get("icmp_type", 0) * 256 + n.get("icmp_code", 0)
    return (n["proto"], sa, sp, da, dp, nf_ms(n["first"]))


PROTO = {"tcp": 6, "udp": 17, "icmp": 1, "ipv6-icmp": 58, "sctp": 132}


def ipfix_expected(flows, biflow):
    """What nfdump must show for flows.jsonl: key -> (in pkts, in bytes, out pkts, out bytes, last ms, vlan)."""
    exp = {}
    for f in flows:
        p = PROTO.get(f["proto"]) or int(f["proto"])
        first, last = ms(f["start"]), ms(f["end"])
        # ICMP's echo identifier keys the flow but is exported as no port (docs/outputs.md)
        sp, dp = (0, 0) if p in (1, 58) else (f["src_port"], f["dst_port"])
        fwd = (p, f["src_ip"], sp, f["dst_ip"], dp, first)
        if biflow:
            exp[fwd] = (f["src_packets"], f["src_bytes"], f["dst_packets"], f["dst_bytes"], last, f["vlan"])
        else:
            exp[fwd] = (f["src_packets"], f["src_bytes"], 0, 0, last, f["vlan"])
            if f["dst_packets"]:
                exp[(p, f["dst_ip"], dp, f["src_ip"], sp, first)] = \
                    (f["dst_packets"], f["dst_bytes"], 0, 0, last, f["vlan"])
    return exp


def ipfix_run(cap, biflow):
    label = f"ipfix {'biflow' if biflow else 'per-direction'} {os.path.basename(cap)}"
    port = free_port(socket.SOCK_DGRAM)
    d = tmpdir("nfcapd")
    cfg = config("ipfix", [f'ipfix: {{ enabled: true, collector: "127.0.0.1:{port}", domain_id: 7, '
                           f'biflow: {"true" if biflow else "false"} }}'])
    # a 4 MiB socket buffer (up to net.core.rmem_max): under the suite's parallel load nfcapd
    # was once kept off the CPU while the kernel dropped half the datagrams of a replay's end
    with Proc(["nfcapd", "-w", d, "-p", str(port), "-b", "127.0.0.1", "-B", "4194304"], cwd=d) as nf:
        if not check(until(lambda: udp_bound(port)), f"{label}: nfcapd listens"):
            return
        r, out, _ = run_replay(cap, cfg, "ipfix-" + os.path.basename(cap))
        # every datagram is sent when the replay returns: nfcapd stops once it has read them all
        # (under the suite's load it once had 60% still unread half a second later)
        check(until(lambda: udp_unread(port) == 0, 30), f"{label}: nfcapd reads every datagram")
        kernel_drops = udp_socket(port)[1]
        time.sleep(0.2)
    flows = jsonl(os.path.join(out, "flows.jsonl"))
    got = nfdump_flows(d)
    exp = ipfix_expected(flows, biflow)
    have = {}
    for n in got:
        have[nf_key(n)] = (n["in_packets"], n["in_bytes"], n.get("out_packets", 0), n.get("out_bytes", 0),
                           nf_ms(n["last"]), n.get("src_vlan", 0))
    check(len(got) == len(exp), f"{label}: nfdump reads {len(got)} records, flows.jsonl makes {len(exp)} "
          f"(jg-control: {[l for l in r.stderr.splitlines() if 'output ipfix' in l]}; "
          f"datagrams the kernel dropped at nfcapd's socket: {kernel_drops})")
    check(set(have) == set(exp), f"{label}: the same flows (5-tuple and first ms); only in nfdump: "
          f"{sorted(set(have) - set(exp))[:3]}, only in flows.jsonl: {sorted(set(exp) - set(have))[:3]}")
    bad = [(k, have[k], exp[k]) for k in exp if k in have and have[k] != exp[k]]
    check(not bad, f"{label}: same packets, bytes per direction, last ms and VLAN for every flow; differ: {bad[:3]}")
    info = subprocess.run(["nfdump", "-R", d, "-I"], capture_output=True, text=True, timeout=60).stdout
    check(re.search(r"^Sequence failures: 0$", info, re.M) is not None,
          f"{label}: nfcapd saw no sequence failure (sequence numbers count data records)")
    print(f"{label}: {len(flows)} flows, {len(got)} nfdump records, {len(bad)} differences")
    cleanup(d, out)


def ipfix_decode(datagrams):
    """IPFIX messages -> ([{(pen, ie): value}], sequence numbers as expected); by hand, as RFC 7011 says."""
    tpls, recs, seq_ok, count = {}, [], True, 0
    for m in datagrams:
        ver, length, _, seq, _ = struct.unpack_from("!HHIII", m)
        seq_ok &= ver == 10 and length == len(m) and seq == count
        off = 16
        while off + 4 <= len(m):
            sid, slen = struct.unpack_from("!HH", m, off)
            body, p = m[off + 4:off + slen], 0
            if sid == 2:
                while p + 4 <= len(body):
                    tid, n = struct.unpack_from("!HH", body, p)
                    p += 4
                    fields = []
                    for _ in range(n):
                        ie, flen = struct.unpack_from("!HH", body, p)
                        p += 4
                        pen = 0
                        if ie & 0x8000:
                            pen, = struct.unpack_from("!I", body, p)
                            p += 4
                        fields.append((pen, ie & 0x7fff, flen))
                    tpls[tid] = fields
            elif sid in tpls:
                while p < len(body):
                    rec = {}
                    for pen, ie, flen in tpls[sid]:
                        if flen == 0xFFFF:
                            flen, p = body[p], p + 1
                            if flen == 255:
                                flen, p = struct.unpack_from("!H", body, p)[0], p + 2
                        v = body[p:p + flen]
                        p += flen
                        rec[(pen, ie)] = v.decode() if pen == 32473 else int.from_bytes(v, "big") if flen <= 8 else v
                    recs.append(rec)
                    count += 1
            off += slen
    return recs, seq_ok


def ipfix_names():
    """Zones, services and action (Jumpgate's enterprise IEs) as the policy names them, decoded here."""
    pol = os.path.join(work, "names-policy.yaml")
    with open(pol, "w") as f:
        f.write("zones:\n  - { name: admins, prefixes: [10.20.30.7/32] }\n  - { name: servers, prefixes: [10.20.30.40/32] }\n"
                "policy:\n  default: alert\n  rules:\n    - { from: admins, to: servers, service: smb-admin, action: block }\n")
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.bind(("127.0.0.1", 0))
    rx.settimeout(0.5)
    cfg = config("ipfix-names", [f'ipfix: {{ enabled: true, collector: "127.0.0.1:{rx.getsockname()[1]}" }}'])
    t0 = time.time()
    r, out = replay([DEMO_PCAP], out=os.path.join(work, "ipfix-names"), config=cfg, extra=("--policy", pol))
    check(r.returncode == 0, f"ipfix names: replay exit 0 ({r.stderr[-300:]})")
    got = []
    try:
        while True:
            got.append(rx.recv(65535))
    except socket.timeout:
        pass
    rx.close()
    recs, seq_ok = ipfix_decode(got)
    check(seq_ok, "ipfix names: version 10, lengths, sequence numbers counting data records")
    flows = {f["flow_id"]: f for f in jsonl(os.path.join(out, "flows.jsonl"))}
    check(len(recs) == len(flows), f"ipfix names: {len(recs)} records for {len(flows)} flows")
    judged = 0
    for rec in recs:
        f = flows.get(rec.get((0, 148)))
        if not check(f is not None, f"ipfix names: flowId {rec.get((0, 148))} is a flow of flows.jsonl"):
            continue
        names = (rec[(32473, 1)], rec[(32473, 2)], rec[(32473, 3)], rec[(32473, 4)])
        check(names == (f["src_zone"], f["dst_zone"], ",".join(f.get("services", [])), f.get("action", "")),
              f"ipfix names: {names} for flow {f['flow_id']} ({f['src_zone']}, {f['dst_zone']}, "
              f"{f.get('services')}, {f.get('action')})")
        judged += names[:2] == ("admins", "servers") and names[2:] == ("smb-admin", "block")
    check(judged >= 1, "ipfix names: the blocked SMB session carries zones, service and action")
    cleanup(out)


# ---------------------------------------------------------------- dead and dying collectors
def dead_tests():
    cap = ALERT_CAPS[-1]
    r, base, t_base = run_replay(cap, config("none", []), "dead-baseline")
    want = len(lines(os.path.join(base, "events.jsonl")))
    dead_tcp, dead_tcp2, dead_udp = (free_port(socket.SOCK_STREAM), free_port(socket.SOCK_STREAM),
                                     free_port(socket.SOCK_DGRAM))
    # a black hole: a listener whose accept queue is full drops every SYN, so a connect never completes
    hole = socket.socket()
    hole.bind(("127.0.0.1", 0))
    hole.listen(0)
    fillers = [socket.socket() for _ in range(3)]
    for c in fillers:
        c.setblocking(False)
        c.connect_ex(hole.getsockname())
    for tag, tcp1, tcp2 in (("refused", dead_tcp, dead_tcp2), ("black-hole", hole.getsockname()[1],
                                                                hole.getsockname()[1])):
        cfg = config(f"dead-{tag}", [
            f'syslog: {{ enabled: true, server: "127.0.0.1:{tcp1}", transport: tcp, queue: 16 }}',
            f'redis: {{ enabled: true, server: "127.0.0.1:{tcp2}", flows_stream: jg:flows, queue: 16 }}',
            f'ipfix: {{ enabled: true, collector: "127.0.0.1:{dead_udp}", queue: 16 }}'])
        r, out, took = run_replay(cap, cfg, f"dead-{tag}")
        # each output spends 2 s at most at exit on what it still holds
        check(took < t_base + 8, f"dead collectors ({tag}): the replay takes {took:.1f} s (without outputs "
              f"{t_base:.1f} s)")
        print(f"dead collectors ({tag}): replay {took:.1f} s, without outputs {t_base:.1f} s")
        for f in ("events.jsonl", "flows.jsonl"):
            a, b = lines(os.path.join(out, f)), lines(os.path.join(base, f))
            check(sorted(a) == sorted(b), f"dead collectors ({tag}): {f} complete ({len(a)} lines, {len(b)} without "
                  f"outputs; only here: {sorted(set(a) - set(b))[:2]}, only there: {sorted(set(b) - set(a))[:2]})")
        cleanup(out)
    for c in fillers + [hole]:
        c.close()
    cleanup(base)

    # Redis killed under a live run: noticed, retried with back-off, reconnected when it returns
    port = free_port(socket.SOCK_STREAM)
    d = tmpdir("redis-live")
    sock = os.path.join(work, "live.sock")
    cfg = os.path.join(work, "live.yaml")
    with open(cfg, "w") as f:
        f.write(f"""
eal: {{ file_prefix: jg-outputs-{os.getpid()} }}
lcores: {{ main: 0, workers: [1] }}
ports:
  - {{ name: cap, device: "net_pcap0,rx_pcap={cap}" }}
flows: {{ table_size: 65536 }}
control: {{ socket: {sock} }}
output:
  dir: {work}/live
  redis: {{ enabled: true, server: "127.0.0.1:{port}", stream: jg:live }}
detect: {{ patterns: {os.path.join(SRC, "config", "patterns.yaml")} }}
""")
    argv = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--dir", d]
    plain = lambda *a: subprocess.run(["redis-cli", "-p", str(port), *a], capture_output=True, text=True,
                                      timeout=10).stdout.strip()

    def outputs():
        s = subprocess.run([JGCTL, "-s", sock, "stats", "--json"], capture_output=True, text=True, timeout=10)
        if s.returncode != 0:
            return None
        found = []

        def walk(o):
            if isinstance(o, dict):
                if "redis" in o and isinstance(o["redis"], dict) and "reconnects" in o["redis"]:
                    found.append(o["redis"])
                for v in o.values():
                    walk(v)
        walk(json.loads(s.stdout))
        return found[0] if found else None

    rd = Proc(argv)
    try:
        check(until(lambda: plain("PING") == "PONG"), "live: redis-server answers")
        live = Live(cfg)
        with live:
            alerts = until(lambda: int(plain("XLEN", "jg:live") or 0) > 0, 30)
            check(alerts, "live: alerts reach Redis")
            rd.stop(signal.SIGKILL)
            st = until(lambda: (o := outputs()) is not None and not o["connected"] and o, 10)
            check(st, f"live: the control plane notices Redis is gone ({st})")
            t0 = time.time()
            s = jgctl_status(sock)
            check(s is not None and time.time() - t0 < 2, "live: the control plane answers while Redis is down")
            rd.start()
            st = until(lambda: (o := outputs()) is not None and o["connected"] and o["reconnects"] >= 2 and o, 40)
            check(st, f"live: reconnected to Redis once it is back ({outputs()})")
            print(f"live: Redis killed and restarted: {st}")
            t_stop = time.time()
            rd.stop(signal.SIGKILL)  # and gone again for the stop: the stop must not wait on it
        took = time.time() - t_stop
        print(f"live: stopped in {took:.1f} s with Redis gone")
        check(live.returncode == 0 and took < 15, f"live: stops in {took:.1f} s, exit {live.returncode} "
              f"({live.output[-300:]})")
        got = lines(os.path.join(work, "live", "events.jsonl")) if os.path.exists(
            os.path.join(work, "live", "events.jsonl")) else []
        check(len(got) == want, f"live: events.jsonl complete ({len(got)} lines, {want} expected)")
    finally:
        rd.stop(signal.SIGKILL)
    cleanup(d)


syslog_tests()
redis_tests()
for cap in FLOW_CAPS:
    ipfix_run(cap, True)
ipfix_run(FLOW_CAPS[0], False)
ipfix_names()
dead_tests()
cleanup(work)
done()
