// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * lib/md_tune.c: the default tuning rule and the journal advice (pure), and
 * get/apply against an md/ sysfs tree shaped like the lab's RAID-5 with a
 * 62 MiB journal log (dev-X/size as Linux 6.1 shows it).
 */
#include "unit.h"

#define KiB 1024ull
#define MiB (1024ull * KiB)
#define GiB (1024ull * MiB)

/* The lab: 4 x 256 MiB members, a 64 MiB NVMe partition (62 MiB of log), 960 MiB RAM. */
static const struct vn_md_tune_input lab = {
	.level = 5, .raid_disks = 4, .chunk_kib = 512, .component_bytes = 258048 * KiB,
	.journal_bytes = 63488 * KiB, .mem_total = 983040 * KiB,
};

START_TEST(test_rule_lab)
{
	struct vn_md_journal_advice a;
	struct vn_md_tune t;

	ck_assert_int_eq(vn_md_tune_rule(&lab, &t, &a), 0);
	/* 63488 KiB / 28 KiB = 2267 stripes before the log is tight; x2, up to 256 */
	ck_assert_uint_eq(a.journal_stripes, 2267);
	ck_assert_uint_eq(t.stripe_cache_size, 4608);
	ck_assert_uint_eq(t.group_thread_cnt, 0);
	ck_assert_uint_eq(a.cache_mem_bytes, 4608 * 4 * 4 * KiB);	/* 72 MiB */
	ck_assert_uint_eq(a.mem_bound_bytes, 120 * MiB);
	ck_assert(!a.mem_limited);
	/* raid5 on 4 disks: a hot set H takes H of log and reserves 2H */
	ck_assert_uint_eq(a.burst_hot_set_bytes, 63488 * KiB / 3);
	ck_assert_uint_eq(a.payoff_hot_set_bytes, 63488 * KiB * 3 / 8);
	ck_assert(!a.too_small);
	/* a crash may leave the whole log to replay: 63488 KiB / 4 KiB */
	ck_assert_uint_eq(a.replay_stripes_max, 15872);
	ck_assert(!a.replay_slow);
}
END_TEST

/* The rule's advice for the lab's array with a journal of @journal bytes. */
static struct vn_md_journal_advice advice_for(uint64_t journal)
{
	struct vn_md_tune_input in = lab;
	struct vn_md_journal_advice a;
	struct vn_md_tune t;

	in.journal_bytes = journal;
	ck_assert_int_eq(vn_md_tune_rule(&in, &t, &a), 0);
	return a;
}

START_TEST(test_replay_slow)
{
	/* 1 GiB of log is 262144 stripes: the bound; a byte more is slow */
	ck_assert_uint_eq(advice_for(GiB).replay_stripes_max, 262144);
	ck_assert(!advice_for(GiB).replay_slow);
	ck_assert(advice_for(GiB + 4 * KiB).replay_slow);
	/* no journal, nothing to replay */
	ck_assert_uint_eq(advice_for(0).replay_stripes_max, 0);
	ck_assert(!advice_for(0).replay_slow);
}
END_TEST

START_TEST(test_rule_bounds)
{
	struct vn_md_tune_input in = lab;
	struct vn_md_journal_advice a;
	struct vn_md_tune t;

	/* a 256 MiB journal wants 18944 stripes; 1/8 of 960 MiB allows 7680 */
	in.journal_bytes = 256 * MiB;
	ck_assert_int_eq(vn_md_tune_rule(&in, &t, &a), 0);
	ck_assert_uint_eq(t.stripe_cache_size, 7680);
	ck_assert(a.mem_limited);
	/* the hot sets then shrink to what half the cache holds: 3840 x 12 KiB */
	ck_assert_uint_eq(a.cache_hot_set_bytes, 3840 * 12 * KiB);
	ck_assert_uint_le(a.payoff_hot_set_bytes, a.cache_hot_set_bytes);
	/* with RAM, md's limit */
	in.mem_total = 64 * GiB;
	ck_assert_int_eq(vn_md_tune_rule(&in, &t, &a), 0);
	ck_assert_uint_eq(t.stripe_cache_size, 18944);
	in.journal_bytes = 8 * GiB;
	ck_assert_int_eq(vn_md_tune_rule(&in, &t, NULL), 0);
	ck_assert_uint_eq(t.stripe_cache_size, VN_MD_STRIPE_CACHE_MAX);
	/* never below md's default, even with little RAM */
	in.mem_total = 32 * MiB;
	ck_assert_int_eq(vn_md_tune_rule(&in, &t, NULL), 0);
	ck_assert_uint_eq(t.stripe_cache_size, VN_MD_STRIPE_CACHE_DEFAULT);
	/* no journal: md's defaults, no advice */
	in = lab;
	in.journal_bytes = 0;
	ck_assert_int_eq(vn_md_tune_rule(&in, &t, &a), 0);
	ck_assert_uint_eq(t.stripe_cache_size, VN_MD_STRIPE_CACHE_DEFAULT);
	ck_assert_uint_eq(a.burst_hot_set_bytes, 0);
	ck_assert(!a.too_small);
	/* raid6: 3 blocks reserved per stripe, 10 x 4 KiB per stripe in all */
	in = lab;
	in.level = 6;
	in.raid_disks = 6;
	in.journal_bytes = 1 * GiB;
	in.mem_total = 64 * GiB;
	ck_assert_int_eq(vn_md_tune_rule(&in, &t, &a), 0);
	ck_assert_uint_eq(a.journal_stripes, GiB / (40 * KiB));
	ck_assert_uint_eq(t.stripe_cache_size, VN_MD_STRIPE_CACHE_MAX);
	/* levels without a stripe cache */
	in.level = 1;
	ck_assert_int_eq(vn_md_tune_rule(&in, &t, NULL), -EINVAL);
	in.level = 10;
	ck_assert_int_eq(vn_md_tune_rule(&in, &t, NULL), -EINVAL);
}
END_TEST

