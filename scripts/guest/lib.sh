# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
# Helpers sourced by every guest test (/fv/tests/*.sh). The test runs with
# FV_DEV (e.g. /dev/sda) and FV_DISK (sda) set; it fails by calling fail.

info() { echo "FVGUEST: INFO $*"; }

# Record why the test failed (the verdict line quotes it) and stop the test.
fail() {
	echo "$*" >/tmp/fv.why
	echo "FVGUEST: INFO failed: $*"
	exit 1
}

# Size of the disk under test in bytes.
disk_bytes() {
	blockdev --getsize64 "$FV_DEV"
}

# Make the next reads come from the device, not the page cache.
drop_caches() {
	sync
	blockdev --flushbufs "$FV_DEV"
	echo 3 >/proc/sys/vm/drop_caches
}

# fio and its libraries travel compressed (see scripts/mkguest); unpack them
# on first use.
need_fio() {
	command -v fio >/dev/null && return
	[ -f /fv/fio.cpio.zst ] || fail "no fio in this guest image"
	(cd / && zstd -qdc /fv/fio.cpio.zst | cpio -idmu 2>/dev/null) ||
		fail "cannot unpack /fv/fio.cpio.zst"
	rm -f /fv/fio.cpio.zst
	command -v fio >/dev/null || fail "fio missing after unpacking"
}
