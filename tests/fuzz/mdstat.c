// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * /proc/mdstat: the pure parser (vn_md_mdstat_parse), the same text read
 * from a file by vn_md_list() (with md/ sysfs absent), and the health
 * judgement of every array it yields (vn_health_md).
 */
#include "fuzz.h"

#define ARRAYS_MAX 8

static void judge(const struct vn_md_status *st)
{
	struct vn_health_report rep = { 0 };
	enum vn_health h = vn_health_md(st, &rep);

	FUZZ_ASSERT(rep.n <= VN_HEALTH_NOTES_MAX);
	FUZZ_ASSERT(vn_health_name(h) != NULL);
	FUZZ_ASSERT(st->nmembers <= VN_MD_MEMBERS_MAX);
	FUZZ_ASSERT(memchr(st->name, '\0', sizeof(st->name)));
	FUZZ_ASSERT(memchr(st->level, '\0', sizeof(st->level)));
	FUZZ_ASSERT(memchr(st->health, '\0', sizeof(st->health)));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vn_md_status st[ARRAYS_MAX], *list = NULL;
	struct vn_ctx *ctx = fuzz_ctx();
	char *text = fuzz_str(data, size);
	int n;

	n = vn_md_mdstat_parse(text, st, ARRAYS_MAX);
	FUZZ_ASSERT(n >= 0 && n <= ARRAYS_MAX);
	for (int i = 0; i < n; i++)
		judge(&st[i]);
	/* a smaller table than the file has arrays */
	FUZZ_ASSERT(vn_md_mdstat_parse(text, st, 1) <= 1);

	/* the file path reads md/ sysfs per array and member: a few arrays
	 * cover it, 32 of them only slow the run down */
	if (n > 4) {
		free(text);
		return 0;
	}
	fuzz_write("/proc/mdstat", data, size);
	n = vn_md_list(ctx, &list);
	for (int i = 0; i < n; i++)
		judge(&list[i]);
	free(list);
	free(text);
	return 0;
}
