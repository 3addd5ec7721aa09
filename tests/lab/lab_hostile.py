"""Scenario 6: the same attacks through a hostile link the kernel makes. A router
namespace (<tag>-rt) is put on one client's cable, between its eth0 and its switch port;
it forwards with a route MTU of 576 towards the switch (the client's PMTU discovery off,
so DF is clear and the router fragments), duplicates segments, corrupts some without
fixing their checksum, and reorders the fragments it sends. The mirror taps the switch
port, behind the router: Jumpgate sees what the target gets, corrupt copies first.

Without sch_netem (some kernels, this lab's VM among them, lack it): duplicates are
`tc ... mirred ingress mirror` back into the router's own port, at random (a classic BPF
filter: `ld rand`); corruption is nftables writing 4 bytes into every Nth data segment
of the flow (a raw `@th` write, which updates no checksum), in the forward chain, before
fragmentation; reordering is an HTB class slower than the other, to which a random
quarter of the fragments go.

In monitor mode Jumpgate reads the mirror through a tap (net_tap) meanwhile: on its
net_af_packet port the kernel would reassemble the fragments first (DPDK joins a
PACKET_FANOUT group with PACKET_FANOUT_FLAG_DEFRAG)."""
import json
import re
import time

from lab_env import sh
from lab_jumpgate import TAP
from lab_monitor import ALERTS, paexec_attack, remcomsvc_binary, uploaded, within
from lab_net import HOSTS, ip_of
from lab_tools import impacket

MTU = 576          # the router's route towards the switch (the link's is 1500): fragments
DUP = 0.10         # share of the client's packets duplicated by the router
CORRUPT_EVERY = 8  # one data segment in this many corrupted (two places in turn)
REORDER = 0.25     # share of the router's packets towards the switch sent through the slow class
SLOW = "100mbit"   # the slow class: late by the fragments queued before it, yet within
                   # Linux's ipfrag_max_dist (64) of their datagram, so the target reassembles
BLOCKED_WITHIN = 5
# the evasion kinds a hostile link explains: a corrupted copy differs from the good one
# (bad-checksum); a datagram and its duplicate share their IP id, and when one of them was
# corrupted and reordering interleaves their fragments, fragments overlap with other bytes
# (ip-overlap-conflict: true of the wire; the target, like Jumpgate, keeps the first copy)
EXPECTED_EVASION = ("bad-checksum", "ip-overlap-conflict")


def rand_filter(share, match, other):
    """Classic BPF for cls_bpf: `ld rand` (SKF_AD_RANDOM), then return match for `share`
    of the packets, other for the rest. (For a classifier: -1 its default class, 0 no
    match, otherwise a class id.)"""
    ld_rand = 0xfffff000 + 56                 # SKF_AD_OFF + SKF_AD_RANDOM
    threshold = int((1 - share) * 2 ** 32)
    return f"4,32 0 0 {ld_rand},53 0 1 {threshold},6 0 0 {match},6 0 0 {other}"


def snmp(net, role):
    """/proc/net/snmp of a namespace as {'Ip': {...}, 'Tcp': {...}, ...}."""
    out, lines = {}, net.run(role, "cat", "/proc/net/snmp").stdout.splitlines()
    for names, values in zip(lines[::2], lines[1::2]):
        k, names = names.split(":", 1)
        out[k] = dict(zip(names.split(), (int(v) for v in values.split(":", 1)[1].split())))
    return out


