// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * lib/md_super.c and lib/md_status.c: superblocks and r5l meta blocks against bytes
 * captured from mdadm 4.2 on Linux 6.1 in the lab
 * (tests/lab/capture/md-golden.sh), /proc/mdstat texts captured there, and
 * md/ sysfs trees built from them.
 */
#include "unit.h"
#include "md_super.h"
#include "md_private.h"

#define DATA "tests/unit/data/md/"
#define SB_BYTES(max_dev) (256 + 2 * (size_t)(max_dev))

static void load(const char *name, uint8_t *buf, size_t len)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), DATA "%s", name);
	f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s (run from the repository root)", path);
	ck_assert_uint_eq(fread(buf, 1, len, f), len);
	fclose(f);
}

static const char *load_text(const char *name)
{
	static char buf[8192];
	char path[PATH_MAX];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), DATA "%s", name);
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static const char *const golden[] = {
	"r5j-sda1.sb", "r5j-sdb1.sb", "r5j-sdc1.sb", "r5j-sdd1.sb", "r5j-nvme0n1p1.sb",
	"r6-sda.sb", "r6-sdb.sb", "r6-sdc.sb", "r6-sdd.sb", "r10-sda.sb", "r10-sdb.sb",
	"r1-sda.sb", "r1-sdb.sb", "r0-sdc.sb", "r0-sdd.sb",
};

/* decode then encode gives back mdadm's (and the kernel's) exact bytes */
START_TEST(test_sb_roundtrip)
{
	static struct vn_md_sb sb;
	uint8_t in[VN_MD_SB_BLOCK], out[VN_MD_SB_BLOCK];
	const char *name = golden[_i];
	int n;

	load(name, in, sizeof(in));
	ck_assert_msg(vn_md_sb_decode(in, sizeof(in), &sb) == 0, "%s did not decode", name);
	n = vn_md_sb_encode(&sb, out, sizeof(out));
	ck_assert_int_eq(n, (int)SB_BYTES(sb.max_dev));
	ck_assert_msg(memcmp(in, out, (size_t)n) == 0, "%s re-encodes differently", name);
	ck_assert_uint_eq(vn_md_sb_csum(in, sb.max_dev), sb.sb_csum);
}
END_TEST

START_TEST(test_sb_fields_raid5_journal)
{
	static struct vn_md_sb a, j;
	uint8_t buf[VN_MD_SB_BLOCK];

	load("r5j-sda1.sb", buf, sizeof(buf));
	ck_assert_int_eq(vn_md_sb_decode(buf, sizeof(buf), &a), 0);
	load("r5j-nvme0n1p1.sb", buf, sizeof(buf));
	ck_assert_int_eq(vn_md_sb_decode(buf, sizeof(buf), &j), 0);
	/* mdadm --examine of the same device: see r5j-sda1.examine.txt */
	ck_assert_uint_eq(a.feature_map, VN_MD_FEATURE_JOURNAL);
	ck_assert_str_eq(a.set_name, "vnvme-lab:0");
	ck_assert_int_eq(a.level, 5);
	ck_assert_uint_eq(a.layout, 2);
	ck_assert_uint_eq(a.raid_disks, 4);
	ck_assert_uint_eq(a.chunksize, 1024);
	ck_assert_uint_eq(a.size, 516096);
	ck_assert_uint_eq(a.data_offset, 4096);
	ck_assert_uint_eq(a.data_size, 516096);
	ck_assert_uint_eq(a.super_offset, 8);
	ck_assert_uint_eq(a.events, 20);
	ck_assert_uint_eq(a.sb_csum, 0xe08b1287);
	ck_assert_uint_eq(a.max_dev, 128);
	ck_assert_uint_eq(a.bblog_size, 8);
	ck_assert_int_eq(a.bblog_offset, 16);
	ck_assert_uint_eq(a.resync_offset, VN_MD_MAX_SECTOR);
	ck_assert_uint_eq(vn_md_sb_role(&a), 0);
	/* the journal: same template, its own data_size and role */
	ck_assert_uint_eq(vn_md_sb_role(&j), VN_MD_ROLE_JOURNAL);
	ck_assert_uint_eq(j.size, a.size);
	ck_assert_uint_eq(j.ctime, a.ctime);
	ck_assert_uint_eq(j.data_size, 122880);
	ck_assert_uint_eq(j.sb_csum, 0x265f7f65);
	ck_assert_mem_eq(j.set_uuid, a.set_uuid, 16);
}
END_TEST

START_TEST(test_sb_rejects)
{
	static struct vn_md_sb sb;
	uint8_t buf[VN_MD_SB_BLOCK];

	load("r1-sda.sb", buf, sizeof(buf));
	buf[216] ^= 1;		/* sb_csum */
	ck_assert_int_eq(vn_md_sb_decode(buf, sizeof(buf), &sb), -EBADMSG);
	buf[216] ^= 1;
	buf[12] = 1;		/* pad0: the kernel refuses it */
	ck_assert_int_eq(vn_md_sb_decode(buf, sizeof(buf), &sb), -EINVAL);
	buf[12] = 0;
	buf[0] = 0;		/* magic */
	ck_assert_int_eq(vn_md_sb_decode(buf, sizeof(buf), &sb), -EINVAL);
	ck_assert_int_eq(vn_md_sb_decode(buf, 100, &sb), -EINVAL);
}
END_TEST

