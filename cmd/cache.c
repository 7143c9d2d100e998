// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * vnvme cache: a RAM read cache in front of a block device, through
 * RapidDisk (the article's) or the kernel's dm-cache: attach, detach,
 * list, stats, and RapidDisk RAM disks alone (ramdisk add|remove|list).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"

/* RapidDisk's CLI takes sizes in MiB: so do we, units accepted. */
#define SIZE_UNIT_MIB (1ull << 20)

enum {
	OPT_SIZE = 's',
	OPT_MODE = 'm',
	OPT_NAME = 'n',
	OPT_ENGINE = 'e',
	OPT_UNSAFE = VN_OPT_LONG,
};

static const char *flush_word(bool passed)
{
	/* measured in the lab: see vnvme-cache(8), FLUSHES */
	return passed ? "passed-down" : "not-passed-down";
}

static json_t *counters_json(const struct vn_cache_stats *s)
{
	json_t *obj = json_object();

	for (unsigned int i = 0; i < s->n_counters; i++)
		json_object_set_new(obj, s->counters[i].key,
				    json_integer((json_int_t)s->counters[i].value));
	return obj;
}

static json_int_t hit_ratio_percent(const struct vn_cache_stats *s)
{
	uint64_t lookups = s->read_hits + s->read_misses;

	return lookups ? (json_int_t)(s->read_hits * 100 / lookups) : 0;
}

static json_t *info_json(const struct vn_cache_info *c)
{
	return json_pack("{s:s, s:s, s:o, s:s, s:s, s:o, s:o, s:o, s:I, s:I, s:I, s:I, s:s}",
		"name", c->name, "path", c->path, "dm", vn_json_dev(c->dm_dev),
		"engine", c->engine, "mode", vn_cache_mode_name(c->mode),
		"target", vn_json_dev(c->target), "cache_device", vn_json_dev(c->cache_dev),
		"metadata_device", vn_json_dev(c->meta_dev),
		"size_bytes", (json_int_t)c->size_bytes,
		"cache_bytes", (json_int_t)c->cache_bytes,
		"cache_used_bytes", (json_int_t)c->cache_used_bytes,
		"open_count", (json_int_t)c->open_count,
		"flush", flush_word(c->flush_passed));
}

static json_t *stats_json(const struct vn_cache_info *c)
{
	const struct vn_cache_stats *s = &c->stats;

	return json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o}",
		"name", c->name, "engine", c->engine,
		"reads", (json_int_t)s->reads, "writes", (json_int_t)s->writes,
		"read_hits", (json_int_t)s->read_hits,
		"read_misses", (json_int_t)s->read_misses,
		"write_hits", (json_int_t)s->write_hits,
		"write_misses", (json_int_t)s->write_misses,
		"hit_ratio_percent", hit_ratio_percent(s),
		"cache_blocks_used", (json_int_t)s->cache_blocks_used,
		"cache_blocks_total", (json_int_t)s->cache_blocks_total,
		"counters", counters_json(s));
}

/* ---- attach ---- */

static const struct vn_opt attach_opts[] = {
	{ "size", OPT_SIZE, "SIZE", "RAM for the cache, MiB by default (2048, 2G)", 0 },
	{ "mode", OPT_MODE, "wa|wt",
	  "write-around (RapidDisk's default) or write-through (dm-cache's)", 0 },
	{ "name", OPT_NAME, "NAME", "mapping name (default rc-MODE_TARGET)", 0 },
	{ "engine", OPT_ENGINE, "rapiddisk|dm-cache",
	  "default: rapiddisk if its module loads, else dm-cache", 0 },
	{ "unsafe", OPT_UNSAFE, NULL, "allow --mode wb (loses writes on power loss)", 0 },
	{ NULL }
};

/* Return: VN_EXIT_OK, another exit code, or VN_GETOPT_STOP (cli->exit). */
static int parse_attach(struct vn_cli *cli, int argc, char **argv,
			struct vn_cache_req *req, bool *size_set)
{
	struct vn_getopt g = { 0 };
	int c;

	while ((c = vn_getopt(cli, &g, argc, argv)) != -1) {
		switch (c) {
		case VN_GETOPT_STOP:
			return VN_GETOPT_STOP;
		case OPT_SIZE:
			if (vn_opt_size(cli, "size", g.arg, SIZE_UNIT_MIB, &req->size_bytes))
				return VN_EXIT_USAGE;
			*size_set = true;
			break;
		case OPT_MODE:
			if (vn_cache_mode_parse(g.arg, &req->mode) < 0)
				return vn_usage_error(cli, "--mode: '%s' is not wa or wt", g.arg);
			req->mode_set = true;
			break;
		case OPT_NAME:
			req->name = g.arg;
			break;
		case OPT_ENGINE:
			req->engine = g.arg;
			break;
		case OPT_UNSAFE:
			req->unsafe = true;
			break;
		}
	}
	if (argc - g.optind != 1)
		return vn_usage_error(cli, argc - g.optind < 1 ? "no target given" :
				      "only one target, please");
	req->target = argv[g.optind];
	return VN_EXIT_OK;
}

