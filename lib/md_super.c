// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * md v1.2 superblock and raid5-cache meta block codecs: bytes in, struct out,
 * and back. No I/O, so unit tests run them against blocks captured from real
 * mdadm (tests/unit/data/md/). Layouts: include/uapi/linux/raid/md_p.h
 * (struct mdp_superblock_1, struct r5l_meta_block); checksums: the kernel's
 * calc_sb_1_csum() (drivers/md/md.c) and r5l's crc32c (raid5-cache.c).
 */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include "md_super.h"

#define MD_SB_HEADER 256		/* bytes before dev_roles[] */
#define MD_FEATURE_ALL 0x1fff		/* MD_FEATURE_ALL in md_p.h (6.1) */
#define R5L_MAGIC 0x6433c509		/* R5LOG_MAGIC */
#define R5L_VERSION 1			/* R5LOG_VERSION */
#define R5L_BLOCK 4096			/* PAGE_SIZE; BLOCK_SECTORS = 8 */
#define R5L_META_EMPTY 32		/* sizeof(struct r5l_meta_block) */
#define CRC32C_POLY 0x82f63b78		/* Castagnoli, reflected */

/* Field offsets of struct mdp_superblock_1 (md_p.h). */
enum {
	O_MAGIC = 0, O_MAJOR = 4, O_FEATURE = 8, O_PAD0 = 12, O_SET_UUID = 16,
	O_SET_NAME = 32, O_CTIME = 64, O_LEVEL = 72, O_LAYOUT = 76, O_SIZE = 80,
	O_CHUNK = 88, O_RAID_DISKS = 92, O_BITMAP = 96, O_NEW_LEVEL = 100,
	O_RESHAPE_POS = 104, O_DELTA = 112, O_NEW_LAYOUT = 116, O_NEW_CHUNK = 120,
	O_NEW_OFFSET = 124, O_DATA_OFFSET = 128, O_DATA_SIZE = 136,
	O_SUPER_OFFSET = 144, O_RECOVERY = 152, O_DEV_NUMBER = 160,
	O_CORRECTED = 164, O_DEVICE_UUID = 168, O_DEVFLAGS = 184,
	O_BBLOG_SHIFT = 185, O_BBLOG_SIZE = 186, O_BBLOG_OFFSET = 188,
	O_UTIME = 192, O_EVENTS = 200, O_RESYNC = 208, O_CSUM = 216,
	O_MAX_DEV = 220, O_PAD3 = 224, O_PAD3_END = 256,
};

static uint16_t get16(const uint8_t *p, size_t off)
{
	uint16_t v;

	memcpy(&v, p + off, sizeof(v));
	return le16toh(v);
}

static uint32_t get32(const uint8_t *p, size_t off)
{
	uint32_t v;

	memcpy(&v, p + off, sizeof(v));
	return le32toh(v);
}

static uint64_t get64(const uint8_t *p, size_t off)
{
	uint64_t v;

	memcpy(&v, p + off, sizeof(v));
	return le64toh(v);
}

static void put16(uint8_t *p, size_t off, uint16_t v)
{
	v = htole16(v);
	memcpy(p + off, &v, sizeof(v));
}

static void put32(uint8_t *p, size_t off, uint32_t v)
{
	v = htole32(v);
	memcpy(p + off, &v, sizeof(v));
}

static void put64(uint8_t *p, size_t off, uint64_t v)
{
	v = htole64(v);
	memcpy(p + off, &v, sizeof(v));
}

uint32_t vn_md_sb_csum(const void *buf, uint32_t max_dev)
{
	const uint8_t *p = buf;
	size_t size = MD_SB_HEADER + 2 * (size_t)max_dev, i;
	uint64_t sum = 0;

	for (i = 0; i + 4 <= size; i += 4)
		sum += i == O_CSUM ? 0 : get32(p, i);
	if (size - i == 2)
		sum += get16(p, i);
	return (uint32_t)((sum & 0xffffffffu) + (sum >> 32));
}

static bool all_zero(const uint8_t *p, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		if (p[i])
			return false;
	return true;
}

