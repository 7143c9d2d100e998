// SPDX-License-Identifier: GPL-3.0-or-later
/* vnvme raid: md arrays with v1.2 superblocks written by vnvme (no mdadm). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"

/* ---- tuning (raid tune, and after create and assemble) ---- */

static json_t *tune_json(const struct vn_md_tune *t)
{
	return json_pack("{s:i, s:i}", "stripe_cache_size", (int)t->stripe_cache_size,
			 "group_thread_cnt", (int)t->group_thread_cnt);
}

static json_t *advice_json(const struct vn_md_journal_advice *a)
{
	if (!a->journal_bytes)
		return json_null();
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:b, s:b}",
		"journal_bytes", (json_int_t)a->journal_bytes,
		"burst_hot_set_bytes", (json_int_t)a->burst_hot_set_bytes,
		"payoff_hot_set_bytes", (json_int_t)a->payoff_hot_set_bytes,
		"cache_hot_set_bytes", (json_int_t)a->cache_hot_set_bytes,
		"cache_mem_bytes", (json_int_t)a->cache_mem_bytes,
		"mem_bound_bytes", (json_int_t)a->mem_bound_bytes,
		"mem_limited", a->mem_limited, "too_small", a->too_small);
}

/* The journal sizing advice, as lines; a warning when write-back will not pay. */
static void print_advice(const struct vn_cli *cli, const char *md,
			 const struct vn_md_journal_advice *a)
{
	char j[32], b[32], p[32], m[32];

	if (!a->journal_bytes)
		return;
	vn_info(cli, "journal %s: in write-back it takes one pass of 4 KiB random writes "
		"over a hot set up to %s at NVMe speed, and beats the bare array in the "
		"steady state on hot sets up to %s",
		vn_size_format(a->journal_bytes, j, sizeof(j)),
		vn_size_format(a->burst_hot_set_bytes, b, sizeof(b)),
		vn_size_format(a->payoff_hot_set_bytes, p, sizeof(p)));
	if (a->mem_limited)
		vn_warn(cli, "%s: the stripe cache is held to %s (1/8 of the RAM): the "
			"journal cannot be used in full", md,
			vn_size_format(a->mem_bound_bytes, m, sizeof(m)));
	if (a->too_small)
		vn_warn(cli, "%s: journal %s is small for the array: write-back pays off "
			"only on hot sets up to %s (under 1%% of the array) and is slower than "
			"no journal on larger ones; keep write-through for those, or use a "
			"larger journal", md, j, p);
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
		      struct vn_md_create_req *req, long *ndev, bool *no_tune)
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
	default:
		return 0;
	}
}

static json_t *create_json(const struct vn_md_create_result *res,
			   const struct vn_md_create_req *req, json_t *tuning,
			   const struct vn_md_journal_advice *advice)
{
	json_t *members = json_array();

	for (unsigned int i = 0; i < req->nmembers; i++)
		json_array_append_new(members, json_string(req->members[i]));
	return json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:o, s:s?, s:b, s:o, s:o}",
		"array", res->md, "level", vn_md_level_name(req->level), "uuid", res->uuid,
		"size_bytes", (json_int_t)res->size_bytes,
		"component_sectors", (json_int_t)res->component_sectors,
		"data_offset_sectors", (json_int_t)res->data_offset,
		"members", members, "journal", req->journal,
		"sync_started", res->syncing, "tuning", tuning ? tuning : json_null(),
		"journal_advice", advice_json(advice));
}

static int cmd_raid_create(struct vn_cli *cli, int argc, char **argv)
{
	struct vn_md_create_req req = { .level = -1 };
	struct vn_md_create_result res = { 0 };
	struct vn_md_journal_advice advice = { 0 };
	struct vn_getopt g = { 0 };
	json_t *tuning = NULL;
	bool no_tune = false;
	long ndev = 0;
	char size[32];
	int c;

	while ((c = vn_getopt(cli, &g, argc, argv)) != -1) {
		if (c == VN_GETOPT_STOP)
			return cli->exit;
		if (create_opt(cli, c, g.arg, &req, &ndev, &no_tune))
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
		if (!no_tune)
			vn_report_action(cli, true, "then apply vnvme's tuning (raid tune --defaults)");
		return VN_EXIT_OK;
	}
	if (!no_tune)
		tuning = tune_started(cli, res.md, &advice);
	if (cli->json)
		return vn_output_json(create_json(&res, &req, tuning, &advice));
	vn_info(cli, "/dev/%s: %s, %s, %u members%s, uuid %s", res.md,
		vn_md_level_name(req.level), vn_size_format(res.size_bytes, size, sizeof(size)),
		req.nmembers, req.journal ? " + journal" : "", res.uuid);
	if (res.syncing)
		vn_info(cli, "initial sync started: 'vnvme raid wait /dev/%s' waits for it",
			res.md);
	if (tuning)
		vn_info(cli, "tuned: stripe_cache_size %lld, group_thread_cnt %lld",
			json_integer_value(json_object_get(tuning, "stripe_cache_size")),
			json_integer_value(json_object_get(tuning, "group_thread_cnt")));
	print_advice(cli, res.md, &advice);
	json_decref(tuning);
	return VN_EXIT_OK;
}

