#!/bin/sh
# lab-run: --hdds 5 --hdd-size 64M --timeout 1200
# A disk fails under load (issue 11, point 4): while vnvme-verify writes
# through the whole stack over NVMe/TCP, one HDD goes offline (SCSI device
# state "offline": every I/O to it fails). md marks the member faulty, the
# array goes on degraded, the writer goes on; `vnvme status` exits 10
# naming the member and shows the journal mode the kernel really has (md
# turns write-back off by itself on a degraded array); `vnvme raid
# replace` rebuilds onto a spare; `vnvme up` gives write-back back; every
# acknowledged block verifies, and the parity checks clean.
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
NS=$(stack_ns)
check test -b "$NS"
expect_exit 0 vnvme status
case $(uname -r) in
[0-5].* | 6.[0-6].*) ;;
*) check vnvme journal-mode /dev/md0 write-through ;;	# the stack file keeps write-back
esac

# The writer (start_writer): batches of 8 blocks of 4 KiB among 8 MiB, each
# flushed, for 20 s.
start_writer "$NS" "$LOG" 20
echo "before the failure: $(acked "$LOG") batches acknowledged"

# sdc leaves: every command to it fails from now on. With the journal in
# write-back md meets the failure only when it destages to sdc, which can
# be after the writer has ended.
check sh -c 'echo offline >/sys/block/sdc/device/state'
n=$(acked "$LOG")
wait_until 300 grep -q 'sdc1\[[0-9]*\](F)' /proc/mdstat
expect_output 'sdc1\[[0-9]+\]\(F\)' cat /proc/mdstat
echo "sdc offline at batch $n; md marked sdc1 faulty at batch $(acked "$LOG")"
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
finish
