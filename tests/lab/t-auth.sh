#!/bin/sh
# NVMe in-band authentication (DH-HMAC-CHAP) on an export: vnvme gen-dhchap-key
# makes the keys, vnvme export create --dhchap-key puts them on the allowed
# host in configfs, and nvme-cli judges: the right secret connects, a wrong
# one or none is refused and the kernel log names authentication; a wrong
# controller key makes the host refuse the target. On a kernel without
# CONFIG_NVME_TARGET_AUTH (Debian 12's 6.1) the option exits 4, nothing made.
. "$VNVME_LAB_LIB"

CFS=/sys/kernel/config/nvmet
NQN=nqn.2024-01.io.vnvme:auth
HOST=nqn.2014-08.org.nvmexpress:uuid:11111111-2222-4333-8444-555555555555
OTHER=nqn.2014-08.org.nvmexpress:uuid:99999999-8888-4777-8666-555555555555

KEY=$(vnvme gen-dhchap-key -m 1 -n "$HOST")
CKEY=$(vnvme gen-dhchap-key -l 48)
WRONG=$(vnvme gen-dhchap-key -m 1 -n "$HOST")
case $KEY in DHHC-1:01:*:) ok "host key $KEY" ;; *) fail "gen-dhchap-key printed '$KEY'" ;; esac
[ "$KEY" != "$WRONG" ] && ok "two random keys differ" || fail "two random keys are equal"

# expect_failure CMD...: CMD must fail (any non-zero status).
expect_failure() {
	lab_run "$@"
	if [ "$LAB_RC" -ne 0 ]; then
		ok "$* (exit $LAB_RC)"
		printf '%s\n' "$LAB_LAST_OUTPUT" | tail -n 1 | cut -c1-300 | sed 's/^/    /'
	else
		fail "$* succeeded"
	fi
}

# expect_content FILE VALUE: FILE reads VALUE exactly (keys hold + and /).
expect_content() {
	if [ "$(cat "$1" 2>&1)" = "$2" ]; then
		ok "$1 reads $2"
	else
		fail "$1 reads '$(cat "$1" 2>&1)', not '$2'"
	fi
}

# expect_eq VALUE CMD...: CMD prints exactly VALUE (keys hold + and /).
expect_eq() {
	local want=$1
	shift
	lab_run "$@"
	if [ "$LAB_RC" -eq 0 ] && [ "$LAB_LAST_OUTPUT" = "$want" ]; then
		ok "$* prints $want"
	else
		fail "$* printed '$LAB_LAST_OUTPUT' (exit $LAB_RC), not '$want'"
	fi
}

# --- refusals, before anything exists ---------------------------------------
expect_error 2 'exactly one --allow-host' vnvme export create /dev/sda --nqn "$NQN" \
	--addr 127.0.0.1 --allow-host "$HOST" --allow-host "$OTHER" --dhchap-key "$KEY"
expect_error 2 'go with --dhchap-key' vnvme export create /dev/sda --nqn "$NQN" \
	--addr 127.0.0.1 --allow-host "$HOST" --dhchap-ctrl-key "$CKEY"
# one base64 character changed: the CRC no longer matches
r=A
[ "$(printf '%s' "$KEY" | cut -c13)" = A ] && r=B
bad=$(printf '%s' "$KEY" | sed "s/^\(DHHC-1:01:..\)./\1$r/")
expect_error 2 'CRC|base64' vnvme export create /dev/sda --nqn "$NQN" --addr 127.0.0.1 \
	--allow-host "$HOST" --dhchap-key "$bad"
expect_error 2 'sha256, sha384 or sha512' vnvme export create /dev/sda --nqn "$NQN" \
	--addr 127.0.0.1 --allow-host "$HOST" --dhchap-key "$KEY" --dhchap-hash md5
check test ! -e "$CFS/hosts/$HOST"

