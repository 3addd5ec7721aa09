"""A capture as TCP conversations: for each connection, each direction's byte stream
rebuilt from the first copy of every byte (retransmissions dropped), the segments it came
in, and the way back out: byte edits (whole messages replaced), their effect on every
sequence and acknowledgment number, and the packets re-emitted in the original order with
each class's hooks in between."""
import struct
from dataclasses import replace

from wire import ACK, FIN, PSH, RST, SYN, Frame, frame, read_pcap, to_v6, v6_of_v4

C2S, S2C = 0, 1
M32 = 0xFFFFFFFF


def _sub(a, b, cover):
    """The parts of [a, b) outside the sorted disjoint intervals of cover."""
    out = []
    for x, y in cover:
        if y <= a or x >= b:
            continue
        if x > a:
            out.append((a, x))
        a = max(a, y)
        if a >= b:
            break
    if a < b:
        out.append((a, b))
    return out


def _add(cover, a, b):
    cover.append((a, b))
    cover.sort()
    merged = [cover[0]]
    for x, y in cover[1:]:
        if x <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], y))
        else:
            merged.append((x, y))
    cover[:] = merged


class Stream:
    """One direction of a connection. Offsets count from the byte after the SYN (or from
    the first sequence number seen when the handshake was not captured)."""

    def __init__(self):
        self.start = None
        self.data = bytearray()
        self.cover = []
        self.pieces = {}     # frame index -> [(a, b)] of bytes it carried first
        self.edits = []      # (a, b, new bytes): data[a:b] replaced by new bytes
        self.cuts = set()    # offsets (after edits) where a segment must end
        self.isn_seg = None  # its SYN, if captured

    def off(self, seq):
        o = (seq - self.start) & M32
        return o if o < 1 << 31 else None

    def record(self, i, seq, payload):
        o = self.off(seq)
        if o is None or not payload:
            return
        new = _sub(o, o + len(payload), self.cover)
        if len(self.data) < o + len(payload):
            self.data.extend(bytes(o + len(payload) - len(self.data)))
        for a, b in new:
            self.data[a:b] = payload[a - o:b - o]
            _add(self.cover, a, b)
        if new:
            self.pieces[i] = new

    def segments(self):
        """[(frame index, a, b)] of first copies, in stream order."""
        return sorted((a, b, i) for i, ab in self.pieces.items() for a, b in ab)

    def edit(self, a, b, new):
        self.edits.append((a, b, bytes(new)))
        self.edits.sort(key=lambda e: e[0])

    def map(self, o):
        """Where old offset o lies once the edits are applied."""
        delta = 0
        for a, b, new in self.edits:
            if o <= a:
                break
            if o < b:
                return a + delta + min(o - a, len(new))
            delta += len(new) - (b - a)
        return o + delta

    def new_data(self):
        out, at = bytearray(), 0
        for a, b, new in self.edits:
            out += self.data[at:a] + new
            at = b
        return bytes(out + self.data[at:])

    def new_pieces(self, i):
        """[(a, b)] in the edited stream that frame i now carries, split at the cuts."""
        out = []
        for a, b in self.pieces.get(i, ()):
            a, b = self.map(a), self.map(b)
            for c in sorted(x for x in self.cuts if a < x < b):
                out.append((a, c))
                a = c
            if a < b:
                out.append((a, b))
        return out


class Conn:
    """One TCP connection: client and server, a Stream each way, its frames."""

    def __init__(self, client, server):
        self.client, self.server = client, server   # (address bytes, port)
        self.s = [Stream(), Stream()]
        self.frames = []
        self.targeted = False
        self.tmpl = [None, None]   # a Seg of each direction, for packets made up
        self.last = [None, None]   # the last real Seg emitted each way
        self._new = [None, None]

    def dir_of(self, seg):
        return C2S if (seg.src, seg.sport) == self.client else S2C

    def new_data(self, d):
        if self._new[d] is None:
            self._new[d] = self.s[d].new_data()
        return self._new[d]

    def edited(self):
        return any(s.edits or s.cuts for s in self.s)

    def remap(self, seg, d):
        """seg with its seq and ack moved to the edited streams."""
        mine, other = self.s[d], self.s[1 - d]
        seq, ack = seg.seq, seg.ack
        o = mine.off(seq)
        if o is not None:
            seq = (mine.start + mine.map(o)) & M32
        if seg.flags & ACK and other.start is not None:
            o = other.off(ack)
            if o is not None:
                ack = (other.start + other.map(o)) & M32
        return replace(seg, seq=seq, ack=ack)

    def mss(self):
        """The segment size the handshake allowed (the smaller MSS option), 1460 when
        it was not captured."""
        sizes = []
        for st in self.s:
            o, k = st.isn_seg.opts if st.isn_seg else b"", 0
            while k + 1 < len(o) and o[k] != 0:
                if o[k] == 1:
                    k += 1
                    continue
                if o[k] == 2 and o[k + 1] == 4 and k + 4 <= len(o):
                    sizes.append(struct.unpack_from("!H", o, k + 2)[0])
                k += max(o[k + 1], 2)
        return min(sizes or [1460])

    def next_seq(self, d):
        """The sequence number after the last real packet emitted in direction d."""
        s = self.last[d]
        if s is None:
            return 0
        return (s.seq + len(s.payload) + (1 if s.flags & (SYN | FIN) else 0)) & M32


