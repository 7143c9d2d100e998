// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * md create: check the devices, plan the v1.2 superblocks as mdadm 4.2
 * writes them, write them (undone on failure), then bind and run the array
 * with SET_ARRAY_INFO, ADD_NEW_DISK and RUN_ARRAY (mdadm's Create.c order).
 */
#include "md_private.h"

/* ---- checking devices ---- */

/* Is it a block device that nothing holds, uses, or keeps data on? */
int vn_md_check_free(struct vn_ctx *ctx, const char *what, struct md_dev *d,
		     bool force)
{
	struct vn_hold holds[VN_HOLDS_MAX];
	struct vn_sig sigs[VN_SIGS_MAX];
	char desc[300];
	int n, fd;

	if (vn_blk_get(ctx, d->arg, &d->blk) < 0)
		return -ENODEV;
	d->sectors = d->blk.size_bytes / VN_SECTOR_SIZE;
	if (d->blk.readonly)
		return vn_refuse(ctx, -EROFS, false, "%s %s is read-only", what, d->arg);
	n = vn_blk_holds(ctx, d->blk.name, holds, VN_HOLDS_MAX);
	if (n < 0)
		return n;
	if (n > 0)
		return vn_refuse(ctx, -EBUSY, false, "%s %s is in use: %s", what, d->arg,
				 vn_blk_describe_hold(&holds[0], desc, sizeof(desc)));
	fd = vn_md_open_dev(ctx, d->blk.name, (vn_ctx_dry_run(ctx) ? O_RDONLY : O_RDWR) |
			    O_EXCL);
	if (fd == -EBUSY)
		return vn_refuse(ctx, -EBUSY, false, "%s %s is in use (opened exclusively "
				 "by another program)", what, d->arg);
	if (fd < 0)
		return vn_fail(ctx, fd, "cannot open %s: %s", d->arg, strerror(-fd));
	d->hold = fd + 1;	/* held until the superblock is written */
	n = vn_probe_signatures(ctx, d->blk.name, sigs, VN_SIGS_MAX);
	if (n > 0 && !force)
		n = vn_refuse(ctx, -EEXIST, true, "%s %s holds %s", what, d->arg,
			      vn_sig_describe(&sigs[0], desc, sizeof(desc)));
	if (n < 0)
		vn_md_release(d, 1);
	return n < 0 ? n : 0;
}

void vn_md_release(struct md_dev *devs, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		if (devs[i].hold > 0)
			(void)close(devs[i].hold - 1);
		devs[i].hold = 0;
	}
}

int vn_md_check_distinct(struct vn_ctx *ctx, const struct md_dev *devs, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		for (unsigned int j = 0; j < i; j++) {
			if (devs[i].blk.major != devs[j].blk.major ||
			    devs[i].blk.minor != devs[j].blk.minor)
				continue;
			if (devs[i].journal || devs[j].journal)
				return vn_refuse(ctx, -EINVAL, false, "the journal %s is also "
						 "a member", devs[i].journal ? devs[i].arg :
						 devs[j].arg);
			return vn_refuse(ctx, -EINVAL, false, "%s is given twice (as %s)",
					 devs[i].arg, devs[j].arg);
		}
	return 0;
}

static unsigned int min_members(int level)
{
	switch (level) {
	case 4:
	case 5:
		return 3;
	case 6:
		return 4;
	default:
		return 2;
	}
}

static bool has_journal_level(int level)
{
	return level == 4 || level == 5 || level == 6;
}

