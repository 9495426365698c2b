# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash disable=SC2013,SC2015 # words of /proc/cmdline; A && B || fail
# End-to-end checks of a vhost-scsi target with several LUNs, driven by
# selftests/e2e.sh. Each check prints one line
#   FVGUEST: CHECK <id> ok [detail]     or     FVGUEST: CHECK <id> fail <why>
# and the test goes on with the next one; it fails at the end if any failed.
# Kernel command line parameters (besides those of /init):
#   fve2e=ROLE       main: LUN identity, sg3-utils, fio on every LUN, LUN
#                    reset, then a reboot and a check of the data written
#                    before it (a marker at the end of the last LUN tells
#                    the second boot from the first);
#                    verify: the pattern the main role wrote before it was
#                    killed is still there, then fio on every LUN;
#                    kill: write the kill pattern, flush it, start fio on
#                    every LUN, print "FVGUEST: KILLME" and wait to be
#                    killed;
#                    io: fio on every LUN
#   fvlunN=PRODUCT,BYTES,SERIAL   what LUN N must report (N = 0, 1, ...)
#   fvnq=N           request queues the guest must see (default 1)
#   fvseed=HEX       seed of the pattern written before the kill
#   fvkill=1         main role: after the reboot check, do what the kill
#                    role does
#   fvfiomb=N        MiB each fio job writes (default 8; two jobs a LUN)
#   fvnoreset=1      leave out the LUN reset (its check says "skip")
#   fvnqsetup=N      verify role: the guest has N request queues (one MSI-X
#                    vector each), whether or not all carried I/O
#   fvdimms=N        verify role: the guest sees N ACPI memory devices
#   fvpilun=N        io role: LUN N is formatted with T10 PI type 1 and the
#                    device offers VIRTIO_SCSI_F_T10_PI: the disk must
#                    carry T10-DIF-TYPE1-CRC; after fio, a block written at
#                    MiB 40 is announced with "FVGUEST: CORRUPTME", the
#                    host corrupts its protection tuple, and reading it
#                    must fail (an I/O error, not data)
#
# Layout of each LUN (at least 64 MiB): fio at [0, 32 MiB), data written
# before the reboot at [40, 48), the kill pattern at [48, 56), the stage
# marker in the last 4 KiB of the last LUN.

ROLE=main
NQ=1
SEED=0
KILL=0
FIOMB=8
NORESET=0
PILUN=
NQSETUP=
DIMMS=
FAILS=0
LUNS=
STAGE_MB=40
KILL_MB=48
PART_MB=8

for w in $(cat /proc/cmdline); do
	case $w in
	fve2e=*) ROLE=${w#fve2e=} ;;
	fvnq=*) NQ=${w#fvnq=} ;;
	fvseed=*) SEED=${w#fvseed=} ;;
	fvkill=*) KILL=${w#fvkill=} ;;
	fvfiomb=*) FIOMB=${w#fvfiomb=} ;;
	fvnoreset=*) NORESET=${w#fvnoreset=} ;;
	fvpilun=*) PILUN=${w#fvpilun=} ;;
	fvnqsetup=*) NQSETUP=${w#fvnqsetup=} ;;
	fvdimms=*) DIMMS=${w#fvdimms=} ;;
	fvlun[0-9]*=*)
		w=${w#fvlun}
		LUNS="$LUNS ${w%%=*}"
		eval "EXP_${w%%=*}=\${w#*=}"
		;;
	esac
done
[ -n "$LUNS" ] || fail "no fvlunN= parameters"
# shellcheck disable=SC2086 # split the list
set -- $LUNS
FIRST=$1
NLUNS=$#
eval "LAST=\${$#}"

# Print the result of check $1 from the status of the rest of the line,
# which sets DETAIL and WHY.
ck() {
	local id=$1 t0 t1
	shift
	DETAIL=
	WHY=
	read -r t0 _ </proc/uptime
	if "$@"; then
		read -r t1 _ </proc/uptime
		echo "FVGUEST: CHECK $id ok${DETAIL:+ $DETAIL} [at ${t0}s, took $(awk "BEGIN { print $t1 - $t0 }")s]"
	else
		read -r t1 _ </proc/uptime
		FAILS=$((FAILS + 1))
		echo "FVGUEST: CHECK $id fail ${WHY:-failed} [at ${t0}s, took $(awk "BEGIN { print $t1 - $t0 }")s]"
		# The console is quiet: the kernel's side of the story.
		dmesg | tail -n 25 | sed 's/^/    dmesg| /'
	fi
}

# Run a command, keep its output in OUT (shown indented), return its status.
run() {
	local rc
	OUT=$("$@" 2>&1)
	rc=$?
	echo "  \$ $* (exit $rc)"
	[ -z "$OUT" ] || echo "$OUT" | sed -n '1,25s/^/    /p'
	return $rc
}

# Device node of LUN $1 (by its H:C:T:L address, not by probing order).
lun_dev() {
	local d
	for d in /sys/class/scsi_disk/*:"$1"/device/block/*; do
		[ -e "$d" ] && { echo "/dev/${d##*/}"; return 0; }
	done
	return 1
}

