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

# Next steps, appended as vnvme grows them (the article's order):
# 3. RAID-5 over the HDD partitions      step vnvme raid create ...
# 4. NVMe partition as the md journal    step vnvme journal ... (write-back)
# 5. RAM read cache over the array       step vnvme cache attach ...
# 6. NVMe/TCP export on 127.0.0.1:4420   step vnvme export create ...
# 7. Connect back and measure            step vnvme connect ...; fio ...

echo
echo "demo: done"
