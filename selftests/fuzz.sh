#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# fvfuzz in the test VM: the standard fastvhost target and a second one
# (for the VMM and kill families), FV_FUZZ_CASES generated cases (default
# 10000) from seed FV_FUZZ_SEED (default: random, printed) or as many as
# FV_FUZZ_TIME seconds hold (default 240; 300 on the debug kernel; 0: no
# limit), the regression cases of selftests/fuzz-regress.list, then the
# targets go and the module must unload.  KTAP; run as root with FV_KO.
#
#   FV_FUZZ_CASES=N FV_FUZZ_SEED=S FV_FUZZ_TIME=SEC selftests/fuzz.sh
#   FV_FUZZ_REPLAY="S:I[:FAMILIES] ..." also replays these cases, verbose
#   FV_NLFUZZ_CASES=N, FV_NLFUZZ_UNPRIV=N: nlfuzz's cases as admin (20000;
#   4000 on the debug kernel) and unprivileged (5000; 2000), same seed
#   FV_FUZZ_FAMILIES=ring,addr,... limits the families (default: all seven)
#   FV_FUZZ_START=I begins at case I; FV_FUZZ_VERBOSE=1 describes each case
#   and marks it in the kernel log (to put a splat to its case)
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/selftests/lib/ktap.sh"
. "$top/selftests/lib/target.sh"
bin=$top/build/selftests/fvfuzz
cases=${FV_FUZZ_CASES:-10000}
families=${FV_FUZZ_FAMILIES:-ring,addr,req,ctrl,event,vmm,kill,lun}
# lockdep and KASAN make a netlink case some ten times slower: fewer there
case "$(uname -r)" in
*fvdebug*) nl_cases=${FV_NLFUZZ_CASES:-4000} nl_unpriv=${FV_NLFUZZ_UNPRIV:-2000}
	time_box=${FV_FUZZ_TIME-300} ;;
*) nl_cases=${FV_NLFUZZ_CASES:-20000} nl_unpriv=${FV_NLFUZZ_UNPRIV:-5000}
	time_box=${FV_FUZZ_TIME-240} ;;
