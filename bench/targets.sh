# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Side-by-side benchmark targets: the stock vhost_scsi and fastvhost, each
# on its own backstores of the same kind and size. Source it (after
# selftests/lib/target.sh), then:
#
#   bt_up [MiB]   modules, backstores, targets; exports BT_* below
#   bt_down       remove them again (and fastvhost if bt_up loaded it)
#
# Targets (tpgt 1 each):
#   $BT_STOCK     /dev/vhost-scsi  LUN 0 rd_mcp, LUN 1 fileio, LUN 2 rd_mcp nullio
#   $BT_FV        /dev/fastvhost   the same three, on fastvhost's own backstores
#   $BT_FV_NOPOLL /dev/fastvhost   the same backstores as $BT_FV; bt_up turns
#                                  its polling off (poll-max-ns 0)
#   $BT_FV_WIDE   /dev/fastvhost   the same backstores again, for a second
#                                  polling window
# fileio images live in $BT_DIR (default /tmp: tmpfs in the test VM).

BT_STOCK=naa.5001405ffaa0be01
BT_FV=naa.5001405ffbb0be01
BT_FV_NOPOLL=naa.5001405ffbb0be02
BT_FV_WIDE=naa.5001405ffbb0be03
BT_LUN_RD=0
BT_LUN_FILE=1
BT_LUN_NULL=2

# The bench's rows and variants (bench/vm-run.sh, bench/profile.sh).
# Rows: NAME LUN RW BS IODEPTH QUEUES [spin]. The bench runs every
# variant on every row. The "null" rows (rd_nullio: no data copied) show
# the transport's own cost. "spin" rows reap by watching the used ring
# instead of sleeping on the call eventfd (fvbench --spin), as a guest
# vCPU kept on its CPU by KVM's halt-polling sees completions: the
# driver's own wake-up is then out of the latency, and what is left is
# the target's.
# shellcheck disable=SC2034 # used by the scripts that source this
BT_ROWS=(
	"rd-4k-qd1-1q     $BT_LUN_RD   randread  4k  1  1"
	"rd-4k-qd32-1q    $BT_LUN_RD   randread  4k  32 1"
	"rd-4k-qd32-2q    $BT_LUN_RD   randread  4k  32 2"
	"rd-64k-qd1-1q    $BT_LUN_RD   randread  64k 1  1"
	"rd-64k-qd32-1q   $BT_LUN_RD   randread  64k 32 1"
	"rd-64k-qd32-2q   $BT_LUN_RD   randread  64k 32 2"
	"file-4k-qd32-1q  $BT_LUN_FILE randwrite 4k  32 1"
	"filerd-4k-qd32-1q $BT_LUN_FILE randread 4k  32 1"
	"file-4k-qd32-2q  $BT_LUN_FILE randwrite 4k  32 2"
	"null-4k-qd1-1q   $BT_LUN_NULL randread  4k  1  1"
	"rd-4k-qd1-spin   $BT_LUN_RD   randread  4k  1  1  spin"
	"null-4k-qd1-spin $BT_LUN_NULL randread  4k  1  1  spin"
)

# Variants: NAME DEV WWN EXTRA.  fv-adaptive polls as the product does by
# default, fv-poll-wide with the window scaled for this VM; stock-mq is
# stock with a worker per queue (Linux 6.5 and later).
# shellcheck disable=SC2034
BT_VARIANTS=(
	"stock        /dev/vhost-scsi $BT_STOCK"
	"stock-mq     /dev/vhost-scsi $BT_STOCK --worker-per-vq"
	"fv-poll-off  /dev/fastvhost  $BT_FV_NOPOLL"
	"fv-adaptive  /dev/fastvhost  $BT_FV"
	"fv-poll-wide /dev/fastvhost  $BT_FV_WIDE"
	"fv-dirtylog  /dev/fastvhost  $BT_FV --dirty-log"
	"fv-regions   /dev/fastvhost  $BT_FV_NOPOLL --regions 509"
)

