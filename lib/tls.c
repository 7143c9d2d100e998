// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * NVMe/TCP TLS pre-shared keys (NVMe TCP transport, TP 8011) and the
 * kernel's ".nvme" keyring, where both the host driver and nvmet look
 * them up (through tlshd, the user-space handshake daemon).
 *
 * A configured PSK is written NVMeTLSkey-1:<hmac>:<base64(key || crc32)>:
 * (hmac 01: SHA-256, 32-byte key; 02: SHA-384, 48 bytes). What goes into
 * the keyring is derived from it for one host NQN and one subsystem NQN,
 * as libnvme 1.13 (nvme-cli's check-tls-key --insert, identity version 0)
 * derives it, with HKDF (extract and expand, no salt):
 *
 *   retained = HKDF(configured, info = le16(L) "tls13 " "HostNQN" hostnqn)
 *   identity = "NVMe0R<hmac> <hostnqn> <subnqn>"
 *   tls_psk  = HKDF(retained, info = le16(L) "tls13 " "nvme-tls-psk" identity)
 *
 * (L the hash's length; the info bytes as libnvme lays them out, not
 * RFC 8446's HKDF-Expand-Label.) The key is added with type "psk" and the
 * identity as its description: the host driver finds it by that name
 * (nvme_tls_psk_default), tlshd on the target by the identity the host
 * sends. Keys live in the kernel's memory only: they are gone at reboot.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/keyctl.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include "internal.h"

#define TLS_PREFIX "NVMeTLSkey-1"

int vn_tls_key(struct vn_ctx *ctx, const uint8_t *secret, size_t len, char *out,
	       size_t outsz)
{
	uint8_t key[VN_TLS_PSK_MAX];

	if (len != 32 && len != 48)
		return vn_invalid(ctx, "a TLS pre-shared key is 32 (SHA-256) or 48 "
				  "(SHA-384) bytes, not %zu", len);
	if (outsz < VN_TLS_STR_SIZE)
		return vn_fail(ctx, -ENOBUFS, "TLS key buffer too small");
	if (vn_keytext_secret(ctx, secret, key, len) < 0)
		return -EIO;
	vn_keytext_encode(TLS_PREFIX, len == 32 ? 1 : 2, key, len, out);
	OPENSSL_cleanse(key, sizeof(key));
	return 0;
}

/* Decode @text into @key. Return: its length (32 or 48), or -EINVAL (said). */
static int decode(struct vn_ctx *ctx, const char *text, uint8_t *key, int *ret_hmac)
{
	int n = vn_keytext_decode(text, TLS_PREFIX, ret_hmac, key, VN_TLS_PSK_MAX);

	if (n == VN_KEYTEXT_CRC)
		return vn_invalid(ctx, "TLS key: its CRC does not match (a typo?)");
	if (n < 0 || *ret_hmac > 2 || (n != 32 && n != 48) ||
	    (*ret_hmac == 1 && n != 32) || (*ret_hmac == 2 && n != 48))
		return vn_invalid(ctx, "not a TLS pre-shared key: it reads NVMeTLSkey-1:01:"
				  "<base64 of 32 bytes and a CRC>: or NVMeTLSkey-1:02:<48 "
				  "bytes>: (vnvme gen-tls-key makes one)");
	if (*ret_hmac == 0)	/* 00: used as it is; the hash from the length */
		*ret_hmac = n == 32 ? 1 : 2;
	return n;
}

int vn_tls_key_check(struct vn_ctx *ctx, const char *key)
{
	uint8_t buf[VN_TLS_PSK_MAX];
	int hmac = 0, n = decode(ctx, key, buf, &hmac);

	OPENSSL_cleanse(buf, sizeof(buf));
	return n < 0 ? n : hmac;
}

/* HKDF (extract and expand, no salt) of @key with info le16(@len) "tls13 " @label @ctx. */
static int hkdf(int hmac, const uint8_t *key, size_t keylen, const char *label,
		const char *context, uint8_t *out, size_t len)
{
	char digest[8] = "SHA256";
	uint8_t info[512];
	size_t n = 0, l = strlen(label), c = strlen(context);
	OSSL_PARAM params[4];
	EVP_KDF_CTX *kctx;
	EVP_KDF *kdf;
	int ok;

	if (2 + 6 + l + c > sizeof(info))
		return -ENAMETOOLONG;
	info[n++] = (uint8_t)len;
	info[n++] = (uint8_t)(len >> 8);
	memcpy(info + n, "tls13 ", 6);
	n += 6;
	memcpy(info + n, label, l);
	n += l;
	memcpy(info + n, context, c);
	n += c;
	if (hmac == 2)
		strcpy(digest, "SHA384");
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)key, keylen);
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, n);
	params[3] = OSSL_PARAM_construct_end();
	kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	kctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	ok = kctx && EVP_KDF_derive(kctx, out, len, params) == 1;
	EVP_KDF_CTX_free(kctx);
	EVP_KDF_free(kdf);
	return ok ? 0 : -EIO;
}

