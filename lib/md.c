// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * md RAID through the kernel's own interfaces: the md ioctls on /dev/mdN
 * (include/uapi/linux/raid/md_u.h), the md/ attributes in sysfs
 * (Documentation/admin-guide/md.rst) and /proc/mdstat. vnvme writes the
 * v1.2 superblocks itself (lib/md_super.c), as mdadm 4.2 does, then lets the
 * kernel assemble the array from them. The call sequences follow mdadm's
 * Create.c/Assemble.c/Manage.c, not its code.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/major.h>	/* MD_MAJOR, used by md_u.h's ioctl numbers */
#include <linux/raid/md_u.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>

#include "internal.h"

#define SECTOR 512u
#define MDSTAT "/proc/mdstat"
#define MDSTAT_MAX (64 * 1024)
#define MD_MINOR_MAX 127		/* mdadm picks free names from md127 down */
#define MD_MAX_DEV_CREATE 128		/* dev_roles entries mdadm writes */
#define MD_BBLOG_SIZE 8			/* sectors, as mdadm 4.2 writes */
#define MD_BBLOG_OFFSET 16		/* sectors after the superblock */
#define MD_SUPER_OFFSET 8		/* v1.2: sector 8 */
#define MD_RAID5_LAYOUT 2		/* ALGORITHM_LEFT_SYMMETRIC */
#define MD_RAID10_LAYOUT 0x102		/* near=2, far=1 */
#define MD_RAID0_ORIG_LAYOUT 1		/* RAID0_ORIG_LAYOUT */
#define MD_FEATURE_RAID0_LAYOUT 0x1000
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

/* ---- small helpers ---- */

/* "md0", "/dev/md0" -> "md0" and its minor; anything else is invalid. */
static int md_name(struct vn_ctx *ctx, const char *arg, char *name, size_t len,
		   unsigned int *ret_minor)
{
	const char *base = vn_basename(arg);
	char *end;
	unsigned long n;

	if (strncmp(arg, "/dev/", 5) != 0 && strchr(arg, '/'))
		return vn_invalid(ctx, "'%s' is not an md device (/dev/mdN)", arg);
	if (strncmp(base, "md", 2) != 0 || !isdigit((unsigned char)base[2]))
		return vn_invalid(ctx, "'%s' is not an md device (/dev/mdN)", arg);
	errno = 0;
	n = strtoul(base + 2, &end, 10);
	if (errno || *end || n > 511)
		return vn_invalid(ctx, "'%s' is not an md device (/dev/mdN)", arg);
	snprintf(name, len, "md%lu", n);
	if (ret_minor)
		*ret_minor = (unsigned int)n;
	return 0;
}