class HostilePath:
    """Net's role client behind a router namespace that fragments, duplicates, corrupts
    and reorders what the client sends; insert() and remove() (which restores the cable)."""

    def __init__(self, net, role):
        self.net, self.role = net, role
        self.port = f"p-{role}"
        self.others = [r for r in ("adm", "ws", "srv") if r != role]
        self.inserted = False

    def insert(self):
        net, role, port = self.net, self.role, self.port
        net.ns["rt"] = f"{net.tag}-rt"
        sh("ip", "netns", "add", net.ns["rt"])
        net.created.append(net.ns["rt"])
        self.inserted = True
        net.link("rt", "set", "lo", "up")
        net._quiet("rt")
        # the client's cable moves to the router (r-host); a new one joins router and switch
        if net.mode == "monitor":
            net.run("sw", "tc", "qdisc", "del", "dev", port, "clsact")
        net.link("sw", "set", port, "nomaster", "down")
        net.link("sw", "set", port, "netns", net.ns["rt"])
        net.link("rt", "set", port, "name", "r-host")
        net._veth("sw", port, "rt", "r-up")
        net.link("sw", "set", port, "master", "br0", "up")
        if net.mode == "monitor":
            net.mirror_port(port)     # the mirror taps the switch port: behind the router
        for dev in ("r-host", "r-up"):
            net.link("rt", "set", dev, "up")
        net.run("rt", "sysctl", "-qw", "net.ipv4.ip_forward=1", "net.ipv4.conf.all.rp_filter=0",
                "net.ipv4.conf.default.rp_filter=0", "net.ipv4.conf.r-host.rp_filter=0",
                "net.ipv4.conf.r-up.rp_filter=0", "net.ipv4.conf.all.send_redirects=0")
        # no addresses on the router: routes by device, static neighbours, as everywhere here
        net.run("rt", "ip", "route", "add", f"{ip_of(role)}/32", "dev", "r-host")
        net.run("rt", "ip", "route", "add", "10.77.0.0/16", "dev", "r-up", "mtu", "lock", str(MTU))
        net.run("rt", "ip", "neigh", "replace", ip_of(role), "lladdr", net.mac(role), "dev", "r-host",
                "nud", "permanent")
        for o in self.others:
            net.run("rt", "ip", "neigh", "replace", ip_of(o), "lladdr", net.mac(o), "dev", "r-up", "nud", "permanent")
            self._neigh(role, o, net.mac("rt", "r-host"))
            self._neigh(o, role, net.mac("rt", "r-up"))
        # PMTU discovery off on the client: DF clear, so the router fragments (else it would
        # send "fragmentation needed" and TCP would just use a smaller MSS)
        self.pmtu = net.run(role, "sysctl", "-n", "net.ipv4.ip_no_pmtu_disc").stdout.strip()
        net.run(role, "sysctl", "-qw", "net.ipv4.ip_no_pmtu_disc=1")
        self._hostility()

    def _neigh(self, role, other, mac):
        self.net.run(role, "ip", "neigh", "replace", ip_of(other), "lladdr", mac, "dev", "eth0", "nud", "permanent")

    def _hostility(self):
        net, src = self.net, ip_of(self.role)
        # duplicates: a random share of what the client sends, mirrored back into the
        # router's own ingress; both copies are then routed (same TTL, same IP id), fragmented
        net.run("rt", "tc", "qdisc", "add", "dev", "r-host", "clsact")
        net.run("rt", "tc", "filter", "add", "dev", "r-host", "ingress", "protocol", "ip", "bpf", "bytecode",
                rand_filter(DUP, 0xffffffff, 0), "action", "mirred", "ingress", "mirror", "dev", "r-host")
        # corruption: 4 bytes of the TCP payload (with timestamps, the header is 32 bytes:
        # @th,256 is the payload's first byte, NetBIOS framing; @th,1024 payload byte 96),
        # written after the checksum, which a raw @th write leaves as it was
        payload = f"ip saddr {src} ip daddr {ip_of('srv')} ip protocol tcp ip length > 200"
        net.run("rt", "nft", "-f", "-", input=f"""
table ip jglab_hostile {{
  chain relay {{
    type filter hook forward priority 0; policy accept;
    {payload} numgen inc mod {CORRUPT_EVERY} == 0 @th,256,32 set 0xdeadbeef counter
    {payload} numgen inc mod {CORRUPT_EVERY} == {CORRUPT_EVERY // 2} @th,1024,32 set 0xdeadbeef counter
  }}
}}
""")
        # reordering: a random share of the packets (fragments) towards the switch late
        net.run("rt", "tc", "qdisc", "add", "dev", "r-up", "root", "handle", "1:", "htb", "default", "10")
        net.run("rt", "tc", "class", "add", "dev", "r-up", "parent", "1:", "classid", "1:10", "htb",
                "rate", "10gbit", "quantum", "60000")
        net.run("rt", "tc", "class", "add", "dev", "r-up", "parent", "1:", "classid", "1:20", "htb",
                "rate", SLOW, "burst", "1600b", "cburst", "1600b")
        net.run("rt", "tc", "filter", "add", "dev", "r-up", "parent", "1:", "protocol", "ip", "bpf", "bytecode",
                rand_filter(REORDER, 0x10020, 0x10010))

    def counters(self):
        """What the router did so far: fragments made, duplicates, corruptions, late packets."""
        ip = snmp(self.net, "rt")["Ip"]
        flt = self.net.run("rt", "tc", "-s", "filter", "show", "dev", "r-host", "ingress").stdout
        m = re.search(r"Sent \d+ bytes (\d+) pkt", flt)
        cls = self.net.run("rt", "tc", "-s", "class", "show", "dev", "r-up").stdout
        m2 = re.search(r"class htb 1:20 .*?\n\s*Sent \d+ bytes (\d+) pkt", cls)
        nft = self.net.run("rt", "nft", "list", "table", "ip", "jglab_hostile").stdout
        return {"forwarded": ip["ForwDatagrams"], "fragmented": ip["FragOKs"], "fragments": ip["FragCreates"],
                "df-refused": ip["FragFails"], "duplicated": int(m.group(1)) if m else 0,
                "late": int(m2.group(1)) if m2 else 0,
                "corrupted": sum(int(x) for x in re.findall(r"counter packets (\d+)", nft))}

    def remove(self):
        if not self.inserted:
            return
        net, role, port = self.net, self.role, self.port
        try:
            net.run(role, "sysctl", "-qw", f"net.ipv4.ip_no_pmtu_disc={getattr(self, 'pmtu', '0') or '0'}",
                    check=False)
            net.link("sw", "del", port)      # and with it r-up
            net.run("rt", "tc", "qdisc", "del", "dev", "r-host", "clsact", check=False)
            net.link("rt", "set", "r-host", "down")
            net.link("rt", "set", "r-host", "netns", net.ns["sw"])
            net.link("sw", "set", "r-host", "name", port)
            net.link("sw", "set", port, "master", "br0", "up")
            if net.mode == "monitor":
                net.mirror_port(port)
            for o in self.others:
                self._neigh(role, o, net.mac(o))
                self._neigh(o, role, net.mac(role))
        finally:
            sh("ip", "netns", "del", net.ns["rt"], check=False)
            net.created.remove(net.ns["rt"])
            del net.ns["rt"]
            self.inserted = False


