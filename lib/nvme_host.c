// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * The NVMe-oF host side through libnvme 1.3 (Debian 12): discovery,
 * connect, list and disconnect, and a stable host identity in /etc/nvme.
 * libnvme prints its own messages to the FILE of its root object; we hand
 * it a memory stream and fold its last line into the context's error, so
 * nothing reaches the terminal behind the command layer's back.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <libnvme.h>
#include <stdarg.h>
#include <openssl/evp.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <syslog.h>

#include "internal.h"

#define HOSTNQN_FILE "/etc/nvme/hostnqn"
#define HOSTID_FILE "/etc/nvme/hostid"
/* nvme-cli's discover default (nvmf_get_discovery_log max_retries). */
#define DISC_RETRIES 10
/* Namespace scanning is queued work after connect (nvme_queue_scan). */
#define NS_WAIT_MS 10000
#define NS_POLL_MS 50
/* The discovery service port for tcp (NVMe/TCP spec, 7.4.9.1). */
#define NVME_DISC_TCP_PORT "8009"

/* ---- libnvme with its log in a memory stream ---- */

struct host_root {
	nvme_root_t r;
	FILE *log;
	char *buf;
	size_t len;
};

static int root_open(struct vn_ctx *ctx, struct host_root *hr, bool scan)
{
	*hr = (struct host_root){ 0 };
	hr->log = open_memstream(&hr->buf, &hr->len);
	if (!hr->log)
		return vn_fail(ctx, -errno, "cannot open a memory stream: %s",
			       strerror(errno));
	/* LOG_NOTICE: what nvme-cli shows by default, kept for our message */
	hr->r = nvme_create_root(hr->log, LOG_NOTICE);
	if (!hr->r) {
		fclose(hr->log);
		free(hr->buf);
		return vn_fail(ctx, -ENOMEM, "libnvme: cannot create its root");
	}
	nvme_init_logging(hr->r, LOG_NOTICE, false, false);
	if (scan && nvme_scan_topology(hr->r, NULL, NULL) < 0 && errno != ENOENT) {
		int r = -errno;

		nvme_free_tree(hr->r);
		fclose(hr->log);
		free(hr->buf);
		return vn_fail(ctx, r, "libnvme: cannot scan the NVMe topology: %s",
			       strerror(-r));
	}
	return 0;
}

/* libnvme's last logged line, "" if none. */
static const char *root_last_msg(struct host_root *hr, char *buf, size_t len)
{
	char *end, *start;

	buf[0] = '\0';
	if (fflush(hr->log) != 0 || !hr->buf || !hr->len)
		return buf;
	end = hr->buf + hr->len;
	while (end > hr->buf && (end[-1] == '\n' || end[-1] == ' '))
		end--;
	start = end;
	while (start > hr->buf && start[-1] != '\n')
		start--;
	snprintf(buf, len, "%.*s", (int)(end - start), start);
	return buf;
}

static void root_close(struct host_root *hr)
{
	if (hr->r)
		nvme_free_tree(hr->r);
	if (hr->log)
		fclose(hr->log);
	free(hr->buf);
	*hr = (struct host_root){ 0 };
}

/* libnvme's errno (>= 1000 for its own codes) as a plain negative errno. */
static int connect_errno(int err)
{
	switch (err) {
	case ENVME_CONNECT_ALREADY:
		return -EALREADY;
	case ENVME_CONNECT_CONNREFUSED:
		return -ECONNREFUSED;
	case ENVME_CONNECT_OPEN:
		return -ENODEV;
	case ENVME_CONNECT_INVAL:
	case ENVME_CONNECT_TARG:
	case ENVME_CONNECT_AARG:
	case ENVME_CONNECT_INVAL_TR:
		return -EINVAL;
	case ENVME_CONNECT_ADDRINUSE:
		return -EADDRINUSE;
	case ENVME_CONNECT_OPNOTSUPP:
		return -EOPNOTSUPP;
	case ENVME_CONNECT_NODEV:
		return -ENODEV;
	default:
		return err > 0 && err < 1000 ? -err : -EIO;
	}
}

static const char *connect_cause(int err)
{
	switch (err) {
	case ENVME_CONNECT_CONNREFUSED:
		return "nothing listens there";
	case ENVME_CONNECT_WRITE:
		return "the target refused this host NQN, or does not serve that "
		       "subsystem on this port";
	case ENVME_CONNECT_ALREADY:
		return "this host is already connected to it";
	case ENVME_CONNECT_ADDRINUSE:
		return "another connection uses this host NQN with a different host ID";
	default:
		return NULL;
	}
}

/*
 * libnvme 1.3 folds every other write(2) error into ENVME_CONNECT_WRITE; its
 * log line keeps the kernel's: "Failed to write to /dev/nvme-fabrics: <strerror>".
 * The DH-HMAC-CHAP outcomes of the 6.x host (nvmf_connect_admin_queue).
 */
static bool ends_with(const char *s, const char *end)
{
	size_t n = strlen(s), k = strlen(end);

	return n >= k && strcmp(s + n - k, end) == 0;
}

static const char *auth_cause(const char *log, const struct vn_nvme_target *t)
{
	if (ends_with(log, strerror(ENOKEY)))
		return "the target requires DH-HMAC-CHAP authentication: give this host's "
		       "key (--dhchap-secret)";
	/* a refused host key comes back as EKEYREJECTED or as EIO, by timing */
	if (!t->dhchap_secret || !(ends_with(log, strerror(EKEYREJECTED)) ||
				   ends_with(log, strerror(EIO))))
		return NULL;
	return t->dhchap_ctrl_secret ? "DH-HMAC-CHAP authentication failed: the target "
	       "refused this host's key (--dhchap-secret), or did not prove the "
	       "controller key this host expects (--dhchap-ctrl-secret)" :
	       "DH-HMAC-CHAP authentication failed: the target refused this host's "
	       "key (--dhchap-secret)";
}

