"""Run one of Impacket's examples as a Windows client would: its NTLM AUTHENTICATE names
the client's workstation (Impacket sends an empty one unless told; Windows, PAExec and
PsExec send the machine's NetBIOS name). Usage: as_windows.py NAME SCRIPT [ARGS...]"""
import runpy
import sys

from impacket import smbconnection

name, script = sys.argv[1], sys.argv[2]
_init = smbconnection.SMBConnection.__init__


def _as_windows(self, remoteName="", remoteHost="", myName=None, *args, **kw):
    _init(self, remoteName, remoteHost, myName or name, *args, **kw)


smbconnection.SMBConnection.__init__ = _as_windows
sys.argv = [script] + sys.argv[3:]
runpy.run_path(script, run_name="__main__")
