// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * vnvme-replay: replay a dm-log-writes log onto a device, up to a mark.
 *
 *   vnvme-replay marks LOG                          list the marks: index name
 *   vnvme-replay apply LOG TARGET --to-mark NAME [--from N]
 *   vnvme-replay apply LOG TARGET --to-end [--from N]
 *   vnvme-replay supers LOG                         md's superblock writes: index events tail
 *   vnvme-replay extra LOG TARGET --after-mark NAME [--seed S [--anywhere]] [--from N]
 *                      [--plan] [--min-round R] [--wt-round R]
 *
 * The log format is the kernel's (drivers/md/dm-log-writes.c,
 * Documentation/admin-guide/device-mapper/log-writes.rst): a super block at
 * byte 0 (magic, version, nr_entries, sectorsize), then nr_entries entries,
 * each one sector (sectorsize bytes) of header {sector, nr_sectors, flags,
 * data_len}, little-endian, followed by nr_sectors sectors of data (none for
 * discards, flushes and marks; a mark's name follows its header). The target
 * logs a write only once a flush issued after its completion has completed,
 * and a FUA write when it completes: a prefix of the log ending at a mark is
 * the device as a power cut at that mark would leave it, every write that
 * was not yet durable dropped.
 *
 * apply writes the data of entries [N, mark) (N default 0) to TARGET, in
 * order, syncs TARGET, and prints the mark's index: the next call passes it
 * as --from, so successive marks are replayed incrementally on one target.
 * Discards are replayed as zeroes. Exit 0, 1 if the mark is not in the log,
 * 2 on usage errors, 3 on I/O errors.
 *
 * extra writes what a volatile write cache may also have kept at a power
 * cut just after the mark: the writes logged after it up to the next flush
 * (completed but not yet flushed when a cut there would have come, so any
 * of them may be on the platter, in any order). A subset chosen by the seed
 * (each write kept with probability 1/2) goes to TARGET in an order the
 * seed shuffles. TARGET should be a throw-away copy of a device applied up
 * to the mark. With --anywhere the cut comes later, after a durable point
 * the seed picks among the mark itself and every flush and FUA write logged
 * after it before the next mark: every write logged up to that point goes
 * to TARGET first, in order (a prefix of the log is always a state the
 * device could have been left in), then the seeded subset of the writes
 * after the point up to the next flush. Without --seed it keeps none (the
 * cut alone, with the moves below).
 *
 * The devices of one md array are logged apart, so a cut chosen for each
 * on its own can make a state no power cut makes. md's superblock writes
 * order them: md writes every device's superblock in one round (PREFLUSH
 * and FUA) and starts the next round only when all of them completed. A
 * cut's round is the number of those writes (a FUA write holding an md v1
 * superblock) logged up to it; --plan prints it and writes nothing. If some
 * device's cut holds round R + 1, every device completed round R first:
 * --min-round R moves this cut on until it holds round R. --wt-round R is
 * for a device without a volatile cache when some cut holds round R: the
 * writes it completed before round R came to it were on its disk, so the
 * cut moves on to just before its round R superblock (those writes are the
 * ones that superblock's flush logged). Prints three numbers: the unflushed
 * writes kept, the writes written in order before them, and how many of
 * those the moves added.
 *
 * supers lists md's superblock writes in LOG: entry index, the superblock's
 * event count and journal_tail (the journal's checkpoint, on a journal).
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LOG_MAGIC 0x6a736677736872ull
#define LOG_VERSION 1
#define FLAG_FLUSH (1u << 0)
#define FLAG_FUA (1u << 1)
#define FLAG_DISCARD (1u << 2)
#define FLAG_MARK (1u << 3)

/* md's v1 superblock (include/uapi/linux/raid/md_p.h): magic, major version, and
 * the byte offsets of its event count and the journal's checkpoint */
#define MD_SB_MAGIC 0xa92b4efcu
#define MD_SB_JOURNAL_TAIL 152
#define MD_SB_EVENTS 200
#define MD_SB_MIN 256u

enum { EXIT_NOMARK = 1, EXIT_USAGE = 2, EXIT_IO = 3 };

struct entry {
	uint64_t sector, nr_sectors, flags, data_len;
};

struct log {
	int fd;
	const char *path;
	uint64_t nr_entries;
	uint32_t sectorsize;
	unsigned char *sec;	/* one sector */
};

static int die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int die(int code, const char *fmt, ...)
{
	va_list ap;

	fputs("vnvme-replay: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

static void read_at(int fd, const char *path, void *buf, size_t len, uint64_t off)
{
	ssize_t n = pread(fd, buf, len, (off_t)off);

	if (n != (ssize_t)len)
		die(EXIT_IO, "cannot read %zu bytes at %" PRIu64 " of %s: %s", len, off, path,
		    n < 0 ? strerror(errno) : "short read");
}

static uint32_t le32_at(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return le32toh(v);
}

static uint64_t le64_at(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return le64toh(v);
}

static void log_open(struct log *l, const char *path)
{
	unsigned char super[28];
	uint32_t ss;

	l->path = path;
	l->fd = open(path, O_RDONLY);
	if (l->fd < 0)
		die(EXIT_IO, "cannot open %s: %s", path, strerror(errno));
	read_at(l->fd, path, super, sizeof(super), 0);
	if (le64_at(super) != LOG_MAGIC || le64_at(super + 8) != LOG_VERSION)
		die(EXIT_IO, "%s: not a dm-log-writes log (magic/version)", path);
	l->nr_entries = le64_at(super + 16);
	memcpy(&ss, super + 24, sizeof(ss));
	l->sectorsize = le32toh(ss);
	if (l->sectorsize < 512 || l->sectorsize > 65536 || (l->sectorsize & (l->sectorsize - 1)))
		die(EXIT_IO, "%s: bad sector size %u", path, l->sectorsize);
	l->sec = malloc(l->sectorsize);
	if (!l->sec)
		die(EXIT_IO, "out of memory");
}

/* The entry whose header is at byte *pos; moves *pos to the next one. */
static void next_entry(struct log *l, uint64_t *pos, struct entry *e, char *mark, size_t marklen)
{
	read_at(l->fd, l->path, l->sec, l->sectorsize, *pos);
	e->sector = le64_at(l->sec);
	e->nr_sectors = le64_at(l->sec + 8);
	e->flags = le64_at(l->sec + 16);
	e->data_len = le64_at(l->sec + 24);
	if (mark) {
		size_t n = 0;

		if (e->flags & FLAG_MARK) {
			n = e->data_len < marklen - 1 ? e->data_len : marklen - 1;
			if (n > l->sectorsize - 32)
				n = l->sectorsize - 32;
			memcpy(mark, l->sec + 32, n);
		}
		mark[n] = '\0';
	}
	*pos += l->sectorsize;
	if (!(e->flags & FLAG_DISCARD))
		*pos += e->nr_sectors * l->sectorsize;
}

static int cmd_marks(const char *path)
{
	struct log l;
	struct entry e;
	uint64_t i, pos, writes = 0, flushes = 0, fuas = 0;
	char mark[512];

	log_open(&l, path);
	pos = l.sectorsize;
	for (i = 0; i < l.nr_entries; i++) {
		next_entry(&l, &pos, &e, mark, sizeof(mark));
		if (e.flags & FLAG_MARK)
			printf("%" PRIu64 " %s\n", i, mark);
		writes += e.nr_sectors > 0;
		flushes += !!(e.flags & FLAG_FLUSH);
		fuas += !!(e.flags & FLAG_FUA);
	}
	fprintf(stderr, "%s: %" PRIu64 " entries: %" PRIu64 " writes, %" PRIu64 " flushes, %" PRIu64
		" FUA, sector size %u\n", path, l.nr_entries, writes, flushes, fuas, l.sectorsize);
	free(l.sec);
	close(l.fd);
	return 0;
}

/* Copy one entry's data (at byte pos of the log) to the target. */
static void replay_entry(struct log *l, uint64_t pos, const struct entry *e, int tfd,
			 const char *target, unsigned char *buf, size_t bufsize)
{
	uint64_t left = e->nr_sectors * l->sectorsize, at = e->sector * l->sectorsize;
	uint64_t from = pos + l->sectorsize;

	if (e->flags & FLAG_DISCARD)
		memset(buf, 0, bufsize);
	while (left) {
		size_t n = left < bufsize ? left : bufsize;

		if (!(e->flags & FLAG_DISCARD))
			read_at(l->fd, l->path, buf, n, from);
		if (pwrite(tfd, buf, n, (off_t)at) != (ssize_t)n)
			die(EXIT_IO, "cannot write %zu bytes at %" PRIu64 " of %s: %s", n, at, target,
			    strerror(errno));
		left -= n;
		at += n;
		from += n;
	}
}

static int open_target(const char *target)
{
	int tfd = open(target, O_WRONLY);

	if (tfd < 0)
		die(EXIT_IO, "cannot open %s: %s", target, strerror(errno));
	return tfd;
}

/* Sync and close the target, close the log, free the copy buffer. */
static void finish_target(int tfd, const char *target, struct log *l, unsigned char *buf)
{
	if (fsync(tfd))
		die(EXIT_IO, "cannot sync %s: %s", target, strerror(errno));
	close(tfd);
	close(l->fd);
	free(l->sec);
	free(buf);
}

static int cmd_apply(const char *path, const char *target, const char *to_mark, uint64_t from)
{
	struct log l;
	struct entry e;
	uint64_t i, pos, here, replayed = 0;
	size_t bufsize = 1 << 20;
	unsigned char *buf = malloc(bufsize);
	char mark[512];
	int tfd;

	if (!buf)
		die(EXIT_IO, "out of memory");
	log_open(&l, path);
	tfd = open_target(target);
	pos = l.sectorsize;
	for (i = 0; i < l.nr_entries; i++) {
		here = pos;
		next_entry(&l, &pos, &e, mark, sizeof(mark));
		if (to_mark && (e.flags & FLAG_MARK) && !strcmp(mark, to_mark) && i >= from)
			break;
		if (i < from || !e.nr_sectors)
			continue;
		replay_entry(&l, here, &e, tfd, target, buf, bufsize);
		replayed++;
	}
	if (to_mark && i == l.nr_entries)
		die(EXIT_NOMARK, "%s: no mark '%s' at or after entry %" PRIu64, path, to_mark, from);
	finish_target(tfd, target, &l, buf);
	fprintf(stderr, "%s -> %s: %" PRIu64 " writes replayed, entries %" PRIu64 "..%" PRIu64 "\n",
		path, target, replayed, from, i);
	printf("%" PRIu64 "\n", i);
	return 0;
}

/* xorshift64*: the seed's sequence, the same on every machine. */
static uint64_t next_rand(uint64_t *x)
{
	*x ^= *x >> 12;
	*x ^= *x << 25;
	*x ^= *x >> 27;
	return *x * 0x2545f4914f6cdd1dull;
}

#define EXTRA_MAX 65536

/*
 * The durable points after the mark at entry mark_i (whose successor's
 * header is at byte pos): its flushes and FUA writes before the next mark.
 */
static uint64_t count_points(struct log *l, uint64_t mark_i, uint64_t pos)
{
	struct entry e;
	uint64_t i, n = 0;

	for (i = mark_i + 1; i < l->nr_entries; i++) {
		next_entry(l, &pos, &e, NULL, 0);
		if (e.flags & FLAG_MARK)
			break;
		n += !!(e.flags & (FLAG_FLUSH | FLAG_FUA));
	}
	return n;
}

/*
 * Is the entry whose header is at byte pos a superblock md wrote? md writes
 * each device's superblock with PREFLUSH and FUA (md_super_write), one
 * round to every device of the array at once (md_update_sb), and starts
 * the next round only when every write of this one completed.
 */
static bool is_md_super(struct log *l, uint64_t pos, const struct entry *e, uint64_t *events,
			uint64_t *tail)
{
	unsigned char *sb = l->sec;

	if (!(e->flags & FLAG_FUA) || (e->flags & (FLAG_DISCARD | FLAG_MARK)) || !e->nr_sectors ||
	    (uint64_t)e->nr_sectors * l->sectorsize < MD_SB_MIN)
		return false;
	read_at(l->fd, l->path, sb, l->sectorsize, pos + l->sectorsize);
	if (le32_at(sb) != MD_SB_MAGIC || le32_at(sb + 4) != 1)
		return false;
	if (events)
		*events = le64_at(sb + MD_SB_EVENTS);
	if (tail)
		*tail = le64_at(sb + MD_SB_JOURNAL_TAIL);
	return true;
}

static int cmd_supers(const char *path)
{
	struct log l;
	struct entry e;
	uint64_t i, pos, here, events, tail, n = 0;

	log_open(&l, path);
	pos = l.sectorsize;
	for (i = 0; i < l.nr_entries; i++) {
		here = pos;
		next_entry(&l, &pos, &e, NULL, 0);
		if (is_md_super(&l, here, &e, &events, &tail)) {
			printf("%" PRIu64 " %" PRIu64 " %" PRIu64 "\n", i, events, tail);
			n++;
		}
	}
	fprintf(stderr, "%s: %" PRIu64 " md superblock writes\n", path, n);
	free(l.sec);
	close(l.fd);
	return 0;
}

/* What extra does beyond its seed: see the comment at the top. */
struct extra_opts {
	const char *after;
	uint64_t from, seed;
	bool seeded, anywhere, plan;
	uint64_t min_round, wt_round;
};

static int cmd_extra(const char *path, const char *target, const struct extra_opts *o)
{
	struct log l;
	struct entry e, *ents = calloc(EXTRA_MAX, sizeof(*ents));
	uint64_t *at = calloc(EXTRA_MAX, sizeof(*at));
	uint64_t i, pos, here, rnd = o->seed * 2654435761u + 1, points = 0, k = 0, applied = 0;
	uint64_t rounds = 0, moved = 0, want;
	size_t bufsize = 1 << 20, n = 0, kept = 0;
	unsigned char *buf = malloc(bufsize);
	char mark[512];
	bool found = false;
	int tfd = -1;

	if (!buf || !ents || !at)
		die(EXIT_IO, "out of memory");
	log_open(&l, path);
	pos = l.sectorsize;
	for (i = 0; i < l.nr_entries && !found; i++) {
		here = pos;
		next_entry(&l, &pos, &e, mark, sizeof(mark));
		found = (e.flags & FLAG_MARK) && !strcmp(mark, o->after) && i >= o->from;
		rounds += is_md_super(&l, here, &e, NULL, NULL);
	}
	if (!found)
		die(EXIT_NOMARK, "%s: no mark '%s' at or after entry %" PRIu64, path, o->after,
		    o->from);
	/* i is now the entry after the mark, pos its header */
	if (o->anywhere) {
		points = count_points(&l, i - 1, pos);
		k = next_rand(&rnd) % (points + 1);
	}
	if (!o->plan)
		tfd = open_target(target);
	/*
	 * --anywhere: the cut comes after the kth durable point (0: at the
	 * mark). Everything logged up to it was durable then: written in order.
	 */
	for (uint64_t left = k; left && i < l.nr_entries; i++) {
		here = pos;
		next_entry(&l, &pos, &e, NULL, 0);
		if (e.flags & (FLAG_FLUSH | FLAG_FUA))
			left--;
		rounds += is_md_super(&l, here, &e, NULL, NULL);
		if (o->plan || !e.nr_sectors || (e.flags & FLAG_MARK))
			continue;
		replay_entry(&l, here, &e, tfd, target, buf, bufsize);
		applied++;
	}
	if (o->plan) {
		printf("%" PRIu64 "\n", rounds);
		close(l.fd);
		free(l.sec);
		free(buf);
		free(ents);
		free(at);
		return 0;
	}
	/*
	 * The other devices' cuts. --min-round R: some device's cut holds md's
	 * superblock round R+1, which md started only once every device had
	 * completed round R: the cut moves on to hold round R here too (past
	 * the next mark if need be). --wt-round R: this device has no volatile
	 * cache and some device's cut holds round R: every write this one had
	 * completed before md issued round R was on its disk, so the cut moves
	 * on to just before its round R superblock (the writes it flushed).
	 */
	want = o->min_round;
	if (o->wt_round && o->wt_round - 1 > want)
		want = o->wt_round - 1;
	while (i < l.nr_entries && (rounds < want || (o->wt_round && rounds < o->wt_round))) {
		uint64_t save = pos;

		here = pos;
		next_entry(&l, &pos, &e, NULL, 0);
		if (is_md_super(&l, here, &e, NULL, NULL)) {
			if (rounds >= want) {
				pos = save;	/* round wt_round itself may not have come */
				break;
			}
			rounds++;
		}
		i++;
		if (!e.nr_sectors || (e.flags & FLAG_MARK))
			continue;
		replay_entry(&l, here, &e, tfd, target, buf, bufsize);
		applied++;
		moved++;
	}
	/* then the writes completed after the cut and not yet flushed */
	for (; o->seeded && i < l.nr_entries; i++) {
		here = pos;
		next_entry(&l, &pos, &e, NULL, 0);
		if (e.flags & FLAG_FLUSH)
			break;
		if (!e.nr_sectors || (e.flags & FLAG_MARK))
			continue;
		if (n == EXTRA_MAX)
			die(EXIT_IO, "%s: more than %d writes after '%s'", path, EXTRA_MAX, o->after);
		/* kept with probability 1/2 */
		if (next_rand(&rnd) >> 63) {
			ents[kept] = e;
			at[kept++] = here;
		}
		n++;
	}
	/* in an order the seed chooses (Fisher-Yates) */
	for (size_t j2 = kept; j2 > 1; j2--) {
		size_t j = (size_t)(next_rand(&rnd) % j2);
		struct entry te = ents[j2 - 1];
		uint64_t ta = at[j2 - 1];

		ents[j2 - 1] = ents[j];
		at[j2 - 1] = at[j];
		ents[j] = te;
		at[j] = ta;
	}
	for (size_t j = 0; j < kept; j++)
		replay_entry(&l, at[j], &ents[j], tfd, target, buf, bufsize);
	finish_target(tfd, target, &l, buf);
	free(ents);
	free(at);
	fprintf(stderr, "%s -> %s: ", path, target);
	if (o->anywhere)
		fprintf(stderr, "cut after durable point %" PRIu64 " of %" PRIu64 " after '%s', ", k,
			points, o->after);
	if (moved)
		fprintf(stderr, "moved on %" PRIu64 " writes to superblock round %" PRIu64 ", ",
			moved, rounds);
	fprintf(stderr, "%" PRIu64 " writes in order, %zu of the %zu unflushed writes kept", applied,
		kept, n);
	if (o->seeded)
		fprintf(stderr, " (seed %" PRIu64 ")", o->seed);
	fputc('\n', stderr);
	printf("%zu %" PRIu64 " %" PRIu64 "\n", kept, applied, moved);
	return 0;
}

static uint64_t num_arg(const char *opt, const char *arg)
{
	char *end;
	uint64_t v;

	errno = 0;
	v = strtoull(arg, &end, 10);
	if (!*arg || *end || errno || *arg == '-')
		die(EXIT_USAGE, "%s: not a number: %s", opt, arg);
	return v;
}

static void usage(FILE *f)
{
	fputs("usage: vnvme-replay marks LOG\n"
	      "       vnvme-replay apply LOG TARGET (--to-mark NAME | --to-end) [--from N]\n"
	      "       vnvme-replay supers LOG\n"
	      "       vnvme-replay extra LOG TARGET --after-mark NAME [--seed S [--anywhere]]\n"
	      "                          [--from N] [--plan] [--min-round R] [--wt-round R]\n", f);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "to-mark", required_argument, NULL, 'm' },
		{ "to-end", no_argument, NULL, 'e' },
		{ "from", required_argument, NULL, 'f' },
		{ "after-mark", required_argument, NULL, 'a' },
		{ "seed", required_argument, NULL, 's' },
		{ "anywhere", no_argument, NULL, 'w' },
		{ "plan", no_argument, NULL, 'p' },
		{ "min-round", required_argument, NULL, 'r' },
		{ "wt-round", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *to_mark = NULL;
	struct extra_opts x = { 0 };
	bool to_end = false;
	uint64_t from = 0;
	int c;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'm': to_mark = optarg; break;
		case 'e': to_end = true; break;
		case 'f': from = num_arg("--from", optarg); break;
		case 'a': x.after = optarg; break;
		case 's':
			x.seed = num_arg("--seed", optarg);
			x.seeded = true;
			break;
		case 'w': x.anywhere = true; break;
		case 'p': x.plan = true; break;
		case 'r': x.min_round = num_arg("--min-round", optarg); break;
		case 't': x.wt_round = num_arg("--wt-round", optarg); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (argc - optind == 2 && !strcmp(argv[optind], "marks"))
		return cmd_marks(argv[optind + 1]);
	if (argc - optind == 3 && !strcmp(argv[optind], "apply") && !to_mark != !to_end)
		return cmd_apply(argv[optind + 1], argv[optind + 2], to_mark, from);
	if (argc - optind == 2 && !strcmp(argv[optind], "supers"))
		return cmd_supers(argv[optind + 1]);
	x.from = from;
	/* --anywhere draws its cut from the seed */
	if (argc - optind == 3 && !strcmp(argv[optind], "extra") && x.after &&
	    (x.seeded || !x.anywhere))
		return cmd_extra(argv[optind + 1], argv[optind + 2], &x);
	usage(stderr);
	return EXIT_USAGE;
}
