// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * vnvme export: the kernel NVMe target over TCP (nvmet, configfs).
 * create, delete, list, and save/restore/clear in nvmetcli's format.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"

enum {
	OPT_NQN = 'n',
	OPT_ADDR = 'a',
	OPT_PORT = 's',
	OPT_TRANSPORT = 't',
	OPT_FAMILY = VN_OPT_LONG,
	OPT_NSID,
	OPT_ALLOW_HOST,
	OPT_ALLOW_ANY,
	OPT_SERIAL,
	OPT_MODEL,
	OPT_DHCHAP_KEY,
	OPT_DHCHAP_CTRL_KEY,
	OPT_DHCHAP_HASH,
	OPT_DHCHAP_DHGROUP,
	OPT_SHOW_KEYS,
	OPT_TLS,
	OPT_TLS_KEY,
};

#define MAX_HOSTS 32

static const struct vn_opt create_opts[] = {
	{ "nqn", OPT_NQN, "NQN", "subsystem NQN (nqn.YYYY-MM.domain:name)", 0 },
	{ "addr", OPT_ADDR, "ADDR", "IPv4 or IPv6 address to listen on", 0 },
	{ "port", OPT_PORT, "PORT", "TCP port (default 4420)", 0 },
	{ "transport", OPT_TRANSPORT, "tcp", "transport (only tcp)", 0 },
	{ "family", OPT_FAMILY, "ipv4|ipv6", "address family (default: from ADDR)", 0 },
	{ "nsid", OPT_NSID, "N", "namespace id (default 1)", 0 },
	{ "allow-host", OPT_ALLOW_HOST, "HOSTNQN", "allow this host NQN (repeatable)",
	  VN_OPT_MULTI },
	{ "allow-any-host", OPT_ALLOW_ANY, NULL, "let every host connect (no access "
	  "control)", 0 },
	{ "serial", OPT_SERIAL, "S", "serial number hosts see (1-20 characters)", 0 },
	{ "model", OPT_MODEL, "M", "model hosts see (1-40 characters, default Linux)", 0 },
	{ "dhchap-key", OPT_DHCHAP_KEY, "KEY", "the allowed host must authenticate with "
	  "this DH-HMAC-CHAP key (vnvme gen-dhchap-key)", 0 },
	{ "dhchap-ctrl-key", OPT_DHCHAP_CTRL_KEY, "KEY", "and the target with this one "
	  "(bidirectional)", 0 },
	{ "dhchap-hash", OPT_DHCHAP_HASH, "sha256|sha384|sha512", "authentication hash "
	  "(default sha256)", 0 },
	{ "dhchap-dhgroup", OPT_DHCHAP_DHGROUP, "null|ffdhe2048|ffdhe3072|ffdhe4096|"
	  "ffdhe6144|ffdhe8192", "Diffie-Hellman group (default null: none)", 0 },
	{ "tls", OPT_TLS, NULL, "require TLS 1.3 on the port (NVMe/TCP with pre-shared "
	  "keys; tlshd must run)", 0 },
	{ "tls-key", OPT_TLS_KEY, "KEY", "the allowed host's TLS key (vnvme gen-tls-key): "
	  "its PSK for this subsystem goes into the .nvme keyring; implies --tls", 0 },
	{ NULL }
};

struct create_args {
	struct vn_nvmet_export e;
	const char *hosts[MAX_HOSTS];
	struct vn_nvmet_host_auth auth;
	const char *tls_key;
	int32_t tls_added;			/* the PSK this create put in .nvme */
	char tls_identity[VN_TLS_IDENTITY_SIZE];
};

static int auth_opt(struct create_args *a, int c, const char *arg);
static int auth_before_export(struct vn_cli *cli, struct create_args *a,
			      bool *created);
static bool auth_undo(struct vn_cli *cli, const struct create_args *a, bool created);
static int tls_check(struct vn_cli *cli, const struct create_args *a);
static int tls_before_export(struct vn_cli *cli, struct create_args *a);
static bool tls_undo(struct vn_cli *cli, const struct create_args *a);

