// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * What this machine can and cannot do for a stack, loading nothing:
 * modules looked up as modprobe would, configfs, RAM, NVMe in-band
 * authentication, and the block sizes of the devices to be used. The
 * request is a list of needs and devices, so a stack file can drive it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* The modules each part of the stack loads (lib/md.c, lib/cache_*.c, lib/nvmet.c, nvme_host.c). */
static const struct {
	const char *name;
	unsigned int needed_for;
} stack_modules[] = {
	{ "md_mod", VN_NEED_RAID },
	{ "raid456", VN_NEED_RAID },
	{ "dm-mod", VN_NEED_CACHE },
	{ "rapiddisk", VN_NEED_CACHE },
	{ "rapiddisk-cache", VN_NEED_CACHE },
	{ "dm-cache", VN_NEED_CACHE },
	{ "dm-cache-smq", VN_NEED_CACHE },
	{ "zram", VN_NEED_CACHE },
	{ "configfs", VN_NEED_EXPORT },
	{ "nvmet", VN_NEED_EXPORT },
	{ "nvmet-tcp", VN_NEED_EXPORT },
	{ "nvme-fabrics", VN_NEED_CONNECT },
	{ "nvme-tcp", VN_NEED_CONNECT },
};

#define NVMET_HOSTS "/sys/kernel/config/nvmet/hosts"

static void finding(struct vn_check_report *r, enum vn_check_level level, const char *what,
		    const char *meaning, const char *fmt, ...) VN_PRINTF(5, 6);
static void finding(struct vn_check_report *r, enum vn_check_level level, const char *what,
		    const char *meaning, const char *fmt, ...)
{
	struct vn_check_finding *f;
	va_list ap;

	if (level == VN_CHECK_MISSING)
		r->ok = false;
	if (r->nfindings >= VN_CHECK_FINDINGS_MAX)
		return;
	f = &r->findings[r->nfindings++];
	f->level = level;
	f->kernel = what[0] != '/' && strcmp(what, "memory") != 0;
	vn_strlcpy(f->what, what, sizeof(f->what));
	vn_strlcpy(f->meaning, meaning ? meaning : "", sizeof(f->meaning));
	va_start(ap, fmt);
	vsnprintf(f->text, sizeof(f->text), fmt, ap);
	va_end(ap);
}

static const struct vn_check_module *module(const struct vn_check_report *r,
					    const char *name)
{
	for (unsigned int i = 0; i < r->nmodules; i++)
		if (strcmp(r->modules[i].name, name) == 0)
			return &r->modules[i];
	return NULL;
}

static bool have(const struct vn_check_report *r, const char *name)
{
	const struct vn_check_module *m = module(r, name);

	return m && m->state != VN_KMOD_MISSING;
}

/* A needed module that is missing, with what it breaks. */
static void need_module(struct vn_check_report *r, unsigned int needs, unsigned int part,
			const char *name, const char *meaning)
{
	char what[64];

	if (have(r, name))
		return;
	snprintf(what, sizeof(what), "module %s", name);
	finding(r, needs & part ? VN_CHECK_MISSING : VN_CHECK_INFO, what, meaning,
		"kernel module %s is not available for Linux %s", name, r->release);
}

static void check_modules(struct vn_ctx *ctx, unsigned int needs, struct vn_check_report *r)
{
	for (size_t i = 0; i < VN_ARRAY_SIZE(stack_modules) &&
	     r->nmodules < VN_CHECK_MODULES_MAX; i++) {
		struct vn_check_module *m = &r->modules[r->nmodules++];

		m->name = stack_modules[i].name;
		m->needed_for = stack_modules[i].needed_for;
		(void)vn_kmod_state(ctx, m->name, &m->state, m->path, sizeof(m->path));
	}
	need_module(r, needs, VN_NEED_RAID, "md_mod", "'vnvme raid' fails: no md at all");
	need_module(r, needs, VN_NEED_RAID, "raid456", "'vnvme raid create --level 5' "
		    "(and 4, 6) fails");
	need_module(r, needs, VN_NEED_CACHE, "dm-mod", "'vnvme cache attach' fails: "
		    "both cache engines are device-mapper targets");
}

