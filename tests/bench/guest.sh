#!/bin/sh
# One benchmark configuration, run inside the lab guest by tests/bench/run:
#   guest.sh CONFIG RAMP RUNTIME WORKLOADS
# CONFIG: nvme (the raw NVMe), bare (RAID-5, no journal), article (write-back
# journal with md's defaults via --no-tune, RapidDisk write-around), vnvme
# (write-back journal with vnvme's tuning, RapidDisk write-around),
# writecache (the bare RAID-5 under the kernel's dm-writecache on the same
# NVMe partition, what LVM's cachevol builds; made here with dmsetup),
# ramstack (vnvme's stack with kernel RAM disks as journal and members:
# what md's journal and RapidDisk's mapping cost the CPU alone; not in the
# default run).
# WORKLOADS: a space-separated subset of
#   hot_burst hot_steady large_steady sync seq read tcp ramdisk_read
#   tcp_ramdisk_read md_hot_burst md_sync (ramstack: on md0 itself)
# Every fio result is written as $VNVME_LAB_OUT/CONFIG-WORKLOAD.json.
#
# The method (fixed, so that runs compare):
#  - fresh sparse images each boot; the NVMe is preconditioned with zeros
#    (its first writes would otherwise allocate on the host); its one
#    partition (the whole NVMe) is the journal, or dm-writecache's cache;
#  - the array is consistent before anything is measured: the images are
#    zero, so is the parity, and it is created --assume-clean (no resync);
#  - before each measurement: sync, page cache dropped and, with a
#    write-back journal, the stripe cache drained (write-through until md's
#    stripe_cache_active is 0, then write-back again); dm-writecache gets
#    its "cleaner" message until every block is written back, then its table
#    again;
#  - 4 KiB random writes, QD16, direct, libaio, on a fixed hot set of 16 MiB
#    at offset 0: "burst" is one pass over it (each block once), "steady" is
#    RUNTIME seconds measured after a ramp of the same load that writes as
#    much as the NVMe partition holds (twice the set without one), capped at
#    RAMP s: a time-only ramp on a slow host ends before the journal has
#    filled, and measures the burst again. Where the HDDs set the rate from
#    the first writes (bare, and the article, whose 256-stripe cache is full
#    within a second at its 75-175 IOPS and whose journal never fills in any
#    ramp), the cap is HDD_RAMP (20 s): a longer ramp measured the same;
#  - each row also records the HDD I/Os it caused (CONFIG-NAME.hdd), which
#    do not depend on the host's speed;
#  - large: the same on a set three times the NVMe's size at offset 256 MiB
#    (three times what the journal holds); sync: 4 KiB random writes QD1
#    with O_SYNC; seq: 1 MiB sequential writes QD4 over 128 MiB after the
#    large set; read: 4 KiB random reads QD16 over 16 MiB at offset 64 MiB
#    through the RAM cache, a cold pass (each block once) then a warm
#    window of at most 5 s over the set; tcp: hot_steady and the warm
#    window (after one unmeasured pass) through NVMe/TCP on loopback, one
#    I/O queue; ramdisk_read and tcp_ramdisk_read (the nvme
#    configuration): the warm window on the kernel's RAM disk (brd),
#    locally and through NVMe/TCP, what this machine reads from RAM with
#    no cache logic at all: the ceilings of the warm reads here (under TCG
#    far below real hardware's). The large set runs last in every
#    configuration: what it leaves behind (a journal or a cache full of
#    random blocks) takes a minute or more to drain, and nothing is
#    measured after it.
set -u

CONFIG=$1
RAMP=$2
HDD_RAMP=$((RAMP < 20 ? RAMP : 20))
RUNTIME=$3
READ_SECS=$((RUNTIME < 5 ? RUNTIME : 5))
WORKLOADS=$4
OUT=${VNVME_LAB_OUT:?}
HDDS="/dev/sda /dev/sdb /dev/sdc /dev/sdd"
MEMBERS="/dev/sda1 /dev/sdb1 /dev/sdc1 /dev/sdd1"
NQN=nqn.2026-11.io.vnvme:bench
MiB=1048576
NVME_BYTES=$(($(cat /sys/block/nvme0n1/size) * 512))
LARGE=$((NVME_BYTES * 3 / MiB))M	# three times the journal (or cache)
SEQ_OFF=$((256 + NVME_BYTES * 3 / MiB + 64))M
WC=bench-wc	# dm-writecache's mapping

die() {
	echo "bench: $CONFIG: $*" >&2
	exit 1
}

step() {
	echo "+ $*"
	"$@" || die "'$*' failed"
}

wants() {
	case " $WORKLOADS " in *" $1 "*) return 0 ;; esac
	return 1
}

md() { cat "/sys/block/md0/md/$1" 2>/dev/null; }