# Field $2 (1: product, 2: bytes, 3: serial) of LUN $1's expectations.
exp_of() {
	eval "echo \"\$EXP_$1\"" | cut -d, -f"$2"
}

# Pattern for the kill check: 8 MiB of 4 KiB blocks, each a numbered
# 64-byte header line and 63 lines of the seed (made once, kept in /tmp).
kill_pattern() {
	[ -s /tmp/kill.pat ] ||
		awk -v s="$SEED" -v n=$((PART_MB * 256)) 'BEGIN {
			f = sprintf("fastvhost e2e %-16s ................................\n", s)
			for (i = 0; i < 6; i++) f = f f
			f = substr(f, 1, 4032)
			for (i = 0; i < n; i++) printf "fastvhost e2e %-16s block %010d ...............\n%s", s, i, f }' \
			>/tmp/kill.pat
	cat /tmp/kill.pat
}

# sha256 of $3 MiB of device $1 at MiB $2, read with O_DIRECT.
dev_sum() {
	dd if="$1" bs=1M skip="$2" count="$3" iflag=direct status=none | sha256sum | cut -c1-64
}

# Write stdin to device $1 at MiB $2 with O_DIRECT, then flush.
dev_put() {
	dd of="$1" bs=1M seek="$2" oflag=direct conv=fsync status=none
}

# --- checks ---------------------------------------------------------------

