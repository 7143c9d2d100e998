// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * vnvme-verify: does a block device keep every write it acknowledged?
 *
 *   vnvme-verify write DEV LOG [--blocks N] [--batch K] [--sync flush|fua]
 *                              [--seconds S] [--batches N] [--offset BYTES]
 *                              [--until FILE] [--on-ack CMD]
 *   vnvme-verify verify DEV LOG [--upto SEQ]
 *
 * write: numbered 4 KiB blocks, each carrying its block number, a
 * generation (the batch's sequence number), the run id and a checksum, are
 * written with O_DIRECT in batches of K distinct random blocks among N. A
 * batch is acknowledged when the device said its writes are durable: after
 * fdatasync() (--sync flush, a cache flush) or, with --sync fua, when every
 * write of an O_DSYNC descriptor has returned (FUA writes). LOG, on storage
 * that outlives the device's power (the lab's host share), gets
 *     R <run> <blocks> <offset> <sync>     once
 *     W <seq> <block>...                   before a batch is written
 *     A <seq>                              once it is acknowledged
 * each line written with one write() and, unless --no-log-sync, fdatasync'ed.
 * It stops after --batches, after --seconds, or, with --until, before the
 * first batch after FILE exists (a test stops it when it has seen enough,
 * however slow the machine). --on-ack runs CMD with sh after each
 * acknowledged batch, its sequence number in $VNVME_VERIFY_SEQ (to put a
 * mark in a dm-log-writes log).
 *
 * verify: every block of an acknowledged batch must hold a valid block of
 * this run (magic, run, block number, checksum) whose generation is at
 * least the last acknowledged one for that block; a newer generation is
 * a later, unacknowledged write that landed, which is allowed. A block whose
 * content is invalid but that was being rewritten when the power went (in
 * a W line without its A) counts as torn in flight, not as lost: the
 * device never promised anything about a write it did not acknowledge.
 * Prints one summary line and names the first bad block; exit 0 when no
 * acknowledged block was lost, 1 when one was, 2 on usage errors, 3 when
 * DEV or LOG cannot be read. --upto SEQ takes batches after SEQ as not
 * acknowledged (the state at a crash point replayed from a write log).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BS 4096u
#define MAGIC "VNVMEVF1"
#define MAX_BATCH 256u
#define LINE_MAX_LEN (32u + MAX_BATCH * 21u)

enum { EXIT_LOST = 1, EXIT_USAGE = 2, EXIT_IO = 3 };

/* The first 40 bytes of every block; the rest is a stream derived from them. */
struct block_head {
	char magic[8];
	uint64_t run;
	uint64_t block;
	uint64_t gen;
	uint64_t sum;
};

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* FNV-1a 64 over the block with the sum field taken as zero. */
static uint64_t block_sum(const unsigned char *b)
{
	uint64_t h = 0xcbf29ce484222325ull;
	size_t i;

	for (i = 0; i < BS; i++) {
		unsigned char c = b[i];

		if (i >= offsetof(struct block_head, sum) &&
		    i < offsetof(struct block_head, sum) + sizeof(uint64_t))
			c = 0;
		h = (h ^ c) * 0x100000001b3ull;
	}
	return h;
}

static void block_fill(unsigned char *b, uint64_t run, uint64_t block, uint64_t gen)
{
	struct block_head h = { .run = run, .block = block, .gen = gen };
	uint64_t s = run ^ (block << 20) ^ (gen << 40), v;
	size_t i;

	memcpy(h.magic, MAGIC, sizeof(h.magic));
	memcpy(b, &h, sizeof(h));
	for (i = sizeof(h); i < BS; i += sizeof(v)) {
		v = splitmix(&s);
		memcpy(b + i, &v, sizeof(v));
	}
	h.sum = block_sum(b);
	memcpy(b, &h, sizeof(h));
}

