// SPDX-License-Identifier: GPL-3.0-or-later
/* vnvme raid: md arrays with v1.2 superblocks written by vnvme (no mdadm). */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"

/* ---- tuning (raid tune, and after create and assemble) ---- */

static json_t *tune_json(const struct vn_md_tune *t)
{
	return json_pack("{s:i, s:i}", "stripe_cache_size", (int)t->stripe_cache_size,
			 "group_thread_cnt", (int)t->group_thread_cnt);
}

/* The journal sizing advice, as lines; a warning when write-back will not pay. */
static void print_advice(const struct vn_cli *cli, const char *md,
			 const struct vn_md_journal_advice *a)
{
	struct vn_advice_line lines[VN_ADVICE_LINES_MAX];
	unsigned int n = vn_md_journal_advice_lines(a, lines);
	char j[32];

	for (unsigned int i = 0; i < n; i++) {
		if (!lines[i].warn)
			vn_info(cli, "journal %s: %s",
				vn_size_format(a->journal_bytes, j, sizeof(j)), lines[i].text);
		else
			vn_warn(cli, "%s: %s: %s", md, lines[i].text, lines[i].remedy);
	}
}

/*
 * Apply vnvme's default tuning to a freshly started array (md forgot it).
 * Arrays without a stripe cache are left alone. A failure is a warning: the
 * array runs either way. Return: the tuning applied, or NULL.
 */
static json_t *tune_started(struct vn_cli *cli, const char *md,
			    struct vn_md_journal_advice *ret_advice)
{
	struct vn_md_tune_input in;
	struct vn_md_tune t;

	*ret_advice = (struct vn_md_journal_advice){ 0 };
	if (vn_md_tune_input(cli->ctx, md, &in) < 0 ||
	    vn_md_tune_rule(&in, &t, ret_advice) < 0) {
		vn_ctx_clear_error(cli->ctx);
		return NULL;
	}
	if (vn_md_tune_apply(cli->ctx, md, &t) < 0) {
		vn_warn(cli, "%s; not tuned ('vnvme raid tune /dev/%s --defaults' retries)",
			vn_ctx_error(cli->ctx), md);
		vn_ctx_clear_error(cli->ctx);
		return NULL;
	}
	return tune_json(&t);
}

/* ---- create ---- */

enum {
	/* mdadm's letters */
	OPT_LEVEL = 'l',
	OPT_CHUNK = 'c',
	OPT_NDEV = 'n',
	OPT_NAME = 'N',
	OPT_BITMAP = 'b',
	OPT_METADATA = 'e',
	OPT_RUN = 'R',
	OPT_SCAN = 's',
	OPT_JOURNAL = VN_OPT_LONG,
	OPT_WJOURNAL,
	OPT_ASSUME_CLEAN,
	OPT_JMODE,
	OPT_NO_TUNE,
	OPT_SCS,
	OPT_GTC,
	OPT_DEFAULTS,
	OPT_TIMEOUT,
	OPT_KEEP_WC,
};

static const struct vn_opt create_opts[] = {
	{ "level", OPT_LEVEL, "0|1|4|5|6|10", "RAID level (also raid5, ...)", 0 },
	{ "journal", OPT_JOURNAL, "DEV", "write journal device (raid4/5/6)", 0 },
	{ "write-journal", OPT_WJOURNAL, "DEV", "the same, mdadm's name", 0 },
	{ "chunk", OPT_CHUNK, "SIZE", "chunk size (default 512K; K if no unit)", 0 },
	{ "raid-devices", OPT_NDEV, "N", "number of members, checked against the list", 0 },
	{ "assume-clean", OPT_ASSUME_CLEAN, NULL, "skip the initial sync", 0 },
	{ "name", OPT_NAME, "NAME", "array name (default: the md number)", 0 },
	{ "bitmap", OPT_BITMAP, "none", "accepted for mdadm compatibility: no bitmap", 0 },
	{ "metadata", OPT_METADATA, "1.2", "accepted for mdadm compatibility: v1.2 is "
	  "what vnvme writes", 0 },
	{ "no-tune", OPT_NO_TUNE, NULL, "leave md's stripe cache defaults (see raid tune)", 0 },
	{ "keep-write-cache", OPT_KEEP_WC, NULL, "with a journal: leave the members' volatile "
	  "write caches on (unsafe; see WRITE CACHES)", 0 },
	{ NULL }
};

static const struct vn_col members_cols[] = {
	{ "device", "DEVICE", VN_COL_STR },
	{ "role", "ROLE", VN_COL_STR },
	{ "state", "STATE", VN_COL_STR },
	{ "number", "NUMBER", VN_COL_INT },
	{ "size_bytes", "SIZE", VN_COL_SIZE },
	{ NULL }
};

static int parse_level(const struct vn_cli *cli, const char *s, int *ret)
{
	const char *num = strncmp(s, "raid", 4) == 0 ? s + 4 : s;
	char *end;
	long v;

	v = strtol(num, &end, 10);
	if (*num == '\0' || *end || !vn_md_level_name((int)v))
		return vn_usage_error(cli, "--level: '%s' is not 0, 1, 4, 5, 6 or 10", s);
	*ret = (int)v;
	return 0;
}

static int create_opt(const struct vn_cli *cli, int c, const char *arg,
		      struct vn_md_create_req *req, long *ndev, bool *no_tune, bool *keep_wc)
{
	uint64_t bytes;
	char *end;

	switch (c) {
	case OPT_LEVEL:
		return parse_level(cli, arg, &req->level);
	case OPT_JOURNAL:
	case OPT_WJOURNAL:
		req->journal = arg;
		return 0;
	case OPT_CHUNK:
		if (vn_opt_size(cli, "chunk", arg, 1024, &bytes))
			return VN_EXIT_USAGE;
		if (bytes % 1024 || bytes / 1024 > (1u << 30))
			return vn_usage_error(cli, "--chunk: '%s' is not a whole number of KiB",
					      arg);
		req->chunk_kib = (unsigned int)(bytes / 1024);
		return 0;
	case OPT_NDEV:
		*ndev = strtol(arg, &end, 10);
		if (*end || *ndev < 1)
			return vn_usage_error(cli, "--raid-devices: '%s' is not a count", arg);
		return 0;
	case OPT_ASSUME_CLEAN:
		req->assume_clean = true;
		return 0;
	case OPT_NAME:
		req->name = arg;
		return 0;
	case OPT_BITMAP:
		if (strcmp(arg, "none") != 0)
			return vn_usage_error(cli, "--bitmap: only 'none' is supported");
		return 0;
	case OPT_METADATA:
		if (strcmp(arg, "1.2") != 0 && strcmp(arg, "default") != 0)
			return vn_usage_error(cli, "--metadata: vnvme writes v1.2 superblocks "
					      "only, not '%s'", arg);
		return 0;
	case OPT_NO_TUNE:
		*no_tune = true;
		return 0;
	case OPT_KEEP_WC:
		*keep_wc = true;
		return 0;
	default:
		return 0;
	}
}

static json_t *create_json(const struct vn_md_create_result *res,
			   const struct vn_md_create_req *req, json_t *tuning, json_t *wcache,
			   const struct vn_md_journal_advice *advice)
{
	json_t *members = json_array();

	for (unsigned int i = 0; i < req->nmembers; i++)
		json_array_append_new(members, json_string(req->members[i]));
	return json_pack("{s:o, s:s, s:s, s:I, s:I, s:I, s:o, s:s?, s:b, s:o, s:o, s:o}",
		"array", vn_json_dev(res->md), "level", vn_md_level_name(req->level), "uuid", res->uuid,
		"size_bytes", (json_int_t)res->size_bytes,
		"component_sectors", (json_int_t)res->component_sectors,
		"data_offset_sectors", (json_int_t)res->data_offset,
		"members", members, "journal", req->journal,
		"sync_started", res->syncing, "tuning", tuning ? tuning : json_null(),
		"write_caches", wcache ? wcache : json_null(),
		"journal_advice", vn_journal_advice_json(advice));
}

