// SPDX-License-Identifier: GPL-3.0-or-later
/* One parser and one printer for sizes. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

struct unit {
	const char *name;
	uint64_t mult;
};

/* Binary prefixes: rapiddisk, mdadm and parted users mean 1024 by "M". */
static const struct unit units[] = {
	{ "B", 1 },
	{ "K", 1ULL << 10 }, { "KiB", 1ULL << 10 }, { "KB", 1000ULL },
	{ "M", 1ULL << 20 }, { "MiB", 1ULL << 20 }, { "MB", 1000000ULL },
	{ "G", 1ULL << 30 }, { "GiB", 1ULL << 30 }, { "GB", 1000000000ULL },
	{ "T", 1ULL << 40 }, { "TiB", 1ULL << 40 }, { "TB", 1000000000000ULL },
	{ "P", 1ULL << 50 }, { "PiB", 1ULL << 50 }, { "PB", 1000000000000000ULL },
	{ "E", 1ULL << 60 }, { "EiB", 1ULL << 60 }, { "EB", 1000000000000000000ULL },
};

static int find_unit(const char *s, uint64_t *ret_mult)
{
	for (size_t i = 0; i < VN_ARRAY_SIZE(units); i++) {
		if (strcasecmp(s, units[i].name) == 0) {
			/* "kb" and "KB" both decimal; "k" binary */
			*ret_mult = units[i].mult;
			return 0;
		}
	}
	return -EINVAL;
}

int vn_size_parse(const char *s, uint64_t default_unit, uint64_t *ret_bytes)
{
	uint64_t whole = 0, frac = 0, frac_div = 1, mult, v;
	const char *p = s;

	if (!s || !isdigit((unsigned char)*p))
		return -EINVAL;
	for (; isdigit((unsigned char)*p); p++) {
		if (whole > (UINT64_MAX - 9) / 10)
			return -ERANGE;
		whole = whole * 10 + (uint64_t)(*p - '0');
	}
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		for (; isdigit((unsigned char)*p); p++) {
			if (frac_div >= 1000000000ULL)
				continue;	/* ignore digits past 1e-9 */
			frac = frac * 10 + (uint64_t)(*p - '0');
			frac_div *= 10;
		}
	}
	while (*p == ' ')
		p++;
	if (*p == '\0') {
		if (frac)
			return -EINVAL;	/* "1.5" of an implied unit is ambiguous */
		mult = default_unit;
	} else if (find_unit(p, &mult) < 0) {
		return -EINVAL;
	}
	if (mult && whole > UINT64_MAX / mult)
		return -ERANGE;
	v = whole * mult;
	if (frac) {
		/* frac / frac_div * mult, without overflow for mult <= 2^60 */
		uint64_t extra = (mult / frac_div) * frac +
				 (mult % frac_div) * frac / frac_div;
		if (v > UINT64_MAX - extra)
			return -ERANGE;
		v += extra;
	}
	*ret_bytes = v;
	return 0;
}

char *vn_size_format(uint64_t bytes, char *buf, size_t len)
{
	static const char *const names[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	unsigned int i = 0;
	uint64_t v = bytes;

	while (v >= 1024 && i < VN_ARRAY_SIZE(names) - 1) {
		v /= 1024;
		i++;
	}
	if (i == 0) {
		snprintf(buf, len, "%llu B", (unsigned long long)bytes);
	} else if (bytes % (1ULL << (10 * i)) == 0) {
		snprintf(buf, len, "%llu %s", (unsigned long long)v, names[i]);
	} else {
		double d = (double)bytes / (double)(1ULL << (10 * i));

		snprintf(buf, len, d < 10 ? "%.2f %s" : d < 100 ? "%.1f %s" : "%.0f %s",
			 d, names[i]);
	}
	return buf;
}
