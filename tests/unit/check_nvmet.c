// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * lib/nvmet.c and lib/nvmet_json.c without a kernel: NQN rules, the
 * nvmetcli JSON codec against a file written from nvmetcli's schema,
 * reading a configfs tree laid out in a temp root, the order of a delete
 * (in dry-run), and the refusals that must come before any change.
 */
#include "unit.h"

#define DATA "tests/unit/data/nvmet/"
#define CFS "sys/kernel/config/nvmet"
#define HOST "nqn.2014-08.org.nvmexpress:uuid:11111111-2222-4333-8444-555555555555"
#define NQN "nqn.2024-01.io.vnvme:saved"

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	ck_assert_msg(f != NULL, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	ck_assert_int_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return buf;
}

/* ---- NQN rules ---- */

START_TEST(nqn_rules)
{
	struct vn_ctx *ctx = vn_ctx_new();
	char longname[300];

	ck_assert_int_eq(vn_nvmet_nqn_check(ctx, "nqn.2024-01.io.vnvme:lab"), 0);
	ck_assert_int_eq(vn_nvmet_nqn_check(ctx, HOST), 0);
	/* the article's name: accepted, not the standard form */
	ck_assert_int_eq(vn_nvmet_nqn_check(ctx, "nvmet-test"), 1);
	ck_assert_int_eq(vn_nvmet_nqn_check(ctx, "nqn.24-01.x:y"), 1);
	ck_assert_int_eq(vn_nvmet_nqn_check(ctx, "a b"), -EINVAL);
	ck_assert_int_eq(vn_ctx_error_kind(ctx), VN_ERR_INVALID);
	ck_assert_ptr_nonnull(strstr(vn_ctx_error(ctx), "whitespace"));
	ck_assert_int_eq(vn_nvmet_nqn_check(ctx, "a/b"), -EINVAL);
	ck_assert_int_eq(vn_nvmet_nqn_check(ctx, ""), -EINVAL);
	ck_assert_int_eq(vn_nvmet_nqn_check(ctx, "a\tb"), -EINVAL);
	/* configfs path components: never a step up or a control byte */
	ck_assert_int_eq(vn_nvmet_nqn_check(ctx, "."), -EINVAL);
	ck_assert_int_eq(vn_nvmet_nqn_check(ctx, ".."), -EINVAL);
	ck_assert_int_eq(vn_nvmet_nqn_check(ctx, "nqn.2024-01.io.vnvme:\x1b[2J"), -EINVAL);
	ck_assert_int_eq(vn_nvmet_nqn_check(ctx, "nqn.2024-01.io.vnvme:\xc3\xa9"), -EINVAL);
	ck_assert_int_eq(vn_nvmet_nqn_check(ctx, VN_NQN_DISCOVERY), -EINVAL);
	ck_assert_ptr_nonnull(strstr(vn_ctx_error(ctx), "discovery"));
	/* 222 bytes is the limit (NVMF_NQN_SIZE 223 with the NUL) */
	memset(longname, 'a', sizeof(longname));
	longname[222] = '\0';
	ck_assert_int_eq(vn_nvmet_nqn_check(ctx, longname), 1);
	longname[222] = 'a';
	longname[223] = '\0';
	ck_assert_int_eq(vn_nvmet_nqn_check(ctx, longname), -EINVAL);
	ck_assert_ptr_nonnull(strstr(vn_ctx_error(ctx), "at most 222"));
	vn_ctx_free(ctx);
}
END_TEST

/*
 * The host ID of a host NQN other than the saved one: the UUID in a
 * "...:uuid:UUID" NQN, else one made from the NQN; never 36 characters that
 * only look placed like a UUID (found by tests/fuzz/target.c).
 */
START_TEST(host_id_is_always_a_uuid)
{
	char *root = unit_tmpdir();
	struct vn_ctx *ctx = unit_ctx(root);
	struct vn_nvme_identity id;

	unit_write(root, "etc/nvme/hostnqn", NQN "\n");
	unit_write(root, "etc/nvme/hostid", "11111111-2222-4333-8444-000000000000\n");
	ck_assert_int_eq(vn_nvme_host_identity(ctx, HOST, NULL, &id), 0);
	ck_assert_str_eq(id.hostid, "11111111-2222-4333-8444-555555555555");
	ck_assert_int_eq(vn_nvme_host_identity(ctx, "nqn.2014-08.org.nvmexpress:uuid:"
					       "11111111-2222-4333[8444-555555555555",
					       NULL, &id), 0);
	/* the name-based one: version 5, variant 10 */
	ck_assert_int_eq(strlen(id.hostid), 36);
	ck_assert_int_eq(strspn(id.hostid, "0123456789abcdef-"), 36);
	ck_assert_int_eq(id.hostid[14], '5');
	vn_ctx_free(ctx);
	unit_rmtree(root);
	free(root);
}
END_TEST

/* ---- the codec ---- */

