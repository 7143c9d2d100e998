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

/* Append "; @fmt" to the context's error, keeping its kind. */
static void vnote(struct vn_ctx *ctx, const char *fmt, va_list ap)
{
	size_t len = strlen(ctx->err_msg);

	if (len + 3 >= sizeof(ctx->err_msg))
		return;
	memcpy(ctx->err_msg + len, "; ", 3);
	vsnprintf(ctx->err_msg + len + 2, sizeof(ctx->err_msg) - len - 2, fmt, ap);
}

int vn_undo_note(struct vn_ctx *ctx, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vnote(ctx, fmt, ap);
	va_end(ap);
	return r;
}

void vn_undo_failed(struct vn_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vnote(ctx, fmt, ap);
	va_end(ap);
	ctx->err_kind = VN_ERR_FAILED;
	ctx->err_forceable = false;
}

void vn_err_save(const struct vn_ctx *ctx, struct vn_err_saved *s)
{
	vn_strlcpy(s->msg, ctx->err_msg, sizeof(s->msg));
	s->kind = ctx->err_kind;
	s->forceable = ctx->err_forceable;
}

void vn_err_restore(struct vn_ctx *ctx, const struct vn_err_saved *s)
{
	vn_strlcpy(ctx->err_msg, s->msg, sizeof(ctx->err_msg));
	ctx->err_kind = s->kind;
	ctx->err_forceable = s->forceable;
}
