#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# fvctl, the control tool: every command, its JSON, its errors, attach's
# rollback, save/restore, the netlink family through the kernel's own YNL
# CLI, a process without CAP_NET_ADMIN, a backstore path that stalls, and
# targets too large for one netlink message (128 queues, 270 LUNs).
#
#   rd_mcp_0/fvrd0, fvrd1 --+-- naa.5001405f0000a001 tpgt_1 lun_0, lun_1
#   fileio_0/fvfio0 --------+-- naa.5001405f0000a002 tpgt_2 lun_0
#   selftests/fvctl/holder: a vguest "guest" attached to the first target
#
#   selftests/fvctl.sh [--no-scale] [--kernel]
#
# --no-scale leaves out two tests of size (500 targets and 10 that come
# and go, 270 LUNs in a portal group): make check runs them on one kernel
# (selftests/suite.list).  --kernel, for the debug kernel's leg, leaves
# out what tests fvctl more than the kernel: its handling of bad input
# and its output formats, whose kernel side (policies, extack, the admin
# check, dumps) nlfuzz takes there in fuzz.sh.
set -u
dir=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$dir")
. "$dir/lib/ktap.sh"
ko=${FV_KO:?FV_KO must name the built fastvhost.ko}

fvctl=$top/ctl/fvctl
cfg=/sys/kernel/config/target
fab=$cfg/fastvhost
rd=$cfg/core/rd_mcp_0
fio=$cfg/core/fileio_0
w1=naa.5001405f0000a001
w2=naa.5001405f0000a002
w3=naa.5001405f0000a003
w4=naa.5001405f0000a004
w5=naa.5001405f0000a005
no_scale=0
kernel_only=0
for a in "$@"; do
	case "$a" in
	--no-scale) no_scale=1 ;;
	--kernel) kernel_only=1 ;;
	*) echo "usage: fvctl.sh [--no-scale] [--kernel]" >&2; exit 2 ;;
	esac
done
tmp=$(mktemp -d /tmp/fvctl.XXXXXX)
holder_pid=

# fails PATTERN CMD...: CMD exits non-zero with one line "fvctl: ..." on
# stderr that contains PATTERN (case-insensitive), and nothing on stdout.
# Bash's own means where it has them: a fork and exec costs a lot in the
# test VM (emulated), and these run hundreds of times.
fails() {
	local pat=$1 err rc lines
	shift
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	mapfile -t lines <"$tmp/err"
	err=${lines[0]:-}
	[ "$rc" != 0 ] || { echo "'$*' succeeded"; return 1; }
	[ ${#lines[@]} = 1 ] || { echo "'$*' did not print one line:"; printf '%s\n' "${lines[@]}"; return 1; }
	case $err in "fvctl: "*) ;; *) echo "'$*' printed '$err'"; return 1 ;; esac
	[[ ${err,,} =~ ${pat,,} ]] || { echo "'$*' printed '$err', not '$pat'"; return 1; }
	echo "$* -> rc $rc: $err"
}

# Every directory, link and nexus under the fabric.
snapshot() {
	local f v
	find "$fab" -printf '%p %l\n' 2>/dev/null | sort
	for f in "$fab"/*/tpgt_*/nexus; do
		[ -e "$f" ] || continue
		v=
		read -r v <"$f"
		echo "$f=$v"
	done
}

# pyjson EXPR < JSON: assert a Python expression over d, the parsed input.
pyjson() {
	python3 -c "import json, sys; d = json.load(sys.stdin); assert $1, d" ||
		{ echo "JSON check failed: $1"; return 1; }
}

setup() {
	modprobe target_core_mod && modprobe target_core_file || return 1
	insmod "$ko" || return 1
	for b in fvrd0 fvrd1 fvrd2; do
		mkdir -p "$rd/$b" && echo rd_pages=2048 > "$rd/$b/control" &&
			echo "fvctl-$b" > "$rd/$b/wwn/vpd_unit_serial" &&
			echo 1 > "$rd/$b/enable" || return 1
	done
	truncate -s 64M "$tmp/fvfio0.img" || return 1
	mkdir -p "$fio/fvfio0" &&
		echo "fd_dev_name=$tmp/fvfio0.img,fd_dev_size=67108864" > "$fio/fvfio0/control" &&
		echo fvctl-fvfio0 > "$fio/fvfio0/wwn/vpd_unit_serial" &&
		echo 1 > "$fio/fvfio0/enable" || return 1
	cp "$fvctl" "$tmp/fvctl-nobody" && chmod 755 "$tmp" "$tmp/fvctl-nobody"
}

basics() {
	"$fvctl" --version | grep -Eq '^fvctl [0-9a-f.]' || { echo "bad --version"; return 1; }
	"$fvctl" help | grep -q 'attach --wwn' || { echo "help lacks attach"; return 1; }
	fails "unknown command 'frob'" "$fvctl" frob || return 1
	fails "unknown option '--frob'" "$fvctl" show --frob || return 1
	fails "unknown option" "$fvctl" -Z show || return 1
	fails "show does not take --lun" "$fvctl" show --lun 1 || return 1
	fails "needs a value" "$fvctl" attach --wwn || return 1
	fails "unexpected argument" "$fvctl" show extra
}

attach() {
	local nx
	"$fvctl" attach --wwn $w1 --lun 0 --backstore ramdisk/fvrd0 || return 1
	[ -L "$fab/$w1/tpgt_1/lun/lun_0/port" ] || { echo "no LUN link"; return 1; }
	nx=$(cat "$fab/$w1/tpgt_1/nexus")
	case $nx in naa.*) ;; *) echo "nexus '$nx'"; return 1 ;; esac
	"$fvctl" attach --wwn $w1 --lun 1 --backstore rd_mcp_0/fvrd1 \
		--node 0 --cpus 0 --poll-us 50 || return 1
	"$fvctl" attach --wwn $w2 --tpgt 2 --lun 0 --backstore fileio/fvfio0 || return 1
	[ "$(readlink -f "$fab/$w2/tpgt_2/lun/lun_0/port")" = "$(readlink -f "$fio/fvfio0")" ] ||
		{ echo "fileio LUN links elsewhere"; return 1; }
	"$fvctl" -j show --wwn $w1 | pyjson "d[0]['poll-max-ns'] == 50000 and d[0]['cpus'] == '0' and d[0]['node'] == 0 and d[0]['node-auto'] == 0 and d[0]['node-source'] == 'fixed' and len(d[0]['tpg'][0]['lun']) == 2 and d[0]['tpg'][0]['nexus'] == '$nx'" || return 1
	"$fvctl" show -j --wwn $w2 | pyjson "d[0]['tpg'][0]['tpgt'] == 2 and d[0]['tpg'][0]['lun'][0]['backstore'] == 'fileio_0/fvfio0' and d[0]['node-auto'] == 1" || return 1
	# The nexus name comes from the WWN alone.
	"$fvctl" detach --wwn $w1 --lun 1 && "$fvctl" detach --wwn $w1 || return 1
	"$fvctl" attach --wwn $w1 --lun 0 --backstore ramdisk/fvrd0 || return 1
	[ "$(cat "$fab/$w1/tpgt_1/nexus")" = "$nx" ] || { echo "nexus changed"; return 1; }
	"$fvctl" attach --wwn $w1 --lun 1 --backstore ramdisk/fvrd1 --node 0 --cpus 0 --poll-us 50
}

