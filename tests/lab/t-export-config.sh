#!/bin/sh
# vnvme export save/clear/restore in nvmetcli's format, judged by the
# configfs tree and nvme-cli; every refusal of export create: exit code,
# message, nothing left in configfs; and all or nothing: a restore, clear
# or delete the kernel refuses midway leaves the running target as it was
# (the configfs tree, and nvme-cli discovering, connecting and reading it).
. "$VNVME_LAB_LIB"

CFS=/sys/kernel/config/nvmet
HOST=nqn.2014-08.org.nvmexpress:uuid:11111111-2222-4333-8444-555555555555
A=nqn.2024-01.io.vnvme:a
B=nqn.2024-01.io.vnvme:b

# Nothing in the target: no subsystem, port or host.
empty() {
	n=$(ls "$CFS/subsystems" "$CFS/ports" "$CFS/hosts" 2>/dev/null | grep -vc -e '^$' -e ':$')
	[ "$n" = 0 ] && ok "configfs is empty ($*)" || { fail "configfs not empty ($*)"; ls -R "$CFS" | head -20 | sed 's/^/    /'; }
}

# Every configfs entry with its value (files) or target (links), sorted.
tree() {
	find "$CFS" | sort | while read -r p; do
		if [ -L "$p" ]; then
			echo "$p -> $(readlink "$p")"
		elif [ -f "$p" ] && [ -r "$p" ]; then
			echo "$p = $(cat "$p" 2>/dev/null)"
		else
			echo "$p"
		fi
	done
}

# same_tree REF WHAT: the configfs tree is the one in REF, entry for entry.
same_tree() {
	ref=$1
	shift
	tree >/tmp/now.tree
	if cmp -s "$ref" /tmp/now.tree; then
		ok "the tree is the same ($*, $(wc -l </tmp/now.tree) entries)"
	else
		fail "the tree differs ($*)"
		diff "$ref" /tmp/now.tree | head -20 | sed 's/^/    /'
	fi
}

# --- refusals of export create (exit code, message, nothing created) -------
LONG=nqn.2024-01.io.vnvme:$(printf "%0202d" 0)
expect_error 3 'no host is allowed' vnvme export create /dev/sda --nqn "$A" --addr 127.0.0.1
expect_error 2 'at most 222' vnvme export create /dev/sda --nqn "$LONG" --addr 127.0.0.1 --allow-any-host
expect_error 2 'whitespace' vnvme export create /dev/sda --nqn "nqn.2024-01.io.vnvme:a b" --addr 127.0.0.1 --allow-any-host
expect_error 2 "contains '/'" vnvme export create /dev/sda --nqn "nqn.2024-01.io.vnvme:a/b" --addr 127.0.0.1 --allow-any-host
expect_error 2 'discovery' vnvme export create /dev/sda --nqn nqn.2014-08.org.nvmexpress.discovery --addr 127.0.0.1 --allow-any-host
expect_error 2 'not an IPv4 or IPv6 address' vnvme export create /dev/sda --nqn "$A" --addr 300.1.1.1 --allow-any-host
expect_error 2 'not ipv6' vnvme export create /dev/sda --nqn "$A" --addr 127.0.0.1 --family ipv6 --allow-any-host
expect_error 2 'not ipv4 or ipv6' vnvme export create /dev/sda --nqn "$A" --addr 127.0.0.1 --family ib --allow-any-host
expect_error 2 'not supported' vnvme export create /dev/sda --nqn "$A" --addr 127.0.0.1 --transport rdma --allow-any-host
expect_error 2 'from 1 to 65535' vnvme export create /dev/sda --nqn "$A" --addr 127.0.0.1 --port 0 --allow-any-host
expect_error 2 'from 1 to 65535' vnvme export create /dev/sda --nqn "$A" --addr 127.0.0.1 --port 65536 --allow-any-host
expect_error 2 'not a block device' vnvme export create /etc/passwd --nqn "$A" --addr 127.0.0.1 --allow-any-host
expect_error 2 'does not exist' vnvme export create /dev/nosuch --nqn "$A" --addr 127.0.0.1 --allow-any-host
expect_error 2 'exclude each other' vnvme export create /dev/sda --nqn "$A" --addr 127.0.0.1 --allow-any-host --allow-host "$HOST"
expect_error 2 'serial' vnvme export create /dev/sda --nqn "$A" --addr 127.0.0.1 --allow-any-host --serial 012345678901234567890
empty "after the refusals"
# a failure midway (the kernel cannot bind an address this machine lacks)
# removes what the call created, hosts included
expect_error 1 'not configured on this machine' vnvme export create /dev/sda --nqn "$A" \
	--addr 10.255.0.1 --allow-host "$HOST"