/* The members' write caches turned off by create, assemble or tune, if any
 * (a dry run has said what it would write). */
static void print_write_caches(const struct vn_cli *cli, const char *off)
{
	if (off[0] && !cli->dry_run)
		vn_info(cli, "write caches off: %s (the journal's checkpoint needs what md "
			"destaged to be on the disks: WRITE CACHES in vnvme-raid(8))", off);
}

static int cmd_raid_create(struct vn_cli *cli, int argc, char **argv)
{
	struct vn_md_create_req req = { .level = -1 };
	struct vn_md_create_result res = { 0 };
	struct vn_md_journal_advice advice = { 0 };
	struct vn_getopt g = { 0 };
	json_t *tuning = NULL, *wcache = NULL;
	bool no_tune = false, keep_wc = false;
	char off[256] = "";
	long ndev = 0;
	char size[32];
	int c;

	while ((c = vn_getopt(cli, &g, argc, argv)) != -1) {
		if (c == VN_GETOPT_STOP)
			return cli->exit;
		if (create_opt(cli, c, g.arg, &req, &ndev, &no_tune, &keep_wc))
			return VN_EXIT_USAGE;
	}
	if (argc - g.optind < 1)
		return vn_usage_error(cli, "no array given (/dev/mdN)");
	if (req.level < 0)
		return vn_usage_error(cli, "--level is required");
	req.members = (const char *const *)argv + g.optind + 1;
	req.nmembers = (unsigned int)(argc - g.optind - 1);
	req.force = cli->force;
	if (ndev && (unsigned long)ndev != req.nmembers)
		return vn_usage_error(cli, "--raid-devices %ld but %u members given", ndev,
				      req.nmembers);
	if (vn_md_create(cli->ctx, argv[g.optind], &req, &res) < 0) {
		c = vn_report(cli);
		if (c == VN_EXIT_REFUSED || c == VN_EXIT_USAGE)
			vn_err(cli, "nothing was written");
		return c;
	}
	if (cli->dry_run) {
		if (req.journal && !keep_wc)
			vn_report_action(cli, true, "then turn off the members' write caches "
					 "(WRITE CACHES in vnvme-raid(8))");
		if (!no_tune)
			vn_report_action(cli, true, "then apply vnvme's tuning (raid tune --defaults)");
		return VN_EXIT_OK;
	}
	/* before the tuning: its advice counts the members left volatile */
	if (!keep_wc)
		wcache = vn_write_caches_off(cli, res.md, off, sizeof(off));
	if (!no_tune)
		tuning = tune_started(cli, res.md, &advice);
	if (cli->json)
		return vn_output_json(create_json(&res, &req, tuning, wcache, &advice));
	json_decref(wcache);
	vn_info(cli, "/dev/%s: %s, %s, %u members%s, uuid %s", res.md,
		vn_md_level_name(req.level), vn_size_format(res.size_bytes, size, sizeof(size)),
		req.nmembers, req.journal ? " + journal" : "", res.uuid);
	if (res.syncing)
		vn_info(cli, "initial sync started: 'vnvme raid wait /dev/%s' waits for it",
			res.md);
	print_write_caches(cli, off);
	if (tuning)
		vn_info(cli, "tuned: stripe_cache_size %lld, group_thread_cnt %lld",
			json_integer_value(json_object_get(tuning, "stripe_cache_size")),
			json_integer_value(json_object_get(tuning, "group_thread_cnt")));
	print_advice(cli, res.md, &advice);
	json_decref(tuning);
	return VN_EXIT_OK;
}

/* ---- status ---- */

/*
 * "45.3% (1234/258048 KiB), 2700 KiB/s, about 4.5 min left": the progress
 * of raid status and raid wait, with the time left from md's estimate.
 */
static char *sync_text(const struct vn_md_status *st, char *buf, size_t len)
{
	int64_t left = vn_md_sync_left(st);
	int n = snprintf(buf, len, "%.1f%% (%llu/%llu KiB), %llu KiB/s",
			 st->sync_percent < 0 ? 0.0 : st->sync_percent,
			 (unsigned long long)st->sync_done_kib,
			 (unsigned long long)st->sync_total_kib,
			 (unsigned long long)st->sync_speed_kib);

	if (n > 0 && (size_t)n < len && left >= 0)
		snprintf(buf + n, len - (size_t)n, ", about %.1f min left", (double)left / 60);
	else if (n > 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, ", time left unknown");
	return buf;
}

static const char *sync_action(const struct vn_md_status *st)
{
	return st->sync_action[0] ? st->sync_action : "resync";
}

static void print_status(const struct vn_cli *cli, json_t *doc, const struct vn_md_status *st)
{
	char size[32], chunk[32], line[192];

	printf("/dev/%s: %s, %s, %s, %s chunk, [%u/%u] [%s]%s\n", st->name, st->level,
	       st->array_state, vn_size_format(st->size_bytes, size, sizeof(size)),
	       vn_size_format(st->chunk_bytes, chunk, sizeof(chunk)), st->raid_disks,
	       st->raid_disks - st->degraded, st->health,
	       st->degraded ? " DEGRADED" : "");
	printf("uuid %s, events %llu, consistency policy %s%s%s\n", st->uuid,
	       (unsigned long long)st->events, st->consistency_policy,
	       st->journal_mode[0] ? ", journal mode " : "", st->journal_mode);
	if (st->syncing)
		printf("%s: %s\n", sync_action(st), sync_text(st, line, sizeof(line)));
	(void)vn_output(cli, json_pack("{s:O}", "members", json_object_get(doc, "members")),
			"members", members_cols);
	vn_print_notes(json_object_get(doc, "notes"), "");
}

static int cmd_raid_status(struct vn_cli *cli, int argc, char **argv)
{
	struct vn_md_status *all = NULL;
	struct vn_health_report *rep;
	enum vn_health health;
	json_t *arrays;
	int i, n;

	i = vn_getopt_args(cli, argc, argv, 0, 1, "takes at most one array");
	if (i < 0)
		return cli->exit;
	if (argc - i == 1) {
		all = malloc(sizeof(*all));
		if (!all)
			return VN_EXIT_FAILED;
		n = vn_md_status(cli->ctx, argv[i], all) < 0 ? -1 : 1;
	} else {
		n = vn_md_list(cli->ctx, &all);
		/* no md_mod, no arrays: an empty listing, as every listing (vnvme(8)) */
		if (n < 0 && vn_ctx_error_kind(cli->ctx) == VN_ERR_NOSUPPORT) {
			vn_ctx_clear_error(cli->ctx);
			n = 0;
		}
	}
	if (n < 0) {
		free(all);
		if (argc - i == 1 && vn_ctx_error_kind(cli->ctx) != VN_ERR_INVALID) {
			vn_report(cli);
			return VN_EXIT_MISSING;	/* monitoring: the array is not running */
		}
		return vn_report(cli);
	}
	rep = calloc(1, sizeof(*rep));
	if (!rep) {
		free(all);
		return VN_EXIT_FAILED;
	}
	arrays = json_array();
	for (int k = 0; k < n; k++) {
		json_t *doc = vn_md_json(&all[k], rep);

		if (!cli->json) {
			if (k)
				putchar('\n');
			print_status(cli, doc, &all[k]);
		}
		json_array_append_new(arrays, doc);
	}
	free(all);
	health = rep->health;
	free(rep);
	if (n == 0 && !cli->json)
		printf("no md array\n");
	if (cli->json && vn_output_json(json_pack("{s:o}", "arrays", arrays)))
		return VN_EXIT_FAILED;
	if (!cli->json)
		json_decref(arrays);
	return vn_health_exit(health);
}

