#!/bin/sh
# lab-run: --hdds 9 --hdd-size 64M --timeout 900
# lab-kernels: 6.1 (the refusals are vnvme's own checks, before any change: a second kernel cost 2 of CI's 30 minutes)
# Bad input, every command (issue 11, point 7): with the article's drive
# up (RAID-5 + write-back journal, RapidDisk cache, NVMe/TCP export,
# connected), each row of the table below runs one command with one bad
# input (a missing, duplicate, regular-file, in-use, mounted or formatted
# device; a journal that is also a member; too few members; a device too
# small; a cache larger than RAM; a bad NQN, address or port; a port held by
# another program; a connect where nothing listens; bad and hostile stack and
# nvmetcli files; not root) and must give the exit code vnvme(8) documents,
# a message naming the problem, and no change: the kernel state (mdstat,
# mdadm --examine and sfdisk --dump of every disk, dm tables and open
# counts, RAM and zram disks, NVMe controllers, the whole configfs tree with
# its values, mounts) is the same after the row as before the table.
#
# Spare disks: sde holds an ext4 filesystem, sdf a 1 MiB partition (too
# small for anything) and a mounted ext4 one, sdg sdh sdi are blank;
# /tmp/sdg is a regular file named like a disk.
. "$VNVME_LAB_LIB"

OUT=$VNVME_LAB_OUT
HOSTNQN=$(cat /etc/nvme/hostnqn)
N=nqn.2024-01.io.vnvme:bad
DISKS="sda sdb sdc sdd sde sdf sdg sdh sdi nvme0n1"

# ---- the live stack and the spare devices, built once ----
build_by_steps
check mkfs.ext4 -q -F /dev/sde
check sh -c 'printf "label: gpt\nstart=2048, size=2048\nstart=4096\n" | sfdisk -q /dev/sdf'
wait_until 50 test -b /dev/sdf2
check mkfs.ext4 -q /dev/sdf2
mkdir -p /mnt/m && check mount /dev/sdf2 /mnt/m
truncate -s 64M /tmp/sdg
check vnvme save "$OUT/stack.json"
check vnvme export save "$OUT/export.json"
S=$OUT/stack.json
E=$OUT/export.json

# A program holding a TCP port nvmet would want (busybox nc listens).
nc -l -p 4430 >/dev/null 2>&1 </dev/null &
NC=$!

# Hostile and bad files. Stack files:
printf '{"array": {"name": "md0",\n' >"$OUT/s-truncated.json"
printf 'not json at all\n' >"$OUT/s-garbage.json"
printf '{"disks": ["/dev/sdg"], "disks": ["/dev/sdh"]}\n' >"$OUT/s-dupkey.json"
# One jq run per file for all its variants (a jq start costs about 450 ms
# under TCG): NAME<TAB>compact JSON per line, control characters escaped.
variants() {	# variants PREFIX FILE JQ-PROGRAM
	jq -r -c "$3" "$2" | while IFS='	' read -r name json; do
		printf '%s\n' "$json" >"$OUT/$1-$name.json"
	done
}
variants s "$S" '
	def v($n; f): "\($n)\t\(f | tojson)";
	v("level7"; .array.level = 7),
	v("mdname"; .array.name = "../md0"),
	v("relpath"; .array.members[0] = "sdc1"),
	v("regfile"; .array.members[0] = "/tmp/sdg"),
	v("cachename"; .cache.name = "../../etc/x"),
	v("control"; .cache.name = "control"),
	v("nqnslash"; .export.nqn = "nqn.2024-01.io.vnvme:../../../../pwned"),
	v("nqnctl"; .export.nqn = "nqn.2024-01.io.vnvme:a\u0001b"),
	v("port"; .export.port.service = 99999),
	v("addr"; .export.port.address = "300.1.1.1"),
	v("conaddr"; .connect[0].address = "not-an-address"),
	v("typo"; .arary = {})'