/* "connect to NQN at A:P: <libnvme text>: <cause> (<libnvme log>)" */
static int connect_fail(struct vn_ctx *ctx, struct host_root *hr, int err,
			const char *what, const struct vn_nvme_target *t,
			const char *svc)
{
	const char *cause;
	char last[256];

	root_last_msg(hr, last, sizeof(last));
	cause = err == ENVME_CONNECT_WRITE ? auth_cause(last, t) : NULL;
	if (!cause)
		cause = connect_cause(err);
	return vn_fail(ctx, connect_errno(err), "%s %s:%s: %s%s%s%s%s%s", what,
		       t->traddr, svc,
		       err >= 1000 ? nvme_errno_to_string(err) : strerror(err),
		       cause ? " (" : "", cause ? cause : "", cause ? ")" : "",
		       last[0] ? "; libnvme: " : "", last);
}

/* ---- host identity ---- */

static int write_new_file(struct vn_ctx *ctx, const char *rel, const char *value)
{
	char path[VN_PATH_MAX];
	_cleanup_close_ int fd = -1;
	size_t len = strlen(value);
	int r = vn_path(ctx, path, sizeof(path), "%s", rel);

	if (r < 0)
		return vn_fail(ctx, r, "%s: path too long", rel);
	if (!vn_action(ctx, "write %s: %s", path, value))
		return 0;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, value, len) != (ssize_t)len || write(fd, "\n", 1) != 1)
		return vn_fail(ctx, -errno, "cannot write %s: %s", path, strerror(errno));
	return 0;
}

/* A random UUID (RFC 4122 version 4). */
static int random_uuid(char *buf, size_t len)
{
	unsigned char b[16];

	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		return -EIO;
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	vn_uuid_text(b, buf, len);
	return 0;
}

/*
 * The host ID that goes with a host NQN other than the saved one. Since
 * Linux 6.5 the host refuses one ID with two NQNs ("found same hostid but
 * different hostnqn"), so an NQN never borrows the saved ID: a
 * nqn...:uuid:UUID NQN takes its UUID, any other a name-based UUID
 * (RFC 4122 version 5) of the NQN, the same on every run.
 */
static void hostid_for(const char *hostnqn, char *buf, size_t len)
{
	/* vnvme's namespace for host IDs made from NQNs */
	static const unsigned char ns[16] = { 0x3b, 0x6e, 0x1a, 0x52, 0x9c, 0x07,
		0x4f, 0x2e, 0xa4, 0x61, 0x0d, 0x88, 0x5c, 0x93, 0xe2, 0x17 };
	const char *uuid = strstr(hostnqn, ":uuid:");
	unsigned char in[sizeof(ns) + VN_NQN_SIZE], md[EVP_MAX_MD_SIZE];
	size_t n = strnlen(hostnqn, VN_NQN_SIZE);
	unsigned int mdlen = 0;

	if (uuid && vn_uuid_valid(uuid + strlen(":uuid:"))) {
		vn_strlcpy(buf, uuid + strlen(":uuid:"), len);
		return;
	}
	memcpy(in, ns, sizeof(ns));
	memcpy(in + sizeof(ns), hostnqn, n);
	if (!EVP_Digest(in, sizeof(ns) + n, md, &mdlen, EVP_sha1(), NULL) || mdlen < 16)
		memset(md, 0, sizeof(md));	/* cannot happen; still a valid ID */
	md[6] = (unsigned char)((md[6] & 0x0f) | 0x50);
	md[8] = (unsigned char)((md[8] & 0x3f) | 0x80);
	vn_uuid_text(md, buf, len);
}

static int generate_identity(struct vn_ctx *ctx, struct vn_nvme_identity *id)
{
	char path[VN_PATH_MAX], *nqn = nvmf_hostnqn_generate();
	const char *uuid = nqn ? strstr(nqn, ":uuid:") : NULL;
	int r;

	/* libnvme: from the DMI product UUID, random when there is none */
	if (nqn && strlen(nqn) < sizeof(id->hostnqn))
		vn_strlcpy(id->hostnqn, nqn, sizeof(id->hostnqn));
	if (uuid)
		vn_strlcpy(id->hostid, uuid + strlen(":uuid:"), sizeof(id->hostid));
	free(nqn);
	if (!id->hostid[0] && random_uuid(id->hostid, sizeof(id->hostid)) < 0)
		return vn_fail(ctx, -EIO, "cannot generate a host ID");
	if (!id->hostnqn[0])
		snprintf(id->hostnqn, sizeof(id->hostnqn),
			 "nqn.2014-08.org.nvmexpress:uuid:%s", id->hostid);
	r = vn_path(ctx, path, sizeof(path), "/etc/nvme");
	if (r == 0 && !vn_exists(ctx, "/etc/nvme") &&
	    vn_action(ctx, "mkdir %s", path) && mkdir(path, 0755) < 0)
		return vn_fail(ctx, -errno, "cannot create %s: %s", path, strerror(errno));
	r = write_new_file(ctx, HOSTNQN_FILE, id->hostnqn);
	if (r == 0)
		r = write_new_file(ctx, HOSTID_FILE, id->hostid);
	id->created = r == 0;
	return r;
}