static int check_request(struct vn_ctx *ctx, const struct vn_md_create_req *req,
			 unsigned int *ret_chunk_kib)
{
	unsigned int chunk = req->chunk_kib;

	if (!vn_md_level_name(req->level))
		return vn_invalid(ctx, "level %d is not one of 0, 1, 4, 5, 6, 10", req->level);
	/* dev_roles vnvme writes: one per device, the journal included */
	if (req->nmembers + (req->journal ? 1u : 0u) > MD_MAX_DEV_CREATE)
		return vn_invalid(ctx, "%u members%s: vnvme creates arrays of at most %d "
				  "devices", req->nmembers, req->journal ? " and a journal" : "",
				  MD_MAX_DEV_CREATE);
	if (req->nmembers < min_members(req->level))
		return vn_refuse(ctx, -EINVAL, false, "%s needs at least %u members, "
				 "%u given", vn_md_level_name(req->level),
				 min_members(req->level), req->nmembers);
	if (req->journal && !has_journal_level(req->level))
		return vn_refuse(ctx, -EINVAL, false, "%s cannot have a write journal "
				 "(only raid4, raid5 and raid6 can)",
				 vn_md_level_name(req->level));
	if (req->level == 1)
		chunk = 0;
	else if (chunk == 0)
		chunk = MD_DEFAULT_CHUNK_KIB;
	/* md: a power of two, a multiple of 4 KiB (raid5 "invalid chunk size") */
	if (req->level != 1 && (chunk < 4 || (chunk & (chunk - 1))))
		return vn_invalid(ctx, "chunk %u KiB is not a power of two of at least "
				  "4 KiB", chunk);
	if (req->name && strlen(req->name) > 31)
		return vn_invalid(ctx, "name '%s' is longer than 31 characters", req->name);
	*ret_chunk_kib = chunk;
	return 0;
}

/* Component size in KiB: the smallest member, rounded as mdadm rounds. */
static int plan_sizes(struct vn_ctx *ctx, struct md_dev *devs, unsigned int n,
		      int level, unsigned int chunk_kib, uint64_t data_offset,
		      bool force, uint64_t *ret_kib)
{
	uint64_t round = chunk_kib ? chunk_kib : RAID1_ROUND_KIB;
	uint64_t min_usable = UINT64_MAX, max_usable = 0, need;
	const char *small = NULL, *big = NULL;
	char a[32], b[32];

	need = data_offset + round * 2;
	for (unsigned int i = 0; i < n; i++) {
		uint64_t floor = devs[i].journal ? data_offset + JOURNAL_MIN_SECTORS : need;

		if (devs[i].sectors < floor)
			return vn_refuse(ctx, -ENOSPC, false, "%s is too small: %s, at least "
					 "%s needed", devs[i].arg,
					 vn_size_format(devs[i].sectors * VN_SECTOR_SIZE, a, sizeof(a)),
					 vn_size_format(floor * VN_SECTOR_SIZE, b, sizeof(b)));
		if (devs[i].journal)
			continue;
		if (devs[i].sectors - data_offset < min_usable) {
			min_usable = devs[i].sectors - data_offset;
			small = devs[i].arg;
		}
		if (devs[i].sectors - data_offset > max_usable) {
			max_usable = devs[i].sectors - data_offset;
			big = devs[i].arg;
		}
	}
	if (level != 0 && (max_usable - min_usable) * 100 > min_usable * SIZE_SLACK_PERCENT &&
	    !force)
		return vn_refuse(ctx, -EINVAL, true, "member sizes differ by more than 1%%: "
				 "%s has %s, %s only %s (the array would use the smallest)",
				 big, vn_size_format(max_usable * VN_SECTOR_SIZE, a, sizeof(a)), small,
				 vn_size_format(min_usable * VN_SECTOR_SIZE, b, sizeof(b)));
	*ret_kib = min_usable / 2 / round * round;
	return 0;
}

static void set_name(struct vn_md_sb *sb, const char *name)
{
	char host[64] = "";

	if (gethostname(host, sizeof(host) - 1) < 0)
		host[0] = '\0';
	/* mdadm: "homehost:name" when it fits in 32 bytes, else the name alone */
	if (host[0] && strlen(host) + 1 + strlen(name) < 32) {
		size_t h = strlen(host);

		memcpy(sb->set_name, host, h);
		sb->set_name[h] = ':';
		memcpy(sb->set_name + h + 1, name, strlen(name) + 1);
	} else
		snprintf(sb->set_name, sizeof(sb->set_name), "%s", name);
}

