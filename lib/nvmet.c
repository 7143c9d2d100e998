// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * The kernel NVMe target (nvmet) through configfs: subsystems, namespaces,
 * ports, hosts and the links between them, in the order the kernel needs
 * (drivers/nvme/target/configfs.c, kernel 6.1). Every object a call creates
 * is recorded in an undo log, so a failure midway removes exactly what the
 * call made and nothing else.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "nvmet_priv.h"

#define CONFIGFS "/sys/kernel/config"
#define NVMET CONFIGFS "/nvmet"

/* NVMET_SN_MAX_SIZE and NVMET_MN_MAX_SIZE (drivers/nvme/target/nvmet.h). */
#define NVMET_SERIAL_MAX 20
#define NVMET_MODEL_MAX 40
/* nsid 0 and 0xffffffff (broadcast) are refused by nvmet_ns_make. */
#define NVMET_NSID_BROADCAST 0xffffffffu
/* /proc/net/tcp "st" column: TCP_ESTABLISHED and TCP_LISTEN (net/tcp_states.h). */
#define TCP_STATE_ESTABLISHED 0x01
#define TCP_STATE_LISTEN 0x0a

/* ---- undo log: what this call created, removed in reverse on failure ---- */

struct undo_step {
	bool link;		/* unlink, else rmdir */
	char *path;		/* system path, not yet root-prefixed */
};

struct undo {
	struct undo_step *steps;
	size_t n, cap;
};

static int undo_push(struct undo *u, bool link, const char *path)
{
	if (!u)
		return 0;
	if (u->n == u->cap) {
		size_t cap = u->cap ? u->cap * 2 : 16;
		struct undo_step *s = realloc(u->steps, cap * sizeof(*s));

		if (!s)
			return -ENOMEM;
		u->steps = s;
		u->cap = cap;
	}
	u->steps[u->n].link = link;
	u->steps[u->n].path = strdup(path);
	if (!u->steps[u->n].path)
		return -ENOMEM;
	u->n++;
	return 0;
}

static void undo_free(struct undo *u)
{
	for (size_t i = 0; i < u->n; i++)
		free(u->steps[i].path);
	free(u->steps);
	*u = (struct undo){ 0 };
}

static void note(struct vn_ctx *ctx, const char *fmt, ...) VN_PRINTF(2, 3);
static void note(struct vn_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vn_vnote(ctx, false, fmt, ap);
	va_end(ap);
}

/* A failed undo step, noted after the first failure: something is left. */
static void add_failure(struct vn_ctx *ctx, const char *fmt, ...) VN_PRINTF(2, 3);
static void add_failure(struct vn_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vn_vnote(ctx, true, fmt, ap);
	va_end(ap);
}

/*
 * Remove what was created, newest first. Keeps the context's error, adding
 * the first step that fails. Return: 0, or that step's -errno.
 */
static int undo_run(struct vn_ctx *ctx, struct undo *u)
{
	char path[VN_PATH_MAX];
	int first = 0;

	for (size_t i = u->n; i-- > 0;) {
		bool link = u->steps[i].link;
		int r = 0;

		if (vn_path(ctx, path, sizeof(path), "%s", u->steps[i].path) < 0)
			r = -ENAMETOOLONG;
		else if (vn_action(ctx, "%s %s (undo)", link ? "unlink" : "rmdir", path) &&
			 (link ? unlink(path) : rmdir(path)) < 0 && errno != ENOENT)
			r = -errno;
		if (r < 0 && first == 0) {
			first = r;
			add_failure(ctx, "not undone: %s %s: %s", link ? "unlink" : "rmdir",
				    u->steps[i].path, strerror(-r));
		}
	}
	undo_free(u);
	return first;
}

/* ---- configfs primitives (each one an action) ---- */

static int cfs_mkdir(struct vn_ctx *ctx, struct undo *u, const char *rel)
{
	char path[VN_PATH_MAX];
	int r = vn_path(ctx, path, sizeof(path), "%s", rel);

	if (r < 0)
		return vn_fail(ctx, r, "%s: path too long", rel);
	/* a change (not the put-back of one, @u NULL) may stop here */
	if (u && vn_stop_point(ctx, "configfs") < 0)
		return -EINTR;
	if (vn_action(ctx, "mkdir %s", path) && mkdir(path, 0755) < 0) {
		r = -errno;
		if (r == -EEXIST)
			return vn_refuse(ctx, r, false, "%s exists already", rel);
		return vn_fail(ctx, r, "cannot create %s: %s", rel, strerror(-r));
	}
	r = undo_push(u, false, rel);
	return r < 0 ? vn_fail(ctx, r, "out of memory") : 0;
}

/* Remove the directory (@dir) or link @rel; gone already is fine. */
static int cfs_remove(struct vn_ctx *ctx, const char *rel, bool dir)
{
	char path[VN_PATH_MAX];
	int r = vn_path(ctx, path, sizeof(path), "%s", rel);

	if (r < 0)
		return vn_fail(ctx, r, "%s: path too long", rel);
	if (vn_stop_point(ctx, "configfs") < 0)
		return -EINTR;
	if (!vn_action(ctx, "%s %s", dir ? "rmdir" : "unlink", path) ||
	    (dir ? rmdir(path) : unlink(path)) == 0 || errno == ENOENT)
		return 0;
	r = -errno;
	return vn_fail(ctx, r, "cannot %s %s: %s%s", dir ? "remove" : "unlink", rel,
		       strerror(-r), !dir ? "" : r == -EBUSY ? " (still linked)" :
		       r == -ENOTEMPTY ? " (it still has entries or links)" : "");
}

static int cfs_rmdir(struct vn_ctx *ctx, const char *rel)
{
	return cfs_remove(ctx, rel, true);
}

/* Link @link_rel -> @target_rel; configfs needs an absolute target. */
static int cfs_link(struct vn_ctx *ctx, struct undo *u, const char *target_rel,
		    const char *link_rel, const char *(*hint)(int r))
{
	char target[VN_PATH_MAX], link[VN_PATH_MAX];
	int r;

	if (vn_path(ctx, target, sizeof(target), "%s", target_rel) < 0 ||
	    vn_path(ctx, link, sizeof(link), "%s", link_rel) < 0)
		return vn_fail(ctx, -ENAMETOOLONG, "%s: path too long", link_rel);
	if (u && vn_stop_point(ctx, "configfs") < 0)
		return -EINTR;
	if (vn_action(ctx, "link %s -> %s", link, target) && symlink(target, link) < 0) {
		const char *h;

		r = -errno;
		h = hint ? hint(r) : NULL;
		return vn_fail(ctx, r, "cannot link %s: %s%s%s", link_rel, strerror(-r),
			       h ? ": " : "", h ? h : "");
	}
	r = undo_push(u, true, link_rel);
	return r < 0 ? vn_fail(ctx, r, "out of memory") : 0;
}

static int cfs_unlink(struct vn_ctx *ctx, const char *rel)
{
	return cfs_remove(ctx, rel, false);
}

/* The likely cause of a configfs write error, by attribute and errno. */
static const char *write_hint(const char *attr, int r)
{
	static const struct {
		const char *attr;
		int err;
		const char *hint;
	} hints[] = {
		{ "addr_", EACCES, "the port is enabled (a subsystem is linked to it)" },
		{ "param_", EACCES, "the port is enabled (a subsystem is linked to it)" },
		{ "addr_", EINVAL, "the kernel does not accept this value" },
		{ "attr_serial", EINVAL, "1 to 20 printable ASCII characters, set before "
		  "any host connects" },
		{ "attr_model", EINVAL, "1 to 40 printable ASCII characters, set before "
		  "any host connects" },
		{ "attr_allow_any_host", EINVAL, "hosts are linked in allowed_hosts" },
		{ "attr_", EINVAL, "the kernel does not accept this value" },
		{ "enable", ENOENT, "the device does not exist" },
		{ "enable", EACCES, "the device is read-only" },
		{ "enable", EINVAL, "no device_path is set" },
		{ "enable", EMFILE, "the subsystem has 1024 namespaces" },
		{ "device_", EBUSY, "the namespace is enabled" },
		{ "device_", EINVAL, "the kernel does not accept this value" },
	};

	for (size_t i = 0; i < VN_ARRAY_SIZE(hints); i++)
		if (strncmp(attr, hints[i].attr, strlen(hints[i].attr)) == 0 &&
		    -r == hints[i].err)
			return hints[i].hint;
	return NULL;
}

/* Write @value to @dir/@attr, naming the attribute and the cause on error. */
static int cfs_write(struct vn_ctx *ctx, const char *dir, const char *attr,
		     const char *value)
{
	const char *hint;
	int r = vn_write_str(ctx, value, "%s/%s", dir, attr);

	if (r >= 0)
		return 0;
	hint = write_hint(attr, r);
	return vn_fail(ctx, r, "writing '%s' to %s/%s: %s%s%s", value, dir, attr,
		       strerror(-r), hint ? ": " : "", hint ? hint : "");
}

/* ---- reading the tree ---- */

