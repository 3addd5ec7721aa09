"""The messages of one connection's rebuilt streams, seen as NetBIOS/SMB2 (or, on a
DCE-RPC-over-TCP connection, as bare PDUs): trees, creates, and the DCE-RPC PDUs that
named-pipe writes, reads and ioctls carry. Rewriting a PDU fixes the lengths of every
layer around it; message ids can be shifted to make room for inserted requests. Message
signatures are left as they were (stale where a message changed)."""
import struct

from flows import C2S, S2C, u16, u32

MAGIC = b"\xfeSMB"
TREE_CONNECT, CREATE, READ, WRITE, IOCTL = 3, 5, 8, 9, 11
F_RESPONSE, F_ASYNC, F_RELATED = 1, 2, 4
FSCTL_PIPE_TRANSCEIVE = 0x0011C017
NO_MID = 0xFFFFFFFFFFFFFFFF


class Msg:
    """One message of direction d at [start, end) of the original stream; `data` is
    what replaces it (several messages once a request is split)."""

    def __init__(self, d, start, end, data, at):
        self.d, self.start, self.end, self.at = d, start, end, at
        self.data, self.orig = bytearray(data), bytes(data)


def nbss_messages(data):
    """[(start, end)] of the complete NetBIOS session messages in data."""
    out, o = [], 0
    while o + 4 <= len(data):
        n = struct.unpack_from("!I", data, o)[0] & 0xFFFFFF
        if o + 4 + n > len(data):
            break
        out.append((o, o + 4 + n))
        o += 4 + n
    return out


def rpc_pdus(data):
    """[(start, end)] of the DCE-RPC PDUs of a DCE-RPC-over-TCP stream."""
    out, o = [], 0
    while o + 16 <= len(data) and data[o] == 5:
        n = u16(data, o + 8) if data[o + 4] & 0x10 else struct.unpack_from("!H", data, o + 8)[0]
        if n < 16 or o + n > len(data):
            break
        out.append((o, o + n))
        o += n
    return out


def headers(buf):
    """Offsets of the SMB2 headers of every NetBIOS message in buf."""
    out = []
    for a, b in nbss_messages(buf):
        o = a + 4
        while o + 64 <= b and buf[o:o + 4] == MAGIC:
            out.append(o)
            nxt = u32(buf, o + 20)
            if nxt == 0:
                break
            o += nxt
    return out


def mid(buf, h):
    return struct.unpack_from("<Q", buf, h + 24)[0]


def _data_fields(buf, h, cmd, response):
    """(offset field, its size, count field) of the buffer a command carries, relative
    to the header: WRITE data, READ response data, IOCTL input or output."""
    if cmd == WRITE and not response:
        return 66, 2, 68
    if cmd == READ and response:
        return 66, 1, 68
    if cmd == IOCTL:
        return (96, 4, 100) if response else (88, 4, 92)
    return None


def _put(buf, o, size, v):
    struct.pack_into({1: "<B", 2: "<H", 4: "<I"}[size], buf, o, v)


def _get(buf, o, size):
    return struct.unpack_from({1: "<B", 2: "<H", 4: "<I"}[size], buf, o)[0]


class Carrier:
    """A DCE-RPC PDU in a message: the buffer of command k (SMB), or the message itself
    (DCE-RPC over TCP). `pipe` names the pipe (its FileId) or is 'tcp'."""

    def __init__(self, msg, k, pipe):
        self.msg, self.k, self.pipe = msg, k, pipe

    def _span(self):
        if self.k is None:
            return 0, len(self.msg.data)
        buf = self.msg.data
        h = headers(buf)[self.k]
        f = _data_fields(buf, h, u16(buf, h + 12), u32(buf, h + 16) & F_RESPONSE)
        return h + _get(buf, h + f[0], f[1]), _get(buf, h + f[2], 4)

    @property
    def pdu(self):
        a, n = self._span()
        return bytes(self.msg.data[a:a + n])

    def set(self, pdu):
        """Put pdu in place of the carried one, fixing the command's count, the compound's
        NextCommand offsets and the NetBIOS length."""
        if self.k is None:
            self.msg.data[:] = pdu
            return
        buf = self.msg.data
        hs = headers(buf)
        h = hs[self.k]
        a, n = self._span()
        f = _data_fields(buf, h, u16(buf, h + 12), u32(buf, h + 16) & F_RESPONSE)
        ends = hs[1:] + [len(buf)]
        chunks = [bytearray(buf[x:y]) for x, y in zip(hs, ends)]
        c = chunks[self.k]
        c[:] = c[:a - h] + pdu + (c[a - h + n:] if self.k == len(hs) - 1 else b"")
        _put(c, f[2], 4, len(pdu))
        buf[:] = join(chunks, buf[:4])


