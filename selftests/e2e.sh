#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# e2e.sh: QEMU vhost-scsi-pci guests on fastvhost, end to end, and the same
# guest checks on the stock vhost_scsi as the reference.
#
#   selftests/e2e.sh [--l2-kver KVER] [--parts fastvhost,stock]
#
# Runs as root inside the test VM (scripts/vmtest), from the repository,
# with FV_KO naming the module and /dev/kvm available (kvm_amd under TCG's
# -cpu max). The guest image is scripts/mkguest's (build it on the host
# first: scripts/mkguest --kver KVER). Nested ("L2") guests:
#
#   A  target 1 (fvctl attach: LUN 0 rd_mcp, LUN 1 fileio), 2 vCPUs,
#      num_queues=2: LUN identity, sg3-utils (INQUIRY and VPD, READ
#      CAPACITY(16), REPORT LUNS, SYNCHRONIZE CACHE, UNMAP, LUN reset),
#      fio write + crc32c verify on both LUNs over both queues; reboot -f
#      and a check of the data on the second boot.
#   K  target 1 again: a flushed pattern, fio, fvctl stats, and kill -9 of
#      its QEMU.
#   C  target 1 again, a large guest: num_queues=16 (16 possible vCPUs,
#      one online), RAM from 4 NUMA nodes' backends and 68 cold-plugged
#      DIMMs, over 64 memory regions (vhost loaded with max_mem_regions
#      509, which QEMU reads); the pattern flushed before the kill is
#      there; fio.
#   D  target 2 (LUN 0 rd_mcp, LUN 1 fileio formatted with T10 PI type 1)
#      at the same time as C, with t10_pi=on: the guest's disk carries
#      T10-DIF-TYPE1-CRC, fio on both LUNs, and a protection tuple the
#      host corrupts in the backstore makes the guest's read fail.
#   S  the stock vhost_scsi with the same LUNs (raw configfs): what A does.
#
# Guest checks come back as "FVGUEST: CHECK <id> ok|fail" lines on each
# guest's serial port (scripts/guest/tests/e2e.sh); each becomes one KTAP
# result here. Serial logs go to build/e2e/<kernel>/.
# shellcheck disable=SC2015,SC2001 # A && B || fail; sed over lines
set -u

dir=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$dir")
cd "$top" || exit 1
# shellcheck source=selftests/lib/ktap.sh
. "$dir/lib/ktap.sh"
# shellcheck source=selftests/lib/steps.sh
. "$dir/lib/steps.sh"
UNDO_SHOW=1

CFG=/sys/kernel/config/target
FVCTL=$top/ctl/fvctl
DISK_MB=64
L2_KVER=
PARTS="fastvhost stock"
# One guest run, reboot included (FV_E2E_L2_TIMEOUT: for slower kernels).
# A deadline that finds hangs, not a speed test: with make check's legs two
# at a time on two cores, guest A's checks once ended 114 s after boot.
L2_TIMEOUT=${FV_E2E_L2_TIMEOUT:-240}

WORK=
LOGDIR=
declare -A GPID GLOG GKILL GKILLFN GTIMEDOUT GSTART GSECS GRC GARGS GRERUN GBOOTS GKILLED GCORRUPT GQEMU
LOADED=()

usage() {
	sed -n '3,/^set -u/{/^set -u/d;s/^# \{0,1\}//;p}' "$0" >&2
	exit "${1:-0}"
}

bail() {
	echo "Bail out! $*"
	exit 1
}

put() {
	echo "$2" >"$1" 2>/dev/null || { ktap_diag "writing '$2' to $1 failed"; return 1; }
}

# Milliseconds since the epoch, without a fork.
now_ms() {
	local t=${EPOCHREALTIME/[.,]/}
	echo $((t / 1000))
}

secs_since() {	# secs_since START_MS
	local d=$(($(now_ms) - $1))
	echo "$((d / 1000)).$((d % 1000 / 100))"
}

