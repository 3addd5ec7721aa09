"""Classes that rewrite SMB2 and DCE-RPC: the connection is re-emitted from its edited
byte streams (flows.rebuild moves every seq and ack to match)."""
import struct

from flows import C2S, S2C, Evasion, Unfit
import rpc
from smb import CREATE, F_RELATED, WRITE, Carrier, Msg, View, headers, join, mid

# tool literals from config/patterns.yaml; "PAExec-1-X" a PAExec name of its own
DECOYS = ("PSEXESVC", "psexecsvc-", "PSEXEC-", "RemCom_", "RemComSvc", "winexesvc", "csexecsvc",
          "\\__output", "execute.bat", "PAExec-1-X")
ARTIFACTS = ("paexec-", "psexesvc", "psexecsvc-", "psexec-", "remcom", "winexesvc", "csexecsvc")


def svcctl_pipes(view):
    return {c.pipe for c in view.carriers if c.msg.d == C2S and rpc.ptype(c.pdu) in (rpc.BIND, rpc.ALTER)
            and any(a == rpc.SVCCTL for _, _, a in rpc.contexts(c.pdu))}


def svcctl_requests(view, opnums):
    pipes = svcctl_pipes(view)
    return [c for c in view.in_order(view.carriers)
            if c.msg.d == C2S and c.pipe in pipes and rpc.ptype(c.pdu) == rpc.REQUEST and len(c.pdu) >= 24
            and rpc.opnum(c.pdu) in opnums and rpc.little(c.pdu)]


class RpcJunkCtx(Evasion):
    name = "rpc-junk-ctx"
    doc = "the svcctl bind gets 20 junk presentation contexts before the real one (rejected in the bind_ack)"
    N = 20

    def prepare(self, conn):
        v = View(conn)
        binds = [c for c in v.in_order(v.carriers) if c.msg.d == C2S and rpc.ptype(c.pdu) == rpc.BIND
                 and any(a == rpc.SVCCTL for _, _, a in rpc.contexts(c.pdu))]
        if not binds:
            raise Unfit("no DCE-RPC bind to svcctl")
        for b in binds:
            at, cid = b.msg.at, rpc.call_id(b.pdu)
            pdu, ids = rpc.add_junk_contexts(b.pdu, self.N, self.rng)
            later = [c for c in v.in_order(v.carriers) if c.pipe == b.pipe and c.msg.at >= at and c is not b]
            ack = next((c for c in later if c.msg.d == S2C and rpc.ptype(c.pdu) == rpc.BIND_ACK
                        and rpc.call_id(c.pdu) == cid), None)
            b.set(pdu)
            if ack is not None:
                ack.set(rpc.add_rejections(ack.pdu, self.N))
            for c in later:
                if c is not ack and rpc.ptype(c.pdu) == rpc.BIND:
                    break
                if c is not ack:
                    c.set(rpc.renumber_context(c.pdu, ids))
        v.commit()


def _write_from(msg_bytes, k, fid, pdu):
    """An SMB2 WRITE of pdu to fid, its header taken from command k of a message."""
    h = headers(msg_bytes)[k]
    hdr = bytearray(msg_bytes[h:h + 64])
    struct.pack_into("<H", hdr, 12, WRITE)
    body = struct.pack("<HHIQ16sIIHHI", 49, 64 + 48, len(pdu), 0, fid, 0, 0, 0, 0, 0)
    return join([bytes(hdr) + body + pdu])


