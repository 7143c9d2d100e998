// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * Block devices from sysfs: /sys/block/<disk>[/<part>], their queues, the
 * controller behind them, and what holds them (mounts, md, dm, swap, nvmet).
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "nvmet_priv.h"

static const char *const kind_names[VN_BLK_KIND_MAX] = {
	[VN_BLK_HDD] = "hdd",	[VN_BLK_SSD] = "ssd",	[VN_BLK_NVME] = "nvme",
	[VN_BLK_MD] = "md",	[VN_BLK_DM] = "dm",	[VN_BLK_LOOP] = "loop",
	[VN_BLK_RAM] = "ram",	[VN_BLK_OTHER] = "other",
};

const char *vn_blk_kind_name(enum vn_blk_kind kind)
{
	return kind < VN_BLK_KIND_MAX ? kind_names[kind] : "other";
}

static const char *const hold_names[VN_HOLD_KIND_MAX] = {
	[VN_HOLD_MOUNTED] = "mounted",	[VN_HOLD_MD] = "md",
	[VN_HOLD_DM] = "dm",		[VN_HOLD_SWAP] = "swap",
	[VN_HOLD_EXPORTED] = "exported", [VN_HOLD_OTHER] = "open",
};

const char *vn_hold_kind_name(enum vn_hold_kind kind)
{
	return kind < VN_HOLD_KIND_MAX ? hold_names[kind] : "open";
}

static bool has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Natural order: sda < sdb < sdaa, nvme0n1 < nvme0n10. */
static int natcmp(const char *a, const char *b)
{
	while (*a && *b) {
		if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
			unsigned long x = strtoul(a, (char **)&a, 10);
			unsigned long y = strtoul(b, (char **)&b, 10);

			if (x != y)
				return x < y ? -1 : 1;
			continue;
		}
		if (*a != *b)
			return (unsigned char)*a - (unsigned char)*b;
		a++;
		b++;
	}
	if (!*a && !*b)
		return 0;
	/* shorter name first: sdz before sdaa */
	return *a ? 1 : -1;
}

static int cmp_names(const void *x, const void *y)
{
	const char *const *a = x, *const *b = y;
	size_t la = strlen(*a), lb = strlen(*b);

	if (has_prefix(*a, "sd") && has_prefix(*b, "sd") && la != lb)
		return la < lb ? -1 : 1;
	return natcmp(*a, *b);
}

/* Sorted names of the entries of a sysfs directory; @filter may be NULL. */
static int list_dir(const struct vn_ctx *ctx, const char *rel, vn_dir_filter filter,
		    char ***ret_names)
{
	return vn_list_dir(ctx, rel, filter, NULL, cmp_names, ret_names);
}

/* A partition's sysfs directory has a "partition" attribute. */
static bool is_partition_entry(const char *path, const void *data)
{
	char attr[VN_PATH_MAX];

	(void)data;
	return snprintf(attr, sizeof(attr), "%s/partition", path) < (int)sizeof(attr) &&
	       access(attr, F_OK) == 0;
}

/* The SCSI unit serial number page (VPD 0x80): 4 header bytes, then ASCII. */
static void read_vpd_serial(const struct vn_ctx *ctx, const char *disk,
			    char *buf, size_t len)
{
	char raw[128];
	int n = vn_read_str(ctx, raw, sizeof(raw), "/sys/block/%s/device/vpd_pg80",
			    disk);
	size_t plen, start = 4;

	if (n < 4)
		return;
	plen = (unsigned char)raw[3];
	if (start + plen > (size_t)n)
		plen = (size_t)n - start;
	while (plen && raw[start] == ' ') {
		start++;
		plen--;
	}
	if (plen >= len)
		plen = len - 1;
	memcpy(buf, raw + start, plen);
	buf[plen] = '\0';
}