static int parse_uint(const struct vn_cli *cli, const char *opt, const char *s,
		      unsigned long min, unsigned long max, unsigned long *ret)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < min || v > max)
		return vn_usage_error(cli, "--%s: '%s' is not a number from %lu to %lu",
				      opt, s, min, max);
	*ret = v;
	return 0;
}

static int create_opt(struct vn_cli *cli, struct create_args *a, int c, const char *arg)
{
	struct vn_nvmet_export *e = &a->e;
	unsigned long v;

	switch (c) {
	case OPT_NQN:
		e->nqn = arg;
		return 0;
	case OPT_ADDR:
		e->addr = arg;
		return 0;
	case OPT_PORT:
		if (parse_uint(cli, "port", arg, 1, 65535, &v))
			return VN_EXIT_USAGE;
		e->port = (uint16_t)v;
		return 0;
	case OPT_TRANSPORT:
		e->transport = arg;
		return 0;
	case OPT_FAMILY:
		e->family = arg;
		return 0;
	case OPT_NSID:
		/* 0xffffffff is the broadcast NSID */
		if (parse_uint(cli, "nsid", arg, 1, 0xfffffffeUL, &v))
			return VN_EXIT_USAGE;
		e->nsid = (uint32_t)v;
		return 0;
	case OPT_ALLOW_HOST:
		if (e->nhosts >= MAX_HOSTS)
			return vn_usage_error(cli, "at most %d --allow-host", MAX_HOSTS);
		a->hosts[e->nhosts++] = arg;
		return 0;
	case OPT_ALLOW_ANY:
		e->allow_any_host = true;
		return 0;
	case OPT_SERIAL:
		e->serial = arg;
		return 0;
	case OPT_MODEL:
		e->model = arg;
		return 0;
	case OPT_TLS_KEY:
		a->tls_key = arg;
		/* fall through */
	case OPT_TLS:
		e->tls = true;
		return 0;
	default:
		return auth_opt(a, c, arg);
	}
}

static int print_created(const struct vn_cli *cli, const struct vn_nvmet_export *e,
			 const struct vn_nvmet_created *res, const char *tls_identity)
{
	unsigned int port = e->port ? e->port : VN_NVME_TCP_PORT;
	json_t *hosts = json_array();

	for (size_t i = 0; i < e->nhosts; i++)
		json_array_append_new(hosts, json_string(e->hosts[i]));
	if (cli->json)
		return vn_output_json(json_pack("{s:b, s:s, s:s, s:I, s:s, s:s, s:s, s:I,"
			" s:I, s:b, s:o, s:b, s:o, s:o, s:b, s:o}",
			"dry_run", cli->dry_run, "nqn", e->nqn, "device", e->device,
			"nsid", (json_int_t)(e->nsid ? e->nsid : 1), "transport", "tcp",
			"family", res->family, "addr", e->addr, "port", (json_int_t)port,
			"portid", (json_int_t)res->portid, "port_reused", res->port_reused,
			"allowed_hosts", hosts, "allow_any_host", e->allow_any_host,
			"serial", vn_json_str(res->serial), "model", vn_json_str(res->model),
			"tls", e->tls, "tls_identity", vn_json_str(tls_identity)));
	json_decref(hosts);
	if (cli->dry_run)
		return VN_EXIT_OK;
	vn_info(cli, "exported %s as %s, namespace %u, on tcp %s port %u (nvmet port %u%s)",
		e->device, e->nqn, e->nsid ? e->nsid : 1, e->addr, port, res->portid,
		res->port_reused ? ", shared" : "");
	if (e->allow_any_host)
		vn_info(cli, "any host may connect");
	for (size_t i = 0; i < e->nhosts; i++)
		vn_info(cli, "allowed host: %s", e->hosts[i]);
	if (tls_identity[0])
		vn_info(cli, "TLS pre-shared key: %s", tls_identity);
	vn_info(cli, "connect with: vnvme connect -t tcp -a %s -s %u -n %s%s", e->addr,
		port, e->nqn, e->tls ? " --tls" : "");
	return VN_EXIT_OK;
}