START_TEST(json_decode_nvmetcli_file)
{
	struct vn_ctx *ctx = vn_ctx_new();
	struct vn_nvmet_config *cfg = NULL;
	char *text = slurp(DATA "nvmetcli.json");
	const struct vn_nvmet_subsys *s;
	const struct vn_nvmet_port *p;

	ck_assert_int_eq(vn_nvmet_json_decode(ctx, text, &cfg), 0);
	ck_assert_uint_eq(cfg->nhosts, 1);
	ck_assert_str_eq(cfg->hosts[0], HOST);
	ck_assert_uint_eq(cfg->nsubsys, 1);
	s = &cfg->subsys[0];
	ck_assert_str_eq(s->nqn, NQN);
	ck_assert_str_eq(vn_nvmet_attr_get(s->attrs, s->nattrs, "attr_model"), "vnvme-saved");
	ck_assert_str_eq(vn_nvmet_attr_get(s->attrs, s->nattrs, "attr_allow_any_host"), "0");
	ck_assert_uint_eq(s->nattrs, 8);
	ck_assert_uint_eq(s->nhosts, 1);
	ck_assert_uint_eq(s->nns, 1);
	ck_assert_uint_eq(s->ns[0].nsid, 1);
	ck_assert(s->ns[0].enabled);
	ck_assert_uint_eq(s->ns[0].ana_grpid, 1);
	ck_assert_str_eq(vn_nvmet_attr_get(s->ns[0].attrs, s->ns[0].nattrs, "device_path"),
			 "/dev/sdc");
	ck_assert_uint_eq(cfg->nports, 1);
	p = &cfg->ports[0];
	ck_assert_uint_eq(p->portid, 1);
	ck_assert_str_eq(vn_nvmet_attr_get(p->attrs, p->nattrs, "addr_trsvcid"), "4420");
	ck_assert_str_eq(vn_nvmet_attr_get(p->attrs, p->nattrs, "param_inline_data_size"),
			 "16384");
	ck_assert_uint_eq(p->nsubsys, 1);
	ck_assert_str_eq(p->subsys[0], NQN);
	ck_assert_uint_eq(p->nana, 1);
	ck_assert_str_eq(p->ana[0].state, "optimized");
	vn_nvmet_config_free(cfg);
	free(text);
	vn_ctx_free(ctx);
}
END_TEST

/* Encoding what was decoded gives nvmetcli's bytes back. */
START_TEST(json_round_trip_is_byte_exact)
{
	struct vn_ctx *ctx = vn_ctx_new();
	struct vn_nvmet_config *cfg = NULL;
	char *text = slurp(DATA "nvmetcli.json"), *out = NULL;

	ck_assert_int_eq(vn_nvmet_json_decode(ctx, text, &cfg), 0);
	ck_assert_int_eq(vn_nvmet_json_encode(ctx, cfg, &out), 0);
	ck_assert_str_eq(out, text);
	vn_nvmet_config_free(cfg);
	free(out);
	free(text);
	vn_ctx_free(ctx);
}
END_TEST

/* nvmetcli 0.7 wrote no "ana" group and no ana_grpid: group 1. */
START_TEST(json_decode_v07_without_ana)
{
	static const char *v07 =
		"{\"hosts\": [], \"ports\": [], \"subsystems\": [{\"allowed_hosts\": [],"
		" \"attr\": {\"allow_any_host\": \"1\"}, \"namespaces\": [{\"device\":"
		" {\"path\": \"/dev/sdb\"}, \"enable\": 1, \"nsid\": 3}], \"nqn\": \"nvmet-test\"}]}";
	struct vn_ctx *ctx = vn_ctx_new();
	struct vn_nvmet_config *cfg = NULL;

	ck_assert_int_eq(vn_nvmet_json_decode(ctx, v07, &cfg), 0);
	ck_assert_uint_eq(cfg->subsys[0].ns[0].nsid, 3);
	ck_assert_uint_eq(cfg->subsys[0].ns[0].ana_grpid, 1);
	vn_nvmet_config_free(cfg);
	vn_ctx_free(ctx);
}
END_TEST

START_TEST(json_decode_errors)
{
	static const char *bad[] = {
		"not json",
		"[]",
		"{\"subsystems\": [{\"nqn\": 5}]}",
		"{\"subsystems\": [{\"nqn\": \"x\", \"namespaces\": [{\"nsid\": 0}]}]}",
		"{\"subsystems\": [{\"nqn\": \"x\", \"attr\": {\"model\": []}}]}",
		"{\"ports\": [{\"addr\": {}}]}",
		"{\"ports\": [{\"portid\": 70000}]}",
		"{\"hosts\": [{\"nqn\": \"\"}]}",
	};
	struct vn_ctx *ctx = vn_ctx_new();

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct vn_nvmet_config *cfg = NULL;

		ck_assert_msg(vn_nvmet_json_decode(ctx, bad[i], &cfg) < 0, "accepted: %s", bad[i]);
		ck_assert_ptr_null(cfg);
		ck_assert_str_ne(vn_ctx_error(ctx), "");
		vn_ctx_clear_error(ctx);
	}
	vn_ctx_free(ctx);
}
END_TEST

/* A value too long for configfs' buffer is refused, not cut: "/dev/sda/////"
 * cut short could name another device than the file does. */
