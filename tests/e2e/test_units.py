#!/usr/bin/python3
"""The service files: the systemd unit meson generates passes `systemd-analyze verify`
(with the build's binaries where the installed ones would be; a unit naming a missing
binary is refused, so the check can fail), and names `jumpgate setup`, `jumpgate run`,
`jgctl reload` and the runtime, log and state directories; the logrotate file rotates the
.jsonl files of a directory and runs its postrotate (here a stand-in for the SIGHUP)."""
import os
import re
import shutil
import subprocess

from jgtest import *

work = tmpdir("units")
unit = os.path.join(BUILD, "jumpgate.service")
check(os.path.exists(unit), "meson generated jumpgate.service")
text = open(unit).read() if os.path.exists(unit) else ""
m = re.search(r"^ExecStart=(\S+)/jumpgate run", text, re.M)
bindir = m.group(1) if m else None
check(bindir is not None and "@" not in text, f"the unit names the installed binaries ({bindir})")
for want in ("ExecStartPre=+%s/jumpgate setup" % bindir, "ExecReload=%s/jgctl reload" % bindir,
             "RuntimeDirectory=jumpgate", "LogsDirectory=jumpgate", "StateDirectory=jumpgate", "Restart=on-failure",
             "WantedBy=multi-user.target"):
    check(want in text, f"the unit says {want}")


def verify(body, name):
    path = os.path.join(work, name)
    with open(path, "w") as f:
        f.write(body)
    return subprocess.run(["systemd-analyze", "verify", path], capture_output=True, text=True, timeout=60)


if shutil.which("systemd-analyze") is None:
    check(False, "systemd-analyze is installed (scripts/bootstrap installs systemd)")
elif bindir:
    here = text.replace(bindir + "/", BUILD + "/")
    r = verify(here, "jumpgate.service")
    check(r.returncode == 0 and not r.stderr.strip(), f"systemd-analyze verify: clean ({r.returncode} {r.stderr.strip()})")
    r = verify(here.replace(BUILD + "/jgctl", BUILD + "/no-such-jgctl"), "broken.service")
    check(r.returncode != 0 and "no-such-jgctl" in r.stderr, "systemd-analyze verify refuses a unit naming a missing binary")

rot = open(os.path.join(SRC, "packaging", "jumpgate.logrotate")).read()
logs = os.path.join(work, "log")
os.makedirs(logs)
for name in ("events.jsonl", "flows.jsonl"):
    with open(os.path.join(logs, name), "w") as f:
        f.write('{"event":"x"}\n')
hup = os.path.join(work, "hupped")
check("/var/log/jumpgate/*.jsonl" in rot and "HUP" in rot, "logrotate: the .jsonl files, then SIGHUP")
conf = os.path.join(work, "logrotate.conf")
with open(conf, "w") as f:
    # the test's own directory, and a stand-in for the signal (no jumpgate of this machine is touched)
    f.write(re.sub(r"(postrotate\n).*?(\n\s*endscript)", rf"\1        touch {hup}\2",
                   rot.replace("/var/log/jumpgate", logs), flags=re.S))
os.chmod(work, 0o755)
if shutil.which("logrotate") is None:
    check(False, "logrotate is installed (scripts/bootstrap installs it)")
else:
    r = subprocess.run(["logrotate", "-f", "-s", os.path.join(work, "state"), conf], capture_output=True, text=True,
                       timeout=60)
    check(r.returncode == 0, f"logrotate ran ({r.stderr.strip()[:300]})")
    check(all(os.path.exists(os.path.join(logs, n + ".1")) for n in ("events.jsonl", "flows.jsonl")),
          f"both files rotated ({sorted(os.listdir(logs))})")
    check(os.path.exists(hup), "postrotate ran (the SIGHUP that makes jg-control reopen)")
cleanup(work)
done()
