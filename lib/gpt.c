// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * GPT labels through libparted: one partition from 1 MiB to the end of the
 * disk (parted's "mklabel gpt mkpart primary 1MB 100%", but at an exact
 * 1 MiB boundary), then BLKRRPART and a wait for the partition's node.
 *
 * libparted is loaded when a disk is partitioned, not when vnvme starts:
 * Debian's libparted 3.5 runs "dmidecode -s system-manufacturer" through
 * popen() from its constructor (ped_disk_gpt_init), so every process that
 * links it forks a shell and dmidecode at load time. Linked, that was
 * every vnvme command (`vnvme status` in a monitoring loop included): 140
 * of the 260 ms a `vnvme --version` took in the lab's guest.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <parted/parted.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "internal.h"

#define GPT_START_BYTES (1024 * 1024)
/* Room after the partition for the backup GPT: 33 sectors at 512 bytes. */
#define GPT_BACKUP_BYTES (33 * VN_SECTOR_SIZE)
#define PART_NAME "vnvme"
#define NODE_WAIT_MS 10000

static const char *const type_names[VN_PART_TYPE_MAX] = {
	[VN_PART_RAID] = "raid",
	[VN_PART_LINUX] = "linux",
};

const char *vn_part_type_name(enum vn_part_type type)
{
	return type < VN_PART_TYPE_MAX ? type_names[type] : "?";
}

#define LIBPARTED_SONAME "libparted.so.2"

/* What vnvme uses of libparted, resolved by parted_load(). */
#define PARTED_FUNCS(X)                                                   \
	X(ped_constraint_destroy) X(ped_constraint_new) X(ped_device_destroy) \
	X(ped_device_get) X(ped_disk_add_partition) X(ped_disk_commit_to_dev) \
	X(ped_disk_destroy) X(ped_disk_new_fresh) X(ped_disk_type_get)        \
	X(ped_exception_set_handler) X(ped_geometry_destroy)                  \
	X(ped_geometry_new) X(ped_partition_destroy) X(ped_partition_new)     \
	X(ped_partition_set_flag) X(ped_partition_set_name)

static struct {
#define PARTED_DECL(f) __typeof__(f) *f;
	PARTED_FUNCS(PARTED_DECL)
#undef PARTED_DECL
	const PedAlignment *const *ped_alignment_any;
} P;

/*
 * dlopen libparted once; -ELIBACC with the loader's words when it fails (an
 * installation fault: the package depends on it), exit 1.
 */