show() {
	"$fvctl" show > "$tmp/show" || return 1
	grep -q "^target $w1" "$tmp/show" && grep -q "lun 1 backstore rd_mcp_0/fvrd1" "$tmp/show" &&
		grep -q "tpgt 2 nexus naa\." "$tmp/show" || { echo "show text:"; cat "$tmp/show"; return 1; }
	"$fvctl" -j show | python3 "$dir/fvctl/check_show.py" || return 1
	"$fvctl" -j -p show | python3 "$dir/fvctl/check_show.py" || return 1
	[ "$("$fvctl" -j -p show | wc -l)" -gt 10 ] || { echo "-p is not indented"; return 1; }
	"$fvctl" | grep -q "^target $w2" || { echo "no command is not show"; return 1; }
	fails "no target naa.5001405f0000dead" "$fvctl" show --wwn naa.5001405f0000dead
}

# Dumps stay whole while targets come and go: 500 fixed targets (several
# skbs of dump) and 10
# that a background loop removes and adds again (removing one from the
# front of the list shifts the rest, so a dump resumed by position would
# skip or repeat one).  The kernel must flag a dump that spans a change
# (NLM_F_DUMP_INTR), and every show -j must list each target once.
dump_consistent() {
	local i w churn=() fixed=() dirs=() pid rc=0 n bytes out
	for i in $(seq 100 109); do churn+=("naa.5001405f0001$i"); done
	for i in $(seq 100 599); do fixed+=("naa.5001405f0002$i"); done
	for w in "${churn[@]}" "${fixed[@]}"; do dirs+=("$fab/$w"); done
	mkdir -p "${dirs[@]}" && mkdir -p "${dirs[@]/%//tpgt_1}" || { echo "mkdir failed"; rc=1; }
	if [ $rc = 0 ]; then
		# The kernel flags a dump that spans a change, and only that one.
		out=$(python3 "$dir/fvctl/dumpintr.py" "$top/uapi/linux/fastvhost.h" true)
		[ $? = 1 ] || { echo "unchanged dump: $out"; rc=1; }
		echo "unchanged: $out"
		w=$fab/${churn[0]}
		out=$(python3 "$dir/fvctl/dumpintr.py" "$top/uapi/linux/fastvhost.h" \
			"rmdir $w/tpgt_1 $w && mkdir -p $w/tpgt_1")
		[ $? = 0 ] || { echo "dump across a change: $out"; rc=1; }
		echo "a target removed and added after the first part: $out"
	fi
	if [ $rc = 0 ]; then
		(
			while :; do
				for w in "${churn[@]}"; do
					rmdir "$fab/$w/tpgt_1" "$fab/$w"
					mkdir -p "$fab/$w/tpgt_1"
					sleep 0.02
				done
			done
		) 2>/dev/null &
		pid=$!
		# The dumps are checked after, in one python3 (each start of
		# it costs a second or more under TCG).
		for ((n = 0; n < 15; n++)); do
			"$fvctl" -j show >"$tmp/dump.$n.json" 2>"$tmp/dump.err" ||
				{ echo "show failed: $(cat "$tmp/dump.err")"; rc=1; break; }
		done
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		FIXED="${fixed[*]}" python3 -c '
import json, os, sys
fixed = set(os.environ["FIXED"].split())
for f in sys.argv[1:]:
    w = [t["wwn"] for t in json.load(open(f))]
    dup = sorted(x for x in set(w) if w.count(x) > 1)
    miss = sorted(fixed - set(w))
    assert not dup and not miss, "%s: %d targets, repeated %s, missing %s" % (os.path.basename(f), len(w), dup, miss)
print("%d dumps of %d targets (%d bytes of JSON the last) while 10 targets came and went" %
      (len(sys.argv) - 1, len(w), os.path.getsize(f)))
' "$tmp"/dump.[0-9]*.json || rc=1
	fi
	for w in "${churn[@]}" "${fixed[@]}"; do
		[ ! -d "$fab/$w/tpgt_1" ] || echo "$fab/$w/tpgt_1"
	done | xargs -r rmdir || rc=1
	for w in "${churn[@]}" "${fixed[@]}"; do
		[ ! -d "$fab/$w" ] || echo "$fab/$w"
	done | xargs -r rmdir || rc=1
	return $rc
}

ynl_agrees() {
	"$top/scripts/ynl" cli --dump target-get --output-json > "$tmp/ynl.json" ||
		{ echo "ynl cli failed"; return 1; }
	"$fvctl" -j show > "$tmp/fvctl.json" || return 1
	python3 "$dir/fvctl/jsoncmp.py" "$tmp/ynl.json" "$tmp/fvctl.json" || return 1
	"$top/scripts/ynl" cli --do target-get --json "{\"wwn\": \"$w2\"}" --output-json > "$tmp/ynl1.json" &&
		python3 -c "import json, sys; d = json.load(open(sys.argv[1])); json.dump([d], open(sys.argv[1], 'w'))" "$tmp/ynl1.json" &&
		"$fvctl" -j show --wwn $w2 > "$tmp/fvctl1.json" &&
		python3 "$dir/fvctl/jsoncmp.py" "$tmp/ynl1.json" "$tmp/fvctl1.json"
}

ynl_extack() {
	local out
	out=$("$top/scripts/ynl" cli --do target-set --json "{\"wwn\": \"$w1\", \"poll-max-ns\": 99999999}" 2>&1) &&
		{ echo "ynl target-set with poll-max-ns 99999999 succeeded"; return 1; }
	echo "$out" | grep -q "integer out of range" || { echo "no extack: $out"; return 1; }
	out=$("$top/scripts/ynl" cli --do target-get --json '{"wwn": "naa.5001405f0000dead"}' 2>&1) &&
		{ echo "target-get of an unknown WWN succeeded"; return 1; }
	echo "$out" | grep -q "no fastvhost target with this WWN" || { echo "no extack: $out"; return 1; }
	out=$("$top/scripts/ynl" cli --dump stats-get --json '{"wwn": "naa.5001405f0000dead"}' 2>&1) &&
		{ echo "a stats-get dump of an unknown WWN succeeded: $out"; return 1; }
	echo "$out" | grep -q "no fastvhost target with this WWN" || { echo "no extack on the dump: $out"; return 1; }
}

