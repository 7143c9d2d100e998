// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * RapidDisk RAM disks through the module's own sysfs files (RapidDisk 9.0,
 * rapiddisk.c mgmt_store()/devices_show()):
 *   /sys/kernel/rapiddisk/mgmt     takes "rapiddisk attach <N> <bytes>" and
 *                                  "rapiddisk detach <N>", one write each;
 *   /sys/kernel/rapiddisk/devices  "Device\tSize\tErrors\tUsed" then a line
 *                                  per disk: rdN, bytes, errors, used bytes.
 * The module never checks whether a disk is open or mapped before detaching
 * it: that is checked here. Also the RAM budget shared with the dm-cache
 * engine (vn_ram_check()).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>

#include "cache_priv.h"

#define RD_MGMT "/sys/kernel/rapiddisk/mgmt"
#define RD_DEVICES "/sys/kernel/rapiddisk/devices"
/* rapiddisk.c: rd_max_nr, the most RAM disks the module makes */
#define RD_MAX_NR 1024
/* Sizes must be whole 512 B sectors (mgmt_store). */
/* How long to wait for devtmpfs/udev to make /dev/rdN. */
#define RD_NODE_WAIT_MS 3000
#define RD_POLL_MS 20
/* RAM left for everything else: at least this, or an eighth of MemTotal. */
#define RAM_HEADROOM_MIN (128ull << 20)
#define RAM_HEADROOM_DIV 8

/**
 * vn_rapiddisk_load() - load the rapiddisk and rapiddisk-cache modules.
 * @ctx: context.
 *
 * Return: 0, or a negative errno with VN_ERR_NOSUPPORT naming the module
 * and the Debian package rapiddisk-dkms.
 */
int vn_rapiddisk_load(struct vn_ctx *ctx)
{
	int r;

	r = vn_kmod_load(ctx, "rapiddisk");
	if (r < 0)
		return r;
	r = vn_kmod_load(ctx, "rapiddisk-cache");
	if (r < 0)
		return r;
	if (!vn_ctx_dry_run(ctx) && !vn_exists(ctx, RD_MGMT))
		return vn_nosupport(ctx, -ENOENT, "module rapiddisk is loaded but %s "
				    "is missing (RapidDisk 9 or later is needed)", RD_MGMT);
	return 0;
}

/**
 * vn_ram_check() - is there RAM for @bytes more of RAM disk?
 * @ctx: context.
 * @bytes: the RAM wanted.
 * @what: what it is for, for the message ("a 32 MiB cache").
 *
 * RAM disk pages are allocated on first write and never given back before
 * the disk is removed, so the whole size is budgeted against MemAvailable
 * less a headroom (128 MiB or an eighth of MemTotal, the larger).
 *
 * Return: 0, or -ENOMEM (VN_ERR_UNSAFE, forceable).
 */
int vn_ram_check(struct vn_ctx *ctx, uint64_t bytes, const char *what)
{
	uint64_t avail, total, headroom;
	char a[32], h[32];

	if (vn_meminfo(ctx, "MemAvailable", &avail) < 0 ||
	    vn_meminfo(ctx, "MemTotal", &total) < 0)
		return vn_fail(ctx, -EIO, "cannot read MemAvailable from /proc/meminfo");
	headroom = total / RAM_HEADROOM_DIV;
	if (headroom < RAM_HEADROOM_MIN)
		headroom = RAM_HEADROOM_MIN;
	/* no overflow: a size near 2^64 must not wrap into "fits" */
	if (bytes <= avail && avail - bytes >= headroom)
		return 0;
	return vn_refuse(ctx, -ENOMEM, true, "%s needs more RAM than is free: %s "
			 "available, %s kept for the system",
			 what, vn_size_format(avail, a, sizeof(a)),
			 vn_size_format(headroom, h, sizeof(h)));
}

