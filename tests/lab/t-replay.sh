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
#       [BATCHES [ENGINE [VARIANTS [anywhere|window|- [JMODE [MEMBERS [TUNE]]]]]]]
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
# next mark (vnvme-replay extra --anywhere). Not in make check or make
# soak. With volatile members (MEMBERS below) such a state can lose writes:
# md writes the journal's new checkpoint and the members' superblocks (each
# with the flush of that member's cache) at the same time, so the journal
# may say "nothing to replay" while a member's volatile cache still held
# what md had moved there (window_state below makes that state on
# purpose). vnvme turns the members' caches off (vnvme-raid(8), WRITE
# CACHES), which closes that window on real disks: md moves the checkpoint
# only after its writes to the members completed, and with no cache a
# completed write is on the disk; MEMBERS write-through models that.
VARIANTS=${3:-}
ANYWHERE=
[ "${4:-}" != anywhere ] || ANYWHERE=1
# At the end, the state that window leaves, made on purpose at the last
# mark (window_state): every member as the mark left it, the journal as the
# stop left it (its checkpoint past everything). With volatile members md
# loses acknowledged writes there (with the journal in write-back), with
# write-through members it must not. ("window" as the fourth argument is
# still taken; the state is always made.)
# JMODE (a fifth argument): the journal's mode while the batches are
# written, write-back (the default: the article's) or write-through. With
# write-through and 3 batches a run (6.1) md never moved the checkpoint:
# every crash point replayed every stripe since the start, and the window
# state was not clean and lost nothing (the window needs a reclaim).
JMODE=${5:-write-back}
# MEMBERS (a sixth argument): the members' write caches. write-through (the
# default, vnvme's: it turns them off): a member holds every write it had
# completed before md's superblock round that the latest cut holds came to
# it (see cut_all). volatile: the members keep caches of their own (what
# --keep-write-cache leaves), each member's cut on its own. both: every
# crash state made and judged in each model from the same logs; only
# write-through's must lose nothing, volatile's losses are counted. "-" for
# the fourth argument means neither anywhere nor window.
MEMBERS=${6:-write-through}
# TUNE (a seventh argument): "no-tune" assembles with the kernel's md
# defaults (vnvme raid assemble --no-tune): a stripe cache of 256, so md
# destages and moves the journal's checkpoint from the first batches on,
# many superblock rounds between marks. Default: vnvme's tuning.
TUNE=
[ "${7:-}" != no-tune ] || TUNE=--no-tune
case $MEMBERS in
write-through | volatile) MODELS=$MEMBERS ;;
both) MODELS="write-through volatile" ;;
*) fail "MEMBERS: write-through, volatile or both, not $MEMBERS"; finish ;;
esac
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
	# shellcheck disable=SC2086 # empty or one word
	vnvme raid assemble /dev/md0 --journal-mode "$JMODE" $TUNE /dev/mapper/lw0 \
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
# The rounds that order the cuts (cut_all): md wrote its superblock to all
# five devices in every round, the same event counts in the same order.
rounds=$(vnvme-replay supers /dev/sdj 2>/dev/null | cut -d' ' -f2 | tr '\n' ' ')
same=1
for l in sdk sdl sdm sdn; do
	[ "$(vnvme-replay supers "/dev/$l" 2>/dev/null | cut -d' ' -f2 | tr '\n' ' ')" = "$rounds" ] ||
		same=0
done
if [ "$same" = 1 ] && [ -n "$rounds" ]; then
	ok "md's superblock rounds, the same in all five logs: $(echo "$rounds" | wc -w) (events $(echo "$rounds" | cut -d' ' -f1) .. $(echo "$rounds" | awk '{ print $NF }'))"
else
	fail "md's superblock rounds differ between the logs (or none): sdj has $rounds"
