// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * Option parsing and help, both from the command's option table, so the two
 * cannot drift. The global options are appended to every table: they work
 * before the command word (main.c) and after it (here).
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"

enum {
	G_JSON = 900,
	G_DRYRUN,
	G_FORCE,
	G_SYSROOT,
	G_QUIET_LONG,
};

static const struct vn_opt global_opts[] = {
	{ "json", G_JSON, NULL, "print the result as JSON on stdout", 0 },
	{ "dry-run", G_DRYRUN, NULL, "show every change it would make, make none", 0 },
	{ "verbose", 'v', NULL, "list each change as it is made", 0 },
	{ "quiet", 'q', NULL, "print no informational messages", 0 },
	{ "yes", 'y', NULL, "answer yes to every question", 0 },
	{ "force", G_FORCE, NULL, "override a refusal that can be overridden",
	  VN_OPT_NOCOMPLETE },
	{ "sysroot", G_SYSROOT, "DIR", "use DIR as the root of /sys, /proc and /dev", 0 },
	{ "help", 'h', NULL, "show this help", 0 },
	{ NULL }
};

/* In the host commands -q is nvme-cli's --hostnqn; quiet is --quiet only. */
static const struct vn_opt global_opts_hostq[] = {
	{ "quiet", G_QUIET_LONG, NULL, "print no informational messages", 0 },
	{ NULL }
};

const struct vn_opt *vn_global_opts(void)
{
	return global_opts;
}

static bool skip_global(const struct vn_cmd *cmd, const struct vn_opt *o)
{
	return (cmd->flags & VN_CMD_HOSTQ) && o->key == 'q';
}

bool vn_global_applies(const struct vn_cmd *cmd, const struct vn_opt *o)
{
	if (skip_global(cmd, o))
		return false;
	if (o->key == G_JSON)	/* a change's result: {"dry_run", "changes"} */
		return cmd->flags & (VN_CMD_JSON | VN_CMD_DRYRUN);
	if (o->key == G_DRYRUN)
		return cmd->flags & VN_CMD_DRYRUN;
	return true;
}

static int add_opt(struct vn_getopt *p, const struct vn_opt *o)
{
	size_t len = strlen(p->shortopts);

	if (p->n >= VN_OPTS_MAX)
		return -ENOSPC;
	p->lopts[p->n] = (struct option){
		.name = o->name,
		.has_arg = o->arg ? required_argument : no_argument,
		.val = o->key,
	};
	p->map[p->n++] = o;
	if (o->key > 0 && o->key < VN_OPT_LONG) {
		p->shortopts[len++] = (char)o->key;
		if (o->arg)
			p->shortopts[len++] = ':';
		p->shortopts[len] = '\0';
	}
	return 0;
}

static void build(struct vn_getopt *p, const struct vn_cmd *cmd)
{
	const struct vn_opt *o;

	/* ':' first: a missing argument is reported as ':' not '?' */
	strcpy(p->shortopts, ":");
	for (o = cmd->opts; o && o->name; o++)
		(void)add_opt(p, o);
	p->ncmd = p->n;
	for (o = global_opts; o->name; o++)
		if (!skip_global(cmd, o))
			(void)add_opt(p, o);
	if (cmd->flags & VN_CMD_HOSTQ)
		(void)add_opt(p, &global_opts_hostq[0]);
	p->started = true;
}

static int find_opt(const struct vn_getopt *p, int key)
{
	for (int i = 0; i < p->n; i++)
		if (p->map[i]->key == key)
			return i;
	return -1;
}

/* Apply a global option. Return: true if @key was one. */
static bool apply_global(struct vn_cli *cli, int key, const char *arg)
{
	switch (key) {
	case G_JSON:
		cli->json = true;
		return true;
	case G_DRYRUN:
		cli->dry_run = true;
		return true;
	case 'v':
		cli->verbose++;
		return true;
	case 'q':
	case G_QUIET_LONG:
		cli->quiet = true;
		return true;
	case 'y':
		cli->yes = true;
		return true;
	case G_FORCE:
		cli->force = true;
		return true;
	case G_SYSROOT:
		cli->sysroot = arg;
		return true;
	default:
		return false;
	}
}

int vn_usage_error(const struct vn_cli *cli, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "vnvme: %s%s", cli->cmdname, cli->cmdname[0] ? ": " : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'vnvme %s%s--help'.\n", cli->cmdname,
		cli->cmdname[0] ? " " : "");
	return VN_EXIT_USAGE;
}

static int stop(struct vn_cli *cli, int code)
{
	cli->exit = code;
	return VN_GETOPT_STOP;
}

