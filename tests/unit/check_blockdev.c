// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * lib/blockdev.c against a tree captured in the lab guest
 * (tests/lab/capture-sysfs.sh): sda GPT + ext4 sda1 mounted on /mnt,
 * sdb1+sdc1 in md0 (RAID-1), sdd swap, nvme0n1 blank.
 */
#include "unit.h"

#ifndef DATA_DIR
#define DATA_DIR "tests/unit/data"
#endif

static char *root;
static struct vn_ctx *ctx;

static void setup(void)
{
	root = unit_tmpdir();
	unit_load_capture(root, DATA_DIR "/sysfs-lab.txt");
	ctx = unit_ctx(root);
}

static void teardown(void)
{
	vn_ctx_free(ctx);
	unit_rmtree(root);
	free(root);
}

START_TEST(test_list_order_and_kinds)
{
	static const char *const names[] = { "md0", "nvme0n1", "sda", "sda1", "sdb",
					     "sdb1", "sdc", "sdc1", "sdd" };
	struct vn_blkdev *devs = NULL;
	int n = vn_blk_list(ctx, &devs);

	ck_assert_int_eq(n, 9);
	for (int i = 0; i < n; i++)
		ck_assert_str_eq(devs[i].name, names[i]);
	ck_assert_int_eq(devs[0].kind, VN_BLK_MD);
	ck_assert_int_eq(devs[1].kind, VN_BLK_NVME);
	ck_assert_int_eq(devs[2].kind, VN_BLK_HDD);
	ck_assert_int_eq(devs[3].partno, 1);
	ck_assert_str_eq(devs[3].disk, "sda");
	free(devs);
}
END_TEST

START_TEST(test_identity)
{
	struct vn_blkdev d;

	ck_assert_int_eq(vn_blk_get(ctx, "/dev/sda", &d), 0);
	ck_assert_uint_eq(d.size_bytes, 524288ULL * 512);
	ck_assert_str_eq(d.model, "QEMU HARDDISK");
	ck_assert_str_eq(d.serial, "VNVME-HDD0");	/* from VPD page 0x80 */
	ck_assert_str_eq(d.transport, "scsi");
	ck_assert(d.rotational);
	ck_assert_uint_eq(d.major, 8);
	ck_assert_uint_eq(d.minor, 0);

	ck_assert_int_eq(vn_blk_get(ctx, "nvme0n1", &d), 0);
	ck_assert_int_eq(d.kind, VN_BLK_NVME);
	ck_assert_str_eq(d.model, "QEMU NVMe Ctrl");
	ck_assert_str_eq(d.serial, "VNVME-NVME0");
	ck_assert_str_eq(d.transport, "pcie");
	ck_assert(!d.rotational);
	ck_assert_uint_eq(d.size_bytes, 131072ULL * 512);

	ck_assert_int_eq(vn_blk_get(ctx, "/dev/sdb1", &d), 0);
	ck_assert_uint_eq(d.partno, 1);
	ck_assert_str_eq(d.disk, "sdb");
	ck_assert_uint_eq(d.size_bytes, 520192ULL * 512);
}
END_TEST

START_TEST(test_missing_device)
{
	struct vn_blkdev d = { .name = "untouched" };

	ck_assert_int_eq(vn_blk_get(ctx, "/dev/sdz", &d), -ENOENT);
	ck_assert_str_eq(vn_ctx_error(ctx), "/dev/sdz: no such block device");
	ck_assert_str_eq(d.name, "untouched");
}
END_TEST

static int holds_of(const char *dev, struct vn_hold *h)
{
	return vn_blk_holds(ctx, dev, h, VN_HOLDS_MAX);
}

