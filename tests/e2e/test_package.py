#!/usr/bin/python3
"""The Debian package, installed into a clean Debian 12 root (debootstrap minbase, cached in
/var/cache/jumpgate-test; apt fetches the dependencies from Debian's archive):
`scripts/bootstrap package` builds it; apt installs it; `jumpgate demo` runs from the installed
paths (the installed config, patterns and capture) and finds the PAExec attack; the jumpgate
group, the state and log directories, the manual pages and the unit are there, the unit not
enabled; an upgrade over an edited conffile keeps the operator's edit (the package's new one
beside it as .dpkg-dist); purge removes the binaries, the configuration, the state and logs."""
import glob
import os
import shutil
import subprocess
import tempfile

from jgtest import *

need_root_and_hugepages()
if shutil.which("debootstrap") is None or shutil.which("dpkg-buildpackage") is None:
    check(False, "debootstrap and dpkg-buildpackage (scripts/bootstrap installs them)")
    done()
CACHE = "/var/cache/jumpgate-test/bookworm"
MIRROR = "http://deb.debian.org/debian"


def sh(*args, timeout=900, **kw):
    return subprocess.run(list(args), capture_output=True, text=True, timeout=timeout, **kw)


r = sh(os.path.join(SRC, "scripts", "bootstrap"), "package", cwd=SRC, timeout=1200)
debs = sorted(glob.glob(os.path.join(SRC, "dist", "jumpgate_*_amd64.deb")), key=os.path.getmtime)
if not check(r.returncode == 0 and debs, f"scripts/bootstrap package builds the .deb\n{r.stdout[-1500:]}{r.stderr[-1500:]}"):
    done()
deb = debs[-1]
if not os.path.isdir(CACHE):
    r = sh("debootstrap", "--variant=minbase", "bookworm", CACHE + ".tmp", MIRROR, timeout=1500)
    if not check(r.returncode == 0, f"debootstrap a clean Debian 12 root: {r.stderr[-800:]}"):
        done()
    os.rename(CACHE + ".tmp", CACHE)

work = tempfile.mkdtemp(prefix="jg-package-", dir="/var/tmp")
root = os.path.join(work, "root")
mounts = []


def mount(*args, target):
    os.makedirs(target, exist_ok=True)
    if sh("mount", *args, target).returncode == 0:
        mounts.append(target)


def chroot(*args, timeout=900):
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "DEBIAN_FRONTEND": "noninteractive", "LC_ALL": "C.UTF-8",
           "HOME": "/root"}
    return subprocess.run(["chroot", root, *args], capture_output=True, text=True, timeout=timeout, env=env)


