// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * The text form NVMe keys share (DH-HMAC-CHAP's DHHC-1, TLS's
 * NVMeTLSkey-1):
 *
 *   <prefix>:<hmac id, 2 hex digits>:<base64(key || crc32(key), little endian)>:
 *
 * CRC-32 as zlib's (the kernel's crc32_le(~0, ...) ^ ~0); standard base64
 * with '=' padding.
 */
#include <ctype.h>
#include <stdio.h>
#include <errno.h>
#include <string.h>

#include <openssl/rand.h>

#include "internal.h"

static const char b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

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


void vn_keytext_encode(const char *prefix, int hmac, const uint8_t *key, size_t len,
		       char *out)
{
	uint8_t buf[VN_KEYTEXT_KEY_MAX + 4];
	uint32_t crc = crc32_ieee(key, len);

	memcpy(buf, key, len);
	buf[len] = (uint8_t)crc;
	buf[len + 1] = (uint8_t)(crc >> 8);
	buf[len + 2] = (uint8_t)(crc >> 16);
	buf[len + 3] = (uint8_t)(crc >> 24);
	out += sprintf(out, "%s:%02x:", prefix, hmac);
	base64_encode(buf, len + 4, out);
	strcat(out, ":");
	memset(buf, 0, sizeof(buf));
}

int vn_keytext_decode(const char *text, const char *prefix, int *ret_hmac, uint8_t *key,
		      size_t keysz)
{
	uint8_t buf[VN_KEYTEXT_KEY_MAX + 4 + 3];
	size_t p = strlen(prefix);
	unsigned int hmac;
	const char *b, *end;
	uint32_t crc;
	int n;

	/* two hex digits, read only once they are known to be there */
	if (!text || strncmp(text, prefix, p) != 0 || text[p] != ':' ||
	    !isxdigit((unsigned char)text[p + 1]) || !isxdigit((unsigned char)text[p + 2]) ||
	    text[p + 3] != ':' || sscanf(text + p + 1, "%2x", &hmac) != 1)
		return VN_KEYTEXT_FORM;
	b = text + p + 4;
	end = strchr(b, ':');
	if (!end || end[1])
		return VN_KEYTEXT_FORM;
	n = base64_decode(b, (size_t)(end - b), buf, sizeof(buf));
	if (n < 5 || (size_t)n - 4 > keysz)
		return VN_KEYTEXT_BASE64;
	n -= 4;
	crc = crc32_ieee(buf, (size_t)n);
	if (buf[n] != (uint8_t)crc || buf[n + 1] != (uint8_t)(crc >> 8) ||
	    buf[n + 2] != (uint8_t)(crc >> 16) || buf[n + 3] != (uint8_t)(crc >> 24)) {
		memset(buf, 0, sizeof(buf));
		return VN_KEYTEXT_CRC;
	}
	memcpy(key, buf, (size_t)n);
	memset(buf, 0, sizeof(buf));
	*ret_hmac = (int)hmac;
	return n;
}

int vn_keytext_secret(struct vn_ctx *ctx, const uint8_t *secret, uint8_t *key, size_t len)
{
	if (secret) {
		memcpy(key, secret, len);
		return 0;
	}
	if (RAND_bytes(key, (int)len) != 1)
		return vn_fail(ctx, -EIO, "no random bytes for the key (OpenSSL RAND_bytes "
			       "failed)");
	return 0;
}