static int cmd_cache_attach(struct vn_cli *cli, int argc, char **argv)
{
	struct vn_cache_req req = { .mode = VN_CACHE_WA };
	struct vn_cache_info info;
	bool size_set = false;
	int code;

	code = parse_attach(cli, argc, argv, &req, &size_set);
	if (code == VN_GETOPT_STOP)
		return cli->exit;
	if (code)
		return code;
	if (!size_set)
		return vn_usage_error(cli, "--size is required (MiB, or with a unit: 2G)");
	if (req.engine && strcmp(req.engine, "rapiddisk") != 0 &&
	    strcmp(req.engine, "dm-cache") != 0)
		return vn_usage_error(cli, "--engine: '%s' is not rapiddisk or dm-cache",
				      req.engine);
	req.force = cli->force;
	if (vn_cache_attach(cli->ctx, &req, &info) < 0)
		return vn_report(cli);
	if (cli->dry_run)
		return VN_EXIT_OK;
	if (cli->json)
		return vn_output_json(info_json(&info));
	printf("%s\n", info.path);
	return VN_EXIT_OK;
}

static const struct vn_cmd cache_attach = {
	.name = "attach",
	.fn = cmd_cache_attach,
	.usage = "TARGET --size SIZE [--mode wa|wt|wb --unsafe] [--name NAME] "
		 "[--engine rapiddisk|dm-cache]",
	.summary = "put a RAM read cache in front of a block device",
	.description =
		"Creates a RAM device of SIZE and maps it over TARGET as a read cache\n"
		"in one step, then prints the new device, /dev/mapper/NAME. With\n"
		"RapidDisk: a RAM disk rdN and a rapiddisk-cache mapping, write-around\n"
		"by default (as 'rapiddisk -a SIZE; rapiddisk -m rdN -b TARGET -p wa').\n"
		"With dm-cache: two zram devices (cache and metadata) and the kernel's\n"
		"cache target, smq policy, writethrough (it has no write-around).\n"
		"Refused: a TARGET that is mounted, mapped, an md member or exported; a\n"
		"name in use; more RAM than is free with headroom (--force overrides);\n"
		"--mode wb, which keeps acknowledged writes in RAM only.",
	.opts = attach_opts,
	.flags = VN_CMD_ROOT | VN_CMD_JSON | VN_CMD_DRYRUN,
	.args = VN_ARGS_BLOCKDEV,
};

/* ---- detach ---- */

static int cmd_cache_detach(struct vn_cli *cli, int argc, char **argv)
{
	int first;
	struct vn_cache_info info;
	const char *name;
	int r;

	first = vn_getopt_args(cli, argc, argv, 1, 1,
			       "give one mapping name (see 'vnvme cache list')");
	if (first < 0)
		return cli->exit;
	name = argv[first];
	if (vn_cache_get(cli->ctx, name, &info) < 0)
		return vn_report(cli);
	r = vn_cache_detach(cli->ctx, name, cli->force);
	if (r < 0)
		return vn_report(cli);
	if (r == 1) {
		if (strcmp(info.engine, "rapiddisk") == 0)
			vn_warn(cli, "%s is open: it will be removed when its last user "
				"closes it; RAM disk %s stays allocated: free it then with "
				"'vnvme cache ramdisk remove %s'", name, info.cache_dev,
				info.cache_dev);
		else
			vn_warn(cli, "%s is open: it will be removed when its last user "
				"closes it; %s and %s stay allocated: free them then through "
				"/sys/class/zram-control/hot_remove", name, info.cache_dev,
				info.meta_dev);
		return VN_EXIT_OK;
	}
	if (!cli->dry_run)
		vn_info(cli, "detached %s", name);
	return VN_EXIT_OK;
}

static const struct vn_cmd cache_detach = {
	.name = "detach",
	.fn = cmd_cache_detach,
	.usage = "NAME",
	.summary = "remove a cache mapping and free its RAM",
	.description =
		"Removes the mapping NAME (its data is all on the target: the cache\n"
		"modes vnvme makes never hold the only copy), then the RAM device(s) it\n"
		"used. A mapping that is open (mounted, exported) is refused; with\n"
		"--force its removal is deferred to its last close (the RAM stays\n"
		"allocated until then).",
	.flags = VN_CMD_ROOT | VN_CMD_DRYRUN,
	.args = VN_ARGS_CACHE,
};

