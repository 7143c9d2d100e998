/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Private to the md module (lib/md.c, md_status.c, md_create.c,
 * md_assemble.c, md_stop.c): its constants, the device record and the helpers the
 * files share. Each helper fills the context's error and returns a
 * negative errno, as the public functions do.
 */
#ifndef VNVME_MD_PRIVATE_H
#define VNVME_MD_PRIVATE_H

#include <ctype.h>
#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/major.h>	/* MD_MAJOR, used by md_u.h's ioctl numbers */
#include <linux/raid/md_u.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>

#include "md_super.h"

#define MDSTAT "/proc/mdstat"
#define MDSTAT_MAX (64 * 1024)
#define MD_MINOR_MAX 127		/* mdadm picks free names from md127 down */
#define MD_MINOR_MAX_ANY 511		/* the highest /dev/mdN vnvme takes */
#define MD_LINK_NAME_MAX 31		/* /dev/md/NAME: NAME's length at most */
#define MD_MAX_DEV_CREATE 128		/* dev_roles entries mdadm writes */
#define MD_BBLOG_SIZE 8			/* sectors, as mdadm 4.2 writes */
#define MD_BBLOG_OFFSET 16		/* sectors after the superblock */
#define MD_SUPER_OFFSET 8		/* v1.2: sector 8 */
#define MD_RAID5_LAYOUT 2		/* ALGORITHM_LEFT_SYMMETRIC */
#define MD_RAID10_LAYOUT 0x102		/* near=2, far=1 */
#define MD_RAID0_ORIG_LAYOUT 1		/* RAID0_ORIG_LAYOUT */
#define MD_FEATURE_RAID0_LAYOUT 0x1000
#define MD_DISK_SYNC_BIT 2		/* md_p.h MD_DISK_SYNC: ADD_NEW_DISK state */
#define MD_DISK_JOURNAL_BIT 18		/* md_p.h MD_DISK_JOURNAL */
#define MD_DEFAULT_CHUNK_KIB 512	/* mdadm's default since 3.1 */
#define RAID1_ROUND_KIB 64		/* mdadm rounds raid1 sizes to 64 KiB */
#define SIZE_SLACK_PERCENT 1		/* mdadm: "exceeds size by more than 1%" */
#define JOURNAL_MIN_SECTORS 2048	/* vnvme's floor: 1 MiB of log */
#define NODE_WAIT_MS 3000		/* devtmpfs creating /dev/mdN */
#define STOP_RETRIES 25			/* mdadm Manage_stop: 25 x 200 ms */
#define STOP_RETRY_MS 200
#define REMOVE_RETRIES 5		/* mdadm Manage_subdevs: 5 x 10 ms */
#define DRAIN_WAIT_MS 60000		/* bound on the stripe cache draining */
#define POLL_MS 100

/* One device of a create, assemble or add. */
struct md_dev {
	const char *arg;		/* as given */
	struct vn_blkdev blk;
	uint64_t sectors;
	bool journal;
	struct vn_md_sb sb;		/* what is written (create) or read */
	bool written;
	bool write_failed;	/* its own write failed: the error names it already */
	/*
	 * vn_md_check_free()'s O_EXCL open, plus one (0: none), kept until
	 * the superblock is written, so nothing claims the device in between;
	 * closed just before ADD_NEW_DISK, which claims it for md.
	 */
	int hold;
};

/* Close what vn_md_check_free() kept open on each of @devs. */
void vn_md_release(struct md_dev *devs, unsigned int n);

/* ---- md.c: names, nodes, state ---- */

/*
 * "md0", "/dev/md0" -> "md0" and its minor; "/dev/md/NAME" -> the mdN its
 * link points at, an existing array (else invalid: "no array named NAME").
 */
int vn_md_name(struct vn_ctx *ctx, const char *arg, char *name, size_t len,
	       unsigned int *ret_minor);
/*
 * vn_md_name() for create and assemble: "/dev/md/NAME" puts NAME in @link
 * (the link to make once the array runs, the array's name) and, with no
 * link yet, takes a free mdN (vn_md_free_minor()); @link is "" otherwise.
 */