enum entry_kind { ENTRY_DIR, ENTRY_LINK, ENTRY_FILE };

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool entry_is(const char *path, const void *data)
{
	enum entry_kind kind = *(const enum entry_kind *)data;
	struct stat st;

	if (lstat(path, &st) < 0)
		return false;
	return (kind == ENTRY_DIR && S_ISDIR(st.st_mode)) ||
	       (kind == ENTRY_LINK && S_ISLNK(st.st_mode)) ||
	       (kind == ENTRY_FILE && S_ISREG(st.st_mode));
}

/* Sorted entries of @rel of one kind; a missing directory has none. */
static int cfs_list(const struct vn_ctx *ctx, const char *rel, enum entry_kind kind,
		    char ***ret_names)
{
	int n;

	*ret_names = NULL;
	n = vn_list_dir(ctx, rel, entry_is, &kind, cmp_str, ret_names);
	return n == -ENOENT ? 0 : n;
}

/* Attribute files nvmetcli saves: readable and writable, named group_x. */
static bool saved_attr(const struct vn_ctx *ctx, const char *dir, const char *name,
		       const char *const *groups)
{
	char path[VN_PATH_MAX];
	struct stat st;
	bool in_group = false;

	for (; *groups; groups++)
		if (strncmp(name, *groups, strlen(*groups)) == 0 &&
		    name[strlen(*groups)] == '_')
			in_group = true;
	if (!in_group || vn_path(ctx, path, sizeof(path), "%s/%s", dir, name) < 0 ||
	    stat(path, &st) < 0)
		return false;
	return (st.st_mode & S_IRUSR) && (st.st_mode & S_IWUSR);
}

static int read_attrs(const struct vn_ctx *ctx, const char *dir,
		      const char *const *groups, struct vn_nvmet_attr *attrs,
		      unsigned int *n)
{
	char **names;
	int count = cfs_list(ctx, dir, ENTRY_FILE, &names);

	if (count < 0)
		return count;
	*n = 0;
	for (int i = 0; i < count && *n < VN_NVMET_ATTRS_MAX; i++) {
		struct vn_nvmet_attr *a = &attrs[*n];

		if (!saved_attr(ctx, dir, names[i], groups) ||
		    strlen(names[i]) >= sizeof(a->name))
			continue;
		vn_strlcpy(a->name, names[i], sizeof(a->name));
		if (vn_read_str(ctx, a->value, sizeof(a->value), "%s/%s", dir,
				names[i]) < 0)
			continue;
		(*n)++;
	}
	vn_free_names(names, count);
	return 0;
}

const char *vn_nvmet_attr_get(const struct vn_nvmet_attr *attrs, unsigned int n,
			      const char *name)
{
	for (unsigned int i = 0; i < n; i++)
		if (strcmp(attrs[i].name, name) == 0)
			return attrs[i].value;
	return NULL;
}

/* Copy the names into an array of NQN-sized strings. */
static int names_to_nqns(char **names, int count, char (**ret)[VN_NQN_SIZE],
			 unsigned int *ret_n)
{
	*ret = NULL;
	*ret_n = 0;
	if (count <= 0)
		return 0;
	*ret = calloc((size_t)count, VN_NQN_SIZE);
	if (!*ret)
		return -ENOMEM;
	for (int i = 0; i < count; i++)
		vn_strlcpy((*ret)[i], names[i], VN_NQN_SIZE);
	*ret_n = (unsigned int)count;
	return 0;
}

static int read_links(const struct vn_ctx *ctx, const char *dir,
		      char (**ret)[VN_NQN_SIZE], unsigned int *ret_n)
{
	char **names;
	int count = cfs_list(ctx, dir, ENTRY_LINK, &names);
	int r;

	if (count < 0)
		return count;
	r = names_to_nqns(names, count, ret, ret_n);
	vn_free_names(names, count);
	return r;
}

const char *const vn_nvmet_ns_groups[] = { "device", NULL };
const char *const vn_nvmet_subsys_groups[] = { "attr", NULL };
const char *const vn_nvmet_port_groups[] = { "addr", "param", NULL };
const char *const vn_nvmet_referral_groups[] = { "addr", NULL };
const char *const vn_nvmet_host_groups[] = { "dhchap", NULL };

void vn_nvmet_ns_devices(const struct vn_ctx *ctx,
			 void (*fn)(void *data, const char *nqn, const char *device_path),
			 void *data)
{
	char **nqns = NULL;
	int count = cfs_list(ctx, NVMET "/subsystems", ENTRY_DIR, &nqns);

	for (int i = 0; i < count; i++) {
		char rel[VN_PATH_MAX], **nsids = NULL;
		int ns_count;

		snprintf(rel, sizeof(rel), NVMET "/subsystems/%s/namespaces", nqns[i]);
		ns_count = cfs_list(ctx, rel, ENTRY_DIR, &nsids);
		for (int j = 0; j < ns_count; j++) {
			char devpath[VN_PATH_MAX];

			if (vn_read_str(ctx, devpath, sizeof(devpath),
					"%s/%s/device_path", rel, nsids[j]) > 0)
				fn(data, nqns[i], devpath);
		}
		if (ns_count > 0)
			vn_free_names(nsids, ns_count);
	}
	if (count > 0)
		vn_free_names(nqns, count);
}

/* Each host's dhchap_* files (none on a kernel without target auth). */
static int read_host_attrs(const struct vn_ctx *ctx, struct vn_nvmet_config *cfg)
{
	char dir[VN_PATH_MAX];
	int r = 0;

	if (!cfg->nhosts)
		return 0;
	cfg->host_attrs = calloc(cfg->nhosts, sizeof(*cfg->host_attrs));
	if (!cfg->host_attrs)
		return -ENOMEM;
	for (unsigned int i = 0; r == 0 && i < cfg->nhosts; i++) {
		snprintf(dir, sizeof(dir), NVMET "/hosts/%s", cfg->hosts[i]);
		r = read_attrs(ctx, dir, vn_nvmet_host_groups, cfg->host_attrs[i].attrs,
			       &cfg->host_attrs[i].nattrs);
	}
	return r;
}

static int read_ns(const struct vn_ctx *ctx, const char *nqn, struct vn_nvmet_subsys *s)
{
	char dir[VN_PATH_MAX], **names;
	int count, r = 0;

	snprintf(dir, sizeof(dir), NVMET "/subsystems/%s/namespaces", nqn);
	count = cfs_list(ctx, dir, ENTRY_DIR, &names);
	if (count <= 0)
		return count;
	s->ns = calloc((size_t)count, sizeof(*s->ns));
	if (!s->ns) {
		vn_free_names(names, count);
		return -ENOMEM;
	}
	for (int i = 0; i < count && r == 0; i++) {
		struct vn_nvmet_ns *ns = &s->ns[s->nns];
		char nsdir[VN_PATH_MAX * 2];
		uint64_t v;

		ns->nsid = (uint32_t)strtoul(names[i], NULL, 0);
		snprintf(nsdir, sizeof(nsdir), "%s/%s", dir, names[i]);
		ns->enabled = vn_read_u64(ctx, &v, "%s/enable", nsdir) == 0 && v;
		ns->ana_grpid = vn_read_u64(ctx, &v, "%s/ana_grpid", nsdir) == 0 ?
				(unsigned int)v : 1;
		r = read_attrs(ctx, nsdir, vn_nvmet_ns_groups, ns->attrs, &ns->nattrs);
		s->nns++;
	}
	vn_free_names(names, count);
	return r;
}

static int read_subsys(const struct vn_ctx *ctx, struct vn_nvmet_config *cfg)
{
	char **names;
	int count, r = 0;

	count = cfs_list(ctx, NVMET "/subsystems", ENTRY_DIR, &names);
	if (count <= 0)
		return count;
	cfg->subsys = calloc((size_t)count, sizeof(*cfg->subsys));
	if (!cfg->subsys) {
		vn_free_names(names, count);
		return -ENOMEM;
	}
	for (int i = 0; i < count && r == 0; i++) {
		struct vn_nvmet_subsys *s = &cfg->subsys[cfg->nsubsys++];
		char dir[VN_PATH_MAX];

		vn_strlcpy(s->nqn, names[i], sizeof(s->nqn));
		snprintf(dir, sizeof(dir), NVMET "/subsystems/%s", names[i]);
		r = read_attrs(ctx, dir, vn_nvmet_subsys_groups, s->attrs, &s->nattrs);
		if (r == 0)
			r = read_ns(ctx, names[i], s);
		if (r == 0) {
			char hdir[VN_PATH_MAX + 16];

			snprintf(hdir, sizeof(hdir), "%s/allowed_hosts", dir);
			r = read_links(ctx, hdir, &s->hosts, &s->nhosts);
		}
	}
	vn_free_names(names, count);
	return r;
}

static int read_ana(const struct vn_ctx *ctx, const char *pdir, struct vn_nvmet_port *p)
{
	char dir[VN_PATH_MAX + 16], **names;
	int count;

	snprintf(dir, sizeof(dir), "%s/ana_groups", pdir);
	count = cfs_list(ctx, dir, ENTRY_DIR, &names);
	if (count <= 0)
		return count;
	p->ana = calloc((size_t)count, sizeof(*p->ana));
	if (!p->ana) {
		vn_free_names(names, count);
		return -ENOMEM;
	}
	for (int i = 0; i < count; i++) {
		struct vn_nvmet_ana *a = &p->ana[p->nana++];

		a->grpid = (unsigned int)strtoul(names[i], NULL, 10);
		if (vn_read_str(ctx, a->state, sizeof(a->state), "%s/%s/ana_state", dir,
				names[i]) < 0)
			vn_strlcpy(a->state, "optimized", sizeof(a->state));
	}
	vn_free_names(names, count);
	return 0;
}