static int cmd_export_create(struct vn_cli *cli, int argc, char **argv)
{
	struct create_args a = { .e = { .nsid = 0 } };
	struct vn_nvmet_created res;
	struct vn_getopt g = { 0 };
	bool auth_created = false;
	int c, r;

	while ((c = vn_getopt(cli, &g, argc, argv)) != -1) {
		if (c == VN_GETOPT_STOP)
			return cli->exit;
		r = create_opt(cli, &a, c, g.arg);
		if (r)
			return r;
	}
	if (argc - g.optind != 1)
		return vn_usage_error(cli, "give exactly one DEVICE");
	if (!a.e.nqn)
		return vn_usage_error(cli, "--nqn is required");
	if (!a.e.addr)
		return vn_usage_error(cli, "--addr is required");
	a.e.device = argv[g.optind];
	a.e.hosts = a.hosts;
	if (vn_nvmet_nqn_check(cli->ctx, a.e.nqn) == 1)
		vn_warn(cli, "'%s' is not in the standard form nqn.YYYY-MM.reverse.domain:name "
			"(e.g. nqn.2014-08.org.example:%s)", a.e.nqn, a.e.nqn);
	vn_ctx_clear_error(cli->ctx);
	r = tls_check(cli, &a);
	if (r == VN_EXIT_OK)
		r = auth_before_export(cli, &a, &auth_created);
	if (r == VN_EXIT_OK)
		r = tls_before_export(cli, &a);
	if (r != VN_EXIT_OK) {
		if (!auth_undo(cli, &a, auth_created))
			return VN_EXIT_PARTIAL;
		return r;
	}
	r = vn_nvmet_export_create(cli->ctx, &a.e, &res);
	if (r < 0) {
		bool left = r == -ENOTRECOVERABLE;

		r = vn_report(cli);
		if (!auth_undo(cli, &a, auth_created) || !tls_undo(cli, &a))
			return VN_EXIT_PARTIAL;
		if (r != VN_EXIT_USAGE && !left)
			vn_err(cli, "nothing was created");
		return r;
	}
	if (a.e.tls && !cli->dry_run && !vn_tls_daemon_running(cli->ctx))
		vn_warn(cli, "tlshd is not running: the kernel hands every TLS handshake to "
			"it (ktls-utils), so no host can connect until it runs");
	for (size_t i = 0; a.e.tls && !a.tls_key && !cli->dry_run && i < a.e.nhosts; i++)
		if (vn_tls_psk_find(cli->ctx, a.e.hosts[i], a.e.nqn, NULL, 0) <= 0)
			vn_warn(cli, "no TLS key for host %s in the .nvme keyring: it cannot "
				"connect until one is there (--tls-key)", a.e.hosts[i]);
	/* safe by default where the kernel can do better than a name check */
	if (!a.auth.key && a.e.nhosts && !cli->dry_run &&
	    vn_nvmet_host_can_auth(cli->ctx, a.e.hosts[0]) == 1)
		vn_warn(cli, "the allow-list alone is not authentication: a host NQN is a "
			"name any host can send; this kernel can make the host prove a key "
			"(--dhchap-key, from vnvme gen-dhchap-key)");
	return print_created(cli, &a.e, &res, a.tls_identity);
}

/* ---- list ---- */

static const struct vn_col export_cols[] = {
	{ "nqn", "NQN", VN_COL_STR },
	{ "devices", "DEVICE", VN_COL_LIST },
	{ "listen", "LISTEN", VN_COL_LIST },
	{ "hosts", "HOSTS", VN_COL_LIST },
	{ "dhchap", "DHCHAP", VN_COL_STR },
	{ "connections", "CONNECTIONS", VN_COL_INT },
	{ NULL }
};

static const char *attr(const struct vn_nvmet_attr *a, unsigned int n, const char *name)
{
	const char *v = vn_nvmet_attr_get(a, n, name);

	return v ? v : "";
}

