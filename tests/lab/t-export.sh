#!/bin/sh
# vnvme export (nvmet over configfs) judged by nvme-cli, and the host side
# (vnvme discover/connect/list/disconnect through libnvme) judged by nvme-cli
# and by the data: all over 127.0.0.1 inside one guest.
. "$VNVME_LAB_LIB"

CFS=/sys/kernel/config/nvmet
NQN=nqn.2024-01.io.vnvme:lab
HOST=nqn.2014-08.org.nvmexpress:uuid:11111111-2222-4333-8444-555555555555
OTHER=nqn.2014-08.org.nvmexpress:uuid:99999999-8888-4777-8666-555555555555

# The /dev node of the fabrics namespace with serial $1 (nvme-cli's view).
ns_by_serial() {
	i=0
	while [ $i -lt 100 ]; do
		d=$(nvme list -o json | jq -r --arg s "$1" \
			'.Devices[] | select(.SerialNumber == $s) | .DevicePath' | head -n 1)
		[ -n "$d" ] && [ -b "$d" ] && { echo "$d"; return 0; }
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# --- target: closed by default, then open to one host ----------------------
expect_error 3 'no host is allowed' vnvme export create /dev/sda --nqn "$NQN" --addr 127.0.0.1
check test ! -e "$CFS/subsystems/$NQN"

expect_output -e 'exported /dev/sda as' -e 'vnvme connect -t tcp -a 127.0.0.1 -s 4420' \
	-- vnvme export create /dev/sda --nqn "$NQN" --addr 127.0.0.1 --port 4420 \
	--allow-host "$HOST" --serial vnvme-lab-sda
expect_output '^1$' cat "$CFS/subsystems/$NQN/namespaces/1/enable"
expect_output '^/dev/sda$' cat "$CFS/subsystems/$NQN/namespaces/1/device_path"
expect_output '^0$' cat "$CFS/subsystems/$NQN/attr_allow_any_host"
check test -L "$CFS/subsystems/$NQN/allowed_hosts/$HOST"
check test -L "$CFS/ports/1/subsystems/$NQN"
expect_output '^tcp$' cat "$CFS/ports/1/addr_trtype"
expect_output '^ipv4$' cat "$CFS/ports/1/addr_adrfam"
expect_output '^4420$' cat "$CFS/ports/1/addr_trsvcid"
expect_output 'nvmet_tcp: enabling port 1 \(127.0.0.1:4420\)' dmesg

# exporting the same device again, or the same NQN, is refused
expect_error 3 "/dev/sda is exported as $NQN" vnvme export create /dev/sda \
	--nqn nqn.2024-01.io.vnvme:again --addr 127.0.0.1 --allow-host "$HOST"
check test ! -e "$CFS/subsystems/nqn.2024-01.io.vnvme:again"

# --- nvme-cli as the oracle ------------------------------------------------
# nvme-cli never loads modules: /dev/nvme-fabrics comes with nvme-fabrics
check modprobe nvme-tcp
out=$(nvme discover -t tcp -a 127.0.0.1 -s 4420 -q "$HOST" -o json)
n=$(printf '%s' "$out" | jq '.records | length')
sub=$(printf '%s' "$out" | jq -r '.records[1].subnqn')
[ "$n" = 2 ] && [ "$sub" = "$NQN" ] && ok "nvme discover as the allowed host: 2 records, $sub" ||
	fail "nvme discover as the allowed host: $n records, record 1 '$sub'"
n=$(nvme discover -t tcp -a 127.0.0.1 -s 4420 -q "$OTHER" -o json | jq '.records | length')
[ "$n" = 1 ] && ok "nvme discover as another host: only the discovery record" ||
	fail "nvme discover as another host: $n records"

expect_exit 1 nvme connect -t tcp -n "$NQN" -a 127.0.0.1 -s 4420 -q "$OTHER"
expect_output "connect by host $OTHER for subsystem $NQN not allowed" dmesg
check nvme connect -t tcp -n "$NQN" -a 127.0.0.1 -s 4420 -q "$HOST"
dev=$(ns_by_serial vnvme-lab-sda) && ok "nvme-cli connected $dev" || fail "no namespace after nvme connect"
want=$(blockdev --getsize64 /dev/sda)
got=$(nvme list -o json | jq --arg d "$dev" '.Devices[] | select(.DevicePath == $d) | .PhysicalSize')
[ "$got" = "$want" ] && ok "nvme list: $dev is $got bytes, as /dev/sda" ||
	fail "nvme list: $dev is '$got' bytes, /dev/sda $want"

# connected hosts show as TCP connections; delete refuses without --force
expect_output '"connections": [1-9]' vnvme export list --json
expect_output "$NQN" vnvme export list
expect_error 3 'TCP connection.*established' vnvme export delete "$NQN"
check test -d "$CFS/subsystems/$NQN/namespaces/1"
expect_output 'disconnected 1 controller' nvme disconnect -n "$NQN"

# --- vnvme's own host side against its own export ------------------------
expect_output -e "$NQN" -e 'current discovery subsystem' -- \
	vnvme discover -t tcp -a 127.0.0.1 -s 4420 -q "$HOST"
n=$(vnvme discover -t tcp -a 127.0.0.1 -s 4420 -q "$HOST" --json | jq '.records | length')
[ "$n" = 2 ] && ok "vnvme discover --json: 2 records" || fail "vnvme discover --json: $n records"
n=$(vnvme discover --traddr 127.0.0.1 --trsvcid 4420 --transport tcp --hostnqn "$OTHER" \
	--json | jq '.records | length')
[ "$n" = 1 ] && ok "vnvme discover as another host: 1 record" || fail "as another host: $n"
vnvme connect -t tcp -n "$NQN" -a 127.0.0.1 -s 4420 -q "$OTHER" 2>&1 | sed 's/^/    said: /'
expect_error 1 'refused this host' vnvme connect -t tcp -n "$NQN" -a 127.0.0.1 \
	-s 4420 -q "$OTHER"
out=$(vnvme connect -t tcp -n "$NQN" -a 127.0.0.1 -s 4420 -q "$HOST" --json)
vdev=$(printf '%s' "$out" | jq -r .namespace)
[ -b "$vdev" ] && ok "vnvme connect: $vdev" || fail "vnvme connect printed '$out'"
expect_output "$vdev" nvme list
# nvme list and vnvme list agree on every device nvme-cli shows
nvme list -o json | jq -c '.Devices[] | [.DevicePath, .SerialNumber, .ModelNumber, .PhysicalSize, .NameSpace]' | sort >/tmp/nvme.list
vnvme list --json | jq -c '.devices[] | [.node, .serial, .model, .size_bytes, .nsid]' | sort >/tmp/vnvme.list
if cmp -s /tmp/nvme.list /tmp/vnvme.list && [ -s /tmp/nvme.list ]; then
	ok "vnvme list --json agrees with nvme list -o json ($(wc -l </tmp/nvme.list) devices)"
else
	fail "vnvme list and nvme list differ"
	diff /tmp/nvme.list /tmp/vnvme.list | sed 's/^/    /'
fi
expect_output "$NQN" vnvme list

# a pattern written through the fabric reads back on the exported disk
dd if=/dev/urandom of=/tmp/pattern bs=1M count=4 status=none
check dd if=/tmp/pattern of="$vdev" bs=1M oflag=direct status=none
expect_output 'disconnected' vnvme disconnect "$vdev"
check test ! -b "$vdev"
check cmp -n 4194304 /tmp/pattern /dev/sda
expect_error 2 'no NVMe-oF controller' vnvme disconnect "$NQN"
expect_error 3 'local PCIe' vnvme disconnect /dev/nvme0n1

check vnvme export delete "$NQN"
check test ! -e "$CFS/subsystems/$NQN"
check test ! -e "$CFS/ports/1"
check test ! -e "$CFS/hosts/$HOST"

# --- vnvme host side against a target made by hand (the article's writes) ---
S=$CFS/subsystems/nvmet-test
mkdir "$S" && echo 1 >"$S/attr_allow_any_host" && mkdir "$S/namespaces/1" &&
	echo -n /dev/sdb >"$S/namespaces/1/device_path" && echo 1 >"$S/namespaces/1/enable" &&
	mkdir "$CFS/ports/1" && echo 127.0.0.1 >"$CFS/ports/1/addr_traddr" &&
	echo tcp >"$CFS/ports/1/addr_trtype" && echo 4420 >"$CFS/ports/1/addr_trsvcid" &&
	echo ipv4 >"$CFS/ports/1/addr_adrfam" && ln -s "$S" "$CFS/ports/1/subsystems/nvmet-test" &&
	ok "target made by hand" || fail "target made by hand"
# no host identity yet: vnvme generates one, writes it and says so
rm -f /etc/nvme/hostnqn /etc/nvme/hostid
expect_output -e 'nvmet-test' -e 'generated host NQN nqn.2014-08.org.nvmexpress:uuid:.*written to /etc/nvme/hostnqn' \
	-- vnvme discover -t tcp -a 127.0.0.1 -s 4420
check test -s /etc/nvme/hostnqn
check test -s /etc/nvme/hostid
saved=$(cat /etc/nvme/hostnqn)
out=$(vnvme discover -t tcp -a 127.0.0.1 -s 4420 2>&1)
case $out in *generated*) fail "a second discover generated another host NQN" ;;
*) [ "$(cat /etc/nvme/hostnqn)" = "$saved" ] && ok "the host NQN is stable: $saved" ||
	fail "the host NQN changed" ;;