int vn_nvme_host_identity(struct vn_ctx *ctx, const char *hostnqn,
			  const char *hostid, struct vn_nvme_identity *ret)
{
	struct vn_nvme_identity id = { 0 };
	char saved[VN_NQN_SIZE] = "";
	int r;

	(void)vn_read_str(ctx, saved, sizeof(saved), HOSTNQN_FILE);
	if (hostnqn) {
		if (!hostnqn[0] || strlen(hostnqn) >= sizeof(id.hostnqn))
			return vn_invalid(ctx, "host NQN '%s' must be 1 to %d bytes",
					  hostnqn, VN_NQN_SIZE - 1);
		vn_strlcpy(id.hostnqn, hostnqn, sizeof(id.hostnqn));
	} else if (saved[0]) {
		vn_strlcpy(id.hostnqn, saved, sizeof(id.hostnqn));
	} else {
		r = generate_identity(ctx, &id);
		if (r < 0)
			return r;
	}
	if (hostid)
		vn_strlcpy(id.hostid, hostid, sizeof(id.hostid));
	/* the saved host ID belongs to the saved NQN only */
	else if (!id.hostid[0] && strcmp(id.hostnqn, saved) == 0)
		(void)vn_read_str(ctx, id.hostid, sizeof(id.hostid), HOSTID_FILE);
	if (!id.hostid[0])
		hostid_for(id.hostnqn, id.hostid, sizeof(id.hostid));
	*ret = id;
	return 0;
}

/* ---- discovery ---- */

static void fill_entry(struct vn_nvme_disc_entry *d, const struct nvmf_disc_log_entry *e)
{
	*d = (struct vn_nvme_disc_entry){ 0 };
	vn_strlcpy(d->trtype, nvmf_trtype_str(e->trtype), sizeof(d->trtype));
	vn_strlcpy(d->adrfam, nvmf_adrfam_str(e->adrfam), sizeof(d->adrfam));
	vn_strlcpy(d->subtype, nvmf_subtype_str(e->subtype), sizeof(d->subtype));
	vn_strlcpy(d->treq, nvmf_treq_str(e->treq), sizeof(d->treq));
	vn_strlcpy(d->eflags, nvmf_eflags_str(le16toh(e->eflags)), sizeof(d->eflags));
	vn_strlcpy(d->sectype, nvmf_sectype_str(e->tsas.tcp.sectype), sizeof(d->sectype));
	d->portid = le16toh(e->portid);
	d->cntlid = le16toh(e->cntlid);
	/* fixed-width, space-padded fields, not NUL-terminated when full */
	snprintf(d->trsvcid, sizeof(d->trsvcid), "%.*s", (int)sizeof(e->trsvcid),
		 e->trsvcid);
	snprintf(d->subnqn, sizeof(d->subnqn), "%.*s", (int)sizeof(e->subnqn), e->subnqn);
	snprintf(d->traddr, sizeof(d->traddr), "%.*s", (int)sizeof(e->traddr), e->traddr);
	for (char *s = d->trsvcid + strlen(d->trsvcid); s > d->trsvcid && s[-1] == ' ';)
		*--s = '\0';
	for (char *s = d->traddr + strlen(d->traddr); s > d->traddr && s[-1] == ' ';)
		*--s = '\0';
}

/* A decimal port 1..65535, digits only (no sign, no space). */
static bool valid_port(const char *s)
{
	unsigned long p;
	char *end;

	if (!s[0] || strspn(s, "0123456789") != strlen(s) || strlen(s) > 5)
		return false;
	p = strtoul(s, &end, 10);
	return p >= 1 && p <= 65535;
}

int vn_nvme_target_check(struct vn_ctx *ctx, const struct vn_nvme_target *t)
{
	unsigned char addr[sizeof(struct in6_addr)];

	if (!t->transport || strcmp(t->transport, "tcp") != 0)
		return vn_invalid(ctx, "transport '%s' is not supported: vnvme connects "
				  "over tcp", t->transport ? t->transport : "");
	if (!t->traddr || !t->traddr[0])
		return vn_invalid(ctx, "no target address given");
	/* the kernel's nvme-tcp takes numeric addresses only */
	if (inet_pton(AF_INET, t->traddr, addr) != 1 &&
	    inet_pton(AF_INET6, t->traddr, addr) != 1)
		return vn_invalid(ctx, "address '%s' is not an IPv4 or IPv6 address",
				  t->traddr);
	if (t->trsvcid && !valid_port(t->trsvcid))
		return vn_invalid(ctx, "port '%s' is not a number from 1 to 65535",
				  t->trsvcid);
	if (t->nqn && vn_nvmet_nqn_check(ctx, t->nqn) < 0)
		return -EINVAL;
	if (t->hostnqn && vn_nvmet_nqn_check(ctx, t->hostnqn) < 0)
		return -EINVAL;
	if (t->hostid && !vn_uuid_valid(t->hostid))
		return vn_invalid(ctx, "host ID '%s' is not a UUID "
				  "(xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)", t->hostid);
	if (t->dhchap_ctrl_secret && !t->dhchap_secret)
		return vn_invalid(ctx, "the controller's DH-HMAC-CHAP key goes with this "
				  "host's: the target checks the host first");
	if (t->dhchap_secret && vn_dhchap_check(ctx, t->dhchap_secret) < 0)
		return -EINVAL;
	if (t->dhchap_ctrl_secret && vn_dhchap_check(ctx, t->dhchap_ctrl_secret) < 0)
		return -EINVAL;
	if (t->tls_key && !t->tls)
		return vn_invalid(ctx, "a TLS key goes with TLS (--tls)");
	if (t->tls_key && vn_tls_key_check(ctx, t->tls_key) < 0)
		return -EINVAL;
	return 0;
}

