// SPDX-License-Identifier: GPL-3.0-or-later
/* lib/kmod.c: what can be judged without a kernel (the lab loads for real). */
#include <limits.h>
#include <stdbool.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "unit.h"
#include "internal.h"

static int actions;

static void count_action(void *data, bool dry_run, const char *action)
{
	(void)data;
	(void)dry_run;
	(void)action;
	actions++;
}

START_TEST(loaded_module_is_success)
{
	char *root = unit_tmpdir();
	struct vn_ctx *ctx = unit_ctx(root);

	unit_write(root, "/sys/module/rapiddisk_cache/refcnt", "0\n");
	actions = 0;
	vn_ctx_set_action_cb(ctx, count_action, NULL);
	/* dashes are the kernel's underscores in /sys/module */
	ck_assert_int_eq(vn_kmod_load(ctx, "rapiddisk-cache"), 0);
	ck_assert_int_eq(actions, 0);
	vn_ctx_free(ctx);
	unit_rmtree(root);
	free(root);
}
END_TEST

START_TEST(dry_run_records_the_load)
{
	char *root = unit_tmpdir();
	struct vn_ctx *ctx = unit_ctx(root);

	actions = 0;
	vn_ctx_set_action_cb(ctx, count_action, NULL);
	vn_ctx_set_dry_run(ctx, true);
	ck_assert_int_eq(vn_kmod_load(ctx, "rapiddisk"), 0);
	ck_assert_int_eq(actions, 1);
	vn_ctx_free(ctx);
	unit_rmtree(root);
	free(root);
}
END_TEST

START_TEST(missing_module_names_the_package)
{
	char *root = unit_tmpdir();
	struct vn_ctx *ctx = unit_ctx(root);
	int r;

	/* this machine has no modules: the lookup fails as on a kernel without RapidDisk */
	r = vn_kmod_load(ctx, "rapiddisk");
	ck_assert_int_lt(r, 0);
	ck_assert_int_eq(vn_ctx_error_kind(ctx), VN_ERR_NOSUPPORT);
	ck_assert_ptr_nonnull(strstr(vn_ctx_error(ctx), "rapiddisk"));
	ck_assert_ptr_nonnull(strstr(vn_ctx_error(ctx), "rapiddisk-dkms"));
	vn_ctx_clear_error(ctx);
	ck_assert_int_lt(vn_kmod_load(ctx, "vnvme-no-such-module"), 0);
	ck_assert_int_eq(vn_ctx_error_kind(ctx), VN_ERR_NOSUPPORT);
	ck_assert_ptr_nonnull(strstr(vn_ctx_error(ctx), "vnvme-no-such-module"));
	vn_ctx_free(ctx);
	unit_rmtree(root);
	free(root);
}
END_TEST

static bool host_has_modules(void)
{
	char path[PATH_MAX];
	struct utsname u;

	if (uname(&u) < 0)
		return true;
	snprintf(path, sizeof(path), "/lib/modules/%s/modules.dep", u.release);
	return access(path, F_OK) == 0;
}

static Suite *kmod_suite(void)
{
	Suite *s = suite_create("kmod");
	TCase *tc = tcase_create("load");

	tcase_add_test(tc, loaded_module_is_success);
	tcase_add_test(tc, dry_run_records_the_load);
	/* judged only where this kernel has no modules at all (the build hosts) */
	if (!host_has_modules())
		tcase_add_test(tc, missing_module_names_the_package);
	else
		fprintf(stderr, "check_kmod: this kernel has modules: "
			"missing_module_names_the_package not run\n");
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run(kmod_suite());
}
