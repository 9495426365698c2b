# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
# fio end-to-end data check: random writes (4-128 KiB, queue depth 16, O_DIRECT,
# libaio) with crc32c verify headers, read back and verified by the same job;
# then, after dropping the caches, a verify-only pass over the same data.

need_fio
size=$(disk_bytes) || fail "cannot get the size of $FV_DEV"
mib=$((size / 1048576))
[ $mib -gt 48 ] && mib=48
[ $mib -ge 4 ] || fail "$FV_DEV is too small ($size bytes)"

# Run the fio job with extra options "$@"; show its output, keep its status.
job() {
	local rc
	fio --name=fv --filename="$FV_DEV" --direct=1 --ioengine=libaio \
		--iodepth=16 --rw=randwrite --bsrange=4k-128k --blockalign=4k \
		--size=${mib}M --verify=crc32c --verify_fatal=1 --verify_dump=0 \
		--randrepeat=1 "$@" >/tmp/fio.out 2>&1
	rc=$?
	sed 's/^/  /' /tmp/fio.out
	grep -qi 'verify: bad' /tmp/fio.out && return 1
	grep -q 'err= *0' /tmp/fio.out || return 1
	return $rc
}

# One line per direction from fio's summary, for the log.
summary() {
	grep -E '^ *(READ|WRITE):' /tmp/fio.out | tr -s ' ' | tr '\n' ';'
}

info "fio: randwrite + verify, ${mib} MiB, iodepth 16"
job || fail "fio random write + verify failed"
info "fio: write pass:$(summary)"
drop_caches
info "fio: verify-only pass"
job --verify_only || fail "fio verify-only pass failed"
info "fio: verify pass:$(summary)"
