// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * md RAID-4/5/6 tuning: the stripe cache that a write-back journal caches
 * into, and raid5d's worker threads. md forgets both at every start, so
 * vnvme applies its rule after `raid create` and `raid assemble`.
 *
 * Why the stripe cache decides what a write-back journal gives (Linux 6.1,
 * drivers/md/raid5-cache.c):
 *  - A write to a write-back journal is logged on the journal device and kept
 *    in the stripe cache (RAM) until md flushes its stripe to the members.
 *  - Reclaim starts flushing as soon as cached stripes exceed half the stripe
 *    cache (r5c_check_stripe_cache_usage). With md's default of 256 stripes
 *    that is 128 stripes, a few hundred KiB of data: the journal then
 *    barely absorbs anything (lab: 1.07x a bare RAID-5).
 *  - The log is "tight" (flushes forced) when its free space falls below three
 *    times what flushing every cached stripe needs, which is max_degraded + 1
 *    blocks of 4 KiB per stripe in the journal (r5c_log_required_to_flush_cache,
 *    r5c_update_log_state). A stripe in the journal holds at least one block.
 * So the journal can hold at most J / (4 KiB * (1 + 3 * (max_degraded + 1)))
 * stripes before it goes tight; a stripe cache twice that size never wakes
 * reclaim before the journal itself asks for it. More stripes buy nothing.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "internal.h"

#define STRIPE_BYTES 4096ull		/* one stripe_head: a 4 KiB page per member */
#define SCS_MIN 17			/* raid5_set_cache_size: below 17 is EINVAL */
#define SCS_ROUND 256			/* the rule rounds up to md's default unit */
#define GROUP_THREAD_MAX 8		/* vnvme's bound; the kernel allows 8192 */
/* The stripe cache may take at most this share of MemTotal (1/8). */
#define MEM_BOUND_DIV 8
/* Reclaim wakes when cached stripes exceed 1/2 of the stripe cache. */
#define RECLAIM_DIV 2
/* The log is tight below TIGHT_FACTOR x the space flushing everything needs. */
#define TIGHT_FACTOR 3
/*
 * The steady gain over a bare array, as a share of the writes coalesced per
 * stripe flush: fitted to the lab's two steady measurements (64 MiB and
 * 256 MiB journals, 16 MiB hot set: 3.6x and 21.7x; the model gives 3.0x and
 * 21x with one half).
 */
#define GAIN_DIV 2
/* Warn when write-back pays off only on a hot set below 1/100 of the array. */
#define PAYOFF_MIN_DIV 100
/*
 * A journal whose log can hold more than this many 4 KiB stripes (1 GiB)
 * may take an hour or more to replay after a crash: md writes every stripe
 * from its last checkpoint to the members before the array runs, at their
 * random-I/O pace (the lab: 62 stripes/s on four HDDs of 150 IOPS,
 * tests/lab/capture/journal-replay-time.sh; 262144 stripes: 70 minutes).
 */
#define REPLAY_SLOW_STRIPES 262144ull

static unsigned int max_degraded(int level)
{
	return level == 6 ? 2 : 1;
}

static bool has_stripe_cache(int level)
{
	return level == 4 || level == 5 || level == 6;
}

/* "raid5" -> 5; -1 for anything else */
static int level_number(const char *text)
{
	if (strncmp(text, "raid", 4) != 0 || !text[4] || text[5])
		return -1;
	return text[4] - '0';
}

static uint64_t div_round_up(uint64_t a, uint64_t b)
{
	return (a + b - 1) / b;
}

/* The largest hot set whose steady gain (see vn_md_journal_gain) is >= @gain. */
static uint64_t hot_set_for_gain(uint64_t journal, unsigned int dd, double r, double gain)
{
	return (uint64_t)((double)journal * dd / (GAIN_DIV * gain + r * dd));
}