# LUN $1: size, vendor and product in sysfs and in INQUIRY.
c_ident() {
	local l=$1 dev name size want prod vendor model
	dev=$(lun_dev "$l") || { WHY="no disk for LUN $l"; return 1; }
	name=${dev#/dev/}
	want=$(exp_of "$l" 2)
	prod=$(exp_of "$l" 1)
	size=$(blockdev --getsize64 "$dev")
	[ "$size" = "$want" ] || { WHY="$dev is $size bytes, want $want"; return 1; }
	vendor=$(sed 's/ *$//' "/sys/block/$name/device/vendor")
	model=$(sed 's/ *$//' "/sys/block/$name/device/model")
	[ "$vendor" = LIO-ORG ] && [ "$model" = "$prod" ] ||
		{ WHY="sysfs says '$vendor' '$model', want 'LIO-ORG' '$prod'"; return 1; }
	run sg_inq "$dev" || { WHY="sg_inq failed"; return 1; }
	echo "$OUT" | grep -q "Vendor identification: LIO-ORG" &&
		echo "$OUT" | grep -q "Product identification: $prod" ||
		{ WHY="INQUIRY does not say LIO-ORG $prod"; return 1; }
	DETAIL="$dev $size bytes, LIO-ORG $prod"
}

# VPD pages 0x00, 0x80 (the backstore's serial) and 0x83 on every LUN.
c_vpd() {
	local l dev serial
	for l in $LUNS; do
		dev=$(lun_dev "$l") || { WHY="no disk for LUN $l"; return 1; }
		serial=$(exp_of "$l" 3)
		run sg_inq --page=0x00 "$dev" || { WHY="VPD 0x00 on $dev failed"; return 1; }
		echo "$OUT" | grep -qi 'unit serial number' &&
			echo "$OUT" | grep -qi 'device identification' ||
			{ WHY="VPD 0x00 of $dev does not list 0x80 and 0x83"; return 1; }
		run sg_inq --page=0x80 "$dev" || { WHY="VPD 0x80 on $dev failed"; return 1; }
		echo "$OUT" | grep -q "Unit serial number: $serial" ||
			{ WHY="VPD 0x80 of $dev lacks serial $serial"; return 1; }
		run sg_inq --page=0x83 "$dev" || { WHY="VPD 0x83 on $dev failed"; return 1; }
		echo "$OUT" | grep -q 'NAA' ||
			{ WHY="VPD 0x83 of $dev has no NAA designator"; return 1; }
	done
	DETAIL="serials and NAA designators of LUNs$LUNS"
}

# READ CAPACITY(16) against the expected size and the block layer.
c_readcap() {
	local l dev cap
	for l in $LUNS; do
		dev=$(lun_dev "$l") || { WHY="no disk for LUN $l"; return 1; }
		run sg_readcap --long "$dev" || { WHY="sg_readcap -l $dev failed"; return 1; }
		cap=$(echo "$OUT" | sed -n 's/.*Device size: \([0-9]*\) bytes.*/\1/p')
		[ "$cap" = "$(exp_of "$l" 2)" ] && [ "$cap" = "$(blockdev --getsize64 "$dev")" ] ||
			{ WHY="$dev: READ CAPACITY(16) says '$cap' bytes"; return 1; }
		echo "$OUT" | grep -q 'Logical block length=512 bytes' ||
			{ WHY="$dev: block length is not 512"; return 1; }
	done
	DETAIL="sizes match on LUNs$LUNS"
}

# REPORT LUNS lists exactly the LUNs configured.
c_luns() {
	local dev l n
	dev=$(lun_dev "$FIRST") || { WHY="no disk for LUN $FIRST"; return 1; }
	run sg_luns "$dev" || { WHY="sg_luns failed"; return 1; }
	for l in $LUNS; do
		echo "$OUT" | grep -q "^ *$(printf '%04x' "$l")000000000000" ||
			{ WHY="REPORT LUNS does not list LUN $l"; return 1; }
	done
	n=$(echo "$OUT" | grep -c '^ *[0-9a-f]\{16\}')
	[ "$n" = "$NLUNS" ] || { WHY="REPORT LUNS lists $n LUNs"; return 1; }
	DETAIL="$n LUNs"
}

# SYNCHRONIZE CACHE on every LUN.
c_sync() {
	local l dev
	for l in $LUNS; do
		dev=$(lun_dev "$l") || { WHY="no disk for LUN $l"; return 1; }
		run sg_sync "$dev" || { WHY="sg_sync $dev failed"; return 1; }
	done
}

# UNMAP of 8 blocks must succeed where READ CAPACITY(16) reports LBPME=1
# and be refused as an illegal request (exit 5) or an invalid opcode
# (exit 9) where it reports LBPME=0.
c_unmap() {
	local l dev lbpme rc res=
	for l in $LUNS; do
		dev=$(lun_dev "$l") || { WHY="no disk for LUN $l"; return 1; }
		run sg_readcap --long "$dev"
		lbpme=$(echo "$OUT" | sed -n 's/.*lbpme=\([01]\).*/\1/p')
		run sg_unmap --force --lba=$((KILL_MB * 2048 + PART_MB * 2048)) --num=8 "$dev"
		rc=$?
		if [ "$lbpme" = 1 ]; then
			[ $rc = 0 ] || { WHY="$dev: lbpme=1 but UNMAP failed (exit $rc)"; return 1; }
			res="$res LUN $l unmapped;"
		else
			case $rc in
			5|9) res="$res LUN $l lbpme=0, refused (exit $rc);" ;;
			*) WHY="$dev: lbpme='$lbpme', UNMAP exit $rc"; return 1 ;;
			esac
		fi
	done
	DETAIL=${res%;}
}

