#!/bin/sh
# lab-run: --hdd-size 32M --nvme-size 64M
# lab-kernels: 6.12 (the undo is vnvme's own code over the interfaces every other scenario drives on both kernels; a second kernel cost CI a minute)
# A signal in the middle of a change: the change is undone, vnvme exits
# 128 + the signal, and nothing is half built (oracles: /proc/mdstat,
# mdadm --examine and --detail, dmsetup, /sys/block/rd*, the nvmet configfs
# tree, the disks' bytes). And the check-then-write race: a device vnvme
# checked stays opened exclusively until it is written, so another program
# cannot claim it (dmsetup, like mount or mdadm, needs it exclusively).
# vnvme's test hook VNVME_TEST_STOP_AT=STEP[:N] stops it (SIGSTOP) at the
# Nth stop point named STEP, so the signal lands at a known step.
. "$VNVME_LAB_LIB"

OUT=$VNVME_LAB_OUT
NQN=nqn.2024-01.io.vnvme:signals
NQN2=nqn.2024-01.io.vnvme:other

# paused STEP CMD...: start CMD with the hook; return once it stopped at STEP.
paused() {
	step=$1
	shift
	VNVME_TEST_STOP_AT=$step "$@" >/tmp/paused.out 2>&1 &
	PID=$!
	i=0
	while [ "$(awk '{ print $3 }' "/proc/$PID/stat" 2>/dev/null)" != T ]; do
		i=$((i + 1))
		if [ $i -gt 1200 ] || ! kill -0 "$PID" 2>/dev/null; then
			fail "never stopped at $step: $*"
			sed 's/^/    /' /tmp/paused.out
			return 1
		fi
		sleep 0.1
	done
	ok "stopped at $step: $*"
}

# resume [SIG]: send SIG (none: just go on), continue, wait; exit in RC.
resume() {
	[ -n "${1:-}" ] && kill -"$1" "$PID"
	kill -CONT "$PID"
	RC=0
	wait "$PID" || RC=$?
	LAB_LAST_OUTPUT=$(cat /tmp/paused.out)
}

exited() {	# exited CODE WHAT
	if [ "$RC" -eq "$1" ]; then ok "$2 (exit $RC)"
	else fail "$2: exit $RC, want $1"; lab_show_output; fi
}

says() {
	if printf '%s\n' "$LAB_LAST_OUTPUT" | grep -Eq -- "$1"; then ok "says '$1'"
	else fail "message lacks '$1'"; lab_show_output; fi
}

# cannot_claim DEV: another program cannot claim DEV exclusively now.
cannot_claim() {
	if dmsetup create grab --table "0 8 linear $1 0" >/dev/null 2>&1; then
		fail "dmsetup claimed $1 while vnvme held it"
		dmsetup remove grab
	else
		ok "dmsetup cannot claim $1 while vnvme holds it"
	fi
}

no_superblock() {
	for d in "$@"; do
		if mdadm --examine "$d" >/dev/null 2>&1; then fail "superblock left on $d"
		else ok "no superblock on $d"; fi
	done
	if grep -q '^md' /proc/mdstat; then fail "an array is left"; cat /proc/mdstat
	else ok "no array"; fi
}

edges() {	# edges DISK: the sums of its first and last MiB
	sz=$(($(cat "/sys/block/$1/size") / 2048))
	dd if="/dev/$1" bs=1M count=1 status=none | sha256sum
	dd if="/dev/$1" bs=1M skip=$((sz - 1)) count=1 status=none | sha256sum
}

# ---- partition: hold from check to write; a signal between disks ----
paused gpt-write vnvme partition /dev/sda
cannot_claim /dev/sda
resume
exited 0 "partition /dev/sda, held through its write"
check test -b /dev/sda1

