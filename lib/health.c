// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * The health of each layer of the stack (md array, cache mapping, NVMe
 * target export, host controller), judged from what the kernel shows, and
 * the host side's controllers from /sys/class/nvme.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

static const char *const health_names[VN_HEALTH_MAX] = {
	[VN_HEALTH_OK] = "ok",
	[VN_HEALTH_DEGRADED] = "degraded",
	[VN_HEALTH_MISSING] = "missing",
	[VN_HEALTH_FAILED] = "failed",
};

const char *vn_health_name(enum vn_health h)
{
	return h < VN_HEALTH_MAX ? health_names[h] : "unknown";
}

void vn_health_add(struct vn_health_report *rep, enum vn_health h, const char *layer,
		   const char *object, const char *fmt, ...)
{
	struct vn_health_note *n;
	va_list ap;

	if (h > rep->health)
		rep->health = h;
	if (rep->n >= VN_HEALTH_NOTES_MAX)
		return;
	n = &rep->notes[rep->n++];
	n->health = h;
	vn_strlcpy(n->layer, layer, sizeof(n->layer));
	vn_strlcpy(n->object, object, sizeof(n->object));
	va_start(ap, fmt);
	vsnprintf(n->text, sizeof(n->text), fmt, ap);
	va_end(ap);
}

/* The worst health among the notes from @n0 on. */
static enum vn_health worst_since(const struct vn_health_report *rep, unsigned int n0)
{
	enum vn_health h = VN_HEALTH_OK;

	for (unsigned int i = n0; i < rep->n; i++)
		if (rep->notes[i].health > h)
			h = rep->notes[i].health;
	return h;
}

/* ---- md ---- */

/*
 * Slots without a working member: md/degraded, or the holes in mdstat's
 * [UUU_] if more (md clears degraded as a recovery ends, a moment before
 * the last member shows in sync).
 */
static unsigned int md_missing(const struct vn_md_status *st)
{
	unsigned int holes = 0;

	for (const char *p = st->health; *p; p++)
		holes += *p == '_';
	return holes > st->degraded ? holes : st->degraded;
}

/* Would the array still hold its data with @missing slots empty? */
static bool md_lost(const struct vn_md_status *st, unsigned int missing)
{
	const char *lv = st->level;
	size_t len = strlen(st->health);

	if (missing == 0)
		return false;
	if (strcmp(lv, "raid1") == 0)
		return missing >= st->raid_disks;
	if (strcmp(lv, "raid4") == 0 || strcmp(lv, "raid5") == 0)
		return missing > 1;
	if (strcmp(lv, "raid6") == 0)
		return missing > 2;
	if (strcmp(lv, "raid10") == 0) {
		/* near-2 layout (the default): slots 2k and 2k+1 mirror each other */
		for (size_t i = 0; i + 1 < len; i += 2)
			if (st->health[i] == '_' && st->health[i + 1] == '_')
				return true;
		return len == 0 && missing * 2 >= st->raid_disks;
	}
	return true;	/* raid0, linear: no redundancy */
}

/* Each slot the health string shows empty: "slot 2". */
static void missing_slots(const struct vn_md_status *st, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; st->health[i] && used < len; i++)
		if (st->health[i] == '_')
			used += (size_t)snprintf(buf + used, len - used, "%s%zu",
						 used ? ", " : "", i);
}

/* "recovery 45.3%, 2700 KiB/s, about 120 s left" */
static void sync_text(const struct vn_md_status *st, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s %.1f%%", st->sync_action[0] ? st->sync_action : "sync",
			 st->sync_percent < 0 ? 0.0 : st->sync_percent);

	if (n > 0 && (size_t)n < len && st->sync_speed_kib)
		n += snprintf(buf + n, len - (size_t)n, ", %llu KiB/s",
			      (unsigned long long)st->sync_speed_kib);
	if (n > 0 && (size_t)n < len && vn_md_sync_left(st) >= 0)
		snprintf(buf + n, len - (size_t)n, ", about %lld s left",
			 (long long)vn_md_sync_left(st));
}

/* The member being rebuilt: in a slot, not yet in sync. */
static const struct vn_md_member *rebuilding(const struct vn_md_status *st)
{
	for (unsigned int i = 0; i < st->nmembers; i++) {
		const struct vn_md_member *m = &st->members[i];

		if (m->slot >= 0 && !m->faulty && !m->journal && m->state[0] &&
		    !strstr(m->state, "in_sync"))
			return m;
	}
	return NULL;
}