fi

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
moves=0 moved=0 vol_points=0 vol_failed=0
# cut_all RUN-SEQ MODEL [SEED [anywhere]]: on each snapshot (at the mark),
# the cut that makes one crash state. With SEED, a subset of the writes
# after the cut that no flush had made durable yet (vnvme-replay extra).
# With "anywhere", each device's cut comes after a durable point its seed
# picks (the mark, or any flush or FUA write logged after it before the
# next mark; the log up to there written in order), then the subset of the
# unflushed writes after it: the devices' cuts fall in different flush
# intervals, not only the one after the mark. Then md's superblock rounds
# order the cuts (vnvme-replay extra --plan, --min-round, --wt-round): R is
# the highest round any device's cut holds; every device completed round
# R-1 before md issued round R, so each cut holds R-1; with MODEL
# write-through the members have no volatile cache (vnvme's default: it
# turns their caches off), so each member also holds every write it had
# completed before round R came to it (the writes its round R flush
# logged). With MODEL volatile the members keep caches of their own.
# extra_at I MARK SEED ANY [OPTION...]: vnvme-replay extra of device I's
# log onto its snapshot at MARK (with SEED, and --anywhere if ANY).
extra_at() {
	local i=$1 mark=$2 seed=$3 any=$4 w
	shift 4
	w=$(nth "$i" $LW)
	# shellcheck disable=SC2086 # the seed's option is two words
	vnvme-replay extra "/dev/$(nth "$i" $LOGS)" "/dev/mapper/s$i" --after-mark "$mark" \
		--from "$(cat "$WORK/pos-$w")" ${seed:+--seed $((seed * 5 + i))} \
		${any:+--anywhere} "$@" 2>>"$WORK/replay.log"
}

cut_all() {
	local mark=$1 model=$2 seed=${3:-} any=${4:-} i r rmax=0 opts out
	for i in 1 2 3 4 5; do
		r=$(extra_at "$i" "$mark" "$seed" "$any" --plan) || return
		[ "$r" -le "$rmax" ] || rmax=$r
	done
	r=0
	[ "$rmax" -eq 0 ] || r=$((rmax - 1))
	for i in 1 2 3 4 5; do
		opts="--min-round $r"
		[ "$model" != write-through ] || [ "$i" -eq 5 ] || opts="$opts --wt-round $rmax"
		# shellcheck disable=SC2086 # the options are words
		out=$(extra_at "$i" "$mark" "$seed" "$any" $opts) || return
		# shellcheck disable=SC2086 # three numbers
		set -- $out
		kept=$((kept + $1))
		[ "$(($2 - $3))" -eq 0 ] || later=$((later + 1))
		inorder=$((inorder + $2 - $3))
		[ "$3" -eq 0 ] || { moves=$((moves + 1)); moved=$((moved + $3)); }
	done
}

# crash_point RUN SEQ [SEED]: the array as a power cut right after batch SEQ
# of RUN was acknowledged would leave it; with SEED, plus unflushed writes.
# With MEMBERS both, the state is made and judged once per model.
crash_point() {
	local run=$1 seq=$2 m anywhere=
	forward "$run-$seq" || { fail "replay to $run-$seq"; return; }
	if [ -n "${3:-}" ]; then
		# with ANYWHERE, every other variant cut anywhere before the next
		# mark (see ANYWHERE above: not a state vnvme's defaults survive)
		[ -z "$ANYWHERE" ] || [ $((variants % 2)) -eq 0 ] || anywhere=1
		variants=$((variants + 1))
	fi
	for m in $MODELS; do
		crash_state "$run" "$seq" "$m" "${3:-}" "$anywhere"
	done
}

