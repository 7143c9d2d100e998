// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * vnvme status: every layer of the running stack and its health (md arrays,
 * cache mappings, NVMe target exports, host controllers), with exit codes
 * for monitoring in the spirit of `mdadm --detail --test`. Also the one
 * place an array becomes JSON and a health becomes an exit code, which
 * `vnvme raid status` shares.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"

#define WATCH_INTERVAL_MS 1000

int vn_health_exit(enum vn_health h)
{
	switch (h) {
	case VN_HEALTH_OK:
		return VN_EXIT_OK;
	case VN_HEALTH_DEGRADED:
		return VN_EXIT_DEGRADED;
	case VN_HEALTH_MISSING:
		return VN_EXIT_MISSING;
	default:
		return VN_EXIT_BROKEN;
	}
}

/* The notes about @object from @n0 on, as [{"status","text"}]. */
static json_t *notes_json(const struct vn_health_report *rep, unsigned int n0,
			  const char *object)
{
	json_t *arr = json_array();

	for (unsigned int i = n0; i < rep->n; i++) {
		const struct vn_health_note *n = &rep->notes[i];

		if (object && strcmp(n->object, object) != 0)
			continue;
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s}",
			"layer", n->layer, "object", n->object,
			"status", vn_health_name(n->health), "text", n->text));
	}
	return arr;
}

/* ---- md arrays (shared with raid status) ---- */

static const char *member_role(const struct vn_md_member *m, char *buf, size_t len)
{
	if (m->journal)
		return "journal";
	if (m->faulty)
		return "faulty";
	if (m->slot >= 0) {
		snprintf(buf, len, "%s %d", m->replacement ? "replacing" : "active", m->slot);
		return buf;
	}
	return "spare";
}

static json_t *md_members_json(const struct vn_md_status *st, const char **ret_journal)
{
	json_t *members = json_array();

	*ret_journal = NULL;
	for (unsigned int i = 0; i < st->nmembers; i++) {
		const struct vn_md_member *m = &st->members[i];
		char role[32];

		if (m->journal)
			*ret_journal = m->name;
		json_array_append_new(members, json_pack(
			"{s:o, s:s, s:i, s:i, s:s, s:b, s:b, s:b, s:I}",
			"device", vn_json_dev(m->name), "role", member_role(m, role, sizeof(role)),
			"number", m->number, "slot", m->slot, "state", m->state,
			"journal", m->journal, "faulty", m->faulty, "spare", m->spare,
			"size_bytes", (json_int_t)m->size_bytes));
	}
	return members;
}

static json_t *md_sync_json(const struct vn_md_status *st)
{
	json_t *left = json_null();

	if (!st->syncing)
		return json_null();
	if (vn_md_sync_left(st) >= 0)
		left = json_integer((json_int_t)vn_md_sync_left(st));
	return json_pack("{s:s, s:f, s:I, s:I, s:I, s:o}",
		"action", st->sync_action[0] ? st->sync_action : "resync",
		"percent", st->sync_percent < 0 ? 0.0 : st->sync_percent,
		"done_bytes", (json_int_t)(st->sync_done_kib * 1024),
		"total_bytes", (json_int_t)(st->sync_total_kib * 1024),
		"speed_bytes_per_second", (json_int_t)(st->sync_speed_kib * 1024),
		"remaining_seconds", left);
}

json_t *vn_md_json(const struct vn_md_status *st, struct vn_health_report *rep)
{
	struct vn_health_report own = { .health = VN_HEALTH_OK };
	struct vn_health_report *r = rep ? rep : &own;
	unsigned int n0 = r->n;
	enum vn_health h = vn_health_md(st, r);
	const char *journal;
	json_t *members = md_members_json(st, &journal);

	return json_pack("{s:o, s:s, s:s, s:s, s:b, s:b, s:s, s:o, s:I, s:I, s:i, s:i, s:i,"
			 " s:b, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
		"array", vn_json_dev(st->name), "name", st->name, "level", st->level,
		"status", vn_health_name(h), "active", st->active, "readonly", st->readonly,
		"array_state", st->array_state, "uuid", vn_json_str(st->uuid),
		"size_bytes", (json_int_t)st->size_bytes,
		"component_bytes", (json_int_t)st->component_bytes,
		"chunk_bytes", (int)st->chunk_bytes, "raid_disks", (int)st->raid_disks,
		"degraded_count", (int)st->degraded, "degraded", st->degraded > 0,
		"health", st->health,
		"sync_action", st->sync_action[0] ? st->sync_action : "idle",
		"consistency_policy", vn_json_str(st->consistency_policy), "sync", md_sync_json(st),
		"journal_mode", vn_json_str(st->journal_mode),
		"journal_device", vn_json_dev(journal),
		"events", st->events ? json_integer((json_int_t)st->events) : json_null(),
		"members", members, "notes", notes_json(r, n0, NULL));
}

