// SPDX-License-Identifier: GPL-3.0-or-later
/* vnvme disks: every disk and partition, what it is, what is on it, who holds it. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"

/* The device's signatures; null when they could not be read (not []). */
static json_t *sigs_json(struct vn_cli *cli, const char *name, bool *denied)
{
	struct vn_sig sigs[VN_SIGS_MAX];
	json_t *arr;
	int n;

	n = vn_probe_signatures(cli->ctx, name, sigs, VN_SIGS_MAX);
	vn_ctx_clear_error(cli->ctx);
	if (n == -EACCES || n == -EPERM)
		*denied = true;
	if (n < 0)
		return json_null();
	arr = json_array();
	for (int i = 0; i < n; i++)
		json_array_append_new(arr, json_pack("{s:s, s:o, s:o, s:o, s:I}",
			"type", sigs[i].type, "usage", vn_json_str(sigs[i].usage),
			"label", vn_json_str(sigs[i].label), "uuid", vn_json_str(sigs[i].uuid),
			"offset", (json_int_t)sigs[i].offset));
	return arr;
}

/* Holds of this device alone (a disk's row does not repeat its partitions'). */
static json_t *holds_json(struct vn_cli *cli, const struct vn_blkdev *d)
{
	struct vn_hold holds[VN_HOLDS_MAX];
	json_t *arr = json_array();
	int n;

	n = vn_blk_holds(cli->ctx, d->name, holds, VN_HOLDS_MAX);
	for (int i = 0; i < n; i++) {
		/* md and other sysfs holders are devices: /dev paths */
		bool dev = holds[i].kind == VN_HOLD_MD || holds[i].kind == VN_HOLD_OTHER;

		if (strcmp(holds[i].dev, d->name) != 0)
			continue;
		json_array_append_new(arr, json_pack("{s:s, s:o}",
			"kind", vn_hold_kind_name(holds[i].kind),
			"by", dev ? vn_json_dev(holds[i].by) : json_string(holds[i].by)));
	}
	vn_ctx_clear_error(cli->ctx);
	return arr;
}

/* Short text forms for the table. */
static json_t *strings_of(const json_t *arr, const char *key, const char *key2)
{
	json_t *out = json_array(), *item;
	size_t i;

	json_array_foreach(arr, i, item) {
		char buf[300];
		const char *a = json_string_value(json_object_get(item, key));
		const char *b = key2 ? json_string_value(json_object_get(item, key2)) : NULL;

		snprintf(buf, sizeof(buf), "%s%s%s", a ? a : "", b ? ":" : "", b ? b : "");
		json_array_append_new(out, json_string(buf));
	}
	return out;
}

static const struct vn_col disks_cols[] = {
	{ "name", "NAME", VN_COL_STR },
	{ "size_bytes", "SIZE", VN_COL_SIZE },
	{ "kind", "KIND", VN_COL_STR },
	{ "model", "MODEL", VN_COL_STR },
	{ "serial", "SERIAL", VN_COL_STR },
	{ "signature_types", "SIGNATURES", VN_COL_LIST },
	{ "held_by", "HELD-BY", VN_COL_LIST },
	{ NULL }
};

static int cmd_disks(struct vn_cli *cli, int argc, char **argv)
{
	struct vn_blkdev *devs = NULL;
	json_t *rows, *row;
	bool denied = false;
	size_t i;
	int n;

	if (vn_getopt_args(cli, argc, argv, 0, 0, NULL) < 0)
		return cli->exit;

	n = vn_blk_list(cli->ctx, &devs);
	if (n < 0)
		return vn_report(cli);
	rows = json_array();
	for (int k = 0; k < n; k++) {
		const struct vn_blkdev *d = &devs[k];
		char path[VN_NAME_MAX + 16];

		json_array_append_new(rows, json_pack(
			"{s:s, s:s, s:s, s:I, s:s, s:b, s:o, s:I, s:b, s:b, s:o, s:o, s:o,"
			" s:o, s:o}",
			"name", d->name, "path", vn_blk_devpath(d, path, sizeof(path)),
			"kind", vn_blk_kind_name(d->kind),
			"size_bytes", (json_int_t)d->size_bytes,
			"type", d->partno ? "part" : "disk",
			"partition", d->partno != 0,
			"parent", vn_json_dev(d->partno ? d->disk : NULL),
			"logical_block_size", (json_int_t)d->logical_block_size,
			"rotational", d->rotational, "readonly", d->readonly,
			"transport", vn_json_str(d->transport), "model", vn_json_str(d->model),
			"serial", vn_json_str(d->serial),
			"signatures", sigs_json(cli, d->name, &denied),
			"holders", holds_json(cli, d)));
	}
	free(devs);
	if (denied)
		vn_warn(cli, "permission denied reading some devices: their signatures "
			"are not shown");
	if (!cli->json) {
		json_array_foreach(rows, i, row) {
			json_object_set_new(row, "signature_types",
				strings_of(json_object_get(row, "signatures"), "type", NULL));
			json_object_set_new(row, "held_by",
				strings_of(json_object_get(row, "holders"), "kind", "by"));
			if (json_is_true(json_object_get(row, "partition"))) {
				char name[VN_NAME_MAX + 4];

				snprintf(name, sizeof(name), "  %s",
					 json_string_value(json_object_get(row, "name")));
				json_object_set_new(row, "name", json_string(name));
			}
		}
	}
	return vn_output(cli, json_pack("{s:o}", "disks", rows), "disks", disks_cols);
}

const struct vn_cmd vn_cmd_disks = {
	.name = "disks",
	.fn = cmd_disks,
	.usage = "[--json]",
	.summary = "list disks and partitions: size, kind, signatures, holders",
	.description =
		"Every disk and partition the kernel knows, with its size, kind (hdd, ssd,\n"
		"nvme from queue/rotational and the transport; md, dm, loop, ram),\n"
		"model and serial where sysfs has them, the signatures libblkid finds\n"
		"(partition table, filesystem, md member, LVM, swap) and what holds it\n"
		"(mounted, md member, dm mapping, swap, NVMe target export).",
	.flags = VN_CMD_JSON,
	.args = VN_ARGS_NONE,
};
