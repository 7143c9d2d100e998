// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * Device-mapper through its ioctls on /dev/mapper/control (linux/dm-ioctl.h),
 * without libdevmapper: create, load, resume, suspend, remove, status, list.
 *
 * Every request is one buffer: a struct dm_ioctl followed by its payload.
 * /dev/mapper/NAME is udev's job when udev runs (it makes the symlink on the
 * resume "change" event); without udev vnvme makes the node itself with
 * mknod, as libdevmapper's fallback does, and removes it after the device.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/dm-ioctl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "cache_priv.h"

/* libdevmapper's default buffer; status replies that do not fit are retried. */
#define DM_BUF_SIZE (16 * 1024)
#define DM_BUF_MAX (1024 * 1024)
/* Table payloads are aligned to 8 bytes (dm-ioctl.h, struct dm_target_spec). */
#define DM_ALIGN 8
/* How long to wait for udev to make /dev/mapper/NAME (libdm waits on a cookie). */
#define DM_UDEV_WAIT_MS 5000
#define DM_POLL_MS 20
/* udev's safe characters for a /dev/mapper name */
#define DM_SAFE_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789#+-.:=@_"

static size_t align8(size_t n)
{
	return (n + DM_ALIGN - 1) & ~(size_t)(DM_ALIGN - 1);
}

/**
 * vn_dm_valid_name() - can @name be the name of a mapping vnvme creates?
 * @name: the name.
 *
 * The kernel takes up to 127 bytes without '/', but vnvme keeps names in
 * VN_NAME_MAX buffers and /dev/mapper/NAME must be a safe file name:
 * 1..VN_NAME_MAX-1 characters from udev's safe set (letters, digits and
 * "#+-.:=@_"), not "." or "..", and not "control" (/dev/mapper/control is
 * device-mapper's own node).
 *
 * Return: true if vnvme accepts @name.
 */
bool vn_dm_valid_name(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n >= VN_NAME_MAX || strspn(name, DM_SAFE_CHARS) != n)
		return false;
	return strcmp(name, ".") != 0 && strcmp(name, "..") != 0 &&
	       strcmp(name, "control") != 0;
}

/**
 * vn_dm_pack_table() - lay out targets as DM_TABLE_LOAD wants them after
 * the struct dm_ioctl: per target a struct dm_target_spec, its parameter
 * string with its NUL, padded to 8 bytes; `next` is the offset from this
 * spec to the next one.
 * @buf: the payload area.
 * @len: its size.
 * @t: the targets.
 * @n: their number.
 *
 * Return: the bytes used, or -ENOSPC / -EINVAL (type name too long).
 */
int vn_dm_pack_table(void *buf, size_t len, const struct vn_dm_target *t, size_t n)
{
	size_t off = 0;

	for (size_t i = 0; i < n; i++) {
		struct dm_target_spec spec = {
			.sector_start = t[i].start,
			.length = t[i].length,
		};
		size_t plen = strlen(t[i].params) + 1;
		size_t rec = align8(sizeof(spec) + plen);

		if (strlen(t[i].type) >= sizeof(spec.target_type))
			return -EINVAL;
		if (off + rec > len)
			return -ENOSPC;
		memcpy(spec.target_type, t[i].type, strlen(t[i].type) + 1);
		spec.next = (__u32)rec;
		memset((char *)buf + off, 0, rec);
		memcpy((char *)buf + off, &spec, sizeof(spec));
		memcpy((char *)buf + off + sizeof(spec), t[i].params, plen);
		off += rec;
	}
	return (int)off;
}

static struct dm_ioctl *dm_buf_new(size_t size, const char *name)
{
	struct dm_ioctl *dmi = calloc(1, size);

	if (!dmi)
		return NULL;
	dmi->version[0] = DM_VERSION_MAJOR;	/* minor 0: any 4.x kernel takes it */
	dmi->data_size = (__u32)size;
	dmi->data_start = sizeof(*dmi);
	if (name)
		vn_strlcpy(dmi->name, name, sizeof(dmi->name));
	return dmi;
}