static json_t *ports_of(const struct vn_nvmet_config *cfg, const char *nqn,
			json_int_t *conns, json_t *listen)
{
	json_t *arr = json_array();

	for (unsigned int i = 0; i < cfg->nports; i++) {
		const struct vn_nvmet_port *p = &cfg->ports[i];
		const char *svc = attr(p->attrs, p->nattrs, "addr_trsvcid");
		bool linked = false;
		char buf[320];

		for (unsigned int j = 0; j < p->nsubsys; j++)
			linked = linked || strcmp(p->subsys[j], nqn) == 0;
		if (!linked)
			continue;
		json_array_append_new(arr, json_pack("{s:I, s:s, s:s, s:s, s:I, s:I}",
			"portid", (json_int_t)p->portid,
			"transport", attr(p->attrs, p->nattrs, "addr_trtype"),
			"family", attr(p->attrs, p->nattrs, "addr_adrfam"),
			"addr", attr(p->attrs, p->nattrs, "addr_traddr"),
			"port", (json_int_t)strtol(svc, NULL, 10),
			"connections", (json_int_t)p->connections));
		*conns += p->connections;
		snprintf(buf, sizeof(buf), "%s:%s:%s", attr(p->attrs, p->nattrs, "addr_trtype"),
			 attr(p->attrs, p->nattrs, "addr_traddr"), svc);
		json_array_append_new(listen, json_string(buf));
	}
	return arr;
}

/* Does an allowed host of @s have to authenticate (a dhchap_key)? Never the key. */
static bool subsys_dhchap(const struct vn_nvmet_config *cfg, const struct vn_nvmet_subsys *s)
{
	for (unsigned int i = 0; cfg->host_attrs && i < cfg->nhosts; i++) {
		const struct vn_nvmet_host_attrs *h = &cfg->host_attrs[i];

		for (unsigned int j = 0; j < s->nhosts; j++)
			if (strcmp(s->hosts[j], cfg->hosts[i]) == 0 &&
			    attr(h->attrs, h->nattrs, "dhchap_key")[0])
				return true;
	}
	return false;
}

static json_t *subsys_row(const struct vn_nvmet_config *cfg, const struct vn_nvmet_subsys *s)
{
	json_t *nss = json_array(), *hosts = json_array(), *devs = json_array();
	json_t *listen = json_array(), *ports;
	bool any = strcmp(attr(s->attrs, s->nattrs, "attr_allow_any_host"), "1") == 0;
	json_int_t conns = 0;

	for (unsigned int i = 0; i < s->nns; i++) {
		const char *path = attr(s->ns[i].attrs, s->ns[i].nattrs, "device_path");

		json_array_append_new(nss, json_pack("{s:I, s:o, s:b, s:o}",
			"nsid", (json_int_t)s->ns[i].nsid, "device", vn_json_str(path),
			"enabled", s->ns[i].enabled,
			"uuid", vn_json_str(attr(s->ns[i].attrs, s->ns[i].nattrs, "device_uuid"))));
		json_array_append_new(devs, json_string(path));
	}
	for (unsigned int i = 0; i < s->nhosts; i++)
		json_array_append_new(hosts, json_string(s->hosts[i]));
	ports = ports_of(cfg, s->nqn, &conns, listen);
	/* kernel 6.1 shows no connected hosts: established TCP connections do */
	return json_pack("{s:s, s:o, s:o, s:o, s:b, s:o, s:o, s:I, s:o, s:o, s:b}",
		"nqn", s->nqn, "namespaces", nss, "ports", ports, "allowed_hosts", hosts,
		"allow_any_host", any, "serial", vn_json_str(attr(s->attrs, s->nattrs, "attr_serial")),
		"model", vn_json_str(attr(s->attrs, s->nattrs, "attr_model")),
		"connections", conns, "devices", devs, "listen", listen,
		"dhchap", subsys_dhchap(cfg, s));
}