set_ok() {
	"$fvctl" set --wwn $w1 --node auto --cpus all --poll-us 20 --poll-grow 4 --poll-shrink 2 --workers 2 || return 1
	"$fvctl" -j show --wwn $w1 | pyjson "d[0]['node-auto'] == 1 and d[0]['node-source'] != 'fixed' and d[0]['cpus'] == '' and d[0]['poll-max-ns'] == 20000 and d[0]['poll-grow'] == 4 and d[0]['poll-shrink'] == 2 and d[0]['workers'] == 2" || return 1
	"$fvctl" set --wwn $w1 --node 1 --cpus 1 --poll-ns 12345 --map 2=0,3=1 || return 1
	"$fvctl" -j show --wwn $w1 | pyjson "d[0]['node'] == 1 and d[0]['cpus'] == '1' and d[0]['poll-max-ns'] == 12345 and {(q['index'], q['worker']) for q in d[0]['queue']} == {(2, 0), (3, 1)}" || return 1
	"$fvctl" set --wwn $w1 --map default,3=0 || return 1
	"$fvctl" -j show --wwn $w1 | pyjson "{(q['index'], q['worker']) for q in d[0]['queue']} == {(3, 0)}" || return 1
	"$fvctl" set --wwn $w1 --map default || return 1
	"$fvctl" -j show --wwn $w1 | pyjson "not d[0].get('queue')" || return 1
	"$fvctl" set --wwn $w1 --node -1 --cpus all --poll-us 50 --workers 0 --poll-grow 0 --poll-shrink 0 --map 2=0,3=1
}

set_errors() {
	"$fvctl" -j show > "$tmp/before.json" || return 1
	fails "out of range" "$fvctl" set --wwn $w1 --poll-us 99999999 || return 1
	fails "poll-us.*integer out of range" "$fvctl" set --wwn $w1 --poll-us 20000 || return 1
	fails "node.*integer out of range" "$fvctl" set --wwn $w1 --node 99999 || return 1
	fails "node.*no such NUMA node online" "$fvctl" set --wwn $w1 --node 7 || return 1
	fails "cpus.*not a CPU list" "$fvctl" set --wwn $w1 --cpus 'x-y' || return 1
	fails "cpus: .*CPU" "$fvctl" set --wwn $w1 --cpus 4000 || return 1
	fails "poll-grow.*out of range" "$fvctl" set --wwn $w1 --poll-grow 100 || return 1
	fails "workers.*out of range" "$fvctl" set --wwn $w1 --workers 1000 || return 1
	# The kernel's limit is the spec's: a worker for each of 130 queues.
	fails 'workers.*out of range.* 130\)' "$fvctl" set --wwn $w1 --workers 131 || return 1
	# 255 is the map's "no worker": no worker index may be it.
	fails "map: .*out of range" "$fvctl" set --wwn $w1 --map 2=255 || return 1
	# Workers and queues: the spec's limits, 130 and 1026.
	fails 'map: .*out of range.* 0 to 129\)' "$fvctl" set --wwn $w1 --map 2=130 || return 1
	fails 'map: .*out of range.* 0 to 1025\)' "$fvctl" set --wwn $w1 --map 1026=0 || return 1
	# Map entries beyond the workers are refused, not wrapped.
	fails "map: worker beyond the target's worker count" \
		"$fvctl" set --wwn $w1 --workers 2 --map 2=2 || return 1
	# The map there (2=0,3=1) does not fit one worker.
	fails "workers: the queue map keeps a worker beyond" "$fvctl" set --wwn $w1 --workers 1 || return 1
	fails "map.*QUEUE=WORKER" "$fvctl" set --wwn $w1 --map 2 || return 1
	fails "map.*QUEUE=WORKER" "$fvctl" set --wwn $w1 --map 2=0,default || return 1
	fails "no target naa.5001405f0000dead" "$fvctl" set --wwn naa.5001405f0000dead --node 0 || return 1
	fails "set needs --wwn" "$fvctl" set --node 0 || return 1
	fails "at least one" "$fvctl" set --wwn $w1 || return 1
	fails "wants a number" "$fvctl" set --wwn $w1 --node one || return 1
	"$fvctl" -j show > "$tmp/after.json" &&
		python3 "$dir/fvctl/jsoncmp.py" "$tmp/before.json" "$tmp/after.json"
}

# attach_rolls_back PATTERN ARGS...: attach fails naming PATTERN, and
# configfs is as it was.
attach_rolls_back() {
	local pat=$1
	shift
	snapshot > "$tmp/snap.before"
	fails "$pat" "$fvctl" attach "$@" || return 1
	snapshot > "$tmp/snap.after"
	diff -u "$tmp/snap.before" "$tmp/snap.after" || { echo "attach $* left the above"; return 1; }
}

attach_errors() {
	attach_rolls_back "no backstore ramdisk/nosuch" --wwn $w3 --lun 0 --backstore ramdisk/nosuch || return 1
	attach_rolls_back "no backstore fileio/fvrd0" --wwn $w3 --lun 0 --backstore fileio/fvrd0 || return 1
	attach_rolls_back "backstore wants" --wwn $w3 --lun 0 --backstore fvrd0 || return 1
	attach_rolls_back "cpus.*not a CPU list" --wwn $w3 --lun 0 --backstore ramdisk/fvrd2 --cpus zz || return 1
	attach_rolls_back "node.*integer out of range" --wwn $w3 --lun 0 --backstore ramdisk/fvrd2 --node 99999 || return 1
	attach_rolls_back "node.*no such NUMA node" --wwn $w3 --lun 0 --backstore ramdisk/fvrd2 --node 7 || return 1
	attach_rolls_back "poll-us.*integer out of range" --wwn $w3 --lun 0 --backstore ramdisk/fvrd2 --poll-us 20000 || return 1
	attach_rolls_back "nexus" --wwn $w3 --lun 0 --backstore ramdisk/fvrd2 --nexus iqn.2026-01.org.example:x || return 1
	attach_rolls_back "must start with naa., fc. or iqn. \\(like naa\\." --wwn eui.1234 --lun 0 --backstore ramdisk/fvrd2 || return 1
	attach_rolls_back "needs --lun" --wwn $w3 --backstore ramdisk/fvrd2 || return 1
	attach_rolls_back "needs --backstore" --wwn $w3 --lun 0 || return 1
	attach_rolls_back "needs --wwn" --lun 0 --backstore ramdisk/fvrd2 || return 1
	attach_rolls_back "exists already and links to rd_mcp_0/fvrd0; choose another --lun, or 'fvctl detach --wwn $w1 --lun 0' first" \
		--wwn $w1 --lun 0 --backstore ramdisk/fvrd2 || return 1
	# A backstore made by hand and never enabled.
	mkdir "$rd/fvhalf" || return 1
	attach_rolls_back "backstore ramdisk/fvhalf is not enabled; finish it with targetcli" \
		--wwn $w3 --lun 0 --backstore ramdisk/fvhalf || { rmdir "$rd/fvhalf"; return 1; }
	rmdir "$rd/fvhalf" || return 1
	attach_rolls_back "tpgt.*out of range" --wwn $w3 --tpgt 256 --lun 0 --backstore ramdisk/fvrd2 || return 1
	# On a target that exists: only the new LUN goes, the target stays.
	attach_rolls_back "cpus.*not a CPU list" --wwn $w1 --lun 5 --backstore ramdisk/fvrd2 --cpus 1-0 || return 1
	# A new portal group of an existing target, its nexus included.
	attach_rolls_back "cpus: .*CPU" --wwn $w1 --tpgt 3 --lun 0 --backstore ramdisk/fvrd2 --cpus 4000 || return 1
	# From scratch: even the fabric directory goes.
	"$fvctl" save "$tmp/errs.conf" && "$fvctl" detach --wwn $w1 && "$fvctl" detach --wwn $w2 || return 1
	[ ! -e "$fab" ] || { echo "$fab left after detaching all"; return 1; }
	fails "not a CPU list" "$fvctl" attach --wwn $w3 --lun 0 --backstore ramdisk/fvrd2 --cpus zz || return 1
	[ ! -e "$fab" ] || { echo "failed attach left $fab"; return 1; }
	"$fvctl" restore "$tmp/errs.conf"
}