/* Checks once the whole command line is known. */
static int finish(struct vn_cli *cli)
{
	const struct vn_cmd *cmd = cli->cmd;

	if (cli->json && !(cmd->flags & (VN_CMD_JSON | VN_CMD_DRYRUN)))
		return stop(cli, vn_usage_error(cli, "--json is not supported here"));
	if (cli->dry_run && !(cmd->flags & VN_CMD_DRYRUN))
		return stop(cli, vn_usage_error(cli, "--dry-run is not supported here: "
						"this command changes nothing"));
	/* a dry run reads what it can; what needs root fails there, by name */
	if ((cmd->flags & VN_CMD_ROOT) && !cli->sysroot && !cli->dry_run &&
	    geteuid() != 0) {
		vn_err(cli, "must be run as root%s", (cmd->flags & VN_CMD_DRYRUN) ?
		       " (--dry-run shows the plan without)" : "");
		return stop(cli, VN_EXIT_PERM);
	}
	if (vn_ctx_set_root(cli->ctx, cli->sysroot) < 0)
		return stop(cli, vn_usage_error(cli, "--sysroot: path too long"));
	vn_ctx_set_dry_run(cli->ctx, cli->dry_run);
	vn_ctx_set_action_cb(cli->ctx, vn_report_action, cli);
	cli->parsed = true;
	return -1;
}

/*
 * A value given as the next word that looks like an option ("-q --dry-run")
 * is refused: a dry run must never become a real run because its flag was
 * eaten as a value. "--opt=-x" and "-o-x" say it is meant; "-" alone is a
 * value.
 */
static bool looks_like_option(char **argv, const char *arg)
{
	return arg == argv[optind - 1] && arg[0] == '-' && arg[1] != '\0';
}

static int option_as_value(const struct vn_cli *cli, char **argv, const char *arg)
{
	const char *opt = argv[optind - 2];

	return vn_usage_error(cli, "option '%s' needs a value, not '%s' (write "
			      "%s%s%s if that is the value)", opt, arg, opt,
			      strncmp(opt, "--", 2) == 0 ? "=" : "", arg);
}

int vn_getopt(struct vn_cli *cli, struct vn_getopt *g, int argc, char **argv)
{
	int c, i;

	if (!g->started) {
		build(g, cli->cmd);
		optind = 0;	/* GNU: re-initialise */
		opterr = 0;
	}
	for (;;) {
		c = getopt_long(argc, argv, g->shortopts, g->lopts, NULL);
		if (c == -1) {
			g->optind = optind;
			return finish(cli);
		}
		if (c == '?') {
			const char *bad = argv[optind - 1];

			if (optopt && optopt < VN_OPT_LONG && strncmp(bad, "--", 2) != 0)
				return stop(cli, vn_usage_error(cli, "unknown option '-%c'",
								  optopt));
			return stop(cli, vn_usage_error(cli, "unknown option '%s'", bad));
		}
		if (c == ':') {
			i = find_opt(g, optopt);
			if (i >= 0)
				return stop(cli, vn_usage_error(cli, "option '--%s' needs "
								  "a value (%s)", g->map[i]->name,
								  g->map[i]->arg));
			return stop(cli, vn_usage_error(cli, "option '%s' needs a value",
							  argv[optind - 1]));
		}
		if (c == 'h') {
			vn_print_help(cli, cli->cmd, cli->cmdname, stdout);
			return stop(cli, VN_EXIT_OK);
		}
		if (optarg && looks_like_option(argv, optarg))
			return stop(cli, option_as_value(cli, argv, optarg));
		/* the command's own options come first in the map */
		i = find_opt(g, c);
		if (i >= 0 && i < g->ncmd) {
			g->arg = optarg;
			return c;
		}
		if (!apply_global(cli, c, optarg))
			return stop(cli, vn_usage_error(cli, "unhandled option"));
	}
}

int vn_getopt_args(struct vn_cli *cli, int argc, char **argv, int min, int max,
		   const char *what)
{
	struct vn_getopt g = { 0 };
	int c, n;

	while ((c = vn_getopt(cli, &g, argc, argv)) != -1) {
		if (c == VN_GETOPT_STOP)
			return -1;
		/* only for commands without options of their own */
		cli->exit = vn_usage_error(cli, "unexpected option");
		return -1;
	}
	n = argc - g.optind;
	if (n < min || (max >= 0 && n > max)) {
		cli->exit = max == 0 ? vn_usage_error(cli, "takes no arguments")
				     : vn_usage_error(cli, "%s", what);
		return -1;
	}
	return g.optind;
}

int vn_parse_globals(struct vn_cli *cli, int argc, char **argv)
{
	static const struct option version = { "version", no_argument, NULL, 'V' };
	struct option lopts[sizeof(global_opts) / sizeof(global_opts[0]) + 1];
	char shortopts[32] = "+:";
	size_t n = 0;
	int c;

	for (const struct vn_opt *o = global_opts; o->name; o++, n++) {
		lopts[n] = (struct option){ o->name,
			o->arg ? required_argument : no_argument, NULL, o->key };
		if (o->key < VN_OPT_LONG) {
			size_t len = strlen(shortopts);

			shortopts[len] = (char)o->key;
			shortopts[len + 1] = '\0';
		}
	}
	lopts[n++] = version;
	lopts[n] = (struct option){ 0 };
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts, lopts, NULL)) != -1) {
		if (c == 'V') {
			printf("vnvme %s\n", VNVME_VERSION);
			cli->exit = VN_EXIT_OK;
			return VN_GETOPT_STOP;
		}
		if (c == 'h') {
			vn_print_help(cli, NULL, "", stdout);
			cli->exit = VN_EXIT_OK;
			return VN_GETOPT_STOP;
		}
		if (c == '?' || c == ':') {
			cli->exit = vn_usage_error(cli, c == ':' ? "option '%s' needs a value"
						   : "unknown option '%s'", argv[optind - 1]);
			return VN_GETOPT_STOP;
		}
		if (optarg && looks_like_option(argv, optarg)) {
			cli->exit = option_as_value(cli, argv, optarg);
			return VN_GETOPT_STOP;
		}
		(void)apply_global(cli, c, optarg);
	}
	return optind;
}

