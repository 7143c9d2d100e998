// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * NVMe in-band authentication (DH-HMAC-CHAP) secrets in their textual form,
 * the one nvmet's configfs (hosts/NQN/dhchap_key), nvme-cli and the kernel
 * host driver read:
 *
 *   DHHC-1:<hmac id, 2 hex digits>:<base64(key || crc32(key), little endian)>:
 *
 * The hmac id says how the host transforms the key before use: 00 none, 01
 * SHA-256, 02 SHA-384, 03 SHA-512. As nvme-cli's gen-dhchap-key does, a key
 * made with a hash is already transformed here: HMAC-hash(secret, host NQN
 * || "NVMe-over-Fabrics"), so it is bound to one host NQN. OpenSSL's
 * libcrypto gives the HMAC and the random bytes; keytext.c the text form.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "internal.h"

static const EVP_MD *hmac_md(int hmac)
{
	switch (hmac) {
	case 1: return EVP_sha256();
	case 2: return EVP_sha384();
	case 3: return EVP_sha512();
	default: return NULL;
	}
}

int vn_dhchap_key(struct vn_ctx *ctx, const uint8_t *secret, size_t len, int hmac,
		  const char *hostnqn, char *out, size_t outsz)
{
	static const char seed[] = "NVMe-over-Fabrics";
	uint8_t buf[VN_DHCHAP_SECRET_MAX], key[VN_DHCHAP_SECRET_MAX];
	const EVP_MD *md = NULL;
	unsigned int mdlen = 0;
	char nqn[VN_NQN_SIZE];

	if (len != 32 && len != 48 && len != 64)
		return vn_invalid(ctx, "a DH-HMAC-CHAP secret is 32, 48 or 64 bytes, not %zu",
				  len);
	if (hmac < 0 || hmac > 3)
		return vn_invalid(ctx, "hmac %d: it is 0 (none), 1 (SHA-256), 2 (SHA-384) "
				  "or 3 (SHA-512)", hmac);
	if (hmac) {
		md = hmac_md(hmac);
		if ((size_t)EVP_MD_get_size(md) != len)
			return vn_invalid(ctx, "hmac %d makes %d-byte keys: the secret must be "
					  "%d bytes, not %zu", hmac, EVP_MD_get_size(md),
					  EVP_MD_get_size(md), len);
		if (!hostnqn) {
			/* nvme-cli's default: this host's NQN */
			if (vn_read_str(ctx, nqn, sizeof(nqn), "/etc/nvme/hostnqn") <= 0)
				return vn_invalid(ctx, "hmac %d binds the key to a host NQN: "
						  "give one (there is no /etc/nvme/hostnqn)", hmac);
			hostnqn = nqn;
		}
		if (!hostnqn[0])
			return vn_invalid(ctx, "hmac %d binds the key to a host NQN: it is empty",
					  hmac);
	}
	if (outsz < VN_DHCHAP_STR_SIZE)
		return vn_fail(ctx, -ENOBUFS, "DH-HMAC-CHAP key buffer too small");
	if (vn_keytext_secret(ctx, secret, key, len) < 0)
		return -EIO;
	if (md) {
		char msg[VN_NQN_SIZE + sizeof(seed)];
		int n = snprintf(msg, sizeof(msg), "%s%s", hostnqn, seed);

		if (n < 0 || (size_t)n >= sizeof(msg) ||
		    !HMAC(md, key, (int)len, (const uint8_t *)msg, (size_t)n, buf, &mdlen) ||
		    mdlen != len) {
			OPENSSL_cleanse(key, sizeof(key));
			return vn_fail(ctx, -EIO, "HMAC of the secret failed (OpenSSL)");
		}
	} else {
		memcpy(buf, key, len);
	}
	OPENSSL_cleanse(key, sizeof(key));
	vn_keytext_encode("DHHC-1", hmac, buf, len, out);
	OPENSSL_cleanse(buf, sizeof(buf));
	return 0;
}

int vn_dhchap_check(struct vn_ctx *ctx, const char *key)
{
	uint8_t buf[VN_DHCHAP_SECRET_MAX];
	int hmac = 0;
	int n = vn_keytext_decode(key, "DHHC-1", &hmac, buf, sizeof(buf));

	OPENSSL_cleanse(buf, sizeof(buf));
	switch (n) {
	case VN_KEYTEXT_FORM:
		return vn_invalid(ctx, "not a DH-HMAC-CHAP key: it reads "
				  "DHHC-1:<00-03>:<base64>: (vnvme gen-dhchap-key makes one)");
	case VN_KEYTEXT_CRC:
		return vn_invalid(ctx, "DH-HMAC-CHAP key: its CRC does not match (a typo?)");
	}
	if (hmac > 3)
		return vn_invalid(ctx, "not a DH-HMAC-CHAP key: it reads "
				  "DHHC-1:<00-03>:<base64>: (vnvme gen-dhchap-key makes one)");
	if (n == VN_KEYTEXT_BASE64 || (n != 32 && n != 48 && n != 64))
		return vn_invalid(ctx, "not a DH-HMAC-CHAP key: its base64 part must hold "
				  "32, 48 or 64 bytes and a CRC");
	return hmac;
}
