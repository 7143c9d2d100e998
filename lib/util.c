// SPDX-License-Identifier: GPL-3.0-or-later
/* Small helpers any module may use (declared in internal.h). */
#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "internal.h"

int vn_pread_full(int fd, void *buf, size_t len, uint64_t off)
{
	ssize_t n = pread(fd, buf, len, (off_t)off);

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

int vn_pwrite_full(int fd, const void *buf, size_t len, uint64_t off)
{
	ssize_t n = pwrite(fd, buf, len, (off_t)off);

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

void vn_random_bytes(uint8_t *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = getrandom(buf + got, len - got, 0);

		if (n <= 0)
			break;
		got += (size_t)n;
	}
	for (; got < len; got++)	/* no entropy source: still unique enough */
		buf[got] = (uint8_t)(rand() ^ time(NULL));
}

void vn_uuid_text(const uint8_t u[16], char *buf, size_t len)
{
	snprintf(buf, len, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x", u[0], u[1], u[2], u[3], u[4], u[5],
		 u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
}

/*
 * After a failure midway: append what was undone to the context's error,
 * so the one line says what failed and what vnvme did about it.
 */
int vn_undo_note(struct vn_ctx *ctx, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vn_vnote(ctx, false, fmt, ap);
	va_end(ap);
	return r;
}
