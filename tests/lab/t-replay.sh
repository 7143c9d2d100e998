#!/bin/sh
# lab-run: --hdds 14 --hdd-size 32M --nvme-size 32M --timeout 1200
# Crash points replayed with the kernel's dm-log-writes (issue 11): every
# write that reaches a RAID member or the journal is logged, and the array
# is rebuilt as a power cut after each acknowledged batch would have left
# it, then assembled and verified.
#
# Disks: sda-sdd the RAID-5 members, nvme0n1 the journal; sde-sdi copies of
# the five partitions as they were when logging began (the replay bases);
# sdj-sdn the five write logs.
#
# 1. vnvme builds the array and stops it (clean); the partitions are
#    copied to their bases; a log-writes mapping goes over each partition.
# 2. The article's stack on the mappings (journal in write-back, RapidDisk
#    wa, NVMe/TCP export, connect); vnvme-verify writes two runs of batches
#    through it, one acknowledged by flushes, one by FUA writes, with a mark
#    in all five logs after each acknowledged batch (the five mappings
#    suspended meanwhile, so the marks are one instant of the whole array).
# 3. Stack down, mappings removed (logs complete). For each mark in turn:
#    each base is brought forward to the mark with vnvme-replay (writes the
#    kernel logged before it: what was durable then), the array is
#    assembled on snapshots of the bases (md replays its journal), and
#    every batch acknowledged before the mark must read back; md's parity
#    check runs at every fourth crash point and the last.
# 4. Replayed to the end, each base must equal its partition byte for byte
#    (the replay tool judged by cmp).
#
#   tests/lab/run --hdds 14 --hdd-size 32M --nvme-size 32M t-replay.sh \
#       [BATCHES [ENGINE [VARIANTS [anywhere|window [JMODE]]]]]
#
# BATCHES a run (default 3), ENGINE rapiddisk or dm-cache, VARIANTS crash
# states with unflushed writes per crash point (default: one at each run's
# last point): make check replays 8 crash states; `make soak-replay` 1000
# with RapidDisk (two guests, 125 batches a run, one variant each) and 100
# with dm-cache.
. "$VNVME_LAB_LIB"

NQN=nqn.2014-08.org.vnvme:replay
PARTS="sda1 sdb1 sdc1 sdd1 nvme0n1p1"
BASES="sde sdf sdg sdh sdi"
LOGS="sdj sdk sdl sdm sdn"
LW="lw0 lw1 lw2 lw3 lw4"
WORK=$VNVME_LAB_OUT/replay
BATCHES=${1:-3}	# a run; make check: 3 flushed, 3 FUA, 6 crash points
# The read cache over the array: rapiddisk (write-around, vnvme's default
# and the article's) or dm-cache (writethrough, its only safe mode).
ENGINE=${2:-rapiddisk}
CACHE=rc-replay
# Crash states with unflushed writes: VARIANTS more per crash point, each
# the state at the mark plus a random subset of the writes the kernel had
# completed but not yet flushed (logged after the mark, before the next
# flush), applied in a random order, as a volatile write cache may have
# kept them (vnvme-replay extra). Default: one at each run's last point.
# ANYWHERE (a fourth argument "anywhere"): every other variant has each
# device cut later, after a flush or FUA write its seed picks before the
# next mark (vnvme-replay extra --anywhere). Such a state can lose writes:
# md writes the journal's new checkpoint and the members' superblocks (each
# with the flush of that member's cache) at the same time, so the journal
# may say "nothing to replay" while a member's volatile cache still held
# what md had moved there (WINDOW below makes that state on purpose). Not
# in make check or make soak. vnvme now turns the members' caches off
# (vnvme-raid(8), WRITE CACHES), which closes that window on real disks:
# md moves the checkpoint only after its writes to the members completed,
# and with no cache a completed write is on the disk. This replay cannot
# show it: dm-log-writes advertises a cache of its own and logs a write only
# at the next flush, so every state it builds is a volatile cache's.
VARIANTS=${3:-}
ANYWHERE=
[ "${4:-}" != anywhere ] || ANYWHERE=1
# WINDOW (a fourth argument "window"): after the crash points, the state
# that window leaves, made on purpose at the last mark: every member as
# the mark left it, the journal as the stop left it (its checkpoint past
# everything): printed and judged, md is expected to lose writes there.
WINDOW=
[ "${4:-}" != window ] || WINDOW=1
# JMODE (a fifth argument): the journal's mode while the batches are
# written, write-back (the default: the article's) or write-through. With
# write-through and 3 batches a run (6.1) md never moved the checkpoint:
# every crash point replayed every stripe since the start, and the window
# state was not clean and lost nothing (the window needs a reclaim).
JMODE=${5:-write-back}
mkdir -p "$WORK"

