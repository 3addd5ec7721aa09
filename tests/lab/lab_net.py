"""The lab's wiring: network namespaces, veth pairs, the switch (a Linux bridge), the
mirror (tc mirred) for monitor mode, and the two sides of an inline Jumpgate.

    monitor                                      inline
    adm  ws  srv                                 adm  ws
     |    |   |                                   |    |
    [ br0 in sw ]--mirror of every port's        [ br0 in sw ]
     ingress--> mon ~~ span0 (jg)                      | up
                                                 out0 (jg) = Jumpgate = in0 (jg)
                                                                         |
                                                                        srv
Every address lives inside these namespaces; nothing is added to the caller's."""
import json
import os

from lab_env import sh

NET = "10.77.0.0/16"
HOSTS = {  # role: (address, NetBIOS-style name, zone)
    "adm": ("10.77.1.10", "JUMP10", "admin"),
    "ws": ("10.77.2.20", "WKSTN20", "workstations"),
    "srv": ("10.77.3.30", "SRV30", "servers"),
}
SEALED = "10.77.3.31"  # the target's second address: there Samba requires SMB3 encryption
ZONE_PREFIX = {"admin": "10.77.1.0/24", "workstations": "10.77.2.0/24", "servers": "10.77.3.0/24"}


def ip_of(role):
    return HOSTS[role][0]


