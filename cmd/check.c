// SPDX-License-Identifier: GPL-3.0-or-later
/* vnvme check: what this machine can and cannot do for the stack, loading nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"

enum {
	OPT_NEED = VN_OPT_LONG,
	OPT_CACHE_SIZE,
	OPT_JOURNAL,
	OPT_STACK,
};

static const struct vn_opt check_opts[] = {
	{ "need", OPT_NEED, "LIST", "what the stack needs: raid,cache,export,connect,auth "
	  "(default: all but auth)", 0 },
	{ "cache-size", OPT_CACHE_SIZE, "SIZE", "RAM wanted for a cache (M if no unit)", 0 },
	{ "journal", OPT_JOURNAL, "DEV", "the journal device: block sizes, journal advice", 0 },
	{ "stack", OPT_STACK, "FILE", "what a stack file (vnvme-stack(5)) needs: its "
	  "layers, cache size, members and journal", 0 },
	{ NULL }
};

/* The stack file's devices as /dev paths, found as `up` finds them. */
struct stack_devs {
	char paths[VN_MD_MEMBERS_MAX + 1][VN_STACK_PATH_MAX + 8];
	const char *ptrs[VN_MD_MEMBERS_MAX + 1];
};

static void stack_dev(struct vn_cli *cli, const struct vn_stack_dev *d, char *buf,
		      size_t len)
{
	char name[VN_NAME_MAX];

	if (vn_stack_resolve(cli->ctx, d, name, sizeof(name)) == 0)
		snprintf(buf, len, "/dev/%s", name);
	else
		snprintf(buf, len, "%s", d->device);	/* reported missing */
	vn_ctx_clear_error(cli->ctx);
}

/* Fill @req from stack file @path. Return: 0, or an exit code after the message. */
static int stack_needs(struct vn_cli *cli, const char *path, struct vn_check_req *req,
		       struct stack_devs *sd)
{
	struct vn_stack *s = NULL;
	unsigned int n = 0;

	if (vn_stack_load(cli->ctx, path, &s) < 0) {
		/* as up says it: the file named, exit 2 (vnvme-stack(5)) */
		vn_err(cli, "%s: %s", path, vn_ctx_error(cli->ctx));
		return VN_EXIT_USAGE;
	}
	req->needs = (s->has_array ? VN_NEED_RAID : 0) | (s->has_cache ? VN_NEED_CACHE : 0) |
		     (s->has_export ? VN_NEED_EXPORT : 0) | (s->nconnect ? VN_NEED_CONNECT : 0);
	if (s->has_cache)
		req->cache_bytes = s->cache.size_bytes;
	for (unsigned int i = 0; s->has_array && i < s->array.nmembers; i++, n++) {
		stack_dev(cli, &s->array.members[i], sd->paths[n], sizeof(sd->paths[n]));
		sd->ptrs[n] = sd->paths[n];
	}
	if (s->has_array) {
		req->level = s->array.level;
		req->chunk_kib = s->array.chunk_kib;
	}
	if (s->has_array && s->array.has_journal) {
		stack_dev(cli, &s->array.journal, sd->paths[n], sizeof(sd->paths[n]));
		sd->ptrs[n] = sd->paths[n];
		req->journal = sd->paths[n++];
	}
	req->devices = sd->ptrs;
	req->ndevices = n;
	free(s);
	return 0;
}

static const struct {
	const char *name;
	unsigned int bit;
} need_names[] = {
	{ "raid", VN_NEED_RAID },
	{ "cache", VN_NEED_CACHE },
	{ "export", VN_NEED_EXPORT },
	{ "connect", VN_NEED_CONNECT },
	{ "auth", VN_NEED_AUTH },
};

static const char *const level_names[] = {
	[VN_CHECK_OK] = "ok",
	[VN_CHECK_INFO] = "info",
	[VN_CHECK_WARN] = "warning",
	[VN_CHECK_MISSING] = "missing",
};

static int parse_needs(const struct vn_cli *cli, const char *arg, unsigned int *ret)
{
	char *copy = strdup(arg), *save = NULL, *tok;
	unsigned int needs = 0;

	if (!copy)
		return VN_EXIT_FAILED;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		size_t i;

		for (i = 0; i < sizeof(need_names) / sizeof(need_names[0]); i++)
			if (strcmp(tok, need_names[i].name) == 0)
				break;
		if (i == sizeof(need_names) / sizeof(need_names[0])) {
			vn_usage_error(cli, "--need: '%s' is not raid, cache, export, connect "
				       "or auth", tok);
			free(copy);
			return VN_EXIT_USAGE;
		}
		needs |= need_names[i].bit;
	}
	free(copy);
	*ret = needs;
	return 0;
}

