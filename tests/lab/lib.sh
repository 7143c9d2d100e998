# Assertion helpers for lab guest scripts (POSIX sh; busybox sh runs them).
#
#   . "$VNVME_LAB_LIB"
#   check modprobe raid456              # passes if the command exits 0
#   expect_exit 3 vnvme partition /dev/sda
#   expect_output 'raid5' cat /proc/mdstat    # grep -E pattern on stdout+stderr
#   expect_json 0 vnvme disks --json    # exit 0, one JSON document keeping vnvme(8)'s rules
#   ok "message" / fail "message"       # record a result directly
#   finish                              # "N passed, N failed"; non-zero if any failed
#
# Each assertion prints one "ok:" or "FAIL:" line; a failure also shows the
# command's output, indented.

LAB_PASSED=0
LAB_FAILED=0
LAB_LAST_OUTPUT=

ok() {
	LAB_PASSED=$((LAB_PASSED + 1))
	echo "ok: $*"
}

fail() {
	LAB_FAILED=$((LAB_FAILED + 1))
	echo "FAIL: $*"
}

# Run CMD..., keep its stdout+stderr in LAB_LAST_OUTPUT, its status in
# LAB_RC. Always returns 0, so the helpers also work under set -e.
lab_run() {
	local t0 t1
	read -r t0 _ </proc/uptime
	LAB_RC=0
	LAB_LAST_OUTPUT=$("$@" 2>&1) || LAB_RC=$?
	read -r t1 _ </proc/uptime
	# centiseconds per command, for finish's list of the slowest
	echo "$((${t1%.*}${t1#*.} - ${t0%.*}${t0#*.})) $*" >>/tmp/lab-times
}

lab_show_output() {
	[ -n "$LAB_LAST_OUTPUT" ] && printf '%s\n' "$LAB_LAST_OUTPUT" | sed 's/^/    /'
	return 0
}

# check CMD...: CMD must exit 0.
check() {
	local rc
	lab_run "$@"
	rc=$LAB_RC
	if [ "$rc" -eq 0 ]; then
		ok "$*"
	else
		fail "$* (exit $rc)"
		lab_show_output
	fi
}

# expect_json CODE CMD...: CMD must exit with CODE and print on stdout one
# JSON document that keeps vnvme(8)'s conventions (tests/json-contract,
# /run/lab/bin/json-contract here); the document is left in /tmp/lab-json.json.
expect_json() {
	local want=$1 rc verdict
	shift
	rc=0
	"$@" >/tmp/lab-json.json 2>/tmp/lab-json.err || rc=$?
	if [ "$rc" -ne "$want" ]; then
		fail "$* (exit $rc, expected $want): $(cat /tmp/lab-json.err)"
	elif verdict=$(json-contract /tmp/lab-json.json); then
		ok "json-contract: $* (exit $rc)"
	else
		fail "json-contract: $*"
		printf '%s\n' "$verdict" | sed 's/^/    /'
	fi
}

# expect_exit CODE CMD...: CMD must exit with CODE.
expect_exit() {
	local want=$1 rc
	shift
	lab_run "$@"
	rc=$LAB_RC
	if [ "$rc" -eq "$want" ]; then
		ok "$* (exit $rc)"
	else
		fail "$* (exit $rc, expected $want)"
		lab_show_output
	fi
}

# expect_output PATTERN CMD...: CMD must exit 0 and its output match the
# extended regular expression PATTERN on some line. Several patterns:
# expect_output -e PAT1 -e PAT2 -- CMD... (all must match).
expect_output() {
	local pats= rc p missing=
	if [ "$1" = -e ]; then
		while [ "$1" = -e ]; do
			pats="$pats$2
"
			shift 2
		done
		[ "$1" = -- ] && shift
	else
		pats=$1
		shift
	fi
	lab_run "$@"
	rc=$LAB_RC
	if [ "$rc" -ne 0 ]; then
		fail "$* (exit $rc)"
		lab_show_output
		return
	fi
	while IFS= read -r p; do
		[ -n "$p" ] || continue
		printf '%s\n' "$LAB_LAST_OUTPUT" | grep -Eq -- "$p" || missing="$missing '$p'"
	done <<EOF
$pats
EOF
	if [ -z "$missing" ]; then
		ok "$* matches"
	else
		fail "$* does not match$missing"
		lab_show_output
	fi
}