def tap_tx(net):
    """What the kernel handed Jumpgate's tap (its tx) and what it dropped for a full queue."""
    j = json.loads(net.run("jg", "ip", "-s", "-j", "link", "show", "dev", TAP).stdout)[0]["stats64"]["tx"]
    return {"packets": j["packets"], "dropped": j["dropped"]}


def delta(a, b):
    return {k: b[k] - a[k] for k in b}


def shape(events):
    """What a run's events say, less what differs between two runs (pids, names, times)."""
    return sorted({(e["event"], e.get("tool"), e.get("action"), e.get("service"), e.get("src_zone"),
                    e.get("dst_zone"), e.get("share")) for e in events if e["event"] != "evasion"},
                  key=str)


def evasions(res, events, role):
    ev = [e for e in events if e["event"] == "evasion"]
    kinds = sorted({e.get("detail", "").split(":")[0] for e in ev})
    res.check(all(k in EXPECTED_EVASION for k in kinds),
              f"{role}: evasion events only of kinds a corrupting link explains: {len(ev)} ({', '.join(kinds) or 'none'})",
              str([e.get("detail") for e in ev]))
    res.check(all(e.get("src_zone") == HOSTS[role][2] and e.get("dst_zone") == "servers" for e in ev),
              f"{role}: every evasion event names the zones ({HOSTS[role][2]} -> servers)",
              str([(e.get("src_zone"), e.get("dst_zone")) for e in ev]))
    return ev


