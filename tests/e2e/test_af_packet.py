#!/usr/bin/python3
"""Live on a real Linux interface: `jumpgate run` on net_af_packet at one end of a veth
pair, tcpreplay of the bundled capture into the other end (inside a network namespace
this test creates), jgctl answering while it runs, and the capture's flows in flows.jsonl."""
import json
import os
import signal
import subprocess
import time

from jgtest import *

need_root_and_hugepages()
if subprocess.run(["ip", "netns", "list"], capture_output=True).returncode != 0:
    skip("cannot use network namespaces here")
if subprocess.run(["which", "tcpreplay"], capture_output=True).returncode != 0:
    skip("tcpreplay is not installed")

tag = f"jg{os.getpid() % 100000}"
ns, host_if, peer_if = f"{tag}ns", f"{tag}a", f"{tag}b"
work = tmpdir("afp")
sock = os.path.join(work, "jgctl.sock")


def sh(*args, check_rc=True):
    r = subprocess.run(list(args), capture_output=True, text=True)
    if check_rc and r.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}: {r.stderr}")
    return r



try:
    sh("ip", "netns", "add", ns)
    sh("ip", "link", "add", host_if, "type", "veth", "peer", "name", peer_if)
    sh("ip", "link", "set", peer_if, "netns", ns)
    # no IPv6 chatter (router solicitations) on the link: only the replayed packets
    sh("sysctl", "-qw", f"net.ipv6.conf.{host_if}.disable_ipv6=1")
    sh("ip", "netns", "exec", ns, "sysctl", "-qw", f"net.ipv6.conf.{peer_if}.disable_ipv6=1")
    sh("ip", "link", "set", host_if, "up")
    sh("ip", "netns", "exec", ns, "ip", "link", "set", peer_if, "up")
    cfg = os.path.join(work, "afp.yaml")
    with open(cfg, "w") as f:
        f.write(f"""
eal: {{ file_prefix: jg-afp-{os.getpid()} }}
lcores: {{ main: 0, workers: [1] }}
ports:
  - name: veth
    device: "net_af_packet0,iface={host_if},qpairs=1,framecnt=4096,blocksz=4096,framesz=2048"
flows: {{ table_size: 65536 }}
control: {{ socket: {sock} }}
output: {{ dir: {work}/out }}
""")
    with Live(cfg) as live:
        s = wait_status(sock, lambda s: s["state"] == "running" and s["ports"][0]["link_up"])
        check(s is not None, "jgctl status --json answers while live on net_af_packet")
        if s:
            sh("ip", "netns", "exec", ns, "tcpreplay", "-q", "-i", peer_if, "--pps=2000", DEMO_PCAP)
            s = wait_status(sock, lambda s: s["ports"][0]["ipackets"] >= 81, 20)
            check(s is not None and s["ports"][0]["ipackets"] == 81, "every replayed packet received")
            if s:
                c = s["workers"][0]["counters"]
                check(c["pkt-flow"] == 81 and c["flow-new"] == 6, f"81 packets in 6 flows: {c['pkt-flow']}, {c['flow-new']}")
    print(live.output[-1500:])
    check(live.returncode == 0, f"clean stop ({live.returncode})")
finally:
    sh("ip", "link", "del", host_if, check_rc=False)
    sh("ip", "netns", "del", ns, check_rc=False)

flows = jsonl(os.path.join(work, "out", "flows.jsonl"))
smb = [f for f in flows if f["dst_port"] == 445 and f["dst_ip"] == "10.20.30.40"]
check(len(flows) == 6, f"6 flows written ({len(flows)})")
check(len(smb) == 1 and smb[0]["packets"] == 43 and smb[0]["src_ip"] == "10.20.30.7", "the SMB session, both ways")
cleanup(work)
done()