kill_guests() {
	local t
	for t in "${!GPID[@]}"; do
		[ -n "${GPID[$t]}" ] && kill -KILL "${GPID[$t]}" 2>/dev/null
	done
	for t in "${!GPID[@]}"; do
		[ -n "${GPID[$t]}" ] && wait "${GPID[$t]}" 2>/dev/null
		GPID[$t]=
	done
}

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	kill_guests
	[ ${#UNDO[@]} -eq 0 ] || { ktap_diag "cleaning up after an error"; undo_to 0 || true; }
	[ -z "$WORK" ] || rm -rf "$WORK"
	exit $rc
}

new_naa() {
	printf -v "$1" 'naa.5001405%04x%05x' $((RANDOM & 0xffff)) $((SRANDOM & 0xfffff))
}

# --- setup ------------------------------------------------------------------

setup() {
	local ko=${FV_KO:-} dep initrd i
	[ "$EUID" = 0 ] || bail "must run as root"
	[ -c /dev/kvm ] || modprobe kvm_amd 2>/dev/null || modprobe kvm_intel 2>/dev/null
	[ -c /dev/kvm ] || bail "/dev/kvm missing: nested guests need KVM in the test VM"
	[ -x "$FVCTL" ] || bail "$FVCTL missing (make ctl)"
	modprobe -a target_core_mod target_core_file || bail "modprobe target_core_mod target_core_file failed"
	[ -d "$CFG" ] || mount -t configfs configfs /sys/kernel/config || bail "cannot mount configfs"
	[ -d "$CFG" ] || bail "$CFG missing"

	[ -n "$ko" ] && [ -f "$ko" ] || bail "FV_KO ('$ko') does not name the built fastvhost.ko"
	if [ ! -d /sys/module/fastvhost ]; then
		for dep in $(modinfo -F depends "$ko" | tr ',' ' '); do
			modprobe "$dep" || bail "modprobe $dep failed"
		done
		insmod "$ko" || bail "insmod $ko failed"
		LOADED+=(fastvhost)
	fi
	for ((i = 0; i < 50; i++)); do
		[ -c /dev/fastvhost ] && break
		nap 0.1
	done
	[ -c /dev/fastvhost ] || bail "/dev/fastvhost did not appear"

	[ -r "/boot/vmlinuz-$L2_KVER" ] || bail "/boot/vmlinuz-$L2_KVER not found"
	initrd=build/guest/$L2_KVER/initrd.cpio.gz
	if [ ! -s "$initrd" ] ||
	   [ -n "$(find scripts/mkguest scripts/guest -newer "$initrd" -print -quit)" ]; then
		ktap_diag "building the guest image in the VM (faster on the host: scripts/mkguest --kver $L2_KVER)"
		initrd=$(scripts/mkguest -q --kver "$L2_KVER") || bail "scripts/mkguest failed"
	fi
	# The nested QEMU reads these much faster from tmpfs than over 9p.
	cp "/boot/vmlinuz-$L2_KVER" "$WORK/vmlinuz" && cp "$initrd" "$WORK/initrd" ||
		bail "cannot copy the guest kernel and image"
	ktap_diag "kvm, LIO and fastvhost ready; L2 kernel $L2_KVER [${SECONDS}s]"
}

# Backstore TYPE (rd_mcp|fileio) NAME of $DISK_MB MiB with a unit serial,
# on HBA TYPE_77; sets BS (its configfs path) and SERIAL. Teardown is pushed.
make_backstore() {
	local type=$1 name=$2 hba=$CFG/core/${1}_77
	BS=$hba/$name
	printf -v SERIAL 'fve2e%08x' "$SRANDOM"
	if [ ! -d "$hba" ]; then
		mkdir "$hba" || return 1
		undo_push rmdir "$hba"
	fi
	mkdir "$BS" || return 1
	undo_push rmdir "$BS"
	case $type in
	rd_mcp)
		put "$BS/control" "rd_pages=$((DISK_MB * 256))" || return 1
		;;
	fileio)
		truncate -s "${DISK_MB}M" "$WORK/$name.img" || return 1
		undo_push rm -f "$WORK/$name.img"
		put "$BS/control" "fd_dev_name=$WORK/$name.img,fd_dev_size=$((DISK_MB * 1048576))" ||
			return 1
		;;
	esac
	put "$BS/wwn/vpd_unit_serial" "$SERIAL" || return 1
	put "$BS/enable" 1
}

# T10 PI type 1 on backstore $1 (configfs path, enabled, not yet in a
# LUN), every tuple formatted as "not checked" (LIO's pi_prot_format).
pi_format() {
	put "$1/attrib/pi_prot_type" 1 && put "$1/attrib/pi_prot_format" 1
}

# fvctl with its output as diagnostics.
fvctl_diag() {
	local out rc
	out=$("$FVCTL" "$@" 2>&1)
	rc=$?
	echo "\$ fvctl $* (exit $rc)"
	[ -z "$out" ] || echo "$out" | sed 's/^/  /'
	return $rc
}

# Two fastvhost targets through fvctl attach, one LUN a call.
fv_targets() {
	new_naa W1
	new_naa W2
	make_backstore rd_mcp e2e_rd1 && S_RD1=$SERIAL || return 1
	make_backstore fileio e2e_fio1 && S_FIO1=$SERIAL || return 1
	make_backstore rd_mcp e2e_rd2 && S_RD2=$SERIAL || return 1
	make_backstore fileio e2e_pi2 && S_PI2=$SERIAL || return 1
	undo_push rm -f "$WORK/e2e_pi2.img.protection"
	pi_format "$BS" || return 1
	# fvctl detach removes the fabric directory with the last target.
	[ -d "$CFG/fastvhost" ] || undo_push "[ ! -d $CFG/fastvhost ] || rmdir $CFG/fastvhost"
	fvctl_diag attach --wwn "$W1" --lun 0 --backstore ramdisk/e2e_rd1 || return 1
	undo_push "$FVCTL" detach --wwn "$W1"
	fvctl_diag attach --wwn "$W1" --lun 1 --backstore fileio/e2e_fio1 || return 1
	fvctl_diag attach --wwn "$W2" --lun 0 --backstore ramdisk/e2e_rd2 || return 1
	undo_push "$FVCTL" detach --wwn "$W2"
	fvctl_diag attach --wwn "$W2" --lun 1 --backstore fileio/e2e_pi2 || return 1
	fvctl_diag show || return 1
	"$FVCTL" -j show --wwn "$W1" | python3 -c '
import json, sys
t = json.load(sys.stdin)[0]["tpg"][0]
luns = sorted((l["index"], l["backstore"]) for l in t["lun"])
assert t.get("nexus") and luns == [(0, "rd_mcp_77/e2e_rd1"), (1, "fileio_77/e2e_fio1")], t' ||
		{ echo "fvctl show does not list the LUNs and nexus of $W1"; return 1; }
}