/* ---- list ---- */

static const struct vn_col list_cols[] = {
	{ "name", "NAME", VN_COL_STR },
	{ "engine", "ENGINE", VN_COL_STR },
	{ "mode", "MODE", VN_COL_STR },
	{ "target", "TARGET", VN_COL_STR },
	{ "cache_device", "CACHE", VN_COL_STR },
	{ "cache_bytes", "RAM", VN_COL_SIZE },
	{ "cache_used_bytes", "USED", VN_COL_SIZE },
	{ "open_count", "OPEN", VN_COL_INT },
	{ "flush", "FLUSH", VN_COL_STR },
	{ NULL }
};

static json_t *ramdisks_json(struct vn_cli *cli)
{
	struct vn_ramdisk *disks = NULL;
	json_t *arr = json_array();
	int n = vn_rapiddisk_list(cli->ctx, &disks);

	for (int i = 0; i < n; i++)
		json_array_append_new(arr, json_pack("{s:s, s:I, s:I, s:I, s:o}",
			"name", disks[i].name, "size_bytes", (json_int_t)disks[i].size_bytes,
			"used_bytes", (json_int_t)disks[i].used_bytes,
			"errors", (json_int_t)disks[i].errors,
			"mapped_by", vn_json_str(disks[i].mapped_by)));
	free(disks);
	return arr;
}

/* The mappings named (or all): rows built by @fn. Return: exit code. */
static int collect(struct vn_cli *cli, int n, char **names,
		   json_t *(*fn)(const struct vn_cache_info *), json_t **ret)
{
	struct vn_cache_info *list = NULL, one;
	json_t *rows = json_array();
	int count;

	if (n > 0) {
		for (int i = 0; i < n; i++) {
			if (vn_cache_get(cli->ctx, names[i], &one) < 0) {
				json_decref(rows);
				return vn_report(cli);
			}
			json_array_append_new(rows, fn(&one));
		}
		*ret = rows;
		return VN_EXIT_OK;
	}
	count = vn_cache_list(cli->ctx, &list);
	if (count < 0) {
		json_decref(rows);
		return vn_report(cli);
	}
	for (int i = 0; i < count; i++)
		json_array_append_new(rows, fn(&list[i]));
	free(list);
	*ret = rows;
	return VN_EXIT_OK;
}

static int cmd_cache_list(struct vn_cli *cli, int argc, char **argv)
{
	json_t *rows = NULL;
	int code;

	if (vn_getopt_args(cli, argc, argv, 0, 0, NULL) < 0)
		return cli->exit;
	code = collect(cli, 0, NULL, info_json, &rows);
	if (code)
		return code;
	return vn_output(cli, json_pack("{s:o, s:o}", "caches", rows,
					"ramdisks", ramdisks_json(cli)),
			 "caches", list_cols);
}

static const struct vn_cmd cache_list = {
	.name = "list",
	.fn = cmd_cache_list,
	.usage = "[--json]",
	.summary = "list cache mappings and RAM disks",
	.description =
		"Every cache mapping of either engine: its target, RAM device, RAM size\n"
		"and use, mode, openers and what it does with flushes; with --json also\n"
		"every RapidDisk RAM disk.",
	.flags = VN_CMD_ROOT | VN_CMD_JSON,
	.args = VN_ARGS_NONE,
};

/* ---- stats ---- */

static const struct vn_col stats_cols[] = {
	{ "name", "NAME", VN_COL_STR },
	{ "engine", "ENGINE", VN_COL_STR },
	{ "reads", "READS", VN_COL_INT },
	{ "read_hits", "HITS", VN_COL_INT },
	{ "read_misses", "MISSES", VN_COL_INT },
	{ "hit_ratio_percent", "HIT%", VN_COL_INT },
	{ "writes", "WRITES", VN_COL_INT },
	{ NULL }
};

static int cmd_cache_stats(struct vn_cli *cli, int argc, char **argv)
{
	int first;
	json_t *rows = NULL;
	int code;

	first = vn_getopt_args(cli, argc, argv, 0, -1, NULL);
	if (first < 0)
		return cli->exit;
	code = collect(cli, argc - first, argv + first, stats_json, &rows);
	if (code)
		return code;
	return vn_output(cli, json_pack("{s:o}", "caches", rows), "caches", stats_cols);
}

