// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * A RAM read cache in front of a block device: the checks, the naming and
 * the listing common to both engines; the engines themselves
 * (lib/cache_rapiddisk.c, lib/cache_dmcache.c) make the RAM devices and
 * the device-mapper table.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "cache_priv.h"

static const struct vn_cache_engine *const engines[] = {
	&vn_cache_engine_rapiddisk,	/* first: the article's, tried first */
	&vn_cache_engine_dmcache,
};

static const char *const mode_names[VN_CACHE_MODE_MAX] = {
	[VN_CACHE_WA] = "wa", [VN_CACHE_WT] = "wt", [VN_CACHE_WB] = "wb",
};

/**
 * vn_cache_mode_name() - "wa", "wt" or "wb".
 * @mode: the mode.
 *
 * Return: its name.
 */
const char *vn_cache_mode_name(enum vn_cache_mode mode)
{
	return mode < VN_CACHE_MODE_MAX ? mode_names[mode] : "?";
}

/**
 * vn_cache_mode_parse() - parse "wa", "wt" or "wb".
 * @s: the text.
 * @ret: the mode.
 *
 * Return: 0 or -EINVAL.
 */
int vn_cache_mode_parse(const char *s, enum vn_cache_mode *ret)
{
	for (int m = 0; m < VN_CACHE_MODE_MAX; m++)
		if (strcmp(s, mode_names[m]) == 0) {
			*ret = (enum vn_cache_mode)m;
			return 0;
		}
	return -EINVAL;
}

/**
 * vn_cache_default_name() - RapidDisk's name for a mapping: "rc-" + mode +
 * "_" + the last path component of the target ("rc-wa_md0").
 * @mode: the mode.
 * @target: "/dev/md0" or "md0".
 * @buf: the name.
 * @len: size of @buf.
 *
 * Return: 0, or -ENAMETOOLONG / -EINVAL when no valid dm name results.
 */
int vn_cache_default_name(enum vn_cache_mode mode, const char *target,
			  char *buf, size_t len)
{
	int n = snprintf(buf, len, "rc-%s_%s", vn_cache_mode_name(mode),
			 vn_basename(target));

	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return vn_dm_valid_name(buf) && vn_basename(target)[0] ? 0 : -EINVAL;
}

void vn_cache_uuid(const char *engine, const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s-%s", VN_CACHE_UUID_PREFIX, engine, name);
}

int vn_cache_map(struct vn_ctx *ctx, const char *engine, const char *name,
		 const struct vn_blkdev *target, const char *type, const char *params)
{
	struct vn_dm_target t = {
		.start = 0,
		.length = target->size_bytes / VN_SECTOR_SIZE,
		.type = type,
		.params = params,
	};
	char uuid[160];
	int r;

	vn_cache_uuid(engine, name, uuid, sizeof(uuid));
	r = vn_stop_point(ctx, "cache-map");
	return r < 0 ? r : vn_dm_create(ctx, name, uuid, &t, 1, NULL);
}

void vn_cache_counter_add(struct vn_cache_stats *s, const char *key, uint64_t v)
{
	if (s->n_counters >= VN_CACHE_COUNTERS_MAX)
		return;
	vn_strlcpy(s->counters[s->n_counters].key, key, sizeof(s->counters[0].key));
	s->counters[s->n_counters++].value = v;
}

int vn_cache_devname(const struct vn_ctx *ctx, unsigned int ma, unsigned int mi,
		     char *buf, size_t len)
{
	char path[VN_PATH_MAX], link[VN_PATH_MAX];
	ssize_t n;
	int r;

	r = vn_path(ctx, path, sizeof(path), "/sys/dev/block/%u:%u", ma, mi);
	if (r < 0)
		return r;
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -errno;
	link[n] = '\0';
	vn_strlcpy(buf, vn_basename(link), len);
	return 0;
}

static const struct vn_cache_engine *engine_by_name(const char *name)
{
	for (size_t i = 0; i < VN_ARRAY_SIZE(engines); i++)
		if (strcmp(engines[i]->name, name) == 0)
			return engines[i];
	return NULL;
}

/**
 * vn_cache_parse_status() - the counters of an engine's dm status line.
 * @engine: "rapiddisk" or "dm-cache".
 * @status: the STATUSTYPE_INFO text (dmsetup status without the first
 * three fields).
 * @ret: the counters.
 *
 * Return: 0, or -EINVAL for an unknown engine or a line that does not parse.
 */
