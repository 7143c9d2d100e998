#!/bin/sh
# lab-kernels: 6.1 (the refusals are vnvme's own checks, before any change: a second kernel cost CI a minute)
# vnvme raid: every refusal exits 3, says why, and writes nothing (oracle:
# mdadm --examine finds no superblock, /proc/mdstat no array).
. "$VNVME_LAB_LIB"

check vnvme partition /dev/sda /dev/sdb /dev/sdc /dev/sdd
# the NVMe: a 60 MiB partition and a 1 MiB one (too small for any member)
check sh -c 'printf "label: gpt\nstart=2048, size=122880\nsize=2048\n" | sfdisk -q /dev/nvme0n1'
sleep 1

no_superblock() {	# no_superblock DEV...: mdadm sees no md superblock
	for d in "$@"; do
		if mdadm --examine "$d" >/dev/null 2>&1; then fail "superblock on $d"
		else ok "no superblock on $d"; fi
	done
	if grep -qs '^md' /proc/mdstat; then fail "an array exists"; cat /proc/mdstat; fi
}

refused() {	# refused PATTERN CMD...: exit 3 and PATTERN in the message
	pat=$1
	shift
	expect_exit 3 "$@"
	if printf '%s\n' "$LAB_LAST_OUTPUT" | grep -Eq -- "$pat"; then ok "says '$pat'"
	else fail "message lacks '$pat'"; lab_show_output; fi
}

ALL="/dev/sda1 /dev/sdb1 /dev/sdc1 /dev/sdd1 /dev/nvme0n1p1"
check mkfs.ext4 -q /dev/sdb1
refused 'raid create: member /dev/sdb1 holds an ext4 filesystem \(use --force\)' \
	vnvme raid create /dev/md0 -l 5 /dev/sda1 /dev/sdb1 /dev/sdc1 /dev/sdd1
mkdir -p /mnt/t && check mount /dev/sdb1 /mnt/t
refused 'member /dev/sdb1 is in use: /dev/sdb1 is mounted on /mnt/t' \
	vnvme raid create /dev/md0 -l 5 --force /dev/sda1 /dev/sdb1 /dev/sdc1 /dev/sdd1
check umount /mnt/t
check dd if=/dev/zero of=/dev/sdb1 bs=1M count=4 status=none
refused '/dev/sda1 is given twice' \
	vnvme raid create /dev/md0 -l 5 /dev/sda1 /dev/sdc1 /dev/sdd1 /dev/sda1
refused 'the journal /dev/sdd1 is also a member' \
	vnvme raid create /dev/md0 -l 5 --journal /dev/sdd1 /dev/sda1 /dev/sdc1 /dev/sdd1
refused 'raid5 needs at least 3 members, 2 given' \
	vnvme raid create /dev/md0 -l 5 /dev/sda1 /dev/sdb1
refused 'raid6 needs at least 4 members, 3 given' \
	vnvme raid create /dev/md0 -l 6 /dev/sda1 /dev/sdb1 /dev/sdc1
refused 'raid1 cannot have a write journal' \
	vnvme raid create /dev/md0 -l 1 --journal /dev/nvme0n1p1 /dev/sda1 /dev/sdb1
refused '/dev/nvme0n1p2 is too small' \
	vnvme raid create /dev/md0 -l 1 /dev/sda1 /dev/nvme0n1p2
refused '/dev/nvme0n1p2 is too small' \
	vnvme raid create /dev/md0 -l 5 --journal /dev/nvme0n1p2 /dev/sda1 /dev/sdb1 /dev/sdc1
refused 'member sizes differ by more than 1%.*\(use --force\)' \
	vnvme raid create /dev/md0 -l 1 /dev/sda1 /dev/nvme0n1p1
expect_exit 2 vnvme raid create /dev/md0 -l 7 /dev/sda1 /dev/sdb1
expect_exit 2 vnvme raid create /dev/md0 -l 5 -n 4 /dev/sda1 /dev/sdb1 /dev/sdc1
# shellcheck disable=SC2086
no_superblock $ALL /dev/nvme0n1p2
# dry-run: the plan, with the superblock's fields, and nothing written
expect_output -e 'would write md v1.2 superblock on /dev/sda1: .*raid5, dev_number 0, slot 0, data_offset 4096' \
	-e 'would write md v1.2 superblock on /dev/nvme0n1p1: .*journal' \
	-e 'would ioctl RUN_ARRAY on /dev/md0' -- \
	vnvme --dry-run raid create /dev/md0 -l 5 --journal /dev/nvme0n1p1 \
	/dev/sda1 /dev/sdb1 /dev/sdc1 /dev/sdd1