# Quiesce: flush, drop the page cache, drain a write-back journal's stripes.
drain() {
	sync
	echo 1 >/proc/sys/vm/drop_caches
	# The oracles come from a 9p share whose 256 KiB messages need
	# high-order pages; with a large stripe cache they ran out and execs
	# failed ("fio: not found"): compact memory before each row.
	[ ! -w /proc/sys/vm/compact_memory ] || echo 1 >/proc/sys/vm/compact_memory
	if [ -e "/dev/mapper/$WC" ]; then
		# The cleaner writes every block back (status: error, total,
		# free, under writeback); the same table reloaded turns it off.
		dmsetup message "$WC" 0 cleaner || die "dm-writecache cleaner failed"
		t=$(($(cut -d. -f1 /proc/uptime) + 600))
		while [ "$(cut -d. -f1 /proc/uptime)" -lt $t ]; do
			set -- $(dmsetup status "$WC")
			[ "$5" != "$6" ] || [ "$7" != 0 ] || break
			sleep 0.5
		done
		table=$(dmsetup table "$WC")
		dmsetup reload "$WC" --table "$table" && dmsetup suspend "$WC" &&
			dmsetup resume "$WC" || die "dm-writecache reload failed"
		echo "drained: dm-writecache $(dmsetup status "$WC" | cut -d' ' -f4-7)"
		return 0
	fi
	[ -e /sys/block/md0/md ] || return 0
	case $(md journal_mode) in
	*"[write-back]"*)
		echo write-through >/sys/block/md0/md/journal_mode
		i=0
		while [ "$(md stripe_cache_active)" != 0 ] && [ $i -lt 600 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		echo write-back >/sys/block/md0/md/journal_mode
		;;
	esac
	echo "drained: stripe_cache_active $(md stripe_cache_active)"
}

# Reads + writes completed by the four HDDs (Documentation/block/stat.rst).
hdd_ios() {
	cat /sys/block/sd[a-d]/stat | awk '{ n += $1 + $5 } END { print n }'
}

# Writes and flushes completed by the NVMe (fields 5 and 16 of its stat:
# write I/Os, flush I/Os; 15 is the time spent on discards).
nvme_ios() {
	awk '{ print $5, $16 }' /sys/block/nvme0n1/stat
}

# The guest's CPU time, busy and idle (iowait counts as idle), in ticks.
cpu_ticks() {
	awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6 }' /proc/stat
}

# fio_job NAME DEV RW BS QD OFFSET SIZE [extra fio args]: one job, JSON out,
# the HDD I/Os it caused in CONFIG-NAME.hdd, the NVMe's writes and flushes
# in CONFIG-NAME.nvme, the share of the guest's CPUs busy meanwhile in
# CONFIG-NAME.cpu (percent).
fio_job() {
	name=$1 dev=$2 rw=$3 bs=$4 qd=$5 off=$6 size=$7
	shift 7
	h0=$(hdd_ios)
	n0=$(nvme_ios)
	c0=$(cpu_ticks)
	fio --name="$name" --filename="$dev" --rw="$rw" --bs="$bs" --iodepth="$qd" \
		--ioengine=libaio --direct=1 --offset="$off" --size="$size" --randrepeat=1 \
		--output-format=json "$@" >"$OUT/$CONFIG-$name.json" ||
		die "fio $name on $dev failed"
	echo $(($(hdd_ios) - h0)) >"$OUT/$CONFIG-$name.hdd"
	set -- $n0 $(nvme_ios) $c0 $(cpu_ticks)
	echo "$(($3 - $1)) $(($4 - $2))" >"$OUT/$CONFIG-$name.nvme"
	echo $((100 * ($7 - $5) / ($7 - $5 + $8 - $6 + 1))) >"$OUT/$CONFIG-$name.cpu"
	printf '%s %s: ' "$CONFIG" "$name"
	jq -r --arg h "$(cat "$OUT/$CONFIG-$name.hdd")" --arg n "$(cat "$OUT/$CONFIG-$name.nvme")" \
		--arg c "$(cat "$OUT/$CONFIG-$name.cpu")" '.jobs[0] |
		if .write.io_bytes > 0 then "write \(.write.iops | floor) IOPS, \(.write.bw) KiB/s"
		else "read \(.read.iops | floor) IOPS" end +
		", \($h) HDD I/Os, NVMe writes/flushes \($n | sub(" "; "/")), CPU \($c)% busy"' \
		"$OUT/$CONFIG-$name.json"
}

# The ramp before a steady window: the same load until the NVMe partition's
# size (the journal or dm-writecache's cache; twice the set without one) is
# written, at most RAMP s (HDD_RAMP s where the HDDs set the rate).
ramp_bytes() {	# ramp_bytes SET_BYTES
	case $CONFIG in
	article | vnvme | writecache) echo $(($(cat /sys/class/block/nvme0n1p1/size) * 512)) ;;
	*) echo $((2 * $1)) ;;
	esac
}