static void fill_disk_identity(const struct vn_ctx *ctx, struct vn_blkdev *d)
{
	const char *n = d->disk;

	if (has_prefix(n, "nvme")) {
		/* device -> the controller: model, serial, transport */
		(void)vn_read_str(ctx, d->model, sizeof(d->model),
				  "/sys/block/%s/device/model", n);
		(void)vn_read_str(ctx, d->serial, sizeof(d->serial),
				  "/sys/block/%s/device/serial", n);
		(void)vn_read_str(ctx, d->transport, sizeof(d->transport),
				  "/sys/block/%s/device/transport", n);
		d->kind = VN_BLK_NVME;
	} else if (has_prefix(n, "md")) {
		d->kind = VN_BLK_MD;
	} else if (has_prefix(n, "dm-")) {
		d->kind = VN_BLK_DM;
		(void)vn_read_str(ctx, d->dm_name, sizeof(d->dm_name),
				  "/sys/block/%s/dm/name", n);
	} else if (has_prefix(n, "loop")) {
		d->kind = VN_BLK_LOOP;
	} else if (has_prefix(n, "ram") || has_prefix(n, "zram") ||
		   (has_prefix(n, "rd") && isdigit((unsigned char)n[2]))) {
		d->kind = VN_BLK_RAM;
	} else {
		d->kind = d->rotational ? VN_BLK_HDD : VN_BLK_SSD;
		(void)vn_read_str(ctx, d->model, sizeof(d->model),
				  "/sys/block/%s/device/model", n);
		if (vn_read_str(ctx, d->serial, sizeof(d->serial),
				"/sys/block/%s/device/serial", n) <= 0)
			read_vpd_serial(ctx, n, d->serial, sizeof(d->serial));
		if (has_prefix(n, "sd"))
			vn_strlcpy(d->transport, "scsi", sizeof(d->transport));
		else if (has_prefix(n, "vd"))
			vn_strlcpy(d->transport, "virtio", sizeof(d->transport));
	}
}

static int cache_control(const struct vn_ctx *ctx, const char *disk, char *rel, size_t len);
static bool cache_volatile(const struct vn_ctx *ctx, const char *disk, const char *rel);

/* Fill @d from /sys/block/<disk>[/<part>]. */
static int read_dev(const struct vn_ctx *ctx, const char *disk, const char *part,
		    struct vn_blkdev *d)
{
	char rel[VN_PATH_MAX], ctl[VN_PATH_MAX], buf[64];
	uint64_t v;
	int r;

	*d = (struct vn_blkdev){ 0 };
	if (part)
		snprintf(rel, sizeof(rel), "/sys/block/%s/%s", disk, part);
	else
		snprintf(rel, sizeof(rel), "/sys/block/%s", disk);
	vn_strlcpy(d->name, part ? part : disk, sizeof(d->name));
	vn_strlcpy(d->disk, disk, sizeof(d->disk));

	r = vn_read_u64(ctx, &v, "%s/size", rel);
	if (r < 0)
		return r;
	d->size_bytes = v * VN_SECTOR_SIZE;	/* sysfs size: always 512-byte units */
	if (vn_read_str(ctx, buf, sizeof(buf), "%s/dev", rel) > 0)
		(void)sscanf(buf, "%u:%u", &d->major, &d->minor);
	if (part && vn_read_u64(ctx, &v, "%s/partition", rel) == 0)
		d->partno = (unsigned int)v;
	if (vn_read_u64(ctx, &v, "%s/ro", rel) == 0)
		d->readonly = v != 0;
	if (vn_read_u64(ctx, &v, "/sys/block/%s/removable", disk) == 0)
		d->removable = v != 0;
	if (vn_read_u64(ctx, &v, "/sys/block/%s/queue/rotational", disk) == 0)
		d->rotational = v != 0;
	d->volatile_cache = cache_volatile(ctx, disk, cache_control(ctx, disk, ctl, sizeof(ctl))
						      == 0 ? ctl : NULL);
	if (vn_read_u64(ctx, &v, "/sys/block/%s/queue/logical_block_size", disk) == 0)
		d->logical_block_size = (unsigned int)v;
	else
		d->logical_block_size = 512;
	fill_disk_identity(ctx, d);
	return 0;
}

static bool skip_disk(const struct vn_blkdev *d)
{
	/* unused loop and RAM devices are noise */
	return d->size_bytes == 0 &&
	       (d->kind == VN_BLK_LOOP || d->kind == VN_BLK_RAM);
}

static int append(struct vn_blkdev **devs, size_t *n, size_t *cap,
		  const struct vn_blkdev *d)
{
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		struct vn_blkdev *nd = realloc(*devs, ncap * sizeof(*nd));

		if (!nd)
			return -ENOMEM;
		*devs = nd;
		*cap = ncap;
	}
	(*devs)[(*n)++] = *d;
	return 0;
}

