#!/bin/sh
# Minimal reproduction (found by tests/lab/run, scenario 1): smbexec's CreateServiceW over
# \pipe\svcctl is also reported as wmi_exec (service wmi, detail "/c ", and a second
# zone_violation): the `wmi` pattern rpc-cmd-switch ("/c ", UTF-16LE) matches inside the
# SVCCTL stub, and wmi matches count in any clear DCE-RPC request stub, WMI/DCOM or not.
# Exit 0 when no wmi_exec comes out of a capture that holds no WMI; 1 otherwise.
#   tests/lab/repro_smbexec_wmi.sh [CAPTURE]   (default: ../shared/pcaps/elcabezzonn/smbexec.pcap)
set -eu
here=$(cd "$(dirname "$0")/../.." && pwd)
cap=${1:-$here/../shared/pcaps/elcabezzonn/smbexec.pcap}
out=$(mktemp -d /tmp/jg-smbexec-wmi.XXXXXX)
trap 'rm -rf "$out"' EXIT
"${JG_BUILD:-$here/build}/jumpgate" replay --out "$out" "$cap" >/dev/null
if grep '"wmi_exec"' "$out/events.jsonl"; then
	echo "BUG: wmi_exec from an SVCCTL CreateServiceW (smbexec), no WMI/DCOM in the capture"
	exit 1
fi
echo "OK: no wmi_exec"
