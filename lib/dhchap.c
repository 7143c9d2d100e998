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
 * libcrypto gives the HMAC and the random bytes; base64 and CRC-32 are local.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "internal.h"

static const char b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* The CRC-32 of zlib and of the kernel's crc32_le(~0, ...) ^ ~0. */
static uint32_t crc32_ieee(const uint8_t *p, size_t n)
{
	uint32_t crc = 0xffffffffu;

	while (n--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1));
	}
	return ~crc;
}

/* Standard base64 with '=' padding; @out needs 4 * ceil(n / 3) + 1. */
static void base64_encode(const uint8_t *in, size_t n, char *out)
{
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];

		*out++ = b64[v >> 18];
		*out++ = b64[(v >> 12) & 63];
		*out++ = b64[(v >> 6) & 63];
		*out++ = b64[v & 63];
	}
	if (i < n) {
		uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0);

		*out++ = b64[v >> 18];
		*out++ = b64[(v >> 12) & 63];
		*out++ = i + 1 < n ? b64[(v >> 6) & 63] : '=';
		*out++ = '=';
	}
	*out = '\0';
}

/* Decode @n characters of padded base64. Return: bytes, or -1 if malformed. */
static int base64_decode(const char *in, size_t n, uint8_t *out, size_t outsz)
{
	size_t len = 0;
	uint32_t v = 0;
	int bits = 0, pad = 0;

	if (n % 4)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const char *c = in[i] ? strchr(b64, in[i]) : NULL;

		if (in[i] == '=' && i >= n - 2) {
			pad++;
			continue;
		}
		if (!c || pad)
			return -1;
		v = v << 6 | (uint32_t)(c - b64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (len >= outsz)
				return -1;
			out[len++] = (uint8_t)(v >> bits);
		}
	}
	return (int)len;
}

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
	uint8_t buf[VN_DHCHAP_SECRET_MAX + 4], key[VN_DHCHAP_SECRET_MAX];
	const EVP_MD *md = NULL;
	unsigned int mdlen = 0;
	char nqn[VN_NQN_SIZE];
	uint32_t crc;

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
	if (!secret) {
		if (RAND_bytes(key, (int)len) != 1)
			return vn_fail(ctx, -EIO, "no random bytes for the secret (OpenSSL "
				       "RAND_bytes failed)");
	} else {
		memcpy(key, secret, len);
	}
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
	crc = crc32_ieee(buf, len);
	buf[len] = (uint8_t)crc;
	buf[len + 1] = (uint8_t)(crc >> 8);
	buf[len + 2] = (uint8_t)(crc >> 16);
	buf[len + 3] = (uint8_t)(crc >> 24);
	snprintf(out, outsz, "DHHC-1:%02x:", hmac);
	base64_encode(buf, len + 4, out + strlen(out));
	strcat(out, ":");
	OPENSSL_cleanse(buf, sizeof(buf));
	return 0;
}

int vn_dhchap_check(struct vn_ctx *ctx, const char *key)
{
	uint8_t buf[VN_DHCHAP_SECRET_MAX + 4 + 3];
	unsigned int hmac;
	const char *b, *end;
	uint32_t crc;
	int n;

	/* two hex digits, read only once they are known to be there */
	if (!key || strncmp(key, "DHHC-1:", 7) != 0 || !isxdigit((unsigned char)key[7]) ||
	    !isxdigit((unsigned char)key[8]) || key[9] != ':' ||
	    sscanf(key + 7, "%2x", &hmac) != 1 || hmac > 3)
		return vn_invalid(ctx, "not a DH-HMAC-CHAP key: it reads "
				  "DHHC-1:<00-03>:<base64>: (vnvme gen-dhchap-key makes one)");
	b = key + 10;
	end = strchr(b, ':');
	if (!end || end[1])
		return vn_invalid(ctx, "not a DH-HMAC-CHAP key: it ends with ':'");
	n = base64_decode(b, (size_t)(end - b), buf, sizeof(buf));
	if (n != 36 && n != 52 && n != 68)
		return vn_invalid(ctx, "not a DH-HMAC-CHAP key: its base64 part must hold "
				  "32, 48 or 64 bytes and a CRC");
	n -= 4;
	crc = crc32_ieee(buf, (size_t)n);
	if (buf[n] != (uint8_t)crc || buf[n + 1] != (uint8_t)(crc >> 8) ||
	    buf[n + 2] != (uint8_t)(crc >> 16) || buf[n + 3] != (uint8_t)(crc >> 24))
		return vn_invalid(ctx, "DH-HMAC-CHAP key: its CRC does not match (a typo?)");
	OPENSSL_cleanse(buf, sizeof(buf));
	return (int)hmac;
}