int vn_blk_partitions(struct vn_ctx *ctx, const char *disk,
		      struct vn_blkdev **ret_parts)
{
	char rel[VN_PATH_MAX], **names = NULL;
	struct vn_blkdev *parts = NULL, d;
	size_t n = 0, cap = 0;
	int count, r = 0;

	snprintf(rel, sizeof(rel), "/sys/block/%s", disk);
	count = list_dir(ctx, rel, is_partition_entry, &names);
	if (count < 0)
		return vn_fail(ctx, count, "cannot read %s: %s", rel, strerror(-count));
	for (int i = 0; i < count && r == 0; i++) {
		if (read_dev(ctx, disk, names[i], &d) == 0)
			r = append(&parts, &n, &cap, &d);
	}
	vn_free_names(names, count);
	if (r < 0) {
		free(parts);
		return vn_fail(ctx, r, "out of memory");
	}
	*ret_parts = parts;
	return (int)n;
}

int vn_blk_list(struct vn_ctx *ctx, struct vn_blkdev **ret_devs)
{
	struct vn_blkdev *devs = NULL, d;
	size_t n = 0, cap = 0;
	char **disks = NULL;
	int count, r = 0;

	count = list_dir(ctx, "/sys/block", NULL, &disks);
	if (count < 0)
		return vn_fail(ctx, count, "cannot read /sys/block: %s",
			       strerror(-count));
	for (int i = 0; i < count && r == 0; i++) {
		struct vn_blkdev *parts = NULL;
		int np;

		if (read_dev(ctx, disks[i], NULL, &d) < 0 || skip_disk(&d))
			continue;
		r = append(&devs, &n, &cap, &d);
		np = vn_blk_partitions(ctx, disks[i], &parts);
		for (int j = 0; j < np && r == 0; j++)
			r = append(&devs, &n, &cap, &parts[j]);
		free(parts);
	}
	vn_free_names(disks, count);
	if (r < 0) {
		free(devs);
		return vn_fail(ctx, r, "out of memory");
	}
	vn_ctx_clear_error(ctx);
	*ret_devs = devs;
	return (int)n;
}

/*
 * A /dev path that names no block node may still be looked up by its name
 * only in a --sysroot tree (a test fixture holds files, not nodes) and only as
 * /dev/NAME: on a real system a path is that node or nothing, never a guess
 * by its last component (/img/sdb, a file, must not mean /dev/sdb).
 */
static bool name_fallback(const struct vn_ctx *ctx, const char *dev)
{
	return strcmp(vn_ctx_root(ctx), "/") != 0 && has_prefix(dev, "/dev/") &&
	       !strchr(dev + strlen("/dev/"), '/');
}

/* The dm-N whose dm/name is @dmname. */
static int resolve_dm(struct vn_ctx *ctx, const char *dmname, char *name,
		      size_t len, char *disk, size_t disk_len)
{
	char **disks = NULL;
	int count, r = -ENOENT;

	count = list_dir(ctx, "/sys/block", NULL, &disks);
	for (int i = 0; i < count && r < 0; i++) {
		char buf[VN_NAME_MAX];

		if (vn_read_str(ctx, buf, sizeof(buf), "/sys/block/%s/dm/name",
				disks[i]) > 0 && strcmp(buf, dmname) == 0) {
			vn_strlcpy(name, disks[i], len);
			vn_strlcpy(disk, disks[i], disk_len);
			r = 0;
		}
	}
	if (count > 0)
		vn_free_names(disks, count);
	return r;
}

/*
 * The kernel name of a device node: its numbers, not its name, decide.
 * Return: 0, -ENOENT (no such path), -ENOTBLK (not a block device).
 */
static int node_name(struct vn_ctx *ctx, const char *dev, char *base, size_t len)
{
	char path[VN_PATH_MAX], link[VN_PATH_MAX];
	struct stat st;
	ssize_t n;

	if (vn_path(ctx, path, sizeof(path), "%s", dev) < 0 || stat(path, &st) < 0)
		return -ENOENT;
	if (!S_ISBLK(st.st_mode))
		return -ENOTBLK;
	if (vn_path(ctx, path, sizeof(path), "/sys/dev/block/%u:%u",
		    major(st.st_rdev), minor(st.st_rdev)) < 0 ||
	    (n = readlink(path, link, sizeof(link) - 1)) <= 0)
		return -ENOENT;
	link[n] = '\0';
	vn_strlcpy(base, vn_basename(link), len);
	return 0;
}