START_TEST(test_holds)
{
	struct vn_hold h[VN_HOLDS_MAX];
	char buf[300];

	ck_assert_int_eq(holds_of("/dev/sda", h), 1);
	ck_assert_int_eq(h[0].kind, VN_HOLD_MOUNTED);
	ck_assert_str_eq(h[0].dev, "sda1");
	ck_assert_str_eq(h[0].by, "/mnt");
	ck_assert_str_eq(vn_blk_describe_hold(&h[0], buf, sizeof(buf)),
			 "/dev/sda1 is mounted on /mnt");

	ck_assert_int_eq(holds_of("/dev/sdc", h), 1);
	ck_assert_int_eq(h[0].kind, VN_HOLD_MD);
	ck_assert_str_eq(vn_blk_describe_hold(&h[0], buf, sizeof(buf)),
			 "/dev/sdc1 is a member of md0");
	ck_assert_int_eq(holds_of("/dev/sdc1", h), 1);

	ck_assert_int_eq(holds_of("/dev/sdd", h), 1);
	ck_assert_int_eq(h[0].kind, VN_HOLD_SWAP);

	ck_assert_int_eq(holds_of("/dev/nvme0n1", h), 0);
	ck_assert_int_eq(holds_of("/dev/md0", h), 0);
}
END_TEST

START_TEST(test_holds_exported)
{
	struct vn_hold h[VN_HOLDS_MAX];

	unit_write(root, "/sys/kernel/config/nvmet/subsystems/nvmet-test/namespaces/1/"
		   "device_path", "/dev/nvme0n1\n");
	ck_assert_int_eq(holds_of("/dev/nvme0n1", h), 1);
	ck_assert_int_eq(h[0].kind, VN_HOLD_EXPORTED);
	ck_assert_str_eq(h[0].by, "nvmet-test");
}
END_TEST

START_TEST(test_devpath)
{
	struct vn_blkdev d = { .name = "dm-0", .kind = VN_BLK_DM, .dm_name = "rc-wa_md0" };
	char buf[128];

	ck_assert_str_eq(vn_blk_devpath(&d, buf, sizeof(buf)), "/dev/mapper/rc-wa_md0");
	d.kind = VN_BLK_HDD;
	ck_assert_str_eq(vn_blk_devpath(&d, buf, sizeof(buf)), "/dev/dm-0");
}
END_TEST

/*
 * Write caches, on a tree of their own: dm-0 over sdb1 and sdb2 (one disk)
 * and vdc; sdb a SCSI disk with a volatile cache, vdc virtio's, nvme0n1
 * volatile with no control, sdc already write-through.
 */
static void wcache_tree(const char *r)
{
	unit_write(r, "/sys/block/sdb/queue/write_cache", "write back\n");
	unit_write(r, "/sys/block/sdb/device/scsi_disk/1:0:0:0/cache_type", "write back\n");
	unit_write(r, "/sys/block/sdb/sdb1/partition", "1\n");
	unit_write(r, "/sys/block/sdb/sdb2/partition", "2\n");
	unit_write(r, "/sys/block/vdc/queue/write_cache", "write back\n");
	unit_write(r, "/sys/block/vdc/cache_type", "");
	unit_write(r, "/sys/block/sdc/queue/write_cache", "write through\n");
	unit_write(r, "/sys/block/sdc/device/scsi_disk/2:0:0:0/cache_type", "write through\n");
	unit_write(r, "/sys/block/nvme0n1/queue/write_cache", "write back\n");
	unit_write(r, "/sys/block/dm-0/slaves/sdb1", "");
	unit_write(r, "/sys/block/dm-0/slaves/sdb2", "");
	unit_write(r, "/sys/block/dm-0/slaves/vdc", "");
}