static int read_referrals(const struct vn_ctx *ctx, const char *pdir,
			  struct vn_nvmet_port *p)
{
	char dir[VN_PATH_MAX + 16], **names;
	int count, r = 0;

	snprintf(dir, sizeof(dir), "%s/referrals", pdir);
	count = cfs_list(ctx, dir, ENTRY_DIR, &names);
	if (count <= 0)
		return count;
	p->refs = calloc((size_t)count, sizeof(*p->refs));
	if (!p->refs) {
		vn_free_names(names, count);
		return -ENOMEM;
	}
	for (int i = 0; i < count && r == 0; i++) {
		struct vn_nvmet_referral *ref = &p->refs[p->nrefs++];
		char rdir[VN_PATH_MAX * 2];
		uint64_t v;

		vn_strlcpy(ref->name, names[i], sizeof(ref->name));
		snprintf(rdir, sizeof(rdir), "%s/%s", dir, names[i]);
		ref->enabled = vn_read_u64(ctx, &v, "%s/enable", rdir) == 0 && v;
		r = read_attrs(ctx, rdir, vn_nvmet_referral_groups, ref->attrs, &ref->nattrs);
	}
	vn_free_names(names, count);
	return r;
}

/* "0100007F" as /proc/net/tcp prints 127.0.0.1 on this machine. */
static bool proc_addr_matches(const char *hex, const char *traddr)
{
	struct in6_addr a6;
	struct in_addr a4;
	char want[40];

	if (!traddr[0] || strcmp(traddr, "0.0.0.0") == 0 || strcmp(traddr, "::") == 0)
		return true;
	if (strlen(hex) == 8 && inet_pton(AF_INET, traddr, &a4) == 1) {
		snprintf(want, sizeof(want), "%08X", a4.s_addr);
		return strcasecmp(hex, want) == 0;
	}
	if (strlen(hex) == 32 && inet_pton(AF_INET6, traddr, &a6) == 1) {
		uint32_t w[4];

		memcpy(w, &a6, sizeof(w));
		snprintf(want, sizeof(want), "%08X%08X%08X%08X", w[0], w[1], w[2], w[3]);
		return strcasecmp(hex, want) == 0;
	}
	return false;
}

/* TCP sockets in @state whose local end is @traddr:@port (/proc/net/tcp{,6}). */
static unsigned int tcp_count(const struct vn_ctx *ctx, const char *traddr,
			      unsigned int port, unsigned int state)
{
	static const char *const files[] = { "/proc/net/tcp", "/proc/net/tcp6" };
	unsigned int n = 0;

	for (size_t i = 0; i < VN_ARRAY_SIZE(files); i++) {
		char path[VN_PATH_MAX], line[512];
		_cleanup_fclose_ FILE *f = NULL;

		if (vn_path(ctx, path, sizeof(path), "%s", files[i]) < 0)
			continue;
		f = fopen(path, "re");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f)) {
			char local[64];
			unsigned int lport, st;

			/* "  0: 0100007F:1144 0100007F:C3A2 01 ..." */
			if (sscanf(line, " %*u: %63[0-9A-Fa-f]:%x %*[0-9A-Fa-f]:%*x %x",
				   local, &lport, &st) != 3)
				continue;
			if (lport == port && st == state && proc_addr_matches(local, traddr))
				n++;
		}
	}
	return n;
}

static unsigned int port_connections(const struct vn_ctx *ctx,
				     const struct vn_nvmet_port *p)
{
	const char *traddr = vn_nvmet_attr_get(p->attrs, p->nattrs, "addr_traddr");
	const char *trsvcid = vn_nvmet_attr_get(p->attrs, p->nattrs, "addr_trsvcid");

	if (!traddr || !trsvcid || !trsvcid[0] || p->nsubsys == 0)
		return 0;
	return tcp_count(ctx, traddr, (unsigned int)strtoul(trsvcid, NULL, 10),
			 TCP_STATE_ESTABLISHED);
}

static int read_ports(const struct vn_ctx *ctx, struct vn_nvmet_config *cfg)
{
	char **names;
	int count, r = 0;

	count = cfs_list(ctx, NVMET "/ports", ENTRY_DIR, &names);
	if (count <= 0)
		return count;
	cfg->ports = calloc((size_t)count, sizeof(*cfg->ports));
	if (!cfg->ports) {
		vn_free_names(names, count);
		return -ENOMEM;
	}
	for (int i = 0; i < count && r == 0; i++) {
		struct vn_nvmet_port *p = &cfg->ports[cfg->nports++];
		char dir[VN_PATH_MAX], sdir[VN_PATH_MAX + 16];

		/* kstrtou16 with base 0, as the kernel parses the name */
		p->portid = (uint16_t)strtoul(names[i], NULL, 0);
		snprintf(dir, sizeof(dir), NVMET "/ports/%s", names[i]);
		r = read_attrs(ctx, dir, vn_nvmet_port_groups, p->attrs, &p->nattrs);
		snprintf(sdir, sizeof(sdir), "%s/subsystems", dir);
		if (r == 0)
			r = read_links(ctx, sdir, &p->subsys, &p->nsubsys);
		if (r == 0)
			r = read_ana(ctx, dir, p);
		if (r == 0)
			r = read_referrals(ctx, dir, p);
		p->connections = port_connections(ctx, p);
	}
	vn_free_names(names, count);
	return r;
}

void vn_nvmet_config_free(struct vn_nvmet_config *cfg)
{
	if (!cfg)
		return;
	for (unsigned int i = 0; i < cfg->nsubsys; i++) {
		free(cfg->subsys[i].ns);
		free(cfg->subsys[i].hosts);
	}
	for (unsigned int i = 0; i < cfg->nports; i++) {
		free(cfg->ports[i].subsys);
		free(cfg->ports[i].ana);
		free(cfg->ports[i].refs);
	}
	free(cfg->subsys);
	free(cfg->ports);
	free(cfg->hosts);
	free(cfg->host_attrs);
	free(cfg);
}

int vn_nvmet_read(struct vn_ctx *ctx, struct vn_nvmet_config **ret_cfg)
{
	struct vn_nvmet_config *cfg = calloc(1, sizeof(*cfg));
	char **names;
	int count, r;

	if (!cfg)
		return vn_fail(ctx, -ENOMEM, "out of memory");
	count = cfs_list(ctx, NVMET "/hosts", ENTRY_DIR, &names);
	r = count < 0 ? count : names_to_nqns(names, count, &cfg->hosts, &cfg->nhosts);
	if (count > 0)
		vn_free_names(names, count);
	if (r == 0)
		r = read_host_attrs(ctx, cfg);
	if (r == 0)
		r = read_subsys(ctx, cfg);
	if (r == 0)
		r = read_ports(ctx, cfg);
	if (r < 0) {
		vn_nvmet_config_free(cfg);
		return vn_fail(ctx, r, "cannot read %s: %s", NVMET, strerror(-r));
	}
	*ret_cfg = cfg;
	return 0;
}

/* ---- checks ---- */

static bool nqn_standard(const char *nqn)
{
	/* nqn.YYYY-MM.reverse.domain:name (NVMe Base spec 4.5, NQN format) */
	const char *p = nqn + 4;

	if (strncmp(nqn, "nqn.", 4) != 0)
		return false;
	for (int i = 0; i < 7; i++, p++)
		if (i == 4 ? *p != '-' : !isdigit((unsigned char)*p))
			return false;
	if (*p++ != '.')
		return false;
	p = strchr(p, ':');
	return p && p[1];
}

int vn_nvmet_name_check(struct vn_ctx *ctx, const char *what, const char *name,
			size_t max)
{
	size_t len = strlen(name);

	if (len == 0)
		return vn_invalid(ctx, "%s cannot be empty", what);
	if (len > max)
		return vn_invalid(ctx, "%s '%.40s...' is %zu bytes long: at most %zu", what,
				  name, len, max);
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return vn_invalid(ctx, "%s '%s' is not a name", what, name);
	for (const char *p = name; *p; p++) {
		if (*p == '/')
			return vn_invalid(ctx, "%s '%s' contains '/'", what, name);
		if (*p == ' ' || *p == '\t')
			return vn_invalid(ctx, "%s '%s' contains whitespace", what, name);
		/* control bytes, DEL and anything not ASCII, never echoed */
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			return vn_invalid(ctx, "%s contains a control or non-ASCII byte "
					  "(0x%02x at offset %zu)", what, (unsigned char)*p,
					  (size_t)(p - name));
	}
	return 0;
}

int vn_nvmet_nqn_check(struct vn_ctx *ctx, const char *nqn)
{
	/* the 6.1 host refuses 223 bytes and more */
	int r = vn_nvmet_name_check(ctx, "NQN", nqn, VN_NQN_SIZE - 1);

	if (r < 0)
		return r;
	if (strcmp(nqn, VN_NQN_DISCOVERY) == 0)
		return vn_invalid(ctx, "'%s' is the discovery subsystem's NQN", nqn);
	return nqn_standard(nqn) ? 0 : 1;
}