/* The disk a kernel name is, or holds it as a partition. */
static int resolve_kname(struct vn_ctx *ctx, const char *base, char *name,
			 size_t len, char *disk, size_t disk_len)
{
	char **disks = NULL;
	int count, r = -ENOENT;

	if (vn_exists(ctx, "/sys/block/%s", base)) {
		vn_strlcpy(name, base, len);
		vn_strlcpy(disk, base, disk_len);
		return 0;
	}
	count = list_dir(ctx, "/sys/block", NULL, &disks);
	for (int i = 0; i < count && r < 0; i++) {
		if (vn_exists(ctx, "/sys/block/%s/%s/partition", disks[i], base)) {
			vn_strlcpy(name, base, len);
			vn_strlcpy(disk, disks[i], disk_len);
			r = 0;
		}
	}
	if (count > 0)
		vn_free_names(disks, count);
	return r;
}

/*
 * The kernel name of a device given as a kernel name ("sdb1"), a
 * /dev/mapper/NAME, or a path to its node (/dev/sdb1, /dev/disk/by-id/...).
 * Return: 0, -EINVAL (empty or unusable), -ENOENT, -ENOTBLK.
 */
static int resolve_name(struct vn_ctx *ctx, const char *dev, char *name,
			size_t len, char *disk, size_t disk_len)
{
	char base[VN_NAME_MAX];
	int r;

	if (!dev[0] || strchr(dev, '\n'))
		return -EINVAL;
	if (has_prefix(dev, "/dev/mapper/"))
		return resolve_dm(ctx, dev + strlen("/dev/mapper/"), name, len,
				  disk, disk_len);
	if (!strchr(dev, '/'))
		return strcmp(dev, ".") && strcmp(dev, "..") ?
			resolve_kname(ctx, dev, name, len, disk, disk_len) : -ENOENT;
	r = node_name(ctx, dev, base, sizeof(base));
	if (r < 0 && !name_fallback(ctx, dev))
		return r;
	if (r < 0)
		vn_strlcpy(base, vn_basename(dev), sizeof(base));
	return resolve_kname(ctx, base, name, len, disk, disk_len);
}

int vn_blk_get(struct vn_ctx *ctx, const char *dev, struct vn_blkdev *ret)
{
	char name[VN_NAME_MAX], disk[VN_NAME_MAX];
	int r;

	r = resolve_name(ctx, dev, name, sizeof(name), disk, sizeof(disk));
	if (r == -EINVAL)
		return vn_invalid(ctx, dev[0] ? "'%s' is not a device name" :
				  "empty device name%s", dev);
	if (r == -ENOTBLK)
		return vn_invalid_errno(ctx, r, "%s: not a block device", dev);
	if (r < 0)
		return vn_invalid_errno(ctx, r, "%s: no such block device", dev);
	r = read_dev(ctx, disk, strcmp(name, disk) ? name : NULL, ret);
	if (r < 0)
		return vn_fail(ctx, r, "%s: cannot read its sysfs entry: %s", dev,
			       strerror(-r));
	return 0;
}

char *vn_blk_devpath(const struct vn_blkdev *d, char *buf, size_t len)
{
	if (d->kind == VN_BLK_DM && d->dm_name[0] && d->partno == 0)
		snprintf(buf, len, "/dev/mapper/%s", d->dm_name);
	else
		snprintf(buf, len, "/dev/%s", d->name);
	return buf;
}

/* ---- holds ---- */

struct devnum {
	char name[VN_NAME_MAX];
	unsigned int major, minor;
};

static int add_hold(struct vn_hold *holds, size_t max, size_t *n,
		    enum vn_hold_kind kind, const char *dev, const char *by)
{
	if (*n >= max)
		return 0;
	holds[*n].kind = kind;
	vn_strlcpy(holds[*n].dev, dev, sizeof(holds[*n].dev));
	vn_strlcpy(holds[*n].by, by, sizeof(holds[*n].by));
	(*n)++;
	return 0;
}

static const struct devnum *match_num(const struct devnum *devs, size_t nd,
				      unsigned int ma, unsigned int mi)
{
	for (size_t i = 0; i < nd; i++)
		if (devs[i].major == ma && devs[i].minor == mi)
			return &devs[i];
	return NULL;
}

