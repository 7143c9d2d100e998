#!/bin/sh
# lab-run: --hdds 6 --hdd-size 64M --timeout 1200
# A disk fails under load (issue 11, point 4): while vnvme-verify writes
# through the whole stack over NVMe/TCP, one HDD goes offline (SCSI device
# state "offline": every I/O to it fails). md marks the member faulty, the
# array goes on degraded, the writer goes on; `vnvme status` exits 10
# naming the member and shows the journal mode the kernel really has (md
# turns write-back off by itself on a degraded array); `vnvme raid
# replace` rebuilds onto a spare; `vnvme up` gives write-back back; every
# acknowledged block verifies, and the parity checks clean.
# Then a second failure during a rebuild: sdd fails, the rebuild onto sdf1
# runs (held slow), sdb goes offline; raid5 cannot lose two, so the array
# fails: `raid replace` does not say it replaced anything (exit 11), writes
# fail rather than being acknowledged, `vnvme status` exits 11; forced back
# up by mdadm, every block acknowledged before reads back.
# From Linux 6.7 the failure comes with the journal in write-through: in
# write-back, md's own switch out of it hit a kernel BUG on 6.12 (raid5-
# cache.c:453, r5c_make_stripe_write_out, 2.6 s after md failed sdc1; md's
# thread died and the array hung; see vnvme-journal-mode(8)).
. "$VNVME_LAB_LIB"

OUT=$VNVME_LAB_OUT
LOG=$OUT/verify.log
build_by_steps
check vnvme save "$OUT/stack.json"
check vnvme partition /dev/sde
# the journal is not a member md copies: refused before anything changes
expect_error 2 '/dev/nvme0n1p1 is the journal of md0' \
	vnvme raid replace /dev/md0 /dev/nvme0n1p1 /dev/sde1
if grep -q 'sde1\[' /proc/mdstat; then fail "sde1 added to md0"; else ok "sde1 not added"; fi
NS=$(stack_ns)
check test -b "$NS"
expect_exit 0 vnvme status
case $(uname -r) in
[0-5].* | 6.[0-6].*) ;;
*) check vnvme journal-mode /dev/md0 write-through ;;	# the stack file keeps write-back
esac

# The writer (start_writer): batches of 8 blocks of 4 KiB among 8 MiB, each
# flushed, until 10 batches after the failure.
start_writer "$NS" "$LOG"
echo "before the failure: $(acked "$LOG") batches acknowledged"

# sdc leaves: every command to it fails from now on. With the journal in
# write-back md meets the failure only when it destages to sdc, when the
# journal or the stripe cache runs short: seen from 1 to 680 batches after
# the failure (82 s in a loaded CI). So the wait lasts as long as the
# writer writes (its own cap is 300 s).
check sh -c 'echo offline >/sys/block/sdc/device/state'
n=$(acked "$LOG")
wait_until 3000 sh -c "grep -q 'sdc1\[[0-9]*\](F)' /proc/mdstat || ! kill -0 $WRITER"
expect_output 'sdc1\[[0-9]+\]\(F\)' cat /proc/mdstat
echo "sdc offline at batch $n; md marked sdc1 faulty at batch $(acked "$LOG")"
acked_over "$LOG" $((n + 10))
stop_writer
wait "$WRITER" && ok "the writer ended well: $(tail -n 1 "$LOG.txt")" ||
	fail "the writer failed: $(tail -n 3 "$LOG.txt")"
[ "$(acked "$LOG")" -gt "$n" ] && ok "I/O went on with sdc offline: batches $n -> $(acked "$LOG")" ||
	fail "no batch acknowledged after sdc went offline ($n)"
# and on the degraded array (after the writer's 8 MiB)
check dd if=/dev/urandom of="$NS" bs=1M count=2 seek=16 oflag=direct conv=fsync status=none
expect_error 10 'sdc1' vnvme status
said 'degraded'
# nothing to rebuild onto: raid wait ends at once, with the health's code
expect_error 10 'md0: .*sdc1' vnvme raid wait --timeout 30 /dev/md0
KMODE=$(sed 's/.*\[\(.*\)\].*/\1/' /sys/block/md0/md/journal_mode)
echo "the kernel's journal mode now: $KMODE"
expect_output "\"journal_mode\": *\"$KMODE\"" sh -c 'vnvme status --json; true'
expect_output "journal.*$KMODE" sh -c 'vnvme status; true'