# Every op and the monitor group need CAP_NET_ADMIN in the host's user
# namespace: the owner's pid, the workers' pids and the guest's I/O
# counters are not for every user.
unprivileged() {
	local np="setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all $tmp/fvctl-nobody"
	local deny="permission denied.*CAP_NET_ADMIN"
	fails "$deny" $np show || return 1
	fails "$deny" $np -j show || return 1
	fails "$deny" $np show --wwn $w1 || return 1
	fails "$deny" $np stats || return 1
	fails "$deny" $np stats -j --wwn $w1 || return 1
	# Bounded: before the fix monitor joined the group and ran on.
	fails "$deny" timeout -s TERM 20 $np monitor || return 1
	# Root of a user namespace of its own is no admin of the host.
	fails "$deny" unshare -U -r "$fvctl" show || return 1
	fails "$deny" unshare -U -r "$fvctl" stats --wwn $w1 || return 1
	fails "$deny" timeout -s TERM 20 unshare -U -r "$fvctl" monitor || return 1
	fails "permission denied" $np set --wwn $w1 --poll-us 10 || return 1
	fails "permission denied" $np stats --reset --wwn $w1 || return 1
	fails "permission denied" $np attach --wwn $w3 --lun 0 --backstore ramdisk/fvrd2 || return 1
	fails "permission denied" $np detach --wwn $w1 || return 1
	"$fvctl" -j show --wwn $w1 | pyjson "d[0]['poll-max-ns'] == 50000"
}

# A backstore path that stalls in somebody's mount namespace (a FUSE
# server that never answers, mounted over the file's directory) stalls
# nobody else: show resolves no path (a LUN's node is found once, when it
# is linked), so another target's attach goes on.  The waits are bounded
# to tell a hang from an end, well below the hung-task report; they time
# nothing.
lookup_stall() {
	local spid apid i rc=0
	[ -x "$tmp/fusestall" ] || { echo "no fusestall (make selftests)"; return 1; }
	[ -e /dev/fuse ] || modprobe fuse || return 1
	mkdir -p "$tmp/stall" && truncate -s 16M "$tmp/stall/disk.img" || return 1
	# As targetcli makes it: udev_path names the file too.
	mkdir -p "$fio/fvstall" &&
		echo "fd_dev_name=$tmp/stall/disk.img,fd_dev_size=16777216" > "$fio/fvstall/control" &&
		echo -n "$tmp/stall/disk.img" > "$fio/fvstall/udev_path" &&
		echo 1 > "$fio/fvstall/enable" || return 1
	"$fvctl" attach --wwn $w4 --lun 0 --backstore fileio/fvstall || return 1
	"$tmp/fusestall" "$tmp/stall" "$fvctl" show --wwn $w4 > "$tmp/stall.out" 2>&1 &
	spid=$!
	for i in $(seq 200); do
		grep -q mounted "$tmp/stall.out" && break
		kill -0 $spid 2>/dev/null || break
		sleep 0.1
	done
	grep -q mounted "$tmp/stall.out" || { echo "fusestall:"; cat "$tmp/stall.out"; return 1; }
	"$fvctl" attach --wwn $w3 --lun 0 --backstore ramdisk/fvrd2 > "$tmp/stall.attach" 2>&1 &
	apid=$!
	for i in $(seq 450); do
		if ! kill -0 $spid 2>/dev/null && ! kill -0 $apid 2>/dev/null; then
			break
		fi
		sleep 0.1
	done
	if kill -0 $spid 2>/dev/null; then
		echo "show in the namespace where the path stalls did not end"
		rc=1
	fi
	if kill -0 $apid 2>/dev/null; then
		echo "attach of another target did not end while the path stalled"
		rc=1
	fi
	kill -TERM $spid 2>/dev/null	# aborts the FUSE connection: all waits end
	wait $spid
	wait $apid || { echo "attach failed: $(cat "$tmp/stall.attach")"; rc=1; }
	cat "$tmp/stall.out"
	if [ $rc = 0 ] && ! { grep -q "^target $w4" "$tmp/stall.out" &&
			grep -q "^done 0" "$tmp/stall.out"; }; then
		echo "show in the namespace did not list $w4"
		rc=1
	fi
	"$fvctl" detach --wwn $w3 || rc=1
	"$fvctl" detach --wwn $w4 || rc=1
	rmdir "$fio/fvstall" || rc=1
	return $rc
}

build_holder() {	# built on the host by selftests/Makefile
	local b
	for b in holder fusestall; do
		[ -x "$top/build/selftests/fvctl-$b" ] ||
			{ echo "$top/build/selftests/fvctl-$b missing (make selftests)"; return 1; }
		cp "$top/build/selftests/fvctl-$b" "$tmp/$b" || return 1
	done
}

hold() {	# hold WWN [TPGT [QUEUES]]: attach the holder "guest"; holder_pid
	rm -f "$tmp/hold" "$tmp/holder.out"
	mkfifo "$tmp/hold"
	"$tmp/holder" "$@" < "$tmp/hold" > "$tmp/holder.out" 2>&1 &
	holder_pid=$!
	exec 9> "$tmp/hold"
	for _ in $(seq 600); do	# 1024 queues: seconds under TCG
		grep -q attached "$tmp/holder.out" && return 0
		kill -0 $holder_pid 2>/dev/null || break
		sleep 0.1
	done
	echo "holder did not attach:"; cat "$tmp/holder.out"
	return 1
}

release() {
	[ -n "$holder_pid" ] || return 0
	exec 9>&-
	wait $holder_pid
	holder_pid=
}