static const struct devnum *match_name(const struct devnum *devs, size_t nd,
				       const char *name)
{
	for (size_t i = 0; i < nd; i++)
		if (strcmp(devs[i].name, name) == 0)
			return &devs[i];
	return NULL;
}

/* A path to a device node: match by its numbers if it is one, else by name. */
static const struct devnum *match_path(const struct vn_ctx *ctx,
				       const struct devnum *devs, size_t nd,
				       const char *devpath)
{
	char path[VN_PATH_MAX];
	struct stat st;

	if (vn_path(ctx, path, sizeof(path), "%s", devpath) == 0 &&
	    stat(path, &st) == 0 && S_ISBLK(st.st_mode))
		return match_num(devs, nd, major(st.st_rdev), minor(st.st_rdev));
	return match_name(devs, nd, vn_basename(devpath));
}

static void holds_mounts(const struct vn_ctx *ctx, const struct devnum *devs,
			 size_t nd, struct vn_hold *holds, size_t max, size_t *n)
{
	char path[VN_PATH_MAX], line[4096];
	_cleanup_fclose_ FILE *f = NULL;

	if (vn_path(ctx, path, sizeof(path), "/proc/self/mountinfo") < 0)
		return;
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		unsigned int ma, mi;
		char mnt[2048];
		const struct devnum *d;

		/* 36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw */
		if (sscanf(line, "%*u %*u %u:%u %*s %2047s", &ma, &mi, mnt) != 3)
			continue;
		d = match_num(devs, nd, ma, mi);
		if (d)
			add_hold(holds, max, n, VN_HOLD_MOUNTED, d->name, mnt);
	}
}

static void holds_swaps(const struct vn_ctx *ctx, const struct devnum *devs,
			size_t nd, struct vn_hold *holds, size_t max, size_t *n)
{
	char path[VN_PATH_MAX], line[1024], file[512];
	_cleanup_fclose_ FILE *f = NULL;

	if (vn_path(ctx, path, sizeof(path), "/proc/swaps") < 0)
		return;
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		const struct devnum *d;

		if (sscanf(line, "%511s", file) != 1 || file[0] != '/')
			continue;
		d = match_path(ctx, devs, nd, file);
		if (d)
			add_hold(holds, max, n, VN_HOLD_SWAP, d->name, file);
	}
}

static void holds_holders(struct vn_ctx *ctx, const char *disk,
			  const struct devnum *devs, size_t nd,
			  struct vn_hold *holds, size_t max, size_t *n)
{
	for (size_t i = 0; i < nd; i++) {
		char rel[VN_PATH_MAX], **names = NULL;
		int count;

		if (strcmp(devs[i].name, disk) == 0)
			snprintf(rel, sizeof(rel), "/sys/block/%s/holders", disk);
		else
			snprintf(rel, sizeof(rel), "/sys/block/%s/%s/holders", disk,
				 devs[i].name);
		count = list_dir(ctx, rel, NULL, &names);
		for (int j = 0; j < count; j++) {
			char by[256], dmname[VN_NAME_MAX];

			if (has_prefix(names[j], "md")) {
				add_hold(holds, max, n, VN_HOLD_MD, devs[i].name, names[j]);
			} else if (has_prefix(names[j], "dm-")) {
				if (vn_read_str(ctx, dmname, sizeof(dmname),
						"/sys/block/%s/dm/name", names[j]) > 0)
					snprintf(by, sizeof(by), "%s (%s)", names[j], dmname);
				else
					vn_strlcpy(by, names[j], sizeof(by));
				add_hold(holds, max, n, VN_HOLD_DM, devs[i].name, by);
			} else {
				add_hold(holds, max, n, VN_HOLD_OTHER, devs[i].name, names[j]);
			}
		}
		if (count > 0)
			vn_free_names(names, count);
	}
}

struct nvmet_match {
	const struct vn_ctx *ctx;
	const struct devnum *devs;
	size_t nd;
	struct vn_hold *holds;
	size_t max, *n;
};

static void nvmet_match(void *data, const char *nqn, const char *device_path)
{
	struct nvmet_match *m = data;
	const struct devnum *d = match_path(m->ctx, m->devs, m->nd, device_path);

	if (d)
		add_hold(m->holds, m->max, m->n, VN_HOLD_EXPORTED, d->name, nqn);
}