/**
 * vn_md_tune_rule() - vnvme's default tuning and its journal advice, from
 * the geometry alone (pure, for tests and `vnvme check`).
 * @in: level, raid_disks, chunk, journal log size, MemTotal.
 * @ret: the tuning.
 * @ret_advice: what the journal can absorb with it (may be NULL).
 *
 * stripe_cache_size = 2 x the stripes the journal holds before it goes tight,
 * rounded up to 256, within [256, 32768] and within a memory bound: the
 * cache (stripe_cache_size x 4 KiB x raid_disks) takes at most MemTotal/8.
 * No journal: md's 256. group_thread_cnt stays 0 (2 threads measured slower).
 *
 * Return: 0, or -EINVAL for a level without a stripe cache or no disks.
 */
int vn_md_tune_rule(const struct vn_md_tune_input *in, struct vn_md_tune *ret,
		    struct vn_md_journal_advice *ret_advice)
{
	struct vn_md_journal_advice a = { 0 };
	unsigned int md, dd;
	uint64_t want, cap;
	double r;

	if (!has_stripe_cache(in->level) || in->raid_disks <= max_degraded(in->level))
		return -EINVAL;
	md = max_degraded(in->level);
	dd = in->raid_disks - md;
	r = (double)TIGHT_FACTOR * (md + 1) / dd;
	a.journal_bytes = in->journal_bytes;
	a.mem_bound_bytes = in->mem_total / MEM_BOUND_DIV;
	if (in->journal_bytes) {
		a.journal_stripes = in->journal_bytes /
				    (STRIPE_BYTES * (1 + TIGHT_FACTOR * (md + 1)));
		want = div_round_up(RECLAIM_DIV * a.journal_stripes, SCS_ROUND) * SCS_ROUND;
	} else {
		want = VN_MD_STRIPE_CACHE_DEFAULT;
	}
	if (want > VN_MD_STRIPE_CACHE_MAX)
		want = VN_MD_STRIPE_CACHE_MAX;
	cap = a.mem_bound_bytes / (STRIPE_BYTES * in->raid_disks);
	if (cap < VN_MD_STRIPE_CACHE_DEFAULT)
		cap = VN_MD_STRIPE_CACHE_DEFAULT;
	if (want > cap) {
		want = cap;
		a.mem_limited = true;
	}
	if (want < VN_MD_STRIPE_CACHE_DEFAULT)
		want = VN_MD_STRIPE_CACHE_DEFAULT;
	*ret = (struct vn_md_tune){ .stripe_cache_size = (unsigned int)want,
				    .group_thread_cnt = 0 };
	a.cache_mem_bytes = want * STRIPE_BYTES * in->raid_disks;
	if (in->journal_bytes) {
		uint64_t cached = want / RECLAIM_DIV * STRIPE_BYTES * dd;

		/* one pass over H bytes: tight when J - H < r * H */
		a.burst_hot_set_bytes = (uint64_t)((double)in->journal_bytes / (1 + r));
		a.payoff_hot_set_bytes = hot_set_for_gain(in->journal_bytes, dd, r, 1.0);
		a.cache_hot_set_bytes = cached;
		if (a.burst_hot_set_bytes > cached)
			a.burst_hot_set_bytes = cached;
		if (a.payoff_hot_set_bytes > cached)
			a.payoff_hot_set_bytes = cached;
		a.array_bytes = (uint64_t)in->component_bytes * dd;
		a.too_small = a.payoff_hot_set_bytes < a.array_bytes / PAYOFF_MIN_DIV;
		a.replay_stripes_max = in->journal_bytes / STRIPE_BYTES;
		a.replay_slow = a.replay_stripes_max > REPLAY_SLOW_STRIPES;
		a.volatile_members = in->volatile_members;
	}
	if (ret_advice)
		*ret_advice = a;
	return 0;
}

/**
 * vn_md_journal_gain() - the modelled steady-state gain of write-back over a
 * bare array for 4 KiB random writes over @hot_set bytes: the writes each
 * stripe flush coalesces, (J - r H) * data_disks / H, halved (fitted to the
 * lab). Return: the factor; 0 when the hot set does not fit at all.
 */