try:
    check(sh("cp", "-a", CACHE, root).returncode == 0, "a fresh copy of the clean root")
    mount("-t", "proc", "proc", target=os.path.join(root, "proc"))
    mount("--rbind", "/sys", target=os.path.join(root, "sys"))
    mount("--rbind", "/dev", target=os.path.join(root, "dev"))
    mount("-t", "tmpfs", "tmpfs", target=os.path.join(root, "run"))
    shutil.copy("/etc/resolv.conf", os.path.join(root, "etc", "resolv.conf"))
    shutil.copy(deb, os.path.join(root, "tmp", "jumpgate.deb"))
    r = chroot("apt-get", "update", "-q")
    check(r.returncode == 0, f"apt-get update in the root: {r.stderr[-500:]}")
    r = chroot("apt-get", "install", "-y", "-q", "--no-install-recommends", "/tmp/jumpgate.deb", timeout=1500)
    if not check(r.returncode == 0, f"apt installs the package and its dependencies: {r.stdout[-800:]}{r.stderr[-800:]}"):
        raise RuntimeError("not installed")
    for path in ("/usr/bin/jumpgate", "/usr/bin/jg-dataplane", "/usr/bin/jg-control", "/usr/bin/jgctl",
                 "/etc/jumpgate/jumpgate.yaml", "/etc/jumpgate/patterns.yaml", "/etc/logrotate.d/jumpgate",
                 "/usr/lib/systemd/system/jumpgate.service", "/usr/share/man/man1/jgctl.1.gz",
                 "/usr/share/man/man5/jumpgate.yaml.5.gz", "/usr/share/jumpgate/demo.pcap"):
        check(os.path.exists(root + path), f"installed: {path}")
    check(chroot("getent", "group", "jumpgate").returncode == 0, "the jumpgate group exists")
    check(os.path.isdir(root + "/var/lib/jumpgate") and os.path.isdir(root + "/var/log/jumpgate"),
          "/var/lib/jumpgate and /var/log/jumpgate")
    check(not os.path.exists(root + "/etc/systemd/system/multi-user.target.wants/jumpgate.service"),
          "the unit is installed, not enabled (the ports must be named first)")
    r = chroot("jg-dataplane", "-c", "/etc/jumpgate/jumpgate.yaml", "--check")
    check(r.returncode == 0, f"the installed configuration is valid: {r.stdout}{r.stderr}")
    r = chroot("jumpgate", "demo", timeout=300)
    check(r.returncode == 0 and "paexec" in r.stdout.lower(), f"jumpgate demo from the installed paths:\n"
          f"{r.stdout[-1500:]}{r.stderr[-800:]}")
    # upgrade over an edited conffile: a version whose jumpgate.yaml differs too
    with open(root + "/etc/jumpgate/jumpgate.yaml", "a") as f:
        f.write("# the operator's edit, kept\n")
    v2 = os.path.join(work, "v2")
    check(sh("dpkg-deb", "-R", deb, v2).returncode == 0, "unpack the package for a second version")
    ctl = open(os.path.join(v2, "DEBIAN", "control")).read()
    ver = next(l.split(":", 1)[1].strip() for l in ctl.splitlines() if l.startswith("Version:"))
    with open(os.path.join(v2, "DEBIAN", "control"), "w") as f:
        f.write(ctl.replace(f"Version: {ver}", f"Version: {ver}+1"))
    with open(os.path.join(v2, "etc", "jumpgate", "jumpgate.yaml"), "a") as f:
        f.write("# the next version's default\n")
    md5 = sh("md5sum", "etc/jumpgate/jumpgate.yaml", cwd=v2).stdout
    lines = [l for l in open(os.path.join(v2, "DEBIAN", "md5sums")).read().splitlines()
             if not l.endswith(" etc/jumpgate/jumpgate.yaml")]
    with open(os.path.join(v2, "DEBIAN", "md5sums"), "w") as f:
        f.write("\n".join(lines + [md5.strip()]) + "\n")
    check(sh("dpkg-deb", "-b", v2, os.path.join(root, "tmp", "jumpgate-v2.deb")).returncode == 0, "build version 2")
    r = chroot("dpkg", "--force-confold", "-i", "/tmp/jumpgate-v2.deb")
    conf = open(root + "/etc/jumpgate/jumpgate.yaml").read()
    check(r.returncode == 0 and "# the operator's edit, kept" in conf and "the next version's default" not in conf,
          f"upgrade: the operator's jumpgate.yaml kept {r.stdout[-300:]}{r.stderr[-300:]}")
    check("the next version's default" in open(root + "/etc/jumpgate/jumpgate.yaml.dpkg-dist").read()
          if os.path.exists(root + "/etc/jumpgate/jumpgate.yaml.dpkg-dist") else False,
          "the package's new jumpgate.yaml beside it (.dpkg-dist)")
    check(f"{ver}+1" in chroot("dpkg-query", "-W", "-f", "${Version}", "jumpgate").stdout, "version 2 installed")
    r = chroot("dpkg", "--purge", "jumpgate")
    check(r.returncode == 0, f"purge: {r.stderr[-300:]}")
    left = [p for p in ("/usr/bin/jumpgate", "/usr/bin/jg-dataplane", "/etc/jumpgate", "/var/lib/jumpgate",
                        "/var/log/jumpgate", "/usr/lib/systemd/system/jumpgate.service", "/etc/logrotate.d/jumpgate")
            if os.path.exists(root + p)]
    check(not left and chroot("dpkg", "-s", "jumpgate").returncode != 0, f"purged cleanly (left: {left})")
except RuntimeError:
    pass
finally:
    for m in reversed(mounts):
        sh("umount", "-R", "-l", m)
    # never delete through a mount that is still there (/dev, /sys are the host's)
    still = [l.split()[1] for l in open("/proc/self/mounts") if l.split()[1].startswith(work)]
    check(not still, f"every mount of the root undone ({still})")
    if not failures and not still:
        shutil.rmtree(work, ignore_errors=True)
done()
