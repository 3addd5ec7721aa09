"""The lab's ground: commands, preconditions (skip with 77), Debian packages, PASS/FAIL bookkeeping."""
import os
import shutil
import subprocess
import sys
import time

SRC = os.environ.get("JG_SRC", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
BUILD = os.environ.get("JG_BUILD", os.path.join(SRC, "build"))
JUMPGATE = os.path.join(BUILD, "jumpgate")
JGCTL = os.path.join(BUILD, "jgctl")
SHARED_PCAPS = os.path.abspath(os.path.join(SRC, "..", "shared", "pcaps"))
IMPACKET = "/usr/share/doc/python3-impacket/examples"
PYTHON = "/usr/bin/python3"  # Debian's, which sees python3-impacket
SKIP = 77

# Debian 12 package -> a file that shows it is usable (installed only when missing)
PACKAGES = {
    "samba": "/usr/sbin/smbd",
    "samba-vfs-modules": None,      # vfs_recycle: psexec's upload stays on disk after its clean-up
    "smbclient": "/usr/bin/smbclient",
    "python3-impacket": IMPACKET + "/psexec.py",
    "openssh-server": "/usr/sbin/sshd",
    "openssh-client": "/usr/bin/ssh",
    "tcpreplay": "/usr/bin/tcpreplay",
    "iproute2": "/usr/sbin/tc",
    "ethtool": "/usr/sbin/ethtool",
    "nftables": "/usr/sbin/nft",    # the hostile path's corruption (scenario 6)
}
# system services those packages start on install; the lab runs its own instances
SERVICES = {"samba": ["smbd", "nmbd", "samba-ad-dc"], "openssh-server": ["ssh"]}


def log(msg):
    print(f"[lab] {msg}", flush=True)


def skip(why):
    print(f"SKIP: lab: {why}", flush=True)
    sys.exit(SKIP)


def sh(*args, check=True, timeout=60, input=None):
    """Run a command; its CompletedProcess (text). A failure raises with its stderr."""
    r = subprocess.run(list(args), capture_output=True, text=True, timeout=timeout, input=input)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}: exit {r.returncode}: {r.stderr.strip() or r.stdout.strip()}")
    return r


def preconditions():
    """Skip (77) when the lab cannot run here: not root, no network namespaces, no hugepages."""
    if os.geteuid() != 0:
        skip("needs root (network namespaces, smbd, hugepages); run: sudo tests/lab/run")
    if shutil.which("ip") is None:
        skip("ip (iproute2) is missing")
    # a namespace that is created and removed at once: the cheapest proof that we may
    name = f"jglprobe{os.getpid()}"
    r = subprocess.run(["ip", "netns", "add", name], capture_output=True, text=True)
    if r.returncode != 0:
        skip(f"cannot create network namespaces: {r.stderr.strip()}")
    subprocess.run(["ip", "netns", "del", name], capture_output=True)
    if not (os.access(JUMPGATE, os.X_OK) and os.access(JGCTL, os.X_OK)):
        print(f"FAIL: lab: {JUMPGATE} or {JGCTL} is missing: build first (ninja -C build)", flush=True)
        sys.exit(1)
    r = subprocess.run([JUMPGATE, "setup"], capture_output=True, text=True)
    if r.returncode != 0:
        skip("hugepages unavailable: " + (r.stderr.strip() or r.stdout.strip()))


def _installed(pkg):
    r = subprocess.run(["dpkg-query", "-W", "-f=${Status}", pkg], capture_output=True, text=True)
    return "install ok installed" in r.stdout


def install_packages():
    """apt-get what is missing; services that come with them are stopped and disabled."""
    missing = [p for p, f in PACKAGES.items() if not _installed(p) or (f and not os.path.exists(f))]
    if missing:
        _apt_install(missing)
    absent = [f for f in PACKAGES.values() if f and not os.path.exists(f)]
    if absent:  # e.g. an image whose dpkg excludes /usr/share/doc, where Impacket's examples live
        raise RuntimeError("installed, yet missing: " + ", ".join(absent))


def _apt_install(missing):
    log("installing: " + " ".join(missing))
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    t = time.time()
    subprocess.run(["apt-get", "update", "-qq"], env=env, check=True, timeout=600)
    subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing], env=env,
                   check=True, timeout=900, stdout=subprocess.DEVNULL)
    log(f"installed in {time.time() - t:.0f} s")
    if os.path.isdir("/run/systemd/system"):
        for p in missing:
            for svc in SERVICES.get(p, []):
                subprocess.run(["systemctl", "disable", "--now", svc], capture_output=True)


class Results:
    """PASS/FAIL lines as they come, a summary at the end."""

    def __init__(self):
        self.rows = []  # (scenario, ok, what)
        self.scenario = "setup"

    def begin(self, name):
        self.scenario = name
        print(f"\n=== {name}", flush=True)

    def check(self, cond, what, detail=""):
        ok = bool(cond)
        self.rows.append((self.scenario, ok, what))
        line = f"{'PASS' if ok else 'FAIL'}: {what}"
        if not ok and detail:
            line += f"  [{detail}]"
        print(line, flush=True)
        return ok

    def note(self, what):
        print(f"NOTE: {what}", flush=True)

    def summary(self):
        print("\n=== summary", flush=True)
        names = []
        for s, _, _ in self.rows:
            if s not in names:
                names.append(s)
        for s in names:
            rows = [r for r in self.rows if r[0] == s]
            bad = [r for r in rows if not r[1]]
            print(f"{'FAIL' if bad else 'PASS'}  {s}: {len(rows) - len(bad)}/{len(rows)} checks", flush=True)
        failed = sum(1 for r in self.rows if not r[1])
        print(f"lab: {len(self.rows) - failed} passed, {failed} failed", flush=True)
        return failed == 0