monitor() {
	local mpid jpid
	"$fvctl" monitor > "$tmp/mon" 2>&1 &
	mpid=$!
	"$fvctl" -j monitor > "$tmp/mon.json" 2>&1 &
	jpid=$!
	sleep 1
	"$fvctl" attach --wwn $w1 --lun 2 --backstore ramdisk/fvrd2 || return 1
	"$fvctl" detach --wwn $w1 --lun 2 || return 1
	if [ -x "$tmp/holder" ]; then
		hold $w1 && release || return 1
	fi
	sleep 1
	kill -INT $mpid
	kill -TERM $jpid
	wait $mpid || { echo "monitor exited $? on SIGINT:"; cat "$tmp/mon"; return 1; }
	wait $jpid || { echo "monitor -j exited $? on SIGTERM:"; cat "$tmp/mon.json"; return 1; }
	cat "$tmp/mon"
	grep -q "^lun-add $w1 tpgt 1 lun 2 backstore rd_mcp_0/fvrd2$" "$tmp/mon" &&
		grep -q "^lun-del $w1 tpgt 1 lun 2" "$tmp/mon" || { echo "no LUN events"; return 1; }
	python3 - "$tmp/mon.json" "$([ -x "$tmp/holder" ] && echo 1)" <<-'PY' || return 1
	import json, sys
	ev = [json.loads(l) for l in open(sys.argv[1])]
	names = [e['event'] for e in ev]
	assert names[:2] == ['lun-add', 'lun-del'], names
	assert ev[0]['tpg'][0]['lun'][0]['index'] == 2, ev[0]
	if sys.argv[2]:
	    assert names[2:] == ['attach', 'detach'], names
	    assert ev[2]['owner-pid'] == ev[3]['owner-pid'] > 0, ev
	PY
	if [ -x "$tmp/holder" ]; then
		grep -q "^attach $w1 owner-pid [0-9]" "$tmp/mon" &&
			grep -q "^detach $w1 owner-pid [0-9]" "$tmp/mon" ||
			{ echo "no attach/detach events"; return 1; }
	fi
}

guest() {
	local out
	hold $w1 || return 1
	"$fvctl" -j show --wwn $w1 | pyjson "d[0]['owner-pid'] == $holder_pid and d[0]['nr-queues'] == 4 and d[0]['mem-regions'] == 1 and len(d[0]['queue']) == 4" || return 1
	"$fvctl" show --wwn $w1 | grep -q "owner-pid $holder_pid" || { echo "show text lacks the owner"; return 1; }
	"$fvctl" stats --wwn $w1 | grep -q "queue 2" || { "$fvctl" stats; return 1; }
	"$fvctl" -j stats | pyjson "[t for t in d if t['wwn'] == '$w1'][0]['owner-pid'] == $holder_pid" || return 1
	"$fvctl" set --wwn $w1 --poll-us 40 || { echo "live set failed"; return 1; }
	# One worker per request queue: 2 here, and no map entry wraps.
	fails "map: worker beyond the attached guest's request queues" \
		"$fvctl" set --wwn $w1 --map 2=2 || return 1
	fails "in use by a guest" "$fvctl" detach --wwn $w1 || return 1
	# configfs itself refuses (EBUSY): the nexus of a pinned portal group.
	out=$(echo NULL 2>&1 > "$fab/$w1/tpgt_1/nexus") && { echo "nexus dropped under a guest"; return 1; }
	[ -d "$fab/$w1/tpgt_1" ] || return 1
	release || return 1
	"$fvctl" -j show --wwn $w1 | pyjson "'owner-pid' not in d[0]" || return 1
	"$fvctl" set --wwn $w1 --poll-us 50
}

# The kernel's slab and stack pages, KiB.
kernel_kib() {
	awk '/^(Slab|KernelStack|PageTables):/ { s += $2 } END { print s }' /proc/meminfo
}

# A guest with the most request queues, 1024, each but the first on a VMM
# worker of its own (QEMU's worker_per_virtqueue=on): they share the 130
# workers a target has at most.  1026 queue nests of statistics are far
# more than one netlink message; the kernel splits the target over the
# messages of a dump, fvctl joins them.
many_queues() {
	local rc=0 nq=1026 k0 k1
	"$fvctl" attach --wwn $w5 --lun 0 --backstore ramdisk/fvrd2 || return 1
	k0=$(kernel_kib)
	hold $w5 1 1024 vmm || { "$fvctl" detach --wwn $w5; return 1; }
	k1=$(kernel_kib)
	echo "# kernel memory (slab, stacks, page tables) with the 1024-queue guest attached: $((k1 - k0)) KiB more"
	"$fvctl" -j stats --wwn $w5 > "$tmp/q.json" || rc=1
	pyjson "len(d) == 1 and [q['index'] for q in d[0]['queue']] == list(range($nq)) and all(q['requests'] >= 1 for q in d[0]['queue'][2:]) and all(len(q['latency']) == 24 for q in d[0]['queue'])" < "$tmp/q.json" || rc=1
	# Every request queue its own VMM worker but the first; 130 threads.
	pyjson "len({q['vmm-worker'] for q in d[0]['queue'][3:]}) == $nq - 3 and d[0]['queue'][2]['vmm-worker'] == 0 and len({q['pid'] for q in d[0]['queue']}) == 130" < "$tmp/q.json" ||
		{ echo "workers: $(python3 -c 'import json,sys; q = json.load(open(sys.argv[1]))[0]["queue"]; print(len({x["pid"] for x in q}), "threads,", len({x.get("vmm-worker") for x in q}), "VMM workers")' "$tmp/q.json")"; rc=1; }
	"$fvctl" -j stats | pyjson "[len(t['queue']) for t in d if t['wwn'] == '$w5'] == [$nq]" || rc=1
	"$fvctl" -j show --wwn $w5 | pyjson "len(d) == 1 and d[0]['nr-queues'] == $nq and [q['index'] for q in d[0]['queue']] == list(range($nq)) and len(d[0]['tpg']) == 1 and d[0]['owner-pid'] == $holder_pid" || rc=1
	"$fvctl" -j show | pyjson "[len(t['queue']) for t in d if t['wwn'] == '$w5'] == [$nq]" || rc=1
	[ "$("$fvctl" stats --wwn $w5 | grep -c '^  queue ')" = $nq ] || { echo "stats text"; rc=1; }
	[ "$("$fvctl" show --wwn $w5 | grep -c '^  queue ')" = $nq ] || { echo "show text"; rc=1; }
	# The kernel's side: several messages, each with the WWN, the queues
	# in order across them.
	"$top/scripts/ynl" cli --dump stats-get --json "{\"wwn\": \"$w5\"}" --output-json > "$tmp/ynlq.json" || rc=1
	pyjson "len(d) > 1 and all(p['wwn'] == '$w5' for p in d) and [q['index'] for p in d for q in p.get('queue', [])] == list(range($nq))" < "$tmp/ynlq.json" || rc=1
	echo "stats-get of $w5: $(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$tmp/ynlq.json") messages"
	release || rc=1
	"$fvctl" detach --wwn $w5 || rc=1
	return $rc
}

# stats --reset without --wwn reaches every target, the 71st too.
reset_all() {
	local i dirs=() rc=0 sum="sum(q['requests'] for q in d[0]['queue'])"
	for i in $(seq 100 169); do dirs+=("$fab/naa.5001405f0003$i"); done
	mkdir -p "${dirs[@]}" || return 1
	"$fvctl" attach --wwn $w5 --lun 0 --backstore ramdisk/fvrd2 || rc=1
	[ $rc = 0 ] && hold $w5 || rc=1
	if [ $rc = 0 ]; then
		"$fvctl" -j stats --wwn $w5 | pyjson "$sum == 2" || rc=1
		"$fvctl" stats --reset || rc=1
		"$fvctl" -j stats --wwn $w5 | pyjson "$sum == 0" || rc=1
		"$fvctl" -j stats | pyjson "len(d) > 70" || rc=1
	fi
	release || rc=1
	"$fvctl" detach --wwn $w5 || rc=1
	rmdir "${dirs[@]}" || rc=1
	return $rc
}

