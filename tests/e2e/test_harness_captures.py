#!/usr/bin/python3
"""The per-packet code (jg-harness: parsing, flows, streams, SMB/DCE-RPC parsers,
Hyperscan, events) over every capture the project owns and every one in
../shared/pcaps. In the sanitizer build (build-asan, ASan+UBSan) any memory error or
undefined behaviour aborts the harness and fails this test."""
import glob
import os
import subprocess

from jgtest import *

harness = os.path.join(BUILD, "tests", "jg-harness")
patterns = os.path.join(SRC, "config", "patterns.yaml")
files = [DEMO_PCAP, os.path.join(SRC, "tests", "lab", "paexec.pcap")]
if os.path.isdir(SHARED):
    files += sorted(glob.glob(f"{SHARED}/**/*.pcap*", recursive=True) + glob.glob(f"{SHARED}/**/*.cap", recursive=True))
else:
    print("note: shared captures absent; only the project's own")
env = dict(os.environ, UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1", ASAN_OPTIONS="detect_leaks=1")
for f in files:
    r = subprocess.run([harness, patterns, f], capture_output=True, text=True, env=env, timeout=300)
    check(r.returncode == 0, f"{os.path.basename(f)}: exit {r.returncode}: {r.stderr[-1500:]}")
    check("runtime error" not in r.stderr and "Sanitizer" not in r.stderr, f"{os.path.basename(f)}: sanitizer report")
print(f"{len(files)} captures through jg-harness")
done()