# expect_error CODE PATTERN CMD...: CMD must exit with CODE and print a line
# matching the extended regular expression PATTERN (a refusal and its reason).
expect_error() {
	local want=$1 pat=$2 rc
	shift 2
	lab_run "$@"
	rc=$LAB_RC
	if [ "$rc" -ne "$want" ]; then
		fail "$* (exit $rc, expected $want)"
		lab_show_output
	elif ! printf '%s\n' "$LAB_LAST_OUTPUT" | grep -Eq -- "$pat"; then
		fail "$* (exit $rc) does not say '$pat'"
		lab_show_output
	else
		ok "$* (exit $rc: $pat)"
	fi
}

# said PATTERN: the last assertion's command output (stdout+stderr) matches
# PATTERN, as a further check on it.
said() {
	if printf '%s\n' "$LAB_LAST_OUTPUT" | grep -Eq -- "$1"; then
		ok "  and said: $1"
	else
		fail "  output does not match '$1'"
		lab_show_output
	fi
}

# writeback_warning WHAT: the last command (WHAT) turned a journal to
# write-back; from Linux 6.7 vnvme must have warned that md's own switch out
# of it on a member failure hits a kernel BUG (vnvme-journal-mode(8)); before
# 6.7 nothing is said.
writeback_warning() {
	case $(uname -r) in
	[0-5].* | 6.[0-6].*)
		if printf '%s\n' "$LAB_LAST_OUTPUT" | grep -q 'warning:'; then
			fail "$1 warned on $(uname -r)"
		else
			ok "$1: no warning on $(uname -r)"
		fi ;;
	*) said 'warning: on this kernel .*r5c_make_stripe_write_out' ;;
	esac
}

