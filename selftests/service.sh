#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# fastvhost.service's steps in the test VM, which has no systemd: the unit
# that make check's install step put under build/install/prefix (make
# install-user PREFIX=... SYSCONFDIR=...), its ExecStart and ExecStop run
# as systemd runs them: the EnvironmentFile's settings, then the command.
#
#   rd_mcp_9/svc0 -- naa.5001405f0000b001 tpgt_1 lun_0 (2 workers, poll 40 us)
#   rd_mcp_9/svc1 -- naa.5001405f0000b002 tpgt_2 lun_0
set -u
dir=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$dir")
. "$dir/lib/ktap.sh"
ko=${FV_KO:?FV_KO must name the built fastvhost.ko}

root=${FV_SERVICE_ROOT:-$top/build/install/prefix}
unit=$root/usr/lib/systemd/system/fastvhost.service
fvctl=$root/usr/sbin/fvctl
fab=/sys/kernel/config/target/fastvhost
rd=/sys/kernel/config/target/core/rd_mcp_9
w1=naa.5001405f0000b001
w2=naa.5001405f0000b002
w3=naa.5001405f0000b003
tmp=$(mktemp -d /tmp/fvservice.XXXXXX)
# Set here: ktap_run runs each test in a subshell.
envfile=$(sed -n 's/^EnvironmentFile=-\{0,1\}//p' "$unit" 2>/dev/null)
conf=$root/etc/fastvhost/fastvhost.conf
holder_pid=

# step start|stop: the unit's ExecStart or ExecStop, in a clean
# environment with the EnvironmentFile's settings; its stderr in $tmp/err.
step() {
	local key=ExecStart cmd
	[ "$1" = start ] || key=ExecStop
	cmd=$(sed -n "s/^$key=//p" "$unit")
	# shellcheck disable=SC2086 # the unit's command line, split as systemd does
	env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin bash -c \
		'set -a; [ ! -r "$1" ] || . "$1"; set +a; shift; exec "$@"' _ "$envfile" $cmd \
		>"$tmp/out" 2>"$tmp/err"
}

# setting KEY VALUE: in the EnvironmentFile, replacing an earlier one.
setting() {
	sed -i "/^$1=/d" "$envfile" && echo "$1=$2" >>"$envfile"
}

installed() {
	[ -f "$unit" ] || { echo "$unit missing: make check's install step, or make install-user PREFIX=$root/usr SYSCONFDIR=$root/etc"; return 1; }
	[ -f "$envfile" ] && [ -x "$fvctl" ] || { echo "no $envfile or $fvctl"; return 1; }
	grep -q "^ExecStart=$root/usr/lib/fastvhost/fastvhost-service start$" "$unit" || { cat "$unit"; return 1; }
	setting FASTVHOST_MODULE "$ko" || return 1
	rm -f "$conf"
	[ ! -d /sys/module/fastvhost ] || { echo "fastvhost is loaded already"; return 1; }
	modprobe target_core_mod || return 1
	for b in svc0 svc1; do
		mkdir -p "$rd/$b" && echo rd_pages=2048 >"$rd/$b/control" &&
			echo 1 >"$rd/$b/enable" || return 1
	done
	cp "$top/build/selftests/fvctl-holder" "$tmp/holder" ||
		{ echo "build/selftests/fvctl-holder missing (make selftests)"; return 1; }
}

