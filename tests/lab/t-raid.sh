#!/bin/sh
# lab-kernels: 6.1 (create, assemble, examine and named arrays on Debian 12's kernel; t-raid-levels.sh drives the same md interfaces on 6.12, and every stack scenario both: a second kernel cost CI a minute)
# vnvme raid: the article's array (RAID-5 over 4 HDD partitions, NVMe write
# journal) created by vnvme, judged by mdadm and /proc/mdstat; data kept
# across stop/assemble by vnvme and by mdadm, both ways; --scan; /dev/md/NAME
# arrays (made, found, assembled and unlinked by name); raid examine
# against mdadm --examine line for line; raid wait on md's parity check.
. "$VNVME_LAB_LIB"

MEMBERS="/dev/sda1 /dev/sdb1 /dev/sdc1 /dev/sdd1"
J=/dev/nvme0n1p1

check vnvme partition /dev/sda /dev/sdb /dev/sdc /dev/sdd /dev/nvme0n1

# shellcheck disable=SC2086
expect_output -e '^/dev/md0: raid5, ' -e 'initial sync started' -- \
	vnvme raid create /dev/md0 --level 5 --journal $J --bitmap none $MEMBERS
cat /proc/mdstat
check vnvme raid wait /dev/md0
expect_output -e '^md0 : active raid5 .*nvme0n1p1\[[0-9]+\]\(J\)' \
	-e '\[4/4\] \[UUUU\]' -- cat /proc/mdstat
expect_output '^idle$' cat /sys/block/md0/md/sync_action
check vnvme journal-mode /dev/md0 write-back
# from 6.7 md's own switch out of write-back on a member failure hits a
# kernel BUG (t-disk-fail, vnvme-journal-mode(8)): vnvme warns there only
writeback_warning "journal-mode write-back"
expect_output '^write-through \[write-back\]$' cat /sys/block/md0/md/journal_mode
expect_output '^write-back$' vnvme journal-mode /dev/md0
expect_output -e 'Raid Level : raid5' -e 'Active Devices : 4' -e 'State : clean' \
	-e 'Consistency Policy : journal' -e 'journal +/dev/nvme0n1p1' \
	-e 'active sync +/dev/sdd1' -- mdadm --detail /dev/md0
for d in $MEMBERS; do
	expect_output -e 'Version : 1.2' -e 'Feature Map : 0x200' -e 'Raid Level : raid5' \
		-e 'Checksum : [0-9a-f]+ - correct' -e 'Device Role : Active device [0-3]' \
		-- mdadm --examine "$d"
done
expect_output -e 'Checksum : [0-9a-f]+ - correct' -e 'Device Role : Journal' -- \
	mdadm --examine $J
# raid examine against mdadm --examine, line for line, on every member and
# the journal (same host, same time zone: even the names and times agree)
for d in $MEMBERS $J; do
	mdadm --examine "$d" >/tmp/examine.mdadm 2>&1
	vnvme raid examine "$d" >/tmp/examine.vnvme 2>&1
	if cmp -s /tmp/examine.mdadm /tmp/examine.vnvme; then
		ok "raid examine $d: mdadm --examine's text, line for line"
	else
		fail "raid examine $d differs from mdadm --examine"
		sed 's/^/    mdadm: /' /tmp/examine.mdadm
		sed 's/^/    vnvme: /' /tmp/examine.vnvme
	fi
