# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# An NVMe-over-TCP namespace exported by the kernel's own nvmet on the
# loopback and connected with nvme-cli, in the test VM: storage that
# another host could reach the same way.  Source it after steps.sh; every
# step it takes is undone by undo_to.
#
#   nvmet_tcp_up NAME MB DIR   export a MB MiB file in DIR (a loop device)
#                              as namespace 1 of nqn.2026-12.fastvhost:NAME
#                              on 127.0.0.1:4420, connect to it; sets
#                              NVMET_DEV (/dev/nvmeXnY)

NVMET_CFS=/sys/kernel/config/nvmet
NVMET_DEV=

nvmet__w() {	# FILE VALUE
	echo "$2" >"$1" 2>/dev/null || { echo "nvmet: writing '$2' to $1 failed" >&2; return 1; }
}

# The block device of the connected subsystem NQN (native multipath: its
# head node; the per-path nvmeXcYnZ nodes have no /dev entry).
nvmet__dev() {	# NQN
	local b
	for b in /sys/block/nvme*; do
		[[ ${b##*/} =~ ^nvme[0-9]+n[0-9]+$ ]] || continue
		[ "$(cat "$b/device/subsysnqn" 2>/dev/null)" = "$1" ] || continue
		echo "/dev/${b##*/}"
		return 0
	done
	return 1
}

nvmet_tcp_up() {	# NAME MB DIR
	local nqn=nqn.2026-12.fastvhost:$1 img=$3/$1.nvme.img loop sub port i
	command -v nvme >/dev/null || { echo "nvmet: nvme-cli missing (make deps)" >&2; return 1; }
	modprobe -a loop nvmet nvmet-tcp nvme-tcp || return 1
	ip link set lo up || return 1
	truncate -s "${2}M" "$img" || return 1
	undo_push rm -f "$img"
	loop=$(losetup -f --show "$img") || return 1
	undo_push losetup -d "$loop"
	sub=$NVMET_CFS/subsystems/$nqn
	mkdir "$sub" || return 1
	undo_push rmdir "$sub"
	nvmet__w "$sub/attr_allow_any_host" 1 || return 1
	mkdir "$sub/namespaces/1" || return 1
	undo_push rmdir "$sub/namespaces/1"
	nvmet__w "$sub/namespaces/1/device_path" "$loop" &&
		nvmet__w "$sub/namespaces/1/enable" 1 || return 1
	undo_push "echo 0 >$sub/namespaces/1/enable"
	for ((i = 1; ; i++)); do
		port=$NVMET_CFS/ports/$i
		mkdir "$port" 2>/dev/null && break
		[ "$i" -lt 64 ] || return 1
	done
	undo_push rmdir "$port"
	nvmet__w "$port/addr_trtype" tcp && nvmet__w "$port/addr_adrfam" ipv4 &&
		nvmet__w "$port/addr_traddr" 127.0.0.1 &&
		nvmet__w "$port/addr_trsvcid" 4420 || return 1
	ln -s "$sub" "$port/subsystems/$nqn" || return 1
	undo_push rm "$port/subsystems/$nqn"
	nvme connect -t tcp -a 127.0.0.1 -s 4420 -n "$nqn" >/dev/null || return 1
	undo_push nvme disconnect -n "$nqn"
	for ((i = 0; i < 50; i++)); do
		NVMET_DEV=$(nvmet__dev "$nqn") && [ -b "$NVMET_DEV" ] && return 0
		sleep 0.2
	done
	echo "nvmet: no block device for $nqn after connecting" >&2
	return 1
}
