#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Inside the test VM (scripts/profile boots it): where the CPU time of a
# bench row goes, for the stock vhost_scsi and for fastvhost.  For each
# row and variant, fvbench runs under a system-wide `perf record`
# (cpu-clock: TCG has no hardware counters) and tables are written to
# OUTDIR/<row>-<variant>.txt: the share of samples per task (the driver,
# the target's worker, LIO's kworkers, idle), the hottest symbols per task
# and over all tasks, and the worker threads' own hottest symbols.
#
#   bench/profile.sh OUTDIR
#
# Environment: PROFILE_ROWS (names of the bench's rows, BT_ROWS of
# bench/targets.sh; default "rd-4k-qd32-1q null-4k-qd1-1q"),
# PROFILE_VARIANTS (BT_VARIANTS; default "stock fv-poll-off"),
# PROFILE_RUNTIME (s, default 3), BENCH_POLL_US (fv-poll-wide's window,
# default 256).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/selftests/lib/target.sh"
. "$top/bench/targets.sh"
out=${1:?usage: profile.sh OUTDIR}
bin=$top/build/selftests/fvbench
runtime=${PROFILE_RUNTIME:-3}
mkdir -p "$out"

command -v perf >/dev/null || { echo "profile: perf is missing (Debian: linux-perf)"; exit 1; }
bt_up 128 || { echo "profile: target setup failed"; bt_down; exit 1; }
trap 'bt_down || echo "profile: teardown failed"' EXIT
bt_poll "$BT_FV_WIDE" $((${BENCH_POLL_US:-256} * 1000))

rc=0
for row in ${PROFILE_ROWS:-rd-4k-qd32-1q null-4k-qd1-1q}; do
	read -r lun rw bs qd nq mode <<<"$(bt_pick "$row" "${BT_ROWS[@]}")" ||
		{ echo "profile: unknown row $row"; rc=1; continue; }
	drvopt=
	[ "$mode" != spin ] || drvopt=--spin
	for v in ${PROFILE_VARIANTS:-stock fv-poll-off}; do
		read -r dev wwn extra <<<"$(bt_pick "$v" "${BT_VARIANTS[@]}")" ||
			{ echo "profile: unknown variant $v"; rc=1; continue; }
		data=/tmp/perf-$row-$v.data
		txt=$out/$row-$v.txt
		# shellcheck disable=SC2086
		perf record -q -a -e cpu-clock -F 1999 -o "$data" -- \
			"$bin" -d "$dev" -w "$wwn" -l "$lun" --rw "$rw" --bs "$bs" \
			-q "$qd" -j "$nq" --runtime "$runtime" --ramp 0.5 \
			--label "$row" $extra $drvopt >"$out/$row-$v.json" 2>/dev/null ||
			{ echo "profile: $row $v: fvbench or perf failed"; rc=1; continue; }
		{
			echo "# $row $v ($(uname -r)): $(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("%d IOPS, worker %.1f us/IO, machine %.1f us/IO" % (d["iops"], d["cpu"]["worker_us_per_io"], d["cpu"]["machine_us_per_io"]))' "$out/$row-$v.json" 2>/dev/null)"
			echo "## by task"
			perf report -q -i "$data" --stdio --sort comm --percent-limit 1 2>/dev/null |
				sed 's/^ *//; s/-[0-9][0-9]*:[0-9]*$//' | grep .
			echo "## by symbol"
			perf report -q -i "$data" --stdio --sort comm,sym --percent-limit 0.7 2>/dev/null |
				sed 's/^ *//' | grep . | head -n 40
			echo "## by symbol, all tasks together"
			perf report -q -i "$data" --stdio --sort sym --percent-limit 0.5 2>/dev/null |
				sed 's/^ *//' | grep . | head -n 60
			# The target's own threads, by the tids fvbench found (perf
			# may not see their names: a kthread set its name after it
			# started, a vhost_task is named as its parent).
			tids=$(python3 -c 'import json,sys; print(",".join(str(w["tid"]) for w in json.load(open(sys.argv[1]))["workers"]))' \
				"$out/$row-$v.json" 2>/dev/null)
			if [ -n "$tids" ]; then
				echo "## the worker threads ($tids), by symbol (share of their samples)"
				perf report -q -i "$data" --stdio --tid "$tids" --sort sym --percentage relative \
					--percent-limit 0.8 2>/dev/null | sed "s/^ *//" | grep . | head -n 45
			fi
		} >"$txt"
		rm -f "$data"
		echo "profile: $row $v: $(head -n 1 "$txt" | cut -d: -f2-)"
	done
done
exit $rc