static void holds_nvmet(struct vn_ctx *ctx, const struct devnum *devs, size_t nd,
			struct vn_hold *holds, size_t max, size_t *n)
{
	struct nvmet_match m = { ctx, devs, nd, holds, max, n };

	vn_nvmet_ns_devices(ctx, nvmet_match, &m);
}

int vn_blk_holds(struct vn_ctx *ctx, const char *name, struct vn_hold *ret_holds,
		 size_t max)
{
	struct vn_blkdev self, *parts = NULL;
	struct devnum *devs;
	size_t nd = 0, n = 0;
	int np = 0, r;

	r = vn_blk_get(ctx, name, &self);
	if (r < 0)
		return r;
	if (self.partno == 0) {
		np = vn_blk_partitions(ctx, self.name, &parts);
		if (np < 0)
			return np;
	}
	devs = calloc((size_t)np + 1, sizeof(*devs));
	if (!devs) {
		free(parts);
		return vn_fail(ctx, -ENOMEM, "out of memory");
	}
	devs[nd++] = (struct devnum){ .major = self.major, .minor = self.minor };
	vn_strlcpy(devs[0].name, self.name, sizeof(devs[0].name));
	for (int i = 0; i < np; i++, nd++) {
		devs[nd].major = parts[i].major;
		devs[nd].minor = parts[i].minor;
		vn_strlcpy(devs[nd].name, parts[i].name, sizeof(devs[nd].name));
	}
	free(parts);

	holds_mounts(ctx, devs, nd, ret_holds, max, &n);
	holds_swaps(ctx, devs, nd, ret_holds, max, &n);
	holds_holders(ctx, self.disk, devs, nd, ret_holds, max, &n);
	holds_nvmet(ctx, devs, nd, ret_holds, max, &n);
	free(devs);
	return (int)n;
}

char *vn_blk_describe_hold(const struct vn_hold *h, char *buf, size_t len)
{
	switch (h->kind) {
	case VN_HOLD_MOUNTED:
		snprintf(buf, len, "/dev/%s is mounted on %s", h->dev, h->by);
		break;
	case VN_HOLD_MD:
		snprintf(buf, len, "/dev/%s is a member of %s", h->dev, h->by);
		break;
	case VN_HOLD_DM:
		snprintf(buf, len, "/dev/%s is mapped by %s", h->dev, h->by);
		break;
	case VN_HOLD_SWAP:
		snprintf(buf, len, "/dev/%s is in use as swap", h->dev);
		break;
	case VN_HOLD_EXPORTED:
		snprintf(buf, len, "/dev/%s is exported as %s", h->dev, h->by);
		break;
	default:
		snprintf(buf, len, "/dev/%s is held by %s", h->dev, h->by);
		break;
	}
	return buf;
}

/* ---- write caches ---- */

static const char *const wcache_names[] = {
	[VN_WCACHE_OFF] = "off",		[VN_WCACHE_TURNED_OFF] = "turned off",
	[VN_WCACHE_NO_CONTROL] = "no control",	[VN_WCACHE_FAILED] = "failed",
};

const char *vn_wcache_state_name(enum vn_wcache_state state)
{
	return state <= VN_WCACHE_FAILED ? wcache_names[state] : "failed";
}

/*
 * The attribute that changes the cache at the device: sd's cache_type under
 * the disk's one scsi_disk entry, or virtio_blk's own (read-only without
 * the device's config-WCE feature). Return: 0, -ENOENT.
 */
static int cache_control(const struct vn_ctx *ctx, const char *disk, char *rel, size_t len)
{
	char dir[VN_PATH_MAX], **names = NULL;
	int n, r = -ENOENT;

	snprintf(dir, sizeof(dir), "/sys/block/%s/device/scsi_disk", disk);
	n = list_dir(ctx, dir, NULL, &names);
	if (n == 1 && vn_exists(ctx, "%s/%s/cache_type", dir, names[0])) {
		int k = snprintf(rel, len, "%s/%s/cache_type", dir, names[0]);

		r = k > 0 && (size_t)k < len ? 0 : -ENAMETOOLONG;
	}
	if (n > 0)
		vn_free_names(names, n);
	if (r < 0 && vn_exists(ctx, "/sys/block/%s/cache_type", disk)) {
		snprintf(rel, len, "/sys/block/%s/cache_type", disk);
		r = 0;
	}
	return r;
}

