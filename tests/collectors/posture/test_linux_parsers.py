"""Linux posture parsers on the words real servers print (Debian, RHEL-family), each with a
minimal/missing-field variant that must come out as 无法检查 or a missing value, never 正常."""

from __future__ import annotations

from datetime import datetime

from collectors.posture import accounts, egress, linux, linux_script, logs
from collectors.posture.options import PostureOptions
from collectors.posture.outcome import Outcome

NOW = datetime.fromisoformat("2026-12-03T12:00:00+00:00").timestamp()
DAY = 86400.0


def values(outcome: Outcome) -> dict[str, float]:
    return {m + "".join(f",{k}={v}" for k, v in sorted(lb.items())): v for m, v, lb in outcome.values}


def test_script_splits_into_sections_and_slow_sections_run_apart() -> None:
    opts = PostureOptions()
    fast, slow = linux_script.script(opts, slow=False), linux_script.script(opts, slow=True)
    assert "dpkg-query" not in fast and "apt-get -s" not in fast and "dpkg-query" in slow
    text = "noise\n@@rw:id\n0\nroot\n@@rw:av\nbin clamd\n\n@@rw:end\n"
    assert linux_script.split(text) == {"id": "0\nroot", "av": "bin clamd"}


# --- antivirus ---------------------------------------------------------------------------------

CLAMAV = ("db /var/lib/clamav/daily.cld ClamAV-VDB:02 Dec 2026 09-24 -0500:27841:2071045:90:"
          "X:X:raynman:1764685440\n"
          "db /var/lib/clamav/main.cvd ClamAV-VDB:16 Sep 2021 08-32 -0400:62:6647427:90:"
          "1d6e4d4a1b2e3f:X:sigmgr:1631795559\n"
          "bin clamd\nbin clamscan\nbin freshclam\nproc freshclam\nproc clamd")


def test_clamav_running_and_database_age() -> None:
    got = values(linux.antivirus({"av": CLAMAV}, NOW))
    assert got["av_installed,product=clamav"] == 1 and got["av_running,product=clamav"] == 1
    built = datetime.fromisoformat("2026-12-02T09:24:00-05:00").timestamp()
    assert abs(got["av_signature_age_days,product=clamav"] - (NOW - built) / DAY) < 1e-9


def test_clamav_missing_is_not_installed_and_stopped_daemon_is_not_running() -> None:
    assert values(linux.antivirus({"av": ""}, NOW)) == {"av_installed,product=clamav": 0.0}
    stopped = linux.antivirus({"av": "bin clamscan"}, NOW)
    assert values(stopped)["av_running,product=clamav"] == 0
    assert "database" in stopped.unavailable  # no database: signature age cannot be checked
    assert linux.antivirus({}, NOW).unavailable


# --- patches -----------------------------------------------------------------------------------

APT = """tool=apt
Inst libgnutls30 [3.7.9-2+deb12u3] (3.7.9-2+deb12u4 Debian-Security:12/oldstable-security [amd64])
Inst bash [5.2.15-2+b7] (5.2.15-2+b8 Debian:12.12/oldstable [amd64])
Inst openssl [3.0.15-1~deb12u1] (3.0.17-1~deb12u2 Debian-Security:12/oldstable-security [amd64])
last 2026-11-13 08:00:01 upgrade tzdata:all 2025a-0+deb12u1 2025b-0+deb12u1
last 2026-10-02 07:00:00 install vim:amd64 <none> 2:9.0.1378-2"""


def test_apt_pending_security_and_days_since_update() -> None:
    got = values(linux.patches({"patches": APT}, NOW))
    assert got["patch_security_pending"] == 2
    assert round(got["patch_age_days"], 2) == round((NOW - datetime.fromisoformat(
        "2026-11-13T08:00:01+00:00").timestamp()) / DAY, 2)


def test_dnf_updateinfo_and_rpm_install_time() -> None:
    text = ("tool=dnf\nRHSA-2026:1234 Important/Sec. openssl-libs-1:3.0.7-27.el9.x86_64\n"
            "RHSA-2026:1301 Moderate/Sec.  curl-7.76.1-29.el9_4.1.x86_64\n"
            f"installed {int(NOW - 40 * DAY)}")
    got = values(linux.patches({"patches": text}, NOW))
    assert got == {"patch_security_pending": 2.0, "patch_age_days": 40.0}


def test_patches_minimal_variants_say_why() -> None:
    assert "no apt" in linux.patches({"patches": "tool=none"}, NOW).unavailable
    broken = linux.patches({"patches": "tool=apt\nE: Could not open lock file"}, NOW)
    assert broken.unavailable.startswith("apt-get could not")
    no_history = linux.patches({"patches": "tool=apt"}, NOW)
    assert values(no_history) == {"patch_security_pending": 0.0} and "history" in no_history.unavailable
    assert linux.patches({}, NOW).unavailable