int vn_cache_parse_status(const char *engine, const char *status,
			  struct vn_cache_stats *ret)
{
	const struct vn_cache_engine *e = engine_by_name(engine);

	if (!e)
		return -EINVAL;
	*ret = (struct vn_cache_stats){ 0 };
	return e->parse_status(status, ret);
}

static const struct vn_cache_engine *engine_of(const char *type, const char *uuid)
{
	for (size_t i = 0; i < VN_ARRAY_SIZE(engines); i++) {
		if (strcmp(engines[i]->dm_target, type) != 0)
			continue;
		/* rapiddisk-cache mappings are all RapidDisk's (its CLI sets no
		 * uuid); a plain "cache" table may be LVM's: only vnvme's count */
		if (engines[i] == &vn_cache_engine_rapiddisk ||
		    strncmp(uuid, VN_CACHE_UUID_PREFIX, strlen(VN_CACHE_UUID_PREFIX)) == 0)
			return engines[i];
	}
	return NULL;
}

static void fill_sysfs(struct vn_ctx *ctx, struct vn_cache_info *info)
{
	char wc[32] = "";
	uint64_t sectors = 0;

	(void)vn_read_u64(ctx, &sectors, "/sys/block/%s/size", info->dm_dev);
	info->size_bytes = sectors * VN_SECTOR_SIZE;
	/* "write back": the mapping takes flushes and passes them on */
	(void)vn_read_str(ctx, wc, sizeof(wc), "/sys/block/%s/queue/write_cache",
			  info->dm_dev);
	info->flush_passed = strcmp(wc, "write back") == 0;
}

/**
 * vn_cache_get() - a cache mapping by name, with its counters.
 * @ctx: context.
 * @name: the mapped name ("rc-wa_md0").
 * @ret: filled.
 *
 * Return: 0; -ENOENT when no cache mapping has that name (a dm device of
 * another kind included); else a negative errno.
 */
int vn_cache_get(struct vn_ctx *ctx, const char *name, struct vn_cache_info *ret)
{
	const struct vn_cache_engine *e;
	char type[32], table[1024], status[2048];
	struct vn_dm_info di;
	int r;

	if (!vn_dm_valid_name(name))	/* a name that cannot exist: bad input */
		return vn_invalid_errno(ctx, -ENOENT, "no cache mapping named %s", name);
	r = vn_dm_info(ctx, name, &di);
	if (r < 0)
		return r;
	if (!di.exists)		/* no such device: bad input, exit 2 (vnvme(8)) */
		return vn_invalid_errno(ctx, -ENOENT, "no cache mapping named %s", name);
	r = vn_dm_status(ctx, name, true, type, table, sizeof(table));
	if (r < 0)
		return r;
	e = engine_of(type, di.uuid);
	if (!e)
		return vn_fail(ctx, -ENOENT, "%s is a device-mapper device but not a "
			       "cache mapping (target %s)", name, type);
	r = vn_dm_status(ctx, name, false, NULL, status, sizeof(status));
	if (r < 0)
		return r;
	*ret = (struct vn_cache_info){ .engine = e->name, .open_count = di.open_count };
	vn_strlcpy(ret->name, name, sizeof(ret->name));
	snprintf(ret->dm_dev, sizeof(ret->dm_dev), "dm-%u", di.minor);
	snprintf(ret->path, sizeof(ret->path), "/dev/mapper/%s", name);
	fill_sysfs(ctx, ret);
	e->describe(ctx, table, ret);
	if (e->parse_status(status, &ret->stats) < 0)
		return vn_fail(ctx, -EINVAL, "%s: cannot parse its status: %s", name, status);
	return 0;
}

/**
 * vn_cache_list() - every cache mapping (of either engine).
 * @ctx: context.
 * @ret: malloc'ed array (free()), NULL when there is none.
 *
 * Return: their number, or a negative errno. Without device-mapper in the
 * kernel the answer is 0.
 */
