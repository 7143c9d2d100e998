// SPDX-License-Identifier: GPL-3.0-or-later
/* The dispatcher: help, unknown commands, option placement, exit codes. */
#include <jansson.h>
#include <dirent.h>
#include <fcntl.h>
#include <pwd.h>
#include <sys/wait.h>

#include "unit.h"
#include "commands.h"

#ifndef DATA_DIR
#define DATA_DIR "tests/unit/data"
#endif

struct result {
	int code;
	char out[32768];
	char err[8192];
};

static void slurp(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;

	if (f) {
		n = fread(buf, 1, len - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	unlink(path);
}

/* Run vn_main() in a child with stdout/stderr in files; @uid < 0: as is. */
static void run_as(struct result *res, int uid, const char *const *args)
{
	char out[] = "/tmp/vnvme-cli-out-XXXXXX", err[] = "/tmp/vnvme-cli-err-XXXXXX";
	int fo = mkstemp(out), fe = mkstemp(err), status, argc = 0;
	char *argv[32];
	pid_t pid;

	ck_assert(fo >= 0 && fe >= 0);
	argv[argc++] = (char *)"vnvme";
	for (; *args && argc < 31; args++)
		argv[argc++] = (char *)*args;
	argv[argc] = NULL;
	fflush(NULL);
	pid = fork();
	ck_assert(pid >= 0);
	if (pid == 0) {
		dup2(fo, STDOUT_FILENO);
		dup2(fe, STDERR_FILENO);
		if (uid >= 0 && setuid((uid_t)uid) < 0)
			_exit(99);
		_exit(vn_main(argc, argv));
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status), "vnvme died by a signal");
	res->code = WEXITSTATUS(status);
	close(fo);
	close(fe);
	slurp(out, res->out, sizeof(res->out));
	slurp(err, res->err, sizeof(res->err));
}

#define RUN(res, ...) run_as(res, -1, (const char *const[]){ __VA_ARGS__, NULL })

static struct result r;
static char *root;

static void setup(void)
{
	root = unit_tmpdir();
	unit_load_capture(root, DATA_DIR "/sysfs-lab.txt");
}

static void teardown(void)
{
	unit_rmtree(root);
	free(root);
}

START_TEST(test_help_lists_every_command)
{
	RUN(&r, "--help");
	ck_assert_int_eq(r.code, VN_EXIT_OK);
	for (const struct vn_cmd *const *c = vn_commands; *c; c++) {
		char line[64];

		/* a row of the command list: "\n  NAME " */
		snprintf(line, sizeof(line), "\n  %s ", (*c)->name);
		if ((*c)->flags & VN_CMD_HIDDEN)
			ck_assert_msg(!strstr(r.out, line), "%s listed", (*c)->name);
		else
			ck_assert_msg(strstr(r.out, line), "%s missing", (*c)->name);
	}
	ck_assert_str_eq(r.err, "");
}
END_TEST

START_TEST(test_every_command_has_help)
{
	for (const struct vn_cmd *const *c = vn_commands; *c; c++) {
		if ((*c)->flags & VN_CMD_HIDDEN)
			continue;
		RUN(&r, (*c)->name, "--help");
		ck_assert_msg(r.code == 0, "%s --help: exit %d", (*c)->name, r.code);
		ck_assert_msg(strncmp(r.out, "usage: vnvme ", 13) == 0, "%s", r.out);
		for (const struct vn_cmd *const *s = (*c)->subs; s && *s; s++) {
			RUN(&r, (*c)->name, (*s)->name, "--help");
			ck_assert_msg(r.code == 0, "%s %s --help", (*c)->name, (*s)->name);
		}
	}
}
END_TEST

START_TEST(test_version_and_no_command)
{
	RUN(&r, "--version");
	ck_assert_int_eq(r.code, 0);
	ck_assert_str_eq(r.out, "vnvme " VNVME_VERSION "\n");
	run_as(&r, -1, (const char *const[]){ NULL });
	ck_assert_int_eq(r.code, VN_EXIT_USAGE);
	ck_assert_ptr_nonnull(strstr(r.err, "usage: vnvme"));
}
END_TEST

START_TEST(test_unknown_command_suggests)
{
	RUN(&r, "partiton", "/dev/sda");
	ck_assert_int_eq(r.code, VN_EXIT_USAGE);
	ck_assert_ptr_nonnull(strstr(r.err, "'partiton' is not a vnvme command"));
	ck_assert_ptr_nonnull(strstr(r.err, "\tpartition\n"));
	ck_assert_str_eq(r.out, "");	/* never runs a guess */
	RUN(&r, "zzzzzz");
	ck_assert_int_eq(r.code, VN_EXIT_USAGE);
	ck_assert_ptr_null(strstr(r.err, "most similar"));
}
END_TEST

START_TEST(test_bad_options)
{
	RUN(&r, "disks", "--bogus");
	ck_assert_int_eq(r.code, VN_EXIT_USAGE);
	ck_assert_ptr_nonnull(strstr(r.err, "vnvme: disks: unknown option '--bogus'"));
	RUN(&r, "--bogus", "disks");
	ck_assert_int_eq(r.code, VN_EXIT_USAGE);
	RUN(&r, "partition", "--type");
	ck_assert_int_eq(r.code, VN_EXIT_USAGE);
	ck_assert_ptr_nonnull(strstr(r.err, "needs a value"));
	RUN(&r, "partition", "--sysroot", root, "--type", "ntfs", "/dev/sdd");
	ck_assert_int_eq(r.code, VN_EXIT_USAGE);
	RUN(&r, "partition", "--sysroot", root);
	ck_assert_int_eq(r.code, VN_EXIT_USAGE);
	ck_assert_ptr_nonnull(strstr(r.err, "no disk given"));
	RUN(&r, "help", "--json");
	ck_assert_int_eq(r.code, VN_EXIT_USAGE);
	ck_assert_ptr_nonnull(strstr(r.err, "--json is not supported here"));
}
END_TEST

static size_t json_disks(const char *out)
{
	json_error_t e;
	json_t *doc = json_loads(out, 0, &e), *disks;
	size_t n;

	ck_assert_msg(doc != NULL, "not JSON: %s", e.text);
	disks = json_object_get(doc, "disks");
	ck_assert(json_is_array(disks));
	n = json_array_size(disks);
	ck_assert(json_is_integer(json_object_get(json_array_get(disks, 0), "size_bytes")));
	json_decref(doc);
	return n;
}

START_TEST(test_global_options_before_and_after)
{
	RUN(&r, "disks", "--sysroot", root, "--json");
	ck_assert_int_eq(r.code, 0);
	ck_assert_uint_eq(json_disks(r.out), 9);
	RUN(&r, "--json", "--sysroot", root, "disks");
	ck_assert_int_eq(r.code, 0);
	ck_assert_uint_eq(json_disks(r.out), 9);
	RUN(&r, "-q", "disks", "--sysroot", root);
	ck_assert_int_eq(r.code, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "NAME"));	/* quiet keeps results */
}
END_TEST

