#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Drop-in mode (fastvhost.compat=1) with Debian's targetcli, in the test
# VM: /dev/vhost-scsi and the LIO fabric "vhost" are fastvhost's, the stock
# module is refused while they are, targetcli makes, saves, clears and
# restores a /vhost target that fvctl shows and tunes, and a vguest does
# I/O through it.  run.sh -f vhost and nested.sh --fabric vhost run with
# the module left in drop-in mode afterwards (selftests/suite.list).
#
#   rd_mcp/fvdrop0, fileio/fvdrop1 -- naa.5001405f0000d001 tpg1 lun0, lun1
set -u
dir=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$dir")
. "$dir/lib/ktap.sh"
. "$dir/lib/sysbus.sh"
ko=${FV_KO:?FV_KO must name the built fastvhost.ko}

fvctl=$top/ctl/fvctl
cfs=/sys/kernel/config/target
w=naa.5001405f0000d001
tmp=$(mktemp -d /tmp/fvdropin.XXXXXX)
# targetcli keeps its preferences and log under $HOME: not the host's.
export HOME=$tmp

# targetcli asks the system bus for tcmu-runner's handlers.
sysbus_up "$tmp" || echo "# no system bus: targetcli will fail"

tcli() {
	targetcli "$@" >"$tmp/out" 2>&1 || { echo "targetcli $*:"; cat "$tmp/out"; return 1; }
}

