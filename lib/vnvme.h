/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * libvnvme: the kernel interfaces behind vnvme, one module per interface.
 *
 * Conventions (every call in this header):
 *  - Returns 0 (or a count) on success and a negative errno on failure.
 *  - Never prints, never exits. On failure the context holds one line saying
 *    what is wrong (vn_ctx_error()), and a class saying what kind of failure
 *    it is (vn_ctx_error_kind()); the caller turns those into a message and
 *    an exit code.
 *  - Every sysfs/procfs/configfs/dev path is joined under the context's root
 *    (default "/"), so the logic can run against a captured tree.
 *  - Every change to the system (file write, ioctl, device node, on-disk
 *    label) goes through one helper that records it as an action and, in
 *    dry-run mode, records it without doing it.
 *  - Output parameters (ret_*) are left untouched on failure.
 */
#ifndef VNVME_H
#define VNVME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vn_ctx;

/* What kind of failure the context's error is. */
enum vn_err_kind {
	VN_ERR_NONE = 0,
	VN_ERR_FAILED,		/* the operation failed */
	VN_ERR_INVALID,		/* the request itself is wrong (bad name, value) */
	VN_ERR_UNSAFE,		/* refused: data would be lost or object in use */
	VN_ERR_NOSUPPORT,	/* kernel support (module, filesystem) missing */
	VN_ERR_PERM,		/* not permitted */
};

/* Called once for every change the library makes (or would make). */
typedef void (*vn_action_fn)(void *data, bool dry_run, const char *action);

struct vn_ctx *vn_ctx_new(void);
void vn_ctx_free(struct vn_ctx *ctx);
/* Root prefix for every system path; NULL or "" means "/". */
int vn_ctx_set_root(struct vn_ctx *ctx, const char *root);
const char *vn_ctx_root(const struct vn_ctx *ctx);
void vn_ctx_set_dry_run(struct vn_ctx *ctx, bool dry_run);
bool vn_ctx_dry_run(const struct vn_ctx *ctx);
void vn_ctx_set_action_cb(struct vn_ctx *ctx, vn_action_fn fn, void *data);
/* The last failure: one line, its class, and whether forcing overrides it. */
const char *vn_ctx_error(const struct vn_ctx *ctx);
enum vn_err_kind vn_ctx_error_kind(const struct vn_ctx *ctx);
bool vn_ctx_error_forceable(const struct vn_ctx *ctx);
void vn_ctx_clear_error(struct vn_ctx *ctx);

/* ---- sizes (lib/size.c) ---- */

/*
 * vn_size_parse() - parse "2048", "512K", "2G", "1.5GiB", "4096B".
 * @default_unit: multiplier for a bare number (1 for bytes, 1 << 20 for MiB).
 * K/M/G/T/P/E and KiB.. are binary (1024-based); KB/MB/.. are decimal.
 * Return: 0, or -EINVAL (syntax) / -ERANGE (overflow).
 */
int vn_size_parse(const char *s, uint64_t default_unit, uint64_t *ret_bytes);
/* vn_size_format() - "256 MiB", "7.0 TiB", "512 B"; returns buf. */
char *vn_size_format(uint64_t bytes, char *buf, size_t len);

/* ---- block devices (lib/blockdev.c) ---- */

enum vn_blk_kind {
	VN_BLK_HDD,
	VN_BLK_SSD,
	VN_BLK_NVME,
	VN_BLK_MD,
	VN_BLK_DM,
	VN_BLK_LOOP,
	VN_BLK_RAM,
	VN_BLK_OTHER,
	VN_BLK_KIND_MAX,
};
const char *vn_blk_kind_name(enum vn_blk_kind kind);

#define VN_NAME_MAX 64

struct vn_blkdev {
	char name[VN_NAME_MAX];		/* kernel name: sda, sda1, nvme0n1p1 */
	char disk[VN_NAME_MAX];		/* whole disk of a partition, else name */
	char dm_name[VN_NAME_MAX];	/* dm devices: the mapped name */
	unsigned int major, minor;
	unsigned int partno;		/* 0 for a whole disk */
	uint64_t size_bytes;
	unsigned int logical_block_size;
	bool rotational;
	bool removable;
	bool readonly;
	enum vn_blk_kind kind;
	char transport[16];		/* "nvme", "tcp", "scsi", "" */
	char model[64];
	char serial[64];
};

/* Why a device is busy. */
enum vn_hold_kind {
	VN_HOLD_MOUNTED,
	VN_HOLD_MD,
	VN_HOLD_DM,
	VN_HOLD_SWAP,
	VN_HOLD_EXPORTED,
	VN_HOLD_OTHER,
	VN_HOLD_KIND_MAX,
};
const char *vn_hold_kind_name(enum vn_hold_kind kind);

