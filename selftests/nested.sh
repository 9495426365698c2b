#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# nested.sh: end-to-end test of a vhost-scsi target with a real nested guest.
#
#   selftests/nested.sh [--fabric vhost|fastvhost] [--backstore rd_mcp|fileio|all]
#                       [--mode pattern|sg|fio|full|A,B,..] [--runs N]
#                       [--l2-kver KVER] [--mem MB] [--size MB] [--timeout SEC]
#                       [--append ARGS] [--qemu-args ARGS] [--verbose]
#
# Runs as root inside the test VM (see scripts/vmtest), from the repository.
# It loads kvm, target_core_mod, target_core_file and the fabric module
# (vhost_scsi unless fastvhost is loaded with compat=1, or fastvhost from
# $FV_KO), builds a LUN on a ramdisk (rd_mcp)
# and/or a file (fileio) backstore under the fabric's configfs directory, and
# boots the guest built by scripts/mkguest on it with
#   qemu -accel kvm ... -device vhost-scsi-pci,wwpn=WWN,vhostfd=3 3<>/dev/NODE
# The guest runs its tests (--mode, see scripts/guest/init) and prints
# "FVGUEST: PASS" or "FVGUEST: FAIL <why>" on its serial port, which is kept
# in build/nested/<kernel>/. Everything is torn down in reverse order, also
# on errors. Output is KTAP; the exit status is 0 only if every test passed.
#
# The nested guest needs KVM inside the test VM (a guest under nested TCG
# takes minutes), so the script refuses to run without /dev/kvm.
set -eu

# shellcheck source=selftests/lib/steps.sh
. "$(dirname "$0")/lib/steps.sh"

CFG=/sys/kernel/config/target

FABRIC=vhost
BACKSTORES=rd_mcp
MODE=pattern
RUNS=1
L2_KVER=
L2_MEM=
DISK_MB=128
L2_TIMEOUT=
APPEND=
QEMU_ARGS=
VERBOSE=0

LOADED_MOD=	# fabric module this script loaded (and unloads)
QEMU_PID=
WORK=
TESTNO=0
FAILED=0

usage() {
	sed -n '3,/^set -eu/{/^set -eu/d;s/^# \{0,1\}//;p}' "$0" >&2
	exit "${1:-0}"
}

diag() { echo "# $*"; }

bail() {
	echo "Bail out! $*"
	exit 1
}

# Print one KTAP result line: result OK|FAIL, description, optional reason.
result() {
	TESTNO=$((TESTNO + 1))
	if [ "$1" = OK ]; then
		echo "ok $TESTNO $2"
	else
		FAILED=$((FAILED + 1))
		echo "not ok $TESTNO $2${3:+ # $3}"
	fi
}

# Write a configfs attribute; a failure names the file.
put() {
	local file=$1 val=$2
	echo "$val" >"$file" 2>/dev/null || { diag "writing '$val' to $file failed"; return 1; }
}

# Wait up to $1 seconds for QEMU to exit; set QEMU_RC. Fails if it did not:
# a QEMU stuck in the kernel (D state) ignores even SIGKILL, and waiting for
# it would hang the whole test run.
wait_qemu() {
	local i
	for ((i = 0; i < $1 * 4; i++)); do
		if ! kill -0 "$QEMU_PID" 2>/dev/null; then
			QEMU_RC=0
			wait "$QEMU_PID" || QEMU_RC=$?
			QEMU_PID=
			return 0
		fi
		nap 0.25
	done
	return 1
}

