// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * md assemble and scan: read the members' superblocks, check they make a
 * complete array, then bind and run it as md_create.c does.
 */
#include "md_private.h"

/* ---- assemble ---- */

static bool enough_members(int level, unsigned int raid_disks, unsigned int present)
{
	switch (level) {
	case 1:
		return present >= 1;
	case 4:
	case 5:
		return present + 1 >= raid_disks;
	case 6:
		return present + 2 >= raid_disks;
	case 10:
		return present * 2 >= raid_disks;	/* near=2; the kernel checks sets */
	default:
		return present == raid_disks;
	}
}

/* Read every device's superblock; they must all belong to one array. */
static int read_members(struct vn_ctx *ctx, struct md_dev *devs, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		if (vn_blk_get(ctx, devs[i].arg, &devs[i].blk) < 0)
			return -ENODEV;
		if (vn_md_read_sb(ctx, devs[i].blk.name, &devs[i].sb) < 0)
			return -EINVAL;
		if (memcmp(devs[i].sb.set_uuid, devs[0].sb.set_uuid, 16) != 0)
			return vn_fail(ctx, -EINVAL, "%s and %s belong to different arrays",
				       devs[0].arg, devs[i].arg);
		devs[i].journal = vn_md_sb_role(&devs[i].sb) == VN_MD_ROLE_JOURNAL;
	}
	return vn_md_check_distinct(ctx, devs, n);
}

/* The freshest superblock among active members and the journal. */
static const struct vn_md_sb *freshest(const struct md_dev *devs, unsigned int n)
{
	const struct vn_md_sb *best = NULL;

	for (unsigned int i = 0; i < n; i++) {
		unsigned int role = vn_md_sb_role(&devs[i].sb);

		if (role == VN_MD_ROLE_SPARE || role == VN_MD_ROLE_FAULTY)
			continue;
		if (!best || devs[i].sb.events > best->events)
			best = &devs[i].sb;
	}
	return best ? best : &devs[0].sb;
}

/* Count the working slots present, as the freshest superblock sees them. */
static int check_complete(struct vn_ctx *ctx, const struct md_dev *devs, unsigned int n,
			  const struct vn_md_assemble_req *req, bool *ret_readonly)
{
	const struct vn_md_sb *f = freshest(devs, n);
	unsigned int expected = 0, present = 0;
	bool journal = false;

	for (uint32_t i = 0; i < f->max_dev; i++)
		if (f->dev_roles[i] < f->raid_disks)
			expected++;
	for (unsigned int i = 0; i < n; i++) {
		uint32_t num = devs[i].sb.dev_number;
		unsigned int role = num < f->max_dev ? f->dev_roles[num] : VN_MD_ROLE_FAULTY;

		if (devs[i].sb.events + 1 < f->events)
			continue;	/* the kernel kicks it as non-fresh */
		if (role < f->raid_disks)
			present++;
		if (role == VN_MD_ROLE_JOURNAL)
			journal = true;
	}
	*ret_readonly = false;
	if ((f->feature_map & VN_MD_FEATURE_JOURNAL) && !journal) {
		if (!req->force)
			return vn_refuse(ctx, -ENODEV, true, "the array's write journal is "
					 "missing; its log may hold data not yet on the members");
		*ret_readonly = true;	/* as the kernel would: read-only */
	}
	if (present < expected && !req->run)
		return vn_refuse(ctx, -ENODEV, false, "only %u of the array's %u working "
				 "members are given (use --run to start it degraded)",
				 present, expected);
	if (!enough_members(f->level, f->raid_disks, present))
		return vn_fail(ctx, -ENODEV, "%u of %u members are not enough to start "
			       "a %s", present, f->raid_disks,
			       vn_md_level_name(f->level) ? vn_md_level_name(f->level) : "array");
	return 0;
}

/*
 * "host:3" -> md3 when free, else the first free from md127 down; "host:data"
 * -> also /dev/md/data in @link (mdadm: a name not all digits gets its link).
 */
static int pick_md(struct vn_ctx *ctx, const struct vn_md_sb *sb, char *md, size_t len,
		   char *link, size_t linklen)
{
	const char *colon = strrchr(sb->set_name, ':');
	const char *name = colon ? colon + 1 : sb->set_name;
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(name, &end, 10);
	if (name[0] && !*end && !errno && n <= MD_MINOR_MAX) {
		snprintf(md, len, "md%lu", n);
		if (!vn_md_array_running(ctx, md))
			return 0;
	} else if (name[0] && *end && vn_md_link_name_ok(name)) {
		vn_strlcpy(link, name, linklen);
	}
	for (int i = MD_MINOR_MAX; i >= 0; i--) {
		snprintf(md, len, "md%d", i);
		if (!vn_exists(ctx, "/sys/block/%s/md", md) || !vn_md_array_running(ctx, md))
			return 0;
	}
	return vn_fail(ctx, -ENOSPC, "no free md device name");
}