# The stock vhost_scsi target, raw configfs: nexus first, then the LUNs.
stock_target() {
	local tpg nexus
	if [ ! -d /sys/module/vhost_scsi ]; then
		modprobe vhost_scsi || return 1
		LOADED+=(vhost_scsi)
	fi
	[ -c /dev/vhost-scsi ] || { echo "/dev/vhost-scsi missing"; return 1; }
	make_backstore rd_mcp e2e_rd3 && S_RD3=$SERIAL || return 1
	make_backstore fileio e2e_fio3 && S_FIO3=$SERIAL || return 1
	new_naa W3
	new_naa nexus
	tpg=$CFG/vhost/$W3/tpgt_1
	if [ ! -d "$CFG/vhost" ]; then
		mkdir "$CFG/vhost" || return 1
		undo_push rmdir "$CFG/vhost"
	fi
	mkdir -p "$tpg" || return 1
	undo_push rmdir "$CFG/vhost/$W3"
	undo_push rmdir "$tpg"
	put "$tpg/nexus" "$nexus" || return 1
	undo_push "echo NULL >$tpg/nexus"
	mkdir "$tpg/lun/lun_0" "$tpg/lun/lun_1" || return 1
	undo_push rmdir "$tpg/lun/lun_0" "$tpg/lun/lun_1"
	ln -s "$CFG/core/rd_mcp_77/e2e_rd3" "$tpg/lun/lun_0/port" || return 1
	undo_push rm "$tpg/lun/lun_0/port"
	ln -s "$CFG/core/fileio_77/e2e_fio3" "$tpg/lun/lun_1/port" || return 1
	undo_push rm "$tpg/lun/lun_1/port"
	echo "stock target $W3: lun_0 -> rd_mcp e2e_rd3, lun_1 -> fileio e2e_fio3"
}

# --- guests -----------------------------------------------------------------

# start_guest TAG DEV WWN[,PROP=VALUE...] SMP REBOOT(0|1) KERNEL-ARGS...
# (properties after the WWN go to vhost-scsi-pci as they are; GQEMU[TAG],
# when set, replaces -m 512 with its QEMU options)
start_guest() {
	local tag=$1 dev=$2 wwn=$3 smp=$4 reboot=$5 append
	shift 5
	# Quiet: each console byte is an exit to QEMU, seconds of a boot here.
	# A failed check prints the tail of the guest's kernel log itself.
	# FV_E2E_ARGS_<TAG> adds kernel arguments to one guest: how the
	# harness itself is tested (docs/testing.md), never set by the suite.
	local extra=FV_E2E_ARGS_$tag
	append="quiet mitigations=off maxcpus=1 console=ttyS0 panic=-1 fvmode=e2e fvtimeout=$L2_TIMEOUT $* ${!extra:-}"
	local props=$wwn
	[[ ",$props," == *",num_queues="* ]] || props="$props,num_queues=2"
	GLOG[$tag]=$LOGDIR/$tag.log
	GKILL[$tag]=
	GKILLED[$tag]=
	GCORRUPT[$tag]=
	GTIMEDOUT[$tag]=
	# The main role reboots itself once (reboot -f); no guest boots more.
	GBOOTS[$tag]=$((reboot + 1))
	GRC[$tag]=killed
	ktap_diag "guest $tag on $wwn via $dev: $*"
	# shellcheck disable=SC2046 # the optional -no-reboot
	# shellcheck disable=SC2086 # GQEMU: options, split on purpose
	qemu-system-x86_64 -accel kvm -machine q35 -cpu host ${GQEMU[$tag]:--m 512} -smp "$smp" \
		-nodefaults -no-user-config -display none -monitor none \
		-serial stdio $([ "$reboot" = 1 ] || echo -no-reboot) \
		-kernel "$WORK/vmlinuz" -initrd "$WORK/initrd" -append "$append" \
		-device "vhost-scsi-pci,wwpn=$props,vhostfd=3" \
		3<>"$dev" </dev/null >"$WORK/$tag.raw" 2>&1 &
	GPID[$tag]=$!
	GSTART[$tag]=$(now_ms)
	GARGS[$tag]=$(printf '%q ' "$tag" "$dev" "$wwn" "$smp" "$reboot" "$@")
}

# Wait until guest $1 has printed its first line from /init (or ended).
wait_booted() {
	local i
	for ((i = 0; i < L2_TIMEOUT * 4; i++)); do
		grep -q 'FVGUEST: INFO kernel ' "$WORK/$1.raw" && return 0
		kill -0 "${GPID[$1]}" 2>/dev/null || return 1
		nap 0.25
	done
	return 1
}

