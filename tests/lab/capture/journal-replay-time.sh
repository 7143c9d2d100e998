#!/bin/sh
# How long md takes to replay a full write-back journal after a power cut
# (issue 11: a journal that takes hours to replay is an outage).
#
#   tests/lab/run --boots 2 --throttle 150 --hdd-size 512M --nvme-size 300M \
#       --mem 2048 --timeout 3600 tests/lab/capture/journal-replay-time.sh [MIB [HOT]]
#
# Boot 1: RAID-5 over four throttled HDDs (150 IOPS: md destages slowly),
# a 256 MiB journal partition in write-back, stripe cache 8192; MIB (default
# 192) MiB of 4 KiB random writes QD16 over the first HOT MiB (default 96,
# what 8192 cached stripes of three data blocks hold: md keeps every
# write-back stripe in RAM too, so the cache, not the journal, bounds what
# is pending), at most 180 s; then the power is cut (no sync, no stop).
# Boot 2: the array is assembled with vnvme (md reads the log from its last
# checkpoint and writes every stripe it finds before the array runs); the
# time it took, the stripes md recovered, and the time a GiB of log would
# take at that rate are printed. The figures are the lab's (TCG, throttled
# disks): the method, not the number, carries to real hardware.
# Measured on 6.1: 192 MiB written in 102 s (the journal filled, then the
# writes went at the HDDs' pace); 1897 data-only and 17 data-parity
# stripes replayed in 30.8 s (62 stripes/s), parity clean after.
. "$VNVME_LAB_LIB"

MIB=${1:-192}
HOT=${2:-96}
OUT=$VNVME_LAB_OUT
MEMBERS="/dev/sda1 /dev/sdb1 /dev/sdc1 /dev/sdd1"

ms() { awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime; }

if [ "${VNVME_LAB_BOOT:-1}" = 1 ]; then
	check vnvme partition /dev/sda /dev/sdb /dev/sdc /dev/sdd
	check sh -c 'printf "label: gpt\nstart=2048, size=524288\n" | sfdisk -q /dev/nvme0n1'
	wait_until 50 test -b /dev/nvme0n1p1
	# shellcheck disable=SC2086
	check vnvme raid create /dev/md0 --level 5 --journal /dev/nvme0n1p1 --assume-clean \
		--no-tune $MEMBERS
	check vnvme journal-mode /dev/md0 write-back
	check vnvme raid tune /dev/md0 --stripe-cache-size 8192
	t0=$(ms)
	check fio --name=fill --filename=/dev/md0 --rw=randwrite --bs=4k --iodepth=16 \
		--ioengine=libaio --direct=1 --size="${HOT}M" --io_size="${MIB}M" --randseed=7 \
		--runtime=180 --output-format=terse
	echo "wrote $MIB MiB (at most) in $(($(ms) - t0)) ms; stripe_cache_active" \
		"$(cat /sys/block/md0/md/stripe_cache_active)"
	echo "$MIB" >"$OUT/mib"
	power_cut
fi

t0=$(ms)
# shellcheck disable=SC2086
check vnvme raid assemble --no-tune /dev/md0 $MEMBERS /dev/nvme0n1p1
t=$(($(ms) - t0))
rec=$(dmesg | grep -o 'recovering [0-9]* data-only stripes and [0-9]* data-parity stripes')
echo "assembled in $t ms: md $rec"
stripes=$(echo "$rec" | awk '{ print $2 + $7 }')
# Each stripe md replays holds at least one 4 KiB block of the log; a GiB of
# log holding random 4 KiB writes is 262144 stripes.
echo "replay: $(cat "$OUT/mib") MiB written before the cut; $stripes stripes" \
	"replayed in $t ms: $((stripes * 1000 / (t + 1))) stripes/s, so a GiB of log" \
	"of random 4 KiB writes would take about $((262144 * (t + 1) / (stripes + 1) / 60000))" \
	"min at this rate"
expect_output '^0$' md_check md0
check vnvme raid stop /dev/md0
finish
