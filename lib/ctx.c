// SPDX-License-Identifier: GPL-3.0-or-later
/* The library context: root prefix, dry-run, the error object, actions. */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

struct vn_ctx *vn_ctx_new(void)
{
	return calloc(1, sizeof(struct vn_ctx));
}

void vn_ctx_free(struct vn_ctx *ctx)
{
	free(ctx);
}

int vn_ctx_set_root(struct vn_ctx *ctx, const char *root)
{
	size_t n;

	if (!root)
		root = "";
	n = strlen(root);
	while (n > 0 && root[n - 1] == '/')
		n--;
	if (n >= sizeof(ctx->root))
		return -ENAMETOOLONG;
	memcpy(ctx->root, root, n);
	ctx->root[n] = '\0';
	return 0;
}

const char *vn_ctx_root(const struct vn_ctx *ctx)
{
	return ctx->root[0] ? ctx->root : "/";
}

void vn_ctx_set_dry_run(struct vn_ctx *ctx, bool dry_run)
{
	ctx->dry_run = dry_run;
}

bool vn_ctx_dry_run(const struct vn_ctx *ctx)
{
	return ctx->dry_run;
}

void vn_ctx_set_action_cb(struct vn_ctx *ctx, vn_action_fn fn, void *data)
{
	ctx->action_fn = fn;
	ctx->action_data = data;
}

const char *vn_ctx_error(const struct vn_ctx *ctx)
{
	return ctx->err_msg;
}

enum vn_err_kind vn_ctx_error_kind(const struct vn_ctx *ctx)
{
	return ctx->err_kind;
}

bool vn_ctx_error_forceable(const struct vn_ctx *ctx)
{
	return ctx->err_forceable;
}

void vn_ctx_clear_error(struct vn_ctx *ctx)
{
	ctx->err_msg[0] = '\0';
	ctx->err_kind = VN_ERR_NONE;
	ctx->err_forceable = false;
}

static int set_error(struct vn_ctx *ctx, int r, enum vn_err_kind kind,
		     bool forceable, const char *fmt, va_list ap)
{
	vsnprintf(ctx->err_msg, sizeof(ctx->err_msg), fmt, ap);
	ctx->err_kind = kind;
	ctx->err_forceable = forceable;
	return r < 0 ? r : -EIO;
}

int vn_fail(struct vn_ctx *ctx, int r, const char *fmt, ...)
{
	enum vn_err_kind kind = VN_ERR_FAILED;
	va_list ap;

	if (r == -EPERM || r == -EACCES)
		kind = VN_ERR_PERM;
	va_start(ap, fmt);
	r = set_error(ctx, r, kind, false, fmt, ap);
	va_end(ap);
	return r;
}

int vn_invalid(struct vn_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = set_error(ctx, -EINVAL, VN_ERR_INVALID, false, fmt, ap);
	va_end(ap);
	return r;
}

int vn_invalid_errno(struct vn_ctx *ctx, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	r = set_error(ctx, r, VN_ERR_INVALID, false, fmt, ap);
	va_end(ap);
	return r;
}

int vn_refuse(struct vn_ctx *ctx, int r, bool forceable, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	r = set_error(ctx, r, VN_ERR_UNSAFE, forceable, fmt, ap);
	va_end(ap);
	return r;
}

int vn_nosupport(struct vn_ctx *ctx, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	r = set_error(ctx, r, VN_ERR_NOSUPPORT, false, fmt, ap);
	va_end(ap);
	return r;
}

void vn_ctx_set_stop(struct vn_ctx *ctx, const volatile sig_atomic_t *flag)
{
	ctx->stop = flag;
}

int vn_ctx_stop_signal(const struct vn_ctx *ctx)
{
	return ctx->stopped;
}

void vn_vnote(struct vn_ctx *ctx, bool undo_failed, const char *fmt, va_list ap)
{
	size_t len = strlen(ctx->err_msg);

	if (undo_failed) {
		ctx->err_kind = VN_ERR_PARTIAL;
		ctx->err_forceable = false;
	}
	if (len + 3 >= sizeof(ctx->err_msg))
		return;
	memcpy(ctx->err_msg + len, len ? "; " : "", len ? 3 : 1);
	len += len ? 2 : 0;
	vsnprintf(ctx->err_msg + len, sizeof(ctx->err_msg) - len, fmt, ap);
}

