#!/bin/sh
# lab-run: --throttle 150 --smp 2 --timeout 900
# vnvme's md tuning on the real kernel: `raid create` and `raid assemble`
# set stripe_cache_size by vnvme's rule (recomputed here in sh from sysfs and
# /proc/meminfo), `--no-tune` leaves md's 256, `raid tune` changes and shows
# them (read back from /sys/block/md0/md/), md forgets them at every start
# (mdadm --assemble gives 256), mdadm --detail sees the same array. And fio:
# one pass of 4 KiB random writes over an 8 MiB hot set (2048 writes),
# journal in write-back, on throttled HDDs: with md's defaults the HDDs do
# more I/Os than fio wrote (md flushes and read-modify-writes at once); with
# vnvme's tuning the journal absorbs the pass and the HDDs do almost none.
# That count does not depend on the host's load; the IOPS, which do, are
# printed (on a loaded 2-core host, four runs: 56 to 121 against 218 to 330).
# The members' write caches: create, assemble and tune --defaults turn them
# off on an array with a journal, judged by sdparm (the caching mode page, read from the
# disk: QEMU's scsi-hd takes the MODE SELECT); --keep-write-cache keeps them
# and is warned of; the journal's own cache is left alone.
. "$VNVME_LAB_LIB"

MEMBERS="/dev/sda1 /dev/sdb1 /dev/sdc1 /dev/sdd1"
DISKS="sda sdb sdc sdd"
J=/dev/nvme0n1p1
MD=/sys/block/md0/md
WRITES=2048	# 8 MiB / 4 KiB

sysval() { cat "$MD/$1"; }

# vnvme's rule, from what the kernel shows: 2 x (journal log / 28 KiB)
# stripes rounded up to 256, within 256..32768 and 1/8 of MemTotal at
# 4 KiB x raid_disks per stripe.
rule() {
	jkib=$(cat "$MD/dev-nvme0n1p1/size")
	disks=$(sysval raid_disks)
	memkib=$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)
	want=$(( (2 * (jkib / 28) + 255) / 256 * 256 ))
	cap=$(( memkib / 8 / (4 * disks) ))
	[ "$cap" -ge 256 ] || cap=256
	[ "$want" -le 32768 ] || want=32768
	[ "$want" -le "$cap" ] || want=$cap
	[ "$want" -ge 256 ] || want=256
	echo "$want"
}

expect_sysval() {	# expect_sysval ATTR VALUE WHAT
	v=$(sysval "$1")
	if [ "$v" = "$2" ]; then ok "$3: $1 = $v"; else fail "$3: $1 = $v, expected $2"; fi
}

# reads + writes completed by the four HDDs (Documentation/block/stat.rst)
hdd_ios() {
	cat /sys/block/sd[a-d]/stat | awk '{ n += $1 + $5 } END { print n }'
}

# burst NAME: one pass over an 8 MiB hot set (each block once), QD16; sets
# iops and hdd (HDD I/Os during the pass).
burst() {
	sync
	h0=$(hdd_ios)
	iops=$(fio --name=burst --filename=/dev/md0 --rw=randwrite --bs=4k --iodepth=16 \
		--ioengine=libaio --direct=1 --size=8M --randrepeat=1 \
		--output-format=json | jq '.jobs[0].write.iops | floor')
	h1=$(hdd_ios)
	iops=${iops:-0}
	hdd=$((h1 - h0))
	echo "$1: $iops IOPS, $((h1 - h0)) HDD I/Os for $WRITES writes," \
		"stripe_cache_size $(sysval stripe_cache_size)"
}

# The QEMU NVMe is a sparse file: its first writes allocate on the host.
check dd if=/dev/zero of=/dev/nvme0n1 bs=1M oflag=direct \
	count=$(($(cat /sys/block/nvme0n1/size) / 2048))
check vnvme partition /dev/sda /dev/sdb /dev/sdc /dev/sdd /dev/nvme0n1

# --- md's defaults: --no-tune (the write caches are not tuning: turned off)
expect_wce 1 "QEMU's default" $DISKS
# shellcheck disable=SC2086
expect_output '^/dev/sda turned off,/dev/sdb turned off,/dev/sdc turned off,/dev/sdd turned off$' \
	sh -c "vnvme raid create /dev/md0 --level 5 --journal $J --assume-clean --no-tune --json \
	$MEMBERS | tee /tmp/create.json | jq -r '[.write_caches[] | \"\\(.disk) \\(.state)\"] | join(\",\")'"
check json-contract /tmp/create.json
expect_wce 0 "create" $DISKS
expect_output '^write back$' cat /sys/block/nvme0n1/queue/write_cache
expect_sysval stripe_cache_size 256 "create --no-tune"
expect_sysval group_thread_cnt 0 "create --no-tune"
check vnvme journal-mode /dev/md0 write-back
burst default
default_iops=$iops default_hdd=$hdd
if [ "$default_hdd" -ge "$WRITES" ]; then
	ok "md's defaults: the HDDs did $default_hdd I/Os for $WRITES writes"
