# Assertion helpers for lab guest scripts (POSIX sh; busybox sh runs them).
#
#   . "$VNVME_LAB_LIB"
#   check modprobe raid456              # passes if the command exits 0
#   expect_exit 3 vnvme partition /dev/sda
#   expect_output 'raid5' cat /proc/mdstat    # grep -E pattern on stdout+stderr
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
	LAB_RC=0
	LAB_LAST_OUTPUT=$("$@" 2>&1) || LAB_RC=$?
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

# finish: the closing line test runners read; status 1 if anything failed.
finish() {
	echo "$LAB_PASSED passed, $LAB_FAILED failed"
	[ "$LAB_FAILED" -eq 0 ]
}
