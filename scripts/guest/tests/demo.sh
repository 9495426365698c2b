# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash disable=SC2013,SC2012 # words of /proc/cmdline; sysfs names
# The guest half of "make demo" (scripts/demo): describe the disk, run a
# short fio job, and print what a person wants to see as "FVDEMO: " lines.
# Before powering off it prints "FVDEMO-STATS-NOW" and waits a few seconds
# so that the host can read the target's statistics while the guest is
# still attached. fvdemosecs=N sets fio's run time (default 10).

secs=10
for w in $(cat /proc/cmdline); do
	case $w in
	fvdemosecs=*) secs=${w#fvdemosecs=} ;;
	esac
done

# Two sections: "FVDEMO: disk ..." and "FVDEMO: fio ...".
show() { echo "FVDEMO: disk $*"; }

need_fio
dev=$FV_DEV
name=$FV_DISK
bytes=$(disk_bytes) || fail "cannot read the size of $dev"
sysdev=/sys/block/$name/device
show "$dev: $((bytes / 1048576)) MiB," \
	"$(sed 's/ *$//' "$sysdev/vendor") $(sed 's/ *$//' "$sysdev/model")" \
	"rev $(sed 's/ *$//' "$sysdev/rev"), SCSI $(basename "$(readlink -f "$sysdev")")," \
	"$(ls -d /sys/block/"$name"/mq/* | wc -l) request queues, $(nproc) vCPUs"
sg_inq "$dev" >/tmp/inq 2>&1 || fail "sg_inq $dev failed"
sed -n 's/^ *\(Vendor identification\|Product identification\|Product revision level\): */\1: /p' \
	/tmp/inq | while IFS= read -r l; do show "  sg_inq: $l"; done
l=$(sg_inq --page=0x80 "$dev" 2>/dev/null | sed -n 's/^ *Unit serial number: */unit serial: /p')
[ -z "$l" ] || show "  sg_inq: $l"
l=$(sg_readcap --long "$dev" 2>/dev/null | sed -n 's/^ *Device size: *//p' | head -n1)
[ -z "$l" ] || show "  sg_readcap: $l"

fio --name=demo --filename="$dev" --direct=1 --ioengine=libaio --rw=randrw \
	--bs=4k --iodepth=16 --numjobs=2 --cpus_allowed="0-$(($(nproc) - 1))" \
	--cpus_allowed_policy=split --time_based --runtime="$secs" \
	--group_reporting >/tmp/fio.out 2>&1 || {
	sed 's/^/  /' /tmp/fio.out
	fail "fio failed"
}
sed 's/^/  /' /tmp/fio.out
# fio's own summary: IOPS and bandwidth, completion latency and its
# percentiles, and the run status lines.
awk '
/^ *(read|write): IOPS=/ { sub(/^ */, ""); print; dir = $1; next }
/^ *clat \((usec|msec|nsec)\)/ { sub(/^ */, ""); print "  " $0; next }
/^ *clat percentiles/ { pct = 1; unit = $3; next }
pct && /50\.00th|99\.00th|99\.90th/ {
	while (match($0, /(50\.00th|99\.00th|99\.90th)=\[ *[0-9]+\]/)) {
		p = substr($0, RSTART, RLENGTH); gsub(/ /, "", p); out = out " " p
		$0 = substr($0, RSTART + RLENGTH)
	}
	next
}
pct && /^ *\|/ { next }
pct { if (out != "") print "  clat percentiles " unit out; pct = 0; out = "" }
/^ *(READ|WRITE):/ { sub(/^ */, ""); print }
' /tmp/fio.out | while IFS= read -r l; do echo "FVDEMO: fio $l"; done
echo "FVDEMO-STATS-NOW"
sleep 3