int vn_nvme_host_auth(struct vn_ctx *ctx)
{
	static const char sym[] = " nvme_auth_negotiate";
	_cleanup_fclose_ FILE *f = NULL;
	char path[VN_PATH_MAX], *line = NULL;
	size_t cap = 0;
	int found = 0;

	if (!vn_exists(ctx, "/sys/module/nvme_core"))
		return -ENOENT;
	/* a modular nvme-auth (6.7+) is held by the nvme-core that uses it */
	if (vn_exists(ctx, "/sys/module/nvme_auth/holders/nvme_core"))
		return 1;
	if (vn_path(ctx, path, sizeof(path), "/proc/kallsyms") < 0)
		return -ENAMETOOLONG;
	f = fopen(path, "re");
	if (!f)
		return -errno;
	/* "ffffffffc0a1b2c0 T nvme_auth_negotiate\t[nvme_core]" */
	while (!found && getline(&line, &cap, f) > 0) {
		const char *p = strstr(line, sym);

		found = p && (p[sizeof(sym) - 1] == '\t' || p[sizeof(sym) - 1] == '\n');
	}
	free(line);
	return found;
}

static int check_target(struct vn_ctx *ctx, const struct vn_nvme_target *t)
{
	int r = vn_nvme_target_check(ctx, t);

	return r < 0 ? r : vn_kmod_load(ctx, "nvme-tcp");
}

static int read_log(struct vn_ctx *ctx, struct nvmf_discovery_log *log,
		    struct vn_nvme_disc_entry **ret_entries, uint64_t *ret_genctr)
{
	uint64_t n = le64toh(log->numrec);
	struct vn_nvme_disc_entry *e = calloc(n ? n : 1, sizeof(*e));

	if (!e)
		return vn_fail(ctx, -ENOMEM, "out of memory");
	for (uint64_t i = 0; i < n; i++)
		fill_entry(&e[i], &log->entries[i]);
	*ret_entries = e;
	if (ret_genctr)
		*ret_genctr = le64toh(log->genctr);
	return (int)n;
}

int vn_nvme_discover(struct vn_ctx *ctx, const struct vn_nvme_target *t,
		     struct vn_nvme_disc_entry **ret_entries, uint64_t *ret_genctr)
{
	const char *svc = t->trsvcid ? t->trsvcid : NVME_DISC_TCP_PORT;
	struct nvmf_discovery_log *log = NULL;
	struct nvme_fabrics_config cfg;
	struct vn_nvme_identity id;
	struct host_root hr;
	nvme_host_t h;
	nvme_ctrl_t c;
	int r;

	r = check_target(ctx, t);
	if (r == 0)
		r = vn_nvme_host_identity(ctx, t->hostnqn, t->hostid, &id);
	if (r < 0)
		return r;
	if (!vn_action(ctx, "discover %s %s:%s as %s (host ID %s)", t->transport,
		       t->traddr, svc, id.hostnqn, id.hostid)) {
		*ret_entries = NULL;
		return 0;
	}
	r = root_open(ctx, &hr, false);
	if (r < 0)
		return r;
	h = nvme_lookup_host(hr.r, id.hostnqn, id.hostid[0] ? id.hostid : NULL);
	c = h ? nvme_create_ctrl(hr.r, VN_NQN_DISCOVERY, t->transport, t->traddr,
				 NULL, NULL, svc) : NULL;
	if (!c) {
		r = vn_fail(ctx, -ENOMEM, "libnvme: cannot create a controller");
		goto out_close_root;
	}
	nvme_ctrl_set_discovery_ctrl(c, true);
	nvmf_default_config(&cfg);
	cfg.keep_alive_tmo = 0;	/* a one-shot discovery: no keep-alive */
	if (nvmf_add_ctrl(h, c, &cfg) < 0) {
		r = connect_fail(ctx, &hr, errno, "cannot reach the discovery service at",
				 t, svc);
		nvme_free_ctrl(c);
		goto out_close_root;
	}
	if (nvmf_get_discovery_log(c, &log, DISC_RETRIES) < 0) {
		r = vn_fail(ctx, -errno, "cannot read the discovery log of %s:%s: %s",
			    t->traddr, svc, strerror(errno));
	} else {
		r = read_log(ctx, log, ret_entries, ret_genctr);
		free(log);
	}
	(void)nvme_disconnect_ctrl(c);
	nvme_free_ctrl(c);
out_close_root:
	root_close(&hr);
	return r;
}

/* ---- connect ---- */

/* Is @name a namespace block device ("nvme1n1"), not a path ("nvme1c1n1")? */
static bool ns_name(const char *name)
{
	unsigned int a, b;
	int n = 0;

	return sscanf(name, "nvme%un%u%n", &a, &b, &n) == 2 && name[n] == '\0';
}

/* The lowest-numbered namespace device in a sysfs directory, if any. */
static bool first_ns_in(const struct vn_ctx *ctx, const char *rel, char *dev, size_t len)
{
	char path[VN_PATH_MAX];
	struct dirent *de;
	bool found = false;
	DIR *dir;

	if (vn_path(ctx, path, sizeof(path), "%s", rel) < 0)
		return false;
	dir = opendir(path);
	if (!dir)
		return false;
	while ((de = readdir(dir))) {
		if (!ns_name(de->d_name) || !vn_exists(ctx, "/dev/%s", de->d_name))
			continue;
		if (!found || strverscmp(de->d_name, dev) < 0)
			vn_strlcpy(dev, de->d_name, len);
		found = true;
	}
	closedir(dir);
	return found;
}

/*
 * The block device of @ctrl's first namespace: with native multipath the
 * head disk nvme<S>n<H> sits in the subsystem's directory beside the
 * controller, else it is nvme<C>n<H> under the controller.
 */