# Start again, once, the guests named that never reached /init (its
# first line): nested KVM under TCG resets or stalls an L2 in early boot
# now and then, and nothing of the device runs before /init loads
# virtio_scsi.  Then wait for them.  A guest that died after /init is
# not rerun: a DMA to the wrong guest address looks just like a reset
# or a panic there, so it fails (guest_ran).
rerun_unbooted() {
	local t k why again=()
	for t in "$@"; do
		[ -z "${GRERUN[$t]:-}" ] || continue
		grep -q 'FVGUEST: INFO kernel ' "${GLOG[$t]}" && continue
		why="stopped in early boot, before /init"
		GRERUN[$t]=1
		ktap_diag "guest $t $why (QEMU exit ${GRC[$t]}; log kept as $t-early.log); starting it once more"
		mv "${GLOG[$t]}" "$LOGDIR/$t-early.log"
		k=${GKILLFN[$t]:-}
		eval "start_guest ${GARGS[$t]}"
		GKILL[$t]=$k
		again+=("$t")
	done
	[ ${#again[@]} -eq 0 ] || wait_guests "${again[@]}"
}

# Call $2 (a function) when guest $1 prints "FVGUEST: KILLME".
on_killme() { GKILL[$1]=$2; GKILLFN[$1]=$2; }
# Call $2 when guest $1 prints "FVGUEST: CORRUPTME".
on_corruptme() { GCORRUPT[$1]=$2; }

# The kernel stacks of process $1's threads, and every blocked task in
# the kernel log.
stuck_stacks() {
	local t
	for t in /proc/"$1"/task/*; do
		ktap_diag "task ${t##*/} ($(cat "$t/comm" 2>/dev/null)), state $(sed 's/.*) \(.\).*/\1/' "$t/stat" 2>/dev/null):"
		sed 's/^/#   /' "$t/stack" 2>/dev/null
	done
	echo w > /proc/sysrq-trigger 2>/dev/null
}

# Wait for the guests named to end, within 2 * L2_TIMEOUT s. A guest that
# boots a fourth time (a panic loop) is killed.
wait_guests() {
	local t alive deadline boots
	deadline=$(($(now_ms) + 2 * L2_TIMEOUT * 1000))
	while :; do
		alive=0
		for t in "$@"; do
			[ -n "${GPID[$t]}" ] || continue
			if ! kill -0 "${GPID[$t]}" 2>/dev/null; then
				wait "${GPID[$t]}" 2>/dev/null
				GRC[$t]=$?
				GPID[$t]=
				GSECS[$t]=$(secs_since "${GSTART[$t]}")
				continue
			fi
			alive=$((alive + 1))
			if [ -n "${GKILL[$t]}" ] && grep -q 'FVGUEST: KILLME' "$WORK/$t.raw"; then
				GKILLED[$t]=1
				"${GKILL[$t]}" "$t"
				GKILL[$t]=
			fi
			if [ -n "${GCORRUPT[$t]}" ] && grep -q 'FVGUEST: CORRUPTME' "$WORK/$t.raw"; then
				"${GCORRUPT[$t]}" "$t"
				GCORRUPT[$t]=
			fi
			boots=$(grep -c 'FVGUEST: INFO kernel ' "$WORK/$t.raw")
			# A boot more than the role's (a panic or reset after
			# /init reboots it: panic=-1) ends it; guest_ran fails it.
			if [ -n "${GTIMEDOUT[$t]}" ] && [ "$(now_ms)" -gt $((deadline + 60000)) ]; then
				# SIGKILL did not end it: stuck in the kernel.
				ktap_diag "guest $t: QEMU ${GPID[$t]} still there 60 s after SIGKILL; its threads:"
				stuck_stacks "${GPID[$t]}"
				GRC[$t]=stuck
				GPID[$t]=
				continue
			fi
			if [ -z "${GTIMEDOUT[$t]}" ] &&
			   { [ "$boots" -gt "${GBOOTS[$t]}" ] || [ "$(now_ms)" -gt "$deadline" ]; }; then
				[ "$boots" -gt "${GBOOTS[$t]}" ] && ktap_diag "guest $t booted $boots times; killing it"
				[ "$boots" -gt "${GBOOTS[$t]}" ] || ktap_diag "guest $t timed out; killing it"
				GTIMEDOUT[$t]=1
				deadline=$(now_ms)
				kill -KILL "${GPID[$t]}" 2>/dev/null
			fi
		done
		[ $alive -gt 0 ] || break
		nap 0.25
	done
	for t in "$@"; do
		tr -d '\r' <"$WORK/$t.raw" >"${GLOG[$t]}"
		grep -q 'Kernel panic' "${GLOG[$t]}" &&
			ktap_diag "guest $t: its L2 kernel panicked, see ${GLOG[$t]}:" \
				"$(grep -m1 -E 'RIP:|BUG:|Oops' "${GLOG[$t]}")"
		grep -E '^FVGUEST: INFO' "${GLOG[$t]}" | sed 's/^FVGUEST: INFO /# l2 '"$t"': /'
		ktap_diag "guest $t ran ${GSECS[$t]}s (QEMU exit ${GRC[$t]}), booted $(grep -c 'FVGUEST: INFO kernel ' "${GLOG[$t]}") time(s); serial log ${GLOG[$t]}"
	done
}

# Why guest $1 gave no result for a check: its verdict or the timeout.
guest_why() {
	local v
	v=$(grep -E '^FVGUEST: (PASS|FAIL)' "${GLOG[$1]}" | tail -n1)
	if [ -n "${GTIMEDOUT[$1]}" ]; then
		echo "guest $1 killed (timeout or boot loop)"
	elif [ -n "$v" ]; then
		echo "guest $1: ${v#FVGUEST: }"
	else
		echo "guest $1 ended without a verdict (QEMU exit ${GRC[$1]})"
		tail -n 5 "${GLOG[$1]}" | sed 's/^/# | /' >&2
	fi
}

# The result line of check $2 of guest $1: its first failure if it
# failed at all (a check that ran twice counts by its worst), else its
# first line.
check_line() {
	local l
	l=$(grep -m1 -E "^FVGUEST: CHECK $2 fail" "${GLOG[$1]}")
	[ -n "$l" ] || l=$(grep -m1 -E "^FVGUEST: CHECK $2 (ok|skip)" "${GLOG[$1]}")
	echo "$l"
}

# guest_ran TAG DESCRIPTION: one KTAP result: guest TAG booted as often as
# its role says and no more, its kernel did not panic or oops, and it
# ended by its verdict (or, the kill role, by the host's kill -9 after it
# asked for it).  Otherwise it fails with the end of its log.
guest_ran() {
	local t=$1 desc=$2 boots why=
	boots=$(grep -c 'FVGUEST: INFO kernel ' "${GLOG[$t]}")
	if [ -n "${GTIMEDOUT[$t]}" ]; then
		why="killed (timeout or a boot too many)"
	elif grep -qE 'Kernel panic|Oops|BUG:|general protection fault|double fault|Call Trace:' "${GLOG[$t]}"; then
		why="its kernel: $(grep -m1 -E 'Kernel panic|Oops|BUG:|general protection fault|double fault|Call Trace:' "${GLOG[$t]}")"
	elif [ "$boots" != "${GBOOTS[$t]}" ]; then
		why="booted $boots time(s), its role ${GBOOTS[$t]}"
	elif [ -n "${GKILLED[$t]}" ]; then
		:
	elif ! grep -qE '^FVGUEST: (PASS|FAIL)' "${GLOG[$t]}"; then
		why="ended without a verdict (QEMU exit ${GRC[$t]}): a reset or a crash"
	fi
	if [ -z "$why" ]; then
		ktap_ok "$desc"
	else
		tail -n 40 "${GLOG[$t]}" | sed 's/^/# | /'
		ktap_fail "$desc # guest $t $why"
	fi
}

# check TAG ID DESCRIPTION: one KTAP result from guest TAG's CHECK line.
check() {
	local tag=$1 id=$2 desc=$3 line rest
	line=$(check_line "$tag" "$id")
	rest=${line#FVGUEST: CHECK "$id" }
	case $line in
	"FVGUEST: CHECK $id ok"*)
		rest=${rest#ok}
		[ -z "${rest# }" ] || ktap_diag "${rest# }"
		ktap_ok "$desc"
		;;
	"FVGUEST: CHECK $id fail"*)
		ktap_fail "$desc # ${rest#fail }"
		;;
	"FVGUEST: CHECK $id skip"*)
		ktap_skip "$desc (${rest#skip })"
		;;
	*)
		ktap_fail "$desc # no result: $(guest_why "$tag")"
		;;
	esac
}

