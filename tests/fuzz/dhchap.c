// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * DH-HMAC-CHAP key text (lib/dhchap.c), what `vnvme auth` and stack files
 * take: vn_dhchap_check() of any text; and a key made by vn_dhchap_key()
 * from the input's bytes passes the check with the hmac it was made for.
 * The same for TLS keys (lib/tls.c, the same text form: lib/keytext.c).
 */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t lens[] = { 32, 48, 64 };
	struct vn_ctx *ctx = fuzz_ctx();
	char *text = fuzz_str(data, size), key[VN_DHCHAP_STR_SIZE];
	int r = vn_dhchap_check(ctx, text);

	FUZZ_ASSERT(r == -EINVAL || (r >= 0 && r <= 3));
	if (r >= 0)
		FUZZ_ASSERT(strncmp(text, "DHHC-1:", 7) == 0 && text[strlen(text) - 1] == ':');
	r = vn_tls_key_check(ctx, text);
	FUZZ_ASSERT(r == -EINVAL || r == 1 || r == 2);
	if (r > 0)
		FUZZ_ASSERT(strncmp(text, "NVMeTLSkey-1:", 13) == 0);
	free(text);
	if (size >= 48) {
		char tls[VN_TLS_STR_SIZE];
		size_t len = data[0] & 1 ? 48 : 32;

		vn_ctx_clear_error(ctx);
		FUZZ_ASSERT(vn_tls_key(ctx, data, len, tls, sizeof(tls)) == 0);
		FUZZ_ASSERT(vn_tls_key_check(ctx, tls) == (len == 32 ? 1 : 2));
	}
	/* byte 0: hmac (0-3), then the secret: 32, 48 or 64 bytes */
	if (size >= 1 + 32) {
		int hmac = data[0] & 3;
		size_t len = hmac ? lens[hmac - 1] : lens[data[0] >> 2 & 1];

		if (size >= 1 + len) {
			vn_ctx_clear_error(ctx);
			r = vn_dhchap_key(ctx, data + 1, len, hmac,
					  "nqn.2014-08.org.nvmexpress:uuid:00000000-0000-0000-0000-000000000001",
					  key, sizeof(key));
			FUZZ_ASSERT(r == 0);
			FUZZ_ASSERT(vn_dhchap_check(ctx, key) == hmac);
		}
	}
	return 0;
}
