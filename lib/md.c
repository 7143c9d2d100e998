// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * md RAID through the kernel's own interfaces: the md ioctls on /dev/mdN
 * (include/uapi/linux/raid/md_u.h), the md/ attributes in sysfs
 * (Documentation/admin-guide/md.rst) and /proc/mdstat. vnvme writes the
 * v1.2 superblocks itself (lib/md_super.c), as mdadm 4.2 does, then lets the
 * kernel assemble the array from them. The call sequences follow mdadm's
 * Create.c/Assemble.c/Manage.c, not its code.
 *
 * The md module, one file a seam: md_status.c (/proc/mdstat, md/ sysfs,
 * list and status), md_create.c (checks, planning and writing superblocks,
 * binding and running an array, create), md_assemble.c (assemble, scan) and
 * md_stop.c (stop and journal mode: md's quiesce and its kernel bugs) and
 * this file: the helpers they share (md_private.h), wait, the members of a
 * running array (fail, remove, add, replace), examine.
 */
#include "md_private.h"

/* ---- small helpers ---- */

/* "md0" -> true, with "md0" in @name and 0 in *@ret_minor (when not NULL). */
static bool parse_mdn(const char *base, char *name, size_t len, unsigned int *ret_minor)
{
	char *end;
	unsigned long n;

	if (strncmp(base, "md", 2) != 0 || !isdigit((unsigned char)base[2]))
		return false;
	errno = 0;
	n = strtoul(base + 2, &end, 10);
	if (errno || *end || n > MD_MINOR_MAX_ANY)
		return false;
	snprintf(name, len, "md%lu", n);
	if (ret_minor)
		*ret_minor = (unsigned int)n;
	return true;
}

bool vn_md_link_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > MD_LINK_NAME_MAX || !strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)name[i]) && !strchr("._-", name[i]))
			return false;
	return true;
}

/* The mdN /dev/md/@link points at: 0, -ENOENT (no link) or -EINVAL (not mdN). */
static int read_link(struct vn_ctx *ctx, const char *link, char *name, size_t len,
		     unsigned int *ret_minor)
{
	char path[VN_PATH_MAX], target[VN_PATH_MAX];
	ssize_t n;

	if (vn_path(ctx, path, sizeof(path), "/dev/md/%s", link) < 0)
		return -ENAMETOOLONG;
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	return parse_mdn(vn_basename(target), name, len, ret_minor) ? 0 : -EINVAL;
}

/* "/dev/md/NAME" -> NAME, NULL when @arg is not under /dev/md/. */
static const char *link_arg(const char *arg)
{
	return strncmp(arg, "/dev/md/", 8) == 0 ? arg + 8 : NULL;
}

int vn_md_name(struct vn_ctx *ctx, const char *arg, char *name, size_t len,
	       unsigned int *ret_minor)
{
	const char *link = link_arg(arg);

	if (link) {
		if (!vn_md_link_name_ok(link))
			return vn_invalid(ctx, "'%s' is not an md device (/dev/mdN or "
					  "/dev/md/NAME)", arg);
		if (read_link(ctx, link, name, len, ret_minor) < 0 ||
		    !vn_exists(ctx, "/sys/block/%s", name))
			return vn_invalid(ctx, "no array named %s (%s)", link, arg);
		return 0;
	}
	if (strncmp(arg, "/dev/", 5) != 0 && strchr(arg, '/'))
		return vn_invalid(ctx, "'%s' is not an md device (/dev/mdN)", arg);
	if (!parse_mdn(vn_basename(arg), name, len, ret_minor))
		return vn_invalid(ctx, "'%s' is not an md device (/dev/mdN)", arg);
	return 0;
}

int vn_md_free_minor(struct vn_ctx *ctx, char *name, size_t len, unsigned int *ret_minor)
{
	for (int i = MD_MINOR_MAX; i >= 0; i--) {
		snprintf(name, len, "md%d", i);
		if (!vn_exists(ctx, "/sys/block/%s", name)) {
			if (ret_minor)
				*ret_minor = (unsigned int)i;
			return 0;
		}
	}
	return vn_fail(ctx, -ENOSPC, "no free md device name");
}

int vn_md_name_new(struct vn_ctx *ctx, const char *arg, char *name, size_t len,
		   unsigned int *ret_minor, char *link, size_t linklen)
{
	const char *l = link_arg(arg);

	link[0] = '\0';
	if (!l || !vn_md_link_name_ok(l))
		return vn_md_name(ctx, arg, name, len, ret_minor);
	vn_strlcpy(link, l, linklen);
	switch (read_link(ctx, l, name, len, ret_minor)) {
	case 0:
		return 0;	/* the link is there: its array, running or not */
	case -ENOENT:
		return vn_md_free_minor(ctx, name, len, ret_minor);
	default:
		return vn_invalid(ctx, "%s does not point at an md device", arg);
	}
}