case $(uname -r) in
6.1.*)
	# --- no CONFIG_NVME_TARGET_AUTH: exit 4, nothing created ------------
	expect_error 4 'CONFIG_NVME_TARGET_AUTH' vnvme export create /dev/sda --nqn "$NQN" \
		--addr 127.0.0.1 --allow-host "$HOST" --dhchap-key "$KEY"
	said 'nothing was created'
	check test ! -e "$CFS/subsystems/$NQN"
	check test ! -e "$CFS/hosts/$HOST"
	expect_output '^0$' sh -c "ls $CFS/ports | wc -l"
	# the host: with an export it could reach, a secret is refused all the same
	dd if=/dev/urandom of=/tmp/pat bs=1M count=1 status=none
	check dd if=/tmp/pat of=/dev/sda bs=1M oflag=direct status=none
	check vnvme export create /dev/sda --nqn "$NQN" --addr 127.0.0.1 --allow-host "$HOST"
	case $LAB_LAST_OUTPUT in *'not authentication'*) fail "6.1: warned of a key it cannot use" ;;
	*) ok "6.1: no key warning" ;; esac
	expect_error 4 'CONFIG_NVME_HOST_AUTH' vnvme connect -t tcp -a 127.0.0.1 -n "$NQN" \
		-q "$HOST" --dhchap-secret "$KEY"
	expect_output '^0$' sh -c 'ls /sys/class/nvme | grep -c "^nvme[1-9]" || true'
	check vnvme export delete "$NQN"
	finish
	exit
	;;
esac

# --- without a key, a kernel that can authenticate warns ----------------------
expect_output 'not authentication' vnvme export create /dev/sda --nqn "$NQN" --addr 127.0.0.1 \
	--allow-host "$OTHER"
check modprobe nvme-tcp
lab_run vnvme check
said 'nvme in-band authentication yes'
said 'nvme host authentication yes'
check vnvme export delete "$NQN"

# --- the export: the allowed host must authenticate, both ways --------------
dd if=/dev/urandom of=/tmp/pat bs=1M count=4 status=none
check dd if=/tmp/pat of=/dev/sda bs=1M oflag=direct status=none
expect_output "exported /dev/sda as $NQN" vnvme export create /dev/sda --nqn "$NQN" \
	--addr 127.0.0.1 --allow-host "$HOST" --dhchap-key "$KEY" --dhchap-ctrl-key "$CKEY" \
	--serial vnvme-auth
expect_content "$CFS/hosts/$HOST/dhchap_key" "$KEY"
expect_content "$CFS/hosts/$HOST/dhchap_ctrl_key" "$CKEY"
expect_output '^hmac\(sha256\)$' cat "$CFS/hosts/$HOST/dhchap_hash"
check test -L "$CFS/subsystems/$NQN/allowed_hosts/$HOST"

# a failed export leaves no host behind (the keys come before the export)
expect_failure vnvme export create /dev/nonexistent --nqn nqn.2024-01.io.vnvme:none \
	--addr 127.0.0.1 --allow-host "$OTHER" --dhchap-key "$WRONG"
check test ! -e "$CFS/hosts/$OTHER"
check test ! -e "$CFS/subsystems/nqn.2024-01.io.vnvme:none"

check modprobe nvme-tcp
# A host that refuses the controller's key waits for the admin queue's
# timeout (60 s by default) before the connect fails; 10 s is enough here.
check sh -c 'echo 10 >/sys/module/nvme_core/parameters/admin_timeout'
connect() {
	nvme connect -t tcp -n "$NQN" -a 127.0.0.1 -s 4420 -q "$HOST" "$@"
}

# no secret: refused
mark_dmesg
expect_failure connect
new_dmesg | grep -qi 'authentication' && ok "dmesg names authentication (no secret)" ||
	{ fail "dmesg does not name authentication (no secret)"; new_dmesg | tail -5; }
# a wrong secret: refused
mark_dmesg
expect_failure connect --dhchap-secret="$WRONG"
new_dmesg | grep -qi 'authentication\|failed to authenticate\|response mismatch' &&
	ok "dmesg names authentication (wrong secret)" ||
	{ fail "dmesg does not name authentication (wrong secret)"; new_dmesg | tail -5; }