static int cmd_export_list(struct vn_cli *cli, int argc, char **argv)
{
	struct vn_nvmet_config *cfg = NULL;
	json_t *rows;

	if (vn_getopt_args(cli, argc, argv, 0, 0, NULL) < 0)
		return cli->exit;
	if (vn_nvmet_read(cli->ctx, &cfg) < 0)
		return vn_report(cli);
	rows = json_array();
	for (unsigned int i = 0; i < cfg->nsubsys; i++) {
		json_t *row = subsys_row(cfg, &cfg->subsys[i]);

		if (!cli->json && json_is_true(json_object_get(row, "allow_any_host")))
			json_array_append_new(json_object_get(row, "hosts"), json_string("any"));
		else if (!cli->json)
			json_object_set(row, "hosts", json_object_get(row, "allowed_hosts"));
		if (!cli->json)
			json_object_set_new(row, "dhchap", json_string(json_is_true(
				json_object_get(row, "dhchap")) ? "yes" : "no"));
		if (cli->json) {
			json_object_del(row, "devices");
			json_object_del(row, "listen");
		}
		json_array_append_new(rows, row);
	}
	vn_nvmet_config_free(cfg);
	return vn_output(cli, json_pack("{s:o}", "exports", rows), "exports", export_cols);
}

/* ---- delete, save, restore, clear ---- */

/* The one positional argument: -1 with *ret set, else the exit code. */
static int one_arg(struct vn_cli *cli, int argc, char **argv, const char *what,
		   const char **ret)
{
	int first;

	first = vn_getopt_args(cli, argc, argv, 0, -1, NULL);
	if (first < 0)
		return cli->exit;
	if (argc - first != 1)
		return vn_usage_error(cli, "give exactly one %s", what);
	*ret = argv[first];
	return -1;
}

static int cmd_export_delete(struct vn_cli *cli, int argc, char **argv)
{
	const char *nqn;
	int r = one_arg(cli, argc, argv, "NQN", &nqn);

	if (r >= 0)
		return r;
	if (vn_nvmet_export_delete(cli->ctx, nqn, cli->force) < 0) {
		r = vn_report(cli);
		if (r == VN_EXIT_REFUSED)
			vn_err(cli, "nothing was removed");
		return r;
	}
	if (!cli->dry_run)
		vn_info(cli, "deleted export %s", nqn);
	return VN_EXIT_OK;
}

/* "export save -": the document on stdout, nothing else there. */
/* Does the running target hold a DH-HMAC-CHAP key? */
static bool holds_keys(struct vn_cli *cli)
{
	struct vn_nvmet_config *cfg = NULL;
	bool keys = false;

	if (vn_nvmet_read(cli->ctx, &cfg) < 0) {
		vn_ctx_clear_error(cli->ctx);
		return false;
	}
	for (unsigned int i = 0; cfg->host_attrs && i < cfg->nhosts; i++)
		keys = keys || attr(cfg->host_attrs[i].attrs, cfg->host_attrs[i].nattrs,
				    "dhchap_key")[0];
	vn_nvmet_config_free(cfg);
	return keys;
}

static int save_stdout(struct vn_cli *cli, bool show_keys)
{
	char *text = NULL;
	int r = VN_EXIT_OK;

	/* a secret goes to a terminal or a pipe only when asked */
	if (!show_keys && holds_keys(cli)) {
		vn_err(cli, "the target holds DH-HMAC-CHAP keys: save to a file (mode "
		       "0600), or give --show-keys to print them");
		return VN_EXIT_REFUSED;
	}
	if (vn_nvmet_dump(cli->ctx, &text) < 0)
		return vn_report(cli);
	if (fputs(text, stdout) == EOF || fflush(stdout) == EOF) {
		vn_err(cli, "cannot write to stdout: %s", strerror(errno));
		r = VN_EXIT_FAILED;
	}
	free(text);
	return r;
}

static const struct vn_opt save_opts[] = {
	{ "show-keys", OPT_SHOW_KEYS, NULL, "FILE '-': print the hosts' DH-HMAC-CHAP "
	  "keys too", 0 },
	{ NULL }
};