# --- removable media ---------------------------------------------------------------------------

MEDIA = """mod usb_storage 81920 1 uas, Live 0x0000000000000000
mod uas 32768 0 - Live 0x0000000000000000
block sda 0 /sys/devices/pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0
block sdb 1 /sys/devices/pci0000:00/0000:00:14.0/usb2/2-1/2-1:1.0/host6/target6:0:0/6:0:0:0
block sr0 1 /sys/devices/pci0000:00/0000:00:17.0/ata2/host1/target1:0:0/1:0:0:0
mount /dev/sda2 / ext4 rw,relatime 0 0
mount /dev/sdb1 /media/usb vfat rw,nosuid,nodev 0 0
mount /dev/sr0 /media/cdrom iso9660 ro 0 0"""


def test_usb_disk_and_cd_mounted() -> None:
    got = values(linux.removable_media({"media": MEDIA}))
    assert got["usb_storage_allowed"] == 1 and got["usb_storage_loaded"] == 1
    assert got["removable_media_mounted"] == 2 and got["optical_drive_enabled"] == 1
    assert got["removable_media_mount,mount=/media/usb"] == 1


def test_usb_storage_blacklisted_and_nothing_mounted() -> None:
    text = ("conf blacklist usb-storage\nconf install usb-storage /bin/true\nconf blacklist sr_mod\n"
            "block sda 0 /sys/devices/pci0000:00/x\nmount /dev/sda2 / ext4 rw 0 0")
    got = values(linux.removable_media({"media": text}))
    assert got == {"usb_storage_allowed": 0.0, "usb_storage_loaded": 0.0, "optical_drive_enabled": 0.0,
                   "removable_media_mounted": 0.0}


def test_media_without_proc_modules_is_partly_unavailable() -> None:
    out = linux.removable_media({"media": "mod grep: /proc/modules: No such file or directory"})
    assert "usb_storage_loaded" not in values(out) and "/proc/modules" in out.unavailable
    assert linux.removable_media({}).unavailable


# --- password policy ---------------------------------------------------------------------------

PAM_PWQ = ("password\trequisite\t\t\tpam_pwquality.so retry=3\n"
           "password\t[success=1 default=ignore]\tpam_unix.so obscure use_authtok try_first_pass yescrypt")


def test_pwquality_policy_meets_the_rule() -> None:
    sec = {"login_defs": "PASS_MAX_DAYS\t90\nPASS_MIN_LEN\t8", "pam": PAM_PWQ,
           "pwquality": "minlen = 10\nucredit = -1\nlcredit = -1\ndcredit = -1"}
    assert values(linux.password_policy(sec)) == {
        "password_max_age_days": 90.0, "password_min_length": 10.0, "password_classes_required": 3.0}


def test_pam_arguments_override_the_file_and_debian_default_is_weak() -> None:
    sec = {"login_defs": "PASS_MAX_DAYS\t99999", "pwquality": "minlen = 12\nucredit = -1",
           "pam": "password requisite pam_pwquality.so retry=3 minlen=6 lcredit=-1"}
    got = values(linux.password_policy(sec))
    assert got["password_min_length"] == 6 and got["password_classes_required"] == 2
    debian = {"login_defs": "PASS_MAX_DAYS\t99999", "pwquality": "cat: x: No such file or directory",
              "pam": "password\t[success=1 default=ignore]\tpam_unix.so obscure yescrypt"}
    assert values(linux.password_policy(debian)) == {
        "password_max_age_days": 99999.0, "password_min_length": 6.0, "password_classes_required": 0.0}


def test_password_minimal_variants() -> None:
    unreadable = {"login_defs": "grep: /etc/login.defs: Permission denied", "pwquality": "", "pam": ""}
    out = linux.password_policy(unreadable)
    assert "login.defs" in out.unavailable and "PAM" in out.unavailable
    assert linux.password_policy({}).unavailable
    shadow = linux.password_accounts({"shadow": "root L 99999 \nops P 99999 \nsvc P 90 \nold P  "})
    assert values(shadow)["password_never_expires_accounts"] == 2
    assert linux.password_accounts({"shadow": "awk: cannot open /etc/shadow (Permission denied)"}).unavailable


# --- egress ------------------------------------------------------------------------------------