/* the empty r5l meta block mdadm wrote, seq and all, rebuilt bit for bit */
START_TEST(test_r5l_empty)
{
	static struct vn_md_sb sb;
	uint8_t sbuf[VN_MD_SB_BLOCK], golden_meta[4096], mine[4096];
	uint32_t seq;

	load("r5j-nvme0n1p1.sb", sbuf, sizeof(sbuf));
	ck_assert_int_eq(vn_md_sb_decode(sbuf, sizeof(sbuf), &sb), 0);
	load("r5j-journal-meta.bin", golden_meta, sizeof(golden_meta));
	memcpy(&seq, golden_meta + 16, sizeof(seq));	/* little-endian host */
	ck_assert_int_eq(vn_md_r5l_empty(mine, sb.set_uuid, seq), 0);
	ck_assert_mem_eq(mine, golden_meta, sizeof(mine));
	/* crc32c check value of "123456789" (RFC 3720), without the final xor */
	ck_assert_uint_eq(~vn_md_crc32c(0xffffffffu, "123456789", 9), 0xe3069283);
}
END_TEST

/* vn_md_sb_view against what mdadm --examine showed (r5j-*.examine.txt) */
START_TEST(test_sb_view_raid5_journal)
{
	static struct vn_md_sb sb;
	static struct vn_md_sb_view v;
	uint8_t buf[VN_MD_SB_BLOCK];

	load("r5j-sda1.sb", buf, sizeof(buf));
	ck_assert_int_eq(vn_md_sb_decode(buf, sizeof(buf), &sb), 0);
	ck_assert_int_eq(vn_md_sb_view(&sb, 520192, &v), 0);	/* the 254 MiB partition */
	ck_assert_uint_eq(v.array_bytes, 774144ull * 1024);	/* Array Size : 774144 KiB */
	ck_assert(v.unused_known);
	ck_assert_int_eq(v.space_before, 4016);		/* before=4016 sectors */
	ck_assert_int_eq(v.space_after, 0);
	ck_assert(!v.truncated);
	ck_assert(v.clean);
	ck_assert_str_eq(v.role_text, "Active device 0");
	ck_assert_str_eq(v.array_state, "AAAA");
	ck_assert_str_eq(v.layout, "left-symmetric");
	ck_assert(v.chunk_shown);
	ck_assert(v.csum_ok);
	ck_assert_uint_eq(v.csum_expected, 0xe08b1287);
	/* a device size unknown: no unused space; a smaller device: truncated */
	ck_assert_int_eq(vn_md_sb_view(&sb, 0, &v), 0);
	ck_assert(!v.unused_known && !v.truncated);
	ck_assert_int_eq(vn_md_sb_view(&sb, 516096, &v), 0);
	ck_assert(v.truncated);
	ck_assert_int_eq(v.space_after, -4096);
	/* a bad checksum: decoded anyway, the expected sum is mdadm's */
	buf[216] ^= 1;
	ck_assert_int_eq(vn_md_sb_decode(buf, sizeof(buf), &sb), -EBADMSG);
	ck_assert_int_eq(vn_md_sb_view(&sb, 520192, &v), 0);
	ck_assert(!v.csum_ok);
	ck_assert_uint_eq(v.csum_expected, 0xe08b1287);
	/* the journal: its role, the 4 KiB blocks it uses to the end */
	load("r5j-nvme0n1p1.sb", buf, sizeof(buf));
	ck_assert_int_eq(vn_md_sb_decode(buf, sizeof(buf), &sb), 0);
	ck_assert_int_eq(vn_md_sb_view(&sb, 126976, &v), 0);
	ck_assert_str_eq(v.role_text, "Journal");
	ck_assert_uint_eq(v.role, VN_MD_ROLE_JOURNAL);
	ck_assert(v.unused_known && !v.truncated);
	ck_assert_int_eq(v.space_before, 4016);
	ck_assert_int_eq(v.space_after, 0);
	ck_assert_str_eq(v.array_state, "AAAA");
	ck_assert_uint_eq(v.csum_expected, 0x265f7f65);
}
END_TEST

