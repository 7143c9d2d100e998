#!/bin/sh
# lab-run: --hdd-size 64M --timeout 1500 --boots 3
# The drive across a reboot without `vnvme down`. Boot 1: build the
# article's drive, save it, write a pattern over NVMe/TCP, end the guest
# at once (no down, no sync). Boot 2 (this script again): `vnvme up` the
# saved file: same array UUID, journal back in write-back, export served,
# the namespace connected, the pattern read back identical; then a clean
# `vnvme down`. Boot 3: after that clean down and a reboot, `up` again: no
# journal replay, the same namespace UUID, the pattern identical. Boot 2
# also: QEMU powers the disks on with their write caches on, `up` turns
# the members' off again (sdparm reads the bit from each disk).
. "$VNVME_LAB_LIB"

OUT=$VNVME_LAB_OUT
S=$OUT/stack.json

# The disks under md0's members (not the journal's).
member_disks() {
	ls /sys/block/md0/slaves | grep '^sd' | sed 's/[0-9]*$//'
}

if [ ! -e "$OUT/boot1-done" ]; then
	build_by_steps
	check vnvme save "$S"
	NS=$(stack_ns)
	check dd if=/dev/urandom of="$OUT/pattern" bs=1M count=8 status=none
	check dd if="$OUT/pattern" of="$NS" bs=1M oflag=direct status=none
	mdadm --detail --export /dev/md0 | sed -n 's/^MD_UUID=//p' >"$OUT/uuid"
	touch "$OUT/boot1-done"
	echo "boot 1: built, saved, pattern written; ending without down"
	finish
	exit
fi

if [ -e "$OUT/boot2-done" ]; then
	echo "boot 3, after a clean down: uptime $(cut -d' ' -f1 /proc/uptime) s"
	check vnvme up "$S"
	printf '%s\n' "$LAB_LAST_OUTPUT"
	case $LAB_LAST_OUTPUT in
	*"not shut down cleanly"*) fail "up after a clean down reported a journal replay" ;;
	*) ok "up after a clean down: no journal replay" ;;
	esac
	expect_output "MD_UUID=$(cat "$OUT/uuid")" mdadm --detail --export /dev/md0
	expect_output '\[write-back\]' cat /sys/block/md0/md/journal_mode
	expect_output "^$(jq -r .export.uuid "$S")\$" \
		cat "/sys/kernel/config/nvmet/subsystems/$STACK_NQN/namespaces/1/device_uuid"
	NS=$(stack_ns)
	check dd if="$NS" of=/tmp/back bs=1M count=8 iflag=direct status=none
	check cmp "$OUT/pattern" /tmp/back
	check vnvme down "$S"
	finish
	exit
fi

echo "boot 2: uptime $(cut -d' ' -f1 /proc/uptime) s"
if grep -q '^md' /proc/mdstat; then fail "an array runs before up"; else ok "no array after the reboot"; fi
# QEMU powers every disk on with its write cache on
# shellcheck disable=SC2046
expect_wce 1 "before up" $(ls /sys/block | grep '^sd')
t0=$(ms)
expect_output -e 'assembled md0' -e 'not shut down cleanly: md replayed its journal' \
	-e 'array: write caches off: sd[a-z], sd[a-z], sd[a-z], sd[a-z]$' \
	-e 'write-through -> write-back' -e 'attached' -e 'exported' -e 'connected' \
	-- vnvme up "$S"
echo "up from cold boot took $(($(ms) - t0)) ms"
printf '%s\n' "$LAB_LAST_OUTPUT"
echo "the kernel on the journal:"
dmesg | grep -iE 'md0|r5l|r5c|journal' | sed 's/^/    /'
expect_output "MD_UUID=$(cat "$OUT/uuid")" mdadm --detail --export /dev/md0
expect_output '\[write-back\]' cat /sys/block/md0/md/journal_mode
# shellcheck disable=SC2046
expect_wce 0 "member after up" $(member_disks)
expect_output 'rapiddisk-cache' dmsetup table rc-wa_md0
expect_output "$STACK_NQN" nvme discover -t tcp -a 127.0.0.1 -s 4420
NS=$(stack_ns)
check test -b "$NS"
check dd if="$NS" of=/tmp/back bs=1M count=8 iflag=direct status=none
check cmp "$OUT/pattern" /tmp/back
expect_output 'nothing changed' vnvme up "$S"
check vnvme save "$OUT/stack-boot2.json"
# /dev names are only the last ones seen: SCSI disks may come up in
# another order after a reboot; the rest of the document must not move.
echo "members before and after the reboot:"
jq -r '.array.members[] | "    \(.serial) \(.device)"' "$S"
jq -r '.array.members[] | "    \(.serial) \(.device)"' "$OUT/stack-boot2.json"
NODEV='walk(if type == "object" then del(.device) else . end)'
jq "$NODEV" "$S" >/tmp/before.json
jq "$NODEV" "$OUT/stack-boot2.json" >/tmp/after.json
check cmp /tmp/before.json /tmp/after.json
t0=$(ms)
check vnvme down "$S"
echo "down took $(($(ms) - t0)) ms"
touch "$OUT/boot2-done"
finish
