/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Private to the cache modules (lib/cache*.c, lib/dm.c, lib/rapiddisk.c):
 * the engine ops table, as iproute2's struct link_util, and helpers the
 * unit tests reach through -Ilib.
 */
#ifndef VNVME_CACHE_PRIV_H
#define VNVME_CACHE_PRIV_H

#include "dm_priv.h"

/* The dm uuid prefix of every mapping vnvme makes (dmsetup info shows it). */
#define VN_CACHE_UUID_PREFIX "VNVME-CACHE-"

struct vn_cache_engine {
	const char *name;		/* "rapiddisk", "dm-cache" */
	const char *dm_target;		/* the target type its table uses */
	enum vn_cache_mode default_mode;	/* its safe read cache */
	unsigned int modes;		/* 1 << mode for each mode it has */
	/* load the modules; VN_ERR_NOSUPPORT when missing */
	int (*load)(struct vn_ctx *ctx);
	/* make the RAM device(s) and the mapping; undo everything on failure */
	int (*attach)(struct vn_ctx *ctx, const struct vn_cache_req *req,
		      const struct vn_blkdev *target, const char *name,
		      enum vn_cache_mode mode);
	/* free the RAM device(s) of a mapping that is gone */
	int (*free_ram)(struct vn_ctx *ctx, const struct vn_cache_info *info);
	/* fill mode, devices and RAM from the table line and sysfs */
	void (*describe)(struct vn_ctx *ctx, const char *table,
			 struct vn_cache_info *info);
	int (*parse_status)(const char *status, struct vn_cache_stats *ret);
};

extern const struct vn_cache_engine vn_cache_engine_rapiddisk;
extern const struct vn_cache_engine vn_cache_engine_dmcache;

int vn_dm_pack_table(void *buf, size_t len, const struct vn_dm_target *t, size_t n);

/* Kernel name of the block device M:m ("zram1"), via /sys/dev/block. */
int vn_cache_devname(const struct vn_ctx *ctx, unsigned int ma, unsigned int mi,
		     char *buf, size_t len);
/* Add one raw counter to @s. */
void vn_cache_counter_add(struct vn_cache_stats *s, const char *key, uint64_t v);
/* The dm uuid for a mapping: VN_CACHE_UUID_PREFIX + engine + "-" + name. */
void vn_cache_uuid(const char *engine, const char *name, char *buf, size_t len);
/*
 * Map @name over the whole of @target with one @type target of @params, its
 * dm uuid from @engine (a stop point first: an interrupted attach unwinds).
 */
int vn_cache_map(struct vn_ctx *ctx, const char *engine, const char *name,
		 const struct vn_blkdev *target, const char *type, const char *params);

#endif /* VNVME_CACHE_PRIV_H */