START_TEST(test_sb_view_levels)
{
	static struct vn_md_sb sb;
	static struct vn_md_sb_view v;
	uint8_t buf[VN_MD_SB_BLOCK];

	load("r10-sdb.sb", buf, sizeof(buf));
	ck_assert_int_eq(vn_md_sb_decode(buf, sizeof(buf), &sb), 0);
	ck_assert_int_eq(vn_md_sb_view(&sb, 524288, &v), 0);
	ck_assert_str_eq(v.layout, "near=2");
	ck_assert_uint_eq(v.array_bytes, sb.size * 512 * 4 / 2);
	ck_assert_str_eq(v.role_text, "Active device 1");
	sb.layout = 0x10201;	/* offset=2 (1 near) */
	ck_assert_int_eq(vn_md_sb_view(&sb, 524288, &v), 0);
	ck_assert_str_eq(v.layout, "offset=2");
	load("r6-sdd.sb", buf, sizeof(buf));
	ck_assert_int_eq(vn_md_sb_decode(buf, sizeof(buf), &sb), 0);
	ck_assert_int_eq(vn_md_sb_view(&sb, 524288, &v), 0);
	ck_assert_str_eq(v.layout, "left-symmetric");
	ck_assert_uint_eq(v.array_bytes, sb.size * 512 * 2);
	ck_assert_str_eq(v.role_text, "Active device 3");
	sb.dev_roles[sb.dev_number] = VN_MD_ROLE_FAULTY;	/* mdadm shows it as spare */
	ck_assert_int_eq(vn_md_sb_view(&sb, 524288, &v), 0);
	ck_assert_str_eq(v.role_text, "spare");
	ck_assert_str_eq(v.array_state, "AAA.");
	load("r1-sda.sb", buf, sizeof(buf));
	ck_assert_int_eq(vn_md_sb_decode(buf, sizeof(buf), &sb), 0);
	ck_assert_int_eq(vn_md_sb_view(&sb, 524288, &v), 0);
	ck_assert_str_eq(v.layout, "");
	ck_assert(!v.chunk_shown);
	ck_assert_uint_eq(v.array_bytes, sb.size * 512);
	ck_assert_str_eq(v.array_state, "AA");
	load("r0-sdc.sb", buf, sizeof(buf));
	ck_assert_int_eq(vn_md_sb_decode(buf, sizeof(buf), &sb), 0);
	ck_assert_int_eq(vn_md_sb_view(&sb, 524288, &v), 0);
	ck_assert_uint_eq(v.array_bytes, 0);	/* mdadm shows no Array Size for raid0 */
	ck_assert(v.chunk_shown);
}
END_TEST

/* whole flags of a member's state: raid replace and md status read them */
START_TEST(test_state_has)
{
	ck_assert(vn_md_state_has("in_sync,replacement", "replacement"));
	ck_assert(vn_md_state_has("replacement", "replacement"));
	ck_assert(vn_md_state_has("replacement,in_sync", "replacement"));
	ck_assert(!vn_md_state_has("in_sync,want_replacement", "replacement"));
	ck_assert(vn_md_state_has("want_replacement,replacement", "replacement"));
	ck_assert(!vn_md_state_has("replacements", "replacement"));
	ck_assert(!vn_md_state_has("", "faulty"));
}
END_TEST

START_TEST(test_data_offset)
{
	/* as mdadm chose in the lab: 254 MiB partitions raid5, whole 256 MiB raid1 */
	ck_assert_uint_eq(vn_md_data_offset(520192, 512), 4096);
	ck_assert_uint_eq(vn_md_data_offset(524288, 512), 4096);
	ck_assert_uint_eq(vn_md_data_offset(524288, 0), 2048);
	ck_assert_uint_eq(vn_md_data_offset(126976, 512), 4096);
	/* large disks: the full 128 MiB headroom plus bitmap space, 1 MiB aligned */
	ck_assert_uint_eq(vn_md_data_offset(300ull << 21, 512), 264192);
}
END_TEST

START_TEST(test_mdstat_recovery)
{
	struct vn_md_status st[2];
	int n = vn_md_mdstat_parse(load_text("mdstat-r5j-recovery.txt"), st, 2);

	ck_assert_int_eq(n, 1);
	ck_assert_str_eq(st[0].name, "md0");
	ck_assert(st[0].active);
	ck_assert_str_eq(st[0].level, "raid5");
	ck_assert_uint_eq(st[0].nmembers, 5);
	ck_assert_str_eq(st[0].members[4].name, "nvme0n1p1");
	ck_assert_int_eq(st[0].members[4].number, 0);
	ck_assert(st[0].members[4].journal);
	ck_assert_str_eq(st[0].members[0].name, "sdc1");
	ck_assert_int_eq(st[0].members[0].number, 5);
	ck_assert_uint_eq(st[0].size_bytes, 774144ull * 1024);
	ck_assert_uint_eq(st[0].raid_disks, 4);
	ck_assert_uint_eq(st[0].degraded, 1);
	ck_assert_str_eq(st[0].health, "UU_U");
	ck_assert(st[0].syncing);
	ck_assert_str_eq(st[0].sync_action, "recovery");
	ck_assert_uint_eq(st[0].sync_done_kib, 1);
	ck_assert_uint_eq(st[0].sync_total_kib, 258048);
	ck_assert_double_eq_tol(st[0].sync_finish_min, 268.7, 0.01);
}
END_TEST

