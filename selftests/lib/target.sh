# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Create and remove LIO targets for a vhost-scsi fabric ("vhost" = stock
# vhost_scsi, "fastvhost") through raw configfs. Source this file:
#
#   . selftests/lib/target.sh
#   bs=$(tgt_rd ramdisk0 16384)                 # rd_mcp, 16384 4 KiB pages
#   bs2=$(tgt_file file0 /tmp/f0.img 67108864)  # fileio, size in bytes
#   tgt_tpg   vhost naa.5001405ffaa00001 1
#   tgt_lun   vhost naa.5001405ffaa00001 1 0 "$bs"
#   tgt_nexus vhost naa.5001405ffaa00001 1      # last: SET_ENDPOINT needs it
#   ...
#   tgt_del   vhost naa.5001405ffaa00001        # nexus, luns, tpgs, wwn
#   tgt_bs_del "$bs"
#
# Or the standard test target in one go (exports FV_DEV FV_WWN FV_TPGT
# FV_LUNS for the tests):
#   tgt_up vhost        ...        tgt_down
#
# Functions print what failed to stderr and return non-zero.

TGT_CFS=${TGT_CFS:-/sys/kernel/config/target}

tgt__err() { echo "target.sh: $*" >&2; return 1; }

tgt__w() {	# tgt__w FILE VALUE
	printf '%s\n' "$2" > "$1" 2>/dev/null ||
		tgt__err "cannot write '$2' to $1"
}

tgt__bs_common() {	# tgt__bs_common DIR NAME CONTROL
	local dir=$1 name=$2
	mkdir -p "$dir" || tgt__err "mkdir $dir" || return
	tgt__w "$dir/control" "$3" || return
	# Without a serial LIO lists no VPD pages (no 0x80, no 0x83).
	tgt__w "$dir/wwn/vpd_unit_serial" "fastvhost-test-$name" || return
	tgt__w "$dir/enable" 1 || return
	echo "$dir"
}