/* ---- wait ---- */

static const struct vn_opt wait_opts[] = {
	{ "timeout", OPT_TIMEOUT, "SECONDS", "give up after SECONDS (exit 1)", 0 },
	{ NULL }
};

struct wait_state {
	struct vn_cli *cli;
	bool tty;			/* stderr is a terminal: one updating line */
	bool shown;			/* that line is on the screen */
	unsigned int polls;
	int last_pct;			/* the whole percent last printed as a line */
	char action[16];		/* what ran: recovery, check, ... */
	struct vn_md_status last;	/* the last poll's status */
};

static void wait_init(struct wait_state *w, struct vn_cli *cli)
{
	w->cli = cli;
	w->tty = isatty(STDERR_FILENO);
	w->last_pct = -2;
}

/*
 * Progress on stderr: on a terminal one line rewritten every second; else
 * a line each time the whole percent changes, for logs.
 */
static void wait_progress(void *data, const struct vn_md_status *st)
{
	struct wait_state *w = data;
	char text[192];
	int pct = st->sync_percent < 0 ? -1 : (int)st->sync_percent;

	w->last = *st;
	if (st->syncing && strcmp(st->sync_action, "idle") != 0)
		snprintf(w->action, sizeof(w->action), "%s", sync_action(st));
	if (w->cli->quiet || w->cli->json || !st->syncing || st->sync_percent < 0)
		return;		/* md shows no progress yet */
	sync_text(st, text, sizeof(text));
	if (w->tty) {
		if (w->polls++ % 10 == 0)
			fprintf(stderr, "\r/dev/%s %s: %s\033[K", st->name, sync_action(st),
				text);
		w->shown = true;
	} else if (pct != w->last_pct) {
		fprintf(stderr, "/dev/%s %s: %s\n", st->name, sync_action(st), text);
		w->last_pct = pct;
	}
}

/* Wait (@timeout_ms < 0: no limit); the terminal's line ends with the wait. */
static int wait_sync(struct wait_state *w, const char *md, long timeout_ms)
{
	int r = vn_md_wait_timeout(w->cli->ctx, md, timeout_ms, wait_progress, w);

	if (w->shown)
		fputc('\n', stderr);
	return r;
}

static json_t *wait_json(const struct wait_state *w, bool timed_out, uint64_t secs)
{
	json_t *doc = vn_md_json(&w->last, NULL);

	json_object_set_new(doc, "waited_for", w->action[0] ? json_string(w->action) :
			    json_null());
	json_object_set_new(doc, "waited_seconds", json_integer((json_int_t)secs));
	json_object_set_new(doc, "timed_out", json_boolean(timed_out));
	return doc;
}

/*
 * After the wait: what ran finished; the array's health is the exit status,
 * as raid status gives it, so that `raid wait && ...` stops on a rebuild
 * that ended degraded (a member failed during it).
 */
static int wait_health(struct wait_state *w, const char *md)
{
	struct vn_health_report *rep = calloc(1, sizeof(*rep));
	enum vn_health h;

	if (!rep)
		return VN_EXIT_FAILED;
	if (vn_md_status(w->cli->ctx, md, &w->last) < 0) {	/* stopped meanwhile */
		free(rep);
		vn_report(w->cli);
		return VN_EXIT_MISSING;
	}
	if (w->action[0])
		vn_info(w->cli, "/dev/%s: %s finished", w->last.name, w->action);
	h = vn_health_md(&w->last, rep);
	for (unsigned int i = 0; i < rep->n; i++)
		if (rep->notes[i].health != VN_HEALTH_OK)
			vn_warn(w->cli, "/dev/%s: %s", w->last.name, rep->notes[i].text);
	free(rep);
	return vn_health_exit(h);
}

static int cmd_raid_wait(struct vn_cli *cli, int argc, char **argv)
{
	struct vn_getopt g = { 0 };
	struct wait_state *w;
	unsigned long secs = 0;
	long timeout_ms = -1;
	time_t t0 = time(NULL);
	char text[192];
	int c, r, code = VN_EXIT_OK;

	while ((c = vn_getopt(cli, &g, argc, argv)) != -1) {
		if (c == VN_GETOPT_STOP)
			return cli->exit;
		if (c == OPT_TIMEOUT && vn_opt_uint(cli, "timeout", g.arg, 0, 365ul * 86400, &secs))
			return VN_EXIT_USAGE;
		if (c == OPT_TIMEOUT)
			timeout_ms = (long)secs * 1000;
	}
	if (argc - g.optind != 1)
		return vn_usage_error(cli, "needs one array (/dev/mdN)");
	w = calloc(1, sizeof(*w));
	if (!w)
		return VN_EXIT_FAILED;
	wait_init(w, cli);
	r = wait_sync(w, argv[g.optind], timeout_ms);
	if (r == -ETIMEDOUT) {
		vn_err(cli, "%s (%s)", vn_ctx_error(cli->ctx), sync_text(&w->last, text,
									   sizeof(text)));
		code = VN_EXIT_FAILED;
	} else if (r < 0) {
		free(w);
		return vn_report(cli);
	} else {
		code = wait_health(w, argv[g.optind]);
	}
	if (cli->json && vn_output_json(wait_json(w, r == -ETIMEDOUT,
						  (uint64_t)(time(NULL) - t0))))
		code = VN_EXIT_FAILED;
	free(w);
	return code;
}

/* ---- examine ---- */

/* mdadm's human_size(): " (252.00 MiB 264.24 MB)"; "" under 5000 KiB. */
static const char *human_size(uint64_t bytes, char *buf, size_t len)
{
	static const struct { uint64_t below, bin, dec; const char *b, *d; } u[] = {
		{ 2ull << 30, 1ull << 20, 1000000ull, "MiB", "MB" },
		{ 2ull << 40, 1ull << 30, 1000000000ull, "GiB", "GB" },
		{ UINT64_MAX, 1ull << 40, 1000000000000ull, "TiB", "TB" },
	};
	size_t i = 0;
	uint64_t cb, cd;

	buf[0] = '\0';
	if (bytes < 5000 * 1024)
		return buf;
	while (bytes >= u[i].below && i + 1 < sizeof(u) / sizeof(u[0]))
		i++;
	/* centi-units rounded half up, without overflowing bytes * 200 */
	cb = ((bytes / u[i].bin) * 200 + (bytes % u[i].bin) * 200 / u[i].bin + 1) / 2;
	cd = (bytes / (u[i].dec / 200) + 1) / 2;
	snprintf(buf, len, " (%llu.%02llu %s %llu.%02llu %s)", (unsigned long long)(cb / 100),
		 (unsigned long long)(cb % 100), u[i].b, (unsigned long long)(cd / 100),
		 (unsigned long long)(cd % 100), u[i].d);
	return buf;
}

/* mdadm's 8:8:8:8 (@colons) or the 8-4-4-4-12 of md/uuid and raid status. */
static char *uuid_fmt(const uint8_t u[16], bool colons, char *buf)
{
	char *p = buf;

	for (int i = 0; i < 16; i++) {
		if (colons ? i && i % 4 == 0 : i == 4 || i == 6 || i == 8 || i == 10)
			*p++ = colons ? ':' : '-';
		p += sprintf(p, "%02x", u[i]);
	}
	return buf;
}

static const char *examine_level(int level)
{
	return level == -1 ? "linear" : vn_md_level_name(level);
}

/* "  Creation Time : Tue Nov 24 14:05:47 2026", as mdadm (local time). */
static void print_time(const char *label, uint64_t t)
{
	time_t tt = (time_t)(t & 0xffffffffffull);
	char buf[32];

	printf("%s : %.24s\n", label, ctime_r(&tt, buf) ? buf : "?");
}