static int dm_control_open(struct vn_ctx *ctx)
{
	char path[VN_PATH_MAX];
	int fd, r;

	r = vn_path(ctx, path, sizeof(path), "/dev/mapper/control");
	if (r < 0)
		return r;
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd >= 0 || (errno != ENOENT && errno != ENODEV))
		return fd >= 0 ? fd : -errno;
	r = vn_kmod_load(ctx, "dm_mod");
	if (r < 0)
		return r;
	fd = open(path, O_RDWR | O_CLOEXEC);
	return fd >= 0 ? fd : -errno;
}

/* One ioctl; the kernel's reply is in @dmi. Return: 0 or -errno. */
static int dm_ioctl(struct vn_ctx *ctx, unsigned long cmd, struct dm_ioctl *dmi)
{
	_cleanup_close_ int fd = -1;

	fd = dm_control_open(ctx);
	if (fd < 0)
		return fd;
	if (ioctl(fd, cmd, dmi) < 0)
		return -errno;
	return 0;
}

/* Report a failed ioctl, telling a missing device-mapper apart. */
static int dm_fail(struct vn_ctx *ctx, int r, const char *what, const char *name)
{
	if (vn_ctx_error_kind(ctx) != VN_ERR_NONE)
		return r;	/* the module loader said it */
	if (r == -ENOENT || r == -ENODEV)
		return vn_nosupport(ctx, r, "device-mapper is not available "
				    "(/dev/mapper/control: %s)", strerror(-r));
	if (r == -EPERM || r == -EACCES)
		return vn_fail(ctx, r, "%s %s: not permitted", what, name);
	return vn_fail(ctx, r, "%s %s: %s", what, name, strerror(-r));
}

/**
 * vn_dm_info() - whether a mapped device exists, its numbers and openers.
 * @ctx: context.
 * @name: the mapped name.
 * @ret: filled; ret->exists is false for a name that is not mapped.
 *
 * Return: 0 (also when the device does not exist) or a negative errno.
 */
int vn_dm_info(struct vn_ctx *ctx, const char *name, struct vn_dm_info *ret)
{
	struct dm_ioctl *dmi = dm_buf_new(DM_BUF_SIZE, name);
	int r;

	if (!dmi)
		return vn_fail(ctx, -ENOMEM, "out of memory");
	r = dm_ioctl(ctx, DM_DEV_STATUS, dmi);
	/* a dry run does not load dm_mod: then no device exists yet */
	if (r == -ENXIO || (r == -ENOENT && vn_ctx_dry_run(ctx))) {
		*ret = (struct vn_dm_info){ .exists = false };
		free(dmi);
		return 0;
	}
	if (r < 0) {
		free(dmi);
		return dm_fail(ctx, r, "cannot query", name);
	}
	*ret = (struct vn_dm_info){
		.exists = true,
		.major = major(dmi->dev),
		.minor = minor(dmi->dev),
		.open_count = dmi->open_count > 0 ? (unsigned int)dmi->open_count : 0,
		.target_count = dmi->target_count,
		.suspended = dmi->flags & DM_SUSPEND_FLAG,
	};
	vn_strlcpy(ret->uuid, dmi->uuid, sizeof(ret->uuid));
	free(dmi);
	return 0;
}

static bool udev_running(const struct vn_ctx *ctx)
{
	/* libudev's udev_queue_get_udev_is_active() looks for the same file */
	return vn_exists(ctx, "/run/udev/control");
}

/* Is @path a block node with these numbers? */
static bool is_node(const char *path, unsigned int ma, unsigned int mi)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISBLK(st.st_mode) &&
	       major(st.st_rdev) == ma && minor(st.st_rdev) == mi;
}