int vn_md_name_new(struct vn_ctx *ctx, const char *arg, char *name, size_t len,
		   unsigned int *ret_minor, char *link, size_t linklen);
/* The first mdN from md127 down without /sys/block/mdN, as mdadm picks. */
int vn_md_free_minor(struct vn_ctx *ctx, char *name, size_t len, unsigned int *ret_minor);
/* Is @name a NAME for /dev/md/NAME (1..31 of [A-Za-z0-9._-], not . or ..)? */
bool vn_md_link_name_ok(const char *name);
/* Make /dev/md/ and the link /dev/md/@link -> ../@md (a vn_action). */
int vn_md_link(struct vn_ctx *ctx, const char *link, const char *md);
/* Remove every /dev/md/NAME link pointing at @md (what udev does on a stop). */
int vn_md_unlink(struct vn_ctx *ctx, const char *md);
/* open() /dev/@name (its basename). Return: the fd or -errno. */
int vn_md_open_dev(struct vn_ctx *ctx, const char *name, int flags);
/* The array's state, "" when md has no such array. */
void vn_md_array_state(struct vn_ctx *ctx, const char *md, char *buf, size_t len);
/* Is @md active (neither missing, clear nor inactive)? */
bool vn_md_array_running(struct vn_ctx *ctx, const char *md);
/* A whole flag of a member's comma-separated md state ("replacement" is
 * not "want_replacement"). */
bool vn_md_state_has(const char *state, const char *flag);
/* Read and decode the v1.2 superblock of a device. */
int vn_md_read_sb(struct vn_ctx *ctx, const char *name, struct vn_md_sb *sb);
/* "write-through [write-back]" -> "write-back"; "" when no journal. */
void vn_md_bracketed(const char *text, char *buf, size_t len);
/* Does anything hold @name (mounted, md/dm member, swap, exported)? */
bool vn_md_held(struct vn_ctx *ctx, const char *name, char *desc, size_t len);
/* 0 when @md runs; else exit-2 bad input when there is no such array, or a
 * failure when it exists but does not run. */
int vn_md_running_or_invalid(struct vn_ctx *ctx, const char *md);

/* ---- md_create.c: checks, superblocks, the kernel side ---- */

/* Is it a block device that nothing holds, uses, or keeps data on? */
int vn_md_check_free(struct vn_ctx *ctx, const char *what, struct md_dev *d,
		     bool force);
/* No device given twice, the journal not also a member. */
int vn_md_check_distinct(struct vn_ctx *ctx, const struct md_dev *devs, unsigned int n);
/* Refuse when @md already exists (an array state other than clear). */
int vn_md_check_unused(struct vn_ctx *ctx, const char *md);
/*
 * Write each device's planned superblock (and an empty log on the
 * journal); on failure, or on a signal between two devices (-EINTR,
 * vn_stop_point "md-superblock"), erase those written. Return: 0 or -errno.
 */
int vn_md_write_superblocks(struct vn_ctx *ctx, struct md_dev *devs, unsigned int n,
			    bool wipe);
/* Erase what vn_md_write_superblocks() wrote (the 4 KiB at the v1.2 offset). */
unsigned int vn_md_erase_superblocks(struct vn_ctx *ctx, struct md_dev *devs,
				     unsigned int n);
/* An md ioctl on /dev/@md, as an action (dry-run aware). Return: 0 or -errno. */
int vn_md_ioctl(struct vn_ctx *ctx, int fd, const char *md, unsigned long req,
		const char *name, void *arg);
/* Load md_mod and the personality of @level. */
int vn_md_load_personality(struct vn_ctx *ctx, int level);
/*
 * Bind @devs to @md and run it, then make /dev/md/@link when @link is not
 * "". On failure the array is stopped, so no member stays bound to an
 * inactive array. Return: 0 or negative errno.
 */
int vn_md_run_array(struct vn_ctx *ctx, const char *md, struct md_dev *devs,
		    unsigned int n, bool readonly, const char *link);

#endif /* VNVME_MD_PRIVATE_H */