double vn_md_journal_gain(const struct vn_md_tune_input *in, uint64_t hot_set)
{
	unsigned int md, dd;
	double r, free_log;

	if (!has_stripe_cache(in->level) || in->raid_disks <= max_degraded(in->level) ||
	    !hot_set || !in->journal_bytes)
		return 0;
	md = max_degraded(in->level);
	dd = in->raid_disks - md;
	r = (double)TIGHT_FACTOR * (md + 1) / dd;
	free_log = (double)in->journal_bytes - r * (double)hot_set;
	if (free_log <= 0)
		return 0;
	return free_log * dd / ((double)hot_set * GAIN_DIV);
}

/* The array's status, checked to be a running RAID-4/5/6. */
static int tune_status(struct vn_ctx *ctx, const char *md, struct vn_md_status *st)
{
	int r = vn_md_status(ctx, md, st);

	if (r < 0)
		return r;
	if (!st->active || !vn_exists(ctx, "/sys/block/%s/md/stripe_cache_size", st->name))
		return vn_fail(ctx, -ENODEV, "%s is not running", st->name);
	if (!has_stripe_cache(level_number(st->level)))
		return vn_refuse(ctx, -EOPNOTSUPP, false, "%s is %s: only raid4/5/6 have a "
				 "stripe cache to tune", st->name, st->level);
	return 0;
}

/* Does the disk under block device @name keep a volatile write cache? */
static bool volatile_cache(struct vn_ctx *ctx, const char *name)
{
	char dev[VN_NAME_MAX + 8];
	struct vn_blkdev b;
	bool v;

	snprintf(dev, sizeof(dev), "/dev/%s", name);
	v = vn_blk_get(ctx, dev, &b) == 0 && b.volatile_cache;
	vn_ctx_clear_error(ctx);
	return v;
}

/**
 * vn_md_tune_input() - the rule's inputs for a running array: geometry from
 * md/ sysfs, the journal's log size (its dev-X/size), MemTotal.
 * Return: 0 or a negative errno.
 */
int vn_md_tune_input(struct vn_ctx *ctx, const char *md, struct vn_md_tune_input *ret)
{
	struct vn_md_status *st = malloc(sizeof(*st));
	struct vn_md_tune_input in = { 0 };
	int r;

	if (!st)
		return vn_fail(ctx, -ENOMEM, "out of memory");
	r = tune_status(ctx, md, st);
	if (r < 0)
		goto out;
	in.level = level_number(st->level);
	in.raid_disks = st->raid_disks;
	in.chunk_kib = st->chunk_bytes / 1024;
	in.component_bytes = st->component_bytes;
	for (unsigned int i = 0; i < st->nmembers; i++) {
		const struct vn_md_member *m = &st->members[i];

		if (m->journal && !m->faulty)
			in.journal_bytes = m->size_bytes;
		else if (!m->faulty && !m->spare)
			in.volatile_members += volatile_cache(ctx, m->name);
	}
	r = vn_meminfo(ctx, "MemTotal", &in.mem_total);
	if (r < 0) {
		r = vn_fail(ctx, r, "cannot read MemTotal from /proc/meminfo: %s", strerror(-r));
		goto out;
	}
	*ret = in;
out:
	free(st);
	return r;
}

int vn_md_write_caches_off(struct vn_ctx *ctx, const char *md, struct vn_wcache *ret,
			   size_t max, size_t *n)
{
	struct vn_md_status *st = malloc(sizeof(*st));
	bool journal = false;
	int r;

	*n = 0;
	if (!st)
		return vn_fail(ctx, -ENOMEM, "out of memory");
	r = vn_md_status(ctx, md, st);
	for (unsigned int i = 0; r == 0 && i < st->nmembers; i++)
		journal |= st->members[i].journal;
	for (unsigned int i = 0; r == 0 && journal && i < st->nmembers; i++) {
		const struct vn_md_member *m = &st->members[i];

		if (!m->journal && !m->faulty)
			r = vn_blk_write_cache_off(ctx, m->name, ret, max, n);
	}
	free(st);
	return r;
}