class RpcFrag3(Evasion):
    name = "rpc-frag3"
    doc = "the CreateServiceW request is split into 3 DCE-RPC fragments, each in its own SMB2 WRITE"

    def prepare(self, conn):
        v = View(conn)
        reqs = [c for c in svcctl_requests(v, (12, 45)) if c.pdu[3] & 3 == 3 and not rpc.u16(c.pdu, 10)]
        if not reqs:
            raise Unfit("no single-fragment CreateServiceW request on svcctl")
        cuts_at = []
        for c in reqs:
            p = c.pdu
            n = len(p) - rpc.stub_at(p)
            if n < 3:
                continue
            a = self.rng.randint(1, n - 2)
            frags = rpc.split_request(p, (a, self.rng.randint(a + 1, n - 1)))
            if c.k is None:
                c.msg.data[:] = b"".join(frags)
                bounds = [len(frags[0]), len(frags[0]) + len(frags[1])]
            else:
                if len(headers(c.msg.data)) != 1:
                    continue
                h = headers(c.msg.data)[0]
                m0 = mid(c.msg.data, h)
                v.shift_mids(m0, 2)
                last = Msg(C2S, 0, 0, c.msg.data, c.msg.at)
                Carrier(last, 0, c.pipe).set(frags[2])
                first = []
                for k in (0, 1):
                    w = bytearray(_write_from(c.msg.data, 0, c.pipe, frags[k]))
                    struct.pack_into("<Q", w, 4 + 24, m0 + k)
                    first.append(bytes(w))
                c.msg.data[:] = first[0] + first[1] + last.data
                bounds = [len(first[0]), len(first[0]) + len(first[1])]
            cuts_at.append((c.msg, bounds))
        if not cuts_at:
            raise Unfit("CreateServiceW stub too short to split")
        v.commit()
        st = conn.s[C2S]
        for m, bounds in cuts_at:
            base = st.map(m.start)
            st.cuts.update(base + x for x in bounds)


class RpcBigEndian(Evasion):
    name = "rpc-bigendian"
    doc = "svcctl requests (OpenSCManagerW, CreateServiceW, ...) re-encoded with big-endian NDR"

    def prepare(self, conn):
        v = View(conn)
        done = set()
        for c in svcctl_requests(v, rpc.SVCCTL_STUBS):
            p = c.pdu
            if p[3] & 3 != 3 or rpc.u16(p, 10):
                continue
            try:
                c.set(rpc.big_endian_request(p, rpc.SVCCTL_STUBS[rpc.opnum(p)]))
            except ValueError as e:
                raise Unfit(f"svcctl opnum {rpc.opnum(p)} call {rpc.call_id(p)}: {e}")
            done.add(rpc.opnum(p))
        if not done & {12, 45}:
            raise Unfit(f"no CreateServiceW request on svcctl (re-encoded opnums: {sorted(done)})")
        v.commit()


class DecoyLiterals(Evasion):
    name = "decoy-literals"
    doc = "the CREATE of the tool's file on an admin share is preceded, in one compound, by a WRITE of 10 decoy literals"

    def decoy(self):
        out = b""
        for lit in DECOYS:
            out += self.junk(2 * self.rng.randint(1, 6)) + lit.encode("utf-16le")
        return out

    def prepare(self, conn):
        v = View(conn)
        targets = []
        for m, k, name, tid in v.creates:
            share = v.trees.get(tid, "").rsplit("\\", 1)[-1].upper()
            if share.endswith("$") and share != "IPC$" and any(a in name.lower() for a in ARTIFACTS):
                targets.append((m, k))
        if not targets:
            raise Unfit("no CREATE of a tool's file on an admin share")
        for m, k in targets:
            hs = headers(m.data)
            h = hs[k]
            m0 = mid(m.data, h)
            v.shift_mids(m0, 1)
            chunks = [bytearray(m.data[x:y]) for x, y in zip(hs, hs[1:] + [len(m.data)])]
            fid = self.rng.randbytes(16)
            w = bytearray(_write_from(m.data, k, fid, self.decoy())[4:])
            struct.pack_into("<Q", w, 24, m0)
            struct.pack_into("<I", w, 16, struct.unpack_from("<I", w, 16)[0] & ~F_RELATED)
            create = chunks[k]
            struct.pack_into("<I", create, 16, struct.unpack_from("<I", create, 16)[0] | F_RELATED)
            assert struct.unpack_from("<H", create, 12)[0] == CREATE
            chunks.insert(k, w)
            m.data[:] = join(chunks, m.data[:4])
        v.commit()