int vn_md_link(struct vn_ctx *ctx, const char *link, const char *md)
{
	char dir[VN_PATH_MAX], path[VN_PATH_MAX], target[VN_NAME_MAX + 4], got[VN_NAME_MAX];

	if (vn_path(ctx, dir, sizeof(dir), "/dev/md") < 0 ||
	    vn_path(ctx, path, sizeof(path), "/dev/md/%s", link) < 0)
		return -ENAMETOOLONG;
	snprintf(target, sizeof(target), "../%s", md);
	if (read_link(ctx, link, got, sizeof(got), NULL) == 0 && strcmp(got, md) == 0)
		return 0;	/* already there */
	if (!vn_action(ctx, "symlink /dev/md/%s -> %s", link, target))
		return 0;
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return vn_fail(ctx, -errno, "cannot create /dev/md: %s", strerror(errno));
	if ((unlink(path) < 0 && errno != ENOENT) || symlink(target, path) < 0)
		return vn_fail(ctx, -errno, "cannot create /dev/md/%s: %s", link,
			       strerror(errno));
	return 0;
}

int vn_md_unlink(struct vn_ctx *ctx, const char *md)
{
	char dir[VN_PATH_MAX], path[VN_PATH_MAX], got[VN_NAME_MAX];
	DIR *d;
	struct dirent *e;
	int r = 0;

	if (vn_path(ctx, dir, sizeof(dir), "/dev/md") < 0)
		return -ENAMETOOLONG;
	d = opendir(dir);
	if (!d)
		return 0;
	while ((e = readdir(d))) {
		if (!vn_md_link_name_ok(e->d_name) ||
		    read_link(ctx, e->d_name, got, sizeof(got), NULL) < 0 || strcmp(got, md))
			continue;
		if (!vn_action(ctx, "remove the link /dev/md/%s", e->d_name))
			continue;
		if (vn_path(ctx, path, sizeof(path), "/dev/md/%s", e->d_name) == 0 &&
		    unlink(path) < 0 && errno != ENOENT)
			r = vn_fail(ctx, -errno, "cannot remove /dev/md/%s: %s", e->d_name,
				    strerror(errno));
	}
	closedir(d);
	return r;
}

