#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install everything fastvhost needs to build and test, from Debian packages.
# Quick and silent when everything is already present.
set -euo pipefail

pkgs=(
	build-essential bc bison flex libelf-dev libssl-dev kmod cpio xz-utils zstd
	linux-image-amd64 linux-headers-amd64
	linux-image-6.12-amd64 linux-headers-6.12-amd64 linux-source-6.12
	qemu-system-x86 targetcli-fb dbus busybox-static
	libvirt-daemon-system libvirt-daemon-driver-qemu libvirt-clients
	libnl-3-dev libnl-genl-3-dev pkg-config debhelper dh-dkms dkms
	sparse fio sg3-utils python3-yaml python3-jsonschema lcov nvme-cli systemd
)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
	echo "deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive INITRD=No
	SUDO=
	[ "$(id -u)" -eq 0 ] || SUDO=sudo
	$SUDO apt-get update -qq
	$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The kernel source tarball carries checkpatch.pl and kselftest_harness.h.
src=/usr/src/linux-source-6.12
if [ ! -d "$src" ]; then
	tarball=$(ls /usr/src/linux-source-6.12*.tar.* 2>/dev/null | head -n1)
	[ -n "$tarball" ] || { echo "deps: linux-source-6.12 tarball not found" >&2; exit 1; }
	echo "deps: unpacking $(basename "$tarball")"
	tmp=$(mktemp -d /usr/src/.fv-src.XXXXXX)
	tar -C "$tmp" -xf "$tarball" --wildcards \
		'*/scripts/checkpatch.pl' '*/scripts/spelling.txt' '*/scripts/const_structs.checkpatch' \
		'*/tools/testing/selftests/kselftest_harness.h' '*/tools/testing/selftests/kselftest.h' \
		'*/tools/net/ynl/*' '*/Documentation/netlink/*' 2>/dev/null || true
	mv "$tmp"/linux-source-6.12 "$src"
	rmdir "$tmp"
fi
exit 0