static void decode_fields(const uint8_t *p, struct vn_md_sb *sb)
{
	sb->feature_map = get32(p, O_FEATURE);
	memcpy(sb->set_uuid, p + O_SET_UUID, sizeof(sb->set_uuid));
	memcpy(sb->set_name, p + O_SET_NAME, 32);
	sb->set_name[32] = '\0';
	sb->ctime = get64(p, O_CTIME);
	sb->level = (int32_t)get32(p, O_LEVEL);
	sb->layout = get32(p, O_LAYOUT);
	sb->size = get64(p, O_SIZE);
	sb->chunksize = get32(p, O_CHUNK);
	sb->raid_disks = get32(p, O_RAID_DISKS);
	sb->bitmap_offset = (int32_t)get32(p, O_BITMAP);
	sb->new_level = get32(p, O_NEW_LEVEL);
	sb->reshape_position = get64(p, O_RESHAPE_POS);
	sb->delta_disks = get32(p, O_DELTA);
	sb->new_layout = get32(p, O_NEW_LAYOUT);
	sb->new_chunk = get32(p, O_NEW_CHUNK);
	sb->new_offset = (int32_t)get32(p, O_NEW_OFFSET);
	sb->data_offset = get64(p, O_DATA_OFFSET);
	sb->data_size = get64(p, O_DATA_SIZE);
	sb->super_offset = get64(p, O_SUPER_OFFSET);
	sb->recovery_offset = get64(p, O_RECOVERY);
	sb->dev_number = get32(p, O_DEV_NUMBER);
	sb->cnt_corrected_read = get32(p, O_CORRECTED);
	memcpy(sb->device_uuid, p + O_DEVICE_UUID, sizeof(sb->device_uuid));
	sb->devflags = p[O_DEVFLAGS];
	sb->bblog_shift = p[O_BBLOG_SHIFT];
	sb->bblog_size = get16(p, O_BBLOG_SIZE);
	sb->bblog_offset = (int32_t)get32(p, O_BBLOG_OFFSET);
	sb->utime = get64(p, O_UTIME);
	sb->events = get64(p, O_EVENTS);
	sb->resync_offset = get64(p, O_RESYNC);
	sb->sb_csum = get32(p, O_CSUM);
	sb->max_dev = get32(p, O_MAX_DEV);
	for (uint32_t i = 0; i < sb->max_dev; i++)
		sb->dev_roles[i] = get16(p, MD_SB_HEADER + 2 * (size_t)i);
}

int vn_md_sb_decode(const void *buf, size_t len, struct vn_md_sb *ret)
{
	const uint8_t *p = buf;
	uint32_t max_dev;

	if (len < MD_SB_HEADER || get32(p, O_MAGIC) != VN_MD_SB_MAGIC ||
	    get32(p, O_MAJOR) != 1)
		return -EINVAL;
	max_dev = get32(p, O_MAX_DEV);
	if (max_dev > VN_MD_MAX_DEV || MD_SB_HEADER + 2 * (size_t)max_dev > len)
		return -EINVAL;
	/* the kernel's super_1_load refuses these too */
	if (get32(p, O_PAD0) || !all_zero(p, O_PAD3, O_PAD3_END) ||
	    (get32(p, O_FEATURE) & ~(uint32_t)MD_FEATURE_ALL))
		return -EINVAL;
	*ret = (struct vn_md_sb){ 0 };
	decode_fields(p, ret);
	return vn_md_sb_csum(p, max_dev) == ret->sb_csum ? 0 : -EBADMSG;
}