static const struct vn_cmd cache_stats = {
	.name = "stats",
	.fn = cmd_cache_stats,
	.usage = "[NAME...] [--json]",
	.summary = "show the counters of cache mappings",
	.description =
		"Reads, writes, read hits and misses and the hit ratio (an integer\n"
		"percent) from each mapping's device-mapper status; --json adds every\n"
		"raw counter of the engine under \"counters\". RapidDisk counts 4 KiB\n"
		"pieces, dm-cache counts requests.",
	.flags = VN_CMD_ROOT | VN_CMD_JSON,
	.args = VN_ARGS_CACHE,
};

/* ---- ramdisk add|remove|list ---- */

static const struct vn_col ramdisk_cols[] = {
	{ "name", "NAME", VN_COL_STR },
	{ "size_bytes", "SIZE", VN_COL_SIZE },
	{ "used_bytes", "USED", VN_COL_SIZE },
	{ "errors", "ERRORS", VN_COL_INT },
	{ "mapped_by", "MAPPED-BY", VN_COL_STR },
	{ NULL }
};

static int cmd_ramdisk_add(struct vn_cli *cli, int argc, char **argv)
{
	char name[VN_NAME_MAX];
	uint64_t bytes;
	int first;

	first = vn_getopt_args(cli, argc, argv, 1, 1,
			       "give one SIZE (MiB, or with a unit: 2G)");
	if (first < 0)
		return cli->exit;
	if (vn_opt_size(cli, "size", argv[first], SIZE_UNIT_MIB, &bytes))
		return VN_EXIT_USAGE;
	if (vn_rapiddisk_add(cli->ctx, bytes, name, sizeof(name)) < 0)
		return vn_report(cli);
	if (cli->dry_run)
		return VN_EXIT_OK;
	if (cli->json)
		return vn_output_json(json_pack("{s:s, s:I}", "name", name,
						"size_bytes", (json_int_t)bytes));
	printf("/dev/%s\n", name);
	return VN_EXIT_OK;
}

static int cmd_ramdisk_remove(struct vn_cli *cli, int argc, char **argv)
{
	int first = vn_getopt_args(cli, argc, argv, 1, 1, "give one RAM disk (rdN)");

	if (first < 0)
		return cli->exit;
	if (vn_rapiddisk_remove(cli->ctx, argv[first]) < 0)
		return vn_report(cli);
	return VN_EXIT_OK;
}

static int cmd_ramdisk_list(struct vn_cli *cli, int argc, char **argv)
{
	if (vn_getopt_args(cli, argc, argv, 0, 0, NULL) < 0)
		return cli->exit;
	return vn_output(cli, json_pack("{s:o}", "ramdisks", ramdisks_json(cli)),
			 "ramdisks", ramdisk_cols);
}

static const struct vn_cmd ramdisk_add = {
	.name = "add",
	.fn = cmd_ramdisk_add,
	.usage = "SIZE [--json]",
	.summary = "make a RapidDisk RAM disk rdN and print its path",
	.description =
		"SIZE is in MiB by default, as 'rapiddisk -a', or with a unit (2G). The\n"
		"RAM is checked against what is free first.",
	.flags = VN_CMD_ROOT | VN_CMD_JSON | VN_CMD_DRYRUN,
	.args = VN_ARGS_NONE,
};

static const struct vn_cmd ramdisk_remove = {
	.name = "remove",
	.fn = cmd_ramdisk_remove,
	.usage = "rdN",
	.summary = "free a RapidDisk RAM disk",
	.description = "Refused while a mapping uses it or it is open.",
	.flags = VN_CMD_ROOT | VN_CMD_DRYRUN,
	.args = VN_ARGS_RAMDISK,
};

static const struct vn_cmd ramdisk_list = {
	.name = "list",
	.fn = cmd_ramdisk_list,
	.usage = "[--json]",
	.summary = "list RapidDisk RAM disks: size, RAM in use, errors, mapping",
	.flags = VN_CMD_ROOT | VN_CMD_JSON,
	.args = VN_ARGS_NONE,
};

static const struct vn_cmd *const ramdisk_cmds[] = {
	&ramdisk_add,
	&ramdisk_remove,
	&ramdisk_list,
	NULL
};

static const struct vn_cmd cache_ramdisk = {
	.name = "ramdisk",
	.summary = "add, remove or list RapidDisk RAM disks alone",
	.subs = ramdisk_cmds,
};

static const struct vn_cmd *const cache_cmds[] = {
	&cache_attach,
	&cache_detach,
	&cache_list,
	&cache_stats,
	&cache_ramdisk,
	NULL
};

const struct vn_cmd vn_cmd_cache = {
	.name = "cache",
	.summary = "a RAM read cache in front of a block device (RapidDisk, dm-cache)",
	.subs = cache_cmds,
};
