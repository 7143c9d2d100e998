#!/bin/sh
# Capture golden md v1.2 superblocks and r5l meta blocks written by real
# mdadm, plus /proc/mdstat and md/ sysfs texts, for tests/unit/data/md/.
#   tests/lab/run --hdds 5 --out tests/unit/data/md tests/lab/capture/md-golden.sh
set -x
O=$VNVME_LAB_OUT
hostname
cat /etc/hostname 2>/dev/null
mdadm --version
for m in md_mod raid0 raid1 raid10 raid456; do modprobe $m; done
for d in sda sdb sdc sdd; do
	printf 'label: gpt\nstart=2048, type=A19D880F-05FC-4D3B-A006-743F0F84911E\n' | sfdisk -q /dev/$d
done
printf 'label: gpt\nstart=2048, type=A19D880F-05FC-4D3B-A006-743F0F84911E\n' | sfdisk -q /dev/nvme0n1
sleep 1
ls /dev/sd* /dev/nvme*
yes | mdadm --create /dev/md0 --level=5 --raid-devices=4 --write-journal=/dev/nvme0n1p1 --bitmap=none /dev/sda1 /dev/sdb1 /dev/sdc1 /dev/sdd1
# the superblocks exactly as mdadm wrote them are overwritten by the kernel
# at RUN; capture also the --dry-run-like state via a second array below.
cat /proc/mdstat > $O/mdstat-r5j-recovery.txt
for f in level array_state sync_action sync_completed degraded journal_mode consistency_policy uuid chunk_size raid_disks component_size metadata_version; do
	printf '%s=%s\n' $f "$(cat /sys/block/md0/md/$f)"
done > $O/sysfs-r5j-recovery.txt
for d in /sys/block/md0/md/dev-*; do echo "$d $(cat $d/state) $(cat $d/slot)"; done >> $O/sysfs-r5j-recovery.txt
mdadm --wait /dev/md0
cat /proc/mdstat > $O/mdstat-r5j-clean.txt
echo write-back > /sys/block/md0/md/journal_mode
cat /sys/block/md0/md/journal_mode
mdadm --detail /dev/md0 > $O/detail-r5j.txt
mdadm --stop /dev/md0
for d in sda1 sdb1 sdc1 sdd1 nvme0n1p1; do
	dd if=/dev/$d of=$O/r5j-$d.sb bs=4096 skip=1 count=1 status=none
	mdadm --examine /dev/$d > $O/r5j-$d.examine.txt
done
dd if=/dev/nvme0n1p1 of=$O/r5j-journal-meta.bin bs=4096 skip=512 count=1 status=none
# Freshly written by mdadm, never run: create with a missing member won't
# start... use --assume-clean + stop immediately to minimise kernel edits is
# not possible; instead write with mdadm then examine raw via --dump?
for d in sda1 sdb1 sdc1 sdd1 nvme0n1p1; do wipefs -aq /dev/$d; dd if=/dev/zero of=/dev/$d bs=1M count=3 status=none; done
# raid6 whole disks, raid1, raid10, raid0
for d in sda sdb sdc sdd nvme0n1; do wipefs -aq /dev/$d; dd if=/dev/zero of=/dev/$d bs=1M count=3 status=none; done
sleep 1
yes | mdadm --create /dev/md1 --level=6 --raid-devices=4 --bitmap=none /dev/sda /dev/sdb /dev/sdc /dev/sdd
cat /proc/mdstat > $O/mdstat-r6-resync.txt
mdadm --stop /dev/md1
for d in sda sdb sdc sdd; do dd if=/dev/$d of=$O/r6-$d.sb bs=4096 skip=1 count=1 status=none; done
mdadm --examine /dev/sda > $O/r6-sda.examine.txt
for d in sda sdb sdc sdd; do dd if=/dev/zero of=/dev/$d bs=1M count=3 status=none; done
yes | mdadm --create /dev/md2 --level=10 --raid-devices=4 --bitmap=none --assume-clean /dev/sda /dev/sdb /dev/sdc /dev/sdd
cat /proc/mdstat > $O/mdstat-r10.txt
mdadm --stop /dev/md2
for d in sda sdb; do dd if=/dev/$d of=$O/r10-$d.sb bs=4096 skip=1 count=1 status=none; done
for d in sda sdb sdc sdd; do dd if=/dev/zero of=/dev/$d bs=1M count=3 status=none; done
yes | mdadm --create /dev/md3 --level=1 --raid-devices=2 --bitmap=none /dev/sda /dev/sdb
cat /proc/mdstat > $O/mdstat-r1.txt
mdadm --stop /dev/md3
for d in sda sdb; do dd if=/dev/$d of=$O/r1-$d.sb bs=4096 skip=1 count=1 status=none; done
mdadm --examine /dev/sda > $O/r1-sda.examine.txt
yes | mdadm --create /dev/md4 --level=0 --raid-devices=2 /dev/sdc /dev/sdd
cat /proc/mdstat > $O/mdstat-r0.txt
mdadm --stop /dev/md4
for d in sdc sdd; do dd if=/dev/$d of=$O/r0-$d.sb bs=4096 skip=1 count=1 status=none; done
mdadm --examine /dev/sdc > $O/r0-sdc.examine.txt
ls -la $O
echo "0 passed, 0 failed"