int vn_cache_list(struct vn_ctx *ctx, struct vn_cache_info **ret)
{
	char (*names)[VN_NAME_MAX] = NULL;
	struct vn_cache_info *list = NULL;
	size_t n = 0;
	int count;

	*ret = NULL;
	if (!vn_exists(ctx, "/sys/module/dm_mod"))
		return 0;	/* no device-mapper, no mapping: load nothing to say so */
	count = vn_dm_list(ctx, &names);
	if (count < 0)
		return count;
	for (int i = 0; i < count; i++) {
		struct vn_cache_info info, *nl;

		if (vn_cache_get(ctx, names[i], &info) < 0) {
			vn_ctx_clear_error(ctx);	/* not a cache, or gone meanwhile */
			continue;
		}
		nl = realloc(list, (n + 1) * sizeof(*list));
		if (!nl) {
			free(list);
			free(names);
			return vn_fail(ctx, -ENOMEM, "out of memory");
		}
		list = nl;
		list[n++] = info;
	}
	free(names);
	*ret = list;
	return (int)n;
}

/* The target: exists, is a block device, nothing holds it. */
static int check_target(struct vn_ctx *ctx, const char *target, struct vn_blkdev *ret)
{
	struct vn_hold holds[VN_HOLDS_MAX];
	char why[512];
	int n, r;

	r = vn_blk_get(ctx, target, ret);
	if (r < 0)
		return r;
	if (ret->size_bytes == 0)
		return vn_fail(ctx, -ENXIO, "%s has no media (size 0)", target);
	if (ret->kind == VN_BLK_RAM)
		return vn_refuse(ctx, -EINVAL, false, "%s is a RAM device: a cache in "
				 "front of it is pointless", target);
	n = vn_blk_holds(ctx, ret->name, holds, VN_HOLDS_MAX);
	if (n < 0)
		return n;
	if (n > 0) {
		vn_blk_describe_hold(&holds[0], why, sizeof(why));
		if (holds[0].kind == VN_HOLD_DM)
			return vn_refuse(ctx, -EBUSY, false, "%s is already mapped: %s",
					 target, why);
		return vn_refuse(ctx, -EBUSY, false, "%s", why);
	}
	return 0;
}

/* Which engine: the one asked for, else RapidDisk if it loads, else dm-cache. */
static int pick_engine(struct vn_ctx *ctx, const char *name,
		       const struct vn_cache_engine **ret)
{
	const struct vn_cache_engine *e;
	int r;

	if (name) {
		e = engine_by_name(name);
		if (!e)
			return vn_invalid(ctx, "unknown cache engine '%s' (rapiddisk or "
					  "dm-cache)", name);
		r = e->load(ctx);
		if (r < 0)
			return r;
		*ret = e;
		return 0;
	}
	for (size_t i = 0; i < VN_ARRAY_SIZE(engines); i++) {
		r = engines[i]->load(ctx);
		if (r == 0) {
			*ret = engines[i];
			return 0;
		}
		if (vn_ctx_error_kind(ctx) != VN_ERR_NOSUPPORT ||
		    i + 1 == VN_ARRAY_SIZE(engines))
			return r;
		vn_ctx_clear_error(ctx);	/* no RapidDisk here: try the next */
	}
	return -ENOENT;
}

static int check_mode(struct vn_ctx *ctx, const struct vn_cache_engine *e,
		      const struct vn_cache_req *req, enum vn_cache_mode *ret)
{
	enum vn_cache_mode mode = req->mode_set ? req->mode : e->default_mode;

	if (mode == VN_CACHE_WB && !req->unsafe)
		return vn_refuse(ctx, -EPERM, false, "write-back keeps acknowledged "
				 "writes only in RAM: a power loss or crash loses them "
				 "(the NVMe journal is the write cache); use wa or wt, or "
				 "--unsafe if losing them is acceptable");
	if (!(e->modes & (1u << mode))) {
		if (mode == VN_CACHE_WA)
			return vn_invalid(ctx, "the %s engine has no write-around mode "
					  "(the kernel's cache target caches writes); use "
					  "--mode wt, the same safety: writes reach %s "
					  "before they complete", e->name, req->target);
		return vn_invalid(ctx, "the %s engine has no %s mode", e->name,
				  vn_cache_mode_name(mode));
	}
	*ret = mode;
	return 0;
}

/**
 * vn_cache_attach() - make a RAM device and map it over the target as a
 * read cache, in one step.
 * @ctx: context.
 * @req: what to make.
 * @ret: the new mapping, may be NULL.
 *
 * Refused (VN_ERR_UNSAFE): a target that is mounted, mapped, a member or
 * exported; a name in use; more RAM than is free with headroom (forceable);
 * write-back without @req->unsafe. Invalid: a mode the engine lacks, a bad
 * name or size. On a failure after the RAM device was made, it is removed.
 *
 * Return: 0 or a negative errno.
 */
