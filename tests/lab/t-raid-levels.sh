#!/bin/sh
# lab-run: --hdds 5 --hdd-size 32M
# lab-kernels: 6.12 (md's levels and mdadm's arrays on the newer kernel; t-raid.sh runs the article's level on 6.1, and every stack scenario both: a second kernel cost CI 1.5 minutes)
# vnvme raid on whole disks, levels 0/1/4/6/10 read back by mdadm --detail;
# arrays mdadm created (1/5/6/10, with and without journal) assembled by
# vnvme; a failed member replaced onto a spare disk, data intact.
. "$VNVME_LAB_LIB"

wipe() { for d in "$@"; do dd if=/dev/zero of="$d" bs=1M count=4 status=none; done; }
DISKS="/dev/sda /dev/sdb /dev/sdc /dev/sdd"

# shellcheck disable=SC2086
for spec in "0 Raid Level : raid0" "1 Raid Level : raid1" "4 Raid Level : raid4" "6 Raid Level : raid6" \
	"10 Layout : near=2"; do
	l=${spec%% *}
	pat=${spec#* }
	n=4
	[ "$l" = 1 ] && n=2
	set -- $DISKS
	[ "$n" = 2 ] && set -- "$1" "$2"
	check vnvme raid create /dev/md1 --level "$l" "$@"
	expect_output -e "$pat" -e "Raid Devices : $n" -e 'Version : 1.2' -- \
		mdadm --detail /dev/md1
	expect_output "raid$l" cat /sys/block/md1/md/level
	check vnvme raid wait /dev/md1
	expect_output -e "Active Devices : $n" -e 'State : clean *$' -- mdadm --detail /dev/md1
	check vnvme raid stop /dev/md1
	expect_output 'has been started with' mdadm --assemble /dev/md1 "$@"
	check mdadm --stop /dev/md1
	wipe "$@"
done

# interop: mdadm creates, vnvme assembles (and data survives)
dd if=/dev/urandom of=/tmp/data bs=1M count=8 status=none
want=$(sha256sum < /tmp/data)
check vnvme partition /dev/nvme0n1
for spec in "1 -n2 /dev/sda /dev/sdb" "5 -n4 $DISKS" "6 -n4 $DISKS" "10 -n4 $DISKS" \
	"5j -n3 --write-journal=/dev/nvme0n1p1 /dev/sda /dev/sdb /dev/sdc" \
	"6j -n4 --write-journal=/dev/nvme0n1p1 $DISKS"; do
	l=${spec%% *}
	args=${spec#* }
	lvl=${l%j}
	# shellcheck disable=SC2086
	yes | mdadm --create /dev/md2 --run --level="$lvl" --bitmap=none $args >/dev/null 2>&1
	# mdadm --wait exits 1 when the sync had already ended (nothing to wait for)
	check sh -c 'mdadm --wait /dev/md2; [ $? -le 1 ]'
	check dd if=/tmp/data of=/dev/md2 bs=1M oflag=direct status=none
	check mdadm --stop /dev/md2
	devs=$(echo "$args" | tr ' ' '\n' | sed -n 's/^--write-journal=//p; t; /^\/dev/p')
	# shellcheck disable=SC2086
	expect_output "md2 started: raid$lvl, " vnvme raid assemble /dev/md2 $devs
	got=$(dd if=/dev/md2 bs=1M count=8 iflag=direct status=none | sha256sum)
	if [ "$got" = "$want" ]; then ok "raid$l by mdadm: data read back by vnvme's assembly"; else fail "raid$l by mdadm: data differs"; fi
	check vnvme raid stop /dev/md2
	# shellcheck disable=SC2086
	wipe $devs
done

# fail + replace onto the spare disk /dev/sde, data intact
# shellcheck disable=SC2086
check vnvme raid create /dev/md3 --level 5 --assume-clean $DISKS
check dd if=/tmp/data of=/dev/md3 bs=1M oflag=direct status=none
check vnvme raid fail /dev/md3 /dev/sdc
expect_output '\[4/3\] \[UU_U\]' cat /proc/mdstat
expect_output 'sdc\[[0-9]+\]\(F\)' cat /proc/mdstat
check vnvme raid replace /dev/md3 /dev/sdc /dev/sde
expect_output -e '\[4/4\] \[UUUU\]' -e 'sde\[' -- cat /proc/mdstat
if grep -q 'sdc\[' /proc/mdstat; then fail "sdc still in md3"; else ok "sdc removed"; fi
expect_output -e 'Active Devices : 4' -e 'active sync +/dev/sde' -- mdadm --detail /dev/md3
got=$(dd if=/dev/md3 bs=1M count=8 iflag=direct status=none | sha256sum)
if [ "$got" = "$want" ]; then ok "data identical after replace"; else fail "data differs after replace"; fi
# a working member replaced in place (want_replacement), then the copy checked
# sdc still carries its old superblock: refused without --force
expect_exit 3 vnvme raid replace /dev/md3 /dev/sdb /dev/sdc
expect_output 'sdb\[[0-9]+\] ' cat /proc/mdstat
# md does not start the copy (its sync frozen): replace waits, then undoes
# itself (sdb keeps its place, sdc is out, no want_replacement left); the
# old replace said "replaced" at once
check sh -c 'echo frozen > /sys/block/md3/md/sync_action'
expect_error 1 'md did not start copying onto /dev/sdc within 30 s' \
	vnvme raid replace --force /dev/md3 /dev/sdb /dev/sdc
if grep -q 'sdc\[' /proc/mdstat; then fail "sdc left in md3"; else ok "sdc taken out again"; fi
# a signal in that wait: the same undo, exit 128 + 15, sdc's superblock gone
vnvme raid replace --force /dev/md3 /dev/sdb /dev/sdc >/tmp/rp.out 2>&1 &
RP=$!
wait_until 300 grep -q want_replacement /sys/block/md3/md/dev-sdb/state
expect_output 'want_replacement' cat /sys/block/md3/md/dev-sdb/state
expect_output '^spare$' cat /sys/block/md3/md/dev-sdc/state
kill -TERM "$RP"
rc=0
wait "$RP" || rc=$?
[ "$rc" = 143 ] && ok "replace stopped by SIGTERM in its wait (exit 143)" ||
	fail "replace after SIGTERM: exit $rc: $(cat /tmp/rp.out)"
check sh -c 'echo idle > /sys/block/md3/md/sync_action'
expect_output '^in_sync$' cat /sys/block/md3/md/dev-sdb/state
if grep -q 'sdc\[' /proc/mdstat; then fail "sdc left in md3"; else ok "sdc taken out again"; fi
expect_exit 1 mdadm --examine /dev/sdc
check vnvme raid replace --force /dev/md3 /dev/sdb /dev/sdc
expect_output -e '\[4/4\] \[UUUU\]' -e 'sdc\[' -- cat /proc/mdstat
# replace returns when the copy is over (it returned before md had begun it,
# and a check then met the copy: EIO on 6.12)
expect_output '^idle$' cat /sys/block/md3/md/sync_action
if grep -q 'sdb\[' /proc/mdstat; then fail "sdb still in md3"; else ok "sdb replaced and removed"; fi
check sh -c 'echo check > /sys/block/md3/md/sync_action'
check vnvme raid wait /dev/md3
expect_output '^0$' cat /sys/block/md3/md/mismatch_cnt
got=$(dd if=/dev/md3 bs=1M count=8 iflag=direct status=none | sha256sum)
if [ "$got" = "$want" ]; then ok "data identical after the second replace"; else fail "data differs"; fi
# degraded, md rebuilds the missing member onto the new device and does not
# replace the old one: replace says so, and withdraws sdd's want_replacement
check vnvme raid fail /dev/md3 /dev/sda
check vnvme raid remove /dev/md3 /dev/sda
expect_error 1 '/dev/sdd is still a working member' \
	vnvme raid replace --force /dev/md3 /dev/sdd /dev/sdb
expect_output -e '\[4/4\] \[UUUU\]' -e 'sdb\[' -e 'sdd\[' -- cat /proc/mdstat
expect_output '^in_sync$' cat /sys/block/md3/md/dev-sdd/state
# while md copies, replace lets go of vnvme's change lock: another vnvme
# runs at once (and the device of a copy in progress is not replaced in
# turn); a signal ends the wait, md goes on copying
check vnvme raid wait /dev/md3
echo 50 >/proc/sys/dev/raid/speed_limit_min
echo 100 >/proc/sys/dev/raid/speed_limit_max
vnvme raid replace --force /dev/md3 /dev/sdd /dev/sda >/tmp/rp.out 2>&1 &
RP=$!
wait_until 300 grep -qw replacement /sys/block/md3/md/dev-sda/state
expect_output '(^|,)replacement(,|$)' cat /sys/block/md3/md/dev-sda/state
expect_error 3 '/dev/sda is itself a copy in progress in md3' \
	vnvme raid replace --force /dev/md3 /dev/sda /dev/sdb
kill -TERM "$RP"
rc=0
wait "$RP" || rc=$?
[ "$rc" = 143 ] && grep -q 'md goes on copying onto /dev/sda' /tmp/rp.out &&
	ok "SIGTERM ends replace's wait for the copy (exit 143): $(tail -n 1 /tmp/rp.out)" ||
	fail "replace after SIGTERM in the copy: exit $rc: $(cat /tmp/rp.out)"
expect_output '(^|,)replacement(,|$)' cat /sys/block/md3/md/dev-sda/state
expect_output '^(recover|replace)$' cat /sys/block/md3/md/sync_action
echo 1000 >/proc/sys/dev/raid/speed_limit_min
echo 200000 >/proc/sys/dev/raid/speed_limit_max
check vnvme raid wait /dev/md3
check vnvme raid remove /dev/md3 /dev/sdd
expect_output -e '\[4/4\] \[UUUU\]' -e 'sda\[' -- cat /proc/mdstat
check vnvme raid stop /dev/md3
expect_output 'has been started with 4 drives' mdadm --assemble /dev/md3 /dev/sda /dev/sdb /dev/sdc /dev/sde
check mdadm --stop /dev/md3
finish