# nth N WORDS...: the Nth word (1-based).
nth() {
	shift "$1"
	echo "$1"
}

sectors() {
	cat "/sys/class/block/$1/size"
}

# The device-mapper nodes, without udev.
mknodes() {
	dmsetup mknodes
}

# 1. The array, clean, and the log-writes mappings over its partitions.
check vnvme partition /dev/sda /dev/sdb /dev/sdc /dev/sdd /dev/nvme0n1
check vnvme raid create /dev/md0 --level 5 --journal /dev/nvme0n1p1 \
	/dev/sda1 /dev/sdb1 /dev/sdc1 /dev/sdd1
check vnvme raid wait /dev/md0
check vnvme raid stop /dev/md0
check modprobe dm_log_writes
i=1
for p in $PARTS; do
	b=$(nth $i $BASES) l=$(nth $i $LOGS) w=$(nth $i $LW)
	check dd if="/dev/$p" of="/dev/$b" bs=1M oflag=direct status=none
	check dmsetup create "$w" --table "0 $(sectors "$p") log-writes /dev/$p /dev/$l"
	i=$((i + 1))
done
mknodes

# 2. The stack on the mappings, and the writers with their marks.
stack_up() {
	vnvme raid assemble /dev/md0 --journal-mode "$JMODE" /dev/mapper/lw0 \
		/dev/mapper/lw1 /dev/mapper/lw2 /dev/mapper/lw3 /dev/mapper/lw4 &&
		vnvme cache attach /dev/md0 --size 16 --engine "$ENGINE" --name "$CACHE" &&
		vnvme export create "/dev/mapper/$CACHE" --nqn "$NQN" --addr 127.0.0.1 \
			--port 4420 --allow-host "$(cat /etc/nvme/hostnqn)" &&
		vnvme connect -t tcp -n "$NQN" -a 127.0.0.1 -s 4420
}
check stack_up
NS=$(vnvme list --json | jq -r --arg n "$NQN" '.devices[] | select(.nqn == $n) | .node')
check test -b "$NS"

# mark-all RUN: a mark RUN-SEQ in every log at one instant of the array.
cat >/tmp/mark-all <<EOF
#!/bin/sh
set -e
for d in $LW; do dmsetup suspend \$d; done
for d in $LW; do dmsetup message \$d 0 mark "\$1-\$VNVME_VERIFY_SEQ"; done
for d in $LW; do dmsetup resume \$d; done
EOF
chmod 755 /tmp/mark-all
# Run a (flushes) in the first 4 MiB, run b (FUA writes) in the next 4 MiB.
check vnvme-verify write "$NS" "$WORK/log-a" --blocks 1024 --batch 8 --batches "$BATCHES" \
	--sync flush --on-ack '/tmp/mark-all a'
check vnvme-verify write "$NS" "$WORK/log-b" --blocks 1024 --batch 8 --batches "$BATCHES" \
	--sync fua --offset 4194304 --on-ack '/tmp/mark-all b'

# 3. Down, logs closed, then every crash point.
check vnvme disconnect "$NQN"
check vnvme export delete "$NQN"
check vnvme cache detach "$CACHE"
check vnvme raid stop /dev/md0
for w in $LW; do
	check dmsetup remove "$w"
done
check vnvme-replay marks /dev/sdj
LAST=$(vnvme-replay marks /dev/sdj 2>/dev/null | grep -c ' [ab]-')
echo "replay: $LAST marks in the member logs"

check modprobe brd rd_nr=5 rd_size=16384
# Where each base is in its log: the next entry to replay.
for w in $LW; do echo 0 >"$WORK/pos-$w"; done

