#!/bin/sh
# Control for t-raid-stop.sh (not a scenario: it is expected to hang the
# guest): the same load, then mdadm --stop without draining the journal.
#   tests/lab/run --throttle 150 --timeout 240 tests/lab/capture/md-stop-control.sh [vnvme]
MEMBERS="/dev/sda1 /dev/sdb1 /dev/sdc1 /dev/sdd1"
vnvme partition /dev/sda /dev/sdb /dev/sdc /dev/sdd /dev/nvme0n1 >/dev/null
vnvme raid create /dev/md0 --level 5 --journal /dev/nvme0n1p1 --assume-clean $MEMBERS
for i in 1 2 3; do
	vnvme journal-mode /dev/md0 write-back
	echo ${3:-4096} > /sys/block/md0/md/stripe_cache_size
	fio --name=w --filename=/dev/md0 --rw=randwrite --bs=4k --iodepth=16 \
		--ioengine=libaio --direct=1 --size=700M --time_based --runtime=${2:-5} --randseed=$i \
		--output-format=terse >/dev/null
	echo "round $i: $(cat /sys/block/md0/md/array_state) $(cat /sys/block/md0/md/journal_mode)"
	t0=$(cut -d' ' -f1 /proc/uptime)
	if [ "$1" = vnvme ]; then vnvme raid stop /dev/md0 & else mdadm --stop /dev/md0 & fi
	pid=$!
	n=0
	while kill -0 $pid 2>/dev/null && [ $n -lt 90 ]; do sleep 1; n=$((n + 1)); done
	if kill -0 $pid 2>/dev/null; then
		echo "round $i: $1 stop still running after 90 s: $(cat /sys/block/md0/md/array_state)"
		grep State /proc/$pid/status
		cat /proc/$pid/stack
		echo w > /proc/sysrq-trigger
		dmesg | tail -n 60
		exit 1
	fi
	wait $pid
	echo "round $i: stop exit $? after $t0 -> $(cut -d' ' -f1 /proc/uptime) s"
	grep -q '^md0 : active' /proc/mdstat && { echo "round $i: md0 still active: $(cat /sys/block/md0/md/array_state)"; cat /proc/mdstat; exit 1; }
	mdadm --assemble /dev/md0 $MEMBERS /dev/nvme0n1p1
done
echo "0 passed, 0 failed"