# Show where a stuck QEMU sits in the kernel.
dump_qemu() {
	local pid t
	for pid in $(pgrep -f qemu-system-x86_64); do
		for t in /proc/"$pid"/task/*; do
			diag "qemu task ${t##*/} ($(cat "$t/comm")): state $(sed 's/.*) \(.\).*/\1/' "$t/stat")"
			sed 's/^/#   /' "$t/stack" 2>/dev/null
		done
	done
}

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	if [ -n "$QEMU_PID" ]; then
		pkill -KILL -P "$QEMU_PID" 2>/dev/null || true
		kill -KILL "$QEMU_PID" 2>/dev/null || true
		if ! wait_qemu 10; then
			diag "QEMU does not exit even after SIGKILL; not tearing down the target"
			dump_qemu
			UNDO=()
		fi
	fi
	[ ${#UNDO[@]} -eq 0 ] || { diag "cleaning up after an error"; undo_to 0 || true; }
	[ -z "$WORK" ] || rm -rf "$WORK"
	exit $rc
}

parse_args() {
	while [ $# -gt 0 ]; do
		case $1 in
		--fabric) FABRIC=$2; shift ;;
		--backstore) BACKSTORES=$2; shift ;;
		--mode) MODE=$2; shift ;;
		--runs) RUNS=$2; shift ;;
		--l2-kver) L2_KVER=$2; shift ;;
		--mem) L2_MEM=$2; shift ;;
		--size) DISK_MB=$2; shift ;;
		--timeout) L2_TIMEOUT=$2; shift ;;
		--append) APPEND=$2; shift ;;
		--qemu-args) QEMU_ARGS=$2; shift ;;
		--verbose|-v) VERBOSE=1 ;;
		-h|--help) usage 0 ;;
		*) echo "nested.sh: unknown argument $1" >&2; usage 2 ;;
		esac
		shift
	done
	case $FABRIC in
	vhost)
		DEV=/dev/vhost-scsi FABRIC_NAME="stock vhost_scsi"
		# fastvhost's drop-in mode (compat=1) answers under those names.
		[ "$(cat /sys/module/fastvhost/parameters/compat 2>/dev/null)" != Y ] ||
			FABRIC_NAME="fastvhost in drop-in mode (vhost)"
		;;
	fastvhost) DEV=/dev/fastvhost; FABRIC_NAME=fastvhost ;;
	*) echo "nested.sh: --fabric must be vhost or fastvhost" >&2; exit 2 ;;
	esac
	case $BACKSTORES in
	all) BACKSTORES="rd_mcp fileio" ;;
	rd_mcp|fileio) ;;
	*) echo "nested.sh: --backstore must be rd_mcp, fileio or all" >&2; exit 2 ;;
	esac
	case $MODE in
	pattern) MODE_NAME="write/read pattern" ;;
	sg) MODE_NAME="sg3-utils INQUIRY/READ CAPACITY/REPORT LUNS" ;;
	fio) MODE_NAME="fio randwrite + crc32c verify" ;;
	full) MODE_NAME="pattern + sg3-utils + fio verify" ;;
	*) MODE_NAME=$MODE ;;
	esac
	# fio needs more time, and memory for its ~85 MB of libraries.
	case $MODE in
	pattern|sg) : "${L2_TIMEOUT:=120}" "${L2_MEM:=256}" ;;
	*) : "${L2_TIMEOUT:=300}" "${L2_MEM:=512}" ;;
	esac
	# The debug kernel (no /boot image, not built for a guest) runs a
	# Debian 6.12 guest.
	if [ -z "$L2_KVER" ] && [ ! -e "/boot/vmlinuz-$(uname -r)" ]; then
		L2_KVER=$(scripts/kvers 6.12) || bail "no Debian 6.12 kernel for the guest"
	fi
	L2_KVER=${L2_KVER:-$(uname -r)}
}

# Set variable $1 to a WWN: 16 hex digits with LIO's NAA-5 OUI, as
# targetcli makes them. Builtins only: every fork costs in the test VM.
new_naa() {
	printf -v "$1" 'naa.5001405%04x%05x' $((RANDOM & 0xffff)) $((SRANDOM & 0xfffff))
}

setup_kvm() {
	[ -c /dev/kvm ] || modprobe kvm_amd 2>/dev/null || modprobe kvm_intel 2>/dev/null || true
	[ -c /dev/kvm ] ||
		bail "/dev/kvm missing (no svm/vmx or kvm failed to load); a nested guest without KVM is too slow"
}