static int cmd_export_save(struct vn_cli *cli, int argc, char **argv)
{
	struct vn_getopt g = { 0 };
	const char *file = NULL;
	bool show_keys = false;
	int c;

	while ((c = vn_getopt(cli, &g, argc, argv)) != -1) {
		if (c == VN_GETOPT_STOP)
			return cli->exit;
		if (c == OPT_SHOW_KEYS)
			show_keys = true;
	}
	if (argc - g.optind != 1)
		return vn_usage_error(cli, "give exactly one FILE");
	file = argv[g.optind];
	if (strcmp(file, "-") == 0)
		return save_stdout(cli, show_keys);
	if (vn_nvmet_save(cli->ctx, file) < 0)
		return vn_report(cli);
	if (!cli->dry_run)
		vn_info(cli, "saved the target configuration to %s", file);
	return VN_EXIT_OK;
}

/*
 * Clearing or replacing the target drops every export, other people's too:
 * ask first when there is anything to drop.
 */
static bool confirm_drop(struct vn_cli *cli)
{
	struct vn_nvmet_config *cfg = NULL;
	bool yes;

	if (vn_nvmet_read(cli->ctx, &cfg) < 0 ||
	    (cfg->nsubsys == 0 && cfg->nports == 0 && cfg->nhosts == 0)) {
		vn_nvmet_config_free(cfg);
		vn_ctx_clear_error(cli->ctx);
		return true;
	}
	yes = vn_confirm(cli, "remove the running target configuration (%u "
			 "subsystem%s, %u port%s, %u host%s)", cfg->nsubsys,
			 cfg->nsubsys == 1 ? "" : "s", cfg->nports,
			 cfg->nports == 1 ? "" : "s", cfg->nhosts,
			 cfg->nhosts == 1 ? "" : "s");
	vn_nvmet_config_free(cfg);
	return yes;
}

static int cmd_export_restore(struct vn_cli *cli, int argc, char **argv)
{
	struct vn_nvmet_config *cfg = NULL;
	const char *file;
	int r = one_arg(cli, argc, argv, "FILE", &file);

	if (r >= 0)
		return r;
	/* a file that cannot be read or parsed changes nothing and asks nothing */
	if (vn_nvmet_load(cli->ctx, file, &cfg) < 0)
		return vn_report(cli);
	if (!confirm_drop(cli)) {
		vn_nvmet_config_free(cfg);
		return cli->exit;
	}
	r = vn_nvmet_replace(cli->ctx, cfg);
	vn_nvmet_config_free(cfg);
	/* the message says whether the running configuration was put back */
	if (r < 0)
		return vn_report(cli);
	if (!cli->dry_run)
		vn_info(cli, "restored the target configuration from %s", file);
	return VN_EXIT_OK;
}

static int cmd_export_clear(struct vn_cli *cli, int argc, char **argv)
{
	if (vn_getopt_args(cli, argc, argv, 0, 0, NULL) < 0)
		return cli->exit;
	if (!confirm_drop(cli))
		return cli->exit;
	if (vn_nvmet_clear(cli->ctx) < 0)
		return vn_report(cli);
	if (!cli->dry_run)
		vn_info(cli, "removed every port, subsystem and host");
	return VN_EXIT_OK;
}

static const struct vn_cmd export_create = {
	.name = "create",
	.fn = cmd_export_create,
	.usage = "--nqn NQN --addr ADDR [--port PORT] [--transport tcp] "
		 "[--family ipv4|ipv6] [--nsid N] [--allow-host HOSTNQN]... "
		 "[--allow-any-host] [--serial S] [--model M] [--dhchap-key KEY "
		 "[--dhchap-ctrl-key KEY] [--dhchap-hash HASH] [--dhchap-dhgroup GROUP]] "
		 "[--tls [--tls-key KEY]] DEVICE",
	.summary = "export a block device over NVMe/TCP",
	.description =
		"Loads nvmet and nvmet-tcp, mounts configfs if needed, and creates the\n"
		"subsystem NQN, namespace N (enabled) on DEVICE, a port on ADDR:PORT (or\n"
		"reuses one with the same address) and the links, in the order the kernel\n"
		"requires. The export is closed by default: only the --allow-host NQNs may\n"
		"connect. On Linux 6.1 the host NQN list is the only access control; a\n"
		"kernel with CONFIG_NVME_TARGET_AUTH (6.12) can make the host prove a\n"
		"DH-HMAC-CHAP key (the dhchap options), and create warns when none is\n"
		"given. --tls (kernels with CONFIG_NVME_TARGET_TCP_TLS) makes the port\n"
		"speak only TLS 1.3 with pre-shared keys; --tls-key puts the allowed\n"
		"host's key in the .nvme keyring. --allow-any-host opens the export to\n"
		"every host that can reach the port. A device that is in use or already\n"
		"exported is refused; a failure removes everything created.",
	.opts = create_opts,
	.flags = VN_CMD_ROOT | VN_CMD_JSON | VN_CMD_DRYRUN,
	.args = VN_ARGS_BLOCKDEV,
};

