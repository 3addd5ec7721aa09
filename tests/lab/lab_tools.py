"""The clients' tools: Impacket's examples, smbclient and ssh, run inside a host's
namespace with a bounded time, their output and wall-clock window kept."""
import os
import re
import subprocess
import time

from lab_env import IMPACKET, PYTHON
from lab_hosts import DOMAIN, PASSWORD
from lab_net import HOSTS, ip_of

AS_WINDOWS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "as_windows.py")

TOOL_TIMEOUT = 60   # s; Impacket waits for pipes that never come when a service starts
GAP = 0.3           # s of silence before each command, so that time windows cannot overlap


class Run:
    """One command in one namespace: exit status (None on timeout), output, [t0, t1], pid."""

    def __init__(self, net, role, argv, timeout=TOOL_TIMEOUT):
        self.role, self.argv = role, argv
        time.sleep(GAP)
        self.t0 = time.time()
        p = subprocess.Popen(net.cmd(role, *argv), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL, text=True)
        # `ip netns exec` and `sh -c exec` replace themselves: this is the tool's own pid
        self.pid = p.pid
        try:
            self.out, _ = p.communicate(timeout=timeout)
            self.rc = p.returncode
        except subprocess.TimeoutExpired:
            p.kill()
            self.out, _ = p.communicate()
            self.rc = None
        self.t1 = time.time()

    @property
    def seconds(self):
        return self.t1 - self.t0

    def brief(self):
        lines = [l for l in self.out.splitlines() if l.strip() and not l.startswith("Impacket v")]
        return f"exit {self.rc} after {self.seconds:.1f}s: " + " | ".join(lines[-6:])


def impacket(net, role, tool, *args, user, password=PASSWORD, paexec=False, debug=False, server=None, opts=()):
    """Impacket's TOOL.py from role to the target (its address `server`, default the
    target's own), naming the host's workstation in NTLM as Windows does. paexec: PAExec's
    names, made of the tool's own pid and the host's name, as PAExec does (PAExec-<pid>-<host>)."""
    target = f"{DOMAIN}/{user}:{password}@{server or ip_of('srv')}"
    opts = " ".join(f"'{o}'" for o in opts)   # the tool's own options, each one word
    extra = " ".join(args)
    flags = " -debug" if debug else ""
    if paexec:
        host = HOSTS[role][1]
        flags += f" -service-name PAExec-$$-{host} -remote-binary-name PAExec-$$-{host}.exe"
    # a shell that execs the tool: $$ is the tool's pid; the password goes in single quotes
    script = f"exec {PYTHON} {AS_WINDOWS} {HOSTS[role][1]} {IMPACKET}/{tool}.py{flags} {opts} '{target}' {extra}"
    r = Run(net, role, ["sh", "-c", script])
    r.tool = tool
    if paexec:
        r.service = f"PAExec-{r.pid}-{HOSTS[role][1]}"
        r.binary = r.service + ".exe"
    else:
        m = re.search(r"Creating service (\S+) on", r.out)
        r.service = m.group(1) if m else None
        m = re.search(r"Uploading file (\S+)", r.out)
        r.binary = m.group(1) if m else None
    return r


def psexec_steps(out):
    """What psexec achieved, in the order it goes: the lines that say how far it got."""
    keys = ("Requesting shares", "Found writable share", "Uploading file", "Opening SVCManager",
            "Creating service", "Error creating service", "Error performing the installation")
    steps = []
    for line in out.splitlines():
        for k in keys:
            if k in line:
                steps.append(k)
    return steps


def smbclient(net, role, user, commands, share="data", server=None):
    """smbclient from role, its NetBIOS name (the NTLM workstation) the host's."""
    return Run(net, role, ["smbclient", f"//{server or ip_of('srv')}/{share}", "-U", f"{DOMAIN}/{user}%{PASSWORD}",
                           "-n", HOSTS[role][1], "-c", commands], timeout=30)


def file_roundtrip(net, role, user, work, name, size, server=None):
    """smbclient put then get of a file of `size` bytes; (Run, the bytes came back equal)."""
    d = os.path.join(work, f"files-{role}")
    os.makedirs(d, exist_ok=True)
    src, back = os.path.join(d, name), os.path.join(d, name + ".back")
    data = os.urandom(size)
    with open(src, "wb") as f:
        f.write(data)
    r = smbclient(net, role, user, f"put {src} {role}-{name}; get {role}-{name} {back}", server=server)
    same = os.path.exists(back) and open(back, "rb").read() == data
    return r, same
