#!/usr/bin/python3
"""Write demo/demo.pcap: a small, synthetic but protocol-correct capture of a
PAExec lateral movement among ordinary traffic, for `jumpgate demo`.

Story (times in UTC, 2026-03-02):
  09:00  workstation WKSTN07 (10.20.30.7) resolves names, browses the intranet,
         reads a file from the file server (10.20.30.5, share "public")
  09:01  WKSTN07 runs PAExec against the server SRV-DB01 (10.20.30.40):
         SMB2 negotiate, NTLMSSP session setup as CORP\\jdoe, tree connect
         \\\\SRV-DB01\\ADMIN$, create + write PAExec-4242-WKSTN07.exe (the name is
         split across two TCP segments), tree connect IPC$, open \\pipe\\svcctl,
         DCE-RPC bind to SVCCTL, CreateServiceW "PAExec-4242-WKSTN07" with
         binary path %SystemRoot%\\PAExec-4242-WKSTN07.exe -service, StartServiceW.

Only Debian's python3-scapy is needed:  /usr/bin/python3 demo/make-demo-pcap.py [OUT]
The output is deterministic (fixed times, ports and sequence numbers).
"""
import struct
import sys

from scapy.all import DNS, DNSQR, DNSRR, IP, TCP, UDP, Ether, wrpcap

T0 = 1772442000.0  # 2026-03-02T09:00:00Z
WS, WS_MAC = "10.20.30.7", "52:54:00:00:00:07"
FS, FS_MAC = "10.20.30.5", "52:54:00:00:00:05"
DB, DB_MAC = "10.20.30.40", "52:54:00:00:00:28"
DNS_IP, DNS_MAC = "10.20.30.2", "52:54:00:00:00:02"
WEB, GW_MAC = "10.20.40.80", "52:54:00:00:00:01"

packets = []


def u16(s):
    return s.encode("utf-16-le")


class Conn:
    """A TCP connection with correct handshake, sequence numbers and teardown."""

    def __init__(self, cip, cmac, sip, smac, sport, dport, t):
        self.c, self.cm, self.s, self.sm = cip, cmac, sip, smac
        self.sport, self.dport, self.t = sport, dport, t
        self.cseq, self.sseq = 1000000 + sport, 5000000 + dport
        self._pkt(True, "S", b"", syn=True)
        self._pkt(False, "SA", b"", syn=True)
        self._pkt(True, "A", b"")

    def _pkt(self, from_client, flags, data, syn=False):
        if from_client:
            p = Ether(src=self.cm, dst=self.sm) / IP(src=self.c, dst=self.s) / TCP(
                sport=self.sport, dport=self.dport, flags=flags, seq=self.cseq,
                ack=self.sseq if "A" in flags else 0, window=64240)
        else:
            p = Ether(src=self.sm, dst=self.cm) / IP(src=self.s, dst=self.c) / TCP(
                sport=self.dport, dport=self.sport, flags=flags, seq=self.sseq,
                ack=self.cseq, window=64240)
        if data:
            p = p / data
        p.time = self.t
        self.t += 0.0002
        packets.append(p)
        adv = len(data) + (1 if syn or "F" in flags else 0)
        if from_client:
            self.cseq += adv
        else:
            self.sseq += adv

    def send(self, from_client, data, split=None):
        """Send data, optionally cut at the given offsets into several segments."""
        cuts = [0] + (split or []) + [len(data)]
        for a, b in zip(cuts, cuts[1:]):
            self._pkt(from_client, "PA", data[a:b])
        self._pkt(not from_client, "A", b"")

    def close(self):
        self._pkt(True, "FA", b"")
        self._pkt(False, "FA", b"")
        self._pkt(True, "A", b"")


def nbss(msg):
    return struct.pack(">I", len(msg)) + msg