# fio random write + crc32c verify on every LUN, two jobs a LUN, one on
# each CPU so that both request queues carry I/O when there are two.
fio_lun() {
	local dev=$1 rc
	shift
	fio --name=lun --filename="$dev" --direct=1 --ioengine=libaio \
		--iodepth=16 --rw=randwrite --bsrange=4k-64k --blockalign=4k \
		--size="${FIOMB}M" --offset_increment="${FIOMB}M" --numjobs=2 \
		--cpus_allowed="0-$(($(nproc) - 1))" --cpus_allowed_policy=split \
		--verify=crc32c --verify_fatal=1 --verify_dump=0 \
		--group_reporting "$@" >/tmp/fio.out 2>&1
	rc=$?
	sed -n '/^ *\(READ\|WRITE\):/s/^ */    /p' /tmp/fio.out
	if [ $rc != 0 ] || grep -qi 'verify: bad' /tmp/fio.out || ! grep -q 'err= *0' /tmp/fio.out; then
		sed 's/^/    | /' /tmp/fio.out | tail -n 30
		return 1
	fi
}

c_fio() {
	local l=$1 dev
	dev=$(lun_dev "$l") || { WHY="no disk for LUN $l"; return 1; }
	fio_lun "$dev" || { WHY="fio write+verify on $dev failed"; return 1; }
	DETAIL="$dev $((FIOMB * 2)) MiB, 2 jobs, iodepth 16: $(grep -E '^ *WRITE:' /tmp/fio.out | sed 's/^ *WRITE: *//; s/,.*//')"
}

# Interrupts of each virtio-scsi request queue so far, as "requestN=COUNT",
# in the order of /proc/interrupts (one MSI-X vector a virtqueue, each
# named "virtioN-request").
vq_irqs() {
	awk 'NR == 1 { ncpu = NF; next }
	$NF ~ /-request(\.[0-9]+)?$/ {
		n = 0; for (i = 2; i <= ncpu + 1; i++) n += $i
		printf "request%d=%d ", q++, n
	}' /proc/interrupts
}

# The guest has NQ request queues and (after fio) each of them completed
# requests.
c_queues() {
	local counts h n=0
	counts=$(vq_irqs)
	for h in $counts; do
		n=$((n + 1))
		[ "${h#*=}" -gt 0 ] 2>/dev/null || { WHY="no interrupts on ${h%=*} ($counts)"; return 1; }
	done
	[ "$n" = "$NQ" ] || { WHY="$n request queues, want $NQ ($counts)"; return 1; }
	DETAIL="$(nproc) CPUs, interrupts: $counts"
}

# LUN reset (sg_reset -d, no escalation) of LUN 0 while a reader is busy,
# then fio on the same LUN.
c_reset() {
	local dev pid rc FIOMB=4
	dev=$(lun_dev "$FIRST") || { WHY="no disk for LUN $FIRST"; return 1; }
	dd if="$dev" of=/dev/null bs=4k count=2048 iflag=direct status=none &
	pid=$!
	usleep 200000
	run sg_reset --device --no-esc "$dev"
	rc=$?
	wait $pid || { WHY="reader across the reset failed"; return 1; }
	[ $rc = 0 ] || { WHY="sg_reset -d -N $dev: exit $rc"; return 1; }
	fio_lun "$dev" || { WHY="fio after the reset failed"; return 1; }
	DETAIL="reset completed, fio write+verify after it passed"
}

# NQSETUP request queues, each with its MSI-X vector.
c_queues_setup() {
	local counts h n=0
	counts=$(vq_irqs)
	for h in $counts; do
		n=$((n + 1))
	done
	DETAIL="$(nproc) CPUs online of $(cat /sys/devices/system/cpu/possible), $n request queues"
	[ "$n" = "$NQSETUP" ] || { WHY="$n request queues, want $NQSETUP ($counts)"; return 1; }
}

