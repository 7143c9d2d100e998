// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * Device-mapper text: the status line of each cache engine
 * (vn_cache_parse_status: RapidDisk's "name(N)" pairs, dm-cache's numbers),
 * the table line each engine describes a mapping from (sysfs absent), and
 * the name checks (vn_dm_valid_name, vn_cache_mode_parse).
 */
#include "cache_priv.h"
#include "fuzz.h"

static const struct vn_cache_engine *const engines[] = {
	&vn_cache_engine_rapiddisk, &vn_cache_engine_dmcache,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vn_ctx *ctx = fuzz_ctx();
	char *text = fuzz_str(data, size);
	enum vn_cache_mode mode;
	char name[VN_NAME_MAX];

	for (size_t i = 0; i < VN_ARRAY_SIZE(engines); i++) {
		const struct vn_cache_engine *e = engines[i];
		struct vn_cache_stats st;
		struct vn_cache_info info = { .engine = e->name };
		int r = vn_cache_parse_status(e->name, text, &st);

		FUZZ_ASSERT(r == 0 || r == -EINVAL);
		FUZZ_ASSERT(st.n_counters <= VN_CACHE_COUNTERS_MAX);
		for (unsigned int k = 0; k < st.n_counters; k++)
			FUZZ_ASSERT(memchr(st.counters[k].key, '\0', sizeof(st.counters[k].key)));
		vn_strlcpy(info.name, "rc-wa_md0", sizeof(info.name));
		vn_strlcpy(info.dm_dev, "dm-0", sizeof(info.dm_dev));
		e->describe(ctx, text, &info);
		FUZZ_ASSERT(info.mode < VN_CACHE_MODE_MAX);
	}
	if (vn_dm_valid_name(text)) {
		FUZZ_ASSERT(strlen(text) < VN_NAME_MAX && !strchr(text, '/'));
		FUZZ_ASSERT(strcmp(text, ".") && strcmp(text, "..") && strcmp(text, "control"));
	}
	if (vn_cache_mode_parse(text, &mode) == 0)
		FUZZ_ASSERT(mode < VN_CACHE_MODE_MAX);
	for (int m = 0; m < VN_CACHE_MODE_MAX; m++)
		(void)vn_cache_default_name((enum vn_cache_mode)m, text, name, sizeof(name));
	free(text);
	return 0;
}