class Smb2:
    def __init__(self):
        self.mid = 0
        self.sid = 0
        self.tid = 0

    def hdr(self, cmd, resp=False, status=0):
        flags = 1 if resp else 0
        h = b"\xfeSMB" + struct.pack("<HHIHHIIQIIQ", 64, 1, status, cmd, 1, flags, 0,
                                      self.mid, 0xFEFF, self.tid, self.sid) + b"\0" * 16
        return h

    def req(self, cmd, body):
        m = self.hdr(cmd) + body
        return m

    def resp(self, cmd, body, status=0):
        m = self.hdr(cmd, True, status) + body
        self.mid += 1
        return m


def negotiate(s):
    body = struct.pack("<HHHHI16sIHH", 36, 3, 1, 0, 0x7F, b"WKSTN07-CLIENTID", 0, 0, 0)
    body += struct.pack("<HHH", 0x0202, 0x0210, 0x0300)
    return s.req(0, body), s.resp(0, struct.pack("<HHHH16sIIII", 65, 1, 0x0210, 0, b"SRV-DB01-GUID-01",
                                                  0x2F, 65536, 65536, 65536) + b"\0" * 24)


def ntlm_auth(user, domain, ws):
    d, u, w = u16(domain), u16(user), u16(ws)
    off = 64
    msg = b"NTLMSSP\0" + struct.pack("<I", 3)
    fields = [b"", b"", d, u, w, b""]  # LM, NT, domain, user, workstation, session key
    payload = b""
    hdrs = b""
    for f in fields:
        hdrs += struct.pack("<HHI", len(f), len(f), off + len(payload))
        payload += f
    msg += hdrs + struct.pack("<I", 0xE2888215) + b"\0" * (off - 12 - len(hdrs) - 4) + payload
    return msg


def session_setup(s):
    blob = ntlm_auth("jdoe", "CORP", "WKSTN07")
    body = struct.pack("<HBBIIHHQ", 25, 0, 1, 0, 0, 64 + 24, len(blob), 0) + blob
    req = s.req(1, body)
    s.sid = 0x0000100000000041
    return req, s.resp(1, struct.pack("<HHHH", 9, 0, 0, 0))


def tree_connect(s, path, tid):
    p = u16(path)
    req = s.req(3, struct.pack("<HHHH", 9, 0, 72, len(p)) + p)
    s.tid = tid
    return req, s.resp(3, struct.pack("<HBBIII", 16, 1, 0, 0, 0, 0x001F01FF))


def create(s, name, fid):
    n = u16(name)
    body = struct.pack("<HBBIQQIIIIIHHII", 57, 0, 0, 2, 0, 0, 0x0012019F, 0x80, 7, 5, 0x40, 120, len(n), 0, 0)
    req = s.req(5, body + n)
    rbody = struct.pack("<HBBIQQQQQQII", 89, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0x80, 0) + fid + struct.pack("<II", 0, 0)
    return req, s.resp(5, rbody)


def write(s, fid, data):
    body = struct.pack("<HHIQ", 49, 112, len(data), 0) + fid + struct.pack("<IIHHI", 0, 0, 0, 0, 0)
    return s.req(9, body + data), s.resp(9, struct.pack("<HHIIHH", 17, 0, len(data), 0, 0, 0))


def dcerpc(ptype, call_id, body, opnum=None):
    if ptype == 0:  # request
        body = struct.pack("<IHH", len(body), 0, opnum) + body
    frag = 16 + len(body)
    return struct.pack("<BBBB4sHHI", 5, 0, ptype, 3, b"\x10\0\0\0", frag, 0, call_id) + body


SVCCTL = bytes.fromhex("367abb81984435f1ad3298f038001003")
NDR = bytes.fromhex("045d888aeb1cc9119fe808002b10486002000000")


def uuid_le(b):
    # DCE UUIDs are little-endian in their first three fields
    return b[3::-1] + b[5:3:-1] + b[7:5:-1] + b[8:]


def bind():
    ctx = struct.pack("<HBB", 0, 1, 0) + uuid_le(SVCCTL) + struct.pack("<HH", 2, 0) + NDR
    return dcerpc(11, 1, struct.pack("<HHIB3s", 4280, 4280, 0, 1, b"\0\0\0") + ctx)