else
	fail "md's defaults: the HDDs did only $default_hdd I/Os for $WRITES writes"
fi
check vnvme raid stop /dev/md0

# --- vnvme's tuning: create applies the rule
# (the caches back on, outside vnvme; kept: the four members are warned of)
for f in /sys/block/sd[a-d]/device/scsi_disk/*/cache_type; do
	echo "write back" >"$f"
done
expect_wce 1 "turned back on by hand" $DISKS
# shellcheck disable=SC2086
expect_output -e 'tuned: stripe_cache_size [0-9]+' -e 'hot set up to [0-9.]+ MiB at NVMe speed' \
	-e 'md0: 4 of its members keep a volatile write cache' -- \
	vnvme raid create /dev/md0 --force --level 5 --journal $J --assume-clean \
	--keep-write-cache $MEMBERS
expect_wce 1 "create --keep-write-cache" $DISKS
want=$(rule)
expect_sysval stripe_cache_size "$want" "create"
expect_sysval group_thread_cnt 0 "create"
expect_output "\"stripe_cache_size\": $want" sh -c 'vnvme raid tune /dev/md0 --json | jq .default'
# the replay bound: the journal's log, in 4 KiB stripes (a small one: no warning)
jkib=$(cat /sys/block/md0/md/dev-nvme0n1p1/size)
expect_output "^$((jkib / 4)) false 4\$" sh -c 'vnvme raid tune /dev/md0 --json |
	jq -r ".journal_advice | \"\\(.replay_stripes_max) \\(.replay_slow) \\(.volatile_members)\""'
check vnvme journal-mode /dev/md0 write-back
burst tuned
tuned_iops=$iops tuned_hdd=$hdd
if [ "$tuned_hdd" -le $((WRITES / 20)) ]; then
	ok "vnvme's tuning: the journal absorbed the pass ($tuned_hdd HDD I/Os for $WRITES writes)"
else
	fail "vnvme's tuning: the HDDs did $tuned_hdd I/Os for $WRITES writes (more than 5%)"
fi
echo "write-back burst: md's defaults $default_iops IOPS, vnvme's tuning $tuned_iops IOPS" \
	"(x$(echo "$tuned_iops $default_iops" | awk '{ printf "%.2f", $1 / ($2 ? $2 : 1) }'))"

# --- raid tune: show, change, dry run, defaults, refusals
expect_output -e "stripe_cache_size $want " -e 'group_thread_cnt 0' -- vnvme raid tune /dev/md0
check vnvme raid tune /dev/md0 --stripe-cache-size 1024 --group-thread-cnt 1
expect_sysval stripe_cache_size 1024 "raid tune"
expect_sysval group_thread_cnt 1 "raid tune"
expect_output 'stripe_cache_size' vnvme raid tune /dev/md0 --dry-run --stripe-cache-size 2048
expect_sysval stripe_cache_size 1024 "raid tune --dry-run"
expect_output -e '"stripe_cache_size": 1024' -e '"changed": false' -- vnvme raid tune /dev/md0 --json
expect_output 'write caches off: sda, sdb, sdc, sdd ' vnvme raid tune /dev/md0 --defaults
expect_wce 0 "raid tune --defaults" $DISKS
expect_sysval stripe_cache_size "$want" "raid tune --defaults"
expect_sysval group_thread_cnt 0 "raid tune --defaults"
expect_error 2 'not within 17..32768' vnvme raid tune /dev/md0 --stripe-cache-size 40000
expect_error 2 'not a number' vnvme raid tune /dev/md0 --stripe-cache-size=-1
# written as the next word, -1 looks like an option and is refused as such
expect_error 2 "needs a value, not '-1'" vnvme raid tune /dev/md0 --stripe-cache-size -1
expect_sysval stripe_cache_size "$want" "refused values"
expect_output -e 'State : clean *$' -e 'Active Devices : 4' -e 'journal' -- mdadm --detail /dev/md0

# --- md forgets at every start, disks their caches' setting at power-on
# (made here by hand); assemble re-applies both
check vnvme raid stop /dev/md0
for f in /sys/block/sd[a-d]/device/scsi_disk/*/cache_type; do
	echo "write back" >"$f"
done
# shellcheck disable=SC2086
expect_output 'write caches off: sda, sdb, sdc, sdd ' vnvme raid assemble /dev/md0 $MEMBERS $J
expect_wce 0 "assemble" $DISKS
expect_output '"volatile_members": 0' sh -c 'vnvme raid tune /dev/md0 --json | jq .journal_advice'
expect_sysval stripe_cache_size "$want" "assemble"
check vnvme raid stop /dev/md0
# shellcheck disable=SC2086
check vnvme raid assemble --no-tune /dev/md0 $MEMBERS $J
expect_sysval stripe_cache_size 256 "assemble --no-tune"
check vnvme raid stop /dev/md0
# shellcheck disable=SC2086
expect_output 'has been started with 4 drives and 1 journal' mdadm --assemble /dev/md0 $MEMBERS $J
expect_sysval stripe_cache_size 256 "mdadm --assemble (md's own)"
check mdadm --stop /dev/md0
finish