/* /dev/mapper/NAME for a new device: wait for udev, else mknod. */
static int dm_node_add(struct vn_ctx *ctx, const char *name,
		       unsigned int ma, unsigned int mi)
{
	char path[VN_PATH_MAX], dir[VN_PATH_MAX];
	int r;

	r = vn_path(ctx, path, sizeof(path), "/dev/mapper/%s", name);
	if (r < 0)
		return r;
	if (udev_running(ctx)) {
		for (unsigned int t = 0; t < DM_UDEV_WAIT_MS; t += DM_POLL_MS) {
			if (is_node(path, ma, mi))
				return 0;
			vn_msleep(DM_POLL_MS);
		}
		/* udev did not make it: fall back as libdevmapper does */
	}
	if (is_node(path, ma, mi))
		return 0;
	if (!vn_action(ctx, "mknod %s b %u %u", path, ma, mi))
		return 0;
	(void)vn_path(ctx, dir, sizeof(dir), "/dev/mapper");
	(void)mkdir(dir, 0755);
	(void)unlink(path);	/* a stale node or a file left by a writer */
	if (mknod(path, S_IFBLK | 0600, makedev(ma, mi)) < 0)
		return vn_fail(ctx, -errno, "cannot create %s: %s", path, strerror(errno));
	return 0;
}

/*
 * Remove /dev/mapper/NAME after the device is gone, unless udev did. For a
 * deferred removal (@gone false) udev acts when the device really goes;
 * without udev the node goes now: open users keep their descriptors, new
 * opens by name fail, and no stale node is left behind.
 */
static void dm_node_del(struct vn_ctx *ctx, const char *name,
			unsigned int ma, unsigned int mi, bool gone)
{
	char path[VN_PATH_MAX];

	if (vn_path(ctx, path, sizeof(path), "/dev/mapper/%s", name) < 0)
		return;
	if (udev_running(ctx) && !gone)
		return;
	if (udev_running(ctx))
		for (unsigned int t = 0; t < DM_UDEV_WAIT_MS; t += DM_POLL_MS) {
			if (access(path, F_OK) < 0)
				return;
			vn_msleep(DM_POLL_MS);
		}
	if (!is_node(path, ma, mi))
		return;
	if (vn_action(ctx, "unlink %s", path))
		(void)unlink(path);
}

static int dm_simple(struct vn_ctx *ctx, unsigned long cmd, const char *name,
		     __u32 flags, struct dm_ioctl **ret)
{
	struct dm_ioctl *dmi = dm_buf_new(DM_BUF_SIZE, name);
	int r;

	if (!dmi)
		return -ENOMEM;
	dmi->flags = flags;
	r = dm_ioctl(ctx, cmd, dmi);
	if (r == 0 && ret)
		*ret = dmi;
	else
		free(dmi);
	return r;
}

static int dm_load(struct vn_ctx *ctx, const char *name,
		   const struct vn_dm_target *t, size_t n)
{
	struct dm_ioctl *dmi = dm_buf_new(DM_BUF_SIZE, name);
	int used, r;

	if (!dmi)
		return -ENOMEM;
	used = vn_dm_pack_table((char *)dmi + sizeof(*dmi), DM_BUF_SIZE - sizeof(*dmi),
				t, n);
	if (used < 0) {
		free(dmi);
		return used;
	}
	dmi->target_count = (__u32)n;
	dmi->data_size = (__u32)(sizeof(*dmi) + (size_t)used);
	r = dm_ioctl(ctx, DM_TABLE_LOAD, dmi);
	free(dmi);
	return r;
}

static void describe_table(char *buf, size_t len, const struct vn_dm_target *t, size_t n)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && used < len; i++) {
		int k = snprintf(buf + used, len - used, "%s%llu %llu %s %s", i ? "; " : "",
				 (unsigned long long)t[i].start,
				 (unsigned long long)t[i].length, t[i].type, t[i].params);
		if (k < 0)
			break;
		used += (size_t)k;
	}
}

/**
 * vn_dm_create() - create a mapped device, load its table, resume it, and
 * see that /dev/mapper/NAME exists. On failure nothing is left behind.
 * @ctx: context.
 * @name: the mapped name.
 * @uuid: its dm uuid, or NULL.
 * @t: the table.
 * @n: its number of targets.
 * @ret: the new device's info, may be NULL.
 *
 * Return: 0; -EBUSY (VN_ERR_UNSAFE) when the name is in use; else a
 * negative errno (the kernel says why only in its log).
 */