static void encode_fields(const struct vn_md_sb *sb, uint8_t *p)
{
	put32(p, O_MAGIC, VN_MD_SB_MAGIC);
	put32(p, O_MAJOR, 1);
	put32(p, O_FEATURE, sb->feature_map);
	memcpy(p + O_SET_UUID, sb->set_uuid, sizeof(sb->set_uuid));
	memcpy(p + O_SET_NAME, sb->set_name, strnlen(sb->set_name, 32));
	put64(p, O_CTIME, sb->ctime);
	put32(p, O_LEVEL, (uint32_t)sb->level);
	put32(p, O_LAYOUT, sb->layout);
	put64(p, O_SIZE, sb->size);
	put32(p, O_CHUNK, sb->chunksize);
	put32(p, O_RAID_DISKS, sb->raid_disks);
	put32(p, O_BITMAP, (uint32_t)sb->bitmap_offset);
	put32(p, O_NEW_LEVEL, sb->new_level);
	put64(p, O_RESHAPE_POS, sb->reshape_position);
	put32(p, O_DELTA, sb->delta_disks);
	put32(p, O_NEW_LAYOUT, sb->new_layout);
	put32(p, O_NEW_CHUNK, sb->new_chunk);
	put32(p, O_NEW_OFFSET, (uint32_t)sb->new_offset);
	put64(p, O_DATA_OFFSET, sb->data_offset);
	put64(p, O_DATA_SIZE, sb->data_size);
	put64(p, O_SUPER_OFFSET, sb->super_offset);
	put64(p, O_RECOVERY, sb->recovery_offset);
	put32(p, O_DEV_NUMBER, sb->dev_number);
	put32(p, O_CORRECTED, sb->cnt_corrected_read);
	memcpy(p + O_DEVICE_UUID, sb->device_uuid, sizeof(sb->device_uuid));
	p[O_DEVFLAGS] = sb->devflags;
	p[O_BBLOG_SHIFT] = sb->bblog_shift;
	put16(p, O_BBLOG_SIZE, sb->bblog_size);
	put32(p, O_BBLOG_OFFSET, (uint32_t)sb->bblog_offset);
	put64(p, O_UTIME, sb->utime);
	put64(p, O_EVENTS, sb->events);
	put64(p, O_RESYNC, sb->resync_offset);
	put32(p, O_MAX_DEV, sb->max_dev);
	for (uint32_t i = 0; i < sb->max_dev; i++)
		put16(p, MD_SB_HEADER + 2 * (size_t)i, sb->dev_roles[i]);
}

int vn_md_sb_encode(const struct vn_md_sb *sb, void *buf, size_t len)
{
	size_t size = MD_SB_HEADER + 2 * (size_t)sb->max_dev;
	uint8_t *p = buf;

	if (sb->max_dev > VN_MD_MAX_DEV || (sb->feature_map & ~(uint32_t)MD_FEATURE_ALL))
		return -EINVAL;
	if (size > len)
		return -ENOSPC;
	memset(p, 0, len);
	encode_fields(sb, p);
	put32(p, O_CSUM, vn_md_sb_csum(p, sb->max_dev));
	return (int)size;
}

unsigned int vn_md_sb_role(const struct vn_md_sb *sb)
{
	if (sb->dev_number >= sb->max_dev)
		return VN_MD_ROLE_FAULTY;
	return sb->dev_roles[sb->dev_number];
}

uint32_t vn_md_crc32c(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (CRC32C_POLY & (0u - (crc & 1)));
	}
	return crc;
}

int vn_md_r5l_empty(void *buf, const uint8_t set_uuid[16], uint32_t seq)
{
	uint8_t *p = buf;
	uint32_t seed = vn_md_crc32c(0xffffffffu, set_uuid, 16);

	memset(p, 0, R5L_BLOCK);
	put32(p, 0, R5L_MAGIC);
	p[8] = R5L_VERSION;
	put32(p, 12, R5L_META_EMPTY);
	put64(p, 16, seq);
	put64(p, 24, 0);	/* position: the first block of the log */
	put32(p, 4, vn_md_crc32c(seed, p, R5L_BLOCK));
	return 0;
}

/*
 * mdadm 4.2 validate_geometry1()/choose_bm_space(): room for a bitmap,
 * then a headroom of up to 128 MiB for reshapes, rounded to 1 MiB.
 */
#define SB_AND_BBLOG 24			/* sectors: superblock + bad-block log */
#define HEADROOM_MAX 262144		/* sectors (128 MiB) */
#define DATA_ALIGN 2048			/* sectors (1 MiB) */
#define GIB_SECTORS (2ull * 1024 * 1024)

static uint64_t bitmap_space(uint64_t dev)
{
	if (dev < 128)
		return 0;
	if (dev - 128 >= 200 * GIB_SECTORS)
		return 256;
	if (dev - 8 > 8 * GIB_SECTORS)
		return 128;
	return 8;
}

