// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * The dm-cache engine, from stock kernel parts: two zram devices made at
 * run time through /sys/class/zram-control (one for the cache blocks, one
 * for dm-cache's metadata: all of it in RAM) and the kernel's `cache`
 * target with the smq policy in writethrough mode
 * (Documentation/admin-guide/device-mapper/cache.rst):
 *   0 <origin sectors> cache <metadata> <cache> <origin> <block sectors> 1 writethrough smq 0
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>

#include "cache_priv.h"

#define DC_TARGET "cache"
#define ZRAM_CONTROL "/sys/class/zram-control"
/* cache.rst: block size 32 KiB..1 GiB in multiples of 32 KiB; the smallest. */
#define DC_BLOCK_SECTORS 64
/* Metadata: 8 MiB plus 1/1024 of the cache (about 16 B per 32 KiB block
 * are needed; cache.rst and lvmcache(7) budget a few MiB minimum). */
#define DC_META_MIN (8ull << 20)
#define DC_META_DIV 1024
#define NODE_WAIT_MS 3000
#define POLL_MS 20

static int dc_load(struct vn_ctx *ctx)
{
	static const char *const modules[] = { "dm_mod", "dm-cache", "dm-cache-smq", "zram" };
	int r;

	for (size_t i = 0; i < VN_ARRAY_SIZE(modules); i++) {
		r = vn_kmod_load(ctx, modules[i]);
		if (r < 0)
			return r;
	}
	if (!vn_ctx_dry_run(ctx) && !vn_exists(ctx, ZRAM_CONTROL "/hot_add"))
		return vn_nosupport(ctx, -ENOENT, "zram is loaded but %s/hot_add is "
				    "missing (Linux 4.2 or later is needed)", ZRAM_CONTROL);
	return 0;
}

static int zram_remove(struct vn_ctx *ctx, const char *name)
{
	char id[16];

	if (strncmp(name, "zram", 4) != 0)
		return -EINVAL;
	vn_strlcpy(id, name + 4, sizeof(id));
	return vn_write_str(ctx, id, ZRAM_CONTROL "/hot_remove");
}

static int wait_node(const struct vn_ctx *ctx, const char *name)
{
	char path[VN_PATH_MAX];
	struct stat st;

	if (vn_path(ctx, path, sizeof(path), "/dev/%s", name) < 0)
		return -ENAMETOOLONG;
	for (unsigned int t = 0; t < NODE_WAIT_MS; t += POLL_MS) {
		if (stat(path, &st) == 0 && S_ISBLK(st.st_mode))
			return 0;
		vn_msleep(POLL_MS);
	}
	return -ETIMEDOUT;
}

/* A new zram device of @bytes: reading hot_add makes it and says its id. */
static int zram_add(struct vn_ctx *ctx, uint64_t bytes, char *ret, size_t len)
{
	char size[32];
	uint64_t id;
	int r;

	if (!vn_action(ctx, "read %s/hot_add (adds a zram device of %" PRIu64 " bytes)",
		       ZRAM_CONTROL, bytes)) {
		vn_strlcpy(ret, "zramN", len);
		return 0;
	}
	r = vn_read_u64(ctx, &id, ZRAM_CONTROL "/hot_add");
	if (r < 0)
		return vn_fail(ctx, r, "cannot add a zram device: %s", strerror(-r));
	snprintf(ret, len, "zram%" PRIu64, id);
	snprintf(size, sizeof(size), "%" PRIu64, bytes);
	r = vn_write_str(ctx, size, "/sys/block/%s/disksize", ret);
	if (r == 0)
		r = wait_node(ctx, ret);
	if (r < 0) {
		int u = zram_remove(ctx, ret);

		(void)vn_fail(ctx, r, "cannot size %s to %" PRIu64 " bytes: %s", ret,
			      bytes, strerror(-r));
		if (u < 0)
			vn_note(ctx, true, "not undone: zram device %s left: %s", ret,
				strerror(-u));
	}
	return r;
}

/* Undo after a failure, keeping the first error message. */
static void undo_zram(struct vn_ctx *ctx, const char *name)
{
	struct vn_err_saved why;
	char what[VN_NAME_MAX + 32];

	if (vn_ctx_dry_run(ctx))
		return;
	vn_err_save(ctx, &why);
	snprintf(what, sizeof(what), "zram device %s left", name);
	vn_err_restore(ctx, &why, zram_remove(ctx, name), what);
}

static int dc_attach(struct vn_ctx *ctx, const struct vn_cache_req *req,
		     const struct vn_blkdev *target, const char *name,
		     enum vn_cache_mode mode)
{
	uint64_t blk = DC_BLOCK_SECTORS * VN_SECTOR_SIZE;
	uint64_t cache_bytes = req->size_bytes / blk * blk;
	uint64_t meta_bytes = DC_META_MIN + cache_bytes / DC_META_DIV / 4096 * 4096;
	char meta[VN_NAME_MAX], cache[VN_NAME_MAX], params[512];
	int r;

	(void)mode;	/* writethrough is the only mode offered */
	if (cache_bytes == 0)
		return vn_invalid(ctx, "a dm-cache cache needs at least 32 KiB");
	r = zram_add(ctx, meta_bytes, meta, sizeof(meta));
	if (r < 0)
		return r;
	r = vn_stop_point(ctx, "cache-ram");
	if (r == 0)
		r = zram_add(ctx, cache_bytes, cache, sizeof(cache));
	if (r < 0)
		goto out_remove_meta;
	snprintf(params, sizeof(params), "/dev/%s /dev/%s /dev/%s %d 1 writethrough smq 0",
		 meta, cache, target->name, DC_BLOCK_SECTORS);
	r = vn_cache_map(ctx, "dm-cache", name, target, DC_TARGET, params);
	if (r < 0)
		goto out_remove_cache;
	return 0;
out_remove_cache:
	undo_zram(ctx, cache);
out_remove_meta:
	undo_zram(ctx, meta);
	return r;
}

static int dc_free_ram(struct vn_ctx *ctx, const struct vn_cache_info *info)
{
	const char *devs[] = { info->cache_dev, info->meta_dev };
	int r;

	for (size_t i = 0; i < VN_ARRAY_SIZE(devs); i++) {
		if (!devs[i][0])
			continue;
		r = zram_remove(ctx, devs[i]);
		if (r < 0)
			return vn_fail(ctx, r, "cannot remove %s: %s", devs[i], strerror(-r));
	}
	return 0;
}

/* Table: "<meta M:m> <cache M:m> <origin M:m> <block> <#features> <features> ..." */
static void dc_describe(struct vn_ctx *ctx, const char *table,
			struct vn_cache_info *info)
{
	unsigned int ma[3], mi[3];
	char *fields[3] = { info->meta_dev, info->cache_dev, info->target };
	uint64_t disksize = 0, mm[3] = { 0 };
	char mm_stat[256];

	info->mode = strstr(table, "writeback") ? VN_CACHE_WB : VN_CACHE_WT;
	if (sscanf(table, "%u:%u %u:%u %u:%u", &ma[0], &mi[0], &ma[1], &mi[1],
		   &ma[2], &mi[2]) != 6)
		return;
	for (int i = 0; i < 3; i++)
		(void)vn_cache_devname(ctx, ma[i], mi[i], fields[i], VN_NAME_MAX);
	(void)vn_read_u64(ctx, &disksize, "/sys/block/%s/disksize", info->cache_dev);
	info->cache_bytes = disksize;
	/* mm_stat: orig_data_size compr_data_size mem_used_total ... */
	if (vn_read_str(ctx, mm_stat, sizeof(mm_stat), "/sys/block/%s/mm_stat",
			info->cache_dev) > 0 &&
	    sscanf(mm_stat, "%" SCNu64 " %" SCNu64 " %" SCNu64, &mm[0], &mm[1], &mm[2]) == 3)
		info->cache_used_bytes = mm[2];
}

/*
 * cache_status(), STATUSTYPE_INFO: <metadata block size> <used>/<total>
 * <cache block size> <used>/<total> <read hits> <read misses> <write hits>
 * <write misses> <demotions> <promotions> <dirty> ... (counts of bios).
 */
static int dc_parse_status(const char *status, struct vn_cache_stats *s)
{
	unsigned long long mbs, mu, mt, cbs, cu, ct, rh, rm, wh, wm, de, pr, di;

	if (sscanf(status, "%llu %llu/%llu %llu %llu/%llu %llu %llu %llu %llu %llu %llu %llu",
		   &mbs, &mu, &mt, &cbs, &cu, &ct, &rh, &rm, &wh, &wm, &de, &pr, &di) != 13)
		return -EINVAL;
	vn_cache_counter_add(s, "metadata_block_sectors", mbs);
	vn_cache_counter_add(s, "metadata_blocks_used", mu);
	vn_cache_counter_add(s, "metadata_blocks_total", mt);
	vn_cache_counter_add(s, "cache_block_sectors", cbs);
	vn_cache_counter_add(s, "cache_blocks_used", cu);
	vn_cache_counter_add(s, "cache_blocks_total", ct);
	vn_cache_counter_add(s, "read_hits", rh);
	vn_cache_counter_add(s, "read_misses", rm);
	vn_cache_counter_add(s, "write_hits", wh);
	vn_cache_counter_add(s, "write_misses", wm);
	vn_cache_counter_add(s, "demotions", de);
	vn_cache_counter_add(s, "promotions", pr);
	vn_cache_counter_add(s, "dirty", di);
	s->read_hits = rh;
	s->read_misses = rm;
	s->write_hits = wh;
	s->write_misses = wm;
	s->reads = rh + rm;
	s->writes = wh + wm;
	s->cache_blocks_used = cu;
	s->cache_blocks_total = ct;
	return 0;
}

const struct vn_cache_engine vn_cache_engine_dmcache = {
	.name = "dm-cache",
	.dm_target = DC_TARGET,
	.default_mode = VN_CACHE_WT,
	.modes = 1u << VN_CACHE_WT,
	.load = dc_load,
	.attach = dc_attach,
	.free_ram = dc_free_ram,
	.describe = dc_describe,
	.parse_status = dc_parse_status,
};
