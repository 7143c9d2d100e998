// SPDX-License-Identifier: GPL-3.0-or-later
/* lib/dm.c: the DM_TABLE_LOAD payload layout and name rules, no kernel needed. */
#include <linux/dm-ioctl.h>

#include "unit.h"
#include "cache_priv.h"

START_TEST(pack_one_target)
{
	struct vn_dm_target t = { 0, 524288, "rapiddisk-cache",
				  "/dev/md0 /dev/rd0 65536 1" };
	_Alignas(8) char buf[512];
	const struct dm_target_spec *spec = (const void *)buf;
	size_t want = sizeof(*spec) + strlen(t.params) + 1;
	int n;

	want = (want + 7) / 8 * 8;
	memset(buf, 0x55, sizeof(buf));
	n = vn_dm_pack_table(buf, sizeof(buf), &t, 1);
	ck_assert_int_eq(n, (int)want);
	ck_assert_uint_eq(sizeof(*spec), 40);	/* dm-ioctl.h: 8 + 8 + 4 + 4 + 16 */
	ck_assert_uint_eq(spec->sector_start, 0);
	ck_assert_uint_eq(spec->length, 524288);
	ck_assert_int_eq(spec->status, 0);
	ck_assert_uint_eq(spec->next, want);
	ck_assert_str_eq(spec->target_type, "rapiddisk-cache");
	ck_assert_str_eq(buf + sizeof(*spec), t.params);
	/* the padding after the NUL is zeroed, not left over */
	for (size_t i = sizeof(*spec) + strlen(t.params); i < want; i++)
		ck_assert_int_eq(buf[i], 0);
}
END_TEST

START_TEST(pack_two_targets_chain_by_next)
{
	struct vn_dm_target t[2] = {
		{ 0, 1000, "linear", "8:0 0" },
		{ 1000, 24, "zero", "" },
	};
	_Alignas(8) char buf[512];
	const struct dm_target_spec *a = (const void *)buf, *b;
	int n = vn_dm_pack_table(buf, sizeof(buf), t, 2);

	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(a->next % 8, 0);
	b = (const void *)(buf + a->next);
	ck_assert_str_eq(b->target_type, "zero");
	ck_assert_uint_eq(b->sector_start, 1000);
	ck_assert_uint_eq(b->length, 24);
	ck_assert_str_eq((const char *)(b + 1), "");
	ck_assert_int_eq(n, (int)(a->next + b->next));
}
END_TEST

START_TEST(pack_refuses_what_does_not_fit)
{
	struct vn_dm_target t = { 0, 8, "linear", "8:0 0" };
	struct vn_dm_target bad = { 0, 8, "a-type-name-too-long", "" };
	char buf[40];	/* one spec, no room for its parameters */

	ck_assert_int_eq(vn_dm_pack_table(buf, sizeof(buf), &t, 1), -ENOSPC);
	ck_assert_int_eq(vn_dm_pack_table(buf, sizeof(buf), &bad, 1), -EINVAL);
}
END_TEST

START_TEST(valid_names)
{
	char longname[200];

	ck_assert(vn_dm_valid_name("rc-wa_md0"));
	ck_assert(vn_dm_valid_name("a#b+c-d.e:f=g@h_i"));
	ck_assert(!vn_dm_valid_name(""));
	ck_assert(!vn_dm_valid_name("a/b"));
	ck_assert(!vn_dm_valid_name("."));
	ck_assert(!vn_dm_valid_name(".."));
	/* /dev/mapper/control is device-mapper's own node */
	ck_assert(!vn_dm_valid_name("control"));
	ck_assert(vn_dm_valid_name("control2"));
	ck_assert(!vn_dm_valid_name("a\nb"));
	ck_assert(!vn_dm_valid_name("a b"));
	ck_assert(!vn_dm_valid_name("a\tb"));
	ck_assert(!vn_dm_valid_name("caf\xc3\xa9"));
	/* refused, never truncated, past what vnvme keeps (VN_NAME_MAX) */
	memset(longname, 'x', sizeof(longname));
	longname[VN_NAME_MAX] = '\0';
	ck_assert(!vn_dm_valid_name(longname));
	longname[VN_NAME_MAX - 1] = '\0';
	ck_assert(vn_dm_valid_name(longname));
}
END_TEST

START_TEST(dry_run_create_touches_nothing)
{
	char *root = unit_tmpdir();
	struct vn_ctx *ctx = unit_ctx(root);
	struct vn_dm_target t = { 0, 8, "linear", "8:0 0" };

	vn_ctx_set_dry_run(ctx, true);
	/* no /dev/mapper/control under the root: a real call would fail */
	ck_assert_int_eq(vn_dm_create(ctx, "x", NULL, &t, 1, NULL), 0);
	ck_assert_int_eq(vn_dm_create(ctx, "bad/name", NULL, &t, 1, NULL), -EINVAL);
	ck_assert_int_eq(vn_ctx_error_kind(ctx), VN_ERR_INVALID);
	vn_ctx_free(ctx);
	unit_rmtree(root);
	free(root);
}
END_TEST

static Suite *dm_suite(void)
{
	Suite *s = suite_create("dm");
	TCase *tc = tcase_create("table");

	tcase_add_test(tc, pack_one_target);
	tcase_add_test(tc, pack_two_targets_chain_by_next);
	tcase_add_test(tc, pack_refuses_what_does_not_fit);
	tcase_add_test(tc, valid_names);
	tcase_add_test(tc, dry_run_create_touches_nothing);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run(dm_suite());
}