# nvmetcli files (export restore):
variants e "$E" '
	def v($n; f): "\($n)\t\(f | tojson)";
	def sub($q): .subsystems[0].nqn = $q | .ports[0].subsystems = [$q];
	v("dotdot"; sub("../../../../pwned")),
	v("hostdotdot"; .hosts = [{"nqn": "../../../../pwned"}] |
		.subsystems[0].allowed_hosts = ["../../../../pwned"]),
	v("slash"; sub("nqn.2024-01.io.vnvme:a/b")),
	v("newline"; sub("nqn.2024-01.io.vnvme:a\nb")),
	v("ctl"; sub("nqn.2024-01.io.vnvme:a\u0007b")),
	v("ghostsub"; .ports[0].subsystems = ["nqn.2024-01.io.vnvme:ghost"]),
	v("ghosthost"; .subsystems[0].allowed_hosts += ["nqn.2024-01.io.vnvme:ghosthost"]),
	v("port"; .ports[0].addr.trsvcid = "99999")'
for f in s-level7 s-mdname s-relpath s-regfile s-cachename s-control s-nqnslash \
	s-nqnctl s-port s-addr s-conaddr s-typo e-dotdot e-hostdotdot e-slash e-newline \
	e-ctl e-ghostsub e-ghosthost e-port; do
	[ -s "$OUT/$f.json" ] || fail "no $f.json made"
done
printf '{"ports": [' >"$OUT/e-truncated.json"

# Not root: vnvme, its libraries and a stack file where nobody can read them.
grep -q '^nobody:' /etc/passwd || echo 'nobody:x:65534:65534:nobody:/:/bin/sh' >>/etc/passwd
grep -q '^nogroup:' /etc/group || echo 'nogroup:x:65534:' >>/etc/group
mkdir -p /tmp/nb && cp -r /run/lab/libexec/vnvme /run/lab/lib "$S" "$E" /tmp/nb/ &&
	chmod -R a+rX /tmp/nb
# nobody CMD...: run vnvme CMD... as nobody:nogroup (busybox su, as root,
# asks no password).
nobody() {
	su -s /bin/sh nobody -c "LD_LIBRARY_PATH=/tmp/nb/lib exec /tmp/nb/vnvme $*"
}
check nobody --version

# ---- the kernel state every row must leave as it found it ----
# Per row: mdstat, mounts, md0's modes, dm devices (names, sizes), every
# block device's holders and slaves, RAM, zram, md and NVMe devices, the
# configfs tree with every value and link. At each section of the table,
# the same plus dm tables and open counts, mdadm --examine of every disk
# and partition, lsblk (partitions, filesystems) and sfdisk --dump of every disk
# (about 3 s of processes under TCG: too slow for every row; a superblock or
# a partition table that a row changed shows at the section's end).
DEVS=
for d in $DISKS; do
	DEVS="$DEVS /dev/$d"
	for p in /sys/block/$d/$d*; do [ -e "$p" ] && DEVS="$DEVS /dev/${p##*/}"; done
