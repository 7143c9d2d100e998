/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Private to libvnvme: the md v1.2 superblock and raid5-cache codec
 * (lib/md_super.c), pure functions over bytes; struct vn_md_sb itself is
 * public (vn_md_examine()). The unit tests reach it through -Ilib.
 */
#ifndef VNVME_MD_SUPER_H
#define VNVME_MD_SUPER_H

#include "internal.h"

/*
 * vn_md_sb_decode() - parse a v1.2 superblock from @buf (at least the
 * 256 + 2 * max_dev bytes it declares).
 * Return: 0; -EINVAL when it is no v1.x superblock (magic, version, sizes,
 * non-zero padding); -EBADMSG when only its checksum is wrong (*ret filled).
 */
int vn_md_sb_decode(const void *buf, size_t len, struct vn_md_sb *ret);
/*
 * vn_md_sb_encode() - lay out @sb into @buf (zeroed first) with a fresh
 * checksum. Return: bytes used (256 + 2 * max_dev), or -EINVAL/-ENOSPC.
 */
int vn_md_sb_encode(const struct vn_md_sb *sb, void *buf, size_t len);
/* vn_md_sb_csum() - the kernel's calc_sb_1_csum. Return: the checksum. */
uint32_t vn_md_sb_csum(const void *buf, uint32_t max_dev);
/* vn_md_sb_role() - Return: dev_roles[dev_number], faulty when out of range. */
unsigned int vn_md_sb_role(const struct vn_md_sb *sb);
/*
 * vn_md_r5l_empty() - an empty raid5-cache meta block (4096 bytes) for a
 * journal whose array has @set_uuid, as mdadm writes at the journal's
 * data_offset. Return: 0.
 */
int vn_md_r5l_empty(void *buf, const uint8_t set_uuid[16], uint32_t seq);
/* vn_md_crc32c() - crc32c (Castagnoli), no final xor. Return: the crc. */
uint32_t vn_md_crc32c(uint32_t crc, const void *buf, size_t len);
/*
 * vn_md_data_offset() - mdadm 4.2's data_offset for a device of
 * @dev_sectors and a chunk of @chunk_kib (0 for raid1).
 * Return: the offset in sectors, a multiple of 2048.
 */
uint64_t vn_md_data_offset(uint64_t dev_sectors, unsigned int chunk_kib);

#endif /* VNVME_MD_SUPER_H */