int vn_dm_create(struct vn_ctx *ctx, const char *name, const char *uuid,
		 const struct vn_dm_target *t, size_t n, struct vn_dm_info *ret)
{
	char table[1024], what[VN_NAME_MAX + 40];
	struct dm_ioctl *dmi = NULL;
	struct vn_err_saved why;
	unsigned int ma, mi;
	int r;

	if (!vn_dm_valid_name(name))
		return vn_invalid(ctx, "'%s' is not a valid device-mapper name", name);
	describe_table(table, sizeof(table), t, n);
	if (!vn_action(ctx, "create dm device %s: %s", name, table))
		return 0;
	dmi = dm_buf_new(DM_BUF_SIZE, name);
	if (!dmi)
		return vn_fail(ctx, -ENOMEM, "out of memory");
	if (uuid)
		vn_strlcpy(dmi->uuid, uuid, sizeof(dmi->uuid));
	r = dm_ioctl(ctx, DM_DEV_CREATE, dmi);
	if (r == -EBUSY) {
		free(dmi);
		return vn_refuse(ctx, r, false, "a device-mapper device named %s exists",
				 name);
	}
	if (r < 0) {
		free(dmi);
		return dm_fail(ctx, r, "cannot create", name);
	}
	ma = major(dmi->dev);
	mi = minor(dmi->dev);
	free(dmi);

	r = dm_load(ctx, name, t, n);
	if (r < 0) {
		r = vn_fail(ctx, r, "the kernel refused the table of %s (%s): %s; "
			    "see dmesg", name, table, strerror(-r));
		goto out_remove;
	}
	r = dm_simple(ctx, DM_DEV_SUSPEND, name, 0, NULL);	/* no flag: resume */
	if (r < 0) {
		r = vn_fail(ctx, r, "cannot resume %s: %s", name, strerror(-r));
		goto out_remove;
	}
	r = dm_node_add(ctx, name, ma, mi);
	if (r < 0)
		goto out_remove;
	if (ret)
		return vn_dm_info(ctx, name, ret);
	return 0;
out_remove:
	vn_err_save(ctx, &why);
	snprintf(what, sizeof(what), "device-mapper device %s left", name);
	vn_err_restore(ctx, &why, dm_simple(ctx, DM_DEV_REMOVE, name, 0, NULL), what);
	dm_node_del(ctx, name, ma, mi, true);
	return r;
}

static int dm_remove(struct vn_ctx *ctx, const char *name, bool deferred)
{
	struct dm_ioctl *dmi = NULL;
	struct vn_dm_info info;
	bool pending;
	int r;

	r = vn_dm_info(ctx, name, &info);
	if (r < 0)
		return r;
	if (!info.exists)
		return vn_fail(ctx, -ENXIO, "no device-mapper device named %s", name);
	if (!vn_action(ctx, "remove dm device %s%s", name,
		       deferred ? " (deferred until its last close)" : ""))
		return 0;
	r = dm_simple(ctx, DM_DEV_REMOVE, name, deferred ? DM_DEFERRED_REMOVE : 0, &dmi);
	if (r == -EBUSY)
		return vn_refuse(ctx, r, false, "%s is open (%u openers)", name,
				 info.open_count);
	if (r < 0)
		return dm_fail(ctx, r, "cannot remove", name);
	/* the kernel says whether the removal had to wait */
	pending = deferred && (dmi->flags & DM_DEFERRED_REMOVE);
	free(dmi);
	dm_node_del(ctx, name, info.major, info.minor, !pending);
	return pending ? 1 : 0;
}

/**
 * vn_dm_remove() - remove a mapped device and its /dev/mapper node.
 * @ctx: context.
 * @name: the mapped name.
 *
 * Return: 0; -EBUSY (VN_ERR_UNSAFE) while it is open; -ENXIO when there is
 * no such device; else a negative errno.
 */
int vn_dm_remove(struct vn_ctx *ctx, const char *name)
{
	return dm_remove(ctx, name, false);
}

/**
 * vn_dm_remove_deferred() - remove a mapped device now if it is closed,
 * else when its last user closes it (dmsetup remove --deferred).
 * @ctx: context.
 * @name: the mapped name.
 *
 * Return: 0 when it is gone, 1 when its removal waits for the last close,
 * or a negative errno.
 */
