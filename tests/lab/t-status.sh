#!/bin/sh
# lab-run: --hdds 5 --hdd-size 64M --timeout 1200
# vnvme check and vnvme status on the real kernel: every module found, then
# the article's stack (RAID-5 with an NVMe journal in write-back, RapidDisk
# cache, NVMe/TCP export, a host connected) judged layer by layer, with the
# health exit codes: a member failed by mdadm (the oracle's doing) is
# degraded (10) and named, a rebuild onto a spare brings 0 back, an export
# whose device went away is a missing layer (12), two members lost is
# failed (11). JSON checked with jq against /proc, /sys and mdadm.
. "$VNVME_LAB_LIB"

MEMBERS="/dev/sda1 /dev/sdb1 /dev/sdc1 /dev/sdd1"
J=/dev/nvme0n1p1
CFS=/sys/kernel/config/nvmet
NQN=nqn.2024-01.io.vnvme:status
HOST=$(cat /etc/nvme/hostnqn)
OUT=/tmp/status.json

# jq_ok FILTER: the last JSON document ($OUT) satisfies FILTER.
jq_ok() {
	if jq -e "$1" "$OUT" >/dev/null; then
		ok "jq: $1"
	else
		fail "jq: $1"
		sed 's/^/    /' "$OUT" | head -n 80
	fi
}

# --- check: this kernel has every module, nothing loaded to say so -----------
# (.auth: null, unknown, before nvmet shows a host on a kernel without its
# config file, as the lab's; judged below once a host exists)
expect_output -e '^module raid456 +(available|loaded)' -e '^module rapiddisk-cache +' \
	-e '^cache engine rapiddisk$' -e '^check: ok$' -- vnvme check
vnvme check --json >"$OUT"
jq_ok '.ok and ([.modules[] | select(.state == "missing")] | length) == 0'
jq_ok '.configfs.mounted and (.memory.available_bytes | type) == "number" and (.auth == null or (.auth | type) == "boolean")'
# lookups only: rapiddisk was not loaded by check
if grep -q '^rapiddisk ' /proc/modules; then fail "check loaded rapiddisk"; else ok "check loaded nothing"; fi

# --- nothing running: a layer missing -----------------------------------------
expect_error 12 'no md array, cache mapping, NVMe export or NVMe-oF controller' vnvme status

# --- the array: degraded while it recovers, --watch to the end ----------------
check vnvme partition /dev/sda /dev/sdb /dev/sdc /dev/sdd /dev/sde /dev/nvme0n1
# a recovery slow enough to be seen: 2 MB/s while status looks at it
check modprobe md_mod
echo 2000 >/proc/sys/dev/raid/speed_limit_max
# shellcheck disable=SC2086
check vnvme raid create /dev/md0 --level 5 --journal $J $MEMBERS
expect_error 10 'rebuilding onto /dev/sdd1: recover [0-9.]+%' vnvme status
said '^raid +/dev/md0 +degraded +raid5'
said '^status: degraded$'
vnvme status --json >"$OUT"
jq_ok '.exit_code == 10 and .arrays[0].sync.action == "recover" and
	(.arrays[0].sync.total_bytes | type) == "number" and .arrays[0].sync.total_bytes % 1024 == 0 and
	(.arrays[0].sync.remaining_seconds | type) == "number" and
	(.arrays[0].sync.speed_bytes_per_second | type) == "number"'
expect_exit 10 vnvme raid status /dev/md0
# full speed again: --watch follows it to the end
echo 200000 >/proc/sys/dev/raid/speed_limit_max
expect_output -e '^/dev/md0 recover [0-9.]+%, .*, degraded$' -e '^status: ok$' -- \
	vnvme status --watch
lines=$(printf '%s\n' "$LAB_LAST_OUTPUT" | grep -c '^/dev/md0 recover')
if [ "$lines" -ge 1 ] && [ "$lines" -le 12 ]; then
	ok "--watch: $lines progress lines (one per tenth at most)"
else
	fail "--watch: $lines progress lines"
fi
expect_output '\[4/4\] \[UUUU\]' cat /proc/mdstat