START_TEST(json_decode_refuses_long_values)
{
	char path[600], text[800];
	struct vn_ctx *ctx = vn_ctx_new();
	struct vn_nvmet_config *cfg = NULL;

	memset(path, '/', sizeof(path));
	memcpy(path, "/dev/sda", 8);
	path[511] = '\0';	/* the longest that fits */
	snprintf(text, sizeof(text), "{\"subsystems\": [{\"nqn\": \"x\", \"namespaces\": "
		 "[{\"nsid\": 1, \"device\": {\"path\": \"%sx\"}}]}]}", path);
	ck_assert_int_eq(vn_nvmet_json_decode(ctx, text, &cfg), -EINVAL);
	ck_assert_ptr_nonnull(strstr(vn_ctx_error(ctx), "device.path is longer than 511"));
	snprintf(text, sizeof(text), "{\"subsystems\": [{\"nqn\": \"x\", \"namespaces\": "
		 "[{\"nsid\": 1, \"device\": {\"path\": \"%s\"}}]}]}", path);
	ck_assert_int_eq(vn_nvmet_json_decode(ctx, text, &cfg), 0);
	ck_assert_str_eq(cfg->subsys[0].ns[0].attrs[0].value, path);
	vn_nvmet_config_free(cfg);
	vn_ctx_free(ctx);
}
END_TEST

/* The committed test data is what the lab restores (t-export-config.sh). */
START_TEST(lab_scenario_restores_the_committed_file)
{
	char *script = slurp("tests/lab/t-export-config.sh");
	char *text = slurp(DATA "nvmetcli.json");
	char *start = strstr(script, "<<'JSON'\n"), *end;

	ck_assert_ptr_nonnull(start);
	start += strlen("<<'JSON'\n");
	end = strstr(start, "\nJSON\n");
	ck_assert_ptr_nonnull(end);
	end[1] = '\0';
	ck_assert_str_eq(start, text);
	free(script);
	free(text);
}
END_TEST

/* ---- a configfs tree in a temp root ---- */

static void make_tree(const char *root)
{
	char target[PATH_MAX], link[PATH_MAX];

	unit_write(root, CFS "/hosts/" HOST "/.keep", "");
	unit_write(root, CFS "/subsystems/" NQN "/attr_allow_any_host", "0\n");
	unit_write(root, CFS "/subsystems/" NQN "/attr_cntlid_max", "65519\n");
	unit_write(root, CFS "/subsystems/" NQN "/attr_cntlid_min", "1\n");
	unit_write(root, CFS "/subsystems/" NQN "/attr_model", "vnvme-saved\n");
	unit_write(root, CFS "/subsystems/" NQN "/attr_pi_enable", "0\n");
	unit_write(root, CFS "/subsystems/" NQN "/attr_qid_max", "128\n");
	/* the kernel pads the serial to 20 with spaces */
	unit_write(root, CFS "/subsystems/" NQN "/attr_serial", "0123456789abcdef0123\n");
	unit_write(root, CFS "/subsystems/" NQN "/attr_version", "1.3\n");
	unit_write(root, CFS "/subsystems/" NQN "/namespaces/1/device_path", "/dev/sdc\n");
	unit_write(root, CFS "/subsystems/" NQN "/namespaces/1/device_uuid",
		   "5b1c3f0e-8d2a-4c61-9e7f-2a4b6c8d0e1f\n");
	unit_write(root, CFS "/subsystems/" NQN "/namespaces/1/device_nguid",
		   "00000000-0000-0000-0000-000000000000\n");
	unit_write(root, CFS "/subsystems/" NQN "/namespaces/1/ana_grpid", "1\n");
	unit_write(root, CFS "/subsystems/" NQN "/namespaces/1/enable", "1\n");
	unit_write(root, CFS "/subsystems/" NQN "/namespaces/1/buffered_io", "0\n");
	/* write-only: never saved */
	unit_write(root, CFS "/subsystems/" NQN "/namespaces/1/revalidate_size", "");
	snprintf(target, sizeof(target), "%s/" CFS "/subsystems/" NQN "/namespaces/1/revalidate_size",
		 root);
	ck_assert_int_eq(chmod(target, 0200), 0);
	unit_mkdirs(strcat(strcpy(target, root), "/" CFS "/subsystems/" NQN "/allowed_hosts"));
	snprintf(target, sizeof(target), "/" CFS "/hosts/" HOST);
	snprintf(link, sizeof(link), "%s/" CFS "/subsystems/" NQN "/allowed_hosts/" HOST, root);
	ck_assert_int_eq(symlink(target, link), 0);
	unit_write(root, CFS "/ports/1/addr_adrfam", "ipv4\n");
	unit_write(root, CFS "/ports/1/addr_traddr", "127.0.0.1\n");
	unit_write(root, CFS "/ports/1/addr_treq", "not specified\n");
	unit_write(root, CFS "/ports/1/addr_trsvcid", "4420\n");
	unit_write(root, CFS "/ports/1/addr_trtype", "tcp\n");
	unit_write(root, CFS "/ports/1/param_inline_data_size", "16384\n");
	unit_write(root, CFS "/ports/1/param_pi_enable", "0\n");
	unit_write(root, CFS "/ports/1/ana_groups/1/ana_state", "optimized\n");
	unit_mkdirs(strcat(strcpy(target, root), "/" CFS "/ports/1/referrals"));
	unit_mkdirs(strcat(strcpy(target, root), "/" CFS "/ports/1/subsystems"));
	snprintf(target, sizeof(target), "/" CFS "/subsystems/" NQN);
	snprintf(link, sizeof(link), "%s/" CFS "/ports/1/subsystems/" NQN, root);
	ck_assert_int_eq(symlink(target, link), 0);
	/* "/proc/net/tcp": nothing connected yet */
	unit_write(root, "proc/net/tcp", "  sl  local_address rem_address   st\n"
		   "   0: 0100007F:1144 00000000:0000 0A 00000000:00000000\n");
	/* the namespace's device, for holds */
	unit_write(root, "sys/block/sdc/size", "524288\n");
	unit_write(root, "sys/block/sdc/dev", "8:32\n");
}