START_TEST(test_mdstat_levels)
{
	struct vn_md_status st[2];

	ck_assert_int_eq(vn_md_mdstat_parse(load_text("mdstat-r10.txt"), st, 2), 1);
	ck_assert_str_eq(st[0].level, "raid10");
	ck_assert_str_eq(st[0].health, "UUUU");
	ck_assert(!st[0].syncing);
	ck_assert_int_eq(vn_md_mdstat_parse(load_text("mdstat-r0.txt"), st, 2), 1);
	ck_assert_str_eq(st[0].level, "raid0");
	ck_assert_uint_eq(st[0].size_bytes, 520192ull * 1024);
	ck_assert_uint_eq(st[0].nmembers, 2);
	ck_assert_int_eq(vn_md_mdstat_parse(load_text("mdstat-r1.txt"), st, 2), 1);
	ck_assert(st[0].syncing);
	ck_assert_double_eq_tol(st[0].sync_percent, 0.5, 0.001);
	ck_assert_uint_eq(st[0].sync_speed_kib, 1984);
	ck_assert_int_eq(vn_md_mdstat_parse(
		"Personalities : [raid5]\n"
		"md127 : inactive sdb[1](S) sda[0](S)\n"
		"      1040384 blocks super 1.2\n"
		"       \n"
		"md1 : active (read-only) raid5 sdc[2](F) sdb[1] sda[0]\n"
		"      1040384 blocks super 1.2 level 5, 512k chunk, algorithm 2 [3/2] [UU_]\n"
		"      \tresync=PENDING\n"
		"unused devices: <none>\n", st, 2), 2);
	ck_assert(!st[0].active);
	ck_assert(st[0].members[0].spare);
	ck_assert(st[1].readonly);
	ck_assert(st[1].members[0].faulty);
	ck_assert_str_eq(st[1].health, "UU_");
	/* 6.12 prints "broken" for a running array with too many members lost
	 * (MD_BROKEN): running, not "assembled but not started" */
	ck_assert_int_eq(vn_md_mdstat_parse(
		"Personalities : [raid6] [raid5] [raid4]\n"
		"md0 : broken raid5 nvme0n1p1[3](J) sde1[5] sdd1[4](F) sdc1[2](F) sda1[0]\n"
		"      775680 blocks super 1.2 level 5, 512k chunk, algorithm 2 [4/2] [UU__]\n"
		"unused devices: <none>\n", st, 2), 1);
	ck_assert(st[0].active);
	ck_assert_str_eq(st[0].level, "raid5");
	ck_assert_uint_eq(st[0].nmembers, 5);
	ck_assert_str_eq(st[0].health, "UU__");
}
END_TEST

/* A tree with the lab's md0 during recovery (sysfs-r5j-recovery.txt). */
static char *recovery_tree(const char *journal_mode, const char *degraded)
{
	char *root = unit_tmpdir();

	unit_write(root, "/proc/mdstat", load_text("mdstat-r5j-recovery.txt"));
	unit_write(root, "/sys/block/md0/md/level", "raid5\n");
	unit_write(root, "/sys/block/md0/md/array_state", "clean\n");
	unit_write(root, "/sys/block/md0/md/sync_action", "recover\n");
	unit_write(root, "/sys/block/md0/md/degraded", degraded);
	unit_write(root, "/sys/block/md0/md/journal_mode", journal_mode);
	unit_write(root, "/sys/block/md0/md/consistency_policy", "journal\n");
	unit_write(root, "/sys/block/md0/md/uuid", "07ce560f-bfb2-5016-b83f-63ff101da64e\n");
	unit_write(root, "/sys/block/md0/md/chunk_size", "524288\n");
	unit_write(root, "/sys/block/md0/md/raid_disks", "4\n");
	unit_write(root, "/sys/block/md0/md/component_size", "258048\n");
	unit_write(root, "/sys/block/md0/size", "1548288\n");
	unit_write(root, "/sys/block/md0/md/dev-nvme0n1p1/state", "journal\n");
	unit_write(root, "/sys/block/md0/md/dev-nvme0n1p1/slot", "journal\n");
	unit_write(root, "/sys/block/md0/md/dev-sda1/state", "in_sync\n");
	unit_write(root, "/sys/block/md0/md/dev-sda1/slot", "0\n");
	unit_write(root, "/sys/block/md0/md/dev-sdc1/state", "spare\n");
	unit_write(root, "/sys/block/md0/md/dev-sdc1/slot", "2\n");
	return root;
}

START_TEST(test_status_tree)
{
	char *root = recovery_tree("[write-through] write-back\n", "1\n");
	struct vn_ctx *ctx = unit_ctx(root);
	static struct vn_md_status st;

	ck_assert_int_eq(vn_md_status(ctx, "/dev/md0", &st), 0);
	ck_assert_str_eq(st.level, "raid5");
	ck_assert_str_eq(st.journal_mode, "write-through");
	ck_assert_str_eq(st.sync_action, "recover");
	ck_assert(st.syncing);
	ck_assert_uint_eq(st.degraded, 1);
	ck_assert_uint_eq(st.chunk_bytes, 524288);
	ck_assert_uint_eq(st.size_bytes, 1548288ull * 512);
	ck_assert_int_eq(st.members[4].slot, -2);
	ck_assert_int_eq(st.members[0].slot, 2);	/* sdc1, being recovered */
	ck_assert_int_eq(vn_md_status(ctx, "/dev/md1", &st), -ENODEV);
	ck_assert_int_eq(vn_md_status(ctx, "/dev/sda", &st), -EINVAL);
	ck_assert_int_eq(vn_ctx_error_kind(ctx), VN_ERR_INVALID);
	vn_ctx_free(ctx);
	unit_rmtree(root);
	free(root);
}
END_TEST

/*
 * md's parity check right after a power cut, where `raid wait` once died
 * with SIGSEGV (not reproduced): sync_action says "check" before mdstat
 * shows progress (resync=PENDING/DELAYED), then the check's own line.
 */
