#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The Debian packages of make deb (build/deb/) on the running kernel:
# fastvhost-dkms and fvctl installed, DKMS builds and installs the module,
# modprobe loads it and fvctl talks to it, then both are purged and must
# leave nothing behind.
#
# All of it happens in a root of its own, never in the VM's /: an overlay
# whose lower layer is / and whose upper layer is a tmpfs, with /proc,
# /sys and /dev in it, chrooted into.  What dpkg, DKMS and depmod write
# lands in the upper layer, so after the purge that layer is what the
# packages left behind; it may hold only what $allowed names: dpkg's own
# database and log, the debconf and man-db caches their triggers rewrite,
# and the signing key DKMS makes on its first build (DKMS's, for any
# module).  A file of / copied up unchanged (depmod's indexes written
# again as they were) is no change.
set -u
dir=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$dir")
. "$dir/lib/ktap.sh"

k=$(uname -r)
debs=$top/build/deb
allowed='^(var/lib/dpkg/(status|status-old|lock|lock-frontend|triggers/.*|updates/.*)|var/log/dpkg\.log|var/cache/debconf/[a-z]+\.dat(-old)?|var/cache/man/.*|var/lib/dkms/mok\.(key|pub))$'
tmp=$(mktemp -d /tmp/fvpackages.XXXXXX)
root=$tmp/root
upper=$tmp/rw/upper

in_root() {
	chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
		LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
}

# What the upper layer holds, one "type path" a line.
layer() { (cd "$upper" && find . -mindepth 1 -printf '%y %P\n' | sort); }

# The root: / under a tmpfs, fresh /tmp, /run (no systemd running: the
# unit is enabled, not started) and /boot.  /boot holds the running
# kernel's config and System.map alone: the packages' postinst builds for
# the running kernel and for the newest in /boot, here the other test
# kernel, which would be the same build again under TCG.  The repository
# is there read-only, for the .debs.
isolate() {
	mkdir -p "$tmp/rw" "$root" &&
		mount -t tmpfs -o mode=0755 fvpackages "$tmp/rw" &&
		mkdir "$upper" "$tmp/rw/work" &&
		mount -t overlay -o "lowerdir=/,upperdir=$upper,workdir=$tmp/rw/work" fvpackages "$root" ||
		return 1
	mount -t proc proc "$root/proc" &&
		mount --rbind /sys "$root/sys" &&
		mount --rbind /dev "$root/dev" &&
		mount -t tmpfs -o mode=1777 tmpfs "$root/tmp" &&
		mount -t tmpfs -o mode=0755 tmpfs "$root/run" &&
		mount -t tmpfs -o mode=0755 tmpfs "$root/boot" &&
		cp "/boot/config-$k" "/boot/System.map-$k" "$root/boot/" &&
		mount --bind "$top" "$root$top" &&
		mount -o remount,bind,ro "$root$top" &&
		mount --make-rprivate "$root" || return 1
	layer >"$tmp/before"
	[ ! -s "$tmp/before" ] || { echo "the upper layer is not empty:"; cat "$tmp/before"; }
	[ ! -d /sys/module/fastvhost ] || { echo "fastvhost is loaded already"; return 1; }
	! in_root dpkg-query -W fvctl fastvhost-dkms 2>/dev/null || { echo "installed already"; return 1; }
}

install_debs() {
	in_root dpkg -i "$debs"/fastvhost-dkms_*.deb "$debs"/fvctl_*.deb >"$tmp/dpkg.log" 2>&1 ||
		{ tail -n 30 "$tmp/dpkg.log"; return 1; }
	grep -E '^(Building|Done|Setting up|fastvhost\.ko)' "$tmp/dpkg.log"
}

built() {
	local st mod
	st=$(in_root dkms status -m fastvhost -k "$k" 2>/dev/null)
	echo "dkms status: $st"
	[[ $st == "fastvhost/$(cat "$top/VERSION"), $k, "*": installed"* ]] || return 1
	mod=$(in_root modinfo -k "$k" -n fastvhost) || return 1
	echo "modinfo: $mod"
	[[ $mod == /lib/modules/$k/updates/dkms/fastvhost.ko* ]]
}