static int open_dev(struct vn_ctx *ctx, const char *name, int flags)
{
	char path[VN_PATH_MAX];
	int fd;

	if (vn_path(ctx, path, sizeof(path), "/dev/%s", vn_basename(name)) < 0)
		return -ENAMETOOLONG;
	fd = open(path, flags | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static int pread_full(int fd, void *buf, size_t len, uint64_t off)
{
	ssize_t n = pread(fd, buf, len, (off_t)off);

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

static int pwrite_full(int fd, const void *buf, size_t len, uint64_t off)
{
	ssize_t n = pwrite(fd, buf, len, (off_t)off);

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

/* The array's state, "" when md has no such array. */
static void array_state(struct vn_ctx *ctx, const char *md, char *buf, size_t len)
{
	if (vn_read_str(ctx, buf, len, "/sys/block/%s/md/array_state", md) < 0)
		buf[0] = '\0';
}

static bool array_running(struct vn_ctx *ctx, const char *md)
{
	char st[32];

	array_state(ctx, md, st, sizeof(st));
	return st[0] && strcmp(st, "clear") != 0 && strcmp(st, "inactive") != 0;
}

static void random_bytes(uint8_t *buf, size_t len)
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

static void uuid_text(const uint8_t u[16], char *buf, size_t len)
{
	snprintf(buf, len, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x", u[0], u[1], u[2], u[3], u[4], u[5],
		 u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
}

/* Read and decode the v1.2 superblock of a device. */
static int read_sb(struct vn_ctx *ctx, const char *name, struct vn_md_sb *sb)
{
	_cleanup_close_ int fd = -1;
	uint8_t buf[VN_MD_SB_BLOCK];
	int r;

	fd = open_dev(ctx, name, O_RDONLY);
	if (fd < 0)
		return vn_fail(ctx, fd, "cannot open /dev/%s: %s", vn_basename(name),
			       strerror(-fd));
	r = pread_full(fd, buf, sizeof(buf), VN_MD_SB_OFFSET);
	if (r < 0)
		return vn_fail(ctx, r, "cannot read /dev/%s: %s", vn_basename(name),
			       strerror(-r));
	r = vn_md_sb_decode(buf, sizeof(buf), sb);
	if (r == -EBADMSG)
		return vn_fail(ctx, r, "/dev/%s: md superblock with a bad checksum",
			       vn_basename(name));
	if (r < 0)
		return vn_fail(ctx, r, "/dev/%s has no md v1.2 superblock",
			       vn_basename(name));
	return 0;
}

/* ---- /proc/mdstat ---- */

static void parse_member(struct vn_md_status *st, const char *tok)
{
	struct vn_md_member *m;
	const char *br = strchr(tok, '[');
	size_t n;

	if (!br || st->nmembers >= VN_MD_MEMBERS_MAX)
		return;
	m = &st->members[st->nmembers++];
	*m = (struct vn_md_member){ .slot = -1 };
	n = (size_t)(br - tok);
	if (n >= sizeof(m->name))
		n = sizeof(m->name) - 1;
	memcpy(m->name, tok, n);
	m->name[n] = '\0';
	m->number = atoi(br + 1);
	m->journal = strstr(br, "(J)") != NULL;
	m->faulty = strstr(br, "(F)") != NULL;
	m->spare = strstr(br, "(S)") != NULL;
	m->replacement = strstr(br, "(R)") != NULL;
	if (m->journal)
		m->slot = -2;
}

/* "md0 : active (read-only) raid5 sdc1[5] nvme0n1p1[0](J)" */
static void parse_head(struct vn_md_status *st, char *line)
{
	char *save = NULL, *tok;
	int i = 0;

	for (tok = strtok_r(line, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save), i++) {
		if (i == 0)
			vn_strlcpy(st->name, tok, sizeof(st->name));
		else if (i == 1)
			continue;	/* ":" */
		else if (strcmp(tok, "active") == 0)
			st->active = true;
		else if (strcmp(tok, "inactive") == 0)
			st->active = false;
		else if (tok[0] == '(')
			st->readonly = true;
		else if (strchr(tok, '['))
			parse_member(st, tok);
		else
			vn_strlcpy(st->level, tok, sizeof(st->level));
	}
}

static void parse_progress(struct vn_md_status *st, const char *line)
{
	static const char *const kinds[] = { "recovery", "resync", "reshape", "check" };
	unsigned long long done, total;
	const char *p;
	double pct;

	for (size_t k = 0; k < VN_ARRAY_SIZE(kinds); k++) {
		p = strstr(line, kinds[k]);
		if (!p || !strchr(p, '='))
			continue;
		if (sscanf(strchr(p, '=') + 1, " %lf%% (%llu/%llu)", &pct, &done, &total) == 3) {
			st->syncing = true;
			st->sync_percent = pct;
			st->sync_done_kib = done;
			st->sync_total_kib = total;
			if (!st->sync_action[0])
				vn_strlcpy(st->sync_action, kinds[k], sizeof(st->sync_action));
		}
		break;
	}
	p = strstr(line, "finish=");
	if (p)
		st->sync_finish_min = strtod(p + 7, NULL);
	p = strstr(line, "speed=");
	if (p)
		st->sync_speed_kib = strtoull(p + 6, NULL, 10);
}

/* "      774144 blocks super 1.2 level 5, 512k chunk, algorithm 2 [4/3] [UU_U]" */
static void parse_body(struct vn_md_status *st, const char *line)
{
	const char *p = line;
	unsigned int n, m;

	while (*p == ' ' || *p == '\t')
		p++;
	if (strstr(p, " blocks")) {
		st->size_bytes = strtoull(p, NULL, 10) * 1024;
		for (const char *b = strchr(p, '['); b; b = strchr(b + 1, '[')) {
			if (sscanf(b, "[%u/%u]", &n, &m) == 2) {
				st->raid_disks = n;
				st->degraded = n > m ? n - m : 0;
			} else if (b[1] == 'U' || b[1] == '_') {
				size_t len = strcspn(b + 1, "]");

				if (len < sizeof(st->health)) {
					memcpy(st->health, b + 1, len);
					st->health[len] = '\0';
				}
			}
		}
	} else if (strchr(p, '%') || strstr(p, "resync=")) {
		parse_progress(st, p);
	}
}

int vn_md_mdstat_parse(const char *text, struct vn_md_status *ret, size_t max)
{
	char *copy = strdup(text), *save = NULL, *line;
	struct vn_md_status *cur = NULL;
	size_t n = 0;

	if (!copy)
		return -ENOMEM;
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] != ' ' && line[0] != '\t') {
			cur = NULL;
			if (strncmp(line, "Personalities", 13) == 0 ||
			    strncmp(line, "unused devices", 14) == 0 || !strstr(line, " : ") ||
			    n >= max)
				continue;
			cur = &ret[n++];
			*cur = (struct vn_md_status){ .sync_percent = -1, .sync_finish_min = -1 };
			parse_head(cur, line);
		} else if (cur) {
			parse_body(cur, line);
		}
	}
	free(copy);
	return (int)n;
}

static int read_mdstat(struct vn_ctx *ctx, char **ret)
{
	char path[VN_PATH_MAX];
	_cleanup_close_ int fd = -1;
	char *buf;
	size_t got = 0;
	ssize_t n;

	if (vn_path(ctx, path, sizeof(path), MDSTAT) < 0)
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return vn_nosupport(ctx, -errno, "cannot read %s: %s (is md_mod loaded?)",
				    MDSTAT, strerror(errno));
	buf = malloc(MDSTAT_MAX);
	if (!buf)
		return vn_fail(ctx, -ENOMEM, "out of memory");
	while (got < MDSTAT_MAX - 1 && (n = read(fd, buf + got, MDSTAT_MAX - 1 - got)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
	*ret = buf;
	return 0;
}

/* ---- status from md/ sysfs ---- */

static void read_member_sysfs(struct vn_ctx *ctx, const char *md, struct vn_md_member *m)
{
	char slot[16];
	uint64_t kib;

	(void)vn_read_str(ctx, m->state, sizeof(m->state), "/sys/block/%s/md/dev-%s/state",
			  md, m->name);
	if (vn_read_str(ctx, slot, sizeof(slot), "/sys/block/%s/md/dev-%s/slot",
			md, m->name) > 0) {
		if (strcmp(slot, "journal") == 0)
			m->slot = -2;
		else if (isdigit((unsigned char)slot[0]))
			m->slot = atoi(slot);
	}
	if (vn_read_u64(ctx, &kib, "/sys/block/%s/md/dev-%s/size", md, m->name) == 0)
		m->size_bytes = kib * 1024;
	if (strstr(m->state, "journal"))
		m->journal = true;
	if (strstr(m->state, "faulty"))
		m->faulty = true;
	if (strstr(m->state, "replacement") && !strstr(m->state, "want_replacement"))
		m->replacement = true;
	if (m->slot == -1 && !m->faulty && !m->journal)
		m->spare = true;
}

/* "write-through [write-back]" -> "write-back"; "" when no journal. */
static void bracketed(const char *text, char *buf, size_t len)
{
	const char *a = strchr(text, '['), *b = a ? strchr(a, ']') : NULL;
	size_t n;

	buf[0] = '\0';
	if (!a || !b)
		return;
	n = (size_t)(b - a - 1);
	if (n >= len)
		n = len - 1;
	memcpy(buf, a + 1, n);
	buf[n] = '\0';
}

static void read_array_sysfs(struct vn_ctx *ctx, struct vn_md_status *st)
{
	const char *md = st->name;
	char mode[64];
	uint64_t v;

	(void)vn_read_str(ctx, st->level, sizeof(st->level), "/sys/block/%s/md/level", md);
	array_state(ctx, md, st->array_state, sizeof(st->array_state));
	(void)vn_read_str(ctx, st->sync_action, sizeof(st->sync_action),
			  "/sys/block/%s/md/sync_action", md);
	(void)vn_read_str(ctx, st->consistency_policy, sizeof(st->consistency_policy),
			  "/sys/block/%s/md/consistency_policy", md);
	(void)vn_read_str(ctx, st->uuid, sizeof(st->uuid), "/sys/block/%s/md/uuid", md);
	if (vn_read_str(ctx, mode, sizeof(mode), "/sys/block/%s/md/journal_mode", md) > 0)
		bracketed(mode, st->journal_mode, sizeof(st->journal_mode));
	if (vn_read_u64(ctx, &v, "/sys/block/%s/md/degraded", md) == 0)
		st->degraded = (unsigned int)v;
	if (vn_read_u64(ctx, &v, "/sys/block/%s/md/raid_disks", md) == 0)
		st->raid_disks = (unsigned int)v;
	if (vn_read_u64(ctx, &v, "/sys/block/%s/md/chunk_size", md) == 0)
		st->chunk_bytes = (unsigned int)v;
	if (vn_read_u64(ctx, &v, "/sys/block/%s/md/component_size", md) == 0)
		st->component_bytes = v * 1024;
	if (vn_read_u64(ctx, &v, "/sys/block/%s/size", md) == 0 && v)
		st->size_bytes = v * SECTOR;
	if (strcmp(st->sync_action, "idle") != 0 && strcmp(st->sync_action, "frozen") != 0 &&
	    st->sync_action[0])
		st->syncing = true;
	for (unsigned int i = 0; i < st->nmembers; i++)
		read_member_sysfs(ctx, md, &st->members[i]);
}

/* Events from the superblock of a working member (best effort, needs root). */
static void read_events(struct vn_ctx *ctx, struct vn_md_status *st)
{
	struct vn_md_sb *sb = malloc(sizeof(*sb));

	if (!sb)
		return;
	for (unsigned int i = 0; i < st->nmembers; i++) {
		if (st->members[i].faulty || st->members[i].journal)
			continue;
		if (read_sb(ctx, st->members[i].name, sb) == 0) {
			st->events = sb->events;
			break;
		}
	}
	vn_ctx_clear_error(ctx);
	free(sb);
}

int vn_md_list(struct vn_ctx *ctx, struct vn_md_status **ret)
{
	_cleanup_free_ char *text = NULL;
	struct vn_md_status *arr;
	int n, r;

	r = read_mdstat(ctx, &text);
	if (r < 0)
		return r;
	arr = calloc(VN_MD_MEMBERS_MAX, sizeof(*arr));
	if (!arr)
		return vn_fail(ctx, -ENOMEM, "out of memory");
	n = vn_md_mdstat_parse(text, arr, VN_MD_MEMBERS_MAX);
	if (n < 0) {
		free(arr);
		return vn_fail(ctx, n, "cannot parse %s", MDSTAT);
	}
	for (int i = 0; i < n; i++) {
		read_array_sysfs(ctx, &arr[i]);
		read_events(ctx, &arr[i]);
	}
	*ret = arr;
	return n;
}

int vn_md_status(struct vn_ctx *ctx, const char *md_arg, struct vn_md_status *ret)
{
	struct vn_md_status *all = NULL;
	char md[VN_NAME_MAX];
	int n, r;

	r = md_name(ctx, md_arg, md, sizeof(md), NULL);
	if (r < 0)
		return r;
	n = vn_md_list(ctx, &all);
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		if (strcmp(all[i].name, md) == 0) {
			*ret = all[i];
			free(all);
			return 0;
		}
	}
	free(all);
	return vn_fail(ctx, -ENODEV, "%s: no such array", md);
}

/* ---- checking devices ---- */

struct md_dev {
	const char *arg;		/* as given */
	struct vn_blkdev blk;
	uint64_t sectors;
	bool journal;
	struct vn_md_sb sb;		/* what is written (create) or read */
	bool written;
};

/* Is it a block device that nothing holds, uses, or keeps data on? */
static int check_free(struct vn_ctx *ctx, const char *what, struct md_dev *d,
		      bool force)
{
	struct vn_hold holds[VN_HOLDS_MAX];
	struct vn_sig sigs[VN_SIGS_MAX];
	char desc[300];
	int n, fd;

	if (vn_blk_get(ctx, d->arg, &d->blk) < 0)
		return -ENODEV;
	d->sectors = d->blk.size_bytes / SECTOR;
	if (d->blk.readonly)
		return vn_refuse(ctx, -EROFS, false, "%s %s is read-only", what, d->arg);
	n = vn_blk_holds(ctx, d->blk.name, holds, VN_HOLDS_MAX);
	if (n < 0)
		return n;
	if (n > 0)
		return vn_refuse(ctx, -EBUSY, false, "%s %s is in use: %s", what, d->arg,
				 vn_blk_describe_hold(&holds[0], desc, sizeof(desc)));
	fd = open_dev(ctx, d->blk.name, O_RDONLY | O_EXCL);
	if (fd == -EBUSY)
		return vn_refuse(ctx, -EBUSY, false, "%s %s is in use (opened exclusively "
				 "by another program)", what, d->arg);
	if (fd < 0)
		return vn_fail(ctx, fd, "cannot open %s: %s", d->arg, strerror(-fd));
	(void)close(fd);
	n = vn_probe_signatures(ctx, d->blk.name, sigs, VN_SIGS_MAX);
	if (n < 0)
		return n;
	if (n > 0 && !force)
		return vn_refuse(ctx, -EEXIST, true, "%s %s holds %s", what, d->arg,
				 vn_sig_describe(&sigs[0], desc, sizeof(desc)));
	return 0;
}

static int check_distinct(struct vn_ctx *ctx, const struct md_dev *devs, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		for (unsigned int j = 0; j < i; j++) {
			if (devs[i].blk.major != devs[j].blk.major ||
			    devs[i].blk.minor != devs[j].blk.minor)
				continue;
			if (devs[i].journal || devs[j].journal)
				return vn_refuse(ctx, -EINVAL, false, "the journal %s is also "
						 "a member", devs[i].journal ? devs[i].arg :
						 devs[j].arg);
			return vn_refuse(ctx, -EINVAL, false, "%s is given twice (as %s)",
					 devs[i].arg, devs[j].arg);
		}
	return 0;
}

static unsigned int min_members(int level)
{
	switch (level) {
	case 4:
	case 5:
		return 3;
	case 6:
		return 4;
	default:
		return 2;
	}
}

static bool has_journal_level(int level)
{
	return level == 4 || level == 5 || level == 6;
}

static int check_request(struct vn_ctx *ctx, const struct vn_md_create_req *req,
			 unsigned int *ret_chunk_kib)
{
	unsigned int chunk = req->chunk_kib;

	if (!vn_md_level_name(req->level))
		return vn_invalid(ctx, "level %d is not one of 0, 1, 4, 5, 6, 10", req->level);
	/* dev_roles vnvme writes: one per device, the journal included */
	if (req->nmembers + (req->journal ? 1u : 0u) > MD_MAX_DEV_CREATE)
		return vn_invalid(ctx, "%u members%s: vnvme creates arrays of at most %d "
				  "devices", req->nmembers, req->journal ? " and a journal" : "",
				  MD_MAX_DEV_CREATE);
	if (req->nmembers < min_members(req->level))
		return vn_refuse(ctx, -EINVAL, false, "%s needs at least %u members, "
				 "%u given", vn_md_level_name(req->level),
				 min_members(req->level), req->nmembers);
	if (req->journal && !has_journal_level(req->level))
		return vn_refuse(ctx, -EINVAL, false, "%s cannot have a write journal "
				 "(only raid4, raid5 and raid6 can)",
				 vn_md_level_name(req->level));
	if (req->level == 1)
		chunk = 0;
	else if (chunk == 0)
		chunk = MD_DEFAULT_CHUNK_KIB;
	/* md: a power of two, a multiple of 4 KiB (raid5 "invalid chunk size") */
	if (req->level != 1 && (chunk < 4 || (chunk & (chunk - 1))))
		return vn_invalid(ctx, "chunk %u KiB is not a power of two of at least "
				  "4 KiB", chunk);
	if (req->name && strlen(req->name) > 31)
		return vn_invalid(ctx, "name '%s' is longer than 31 characters", req->name);
	*ret_chunk_kib = chunk;
	return 0;
}

/* Component size in KiB: the smallest member, rounded as mdadm rounds. */
static int plan_sizes(struct vn_ctx *ctx, struct md_dev *devs, unsigned int n,
		      int level, unsigned int chunk_kib, uint64_t data_offset,
		      bool force, uint64_t *ret_kib)
{
	uint64_t round = chunk_kib ? chunk_kib : RAID1_ROUND_KIB;
	uint64_t min_usable = UINT64_MAX, max_usable = 0, need;
	const char *small = NULL, *big = NULL;
	char a[32], b[32];

	need = data_offset + round * 2;
	for (unsigned int i = 0; i < n; i++) {
		uint64_t floor = devs[i].journal ? data_offset + JOURNAL_MIN_SECTORS : need;

		if (devs[i].sectors < floor)
			return vn_refuse(ctx, -ENOSPC, false, "%s is too small: %s, at least "
					 "%s needed", devs[i].arg,
					 vn_size_format(devs[i].sectors * SECTOR, a, sizeof(a)),
					 vn_size_format(floor * SECTOR, b, sizeof(b)));
		if (devs[i].journal)
			continue;
		if (devs[i].sectors - data_offset < min_usable) {
			min_usable = devs[i].sectors - data_offset;
			small = devs[i].arg;
		}
		if (devs[i].sectors - data_offset > max_usable) {
			max_usable = devs[i].sectors - data_offset;
			big = devs[i].arg;
		}
	}
	if (level != 0 && (max_usable - min_usable) * 100 > min_usable * SIZE_SLACK_PERCENT &&
	    !force)
		return vn_refuse(ctx, -EINVAL, true, "member sizes differ by more than 1%%: "
				 "%s has %s, %s only %s (the array would use the smallest)",
				 big, vn_size_format(max_usable * SECTOR, a, sizeof(a)), small,
				 vn_size_format(min_usable * SECTOR, b, sizeof(b)));
	*ret_kib = min_usable / 2 / round * round;
	return 0;
}

static void set_name(struct vn_md_sb *sb, const char *name)
{
	char host[64] = "";

	if (gethostname(host, sizeof(host) - 1) < 0)
		host[0] = '\0';
	/* mdadm: "homehost:name" when it fits in 32 bytes, else the name alone */
	if (host[0] && strlen(host) + 1 + strlen(name) < 32) {
		size_t h = strlen(host);

		memcpy(sb->set_name, host, h);
		sb->set_name[h] = ':';
		memcpy(sb->set_name + h + 1, name, strlen(name) + 1);
	} else
		snprintf(sb->set_name, sizeof(sb->set_name), "%s", name);
}

static uint32_t md_layout(int level)
{
	switch (level) {
	case 5:
	case 6:
		return MD_RAID5_LAYOUT;
	case 10:
		return MD_RAID10_LAYOUT;
	case 0:
		return MD_RAID0_ORIG_LAYOUT;
	default:
		return 0;
	}
}

/*
 * One template for every device (mdadm --assemble compares ctime, level,
 * layout, size, chunk and raid_disks across all, journal included), then the
 * per-device fields. raid4/5 without --assume-clean: as mdadm, the last
 * member starts as a spare and the kernel recovers onto it, which is
 * faster than a resync.
 */
static void plan_superblocks(struct md_dev *devs, unsigned int n,
			     const struct vn_md_create_req *req, const char *name,
			     unsigned int chunk_kib, uint64_t data_offset, uint64_t size_kib)
{
	bool spare_trick = (req->level == 4 || req->level == 5) && !req->assume_clean;
	struct vn_md_sb t = {
		.feature_map = req->journal ? VN_MD_FEATURE_JOURNAL : 0,
		.ctime = (uint64_t)time(NULL) & ((1ull << 40) - 1),
		.level = req->level,
		.layout = md_layout(req->level),
		.size = req->level == 0 ? 0 : size_kib * 2,
		.chunksize = chunk_kib * 2,
		.raid_disks = req->nmembers,
		.data_offset = data_offset,
		.super_offset = MD_SUPER_OFFSET,
		.bblog_size = MD_BBLOG_SIZE,
		.bblog_offset = MD_BBLOG_OFFSET,
		.max_dev = MD_MAX_DEV_CREATE,
	};
	unsigned int number = 0, slot = 0;

	random_bytes(t.set_uuid, sizeof(t.set_uuid));
	set_name(&t, name);
	t.utime = t.ctime;
	t.resync_offset = req->assume_clean || req->level == 0 || spare_trick ?
		VN_MD_MAX_SECTOR : 0;
	for (unsigned int i = 0; i < VN_MD_MAX_DEV; i++)
		t.dev_roles[i] = VN_MD_ROLE_SPARE;
	/* active members first, then the journal, then the raid4/5 spare */
	for (unsigned int i = 0; i < n; i++) {
		bool spare = spare_trick && !devs[i].journal && slot == req->nmembers - 1;

		if (devs[i].journal || spare)
			continue;
		t.dev_roles[number] = (uint16_t)slot++;
		devs[i].sb.dev_number = number++;
	}
	for (unsigned int i = 0; i < n; i++)
		if (devs[i].journal) {
			t.dev_roles[number] = VN_MD_ROLE_JOURNAL;
			devs[i].sb.dev_number = number++;
		}
	for (unsigned int i = 0; i < n; i++)
		if (spare_trick && !devs[i].journal && i == req->nmembers - 1)
			devs[i].sb.dev_number = number++;
	for (unsigned int i = 0; i < n; i++) {
		uint32_t dev_number = devs[i].sb.dev_number;

		devs[i].sb = t;
		devs[i].sb.dev_number = dev_number;
		devs[i].sb.data_size = devs[i].sectors - data_offset;
		random_bytes(devs[i].sb.device_uuid, sizeof(devs[i].sb.device_uuid));
	}
	if (req->level == 0) {
		uint64_t first = devs[0].sb.data_size / t.chunksize;

		for (unsigned int i = 1; i < n; i++)
			if (devs[i].sb.data_size / t.chunksize != first)
				for (unsigned int k = 0; k < n; k++)
					devs[k].sb.feature_map |= MD_FEATURE_RAID0_LAYOUT;
	}
}

/* ---- writing superblocks ---- */

static bool md_magic_at(int fd, uint64_t off)
{
	uint8_t buf[8];
	static const uint8_t magic[4] = { 0xfc, 0x4e, 0x2b, 0xa9 };	/* le 0xa92b4efc */

	if (pread_full(fd, buf, sizeof(buf), off) < 0)
		return false;
	/* 0.90 stores the same magic in host order: little-endian here too */
	return memcmp(buf, magic, 4) == 0;
}

/* Zero stale md superblocks of other versions (mdadm's Kill loop). */
static int zero_stale(int fd, uint64_t sectors)
{
	static const uint8_t zero[VN_MD_SB_BLOCK];
	uint64_t bytes = sectors * SECTOR;
	uint64_t offs[3] = {
		0,					/* v1.1 */
		((sectors - 16) & ~7ull) * SECTOR,	/* v1.0 */
		(bytes & ~(65536ull - 1)) - 65536,	/* v0.90 */
	};

	for (size_t i = 0; i < VN_ARRAY_SIZE(offs); i++) {
		if (bytes < 65536 * 2 || !md_magic_at(fd, offs[i]))
			continue;
		int r = pwrite_full(fd, zero, sizeof(zero), offs[i]);

		if (r < 0)	/* a short write too: pwrite_full says -EIO */
			return r;
	}
	return 0;
}

static int write_one(struct vn_ctx *ctx, struct md_dev *d, bool wipe)
{
	_cleanup_close_ int fd = -1;
	uint8_t buf[VN_MD_SB_BLOCK];
	int r;

	if (wipe && vn_probe_wipe(ctx, d->blk.name, 0, 0) < 0)
		return -EIO;
	fd = open_dev(ctx, d->blk.name, O_RDWR | O_EXCL);
	if (fd < 0)
		return vn_fail(ctx, fd, "cannot open %s exclusively: %s", d->arg,
			       strerror(-fd));
	r = zero_stale(fd, d->sectors);
	if (r >= 0)
		r = vn_md_sb_encode(&d->sb, buf, sizeof(buf));
	if (r >= 0)
		r = pwrite_full(fd, buf, sizeof(buf), VN_MD_SB_OFFSET);
	if (r >= 0)
		d->written = true;
	if (r >= 0 && d->journal) {
		uint32_t seq;

		random_bytes((uint8_t *)&seq, sizeof(seq));
		vn_md_r5l_empty(buf, d->sb.set_uuid, seq);
		r = pwrite_full(fd, buf, sizeof(buf), d->sb.data_offset * SECTOR);
	}
	if (r >= 0 && fsync(fd) < 0)
		r = -errno;
	if (r < 0)
		return vn_fail(ctx, r, "cannot write the md superblock on %s: %s", d->arg,
			       strerror(-r));
	return 0;
}

static void describe_role(const struct md_dev *d, char *buf, size_t len)
{
	unsigned int role = vn_md_sb_role(&d->sb);

	if (role == VN_MD_ROLE_JOURNAL)
		snprintf(buf, len, "journal");
	else if (role == VN_MD_ROLE_SPARE)
		snprintf(buf, len, "spare (recovered onto)");
	else
		snprintf(buf, len, "slot %u", role);
}

/*
 * After a failure midway: append what was undone to the context's error,
 * so the one line says what failed and what vnvme did about it.
 */
static int undo_note(struct vn_ctx *ctx, int r, const char *fmt, ...) VN_PRINTF(3, 4);
static int undo_note(struct vn_ctx *ctx, int r, const char *fmt, ...)
{
	size_t len = strlen(ctx->err_msg);
	va_list ap;

	if (len + 3 < sizeof(ctx->err_msg)) {
		memcpy(ctx->err_msg + len, "; ", 3);
		va_start(ap, fmt);
		vsnprintf(ctx->err_msg + len + 2, sizeof(ctx->err_msg) - len - 2, fmt, ap);
		va_end(ap);
	}
	return r;
}

/* Erase what write_superblocks() wrote (the 4 KiB at the v1.2 offset). */
static unsigned int erase_superblocks(struct vn_ctx *ctx, struct md_dev *devs,
				      unsigned int n)
{
	static const uint8_t zero[VN_MD_SB_BLOCK];
	unsigned int done = 0;

	for (unsigned int i = 0; i < n; i++) {
		_cleanup_close_ int fd = -1;

		if (!devs[i].written)
			continue;
		if (!vn_action(ctx, "erase the md superblock on %s", devs[i].arg))
			continue;
		fd = open_dev(ctx, devs[i].blk.name, O_RDWR);
		if (fd >= 0 && pwrite_full(fd, zero, sizeof(zero), VN_MD_SB_OFFSET) == 0 &&
		    fsync(fd) == 0) {
			devs[i].written = false;
			done++;
		}
	}
	return done;
}

static int write_superblocks(struct vn_ctx *ctx, struct md_dev *devs, unsigned int n,
			     bool wipe)
{
	char uuid[40], role[32];

	for (unsigned int i = 0; i < n; i++) {
		const struct vn_md_sb *sb = &devs[i].sb;

		uuid_text(sb->set_uuid, uuid, sizeof(uuid));
		describe_role(&devs[i], role, sizeof(role));
		if (!vn_action(ctx, "write md v1.2 superblock on %s: array %s name '%s' "
			       "%s, dev_number %u, %s, data_offset %" PRIu64 " size %" PRIu64
			       " data_size %" PRIu64 " sectors, features 0x%x%s", devs[i].arg,
			       uuid, sb->set_name, vn_md_level_name(sb->level), sb->dev_number,
			       role, sb->data_offset, sb->size, sb->data_size, sb->feature_map,
			       devs[i].journal ? ", and an empty journal log" : ""))
			continue;
		if (write_one(ctx, &devs[i], wipe) < 0) {
			unsigned int undone = erase_superblocks(ctx, devs, n);

			if (undone == 0)
				return -EIO;
			return undo_note(ctx, -EIO, "erased the %u superblock%s written "
					 "before it", undone, undone == 1 ? "" : "s");
		}
	}
	return 0;
}

/* ---- the kernel side: node, SET_ARRAY_INFO, ADD_NEW_DISK, RUN_ARRAY ---- */

static const char *level_module(int level)
{
	return level == 4 || level == 5 || level == 6 ? "raid456" : vn_md_level_name(level);
}

/* Make sure md has an array called @md and /dev/@md exists. */
static int make_node(struct vn_ctx *ctx, const char *md)
{
	int r;

	r = vn_kmod_load(ctx, "md_mod");
	if (r < 0)
		return r;
	if (!vn_exists(ctx, "/sys/block/%s", md)) {
		r = vn_write_str(ctx, md, "/sys/module/md_mod/parameters/new_array");
		if (r < 0 && r != -EEXIST)
			return vn_fail(ctx, r, "cannot create %s (md_mod new_array): %s", md,
				       strerror(-r));
	}
	if (vn_ctx_dry_run(ctx))
		return 0;
	for (unsigned int t = 0; t < NODE_WAIT_MS; t += POLL_MS) {
		if (vn_exists(ctx, "/dev/%s", md))
			return 0;
		vn_msleep(POLL_MS);
	}
	return vn_fail(ctx, -ENOENT, "/dev/%s did not appear", md);
}

static int md_ioctl(struct vn_ctx *ctx, int fd, const char *md, unsigned long req,
		    const char *name, void *arg)
{
	if (!vn_action(ctx, "ioctl %s on /dev/%s", name, md))
		return 0;
	return ioctl(fd, req, arg) < 0 ? -errno : 0;
}

/*
 * Bind @devs to @md and run it. On failure the array is stopped, so no
 * member stays bound to an inactive array. Return: 0 or negative errno.
 */
static int run_array(struct vn_ctx *ctx, const char *md, const struct md_dev *devs,
		     unsigned int n, bool readonly)
{
	mdu_array_info_t info = { .major_version = 1, .minor_version = 2 };
	_cleanup_close_ int fd = -1;
	mdu_param_t param = { 0 };
	int r;

	r = make_node(ctx, md);
	if (r < 0)
		return r;
	if (!vn_ctx_dry_run(ctx)) {
		fd = open_dev(ctx, md, O_RDWR | O_EXCL);
		if (fd < 0)
			return vn_fail(ctx, fd, "cannot open /dev/%s: %s", md, strerror(-fd));
	}
	r = md_ioctl(ctx, fd, md, SET_ARRAY_INFO, "SET_ARRAY_INFO (version 1.2)", &info);
	if (r < 0)
		return vn_fail(ctx, r, "%s: SET_ARRAY_INFO failed: %s", md, strerror(-r));
	for (unsigned int i = 0; i < n; i++) {
		mdu_disk_info_t disk = { .major = (int)devs[i].blk.major,
					 .minor = (int)devs[i].blk.minor };
		char what[VN_NAME_MAX + 32];

		snprintf(what, sizeof(what), "ADD_NEW_DISK %s", devs[i].blk.name);
		r = md_ioctl(ctx, fd, md, ADD_NEW_DISK, what, &disk);
		if (r < 0) {
			(void)vn_fail(ctx, r, "%s: the kernel refused %s: %s", md,
				      devs[i].arg, strerror(-r));
			goto out_stop;
		}
	}
	if (readonly) {
		r = vn_write_str(ctx, "readonly", "/sys/block/%s/md/array_state", md);
		if (r < 0) {
			(void)vn_fail(ctx, r, "%s: cannot start it read-only: %s", md,
				      strerror(-r));
			goto out_stop;
		}
		return 0;
	}
	r = md_ioctl(ctx, fd, md, RUN_ARRAY, "RUN_ARRAY", &param);
	if (r < 0) {
		(void)vn_fail(ctx, r, "%s: the kernel refused to run the array: %s "
			      "(see dmesg)", md, strerror(-r));
		goto out_stop;
	}
	return 0;
out_stop:
	if (vn_action(ctx, "ioctl STOP_ARRAY on /dev/%s", md))
		(void)ioctl(fd, STOP_ARRAY, NULL);
	return r;
}

static int load_personality(struct vn_ctx *ctx, int level)
{
	int r = vn_kmod_load(ctx, "md_mod");

	return r < 0 ? r : vn_kmod_load(ctx, level_module(level));
}

static int check_md_free(struct vn_ctx *ctx, const char *md)
{
	char st[32];

	array_state(ctx, md, st, sizeof(st));
	if (st[0] && strcmp(st, "clear") != 0)
		return vn_refuse(ctx, -EBUSY, false, "%s already exists (%s)", md, st);
	return 0;
}

static int check_create_devs(struct vn_ctx *ctx, const struct vn_md_create_req *req,
			     struct md_dev *devs, unsigned int n)
{
	int r;

	for (unsigned int i = 0; i < n; i++) {
		devs[i].arg = i < req->nmembers ? req->members[i] : req->journal;
		devs[i].journal = i >= req->nmembers;
		r = check_free(ctx, devs[i].journal ? "journal" : "member", &devs[i],
			       req->force);
		if (r < 0)
			return r;
	}
	return check_distinct(ctx, devs, n);
}

int vn_md_create(struct vn_ctx *ctx, const char *md_arg,
		 const struct vn_md_create_req *req, struct vn_md_create_result *ret)
{
	unsigned int n = req->nmembers + (req->journal ? 1 : 0), chunk_kib = 0, minor;
	_cleanup_free_ struct md_dev *devs = NULL;
	char md[VN_NAME_MAX], name[16];
	uint64_t data_offset, size_kib = 0, v;
	int r;

	r = md_name(ctx, md_arg, md, sizeof(md), &minor);
	if (r < 0)
		return r;
	r = check_request(ctx, req, &chunk_kib);
	if (r < 0)
		return r;
	r = check_md_free(ctx, md);
	if (r < 0)
		return r;
	devs = calloc(n, sizeof(*devs));
	if (!devs)
		return vn_fail(ctx, -ENOMEM, "out of memory");
	r = check_create_devs(ctx, req, devs, n);
	if (r < 0)
		return r;
	data_offset = vn_md_data_offset(devs[0].sectors, chunk_kib);
	r = plan_sizes(ctx, devs, n, req->level, chunk_kib, data_offset, req->force,
		       &size_kib);
	if (r < 0)
		return r;
	r = load_personality(ctx, req->level);
	if (r < 0)
		return r;
	snprintf(name, sizeof(name), "%u", minor);
	plan_superblocks(devs, n, req, req->name ? req->name : name, chunk_kib,
			 data_offset, size_kib);

	r = write_superblocks(ctx, devs, n, req->force);
	if (r < 0)
		return r;
	r = run_array(ctx, md, devs, n, false);
	if (r < 0) {
		unsigned int undone = erase_superblocks(ctx, devs, n);

		return undo_note(ctx, r, "stopped %s and erased the %u superblocks "
				 "written", md, undone);
	}
	*ret = (struct vn_md_create_result){
		.component_sectors = size_kib * 2,
		.data_offset = data_offset,
		.syncing = !req->assume_clean && req->level != 0,
	};
	vn_strlcpy(ret->md, md, sizeof(ret->md));
	uuid_text(devs[0].sb.set_uuid, ret->uuid, sizeof(ret->uuid));
	if (vn_read_u64(ctx, &v, "/sys/block/%s/size", md) == 0)
		ret->size_bytes = v * SECTOR;
	return 0;
}

/* ---- assemble ---- */

/* Does anything hold @name (mounted, md/dm member, swap, exported)? */
static bool held(struct vn_ctx *ctx, const char *name, char *desc, size_t len)
{
	struct vn_hold holds[VN_HOLDS_MAX];
	int n = vn_blk_holds(ctx, name, holds, VN_HOLDS_MAX);

	if (n <= 0) {
		vn_ctx_clear_error(ctx);
		return false;
	}
	if (desc)
		vn_blk_describe_hold(&holds[0], desc, len);
	return true;
}

static bool enough_members(int level, unsigned int raid_disks, unsigned int present)
{
	switch (level) {
	case 1:
		return present >= 1;
	case 4:
	case 5:
		return present + 1 >= raid_disks;
	case 6:
		return present + 2 >= raid_disks;
	case 10:
		return present * 2 >= raid_disks;	/* near=2; the kernel checks sets */
	default:
		return present == raid_disks;
	}
}

/* Read every device's superblock; they must all belong to one array. */
static int read_members(struct vn_ctx *ctx, struct md_dev *devs, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		if (vn_blk_get(ctx, devs[i].arg, &devs[i].blk) < 0)
			return -ENODEV;
		if (read_sb(ctx, devs[i].blk.name, &devs[i].sb) < 0)
			return -EINVAL;
		if (memcmp(devs[i].sb.set_uuid, devs[0].sb.set_uuid, 16) != 0)
			return vn_fail(ctx, -EINVAL, "%s and %s belong to different arrays",
				       devs[0].arg, devs[i].arg);
		devs[i].journal = vn_md_sb_role(&devs[i].sb) == VN_MD_ROLE_JOURNAL;
	}
	return check_distinct(ctx, devs, n);
}

/* The freshest superblock among active members and the journal. */
static const struct vn_md_sb *freshest(const struct md_dev *devs, unsigned int n)
{
	const struct vn_md_sb *best = NULL;

	for (unsigned int i = 0; i < n; i++) {
		unsigned int role = vn_md_sb_role(&devs[i].sb);

		if (role == VN_MD_ROLE_SPARE || role == VN_MD_ROLE_FAULTY)
			continue;
		if (!best || devs[i].sb.events > best->events)
			best = &devs[i].sb;
	}
	return best ? best : &devs[0].sb;
}

/* Count the working slots present, as the freshest superblock sees them. */
static int check_complete(struct vn_ctx *ctx, const struct md_dev *devs, unsigned int n,
			  const struct vn_md_assemble_req *req, bool *ret_readonly)
{
	const struct vn_md_sb *f = freshest(devs, n);
	unsigned int expected = 0, present = 0;
	bool journal = false;

	for (uint32_t i = 0; i < f->max_dev; i++)
		if (f->dev_roles[i] < f->raid_disks)
			expected++;
	for (unsigned int i = 0; i < n; i++) {
		uint32_t num = devs[i].sb.dev_number;
		unsigned int role = num < f->max_dev ? f->dev_roles[num] : VN_MD_ROLE_FAULTY;

		if (devs[i].sb.events + 1 < f->events)
			continue;	/* the kernel kicks it as non-fresh */
		if (role < f->raid_disks)
			present++;
		if (role == VN_MD_ROLE_JOURNAL)
			journal = true;
	}
	*ret_readonly = false;
	if ((f->feature_map & VN_MD_FEATURE_JOURNAL) && !journal) {
		if (!req->force)
			return vn_refuse(ctx, -ENODEV, true, "the array's write journal is "
					 "missing; its log may hold data not yet on the members");
		*ret_readonly = true;	/* as the kernel would: read-only */
	}
	if (present < expected && !req->run)
		return vn_refuse(ctx, -ENODEV, false, "only %u of the array's %u working "
				 "members are given (use --run to start it degraded)",
				 present, expected);
	if (!enough_members(f->level, f->raid_disks, present))
		return vn_fail(ctx, -ENODEV, "%u of %u members are not enough to start "
			       "a %s", present, f->raid_disks,
			       vn_md_level_name(f->level) ? vn_md_level_name(f->level) : "array");
	return 0;
}

/* "host:3" -> md3 when free, else the first free from md127 down. */
static int pick_md(struct vn_ctx *ctx, const struct vn_md_sb *sb, char *md, size_t len)
{
	const char *colon = strrchr(sb->set_name, ':');
	const char *name = colon ? colon + 1 : sb->set_name;
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(name, &end, 10);
	if (name[0] && !*end && !errno && n <= MD_MINOR_MAX) {
		snprintf(md, len, "md%lu", n);
		if (!array_running(ctx, md))
			return 0;
	}
	for (int i = MD_MINOR_MAX; i >= 0; i--) {
		snprintf(md, len, "md%d", i);
		if (!vn_exists(ctx, "/sys/block/%s/md", md) || !array_running(ctx, md))
			return 0;
	}
	return vn_fail(ctx, -ENOSPC, "no free md device name");
}

int vn_md_assemble(struct vn_ctx *ctx, const char *md_arg,
		   const struct vn_md_assemble_req *req, char *ret_md, size_t len)
{
	_cleanup_free_ struct md_dev *devs = NULL;
	char md[VN_NAME_MAX], desc[300];
	bool readonly;
	int r;

	if (req->ndevices == 0)
		return vn_invalid(ctx, "no device given");
	devs = calloc(req->ndevices, sizeof(*devs));
	if (!devs)
		return vn_fail(ctx, -ENOMEM, "out of memory");
	for (unsigned int i = 0; i < req->ndevices; i++)
		devs[i].arg = req->devices[i];
	r = read_members(ctx, devs, req->ndevices);
	if (r < 0)
		return r;
	r = check_complete(ctx, devs, req->ndevices, req, &readonly);
	if (r < 0)
		return r;
	if (md_arg)
		r = md_name(ctx, md_arg, md, sizeof(md), NULL);
	else
		r = pick_md(ctx, &devs[0].sb, md, sizeof(md));
	if (r < 0)
		return r;
	r = check_md_free(ctx, md);
	if (r < 0)
		return r;
	for (unsigned int i = 0; i < req->ndevices; i++) {
		struct md_dev *d = &devs[i];
		char what[16];

		snprintf(what, sizeof(what), "%s", d->journal ? "journal" : "member");
		if (held(ctx, d->blk.name, desc, sizeof(desc)))
			return vn_refuse(ctx, -EBUSY, false, "%s %s is in use: %s", what,
					 d->arg, desc);
	}
	r = load_personality(ctx, devs[0].sb.level);
	if (r < 0)
		return r;
	r = run_array(ctx, md, devs, req->ndevices, readonly);
	if (r < 0)
		return r;
	vn_strlcpy(ret_md, md, len);
	return 0;
}

struct scan_group {
	uint8_t uuid[16];
	char name[33];
	char *devs[VN_MD_MEMBERS_MAX];
	unsigned int n;
};

static void scan_add(struct scan_group *groups, unsigned int *ng, size_t max,
		     const struct vn_md_sb *sb, const char *dev)
{
	unsigned int g;

	for (g = 0; g < *ng; g++)
		if (memcmp(groups[g].uuid, sb->set_uuid, 16) == 0)
			break;
	if (g == *ng) {
		if (*ng >= max)
			return;
		memcpy(groups[g].uuid, sb->set_uuid, 16);
		memcpy(groups[g].name, sb->set_name, sizeof(groups[g].name));
		groups[g].n = 0;
		(*ng)++;
	}
	if (groups[g].n < VN_MD_MEMBERS_MAX)
		groups[g].devs[groups[g].n++] = strdup(dev);
}

static bool is_raid_member(struct vn_ctx *ctx, const char *name)
{
	struct vn_sig sigs[VN_SIGS_MAX];
	int n = vn_probe_signatures(ctx, name, sigs, VN_SIGS_MAX);

	for (int i = 0; i < n; i++)
		if (strcmp(sigs[i].type, "linux_raid_member") == 0)
			return true;
	return false;
}

int vn_md_scan(struct vn_ctx *ctx,
	       int (*fn)(void *data, const char *uuid, const char *name,
			 const char *const *devs, unsigned int n),
	       void *data)
{
	struct scan_group *groups = calloc(VN_MD_MEMBERS_MAX, sizeof(*groups));
	struct vn_blkdev *blks = NULL;
	struct vn_md_sb *sb = malloc(sizeof(*sb));
	unsigned int ng = 0;
	int nb, r = 0;

	if (!groups || !sb) {
		free(groups);
		free(sb);
		return vn_fail(ctx, -ENOMEM, "out of memory");
	}
	nb = vn_blk_list(ctx, &blks);
	for (int i = 0; i < nb; i++) {
		char path[VN_NAME_MAX + 8];

		if (blks[i].kind == VN_BLK_MD || held(ctx, blks[i].name, NULL, 0) ||
		    !is_raid_member(ctx, blks[i].name) || read_sb(ctx, blks[i].name, sb) < 0)
			continue;
		snprintf(path, sizeof(path), "/dev/%s", blks[i].name);
		scan_add(groups, &ng, VN_MD_MEMBERS_MAX, sb, path);
	}
	vn_ctx_clear_error(ctx);
	free(blks);
	for (unsigned int g = 0; g < ng; g++) {
		char uuid[40];

		uuid_text(groups[g].uuid, uuid, sizeof(uuid));
		if (r >= 0 && fn(data, uuid, groups[g].name,
				 (const char *const *)groups[g].devs, groups[g].n) < 0)
			r = -EIO;
		for (unsigned int k = 0; k < groups[g].n; k++)
			free(groups[g].devs[k]);
	}
	free(groups);
	free(sb);
	return nb < 0 ? nb : r < 0 ? r : (int)ng;
}

/* ---- stop ---- */

/*
 * The raid5-cache stop hang (6.1, measured in tests/lab/t-raid-stop.sh):
 * with the journal in write-back and a large stripe cache full of dirty stripes, STOP_ARRAY
 * sleeps in raid5_quiesce() for good. Before stopping, vnvme switches the
 * journal to write-through (the kernel then writes cached stripes out),
 * flushes the device and waits, bounded, for the stripe cache to drain.
 */
/*
 * Does writing journal_mode flush the write-back cache first? Up to 6.6 the
 * store suspended the array with the personality quiesced, which wrote the
 * cached stripes out while still in write-back. From 6.7 (md's suspend
 * rework) it no longer quiesces: cached stripes outlive the switch, and the
 * quiesce of a later STOP_ARRAY hits BUG_ON(!r5c_is_writeback) in
 * r5c_make_stripe_write_out (raid5-cache.c; seen on Debian 13's 6.12).
 * There vnvme stops in write-back, as mdadm does: fine after light writes,
 * but the 6.1 hang in raid5_quiesce (heavy writes, raised stripe cache)
 * happens on 6.12 as well, and no userspace switch avoids it there.
 */
static bool journal_switch_flushes(struct vn_ctx *ctx)
{
	char rel[64];
	unsigned int major = 0, minor = 0;

	if (vn_read_str(ctx, rel, sizeof(rel), "/proc/sys/kernel/osrelease") <= 0 ||
	    sscanf(rel, "%u.%u", &major, &minor) != 2)
		return true;	/* unknown: as the kernels vnvme was built on */
	return major < 6 || (major == 6 && minor < 7);
}

static int drain_journal(struct vn_ctx *ctx, const char *md, int fd, bool *ret_switched)
{
	char text[64], mode[16];
	uint64_t active = 0;
	int r;

	*ret_switched = false;
	if (vn_read_str(ctx, text, sizeof(text), "/sys/block/%s/md/journal_mode", md) <= 0)
		return 0;	/* no journal */
	bracketed(text, mode, sizeof(mode));
	if (strcmp(mode, "write-back") == 0 && !journal_switch_flushes(ctx)) {
		/* stop in write-back: STOP_ARRAY's quiesce flushes the cache */
		if (vn_action(ctx, "flush /dev/%s (journal stays in write-back)", md))
			(void)fsync(fd);
		return 0;
	}
	if (strcmp(mode, "write-back") == 0) {
		r = vn_write_str(ctx, "write-through", "/sys/block/%s/md/journal_mode", md);
		if (r < 0)
			return vn_fail(ctx, r, "%s: cannot switch the journal to "
				       "write-through before stopping: %s", md, strerror(-r));
		*ret_switched = true;
	}
	if (!vn_action(ctx, "flush /dev/%s and wait for its stripe cache to drain", md))
		return 0;
	(void)fsync(fd);
	for (unsigned int t = 0; t < DRAIN_WAIT_MS; t += POLL_MS) {
		if (vn_read_u64(ctx, &active, "/sys/block/%s/md/stripe_cache_active", md) < 0 ||
		    active == 0)
			return 0;
		vn_msleep(POLL_MS);
	}
	return vn_fail(ctx, -ETIMEDOUT, "%s: %" PRIu64 " stripes still active after "
		       "%u s; not stopping it", md, active, DRAIN_WAIT_MS / 1000);
}

static int stop_checks(struct vn_ctx *ctx, const char *md)
{
	char desc[300];

	if (!vn_exists(ctx, "/sys/block/%s/md", md))
		return vn_fail(ctx, -ENODEV, "%s: no such array", md);
	if (held(ctx, md, desc, sizeof(desc)))
		return vn_refuse(ctx, -EBUSY, false, "%s is in use: %s", md, desc);
	return 0;
}

int vn_md_stop(struct vn_ctx *ctx, const char *md_arg)
{
	_cleanup_close_ int fd = -1;
	char md[VN_NAME_MAX];
	bool switched = false;
	int r;

	r = md_name(ctx, md_arg, md, sizeof(md), NULL);
	if (r < 0)
		return r;
	r = stop_checks(ctx, md);
	if (r < 0)
		return r;
	fd = open_dev(ctx, md, O_RDONLY | O_EXCL);
	if (fd == -EBUSY)
		return vn_refuse(ctx, -EBUSY, false, "%s is open by another program", md);
	if (fd < 0)
		return vn_fail(ctx, fd, "cannot open /dev/%s: %s", md, strerror(-fd));
	if (array_running(ctx, md)) {
		r = drain_journal(ctx, md, fd, &switched);
		if (r < 0)
			return r;
	}
	if (!vn_action(ctx, "ioctl STOP_ARRAY on /dev/%s", md))
		return 0;
	for (unsigned int i = 0; i < STOP_RETRIES; i++) {
		if (ioctl(fd, STOP_ARRAY, NULL) == 0)
			return 0;
		r = -errno;
		if (r != -EBUSY)
			break;
		vn_msleep(STOP_RETRY_MS);
	}
	if (r == -EBUSY) {
		/* not stopped after all: give the journal its mode back */
		if (switched && vn_write_str(ctx, "write-back",
					     "/sys/block/%s/md/journal_mode", md) == 0)
			return vn_refuse(ctx, r, false, "%s is open by another program (the "
					 "kernel refused to stop it; journal back in "
					 "write-back)", md);
		return vn_refuse(ctx, r, false, "%s is open by another program (the "
				 "kernel refused to stop it)", md);
	}
	return vn_fail(ctx, r, "%s: STOP_ARRAY failed: %s", md, strerror(-r));
}

/* ---- wait ---- */

int vn_md_wait(struct vn_ctx *ctx, const char *md_arg,
	       void (*progress)(void *data, const struct vn_md_status *st), void *data)
{
	struct vn_md_status *st = malloc(sizeof(*st));
	unsigned int tick = 0;
	int r;

	if (!st)
		return vn_fail(ctx, -ENOMEM, "out of memory");
	for (;;) {
		r = vn_md_status(ctx, md_arg, st);
		if (r < 0 || !st->syncing)
			break;
		if (progress && tick % 10 == 0)
			progress(data, st);
		tick++;
		vn_msleep(POLL_MS);
	}
	if (r == 0 && progress)
		progress(data, st);
	free(st);
	return r;
}

/* ---- members of a running array ---- */

static int member_of(struct vn_ctx *ctx, const char *md_arg, const char *dev,
		     char *md, size_t mdlen, struct vn_blkdev *blk)
{
	int r = md_name(ctx, md_arg, md, mdlen, NULL);

	if (r < 0)
		return r;
	if (!array_running(ctx, md))
		return vn_fail(ctx, -ENODEV, "%s is not running", md);
	r = vn_blk_get(ctx, dev, blk);
	if (r < 0)
		return r;
	if (!vn_exists(ctx, "/sys/block/%s/md/dev-%s", md, blk->name))
		return vn_invalid(ctx, "%s is not a member of %s", dev, md);
	return 0;
}

int vn_md_fail(struct vn_ctx *ctx, const char *md_arg, const char *dev)
{
	struct vn_blkdev blk;
	char md[VN_NAME_MAX];
	int r;

	r = member_of(ctx, md_arg, dev, md, sizeof(md), &blk);
	if (r < 0)
		return r;
	r = vn_write_str(ctx, "faulty", "/sys/block/%s/md/dev-%s/state", md, blk.name);
	if (r == -EBUSY)
		return vn_refuse(ctx, r, false, "failing %s would break %s", dev, md);
	if (r < 0)
		return vn_fail(ctx, r, "%s: cannot mark %s faulty: %s", md, dev, strerror(-r));
	return 0;
}

int vn_md_remove(struct vn_ctx *ctx, const char *md_arg, const char *dev)
{
	struct vn_blkdev blk;
	char md[VN_NAME_MAX];
	int r = 0;

	r = member_of(ctx, md_arg, dev, md, sizeof(md), &blk);
	if (r < 0)
		return r;
	for (unsigned int i = 0; i < REMOVE_RETRIES; i++) {
		r = vn_write_str(ctx, "remove", "/sys/block/%s/md/dev-%s/state", md, blk.name);
		if (r != -EBUSY)
			break;
		vn_msleep(10);
	}
	if (r == -EBUSY)
		return vn_refuse(ctx, r, false, "%s is an active member of %s: "
				 "fail it first", dev, md);
	if (r < 0)
		return vn_fail(ctx, r, "%s: cannot remove %s: %s", md, dev, strerror(-r));
	return 0;
}

/* A working member's superblock: the template for a new device. */
static int template_sb(struct vn_ctx *ctx, const struct vn_md_status *st,
		       struct vn_md_sb *sb)
{
	for (unsigned int i = 0; i < st->nmembers; i++) {
		const struct vn_md_member *m = &st->members[i];

		if (!m->faulty && !m->journal && m->slot >= 0 && read_sb(ctx, m->name, sb) == 0)
			return 0;
	}
	return vn_fail(ctx, -ENODEV, "%s: no working member to copy the superblock "
		       "from", st->name);
}

/* mdadm Manage_add: the first number >= raid_disks that no device uses. */
static uint32_t free_number(const struct vn_md_status *st, uint32_t raid_disks)
{
	for (uint32_t num = raid_disks;; num++) {
		bool used = false;

		for (unsigned int i = 0; i < st->nmembers; i++)
			used |= st->members[i].number == (int)num;
		if (!used)
			return num;
	}
}

static int add_device(struct vn_ctx *ctx, const char *md, struct md_dev *d,
		      const struct vn_md_status *st)
{
	mdu_disk_info_t disk = { 0 };
	_cleanup_close_ int fd = -1;
	char a[32];
	int r;

	r = template_sb(ctx, st, &d->sb);
	if (r < 0)
		return r;
	if (d->sectors < d->sb.data_offset + d->sb.size)
		return vn_refuse(ctx, -ENOSPC, false, "%s is too small: %s, the array "
				 "needs %s", d->arg, vn_size_format(d->sectors * SECTOR, a,
				 sizeof(a)), "more");
	d->sb.dev_number = free_number(st, d->sb.raid_disks);
	d->sb.events = 0;
	d->sb.data_size = d->sectors - d->sb.data_offset;
	d->sb.recovery_offset = 0;
	d->sb.feature_map &= ~0x2u;	/* MD_FEATURE_RECOVERY_OFFSET */
	random_bytes(d->sb.device_uuid, sizeof(d->sb.device_uuid));
	if (d->sb.dev_number < d->sb.max_dev)
		d->sb.dev_roles[d->sb.dev_number] = VN_MD_ROLE_SPARE;
	d->journal = false;
	r = write_superblocks(ctx, d, 1, false);
	if (r < 0)
		return r;
	disk = (mdu_disk_info_t){ .number = (int)d->sb.dev_number,
				  .major = (int)d->blk.major, .minor = (int)d->blk.minor };
	if (!vn_ctx_dry_run(ctx)) {
		fd = open_dev(ctx, md, O_RDWR);
		if (fd < 0)
			return vn_fail(ctx, fd, "cannot open /dev/%s: %s", md, strerror(-fd));
	}
	r = md_ioctl(ctx, fd, md, ADD_NEW_DISK, "ADD_NEW_DISK", &disk);
	if (r < 0) {
		(void)erase_superblocks(ctx, d, 1);
		return vn_fail(ctx, r, "%s: the kernel refused %s: %s", md, d->arg,
			       strerror(-r));
	}
	return 0;
}

int vn_md_add(struct vn_ctx *ctx, const char *md_arg, const char *dev, bool force)
{
	struct vn_md_status *st = malloc(sizeof(*st));
	struct md_dev *d = calloc(1, sizeof(*d));
	int r;

	if (!st || !d) {
		r = vn_fail(ctx, -ENOMEM, "out of memory");
		goto out;
	}
	r = vn_md_status(ctx, md_arg, st);
	if (r < 0)
		goto out;
	d->arg = dev;
	r = check_free(ctx, "device", d, force);
	if (r < 0)
		goto out;
	r = add_device(ctx, st->name, d, st);
out:
	free(st);
	free(d);
	return r;
}

int vn_md_replace(struct vn_ctx *ctx, const char *md_arg, const char *old,
		  const char *new_dev, bool force)
{
	struct vn_blkdev blk;
	char md[VN_NAME_MAX], state[64];
	int r;

	r = member_of(ctx, md_arg, old, md, sizeof(md), &blk);
	if (r < 0)
		return r;
	(void)vn_read_str(ctx, state, sizeof(state), "/sys/block/%s/md/dev-%s/state", md,
			  blk.name);
	if (strstr(state, "faulty")) {
		/* already failed: take it out, the kernel recovers onto the new one */
		r = vn_md_remove(ctx, md, old);
		return r < 0 ? r : vn_md_add(ctx, md, new_dev, force);
	}
	r = vn_md_add(ctx, md, new_dev, force);
	if (r < 0)
		return r;
	r = vn_write_str(ctx, "want_replacement", "/sys/block/%s/md/dev-%s/state", md,
			 blk.name);
	if (r < 0)
		return vn_fail(ctx, r, "%s: cannot mark %s for replacement: %s", md, old,
			       strerror(-r));
	return 0;
}

/* ---- journal mode ---- */

static int set_mode_checks(struct vn_ctx *ctx, const char *md, const char *mode,
			   bool force)
{
	struct vn_md_status *st;
	int r;

	if (strcmp(mode, "write-back") != 0 && strcmp(mode, "write-through") != 0)
		return vn_invalid(ctx, "'%s' is not write-back or write-through", mode);
	if (strcmp(mode, "write-back") != 0)
		return 0;	/* write-through is always the safe direction */
	st = malloc(sizeof(*st));
	if (!st)
		return vn_fail(ctx, -ENOMEM, "out of memory");
	r = vn_md_status(ctx, md, st);
	if (r == 0 && st->degraded)
		r = vn_refuse(ctx, -EINVAL, false, "%s is degraded (%u missing): md keeps "
			      "a degraded array's journal in write-through", md, st->degraded);
	else if (r == 0 && st->syncing && !force)
		r = vn_refuse(ctx, -EBUSY, true, "%s: %s runs (%.1f%%); wait for it "
			      "(vnvme raid wait) before write-back", md, st->sync_action,
			      st->sync_percent < 0 ? 0.0 : st->sync_percent);
	free(st);
	return r;
}

int vn_md_journal_mode(struct vn_ctx *ctx, const char *md_arg, const char *mode,
		       bool force, char *ret, size_t len)
{
	char md[VN_NAME_MAX], text[64];
	int r;

	r = md_name(ctx, md_arg, md, sizeof(md), NULL);
	if (r < 0)
		return r;
	if (!array_running(ctx, md))
		return vn_fail(ctx, -ENODEV, "%s is not running", md);
	r = vn_read_str(ctx, text, sizeof(text), "/sys/block/%s/md/journal_mode", md);
	if (r <= 0)
		return vn_refuse(ctx, -ENODEV, false, "%s has no write journal", md);
	if (mode) {
		r = set_mode_checks(ctx, md, mode, force);
		if (r < 0)
			return r;
		r = vn_write_str(ctx, mode, "/sys/block/%s/md/journal_mode", md);
		if (r < 0)
			return vn_fail(ctx, r, "%s: the kernel refused journal mode %s: %s",
				       md, mode, strerror(-r));
		if (vn_ctx_dry_run(ctx)) {
			vn_strlcpy(ret, mode, len);
			return 0;
		}
		(void)vn_read_str(ctx, text, sizeof(text), "/sys/block/%s/md/journal_mode", md);
	}
	bracketed(text, ret, len);
	return 0;
}

/* vn_md_examine(): the public face of read_sb(), for the stack's identity. */
int vn_md_examine(struct vn_ctx *ctx, const char *dev, struct vn_md_sb *ret)
{
	return read_sb(ctx, vn_basename(dev), ret);
}
