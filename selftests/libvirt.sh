#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# libvirt (Debian's 9.0) on fastvhost's drop-in mode, in the test VM: a
# target made with targetcli under /vhost, a domain with
#   <hostdev mode='subsystem' type='scsi_host'>
#     <source protocol='vhost' wwpn='naa...'/></hostdev>
# for which libvirtd opens /dev/vhost-scsi and hands it to QEMU, the guest
# of scripts/mkguest checking a pattern it writes and reads back (KVM),
# virsh destroy and starts again, and fvctl showing and tuning the target
# while a guest runs.  libvirtd, started here, keeps its state in tmpfs
# in a mount namespace of this script's, gone with it.
#
#   rd_mcp/fvlv0 (128 MiB) -- naa.5001405f0000d101 tpg1 lun0
set -u
if [ -z "${FV_LIBVIRT_NS:-}" ]; then
	FV_LIBVIRT_NS=1 exec unshare -m --propagation private "$0" "$@"
fi
dir=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$dir")
. "$dir/lib/ktap.sh"
. "$dir/lib/sysbus.sh"
ko=${FV_KO:?FV_KO must name the built fastvhost.ko}

fvctl=$top/ctl/fvctl
cfs=/sys/kernel/config/target
w=naa.5001405f0000d101
dom=fvdropin
# One uuid: defining the name again updates the domain.
uuid=$(cat /proc/sys/kernel/random/uuid)
kver=$(uname -r)
tmp=$(mktemp -d /tmp/fvlibvirt.XXXXXX)
export HOME=$tmp
# Tests run in subshells (ktap_run): what teardown needs is kept in $tmp.
virsh() { command virsh -q -c qemu:///system "$@"; }

setup() {
	if [ ! -d /sys/module/fastvhost ]; then
		[ ! -d /sys/module/vhost_scsi ] || rmmod vhost_scsi || return 1
		modprobe -a target_core_mod target_core_file || return 1
		insmod "$ko" compat=1 || return 1
		touch "$tmp/loaded"
	fi
	[ "$(cat /sys/module/fastvhost/parameters/compat)" = Y ] || { echo "not in drop-in mode"; return 1; }
	[ -c /dev/kvm ] || modprobe kvm_amd 2>/dev/null || modprobe kvm_intel 2>/dev/null
	[ -c /dev/kvm ] || { echo "no /dev/kvm"; return 1; }
	sysbus_up "$tmp" || return 1
	targetcli /backstores/ramdisk create name=fvlv0 size=128M >"$tmp/out" 2>&1 &&
		targetcli /vhost create $w >>"$tmp/out" 2>&1 &&
		targetcli /vhost/$w/tpg1/luns create /backstores/ramdisk/fvlv0 >>"$tmp/out" 2>&1 ||
		{ cat "$tmp/out"; return 1; }
	# The guest's kernel and image from tmpfs: QEMU reads 9p slowly.
	cp "/boot/vmlinuz-$kver" "$tmp/vmlinuz" &&
		cp "$top/build/guest/$kver/initrd.cpio.gz" "$tmp/initrd.cpio.gz" ||
		{ echo "no guest image: scripts/mkguest --kver $kver"; return 1; }
}

# libvirtd's configuration and state in tmpfs, with settings for a VM
# without systemd, cgroups for it or security drivers.
libvirtd_up() {
	local d i
	mkdir "$tmp/etc" && cp -a /etc/libvirt/. "$tmp/etc/" || return 1
	rm -f "$tmp/etc/qemu/networks/autostart/"*
	cat >>"$tmp/etc/qemu.conf" <<-EOF
		user = "root"
		group = "root"
		security_driver = "none"
		cgroup_controllers = [ ]
		namespaces = [ ]
		remember_owner = 0
		stdio_handler = "file"
	EOF
	echo "log_outputs = \"3:file:$tmp/libvirtd.log\"" >>"$tmp/etc/libvirtd.conf"
	mount --bind "$tmp/etc" /etc/libvirt || return 1
	for d in /var/lib/libvirt /var/cache/libvirt /var/log/libvirt /run/libvirt; do
		mkdir -p "$d" && mount -t tmpfs -o mode=0755 tmpfs "$d" || return 1
	done
	mkdir -p /var/lib/libvirt/qemu /var/log/libvirt/qemu
	libvirtd >"$tmp/libvirtd.out" 2>&1 &
	echo $! >"$tmp/libvirtd.pid"
	# It probes QEMU's capabilities first: slow under emulation.
	for ((i = 0; i < 180; i++)); do
		virsh version >"$tmp/version" 2>/dev/null && break
		kill -0 "$(cat "$tmp/libvirtd.pid")" 2>/dev/null || break
		sleep 1
	done
	cat "$tmp/version" 2>/dev/null | head -n 4
	virsh version >/dev/null 2>&1 ||
		{ tail -n 20 "$tmp/libvirtd.out" "$tmp/libvirtd.log"; return 1; }
}

# The guest's tests (scripts/guest/init): the pattern check, then reads
# for 20 s so that fvctl and start_guest see a guest at work; or only a
# long sleep, for virsh destroy.
busy=$(printf '%s\n' 'i=0' 'while [ $i -lt 20 ]; do' \
	'dd if=$FV_DEV of=/dev/null bs=64k count=256 iflag=direct status=none || fail "read failed"' \
	'sleep 1; i=$((i + 1)); done' | base64 -w0)
idle=$(echo 'sleep 600' | base64 -w0)

# define_as ARGS: (re)define the domain with ARGS for the guest's /init.
define_as() {
	cat >"$tmp/$dom.xml" <<-EOF
		<domain type='kvm'>
		  <name>$dom</name>
		  <uuid>$uuid</uuid>
		  <memory unit='MiB'>256</memory>
		  <vcpu>1</vcpu>
		  <os>
		    <type arch='x86_64' machine='q35'>hvm</type>
		    <kernel>$tmp/vmlinuz</kernel>
		    <initrd>$tmp/initrd.cpio.gz</initrd>
		    <cmdline>console=ttyS0 panic=-1 quiet fvtimeout=120 $1</cmdline>
		  </os>
		  <cpu mode='host-passthrough'/>
		  <on_poweroff>destroy</on_poweroff>
		  <on_reboot>destroy</on_reboot>
		  <on_crash>destroy</on_crash>
		  <devices>
		    <emulator>/usr/bin/qemu-system-x86_64</emulator>
		    <serial type='file'>
		      <source path='$tmp/serial.log'/>
		      <target port='0'/>
		    </serial>
		    <hostdev mode='subsystem' type='scsi_host'>
		      <source protocol='vhost' wwpn='$w'/>
		    </hostdev>
		    <memballoon model='none'/>
		  </devices>
		</domain>
	EOF
	virsh define "$tmp/$dom.xml" >/dev/null || return 1
}

define() {
	define_as "fvmode=pattern fvtest=$busy" || return 1
	virsh dumpxml $dom | grep -q "protocol='vhost' wwpn='$w'" || { virsh dumpxml $dom; return 1; }
}

state() { virsh domstate $dom 2>/dev/null | head -n 1; }

# The QEMU libvirt started, once it holds the target.
owner() {
	"$fvctl" -j show --wwn $w 2>/dev/null |
		python3 -c 'import json, sys; print(json.load(sys.stdin)[0].get("owner-pid", ""))'
}

# start_guest: virsh start, wait for QEMU to attach; $qpid is its pid.
start_guest() {
	local i
	: >"$tmp/serial.log"
	virsh start $dom || return 1
	qpid=
	for ((i = 0; i < 300; i++)); do
		qpid=$(owner)
		[ -z "$qpid" ] || break
		[ "$(state)" = running ] || break
		sleep 0.2
	done
	[ -n "$qpid" ] || { echo "no guest attached; state $(state)"; tail -n 20 /var/log/libvirt/qemu/$dom.log; return 1; }
	# libvirt writes -device as JSON.
	grep -Eq "vhost-scsi-pci.*wwpn.*$w.*vhostfd" /var/log/libvirt/qemu/$dom.log ||
		{ echo "QEMU's command line:"; tail -n 5 /var/log/libvirt/qemu/$dom.log; return 1; }
	[ "$(cat /proc/$qpid/comm 2>/dev/null)" = qemu-system-x86 ] || { echo "owner $qpid is not QEMU"; return 1; }
	ls -l /proc/$qpid/fd | grep -q "/dev/vhost-scsi$" || { echo "QEMU holds no /dev/vhost-scsi"; return 1; }
}

# wait_verdict: until the guest powers off; its verdict in $verdict.
wait_verdict() {
	local i
	for ((i = 0; i < 300; i++)); do
		[ "$(state)" = "shut off" ] && break
		sleep 1
	done
	verdict=$(tr -d '\r' <"$tmp/serial.log" | grep -m1 '^FVGUEST: \(PASS\|FAIL\)')
	[ "$(state)" = "shut off" ] || { echo "still $(state) after 300 s"; virsh destroy $dom; }
}

guest_runs() {
	start_guest || return 1
	# fvctl sees libvirt's guest and tunes its target live.
	"$fvctl" show --wwn $w | head -n 3
	"$fvctl" set --wwn $w --poll-us 50 --workers 1 || return 1
	"$fvctl" -j show --wwn $w | python3 -c "import json, sys; d = json.load(sys.stdin)[0]; sys.exit(0 if d['fabric'] == 'vhost' and d['poll-max-ns'] == 50000 and d['workers'] == 1 and d['nr-queues'] >= 3 else 1)" ||
		{ "$fvctl" -j show --wwn $w; return 1; }
	wait_verdict
	# Said, and once: nested KVM under TCG now and then stops an L2
	# kernel before /init, before the device does anything (nested.sh).
	if [ -z "$verdict" ] && ! grep -q 'FVGUEST: INFO kernel ' "$tmp/serial.log"; then
		echo "the guest's kernel stopped before /init (nested KVM under TCG); starting it once more"
		start_guest && wait_verdict || return 1
	fi
	echo "${verdict:-no verdict}"
	[ "$verdict" = "FVGUEST: PASS" ] || { tail -n 20 "$tmp/serial.log"; return 1; }
	[ -z "$(owner)" ] || { echo "the target is still held"; return 1; }
}

destroy_restart() {
	define_as "fvtest=$idle" && start_guest || return 1
	virsh destroy $dom || return 1
	local i
	for ((i = 0; i < 50; i++)); do
		[ -z "$(owner)" ] && break
		sleep 0.2
	done
	[ -z "$(owner)" ] || { echo "the target is held after virsh destroy"; return 1; }
	kill -0 "$qpid" 2>/dev/null && { echo "QEMU $qpid lives on"; return 1; }
	# And a new start on the same target does its I/O; with the reads
	# after it, so that QEMU is still there for start_guest's checks (the
	# pattern alone took 2 s: make check's run found QEMU gone).
	define_as "fvmode=pattern fvtest=$busy" && start_guest || return 1
	wait_verdict
	echo "${verdict:-no verdict}"
	[ "$verdict" = "FVGUEST: PASS" ] || { tail -n 20 "$tmp/serial.log"; return 1; }
}

teardown() {
	local ret=0
	[ "$(state)" != running ] || virsh destroy $dom >/dev/null 2>&1
	virsh undefine $dom >/dev/null 2>&1
	[ ! -s "$tmp/libvirtd.pid" ] || kill_wait "$(cat "$tmp/libvirtd.pid")"
	targetcli clearconfig confirm=True >"$tmp/out" 2>&1 || { cat "$tmp/out"; ret=1; }
	rmdir $cfs/vhost 2>/dev/null
	sysbus_down "$tmp"
	[ ! -e "$tmp/loaded" ] || rmmod fastvhost || ret=1
	return $ret
}

ktap_plan 5
ktap_run "setup: drop-in mode, targetcli's /vhost target, the guest image" setup
ktap_run "libvirtd $(libvirtd --version | awk '{print $NF}') starts, its state in tmpfs" libvirtd_up
ktap_run "virsh define: a scsi_host hostdev with protocol vhost" define
ktap_run "virsh start: QEMU on /dev/vhost-scsi, fvctl shows and tunes it, the guest's pattern verifies" guest_runs
ktap_run "virsh destroy frees the target; a new start verifies again" destroy_restart
teardown >"$tmp/teardown" 2>&1 || { sed 's/^/# /' "$tmp/teardown"; ktap_diag "teardown failed"; }
rm -rf "$tmp"
ktap_finish