/* RapidDisk if both its modules are there, else dm-cache on zram, as attach picks. */
static void check_cache_engine(unsigned int needs, struct vn_check_report *r)
{
	bool rd = have(r, "rapiddisk") && have(r, "rapiddisk-cache");
	bool dc = have(r, "dm-cache") && have(r, "dm-cache-smq") && have(r, "zram");

	if (!have(r, "dm-mod"))
		return;
	r->cache_engine = rd ? "rapiddisk" : dc ? "dm-cache" : NULL;
	if (rd)
		return;
	if (dc) {
		finding(r, VN_CHECK_WARN, "module rapiddisk", "'vnvme cache attach' uses "
			"the kernel's dm-cache (writethrough on zram) instead of RapidDisk",
			"RapidDisk's modules are not available (Debian package rapiddisk-dkms)");
		return;
	}
	finding(r, needs & VN_NEED_CACHE ? VN_CHECK_MISSING : VN_CHECK_INFO, "cache engine",
		"'vnvme cache attach' fails", "neither RapidDisk (rapiddisk, rapiddisk-cache) "
		"nor dm-cache (dm-cache, dm-cache-smq, zram) is available");
}

static bool configfs_mounted(const struct vn_ctx *ctx)
{
	char path[VN_PATH_MAX], line[1024];
	_cleanup_fclose_ FILE *f = NULL;

	if (vn_path(ctx, path, sizeof(path), "/proc/self/mountinfo") < 0)
		return false;
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, " - configfs "))
			return true;
	return false;
}

static bool filesystem_known(const struct vn_ctx *ctx, const char *fs)
{
	char path[VN_PATH_MAX], line[256];
	_cleanup_fclose_ FILE *f = NULL;

	if (vn_path(ctx, path, sizeof(path), "/proc/filesystems") < 0)
		return false;
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (strcmp(line + strcspn(line, "\t") + (strchr(line, '\t') ? 1 : 0), fs) == 0)
			return true;
	}
	return false;
}

static void check_export(struct vn_ctx *ctx, unsigned int needs, struct vn_check_report *r)
{
	bool need = needs & VN_NEED_EXPORT;

	r->configfs_mounted = configfs_mounted(ctx);
	r->configfs_supported = r->configfs_mounted || filesystem_known(ctx, "configfs") ||
				have(r, "configfs");
	if (!r->configfs_supported)
		finding(r, need ? VN_CHECK_MISSING : VN_CHECK_INFO, "configfs",
			"'vnvme export' fails: nvmet is configured through configfs",
			"configfs is neither mounted nor known to this kernel");
	need_module(r, needs, VN_NEED_EXPORT, "nvmet", "'vnvme export create' fails: "
		    "no NVMe target");
	need_module(r, needs, VN_NEED_EXPORT, "nvmet-tcp", "'vnvme export create' fails: "
		    "no TCP transport for the target");
	need_module(r, needs, VN_NEED_CONNECT, "nvme-fabrics", "'vnvme connect' and "
		    "'discover' fail: no /dev/nvme-fabrics");
	need_module(r, needs, VN_NEED_CONNECT, "nvme-tcp", "'vnvme connect' and "
		    "'discover' fail: no NVMe/TCP host transport");
}

/*
 * NVMe in-band authentication: a dhchap_key under a target host, else the
 * kernel's config, else: NVME_TARGET_AUTH selects NVME_AUTH (the nvme-auth
 * module), so an nvmet without nvme-auth has none.
 */
static int auth_support(struct vn_ctx *ctx, const struct vn_check_report *rep,
			const char *release)
{
	enum vn_kmod_state st;
	char **hosts = NULL, line[256], path[VN_PATH_MAX];
	_cleanup_fclose_ FILE *f = NULL;
	int n, r = -1;

	n = vn_list_dir(ctx, NVMET_HOSTS, NULL, NULL, NULL, &hosts);
	if (n > 0)
		r = vn_exists(ctx, NVMET_HOSTS "/%s/dhchap_key", hosts[0]) ? 1 : 0;
	vn_free_names(hosts, n);
	if (r >= 0)
		return r;
	if (vn_path(ctx, path, sizeof(path), "/boot/config-%s", release) < 0)
		return -1;
	f = fopen(path, "re");
	if (!f) {
		(void)vn_kmod_state(ctx, "nvme-auth", &st, NULL, 0);
		return st == VN_KMOD_MISSING && have(rep, "nvmet") ? 0 : -1;
	}
	r = 0;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "CONFIG_NVME_TARGET_AUTH=y", 25) == 0)
			r = 1;
	return r;
}