# DIMMS memory devices present (ACPI PNP0C80, one a slot; _STA 15 for a
# plugged one, 0 for an empty slot), and the guest's NUMA nodes.
c_dimms() {
	local d n=0 slots=0
	for d in /sys/bus/acpi/devices/PNP0C80:*; do
		[ -e "$d/status" ] || continue
		slots=$((slots + 1))
		[ "$(cat "$d/status")" = 0 ] || n=$((n + 1))
	done
	DETAIL="$n memory devices present of $slots slots, NUMA nodes $(cat /sys/devices/system/node/online 2>/dev/null)"
	[ "$n" = "$DIMMS" ] || { WHY="$n memory devices present of $slots slots, want $DIMMS"; return 1; }
}

# LUN $1's disk carries T10 PI type 1 (the block layer adds and checks it).
c_piformat() {
	local dev fmt
	dev=$(lun_dev "$1") || { WHY="no disk for LUN $1"; return 1; }
	fmt=$(cat "/sys/block/${dev#/dev/}/integrity/format" 2>&1)
	DETAIL="$dev integrity $fmt"
	[ "$fmt" = T10-DIF-TYPE1-CRC ] || { WHY="$dev integrity format '$fmt'"; return 1; }
}

# A 4 KiB block at MiB 40 of LUN $1, read back; then the host corrupts
# its first protection tuple (on "FVGUEST: CORRUPTME") and a read must
# fail.  Good data that reads back is waited for (the host's turn), other
# data never.
c_picorrupt() {
	local dev i blk=$((40 * 256))
	dev=$(lun_dev "$1") || { WHY="no disk for LUN $1"; return 1; }
	dd if=/dev/urandom of=/tmp/pi.blk bs=4k count=1 status=none
	dd if=/tmp/pi.blk of="$dev" bs=4k seek=$blk oflag=direct conv=fsync status=none ||
		{ WHY="cannot write the block"; return 1; }
	dd if="$dev" of=/tmp/pi.rd bs=4k skip=$blk count=1 iflag=direct status=none &&
		cmp -s /tmp/pi.blk /tmp/pi.rd || { WHY="the block did not read back before"; return 1; }
	echo "FVGUEST: CORRUPTME"
	for i in $(seq 120); do
		if ! dd if="$dev" of=/tmp/pi.rd bs=4k skip=$blk count=1 iflag=direct status=none 2>/tmp/pi.err; then
			DETAIL="read $i: $(head -n 1 /tmp/pi.err); $(dmesg | grep -m1 -i 'check failed')"
			dmesg | grep -qiE 'tag check failed|guard check failed' && return 0
			WHY="read $i failed ($(head -n 1 /tmp/pi.err)) with no PI check failure in the kernel log"
			return 1
		fi
		cmp -s /tmp/pi.blk /tmp/pi.rd || { WHY="read $i returned other data as good"; return 1; }
		sleep 0.5
	done
	WHY="the block still reads back 60 s after CORRUPTME"
	return 1
}

# --- roles ----------------------------------------------------------------

last_lun_dev() {
	lun_dev "$LAST"
}

marker_off() {
	echo $(($(blockdev --getsize64 "$1") / 4096 - 1))
}

read_marker() {
	dd if="$1" bs=4k skip="$(marker_off "$1")" count=1 iflag=direct status=none |
		tr -d '\0' | head -n1
}

write_marker() {
	{ printf '%s\n' "$2"; head -c 4096 /dev/zero; } | head -c 4096 |
		dd of="$1" bs=4k seek="$(marker_off "$1")" oflag=direct conv=fsync status=none
}

# Stage 1 data: random MiBs on each LUN, their sums in the marker.
write_stage_data() {
	local l dev sums=
	for l in $LUNS; do
		dev=$(lun_dev "$l") || return 1
		head -c $((PART_MB * 1048576)) /dev/urandom | dev_put "$dev" "$STAGE_MB" || return 1
		sums="$sums $l:$(dev_sum "$dev" "$STAGE_MB" "$PART_MB")"
	done
	echo "FVSTAGE2$sums"
}

