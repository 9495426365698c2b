# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
# SCSI-level checks with sg3-utils: INQUIRY (standard, VPD 0x00, 0x83 and 0x80
# when listed),
# READ CAPACITY(16) against the block layer's size, REPORT LUNS, TEST UNIT READY.

# Run a command, show its output, fail the test when it fails.
must() {
	local out
	echo "FVGUEST: INFO \$ $*"
	out=$("$@" 2>&1) || { echo "$out" | sed 's/^/  /'; fail "'$*' failed"; }
	[ -z "$out" ] || echo "$out" | sed 's/^/  /'
	LAST=$out
}

must sg_turs "$FV_DEV"
must sg_inq "$FV_DEV"
must sg_inq --page=0x00 "$FV_DEV"
echo "$LAST" | grep -qi 'device identification' ||
	fail "VPD page 0x83 is not listed in page 0x00"
# The unit serial number page is optional (LIO lists it once a serial is set).
if echo "$LAST" | grep -qi 'unit serial number'; then
	must sg_inq --page=0x80 "$FV_DEV"
fi
must sg_inq --page=0x83 "$FV_DEV"
must sg_readcap --long "$FV_DEV"
cap=$(echo "$LAST" | sed -n 's/.*Device size: \([0-9]*\) bytes.*/\1/p')
size=$(disk_bytes)
[ "$cap" = "$size" ] || fail "READ CAPACITY(16) says $cap bytes, block layer $size"
must sg_luns "$FV_DEV"
echo "$LAST" | grep -q '0000000000000000' || fail "REPORT LUNS does not list LUN 0"
info "sg: capacity $cap bytes, $(echo "$LAST" | grep -c '^ *[0-9a-f]\{16\}') LUN(s)"
