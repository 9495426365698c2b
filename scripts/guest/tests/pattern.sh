# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
# Write a random pattern at the start and at the end of the disk with O_DIRECT,
# drop the caches, read both back with O_DIRECT and compare.

mib=8
size=$(disk_bytes) || fail "cannot get the size of $FV_DEV"
[ "$size" -ge $((2 * mib * 1048576)) ] || mib=1
[ "$size" -ge $((2 * mib * 1048576)) ] || fail "$FV_DEV is too small ($size bytes)"
last=$((size / 1048576 - mib))

dd if=/dev/urandom of=/tmp/pat bs=1M count=$mib status=none ||
	fail "cannot make the pattern"
dd if=/tmp/pat of="$FV_DEV" bs=1M oflag=direct conv=fsync status=none ||
	fail "write of $mib MiB at offset 0 failed"
dd if=/tmp/pat of="$FV_DEV" bs=1M seek=$last oflag=direct conv=fsync status=none ||
	fail "write of $mib MiB at MiB $last failed"
drop_caches

dd if="$FV_DEV" of=/tmp/rd bs=1M count=$mib iflag=direct status=none ||
	fail "read at offset 0 failed"
cmp /tmp/pat /tmp/rd || fail "data read at offset 0 differs from the pattern"
dd if="$FV_DEV" of=/tmp/rd bs=1M skip=$last count=$mib iflag=direct status=none ||
	fail "read at MiB $last failed"
cmp /tmp/pat /tmp/rd || fail "data read at MiB $last differs from the pattern"

info "pattern: ${mib} MiB at MiB 0 and MiB $last of $((size / 1048576)) MiB," \
	"sha256 $(sha256sum </tmp/pat | cut -c1-16)"
rm -f /tmp/pat /tmp/rd