check dd if=/dev/urandom of=/dev/sdc bs=1M count=1 status=none
for d in sdb sdc sdd; do edges $d >"$OUT/$d.before"; done
paused gpt-write:3 vnvme partition /dev/sdb /dev/sdc --force /dev/sdd
resume TERM
exited 143 "partition interrupted before its third disk"
says 'interrupted by SIGTERM before gpt-write'
says 'nothing was changed'
for d in sdb sdc sdd; do
	edges $d >"$OUT/$d.after"
	if cmp -s "$OUT/$d.before" "$OUT/$d.after" && [ ! -e /sys/block/$d/${d}1 ]; then
		ok "$d: first and last MiB as before, no partition"
	else
		fail "$d changed"
	fi
done
check vnvme partition --force /dev/sdb /dev/sdc /dev/sdd /dev/nvme0n1

# ---- raid create: held until each superblock; a signal between two ----
MEMBERS="/dev/sda1 /dev/sdb1 /dev/sdc1"
ALL="$MEMBERS /dev/nvme0n1p1"
# shellcheck disable=SC2086
paused md-superblock:2 vnvme raid create /dev/md0 -l 5 --journal /dev/nvme0n1p1 $MEMBERS
cannot_claim /dev/sdc1
resume TERM
exited 143 "raid create interrupted after one superblock"
says 'interrupted by SIGTERM'
# shellcheck disable=SC2086
no_superblock $ALL
# every superblock written, the array not yet started
# shellcheck disable=SC2086
paused md-run vnvme raid create /dev/md0 -l 5 --journal /dev/nvme0n1p1 $MEMBERS
resume HUP
exited 129 "raid create interrupted before the array runs"
# shellcheck disable=SC2086
no_superblock $ALL
# shellcheck disable=SC2086
check vnvme raid create /dev/md0 -l 5 --assume-clean --journal /dev/nvme0n1p1 $MEMBERS

# ---- raid replace: the new spare goes again ----
paused md-replace vnvme raid replace /dev/md0 /dev/sda1 /dev/sdd1
resume TERM
exited 143 "raid replace interrupted after adding the spare"
says 'taken out of'
if mdadm --detail /dev/md0 | grep -q sdd1; then fail "sdd1 left in md0"
else ok "sdd1 not in md0"; fi
no_sb=$(mdadm --examine /dev/sdd1 2>&1 | grep -c 'Array UUID')
[ "$no_sb" = 0 ] && ok "no superblock on sdd1" || fail "superblock left on sdd1"

# the modules are loaded first: a module loaded is no half-built change
check modprobe -a rapiddisk rapiddisk-cache nvmet nvmet-tcp
snapshot >"$OUT/before.txt"
same() {
	snapshot >"$OUT/after.txt"
	same_state "$OUT/before.txt" "$OUT/after.txt" "$1"
}

# ---- cache attach: the RAM disk goes again ----
paused cache-map vnvme cache attach /dev/md0 --size 8 --mode wa
resume TERM
exited 143 "cache attach interrupted between RAM disk and mapping"
same "cache attach interrupted"

# ---- export create, restore, delete ----
paused configfs:3 vnvme export create /dev/md0 --nqn "$NQN" --addr 127.0.0.1 \
	--port 4420 --allow-any-host
resume TERM
exited 143 "export create interrupted at its third configfs step"
same "export create interrupted"

check vnvme export create /dev/md0 --nqn "$NQN" --addr 127.0.0.1 --port 4420 --allow-any-host
check vnvme export save "$OUT/one.json"
sed "s/$NQN/$NQN2/; s/4420/4421/" "$OUT/one.json" >"$OUT/two.json"
snapshot >"$OUT/before.txt"
paused configfs:5 vnvme export restore --yes "$OUT/two.json"
resume TERM
exited 143 "export restore interrupted midway"
says 'put back as it was'
same "export restore interrupted"
paused configfs:2 vnvme export delete "$NQN"
resume TERM
exited 143 "export delete interrupted midway"
same "export delete interrupted"

# ---- up: a signal between two layers undoes the layers already up ----
check vnvme save "$OUT/stack.json"
check vnvme down "$OUT/stack.json"
snapshot >"$OUT/before.txt"
paused export vnvme up "$OUT/stack.json"
resume TERM
exited 143 "up interrupted before its export layer"
says 'undone: stopped md0'
same "up interrupted"
finish
