#!/bin/bash
# Runs inside the chroot (from build.sh) after the recipe's rootfs/ files are copied in.
set -euo pipefail

# User bnet as in the BuilderNet image: key login only, passwordless sudo. The password
# field is '*' (no password, not locked), so sshd accepts key logins.
useradd --create-home --shell /bin/bash --user-group bnet
usermod -p '*' bnet
install -d -m 0700 -o bnet -g bnet /home/bnet/.ssh
chmod 0440 /etc/sudoers.d/bnet-user
visudo -c -q -f /etc/sudoers.d/bnet-user

# Host keys are made per VM at first boot (ssh-hostkeys.service); machine-id too.
rm -f /etc/ssh/ssh_host_*
: > /etc/machine-id
rm -f /var/lib/dbus/machine-id

systemctl enable systemd-networkd.service ssh.service ssh-hostkeys.service twin-seed.service
# Boot speed: nothing periodic, no VT gettys (the serial getty stays), no first-boot
# cache rebuilds (the caches were made at build time).
systemctl mask \
  apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer \
  e2scrub_reap.service fstrim.timer getty@.service ldconfig.service \
  systemd-hwdb-update.service systemd-journal-catalog-update.service \
  systemd-update-done.service systemd-pstore.service modprobe@drm.service >/dev/null
[ -f /usr/lib/udev/hwdb.bin ] || [ -f /etc/udev/hwdb.bin ] || systemd-hwdb update

# Smaller image: no docs, man pages, translations or apt lists.
rm -rf /usr/share/doc/* /usr/share/man/* /usr/share/info/* /usr/share/locale/* \
  /var/lib/apt/lists/* /var/cache/apt/*.bin /var/cache/apt/archives/*.deb /var/log/*.log
cat > /etc/dpkg/dpkg.cfg.d/01-twin-nodoc <<'CFG'
path-exclude /usr/share/doc/*
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
CFG
