#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Targets, portal groups, LUNs and the nexus of the fastvhost fabric through
# configfs, with the names and values it must refuse.
set -u
dir=$(dirname "$0")
. "$dir/lib/ktap.sh"
ko=${FV_KO:?FV_KO must name the built fastvhost.ko}

cfg=/sys/kernel/config/target
fab=$cfg/fastvhost
bs=$cfg/core/rd_mcp_0/fvtest
wwn=naa.5001405f00000001
tpg=$fab/$wwn/tpgt_1
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT

setup() {
	modprobe target_core_mod && insmod "$ko" || return 1
	mkdir -p "$bs" && echo rd_pages=2048 > "$bs/control" &&
		echo fvtest0001 > "$bs/wwn/vpd_unit_serial" && echo 1 > "$bs/enable"
}

make_target() {
	mkdir -p "$tpg/lun/lun_0" || return 1
	ln -s "$bs" "$tpg/lun/lun_0/fv_port" || return 1
	[ -L "$tpg/lun/lun_0/fv_port" ] || return 1
	grep -qs fastvhost "$fab/version" ||
		grep -qs fastvhost "$fab/$wwn/version"
}

nexus() {
	echo naa.5001405f000000ff > "$tpg/nexus" || return 1
	[ "$(cat "$tpg/nexus")" = naa.5001405f000000ff ] || { echo "nexus reads '$(cat "$tpg/nexus")'"; return 1; }
	# A second nexus on the same TPG is refused.
	if echo naa.5001405f000000fe > "$tpg/nexus" 2>/dev/null; then
		echo "second nexus accepted"; return 1
	fi
	[ -d "$cfg/core/rd_mcp_0/fvtest" ]
}

bad_names() {
	local bad=0
	mkdir "$fab/eui.1234" 2>/dev/null && { echo "eui. name accepted"; rmdir "$fab/eui.1234"; bad=1; }
	mkdir "$fab/$wwn/tpgt_256" 2>/dev/null && { echo "tpgt_256 accepted"; rmdir "$fab/$wwn/tpgt_256"; bad=1; }
	mkdir "$fab/$wwn/tpgt_x" 2>/dev/null && { echo "tpgt_x accepted"; rmdir "$fab/$wwn/tpgt_x"; bad=1; }
	mkdir "$fab/$wwn/portal_1" 2>/dev/null && { echo "portal_1 accepted"; rmdir "$fab/$wwn/portal_1"; bad=1; }
	mkdir -p "$fab/$wwn/tpgt_2" || return 1
	echo iqn.2026-01.org.example:x > "$fab/$wwn/tpgt_2/nexus" 2>/dev/null &&
		{ echo "nexus with the wrong protocol prefix accepted"; bad=1; }
	echo "$(printf 'naa.%0300d' 1)" > "$fab/$wwn/tpgt_2/nexus" 2>/dev/null &&
		{ echo "300-byte nexus name accepted"; bad=1; }
	rmdir "$fab/$wwn/tpgt_2" || bad=1
	return $bad
}

other_protocols() {
	mkdir -p "$fab/fc.2000000000000001/tpgt_0" "$fab/iqn.2026-11.invalid.fastvhost:t1/tpgt_3" || return 1
	echo fc.2000000000000002 > "$fab/fc.2000000000000001/tpgt_0/nexus" || return 1
	echo NULL > "$fab/fc.2000000000000001/tpgt_0/nexus" || return 1
	[ -z "$(cat "$fab/fc.2000000000000001/tpgt_0/nexus")" ] || return 1
	rmdir "$fab/fc.2000000000000001/tpgt_0" "$fab/fc.2000000000000001" \
		"$fab/iqn.2026-11.invalid.fastvhost:t1/tpgt_3" "$fab/iqn.2026-11.invalid.fastvhost:t1"
}

# Devices attach and detach while another portal group of the target is
# made, given a nexus and removed: attach pins the groups it finds in
# configfs, which must not wait on (or hold) what an rmdir holds.
attach_churn() {
	local holder=$dir/../build/selftests/fvctl-holder i n=0 churn rc=0
	[ -x "$holder" ] || { echo "$holder missing (make selftests)"; return 1; }
	(
		for i in $(seq 30); do
			mkdir "$fab/$wwn/tpgt_2" &&
				echo naa.5001405f000000fd > "$fab/$wwn/tpgt_2/nexus" || exit 1
			# busy while a device holds it
			for _ in $(seq 200); do
				rmdir "$fab/$wwn/tpgt_2" 2>/dev/null && break
				sleep 0.05
			done
			[ ! -d "$fab/$wwn/tpgt_2" ] || { echo "tpgt_2 never removable"; exit 1; }
		done
	) &
	churn=$!
	while kill -0 $churn 2>/dev/null; do
		"$holder" $wwn 1 1 </dev/null >"$tmp" 2>&1 && grep -q attached "$tmp" ||
			{ echo "attach $n failed:"; cat "$tmp"; rc=1; }
		n=$((n + 1))
	done
	wait $churn || rc=1
	echo "# $n attaches while tpgt_2 came and went 30 times"
	[ ! -d "$fab/$wwn/tpgt_2" ] || rc=1
	return $rc
}

teardown() {
	echo NULL > "$tpg/nexus" || return 1
	rm "$tpg/lun/lun_0/fv_port" || return 1
	rmdir "$tpg/lun/lun_0" "$tpg" "$fab/$wwn" || return 1
	rmdir "$fab" || return 1
	rmdir "$bs" || return 1
	rmmod fastvhost
}

ktap_plan 7
ktap_run "setup: module and rd_mcp backstore" setup
ktap_run "target, tpgt_1 and a LUN linked to rd_mcp" make_target
ktap_run "nexus can be created, read back, not doubled" nexus
ktap_run "bad target, tpgt and nexus names are refused" bad_names
ktap_run "fc. and iqn. targets, nexus removal" other_protocols
ktap_run "devices attach while another portal group comes and goes" attach_churn
ktap_run "everything removes in reverse and the module unloads" teardown
ktap_finish