static void check_auth(struct vn_ctx *ctx, unsigned int needs, struct vn_check_report *r)
{
	enum vn_check_level lvl = needs & VN_NEED_AUTH ? VN_CHECK_MISSING : VN_CHECK_INFO;

	r->auth = auth_support(ctx, r, r->release);
	r->host_auth = vn_nvme_host_auth(ctx);
	if (r->host_auth < 0)
		r->host_auth = -1;
	if (r->auth == 1)
		return;
	finding(r, r->auth == 0 ? lvl : VN_CHECK_INFO, "nvme authentication",
		"the host allow-list (--allow-host) is the only access control",
		r->auth == 0 ? "this kernel has no NVMe in-band authentication "
		"(CONFIG_NVME_TARGET_AUTH unset: no dhchap_key under nvmet hosts, "
		"no nvme-auth module)" :
		"cannot tell whether this kernel has NVMe in-band authentication "
		"(no nvmet host to look at, no /boot/config-%s)", r->release);
}

/*
 * NVMe/TCP TLS: the .nvme keyring, made by nvme-keyring, which nvme-tcp and
 * nvmet load where the kernel has TLS; else whether that module exists.
 */
static int tls_support(struct vn_ctx *ctx)
{
	enum vn_kmod_state st = VN_KMOD_MISSING;
	int r = vn_tls_keyring(ctx);

	vn_ctx_clear_error(ctx);
	if (r > 0)
		return 1;
	if (vn_kmod_state(ctx, "nvme-keyring", &st, NULL, 0) < 0)
		return -1;
	return st != VN_KMOD_MISSING;
}

static void check_tls(struct vn_ctx *ctx, struct vn_check_report *r)
{
	r->tls = tls_support(ctx);
	r->tlshd = vn_tls_daemon_running(ctx);
	if (r->tls == 1 && !r->tlshd)
		finding(r, VN_CHECK_INFO, "tlshd", "exports and connects with --tls fail",
			"this kernel has NVMe/TCP TLS, but tlshd (ktls-utils), which makes "
			"its handshakes, is not running");
}

static void check_ram(struct vn_ctx *ctx, const struct vn_check_req *req,
		      struct vn_check_report *r)
{
	char what[64], size[32];

	(void)vn_meminfo(ctx, "MemTotal", &r->mem_total_bytes);
	(void)vn_meminfo(ctx, "MemAvailable", &r->mem_available_bytes);
	if (!req->cache_bytes || !(req->needs & VN_NEED_CACHE))
		return;
	snprintf(what, sizeof(what), "a %s cache",
		 vn_size_format(req->cache_bytes, size, sizeof(size)));
	if (vn_ram_check(ctx, req->cache_bytes, what) == 0)
		return;
	finding(r, VN_CHECK_MISSING, "memory", "'vnvme cache attach --size' is refused "
		"(--force overrides)", "%s", vn_ctx_error(ctx));
	vn_ctx_clear_error(ctx);
}

static void read_device(struct vn_ctx *ctx, const char *dev, bool journal,
			struct vn_check_report *r)
{
	struct vn_check_device *d = &r->devices[r->ndevices++];
	struct vn_blkdev b;
	uint64_t v;

	*d = (struct vn_check_device){ .journal = journal };
	snprintf(d->dev, sizeof(d->dev), "/dev/%s", vn_basename(dev));
	if (vn_blk_get(ctx, dev, &b) < 0) {
		finding(r, VN_CHECK_MISSING, d->dev, "it cannot be part of the stack",
			"%s", vn_ctx_error(ctx));
		vn_ctx_clear_error(ctx);
		return;
	}
	d->found = true;
	d->size_bytes = b.size_bytes;
	d->logical_block_size = b.logical_block_size;
	d->rotational = b.rotational;
	if (vn_read_u64(ctx, &v, "/sys/block/%s/queue/physical_block_size", b.disk) == 0)
		d->physical_block_size = (unsigned int)v;
	d->volatile_cache = b.volatile_cache;
	vn_blk_devpath(&b, d->dev, sizeof(d->dev));
}

/* md takes the largest logical block size of its devices, the journal's included. */
static void check_block_sizes(struct vn_check_report *r)
{
	unsigned int members_max = 0;
	const struct vn_check_device *j = NULL;

	for (unsigned int i = 0; i < r->ndevices; i++) {
		const struct vn_check_device *d = &r->devices[i];

		if (!d->found)
			continue;
		if (d->journal)
			j = d;
		else if (d->logical_block_size > members_max)
			members_max = d->logical_block_size;
	}
	if (j && members_max && j->logical_block_size > members_max)
		finding(r, VN_CHECK_WARN, j->dev, "md takes the largest logical block size "
			"of its devices: the array would refuse I/O smaller than the journal's "
			"blocks, and a filesystem made on 512-byte sectors would not mount",
			"journal %s has %u-byte logical blocks (4Kn) under members with %u",
			j->dev, j->logical_block_size, members_max);
	for (unsigned int i = 0; i < r->ndevices; i++) {
		const struct vn_check_device *d = &r->devices[i];

		if (d->found && !d->journal && d->logical_block_size != members_max)
			finding(r, VN_CHECK_WARN, d->dev, "the array takes the largest one",
				"member %s has %u-byte logical blocks, another %u", d->dev,
				d->logical_block_size, members_max);
	}
}