static void md_members(const struct vn_md_status *st, unsigned int missing,
		       const char *obj, struct vn_health_report *rep)
{
	for (unsigned int i = 0; i < st->nmembers; i++) {
		const struct vn_md_member *m = &st->members[i];

		if (m->faulty && !m->journal)
			vn_health_add(rep, missing ? VN_HEALTH_DEGRADED : VN_HEALTH_OK,
				      "raid", obj, "member /dev/%s is faulty%s", m->name,
				      missing ? "" : " and no longer used ('vnvme raid "
				      "remove' drops it)");
	}
}

static void md_journal(const struct vn_md_status *st, const char *obj,
		       struct vn_health_report *rep)
{
	const struct vn_md_member *j = NULL;

	for (unsigned int i = 0; i < st->nmembers; i++)
		if (st->members[i].journal)
			j = &st->members[i];
	if (strcmp(st->consistency_policy, "journal") != 0 && !j)
		return;
	if (!j)
		vn_health_add(rep, VN_HEALTH_FAILED, "raid", obj, "its write journal is "
			      "missing: md keeps the array read-only ('vnvme raid "
			      "add-journal' gives it a new one)");
	else if (j->faulty)
		vn_health_add(rep, VN_HEALTH_FAILED, "raid", obj, "journal /dev/%s is "
			      "faulty: writes to the array fail (stop it, assemble it with "
			      "--force, then 'vnvme raid add-journal')", j->name);
}

enum vn_health vn_health_md(const struct vn_md_status *st, struct vn_health_report *rep)
{
	unsigned int n0 = rep->n, missing = md_missing(st);
	const struct vn_md_member *r;
	char obj[VN_NAME_MAX + 8], slots[128], sync[128];

	snprintf(obj, sizeof(obj), "/dev/%s", st->name);
	if (!st->active) {
		vn_health_add(rep, VN_HEALTH_FAILED, "raid", obj, "inactive: assembled "
			      "but not started (%u device%s present)", st->nmembers,
			      st->nmembers == 1 ? "" : "s");
		goto out;
	}
	if (strcmp(st->array_state, "broken") == 0 || strcmp(st->array_state, "inactive") == 0)
		vn_health_add(rep, VN_HEALTH_FAILED, "raid", obj, "array state %s",
			      st->array_state);
	missing_slots(st, slots, sizeof(slots));
	if (md_lost(st, missing))
		vn_health_add(rep, VN_HEALTH_FAILED, "raid", obj, "%u of %u members "
			      "missing or faulty [%s]: more than %s survives", missing,
			      st->raid_disks, st->health, st->level);
	else if (missing)
		vn_health_add(rep, VN_HEALTH_DEGRADED, "raid", obj, "%u of %u "
			      "members missing [%s]%s%s", missing, st->raid_disks,
			      st->health, slots[0] ? ", slot " : "", slots);
	md_members(st, missing, obj, rep);
	md_journal(st, obj, rep);
	if (st->syncing) {
		sync_text(st, sync, sizeof(sync));
		r = rebuilding(st);
		if (r && missing)
			vn_health_add(rep, VN_HEALTH_DEGRADED, "raid", obj, "rebuilding onto "
				      "/dev/%s: %s", r->name, sync);
		else
			vn_health_add(rep, missing ? VN_HEALTH_DEGRADED : VN_HEALTH_OK,
				      "raid", obj, "%s", sync);
	}
	if (st->readonly || strcmp(st->array_state, "readonly") == 0)
		vn_health_add(rep, VN_HEALTH_OK, "raid", obj, "read-only");
out:
	return worst_since(rep, n0);
}

/* ---- cache, export ---- */

static bool block_exists(struct vn_ctx *ctx, const char *name)
{
	return name[0] && vn_exists(ctx, "/sys/class/block/%s", vn_basename(name));
}

enum vn_health vn_health_cache(struct vn_ctx *ctx, const struct vn_cache_info *c,
			       struct vn_health_report *rep)
{
	unsigned int n0 = rep->n;

	if (!block_exists(ctx, c->target))
		vn_health_add(rep, VN_HEALTH_MISSING, "cache", c->name, "its target %s%s is "
			      "gone", c->target[0] ? "/dev/" : "", c->target[0] ? c->target : "");
	if (!block_exists(ctx, c->cache_dev))
		vn_health_add(rep, VN_HEALTH_FAILED, "cache", c->name, "its RAM device %s is "
			      "gone", c->cache_dev[0] ? c->cache_dev : "");
	if (c->meta_dev[0] && !block_exists(ctx, c->meta_dev))
		vn_health_add(rep, VN_HEALTH_FAILED, "cache", c->name, "its metadata device "
			      "%s is gone", c->meta_dev);
	if (c->mode == VN_CACHE_WB)
		vn_health_add(rep, VN_HEALTH_OK, "cache", c->name, "write-back: writes "
			      "acknowledged from RAM are lost on a power cut");
	return worst_since(rep, n0);
}

