// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * Root-prefixed access to sysfs, procfs, configfs and /dev. This file is the
 * only place that joins a system path, so every module can be run against a
 * captured tree (see tests/unit).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"

int vn_vpath(const struct vn_ctx *ctx, char *buf, size_t len,
	     const char *fmt, va_list ap)
{
	char rel[VN_PATH_MAX];
	int n;

	n = vsnprintf(rel, sizeof(rel), fmt, ap);
	if (n < 0 || (size_t)n >= sizeof(rel))
		return -ENAMETOOLONG;
	n = snprintf(buf, len, "%s%s%s", ctx->root, rel[0] == '/' ? "" : "/", rel);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return 0;
}

int vn_path(const struct vn_ctx *ctx, char *buf, size_t len,
	    const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vn_vpath(ctx, buf, len, fmt, ap);
	va_end(ap);
	return r;
}

static int read_fd(int fd, char *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;

	if (len == 0)
		return -EINVAL;
	while (got < len - 1) {
		n = read(fd, buf + got, len - 1 - got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	while (got > 0 && (buf[got - 1] == '\n' || buf[got - 1] == ' '))
		buf[--got] = '\0';
	return (int)got;
}

static int vread_str(const struct vn_ctx *ctx, char *buf, size_t len,
		     const char *fmt, va_list ap)
{
	char path[VN_PATH_MAX];
	_cleanup_close_ int fd = -1;
	int r;

	r = vn_vpath(ctx, path, sizeof(path), fmt, ap);
	if (r < 0)
		return r;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return read_fd(fd, buf, len);
}

int vn_read_str(const struct vn_ctx *ctx, char *buf, size_t len,
		const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vread_str(ctx, buf, len, fmt, ap);
	va_end(ap);
	return r;
}

int vn_read_u64(const struct vn_ctx *ctx, uint64_t *ret, const char *fmt, ...)
{
	char buf[64], *end;
	unsigned long long v;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vread_str(ctx, buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (r < 0)
		return r;
	errno = 0;
	v = strtoull(buf, &end, 10);
	if (errno || end == buf || *end != '\0')
		return -EINVAL;
	*ret = v;
	return 0;
}

bool vn_exists(const struct vn_ctx *ctx, const char *fmt, ...)
{
	char path[VN_PATH_MAX];
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vn_vpath(ctx, path, sizeof(path), fmt, ap);
	va_end(ap);
	return r == 0 && access(path, F_OK) == 0;
}

int vn_write_str(struct vn_ctx *ctx, const char *value, const char *fmt, ...)
{
	char path[VN_PATH_MAX];
	_cleanup_close_ int fd = -1;
	size_t len = strlen(value);
	ssize_t n;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vn_vpath(ctx, path, sizeof(path), fmt, ap);
	va_end(ap);
	if (r < 0)
		return r;
	if (!vn_action(ctx, "write %s: %s", path, value))
		return 0;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* sysfs and configfs take one write(2) per value */
	n = write(fd, value, len);
	if (n < 0)
		return -errno;
	if ((size_t)n != len)
		return -EIO;
	return 0;
}

void vn_free_names(char **names, int n)
{
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int vn_list_dir(const struct vn_ctx *ctx, const char *rel, vn_dir_filter filter,
		const void *data, int (*cmp)(const void *, const void *),
		char ***ret_names)
{
	char path[VN_PATH_MAX], full[VN_PATH_MAX];
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *dir;
	int r;

	r = vn_path(ctx, path, sizeof(path), "%s", rel);
	if (r < 0)
		return r;
	dir = opendir(path);
	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		if (filter && (snprintf(full, sizeof(full), "%s/%s", path, de->d_name) >=
			       (int)sizeof(full) || !filter(full, data)))
			continue;
		if (n == cap) {
			char **nn;

			cap = cap ? cap * 2 : 16;
			nn = realloc(names, cap * sizeof(*names));
			if (!nn)
				goto oom;
			names = nn;
		}
		names[n] = strdup(de->d_name);
		if (!names[n])
			goto oom;
		n++;
	}
	closedir(dir);
	if (n && cmp)
		qsort(names, n, sizeof(*names), cmp);
	*ret_names = names;
	return (int)n;
oom:
	closedir(dir);
	vn_free_names(names, (int)n);
	return -ENOMEM;
}

int vn_meminfo(const struct vn_ctx *ctx, const char *key, uint64_t *ret)
{
	char path[VN_PATH_MAX], line[256];
	_cleanup_fclose_ FILE *f = NULL;
	size_t klen = strlen(key);
	unsigned long long kib;

	if (vn_path(ctx, path, sizeof(path), "/proc/meminfo") < 0)
		return -ENAMETOOLONG;
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, key, klen) == 0 && line[klen] == ':' &&
		    sscanf(line + klen + 1, "%llu", &kib) == 1) {
			*ret = (uint64_t)kib * 1024;
			return 0;
		}
	return -ENOENT;
}