def path_checks(res, net, role, k, t, srv_csum, frags_seen=True):
    """What the router did, and what Jumpgate and the target made of it. frags_seen: Jumpgate
    reads the wire through a tap (fragments as they came), not net_af_packet (reassembled
    by the kernel first)."""
    res.check(k["fragments"] > 0 and k["df-refused"] == 0,
              f"{role}: the router fragmented {k['fragmented']} datagrams into {k['fragments']} fragments "
              f"(MTU {MTU}), refused none for DF", str(k))
    if frags_seen:
        res.check(t["pkt-fragment"] == k["fragments"],
                  f"{role}: Jumpgate took every fragment on the wire: pkt-fragment {t['pkt-fragment']} = "
                  f"the router's {k['fragments']}", str(t))
        res.check(t["frag-reassembled"] > 0,
                  f"{role}: Jumpgate reassembled {t['frag-reassembled']} datagrams "
                  f"(the router fragmented {k['fragmented']})", str(t))
    res.check(k["duplicated"] > 0 and t["stream-retransmits"] > 0,
              f"{role}: {k['duplicated']} packets duplicated; Jumpgate: stream-retransmits {t['stream-retransmits']}")
    res.check(k["corrupted"] > 0 and srv_csum > 0 and t["stream-bad-checksum"] > 0,
              f"{role}: {k['corrupted']} segments corrupted; the target's TCP dropped {srv_csum} for their "
              f"checksum; Jumpgate: stream-bad-checksum {t['stream-bad-checksum']}")
    res.check(k["late"] > 0,
              f"{role}: {k['late']} packets sent late (reordered); Jumpgate: stream-held {t['stream-held']}", str(k))
    lost = {n: t[n] for n in ("stream-gaps", "frag-timeout", "frag-table-full", "frag-mem-full", "frag-too-many",
                              "frag-too-big", "frag-malformed", "frag-lost", "stream-ooo-full",
                              "stream-ooo-pool-empty", "stream-out-of-window", "stream-ttl-ignored",
                              "stream-syn-ignored", "stream-conflicts") if t.get(n)}
    res.note(f"{role} through the hostile path: router {k}; Jumpgate " +
             ", ".join(f"{n} {t[n]}" for n in ("pkt-fragment", "frag-reassembled", "frag-overlap", "stream-retransmits",
                                                "stream-held", "stream-bad-checksum") if n in t) +
             (f"; also {lost}" if lost else ""))
    res.check(not any(t.get(n) for n in ("stream-gaps", "frag-lost", "frag-malformed", "stream-ooo-full",
                                           "stream-ooo-pool-empty")),
              f"{role}: Jumpgate lost no byte of the stream (no gap, no fragment lost or refused)", str(lost))


def scenario_hostile(res, net, jg, target, runs):
    """6 (monitor): PAExec-style psexec from the workstation through the hostile path:
    the same detection, origin and zones as on the clean link."""
    path = HostilePath(net, "ws")
    try:
        net.feed_tap(TAP)
        net.mirror_to("mon1")      # to span1, then the tap: the fragments as they are on the wire
        path.insert()
        s0, k0, c0 = jg.stats(), path.counters(), snmp(net, "srv")["Tcp"]["InCsumErrors"]
        r0, t0 = net.counters("jg", "span1")[0], tap_tx(net)
        run = impacket(net, "ws", "psexec", "cmd.exe", user=target.user, paexec=True)
        mine = paexec_attack(res, jg, target, run, "ws", "alert")
        ref = runs.get("ws")
        if ref is not None:
            clean = within(jg.events(), ref, "ws")
            res.check(shape(mine) == shape(clean), "ws: the same events as on the clean link (scenario 1)",
                      f"hostile {shape(mine)}; clean {shape(clean)}")
        evasions(res, mine, "ws")
        s1 = jg.wait_idle()
        k = delta(k0, path.counters())
        kernel, rx = net.counters("jg", "span1")[0] - r0, s1["ports"][1]["rx"] - s0["ports"][1]["rx"]
        tap = delta(t0, tap_tx(net))
        res.check(rx == kernel == tap["packets"] and tap["dropped"] == 0 and s1["ports"][0]["rx"] == s0["ports"][0]["rx"],
                  f"ws: the mirror gave Jumpgate's tap port every frame: {kernel} out of the mirror, "
                  f"{tap['packets']} into the tap ({tap['dropped']} dropped), port rx {rx}")
        path_checks(res, net, "ws", k, delta(s0["total"], s1["total"]), snmp(net, "srv")["Tcp"]["InCsumErrors"] - c0)
    finally:
        path.remove()
        net.mirror_to("mon")