struct vn_hold {
	enum vn_hold_kind kind;
	char dev[VN_NAME_MAX];	/* the device held: the disk or one of its partitions */
	char by[256];		/* mount point, md0, dm-0 (name), swap, NQN */
};

#define VN_HOLDS_MAX 16

/*
 * vn_blk_list() - every block device: each disk followed by its partitions.
 * Loop and RAM devices without media (size 0) are left out.
 * Return: the number of devices; *ret_devs is malloc'ed (free()).
 */
int vn_blk_list(struct vn_ctx *ctx, struct vn_blkdev **ret_devs);
/* vn_blk_get() - one device by kernel name or path ("/dev/sda", "sda"). */
int vn_blk_get(struct vn_ctx *ctx, const char *dev, struct vn_blkdev *ret);
/* vn_blk_partitions() - the partitions of a disk. Return: their number. */
int vn_blk_partitions(struct vn_ctx *ctx, const char *disk,
		      struct vn_blkdev **ret_parts);
/*
 * vn_blk_holds() - what holds the device or any of its partitions: mounts,
 * md/dm holders, swap, NVMe target namespaces. Return: their number.
 */
int vn_blk_holds(struct vn_ctx *ctx, const char *name,
		 struct vn_hold *ret_holds, size_t max);
/* vn_blk_describe_hold() - "mounted on /mnt", "member of md0", ... */
char *vn_blk_describe_hold(const struct vn_hold *h, char *buf, size_t len);
/* vn_blk_devpath() - "/dev/<name>" for a kernel name (dm: /dev/mapper/NAME). */
char *vn_blk_devpath(const struct vn_blkdev *d, char *buf, size_t len);

/* ---- on-disk signatures (lib/probe.c, libblkid) ---- */

struct vn_sig {
	char type[32];		/* "ext4", "linux_raid_member", "gpt" */
	char usage[16];		/* "filesystem", "raid", "partition table", ... */
	char label[64];
	char uuid[64];
	uint64_t offset;
};

#define VN_SIGS_MAX 8

/* vn_probe_signatures() - every signature libblkid finds on a device. */
int vn_probe_signatures(struct vn_ctx *ctx, const char *name,
			struct vn_sig *ret_sigs, size_t max);
/* vn_sig_describe() - "an ext4 filesystem", "a gpt partition table". */
char *vn_sig_describe(const struct vn_sig *s, char *buf, size_t len);
/* vn_probe_wipe() - erase every signature's magic (wipefs -a). Return: count. */
int vn_probe_wipe(struct vn_ctx *ctx, const char *name);

/* ---- GPT partitioning (lib/gpt.c, libparted) ---- */

enum vn_part_type {
	VN_PART_RAID,	/* GPT type Linux RAID */
	VN_PART_LINUX,	/* GPT type Linux filesystem */
	VN_PART_TYPE_MAX,
};
const char *vn_part_type_name(enum vn_part_type type);

struct vn_part_result {
	char disk[VN_NAME_MAX];
	char part[VN_NAME_MAX];		/* kernel name of the new partition */
	uint64_t start_sector;		/* in logical sectors */
	uint64_t end_sector;		/* inclusive */
	unsigned int sector_size;
	uint64_t size_bytes;
};

/*
 * vn_gpt_check() - can the disk be partitioned? Refuses (VN_ERR_UNSAFE)
 * a disk that is mounted or held (md, dm, swap, exported), a partition,
 * and, unless @force, a disk holding any signature libblkid finds, on
 * itself or on one of its partitions.
 */
int vn_gpt_check(struct vn_ctx *ctx, const char *dev, bool force);
/*
 * vn_gpt_partition() - write a fresh GPT with one partition from 1 MiB to
 * the end of the disk, make the kernel re-read it and wait for the node;
 * with @wipe, erase any old signature the new partition shows (an old
 * filesystem that started at the same offset). Call vn_gpt_check() first.
 * In dry-run mode, computes and records the plan.
 */
int vn_gpt_partition(struct vn_ctx *ctx, const char *dev,
		     enum vn_part_type type, bool wipe,
		     struct vn_part_result *ret);

/* ---- md RAID and its write journal (lib/md_super.c, lib/md.c) ---- */

/* ---- RAM read cache (lib/dm.c, lib/rapiddisk.c, lib/cache*.c) ---- */

/* ---- NVMe over TCP: target (lib/nvmet.c) and host (lib/nvme_host.c) ---- */

#endif /* VNVME_H */