# The holder sends "io N GAP_US" (holder.c) and waits for it to finish.
hold_io() {
	local n
	n=$(grep -c '^io ' "$tmp/holder.out")
	echo "io $1 $2" >&9
	for _ in $(seq 600); do
		[ "$(grep -c '^io ' "$tmp/holder.out")" -gt "$n" ] && break
		sleep 0.1
	done
	tail -n 1 "$tmp/holder.out" | grep -q '^io done' || { echo "holder io $*:"; cat "$tmp/holder.out"; return 1; }
}
# Polling counters of queue 2 (the holder's first request queue) and the
# CPU time of the target's workers: "window hits misses ns cpu_ns".
poll_state() {
	local cpu=0 t r c
	# read, not cat: a fork per task costs seconds under TCG
	for t in /proc/[0-9]*/task/[0-9]*; do
		read -r c 2>/dev/null < "$t/comm" || continue
		case $c in
		"fv-$holder_pid-"*) read -r r _ < "$t/schedstat" && cpu=$((cpu + r)) ;;
		esac
	done
	"$fvctl" -j stats --wwn $w1 | python3 -c '
import json, sys
q = [q for q in json.load(sys.stdin)[0]["queue"] if q["index"] == 2][0]
print(q.get("poll-window-ns", 0), q.get("poll-hits", 0), q.get("poll-misses", 0), q.get("poll-ns", 0), sys.argv[1])' "$cpu"
}
# Adaptive polling: off, the worker keeps no window and times nothing.
# Turned on live, requests at a steady pace, each a little more than the
# window before the last grow step, grow the window to poll-max and are
# then caught by polling; a request after a pause longer than poll-max
# shrinks it (poll-shrink 0: to zero); then an idle worker uses no CPU
# and polls no more.  Beside other VMs the emulator stretches the gaps the
# worker sees past poll-max as often as not, so the growth is checked on
# the worker's own record: every fastvhost:fv_poll_adjust event must
# follow the rule from the block time it saw, and the window must reach
# poll-max at least once in 200 requests (selftests/fvctl/polltrace.py).
polling() {
	local tr=/sys/kernel/tracing win hits miss ns cpu s1 s2 last rc n
	mountpoint -q $tr || mount -t tracefs nodev $tr || return 1
	[ -e $tr/events/fastvhost/fv_poll_adjust/enable ] ||
		{ echo "no trace event fastvhost:fv_poll_adjust in $tr"; return 1; }
	# Polling off first: the worker times no block (no event at all), its
	# window is 0 and nothing is polled.
	"$fvctl" set --wwn $w1 --poll-us 0 --poll-grow 16 --poll-shrink 0 || return 1
	hold $w1 || return 1
	echo > $tr/trace
	echo 1 > $tr/events/fastvhost/fv_poll_adjust/enable
	hold_io 50 4000
	rc=$?
	echo 0 > $tr/events/fastvhost/fv_poll_adjust/enable
	[ $rc = 0 ] || return 1
	read -r win hits miss ns cpu <<< "$(poll_state)"
	n=$(grep -c 'fv_poll_adjust:' $tr/trace)
	echo "polling off, 50 reads 4 ms apart: $n events, window $win ns, hits $hits, misses $miss, $ns ns polled"
	[ "$n" = 0 ] || { grep fv_poll_adjust: $tr/trace | tail -n 5; return 1; }
	[ "$win $hits $miss $ns" = "0 0 0 0" ] || return 1
	# Then on, live: windows 4 us, 64, 1024, then 10000 (the max); a 4 ms
	# pace is above every step but the max.
	"$fvctl" set --wwn $w1 --poll-us 10000 || return 1
	echo > $tr/trace
	echo 1 > $tr/events/fastvhost/fv_poll_adjust/enable
	hold_io 200 4000
	rc=$?
	echo 0 > $tr/events/fastvhost/fv_poll_adjust/enable
	[ $rc = 0 ] || return 1
	cp $tr/trace "$tmp/poll.trace"
	read -r win hits miss ns cpu <<< "$(poll_state)"
	echo "after 200 reads 4 ms apart: window $win ns, hits $hits, misses $miss, $ns ns polled"
	python3 "$dir/fvctl/polltrace.py" "$tmp/poll.trace" 10000000 > "$tmp/poll.check"
	rc=$?
	cat "$tmp/poll.check"
	[ $rc = 0 ] || { grep fv_poll_adjust "$tmp/poll.trace" | tail -n 20; return 1; }
	last=$(tail -n 1 "$tmp/poll.check" | cut -d' ' -f3)
	[ "$win" = "$last" ] || { echo "fvctl stats says window $win ns, the last event $last"; return 1; }
	[ "$hits" -gt 0 ] || { echo "polling caught no request (stats)"; return 1; }
	sleep 1
	hold_io 1 0 || return 1
	read -r win hits miss ns cpu <<< "$(poll_state)"
	# That read's block (1 s) is longer than poll-max: the window goes to
	# 0 (poll-shrink 0); the completion of the read, which comes back to
	# the worker at once, is a short block and starts it again at the
	# first step, 4 us (FV_POLL_START_NS, kmod/poll.c).
	echo "one read after a 1 s pause: window $win ns"
	[ "$win" -le 4000 ] || { echo "the window did not shrink after a block longer than poll-max"; return 1; }
	s1=$(poll_state)
	sleep 2
	s2=$(poll_state)
	echo "idle 2 s: '$s1' then '$s2' (window hits misses poll-ns worker-cpu-ns)"
	[ "$s1" = "$s2" ] || { echo "an idle worker polled or ran"; return 1; }
	release || return 1
	"$fvctl" set --wwn $w1 --poll-us 50 --poll-grow 0 --poll-shrink 0
}

