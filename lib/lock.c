// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * One change at a time: every vnvme command that changes the system holds
 * an flock(2) on <root>/run/lock/vnvme.lock. The holder writes its pid and
 * command into the file, so a second one that gives up can name it.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "internal.h"

#define LOCK_DIR "/run/lock"
#define LOCK_FILE LOCK_DIR "/vnvme.lock"
#define LOCK_POLL_MS 100
#define LOCK_DEFAULT_MS 30000

static int open_lock(struct vn_ctx *ctx)
{
	char path[VN_PATH_MAX];
	int fd;

	if (vn_path(ctx, path, sizeof(path), "%s", "/run") == 0)
		(void)mkdir(path, 0755);
	if (vn_path(ctx, path, sizeof(path), "%s", LOCK_DIR) == 0)
		(void)mkdir(path, 01777);
	if (vn_path(ctx, path, sizeof(path), "%s", LOCK_FILE) < 0)
		return vn_fail(ctx, -ENAMETOOLONG, "lock path too long");
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return vn_fail(ctx, -errno, "cannot open the lock %s: %s", path,
			       strerror(errno));
	return fd;
}

static void holder(int fd, char *buf, size_t len)
{
	ssize_t n = pread(fd, buf, len - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (!buf[0])
		vn_strlcpy(buf, "unknown", len);
}

/* 0: $VNVME_LOCK_TIMEOUT seconds, else 30 s. */
static unsigned int timeout_of(unsigned int timeout_ms)
{
	const char *env = getenv("VNVME_LOCK_TIMEOUT");
	char *end;
	unsigned long s;

	if (timeout_ms)
		return timeout_ms;
	if (env && *env) {
		s = strtoul(env, &end, 10);
		if (!*end && s < 86400)
			return (unsigned int)s * 1000;
	}
	return LOCK_DEFAULT_MS;
}

int vn_lock_take(struct vn_ctx *ctx, const char *what, unsigned int timeout_ms)
{
	unsigned int waited = 0;
	char who[256];
	int fd = open_lock(ctx), n;

	if (fd < 0)
		return fd;
	timeout_ms = timeout_of(timeout_ms);
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			n = -errno;
			(void)close(fd);
			return vn_fail(ctx, n, "cannot lock: %s", strerror(-n));
		}
		if (waited >= timeout_ms) {
			holder(fd, who, sizeof(who));
			(void)close(fd);
			return vn_fail(ctx, -EWOULDBLOCK, "another vnvme is changing the "
				       "system (pid %s); gave up after %u s", who,
				       timeout_ms / 1000);
		}
		vn_msleep(LOCK_POLL_MS);
		waited += LOCK_POLL_MS;
	}
	n = snprintf(who, sizeof(who), "%ld vnvme %s\n", (long)getpid(), what);
	if (ftruncate(fd, 0) == 0 && pwrite(fd, who, (size_t)n, 0) < 0)
		(void)0;	/* the lock holds without its label */
	return fd;
}

void vn_lock_release(int fd)
{
	if (fd < 0)
		return;
	if (ftruncate(fd, 0) < 0)
		(void)0;
	(void)close(fd);	/* closing drops the flock */
}