# Load target core and the fabric module; remember what to unload.
setup_modules() {
	local ko dep vermagic i mods="target_core_mod target_core_file"

	if [ "$FABRIC" = vhost ] && [ ! -d /sys/module/vhost_scsi ] &&
		[ "$FABRIC_NAME" = "stock vhost_scsi" ]; then
		mods="$mods vhost_scsi"
		LOADED_MOD=vhost_scsi
	fi
	# shellcheck disable=SC2086
	modprobe -a $mods || bail "modprobe $mods failed"
	[ -d "$CFG" ] || mount -t configfs configfs /sys/kernel/config ||
		bail "cannot mount configfs"
	[ -d "$CFG" ] || bail "$CFG missing after loading target_core_mod"

	if [ "$FABRIC" = vhost ]; then
		:
	elif [ ! -d /sys/module/fastvhost ]; then
		ko=${FV_KO:-}
		[ -n "$ko" ] || bail "FV_KO is not set (path of fastvhost.ko for $(uname -r))"
		[ -f "$ko" ] || bail "FV_KO=$ko does not exist (build the module first)"
		vermagic=$(modinfo -F vermagic "$ko" | cut -d' ' -f1)
		[ "$vermagic" = "$(uname -r)" ] ||
			bail "$ko is built for '$vermagic', running $(uname -r)"
		for dep in $(modinfo -F depends "$ko" | tr ',' ' '); do
			modprobe "$dep" || bail "modprobe $dep (needed by fastvhost) failed"
		done
		insmod "$ko" || bail "insmod $ko failed"
		LOADED_MOD=fastvhost
	fi

	for ((i = 0; i < 50; i++)); do
		[ -c "$DEV" ] && break
		sleep 0.1
	done
	[ -c "$DEV" ] || bail "$DEV did not appear after loading the $FABRIC_NAME module"
	diag "fabric $FABRIC ($FABRIC_NAME), device $DEV, kernel $(uname -r) [${SECONDS}s]"
}

# Build the guest image (a no-op when up to date) and copy kernel and image
# to tmpfs: the nested QEMU reads them much faster there than over 9p.
setup_guest_files() {
	local initrd
	[ -r "/boot/vmlinuz-$L2_KVER" ] || bail "/boot/vmlinuz-$L2_KVER not found"
	# mkguest's own up-to-date check costs 10+ s in the VM (ldd of ~70
	# binaries under TCG); if the image is newer than its sources, trust it.
	initrd=build/guest/$L2_KVER/initrd.cpio.gz
	if [ ! -s "$initrd" ] ||
	   [ -n "$(find scripts/mkguest scripts/guest -newer "$initrd" -print -quit)" ]; then
		diag "building the guest image in the VM (faster on the host: scripts/mkguest --kver $L2_KVER)"
		initrd=$(scripts/mkguest -q --kver "$L2_KVER") || bail "scripts/mkguest failed"
	fi
	cp "/boot/vmlinuz-$L2_KVER" "$WORK/vmlinuz"
	cp "$initrd" "$WORK/initrd.cpio.gz"
	diag "L2 guest: kernel $L2_KVER, image $initrd [${SECONDS}s]"
}

# Set HBA to the first free configfs HBA directory name core/<type>_N.
free_hba() {
	local n=0
	while [ -e "$CFG/core/${1}_$n" ]; do
		n=$((n + 1))
	done
	HBA=${1}_$n
}

# Create backstore $1 (rd_mcp or fileio); sets BS_PATH. Teardown is pushed.
make_backstore() {
	local type=$1 hba dev serial
	free_hba "$type"
	hba=$CFG/core/$HBA
	dev=$hba/fvdisk
	printf -v serial '%08x%08x' "$SRANDOM" "$SRANDOM"

	mkdir "$hba" || return 1
	undo_push rmdir "$hba"
	mkdir "$dev" || return 1
	undo_push rmdir "$dev"
	case $type in
	rd_mcp)
		put "$dev/control" "rd_pages=$((DISK_MB * 256))" || return 1
		;;
	fileio)
		truncate -s "${DISK_MB}M" "$WORK/fileio.img" || return 1
		undo_push rm -f "$WORK/fileio.img"
		put "$dev/control" \
			"fd_dev_name=$WORK/fileio.img,fd_dev_size=$((DISK_MB * 1048576))" ||
			return 1
		;;
	esac
	put "$dev/enable" 1 || return 1
	# Without a unit serial LIO lists no VPD pages (no page 0x83).
	put "$dev/wwn/vpd_unit_serial" "$serial" || return 1
	BS_PATH=$dev
}