TCP = """  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0
   1: 0A00000A:0016 6400000A:D431 01 00000000:00000000 02:0009E4F5 00000000     0        0 2 2 0 20 4 30 10 -1
   2: 0A00000A:B1F2 076433C6:01BB 01 00000000:00000000 00:00000000 00000000  1000        0 3 1 0 20 4 30 10 -1
   3: 0A00000A:B1F4 076433C6:0019 02 00000000:00000000 01:00000000 00000000  1000        0 4 1 0 20 4 30 10 -1
   4: 0A00000A:B1F6 3500000A:0019 01 00000000:00000000 00:00000000 00000000  1000        0 5 1 0 20 4 30 10 -1
   5: 0A00000A:B1F8 350200C0:007B 01 00000000:00000000 00:00000000 00000000  1000        0 6 1 0 20 4 30 10 -1
  sl  local_address                         remote_address                        st tx_queue rx_queue
   0: 0000000000000000FFFF00000A00000A:B200 0000000000000000FFFF0000076433C6:0050 01 00000000:00000000"""


def test_connections_to_public_addresses_and_mail_ports() -> None:
    got = values(egress.linux(TCP, PostureOptions()))
    # inbound ssh from 10.0.0.100 is not egress; 198.51.100.7:443 and :80 (v4-mapped) are public;
    # 198.51.100.7:25 (SYN_SENT) and the internal relay 10.0.0.53:25 are mail.
    assert got["egress_public_connections"] == 3 and got["egress_mail_connections"] == 2
    assert got["egress_public_remote,remote=198.51.100.7:443"] == 1
    assert got["egress_mail_remote,remote=10.0.0.53:25"] == 1


def test_allow_list_excuses_the_proxy_relay_and_time_server() -> None:
    opts = PostureOptions(egress_allow=["198.51.100.7:443", "198.51.100.7:80", "10.0.0.53/32:25",
                                        "192.0.2.53"])
    got = values(egress.linux(TCP, opts))
    assert got["egress_public_connections"] == 0 and got["egress_mail_connections"] == 1


UDP = """   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  123: 3500007F:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000   991        0 11 2 0000000000000000 0
  124: 0A00000A:9C41 086433C6:0035 01 00000000:00000000 00:00000000 00000000  1000        0 12 2 0000000000000000 0
  125: 0A00000A:A001 350200C0:007B 01 00000000:00000000 00:00000000 00000000   104        0 13 2 0000000000000000 0
  126: 0A00000A:0035 076433C6:C001 01 00000000:00000000 00:00000000 00000000   991        0 14 2 0000000000000000 0
  127: 0A00000A:A003 3500000A:0035 01 00000000:00000000 00:00000000 00000000  1000        0 15 2 0000000000000000 0
   sl  local_address                         remote_address                        st tx_queue rx_queue
  200: 00000000000000000000000000000000:0202 00000000000000000000000000000000:0000 07 00000000:00000000"""  # noqa: E501 - as the kernel prints it


def test_udp_to_a_public_resolver_other_than_the_allowed_one() -> None:
    # 198.51.100.8:53 is a public resolver; NTP to 192.0.2.53 is allowed; 10.0.0.53 is the site's
    # resolver (internal); a socket on the server's own port 53 answers a client: inbound.
    opts = PostureOptions(egress_allow=["192.0.2.53:123"])
    got = values(egress.linux(TCP.splitlines()[0], opts, udp=UDP))
    assert got["egress_public_remote,remote=198.51.100.8:53/udp"] == 1
    assert got["egress_public_connections"] == 1 and got["egress_mail_connections"] == 0
    opts = PostureOptions(egress_allow=["192.0.2.53", "198.51.100.8:53"])
    allowed = egress.linux(TCP.splitlines()[0], opts, udp=UDP)
    assert values(allowed)["egress_public_connections"] == 0 and not allowed.unavailable


def test_udp_unreadable_is_a_partial_check() -> None:
    outcome = egress.linux(TCP, PostureOptions(), udp="cat: /proc/net/udp: No such file or directory")
    assert values(outcome)["egress_public_connections"] == 3 and "/proc/net/udp" in outcome.unavailable


def test_egress_minimal_variants() -> None:
    assert egress.linux("cat: /proc/net/tcp: Permission denied", PostureOptions()).unavailable
    assert values(egress.linux(TCP.splitlines()[0], PostureOptions()))["egress_public_connections"] == 0


# --- logs --------------------------------------------------------------------------------------