/* Reading the tree and encoding it gives what nvmetcli would save. */
START_TEST(read_tree_saves_as_nvmetcli)
{
	char *root = unit_tmpdir(), *text = slurp(DATA "nvmetcli.json"), *out = NULL;
	struct vn_ctx *ctx;
	struct vn_nvmet_config *cfg = NULL;

	make_tree(root);
	ctx = unit_ctx(root);
	ck_assert_int_eq(vn_nvmet_read(ctx, &cfg), 0);
	ck_assert_uint_eq(cfg->ports[0].connections, 0);
	ck_assert_int_eq(vn_nvmet_json_encode(ctx, cfg, &out), 0);
	ck_assert_str_eq(out, text);
	vn_nvmet_config_free(cfg);
	free(out);
	free(text);
	vn_ctx_free(ctx);
	unit_rmtree(root);
	free(root);
}
END_TEST

static char actions[8192];

static void record(void *data, bool dry_run, const char *action)
{
	const char *root = data;
	const char *a = strstr(action, root);
	size_t len = strlen(actions);

	(void)dry_run;
	/* drop the temp root from paths */
	if (a)
		snprintf(actions + len, sizeof(actions) - len, "%.*s%s\n",
			 (int)(a - action), action, a + strlen(root));
	else
		snprintf(actions + len, sizeof(actions) - len, "%s\n", action);
}

/* A delete in dry-run: the order the kernel requires, nothing changed. */
START_TEST(delete_order_dry_run)
{
	static const char *want =
		"unlink /" CFS "/ports/1/subsystems/" NQN "\n"
		"rmdir /" CFS "/ports/1\n"
		"write /" CFS "/subsystems/" NQN "/namespaces/1/enable: 0\n"
		"rmdir /" CFS "/subsystems/" NQN "/namespaces/1\n"
		"unlink /" CFS "/subsystems/" NQN "/allowed_hosts/" HOST "\n"
		"rmdir /" CFS "/subsystems/" NQN "\n"
		"rmdir /" CFS "/hosts/" HOST "\n";
	char *root = unit_tmpdir();
	struct vn_ctx *ctx;

	make_tree(root);
	ctx = unit_ctx(root);
	vn_ctx_set_dry_run(ctx, true);
	actions[0] = '\0';
	vn_ctx_set_action_cb(ctx, record, root);
	ck_assert_int_eq(vn_nvmet_export_delete(ctx, NQN, false), 0);
	ck_assert_str_eq(actions, want);
	ck_assert_str_eq(unit_read(root, CFS "/subsystems/" NQN "/namespaces/1/enable"), "1\n");
	vn_ctx_free(ctx);
	unit_rmtree(root);
	free(root);
}
END_TEST

/* An established connection to the port refuses the delete (forceable). */
START_TEST(delete_refused_while_connected)
{
	char *root = unit_tmpdir();
	struct vn_ctx *ctx;

	make_tree(root);
	/* 127.0.0.1:4420 <- 127.0.0.1:50082, state 01 (established) */
	unit_write(root, "proc/net/tcp", "  sl  local_address rem_address   st\n"
		   "   0: 0100007F:1144 00000000:0000 0A 00000000:00000000\n"
		   "   1: 0100007F:1144 0100007F:C3A2 01 00000000:00000000\n"
		   "   2: 0100007F:C3A2 0100007F:1144 01 00000000:00000000\n");
	ctx = unit_ctx(root);
	vn_ctx_set_dry_run(ctx, true);
	actions[0] = '\0';
	vn_ctx_set_action_cb(ctx, record, root);
	ck_assert_int_eq(vn_nvmet_export_delete(ctx, NQN, false), -EBUSY);
	ck_assert_int_eq(vn_ctx_error_kind(ctx), VN_ERR_UNSAFE);
	ck_assert(vn_ctx_error_forceable(ctx));
	ck_assert_ptr_nonnull(strstr(vn_ctx_error(ctx), "1 TCP connection established"));
	ck_assert_str_eq(actions, "");
	vn_ctx_clear_error(ctx);
	ck_assert_int_eq(vn_nvmet_export_delete(ctx, NQN, true), 0);
	ck_assert_str_ne(actions, "");
	ck_assert_int_eq(vn_nvmet_export_delete(ctx, "nqn.2024-01.io.vnvme:none", false), -ENOENT);
	vn_ctx_free(ctx);
	unit_rmtree(root);
	free(root);
}
END_TEST

