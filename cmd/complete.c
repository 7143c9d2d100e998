// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * vnvme __complete WORD...: the candidates for the next word, straight from
 * the command table (completions/vnvme asks this, so the two cannot drift).
 * Markers: __devices__ (block devices), __files__ (paths).
 */
#include <stdio.h>
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

static void print_value_hint(const char *arg)
{
	char buf[128], *save = NULL;

	if (strchr(arg, '|')) {
		snprintf(buf, sizeof(buf), "%s", arg);
		for (char *t = strtok_r(buf, "|", &save); t; t = strtok_r(NULL, "|", &save))
			printf("%s\n", t);
	} else if (strstr(arg, "DEV")) {
		printf("__devices__\n");
	} else if (strstr(arg, "FILE") || strstr(arg, "DIR")) {
		printf("__files__\n");
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

	(void)cli;
	for (int i = 1; i < argc; i++) {
		const char *w = argv[i];

		if (pending) {		/* the value of the option before */
			pending = NULL;
			continue;
		}
		if (w[0] == '-') {
			const struct vn_opt *o = option_of(cmd, w);

			if (o && o->arg && !strchr(w, '='))
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
		}
	}
	if (pending) {
		print_value_hint(pending->arg);
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
	switch (cmd->args) {
	case VN_ARGS_BLOCKDEV:
		printf("__devices__\n");
		break;
	case VN_ARGS_FILE:
		printf("__files__\n");
		break;
	case VN_ARGS_COMMAND:
		if (target && target->subs)
			print_cmds(target->subs);
		else if (!target)
			print_cmds(vn_commands);
		break;
	default:
		break;
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