void vn_print_notes(json_t *notes, const char *indent)
{
	size_t i;
	json_t *n;

	json_array_foreach(notes, i, n) {
		const char *st = json_string_value(json_object_get(n, "status"));

		printf("%s%s%s%s\n", indent, strcmp(st, "ok") ? st : "",
		       strcmp(st, "ok") ? ": " : "",
		       json_string_value(json_object_get(n, "text")));
	}
}

/* ---- the other layers ---- */

static json_t *cache_json(struct vn_cli *cli, const struct vn_cache_info *c,
			  struct vn_health_report *rep)
{
	const struct vn_cache_stats *s = &c->stats;
	unsigned int n0 = rep->n;
	enum vn_health h = vn_health_cache(cli->ctx, c, rep);

	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:I, s:I, s:I, s:b,"
			 " s:I, s:I, s:I, s:I, s:I, s:o}",
		"name", c->name, "path", c->path, "status", vn_health_name(h),
		"engine", c->engine, "mode", vn_cache_mode_name(c->mode),
		"target", vn_json_dev(c->target), "cache_device", vn_json_dev(c->cache_dev),
		"metadata_device", vn_json_dev(c->meta_dev),
		"size_bytes", (json_int_t)c->size_bytes,
		"cache_bytes", (json_int_t)c->cache_bytes,
		"cache_used_bytes", (json_int_t)c->cache_used_bytes,
		"flush_passed", c->flush_passed,
		"open_count", (json_int_t)c->open_count,
		"read_hits", (json_int_t)s->read_hits, "read_misses", (json_int_t)s->read_misses,
		"write_hits", (json_int_t)s->write_hits,
		"write_misses", (json_int_t)s->write_misses, "notes", notes_json(rep, n0, NULL));
}

static const char *attr_or(const struct vn_nvmet_attr *a, unsigned int n, const char *name)
{
	const char *v = vn_nvmet_attr_get(a, n, name);

	return v ? v : "";
}

#define PEERS_MAX 32

/* The addresses connected to a port: what the 6.1 kernel shows of its hosts. */
static json_t *peers_json(struct vn_cli *cli, long port)
{
	char (*peers)[VN_PEER_MAX] = calloc(PEERS_MAX, VN_PEER_MAX);
	json_t *arr = json_array();
	int n;

	if (!peers)
		return arr;
	n = port > 0 ? vn_tcp_peers(cli->ctx, (unsigned int)port, peers, PEERS_MAX) : 0;
	for (int i = 0; i < n; i++)
		json_array_append_new(arr, json_string(peers[i]));
	free(peers);
	return arr;
}

static json_t *export_ports_json(struct vn_cli *cli, const struct vn_nvmet_config *cfg,
				 const char *nqn)
{
	json_t *arr = json_array();

	for (unsigned int i = 0; i < cfg->nports; i++) {
		const struct vn_nvmet_port *p = &cfg->ports[i];
		long port = strtol(attr_or(p->attrs, p->nattrs, "addr_trsvcid"), NULL, 10);

		for (unsigned int j = 0; j < p->nsubsys; j++) {
			if (strcmp(p->subsys[j], nqn) != 0)
				continue;
			json_array_append_new(arr, json_pack("{s:I, s:s, s:s, s:I, s:I, s:o}",
				"portid", (json_int_t)p->portid,
				"transport", attr_or(p->attrs, p->nattrs, "addr_trtype"),
				"address", attr_or(p->attrs, p->nattrs, "addr_traddr"),
				"port", (json_int_t)port,
				"connections", (json_int_t)p->connections,
				"peers", p->connections ? peers_json(cli, port) : json_array()));
		}
	}
	return arr;
}

