#!/bin/sh
# The lab guest is what vnvme needs: Debian's real modules load, the kernel
# interfaces they create exist, the oracles run, and the disks look like the
# article's (rotational SCSI HDDs, a non-rotational NVMe).
. "$VNVME_LAB_LIB"

MODULES="md_mod raid0 raid1 raid10 raid456 dm_mod dm_cache dm_cache_smq
	dm_writecache zram brd rapiddisk rapiddisk_cache configfs nvmet nvmet_tcp
	nvme_fabrics nvme_tcp nvme ext4 9p 9pnet_virtio virtio_pci virtio_scsi sd_mod"

# Loaded: listed in /proc/modules, or present in /sys/module (built in).
module_loaded() {
	grep -q "^$1 " /proc/modules || [ -d "/sys/module/$1" ]
}

for m in $MODULES; do
	check modprobe "$m"
	if module_loaded "$m"; then
		ok "$m loaded"
	else
		fail "$m not in /proc/modules nor /sys/module"
	fi
done

# md: the raid5 personality is registered.
expect_output '^Personalities :.*\[raid5\]' cat /proc/mdstat
# device-mapper: the RapidDisk cache target and the kernel's cache targets.
expect_output -e '^rapiddisk-cache ' -e '^cache ' -e '^writecache ' -- dmsetup targets
check test -d /sys/kernel/rapiddisk
check test -e /sys/kernel/rapiddisk/mgmt
# nvmet's configfs tree, with tcp available as a port transport.
check test -d /sys/kernel/config/nvmet/subsystems
check test -d /sys/kernel/config/nvmet/ports
check test -c /dev/nvme-fabrics

# The oracles run; sh is dash, so GNU dd and kmod win over busybox's applets.
expect_output '^mdadm - v' mdadm --version
expect_output '^nvme version' nvme version
expect_output '^fio-' fio --version
expect_output '^rapiddisk [0-9]' rapiddisk -v
expect_output 'sfdisk from util-linux' sfdisk --version
expect_output '^jq-' jq --version
expect_output '^dd \(coreutils\)' dd --version
check dd if=/dev/sda of=/dev/null bs=4096 count=1 iflag=direct status=none
expect_output 'kmod version' modprobe --version
expect_output 'GNU diffutils' cmp --version
expect_output '^sha256sum \(GNU coreutils\)' sha256sum --version

# The disks: four rotational sdX, one non-rotational nvme0n1, nothing else.
for d in sda sdb sdc sdd; do
	expect_output '^1$' cat "/sys/block/$d/queue/rotational"
done
expect_output '^0$' cat /sys/block/nvme0n1/queue/rotational
expect_output '^4$' sh -c 'ls -d /sys/block/sd* | wc -l'

# Loopback is up for nvme-tcp.
expect_output 'state (UP|UNKNOWN)|UP' ip link show lo

# vnvme itself (make check-lab builds it first): its libraries resolve here.
expect_output '^vnvme [0-9]' vnvme --version

finish