static json_t *needs_json(unsigned int needs)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < sizeof(need_names) / sizeof(need_names[0]); i++)
		if (needs & need_names[i].bit)
			json_array_append_new(arr, json_string(need_names[i].name));
	return arr;
}

static json_t *bytes_or_null(uint64_t v)
{
	return v ? json_integer((json_int_t)v) : json_null();
}

static json_t *report_json(const struct vn_check_report *r, unsigned int needs)
{
	json_t *mods = json_array(), *devs = json_array(), *finds = json_array();

	for (unsigned int i = 0; i < r->nmodules; i++) {
		const struct vn_check_module *m = &r->modules[i];

		json_array_append_new(mods, json_pack("{s:s, s:s, s:o, s:o, s:b}",
			"name", m->name, "state", vn_kmod_state_name(m->state),
			"needed_for", needs_json(m->needed_for),
			"path", m->path[0] ? json_string(m->path) : json_null(),
			"needed", (m->needed_for & needs) != 0));
	}
	for (unsigned int i = 0; i < r->ndevices; i++) {
		const struct vn_check_device *d = &r->devices[i];

		json_array_append_new(devs, json_pack("{s:s, s:b, s:b, s:o, s:o, s:o, s:o, s:o}",
			"device", d->dev, "found", d->found, "journal", d->journal,
			"size_bytes", bytes_or_null(d->size_bytes),
			"logical_block_size", bytes_or_null(d->logical_block_size),
			"physical_block_size", bytes_or_null(d->physical_block_size),
			"rotational", d->found ? json_boolean(d->rotational) : json_null(),
			"volatile_cache",
			d->found ? json_boolean(d->volatile_cache) : json_null()));
	}
	for (unsigned int i = 0; i < r->nfindings; i++) {
		const struct vn_check_finding *f = &r->findings[i];

		json_array_append_new(finds, json_pack("{s:s, s:s, s:s, s:s}",
			"level", level_names[f->level], "what", f->what, "text", f->text,
			"meaning", f->meaning));
	}
	return json_pack("{s:b, s:s, s:o, s:o, s:{s:b, s:b}, s:{s:o, s:o}, s:o, s:o, s:o,"
			 " s:o, s:o, s:o, s:b, s:o}",
		"ok", r->ok, "kernel", r->release, "needs", needs_json(needs), "modules", mods,
		"configfs", "supported", r->configfs_supported, "mounted", r->configfs_mounted,
		"memory", "total_bytes", bytes_or_null(r->mem_total_bytes),
		"available_bytes", bytes_or_null(r->mem_available_bytes),
		"cache_engine", r->cache_engine ? json_string(r->cache_engine) : json_null(),
		"auth", r->auth < 0 ? json_null() : json_boolean(r->auth),
		"devices", devs, "findings", finds, "host_auth",
		r->host_auth < 0 ? json_null() : json_boolean(r->host_auth),
		"tls", r->tls < 0 ? json_null() : json_boolean(r->tls), "tlshd", r->tlshd,
		"journal_advice", vn_journal_advice_json(&r->journal_advice));
}

static void print_report(const struct vn_check_report *r, unsigned int needs)
{
	char a[32], b[32];

	printf("kernel %s\n", r->release);
	for (unsigned int i = 0; i < r->nmodules; i++) {
		const struct vn_check_module *m = &r->modules[i];

		printf("module %-16s %-10s%s\n", m->name, vn_kmod_state_name(m->state),
		       m->needed_for & needs ? "" : " (not needed)");
	}
	printf("configfs %s\n", r->configfs_mounted ? "mounted" :
	       r->configfs_supported ? "not mounted (vnvme mounts it)" : "missing");
	printf("memory %s total, %s available\n",
	       vn_size_format(r->mem_total_bytes, a, sizeof(a)),
	       vn_size_format(r->mem_available_bytes, b, sizeof(b)));
	printf("cache engine %s\n", r->cache_engine ? r->cache_engine : "none");
	printf("nvme in-band authentication %s\n",
	       r->auth < 0 ? "unknown" : r->auth ? "yes" : "no");
	printf("nvme host authentication %s\n", r->host_auth < 0 ?
	       "unknown (nvme-core not loaded)" : r->host_auth ? "yes" : "no");
	printf("nvme tcp tls %s, tlshd %s\n", r->tls < 0 ? "unknown" : r->tls ? "yes" : "no",
	       r->tlshd ? "running" : "not running");
	for (unsigned int i = 0; i < r->ndevices; i++) {
		const struct vn_check_device *d = &r->devices[i];

		if (d->found)
			printf("device %s%s: %s, logical block %u, physical block %u%s%s\n",
			       d->dev, d->journal ? " (journal)" : "",
			       vn_size_format(d->size_bytes, a, sizeof(a)), d->logical_block_size,
			       d->physical_block_size, d->rotational ? ", rotational" : "",
			       d->volatile_cache ? ", volatile write cache" : "");
	}
	for (unsigned int i = 0; i < r->nfindings; i++) {
		const struct vn_check_finding *f = &r->findings[i];

		printf("%s: %s: %s%s%s\n", level_names[f->level], f->what, f->text,
		       f->meaning[0] ? ": " : "", f->meaning);
	}
	printf("check: %s\n", r->ok ? "ok" : "something needed is missing");
}

