"""Connection-oriented DCE-RPC PDUs (little-endian ones, as captured) and what the RPC
classes do to them: junk presentation contexts in a bind and their rejections in the
bind_ack, a request cut into fragments, a request re-encoded big-endian (header and
NDR stub, by the parameter lists of the SVCCTL calls below)."""
import struct
import uuid

from flows import u16, u32

SVCCTL = uuid.UUID("367abb81-9844-35f1-ad32-98f038001003").bytes_le
NDR = uuid.UUID("8a885d04-1ceb-11c9-9fe8-08002b104860").bytes_le
REQUEST, RESPONSE, FAULT, BIND, BIND_ACK, ALTER, ALTER_RESP = 0, 2, 3, 11, 12, 14, 15
PFC_FIRST, PFC_LAST, PFC_OBJECT = 0x01, 0x02, 0x80
CTX_ITEM_JUNK = 44       # ctx id, count, reserved, abstract syntax, one transfer syntax
RESULT = 24              # result, reason, transfer syntax

# MS-SCMR parameter lists, as NDR sees them: ctx = context handle, u32, str = [string]
# wchar_t* (conformant varying), ustr = unique pointer to one, udword = unique pointer to
# a DWORD, ubytes = unique pointer to a conformant byte array.
_CREATE = ("ctx", "str", "ustr", "u32", "u32", "u32", "u32", "str", "ustr", "udword", "ubytes", "u32",
           "ustr", "ubytes", "u32")
SVCCTL_STUBS = {
    0: ("ctx",),                      # RCloseServiceHandle
    12: _CREATE,                      # RCreateServiceW
    15: ("ustr", "ustr", "u32"),      # ROpenSCManagerW
    16: ("ctx", "str", "u32"),        # ROpenServiceW
    45: _CREATE,                      # RCreateServiceWOW64W
}


def ptype(p):
    return p[2]


def call_id(p):
    return u32(p, 12)


def little(p):
    return bool(p[4] & 0x10)


def opnum(p):
    return u16(p, 22)


def contexts(p):
    """[(offset, ctx id, abstract syntax uuid)] of a bind or alter_context."""
    out, o = [], 28
    for _ in range(p[24]):
        if o + 24 > len(p):
            break
        out.append((o, u16(p, o), bytes(p[o + 4:o + 20])))
        o += 24 + 20 * p[o + 2]
    return out


def _set_frag_len(p):
    struct.pack_into("<H", p, 8, len(p))


def add_junk_contexts(p, n, rng):
    """A bind with n contexts of random interfaces first (ids 0..n-1), the real ones
    after them with their ids moved up by n. Returns (pdu, {old id: new id})."""
    junk = b"".join(struct.pack("<HBB", k, 1, 0) + rng.randbytes(16) + struct.pack("<HH", rng.randint(1, 4), 0)
                    + NDR + struct.pack("<I", 2) for k in range(n))
    ids = {cid: cid + n for _, cid, _ in contexts(p)}
    q = bytearray(p[:28] + junk + p[28:])
    q[24] = p[24] + n
    for o, cid, _ in contexts(p):
        struct.pack_into("<H", q, o + len(junk), cid + n)
    _set_frag_len(q)
    return bytes(q), ids


def add_rejections(p, n):
    """A bind_ack with n "provider rejection, abstract syntax not supported" results
    before the real ones."""
    o = 26 + u16(p, 24)
    o += -o % 4
    q = bytearray(p[:o + 4] + (struct.pack("<HH", 2, 1) + bytes(20)) * n + p[o + 4:])
    q[o] = p[o] + n
    _set_frag_len(q)
    return bytes(q)


def renumber_context(p, ids):
    """p with its presentation context ids moved by ids (requests, responses, faults,
    alter_context)."""
    q = bytearray(p)
    if ptype(p) in (REQUEST, RESPONSE, FAULT) and len(p) >= 24:
        cid = u16(p, 20)
        struct.pack_into("<H", q, 20, ids.get(cid, cid))
    elif ptype(p) == ALTER:
        for o, cid, _ in contexts(p):
            struct.pack_into("<H", q, o, ids.get(cid, cid))
    return bytes(q)


def stub_at(p):
    return 24 + (16 if p[3] & PFC_OBJECT else 0)


def split_request(p, cuts):
    """A single-fragment request cut into fragments at the stub offsets `cuts`:
    first/middle/last flags, alloc_hint the stub bytes left from each fragment on."""
    h = stub_at(p)
    stub = p[h:]
    bounds = [0] + list(cuts) + [len(stub)]
    out = []
    for k in range(len(bounds) - 1):
        q = bytearray(p[:h] + stub[bounds[k]:bounds[k + 1]])
        q[3] = p[3] & ~(PFC_FIRST | PFC_LAST) | (PFC_FIRST if k == 0 else 0) | (
            PFC_LAST if k == len(bounds) - 2 else 0)
        struct.pack_into("<I", q, 16, len(stub) - bounds[k])
        _set_frag_len(q)
        out.append(bytes(q))
    return out


def _ndr_swaps(stub, spec):
    """(offset, size) of every integer and UTF-16 code unit of a stub, walking spec."""
    swaps, pos = [], 0

    def take(size):
        nonlocal pos
        pos += -pos % min(size, 4)
        if pos + size > len(stub):
            raise ValueError(f"stub ends at {len(stub)}, needs {pos + size}")
        swaps.append((pos, size))
        pos += size
        return int.from_bytes(stub[pos - size:pos], "little")

    def string():
        nonlocal pos
        take(4), take(4)
        n = take(4)
        for _ in range(n):
            take(2)

    for item in spec:
        if item == "ctx":
            take(4), take(4), take(2), take(2)
            pos += 8
        elif item == "u32":
            take(4)
        elif item == "str":
            string()
        elif item == "ustr" and take(4):
            string()
        elif item == "udword" and take(4):
            take(4)
        elif item == "ubytes" and take(4):
            pos += take(4)
    if len(stub) - pos >= 4 or pos > len(stub):
        raise ValueError(f"stub is {len(stub)} bytes, parameters end at {pos}")
    return swaps


def big_endian_request(p, spec):
    """The request p (little-endian, single fragment, no auth) encoded big-endian."""
    q = bytearray(p)
    q[4] = p[4] & 0x0F
    for o, n in ((8, 2), (10, 2), (12, 4), (16, 4), (20, 2), (22, 2)):
        q[o:o + n] = p[o:o + n][::-1]
    if p[3] & PFC_OBJECT:
        for o, n in ((24, 4), (28, 2), (30, 2)):
            q[o:o + n] = p[o:o + n][::-1]
    h = stub_at(p)
    for o, n in _ndr_swaps(p[h:], spec):
        q[h + o:h + o + n] = p[h + o:h + o + n][::-1]
    return bytes(q)
