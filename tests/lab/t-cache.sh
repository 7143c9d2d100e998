#!/bin/sh
# vnvme cache, RapidDisk engine: the article's step over a plain disk and over
# an md array, data through the mapping and beside it, hit counters, fio cold
# against warm, flushes, detach leaving nothing behind, and every refusal.
# Oracles: dmsetup ls/table/status/info, /sys/kernel/rapiddisk/devices,
# /sys/block, cmp, fio. (rapiddisk -l is broken on Debian 12: not used.)
. "$VNVME_LAB_LIB"

MIB=1048576

# The RAM disks RapidDisk has, one name a line (its devices file, header cut).
rd_list() {
	tail -n +2 /sys/kernel/rapiddisk/devices 2>/dev/null | cut -f1
}

# Nothing left: no dm device at all, no RAM disk, no /dev/mapper node but control.
assert_clean() {
	expect_output '^No devices found' dmsetup ls
	if [ -z "$(rd_list)" ]; then ok "$1: no RAM disk left"; else fail "$1: RAM disks left: $(rd_list)"; fi
	if [ "$(ls /dev/mapper)" = control ]; then ok "$1: /dev/mapper holds only control"
	else fail "$1: /dev/mapper holds $(ls /dev/mapper | tr '\n' ' ')"; fi
}

# A JSON counter of `vnvme cache stats NAME --json`.
stat_of() {
	vnvme cache stats "$1" --json | jq -e ".caches[0].$2"
}

# ---- a dry run loads nothing, makes nothing, says what it would do ----
expect_output -e '^would load module rapiddisk$' \
	-e '^would write /sys/kernel/rapiddisk/mgmt: rapiddisk attach 0 33554432$' \
	-e '^would create dm device rc-wa_sda: 0 524288 rapiddisk-cache /dev/sda /dev/rd0 65536 1$' \
	-- vnvme --dry-run cache attach /dev/sda --size 32
check test ! -e /sys/module/rapiddisk
check test ! -e /dev/rd0
check test ! -e /dev/mapper/rc-wa_sda

# ---- the article's step over a plain disk ----
expect_output '^/dev/mapper/rc-wa_sda$' vnvme cache attach /dev/sda --size 32 --mode wa
check test -b /dev/mapper/rc-wa_sda
# vnvme loaded the modules itself (libkmod; nothing here ran modprobe)
expect_output -e '^rapiddisk ' -e '^rapiddisk_cache ' -e '^dm_mod .* rapiddisk_cache,' -- cat /proc/modules
expect_output -e '^0 524288 rapiddisk-cache conf:' \
	-e 'RapidDisk dev \(/dev/rd0\), disk dev \(/dev/sda\) mode \(WRITE_AROUND\)' \
	-e 'capacity\(32M\)' -- dmsetup table rc-wa_sda
expect_output '^UUID: VNVME-CACHE-rapiddisk-rc-wa_sda' dmsetup info rc-wa_sda
expect_output "^rd0	$((32 * MIB))	0	" cat /sys/kernel/rapiddisk/devices
expect_output -e '^rd0$' -e '^sda$' -- ls /sys/block/dm-0/slaves
# list: JSON integers and the same facts
expect_output -e '"name": "rc-wa_sda"' -e '"engine": "rapiddisk"' -e '"mode": "wa"' \
	-e '"target": "/dev/sda"' -e '"cache_device": "/dev/rd0"' -e "\"cache_bytes\": $((32 * MIB))," \
	-e '"size_bytes": 268435456,' -- vnvme cache list --json
check sh -c 'vnvme cache list --json | jq -e ".caches[0].cache_bytes | type == \"number\""'

# ---- data: through the mapping, back through it and directly ----
dd if=/dev/urandom of=/tmp/pat bs=1M count=8 status=none
check dd if=/tmp/pat of=/dev/mapper/rc-wa_sda bs=1M seek=4 oflag=direct status=none
check sh -c 'dd if=/dev/mapper/rc-wa_sda bs=1M skip=4 count=8 iflag=direct status=none | cmp - /tmp/pat'
check sh -c 'dd if=/dev/sda bs=1M skip=4 count=8 iflag=direct status=none | cmp - /tmp/pat'