static const struct vn_cmd export_delete = {
	.name = "delete",
	.fn = cmd_export_delete,
	.usage = "[--force] NQN",
	.summary = "remove an export, keeping ports and hosts others still use",
	.description =
		"Unlinks the subsystem from its ports, disables and removes its\n"
		"namespaces and host links, removes it, then removes the ports and hosts\n"
		"no other subsystem uses. Refused while TCP connections to its ports are\n"
		"established (connected hosts), unless --force. All or nothing: a failure\n"
		"midway puts back what was removed.",
	.flags = VN_CMD_ROOT | VN_CMD_DRYRUN,
	.args = VN_ARGS_EXPORT,
};

static const struct vn_cmd export_list = {
	.name = "list",
	.fn = cmd_export_list,
	.usage = "[--json]",
	.summary = "list exports: namespaces, devices, ports, hosts, connections",
	.flags = VN_CMD_JSON,
	.args = VN_ARGS_NONE,
};

static const struct vn_cmd export_save = {
	.name = "save",
	.fn = cmd_export_save,
	.usage = "[--show-keys] FILE",
	.summary = "save the target configuration in nvmetcli's JSON format",
	.description =
		"Writes FILE through a new FILE.temp (mode 0600; a file or symlink\n"
		"already there is refused, never followed), fsync and rename. FILE '-'\n"
		"writes to stdout. A value JSON cannot hold (text that is not UTF-8)\n"
		"fails the save: nothing is left out. A host's DH-HMAC-CHAP keys are\n"
		"saved as \"dhchap\": {\"key\", \"ctrl_key\", \"hash\", \"dhgroup\"} beside\n"
		"its \"nqn\" (nvmetcli saves the NQN only, and restores such a file\n"
		"without the keys); to stdout only with --show-keys.",
	.opts = save_opts,
	.flags = VN_CMD_DRYRUN,
	.args = VN_ARGS_FILE,
};

static const struct vn_cmd export_restore = {
	.name = "restore",
	.fn = cmd_export_restore,
	.usage = "FILE",
	.summary = "replace the target configuration with a saved one",
	.description =
		"Reads FILE (written by vnvme export save or nvmetcli save) and checks\n"
		"all of it first: names, numbers, and that every allowed host and port\n"
		"subsystem is in the file. Then removes the running configuration as\n"
		"nvmetcli does and creates the saved one. All or nothing: unlike nvmetcli,\n"
		"a part the kernel refuses fails the restore, what it created is removed\n"
		"and the previous configuration is put back.",
	.flags = VN_CMD_ROOT | VN_CMD_DRYRUN,
	.args = VN_ARGS_FILE,
};

static const struct vn_cmd export_clear = {
	.name = "clear",
	.fn = cmd_export_clear,
	.usage = "",
	.summary = "remove every port, subsystem and host of the target",
	.description =
		"All or nothing: a failure midway puts back what was removed.",
	.flags = VN_CMD_ROOT | VN_CMD_DRYRUN,
	.args = VN_ARGS_NONE,
};

static const struct vn_cmd *const export_cmds[] = {
	&export_create,
	&export_delete,
	&export_list,
	&export_save,
	&export_restore,
	&export_clear,
	NULL
};