START_TEST(test_too_small)
{
	struct vn_md_tune_input in = lab;
	struct vn_md_journal_advice a;
	struct vn_md_tune t;

	/* a 64 MiB journal on 3 x 4 TB: pays off only on a 24 MiB hot set */
	in.component_bytes = 4000ull * 1000 * 1000 * 1000;
	in.journal_bytes = 64 * MiB;
	in.mem_total = 16 * GiB;
	ck_assert_int_eq(vn_md_tune_rule(&in, &t, &a), 0);
	ck_assert(a.too_small);
	ck_assert_uint_eq(a.array_bytes, 3 * in.component_bytes);
}
END_TEST

START_TEST(test_advice_lines)
{
	struct vn_md_journal_advice a = { 0 };
	struct vn_advice_line l[VN_ADVICE_LINES_MAX];

	/* no journal, no advice */
	ck_assert_uint_eq(vn_md_journal_advice_lines(&a, l), 0);
	a.journal_bytes = 64 * MiB;
	a.burst_hot_set_bytes = 8 * MiB;
	a.payoff_hot_set_bytes = 24 * MiB;
	ck_assert_uint_eq(vn_md_journal_advice_lines(&a, l), 1);
	ck_assert(!l[0].warn);
	ck_assert_str_eq(l[0].text, "in write-back it takes one pass of 4 KiB random writes "
			 "over a hot set up to 8 MiB at NVMe speed, and beats the bare array in "
			 "the steady state on hot sets up to 24 MiB");
	/* every warning, in order, each with its remedy */
	a.mem_limited = a.too_small = a.replay_slow = true;
	a.mem_bound_bytes = 250 * MiB;
	a.replay_stripes_max = 16384;
	ck_assert_uint_eq(vn_md_journal_advice_lines(&a, l), 4);
	ck_assert(l[1].warn && l[2].warn && l[3].warn);
	ck_assert_str_eq(l[1].text, "the stripe cache is held to 250 MiB (1/8 of the RAM)");
	ck_assert_ptr_nonnull(strstr(l[2].text, "journal 64 MiB is small for the array: "
				     "write-back pays off only on hot sets up to 24 MiB"));
	ck_assert_ptr_nonnull(strstr(l[3].text, "up to 16384 stripes from journal 64 MiB"));
	ck_assert_ptr_nonnull(strstr(l[2].remedy, "larger journal"));
	ck_assert_ptr_nonnull(strstr(l[3].remedy, "hour or more"));
	/* members with a volatile write cache: a warning before the replay's */
	a.volatile_members = 3;
	ck_assert_uint_eq(vn_md_journal_advice_lines(&a, l), 5);
	ck_assert_ptr_nonnull(strstr(l[3].text, "3 of its members keep a volatile write cache"));
	ck_assert_ptr_nonnull(strstr(l[4].text, "up to 16384 stripes"));
	/* the rule passes the count on, only with a journal */
	{
		struct vn_md_tune_input in = lab;
		struct vn_md_journal_advice b;
		struct vn_md_tune t;

		in.volatile_members = 4;
		ck_assert_int_eq(vn_md_tune_rule(&in, &t, &b), 0);
		ck_assert_uint_eq(b.volatile_members, 4);
		in.journal_bytes = 0;
		ck_assert_int_eq(vn_md_tune_rule(&in, &t, &b), 0);
		ck_assert_uint_eq(b.volatile_members, 0);
	}
}
END_TEST

