/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Private to libvnvme: raw device-mapper ioctls (lib/dm.c), for the cache
 * modules and the stack; cmd/ sees caches through vn_cache_*() only.
 */
#ifndef VNVME_DM_PRIV_H
#define VNVME_DM_PRIV_H

#include "internal.h"

struct vn_dm_target {
	uint64_t start;		/* in 512 B sectors */
	uint64_t length;	/* in 512 B sectors */
	const char *type;	/* "linear", "rapiddisk-cache", "cache" */
	const char *params;
};

struct vn_dm_info {
	bool exists;
	unsigned int major, minor;
	unsigned int open_count;
	unsigned int target_count;
	bool suspended;
	char uuid[129];
};

bool vn_dm_valid_name(const char *name);
int vn_dm_info(struct vn_ctx *ctx, const char *name, struct vn_dm_info *ret);
int vn_dm_create(struct vn_ctx *ctx, const char *name, const char *uuid,
		 const struct vn_dm_target *t, size_t n, struct vn_dm_info *ret);
int vn_dm_remove(struct vn_ctx *ctx, const char *name);
int vn_dm_remove_deferred(struct vn_ctx *ctx, const char *name);
int vn_dm_status(struct vn_ctx *ctx, const char *name, bool table,
		 char *ret_type, char *buf, size_t len);
int vn_dm_list(struct vn_ctx *ctx, char (**ret_names)[VN_NAME_MAX]);

#endif /* VNVME_DM_PRIV_H */