const struct vn_cmd vn_cmd_export = {
	.name = "export",
	.summary = "export a device with the kernel NVMe target over TCP",
	.subs = export_cmds,
};

/* ---- create: in-band authentication (DH-HMAC-CHAP) of the allowed host ---- */

static int auth_opt(struct create_args *a, int c, const char *arg)
{
	switch (c) {
	case OPT_DHCHAP_KEY:
		a->auth.key = arg;
		return 0;
	case OPT_DHCHAP_CTRL_KEY:
		a->auth.ctrl_key = arg;
		return 0;
	case OPT_DHCHAP_HASH:
		a->auth.hash = arg;
		return 0;
	case OPT_DHCHAP_DHGROUP:
		a->auth.dhgroup = arg;
		return 0;
	default:
		return VN_EXIT_USAGE;
	}
}

/*
 * The allowed host gets its keys before the export links it to the port, so
 * the target never admits it without authentication.
 */
static int auth_before_export(struct vn_cli *cli, struct create_args *a, bool *created)
{
	struct vn_nvmet_host_auth *au = &a->auth;

	if (!au->key) {
		if (au->ctrl_key || au->hash || au->dhgroup)
			return vn_usage_error(cli, "--dhchap-ctrl-key, --dhchap-hash and "
					      "--dhchap-dhgroup go with --dhchap-key");
		return VN_EXIT_OK;
	}
	if (a->e.nhosts != 1 || a->e.allow_any_host)
		return vn_usage_error(cli, "--dhchap-key is the key of one host: give "
				      "exactly one --allow-host (and not --allow-any-host)");
	au->hostnqn = a->e.hosts[0];
	if (vn_nvmet_host_auth(cli->ctx, au, created) < 0) {
		int r = vn_report(cli);

		if (r != VN_EXIT_USAGE)
			vn_err(cli, "nothing was created");
		return r;
	}
	return VN_EXIT_OK;
}

/* Return: false when the host could not be taken out again (it is said). */
static bool auth_undo(struct vn_cli *cli, const struct create_args *a, bool created)
{
	if (created && vn_nvmet_host_forget(cli->ctx, a->auth.hostnqn) < 0) {
		vn_err(cli, "not undone: host %s was left in the target: %s",
		       a->auth.hostnqn, vn_ctx_error(cli->ctx));
		return false;
	}
	return true;
}

/* ---- create: TLS on the port, the allowed host's pre-shared key ---- */

/* Every value checked before anything is done (as a dry run checks it). */
static int tls_check(struct vn_cli *cli, const struct create_args *a)
{
	if (!a->tls_key)
		return VN_EXIT_OK;
	if (a->e.nhosts != 1 || a->e.allow_any_host)
		return vn_usage_error(cli, "--tls-key is the key of one host: give exactly "
				      "one --allow-host (and not --allow-any-host)");
	if (vn_tls_key_check(cli->ctx, a->tls_key) < 0)
		return vn_report(cli);
	return VN_EXIT_OK;
}

/* The PSK is in the keyring before the port listens, as the host's keys. */
static int tls_before_export(struct vn_cli *cli, struct create_args *a)
{
	int r;

	if (!a->tls_key)
		return VN_EXIT_OK;
	r = vn_tls_psk_insert(cli->ctx, a->tls_key, a->e.hosts[0], a->e.nqn,
			      a->tls_identity, sizeof(a->tls_identity));
	if (r < 0) {
		r = vn_report(cli);
		vn_err(cli, "nothing was created");
		return r;
	}
	a->tls_added = r;
	return VN_EXIT_OK;
}

/* Return: false when the key could not be taken out again (it is said). */
static bool tls_undo(struct vn_cli *cli, const struct create_args *a)
{
	if (a->tls_added > 0 && vn_tls_psk_remove(cli->ctx, a->tls_added) < 0) {
		vn_err(cli, "not undone: TLS key %s was left in the .nvme keyring: %s",
		       a->tls_identity, vn_ctx_error(cli->ctx));
		return false;
	}
	return true;
}