/* ---- status ---- */

static void print_status(const struct vn_cli *cli, json_t *doc, const struct vn_md_status *st)
{
	char size[32], chunk[32];

	printf("/dev/%s: %s, %s, %s, %s chunk, [%u/%u] [%s]%s\n", st->name, st->level,
	       st->array_state, vn_size_format(st->size_bytes, size, sizeof(size)),
	       vn_size_format(st->chunk_bytes, chunk, sizeof(chunk)), st->raid_disks,
	       st->raid_disks - st->degraded, st->health,
	       st->degraded ? " DEGRADED" : "");
	printf("uuid %s, events %llu, consistency policy %s%s%s\n", st->uuid,
	       (unsigned long long)st->events, st->consistency_policy,
	       st->journal_mode[0] ? ", journal mode " : "", st->journal_mode);
	if (st->syncing)
		printf("%s: %.1f%% (%llu/%llu KiB), %llu KiB/s, about %.1f min left\n",
		       st->sync_action, st->sync_percent < 0 ? 0.0 : st->sync_percent,
		       (unsigned long long)st->sync_done_kib,
		       (unsigned long long)st->sync_total_kib,
		       (unsigned long long)st->sync_speed_kib,
		       st->sync_finish_min < 0 ? 0.0 : st->sync_finish_min);
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
	if (cli->json && vn_output_json(json_pack("{s:o}", "arrays", arrays)))
		return VN_EXIT_FAILED;
	if (!cli->json)
		json_decref(arrays);
	return vn_health_exit(health);
}

/* ---- wait ---- */

static void wait_progress(void *data, const struct vn_md_status *st)
{
	const struct vn_cli *cli = data;
	int bar;

	if (cli->quiet || cli->json || !isatty(2))
		return;
	if (!st->syncing) {
		fprintf(stderr, "\r%-70s\r", "");
		return;
	}
	bar = st->sync_percent > 0 ? (int)(st->sync_percent / 5) : 0;
	fprintf(stderr, "\r%s: %s [%-20.*s] %5.1f%% %llu KiB/s ", st->name, st->sync_action,
		bar, "====================", st->sync_percent < 0 ? 0.0 : st->sync_percent,
		(unsigned long long)st->sync_speed_kib);
}

static int cmd_raid_wait(struct vn_cli *cli, int argc, char **argv)
{
	int i = vn_getopt_args(cli, argc, argv, 1, 1, "needs one array (/dev/mdN)");

	if (i < 0)
		return cli->exit;
	if (vn_md_wait(cli->ctx, argv[i], wait_progress, cli) < 0)
		return vn_report(cli);
	return VN_EXIT_OK;
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
	{ NULL }
};

struct assemble_args {
	struct vn_cli *cli;
	const char *md;
	const char *jmode;
	bool run;
	bool no_tune;
	int code;
};

