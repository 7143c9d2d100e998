/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Private to libvnvme: the context, error helpers and path access. */
#ifndef VNVME_INTERNAL_H
#define VNVME_INTERNAL_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "vnvme.h"

#define VN_ERR_MSG_MAX 512
#define VN_PATH_MAX 4096
#define VN_SECTOR_SIZE 512u	/* the kernel's sector: sysfs sizes, dm tables, md */

struct vn_ctx {
	char root[VN_PATH_MAX];	/* "" for "/", else a prefix without trailing '/' */
	bool dry_run;
	vn_action_fn action_fn;
	void *action_data;
	char err_msg[VN_ERR_MSG_MAX];
	enum vn_err_kind err_kind;
	bool err_forceable;
	const volatile sig_atomic_t *stop;	/* vn_ctx_set_stop() */
	int stopped;		/* the signal vn_stop_point() stopped at, or 0 */
	unsigned int hook_seen;	/* stop points that matched the test hook */
	unsigned int undoing;	/* inside vn_err_save() .. vn_err_restore() */
};

#define VN_PRINTF(a, b) __attribute__((format(printf, a, b)))

/*
 * Error helpers: fill the context's error and return @r (a negative errno),
 * so that a failure reads `return vn_fail(ctx, -EIO, "...", ...);`.
 */
int vn_fail(struct vn_ctx *ctx, int r, const char *fmt, ...) VN_PRINTF(3, 4);
int vn_invalid(struct vn_ctx *ctx, const char *fmt, ...) VN_PRINTF(2, 3);
/* The request is wrong (like vn_invalid), with a more precise errno @r. */
int vn_invalid_errno(struct vn_ctx *ctx, int r, const char *fmt, ...) VN_PRINTF(3, 4);
int vn_refuse(struct vn_ctx *ctx, int r, bool forceable, const char *fmt, ...)
	VN_PRINTF(4, 5);
int vn_nosupport(struct vn_ctx *ctx, int r, const char *fmt, ...) VN_PRINTF(3, 4);

/*
 * Rolling back: the one way a function undoes its own work after a failure
 * midway (md create/add, the cache engines' attach, nvmet's apply, up):
 *  1. record each change as it is made: an undo log of steps (lib/nvmet.c)
 *     or a flag on the object changed (struct md_dev.written), so the undo
 *     knows how far the function got without a goto chain per step;
 *  2. on failure, run each undo step between vn_err_save() and
 *     vn_err_restore() (below), so the error the caller sees is the
 *     failure's own (text, kind, forceable), with "not undone: ..." added
 *     when a step fails (the error then VN_ERR_PARTIAL);
 *  3. say what was undone with vn_undo_note(): one line says what failed
 *     and what vnvme did about it.
 */

/*
 * After a failure midway: append "; @fmt" (what was undone) to the
 * context's error, so the one line says what failed and what vnvme did
 * about it. Return: @r.
 */
int vn_undo_note(struct vn_ctx *ctx, int r, const char *fmt, ...) VN_PRINTF(3, 4);

/* Record a change; returns true when it must really be done (not dry-run). */
bool vn_action(struct vn_ctx *ctx, const char *fmt, ...) VN_PRINTF(2, 3);

/*
 * Append "; @fmt" to the context's error. With @undo_failed, @fmt says what
 * an undo could not put back, and the error becomes VN_ERR_PARTIAL.
 */
void vn_note(struct vn_ctx *ctx, bool undo_failed, const char *fmt, ...) VN_PRINTF(3, 4);
void vn_vnote(struct vn_ctx *ctx, bool undo_failed, const char *fmt, va_list ap)
	VN_PRINTF(3, 0);
/*
 * An undo step keeps the error that caused it: save it (which clears it)
 * before the step, then put it back, adding "not undone: @what: <the step's error>" when
 * @undo_r is negative.
 */
struct vn_err_saved {
	char msg[VN_ERR_MSG_MAX];
	enum vn_err_kind kind;
	bool forceable;
};
void vn_err_save(struct vn_ctx *ctx, struct vn_err_saved *s);
void vn_err_restore(struct vn_ctx *ctx, const struct vn_err_saved *s, int undo_r,
		    const char *what);

/*
 * Paths. vn_path() joins the context root and a printf-formatted absolute
 * path; it is the only place that does. Return: 0 or -ENAMETOOLONG.
 */
int vn_path(const struct vn_ctx *ctx, char *buf, size_t len,
	    const char *fmt, ...) VN_PRINTF(4, 5);
int vn_vpath(const struct vn_ctx *ctx, char *buf, size_t len,
	     const char *fmt, va_list ap) VN_PRINTF(4, 0);