static void print_examine_sizes(const struct vn_md_sb *sb, const struct vn_md_sb_view *v)
{
	char h[48];

	printf(" Avail Dev Size : %llu sectors%s\n", (unsigned long long)sb->data_size,
	       human_size(sb->data_size * 512, h, sizeof(h)));
	if (sb->level > 0 && v->array_bytes)
		printf("     Array Size : %llu KiB%s\n",
		       (unsigned long long)(v->array_bytes / 1024),
		       human_size(v->array_bytes, h, sizeof(h)));
	if (sb->level > 0 && sb->size != sb->data_size)
		printf("  Used Dev Size : %llu sectors%s\n", (unsigned long long)sb->size,
		       human_size(sb->size * 512, h, sizeof(h)));
	if (sb->data_offset)
		printf("    Data Offset : %llu sectors\n", (unsigned long long)sb->data_offset);
	printf("   Super Offset : %llu sectors\n", (unsigned long long)sb->super_offset);
	if (sb->feature_map & 0x2)	/* MD_FEATURE_RECOVERY_OFFSET */
		printf("Recovery Offset : %llu sectors\n",
		       (unsigned long long)sb->recovery_offset);
	if (v->unused_known && v->space_after >= 0)
		printf("   Unused Space : before=%lld sectors, after=%lld sectors\n",
		       (long long)v->space_before, (long long)v->space_after);
	else if (v->unused_known)
		printf("   Unused Space : before=%lld sectors, after=-%lld sectors DEVICE "
		       "TOO SMALL\n", (long long)v->space_before, -(long long)v->space_after);
}

/* The text of mdadm --examine (mdadm 4.2's examine_super1), field by field. */
static void print_examine(const char *dev, const struct vn_md_sb *sb,
			  const struct vn_md_sb_view *v)
{
	char host[256] = "", uuid[48];
	size_t l;

	printf("%s:\n          Magic : %08x\n", dev, VN_MD_SB_MAGIC);
	printf("        Version : 1.%d\n", sb->super_offset <= 4 ? 1 : sb->super_offset <= 8 ? 2 : 0);
	printf("    Feature Map : 0x%x\n", sb->feature_map);
	printf("     Array UUID : %s\n", uuid_fmt(sb->set_uuid, true, uuid));
	printf("           Name : %.32s", sb->set_name);
	l = gethostname(host, sizeof(host) - 1) == 0 ? strlen(host) : 0;
	if (l > 0 && l < 32 && sb->set_name[l] == ':' && strncmp(sb->set_name, host, l) == 0)
		printf("  (local to host %s)", host);
	putchar('\n');
	print_time("  Creation Time", sb->ctime);
	printf("     Raid Level : %s\n", examine_level(sb->level) ? examine_level(sb->level) :
	       "-unknown-");
	printf("   Raid Devices : %u\n\n", sb->raid_disks);
	print_examine_sizes(sb, v);
	printf("          State : %s%s\n", v->clean ? "clean" : "active",
	       v->truncated ? " TRUNCATED DEVICE" : "");
	printf("    Device UUID : %s\n\n", uuid_fmt(sb->device_uuid, true, uuid));
	if (sb->feature_map & 0x1)	/* MD_FEATURE_BITMAP_OFFSET */
		printf("Internal Bitmap : %ld sectors from superblock\n", (long)sb->bitmap_offset);
	if (sb->devflags)
		printf("          Flags :%s%s\n", (sb->devflags & 1) ? " write-mostly" : "",
		       (sb->devflags & 2) ? " failfast" : "");
	print_time("    Update Time", sb->utime);
	if (sb->bblog_size && sb->bblog_offset)
		printf("  Bad Block Log : %d entries available at offset %ld sectors%s\n",
		       sb->bblog_size * 512 / 8, (long)sb->bblog_offset,
		       (sb->feature_map & 0x8) ? " - bad blocks present." : "");
	if (v->csum_ok)
		printf("       Checksum : %x - correct\n", sb->sb_csum);
	else
		printf("       Checksum : %x - expected %x\n", sb->sb_csum, v->csum_expected);
	printf("         Events : %llu\n\n", (unsigned long long)sb->events);
	if (v->layout[0])
		printf("         Layout : %s\n", v->layout);
	if (v->chunk_shown)
		printf("     Chunk Size : %uK\n", sb->chunksize / 2);
	printf("\n   Device Role : %s\n", v->role_text);
	printf("   Array State : %s ('A' == active, '.' == missing, 'R' == replacing)\n",
	       v->array_state);
}

/* "active 0", "replacement 0", "journal", "spare", "faulty" (as raid status). */
static const char *examine_role(const struct vn_md_sb *sb, unsigned int role, char *buf,
				size_t len)
{
	if (role == VN_MD_ROLE_JOURNAL)
		return "journal";
	if (role == VN_MD_ROLE_SPARE)
		return "spare";
	if (role >= VN_MD_ROLE_FAULTY)
		return "faulty";
	snprintf(buf, len, "%s %u", (sb->feature_map & 0x10) ? "replacement" : "active", role);
	return buf;
}

static json_t *int_or_null(bool known, json_int_t v)
{
	return known ? json_integer(v) : json_null();
}

static json_t *examine_json(const char *dev, const struct vn_md_sb *sb,
			    const struct vn_md_sb_view *v)
{
	char au[48], du[48], csum[16], want[16], magic[16], role[32], ver[8];
	const char *level = examine_level(sb->level);
	bool slot = v->role < VN_MD_ROLE_JOURNAL;

	snprintf(csum, sizeof(csum), "%08x", sb->sb_csum);
	snprintf(want, sizeof(want), "%08x", v->csum_expected);
	snprintf(magic, sizeof(magic), "%08x", VN_MD_SB_MAGIC);
	snprintf(ver, sizeof(ver), "1.%d", sb->super_offset <= 4 ? 1 : sb->super_offset <= 8 ? 2 : 0);
	return json_pack("{s:s, s:s, s:s, s:i, s:s, s:s, s:I, s:o, s:i, s:I, s:o, s:I, s:I,"
			 " s:I, s:o, s:o, s:s, s:b, s:s, s:I, s:o, s:s, s:b, s:s, s:I, s:o, s:o,"
			 " s:s, s:o, s:s, s:b}",
		"device", dev, "magic", magic, "version", ver, "feature_map", (int)sb->feature_map,
		"array_uuid", uuid_fmt(sb->set_uuid, false, au), "name", sb->set_name,
		"creation_time", (json_int_t)(sb->ctime & 0xffffffffffull),
		"level", level ? json_string(level) : json_null(),
		"raid_devices", (int)sb->raid_disks,
		"avail_dev_size_bytes", (json_int_t)(sb->data_size * 512),
		"array_size_bytes", int_or_null(v->array_bytes > 0, (json_int_t)v->array_bytes),
		"used_dev_size_bytes", (json_int_t)(sb->size * 512),
		"data_offset_bytes", (json_int_t)(sb->data_offset * 512),
		"super_offset_bytes", (json_int_t)(sb->super_offset * 512),
		"unused_before_bytes", int_or_null(v->unused_known, v->space_before * 512),
		"unused_after_bytes", int_or_null(v->unused_known, v->space_after * 512),
		"state", v->clean ? "clean" : "active", "truncated", v->truncated,
		"device_uuid", uuid_fmt(sb->device_uuid, false, du),
		"update_time", (json_int_t)(sb->utime & 0xffffffffffull),
		"bad_block_log_entries", int_or_null(sb->bblog_size && sb->bblog_offset,
						     sb->bblog_size * 512 / 8),
		"checksum", csum, "checksum_ok", v->csum_ok, "checksum_expected", want,
		"events", (json_int_t)sb->events,
		"layout", v->layout[0] ? json_string(v->layout) : json_null(),
		"chunk_bytes", int_or_null(v->chunk_shown, (json_int_t)sb->chunksize * 512),
		"role", examine_role(sb, v->role, role, sizeof(role)),
		"slot", int_or_null(slot, (json_int_t)v->role),
		"array_state", v->array_state,
		"journal", (sb->feature_map & VN_MD_FEATURE_JOURNAL) != 0);
}