static uint32_t md_layout(int level)
{
	switch (level) {
	case 5:
	case 6:
		return MD_RAID5_LAYOUT;
	case 10:
		return MD_RAID10_LAYOUT;
	case 0:
		return MD_RAID0_ORIG_LAYOUT;
	default:
		return 0;
	}
}

/*
 * One template for every device (mdadm --assemble compares ctime, level,
 * layout, size, chunk and raid_disks across all, journal included), then the
 * per-device fields. raid4/5 without --assume-clean: as mdadm, the last
 * member starts as a spare and the kernel recovers onto it, which is
 * faster than a resync.
 */
static void plan_superblocks(struct md_dev *devs, unsigned int n,
			     const struct vn_md_create_req *req, const char *name,
			     unsigned int chunk_kib, uint64_t data_offset, uint64_t size_kib)
{
	bool spare_trick = (req->level == 4 || req->level == 5) && !req->assume_clean;
	struct vn_md_sb t = {
		.feature_map = req->journal ? VN_MD_FEATURE_JOURNAL : 0,
		.ctime = (uint64_t)time(NULL) & ((1ull << 40) - 1),
		.level = req->level,
		.layout = md_layout(req->level),
		.size = req->level == 0 ? 0 : size_kib * 2,
		.chunksize = chunk_kib * 2,
		.raid_disks = req->nmembers,
		.data_offset = data_offset,
		.super_offset = MD_SUPER_OFFSET,
		.bblog_size = MD_BBLOG_SIZE,
		.bblog_offset = MD_BBLOG_OFFSET,
		.max_dev = MD_MAX_DEV_CREATE,
	};
	unsigned int number = 0, slot = 0;

	vn_random_bytes(t.set_uuid, sizeof(t.set_uuid));
	set_name(&t, name);
	t.utime = t.ctime;
	t.resync_offset = req->assume_clean || req->level == 0 || spare_trick ?
		VN_MD_MAX_SECTOR : 0;
	for (unsigned int i = 0; i < VN_MD_MAX_DEV; i++)
		t.dev_roles[i] = VN_MD_ROLE_SPARE;
	/* active members first, then the journal, then the raid4/5 spare */
	for (unsigned int i = 0; i < n; i++) {
		bool spare = spare_trick && !devs[i].journal && slot == req->nmembers - 1;

		if (devs[i].journal || spare)
			continue;
		t.dev_roles[number] = (uint16_t)slot++;
		devs[i].sb.dev_number = number++;
	}
	for (unsigned int i = 0; i < n; i++)
		if (devs[i].journal) {
			t.dev_roles[number] = VN_MD_ROLE_JOURNAL;
			devs[i].sb.dev_number = number++;
		}
	for (unsigned int i = 0; i < n; i++)
		if (spare_trick && !devs[i].journal && i == req->nmembers - 1)
			devs[i].sb.dev_number = number++;
	for (unsigned int i = 0; i < n; i++) {
		uint32_t dev_number = devs[i].sb.dev_number;

		devs[i].sb = t;
		devs[i].sb.dev_number = dev_number;
		devs[i].sb.data_size = devs[i].sectors - data_offset;
		vn_random_bytes(devs[i].sb.device_uuid, sizeof(devs[i].sb.device_uuid));
	}
	if (req->level == 0) {
		uint64_t first = devs[0].sb.data_size / t.chunksize;

		for (unsigned int i = 1; i < n; i++)
			if (devs[i].sb.data_size / t.chunksize != first)
				for (unsigned int k = 0; k < n; k++)
					devs[k].sb.feature_map |= MD_FEATURE_RAID0_LAYOUT;
	}
}

/* ---- writing superblocks ---- */

