// SPDX-License-Identifier: GPL-3.0-or-later
/* vnvme journal-mode: show or set an md array's write-journal mode. */
#include <stdio.h>
#include <string.h>

#include "commands.h"

void vn_warn_writeback(const struct vn_cli *cli)
{
	if (vn_md_writeback_fails_on_degrade(cli->ctx))
		vn_warn(cli, "on this kernel (Linux 6.7 and later, seen on 6.12) a member "
			"or the journal failing under write load makes md leave write-back "
			"by itself, which hits a kernel BUG (r5c_make_stripe_write_out) or "
			"waits forever: the array hangs; see vnvme-journal-mode(8)");
}

static int cmd_journal_mode(struct vn_cli *cli, int argc, char **argv)
{
	const char *mode = NULL;
	char now[32] = "";
	int i = vn_getopt_args(cli, argc, argv, 1, 2, "needs an array and optionally a mode");

	if (i < 0)
		return cli->exit;
	if (argc - i == 2) {
		mode = argv[i + 1];
		if (strcmp(mode, "write-back") != 0 && strcmp(mode, "write-through") != 0)
			return vn_usage_error(cli, "'%s' is not write-back or write-through",
					      mode);
	}
	if (vn_md_journal_mode(cli->ctx, argv[i], mode, cli->force, now,
			       sizeof(now)) < 0)
		return vn_report(cli);
	vn_warn_pending(cli);	/* a journal disk's discard not put back */
	if (mode && strcmp(mode, "write-back") == 0 && !cli->dry_run)
		vn_warn_writeback(cli);
	if (cli->json)
		return vn_output_json(json_pack("{s:s, s:s, s:b}", "array",
						argv[i], "journal_mode", now,
						"changed", mode != NULL && !cli->dry_run));
	if (!cli->dry_run && !(mode && cli->quiet))
		printf("%s\n", now);
	return VN_EXIT_OK;
}

const struct vn_cmd vn_cmd_journal_mode = {
	.name = "journal-mode",
	.fn = cmd_journal_mode,
	.usage = "/dev/mdN|/dev/md/NAME [write-back|write-through]",
	.summary = "show or set the journal mode of an md array with a write journal",
	.description =
		"Without a mode, prints the current one. write-back acknowledges writes\n"
		"once they are on the journal (fast, the NVMe absorbs bursts); it is\n"
		"refused on a degraded array, and while a resync or recovery runs unless\n"
		"--force. write-through is always allowed. md starts every array in\n"
		"write-through, so set it again after each assembly. Exit 3 when the\n"
		"array has no journal.",
	.flags = VN_CMD_JSON | VN_CMD_DRYRUN,
	.args = VN_ARGS_JOURNAL,
};