void vn_note(struct vn_ctx *ctx, bool undo_failed, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vn_vnote(ctx, undo_failed, fmt, ap);
	va_end(ap);
}

void vn_err_save(struct vn_ctx *ctx, struct vn_err_saved *s)
{
	memcpy(s->msg, ctx->err_msg, sizeof(s->msg));
	s->kind = ctx->err_kind;
	s->forceable = ctx->err_forceable;
	vn_ctx_clear_error(ctx);
	ctx->undoing++;
}

void vn_err_restore(struct vn_ctx *ctx, const struct vn_err_saved *s, int undo_r,
		    const char *what)
{
	char why[VN_ERR_MSG_MAX];

	if (ctx->undoing)
		ctx->undoing--;
	vn_strlcpy(why, ctx->err_msg[0] ? ctx->err_msg : strerror(-undo_r), sizeof(why));
	memcpy(ctx->err_msg, s->msg, sizeof(ctx->err_msg));
	ctx->err_kind = s->kind;
	ctx->err_forceable = s->forceable;
	if (undo_r < 0)
		vn_note(ctx, true, "not undone: %s: %s", what, why);
}

/* The test hook of vn_stop_point(): VNVME_TEST_STOP_AT=STEP[:N]. */
static void test_hook(struct vn_ctx *ctx, const char *step)
{
	const char *want = getenv("VNVME_TEST_STOP_AT");
	size_t n = strlen(step);
	unsigned long nth = 1;

	if (!want || strncmp(want, step, n) != 0 || (want[n] && want[n] != ':'))
		return;
	if (want[n] == ':')
		nth = strtoul(want + n + 1, NULL, 10);
	if (++ctx->hook_seen == nth)
		(void)raise(SIGSTOP);
}

int vn_stop_point(struct vn_ctx *ctx, const char *step)
{
	static const struct { int sig; const char *name; } names[] = {
		{ SIGINT, "SIGINT" }, { SIGTERM, "SIGTERM" }, { SIGHUP, "SIGHUP" },
	};
	const char *name = "a signal";
	int sig;

	if (ctx->dry_run || ctx->stopped || ctx->undoing || ctx->err_kind != VN_ERR_NONE)
		return 0;
	test_hook(ctx, step);
	sig = ctx->stop ? *ctx->stop : 0;
	if (!sig)
		return 0;
	ctx->stopped = sig;
	for (size_t i = 0; i < VN_ARRAY_SIZE(names); i++)
		if (names[i].sig == sig)
			name = names[i].name;
	snprintf(ctx->err_msg, sizeof(ctx->err_msg), "interrupted by %s before %s",
		 name, step);
	ctx->err_kind = VN_ERR_INTERRUPTED;
	ctx->err_forceable = false;
	return -EINTR;
}

bool vn_action(struct vn_ctx *ctx, const char *fmt, ...)
{
	char buf[VN_PATH_MAX + 256];
	va_list ap;

	if (ctx->action_fn) {
		va_start(ap, fmt);
		vsnprintf(buf, sizeof(buf), fmt, ap);
		va_end(ap);
		ctx->action_fn(ctx->action_data, ctx->dry_run, buf);
	}
	return !ctx->dry_run;
}

char *vn_strlcpy(char *dst, const char *src, size_t len)
{
	if (len == 0)
		return dst;
	snprintf(dst, len, "%s", src);
	return dst;
}

const char *vn_basename(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

void vn_msleep(unsigned int ms)
{
	struct timespec ts = {
		.tv_sec = ms / 1000,
		.tv_nsec = (long)(ms % 1000) * 1000000L,
	};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

bool vn_uuid_valid(const char *s)
{
	static const char form[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";

	if (strlen(s) != sizeof(form) - 1)
		return false;
	for (size_t i = 0; form[i]; i++)
		if (form[i] == '-' ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
			return false;
	return true;
}