static bool md_magic_at(int fd, uint64_t off)
{
	uint32_t magic;

	if (vn_pread_full(fd, &magic, sizeof(magic), off) < 0)
		return false;
	/* 0.90 stores the same magic in host order: little-endian here too */
	return le32toh(magic) == VN_MD_SB_MAGIC;
}

/* Zero stale md superblocks of other versions (mdadm's Kill loop). */
static int zero_stale(int fd, uint64_t sectors)
{
	static const uint8_t zero[VN_MD_SB_BLOCK];
	uint64_t bytes = sectors * VN_SECTOR_SIZE;
	uint64_t offs[3] = {
		0,					/* v1.1 */
		((sectors - 16) & ~7ull) * VN_SECTOR_SIZE,	/* v1.0 */
		(bytes & ~(65536ull - 1)) - 65536,	/* v0.90 */
	};

	for (size_t i = 0; i < VN_ARRAY_SIZE(offs); i++) {
		if (bytes < 65536 * 2 || !md_magic_at(fd, offs[i]))
			continue;
		int r = vn_pwrite_full(fd, zero, sizeof(zero), offs[i]);

		if (r < 0)	/* a short write too: pwrite_full says -EIO */
			return r;
	}
	return 0;
}

static int write_one(struct vn_ctx *ctx, struct md_dev *d, bool wipe)
{
	_cleanup_close_ int own = -1;
	uint8_t buf[VN_MD_SB_BLOCK];
	int r, fd = d->hold - 1;

	if (wipe && vn_probe_wipe(ctx, d->blk.name, 0, 0) < 0)
		return -EIO;
	if (fd < 0) {
		fd = own = vn_md_open_dev(ctx, d->blk.name, O_RDWR | O_EXCL);
		if (fd < 0)
			return vn_fail(ctx, fd, "cannot open %s exclusively: %s", d->arg,
				       strerror(-fd));
	}
	r = zero_stale(fd, d->sectors);
	if (r >= 0)
		r = vn_md_sb_encode(&d->sb, buf, sizeof(buf));
	if (r >= 0)
		r = vn_pwrite_full(fd, buf, sizeof(buf), VN_MD_SB_OFFSET);
	if (r >= 0)
		d->written = true;
	if (r >= 0 && d->journal) {
		uint32_t seq;

		vn_random_bytes((uint8_t *)&seq, sizeof(seq));
		vn_md_r5l_empty(buf, d->sb.set_uuid, seq);
		r = vn_pwrite_full(fd, buf, sizeof(buf), d->sb.data_offset * VN_SECTOR_SIZE);
	}
	if (r >= 0 && fsync(fd) < 0)
		r = -errno;
	if (r < 0) {
		d->write_failed = true;
		return vn_fail(ctx, r, "cannot write the md superblock on %s: %s", d->arg,
			       strerror(-r));
	}
	return 0;
}

static void describe_role(const struct md_dev *d, char *buf, size_t len)
{
	unsigned int role = vn_md_sb_role(&d->sb);

	if (role == VN_MD_ROLE_JOURNAL)
		snprintf(buf, len, "journal");
	else if (role == VN_MD_ROLE_SPARE)
		snprintf(buf, len, "spare (recovered onto)");
	else
		snprintf(buf, len, "slot %u", role);
}

/*
 * Erase what vn_md_write_superblocks() wrote (the 4 KiB at the v1.2 offset).
 * A superblock that cannot be erased is added to the context's error
 * (VN_ERR_PARTIAL: "not undone: ..."). Return: how many were erased.
 */