# expect_wce 0|1 WHAT DISK...: each disk's write cache bit (WCE) as sdparm
# reads it from the disk's caching mode page, and the kernel's view of it
# (queue/write_cache), are both 0 (write through) or both 1 (write back).
expect_wce() {
	local want=$1 what=$2 kernel="write through" d w k
	shift 2
	[ "$want" = 1 ] && kernel="write back"
	[ $# -gt 0 ] || fail "$what: no disk to judge"
	for d; do
		w=$(sdparm --get=WCE "/dev/$d" 2>&1 | awk '$1 == "WCE" { print $2 }')
		k=$(cat "/sys/block/$d/queue/write_cache")
		if [ "$w" = "$want" ] && [ "$k" = "$kernel" ]; then
			ok "$what: $d WCE $w ($k)"
		else
			fail "$what: $d WCE '$w' ($k), expected $want ($kernel)"
		fi
	done
}

# flushes DEV: field 16 of /sys/block/DEV/stat, flush requests completed
# (Documentation/block/stat.rst).
flushes() {
	awk '{ print $16 }' "/sys/block/$1/stat"
}

# fio_iops FILE OFFSET: 4 KiB random direct reads over 16 MiB at OFFSET,
# the same sequence each time (randrepeat): IOPS as an integer.
fio_iops() {
	fio --name=r --filename="$1" --rw=randread --bs=4k --direct=1 --ioengine=psync \
		--offset="$2" --size=16M --randrepeat=1 --output-format=json |
		jq '.jobs[0].read.iops | floor'
}

# start_writer DEV LOG: vnvme-verify writes 4 KiB blocks among 8 MiB of
# DEV, 8 a batch, each batch flushed, in the background (its pid in WRITER,
# its output in LOG.txt), until stop_writer (at most 5 minutes: a writer
# bounded by time ended before the fault it was to see on a slow lab), and
# returns once 10 batches are acknowledged (at most 60 s). acked LOG: how
# many are so far; acked_over LOG N: wait (up to 60 s) until more than N.
start_writer() {
	WRITER_STOP=$2.stop
	rm -f "$WRITER_STOP"
	vnvme-verify write "$1" "$2" --blocks 2048 --batch 8 --sync flush --seconds 300 \
		--until "$WRITER_STOP" >"$2.txt" 2>&1 &
	WRITER=$!
	acked_over "$2" 9
	kill -0 "$WRITER" 2>/dev/null || fail "the writer ended early: $(tail -n 2 "$2.txt")"
}

stop_writer() { touch "$WRITER_STOP"; }

acked_over() {
	local i=0
	while [ $i -lt 600 ] && [ "$(acked "$1")" -le "$2" ] && kill -0 "$WRITER" 2>/dev/null; do
		sleep 0.1
		i=$((i + 1))
	done
}

acked() {
	local n
	n=$(grep -c '^A' "$1" 2>/dev/null)
	echo "${n:-0}"
}

# fio_cold_warm MAPPING DISK ENGINE: two fio passes over the same 16 MiB of
# a read cache MAPPING over DISK. IOPS under TCG depend on the host's load
# (a warm pass measured slower than the cold one once in CI): they are
# printed; what is judged is how many reads of each pass reached DISK
# (field 1 of its stat), which no load changes: the warm pass must send it
# fewer. (dm-cache on 6.1 keeps only part of this 16 MiB in its 32 MiB
# cache: 2286 cold, 1584 warm, where 6.12 and RapidDisk send none.)
fio_cold_warm() {
	local r0 r1 r2 cold warm
	r0=$(awk '{ print $1 }' "/sys/block/$2/stat")
	cold=$(fio_iops "$1" 64M)
	r1=$(awk '{ print $1 }' "/sys/block/$2/stat")
	warm=$(fio_iops "$1" 64M)
	r2=$(awk '{ print $1 }' "/sys/block/$2/stat")
	echo "fio 4 KiB random reads over 16 MiB through $3: cold $cold IOPS ($((r1 - r0)) reads reached $2), warm $warm IOPS ($((r2 - r1)))"
	if [ "$((r1 - r0))" -gt 0 ] && [ "$((r2 - r1))" -lt "$((r1 - r0))" ]; then
		ok "fio: the warm pass sent $((r2 - r1)) reads to $2, the cold one $((r1 - r0))"
	else
		fail "fio: reads reaching $2: cold $((r1 - r0)), warm $((r2 - r1))"
	fi
}

# md_check MD: md's own parity check of /dev/MD (md/sync_action "check"),
# waited for by polling md/sync_action; prints md/mismatch_cnt.
md_check() {
	local a=/sys/block/$1/md i=0
	echo check >"$a/sync_action" || return
	# It starts asynchronously: give it 2 s to show.
	while [ "$(cat "$a/sync_action")" = idle ] && [ $i -lt 20 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	while [ "$(cat "$a/sync_action")" != idle ]; do
		sleep 0.5
	done
	cat "$a/mismatch_cnt"
}

# power_cut: end the guest at once, as a power failure would: the
# isa-debug-exit port stops QEMU with no sync and no shutdown. The status so
# far (1 if an assertion failed) goes first to /lab/powercut, which
# tests/lab/run takes as this boot's status; the kernel log to
# /lab/dmesg-cut-BOOT.log.
power_cut() {
	dmesg >"/lab/dmesg-cut-${VNVME_LAB_BOOT:-1}.log"
	echo $((LAB_FAILED > 0)) >/lab/powercut.tmp && mv /lab/powercut.tmp /lab/powercut
	printf '\000' | /bin/dd of=/dev/port bs=1 seek=244 count=1 conv=notrunc 2>/dev/null
	sleep 60
}

# last_boot: this boot is the last the scenario needs; tests/lab/run boots
# no more of the --boots it was given (a scenario whose count of boots
# depends on the kernel asks for the most and ends sooner).
last_boot() {
	: >/lab/last-boot
}

# finish: the closing line test runners read; status 1 if anything failed.
finish() {
	# where the scenario's time went (the suite's time is a budget)
	# (a command with a newline in it continues on a line of its own: skipped)
	[ -s /tmp/lab-times ] && grep '^[0-9][0-9]* ' /tmp/lab-times | sort -rn | head -n 6 |
		awk '{ t = $1 / 100; $1 = ""; printf "slowest: %6.1f s %s\n", t, substr($0, 1, 100) }'
	# and by program (the first word that is not eval, sh -c or a helper)
	[ -s /tmp/lab-times ] && awk '!/^[0-9]+ / { next } { p = $2; if (p == "eval") p = $3; if (p == "sh") p = $4;
		t[p] += $1; n[p]++; all += $1; c++ }
		END { for (p in t) printf "%d %s %d\n", t[p], p, n[p]; printf "%d (all) %d\n", all, c }' \
		/tmp/lab-times | sort -rn | head -n 8 |
		awk '{ printf "time in: %6.1f s %s (%d calls)\n", $1 / 100, $2, $3 }'
	echo "$LAB_PASSED passed, $LAB_FAILED failed"
	[ "$LAB_FAILED" -eq 0 ]
}

# ---- the t-stack*.sh scenarios: the article's drive, snapshots of kernel state ----

STACK_NQN=nqn.2014-08.org.vnvme:stack
STACK_HDDS="/dev/sda /dev/sdb /dev/sdc /dev/sdd"

# The article's drive, step by step, with the commands of README.
build_by_steps() {
	# shellcheck disable=SC2086 # the device list is split on purpose
	check vnvme partition $STACK_HDDS /dev/nvme0n1
	check vnvme raid create /dev/md0 --level 5 --journal /dev/nvme0n1p1 \
		/dev/sda1 /dev/sdb1 /dev/sdc1 /dev/sdd1
	check vnvme raid wait /dev/md0
	check vnvme journal-mode /dev/md0 write-back
	check vnvme cache attach /dev/md0 --size 32 --mode wa
	check vnvme export create /dev/mapper/rc-wa_md0 --nqn "$STACK_NQN" \
		--addr 127.0.0.1 --port 4420 --allow-host "$(cat /etc/nvme/hostnqn)"
	check vnvme connect -t tcp -a 127.0.0.1 -s 4420 -n "$STACK_NQN"
}

# The connected namespace's node, /dev/nvmeXnY.
stack_ns() {
	vnvme list --json | jq -r --arg n "$STACK_NQN" '.devices[] | select(.nqn == $n) | .node'
}

# The kernel log lines since mark_dmesg.
mark_dmesg() { LAB_DMESG_MARK=$(dmesg | wc -l); }
new_dmesg() { dmesg | tail -n +$((LAB_DMESG_MARK + 1)); }

# trixie CMD ARGS...: Debian 13's CMD (tlshd, nvme 2.13, keyctl) with its
# own loader and libraries, which assets puts in the 6.12 tools tree.
TRIXIE=/usr/trixie
trixie() {
	local c=$1 p=usr/sbin
	shift
	[ -x "$TRIXIE/$p/$c" ] || p=usr/bin
	"$TRIXIE/usr/lib64/ld-linux-x86-64.so.2" --library-path \
		"$TRIXIE/usr/lib/x86_64-linux-gnu" "$TRIXIE/$p/$c" "$@"
}

# start_tlshd: the kernel's TLS handshake daemon (one serves host and target),
# after nvme-tcp made the .nvme keyring, which it links at start. Its log
# goes to $VNVME_LAB_OUT/tlshd.log; $TLSHD is its PID. The kernel names a
# process after the file it executes: through a link named tlshd to the
# loader, it is tlshd, as when installed (vnvme looks for that name).
start_tlshd() {
	printf '[debug]\nloglevel=3\ntls=0\nnl=0\n[authenticate]\nkeyrings=.nvme\n' >/run/tlshd.conf
	ln -sf "$TRIXIE/usr/lib64/ld-linux-x86-64.so.2" /run/tlshd
	/run/tlshd --library-path "$TRIXIE/usr/lib/x86_64-linux-gnu" "$TRIXIE/usr/sbin/tlshd" \
		-s -c /run/tlshd.conf >>"$VNVME_LAB_OUT/tlshd.log" 2>&1 &
	TLSHD=$!
	# until it runs as tlshd (the name vnvme looks for), not the forked shell
	wait_until 50 grep -qx tlshd "/proc/$TLSHD/comm"
}

# Wait up to $1 tenths of a second until the command after it succeeds.
wait_until() {
	local n=$1 i=0
	shift
	while [ $i -lt "$n" ] && ! "$@" >/dev/null 2>&1; do
		sleep 0.1
		i=$((i + 1))
	done
}

# Wait (up to 10 s) until md0 has written everything out and is clean,
# so that a snapshot does not catch md's own active/clean switch.
settle() {
	local i=0
	sync
	while [ $i -lt 50 ]; do
		[ "$(cat /sys/block/md0/md/array_state 2>/dev/null)" != active ] && break
		sleep 0.2
		i=$((i + 1))
	done
}

# The kernel state the oracles see: md, dm, RapidDisk, nvmet configfs.
# With "stable", what must survive a down/up (no event counts, times,
# device numbers; the namespace UUID and NGUID must survive: up sets them).
snapshot() {
	settle
	if [ "${1:-}" = stable ]; then
		grep -E '^md|blocks' /proc/mdstat
		mdadm --detail /dev/md0 2>&1 | grep -vE 'Update Time|Events|Creation Time|State :|Active Devices|Working Devices'
	else
		cat /proc/mdstat
		mdadm --detail /dev/md0 2>&1
	fi
	cat /sys/block/md0/md/journal_mode /sys/block/md0/md/stripe_cache_size \
		/sys/block/md0/md/group_thread_cnt 2>&1
	# RapidDisk's table shows a hit counter: state, not a count, is compared
	if [ "${1:-}" = stable ]; then
		dmsetup table 2>&1 | sed 's/cached blocks([0-9]*)/cached blocks(N)/'
	else
		dmsetup table 2>&1
	fi
	ls /sys/kernel/rapiddisk/devices 2>/dev/null; ls -d /sys/block/rd* 2>/dev/null
	find /sys/kernel/config/nvmet | sort | while read -r f; do
		if [ -L "$f" ]; then
			echo "$f -> $(readlink "$f")"
		elif [ -f "$f" ]; then
			echo "$f = $(head -c 256 "$f" 2>/dev/null | tr '\n' ' ')"
		else
			echo "$f/"
		fi
	done
}

# same_state A B WHAT: the two snapshot files are identical.
same_state() {
	if cmp -s "$1" "$2"; then
		ok "$3: kernel state identical ($(wc -l <"$1") lines)"
	else
		fail "$3: kernel state differs"
		diff -u "$1" "$2" | head -n 40 | sed 's/^/    /'
	fi
}

# Nothing of the stack left in the kernel; every superblock still there.
all_down() {
	if grep -q '^md' /proc/mdstat; then fail "an array is left"; else ok "no array"; fi
	expect_output 'No devices found' dmsetup ls
	if ls -d /sys/block/rd* >/dev/null 2>&1; then fail "a RAM disk is left"; else ok "no RAM disk"; fi
	local left uuid
	left=$(ls -A /sys/kernel/config/nvmet/subsystems /sys/kernel/config/nvmet/ports \
		2>/dev/null | grep -v -e '^/' -e '^$')
	if [ -z "$left" ]; then
		ok "no nvmet subsystem or port"
	else
		fail "nvmet entries left: $left"
	fi
	# mdadm prints the UUID as four groups of 8 hex digits
	uuid=$(echo "$1" | tr -d - | sed 's/\(.\{8\}\)/\1:/g; s/:$//')
	for d in sda1 sdb1 sdc1 sdd1 nvme0n1p1; do
		expect_output "Array UUID : $uuid" mdadm --examine "/dev/$d"
	done
}

# ms: milliseconds since boot (busybox date has no %N).
ms() {
	awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime
}