# --- healthy: the article's stack, every layer named --------------------------
check vnvme journal-mode /dev/md0 write-back
expect_output -e '^raid +/dev/md0 +ok +raid5, clean, .*\[4/4\] \[UUUU\], journal /dev/nvme0n1p1 write-back$' \
	-e '^status: ok$' -- vnvme status
check vnvme raid status /dev/md0
check vnvme cache attach /dev/md0 --size 16 --mode wa
check vnvme export create /dev/mapper/rc-wa_md0 --nqn "$NQN" --addr 127.0.0.1 --port 4420 \
	--allow-host "$HOST"
check vnvme connect -t tcp -n "$NQN" -a 127.0.0.1 -s 4420
expect_output -e '^cache +/dev/mapper/rc-wa_md0 +ok +rapiddisk wa over /dev/md0, RAM /dev/rd0 16 MiB' \
	-e "^export +$NQN +ok" -e '^ +namespace 1 /dev/mapper/rc-wa_md0$' \
	-e '^ +port 1 tcp 127.0.0.1:4420, [1-9][0-9]* TCP connections? from 127.0.0.1$' \
	-e "^ +host $HOST$" -e '^host +/dev/nvme1 +ok +live, tcp ' -e '^status: ok$' -- vnvme status
vnvme status --json >"$OUT"
md_bytes=$(($(cat /sys/block/md0/size) * 512))
jq_ok ".status == \"ok\" and .exit_code == 0 and .problems == [] and
	.arrays[0].array == \"/dev/md0\" and .arrays[0].size_bytes == $md_bytes and
	.arrays[0].journal_device == \"/dev/nvme0n1p1\" and .arrays[0].journal_mode == \"write-back\" and
	.arrays[0].sync == null and ([.arrays[0].members[].device | startswith(\"/dev/\")] | all)"
jq_ok '.caches[0].target == "/dev/md0" and .caches[0].cache_bytes == 16777216 and
	.caches[0].cache_device == "/dev/rd0" and (.caches[0].read_hits | type) == "number" and
	.caches[0].flush_passed == false'
# oracles: established TCP connections on 4420 (0x1144) and the controller's sysfs state
conns=0
# shellcheck disable=SC2034 # sl, rem and rest are read past
while read -r sl laddr rem st rest; do
	case $laddr in *:1144) [ "$st" = 01 ] && conns=$((conns + 1)) ;; esac
done <<EOF_TCP
$(cat /proc/net/tcp /proc/net/tcp6 2>/dev/null)
EOF_TCP
grep -i ':1144 ' /proc/net/tcp /proc/net/tcp6 2>/dev/null | sed 's/^/    tcp: /'
echo "established on 4420: $conns; vnvme: $(jq '.exports[0].ports[0].connections' "$OUT")"
jq_ok ".exports[0].nqn == \"$NQN\" and .exports[0].ports[0].connections == $conns and
	.exports[0].ports[0].port == 4420 and .exports[0].ports[0].peers == [\"127.0.0.1\"] and
	.exports[0].allowed_hosts == [\"$HOST\"] and
	.exports[0].connected_hosts == null"
ctrl=$(jq -r '.controllers[0].controller' "$OUT")
jq_ok ".controllers[0].state == \"$(cat "/sys/class/nvme/${ctrl#/dev/}/state")\" and
	.controllers[0].subsysnqn == \"$NQN\" and (.controllers[0].device | startswith(\"/dev/nvme\"))"
# in-band authentication: vnvme check says what the kernel shows, a
# dhchap_key under an nvmet host (6.12 has it; 6.1 has no target auth)
if [ -e "$CFS/hosts/$HOST/dhchap_key" ]; then AUTH=true; else AUTH=false; fi
case $(uname -r) in 6.1.*) [ "$AUTH" = false ] && ok "6.1: no dhchap_key" || fail "6.1 has a dhchap_key" ;; esac
vnvme check --json >"$OUT"
jq_ok ".auth == $AUTH"

# --- JSON on the live stack: vnvme(8)'s convention (tests/json-contract) ----
# What tests/cli cannot fake on a tree: the listings of live objects (a dm
# mapping, a connected controller) and the plans that need them; every
# --json command is judged there on a tree.
for c in disks "raid status" "cache list" "export list" list status; do
	# shellcheck disable=SC2086
	expect_json 0 vnvme $c --json
done
for c in "cache detach --force rc-wa_md0" "disconnect $NQN" \
	"export create /dev/sde1 --nqn $NQN.2 --addr 127.0.0.1 --allow-host $HOST"; do
	# shellcheck disable=SC2086
	expect_json 0 vnvme $c --dry-run --json
	jq -e '.dry_run == true and (.changes | length) > 0' /tmp/lab-json.json >/dev/null &&
		ok "$c --dry-run --json: a plan" || fail "$c --dry-run --json: no plan"
done
# completion offers the live names
for c in "raid stop:/dev/md0" "cache detach:rc-wa_md0" "export delete:$NQN" "disconnect:$NQN"; do
	# shellcheck disable=SC2086
	vnvme __complete ${c%%:*} | grep -qxF "${c#*:}" && ok "completion of '${c%%:*}' offers ${c#*:}" ||
		fail "completion of '${c%%:*}': $(vnvme __complete ${c%%:*} | tr '\n' ' ')"
done

# --- a member failed by mdadm: degraded, the member named ---------------------
check mdadm /dev/md0 --fail /dev/sdb1
expect_output 'faulty +/dev/sdb1' mdadm --detail /dev/md0
expect_error 10 'member /dev/sdb1 is faulty' vnvme status
said '1 of 4 members missing \[U_UU\], slot 1'
said '^status: degraded$'
expect_error 10 'member /dev/sdb1 is faulty' vnvme raid status /dev/md0
vnvme raid status --json /dev/md0 >"$OUT"
jq_ok '.arrays[0].status == "degraded" and .arrays[0].degraded_count == 1 and
	([.arrays[0].notes[].text | select(test("/dev/sdb1"))] | length) >= 1'

# --- a spare added, the rebuild waited for: healthy again ---------------------
check vnvme raid add /dev/md0 /dev/sde1
check vnvme raid wait /dev/md0
expect_output -e 'State : clean *$' -e 'active sync +/dev/sde1' -- mdadm --detail /dev/md0
expect_output -e '^status: ok$' -e 'member /dev/sdb1 is faulty and no longer used' -- vnvme status
check vnvme raid status /dev/md0
check vnvme raid remove /dev/md0 /dev/sdb1

# --- an export whose device went away: a missing layer ------------------------
check vnvme disconnect "$NQN"
echo 0 >"$CFS/subsystems/$NQN/namespaces/1/enable"
expect_error 3 'is exported as' vnvme cache detach rc-wa_md0
check vnvme cache detach --force rc-wa_md0
expect_error 12 "namespace 1: its device /dev/mapper/rc-wa_md0 is gone|namespace 1 \(/dev/mapper/rc-wa_md0\) is disabled" \
	vnvme status
said "^export +$NQN +missing"
said '^status: missing$'
vnvme status --json >"$OUT"
jq_ok ".exit_code == 12 and .problems[0].layer == \"export\" and .problems[0].object == \"$NQN\""
check vnvme export delete "$NQN"
# what a monitor names must run
check vnvme status /dev/md0
check vnvme raid stop /dev/md0
expect_error 12 '/dev/md0 is not there' vnvme status /dev/md0
expect_error 12 'md0' vnvme raid status /dev/md0

# --- two members lost: failed ---------------------------------------------------
# shellcheck disable=SC2086
check vnvme raid assemble /dev/md0 /dev/sda1 /dev/sdc1 /dev/sdd1 /dev/sde1 $J
check mdadm /dev/md0 --fail /dev/sdc1
# 6.1 answers EBUSY to the second fail, yet marks it faulty and the array broken
mdadm /dev/md0 --fail /dev/sdd1
expect_output -e 'State : .*FAILED' -e 'faulty +/dev/sdd1' -- mdadm --detail /dev/md0
echo "after the second fail: array_state $(cat /sys/block/md0/md/array_state), mdstat:"
sed 's/^/    /' /proc/mdstat
expect_error 11 'more than raid5 survives' vnvme status
said '^status: failed$'
expect_exit 11 vnvme raid status /dev/md0

finish