static int cmd_raid_examine(struct vn_cli *cli, int argc, char **argv)
{
	int i = vn_getopt_args(cli, argc, argv, 1, 1, "needs one device");
	struct vn_md_sb_view *v = NULL;
	struct vn_md_sb *sb = NULL;
	struct vn_blkdev blk;
	char dev[VN_NAME_MAX + 16];
	int r, code = VN_EXIT_OK;

	if (i < 0)
		return cli->exit;
	if (vn_blk_get(cli->ctx, argv[i], &blk) < 0)
		return vn_report(cli);
	sb = malloc(sizeof(*sb));
	v = malloc(sizeof(*v));
	if (!sb || !v) {
		code = VN_EXIT_FAILED;
		goto out;
	}
	r = vn_md_examine(cli->ctx, blk.name, sb);
	if (r == -EBADMSG)	/* shown, as mdadm does: "Checksum : x - expected y" */
		vn_ctx_clear_error(cli->ctx);
	else if (r < 0) {
		code = vn_report(cli);
		goto out;
	}
	if (vn_md_sb_view(sb, blk.size_bytes / 512, v) < 0) {
		vn_err(cli, "/dev/%s: md superblock with impossible fields", blk.name);
		code = VN_EXIT_FAILED;
		goto out;
	}
	snprintf(dev, sizeof(dev), "/dev/%s", blk.name);
	if (cli->json)
		code = vn_output_json(examine_json(dev, sb, v));
	else
		print_examine(dev, sb, v);
out:
	free(sb);
	free(v);
	return code;
}

/* ---- stop ---- */

static int cmd_raid_stop(struct vn_cli *cli, int argc, char **argv)
{
	int first = vn_getopt_args(cli, argc, argv, 1, -1, "no array given (/dev/mdN)");

	if (first < 0)
		return cli->exit;
	for (int i = first; i < argc; i++) {
		if (vn_md_stop(cli->ctx, argv[i]) < 0)
			return vn_report(cli);
		vn_warn_pending(cli);
		if (!cli->dry_run)
			vn_info(cli, "%s stopped", argv[i]);
	}
	return VN_EXIT_OK;
}

/* ---- assemble ---- */

static const struct vn_opt assemble_opts[] = {
	{ "scan", OPT_SCAN, NULL, "find the members by their superblocks (libblkid)", 0 },
	{ "run", OPT_RUN, NULL, "start the array even if degraded", 0 },
	{ "journal-mode", OPT_JMODE, "MODE", "then set the journal to write-back or "
	  "write-through", 0 },
	{ "no-tune", OPT_NO_TUNE, NULL, "leave md's stripe cache defaults (see raid tune)", 0 },
	{ "keep-write-cache", OPT_KEEP_WC, NULL, "with a journal: leave the members' volatile "
	  "write caches on (unsafe; see WRITE CACHES)", 0 },
	{ NULL }
};

struct assemble_args {
	struct vn_cli *cli;
	const char *md;
	const char *jmode;
	bool run;
	bool no_tune;
	bool keep_wc;
	int code;
	json_t *arrays;		/* --scan --json: every array, one document */
};

static int assemble_one(struct assemble_args *a, const char *const *devs, unsigned int n)
{
	struct vn_md_assemble_req req = { .devices = devs, .ndevices = n, .run = a->run,
					  .force = a->cli->force };
	char md[VN_NAME_MAX], mode[32] = "", off[256] = "";
	struct vn_md_journal_advice advice;
	struct vn_md_status st;

	if (vn_md_assemble(a->cli->ctx, a->md, &req, md, sizeof(md)) < 0)
		return vn_report(a->cli);
	if (a->cli->dry_run) {
		if (!a->keep_wc)
			vn_report_action(a->cli, true, "then turn off the members' write caches "
					 "if it has a journal (WRITE CACHES in vnvme-raid(8))");
		if (!a->no_tune)
			vn_report_action(a->cli, true, "then apply vnvme's tuning (raid tune "
					 "--defaults)");
		return VN_EXIT_OK;
	}
	if (!a->keep_wc)
		json_decref(vn_write_caches_off(a->cli, md, off, sizeof(off)));
	print_write_caches(a->cli, off);
	if (!a->no_tune)
		json_decref(tune_started(a->cli, md, &advice));
	if (a->jmode && vn_md_journal_mode(a->cli->ctx, md, a->jmode, a->cli->force,
					   mode, sizeof(mode)) < 0) {
		vn_info(a->cli, "/dev/%s started", md);
		return vn_report(a->cli);
	}
	if (a->jmode && strcmp(a->jmode, "write-back") == 0)
		vn_warn_writeback(a->cli);
	if (vn_md_status(a->cli->ctx, md, &st) < 0)
		return vn_report(a->cli);
	vn_info(a->cli, "/dev/%s started: %s, [%u/%u] [%s]%s%s", md, st.level, st.raid_disks,
		st.raid_disks - st.degraded, st.health,
		st.journal_mode[0] ? ", journal " : "", st.journal_mode);
	if (st.journal_mode[0] && !a->jmode)
		vn_info(a->cli, "md starts every journal in write-through; "
			"'vnvme journal-mode /dev/%s write-back' changes it", md);
	if (a->cli->json && a->arrays)
		json_array_append_new(a->arrays, vn_md_json(&st, NULL));
	else if (a->cli->json)
		return vn_output_json(vn_md_json(&st, NULL));
	return VN_EXIT_OK;
}

static int scan_cb(void *data, const char *uuid, const char *name,
		   const char *const *devs, unsigned int n)
{
	struct assemble_args *a = data;
	int code;

	vn_info(a->cli, "array %s (%s): %u devices", name, uuid, n);
	code = assemble_one(a, devs, n);
	if (code && !a->code)
		a->code = code;
	return 0;
}

static int cmd_raid_assemble(struct vn_cli *cli, int argc, char **argv)
{
	struct assemble_args a = { .cli = cli };
	struct vn_getopt g = { 0 };
	bool scan = false;
	int c, n;

	while ((c = vn_getopt(cli, &g, argc, argv)) != -1) {
		if (c == VN_GETOPT_STOP)
			return cli->exit;
		if (c == OPT_SCAN)
			scan = true;
		else if (c == OPT_RUN)
			a.run = true;
		else if (c == OPT_JMODE)
			a.jmode = g.arg;
		else if (c == OPT_NO_TUNE)
			a.no_tune = true;
		else if (c == OPT_KEEP_WC)
			a.keep_wc = true;
	}
	if (a.jmode && strcmp(a.jmode, "write-back") && strcmp(a.jmode, "write-through"))
		return vn_usage_error(cli, "--journal-mode: '%s' is not write-back or "
				      "write-through", a.jmode);
	if (scan) {
		if (argc - g.optind > 0)
			return vn_usage_error(cli, "--scan takes no devices");
		a.arrays = json_array();
		n = vn_md_scan(cli->ctx, scan_cb, &a);
		if (n < 0) {
			json_decref(a.arrays);
			return vn_report(cli);
		}
		if (n == 0)
			vn_info(cli, "no array found");
		if (cli->json && !cli->dry_run && (!a.code || json_array_size(a.arrays)))
			(void)vn_output_json(json_pack("{s:o}", "arrays", a.arrays));
		else
			json_decref(a.arrays);
		return a.code;
	}
	if (argc - g.optind < 2)
		return vn_usage_error(cli, "needs an array and its devices (or --scan)");
	a.md = argv[g.optind];
	return assemble_one(&a, (const char *const *)argv + g.optind + 1,
			    (unsigned int)(argc - g.optind - 1));
}

