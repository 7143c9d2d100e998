#!/bin/sh
# lab-run: --hdd-size 64M
# lab-kernels: 6.12 (libparted, libblkid and the partition rescan behave alike on both; a second kernel cost CI a minute)
# vnvme disks and vnvme partition on the real kernel, judged by sfdisk,
# blkid and mount: blank HDD and NVMe get a GPT with one partition at sector
# 2048; a disk with ext4 is refused (exit 3) and its filesystem still mounts
# with its files; a partitioned disk is refused; a disk in use is refused
# even with --force; --force over a filesystem wipes it.
. "$VNVME_LAB_LIB"

modprobe ext4

# disks: the lab's kinds, sizes in bytes
check vnvme disks
vnvme disks --json >/tmp/disks.json
check jq -e '.disks[] | select(.name == "sda") | .kind == "hdd" and
	.size_bytes == 67108864 and .rotational == true' /tmp/disks.json
check jq -e '.disks[] | select(.name == "nvme0n1") | .kind == "nvme" and
	.transport == "pcie"' /tmp/disks.json

# the article's step: a blank HDD and the NVMe
check vnvme partition /dev/sda /dev/nvme0n1
for d in sda nvme0n1; do
	expect_output -e '^label: gpt' -e 'start= +2048, size=.*type=A19D880F-05FC-4D3B-A006-743F0F84911E' \
		-- sfdisk --dump /dev/$d
done
check test -b /dev/sda1
check test -b /dev/nvme0n1p1
# sfdisk's view of the end: the last usable LBA
last=$(sfdisk --dump /dev/sda | sed -n 's/^last-lba: //p')
expect_output "size= *$((last - 2048 + 1))," sfdisk --dump /dev/sda
vnvme partition --json --dry-run /dev/sdd >/tmp/p.json
check jq -e '.dry_run and .partitions[0].size_bytes == (.partitions[0].end_sector -
	.partitions[0].start_sector + 1) * 512' /tmp/p.json
# the kernel's size of the partition is what vnvme reported
expect_output "^$(( $(cat /sys/block/sda/sda1/size) * 512 ))\$" blockdev --getsize64 /dev/sda1

# a path is that node or nothing: a regular file named sdb is not /dev/sdb
mkdir -p /tmp/img && truncate -s 64M /tmp/img/sdb
before=$(sha256sum </dev/sdb)
expect_error 2 '/tmp/img/sdb: not a block device' vnvme partition /tmp/img/sdb
expect_error 2 '/tmp/nowhere/sdb: no such block device' vnvme partition /tmp/nowhere/sdb
expect_error 2 '/tmp/img/sdb: not a block device' vnvme cache attach /tmp/img/sdb --size 16
[ "$(sha256sum </dev/sdb)" = "$before" ] && ok "/dev/sdb untouched by /tmp/img/sdb" ||
	fail "a regular file's path acted on /dev/sdb"
if dmsetup ls 2>/dev/null | grep -qv 'No devices found'; then
	fail "a refused cache attach left a dm device: $(dmsetup ls)"
else
	ok "no dm device after the refusals"
fi
# a symlink to the node is the node
ln -sf /dev/sdd /tmp/img/disk-link
vnvme partition --dry-run --json /tmp/img/disk-link >/tmp/p.json
check jq -e '.partitions[0].disk == "sdd" or .partitions[0].disk == "/dev/sdd"' /tmp/p.json

# a second partition of a partitioned disk is refused; nothing written
before=$(sha256sum </dev/sda)
expect_error 3 'holds a gpt partition table \(use --force\)' vnvme partition /dev/sda
[ "$(sha256sum </dev/sda)" = "$before" ] && ok "refusal left /dev/sda as it was" || fail "refusal wrote to /dev/sda"

# ext4 on a whole disk: refused, and it still mounts with its files
mkfs.ext4 -q /dev/sdb
mkdir -p /mnt/b && mount /dev/sdb /mnt/b && echo hello >/mnt/b/file && umount /mnt/b
expect_error 3 '^vnvme: partition: /dev/sdb holds an ext4 filesystem \(use --force\)$' \
	vnvme partition /dev/sdb
check mount /dev/sdb /mnt/b
expect_output '^hello$' cat /mnt/b/file

# mounted: refused even with --force (exit 3), and it stays mounted
expect_error 3 '/dev/sdb is mounted on /mnt/b$' vnvme partition --force /dev/sdb
check grep -q ' /mnt/b ' /proc/mounts
umount /mnt/b

# several disks: one refused means none written
expect_error 3 'nothing was written' vnvme partition /dev/sdc /dev/sdb
expect_error 1 'does not contain a recognized partition table' sfdisk --dump /dev/sdc

# an md member (mdadm builds the fixture) is refused, even with --force
modprobe raid1
mdadm --create /dev/md9 --run --level=1 --raid-devices=2 --metadata=1.2 \
	--bitmap=none /dev/sdc /dev/sdd >/dev/null 2>&1
expect_error 3 '/dev/sdd is a member of md9' vnvme partition --force /dev/sdd
mdadm --stop /dev/md9 >/dev/null 2>&1

# --force over the old md member and the ext4: written, old signatures gone
check vnvme partition --force /dev/sdb /dev/sdc
expect_output 'type=A19D880F' sfdisk --dump /dev/sdb
for p in sdb1 sdc1; do
	t=$(blkid -p -s TYPE -o value /dev/$p)
	[ -z "$t" ] && ok "/dev/$p is blank" || fail "an old $t signature shows through /dev/$p"
done

# dry-run changes nothing on a real disk
before=$(sha256sum </dev/sdd)
check vnvme partition --dry-run --force /dev/sdd
[ "$(sha256sum </dev/sdd)" = "$before" ] && ok "dry-run left /dev/sdd as it was" || fail "dry-run wrote"

# disks shows the signatures and holders
vnvme disks --json >/tmp/disks.json
check jq -e '.disks[] | select(.name == "sda") | .signatures[0].type == "gpt"' /tmp/disks.json
finish
