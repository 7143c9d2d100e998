// SPDX-License-Identifier: GPL-3.0-or-later
/* vnvme partition: a GPT with one partition from 1 MiB to the end, per disk. */
#include <stdio.h>
#include <string.h>

#include "commands.h"

enum { OPT_TYPE = 't' };

static const struct vn_opt partition_opts[] = {
	{ "type", OPT_TYPE, "raid|linux", "GPT partition type (default: raid)", 0 },
	{ NULL }
};

static const struct vn_col partition_cols[] = {
	{ "path", "PARTITION", VN_COL_STR },
	{ "size_bytes", "SIZE", VN_COL_SIZE },
	{ "start_sector", "START", VN_COL_INT },
	{ "end_sector", "END", VN_COL_INT },
	{ "sector_size", "SECTOR", VN_COL_INT },
	{ "type", "TYPE", VN_COL_STR },
	{ NULL }
};

static int parse_type(const struct vn_cli *cli, const char *s, enum vn_part_type *ret)
{
	for (int t = 0; t < VN_PART_TYPE_MAX; t++) {
		if (strcmp(s, vn_part_type_name((enum vn_part_type)t)) == 0) {
			*ret = (enum vn_part_type)t;
			return 0;
		}
	}
	return vn_usage_error(cli, "--type: '%s' is not raid or linux", s);
}

/*
 * Every disk is checked before the first is written, and stays opened
 * exclusively (@claims) until it is. Return: exit code.
 */
static int check_all(struct vn_cli *cli, int n, char **devs, struct vn_gpt_claim *claims)
{
	int code = VN_EXIT_OK;

	for (int i = 0; i < n; i++) {
		struct vn_blkdev a, b;

		if (vn_blk_get(cli->ctx, devs[i], &a) < 0) {
			int r = vn_report(cli);

			code = code ? code : r;
			continue;
		}
		for (int j = 0; j < i; j++)
			if (vn_blk_get(cli->ctx, devs[j], &b) == 0 && strcmp(a.name, b.name) == 0)
				return vn_usage_error(cli, "%s is given twice", devs[i]);
		if (vn_gpt_check(cli->ctx, devs[i], cli->force, &claims[i]) < 0) {
			int r = vn_report(cli);

			code = code ? code : r;
		}
	}
	if (code)
		vn_err(cli, "nothing was written");
	return code;
}

static void say_progress(const struct vn_cli *cli, int done, int n, char **devs)
{
	char changed[1024] = "", untouched[1024] = "";

	for (int i = 0; i < n; i++) {
		char *buf = i < done ? changed : untouched;
		size_t len = strlen(buf);

		snprintf(buf + len, sizeof(changed) - len, "%s%s", len ? " " : "", devs[i]);
	}
	vn_err(cli, "changed: %s; not changed: %s", changed[0] ? changed : "none",
	       untouched[0] ? untouched : "none");
}

/*
 * A signal stopped the run before disk @done: put back the disks written.
 * Return: the exit code.
 */
static int undo_disks(struct vn_cli *cli, int done, int n, char **devs,
		      struct vn_gpt_claim *claims)
{
	int code = vn_report(cli), left = 0;

	for (int i = done; i-- > 0;) {
		if (vn_gpt_undo(cli->ctx, &claims[i]) < 0) {
			vn_err(cli, "not undone: %s: %s", devs[i], vn_ctx_error(cli->ctx));
			vn_ctx_clear_error(cli->ctx);
			left++;
		} else if (!cli->dry_run) {
			vn_info(cli, "undone: %s has its old first and last MiB back", devs[i]);
		}
	}
	if (left) {
		say_progress(cli, done, n, devs);
		return VN_EXIT_PARTIAL;
	}
	vn_err(cli, "nothing was changed");
	return code;
}

static int write_all(struct vn_cli *cli, enum vn_part_type type, int n, char **devs,
		     struct vn_gpt_claim *claims)
{
	json_t *rows = json_array();
	int code;

	for (int i = 0; i < n; i++) {
		struct vn_part_result res;
		char path[VN_NAME_MAX + 8];

		if (vn_gpt_partition(cli->ctx, devs[i], type, cli->force, &claims[i], &res) < 0) {
			if (vn_ctx_error_kind(cli->ctx) == VN_ERR_INTERRUPTED) {
				json_decref(rows);
				return undo_disks(cli, i, n, devs, claims);
			}
			code = vn_report(cli);
			/* the failing disk may be half written: count it as changed */
			say_progress(cli, cli->dry_run ? 0 : i + 1, n, devs);
			json_decref(rows);
			return code;
		}
		snprintf(path, sizeof(path), "/dev/%s", res.part);
		json_array_append_new(rows, json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:s}",
			"disk", res.disk, "partition", res.part, "path", path,
			"start_sector", (json_int_t)res.start_sector,
			"end_sector", (json_int_t)res.end_sector,
			"sector_size", (json_int_t)res.sector_size,
			"size_bytes", (json_int_t)res.size_bytes,
			"type", vn_part_type_name(type)));
	}
	return vn_output(cli, json_pack("{s:b, s:o}", "dry_run", cli->dry_run,
					"partitions", rows), "partitions", partition_cols);
}

static int cmd_partition(struct vn_cli *cli, int argc, char **argv)
{
	enum vn_part_type type = VN_PART_RAID;
	struct vn_gpt_claim *claims;
	struct vn_getopt g = { 0 };
	char **devs;
	int c, n, code;

	while ((c = vn_getopt(cli, &g, argc, argv)) != -1) {
		if (c == VN_GETOPT_STOP)
			return cli->exit;
		if (c == OPT_TYPE && parse_type(cli, g.arg, &type))
			return VN_EXIT_USAGE;
	}
	devs = argv + g.optind;
	n = argc - g.optind;
	if (n < 1)
		return vn_usage_error(cli, "no disk given");

	claims = calloc((size_t)n, sizeof(*claims));
	if (!claims) {
		vn_err(cli, "out of memory");
		return VN_EXIT_FAILED;
	}
	for (int i = 0; i < n; i++)
		claims[i].fd = -1;
	code = check_all(cli, n, devs, claims);
	if (!code)
		code = write_all(cli, type, n, devs, claims);
	for (int i = 0; i < n; i++)
		vn_gpt_release(&claims[i]);
	free(claims);
	return code;
}

const struct vn_cmd vn_cmd_partition = {
	.name = "partition",
	.fn = cmd_partition,
	.usage = "[--type raid|linux] DEVICE...",
	.summary = "write a GPT with one partition from 1 MiB to the end of each disk",
	.description =
		"Each DEVICE gets a fresh GPT label and one partition from 1 MiB to the\n"
		"end of the disk (parted's 'mklabel gpt mkpart primary 1MB 100%'), type\n"
		"Linux RAID by default; then the kernel re-reads the table and vnvme waits\n"
		"for the partition's node. Every disk is checked before any is written: a\n"
		"disk that is mounted or in use (md, dm, swap, exported) is refused always;\n"
		"one holding a signature (partition table, filesystem, RAID member) is\n"
		"refused unless --force, which also wipes any old signature the new\n"
		"partition would show. Each disk stays opened exclusively from its check\n"
		"to its write, so nothing can claim it in between. SIGINT, SIGTERM or\n"
		"SIGHUP before the last disk is written puts back the first and last MiB\n"
		"of the disks already written (not the signatures --force wiped) and\n"
		"exits 128 + the signal.",
	.opts = partition_opts,
	.flags = VN_CMD_ROOT | VN_CMD_JSON | VN_CMD_DRYRUN,
	.args = VN_ARGS_BLOCKDEV,
};
