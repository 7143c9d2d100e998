#!/bin/sh
# lab-run: --hdd-size 64M
# The article's stack built by hand with the oracles only (sfdisk, mdadm,
# rapiddisk, configfs writes, nvme-cli, fio): proves the lab guest supports
# every layer vnvme builds, independently of vnvme, and shows the kernel
# state vnvme's own scenarios can be compared with. Small HDDs: the RAID-5
# initial recovery then takes seconds, not tens of seconds, under TCG.
. "$VNVME_LAB_LIB"

HDDS="sda sdb sdc sdd"
NVMET=/sys/kernel/config/nvmet
NQN=nqn.2014-08.org.vnvme:lab-oracles

# GPT, one "Linux RAID" partition from 1 MiB to the end.
gpt_raid_partition() {
	printf 'label: gpt\nstart=2048, type=A19D880F-05FC-4D3B-A006-743F0F84911E\n' |
		sfdisk -q "$1"
}
for d in $HDDS nvme0n1; do
	check gpt_raid_partition "/dev/$d"
done

# RAID-5 over the HDD partitions with the NVMe partition as its journal.
check mdadm --create /dev/md0 --run --level=5 --raid-devices=4 \
	--write-journal=/dev/nvme0n1p1 /dev/sda1 /dev/sdb1 /dev/sdc1 /dev/sdd1
# Write-back is refused while the array is degraded (initial recovery).
# mdadm --wait exits 1 when the sync had already ended (nothing to wait for)
check sh -c 'mdadm --wait /dev/md0; [ $? -le 1 ]'
check sh -c 'echo write-back >/sys/block/md0/md/journal_mode'
expect_output '\[write-back\]' cat /sys/block/md0/md/journal_mode
expect_output -e '^md0 : active raid5' -e 'sda1\[[0-9]+\]' -e '\(J\)' -- cat /proc/mdstat

# RapidDisk RAM cache, write-around, over the array.
check modprobe rapiddisk
check modprobe rapiddisk_cache
check rapiddisk -a 32
check rapiddisk -m rd0 -b /dev/md0 -p wa
check test -b /dev/mapper/rc-wa_md0
expect_output 'rapiddisk-cache' dmsetup table rc-wa_md0

# NVMe/TCP export on loopback, then connect back to it.
nvmet_export() {
	local s=$NVMET/subsystems/$NQN p=$NVMET/ports/1
	modprobe nvmet || return
	mkdir "$s" "$s/namespaces/1" "$p" || return
	echo 1 >"$s/attr_allow_any_host"
	echo /dev/mapper/rc-wa_md0 >"$s/namespaces/1/device_path"
	echo 1 >"$s/namespaces/1/enable" || return
	echo tcp >"$p/addr_trtype"
	echo ipv4 >"$p/addr_adrfam"
	echo 127.0.0.1 >"$p/addr_traddr"
	echo 4420 >"$p/addr_trsvcid"
	ln -s "$s" "$p/subsystems/$NQN"
}
check nvmet_export
# As on any host: the NVMe/TCP initiator module is loaded by hand.
check modprobe nvme_tcp
expect_output "subnqn: +$NQN" nvme discover -t tcp -a 127.0.0.1 -s 4420
check nvme connect -t tcp -a 127.0.0.1 -s 4420 -n "$NQN"

# The namespace appears at once, with no udev.
i=0
while [ ! -b /dev/nvme1n1 ] && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
check test -b /dev/nvme1n1
check fio --name=verify --filename=/dev/nvme1n1 --rw=randwrite --bs=4k --size=4M \
	--direct=1 --ioengine=libaio --iodepth=8 --verify=crc32c --output=/dev/null
check nvme disconnect -n "$NQN"

# Take it all down again, in reverse order.
nvmet_unexport() {
	local s=$NVMET/subsystems/$NQN p=$NVMET/ports/1
	rm "$p/subsystems/$NQN" && rmdir "$p" &&
		echo 0 >"$s/namespaces/1/enable" &&
		rmdir "$s/namespaces/1" "$s"
}
check nvmet_unexport
check rapiddisk -u rc-wa_md0
check rapiddisk -d rd0
# Back to write-through first where the switch writes the cache out (up to
# 6.6): a write-back stop can hang there. From 6.7 the switch leaves the
# cached stripes behind and mdadm's stop then hits a kernel BUG
# (r5c_make_stripe_write_out): stop in write-back, as mdadm users do.
case $(uname -r) in
6.[0-6].* | [1-5].*) check sh -c 'echo write-through >/sys/block/md0/md/journal_mode' ;;
esac
check mdadm --stop /dev/md0
expect_output 'raid5' mdadm --examine /dev/sda1

finish