def scenario_hostile_inline(res, net, jg, target):
    """6 (inline): through the hostile path, the jump host's psexec is allowed and gets as
    far as on the clean link; the workstation's is blocked at ADMIN$, reset at once."""
    user = target.user
    path = HostilePath(net, "adm")
    try:
        path.insert()
        s0, k0, c0 = jg.stats(), path.counters(), snmp(net, "srv")["Tcp"]["InCsumErrors"]
        q0 = snmp(net, "srv")["Ip"]["ReasmReqds"]
        adm = impacket(net, "adm", "psexec", "cmd.exe", user=user, paexec=True)
        res.check(adm.rc is not None and "Creating service " + adm.service in adm.out,
                  f"adm: psexec through the hostile path and Jumpgate ran up to CreateServiceW ({adm.brief()})")
        res.check(uploaded(target, adm.binary) == remcomsvc_binary(),
                  f"adm: {adm.binary} reached ADMIN$ byte for byte (no corrupt byte taken)")
        ev = jg.wait_events(lambda ev: any(e["event"] == "service_install" for e in within(ev, adm, "adm")))
        mine = within(ev, adm, "adm")
        res.check(any(e["event"] == "service_install" and e.get("service_name") == adm.service and
                      e.get("action") == "allow" for e in mine) and
                  not any(e["event"] == "zone_violation" for e in mine),
                  f"adm: service_install of {adm.service} seen, action allow, no zone_violation")
        res.check(any(e.get("tool") == "paexec" and e.get("origin_host") == HOSTS["adm"][1] and
                      e.get("origin_pid") == adm.pid for e in mine),
                  f"adm: tool paexec with origin_host {HOSTS['adm'][1]}, origin_pid {adm.pid}")
        evasions(res, mine, "adm")
        s1 = jg.wait_idle()
        t = delta(s0["total"], s1["total"])
        rx = sum(p["rx"] for p in s1["ports"]) - sum(p["rx"] for p in s0["ports"])
        res.check(rx == t["tx"] + t["pkt-blocked"] and t["tx-full"] == 0,
                  f"adm: every packet forwarded or blocked, corrupt copies too: rx {rx} = forwarded {t['tx']} + "
                  f"blocked {t['pkt-blocked']}", str({n: t[n] for n in ("tx", "pkt-blocked", "tx-full")}))
        k = delta(k0, path.counters())
        path_checks(res, net, "adm", k, t, snmp(net, "srv")["Tcp"]["InCsumErrors"] - c0, frags_seen=False)
        res.note(f"adm: inline on net_af_packet the kernel reassembles before Jumpgate (PACKET_FANOUT_FLAG_DEFRAG): "
                 f"Jumpgate pkt-fragment {t['pkt-fragment']}, rx {rx} frames for the router's {k['fragments']} "
                 f"fragments; the target reassembled {snmp(net, 'srv')['Ip']['ReasmReqds'] - q0} fragments "
                 f"(Jumpgate forwards whole datagrams)")
    finally:
        path.remove()

    path = HostilePath(net, "ws")
    try:
        path.insert()
        k0 = path.counters()
        ws = impacket(net, "ws", "psexec", "cmd.exe", user=user, paexec=True, debug=True)
        res.check(ws.rc is not None and ws.seconds < BLOCKED_WITHIN and "Uploading file" not in ws.out and
                  "Connection reset" in ws.out,
                  f"ws: psexec through the hostile path reset before any upload, in {ws.seconds:.1f} s", ws.brief())
        res.check(uploaded(target, ws.binary) is None, f"ws: nothing reached ADMIN$ ({ws.binary} absent)")
        ev = jg.wait_events(lambda ev: any(e["event"] == "zone_violation" for e in within(ev, ws, "ws")))
        mine = within(ev, ws, "ws")
        viol = [e for e in mine if e["event"] == "zone_violation"]
        res.check(len(viol) == 1 and viol[0].get("action") == "block" and viol[0].get("share") == "ADMIN$" and
                  viol[0].get("src_zone") == "workstations" and viol[0].get("dst_zone") == "servers",
                  "ws: one zone_violation workstations -> servers, share ADMIN$, action block", str(viol))
        res.check(not any(e["event"] in ("tool_artifact", "service_install") for e in mine),
                  "ws: no upload or service install seen after the block")
        evasions(res, mine, "ws")
        k = delta(k0, path.counters())
        res.check(k["forwarded"] > 0, f"ws: its packets crossed the hostile router ({k})")
        time.sleep(0.3)
        bad = [e for e in within(jg.events(), ws, "ws") if e["event"] in ALERTS and e["event"] != "zone_violation"]
        res.check(not bad, "ws: no other alert", str(bad))
    finally:
        path.remove()