class Net:
    """Namespaces <tag>-adm, -ws, -srv (hosts), -sw (the switch), -jg (Jumpgate)."""

    def __init__(self, tag):
        self.tag = tag
        self.ns = {r: f"{tag}-{r}" for r in ("adm", "ws", "srv", "sw", "jg")}
        self.created = []
        self.mode = None

    # ------------------------------------------------------------ helpers --
    def run(self, role, *args, **kw):
        return sh("ip", "netns", "exec", self.ns[role], *args, **kw)

    def cmd(self, role, *args):
        """argv that runs args inside the role's namespace (for Popen)."""
        return ["ip", "netns", "exec", self.ns[role], *args]

    def link(self, role, *args):
        return sh("ip", "-n", self.ns[role], "link", *args)

    def counters(self, role, dev):
        """(rx packets, tx packets) of an interface, from the kernel."""
        j = json.loads(sh("ip", "-n", self.ns[role], "-s", "-j", "link", "show", "dev", dev).stdout)[0]
        return j["stats64"]["rx"]["packets"], j["stats64"]["tx"]["packets"]

    def switch_ingress(self):
        """Frames the hosts sent into the switch: the sum of its host ports' rx counts."""
        return sum(self.counters("sw", f"p-{r}")[0] for r in ("adm", "ws", "srv"))

    def mac(self, role, dev="eth0"):
        return json.loads(sh("ip", "-n", self.ns[role], "-j", "link", "show", "dev", dev).stdout)[0]["address"]

    def _quiet(self, role):
        """No IPv6 (router solicitations, MLD): only the lab's own traffic on the wire."""
        for k in ("all", "default"):   # absent when the kernel runs without IPv6: nothing to quiet
            self.run(role, "sh", "-c", f"echo 1 > /proc/sys/net/ipv6/conf/{k}/disable_ipv6", check=False)

    def _offloads_off(self, role, dev):
        # Whole, checksummed frames: af_packet hands Jumpgate what the wire would carry,
        # and an inline Jumpgate forwards frames the far end accepts.
        self.run(role, "ethtool", "-K", dev, "tx", "off", "tso", "off", "gso", "off", "gro", "off")

    def _veth(self, role_a, name_a, role_b, name_b):
        sh("ip", "-n", self.ns[role_a], "link", "add", name_a, "type", "veth", "peer", "name", name_b,
           "netns", self.ns[role_b])
        for role, dev in ((role_a, name_a), (role_b, name_b)):
            self._offloads_off(role, dev)

    # -------------------------------------------------------------- build --
    def create(self):
        for role, name in self.ns.items():
            sh("ip", "netns", "add", name)
            self.created.append(name)
            self.link(role, "set", "lo", "up")
            self._quiet(role)
        self.link("sw", "add", "br0", "type", "bridge", "stp_state", "0")
        self.link("sw", "set", "br0", "up")
        for role in ("adm", "ws", "srv"):
            addr = ip_of(role)
            self._veth("sw", f"p-{role}", role, "eth0")
            sh("ip", "-n", self.ns[role], "addr", "add", f"{addr}/16", "dev", "eth0")
            if role == "srv":
                sh("ip", "-n", self.ns[role], "addr", "add", f"{SEALED}/16", "dev", "eth0")
            self.link(role, "set", "eth0", "up")
            self.link("sw", "set", f"p-{role}", "master", "br0", "up")
        # Static neighbours: no ARP on the wire, so packet counts are the lab's traffic only.
        macs = {r: self.mac(r) for r in ("adm", "ws", "srv")}
        for r in macs:
            for other, m in macs.items():
                if other != r:
                    sh("ip", "-n", self.ns[r], "neigh", "replace", ip_of(other), "lladdr", m, "dev", "eth0",
                       "nud", "permanent")
                    if other == "srv":
                        sh("ip", "-n", self.ns[r], "neigh", "replace", SEALED, "lladdr", m, "dev", "eth0",
                           "nud", "permanent")

    def monitor(self):
        """The target on the switch; every frame entering a switch port mirrored to span0.
        A second mirror port, mon1 ~ span1, takes the mirror's copies instead while
        mirror_to("mon1") says so (scenario 6); feed_tap() passes them on to the tap that
        Jumpgate reads with net_tap. DPDK's net_af_packet joins a PACKET_FANOUT group with
        PACKET_FANOUT_FLAG_DEFRAG, so on span0 the kernel reassembles IPv4 fragments before
        Jumpgate sees them; a tap hands over frames as they came."""
        for mon, span in (("mon", "span0"), ("mon1", "span1")):
            self._veth("sw", mon, "jg", span)
            self.link("sw", "set", mon, "up")
            self.link("jg", "set", span, "up")
        self.mirror_dev = "mon"
        for role in ("adm", "ws", "srv"):
            self.mirror_port(f"p-{role}")
        self.mode = "monitor"

    def mirror_port(self, dev):
        """Every frame entering switch port dev copied to the mirror port."""
        self.run("sw", "tc", "qdisc", "add", "dev", dev, "clsact")
        # u32 matching everything: available wherever tc is (matchall is not in every kernel)
        self.run("sw", "tc", "filter", "add", "dev", dev, "ingress", "protocol", "all", "u32",
                 "match", "u32", "0", "0", "action", "mirred", "egress", "mirror", "dev", self.mirror_dev)

    def feed_tap(self, tap):
        """Every frame reaching span1 goes out of Jumpgate's tap (net_tap reads what the kernel
        sends into it). Once: the tap lives as long as this Jumpgate."""
        if getattr(self, "tap_fed", None) == tap:
            return
        self.run("jg", "ip", "link", "set", tap, "txqueuelen", "10000")
        self.run("jg", "tc", "qdisc", "add", "dev", "span1", "clsact")
        self.run("jg", "tc", "filter", "add", "dev", "span1", "ingress", "protocol", "all", "u32",
                 "match", "u32", "0", "0", "action", "mirred", "egress", "redirect", "dev", tap)
        self.tap_fed = tap

    def mirror_to(self, mon):
        """Every switch port's mirror to mon (mon: span0, read by af_packet; mon1: span1, fed to a tap)."""
        self.mirror_dev = mon
        for role in ("adm", "ws", "srv"):
            self.run("sw", "tc", "qdisc", "del", "dev", f"p-{role}", "clsact")
            self.mirror_port(f"p-{role}")

    def inline(self):
        """The target moved behind Jumpgate: clients -> br0 -> up ~ out0 [jg] in0 ~ srv."""
        if self.mode == "monitor":
            for role in ("adm", "ws", "srv"):
                self.run("sw", "tc", "qdisc", "del", "dev", f"p-{role}", "clsact")
            for mon in ("mon", "mon1"):
                self.link("sw", "del", mon)
        # the target keeps its interface, address and daemons; only its cable moves
        self.link("sw", "set", "p-srv", "nomaster", "down")
        self.link("sw", "set", "p-srv", "netns", self.ns["jg"])
        self.link("jg", "set", "p-srv", "name", "in0")
        self._veth("sw", "p-up", "jg", "out0")
        self.link("sw", "set", "p-up", "master", "br0", "up")
        for dev in ("out0", "in0"):
            self.link("jg", "set", dev, "up")
        self.mode = "inline"

    def destroy(self):
        # deleting a namespace removes its interfaces, and with them their veth peers
        for name in reversed(self.created):
            pids = sh("ip", "netns", "pids", name, check=False).stdout.split()
            for p in pids:
                try:
                    os.kill(int(p), 9)
                except (ProcessLookupError, ValueError):
                    pass
            sh("ip", "netns", "del", name, check=False)
        self.created = []