new_dmesg | tail -n 4 | sed 's/^/    /'
# the right secret with a wrong controller key: the host refuses the target
mark_dmesg
expect_failure connect --dhchap-secret="$KEY" --dhchap-ctrl-secret="$(vnvme gen-dhchap-key -l 48)"
new_dmesg | tail -n 4 | sed 's/^/    /'
if nvme list -o json | jq -e '.Devices[] | select(.SerialNumber == "vnvme-auth")' >/dev/null 2>&1; then
	fail "a namespace appeared after refused connects"
else
	ok "no namespace after the refused connects"
fi

# the right secrets: connected, and the data is the device's
mark_dmesg
check connect --dhchap-secret="$KEY" --dhchap-ctrl-secret="$CKEY"
new_dmesg | tail -n 4 | sed 's/^/    /'
dev=
i=0
while [ $i -lt 100 ] && [ -z "$dev" ]; do
	dev=$(nvme list -o json | jq -r '.Devices[] | select(.SerialNumber == "vnvme-auth") | .DevicePath' | head -n 1)
	[ -n "$dev" ] || sleep 0.1
	i=$((i + 1))
done
[ -n "$dev" ] && ok "authenticated connect: $dev" || fail "no namespace after the authenticated connect"
if [ -n "$dev" ]; then
	check sh -c "dd if=$dev bs=1M count=4 iflag=direct status=none | cmp - /tmp/pat"
	ctrl=$(basename "$dev" | sed 's/n[0-9]*$//')
	expect_content "/sys/class/nvme/$ctrl/dhchap_secret" "$KEY"
fi
expect_output 'disconnected 1 controller' nvme disconnect -n "$NQN"

# --- vnvme connect: the same judgement through libnvme ----------------------
vconnect() {
	vnvme connect -t tcp -a 127.0.0.1 -n "$NQN" -q "$HOST" "$@"
}
expect_error 2 'CRC|base64' vconnect --dhchap-secret "$bad"
expect_error 2 'goes with' vconnect --dhchap-ctrl-secret "$CKEY"
expect_error 1 'requires DH-HMAC-CHAP authentication' vconnect
mark_dmesg
expect_error 1 'authentication failed: the target refused this host.s key' vconnect --dhchap-secret "$WRONG"
new_dmesg | grep -qi 'authentication\|failed to authenticate\|response mismatch' &&
	ok "dmesg names authentication (vnvme, wrong secret)" ||
	{ fail "dmesg does not name authentication (vnvme, wrong secret)"; new_dmesg | tail -5; }
expect_error 1 'authentication failed: .*did not prove the controller key' vconnect --dhchap-secret "$KEY" \
	--dhchap-ctrl-secret "$(vnvme gen-dhchap-key -l 48)"
check test -z "$(nvme list -o json | jq -r '.Devices[] | select(.SerialNumber == "vnvme-auth") | .DevicePath')"
lab_run vconnect --dhchap-secret "$KEY" --dhchap-ctrl-secret "$CKEY"
dev=$(printf '%s\n' "$LAB_LAST_OUTPUT" | grep '^/dev/nvme' | tail -n 1)
case $dev in
/dev/nvme*) ok "vnvme connect with both keys: $dev" ;;
*) fail "vnvme connect with both keys printed '$dev' (exit $LAB_RC)" ;;
esac
if [ -b "$dev" ]; then
	check sh -c "dd if=$dev bs=1M count=4 iflag=direct status=none | cmp - /tmp/pat"
	ctrl=$(basename "$dev" | sed 's/n[0-9]*$//')
	for c in /sys/class/nvme/nvme*; do
		[ "$(cat "$c/subsysnqn" 2>/dev/null)" = "$NQN" ] && ctrl=$(basename "$c")
	done
	expect_content "/sys/class/nvme/$ctrl/dhchap_secret" "$KEY"
	expect_content "/sys/class/nvme/$ctrl/dhchap_ctrl_secret" "$CKEY"
fi
expect_output 'disconnected' vnvme disconnect "$NQN"

# --- the keys kept: export list, save, restore ---------------------------------
lab_run vnvme export list
printf '%s\n' "$LAB_LAST_OUTPUT" | grep -q "$NQN.* yes " && ok "export list: DHCHAP yes" ||
	fail "export list does not say DHCHAP yes: $LAB_LAST_OUTPUT"