# ---- stats: the same 16 MiB twice in 4 KiB direct reads ----
h0=$(stat_of rc-wa_sda read_hits)
dd if=/dev/mapper/rc-wa_sda of=/dev/null bs=4k skip=8192 count=4096 iflag=direct status=none
h1=$(stat_of rc-wa_sda read_hits)
dd if=/dev/mapper/rc-wa_sda of=/dev/null bs=4k skip=8192 count=4096 iflag=direct status=none
h2=$(stat_of rc-wa_sda read_hits)
echo "read hits: $h0 before, $h1 after the cold pass, $h2 after the warm pass"
if [ "$((h2 - h1))" -ge 4096 ] && [ "$((h1 - h0))" -lt 4096 ]; then
	ok "warm pass: all 4096 reads hit ($((h2 - h1))), cold pass: $((h1 - h0))"
else
	fail "hits: cold +$((h1 - h0)), warm +$((h2 - h1)) (want warm >= 4096)"
fi
expect_output -e '"hit_ratio_percent": [0-9]+,' -e '"cache_hits": [0-9]+' -- \
	vnvme cache stats rc-wa_sda --json
expect_output 'cache hits\([1-9][0-9]*\)' dmsetup status rc-wa_sda

# ---- fio: a cold pass, then the same 16 MiB warm ----
fio_cold_warm /dev/mapper/rc-wa_sda sda RapidDisk

# ---- flushes: what an fsync through the mapping does below it ----
expect_output '^write through$' cat /sys/block/dm-0/queue/write_cache
expect_output '^write back$' cat /sys/block/sda/queue/write_cache
f0=$(flushes sda)
dd if=/dev/zero of=/dev/mapper/rc-wa_sda bs=4k count=1 seek=100 oflag=direct conv=fsync status=none
f1=$(flushes sda)
dd if=/dev/zero of=/dev/sda bs=4k count=1 seek=100 oflag=direct conv=fsync status=none
f2=$(flushes sda)
echo "flushes reaching sda: $((f1 - f0)) for an fsync through rc-wa_sda, $((f2 - f1)) for one on sda"
expect_output '"flush": "not-passed-down"' vnvme cache list --json
if [ "$((f1 - f0))" -eq 0 ] && [ "$((f2 - f1))" -ge 1 ]; then
	ok "RapidDisk mapping drops flushes (as cache list says)"
else
	fail "flush counts: through mapping $((f1 - f0)), direct $((f2 - f1))"
fi

# ---- refusals, each with nothing created ----
expect_exit 3 vnvme cache attach /dev/sda --size 32 --name other
said 'already mapped'
expect_exit 3 vnvme cache attach /dev/sdb --size 32 --name rc-wa_sda
said 'name rc-wa_sda is in use'
expect_exit 2 vnvme cache attach /dev/sdz --size 32
said 'sdz: no such block device'
expect_exit 3 vnvme cache attach /dev/sdb --size 64G
said 'more RAM than is free.*use --force'
expect_exit 3 vnvme cache attach /dev/sdb --size 32 --mode wb
said 'power loss'
# names that would be device-mapper's own node, a bad file name, or cut short
expect_error 2 "'control' is not a valid mapping name" vnvme cache attach /dev/sdb --size 32 --name control
expect_error 2 'is not a valid mapping name' vnvme cache attach /dev/sdb --size 32 --name "$(printf 'a\nb')"
long=$(printf '%064d' 0)
expect_error 2 "'$long' is not a valid mapping name" vnvme cache attach /dev/sdb --size 32 --name "$long"
check test -c /dev/mapper/control
expect_exit 3 vnvme cache ramdisk remove rd0
said 'rd0 is still mapped by dm-0 \(rc-wa_sda\)'
modprobe ext4
mkfs.ext4 -q -F /dev/nvme0n1 && mkdir -p /tmp/mnt && mount -t ext4 /dev/nvme0n1 /tmp/mnt
expect_exit 3 vnvme cache attach /dev/nvme0n1 --size 32
said 'nvme0n1 is mounted on /tmp/mnt'
umount /tmp/mnt
# an open mapping: refused, and still there
exec 3</dev/mapper/rc-wa_sda
expect_exit 3 vnvme cache detach rc-wa_sda
said 'rc-wa_sda is in use: .*use --force'
exec 3<&-
expect_output '^rc-wa_sda' dmsetup ls
if [ "$(rd_list)" = rd0 ]; then ok "refusals created no RAM disk"; else fail "RAM disks: $(rd_list)"; fi
if [ "$(dmsetup ls | wc -l)" -eq 1 ]; then ok "refusals created no dm device"
else fail "dm devices: $(dmsetup ls)"; fi