start_empty() {
	step start || { cat "$tmp/err"; return 1; }
	[ -d /sys/module/fastvhost ] || { echo "module not loaded"; return 1; }
	grep -q "no saved configuration in $conf" "$tmp/err" || { cat "$tmp/err"; return 1; }
	local t
	for t in "$fab"/*.*; do
		[ ! -e "$t" ] || { echo "target $t"; return 1; }
	done
}

# The targets as fvctl shows them, without what a guest or the moment sets.
targets() {
	"$fvctl" -j show | python3 -c '
import json, sys
for t in json.load(sys.stdin):
    for k in ("owner-pid", "nr-queues", "mem-regions", "queue"):
        t.pop(k, None)
    print(json.dumps(t, sort_keys=True))'
}

save_on_stop() {
	"$fvctl" attach --wwn $w1 --lun 0 --backstore ramdisk/svc0 --poll-us 40 --workers 2 &&
		"$fvctl" attach --wwn $w2 --tpgt 2 --lun 0 --backstore ramdisk/svc1 || return 1
	targets >"$tmp/before" || return 1
	setting FASTVHOST_SAVE_ON_STOP yes || return 1
	step stop || { cat "$tmp/err"; return 1; }
	grep -q "attach --wwn $w1 " "$conf" && grep -q "attach --wwn $w2 " "$conf" ||
		{ echo "saved:"; cat "$conf"; return 1; }
	[ ! -d /sys/module/fastvhost ] || { echo "still loaded"; ls "$fab"; return 1; }
}

start_restores() {
	step start || { cat "$tmp/err"; return 1; }
	targets >"$tmp/after" || return 1
	diff "$tmp/before" "$tmp/after" || return 1
	echo "restored: $(wc -l <"$tmp/after") targets"
}

held_stays() {
	local i
	setting FASTVHOST_SAVE_ON_STOP no || return 1
	# The holder holds until its stdin closes.
	mkfifo "$tmp/hold" || return 1
	"$tmp/holder" $w1 1 <"$tmp/hold" >"$tmp/holder.out" 2>&1 &
	holder_pid=$!
	exec 9>"$tmp/hold"
	for ((i = 0; i < 100; i++)); do
		grep -q attached "$tmp/holder.out" && break
		sleep 0.1
	done
	grep -q attached "$tmp/holder.out" || { cat "$tmp/holder.out"; return 1; }
	step stop || { cat "$tmp/err"; return 1; }
	cat "$tmp/err"
	grep -q "left in place: $w1 (.*in use by a guest" "$tmp/err" || return 1
	[ -d "$fab/$w1" ] && [ ! -d "$fab/$w2" ] && [ -d /sys/module/fastvhost ] || return 1
	exec 9>&-
	wait $holder_pid
	holder_pid=
	step stop || { cat "$tmp/err"; return 1; }
	[ ! -d /sys/module/fastvhost ] || { echo "still loaded"; cat "$tmp/err"; return 1; }
}

start_fails() {
	setting FASTVHOST_MODULE /nonexistent/fastvhost.ko || return 1
	step start && { echo "started"; return 1; }
	grep -q "cannot load /nonexistent/fastvhost.ko" "$tmp/err" || { cat "$tmp/err"; return 1; }
	setting FASTVHOST_MODULE "$ko" || return 1
	# A saved line the kernel refuses: restore stops there, start fails.
	echo "attach --wwn $w1 --lun 0 --backstore ramdisk/nosuch" >"$conf"
	step start && { echo "started"; return 1; }
	grep -q "restore of $conf failed" "$tmp/err" || { cat "$tmp/err"; return 1; }
	cat "$tmp/err"
}

# A target of drop-in mode made as targetcli makes one: stop leaves the
# module to it, without failing, and unloads it once it is gone.
dropin_stays() {
	local vh=/sys/kernel/config/target/vhost
	rm -f "$conf"
	if [ -d /sys/module/fastvhost ]; then
		step stop || { cat "$tmp/err"; return 1; }
	fi
	[ ! -d /sys/module/fastvhost ] || { echo "still loaded"; return 1; }
	insmod "$ko" compat=1 && mkdir -p $vh/$w3 || return 1
	step stop || { cat "$tmp/err"; return 1; }
	cat "$tmp/err"
	grep -q "module left loaded: drop-in mode's targets" "$tmp/err" && [ -d /sys/module/fastvhost ] ||
		return 1
	rmdir $vh/$w3 $vh || return 1
	step stop || { cat "$tmp/err"; return 1; }
	[ ! -d /sys/module/fastvhost ] || { echo "still loaded"; return 1; }
}

teardown() {
	local ret=0 w
	[ -z "$holder_pid" ] || { exec 9>&-; wait $holder_pid; }
	for w in $w1 $w2; do
		[ ! -d "$fab/$w" ] || "$fvctl" detach --wwn $w || ret=1
	done
	[ ! -d "$fab" ] || rmdir "$fab"
	[ ! -d /sys/kernel/config/target/vhost/$w3 ] || rmdir /sys/kernel/config/target/vhost/$w3 || ret=1
	[ ! -d /sys/kernel/config/target/vhost ] || rmdir /sys/kernel/config/target/vhost || ret=1
	[ ! -d /sys/module/fastvhost ] || rmmod fastvhost || ret=1
	for b in svc0 svc1; do
		[ ! -d "$rd/$b" ] || rmdir "$rd/$b" || ret=1
	done
	rmdir "$rd" 2>/dev/null
	rm -f "$conf"
	[ -z "$envfile" ] || sed -i '/^FASTVHOST_/d' "$envfile"
	rm -rf "$tmp"
	return $ret
}

ktap_plan 7
ktap_run "the unit, its defaults and the service's script are installed" installed
ktap_run "start with nothing saved: the module loaded, no targets" start_empty
ktap_run "stop with FASTVHOST_SAVE_ON_STOP=yes: both targets saved, removed, the module unloaded" save_on_stop
ktap_run "start restores the saved targets as they were" start_restores
ktap_run "stop leaves a target a guest holds, and the module, until it is free" held_stays
ktap_run "start fails when the module cannot load or the restore fails" start_fails
ktap_run "stop leaves the module to drop-in mode's targets, without failing" dropin_stays
teardown || ktap_diag "teardown failed"
ktap_finish