unsigned int vn_md_erase_superblocks(struct vn_ctx *ctx, struct md_dev *devs,
				     unsigned int n)
{
	static const uint8_t zero[VN_MD_SB_BLOCK];
	unsigned int done = 0;

	for (unsigned int i = 0; i < n; i++) {
		_cleanup_close_ int fd = -1;
		int r;

		if (!devs[i].written)
			continue;
		if (!vn_action(ctx, "erase the md superblock on %s (undo)", devs[i].arg))
			continue;
		fd = vn_md_open_dev(ctx, devs[i].blk.name, O_RDWR);
		r = fd < 0 ? fd : vn_pwrite_full(fd, zero, sizeof(zero), VN_MD_SB_OFFSET);
		if (r == 0 && fsync(fd) < 0)
			r = -errno;
		/* the device that refused the superblock refuses its erase too:
		 * the error says already that its write failed */
		if (r < 0 && !devs[i].write_failed) {
			vn_note(ctx, true, "not undone: the md superblock on %s is left: %s",
				devs[i].arg, strerror(-r));
			continue;
		}
		if (r < 0)
			continue;
		devs[i].written = false;
		done++;
	}
	return done;
}

/* A failure (@r) midway: erase what was written, saying so. Return: @r. */
static int undo_superblocks(struct vn_ctx *ctx, struct md_dev *devs, unsigned int n, int r)
{
	unsigned int undone = vn_md_erase_superblocks(ctx, devs, n);

	if (undone == 0)
		return r;
	return vn_undo_note(ctx, r, "erased the %u superblock%s written before it", undone,
			    undone == 1 ? "" : "s");
}

int vn_md_write_superblocks(struct vn_ctx *ctx, struct md_dev *devs, unsigned int n,
			    bool wipe)
{
	char uuid[40], role[32];

	for (unsigned int i = 0; i < n; i++) {
		const struct vn_md_sb *sb = &devs[i].sb;

		vn_uuid_text(sb->set_uuid, uuid, sizeof(uuid));
		describe_role(&devs[i], role, sizeof(role));
		int r = vn_stop_point(ctx, "md-superblock");

		if (r < 0)
			return undo_superblocks(ctx, devs, n, r);
		if (!vn_action(ctx, "write md v1.2 superblock on %s: array %s name '%s' "
			       "%s, dev_number %u, %s, data_offset %" PRIu64 " size %" PRIu64
			       " data_size %" PRIu64 " sectors, features 0x%x%s", devs[i].arg,
			       uuid, sb->set_name, vn_md_level_name(sb->level), sb->dev_number,
			       role, sb->data_offset, sb->size, sb->data_size, sb->feature_map,
			       devs[i].journal ? ", and an empty journal log" : ""))
			continue;
		if (write_one(ctx, &devs[i], wipe) < 0)
			return undo_superblocks(ctx, devs, n, -EIO);
	}
	return 0;
}

/* ---- the kernel side: node, SET_ARRAY_INFO, ADD_NEW_DISK, RUN_ARRAY ---- */

static const char *level_module(int level)
{
	return level == 4 || level == 5 || level == 6 ? "raid456" : vn_md_level_name(level);
}

/* Make sure md has an array called @md and /dev/@md exists. */
static int make_node(struct vn_ctx *ctx, const char *md)
{
	int r;

	r = vn_kmod_load(ctx, "md_mod");
	if (r < 0)
		return r;
	if (!vn_exists(ctx, "/sys/block/%s", md)) {
		r = vn_write_str(ctx, md, "/sys/module/md_mod/parameters/new_array");
		if (r < 0 && r != -EEXIST)
			return vn_fail(ctx, r, "cannot create %s (md_mod new_array): %s", md,
				       strerror(-r));
	}
	if (vn_ctx_dry_run(ctx))
		return 0;
	for (unsigned int t = 0; t < NODE_WAIT_MS; t += POLL_MS) {
		if (vn_exists(ctx, "/dev/%s", md))
			return 0;
		vn_msleep(POLL_MS);
	}
	return vn_fail(ctx, -ENOENT, "/dev/%s did not appear", md);
}