stats() {
	"$fvctl" stats > "$tmp/stats" || return 1
	grep -q "target $w2: no guest attached" "$tmp/stats" || { cat "$tmp/stats"; return 1; }
	"$fvctl" -j stats | pyjson "sorted(t['wwn'] for t in d) == ['$w1', '$w2']" || return 1
	"$fvctl" stats -j --wwn $w2 | pyjson "d[0]['wwn'] == '$w2'" || return 1
	# Several targets, in the order given; a missing one fails the command.
	"$fvctl" stats -j --wwn $w2,$w1 | pyjson "[t['wwn'] for t in d] == ['$w2', '$w1']" || return 1
	"$fvctl" show -j --wwn $w1,$w2 | pyjson "[t['wwn'] for t in d] == ['$w1', '$w2']" || return 1
	[ "$("$fvctl" show --wwn $w2,$w1 | grep -c '^target ')" = 2 ] || return 1
	fails "no target naa.5001405f0000dead" "$fvctl" show --wwn $w1,naa.5001405f0000dead || return 1
	fails "wwn wants target names separated by commas" "$fvctl" stats --wwn $w1,,$w2 || return 1
	fails "no target naa.5001405f0000dead" "$fvctl" stats --reset --wwn naa.5001405f0000dead,$w1 || return 1
	"$fvctl" stats --reset --wwn $w1 || return 1
	"$fvctl" stats --reset || return 1
	fails "no target" "$fvctl" stats --wwn naa.5001405f0000dead || return 1
	fails "watch wants" "$fvctl" stats --watch 0 || return 1
	timeout --preserve-status -s INT 3 "$fvctl" stats -j --watch 0.5 > "$tmp/watch"
	[ $? = 0 ] || { echo "stats --watch did not end cleanly on SIGINT"; return 1; }
	[ "$(wc -l < "$tmp/watch")" -ge 2 ] || { echo "stats --watch printed:"; cat "$tmp/watch"; return 1; }
	while read -r l; do echo "$l" | pyjson "len(d) == 2" || return 1; done < "$tmp/watch"
}

# --watch: each queue's rate since the sample before, from the second on,
# while the holder reads on its first request queue (2) and not the other.
watch_rates() {
	local rc=0
	hold $w1 || return 1
	echo "io 1000000 200" >&9
	timeout --preserve-status -s INT 2.8 "$fvctl" stats --wwn $w1 --watch 0.5 >"$tmp/wtext"
	timeout --preserve-status -s INT 2.8 "$fvctl" -j stats --wwn $w1 --watch 0.5 >"$tmp/wjson"
	echo "stop" >&9
	grep -m2 "rate" "$tmp/wtext"
	python3 - "$tmp/wtext" "$tmp/wjson" <<-'PY' || rc=1
	import json, re, sys
	text = open(sys.argv[1]).read().split("\n\n")
	# Text: none in the first sample; then queue 2 moves and queue 3 not.
	assert "rate" not in text[0], text[0]
	q2 = [float(m) for m in re.findall(r"queue 2\n.*\n.*\n    rate (\S+) requests/s", "\n\n".join(text[1:]))]
	q3 = [float(m) for m in re.findall(r"queue 3\n.*\n.*\n    rate (\S+) requests/s", "\n\n".join(text[1:]))]
	assert q2 and max(q2) > 0 and q3 and max(q3) == 0, (q2, q3)
	# JSON: "rates" from the second sample on, by queue index.
	js = [json.loads(l) for l in open(sys.argv[2])]
	assert len(js) >= 3 and "rates" not in js[0][0], js[0]
	r = {q["index"]: q for q in js[-1][0]["rates"]}
	assert sorted(r) == [0, 1, 2, 3], r
	assert any(p[0]["rates"][2]["requests-per-s"] > 0 for p in js[1:]), js
	assert r[3]["requests-per-s"] == 0 and r[2]["written-mib-per-s"] == 0, r
	print("queue 2:", q2, "requests/s")
	PY
	release || rc=1
	return $rc
}

save_restore() {
	"$fvctl" set --wwn $w2 --node 0 --cpus 0 --poll-ns 7777 --workers 1 --map 2=0 || return 1
	"$fvctl" -j show > "$tmp/saved.json" || return 1
	"$fvctl" save "$tmp/fv.conf" || return 1
	cat "$tmp/fv.conf"
	"$fvctl" save || return 1
	cmp -s <(grep -v '^#' "$tmp/fv.conf") <(grep -v '^#' /etc/fastvhost/fastvhost.conf) ||
		{ echo "save without FILE differs"; return 1; }
	"$fvctl" detach --wwn $w1 && "$fvctl" detach --wwn $w2 || return 1
	[ -z "$("$fvctl" -j show | python3 -c 'import json,sys; print(json.load(sys.stdin) or "")')" ] ||
		{ echo "targets left after detach"; return 1; }
	"$fvctl" restore "$tmp/fv.conf" || return 1
	"$fvctl" -j show > "$tmp/restored.json" || return 1
	python3 "$dir/fvctl/jsoncmp.py" "$tmp/saved.json" "$tmp/restored.json" || return 1
	# Restoring over what is there gives what was saved, queue maps too;
	# the default file works.
	"$fvctl" set --wwn $w1 --map 3=0 && "$fvctl" set --wwn $w2 --map 3=0 || return 1
	"$fvctl" restore || return 1
	"$fvctl" -j show > "$tmp/restored2.json" &&
		python3 "$dir/fvctl/jsoncmp.py" "$tmp/saved.json" "$tmp/restored2.json" || return 1
	fails "cannot read" "$fvctl" restore "$tmp/nosuch.conf" || return 1
	echo "detach --wwn $w1" > "$tmp/bad.conf"
	"$fvctl" restore "$tmp/bad.conf" 2>&1 | grep -q "bad.conf:1: 'detach' is not a command" ||
		{ echo "restore ran a detach line"; return 1; }
	"$fvctl" set --wwn $w2 --node auto --cpus all --poll-us 32 --workers 0
}

# The round trip of a module reload: save, detach all, rmmod, insmod,
# restore gives the same targets, LUNs, nexus and settings (queue map,
# workers, placement, polling), and a guest attaches to each again.
reload_restore() {
	"$fvctl" set --wwn $w2 --node 0 --cpus 0 --poll-ns 7777 --workers 1 --map 2=0 || return 1
	"$fvctl" set --wwn $w1 --poll-grow 4 --poll-shrink 2 || return 1
	"$fvctl" -j show > "$tmp/reload-before.json" || return 1
	"$fvctl" save "$tmp/reload.conf" || return 1
	"$fvctl" detach --wwn $w1 && "$fvctl" detach --wwn $w2 || return 1
	rmmod fastvhost || { echo "rmmod fastvhost failed"; return 1; }
	[ ! -e /sys/module/fastvhost ] || { echo "fastvhost still loaded"; return 1; }
	insmod "$ko" || { echo "insmod $ko failed"; return 1; }
	"$fvctl" restore "$tmp/reload.conf" || return 1
	"$fvctl" -j show > "$tmp/reload-after.json" || return 1
	python3 "$dir/fvctl/jsoncmp.py" "$tmp/reload-before.json" "$tmp/reload-after.json" || return 1
	python3 -c '
import json, sys
d = {t["wwn"]: t for t in json.load(open(sys.argv[1]))}
w1, w2 = d[sys.argv[2]], d[sys.argv[3]]
assert sorted((l["index"], l["backstore"]) for l in w1["tpg"][0]["lun"]) == [(0, "rd_mcp_0/fvrd0"), (1, "rd_mcp_0/fvrd1")], w1
assert w1["poll-grow"] == 4 and w1["poll-shrink"] == 2, w1
assert w2["tpg"][0]["tpgt"] == 2 and w2["tpg"][0]["lun"][0]["backstore"] == "fileio_0/fvfio0", w2
assert w2["node"] == 0 and w2["cpus"] == "0" and w2["poll-max-ns"] == 7777 and w2["workers"] == 1, w2
assert [(q["index"], q["worker"]) for q in w2["queue"]] == [(2, 0)], w2
' "$tmp/reload-after.json" $w1 $w2 || { echo "restored settings differ from what was set"; return 1; }
	hold $w1 || return 1
	"$fvctl" -j show --wwn $w1 | pyjson "d[0]['owner-pid'] == $holder_pid" || return 1
	release || return 1
	hold $w2 2 || return 1
	"$fvctl" -j show --wwn $w2 | pyjson "d[0]['owner-pid'] == $holder_pid" || return 1
	release || return 1
	"$fvctl" set --wwn $w1 --poll-grow 0 --poll-shrink 0 &&
		"$fvctl" set --wwn $w2 --node auto --cpus all --poll-us 32 --workers 0
}

