# SPDX-License-Identifier: GPL-2.0
# KTAP output for shell selftests.  Source it, call ktap_plan N, then one
# ktap_ok/ktap_fail/ktap_skip per test, then ktap_finish (exit status).

KTAP_N=0
KTAP_FAILED=0

ktap_plan() {
	echo "TAP version 13"
	echo "1..$1"
}

ktap_ok() {
	KTAP_N=$((KTAP_N + 1))
	echo "ok $KTAP_N $*"
}

ktap_fail() {
	KTAP_N=$((KTAP_N + 1))
	KTAP_FAILED=$((KTAP_FAILED + 1))
	echo "not ok $KTAP_N $*"
}

ktap_skip() {
	KTAP_N=$((KTAP_N + 1))
	echo "ok $KTAP_N $* # SKIP"
}

ktap_diag() {
	echo "# $*"
}

# ktap_run NAME CMD...: one test from a command's status; its output
# becomes diagnostics.
ktap_run() {
	local name=$1 out rc start=$SECONDS
	shift
	out=$("$@" 2>&1)
	rc=$?
	[ -n "$out" ] && printf '%s\n' "$out" | sed 's/^/# /'
	echo "# $name: $((SECONDS - start))s"
	if [ "$rc" = 0 ]; then
		ktap_ok "$name"
	else
		ktap_fail "$name"
	fi
	return 0
}

ktap_finish() {
	[ "$KTAP_FAILED" = 0 ]
}