# ---- detach: the data stays on the target, nothing else ----
check vnvme cache detach rc-wa_sda
assert_clean "detach"
check sh -c 'dd if=/dev/sda bs=1M skip=4 count=8 iflag=direct status=none | cmp - /tmp/pat'

# ---- a failure midway is undone: the kernel refuses the table ----
# sdd1 is free, but a linear mapping holds its whole disk exclusively: the
# rapiddisk-cache table fails to load after the RAM disk was made.
echo ',,L' | sfdisk -q /dev/sdd >/dev/null 2>&1
i=0; while [ ! -b /dev/sdd1 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
dmsetup create vnvme-hold --table "0 8 linear /dev/sdd 0"
expect_exit 1 vnvme cache attach /dev/sdd1 --size 32
said 'kernel refused the table of rc-wa_sdd1'
if [ -z "$(rd_list)" ]; then ok "midway failure: RAM disk removed"; else fail "left: $(rd_list)"; fi
expect_exit 1 dmsetup info rc-wa_sdd1
check test ! -e /dev/mapper/rc-wa_sdd1
dmsetup remove vnvme-hold

# ---- the article's step over an md array ----
mdadm --create /dev/md0 --run --level=1 --raid-devices=2 --assume-clean \
	--metadata=1.2 /dev/sdb /dev/sdc >/dev/null 2>&1
expect_output '^/dev/mapper/rc-wa_md0$' vnvme cache attach /dev/md0 --size 32 --mode wa
expect_output -e 'rapiddisk-cache' -e 'disk dev \(/dev/md0\) mode \(WRITE_AROUND\)' -- \
	dmsetup table rc-wa_md0
check dd if=/tmp/pat of=/dev/mapper/rc-wa_md0 bs=1M oflag=direct status=none
check sh -c 'dd if=/dev/mapper/rc-wa_md0 bs=1M count=8 iflag=direct status=none | cmp - /tmp/pat'
check sh -c 'dd if=/dev/md0 bs=1M count=8 iflag=direct status=none | cmp - /tmp/pat'
expect_exit 1 mdadm --stop /dev/md0
expect_output '^rc-wa_md0 +rapiddisk +wa +/dev/md0 +/dev/rd0 +32 MiB' vnvme cache list
# --force on an open mapping: its removal waits for the last close
exec 3</dev/mapper/rc-wa_md0
expect_exit 0 vnvme cache detach rc-wa_md0 --force
said 'rc-wa_md0 is open: it will be removed when its last user closes it; RAM disk rd0'
expect_output '^rc-wa_md0' dmsetup ls
check test ! -e /dev/mapper/rc-wa_md0
check sh -c 'dd bs=1M count=8 status=none <&3 | cmp - /tmp/pat'
exec 3<&-
expect_output '^No devices found' dmsetup ls
check vnvme cache ramdisk remove rd0
assert_clean "md0 deferred detach"
check sh -c 'dd if=/dev/md0 bs=1M count=8 iflag=direct status=none | cmp - /tmp/pat'
check mdadm --stop /dev/md0

# ---- RAM disks alone ----
expect_output '^/dev/rd0$' vnvme cache ramdisk add 8
expect_output "^rd0 +8 MiB" vnvme cache ramdisk list
expect_output "^rd0	$((8 * MIB))	" cat /sys/kernel/rapiddisk/devices
check vnvme cache ramdisk remove rd0
assert_clean "ramdisk remove"

finish