# A portal group of 270 LUNs is more than one netlink message (and more
# than fvctl once kept): show lists them all and save keeps them all.
many_luns() {
	local l=$fab/$w5/tpgt_1/lun i rc=0
	"$fvctl" attach --wwn $w5 --lun 0 --backstore ramdisk/fvrd2 || return 1
	# One process for the 269 links: mkdir and ln each would take minutes.
	python3 -c '
import os, sys
for i in range(1, 270):
    os.mkdir("%s/lun_%d" % (sys.argv[1], i))
    os.symlink(sys.argv[2], "%s/lun_%d/port" % (sys.argv[1], i))
' "$l" "$rd/fvrd2" || rc=1
	if [ $rc = 0 ]; then
		"$fvctl" -j show --wwn $w5 | pyjson "len(d[0]['tpg']) == 1 and sorted(x['index'] for x in d[0]['tpg'][0]['lun']) == list(range(270))" || rc=1
		[ "$("$fvctl" show --wwn $w5 | grep -c '^    lun ')" = 270 ] || { echo "show text"; rc=1; }
		"$fvctl" save "$tmp/many.conf" || rc=1
		[ "$(grep -c "^attach --wwn $w5 --tpgt 1 --lun " "$tmp/many.conf")" = 270 ] ||
			{ echo "save kept $(grep -c "^attach --wwn $w5 " "$tmp/many.conf") of 270 LUNs"; rc=1; }
		"$top/scripts/ynl" cli --dump target-get --json "{\"wwn\": \"$w5\"}" --output-json > "$tmp/ynll.json" || rc=1
		pyjson "len(d) > 1 and all(p['wwn'] == '$w5' for p in d) and sorted(x['index'] for p in d for t in p.get('tpg', []) for x in t.get('lun', [])) == list(range(270))" < "$tmp/ynll.json" || rc=1
	fi
	rm -f "$l"/lun_{1..269}/port
	for i in $(seq 1 269); do
		[ ! -d "$l/lun_$i" ] || echo "$l/lun_$i"
	done | xargs -r rmdir || rc=1
	"$fvctl" detach --wwn $w5 || rc=1
	return $rc
}

detach() {
	fails "no target $w3" "$fvctl" detach --wwn $w3 || return 1
	fails "has no lun 9" "$fvctl" detach --wwn $w1 --lun 9 || return 1
	fails "detach needs --wwn" "$fvctl" detach || return 1
	"$fvctl" detach --wwn $w1 --lun 1 || return 1
	[ ! -e "$fab/$w1/tpgt_1/lun/lun_1" ] && [ -d "$fab/$w1/tpgt_1/lun/lun_0" ] || return 1
	"$fvctl" detach --wwn $w1 && "$fvctl" detach --wwn $w2 || return 1
	[ ! -e "$fab" ] || { echo "left:"; find "$fab"; return 1; }
}

teardown() {
	local ret=0
	release
	for w in $w1 $w2 $w3 $w4 $w5; do
		[ -d "$fab/$w" ] && "$fvctl" detach --wwn $w
	done
	rmdir "$fab" 2>/dev/null
	for b in fvrd0 fvrd1 fvrd2; do rmdir "$rd/$b" || ret=1; done
	rmdir "$fio/fvfio0" || ret=1
	[ ! -d "$fio/fvstall" ] || rmdir "$fio/fvstall" || ret=1
	rmdir "$rd" "$fio" 2>/dev/null
	rmmod fastvhost || ret=1
	fails "module is not loaded" "$fvctl" show || ret=1
	fails "module is not loaded" "$fvctl" attach --wwn $w1 --lun 0 --backstore ramdisk/fvrd0 || ret=1
	rm -rf "$tmp" /etc/fastvhost
	return $ret
}

# run_unless OFF OPTION NAME FUNCTION: the test, or its skip when OPTION
# (OFF = 1) leaves it out.
run_unless() {
	local off=$1 opt=$2
	shift 2
	if [ "$off" = 1 ]; then
		ktap_skip "$1 ($opt)"
	else
		ktap_run "$@"
	fi
}
scaled() { run_unless "$no_scale" --no-scale "$@"; }
userside() { run_unless "$kernel_only" --kernel "$@"; }

ktap_plan 25
ktap_run "setup: module, rd_mcp and fileio backstores" setup
userside "version, help, unknown commands and options" basics
ktap_run "attach ramdisk, rd_mcp_0 and fileio LUNs with settings" attach
ktap_run "show as text, JSON and pretty JSON" show
scaled "dumps list every target once while others come and go" dump_consistent
userside "YNL CLI dump and do agree with fvctl show -j" ynl_agrees
userside "the kernel answers bad attributes with extack" ynl_extack
ktap_run "set changes placement, polling, workers and the queue map" set_ok
userside "set refuses bad values with one clear line, changing nothing" set_errors
userside "a failed attach leaves configfs as it was" attach_errors
userside "without CAP_NET_ADMIN: show, stats, monitor and changes are refused" unprivileged
# No holder is a failure of its own, and then of every test that needs it.
ktap_run "the holder guest and fusestall are built (make selftests)" build_holder
ktap_run "a path that stalls in a mount namespace blocks no other target's attach" lookup_stall
ktap_run "a guest: owner, queues, live set, busy detach" guest
ktap_run "1024 request queues on VMM workers of their own: 130 threads, stats -j and show -j split over messages" many_queues
ktap_run "stats --reset without --wwn resets a target after 70 others" reset_all
ktap_run "monitor prints LUN and attach events, ends on SIGINT/SIGTERM" monitor
ktap_run "stats as text and JSON, --reset, --watch" stats
userside "stats --watch: each queue's rates, text and JSON, from the second sample" watch_rates
ktap_run "polling: off, nothing timed; on, the window grows to poll-max at a steady pace, shrinks after a pause, idle costs nothing" polling
ktap_run "save and restore round-trip" save_restore
ktap_run "save, rmmod, insmod, restore: same targets and settings, guests attach again" reload_restore
scaled "270 LUNs in a portal group: show and save keep them all" many_luns
ktap_run "detach a LUN and whole targets" detach
ktap_run "teardown: backstores, module unload, fvctl without the module" teardown
ktap_finish