START_TEST(test_refusals_exit_codes)
{
	RUN(&r, "partition", "--sysroot", root, "/dev/sda1");
	ck_assert_int_eq(r.code, VN_EXIT_USAGE);
	ck_assert_ptr_nonnull(strstr(r.err, "/dev/sda1 is a partition"));
	RUN(&r, "partition", "--sysroot", root, "/dev/sdb");
	ck_assert_int_eq(r.code, VN_EXIT_REFUSED);
	ck_assert_ptr_nonnull(strstr(r.err, "vnvme: partition: /dev/sdb1 is a member of md0\n"));
	RUN(&r, "partition", "--sysroot", root, "--force", "/dev/sda");
	ck_assert_int_eq(r.code, VN_EXIT_REFUSED);	/* in use: --force does not help */
	ck_assert_ptr_nonnull(strstr(r.err, "/dev/sda1 is mounted on /mnt\n"));
	RUN(&r, "partition", "--sysroot", root, "/dev/sdq");
	ck_assert_int_eq(r.code, VN_EXIT_USAGE);	/* no such device: bad input */
	ck_assert_ptr_nonnull(strstr(r.err, "/dev/sdq: no such block device"));
	RUN(&r, "partition", "--sysroot", root, "/dev/nvme0n1", "/dev/nvme0n1");
	ck_assert_int_eq(r.code, VN_EXIT_USAGE);
	ck_assert_ptr_nonnull(strstr(r.err, "given twice"));
}
END_TEST