/* Refusals come before any change: nothing recorded, nothing created. */
START_TEST(create_refusals_change_nothing)
{
	static const char *hosts[] = { HOST };
	struct {
		struct vn_nvmet_export e;
		int r;
		enum vn_err_kind kind;
		const char *msg;
	} cases[] = {
		{ { .nqn = "nqn.2024-01.io.vnvme:x", .device = "/dev/sdc", .addr = "127.0.0.1" },
		  -EACCES, VN_ERR_UNSAFE, "no host is allowed" },
		{ { .nqn = "a b", .device = "/dev/sdc", .addr = "127.0.0.1",
		    .allow_any_host = true }, -EINVAL, VN_ERR_INVALID, "whitespace" },
		{ { .nqn = "x", .device = "/dev/sdc", .addr = "localhost",
		    .allow_any_host = true }, -EINVAL, VN_ERR_INVALID, "not an IPv4" },
		{ { .nqn = "x", .device = "/dev/sdc", .addr = "::1", .family = "ipv4",
		    .allow_any_host = true }, -EINVAL, VN_ERR_INVALID, "not ipv4" },
		{ { .nqn = "x", .device = "/dev/sdc", .addr = "127.0.0.1", .transport = "rdma",
		    .allow_any_host = true }, -EINVAL, VN_ERR_INVALID, "tcp" },
		{ { .nqn = "x", .device = "/dev/sdc", .addr = "127.0.0.1", .hosts = hosts,
		    .nhosts = 1, .allow_any_host = true }, -EINVAL, VN_ERR_INVALID, "exclude" },
		{ { .nqn = "x", .device = "/dev/sdc", .addr = "127.0.0.1",
		    .allow_any_host = true, .model = "" }, -EINVAL, VN_ERR_INVALID, "model" },
		{ { .nqn = "x", .device = "/proc/net/tcp", .addr = "127.0.0.1",
		    .allow_any_host = true }, -EINVAL, VN_ERR_INVALID, "not a block device" },
		{ { .nqn = "x", .device = "sdc", .addr = "127.0.0.1",
		    .allow_any_host = true }, -EINVAL, VN_ERR_INVALID, "absolute" },
	};
	char *root = unit_tmpdir();
	struct vn_ctx *ctx;

	make_tree(root);
	ctx = unit_ctx(root);
	actions[0] = '\0';
	vn_ctx_set_action_cb(ctx, record, root);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vn_nvmet_created res;

		vn_ctx_clear_error(ctx);
		ck_assert_int_eq(vn_nvmet_export_create(ctx, &cases[i].e, &res), cases[i].r);
		ck_assert_int_eq(vn_ctx_error_kind(ctx), cases[i].kind);
		ck_assert_msg(strstr(vn_ctx_error(ctx), cases[i].msg), "case %zu: %s", i,
			      vn_ctx_error(ctx));
	}
	ck_assert_str_eq(actions, "");
	vn_ctx_free(ctx);
	unit_rmtree(root);
	free(root);
}
END_TEST

/* ---- all or nothing: a failure puts the running configuration back ---- */

/* The running configuration in its saved form (what restore would read). */
static char *saved_form(const char *root)
{
	struct vn_ctx *ctx = unit_ctx(root);
	struct vn_nvmet_config *cfg = NULL;
	char *out = NULL;

	ck_assert_int_eq(vn_nvmet_read(ctx, &cfg), 0);
	ck_assert_int_eq(vn_nvmet_json_encode(ctx, cfg, &out), 0);
	vn_nvmet_config_free(cfg);
	vn_ctx_free(ctx);
	return out;
}

static bool exists(const char *root, const char *rel)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	return lstat(path, &st) == 0;
}

/* The call failed (@r) at @what, and the configuration is @before again. */
static void assert_put_back(struct vn_ctx *ctx, int r, const char *what, const char *root,
			    char *before)
{
	char *after = saved_form(root);

	ck_assert_int_lt(r, 0);
	ck_assert_msg(strstr(vn_ctx_error(ctx), what) &&
		      strstr(vn_ctx_error(ctx), "put back as it was"), "%s", vn_ctx_error(ctx));
	ck_assert_str_eq(after, before);
	free(before);
	free(after);
}

/*
 * In a temp tree a port directory holds plain files, so its rmdir fails
 * (ENOTEMPTY) after its link was removed: clear must put the link back.
 */
START_TEST(clear_failure_puts_everything_back)
{
	char *root = unit_tmpdir(), *before;
	struct vn_ctx *ctx;

	make_tree(root);
	before = saved_form(root);
	ctx = unit_ctx(root);
	assert_put_back(ctx, vn_nvmet_clear(ctx), "ports/1", root, before);
	ck_assert(exists(root, CFS "/ports/1/subsystems/" NQN));
	vn_ctx_free(ctx);
	unit_rmtree(root);
	free(root);
}
END_TEST

#define NQN_B "nqn.2024-01.io.vnvme:b"

/* A second subsystem on port 1, so deleting NQN keeps the port. */
static void add_subsys_b(const char *root)
{
	char target[PATH_MAX], link[PATH_MAX];

	unit_write(root, CFS "/subsystems/" NQN_B "/attr_allow_any_host", "1\n");
	snprintf(target, sizeof(target), "/" CFS "/subsystems/" NQN_B);
	snprintf(link, sizeof(link), "%s/" CFS "/ports/1/subsystems/" NQN_B, root);
	ck_assert_int_eq(symlink(target, link), 0);
}

/*
 * delete unlinks the port, disables the namespace, then cannot rmdir it:
 * the link and the enable state come back.
 */
