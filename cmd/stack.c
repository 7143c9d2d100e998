// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * vnvme up, down, save: the drive as one object, described by a stack file
 * (vnvme-stack(5)). up builds it bottom up (disks, array, journal mode and
 * tuning, RAM cache, export, connections) and undoes its own work when a
 * step fails; down takes it apart top down; save writes what runs.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"

#define LOCK_TIMEOUT_MS 0	/* $VNVME_LOCK_TIMEOUT, else 30 s */
#define UNDO_MAX 64

/* ---- shared ---- */

enum undo_kind {
	UNDO_PARTITION,		/* wipe the partition table written */
	UNDO_STOP,		/* stop an array this run assembled */
	UNDO_DESTROY,		/* stop an array this run created, erase its superblocks */
	UNDO_JMODE,		/* set the journal mode back */
	UNDO_TUNE,		/* set the tuning back */
	UNDO_DETACH,		/* remove the cache mapping (and its RAM) */
	UNDO_UNEXPORT,		/* remove the export */
	UNDO_DISCONNECT,	/* disconnect */
};

struct undo {
	enum undo_kind kind;
	char arg[VN_NQN_SIZE];
	char old[32];
	uint64_t v1, v2;
	unsigned int ndevs;
	char devs[VN_MD_MEMBERS_MAX + 1][VN_NAME_MAX];
};

struct run {
	struct vn_cli *cli;
	const char *file;
	struct vn_stack *s;
	char md[VN_NAME_MAX];		/* the running array */
	char top[VN_NAME_MAX + 16];	/* what the export serves */
	json_t *steps;
	bool changed;
	int code;			/* with -2 from a layer: already said */
	unsigned int nundo;
	struct undo *undo;
};