c_reboot() {
	local w l dev sum
	for w in ${MARK#FVSTAGE2}; do
		l=${w%%:*}
		dev=$(lun_dev "$l") || { WHY="no disk for LUN $l after the reboot"; return 1; }
		sum=$(dev_sum "$dev" "$STAGE_MB" "$PART_MB")
		[ "$sum" = "${w#*:}" ] || { WHY="LUN $l: data differs after the reboot"; return 1; }
	done
	DETAIL="$PART_MB MiB on each LUN read back the same after reboot -f"
}

c_killdata() {
	local l=$1 dev want got
	dev=$(lun_dev "$l") || { WHY="no disk for LUN $l"; return 1; }
	want=$(kill_pattern | sha256sum | cut -c1-64)
	got=$(dev_sum "$dev" "$KILL_MB" "$PART_MB")
	[ "$want" = "$got" ] || { WHY="$dev: the flushed pattern did not survive"; return 1; }
	DETAIL="$dev $PART_MB MiB at MiB $KILL_MB as flushed"
}

# Write and flush the kill pattern, start fio on every LUN and wait for
# the host to kill this machine.
kill_phase() {
	local l dev pids=
	for l in $LUNS; do
		dev=$(lun_dev "$l") || fail "no disk for LUN $l"
		kill_pattern | dev_put "$dev" "$KILL_MB" || fail "writing the pattern failed"
		sg_sync "$dev" || fail "sg_sync $dev failed"
	done
	info "kill pattern written and flushed"
	for l in $LUNS; do
		dev=$(lun_dev "$l")
		fio --name=kill --filename="$dev" --direct=1 --ioengine=libaio \
			--iodepth=16 --rw=randrw --bs=4k --size=32M --numjobs=2 \
			--cpus_allowed="0-$(($(nproc) - 1))" --cpus_allowed_policy=split \
			--time_based --runtime=120 >/dev/null 2>&1 &
		pids="$pids $!"
	done
	sleep 2
	echo "FVGUEST: KILLME"
	# shellcheck disable=SC2086
	wait $pids
	fail "still running after fio ended: the host did not kill QEMU"
}

role_main() {
	local dev l
	dev=$(last_lun_dev) || fail "no disk for the last LUN"
	MARK=$(read_marker "$dev")
	case $MARK in
	FVSTAGE2*)
		info "second boot: checking the data written before the reboot"
		ck reboot c_reboot
		write_marker "$dev" "" || fail "cannot clear the marker"
		if [ "$KILL" = 1 ]; then
			need_fio
			kill_phase
		fi
		;;
	*)
		for l in $LUNS; do
			ck "lun$l" c_ident "$l"
		done
		ck vpd c_vpd
		ck readcap c_readcap
		ck luns c_luns
		ck sync c_sync
		ck unmap c_unmap
		need_fio
		for l in $LUNS; do
			ck "fio$l" c_fio "$l"
		done
		ck queues c_queues
		if [ "$NORESET" = 1 ]; then
			echo "FVGUEST: CHECK reset skip left out by the host (fvnoreset=1)"
		else
			ck reset c_reset
		fi
		MARK=$(write_stage_data) || fail "writing the data for the reboot check failed"
		write_marker "$dev" "$MARK" || fail "cannot write the marker"
		sync
		info "rebooting with $FAILS failed check(s)"
		reboot -f
		sleep 10
		fail "reboot -f did not reboot"
		;;
	esac
}

role_verify() {
	local l
	[ -z "$NQSETUP" ] || ck queues_setup c_queues_setup
	[ -z "$DIMMS" ] || ck dimms c_dimms
	for l in $LUNS; do
		ck "killdata$l" c_killdata "$l"
	done
	need_fio
	for l in $LUNS; do
		ck "fio$l" c_fio "$l"
	done
}

role_io() {
	local l
	need_fio
	[ -z "$PILUN" ] || ck piformat c_piformat "$PILUN"
	for l in $LUNS; do
		ck "fio$l" c_fio "$l"
	done
	[ -z "$PILUN" ] || ck picorrupt c_picorrupt "$PILUN"
}

case $ROLE in
main) role_main ;;
verify) role_verify ;;
kill) need_fio; kill_phase ;;
io) role_io ;;
*) fail "unknown fve2e role '$ROLE'" ;;
esac
[ $FAILS = 0 ] || fail "$FAILS check(s) failed"