/* Is @tok ("--mode", "-t") an option of @cmd, its own or a global one? */
static bool usage_token_known(const struct vn_cmd *cmd, const char *tok)
{
	for (const struct vn_opt *o = cmd->opts; o && o->name; o++)
		if ((tok[1] == '-' && strcmp(tok + 2, o->name) == 0) ||
		    (tok[1] != '-' && !tok[2] && o->key == tok[1]))
			return true;
	for (const struct vn_opt *o = vn_global_opts(); o->name; o++)
		if (vn_global_applies(cmd, o) && tok[1] == '-' &&
		    strcmp(tok + 2, o->name) == 0)
			return true;
	return false;
}

/* Does @usage name option @o, long or short, as a whole word? */
static bool usage_names(const char *usage, const struct vn_opt *o)
{
	char lng[64], shrt[4] = "";
	const char *p;

	snprintf(lng, sizeof(lng), "--%s", o->name);
	if (o->key > 0 && o->key < VN_OPT_LONG)
		snprintf(shrt, sizeof(shrt), "-%c", o->key);
	for (p = usage; *p; p++) {
		size_t n = 0;

		if (*p != '-' || (p > usage && !strchr(" [|", p[-1])))
			continue;
		if (strncmp(p, lng, strlen(lng)) == 0)
			n = strlen(lng);
		else if (shrt[0] && strncmp(p, shrt, 2) == 0)
			n = 2;
		if (n && (!p[n] || strchr(" ]|=", p[n])))
			return true;
	}
	return false;
}

/* Every option in a usage line is in the table, and the other way round. */
static void check_usage(const struct vn_cmd *cmd, const char *path)
{
	char buf[512], *save = NULL;

	if (cmd->subs) {
		for (const struct vn_cmd *const *c = cmd->subs; *c; c++) {
			char sub[128];

			snprintf(sub, sizeof(sub), "%s %s", path, (*c)->name);
			check_usage(*c, sub);
		}
		return;
	}
	for (const struct vn_opt *o = cmd->opts; o && o->name; o++)
		ck_assert_msg(usage_names(cmd->usage ? cmd->usage : "", o),
			      "'%s' usage lacks --%s", path, o->name);
	snprintf(buf, sizeof(buf), "%s", cmd->usage ? cmd->usage : "");
	for (char *w = strtok_r(buf, " []|", &save); w; w = strtok_r(NULL, " []|", &save)) {
		if (w[0] != '-' || !w[1])
			continue;
		w[strcspn(w, "=")] = '\0';
		ck_assert_msg(usage_token_known(cmd, w), "'%s' usage names %s, which it "
			      "does not take", path, w);
	}
}

START_TEST(test_usage_matches_table)
{
	for (const struct vn_cmd *const *c = vn_commands; *c; c++)
		if (!((*c)->flags & VN_CMD_HIDDEN))
			check_usage(*c, (*c)->name);
}
END_TEST

/* A command that changes nothing refuses --dry-run, before or after it. */
START_TEST(test_dry_run_only_where_it_means_something)
{
	RUN(&r, "disks", "--sysroot", root, "--dry-run");
	ck_assert_int_eq(r.code, VN_EXIT_USAGE);
	ck_assert_ptr_nonnull(strstr(r.err, "--dry-run is not supported here"));
	RUN(&r, "--dry-run", "disks", "--sysroot", root);
	ck_assert_int_eq(r.code, VN_EXIT_USAGE);
	ck_assert_str_eq(r.out, "");
	RUN(&r, "partition", "--sysroot", root, "--dry-run", "/dev/sdd");
	ck_assert_ptr_null(strstr(r.err, "--dry-run is not supported"));
}
END_TEST

