# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash disable=SC2013,SC2015 # words of /proc/cmdline; A && B || fail
# The guest side of selftests/migrate.sh: I/O that must come through live
# migrations intact.  Two LUNs (0 and 1, at least 64 MiB each):
#   [0, 32 MiB)   fio random write + crc32c verify (reads as it writes,
#                 verify_backlog, and all of it again at the end of a
#                 round), two jobs a LUN on both CPUs, iodepth 16, round
#                 after round
#   [32, 48 MiB)  of LUN 1: random data written once; its two halves are
#                 read in turn with O_DIRECT into one 8 MiB buffer that
#                 nothing else writes (/fv/fvreread), each read checked:
#                 a page the device filled during a migration without
#                 logging it arrives holding the other half's bytes
#   last 4 KiB    of LUN 1: the stage marker
# First boot: print "FVGUEST: INFO migrate: running" and go on until the
# host writes "stop" on the console, then check and reboot -f.  Second
# boot: one more fio round and the pattern.  Checks print
#   FVGUEST: CHECK <id> ok|fail <detail>
# Kernel arguments: fvmigmb=N (MiB a fio job writes, default 8).

MB=8
PAT_SKIP=2		# in 16 MiB blocks: [32, 48)
FAILS=0

for w in $(cat /proc/cmdline); do
	case $w in
	fvmigmb=*) MB=${w#fvmigmb=} ;;
	esac
done

check() {	# check ID ok|fail DETAIL
	[ "$2" = ok ] || FAILS=$((FAILS + 1))
	echo "FVGUEST: CHECK $1 $2 $3"
}

lun_dev() {
	local d
	for d in /sys/class/scsi_disk/*:"$1"/device/block/*; do
		[ -e "$d" ] && { echo "/dev/${d##*/}"; return 0; }
	done
	return 1
}

D0=$(lun_dev 0) && D1=$(lun_dev 1) || fail "LUNs 0 and 1 are not both there"
MARK_OFF=$(($(blockdev --getsize64 "$D1") / 4096 - 1))

read_marker() {
	dd if="$D1" bs=4k skip="$MARK_OFF" count=1 iflag=direct status=none |
		tr -d '\0' | head -n1
}

write_marker() {
	{ printf '%s\n' "$1"; head -c 4096 /dev/zero; } | head -c 4096 |
		dd of="$D1" bs=4k seek="$MARK_OFF" oflag=direct conv=fsync status=none
}

pattern_sum() {
	dd if="$D1" bs=16M skip="$PAT_SKIP" count=1 iflag=direct status=none |
		sha256sum | cut -c1-64
}

vpd_ids() {
	sg_inq -p 0x83 "$D0" && sg_inq -p 0x83 "$D1"
}

# One round: random writes with crc32c verify on both LUNs.
fio_round() {
	fio --direct=1 --ioengine=libaio --iodepth=16 --rw=randwrite \
		--bsrange=4k-64k --blockalign=4k --size="${MB}M" \
		--offset_increment="${MB}M" --numjobs=2 \
		--cpus_allowed="0-$(($(nproc) - 1))" --cpus_allowed_policy=split \
		--verify=crc32c --verify_backlog=32 --verify_fatal=1 \
		--verify_dump=0 --group_reporting \
		--name=lun0 --filename="$D0" --name=lun1 --filename="$D1" \
		>/tmp/fio.out 2>&1 &&
		! grep -qi 'verify: bad' /tmp/fio.out
}

fio_loop() {
	local n=0
	while [ ! -e /tmp/stop ]; do
		if ! fio_round; then
			sed 's/^/    | /' /tmp/fio.out | tail -n 30
			echo "fail $n" >/tmp/fio.res
			return
		fi
		n=$((n + 1))
	done
	echo "ok $n" >/tmp/fio.res
}

reread_loop() {
	/fv/fvreread "$D1" $((32 << 20)) $((40 << 20)) $((8 << 20)) /tmp/stop \
		>/tmp/reread.out 2>&1
	tail -n 1 /tmp/reread.out | awk '$1 == "reads" { print $2, $4; ok = 1 }
		END { if (!ok) print 0, "error" }' >/tmp/reread.res
}

need_fio
if [ "$(read_marker)" = "fvmigrate stage 2" ]; then
	info "migrate: second boot"
	fio_round && check fio_after_reboot ok "$(grep -E '^ *WRITE:' /tmp/fio.out | sed 's/^ *//; s/,.*//')" ||
		{ sed 's/^/    | /' /tmp/fio.out | tail -n 30; check fio_after_reboot fail "fio write+verify failed"; }
	want=$(dd if="$D1" bs=4k skip=$((MARK_OFF - 1)) count=1 iflag=direct status=none | tr -d '\0' | head -n1)
	got=$(pattern_sum)
	[ "$got" = "$want" ] && check pattern_after_reboot ok "sha256 $got" ||
		check pattern_after_reboot fail "sha256 $got, want $want"
	write_marker "done"
	[ "$FAILS" = 0 ] || fail "$FAILS check(s) failed after the reboot"
	exit 0
fi

# First boot.
vpd_ids >/tmp/vpd.before 2>&1 || fail "sg_inq -p 0x83 failed"
head -c $((16 << 20)) /dev/urandom | dd of="$D1" bs=16M seek="$PAT_SKIP" oflag=direct conv=fsync status=none ||
	fail "cannot write the pattern"
PAT=$(pattern_sum)
# The pattern's sum next to the marker, for the second boot.
{ printf '%s\n' "$PAT"; head -c 4096 /dev/zero; } | head -c 4096 |
	dd of="$D1" bs=4k seek=$((MARK_OFF - 1)) oflag=direct conv=fsync status=none ||
	fail "cannot write the pattern's sum"
write_marker "fvmigrate stage 1"
rm -f /tmp/stop /tmp/fio.res /tmp/reread.res
stty -F /dev/ttyS0 -echo 2>/dev/null
(while read -r l; do [ "$l" = stop ] && { touch /tmp/stop; break; }; done </dev/ttyS0) &
fio_loop &
FIO_PID=$!
reread_loop &
RR_PID=$!
info "migrate: running"
wait "$FIO_PID" "$RR_PID"
info "migrate: stopped"

read -r res n </tmp/fio.res
[ "$res" = ok ] && [ "$n" -ge 1 ] && check fio ok "$n rounds of ${MB} MiB a job, 4 jobs, verified" ||
	check fio fail "round $((n + 1)) failed ($res after $n)"
read -r n bad </tmp/reread.res
[ "$bad" = 0 ] && [ "$n" -ge 1 ] && check reread ok "$n O_DIRECT reads of 8 MiB into one buffer, all match" ||
	{ sed 's/^/    | /' /tmp/reread.out | tail -n 10; check reread fail "$bad of $n reads differ"; }
vpd_ids >/tmp/vpd.after 2>&1
cmp -s /tmp/vpd.before /tmp/vpd.after && check vpd ok "VPD 0x83 of both LUNs as before" ||
	{ diff /tmp/vpd.before /tmp/vpd.after | sed 's/^/    | /'; check vpd fail "VPD 0x83 changed"; }
write_marker "fvmigrate stage 2"
sync
info "rebooting with $FAILS failed check(s)"
reboot -f
sleep 10
fail "reboot -f did not reboot"