int vn_tls_psk_derive(struct vn_ctx *ctx, const char *key, const char *hostnqn,
		      const char *subnqn, struct vn_tls_psk *ret)
{
	uint8_t configured[VN_TLS_PSK_MAX], retained[VN_TLS_PSK_MAX];
	int hmac = 0, n, r;

	memset(ret, 0, sizeof(*ret));
	n = decode(ctx, key, configured, &hmac);
	if (n < 0)
		return n;
	if (!hostnqn || !hostnqn[0] || !subnqn || !subnqn[0])
		return vn_invalid(ctx, "a TLS key is derived for a host NQN and a subsystem NQN");
	r = snprintf(ret->identity, sizeof(ret->identity), "NVMe0R%02d %s %s", hmac, hostnqn,
		     subnqn);
	if (r < 0 || (size_t)r >= sizeof(ret->identity))
		return vn_invalid(ctx, "host and subsystem NQN too long for a TLS identity");
	r = hkdf(hmac, configured, (size_t)n, "HostNQN", hostnqn, retained, (size_t)n);
	if (r == 0)
		r = hkdf(hmac, retained, (size_t)n, "nvme-tls-psk", ret->identity, ret->psk,
			 (size_t)n);
	OPENSSL_cleanse(configured, sizeof(configured));
	OPENSSL_cleanse(retained, sizeof(retained));
	if (r < 0)
		return vn_fail(ctx, r, "deriving the TLS key failed (OpenSSL HKDF)");
	ret->len = (size_t)n;
	return 0;
}

/* ---- the .nvme keyring ---- */

/*
 * A key of /proc/keys: "<serial hex> <flags> <usage> <expiry> <perm> <uid>
 * <gid> <type> <description>", where the type's describe() may add
 * ": <details>" to the description.
 */
static bool proc_key(const char *line, const char *type, const char *desc,
		     int32_t *ret_serial)
{
	char t[32];
	unsigned int serial;
	int off = 0;
	size_t dl = strlen(desc);

	if (sscanf(line, "%x %*s %*s %*s %*s %*s %*s %31s %n", &serial, t, &off) != 2 ||
	    off == 0 || strcmp(t, type) != 0)
		return false;
	line += off;
	if (strncmp(line, desc, dl) != 0 || (line[dl] != ':' && line[dl] != '\n' && line[dl]))
		return false;
	*ret_serial = (int32_t)serial;
	return true;
}

/* The serial of the first key of @type named @desc in /proc/keys; 0: none. */
static int32_t find_key(struct vn_ctx *ctx, const char *type, const char *desc)
{
	char path[VN_PATH_MAX], line[1024];
	int32_t serial = 0;
	FILE *f;

	if (vn_path(ctx, path, sizeof(path), "/proc/keys") < 0)
		return 0;
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (!serial && fgets(line, sizeof(line), f))
		proc_key(line, type, desc, &serial);
	fclose(f);
	return serial;
}

int vn_tls_keyring(struct vn_ctx *ctx)
{
	int32_t serial = find_key(ctx, "keyring", ".nvme");

	if (serial <= 0)
		return vn_nosupport(ctx, -ENOKEY, "this kernel has no .nvme keyring (nvme-keyring: "
				    "CONFIG_NVME_TCP_TLS or CONFIG_NVME_TARGET_TCP_TLS not set, "
				    "or nvme-tcp/nvmet-tcp not loaded): no NVMe/TCP TLS");
	return serial;
}

