#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Inside the test VM (scripts/bench boots it): set up the stock vhost_scsi
# and fastvhost side by side and run the benchmark matrix, one fvbench JSON
# line per run appended to OUTFILE.
#
#   bench/vm-run.sh OUTFILE
#
# Environment: BENCH_RUNTIME (s, default 2), BENCH_RAMP (s, default 0.3),
# BENCH_REPS (default 3), BENCH_MIB (backstore size, default 128),
# BENCH_ROWS (space-separated row names to run, default all),
# BENCH_POLL_US (fv-poll-wide's poll-max, default 256: the product's 32 us
# default scaled for this TCG VM, where a request's turnaround takes
# several times as long as on hardware; see docs/performance.md),
# BENCH_MEM (0: skip the memory rows).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/selftests/lib/target.sh"
. "$top/bench/targets.sh"
out=${1:?usage: vm-run.sh OUTFILE}
bin=$top/build/selftests/fvbench
runtime=${BENCH_RUNTIME:-2}
ramp=${BENCH_RAMP:-0.3}
reps=${BENCH_REPS:-3}

# Rows: NAME LUN RW BS IODEPTH QUEUES [spin]. Every variant runs every
# row. The "null" rows (rd_nullio: no data copied) show the transport's own
# cost. "spin" rows reap by watching the used ring instead of sleeping on
# the call eventfd (fvbench --spin), as a guest vCPU kept on its CPU by
# KVM's halt-polling sees completions: the driver's own wake-up is then
# out of the latency, and what is left is the target's.
rows=(
	"rd-4k-qd1-1q     $BT_LUN_RD   randread  4k  1  1"
	"rd-4k-qd32-1q    $BT_LUN_RD   randread  4k  32 1"
	"rd-4k-qd32-2q    $BT_LUN_RD   randread  4k  32 2"
	"rd-64k-qd1-1q    $BT_LUN_RD   randread  64k 1  1"
	"rd-64k-qd32-1q   $BT_LUN_RD   randread  64k 32 1"
	"rd-64k-qd32-2q   $BT_LUN_RD   randread  64k 32 2"
	"file-4k-qd32-1q  $BT_LUN_FILE randwrite 4k  32 1"
	"null-4k-qd1-1q   $BT_LUN_NULL randread  4k  1  1"
	"rd-4k-qd1-spin   $BT_LUN_RD   randread  4k  1  1  spin"
	"null-4k-qd1-spin $BT_LUN_NULL randread  4k  1  1  spin"
)

# Variants: NAME DEV WWN EXTRA.  fv-adaptive polls as the product does by
# default, fv-poll-wide with the window scaled for this VM.
variants=(
	"stock        /dev/vhost-scsi $BT_STOCK"
	"fv-poll-off  /dev/fastvhost  $BT_FV_NOPOLL"
	"fv-adaptive  /dev/fastvhost  $BT_FV"
	"fv-poll-wide /dev/fastvhost  $BT_FV_WIDE"
	"fv-dirtylog  /dev/fastvhost  $BT_FV --dirty-log"
	"fv-regions   /dev/fastvhost  $BT_FV_NOPOLL --regions 509"
)
bt_up "${BENCH_MIB:-128}" || { echo "bench: target setup failed"; bt_down; exit 1; }
trap 'bt_down || echo "bench: teardown failed"' EXIT
# A worker per queue: stock vhost_scsi's strongest setting, 6.5 and later.
probe=$(mktemp)
if "$bin" -d /dev/vhost-scsi -w "$BT_STOCK" -n 1 --worker-per-vq >"$probe" 2>&1; then
	variants=("${variants[0]}" "stock-mq    /dev/vhost-scsi $BT_STOCK --worker-per-vq" "${variants[@]:1}")
else
	echo "# stock-mq skipped: $(tail -n1 "$probe")"
fi
rm -f "$probe"

bt_poll "$BT_FV_WIDE" $((${BENCH_POLL_US:-256} * 1000))
echo "# poll-max-ns: fv-adaptive $(bt_poll_get "$BT_FV") (the module's default), fv-poll-wide $(bt_poll_get "$BT_FV_WIDE"), fv-poll-off $(bt_poll_get "$BT_FV_NOPOLL")"

want() {	# want ROW: in BENCH_ROWS (or all)
	[ -z "${BENCH_ROWS:-}" ] && return 0
	case " $BENCH_ROWS " in *" $1 "*) return 0 ;; esac
	return 1
}

nv=${#variants[@]}
err=$(mktemp)
# One discarded second per variant first: the first runs after boot and
# setup meet other start-up work.
for v in "${variants[@]}"; do
	read -r vname dev wwn extra <<<"$v"
	# shellcheck disable=SC2086
	"$bin" -d "$dev" -w "$wwn" --runtime 1 --ramp 0 $extra >/dev/null 2>&1
done
fails=0
for rep in $(seq 1 "$reps"); do
	for row in "${rows[@]}"; do
		read -r name lun rw bs qd nq mode <<<"$row"
		want "$name" || continue
		drvopt=
		[ "$mode" != spin ] || drvopt=--spin
		# Alternate: each repetition starts with the next variant.
		for k in $(seq 0 $((nv - 1))); do
			read -r vname dev wwn extra <<<"${variants[$(((k + rep - 1) % nv))]}"
			# shellcheck disable=SC2086
			line=$("$bin" -d "$dev" -w "$wwn" -l "$lun" --rw "$rw" --bs "$bs" \
				-q "$qd" -j "$nq" --runtime "$runtime" --ramp "$ramp" \
				--seed "$rep" --label "$name" --tag row="$name" \
				--tag variant="$vname" --tag rep="$rep" -H $extra $drvopt 2>"$err")
			rc=$?
			case "$line" in "{"*) echo "$line" >>"$out" ;; esac
			[ "$rc" = 0 ] || fails=$((fails + 1))
			sed "s/^/# $name $vname rep $rep: /" "$err"
		done
	done
done

# Kernel memory a device holds with 1, 16 and 128 request queues of 128
# entries (QEMU's default ring), each queue having served a command: the
# stock module (with a worker per queue too, where it has that) and
# fastvhost, whose polling does not change what it allocates.
if [ "${BENCH_MEM:-1}" != 0 ]; then
	for rep in $(seq 1 "$reps"); do
		for nq in 1 16 128; do
			for v in "${variants[@]}"; do
				read -r vname dev wwn extra <<<"$v"
				case $vname in stock|stock-mq|fv-poll-off) ;; *) continue ;; esac
				# shellcheck disable=SC2086
				line=$("$bin" -d "$dev" -w "$wwn" -j "$nq" --ring 128 --mem \
					--tag row="mem-${nq}q" --tag variant="$vname" \
					--tag rep="$rep" -H $extra 2>"$err")
				rc=$?
				case "$line" in "{"*) echo "$line" >>"$out" ;; esac
				[ "$rc" = 0 ] || fails=$((fails + 1))
				sed "s/^/# mem-${nq}q $vname rep $rep: /" "$err"
			done
		done
	done
fi
echo "# $fails run(s) failed"
[ "$fails" = 0 ]