# The spare replaces the failed member.
check vnvme raid replace /dev/md0 /dev/sdc1 /dev/sde1
expect_output -e '^md0 : active raid5' -e 'sde1\[' -e '\[4/4\] \[UUUU\]' -- cat /proc/mdstat
expect_exit 0 vnvme status
KMODE=$(sed 's/.*\[\(.*\)\].*/\1/' /sys/block/md0/md/journal_mode)
expect_output "\"journal_mode\": *\"$KMODE\"" vnvme status --json
# the stack file says write-back: up sets it again
check vnvme up "$OUT/stack.json"
expect_output '\[write-back\]' cat /sys/block/md0/md/journal_mode
expect_output '"journal_mode": *"write-back"' vnvme status --json
check vnvme-verify verify "$NS" "$LOG"
printf '%s\n' "$LAB_LAST_OUTPUT"
expect_output '^0$' md_check md0

check vnvme partition /dev/sdf
check vnvme raid fail /dev/md0 /dev/sdd1
echo 1000 >/proc/sys/dev/raid/speed_limit_min
echo 2000 >/proc/sys/dev/raid/speed_limit_max
vnvme raid replace /dev/md0 /dev/sdd1 /dev/sdf1 >"$OUT/replace.txt" 2>&1 &
RP=$!
wait_until 100 grep -q 'recovery = ' /proc/mdstat
expect_output 'recovery = ' cat /proc/mdstat
LOG2=$OUT/verify2.log
start_writer "$NS" "$LOG2"
check sh -c 'echo offline >/sys/block/sdb/device/state'
n=$(acked "$LOG2")
# md meets sdb's failure at the rebuild's next read of it, or a write
wait_until 300 grep -q 'sdb1\[[0-9]*\](F)' /proc/mdstat
expect_output 'sdb1\[[0-9]+\]\(F\)' cat /proc/mdstat
if wait "$WRITER"; then
	fail "the writer ended well on a failed array: $(tail -n 1 "$LOG2.txt")"
else
	ok "the writer's writes failed: $(tail -n 1 "$LOG2.txt")"
fi
echo "sdb offline at batch $n of the second writer; $(acked "$LOG2") acknowledged in all"
rc=0
wait "$RP" || rc=$?
[ "$rc" = 11 ] && ok "raid replace exits 11 when a second failure breaks the rebuild" ||
	fail "raid replace exited $rc after the second failure: $(cat "$OUT/replace.txt")"
grep -q 'replaced by' "$OUT/replace.txt" && fail "raid replace said it replaced: $(cat "$OUT/replace.txt")"
grep -q 'not whole' "$OUT/replace.txt" && ok "raid replace: $(grep 'not whole' "$OUT/replace.txt")" ||
	fail "raid replace did not say the array is not whole: $(cat "$OUT/replace.txt")"
expect_error 11 'md0' vnvme status
said 'failed'
expect_exit 1 dd if=/dev/zero of="$NS" bs=4k count=1 seek=3000 oflag=direct conv=fsync status=none
expect_exit 1 dd if=/dev/zero of=/dev/md0 bs=64k count=4 seek=20 oflag=direct conv=fsync status=none
cat /proc/mdstat
# nothing can be rebuilt on a failed array: replace refuses and changes
# nothing (taking sdb1 out would spoil the forced assembly below)
before=$(cat /proc/mdstat)
expect_error 3 'md0: .*: nothing can be rebuilt onto /dev/sdd1' \
	vnvme raid replace --force /dev/md0 /dev/sdb1 /dev/sdd1
[ "$(cat /proc/mdstat)" = "$before" ] && ok "a refused replace left md0 as it was" ||
	fail "replace on the failed array changed it: $(cat /proc/mdstat)"
# Nothing was acknowledged that was not written: sdb comes back, mdadm
# forces the array up on the three members that had the data (sdf1 never
# finished its rebuild), and every block the second writer was told was
# written reads back.
check vnvme disconnect -n "$STACK_NQN"
check vnvme export delete "$STACK_NQN"
check vnvme cache detach rc-wa_md0
check vnvme raid stop /dev/md0
check sh -c 'echo running >/sys/block/sdb/device/state'
check mdadm --assemble --force --run /dev/md0 /dev/sda1 /dev/sdb1 /dev/sde1 /dev/nvme0n1p1
printf '%s\n' "$LAB_LAST_OUTPUT"
check vnvme-verify verify /dev/md0 "$LOG2"
printf '%s\n' "$LAB_LAST_OUTPUT"
check mdadm --stop /dev/md0
finish
