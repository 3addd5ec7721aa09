"""Helpers for Jumpgate's end-to-end tests: run the real binaries on real packets."""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

SRC = os.environ.get("JG_SRC", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
BUILD = os.environ.get("JG_BUILD", os.path.join(SRC, "build"))
JUMPGATE = os.path.join(BUILD, "jumpgate")
JGCTL = os.path.join(BUILD, "jgctl")
CONFIG = os.path.join(SRC, "tests", "e2e", "replay.yaml")
SHARED = os.path.abspath(os.path.join(SRC, "..", "shared", "pcaps"))
DEMO_PCAP = os.path.join(SRC, "demo", "demo.pcap")
SKIP = 77  # meson's "skipped"

failures = []


def check(cond, what):
    if cond:
        return True
    failures.append(what)
    print("FAIL:", what, file=sys.stderr)
    return False


def done():
    if failures:
        print(f"{len(failures)} checks failed")
        sys.exit(1)
    print("all checks passed")
    sys.exit(0)


def skip(why):
    print("SKIP:", why)
    sys.exit(SKIP)


def need_root_and_hugepages():
    if os.geteuid() != 0:
        skip("needs root (DPDK multi-process needs hugepages)")
    r = subprocess.run([JUMPGATE, "setup"], capture_output=True, text=True)
    if r.returncode != 0:
        skip("hugepages unavailable: " + r.stderr.strip())


def need_shared():
    if not os.path.isdir(SHARED):
        skip(f"{SHARED} is absent (the shared real captures are not on this machine)")


def config_text(path=CONFIG):
    """A test config's text, its relative paths made absolute (for copies written elsewhere)."""
    return open(path).read().replace("../../config/patterns.yaml", os.path.join(SRC, "config", "patterns.yaml"))


def free_port():
    """A TCP port on 127.0.0.1 nobody listens on now."""
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def tmpdir(tag):
    return tempfile.mkdtemp(prefix=f"jg-{tag}-")


def replay(files, out=None, config=CONFIG, timeout=240, extra=(), env=None):
    """Run `jumpgate replay` (env: the whole environment, None for this one's); return (CompletedProcess, out_dir)."""
    out = out or tmpdir("replay")
    r = subprocess.run([JUMPGATE, "replay", "-c", config, "--out", out, *extra, *files],
                       capture_output=True, text=True, timeout=timeout, env=env)
    return r, out


def jsonl(path):
    with open(path) as f:
        return [json.loads(l) for l in f if l.strip()]


def summary(out):
    with open(os.path.join(out, "summary.json")) as f:
        return json.load(f)


def accounted(s):
    """Packets handled plus packets dropped with a reason."""
    c = s["counters"]
    handled = sum(c[k] for k in ("pkt-flow", "pkt-non-ip", "pkt-fragment", "pkt-truncated",
                                 "pkt-malformed", "pkt-flow-table-full"))
    p = s["port"]
    dropped = c["dispatch-ring-full"] + p["imissed"] + p["ierrors"] + p["rx_nombuf"] + s["unread"]
    return handled, dropped


def jgctl_status(sock):
    """`jgctl status --json` from jg-control at sock, None when it does not answer."""
    r = subprocess.run([JGCTL, "-s", sock, "status", "--json"], capture_output=True, text=True, timeout=10)
    return json.loads(r.stdout) if r.returncode == 0 else None


def wait_status(sock, pred, seconds=30):
    """The first status for which pred holds, polling for at most `seconds`; None otherwise."""
    end = time.time() + seconds
    while time.time() < end:
        s = jgctl_status(sock)
        if s is not None and pred(s):
            return s
        time.sleep(0.2)
    return None


class Live:
    """`jumpgate run -c CFG` for the length of a `with` block; SIGTERM at its end, the
    output and exit status kept (`output`, `returncode`). A stop that hangs is killed."""

    def __init__(self, cfg):
        self.started = time.time()
        self.proc = subprocess.Popen([JUMPGATE, "run", "-c", cfg], stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
        self.output, self.returncode = "", None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.output, _ = self.proc.communicate(timeout=90)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.output, _ = self.proc.communicate()
        self.returncode = self.proc.returncode
        return False


class VethNs:
    """A veth pair for the length of a with-block: `host_if` stays here (Jumpgate reads it
    with net_af_packet), `peer_if` lives in a namespace of its own (`ns`) where traffic is
    sent from (tcpreplay). No IPv6 chatter on the link: only what the test sends. Removed
    at the end, whatever happens."""

    def __init__(self, tag):
        self.ns, self.host_if, self.peer_if = f"{tag}ns", f"{tag}a", f"{tag}b"

    @staticmethod
    def sh(*args, check_rc=True):
        r = subprocess.run(list(args), capture_output=True, text=True)
        if check_rc and r.returncode != 0:
            raise RuntimeError(f"{' '.join(args)}: {r.stderr}")
        return r

    def in_ns(self, *args, check_rc=True):
        return self.sh("ip", "netns", "exec", self.ns, *args, check_rc=check_rc)

    def __enter__(self):
        try:
            self.sh("ip", "netns", "add", self.ns)
            self.sh("ip", "link", "add", self.host_if, "type", "veth", "peer", "name", self.peer_if)
            self.sh("ip", "link", "set", self.peer_if, "netns", self.ns)
            self.sh("sysctl", "-qw", f"net.ipv6.conf.{self.host_if}.disable_ipv6=1")
            self.in_ns("sysctl", "-qw", f"net.ipv6.conf.{self.peer_if}.disable_ipv6=1")
            self.sh("ip", "link", "set", self.host_if, "up")
            self.in_ns("ip", "link", "set", self.peer_if, "up")
        except Exception:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc):
        self.sh("ip", "link", "del", self.host_if, check_rc=False)
        self.sh("ip", "netns", "del", self.ns, check_rc=False)
        return False


def need_netns():
    if subprocess.run(["ip", "netns", "list"], capture_output=True).returncode != 0:
        skip("cannot use network namespaces here")
    if subprocess.run(["which", "tcpreplay"], capture_output=True).returncode != 0:
        skip("tcpreplay is not installed")


def capinfos_count(path):
    r = subprocess.run(["capinfos", "-M", "-c", "-T", path], capture_output=True, text=True)
    return int(r.stdout.strip().splitlines()[-1].split("\t")[1])


def tshark_conversations(path, proto):
    """Number of conversations tshark lists for tcp or udp."""
    return len(tshark_conv_table(path, proto))


def tshark_conv_table(path, proto):
    """tshark's conversations as a sorted list of ((endpoint, endpoint), total frames)."""
    r = subprocess.run(["tshark", "-n", "-r", path, "-q", "-z", f"conv,{proto}"],
                       capture_output=True, text=True)
    rows = []
    for line in r.stdout.splitlines():
        if "<->" not in line:
            continue
        left, right = line.split("<->")
        a = left.split()[0]
        t = right.split()
        # B:port, frames bytes unit (<-), frames bytes unit (->), total frames ...
        ea, eb = a.rsplit(":", 1), t[0].rsplit(":", 1)
        rows.append((tuple(sorted([(ea[0], int(ea[1])), (eb[0], int(eb[1]))])), int(t[7])))
    return sorted(rows)


def flow_conv_table(flows, proto):
    """The same view of Jumpgate's flow records."""
    return sorted((tuple(sorted([(f["src_ip"], f["src_port"]), (f["dst_ip"], f["dst_port"])])), f["packets"])
                  for f in flows if f["proto"] == proto)


def cleanup(*dirs):
    for d in dirs:
        shutil.rmtree(d, ignore_errors=True)