/* NULL if the block is a valid block of RUN numbered BLOCK, else why not. */
static const char *block_check(const unsigned char *b, uint64_t run, uint64_t block,
			       uint64_t *ret_gen)
{
	struct block_head h;

	memcpy(&h, b, sizeof(h));
	if (memcmp(h.magic, MAGIC, sizeof(h.magic)))
		return "no verifier block (magic)";
	if (h.run != run)
		return "block of another run";
	if (h.block != block)
		return "block number differs (misdirected write)";
	if (h.sum != block_sum(b))
		return "checksum mismatch";
	*ret_gen = h.gen;
	return NULL;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int die(int code, const char *fmt, ...)
{
	va_list ap;

	fputs("vnvme-verify: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

static void *block_buf(void)
{
	void *b;

	if (posix_memalign(&b, BS, BS))
		die(EXIT_IO, "out of memory");
	return b;
}

/* The device, O_DIRECT unless --buffered (a file system that refuses it). */
static int open_dev(const char *dev, int flags, bool buffered)
{
	int fd = open(dev, flags | (buffered ? 0 : O_DIRECT));

	if (fd < 0)
		die(EXIT_IO, "cannot open %s: %s%s", dev, strerror(errno),
		    errno == EINVAL && !buffered ? " (no O_DIRECT here: --buffered)" : "");
	return fd;
}

struct log {
	int fd;
	bool sync;
	const char *path;
};

static void log_line(struct log *l, const char *line, size_t len)
{
	ssize_t n = write(l->fd, line, len);

	if (n != (ssize_t)len)
		die(EXIT_IO, "cannot write %s: %s", l->path, n < 0 ? strerror(errno) : "short write");
	if (l->sync && fdatasync(l->fd))
		die(EXIT_IO, "cannot sync %s: %s", l->path, strerror(errno));
}

struct wopts {
	uint64_t blocks, batches, offset;
	unsigned batch;
	double seconds;
	bool fua, buffered;
	const char *on_ack, *until;
};

static void run_on_ack(const char *cmd, uint64_t seq)
{
	char v[24];
	int r;

	snprintf(v, sizeof(v), "%" PRIu64, seq);
	setenv("VNVME_VERIFY_SEQ", v, 1);
	r = system(cmd);
	if (r != 0)
		die(EXIT_IO, "--on-ack command failed (status %d) after batch %" PRIu64, r, seq);
}

/* K distinct random blocks among N (K is small against N). */
static void pick(uint64_t *out, unsigned k, uint64_t n, uint64_t *rng)
{
	unsigned i, j;

	for (i = 0; i < k; i++) {
again:
		out[i] = splitmix(rng) % n;
		for (j = 0; j < i; j++)
			if (out[j] == out[i])
				goto again;
	}
}

static int cmd_write(const char *dev, const char *logpath, const struct wopts *o, bool log_sync)
{
	uint64_t run, rng, seq, blk[MAX_BATCH], acked_writes = 0;
	unsigned char *b = block_buf();
	char line[LINE_MAX_LEN];
	struct log l = { .sync = log_sync, .path = logpath };
	int fd, len;
	unsigned i;
	double t0;

	fd = open_dev(dev, O_WRONLY | (o->fua ? O_DSYNC : 0), o->buffered);
	l.fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
	if (l.fd < 0)
		die(EXIT_IO, "cannot create %s: %s", logpath, strerror(errno));
	{
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		rng = run = ((uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec) ^
			    ((uint64_t)getpid() << 48);
	}
	len = snprintf(line, sizeof(line), "R %" PRIu64 " %" PRIu64 " %" PRIu64 " %s\n",
		       run, o->blocks, o->offset, o->fua ? "fua" : "flush");
	log_line(&l, line, len);
	t0 = now();
	for (seq = 1; !o->batches || seq <= o->batches; seq++) {
		if (o->seconds > 0 && now() - t0 >= o->seconds)
			break;
		if (o->until && access(o->until, F_OK) == 0)
			break;
		pick(blk, o->batch, o->blocks, &rng);
		len = snprintf(line, sizeof(line), "W %" PRIu64, seq);
		for (i = 0; i < o->batch; i++)
			len += snprintf(line + len, sizeof(line) - len, " %" PRIu64, blk[i]);
		line[len++] = '\n';
		log_line(&l, line, len);
		for (i = 0; i < o->batch; i++) {
			off_t at = (off_t)(o->offset + blk[i] * BS);

			block_fill(b, run, blk[i], seq);
			if (pwrite(fd, b, BS, at) != (ssize_t)BS)
				die(EXIT_IO, "write of block %" PRIu64 " to %s failed: %s",
				    blk[i], dev, strerror(errno));
		}
		if (!o->fua && fdatasync(fd))
			die(EXIT_IO, "flush of %s failed: %s", dev, strerror(errno));
		len = snprintf(line, sizeof(line), "A %" PRIu64 "\n", seq);
		log_line(&l, line, len);
		acked_writes += o->batch;
		if (o->on_ack)
			run_on_ack(o->on_ack, seq);
	}
	printf("write: run %" PRIu64 ": %" PRIu64 " batches, %" PRIu64
	       " writes acknowledged in %.1f s (%s)\n",
	       run, seq - 1, acked_writes, now() - t0, o->fua ? "fua" : "flush");
	free(b);
	close(fd);
	close(l.fd);
	return 0;
}

/* What the log says: per block, the last acknowledged and last written generation. */
struct expect {
	uint64_t run, blocks, offset;
	uint64_t *acked, *written;
	uint64_t batches, acked_batches, acked_writes;
};

static uint64_t parse_u64(const char **p, bool *ok)
{
	char *end;
	uint64_t v;

	while (**p == ' ')
		(*p)++;
	errno = 0;
	v = strtoull(*p, &end, 10);
	if (end == *p || errno)
		*ok = false;
	*p = end;
	return v;
}

/*
 * Read LOG. A last line without its newline (power cut during the log
 * write) is ignored; any other malformed line is an error. A log cut before
 * its first line was complete acknowledges nothing (e->blocks stays 0).
 */
static void read_log(const char *path, uint64_t upto, struct expect *e)
{
	FILE *f = fopen(path, "r");
	char *line = NULL, sync[8];
	size_t cap = 0;
	ssize_t n;
	uint64_t seq, cur = 0, *cur_blk = NULL, ncur = 0, i, lineno = 0;
	bool ok;

	if (!f)
		die(EXIT_IO, "cannot read %s: %s", path, strerror(errno));
	memset(e, 0, sizeof(*e));
	while ((n = getline(&line, &cap, f)) > 0) {
		const char *p = line + 1;

		lineno++;
		if (line[n - 1] != '\n')
			break;
		ok = true;
		if (lineno == 1) {
			if (sscanf(line, "R %" SCNu64 " %" SCNu64 " %" SCNu64 " %7s", &e->run,
				   &e->blocks, &e->offset, sync) != 4 || !e->blocks)
				die(EXIT_IO, "%s: not a vnvme-verify log", path);
			e->acked = calloc(e->blocks, sizeof(*e->acked));
			e->written = calloc(e->blocks, sizeof(*e->written));
			cur_blk = calloc(MAX_BATCH, sizeof(*cur_blk));
			if (!e->acked || !e->written || !cur_blk)
				die(EXIT_IO, "out of memory");
			continue;
		}
		if (line[0] == 'W') {
			cur = parse_u64(&p, &ok);
			for (ncur = 0; ok && *p != '\n' && ncur < MAX_BATCH; ncur++) {
				cur_blk[ncur] = parse_u64(&p, &ok);
				if (ok && cur_blk[ncur] >= e->blocks)
					ok = false;
				else if (ok)
					e->written[cur_blk[ncur]] = cur;
			}
			e->batches++;
		} else if (line[0] == 'A') {
			seq = parse_u64(&p, &ok);
			if (ok && seq != cur)
				die(EXIT_IO, "%s:%" PRIu64 ": acknowledges batch %" PRIu64
				    " but %" PRIu64 " was written", path, lineno, seq, cur);
			if (ok && seq > upto)
				continue;
			for (i = 0; ok && i < ncur; i++)
				e->acked[cur_blk[i]] = seq;
			e->acked_batches++;
			e->acked_writes += ncur;
		} else {
			ok = false;
		}
		if (!ok)
			die(EXIT_IO, "%s:%" PRIu64 ": malformed line", path, lineno);
	}
	free(line);
	free(cur_blk);
	fclose(f);
}

static int cmd_verify(const char *dev, const char *logpath, bool buffered, uint64_t upto)
{
	struct expect e;
	unsigned char *b = block_buf();
	uint64_t blk, gen, acked_blocks = 0, verified = 0, lost = 0, torn = 0, newer = 0;
	const char *why;
	uint64_t first_bad = 0, first_gen = 0, first_acked = 0;
	char buf[96], first_why[96] = "";
	int fd;

	read_log(logpath, upto, &e);
	if (!e.blocks) {
		printf("verify: %s holds no complete first line: nothing was acknowledged;"
		       " acked_writes=0 acked_blocks=0 verified=0 lost=0 torn_in_flight=0"
		       " newer_than_acked=0\n", logpath);
		free(b);
		return 0;
	}
	fd = open_dev(dev, O_RDONLY, buffered);
	for (blk = 0; blk < e.blocks; blk++) {
		if (!e.acked[blk])
			continue;
		acked_blocks++;
		if (pread(fd, b, BS, (off_t)(e.offset + blk * BS)) != (ssize_t)BS)
			die(EXIT_IO, "read of block %" PRIu64 " from %s failed: %s", blk, dev,
			    errno ? strerror(errno) : "short read");
		gen = 0;
		why = block_check(b, e.run, blk, &gen);
		if (!why && gen > e.written[blk])
			why = "generation never written";
		if (!why && gen < e.acked[blk]) {
			snprintf(buf, sizeof(buf), "stale: generation %" PRIu64
				 " < acknowledged %" PRIu64, gen, e.acked[blk]);
			why = buf;
		}
		if (!why) {
			verified++;
			newer += gen > e.acked[blk];
			continue;
		}
		if (e.written[blk] > e.acked[blk] && strncmp(why, "stale", 5)) {
			torn++;	/* rewritten when the power went: no promise */
			continue;
		}
		lost++;
		if (!*first_why) {
			snprintf(first_why, sizeof(first_why), "%s", why);
			first_bad = blk;
			first_gen = gen;
			first_acked = e.acked[blk];
		}
	}
	printf("verify: run %" PRIu64 ": batches %" PRIu64 " written %" PRIu64
	       " acknowledged; acked_writes=%" PRIu64 " acked_blocks=%" PRIu64
	       " verified=%" PRIu64 " lost=%" PRIu64 " torn_in_flight=%" PRIu64
	       " newer_than_acked=%" PRIu64 "\n",
	       e.run, e.batches, e.acked_batches, e.acked_writes, acked_blocks, verified, lost,
	       torn, newer);
	if (*first_why)
		printf("verify: first bad block %" PRIu64 " (byte %" PRIu64
		       " of %s): %s (acknowledged generation %" PRIu64 ", read %" PRIu64 ")\n",
		       first_bad, e.offset + first_bad * BS, dev, first_why, first_acked, first_gen);
	free(b);
	free(e.acked);
	free(e.written);
	close(fd);
	return lost ? EXIT_LOST : 0;
}

static void usage(FILE *f)
{
	fputs("usage: vnvme-verify write DEV LOG [--blocks N] [--batch K] [--sync flush|fua]\n"
	      "                          [--seconds S] [--batches N] [--offset BYTES]\n"
	      "                          [--until FILE] [--buffered] [--no-log-sync]\n"
	      "                          [--on-ack CMD]\n"
	      "       vnvme-verify verify DEV LOG [--buffered] [--upto SEQ]\n", f);
}

static uint64_t num_arg(const char *opt, const char *s)
{
	char *end;
	uint64_t v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (!*s || *end || errno || *s == '-')
		die(EXIT_USAGE, "%s: not a number: %s", opt, s);
	return v;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "blocks", required_argument, NULL, 'n' },
		{ "batch", required_argument, NULL, 'k' },
		{ "sync", required_argument, NULL, 's' },
		{ "seconds", required_argument, NULL, 't' },
		{ "batches", required_argument, NULL, 'b' },
		{ "offset", required_argument, NULL, 'o' },
		{ "buffered", no_argument, NULL, 'B' },
		{ "no-log-sync", no_argument, NULL, 'L' },
		{ "on-ack", required_argument, NULL, 'a' },
		{ "until", required_argument, NULL, 'U' },
		{ "upto", required_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct wopts o = { .blocks = 4096, .batch = 8 };
	bool log_sync = true;
	uint64_t upto = UINT64_MAX;
	const char *mode;
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'n': o.blocks = num_arg("--blocks", optarg); break;
		case 'k': o.batch = (unsigned)num_arg("--batch", optarg); break;
		case 'b': o.batches = num_arg("--batches", optarg); break;
		case 'o': o.offset = num_arg("--offset", optarg); break;
		case 'B': o.buffered = true; break;
		case 'L': log_sync = false; break;
		case 'a': o.on_ack = optarg; break;
		case 'U': o.until = optarg; break;
		case 'u': upto = num_arg("--upto", optarg); break;
		case 's':
			if (!strcmp(optarg, "fua") || !strcmp(optarg, "flush"))
				o.fua = !strcmp(optarg, "fua");
			else
				die(EXIT_USAGE, "--sync: flush or fua, not %s", optarg);
			break;
		case 't':
			o.seconds = strtod(optarg, &end);
			if (*end || o.seconds < 0)
				die(EXIT_USAGE, "--seconds: not a duration: %s", optarg);
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (argc - optind != 3) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (o.offset % BS || !o.blocks || !o.batch || o.batch > MAX_BATCH || o.batch > o.blocks)
		die(EXIT_USAGE, "--offset must be a multiple of %u, 1 <= --batch <= min(%u, --blocks)",
		    BS, MAX_BATCH);
	mode = argv[optind];
	if (!strcmp(mode, "write"))
		return cmd_write(argv[optind + 1], argv[optind + 2], &o, log_sync);
	if (!strcmp(mode, "verify"))
		return cmd_verify(argv[optind + 1], argv[optind + 2], o.buffered, upto);
	usage(stderr);
	return EXIT_USAGE;
}
