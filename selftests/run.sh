#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the vguest tests and print KTAP.
#
#   run.sh [-f vhost|fastvhost] [-s] [-t TEST]... [-T SEC] [-- HARNESS_ARGS]
#
#   -f FABRIC  which device/fabric: vhost (/dev/vhost-scsi, default) or
#              fastvhost (/dev/fastvhost)
#   -s         set up first: modprobe, insmod $FV_KO for fastvhost, create
#              the standard target (lib/target.sh tgt_up); remove it after,
#              as one more result that fails when the teardown does
#   -t TEST    run only this test program (repeatable); default: all
#   -T SEC     per-program timeout (default 1800)
#   HARNESS_ARGS are passed to every program (e.g. -r cmds.inquiry, -l)
#
# Without -s the target must exist and FV_WWN (FV_DEV, FV_TPGT, FV_LUNS)
# be set; see tests_common.h. Exit status: 0 when every program passed.
set -u

here=$(cd "$(dirname "$0")" && pwd)
if [ -x "$here/scsi_cmds" ]; then bin=$here; else bin=$(cd "$here/../build/selftests" 2>/dev/null && pwd); fi
for t in "$here/target.sh" "$here/lib/target.sh"; do
	# shellcheck source-path=SCRIPTDIR source=lib/target.sh
	[ -f "$t" ] && { . "$t"; break; }
done

fabric=vhost setup=0 tmo=1800 tests=()
while getopts "f:st:T:h" opt; do
	case $opt in
	f) fabric=$OPTARG ;;
	s) setup=1 ;;
	t) tests+=("$OPTARG") ;;
	T) tmo=$OPTARG ;;
	*) sed -n '4,19p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ ${#tests[@]} -gt 0 ] || tests=(scsi_cmds scsi_io hostile hostile_ioctl tmf dirty_log hotplug placement vmm_workers t10_pi)
[ -n "$bin" ] || { echo "run.sh: test binaries not built (make -C selftests)" >&2; exit 2; }

bail() { echo "Bail out! $*"; exit 2; }

echo "KTAP version 1"
echo "1..$((${#tests[@]} + setup))"

if [ $setup = 1 ]; then
	modprobe -a target_core_mod target_core_file >/dev/null 2>&1 ||
		bail "modprobe target_core_mod target_core_file failed"
	mountpoint -q /sys/kernel/config ||
		mount -t configfs configfs /sys/kernel/config || bail "no configfs"
	case $fabric in
	# /dev/vhost-scsi: vhost_scsi, or fastvhost in drop-in mode (compat=1).
	vhost) [ -c /dev/vhost-scsi ] || modprobe vhost_scsi || bail "modprobe vhost_scsi failed" ;;
	fastvhost)
		if [ ! -e /dev/fastvhost ]; then
			[ -n "${FV_KO:-}" ] || bail "/dev/fastvhost missing and FV_KO not set"
			insmod "$FV_KO" || bail "insmod $FV_KO failed"
		fi ;;
	*) bail "unknown fabric $fabric" ;;
	esac
	tgt_up "$fabric" || { tgt_down; bail "target setup failed"; }
	trap 'tgt_down || echo "# target teardown failed"; exit 2' EXIT
fi
echo "# fabric $fabric: FV_DEV=${FV_DEV:-} FV_WWN=${FV_WWN:-} FV_TPGT=${FV_TPGT:-} FV_LUNS=${FV_LUNS:-}"

# Seconds the VM's CPUs were not idle (/proc/stat): beside a program's
# wall time it says whether the program works or waits.
busy() {
	local _ u n s i w q sq st
	read -r _ u n s i w q sq st _ </proc/stat
	echo $(((u + n + s + q + sq + st) / 100))
}

n=0 failed=0
for t in "${tests[@]}"; do
	n=$((n + 1))
	echo "# selftests: fastvhost: $t"
	if [ ! -x "$bin/$t" ]; then
		echo "not ok $n selftests: fastvhost: $t # missing $bin/$t"
		failed=$((failed + 1))
		continue
	fi
	t0=$SECONDS cpu0=$(busy)
	timeout --foreground -k 10 "$tmo" "$bin/$t" "$@" 2>&1 | sed -u 's/^/# /'
	rc=${PIPESTATUS[0]}
	echo "# selftests: fastvhost: $t took $((SECONDS - t0))s, CPUs busy $(($(busy) - cpu0))s"
	case $rc in
	0) echo "ok $n selftests: fastvhost: $t" ;;
	4) echo "ok $n selftests: fastvhost: $t # SKIP" ;;
	124) echo "not ok $n selftests: fastvhost: $t # TIMEOUT ${tmo}s"; failed=$((failed + 1)) ;;
	*) echo "not ok $n selftests: fastvhost: $t # exit=$rc"; failed=$((failed + 1)) ;;
	esac
done
if [ $setup = 1 ]; then
	# A target that will not go away (a LUN still in use, a backstore
	# still exported) is a leak of the code under test: it fails.
	trap - EXIT
	n=$((n + 1))
	if out=$(tgt_down 2>&1); then
		echo "ok $n selftests: fastvhost: $fabric target teardown"
	else
		printf '%s\n' "$out" | sed 's/^/# /'
		echo "not ok $n selftests: fastvhost: $fabric target teardown"
		failed=$((failed + 1))
	fi
fi
echo "# $((n - failed)) of $n passed"
[ $failed = 0 ]