static int check_ascii(struct vn_ctx *ctx, const char *what, const char *s, size_t max)
{
	size_t len = strlen(s);

	if (len == 0 || len > max)
		return vn_invalid(ctx, "%s '%s' must be 1 to %zu characters", what, s, max);
	for (const char *p = s; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			return vn_invalid(ctx, "%s '%s' must be printable ASCII", what, s);
	return 0;
}

/* Transport, family and address; fills @family. */
static int check_addr(struct vn_ctx *ctx, const struct vn_nvmet_export *e,
		      char *family, size_t len)
{
	unsigned char buf[sizeof(struct in6_addr)];
	const char *fam;

	if (e->transport && strcmp(e->transport, "tcp") != 0)
		return vn_invalid(ctx, "transport '%s' is not supported: vnvme exports "
				  "over tcp", e->transport);
	if (!e->addr || !e->addr[0])
		return vn_invalid(ctx, "no address given");
	if (inet_pton(AF_INET, e->addr, buf) == 1)
		fam = "ipv4";
	else if (inet_pton(AF_INET6, e->addr, buf) == 1)
		fam = "ipv6";
	else
		return vn_invalid(ctx, "'%s' is not an IPv4 or IPv6 address", e->addr);
	if (e->family && strcmp(e->family, "ipv4") != 0 && strcmp(e->family, "ipv6") != 0)
		return vn_invalid(ctx, "address family '%s' is not ipv4 or ipv6", e->family);
	if (e->family && strcmp(e->family, fam) != 0)
		return vn_invalid(ctx, "'%s' is an %s address, not %s", e->addr, fam,
				  e->family);
	vn_strlcpy(family, fam, len);
	return 0;
}

/* The device: an absolute path to a block device, held by nothing. */
static int check_device(struct vn_ctx *ctx, const char *dev)
{
	struct vn_hold holds[VN_HOLDS_MAX];
	char path[VN_PATH_MAX], why[512];
	struct stat st;
	int n;

	if (!dev || dev[0] != '/')
		return vn_invalid(ctx, "'%s' is not an absolute device path", dev ? dev : "");
	if (vn_path(ctx, path, sizeof(path), "%s", dev) < 0 || stat(path, &st) < 0)
		return vn_invalid(ctx, "%s does not exist", dev);
	if (!S_ISBLK(st.st_mode))
		return vn_invalid(ctx, "%s is not a block device", dev);
	n = vn_blk_holds(ctx, dev, holds, VN_HOLDS_MAX);
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		/* an export is named first... */
		if (holds[i].kind == VN_HOLD_EXPORTED)
			return vn_refuse(ctx, -EBUSY, false, "%s",
					 vn_blk_describe_hold(&holds[i], why, sizeof(why)));
	}
	/* ...but anything else holding it would be overwritten by the hosts */
	if (n > 0)
		return vn_refuse(ctx, -EBUSY, false, "%s",
				 vn_blk_describe_hold(&holds[0], why, sizeof(why)));
	return 0;
}

static int check_export(struct vn_ctx *ctx, const struct vn_nvmet_export *e,
			char *family, size_t len)
{
	int r = vn_nvmet_nqn_check(ctx, e->nqn ? e->nqn : "");

	if (r < 0)
		return r;
	for (size_t i = 0; i < e->nhosts; i++) {
		r = vn_nvmet_nqn_check(ctx, e->hosts[i]);
		if (r < 0)
			return r;
	}
	if (e->nhosts && e->allow_any_host)
		return vn_invalid(ctx, "allowed hosts and allow-any-host exclude each other");
	if (!e->nhosts && !e->allow_any_host)
		return vn_refuse(ctx, -EACCES, false, "no host is allowed: the export would "
				 "be open to every host that can reach %s (this kernel has "
				 "no NVMe authentication); name the hosts, or allow any host "
				 "explicitly", e->addr ? e->addr : "the port");
	if (e->nsid == NVMET_NSID_BROADCAST)
		return vn_invalid(ctx, "namespace id %" PRIu32 " is reserved", e->nsid);
	if (e->serial && (r = check_ascii(ctx, "serial", e->serial, NVMET_SERIAL_MAX)) < 0)
		return r;
	if (e->model && (r = check_ascii(ctx, "model", e->model, NVMET_MODEL_MAX)) < 0)
		return r;
	if ((e->ns_uuid && !vn_uuid_valid(e->ns_uuid)) ||
	    (e->ns_nguid && !vn_uuid_valid(e->ns_nguid)))
		return vn_invalid(ctx, "namespace UUID or NGUID '%s' is not in the form "
				  "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx",
				  e->ns_uuid && !vn_uuid_valid(e->ns_uuid) ? e->ns_uuid :
				  e->ns_nguid);
	r = check_addr(ctx, e, family, len);
	if (r < 0)
		return r;
	return check_device(ctx, e->device);
}

/* ---- setup ---- */

int vn_nvmet_setup(struct vn_ctx *ctx)
{
	char path[VN_PATH_MAX];
	int r;

	r = vn_kmod_load(ctx, "nvmet");
	if (r == 0)
		r = vn_kmod_load(ctx, "nvmet-tcp");
	if (r < 0)
		return r;
	if (!vn_exists(ctx, CONFIGFS "/nvmet") && vn_exists(ctx, CONFIGFS) &&
	    vn_path(ctx, path, sizeof(path), CONFIGFS) == 0 &&
	    vn_action(ctx, "mount -t configfs none %s", path) &&
	    mount("none", path, "configfs", 0, NULL) < 0 && errno != EBUSY)
		return vn_nosupport(ctx, -errno, "cannot mount configfs on %s: %s",
				    CONFIGFS, strerror(errno));
	if (!vn_exists(ctx, NVMET) && !vn_ctx_dry_run(ctx))
		return vn_nosupport(ctx, -ENOENT, "%s is missing: configfs or nvmet "
				    "is not available", NVMET);
	return 0;
}

/* ---- create ---- */

static const char *link_hint(int r)
{
	switch (-r) {
	case EADDRINUSE:
		return "the address and port are in use (another port or a process "
		       "listens there)";
	case EADDRNOTAVAIL:
		return "the address is not configured on this machine";
	case EINVAL:
		return "the kernel refused the port (transport module missing, or a "
		       "malformed address or port)";
	case EEXIST:
		return "already linked";
	default:
		return NULL;
	}
}

/* An existing port with the same address, or the lowest free id. */
bool vn_nvmet_port_tls(const struct vn_nvmet_port *p)
{
	const char *tsas = vn_nvmet_attr_get(p->attrs, p->nattrs, "addr_tsas");

	return tsas && strcmp(tsas, "tls1.3") == 0;
}

static int pick_port(const struct vn_nvmet_config *cfg, const char *family,
		     const char *addr, const char *trsvcid, bool *ret_reuse, bool *ret_tls)
{
	unsigned int id;

	for (unsigned int i = 0; i < cfg->nports; i++) {
		const struct vn_nvmet_port *p = &cfg->ports[i];
		const char *t = vn_nvmet_attr_get(p->attrs, p->nattrs, "addr_trtype");
		const char *f = vn_nvmet_attr_get(p->attrs, p->nattrs, "addr_adrfam");
		const char *a = vn_nvmet_attr_get(p->attrs, p->nattrs, "addr_traddr");
		const char *s = vn_nvmet_attr_get(p->attrs, p->nattrs, "addr_trsvcid");

		if (t && f && a && s && strcmp(t, "tcp") == 0 && strcmp(f, family) == 0 &&
		    strcmp(a, addr) == 0 && strcmp(s, trsvcid) == 0) {
			*ret_reuse = true;
			*ret_tls = vn_nvmet_port_tls(p);
			return p->portid;
		}
	}
	for (id = 1; id <= UINT16_MAX; id++) {
		bool used = false;

		for (unsigned int i = 0; i < cfg->nports; i++)
			used = used || cfg->ports[i].portid == id;
		if (!used)
			break;
	}
	*ret_reuse = false;
	return id > UINT16_MAX ? -ENOSPC : (int)id;
}

static bool subsys_exists(const struct vn_nvmet_config *cfg, const char *nqn)
{
	for (unsigned int i = 0; i < cfg->nsubsys; i++)
		if (strcmp(cfg->subsys[i].nqn, nqn) == 0)
			return true;
	return false;
}

static bool host_exists(const struct vn_nvmet_config *cfg, const char *nqn)
{
	for (unsigned int i = 0; i < cfg->nhosts; i++)
		if (strcmp(cfg->hosts[i], nqn) == 0)
			return true;
	return false;
}