done
ev=$(mdadm --examine $J | sed -n 's/^ *Events : //p')
du=$(mdadm --examine $J | sed -n 's/^ *Device UUID : //p' | tr -d :)
expect_output '^true$' sh -c "vnvme raid examine --json $J | jq '.events == $ev and
	.role == \"journal\" and .slot == null and .device == \"$J\" and
	(.device_uuid | gsub(\"-\"; \"\")) == \"$du\" and .data_offset_bytes == 4096 * 512'"
expect_output -e '"role": "active [0-3]"' -e '"slot": [0-3],' -- vnvme raid examine --json /dev/sda1
expect_error 1 'sda has no md v1.2 superblock' vnvme raid examine /dev/sda
# raid wait on md's parity check (where a wait once died after a power cut):
# a timeout exits 1, then off a terminal a line per whole percent, and JSON
check sh -c 'echo check > /sys/block/md0/md/sync_action'
expect_error 1 'md0: check still running after 0 s' vnvme raid wait --timeout 0 --json /dev/md0
if printf '%s\n' "$LAB_LAST_OUTPUT" | grep -q '"waited_for": "check"' &&
	printf '%s\n' "$LAB_LAST_OUTPUT" | grep -q '"timed_out": true'; then
	ok "raid wait --timeout 0 --json: waited_for check, timed_out"
else
	fail "raid wait --timeout 0 --json"
	lab_show_output
fi
# a few seconds of it, off a terminal: a line per whole percent, no \r;
# then the check is stopped (a whole check takes a minute on a loaded host)
lab_run vnvme raid wait --timeout 4 /dev/md0
lines=$(printf '%s\n' "$LAB_LAST_OUTPUT" | grep -E '^/dev/md0 check: [0-9.]+% \([0-9]+/[0-9]+ KiB\), [0-9]+ KiB/s, ')
twice=$(printf '%s\n' "$lines" | sed 's/^[^:]*: \([0-9]*\)\..*/\1/' | uniq -d)
if [ "$(printf '%s\n' "$lines" | grep -c .)" -ge 2 ] && [ -z "$twice" ] &&
	! printf '%s\n' "$LAB_LAST_OUTPUT" | grep -q "$(printf '\r')" &&
	{ { [ "$LAB_RC" -eq 1 ] && printf '%s\n' "$LAB_LAST_OUTPUT" | grep -q 'check still running after 4 s'; } ||
	{ [ "$LAB_RC" -eq 0 ] && printf '%s\n' "$LAB_LAST_OUTPUT" | grep -q 'md0: check finished'; }; }; then
	ok "raid wait --timeout 4 off a terminal: a line per whole percent (exit $LAB_RC)"
else
	fail "raid wait --timeout 4 off a terminal (exit $LAB_RC)"
	lab_show_output
fi
printf '%s\n' "$lines" | sed -n '1p;$p'
check sh -c 'echo idle > /sys/block/md0/md/sync_action'
check vnvme raid wait --timeout 30 /dev/md0
expect_output '^0$' cat /sys/block/md0/md/mismatch_cnt
expect_output -e '"level": "raid5"' -e '"journal_mode": "write-back"' \
	-e '"health": "UUUU"' -e '"role": "journal"' -- vnvme raid status --json /dev/md0
vnvme raid status /dev/md0
mdadm --detail /dev/md0
mdadm --examine /dev/sda1 /dev/nvme0n1p1 | grep -E '^/dev|Role|Checksum|Events|Feature|Data Offset'
dmesg | grep -E 'md/raid:md0|md0' | tail -n 5

# stop refused while the array is mapped by dm or open by another program
# shellcheck disable=SC2016 # expanded by the inner sh
check sh -c 'echo "0 $(cat /sys/block/md0/size) linear /dev/md0 0" | dmsetup create t-md0'
expect_exit 3 vnvme raid stop /dev/md0
expect_output 'raid stop: md0 is in use: .*dm' printf '%s\n' "$LAB_LAST_OUTPUT"
check dmsetup remove t-md0
# held open until released, however long the stop's drain takes under load
exec 4</dev/md0
expect_exit 3 vnvme raid stop /dev/md0
# up to 6.6 the stop switches the journal to write-through first and puts
# it back; from 6.7 it stops in write-back (vnvme-raid(8))
case $(uname -r) in
6.[0-6].* | [1-5].*) back='.*journal back in write-back' ;;
*) back='' ;;
esac
expect_output "md0 is open by another program$back" printf '%s\n' "$LAB_LAST_OUTPUT"
exec 4<&-
expect_output '^write-through \[write-back\]$' cat /sys/block/md0/md/journal_mode
expect_output '^md0 : active raid5' cat /proc/mdstat

