// SPDX-License-Identifier: GPL-3.0-or-later
/* On-disk signatures through libblkid, every one of them (as wipefs finds). */
#include <blkid.h>
#include <fcntl.h>
#include <errno.h>
#include <string.h>

#include "internal.h"

static void copy_value(blkid_probe pr, const char *key, char *buf, size_t len)
{
	const char *v = NULL;

	buf[0] = '\0';
	if (blkid_probe_lookup_value(pr, key, &v, NULL) == 0 && v)
		vn_strlcpy(buf, v, len);
}

static void copy_offset(blkid_probe pr, const char *key, uint64_t *ret)
{
	const char *v = NULL;

	*ret = 0;
	if (blkid_probe_lookup_value(pr, key, &v, NULL) == 0 && v)
		*ret = strtoull(v, NULL, 10);
}

/*
 * Open /dev/@name (read-write for @wipe) and a probe on it for superblocks
 * with @sb_flags and partition tables, from @offset for @size bytes (0: to
 * the end). Return: 0 with *ret_pr and *ret_fd, or -errno.
 */
static int open_probe(struct vn_ctx *ctx, const char *name, bool wipe, uint64_t offset,
		      uint64_t size, int sb_flags, char *path, size_t len,
		      int *ret_fd, blkid_probe *ret_pr)
{
	blkid_probe pr;
	int r, fd;

	r = vn_path(ctx, path, len, "/dev/%s", vn_basename(name));
	if (r < 0)
		return vn_fail(ctx, r, "%s: path too long", name);
	fd = open(path, (wipe && !vn_ctx_dry_run(ctx) ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (fd < 0)
		return vn_fail(ctx, -errno, "cannot %s %s: %s", wipe ? "open" : "probe", path,
			       strerror(errno));
	pr = blkid_new_probe();
	if (!pr || blkid_probe_set_device(pr, fd, (blkid_loff_t)offset,
					  (blkid_loff_t)size) < 0) {
		blkid_free_probe(pr);
		(void)close(fd);
		return vn_fail(ctx, -EIO, "cannot probe %s", path);
	}
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, sb_flags);
	blkid_probe_enable_partitions(pr, 1);
	blkid_probe_set_partitions_flags(pr, BLKID_PARTS_MAGIC);
	*ret_fd = fd;
	*ret_pr = pr;
	return 0;
}

int vn_probe_signatures(struct vn_ctx *ctx, const char *name,
			struct vn_sig *ret_sigs, size_t max)
{
	return vn_probe_signatures_at(ctx, name, 0, 0, ret_sigs, max);
}

int vn_probe_signatures_at(struct vn_ctx *ctx, const char *name, uint64_t offset,
			   uint64_t size, struct vn_sig *ret_sigs, size_t max)
{
	char path[VN_PATH_MAX];
	_cleanup_close_ int fd = -1;
	blkid_probe pr;
	size_t n = 0;
	int r;

	r = open_probe(ctx, name, false, offset, size, BLKID_SUBLKS_TYPE |
		       BLKID_SUBLKS_USAGE | BLKID_SUBLKS_LABEL | BLKID_SUBLKS_UUID |
		       BLKID_SUBLKS_MAGIC | BLKID_SUBLKS_BADCSUM, path, sizeof(path), &fd, &pr);
	if (r < 0)
		return r;

	/* blkid_do_probe() steps through every match, not only the best one */
	while (n < max && blkid_do_probe(pr) == 0) {
		struct vn_sig *s = &ret_sigs[n];

		*s = (struct vn_sig){ 0 };
		if (blkid_probe_has_value(pr, "PTTYPE")) {
			copy_value(pr, "PTTYPE", s->type, sizeof(s->type));
			vn_strlcpy(s->usage, "partition table", sizeof(s->usage));
			copy_value(pr, "PTUUID", s->uuid, sizeof(s->uuid));
			copy_offset(pr, "PTMAGIC_OFFSET", &s->offset);
		} else if (blkid_probe_has_value(pr, "TYPE")) {
			copy_value(pr, "TYPE", s->type, sizeof(s->type));
			copy_value(pr, "USAGE", s->usage, sizeof(s->usage));
			copy_value(pr, "LABEL", s->label, sizeof(s->label));
			copy_value(pr, "UUID", s->uuid, sizeof(s->uuid));
			copy_offset(pr, "SBMAGIC_OFFSET", &s->offset);
		} else {
			continue;
		}
		n++;
	}
	blkid_free_probe(pr);
	return (int)n;
}

char *vn_sig_describe(const struct vn_sig *s, char *buf, size_t len)
{
	const char *t = s->type;
	bool vowel = strchr("aeiouAEIOU", t[0]) != NULL;

	if (strcmp(s->usage, "partition table") == 0)
		snprintf(buf, len, "a %s partition table", t);
	else if (strcmp(t, "linux_raid_member") == 0)
		snprintf(buf, len, "an md RAID member superblock");
	else if (strcmp(t, "LVM2_member") == 0)
		snprintf(buf, len, "an LVM physical volume");
	else if (strcmp(t, "swap") == 0)
		snprintf(buf, len, "a swap area");
	else if (strcmp(s->usage, "filesystem") == 0)
		snprintf(buf, len, "%s %s filesystem", vowel ? "an" : "a", t);
	else
		snprintf(buf, len, "%s %s signature", vowel ? "an" : "a", t);
	return buf;
}

int vn_probe_wipe(struct vn_ctx *ctx, const char *name, uint64_t offset,
		  uint64_t size)
{
	char path[VN_PATH_MAX];
	_cleanup_close_ int fd = -1;
	blkid_probe pr;
	int r, n = 0;

	r = open_probe(ctx, name, true, offset, size, BLKID_SUBLKS_TYPE |
		       BLKID_SUBLKS_MAGIC | BLKID_SUBLKS_BADCSUM, path, sizeof(path), &fd, &pr);
	if (r < 0)
		return r;
	while (blkid_do_probe(pr) == 0) {
		const char *type = NULL;

		if (blkid_probe_lookup_value(pr, "TYPE", &type, NULL) < 0)
			(void)blkid_probe_lookup_value(pr, "PTTYPE", &type, NULL);
		if (!vn_action(ctx, "wipe %s signature on %s at byte %llu",
			       type ? type : "unknown", path, (unsigned long long)offset))
			continue;
		/* blkid_do_wipe() erases the magic and steps back to probe again */
		if (blkid_do_wipe(pr, 0) < 0) {
			blkid_free_probe(pr);
			return vn_fail(ctx, -EIO, "cannot wipe the %s signature on %s",
				       type ? type : "unknown", path);
		}
		n++;
	}
	blkid_free_probe(pr);
	if (!vn_ctx_dry_run(ctx) && fsync(fd) < 0)
		return vn_fail(ctx, -errno, "cannot sync %s: %s", path, strerror(errno));
	return n;
}