int vn_cache_attach(struct vn_ctx *ctx, const struct vn_cache_req *req,
		    struct vn_cache_info *ret)
{
	const struct vn_cache_engine *e = NULL;
	char name[VN_NAME_MAX], what[64], sz[32];
	enum vn_cache_mode mode = VN_CACHE_WA;
	struct vn_blkdev target;
	struct vn_dm_info di;
	int r;

	r = check_target(ctx, req->target, &target);
	if (r < 0)
		return r;
	r = pick_engine(ctx, req->engine, &e);
	if (r < 0)
		return r;
	r = check_mode(ctx, e, req, &mode);
	if (r < 0)
		return r;
	if (req->name && !vn_dm_valid_name(req->name))
		return vn_invalid(ctx, "'%s' is not a valid mapping name (1-%d of "
				  "A-Z a-z 0-9 # + - . : = @ _, not \"control\")",
				  req->name, VN_NAME_MAX - 1);
	if (req->name)
		vn_strlcpy(name, req->name, sizeof(name));
	else if (vn_cache_default_name(mode, target.name, name, sizeof(name)) < 0)
		return vn_invalid(ctx, "no valid mapping name from %s: use --name",
				  req->target);
	if (!vn_dm_valid_name(name))
		return vn_invalid(ctx, "'%s' is not a valid device-mapper name", name);
	r = vn_dm_info(ctx, name, &di);
	if (r < 0)
		return r;
	if (di.exists)
		return vn_refuse(ctx, -EEXIST, false, "the name %s is in use by a "
				 "device-mapper device", name);
	snprintf(what, sizeof(what), "a %s cache",
		 vn_size_format(req->size_bytes, sz, sizeof(sz)));
	r = vn_ram_check(ctx, req->size_bytes, what);
	if (r < 0 && !(vn_ctx_error_forceable(ctx) && req->force))
		return r;
	vn_ctx_clear_error(ctx);
	r = e->attach(ctx, req, &target, name, mode);
	if (r < 0)
		return r;
	if (!ret || vn_ctx_dry_run(ctx))
		return 0;
	return vn_cache_get(ctx, name, ret);
}

/* The mapping is gone: free its RAM, saying what is left if that fails. */
static int free_ram(struct vn_ctx *ctx, const struct vn_cache_engine *e,
		    const struct vn_cache_info *info)
{
	char err[VN_ERR_MSG_MAX];
	int r = e->free_ram(ctx, info);

	if (r < 0) {
		vn_strlcpy(err, vn_ctx_error(ctx), sizeof(err));
		return vn_fail(ctx, r, "%s was removed but its RAM device %s was not "
			       "freed: %s", info->name, info->cache_dev, err);
	}
	return 0;
}

/**
 * vn_cache_detach() - remove a cache mapping, then free its RAM device(s).
 * @ctx: context.
 * @name: the mapped name.
 * @force: a mapping that is open (mounted, exported) is removed when its
 * last user closes it (deferred removal); its RAM device(s) stay until
 * then and are freed with vn_rapiddisk_remove() (dm-cache: zram hot_remove).
 *
 * Return: 0; 1 when the removal was deferred; -EBUSY (VN_ERR_UNSAFE,
 * forceable) when it is open; -ENOENT when there is no such cache mapping.
 */
int vn_cache_detach(struct vn_ctx *ctx, const char *name, bool force)
{
	struct vn_hold holds[VN_HOLDS_MAX];
	struct vn_cache_info info;
	const struct vn_cache_engine *e;
	char why[512] = "";
	bool busy;
	int n, r;

	r = vn_cache_get(ctx, name, &info);
	if (r < 0)
		return r;
	e = engine_by_name(info.engine);
	n = vn_blk_holds(ctx, info.dm_dev, holds, VN_HOLDS_MAX);
	vn_ctx_clear_error(ctx);
	if (n > 0)
		vn_blk_describe_hold(&holds[0], why, sizeof(why));
	busy = n > 0 || info.open_count > 0;
	if (busy && !force)
		return vn_refuse(ctx, -EBUSY, true, "%s is in use: %s", name,
				 why[0] ? why : "it is open");
	r = busy ? vn_dm_remove_deferred(ctx, name) : vn_dm_remove(ctx, name);
	if (r != 0 || vn_ctx_dry_run(ctx)) {
		if (vn_ctx_dry_run(ctx))
			(void)vn_action(ctx, "free RAM device %s", info.cache_dev);
		return r;
	}
	return free_ram(ctx, e, &info);
}
