#!/usr/bin/env bash
#
# make-paexec-pcap.sh - record a real PAExec-style lateral movement over SMB2.
#
# Two throw-away network namespaces are joined by a veth pair:
#
#   jgpx-ws  (10.99.0.7/24, "WKSTN07")  --veth--  jgpx-srv (10.99.0.40/24, "SRV-DB01")
#
# A private smbd (own config, own state directories under a temp dir) serves
# ADMIN$, C$ and IPC$ in the server namespace; Impacket's psexec runs in the
# workstation namespace with PAExec-style names (service PAExec-4242-WKSTN07,
# binary PAExec-4242-WKSTN07.exe).  It authenticates with NTLM as CORP\jdoe,
# uploads its service binary to ADMIN$, opens \pipe\svcctl on IPC$, binds to
# SVCCTL and calls CreateServiceW.  Samba does not really run services, so
# psexec fails from there on; that is expected and bounded by a timeout.
#
# tcpdump records TCP/445 on the server's veth, and tshark checks the result.
#
# Usage:  sudo tests/lab/make-paexec-pcap.sh [OUTPUT.pcap]
#         (default output: paexec.pcap next to this script)
#
# Needs root on Debian 12.  Installs samba, python3-impacket, tcpdump and
# iproute2 with apt-get when they are missing.  Nothing is sent outside the
# two namespaces, and everything (namespaces, daemons, user, temp files) is
# removed on exit, successful or not.

set -euo pipefail

# ---------------------------------------------------------------- settings --

NS_WS=jgpx-ws                 # workstation namespace
NS_SRV=jgpx-srv               # server namespace
VETH_WS=jgpx-ws0              # veth end inside the workstation namespace
VETH_SRV=jgpx-srv0            # veth end inside the server namespace
IP_WS=10.99.0.7
IP_SRV=10.99.0.40
PREFIX=24

SRV_NAME=SRV-DB01             # NetBIOS name of the target server
DOMAIN=CORP                   # workgroup / NTLM domain
LAB_USER=jdoe                 # local Unix + Samba account used for the logon
LAB_PASS='Winter2024!'        # its (lab only) password

PAEXEC_PID=4242               # PAExec names its service PAExec-<pid>-<host>
ORIGIN_HOST=WKSTN07
SVC_NAME="PAExec-${PAEXEC_PID}-${ORIGIN_HOST}"
BIN_NAME="${SVC_NAME}.exe"

PSEXEC_TIMEOUT=60             # psexec waits for RemCom pipes that never come

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=${1:-"$SCRIPT_DIR/paexec.pcap"}

# ----------------------------------------------------------------- helpers --

log() { printf '[make-paexec-pcap] %s\n' "$*"; }
die() { printf '[make-paexec-pcap] ERROR: %s\n' "$*" >&2; exit 1; }

ns_exists() { ip netns list | awk '{print $1}' | grep -qFx -- "$1"; }
in_ws()  { ip netns exec "$NS_WS"  "$@"; }
in_srv() { ip netns exec "$NS_SRV" "$@"; }

# ------------------------------------------------------------ preconditions --

[[ $(id -u) -eq 0 ]] || die "must run as root (namespaces, smbd, tcpdump)"