esac
out=$(vnvme connect -t tcp -n nvmet-test -a 127.0.0.1 -s 4420 --json)
vdev=$(printf '%s' "$out" | jq -r .namespace)
[ -b "$vdev" ] && ok "vnvme connect to the hand-made target: $vdev" || fail "connect: '$out'"
expect_output "$(cat /etc/nvme/hostnqn)" cat "/sys/class/nvme/$(printf '%s' "$out" | jq -r .device)/hostnqn"
expect_output "$vdev" vnvme list
expect_error 1 'already connected' vnvme connect -t tcp -n nvmet-test -a 127.0.0.1 -s 4420
expect_output 'disconnected' vnvme disconnect nvmet-test
check test ! -b "$vdev"
# a script's way: the device bare on stdout, nvme-cli's settings spelled as
# nvme-cli spells them, and the kernel's controller holds them
dev=$(vnvme connect -t tcp -n nvmet-test -a 127.0.0.1 -s 4420 -k 7 -c 3 \
	--ctrl-loss-tmo=30 -i 1 2>/tmp/connect.err)
[ -b "$dev" ] && case $dev in /dev/nvme*n*) true ;; *) false ;; esac &&
	ok "DEV=\$(vnvme connect ...) is the bare device: $dev" || fail "stdout was '$dev'"
