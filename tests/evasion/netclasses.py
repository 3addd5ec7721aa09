"""Classes that work below the application: IP fragments, TCP segmentation, order,
duplicates, overlaps, chaff the server never accepts, forged control packets, time."""
import heapq
import struct
from dataclasses import replace

from flows import C2S, S2C, Emitter, Evasion, Unfit
from smb import View
from wire import ACK, PSH, RST, SYN, Frame, Seg, fragment, frame, l4_bytes

OOW = 1 << 30    # far outside any window (scaled windows stay under 2^30)


def middle(xs):
    """The middle third of a list (at least one element of a non-empty one)."""
    n = len(xs)
    return xs[n // 3:max(2 * n // 3, n // 3 + 1)]


def data_frames(conn):
    return sorted(conn.s[C2S].pieces)


class Frag(Evasion):
    """Client data in IP fragments of 8 to 64 bytes (multiples of 8, the last what is left)."""
    order = "inorder"

    def __init__(self, rng, cap):
        super().__init__(rng, cap)
        self.ident = rng.getrandbits(32)

    def pieces(self, seg):
        l4 = l4_bytes(seg)
        first = 1
        if seg.v6:   # RFC 7112: the first fragment holds the whole TCP header
            first = (20 + len(seg.opts) + 7) // 8
        out, off = [], 0
        while off < len(l4):
            k = 8 * self.rng.randint(first, max(first, 8))
            first = 1
            out.append((off, l4[off:off + k], off + k < len(l4)))
            off += k
        return out

    def ip(self, conn, seg):
        self.ident += 1
        return self.datagram(seg)

    def datagram(self, seg):
        frags = self.pieces(seg)
        if self.order == "reverse":
            frags.reverse()
        elif self.order == "random":
            self.rng.shuffle(frags)
        return [fragment(seg, data, off, more, self.ident) for off, data, more in frags]


class Frag4InOrder(Frag):
    name, doc = "frag4-inorder", "client IPv4 packets in 8-64 B fragments (tiny first ones cut the TCP header), in order"


class Frag4Reverse(Frag):
    name, doc, order = "frag4-reverse", "the same, fragments of each datagram in reverse order", "reverse"


class Frag4Random(Frag):
    name, doc, order = "frag4-random", "the same, fragments of each datagram shuffled", "random"


class Frag6InOrder(Frag):
    name, doc, v6 = "frag6-inorder", "capture moved to IPv6 (fd00::<ipv4>), client packets in 8-64 B fragments, in order", True


class Frag6Reverse(Frag):
    name, doc, v6, order = "frag6-reverse", "the same over IPv6, fragments of each datagram in reverse order", True, "reverse"


class Frag6Random(Frag):
    name, doc, v6, order = "frag6-random", "the same over IPv6, fragments shuffled", True, "random"


class FragOverlap(Frag):
    """Some datagrams (the first of two fragments or more always) get a fragment of junk
    over a real one's bytes. Fragments go in order and the junk never touches the last
    one, so the datagram is still incomplete when the junk comes and when the real
    fragment it overlaps comes."""
    junk_first = False

    def __init__(self, rng, cap):
        super().__init__(rng, cap)
        self.done = False

    def datagram(self, seg):
        frags = self.pieces(seg)
        if len(frags) > 1 and (not self.done or self.rng.random() < 0.3):
            self.done = True
            j = self.rng.randrange(len(frags) - 1)
            off, data, more = frags[j]
            frags.insert(j if self.junk_first else j + 1, (off, self.junk(len(data), data), more))
        return [fragment(seg, d, o, m, self.ident) for o, d, m in frags]


class FragOverlapOld(FragOverlap):
    name = "frag4-overlap-old"
    doc = "fragments, some datagrams with a junk fragment over real bytes sent after them (first wins)"


class FragOverlapNew(FragOverlap):
    name = "frag4-overlap-new"
    doc = "fragments, some datagrams with a junk fragment over real bytes sent before them (last wins)"
    junk_first = True


def chunks(seg, rng, lo, hi):
    """seg cut into segments of lo..hi bytes."""
    out, o, p = [], 0, seg.payload
    while o < len(p):
        k = rng.randint(lo, hi)
        out.append(replace(seg, seq=(seg.seq + o) & 0xFFFFFFFF, payload=p[o:o + k]))
        o += k
    return out


def windows(cs, rng):
    """cs in consecutive windows of 4..64 segments."""
    k = 0
    while k < len(cs):
        w = rng.randint(4, 64)
        yield cs[k:k + w]
        k += w


class TinyReorder(Evasion):
    name = "tcp-tiny-reorder"
    doc = "client data in 1-13 B segments, shuffled within windows of 4-64 segments"

    def data(self, conn, i, segs):
        out = []
        for s in segs:
            for win in windows(chunks(s, self.rng, 1, 13), self.rng):
                self.rng.shuffle(win)
                out += win
        return out


class TcpDup(Evasion):
    name = "tcp-dup"
    doc = "client data in 1-13 B segments, ~30% sent twice (some copies later, out of order)"

    def data(self, conn, i, segs):
        out = []
        for s in segs:
            cs = chunks(s, self.rng, 1, 13)
            later = {}
            for k, c in enumerate(cs):
                if self.rng.random() < 0.3:
                    later.setdefault(k + (self.rng.randint(1, 20) if self.rng.random() < 0.5 else 0), []).append(c)
            for k, c in enumerate(cs):
                out.append(c)
                out += later.pop(k, [])
            out += [c for k in sorted(later) for c in later[k]]
        return out


class OverlapInOrder(Evasion):
    name = "tcp-overlap-inorder"
    doc = "client data in segments of 1-256 B, some followed at once by junk over part of their range"

    def data(self, conn, i, segs):
        out = []
        for s in segs:
            for c in chunks(s, self.rng, 1, 256):
                out.append(c)
                if not getattr(conn, "overlapped", False) or self.rng.random() < 0.25:
                    conn.overlapped = True
                    a = self.rng.randrange(len(c.payload))
                    b = self.rng.randint(a + 1, len(c.payload))
                    out.append(replace(c, seq=(c.seq + a) & 0xFFFFFFFF, payload=self.junk(b - a, c.payload[a:b])))
        return out


class OverlapOoo(Evasion):
    name = "tcp-overlap-ooo"
    doc = "tcp-tiny-reorder, plus junk over segments received out of order while the hole before them is open"

    def data(self, conn, i, segs):
        out = []
        for s in segs:
            for win in windows(list(enumerate(chunks(s, self.rng, 1, 13))), self.rng):
                self.rng.shuffle(win)
                sent = set()
                for k, c in win:
                    out.append(c)
                    sent.add(k)
                    hole = any(j < k and j not in sent for j, _ in win)
                    if hole and (not getattr(conn, "overlapped", False) or self.rng.random() < 0.3):
                        conn.overlapped = True
                        out.append(replace(c, payload=self.junk(len(c.payload), c.payload)))
        return out


class ChaffBadsum(Evasion):
    name = "chaff-badsum"
    doc = "before each client data segment, junk at the same seq with a bad TCP checksum (some a bad IP one too)"

    def data(self, conn, i, segs):
        out = []
        for s in segs:
            out.append(replace(s, payload=self.junk(len(s.payload), s.payload), bad_l4=True,
                               bad_ip=not s.v6 and self.rng.random() < 1 / 3))
            out.append(s)
        return out


class TtlChaff(Evasion):
    name = "ttl-chaff"
    doc = "before some client data segments, junk at the same seq with a TTL of 1-3 (expires before the server)"

    def data(self, conn, i, segs):
        out = []
        for s in segs:
            if not getattr(conn, "chaffed", False) or self.rng.random() < 0.5:
                conn.chaffed = True
                out.append(replace(s, payload=self.junk(len(s.payload), s.payload), ttl=self.rng.randint(1, 3)))
            out.append(s)
        return out


def control(conn, d, seq, ack, flags, **kw):
    """A packet without data in direction d, from that direction's template."""
    t = conn.tmpl[d]
    return replace(t, seq=seq & 0xFFFFFFFF, ack=ack & 0xFFFFFFFF, flags=flags, payload=b"", **kw)


class ChaffOow(Evasion):
    name = "chaff-oow"
    doc = "mid-session junk segments with seq 2^30 beyond the window, and an RST as far out"

    def prepare(self, conn):
        mid = middle(data_frames(conn))
        if not mid:
            raise Unfit("no client data")
        self.points |= set(self.rng.sample(mid, min(3, len(mid))))
        self.rst_at.add(self.rng.choice(mid))

    def __init__(self, rng, cap):
        super().__init__(rng, cap)
        self.rst_at = set()

    def data(self, conn, i, segs):
        out = []
        if i in self.points:
            for _ in range(self.rng.randint(1, 3)):
                seq = segs[0].seq + OOW + self.rng.randrange(1 << 20)
                out.append(replace(segs[0], seq=seq & 0xFFFFFFFF, payload=self.junk(self.rng.randint(1, 512)),
                                   flags=ACK | PSH))
        if i in self.rst_at:
            out.append(control(conn, C2S, segs[0].seq + OOW + self.rng.randrange(1 << 20), segs[0].ack, RST | ACK))
        return out + segs


class RstForged(Evasion):
    name = "rst-forged"
    doc = "a client RST with an out-of-window seq just before the first file CREATE on ADMIN$; the session goes on"

    def prepare(self, conn):
        v = View(conn)
        at = None if v.tcp_rpc else next((m.at for m, k, name, tid in v.creates
                                           if name and v.trees.get(tid, "").upper().endswith("\\ADMIN$")), None)
        if at is None:
            frames = data_frames(conn)
            if not frames:
                raise Unfit("no client data")
            at = self.rng.choice(frames[:max(1, len(frames) // 3)])
        self.points.add(at)

    def data(self, conn, i, segs):
        if i not in self.points:
            return segs
        rst = control(conn, C2S, segs[0].seq + OOW + self.rng.randrange(1 << 20), segs[0].ack, RST | ACK)
        return [rst] + segs


class SynMidsession(Evasion):
    name = "syn-midsession"
    doc = "a SYN with a random seq on the same 4-tuple mid-session, the server's challenge ACK; the session goes on"

    def prepare(self, conn):
        mid = middle(data_frames(conn))
        if not mid:
            raise Unfit("no client data")
        self.points.add(self.rng.choice(mid))

    def data(self, conn, i, segs):
        if i not in self.points:
            return segs
        isn = conn.s[C2S].isn_seg
        syn = control(conn, C2S, self.rng.getrandbits(32), 0, SYN,
                      opts=isn.opts if isn else struct.pack("!BBH", 2, 4, 1460), win=isn.win if isn else 64240)
        challenge = control(conn, S2C, conn.next_seq(S2C), segs[0].seq, ACK)
        return [syn, challenge] + segs


class IdleGap(Evasion):
    name = "idle-gap"
    doc = "the session's packets from a random point in its middle on are 600 s later"
    gap_us = 600 * 1000000

    def prepare(self, conn):
        self.gap_at = self.rng.choice(middle(conn.frames))


class Rpc1Byte(Evasion):
    name = "rpc-1byte"
    doc = "the client's first data segment split so the first segment is 1 byte (DCE-RPC on a dynamic port)"

    def data(self, conn, i, segs):
        if getattr(conn, "split", False) or len(segs[0].payload) < 2:
            return segs
        conn.split = True
        s = segs[0]
        return [replace(s, payload=s.payload[:1], flags=s.flags & ~PSH),
                replace(s, seq=(s.seq + 1) & 0xFFFFFFFF, payload=s.payload[1:])] + segs[1:]


class SynSweep(Evasion):
    name = "syn-sweep"
    doc = "50,000 SYNs to port 445 of distinct hosts 10.200.x.y from one scanner, across the capture's timespan"
    N = 50000

    def finish(self, frames):
        tmpl = next((c.tmpl[C2S] for c in self.cap.targets() if c.tmpl[C2S] and not c.tmpl[C2S].v6), None)
        if tmpl is None:
            raise Unfit("no IPv4 connection to take the Ethernet header from")
        base = Seg(tmpl.l2[:6] + b"\x02\x53\x43\x41\x4e\x01" + tmpl.l2[12:], bytes([10, 201, 0, 66]), b"", 64, 0,
                   0, True, 6, 0, 445, flags=SYN, win=64240,
                   opts=struct.pack("!BBHBBBB", 2, 4, 1460, 1, 1, 4, 2))
        t0, t1 = frames[0].ts, frames[-1].ts
        hosts = self.rng.sample(range(1, 0xFFFF), self.N)
        times = sorted(self.rng.randint(t0, t1) for _ in hosts)
        syns = [Frame(t, frame(replace(base, dst=bytes([10, 200, h >> 8, h & 0xFF]), ipid=self.rng.getrandbits(16),
                                       sport=self.rng.randint(1024, 65535), seq=self.rng.getrandbits(32))))
                for t, h in zip(times, hosts)]
        out = Emitter()
        for f in heapq.merge(frames, syns, key=lambda f: f.ts):
            out.emit(f.ts, [f.data])
        return out.frames


CLASSES = (Frag4InOrder, Frag4Reverse, Frag4Random, Frag6InOrder, Frag6Reverse, Frag6Random, FragOverlapOld, FragOverlapNew,
           TinyReorder, TcpDup, OverlapInOrder, OverlapOoo, ChaffBadsum, ChaffOow, RstForged, SynMidsession,
           TtlChaff, IdleGap)