def ndr_wstr(s, ref=None):
    w = s + "\0"
    data = struct.pack("<III", len(w), 0, len(w)) + u16(w)
    data += b"\0" * ((4 - len(data) % 4) % 4)
    return (struct.pack("<I", ref) if ref else b"") + data


def create_service(name, path):
    stub = b"\0" * 20  # SCM handle
    stub += ndr_wstr(name)
    stub += ndr_wstr(name, ref=0x00020000)
    stub += struct.pack("<IIII", 0x000F01FF, 0x10, 3, 0)
    stub += ndr_wstr(path)
    stub += struct.pack("<IIIIIII", 0, 0, 0, 0, 0, 0, 0)
    return dcerpc(0, 2, stub, opnum=12)


def is_response(m):
    return struct.unpack("<I", m[16:20])[0] & 1 == 1


def benign():
    t = T0
    for i, name in enumerate(["fileserver.corp.example", "intranet.corp.example", "srv-db01.corp.example"]):
        ip = [FS, WEB, DB][i]
        q = Ether(src=WS_MAC, dst=DNS_MAC) / IP(src=WS, dst=DNS_IP) / UDP(sport=53000 + i, dport=53) / DNS(
            id=100 + i, rd=1, qd=DNSQR(qname=name))
        r = Ether(src=DNS_MAC, dst=WS_MAC) / IP(src=DNS_IP, dst=WS) / UDP(sport=53, dport=53000 + i) / DNS(
            id=100 + i, qr=1, aa=1, rd=1, ra=1, qd=DNSQR(qname=name), an=DNSRR(rrname=name, rdata=ip))
        q.time, r.time = t, t + 0.001
        packets.extend([q, r])
        t += 0.5
    web = Conn(WS, WS_MAC, WEB, GW_MAC, 51000, 80, T0 + 2)
    web.send(True, b"GET /index.html HTTP/1.1\r\nHost: intranet.corp.example\r\n\r\n")
    web.send(False, b"HTTP/1.1 200 OK\r\nContent-Length: 1200\r\n\r\n" + b"<p>welcome</p>" * 85 + b"xx")
    web.close()
    # a benign file read from the normal share
    c = Conn(WS, WS_MAC, FS, FS_MAC, 51010, 445, T0 + 5)
    s = Smb2()
    for m in negotiate(s) + session_setup(s) + tree_connect(s, "\\\\fileserver\\public", 5):
        c.send(not is_response(m), nbss(m))
    fid = b"\x11" * 16
    for i, m in enumerate(create(s, "reports\\q1-summary.xlsx", fid)):
        c.send(i == 0, nbss(m))
    c.close()


def paexec():
    c = Conn(WS, WS_MAC, DB, DB_MAC, 51234, 445, T0 + 60)
    s = Smb2()

    def xchg(pair, split_first=None):
        c.send(True, nbss(pair[0]), split=split_first)
        c.send(False, nbss(pair[1]))

    xchg(negotiate(s))
    xchg(session_setup(s))
    xchg(tree_connect(s, "\\\\SRV-DB01\\ADMIN$", 1))
    fid = b"\x22" * 16
    req, rsp = create(s, "PAExec-4242-WKSTN07.exe", fid)
    # the file name is split across two TCP segments: "...PAExec-42" | "42-WKSTN07.exe"
    xchg((req, rsp), split_first=[4 + 120 + 2 * len("PAExec-42")])
    xchg(write(s, fid, b"MZ\x90\x00" + b"\x00" * 60 + b"This program cannot be run in DOS mode." + b"\x00" * 400))
    xchg(tree_connect(s, "\\\\SRV-DB01\\IPC$", 2))
    pipe = b"\x33" * 16
    xchg(create(s, "svcctl", pipe))
    xchg(write(s, pipe, bind()))
    svc = "PAExec-4242-WKSTN07"
    xchg(write(s, pipe, create_service(svc, "%SystemRoot%\\" + svc + ".exe -service")))
    c.close()


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "demo/demo.pcap"
    benign()
    paexec()
    packets.sort(key=lambda p: float(p.time))
    wrpcap(out, packets)
    print(f"{out}: {len(packets)} packets")


main()