grep -q 'connected nvme' /tmp/connect.err && ok "the informational line went to stderr" ||
	fail "stderr: $(cat /tmp/connect.err)"
ctrl=$(vnvme list --json | jq -r '.devices[] | select(.nqn == "nvmet-test") | .controller')
ctrl=${ctrl#/dev/}
expect_output '^3$' cat "/sys/class/nvme/$ctrl/reconnect_delay"
expect_output '^30$' cat "/sys/class/nvme/$ctrl/ctrl_loss_tmo"
n=$(vnvme list -o json | jq '[.devices[] | select(.nqn == "nvmet-test")] | length')
[ "$n" = 1 ] && ok "vnvme list -o json" || fail "list -o json: $n"
expect_output 'disconnected' vnvme disconnect nvmet-test
# nothing listens on 4421
vnvme connect -t tcp -n nvmet-test -a 127.0.0.1 -s 4421 2>&1 | sed 's/^/    said: /'
expect_error 1 'connection refused' vnvme connect -t tcp -n nvmet-test -a 127.0.0.1 -s 4421
# the hand-made export is listed and deleted like vnvme's own
expect_output '/dev/sdb' vnvme export list
check vnvme export delete nvmet-test
check test ! -e "$S"
check test ! -e "$CFS/ports/1"

finish