int vn_md_open_dev(struct vn_ctx *ctx, const char *name, int flags)
{
	char path[VN_PATH_MAX];
	int fd;

	if (vn_path(ctx, path, sizeof(path), "/dev/%s", vn_basename(name)) < 0)
		return -ENAMETOOLONG;
	fd = open(path, flags | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}


/* The array's state, "" when md has no such array. */
void vn_md_array_state(struct vn_ctx *ctx, const char *md, char *buf, size_t len)
{
	if (vn_read_str(ctx, buf, len, "/sys/block/%s/md/array_state", md) < 0)
		buf[0] = '\0';
}

bool vn_md_array_running(struct vn_ctx *ctx, const char *md)
{
	char st[32];

	vn_md_array_state(ctx, md, st, sizeof(st));
	return st[0] && strcmp(st, "clear") != 0 && strcmp(st, "inactive") != 0;
}

/* Read and decode the v1.2 superblock of a device. */
/*
 * The superblock block as it is on the disk. md writes superblocks with bios
 * that bypass the device's page cache, so a buffered read can return an old
 * copy while the array runs (the lab: a recovered member read back with
 * events 2, vnvme's own write at create, where mdadm --examine read 21).
 * O_DIRECT, as mdadm reads; buffered where O_DIRECT is refused (images on
 * tmpfs in the tests).
 */
static int read_sb_block(struct vn_ctx *ctx, const char *name, uint8_t *buf)
{
	int fd = vn_md_open_dev(ctx, name, O_RDONLY | O_DIRECT), r;

	if (fd == -EINVAL)
		fd = vn_md_open_dev(ctx, name, O_RDONLY);
	if (fd < 0)
		return vn_fail(ctx, fd, "cannot open /dev/%s: %s", vn_basename(name),
			       strerror(-fd));
	r = vn_pread_full(fd, buf, VN_MD_SB_BLOCK, VN_MD_SB_OFFSET);
	close(fd);
	if (r == -EINVAL) {	/* O_DIRECT with an alignment the device refuses */
		fd = vn_md_open_dev(ctx, name, O_RDONLY);
		r = fd < 0 ? fd : vn_pread_full(fd, buf, VN_MD_SB_BLOCK, VN_MD_SB_OFFSET);
		if (fd >= 0)
			close(fd);
	}
	if (r < 0)
		return vn_fail(ctx, r, "cannot read /dev/%s: %s", vn_basename(name),
			       strerror(-r));
	return 0;
}

int vn_md_read_sb(struct vn_ctx *ctx, const char *name, struct vn_md_sb *sb)
{
	uint8_t buf[VN_MD_SB_BLOCK] __attribute__((aligned(VN_MD_SB_BLOCK)));
	int r;

	r = read_sb_block(ctx, name, buf);
	if (r < 0)
		return r;
	r = vn_md_sb_decode(buf, sizeof(buf), sb);
	if (r == -EBADMSG)
		return vn_fail(ctx, r, "/dev/%s: md superblock with a bad checksum",
			       vn_basename(name));
	if (r < 0)
		return vn_fail(ctx, r, "/dev/%s has no md v1.2 superblock",
			       vn_basename(name));
	return 0;
}

/* "write-through [write-back]" -> "write-back"; "" when no journal. */
void vn_md_bracketed(const char *text, char *buf, size_t len)
{
	const char *a = strchr(text, '['), *b = a ? strchr(a, ']') : NULL;
	size_t n;

	buf[0] = '\0';
	if (!a || !b)
		return;
	n = (size_t)(b - a - 1);
	if (n >= len)
		n = len - 1;
	memcpy(buf, a + 1, n);
	buf[n] = '\0';
}
/* Does anything hold @name (mounted, md/dm member, swap, exported)? */
bool vn_md_held(struct vn_ctx *ctx, const char *name, char *desc, size_t len)
{
	struct vn_hold holds[VN_HOLDS_MAX];
	int n = vn_blk_holds(ctx, name, holds, VN_HOLDS_MAX);

	if (n <= 0) {
		vn_ctx_clear_error(ctx);
		return false;
	}
	if (desc)
		vn_blk_describe_hold(&holds[0], desc, len);
	return true;
}

/* ---- wait ---- */

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int vn_md_wait_timeout(struct vn_ctx *ctx, const char *md_arg, long timeout_ms,
		       void (*progress)(void *data, const struct vn_md_status *st),
		       void *data)
{
	struct vn_md_status *st = malloc(sizeof(*st));
	uint64_t start = now_ms();
	int r;

	if (!st)
		return vn_fail(ctx, -ENOMEM, "out of memory");
	for (;;) {
		r = vn_md_status(ctx, md_arg, st);
		if (r < 0 || !st->syncing)
			break;
		if (progress)
			progress(data, st);
		if (timeout_ms >= 0 && now_ms() - start >= (uint64_t)timeout_ms) {
			r = vn_fail(ctx, -ETIMEDOUT, "%s: %s still running after %ld s",
				    st->name, st->sync_action[0] ? st->sync_action : "sync",
				    timeout_ms / 1000);
			break;
		}
		/* a change waiting here (raid replace, up) stops on a signal */
		r = vn_stop_point(ctx, "md-wait");
		if (r < 0)
			break;
		vn_msleep(POLL_MS);
	}
	if ((r == 0 || r == -ETIMEDOUT) && progress)
		progress(data, st);
	free(st);
	return r;
}

int vn_md_wait(struct vn_ctx *ctx, const char *md_arg,
	       void (*progress)(void *data, const struct vn_md_status *st), void *data)
{
	return vn_md_wait_timeout(ctx, md_arg, -1, progress, data);
}

/* An array that does not exist is bad input (exit 2); one that exists but
 * does not run is a state the command cannot work in. */
int vn_md_running_or_invalid(struct vn_ctx *ctx, const char *md)
{
	if (vn_md_array_running(ctx, md))
		return 0;
	if (!vn_exists(ctx, "/sys/block/%s/md", md))
		return vn_invalid_errno(ctx, -ENODEV, "%s: no such array", md);
	return vn_fail(ctx, -ENODEV, "%s is not running", md);
}

/* ---- members of a running array ---- */

static int member_of(struct vn_ctx *ctx, const char *md_arg, const char *dev,
		     char *md, size_t mdlen, struct vn_blkdev *blk)
{
	int r = vn_md_name(ctx, md_arg, md, mdlen, NULL);

	if (r < 0)
		return r;
	r = vn_md_running_or_invalid(ctx, md);
	if (r < 0)
		return r;
	r = vn_blk_get(ctx, dev, blk);
	if (r < 0)
		return r;
	if (!vn_exists(ctx, "/sys/block/%s/md/dev-%s", md, blk->name))
		return vn_invalid(ctx, "%s is not a member of %s", dev, md);
	return 0;
}

int vn_md_fail(struct vn_ctx *ctx, const char *md_arg, const char *dev)
{
	struct vn_blkdev blk;
	char md[VN_NAME_MAX];
	int r;

	r = member_of(ctx, md_arg, dev, md, sizeof(md), &blk);
	if (r < 0)
		return r;
	r = vn_write_str(ctx, "faulty", "/sys/block/%s/md/dev-%s/state", md, blk.name);
	if (r == -EBUSY)
		return vn_refuse(ctx, r, false, "failing %s would break %s", dev, md);
	if (r < 0)
		return vn_fail(ctx, r, "%s: cannot mark %s faulty: %s", md, dev, strerror(-r));
	return 0;
}

/* dev-@name/state "remove", retried as mdadm does. Return: 0 or -errno. */
static int remove_member(struct vn_ctx *ctx, const char *md, const char *name)
{
	int r = 0;

	for (unsigned int i = 0; i < REMOVE_RETRIES; i++) {
		r = vn_write_str(ctx, "remove", "/sys/block/%s/md/dev-%s/state", md, name);
		if (r != -EBUSY)
			break;
		vn_msleep(10);
	}
	return r;
}

int vn_md_remove(struct vn_ctx *ctx, const char *md_arg, const char *dev)
{
	struct vn_blkdev blk;
	char md[VN_NAME_MAX];
	int r = 0;

	r = member_of(ctx, md_arg, dev, md, sizeof(md), &blk);
	if (r < 0)
		return r;
	r = remove_member(ctx, md, blk.name);
	if (r == -EBUSY)
		return vn_refuse(ctx, r, false, "%s is an active member of %s: "
				 "fail it first", dev, md);
	if (r < 0)
		return vn_fail(ctx, r, "%s: cannot remove %s: %s", md, dev, strerror(-r));
	return 0;
}

/* A working member's superblock: the template for a new device. */
static int template_sb(struct vn_ctx *ctx, const struct vn_md_status *st,
		       struct vn_md_sb *sb)
{
	for (unsigned int i = 0; i < st->nmembers; i++) {
		const struct vn_md_member *m = &st->members[i];

		if (!m->faulty && !m->journal && m->slot >= 0 && vn_md_read_sb(ctx, m->name, sb) == 0)
			return 0;
	}
	return vn_fail(ctx, -ENODEV, "%s: no working member to copy the superblock "
		       "from", st->name);
}

/* mdadm Manage_add: the first number >= raid_disks that no device uses. */
static uint32_t free_number(const struct vn_md_status *st, uint32_t raid_disks)
{
	for (uint32_t num = raid_disks;; num++) {
		bool used = false;

		for (unsigned int i = 0; i < st->nmembers; i++)
			used |= st->members[i].number == (int)num;
		if (!used)
			return num;
	}
}

static int add_device(struct vn_ctx *ctx, const char *md, struct md_dev *d,
		      const struct vn_md_status *st)
{
	mdu_disk_info_t disk = { 0 };
	_cleanup_close_ int fd = -1;
	char a[32];
	int r;

	r = template_sb(ctx, st, &d->sb);
	if (r < 0)
		return r;
	if (d->sectors < d->sb.data_offset + d->sb.size)
		return vn_refuse(ctx, -ENOSPC, false, "%s is too small: %s, the array "
				 "needs %s", d->arg, vn_size_format(d->sectors * VN_SECTOR_SIZE, a,
				 sizeof(a)), "more");
	d->sb.dev_number = free_number(st, d->sb.raid_disks);
	d->sb.events = 0;
	d->sb.data_size = d->sectors - d->sb.data_offset;
	d->sb.recovery_offset = 0;
	d->sb.feature_map &= ~0x2u;	/* MD_FEATURE_RECOVERY_OFFSET */
	vn_random_bytes(d->sb.device_uuid, sizeof(d->sb.device_uuid));
	if (d->sb.dev_number < d->sb.max_dev)
		d->sb.dev_roles[d->sb.dev_number] = VN_MD_ROLE_SPARE;
	d->journal = false;
	r = vn_md_write_superblocks(ctx, d, 1, false);
	if (r < 0)
		return r;
	disk = (mdu_disk_info_t){ .number = (int)d->sb.dev_number,
				  .major = (int)d->blk.major, .minor = (int)d->blk.minor };
	if (!vn_ctx_dry_run(ctx)) {
		fd = vn_md_open_dev(ctx, md, O_RDWR);
		if (fd < 0)
			return vn_fail(ctx, fd, "cannot open /dev/%s: %s", md, strerror(-fd));
	}
	vn_md_release(d, 1);	/* md claims it itself */
	r = vn_md_ioctl(ctx, fd, md, ADD_NEW_DISK, "ADD_NEW_DISK", &disk);
	if (r < 0) {
		r = vn_fail(ctx, r, "%s: the kernel refused %s: %s", md, d->arg,
			    strerror(-r));
		(void)vn_md_erase_superblocks(ctx, d, 1);
	}
	return r;
}

int vn_md_add(struct vn_ctx *ctx, const char *md_arg, const char *dev, bool force)
{
	struct vn_md_status *st = malloc(sizeof(*st));
	struct md_dev *d = calloc(1, sizeof(*d));
	int r;

	if (!st || !d) {
		r = vn_fail(ctx, -ENOMEM, "out of memory");
		goto out;
	}
	r = vn_md_status(ctx, md_arg, st);
	if (r < 0)
		goto out;
	d->arg = dev;
	r = vn_md_check_free(ctx, "device", d, force);
	if (r < 0)
		goto out;
	r = add_device(ctx, st->name, d, st);
	vn_md_release(d, 1);
out:
	free(st);
	free(d);
	return r;
}

/*
 * A new write journal in place of a failed or missing one (mdadm's
 * --add-journal). md adds a journal only with the array suspended and,
 * as mdadm insists, read-only: an array whose journal is missing starts
 * read-only, and the journal's log replaces nothing the disks still need
 * only if the array was stopped clean. Then the array goes read-write.
 */
static int journal_add_checks(struct vn_ctx *ctx, const struct vn_md_status *st,
			      const struct vn_md_sb *sb, bool force)
{
	char state[32];

	if (!(sb->feature_map & VN_MD_FEATURE_JOURNAL))
		return vn_refuse(ctx, -EINVAL, false, "%s was made without a write journal: "
				 "vnvme adds one only in place of a failed or missing journal",
				 st->name);
	for (unsigned int i = 0; i < st->nmembers && i < VN_MD_MEMBERS_MAX; i++)
		if (st->members[i].journal && !st->members[i].faulty)
			return vn_refuse(ctx, -EEXIST, false, "%s already has a working journal, "
					 "/dev/%s", st->name, st->members[i].name);
	vn_md_array_state(ctx, st->name, state, sizeof(state));
	if (strcmp(state, "readonly") != 0)
		return vn_refuse(ctx, -EBUSY, false, "md adds a journal only to a read-only "
				 "array and %s is %s: stop it, then 'vnvme raid assemble "
				 "--force' starts it read-only without its journal", st->name,
				 state[0] ? state : "not running");
	if (sb->resync_offset != VN_MD_MAX_SECTOR && !force)
		return vn_refuse(ctx, -EUCLEAN, true, "%s was not stopped clean: its lost journal "
				 "may hold writes the disks lack, which a new journal gives up; "
				 "check the parity after it", st->name);
	return 0;
}

/*
 * An add-journal cut off (killed, the machine lost) after md took @dev as
 * the journal but before the array went read-write leaves a read-only
 * array whose working journal is @dev: the same command finishes it.
 * 1 when it did, 0 when that is not the case, or a negative errno.
 */
static int finish_cut_add(struct vn_ctx *ctx, const struct vn_md_status *st, const char *dev)
{
	struct vn_blkdev blk;
	char state[32];
	int r;

	for (unsigned int i = 0; i < st->nmembers && i < VN_MD_MEMBERS_MAX; i++) {
		if (!st->members[i].journal || st->members[i].faulty)
			continue;
		r = vn_blk_get(ctx, dev, &blk);
		if (r < 0)
			return r;
		vn_md_array_state(ctx, st->name, state, sizeof(state));
		if (strcmp(blk.name, st->members[i].name) != 0 || strcmp(state, "readonly") != 0)
			return 0;
		r = vn_write_str(ctx, "active", "/sys/block/%s/md/array_state", st->name);
		if (r < 0)
			return vn_fail(ctx, r, "%s: the journal %s is in, but the array stays "
				       "read-only: %s", st->name, dev, strerror(-r));
		return 1;
	}
	return 0;
}

int vn_md_add_journal(struct vn_ctx *ctx, const char *md_arg, const char *dev, bool force)
{
	struct vn_md_status *st = malloc(sizeof(*st));
	struct md_dev *d = calloc(1, sizeof(*d));
	mdu_disk_info_t disk = { 0 };
	_cleanup_close_ int fd = -1;
	char a[32], b[32];
	int r;

	if (!st || !d) {
		r = vn_fail(ctx, -ENOMEM, "out of memory");
		goto out;
	}
	r = vn_md_status(ctx, md_arg, st);
	if (r >= 0)
		r = template_sb(ctx, st, &d->sb);
	if (r >= 0) {
		r = finish_cut_add(ctx, st, dev);
		if (r != 0)
			goto out;	/* finished (1), or an error */
	}
	if (r >= 0)
		r = journal_add_checks(ctx, st, &d->sb, force);
	for (unsigned int i = 0; r >= 0 && i < st->nmembers && i < VN_MD_MEMBERS_MAX; i++) {
		if (!st->members[i].journal)
			continue;	/* only a faulty one is left: take it out */
		r = remove_member(ctx, st->name, st->members[i].name);
		if (r < 0)
			r = vn_fail(ctx, r, "%s: cannot remove its faulty journal /dev/%s: %s",
				    st->name, st->members[i].name, strerror(-r));
	}
	if (r < 0)
		goto out;
	d->arg = dev;
	d->journal = true;
	r = vn_md_check_free(ctx, "journal", d, force);
	if (r < 0)
		goto out;
	if (d->sectors < d->sb.data_offset + JOURNAL_MIN_SECTORS) {
		r = vn_refuse(ctx, -ENOSPC, false, "%s is too small for a journal: %s, at least "
			      "%s needed", dev, vn_size_format(d->sectors * VN_SECTOR_SIZE, a,
			      sizeof(a)), vn_size_format((d->sb.data_offset + JOURNAL_MIN_SECTORS) *
			      VN_SECTOR_SIZE, b, sizeof(b)));
		goto out;
	}
	/*
	 * The events stay the members': md takes a device with fewer for a
	 * plain hot-add and leaves it no role, which a journal add on a
	 * read-only array refuses (EINVAL).
	 */
	d->sb.dev_number = free_number(st, d->sb.raid_disks);
	d->sb.data_size = d->sectors - d->sb.data_offset;
	d->sb.recovery_offset = 0;	/* journal_tail: the log starts at its start */
	d->sb.feature_map &= ~0x2u;	/* MD_FEATURE_RECOVERY_OFFSET */
	vn_random_bytes(d->sb.device_uuid, sizeof(d->sb.device_uuid));
	if (d->sb.dev_number >= d->sb.max_dev) {
		r = vn_refuse(ctx, -ENOSPC, false, "%s has no free device number for a journal",
			      st->name);
		goto out;
	}
	d->sb.dev_roles[d->sb.dev_number] = VN_MD_ROLE_JOURNAL;
	r = vn_md_write_superblocks(ctx, d, 1, false);
	if (r < 0)
		goto out;
	/* a read-only array takes ADD_NEW_DISK only with MD_DISK_SYNC, for a
	 * device whose superblock gives it that role (the journal: raid_disk 0) */
	disk = (mdu_disk_info_t){ .number = (int)d->sb.dev_number,
				  .major = (int)d->blk.major, .minor = (int)d->blk.minor,
				  .raid_disk = 0,
				  .state = (1 << MD_DISK_JOURNAL_BIT) | (1 << MD_DISK_SYNC_BIT) };
	if (!vn_ctx_dry_run(ctx)) {
		fd = vn_md_open_dev(ctx, st->name, O_RDWR);
		if (fd < 0) {
			r = vn_fail(ctx, fd, "cannot open /dev/%s: %s", st->name, strerror(-fd));
			(void)vn_md_erase_superblocks(ctx, d, 1);
			goto out;
		}
	}
	vn_md_release(d, 1);	/* md claims it itself */
	r = vn_md_ioctl(ctx, fd, st->name, ADD_NEW_DISK, "ADD_NEW_DISK (journal)", &disk);
	if (r < 0) {
		r = vn_fail(ctx, r, "%s: the kernel refused %s as its journal: %s", st->name,
			    dev, strerror(-r));
		(void)vn_md_erase_superblocks(ctx, d, 1);
		goto out;
	}
	/* md's restart_array: read-write again now that a journal works */
	r = vn_write_str(ctx, "active", "/sys/block/%s/md/array_state", st->name);
	if (r < 0)
		r = vn_fail(ctx, r, "%s: the journal %s is in, but the array stays read-only: "
			    "%s", st->name, dev, strerror(-r));
out:
	if (d)
		vn_md_release(d, 1);
	free(st);
	free(d);
	return r;
}

/* Undo vn_md_add() of @dev: remove it from @md and erase its superblock. */
static void take_out_spare(struct vn_ctx *ctx, const char *md, const char *dev)
{
	struct md_dev *d = calloc(1, sizeof(*d));
	struct vn_err_saved why;
	char what[VN_PATH_MAX];
	int r;

	vn_err_save(ctx, &why);
	snprintf(what, sizeof(what), "%s stays in %s as a spare", dev, md);
	r = d ? vn_md_remove(ctx, md, dev) : -ENOMEM;
	if (r == 0) {
		d->arg = dev;
		d->written = true;
		r = vn_blk_get(ctx, dev, &d->blk);
		snprintf(what, sizeof(what), "%s was taken out of %s but keeps its md "
			 "superblock", dev, md);
	}
	vn_err_restore(ctx, &why, r, what);
	if (r == 0 && vn_md_erase_superblocks(ctx, d, 1) == 1)
		vn_note(ctx, false, "%s taken out of %s again", dev, md);
	free(d);
}

/* A member's sysfs attribute ("slot", "state") into @buf; < 0 when it is gone. */
static int member_attr(const struct vn_ctx *ctx, const char *md, const char *dev,
		       const char *attr, char *buf, size_t len)
{
	buf[0] = '\0';
	return vn_read_str(ctx, buf, len, "/sys/block/%s/md/dev-%s/%s", md, dev, attr);
}

/* md gives spares slots only between syncs: a check or resync runs first. */
static int md_syncing(const struct vn_ctx *ctx, const char *md)
{
	char action[32];

	return vn_read_str(ctx, action, sizeof(action), "/sys/block/%s/md/sync_action",
			   md) > 0 && strcmp(action, "idle") && strcmp(action, "frozen");
}

/*
 * Writing want_replacement (or adding a spare to a degraded array) only asks
 * md for a copy (MD_RECOVERY_NEEDED): sync_action reads "idle" until md's
 * thread has given the spare a slot and started, so a wait begun at once
 * would return at once. md sets the slot a moment before it says the copy
 * runs: NEW is in use once it has a slot and the copy runs or is over (NEW
 * in_sync); or OLD (when given) is faulty or gone.
 */
static int spare_in_use(const struct vn_ctx *ctx, const char *md, const char *new,
			const char *old)
{
	char buf[64];

	if (old && (member_attr(ctx, md, old, "state", buf, sizeof(buf)) < 0 ||
		    strstr(buf, "faulty")))
		return 1;
	if (member_attr(ctx, md, new, "slot", buf, sizeof(buf)) <= 0 || !strcmp(buf, "none"))
		return 0;
	return md_syncing(ctx, md) ||
	       (member_attr(ctx, md, new, "state", buf, sizeof(buf)) > 0 &&
		strstr(buf, "in_sync"));
}

/*
 * Failed (beyond its level's redundancy, or without its journal): md
 * rebuilds nothing, and taking members out of it would only spoil a forced
 * assembly of those that hold the data. Why, into @why.
 */
static bool md_failed(struct vn_ctx *ctx, const char *md, char *why, size_t len)
{
	struct vn_md_status *st = malloc(sizeof(*st));
	struct vn_health_report *rep = calloc(1, sizeof(*rep));
	bool failed = st && rep && vn_md_status(ctx, md, st) == 0 &&
		      vn_health_md(st, rep) == VN_HEALTH_FAILED;

	vn_strlcpy(why, "it has failed", len);
	for (unsigned int i = 0; failed && i < rep->n; i++)
		if (rep->notes[i].health == VN_HEALTH_FAILED) {
			vn_strlcpy(why, rep->notes[i].text, len);
			break;
		}
	vn_ctx_clear_error(ctx);
	free(st);
	free(rep);
	return failed;
}

/* Seconds md gets, with no other sync running, to start using the spare;
 * its thread normally takes milliseconds. */
#define SPARE_START_MS 30000

/*
 * Until md uses NEW (see spare_in_use). With OLD NULL (it was faulty and is
 * out), an array made whole meanwhile by another spare ends the wait: NEW
 * stays a spare. A signal stops it (-EINTR).
 */
static int wait_spare_used(struct vn_ctx *ctx, const char *md, const char *new_dev,
			   const char *old)
{
	struct vn_blkdev nb;
	uint64_t start = now_ms(), degraded;
	char why[256];
	int r = vn_blk_get(ctx, new_dev, &nb);

	while (r == 0 && !spare_in_use(ctx, md, nb.name, old)) {
		r = vn_stop_point(ctx, "md-replace-wait");
		if (r < 0)
			break;
		if (md_syncing(ctx, md)) {
			start = now_ms();
		} else if (md_failed(ctx, md, why, sizeof(why))) {
			r = vn_fail(ctx, -EIO, "%s: %s: nothing is rebuilt onto %s", md, why,
				    new_dev);
		} else if (!old && vn_read_u64(ctx, &degraded, "/sys/block/%s/md/degraded",
					       md) == 0 && degraded == 0) {
			break;
		} else if (now_ms() - start >= SPARE_START_MS) {
			r = vn_fail(ctx, -ETIMEDOUT, "%s: md did not start copying onto %s "
				    "within %d s%s", md, new_dev, SPARE_START_MS / 1000,
				    vn_read_str(ctx, why, sizeof(why),
						"/sys/block/%s/md/sync_action", md) > 0 &&
				    !strcmp(why, "frozen") ? " (its sync_action is frozen)" : "");
		}
		if (r == 0)
			vn_msleep(POLL_MS);
	}
	return r;
}

/* No copy of @dev pending behind the next spare anyone adds. */
static void withdraw_replacement(struct vn_ctx *ctx, const char *md, const char *dev)
{
	(void)vn_write_str(ctx, "-want_replacement", "/sys/block/%s/md/dev-%s/state", md, dev);
}

int vn_md_replace_unfinished(struct vn_ctx *ctx, const char *md_arg, const char *old)
{
	struct vn_blkdev blk;
	char md[VN_NAME_MAX], state[64];

	if (vn_md_name(ctx, md_arg, md, sizeof(md), NULL) < 0 ||
	    vn_blk_get(ctx, old, &blk) < 0) {
		vn_ctx_clear_error(ctx);
		return 0;
	}
	if (member_attr(ctx, md, blk.name, "state", state, sizeof(state)) < 0 ||
	    strstr(state, "faulty"))
		return 0;
	withdraw_replacement(ctx, md, blk.name);
	vn_ctx_clear_error(ctx);
	return 1;
}

int vn_md_replace(struct vn_ctx *ctx, const char *md_arg, const char *old,
		  const char *new_dev, bool force)
{
	struct vn_blkdev blk;
	char md[VN_NAME_MAX], state[64], slot[32], why[256];
	int r;

	r = member_of(ctx, md_arg, old, md, sizeof(md), &blk);
	if (r < 0)
		return r;
	if (md_failed(ctx, md, why, sizeof(why)))
		return vn_refuse(ctx, -EIO, false, "%s: %s: nothing can be rebuilt onto %s",
				 md, why, new_dev);
	(void)member_attr(ctx, md, blk.name, "state", state, sizeof(state));
	(void)member_attr(ctx, md, blk.name, "slot", slot, sizeof(slot));
	if (!strcmp(slot, "journal"))
		return vn_invalid_errno(ctx, -EINVAL, "%s is the journal of %s, which md "
					"does not copy (a failed journal: raid add-journal)",
					old, md);
	if (vn_md_state_has(state, "replacement"))
		return vn_refuse(ctx, -EBUSY, false, "%s is itself a copy in progress in %s: "
				 "wait for it (raid wait)", old, md);
	if (strstr(state, "faulty") || !strcmp(slot, "none")) {
		/* already failed, or a spare: take it out, add the new one (md
		 * recovers onto it where a member is missing; a spare md has not
		 * used within the time stays a spare) */
		r = vn_md_remove(ctx, md, old);
		if (r == 0)
			r = vn_md_add(ctx, md, new_dev, force);
		if (r == 0 && !vn_ctx_dry_run(ctx) && strstr(state, "faulty"))
			r = wait_spare_used(ctx, md, new_dev, NULL);
		return r;
	}
	r = vn_md_add(ctx, md, new_dev, force);
	if (r < 0)
		return r;
	r = vn_stop_point(ctx, "md-replace");
	if (r == 0) {
		r = vn_write_str(ctx, "want_replacement", "/sys/block/%s/md/dev-%s/state",
				 md, blk.name);
		if (r < 0)
			r = vn_fail(ctx, r, "%s: cannot mark %s for replacement: %s", md,
				    old, strerror(-r));
		else if (!vn_ctx_dry_run(ctx) &&
			 (r = wait_spare_used(ctx, md, new_dev, blk.name)) < 0)
			withdraw_replacement(ctx, md, blk.name);
	}
	if (r < 0)
		take_out_spare(ctx, md, new_dev);
	return r;
}

/* vn_md_examine(): the public face of vn_md_read_sb(), for the stack's identity. */
int vn_md_examine(struct vn_ctx *ctx, const char *dev, struct vn_md_sb *ret)
{
	return vn_md_read_sb(ctx, vn_basename(dev), ret);
}
