#!/usr/bin/python3
"""Every real capture in ../shared/pcaps, replayed once:
- `jumpgate replay` exits 0 and every packet is accounted for (handled, or dropped with a
  reason: none expected here);
- the TCP and UDP flows are tshark's conversations: same endpoints, same packet counts
  (long-timeouts.yaml: tshark never ends a conversation for idleness, Jumpgate's default
  timeouts do; docs/flows.md);
- the events meet EXPECTED.tsv (every `must` condition holds, no `mustnot` one does),
  and by MANIFEST.tsv category: the benign (H, J) and recon-only (G) captures yield no
  service install and no artifact of a known tool; every event is well formed."""
import concurrent.futures
import csv
import glob
import os
import re

from jgtest import *

need_root_and_hugepages()
need_shared()

LONG = os.path.join(SRC, "tests", "e2e", "long-timeouts.yaml")
EVENTS = {"admin_session", "tool_artifact", "service_install", "service_change", "task_create", "wmi_exec",
          "winrm_session", "rdp_session", "logon_failure", "zone_violation", "inspection_cut", "rpc_call"}
TOOLS = {"paexec", "psexec", "impacket-psexec", "remcom", "winexe", "smbexec", "crackmapexec",
         "metasploit-psexec", "atexec", "wmiexec", "dcomexec", "cobalt-strike", "sharpmove", "scshell", "csexec",
         "unknown"}
TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


def load_expected():
    """EXPECTED.tsv: file -> (must conditions, mustnot conditions); a condition is {key: [alternatives]}."""
    def conds(field):
        out = []
        for c in field.split(";"):
            if c.strip():
                out.append({k.strip(): v.split("|") for k, _, v in (p.partition("=") for p in c.split(","))})
        return out
    exp = {}
    for line in open(os.path.join(SHARED, "EXPECTED.tsv")):
        if line.strip() and not line.startswith("#"):
            f, must, mustnot = (line.rstrip("\n").split("\t") + ["", ""])[:3]
            exp[f] = (conds(must), conds(mustnot))
    return exp


def categories():
    cat = {}
    with open(os.path.join(SHARED, "MANIFEST.tsv")) as f:
        for row in csv.DictReader(f, delimiter="\t"):
            cat[row["short_path"]] = row["category"][:1]
    return cat


def matches(ev, cond):
    return all(k in ev and any(str(ev[k]).lower() == a.lower() for a in alts) for k, alts in cond.items())


def check_events(rel, events, expected, category):
    errs = []
    for ev in events:
        if ev.get("event") not in EVENTS or ev.get("tool") not in TOOLS or not TS.match(ev.get("timestamp", "")):
            errs.append(f"{rel}: malformed event {ev}")
            break
        for k in ("src_ip", "src_port", "dst_ip", "dst_port", "flow_id"):
            if k not in ev:
                errs.append(f"{rel}: event without {k}")
    must, mustnot = expected.get(rel, ([], []))
    errs += [f"{rel}: no event with {c}" for c in must if not any(matches(e, c) for e in events)]
    errs += [f"{rel}: unwanted event {c}" for c in mustnot if any(matches(e, c) for e in events)]
    if category in ("G", "H", "J"):
        bad = [e for e in events if e["event"] == "service_install" or
               (e["event"] == "tool_artifact" and e["tool"] != "unknown")]
        errs += [f"{rel}: benign/recon capture with {e['event']} {e['tool']}" for e in bad[:2]]
    return errs



def one(path):
    rel = os.path.relpath(path, SHARED)
    out = tmpdir("shared")
    try:
        r, _ = replay([path], out=out, config=LONG)
        if r.returncode != 0:
            return [f"{rel}: exit {r.returncode}: {r.stderr[-300:]}"]
        s = summary(out)
        handled, dropped = accounted(s)
        n = capinfos_count(path)
        errs = []
        if s["input_packets"] != n:
            errs.append(f"{rel}: input {s['input_packets']} != capinfos {n}")
        if handled + dropped != n or dropped:
            errs.append(f"{rel}: {handled} handled + {dropped} dropped != {n}")
        flows = jsonl(os.path.join(out, "flows.jsonl"))
        if sum(f["packets"] for f in flows) != s["counters"]["pkt-flow"]:
            errs.append(f"{rel}: flow packets do not add up to pkt-flow")
        errs += check_events(rel, jsonl(os.path.join(out, "events.jsonl")), EXPECTED, CATEGORY.get(rel, ""))
        for proto in ("tcp", "udp"):
            want, got = tshark_conv_table(path, proto), flow_conv_table(flows, proto)
            if got != want:
                extra = [x for x in got if x not in want][:3]
                missing = [x for x in want if x not in got][:3]
                errs.append(f"{rel}: {proto}: {len(got)} flows vs {len(want)} conversations; "
                            f"only Jumpgate: {extra}; only tshark: {missing}")
        return errs
    finally:
        cleanup(out)


EXPECTED = load_expected()
CATEGORY = categories()
files = sorted(glob.glob(f"{SHARED}/**/*.pcap*", recursive=True) + glob.glob(f"{SHARED}/**/*.cap", recursive=True))
check(len(files) > 100, f"found {len(files)} captures")
check(len(EXPECTED) == len(files), f"EXPECTED.tsv covers every capture ({len(EXPECTED)} of {len(files)})")
with concurrent.futures.ThreadPoolExecutor(max_workers=2) as ex:
    for path, errs in zip(files, ex.map(one, files)):
        for e in errs:
            check(False, e)
print(f"{len(files)} captures replayed")
done()