uint64_t vn_md_data_offset(uint64_t dev_sectors, unsigned int chunk_kib)
{
	uint64_t headroom = HEADROOM_MAX;
	uint64_t off;

	while (headroom * 1024 > dev_sectors &&
	       (chunk_kib == 0 || headroom / 2 >= (uint64_t)chunk_kib * 4))
		headroom /= 2;
	off = SB_AND_BBLOG + bitmap_space(dev_sectors) + headroom;
	return (off + DATA_ALIGN - 1) / DATA_ALIGN * DATA_ALIGN;
}

const char *vn_md_level_name(int level)
{
	switch (level) {
	case 0:
		return "raid0";
	case 1:
		return "raid1";
	case 4:
		return "raid4";
	case 5:
		return "raid5";
	case 6:
		return "raid6";
	case 10:
		return "raid10";
	default:
		return NULL;
	}
}

/* ---- what mdadm --examine derives (mdadm 4.2, super1.c examine_super1) ---- */

#define MD_FEATURE_BITMAP 0x1		/* MD_FEATURE_BITMAP_OFFSET */
#define MD_FEATURE_NEW_OFFSET 0x40
#define MD_FEATURE_REPLACEMENT 0x10
#define MD_FEATURE_PPL 0xc00		/* MD_FEATURE_PPL | MD_FEATURE_MULTIPLE_PPLS */
#define MD_FEATURE_RAID0_LAYOUT 0x1000
#define SB_EARLIEST 72			/* sectors after the superblock mdadm keeps */

/* raid5/6 layouts (md's ALGORITHM_*), as mdadm names them. */
static const char *parity_layout(int level, uint32_t layout)
{
	static const char *const common[] = { "left-asymmetric", "right-asymmetric",
		"left-symmetric", "right-symmetric", "parity-first", "parity-last" };
	static const char *const ddf[] = { "ddf-zero-restart", "ddf-N-restart",
		"ddf-N-continue" };
	static const char *const six[] = { "left-asymmetric-6", "right-asymmetric-6",
		"left-symmetric-6", "right-symmetric-6", "parity-first-6" };

	if (layout < VN_ARRAY_SIZE(common))
		return common[layout];
	if (level == 6 && layout >= 8 && layout < 8 + VN_ARRAY_SIZE(ddf))
		return ddf[layout - 8];
	if (level == 6 && layout >= 16 && layout < 16 + VN_ARRAY_SIZE(six))
		return six[layout - 16];
	return "-unknown-";
}

static void layout_text(const struct vn_md_sb *sb, char *buf, size_t len)
{
	unsigned int near = sb->layout & 255, far = (sb->layout >> 8) & 255;
	int n = 0;

	buf[0] = '\0';
	if (sb->level == 0 && (sb->feature_map & MD_FEATURE_RAID0_LAYOUT))
		snprintf(buf, len, "%s", sb->layout == 1 ? "original" :
			 sb->layout == 2 ? "alternate" : "-unknown-");
	else if (sb->level == 5 || sb->level == 6)
		snprintf(buf, len, "%s", parity_layout(sb->level, sb->layout));
	if (sb->level != 10)
		return;
	/* mdadm's print_r10_layout, without its leading space */
	if (near != 1)
		n = snprintf(buf, len, "near=%u", near);
	if (far != 1 && n >= 0 && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, "%s%s=%u", n ? ", " : "",
			      (sb->layout & 0x10000) ? "offset" : "far", far);
	if (near * far == 1)
		snprintf(buf, len, "NO REDUNDANCY");
}

/* Data disks over the copies: the array's size from one member's. */
static uint64_t array_bytes(const struct vn_md_sb *sb)
{
	uint64_t bytes = sb->size * 512, copies;

	switch (sb->level) {
	case 1:
		return bytes;
	case 4:
	case 5:
		return sb->raid_disks > 1 ? bytes * (sb->raid_disks - 1) : 0;
	case 6:
		return sb->raid_disks > 2 ? bytes * (sb->raid_disks - 2) : 0;
	case 10:
		copies = (uint64_t)(sb->layout & 255) * ((sb->layout >> 8) & 255);
		return copies ? bytes * sb->raid_disks / copies : 0;
	default:
		return 0;
	}
}