case $LAB_LAST_OUTPUT in *DHHC-1*) fail "export list printed a key" ;; *) ok "export list prints no key" ;; esac
expect_output '"dhchap": true' vnvme export list --json
check vnvme export save /tmp/nvmet.json
expect_output '^600$' stat -c %a /tmp/nvmet.json
expect_eq "$KEY" jq -r ".hosts[] | select(.nqn == \"$HOST\") | .dhchap.key" /tmp/nvmet.json
expect_eq "$CKEY" jq -r ".hosts[] | select(.nqn == \"$HOST\") | .dhchap.ctrl_key" /tmp/nvmet.json
expect_error 3 'show-keys' vnvme export save -
check vnvme export save --show-keys -
case $LAB_LAST_OUTPUT in *"$CKEY"*) ok "save --show-keys - prints the keys" ;;
*) fail "save --show-keys - does not print the controller key" ;; esac
check vnvme export clear --yes
check test ! -e "$CFS/hosts/$HOST"
check vnvme export restore /tmp/nvmet.json
expect_content "$CFS/hosts/$HOST/dhchap_key" "$KEY"
expect_content "$CFS/hosts/$HOST/dhchap_ctrl_key" "$CKEY"
expect_error 1 'requires DH-HMAC-CHAP authentication' vconnect
expect_output '^/dev/nvme' vconnect -S "$KEY" -C "$CKEY"
expect_output 'disconnected' vnvme disconnect "$NQN"

# --- delete takes the host and its keys away ----------------------------------
check vnvme export delete "$NQN"
check test ! -e "$CFS/subsystems/$NQN"
check test ! -e "$CFS/hosts/$HOST"

# --- a stack file keeps them: up, save (0600), down, up -----------------------
ME=$(cat /etc/nvme/hostnqn)
SKEY=$(vnvme gen-dhchap-key)
SCKEY=$(vnvme gen-dhchap-key)
cat >/tmp/stack.json <<EOF
{
  "disks": ["/dev/sdb", "/dev/sdc"],
  "array": {"name": "md0", "level": 1, "members": ["/dev/sdb1", "/dev/sdc1"]},
  "export": {"nqn": "$NQN", "port": {"transport": "tcp", "address": "127.0.0.1"},
             "hosts": ["$ME"], "dhchap": {"key": "$SKEY", "ctrl_key": "$SCKEY"}},
  "connect": [{"transport": "tcp", "address": "127.0.0.1", "nqn": "$NQN",
               "dhchap_secret": "$SKEY", "dhchap_ctrl_secret": "$SCKEY"}]
}
EOF
stack_ctrl() {
	for c in /sys/class/nvme/nvme*; do
		[ "$(cat "$c/subsysnqn" 2>/dev/null)" = "$NQN" ] && basename "$c"
	done | head -n 1
}
check vnvme up /tmp/stack.json
expect_content "$CFS/hosts/$ME/dhchap_key" "$SKEY"
c=$(stack_ctrl)
[ -n "$c" ] && expect_content "/sys/class/nvme/$c/dhchap_secret" "$SKEY" || fail "up: not connected"
check vnvme save /tmp/saved.json
expect_output '^600$' stat -c %a /tmp/saved.json
expect_eq "$SKEY" jq -r .export.dhchap.key /tmp/saved.json
expect_eq "$SCKEY" jq -r '.connect[0].dhchap_ctrl_secret' /tmp/saved.json
expect_error 3 'show-keys' vnvme save -
check vnvme down /tmp/saved.json
check test ! -e "$CFS/hosts/$ME"
check vnvme up /tmp/saved.json
expect_content "$CFS/hosts/$ME/dhchap_key" "$SKEY"
expect_content "$CFS/hosts/$ME/dhchap_ctrl_key" "$SCKEY"
c=$(stack_ctrl)
[ -n "$c" ] && expect_content "/sys/class/nvme/$c/dhchap_ctrl_secret" "$SCKEY" || fail "up again: not connected"
check vnvme down /tmp/saved.json
finish
