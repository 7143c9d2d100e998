// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * vnvme __complete WORD...: the candidates for the next word, straight from
 * the command table (completions/vnvme asks this, so the two cannot drift).
 * Markers: __devices__ (block devices), __files__ (paths). Live names
 * (arrays, mappings, RAM disks, NQNs) are read from the system (or from
 * --sysroot); what cannot be read (not root) is just not offered.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"

static const struct vn_opt *find_long(const struct vn_opt *opts, const char *word)
{
	for (const struct vn_opt *o = opts; o && o->name; o++) {
		if (word[0] == '-' && word[1] == '-' && strcmp(word + 2, o->name) == 0)
			return o;
		if (word[0] == '-' && word[1] == o->key && word[2] == '\0' &&
		    o->key < VN_OPT_LONG)
			return o;
	}
	return NULL;
}

/* The option that @word names, in the command's table or the global one. */
static const struct vn_opt *option_of(const struct vn_cmd *cmd, const char *word)
{
	const struct vn_opt *o = cmd ? find_long(cmd->opts, word) : NULL;

	if (!o && !(cmd && (cmd->flags & VN_CMD_HOSTQ) && strcmp(word, "-q") == 0))
		o = find_long(vn_global_opts(), word);
	return o;
}

static void print_arrays(struct vn_ctx *ctx)
{
	struct vn_md_status *all = NULL;
	int n = vn_md_list(ctx, &all);

	for (int i = 0; i < n; i++)
		printf("/dev/%s\n", all[i].name);
	free(all);
}

static void print_caches(struct vn_ctx *ctx)
{
	struct vn_cache_info *all = NULL;
	int n = vn_cache_list(ctx, &all);

	for (int i = 0; i < n; i++)
		printf("%s\n", all[i].name);
	free(all);
}

static void print_ramdisks(struct vn_ctx *ctx)
{
	struct vn_ramdisk *all = NULL;
	int n = vn_rapiddisk_list(ctx, &all);

	for (int i = 0; i < n; i++)
		printf("%s\n", all[i].name);
	free(all);
}

static void print_exports(struct vn_ctx *ctx)
{
	struct vn_nvmet_config *cfg = NULL;

	if (vn_nvmet_read(ctx, &cfg) < 0)
		return;
	for (unsigned int i = 0; i < cfg->nsubsys; i++)
		printf("%s\n", cfg->subsys[i].nqn);
	vn_nvmet_config_free(cfg);
}

/* The NQNs (@nqns) and/or the namespace nodes of the fabric controllers. */
static void print_connected(struct vn_ctx *ctx, bool nqns, bool devs)
{
	struct vn_nvme_ctrl *all = NULL;
	int n = vn_nvme_ctrl_list(ctx, &all);

	for (int i = 0; i < n; i++) {
		if (strcmp(all[i].transport, "pcie") == 0)
			continue;
		if (nqns && all[i].subsysnqn[0])
			printf("%s\n", all[i].subsysnqn);
		if (devs && all[i].dev[0])
			printf("/dev/%s\n", all[i].dev);
	}
	free(all);
}

/* A lower-case word ("tcp", "none", "1.2") is the only value there is. */
static bool literal(const char *arg)
{
	for (const char *p = arg; *p; p++)
		if (isupper((unsigned char)*p) || *p == ' ')
			return false;
	return arg[0] != '\0';
}

static void print_value_hint(struct vn_ctx *ctx, const struct vn_opt *o)
{
	const char *arg = o->arg;
	char buf[128], *save = NULL;

	if (o->flags & (VN_OPT_CONNECTED_NQN | VN_OPT_CONNECTED_DEV)) {
		print_connected(ctx, o->flags & VN_OPT_CONNECTED_NQN,
				o->flags & VN_OPT_CONNECTED_DEV);
	} else if (strchr(arg, '|')) {
		snprintf(buf, sizeof(buf), "%s", arg);
		for (char *t = strtok_r(buf, "|", &save); t; t = strtok_r(NULL, "|", &save))
			printf("%s\n", t);
	} else if (strstr(arg, "DEV")) {
		printf("__devices__\n");
	} else if (strstr(arg, "FILE") || strstr(arg, "DIR")) {
		printf("__files__\n");
	} else if (literal(arg)) {
		printf("%s\n", arg);
	}
}