START_TEST(test_not_root)
{
	struct passwd *nobody = getpwnam("nobody");

	ck_assert_ptr_nonnull(nobody);	/* registered only when there is one */
	run_as(&r, (int)nobody->pw_uid, (const char *const[]){ "partition", "/dev/sda", NULL });
	ck_assert_int_eq(r.code, VN_EXIT_PERM);
	ck_assert_ptr_nonnull(strstr(r.err, "must be run as root"));
	/* a dry run needs no root: it gets as far as reading allows */
	run_as(&r, (int)nobody->pw_uid, (const char *const[]){ "partition", "--dry-run",
	       "/dev/vnvme-no-such-disk", NULL });
	ck_assert_ptr_null(strstr(r.err, "must be run as root"));
	ck_assert_int_eq(r.code, VN_EXIT_USAGE);	/* no such block device */
	/* reading commands need no root */
	run_as(&r, (int)nobody->pw_uid, (const char *const[]){ "list", "--json", NULL });
	ck_assert_ptr_null(strstr(r.err, "must be run as root"));
	/* help needs no root */
	run_as(&r, (int)nobody->pw_uid, (const char *const[]){ "partition", "--help", NULL });
	ck_assert_int_eq(r.code, VN_EXIT_OK);
}
END_TEST

/* Open descriptors of this process (the directory's own excluded). */
static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n - 3;	/* ".", ".." and the directory's own */
}

/*
 * No command leaks a file descriptor: in one child process, every reading
 * command and a dry run of each changing one over the lab capture, three
 * times over; the child exits with how many more descriptors it has open
 * than before (issue 11: no leaks over time).
 */
START_TEST(test_no_fd_leak)
{
	static const char *const cmds[][8] = {
		{ "disks", NULL }, { "disks", "--json", NULL },
		{ "raid", "status", "/dev/md0", NULL }, { "status", "--json", NULL },
		{ "status", NULL }, { "list", NULL }, { "export", "list", NULL },
		{ "check", NULL }, { "save", "-", NULL }, { "journal-mode", "/dev/md0", NULL },
		{ "--dry-run", "partition", "/dev/sdd", NULL },
		{ "--dry-run", "raid", "stop", "/dev/md0", NULL },
		{ "--dry-run", "cache", "attach", "/dev/md0", "--size", "8", NULL },
		{ "--dry-run", "export", "clear", NULL },
		{ "partition", "/dev/sdq", NULL },	/* a refusal */
	};
	int status, before, after;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	ck_assert(pid >= 0);
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		close(null);
		before = count_fds();
		for (int round = 0; round < 3; round++)
			for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
				char *argv[12] = { (char *)"vnvme", (char *)"--sysroot", root };
				int argc = 3;

				for (const char *const *a = cmds[i]; *a; a++)
					argv[argc++] = (char *)*a;
				argv[argc] = NULL;
				vn_main(argc, argv);
			}
		after = count_fds();
		_exit(before < 0 || after < 0 ? 99 : after - before > 90 ? 90 :
		      after > before ? after - before : 0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status), "the commands died by a signal");
	ck_assert_msg(WEXITSTATUS(status) == 0, "%d file descriptors leaked over 45 commands",
		      WEXITSTATUS(status));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cli");
	TCase *tc = tcase_create("dispatch");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_help_lists_every_command);
	tcase_add_test(tc, test_every_command_has_help);
	tcase_add_test(tc, test_version_and_no_command);
	tcase_add_test(tc, test_unknown_command_suggests);
	tcase_add_test(tc, test_bad_options);
	tcase_add_test(tc, test_global_options_before_and_after);
	tcase_add_test(tc, test_refusals_exit_codes);
	tcase_add_test(tc, test_usage_matches_table);
	tcase_add_test(tc, test_dry_run_only_where_it_means_something);
	tcase_add_test(tc, test_no_fd_leak);
	/* only root can become somebody else: not a pass when it cannot run */
	if (geteuid() == 0 && getpwnam("nobody"))
		tcase_add_test(tc, test_not_root);
	else
		fprintf(stderr, "check_cli: not root or no user nobody: test_not_root "
			"not run\n");
	suite_add_tcase(s, tc);
	return unit_run(s);
}