loads() {
	local want
	in_root modprobe fastvhost || return 1
	want=$(in_root modinfo -k "$k" -F srcversion fastvhost)
	[ "$(cat /sys/module/fastvhost/srcversion)" = "$want" ] ||
		{ echo "loaded: $(cat /sys/module/fastvhost/srcversion), DKMS's: $want"; return 1; }
	echo "module version $(cat /sys/module/fastvhost/version), $(in_root fvctl -V)"
	[ "$(cat /sys/module/fastvhost/version)" = "$(cat "$top/VERSION")" ] || return 1
	[ "$(in_root fvctl -j show)" = "[]" ] || { in_root fvctl -j show; return 1; }
	rmmod fastvhost
}

purge() {
	in_root dpkg --purge fvctl fastvhost-dkms >"$tmp/purge.log" 2>&1 ||
		{ tail -n 30 "$tmp/purge.log"; return 1; }
	! in_root dpkg-query -W fvctl fastvhost-dkms 2>/dev/null || return 1
	[ -z "$(in_root dkms status -m fastvhost 2>/dev/null)" ] || { in_root dkms status; return 1; }
}

# Each entry the upper layer gained: allowed, a directory or file of /
# copied up as it was, or left behind.
nothing_left() {
	local t p n=0 left=0 ok=
	layer >"$tmp/after"
	while read -r t p; do
		n=$((n + 1))
		if [ "$t" = d ] && [ -d "/$p" ]; then
			continue
		elif [ "$t" = f ] && [ -f "/$p" ] && cmp -s "$upper/$p" "/$p"; then
			continue
		elif [ "$t" = l ] && [ "$(readlink "$upper/$p")" = "$(readlink "/$p" 2>/dev/null)" ]; then
			continue
		elif [[ $p =~ $allowed ]]; then
			ok="$ok /$p"
			continue
		elif [ "$t" = c ]; then
			echo "removed: /$p"
		else
			echo "left: /$p ($t)"
		fi
		left=$((left + 1))
	done < <(comm -13 "$tmp/before" "$tmp/after")
	echo "allowed:$ok"
	echo "the upper layer gained $n entries, $left of them left behind"
	[ "$left" = 0 ]
}

teardown() {
	[ ! -d /sys/module/fastvhost ] || rmmod fastvhost
	umount -R "$root" 2>/dev/null
	umount "$tmp/rw" 2>/dev/null
	rm -rf "$tmp"
}

skip() {
	ktap_plan 1
	ktap_skip "Debian packages: $1"
	rm -rf "$tmp"
	exit 0
}

[ -e "/lib/modules/$k/build/include" ] || skip "no kernel headers for $k"
# DKMS's build of the module takes 4 to 12 minutes under TCG (the whole
# test 12 to 14 here, past 15 once in CI; scripts/vm-suite gives it 25):
# make check does it on Debian 12's default kernel, the first of
# scripts/kvers.
first=$("$top/scripts/kvers" 6.1 2>/dev/null)
[ "$k" = "$first" ] || [ -n "${FV_PACKAGES_ANY_KERNEL:-}" ] ||
	skip "run on $first only (DKMS's build under TCG takes minutes; FV_PACKAGES_ANY_KERNEL=1 runs it here)"
command -v dkms >/dev/null || skip "dkms is not installed (make deps)"
ls "$debs"/fastvhost-dkms_*.deb "$debs"/fvctl_*.deb >/dev/null 2>&1 ||
	skip "no .debs in build/deb (make deb; make check builds them)"

ktap_plan 6
ktap_run "an overlay root on / with a tmpfs upper layer" isolate
ktap_run "dpkg -i fastvhost-dkms and fvctl: DKMS builds the module for $k" install_debs
ktap_run "dkms status: fastvhost installed for $k, in updates/dkms" built
ktap_run "modprobe loads DKMS's module, fvctl talks to it, rmmod" loads
ktap_run "dpkg --purge removes both, DKMS's module too" purge
ktap_run "the purge left nothing behind" nothing_left
teardown
ktap_finish
