// SPDX-License-Identifier: GPL-3.0-or-later
/* vnvme: global options and the top-level command table, nothing else. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"

static int cmd_help(struct vn_cli *cli, int argc, char **argv);

static const struct vn_cmd help_cmd = {
	.name = "help",
	.fn = cmd_help,
	.usage = "[<command> [<subcommand>]]",
	.summary = "show the help of a command",
	.args = VN_ARGS_COMMAND,
};

const struct vn_cmd *const vn_commands[] = {
	&vn_cmd_disks,
	&vn_cmd_partition,
	&vn_cmd_raid,
	&vn_cmd_journal_mode,
	&vn_cmd_cache,
	&vn_cmd_export,
	&vn_cmd_discover,
	&vn_cmd_connect,
	&vn_cmd_list,
	&vn_cmd_disconnect,
	&vn_cmd_up,
	&vn_cmd_down,
	&vn_cmd_save,
	&vn_cmd_status,
	&vn_cmd_check,
	&vn_cmd_gen_dhchap_key,
	&vn_cmd_gen_tls_key,
	&help_cmd,
	&vn_cmd_complete,
	NULL
};

const struct vn_cmd *vn_find_cmd(const struct vn_cmd *const *cmds, const char *name)
{
	for (; *cmds; cmds++)
		if (strcmp((*cmds)->name, name) == 0)
			return *cmds;
	return NULL;
}

/* Levenshtein distance, for "did you mean" (git's help_unknown_cmd). */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), prev[64], cur[64];

	if (la >= 63 || lb >= 63)
		return 63;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
			size_t del = prev[j] + 1, ins = cur[j - 1] + 1;

			cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
		}
		memcpy(prev, cur, sizeof(cur));
	}
	return prev[lb];
}

/* An unknown word: list the near names, never run a guess. */
static int unknown(struct vn_cli *cli, const struct vn_cmd *const *cmds,
		   const char *word, const char *what)
{
	bool any = false;

	fprintf(stderr, "vnvme: %s%s'%s' is not a vnvme %s\n", cli->cmdname,
		cli->cmdname[0] ? ": " : "", word, what);
	for (; *cmds; cmds++) {
		const char *n = (*cmds)->name;
		size_t d = distance(word, n);

		if ((*cmds)->flags & VN_CMD_HIDDEN)
			continue;
		if (d <= 2 || d * 3 <= strlen(n) ||
		    strncmp(n, word, strlen(word)) == 0 || strncmp(word, n, strlen(n)) == 0) {
			if (!any)
				fprintf(stderr, "\nThe most similar are:\n");
			fprintf(stderr, "\t%s\n", n);
			any = true;
		}
	}
	fprintf(stderr, "\nSee 'vnvme %s%s--help'.\n", cli->cmdname,
		cli->cmdname[0] ? " " : "");
	return VN_EXIT_USAGE;
}

/*
 * Resolve "raid create" or "cache ramdisk add" from argv[*i..]: groups nest
 * as deep as the tables do. Sets the command's full name in cli->cmdname.
 * Return: the command, or NULL with cli->exit set.
 */
static const struct vn_cmd *resolve(struct vn_cli *cli, int argc, char **argv, int *i)
{
	const struct vn_cmd *cmd = vn_find_cmd(vn_commands, argv[*i]);
	size_t len;

	if (!cmd) {
		cli->exit = unknown(cli, vn_commands, argv[*i], "command");
		return NULL;
	}
	snprintf(cli->cmdname, sizeof(cli->cmdname), "%s", cmd->name);
	while (cmd->subs) {
		const struct vn_cmd *sub;

		if (*i + 1 >= argc || argv[*i + 1][0] == '-') {
			bool help = *i + 1 < argc && (strcmp(argv[*i + 1], "--help") == 0 ||
						      strcmp(argv[*i + 1], "-h") == 0);

			vn_print_help(cli, cmd, cli->cmdname, help ? stdout : stderr);
			cli->exit = help ? VN_EXIT_OK : VN_EXIT_USAGE;
			return NULL;
		}
		sub = vn_find_cmd(cmd->subs, argv[*i + 1]);
		if (!sub) {
			cli->exit = unknown(cli, cmd->subs, argv[*i + 1], "subcommand");
			return NULL;
		}
		(*i)++;
		len = strlen(cli->cmdname);
		snprintf(cli->cmdname + len, sizeof(cli->cmdname) - len, " %s", sub->name);
		cmd = sub;
	}
	return cmd;
}