static bool find_ns_dev(const struct vn_ctx *ctx, const char *ctrl, char *dev, size_t len)
{
	char path[VN_PATH_MAX], rel[VN_PATH_MAX];
	struct dirent *de;
	bool found = false;
	DIR *dir;

	snprintf(rel, sizeof(rel), "/sys/class/nvme/%s", ctrl);
	if (first_ns_in(ctx, rel, dev, len))
		return true;
	if (vn_path(ctx, path, sizeof(path), "/sys/class/nvme-subsystem") < 0)
		return false;
	dir = opendir(path);
	if (!dir)
		return false;
	while (!found && (de = readdir(dir))) {
		if (de->d_name[0] == '.' ||
		    !vn_exists(ctx, "/sys/class/nvme-subsystem/%s/%s", de->d_name, ctrl))
			continue;
		snprintf(rel, sizeof(rel), "/sys/class/nvme-subsystem/%s", de->d_name);
		found = first_ns_in(ctx, rel, dev, len);
	}
	closedir(dir);
	return found;
}

static void wait_ns_dev(const struct vn_ctx *ctx, const char *ctrl, char *dev,
			size_t len)
{
	for (unsigned int waited = 0; waited <= NS_WAIT_MS; waited += NS_POLL_MS) {
		if (find_ns_dev(ctx, ctrl, dev, len))
			return;
		vn_msleep(NS_POLL_MS);
	}
	dev[0] = '\0';
}

/* libnvme's defaults (nvme-cli's), with what the caller set. */
static void connect_config(const struct vn_nvme_target *t,
			   struct nvme_fabrics_config *cfg)
{
	nvmf_default_config(cfg);
	if (t->set & VN_NVME_SET_CTRL_LOSS_TMO)
		cfg->ctrl_loss_tmo = t->ctrl_loss_tmo;
	if (t->set & VN_NVME_SET_RECONNECT_DELAY)
		cfg->reconnect_delay = t->reconnect_delay;
	if (t->set & VN_NVME_SET_KEEP_ALIVE_TMO)
		cfg->keep_alive_tmo = t->keep_alive_tmo;
	if (t->set & VN_NVME_SET_NR_IO_QUEUES)
		cfg->nr_io_queues = t->nr_io_queues;
}

/*
 * A host without DH-HMAC-CHAP would still pass the key to the kernel, which
 * parses it and, unless the target asks, connects without it: refuse.
 */
static int need_host_auth(struct vn_ctx *ctx)
{
	int r = vn_nvme_host_auth(ctx);

	if (r == 0)
		return vn_nosupport(ctx, -EOPNOTSUPP, "this kernel's NVMe host has no "
				    "in-band authentication (CONFIG_NVME_HOST_AUTH is not "
				    "set; CONFIG_NVME_AUTH before Linux 6.7): it cannot "
				    "prove a DH-HMAC-CHAP key");
	if (r < 0 && !vn_ctx_dry_run(ctx))
		return vn_fail(ctx, r, "cannot tell whether this kernel's NVMe host can "
			       "authenticate (nvme-core: %s)", strerror(-r));
	return 0;
}

/* ---- TLS: libnvme 1.3 has none, so vnvme writes the connect itself ---- */

/*
 * The kernel's TLS pieces for this host: the .nvme keyring (nvme-tcp is
 * loaded: check_target), tlshd, and the PSK for this host and subsystem,
 * put there from @t->tls_key or found there. Return: the serial of a key
 * this call added (to take out again if the connect fails), 0 if none was
 * added, or a negative errno.
 */
static int tls_prepare(struct vn_ctx *ctx, const struct vn_nvme_target *t,
		       const char *hostnqn, char *identity, size_t len)
{
	int r = vn_tls_keyring(ctx);

	if (r < 0 && !vn_ctx_dry_run(ctx))
		return r;
	vn_ctx_clear_error(ctx);
	if (!vn_tls_daemon_running(ctx) && !vn_ctx_dry_run(ctx))
		return vn_nosupport(ctx, -ENOTCONN, "tlshd is not running: the kernel hands "
				    "the TLS handshake to it (ktls-utils; systemctl start "
				    "tlshd)");
	if (t->tls_key)
		return vn_tls_psk_insert(ctx, t->tls_key, hostnqn, t->nqn, identity, len);
	if (vn_tls_psk_find(ctx, hostnqn, t->nqn, identity, len) > 0 || vn_ctx_dry_run(ctx))
		return 0;
	return vn_fail(ctx, -ENOKEY, "no TLS pre-shared key for host %s and subsystem %s "
		       "in the .nvme keyring: give it (--tls-key)", hostnqn, t->nqn);
}

/* ",name=value" onto @buf; false when it does not fit. */
static bool opt_add(char *buf, size_t len, const char *name, const char *fmt, ...)
	VN_PRINTF(4, 5);
static bool opt_add(char *buf, size_t len, const char *name, const char *fmt, ...)
{
	size_t n = strlen(buf);
	va_list ap;
	int k;

	k = snprintf(buf + n, len - n, ",%s=", name);
	if (k < 0 || (size_t)k >= len - n)
		return false;
	n += (size_t)k;
	va_start(ap, fmt);
	k = vsnprintf(buf + n, len - n, fmt, ap);
	va_end(ap);
	return k >= 0 && (size_t)k < len - n;
}

/*
 * What libnvme's nvmf_add_ctrl writes, with "tls": the kernel looks up the
 * PSK for hostnqn and nqn in .nvme itself (nvme_tls_psk_default). hostid
 * must come with hostnqn. The answer is "instance=N,cntlid=M".
 */