# shellcheck disable=SC2086
no_superblock $ALL

SZ=$(cat /sys/class/block/sda1/size)
# a write fails midway (a dm error target): the superblocks before it erased
check dmsetup create e0 --table "0 $SZ error"
E=/dev/dm-$(dmsetup info -c --noheadings -o minor e0 | tr -d ' ')
expect_exit 1 vnvme raid create /dev/md0 -l 5 /dev/sda1 /dev/sdb1 /dev/sdc1 "$E"
expect_output "cannot write the md superblock on $E: .*; erased the 3 superblocks written before it" \
	printf '%s\n' "$LAB_LAST_OUTPUT"
check dmsetup remove e0
no_superblock /dev/sda1 /dev/sdb1 /dev/sdc1

# an array without a journal: journal-mode refuses
check vnvme raid create /dev/md0 -l 5 /dev/sda1 /dev/sdb1 /dev/sdc1
refused 'md0 has no write journal' vnvme journal-mode /dev/md0
refused 'md0 has no write journal' vnvme journal-mode /dev/md0 write-back
# in use: mounted, and open by another program
check mkfs.ext4 -q /dev/md0
check mount /dev/md0 /mnt/t
refused 'md0 is in use: /dev/md0 is mounted on /mnt/t' vnvme raid stop /dev/md0
check umount /mnt/t
check vnvme raid stop /dev/md0

# a journal array, degraded while it recovers: write-back is refused. The
# members still carry the last array's superblocks: refused without --force
refused 'member /dev/sda1 holds an md RAID member superblock \(use --force\)' \
	vnvme raid create /dev/md0 -l 5 --journal /dev/nvme0n1p1 /dev/sda1 /dev/sdb1 /dev/sdc1
check vnvme raid create --force /dev/md0 -l 5 --journal /dev/nvme0n1p1 /dev/sda1 /dev/sdb1 /dev/sdc1
refused 'md0 is degraded' vnvme journal-mode /dev/md0 write-back
expect_output '^\[write-through\] write-back$' cat /sys/block/md0/md/journal_mode
check vnvme raid wait /dev/md0
check vnvme raid stop /dev/md0
# assembling: incomplete without --run, and without the journal
refused 'only 2 of the array.s 3 working members are given \(use --run' \
	vnvme raid assemble /dev/md0 /dev/sda1 /dev/sdb1 /dev/nvme0n1p1
refused 'write journal is missing' \
	vnvme raid assemble /dev/md0 /dev/sda1 /dev/sdb1 /dev/sdc1
if grep -q '^md0 : active' /proc/mdstat; then fail "md0 started"; else ok "md0 not started"; fi
# forced without its journal: read-only, as the kernel itself would start it
check vnvme --force raid assemble /dev/md0 /dev/sda1 /dev/sdb1 /dev/sdc1
expect_output '^md0 : active \(read-only\) raid5' cat /proc/mdstat
check vnvme raid stop /dev/md0
expect_output 'md0 started: raid5, \[3/2\] \[UU_\]' \
	vnvme raid assemble --run /dev/md0 /dev/sda1 /dev/sdb1 /dev/nvme0n1p1
refused 'md0 is degraded' vnvme journal-mode /dev/md0 write-back
check vnvme raid stop /dev/md0

# resync running on a whole array (raid6 + journal, not degraded):
# write-back refused unless --force
check vnvme raid create --force /dev/md0 -l 6 --journal /dev/nvme0n1p1 \
	/dev/sda1 /dev/sdb1 /dev/sdc1 /dev/sdd1
expect_output '^resync$' cat /sys/block/md0/md/sync_action
refused 'md0: resync runs .*wait for it' vnvme journal-mode /dev/md0 write-back
expect_output '^\[write-through\] write-back$' cat /sys/block/md0/md/journal_mode
check vnvme --force journal-mode /dev/md0 write-back
expect_output '^write-through \[write-back\]$' cat /sys/block/md0/md/journal_mode
check vnvme raid wait /dev/md0
check vnvme raid stop /dev/md0
finish
