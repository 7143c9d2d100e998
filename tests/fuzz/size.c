// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * Sizes (vn_size_parse, every --size and stack "size"/"chunk"): any text,
 * with each implied unit the callers use. A size that parses is printed
 * (vn_size_format) and what is printed reads back as the same size, to
 * the rounding of its three digits.
 */
#include "fuzz.h"

static const uint64_t units[] = { 0, 1, 512, 1024, 1ull << 20, 1ull << 30 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_str(data, size), buf[64], tiny[4];

	for (size_t i = 0; i < VN_ARRAY_SIZE(units); i++) {
		uint64_t v = 0, back = 0;
		int r = vn_size_parse(text, units[i], &v);

		FUZZ_ASSERT(r == 0 || r == -EINVAL || r == -ERANGE);
		if (r < 0)
			continue;
		vn_size_format(v, buf, sizeof(buf));
		(void)vn_size_format(v, tiny, sizeof(tiny));
		FUZZ_ASSERT(strlen(buf) < sizeof(buf) - 1);
		/*
		 * What is printed reads back: exactly when it is a whole number
		 * of its unit ("2 GiB"), else within the rounding of its three
		 * digits ("1.50 GiB", "500 MiB" for 500.5 MiB), under 0.5%.
		 */
		r = vn_size_parse(buf, 1, &back);
		/* "16.00 EiB" for 2^64 - 1: rounded up past what 64 bits hold */
		if (r == -ERANGE && v > UINT64_MAX - UINT64_MAX / 200)
			continue;
		FUZZ_ASSERT(r == 0);
		if (strchr(buf, '.') || back != v)
			FUZZ_ASSERT((back > v ? back - v : v - back) <= v / 200 + 1);
	}
	free(text);
	return 0;
}