START_TEST(test_gain)
{
	struct vn_md_tune_input in = lab;

	/* the lab's two steady measurements: 3.6x and 21.7x; the model 3.0x and 21x */
	in.journal_bytes = 64 * MiB;
	ck_assert_double_eq_tol(vn_md_journal_gain(&in, 16 * MiB), 3.0, 0.01);
	in.journal_bytes = 256 * MiB;
	ck_assert_double_eq_tol(vn_md_journal_gain(&in, 16 * MiB), 21.0, 0.01);
	/* a 200 MiB set on a 64 MiB journal leaves no room: below the bare array */
	in.journal_bytes = 64 * MiB;
	ck_assert_double_eq(vn_md_journal_gain(&in, 200 * MiB), 0);
	/* at the payoff hot set the gain is 1 */
	ck_assert_double_eq_tol(vn_md_journal_gain(&in, 64 * MiB * 3 / 8), 1.0, 0.01);
}
END_TEST

static char *tune_tree(void)
{
	char *root = unit_tmpdir();

	unit_write(root, "/proc/mdstat",
		   "Personalities : [raid6] [raid5] [raid4]\n"
		   "md0 : active raid5 sdd1[4] sdc1[2] sdb1[1] sda1[0] nvme0n1p1[5](J)\n"
		   "      774144 blocks super 1.2 level 5, 512k chunk, algorithm 2 [4/4] [UUUU]\n"
		   "      \nunused devices: <none>\n");
	unit_write(root, "/proc/meminfo", "MemTotal:         983040 kB\nMemFree: 1 kB\n");
	unit_write(root, "/sys/block/md0/md/level", "raid5\n");
	unit_write(root, "/sys/block/md0/md/array_state", "clean\n");
	unit_write(root, "/sys/block/md0/md/sync_action", "idle\n");
	unit_write(root, "/sys/block/md0/md/degraded", "0\n");
	unit_write(root, "/sys/block/md0/md/raid_disks", "4\n");
	unit_write(root, "/sys/block/md0/md/chunk_size", "524288\n");
	unit_write(root, "/sys/block/md0/md/component_size", "258048\n");
	unit_write(root, "/sys/block/md0/md/stripe_cache_size", "256\n");
	unit_write(root, "/sys/block/md0/md/group_thread_cnt", "0\n");
	unit_write(root, "/sys/block/md0/md/dev-nvme0n1p1/state", "journal\n");
	unit_write(root, "/sys/block/md0/md/dev-nvme0n1p1/slot", "journal\n");
	unit_write(root, "/sys/block/md0/md/dev-nvme0n1p1/size", "63488\n");
	unit_write(root, "/sys/block/md0/md/dev-sda1/state", "in_sync\n");
	unit_write(root, "/sys/block/md0/md/dev-sda1/slot", "0\n");
	unit_write(root, "/sys/block/md0/md/dev-sda1/size", "258048\n");
	return root;
}

START_TEST(test_get_apply)
{
	char *root = tune_tree();
	struct vn_ctx *ctx = unit_ctx(root);
	struct vn_md_tune t, bad = { .stripe_cache_size = 40000 };

	ck_assert_int_eq(vn_md_tune_get(ctx, "/dev/md0", &t), 0);
	ck_assert_uint_eq(t.stripe_cache_size, 256);
	ck_assert_int_eq(vn_md_tune_default(ctx, "md0", &t), 0);
	ck_assert_uint_eq(t.stripe_cache_size, 4608);
	/* dry run: nothing written */
	vn_ctx_set_dry_run(ctx, true);
	ck_assert_int_eq(vn_md_tune_apply(ctx, "md0", &t), 0);
	ck_assert_str_eq(unit_read(root, "/sys/block/md0/md/stripe_cache_size"), "256\n");
	vn_ctx_set_dry_run(ctx, false);
	ck_assert_int_eq(vn_md_tune_apply(ctx, "md0", &t), 0);
	ck_assert_int_eq(strncmp(unit_read(root, "/sys/block/md0/md/stripe_cache_size"),
				 "4608", 4), 0);
	/* group_thread_cnt unchanged: not written (still "0\n") */
	ck_assert_str_eq(unit_read(root, "/sys/block/md0/md/group_thread_cnt"), "0\n");
	/* out of md's range */
	ck_assert_int_eq(vn_md_tune_apply(ctx, "md0", &bad), -EINVAL);
	ck_assert_int_eq(vn_ctx_error_kind(ctx), VN_ERR_INVALID);
	/* raid1 has no stripe cache */
	unit_write(root, "/sys/block/md0/md/level", "raid1\n");
	ck_assert_int_eq(vn_md_tune_get(ctx, "md0", &t), -EOPNOTSUPP);
	ck_assert_int_eq(vn_ctx_error_kind(ctx), VN_ERR_UNSAFE);
	vn_ctx_free(ctx);
	unit_rmtree(root);
	free(root);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("md_tune");
	TCase *tc = tcase_create("md_tune");

	tcase_add_test(tc, test_rule_lab);
	tcase_add_test(tc, test_rule_bounds);
	tcase_add_test(tc, test_too_small);
	tcase_add_test(tc, test_replay_slow);
	tcase_add_test(tc, test_advice_lines);
	tcase_add_test(tc, test_gain);
	tcase_add_test(tc, test_get_apply);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
