#!/usr/bin/python3
"""Operator-facing behaviour without traffic: jgctl's exit codes and help, the
dataplane's config check reporting every error at once, launcher usage errors."""
import os
import socket
import subprocess
import threading

from jgtest import *

DATAPLANE = os.path.join(BUILD, "jg-dataplane")


def run(*args, **kw):
    return subprocess.run(list(args), capture_output=True, text=True, timeout=30, **kw)


# jgctl without a server: 4; usage: 2; help: 0
work = tmpdir("cli")
r = run(JGCTL, "-s", f"{work}/none.sock", "status")
check(r.returncode == 4 and "cannot reach jg-control" in r.stderr, f"unreachable -> 4 ({r.returncode})")
check(run(JGCTL).returncode == 2, "no command -> 2")
r = run(JGCTL, "help", "status")
check(r.returncode == 0 and "--json" in r.stdout, "per-command manual")
r = run(JGCTL, "status", "--help")
check(r.returncode == 0 and "jgctl status" in r.stdout, "COMMAND --help")
check(run(JGCTL, "-s", f"{work}/x.sock", "status", "two words").returncode == 2, "whitespace argument refused")


# jgctl against a server speaking another protocol version: 3
def fake_server(path, reply):
    srv = socket.socket(socket.AF_UNIX)
    srv.bind(path)
    srv.listen(1)

    def serve():
        c, _ = srv.accept()
        c.recv(1024)
        c.sendall(reply)
        c.close()
        srv.close()
    t = threading.Thread(target=serve)
    t.start()
    return t


t = fake_server(f"{work}/old.sock", b"JGCTL/0 0 ok\n")
r = run(JGCTL, "-s", f"{work}/old.sock", "status")
t.join()
check(r.returncode == 3, f"protocol mismatch -> 3 ({r.returncode})")
t = fake_server(f"{work}/err.sock", b"JGCTL/1 2 unknown command\n")
r = run(JGCTL, "-s", f"{work}/err.sock", "frobnicate")
t.join()
check(r.returncode == 2 and "unknown command" in r.stderr, "server's code is the exit code")

# every config error at once, with file:line: key, nothing started
bad = f"{work}/bad.yaml"
with open(bad, "w") as f:
    f.write("lcores:\n  workers: [0]\nports:\n  - device: net_null0\n    speed: fast\nflows:\n  table_size: 1000\n")
r = run(DATAPLANE, "-c", bad, "--check")
check(r.returncode == 2, "bad config -> exit 2")
check(f"{bad}:5: ports[0].speed: unknown key" in r.stderr, "unknown key named with its line")
check(f"{bad}:7: flows.table_size: 1000: out of range" in r.stderr, "range error named with its line")
check(f"{bad}:2: lcores.workers: 0: is also lcores.main" in r.stderr, "cross-key error named with its line")
r = run(DATAPLANE, "-c", CONFIG, "--check")
check(r.returncode == 0, "the test config is valid")
r = run(DATAPLANE, "-c", os.path.join(SRC, "config", "jumpgate.yaml"), "--check")
check(r.returncode == 0, "the default config is valid")

# launcher usage
check(run(JUMPGATE).returncode == 2, "jumpgate without a command -> 2")
check(run(JUMPGATE, "replay", "-c", CONFIG).returncode == 2, "replay without a capture -> 2")
r = run(JUMPGATE, "replay", "-c", CONFIG, "--out", work, "/nonexistent.pcap")
check(r.returncode == 1 and "/nonexistent.pcap" in r.stderr, "missing capture named")
with open(f"{work}/junk.pcap", "wb") as f:
    f.write(b"this is not a capture at all")
r = run(JUMPGATE, "replay", "-c", CONFIG, "--out", work, f"{work}/junk.pcap")
check(r.returncode == 1 and "junk.pcap" in r.stderr, "unreadable capture refused with its name")
cleanup(work)
done()