empty "after a failed bind"
# --dry-run shows the plan and changes nothing
expect_output -e 'would mkdir' -e 'would link' -- vnvme export create --dry-run /dev/sda \
	--nqn "$A" --addr 127.0.0.1 --allow-host "$HOST"
empty "after --dry-run"

# the article's name is accepted, with a warning about the standard form
expect_error 0 'warning:.*nqn.YYYY-MM' vnvme export create /dev/sdd --nqn nvmet-test \
	--addr 127.0.0.1 --allow-any-host
expect_output '^1$' cat "$CFS/subsystems/nvmet-test/attr_allow_any_host"
check vnvme export delete nvmet-test
empty "after deleting nvmet-test"

# --- save, clear, restore: the same tree -----------------------------------
check vnvme export create /dev/sda --nqn "$A" --addr 127.0.0.1 --allow-host "$HOST" --serial sn-a --model model-a
check vnvme export create /dev/sdb --nqn "$B" --addr 127.0.0.1 --allow-host "$HOST" --nsid 7
expect_output "$B" ls "$CFS/ports/1/subsystems"
check test ! -e "$CFS/ports/2"
tree >/tmp/before.tree
check vnvme export save /tmp/a.json
expect_output '^"tcp"$' jq '.ports[0].addr.trtype' /tmp/a.json
expect_output '^7$' jq '.subsystems[1].namespaces[0].nsid' /tmp/a.json
expect_output "^600$" stat -c %a /tmp/a.json
# clearing drops every export: never without a yes, never a prompt without a tty
expect_error 3 'remove the running target configuration \(2 subsystems, 1 port, 1 host\): not confirmed, stdin is not a terminal \(use --yes\)' \
	sh -c 'vnvme export clear </dev/null'
tree >/tmp/refused.tree
check cmp /tmp/before.tree /tmp/refused.tree
expect_error 3 'use --yes' sh -c 'vnvme export restore /tmp/a.json </dev/null'
check vnvme export clear --dry-run
check vnvme export clear --yes
empty "after clear"
check vnvme export restore /tmp/a.json
same_tree /tmp/before.tree "after save, clear and restore"
check vnvme export save /tmp/b.json
check cmp /tmp/a.json /tmp/b.json
# deleting one export keeps the shared port and host
check vnvme export delete "$B"
check test -L "$CFS/ports/1/subsystems/$A"
check test -d "$CFS/hosts/$HOST"
check vnvme export restore --yes /tmp/a.json
check vnvme export clear -y
empty "after the second clear"

# --- a file in nvmetcli's format (committed test data) restores and serves ---
cat >/tmp/nvmetcli.json <<'JSON'
{
  "hosts": [
    {
      "nqn": "nqn.2014-08.org.nvmexpress:uuid:11111111-2222-4333-8444-555555555555"
    }
  ],
  "ports": [
    {
      "addr": {
        "adrfam": "ipv4",
        "traddr": "127.0.0.1",
        "treq": "not specified",
        "trsvcid": "4420",
        "trtype": "tcp"
      },
      "ana_groups": [
        {
          "ana": {
            "state": "optimized"
          },
          "grpid": 1
        }
      ],
      "param": {
        "inline_data_size": "16384",
        "pi_enable": "0"
      },
      "portid": 1,
      "referrals": [],
      "subsystems": [
        "nqn.2024-01.io.vnvme:saved"
      ]
    }
  ],
  "subsystems": [
    {
      "allowed_hosts": [
        "nqn.2014-08.org.nvmexpress:uuid:11111111-2222-4333-8444-555555555555"
      ],
      "attr": {
        "allow_any_host": "0",
        "cntlid_max": "65519",
        "cntlid_min": "1",
        "model": "vnvme-saved",
        "pi_enable": "0",
        "qid_max": "128",
        "serial": "0123456789abcdef0123",
        "version": "1.3"
      },
      "namespaces": [
        {
          "ana": {
            "grpid": "1"
          },
          "ana_grpid": 1,
          "device": {
            "nguid": "00000000-0000-0000-0000-000000000000",
            "path": "/dev/sdc",
            "uuid": "5b1c3f0e-8d2a-4c61-9e7f-2a4b6c8d0e1f"
          },
          "enable": 1,
          "nsid": 1
        }
      ],
      "nqn": "nqn.2024-01.io.vnvme:saved"
    }
  ]
}
JSON
check vnvme export restore /tmp/nvmetcli.json
expect_output '^/dev/sdc$' cat "$CFS/subsystems/nqn.2024-01.io.vnvme:saved/namespaces/1/device_path"
expect_output '^vnvme-saved$' cat "$CFS/subsystems/nqn.2024-01.io.vnvme:saved/attr_model"
check modprobe nvme-tcp
check nvme connect -t tcp -n nqn.2024-01.io.vnvme:saved -a 127.0.0.1 -s 4420 -q "$HOST"
# the namespace appears after connect returns (the controller's scan work)
wait_until 100 sh -c 'nvme list -o json | grep -q vnvme-saved'
expect_output -e '"ModelNumber" *: *"vnvme-saved"' -e '"SerialNumber" *: *"0123456789abcdef0123"' \
	-- nvme list -o json