/* Subsystem with attributes and host access. */
static int create_subsys(struct vn_ctx *ctx, struct undo *u,
			 const struct vn_nvmet_config *cfg,
			 const struct vn_nvmet_export *e)
{
	char dir[VN_PATH_MAX], rel[VN_PATH_MAX * 2], target[VN_PATH_MAX];
	int r;

	snprintf(dir, sizeof(dir), NVMET "/subsystems/%s", e->nqn);
	r = cfs_mkdir(ctx, u, dir);
	if (r == 0 && e->serial)
		r = cfs_write(ctx, dir, "attr_serial", e->serial);
	if (r == 0 && e->model)
		r = cfs_write(ctx, dir, "attr_model", e->model);
	if (r == 0 && e->allow_any_host)
		r = cfs_write(ctx, dir, "attr_allow_any_host", "1");
	for (size_t i = 0; r == 0 && i < e->nhosts; i++) {
		snprintf(target, sizeof(target), NVMET "/hosts/%s", e->hosts[i]);
		if (!host_exists(cfg, e->hosts[i]))
			r = cfs_mkdir(ctx, u, target);
		snprintf(rel, sizeof(rel), "%s/allowed_hosts/%s", dir, e->hosts[i]);
		if (r == 0)
			r = cfs_link(ctx, u, target, rel, NULL);
	}
	return r;
}

static int create_ns(struct vn_ctx *ctx, struct undo *u, const struct vn_nvmet_export *e)
{
	char dir[VN_PATH_MAX];
	int r;

	snprintf(dir, sizeof(dir), NVMET "/subsystems/%s/namespaces/%" PRIu32, e->nqn,
		 e->nsid ? e->nsid : 1);
	r = cfs_mkdir(ctx, u, dir);
	if (r == 0)
		r = cfs_write(ctx, dir, "device_path", e->device);
	/* before enable: the kernel refuses them on an enabled namespace */
	if (r == 0 && e->ns_uuid)
		r = cfs_write(ctx, dir, "device_uuid", e->ns_uuid);
	if (r == 0 && e->ns_nguid)
		r = cfs_write(ctx, dir, "device_nguid", e->ns_nguid);
	if (r == 0)
		r = cfs_write(ctx, dir, "enable", "1");
	return r;
}

static int create_port(struct vn_ctx *ctx, struct undo *u, unsigned int portid,
		       bool reuse, const char *family, const struct vn_nvmet_export *e)
{
	char dir[VN_PATH_MAX], rel[VN_PATH_MAX * 2], target[VN_PATH_MAX], svc[8];
	int r = 0;

	snprintf(dir, sizeof(dir), NVMET "/ports/%u", portid);
	snprintf(svc, sizeof(svc), "%u", (unsigned int)(e->port ? e->port : VN_NVME_TCP_PORT));
	if (!reuse) {
		r = cfs_mkdir(ctx, u, dir);
		if (r == 0)
			r = cfs_write(ctx, dir, "addr_trtype", "tcp");
		if (r == 0)
			r = cfs_write(ctx, dir, "addr_adrfam", family);
		if (r == 0)
			r = cfs_write(ctx, dir, "addr_traddr", e->addr);
		if (r == 0)
			r = cfs_write(ctx, dir, "addr_trsvcid", svc);
		/* after addr_trtype (which resets it); sets addr_treq "required" */
		if (r == 0 && e->tls)
			r = cfs_write(ctx, dir, "addr_tsas", "tls1.3");
	}
	/* the link is the moment the port starts listening */
	snprintf(target, sizeof(target), NVMET "/subsystems/%s", e->nqn);
	snprintf(rel, sizeof(rel), "%s/subsystems/%s", dir, e->nqn);
	if (r == 0)
		r = cfs_link(ctx, u, target, rel, link_hint);
	return r;
}

static void fill_created(struct vn_ctx *ctx, const struct vn_nvmet_export *e,
			 struct vn_nvmet_created *ret)
{
	if (vn_read_str(ctx, ret->serial, sizeof(ret->serial),
			NVMET "/subsystems/%s/attr_serial", e->nqn) < 0)
		vn_strlcpy(ret->serial, e->serial ? e->serial : "", sizeof(ret->serial));
	if (vn_read_str(ctx, ret->model, sizeof(ret->model),
			NVMET "/subsystems/%s/attr_model", e->nqn) < 0)
		vn_strlcpy(ret->model, e->model ? e->model : "Linux", sizeof(ret->model));
}

int vn_nvmet_export_create(struct vn_ctx *ctx, const struct vn_nvmet_export *e,
			   struct vn_nvmet_created *ret)
{
	struct vn_nvmet_created res = { 0 };
	struct vn_nvmet_config *cfg = NULL;
	struct undo u = { 0 };
	char svc[8];
	bool reuse, tls = false;
	int r, portid;

	r = check_export(ctx, e, res.family, sizeof(res.family));
	if (r < 0)
		return r;
	r = vn_nvmet_setup(ctx);
	if (r == 0 && e->tls && vn_tls_keyring(ctx) < 0 && !vn_ctx_dry_run(ctx))
		r = vn_nosupport(ctx, -EOPNOTSUPP, "this kernel's NVMe target has no TLS "
				 "(CONFIG_NVME_TARGET_TCP_TLS is not set: no .nvme keyring)");
	if (r < 0)
		return r;
	vn_ctx_clear_error(ctx);
	r = vn_nvmet_read(ctx, &cfg);
	if (r < 0)
		return r;
	if (subsys_exists(cfg, e->nqn)) {
		r = vn_refuse(ctx, -EEXIST, false, "subsystem %s exists already", e->nqn);
		goto out_free_cfg;
	}
	snprintf(svc, sizeof(svc), "%u", (unsigned int)(e->port ? e->port : VN_NVME_TCP_PORT));
	portid = pick_port(cfg, res.family, e->addr, svc, &reuse, &tls);
	if (portid < 0) {
		r = vn_fail(ctx, portid, "no free port id");
		goto out_free_cfg;
	}
	if (reuse && tls != e->tls) {
		r = vn_refuse(ctx, -EBUSY, false, "port %d (%s:%s) is already open %s TLS for "
			      "another export, and TLS is a port's setting: give another "
			      "--port", portid, e->addr, svc, tls ? "with" : "without");
		goto out_free_cfg;
	}
	r = create_subsys(ctx, &u, cfg, e);
	if (r == 0)
		r = create_ns(ctx, &u, e);
	if (r == 0)
		r = create_port(ctx, &u, (unsigned int)portid, reuse, res.family, e);
	if (r < 0) {
		if (undo_run(ctx, &u) < 0)
			r = -ENOTRECOVERABLE;
		goto out_free_cfg;
	}
	undo_free(&u);
	res.portid = (uint16_t)portid;
	res.port_reused = reuse;
	fill_created(ctx, e, &res);
	*ret = res;
out_free_cfg:
	vn_nvmet_config_free(cfg);
	return r;
}

/* ---- delete ---- */

static const struct vn_nvmet_subsys *find_subsys(const struct vn_nvmet_config *cfg,
						 const char *nqn)
{
	for (unsigned int i = 0; i < cfg->nsubsys; i++)
		if (strcmp(cfg->subsys[i].nqn, nqn) == 0)
			return &cfg->subsys[i];
	return NULL;
}

static bool port_links(const struct vn_nvmet_port *p, const char *nqn)
{
	for (unsigned int i = 0; i < p->nsubsys; i++)
		if (strcmp(p->subsys[i], nqn) == 0)
			return true;
	return false;
}

/* Is host @h allowed by a subsystem other than @except? */
static bool host_used(const struct vn_nvmet_config *cfg, const char *h,
		      const char *except)
{
	for (unsigned int i = 0; i < cfg->nsubsys; i++) {
		const struct vn_nvmet_subsys *s = &cfg->subsys[i];

		if (except && strcmp(s->nqn, except) == 0)
			continue;
		for (unsigned int j = 0; j < s->nhosts; j++)
			if (strcmp(s->hosts[j], h) == 0)
				return true;
	}
	return false;
}

/* Unlink every subsystem, remove referrals and extra ANA groups, rmdir. */
static int remove_port(struct vn_ctx *ctx, const struct vn_nvmet_port *p)
{
	char rel[VN_PATH_MAX];
	int r = 0;

	for (unsigned int i = 0; r == 0 && i < p->nsubsys; i++) {
		snprintf(rel, sizeof(rel), NVMET "/ports/%u/subsystems/%s", p->portid,
			 p->subsys[i]);
		r = cfs_unlink(ctx, rel);
	}
	for (unsigned int i = 0; r == 0 && i < p->nrefs; i++) {
		snprintf(rel, sizeof(rel), NVMET "/ports/%u/referrals/%s", p->portid,
			 p->refs[i].name);
		r = cfs_rmdir(ctx, rel);
	}
	/* ANA group 1 is a default group: the kernel removes it with the port */
	for (unsigned int i = 0; r == 0 && i < p->nana; i++) {
		if (p->ana[i].grpid == 1)
			continue;
		snprintf(rel, sizeof(rel), NVMET "/ports/%u/ana_groups/%u", p->portid,
			 p->ana[i].grpid);
		r = cfs_rmdir(ctx, rel);
	}
	snprintf(rel, sizeof(rel), NVMET "/ports/%u", p->portid);
	return r < 0 ? r : cfs_rmdir(ctx, rel);
}

