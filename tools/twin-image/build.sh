#!/usr/bin/env bash
# Builds the twin image (Debian bookworm, direct kernel boot) into OUT_DIR:
#   vmlinuz, initrd.img, rootfs.qcow2, manifest.json
# Usage: tools/twin-image/build.sh OUT_DIR        (root: debootstrap and chroot need it)
# Environment:
#   BNET_E2E_CACHE        cache root (default ~/.cache/bnet-e2e); .deb files are kept in
#                         $BNET_E2E_CACHE/twin/debs between builds
#   BNET_E2E_DEBIAN_MIRROR  Debian mirror (default: the bookworm mirror configured in /etc/apt,
#                         else http://deb.debian.org/debian)
# No loop mounts: the root file system is made from a directory with `mkfs.ext4 -d`.
# The SSH key is not part of the image: the guest reads it at boot from the QEMU fw_cfg
# entry opt/e2e/ssh_authorized_keys (see README.md), so one image serves every user.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
[ $# -eq 1 ] || { echo "usage: $0 OUT_DIR" >&2; exit 2; }
out=$1
[ "$(id -u)" = 0 ] || { echo "build.sh: must run as root (debootstrap, chroot)" >&2; exit 1; }
for tool in debootstrap mkfs.ext4 qemu-img cpio gzip sha256sum; do
  command -v "$tool" >/dev/null || { echo "build.sh: '$tool' not found (tools/setup.sh installs it)" >&2; exit 1; }
done
if [ -e "$out" ] && [ -n "$(ls -A "$out")" ]; then
  echo "build.sh: output directory '$out' exists and is not empty" >&2; exit 1
fi

cache=${BNET_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/bnet-e2e}
debs=$cache/twin/debs
mkdir -p "$debs" "$out"
out=$(cd "$out" && pwd)

suite=bookworm
root_label=twin-root
# Fixed so that the image (and its measurement) depends only on the recipe.
root_uuid=6c3c3d2e-7a1b-4f0e-9a55-2b1e5e0c7a10
cmdline="console=ttyS0,115200n8 root=LABEL=$root_label rw systemd.firstboot=no"
headroom_mib=1024

mirror=${BNET_E2E_DEBIAN_MIRROR:-}
if [ -z "$mirror" ]; then
  # deb822 stanzas first (URIs + Suites containing bookworm), then one-line sources.
  mirror=$(awk -v s="$suite" '
    /^URIs:/ { uri = $2 } /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == s) hit = 1 }
    /^$/ { if (hit && uri != "" && out == "") out = uri; hit = 0; uri = "" }
    END { if (hit && uri != "" && out == "") out = uri; print out }' \
    /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
fi
if [ -z "$mirror" ]; then
  mirror=$(awk -v s="$suite" '$1 == "deb" && $3 == s { print $2; exit }' /etc/apt/sources.list 2>/dev/null || true)
fi
mirror=${mirror:-http://deb.debian.org/debian}

work=$(mktemp -d "${TMPDIR:-/tmp}/twin-build.XXXXXX")
root=$work/root
cleanup() {
  # debootstrap mounts proc/sys inside the target and normally unmounts them; be sure.
  for m in proc sys dev/pts dev; do
    mountpoint -q "$root/$m" 2>/dev/null && umount -l "$root/$m" || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

recipe_hash=$("$here/recipe-hash.sh")
step() { printf '[twin-image %s] %s\n' "$(date +%T)" "$*"; }
started=$(date +%s)

packages=$(grep -v '^\s*#' "$here/packages.txt" | grep -v '^\s*$' | paste -sd, -)
step "debootstrap $suite (minbase + $packages) from $mirror"
# INITRD=No: the kernel's postinst hook skips update-initramfs; we build our own initrd.
INITRD=No DEBIAN_FRONTEND=noninteractive \
  debootstrap --variant=minbase --include="$packages" --cache-dir="$debs" \
  "$suite" "$root" "$mirror" > "$work/debootstrap.log" 2>&1 || {
    echo "build.sh: debootstrap failed; last lines of its log:" >&2
    tail -n 30 "$work/debootstrap.log" >&2
    [ -f "$root/debootstrap/debootstrap.log" ] && tail -n 30 "$root/debootstrap/debootstrap.log" >&2
    exit 1
  }

step "installing the recipe's files and configuring the system"
cp -r --preserve=mode "$here/rootfs/." "$root/"
install -m 0755 "$here/configure.sh" "$root/tmp/configure.sh"
chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root /bin/bash /tmp/configure.sh
rm -f "$root/tmp/configure.sh"

kver=$(ls "$root/lib/modules" | sort -V | tail -n 1)
[ -n "$kver" ] && [ -f "$root/boot/vmlinuz-$kver" ] || { echo "build.sh: no kernel in the chroot" >&2; exit 1; }
step "kernel $kver"
cp "$root/boot/vmlinuz-$kver" "$out/vmlinuz"
rm -f "$root"/boot/initrd.img*

step "initrd (busybox + modules for virtio, NVMe, ext4)"
"$here/make-initrd.sh" "$root" "$kver" "$here/initrd" "$out/initrd.img"

step "root file system (ext4 via mkfs.ext4 -d, then qcow2)"
used_mib=$(du -s --block-size=1M "$root" | cut -f1)
size_mib=$(( (used_mib + headroom_mib + 255) / 256 * 256 ))
mkfs.ext4 -q -F -L "$root_label" -U "$root_uuid" -E lazy_itable_init=0,lazy_journal_init=0 \
  -d "$root" "$work/rootfs.raw" "${size_mib}M"
qemu-img convert -f raw -O qcow2 "$work/rootfs.raw" "$out/rootfs.qcow2"
rm -f "$work/rootfs.raw"

file_entry() {
  printf '    "%s": {"sha256": "%s", "bytes": %s}' "$1" \
    "$(sha256sum < "$out/$1" | cut -d' ' -f1)" "$(stat -c %s "$out/$1")"
}
{
  printf '{\n'
  printf '  "name": "twin",\n'
  printf '  "recipe_hash": "%s",\n' "$recipe_hash"
  printf '  "suite": "%s",\n' "$suite"
  printf '  "kernel_version": "%s",\n' "$kver"
  printf '  "kernel": "vmlinuz",\n'
  printf '  "initrd": "initrd.img",\n'
  printf '  "rootfs": "rootfs.qcow2",\n'
  printf '  "rootfs_format": "qcow2",\n'
  printf '  "rootfs_virtual_mib": %s,\n' "$size_mib"
  printf '  "root_label": "%s",\n' "$root_label"
  printf '  "cmdline": "%s",\n' "$cmdline"
  printf '  "ssh": {"port": 40192, "user": "bnet", "authorized_keys_fw_cfg": "opt/e2e/ssh_authorized_keys"},\n'
  printf '  "built_seconds": %s,\n' "$(( $(date +%s) - started ))"
  printf '  "files": {\n'
  file_entry vmlinuz; printf ',\n'
  file_entry initrd.img; printf ',\n'
  file_entry rootfs.qcow2; printf '\n'
  printf '  }\n}\n'
} > "$out/manifest.json.tmp"
mv "$out/manifest.json.tmp" "$out/manifest.json"
step "done in $(( $(date +%s) - started ))s: $out"