static int assemble_one(struct assemble_args *a, const char *const *devs, unsigned int n)
{
	struct vn_md_assemble_req req = { .devices = devs, .ndevices = n, .run = a->run,
					  .force = a->cli->force };
	char md[VN_NAME_MAX], mode[32] = "";
	struct vn_md_journal_advice advice;
	struct vn_md_status st;

	if (vn_md_assemble(a->cli->ctx, a->md, &req, md, sizeof(md)) < 0)
		return vn_report(a->cli);
	if (a->cli->dry_run) {
		if (!a->no_tune)
			vn_report_action(a->cli, true, "then apply vnvme's tuning (raid tune "
					 "--defaults)");
		return VN_EXIT_OK;
	}
	if (!a->no_tune)
		json_decref(tune_started(a->cli, md, &advice));
	if (a->jmode && vn_md_journal_mode(a->cli->ctx, md, a->jmode, a->cli->force,
					   mode, sizeof(mode)) < 0) {
		vn_info(a->cli, "/dev/%s started", md);
		return vn_report(a->cli);
	}
	if (vn_md_status(a->cli->ctx, md, &st) < 0)
		return vn_report(a->cli);
	vn_info(a->cli, "/dev/%s started: %s, [%u/%u] [%s]%s%s", md, st.level, st.raid_disks,
		st.raid_disks - st.degraded, st.health,
		st.journal_mode[0] ? ", journal " : "", st.journal_mode);
	if (st.journal_mode[0] && !a->jmode)
		vn_info(a->cli, "md starts every journal in write-through; "
			"'vnvme journal-mode /dev/%s write-back' changes it", md);
	if (a->cli->json)
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
	}
	if (a.jmode && strcmp(a.jmode, "write-back") && strcmp(a.jmode, "write-through"))
		return vn_usage_error(cli, "--journal-mode: '%s' is not write-back or "
				      "write-through", a.jmode);
	if (scan) {
		if (argc - g.optind > 0)
			return vn_usage_error(cli, "--scan takes no devices");
		n = vn_md_scan(cli->ctx, scan_cb, &a);
		if (n < 0)
			return vn_report(cli);
		if (n == 0)
			vn_info(cli, "no array found");
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
	{ "defaults", OPT_DEFAULTS, NULL, "vnvme's rule (what create and assemble apply)",
	  0 },
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
		if (cli->dry_run)
			return VN_EXIT_OK;
		if (vn_md_tune_get(cli->ctx, argv[i], &cur) < 0)
			return vn_report(cli);
		if (cli->quiet)
			return VN_EXIT_OK;
	}
	if (cli->json)
		return vn_output_json(json_pack("{s:s, s:o, s:o, s:I, s:o, s:b}",
			"array", md, "current", tune_json(&cur), "default", tune_json(&rule),
			"stripe_cache_bytes",
			(json_int_t)cur.stripe_cache_size * 4096 * in.raid_disks,
			"journal_advice", advice_json(&advice),
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

static int cmd_raid_replace(struct vn_cli *cli, int argc, char **argv)
{
	const char *md, *old, *new_dev;
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
	if (vn_md_wait(cli->ctx, md, wait_progress, cli) < 0)
		return vn_report(cli);
	/* after the copy the old device is faulty, or already gone */
	if (vn_md_remove(cli->ctx, md, old) < 0)
		vn_ctx_clear_error(cli->ctx);
	vn_info(cli, "%s: %s replaced by %s", md, old, new_dev);
	return VN_EXIT_OK;
}

/* ---- the group ---- */

static const struct vn_cmd raid_create = {
	.name = "create",
	.fn = cmd_raid_create,
	.usage = "/dev/mdN --level LEVEL [--journal|--write-journal DEV] [--chunk SIZE] "
		 "[--assume-clean] [--name NAME] [--raid-devices N] [--bitmap none] "
		 "[--metadata 1.2] [--no-tune] MEMBER...",
	.summary = "write md v1.2 superblocks on the members and start the array",
	.description =
		"Every member (and the journal) is checked first: a block device that is\n"
		"not mounted, held or open; without --force none may hold a signature; no\n"
		"device twice; big enough; sizes within 1% of each other (else --force).\n"
		"Then vnvme writes the superblocks as mdadm 4.2 does and starts the array\n"
		"through the md ioctls. raid4/5 start degraded and recover onto the last\n"
		"member, which is quicker than a resync. If the kernel refuses, the array\n"
		"is stopped and the superblocks erased. raid4/5/6 then get vnvme's tuning\n"
		"(see raid tune) unless --no-tune; with a journal, create says how large a\n"
		"hot set write-back can absorb.",
	.opts = create_opts,
	.flags = VN_CMD_ROOT | VN_CMD_JSON | VN_CMD_DRYRUN,
	.args = VN_ARGS_BLOCKDEV,
};

static const struct vn_cmd raid_status = {
	.name = "status",
	.fn = cmd_raid_status,
	.usage = "[/dev/mdN]",
	.summary = "show arrays: level, size, members, sync progress, journal mode",
	.description =
		"From /proc/mdstat and /sys/block/mdN/md/. JSON gives sizes in bytes, the\n"
		"members with role (\"active N\", \"journal\", \"spare\", \"faulty\") and the\n"
		"kernel's state, and \"sync\" (null when idle). Exit: 0 healthy, 10\n"
		"degraded, 11 failed, 12 the array is not running (see vnvme status).",
	.flags = VN_CMD_JSON,
	.args = VN_ARGS_BLOCKDEV,
};

static const struct vn_cmd raid_wait = {
	.name = "wait",
	.fn = cmd_raid_wait,
	.usage = "/dev/mdN",
	.summary = "wait until the array's resync or recovery has finished",
	.description = "Shows a progress line on a terminal, nothing otherwise.",
	.args = VN_ARGS_BLOCKDEV,
};

static const struct vn_cmd raid_stop = {
	.name = "stop",
	.fn = cmd_raid_stop,
	.usage = "/dev/mdN...",
	.summary = "stop an array (journal drained first, so it cannot hang)",
	.description =
		"Refused while the array is mounted, held (dm, md), exported or open.\n"
		"A write-back journal is switched to write-through and the stripe cache\n"
		"drained first: stopping with dirty cached stripes hangs md on Linux 6.1.",
	.flags = VN_CMD_ROOT | VN_CMD_DRYRUN,
	.args = VN_ARGS_BLOCKDEV,
};

static const struct vn_cmd raid_assemble = {
	.name = "assemble",
	.fn = cmd_raid_assemble,
	.usage = "[--run] [--journal-mode MODE] [--no-tune] /dev/mdN DEVICE... | --scan [--run]",
	.summary = "start an existing array from its members' superblocks",
	.description =
		"The devices (members and journal) must carry superblocks of one array.\n"
		"Without --run every working member must be there; a journal array never\n"
		"starts without its journal (--force starts it read-only). --scan finds\n"
		"members with libblkid and starts every array it can. md starts journals\n"
		"in write-through: --journal-mode sets the mode afterwards. md also forgets\n"
		"the stripe cache size: vnvme's tuning is applied again unless --no-tune.",
	.opts = assemble_opts,
	.flags = VN_CMD_ROOT | VN_CMD_JSON | VN_CMD_DRYRUN,
	.args = VN_ARGS_BLOCKDEV,
};

static const struct vn_cmd raid_tune = {
	.name = "tune",
	.fn = cmd_raid_tune,
	.usage = "/dev/mdN [--stripe-cache-size N] [--group-thread-cnt N] [--defaults]",
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
	.args = VN_ARGS_BLOCKDEV,
};

static const struct vn_cmd raid_fail = {
	.name = "fail",
	.fn = cmd_raid_fail,
	.usage = "/dev/mdN DEVICE...",
	.summary = "mark members faulty",
	.flags = VN_CMD_ROOT | VN_CMD_DRYRUN,
	.args = VN_ARGS_BLOCKDEV,
};

static const struct vn_cmd raid_remove = {
	.name = "remove",
	.fn = cmd_raid_remove,
	.usage = "/dev/mdN DEVICE...",
	.summary = "remove faulty or spare members",
	.flags = VN_CMD_ROOT | VN_CMD_DRYRUN,
	.args = VN_ARGS_BLOCKDEV,
};

static const struct vn_cmd raid_add = {
	.name = "add",
	.fn = cmd_raid_add,
	.usage = "/dev/mdN DEVICE...",
	.summary = "add devices as spares (recovery starts when degraded)",
	.flags = VN_CMD_ROOT | VN_CMD_DRYRUN,
	.args = VN_ARGS_BLOCKDEV,
};

static const struct vn_cmd raid_replace = {
	.name = "replace",
	.fn = cmd_raid_replace,
	.usage = "/dev/mdN OLD NEW",
	.summary = "rebuild OLD's data onto NEW, then remove OLD",
	.description =
		"NEW is added as a spare; a working OLD is copied to it (md's\n"
		"want_replacement), a failed OLD is removed and NEW recovered. Waits for\n"
		"the rebuild, then removes OLD.",
	.flags = VN_CMD_ROOT | VN_CMD_DRYRUN,
	.args = VN_ARGS_BLOCKDEV,
};

static const struct vn_cmd *const raid_cmds[] = {
	&raid_create, &raid_status, &raid_wait, &raid_stop, &raid_assemble,
	&raid_tune, &raid_replace, &raid_fail, &raid_remove, &raid_add, NULL
};

const struct vn_cmd vn_cmd_raid = {
	.name = "raid",
	.summary = "md RAID arrays with v1.2 superblocks, written without mdadm",
	.subs = raid_cmds,
};