START_TEST(delete_failure_puts_everything_back)
{
	char *root = unit_tmpdir(), *before;
	struct vn_ctx *ctx;

	make_tree(root);
	add_subsys_b(root);
	before = saved_form(root);
	ctx = unit_ctx(root);
	assert_put_back(ctx, vn_nvmet_export_delete(ctx, NQN, false), "namespaces/1", root,
			before);
	ck_assert_str_eq(unit_read(root, CFS "/subsystems/" NQN "/namespaces/1/enable"), "1\n");
	vn_ctx_free(ctx);
	unit_rmtree(root);
	free(root);
}
END_TEST

#define OLD_HOST "nqn.2024-01.io.vnvme:old-host"

/* A target holding one host: clear works in a temp tree (empty dirs). */
static void make_host_tree(const char *root)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/" CFS "/hosts/" OLD_HOST, root);
	unit_mkdirs(path);
	snprintf(path, sizeof(path), "%s/" CFS "/subsystems", root);
	unit_mkdirs(path);
	snprintf(path, sizeof(path), "%s/" CFS "/ports", root);
	unit_mkdirs(path);
	snprintf(path, sizeof(path), "%s/sys/module/nvmet", root);
	unit_mkdirs(path);
	snprintf(path, sizeof(path), "%s/sys/module/nvmet_tcp", root);
	unit_mkdirs(path);
}

static const char *restore_file =
	"{\"hosts\": [{\"nqn\": \"" HOST "\"}], \"subsystems\": [{\"nqn\": \"" NQN "\","
	" \"allowed_hosts\": [\"" HOST "\"], \"namespaces\": [{\"nsid\": 1, \"enable\": 1,"
	" \"device\": {\"path\": \"/dev/sdc\"}}]}]}";

/*
 * The restore clears the target, then fails midway (a temp tree has no
 * namespaces/ default group): what it made goes, the old host comes back.
 */
START_TEST(restore_failure_puts_back_the_running_one)
{
	char *root = unit_tmpdir(), *before;
	struct vn_nvmet_config *cfg = NULL;
	struct vn_ctx *ctx;

	make_host_tree(root);
	before = saved_form(root);
	ctx = unit_ctx(root);
	ck_assert_int_eq(vn_nvmet_json_decode(ctx, restore_file, &cfg), 0);
	assert_put_back(ctx, vn_nvmet_replace(ctx, cfg), "namespaces/1", root, before);
	ck_assert(!exists(root, CFS "/hosts/" HOST));
	ck_assert(!exists(root, CFS "/subsystems/" NQN));
	vn_nvmet_config_free(cfg);
	vn_ctx_free(ctx);
	unit_rmtree(root);
	free(root);
}
END_TEST

/* Plants a file where the rollback recreates the old host: mkdir fails. */
static void block_rollback(void *data, bool dry_run, const char *action)
{
	char want[PATH_MAX];

	(void)dry_run;
	snprintf(want, sizeof(want), "mkdir %s/" CFS "/hosts/" OLD_HOST, (const char *)data);
	if (strcmp(action, want) == 0)
		unit_write(data, CFS "/hosts/" OLD_HOST, "");
}

/* A rollback step that fails is reported with the first failure. */
START_TEST(restore_reports_a_failed_rollback)
{
	char *root = unit_tmpdir();
	struct vn_nvmet_config *cfg = NULL;
	struct vn_ctx *ctx;

	make_host_tree(root);
	ctx = unit_ctx(root);
	ck_assert_int_eq(vn_nvmet_json_decode(ctx, restore_file, &cfg), 0);
	vn_ctx_set_action_cb(ctx, block_rollback, root);
	ck_assert_int_eq(vn_nvmet_replace(ctx, cfg), -ENOTRECOVERABLE);
	ck_assert_msg(strstr(vn_ctx_error(ctx), "namespaces/1") &&
		      strstr(vn_ctx_error(ctx), "not put back") &&
		      strstr(vn_ctx_error(ctx), OLD_HOST), "%s", vn_ctx_error(ctx));
	ck_assert_int_eq(vn_ctx_error_kind(ctx), VN_ERR_PARTIAL);
	vn_nvmet_config_free(cfg);
	vn_ctx_free(ctx);
	unit_rmtree(root);
	free(root);
}
END_TEST

/* A signal that arrives with the first action that starts with @data. */
static volatile sig_atomic_t fake_signal;

static void signal_at(void *data, bool dry_run, const char *action)
{
	(void)dry_run;
	if (strncmp(action, data, strlen(data)) == 0)
		fake_signal = SIGTERM;
}

/* Interrupted after its first step, clear puts back what it removed. */
START_TEST(clear_interrupted_puts_everything_back)
{
	char *root = unit_tmpdir(), *before, *after;
	struct vn_ctx *ctx;

	make_tree(root);
	before = saved_form(root);
	ctx = unit_ctx(root);
	fake_signal = 0;
	vn_ctx_set_stop(ctx, &fake_signal);
	vn_ctx_set_action_cb(ctx, signal_at, (void *)"unlink");
	ck_assert_int_eq(vn_nvmet_clear(ctx), -EINTR);
	ck_assert_int_eq(vn_ctx_error_kind(ctx), VN_ERR_INTERRUPTED);
	ck_assert_msg(strstr(vn_ctx_error(ctx), "interrupted by SIGTERM") &&
		      strstr(vn_ctx_error(ctx), "put back as it was"), "%s", vn_ctx_error(ctx));
	after = saved_form(root);
	ck_assert_str_eq(after, before);
	free(before);
	free(after);
	vn_ctx_free(ctx);
	unit_rmtree(root);
	free(root);
}
END_TEST

