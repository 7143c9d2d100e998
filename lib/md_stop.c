// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * Stopping an md array and switching its journal's mode: the two places
 * where md quiesces a raid5 with a write journal, and where its kernel bugs
 * are (the stop hang, the 6.7+ BUG after a switch, 6.12 keeping the journal
 * disk's discard off). Part of the md module (see lib/md.c).
 */
#include "md_private.h"

/* ---- stop ---- */

/*
 * The raid5-cache stop hang (tests/lab/t-raid-stop.sh): with the journal in
 * write-back, a raised stripe_cache_size and heavy random writes, STOP_ARRAY
 * sleeps in raid5_quiesce() for good, the array in "write-pending". Why
 * (md.c, raid5.c, raid5-cache.c of 6.1 and 6.12): a quiesce writes every
 * cached stripe out while its caller holds the array's reconfig mutex. That
 * frees journal space, and the journal's reclaim records the new log tail
 * with r5l_write_super_and_discard_space(): on a journal device that can
 * discard, it sets MD_SB_CHANGE_PENDING before it tries the mutex, to have the
 * superblock written ahead of the discard. The mutex is taken, so the
 * superblock is not written, and while the change is pending handle_stripe()
 * leaves every stripe alone: the stripes the quiesce waits for never finish.
 * Without discard the reclaim only notes the tail (MD_SB_CHANGE_DEVS) and the
 * quiesce ends. So vnvme sets the journal disk's queue/discard_max_bytes to 0
 * for the time of a quiesce it starts, and puts the value back after (the
 * journal then skips the discard of its freed space, which it does anyway
 * when the mutex is busy). Measured on 6.12 (t-raid-stop's load): the
 * write-back stop hung in the first round with discard, and took 16-19 s in
 * 5 of 5 rounds without it; mdadm --stop 3 of 3.
 *
 * Up to 6.6 mddev_suspend() quiesced too, and let md's thread write the
 * superblock for the mutex holder (MD_ALLOW_SB_UPDATE): writing journal_mode
 * wrote the cached stripes out and never hung, so vnvme switched to
 * write-through before stopping. 6.7 (md's suspend rework) dropped both: the
 * switch leaves the cached stripes in their caching phase, and the next
 * quiesce hits BUG_ON(!r5c_is_writeback) in r5c_make_stripe_write_out (seen
 * on Debian 13's 6.12 after mdadm --stop). There the stop stays in
 * write-back, and a switch to write-through first writes the cache out (see
 * write_through_drained()).
 */
static bool journal_switch_flushes(struct vn_ctx *ctx)
{
	char rel[64];
	unsigned int major = 0, minor = 0;

	if (vn_read_str(ctx, rel, sizeof(rel), "/proc/sys/kernel/osrelease") <= 0 ||
	    sscanf(rel, "%u.%u", &major, &minor) != 2)
		return true;	/* unknown: as the kernels vnvme was built on */
	return major < 6 || (major == 6 && minor < 7);
}

/*
 * The same 6.7+ change hits md's own switch: on a degraded array md turns
 * write-back off by itself, and with stripes in their caching phase the
 * next release of one hits BUG_ON(!r5c_is_writeback) in
 * r5c_make_stripe_write_out: md's thread dies and the array hangs. Seen on
 * Debian 13's 6.12 when a member failed under write load
 * (tests/lab/t-disk-fail.sh); 6.1 goes on degraded in write-through.
 */
bool vn_md_writeback_fails_on_degrade(struct vn_ctx *ctx)
{
	return !journal_switch_flushes(ctx);
}

/* The journal disk's discard, off for the time of a quiesce (see above). */
struct discard_guard {
	char disk[VN_NAME_MAX];
	char saved[32];		/* discard_max_bytes to put back; "" if untouched */
};

static int discard_off(struct vn_ctx *ctx, const char *md, struct discard_guard *g)
{
	struct vn_md_status *st = malloc(sizeof(*st));
	struct vn_blkdev b;
	const char *journal = NULL;
	uint64_t gran = 0, max = 0;
	int r;

	memset(g, 0, sizeof(*g));
	if (!st)
		return vn_fail(ctx, -ENOMEM, "out of memory");
	r = vn_md_status(ctx, md, st);
	for (unsigned int i = 0; r == 0 && i < st->nmembers; i++)
		if (st->members[i].journal && !st->members[i].faulty)
			journal = st->members[i].name;
	if (r == 0 && journal)
		r = vn_blk_get(ctx, journal, &b);
	free(st);
	if (r < 0)
		vn_ctx_clear_error(ctx);	/* stop anyway, unguarded, as before */
	if (r < 0 || !journal)
		return 0;
	if (vn_read_str(ctx, g->saved, sizeof(g->saved), "/sys/block/%s/queue/discard_max_bytes",
			b.disk) <= 0 || strcmp(g->saved, "0") == 0) {
		g->saved[0] = '\0';	/* no discard to turn off */
		return 0;
	}
	vn_strlcpy(g->disk, b.disk, sizeof(g->disk));
	/*
	 * The value read back is the device's own limit, which need not be a
	 * multiple of the discard granularity the store insists on: put back
	 * the next multiple up, which the kernel caps at that same limit.
	 */
	if (vn_read_u64(ctx, &gran, "/sys/block/%s/queue/discard_granularity", g->disk) == 0 &&
	    gran > 1 && sscanf(g->saved, "%" SCNu64, &max) == 1 && max % gran)
		snprintf(g->saved, sizeof(g->saved), "%" PRIu64, (max / gran + 1) * gran);
	r = vn_write_str(ctx, "0", "/sys/block/%s/queue/discard_max_bytes", g->disk);
	if (r < 0) {
		g->saved[0] = '\0';
		return vn_fail(ctx, r, "%s: cannot turn off discard on its journal's disk %s "
			       "(md's quiesce can hang with it): %s", md, g->disk, strerror(-r));
	}
	if (vn_ctx_dry_run(ctx))
		g->saved[0] = '\0';
	return 0;
}

/*
 * 6.12 (its queue limits rework) cannot put it back: a discard_max_bytes of 0
 * also zeroes discard_granularity, and from then on every other value is
 * refused with EIO, a rescan of the device included (measured on Debian 13's
 * 6.12); 6.1 takes it back. Then the context's message says so, for the
 * caller to warn even when the operation succeeded.
 */
static void discard_restore(struct vn_ctx *ctx, struct discard_guard *g)
{
	if (g->saved[0] && vn_write_str(ctx, g->saved, "/sys/block/%s/queue/discard_max_bytes",
					g->disk) < 0)
		vn_note(ctx, false, "discard stays off on %s: this kernel does not take "
			"queue/discard_max_bytes back once it was 0 (until the disk is "
			"probed again, e.g. at the next boot)", g->disk);
	g->saved[0] = '\0';
}

static int drain_journal(struct vn_ctx *ctx, const char *md, int fd, bool *ret_switched)
{
	char text[64], mode[16];
	uint64_t active = 0;
	int r;

	*ret_switched = false;
	if (vn_read_str(ctx, text, sizeof(text), "/sys/block/%s/md/journal_mode", md) <= 0)
		return 0;	/* no journal */
	vn_md_bracketed(text, mode, sizeof(mode));
	if (strcmp(mode, "write-back") == 0 && !journal_switch_flushes(ctx)) {
		/* stop in write-back: STOP_ARRAY's quiesce flushes the cache */
		if (vn_action(ctx, "flush /dev/%s (journal stays in write-back)", md))
			(void)fsync(fd);
		return 0;
	}
	if (strcmp(mode, "write-back") == 0) {
		r = vn_write_str(ctx, "write-through", "/sys/block/%s/md/journal_mode", md);
		if (r < 0)
			return vn_fail(ctx, r, "%s: cannot switch the journal to "
				       "write-through before stopping: %s", md, strerror(-r));
		*ret_switched = true;
	}
	if (!vn_action(ctx, "flush /dev/%s and wait for its stripe cache to drain", md))
		return 0;
	(void)fsync(fd);
	for (unsigned int t = 0; t < DRAIN_WAIT_MS; t += POLL_MS) {
		if (vn_read_u64(ctx, &active, "/sys/block/%s/md/stripe_cache_active", md) < 0 ||
		    active == 0)
			return 0;
		vn_msleep(POLL_MS);
	}
	return vn_fail(ctx, -ETIMEDOUT, "%s: %" PRIu64 " stripes still active after "
		       "%u s; not stopping it", md, active, DRAIN_WAIT_MS / 1000);
}

static int stop_checks(struct vn_ctx *ctx, const char *md)
{
	char desc[300];

	if (!vn_exists(ctx, "/sys/block/%s/md", md))	/* bad input: exit 2 */
		return vn_invalid_errno(ctx, -ENODEV, "%s: no such array", md);
	if (vn_md_held(ctx, md, desc, sizeof(desc)))
		return vn_refuse(ctx, -EBUSY, false, "%s is in use: %s", md, desc);
	return 0;
}

/*
 * The stop failed after the journal was switched to write-through: give it
 * write-back back, or say loudly (VN_ERR_PARTIAL) that it stays changed.
 * Return: @r.
 */
static int stop_failed(struct vn_ctx *ctx, const char *md, bool switched, int r)
{
	struct vn_err_saved why;
	char what[VN_NAME_MAX + 64];

	if (!switched)
		return r;
	vn_err_save(ctx, &why);
	snprintf(what, sizeof(what), "the journal of %s stays in write-through", md);
	vn_err_restore(ctx, &why, vn_write_str(ctx, "write-back",
					       "/sys/block/%s/md/journal_mode", md), what);
	if (vn_ctx_error_kind(ctx) != VN_ERR_PARTIAL)
		vn_note(ctx, false, "journal back in write-back");
	return r;
}

static int stop_array(struct vn_ctx *ctx, const char *md, int fd, bool switched)
{
	int r = 0;

	for (unsigned int i = 0; i < STOP_RETRIES; i++) {
		if (ioctl(fd, STOP_ARRAY, NULL) == 0)
			return 0;
		r = -errno;
		if (r != -EBUSY)
			break;
		vn_msleep(STOP_RETRY_MS);
	}
	if (r == -EBUSY)
		r = vn_refuse(ctx, r, false, "%s is open by another program (the kernel "
			      "refused to stop it)", md);
	else
		r = vn_fail(ctx, r, "%s: STOP_ARRAY failed: %s", md, strerror(-r));
	return stop_failed(ctx, md, switched, r);
}

int vn_md_stop(struct vn_ctx *ctx, const char *md_arg)
{
	_cleanup_close_ int fd = -1;
	struct discard_guard guard = { .saved = "" };
	char md[VN_NAME_MAX];
	bool switched = false;
	int r;

	r = vn_md_name(ctx, md_arg, md, sizeof(md), NULL);
	if (r < 0)
		return r;
	r = stop_checks(ctx, md);
	if (r < 0)
		return r;
	fd = vn_md_open_dev(ctx, md, O_RDONLY | O_EXCL);
	if (fd == -EBUSY)
		return vn_refuse(ctx, -EBUSY, false, "%s is open by another program", md);
	if (fd < 0)
		return vn_fail(ctx, fd, "cannot open /dev/%s: %s", md, strerror(-fd));
	if (vn_md_array_running(ctx, md)) {
		r = discard_off(ctx, md, &guard);
		if (r == 0)
			r = drain_journal(ctx, md, fd, &switched);
		if (r < 0) {
			discard_restore(ctx, &guard);
			return stop_failed(ctx, md, switched, r);
		}
	}
	r = vn_action(ctx, "ioctl STOP_ARRAY on /dev/%s", md) ? stop_array(ctx, md, fd, switched) : 0;
	discard_restore(ctx, &guard);
	return r < 0 ? r : vn_md_unlink(ctx, md);
}

/* ---- journal mode ---- */

static int set_mode_checks(struct vn_ctx *ctx, const char *md, const char *mode,
			   bool force)
{
	struct vn_md_status *st;
	int r;

	if (strcmp(mode, "write-back") != 0 && strcmp(mode, "write-through") != 0)
		return vn_invalid(ctx, "'%s' is not write-back or write-through", mode);
	if (strcmp(mode, "write-back") != 0)
		return 0;	/* write-through is always the safe direction */
	st = malloc(sizeof(*st));
	if (!st)
		return vn_fail(ctx, -ENOMEM, "out of memory");
	r = vn_md_status(ctx, md, st);
	if (r == 0 && st->degraded)
		r = vn_refuse(ctx, -EINVAL, false, "%s is degraded (%u missing): md keeps "
			      "a degraded array's journal in write-through", md, st->degraded);
	else if (r == 0 && st->syncing && !force)
		r = vn_refuse(ctx, -EBUSY, true, "%s: %s runs (%.1f%%); wait for it "
			      "(vnvme raid wait) before write-back", md, st->sync_action,
			      st->sync_percent < 0 ? 0.0 : st->sync_percent);
	free(st);
	return r;
}

/*
 * From 6.7 a switch from write-back to write-through leaves the cached
 * stripes in their caching phase, and the next quiesce (a stop) hits a kernel
 * BUG (see journal_switch_flushes()). So the cache is written out first, still
 * in write-back: writes to the array held back (suspend_lo..suspend_hi over
 * all of it, so that no stripe is cached again), a quiesce with the journal
 * disk's discard off (writing group_thread_cnt its own value: its store
 * quiesces from 6.12, md commit fa1944bbe622), the switch, then writes let
 * through again.
 */
static int write_through_drained(struct vn_ctx *ctx, const char *md)
{
	struct discard_guard guard;
	char lo[32], hi[32], size[32], cnt[16];
	int r;

	if (vn_read_str(ctx, lo, sizeof(lo), "/sys/block/%s/md/suspend_lo", md) <= 0 ||
	    vn_read_str(ctx, hi, sizeof(hi), "/sys/block/%s/md/suspend_hi", md) <= 0 ||
	    vn_read_str(ctx, size, sizeof(size), "/sys/block/%s/size", md) <= 0 ||
	    vn_read_str(ctx, cnt, sizeof(cnt), "/sys/block/%s/md/group_thread_cnt", md) <= 0)
		return vn_fail(ctx, -ENOTSUP, "%s: cannot read md's suspend_lo, suspend_hi "
			       "and group_thread_cnt to write the journal's cache out", md);
	r = discard_off(ctx, md, &guard);
	if (r < 0)
		return r;
	r = vn_write_str(ctx, size, "/sys/block/%s/md/suspend_hi", md);
	if (r == 0)
		r = vn_write_str(ctx, "0", "/sys/block/%s/md/suspend_lo", md);
	if (r == 0)
		r = vn_write_str(ctx, cnt, "/sys/block/%s/md/group_thread_cnt", md);
	if (r == 0)
		r = vn_write_str(ctx, "write-through", "/sys/block/%s/md/journal_mode", md);
	(void)vn_write_str(ctx, lo, "/sys/block/%s/md/suspend_lo", md);
	(void)vn_write_str(ctx, hi, "/sys/block/%s/md/suspend_hi", md);
	discard_restore(ctx, &guard);
	return r;
}

int vn_md_journal_mode(struct vn_ctx *ctx, const char *md_arg, const char *mode,
		       bool force, char *ret, size_t len)
{
	char md[VN_NAME_MAX], text[64], cur[16];
	int r;

	r = vn_md_name(ctx, md_arg, md, sizeof(md), NULL);
	if (r < 0)
		return r;
	r = vn_md_running_or_invalid(ctx, md);
	if (r < 0)
		return r;
	r = vn_read_str(ctx, text, sizeof(text), "/sys/block/%s/md/journal_mode", md);
	if (r <= 0)
		return vn_refuse(ctx, -ENODEV, false, "%s has no write journal", md);
	if (mode) {
		r = set_mode_checks(ctx, md, mode, force);
		if (r < 0)
			return r;
		vn_md_bracketed(text, cur, sizeof(cur));
		if (strcmp(mode, "write-through") == 0 && strcmp(cur, "write-back") == 0 &&
		    !journal_switch_flushes(ctx))
			r = write_through_drained(ctx, md);
		else
			r = vn_write_str(ctx, mode, "/sys/block/%s/md/journal_mode", md);
		if (r < 0)
			return vn_fail(ctx, r, "%s: the kernel refused journal mode %s: %s",
				       md, mode, strerror(-r));
		if (vn_ctx_dry_run(ctx)) {
			vn_strlcpy(ret, mode, len);
			return 0;
		}
		(void)vn_read_str(ctx, text, sizeof(text), "/sys/block/%s/md/journal_mode", md);
	}
	vn_md_bracketed(text, ret, len);
	return 0;
}