load() {
	[ ! -d /sys/module/fastvhost ] || { echo "fastvhost is loaded already"; return 1; }
	[ ! -d /sys/module/vhost_scsi ] || rmmod vhost_scsi || return 1
	modprobe -a target_core_mod target_core_file target_core_iblock || return 1
	insmod "$ko" compat=1 || return 1
	[ "$(cat /sys/module/fastvhost/parameters/compat)" = Y ] || return 1
	[ -c /dev/vhost-scsi ] && [ -c /dev/fastvhost ] || { ls -l /dev/*vhost*; return 1; }
	dmesg | grep -q "fastvhost: drop-in mode" || { echo "no drop-in line in the log"; return 1; }
}

# modprobe with the rule make install puts in modprobe.d.  Loaded some
# other way, vhost_scsi fails to create /dev/vhost-scsi, with the kernel's
# warning (a stack trace) about the name.
stock_refused() {
	modprobe -C "$top/dist/fastvhost-modprobe.conf" vhost_scsi 2>"$tmp/err" &&
		{ echo "modprobe vhost_scsi succeeded"; return 1; }
	cat "$tmp/err"
	grep -q "rmmod fastvhost first" "$tmp/err" || return 1
	# Its old name, an alias of vhost_scsi, meets the same rule.
	modprobe -C "$top/dist/fastvhost-modprobe.conf" tcm_vhost 2>"$tmp/err" &&
		{ echo "modprobe tcm_vhost succeeded"; return 1; }
	grep -q "rmmod fastvhost first" "$tmp/err" || { cat "$tmp/err"; return 1; }
	[ ! -d /sys/module/vhost_scsi ] && [ -c /dev/vhost-scsi ] || return 1
}

targetcli_makes() {
	truncate -s 64M "$tmp/fvdrop1.img" || return 1
	tcli /backstores/ramdisk create name=fvdrop0 size=64M &&
		tcli /backstores/fileio create name=fvdrop1 file_or_dev="$tmp/fvdrop1.img" &&
		tcli /vhost create $w &&
		tcli /vhost/$w/tpg1/luns create /backstores/ramdisk/fvdrop0 &&
		tcli /vhost/$w/tpg1/luns create /backstores/fileio/fvdrop1 || return 1
	[ -d $cfs/vhost/$w/tpgt_1/lun/lun_0 ] && [ -d $cfs/vhost/$w/tpgt_1/lun/lun_1 ] ||
		{ ls -R $cfs/vhost; return 1; }
	tcli ls /vhost || return 1
	cat "$tmp/out"
	grep -q "o- $w" "$tmp/out" && grep -q "lun0.*fvdrop0" "$tmp/out" &&
		grep -q "lun1.*fvdrop1" "$tmp/out" || return 1
	# targetcli made the nexus, as it does for the vhost fabric.
	[ -n "$(cat $cfs/vhost/$w/tpgt_1/nexus)" ] || { echo "no nexus"; return 1; }
	[ ! -e $cfs/fastvhost/$w ] || { echo "made in the fastvhost fabric too"; return 1; }
}

pyjson() {
	python3 -c "import json, sys; d = json.load(sys.stdin); sys.exit(0 if ($1) else 1)"
}

fvctl_sees() {
	"$fvctl" show --wwn $w >"$tmp/show" || return 1
	cat "$tmp/show"
	grep -q "^target $w fabric vhost$" "$tmp/show" || return 1
	"$fvctl" -j show --wwn $w | pyjson "d[0]['fabric'] == 'vhost' and len(d[0]['tpg'][0]['lun']) == 2 and d[0]['tpg'][0]['nexus'].startswith('naa.')" || return 1
	"$fvctl" set --wwn $w --poll-us 20 --workers 2 || return 1
	"$fvctl" -j show --wwn $w | pyjson "d[0]['poll-max-ns'] == 20000 and d[0]['workers'] == 2" || return 1
	# Its configuration is targetcli's: fvctl save leaves it out.
	"$fvctl" save - >"$tmp/saved" || return 1
	! grep -q "$w" "$tmp/saved" || { cat "$tmp/saved"; return 1; }
	# One name in one fabric: the same WWN is refused in the other.
	mkdir -p $cfs/fastvhost || return 1
	mkdir $cfs/fastvhost/$w 2>"$tmp/err" && { rmdir $cfs/fastvhost/$w; echo "made twice"; return 1; }
	rmdir $cfs/fastvhost
	# fvctl's commands for configfs name the tool that owns such a target.
	"$fvctl" attach --wwn $w --lun 5 --backstore ramdisk/fvdrop0 2>"$tmp/err" && return 1
	grep -q "in the fabric vhost (drop-in mode); targetcli manages its LUNs" "$tmp/err" || { cat "$tmp/err"; return 1; }
	"$fvctl" detach --wwn $w 2>"$tmp/err" && return 1
	grep -q "in the fabric vhost (drop-in mode); remove it with targetcli" "$tmp/err" || { cat "$tmp/err"; return 1; }
	[ ! -e $cfs/fastvhost ] || { echo "fvctl left $cfs/fastvhost"; return 1; }
	grep -q "exists already in the other fabric" <(dmesg | tail -n 5) || { dmesg | tail -n 5; return 1; }
}

guest_io() {
	# A vguest through /dev/vhost-scsi on targetcli's target: the data path.
	FV_DEV=/dev/vhost-scsi FV_WWN=$w FV_TPGT=1 FV_LUNS=0,1 \
		timeout 600 "$top/build/selftests/scsi_io" >"$tmp/io" 2>&1
	local rc=$?
	grep -E "^(ok|not ok|# (PASSED|FAILED|Totals))" "$tmp/io" | tail -n 8
	[ $rc = 0 ] || { tail -n 30 "$tmp/io"; return 1; }
}

save_clear_restore() {
	tcli saveconfig "$tmp/saved.json" || return 1
	python3 -c "import json, sys; d = json.load(open(sys.argv[1])); t = [t for t in d['targets'] if t['wwn'] == sys.argv[2]]; sys.exit(0 if t and t[0]['fabric'] == 'vhost' and len(t[0]['tpgs'][0]['luns']) == 2 else 1)" \
		"$tmp/saved.json" $w || { cat "$tmp/saved.json"; return 1; }
	tcli clearconfig confirm=True || return 1
	[ ! -e $cfs/vhost/$w ] || return 1
	"$fvctl" show --wwn $w 2>/dev/null && { echo "fvctl still shows it"; return 1; }
	tcli restoreconfig "$tmp/saved.json" || return 1
	"$fvctl" -j show --wwn $w | pyjson "d[0]['fabric'] == 'vhost' and len(d[0]['tpg'][0]['lun']) == 2" || return 1
	tcli clearconfig confirm=True
}

# nested.sh's own target, made with mkdir in the "vhost" fabric, and a
# real QEMU guest with KVM whose vhost-scsi-pci opens /dev/vhost-scsi.
nested() {
	"$dir/nested.sh" --fabric vhost >"$tmp/nested" 2>&1
	local rc=$?
	grep -E "^(ok|not ok)" "$tmp/nested"
	[ $rc = 0 ] || { tail -n 30 "$tmp/nested"; return 1; }
	grep -q "fastvhost in drop-in mode" "$tmp/nested" || { echo "not on drop-in mode"; return 1; }
}

unload() {
	# The fabrics' directories hold the module, as vhost's holds vhost_scsi.
	rmdir $cfs/vhost || return 1
	[ ! -d $cfs/fastvhost ] || rmdir $cfs/fastvhost || return 1
	rmmod fastvhost || return 1
	[ ! -e /dev/vhost-scsi ] || { echo "/dev/vhost-scsi stays"; return 1; }
	# Now the stock module loads, and drop-in mode is refused beside it.
	modprobe vhost_scsi || return 1
	insmod "$ko" compat=1 2>"$tmp/err" && { rmmod fastvhost; echo "loaded beside vhost_scsi"; return 1; }
	cat "$tmp/err"
	grep -q "Device or resource busy" "$tmp/err" || return 1
	dmesg | grep -q "compat=1: /dev/vhost-scsi is taken" || { dmesg | tail -n 5; return 1; }
	# Without compat it coexists with the stock module.
	insmod "$ko" && rmmod fastvhost && rmmod vhost_scsi
}

ktap_plan 8
ktap_run "fastvhost.compat=1: /dev/vhost-scsi and /dev/fastvhost" load
ktap_run "vhost_scsi is refused while drop-in mode holds its names" stock_refused
ktap_run "targetcli makes a /vhost target with two LUNs and a nexus" targetcli_makes
ktap_run "fvctl shows and tunes targetcli's target, and leaves it out of save" fvctl_sees
ktap_run "a vguest's I/O through /dev/vhost-scsi on that target" guest_io
ktap_run "targetcli saveconfig, clearconfig, restoreconfig" save_clear_restore
ktap_run "a QEMU guest with KVM on vhost-scsi-pci in drop-in mode (nested.sh --fabric vhost)" nested
ktap_run "rmmod; then vhost_scsi loads, compat=1 is refused beside it" unload
sysbus_down "$tmp"
rm -rf "$tmp"
ktap_finish