/*
 * The journal advice raid create gives (vn_md_tune_rule()), for an array of
 * the members found at @req's level with the journal found: the smallest
 * member sets the component size, the whole journal device the log.
 */
static void check_journal(const struct vn_check_req *req, struct vn_check_report *r)
{
	struct vn_md_tune_input in = { .level = req->level ? req->level : 5,
				       .chunk_kib = req->chunk_kib ? req->chunk_kib : 512,
				       .mem_total = r->mem_total_bytes };
	const struct vn_check_device *j = NULL;
	struct vn_md_journal_advice *a = &r->journal_advice;
	struct vn_advice_line lines[VN_ADVICE_LINES_MAX];
	struct vn_md_tune t;
	unsigned int n;
	char js[32];

	for (unsigned int i = 0; i < r->ndevices; i++) {
		const struct vn_check_device *d = &r->devices[i];

		if (!d->found)
			continue;
		if (d->journal) {
			j = d;
		} else {
			if (!in.component_bytes || d->size_bytes < in.component_bytes)
				in.component_bytes = d->size_bytes;
			in.raid_disks++;
		}
	}
	if (!j || !in.mem_total)
		return;
	in.journal_bytes = j->size_bytes;
	if (vn_md_tune_rule(&in, &t, a) < 0) {
		*a = (struct vn_md_journal_advice){ 0 };	/* no stripe cache, too few */
		return;
	}
	/*
	 * md moves the journal's checkpoint in the same superblock round that
	 * flushes each member's cache (md_update_sb writes them all at once):
	 * a cut between the journal's write and a member's flush loses what
	 * md had moved into that member's cache (the lab's replay shows it).
	 */
	for (unsigned int i = 0; i < r->ndevices; i++) {
		const struct vn_check_device *d = &r->devices[i];

		if (d->found && !d->journal && d->volatile_cache)
			finding(r, VN_CHECK_WARN, d->dev, "with a journal, raid create, raid "
				"assemble, raid tune --defaults and up turn it off where the "
				"disk lets them (vnvme-raid(8), WRITE CACHES)",
				"its write cache is volatile: a power cut while md moves the "
				"journal's checkpoint can lose writes md had moved here");
	}
	n = vn_md_journal_advice_lines(a, lines);
	for (unsigned int i = 0; i < n; i++) {
		if (lines[i].warn)
			finding(r, VN_CHECK_WARN, j->dev, lines[i].remedy, "%s", lines[i].text);
		else
			finding(r, VN_CHECK_OK, j->dev, "what raid create will say "
				"(vnvme-raid(8), TUNING)", "journal %s for raid%d on %u members: %s",
				vn_size_format(a->journal_bytes, js, sizeof(js)), in.level,
				in.raid_disks, lines[i].text);
	}
}

static void check_devices(struct vn_ctx *ctx, const struct vn_check_req *req,
			  struct vn_check_report *r)
{
	bool journal_listed = false;

	for (unsigned int i = 0; i < req->ndevices && r->ndevices < VN_CHECK_DEVICES_MAX; i++) {
		bool j = req->journal && strcmp(vn_basename(req->journal),
						vn_basename(req->devices[i])) == 0;

		journal_listed = journal_listed || j;
		read_device(ctx, req->devices[i], j, r);
	}
	if (req->journal && !journal_listed && r->ndevices < VN_CHECK_DEVICES_MAX)
		read_device(ctx, req->journal, true, r);
	check_block_sizes(r);
	if (req->journal && (req->needs & VN_NEED_RAID))
		check_journal(req, r);
}

int vn_check(struct vn_ctx *ctx, const struct vn_check_req *req,
	     struct vn_check_report *ret)
{
	struct vn_check_report *r = ret;
	unsigned int needs = req->needs;

	*r = (struct vn_check_report){ .ok = true, .auth = -1, .host_auth = -1, .tls = -1 };
	if (vn_read_str(ctx, r->release, sizeof(r->release), "/proc/sys/kernel/osrelease") < 0)
		vn_strlcpy(r->release, "(unknown)", sizeof(r->release));
	check_modules(ctx, needs, r);
	check_cache_engine(needs, r);
	check_export(ctx, needs, r);
	check_auth(ctx, needs, r);
	check_tls(ctx, r);
	check_ram(ctx, req, r);
	check_devices(ctx, req, r);
	return 0;
}