def join(chunks, nbss=b"\0\0\0\0"):
    """One NetBIOS message of SMB2 commands, each but the last padded to 8 bytes."""
    out = bytearray()
    for k, c in enumerate(chunks):
        c = bytearray(c)
        if k < len(chunks) - 1:
            c += bytes(-len(c) % 8)
            struct.pack_into("<I", c, 20, len(c))
        else:
            struct.pack_into("<I", c, 20, 0)
        out += c
    return bytes(nbss[:1]) + struct.pack("!I", len(out))[1:] + out


class View:
    """The messages of a targeted connection, as SMB2 or as DCE-RPC over TCP."""

    def __init__(self, conn):
        self.conn = conn
        self.msgs = [[], []]
        c2s = bytes(conn.s[C2S].data)
        self.tcp_rpc = c2s[:2] == b"\x05\x00"
        for d in (C2S, S2C):
            st = conn.s[d]
            data, segs = bytes(st.data), st.segments()
            for a, b in (rpc_pdus(data) if self.tcp_rpc else nbss_messages(data)):
                at = next((i for x, y, i in segs if x <= a < y), None)
                if at is not None:
                    self.msgs[d].append(Msg(d, a, b, data[a:b], at))
        self.trees, self.creates, self.carriers = {}, [], []
        self._scan()

    def _scan(self):
        if self.tcp_rpc:
            for d in (C2S, S2C):
                self.carriers += [Carrier(m, None, "tcp") for m in self.msgs[d]]
            return
        tree_req, read_fid = {}, {}
        for m in self.msgs[C2S]:
            tid = None
            for k, h in enumerate(headers(m.data)):
                buf, cmd = m.data, u16(m.data, h + 12)
                if not u32(buf, h + 16) & F_RELATED or tid is None:
                    tid = u32(buf, h + 36)
                if cmd == TREE_CONNECT:
                    po, pl = u16(buf, h + 68), u16(buf, h + 70)
                    tree_req[mid(buf, h)] = bytes(buf[h + po:h + po + pl]).decode("utf-16le", "replace")
                elif cmd == CREATE:
                    no, nl = u16(buf, h + 108), u16(buf, h + 110)
                    name = bytes(buf[h + no:h + no + nl]).decode("utf-16le", "replace") if nl else ""
                    self.creates.append((m, k, name, tid))
                elif cmd == READ:
                    read_fid[mid(buf, h)] = bytes(buf[h + 80:h + 96])
                elif cmd == WRITE:
                    self._carrier(m, k, bytes(buf[h + 80:h + 96]))
                elif cmd == IOCTL and u32(buf, h + 68) == FSCTL_PIPE_TRANSCEIVE:
                    self._carrier(m, k, bytes(buf[h + 72:h + 88]))
        for m in self.msgs[S2C]:
            for k, h in enumerate(headers(m.data)):
                buf, cmd = m.data, u16(m.data, h + 12)
                if u32(buf, h + 8) not in (0, 0x80000005):    # success, buffer overflow
                    continue
                if cmd == TREE_CONNECT and mid(buf, h) in tree_req:
                    self.trees[u32(buf, h + 36)] = tree_req[mid(buf, h)]
                elif cmd == READ and mid(buf, h) in read_fid:
                    self._carrier(m, k, read_fid[mid(buf, h)])
                elif cmd == IOCTL and u32(buf, h + 68) == FSCTL_PIPE_TRANSCEIVE:
                    self._carrier(m, k, bytes(buf[h + 72:h + 88]))

    def _carrier(self, m, k, pipe):
        c = Carrier(m, k, pipe)
        p = c.pdu
        if len(p) >= 16 and p[0] == 5 and p[1] == 0:
            self.carriers.append(c)

    def in_order(self, carriers):
        return sorted(carriers, key=lambda c: (c.msg.at, c.msg.d, c.msg.start))

    def shift_mids(self, m, delta):
        """Every message id >= m moved up by delta (room for requests inserted at m)."""
        for d in (C2S, S2C):
            for msg in self.msgs[d]:
                if self.tcp_rpc:
                    continue
                for h in headers(msg.data):
                    v = mid(msg.data, h)
                    if v != NO_MID and v >= m:
                        struct.pack_into("<Q", msg.data, h + 24, v + delta)

    def commit(self):
        """Turn the changed messages into edits of the connection's streams."""
        for d in (C2S, S2C):
            for m in self.msgs[d]:
                if bytes(m.data) != m.orig:
                    self.conn.s[d].edit(m.start, m.end, m.data)