# The checks of the main role, for guest $1 whose results are prefixed $2.
main_checks() {
	local g=$1 p=$2
	check "$g" lun0 "$p: LUN 0 (rd_mcp): size and LIO-ORG RAMDISK-MCP in sysfs and INQUIRY"
	check "$g" lun1 "$p: LUN 1 (fileio): size and LIO-ORG FILEIO in sysfs and INQUIRY"
	check "$g" vpd "$p: sg_inq VPD 0x00, 0x80 (unit serial) and 0x83 (NAA) on both LUNs"
	check "$g" readcap "$p: sg_readcap -l gives the backstore sizes"
	check "$g" luns "$p: sg_luns reports exactly LUNs 0 and 1"
	check "$g" sync "$p: sg_sync (SYNCHRONIZE CACHE) on both LUNs"
	check "$g" unmap "$p: sg_unmap done or refused as READ CAPACITY(16) LBPME says"
	check "$g" fio0 "$p: fio randwrite + crc32c verify, iodepth 16, 2 jobs, on LUN 0 (rd_mcp)"
	check "$g" fio1 "$p: fio randwrite + crc32c verify, iodepth 16, 2 jobs, on LUN 1 (fileio)"
	check "$g" queues "$p: I/O on both request queues (2 vCPUs, num_queues=2)"
	check "$g" reset "$p: LUN reset (sg_reset -d) during reads succeeds, fio after it passes"
	check "$g" reboot "$p: after reboot -f the device negotiates again and the data reads back"
}
MAIN_CHECKS=12
# The main role boots twice in one QEMU run: 4 MiB a fio job keeps that
# run under a minute here.
MAIN_FIO=fvfiomb=4