static json_t *export_json(struct vn_cli *cli, const struct vn_nvmet_config *cfg,
			   const struct vn_nvmet_subsys *s, struct vn_health_report *rep)
{
	unsigned int n0 = rep->n;
	enum vn_health h = vn_health_export(cli->ctx, cfg, s, rep);
	json_t *nss = json_array(), *hosts = json_array();

	for (unsigned int i = 0; i < s->nns; i++)
		json_array_append_new(nss, json_pack("{s:I, s:o, s:b}",
			"nsid", (json_int_t)s->ns[i].nsid,
			"device", vn_json_str(vn_nvmet_attr_get(s->ns[i].attrs, s->ns[i].nattrs,
								"device_path")),
			"enabled", s->ns[i].enabled));
	for (unsigned int i = 0; i < s->nhosts; i++)
		json_array_append_new(hosts, json_string(s->hosts[i]));
	/* nvmet on Linux 6.1 lists no connected host anywhere: null, not [] */
	return json_pack("{s:s, s:s, s:o, s:o, s:o, s:b, s:n, s:o}",
		"nqn", s->nqn, "status", vn_health_name(h), "namespaces", nss,
		"ports", export_ports_json(cli, cfg, s->nqn), "allowed_hosts", hosts,
		"allow_any_host", strcmp(attr_or(s->attrs, s->nattrs, "attr_allow_any_host"),
					 "1") == 0,
		"connected_hosts", "notes", notes_json(rep, n0, NULL));
}

static json_t *ctrl_json(const struct vn_nvme_ctrl *c, struct vn_health_report *rep)
{
	unsigned int n0 = rep->n;
	enum vn_health h = vn_health_ctrl(c, rep);

	return json_pack("{s:o, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
		"controller", vn_json_dev(c->name), "status", vn_health_name(h),
		"transport", vn_json_str(c->transport), "state", vn_json_str(c->state),
		"address", vn_json_str(c->address), "subsysnqn", vn_json_str(c->subsysnqn),
		"hostnqn", vn_json_str(c->hostnqn), "device", vn_json_dev(c->dev),
		"notes", notes_json(rep, n0, NULL));
}

/* ---- gathering ---- */

static int gather_arrays(struct vn_cli *cli, json_t *doc, struct vn_health_report *rep)
{
	struct vn_md_status *all = NULL;
	json_t *arr = json_object_get(doc, "arrays");
	int n = vn_md_list(cli->ctx, &all);

	if (n < 0 && vn_ctx_error_kind(cli->ctx) == VN_ERR_NOSUPPORT) {
		vn_ctx_clear_error(cli->ctx);	/* no md in the kernel: no array */
		return 0;
	}
	if (n < 0)
		return vn_report(cli);
	for (int i = 0; i < n; i++)
		json_array_append_new(arr, vn_md_json(&all[i], rep));
	free(all);
	return 0;
}

static int gather_caches(struct vn_cli *cli, json_t *doc, struct vn_health_report *rep)
{
	struct vn_cache_info *list = NULL;
	json_t *arr = json_object_get(doc, "caches");
	int n = vn_cache_list(cli->ctx, &list);

	if (n < 0)
		return vn_report(cli);
	for (int i = 0; i < n; i++)
		json_array_append_new(arr, cache_json(cli, &list[i], rep));
	free(list);
	return 0;
}

static int gather_exports(struct vn_cli *cli, json_t *doc, struct vn_health_report *rep)
{
	struct vn_nvmet_config *cfg = NULL;
	json_t *arr = json_object_get(doc, "exports");

	if (vn_nvmet_read(cli->ctx, &cfg) < 0)
		return vn_report(cli);
	for (unsigned int i = 0; i < cfg->nsubsys; i++)
		json_array_append_new(arr, export_json(cli, cfg, &cfg->subsys[i], rep));
	vn_nvmet_config_free(cfg);
	return 0;
}