done
snap() {
	# few processes: each start costs tens of ms under TCG, and this runs
	# after every row. dm devices as sysfs has them (each dmsetup start
	# costs about 0.4 s: their tables and open counts once a section, below)
	grep -H '' /proc/mdstat /proc/mounts /sys/block/md0/md/journal_mode \
		/sys/block/md0/md/sync_action /sys/block/md0/md/degraded \
		/sys/block/md0/md/array_state /sys/block/dm-*/dm/name /sys/block/dm-*/size 2>&1
	ls -d /dev/mapper/* /sys/block/rd* /sys/block/zram* /sys/block/md* /sys/class/nvme/* \
		/sys/block/*/holders/* /sys/block/*/slaves/* 2>&1
	# every configfs entry, where each link points, every nvmet value
	# (the guest's find is busybox's: no -printf)
	{
		find /sys/kernel/config
		find /sys/kernel/config -type l -exec stat -c %N {} +
		grep -r '' /sys/kernel/config/nvmet
	} 2>&1 | sort
	# the slow oracles (about 3 s under TCG) once a section, not each row:
	# superblocks, partition tables and sizes change only by a write
	if [ "${1:-}" = full ]; then
		# RapidDisk's table counts cache hits: state, not counts, is compared
		dmsetup table 2>&1 | sed 's/cached blocks([0-9]*)/cached blocks(N)/'
		dmsetup info -c --noheadings -o name,open,attr 2>&1
		# shellcheck disable=SC2086 # the list is split on purpose
		mdadm --examine $DEVS 2>&1
		lsblk -b -n -o NAME,SIZE,TYPE,FSTYPE,PARTUUID,MOUNTPOINT 2>&1
		for d in $DISKS; do sfdisk --dump "/dev/$d" 2>&1; done
	fi
}
settle
BEFORE=$(snap)
snap full >"$OUT/before-full.txt"
echo "snapshot: $(printf '%s\n' "$BEFORE" | wc -l) lines, $(wc -l <"$OUT/before-full.txt") with sfdisk"

# ---- the table: CODE ~ PATTERN (grep -E, on stdout+stderr) ~ COMMAND ----
ROWS=0
row() {
	ROWS=$((ROWS + 1))
	# shellcheck disable=SC2086 # the command is a string of words, eval'd
	expect_error "$1" "$2" eval "$3"
	# compared in the shell: a cmp per row cost 130 ms under TCG
	AFTER=$(snap)
	if [ "$AFTER" != "$BEFORE" ]; then
		fail "  changed the system: $3"
		printf '%s\n' "$BEFORE" >"$OUT/before.txt"
		printf '%s\n' "$AFTER" >"$OUT/after.txt"
		diff "$OUT/before.txt" "$OUT/after.txt" | head -n 20 | sed 's/^/    /'
		BEFORE=$AFTER	# the next rows are judged on their own
	fi
}

# section NAME: the full snapshot (with sfdisk) equals the first one.
section() {
	snap full >"$OUT/after-full.txt"
	if cmp -s "$OUT/before-full.txt" "$OUT/after-full.txt"; then
		ok "before $1: no change in the full snapshot"
	else
		fail "before $1: the full snapshot differs"
		diff "$OUT/before-full.txt" "$OUT/after-full.txt" | head -n 20 | sed 's/^/    /'
		mv "$OUT/after-full.txt" "$OUT/before-full.txt"
	fi
}

T0=$(ms)
while IFS='~' read -r code pat cmd; do
	case $code in
	'') continue ;;
	'#'*) section "${code#\# }"; continue ;;
	esac
	row "${code%% *}" "$(echo "$pat" | sed 's/^ *//; s/ *$//')" "$cmd" </dev/null
done <<EOF
# partition
2 ~ /dev/nosuch.*(does not exist|no such) ~ vnvme partition /dev/nosuch
2 ~ /tmp/sdg: not a block device ~ vnvme partition /tmp/sdg
2 ~ empty ~ vnvme partition ''
2 ~ no disk given ~ vnvme partition
2 ~ sda1.*partition ~ vnvme partition /dev/sda1
2 ~ bogus ~ vnvme partition --type bogus /dev/sdg
2 ~ /dev/sdg.*twice ~ vnvme partition /dev/sdg /dev/sdg
3 ~ /dev/sda1 is a member of md0 ~ vnvme partition /dev/sda
3 ~ /dev/sda1 is a member of md0 ~ vnvme --force partition /dev/sda
3 ~ /dev/nvme0n1p1 is a member of md0 ~ vnvme partition /dev/nvme0n1
3 ~ /dev/sde holds an ext4 ~ vnvme partition /dev/sde
3 ~ /dev/sdf.*(mounted|in use) ~ vnvme --force partition /dev/sdf
3 ~ /dev/sde holds an ext4 ~ vnvme partition /dev/sdg /dev/sde
# raid create
3 ~ /dev/sda1 is in use ~ vnvme raid create /dev/md1 -l 5 /dev/sdg /dev/sdh /dev/sda1
3 ~ /dev/sdg is given twice ~ vnvme raid create /dev/md1 -l 1 /dev/sdg /dev/sdg
3 ~ journal /dev/sdi is also a member ~ vnvme raid create /dev/md1 -l 5 --journal /dev/sdi /dev/sdg /dev/sdh /dev/sdi
3 ~ raid5 needs at least 3 members, 2 given ~ vnvme raid create /dev/md1 -l 5 /dev/sdg /dev/sdh
3 ~ /dev/sdf1 is too small ~ vnvme raid create /dev/md1 -l 1 /dev/sdg /dev/sdf1
3 ~ /dev/sdf1 is too small ~ vnvme raid create /dev/md1 -l 5 --journal /dev/sdf1 /dev/sdg /dev/sdh /dev/sdi
3 ~ /dev/sde holds an ext4 ~ vnvme raid create /dev/md1 -l 1 /dev/sdg /dev/sde
3 ~ /dev/sdf2.*mounted ~ vnvme --force raid create /dev/md1 -l 1 /dev/sdg /dev/sdf2
3 ~ md0 ~ vnvme raid create /dev/md0 -l 1 /dev/sdg /dev/sdh
3 ~ /dev/nvme0n1p1.*in use ~ vnvme raid create /dev/md1 -l 5 --journal /dev/nvme0n1p1 /dev/sdg /dev/sdh /dev/sdi
2 ~ /tmp/sdg: not a block device ~ vnvme raid create /dev/md1 -l 1 /dev/sdh /tmp/sdg
2 ~ /dev/nosuch ~ vnvme raid create /dev/md1 -l 1 /dev/sdh /dev/nosuch
2 ~ level ~ vnvme raid create /dev/md1 -l 7 /dev/sdg /dev/sdh
2 ~ chunk ~ vnvme raid create /dev/md1 -l 5 --chunk 3K /dev/sdg /dev/sdh /dev/sdi
2 ~ sdg ~ vnvme raid create /dev/sdg -l 1 /dev/sdh /dev/sdi
# raid on the running array
3 ~ md0 is in use ~ vnvme raid stop /dev/md0
2 ~ md9 ~ vnvme raid stop /dev/md9
2 ~ sdg ~ vnvme raid stop /dev/sdg
3 ~ /dev/sde holds an ext4 ~ vnvme raid add /dev/md0 /dev/sde
3 ~ /dev/sdf2.*mounted ~ vnvme --force raid add /dev/md0 /dev/sdf2
3 ~ /dev/sdb1.*(in use|member) ~ vnvme raid add /dev/md0 /dev/sdb1
2 ~ /tmp/sdg: not a block device ~ vnvme raid add /dev/md0 /tmp/sdg
2 ~ /dev/sdg.*not a member ~ vnvme raid fail /dev/md0 /dev/sdg
2 ~ /dev/nosuch ~ vnvme raid fail /dev/md0 /dev/sda1 /dev/nosuch
3 ~ would break md0 ~ vnvme raid fail /dev/md0 /dev/sda1 /dev/sdb1
3 ~ /dev/sda1 is an active member of md0 ~ vnvme raid remove /dev/md0 /dev/sda1
3 ~ /dev/sde holds an ext4 ~ vnvme raid replace /dev/md0 /dev/sda1 /dev/sde
2 ~ /dev/sdg.*not a member ~ vnvme raid replace /dev/md0 /dev/sdg /dev/sdh
3 ~ member /dev/sda1 is in use ~ vnvme raid assemble /dev/md1 /dev/sda1 /dev/sdb1 /dev/sdc1 /dev/sdd1 /dev/nvme0n1p1
2 ~ stripe.cache.size ~ vnvme raid tune /dev/md0 --stripe-cache-size 5
2 ~ bogus ~ vnvme journal-mode /dev/md0 bogus
2 ~ sdg ~ vnvme journal-mode /dev/sdg write-back
2 ~ md9 ~ vnvme journal-mode /dev/md9 write-back
# cache
3 ~ (RAM|memory) ~ vnvme cache attach /dev/sdg --size 64G
2 ~ bogus ~ vnvme cache attach /dev/sdg --size bogus
2 ~ control ~ vnvme cache attach /dev/sdg --size 8 --name control
2 ~ a/b ~ vnvme cache attach /dev/sdg --size 8 --name a/b
3 ~ rc-wa_md0 ~ vnvme cache attach /dev/sdg --size 8 --name rc-wa_md0
3 ~ /dev/md0.*(in use|mapped|held) ~ vnvme cache attach /dev/md0 --size 8
3 ~ /dev/sda1.*(in use|member) ~ vnvme cache attach /dev/sda1 --size 8
3 ~ /dev/sdf2.*mounted ~ vnvme cache attach /dev/sdf2 --size 8
2 ~ /tmp/sdg: not a block device ~ vnvme cache attach /tmp/sdg --size 8
3 ~ unsafe ~ vnvme cache attach /dev/sdg --size 8 --mode wb
2 ~ bogus ~ vnvme cache attach /dev/sdg --size 8 --engine bogus
2 ~ nosuch ~ vnvme cache detach nosuch
3 ~ rc-wa_md0.*(open|in use|exported) ~ vnvme cache detach rc-wa_md0
# export
2 ~ whitespace ~ vnvme export create /dev/sdg --nqn 'nqn.2024-01.io.vnvme:a b' --addr 127.0.0.1 --allow-any-host
2 ~ '/' ~ vnvme export create /dev/sdg --nqn nqn.2024-01.io.vnvme:../../x --addr 127.0.0.1 --allow-any-host
2 ~ control ~ vnvme export create /dev/sdg --nqn "\$(printf 'nqn.2024-01.io.vnvme:a\001b')" --addr 127.0.0.1 --allow-any-host
2 ~ at most 222 ~ vnvme export create /dev/sdg --nqn nqn.2024-01.io.vnvme:\$(printf %0220d 0) --addr 127.0.0.1 --allow-any-host
2 ~ not an IPv4 or IPv6 address ~ vnvme export create /dev/sdg --nqn $N --addr 300.1.1.1 --allow-any-host
2 ~ not an IPv4 or IPv6 address ~ vnvme export create /dev/sdg --nqn $N --addr localhost --allow-any-host
2 ~ from 1 to 65535 ~ vnvme export create /dev/sdg --nqn $N --addr 127.0.0.1 --port 0 --allow-any-host
2 ~ from 1 to 65535 ~ vnvme export create /dev/sdg --nqn $N --addr 127.0.0.1 --port 65536 --allow-any-host
2 ~ abc ~ vnvme export create /dev/sdg --nqn $N --addr 127.0.0.1 --port abc --allow-any-host
2 ~ HOSTNQN|host ~ vnvme export create /dev/sdg --nqn $N --addr 127.0.0.1 --allow-host 'bad host'
3 ~ no host is allowed ~ vnvme export create /dev/sdg --nqn $N --addr 127.0.0.1
1 ~ Address already in use ~ vnvme export create /dev/sdg --nqn $N --addr 127.0.0.1 --port 4430 --allow-any-host
3 ~ /dev/dm-[0-9]+ is exported as $STACK_NQN ~ vnvme export create /dev/mapper/rc-wa_md0 --nqn $N --addr 127.0.0.1 --allow-any-host
3 ~ /dev/sda1 is a member of md0 ~ vnvme export create /dev/sda1 --nqn $N --addr 127.0.0.1 --allow-any-host
3 ~ /dev/sdf2.*mounted ~ vnvme export create /dev/sdf2 --nqn $N --addr 127.0.0.1 --allow-any-host
3 ~ $STACK_NQN ~ vnvme export create /dev/sdg --nqn $STACK_NQN --addr 127.0.0.1 --allow-any-host
2 ~ /tmp/sdg is not a block device ~ vnvme export create /tmp/sdg --nqn $N --addr 127.0.0.1 --allow-any-host
2 ~ nqn.2024-01.io.vnvme:none ~ vnvme export delete nqn.2024-01.io.vnvme:none
3 ~ connect ~ vnvme export delete $STACK_NQN
2 ~ cannot open|No such ~ vnvme --yes export restore /nonexist.json
2 ~ e-truncated.json ~ vnvme --yes export restore $OUT/e-truncated.json
2 ~ \.\./\.\./ ~ vnvme --yes export restore $OUT/e-dotdot.json
2 ~ \.\./\.\./ ~ vnvme --yes export restore $OUT/e-hostdotdot.json
2 ~ a/b ~ vnvme --yes export restore $OUT/e-slash.json
2 ~ control|newline ~ vnvme --yes export restore $OUT/e-newline.json
2 ~ control ~ vnvme --yes export restore $OUT/e-ctl.json
2 ~ ghost ~ vnvme --yes export restore $OUT/e-ghostsub.json
2 ~ ghosthost ~ vnvme --yes export restore $OUT/e-ghosthost.json
2 ~ trsvcid '99999' is not a port ~ vnvme --yes export restore $OUT/e-port.json
# host
1 ~ 4431 ~ vnvme connect -t tcp -a 127.0.0.1 -s 4431 -n $N
1 ~ 4431 ~ vnvme discover -t tcp -a 127.0.0.1 -s 4431
2 ~ rdma ~ vnvme connect -t rdma -a 127.0.0.1 -n $N
2 ~ 300.1.1.1 ~ vnvme connect -t tcp -a 300.1.1.1 -n $N
2 ~ (from 1 to 65535|port) ~ vnvme connect -t tcp -a 127.0.0.1 -s 0 -n $N
2 ~ whitespace|NQN ~ vnvme connect -t tcp -a 127.0.0.1 -n 'nqn.2024-01.io.vnvme:a b'
2 ~ nqn.2024-01.io.vnvme:none ~ vnvme disconnect nqn.2024-01.io.vnvme:none
3 ~ nvme0n1.*(PCIe|local) ~ vnvme disconnect /dev/nvme0n1
2 ~ sdg ~ vnvme disconnect /dev/sdg
# stack files
2 ~ /nonexist.json: cannot open it ~ vnvme up /nonexist.json
2 ~ /nonexist.json: cannot open it ~ vnvme check --stack /nonexist.json
2 ~ line 2, column ~ vnvme up $OUT/s-truncated.json
2 ~ line 1 ~ vnvme up $OUT/s-garbage.json
2 ~ disks ~ vnvme up $OUT/s-dupkey.json
2 ~ array.level: 7 is not a RAID level ~ vnvme up $OUT/s-level7.json
2 ~ array.level: 7 is not a RAID level ~ vnvme check --stack $OUT/s-level7.json
2 ~ array.level: 7 is not a RAID level ~ vnvme down $OUT/s-level7.json
2 ~ array.name ~ vnvme up $OUT/s-mdname.json
2 ~ array.name ~ vnvme check --stack $OUT/s-mdname.json
2 ~ array.members\[0\]: 'sdc1' is not a /dev/ path ~ vnvme up $OUT/s-relpath.json
2 ~ /tmp/sdg ~ vnvme up $OUT/s-regfile.json
2 ~ cache.name ~ vnvme up $OUT/s-cachename.json
2 ~ cache.name ~ vnvme up $OUT/s-control.json
2 ~ export.nqn ~ vnvme up $OUT/s-nqnslash.json
2 ~ export.nqn ~ vnvme check --stack $OUT/s-nqnslash.json
2 ~ export.nqn ~ vnvme up $OUT/s-nqnctl.json
2 ~ export.port.service: 99999 ~ vnvme up $OUT/s-port.json
2 ~ export\.port\.address: '300\.1\.1\.1' is not an IPv4 ~ vnvme up $OUT/s-addr.json
2 ~ connect\[0\]\.address: 'not-an-address' is not an IPv4 ~ vnvme up $OUT/s-conaddr.json
2 ~ arary: unknown key ~ vnvme up $OUT/s-typo.json
2 ~ arary: unknown key ~ vnvme down $OUT/s-typo.json
1 ~ /nonexist/x.json ~ vnvme save /nonexist/x.json
1 ~ /nonexist/x.json ~ vnvme export save /nonexist/x.json
# not root
5 ~ root ~ nobody partition /dev/sdg
5 ~ root ~ nobody raid create /dev/md1 -l 1 /dev/sdg /dev/sdh
5 ~ root ~ nobody raid stop /dev/md0
5 ~ root ~ nobody raid fail /dev/md0 /dev/sda1
5 ~ root|Permission denied ~ nobody journal-mode /dev/md0 write-through
5 ~ root ~ nobody cache attach /dev/sdg --size 8
5 ~ root ~ nobody cache detach rc-wa_md0
5 ~ root ~ nobody export create /dev/sdg --nqn $N --addr 127.0.0.1 --allow-any-host
5 ~ root ~ nobody export delete $STACK_NQN
5 ~ root ~ nobody export clear
5 ~ root ~ nobody export restore /tmp/nb/export.json
5 ~ root ~ nobody connect -t tcp -a 127.0.0.1 -n $STACK_NQN
5 ~ root ~ nobody disconnect $STACK_NQN
5 ~ root ~ nobody up /tmp/nb/stack.json
5 ~ root ~ nobody down /tmp/nb/stack.json
# the end
EOF
T=$(($(ms) - T0))
kill "$NC" 2>/dev/null
echo "bad inputs tried: $ROWS, in $T ms ($((T / ROWS)) ms a row, snapshot included)"
[ "$ROWS" -ge 100 ] && ok "$ROWS bad inputs tried" || fail "only $ROWS rows ran"
# the stack still works: the namespace reads
NS=$(stack_ns)
check dd if="$NS" of=/dev/null bs=1M count=4 iflag=direct status=none
finish