static int parted_load(struct vn_ctx *ctx)
{
	static void *handle;
	const char *missing = NULL;
	void *h;

	if (handle)
		return 0;
	h = dlopen(LIBPARTED_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return vn_fail(ctx, -ELIBACC, "cannot load %s: %s", LIBPARTED_SONAME,
			       dlerror());
#define PARTED_SYM(f)                                   \
	if (!missing && !(P.f = (__typeof__(P.f))dlsym(h, #f))) \
		missing = #f;
	PARTED_FUNCS(PARTED_SYM)
	PARTED_SYM(ped_alignment_any)
#undef PARTED_SYM
	if (missing) {
		(void)dlclose(h);
		memset(&P, 0, sizeof(P));
		return vn_fail(ctx, -ELIBACC, "%s has no %s", LIBPARTED_SONAME, missing);
	}
	handle = h;
	return 0;
}

/*
 * libparted reports through a process-wide exception handler. Keep its last
 * message here (the library is not used from several threads) and answer
 * every question with "cancel", so it never prompts and never prints.
 */
static char parted_msg[256];

static PedExceptionOption on_parted_exception(PedException *ex)
{
	if (ex->type >= PED_EXCEPTION_ERROR || !parted_msg[0])
		vn_strlcpy(parted_msg, ex->message, sizeof(parted_msg));
	if (ex->type <= PED_EXCEPTION_WARNING && (ex->options & PED_EXCEPTION_IGNORE))
		return PED_EXCEPTION_IGNORE;
	if (ex->options & PED_EXCEPTION_CANCEL)
		return PED_EXCEPTION_CANCEL;
	return PED_EXCEPTION_UNHANDLED;
}

static void part_name_of(const char *disk, unsigned int partno, char *buf, size_t len)
{
	size_t n = strlen(disk);
	bool digit_end = n && disk[n - 1] >= '0' && disk[n - 1] <= '9';

	if (snprintf(buf, len, "%s%s%u", disk, digit_end ? "p" : "", partno) >= (int)len)
		buf[0] = '\0';	/* cannot happen with kernel names */
}

void vn_gpt_release(struct vn_gpt_claim *claim)
{
	if (claim->fd >= 0)
		(void)close(claim->fd);
	free(claim->head);
	free(claim->tail);
	*claim = (struct vn_gpt_claim){ .fd = -1 };
}

static int check(struct vn_ctx *ctx, const char *dev, bool force, struct vn_gpt_claim *claim);

int vn_gpt_check(struct vn_ctx *ctx, const char *dev, bool force, struct vn_gpt_claim *claim)
{
	struct vn_gpt_claim mine = { .fd = -1 };
	int r;

	if (!claim)
		claim = &mine;
	*claim = (struct vn_gpt_claim){ .fd = -1 };
	r = check(ctx, dev, force, claim);
	if (r < 0 || claim == &mine)
		vn_gpt_release(claim);
	return r;
}

static int check(struct vn_ctx *ctx, const char *dev, bool force, struct vn_gpt_claim *claim)
{
	struct vn_hold holds[VN_HOLDS_MAX];
	struct vn_sig sigs[VN_SIGS_MAX];
	struct vn_blkdev d, *parts = NULL;
	char path[VN_PATH_MAX], what[300];
	int r, n, np;
	struct stat st;

	r = vn_blk_get(ctx, dev, &d);
	if (r < 0)
		return r;
	if (d.partno)
		return vn_invalid(ctx, "/dev/%s is a partition; give the whole disk /dev/%s",
				  d.name, d.disk);
	if (d.readonly)
		return vn_fail(ctx, -EROFS, "/dev/%s is read-only", d.name);
	if (d.size_bytes < GPT_START_BYTES + GPT_BACKUP_BYTES + GPT_START_BYTES)
		return vn_invalid(ctx, "/dev/%s is too small (%llu bytes) for a partition",
				  d.name, (unsigned long long)d.size_bytes);

	n = vn_blk_holds(ctx, d.name, holds, VN_ARRAY_SIZE(holds));
	if (n < 0)
		return n;
	if (n > 0)
		return vn_refuse(ctx, -EBUSY, false, "%s",
				 vn_blk_describe_hold(&holds[0], what, sizeof(what)));

	/*
	 * The kernel's own answer: an exclusive open fails while anything holds
	 * it. Kept open until the write, nothing can claim the disk meanwhile.
	 */
	vn_strlcpy(claim->name, d.name, sizeof(claim->name));
	r = vn_path(ctx, path, sizeof(path), "/dev/%s", d.name);
	if (r < 0)
		return vn_fail(ctx, r, "/dev/%s: path too long", d.name);
	if (stat(path, &st) == 0 && S_ISBLK(st.st_mode)) {
		claim->fd = open(path, O_RDONLY | O_EXCL | O_CLOEXEC);
		if (claim->fd < 0 && errno == EBUSY)
			return vn_refuse(ctx, -EBUSY, false, "/dev/%s is in use", d.name);
		if (claim->fd < 0)
			return vn_fail(ctx, -errno, "cannot open /dev/%s: %s", d.name,
				       strerror(errno));
	}

	if (force)
		return 0;
	n = vn_probe_signatures(ctx, d.name, sigs, VN_ARRAY_SIZE(sigs));
	if (n < 0)
		return n;
	if (n > 0)
		return vn_refuse(ctx, -EEXIST, true, "/dev/%s holds %s", d.name,
				 vn_sig_describe(&sigs[0], what, sizeof(what)));
	/* where the new partition will start: an old one's data, table gone */
	n = vn_probe_signatures_at(ctx, d.name, GPT_START_BYTES, 0, sigs,
				   VN_ARRAY_SIZE(sigs));
	if (n > 0)
		return vn_refuse(ctx, -EEXIST, true, "/dev/%s holds %s at 1 MiB", d.name,
				 vn_sig_describe(&sigs[0], what, sizeof(what)));
	np = vn_blk_partitions(ctx, d.name, &parts);
	for (int i = 0; i < np; i++) {
		n = vn_probe_signatures(ctx, parts[i].name, sigs, VN_ARRAY_SIZE(sigs));
		if (n > 0) {
			r = vn_refuse(ctx, -EEXIST, true, "/dev/%s holds %s", parts[i].name,
				      vn_sig_describe(&sigs[0], what, sizeof(what)));
			free(parts);
			return r;
		}
	}
	free(parts);
	if (np > 0)
		return vn_refuse(ctx, -EEXIST, true, "/dev/%s has %d partition%s", d.name,
				 np, np == 1 ? "" : "s");
	return 0;
}

/* Lay out the label in memory. Nothing is written. */
static int plan_label(struct vn_ctx *ctx, PedDevice *pdev, enum vn_part_type type,
		      PedDisk **ret_disk, PedPartition **ret_part)
{
	const PedDiskType *gpt = P.ped_disk_type_get("gpt");
	PedConstraint *constraint = NULL;
	PedGeometry *start_range = NULL, *end_range = NULL;
	PedPartition *part;
	PedDisk *disk;
	PedSector start, last;
	int r = 0;

	if (!gpt)
		return vn_nosupport(ctx, -ENOTSUP, "libparted has no GPT support");
	disk = P.ped_disk_new_fresh(pdev, gpt);
	if (!disk)
		return vn_fail(ctx, -EIO, "cannot lay out a GPT on %s: %s", pdev->path,
			       parted_msg);
	start = GPT_START_BYTES / pdev->sector_size;
	last = pdev->length - 1;
	part = P.ped_partition_new(disk, PED_PARTITION_NORMAL, NULL, start, last);
	if (!part) {
		r = vn_fail(ctx, -EIO, "cannot create a partition on %s: %s",
			    pdev->path, parted_msg);
		goto out_disk;
	}
	/* the start exactly at 1 MiB; the end anywhere up to the backup GPT */
	start_range = P.ped_geometry_new(pdev, start, 1);
	end_range = P.ped_geometry_new(pdev, start, pdev->length - start);
	if (start_range && end_range)
		constraint = P.ped_constraint_new(*P.ped_alignment_any, *P.ped_alignment_any,
						  start_range, end_range, 1, pdev->length);
	if (!constraint || !P.ped_disk_add_partition(disk, part, constraint)) {
		r = vn_fail(ctx, -EIO, "cannot place a partition at 1 MiB on %s: %s",
			    pdev->path, parted_msg);
		P.ped_partition_destroy(part);
		goto out_constraint;
	}
	if (!P.ped_partition_set_name(part, PART_NAME) ||
	    (type == VN_PART_RAID && !P.ped_partition_set_flag(part, PED_PARTITION_RAID, 1))) {
		r = vn_fail(ctx, -EIO, "cannot set the partition type on %s: %s",
			    pdev->path, parted_msg);
		goto out_constraint;
	}
	*ret_disk = disk;
	*ret_part = part;
	disk = NULL;
out_constraint:
	if (constraint)
		P.ped_constraint_destroy(constraint);
	if (start_range)
		P.ped_geometry_destroy(start_range);
	if (end_range)
		P.ped_geometry_destroy(end_range);
out_disk:
	if (disk)
		P.ped_disk_destroy(disk);
	return r;
}

static int reread_table(struct vn_ctx *ctx, const char *path)
{
	_cleanup_close_ int fd = -1;
	struct stat st;

	if (!vn_action(ctx, "ioctl BLKRRPART %s", path))
		return 0;
	if (stat(path, &st) < 0 || !S_ISBLK(st.st_mode))
		return 0;	/* an image file: there is no kernel table */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return vn_fail(ctx, -errno, "cannot open %s: %s", path, strerror(errno));
	for (int tries = 0; ioctl(fd, BLKRRPART) < 0; tries++) {
		/* a just-closed writer can keep the disk busy for a moment */
		if (errno != EBUSY || tries >= 20)
			return vn_fail(ctx, -errno, "the kernel did not re-read the "
				       "partition table of %s: %s", path, strerror(errno));
		vn_msleep(100);
	}
	return 0;
}

/*
 * Wait for /dev/<part>. devtmpfs or udev normally create it; with neither
 * (and only then) make it ourselves from the numbers sysfs gives.
 */
static int wait_node(struct vn_ctx *ctx, const char *disk, const char *part,
		     const char *disk_path)
{
	char path[VN_PATH_MAX], nums[32];
	unsigned int ma, mi;
	struct stat st;
	bool udev;

	if (stat(disk_path, &st) < 0 || !S_ISBLK(st.st_mode))
		return 0;
	if (vn_path(ctx, path, sizeof(path), "/dev/%s", part) < 0)
		return vn_fail(ctx, -ENAMETOOLONG, "/dev/%s: path too long", part);
	udev = vn_exists(ctx, "/run/udev/control");
	for (unsigned int waited = 0; waited < NODE_WAIT_MS; waited += 50) {
		if (stat(path, &st) == 0 && S_ISBLK(st.st_mode))
			return 0;
		vn_msleep(50);
	}
	if (udev || vn_read_str(ctx, nums, sizeof(nums), "/sys/block/%s/%s/dev",
				disk, part) <= 0 ||
	    sscanf(nums, "%u:%u", &ma, &mi) != 2)
		return vn_fail(ctx, -ETIMEDOUT, "%s did not appear", path);
	if (vn_action(ctx, "mknod %s b %u %u", path, ma, mi) &&
	    mknod(path, S_IFBLK | 0660, makedev(ma, mi)) < 0 && errno != EEXIST)
		return vn_fail(ctx, -errno, "cannot create %s: %s", path, strerror(errno));
	return 0;
}

#define SAVE_BYTES GPT_START_BYTES	/* the first and last MiB: both labels */

/* Keep the bytes the label will replace, for vn_gpt_undo(). */
static int save_labels(struct vn_ctx *ctx, struct vn_gpt_claim *claim, const char *path,
		       uint64_t size)
{
	_cleanup_close_ int own = -1;
	int fd = claim->fd, r;

	if (fd < 0) {
		own = open(path, O_RDONLY | O_CLOEXEC);
		if (own < 0)
			return vn_fail(ctx, -errno, "cannot open %s: %s", path, strerror(errno));
		fd = own;
	}
	claim->head_len = claim->tail_len = SAVE_BYTES;
	claim->tail_off = size - SAVE_BYTES;
	claim->head = malloc(SAVE_BYTES);
	claim->tail = malloc(SAVE_BYTES);
	if (!claim->head || !claim->tail)
		return vn_fail(ctx, -ENOMEM, "out of memory");
	r = vn_pread_full(fd, claim->head, claim->head_len, 0);
	if (r == 0)
		r = vn_pread_full(fd, claim->tail, claim->tail_len, claim->tail_off);
	if (r < 0)
		return vn_fail(ctx, r, "cannot read %s: %s", path, strerror(-r));
	claim->saved = true;
	return 0;
}

int vn_gpt_undo(struct vn_ctx *ctx, struct vn_gpt_claim *claim)
{
	char path[VN_PATH_MAX];
	int fd, r;

	if (!claim->saved)
		return 0;
	if (vn_path(ctx, path, sizeof(path), "/dev/%s", claim->name) < 0)
		return vn_fail(ctx, -ENAMETOOLONG, "/dev/%s: path too long", claim->name);
	if (!vn_action(ctx, "put back the first and last MiB of %s (undo)", path))
		return 0;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return vn_fail(ctx, -errno, "cannot open %s: %s", path, strerror(errno));
	r = vn_pwrite_full(fd, claim->head, claim->head_len, 0);
	if (r == 0)
		r = vn_pwrite_full(fd, claim->tail, claim->tail_len, claim->tail_off);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	(void)close(fd);
	if (r < 0)
		return vn_fail(ctx, r, "cannot write %s: %s", path, strerror(-r));
	claim->saved = false;
	return reread_table(ctx, path);
}

int vn_gpt_partition(struct vn_ctx *ctx, const char *dev, enum vn_part_type type,
		     bool wipe, struct vn_gpt_claim *claim, struct vn_part_result *ret)
{
	struct vn_gpt_claim none = { .fd = -1 };
	struct vn_part_result res = { 0 };
	PedPartition *part = NULL;
	PedDisk *disk = NULL;
	PedDevice *pdev;
	char path[VN_PATH_MAX];
	struct vn_blkdev d;
	uint64_t v;
	int r;

	r = vn_blk_get(ctx, dev, &d);
	if (r < 0)
		return r;
	r = vn_path(ctx, path, sizeof(path), "/dev/%s", d.name);
	if (r < 0)
		return vn_fail(ctx, r, "/dev/%s: path too long", d.name);

	r = parted_load(ctx);
	if (r < 0)
		return r;
	parted_msg[0] = '\0';
	P.ped_exception_set_handler(on_parted_exception);
	pdev = P.ped_device_get(path);
	if (!pdev)
		return vn_fail(ctx, -ENODEV, "libparted cannot open %s: %s", path, parted_msg);
	r = plan_label(ctx, pdev, type, &disk, &part);
	if (r < 0)
		goto out_dev;

	vn_strlcpy(res.disk, d.name, sizeof(res.disk));
	part_name_of(d.name, (unsigned int)part->num, res.part, sizeof(res.part));
	res.start_sector = (uint64_t)part->geom.start;
	res.end_sector = (uint64_t)part->geom.end;
	res.sector_size = (unsigned int)pdev->sector_size;
	res.size_bytes = (uint64_t)part->geom.length * res.sector_size;

	r = vn_stop_point(ctx, "gpt-write");
	if (r == 0 && claim && !vn_ctx_dry_run(ctx))
		r = save_labels(ctx, claim, path,
				(uint64_t)pdev->length * (uint64_t)pdev->sector_size);
	if (!claim)
		claim = &none;
	if (r < 0)
		goto out_disk;
	if (vn_action(ctx, "write GPT to %s: partition %d %s, sectors %llu-%llu "
		      "(%llu bytes), type %s", path, part->num, res.part,
		      (unsigned long long)res.start_sector,
		      (unsigned long long)res.end_sector,
		      (unsigned long long)res.size_bytes, vn_part_type_name(type)) &&
	    !P.ped_disk_commit_to_dev(disk)) {
		r = vn_fail(ctx, -EIO, "cannot write the GPT to %s: %s", path, parted_msg);
		goto out_disk;
	}
	P.ped_disk_destroy(disk);
	disk = NULL;
	P.ped_device_destroy(pdev);
	pdev = NULL;

	/*
	 * An old filesystem that started at the same offset would show through
	 * the new partition: wipe inside its range, through the disk itself.
	 */
	if (wipe) {
		r = vn_probe_wipe(ctx, d.name, res.start_sector * res.sector_size,
				  res.size_bytes);
		if (r < 0)
			goto out;
	}
	/* written: the kernel's re-read needs the disk not held exclusively */
	if (claim->fd >= 0) {
		(void)close(claim->fd);
		claim->fd = -1;
	}
	r = reread_table(ctx, path);
	if (r < 0)
		goto out;
	if (!vn_ctx_dry_run(ctx)) {
		r = wait_node(ctx, d.name, res.part, path);
		if (r < 0)
			goto out;
		/* what the kernel made of it */
		if (vn_read_u64(ctx, &v, "/sys/block/%s/%s/size", d.name, res.part) == 0)
			res.size_bytes = v * VN_SECTOR_SIZE;
	}
	*ret = res;
	r = 0;
	goto out;
out_disk:
	P.ped_disk_destroy(disk);
out_dev:
	P.ped_device_destroy(pdev);
out:
	P.ped_exception_set_handler(NULL);
	if (claim == &none)
		vn_gpt_release(&none);
	return r;
}