/* Interrupted after it made its first directory, restore undoes it all. */
START_TEST(restore_interrupted_puts_back_the_running_one)
{
	char *root = unit_tmpdir(), *before, *after;
	struct vn_nvmet_config *cfg = NULL;
	struct vn_ctx *ctx;

	make_host_tree(root);
	before = saved_form(root);
	ctx = unit_ctx(root);
	ck_assert_int_eq(vn_nvmet_json_decode(ctx, restore_file, &cfg), 0);
	fake_signal = 0;
	vn_ctx_set_stop(ctx, &fake_signal);
	vn_ctx_set_action_cb(ctx, signal_at, (void *)"mkdir");
	ck_assert_int_eq(vn_nvmet_replace(ctx, cfg), -EINTR);
	ck_assert_int_eq(vn_ctx_error_kind(ctx), VN_ERR_INTERRUPTED);
	ck_assert(!exists(root, CFS "/hosts/" HOST));
	after = saved_form(root);
	ck_assert_str_eq(after, before);
	free(before);
	free(after);
	vn_nvmet_config_free(cfg);
	vn_ctx_free(ctx);
	unit_rmtree(root);
	free(root);
}
END_TEST

/*
 * A referral saved with empty values (nvmetcli saves what it reads): a
 * zero-length configfs write fails (EFAULT), so none is made.
 */
START_TEST(apply_writes_no_empty_value)
{
	static const char *file =
		"{\"ports\": [{\"portid\": 1, \"addr\": {\"trtype\": \"tcp\"}, \"referrals\":"
		" [{\"name\": \"r1\", \"enable\": 0, \"addr\": {\"adrfam\": \"\","
		" \"traddr\": \"127.0.0.2\"}}]}]}";
	struct vn_nvmet_config *cfg = NULL;
	char *root = unit_tmpdir();
	struct vn_ctx *ctx;

	ctx = unit_ctx(root);
	vn_ctx_set_dry_run(ctx, true);
	vn_ctx_set_action_cb(ctx, record, root);
	actions[0] = '\0';
	ck_assert_int_eq(vn_nvmet_json_decode(ctx, file, &cfg), 0);
	ck_assert_int_eq(vn_nvmet_apply(ctx, cfg), 0);
	ck_assert_ptr_nonnull(strstr(actions, "referrals/r1/addr_traddr: 127.0.0.2\n"));
	ck_assert_ptr_null(strstr(actions, "addr_adrfam"));
	vn_nvmet_config_free(cfg);
	vn_ctx_free(ctx);
	unit_rmtree(root);
	free(root);
}
END_TEST

/* ---- names from a file are configfs paths: checked before any change ---- */

START_TEST(restore_checks_every_name_first)
{
	static const struct {
		const char *json, *msg;
	} bad[] = {
		{ "{\"hosts\": [{\"nqn\": \"" HOST "\"}], \"subsystems\": [{\"nqn\": \"" NQN "\","
		  " \"allowed_hosts\": [\"../../../../pwned\"]}]}", "allowed_hosts[0]" },
		{ "{\"subsystems\": [{\"nqn\": \"" NQN "\"}], \"ports\": [{\"portid\": 1,"
		  " \"subsystems\": [\"../../../../pwned\"]}]}", "port 1: subsystems[0]" },
		{ "{\"subsystems\": [{\"nqn\": \"..\"}]}", "'..'" },
		{ "{\"hosts\": [{\"nqn\": \".\"}]}", "hosts[0]" },
		{ "{\"hosts\": [{\"nqn\": \"a\\u0001b\"}]}", "hosts[0]" },
		{ "{\"ports\": [{\"portid\": 1, \"referrals\": [{\"name\": \"..\"}]}]}", "referral" },
		{ "{\"subsystems\": [{\"nqn\": \"" NQN "\", \"allowed_hosts\": [\"" HOST "\"]}]}",
		  "allowed_hosts[0]: " HOST " is not in \"hosts\"" },
		{ "{\"ports\": [{\"portid\": 1, \"subsystems\": [\"" NQN "\"]}]}",
		  "subsystems[0]: " NQN " is not in \"subsystems\"" },
		{ "{\"ports\": [{\"portid\": \"1x\"}]}", "portid" },
		{ "{\"ports\": [{\"portid\": 1}, {\"portid\": 1}]}", "port 1 twice" },
		{ "{\"subsystems\": [{\"nqn\": \"" NQN "\"}, {\"nqn\": \"" NQN "\"}]}", "twice" },
	};
	char *root = unit_tmpdir(), path[PATH_MAX];
	struct vn_ctx *ctx;

	make_tree(root);
	ctx = unit_ctx(root);
	vn_ctx_set_dry_run(ctx, true);
	vn_ctx_set_action_cb(ctx, record, root);
	snprintf(path, sizeof(path), "%s/bad.json", root);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct vn_nvmet_config *cfg = NULL;

		unit_write(root, "bad.json", bad[i].json);
		vn_ctx_clear_error(ctx);
		ck_assert_msg(vn_nvmet_load(ctx, path, &cfg) == -EINVAL, "loaded %zu", i);
		ck_assert_int_eq(vn_ctx_error_kind(ctx), VN_ERR_INVALID);
		ck_assert_msg(strstr(vn_ctx_error(ctx), bad[i].msg), "case %zu: %s", i,
			      vn_ctx_error(ctx));
		/* the library refuses such a configuration too, before any action */
		actions[0] = '\0';
		if (vn_nvmet_json_decode(ctx, bad[i].json, &cfg) == 0) {
			ck_assert_msg(vn_nvmet_apply(ctx, cfg) == -EINVAL, "applied %zu", i);
			ck_assert_msg(vn_nvmet_replace(ctx, cfg) == -EINVAL, "replaced %zu", i);
			vn_nvmet_config_free(cfg);
		}
		ck_assert_msg(strcmp(actions, "") == 0, "case %zu acted: %s", i, actions);
	}
	vn_ctx_free(ctx);
	unit_rmtree(root);
	free(root);
}
END_TEST