/* ---- tune ---- */

static const struct vn_opt tune_opts[] = {
	{ "stripe-cache-size", OPT_SCS, "N", "stripes in md's stripe cache (17..32768)", 0 },
	{ "group-thread-cnt", OPT_GTC, "N", "raid5 worker threads (0..8)", 0 },
	{ "defaults", OPT_DEFAULTS, NULL, "vnvme's rule and write caches (what create and "
	  "assemble apply)", 0 },
	{ NULL }
};

static int parse_uint(const struct vn_cli *cli, const char *opt, const char *arg,
		      unsigned int *ret)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno || !*arg || *end || *arg == '-' || v > UINT32_MAX)
		return vn_usage_error(cli, "--%s: '%s' is not a number", opt, arg);
	*ret = (unsigned int)v;
	return 0;
}

static void print_tune(const struct vn_cli *cli, const char *md, const struct vn_md_tune *t,
		       const struct vn_md_tune *def, const struct vn_md_tune_input *in,
		       const struct vn_md_journal_advice *a)
{
	char mem[32];

	printf("/dev/%s: stripe_cache_size %u (%s of RAM; vnvme's rule %u, md's default "
	       "%u)\n", md, t->stripe_cache_size,
	       vn_size_format((uint64_t)t->stripe_cache_size * 4096 * in->raid_disks, mem,
			      sizeof(mem)),
	       def->stripe_cache_size, (unsigned int)VN_MD_STRIPE_CACHE_DEFAULT);
	printf("/dev/%s: group_thread_cnt %u (vnvme's rule %u)\n", md, t->group_thread_cnt,
	       def->group_thread_cnt);
	print_advice(cli, md, a);
}

static int tune_args(struct vn_cli *cli, int argc, char **argv, struct vn_md_tune *set,
		     bool *ret_scs, bool *ret_gtc, bool *ret_def)
{
	struct vn_getopt g = { 0 };
	int c;

	while ((c = vn_getopt(cli, &g, argc, argv)) != -1) {
		if (c == VN_GETOPT_STOP)
			return -1;
		if (c == OPT_SCS && parse_uint(cli, "stripe-cache-size", g.arg,
					       &set->stripe_cache_size))
			return -1;
		if (c == OPT_GTC && parse_uint(cli, "group-thread-cnt", g.arg,
					       &set->group_thread_cnt))
			return -1;
		*ret_scs |= c == OPT_SCS;
		*ret_gtc |= c == OPT_GTC;
		*ret_def |= c == OPT_DEFAULTS;
	}
	if (argc - g.optind != 1) {
		vn_usage_error(cli, "needs one array (/dev/mdN)");
		return -1;
	}
	return g.optind;
}

static int cmd_raid_tune(struct vn_cli *cli, int argc, char **argv)
{
	bool scs = false, gtc = false, def = false;
	struct vn_md_tune set = { 0 }, cur, rule;
	struct vn_md_journal_advice advice;
	struct vn_md_tune_input in;
	const char *md;
	int i;

	cli->exit = VN_EXIT_USAGE;
	i = tune_args(cli, argc, argv, &set, &scs, &gtc, &def);
	if (i < 0)
		return cli->exit;
	md = strrchr(argv[i], '/') ? strrchr(argv[i], '/') + 1 : argv[i];
	if (vn_md_tune_input(cli->ctx, argv[i], &in) < 0 ||
	    vn_md_tune_rule(&in, &rule, &advice) < 0 ||
	    vn_md_tune_get(cli->ctx, argv[i], &cur) < 0)
		return vn_report(cli);
	if (scs || gtc || def) {
		struct vn_md_tune want = def ? rule : cur;

		if (scs)
			want.stripe_cache_size = set.stripe_cache_size;
		if (gtc)
			want.group_thread_cnt = set.group_thread_cnt;
		if (vn_md_tune_apply(cli->ctx, argv[i], &want) < 0)
			return vn_report(cli);
		if (def) {	/* all of create's defaults: the write caches too */
			char off[256];

			json_decref(vn_write_caches_off(cli, argv[i], off, sizeof(off)));
			print_write_caches(cli, off);
		}
		if (cli->dry_run)
			return VN_EXIT_OK;
		/* the advice again: it counts the members left volatile */
		if (vn_md_tune_get(cli->ctx, argv[i], &cur) < 0 ||
		    (def && (vn_md_tune_input(cli->ctx, argv[i], &in) < 0 ||
			     vn_md_tune_rule(&in, &rule, &advice) < 0)))
			return vn_report(cli);
		if (cli->quiet && !cli->json)
			return VN_EXIT_OK;
	}
	if (cli->json)
		return vn_output_json(json_pack("{s:o, s:o, s:o, s:I, s:o, s:b}",
			"array", vn_json_dev(md), "current", tune_json(&cur), "default", tune_json(&rule),
			"stripe_cache_bytes",
			(json_int_t)cur.stripe_cache_size * 4096 * in.raid_disks,
			"journal_advice", vn_journal_advice_json(&advice),
			"changed", scs || gtc || def));
	print_tune(cli, md, &cur, &rule, &in, &advice);
	return VN_EXIT_OK;
}

/* ---- fail, remove, add, replace ---- */

/* Every device of a member command checked (the library in dry-run mode,
 * its "would" lines unprinted) before the first one is changed: a bad last
 * argument must not leave the first ones failed, removed or added. */
static int member_cmd_check(struct vn_cli *cli, int argc, char **argv, int md,
			    int (*fn)(struct vn_ctx *, const char *, const char *, bool))
{
	int r = 0;

	if (cli->dry_run || argc - md < 3)
		return 0;
	vn_ctx_set_dry_run(cli->ctx, true);
	vn_ctx_set_action_cb(cli->ctx, NULL, NULL);
	for (int i = md + 1; i < argc && r >= 0; i++)
		r = fn(cli->ctx, argv[md], argv[i], cli->force);
	vn_ctx_set_dry_run(cli->ctx, false);
	vn_ctx_set_action_cb(cli->ctx, vn_report_action, cli);
	return r < 0 ? vn_report(cli) : 0;
}

static int member_cmd(struct vn_cli *cli, int argc, char **argv,
		      int (*fn)(struct vn_ctx *, const char *, const char *, bool),
		      const char *done)
{
	int md = vn_getopt_args(cli, argc, argv, 2, -1, "needs an array and a device");
	int r;

	if (md < 0)
		return cli->exit;
	r = member_cmd_check(cli, argc, argv, md, fn);
	if (r)
		return r;
	for (int i = md + 1; i < argc; i++) {
		if (fn(cli->ctx, argv[md], argv[i], cli->force) < 0)
			return vn_report(cli);
		if (!cli->dry_run)
			vn_info(cli, "%s: %s %s", argv[md], argv[i], done);
	}
	return VN_EXIT_OK;
}

static int fail_fn(struct vn_ctx *ctx, const char *md, const char *dev, bool force)
{
	(void)force;
	return vn_md_fail(ctx, md, dev);
}

static int remove_fn(struct vn_ctx *ctx, const char *md, const char *dev, bool force)
{
	(void)force;
	return vn_md_remove(ctx, md, dev);
}

/* How many working members md's level can lose. */
static unsigned int survivable(const struct vn_md_status *st)
{
	if (strcmp(st->level, "raid1") == 0)
		return st->raid_disks ? st->raid_disks - 1 : 0;
	if (strcmp(st->level, "raid6") == 0)
		return 2;
	if (strcmp(st->level, "raid4") == 0 || strcmp(st->level, "raid5") == 0 ||
	    strcmp(st->level, "raid10") == 0)
		return 1;
	return 0;
}