static const char *const check_texts[] = {
	"Personalities : [raid6] [raid5] [raid4] \n"
	"md0 : active raid5 sda1[1] sdd1[4] sdc1[5] sdb1[2] nvme0n1p1[0](J)\n"
	"      774144 blocks super 1.2 level 5, 512k chunk, algorithm 2 [4/4] [UUUU]\n"
	"      [>....................]  check =  3.4% (8832/258048) finish=4.6min speed=8832K/sec\n"
	"      \n"
	"unused devices: <none>\n",
	"Personalities : [raid6] [raid5] [raid4] \n"
	"md0 : active raid5 sda1[1] sdd1[4] sdc1[5] sdb1[2] nvme0n1p1[0](J)\n"
	"      774144 blocks super 1.2 level 5, 512k chunk, algorithm 2 [4/4] [UUUU]\n"
	"      \tresync=PENDING\n"
	"unused devices: <none>\n",
	"md0 : active raid5 sda1[1] sdd1[4] sdc1[5] sdb1[2] nvme0n1p1[0](J)\n"
	"      774144 blocks super 1.2 level 5, 512k chunk, algorithm 2 [4/4] [UUUU]\n"
	"      \tresync=DELAYED\n",
};

static void no_progress(void *data, const struct vn_md_status *st)
{
	*(int *)data += st->syncing;
}

START_TEST(test_wait_check_after_cut)
{
	char *root = recovery_tree("[write-through] write-back\n", "0\n");
	struct vn_ctx *ctx = unit_ctx(root);
	static struct vn_md_status st[2];
	char copy[512];
	int calls = 0;

	unit_write(root, "/proc/mdstat", check_texts[_i]);
	unit_write(root, "/sys/block/md0/md/sync_action", "check\n");
	ck_assert_int_eq(vn_md_status(ctx, "/dev/md0", &st[0]), 0);
	ck_assert(st[0].syncing);
	ck_assert_str_eq(st[0].sync_action, "check");
	ck_assert_str_eq(st[0].health, "UUUU");
	ck_assert_uint_eq(st[0].nmembers, 5);
	if (_i == 0) {
		ck_assert_double_eq_tol(st[0].sync_percent, 3.4, 0.01);
		ck_assert_uint_eq(st[0].sync_done_kib, 8832);
		ck_assert_uint_eq(st[0].sync_speed_kib, 8832);
		ck_assert_int_eq(vn_md_sync_left(&st[0]), 276);	/* 4.6 min */
	} else {
		ck_assert(st[0].sync_percent < 0);
		ck_assert_int_eq(vn_md_sync_left(&st[0]), -1);
	}
	/* a timeout of 0: one poll, then -ETIMEDOUT with the last status */
	ck_assert_int_eq(vn_md_wait_timeout(ctx, "/dev/md0", 0, no_progress, &calls),
			 -ETIMEDOUT);
	ck_assert_int_eq(calls, 2);
	ck_assert_str_eq(vn_ctx_error(ctx), "md0: check still running after 0 s");
	unit_write(root, "/sys/block/md0/md/sync_action", "idle\n");
	unit_write(root, "/proc/mdstat",
		   "md0 : active raid5 sda1[1] sdd1[4] sdc1[5] sdb1[2] nvme0n1p1[0](J)\n"
		   "      774144 blocks super 1.2 level 5, 512k chunk, algorithm 2 [4/4] [UUUU]\n");
	ck_assert_int_eq(vn_md_wait_timeout(ctx, "/dev/md0", 0, no_progress, &calls), 0);
	ck_assert_int_eq(calls, 2);	/* idle: the last call sees no sync */
	/* every prefix of the text parses without reading past it */
	for (size_t n = 0; n <= strlen(check_texts[_i]) && n < sizeof(copy); n++) {
		memcpy(copy, check_texts[_i], n);
		copy[n] = '\0';
		ck_assert_int_le(vn_md_mdstat_parse(copy, st, 2), 1);
	}
	vn_ctx_free(ctx);
	unit_rmtree(root);
	free(root);
}
END_TEST

START_TEST(test_sync_left)
{
	struct vn_md_status st = { .syncing = true, .sync_finish_min = 268.7 };

	ck_assert_int_eq(vn_md_sync_left(&st), 16122);
	st.sync_finish_min = 0.04;	/* 2.4 s */
	ck_assert_int_eq(vn_md_sync_left(&st), 2);
	st.sync_finish_min = -1;
	ck_assert_int_eq(vn_md_sync_left(&st), -1);
	st = (struct vn_md_status){ .syncing = false, .sync_finish_min = 3 };
	ck_assert_int_eq(vn_md_sync_left(&st), -1);
}
END_TEST

