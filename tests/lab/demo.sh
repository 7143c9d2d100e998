#!/bin/sh
# The article's flow, as far as vnvme implements it, on the lab's disks:
# four HDDs (/dev/sda..sdd) and one NVMe (/dev/nvme0n1). Each command is
# echoed before it runs; the first failure stops the demo with its status.
# Run it with: make demo  (or tests/lab/run tests/lab/demo.sh)

HDDS="/dev/sda /dev/sdb /dev/sdc /dev/sdd"
NVME=/dev/nvme0n1

step() {
	echo
	echo "+ $*"
	"$@" || {
		rc=$?
		echo "demo: '$*' failed (exit $rc)"
		exit "$rc"
	}
}

# 1. The disks as they come.
step vnvme disks

# 2. One partition per disk (GPT, 1 MiB to the end).
# shellcheck disable=SC2086 # word splitting of the device lists is wanted
step vnvme partition $HDDS $NVME
step vnvme disks

# 3. RAID-5 over the HDD partitions with the NVMe partition as md's write
#    journal (the article's mdadm --create ... --write-journal), then wait
#    for the initial sync before switching the journal to write-back.
step vnvme raid create /dev/md0 --level 5 --journal ${NVME}p1 \
	/dev/sda1 /dev/sdb1 /dev/sdc1 /dev/sdd1
step vnvme raid wait /dev/md0
# 4. The journal in write-back (md starts every array in write-through).
step vnvme journal-mode /dev/md0 write-back
step vnvme raid status /dev/md0
# What md wrote on a member (the article's mdadm --examine).
step vnvme raid examine /dev/sda1

# 5. RAM read cache over the array: a 32 MiB RapidDisk RAM disk in
#    write-around (the article's rapiddisk --attach + --cache-map rd0 /dev/md0 wa),
#    giving /dev/mapper/rc-wa_md0.
step vnvme cache attach /dev/md0 --size 32 --mode wa
step vnvme cache list

# 6. NVMe/TCP export of the cached array on 127.0.0.1:4420 (the article's
#    nvmet configfs writes). Closed to all but this host's NQN, where the
#    article uses attr_allow_any_host: this kernel has no NVMe
#    authentication, so the allow-list is the only access control. A host
#    has /etc/nvme/hostnqn (nvme-cli's postinst writes it, and the lab
#    writes one per run); without one, the demo pins one first.
EXPORT_DEV=/dev/mapper/rc-wa_md0	# the flow's last device (step 5)
[ -s /etc/nvme/hostnqn ] || {
	mkdir -p /etc/nvme
	echo nqn.2014-08.org.nvmexpress:uuid:0d3f6a52-8a4b-4c1e-9d57-2f1b6c0e7a91 >/etc/nvme/hostnqn
}
step vnvme export create $EXPORT_DEV --nqn nvmet-test --addr 127.0.0.1 --port 4420 \
	--allow-host "$(cat /etc/nvme/hostnqn)"
step vnvme export list

# 7. The host side, over loopback: discover, connect, list, then a short fio
#    run through the connected namespace (4 KiB random writes, verified).
step vnvme discover -t tcp -a 127.0.0.1 -s 4420
step vnvme connect -t tcp -n nvmet-test -a 127.0.0.1 -s 4420
step vnvme list
NS=$(vnvme list --json | jq -r '.devices[] | select(.nqn == "nvmet-test") | .node')
step fio --name=nvmf --filename="$NS" --rw=randwrite --bs=4k --size=8M --iodepth=16 \
	--ioengine=libaio --direct=1 --verify=crc32c --do_verify=1

# 8. The drive as one object: every layer's health, saved as a stack file;
#    down (top-down, superblocks kept) and up again (assembled, never
#    re-created; the journal back in write-back), as after a reboot. The
#    data written in step 7 reads back verified.
step vnvme status
step vnvme save /tmp/stack.json
step cat /tmp/stack.json
step vnvme check --stack /tmp/stack.json
step vnvme down /tmp/stack.json
step vnvme up /tmp/stack.json
step vnvme status
NS=$(vnvme list --json | jq -r '.devices[] | select(.nqn == "nvmet-test") | .node')
step fio --name=nvmf --filename="$NS" --rw=randwrite --bs=4k --size=8M --iodepth=16 \
	--ioengine=libaio --direct=1 --verify=crc32c --do_verify=1 --verify_only

# Teardown, top-down: disconnect, the export, the cache and its RAM disk,
# the array (its write-back journal drained first).
step vnvme down /tmp/stack.json

echo
echo "demo: done"