/* "rd12" -> 12; -EINVAL for anything else. */
static int rd_number(const char *name)
{
	char *end;
	long n;

	name = vn_basename(name);
	if (strncmp(name, "rd", 2) != 0 || name[2] < '0' || name[2] > '9')
		return -EINVAL;
	n = strtol(name + 2, &end, 10);
	if (*end || n < 0 || n >= RD_MAX_NR)
		return -EINVAL;
	return (int)n;
}

static int wait_node(const struct vn_ctx *ctx, const char *name)
{
	char path[VN_PATH_MAX];
	struct stat st;

	if (vn_path(ctx, path, sizeof(path), "/dev/%s", name) < 0)
		return -ENAMETOOLONG;
	for (unsigned int t = 0; t < RD_NODE_WAIT_MS; t += RD_POLL_MS) {
		if (stat(path, &st) == 0 && S_ISBLK(st.st_mode))
			return 0;
		vn_msleep(RD_POLL_MS);
	}
	return -ETIMEDOUT;
}

/**
 * vn_rapiddisk_add() - make a RAM disk rdN of @bytes, N the lowest free.
 * @ctx: context.
 * @bytes: its size, a multiple of 512.
 * @ret_name: "rdN".
 * @len: size of @ret_name.
 *
 * Return: 0, or a negative errno: -EINVAL for a bad size, -ENOMEM
 * (refused) when RAM is short, VN_ERR_NOSUPPORT without the module.
 */
int vn_rapiddisk_add(struct vn_ctx *ctx, uint64_t bytes, char *ret_name, size_t len)
{
	char cmd[96], name[16], sz[32];
	int n, r;

	if (bytes == 0 || bytes % VN_SECTOR_SIZE)
		return vn_invalid(ctx, "a RAM disk size must be a non-zero multiple "
				  "of 512 bytes");
	r = vn_rapiddisk_load(ctx);
	if (r < 0)
		return r;
	snprintf(cmd, sizeof(cmd), "a %s RAM disk", vn_size_format(bytes, sz, sizeof(sz)));
	r = vn_ram_check(ctx, bytes, cmd);
	if (r < 0)
		return r;
	for (n = 0; n < RD_MAX_NR; n++)
		if (!vn_exists(ctx, "/sys/block/rd%d", n))
			break;
	if (n == RD_MAX_NR)
		return vn_fail(ctx, -ENOSPC, "RapidDisk has no free device number");
	snprintf(name, sizeof(name), "rd%d", n);
	snprintf(cmd, sizeof(cmd), "rapiddisk attach %d %" PRIu64, n, bytes);
	r = vn_write_str(ctx, cmd, RD_MGMT);
	if (r < 0)
		return vn_fail(ctx, r, "cannot create RAM disk %s of %s: %s (see dmesg)",
			       name, sz, strerror(-r));
	if (!vn_ctx_dry_run(ctx) && wait_node(ctx, name) < 0) {
		snprintf(cmd, sizeof(cmd), "rapiddisk detach %d", n);
		r = vn_write_str(ctx, cmd, RD_MGMT);
		(void)vn_fail(ctx, -ETIMEDOUT, "/dev/%s did not appear", name);
		if (r < 0)
			vn_note(ctx, true, "not undone: RAM disk %s left: %s", name,
				strerror(-r));
		return -ETIMEDOUT;
	}
	vn_strlcpy(ret_name, name, len);
	return 0;
}

/* The dm device holding rdN ("rc-wa_md0"), or "" if none. */
static void rd_holder(struct vn_ctx *ctx, const char *name, char *buf, size_t len)
{
	struct vn_hold holds[VN_HOLDS_MAX];
	int n;

	buf[0] = '\0';
	n = vn_blk_holds(ctx, name, holds, VN_HOLDS_MAX);
	for (int i = 0; i < n; i++) {
		if (holds[i].kind == VN_HOLD_DM || holds[i].kind == VN_HOLD_OTHER) {
			vn_strlcpy(buf, holds[i].by, len);
			return;
		}
	}
}

