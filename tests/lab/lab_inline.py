"""Scenario 3, inline: Jumpgate between the clients and the target, the workstation's
remote administration blocked (with TCP resets), the jump host's allowed, file sharing
and ssh flowing. "Gets through" means: does what the same command did without Jumpgate
in the path (the monitor-mode run), since Samba cannot really start services."""
import time

from lab_monitor import ALERTS, remcomsvc_binary, uploaded, within
from lab_net import ip_of
from lab_tools import Run, file_roundtrip, impacket, psexec_steps

BLOCKED_WITHIN = 5   # s: with inline.rst a blocked client fails at once, not at a timeout


def scenario_inline(res, net, jg, target, direct):
    user = target.user
    st0 = jg.stats()
    s0 = st0["total"]
    k0 = sum(net.counters("jg", dev)[0] for dev in ("out0", "in0"))

    # the jump host: allowed, and it gets exactly as far as without Jumpgate
    adm = impacket(net, "adm", "psexec", "cmd.exe", user=user, paexec=True)
    ref = direct.get("adm")
    if ref is not None:
        res.check(adm.rc == ref.rc and psexec_steps(adm.out) == psexec_steps(ref.out),
                  f"adm: psexec through Jumpgate gets as far as without it: exit {adm.rc}, "
                  f"{len(psexec_steps(adm.out))} steps up to CreateServiceW",
                  f"direct: exit {ref.rc} {psexec_steps(ref.out)}; inline: {psexec_steps(adm.out)}")
    res.check(uploaded(target, adm.binary) == remcomsvc_binary(),
              f"adm: {adm.binary} reached the target's ADMIN$ through Jumpgate")
    ev = jg.wait_events(lambda ev: any(e["event"] == "service_install" for e in within(ev, adm, "adm")))
    mine = within(ev, adm, "adm")
    res.check(any(e["event"] == "service_install" and e.get("service_name") == adm.service and
                  e.get("action") == "allow" for e in mine) and not any(e["event"] == "zone_violation" for e in mine),
              f"adm: service_install of {adm.service} seen, action allow, no zone_violation")

    # the workstation: the same command, blocked at the ADMIN$ tree connect, reset at once
    ws = impacket(net, "ws", "psexec", "cmd.exe", user=user, paexec=True, debug=True)
    res.check(ws.rc is not None and ws.seconds < BLOCKED_WITHIN,
              f"ws: psexec ended in {ws.seconds:.1f} s (bounded: {BLOCKED_WITHIN} s)")
    res.check("Uploading file" not in ws.out and "Connection reset" in ws.out,
              "ws: psexec failed at the client: connection reset before any upload", ws.brief())
    res.check(uploaded(target, ws.binary) is None, f"ws: nothing reached ADMIN$ ({ws.binary} absent)")
    ev = jg.wait_events(lambda ev: any(e["event"] == "zone_violation" for e in within(ev, ws, "ws")))
    viol = [e for e in within(ev, ws, "ws") if e["event"] == "zone_violation"]
    res.check(len(viol) == 1 and viol[0].get("action") == "block" and viol[0].get("share") == "ADMIN$" and
              viol[0].get("src_zone") == "workstations" and viol[0].get("dst_zone") == "servers",
              "ws: zone_violation workstations -> servers, share ADMIN$, action block", str(viol))
    res.check(not any(e["event"] in ("tool_artifact", "service_install") for e in within(ev, ws, "ws")),
              "ws: no upload or service install seen after the block")

    # smbexec never touches an admin share: the block falls on its CreateServiceW request
    ref = direct.get("ws-smbexec")
    sx = impacket(net, "ws", "smbexec", user=user, debug=True)
    res.check(sx.rc != 0 and sx.seconds < BLOCKED_WITHIN and "nca_s_op_rng_error" not in sx.out,
              "ws: smbexec fails at the client; its CreateServiceW never reaches Samba", sx.brief())
    if ref is not None:
        res.check("nca_s_op_rng_error" in ref.out, "(without Jumpgate the same smbexec reached Samba's SCM)",
                  ref.brief())
    ev = jg.wait_events(lambda ev: any(e["event"] == "zone_violation" for e in within(ev, sx, "ws")))
    res.check(any(e["event"] == "zone_violation" and e.get("action") == "block" and e.get("tool") == "smbexec"
                  for e in within(ev, sx, "ws")), "ws: smbexec: zone_violation, tool smbexec, action block")

    # what must flow: file sharing from both, ssh from the jump host
    for role in ("ws", "adm"):
        r, same = file_roundtrip(net, role, user, jg.work, "inline.bin", 500000)
        res.check(r.rc == 0 and same, f"{role}: smbclient copy through Jumpgate, both ways, intact ({r.brief()})")
        bad = [e for e in within(jg.events(), r, role) if e["event"] in ALERTS]
        res.check(not bad, f"{role}: no alert for the copy", str(bad))
    r = Run(net, "adm", target.ssh_argv("echo lab-ssh-ok"), timeout=30)
    res.check(r.rc == 0 and "lab-ssh-ok" in r.out, f"adm: ssh with a key through Jumpgate ({r.brief()})")
    time.sleep(0.3)
    ssh = [e for e in within(jg.events(), r, "adm") if e.get("service") == "ssh"]
    res.check(ssh and all(e.get("action") == "allow" for e in ssh), "adm: the ssh session is seen, allowed", str(ssh))
    # blocked on its SYN (ssh is judged by port): the reset must be one SYN-SENT accepts
    r = Run(net, "ws", target.ssh_argv("echo lab-ssh-ok"), timeout=30)
    res.check(r.rc != 0 and r.seconds < BLOCKED_WITHIN and "lab-ssh-ok" not in r.out,
              "ws: ssh (every service from the workstations is blocked) fails at once, reset", r.brief())

    # counters: blocked packets and resets; every other packet forwarded
    s = jg.wait_idle()
    # a late frame (the retransmission of what was blocked) may arrive between the two
    # reads: read again until Jumpgate's count and the kernel's agree, or give up and say so
    for _ in range(20):
        kernel = sum(net.counters("jg", dev)[0] for dev in ("out0", "in0")) - k0
        if sum(p["rx"] for p in s["ports"]) - sum(p["rx"] for p in st0["ports"]) == kernel:
            break
        time.sleep(0.25)
        s = jg.stats()
    t, ports = s["total"], s["ports"]
    res.check(t["pkt-blocked"] > s0["pkt-blocked"], f"jgctl stats: pkt-blocked {t['pkt-blocked']} > 0")
    res.check(t["tx-rst"] - s0["tx-rst"] >= 6, f"jgctl stats: tx-rst {t['tx-rst']} (a reset to each end per block)")
    rx, tx = sum(p["rx"] for p in ports), sum(p["tx"] for p in ports)
    res.check(rx == t["tx"] + t["pkt-blocked"] and tx == t["tx"] + t["tx-rst"],
              f"every packet forwarded or blocked: rx {rx} = forwarded {t['tx']} + blocked {t['pkt-blocked']}; "
              f"tx {tx} = forwarded + resets {t['tx-rst']}")
    res.check(rx - sum(p["rx"] for p in st0["ports"]) == kernel,
              f"Jumpgate read every frame that reached its two interfaces ({kernel})")
    drops = {k: v for k, v in s["drops"].items() if v}
    res.check(not drops, "no packet lost", str(drops))
    rc, lat = jg.ctl("lateral")
    lat = lat if rc == 0 and isinstance(lat, list) else []
    edge = {l["src_ip"]: l for l in lat if l.get("dst_ip") == ip_of("srv")}
    res.check(edge.get(ip_of("ws"), {}).get("verdict") == "block" and edge.get(ip_of("adm"), {}).get("verdict") == "allow",
              "jgctl lateral: workstation -> target blocked, jump host -> target allowed", str(lat))