/* Host side: fabrics controllers only (a local PCIe drive is no layer). */
static int gather_ctrls(struct vn_cli *cli, json_t *doc, struct vn_health_report *rep)
{
	struct vn_nvme_ctrl *list = NULL;
	json_t *arr = json_object_get(doc, "controllers");
	int n = vn_nvme_ctrl_list(cli->ctx, &list);

	if (n < 0)
		return vn_report(cli);
	for (int i = 0; i < n; i++)
		if (strcmp(list[i].transport, "pcie") != 0)
			json_array_append_new(arr, ctrl_json(&list[i], rep));
	free(list);
	return 0;
}

static bool listed(json_t *doc, const char *key, const char *field, const char *value)
{
	size_t i;
	json_t *o;

	json_array_foreach(json_object_get(doc, key), i, o) {
		const char *v = json_string_value(json_object_get(o, field));

		if (v && strcmp(v, value) == 0)
			return true;
	}
	return false;
}

/*
 * What the caller expects to run (a stack file's layers): an NQN is an
 * export or a controller's subsystem, a name a cache mapping, a /dev path
 * an array or another block device.
 */
static void expect(struct vn_cli *cli, json_t *doc, const char *what,
		   struct vn_health_report *rep)
{
	struct vn_blkdev b;

	if (strncmp(what, "nqn.", 4) == 0) {
		if (!listed(doc, "exports", "nqn", what) &&
		    !listed(doc, "controllers", "subsysnqn", what))
			vn_health_add(rep, VN_HEALTH_MISSING, "stack", what, "no export or "
				      "controller of %s", what);
		return;
	}
	if (listed(doc, "arrays", "array", what) || listed(doc, "caches", "name", what) ||
	    listed(doc, "caches", "path", what))
		return;
	if (strchr(what, '/') && vn_blk_get(cli->ctx, what, &b) == 0 &&
	    strncmp(b.name, "md", 2) != 0)
		return;
	vn_ctx_clear_error(cli->ctx);
	vn_health_add(rep, VN_HEALTH_MISSING, "stack", what, "%s is not there", what);
}

static size_t total_layers(json_t *doc)
{
	static const char *const keys[] = { "arrays", "caches", "exports", "controllers" };
	size_t n = 0;

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		n += json_array_size(json_object_get(doc, keys[i]));
	return n;
}

/* The whole stack as one document; *ret_health its verdict. Return: exit code. */
static int gather(struct vn_cli *cli, int nexpect, char **expected, json_t **ret,
		  enum vn_health *ret_health)
{
	struct vn_health_report *rep = calloc(1, sizeof(*rep));
	json_t *doc;
	int code;

	if (!rep)
		return VN_EXIT_FAILED;
	doc = json_pack("{s:s, s:[], s:[], s:[], s:[]}", "status", "ok", "arrays",
			"caches", "exports", "controllers");
	code = gather_arrays(cli, doc, rep);
	if (!code)
		code = gather_caches(cli, doc, rep);
	if (!code)
		code = gather_exports(cli, doc, rep);
	if (!code)
		code = gather_ctrls(cli, doc, rep);
	if (code) {
		json_decref(doc);
		free(rep);
		return code;
	}
	for (int i = 0; i < nexpect; i++)
		expect(cli, doc, expected[i], rep);
	if (nexpect == 0 && total_layers(doc) == 0)
		vn_health_add(rep, VN_HEALTH_MISSING, "stack", "", "no md array, cache "
			      "mapping, NVMe export or NVMe-oF controller is running");
	json_object_set_new(doc, "status", json_string(vn_health_name(rep->health)));
	json_object_set_new(doc, "exit_code", json_integer(vn_health_exit(rep->health)));
	json_object_set_new(doc, "problems", json_array());
	for (unsigned int i = 0; i < rep->n; i++)
		if (rep->notes[i].health != VN_HEALTH_OK)
			json_array_append_new(json_object_get(doc, "problems"), json_pack(
				"{s:s, s:s, s:s, s:s}", "layer", rep->notes[i].layer,
				"object", rep->notes[i].object,
				"status", vn_health_name(rep->notes[i].health),
				"text", rep->notes[i].text));
	*ret_health = rep->health;
	*ret = doc;
	free(rep);
	return VN_EXIT_OK;
}