int vn_opt_size(const struct vn_cli *cli, const char *opt, const char *s,
		uint64_t default_unit, uint64_t *ret)
{
	int r = vn_size_parse(s, default_unit, ret);

	if (r == -ERANGE)
		return vn_usage_error(cli, "--%s: '%s' is too large", opt, s);
	if (r < 0)
		return vn_usage_error(cli, "--%s: '%s' is not a size (e.g. 2048, 512K, 2G)",
				      opt, s);
	return 0;
}

int vn_opt_uint(const struct vn_cli *cli, const char *opt, const char *s,
		unsigned long min, unsigned long max, unsigned long *ret)
{
	unsigned long v;
	char *end;

	if (!s[0] || strspn(s, "0123456789") != strlen(s))
		return vn_usage_error(cli, "--%s: '%s' is not a number from %lu to %lu",
				      opt, s, min, max);
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno == ERANGE || v > max)
		return vn_usage_error(cli, "--%s: '%s' is too large (at most %lu)", opt,
				      s, max);
	if (v < min)
		return vn_usage_error(cli, "--%s: '%s' is too small (at least %lu)", opt,
				      s, min);
	*ret = v;
	return 0;
}

/* ---- help ---- */

static void print_opts(const struct vn_opt *opts, const struct vn_cmd *cmd, FILE *out)
{
	for (const struct vn_opt *o = opts; o && o->name; o++) {
		char left[64];
		int n;

		if (cmd && !vn_global_applies(cmd, o))
			continue;
		if (o->key > 0 && o->key < VN_OPT_LONG)
			n = snprintf(left, sizeof(left), "-%c, --%s", o->key, o->name);
		else
			n = snprintf(left, sizeof(left), "    --%s", o->name);
		if (o->arg && n > 0 && (size_t)n < sizeof(left))
			snprintf(left + n, sizeof(left) - (size_t)n, " %s", o->arg);
		fprintf(out, "  %-28s %s\n", left, o->help);
	}
}

static void print_cmd_list(const struct vn_cmd *const *cmds, FILE *out)
{
	for (; *cmds; cmds++)
		if (!((*cmds)->flags & VN_CMD_HIDDEN))
			fprintf(out, "  %-14s %s\n", (*cmds)->name, (*cmds)->summary);
}

void vn_print_help(const struct vn_cli *cli, const struct vn_cmd *cmd,
		   const char *path, FILE *out)
{
	(void)cli;
	if (!cmd) {
		fprintf(out, "usage: vnvme [options] <command> [<subcommand>] [options] [args]\n\n"
			"Turn a pile of slow disks into a fast, shareable NVMe drive.\n\n"
			"commands:\n");
		print_cmd_list(vn_commands, out);
		fprintf(out, "\nglobal options (before or after the command):\n");
		print_opts(global_opts, NULL, out);
		fprintf(out, "      --version                print the version\n"
			"\n'vnvme help <command>' or 'vnvme <command> --help' tells more;"
			" vnvme(8) lists the exit codes.\n");
		return;
	}
	if (cmd->subs && !cmd->fn) {
		fprintf(out, "usage: vnvme %s <command> [options] [args]\n\n%s.\n\n"
			"commands:\n", path, cmd->summary);
		print_cmd_list(cmd->subs, out);
		/* a nested group is documented in its top group's page */
		fprintf(out, "\n'vnvme %s <command> --help' tells more; see vnvme-%.*s(8).\n",
			path, (int)strcspn(path, " "), path);
		return;
	}
	fprintf(out, "usage: vnvme %s%s%s\n\n%c%s.\n", path,
		cmd->usage && cmd->usage[0] ? " " : "", cmd->usage ? cmd->usage : "",
		cmd->summary[0] >= 'a' && cmd->summary[0] <= 'z' ?
			cmd->summary[0] - 'a' + 'A' : cmd->summary[0],
		cmd->summary + 1);
	if (cmd->description)
		fprintf(out, "\n%s\n", cmd->description);
	if (cmd->opts && cmd->opts[0].name) {
		fprintf(out, "\noptions:\n");
		print_opts(cmd->opts, NULL, out);
	}
	fprintf(out, "\nglobal options:\n");
	print_opts(global_opts, cmd, out);
	if (cmd->flags & VN_CMD_HOSTQ)
		print_opts(global_opts_hostq, NULL, out);
}