# tgt_rd NAME PAGES [HBA]: rd_mcp backstore of PAGES 4 KiB pages.
tgt_rd() {
	[ $# -ge 2 ] || tgt__err "usage: tgt_rd NAME PAGES [HBA]" || return
	tgt__bs_common "$TGT_CFS/core/rd_mcp_${3:-0}/$1" "$1" "rd_pages=$2"
}

# tgt_file NAME PATH BYTES [HBA]: fileio backstore with UNMAP and WRITE SAME.
tgt_file() {
	local dir
	[ $# -ge 3 ] || tgt__err "usage: tgt_file NAME PATH BYTES [HBA]" || return
	truncate -s "$3" "$2" || tgt__err "cannot create $2" || return
	dir=$(tgt__bs_common "$TGT_CFS/core/fileio_${4:-0}/$1" "$1" \
		"fd_dev_name=$2,fd_dev_size=$3") || return
	tgt__w "$dir/attrib/emulate_tpu" 1 || return
	tgt__w "$dir/attrib/emulate_tpws" 1 || return
	echo "$dir"
}

# tgt_slow NAME MS: iblock backstore on a null_blk disk (no data kept)
# whose every request takes MS milliseconds: commands stay in flight long
# enough to be aborted.  Loads null_blk with two such disks (the second is
# for tgt_slow_file); tgt_slow_del unloads it.
tgt_slow() {
	[ $# -eq 2 ] || tgt__err "usage: tgt_slow NAME MS" || return
	[ ! -e /sys/module/null_blk ] || tgt__err "null_blk is loaded already" || return
	modprobe null_blk nr_devices=2 queue_mode=2 irqmode=2 gb=1 bs=512 \
		"completion_nsec=$(($2 * 1000000))" 2>/dev/null ||
		tgt__err "modprobe null_blk failed" || return
	udevadm settle 2>/dev/null
	[ -b /dev/nullb0 ] || tgt__err "no /dev/nullb0" || return
	tgt__bs_common "$TGT_CFS/core/iblock_0/$1" "$1" "udev_path=/dev/nullb0"
}

# tgt_slow_file NAME: fileio backstore on the second slow null_blk disk
# (after tgt_slow).  fileio blocks in submission, so fastvhost submits it
# from a workqueue: commands can wait there before LIO knows them.
tgt_slow_file() {
	[ $# -eq 1 ] || tgt__err "usage: tgt_slow_file NAME" || return
	[ -b /dev/nullb1 ] || tgt__err "no /dev/nullb1 (tgt_slow first)" || return
	tgt__bs_common "$TGT_CFS/core/fileio_1/$1" "$1" "fd_dev_name=/dev/nullb1"
}

tgt_slow_del() {
	tgt_bs_del "$1" || return
	rmmod null_blk 2>/dev/null || tgt__err "rmmod null_blk failed"
}

# tgt_bs_del DIR: remove a backstore (and its HBA when empty).
tgt_bs_del() {
	local dir=$1 hba
	[ -d "$dir" ] || return 0
	hba=$(dirname "$dir")
	rmdir "$dir" || tgt__err "rmdir $dir (still exported?)" || return
	rmdir "$hba" 2>/dev/null
	return 0
}

tgt__tpg() { echo "$TGT_CFS/$1/$2/tpgt_$3"; }

# tgt_tpg FABRIC WWN TPGT
tgt_tpg() {
	[ $# -eq 3 ] || tgt__err "usage: tgt_tpg FABRIC WWN TPGT" || return
	[ -d "$TGT_CFS/$1" ] || mkdir "$TGT_CFS/$1" 2>/dev/null ||
		tgt__err "fabric '$1' not registered (module loaded?)" || return
	mkdir -p "$(tgt__tpg "$@")" || tgt__err "cannot create $(tgt__tpg "$@")"
}

# tgt_lun FABRIC WWN TPGT LUN BACKSTORE_DIR
tgt_lun() {
	local lun
	[ $# -eq 5 ] || tgt__err "usage: tgt_lun FABRIC WWN TPGT LUN BACKSTORE" || return
	lun=$(tgt__tpg "$1" "$2" "$3")/lun/lun_$4
	mkdir -p "$lun" || tgt__err "mkdir $lun" || return
	ln -s "$5" "$lun/$(basename "$5")" || tgt__err "cannot link $5 into $lun"
}

# tgt_nexus FABRIC WWN TPGT [INITIATOR]: the I_T nexus, written last.
tgt_nexus() {
	local tpg init
	[ $# -ge 3 ] || tgt__err "usage: tgt_nexus FABRIC WWN TPGT [INITIATOR]" || return
	tpg=$(tgt__tpg "$1" "$2" "$3")
	# Default initiator: the WWN with its last digit changed, same prefix.
	init=${4:-${2%?}f}
	[ "$init" != "$2" ] || init=${2%?}e
	tgt__w "$tpg/nexus" "$init"
}

# tgt_del FABRIC WWN: drop nexus, LUNs and TPGs, then the WWN itself.
tgt_del() {
	local wwn=$TGT_CFS/$1/$2 tpg lun l rc=0
	[ -d "$wwn" ] || return 0
	for tpg in "$wwn"/tpgt_*; do
		[ -d "$tpg" ] || continue
		[ -e "$tpg/nexus" ] && printf 'NULL\n' > "$tpg/nexus" 2>/dev/null
		for lun in "$tpg"/lun/lun_*; do
			[ -d "$lun" ] || continue
			for l in "$lun"/*; do
				[ -L "$l" ] && { rm -f "$l" || rc=1; }
			done
			rmdir "$lun" || rc=1
		done
		rmdir "$tpg" || rc=1
	done
	rmdir "$wwn" || rc=1
	[ $rc = 0 ] || tgt__err "could not remove all of $wwn (in use?)"
}

# tgt_up FABRIC [WWN]: LUN 0 = rd_mcp 64 MiB, LUN 1 = fileio 64 MiB on
# $TGT_DIR (default /tmp). Exports FV_DEV FV_WWN FV_TPGT FV_LUNS, and for
# fastvhost FV_SLOW_LUN (LUN 7, null_blk, 250 ms a request; not in FV_LUNS),
# FV_SLOW_FILE_LUN (LUN 6, fileio on such a disk), FV_PI_LUN (LUN 5, rd_mcp
# formatted with T10 PI type 1) and FV_WWN2 (a second target, LUN 0 fileio,
# for tests with two devices).
tgt_up() {
	local fabric=${1:-vhost} wwn=${2:-} rd fio
	case "$fabric" in
	vhost) : "${wwn:=naa.5001405ffaa00001}"; FV_DEV=${FV_DEV:-/dev/vhost-scsi} ;;
	fastvhost) : "${wwn:=naa.5001405ffbb00001}"; FV_DEV=${FV_DEV:-/dev/fastvhost} ;;
	*) tgt__err "unknown fabric $fabric"; return ;;
	esac
	TGT_UP_FABRIC=$fabric TGT_UP_WWN=$wwn
	# PR OUT writes APTPL state under dbroot: it must exist
	mkdir -p "$(cat "$TGT_CFS/dbroot" 2>/dev/null || echo /var/target)/pr"
	rd=$(tgt_rd "fv_${fabric}_rd" 16384) || return
	fio=$(tgt_file "fv_${fabric}_file" "${TGT_DIR:-/tmp}/fv_${fabric}_file.img" \
		$((64 << 20))) || return
	TGT_UP_BS="$rd $fio"
	tgt_tpg "$fabric" "$wwn" 1 &&
	tgt_lun "$fabric" "$wwn" 1 0 "$rd" &&
	tgt_lun "$fabric" "$wwn" 1 1 "$fio" || return
	# fastvhost: LUN 7, 250 ms a request, for aborting commands in flight.
	if [ "$fabric" = fastvhost ]; then
		TGT_UP_SLOW=$(tgt_slow "fv_${fabric}_slow" 250) &&
		tgt_lun "$fabric" "$wwn" 1 7 "$TGT_UP_SLOW" || return
		TGT_UP_SLOW_FILE=$(tgt_slow_file "fv_${fabric}_slowfile") &&
		tgt_lun "$fabric" "$wwn" 1 6 "$TGT_UP_SLOW_FILE" || return
		# LUN 5: formatted with T10 PI type 1, advertised only to
		# a guest that negotiated VIRTIO_SCSI_F_T10_PI (t10_pi.c).
		TGT_UP_PI=$(tgt_rd "fv_${fabric}_pi" 1024) &&
		tgt__w "$TGT_UP_PI/attrib/pi_prot_type" 1 &&
		tgt_lun "$fabric" "$wwn" 1 5 "$TGT_UP_PI" || return
		TGT_UP_BS="$TGT_UP_BS $TGT_UP_PI"
		TGT_UP_WWN2=${wwn%?}2
		[ "$TGT_UP_WWN2" != "$wwn" ] || TGT_UP_WWN2=${wwn%?}3
		fio=$(tgt_file "fv_${fabric}_file2" \
			"${TGT_DIR:-/tmp}/fv_${fabric}_file2.img" $((16 << 20))) || return
		TGT_UP_BS="$TGT_UP_BS $fio"
		tgt_tpg "$fabric" "$TGT_UP_WWN2" 1 &&
		tgt_lun "$fabric" "$TGT_UP_WWN2" 1 0 "$fio" &&
		tgt_nexus "$fabric" "$TGT_UP_WWN2" 1 || return
		export FV_SLOW_LUN=7 FV_SLOW_FILE_LUN=6 FV_PI_LUN=5 FV_WWN2=$TGT_UP_WWN2
	fi
	tgt_nexus "$fabric" "$wwn" 1 || return
	export FV_DEV FV_WWN=$wwn FV_TPGT=1 FV_LUNS=0,1
}

# tgt_down: undo tgt_up.
tgt_down() {
	local bs rc=0
	[ -n "${TGT_UP_WWN:-}" ] || return 0
	tgt_del "$TGT_UP_FABRIC" "$TGT_UP_WWN" || rc=1
	if [ -n "${TGT_UP_WWN2:-}" ]; then
		tgt_del "$TGT_UP_FABRIC" "$TGT_UP_WWN2" || rc=1
	fi
	for bs in $TGT_UP_BS; do
		tgt_bs_del "$bs" || rc=1
	done
	if [ -n "${TGT_UP_SLOW_FILE:-}" ]; then
		tgt_bs_del "$TGT_UP_SLOW_FILE" || rc=1
	fi
	if [ -n "${TGT_UP_SLOW:-}" ]; then
		tgt_slow_del "$TGT_UP_SLOW" || rc=1
	fi
	rm -f "${TGT_DIR:-/tmp}/fv_${TGT_UP_FABRIC}_file.img" \
		"${TGT_DIR:-/tmp}/fv_${TGT_UP_FABRIC}_file2.img"
	unset TGT_UP_WWN TGT_UP_WWN2 TGT_UP_FABRIC TGT_UP_BS TGT_UP_SLOW \
		TGT_UP_SLOW_FILE TGT_UP_PI FV_SLOW_LUN FV_SLOW_FILE_LUN FV_PI_LUN \
		FV_WWN2
	return $rc
}