/* mdadm's getinfo_super1() for a superblock before its data (1.1, 1.2). */
static void unused_space(const struct vn_md_sb *sb, uint64_t dev_sectors,
			 struct vn_md_sb_view *v)
{
	uint64_t earliest = sb->super_offset + SB_EARLIEST;
	uint64_t data = sb->level <= 0 ? sb->data_size : sb->size;
	uint32_t ppl = (uint32_t)sb->bitmap_offset;

	if (!dev_sectors || sb->data_offset < sb->super_offset ||
	    (sb->feature_map & (MD_FEATURE_BITMAP | MD_FEATURE_NEW_OFFSET)))
		return;		/* the bitmap's size is in its own superblock */
	if ((sb->feature_map & MD_FEATURE_PPL) && (ppl & 0xffff) + (ppl >> 16) > earliest)
		earliest = (ppl & 0xffff) + (ppl >> 16);
	if (sb->bblog_offset && sb->bblog_size &&
	    sb->super_offset + (uint64_t)(int64_t)sb->bblog_offset + sb->bblog_size > earliest)
		earliest = sb->super_offset + (uint64_t)(int64_t)sb->bblog_offset +
			   sb->bblog_size;
	v->space_before = sb->data_offset > earliest ? (int64_t)(sb->data_offset - earliest) : 0;
	v->space_after = (int64_t)(dev_sectors - data - sb->data_offset);
	if (v->space_before == 0 && v->space_after == 0)
		v->space_after = 1;	/* mdadm's "no room" marker */
	if (vn_md_sb_role(sb) == VN_MD_ROLE_JOURNAL)	/* a journal uses all 4 KiB blocks */
		v->space_after = (int64_t)((dev_sectors - sb->data_offset) % 8);
	v->truncated = v->space_after < 0;
	v->unused_known = v->space_after != 1;	/* mdadm shows no line for 1 */
}

int vn_md_sb_view(const struct vn_md_sb *sb, uint64_t dev_sectors, struct vn_md_sb_view *ret)
{
	uint8_t buf[VN_MD_SB_BLOCK];
	unsigned int disks = sb->raid_disks < VN_MD_MAX_DEV ? sb->raid_disks : VN_MD_MAX_DEV;
	int n;

	*ret = (struct vn_md_sb_view){ .role = vn_md_sb_role(sb) };
	/* decode keeps every byte of the header, so encoding gives mdadm's sum */
	n = vn_md_sb_encode(sb, buf, sizeof(buf));
	if (n < 0)
		return n;
	ret->csum_expected = get32(buf, O_CSUM);
	ret->csum_ok = ret->csum_expected == sb->sb_csum;
	ret->array_bytes = array_bytes(sb);
	ret->clean = sb->resync_offset == VN_MD_MAX_SECTOR;
	unused_space(sb, dev_sectors, ret);
	if (ret->role >= VN_MD_ROLE_FAULTY)
		snprintf(ret->role_text, sizeof(ret->role_text), "spare");
	else if (ret->role == VN_MD_ROLE_JOURNAL)
		snprintf(ret->role_text, sizeof(ret->role_text), "Journal");
	else
		snprintf(ret->role_text, sizeof(ret->role_text), "%s device %u",
			 (sb->feature_map & MD_FEATURE_REPLACEMENT) ? "Replacement" : "Active",
			 ret->role);
	for (unsigned int d = 0; d < disks; d++) {
		unsigned int cnt = 0;

		for (uint32_t i = 0; i < sb->max_dev; i++)
			cnt += sb->dev_roles[i] == d;
		ret->array_state[d] = cnt == 2 && sb->level > 0 ? 'R' : cnt == 1 ? 'A' :
				      cnt == 0 ? '.' : '?';
	}
	layout_text(sb, ret->layout, sizeof(ret->layout));
	ret->chunk_shown = sb->level == 0 || sb->level == 4 || sb->level == 5 ||
			   sb->level == 6 || sb->level == 10;
	return 0;
}