/* ---- save ---- */

/* A value jansson cannot hold (not UTF-8) fails the save: nothing dropped. */
START_TEST(save_refuses_what_json_cannot_hold)
{
	char *root = unit_tmpdir(), path[PATH_MAX];
	struct vn_ctx *ctx;

	make_tree(root);
	unit_write(root, CFS "/subsystems/" NQN "/namespaces/1/device_path", "/dev/\xff\xfe\n");
	ctx = unit_ctx(root);
	snprintf(path, sizeof(path), "%s/out.json", root);
	ck_assert_int_eq(vn_nvmet_save(ctx, path), -EINVAL);
	ck_assert_msg(strstr(vn_ctx_error(ctx), "namespace 1") &&
		      strstr(vn_ctx_error(ctx), "UTF-8"), "%s", vn_ctx_error(ctx));
	ck_assert(!exists(root, "out.json"));
	ck_assert(!exists(root, "out.json.temp"));
	vn_ctx_free(ctx);
	unit_rmtree(root);
	free(root);
}
END_TEST

/* A symlink planted at FILE.temp is never followed. */
START_TEST(save_never_follows_a_planted_symlink)
{
	char *root = unit_tmpdir(), path[PATH_MAX], victim[PATH_MAX], tmp[PATH_MAX];
	struct vn_ctx *ctx;
	struct stat st;

	make_tree(root);
	unit_write(root, "victim", "precious\n");
	snprintf(victim, sizeof(victim), "%s/victim", root);
	snprintf(path, sizeof(path), "%s/out.json", root);
	snprintf(tmp, sizeof(tmp), "%s/out.json.temp", root);
	ck_assert_int_eq(symlink(victim, tmp), 0);
	ctx = unit_ctx(root);
	ck_assert_int_lt(vn_nvmet_save(ctx, path), 0);
	ck_assert_msg(strstr(vn_ctx_error(ctx), "out.json.temp"), "%s", vn_ctx_error(ctx));
	ck_assert_str_eq(unit_read(root, "victim"), "precious\n");
	ck_assert(!exists(root, "out.json"));
	/* without the plant: written, mode 0600, no temp file left */
	ck_assert_int_eq(unlink(tmp), 0);
	vn_ctx_clear_error(ctx);
	ck_assert_int_eq(vn_nvmet_save(ctx, path), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0600);
	ck_assert(!exists(root, "out.json.temp"));
	vn_ctx_free(ctx);
	unit_rmtree(root);
	free(root);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("nvmet");
	TCase *tc = tcase_create("nvmet");

	tcase_add_test(tc, nqn_rules);
	tcase_add_test(tc, host_id_is_always_a_uuid);
	tcase_add_test(tc, json_decode_refuses_long_values);
	tcase_add_test(tc, json_decode_nvmetcli_file);
	tcase_add_test(tc, json_round_trip_is_byte_exact);
	tcase_add_test(tc, json_decode_v07_without_ana);
	tcase_add_test(tc, json_decode_errors);
	tcase_add_test(tc, lab_scenario_restores_the_committed_file);
	tcase_add_test(tc, read_tree_saves_as_nvmetcli);
	tcase_add_test(tc, delete_order_dry_run);
	tcase_add_test(tc, delete_refused_while_connected);
	tcase_add_test(tc, create_refusals_change_nothing);
	tcase_add_test(tc, clear_failure_puts_everything_back);
	tcase_add_test(tc, delete_failure_puts_everything_back);
	tcase_add_test(tc, restore_failure_puts_back_the_running_one);
	tcase_add_test(tc, restore_reports_a_failed_rollback);
	tcase_add_test(tc, clear_interrupted_puts_everything_back);
	tcase_add_test(tc, restore_interrupted_puts_back_the_running_one);
	tcase_add_test(tc, apply_writes_no_empty_value);
	tcase_add_test(tc, restore_checks_every_name_first);
	tcase_add_test(tc, save_refuses_what_json_cannot_hold);
	tcase_add_test(tc, save_never_follows_a_planted_symlink);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