START_TEST(test_journal_mode_refusals)
{
	char *root = recovery_tree("[write-through] write-back\n", "1\n");
	struct vn_ctx *ctx = unit_ctx(root);
	char mode[32];

	/* degraded: refused, force or not, and nothing written */
	ck_assert_int_lt(vn_md_journal_mode(ctx, "md0", "write-back", true, mode,
					    sizeof(mode)), 0);
	ck_assert_int_eq(vn_ctx_error_kind(ctx), VN_ERR_UNSAFE);
	ck_assert_str_eq(unit_read(root, "/sys/block/md0/md/journal_mode"),
			 "[write-through] write-back\n");
	/* recovering but not degraded: refused unless forced */
	unit_write(root, "/sys/block/md0/md/degraded", "0\n");
	vn_ctx_clear_error(ctx);
	ck_assert_int_lt(vn_md_journal_mode(ctx, "md0", "write-back", false, mode,
					    sizeof(mode)), 0);
	ck_assert_int_eq(vn_ctx_error_kind(ctx), VN_ERR_UNSAFE);
	ck_assert(vn_ctx_error_forceable(ctx));
	ck_assert_int_eq(vn_md_journal_mode(ctx, "md0", "write-back", true, mode,
					    sizeof(mode)), 0);
	/* one write(2) of the mode, as sysfs wants it (no truncation in the tree) */
	ck_assert_int_eq(strncmp(unit_read(root, "/sys/block/md0/md/journal_mode"),
				 "write-back", 10), 0);
	/* show */
	unit_write(root, "/sys/block/md0/md/journal_mode", "write-through [write-back]\n");
	ck_assert_int_eq(vn_md_journal_mode(ctx, "md0", NULL, false, mode, sizeof(mode)), 0);
	ck_assert_str_eq(mode, "write-back");
	/* no such array: bad input (exit 2), not a failure */
	vn_ctx_clear_error(ctx);
	ck_assert_int_eq(vn_md_journal_mode(ctx, "md9", "write-back", false, mode,
					    sizeof(mode)), -ENODEV);
	ck_assert_int_eq(vn_ctx_error_kind(ctx), VN_ERR_INVALID);
	ck_assert_str_eq(vn_ctx_error(ctx), "md9: no such array");
	/* no journal: the attribute reads empty */
	unit_write(root, "/sys/block/md0/md/journal_mode", "");
	ck_assert_int_lt(vn_md_journal_mode(ctx, "md0", NULL, false, mode, sizeof(mode)), 0);
	ck_assert_int_eq(vn_ctx_error_kind(ctx), VN_ERR_UNSAFE);
	ck_assert_str_eq(vn_ctx_error(ctx), "md0 has no write journal");
	vn_ctx_free(ctx);
	unit_rmtree(root);
	free(root);
}
END_TEST


/*
 * raid stop switches a write-back journal to write-through (6.1) and then
 * fails (here STOP_ARRAY on a plain file): the journal is in write-back
 * again, and the message says so.
 */
START_TEST(test_stop_failure_gives_write_back_back)
{
	char *root = recovery_tree("write-through [write-back]\n", "0\n");
	struct vn_ctx *ctx = unit_ctx(root);

	unit_write(root, "/proc/sys/kernel/osrelease", "6.1.0-40-amd64\n");
	unit_write(root, "/sys/block/md0/md/stripe_cache_active", "0\n");
	unit_write(root, "/dev/md0", "");
	ck_assert_int_lt(vn_md_stop(ctx, "md0"), 0);
	ck_assert_int_eq(strncmp(unit_read(root, "/sys/block/md0/md/journal_mode"),
				 "write-back", 10), 0);
	ck_assert_msg(strstr(vn_ctx_error(ctx), "STOP_ARRAY failed") &&
		      strstr(vn_ctx_error(ctx), "journal back in write-back"), "%s",
		      vn_ctx_error(ctx));
	vn_ctx_free(ctx);
	unit_rmtree(root);
	free(root);
}
END_TEST

/* refusals decided from the request alone: before any device is touched */
START_TEST(test_create_request_refusals)
{
	static const char *const two[] = { "/dev/sda1", "/dev/sdb1" };
	static const char *const three[] = { "/dev/sda1", "/dev/sdb1", "/dev/sdc1" };
	char *root = unit_tmpdir();
	struct vn_ctx *ctx = unit_ctx(root);
	struct vn_md_create_result res;
	struct vn_md_create_req req = { .level = 5, .members = two, .nmembers = 2 };

	ck_assert_int_lt(vn_md_create(ctx, "/dev/md0", &req, &res), 0);
	ck_assert_int_eq(vn_ctx_error_kind(ctx), VN_ERR_UNSAFE);
	ck_assert_str_eq(vn_ctx_error(ctx), "raid5 needs at least 3 members, 2 given");
	req = (struct vn_md_create_req){ .level = 1, .members = two, .nmembers = 2,
					 .journal = "/dev/nvme0n1p1" };
	ck_assert_int_lt(vn_md_create(ctx, "/dev/md0", &req, &res), 0);
	ck_assert_int_eq(vn_ctx_error_kind(ctx), VN_ERR_UNSAFE);
	ck_assert_ptr_nonnull(strstr(vn_ctx_error(ctx), "raid1 cannot have a write journal"));
	req = (struct vn_md_create_req){ .level = 5, .members = three, .nmembers = 3,
					 .chunk_kib = 96 };
	ck_assert_int_eq(vn_md_create(ctx, "/dev/md0", &req, &res), -EINVAL);
	ck_assert_int_eq(vn_ctx_error_kind(ctx), VN_ERR_INVALID);
	req.chunk_kib = 0;
	req.level = 3;
	ck_assert_int_eq(vn_md_create(ctx, "/dev/md0", &req, &res), -EINVAL);
	req.level = 5;
	ck_assert_int_eq(vn_md_create(ctx, "/dev/sdb", &req, &res), -EINVAL);
	/* an array that already runs */
	unit_write(root, "/sys/block/md0/md/array_state", "clean\n");
	ck_assert_int_eq(vn_md_create(ctx, "md0", &req, &res), -EBUSY);
	ck_assert_int_eq(vn_ctx_error_kind(ctx), VN_ERR_UNSAFE);
	vn_ctx_free(ctx);
	unit_rmtree(root);
	free(root);
}
END_TEST


