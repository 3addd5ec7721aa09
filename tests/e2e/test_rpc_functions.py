#!/usr/bin/python3
"""MITRE BZAR parity on real captures: the DCE-RPC functions a lateral movement or
its preparation calls are rpc_call events with the function, the ATT&CK technique and
the tactic, through `jumpgate replay` (real processes). The captures are public ones in
../shared (EXPECTED.tsv can only say what must not be reported of them; this says what
must). Also: discovery is low severity, never judged by the zone policy, and
`detect.rpc_discovery: false` silences it."""
import os

from jgtest import *

need_root_and_hugepages()
need_shared()
PC = SHARED

# capture -> (interface, function, technique, tactic, how the interface was known)
CASES = {
    "pcap-attack/DCSync_krbtgt_dcerpc_smb.pcapng":
        ("drsuapi", "DRSGetNCChanges", "T1003.006", "credential-access", "call-sequence"),
    "pcap-attack/DCShadow_add_primarygroupid_512_to_std_account.pcapng":
        ("drsuapi", "DRSReplicaAdd", "T1207", "defense-evasion", None),
    "pcap-attack/DE_byt3bl33d3r_remote_eventservice_crash.pcapng":
        ("eventlog", "ElfrClearELFW", "T1070.001", "defense-evasion", None),
    "elcabezzonn/attempt-spools-vuln-cve-2021-1675.pcap":
        ("spoolss", "RpcAddPrinterDriverEx", "T1068", "privilege-escalation", None),
    "pcap-attack/CA_LM_SpoolSample_SMB_BiAuth.pcapng":
        ("spoolss", "RpcRemoteFindFirstPrinterChangeNotificationEx", "T1187", "credential-access", None),
    "pcap-attack/Discovery_PsLoggedOn_remotelocalusers_enum_winreg_lsarpc_dcerpc_smb.pcapng":
        ("winreg", "BaseRegEnumKey", "T1033", "discovery", None),
}


def events_of(files, config=CONFIG):
    r, out = replay(files, config=config)
    check(r.returncode == 0, f"replay: exit {r.returncode} {r.stderr[-300:]}")
    evs = jsonl(os.path.join(out, "events.jsonl"))
    cleanup(out)
    return evs


files = [os.path.join(PC, f) for f in CASES]
evs = events_of(files)
for name, (iface, fn, tech, tactic, inferred) in CASES.items():
    got = [e for e in evs if e["event"] == "rpc_call" and e.get("rpc_function") == fn]
    check(len(got) >= 1, f"{name}: an rpc_call event for {fn}")
    for e in got:
        check(e.get("rpc_interface") == iface and e.get("technique") == tech and e.get("tactic") == tactic,
              f"{name}: {fn} is {iface}, {tech}, {tactic}: {e}")
        if inferred:
            check(e.get("interface_from") == inferred, f"{name}: interface known from the {inferred}")
        check(e.get("severity") == ("low" if tactic == "discovery" else "high"), f"{name}: severity")

# Everything not discovery is judged (alert under the default policy); discovery never is
judged = [e for e in evs if e["event"] == "rpc_call" and e.get("severity") == "high"]
check(judged and all(e.get("action") == "alert" for e in judged), "credential access, evasion, drivers: judged")
low = [e for e in evs if e["event"] == "rpc_call" and e.get("severity") == "low"]
check(low and not any("action" in e for e in low), "discovery: reported, not judged")
zv = [e for e in evs if e["event"] == "zone_violation" and e.get("rpc_function")]
check({e["rpc_function"] for e in zv} >= {"DRSGetNCChanges", "ElfrClearELFW", "RpcAddPrinterDriverEx"},
      "zone violations name the function")
check(all(e.get("technique") for e in evs if e["event"] not in ("evasion", "inspection_cut")),
      "every detection event names its technique")

# detect.rpc_discovery: false
cfg = os.path.join(tmpdir("rpcdisc"), "quiet.yaml")
with open(cfg, "w") as f:
    f.write(config_text().replace("detect:\n", "detect:\n  rpc_discovery: false\n", 1))
quiet = events_of(files, config=cfg)
check(not [e for e in quiet if e.get("severity") == "low"], "rpc_discovery: false: no discovery events")
check([e for e in quiet if e.get("rpc_function") == "DRSGetNCChanges"], "rpc_discovery: false keeps the rest")
done()
