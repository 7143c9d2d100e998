/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Shared helpers for the Check unit tests: a temporary root to stand in for
 * /sys, /proc, /dev and configfs, and a runner. Each tests/unit/check_*.c is
 * its own binary, so everything here is static.
 */
#ifndef VNVME_UNIT_H
#define VNVME_UNIT_H

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vnvme.h"

/* A fresh empty directory; free() it after unit_rmtree(). */
static inline char *unit_tmpdir(void)
{
	char tmpl[] = "/tmp/vnvme-unit-XXXXXX";
	char *dir = mkdtemp(tmpl);

	ck_assert_ptr_nonnull(dir);
	return strdup(dir);
}

static inline void unit_mkdirs(const char *path)
{
	char buf[PATH_MAX];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		(void)mkdir(buf, 0755);
		*p = '/';
	}
	(void)mkdir(buf, 0755);
}

/* Write @len bytes to @root/@rel, creating the directories on the way. */
static inline void unit_write_bytes(const char *root, const char *rel,
				    const void *data, size_t len)
{
	char path[PATH_MAX], dir[PATH_MAX];
	FILE *f;

	ck_assert(snprintf(path, sizeof(path), "%s/%s", root,
			   rel[0] == '/' ? rel + 1 : rel) < (int)sizeof(path));
	memcpy(dir, path, sizeof(dir));
	*strrchr(dir, '/') = '\0';
	unit_mkdirs(dir);
	f = fopen(path, "w");
	ck_assert_msg(f != NULL, "cannot create %s", path);
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	fclose(f);
}

static inline void unit_write(const char *root, const char *rel, const char *content)
{
	unit_write_bytes(root, rel, content, strlen(content));
}

/* Read @root/@rel into a static buffer ("" if missing). */
static inline const char *unit_read(const char *root, const char *rel)
{
	static char buf[8192];
	char path[PATH_MAX];
	size_t n = 0;
	FILE *f;

	ck_assert(snprintf(path, sizeof(path), "%s/%s", root,
			   rel[0] == '/' ? rel + 1 : rel) < (int)sizeof(path));
	buf[0] = '\0';
	f = fopen(path, "r");
	if (f) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	return buf;
}

static inline int unit_rm_one(const char *path, const struct stat *st, int flag,
			      struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static inline void unit_rmtree(const char *root)
{
	(void)nftw(root, unit_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/*
 * Unpack a tree captured in the lab by tests/lab/capture-sysfs.sh into @root.
 * Lines: "D path", "L path target", "F path hexbytes".
 */
static inline void unit_load_capture(const char *root, const char *capture)
{
	char line[16384], path[PATH_MAX], arg[16384];
	FILE *f = fopen(capture, "r");

	ck_assert_msg(f != NULL, "cannot open %s", capture);
	while (fgets(line, sizeof(line), f)) {
		char kind = line[0];
		int n;

		arg[0] = '\0';
		n = sscanf(line + 1, " %4095s %16383s", path, arg);
		ck_assert_msg(n >= 1, "bad capture line: %s", line);
		if (kind == 'D') {
			char full[PATH_MAX];

			ck_assert(snprintf(full, sizeof(full), "%s%s", root, path) <
				  (int)sizeof(full));
			unit_mkdirs(full);
		} else if (kind == 'L') {
			char full[PATH_MAX], dir[PATH_MAX];

			ck_assert(snprintf(full, sizeof(full), "%s%s", root, path) <
				  (int)sizeof(full));
			memcpy(dir, full, sizeof(dir));
			*strrchr(dir, '/') = '\0';
			unit_mkdirs(dir);
			ck_assert_int_eq(symlink(arg, full), 0);
		} else if (kind == 'F') {
			static char data[8192];
			size_t len = strlen(arg) / 2;

			ck_assert(len < sizeof(data));
			for (size_t i = 0; i < len; i++) {
				unsigned int byte;

				ck_assert_int_eq(sscanf(arg + 2 * i, "%2x", &byte), 1);
				data[i] = (char)byte;
			}
			unit_write_bytes(root, path, data, len);
		}
	}
	fclose(f);
}

/* A context rooted at @root. */
static inline struct vn_ctx *unit_ctx(const char *root)
{
	struct vn_ctx *ctx = vn_ctx_new();

	ck_assert_ptr_nonnull(ctx);
	ck_assert_int_eq(vn_ctx_set_root(ctx, root), 0);
	return ctx;
}

/* Run a suite; the exit status of the test binary. */
static inline int unit_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif /* VNVME_UNIT_H */
