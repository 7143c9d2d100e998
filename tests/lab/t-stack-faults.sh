#!/bin/sh
# lab-run: --hdd-size 64M --timeout 1500
# lab-kernels: 6.1 (the undo is vnvme's own code, as in t-signals.sh on 6.12; md without a member or without its journal runs on both kernels in t-disk-fail.sh and t-journal-fail.sh: a second kernel cost CI half a minute)
# `vnvme up` when a layer cannot come up: a bad export address, a cache
# larger than RAM, a member missing, the journal missing, a malformed file.
# Each time up names the layer, undoes what it did and leaves the kernel
# state (mdstat, dm tables, RAM disks, nvmet configfs) exactly as before.
# Then the lock: a second vnvme waits, then names the holder.
. "$VNVME_LAB_LIB"

OUT=$VNVME_LAB_OUT
S=$OUT/stack.json
build_by_steps
check vnvme save "$S"
check vnvme down "$S"
snapshot >"$OUT/down.txt"

# fault NAME CODE PATTERN FILE: up fails with CODE saying PATTERN, and the
# kernel state is what it was.
fault() {
	expect_error "$2" "$3" vnvme up "$4"
	lab_show_output
	snapshot >"$OUT/after-$1.txt"
	same_state "$OUT/down.txt" "$OUT/after-$1.txt" "after $1"
}

jq '.export.port.address = "10.99.99.99"' "$S" >"$OUT/bad-addr.json"
fault bad-address 1 'vnvme: up: export: ' "$OUT/bad-addr.json"
said 'undone: detached the cache rc-wa_md0'
said 'undone: stopped md0'
said 'export failed; the system is as it was before'

jq '.cache.size = "64G"' "$S" >"$OUT/big-cache.json"
fault cache-too-big 3 'vnvme: up: cache: .*(RAM|memory)' "$OUT/big-cache.json"
said 'undone: stopped md0'

jq '.array.level = 7' "$S" >"$OUT/level7.json"
fault malformed 2 "vnvme: up: $OUT/level7.json: array.level: 7 is not a RAID level" \
	"$OUT/level7.json"
printf '{"array": {"name": "md0",\n' >"$OUT/truncated.json"
fault truncated 2 "truncated.json: line [0-9]+, column [0-9]+:" "$OUT/truncated.json"

# A member missing: the disk under sdd1 leaves the machine.
check sh -c 'echo 1 >/sys/block/sdd/device/delete'
fault member-missing 3 'vnvme: up: array: only 3 of the array.s 4 working members' "$S"
for h in /sys/class/scsi_host/host*; do echo '- - -' >"$h/scan"; done
i=0; while [ $i -lt 50 ] && ! ls /sys/block/sd*/sd*1 2>/dev/null | grep -c . | grep -q 4; do
	sleep 0.2; i=$((i + 1)); done
echo "after the rescan: $(ls /sys/block | tr '\n' ' ')"

# The journal missing: the NVMe controller leaves the PCI bus.
NVPCI=$(readlink -f /sys/block/nvme0n1/device/device)
check sh -c "echo 1 >$NVPCI/remove"
fault journal-missing 3 'vnvme: up: array: the write journal of .* is missing' "$S"
check sh -c 'echo 1 >/sys/bus/pci/rescan'
wait_until 100 test -b /dev/nvme0n1p1

# Everything back: up works, members found by their superblocks whatever
# their names became after the rescans.
expect_output -e 'assembled md0' -e 'exported' -- vnvme up "$S"
expect_output '\[write-back\]' cat /sys/block/md0/md/journal_mode

# One change at a time: an up reading its file from a FIFO holds the lock
# until the file comes; meanwhile another changer waits 1 s, then gives up
# naming it; an up behind it waits and then finds nothing to do.
mkfifo /tmp/stack.fifo
vnvme up /tmp/stack.fifo >"$OUT/up-fifo.txt" 2>&1 &
HOLDER=$!
i=0; while [ $i -lt 600 ] && ! grep -q 'vnvme up /tmp/stack.fifo' /run/lock/vnvme.lock 2>/dev/null; do
	sleep 0.05; i=$((i + 1)); done
expect_output "^$HOLDER vnvme up /tmp/stack.fifo" cat /run/lock/vnvme.lock
export VNVME_LOCK_TIMEOUT=1
t0=$(ms)
expect_error 1 "another vnvme is changing the system \(pid $HOLDER vnvme up /tmp/stack.fifo\); gave up after 1 s" \
	vnvme journal-mode /dev/md0 write-through
waited=$(($(ms) - t0))
[ "$waited" -ge 1000 ] && ok "journal-mode waited ${waited} ms for the lock" ||
	fail "journal-mode gave up after ${waited} ms"
expect_error 1 "pid $HOLDER vnvme up" vnvme down "$S"
unset VNVME_LOCK_TIMEOUT
expect_output '\[write-back\]' cat /sys/block/md0/md/journal_mode
vnvme up "$S" >"$OUT/up-second.txt" 2>&1 &
SECOND=$!
sleep 1
cat "$S" >/tmp/stack.fifo
wait "$HOLDER" && ok "the holder: $(tail -n 1 "$OUT/up-fifo.txt")" ||
	fail "the holder failed: $(cat "$OUT/up-fifo.txt")"
wait "$SECOND" && ok "the second up, after it: $(tail -n 1 "$OUT/up-second.txt")" ||
	fail "the second up failed: $(cat "$OUT/up-second.txt")"
check grep -q 'nothing changed' "$OUT/up-second.txt"
finish