int vn_md_tune_default(struct vn_ctx *ctx, const char *md, struct vn_md_tune *ret)
{
	struct vn_md_tune_input in;
	int r;

	r = vn_md_tune_input(ctx, md, &in);
	if (r < 0)
		return r;
	return vn_md_tune_rule(&in, ret, NULL);
}

int vn_md_journal_advice(struct vn_ctx *ctx, const char *md,
			 struct vn_md_journal_advice *ret)
{
	struct vn_md_tune_input in;
	struct vn_md_tune t;
	int r;

	r = vn_md_tune_input(ctx, md, &in);
	if (r < 0)
		return r;
	return vn_md_tune_rule(&in, &t, ret);
}

static int read_uint(struct vn_ctx *ctx, const char *md, const char *attr,
		     unsigned int *ret)
{
	uint64_t v;
	int r = vn_read_u64(ctx, &v, "/sys/block/%s/md/%s", md, attr);

	if (r < 0)
		return vn_fail(ctx, r, "cannot read /sys/block/%s/md/%s: %s", md, attr,
			       strerror(-r));
	*ret = (unsigned int)v;
	return 0;
}

static int read_tune(struct vn_ctx *ctx, const char *md, struct vn_md_tune *ret)
{
	struct vn_md_tune t = { 0 };
	int r;

	r = read_uint(ctx, md, "stripe_cache_size", &t.stripe_cache_size);
	if (r == 0)
		r = read_uint(ctx, md, "group_thread_cnt", &t.group_thread_cnt);
	if (r == 0)
		*ret = t;
	return r;
}

int vn_md_tune_get(struct vn_ctx *ctx, const char *md, struct vn_md_tune *ret)
{
	struct vn_md_status *st = malloc(sizeof(*st));
	int r;

	if (!st)
		return vn_fail(ctx, -ENOMEM, "out of memory");
	r = tune_status(ctx, md, st);
	if (r == 0)
		r = read_tune(ctx, st->name, ret);
	free(st);
	return r;
}

static int write_uint(struct vn_ctx *ctx, const char *md, const char *attr,
		      unsigned int v)
{
	char text[16];
	int r;

	snprintf(text, sizeof(text), "%u", v);
	r = vn_write_str(ctx, text, "/sys/block/%s/md/%s", md, attr);
	if (r == -ENOMEM)
		return vn_fail(ctx, r, "%s: not enough memory for %s %u", md, attr, v);
	if (r < 0)
		return vn_fail(ctx, r, "%s: the kernel refused %s %u: %s", md, attr, v,
			       strerror(-r));
	return 0;
}

int vn_md_tune_apply(struct vn_ctx *ctx, const char *md, const struct vn_md_tune *t)
{
	struct vn_md_status *st;
	struct vn_md_tune cur;
	int r;

	if (t->stripe_cache_size < SCS_MIN || t->stripe_cache_size > VN_MD_STRIPE_CACHE_MAX)
		return vn_invalid(ctx, "stripe_cache_size %u is not within %u..%u",
				  t->stripe_cache_size, SCS_MIN, VN_MD_STRIPE_CACHE_MAX);
	if (t->group_thread_cnt > GROUP_THREAD_MAX)
		return vn_invalid(ctx, "group_thread_cnt %u is more than %u",
				  t->group_thread_cnt, GROUP_THREAD_MAX);
	st = malloc(sizeof(*st));
	if (!st)
		return vn_fail(ctx, -ENOMEM, "out of memory");
	r = tune_status(ctx, md, st);
	if (r == 0)
		r = read_tune(ctx, st->name, &cur);
	if (r == 0 && cur.stripe_cache_size != t->stripe_cache_size)
		r = write_uint(ctx, st->name, "stripe_cache_size", t->stripe_cache_size);
	if (r == 0 && cur.group_thread_cnt != t->group_thread_cnt)
		r = write_uint(ctx, st->name, "group_thread_cnt", t->group_thread_cnt);
	free(st);
	return r;
}

