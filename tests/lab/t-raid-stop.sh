#!/bin/sh
# lab-run: --throttle 150 --smp 2 --timeout 900
# A stop that cannot hang: journal in write-back, stripe_cache_size 8192,
# throttled HDDs, 12 s of 4 KiB random writes, then `vnvme raid stop`
# (the hang it guards against came in the first round; `make soak` repeats
# the round 100 times, make check once). The same
# load followed by `mdadm --stop` hangs md in raid5_quiesce
# (tests/lab/capture/md-stop-control.sh; on 6.12 vnvme's stop hung too in
# the first round before it turned the journal disk's discard off). A last
# round switches the journal to write-through with vnvme
# after the load and lets mdadm stop the array: from Linux 6.7 a plain switch
# leaves cached stripes behind and that stop hits a kernel BUG
# (r5c_make_stripe_write_out). Each stop must end within a bound; mdadm then
# assembles a clean array and fio verifies every block of a separate
# verified job written before the stop. The journal disk's discard, off
# during vnvme's quiesce, is back after it (6.1), or vnvme warns that the
# kernel keeps it off (6.12 refuses every value once it was 0).
#
#   tests/lab/run --throttle 150 --smp 2 tests/lab/t-raid-stop.sh [ROUNDS [LOAD]]
#
# ROUNDS (default 2; `make soak` runs 100) rounds of LOAD seconds of load
# (default 12) each: two stops and two assemblies a round (vnvme's stop,
# mdadm's assemble, mdadm's stop, vnvme's assemble; the last round stops
# with mdadm after vnvme's switch). At the end no task may have hung (the
# guest's hung-task timeout is 20 s).
. "$VNVME_LAB_LIB"

ROUNDS=${1:-2}
LOAD=${2:-12}
[ -w /proc/sys/kernel/hung_task_timeout_secs ] &&
	echo 20 >/proc/sys/kernel/hung_task_timeout_secs

MEMBERS="/dev/sda1 /dev/sdb1 /dev/sdc1 /dev/sdd1"
J=/dev/nvme0n1p1
BOUND=60	# seconds a stop may take

check vnvme partition /dev/sda /dev/sdb /dev/sdc /dev/sdd /dev/nvme0n1
# shellcheck disable=SC2086
check vnvme raid create /dev/md0 --level 5 --journal $J --assume-clean $MEMBERS

now() { cut -d' ' -f1 /proc/uptime; }

job() {	# job SEED extra-args...: 8 MiB of verified 4 KiB random writes in the first 64 MiB
	seed=$1
	shift
	fio --name=w --filename=/dev/md0 --rw=randwrite --bs=4k --iodepth=16 \
		--ioengine=libaio --direct=1 --size=64M --io_size=8M --randseed="$seed" \
		--verify=crc32c --do_verify=0 --output-format=terse "$@"
}

load() {	# LOAD s of 4 KiB random writes, QD16, over the rest of the array
	fio --name=load --filename=/dev/md0 --rw=randwrite --bs=4k --iodepth=16 \
		--ioengine=libaio --direct=1 --offset=64M --size=636M --time_based \
		--runtime="$LOAD" --randseed="$1" --output-format=terse
}

DISCARD=$(cat /sys/block/nvme0n1/queue/discard_max_bytes)	# vnvme puts it back
for i in $(seq $ROUNDS); do
	check vnvme journal-mode /dev/md0 write-back
	check sh -c 'echo 8192 > /sys/block/md0/md/stripe_cache_size'
	check job "$i"
	check load "$i"
	echo "round $i: stripe_cache_active $(cat /sys/block/md0/md/stripe_cache_active)" \
		"array_state $(cat /sys/block/md0/md/array_state)"
	t0=$(now)
	if [ "$i" -lt "$ROUNDS" ]; then
		how="vnvme raid stop"
		timeout "$BOUND" vnvme raid stop /dev/md0 >/tmp/stop.out 2>&1
	else
		how="vnvme journal-mode write-through, mdadm --stop"
		timeout "$BOUND" vnvme journal-mode /dev/md0 write-through >/tmp/stop.out 2>&1 &&
			timeout "$BOUND" mdadm --stop /dev/md0
	fi
	rc=$?
	sed 's/^/    /' /tmp/stop.out
	t1=$(now)
	echo "round $i: $how: exit $rc in $(echo "$t1 - $t0" | bc 2>/dev/null || echo "$t0..$t1") s"
	if [ "$rc" -eq 0 ]; then ok "round $i: stop finished ($t0 -> $t1)"; else
		fail "round $i: stop exit $rc"; break; fi
	d=$(cat /sys/block/nvme0n1/queue/discard_max_bytes)
	if [ "$d" = "$DISCARD" ]; then
		ok "round $i: nvme0n1's discard_max_bytes is $d again"
	elif [ "$d" = 0 ] && grep -q '^vnvme: .*warning: discard stays off on nvme0n1' /tmp/stop.out; then
		ok "round $i: discard_max_bytes stays 0 and vnvme warned"
		DISCARD=0
	else
		fail "round $i: discard_max_bytes $d (was $DISCARD), no warning"
	fi
	# shellcheck disable=SC2086
	expect_output 'has been started with 4 drives and 1 journal' \
		mdadm --assemble /dev/md0 $MEMBERS $J
	expect_output -e 'State : clean *$' -e 'Active Devices : 4' -- mdadm --detail /dev/md0
	check job "$i" --verify_only
	[ "$i" -lt "$ROUNDS" ] || break
	check mdadm --stop /dev/md0
	# shellcheck disable=SC2086
	check vnvme raid assemble /dev/md0 $MEMBERS $J
done
check vnvme raid stop /dev/md0
if dmesg | grep -q 'blocked for more than'; then
	fail "a task hung: $(dmesg | grep -m 3 -A 3 'blocked for more than')"
else
	ok "$i rounds of load, stop and assemble: no task hung"
fi
finish
