#!/bin/sh
# Capture the sysfs/procfs files vnvme's block-device code reads, from a lab
# guest in a known state, as tests/unit/data/sysfs-lab.txt:
#
#   tests/lab/run --out /tmp/cap tests/lab/capture-sysfs.sh
#   cp /tmp/cap/sysfs-lab.txt tests/unit/data/
#
# The state: sda with a GPT and an ext4 partition mounted on /mnt, sdb1+sdc1
# in an md RAID-1 (built by mdadm, the oracle, as a fixture), sdd as swap,
# nvme0n1 blank. Lines: "D path", "L path target", "F path hexbytes".
set -e
for d in sda sdb sdc; do
	printf 'label: gpt\n,\n' | sfdisk -q "/dev/$d" >/dev/null
done
modprobe raid1
mdadm --create /dev/md0 --run --level=1 --raid-devices=2 --metadata=1.2 \
	--bitmap=none /dev/sdb1 /dev/sdc1 >/dev/null 2>&1
mkfs.ext4 -q /dev/sda1
modprobe ext4
mkdir -p /mnt && mount /dev/sda1 /mnt
mkswap /dev/sdd >/dev/null && swapon /dev/sdd

out=$VNVME_LAB_OUT/sysfs-lab.txt
: >"$out"
file() {
	[ -f "$1" ] || return 0
	printf 'F %s %s\n' "$1" "$(od -An -tx1 -v "$1" 2>/dev/null | tr -d ' \n')" >>"$out"
}
dev_attrs() {	# $1: a /sys/block/... directory
	for a in size dev ro removable partition; do file "$1/$a"; done
	if [ -d "$1/holders" ]; then printf 'D %s\n' "$1/holders" >>"$out"; fi
	for h in "$1"/holders/*; do
		if [ -e "$h" ]; then printf 'L %s %s\n' "$h" "$(readlink "$h")" >>"$out"; fi
	done
}
for b in /sys/block/*; do
	n=${b##*/}
	case $n in loop*|ram*) continue ;; esac
	dev_attrs "$b"
	for a in queue/rotational queue/logical_block_size device/model \
		device/serial device/transport device/vpd_pg80 dm/name; do
		file "$b/$a"
	done
	for p in "$b"/"$n"*; do
		if [ -f "$p/partition" ]; then dev_attrs "$p"; fi
	done
done
file /proc/self/mountinfo
file /proc/swaps
echo "captured $(wc -l <"$out") entries"
swapoff /dev/sdd
umount /mnt
mdadm --stop /dev/md0 >/dev/null 2>&1