/* ---- text ---- */

static const char *js(json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v ? v : "-";
}

static json_int_t ji(json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

static void print_array(json_t *a)
{
	char size[32], buf[512] = "";
	size_t i, used = 0;
	json_t *m;

	printf("raid    %-24s %-9s %s, %s, %s, [%d/%d] [%s]", js(a, "array"), js(a, "status"),
	       js(a, "level"), js(a, "array_state"),
	       vn_size_format((uint64_t)ji(a, "size_bytes"), size, sizeof(size)),
	       (int)ji(a, "raid_disks"), (int)(ji(a, "raid_disks") - ji(a, "degraded_count")),
	       js(a, "health"));
	if (json_is_string(json_object_get(a, "journal_device")))
		printf(", journal %s %s", js(a, "journal_device"), js(a, "journal_mode"));
	putchar('\n');
	json_array_foreach(json_object_get(a, "members"), i, m) {
		if (!json_is_true(json_object_get(m, "journal")) && used < sizeof(buf))
			used += (size_t)snprintf(buf + used, sizeof(buf) - used, " %s (%s)",
						 js(m, "device"), js(m, "role"));
	}
	printf("        members%s\n", buf);
	vn_print_notes(json_object_get(a, "notes"), "        ");
}

static void print_cache(json_t *c)
{
	char ram[32];

	printf("cache   %-24s %-9s %s %s over %s, RAM %s %s, read hits %lld misses %lld, "
	       "flushes %s\n", js(c, "path"), js(c, "status"), js(c, "engine"), js(c, "mode"),
	       js(c, "target"), js(c, "cache_device"),
	       vn_size_format((uint64_t)ji(c, "cache_bytes"), ram, sizeof(ram)),
	       (long long)ji(c, "read_hits"), (long long)ji(c, "read_misses"),
	       json_is_true(json_object_get(c, "flush_passed")) ? "passed down" :
	       "not passed down");
	vn_print_notes(json_object_get(c, "notes"), "        ");
}

static void print_export(json_t *e)
{
	size_t i;
	json_t *o;

	printf("export  %-24s %-9s\n", js(e, "nqn"), js(e, "status"));
	json_array_foreach(json_object_get(e, "namespaces"), i, o) {
		printf("        namespace %lld %s%s\n", (long long)ji(o, "nsid"), js(o, "device"),
		       json_is_true(json_object_get(o, "enabled")) ? "" : " (disabled)");
	}
	json_array_foreach(json_object_get(e, "ports"), i, o) {
		size_t k;
		json_t *peer;

		printf("        port %lld %s %s:%lld, %lld TCP connection%s",
		       (long long)ji(o, "portid"), js(o, "transport"), js(o, "address"),
		       (long long)ji(o, "port"), (long long)ji(o, "connections"),
		       ji(o, "connections") == 1 ? "" : "s");
		json_array_foreach(json_object_get(o, "peers"), k, peer) {
			printf("%s%s", k ? ", " : " from ", json_string_value(peer));
		}
		putchar('\n');
	}
	if (json_is_true(json_object_get(e, "allow_any_host")))
		printf("        hosts: any\n");
	json_array_foreach(json_object_get(e, "allowed_hosts"), i, o) {
		printf("        host %s\n", json_string_value(o));
	}
	vn_print_notes(json_object_get(e, "notes"), "        ");
}

static void print_ctrl(json_t *c)
{
	printf("host    %-24s %-9s %s, %s %s, %s -> %s\n", js(c, "controller"), js(c, "status"),
	       js(c, "state"), js(c, "transport"), js(c, "address"), js(c, "subsysnqn"),
	       js(c, "device"));
	vn_print_notes(json_object_get(c, "notes"), "        ");
}

static void print_stack(json_t *doc)
{
	size_t i;
	json_t *o;

	json_array_foreach(json_object_get(doc, "arrays"), i, o) {
		print_array(o);
	}
	json_array_foreach(json_object_get(doc, "caches"), i, o) {
		print_cache(o);
	}
	json_array_foreach(json_object_get(doc, "exports"), i, o) {
		print_export(o);
	}
	json_array_foreach(json_object_get(doc, "controllers"), i, o) {
		print_ctrl(o);
	}
	json_array_foreach(json_object_get(doc, "problems"), i, o) {
		if (strcmp(js(o, "layer"), "stack") == 0)
			printf("stack   %-24s %-9s %s\n", js(o, "object"), js(o, "status"),
			       js(o, "text"));
	}
	printf("status: %s\n", js(doc, "status"));
}

/* ---- watch ---- */

/* The first array with a sync running, or NULL. */
static json_t *syncing(json_t *doc)
{
	size_t i;
	json_t *a;

	json_array_foreach(json_object_get(doc, "arrays"), i, a) {
		if (json_is_object(json_object_get(a, "sync")))
			return a;
	}
	return NULL;
}

/* "/dev/md0 recovery  45.3% [=========           ] 2.6 MiB/s, 120 s left, degraded" */
static void progress_line(json_t *a, bool tty)
{
	json_t *s = json_object_get(a, "sync"), *left = json_object_get(s, "remaining_seconds");
	double pct = json_real_value(json_object_get(s, "percent"));
	char speed[32], eta[32] = "";

	vn_size_format((uint64_t)ji(s, "speed_bytes_per_second"), speed, sizeof(speed));
	if (json_is_integer(left))
		snprintf(eta, sizeof(eta), ", %lld s left", (long long)json_integer_value(left));
	if (tty)
		printf("\r%s %s %5.1f%% [%-20.*s] %s/s%s, %s   ", js(a, "array"),
		       js(s, "action"), pct, (int)(pct / 5), "====================", speed, eta,
		       js(a, "status"));
	else
		printf("%s %s %.1f%%, %s/s%s, %s\n", js(a, "array"), js(s, "action"), pct,
		       speed, eta, js(a, "status"));
	fflush(stdout);
}

/* What counts as a change when not on a terminal: action, health, a tenth more done. */
static void change_key(json_t *doc, json_t *a, char *buf, size_t len)
{
	json_t *s = json_object_get(a, "sync");

	snprintf(buf, len, "%s %s %s %s %d", js(doc, "status"), js(a, "array"), js(s, "action"),
		 js(a, "status"), (int)(json_real_value(json_object_get(s, "percent")) / 10));
}

/* Refresh until no array syncs: a bar on a terminal, else a line (or a JSON line) per change. */
static int watch(struct vn_cli *cli, int nexpect, char **expected, json_t *doc,
		 enum vn_health *health)
{
	bool tty = isatty(STDOUT_FILENO) && !cli->json;
	char last[256] = "", key[256];
	json_t *a;
	int code;

	while ((a = syncing(doc))) {
		change_key(doc, a, key, sizeof(key));
		if (tty) {
			progress_line(a, true);
		} else if (strcmp(key, last) != 0) {
			if (cli->json) {
				(void)json_dumpf(doc, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
				putchar('\n');
				fflush(stdout);
			} else {
				progress_line(a, false);
			}
		}
		snprintf(last, sizeof(last), "%s", key);
		json_decref(doc);
		doc = NULL;
		usleep(WATCH_INTERVAL_MS * 1000);
		code = gather(cli, nexpect, expected, &doc, health);
		if (code)
			return code;
	}
	if (tty)
		printf("\r%-78s\r", "");
	if (cli->json)
		return vn_output_json(doc);
	print_stack(doc);
	json_decref(doc);
	return VN_EXIT_OK;
}

static const struct vn_opt status_opts[] = {
	{ "watch", 'w', NULL, "refresh while a resync or rebuild runs", 0 },
	{ NULL }
};

static int cmd_status(struct vn_cli *cli, int argc, char **argv)
{
	struct vn_getopt g = { 0 };
	enum vn_health health = VN_HEALTH_OK;
	bool watching = false;
	json_t *doc = NULL;
	int c, code;

	while ((c = vn_getopt(cli, &g, argc, argv)) != -1) {
		if (c == VN_GETOPT_STOP)
			return cli->exit;
		if (c == 'w')
			watching = true;
	}
	code = gather(cli, argc - g.optind, argv + g.optind, &doc, &health);
	if (code)
		return code;
	if (watching && syncing(doc)) {
		if (!cli->json)
			print_stack(doc);
		code = watch(cli, argc - g.optind, argv + g.optind, doc, &health);
		return code ? code : vn_health_exit(health);
	}
	if (cli->json) {
		code = vn_output_json(doc);
		return code ? code : vn_health_exit(health);
	}
	print_stack(doc);
	json_decref(doc);
	return vn_health_exit(health);
}

const struct vn_cmd vn_cmd_status = {
	.name = "status",
	.fn = cmd_status,
	.usage = "[--json] [--watch] [LAYER...]",
	.summary = "every layer of the stack and its health, exit code for monitoring",
	.description =
		"md arrays (members, state, resync or rebuild progress, journal), RAM\n"
		"cache mappings, NVMe target exports (ports, allowed hosts, TCP\n"
		"connections) and NVMe-oF controllers of this host, each with its health.\n"
		"LAYER names what must be running (/dev/md0, a cache name, an NQN).\n"
		"Exit: 0 healthy, 10 degraded, 11 failed, 12 a layer missing (the worst\n"
		"wins: 11, then 12, then 10).",
	.opts = status_opts,
	.flags = VN_CMD_ROOT | VN_CMD_JSON,
	.args = VN_ARGS_BLOCKDEV,
};

/* The journal sizing advice (raid create, raid tune, check); null without a journal. */
json_t *vn_journal_advice_json(const struct vn_md_journal_advice *a)
{
	if (!a->journal_bytes)
		return json_null();
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:b, s:b, s:I, s:b, s:i}",
		"journal_bytes", (json_int_t)a->journal_bytes,
		"burst_hot_set_bytes", (json_int_t)a->burst_hot_set_bytes,
		"payoff_hot_set_bytes", (json_int_t)a->payoff_hot_set_bytes,
		"cache_hot_set_bytes", (json_int_t)a->cache_hot_set_bytes,
		"cache_mem_bytes", (json_int_t)a->cache_mem_bytes,
		"mem_bound_bytes", (json_int_t)a->mem_bound_bytes,
		"mem_limited", a->mem_limited, "too_small", a->too_small,
		"replay_stripes_max", (json_int_t)a->replay_stripes_max,
		"replay_slow", a->replay_slow, "volatile_members", (int)a->volatile_members);
}

