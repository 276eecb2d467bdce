#!/usr/bin/env bash
# Makes the twin's initrd: static busybox, /init (initrd/init), and the kernel modules
# needed to find and mount the root disk (with their dependencies, in load order).
# Usage: make-initrd.sh CHROOT KERNEL_VERSION INITRD_SRC_DIR OUT_FILE
set -euo pipefail
root=$1 kver=$2 src=$3 out=$4
# virtio (blk/scsi/pci), NVMe, ext4 and the crc32c its checksums need.
wanted=(virtio_pci virtio_blk virtio_scsi sd_mod nvme ext4 crc32c_generic)

moddir=$root/lib/modules/$kver
[ -f "$moddir/modules.dep" ] || { echo "make-initrd: $moddir/modules.dep missing" >&2; exit 1; }
busybox=$root/bin/busybox
[ -x "$busybox" ] || { echo "make-initrd: $busybox missing (package busybox-static)" >&2; exit 1; }

stage=$(mktemp -d "${TMPDIR:-/tmp}/twin-initrd.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,dev,proc,sys,run,newroot,lib/modules/"$kver"}
cp "$busybox" "$stage/bin/busybox"
ln -s busybox "$stage/bin/sh"
install -m 0755 "$src/init" "$stage/init"

# Depth-first over modules.dep: dependencies first, each module once. Built-in modules
# (modules.builtin) need nothing.
declare -A deps=() seen=()
while IFS= read -r line; do
  mod=${line%%:*}
  deps[$mod]=${line#*:}
done < "$moddir/modules.dep"
declare -A by_name=()
for path in "${!deps[@]}"; do
  base=${path##*/}; base=${base%%.ko*}
  by_name[${base//-/_}]=$path
done
order=()
visit() {
  local path=$1 d
  [ -n "${seen[$path]:-}" ] && return
  seen[$path]=1
  for d in ${deps[$path]}; do visit "$d"; done
  order+=("$path")
}
for name in "${wanted[@]}"; do
  if [ -n "${by_name[$name]:-}" ]; then
    visit "${by_name[$name]}"
  elif grep -Eq "/${name//_/[-_]}\.ko" "$moddir/modules.builtin"; then
    :
  else
    echo "make-initrd: module $name is neither in modules.dep nor built in ($kver)" >&2
    exit 1
  fi
done
: > "$stage/lib/modules/load-order"
for path in "${order[@]}"; do
  mkdir -p "$stage/lib/modules/$kver/$(dirname "$path")"
  cp "$moddir/$path" "$stage/lib/modules/$kver/$path"
  echo "$kver/$path" >> "$stage/lib/modules/load-order"
done

# Fixed timestamps: the same recipe gives the same initrd bytes (and measurement).
find "$stage" -mindepth 1 -exec touch -h -d @0 {} +
(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort |
  cpio --quiet -o -H newc -R 0:0 --reproducible | gzip -9n) > "$out"
echo "make-initrd: $(wc -l < "$stage/lib/modules/load-order") modules, $(stat -c %s "$out") bytes"
