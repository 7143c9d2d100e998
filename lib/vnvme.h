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
 *  - The context (struct vn_ctx, opaque here) is made by vn_ctx_new() and
 *    passed first to every call that touches the system; pure functions
 *    (parsers, size rules) take none.
 *  - Dry run (vn_ctx_set_dry_run()): checks run and read as usual, changes
 *    are only reported through the action callback.
 *  - Undo: a call that fails midway undoes its own changes, newest first,
 *    and keeps its first error; what it undid, or could not, is appended to
 *    that error ("...; erased the 3 superblocks written").
 *
 * This header is all cmd/ includes (through cmd/commands.h). The pieces
 * below it stay private to lib/: internal.h (the context, errors, paths,
 * the module loader, the rollback helpers), md_super.h (the superblock
 * codec), dm_priv.h (raw device-mapper ioctls), cache_priv.h,
 * md_private.h and nvmet_priv.h (one module's shared helpers).
 */
#ifndef VNVME_H
#define VNVME_H

#include <signal.h>
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
	VN_ERR_INTERRUPTED,	/* stopped by a signal, what was done undone */
	VN_ERR_PARTIAL,		/* failed, and some of what was done is not undone */
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
/*
 * vn_ctx_set_stop() - @flag is what the caller's SIGINT/SIGTERM handler sets
 * (to the signal's number; 0 until then). A change of several steps looks
 * at it between its steps: once it is set, the change does no further step,
 * undoes what it did and fails with -EINTR (VN_ERR_INTERRUPTED); the undo
 * itself is never stopped. A signal after the last step lets the change
 * complete. NULL: never stopped.
 */
void vn_ctx_set_stop(struct vn_ctx *ctx, const volatile sig_atomic_t *flag);
/* The signal that stopped a change (vn_ctx_set_stop's flag), or 0. */
int vn_ctx_stop_signal(const struct vn_ctx *ctx);
/*
 * vn_stop_point() - between two steps of a change: has a signal asked to
 * stop (vn_ctx_set_stop)? Only the first call after the signal says so, and
 * none while an error is set or inside vn_err_save() .. vn_err_restore():
 * an undo always runs to its end. @step names the next step for the
 * message and the test hook. The library calls it inside its changes; a
 * caller that chains several calls into one change calls it between them.
 * Return: 0 to go on, or -EINTR
 * (VN_ERR_INTERRUPTED) to undo and fail.
 *
 * Test hook: with VNVME_TEST_STOP_AT=STEP[:N] in the environment, the
 * process stops itself (SIGSTOP) at the Nth (default first) stop point
 * named STEP, so a test can act (send a signal, hold a device) at a known
 * step and then continue it (SIGCONT). Never set outside tests.
 */
int vn_stop_point(struct vn_ctx *ctx, const char *step);

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
	bool volatile_cache;		/* the disk's write cache is on: queue/write_cache
					 * or the device's cache_type says "write back" */
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

/*
 * The volatile write cache of the disks under a device. md's journal moves
 * its checkpoint in the same superblock round that flushes the members'
 * caches, so what md destaged can be lost with the checkpoint already past
 * it (vnvme-journal-mode(8), "Power loss"): vnvme turns the members' caches
 * off at the disk itself, never through queue/write_cache (that only changes
 * the kernel's idea of the disk and stops the flushes the cache needs).
 */
enum vn_wcache_state {
	VN_WCACHE_OFF,		/* no volatile cache: nothing to do */
	VN_WCACHE_TURNED_OFF,	/* turned off now (or, in a dry run, would be) */
	VN_WCACHE_NO_CONTROL,	/* volatile, and no way here to turn it off */
	VN_WCACHE_FAILED,	/* the disk refused: err */
};
const char *vn_wcache_state_name(enum vn_wcache_state state);

struct vn_wcache {
	char disk[VN_NAME_MAX];	/* the whole disk at the bottom: sdb */
	enum vn_wcache_state state;
	int err;		/* VN_WCACHE_FAILED: -errno */
};

/*
 * vn_blk_write_cache_off() - turn off the write cache of every disk under
 * block device @dev, a kernel name ("sdb1") or /dev/NAME (a partition's disk; dm and md devices followed down
 * through slaves/), appending one entry per disk not yet in @ret[0..*n):
 * SCSI and SATA disks through sd's scsi_disk/H:C:T:L/cache_type (a MODE
 * SELECT of the caching page; libata makes it SET FEATURES), virtio disks
 * through their cache_type. The setting lasts until the disk is reset or
 * power-cycled: apply it at every start. A disk that refuses is an entry,
 * not an error; @ret ends sorted by disk name. Return: 0, or -errno when @dev or sysfs cannot be read
 * (-ENOSPC when @max entries are not enough).
 */
int vn_blk_write_cache_off(struct vn_ctx *ctx, const char *dev, struct vn_wcache *ret,
			   size_t max, size_t *n);

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
/* vn_probe_signatures_at() - the same in the @size bytes at @offset (0: to the end). */
int vn_probe_signatures_at(struct vn_ctx *ctx, const char *name, uint64_t offset,
			   uint64_t size, struct vn_sig *ret_sigs, size_t max);
/* vn_sig_describe() - "an ext4 filesystem", "a gpt partition table". */
char *vn_sig_describe(const struct vn_sig *s, char *buf, size_t len);
/*
 * vn_probe_wipe() - erase the magic of every signature (wipefs -a) found in
 * the @size bytes at @offset of a device (0, 0: the whole device).
 * Return: how many were wiped.
 */
int vn_probe_wipe(struct vn_ctx *ctx, const char *name, uint64_t offset,
		  uint64_t size);

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
 * What vn_gpt_check() keeps for vn_gpt_partition(): the disk opened with
 * O_EXCL, so nothing can claim it (mount, md, dm) between the check and
 * the write; and the bytes the write replaces, so vn_gpt_undo() can put
 * them back. vn_gpt_check() fills it (fd -1 until the open); vn_gpt_release()
 * frees it.
 */
struct vn_gpt_claim {
	int fd;				/* O_EXCL on the disk; -1: none */
	char name[VN_NAME_MAX];
	unsigned char *head, *tail;	/* the first and the last GPT area */
	size_t head_len, tail_len;
	uint64_t tail_off;
	bool saved;
};
/*
 * vn_gpt_check() - can the disk be partitioned? Refuses (VN_ERR_UNSAFE)
 * a disk that is mounted or held (md, dm, swap, exported), a partition,
 * and, unless @force, a disk holding any signature libblkid finds, on
 * itself or on one of its partitions. With @claim, the exclusive open that
 * checked it stays open in @claim->fd (-1 for a file that is not a block
 * device); NULL: closed at once.
 */
int vn_gpt_check(struct vn_ctx *ctx, const char *dev, bool force,
		 struct vn_gpt_claim *claim);
/*
 * vn_gpt_partition() - write a fresh GPT with one partition from 1 MiB to
 * the end of the disk, make the kernel re-read it and wait for the node;
 * with @wipe, erase any old signature the new partition shows (an old
 * filesystem that started at the same offset). Call vn_gpt_check() first,
 * with the same @claim (or NULL): its exclusive open is held until the
 * table is written, and the bytes replaced are saved in it. A stop point
 * ("gpt-write", vn_ctx_set_stop) comes before the write: -EINTR, nothing
 * written. In dry-run mode, computes and records the plan.
 */
int vn_gpt_partition(struct vn_ctx *ctx, const char *dev,
		     enum vn_part_type type, bool wipe, struct vn_gpt_claim *claim,
		     struct vn_part_result *ret);
/*
 * vn_gpt_undo() - put back what vn_gpt_partition() replaced on the disk of
 * @claim (its first and last MiB) and make the kernel re-read the table.
 * Signatures that @wipe erased inside the partition are not put back.
 * Return: 0 (also when nothing was saved) or a negative errno.
 */
int vn_gpt_undo(struct vn_ctx *ctx, struct vn_gpt_claim *claim);
/* Close and free what @claim holds; it can be used again. */
void vn_gpt_release(struct vn_gpt_claim *claim);

/* ---- md RAID and its write journal (lib/md_super.c, lib/md.c) ---- */

/* On-disk v1.2 superblock (include/uapi/linux/raid/md_p.h, mdp_superblock_1). */
#define VN_MD_SB_MAGIC 0xa92b4efc	/* MD_SB_MAGIC */
#define VN_MD_SB_OFFSET 4096		/* v1.2: 4 KiB from the device start */
#define VN_MD_SB_BLOCK 4096		/* what vnvme reads and writes there */
#define VN_MD_SB_MAGIC 0xa92b4efc	/* MD_SB_MAGIC, md_p.h: every version */
#define VN_MD_MAX_DEV 1920		/* the kernel rejects more dev_roles */
#define VN_MD_ROLE_SPARE 0xffff
#define VN_MD_ROLE_FAULTY 0xfffe
#define VN_MD_ROLE_JOURNAL 0xfffd
#define VN_MD_FEATURE_JOURNAL 0x200	/* MD_FEATURE_JOURNAL */
#define VN_MD_MAX_SECTOR UINT64_MAX	/* resync_offset of a clean array */

struct vn_md_sb {
	uint32_t feature_map;
	uint8_t set_uuid[16];
	char set_name[33];		/* NUL-terminated copy of the 32 bytes */
	uint64_t ctime;
	int32_t level;
	uint32_t layout;
	uint64_t size;			/* component size, sectors */
	uint32_t chunksize;		/* sectors */
	uint32_t raid_disks;
	int32_t bitmap_offset;
	uint32_t new_level;
	uint64_t reshape_position;
	uint32_t delta_disks, new_layout, new_chunk;
	int32_t new_offset;
	uint64_t data_offset, data_size, super_offset;
	uint64_t recovery_offset;	/* journal_tail on the journal */
	uint32_t dev_number;
	uint32_t cnt_corrected_read;
	uint8_t device_uuid[16];
	uint8_t devflags, bblog_shift;
	uint16_t bblog_size;
	int32_t bblog_offset;
	uint64_t utime, events, resync_offset;
	uint32_t sb_csum;		/* as read; recomputed by encode */
	uint32_t max_dev;
	uint16_t dev_roles[VN_MD_MAX_DEV];
};

/* vn_md_level_name() - Return: "raid5" for 5 (0, 1, 4, 5, 6, 10); NULL if unknown. */
const char *vn_md_level_name(int level);

/* What mdadm --examine derives from a v1.2 superblock (mdadm 4.2's examine_super1). */
struct vn_md_sb_view {
	uint64_t array_bytes;		/* the array's size; 0 for raid0 (mdadm shows none) */
	bool unused_known;		/* space_before/after known and shown by mdadm */
	int64_t space_before, space_after;	/* sectors unused around the data */
	bool truncated;			/* the device is smaller than the data needs */
	bool clean;			/* resync_offset is the max sector: "clean" */
	unsigned int role;		/* dev_roles[dev_number]: slot or VN_MD_ROLE_* */
	char role_text[32];		/* "Active device 0", "Journal", "spare" */
	char array_state[VN_MD_MAX_DEV + 1];	/* a letter per slot: A, . (missing), R, ? */
	char layout[32];		/* "left-symmetric", "near=2"; "" when mdadm shows none */
	bool chunk_shown;		/* levels with a chunk: 0, 4, 5, 6, 10 */
	bool csum_ok;
	uint32_t csum_expected;
};

/*
 * vn_md_sb_view() - derive what mdadm --examine shows from @sb on a device
 * of @dev_sectors (0: unknown, then no unused space). Return: 0 or -EINVAL.
 */
int vn_md_sb_view(const struct vn_md_sb *sb, uint64_t dev_sectors, struct vn_md_sb_view *ret);

/* One array as /proc/mdstat and md/ sysfs describe it. */
struct vn_md_member {
	char name[VN_NAME_MAX];		/* sda1 */
	int number;			/* dev_number, mdstat's [n] */
	int slot;			/* -1: none (spare, faulty), -2: journal */
	char state[64];			/* dev-X/state: in_sync, journal, faulty,... */
	bool journal, faulty, spare, replacement;
	uint64_t size_bytes;
};

#define VN_MD_MEMBERS_MAX 32

struct vn_md_status {
	char name[VN_NAME_MAX];		/* md0 */
	bool active;			/* mdstat "active" */
	bool readonly;
	char level[16];			/* md/level: "raid5" */
	uint64_t size_bytes;		/* array size */
	uint64_t component_bytes;
	unsigned int chunk_bytes;
	unsigned int raid_disks;
	unsigned int degraded;
	char array_state[32];
	char sync_action[16];		/* idle, resync, recover, check, ... */
	bool syncing;			/* a resync/recovery/reshape/check runs */
	double sync_percent;		/* -1 when none */
	uint64_t sync_done_kib, sync_total_kib;
	uint64_t sync_speed_kib;	/* K/sec */
	double sync_finish_min;		/* mdstat's finish= estimate, -1 if none */
	char journal_mode[16];		/* "write-back", "write-through", "" */
	char consistency_policy[16];
	char uuid[40];			/* 8-4-4-4-12 */
	uint64_t events;		/* from a member's superblock; 0 if unknown */
	char health[16];		/* [UUU_] text: "UUU_" */
	unsigned int nmembers;
	struct vn_md_member members[VN_MD_MEMBERS_MAX];
};

/*
 * vn_md_mdstat_parse() - parse /proc/mdstat text into arrays (name, active,
 * level, members with number and (J)(F)(S)(R) marks, size, health, progress).
 * Return: number of arrays filled (up to @max).
 */
int vn_md_mdstat_parse(const char *text, struct vn_md_status *ret, size_t max);
/* vn_md_status() - /proc/mdstat plus md/ sysfs for one array. Return: 0 or -errno. */
int vn_md_status(struct vn_ctx *ctx, const char *md, struct vn_md_status *ret);
/* vn_md_list() - every array in /proc/mdstat. Return: count, *ret malloc'ed. */
int vn_md_list(struct vn_ctx *ctx, struct vn_md_status **ret);

struct vn_md_create_req {
	int level;			/* 0, 1, 4, 5, 6, 10 */
	unsigned int chunk_kib;		/* 0: default (512; none for raid1) */
	const char *name;		/* NULL: the md minor, as mdadm */
	bool assume_clean;
	bool force;			/* accept devices that hold signatures */
	const char *journal;		/* NULL: none */
	const char *const *members;
	unsigned int nmembers;
};

struct vn_md_create_result {
	char md[VN_NAME_MAX];		/* md0 */
	uint64_t size_bytes;		/* array size */
	uint64_t component_sectors;
	uint64_t data_offset;		/* sectors */
	char uuid[40];
	bool syncing;			/* initial resync/recovery started */
};

/*
 * vn_md_create() - check every device, write v1.2 superblocks (and the
 * journal's empty log), then create and run the array through the md
 * ioctls. Nothing is written until every check passed; if the kernel
 * refuses, the array is stopped and the superblocks written are erased.
 * Refusals (VN_ERR_UNSAFE): mounted/held/open members, signatures (forceable),
 * a device twice, journal also a member, too small, sizes differing by more
 * than 1% (forceable), too few members, a journal on a level without one.
 * Return: 0 or a negative errno.
 */
int vn_md_create(struct vn_ctx *ctx, const char *md,
		 const struct vn_md_create_req *req, struct vn_md_create_result *ret);

struct vn_md_assemble_req {
	const char *const *devices;	/* members and journal; NULL with scan */
	unsigned int ndevices;
	bool run;			/* start degraded */
	bool force;
};

/*
 * vn_md_assemble() - read the devices' superblocks, check they form one
 * array with its journal, and start it as @md (NULL: from its name or
 * the first free mdN; the name used is copied to @ret_md).
 * Return: 0 or a negative errno.
 */
int vn_md_assemble(struct vn_ctx *ctx, const char *md,
		   const struct vn_md_assemble_req *req, char *ret_md, size_t len);
/*
 * vn_md_scan() - every device libblkid calls linux_raid_member and that no
 * array holds, grouped by array UUID. Calls @fn once per array with its
 * devices. Return: number of arrays found.
 */
int vn_md_scan(struct vn_ctx *ctx,
	       int (*fn)(void *data, const char *uuid, const char *name,
			 const char *const *devs, unsigned int n),
	       void *data);

/*
 * vn_md_stop() - stop an array without the raid5-cache hang: refuse
 * (VN_ERR_UNSAFE) when it is mounted, held or open; switch a write-back
 * journal to write-through, flush and wait (bounded) for the stripe cache
 * to drain, then STOP_ARRAY. The journal disk's discard is off during the
 * quiesce (md's journal can hang on it); where the kernel does not take it
 * back (6.12), the context's message says so after a success too: a warning
 * for the caller. Return: 0 or a negative errno.
 */
int vn_md_stop(struct vn_ctx *ctx, const char *md);
/*
 * vn_md_wait_timeout() - wait until no resync, recovery, reshape or check
 * runs, polling every 100 ms; @progress (may be NULL) gets every poll's
 * status and the last one (also on a timeout). @timeout_ms < 0: no limit.
 * Return: 0; -ETIMEDOUT when it still ran after @timeout_ms; -errno.
 */
int vn_md_wait_timeout(struct vn_ctx *ctx, const char *md, long timeout_ms,
		       void (*progress)(void *data, const struct vn_md_status *st),
		       void *data);
/* vn_md_wait() - vn_md_wait_timeout() without a limit. */
int vn_md_wait(struct vn_ctx *ctx, const char *md,
	       void (*progress)(void *data, const struct vn_md_status *st),
	       void *data);
/*
 * vn_md_sync_left() - seconds left of the running resync/recovery/check,
 * from md's own estimate (mdstat's finish=), rounded. What raid status,
 * raid wait and status show. Return: seconds, or -1 when md gives none.
 */
int64_t vn_md_sync_left(const struct vn_md_status *st);
/* Member management on a running array. Return: 0 or a negative errno. */
int vn_md_fail(struct vn_ctx *ctx, const char *md, const char *dev);
int vn_md_remove(struct vn_ctx *ctx, const char *md, const char *dev);
int vn_md_add(struct vn_ctx *ctx, const char *md, const char *dev, bool force);
/*
 * vn_md_add_journal() - a new write journal on @dev for a read-only @md
 * whose journal failed or is missing (a faulty one is removed first), then
 * the array read-write. Refuses an array without the journal feature, one
 * with a working journal, one not read-only, and (unless @force) one not
 * stopped clean. An add-journal cut off after md took @dev leaves @md
 * read-only with @dev as its working journal: then only sets it read-write.
 * Return: 0 when @dev was added, 1 when it only finished such a cut-off
 * add, or -errno.
 */
int vn_md_add_journal(struct vn_ctx *ctx, const char *md, const char *dev, bool force);
/*
 * vn_md_replace() - add @new_dev as a spare and mark @old want_replacement
 * (or, @old faulty or a spare, remove it); returns once md copies (or has
 * copied) onto @new_dev. Refuses a failed array, the journal, and a member
 * that is itself a copy in progress. A copy md does not start within 30 s
 * of no other sync is -ETIMEDOUT: want_replacement withdrawn and @new_dev taken out again (a
 * faulty @old stays out, @new_dev a spare).
 */
int vn_md_replace(struct vn_ctx *ctx, const char *md, const char *old,
		  const char *new_dev, bool force);

/*
 * vn_md_replace_unfinished() - after the rebuild: 1 when @old is still a
 * working member of @md (md rebuilt a missing member instead), its
 * want_replacement then withdrawn; else 0.
 */
int vn_md_replace_unfinished(struct vn_ctx *ctx, const char *md, const char *old);

/*
 * vn_md_journal_mode() - read the journal mode into @ret ("write-back"),
 * and with @mode set it. Refuses (VN_ERR_UNSAFE) with no journal, degraded,
 * and (unless @force) while a resync or recovery runs. A switch to
 * write-through on 6.7+ quiesces with discard off, as vn_md_stop() (which
 * see for the warning left in the context). Return: 0 or a negative errno.
 */
int vn_md_journal_mode(struct vn_ctx *ctx, const char *md, const char *mode,
		       bool force, char *ret, size_t len);
/*
 * vn_md_writeback_fails_on_degrade() - true on kernels (6.7 and later) where
 * md's own switch out of write-back, when a member fails under write load,
 * hits a kernel BUG and hangs the array (seen on 6.12): a warning for whoever
 * turns write-back on.
 */
bool vn_md_writeback_fails_on_degrade(struct vn_ctx *ctx);

/* ---- md RAID-4/5/6 tuning and journal sizing (lib/md_tune.c) ---- */

#define VN_MD_STRIPE_CACHE_DEFAULT 256	/* md's stripe_cache_size at every start */
#define VN_MD_STRIPE_CACHE_MAX 32768	/* raid5_set_cache_size's limit */

/* The md/ attributes vnvme tunes (md forgets them at every start). */
struct vn_md_tune {
	unsigned int stripe_cache_size;	/* stripes; memory: x 4 KiB x raid_disks */
	unsigned int group_thread_cnt;	/* raid5 worker threads; 0: raid5d alone */
};

/* What the default rule reads. */
struct vn_md_tune_input {
	int level;			/* 4, 5, 6 */
	unsigned int raid_disks;
	unsigned int chunk_kib;
	uint64_t component_bytes;	/* per member */
	uint64_t journal_bytes;		/* the journal's log space; 0: no journal */
	uint64_t mem_total;		/* MemTotal */
	/* working members whose disk's queue/write_cache is "write back" */
	unsigned int volatile_members;
};

/* What a write-back journal can absorb with the default tuning. */
struct vn_md_journal_advice {
	uint64_t journal_bytes;
	uint64_t array_bytes;
	uint64_t journal_stripes;	/* stripes the log holds before it goes tight */
	uint64_t cache_mem_bytes;	/* RAM of the tuned stripe cache */
	uint64_t mem_bound_bytes;	/* the most the rule lets it take (MemTotal/8) */
	bool mem_limited;		/* the bound cut stripe_cache_size */
	uint64_t cache_hot_set_bytes;	/* hot set the stripe cache holds */
	/* 4 KiB random writes over a hot set of at most this: one pass at NVMe speed */
	uint64_t burst_hot_set_bytes;
	/* ... at most this: write-back beats the bare array in the steady state */
	uint64_t payoff_hot_set_bytes;
	bool too_small;			/* pays off only below 1/100 of the array */
	/* after a crash md may replay this many stripes (journal / 4 KiB)
	 * before the array runs, each at the members' random-I/O pace */
	uint64_t replay_stripes_max;
	bool replay_slow;		/* more than a GiB of log: an hour or more */
	/* members with a volatile write cache: a power cut while md moves the
	 * journal's checkpoint can lose what md wrote into them */
	unsigned int volatile_members;
};

/*
 * vn_md_tune_rule() - vnvme's default tuning from @in (pure): a stripe cache
 * twice the stripes the journal holds before md's reclaim forces flushes,
 * rounded up to 256, within 256..32768 and MemTotal/8; group_thread_cnt 0.
 * No journal: md's defaults. @ret_advice may be NULL.
 * Return: 0, or -EINVAL for a level without a stripe cache.
 */
int vn_md_tune_rule(const struct vn_md_tune_input *in, struct vn_md_tune *ret,
		    struct vn_md_journal_advice *ret_advice);
/*
 * vn_md_journal_gain() - modelled steady gain of write-back over a bare
 * array for 4 KiB random writes over @hot_set bytes (lib/md_tune.c).
 * Return: the factor; 0 when the hot set leaves the journal no room.
 */
double vn_md_journal_gain(const struct vn_md_tune_input *in, uint64_t hot_set);
/* vn_md_tune_input() - the rule's inputs for a running array. Return: 0/-errno. */
int vn_md_tune_input(struct vn_ctx *ctx, const char *md, struct vn_md_tune_input *ret);
/*
 * vn_md_tune_default() - vnvme's tuning for a running raid4/5/6 array.
 * Refuses (VN_ERR_UNSAFE, -EOPNOTSUPP) other levels. Return: 0 or -errno.
 */
int vn_md_tune_default(struct vn_ctx *ctx, const char *md, struct vn_md_tune *ret);
/* vn_md_tune_get() - the values md runs with now. Return: 0 or -errno. */
int vn_md_tune_get(struct vn_ctx *ctx, const char *md, struct vn_md_tune *ret);
/*
 * vn_md_tune_apply() - write the values that differ (stripe_cache_size
 * 17..32768, group_thread_cnt 0..8). Return: 0 or -errno (-ENOMEM when the
 * kernel cannot allocate the stripes).
 */
int vn_md_tune_apply(struct vn_ctx *ctx, const char *md, const struct vn_md_tune *t);
/*
 * vn_md_write_caches_off() - vn_blk_write_cache_off() for every member of
 * running array @md that is not its journal, when it has a journal (md's own
 * flushes keep an array without one safe). *@n: the entries in @ret (0: no
 * journal), also those made before an error. Return: 0 or -errno.
 */
int vn_md_write_caches_off(struct vn_ctx *ctx, const char *md, struct vn_wcache *ret,
			   size_t max, size_t *n);
/* vn_md_journal_advice() - vn_md_tune_rule()'s advice for a running array. */
int vn_md_journal_advice(struct vn_ctx *ctx, const char *md,
			 struct vn_md_journal_advice *ret);

/* One sentence of the journal advice, as raid create and check both say it. */
struct vn_advice_line {
	bool warn;		/* a warning; else what the journal can do */
	char text[320];		/* what is so */
	const char *remedy;	/* a warning's consequence or remedy (static text) */
};
#define VN_ADVICE_LINES_MAX 5
/*
 * vn_md_journal_advice_lines() - @a in sentences: first what the journal
 * absorbs (the caller names the journal before it), then a warning each for
 * a memory-bound stripe cache, a journal too small, a long replay, members
 * with a volatile write cache.
 * @lines: room for VN_ADVICE_LINES_MAX. Return: how many (0: no journal).
 */
unsigned int vn_md_journal_advice_lines(const struct vn_md_journal_advice *a,
					 struct vn_advice_line *lines);

/* ---- RAM read cache (lib/dm.c, lib/rapiddisk.c, lib/cache*.c) ---- */

/* RapidDisk RAM disks (lib/rapiddisk.c). */
struct vn_ramdisk {
	char name[VN_NAME_MAX];		/* rd0 */
	uint64_t size_bytes;
	uint64_t used_bytes;		/* pages written so far */
	uint64_t errors;
	char mapped_by[VN_NAME_MAX];	/* the dm name holding it, or "" */
};

int vn_rapiddisk_load(struct vn_ctx *ctx);
int vn_rapiddisk_add(struct vn_ctx *ctx, uint64_t bytes, char *ret_name, size_t len);
int vn_rapiddisk_remove(struct vn_ctx *ctx, const char *name);
int vn_rapiddisk_list(struct vn_ctx *ctx, struct vn_ramdisk **ret);
/* vn_ram_check() - refuse @bytes of RAM beyond MemAvailable less headroom. */
int vn_ram_check(struct vn_ctx *ctx, uint64_t bytes, const char *what);

/* The cache mapping (lib/cache.c, engines lib/cache_rapiddisk.c, cache_dmcache.c). */
enum vn_cache_mode {
	VN_CACHE_WA,	/* write-around: writes go to the target only */
	VN_CACHE_WT,	/* write-through: writes go to both */
	VN_CACHE_WB,	/* write-back: writes acknowledged from RAM (unsafe) */
	VN_CACHE_MODE_MAX,
};
const char *vn_cache_mode_name(enum vn_cache_mode mode);	/* "wa", "wt", "wb" */
int vn_cache_mode_parse(const char *s, enum vn_cache_mode *ret);

#define VN_CACHE_COUNTERS_MAX 24

struct vn_cache_counter {
	char key[32];		/* snake_case: "cache_hits", "read_misses" */
	uint64_t value;
};

struct vn_cache_stats {
	uint64_t reads, writes;		/* I/Os seen by the mapping */
	uint64_t read_hits, read_misses;
	uint64_t write_hits, write_misses;
	uint64_t cache_blocks_used, cache_blocks_total;	/* 0 when unknown */
	unsigned int n_counters;	/* every counter of the engine, raw */
	struct vn_cache_counter counters[VN_CACHE_COUNTERS_MAX];
};

struct vn_cache_req {
	const char *target;	/* "/dev/md0" or "md0" */
	uint64_t size_bytes;	/* RAM for the cache */
	enum vn_cache_mode mode;
	bool mode_set;		/* false: the engine's safe default */
	const char *name;	/* NULL: rc-<mode>_<target> */
	const char *engine;	/* NULL: rapiddisk if it loads, else dm-cache */
	bool unsafe;		/* allow write-back */
	bool force;		/* override the RAM headroom check */
};

struct vn_cache_info {
	char name[VN_NAME_MAX];		/* rc-wa_md0 */
	char dm_dev[VN_NAME_MAX];	/* dm-0 */
	char path[VN_NAME_MAX + 16];	/* /dev/mapper/rc-wa_md0 */
	const char *engine;		/* "rapiddisk", "dm-cache" */
	enum vn_cache_mode mode;
	char target[VN_NAME_MAX];	/* md0 */
	char cache_dev[VN_NAME_MAX];	/* rd0, zram1 */
	char meta_dev[VN_NAME_MAX];	/* zram0 (dm-cache), else "" */
	uint64_t size_bytes;		/* of the mapping */
	uint64_t cache_bytes;		/* of the RAM device */
	uint64_t cache_used_bytes;	/* RAM in use, where known */
	unsigned int open_count;
	bool flush_passed;		/* queue/write_cache: "write back" */
	struct vn_cache_stats stats;
};

int vn_cache_default_name(enum vn_cache_mode mode, const char *target,
			  char *buf, size_t len);
int vn_cache_parse_status(const char *engine, const char *status,
			  struct vn_cache_stats *ret);
int vn_cache_attach(struct vn_ctx *ctx, const struct vn_cache_req *req,
		    struct vn_cache_info *ret);
/* vn_cache_detach() - Return: 0, 1 when --force deferred it to the last close. */
int vn_cache_detach(struct vn_ctx *ctx, const char *name, bool force);
int vn_cache_get(struct vn_ctx *ctx, const char *name, struct vn_cache_info *ret);
int vn_cache_list(struct vn_ctx *ctx, struct vn_cache_info **ret);

/* ---- NVMe over TCP: target (lib/nvmet.c) and host (lib/nvme_host.c) ---- */

/*
 * NVMF_NQN_SIZE (include/linux/nvme.h) is 223 with the NUL: the 6.1 host
 * refuses anything longer (fabrics.c nvmf_parse_options), so at most 222.
 */
#define VN_NQN_SIZE 223
/* NVMe/TCP TLS (lib/tls.c): a configured PSK's bytes and text, a PSK identity */
#define VN_TLS_PSK_MAX 48
#define VN_TLS_STR_SIZE 96	/* "NVMeTLSkey-1:02:" + base64 of 52 bytes + ":" + NUL */
#define VN_TLS_IDENTITY_SIZE (2 * VN_NQN_SIZE + 16)
/* NVME_DISC_SUBSYS_NAME: the well-known discovery subsystem. */
#define VN_NQN_DISCOVERY "nqn.2014-08.org.nvmexpress.discovery"
/* The IANA port for NVMe/TCP I/O controllers (NVMe/TCP spec 1.0, 7.4.9.1). */
#define VN_NVME_TCP_PORT 4420

/*
 * vn_nvmet_name_check() - may @name become one configfs path component:
 * 1..@max bytes of printable ASCII, no whitespace, no '/', not "." or "..".
 * @what names it in the error. Return: 0 or -EINVAL (VN_ERR_INVALID).
 */
int vn_nvmet_name_check(struct vn_ctx *ctx, const char *what, const char *name,
			size_t max);
/*
 * vn_nvmet_nqn_check() - is @nqn a name the kernel and hosts accept: a
 * vn_nvmet_name_check() name of 1..222 bytes, not the discovery NQN. Every
 * NQN vnvme puts in a configfs path (create, delete, restore) passes here.
 * Return: 0 for the standard nqn.YYYY-MM.domain:name form, 1 for another
 * accepted form (the caller may warn), -EINVAL (VN_ERR_INVALID) otherwise.
 */
int vn_nvmet_nqn_check(struct vn_ctx *ctx, const char *nqn);
/*
 * The export calls that change configfs (create, delete, clear, apply,
 * replace) undo a failure midway. When a step of that undo fails too, the
 * context's error names it and they return -ENOTRECOVERABLE: something was
 * left changed. Any other negative errno: nothing was.
 */

/* What `export create` builds: one subsystem, one namespace, one port. */
struct vn_nvmet_export {
	const char *nqn;
	const char *device;		/* absolute path of a block device */
	uint32_t nsid;			/* 0: 1 */
	const char *transport;		/* NULL: "tcp" (the only one supported) */
	const char *family;		/* "ipv4", "ipv6"; NULL: from @addr */
	const char *addr;
	uint16_t port;			/* 0: VN_NVME_TCP_PORT */
	const char *const *hosts;	/* allowed host NQNs */
	size_t nhosts;
	bool allow_any_host;		/* the only way to export with no hosts */
	const char *serial;		/* NULL: the kernel's random one */
	const char *model;		/* NULL: "Linux" */
	/* the namespace's identity hosts see; NULL: the kernel's random ones */
	const char *ns_uuid;		/* device_uuid, 8-4-4-4-12 */
	const char *ns_nguid;		/* device_nguid, in the same form */
	/* TLS 1.3 required on the port (addr_tsas): a kernel with
	 * CONFIG_NVME_TARGET_TCP_TLS; hosts need a PSK in .nvme, tlshd runs */
	bool tls;
};

struct vn_nvmet_created {
	uint16_t portid;
	bool port_reused;		/* an existing port with the same address */
	char family[8];
	char serial[24];		/* what hosts will see */
	char model[48];
};

/*
 * vn_nvmet_export_create() - check @e, load nvmet and nvmet-tcp, mount
 * configfs if needed, then create subsystem, hosts, namespace (enabled),
 * port (or reuse one with the same transport, family, address and port)
 * and the links, in the order the kernel requires. Refuses (VN_ERR_UNSAFE)
 * an export without hosts unless allow_any_host, a device in use or
 * already exported, and an NQN that exists. On failure removes everything
 * it created. Return: 0 or a negative errno.
 */
int vn_nvmet_export_create(struct vn_ctx *ctx, const struct vn_nvmet_export *e,
			   struct vn_nvmet_created *ret);
/*
 * vn_nvmet_export_delete() - unlink the subsystem from its ports, disable
 * and remove its namespaces and host links, remove it; then remove the
 * ports and hosts no other subsystem uses. Refuses (VN_ERR_UNSAFE,
 * forceable) while TCP connections to its ports are established, unless
 * @force. All or nothing: a failure midway puts back what it removed.
 * Return: 0 or a negative errno.
 */
int vn_nvmet_export_delete(struct vn_ctx *ctx, const char *nqn, bool force);

/* One configfs attribute: file name ("attr_model") and its value. */
struct vn_nvmet_attr {
	char name[40];
	char value[512];
};

#define VN_NVMET_ATTRS_MAX 16

struct vn_nvmet_ns {
	uint32_t nsid;
	bool enabled;
	unsigned int ana_grpid;
	unsigned int nattrs;		/* device_* */
	struct vn_nvmet_attr attrs[VN_NVMET_ATTRS_MAX];
};

struct vn_nvmet_subsys {
	char nqn[VN_NQN_SIZE];
	unsigned int nattrs;		/* attr_* */
	struct vn_nvmet_attr attrs[VN_NVMET_ATTRS_MAX];
	unsigned int nns;
	struct vn_nvmet_ns *ns;
	unsigned int nhosts;		/* allowed_hosts link names */
	char (*hosts)[VN_NQN_SIZE];
};

struct vn_nvmet_ana {
	unsigned int grpid;
	char state[32];
};

struct vn_nvmet_referral {
	char name[64];
	bool enabled;
	unsigned int nattrs;		/* addr_* */
	struct vn_nvmet_attr attrs[VN_NVMET_ATTRS_MAX];
};

struct vn_nvmet_port {
	uint16_t portid;
	unsigned int nattrs;		/* addr_*, param_* */
	struct vn_nvmet_attr attrs[VN_NVMET_ATTRS_MAX];
	unsigned int nsubsys;		/* linked subsystem names */
	char (*subsys)[VN_NQN_SIZE];
	unsigned int nana;
	struct vn_nvmet_ana *ana;
	unsigned int nrefs;
	struct vn_nvmet_referral *refs;
	unsigned int connections;	/* established TCP connections (read only) */
};

/* The whole target configuration, as nvmetcli sees it. */
/* A host's saved attributes: its DH-HMAC-CHAP keys (dhchap_*), if any. */
struct vn_nvmet_host_attrs {
	unsigned int nattrs;
	struct vn_nvmet_attr attrs[VN_NVMET_ATTRS_MAX];
};

struct vn_nvmet_config {
	unsigned int nhosts;
	char (*hosts)[VN_NQN_SIZE];
	struct vn_nvmet_host_attrs *host_attrs;	/* one per host, or NULL */
	unsigned int nsubsys;
	struct vn_nvmet_subsys *subsys;
	unsigned int nports;
	struct vn_nvmet_port *ports;
};

/* vn_nvmet_port_tls() - does the port speak only TLS (addr_tsas tls1.3)? */
bool vn_nvmet_port_tls(const struct vn_nvmet_port *p);
/* vn_nvmet_attr_get() - the value of attribute @name, or NULL. */
const char *vn_nvmet_attr_get(const struct vn_nvmet_attr *attrs, unsigned int n,
			      const char *name);
/*
 * vn_nvmet_read() - the running configuration from configfs (every
 * readable and writable attribute, as nvmetcli saves it), with the number
 * of established TCP connections on each port. An unmounted configfs or
 * unloaded nvmet reads as empty. Return: 0; *ret_cfg: vn_nvmet_config_free().
 */
int vn_nvmet_read(struct vn_ctx *ctx, struct vn_nvmet_config **ret_cfg);
void vn_nvmet_config_free(struct vn_nvmet_config *cfg);
/*
 * vn_nvmet_config_check() - may @cfg be applied: every name a configfs path
 * component (NQNs by vn_nvmet_nqn_check(), referral names), each object
 * once, and every link to an object of @cfg itself (a subsystem's
 * allowed_hosts in "hosts", a port's subsystems in "subsystems"). Pure.
 * Return: 0 or -EINVAL (VN_ERR_INVALID) naming the field.
 */
int vn_nvmet_config_check(struct vn_ctx *ctx, const struct vn_nvmet_config *cfg);
/*
 * vn_nvmet_apply() - check @cfg, then create it in configfs, in nvmetcli's
 * restore order (hosts, subsystems with namespaces, host links and
 * attributes, ports with attributes, links, ANA groups, referrals). Unlike
 * nvmetcli, any failure removes everything this call created.
 * Return: 0 or -errno.
 */
int vn_nvmet_apply(struct vn_ctx *ctx, const struct vn_nvmet_config *cfg);
/*
 * vn_nvmet_clear() - remove every port, subsystem and host. All or nothing:
 * a failure midway puts back what was removed. Return: 0/-errno.
 */
int vn_nvmet_clear(struct vn_ctx *ctx);
/* vn_nvmet_setup() - load nvmet and nvmet-tcp, mount configfs. Return: 0/-errno. */
int vn_nvmet_setup(struct vn_ctx *ctx);

/* lib/nvmet_json.c: nvmetcli's saved-config format (nvmet/nvme.py). */

/*
 * vn_nvmet_json_encode() - @cfg as nvmetcli's `save` writes it: sorted
 * keys, indent 2, attribute values as strings, enable/nsid/portid/grpid
 * as integers. Pure. Return: 0 (*ret_text is malloc'ed), or -EINVAL naming
 * the entry JSON cannot hold (text that is not UTF-8): nothing is dropped.
 */
int vn_nvmet_json_encode(struct vn_ctx *ctx, const struct vn_nvmet_config *cfg,
			 char **ret_text);
/*
 * vn_nvmet_json_decode() - parse a file written by nvmetcli or vnvme
 * (with or without the "ana" groups of nvmetcli > 0.7). Pure.
 * Return: 0, or -EINVAL with the context's error naming what is wrong.
 */
int vn_nvmet_json_decode(struct vn_ctx *ctx, const char *text,
			 struct vn_nvmet_config **ret_cfg);
/* vn_nvmet_dump() - read configfs and encode it. *ret_text is malloc'ed. */
int vn_nvmet_dump(struct vn_ctx *ctx, char **ret_text);
/*
 * vn_nvmet_save() - vn_nvmet_dump() into @path atomically: a new
 * @path.temp (O_EXCL|O_NOFOLLOW, mode 0600), fsync, rename.
 */
int vn_nvmet_save(struct vn_ctx *ctx, const char *path);
/*
 * vn_nvmet_load() - read, decode and check (vn_nvmet_config_check()) a
 * saved configuration. Return: 0, or -EINVAL (VN_ERR_INVALID) naming the
 * file and the field, -ENOENT etc. when it cannot be read.
 */
int vn_nvmet_load(struct vn_ctx *ctx, const char *path,
		  struct vn_nvmet_config **ret_cfg);
/*
 * vn_nvmet_replace() - check @cfg, read the running configuration, clear
 * it, apply @cfg. All or nothing: on any failure what was applied is
 * removed and the running configuration put back as it was read; a step
 * of that which fails is added to the context's error.
 */
int vn_nvmet_replace(struct vn_ctx *ctx, const struct vn_nvmet_config *cfg);

/* ---- NVMe host (lib/nvme_host.c, libnvme 1.3) ---- */

/* Where a controller is: nvme-cli's -t -a -s -n -q -I. */
struct vn_nvme_target {
	const char *transport;		/* "tcp" */
	const char *traddr;
	const char *trsvcid;		/* NULL: 8009 (discover) / 4420 (connect) */
	const char *nqn;		/* connect: the subsystem */
	const char *hostnqn;		/* NULL: vn_nvme_host_identity() */
	const char *hostid;
	/* connect: DH-HMAC-CHAP keys (DHHC-1:...), NULL: none */
	const char *dhchap_secret;	/* this host's, proven to the target */
	const char *dhchap_ctrl_secret;	/* the target's, proven to this host */
	/*
	 * connect: TLS (NVMe/TCP with a pre-shared key, tlshd running); with
	 * @tls_key (NVMeTLSkey-1:...) its PSK for this host and @nqn is put in
	 * the .nvme keyring first, else one must be there.
	 */
	bool tls;
	const char *tls_key;
	/* connect: each value is used when its VN_NVME_SET_* bit is in @set */
	unsigned int set;
	int ctrl_loss_tmo;		/* seconds; -1: reconnect forever */
	int reconnect_delay;		/* seconds */
	int keep_alive_tmo;		/* seconds */
	int nr_io_queues;
};
#define VN_NVME_SET_CTRL_LOSS_TMO (1u << 0)
#define VN_NVME_SET_RECONNECT_DELAY (1u << 1)
#define VN_NVME_SET_KEEP_ALIVE_TMO (1u << 2)
#define VN_NVME_SET_NR_IO_QUEUES (1u << 3)

/*
 * vn_nvme_target_check() - is @t well-formed: transport tcp, a numeric IPv4
 * or IPv6 address, a port 1..65535 in digits, valid NQNs, a UUID host ID?
 * Changes nothing; callers run it before anything is done or printed.
 * Return: 0 or -EINVAL (VN_ERR_INVALID).
 */
int vn_nvme_target_check(struct vn_ctx *ctx, const struct vn_nvme_target *t);
/*
 * vn_nvme_host_auth() - can this kernel's NVMe host answer a DH-HMAC-CHAP
 * challenge (CONFIG_NVME_HOST_AUTH, CONFIG_NVME_AUTH before 6.7)? Seen in
 * the loaded nvme-core: its symbol nvme_auth_negotiate (a stub without it).
 * Return: 1 yes, 0 no, -ENOENT when nvme-core is not loaded (cannot tell).
 */
int vn_nvme_host_auth(struct vn_ctx *ctx);
/* vn_nvme_ctrl_tls() - is controller @ctrl ("nvme1") connected over TLS (sysfs tls_key)? */
bool vn_nvme_ctrl_tls(struct vn_ctx *ctx, const char *ctrl);
/*
 * vn_nvme_ctrl_keys() - the DH-HMAC-CHAP keys controller @ctrl ("nvme1")
 * connected with (sysfs dhchap_secret, dhchap_ctrl_secret); "" for none.
 */
void vn_nvme_ctrl_keys(struct vn_ctx *ctx, const char *ctrl, char *secret, size_t len,
		       char *ctrl_secret, size_t ctrl_len);

struct vn_nvme_identity {
	char hostnqn[VN_NQN_SIZE];
	char hostid[40];
	bool created;			/* written to /etc/nvme just now */
};

/*
 * vn_nvme_host_identity() - the host NQN and ID: @hostnqn if given, else
 * /etc/nvme/hostnqn (and hostid); when absent, generate them (libnvme's
 * nvmf_hostnqn_generate(), a random UUID v4 without DMI) and write both
 * files, so that allow-lists still match after a reboot.
 * Return: 0 or a negative errno.
 */
int vn_nvme_host_identity(struct vn_ctx *ctx, const char *hostnqn,
			  const char *hostid, struct vn_nvme_identity *ret);

struct vn_nvme_disc_entry {
	char trtype[16];
	char adrfam[16];
	char subtype[40];
	char treq[64];
	unsigned int portid;
	unsigned int cntlid;
	char trsvcid[33];
	char subnqn[257];
	char traddr[257];
	char eflags[32];
	char sectype[16];
};

/*
 * vn_nvme_discover() - the discovery log of @t (a temporary discovery
 * controller, keep-alive off). Return: the number of entries, *ret_entries
 * malloc'ed; or a negative errno with libnvme's message in the context.
 */
int vn_nvme_discover(struct vn_ctx *ctx, const struct vn_nvme_target *t,
		     struct vn_nvme_disc_entry **ret_entries, uint64_t *ret_genctr);

struct vn_nvme_connected {
	char ctrl[32];			/* "nvme1" */
	char dev[32];			/* "nvme1n1", "" if no namespace came */
	char tls_identity[VN_TLS_IDENTITY_SIZE];	/* the PSK's, "" without TLS */
};

/*
 * vn_nvme_connect() - connect an I/O controller and wait (up to 10 s) for
 * its first namespace's block device. Return: 0 or a negative errno
 * (-EALREADY, -ECONNREFUSED, -EIO when the target refuses this host).
 */
int vn_nvme_connect(struct vn_ctx *ctx, const struct vn_nvme_target *t,
		    struct vn_nvme_connected *ret);

struct vn_nvme_nsinfo {
	char dev[32];			/* "nvme1n1" */
	char generic[32];		/* "ng1n1" */
	char ctrl[32];			/* "nvme1" (first controller) */
	char subsysnqn[VN_NQN_SIZE];
	char model[48];
	char serial[32];
	char firmware[16];
	char transport[16];
	char traddr[257];
	char trsvcid[33];
	uint32_t nsid;
	uint64_t size_bytes;
	uint64_t lba_count;
	unsigned int lba_size;
};

/* vn_nvme_list() - every NVMe namespace. Return: count, *ret malloc'ed. */
int vn_nvme_list(struct vn_ctx *ctx, struct vn_nvme_nsinfo **ret);
/*
 * vn_nvme_disconnect() - disconnect every controller of a subsystem NQN, or
 * of the subsystem behind /dev/nvmeXnY or the controller /dev/nvmeX.
 * Refuses a PCIe controller. Return: controllers disconnected, or -errno.
 */
int vn_nvme_disconnect(struct vn_ctx *ctx, const char *what);

/* ---- module lookups without loading (lib/kmod.c) ---- */

enum vn_kmod_state {
	VN_KMOD_MISSING,	/* not found for this kernel */
	VN_KMOD_AVAILABLE,	/* a module file modprobe would load */
	VN_KMOD_LOADED,
	VN_KMOD_BUILTIN,
	VN_KMOD_STATE_MAX,
};
const char *vn_kmod_state_name(enum vn_kmod_state state);	/* "loaded" */
/* vn_kmod_state() - look a module up as modprobe would, load nothing. Return: 0. */
int vn_kmod_state(struct vn_ctx *ctx, const char *name, enum vn_kmod_state *ret,
		  char *path, size_t len);

/* ---- health of the running stack (lib/health.c) ---- */

/* Ordered: a report's health is its worst note's. */
enum vn_health {
	VN_HEALTH_OK,
	VN_HEALTH_DEGRADED,	/* working with less redundancy, or rebuilding */
	VN_HEALTH_MISSING,	/* a layer, or what a layer stands on, is not there */
	VN_HEALTH_FAILED,	/* not working: data unreadable or writes failing */
	VN_HEALTH_MAX,
};
const char *vn_health_name(enum vn_health h);	/* "ok", "degraded", ... */

#define VN_HEALTH_NOTES_MAX 64

struct vn_health_note {
	enum vn_health health;		/* VN_HEALTH_OK: for information */
	char layer[16];			/* "raid", "cache", "export", "host", "stack" */
	char object[VN_NQN_SIZE];	/* "/dev/md0", "rc-wa_md0", an NQN, "nvme1" */
	char text[256];			/* "member /dev/sdc1 is faulty" */
};

struct vn_health_report {
	enum vn_health health;		/* the worst note's */
	unsigned int n;
	struct vn_health_note notes[VN_HEALTH_NOTES_MAX];
};

/* vn_health_add() - append a note (dropped beyond the maximum, health kept). */
void vn_health_add(struct vn_health_report *rep, enum vn_health h, const char *layer,
		   const char *object, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/*
 * vn_health_md() - judge one array from its status: failed beyond the
 * level's redundancy (raid0 any, raid1 all, raid4/5 two, raid6 three,
 * raid10 both halves of a mirror), an inactive or broken array, a journal
 * array without a working journal; degraded with fewer working members
 * (rebuilding or not). Notes name the members. Pure.
 * Return: the array's health.
 */
enum vn_health vn_health_md(const struct vn_md_status *st, struct vn_health_report *rep);
/* vn_health_cache() - a cache mapping whose target or RAM device is gone. */
enum vn_health vn_health_cache(struct vn_ctx *ctx, const struct vn_cache_info *c,
			       struct vn_health_report *rep);
/*
 * vn_health_export() - a subsystem without an enabled namespace, whose
 * namespace device is gone, or linked to no port, is a missing layer.
 */
enum vn_health vn_health_export(struct vn_ctx *ctx, const struct vn_nvmet_config *cfg,
				const struct vn_nvmet_subsys *s,
				struct vn_health_report *rep);

#define VN_PEER_MAX 48
/*
 * vn_tcp_peers() - the distinct remote addresses of the established TCP
 * connections to local @port (/proc/net/tcp{,6}): on Linux 6.1 all that
 * shows who is connected to an nvmet port. Return: their number (<= @max).
 */
int vn_tcp_peers(struct vn_ctx *ctx, unsigned int port, char (*ret)[VN_PEER_MAX], size_t max);

/* An NVMe controller as /sys/class/nvme shows it (host side). */
struct vn_nvme_ctrl {
	char name[32];			/* "nvme1" */
	char transport[16];		/* "tcp", "pcie" */
	char state[32];			/* "live", "connecting", ... */
	char address[256];		/* "traddr=...,trsvcid=...,src_addr=..." */
	char subsysnqn[VN_NQN_SIZE];
	char hostnqn[VN_NQN_SIZE];
	char model[48];
	char serial[32];
	char dev[32];			/* first namespace block device, or "" */
};

/* vn_nvme_ctrl_list() - every NVMe controller. Return: count, *ret malloc'ed. */
int vn_nvme_ctrl_list(struct vn_ctx *ctx, struct vn_nvme_ctrl **ret);
/* vn_health_ctrl() - live: ok; resetting: degraded; connecting: missing; else failed. */
enum vn_health vn_health_ctrl(const struct vn_nvme_ctrl *c, struct vn_health_report *rep);

/* ---- what this machine can do (lib/health.c) ---- */

/* What the stack needs: vn_check_req.needs. */
#define VN_NEED_RAID (1u << 0)		/* md RAID-5 with a journal */
#define VN_NEED_CACHE (1u << 1)		/* a RAM read cache (either engine) */
#define VN_NEED_EXPORT (1u << 2)	/* nvmet over TCP */
#define VN_NEED_CONNECT (1u << 3)	/* nvme-tcp host */
#define VN_NEED_AUTH (1u << 4)		/* NVMe in-band authentication */
#define VN_NEED_DEFAULT (VN_NEED_RAID | VN_NEED_CACHE | VN_NEED_EXPORT | VN_NEED_CONNECT)

struct vn_check_req {
	unsigned int needs;		/* VN_NEED_* */
	uint64_t cache_bytes;		/* RAM wanted for a cache; 0: none */
	const char *const *devices;	/* members, journal included */
	unsigned int ndevices;
	const char *journal;		/* NULL: none (may also be in @devices) */
	int level;			/* the array's RAID level; 0: 5 */
	unsigned int chunk_kib;		/* 0: md's default, 512 */
};

enum vn_check_level {
	VN_CHECK_OK,
	VN_CHECK_INFO,			/* absent but not needed */
	VN_CHECK_WARN,			/* works, with a caveat */
	VN_CHECK_MISSING,		/* needed and absent */
};

struct vn_check_module {
	const char *name;
	unsigned int needed_for;	/* VN_NEED_* it serves */
	enum vn_kmod_state state;
	char path[256];
};

#define VN_CHECK_MODULES_MAX 16
#define VN_CHECK_DEVICES_MAX 32
#define VN_CHECK_FINDINGS_MAX 48

struct vn_check_device {
	char dev[VN_NAME_MAX + 8];	/* "/dev/sda1" */
	bool found;
	bool journal;
	uint64_t size_bytes;
	unsigned int logical_block_size, physical_block_size;
	bool rotational;
	bool volatile_cache;		/* queue/write_cache "write back" */
};

struct vn_check_finding {
	enum vn_check_level level;
	char what[64];			/* "module raid456", "configfs", "/dev/sda" */
	char text[256];			/* what is wrong */
	char meaning[256];		/* what it means: which command fails */
	bool kernel;			/* about the kernel, not a device or RAM */
};

struct vn_check_report {
	char release[128];		/* the kernel's */
	unsigned int nmodules;
	struct vn_check_module modules[VN_CHECK_MODULES_MAX];
	bool configfs_supported, configfs_mounted;
	uint64_t mem_total_bytes, mem_available_bytes;	/* 0: unknown */
	int auth;			/* in-band authentication: 1, 0, -1 unknown */
	int host_auth;			/* and this host's side (vn_nvme_host_auth) */
	int tls;			/* NVMe/TCP TLS (.nvme keyring): 1, 0, -1 unknown */
	bool tlshd;			/* the handshake daemon runs */
	const char *cache_engine;	/* "rapiddisk", "dm-cache", NULL: none */
	unsigned int ndevices;
	struct vn_check_device devices[VN_CHECK_DEVICES_MAX];
	unsigned int nfindings;
	struct vn_check_finding findings[VN_CHECK_FINDINGS_MAX];
	/* what a write-back journal would absorb, as raid create says it, when
	 * the devices make a raid4/5/6 with a journal; journal_bytes 0: none */
	struct vn_md_journal_advice journal_advice;
	bool ok;			/* nothing needed is missing */
};

/*
 * vn_check() - what this machine can and cannot do for @req, loading
 * nothing: modules (libkmod lookups), configfs, RAM, NVMe in-band
 * authentication, the devices' block sizes (a 4Kn journal under 512-byte
 * members is warned about), with a journal and enough members the journal
 * advice of vn_md_tune_rule(). Each finding says what it means.
 * Return: 0 (the verdict is ret->ok), or a negative errno.
 */
int vn_check(struct vn_ctx *ctx, const struct vn_check_req *req,
	     struct vn_check_report *ret);
/* ---- the drive as one object: stack files (lib/stack.c), lock (lib/lock.c) ---- */

#define VN_STACK_DISKS_MAX 16
#define VN_STACK_HOSTS_MAX 16
#define VN_STACK_CONNECT_MAX 8
#define VN_STACK_PATH_MAX 128

/* A member or journal: a device path, with the identity of its disk as a hint. */
struct vn_stack_dev {
	char device[VN_STACK_PATH_MAX];	/* "/dev/sda1": the last known name */
	char serial[64];		/* serial of its whole disk, "" if unknown */
	char wwn[64];			/* WWN of its whole disk, "" if unknown */
	unsigned int partition;		/* its partition number on that disk, 0: whole */
};

struct vn_stack_array {
	char name[VN_NAME_MAX];		/* md0 */
	char uuid[40];			/* the identity; "" before the array exists */
	int level;
	unsigned int chunk_kib;		/* 0: the default */
	unsigned int nmembers;
	struct vn_stack_dev members[VN_MD_MEMBERS_MAX];
	bool has_journal;
	struct vn_stack_dev journal;
	char journal_mode[16];		/* "write-back", "write-through", "": leave */
	bool keep_write_cache;		/* "write_cache": "keep" (default "off") */
	uint64_t stripe_cache_size;	/* 0: leave as md has it */
	uint64_t group_thread_cnt;	/* UINT64_MAX: leave */
};

struct vn_stack_cache {
	char engine[16];		/* "rapiddisk", "dm-cache" */
	uint64_t size_bytes;
	enum vn_cache_mode mode;
	char name[VN_NAME_MAX];		/* "": rc-<mode>_<array> */
};

struct vn_stack_export {
	char nqn[VN_NQN_SIZE];
	uint32_t nsid;
	char transport[8];		/* "tcp" */
	char address[64];
	char family[8];			/* "ipv4", "ipv6" */
	uint16_t service;
	unsigned int nhosts;
	char hosts[VN_STACK_HOSTS_MAX][VN_NQN_SIZE];
	bool allow_any_host;
	char serial[24];		/* "": the kernel's */
	char model[48];			/* "": the kernel's */
	char ns_uuid[40];		/* the namespace's UUID; "": the kernel's */
	char ns_nguid[40];		/* and NGUID, so hosts see the same disk */
	/* the one host's DH-HMAC-CHAP keys (DHHC-1:...); "": none */
	struct {
		char key[128], ctrl_key[128];
		char hash[16];		/* sha256|sha384|sha512; "": the kernel's */
		char dhgroup[16];	/* null|ffdhe*; "": the kernel's */
	} dhchap;
	bool tls;			/* the port speaks only TLS 1.3 (PSK) */
	char tls_key[VN_TLS_STR_SIZE];	/* the one host's (NVMeTLSkey-1:...); "": in .nvme already */
};

struct vn_stack_connect {
	char transport[8];
	char address[64];
	uint16_t service;
	char nqn[VN_NQN_SIZE];
	char dhchap_secret[128];	/* DH-HMAC-CHAP keys; "": none */
	char dhchap_ctrl_secret[128];
	bool tls;			/* over TLS 1.3 with the PSK in .nvme */
	char tls_key[VN_TLS_STR_SIZE];	/* put there first; "": there already */
};

/* A whole drive: what `vnvme up` builds and `vnvme save` writes. */
struct vn_stack {
	unsigned int ndisks;		/* disks to partition when blank */
	char disks[VN_STACK_DISKS_MAX][VN_STACK_PATH_MAX];
	bool has_array, has_cache, has_export;
	struct vn_stack_array array;
	struct vn_stack_cache cache;
	struct vn_stack_export export_;
	unsigned int nconnect;
	struct vn_stack_connect connect[VN_STACK_CONNECT_MAX];
};

/*
 * vn_stack_decode() - parse and check a stack document (vnvme-stack(5)).
 * Return: 0; -EINVAL (VN_ERR_INVALID) with the error naming the field
 * ("array.level: 7 is not a RAID level"); *ret: free().
 */
int vn_stack_decode(struct vn_ctx *ctx, const char *text, struct vn_stack **ret);
/* vn_stack_load() - read @path ("-": stdin) and decode it. */
int vn_stack_load(struct vn_ctx *ctx, const char *path, struct vn_stack **ret);
/* vn_stack_encode() - the document, indent 2, fixed key order. *ret: free(). */
int vn_stack_encode(const struct vn_stack *s, char **ret_text);
/* vn_stack_default_cache_name() - the cache's mapping name over @md. */
int vn_stack_cache_name(const struct vn_stack *s, const char *md, char *buf, size_t len);

/* Where the array's devices are, found by the UUID in their superblocks. */
struct vn_stack_found {
	unsigned int nmembers;
	char members[VN_MD_MEMBERS_MAX][VN_NAME_MAX];
	char journal[VN_NAME_MAX];	/* "" when none carries the journal role */
	bool clean;			/* every superblock says shut down cleanly */
};

/*
 * vn_stack_find() - the unheld devices whose md superblock carries @uuid.
 * Return: how many were found (0: none).
 */
int vn_stack_find(struct vn_ctx *ctx, const char *uuid, struct vn_stack_found *ret);
/*
 * vn_stack_resolve() - the kernel name of a member: the partition of the
 * disk with its serial (or WWN) when one matches, else its device path.
 * Return: 0, -ENODEV when neither exists.
 */
int vn_stack_resolve(struct vn_ctx *ctx, const struct vn_stack_dev *d, char *ret,
		     size_t len);
/* vn_stack_describe_dev() - fill @ret's serial, wwn, partition from sysfs. */
int vn_stack_describe_dev(struct vn_ctx *ctx, const char *name, struct vn_stack_dev *ret);
/*
 * vn_stack_tune_read() / vn_stack_tune_apply() - md/stripe_cache_size and
 * md/group_thread_cnt of an array (0 / UINT64_MAX in @a: left alone);
 * lib/md_tune.c, as vn_md_tune_apply() without its level and range checks.
 * Return: apply: how many values were written, or -errno.
 */
int vn_stack_tune_read(struct vn_ctx *ctx, const char *md, uint64_t *ret_stripe,
		       uint64_t *ret_threads);
int vn_stack_tune_apply(struct vn_ctx *ctx, const char *md, uint64_t stripe,
			uint64_t threads);

/*
 * vn_lock_take() - one change at a time: flock <root>/run/lock/vnvme.lock,
 * waiting up to @timeout_ms (0: $VNVME_LOCK_TIMEOUT seconds, else 30 s),
 * then write "pid command" into it.
 * Return: the lock's fd (vn_lock_release()), or -errno: -EWOULDBLOCK with
 * the error naming the holder.
 */
int vn_lock_take(struct vn_ctx *ctx, const char *what, unsigned int timeout_ms);
void vn_lock_release(int fd);

/*
 * vn_stack_kmsg_mark() - open /dev/kmsg at its end, before starting an
 * array. vn_stack_kmsg_find() - then the last kernel message since the
 * mark that contains @needle ("md/raid:md0: recovering"), closing @fd.
 * Return: mark: an fd or -errno; find: 1 found (copied to @ret), 0 not.
 */
int vn_stack_kmsg_mark(struct vn_ctx *ctx);
int vn_stack_kmsg_find(int fd, const char *needle, char *ret, size_t len);

/*
 * vn_md_examine() - the v1.2 superblock of a device (lib/md.c).
 * Return: 0; -EBADMSG with *ret filled when only its checksum is wrong;
 * another -errno (no superblock: -EINVAL).
 */
int vn_md_examine(struct vn_ctx *ctx, const char *dev, struct vn_md_sb *ret);
/* ---- lib/nvmet.c: in-band authentication of an allowed host ---- */

/*
 * vn_nvmet_host_can_auth() - could the target make host @hostnqn (already in
 * configfs) authenticate: does it have a dhchap_key file (CONFIG_NVME_TARGET_AUTH)?
 * Return: 1 yes, 0 no.
 */
int vn_nvmet_host_can_auth(struct vn_ctx *ctx, const char *hostnqn);

struct vn_nvmet_host_auth {
	const char *hostnqn;
	const char *key;		/* DHHC-1 key the host proves it holds */
	const char *ctrl_key;		/* NULL: the host does not check the target */
	const char *hash;		/* "sha256", "sha384", "sha512"; NULL: kernel's */
	const char *dhgroup;		/* "null", "ffdhe2048".."ffdhe8192"; NULL: kernel's */
};

/*
 * vn_nvmet_host_auth() - give host @a->hostnqn of the NVMe target its
 * DH-HMAC-CHAP keys (configfs hosts/NQN/dhchap_*), creating the host if
 * needed: call it before the export that allows the host links it, so the
 * port never admits the host without authentication. Refuses a host that
 * has other keys already; -EOPNOTSUPP (VN_ERR_NOSUPPORT, nothing created)
 * without CONFIG_NVME_TARGET_AUTH. *@ret_created: the host was made here.
 * Return: 0 or -errno.
 */
int vn_nvmet_host_auth(struct vn_ctx *ctx, const struct vn_nvmet_host_auth *a,
		       bool *ret_created);
/* vn_nvmet_host_forget() - remove an unlinked host, e.g. after a failed export. */
int vn_nvmet_host_forget(struct vn_ctx *ctx, const char *hostnqn);

/* ---- lib/dhchap.c: NVMe in-band authentication (DH-HMAC-CHAP) secrets ---- */

#define VN_DHCHAP_SECRET_MAX 64
/* "DHHC-1:03:" + base64 of 68 bytes + ":" + NUL */
#define VN_DHCHAP_STR_SIZE 104

/*
 * vn_dhchap_key() - a DH-HMAC-CHAP key in its DHHC-1 form, as nvme-cli's
 * gen-dhchap-key makes it: @secret (@len 32, 48 or 64 bytes; NULL: random),
 * for @hmac 0 (none) as it is, for 1-3 (SHA-256/384/512, @len must be the
 * digest's) transformed to HMAC(secret, @hostnqn || "NVMe-over-Fabrics").
 * @out needs VN_DHCHAP_STR_SIZE. Return: 0 or -errno.
 */
int vn_dhchap_key(struct vn_ctx *ctx, const uint8_t *secret, size_t len, int hmac,
		  const char *hostnqn, char *out, size_t outsz);
/* vn_dhchap_check() - a well-formed DHHC-1 key? Return: its hmac id (0-3) or -EINVAL. */
int vn_dhchap_check(struct vn_ctx *ctx, const char *key);

/* ---- lib/tls.c: NVMe/TCP TLS pre-shared keys, the kernel's .nvme keyring ---- */

/* VN_TLS_PSK_MAX, VN_TLS_STR_SIZE, VN_TLS_IDENTITY_SIZE: with VN_NQN_SIZE */

/*
 * vn_tls_key() - a configured TLS pre-shared key in its interchange form
 * (NVMeTLSkey-1:01:...: for @len 32, :02: for 48), as nvme-cli's
 * gen-tls-key prints it; @secret NULL: random. @out needs VN_TLS_STR_SIZE.
 */
int vn_tls_key(struct vn_ctx *ctx, const uint8_t *secret, size_t len, char *out,
	       size_t outsz);
/* vn_tls_key_check() - a well-formed key? Return: its hash (1 SHA-256, 2 SHA-384) or -EINVAL. */
int vn_tls_key_check(struct vn_ctx *ctx, const char *key);

/* The key that goes into the keyring for one host and one subsystem. */
struct vn_tls_psk {
	char identity[VN_TLS_IDENTITY_SIZE];	/* "NVMe0R01 <hostnqn> <subnqn>" */
	uint8_t psk[VN_TLS_PSK_MAX];
	size_t len;
};
/* vn_tls_psk_derive() - derive it from configured @key as libnvme 1.13 does. Pure. */
int vn_tls_psk_derive(struct vn_ctx *ctx, const char *key, const char *hostnqn,
		      const char *subnqn, struct vn_tls_psk *ret);
/*
 * vn_tls_keyring() - the serial of the kernel's .nvme keyring (made by
 * nvme-keyring, which nvme-tcp and nvmet load on kernels with TLS).
 * Return: > 0, or -ENOKEY (VN_ERR_NOSUPPORT) when there is none.
 */
int vn_tls_keyring(struct vn_ctx *ctx);
/*
 * vn_tls_psk_insert() - derive the PSK of @key for @hostnqn and @subnqn and
 * add it to the .nvme keyring (replacing one of the same identity), where
 * the host driver and tlshd find it. @identity (may be NULL) gets its name.
 * Return: the key's serial (0 in a dry run) or a negative errno.
 */
int vn_tls_psk_insert(struct vn_ctx *ctx, const char *key, const char *hostnqn,
		      const char *subnqn, char *identity, size_t len);
/* vn_tls_psk_find() - the serial of a PSK in the keyring for the pair, as the host driver looks it up (identity version 0); 0: none. */
int vn_tls_psk_find(struct vn_ctx *ctx, const char *hostnqn, const char *subnqn,
		    char *identity, size_t len);
/* vn_tls_psk_remove() - unlink a key from the .nvme keyring (the kernel frees it). */
int vn_tls_psk_remove(struct vn_ctx *ctx, int32_t serial);
/* vn_tls_daemon_running() - is tlshd (ktls-utils), which makes the kernel's TLS handshakes, running? */
bool vn_tls_daemon_running(struct vn_ctx *ctx);

#endif /* VNVME_H */
