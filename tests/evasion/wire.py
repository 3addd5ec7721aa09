"""Packets on the wire for the evasion generator: pcap in (through scapy) and out, the
Ethernet/IPv4/IPv6/TCP/UDP fields a transform touches, and the bytes built back from
them (lengths and checksums computed here, wrong on request; IP fragments).

Output is built by hand rather than through scapy layers: a tiny-segment class emits
thousands of packets and the sweep fifty thousand, and every header bit must come from
the seed alone."""
import struct
from dataclasses import dataclass, replace

from scapy.all import PcapReader

LINKTYPE_ETHERNET = 1
ETH_IPV4, ETH_IPV6, ETH_VLAN, ETH_QINQ = 0x0800, 0x86DD, 0x8100, 0x88A8
PROTO_TCP, PROTO_UDP, PROTO_FRAG6 = 6, 17, 44
FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10


@dataclass
class Seg:
    """One TCP (or UDP) packet by its fields; `replace()` makes the variants."""
    l2: bytes          # Ethernet header, VLAN tags included; its last EtherType is rewritten
    src: bytes         # 4 bytes (IPv4) or 16 (IPv6)
    dst: bytes
    ttl: int
    tos: int
    ipid: int
    df: bool
    proto: int
    sport: int
    dport: int
    seq: int = 0
    ack: int = 0
    flags: int = 0
    win: int = 0
    urg: int = 0
    opts: bytes = b""
    payload: bytes = b""
    bad_l4: bool = False  # a wrong TCP/UDP checksum
    bad_ip: bool = False  # a wrong IPv4 header checksum

    @property
    def v6(self):
        return len(self.src) == 16


@dataclass
class Frame:
    ts: int            # microseconds since the epoch
    data: bytes
    seg: Seg = None    # the parsed TCP/UDP packet, None for anything else


def read_pcap(path):
    """(linktype, [Frame]) of a pcap or pcapng file."""
    frames = []
    with PcapReader(path) as r:
        linktype = r.linktype
        for p in r:
            raw = p.original if getattr(p, "original", None) else bytes(p)
            frames.append(Frame(int(round(p.time * 1000000)), raw,
                                parse(raw) if linktype == LINKTYPE_ETHERNET else None))
    return linktype, frames