# Make the output path absolute before anything changes directory.
case $OUT in
    /*) ;;
    *)  OUT="$PWD/$OUT" ;;
esac
mkdir -p "$(dirname "$OUT")"

# Install what is missing (Debian package names).
need_pkgs=()
for pkg in samba python3-impacket tcpdump iproute2 tshark; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
        need_pkgs+=("$pkg")
    fi
done
if ((${#need_pkgs[@]})); then
    log "installing: ${need_pkgs[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
fi

# Impacket's psexec: Debian ships either an impacket-psexec wrapper or only the
# example script.  Use the system interpreter (a pyenv/venv python3 earlier
# in PATH would not see the Debian python3-impacket module).
if command -v impacket-psexec >/dev/null 2>&1; then
    PSEXEC=(impacket-psexec)
elif [[ -f /usr/share/doc/python3-impacket/examples/psexec.py ]]; then
    PSEXEC=(/usr/bin/python3 /usr/share/doc/python3-impacket/examples/psexec.py)
else
    die "cannot find Impacket's psexec (impacket-psexec or examples/psexec.py)"
fi

SMBD=$(command -v smbd || echo /usr/sbin/smbd)
[[ -x $SMBD ]] || die "smbd not found"

# Refuse to reuse anything that already exists: we delete all of it at exit.
for ns in "$NS_WS" "$NS_SRV"; do
    if ns_exists "$ns"; then
        die "network namespace $ns already exists (left over?  'ip netns del $ns')"
    fi
done
if getent passwd "$LAB_USER" >/dev/null || getent group "$LAB_USER" >/dev/null; then
    die "user or group $LAB_USER already exists; refusing to touch it"
fi

# ----------------------------------------------------------------- cleanup --

WORK=$(mktemp -d /tmp/jgpx.XXXXXX)
SMBD_PID=
TCPDUMP_PID=
USER_CREATED=0

cleanup() {
    local rc=$?
    set +e
    trap '' INT TERM                      # finish the cleanup whatever happens
    if [[ -n $TCPDUMP_PID ]] && kill -0 "$TCPDUMP_PID" 2>/dev/null; then
        kill -TERM "$TCPDUMP_PID"; wait "$TCPDUMP_PID" 2>/dev/null
    fi
    if [[ -n $SMBD_PID ]] && kill -0 "$SMBD_PID" 2>/dev/null; then
        kill -TERM "$SMBD_PID"; wait "$SMBD_PID" 2>/dev/null
    fi
    # smbd's children (per-connection smbd, samba-dcerpcd, rpcd_*) live in the
    # server namespace only; whatever survived its parent goes with it.
    if ns_exists "$NS_SRV"; then
        local pids
        pids=$(ip netns pids "$NS_SRV" 2>/dev/null)
        [[ -n $pids ]] && kill -TERM $pids 2>/dev/null
        sleep 0.5
        pids=$(ip netns pids "$NS_SRV" 2>/dev/null)
        [[ -n $pids ]] && kill -KILL $pids 2>/dev/null
    fi
    if ns_exists "$NS_WS"; then
        local pids
        pids=$(ip netns pids "$NS_WS" 2>/dev/null)
        [[ -n $pids ]] && kill -KILL $pids 2>/dev/null
    fi
    ip netns del "$NS_WS"  2>/dev/null   # also removes the veth pair
    ip netns del "$NS_SRV" 2>/dev/null
    if ((USER_CREATED)); then
        userdel "$LAB_USER" 2>/dev/null     # also removes its private group
    fi
    rm -rf "$WORK"
    if ((rc)); then
        log "failed (exit $rc); everything was torn down"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ----------------------------------------------------------------- network --

log "creating namespaces $NS_WS ($IP_WS) and $NS_SRV ($IP_SRV)"
ip netns add "$NS_WS"
ip netns add "$NS_SRV"
# Create the veth pair directly inside the namespaces: it never exists in the
# caller's namespace, so no name there can collide with it.
ip link add "$VETH_WS" netns "$NS_WS" type veth peer name "$VETH_SRV" netns "$NS_SRV"
in_ws  ip addr add "$IP_WS/$PREFIX"  dev "$VETH_WS"
in_srv ip addr add "$IP_SRV/$PREFIX" dev "$VETH_SRV"
for ns in "$NS_WS" "$NS_SRV"; do
    ip -n "$ns" link set lo up
done
in_ws  ip link set "$VETH_WS"  up
in_srv ip link set "$VETH_SRV" up
# No default route in either namespace: only 10.99.0.0/24 is reachable.

# --------------------------------------------------------------- lab user --

log "creating local user $LAB_USER"
useradd --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$LAB_USER"
USER_CREATED=1

# ------------------------------------------------------------------- samba --

chmod 755 "$WORK"                         # the user's smbd must reach its share
mkdir -p "$WORK"/{run,lock,state,cache,private,ncalrpc,log,admin,c}
chmod 700 "$WORK/private"
chown "$LAB_USER" "$WORK/admin"          # ADMIN$ is writable by the lab user
CONF="$WORK/smb.conf"

cat >"$CONF" <<EOF
# Private configuration for the lab server; nothing here touches the system Samba.
[global]
    netbios name = $SRV_NAME
    workgroup = $DOMAIN
    server string = $SRV_NAME
    server role = standalone server
    security = user
    passdb backend = tdbsam
    map to guest = never
    restrict anonymous = 2

    # SMB2 or later, no encryption, so the capture stays readable.
    server min protocol = SMB2_02
    smb encrypt = off

    # Only TCP/445 on the lab address; no NetBIOS, no printing, no extras.
    smb ports = 445
    interfaces = $IP_SRV/$PREFIX
    bind interfaces only = yes
    disable netbios = yes
    load printers = no
    printing = bsd
    printcap name = /dev/null
    disable spoolss = yes
    usershare max shares = 0
    host msdfs = no

    # Private state, so nothing collides with a system smbd.
    pid directory = $WORK/run
    lock directory = $WORK/lock
    state directory = $WORK/state
    cache directory = $WORK/cache
    private dir = $WORK/private
    ncalrpc dir = $WORK/ncalrpc
    log file = $WORK/log/%m.log
    log level = 1

# ADMIN\$ first: psexec uploads to the first writable disk share it finds.
[ADMIN\$]
    comment = Remote Admin
    path = $WORK/admin
    read only = no
    browseable = yes

[C\$]
    comment = Default share
    path = $WORK/c
    read only = yes
    browseable = yes
EOF

testparm -s "$CONF" >/dev/null 2>"$WORK/testparm.err" ||
    { cat "$WORK/testparm.err" >&2; die "testparm rejected the generated smb.conf"; }

# The Samba account lives in the private passdb under $WORK.
printf '%s\n%s\n' "$LAB_PASS" "$LAB_PASS" |
    smbpasswd -c "$CONF" -a -s "$LAB_USER" >/dev/null 2>"$WORK/log/smbpasswd.err" ||
    { cat "$WORK/log/smbpasswd.err" >&2; die "smbpasswd failed"; }

# Samba's service control manager only lets BUILTIN\Administrators open it
# with the rights psexec asks for (otherwise OpenSCManagerW is denied and
# CreateServiceW never goes on the wire).  Map BUILTIN\Administrators to the
# user's private Unix group so that SID lands in the user's token; the mapping
# is stored in the private state directory.
net -s "$CONF" groupmap add sid=S-1-5-32-544 type=builtin \
    unixgroup="$LAB_USER" >/dev/null

log "starting smbd ($SRV_NAME, workgroup $DOMAIN) in $NS_SRV"
# Started with "ip netns exec" directly (not through a shell function) so that
# $! is smbd itself: ip execs the command in place.  smbd must keep its own
# process group (no --no-process-group): on shutdown it signals its whole
# group, which would otherwise include this script.
ip netns exec "$NS_SRV" "$SMBD" --foreground --configfile="$CONF" \
    >"$WORK/log/smbd.stdout" 2>&1 &
SMBD_PID=$!

for _ in $(seq 50); do
    if in_srv ss -Hltn "sport = :445" | grep -q .; then break; fi
    if ! kill -0 "$SMBD_PID" 2>/dev/null; then
        cat "$WORK"/log/*.log "$WORK/log/smbd.stdout" >&2 2>/dev/null || true
        die "smbd exited"
    fi
    sleep 0.2
done
in_srv ss -Hltn "sport = :445" | grep -q . || die "smbd is not listening on 445"

# ---------------------------------------------------------------- capture --

CAP="$WORK/capture.pcap"
log "capturing tcp port 445 on $VETH_SRV"
ip netns exec "$NS_SRV" tcpdump -i "$VETH_SRV" -s 0 -U -Z root -w "$CAP" 'tcp port 445' \
    2>"$WORK/log/tcpdump.stderr" &
TCPDUMP_PID=$!
# Wait until tcpdump has opened the interface.
for _ in $(seq 50); do
    grep -q 'listening on' "$WORK/log/tcpdump.stderr" && break
    sleep 0.1
done

# ---------------------------------------------------------------- psexec --

# Note: Impacket 0.10's psexec ignores -service-name/-remote-binary-name when
# -file is given, so the built-in RemCom service binary is uploaded instead.
log "running psexec from $NS_WS: $DOMAIN\\$LAB_USER -> $IP_SRV, service $SVC_NAME"
set +e
in_ws timeout "$PSEXEC_TIMEOUT" "${PSEXEC[@]}" \
    -service-name "$SVC_NAME" \
    -remote-binary-name "$BIN_NAME" \
    "$DOMAIN/$LAB_USER:$LAB_PASS@$IP_SRV" cmd.exe </dev/null 2>&1 |
    sed 's/^/    psexec| /'
psexec_rc=${PIPESTATUS[0]}
set -e
log "psexec exited with $psexec_rc (a failure after CreateServiceW is expected against Samba)"

sleep 1                                   # let the last segments reach tcpdump
# SIGTERM, not SIGINT: background jobs of a non-interactive shell start with
# SIGINT ignored.  tcpdump flushes and closes the file on either.
kill -TERM "$TCPDUMP_PID"
wait "$TCPDUMP_PID" || true
TCPDUMP_PID=
sed 's/^/    tcpdump| /' "$WORK/log/tcpdump.stderr"

# ------------------------------------------------------------------ verify --

tsh() { tshark -r "$CAP" -n -o tcp.desegment_tcp_streams:TRUE "$@" 2>/dev/null; }

log "SMB2 session setups (NTLM user / domain):"
tsh -Y 'ntlmssp.messagetype == 3' -T fields -e frame.number \
    -e ntlmssp.auth.domain -e ntlmssp.auth.username -e ntlmssp.auth.hostname |
    sed 's/^/    /'

log "SMB2 tree connects (request):"
tsh -Y 'smb2.cmd == 3 && smb2.flags.response == 0' -T fields -e frame.number -e smb2.tree |
    sed 's/^/    /'

log "SMB2 creates (request):"
tsh -Y 'smb2.cmd == 5 && smb2.flags.response == 0' -T fields -e frame.number -e smb2.filename |
    sed 's/^/    /'

# A write carries only a file id; tshark names the file in its Info column.
log "SMB2 writes (request):"
tsh -Y 'smb2.cmd == 9 && smb2.flags.response == 0' -T fields -e frame.number \
    -e _ws.col.Info | sed 's/^/    /'

log "DCE-RPC binds:"
tsh -Y 'dcerpc.pkt_type == 11' -T fields -e frame.number -e dcerpc.cn_bind_to_uuid \
    -e _ws.col.Info | sed 's/^/    /'

log "SVCCTL requests (opnum, service name, binary path):"
tsh -Y 'svcctl && dcerpc.pkt_type == 0' -T fields -e frame.number -e svcctl.opnum \
    -e svcctl.servicename -e svcctl.binarypathname | sed 's/^/    /'

# Samba's answer to CreateServiceW does not matter (it has no such call and
# returns a fault); shown for the record.
log "SVCCTL responses and DCE-RPC faults:"
tsh -Y '(svcctl && dcerpc.pkt_type == 2) || dcerpc.pkt_type == 3' -T fields \
    -e frame.number -e _ws.col.Info | sed 's/^/    /'

trees=$(tsh -Y 'smb2.cmd == 3' -T fields -e smb2.tree)
creates=$(tsh -Y 'smb2.cmd == 5' -T fields -e smb2.filename)
writes=$(tsh -Y 'smb2.cmd == 9 && smb2.flags.response == 0' -T fields -e _ws.col.Info)
svc_creates=$(tsh -Y 'svcctl.opnum == 12 && dcerpc.pkt_type == 0' -T fields \
    -e svcctl.servicename -e svcctl.binarypathname)

ok=1
check() {   # check DESCRIPTION CONDITION...
    local what=$1; shift
    if "$@"; then
        log "CHECK ok:   $what"
    else
        log "CHECK FAIL: $what"
        ok=0
    fi
}
check "tree connect to \\\\$IP_SRV\\ADMIN\$" grep -qiE '\\ADMIN\$$' <<<"$trees"
check "SMB2 create of $BIN_NAME"              grep -qFx "$BIN_NAME" <<<"$creates"
check "SMB2 write to $BIN_NAME"              grep -qF "File: $BIN_NAME" <<<"$writes"
check "tree connect to IPC\$"                 grep -qiE '\\IPC\$$' <<<"$trees"
check "SMB2 create of pipe svcctl"            grep -qFx "svcctl" <<<"$creates"
check "CreateServiceW for $SVC_NAME"          grep -qF "$SVC_NAME" <<<"$svc_creates"
# Impacket spells the variable "%systemroot%"; Windows does not care.
check "... with binary path %SystemRoot%\\$BIN_NAME" \
    grep -qiF "%SystemRoot%\\$BIN_NAME" <<<"$svc_creates"
((ok)) || die "the capture does not show the expected lateral movement"

# ---------------------------------------------------------------- summary --

cp "$CAP" "$OUT"
chmod 644 "$OUT"
packets=$(tsh -T fields -e frame.number | wc -l)
size=$(stat -c %s "$OUT")
log "summary: $OUT"
log "  $packets packets, $size bytes, TCP/445 only, $IP_WS ($ORIGIN_HOST) -> $IP_SRV ($SRV_NAME)"
log "  NTLM logon $DOMAIN\\$LAB_USER, ADMIN\$ upload of $BIN_NAME, SVCCTL CreateServiceW $SVC_NAME"