static int fabrics_connect(struct vn_ctx *ctx, const struct vn_nvme_target *t,
			   const struct vn_nvme_identity *id, const char *svc, char *ctrl,
			   size_t len)
{
	char opts[2048] = "", reply[128] = "", path[VN_PATH_MAX];
	int fd, n, instance = -1, ok;

	ok = snprintf(opts, sizeof(opts), "nqn=%s,transport=%s,traddr=%s,trsvcid=%s",
		      t->nqn, t->transport, t->traddr, svc) < (int)sizeof(opts) &&
	     opt_add(opts, sizeof(opts), "hostnqn", "%s", id->hostnqn) &&
	     (!id->hostid[0] || opt_add(opts, sizeof(opts), "hostid", "%s", id->hostid)) &&
	     (!(t->set & VN_NVME_SET_CTRL_LOSS_TMO) ||
	      opt_add(opts, sizeof(opts), "ctrl_loss_tmo", "%d", t->ctrl_loss_tmo)) &&
	     (!(t->set & VN_NVME_SET_RECONNECT_DELAY) ||
	      opt_add(opts, sizeof(opts), "reconnect_delay", "%d", t->reconnect_delay)) &&
	     (!(t->set & VN_NVME_SET_KEEP_ALIVE_TMO) ||
	      opt_add(opts, sizeof(opts), "keep_alive_tmo", "%d", t->keep_alive_tmo)) &&
	     (!(t->set & VN_NVME_SET_NR_IO_QUEUES) ||
	      opt_add(opts, sizeof(opts), "nr_io_queues", "%d", t->nr_io_queues)) &&
	     (!t->dhchap_secret ||
	      opt_add(opts, sizeof(opts), "dhchap_secret", "%s", t->dhchap_secret)) &&
	     (!t->dhchap_ctrl_secret ||
	      opt_add(opts, sizeof(opts), "dhchap_ctrl_secret", "%s", t->dhchap_ctrl_secret));
	if (!ok || strlen(opts) + 5 >= sizeof(opts))
		return vn_invalid(ctx, "connect options too long");
	strcat(opts, ",tls");
	if (vn_path(ctx, path, sizeof(path), "/dev/nvme-fabrics") < 0)
		return vn_fail(ctx, -ENAMETOOLONG, "path too long");
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return vn_fail(ctx, -errno, "cannot open /dev/nvme-fabrics: %s", strerror(errno));
	if (write(fd, opts, strlen(opts)) < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	n = (int)read(fd, reply, sizeof(reply) - 1);
	close(fd);
	if (n <= 0 || sscanf(reply, "instance=%d", &instance) != 1 || instance < 0)
		return vn_fail(ctx, -EIO, "/dev/nvme-fabrics gave no controller instance");
	snprintf(ctrl, len, "nvme%d", instance);
	return 0;
}

static const char *tls_cause(int err)
{
	switch (err) {
	case ENOKEY:
		return "the kernel found no TLS pre-shared key for this host and subsystem";
	case ECONNREFUSED:
		return "nothing listens there";
	case ECONNRESET:
	case EIO:
	case EKEYREJECTED:
		return "the TLS handshake failed: the target does not have this PSK, or "
		       "does not speak TLS on this port";
	case EALREADY:
		return "this host is already connected to it";
	default:
		return NULL;
	}
}

static int tls_connect(struct vn_ctx *ctx, const struct vn_nvme_target *t,
		       const struct vn_nvme_identity *id, const char *svc,
		       int32_t added, struct vn_nvme_connected *res)
{
	int r = fabrics_connect(ctx, t, id, svc, res->ctrl, sizeof(res->ctrl));
	const char *cause = tls_cause(-r);

	if (r < 0 && vn_ctx_error(ctx)[0] == '\0')
		vn_fail(ctx, r, "cannot connect to %s at %s:%s over TLS: %s%s%s%s", t->nqn,
			t->traddr, svc, strerror(-r), cause ? " (" : "", cause ? cause : "",
			cause ? ")" : "");
	if (r < 0 && added > 0) {	/* nothing left of a failed connect */
		struct vn_err_saved e;

		vn_err_save(ctx, &e);
		vn_err_restore(ctx, &e, vn_tls_psk_remove(ctx, added), "the TLS key added");
	}
	return r;
}

int vn_nvme_connect(struct vn_ctx *ctx, const struct vn_nvme_target *t,
		    struct vn_nvme_connected *ret)
{
	const char *svc = t->trsvcid ? t->trsvcid : VN_STRINGIFY(VN_NVME_TCP_PORT);
	struct vn_nvme_connected res = { 0 };
	struct nvme_fabrics_config cfg;
	struct vn_nvme_identity id;
	struct host_root hr;
	int32_t added = 0;
	nvme_host_t h;
	nvme_ctrl_t c;
	int r;

	if (!t->nqn || !t->nqn[0])
		return vn_invalid(ctx, "no subsystem NQN given");
	r = check_target(ctx, t);
	if (r == 0 && t->dhchap_secret)
		r = need_host_auth(ctx);
	if (r == 0)
		r = vn_nvme_host_identity(ctx, t->hostnqn, t->hostid, &id);
	if (r == 0 && t->tls)
		r = added = tls_prepare(ctx, t, id.hostnqn, res.tls_identity,
					sizeof(res.tls_identity));
	if (r < 0)
		return r;
	if (!vn_action(ctx, "connect %s %s:%s subsystem %s as %s (host ID %s%s%s)",
		       t->transport, t->traddr, svc, t->nqn, id.hostnqn, id.hostid,
		       !t->dhchap_secret ? "" : t->dhchap_ctrl_secret ?
		       ", DH-HMAC-CHAP both ways" : ", DH-HMAC-CHAP", t->tls ? ", TLS" : "")) {
		*ret = res;
		return 0;
	}
	if (t->tls) {
		r = tls_connect(ctx, t, &id, svc, added, &res);
		if (r == 0)
			wait_ns_dev(ctx, res.ctrl, res.dev, sizeof(res.dev));
		if (r == 0)
			*ret = res;
		return r;
	}
	r = root_open(ctx, &hr, true);
	if (r < 0)
		return r;
	h = nvme_lookup_host(hr.r, id.hostnqn, id.hostid[0] ? id.hostid : NULL);
	c = h ? nvme_create_ctrl(hr.r, t->nqn, t->transport, t->traddr, NULL, NULL,
				 svc) : NULL;
	if (!c) {
		r = vn_fail(ctx, -ENOMEM, "libnvme: cannot create a controller");
		goto out_close_root;
	}
	/*
	 * libnvme 1.3 sends the host's key before the controller's own, and a
	 * scan gives the host the key of any controller it already has: set
	 * both, so exactly what the caller gave (or nothing) is sent.
	 */
	nvme_host_set_dhchap_key(h, t->dhchap_secret);
	nvme_ctrl_set_dhchap_host_key(c, t->dhchap_secret);
	nvme_ctrl_set_dhchap_key(c, t->dhchap_ctrl_secret);
	connect_config(t, &cfg);
	if (nvmf_add_ctrl(h, c, &cfg) < 0) {
		char what[VN_NQN_SIZE + 32];

		snprintf(what, sizeof(what), "cannot connect to %s at", t->nqn);
		r = connect_fail(ctx, &hr, errno, what, t, svc);
		nvme_free_ctrl(c);
		goto out_close_root;
	}
	vn_strlcpy(res.ctrl, nvme_ctrl_get_name(c), sizeof(res.ctrl));
	wait_ns_dev(ctx, res.ctrl, res.dev, sizeof(res.dev));
	*ret = res;
out_close_root:
	root_close(&hr);
	return r;
}

bool vn_nvme_ctrl_tls(struct vn_ctx *ctx, const char *ctrl)
{
	char key[32];

	/* the PSK's serial, 8 hex digits, only on a controller that uses TLS */
	return vn_read_str(ctx, key, sizeof(key), "/sys/class/nvme/%s/tls_key", ctrl) > 0 &&
	       strcmp(key, "0") != 0 && strcmp(key, "00000000") != 0;
}

/* sysfs says "none" for a key not given; older kernels have no file. */
static void ctrl_key(struct vn_ctx *ctx, const char *ctrl, const char *attr, char *buf,
		     size_t len)
{
	if (vn_read_str(ctx, buf, len, "/sys/class/nvme/%s/%s", ctrl, attr) < 0 ||
	    strncmp(buf, "DHHC-1:", 7) != 0)
		buf[0] = '\0';
}

void vn_nvme_ctrl_keys(struct vn_ctx *ctx, const char *ctrl, char *secret, size_t len,
		       char *ctrl_secret, size_t ctrl_len)
{
	ctrl_key(ctx, ctrl, "dhchap_secret", secret, len);
	ctrl_key(ctx, ctrl, "dhchap_ctrl_secret", ctrl_secret, ctrl_len);
}

/* ---- list ---- */

struct ns_list {
	struct vn_nvme_nsinfo *v;
	size_t n, cap;
};

static int add_ns(struct ns_list *l, nvme_subsystem_t s, nvme_ctrl_t c, nvme_ns_t ns)
{
	struct vn_nvme_nsinfo *i;
	const char *g;

	for (size_t k = 0; k < l->n; k++)
		if (strcmp(l->v[k].dev, nvme_ns_get_name(ns)) == 0)
			return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		struct vn_nvme_nsinfo *nv = realloc(l->v, cap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		l->v = nv;
		l->cap = cap;
	}
	i = &l->v[l->n++];
	*i = (struct vn_nvme_nsinfo){ 0 };
	vn_strlcpy(i->dev, nvme_ns_get_name(ns), sizeof(i->dev));
	g = nvme_ns_get_generic_name(ns);
	vn_strlcpy(i->generic, g ? g : "", sizeof(i->generic));
	vn_strlcpy(i->subsysnqn, nvme_subsystem_get_nqn(s) ? nvme_subsystem_get_nqn(s) : "",
		   sizeof(i->subsysnqn));
	vn_strlcpy(i->model, nvme_ns_get_model(ns) ? nvme_ns_get_model(ns) : "",
		   sizeof(i->model));
	vn_strlcpy(i->serial, nvme_ns_get_serial(ns) ? nvme_ns_get_serial(ns) : "",
		   sizeof(i->serial));
	vn_strlcpy(i->firmware, nvme_ns_get_firmware(ns) ? nvme_ns_get_firmware(ns) : "",
		   sizeof(i->firmware));
	i->nsid = (uint32_t)nvme_ns_get_nsid(ns);
	i->lba_size = (unsigned int)nvme_ns_get_lba_size(ns);
	i->lba_count = nvme_ns_get_lba_count(ns);
	i->size_bytes = i->lba_count * i->lba_size;
	if (c) {
		const char *v;

		vn_strlcpy(i->ctrl, nvme_ctrl_get_name(c), sizeof(i->ctrl));
		v = nvme_ctrl_get_transport(c);
		vn_strlcpy(i->transport, v ? v : "", sizeof(i->transport));
		v = nvme_ctrl_get_traddr(c);
		vn_strlcpy(i->traddr, v ? v : "", sizeof(i->traddr));
		v = nvme_ctrl_get_trsvcid(c);
		vn_strlcpy(i->trsvcid, v ? v : "", sizeof(i->trsvcid));
	}
	return 0;
}

static int cmp_nsinfo(const void *a, const void *b)
{
	return strverscmp(((const struct vn_nvme_nsinfo *)a)->dev,
			  ((const struct vn_nvme_nsinfo *)b)->dev);
}

int vn_nvme_list(struct vn_ctx *ctx, struct vn_nvme_nsinfo **ret)
{
	struct ns_list l = { 0 };
	struct host_root hr;
	nvme_subsystem_t s;
	nvme_host_t h;
	nvme_ctrl_t c;
	nvme_ns_t ns;
	int r;

	r = root_open(ctx, &hr, true);
	if (r < 0)
		return r;
	for (h = nvme_first_host(hr.r); h; h = nvme_next_host(hr.r, h)) {
		for (s = nvme_first_subsystem(h); s; s = nvme_next_subsystem(h, s)) {
			nvme_ctrl_t first = nvme_subsystem_first_ctrl(s);

			for (ns = nvme_subsystem_first_ns(s); ns; ns = nvme_subsystem_next_ns(s, ns))
				if (r == 0)
					r = add_ns(&l, s, first, ns);
			for (c = nvme_subsystem_first_ctrl(s); c; c = nvme_subsystem_next_ctrl(s, c))
				for (ns = nvme_ctrl_first_ns(c); ns; ns = nvme_ctrl_next_ns(c, ns))
					if (r == 0)
						r = add_ns(&l, s, c, ns);
		}
	}
	root_close(&hr);
	if (r < 0) {
		free(l.v);
		return vn_fail(ctx, r, "out of memory");
	}
	if (l.n)
		qsort(l.v, l.n, sizeof(*l.v), cmp_nsinfo);
	*ret = l.v;
	return (int)l.n;
}

/* ---- disconnect ---- */

/* "/dev/nvme1n1", "nvme1n1", "nvme1": a device, not an NQN ("nvmet-test"). */
static bool is_device_name(const char *what)
{
	const char *name = vn_basename(what);
	unsigned int a, b;
	int n = 0;

	if (strncmp(what, "/dev/", 5) == 0)
		return true;
	if (sscanf(name, "nvme%u%n", &a, &n) == 1 && name[n] == '\0')
		return true;
	return ns_name(name) || (sscanf(name, "nvme%uc%un%u%n", &a, &b, &a, &n) == 3 &&
				 name[n] == '\0');
}

/* Does @what name @s: its NQN, one of its namespaces, or a controller? */
static bool subsys_matches(nvme_subsystem_t s, const char *what)
{
	const char *name = vn_basename(what);
	nvme_ctrl_t c;
	nvme_ns_t ns;

	if (!is_device_name(what)) {
		const char *nqn = nvme_subsystem_get_nqn(s);

		return nqn && strcmp(nqn, what) == 0;
	}
	for (ns = nvme_subsystem_first_ns(s); ns; ns = nvme_subsystem_next_ns(s, ns))
		if (strcmp(nvme_ns_get_name(ns), name) == 0)
			return true;
	for (c = nvme_subsystem_first_ctrl(s); c; c = nvme_subsystem_next_ctrl(s, c)) {
		if (strcmp(nvme_ctrl_get_name(c), name) == 0)
			return true;
		for (ns = nvme_ctrl_first_ns(c); ns; ns = nvme_ctrl_next_ns(c, ns))
			if (strcmp(nvme_ns_get_name(ns), name) == 0)
				return true;
	}
	return false;
}

static int disconnect_subsys(struct vn_ctx *ctx, nvme_subsystem_t s, const char *what)
{
	nvme_ctrl_t c;
	int n = 0;

	for (c = nvme_subsystem_first_ctrl(s); c; c = nvme_subsystem_next_ctrl(s, c)) {
		const char *tr = nvme_ctrl_get_transport(c);

		if (tr && strcmp(tr, "pcie") == 0)
			return vn_refuse(ctx, -EPERM, false, "%s is a local PCIe NVMe "
					 "controller (%s), not a fabrics connection", what,
					 nvme_ctrl_get_name(c));
	}
	for (c = nvme_subsystem_first_ctrl(s); c; c = nvme_subsystem_next_ctrl(s, c)) {
		if (!vn_action(ctx, "disconnect %s (%s)", nvme_ctrl_get_name(c),
			       nvme_subsystem_get_nqn(s))) {
			n++;
			continue;
		}
		if (nvme_disconnect_ctrl(c) < 0)
			return vn_fail(ctx, -errno, "cannot disconnect %s: %s",
				       nvme_ctrl_get_name(c), strerror(errno));
		n++;
	}
	return n;
}

int vn_nvme_disconnect(struct vn_ctx *ctx, const char *what)
{
	struct host_root hr;
	nvme_subsystem_t s;
	nvme_host_t h;
	int r, n = 0;

	r = root_open(ctx, &hr, true);
	if (r < 0)
		return r;
	for (h = nvme_first_host(hr.r); h; h = nvme_next_host(hr.r, h)) {
		for (s = nvme_first_subsystem(h); s; s = nvme_next_subsystem(h, s)) {
			if (!subsys_matches(s, what))
				continue;
			r = disconnect_subsys(ctx, s, what);
			if (r < 0)
				goto out_close_root;
			n += r;
		}
	}
	r = n;
	if (n == 0)
		r = vn_invalid_errno(ctx, -ENOENT, "no NVMe-oF controller is connected to %s",
				     what);
out_close_root:
	root_close(&hr);
	return r;
}