ramp_secs() {
	case $CONFIG in
	bare | article) echo "$HDD_RAMP" ;;
	*) echo "$RAMP" ;;
	esac
}

steady() {	# steady NAME DEV OFFSET SIZE SIZE_BYTES
	fio --name=ramp --filename="$2" --rw=randwrite --bs=4k --iodepth=16 \
		--ioengine=libaio --direct=1 --offset="$3" --size="$4" --randrepeat=0 \
		--io_size="$(ramp_bytes "$5")" --runtime="$(ramp_secs)" --output-format=terse \
		--terse-version=3 >"$OUT/$CONFIG-$1.ramp" || die "fio ramp for $1 failed"
	echo "$CONFIG $1: ramp wrote $(cut -d';' -f47 "$OUT/$CONFIG-$1.ramp") KiB"
	fio_job "$1" "$2" randwrite 4k 16 "$3" "$4" --randrepeat=0 --time_based \
		--runtime="$RUNTIME"
}

write_workloads() {	# write_workloads DEV [PREFIX]: rows named PREFIX<workload>
	dev=$1 wp=${2:-}
	if wants "${wp}hot_burst"; then drain; fio_job "${wp}hot_burst" "$dev" randwrite 4k 16 0 16M; fi
	if wants "${wp}hot_steady"; then drain; steady "${wp}hot_steady" "$dev" 0 16M 16777216; fi
	if wants "${wp}sync"; then
		drain
		fio_job "${wp}sync" "$dev" randwrite 4k 1 32M 16M --sync=1 --ioengine=psync \
			--time_based --runtime="$RUNTIME"
	fi
	if wants "${wp}seq"; then drain; fio_job "${wp}seq" "$dev" write 1M 4 "$SEQ_OFF" 128M; fi
	return 0
}

# Last in every configuration: what it leaves behind (dm-writecache: half
# its cache dirty with random blocks; the journal: its stripes) takes
# minutes to write back.
large_workload() {	# large_workload DEV
	wants large_steady || return 0
	drain
	steady large_steady "$1" 256M "$LARGE" $((${LARGE%M} * MiB))
}

read_workloads() {	# read_workloads DEV
	wants read || return 0
	drain
	fio_job cold_read "$1" randread 4k 16 64M 16M
	read_window warm_read "$1" 64M
}

# A warm read: READ_SECS s over the set. One pass (each block once) lasts
# 0.2 s at these rates; three of them measured 27,306, 22,382 and 24,975
# IOPS.
read_window() {	# read_window NAME DEV OFFSET
	fio_job "$1" "$2" randread 4k 16 "$3" 16M --time_based --runtime="$READ_SECS"
}

# An unmeasured pass of the warm read's workload (TCG translates the code
# a path runs the first time it runs it: a first pass over brd measured
# 30,340 IOPS, a 10 s window right after it 41,365).
read_pass() {	# read_pass DEV OFFSET
	fio --name=warmup --filename="$1" --rw=randread --bs=4k --iodepth=16 \
		--ioengine=libaio --direct=1 --offset="$2" --size=16M \
		--output-format=terse >/dev/null || die "fio warm-up on $1 failed"
}

# The ceiling of a read served from RAM on this machine: brd, written first
# (a page never written reads as zeros without being looked up), one
# unmeasured pass as the warm read had the cold one; tcp: the same through
# NVMe/TCP, what the transport alone carries (tcp_warm_read's ceiling).
ramdisk_workload() {
	wants ramdisk_read || wants tcp_ramdisk_read || return 0
	step modprobe brd rd_nr=1 rd_size=$((32 * 1024))
	step dd if=/dev/urandom of=/dev/ram0 bs=1M count=16 status=none
	drain
	if wants ramdisk_read; then
		read_pass /dev/ram0 0
		read_window ramdisk_read /dev/ram0 0
	fi
	if wants tcp_ramdisk_read; then
		tcp_connect /dev/ram0
		read_pass "$ns" 0
		read_window tcp_ramdisk_read "$ns" 0
		tcp_disconnect
	fi
}

# DEV exported over NVMe/TCP on loopback and connected: its namespace in $ns.
tcp_connect() {	# tcp_connect DEV
	step vnvme export create "$1" --nqn "$NQN" --addr 127.0.0.1 --port 4420 \
		--allow-host "$(cat /etc/nvme/hostnqn)"
	# One I/O queue: under TCG, two queues (one per vCPU) bounce every I/O
	# between the vCPUs (4 KiB random reads QD16 of the raw NVMe over
	# loopback: 1,062 IOPS with two queues, 2,872 with one).
	step vnvme connect -t tcp -n "$NQN" -a 127.0.0.1 -s 4420 --nr-io-queues 1
	ns=$(vnvme list --json | jq -r --arg n "$NQN" '.devices[] | select(.nqn == $n) | .node')
	[ -b "$ns" ] || die "no namespace for $NQN"
}

