// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * lib/cache*.c and lib/rapiddisk.c without a kernel: status parsers fed with
 * status lines captured in the lab (kernel 6.1, RapidDisk 9.0.0), names,
 * modes, the RAM budget, and RAM disks on a temporary tree.
 */
#include "unit.h"

/* `dmsetup status rc-wa_sda` after writing 8 MiB and reading 16 MiB twice,
 * less its first three fields (start, length, target type). */
static const char rc_status[] =
	"stats:\n"
	"\treads(10300), writes(2048)\n"
	"\tcache hits(6204), replacement(0), write replacement(0)\n"
	"\tread invalidates(0), write invalidates(0)\n"
	"\tuncached reads(0), uncached writes(2048)\n"
	"\tdisk reads(4096), disk writes(2048)\n"
	"\tcache reads(6204), cache writes(4096)\n";

/* `dmsetup status rc-wt_sdb` (dm-cache, smq) after three 16 MiB read passes. */
static const char dc_status[] =
	"8 9/2056 64 512/1024 8928 3360 0 0 0 512 0 1 writethrough 2 "
	"migration_threshold 2048 smq 0 rw - ";

static uint64_t counter(const struct vn_cache_stats *s, const char *key)
{
	for (unsigned int i = 0; i < s->n_counters; i++)
		if (strcmp(s->counters[i].key, key) == 0)
			return s->counters[i].value;
	ck_abort_msg("no counter %s", key);
	return 0;
}

START_TEST(rapiddisk_status)
{
	struct vn_cache_stats s;

	ck_assert_int_eq(vn_cache_parse_status("rapiddisk", rc_status, &s), 0);
	ck_assert_uint_eq(s.n_counters, 13);
	ck_assert_uint_eq(s.reads, 10300);
	ck_assert_uint_eq(s.writes, 2048);
	ck_assert_uint_eq(s.read_hits, 6204);
	ck_assert_uint_eq(s.read_misses, 10300 - 6204);
	ck_assert_uint_eq(counter(&s, "cache_hits"), 6204);
	ck_assert_uint_eq(counter(&s, "write_replacement"), 0);
	ck_assert_uint_eq(counter(&s, "uncached_writes"), 2048);
	ck_assert_uint_eq(counter(&s, "disk_reads"), 4096);
	ck_assert_uint_eq(counter(&s, "cache_writes"), 4096);
	ck_assert_str_eq(s.counters[0].key, "reads");
	ck_assert_str_eq(s.counters[12].key, "cache_writes");
}
END_TEST

START_TEST(dmcache_status)
{
	struct vn_cache_stats s;

	ck_assert_int_eq(vn_cache_parse_status("dm-cache", dc_status, &s), 0);
	ck_assert_uint_eq(s.read_hits, 8928);
	ck_assert_uint_eq(s.read_misses, 3360);
	ck_assert_uint_eq(s.reads, 8928 + 3360);
	ck_assert_uint_eq(s.writes, 0);
	ck_assert_uint_eq(s.cache_blocks_used, 512);
	ck_assert_uint_eq(s.cache_blocks_total, 1024);
	ck_assert_uint_eq(counter(&s, "promotions"), 512);
	ck_assert_uint_eq(counter(&s, "metadata_blocks_total"), 2056);
	ck_assert_uint_eq(counter(&s, "cache_block_sectors"), 64);
}
END_TEST

START_TEST(status_garbage)
{
	struct vn_cache_stats s;

	ck_assert_int_eq(vn_cache_parse_status("dm-cache", "Fail", &s), -EINVAL);
	ck_assert_int_eq(vn_cache_parse_status("dm-cache", rc_status, &s), -EINVAL);
	ck_assert_int_eq(vn_cache_parse_status("rapiddisk", "", &s), -EINVAL);
	ck_assert_int_eq(vn_cache_parse_status("rapiddisk", "x() y(z)", &s), -EINVAL);
	ck_assert_int_eq(vn_cache_parse_status("bcache", rc_status, &s), -EINVAL);
}
END_TEST