/* Is @s linked to a port? */
static bool linked(const struct vn_nvmet_config *cfg, const char *nqn)
{
	for (unsigned int i = 0; i < cfg->nports; i++)
		for (unsigned int j = 0; j < cfg->ports[i].nsubsys; j++)
			if (strcmp(cfg->ports[i].subsys[j], nqn) == 0)
				return true;
	return false;
}

enum vn_health vn_health_export(struct vn_ctx *ctx, const struct vn_nvmet_config *cfg,
				const struct vn_nvmet_subsys *s,
				struct vn_health_report *rep)
{
	unsigned int n0 = rep->n;
	const char *any = vn_nvmet_attr_get(s->attrs, s->nattrs, "attr_allow_any_host");

	if (s->nns == 0)
		vn_health_add(rep, VN_HEALTH_MISSING, "export", s->nqn, "no namespace: "
			      "it exports nothing");
	for (unsigned int i = 0; i < s->nns; i++) {
		const struct vn_nvmet_ns *ns = &s->ns[i];
		const char *path = vn_nvmet_attr_get(ns->attrs, ns->nattrs, "device_path");

		if (!path || !path[0] || !vn_exists(ctx, "%s", path))
			vn_health_add(rep, VN_HEALTH_MISSING, "export", s->nqn, "namespace "
				      "%u: its device %s is gone", ns->nsid,
				      path && path[0] ? path : "(none)");
		else if (!ns->enabled)
			vn_health_add(rep, VN_HEALTH_MISSING, "export", s->nqn, "namespace "
				      "%u (%s) is disabled", ns->nsid, path);
	}
	if (!linked(cfg, s->nqn))
		vn_health_add(rep, VN_HEALTH_MISSING, "export", s->nqn, "linked to no "
			      "port: no host can reach it");
	if (s->nhosts == 0 && !(any && strcmp(any, "1") == 0))
		vn_health_add(rep, VN_HEALTH_OK, "export", s->nqn, "no host allowed: "
			      "nobody can connect");
	return worst_since(rep, n0);
}

/* ---- peers of the target's TCP ports ---- */

/* /proc/net/tcp's hex address ("0100007F", 32 digits for IPv6) as text. */
static bool peer_text(const char *hex, char *buf, size_t len)
{
	uint32_t w[4];

	if (strlen(hex) == 8 && sscanf(hex, "%8x", &w[0]) == 1)
		return inet_ntop(AF_INET, w, buf, (socklen_t)len) != NULL;
	if (strlen(hex) == 32 && sscanf(hex, "%8x%8x%8x%8x", &w[0], &w[1], &w[2], &w[3]) == 4)
		return inet_ntop(AF_INET6, w, buf, (socklen_t)len) != NULL;
	return false;
}

int vn_tcp_peers(struct vn_ctx *ctx, unsigned int port, char (*ret)[VN_PEER_MAX], size_t max)
{
	static const char *const files[] = { "/proc/net/tcp", "/proc/net/tcp6" };
	size_t n = 0;

	for (size_t i = 0; i < VN_ARRAY_SIZE(files); i++) {
		char path[VN_PATH_MAX], line[512], rem[40], text[VN_PEER_MAX];
		_cleanup_fclose_ FILE *f = NULL;
		unsigned int lport, st;

		if (vn_path(ctx, path, sizeof(path), "%s", files[i]) < 0)
			continue;
		f = fopen(path, "re");
		while (f && fgets(line, sizeof(line), f)) {
			bool seen = false;

			/* "  0: 0100007F:1144 0100007F:C3A2 01 ...": 01 is TCP_ESTABLISHED */
			if (sscanf(line, " %*u: %*[0-9A-Fa-f]:%x %39[0-9A-Fa-f]:%*x %x", &lport,
				   rem, &st) != 3 || lport != port || st != 1 ||
			    !peer_text(rem, text, sizeof(text)))
				continue;
			for (size_t k = 0; k < n; k++)
				seen = seen || strcmp(ret[k], text) == 0;
			if (!seen && n < max)
				vn_strlcpy(ret[n++], text, VN_PEER_MAX);
		}
	}
	return (int)n;
}

/* ---- host controllers ---- */

static bool is_ctrl(const char *path, const void *data)
{
	unsigned int a;
	int n = 0;

	(void)data;
	path = vn_basename(path);
	return sscanf(path, "nvme%u%n", &a, &n) == 1 && path[n] == '\0';
}

