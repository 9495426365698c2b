#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The module loads and unloads cleanly and brings /dev/fastvhost (0600)
# and the LIO fabric with it.
set -u
dir=$(dirname "$0")
. "$dir/lib/ktap.sh"
ko=${FV_KO:?FV_KO must name the built fastvhost.ko}

fabric=/sys/kernel/config/target/fastvhost

load() {
	modprobe target_core_mod && insmod "$ko"
}

node_ok() {
	[ -c /dev/fastvhost ] || { echo "/dev/fastvhost missing"; return 1; }
	local mode
	mode=$(stat -c %a /dev/fastvhost)
	[ "$mode" = 600 ] || { echo "mode $mode, want 600"; return 1; }
	[ "$(stat -c %U /dev/fastvhost)" = root ]
}

fabric_ok() {
	mkdir -p "$fabric" || return 1
	[ -d "$fabric/discovery_auth" ] || { echo "no discovery_auth in $fabric"; return 1; }
	rmdir "$fabric"
}

stock_coexists() {
	modprobe vhost_scsi || return 1
	[ -c /dev/vhost-scsi ] && [ -c /dev/fastvhost ] || return 1
	mkdir -p /sys/kernel/config/target/vhost "$fabric" || return 1
	rmdir /sys/kernel/config/target/vhost "$fabric"
	modprobe -r vhost_scsi
}

unload() {
	rmmod fastvhost || return 1
	[ ! -e /dev/fastvhost ] || { echo "/dev/fastvhost still there"; return 1; }
	! grep -q '^fastvhost ' /proc/modules
}

reload_many() {
	local i
	for i in 1 2 3; do
		insmod "$ko" || return 1
		rmmod fastvhost || return 1
	done
}

busy_refused() {
	insmod "$ko" || return 1
	exec 7</dev/fastvhost || return 1
	if rmmod fastvhost 2>/dev/null; then
		echo "rmmod succeeded with /dev/fastvhost open"
		exec 7<&-
		return 1
	fi
	exec 7<&-
	rmmod fastvhost
}

ktap_plan 7
ktap_run "module loads" load
ktap_run "/dev/fastvhost is a root-only (0600) character device" node_ok
ktap_run "fabric directory appears under target/" fabric_ok
ktap_run "coexists with stock vhost_scsi" stock_coexists
ktap_run "module unloads and removes the node" unload
ktap_run "load/unload three times" reload_many
ktap_run "unload refused while the device is open" busy_refused
ktap_finish
