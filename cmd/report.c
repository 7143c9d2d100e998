// SPDX-License-Identifier: GPL-3.0-or-later
/* Messages and exit codes: the library's errors become one line each. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"

static void vmsg(const struct vn_cli *cli, const char *level, const char *fmt,
		 va_list ap)
{
	fprintf(stderr, "vnvme: %s%s%s", cli->cmdname, cli->cmdname[0] ? ": " : "",
		level);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void vn_err(const struct vn_cli *cli, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(cli, "", fmt, ap);
	va_end(ap);
}

void vn_warn(const struct vn_cli *cli, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(cli, "warning: ", fmt, ap);
	va_end(ap);
}

/* What a library call that succeeded left in the context's message (see
 * vn_md_stop()): a warning, then cleared. */
void vn_warn_pending(const struct vn_cli *cli)
{
	const char *msg = vn_ctx_error(cli->ctx);

	if (msg[0])
		vn_warn(cli, "%s", msg);
	vn_ctx_clear_error(cli->ctx);
}

void vn_info(const struct vn_cli *cli, const char *fmt, ...)
{
	va_list ap;

	if (cli->quiet || cli->json)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int vn_report(const struct vn_cli *cli)
{
	const char *msg = vn_ctx_error(cli->ctx);
	enum vn_err_kind kind = vn_ctx_error_kind(cli->ctx);

	if (!msg[0])
		msg = "failed";
	if (vn_ctx_error_forceable(cli->ctx) && !cli->force)
		vn_err(cli, "%s (use --force)", msg);
	else
		vn_err(cli, "%s", msg);
	switch (kind) {
	case VN_ERR_INVALID:
		return VN_EXIT_USAGE;
	case VN_ERR_UNSAFE:
		return VN_EXIT_REFUSED;
	case VN_ERR_NOSUPPORT:
		return VN_EXIT_NOKERNEL;
	case VN_ERR_PERM:
		return VN_EXIT_PERM;
	case VN_ERR_PARTIAL:
		return VN_EXIT_PARTIAL;
	case VN_ERR_INTERRUPTED:
		return VN_EXIT_SIGNAL + (vn_signal ? vn_signal : SIGINT);
	default:
		return VN_EXIT_FAILED;
	}
}

void vn_report_action(void *data, bool dry_run, const char *action)
{
	struct vn_cli *cli = data;

	cli->actions++;
	if (cli->json) {	/* the document's "changes" (cmd/output.c) */
		if (!cli->changes)
			cli->changes = json_array();
		json_array_append_new(cli->changes, json_string(action));
	} else if (dry_run) {	/* the plan is the result of a dry run */
		printf("would %s\n", action);
	}
	if (!dry_run && cli->verbose)
		fprintf(stderr, "+ %s\n", action);
}

bool vn_confirm(struct vn_cli *cli, const char *fmt, ...)
{
	char question[512], answer[16];
	va_list ap;

	if (cli->yes || cli->dry_run)
		return true;
	va_start(ap, fmt);
	vsnprintf(question, sizeof(question), fmt, ap);
	va_end(ap);
	if (!isatty(STDIN_FILENO)) {
		vn_err(cli, "%s: not confirmed, stdin is not a terminal (use --yes)",
		       question);
		cli->exit = VN_EXIT_REFUSED;
		return false;
	}
	fprintf(stderr, "vnvme: %s: %s? [y/N] ", cli->cmdname, question);
	if (fgets(answer, sizeof(answer), stdin) && (answer[0] == 'y' || answer[0] == 'Y'))
		return true;
	vn_err(cli, "not confirmed; nothing changed");
	cli->exit = VN_EXIT_REFUSED;
	return false;
}