json_t *vn_write_caches_off(const struct vn_cli *cli, const char *md, char *buf, size_t len)
{
	struct vn_wcache w[VN_MD_MEMBERS_MAX * 2];
	unsigned int turned = 0, more = 0;
	size_t n = 0, used = 0;
	int r = vn_md_write_caches_off(cli->ctx, md, w, sizeof(w) / sizeof(w[0]), &n);
	json_t *list = json_array();

	buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		const struct vn_wcache *c = &w[i];
		int k;

		json_array_append_new(list, json_pack("{s:o, s:s}", "disk", vn_json_dev(c->disk),
						      "state", vn_wcache_state_name(c->state)));
		if (c->state == VN_WCACHE_TURNED_OFF) {
			turned++;
			/* room for this name and for ", and N more" after it */
			k = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", c->disk);
			if (k > 0 && (size_t)k + 16 < len - used)
				used += (size_t)k;
			else
				more++;
			buf[used] = '\0';
		} else if (c->state == VN_WCACHE_NO_CONTROL) {
			vn_warn(cli, "%s keeps a volatile write cache vnvme cannot turn off: a "
				"power cut can lose writes md's journal has already let go of "
				"(vnvme-raid(8), WRITE CACHES)", c->disk);
		} else if (c->state == VN_WCACHE_FAILED) {
			vn_warn(cli, "%s: its write cache could not be turned off (%s): a power "
				"cut can lose writes md's journal has already let go of "
				"(vnvme-raid(8), WRITE CACHES)", c->disk, strerror(-c->err));
		}
	}
	if (more)
		snprintf(buf + used, len - used, ", and %u more", more);
	if (r < 0) {
		vn_warn(cli, "%s; the members' %swrite caches are as they were",
			vn_ctx_error(cli->ctx), turned ? "other " : "");
		vn_ctx_clear_error(cli->ctx);
		if (!n) {
			json_decref(list);
			return NULL;
		}
	}
	return list;
}