/* Disable and remove namespaces, unlink hosts, rmdir the subsystem. */
static int remove_subsys(struct vn_ctx *ctx, const struct vn_nvmet_subsys *s)
{
	char dir[VN_PATH_MAX], rel[VN_PATH_MAX * 2];
	int r = 0;

	snprintf(dir, sizeof(dir), NVMET "/subsystems/%s", s->nqn);
	for (unsigned int i = 0; r == 0 && i < s->nns; i++) {
		snprintf(rel, sizeof(rel), "%s/namespaces/%" PRIu32, dir, s->ns[i].nsid);
		if (s->ns[i].enabled)
			r = cfs_write(ctx, rel, "enable", "0");
		if (r == 0)
			r = cfs_rmdir(ctx, rel);
	}
	for (unsigned int i = 0; r == 0 && i < s->nhosts; i++) {
		snprintf(rel, sizeof(rel), "%s/allowed_hosts/%s", dir, s->hosts[i]);
		r = cfs_unlink(ctx, rel);
	}
	return r < 0 ? r : cfs_rmdir(ctx, dir);
}

/* Refuse while hosts are connected through a port of @nqn. */
static int check_connected(struct vn_ctx *ctx, const struct vn_nvmet_config *cfg,
			   const char *nqn)
{
	for (unsigned int i = 0; i < cfg->nports; i++) {
		const struct vn_nvmet_port *p = &cfg->ports[i];

		if (!port_links(p, nqn) || p->connections == 0)
			continue;
		return vn_refuse(ctx, -EBUSY, true, "%s is in use: %u TCP connection%s "
				 "established to port %u (%s:%s); disconnect the hosts "
				 "first", nqn, p->connections, p->connections == 1 ? "" : "s",
				 p->portid,
				 vn_nvmet_attr_get(p->attrs, p->nattrs, "addr_traddr"),
				 vn_nvmet_attr_get(p->attrs, p->nattrs, "addr_trsvcid"));
	}
	return 0;
}

static int delete_subsys(struct vn_ctx *ctx, const struct vn_nvmet_config *cfg,
			 const struct vn_nvmet_subsys *s)
{
	char rel[VN_PATH_MAX];
	int r = 0;

	for (unsigned int i = 0; r == 0 && i < cfg->nports; i++) {
		const struct vn_nvmet_port *p = &cfg->ports[i];

		if (!port_links(p, s->nqn))
			continue;
		if (p->nsubsys == 1) {
			r = remove_port(ctx, p);
		} else {
			snprintf(rel, sizeof(rel), NVMET "/ports/%u/subsystems/%s",
				 p->portid, s->nqn);
			r = cfs_unlink(ctx, rel);
		}
	}
	if (r == 0)
		r = remove_subsys(ctx, s);
	for (unsigned int i = 0; r == 0 && i < s->nhosts; i++) {
		if (host_used(cfg, s->hosts[i], s->nqn))
			continue;
		snprintf(rel, sizeof(rel), NVMET "/hosts/%s", s->hosts[i]);
		r = cfs_rmdir(ctx, rel);
	}
	return r;
}

static int put_back(struct vn_ctx *ctx, const struct vn_nvmet_config *snap, int r);

int vn_nvmet_export_delete(struct vn_ctx *ctx, const char *nqn, bool force)
{
	struct vn_nvmet_config *cfg = NULL;
	const struct vn_nvmet_subsys *s;
	int r;

	if (vn_nvmet_nqn_check(ctx, nqn) < 0)
		return -EINVAL;
	if (!vn_exists(ctx, NVMET))
		return vn_fail(ctx, -ENOENT, "no export named %s (the NVMe target is "
			       "not loaded)", nqn);
	r = vn_nvmet_read(ctx, &cfg);
	if (r < 0)
		return r;
	s = find_subsys(cfg, nqn);
	if (!s) {
		r = vn_invalid_errno(ctx, -ENOENT, "no export named %s", nqn);
		goto out_free_cfg;
	}
	if (!force) {
		r = check_connected(ctx, cfg, nqn);
		if (r < 0)
			goto out_free_cfg;
	}
	r = delete_subsys(ctx, cfg, s);
	if (r < 0)
		r = put_back(ctx, cfg, r);
out_free_cfg:
	vn_nvmet_config_free(cfg);
	return r;
}

/* ---- checking a configuration (a file) before applying it ---- */

