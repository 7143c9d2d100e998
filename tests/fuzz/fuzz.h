/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Shared by the libFuzzer harnesses (one tests/fuzz/NAME.c per parser):
 * the input as a C string, and a context whose root is a private temporary
 * directory (made once per process, removed at exit), for parsers that only
 * read files: the harness writes the input to the file the parser reads,
 * overwriting it on every run, so nothing piles up.
 */
#ifndef VNVME_FUZZ_H
#define VNVME_FUZZ_H

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Stop at once: libFuzzer reports the input that led here as a crash. */
#define FUZZ_ASSERT(c)                                                        \
	do {                                                                  \
		if (!(c)) {                                                   \
			fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #c); \
			abort();                                              \
		}                                                             \
	} while (0)

/* The input, NUL-terminated (embedded NULs cut it short, as in a C string). */
static inline char *fuzz_str(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	FUZZ_ASSERT(s);
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

static char fuzz_root_dir[64];

static int fuzz_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void fuzz_root_remove(void)
{
	if (fuzz_root_dir[0])
		(void)nftw(fuzz_root_dir, fuzz_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* mkdir -p of @rel (a path under the root, with a leading '/'). */
static inline void fuzz_mkdirs(const char *rel)
{
	char path[VN_PATH_MAX];

	FUZZ_ASSERT(snprintf(path, sizeof(path), "%s%s", fuzz_root_dir, rel) <
		    (int)sizeof(path));
	for (char *p = path + strlen(fuzz_root_dir) + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		FUZZ_ASSERT(mkdir(path, 0755) == 0 || errno == EEXIST);
		*p = '/';
	}
	FUZZ_ASSERT(mkdir(path, 0755) == 0 || errno == EEXIST);
}

/* Write @len bytes to @rel under the root (its directory made first). */
static inline void fuzz_write(const char *rel, const void *buf, size_t len)
{
	char path[VN_PATH_MAX], dir[VN_PATH_MAX];
	char *slash;
	int fd;

	vn_strlcpy(dir, rel, sizeof(dir));
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		fuzz_mkdirs(dir);
	}
	FUZZ_ASSERT(snprintf(path, sizeof(path), "%s%s", fuzz_root_dir, rel) <
		    (int)sizeof(path));
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	FUZZ_ASSERT(fd >= 0);
	FUZZ_ASSERT(write(fd, buf, len) == (ssize_t)len);
	FUZZ_ASSERT(close(fd) == 0);
}

static inline void fuzz_write_str(const char *rel, const char *s)
{
	fuzz_write(rel, s, strlen(s));
}

/* A context rooted at an empty temporary directory, the same every call. */
static inline struct vn_ctx *fuzz_ctx(void)
{
	static struct vn_ctx *ctx;

	if (ctx) {
		vn_ctx_clear_error(ctx);
		return ctx;
	}
	/*
	 * tmpfs first: a disk filesystem may write a truncated and rewritten
	 * file out on close (ext4's auto_da_alloc), thousands of times slower.
	 */
	snprintf(fuzz_root_dir, sizeof(fuzz_root_dir), "/dev/shm/vnvme-fuzz.XXXXXX");
	if (!mkdtemp(fuzz_root_dir)) {
		snprintf(fuzz_root_dir, sizeof(fuzz_root_dir), "%s/vnvme-fuzz.XXXXXX",
			 getenv("TMPDIR") && getenv("TMPDIR")[0] == '/' &&
			 strlen(getenv("TMPDIR")) < 32 ? getenv("TMPDIR") : "/tmp");
		FUZZ_ASSERT(mkdtemp(fuzz_root_dir));
	}
	atexit(fuzz_root_remove);
	ctx = vn_ctx_new();
	FUZZ_ASSERT(ctx);
	FUZZ_ASSERT(vn_ctx_set_root(ctx, fuzz_root_dir) == 0);
	return ctx;
}

#endif /* VNVME_FUZZ_H */