esac
# The time box keeps make check within CI's 90 minutes on a slower
# machine; the cases a run got to are in its result, and a seed with
# FV_FUZZ_START reaches the others.
[ "$time_box" != 0 ] || time_box=
# Not the clock: its nanoseconds in the test VM were even in every seed of
# two make checks (six of six), and odd seeds are the ones with T10 PI
# request headers (fvfuzz.c).
seed=${FV_FUZZ_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
wwn2=naa.5001405ffbb0f002
tmp=$(mktemp -d)
loaded=0

down2() {
	tgt_del fastvhost "$wwn2" || return 1
	[ -z "${bs2:-}" ] || tgt_bs_del "$bs2"
}
trap 'down2 >/dev/null 2>&1; tgt_down >/dev/null 2>&1; rm -rf "$tmp"' EXIT

setup() {
	modprobe -a target_core_mod target_core_file || return 1
	if [ ! -e /dev/fastvhost ]; then
		insmod "${FV_KO:?FV_KO must name the built fastvhost.ko}" || return 1
		loaded=1
	fi
	tgt_up fastvhost || return 1
	bs2=$(tgt_rd fv_fuzz_rd2 4096) &&
	tgt_tpg fastvhost "$wwn2" 1 &&
	tgt_lun fastvhost "$wwn2" 1 0 "$bs2" &&
	tgt_nexus fastvhost "$wwn2" 1
}

# fvfuzz's own KTAP (a result per family) goes through as diagnostics,
# its results counted one by one by scripts/check.
fuzz() {	# ARGS...
	FV_FUZZ_WWN2=$wwn2 "$bin" "$@" 2>&1 | sed -u 's/^/# /'
	return "${PIPESTATUS[0]}"
}

# A case is its seed, index and the families it was drawn from (above).

# INDEX may be a range FIRST-LAST: cases that find the defect only together.
regress() {
	local s i fam rc=0 which
	while read -r s i fam _; do
		case "$s" in ''|'#'*) continue ;; esac
		echo "# regression case: seed $s index $i families $fam"
		case "$i" in
		*-*) which=(--start "${i%-*}" --cases $(( ${i#*-} - ${i%-*} + 1 ))) ;;
		*) which=(--replay "$i") ;;
		esac
		fuzz --seed "$s" --families "$fam" "${which[@]}" --verbose || rc=1
	done < <(cat "$top/selftests/fuzz-regress.list"
		 for c in ${FV_FUZZ_REPLAY:-}; do
			 IFS=: read -r s i fam <<<"$c"
			 echo "$s $i ${fam:-$families}"
		 done)
	return $rc
}

unload() {
	down2 && tgt_down || return 1
	# the fabric's directory holds a reference on the module
	rmdir /sys/kernel/config/target/fastvhost 2>/dev/null
	rmmod fastvhost || { grep '^fastvhost ' /proc/modules; return 1; }
	[ ! -e /dev/fastvhost ] || { echo "/dev/fastvhost still there"; return 1; }
	# leave the module as we found it
	[ $loaded = 1 ] || insmod "$FV_KO"
}

ktap_plan 7
if [ ! -x "$bin" ]; then
	ktap_fail "setup: $bin missing (make selftests)"
elif setup >"$tmp/setup.log" 2>&1; then
	ktap_ok "setup: two fastvhost targets"
else
	sed 's/^/# /' "$tmp/setup.log"
	ktap_fail "setup: two fastvhost targets"
fi
echo "# fvfuzz seed $seed, $cases cases (FV_FUZZ_SEED=$seed to run it again)"
# the case marks must not be rate-limited away
[ -z "${FV_FUZZ_VERBOSE:-}" ] || echo on >/proc/sys/kernel/printk_devkmsg
start=$SECONDS
fuzz --seed "$seed" --cases "$cases" ${time_box:+--time "$time_box"} \
	${FV_FUZZ_START:+--start "$FV_FUZZ_START"} \
	${FV_FUZZ_VERBOSE:+--verbose} --families "$families" | tee "$tmp/fvfuzz.out"
rc=${PIPESTATUS[0]}
# the time box may end the run before $cases: say how many ran
ran=$(sed -n 's/^# # \([0-9]*\) cases run .*/\1/p' "$tmp/fvfuzz.out")
what="fvfuzz seed $seed: ${ran:-$cases} cases in $((SECONDS - start))s"
if [ "$rc" = 0 ]; then ktap_ok "$what"; else ktap_fail "$what"; fi
ktap_run "regression cases (fuzz-regress.list)" regress

# nlfuzz: the netlink family as admin, on the second target while a
# guest (fvctl.sh's holder) reads from it, so that the workers are rebuilt
# and moved under its I/O; then as nobody.  Its own KTAP goes through.
nlfuzz() {	# WWN ARGS...
	local w=$1
	shift
	"$top/build/selftests/nlfuzz" --wwn "$w" --seed "$seed" "$@"
}

nlfuzz_under_io() {
	local hpid rc=0 line
	mkfifo "$tmp/hold" || return 1
	"$top/build/selftests/fvctl-holder" "$wwn2" 1 4 <"$tmp/hold" >"$tmp/holder.out" 2>&1 &
	hpid=$!
	exec 8>"$tmp/hold"
	for _ in $(seq 300); do
		grep -q attached "$tmp/holder.out" && break
		sleep 0.1
	done
	if ! grep -q attached "$tmp/holder.out"; then
		echo "holder did not attach:"; cat "$tmp/holder.out"
		exec 8>&-
		wait $hpid
		return 1
	fi
	echo "io 1000000 0" >&8
	nlfuzz "$wwn2" --cases "$nl_cases" || rc=1
	# the holder's reads went on meanwhile; it ends them when stdin closes
	exec 8>&-
	wait $hpid || { echo "holder exit status $?"; rc=1; }
	line=$(grep '^io ' "$tmp/holder.out")
	echo "holder: ${line:-no io line}"
	case "$line" in "io failed"*) rc=1 ;; esac
	return $rc
}
# nlfuzz cases that found a defect, SEED:INDEX, replayed on the second
# target: 2856545652:344 (a dump naming no target had no extack on 6.1).
nl_regress() {
	local c rc=0
	for c in 2856545652:344; do
		nlfuzz "$wwn2" --seed "${c%%:*}" --replay "${c##*:}" || rc=1
	done
	return $rc
}
ktap_run "nlfuzz regression cases" nl_regress
echo "# nlfuzz seed $seed: $nl_cases cases as admin, $nl_unpriv unprivileged"
ktap_run "nlfuzz: $nl_cases netlink cases as admin, a guest reading" nlfuzz_under_io
ktap_run "nlfuzz: $nl_unpriv netlink cases unprivileged" nlfuzz "$FV_WWN" --cases "$nl_unpriv" --unpriv
ktap_run "targets removed and the module unloads after the run" unload
ktap_finish