int vn_md_ioctl(struct vn_ctx *ctx, int fd, const char *md, unsigned long req,
		const char *name, void *arg)
{
	if (!vn_action(ctx, "ioctl %s on /dev/%s", name, md))
		return 0;
	return ioctl(fd, req, arg) < 0 ? -errno : 0;
}

/*
 * Bind @devs to @md and run it. On failure the array is stopped, so no
 * member stays bound to an inactive array. Return: 0 or negative errno.
 */
int vn_md_run_array(struct vn_ctx *ctx, const char *md, struct md_dev *devs,
		    unsigned int n, bool readonly, const char *link)
{
	mdu_array_info_t info = { .major_version = 1, .minor_version = 2 };
	_cleanup_close_ int fd = -1;
	mdu_param_t param = { 0 };
	int r;

	r = vn_stop_point(ctx, "md-run");
	if (r == 0)
		r = make_node(ctx, md);
	if (r < 0)
		return r;
	if (!vn_ctx_dry_run(ctx)) {
		fd = vn_md_open_dev(ctx, md, O_RDWR | O_EXCL);
		if (fd < 0)
			return vn_fail(ctx, fd, "cannot open /dev/%s: %s", md, strerror(-fd));
	}
	r = vn_md_ioctl(ctx, fd, md, SET_ARRAY_INFO, "SET_ARRAY_INFO (version 1.2)", &info);
	if (r < 0)
		return vn_fail(ctx, r, "%s: SET_ARRAY_INFO failed: %s", md, strerror(-r));
	for (unsigned int i = 0; i < n; i++) {
		mdu_disk_info_t disk = { .major = (int)devs[i].blk.major,
					 .minor = (int)devs[i].blk.minor };
		char what[VN_NAME_MAX + 32];

		snprintf(what, sizeof(what), "ADD_NEW_DISK %s", devs[i].blk.name);
		vn_md_release(&devs[i], 1);	/* md claims it itself */
		r = vn_md_ioctl(ctx, fd, md, ADD_NEW_DISK, what, &disk);
		if (r < 0) {
			(void)vn_fail(ctx, r, "%s: the kernel refused %s: %s", md,
				      devs[i].arg, strerror(-r));
			goto out_stop;
		}
	}
	if (readonly) {
		r = vn_write_str(ctx, "readonly", "/sys/block/%s/md/array_state", md);
		if (r < 0) {
			(void)vn_fail(ctx, r, "%s: cannot start it read-only: %s", md,
				      strerror(-r));
			goto out_stop;
		}
	} else {
		r = vn_md_ioctl(ctx, fd, md, RUN_ARRAY, "RUN_ARRAY", &param);
		if (r < 0) {
			(void)vn_fail(ctx, r, "%s: the kernel refused to run the array: "
				      "%s (see dmesg)", md, strerror(-r));
			goto out_stop;
		}
	}
	if (link[0]) {
		r = vn_md_link(ctx, link, md);
		if (r < 0)
			goto out_stop;
	}
	return 0;
out_stop:
	if (vn_action(ctx, "ioctl STOP_ARRAY on /dev/%s (undo)", md) &&
	    ioctl(fd, STOP_ARRAY, NULL) < 0)
		vn_note(ctx, true, "not undone: %s is left inactive with its members bound: "
			"STOP_ARRAY: %s", md, strerror(errno));
	return r;
}

int vn_md_load_personality(struct vn_ctx *ctx, int level)
{
	int r = vn_kmod_load(ctx, "md_mod");

	return r < 0 ? r : vn_kmod_load(ctx, level_module(level));
}

int vn_md_check_unused(struct vn_ctx *ctx, const char *md)
{
	char st[32];

	vn_md_array_state(ctx, md, st, sizeof(st));
	if (st[0] && strcmp(st, "clear") != 0)
		return vn_refuse(ctx, -EBUSY, false, "%s already exists (%s)", md, st);
	return 0;
}

static int check_create_devs(struct vn_ctx *ctx, const struct vn_md_create_req *req,
			     struct md_dev *devs, unsigned int n)
{
	int r;