/* The stack's view: 64-bit values, 0 / UINT64_MAX for "keep". */
int vn_stack_tune_read(struct vn_ctx *ctx, const char *md, uint64_t *ret_stripe,
		       uint64_t *ret_threads)
{
	struct vn_md_tune cur;
	int r = read_tune(ctx, md, &cur);

	if (r < 0)
		return r;
	*ret_stripe = cur.stripe_cache_size;
	*ret_threads = cur.group_thread_cnt;
	return 0;
}

/* As vn_md_tune_apply() without its checks; returns how many it wrote. */
int vn_stack_tune_apply(struct vn_ctx *ctx, const char *md, uint64_t stripe,
			uint64_t threads)
{
	struct vn_md_tune cur;
	int r = read_tune(ctx, md, &cur), n = 0;

	if (r < 0)
		return r;
	if (stripe && stripe != cur.stripe_cache_size) {
		r = write_uint(ctx, md, "stripe_cache_size", (unsigned int)stripe);
		if (r < 0)
			return r;
		n++;
	}
	if (threads != UINT64_MAX && threads != cur.group_thread_cnt) {
		r = write_uint(ctx, md, "group_thread_cnt", (unsigned int)threads);
		if (r < 0)
			return r;
		n++;
	}
	return n;
}

static struct vn_advice_line *advice_line(struct vn_advice_line *lines, unsigned int *n,
					  bool warn, const char *remedy)
{
	struct vn_advice_line *l = &lines[(*n)++];

	l->warn = warn;
	l->remedy = remedy;
	return l;
}

unsigned int vn_md_journal_advice_lines(const struct vn_md_journal_advice *a,
					 struct vn_advice_line *lines)
{
	char j[32], b[32], p[32], m[32];
	struct vn_advice_line *l;
	unsigned int n = 0;

	if (!a->journal_bytes)
		return 0;
	vn_size_format(a->journal_bytes, j, sizeof(j));
	vn_size_format(a->payoff_hot_set_bytes, p, sizeof(p));
	l = advice_line(lines, &n, false, NULL);
	snprintf(l->text, sizeof(l->text), "in write-back it takes one pass of 4 KiB random "
		 "writes over a hot set up to %s at NVMe speed, and beats the bare array in "
		 "the steady state on hot sets up to %s",
		 vn_size_format(a->burst_hot_set_bytes, b, sizeof(b)), p);
	if (a->mem_limited) {
		l = advice_line(lines, &n, true, "the journal cannot be used in full");
		snprintf(l->text, sizeof(l->text), "the stripe cache is held to %s (1/8 of "
			 "the RAM)", vn_size_format(a->mem_bound_bytes, m, sizeof(m)));
	}
	if (a->too_small) {
		l = advice_line(lines, &n, true, "keep write-through for those, or use a "
				"larger journal");
		snprintf(l->text, sizeof(l->text), "journal %s is small for the array: "
			 "write-back pays off only on hot sets up to %s (under 1%% of the "
			 "array) and is slower than no journal on larger ones", j, p);
	}
	if (a->volatile_members) {
		l = advice_line(lines, &n, true, "'vnvme raid tune --defaults' turns them off, "
				"as create, assemble and up do (vnvme-raid(8), WRITE CACHES)");
		snprintf(l->text, sizeof(l->text), "%u of its members keep a volatile write "
			 "cache: a power cut while md moves the journal's checkpoint can lose "
			 "writes md had moved into them", a->volatile_members);
	}
	if (a->replay_slow) {
		l = advice_line(lines, &n, true, "an outage of an hour or more after a crash "
				"(vnvme-raid(8), TUNING)");
		snprintf(l->text, sizeof(l->text), "md may replay up to %" PRIu64 " stripes "
			 "from journal %s before the array runs, each at the HDDs' random-I/O "
			 "pace", a->replay_stripes_max, j);
	}
	return n;
}