static int cmd_help(struct vn_cli *cli, int argc, char **argv)
{
	const struct vn_cmd *cmd;
	int i;

	i = vn_getopt_args(cli, argc, argv, 0, -1, NULL);
	if (i < 0)
		return cli->exit;
	if (i >= argc) {
		vn_print_help(cli, NULL, "", stdout);
		return VN_EXIT_OK;
	}
	cli->cmdname[0] = '\0';
	/* "help cache ramdisk": a group's own help, as "cache ramdisk --help" */
	if (argc - i < VN_CMD_DEPTH_MAX + 1) {
		char *words[VN_CMD_DEPTH_MAX + 2];
		int n = argc - i;

		memcpy(words, argv + i, sizeof(char *) * (size_t)n);
		words[n++] = (char *)"--help";
		words[n] = NULL;
		i = 0;
		cmd = resolve(cli, n, words, &i);
		if (!cmd)
			return cli->exit;
		vn_print_help(cli, cmd, cli->cmdname, stdout);
		return VN_EXIT_OK;
	}
	cmd = resolve(cli, argc, argv, &i);
	if (!cmd)
		return cli->exit;
	vn_print_help(cli, cmd, cli->cmdname, stdout);
	return VN_EXIT_OK;
}

volatile sig_atomic_t vn_signal;

static void on_signal(int sig)
{
	vn_signal = sig;
}

/*
 * A change stops between two steps, undoes what it did and exits 128 + the
 * signal; it is never cut off halfway. Commands that only read keep the
 * default: a signal ends them at once.
 */
static void catch_signals(struct vn_cli *cli, const struct vn_cmd *cmd)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESTART };

	if (!(cmd->flags & VN_CMD_DRYRUN))
		return;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		struct sigaction old;

		/* ignored (nohup, a shell's background job): stays ignored */
		if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
			continue;
		(void)sigaction(sigs[i], &sa, NULL);
	}
	vn_ctx_set_stop(cli->ctx, &vn_signal);
}

/* Results that never reached stdout are a failure (util-linux close_stdout). */
static int close_stdout(int code)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		if (errno == EPIPE)
			return code;
		fprintf(stderr, "vnvme: write error on stdout: %s\n", strerror(errno));
		return code ? code : VN_EXIT_FAILED;
	}
	return code;
}

/*
 * One change at a time: a command that changes the system holds the lock
 * while it runs (up, down and save take it themselves, under --sysroot).
 * Return: the lock's fd, -1 for none, or -2 with cli->exit set.
 */
static int lock_command(struct vn_cli *cli, const struct vn_cmd *cmd)
{
	int fd;

	if (!(cmd->flags & VN_CMD_DRYRUN) || cmd == &vn_cmd_up || cmd == &vn_cmd_down)
		return -1;
	if (cli->sysroot && vn_ctx_set_root(cli->ctx, cli->sysroot) < 0)
		return -1;
	fd = vn_lock_take(cli->ctx, cli->cmdname, 0);
	if (fd == -EWOULDBLOCK) {
		cli->exit = vn_report(cli);
		return -2;
	}
	vn_ctx_clear_error(cli->ctx);	/* no lock file here (not root): the command says */
	return fd < 0 ? -1 : fd;
}

void vn_cli_unlock(struct vn_cli *cli)
{
	if (!cli->lock_held)
		return;
	vn_lock_release(cli->lock);
	cli->lock_held = false;
	cli->lock_dropped = true;
}

int vn_cli_relock(struct vn_cli *cli)
{
	int fd;

	if (!cli->lock_dropped)
		return 0;
	fd = vn_lock_take(cli->ctx, cli->cmdname, 0);
	if (fd < 0)
		return fd;
	cli->lock = fd;
	cli->lock_held = true;
	cli->lock_dropped = false;
	return 0;
}

int vn_main(int argc, char **argv)
{
	struct vn_cli cli = { 0 };
	const struct vn_cmd *cmd;
	int i, code, lock;

	i = vn_parse_globals(&cli, argc, argv);
	if (i == VN_GETOPT_STOP)
		return close_stdout(cli.exit);
	if (i >= argc) {
		vn_print_help(&cli, NULL, "", stderr);
		return VN_EXIT_USAGE;
	}
	cmd = resolve(&cli, argc, argv, &i);
	if (!cmd)
		return close_stdout(cli.exit);
	cli.cmd = cmd;
	cli.ctx = vn_ctx_new();
	if (!cli.ctx) {
		vn_err(&cli, "out of memory");
		return VN_EXIT_FAILED;
	}
	catch_signals(&cli, cmd);
	lock = lock_command(&cli, cmd);
	cli.lock = lock;
	cli.lock_held = lock >= 0;
	vn_output_begin(&cli);
	code = lock == -2 ? cli.exit : cmd->fn(&cli, argc - i, argv + i);
	code = vn_output_end(&cli, code);
	if (cli.lock_held)
		vn_lock_release(cli.lock);
	vn_ctx_free(cli.ctx);
	return close_stdout(code);
}