lun_args() {	# lun_args N PRODUCT SERIAL ...
	local out=
	while [ $# -ge 3 ]; do
		out="$out fvlun$1=$2,$((DISK_MB * 1048576)),$3"
		shift 3
	done
	echo "$out"
}

# --- the fastvhost part -----------------------------------------------------

# Called when guest K is in its kill phase: per-queue statistics, then
# kill -9 of its QEMU and a look at the target it held.
kill_a() {
	local t=$1 pid=${GPID[$1]} i owner json
	json=$("$FVCTL" -j stats --wwn "$W1" 2>&1)
	STATS_TEXT=$("$FVCTL" stats --wwn "$W1" 2>&1)
	STATS_RESULT=$(echo "$json" | python3 -c '
import json, sys
t = json.load(sys.stdin)[0]
q = [x for x in t.get("queue", []) if x.get("index", 0) >= 2]
busy = [x["index"] for x in q if x.get("requests", 0) > 0]
print("request queues %s, with requests: %s" % ([x["index"] for x in q], busy))
sys.exit(0 if len(q) == 2 and len(busy) == 2 else 1)' 2>&1)
	STATS_RC=$?
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null
	GPID[$t]=
	GSECS[$t]=$(secs_since "${GSTART[$t]}")
	KILL_RC=1
	for ((i = 0; i < 20; i++)); do
		owner=$("$FVCTL" -j show --wwn "$W1" 2>&1 |
			python3 -c 'import json, sys; print(json.load(sys.stdin)[0].get("owner-pid", "none"))' 2>&1)
		[ "$owner" = none ] && { KILL_RC=0; break; }
		nap 0.25
	done
	KILL_WHY="owner-pid still '$owner' after the kill"
}

# QEMU's vhost backends allow as many memory regions as the vhost module's
# max_mem_regions (64 by default), also for another device's vhostfd:
# scripts/vmtest puts vhost.max_mem_regions=509 on the kernel command line,
# which modprobe applies; elsewhere load it with 509 (unloading an unused
# one first).  Prints the limit.
vhost_regions() {
	local cur
	modprobe vhost 2>/dev/null
	cur=$(cat /sys/module/vhost/parameters/max_mem_regions 2>/dev/null || echo 0)
	if [ "$cur" -lt 509 ]; then
		[ ! -d /sys/module/vhost ] || modprobe -r vhost_scsi vhost 2>/dev/null
		modprobe vhost max_mem_regions=509 || return 1
		cur=$(cat /sys/module/vhost/parameters/max_mem_regions)
	fi
	echo "$cur"
}

# Guest C's memory: 512 MiB from 4 NUMA nodes' backends and 68 DIMMs of
# 2 MiB cold-plugged (the guest leaves them offline: smaller than its
# memory blocks), each a region of its own in the vhost memory table.
big_memory() {
	local i o="-m 512,slots=72,maxmem=1G"
	for i in 0 1 2 3; do
		o="$o -object memory-backend-ram,id=ram$i,size=128M -numa node,nodeid=$i,memdev=ram$i"
		[ $i != 0 ] || o="$o,cpus=0-15"
	done
	for ((i = 0; i < 68; i++)); do
		o="$o -object memory-backend-ram,id=dimm$i,size=2M -device pc-dimm,id=dimm$i,memdev=dimm$i"
	done
	echo "$o"
}

# What fastvhost shows of target 1 once guest C's driver has set up all
# 18 queues (its /init loads virtio_scsi; on 6.1 the first look after
# the attach saw 3): "QUEUES REGIONS", waited for up to 120 s.
show_c() {
	local i
	for ((i = 0; i < 240; i++)); do
		BIG_SHOW=$("$FVCTL" -j show --wwn "$W1" 2>&1 | python3 -c '
import json, sys
t = json.load(sys.stdin)[0]
print(t.get("nr-queues", 0), t.get("mem-regions", 0))' 2>&1)
		[ "${BIG_SHOW%% *}" != 18 ] || return 0
		kill -0 "${GPID[C]}" 2>/dev/null || return 0
		nap 0.5
	done
}

# The first protection tuple of the 4 KiB block at MiB 40 of D's PI LUN
# (fileio keeps them in NAME.protection, 8 bytes a 512-byte block): its
# guard tag flipped.
corrupt_pi() {
	local f=$WORK/e2e_pi2.img.protection off=$((40 * 2048 * 8)) old
	old=$(od -An -tx1 -j "$off" -N 8 "$f" | tr -d ' ')
	printf '\xde\xad' | dd of="$f" bs=1 seek="$off" conv=notrunc status=none
	CORRUPTED="guest $1 wrote its block: tuple at $f+$off was $old, now $(od -An -tx1 -j "$off" -N 8 "$f" | tr -d ' ')"
}

fastvhost_part() {
	local depth=${#UNDO[@]} seed rc
	fv_targets >"$WORK/fv.out" 2>&1
	rc=$?
	sed 's/^/# /' "$WORK/fv.out"
	if [ $rc != 0 ]; then
		ktap_fail "fastvhost: fvctl attach: target 1 with rd_mcp LUN 0 and fileio LUN 1, target 2 with rd_mcp LUN 0 and a PI-formatted fileio LUN 1"
		bail "no fastvhost targets"
	fi
	ktap_ok "fastvhost: fvctl attach: target 1 with rd_mcp LUN 0 and fileio LUN 1, target 2 with rd_mcp LUN 0 and a PI-formatted fileio LUN 1"

	printf -v seed '%08x' "$SRANDOM"
	CORRUPTED=
	STATS_RC=1 STATS_RESULT="guest K never reached its kill phase" KILL_RC=1 KILL_WHY="guest K never reached its kill phase"
	start_guest A /dev/fastvhost "$W1" 2 1 fve2e=main "$MAIN_FIO" \
		fvnq=2 fvdisks=2 "$(lun_args 0 RAMDISK-MCP "$S_RD1" 1 FILEIO "$S_FIO1")"
	wait_guests A
	rerun_unbooted A
	guest_ran A "fastvhost: guest A booted twice (reboot -f), no panic or reset, ended by its verdict"
	main_checks A fastvhost
	# A guest of its own for the kill: each QEMU run stays short.
	start_guest K /dev/fastvhost "$W1" 2 0 fve2e=kill fvseed="$seed" \
		fvnq=2 fvdisks=2 "$(lun_args 0 RAMDISK-MCP "$S_RD1" 1 FILEIO "$S_FIO1")"
	on_killme K kill_a
	wait_guests K
	rerun_unbooted K
	guest_ran K "fastvhost: guest K booted once, no panic or reset, until the host killed it"
	[ -z "${STATS_TEXT:-}" ] || echo "$STATS_TEXT" | sed 's/^/# /'
	ktap_diag "$STATS_RESULT"
	if [ "$STATS_RC" = 0 ]; then
		ktap_ok "fastvhost: fvctl stats counts requests on both request queues"
	else
		ktap_fail "fastvhost: fvctl stats counts requests on both request queues"
	fi
	if [ "$KILL_RC" = 0 ]; then
		ktap_ok "fastvhost: kill -9 of QEMU during fio, the target is free again"
	else
		ktap_fail "fastvhost: kill -9 of QEMU during fio, the target is free again # $KILL_WHY"
	fi

	# Two guests at once, on the two targets; C checks what A flushed.
	BIG_SHOW='' BIG_LIMIT=$(vhost_regions) || BIG_LIMIT="vhost: $BIG_LIMIT"
	GQEMU[C]=$(big_memory)
	start_guest C /dev/fastvhost "$W1,num_queues=16" 1,maxcpus=16 0 fve2e=verify \
		fvseed="$seed" fvdisks=2 fvnqsetup=16 fvdimms=68 \
		"$(lun_args 0 RAMDISK-MCP "$S_RD1" 1 FILEIO "$S_FIO1")"
	# Two L2 guests booting at the same instant make nested KVM under TCG
	# reset one of them early in boot now and then: start D once C runs.
	wait_booted C
	show_c
	start_guest D /dev/fastvhost "$W2,t10_pi=on" 1 0 fve2e=io fvdisks=2 fvpilun=1 \
		"$(lun_args 0 RAMDISK-MCP "$S_RD2" 1 FILEIO "$S_PI2")"
	on_corruptme D corrupt_pi
	wait_guests C D
	rerun_unbooted C D
	guest_ran C "fastvhost: guest C booted once, no panic or reset, ended by its verdict"
	guest_ran D "fastvhost: guest D booted once, no panic or reset, ended by its verdict"
	check C killdata0 "fastvhost: a new guest on the target reads back what was flushed before the kill (LUN 0)"
	check C killdata1 "fastvhost: a new guest on the target reads back what was flushed before the kill (LUN 1)"
	both_fio C "fastvhost: two guests at once: the one on target 1 passes fio on both LUNs" fio0 fio1
	ktap_diag "vhost max_mem_regions $BIG_LIMIT; fvctl show of target 1 while C ran: queues and memory regions '$BIG_SHOW'"
	check C queues_setup "fastvhost: guest C has 16 request queues (num_queues=16, 16 possible vCPUs)"
	check C dimms "fastvhost: guest C sees its 68 DIMMs"
	if [[ "$BIG_SHOW" =~ ^18\ ([0-9]+)$ ]] && [ "${BASH_REMATCH[1]}" -gt 64 ]; then
		ktap_ok "fastvhost: guest C attached with 18 queues and over 64 memory regions"
	else
		ktap_fail "fastvhost: guest C attached with 18 queues and over 64 memory regions # fvctl show: '$BIG_SHOW'"
	fi
	both_fio D "fastvhost: two guests at once: the one on target 2 passes fio" fio0
	check D piformat "fastvhost: with t10_pi=on the guest's disk on the PI-formatted LUN is T10-DIF-TYPE1-CRC"
	both_fio D "fastvhost: fio with crc32c verify on that disk, T10 PI added and checked on every block" fio1
	ktap_diag "${CORRUPTED:-guest D never printed CORRUPTME}"
	check D picorrupt "fastvhost: a protection tuple corrupted in the backstore is an I/O error in the guest, not data"

	fv_teardown "$depth"
	rc=$?
	if [ $rc = 0 ]; then
		ktap_ok "fastvhost: fvctl detach, backstores removed, rmmod fastvhost"
	else
		ktap_fail "fastvhost: fvctl detach, backstores removed, rmmod fastvhost"
	fi
}

# One result from several checks of guest $1.
both_fio() {
	local g=$1 desc=$2 id line bad=
	shift 2
	for id in "$@"; do
		line=$(check_line "$g" "$id")
		case $line in
		"FVGUEST: CHECK $id ok"*) ktap_diag "$g ${line#FVGUEST: CHECK }" ;;
		"FVGUEST: CHECK $id fail"*) bad="$bad ${line#FVGUEST: CHECK }" ;;
		*) bad="$bad $id: no result ($(guest_why "$g"))" ;;
		esac
	done
	if [ -z "$bad" ]; then
		ktap_ok "$desc"
	else
		ktap_fail "$desc #$bad"
	fi
}

fv_teardown() {
	local rc=0
	undo_to "$1" || rc=1
	if [[ " ${LOADED[*]} " == *" fastvhost "* ]]; then
		rmmod fastvhost || { ktap_diag "rmmod fastvhost failed"; rc=1; }
		[ ! -d /sys/module/fastvhost ] || { ktap_diag "fastvhost still loaded"; rc=1; }
		LOADED=("${LOADED[@]/fastvhost/}")
	else
		ktap_diag "fastvhost was loaded before this test; not unloading it"
	fi
	return $rc
}

# The stock vhost_scsi before 6.12 puts its preallocated TMF back after a
# LUN RESET with list_add_tail()'s arguments swapped, and unlinking the LUN
# then frees a pointer into its TPG: the host's slab is corrupt.  Its
# guest leaves the reset out there.
stock_reset_arg() {
	local major minor
	IFS=. read -r major minor _ <<<"$(uname -r)"
	if [ "$major" -lt 6 ] || { [ "$major" = 6 ] && [ "$minor" -lt 12 ]; }; then
		echo fvnoreset=1
	fi
}

# The same guest checks on the stock vhost_scsi.
stock_part() {
	local t0=${#UNDO[@]} rc
	stock_target >"$WORK/stock.out" 2>&1
	rc=$?
	sed 's/^/# /' "$WORK/stock.out"
	if [ $rc = 0 ]; then
		ktap_ok "stock vhost_scsi: target with rd_mcp LUN 0 and fileio LUN 1 (configfs)"
		start_guest S /dev/vhost-scsi "$W3" 2 1 fve2e=main "$MAIN_FIO" fvnq=2 fvdisks=2 \
			"$(lun_args 0 RAMDISK-MCP "$S_RD3" 1 FILEIO "$S_FIO3")" \
			"$(stock_reset_arg)"
		wait_guests S
		rerun_unbooted S
		guest_ran S "stock vhost_scsi: guest S booted twice (reboot -f), no panic or reset, ended by its verdict"
		[ -z "$(stock_reset_arg)" ] ||
			ktap_diag "stock vhost_scsi of $(uname -r): no LUN reset, it corrupts the slab (see stock_reset_arg)"
		main_checks S "stock vhost_scsi"
	else
		ktap_fail "stock vhost_scsi: target with rd_mcp LUN 0 and fileio LUN 1 (configfs)"
		for ((rc = 0; rc <= MAIN_CHECKS; rc++)); do
			ktap_skip "stock vhost_scsi: guest check $((rc + 1)) (no target)"
		done
	fi
	rc=0
	undo_to "$t0" || rc=1
	if [[ " ${LOADED[*]} " == *" vhost_scsi "* ]]; then
		rmmod vhost_scsi || rc=1
	fi
	if [ $rc = 0 ]; then
		ktap_ok "stock vhost_scsi: teardown and rmmod vhost_scsi"
	else
		ktap_fail "stock vhost_scsi: teardown and rmmod vhost_scsi"
	fi
}

main() {
	local mark splats n

	while [ $# -gt 0 ]; do
		case $1 in
		--l2-kver) L2_KVER=$2; shift ;;
		--parts) PARTS=${2//,/ }; shift ;;
		-h|--help) usage 0 ;;
		*) echo "e2e.sh: unknown argument $1" >&2; usage 2 ;;
		esac
		shift
	done
	L2_KVER=${L2_KVER:-$(uname -r)}

	n=1
	[[ " $PARTS " != *" fastvhost "* ]] || n=$((n + MAIN_CHECKS + 18))
	[[ " $PARTS " != *" stock "* ]] || n=$((n + MAIN_CHECKS + 3))
	ktap_plan $n
	trap cleanup EXIT
	trap 'exit 130' INT TERM
	WORK=$(mktemp -d /tmp/fve2e.XXXXXX)
	nap_init "$WORK"
	LOGDIR=build/e2e/$(uname -r)
	mkdir -p "$LOGDIR"
	rm -f "$LOGDIR"/*.log
	mark="fastvhost e2e.sh start $$ $SRANDOM"
	echo "$mark" >/dev/kmsg

	setup
	[[ " $PARTS " != *" fastvhost "* ]] || fastvhost_part

	[[ " $PARTS " != *" stock "* ]] || stock_part
	undo_to 0 || true

	splats=$(dmesg | sed -n "/$mark/,\$p" |
		grep -E 'Oops|BUG:|WARNING:|general protection|Call Trace:|refcount_t:|list_(add|del) corruption|soft lockup|blocked for more than' |
		grep -v 'Unhandled WRMSR')
	if [ -z "$splats" ]; then
		ktap_ok "e2e: no kernel warnings in the test VM"
	else
		echo "$splats" | head -n 20 | sed 's/^/# dmesg: /'
		ktap_fail "e2e: no kernel warnings in the test VM"
	fi
	ktap_diag "$((KTAP_N - KTAP_FAILED)) passed, $KTAP_FAILED failed [${SECONDS}s]"
	ktap_finish
}

main "$@"