# bt_pick NAME ENTRY...: the fields after NAME of the entry named NAME.
bt_pick() {
	local name=$1 e n rest
	shift
	for e in "$@"; do
		read -r n rest <<<"$e"
		[ "$n" = "$name" ] && { echo "$rest"; return 0; }
	done
	return 1
}

bt__top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

bt__null() {	# bt__null NAME PAGES: rd_mcp that keeps no data (no copy)
	tgt__bs_common "$TGT_CFS/core/rd_mcp_0/$1" "$1" "rd_pages=$2,rd_nullio=1"
}

bt__target() {	# bt__target FABRIC WWN RD FILE NULL
	tgt_tpg "$1" "$2" 1 &&
	tgt_lun "$1" "$2" 1 $BT_LUN_RD "$3" &&
	tgt_lun "$1" "$2" 1 $BT_LUN_FILE "$4" &&
	tgt_lun "$1" "$2" 1 $BT_LUN_NULL "$5" &&
	tgt_nexus "$1" "$2" 1
}

# bt_poll WWN NS: set fastvhost's poll-max-ns over netlink.
bt_poll() {
	"$bt__top/scripts/ynl" cli --do target-set \
		--json "{\"wwn\": \"$1\", \"poll-max-ns\": $2}" >/dev/null
}

# bt_poll_get WWN: print poll-max-ns as the module reports it.
bt_poll_get() {
	"$bt__top/scripts/ynl" cli --do target-get --json "{\"wwn\": \"$1\"}" \
		--output-json 2>/dev/null |
		python3 -c 'import json,sys; print(json.load(sys.stdin).get("poll-max-ns", "?"))' 2>/dev/null ||
		echo "?"
}

bt_up() {
	local mib=${1:-128} pages dir=${BT_DIR:-/tmp} s
	pages=$((mib * 256))
	BT_LOADED_FV=0
	modprobe -a target_core_mod target_core_file vhost_scsi || return
	if [ ! -e /dev/fastvhost ]; then
		insmod "${FV_KO:?FV_KO must name the built fastvhost.ko}" || return
		BT_LOADED_FV=1
	fi
	mkdir -p "$(cat "$TGT_CFS/dbroot" 2>/dev/null || echo /var/target)/pr"
	for s in v f; do
		local rd file null
		rd=$(tgt_rd "fvb_rd_$s" "$pages") || return
		file=$(tgt_file "fvb_file_$s" "$dir/fvb_file_$s.img" $((mib << 20))) || return
		null=$(bt__null "fvb_null_$s" "$pages") || return
		if [ $s = v ]; then
			bt__target vhost "$BT_STOCK" "$rd" "$file" "$null" || return
		else
			bt__target fastvhost "$BT_FV" "$rd" "$file" "$null" || return
			bt__target fastvhost "$BT_FV_NOPOLL" "$rd" "$file" "$null" || return
			bt__target fastvhost "$BT_FV_WIDE" "$rd" "$file" "$null" || return
		fi
	done
	bt_poll "$BT_FV_NOPOLL" 0
}

bt_down() {
	local bs rc=0
	tgt_del vhost "$BT_STOCK" || rc=1
	tgt_del fastvhost "$BT_FV" || rc=1
	tgt_del fastvhost "$BT_FV_NOPOLL" || rc=1
	tgt_del fastvhost "$BT_FV_WIDE" || rc=1
	for bs in rd_mcp_0/fvb_rd_v rd_mcp_0/fvb_null_v fileio_0/fvb_file_v \
		  rd_mcp_0/fvb_rd_f rd_mcp_0/fvb_null_f fileio_0/fvb_file_f; do
		tgt_bs_del "$TGT_CFS/core/$bs" || rc=1
	done
	rm -f "${BT_DIR:-/tmp}"/fvb_file_[vf].img
	if [ "${BT_LOADED_FV:-0}" = 1 ]; then
		rmdir "$TGT_CFS/fastvhost" 2>/dev/null
		rmmod fastvhost || rc=1
	fi
	return $rc
}