/**
 * vn_rapiddisk_remove() - remove RAM disk rdN and free its RAM.
 * @ctx: context.
 * @name: "rdN" or "/dev/rdN".
 *
 * Return: 0; -EBUSY (VN_ERR_UNSAFE) while it is mapped or open; -ENOENT
 * when there is no such RAM disk.
 */
int vn_rapiddisk_remove(struct vn_ctx *ctx, const char *name)
{
	char path[VN_PATH_MAX], by[256], cmd[64];
	_cleanup_close_ int fd = -1;
	int n, r;

	n = rd_number(name);
	if (n < 0)
		return vn_invalid(ctx, "'%s' is not a RapidDisk RAM disk name (rdN)", name);
	name = vn_basename(name);
	if (!vn_exists(ctx, "/sys/block/%s", name))
		return vn_fail(ctx, -ENOENT, "no RAM disk %s", name);
	rd_holder(ctx, name, by, sizeof(by));
	vn_ctx_clear_error(ctx);
	if (by[0])
		return vn_refuse(ctx, -EBUSY, false, "%s is still mapped by %s (detach "
				 "the cache first)", name, by);
	/* the module frees the pages under an opener: make sure there is none */
	r = vn_path(ctx, path, sizeof(path), "/dev/%s", name);
	if (r < 0)
		return r;
	fd = open(path, O_RDONLY | O_EXCL | O_CLOEXEC);
	if (fd < 0 && errno == EBUSY)
		return vn_refuse(ctx, -EBUSY, false, "%s is open", name);
	if (fd >= 0) {
		(void)close(fd);
		fd = -1;
	}
	snprintf(cmd, sizeof(cmd), "rapiddisk detach %d", n);
	r = vn_write_str(ctx, cmd, RD_MGMT);
	if (r < 0)
		return vn_fail(ctx, r, "cannot remove RAM disk %s: %s (see dmesg)", name,
			       strerror(-r));
	return 0;
}

/* One line of the devices file: "rd0\t33554432\t0\t4096". */
static int parse_devices_line(const char *line, struct vn_ramdisk *d)
{
	unsigned long long size, errors, used;
	char name[VN_NAME_MAX];

	if (sscanf(line, "%63s %llu %llu %llu", name, &size, &errors, &used) != 4 ||
	    rd_number(name) < 0)
		return -EINVAL;
	*d = (struct vn_ramdisk){ .size_bytes = size, .errors = errors, .used_bytes = used };
	vn_strlcpy(d->name, name, sizeof(d->name));
	return 0;
}

/**
 * vn_rapiddisk_list() - every RapidDisk RAM disk, from the devices file.
 * @ctx: context.
 * @ret: malloc'ed array (free()); NULL when there is none.
 *
 * Return: their number (0 also when the module is not loaded), or a
 * negative errno.
 */
int vn_rapiddisk_list(struct vn_ctx *ctx, struct vn_ramdisk **ret)
{
	char path[VN_PATH_MAX], line[256];
	_cleanup_fclose_ FILE *f = NULL;
	struct vn_ramdisk *disks = NULL, d;
	size_t n = 0;

	*ret = NULL;
	if (vn_path(ctx, path, sizeof(path), RD_DEVICES) < 0)
		return -ENAMETOOLONG;
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? 0 : vn_fail(ctx, -errno, "cannot read %s: %s",
						     path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		struct vn_ramdisk *nd;

		if (parse_devices_line(line, &d) < 0)
			continue;	/* the header */
		rd_holder(ctx, d.name, d.mapped_by, sizeof(d.mapped_by));
		vn_ctx_clear_error(ctx);
		nd = realloc(disks, (n + 1) * sizeof(*disks));
		if (!nd) {
			free(disks);
			return vn_fail(ctx, -ENOMEM, "out of memory");
		}
		disks = nd;
		disks[n++] = d;
	}
	*ret = disks;
	return (int)n;
}