/* The keyring, made by nvme-keyring, which nvme-tcp and nvmet load: load it if need be. */
static int keyring_loaded(struct vn_ctx *ctx)
{
	if (find_key(ctx, "keyring", ".nvme") <= 0) {
		(void)vn_kmod_load(ctx, "nvme-keyring");
		vn_ctx_clear_error(ctx);
	}
	return vn_tls_keyring(ctx);
}

int vn_tls_psk_find(struct vn_ctx *ctx, const char *hostnqn, const char *subnqn,
		    char *identity, size_t len)
{
	static const int order[] = { 2, 1 };	/* the host driver's: SHA-384 first */

	for (unsigned int i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		char id[VN_TLS_IDENTITY_SIZE];
		int32_t serial;

		snprintf(id, sizeof(id), "NVMe0R%02d %s %s", order[i], hostnqn, subnqn);
		serial = find_key(ctx, "psk", id);
		if (serial > 0) {
			if (identity)
				vn_strlcpy(identity, id, len);
			return serial;
		}
	}
	return 0;
}

int vn_tls_psk_insert(struct vn_ctx *ctx, const char *key, const char *hostnqn,
		      const char *subnqn, char *identity, size_t len)
{
	struct vn_tls_psk *psk = malloc(sizeof(*psk));
	long serial;
	int ring = 0, r;

	if (!psk)
		return vn_fail(ctx, -ENOMEM, "out of memory");
	r = vn_tls_psk_derive(ctx, key, hostnqn, subnqn, psk);
	if (r == 0)
		r = ring = keyring_loaded(ctx);
	if (r == -ENOKEY && vn_ctx_dry_run(ctx))
		vn_ctx_clear_error(ctx);	/* nvme-tcp/nvmet-tcp not loaded yet */
	else if (r < 0)
		goto out;
	if (identity)
		vn_strlcpy(identity, psk->identity, len);
	if (!vn_action(ctx, "add TLS pre-shared key '%s' to the .nvme keyring", psk->identity)) {
		r = 0;
		goto out;
	}
	/* a key of the same name is replaced (the psk type has no update) */
	serial = syscall(SYS_add_key, "psk", psk->identity, psk->psk, psk->len, ring);
	r = serial < 0 ? vn_fail(ctx, -errno, "cannot add TLS key '%s' to the .nvme "
				 "keyring: %s", psk->identity, strerror(errno)) : (int)serial;
out:
	OPENSSL_cleanse(psk, sizeof(*psk));
	free(psk);
	return r;
}

int vn_tls_psk_remove(struct vn_ctx *ctx, int32_t serial)
{
	int ring = vn_tls_keyring(ctx);

	if (ring < 0)
		return ring;
	if (!vn_action(ctx, "remove TLS key %08x from the .nvme keyring", (unsigned int)serial))
		return 0;
	if (syscall(SYS_keyctl, KEYCTL_UNLINK, serial, ring) < 0)
		return vn_fail(ctx, -errno, "cannot remove TLS key %08x from the .nvme "
			       "keyring: %s", (unsigned int)serial, strerror(errno));
	return 0;
}

/* Is tlshd, which makes the kernel's TLS handshakes, running? */
static bool is_tlshd(const char *path, const void *data)
{
	char comm[VN_PATH_MAX], name[32] = "";
	FILE *f;

	(void)data;
	snprintf(comm, sizeof(comm), "%s/comm", path);
	f = fopen(comm, "re");
	if (!f)
		return false;
	if (!fgets(name, sizeof(name), f))
		name[0] = '\0';
	fclose(f);
	return strcmp(name, "tlshd\n") == 0;
}

bool vn_tls_daemon_running(struct vn_ctx *ctx)
{
	char **names;
	int n = vn_list_dir(ctx, "/proc", is_tlshd, NULL, NULL, &names);

	if (n < 0)
		return false;
	vn_free_names(names, n);
	return n > 0;
}
