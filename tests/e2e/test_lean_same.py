#!/usr/bin/python3
"""The lean way changes nothing but the speed. The same captures, replayed three ways:
- as shipped (the common packet the lean way, eight frames at a time where AVX2 runs);
- JG_SCALAR=1 (the lean way one frame at a time);
- JG_LEAN=0 (every packet the general way: parsed whole, looked up, judged, inspected);
give byte-identical events.jsonl and flows.jsonl and the same worker counters (under one
hash seed, printed: the order flows leave the table at the end follows its layout; every
event its own alert, alerts.window 0: repeats folded by the control plane's clock would
not be). The
captures: the generator's mixes (TCP and UDP of many flows, SMB copies with PAExec among
them; untagged, and tagged as a trunk's mirror) and, where ../shared is present, every real capture there in one replay."""
import glob
import os
import subprocess

from jgtest import *

need_root_and_hugepages()

work = tmpdir("lean-same")
cfg = os.path.join(work, "raw.yaml")
with open(cfg, "w") as f:
    f.write(config_text() + "\nalerts:\n  window: 0\n")
BENCH = os.path.join(BUILD, "jg-bench")
caps = []
for name, args in (("imix", ["--profile", "imix", "--flows", "3000", "--packets", "60000"]),
                   ("smb", ["--profile", "smb", "--flows", "16", "--packets", "20000", "--admin-every", "50"]),
                   ("udp", ["--profile", "udp64", "--flows", "500", "--packets", "20000"]),
                   ("trunk", ["--profile", "imix", "--flows", "2000", "--packets", "40000", "--vlan", "42"]),
                   ("trunk-smb", ["--profile", "smb", "--flows", "8", "--packets", "10000", "--admin-every", "50",
                                  "--vlan", "7"])):
    path = os.path.join(work, name + ".pcap")
    r = subprocess.run([BENCH, *args, "--write-pcap", path], capture_output=True, text=True, timeout=120)
    if check(r.returncode == 0 and os.path.exists(path), f"jg-bench --write-pcap {name}: {r.stderr[-300:]}"):
        caps.append([path])
shared = sorted(glob.glob(os.path.join(SHARED, "**", "*.pcap*"), recursive=True))
if shared:
    caps.append(shared)
else:
    skip("../shared/pcaps absent: generated captures only")

SEED = "0x%016x" % int.from_bytes(os.urandom(8), "little")
print(f"hash seed {SEED} (JG_HASH_SEED)")
WAYS = (("lanes", {}), ("one-frame", {"JG_SCALAR": "1"}), ("general", {"JG_LEAN": "0"}))


def run(files, env_add, out):
    env = dict(os.environ)
    env.pop("JG_SCALAR", None)
    env.pop("JG_LEAN", None)
    env.update(env_add, JG_HASH_SEED=SEED)
    return replay(files, out=out, config=cfg, timeout=600, env=env)[0]


for i, files in enumerate(caps):
    what = os.path.basename(files[0]) if len(files) == 1 else f"{len(files)} shared captures"
    outs = {}
    for way, env_add in WAYS:
        out = os.path.join(work, f"{i}-{way}")
        r = run(files, env_add, out)
        if not check(r.returncode == 0, f"{what} ({way}): replay exits 0: {r.stderr[-400:]}"):
            continue
        s = summary(out)
        outs[way] = {
            "events": open(os.path.join(out, "events.jsonl"), "rb").read(),
            "flows": open(os.path.join(out, "flows.jsonl"), "rb").read(),
            "counters": s["counters"],
        }
    if len(outs) != len(WAYS):
        continue
    base = outs["general"]
    check(base["counters"]["pkt-flow"] > 0 and base["flows"], f"{what}: flows were seen")
    for way in ("lanes", "one-frame"):
        o = outs[way]
        check(o["events"] == base["events"],
              f"{what}: events.jsonl the {way} way is the general way's ({len(o['events'])} against {len(base['events'])} bytes)")
        check(o["flows"] == base["flows"],
              f"{what}: flows.jsonl the {way} way is the general way's ({len(o['flows'])} against {len(base['flows'])} bytes)")
        diff = {k: (o["counters"].get(k), v) for k, v in base["counters"].items() if o["counters"].get(k) != v}
        check(not diff, f"{what}: counters the {way} way differ from the general way's: {diff}")
    print(f"{what}: {base['counters']['pkt-flow']} packets in flows, {len(base['events'].splitlines())} events, "
          f"{len(base['flows'].splitlines())} flow records: the same three ways")

cleanup(work)
done()