	/* duplicates first: the exclusive hold of a device's first mention would
	 * otherwise make its second look "in use by another program" */
	for (unsigned int i = 0; i < n; i++) {
		devs[i].arg = i < req->nmembers ? req->members[i] : req->journal;
		devs[i].journal = i >= req->nmembers;
		if (vn_blk_get(ctx, devs[i].arg, &devs[i].blk) < 0)
			return -ENODEV;
	}
	r = vn_md_check_distinct(ctx, devs, n);
	for (unsigned int i = 0; r == 0 && i < n; i++)
		r = vn_md_check_free(ctx, devs[i].journal ? "journal" : "member", &devs[i],
				     req->force);
	return r;
}

/* vn_md_create() once every device passed its check and is held. */
static int create_checked(struct vn_ctx *ctx, const char *md, unsigned int minor,
			  const char *link, const struct vn_md_create_req *req, struct md_dev *devs,
			  unsigned int n, unsigned int chunk_kib,
			  struct vn_md_create_result *ret)
{
	uint64_t data_offset, size_kib = 0, v;
	char name[MD_LINK_NAME_MAX + 1];
	int r;

	data_offset = vn_md_data_offset(devs[0].sectors, chunk_kib);
	r = plan_sizes(ctx, devs, n, req->level, chunk_kib, data_offset, req->force,
		       &size_kib);
	if (r < 0)
		return r;
	r = vn_md_load_personality(ctx, req->level);
	if (r < 0)
		return r;
	snprintf(name, sizeof(name), "%u", minor);
	if (link[0])
		vn_strlcpy(name, link, sizeof(name));	/* mdadm names it NAME */
	plan_superblocks(devs, n, req, req->name ? req->name : name, chunk_kib,
			 data_offset, size_kib);

	r = vn_md_write_superblocks(ctx, devs, n, req->force);
	if (r < 0)
		return r;
	r = vn_md_run_array(ctx, md, devs, n, false, link);
	if (r < 0) {
		unsigned int undone = vn_md_erase_superblocks(ctx, devs, n);

		return vn_undo_note(ctx, r, "stopped %s and erased the %u superblocks "
				    "written", md, undone);
	}
	*ret = (struct vn_md_create_result){
		.component_sectors = size_kib * 2,
		.data_offset = data_offset,
		.syncing = !req->assume_clean && req->level != 0,
	};
	vn_strlcpy(ret->md, md, sizeof(ret->md));
	vn_uuid_text(devs[0].sb.set_uuid, ret->uuid, sizeof(ret->uuid));
	if (vn_read_u64(ctx, &v, "/sys/block/%s/size", md) == 0)
		ret->size_bytes = v * VN_SECTOR_SIZE;
	return 0;
}

int vn_md_create(struct vn_ctx *ctx, const char *md_arg,
		 const struct vn_md_create_req *req, struct vn_md_create_result *ret)
{
	unsigned int n = req->nmembers + (req->journal ? 1 : 0), chunk_kib = 0, minor;
	_cleanup_free_ struct md_dev *devs = NULL;
	char md[VN_NAME_MAX], link[MD_LINK_NAME_MAX + 1];
	int r;

	r = vn_md_name_new(ctx, md_arg, md, sizeof(md), &minor, link, sizeof(link));
	if (r < 0)
		return r;
	r = check_request(ctx, req, &chunk_kib);
	if (r < 0)
		return r;
	r = vn_md_check_unused(ctx, md);
	if (r < 0)
		return r;
	devs = calloc(n, sizeof(*devs));
	if (!devs)
		return vn_fail(ctx, -ENOMEM, "out of memory");
	r = check_create_devs(ctx, req, devs, n);
	if (r == 0)
		r = create_checked(ctx, md, minor, link, req, devs, n, chunk_kib, ret);
	vn_md_release(devs, n);
	return r;
}
