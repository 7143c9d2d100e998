// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * lib/gpt.c through libparted on an image file standing in for /dev/sdx,
 * judged by libblkid's partition reader. (The lab does the same on a real
 * disk, judged by sfdisk.)
 */
#include <blkid.h>

#include "unit.h"

#define DISK_BYTES (64ULL << 20)

static char *root;
static struct vn_ctx *ctx;

static void setup(void)
{
	char path[PATH_MAX], size[32];
	int fd;

	root = unit_tmpdir();
	snprintf(size, sizeof(size), "%llu\n", DISK_BYTES / 512);
	unit_write(root, "/sys/block/sdx/size", size);
	unit_write(root, "/sys/block/sdx/dev", "8:0\n");
	unit_write(root, "/sys/block/sdx/queue/rotational", "1\n");
	unit_write(root, "/proc/self/mountinfo", "");
	unit_write(root, "/dev/sdx", "");
	snprintf(path, sizeof(path), "%s/dev/sdx", root);
	fd = open(path, O_WRONLY);
	ck_assert(fd >= 0 && ftruncate(fd, (off_t)DISK_BYTES) == 0);
	close(fd);
	ctx = unit_ctx(root);
}

static void teardown(void)
{
	vn_ctx_free(ctx);
	unit_rmtree(root);
	free(root);
}

static void read_table(const char *disk, char *pttype, size_t len, int *nparts,
		       long long *start, long long *size)
{
	char path[PATH_MAX];
	blkid_probe pr;
	blkid_partlist pl;
	const char *t;

	snprintf(path, sizeof(path), "%s/dev/%s", root, disk);
	pr = blkid_new_probe_from_filename(path);
	ck_assert_ptr_nonnull(pr);
	pl = blkid_probe_get_partitions(pr);
	if (!pl) {	/* no partition table at all */
		pttype[0] = '\0';
		*nparts = 0;
		blkid_free_probe(pr);
		return;
	}
	t = blkid_parttable_get_type(blkid_partlist_get_table(pl));
	snprintf(pttype, len, "%s", t ? t : "");
	*nparts = blkid_partlist_numof_partitions(pl);
	if (*nparts > 0) {
		blkid_partition p = blkid_partlist_get_partition(pl, 0);

		*start = (long long)blkid_partition_get_start(p);
		*size = (long long)blkid_partition_get_size(p);
	}
	blkid_free_probe(pr);
}

START_TEST(test_partition_image)
{
	struct vn_part_result res;
	char pttype[16];
	long long start = 0, size = 0;
	int n;

	ck_assert_int_eq(vn_gpt_check(ctx, "/dev/sdx", false, NULL), 0);
	ck_assert_int_eq(vn_gpt_partition(ctx, "/dev/sdx", VN_PART_RAID, false, NULL, &res), 0);
	ck_assert_str_eq(res.part, "sdx1");
	ck_assert_uint_eq(res.start_sector, 2048);
	/* the last usable LBA: the backup GPT takes the last 33 sectors */
	ck_assert_uint_eq(res.end_sector, DISK_BYTES / 512 - 34);
	ck_assert_uint_eq(res.sector_size, 512);

	read_table("sdx", pttype, sizeof(pttype), &n, &start, &size);
	ck_assert_str_eq(pttype, "gpt");
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(start, 2048);
	ck_assert_int_eq(size, (long long)(res.end_sector - res.start_sector + 1));

	/* a second run finds the label: refused, and forceable */
	ck_assert_int_eq(vn_gpt_check(ctx, "/dev/sdx", false, NULL), -EEXIST);
	ck_assert_int_eq(vn_ctx_error_kind(ctx), VN_ERR_UNSAFE);
	ck_assert(vn_ctx_error_forceable(ctx));
	ck_assert_str_eq(vn_ctx_error(ctx), "/dev/sdx holds a gpt partition table");
	ck_assert_int_eq(vn_gpt_check(ctx, "/dev/sdx", true, NULL), 0);
}
END_TEST

static void record(void *data, bool dry_run, const char *action)
{
	int *count = data;

	ck_assert(dry_run);
	ck_assert(strstr(action, "sdx"));
	(*count)++;
}

START_TEST(test_dry_run_writes_nothing)
{
	struct vn_part_result res;
	char pttype[16];
	long long start, size;
	int n, actions = 0;

	vn_ctx_set_dry_run(ctx, true);
	vn_ctx_set_action_cb(ctx, record, &actions);
	ck_assert_int_eq(vn_gpt_partition(ctx, "/dev/sdx", VN_PART_LINUX, true, NULL, &res), 0);
	ck_assert_int_eq(actions, 2);	/* GPT write, BLKRRPART; nothing to wipe */
	ck_assert_uint_eq(res.start_sector, 2048);
	read_table("sdx", pttype, sizeof(pttype), &n, &start, &size);
	ck_assert_str_eq(pttype, "");
	ck_assert_int_eq(n, 0);
}
END_TEST

START_TEST(test_refuse_small_and_partition)
{
	unit_write(root, "/sys/block/sdx/size", "2048\n");	/* 1 MiB */
	ck_assert_int_eq(vn_gpt_check(ctx, "sdx", false, NULL), -EINVAL);
	ck_assert_int_eq(vn_ctx_error_kind(ctx), VN_ERR_INVALID);
	unit_write(root, "/sys/block/sdx/sdx1/partition", "1\n");
	unit_write(root, "/sys/block/sdx/sdx1/size", "100\n");
	ck_assert_int_eq(vn_gpt_check(ctx, "/dev/sdx1", false, NULL), -EINVAL);
	ck_assert_str_eq(vn_ctx_error(ctx), "/dev/sdx1 is a partition; give the whole "
			 "disk /dev/sdx");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("gpt");
	TCase *tc = tcase_create("image");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_partition_image);
	tcase_add_test(tc, test_dry_run_writes_nothing);
	tcase_add_test(tc, test_refuse_small_and_partition);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