# Create WWN/tpgt_1 with its nexus and LUN 0 on $BS_PATH; sets WWN.
# The nexus goes first: vhost_scsi refuses to drop it while a LUN is linked.
make_target() {
	local fab=$CFG/$FABRIC tpg lun nexus

	if [ ! -d "$fab" ]; then
		mkdir "$fab" || return 1
		# Removing the fabric directory lets its module go.
		undo_push rmdir "$fab"
	fi
	new_naa WWN
	new_naa nexus
	tpg=$fab/$WWN/tpgt_1
	lun=$tpg/lun/lun_0
	mkdir "$fab/$WWN" || return 1
	undo_push rmdir "$fab/$WWN"
	mkdir "$tpg" || return 1
	undo_push rmdir "$tpg"
	put "$tpg/nexus" "$nexus" || return 1
	undo_push "echo NULL >$tpg/nexus"
	mkdir "$lun" || return 1
	undo_push rmdir "$lun"
	ln -s "$BS_PATH" "$lun/fvdisk" || return 1
	undo_push rm "$lun/fvdisk"
}

# Boot the guest on $WWN; log to $1. Sets L2_SECS and L2_WHY (empty on PASS).
run_guest() {
	local log=$1 append t0 t1 rc line

	append="console=ttyS0 panic=-1 fvmode=$MODE fvtimeout=$L2_TIMEOUT"
	[ "$VERBOSE" = 1 ] || append="quiet $append"
	[ -z "$APPEND" ] || append="$append $APPEND"

	t0=${EPOCHREALTIME/[.,]/}
	# shellcheck disable=SC2086 # QEMU_ARGS is a list of words
	timeout -k 5 "$((L2_TIMEOUT + 30))" qemu-system-x86_64 \
		-accel kvm -machine q35 -cpu host -m "$L2_MEM" -smp 1 \
		-nodefaults -no-user-config -display none -monitor none \
		-serial stdio -no-reboot \
		-kernel "$WORK/vmlinuz" -initrd "$WORK/initrd.cpio.gz" \
		-append "$append" \
		-device "vhost-scsi-pci,wwpn=$WWN,vhostfd=3" $QEMU_ARGS \
		3<>"$DEV" </dev/null >"$WORK/serial.raw" 2>&1 &
	QEMU_PID=$!
	# timeout(1) ends QEMU at L2_TIMEOUT + 30 s; allow 30 s more for that.
	if ! wait_qemu "$((L2_TIMEOUT + 60))"; then
		dump_qemu
		bail "QEMU (pid $QEMU_PID) is stuck and does not exit; see the stacks above"
	fi
	rc=$QEMU_RC
	t1=${EPOCHREALTIME/[.,]/}
	t1=$(((t1 - t0) / 100000))
	L2_SECS=$((t1 / 10)).$((t1 % 10))

	# Keep the log without the serial port's CRs; read the verdict.
	tr -d '\r' <"$WORK/serial.raw" >"$log"
	mapfile -t L2_LOG <"$log"
	L2_WHY=
	for line in "${L2_LOG[@]}"; do
		case $line in
		"FVGUEST: PASS") return ;;
		"FVGUEST: FAIL "*) L2_WHY=${line#FVGUEST: FAIL }; return ;;
		esac
	done
	if [ -z "$L2_WHY" ]; then
		case $rc in
		124|137) L2_WHY="no verdict: timed out after $((L2_TIMEOUT + 30))s" ;;
		*) L2_WHY="no verdict from the guest (qemu exit status $rc)" ;;
		esac
	fi
}

