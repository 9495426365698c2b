#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# NUMA auto-detection on real block devices.  scripts/vmtest gives the
# test VM a virtio-blk disk behind a PCIe host bridge (pxb-pcie) on each
# node, serials fv-numa0 and fv-numa1.  For an iblock backstore on each,
# and a fileio backstore on a file of a filesystem on each, a target with
# --node auto must pick that disk's node, and with a guest attached
# (fvctl/holder) its queues' workers must run on that node's CPUs
# (Cpus_allowed_list) with their node (and command pools) there.
set -u
dir=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$dir")
. "$dir/lib/ktap.sh"
ko=${FV_KO:?FV_KO must name the built fastvhost.ko}

fvctl=$top/ctl/fvctl
cfg=/sys/kernel/config/target
wwn=naa.5001405f0000b001
tmp=$(mktemp -d /tmp/fvnuma.XXXXXX)
holder_pid=
declare -A disk

# The disk with serial fv-numa$1, from sysfs (no udev in the test VM).
disk_of() {
	local d
	for d in /sys/block/vd*; do
		[ "$(cat "$d/serial" 2>/dev/null)" = "fv-numa$1" ] && { echo "/dev/${d##*/}"; return 0; }
	done
	return 1
}

find_disks() {
	local d i
	modprobe -a virtio_blk ext4 || return 1
	for i in $(seq 50); do
		disk_of 0 >/dev/null && disk_of 1 >/dev/null && break
		sleep 0.2
	done
	for i in 0 1; do
		disk[$i]=$(disk_of $i) || { echo "no disk fv-numa$i"; ls /sys/block; return 1; }
		# The PCI function above the disk is on the bridge's node.
		d=$(readlink -f "/sys/block/${disk[$i]#/dev/}/device/..")
		echo "fv-numa$i: ${disk[$i]}, PCI $(basename "$d") numa_node $(cat "$d/numa_node")"
		[ "$(cat "$d/numa_node")" = "$i" ] || { echo "the VM put fv-numa$i on node $(cat "$d/numa_node")"; return 1; }
	done
}

setup() {
	modprobe -a target_core_mod target_core_iblock target_core_file || return 1
	[ -d /sys/module/fastvhost ] || insmod "$ko" || return 1
	[ -x "$top/build/selftests/fvctl-holder" ] || { echo "holder missing (make selftests)"; return 1; }
	find_disks
}

# backstore TYPE NAME DEV|FILE: an enabled iblock or fileio backstore.
backstore() {
	local b=$cfg/core/${1}_0/$2
	mkdir -p "$b" || return 1
	case $1 in
	iblock) echo "udev_path=$3" > "$b/control" ;;
	fileio) echo "fd_dev_name=$3,fd_dev_size=$((64 << 20))" > "$b/control" ;;
	esac || return 1
	# fastvhost finds the storage by the device's udev_path attribute,
	# which targetcli sets and the control string does not.
	echo "$3" > "$b/udev_path" &&
		echo "fvnuma-$2" > "$b/wwn/vpd_unit_serial" && echo 1 > "$b/enable"
}

hold() {
	rm -f "$tmp/hold" "$tmp/holder.out"
	mkfifo "$tmp/hold"
	"$top/build/selftests/fvctl-holder" "$wwn" < "$tmp/hold" > "$tmp/holder.out" 2>&1 &
	holder_pid=$!
	exec 9> "$tmp/hold"
	for _ in $(seq 100); do
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

# on_node NODE BACKSTORE: a target on BACKSTORE with --node auto is placed
# on NODE, and so are its workers once a guest attaches.
on_node() {
	local node=$1 bs=$2 want t c got rc=0
	"$fvctl" attach --wwn $wwn --lun 0 --backstore "$bs" --node auto || return 1
	"$fvctl" -j show --wwn $wwn > "$tmp/show.json" || rc=1
	python3 -c '
import json, sys
t = json.load(open(sys.argv[1]))[0]
print("node %s source %s reason %s" % (t.get("node"), t.get("node-source"), t.get("node-reason")))
assert t["node-auto"] == 1 and t["node"] == int(sys.argv[2]) and t["node-source"] == "device", t
' "$tmp/show.json" "$node" || rc=1
	if [ $rc = 0 ] && hold; then
		want=$(cat "/sys/devices/system/node/node$node/cpulist")
		# read, not cat: a fork per task costs seconds under TCG
		for t in /proc/[0-9]*/task/[0-9]*; do
			read -r c 2>/dev/null < "$t/comm" || continue
			case $c in
			"fv-$holder_pid-"*)
				got=$(awk '/^Cpus_allowed_list:/ { print $2 }' "$t/status")
				echo "worker $c: Cpus_allowed_list $got (node $node: $want)"
				[ "$got" = "$want" ] || rc=1 ;;
			esac
		done
		"$fvctl" -j stats --wwn $wwn | python3 -c '
import json, sys
q = [q for q in json.load(sys.stdin)[0]["queue"] if q["index"] >= 2]
print("request queues: %s" % [(q["index"], q.get("node")) for q in q])
assert q and all(x.get("node") == int(sys.argv[1]) for x in q), q
' "$node" || rc=1
		release || rc=1
	else
		rc=1
	fi
	"$fvctl" detach --wwn $wwn || rc=1
	return $rc
}

iblock_on() {	# iblock_on NODE
	local rc=0
	disk[$1]=$(disk_of "$1") || return 1
	backstore iblock "fvnuma$1" "${disk[$1]}" || return 1
	on_node "$1" "block/fvnuma$1" || rc=1
	# Let the disk go: fileio_on makes a filesystem on it.
	rmdir "$cfg/core/iblock_0/fvnuma$1" || rc=1
	return $rc
}

fileio_on() {	# fileio_on NODE: a file on an ext4 on the disk
	disk[$1]=$(disk_of "$1") || return 1
	mkfs.ext4 -q -F "${disk[$1]}" && mkdir -p "$tmp/m$1" &&
		mount "${disk[$1]}" "$tmp/m$1" && truncate -s 64M "$tmp/m$1/lun.img" || return 1
	backstore fileio "fvnumaf$1" "$tmp/m$1/lun.img" || return 1
	on_node "$1" "fileio/fvnumaf$1"
}

teardown() {
	local rc=0 b
	release
	[ ! -d "$cfg/fastvhost/$wwn" ] || "$fvctl" detach --wwn $wwn || rc=1
	for b in "$cfg"/core/iblock_0/fvnuma* "$cfg"/core/fileio_0/fvnumaf*; do
		[ ! -d "$b" ] || rmdir "$b" || rc=1
	done
	rmdir "$cfg/core/iblock_0" "$cfg/core/fileio_0" 2>/dev/null
	umount "$tmp"/m0 "$tmp"/m1 2>/dev/null
	rmmod fastvhost || rc=1
	rm -rf "$tmp"
	return $rc
}

ktap_plan 6
ktap_run "setup: fastvhost, a virtio-blk disk on node 0 and one on node 1" setup
ktap_run "iblock on the node 1 disk: --node auto picks 1, workers on node 1's CPUs" iblock_on 1
ktap_run "iblock on the node 0 disk: --node auto picks 0, workers on node 0's CPUs" iblock_on 0
ktap_run "fileio on a file on the node 1 disk: --node auto picks 1, workers follow" fileio_on 1
ktap_run "fileio on a file on the node 0 disk: --node auto picks 0, workers follow" fileio_on 0
ktap_run "teardown: backstores, module unload" teardown
ktap_finish