tcp_disconnect() {
	step vnvme disconnect "$NQN"
	step vnvme export delete "$NQN"
}

tcp_workload() {	# tcp_workload DEV
	wants tcp || return 0
	tcp_connect "$1"
	drain
	steady tcp_steady "$ns" 0 16M 16777216
	# The warm read: the RAM cache holds the set since read_workloads; one
	# unmeasured pass first, as the local warm read had the cold one.
	read_pass "$ns" 64M
	read_window tcp_warm_read "$ns" 64M
	tcp_disconnect
}

# The array, built as the configuration says, recovered, journal as wanted.
build_array() {	# build_array [--journal] [create options...]
	journal=
	if [ "${1:-}" = --journal ]; then
		journal="--journal /dev/nvme0n1p1"
		shift
	fi
	# shellcheck disable=SC2086
	step vnvme partition $HDDS ${journal:+/dev/nvme0n1} ${NVME_PART:+/dev/nvme0n1}
	# shellcheck disable=SC2086
	# The images are fresh and zero, so is every stripe's parity: the
	# array is consistent from the start (md's check would find 0
	# mismatches), and --assume-clean spares each boot a resync.
	step vnvme raid create /dev/md0 --level 5 --assume-clean $journal "$@" $MEMBERS
	step vnvme raid wait /dev/md0
	[ -z "$journal" ] || step vnvme journal-mode /dev/md0 write-back
	echo "md0: stripe_cache_size $(md stripe_cache_size), group_thread_cnt" \
		"$(md group_thread_cnt), journal_mode $(md journal_mode)"
	size=$(($(cat /sys/block/md0/size) * 512))
	[ "$size" -ge $(((${SEQ_OFF%M} + 128) * MiB)) ] ||
		die "the array ($((size / MiB)) MiB) is too small for the sets (--hdd-size)"
}

# dm-writecache over the bare array, on the NVMe's partition: 4 KiB blocks,
# its defaults (write-back from 50% full down to 45%, FUA on).
build_writecache() {
	NVME_PART=1
	build_array
	step dmsetup create "$WC" --table \
		"0 $(cat /sys/block/md0/size) writecache s /dev/md0 /dev/nvme0n1p1 4096 0"
	# No udev in the lab: dmsetup makes the node itself.
	step dmsetup mknodes "$WC"
	[ -b "/dev/mapper/$WC" ] || die "no /dev/mapper/$WC"
	echo "$WC: $(dmsetup table "$WC")"
}

step dd if=/dev/zero of=/dev/nvme0n1 bs=1M oflag=direct status=none \
	count=$(($(cat /sys/block/nvme0n1/size) / 2048))
case $CONFIG in
nvme)
	write_workloads /dev/nvme0n1
	ramdisk_workload
	;;
bare)
	build_array
	write_workloads /dev/md0
	large_workload /dev/md0
	;;
article | vnvme)
	if [ "$CONFIG" = article ]; then build_array --journal --no-tune; else build_array --journal; fi
	step vnvme cache attach /dev/md0 --size 32M --mode wa
	# Not $dev: fio_job sets that one (sh has no locals), last to the
	# NVMe/TCP namespace, gone after tcp_workload.
	drive=/dev/mapper/rc-wa_md0
	write_workloads "$drive"
	read_workloads "$drive"
	tcp_workload "$drive"
	large_workload "$drive"
	;;
ramstack)
	# Five 128 MiB RAM disks: four members, the journal. Under TCG brd
	# copies on the vCPU (9 us a 4 KiB write at QD1), the NVMe in QEMU's
	# own thread: a bound on md's and RapidDisk's share, not a measure
	# of the stack over real devices.
	step modprobe brd rd_nr=5 rd_size=$((128 * 1024))
	step vnvme raid create /dev/md0 --level 5 --assume-clean --journal /dev/ram4 \
		/dev/ram0 /dev/ram1 /dev/ram2 /dev/ram3
	step vnvme raid wait /dev/md0
	step vnvme journal-mode /dev/md0 write-back
	step vnvme cache attach /dev/md0 --size 32M --mode wa
	write_workloads /dev/mapper/rc-wa_md0
	write_workloads /dev/md0 md_
	;;
writecache)
	build_writecache
	write_workloads "/dev/mapper/$WC"
	large_workload "/dev/mapper/$WC"
	;;
*)
	die "unknown configuration (nvme, bare, article, vnvme, writecache, ramstack)"
	;;
esac
# No teardown: the images are thrown away, and stopping the array would
# wait for the large set's stripes to reach the HDDs (a minute or more).
echo "bench: $CONFIG: done"