static int cmp_names(const void *a, const void *b)
{
	return strverscmp(*(char *const *)a, *(char *const *)b);
}

/* "nvme1n1" exactly: a namespace block device. */
static bool is_ns(const char *name)
{
	unsigned int a, b;
	int n = 0;

	return sscanf(name, "nvme%un%u%n", &a, &b, &n) == 2 && name[n] == '\0';
}

/* The first namespace: nvmeXnY under the controller, else the multipath head. */
static void ctrl_ns(struct vn_ctx *ctx, struct vn_nvme_ctrl *c)
{
	char **names = NULL, **subs = NULL, dir[64 + VN_NAME_MAX];
	int n, ns;

	n = vn_list_dir(ctx, "/sys/class/nvme-subsystem", NULL, NULL, cmp_names, &subs);
	snprintf(dir, sizeof(dir), "/sys/class/nvme/%s", c->name);
	ns = vn_list_dir(ctx, dir, NULL, NULL, cmp_names, &names);
	for (int i = 0; i < ns && !c->dev[0]; i++)
		if (is_ns(names[i]))
			vn_strlcpy(c->dev, names[i], sizeof(c->dev));
	vn_free_names(names, ns);
	for (int i = 0; i < n && !c->dev[0]; i++) {
		snprintf(dir, sizeof(dir), "/sys/class/nvme-subsystem/%s", subs[i]);
		if (!vn_exists(ctx, "%s/%s", dir, c->name))
			continue;
		names = NULL;	/* a listing that fails leaves it as it was */
		ns = vn_list_dir(ctx, dir, NULL, NULL, cmp_names, &names);
		for (int k = 0; k < ns && !c->dev[0]; k++)
			if (is_ns(names[k]))
				vn_strlcpy(c->dev, names[k], sizeof(c->dev));
		vn_free_names(names, ns);
	}
	vn_free_names(subs, n);
}

int vn_nvme_ctrl_list(struct vn_ctx *ctx, struct vn_nvme_ctrl **ret)
{
	struct vn_nvme_ctrl *list;
	char **names;
	int n;

	*ret = NULL;
	n = vn_list_dir(ctx, "/sys/class/nvme", is_ctrl, NULL, cmp_names, &names);
	if (n == -ENOENT)
		return 0;
	if (n <= 0)
		return n < 0 ? vn_fail(ctx, n, "cannot list /sys/class/nvme: %s",
				       strerror(-n)) : 0;
	list = calloc((size_t)n, sizeof(*list));
	if (!list) {
		vn_free_names(names, n);
		return vn_fail(ctx, -ENOMEM, "out of memory");
	}
	for (int i = 0; i < n; i++) {
		struct vn_nvme_ctrl *c = &list[i];
		const char *d = names[i];

		vn_strlcpy(c->name, d, sizeof(c->name));
		(void)vn_read_str(ctx, c->transport, sizeof(c->transport),
				  "/sys/class/nvme/%s/transport", d);
		(void)vn_read_str(ctx, c->state, sizeof(c->state), "/sys/class/nvme/%s/state", d);
		(void)vn_read_str(ctx, c->address, sizeof(c->address),
				  "/sys/class/nvme/%s/address", d);
		(void)vn_read_str(ctx, c->subsysnqn, sizeof(c->subsysnqn),
				  "/sys/class/nvme/%s/subsysnqn", d);
		(void)vn_read_str(ctx, c->hostnqn, sizeof(c->hostnqn),
				  "/sys/class/nvme/%s/hostnqn", d);
		(void)vn_read_str(ctx, c->model, sizeof(c->model), "/sys/class/nvme/%s/model", d);
		(void)vn_read_str(ctx, c->serial, sizeof(c->serial),
				  "/sys/class/nvme/%s/serial", d);
		ctrl_ns(ctx, c);
	}
	vn_free_names(names, n);
	*ret = list;
	return n;
}

enum vn_health vn_health_ctrl(const struct vn_nvme_ctrl *c, struct vn_health_report *rep)
{
	enum vn_health h;

	if (strcmp(c->state, "live") == 0)
		return VN_HEALTH_OK;
	if (strcmp(c->state, "resetting") == 0 || strcmp(c->state, "new") == 0)
		h = VN_HEALTH_DEGRADED;
	else if (strcmp(c->state, "connecting") == 0)
		h = VN_HEALTH_MISSING;
	else
		h = VN_HEALTH_FAILED;
	vn_health_add(rep, h, "host", c->name, "controller %s for %s is %s%s", c->name,
		      c->subsysnqn, c->state[0] ? c->state : "in an unknown state",
		      h == VN_HEALTH_MISSING ? ": the target does not answer" : "");
	return h;
}