int vn_md_assemble(struct vn_ctx *ctx, const char *md_arg,
		   const struct vn_md_assemble_req *req, char *ret_md, size_t len)
{
	_cleanup_free_ struct md_dev *devs = NULL;
	char md[VN_NAME_MAX], desc[300], link[MD_LINK_NAME_MAX + 1] = "";
	bool readonly;
	int r;

	if (req->ndevices == 0)
		return vn_invalid(ctx, "no device given");
	devs = calloc(req->ndevices, sizeof(*devs));
	if (!devs)
		return vn_fail(ctx, -ENOMEM, "out of memory");
	for (unsigned int i = 0; i < req->ndevices; i++)
		devs[i].arg = req->devices[i];
	r = read_members(ctx, devs, req->ndevices);
	if (r < 0)
		return r;
	/* in use first: a running array's members also look incomplete */
	for (unsigned int i = 0; i < req->ndevices; i++) {
		struct md_dev *d = &devs[i];
		char what[16];

		snprintf(what, sizeof(what), "%s", d->journal ? "journal" : "member");
		if (vn_md_held(ctx, d->blk.name, desc, sizeof(desc)))
			return vn_refuse(ctx, -EBUSY, false, "%s %s is in use: %s", what,
					 d->arg, desc);
	}
	r = check_complete(ctx, devs, req->ndevices, req, &readonly);
	if (r < 0)
		return r;
	if (md_arg)
		r = vn_md_name_new(ctx, md_arg, md, sizeof(md), NULL, link, sizeof(link));
	else
		r = pick_md(ctx, &devs[0].sb, md, sizeof(md), link, sizeof(link));
	if (r < 0)
		return r;
	r = vn_md_check_unused(ctx, md);
	if (r < 0)
		return r;
	r = vn_md_load_personality(ctx, devs[0].sb.level);
	if (r < 0)
		return r;
	r = vn_md_run_array(ctx, md, devs, req->ndevices, readonly, link);
	if (r < 0)
		return r;
	vn_strlcpy(ret_md, md, len);
	return 0;
}

struct scan_group {
	uint8_t uuid[16];
	char name[33];
	char *devs[VN_MD_MEMBERS_MAX];
	unsigned int n;
};

static void scan_add(struct scan_group *groups, unsigned int *ng, size_t max,
		     const struct vn_md_sb *sb, const char *dev)
{
	unsigned int g;

	for (g = 0; g < *ng; g++)
		if (memcmp(groups[g].uuid, sb->set_uuid, 16) == 0)
			break;
	if (g == *ng) {
		if (*ng >= max)
			return;
		memcpy(groups[g].uuid, sb->set_uuid, 16);
		memcpy(groups[g].name, sb->set_name, sizeof(groups[g].name));
		groups[g].n = 0;
		(*ng)++;
	}
	if (groups[g].n < VN_MD_MEMBERS_MAX)
		groups[g].devs[groups[g].n++] = strdup(dev);
}

static bool is_raid_member(struct vn_ctx *ctx, const char *name)
{
	struct vn_sig sigs[VN_SIGS_MAX];
	int n = vn_probe_signatures(ctx, name, sigs, VN_SIGS_MAX);

	for (int i = 0; i < n; i++)
		if (strcmp(sigs[i].type, "linux_raid_member") == 0)
			return true;
	return false;
}

int vn_md_scan(struct vn_ctx *ctx,
	       int (*fn)(void *data, const char *uuid, const char *name,
			 const char *const *devs, unsigned int n),
	       void *data)
{
	struct scan_group *groups = calloc(VN_MD_MEMBERS_MAX, sizeof(*groups));
	struct vn_blkdev *blks = NULL;
	struct vn_md_sb *sb = malloc(sizeof(*sb));
	unsigned int ng = 0;
	int nb, r = 0;

	if (!groups || !sb) {
		free(groups);
		free(sb);
		return vn_fail(ctx, -ENOMEM, "out of memory");
	}
	nb = vn_blk_list(ctx, &blks);
	for (int i = 0; i < nb; i++) {
		char path[VN_NAME_MAX + 8];

		if (blks[i].kind == VN_BLK_MD || vn_md_held(ctx, blks[i].name, NULL, 0) ||
		    !is_raid_member(ctx, blks[i].name) || vn_md_read_sb(ctx, blks[i].name, sb) < 0)
			continue;
		snprintf(path, sizeof(path), "/dev/%s", blks[i].name);
		scan_add(groups, &ng, VN_MD_MEMBERS_MAX, sb, path);
	}
	vn_ctx_clear_error(ctx);
	free(blks);
	for (unsigned int g = 0; g < ng; g++) {
		char uuid[40];

		vn_uuid_text(groups[g].uuid, uuid, sizeof(uuid));
		if (r >= 0 && fn(data, uuid, groups[g].name,
				 (const char *const *)groups[g].devs, groups[g].n) < 0)
			r = -EIO;
		for (unsigned int k = 0; k < groups[g].n; k++)
			free(groups[g].devs[k]);
	}
	free(groups);
	free(sb);
	return nb < 0 ? nb : r < 0 ? r : (int)ng;
}
