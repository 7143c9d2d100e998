// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * The RapidDisk engine: a RAM disk rdN (lib/rapiddisk.c) and RapidDisk's
 * own device-mapper target over it (rapiddisk-cache.c, cache_ctr()):
 *   0 <target sectors> rapiddisk-cache /dev/<target> /dev/rdN <cache sectors> <mode>
 * mode 0 is write-through, anything else write-around (read with %d: the
 * kernel rejects the words "wt"/"wa"). The cache path must begin with
 * /dev/rd. Status counters are text, "name(N)", in 4 KiB pieces.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "cache_priv.h"

#define RC_TARGET "rapiddisk-cache"
/* cache_ctr(): mode 0 write-through, 1 write-around */
#define RC_MODE_WT 0
#define RC_MODE_WA 1
/* cache_ctr() rounds to 4 KiB blocks in sets of 512 (assoc): 2 MiB. */
#define RC_GRAIN_BYTES (2ull << 20)

static int rc_load(struct vn_ctx *ctx)
{
	return vn_rapiddisk_load(ctx);
}

static int rc_attach(struct vn_ctx *ctx, const struct vn_cache_req *req,
		     const struct vn_blkdev *target, const char *name,
		     enum vn_cache_mode mode)
{
	char rd[VN_NAME_MAX] = "rdN", params[512];
	uint64_t cache_bytes = req->size_bytes / RC_GRAIN_BYTES * RC_GRAIN_BYTES;
	int r;

	if (cache_bytes == 0)
		return vn_invalid(ctx, "a RapidDisk cache needs at least 2 MiB "
				  "(it is used in 2 MiB sets)");
	r = vn_rapiddisk_add(ctx, cache_bytes, rd, sizeof(rd));
	if (r < 0)
		return r;
	snprintf(params, sizeof(params), "/dev/%s /dev/%s %" PRIu64 " %d", target->name,
		 rd, cache_bytes / VN_SECTOR_SIZE, mode == VN_CACHE_WA ? RC_MODE_WA : RC_MODE_WT);
	r = vn_cache_map(ctx, "rapiddisk", name, target, RC_TARGET, params);
	if (r < 0 && !vn_ctx_dry_run(ctx)) {
		struct vn_err_saved why;
		char what[VN_NAME_MAX + 32];

		/* keep the first error: it says why */
		vn_err_save(ctx, &why);
		snprintf(what, sizeof(what), "RAM disk %s left", rd);
		vn_err_restore(ctx, &why, vn_rapiddisk_remove(ctx, rd), what);
	}
	return r;
}

static int rc_free_ram(struct vn_ctx *ctx, const struct vn_cache_info *info)
{
	if (!info->cache_dev[0])
		return 0;
	return vn_rapiddisk_remove(ctx, info->cache_dev);
}

/* The slaves of the mapping: rdN is the cache, the other one the target. */
static void rc_describe(struct vn_ctx *ctx, const char *table,
			struct vn_cache_info *info)
{
	struct vn_ramdisk *disks = NULL;
	char path[VN_PATH_MAX];
	int n;

	if (strstr(table, "WRITE_AROUND"))
		info->mode = VN_CACHE_WA;
	else if (strstr(table, "WRITETHROUGH") || strstr(table, "WRITE_THROUGH"))
		info->mode = VN_CACHE_WT;
	else	/* the name prefix is RapidDisk's CLI habit */
		info->mode = strncmp(info->name, "rc-wa_", 6) == 0 ? VN_CACHE_WA
								   : VN_CACHE_WT;
	if (vn_path(ctx, path, sizeof(path), "/sys/block/%s/slaves", info->dm_dev) == 0) {
		_cleanup_free_ struct dirent **ents = NULL;
		int count = scandir(path, &ents, NULL, alphasort);

		for (int i = 0; i < count; i++) {
			const char *s = ents[i]->d_name;

			if (s[0] != '.') {
				if (strncmp(s, "rd", 2) == 0 && isdigit((unsigned char)s[2]))
					vn_strlcpy(info->cache_dev, s, sizeof(info->cache_dev));
				else
					vn_strlcpy(info->target, s, sizeof(info->target));
			}
			free(ents[i]);
		}
	}
	n = vn_rapiddisk_list(ctx, &disks);
	for (int i = 0; i < n; i++)
		if (strcmp(disks[i].name, info->cache_dev) == 0) {
			info->cache_bytes = disks[i].size_bytes;
			info->cache_used_bytes = disks[i].used_bytes;
		}
	free(disks);
	vn_ctx_clear_error(ctx);
}

/* "cache hits" -> "cache_hits" */
static void snake(const char *s, size_t n, char *buf, size_t len)
{
	size_t j = 0;

	for (size_t i = 0; i < n && j + 1 < len; i++)
		buf[j++] = s[i] == ' ' ? '_' : (char)tolower((unsigned char)s[i]);
	buf[j] = '\0';
}

static uint64_t counter(const struct vn_cache_stats *s, const char *key)
{
	for (unsigned int i = 0; i < s->n_counters; i++)
		if (strcmp(s->counters[i].key, key) == 0)
			return s->counters[i].value;
	return 0;
}

/*
 * cache_status(), STATUSTYPE_INFO: "stats:" then lines of "name(N)" pairs
 * separated by ", ", in 4 KiB pieces. Every pair is kept, by name.
 */
static int rc_parse_status(const char *status, struct vn_cache_stats *s)
{
	const char *p = status;

	while ((p = strchr(p, '('))) {
		const char *end = p, *start = p;
		char key[32], *num_end;
		unsigned long long v;

		while (start > status && (isalpha((unsigned char)start[-1]) ||
					  start[-1] == ' ' || start[-1] == '_'))
			start--;
		while (*start == ' ')
			start++;
		v = strtoull(p + 1, &num_end, 10);
		p++;
		if (num_end == p || *num_end != ')' || start == end)
			continue;
		snake(start, (size_t)(end - start), key, sizeof(key));
		vn_cache_counter_add(s, key, v);
	}
	if (s->n_counters == 0)
		return -EINVAL;
	s->reads = counter(s, "reads");
	s->writes = counter(s, "writes");
	s->read_hits = counter(s, "cache_hits");
	s->read_misses = s->reads > s->read_hits ? s->reads - s->read_hits : 0;
	return 0;
}

const struct vn_cache_engine vn_cache_engine_rapiddisk = {
	.name = "rapiddisk",
	.dm_target = RC_TARGET,
	.default_mode = VN_CACHE_WA,
	.modes = (1u << VN_CACHE_WA) | (1u << VN_CACHE_WT),
	.load = rc_load,
	.attach = rc_attach,
	.free_ram = rc_free_ram,
	.describe = rc_describe,
	.parse_status = rc_parse_status,
};