def test_truncation_removal_and_rotation() -> None:
    state: dict = {}
    watched = ["/var/log/syslog", "/var/log/auth.log", "/var/log/wtmp"]
    first = "11 5000 /var/log/syslog\n12 800 /var/log/auth.log\n13 3840 /var/log/wtmp"
    logs.watch(state, first, None, watched=watched, now=NOW, window=7 * DAY)
    # syslog rotated (renamed, new file), auth.log truncated in place, wtmp removed.
    second = "21 10 /var/log/syslog\n11 5000 /var/log/syslog.1\n12 0 /var/log/auth.log"
    got = values(logs.watch(state, second, None, watched=watched, now=NOW + 60, window=7 * DAY))
    assert got["log_truncated,path=/var/log/syslog"] == 0 and got["log_removed,path=/var/log/syslog"] == 0
    assert got["log_truncated,path=/var/log/auth.log"] == 1
    assert got["log_removed,path=/var/log/wtmp"] == 1
    later = values(logs.watch(state, second, None, watched=watched, now=NOW + 8 * DAY, window=7 * DAY))
    assert later["log_truncated,path=/var/log/auth.log"] == 0
    assert "log_removed,path=/var/log/wtmp" not in later


def test_copytruncate_is_rotation() -> None:
    state: dict = {}
    logs.watch(state, "11 5000 /var/log/app.log", None, watched=["/var/log/app.log"], now=NOW, window=DAY)
    got = values(logs.watch(state, "11 0 /var/log/app.log\n30 5000 /var/log/app.log.1", None,
                            watched=["/var/log/app.log"], now=NOW + 60, window=DAY))
    assert got["log_truncated,path=/var/log/app.log"] == 0


def test_journal_wiped_and_unreadable() -> None:
    state: dict = {}
    journal = f"first {NOW - 9 * DAY:.6f} host kernel: x\nlast {NOW - 5:.6f} host sshd[1]: y"
    logs.watch(state, "11 1 /var/log/syslog", journal, watched=["/var/log/syslog"], now=NOW,
               window=DAY, uid_groups="0\nroot")
    wiped = f"first {NOW + 50:.6f} host systemd-journald[1]: z\nlast {NOW + 55:.6f} host x: y"
    got = values(logs.watch(state, "11 1 /var/log/syslog", wiped, watched=["/var/log/syslog"],
                            now=NOW + 60, window=DAY, uid_groups="0\nroot"))
    assert got["journal_cleared"] == 1
    user = logs.watch({}, "11 1 /var/log/syslog", journal, watched=["/var/log/syslog"], now=NOW,
                      window=DAY, uid_groups="1000\nops")
    assert "systemd-journal" in user.unavailable


def test_logs_minimal_variants() -> None:
    assert logs.watch({}, None, None, watched=["/x"], now=NOW, window=DAY).unavailable
    nothing = logs.watch({}, "", None, watched=["/var/log/syslog"], now=NOW, window=DAY)
    assert "none of the watched" in nothing.unavailable


# --- privileged accounts -----------------------------------------------------------------------

PASSWD = """root:x:0:0:root:/root:/bin/bash
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
toor:x:0:0::/root:/bin/sh
ops:x:1000:1000:Ops:/home/ops:/bin/bash
zhang:x:1001:1001:张工 已离岗:/home/zhang:/bin/bash
svc:x:1002:1002::/srv:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin"""
LASTLOG = """Username         Port     From             Latest
root             pts/0    10.0.0.100       Wed Dec  2 09:15:33 +0000 2026
daemon                                     **Never logged in**
toor                                       **Never logged in**
ops              pts/1    10.0.0.100       Tue Dec  1 17:02:11 +0800 2026
zhang            pts/2    10.0.0.101       Mon Jun  1 10:00:00 +0800 2026
svc                                        **Never logged in**"""


def test_uid0_and_sudo_beyond_the_list_and_unused_accounts() -> None:
    sec = {"passwd": PASSWD, "group": "root:x:0:\nsudo:x:27:ops,zhang", "lastlog": LASTLOG,
           "shadow": "root P 99999 \ntoor P 99999 \nops P 90 \nzhang P 90 \nsvc L 99999 "}
    got = values(accounts.privileged_accounts(sec, NOW, approved=["root", "ops"], unused_days=90))
    assert got["privileged_unapproved_accounts"] == 2
    assert got["privileged_unapproved,user=toor"] == 1 and got["privileged_unapproved,user=zhang"] == 1
    assert got["accounts_unused"] == 2  # toor never, zhang since June; svc has no shell
    assert got["account_unused,user=zhang"] == 1


def test_accounts_minimal_variants() -> None:
    assert accounts.privileged_accounts({}, NOW, approved=[], unused_days=90).unavailable
    no_lastlog = accounts.privileged_accounts({"passwd": PASSWD, "group": "", "lastlog": "nolastlog"}, NOW,
                                              approved=["root"], unused_days=90)
    assert values(no_lastlog)["privileged_unapproved_accounts"] == 1 and "lastlog" in no_lastlog.unavailable