# data survives stop + assemble, by mdadm and by vnvme
dd if=/dev/urandom of=/tmp/data bs=1M count=16 status=none
check dd if=/tmp/data of=/dev/md0 bs=1M oflag=direct status=none
want=$(sha256sum < /tmp/data)
same_data() {
	got=$(dd if=/dev/md0 bs=1M count=16 iflag=direct status=none | sha256sum)
	if [ "$got" = "$want" ]; then ok "data identical ($1)"; else fail "data differs ($1)"; fi
}
check vnvme raid stop /dev/md0
if grep -q "^md0 " /proc/mdstat; then fail "md0 still in mdstat"; else ok "md0 gone from mdstat"; fi
# shellcheck disable=SC2086
expect_output 'has been started with 4 drives and 1 journal' \
	mdadm --assemble /dev/md0 $MEMBERS $J
same_data "assembled by mdadm"
check mdadm --stop /dev/md0
# shellcheck disable=SC2086
expect_output -e 'md0 started: raid5, \[4/4\] \[UUUU\], journal write-back' -- \
	vnvme raid assemble --journal-mode write-back /dev/md0 $MEMBERS $J
expect_output '^write-through \[write-back\]$' cat /sys/block/md0/md/journal_mode
same_data "assembled by vnvme"
check vnvme raid stop /dev/md0
expect_output -e 'md0 started: raid5, \[4/4\] \[UUUU\], journal write-through' -- \
	vnvme raid assemble --scan
same_data "assembled by vnvme --scan"
check vnvme raid stop /dev/md0
# mdadm's spellings: -s -R for assemble, -e -N -b -l -n for create
# --json: one document for every array the scan started
expect_json 0 vnvme raid assemble -s -R --json
check jq -e '(.arrays | length) == 1 and .arrays[0].array == "/dev/md0" and .arrays[0].level == "raid5"' \
	/tmp/lab-json.json
same_data "assembled by vnvme -s -R"
check vnvme raid stop /dev/md0
# /dev/md/NAME: vnvme's create takes md127 and names the array; stop removes
# the link; mdadm's assemble by name is found by vnvme, and the other way
no_link() {
	if [ -e /dev/md/data ] || [ -L /dev/md/data ]; then fail "/dev/md/data left ($1)"
	else ok "/dev/md/data removed ($1)"; fi
}
# shellcheck disable=SC2086
expect_output -e '^/dev/md127: raid5, ' -- vnvme raid create /dev/md/data --level 5 \
	--journal $J --bitmap none --assume-clean --no-tune --force $MEMBERS
expect_output '^\.\./md127$' readlink /dev/md/data
expect_output -e 'Name : [^ ]*:data ' -e 'Active Devices : 4' -- mdadm --detail /dev/md/data
check vnvme raid stop /dev/md/data
no_link "raid stop"
# shellcheck disable=SC2086
expect_output 'has been started with 4 drives and 1 journal' \
	mdadm --assemble /dev/md/data $MEMBERS $J
expect_output -e '"array": "/dev/md127"' -e '"level": "raid5"' -- \
	vnvme raid status --json /dev/md/data
check mdadm --stop /dev/md/data
# shellcheck disable=SC2086
expect_output 'md127 started: raid5, \[4/4\]' vnvme raid assemble --no-tune /dev/md/data $MEMBERS $J
# the link mdadm made (and left: no udev here) is kept
expect_output '^/dev/md127$' readlink /dev/md/data
check vnvme raid stop /dev/md127
no_link "raid stop /dev/md127"
expect_output 'md127 started: raid5' vnvme raid assemble --scan --no-tune
expect_output '^\.\./md127$' readlink /dev/md/data
check vnvme raid stop /dev/md/data
# shellcheck disable=SC2086
expect_output -e 'would write md v1.2 superblock' -- vnvme --force --dry-run raid create \
	/dev/md0 -l 5 -n 4 -e 1.2 -b none -N spelled --write-journal $J $MEMBERS
# shellcheck disable=SC2086
expect_error 2 'writes v1.2 superblocks only' vnvme raid create /dev/md0 -l 5 -e 0.90 $MEMBERS
finish