# forward MARK: bring every base to MARK.
forward() {
	local i=1 w pos
	for w in $LW; do
		pos=$(vnvme-replay apply "/dev/$(nth $i $LOGS)" "/dev/$(nth $i $BASES)" \
			--to-mark "$1" --from "$(cat "$WORK/pos-$w")" 2>>"$WORK/replay.log") || return
		echo "$pos" >"$WORK/pos-$w"
		i=$((i + 1))
	done
}

# snapshots_up / snapshots_down: throw-away copies of the bases (the copy
# on write in RAM), so assembling (which replays the journal) leaves the
# bases as the log made them.
snapshots_up() {
	local i=1 p
	for p in $PARTS; do
		dmsetup create "s$i" --table "0 $(sectors "$p") snapshot /dev/$(nth $i $BASES) /dev/ram$((i - 1)) N 8" ||
			return
		i=$((i + 1))
	done
	mknodes
}
snapshots_down() {
	local i
	for i in 1 2 3 4 5; do
		dmsetup remove "s$i" || return
	done
}

points=0 failed_points=0 checks=0 journal_replays=0 variants=0 kept=0 later=0 inorder=0
# unflushed RUN-SEQ SEED [anywhere]: on each snapshot, a subset of the writes
# after the mark that no flush had made durable yet (vnvme-replay extra).
# With "anywhere", each device's cut comes after a durable point its seed
# picks (the mark, or any flush or FUA write logged after it before the
# next mark; the log up to there written in order), then the subset of the
# unflushed writes after it: the devices' cuts fall in different flush
# intervals, not only the one after the mark.
unflushed() {
	local i=1 w out
	for w in $LW; do
		out=$(vnvme-replay extra "/dev/$(nth $i $LOGS)" "/dev/mapper/s$i" --after-mark "$1" \
			--from "$(cat "$WORK/pos-$w")" --seed "$(($2 * 5 + i))" \
			${3:+--anywhere} 2>>"$WORK/replay.log") || return
		kept=$((kept + ${out% *}))
		[ "${out#* }" -eq 0 ] || later=$((later + 1))
		inorder=$((inorder + ${out#* }))
		i=$((i + 1))
	done
}

# crash_point RUN SEQ [SEED]: the array as a power cut right after batch SEQ
# of RUN was acknowledged would leave it; with SEED, plus unflushed writes.
crash_point() {
	local run=$1 seq=$2 ok=1 out seen label=$1-$2
	forward "$run-$seq" || { fail "replay to $run-$seq"; return; }
	snapshots_up || { fail "snapshots at $run-$seq"; return; }
	if [ -n "${3:-}" ]; then
		# with ANYWHERE, every other variant cut anywhere before the next
		# mark (see ANYWHERE above: not a state vnvme's defaults survive)
		anywhere=
		[ -z "$ANYWHERE" ] || [ $((variants % 2)) -eq 0 ] || anywhere=1
		unflushed "$run-$seq" "$3" $anywhere || {
			fail "unflushed writes at $run-$seq"
			snapshots_down
			return
		}
		variants=$((variants + 1))
		label="$label+unflushed${anywhere:+-anywhere}"
	fi
	seen=$(dmesg | grep -c 'md0: recovering')
	if vnvme raid assemble /dev/md0 /dev/mapper/s1 /dev/mapper/s2 /dev/mapper/s3 \
		/dev/mapper/s4 /dev/mapper/s5 >"$WORK/assemble.log" 2>&1; then
		# Run a is entirely acknowledged before any mark of run b.
		if [ "$run" = a ]; then
			out=$(vnvme-verify verify /dev/md0 "$WORK/log-a" --upto "$seq")
		else
			out=$(vnvme-verify verify /dev/md0 "$WORK/log-a") &&
				out="$out
$(vnvme-verify verify /dev/md0 "$WORK/log-b" --upto "$seq")"
		fi || ok=0
		printf '%s\n' "$out" | sed "s/^/  $label: /"
		# Did md find stripes to replay in its journal?
		if [ "$(dmesg | grep -c 'md0: recovering')" -gt "$seen" ]; then
			journal_replays=$((journal_replays + 1))
			dmesg | grep 'md0: recovering' | tail -n1 | sed "s/^.*md0: /  $label: md0: /"
		fi
		if [ $((points % 4)) -eq 3 ] || { [ "$run" = b ] && [ "$seq" -eq "$BATCHES" ]; }; then
			checks=$((checks + 1))
			[ "$(md_check md0)" = 0 ] || {
				echo "  $label: mismatch_cnt $(cat /sys/block/md0/md/mismatch_cnt)"
				ok=0
			}
		fi
		vnvme raid stop /dev/md0 >/dev/null || ok=0
	else
		sed "s/^/  $label: /" "$WORK/assemble.log"
		ok=0
	fi
	snapshots_down || ok=0
	points=$((points + 1))
	[ "$ok" -eq 1 ] || failed_points=$((failed_points + 1))
}

# The control: the bases as logging began, before any replay, lack every
# block of run a, and the verification says so (it is not vacuous).
check snapshots_up
check vnvme raid assemble /dev/md0 /dev/mapper/s1 /dev/mapper/s2 /dev/mapper/s3 \
	/dev/mapper/s4 /dev/mapper/s5
expect_error 1 "verified=0 lost=[1-9]" vnvme-verify verify /dev/md0 "$WORK/log-a"
check vnvme raid stop /dev/md0
check snapshots_down

for run in a b; do
	seq=1
	while [ "$seq" -le "$BATCHES" ]; do
		crash_point "$run" "$seq"
		v=0
		while [ "$v" -lt "${VARIANTS:-$((seq == BATCHES))}" ]; do
			v=$((v + 1))
			crash_point "$run" "$seq" "$((points * 7 + v))"
		done
		seq=$((seq + 1))
	done
done
past=
if [ -n "$ANYWHERE" ]; then
	past="; in $later device states the cut came after a flush or FUA past the mark,"
	past="$past $inorder writes written in order up to it"
fi
echo "replay ($ENGINE cache, journal in $JMODE): $points crash points" \
	"($variants of them with $kept unflushed writes kept in all$past)," \
	"$failed_points with a lost block or a bad array," \
	"$checks parity checks, $journal_replays with a journal replay"
check test "$points" -eq $((2 * BATCHES + variants))
want=2
[ -z "$VARIANTS" ] || want=$((2 * BATCHES * VARIANTS))
check test "$variants" -eq "$want"
check test "$failed_points" -eq 0

if [ -n "$WINDOW" ]; then
	# md's checkpoint window at the last mark: members at the mark (the
	# bases, forwarded there), the journal's snapshot brought to its end.
	check snapshots_up
	check vnvme-replay apply /dev/sdn /dev/mapper/s5 --to-end --from "$(cat "$WORK/pos-lw4")"
	seen=$(dmesg | grep -c 'md0: starting from clean shutdown')
	check vnvme raid assemble /dev/md0 /dev/mapper/s1 /dev/mapper/s2 /dev/mapper/s3 \
		/dev/mapper/s4 /dev/mapper/s5
	mdadm --examine /dev/mapper/s1 /dev/mapper/s5 | grep -E '^/dev|Events|State :|Role'
	out=$(vnvme-verify verify /dev/md0 "$WORK/log-a"; vnvme-verify verify /dev/md0 "$WORK/log-b")
	printf '%s\n' "$out" | sed 's/^/  window: /'
	lost=$(printf '%s\n' "$out" | sed -n 's/.* lost=\([0-9]*\).*/\1/p' | awk '{ s += $1 } END { print s + 0 }')
	clean=$(($(dmesg | grep -c 'md0: starting from clean shutdown') - seen))
	echo "window: md started from a clean shutdown: $clean; acknowledged blocks lost: $lost"
	check test "$clean" -eq 1
	check test "$lost" -gt 0
	check vnvme raid stop /dev/md0
	check snapshots_down
fi

# 4. The whole log replayed: each base equals its partition.
i=1
for p in $PARTS; do
	w=$(nth $i $LW)
	check vnvme-replay apply "/dev/$(nth $i $LOGS)" "/dev/$(nth $i $BASES)" --to-end \
		--from "$(cat "$WORK/pos-$w")"
	check cmp -n $(($(sectors "$p") * 512)) "/dev/$p" "/dev/$(nth $i $BASES)"
	i=$((i + 1))
done
finish