/*
 * Is the cache of @disk volatile? As the kernel has it (queue/write_cache),
 * or as the device itself says (@rel, its cache_type: "write back..."):
 * someone may have told the queue "write through" over a disk whose cache
 * is on, which stops the flushes and keeps the cache.
 */
static bool cache_volatile(const struct vn_ctx *ctx, const char *disk, const char *rel)
{
	char buf[48];

	if (vn_read_str(ctx, buf, sizeof(buf), "/sys/block/%s/queue/write_cache", disk) > 0 &&
	    strcmp(buf, "write back") == 0)
		return true;
	return rel && vn_read_str(ctx, buf, sizeof(buf), "%s", rel) > 0 &&
	       has_prefix(buf, "write back");
}

/* Can the attribute @rel be written at all (sysfs: its mode)? */
static bool writable(const struct vn_ctx *ctx, const char *rel)
{
	char path[VN_PATH_MAX];
	struct stat st;

	return vn_path(ctx, path, sizeof(path), "%s", rel) == 0 && stat(path, &st) == 0 &&
	       (st.st_mode & 0222);
}

static int wcache_leaf(struct vn_ctx *ctx, const char *disk, struct vn_wcache *w)
{
	char rel[VN_PATH_MAX];
	bool control;
	int r;

	*w = (struct vn_wcache){ .state = VN_WCACHE_OFF };
	vn_strlcpy(w->disk, disk, sizeof(w->disk));
	control = cache_control(ctx, disk, rel, sizeof(rel)) == 0;
	if (!cache_volatile(ctx, disk, control ? rel : NULL))
		return 0;
	if (!control || !writable(ctx, rel)) {
		w->state = VN_WCACHE_NO_CONTROL;
		return 0;
	}
	/* sd: a MODE SELECT, then the disk is read again (sd_revalidate_disk) */
	r = vn_write_str(ctx, "write through", "%s", rel);
	if (r == 0 && !vn_ctx_dry_run(ctx) && cache_volatile(ctx, disk, rel))
		r = -EIO;	/* accepted, yet the disk still says write back */
	w->state = r < 0 ? VN_WCACHE_FAILED : VN_WCACHE_TURNED_OFF;
	w->err = r;
	return 0;
}

#define WCACHE_DEPTH 8	/* dm over md over dm ...: deeper is a loop */

static int wcache_walk(struct vn_ctx *ctx, const char *name, struct vn_wcache *ret,
		       size_t max, size_t *n, unsigned int depth)
{
	char part[VN_NAME_MAX], disk[VN_NAME_MAX], rel[VN_PATH_MAX], **slaves = NULL;
	int count, r;

	if (depth > WCACHE_DEPTH)
		return -ELOOP;
	r = resolve_kname(ctx, name, part, sizeof(part), disk, sizeof(disk));
	if (r < 0)
		return r;
	snprintf(rel, sizeof(rel), "/sys/block/%s/slaves", disk);
	count = list_dir(ctx, rel, NULL, &slaves);
	if (count > 0) {
		for (int i = 0; i < count && r == 0; i++)
			r = wcache_walk(ctx, slaves[i], ret, max, n, depth + 1);
		vn_free_names(slaves, count);
		return r;
	}
	for (size_t i = 0; i < *n; i++)
		if (strcmp(ret[i].disk, disk) == 0)
			return 0;	/* two members on one disk */
	if (*n >= max)
		return -ENOSPC;
	r = wcache_leaf(ctx, disk, &ret[*n]);
	if (r == 0)
		(*n)++;
	return r;
}

static int cmp_wcache(const void *x, const void *y)
{
	const struct vn_wcache *a = x, *b = y;
	const char *na = a->disk, *nb = b->disk;

	return cmp_names(&na, &nb);
}

int vn_blk_write_cache_off(struct vn_ctx *ctx, const char *dev, struct vn_wcache *ret,
			   size_t max, size_t *n)
{
	int r = wcache_walk(ctx, vn_basename(dev), ret, max, n, 0);

	qsort(ret, *n, sizeof(*ret), cmp_wcache);	/* sda before sdb before sdaa */
	if (r < 0)
		return vn_fail(ctx, r, "%s: cannot find the disks under it: %s", dev,
			       strerror(-r));
	return 0;
}
