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

systemctl enable systemd-networkd.service systemd-networkd-wait-online.service ssh.service \
  ssh-hostkeys.service twin-seed.service
# The BuilderNet boot sequence (buildernet-vm.md §3, §4.2), same unit names.
systemctl enable attested-tls-proxy-client.service render-config.service hostname-set.service \
  persistent-setup.service config-watchdog.service config-watchdog.timer haproxy.service \
  flowproxy.service rbuilder-operator.service twin-devnet-forward.service
# The service users of the BuilderNet image: rbuilder-operator runs rbuilder, config-watchdog
# (in rbuilder-operator's group) switches it with the two sudo rules of sudoers.d/config-watchdog.
useradd --system --no-create-home --shell /usr/sbin/nologin --user-group rbuilder-operator
useradd --system --no-create-home --shell /usr/sbin/nologin --user-group config-watchdog
usermod -a -G rbuilder-operator config-watchdog
chmod 0440 /etc/sudoers.d/config-watchdog
visudo -c -q -f /etc/sudoers.d/config-watchdog
# Where the builder stand-in's payload disk is mounted (fstab), and the hub gateway file's folder.
install -d -m 0755 /opt/bnet-twin /etc/twin
# The hostname render-config sets resolves (sudo asks): nss-myhostname.
grep -q myhostname /etc/nsswitch.conf || sed -i 's/^hosts:\(\s*\)files/hosts:\1files myhostname/' /etc/nsswitch.conf
# The package's example configuration; render-config writes the real one.
rm -f /etc/haproxy/haproxy.cfg
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