/* 0; 4 when the kernel lacks something needed; 1 when a device or RAM does. */
static int check_exit(const struct vn_check_report *r)
{
	int code = VN_EXIT_OK;

	for (unsigned int i = 0; i < r->nfindings; i++) {
		if (r->findings[i].level != VN_CHECK_MISSING)
			continue;
		if (r->findings[i].kernel)
			return VN_EXIT_NOKERNEL;
		code = VN_EXIT_FAILED;
	}
	return code;
}

static int cmd_check(struct vn_cli *cli, int argc, char **argv)
{
	struct vn_check_req req = { .needs = VN_NEED_DEFAULT };
	struct vn_getopt g = { 0 };
	struct vn_check_report *r;
	struct stack_devs sd;
	const char *stack = NULL;
	int c, code;

	while ((c = vn_getopt(cli, &g, argc, argv)) != -1) {
		if (c == VN_GETOPT_STOP)
			return cli->exit;
		if (c == OPT_NEED && parse_needs(cli, g.arg, &req.needs))
			return VN_EXIT_USAGE;
		if (c == OPT_CACHE_SIZE &&
		    vn_opt_size(cli, "cache-size", g.arg, 1u << 20, &req.cache_bytes))
			return VN_EXIT_USAGE;
		if (c == OPT_JOURNAL)
			req.journal = g.arg;
		if (c == OPT_STACK)
			stack = g.arg;
	}
	req.devices = (const char *const *)argv + g.optind;
	req.ndevices = (unsigned int)(argc - g.optind);
	if (stack && (req.ndevices || req.journal))
		return vn_usage_error(cli, "--stack names the devices: give no DEVICE "
				      "or --journal with it");
	if (stack && (code = stack_needs(cli, stack, &req, &sd)) != 0)
		return code;
	r = malloc(sizeof(*r));
	if (!r)
		return VN_EXIT_FAILED;
	if (vn_check(cli->ctx, &req, r) < 0) {
		free(r);
		return vn_report(cli);
	}
	code = check_exit(r);
	if (cli->json) {
		int out = vn_output_json(report_json(r, req.needs));

		free(r);
		return out ? out : code;
	}
	print_report(r, req.needs);
	free(r);
	return code;
}

const struct vn_cmd vn_cmd_check = {
	.name = "check",
	.fn = cmd_check,
	.usage = "[--json] [--need LIST] [--cache-size SIZE] [--journal DEV] [DEVICE...] | "
		 "[--json] --stack FILE",
	.summary = "what this machine can and cannot do for the stack (loads nothing)",
	.description =
		"Looks up, without loading them, the kernel modules each part needs\n"
		"(md, RapidDisk or dm-cache on zram, nvmet-tcp, nvme-tcp), configfs, free\n"
		"RAM for a cache, NVMe in-band authentication, and the block sizes of\n"
		"DEVICEs (a 4Kn journal under 512-byte members is warned about); each\n"
		"finding says which command it breaks. Exit: 0 all needed is there, 4 the\n"
		"kernel lacks something needed, 1 a DEVICE or the RAM does not do.\n"
		"With --stack FILE, what that stack file needs: its layers, its cache's\n"
		"RAM, its members and journal found as `vnvme up` finds them.",
	.opts = check_opts,
	.flags = VN_CMD_JSON,
	.args = VN_ARGS_BLOCKDEV,
};
