// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * md v1.2 superblocks (lib/md_super.c): vn_md_sb_decode() of any bytes; a
 * superblock it accepts encodes back to the same bytes it covers (the
 * checksum included) and decodes to the same fields; its role lookup stays
 * in bounds. The input is the 4 KiB block vnvme reads at 4 KiB.
 */
#include "fuzz.h"
#include "md_super.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vn_md_sb sb, again;
	static uint8_t out[VN_MD_SB_BLOCK], out2[VN_MD_SB_BLOCK];
	size_t name;
	int r, used;

	r = vn_md_sb_decode(data, size, &sb);
	FUZZ_ASSERT(r == 0 || r == -EINVAL || r == -EBADMSG);
	if (r == -EINVAL)
		return 0;
	FUZZ_ASSERT(sb.max_dev <= VN_MD_MAX_DEV);
	FUZZ_ASSERT(sb.set_name[32] == '\0');
	(void)vn_md_sb_role(&sb);
	(void)vn_md_level_name(sb.level);
	if (r < 0)
		return 0;
	used = vn_md_sb_encode(&sb, out, sizeof(out));
	FUZZ_ASSERT(used == 256 + 2 * (int)sb.max_dev && (size_t)used <= size);
	FUZZ_ASSERT(vn_md_sb_decode(out, (size_t)used, &again) == 0);
	FUZZ_ASSERT(vn_md_sb_encode(&again, out2, sizeof(out2)) == used);
	FUZZ_ASSERT(memcmp(out, out2, (size_t)used) == 0);
	/* the same bytes as read, but for set_name's padding after its NUL */
	name = strnlen((const char *)data + 32, 32);
	for (size_t i = 32 + name; i < 64; i++)
		if (data[i])
			return 0;
	FUZZ_ASSERT(memcmp(out, data, 32 + name) == 0);
	FUZZ_ASSERT(memcmp(out + 64, data + 64, (size_t)used - 64) == 0);
	return 0;
}