/* Bounded copy, always terminated. */
static void copy(char *dst, const char *src, size_t len)
{
	size_t n = strlen(src);

	if (n >= len)
		n = len - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One line of what was done (or would be, or was already so), and its JSON. */
static void step(struct run *r, const char *layer, bool changed, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void step(struct run *r, const char *layer, bool changed, const char *fmt, ...)
{
	char text[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (changed)
		r->changed = true;
	vn_info(r->cli, "%s: %s%s", layer, changed && r->cli->dry_run ? "would " : "", text);
	json_array_append_new(r->steps, json_pack("{s:s, s:s, s:b}", "layer", layer,
						  "action", text, "changed", changed));
}

/* Report the library's error with the layer in front: "vnvme: up: export: ...". */
static int layer_report(struct run *r, const char *layer)
{
	char saved[sizeof(r->cli->cmdname)];
	int code;

	memcpy(saved, r->cli->cmdname, sizeof(saved));
	if (snprintf(r->cli->cmdname, sizeof(r->cli->cmdname), "%s: %s", saved, layer) >=
	    (int)sizeof(r->cli->cmdname))
		r->cli->cmdname[sizeof(r->cli->cmdname) - 1] = '\0';
	code = vn_report(r->cli);
	memcpy(r->cli->cmdname, saved, sizeof(saved));
	return code;
}

/* A failure the command layer words itself: return -2 with the exit code kept. */
static int said(struct run *r, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int said(struct run *r, int code, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	vn_err(r->cli, "%s", msg);
	r->code = code;
	return -2;
}

static struct undo *push(struct run *r, enum undo_kind kind, const char *arg)
{
	struct undo *u;

	if (r->nundo >= UNDO_MAX)
		return NULL;
	u = &r->undo[r->nundo++];
	*u = (struct undo){ .kind = kind };
	snprintf(u->arg, sizeof(u->arg), "%s", arg);
	return u;
}

/*
 * Take the lock, then read FILE under it (what is read is what is built).
 * Return: an exit code, or -1 to go on.
 */
static int start(struct run *r, int argc, char **argv, bool lock, int *lock_fd)
{
	int i = vn_getopt_args(r->cli, argc, argv, 1, 1, "needs one stack file");

	*lock_fd = -1;
	if (i < 0)
		return r->cli->exit;
	r->file = argv[i];
	if (lock && !r->cli->dry_run) {
		char what[sizeof(r->cli->cmdname) + 256];

		snprintf(what, sizeof(what), "%s %.255s", r->cli->cmdname, r->file);
		*lock_fd = vn_lock_take(r->cli->ctx, what, LOCK_TIMEOUT_MS);
		if (*lock_fd < 0)
			return vn_report(r->cli);
	}
	if (vn_stack_load(r->cli->ctx, r->file, &r->s) < 0) {
		vn_err(r->cli, "%s: %s", r->file, vn_ctx_error(r->cli->ctx));
		return VN_EXIT_USAGE;
	}
	return -1;
}

/* The running array with the stack's UUID (or, without one, its name). */
static bool running_array(struct vn_ctx *ctx, const struct vn_stack_array *a,
			  struct vn_md_status *ret)
{
	struct vn_md_status *all = NULL;
	int n = vn_md_list(ctx, &all);
	bool found = false;

	for (int i = 0; i < n && !found; i++) {
		if (!all[i].active)
			continue;
		if (a->uuid[0] ? strcasecmp(all[i].uuid, a->uuid) == 0 :
		    strcmp(all[i].name, a->name) == 0) {
			*ret = all[i];
			found = true;
		}
	}
	free(all);
	vn_ctx_clear_error(ctx);
	return found;
}

static bool exported(struct vn_ctx *ctx, const char *nqn, char *ret_dev, size_t len)
{
	struct vn_nvmet_config *cfg = NULL;
	bool found = false;

	if (vn_nvmet_read(ctx, &cfg) < 0) {
		vn_ctx_clear_error(ctx);
		return false;
	}
	for (unsigned int i = 0; i < cfg->nsubsys && !found; i++) {
		const struct vn_nvmet_subsys *s = &cfg->subsys[i];
		const char *dev;

		if (strcmp(s->nqn, nqn) != 0)
			continue;
		found = true;
		dev = s->nns ? vn_nvmet_attr_get(s->ns[0].attrs, s->ns[0].nattrs,
						 "device_path") : NULL;
		copy(ret_dev, dev ? dev : "", len);
	}
	vn_nvmet_config_free(cfg);
	return found;
}

static bool connected(struct vn_ctx *ctx, const struct vn_stack_connect *c, char *ret_dev,
		      size_t len)
{
	struct vn_nvme_nsinfo *ns = NULL;
	char svc[8];
	int n = vn_nvme_list(ctx, &ns);
	bool found = false;

	snprintf(svc, sizeof(svc), "%u", c->service);
	for (int i = 0; i < n && !found; i++)
		if (strcmp(ns[i].subsysnqn, c->nqn) == 0 && strcmp(ns[i].transport, "tcp") == 0 &&
		    strcmp(ns[i].traddr, c->address) == 0 && strcmp(ns[i].trsvcid, svc) == 0) {
			copy(ret_dev, ns[i].dev, len);
			found = true;
		}
	free(ns);
	vn_ctx_clear_error(ctx);
	return found;
}

/* ---- up: undo ---- */

static int undo_one(struct vn_ctx *ctx, const struct undo *u, char *what, size_t len)
{
	char mode[32];
	int r = 0;

	switch (u->kind) {
	case UNDO_PARTITION:
		snprintf(what, len, "wiped the partition table of %s", u->arg);
		r = vn_probe_wipe(ctx, u->arg, 0, 0);
		break;
	case UNDO_STOP:
		snprintf(what, len, "stopped %s", u->arg);
		r = vn_md_stop(ctx, u->arg);
		break;
	case UNDO_DESTROY:
		snprintf(what, len, "stopped %s and erased its superblocks", u->arg);
		r = vn_md_stop(ctx, u->arg);
		for (unsigned int i = 0; i < u->ndevs && r >= 0; i++)
			r = vn_probe_wipe(ctx, u->devs[i], 0, 0);
		break;
	case UNDO_JMODE:
		snprintf(what, len, "journal mode of %s back to %s", u->arg, u->old);
		r = vn_md_journal_mode(ctx, u->arg, u->old, true, mode, sizeof(mode));
		break;
	case UNDO_TUNE:
		snprintf(what, len, "tuning of %s back", u->arg);
		r = vn_stack_tune_apply(ctx, u->arg, u->v1, u->v2);
		break;
	case UNDO_DETACH:
		snprintf(what, len, "detached the cache %s", u->arg);
		r = vn_cache_detach(ctx, u->arg, false);
		break;
	case UNDO_UNEXPORT:
		snprintf(what, len, "removed the export %s", u->arg);
		r = vn_nvmet_export_delete(ctx, u->arg, true);
		break;
	case UNDO_DISCONNECT:
		snprintf(what, len, "disconnected %s", u->arg);
		r = vn_nvme_disconnect(ctx, u->arg);
		break;
	}
	return r < 0 ? r : 0;
}

/* Undo, in reverse, what this run did. Return: how many undos failed. */
static unsigned int undo_all(struct run *r)
{
	unsigned int failed = 0;

	while (r->nundo) {
		const struct undo *u = &r->undo[--r->nundo];
		char what[VN_NQN_SIZE + 64];

		if (undo_one(r->cli->ctx, u, what, sizeof(what)) < 0) {
			vn_err(r->cli, "could not undo (%s): %s", what, vn_ctx_error(r->cli->ctx));
			vn_ctx_clear_error(r->cli->ctx);
			failed++;
		} else {
			vn_info(r->cli, "undone: %s", what);
		}
	}
	return failed;
}

/* ---- up: the layers ---- */

/* A disk with partitions, or at least a partition table, is left alone. */
static bool partitioned(struct vn_ctx *ctx, const char *disk)
{
	struct vn_blkdev *parts = NULL;
	struct vn_sig sigs[VN_SIGS_MAX];
	int n = vn_blk_partitions(ctx, disk, &parts);

	free(parts);
	if (n > 0)
		return true;
	n = vn_probe_signatures(ctx, disk, sigs, VN_SIGS_MAX);
	for (int i = 0; i < n; i++)
		if (strcmp(sigs[i].usage, "partition table") == 0)
			return true;
	vn_ctx_clear_error(ctx);
	return false;
}

static int up_disks(struct run *r)
{
	struct vn_ctx *ctx = r->cli->ctx;

	for (unsigned int i = 0; i < r->s->ndisks; i++) {
		const char *disk = r->s->disks[i];
		struct vn_gpt_claim claim;
		struct vn_part_result res;
		struct vn_blkdev b;
		bool ok;

		if (vn_blk_get(ctx, disk, &b) < 0)
			return -1;
		if (partitioned(ctx, b.name)) {
			step(r, "disks", false, "%s is partitioned", disk);
			continue;
		}
		if (vn_gpt_check(ctx, disk, false, &claim) < 0)
			return -1;
		if (r->cli->dry_run) {
			vn_gpt_release(&claim);
			step(r, "disks", true, "partition %s", disk);
			continue;
		}
		ok = vn_gpt_partition(ctx, disk, VN_PART_RAID, false, &claim, &res) == 0;
		vn_gpt_release(&claim);
		if (!ok)
			return -1;
		push(r, UNDO_PARTITION, disk);
		step(r, "disks", true, "partitioned %s: /dev/%s", disk, res.part);
	}
	return 0;
}

static void join_devs(char *buf, size_t len, const char (*devs)[VN_NAME_MAX], unsigned int n,
		      const char *journal)
{
	size_t used = 0;

	buf[0] = '\0';
	for (unsigned int i = 0; i < n && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? " " : "", devs[i]);
	if (journal && journal[0] && used < len)
		snprintf(buf + used, len - used, " + journal %s", journal);
}

static int assemble(struct run *r, const struct vn_stack_found *f)
{
	const struct vn_stack_array *a = &r->s->array;
	const char *devs[VN_MD_MEMBERS_MAX + 1];
	struct vn_md_assemble_req req = { .devices = devs };
	char list[1024], dev[VN_NAME_MAX + 8], needle[VN_NAME_MAX + 32], msg[512];
	int kmsg;

	for (unsigned int i = 0; i < f->nmembers; i++)
		devs[req.ndevices++] = f->members[i];
	if (f->journal[0])
		devs[req.ndevices++] = f->journal;
	else if (a->has_journal)
		return said(r, VN_EXIT_REFUSED, "array: the write journal of %s is missing (no "
			    "device carries it): its log may hold writes not yet on the "
			    "members; not started", a->uuid);
	join_devs(list, sizeof(list), f->members, f->nmembers, f->journal);
	snprintf(dev, sizeof(dev), "/dev/%s", a->name);
	if (r->cli->dry_run) {
		step(r, "array", true, "assemble %s from %s", a->name, list);
		copy(r->md, a->name, sizeof(r->md));
		return 0;
	}
	kmsg = vn_stack_kmsg_mark(r->cli->ctx);
	if (vn_md_assemble(r->cli->ctx, dev, &req, r->md, sizeof(r->md)) < 0) {
		(void)vn_stack_kmsg_find(kmsg, "", msg, sizeof(msg));	/* closes it */
		return -1;
	}
	push(r, UNDO_STOP, r->md);
	step(r, "array", true, "assembled %s from %s (uuid %s)", r->md, list, a->uuid);
	/* md keeps a journal array's superblocks "clean": its own log tells */
	snprintf(needle, sizeof(needle), "md/raid:%s: recovering ", r->md);
	if (vn_stack_kmsg_find(kmsg, needle, msg, sizeof(msg)) == 1)
		step(r, "array", false, "%s was not shut down cleanly: md replayed its "
		     "journal (%s)", r->md, strstr(msg, "recovering "));
	else if (!f->clean)
		step(r, "array", false, "%s was not shut down cleanly: md resyncs it", r->md);
	return 0;
}

static int create(struct run *r, const char (*names)[VN_NAME_MAX], const char *journal)
{
	const struct vn_stack_array *a = &r->s->array;
	const char *members[VN_MD_MEMBERS_MAX];
	struct vn_md_create_req req = { .level = a->level, .chunk_kib = a->chunk_kib,
					.journal = journal[0] ? journal : NULL,
					.members = members, .nmembers = a->nmembers };
	struct vn_md_create_result res;
	char list[1024], dev[VN_NAME_MAX + 8];
	struct undo *u;

	for (unsigned int i = 0; i < a->nmembers; i++)
		members[i] = names[i];
	join_devs(list, sizeof(list), names, a->nmembers, journal);
	snprintf(dev, sizeof(dev), "/dev/%s", a->name);
	if (r->cli->dry_run) {
		/* the library's own dry run checks every member and plans it */
		if (vn_md_create(r->cli->ctx, dev, &req, &res) < 0)
			return -1;
		step(r, "array", true, "create %s (%s) on %s", a->name,
		     vn_md_level_name(a->level), list);
		copy(r->md, a->name, sizeof(r->md));
		return 0;
	}
	if (vn_md_create(r->cli->ctx, dev, &req, &res) < 0)
		return -1;
	copy(r->md, res.md, sizeof(r->md));
	u = push(r, UNDO_DESTROY, r->md);
	if (u) {
		for (unsigned int i = 0; i < a->nmembers; i++)
			copy(u->devs[u->ndevs++], names[i], VN_NAME_MAX);
		if (journal[0])
			copy(u->devs[u->ndevs++], journal, VN_NAME_MAX);
	}
	step(r, "array", true, "created %s (%s) on %s, uuid %s", r->md,
	     vn_md_level_name(a->level), list, res.uuid);
	if (a->uuid[0] && strcasecmp(a->uuid, res.uuid))
		step(r, "array", false, "no device carried uuid %s: the new array has %s "
		     "(save the stack again)", a->uuid, res.uuid);
	return 0;
}

/* No device carries the UUID: the members by identity; assemble them or create. */
static int assemble_or_create(struct run *r)
{
	const struct vn_stack_array *a = &r->s->array;
	struct vn_ctx *ctx = r->cli->ctx;
	char names[VN_MD_MEMBERS_MAX][VN_NAME_MAX], journal[VN_NAME_MAX] = "";
	struct vn_stack_found f = { .clean = true };
	struct vn_md_sb *sb = malloc(sizeof(*sb));
	int r2 = 0;

	if (!sb)
		return -1;
	for (unsigned int i = 0; i < a->nmembers && r2 == 0; i++)
		r2 = vn_stack_resolve(ctx, &a->members[i], names[i], VN_NAME_MAX);
	if (r2 == 0 && a->has_journal)
		r2 = vn_stack_resolve(ctx, &a->journal, journal, sizeof(journal));
	if (r2 == 0 && !a->uuid[0] && vn_md_examine(ctx, names[0], sb) == 0) {
		/* no UUID in the file, but the members carry an array: assemble it */
		for (unsigned int i = 0; i < a->nmembers; i++)
			copy(f.members[f.nmembers++], names[i], VN_NAME_MAX);
		copy(f.journal, journal, sizeof(f.journal));
		f.clean = sb->resync_offset == VN_MD_MAX_SECTOR;
		free(sb);
		return assemble(r, &f);
	}
	free(sb);
	vn_ctx_clear_error(ctx);
	if (r2 < 0)
		return -1;
	return create(r, (const char (*)[VN_NAME_MAX])names, journal);
}

/* The one step that applies md tuning (to be replaced by `raid tune`). */
static int apply_tuning(struct run *r, bool existed)
{
	const struct vn_stack_array *a = &r->s->array;
	uint64_t stripe = 0, threads = 0;
	struct undo *u;
	int n;

	if (!a->stripe_cache_size && a->group_thread_cnt == UINT64_MAX)
		return 0;
	if (r->cli->dry_run && !existed) {
		step(r, "array", true, "set stripe_cache_size %llu, group_thread_cnt %lld",
		     (unsigned long long)a->stripe_cache_size,
		     a->group_thread_cnt == UINT64_MAX ? -1LL : (long long)a->group_thread_cnt);
		return 0;
	}
	if (vn_stack_tune_read(r->cli->ctx, r->md, &stripe, &threads) < 0)
		return -1;
	n = vn_stack_tune_apply(r->cli->ctx, r->md, a->stripe_cache_size, a->group_thread_cnt);
	if (n < 0)
		return -1;
	if (n > 0 && existed && (u = push(r, UNDO_TUNE, r->md))) {
		u->v1 = stripe;
		u->v2 = threads;
	}
	step(r, "array", n > 0, "stripe_cache_size %llu, group_thread_cnt %llu",
	     (unsigned long long)(a->stripe_cache_size ? a->stripe_cache_size : stripe),
	     (unsigned long long)(a->group_thread_cnt != UINT64_MAX ? a->group_thread_cnt :
				  threads));
	return 0;
}

/*
 * The members' write caches off, before the journal goes write-back
 * (vnvme-raid(8), WRITE CACHES); a disk that keeps its cache is a warning.
 * Not undone when a later layer fails: it is the safe state, and disks
 * forget it at power-on anyway.
 */
static void apply_write_caches(struct run *r, bool existed)
{
	const struct vn_stack_array *a = &r->s->array;
	char off[256];

	if (!a->has_journal || a->keep_write_cache)
		return;
	if (r->cli->dry_run && !existed) {
		step(r, "array", true, "turn off the members' write caches");
		return;
	}
	json_decref(vn_write_caches_off(r->cli, r->md, off, sizeof(off)));
	if (off[0] && r->cli->dry_run)
		step(r, "array", true, "turn off the write caches of %s", off);
	else if (off[0])
		step(r, "array", true, "write caches off: %s", off);
}

static int apply_journal_mode(struct run *r, bool existed)
{
	const char *want = r->s->array.journal_mode;
	struct vn_ctx *ctx = r->cli->ctx;
	struct vn_md_status st;
	char cur[32] = "", now[32];
	struct undo *u;

	if (!want[0])
		return 0;
	if (r->cli->dry_run && !existed) {
		step(r, "array", true, "set the journal to %s (md starts it in write-through)",
		     want);
		return 0;
	}
	if (vn_md_journal_mode(ctx, r->md, NULL, false, cur, sizeof(cur)) < 0)
		return -1;
	if (strcmp(cur, want) == 0) {
		step(r, "array", false, "journal in %s", cur);
		return 0;
	}
	if (strcmp(want, "write-back") == 0 && vn_md_status(ctx, r->md, &st) == 0 &&
	    st.syncing && !r->cli->dry_run) {
		vn_info(r->cli, "array: waiting for the %s of %s before write-back",
			st.sync_action, r->md);
		if (vn_md_wait(ctx, r->md, NULL, NULL) < 0)
			return -1;
	}
	vn_ctx_clear_error(ctx);
	if (vn_md_journal_mode(ctx, r->md, want, false, now, sizeof(now)) < 0)
		return -1;
	if (existed && (u = push(r, UNDO_JMODE, r->md)))
		copy(u->old, cur, sizeof(u->old));
	step(r, "array", true, "journal %s -> %s (md starts every array in write-through)",
	     cur, now);
	if (strcmp(now, "write-back") == 0)
		vn_warn_writeback(r->cli);
	return 0;
}

static int up_array(struct run *r)
{
	const struct vn_stack_array *a = &r->s->array;
	struct vn_stack_found f;
	struct vn_md_status st;
	bool existed = running_array(r->cli->ctx, a, &st);
	int n, ret;

	if (existed) {
		copy(r->md, st.name, sizeof(r->md));
		step(r, "array", false, "%s is running (%s, uuid %s)", st.name, st.level, st.uuid);
	} else if (a->uuid[0] && (n = vn_stack_find(r->cli->ctx, a->uuid, &f)) != 0) {
		ret = n < 0 ? -1 : assemble(r, &f);
		if (ret < 0)
			return ret;
	} else if ((ret = assemble_or_create(r)) < 0) {
		return ret;
	}
	apply_write_caches(r, existed);
	if (apply_journal_mode(r, existed) < 0 || apply_tuning(r, existed) < 0)
		return -1;
	snprintf(r->top, sizeof(r->top), "/dev/%s", r->md);
	return 0;
}

static int up_cache(struct run *r)
{
	const struct vn_stack_cache *c = &r->s->cache;
	struct vn_ctx *ctx = r->cli->ctx;
	struct vn_cache_info info;
	struct vn_cache_req req = { .target = r->top, .size_bytes = c->size_bytes,
				    .mode = c->mode, .mode_set = true,
				    .engine = c->engine[0] ? c->engine : NULL,
				    .force = r->cli->force };
	char name[VN_NAME_MAX], size[32];

	if (vn_stack_cache_name(r->s, r->md, name, sizeof(name)) < 0)
		return said(r, VN_EXIT_USAGE, "cache: no mapping name over %s: set cache.name",
			    r->md);
	req.name = name;
	if (vn_cache_get(ctx, name, &info) == 0) {
		if (strcmp(info.target, r->md) != 0)
			return said(r, VN_EXIT_REFUSED, "cache: %s caches /dev/%s, not /dev/%s",
				    name, info.target, r->md);
		step(r, "cache", false, "%s is mapped (%s, %s)", info.path, info.engine,
		     vn_cache_mode_name(info.mode));
		copy(r->top, info.path, sizeof(r->top));
		return 0;
	}
	vn_ctx_clear_error(ctx);
	vn_size_format(c->size_bytes, size, sizeof(size));
	if (r->cli->dry_run) {
		/* the RAM check alone: the array may not be there yet */
		if (vn_ram_check(ctx, c->size_bytes, "the cache") < 0)
			return -1;
		step(r, "cache", true, "attach a %s %s cache (%s) as /dev/mapper/%s", size,
		     c->engine[0] ? c->engine : "RAM", vn_cache_mode_name(c->mode), name);
		snprintf(r->top, sizeof(r->top), "/dev/mapper/%s", name);
		return 0;
	}
	if (vn_cache_attach(ctx, &req, &info) < 0)
		return -1;
	push(r, UNDO_DETACH, name);
	step(r, "cache", true, "attached %s: %s %s cache (%s) on %s over /dev/%s", info.path,
	     size, info.engine, vn_cache_mode_name(info.mode), info.cache_dev, r->md);
	copy(r->top, info.path, sizeof(r->top));
	return 0;
}

/* The export, with the host's DH-HMAC-CHAP keys first if it has any. */
static int export_with_keys(struct run *r, const struct vn_stack_export *x,
			    const struct vn_nvmet_export *e, struct vn_nvmet_created *res)
{
	struct vn_nvmet_host_auth au = {
		.hostnqn = x->hosts[0], .key = x->dhchap.key,
		.ctrl_key = x->dhchap.ctrl_key[0] ? x->dhchap.ctrl_key : NULL,
		.hash = x->dhchap.hash[0] ? x->dhchap.hash : NULL,
		.dhgroup = x->dhchap.dhgroup[0] ? x->dhchap.dhgroup : NULL };
	bool created = false;

	if (!x->dhchap.key[0])
		return vn_nvmet_export_create(r->cli->ctx, e, res);
	/* the host's keys before the export links it: never admitted without */
	if (vn_nvmet_host_auth(r->cli->ctx, &au, &created) < 0)
		return -1;
	if (vn_nvmet_export_create(r->cli->ctx, e, res) < 0) {
		if (created)
			(void)vn_nvmet_host_forget(r->cli->ctx, x->hosts[0]);
		return -1;
	}
	return 0;
}

static int up_export(struct run *r)
{
	const struct vn_stack_export *x = &r->s->export_;
	const char *hosts[VN_STACK_HOSTS_MAX];
	struct vn_nvmet_export e = { .nqn = x->nqn, .device = r->top, .nsid = x->nsid,
				     .transport = x->transport, .family = x->family,
				     .addr = x->address, .port = x->service, .hosts = hosts,
				     .nhosts = x->nhosts, .allow_any_host = x->allow_any_host,
				     .serial = x->serial[0] ? x->serial : NULL,
				     .model = x->model[0] ? x->model : NULL,
				     .ns_uuid = x->ns_uuid[0] ? x->ns_uuid : NULL,
				     .ns_nguid = x->ns_nguid[0] ? x->ns_nguid : NULL,
				     .tls = x->tls };
	struct vn_nvmet_created res;
	int32_t psk = 0;
	char dev[512];

	for (unsigned int i = 0; i < x->nhosts; i++)
		hosts[i] = x->hosts[i];
	if (exported(r->cli->ctx, x->nqn, dev, sizeof(dev))) {
		if (strcmp(dev, r->top) != 0)
			return said(r, VN_EXIT_REFUSED, "export: %s exists and serves %s, not %s",
				    x->nqn, dev[0] ? dev : "nothing", r->top);
		step(r, "export", false, "%s serves %s", x->nqn, r->top);
		return 0;
	}
	if (r->cli->dry_run) {
		step(r, "export", true, "export %s as %s on %s %s:%u", r->top, x->nqn,
		     x->transport, x->address, x->service);
		return 0;
	}
	/* the host's TLS key in .nvme before the port listens (the keyring
	 * forgets it at every boot) */
	if (x->tls_key[0]) {
		psk = vn_tls_psk_insert(r->cli->ctx, x->tls_key, x->hosts[0], x->nqn, NULL, 0);
		if (psk < 0)
			return -1;
	}
	if (export_with_keys(r, x, &e, &res) < 0) {
		if (psk > 0)
			(void)vn_tls_psk_remove(r->cli->ctx, psk);
		return -1;
	}
	push(r, UNDO_UNEXPORT, x->nqn);
	step(r, "export", true, "exported %s as %s, namespace %u, on %s %s:%u", r->top,
	     x->nqn, x->nsid, x->transport, x->address, x->service);
	return 0;
}

static int up_connect(struct run *r)
{
	for (unsigned int i = 0; i < r->s->nconnect; i++) {
		const struct vn_stack_connect *c = &r->s->connect[i];
		char svc[8], dev[64];
		struct vn_nvme_target t = { .transport = c->transport, .traddr = c->address,
					    .trsvcid = svc, .nqn = c->nqn,
			.dhchap_secret = c->dhchap_secret[0] ? c->dhchap_secret : NULL,
			.dhchap_ctrl_secret = c->dhchap_ctrl_secret[0] ?
					      c->dhchap_ctrl_secret : NULL,
			.tls = c->tls, .tls_key = c->tls_key[0] ? c->tls_key : NULL };
		struct vn_nvme_connected res;

		snprintf(svc, sizeof(svc), "%u", c->service);
		if (connected(r->cli->ctx, c, dev, sizeof(dev))) {
			step(r, "connect", false, "%s is connected: /dev/%s", c->nqn, dev);
			continue;
		}
		if (r->cli->dry_run) {
			step(r, "connect", true, "connect %s over %s %s:%s", c->nqn,
			     c->transport, c->address, svc);
			continue;
		}
		if (vn_nvme_connect(r->cli->ctx, &t, &res) < 0)
			return -1;
		push(r, UNDO_DISCONNECT, c->nqn);
		step(r, "connect", true, "connected %s over %s %s:%s: /dev/%s", c->nqn,
		     c->transport, c->address, svc, res.dev[0] ? res.dev : res.ctrl);
	}
	return 0;
}

static json_t *result_json(const struct run *r, const char *failed_layer, int code)
{
	return json_pack("{s:s, s:b, s:b, s:s?, s:i, s:O}", "file", r->file,
			 "dry_run", r->cli->dry_run, "changed", r->changed,
			 "failed_layer", failed_layer, "exit", code, "steps", r->steps);
}

/* A failed layer: say why, undo this run's work in reverse, say what is left. */
static int up_failed(struct run *r, const char *layer, int ret)
{
	int code = ret == -2 ? r->code : layer_report(r, layer);
	unsigned int left;

	vn_ctx_set_stop(r->cli->ctx, NULL);	/* a signal never stops the undo */
	if (r->nundo)
		vn_info(r->cli, "undoing what this run did:");
	left = undo_all(r);
	if (left) {
		vn_err(r->cli, "%u undo step%s failed: the system is not as it was", left,
		       left == 1 ? "" : "s");
		code = VN_EXIT_PARTIAL;
	}
	else if (!r->cli->dry_run)
		vn_err(r->cli, "%s failed; the system is as it was before", layer);
	if (r->cli->json)
		(void)vn_output_json(result_json(r, layer, code));
	return code ? code : VN_EXIT_FAILED;
}

static int cmd_up(struct vn_cli *cli, int argc, char **argv)
{
	static const struct {
		const char *layer;
		int (*fn)(struct run *r);
		size_t has;	/* offset of the bool in struct vn_stack, or 0: always */
	} layers[] = {
		{ "disks", up_disks, 0 },
		{ "array", up_array, offsetof(struct vn_stack, has_array) },
		{ "cache", up_cache, offsetof(struct vn_stack, has_cache) },
		{ "export", up_export, offsetof(struct vn_stack, has_export) },
		{ "connect", up_connect, 0 },
	};
	struct run r = { .cli = cli, .steps = json_array() };
	double t0 = now_s();
	int lock = -1, code;

	r.undo = calloc(UNDO_MAX, sizeof(*r.undo));
	code = r.undo ? start(&r, argc, argv, true, &lock) : VN_EXIT_FAILED;
	for (size_t i = 0; code == -1 && i < sizeof(layers) / sizeof(layers[0]); i++) {
		int ret;

		if (layers[i].has && !*(const bool *)((const char *)r.s + layers[i].has))
			continue;
		/* SIGINT, SIGTERM: no further layer, this run's work undone */
		ret = vn_stop_point(cli->ctx, layers[i].layer) < 0 ? -1 : layers[i].fn(&r);
		if (ret < 0)
			code = up_failed(&r, layers[i].layer, ret);
	}
	if (code == -1) {
		code = VN_EXIT_OK;
		if (!r.changed)
			vn_info(cli, "%s is up: nothing changed", r.file);
		else if (!cli->dry_run)
			vn_info(cli, "%s is up (%.1f s)", r.file, now_s() - t0);
		if (cli->json)
			code = vn_output_json(result_json(&r, NULL, 0));
	}
	vn_lock_release(lock);
	json_decref(r.steps);
	free(r.undo);
	free(r.s);
	return code;
}

/* ---- down ---- */

/* "stop" in a dry run (step() adds "would"), else "stopped". */
static const char *past(const struct run *r, const char *verb)
{
	static const char *const table[][2] = {
		{ "disconnect", "disconnected" }, { "remove", "removed" },
		{ "stop", "stopped" },
	};

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (strcmp(table[i][0], verb) == 0)
			return r->cli->dry_run ? table[i][0] : table[i][1];
	return verb;
}

/* Return: 0 (taken down or not there), else the exit code of the refusal. */
static int down_export(struct run *r)
{
	const char *nqn = r->s->export_.nqn;
	char dev[512];

	for (unsigned int i = 0; i < r->s->nconnect; i++) {
		const struct vn_stack_connect *c = &r->s->connect[i];

		if (!connected(r->cli->ctx, c, dev, sizeof(dev)))
			continue;
		if (!r->cli->dry_run && vn_nvme_disconnect(r->cli->ctx, c->nqn) < 0)
			return layer_report(r, "connect");
		step(r, "connect", true, "%s %s (/dev/%s)", past(r, "disconnect"), c->nqn, dev);
	}
	if (!r->s->has_export)
		return 0;
	if (!exported(r->cli->ctx, nqn, dev, sizeof(dev))) {
		step(r, "export", false, "%s is not exported", nqn);
		return 0;
	}
	/* a dry run cannot see the connections it would have closed: plan only */
	if (!r->cli->dry_run && vn_nvmet_export_delete(r->cli->ctx, nqn, r->cli->force) < 0)
		return layer_report(r, "export");
	step(r, "export", true, "%s the export %s", past(r, "remove"), nqn);
	return 0;
}

static int down_cache(struct run *r)
{
	struct vn_cache_info info;
	char name[VN_NAME_MAX];
	int ret;

	if (!r->s->has_cache)
		return 0;
	if (vn_stack_cache_name(r->s, r->md, name, sizeof(name)) < 0 ||
	    vn_cache_get(r->cli->ctx, name, &info) < 0) {
		vn_ctx_clear_error(r->cli->ctx);
		step(r, "cache", false, "no cache mapping %s", name);
		return 0;
	}
	ret = r->cli->dry_run ? 0 : vn_cache_detach(r->cli->ctx, name, false);
	if (ret < 0)
		return layer_report(r, "cache");
	step(r, "cache", true, "%s %s and %s its RAM device %s",
	     r->cli->dry_run ? "detach" : "detached", info.path,
	     r->cli->dry_run ? "free" : "freed", info.cache_dev);
	return 0;
}

static int down_array(struct run *r)
{
	struct vn_md_status st;

	if (!r->s->has_array)
		return 0;
	if (!running_array(r->cli->ctx, &r->s->array, &st)) {
		step(r, "array", false, "%s is not running", r->s->array.name);
		return 0;
	}
	if (!r->cli->dry_run && vn_md_stop(r->cli->ctx, st.name) < 0)
		return layer_report(r, "array");
	step(r, "array", true, "%s %s (journal drained first; superblocks kept)",
	     past(r, "stop"), st.name);
	vn_warn_pending(r->cli);	/* a journal disk's discard not put back */
	return 0;
}

static int cmd_down(struct vn_cli *cli, int argc, char **argv)
{
	struct run r = { .cli = cli, .steps = json_array() };
	struct vn_md_status st;
	double t0 = now_s();
	int lock = -1, code;

	/* down completes: a signal during it is not acted on (each layer's undo
	 * would leave the stack half down) */
	vn_ctx_set_stop(cli->ctx, NULL);
	code = start(&r, argc, argv, true, &lock);
	if (code == -1) {
		copy(r.md, r.s->array.name, sizeof(r.md));
		if (r.s->has_array && running_array(cli->ctx, &r.s->array, &st))
			copy(r.md, st.name, sizeof(r.md));
		code = down_export(&r);
		if (code == 0)
			code = down_cache(&r);
		if (code == 0)
			code = down_array(&r);
		if (code)
			vn_err(cli, "stopped there: the layers below are still up and "
			       "consistent");
		else if (!r.changed)
			vn_info(cli, "%s is down: nothing changed", r.file);
		else if (!cli->dry_run)
			vn_info(cli, "%s is down (%.1f s)", r.file, now_s() - t0);
		if (cli->json)
			(void)vn_output_json(json_pack("{s:s, s:b, s:i, s:O}", "file", r.file,
						       "changed", r.changed, "exit", code,
						       "steps", r.steps));
	}
	vn_lock_release(lock);
	json_decref(r.steps);
	free(r.s);
	return code;
}

/* ---- save ---- */

static int level_of(const char *level)
{
	return strncmp(level, "raid", 4) == 0 ? atoi(level + 4) : -1;
}

static int cmp_slot(const void *a, const void *b)
{
	return ((const struct vn_md_member *)a)->slot - ((const struct vn_md_member *)b)->slot;
}

static int save_array(struct vn_ctx *ctx, const struct vn_md_status *st, struct vn_stack *s)
{
	struct vn_stack_array *a = &s->array;
	struct vn_md_member m[VN_MD_MEMBERS_MAX] = { 0 };
	unsigned int n = 0;

	s->has_array = true;
	copy(a->name, st->name, sizeof(a->name));
	copy(a->uuid, st->uuid, sizeof(a->uuid));
	a->level = level_of(st->level);
	a->chunk_kib = a->level == 1 ? 0 : st->chunk_bytes / 1024;
	a->group_thread_cnt = UINT64_MAX;
	for (unsigned int i = 0; i < st->nmembers; i++) {
		if (st->members[i].journal) {
			a->has_journal = true;
			if (vn_stack_describe_dev(ctx, st->members[i].name, &a->journal) < 0)
				return -1;
		} else if (st->members[i].slot >= 0) {
			m[n++] = st->members[i];
		}
	}
	qsort(m, n, sizeof(m[0]), cmp_slot);
	for (unsigned int i = 0; i < n; i++)
		if (vn_stack_describe_dev(ctx, m[i].name, &a->members[a->nmembers++]) < 0)
			return -1;
	if (a->has_journal)
		copy(a->journal_mode, st->journal_mode, sizeof(a->journal_mode));
	if ((a->level == 4 || a->level == 5 || a->level == 6) &&
	    vn_stack_tune_read(ctx, st->name, &a->stripe_cache_size, &a->group_thread_cnt) < 0)
		return -1;
	return 0;
}

/* The one allowed host's DH-HMAC-CHAP keys, as up gives them back. */
static void save_dhchap(const struct vn_nvmet_config *cfg, struct vn_stack_export *e)
{
	const struct vn_nvmet_host_attrs *h = NULL;
	const char *v;

	for (unsigned int i = 0; e->nhosts == 1 && cfg->host_attrs && i < cfg->nhosts; i++)
		if (strcmp(cfg->hosts[i], e->hosts[0]) == 0)
			h = &cfg->host_attrs[i];
	v = h ? vn_nvmet_attr_get(h->attrs, h->nattrs, "dhchap_key") : NULL;
	if (!v || !v[0])
		return;
	copy(e->dhchap.key, v, sizeof(e->dhchap.key));
	v = vn_nvmet_attr_get(h->attrs, h->nattrs, "dhchap_ctrl_key");
	copy(e->dhchap.ctrl_key, v ? v : "", sizeof(e->dhchap.ctrl_key));
	/* configfs says "hmac(sha256)"; the file, as export create, "sha256" */
	v = vn_nvmet_attr_get(h->attrs, h->nattrs, "dhchap_hash");
	if (v && strncmp(v, "hmac(", 5) == 0 && strlen(v) < sizeof(e->dhchap.hash) + 6) {
		copy(e->dhchap.hash, v + 5, sizeof(e->dhchap.hash));
		e->dhchap.hash[strcspn(e->dhchap.hash, ")")] = '\0';
	}
	v = vn_nvmet_attr_get(h->attrs, h->nattrs, "dhchap_dhgroup");
	copy(e->dhchap.dhgroup, v ? v : "", sizeof(e->dhchap.dhgroup));
}

static void save_export(const struct vn_nvmet_config *cfg, const struct vn_nvmet_subsys *sub,
			struct vn_stack *s)
{
	struct vn_stack_export *e = &s->export_;
	const char *v;

	s->has_export = true;
	copy(e->nqn, sub->nqn, sizeof(e->nqn));
	e->nsid = sub->nns ? sub->ns[0].nsid : 1;
	for (unsigned int i = 0; i < sub->nhosts && i < VN_STACK_HOSTS_MAX; i++)
		copy(e->hosts[e->nhosts++], sub->hosts[i], VN_NQN_SIZE);
	v = vn_nvmet_attr_get(sub->attrs, sub->nattrs, "attr_allow_any_host");
	e->allow_any_host = v && strcmp(v, "1") == 0;
	v = vn_nvmet_attr_get(sub->attrs, sub->nattrs, "attr_serial");
	copy(e->serial, v ? v : "", sizeof(e->serial));
	v = vn_nvmet_attr_get(sub->attrs, sub->nattrs, "attr_model");
	copy(e->model, v ? v : "", sizeof(e->model));
	v = sub->nns ? vn_nvmet_attr_get(sub->ns[0].attrs, sub->ns[0].nattrs,
					 "device_uuid") : NULL;
	copy(e->ns_uuid, v ? v : "", sizeof(e->ns_uuid));
	v = sub->nns ? vn_nvmet_attr_get(sub->ns[0].attrs, sub->ns[0].nattrs,
					 "device_nguid") : NULL;
	copy(e->ns_nguid, v ? v : "", sizeof(e->ns_nguid));
	save_dhchap(cfg, e);
	for (unsigned int i = 0; i < cfg->nports; i++) {
		for (unsigned int k = 0; k < cfg->ports[i].nsubsys; k++)
			if (strcmp(cfg->ports[i].subsys[k], sub->nqn) == 0)
				e->tls = e->tls || vn_nvmet_port_tls(&cfg->ports[i]);
	}
	for (unsigned int i = 0; i < cfg->nports; i++) {
		const struct vn_nvmet_port *p = &cfg->ports[i];

		for (unsigned int k = 0; k < p->nsubsys; k++) {
			if (strcmp(p->subsys[k], sub->nqn) != 0 || e->address[0])
				continue;
			v = vn_nvmet_attr_get(p->attrs, p->nattrs, "addr_trtype");
			copy(e->transport, v ? v : "tcp", sizeof(e->transport));
			v = vn_nvmet_attr_get(p->attrs, p->nattrs, "addr_traddr");
			copy(e->address, v ? v : "", sizeof(e->address));
			v = vn_nvmet_attr_get(p->attrs, p->nattrs, "addr_adrfam");
			copy(e->family, v ? v : "ipv4", sizeof(e->family));
			v = vn_nvmet_attr_get(p->attrs, p->nattrs, "addr_trsvcid");
			e->service = (uint16_t)(v ? atoi(v) : VN_NVME_TCP_PORT);
		}
	}
}

static void save_connect(struct vn_ctx *ctx, struct vn_stack *s)
{
	struct vn_nvme_nsinfo *ns = NULL;
	int n = vn_nvme_list(ctx, &ns);

	for (int i = 0; i < n && s->nconnect < VN_STACK_CONNECT_MAX; i++) {
		struct vn_stack_connect *c = &s->connect[s->nconnect];

		if (strcmp(ns[i].subsysnqn, s->export_.nqn) != 0 ||
		    strcmp(ns[i].transport, "tcp") != 0)
			continue;
		copy(c->transport, "tcp", sizeof(c->transport));
		copy(c->address, ns[i].traddr, sizeof(c->address));
		c->service = (uint16_t)atoi(ns[i].trsvcid);
		copy(c->nqn, ns[i].subsysnqn, sizeof(c->nqn));
		vn_nvme_ctrl_keys(ctx, ns[i].ctrl, c->dhchap_secret, sizeof(c->dhchap_secret),
				  c->dhchap_ctrl_secret, sizeof(c->dhchap_ctrl_secret));
		c->tls = vn_nvme_ctrl_tls(ctx, ns[i].ctrl);
		s->nconnect++;
	}
	free(ns);
	vn_ctx_clear_error(ctx);
}

/* The export whose namespace is a cache mapping or an md array, if any. */
static const struct vn_nvmet_subsys *stack_export(const struct vn_nvmet_config *cfg,
						  const char **ret_dev)
{
	for (unsigned int i = 0; i < cfg->nsubsys; i++) {
		const struct vn_nvmet_subsys *sub = &cfg->subsys[i];
		const char *dev = sub->nns ? vn_nvmet_attr_get(sub->ns[0].attrs,
				sub->ns[0].nattrs, "device_path") : NULL;

		if (dev && (strncmp(dev, "/dev/mapper/", 12) == 0 ||
			    strncmp(dev, "/dev/md", 7) == 0)) {
			*ret_dev = dev;
			return sub;
		}
	}
	return NULL;
}

/* Which array: under the export, else under a cache, else the first running. */
static int pick_array(struct vn_ctx *ctx, const char *dev, const struct vn_cache_info *caches,
		      int ncache, struct vn_stack *s, char *md, size_t len)
{
	struct vn_md_status *all = NULL;
	int n;

	for (int i = 0; i < ncache; i++)
		if ((dev && strcmp(caches[i].path, dev) == 0) || (!dev && !s->has_cache &&
		    strncmp(caches[i].target, "md", 2) == 0)) {
			s->has_cache = true;
			copy(s->cache.engine, caches[i].engine, sizeof(s->cache.engine));
			s->cache.size_bytes = caches[i].cache_bytes;
			s->cache.mode = caches[i].mode;
			copy(s->cache.name, caches[i].name, sizeof(s->cache.name));
			copy(md, caches[i].target, len);
			return 0;
		}
	if (dev && strncmp(dev, "/dev/md", 7) == 0) {
		copy(md, dev + 5, len);
		return 0;
	}
	n = vn_md_list(ctx, &all);
	for (int i = 0; i < n; i++)
		if (all[i].active) {
			copy(md, all[i].name, len);
			free(all);
			return 0;
		}
	free(all);
	return -ENOENT;
}

static int collect(struct vn_cli *cli, struct vn_stack *s)
{
	struct vn_ctx *ctx = cli->ctx;
	struct vn_nvmet_config *cfg = NULL;
	const struct vn_nvmet_subsys *sub = NULL;
	struct vn_cache_info *caches = NULL;
	struct vn_md_status *st = malloc(sizeof(*st));
	const char *dev = NULL;
	char md[VN_NAME_MAX];
	int ncache, r = -1;

	if (!st || vn_nvmet_read(ctx, &cfg) < 0)
		goto out;
	sub = stack_export(cfg, &dev);
	ncache = vn_cache_list(ctx, &caches);
	if (ncache < 0)
		goto out;
	if (pick_array(ctx, dev, caches, ncache, s, md, sizeof(md)) < 0) {
		vn_err(cli, "nothing to save: no md array is running");
		r = -2;
		goto out;
	}
	if (vn_md_status(ctx, md, st) < 0 || save_array(ctx, st, s) < 0)
		goto out;
	if (sub) {
		save_export(cfg, sub, s);
		save_connect(ctx, s);
	}
	r = 0;
out:
	free(st);
	free(caches);
	vn_nvmet_config_free(cfg);
	return r;
}

/* Write @text to @path through a temporary file and a rename. */
static int write_file(const struct vn_cli *cli, const char *path, const char *text)
{
	char tmp[4096];
	FILE *f;
	int fd;

	if (strcmp(path, "-") == 0) {
		fputs(text, stdout);
		return VN_EXIT_OK;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	/* mode 0600: the file may hold DH-HMAC-CHAP keys */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	f = fd < 0 ? NULL : fdopen(fd, "w");
	if (!f) {
		vn_err(cli, "%s: %s", tmp, strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
		return VN_EXIT_FAILED;
	}
	if (fputs(text, f) < 0 || fflush(f) != 0 || fsync(fileno(f)) != 0) {
		vn_err(cli, "%s: %s", tmp, strerror(errno));
		fclose(f);
		unlink(tmp);
		return VN_EXIT_FAILED;
	}
	fclose(f);
	if (rename(tmp, path) < 0) {
		vn_err(cli, "%s: %s", path, strerror(errno));
		unlink(tmp);
		return VN_EXIT_FAILED;
	}
	return VN_EXIT_OK;
}

enum { OPT_SHOW_KEYS = VN_OPT_LONG };

static const struct vn_opt save_opts[] = {
	{ "show-keys", OPT_SHOW_KEYS, NULL, "FILE '-': print DH-HMAC-CHAP keys too", 0 },
	{ NULL }
};

static int cmd_save(struct vn_cli *cli, int argc, char **argv)
{
	struct vn_stack *s = calloc(1, sizeof(*s));
	char *text = NULL, *full;
	struct vn_getopt g = { 0 };
	bool show_keys = false;
	int i, c, code, lock;

	while ((c = vn_getopt(cli, &g, argc, argv)) != -1) {
		if (c == VN_GETOPT_STOP) {
			free(s);
			return cli->exit;
		}
		show_keys = show_keys || c == OPT_SHOW_KEYS;
	}
	i = g.optind;
	if (argc - i != 1 || !s) {
		free(s);
		return s ? vn_usage_error(cli, "needs a FILE to write (- for stdout)") :
			   VN_EXIT_FAILED;
	}
	lock = vn_lock_take(cli->ctx, cli->cmdname, LOCK_TIMEOUT_MS);
	if (lock < 0) {
		free(s);
		return vn_report(cli);
	}
	code = collect(cli, s);
	if (code == -1)
		code = vn_report(cli);
	else if (code == -2)
		code = VN_EXIT_FAILED;
	else if (strcmp(argv[i], "-") == 0 && !show_keys &&
		 (s->export_.dhchap.key[0] || (s->nconnect && s->connect[0].dhchap_secret[0]))) {
		vn_err(cli, "the drive holds DH-HMAC-CHAP keys: save to a file (mode 0600), "
		       "or give --show-keys to print them");
		code = VN_EXIT_REFUSED;
	} else if (vn_stack_encode(s, &text) < 0)
		code = VN_EXIT_FAILED;
	else if (asprintf(&full, "%s\n", text) < 0)
		code = VN_EXIT_FAILED;
	else {
		code = write_file(cli, argv[i], full);
		free(full);
		if (code == 0 && strcmp(argv[i], "-") != 0)
			vn_info(cli, "saved /dev/%s (uuid %s)%s%s to %s", s->array.name,
				s->array.uuid, s->has_export ? " exported as " : "",
				s->has_export ? s->export_.nqn : "", argv[i]);
		if (code == 0 && (s->export_.tls || (s->nconnect && s->connect[0].tls)))
			vn_warn(cli, "TLS is saved, its keys are not (the keyring holds only "
				"keys derived from them, and forgets them at reboot): add "
				"\"tls_key\" to the export and the connection (vnvme-stack(5))");
	}
	vn_lock_release(lock);
	free(text);
	free(s);
	return code;
}

/* ---- the commands ---- */

const struct vn_cmd vn_cmd_up = {
	.name = "up",
	.fn = cmd_up,
	.usage = "FILE",
	.summary = "bring the drive a stack file describes up, bottom up",
	.description =
		"Partitions blank disks listed in FILE, assembles the array from the\n"
		"devices whose superblocks carry its UUID (creates it only on members\n"
		"without any signature), sets the journal mode and tuning again, maps\n"
		"the RAM cache, exports it and connects. What is already so is left\n"
		"alone: on a drive that is up, nothing changes. If a step fails, what\n"
		"this run did is undone in reverse. See vnvme-stack(5) for FILE.",
	.flags = VN_CMD_ROOT | VN_CMD_JSON | VN_CMD_DRYRUN,
	.args = VN_ARGS_FILE,
};

const struct vn_cmd vn_cmd_down = {
	.name = "down",
	.fn = cmd_down,
	.usage = "FILE",
	.summary = "take the drive a stack file describes down, top down, keeping its data",
	.description =
		"Disconnects, removes the export (refused while hosts are connected,\n"
		"unless --force), detaches the RAM cache and stops the array (journal\n"
		"drained first). Superblocks and partitions stay: 'vnvme up FILE'\n"
		"brings the same drive back. Stops at the first layer it cannot take\n"
		"down and names it.",
	.flags = VN_CMD_ROOT | VN_CMD_JSON | VN_CMD_DRYRUN,
	.args = VN_ARGS_FILE,
};

const struct vn_cmd vn_cmd_save = {
	.name = "save",
	.fn = cmd_save,
	.usage = "[--show-keys] FILE|-",
	.summary = "write the running drive as a stack file 'vnvme up' accepts",
	.description =
		"The array (by UUID, members by disk serial), its journal mode and\n"
		"tuning, the RAM cache in front of it, its export and this host's\n"
		"connections to it, with their DH-HMAC-CHAP keys. FILE is written with\n"
		"mode 0600. '-' writes to stdout; keys only with --show-keys.",
	.opts = save_opts,
	.flags = VN_CMD_ROOT,
	.args = VN_ARGS_FILE,
};