START_TEST(test_write_cache_off)
{
	char *r = unit_tmpdir();
	struct vn_ctx *c = unit_ctx(r);
	struct vn_wcache w[4];
	char path[PATH_MAX];
	size_t n = 0;

	wcache_tree(r);
	/* dry run: what would change, nothing written */
	vn_ctx_set_dry_run(c, true);
	ck_assert_int_eq(vn_blk_write_cache_off(c, "/dev/dm-0", w, 4, &n), 0);
	ck_assert_uint_eq(n, 2);	/* sdb once, for both partitions */
	ck_assert_str_eq(w[0].disk, "sdb");
	ck_assert_int_eq(w[0].state, VN_WCACHE_TURNED_OFF);
	ck_assert_str_eq(w[1].disk, "vdc");
	ck_assert_int_eq(w[1].state, VN_WCACHE_TURNED_OFF);
	ck_assert_str_eq(unit_read(r, "/sys/block/sdb/device/scsi_disk/1:0:0:0/cache_type"),
			 "write back\n");
	/* for real: a disk that still says write back afterwards refused it */
	vn_ctx_set_dry_run(c, false);
	n = 0;
	ck_assert_int_eq(vn_blk_write_cache_off(c, "sdb2", w, 4, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(unit_read(r, "/sys/block/sdb/device/scsi_disk/1:0:0:0/cache_type"),
			 "write through");
	ck_assert_int_eq(w[0].state, VN_WCACHE_FAILED);
	ck_assert_int_eq(w[0].err, -EIO);
	/* already off; no control; appended after what is there, once each */
	ck_assert_int_eq(vn_blk_write_cache_off(c, "sdc", w, 4, &n), 0);
	ck_assert_int_eq(vn_blk_write_cache_off(c, "nvme0n1", w, 4, &n), 0);
	ck_assert_int_eq(vn_blk_write_cache_off(c, "sdb1", w, 4, &n), 0);
	ck_assert_uint_eq(n, 3);	/* sorted by name */
	ck_assert_str_eq(w[0].disk, "nvme0n1");
	ck_assert_int_eq(w[0].state, VN_WCACHE_NO_CONTROL);
	ck_assert_str_eq(vn_wcache_state_name(w[0].state), "no control");
	ck_assert_str_eq(w[1].disk, "sdb");
	ck_assert_int_eq(w[1].state, VN_WCACHE_FAILED);
	ck_assert_str_eq(w[2].disk, "sdc");
	ck_assert_int_eq(w[2].state, VN_WCACHE_OFF);
	/* full; a name that is no device */
	ck_assert_int_eq(vn_blk_write_cache_off(c, "dm-0", w, 3, &n), -ENOSPC);
	ck_assert_int_eq(vn_blk_write_cache_off(c, "sdz", w, 4, &n), -ENOENT);
	/* a queue told "write through" over a disk whose cache is on: volatile */
	unit_write(r, "/sys/block/sdc/device/scsi_disk/2:0:0:0/cache_type", "write back\n");
	n = 0;
	ck_assert_int_eq(vn_blk_write_cache_off(c, "sdc", w, 4, &n), 0);
	ck_assert_int_eq(w[0].state, VN_WCACHE_TURNED_OFF);
	ck_assert_str_eq(unit_read(r, "/sys/block/sdc/device/scsi_disk/2:0:0:0/cache_type"),
			 "write through");
	/* virtio without config-WCE: its cache_type is read-only */
	ck_assert(snprintf(path, sizeof(path), "%s/sys/block/vdc/cache_type", r) > 0);
	ck_assert_int_eq(chmod(path, 0444), 0);
	n = 0;
	ck_assert_int_eq(vn_blk_write_cache_off(c, "vdc", w, 4, &n), 0);
	ck_assert_int_eq(w[0].state, VN_WCACHE_NO_CONTROL);
	ck_assert_str_eq(unit_read(r, "/sys/block/vdc/cache_type"), "");
	vn_ctx_free(c);
	unit_rmtree(r);
	free(r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("blockdev");
	TCase *tc = tcase_create("captured");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_list_order_and_kinds);
	tcase_add_test(tc, test_identity);
	tcase_add_test(tc, test_missing_device);
	tcase_add_test(tc, test_holds);
	tcase_add_test(tc, test_holds_exported);
	tcase_add_test(tc, test_devpath);
	tcase_add_test(tc, test_write_cache_off);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