check nvme disconnect -n nqn.2024-01.io.vnvme:saved
check vnvme export save /tmp/c.json
# The file back, byte for byte, plus what the kernel has beyond 6.1's
# configfs: nvmetcli saves every writable GROUP_NAME file, so vnvme does too
# (6.12 adds the port's addr_tsas and a host's dhchap_* keys, for some).
# Each added key must be such a file of the saved object, and the file
# without them (and the groups they leave empty, a host's "dhchap") the one
# restored.
extra=$(jq -r --slurpfile f /tmp/nvmetcli.json \
	'[paths(scalars)] - [$f[0] | paths(scalars)] | .[] | map(tostring) | join(" ")' /tmp/c.json)
echo "saved beyond the file: ${extra:-nothing}"
while read -r kind i group name; do
	[ -n "$kind" ] || continue
	case $kind in
	ports) dir=$CFS/ports/$(jq -r ".ports[$i].portid" /tmp/c.json) ;;
	subsystems) dir=$CFS/subsystems/$(jq -r ".subsystems[$i].nqn" /tmp/c.json) ;;
	hosts) dir=$CFS/hosts/$(jq -r ".hosts[$i].nqn" /tmp/c.json) ;;
	*) dir=/nonexistent ;;
	esac
	check test -w "$dir/${group}_$name"
done <<EXTRA
$extra
EXTRA
case $(uname -r) in
6.1.*) check cmp /tmp/nvmetcli.json /tmp/c.json ;;
*) expect_output '^true$' jq -n --slurpfile a /tmp/nvmetcli.json --slurpfile b /tmp/c.json \
	'def noempty: walk(if type == "object" then with_entries(select(.value != {})) else . end);
	($b[0] | reduce ([paths(scalars)] - [$a[0] | paths(scalars)])[] as $p (.; delpaths([$p])) |
	noempty) == ($a[0] | noempty)' ;;
esac

check vnvme export clear --yes
empty "before the all-or-nothing part"

# --- all or nothing --------------------------------------------------------
# The running target: A on port 1 (4420, one host) with a second, disabled
# namespace; B on port 2 (4421, any host); a referral on port 1.
check vnvme export create /dev/sda --nqn "$A" --addr 127.0.0.1 --allow-host "$HOST" --serial sn-a
check vnvme export create /dev/sdb --nqn "$B" --addr 127.0.0.1 --port 4421 --allow-any-host --nsid 7
check mkdir "$CFS/subsystems/$A/namespaces/2"
check sh -c "echo /dev/sdc >'$CFS/subsystems/$A/namespaces/2/device_path'"
check mkdir "$CFS/ports/1/referrals/r1"
check sh -c "echo 127.0.0.2 >'$CFS/ports/1/referrals/r1/addr_traddr'"
tree >/tmp/running.tree
check vnvme export save /tmp/running.json
expect_output '^0$' jq '.subsystems[0].namespaces[1].enable' /tmp/running.json

# A restore the kernel refuses midway, after the running target was removed:
# exit 1, the cause, and the running target back.
jq '.subsystems[0].namespaces[0].device.path = "/dev/nosuch"' /tmp/nvmetcli.json >/tmp/bad.json
expect_error 1 'enable.*does not exist.*put back as it was' vnvme export restore --yes /tmp/bad.json
same_tree /tmp/running.tree "after a restore with a missing device"
jq '.ports[0].addr.traddr = "10.255.0.1"' /tmp/nvmetcli.json >/tmp/bad2.json
expect_error 1 'not configured on this machine.*put back as it was' vnvme export restore --yes /tmp/bad2.json
same_tree /tmp/running.tree "after a restore that cannot bind"
# the last step fails: port 2 on the address port 1 listens on
jq '.ports += [.ports[0] | .portid = 2]' /tmp/nvmetcli.json >/tmp/bad3.json
expect_error 1 'ports/2/subsystems.*in use.*put back as it was' vnvme export restore --yes /tmp/bad3.json
same_tree /tmp/running.tree "after a restore whose second port is in use"