# One test: backstore $1, run $2. Prints its KTAP line.
test_one() {
	local bs=$1 run=$2 depth=${#UNDO[@]} name log line
	name="nested: $FABRIC_NAME $bs $MODE_NAME"
	[ "$RUNS" -eq 1 ] || name="$name (run $run)"
	log=$LOGDIR/$FABRIC-$bs-$MODE-$run.log

	if ! make_backstore "$bs" || ! make_target; then
		undo_to "$depth" || true
		result FAIL "$name" "target setup failed"
		return
	fi
	diag "$bs: target $WWN -> $BS_PATH [${SECONDS}s]"
	run_guest "$log"
	# One rerun, said, only for a guest that never reached /init (its
	# first line): nested KVM on TCG stops an L2 in early boot now and
	# then, and nothing of the device runs before /init loads
	# virtio_scsi.  A guest that died after /init fails, its log shown:
	# a DMA to the wrong guest address looks just like that.
	if [ -n "$L2_WHY" ] && ! grep -q 'FVGUEST: INFO kernel ' "$log"; then
		diag "the L2 kernel stopped before /init (nested KVM under TCG); rerunning it once"
		mv "$log" "$log.first"
		run_guest "$log"
	fi
	for line in "${L2_LOG[@]}"; do
		case $line in
		"FVGUEST: INFO "*) echo "# l2: ${line#FVGUEST: INFO }" ;;
		esac
	done
	diag "L2 run took ${L2_SECS}s; serial log $log"

	if ! undo_to "$depth"; then
		TEARDOWN_OK=0
		[ -n "$L2_WHY" ] || L2_WHY="target teardown failed"
	fi
	if [ -n "$L2_WHY" ]; then
		[ "$VERBOSE" = 1 ] || tail -n 40 "$log" | sed 's/^/# | /'
		result FAIL "$name" "$L2_WHY"
	else
		result OK "$name"
	fi
}

# Kernel log lines after marker $1 that look like a splat (minus known noise).
new_splats() {
	dmesg | sed -n "/$1/,\$p" |
		grep -E 'Oops|BUG:|WARNING:|general protection|Call Trace:|refcount_t:|list_(add|del) corruption|soft lockup|blocked for more than' |
		grep -v 'Unhandled WRMSR' || true
}

main() {
	local bs run ntests mark splats

	parse_args "$@"
	[ "$EUID" = 0 ] || { echo "nested.sh: must run as root" >&2; exit 2; }
	[ -x scripts/mkguest ] || { echo "nested.sh: run from the repository root" >&2; exit 2; }

	ntests=$(($(echo "$BACKSTORES" | wc -w) * RUNS + 2))
	echo "TAP version 13"
	echo "1..$ntests"

	trap cleanup EXIT
	trap 'exit 130' INT TERM
	WORK=$(mktemp -d /tmp/fvnested.XXXXXX)
	nap_init "$WORK"
	LOGDIR=build/nested/$(uname -r)
	mkdir -p "$LOGDIR"
	# Splats are looked for in the kernel log after this line.
	mark="fastvhost nested.sh start $$ $SRANDOM"
	echo "$mark" >/dev/kmsg

	setup_kvm
	diag "kvm ready [${SECONDS}s]"
	setup_modules
	setup_guest_files

	TEARDOWN_OK=1
	for bs in $BACKSTORES; do
		for run in $(seq "$RUNS"); do
			test_one "$bs" "$run"
		done
	done

	# Whatever is left (the fabric directory) and the module we loaded.
	undo_to 0 || TEARDOWN_OK=0
	if [ -n "$LOADED_MOD" ]; then
		rmmod "$LOADED_MOD" || { diag "rmmod $LOADED_MOD failed"; TEARDOWN_OK=0; }
	fi
	if [ "$TEARDOWN_OK" = 1 ]; then
		result OK "nested: $FABRIC_NAME teardown${LOADED_MOD:+ and rmmod $LOADED_MOD}"
	else
		result FAIL "nested: $FABRIC_NAME teardown${LOADED_MOD:+ and rmmod $LOADED_MOD}"
	fi

	splats=$(new_splats "$mark")
	if [ -z "$splats" ]; then
		result OK "nested: no kernel warnings in the test VM"
	else
		echo "$splats" | head -n 20 | sed 's/^/# dmesg: /'
		result FAIL "nested: no kernel warnings in the test VM"
	fi

	diag "$((TESTNO - FAILED)) passed, $FAILED failed [${SECONDS}s]"
	[ "$FAILED" -eq 0 ]
}

main "$@"
