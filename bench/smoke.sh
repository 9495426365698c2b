#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# fvbench smoke test (no timings judged): the tool runs for a second
# against the stock vhost_scsi and against fastvhost and prints one valid
# JSON object with I/Os done and no errors. KTAP; run as root with FV_KO.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/selftests/lib/ktap.sh"
. "$top/selftests/lib/target.sh"
. "$top/bench/targets.sh"
bin=$top/build/selftests/fvbench
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# check_json FILE: one object, ok, I/Os counted, worker threads found
check_json() {
	python3 - "$1" <<'EOF'
import json, sys
lines = [l for l in open(sys.argv[1]) if l.strip()]
assert len(lines) == 1, "expected one JSON line, got %d" % len(lines)
r = json.loads(lines[0])
for k in ("iops", "mib_s", "lat_us", "cpu", "workers", "ios"):
    assert k in r, "no " + k
assert r["ok"], "run failed: " + r["error"]
assert r["ios"] > 0, "no I/O done"
assert r["lat_us"]["p50"] <= r["lat_us"]["p99"] <= r["lat_us"]["p99.9"], "percentiles out of order"
assert r["workers"], "no worker thread found"
print("# %s: %d I/Os, %d worker thread(s): %s" % (r["dev"], r["ios"], len(r["workers"]),
      " ".join(w["comm"] for w in r["workers"])))
EOF
}

run() {	# run NAME ARGS...: fvbench for 1 s, then check its JSON
	local name=$1
	shift
	"$bin" --runtime 1 --ramp 0.1 "$@" >"$tmp/$name.json" || return 1
	check_json "$tmp/$name.json"
}

# mem NAME ARGS...: fvbench --mem; the device held something while
# attached (what is left after the close is not judged: freed objects
# stay in partly used slabs; kmemleak on the debug kernel finds leaks).
mem() {
	local name=$1
	shift
	"$bin" --mem "$@" >"$tmp/$name.json" || return 1
	python3 - "$tmp/$name.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
k = r["kernel_kib"]
print("# %s, %d queues: %d KiB attached, %d KiB after the close" % (r["dev"], r["queues"], k["attached"], k["after_close"]))
assert r["mode"] == "mem" and k["attached"] > 0, "nothing measured"
EOF
}

ktap_plan 8
# Not through ktap_run: that runs in a subshell, and bt_down needs the
# state bt_up leaves.
if [ ! -x "$bin" ]; then
	ktap_fail "setup: $bin missing (make selftests)"
elif bt_up 16 >"$tmp/setup.log" 2>&1; then
	ktap_ok "setup: vhost_scsi, fastvhost and side-by-side targets"
else
	sed 's/^/# /' "$tmp/setup.log"
	ktap_fail "setup: vhost_scsi, fastvhost and side-by-side targets"
fi
ktap_run "stock vhost_scsi: randread 4k qd4" \
	run stock -d /dev/vhost-scsi -w "$BT_STOCK" --rw randread -q 4
ktap_run "fastvhost: randrw 8k qd4 on 2 queues" \
	run fv -d /dev/fastvhost -w "$BT_FV" --rw randrw --bs 8k -q 4 -j 2 -l $BT_LUN_FILE
ktap_run "fastvhost: randread 4k qd32 with dirty logging on (bench variant fv-dirtylog)" \
	run fv_log -d /dev/fastvhost -w "$BT_FV" --rw randread -q 32 --dirty-log
ktap_run "fastvhost: randread 4k qd32 with 509 memory regions (bench variant fv-regions)" \
	run fv_regions -d /dev/fastvhost -w "$BT_FV" --rw randread -q 32 --regions 509
ktap_run "fastvhost: kernel memory of a device with 8 queues (bench's memory rows)" \
	mem fv_mem -d /dev/fastvhost -w "$BT_FV" -j 8
# VHOST_NEW_WORKER exists from Linux 6.5 on.
if [ "$(printf '%s\n' 6.5 "$(uname -r)" | sort -V | head -n1)" = 6.5 ]; then
	ktap_run "stock vhost_scsi with a worker per queue" \
		run stock_mq -d /dev/vhost-scsi -w "$BT_STOCK" -j 2 --worker-per-vq -n 2000
else
	ktap_skip "stock vhost_scsi with a worker per queue: needs Linux 6.5"
fi
if bt_down >"$tmp/down.log" 2>&1; then
	ktap_ok "targets removed"
else
	sed 's/^/# /' "$tmp/down.log"
	ktap_fail "targets removed"
fi
ktap_finish
