#!/bin/sh
# vnvme cache, dm-cache engine (zram + the kernel's cache target, smq,
# writethrough): data, hits, fio, flushes, detach; then RapidDisk taken away:
# the engine is chosen automatically, and asking for RapidDisk exits 4.
# Oracles: dmsetup ls/table/status/info, /sys/block, cmp, fio.
. "$VNVME_LAB_LIB"

# zram devices other than zram0 (which the module makes when it loads).
zrams() {
	ls /sys/block | grep '^zram' | grep -vx zram0 | tr '\n' ' '
}

assert_clean() {
	expect_output '^No devices found' dmsetup ls
	if [ -z "$(zrams)" ]; then ok "$1: no zram device left"; else fail "$1: left $(zrams)"; fi
	if [ "$(ls /dev/mapper)" = control ]; then ok "$1: /dev/mapper holds only control"
	else fail "$1: /dev/mapper holds $(ls /dev/mapper | tr '\n' ' ')"; fi
}

stat_of() {
	vnvme cache stats "$1" --json | jq -e ".caches[0].$2"
}

# ---- attach: writethrough by default, write-around refused ----
expect_exit 2 vnvme cache attach /dev/sda --size 32 --engine dm-cache --mode wa
said 'no write-around mode'
expect_output '^No devices found' dmsetup ls
expect_output '^/dev/mapper/rc-wt_sda$' vnvme cache attach /dev/sda --size 32 --engine dm-cache
check test -b /dev/mapper/rc-wt_sda
expect_output '^0 524288 cache [0-9]+:[0-9]+ [0-9]+:[0-9]+ 8:0 64 1 writethrough smq 0' \
	dmsetup table rc-wt_sda
expect_output '^UUID: VNVME-CACHE-dm-cache-rc-wt_sda' dmsetup info rc-wt_sda
# metadata and cache are zram devices (their numbers resolved through sysfs)
for mm in $(dmsetup table rc-wt_sda | awk '{ print $4, $5 }'); do
	expect_output '/zram[0-9]+$' readlink "/sys/dev/block/$mm"
done
expect_output -e '"engine": "dm-cache"' -e '"mode": "wt"' -e '"target": "/dev/sda"' \
	-e '"cache_bytes": 33554432,' -e '"cache_device": "/dev/zram[0-9]+"' \
	-e '"metadata_device": "/dev/zram[0-9]+"' -- vnvme cache list --json
expect_output -e '^dm_cache_smq ' -e '^zram ' -- cat /proc/modules

# ---- data ----
dd if=/dev/urandom of=/tmp/pat bs=1M count=8 status=none
check dd if=/tmp/pat of=/dev/mapper/rc-wt_sda bs=1M seek=4 oflag=direct status=none
check sh -c 'dd if=/dev/mapper/rc-wt_sda bs=1M skip=4 count=8 iflag=direct status=none | cmp - /tmp/pat'
check sh -c 'dd if=/dev/sda bs=1M skip=4 count=8 iflag=direct status=none | cmp - /tmp/pat'

# ---- stats: the same 16 MiB twice ----
h0=$(stat_of rc-wt_sda read_hits)
dd if=/dev/mapper/rc-wt_sda of=/dev/null bs=4k skip=8192 count=4096 iflag=direct status=none
h1=$(stat_of rc-wt_sda read_hits)
dd if=/dev/mapper/rc-wt_sda of=/dev/null bs=4k skip=8192 count=4096 iflag=direct status=none
h2=$(stat_of rc-wt_sda read_hits)
echo "read hits: $h0 before, $h1 after the cold pass, $h2 after the second pass"
if [ "$((h2 - h1))" -gt "$((h1 - h0))" ]; then
	ok "second pass hits more: +$((h2 - h1)) against +$((h1 - h0))"
else
	fail "hits: first pass +$((h1 - h0)), second +$((h2 - h1))"
fi
expect_output -e '"promotions": [1-9]' -e '"hit_ratio_percent": [0-9]+,' -- \
	vnvme cache stats rc-wt_sda --json

fio_cold_warm /dev/mapper/rc-wt_sda sda dm-cache

# ---- flushes: dm-cache passes them to the origin ----
expect_output '^write back$' cat /sys/block/dm-0/queue/write_cache
f0=$(flushes sda)
dd if=/dev/zero of=/dev/mapper/rc-wt_sda bs=4k count=1 seek=100 oflag=direct conv=fsync status=none
f1=$(flushes sda)
echo "flushes reaching sda for an fsync through rc-wt_sda: $((f1 - f0))"
expect_output '"flush": "passed-down"' vnvme cache list --json
if [ "$((f1 - f0))" -ge 1 ]; then ok "dm-cache passes the flush down"
else fail "no flush reached sda"; fi

# ---- refusals on this engine ----
exec 3</dev/mapper/rc-wt_sda
expect_exit 3 vnvme cache detach rc-wt_sda
said 'rc-wt_sda is in use'
exec 3<&-
expect_exit 3 vnvme cache attach /dev/sda --size 32 --engine dm-cache --name other
said 'already mapped'

# ---- detach ----
check vnvme cache detach rc-wt_sda
assert_clean "detach"
check sh -c 'dd if=/dev/sda bs=1M skip=4 count=8 iflag=direct status=none | cmp - /tmp/pat'

# ---- without RapidDisk: dm-cache is chosen, RapidDisk asked for exits 4 ----
for f in $(find /lib/modules -name 'rapiddisk*.ko*'); do mv "$f" /tmp/; done
depmod
expect_exit 4 vnvme cache attach /dev/sdb --size 32 --engine rapiddisk
said 'rapiddisk.*Debian package rapiddisk-dkms'
expect_exit 4 vnvme cache ramdisk add 8
said 'rapiddisk-dkms'
expect_output '^No devices found' dmsetup ls
expect_output '^/dev/mapper/rc-wt_sdb$' vnvme cache attach /dev/sdb --size 16
expect_output ' cache .* writethrough smq' dmsetup table rc-wt_sdb
check vnvme cache detach rc-wt_sdb
assert_clean "auto detach"

finish