START_TEST(default_names)
{
	char buf[VN_NAME_MAX], small[8];

	ck_assert_int_eq(vn_cache_default_name(VN_CACHE_WA, "/dev/md0", buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "rc-wa_md0");
	ck_assert_int_eq(vn_cache_default_name(VN_CACHE_WT, "sda", buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "rc-wt_sda");
	ck_assert_int_eq(vn_cache_default_name(VN_CACHE_WA, "/dev/mapper/vg-lv", buf,
					       sizeof(buf)), 0);
	ck_assert_str_eq(buf, "rc-wa_vg-lv");
	ck_assert_int_eq(vn_cache_default_name(VN_CACHE_WA, "/dev/", buf, sizeof(buf)),
			 -EINVAL);
	ck_assert_int_eq(vn_cache_default_name(VN_CACHE_WA, "md0", small, sizeof(small)),
			 -ENAMETOOLONG);
}
END_TEST

START_TEST(modes)
{
	enum vn_cache_mode m;

	ck_assert_int_eq(vn_cache_mode_parse("wa", &m), 0);
	ck_assert_int_eq(m, VN_CACHE_WA);
	ck_assert_int_eq(vn_cache_mode_parse("wb", &m), 0);
	ck_assert_int_eq(m, VN_CACHE_WB);
	ck_assert_int_eq(vn_cache_mode_parse("WA", &m), -EINVAL);
	ck_assert_int_eq(vn_cache_mode_parse("writearound", &m), -EINVAL);
	ck_assert_str_eq(vn_cache_mode_name(VN_CACHE_WT), "wt");
}
END_TEST

static const char meminfo[] =
	"MemTotal:        1014800 kB\n"
	"MemFree:          830000 kB\n"
	"MemAvailable:     815104 kB\n";	/* 796 MiB, as in the lab guest */

START_TEST(ram_budget)
{
	char *root = unit_tmpdir();
	struct vn_ctx *ctx = unit_ctx(root);

	unit_write(root, "/proc/meminfo", meminfo);
	/* headroom: max(128 MiB, MemTotal / 8 = 123.9 MiB) = 128 MiB */
	ck_assert_int_eq(vn_ram_check(ctx, 668ull << 20, "a cache"), 0);
	ck_assert_int_eq(vn_ram_check(ctx, 669ull << 20, "a cache"), -ENOMEM);
	/* sizes near 2^64 do not wrap around into "fits" */
	ck_assert_int_eq(vn_ram_check(ctx, UINT64_MAX, "a cache"), -ENOMEM);
	ck_assert_int_eq(vn_ram_check(ctx, UINT64_MAX - (100ull << 20), "a cache"), -ENOMEM);
	ck_assert_int_eq(vn_ctx_error_kind(ctx), VN_ERR_UNSAFE);
	ck_assert(vn_ctx_error_forceable(ctx));
	ck_assert_ptr_nonnull(strstr(vn_ctx_error(ctx), "a cache needs more RAM than is free"));
	vn_ctx_free(ctx);
	unit_rmtree(root);
	free(root);
}
END_TEST

static int actions;
static char last_action[512];

static void record(void *data, bool dry_run, const char *action)
{
	(void)data;
	(void)dry_run;
	actions++;
	snprintf(last_action, sizeof(last_action), "%s", action);
}

/* A tree where RapidDisk is loaded, rd0 exists, RAM is plenty. */
static char *rapiddisk_tree(void)
{
	char *root = unit_tmpdir(), holders[PATH_MAX];

	unit_write(root, "/proc/meminfo", meminfo);
	unit_write(root, "/sys/module/rapiddisk/refcnt", "0\n");
	unit_write(root, "/sys/module/rapiddisk_cache/refcnt", "0\n");
	unit_write(root, "/sys/kernel/rapiddisk/mgmt", "");
	unit_write(root, "/sys/kernel/rapiddisk/devices",
		   "Device\tSize\tErrors\tUsed\nrd0\t33554432\t0\t16777216\n");
	unit_write(root, "/sys/block/rd0/size", "65536\n");
	unit_write(root, "/sys/block/rd0/dev", "254:0\n");
	snprintf(holders, sizeof(holders), "%s/sys/block/rd0/holders", root);
	unit_mkdirs(holders);
	return root;
}

START_TEST(ramdisk_add_picks_a_free_number)
{
	char *root = rapiddisk_tree();
	struct vn_ctx *ctx = unit_ctx(root);
	char name[16] = "";

	vn_ctx_set_action_cb(ctx, record, NULL);
	vn_ctx_set_dry_run(ctx, true);
	actions = 0;
	ck_assert_int_eq(vn_rapiddisk_add(ctx, 32ull << 20, name, sizeof(name)), 0);
	ck_assert_str_eq(name, "rd1");
	ck_assert_int_eq(actions, 1);
	ck_assert_ptr_nonnull(strstr(last_action, "/sys/kernel/rapiddisk/mgmt: "
				     "rapiddisk attach 1 33554432"));
	/* sizes are whole sectors; and RAM is checked first */
	ck_assert_int_eq(vn_rapiddisk_add(ctx, 1000, name, sizeof(name)), -EINVAL);
	ck_assert_int_eq(vn_rapiddisk_add(ctx, 4ull << 30, name, sizeof(name)), -ENOMEM);
	ck_assert_int_eq(vn_ctx_error_kind(ctx), VN_ERR_UNSAFE);
	ck_assert_int_eq(actions, 1);
	vn_ctx_free(ctx);
	unit_rmtree(root);
	free(root);
}
END_TEST

START_TEST(ramdisk_list_and_remove)
{
	char *root = rapiddisk_tree();
	struct vn_ctx *ctx = unit_ctx(root);
	struct vn_ramdisk *disks = NULL;

	ck_assert_int_eq(vn_rapiddisk_list(ctx, &disks), 1);
	ck_assert_str_eq(disks[0].name, "rd0");
	ck_assert_uint_eq(disks[0].size_bytes, 33554432);
	ck_assert_uint_eq(disks[0].used_bytes, 16777216);
	free(disks);

	ck_assert_int_eq(vn_rapiddisk_remove(ctx, "sda"), -EINVAL);
	ck_assert_int_eq(vn_ctx_error_kind(ctx), VN_ERR_INVALID);
	ck_assert_int_eq(vn_rapiddisk_remove(ctx, "rd7"), -ENOENT);
	/* mapped: a dm device holds it */
	unit_write(root, "/sys/block/dm-0/dm/name", "rc-wa_md0\n");
	unit_write(root, "/sys/block/rd0/holders/dm-0", "");
	ck_assert_int_eq(vn_rapiddisk_remove(ctx, "/dev/rd0"), -EBUSY);
	ck_assert_int_eq(vn_ctx_error_kind(ctx), VN_ERR_UNSAFE);
	ck_assert_ptr_nonnull(strstr(vn_ctx_error(ctx), "rd0 is still mapped by dm-0 (rc-wa_md0)"));
	vn_ctx_free(ctx);
	unit_rmtree(root);
	free(root);
}
END_TEST

START_TEST(list_without_device_mapper)
{
	char *root = unit_tmpdir();
	struct vn_ctx *ctx = unit_ctx(root);
	struct vn_cache_info *list = (void *)1;
	struct vn_ramdisk *disks = (void *)1;

	ck_assert_int_eq(vn_cache_list(ctx, &list), 0);
	ck_assert_ptr_null(list);
	ck_assert_int_eq(vn_rapiddisk_list(ctx, &disks), 0);
	ck_assert_ptr_null(disks);
	vn_ctx_free(ctx);
	unit_rmtree(root);
	free(root);
}
END_TEST

static Suite *cache_suite(void)
{
	Suite *s = suite_create("cache");
	TCase *tc = tcase_create("cache");

	tcase_add_test(tc, rapiddisk_status);
	tcase_add_test(tc, dmcache_status);
	tcase_add_test(tc, status_garbage);
	tcase_add_test(tc, default_names);
	tcase_add_test(tc, modes);
	tcase_add_test(tc, ram_budget);
	tcase_add_test(tc, ramdisk_add_picks_a_free_number);
	tcase_add_test(tc, ramdisk_list_and_remove);
	tcase_add_test(tc, list_without_device_mapper);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run(cache_suite());
}