def write_pcap(path, linktype, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, linktype))
        for fr in frames:
            f.write(struct.pack("<IIII", fr.ts // 1000000, fr.ts % 1000000, len(fr.data), len(fr.data)))
            f.write(fr.data)


def parse(b):
    """The Seg of an Ethernet frame carrying unfragmented TCP or UDP over IPv4 (no
    options, no reserved flag) or IPv6 (no extension headers); None for anything else.
    frame() of it gives the same packet back with its checksums right."""
    off = 12
    while off + 2 <= len(b) and struct.unpack_from("!H", b, off)[0] in (ETH_VLAN, ETH_QINQ):
        off += 4
    if off + 2 > len(b):
        return None
    etype, l3 = struct.unpack_from("!H", b, off)[0], off + 2
    if etype == ETH_IPV4 and len(b) >= l3 + 20:
        vihl, tos, tot, ipid, frag, ttl, proto = struct.unpack_from("!BBHHHBB", b, l3)
        ihl = (vihl & 15) * 4
        if vihl != 0x45 or frag & 0xBFFF or tot < ihl or len(b) < l3 + tot:
            return None
        src, dst, l4, end, df = b[l3 + 12:l3 + 16], b[l3 + 16:l3 + 20], l3 + ihl, l3 + tot, bool(frag & 0x4000)
    elif etype == ETH_IPV6 and len(b) >= l3 + 40:
        vtc, plen, proto, ttl = struct.unpack_from("!IHBB", b, l3)
        if vtc >> 28 != 6 or len(b) < l3 + 40 + plen:
            return None
        tos, ipid, df = (vtc >> 20) & 0xFF, 0, False
        src, dst, l4, end = b[l3 + 8:l3 + 24], b[l3 + 24:l3 + 40], l3 + 40, l3 + 40 + plen
    else:
        return None
    seg = Seg(b[:l3], src, dst, ttl, tos, ipid, df, proto, 0, 0)
    if proto == PROTO_TCP and end - l4 >= 20:
        sport, dport, seq, ack, offf, win, _, urg = struct.unpack_from("!HHIIHHHH", b, l4)
        doff = (offf >> 12) * 4
        if doff < 20 or l4 + doff > end:
            return None
        return replace(seg, sport=sport, dport=dport, seq=seq, ack=ack, flags=offf & 0x1FF, win=win,
                       urg=urg, opts=b[l4 + 20:l4 + doff], payload=b[l4 + doff:end])
    if proto == PROTO_UDP and end - l4 >= 8:
        sport, dport = struct.unpack_from("!HH", b, l4)
        return replace(seg, sport=sport, dport=dport, payload=b[l4 + 8:end])
    return None


def csum(data, start=0):
    """The Internet checksum (RFC 1071) of data, added to a partial sum `start`."""
    if len(data) % 2:
        data += b"\0"
    s = start + sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def l4_bytes(s):
    """The TCP or UDP header and payload of s, with its checksum."""
    if s.proto == PROTO_TCP:
        opts = s.opts + b"\0" * (-len(s.opts) % 4)
        hdr = struct.pack("!HHIIHHHH", s.sport, s.dport, s.seq & 0xFFFFFFFF, s.ack & 0xFFFFFFFF,
                          ((20 + len(opts)) // 4) << 12 | s.flags, s.win, 0, s.urg) + opts
        at = 16
    else:
        hdr = struct.pack("!HHHH", s.sport, s.dport, 8 + len(s.payload), 0)
        at = 6
    body = hdr + s.payload
    pseudo = s.src + s.dst + (struct.pack("!IxxxB", len(body), s.proto) if s.v6
                              else struct.pack("!xBH", s.proto, len(body)))
    c = ~csum(body, csum(pseudo)) & 0xFFFF
    if s.proto == PROTO_UDP and c == 0:
        c = 0xFFFF
    if s.bad_l4:
        c ^= 0x5A5A
    return body[:at] + struct.pack("!H", c) + body[at + 2:]


def _l2(s, etype):
    return s.l2[:-2] + struct.pack("!H", etype)


def _ipv4(s, payload_len, frag_field, proto):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, s.tos, 20 + payload_len, s.ipid & 0xFFFF, frag_field,
                      s.ttl, proto, 0, s.src, s.dst)
    c = ~csum(hdr) & 0xFFFF
    if s.bad_ip:
        c ^= 0x3C3C
    return hdr[:10] + struct.pack("!H", c) + hdr[12:]


def _ipv6(s, payload_len, nh):
    return struct.pack("!IHBB16s16s", 6 << 28 | s.tos << 20, payload_len, nh, s.ttl, s.src, s.dst)


def frame(s):
    """The whole Ethernet frame of s."""
    l4 = l4_bytes(s)
    if s.v6:
        return _l2(s, ETH_IPV6) + _ipv6(s, len(l4), s.proto) + l4
    return _l2(s, ETH_IPV4) + _ipv4(s, len(l4), 0x4000 if s.df else 0, s.proto) + l4


def fragment(s, l4, off, more, ident):
    """One IP fragment of datagram s carrying `l4` (bytes of its transport part) at
    byte offset `off` (a multiple of 8), `more` for the More Fragments flag."""
    field = off // 8
    if s.v6:
        fh = struct.pack("!BBHI", s.proto, 0, field << 3 | int(more), ident & 0xFFFFFFFF)
        return _l2(s, ETH_IPV6) + _ipv6(s, 8 + len(l4), PROTO_FRAG6) + fh + l4
    return _l2(s, ETH_IPV4) + _ipv4(replace(s, ipid=ident), len(l4), field | (0x2000 if more else 0), s.proto) + l4


def to_v6(s, v6_of):
    """s moved to IPv6 by an address map (hop limit from the TTL, class from the TOS)."""
    return replace(s, src=v6_of(s.src), dst=v6_of(s.dst), ipid=0, df=False)


def v6_of_v4(a4):
    """fd00::<IPv4 as hex>, for a 4-byte address; 16 bytes unchanged."""
    return a4 if len(a4) == 16 else b"\xfd" + b"\0" * 11 + a4
