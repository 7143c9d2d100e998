#!/bin/sh
# Stage 2 of the lab guest, run by /init from the run share (/lab) at every
# boot. It prepares the system the way a guest script expects it, runs the
# script with its output going to /lab/output (the host streams that file),
# writes the exit status to /lab/rc, then powers the VM off hard.
#
# Files in /lab (written by tests/lab/run): config (LAB_* settings),
# args (a "set --" line), scripts/NAME, lib.sh, bin/ (vnvme), out/;
# bin/, libexec/ and lib/ are copied to /run/lab and run from there.
# Its own messages go to the kernel console, not into the script's output.

export PATH=/run/lab/bin:/usr/sbin:/usr/bin:/sbin:/bin
. /lab/config

# The programs under test from RAM, not from the 9p share (see
# install_bin in tests/lab/run): their wrappers in bin/ run them there.
mkdir -p /run/lab && cp -a /lab/bin /lab/libexec /lab/lib /run/lab/ 2>/dev/null

say() {
	local t
	read -r t _ </proc/uptime
	echo "[$t] lab-guest: $*" >/dev/console
}

# Hard power-off: the isa-debug-exit device ends QEMU at once, without the
# sync that busybox poweroff does (it can block behind md write-back).
power_off() {
	printf '\000' | /bin/dd of=/dev/port bs=1 seek=244 count=1 conv=notrunc 2>/dev/null
	echo o >/proc/sysrq-trigger
	sleep 60
}

# The device nodes whose opening loads a module (/dev/mapper/control), as
# systemd's kmod-static-nodes creates them on a Debian host.
static_nodes() {
	local mod name node
	# kmod 30 prints nothing to a pipe here; -o to a file works.
	kmod static-nodes --format=devname -o /run/static-nodes 2>/dev/null
	while read -r mod name node; do
		case $mod in '#'*) continue ;; esac
		mkdir -p "$(dirname "/dev/$name")"
		[ -e "/dev/$name" ] || mknod "/dev/$name" "${node%%[0-9]*}" \
			"$(echo "${node#?}" | cut -d: -f1)" "${node#*:}"
	done </run/static-nodes
}

setup_system() {
	# The kernel's own module requests (crypto-crc32c, ...) go to kmod.
	echo /usr/sbin/modprobe >/proc/sys/kernel/modprobe
	mkdir -p /dev/pts /dev/shm /run/mdadm
	static_nodes
	mount -t devpts devpts /dev/pts
	mount -t tmpfs tmpfs /dev/shm
	mount -t configfs configfs /sys/kernel/config || say "configfs unavailable"
	# nvme-tcp over loopback fails with "Network is unreachable" otherwise.
	ip link set lo up
	hostname vnvme-lab
	# What Debian's nvme-cli postinst does at install time; the NQN comes
	# from the DMI product UUID (QEMU -uuid), the same across --reboot.
	nvme gen-hostnqn >/etc/nvme/hostnqn
	echo "$LAB_UUID" >/etc/nvme/hostid
}

# True when LAB_HDDS sdX nodes (and nvme0n1 if wanted) exist.
disks_ready() {
	local n=0 d
	for d in /sys/block/sd*; do
		[ -e "$d" ] || continue
		[ -b "/dev/${d##*/}" ] || return 1
		n=$((n + 1))
	done
	[ "$n" -ge "$LAB_HDDS" ] || return 1
	[ "$LAB_NVMES" -eq 0 ] || [ -b /dev/nvme0n1 ]
}

# No udev here: load the disk drivers by hand (first, so the asynchronous SCSI
# scan overlaps the rest of the setup), then wait for the nodes. One modprobe
# for all, configfs too: each start of kmod costs 0.5-0.9 s under TCG.
load_disk_drivers() {
	local nvme=nvme
	[ "$LAB_NVMES" -ne 0 ] || nvme=
	# shellcheck disable=SC2086 # nvme: a word or none
	modprobe -a virtio_scsi sd_mod configfs $nvme
}

wait_for_disks() {
	local i=0
	until disks_ready; do
		i=$((i + 1))
		if [ "$i" -gt 300 ]; then
			say "disks did not all appear: $(ls /sys/block | tr '\n' ' ')"
			return 1
		fi
		sleep 0.1
	done
}

run_script() {
	local rc
	. /lab/args
	cd /root || return
	export HOME=/root VNVME_LAB_LIB=/lab/lib.sh VNVME_LAB_OUT=/lab/out
	export VNVME_LAB_BOOT=${LAB_BOOT:-1}
	# A sanitized vnvme (tests/lab/run saw libasan): ASan's and LSan's
	# reports go to files, as a report on stderr would pass unseen in a
	# check that expects a failure, and any of them fails the run; every
	# report (UBSan's on stderr) makes vnvme exit 99, which no check
	# expects.
	if [ "${LAB_SANITIZED:-0}" = 1 ]; then
		mkdir -p /run/sanitizer
		chmod 1777 /run/sanitizer	# t-bad-input runs vnvme as nobody too
		export ASAN_OPTIONS=suppressions=/lab/asan.supp:detect_leaks=1:exitcode=99:log_path=/run/sanitizer/report
		export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=99:log_path=/run/sanitizer/report
		export LSAN_OPTIONS=suppressions=/lab/lsan.supp:print_suppressions=0
	fi
	say "running $LAB_SCRIPT"
	sh "/lab/scripts/$LAB_SCRIPT" "$@" </dev/null >/lab/output 2>&1
	rc=$?
	if [ "${LAB_SANITIZED:-0}" = 1 ] && ls /run/sanitizer/report.* >/dev/null 2>&1; then
		{
			echo "FAIL: sanitizer reports (ASan/UBSan):"
			cat /run/sanitizer/report.*
		} >>/lab/output
		rc=1
	fi
	say "$LAB_SCRIPT exited $rc"
	dmesg >/lab/dmesg.log
	# Written then renamed: the host never reads half a status.
	echo "$rc" >/lab/rc.tmp && mv /lab/rc.tmp /lab/rc
}

say "stage 2"
load_disk_drivers
setup_system
wait_for_disks
say "disks ready"
run_script
power_off