/* the article's Listings 3 and 4, as printed there */
START_TEST(test_mdstat_article)
{
	struct vn_md_status st[2];

	ck_assert_int_eq(vn_md_mdstat_parse(
		"Personalities : [linear] [multipath] [raid0] [raid1] [raid6] [raid5] [raid4] [raid10] \n"
		"md0 : active raid5 sdd1[5] sde1[4] sdc1[2] sdb1[1] nvme0n1p1[0](J)\n"
		"      20508171264 blocks super 1.2 level 5, 512k chunk, algorithm 2 [4/3] [UU_U]\n"
		"      [>....................]  recovery =  0.0% (5811228/6836057088) "
		"finish=626.8min speed=181600K/sec\n", st, 2), 1);
	ck_assert_str_eq(st[0].level, "raid5");
	ck_assert_uint_eq(st[0].size_bytes, 20508171264ull * 1024);
	ck_assert_uint_eq(st[0].degraded, 1);
	ck_assert_str_eq(st[0].health, "UU_U");
	ck_assert(st[0].members[4].journal);
	ck_assert_int_eq(st[0].members[4].number, 0);
	ck_assert_uint_eq(st[0].sync_done_kib, 5811228);
	ck_assert_uint_eq(st[0].sync_total_kib, 6836057088ull);
	ck_assert_uint_eq(st[0].sync_speed_kib, 181600);
	ck_assert_double_eq_tol(st[0].sync_finish_min, 626.8, 0.01);
	ck_assert_int_eq(vn_md_mdstat_parse(
		"Personalities : [linear] [multipath] [raid0] [raid1] [raid6] [raid5] [raid4] [raid10] \n"
		"md0 : active raid5 sde1[4] sdd1[3] sdc1[2] sdb1[1] nvme0n1p1[0](J)\n"
		"      20508171264 blocks super 1.2 level 5, 512k chunk, algorithm 2 [4/4] [UUUU]\n"
		"unused devices: <none>\n", st, 2), 1);
	ck_assert_uint_eq(st[0].degraded, 0);
	ck_assert_str_eq(st[0].health, "UUUU");
	ck_assert(!st[0].syncing);
	ck_assert_uint_eq(st[0].nmembers, 5);
}
END_TEST


/* ---- create, dry-run, on the lab's captured tree (tests/unit/data/sysfs-lab.txt:
 * sda1 free, sdb1 and sdc1 held by md0, sdd swap) with files as /dev nodes ---- */

static char actions[8192];

static void record(void *data, bool dry_run, const char *action)
{
	size_t len = strlen(actions);

	(void)data;
	(void)dry_run;
	snprintf(actions + len, sizeof(actions) - len, "%s\n", action);
}

static void mkdir_in(const char *root, const char *rel)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s%s", root, rel);
	unit_mkdirs(path);
}

/* @len bytes of /dev/@name at @off are all zero: nothing was written there. */
static void assert_zero_at(const char *root, const char *name, off_t off, size_t len)
{
	uint8_t buf[VN_MD_SB_BLOCK];
	char path[PATH_MAX];
	int fd;

	ck_assert_uint_le(len, sizeof(buf));
	snprintf(path, sizeof(path), "%s/dev/%s", root, name);
	fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, buf, len, off), (ssize_t)len);
	close(fd);
	for (size_t i = 0; i < len; i++)
		ck_assert_msg(buf[i] == 0, "/dev/%s: byte %zu written", name, (size_t)off + i);
}

static void dev_file(const char *root, const char *name, uint64_t sectors,
		     const char *sb_fixture)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/dev/%s", root, name);
	mkdir_in(root, "/dev");
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, (off_t)(sectors * 512)), 0);
	if (sb_fixture) {
		uint8_t buf[VN_MD_SB_BLOCK];

		load(sb_fixture, buf, sizeof(buf));
		ck_assert_int_eq(pwrite(fd, buf, sizeof(buf), VN_MD_SB_OFFSET),
				 (ssize_t)sizeof(buf));
	}
	close(fd);
}

static struct vn_ctx *lab_tree(char **ret_root)
{
	char *root = unit_tmpdir();
	struct vn_ctx *ctx;

	unit_load_capture(root, "tests/unit/data/sysfs-lab.txt");
	mkdir_in(root, "/sys/module/md_mod");
	mkdir_in(root, "/sys/module/raid1");
	unit_write(root, "/proc/self/mountinfo", "");
	dev_file(root, "sda1", 520192, NULL);
	dev_file(root, "sdb1", 520192, NULL);
	dev_file(root, "nvme0n1", 131072, NULL);
	ctx = unit_ctx(root);
	vn_ctx_set_dry_run(ctx, true);
	vn_ctx_set_action_cb(ctx, record, NULL);
	actions[0] = '\0';
	*ret_root = root;
	return ctx;
}