/* The context's error, prefixed with where it was found. */
static int invalid_at(struct vn_ctx *ctx, const char *fmt, ...) VN_PRINTF(2, 3);
static int invalid_at(struct vn_ctx *ctx, const char *fmt, ...)
{
	char where[VN_NQN_SIZE + 64], msg[VN_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(where, sizeof(where), fmt, ap);
	va_end(ap);
	vn_strlcpy(msg, vn_ctx_error(ctx), sizeof(msg));
	return vn_invalid(ctx, "%s: %s", where, msg);
}

static bool in_names(char (*names)[VN_NQN_SIZE], unsigned int n, const char *name)
{
	for (unsigned int i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return true;
	return false;
}

/* Link names: NQNs of objects the file itself creates, each once. */
static int check_links(struct vn_ctx *ctx, const struct vn_nvmet_config *cfg,
		       const char *where, const char *field, char (*names)[VN_NQN_SIZE],
		       unsigned int n)
{
	bool hosts = strcmp(field, "allowed_hosts") == 0;

	for (unsigned int i = 0; i < n; i++) {
		if (vn_nvmet_nqn_check(ctx, names[i]) < 0)
			return invalid_at(ctx, "%s: %s[%u]", where, field, i);
		if (!(hosts ? host_exists(cfg, names[i]) : subsys_exists(cfg, names[i])))
			return vn_invalid(ctx, "%s: %s[%u]: %s is not in \"%s\"", where,
					  field, i, names[i], hosts ? "hosts" : "subsystems");
		if (in_names(names, i, names[i]))
			return vn_invalid(ctx, "%s: %s names %s twice", where, field,
					  names[i]);
	}
	return 0;
}

static int check_subsys(struct vn_ctx *ctx, const struct vn_nvmet_config *cfg,
			unsigned int i)
{
	const struct vn_nvmet_subsys *s = &cfg->subsys[i];
	char where[VN_NQN_SIZE + 16];

	if (vn_nvmet_nqn_check(ctx, s->nqn) < 0)
		return invalid_at(ctx, "subsystems[%u]", i);
	if (find_subsys(cfg, s->nqn) != s)
		return vn_invalid(ctx, "\"subsystems\" has %s twice", s->nqn);
	for (unsigned int j = 0; j < s->nns; j++)
		for (unsigned int k = 0; k < j; k++)
			if (s->ns[k].nsid == s->ns[j].nsid)
				return vn_invalid(ctx, "subsystem %s: namespace %" PRIu32
						  " twice", s->nqn, s->ns[j].nsid);
	snprintf(where, sizeof(where), "subsystem %s", s->nqn);
	return check_links(ctx, cfg, where, "allowed_hosts", s->hosts, s->nhosts);
}

static int check_port(struct vn_ctx *ctx, const struct vn_nvmet_config *cfg,
		      unsigned int i)
{
	const struct vn_nvmet_port *p = &cfg->ports[i];
	char where[32];
	int r;

	snprintf(where, sizeof(where), "port %u", p->portid);
	/* the kernel takes any string and fails only when the port is enabled,
	 * after the running configuration is gone */
	for (unsigned int j = 0; j < p->nattrs; j++) {
		const char *v = p->attrs[j].value;
		char *end;
		unsigned long n;

		if (strcmp(p->attrs[j].name, "addr_trsvcid") != 0 || !v[0])
			continue;
		errno = 0;
		n = strtoul(v, &end, 10);
		if (*end || errno || n < 1 || n > 65535 || !isdigit((unsigned char)v[0]))
			return vn_invalid(ctx, "%s: trsvcid '%s' is not a port from 1 to 65535",
					  where, v);
	}
	for (unsigned int j = 0; j < i; j++)
		if (cfg->ports[j].portid == p->portid)
			return vn_invalid(ctx, "\"ports\" has port %u twice", p->portid);
	r = check_links(ctx, cfg, where, "subsystems", p->subsys, p->nsubsys);
	if (r < 0)
		return r;
	for (unsigned int j = 0; j < p->nrefs; j++) {
		if (vn_nvmet_name_check(ctx, "name", p->refs[j].name,
					sizeof(p->refs[j].name) - 1) < 0)
			return invalid_at(ctx, "%s: referral %u", where, j);
		for (unsigned int k = 0; k < j; k++)
			if (strcmp(p->refs[k].name, p->refs[j].name) == 0)
				return vn_invalid(ctx, "%s: referral %s twice", where,
						  p->refs[j].name);
	}
	for (unsigned int j = 0; j < p->nana; j++)
		for (unsigned int k = 0; k < j; k++)
			if (p->ana[k].grpid == p->ana[j].grpid)
				return vn_invalid(ctx, "%s: ANA group %u twice", where,
						  p->ana[j].grpid);
	return 0;
}

int vn_nvmet_config_check(struct vn_ctx *ctx, const struct vn_nvmet_config *cfg)
{
	int r = 0;

	for (unsigned int i = 0; i < cfg->nhosts; i++) {
		if (vn_nvmet_nqn_check(ctx, cfg->hosts[i]) < 0)
			return invalid_at(ctx, "hosts[%u]", i);
		if (in_names(cfg->hosts, i, cfg->hosts[i]))
			return vn_invalid(ctx, "\"hosts\" has %s twice", cfg->hosts[i]);
	}
	for (unsigned int i = 0; r == 0 && i < cfg->nsubsys; i++)
		r = check_subsys(ctx, cfg, i);
	for (unsigned int i = 0; r == 0 && i < cfg->nports; i++)
		r = check_port(ctx, cfg, i);
	return r;
}

/* ---- clear and apply (restore) ---- */

/* Remove @cfg, as nvmetcli's Root.clear_existing: ports, subsystems, hosts. */
static int remove_all(struct vn_ctx *ctx, const struct vn_nvmet_config *cfg)
{
	char rel[VN_PATH_MAX];
	int r = 0;

	for (unsigned int i = 0; r == 0 && i < cfg->nports; i++)
		r = remove_port(ctx, &cfg->ports[i]);
	for (unsigned int i = 0; r == 0 && i < cfg->nsubsys; i++)
		r = remove_subsys(ctx, &cfg->subsys[i]);
	for (unsigned int i = 0; r == 0 && i < cfg->nhosts; i++) {
		snprintf(rel, sizeof(rel), NVMET "/hosts/%s", cfg->hosts[i]);
		r = cfs_rmdir(ctx, rel);
	}
	return r;
}

int vn_nvmet_clear(struct vn_ctx *ctx)
{
	struct vn_nvmet_config *cfg = NULL;
	int r;

	if (!vn_exists(ctx, NVMET))
		return 0;
	r = vn_nvmet_read(ctx, &cfg);
	if (r < 0)
		return r;
	r = remove_all(ctx, cfg);
	if (r < 0)
		r = put_back(ctx, cfg, r);
	vn_nvmet_config_free(cfg);
	return r;
}

/* The context's error again, as a plain failure (VN_ERR_FAILED). */
static int refail(struct vn_ctx *ctx, int r)
{
	char msg[VN_ERR_MSG_MAX];

	vn_strlcpy(msg, vn_ctx_error(ctx), sizeof(msg));
	return vn_fail(ctx, r, "%s", msg);
}

static int cmp_attr(const void *a, const void *b)
{
	return strcmp(((const struct vn_nvmet_attr *)a)->name,
		      ((const struct vn_nvmet_attr *)b)->name);
}

/* Write attributes in sorted order, as nvmetcli's set_attr loop does. */
static int write_attrs(struct vn_ctx *ctx, const char *dir,
		       const struct vn_nvmet_attr *attrs, unsigned int n)
{
	struct vn_nvmet_attr *sorted;
	int r = 0;

	if (n == 0)
		return 0;
	sorted = malloc(n * sizeof(*sorted));
	if (!sorted)
		return vn_fail(ctx, -ENOMEM, "out of memory");
	memcpy(sorted, attrs, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), cmp_attr);
	/* configfs fails a write of nothing (EFAULT); nvmetcli writes nothing */
	for (unsigned int i = 0; r == 0 && i < n; i++)
		if (sorted[i].value[0])
			r = cfs_write(ctx, dir, sorted[i].name, sorted[i].value);
	free(sorted);
	return r;
}

/*
 * Each apply_* creates what its object lacks: all of it when @have (the
 * same object as configfs holds it now) is NULL, else only missing parts.
 */

static const struct vn_nvmet_ns *find_ns(const struct vn_nvmet_subsys *s, uint32_t nsid)
{
	for (unsigned int i = 0; s && i < s->nns; i++)
		if (s->ns[i].nsid == nsid)
			return &s->ns[i];
	return NULL;
}

static int apply_ns(struct vn_ctx *ctx, struct undo *u, const char *sdir,
		    const struct vn_nvmet_ns *ns, const struct vn_nvmet_ns *have)
{
	char dir[VN_PATH_MAX * 2], v[16];
	int r = 0;

	snprintf(dir, sizeof(dir), "%s/namespaces/%" PRIu32, sdir, ns->nsid);
	if (!have)
		r = cfs_mkdir(ctx, u, dir);
	if (r == 0 && !have)
		r = write_attrs(ctx, dir, ns->attrs, ns->nattrs);
	snprintf(v, sizeof(v), "%u", ns->ana_grpid ? ns->ana_grpid : 1);
	if (r == 0 && !have && ns->ana_grpid > 1)
		r = cfs_write(ctx, dir, "ana_grpid", v);
	if (r == 0 && ns->enabled && !(have && have->enabled))
		r = cfs_write(ctx, dir, "enable", "1");
	return r;
}

static int apply_subsys(struct vn_ctx *ctx, struct undo *u,
			const struct vn_nvmet_subsys *s, const struct vn_nvmet_subsys *have)
{
	char dir[VN_PATH_MAX], rel[VN_PATH_MAX * 2], target[VN_PATH_MAX];
	int r = 0;

	snprintf(dir, sizeof(dir), NVMET "/subsystems/%s", s->nqn);
	if (!have)
		r = cfs_mkdir(ctx, u, dir);
	for (unsigned int i = 0; r == 0 && i < s->nns; i++)
		r = apply_ns(ctx, u, dir, &s->ns[i], find_ns(have, s->ns[i].nsid));
	for (unsigned int i = 0; r == 0 && i < s->nhosts; i++) {
		if (have && in_names(have->hosts, have->nhosts, s->hosts[i]))
			continue;
		snprintf(target, sizeof(target), NVMET "/hosts/%s", s->hosts[i]);
		snprintf(rel, sizeof(rel), "%s/allowed_hosts/%s", dir, s->hosts[i]);
		r = cfs_link(ctx, u, target, rel, NULL);
	}
	if (r == 0 && !have)
		r = write_attrs(ctx, dir, s->attrs, s->nattrs);
	return r;
}

static int apply_ana(struct vn_ctx *ctx, struct undo *u, const char *pdir,
		     const struct vn_nvmet_ana *a)
{
	char dir[VN_PATH_MAX * 2];
	int r = 0;

	snprintf(dir, sizeof(dir), "%s/ana_groups/%u", pdir, a->grpid);
	if (a->grpid != 1)
		r = cfs_mkdir(ctx, u, dir);
	if (r == 0 && a->state[0])
		r = cfs_write(ctx, dir, "ana_state", a->state);
	return r;
}

static bool has_ana(const struct vn_nvmet_port *p, unsigned int grpid)
{
	for (unsigned int i = 0; p && i < p->nana; i++)
		if (p->ana[i].grpid == grpid)
			return true;
	return false;
}

static int apply_referral(struct vn_ctx *ctx, struct undo *u, const char *pdir,
			  const struct vn_nvmet_referral *ref)
{
	char dir[VN_PATH_MAX * 2];
	int r;

	snprintf(dir, sizeof(dir), "%s/referrals/%s", pdir, ref->name);
	r = cfs_mkdir(ctx, u, dir);
	if (r == 0)
		r = write_attrs(ctx, dir, ref->attrs, ref->nattrs);
	if (r == 0 && ref->enabled)
		r = cfs_write(ctx, dir, "enable", "1");
	return r;
}

static bool has_referral(const struct vn_nvmet_port *p, const char *name)
{
	for (unsigned int i = 0; p && i < p->nrefs; i++)
		if (strcmp(p->refs[i].name, name) == 0)
			return true;
	return false;
}

static int apply_port(struct vn_ctx *ctx, struct undo *u, const struct vn_nvmet_port *p,
		      const struct vn_nvmet_port *have)
{
	char dir[VN_PATH_MAX], rel[VN_PATH_MAX * 2], target[VN_PATH_MAX];
	int r = 0;

	snprintf(dir, sizeof(dir), NVMET "/ports/%u", p->portid);
	if (!have)
		r = cfs_mkdir(ctx, u, dir);
	if (r == 0 && !have)
		r = write_attrs(ctx, dir, p->attrs, p->nattrs);
	for (unsigned int i = 0; r == 0 && i < p->nsubsys; i++) {
		if (have && in_names(have->subsys, have->nsubsys, p->subsys[i]))
			continue;
		snprintf(target, sizeof(target), NVMET "/subsystems/%s", p->subsys[i]);
		snprintf(rel, sizeof(rel), "%s/subsystems/%s", dir, p->subsys[i]);
		r = cfs_link(ctx, u, target, rel, link_hint);
	}
	for (unsigned int i = 0; r == 0 && i < p->nana; i++)
		if (!has_ana(have, p->ana[i].grpid))
			r = apply_ana(ctx, u, dir, &p->ana[i]);
	for (unsigned int i = 0; r == 0 && i < p->nrefs; i++)
		if (!has_referral(have, p->refs[i].name))
			r = apply_referral(ctx, u, dir, &p->refs[i]);
	return r;
}

static const struct vn_nvmet_port *find_port(const struct vn_nvmet_config *cfg,
					     unsigned int portid)
{
	for (unsigned int i = 0; cfg && i < cfg->nports; i++)
		if (cfg->ports[i].portid == portid)
			return &cfg->ports[i];
	return NULL;
}

/* Create what @cfg has and @have (configfs now; NULL: empty) lacks. */
static int apply_missing(struct vn_ctx *ctx, struct undo *u,
			 const struct vn_nvmet_config *cfg,
			 const struct vn_nvmet_config *have)
{
	char rel[VN_PATH_MAX];
	int r = 0;

	for (unsigned int i = 0; r == 0 && i < cfg->nhosts; i++) {
		if (have && host_exists(have, cfg->hosts[i]))
			continue;
		snprintf(rel, sizeof(rel), NVMET "/hosts/%s", cfg->hosts[i]);
		r = cfs_mkdir(ctx, u, rel);
		/* the keys before any subsystem links the host */
		if (r == 0 && cfg->host_attrs && cfg->host_attrs[i].nattrs &&
		    !vn_ctx_dry_run(ctx) && !vn_exists(ctx, "%s/dhchap_key", rel))
			r = vn_nosupport(ctx, -EOPNOTSUPP, "host %s has DH-HMAC-CHAP keys, "
					 "and this kernel's NVMe target has no in-band "
					 "authentication (CONFIG_NVME_TARGET_AUTH is not set)",
					 cfg->hosts[i]);
		if (r == 0 && cfg->host_attrs)
			r = write_attrs(ctx, rel, cfg->host_attrs[i].attrs,
					cfg->host_attrs[i].nattrs);
	}
	for (unsigned int i = 0; r == 0 && i < cfg->nsubsys; i++)
		r = apply_subsys(ctx, u, &cfg->subsys[i],
				 have ? find_subsys(have, cfg->subsys[i].nqn) : NULL);
	for (unsigned int i = 0; r == 0 && i < cfg->nports; i++)
		r = apply_port(ctx, u, &cfg->ports[i], find_port(have, cfg->ports[i].portid));
	return r;
}

/*
 * After failure @r: create what @snap (read before the call changed
 * anything) has and configfs lacks now, so the configuration is @snap
 * again. A step that fails is added to the context's error, never dropped.
 * Return: @r, or -ENOTRECOVERABLE when a step failed.
 */
static int put_back(struct vn_ctx *ctx, const struct vn_nvmet_config *snap, int r)
{
	struct vn_nvmet_config *now = NULL;
	char msg[VN_ERR_MSG_MAX], why[VN_ERR_MSG_MAX];
	enum vn_err_kind kind = vn_ctx_error_kind(ctx);
	bool forceable = vn_ctx_error_forceable(ctx);
	int r2;

	vn_strlcpy(msg, vn_ctx_error(ctx), sizeof(msg));
	r2 = vn_nvmet_read(ctx, &now);
	if (r2 == 0)
		r2 = apply_missing(ctx, NULL, snap, now);
	vn_nvmet_config_free(now);
	vn_strlcpy(why, vn_ctx_error(ctx), sizeof(why));
	vn_strlcpy(ctx->err_msg, msg, sizeof(ctx->err_msg));
	ctx->err_kind = kind;
	ctx->err_forceable = forceable;
	if (r2 == 0) {
		note(ctx, "the running configuration was put back as it was");
		return r;
	}
	add_failure(ctx, "the previous configuration was not put back completely: %s",
		    why);
	return -ENOTRECOVERABLE;
}

/* Create @cfg on an empty target; on failure remove what was created. */
static int apply_new(struct vn_ctx *ctx, const struct vn_nvmet_config *cfg)
{
	struct undo u = { 0 };
	int r = apply_missing(ctx, &u, cfg, NULL);

	if (r == 0) {
		undo_free(&u);
		return 0;
	}
	/* an EEXIST refusal inside a restore is a failure to apply */
	if (vn_ctx_error_kind(ctx) == VN_ERR_UNSAFE)
		r = refail(ctx, r);
	return undo_run(ctx, &u) < 0 ? -ENOTRECOVERABLE : r;
}

int vn_nvmet_apply(struct vn_ctx *ctx, const struct vn_nvmet_config *cfg)
{
	int r = vn_nvmet_config_check(ctx, cfg);

	return r < 0 ? r : apply_new(ctx, cfg);
}

int vn_nvmet_replace(struct vn_ctx *ctx, const struct vn_nvmet_config *cfg)
{
	struct vn_nvmet_config *snap = NULL;
	int r;

	r = vn_nvmet_config_check(ctx, cfg);
	if (r == 0)
		r = vn_nvmet_setup(ctx);
	if (r == 0)
		r = vn_nvmet_read(ctx, &snap);
	if (r < 0)
		return r;
	r = remove_all(ctx, snap);
	if (r == 0)
		r = apply_new(ctx, cfg);
	if (r < 0)
		r = put_back(ctx, snap, r);
	vn_nvmet_config_free(snap);
	return r;
}

/* ---- in-band authentication of an allowed host (DH-HMAC-CHAP) ---- */

static const char *const auth_hashes[] = { "sha256", "sha384", "sha512", NULL };
static const char *const auth_dhgroups[] = {
	"null", "ffdhe2048", "ffdhe3072", "ffdhe4096", "ffdhe6144", "ffdhe8192", NULL
};

static bool in_list(const char *const *list, const char *s)
{
	for (; *list; list++)
		if (strcmp(*list, s) == 0)
			return true;
	return false;
}

static int check_host_auth(struct vn_ctx *ctx, const struct vn_nvmet_host_auth *a)
{
	if (!a->hostnqn || !a->hostnqn[0])
		return vn_invalid(ctx, "authentication needs the host's NQN");
	if (!a->key)
		return vn_invalid(ctx, "authentication needs the host's DH-HMAC-CHAP key");
	if (vn_dhchap_check(ctx, a->key) < 0)
		return -EINVAL;
	if (a->ctrl_key && vn_dhchap_check(ctx, a->ctrl_key) < 0)
		return -EINVAL;
	if (a->ctrl_key && strcmp(a->ctrl_key, a->key) == 0)
		return vn_invalid(ctx, "the controller key must differ from the host key "
				  "(else the host's proof proves the target too)");
	if (a->hash && !in_list(auth_hashes, a->hash))
		return vn_invalid(ctx, "DH-HMAC-CHAP hash '%s': it is sha256, sha384 or sha512",
				  a->hash);
	if (a->dhgroup && !in_list(auth_dhgroups, a->dhgroup))
		return vn_invalid(ctx, "DH group '%s': it is null or ffdhe2048, 3072, 4096, "
				  "6144, 8192", a->dhgroup);
	return 0;
}

/* configfs shows a key with a newline, an unset one as an empty line. */
static bool host_key_differs(struct vn_ctx *ctx, const char *dir, const char *attr,
			     const char *want)
{
	char cur[VN_DHCHAP_STR_SIZE + 8];

	if (vn_read_str(ctx, cur, sizeof(cur), "%s/%s", dir, attr) < 0)
		return false;
	return cur[0] && (!want || strcmp(cur, want) != 0);
}

int vn_nvmet_host_auth(struct vn_ctx *ctx, const struct vn_nvmet_host_auth *a,
		       bool *ret_created)
{
	struct undo u = { 0 };
	char dir[VN_PATH_MAX], hash[24];
	bool created;
	int r;

	r = check_host_auth(ctx, a);
	if (r < 0)
		return r;
	r = vn_nvmet_setup(ctx);
	if (r < 0)
		return r;
	snprintf(dir, sizeof(dir), NVMET "/hosts/%s", a->hostnqn);
	created = !vn_exists(ctx, "%s", dir);
	if (!created && (host_key_differs(ctx, dir, "dhchap_key", a->key) ||
			 host_key_differs(ctx, dir, "dhchap_ctrl_key", a->ctrl_key)))
		return vn_refuse(ctx, -EEXIST, false, "host %s has other DH-HMAC-CHAP keys "
				 "already (another export allows it)", a->hostnqn);
	if (created) {
		r = cfs_mkdir(ctx, &u, dir);
		if (r < 0)
			return r;
	}
	/* nvmet without CONFIG_NVME_TARGET_AUTH has no dhchap files */
	if (!vn_ctx_dry_run(ctx) && !vn_exists(ctx, "%s/dhchap_key", dir)) {
		undo_run(ctx, &u);
		return vn_nosupport(ctx, -EOPNOTSUPP, "this kernel's NVMe target has no "
				    "in-band authentication (CONFIG_NVME_TARGET_AUTH is not set)");
	}
	r = cfs_write(ctx, dir, "dhchap_key", a->key);
	if (r == 0 && a->ctrl_key)
		r = cfs_write(ctx, dir, "dhchap_ctrl_key", a->ctrl_key);
	if (r == 0 && a->hash) {
		snprintf(hash, sizeof(hash), "hmac(%s)", a->hash);
		r = cfs_write(ctx, dir, "dhchap_hash", hash);
	}
	if (r == 0 && a->dhgroup)
		r = cfs_write(ctx, dir, "dhchap_dhgroup", a->dhgroup);
	if (r < 0) {
		undo_run(ctx, &u);
		return r;
	}
	undo_free(&u);
	if (ret_created)
		*ret_created = created;
	return 0;
}

int vn_nvmet_host_can_auth(struct vn_ctx *ctx, const char *hostnqn)
{
	return vn_exists(ctx, NVMET "/hosts/%s/dhchap_key", hostnqn) ? 1 : 0;
}

int vn_nvmet_host_forget(struct vn_ctx *ctx, const char *hostnqn)
{
	char dir[VN_PATH_MAX];

	snprintf(dir, sizeof(dir), NVMET "/hosts/%s", hostnqn);
	return cfs_rmdir(ctx, dir);
}
