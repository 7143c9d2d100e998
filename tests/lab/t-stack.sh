#!/bin/sh
# lab-run: --hdd-size 64M --timeout 1500
# The drive as one object: the article's stack built step by step, saved
# with `vnvme save`; `vnvme up` on it changes nothing; `vnvme down` leaves
# no array, dm device, RAM disk or nvmet entry but every superblock; `vnvme
# up` brings the same state back and the data written before reads back
# identical over NVMe/TCP; save after that gives the same document.
. "$VNVME_LAB_LIB"

OUT=$VNVME_LAB_OUT
build_by_steps
NS=$(stack_ns)
check test -b "$NS"
check dd if=/dev/urandom of=/tmp/pattern bs=1M count=8 status=none
check dd if=/tmp/pattern of="$NS" bs=1M oflag=direct status=none
UUID=$(mdadm --detail --export /dev/md0 | sed -n 's/^MD_UUID=//p' | tr -d : |
	sed 's/^\(.\{8\}\)\(.\{4\}\)\(.\{4\}\)\(.\{4\}\)/\1-\2-\3-\4-/')
echo "array uuid: $UUID"

check vnvme save "$OUT/stack.json"
cat "$OUT/stack.json"
expect_output -e "\"uuid\": \"$UUID\"" -e '"serial": "VNVME-HDD' -e '"journal_mode": "write-back"' \
	-- cat "$OUT/stack.json"

# up on a stack that is up: nothing changes.
snapshot >"$OUT/built.txt"
expect_output 'is up: nothing changed' vnvme up "$OUT/stack.json"
snapshot >"$OUT/up-again.txt"
same_state "$OUT/built.txt" "$OUT/up-again.txt" "up on a running stack"
expect_output '"changed": false' vnvme up --json "$OUT/stack.json"
expect_output -e 'would disconnect' -e 'would remove the export' -e 'would stop md0' -- vnvme down --dry-run "$OUT/stack.json"
snapshot >"$OUT/down-dry.txt"
same_state "$OUT/built.txt" "$OUT/down-dry.txt" "down --dry-run"
snapshot stable >"$OUT/built-stable.txt"
# the preflight of this very file: it can come up here; a cache larger than
# RAM cannot
expect_output -e 'md_mod' -e '/dev/nvme0n1p1' -e 'journal .* hot set up to' \
	-- vnvme check --stack "$OUT/stack.json"
# raid create turned the members' write caches off (QEMU's disks start with
# theirs on); sda's turned back on by hand: check warns of that member
# only, as the kernel has it (queue/write_cache), and never of the journal
for d in sda sdb sdc sdd; do
	check grep -qx 'write through' "/sys/block/$d/queue/write_cache"
done
for f in /sys/block/sda/device/scsi_disk/*/cache_type; do
	echo "write back" >"$f"
done
check grep -qx 'write back' /sys/block/sda/queue/write_cache
# and the journal advice raid create gives, from the file's devices
vnvme check --stack "$OUT/stack.json" --json >"$OUT/check.json"
check jq -e '.journal_advice.journal_bytes > 0 and .journal_advice.payoff_hot_set_bytes > 0
	and .journal_advice.burst_hot_set_bytes > 0' "$OUT/check.json"
check jq -e '([.devices[] | select(.journal | not) | select(.volatile_cache) | .device] ==
		["/dev/sda1"])
	and ([.findings[] | select(.level == "warning" and
		(.text | test("write cache is volatile"))) | .what] == ["/dev/sda1"])' "$OUT/check.json"
jq '.cache.size = "64G"' "$OUT/stack.json" >/tmp/huge.json
expect_exit 1 vnvme check --stack /tmp/huge.json

# down: top down, the data stays.
t0=$(ms)
expect_output -e 'disconnected' -e 'removed the export' -e 'detached' -e 'stopped md0' \
	-- vnvme down "$OUT/stack.json"
echo "down took $(($(ms) - t0)) ms"
printf '%s\n' "$LAB_LAST_OUTPUT"
all_down "$UUID"
snapshot >"$OUT/down.txt"
expect_output 'is down: nothing changed' vnvme down "$OUT/stack.json"

# up again: the same drive.
expect_output -e 'would assemble md0' -e 'would attach' -e 'would export' \
	-- vnvme up --dry-run "$OUT/stack.json"
snapshot >"$OUT/up-dry.txt"
same_state "$OUT/down.txt" "$OUT/up-dry.txt" "up --dry-run"
t0=$(ms)
expect_output -e 'assembled md0' -e 'write-through -> write-back' -e 'attached' \
	-e 'exported' -e 'connected' -- vnvme up "$OUT/stack.json"
echo "up took $(($(ms) - t0)) ms"
printf '%s\n' "$LAB_LAST_OUTPUT"
# write-back on 6.7+: the warning of vnvme-journal-mode(8), on 6.1 none
writeback_warning "up"
if printf '%s\n' "$LAB_LAST_OUTPUT" | grep -q 'not shut down cleanly'; then
	fail "up calls a clean down unclean"
else
	ok "after a clean down, up reports no journal replay"
fi
snapshot stable >"$OUT/up-stable.txt"
same_state "$OUT/built-stable.txt" "$OUT/up-stable.txt" "down then up"
expect_output "\[write-back\]" cat /sys/block/md0/md/journal_mode
NS=$(stack_ns)
check test -b "$NS"
check dd if="$NS" of=/tmp/back bs=1M count=8 iflag=direct status=none
check cmp /tmp/pattern /tmp/back
check vnvme save "$OUT/stack2.json"
check cmp "$OUT/stack.json" "$OUT/stack2.json"
finish