START_TEST(test_create_dry_run_plan)
{
	static const char *const held[] = { "/dev/sda1", "/dev/sdb1" };
	static const char *const mixed[] = { "/dev/sda1", "/dev/nvme0n1" };
	struct vn_md_create_req req = { .level = 1, .members = held, .nmembers = 2 };
	struct vn_md_create_result res;
	char *root;
	struct vn_ctx *ctx = lab_tree(&root);

	/* more devices than the roles vnvme writes: refused before anything */
	{
		static const char *many[129];
		struct vn_md_create_req big = { .level = 5, .members = many, .nmembers = 129 };

		for (size_t i = 0; i < 129; i++)
			many[i] = "/dev/sda1";
		ck_assert_int_eq(vn_md_create(ctx, "/dev/md1", &big, &res), -EINVAL);
		ck_assert_int_eq(vn_ctx_error_kind(ctx), VN_ERR_INVALID);
		ck_assert_ptr_nonnull(strstr(vn_ctx_error(ctx), "at most 128 devices"));
		ck_assert_str_eq(actions, "");
		vn_ctx_clear_error(ctx);
	}
	/* sdb1 is a member of md0 in the capture */
	ck_assert_int_eq(vn_md_create(ctx, "/dev/md1", &req, &res), -EBUSY);
	ck_assert_int_eq(vn_ctx_error_kind(ctx), VN_ERR_UNSAFE);
	ck_assert_ptr_nonnull(strstr(vn_ctx_error(ctx), "member /dev/sdb1 is in use"));
	ck_assert(!vn_ctx_error_forceable(ctx));
	/* 254 MiB and 64 MiB: more than 1% apart, refused unless forced */
	req.members = mixed;
	ck_assert_int_lt(vn_md_create(ctx, "/dev/md1", &req, &res), 0);
	ck_assert_int_eq(vn_ctx_error_kind(ctx), VN_ERR_UNSAFE);
	ck_assert(vn_ctx_error_forceable(ctx));
	ck_assert_ptr_nonnull(strstr(vn_ctx_error(ctx), "member sizes differ by more than 1%"));
	ck_assert_str_eq(actions, "");
	/* forced: the plan, nothing done; raid1 data_offset 2048, 64 KiB rounding */
	req.force = true;
	vn_ctx_clear_error(ctx);
	ck_assert_int_eq(vn_md_create(ctx, "/dev/md1", &req, &res), 0);
	ck_assert_uint_eq(res.data_offset, 2048);
	ck_assert_uint_eq(res.component_sectors, (131072 - 2048) / 128 * 128);
	ck_assert_msg(strstr(actions, "write md v1.2 superblock on /dev/sda1: array ") &&
		      strstr(actions, "raid1, dev_number 0, slot 0, data_offset 2048 size "
			     "129024 data_size 518144 sectors, features 0x0"), "%s", actions);
	ck_assert_ptr_nonnull(strstr(actions, "dev_number 1, slot 1"));
	ck_assert_ptr_nonnull(strstr(actions, "ioctl ADD_NEW_DISK nvme0n1 on /dev/md1"));
	ck_assert_ptr_nonnull(strstr(actions, "ioctl RUN_ARRAY on /dev/md1"));
	/* and the files are untouched: no superblock on any member, no array */
	ck_assert_str_eq(unit_read(root, "/sys/module/md_mod/parameters/new_array"), "");
	assert_zero_at(root, "sda1", VN_MD_SB_OFFSET, VN_MD_SB_BLOCK);
	assert_zero_at(root, "nvme0n1", VN_MD_SB_OFFSET, VN_MD_SB_BLOCK);
	vn_ctx_free(ctx);
	unit_rmtree(root);
	free(root);
}
END_TEST

START_TEST(test_create_refuses_signature)
{
	static const char *const two[] = { "/dev/sda1", "/dev/nvme0n1" };
	struct vn_md_create_req req = { .level = 0, .members = two, .nmembers = 2 };
	struct vn_md_create_result res;
	char *root;
	struct vn_ctx *ctx = lab_tree(&root);

	dev_file(root, "sda1", 520192, "r1-sda.sb");	/* an old md member */
	ck_assert_int_eq(vn_md_create(ctx, "md1", &req, &res), -EEXIST);
	ck_assert_int_eq(vn_ctx_error_kind(ctx), VN_ERR_UNSAFE);
	ck_assert(vn_ctx_error_forceable(ctx));
	ck_assert_str_eq(vn_ctx_error(ctx),
			 "member /dev/sda1 holds an md RAID member superblock");
	ck_assert_str_eq(actions, "");
	vn_ctx_free(ctx);
	unit_rmtree(root);
	free(root);
}
END_TEST

static Suite *md_suite(void)
{
	Suite *s = suite_create("md");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_sb_roundtrip, 0, (int)(sizeof(golden) / sizeof(golden[0])));
	tcase_add_test(tc, test_sb_fields_raid5_journal);
	tcase_add_test(tc, test_sb_rejects);
	tcase_add_test(tc, test_r5l_empty);
	tcase_add_test(tc, test_data_offset);
	tcase_add_test(tc, test_state_has);
	tcase_add_test(tc, test_sb_view_raid5_journal);
	tcase_add_test(tc, test_sb_view_levels);
	tcase_add_test(tc, test_mdstat_recovery);
	tcase_add_test(tc, test_mdstat_levels);
	tcase_add_test(tc, test_mdstat_article);
	tcase_add_test(tc, test_status_tree);
	tcase_add_loop_test(tc, test_wait_check_after_cut, 0,
			    (int)(sizeof(check_texts) / sizeof(check_texts[0])));
	tcase_add_test(tc, test_sync_left);
	tcase_add_test(tc, test_journal_mode_refusals);
	tcase_add_test(tc, test_stop_failure_gives_write_back_back);
	tcase_add_test(tc, test_create_request_refusals);
	tcase_add_test(tc, test_create_dry_run_plan);
	tcase_add_test(tc, test_create_refuses_signature);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run(md_suite());
}