/* Read a whole small file, trailing newline stripped. Return: length. */
int vn_read_str(const struct vn_ctx *ctx, char *buf, size_t len,
		const char *fmt, ...) VN_PRINTF(4, 5);
int vn_read_u64(const struct vn_ctx *ctx, uint64_t *ret,
		const char *fmt, ...) VN_PRINTF(3, 4);
bool vn_exists(const struct vn_ctx *ctx, const char *fmt, ...) VN_PRINTF(2, 3);
/* A /proc/meminfo field ("MemTotal") in bytes. Return: 0, -ENOENT, -errno. */
int vn_meminfo(const struct vn_ctx *ctx, const char *key, uint64_t *ret);
/* Write @value to a sysfs/configfs attribute, as an action (dry-run aware). */
int vn_write_str(struct vn_ctx *ctx, const char *value,
		 const char *fmt, ...) VN_PRINTF(3, 4);

/*
 * vn_list_dir() - the names in a directory under the root, sorted with @cmp
 * (NULL: as read), those for which @filter(full path, @data) is true (NULL:
 * all); dot entries are skipped. Return: the count, or -errno (-ENOENT for a
 * missing directory); free *ret_names with vn_free_names().
 */
typedef bool (*vn_dir_filter)(const char *path, const void *data);
int vn_list_dir(const struct vn_ctx *ctx, const char *rel, vn_dir_filter filter,
		const void *data, int (*cmp)(const void *, const void *),
		char ***ret_names);
void vn_free_names(char **names, int n);

/*
 * vn_kmod_load() - load a kernel module with its dependencies, as modprobe
 * does (lib/kmod.c, libkmod). Already loaded or built in is success.
 * Return: 0, or a negative errno with VN_ERR_NOSUPPORT naming the module
 * (and its Debian package where known), VN_ERR_PERM when not permitted.
 */
int vn_kmod_load(struct vn_ctx *ctx, const char *name);

/* Is @s a UUID in the 8-4-4-4-12 hex form? */
bool vn_uuid_valid(const char *s);

/* pread()/pwrite() of exactly @len bytes. Return: 0, -EIO when short, -errno. */
int vn_pread_full(int fd, void *buf, size_t len, uint64_t off);
int vn_pwrite_full(int fd, const void *buf, size_t len, uint64_t off);
/* getrandom(), falling back to rand() when there is no entropy source. */
void vn_random_bytes(uint8_t *buf, size_t len);
/* 16 bytes as "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx". */
void vn_uuid_text(const uint8_t u[16], char *buf, size_t len);

/* Bounded copy that always terminates; returns dst. */
char *vn_strlcpy(char *dst, const char *src, size_t len);
/* "/dev/sda" -> "sda"; "sda" stays. */
const char *vn_basename(const char *path);
/* Sleep @ms milliseconds. */
void vn_msleep(unsigned int ms);

/* lib/keytext.c: PREFIX:<hmac hex>:<base64(key || crc32)>: (DHHC-1, NVMeTLSkey-1) */
#define VN_KEYTEXT_KEY_MAX 64
#define VN_KEYTEXT_FORM (-1)	/* not PREFIX:xx:<base64>: */
#define VN_KEYTEXT_CRC (-2)	/* well formed, the CRC does not match */
#define VN_KEYTEXT_BASE64 (-3)	/* the base64 part is not base64 of 5 to 68 bytes */
/* @out needs strlen(@prefix) + 4 + 4 * ceil((@len + 4) / 3) + 2; @len <= 64. */
void vn_keytext_encode(const char *prefix, int hmac, const uint8_t *key, size_t len,
		       char *out);
/* Return: the key's length, or VN_KEYTEXT_FORM, _CRC, _BASE64. */
int vn_keytext_decode(const char *text, const char *prefix, int *ret_hmac, uint8_t *key,
		      size_t keysz);
/* @len bytes of @secret into @key, or random ones when @secret is NULL. */
int vn_keytext_secret(struct vn_ctx *ctx, const uint8_t *secret, uint8_t *key, size_t len);

static inline void vn_freep(void *p)
{
	free(*(void **)p);
}
static inline void vn_closep(int *fd)
{
	if (*fd >= 0)
		(void)close(*fd);
}
static inline void vn_fclosep(FILE **f)
{
	if (*f)
		(void)fclose(*f);
}
#define _cleanup_free_ __attribute__((cleanup(vn_freep)))
#define _cleanup_close_ __attribute__((cleanup(vn_closep)))
#define _cleanup_fclose_ __attribute__((cleanup(vn_fclosep)))

#define VN_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
/* A numeric macro's value as a string: VN_STRINGIFY(VN_NVME_TCP_PORT) is "4420". */
#define VN_STRINGIFY_(x) #x
#define VN_STRINGIFY(x) VN_STRINGIFY_(x)

#endif /* VNVME_INTERNAL_H */