/* The candidates for the positional argument after @npos others. */
static void print_args(struct vn_ctx *ctx, enum vn_args_kind kind, int npos)
{
	switch (kind) {
	case VN_ARGS_BLOCKDEV:
		printf("__devices__\n");
		break;
	case VN_ARGS_FILE:
		printf("__files__\n");
		break;
	case VN_ARGS_ARRAY:
		if (npos == 0)
			print_arrays(ctx);
		else
			printf("__devices__\n");
		break;
	case VN_ARGS_ARRAYS:
		print_arrays(ctx);
		break;
	case VN_ARGS_JOURNAL:
		if (npos == 0)
			print_arrays(ctx);
		else if (npos == 1)
			printf("write-back\nwrite-through\n");
		break;
	case VN_ARGS_CACHE:
		print_caches(ctx);
		break;
	case VN_ARGS_RAMDISK:
		print_ramdisks(ctx);
		break;
	case VN_ARGS_EXPORT:
		print_exports(ctx);
		break;
	case VN_ARGS_CONNECTED:
		print_connected(ctx, true, true);
		break;
	default:
		break;
	}
}

static void print_opts(const struct vn_cmd *cmd, const struct vn_opt *opts,
		       bool global)
{
	for (const struct vn_opt *o = opts; o && o->name; o++) {
		if (o->flags & VN_OPT_NOCOMPLETE)
			continue;
		if (cmd && global && !vn_global_applies(cmd, o))
			continue;
		printf("--%s\n", o->name);
	}
}

static void print_cmds(const struct vn_cmd *const *cmds)
{
	for (; *cmds; cmds++)
		if (!((*cmds)->flags & VN_CMD_HIDDEN))
			printf("%s\n", (*cmds)->name);
}

static int cmd_complete(struct vn_cli *cli, int argc, char **argv)
{
	const struct vn_cmd *cmd = NULL, *group = NULL, *target = NULL;
	const struct vn_opt *pending = NULL;
	const char *sysroot = cli->sysroot;
	int npos = 0;

	for (int i = 1; i < argc; i++) {
		const char *w = argv[i];

		if (pending) {		/* the value of the option before */
			if (strcmp(pending->name, "sysroot") == 0)
				sysroot = w;
			pending = NULL;
			continue;
		}
		if (w[0] == '-') {
			const struct vn_opt *o = option_of(cmd, w);

			if (strncmp(w, "--sysroot=", 10) == 0)
				sysroot = w + 10;
			else if (o && o->arg && !strchr(w, '='))
				pending = o;
			continue;
		}
		if (!cmd) {
			/* a command, or a subcommand of the group so far */
			cmd = vn_find_cmd(group ? group->subs : vn_commands, w);
			if (!cmd)
				return VN_EXIT_OK;	/* an unknown word: nothing to offer */
			if (cmd->subs) {
				group = cmd;
				cmd = NULL;
			}
		} else if (cmd->args == VN_ARGS_COMMAND && (!target || target->subs)) {
			/* help's words: a command, then down its groups */
			const struct vn_cmd *t = vn_find_cmd(target ? target->subs :
							     vn_commands, w);

			if (!t)
				return VN_EXIT_OK;
			target = t;
		} else {
			npos++;
		}
	}
	/* live names are read where the command would read them */
	if (vn_ctx_set_root(cli->ctx, sysroot) < 0)
		return VN_EXIT_OK;
	if (pending) {
		print_value_hint(cli->ctx, pending);
		return VN_EXIT_OK;
	}
	if (group && !cmd) {
		print_cmds(group->subs);
		return VN_EXIT_OK;
	}
	if (!cmd) {
		print_cmds(vn_commands);
		print_opts(NULL, vn_global_opts(), true);
		printf("--version\n");
		return VN_EXIT_OK;
	}
	print_opts(cmd, cmd->opts, false);
	print_opts(cmd, vn_global_opts(), true);
	if (cmd->flags & VN_CMD_HOSTQ)
		printf("--quiet\n");
	if (cmd->args == VN_ARGS_COMMAND) {
		if (target && target->subs)
			print_cmds(target->subs);
		else if (!target)
			print_cmds(vn_commands);
	} else {
		print_args(cli->ctx, cmd->args, npos);
	}
	return VN_EXIT_OK;
}

const struct vn_cmd vn_cmd_complete = {
	.name = "__complete",
	.fn = cmd_complete,
	.usage = "[WORD...]",
	.summary = "print the candidates for the next word (for shell completion)",
	.flags = VN_CMD_HIDDEN,
};