/* Is @arg the in-sync member @m (by its /dev name)? */
static bool is_working(const struct vn_md_member *m, const char *arg)
{
	char real[4096];
	const char *base;

	if (m->journal || m->faulty || m->spare || m->slot < 0)
		return false;
	base = strrchr(realpath(arg, real) ? real : arg, '/');
	return strcmp(base ? base + 1 : arg, m->name) == 0;
}

/*
 * Failing more working members than the level survives is refused (exit 3,
 * --force overrides): md marks a raid4/5/6 member faulty before it says the
 * array broke (EBUSY), so asking the kernel is too late. Return: -1 to go on,
 * else the exit code after the message.
 */
static int fail_would_break(struct vn_cli *cli, int argc, char **argv, int md)
{
	struct vn_md_status *st = calloc(1, sizeof(*st));
	unsigned int lose = 0, can;
	int r = -1;

	if (!st || cli->force || vn_md_status(cli->ctx, argv[md], st) < 0) {
		vn_ctx_clear_error(cli->ctx);	/* the per-device check reports */
		free(st);
		return -1;
	}
	for (int i = md + 1; i < argc; i++)
		for (unsigned int j = 0; j < st->nmembers && j < VN_MD_MEMBERS_MAX; j++)
			lose += is_working(&st->members[j], argv[i]);
	can = survivable(st);
	if (lose && st->degraded + lose > can) {
		vn_err(cli, "failing %u working member%s would break %s: %s survives %u missing, "
		       "%u already (use --force)", lose, lose > 1 ? "s" : "", st->name, st->level,
		       can, st->degraded);
		r = VN_EXIT_REFUSED;
	}
	free(st);
	return r;
}

static int cmd_raid_fail(struct vn_cli *cli, int argc, char **argv)
{
	int md = vn_getopt_args(cli, argc, argv, 2, -1, "needs an array and a device");
	int r;

	if (md < 0)
		return cli->exit;
	r = fail_would_break(cli, argc, argv, md);
	if (r >= 0)
		return r;
	return member_cmd(cli, argc, argv, fail_fn, "marked faulty");
}

static int cmd_raid_remove(struct vn_cli *cli, int argc, char **argv)
{
	return member_cmd(cli, argc, argv, remove_fn, "removed");
}

static int cmd_raid_add(struct vn_cli *cli, int argc, char **argv)
{
	return member_cmd(cli, argc, argv, vn_md_add,
			  "added (a spare; recovery starts if the array is degraded)");
}

static int cmd_raid_add_journal(struct vn_cli *cli, int argc, char **argv)
{
	int i = vn_getopt_args(cli, argc, argv, 2, 2, "needs an array and a device");
	int r;

	if (i < 0)
		return cli->exit;
	r = vn_md_add_journal(cli->ctx, argv[i], argv[i + 1], cli->force);
	if (r < 0)
		return vn_report(cli);
	if (cli->dry_run)
		return VN_EXIT_OK;
	if (r == 1)
		vn_info(cli, "%s: %s was already its journal, the array still read-only (an "
			"add-journal cut off): the array is read-write now", argv[i], argv[i + 1]);
	else
		vn_info(cli, "%s: %s is its journal (write-through); the array is read-write",
			argv[i], argv[i + 1]);
	return VN_EXIT_OK;
}

static int cmd_raid_replace(struct vn_cli *cli, int argc, char **argv)
{
	const char *md, *old, *new_dev;
	struct wait_state *w;
	int i = vn_getopt_args(cli, argc, argv, 3, 3,
			       "needs an array, the old and the new device");

	if (i < 0)
		return cli->exit;
	md = argv[i];
	old = argv[i + 1];
	new_dev = argv[i + 2];
	if (vn_md_replace(cli->ctx, md, old, new_dev, cli->force) < 0)
		return vn_report(cli);
	if (cli->dry_run)
		return VN_EXIT_OK;
	vn_info(cli, "%s: rebuilding onto %s", md, new_dev);
	w = calloc(1, sizeof(*w));
	if (!w)
		return VN_EXIT_FAILED;
	wait_init(w, cli);
	/* md copies by itself now (hours on big disks): other changes may be
	 * made meanwhile; the lock is taken again to take the old device out */
	vn_cli_unlock(cli);
	i = wait_sync(w, md, -1);
	if (i < 0) {
		free(w);
		i = vn_report(cli);
		if (vn_ctx_stop_signal(cli->ctx))
			vn_err(cli, "%s: md goes on copying onto %s (raid wait follows it); %s "
			       "stays in the array until raid remove takes it out", md,
			       new_dev, old);
		return i;
	}
	if (vn_cli_relock(cli) < 0) {
		free(w);
		i = vn_report(cli);
		vn_err(cli, "%s: the copy onto %s is over; %s is left in the array (raid "
		       "remove takes it out)", md, new_dev, old);
		return i;
	}
	/* after the copy the old device is faulty, or already gone */
	if (vn_md_remove(cli->ctx, md, old) < 0)
		vn_ctx_clear_error(cli->ctx);
	/* a rebuild that ended is not one that made the array whole: a second
	 * failure during it breaks the array, and that is no replacement */
	i = wait_health(w, md);
	free(w);
	if (i != VN_EXIT_OK) {
		vn_err(cli, "%s: the rebuild onto %s ended with the array not whole", md,
		       new_dev);
		return i;
	}
	/* md fills a missing member's slot before it replaces a working one; a
	 * copy can also fail or be stopped (sync_action frozen) */
	if (vn_md_replace_unfinished(cli->ctx, md, old)) {
		vn_err(cli, "%s: %s is still a working member: md did not replace it (it "
		       "rebuilt a missing member onto %s, or the copy failed or was "
		       "stopped: see raid status)", md, old, new_dev);
		return VN_EXIT_FAILED;
	}
	vn_info(cli, "%s: %s replaced by %s", md, old, new_dev);
	return VN_EXIT_OK;
}

/* ---- the group ---- */

static const struct vn_cmd raid_create = {
	.name = "create",
	.fn = cmd_raid_create,
	.usage = "/dev/mdN|/dev/md/NAME --level LEVEL [--journal|--write-journal DEV] "
		 "[--chunk SIZE] [--assume-clean] [--name NAME] [--raid-devices N] [--bitmap none] "
		 "[--metadata 1.2] [--no-tune] [--keep-write-cache] MEMBER...",
	.summary = "write md v1.2 superblocks on the members and start the array",
	.description =
		"Every member (and the journal) is checked first: a block device that is\n"
		"not mounted, held or open; without --force none may hold a signature; no\n"
		"device twice; big enough; sizes within 1% of each other (else --force).\n"
		"Then vnvme writes the superblocks as mdadm 4.2 does and starts the array\n"
		"through the md ioctls. raid4/5 start degraded and recover onto the last\n"
		"member, which is quicker than a resync. If the kernel refuses, the array\n"
		"is stopped and the superblocks erased. raid4/5/6 then get vnvme's tuning\n"
		"(see raid tune) unless --no-tune; with a journal, create turns the\n"
		"members' volatile write caches off (unless --keep-write-cache: a power cut\n"
		"could lose what md destaged) and says how large a hot set write-back can\n"
		"absorb.",
	.opts = create_opts,
	.flags = VN_CMD_ROOT | VN_CMD_JSON | VN_CMD_DRYRUN,
	.args = VN_ARGS_BLOCKDEV,
};

static const struct vn_cmd raid_status = {
	.name = "status",
	.fn = cmd_raid_status,
	.usage = "[/dev/mdN|/dev/md/NAME]",
	.summary = "show arrays: level, size, members, sync progress, journal mode",
	.description =
		"From /proc/mdstat and /sys/block/mdN/md/. JSON gives sizes in bytes, the\n"
		"members with role (\"active N\", \"journal\", \"spare\", \"faulty\") and the\n"
		"kernel's state, and \"sync\" (null when idle). Exit: 0 healthy, 10\n"
		"degraded, 11 failed, 12 the array is not running (see vnvme status).",
	.flags = VN_CMD_JSON,
	.args = VN_ARGS_ARRAYS,
};

