// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * One rendering place: every listing is built as JSON first, then printed
 * as JSON (--json) or laid out as a table from a column spec, so the two
 * cannot disagree.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"

/* The command being run (one per process; main.c sets it). */
static struct vn_cli *run_cli;
static int documents;

void vn_output_begin(struct vn_cli *cli)
{
	run_cli = cli;
	documents = 0;
}

static bool changes_system(const struct vn_cli *cli)
{
	return cli && cli->cmd && (cli->cmd->flags & VN_CMD_DRYRUN);
}

static void add_changes(json_t *doc)
{
	if (!changes_system(run_cli) || !json_is_object(doc))
		return;
	if (!json_object_get(doc, "dry_run"))
		json_object_set_new(doc, "dry_run", json_boolean(run_cli->dry_run));
	if (!json_object_get(doc, "changes"))
		json_object_set_new(doc, "changes", run_cli->changes ?
				    json_incref(run_cli->changes) : json_array());
}

int vn_output_json(json_t *doc)
{
	if (documents++ > 0) {
		fprintf(stderr, "vnvme: internal error: a second JSON document\n");
		json_decref(doc);
		return VN_EXIT_FAILED;
	}
	add_changes(doc);
	if (json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) < 0) {
		json_decref(doc);
		return VN_EXIT_FAILED;
	}
	putchar('\n');
	json_decref(doc);
	return VN_EXIT_OK;
}

json_t *vn_json_dev(const char *name)
{
	char buf[VN_NAME_MAX + 8];

	if (!name || !name[0])
		return json_null();
	if (name[0] == '/')
		return json_string(name);
	snprintf(buf, sizeof(buf), "/dev/%s", name);
	return json_string(buf);
}

json_t *vn_json_str(const char *s)
{
	return s && s[0] ? json_string(s) : json_null();
}

/* "a,b,c" from an array of strings. */
static char *join(const json_t *arr, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < json_array_size(arr); i++) {
		const char *s = json_string_value(json_array_get(arr, i));
		int n = snprintf(buf + used, len - used, "%s%s", i ? "," : "", s ? s : "");

		if (n < 0 || (size_t)n >= len - used)
			break;
		used += (size_t)n;
	}
	return buf;
}

static char *cell(const json_t *v, enum vn_col_type type, char *buf, size_t len)
{
	buf[0] = '\0';
	if (!v || json_is_null(v))
		return buf;
	switch (type) {
	case VN_COL_SIZE:
		return vn_size_format((uint64_t)json_integer_value(v), buf, len);
	case VN_COL_INT:
		snprintf(buf, len, "%lld", (long long)json_integer_value(v));
		return buf;
	case VN_COL_BOOL:
		snprintf(buf, len, "%s", json_is_true(v) ? "yes" : "no");
		return buf;
	case VN_COL_LIST:
		return join(v, buf, len);
	default:
		snprintf(buf, len, "%s", json_string_value(v) ? json_string_value(v) : "");
		return buf;
	}
}

static void print_table(const json_t *rows, const struct vn_col *cols)
{
	size_t ncols = 0, i, w[16] = { 0 };
	char buf[512];
	json_t *row;

	while (ncols < 16 && cols[ncols].key)
		ncols++;
	for (size_t c = 0; c < ncols; c++)
		w[c] = strlen(cols[c].header);
	json_array_foreach(rows, i, row)
		for (size_t c = 0; c < ncols; c++) {
			size_t l = strlen(cell(json_object_get(row, cols[c].key),
					       cols[c].type, buf, sizeof(buf)));
			if (l > w[c])
				w[c] = l;
		}
	for (size_t c = 0; c < ncols; c++)
		printf("%-*s%s", c + 1 < ncols ? (int)w[c] : 0, cols[c].header,
		       c + 1 < ncols ? "  " : "\n");
	json_array_foreach(rows, i, row)
		for (size_t c = 0; c < ncols; c++) {
			const char *s = cell(json_object_get(row, cols[c].key),
					     cols[c].type, buf, sizeof(buf));
			bool right = cols[c].type == VN_COL_SIZE || cols[c].type == VN_COL_INT;

			if (c + 1 == ncols)
				printf("%s\n", s);
			else
				printf(right ? "%*s  " : "%-*s  ", (int)w[c], s);
		}
}

int vn_output(const struct vn_cli *cli, json_t *doc, const char *key,
	      const struct vn_col *cols)
{
	if (cli->json)
		return vn_output_json(doc);
	print_table(json_object_get(doc, key), cols);
	json_decref(doc);
	return VN_EXIT_OK;
}

int vn_output_end(struct vn_cli *cli, int code)
{
	if (cli->json && cli->parsed && code == VN_EXIT_OK && documents == 0 &&
	    changes_system(cli))
		code = vn_output_json(json_object());
	json_decref(cli->changes);
	cli->changes = NULL;
	run_cli = NULL;
	return code;
}