class Capture:
    """The packets of a capture and its TCP connections."""

    def __init__(self, path, server_port):
        self.linktype, self.frames = read_pcap(path)
        self.conns, self.conn_of = [], {}
        by_key = {}
        for i, fr in enumerate(self.frames):
            s = fr.seg
            if s is None or s.proto != 6:
                continue
            a, b = (s.src, s.sport), (s.dst, s.dport)
            key = (min(a, b), max(a, b))
            conn = by_key.get(key)
            if conn is None:
                if s.flags & (SYN | ACK) == SYN or (s.flags & (SYN | ACK) != SYN | ACK and s.dport == server_port):
                    conn = Conn(a, b)
                else:
                    conn = Conn(b, a)
                conn.targeted = conn.server[1] == server_port
                by_key[key] = conn
                self.conns.append(conn)
            d = conn.dir_of(s)
            st = conn.s[d]
            if s.flags & SYN and st.isn_seg is None:
                st.isn_seg, st.start = s, (s.seq + 1) & M32
            elif st.start is None:
                st.start = s.seq
            st.record(i, s.seq, s.payload)
            conn.frames.append(i)
            self.conn_of[i] = conn
            if conn.tmpl[d] is None or s.payload:
                conn.tmpl[d] = s

    def targets(self):
        return [c for c in self.conns if c.targeted]


class Unfit(Exception):
    """The capture has nothing a class can transform."""


class Evasion:
    """A class of evasion: hooks called while the capture is written back out."""
    name = ""
    doc = ""
    v6 = False       # the whole capture moved to IPv6
    gap_at = None    # frame index from which time is shifted by gap_us
    gap_us = 0

    def __init__(self, rng, cap):
        self.rng, self.cap = rng, cap
        self.points = set()   # frame indices where the class acts

    def prepare(self, conn):
        """Called once per targeted connection before anything is written; raises Unfit
        when the connection has nothing for the class (an error if none has)."""

    def data(self, conn, i, segs):
        """The client's data segments that frame i now stands for: return what to send."""
        return segs

    def ip(self, conn, seg):
        """The frames of a client data segment."""
        return [frame(seg)]

    def finish(self, frames):
        return frames

    def junk(self, n, avoid=b""):
        """n random bytes, none equal to the byte of `avoid` at the same place."""
        b = bytearray(self.rng.randbytes(n))
        for k in range(min(n, len(avoid))):
            if b[k] == avoid[k]:
                b[k] ^= 0xFF
        return bytes(b)


def rebuild(conn, i, seg, ev):
    """The Segs that frame i of a targeted connection becomes."""
    d = conn.dir_of(seg)
    st = conn.s[d]
    pieces = st.new_pieces(i)
    if not pieces and seg.payload and not seg.flags & (SYN | FIN | RST):
        return []    # a retransmission: the first copy went out already
    base = conn.remap(seg, d) if conn.edited() else seg
    if not pieces:
        out = [replace(base, payload=b"")]
        conn.last[d] = out[0]
        return out
    if d == C2S:    # no longer than the MSS, as on the wire (the capture may predate TSO)
        n = conn.mss() - (20 if ev.v6 else 0)
        pieces = [(x, min(x + n, b)) for a, b in pieces for x in range(a, b, n)]
    data = conn.new_data(d)
    keep = base.flags & ~(FIN | SYN | RST | PSH)
    out = [replace(base, seq=(st.start + a) & M32, payload=data[a:b], flags=keep) for a, b in pieces]
    out[-1].flags |= base.flags & PSH
    conn.last[d] = out[-1]
    if d == C2S:
        out = ev.data(conn, i, out)
    if seg.flags & (FIN | RST):
        end = (st.start + st.map(st.off(seg.seq) + len(seg.payload))) & M32
        out.append(replace(base, seq=end, payload=b"", flags=base.flags & ~PSH))
        conn.last[d] = out[-1]
    return out


class Emitter:
    """Frames out with timestamps that never go back: each takes its original time
    (plus any gap) or one microsecond after the previous one, whichever is later."""

    def __init__(self):
        self.frames, self.last, self.shift = [], None, 0

    def emit(self, ts, datas):
        for b in datas:
            t = ts + self.shift
            if self.last is not None and t <= self.last:
                t = self.last + 1
            self.last = t
            self.frames.append(Frame(t, b))


def run(cap, ev):
    """All frames of cap, transformed by ev."""
    unfit = []
    for conn in cap.targets():
        try:
            ev.prepare(conn)
        except Unfit as e:
            unfit.append(e)
    if len(unfit) == len(cap.targets()):
        raise unfit[0]
    out = Emitter()
    for i, fr in enumerate(cap.frames):
        if i == ev.gap_at:
            out.shift += ev.gap_us
        conn = cap.conn_of.get(i)
        if conn is None or not conn.targeted:
            if fr.seg is None:
                out.emit(fr.ts, [fr.data])
            else:    # checksums as on the wire (a capture taken on a host may have them wrong)
                out.emit(fr.ts, [frame(to_v6(fr.seg, v6_of_v4) if ev.v6 else fr.seg)])
            continue
        datas = []
        for s in rebuild(conn, i, fr.seg, ev):
            c2s = conn.dir_of(s) == C2S
            if ev.v6:
                s = to_v6(s, v6_of_v4)
            if c2s and s.payload and not s.flags & (SYN | RST):
                datas += ev.ip(conn, s)
            else:
                datas.append(frame(s))
        out.emit(fr.ts, datas)
    return ev.finish(out.frames)


def u16(b, o):
    return struct.unpack_from("<H", b, o)[0]


def u32(b, o):
    return struct.unpack_from("<I", b, o)[0]