static const struct vn_cmd raid_wait = {
	.name = "wait",
	.fn = cmd_raid_wait,
	.usage = "[--timeout SECONDS] /dev/mdN|/dev/md/NAME",
	.summary = "wait until the array's resync, recovery or check has finished",
	.description =
		"Progress goes to stderr, with the time left as raid status shows it: on a\n"
		"terminal one line rewritten every second; otherwise a line each time the\n"
		"whole percent changes. Exit: 0 when no sync runs (at once if none ran),\n"
		"1 when --timeout passed first (the message says how far it got). JSON:\n"
		"the array as raid status gives it, with waited_for, waited_seconds and\n"
		"timed_out.",
	.opts = wait_opts,
	.flags = VN_CMD_JSON,
	.args = VN_ARGS_ARRAYS,
};

static const struct vn_cmd raid_examine = {
	.name = "examine",
	.fn = cmd_raid_examine,
	.usage = "DEVICE",
	.summary = "show a member's or journal's md superblock as mdadm -E does",
	.description =
		"Reads the v1.2 superblock 4 KiB into DEVICE and prints its fields in\n"
		"the words and order of mdadm -E. JSON gives sizes and offsets in bytes,\n"
		"times in seconds, UUIDs as 8-4-4-4-12, null where a value is unknown or\n"
		"absent. Exit: 0 shown (also with a bad checksum, said in the Checksum\n"
		"line), 1 no md v1.2 superblock on DEVICE, 2 not a block device.",
	.flags = VN_CMD_JSON,
	.args = VN_ARGS_BLOCKDEV,
};

static const struct vn_cmd raid_stop = {
	.name = "stop",
	.fn = cmd_raid_stop,
	.usage = "/dev/mdN|/dev/md/NAME...",
	.summary = "stop an array (journal drained first, so it cannot hang)",
	.description =
		"Refused while the array is mounted, held (dm, md), exported or open.\n"
		"A write-back journal is switched to write-through and the stripe cache\n"
		"drained first: stopping with dirty cached stripes hangs md on Linux 6.1.",
	.flags = VN_CMD_ROOT | VN_CMD_DRYRUN,
	.args = VN_ARGS_ARRAYS,
};

static const struct vn_cmd raid_assemble = {
	.name = "assemble",
	.fn = cmd_raid_assemble,
	.usage = "[--run] [--journal-mode MODE] [--no-tune] [--keep-write-cache] "
		 "/dev/mdN|/dev/md/NAME DEVICE... | --scan [--run]",
	.summary = "start an existing array from its members' superblocks",
	.description =
		"The devices (members and journal) must carry superblocks of one array.\n"
		"Without --run every working member must be there; a journal array never\n"
		"starts without its journal (--force starts it read-only). --scan finds\n"
		"members with libblkid and starts every array it can. md starts journals\n"
		"in write-through: --journal-mode sets the mode afterwards. md also forgets\n"
		"the stripe cache size: vnvme's tuning is applied again unless --no-tune.\n"
		"Disks forget a write cache turned off at power-on: with a journal, the\n"
		"members' caches are turned off again unless --keep-write-cache.",
	.opts = assemble_opts,
	.flags = VN_CMD_ROOT | VN_CMD_JSON | VN_CMD_DRYRUN,
	.args = VN_ARGS_BLOCKDEV,
};

static const struct vn_cmd raid_tune = {
	.name = "tune",
	.fn = cmd_raid_tune,
	.usage = "/dev/mdN|/dev/md/NAME [--stripe-cache-size N] [--group-thread-cnt N] "
		 "[--defaults]",
	.summary = "show or set md's stripe cache size and worker threads",
	.description =
		"Without options, shows the values md runs with, vnvme's rule for the array\n"
		"and, with a journal, how large a hot set write-back absorbs. The rule:\n"
		"a stripe cache twice the stripes the journal holds before md forces\n"
		"flushes (journal / 28 KiB for raid5), 256..32768, at most 1/8 of the RAM\n"
		"(cost: stripes x 4 KiB x raid disks); no worker threads. md forgets both\n"
		"at every start.",
	.opts = tune_opts,
	.flags = VN_CMD_ROOT | VN_CMD_JSON | VN_CMD_DRYRUN,
	.args = VN_ARGS_ARRAYS,
};

static const struct vn_cmd raid_fail = {
	.name = "fail",
	.fn = cmd_raid_fail,
	.usage = "/dev/mdN|/dev/md/NAME DEVICE...",
	.summary = "mark members faulty",
	.flags = VN_CMD_ROOT | VN_CMD_DRYRUN,
	.args = VN_ARGS_ARRAY,
};

static const struct vn_cmd raid_remove = {
	.name = "remove",
	.fn = cmd_raid_remove,
	.usage = "/dev/mdN|/dev/md/NAME DEVICE...",
	.summary = "remove faulty or spare members",
	.flags = VN_CMD_ROOT | VN_CMD_DRYRUN,
	.args = VN_ARGS_ARRAY,
};

static const struct vn_cmd raid_add = {
	.name = "add",
	.fn = cmd_raid_add,
	.usage = "/dev/mdN|/dev/md/NAME DEVICE...",
	.summary = "add devices as spares (recovery starts when degraded)",
	.flags = VN_CMD_ROOT | VN_CMD_DRYRUN,
	.args = VN_ARGS_ARRAY,
};

static const struct vn_cmd raid_add_journal = {
	.name = "add-journal",
	.fn = cmd_raid_add_journal,
	.usage = "/dev/mdN|/dev/md/NAME DEVICE",
	.summary = "a new write journal in place of a failed or missing one",
	.description =
		"mdadm's journal hot-add. md takes a new journal only while the\n"
		"array is read-only: an array whose journal is gone starts so with 'raid\n"
		"assemble --force'. A faulty journal still listed is removed first; DEVICE\n"
		"gets a journal superblock and an empty log, md adds it, and the array\n"
		"goes read-write, its journal in write-through. An array that was not\n"
		"stopped clean is refused (--force): what its lost journal held and the\n"
		"disks lack is gone, so check the parity afterwards. Run again on an\n"
		"array left read-only with DEVICE as its journal, it sets it read-write.",
	.flags = VN_CMD_ROOT | VN_CMD_DRYRUN,
	.args = VN_ARGS_ARRAY,
};

static const struct vn_cmd raid_replace = {
	.name = "replace",
	.fn = cmd_raid_replace,
	.usage = "/dev/mdN|/dev/md/NAME OLD NEW",
	.summary = "rebuild OLD's data onto NEW, then remove OLD",
	.description =
		"NEW is added as a spare; a working OLD is copied to it (md's\n"
		"want_replacement), a failed OLD is removed and NEW recovered. Waits until\n"
		"md uses NEW (after a running check or resync; 30 s else, then undone,\n"
		"exit 1), for the rebuild (without the change lock: other commands may\n"
		"change the system meanwhile), then removes OLD. Exit 1 when OLD is still a\n"
		"working member after it; refused on a failed array (exit 3) and for the\n"
		"journal (exit 2).",
	.flags = VN_CMD_ROOT | VN_CMD_DRYRUN,
	.args = VN_ARGS_ARRAY,
};

static const struct vn_cmd *const raid_cmds[] = {
	&raid_create, &raid_status, &raid_wait, &raid_examine, &raid_stop, &raid_assemble,
	&raid_tune, &raid_replace, &raid_fail, &raid_remove, &raid_add, &raid_add_journal,
	NULL
};

const struct vn_cmd vn_cmd_raid = {
	.name = "raid",
	.summary = "md RAID arrays with v1.2 superblocks, written without mdadm",
	.subs = raid_cmds,
};