int vn_dm_remove_deferred(struct vn_ctx *ctx, const char *name)
{
	return dm_remove(ctx, name, true);
}

/* DM_TABLE_STATUS, growing the buffer while the kernel says it is full. */
static int dm_table_status(struct vn_ctx *ctx, const char *name, bool table,
			   struct dm_ioctl **ret)
{
	for (size_t size = DM_BUF_SIZE; size <= DM_BUF_MAX; size *= 4) {
		struct dm_ioctl *dmi = dm_buf_new(size, name);
		int r;

		if (!dmi)
			return -ENOMEM;
		dmi->flags = table ? DM_STATUS_TABLE_FLAG : 0;
		r = dm_ioctl(ctx, DM_TABLE_STATUS, dmi);
		if (r < 0) {
			free(dmi);
			return r;
		}
		if (!(dmi->flags & DM_BUFFER_FULL_FLAG)) {
			*ret = dmi;
			return 0;
		}
		free(dmi);
	}
	return -E2BIG;
}

/**
 * vn_dm_status() - the first target of a device: its type and its status
 * line (or, with @table, its table line).
 * @ctx: context.
 * @name: the mapped name.
 * @table: true for the table (DM_STATUS_TABLE_FLAG), false for the status.
 * @ret_type: its target type, DM_MAX_TYPE_NAME (16) bytes or more; may be NULL.
 * @buf: the line.
 * @len: size of @buf.
 *
 * Return: 0; -ENXIO for no such device; -ENODATA when it has no table.
 */
int vn_dm_status(struct vn_ctx *ctx, const char *name, bool table,
		 char *ret_type, char *buf, size_t len)
{
	const struct dm_target_spec *spec;
	struct dm_ioctl *dmi = NULL;
	int r;

	r = dm_table_status(ctx, name, table, &dmi);
	if (r == -ENXIO)
		return vn_fail(ctx, r, "no device-mapper device named %s", name);
	if (r < 0)
		return dm_fail(ctx, r, "cannot read the status of", name);
	if (dmi->target_count == 0) {
		free(dmi);
		return vn_fail(ctx, -ENODATA, "%s has no table", name);
	}
	/* the kernel sets data_start; the string follows the spec */
	spec = (const struct dm_target_spec *)((const char *)dmi + dmi->data_start);
	if (ret_type)
		vn_strlcpy(ret_type, spec->target_type, DM_MAX_TYPE_NAME);
	vn_strlcpy(buf, (const char *)(spec + 1), len);
	free(dmi);
	return 0;
}

/**
 * vn_dm_list() - the names of all mapped devices.
 * @ctx: context.
 * @ret_names: malloc'ed array of names (free()).
 *
 * Return: their number, or a negative errno.
 */
int vn_dm_list(struct vn_ctx *ctx, char (**ret_names)[VN_NAME_MAX])
{
	char (*names)[VN_NAME_MAX] = NULL;
	const struct dm_name_list *nl;
	struct dm_ioctl *dmi = NULL;
	size_t n = 0, off;
	int r;

	r = dm_simple(ctx, DM_LIST_DEVICES, NULL, 0, &dmi);
	if (r < 0)
		return dm_fail(ctx, r, "cannot list", "devices");
	off = dmi->data_start;
	nl = (const struct dm_name_list *)((const char *)dmi + off);
	if (nl->dev == 0) {	/* the kernel's "no devices" */
		free(dmi);
		*ret_names = NULL;
		return 0;
	}
	for (;;) {
		char (*nn)[VN_NAME_MAX] = realloc(names, (n + 1) * sizeof(*names));

		if (!nn) {
			free(names);
			free(dmi);
			return vn_fail(ctx, -ENOMEM, "out of memory");
		}
		names = nn;
		vn_strlcpy(names[n++], nl->name, VN_NAME_MAX);
		if (!nl->next)
			break;
		off += nl->next;
		if (off >= dmi->data_size)
			break;
		nl = (const struct dm_name_list *)((const char *)dmi + off);
	}
	free(dmi);
	*ret_names = names;
	return (int)n;
}
