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

rows=("${BT_ROWS[@]}")
variants=("${BT_VARIANTS[@]}")
bt_up "${BENCH_MIB:-128}" || { echo "bench: target setup failed"; bt_down; exit 1; }
trap 'bt_down || echo "bench: teardown failed"' EXIT
# A worker per queue: stock vhost_scsi's strongest setting, 6.5 and later.
probe=$(mktemp)
if ! "$bin" -d /dev/vhost-scsi -w "$BT_STOCK" -n 1 --worker-per-vq >"$probe" 2>&1; then
	echo "# stock-mq skipped: $(tail -n1 "$probe")"
	keep=()
	for v in "${variants[@]}"; do
		[[ $v == "stock-mq "* ]] || keep+=("$v")
	done
	variants=("${keep[@]}")
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
fails=0

# run ROW VARIANT REP FVBENCH-ARGS...: one fvbench run, its JSON line
# appended to OUTFILE, its summary line printed, a failure counted.
run() {
	local row=$1 vname=$2 rep=$3 line rc
	shift 3
	line=$("$bin" "$@" --tag row="$row" --tag variant="$vname" \
		--tag rep="$rep" -H 2>"$err")
	rc=$?
	case "$line" in "{"*) echo "$line" >>"$out" ;; esac
	[ "$rc" = 0 ] || fails=$((fails + 1))
	sed "s/^/# $row $vname rep $rep: /" "$err"
}
# One discarded second per variant first: the first runs after boot and
# setup meet other start-up work.
for v in "${variants[@]}"; do
	read -r vname dev wwn extra <<<"$v"
	# shellcheck disable=SC2086
	"$bin" -d "$dev" -w "$wwn" --runtime 1 --ramp 0 $extra >/dev/null 2>&1
done
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
			run "$name" "$vname" "$rep" -d "$dev" -w "$wwn" -l "$lun" \
				--rw "$rw" --bs "$bs" -q "$qd" -j "$nq" \
				--runtime "$runtime" --ramp "$ramp" --seed "$rep" \
				--label "$name" $extra $drvopt
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
				run "mem-${nq}q" "$vname" "$rep" -d "$dev" -w "$wwn" \
					-j "$nq" --ring 128 --mem $extra
			done
		done
	done
fi
echo "# $fails run(s) failed"
[ "$fails" = 0 ]
