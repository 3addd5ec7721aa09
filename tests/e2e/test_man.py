#!/usr/bin/python3
"""The manual pages: each is built (scdoc) and renders without a warning; jgctl's help of
every command its usage lists is that command's section of jgctl(1) (made from one source);
jumpgate.yaml(5) lists every key of docs/configuration.md's table."""
import os
import re
import subprocess

from jgtest import *

PAGES = ["jgctl.1", "jumpgate.1", "jg-dataplane.8", "jg-control.8", "jumpgate-policy.5", "jumpgate.yaml.5"]
env = dict(os.environ, MANWIDTH="2000", LC_ALL="C.UTF-8")


def render(page):
    r = subprocess.run(["man", "--nh", "--nj", "--warnings", "-l", os.path.join(BUILD, page)], capture_output=True, text=True, env=env)
    return r.returncode, r.stdout, r.stderr


def words(text):
    return " ".join(text.replace("\u2010", "-").split())


rendered = {}
for page in PAGES:
    if not check(os.path.exists(os.path.join(BUILD, page)), f"{page} built (scdoc: scripts/bootstrap installs it)"):
        continue
    rc, out, err = render(page)
    rendered[page] = out
    check(rc == 0 and not err.strip() and "NAME" in out, f"{page} renders without a warning {err.strip()[:300]}")

usage = subprocess.run([JGCTL, "--help"], capture_output=True, text=True).stdout
cmds = re.findall(r"^  (\w+)(?: top)?\s{2,}", usage.split("commands:")[1], re.M) if "commands:" in usage else []
cmds = [c for c in cmds if c != "help"]
check(len(cmds) >= 10, f"jgctl --help lists its commands ({cmds})")
man = words(rendered.get("jgctl.1", ""))
for c in cmds:
    r = subprocess.run([JGCTL, "help", c], capture_output=True, text=True)
    body = [l for l in r.stdout.splitlines() if l.strip()]
    check(r.returncode == 0 and len(body) >= 2, f"jgctl help {c}")
    # every sentence of the help is in the manual page, as man wraps it
    check(all(words(l) in man for l in body[1:] if len(l.split()) >= 3 and not l.startswith("  ")) or
          words(" ".join(body[1:])) in man, f"jgctl help {c} is what jgctl(1) says")
keys = re.findall(r"^\| `([^`]+)` \|", open(os.path.join(SRC, "docs", "configuration.md")).read(), re.M)
conf = rendered.get("jumpgate.yaml.5", "")
missing = [k for k in keys if k not in conf]
check(len(keys) > 50 and not missing, f"jumpgate.yaml(5) has every key of docs/configuration.md (missing {missing})")
done()