# A clear or delete the kernel refuses midway: a mount on the referral
# makes its rmdir fail (EBUSY) after the port was unlinked and stopped
# listening; the link must come back.
check mount -t tmpfs none "$CFS/ports/1/referrals/r1"
tree >/tmp/running.tree
expect_error 1 'referrals/r1.*busy.*put back as it was' vnvme export clear --yes
same_tree /tmp/running.tree "after a clear that failed midway"
expect_error 1 'referrals/r1.*busy.*put back as it was' vnvme export delete "$A"
same_tree /tmp/running.tree "after a delete that failed midway"
expect_error 1 'referrals/r1.*busy.*put back as it was' vnvme export restore --yes /tmp/running.json
same_tree /tmp/running.tree "after a restore whose clear failed midway"
check umount "$CFS/ports/1/referrals/r1"
tree >/tmp/running.tree

# Names from a file become configfs paths: checked, with the whole file,
# before anything changes (exit 2, the field named).
# (before: the restore succeeded, with a root-owned symlink /tmp/pwned)
jq '.subsystems[0].allowed_hosts += ["../../../../../../../../tmp/pwned"]' /tmp/nvmetcli.json >/tmp/evil.json
expect_error 2 'allowed_hosts\[1\].*contains' vnvme export restore --yes /tmp/evil.json
jq '.ports[0].subsystems = ["../../../../pwned"]' /tmp/running.json >/tmp/evil2.json
expect_error 2 'port 1: subsystems\[0\].*contains' vnvme export restore --yes /tmp/evil2.json
jq '.hosts = []' /tmp/running.json >/tmp/nohost.json
expect_error 2 "allowed_hosts\\[0\\]: $HOST is not in \"hosts\"" vnvme export restore --yes /tmp/nohost.json
jq '.subsystems |= map(select(.nqn != "'"$B"'"))' /tmp/running.json >/tmp/nosub.json
expect_error 2 "subsystems\\[0\\]: $B is not in \"subsystems\"" vnvme export restore --yes /tmp/nosub.json
echo '{"subsystems": [{"nqn": 5}]}' >/tmp/bad4.json
expect_error 2 'no valid "nqn"' vnvme export restore /tmp/bad4.json
expect_error 2 "NQN '..' is not a name" vnvme export delete ..
n=$(find /tmp /sys/kernel/config -name 'pwned*' | wc -l)
[ "$n" = 0 ] && ok "nothing named pwned anywhere" || fail "$n entries named pwned"
same_tree /tmp/running.tree "after the refused files"

# What a host sees of the target put back: nvme-cli discovers both
# exports, connects to A as the allowed host and reads /dev/sda's bytes.
out=$(nvme discover -t tcp -a 127.0.0.1 -s 4420 -q "$HOST" -o json)
recs=$(printf '%s' "$out" | jq -r '[.records[].subnqn] | sort | join(" ")')
case "$recs" in
*"$A"*) ok "nvme discover on 4420 lists $A ($recs)" ;;
*) fail "nvme discover on 4420: $recs" ;;
esac
expect_output "$B" sh -c "nvme discover -t tcp -a 127.0.0.1 -s 4421 -o json | jq -r '.records[].subnqn'"
check nvme connect -t tcp -n "$A" -a 127.0.0.1 -s 4420 -q "$HOST"
dev=
i=0
while [ -z "$dev" ] && [ $i -lt 50 ]; do
	dev=$(nvme list -o json | jq -r '.Devices[] | select(.SerialNumber == "sn-a") | .DevicePath' | head -n 1)
	[ -b "$dev" ] || { dev=; sleep 0.1; }
	i=$((i + 1))
done
[ -n "$dev" ] && ok "connected: $dev" || fail "no namespace with serial sn-a"
check dd if=/dev/urandom of=/dev/sda bs=1M count=1 oflag=direct
check cmp -n 1048576 /dev/sda "$dev"
check nvme disconnect -n "$A"

# --- save: strict, never through a planted symlink, '-' is stdout ---------
check sh -c 'vnvme export save - >/tmp/stdout.json'
check test ! -e ./-
check vnvme export save /tmp/file.json
check cmp /tmp/stdout.json /tmp/file.json
echo precious >/tmp/victim
ln -s /tmp/victim /tmp/s.json.temp
expect_error 1 's.json.temp: File exists' vnvme export save /tmp/s.json
expect_output '^precious$' cat /tmp/victim
check test ! -e /tmp/s.json
check sh -c "printf '/dev/\\377' >'$CFS/subsystems/$A/namespaces/2/device_path'"
expect_error 1 "subsystem $A: namespace 2: device_path is not UTF-8" vnvme export save /tmp/u.json
check test ! -e /tmp/u.json
check test ! -e /tmp/u.json.temp
check vnvme export clear --yes
empty "at the end"

finish
