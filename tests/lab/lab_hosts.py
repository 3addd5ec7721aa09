"""The target's services: a temporary Unix/Samba account, a private smbd (ADMIN$, C$, a
normal share), samba-dcerpcd (svcctl, srvsvc... on pipes; the endpoint mapper on TCP 135)
and a private sshd, all with their state under the lab's temp dir, stopped by stop(); the
account goes with remove_account()."""
import os
import signal
import subprocess
import time

from lab_env import log, sh
from lab_net import HOSTS, SEALED, ip_of

DOMAIN = "CORP"
PASSWORD = "Winter2024!"     # lab only; the account exists for the length of the run


class Target:
    def __init__(self, net, work, user):
        self.net, self.work, self.user = net, work, user
        self.procs = []
        self.user_created = False
        self.privsep_created = False
        self.admin = os.path.join(work, "srv", "admin")   # ADMIN$ on disk
        self.data = os.path.join(work, "srv", "data")     # the normal share
        self.recycle = os.path.join(self.admin, ".recycle")
        self.ssh_key = os.path.join(work, "ssh", "client")

    # --------------------------------------------------------------- user --
    def create_user(self):
        if sh("getent", "passwd", self.user, check=False).returncode == 0 or \
                sh("getent", "group", self.user, check=False).returncode == 0:
            raise RuntimeError(f"user or group {self.user} already exists; refusing to touch it")
        sh("useradd", "--user-group", "--no-create-home", "--home-dir", "/nonexistent", "--shell", "/bin/sh",
           self.user)
        self.user_created = True
        # a password unlocks the account (sshd without PAM refuses locked ones); ssh itself
        # accepts only the lab's key
        sh("chpasswd", input=f"{self.user}:{PASSWORD}\n")

    # -------------------------------------------------------------- samba --
    def start_samba(self):
        w = os.path.join(self.work, "srv")
        for d in ("run", "lock", "state", "cache", "private", "ncalrpc", "log", "admin", "c", "data"):
            os.makedirs(os.path.join(w, d), exist_ok=True)
        os.chmod(self.work, 0o755)
        os.chmod(w, 0o755)
        os.chmod(os.path.join(w, "private"), 0o700)
        uid = int(sh("id", "-u", self.user).stdout)
        for d in ("admin", "data"):
            os.chown(os.path.join(w, d), uid, -1)
        with open(os.path.join(w, "c", "boot.ini"), "w") as f:
            f.write("[boot loader]\n")
        conf = os.path.join(w, "smb.conf")
        with open(conf, "w") as f:
            f.write(f"""# The lab target's private Samba; nothing here touches a system smbd.
[global]
    netbios name = {HOSTS['srv'][1]}
    workgroup = {DOMAIN}
    server role = standalone server
    security = user
    passdb backend = tdbsam
    map to guest = never
    restrict anonymous = 2
    server min protocol = SMB2_02
    smb encrypt = off
    smb ports = 445
    interfaces = {ip_of('srv')}/16 {SEALED}/16
    bind interfaces only = yes
    disable netbios = yes
    load printers = no
    printing = bsd
    printcap name = /dev/null
    disable spoolss = yes
    usershare max shares = 0
    host msdfs = no
    pid directory = {w}/run
    lock directory = {w}/lock
    state directory = {w}/state
    cache directory = {w}/cache
    private dir = {w}/private
    ncalrpc dir = {w}/ncalrpc
    log file = {w}/log/%m.log
    log level = 1
    # samba-dcerpcd runs on its own, as Windows' RPC services do, with the endpoint
    # mapper on TCP 135 (started on demand by smbd it would serve named pipes only)
    rpc start on demand helpers = no
    # per address the client reached (%i): on {SEALED} every session is SMB3-encrypted
    include = {w}/smb-%i.conf

# ADMIN$ first: Impacket uploads to the first writable disk share. Deleted files go to
# .recycle, so what psexec uploaded and then removed (Samba cannot start services) is
# still there to compare.
[ADMIN$]
    comment = Remote Admin
    path = {w}/admin
    read only = no
    vfs objects = recycle
    recycle:repository = .recycle
    recycle:versions = yes

[C$]
    comment = Default share
    path = {w}/c
    read only = yes

[data]
    comment = Ordinary file share
    path = {w}/data
    read only = no
""")
        with open(os.path.join(w, f"smb-{SEALED}.conf"), "w") as f:
            f.write("[global]\n    server smb encrypt = required\n")
        sh("testparm", "-s", conf)
        sh("smbpasswd", "-c", conf, "-a", "-s", self.user, input=f"{PASSWORD}\n{PASSWORD}\n")
        # Samba's SCM grants psexec's access only to BUILTIN\Administrators: map it to the
        # account's group, or OpenSCManagerW is denied and CreateServiceW never goes out.
        sh("net", "-s", conf, "groupmap", "add", "sid=S-1-5-32-544", "type=builtin", f"unixgroup={self.user}")
        dcerpcd = "/usr/libexec/samba/samba-dcerpcd"
        p = subprocess.Popen(self.net.cmd("srv", dcerpcd, "--foreground", "--libexec-rpcds", f"--configfile={conf}"),
                             stdout=open(os.path.join(w, "log", "samba-dcerpcd.out"), "w"), stderr=subprocess.STDOUT)
        self.procs.append(p)
        self._wait_listen(p, 135, "samba-dcerpcd")
        smbd = "/usr/sbin/smbd"
        # its own process group (no --no-process-group): smbd signals its group at shutdown
        p = subprocess.Popen(self.net.cmd("srv", smbd, "--foreground", f"--configfile={conf}"),
                             stdout=open(os.path.join(w, "log", "smbd.out"), "w"), stderr=subprocess.STDOUT)
        self.procs.append(p)
        self._wait_listen(p, 445, "smbd")

    # ---------------------------------------------------------------- ssh --
    def start_sshd(self):
        d = os.path.join(self.work, "ssh")
        os.makedirs(d, exist_ok=True)
        os.chmod(d, 0o755)
        sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", os.path.join(d, "host"))
        sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", self.ssh_key)
        with open(os.path.join(d, "authorized_keys"), "w") as f:
            f.write(open(self.ssh_key + ".pub").read())
        os.chmod(os.path.join(d, "authorized_keys"), 0o644)
        conf = os.path.join(d, "sshd_config")
        with open(conf, "w") as f:
            f.write(f"""ListenAddress {ip_of('srv')}:22
HostKey {d}/host
PidFile {d}/sshd.pid
AuthorizedKeysFile {d}/authorized_keys
AllowUsers {self.user}
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PrintMotd no
""")
        if not os.path.isdir("/run/sshd"):   # sshd's privilege separation directory
            os.makedirs("/run/sshd", 0o755)
            self.privsep_created = True
        p = subprocess.Popen(self.net.cmd("srv", "/usr/sbin/sshd", "-D", "-e", "-f", conf),
                             stdout=open(os.path.join(d, "sshd.log"), "w"), stderr=subprocess.STDOUT)
        self.procs.append(p)
        self._wait_listen(p, 22, "sshd")

    def ssh_argv(self, command):
        return ["ssh", "-F", "/dev/null", "-i", self.ssh_key, "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
                "-o", "UserKnownHostsFile=/dev/null", "-o", "ConnectTimeout=10", "-o", "LogLevel=ERROR",
                f"{self.user}@{ip_of('srv')}", command]

    # ------------------------------------------------------------- common --
    def _wait_listen(self, p, port, what):
        for _ in range(100):
            if self.net.run("srv", "ss", "-Hltn", f"sport = :{port}").stdout.strip():
                return
            if p.poll() is not None:
                raise RuntimeError(f"{what} exited ({p.returncode})")
            time.sleep(0.1)
        raise RuntimeError(f"{what} is not listening on {port}")

    def stop(self):
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self.procs = []
        if self.privsep_created:
            os.rmdir("/run/sshd")
            self.privsep_created = False

    def remove_account(self):
        """Last, once nothing in the namespaces runs any more (userdel refuses a user in use)."""
        if self.user_created:
            r = sh("userdel", self.user, check=False)   # its private group goes with it
            if r.returncode != 0:
                log(f"userdel {self.user}: {r.stderr.strip()}")
            self.user_created = False