# crash_state RUN SEQ MODEL [SEED [anywhere]]: one state made and judged.
crash_state() {
	local run=$1 seq=$2 model=$3 ok=1 out seen label=$1-$2
	snapshots_up || { fail "snapshots at $run-$seq"; return; }
	[ -z "$4" ] || label="$label+unflushed${5:+-anywhere}"
	[ "$MEMBERS" != both ] || label="$label[$model]"
	cut_all "$run-$seq" "$model" "$4" "$5" || {
		fail "the cut at $label"
		snapshots_down
		return
	}
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
			[ "$model" = "${MODELS%% *}" ] && journal_replays=$((journal_replays + 1))
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
	if [ "$model" = volatile ] && [ "$MEMBERS" = both ]; then
		vol_points=$((vol_points + 1))
		[ "$ok" -eq 1 ] || vol_failed=$((vol_failed + 1))
		return
	fi
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
echo "replay ($ENGINE cache, journal in $JMODE, members $MEMBERS): $points crash points" \
	"($variants of them with $kept unflushed writes kept in all$past)," \
	"$failed_points with a lost block or a bad array," \
	"$checks parity checks, $journal_replays with a journal replay;" \
	"md's superblock rounds moved $moves device cuts on, by $moved writes in all"
if [ "$MEMBERS" = both ]; then
	echo "replay: the same crash states with volatile member caches: $vol_points," \
		"$vol_failed with a lost block or a bad array"
fi
check test "$points" -eq $((2 * BATCHES + variants))
want=2
[ -z "$VARIANTS" ] || want=$((2 * BATCHES * VARIANTS))
check test "$variants" -eq "$want"
check test "$failed_points" -eq 0

# md's checkpoint window at the last mark: the journal's snapshot brought
# to its end (its checkpoint past everything, from the stop's superblock
# round R), the members at the mark (the bases, forwarded there); in the
# write-through model each member also holds what it had completed before
# round R came to it (vnvme-replay extra --wt-round R).
window_state() {
	local model=$1 rounds seen out lost clean i
	check snapshots_up
	check vnvme-replay apply /dev/sdn /dev/mapper/s5 --to-end --from "$(cat "$WORK/pos-lw4")"
	rounds=$(vnvme-replay supers /dev/sdn 2>/dev/null | wc -l)
	if [ "$model" = write-through ]; then
		for i in 1 2 3 4; do
			if out=$(extra_at "$i" "b-$BATCHES" "" "" --min-round $((rounds - 1)) \
				--wt-round "$rounds"); then
				ok "window: lw$((i - 1))'s cut moved on ${out##* } writes, to just before round $rounds"
			else
				fail "window: the cut of lw$((i - 1))"
			fi
		done
	fi
	seen=$(dmesg | grep -c 'md0: starting from clean shutdown')
	check vnvme raid assemble /dev/md0 /dev/mapper/s1 /dev/mapper/s2 /dev/mapper/s3 \
		/dev/mapper/s4 /dev/mapper/s5
	mdadm --examine /dev/mapper/s1 /dev/mapper/s5 | grep -E '^/dev|Events|State :|Role'
	out=$(vnvme-verify verify /dev/md0 "$WORK/log-a"; vnvme-verify verify /dev/md0 "$WORK/log-b")
	printf '%s\n' "$out" | sed "s/^/  window [$model]: /"
	lost=$(printf '%s\n' "$out" | sed -n 's/.* lost=\([0-9]*\).*/\1/p' | awk '{ s += $1 } END { print s + 0 }')
	clean=$(($(dmesg | grep -c 'md0: starting from clean shutdown') - seen))
	echo "window [$model members]: journal at its end ($rounds superblock rounds);" \
		"md started from a clean shutdown: $clean; acknowledged blocks lost: $lost"
	if [ "$model" = write-through ]; then
		check test "$lost" -eq 0
		[ "$(md_check md0)" = 0 ] && ok "window [$model]: parity clean" ||
			fail "window [$model]: mismatch_cnt $(cat /sys/block/md0/md/mismatch_cnt)"
	elif [ "$JMODE" = write-back ]; then
		# the window itself: nothing says anything is missing
		check test "$clean" -eq 1
		check test "$lost" -gt 0
	fi
	check vnvme raid stop /dev/md0
	check snapshots_down
}
for m in $MODELS; do
	window_state "$m"
done

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
