#!/usr/bin/env bash
# Build the initramfs of tests/e2e/vm_test.sh's guest: static busybox, the
# guest's /init and udhcpc script (beside this file), and the virtio-net
# modules of the installed Debian cloud kernel.
#   build-initramfs.sh OUT.cpio KERNEL-VERSION
# Prints nothing on success; says what is missing otherwise.
set -euo pipefail
out=$1 kver=$2
here=$(cd "$(dirname "$0")" && pwd)
busybox=/bin/busybox
mods=/lib/modules/$kver
if [ ! -x "$busybox" ] || readelf -l "$busybox" 2>/dev/null | grep -q 'program interpreter'; then
	echo "$busybox is missing or not static: install busybox-static (scripts/deps test)" >&2
	exit 1
fi
[ -d "$mods" ] || { echo "no $mods: install linux-image-cloud-amd64 (scripts/deps test)" >&2; exit 1; }

root=$(mktemp -d "${TMPDIR:-/tmp}/sbgw-initramfs.XXXXXX")
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,dev,etc,lib/modules,proc,sys,tmp}
cp "$busybox" "$root/bin/busybox"
cp "$here/init" "$root/init"
cp "$here/udhcpc.script" "$root/udhcpc.script"
chmod 755 "$root/init" "$root/udhcpc.script"
# The kernel's console before devtmpfs is mounted.
mknod -m 600 "$root/dev/console" c 5 1
# virtio-net and what it needs, when the kernel has them as modules (the
# cloud kernel does); a kernel with them built in needs none.
for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci \
	failover net_failover virtio_net; do
	path=$(modinfo -k "$kver" -n "$m" 2>/dev/null) || continue
	case "$path" in
	/*) ;;
	*) continue ;; # "(builtin)"
	esac
	case "$path" in
	*.ko) cp "$path" "$root/lib/modules/$m.ko" ;;
	*.ko.xz) xz -dc "$path" >"$root/lib/modules/$m.ko" ;;
	*.ko.zst) zstd -qdc "$path" >"$root/lib/modules/$m.ko" ;;
	*) echo "cannot unpack $path" >&2; exit 1 ;;
	esac
done
if ! grep -q '^CONFIG_VIRTIO_NET=y' "/boot/config-$kver" 2>/dev/null && [ ! -f "$root/lib/modules/virtio_net.ko" ]; then
	echo "kernel $kver has no virtio_net (neither built in nor a module)" >&2
	exit 1
fi
(cd "$root" && find . -print0 | cpio --null -o -H newc --quiet) >"$out"
