// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * lib/stack.c: stack documents (good and bad, field-precise errors, the
 * encode/decode round trip), identity by serial on the lab's captured tree,
 * md tuning writes under a temporary root, and lib/lock.c's lock.
 */
#include <sys/file.h>

#include "unit.h"

#ifndef DATA_DIR
#define DATA_DIR "tests/unit/data"
#endif

#define HOSTNQN "nqn.2014-08.org.nvmexpress:uuid:0d3f6a52-8a4b-4c1e-9d57-2f1b6c0e7a91"
#define TLS_KEY "NVMeTLSkey-1:01:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvEhwtdWwNf9LrZ:"

/* The article's drive (vnvme-stack(5)'s example). */
static const char article[] =
	"{\n"
	"  \"disks\": [\"/dev/sda\", \"/dev/sdb\", \"/dev/sdc\", \"/dev/sdd\", \"/dev/nvme0n1\"],\n"
	"  \"array\": {\n"
	"    \"name\": \"md0\",\n"
	"    \"uuid\": \"3f1c2a9e-7b4d-4e8a-9c1f-0a2b3c4d5e6f\",\n"
	"    \"level\": 5,\n"
	"    \"chunk\": \"512K\",\n"
	"    \"members\": [\n"
	"      {\"device\": \"/dev/sda1\", \"serial\": \"VNVME-HDD0\", \"partition\": 1},\n"
	"      {\"device\": \"/dev/sdb1\", \"serial\": \"VNVME-HDD1\", \"partition\": 1},\n"
	"      \"/dev/sdc1\",\n"
	"      {\"device\": \"/dev/sdd1\", \"wwn\": \"naa.5000c500a1b2c3d4\", \"partition\": 1}\n"
	"    ],\n"
	"    \"journal\": {\"device\": \"/dev/nvme0n1p1\", \"serial\": \"VNVME-NVME0\", "
	"\"partition\": 1},\n"
	"    \"journal_mode\": \"write-back\",\n"
	"    \"write_cache\": \"keep\",\n"
	"    \"tuning\": {\"stripe_cache_size\": 4096, \"group_thread_cnt\": 4}\n"
	"  },\n"
	"  \"cache\": {\"engine\": \"rapiddisk\", \"size\": \"2G\", \"mode\": \"wa\"},\n"
	"  \"export\": {\n"
	"    \"nqn\": \"nqn.2014-08.org.example:vnvme\",\n"
	"    \"namespace\": 1,\n"
	"    \"port\": {\"transport\": \"tcp\", \"address\": \"192.168.1.10\", "
	"\"service\": 4420, \"family\": \"ipv4\"},\n"
	"    \"hosts\": [\"" HOSTNQN "\"]\n"
	"  },\n"
	"  \"connect\": [{\"address\": \"192.168.1.10\", \"nqn\": "
	"\"nqn.2014-08.org.example:vnvme\"}]\n"
	"}\n";

static struct vn_ctx *ctx;
static char *root;

static void setup(void)
{
	root = unit_tmpdir();
	ctx = unit_ctx(root);
}

static void teardown(void)
{
	vn_ctx_free(ctx);
	unit_rmtree(root);
	free(root);
}

START_TEST(test_article_decodes)
{
	struct vn_stack *s = NULL;

	ck_assert_int_eq(vn_stack_decode(ctx, article, &s), 0);
	ck_assert_uint_eq(s->ndisks, 5);
	ck_assert_str_eq(s->disks[4], "/dev/nvme0n1");
	ck_assert(s->has_array && s->has_cache && s->has_export);
	ck_assert_str_eq(s->array.name, "md0");
	ck_assert_str_eq(s->array.uuid, "3f1c2a9e-7b4d-4e8a-9c1f-0a2b3c4d5e6f");
	ck_assert_int_eq(s->array.level, 5);
	ck_assert_uint_eq(s->array.chunk_kib, 512);
	ck_assert_uint_eq(s->array.nmembers, 4);
	ck_assert_str_eq(s->array.members[1].serial, "VNVME-HDD1");
	ck_assert_uint_eq(s->array.members[1].partition, 1);
	ck_assert_str_eq(s->array.members[2].device, "/dev/sdc1");
	ck_assert_str_eq(s->array.members[2].serial, "");
	ck_assert_str_eq(s->array.members[3].wwn, "naa.5000c500a1b2c3d4");
	ck_assert(s->array.has_journal);
	ck_assert_str_eq(s->array.journal.device, "/dev/nvme0n1p1");
	ck_assert_str_eq(s->array.journal_mode, "write-back");
	ck_assert(s->array.keep_write_cache);
	ck_assert_uint_eq(s->array.stripe_cache_size, 4096);
	ck_assert_uint_eq(s->array.group_thread_cnt, 4);
	ck_assert_str_eq(s->cache.engine, "rapiddisk");
	ck_assert_uint_eq(s->cache.size_bytes, 2ULL << 30);
	ck_assert_int_eq(s->cache.mode, VN_CACHE_WA);
	ck_assert_str_eq(s->export_.nqn, "nqn.2014-08.org.example:vnvme");
	ck_assert_uint_eq(s->export_.nsid, 1);
	ck_assert_str_eq(s->export_.address, "192.168.1.10");
	ck_assert_uint_eq(s->export_.service, 4420);
	ck_assert_str_eq(s->export_.family, "ipv4");
	ck_assert_uint_eq(s->export_.nhosts, 1);
	ck_assert_str_eq(s->export_.hosts[0], HOSTNQN);
	ck_assert_uint_eq(s->nconnect, 1);
	ck_assert_str_eq(s->connect[0].transport, "tcp");
	ck_assert_uint_eq(s->connect[0].service, 4420);
	free(s);
}
END_TEST

/* Defaults: no tuning, no chunk, family from the address, port 4420. */
START_TEST(test_defaults)
{
	static const char doc[] =
		"{\"array\": {\"name\": \"md3\", \"level\": \"raid1\", "
		"\"members\": [\"/dev/sda1\", \"/dev/sdb1\"]},"
		" \"export\": {\"nqn\": \"nqn.2014-08.org.example:m\", "
		"\"port\": {\"address\": \"fd00::1\"}, \"allow_any_host\": true}}";
	struct vn_stack *s = NULL;
	char name[64];

	ck_assert_int_eq(vn_stack_decode(ctx, doc, &s), 0);
	ck_assert_int_eq(s->array.level, 1);
	ck_assert_uint_eq(s->array.chunk_kib, 0);
	ck_assert(!s->array.has_journal);
	ck_assert_uint_eq(s->array.stripe_cache_size, 0);
	ck_assert_uint_eq(s->array.group_thread_cnt, UINT64_MAX);
	ck_assert(!s->has_cache);
	ck_assert_str_eq(s->export_.family, "ipv6");
	ck_assert_str_eq(s->export_.transport, "tcp");
	ck_assert_uint_eq(s->export_.service, 4420);
	ck_assert(s->export_.allow_any_host);
	s->cache.mode = VN_CACHE_WT;
	ck_assert_int_eq(vn_stack_cache_name(s, "md3", name, sizeof(name)), 0);
	ck_assert_str_eq(name, "rc-wt_md3");
	free(s);
}
END_TEST

/* encode(decode(x)) is a fixed point: save, up, save gives the same file. */
START_TEST(test_round_trip)
{
	struct vn_stack *s = NULL, *s2 = NULL;
	char *t1 = NULL, *t2 = NULL;

	ck_assert_int_eq(vn_stack_decode(ctx, article, &s), 0);
	ck_assert_int_eq(vn_stack_encode(s, &t1), 0);
	ck_assert_int_eq(vn_stack_decode(ctx, t1, &s2), 0);
	ck_assert_int_eq(vn_stack_encode(s2, &t2), 0);
	ck_assert_str_eq(t1, t2);
	ck_assert_ptr_nonnull(strstr(t1, "\"chunk\": \"512K\""));
	ck_assert_ptr_nonnull(strstr(t1, "\"size\": \"2048M\""));
	ck_assert_ptr_nonnull(strstr(t1, "\"serial\": \"VNVME-HDD1\""));
	ck_assert_ptr_nonnull(strstr(t1, "\"wwn\": \"naa.5000c500a1b2c3d4\""));
	/* key order fixed: array before cache before export */
	ck_assert(strstr(t1, "\"array\"") < strstr(t1, "\"cache\""));
	ck_assert(strstr(t1, "\"cache\"") < strstr(t1, "\"export\""));
	free(t1);
	free(t2);
	free(s);
	free(s2);
}
END_TEST

static char *edit(const char *from, const char *to);

START_TEST(test_tls_round_trip)
{
	char *doc = edit("\"hosts\": [\"" HOSTNQN "\"]", "\"hosts\": [\"" HOSTNQN "\"], "
			 "\"tls\": true, \"tls_key\": \"" TLS_KEY "\"");
	struct vn_stack *s = NULL, *s2 = NULL;
	char *t1 = NULL, *t2 = NULL;

	ck_assert_msg(vn_stack_decode(ctx, doc, &s) == 0, "%s", vn_ctx_error(ctx));
	ck_assert(s->export_.tls);
	ck_assert_str_eq(s->export_.tls_key, TLS_KEY);
	ck_assert_int_eq(vn_stack_encode(s, &t1), 0);
	ck_assert_int_eq(vn_stack_decode(ctx, t1, &s2), 0);
	ck_assert_int_eq(vn_stack_encode(s2, &t2), 0);
	ck_assert_str_eq(t1, t2);
	ck_assert_ptr_nonnull(strstr(t1, "\"tls\": true,\n    \"tls_key\": \"" TLS_KEY "\""));
	free(doc);
	free(t1);
	free(t2);
	free(s);
	free(s2);
}
END_TEST

/* Replace the first @from in the article with @to. */
static char *edit(const char *from, const char *to)
{
	const char *at = strstr(article, from);
	char *out;

	ck_assert_msg(at != NULL, "'%s' not in the article", from);
	ck_assert(asprintf(&out, "%.*s%s%s", (int)(at - article), article, to,
			   at + strlen(from)) > 0);
	return out;
}

static const struct {
	const char *from, *to, *error;
} bad_docs[] = {
	{ "\"level\": 5", "\"level\": 7", "array.level: 7 is not a RAID level" },
	{ "\"level\": 5", "\"level\": \"raid9\"", "array.level: 'raid9' is not a RAID level" },
	{ "\"level\": 5", "\"level\": 5.5", "array.level: is a number, not a RAID level" },
	{ "\"level\": 5", "\"level\": 4294967301",
	  "array.level: 4294967301 is not a RAID level" },
	{ "\"level\": 5", "\"level\": \"raid4294967301\"",
	  "array.level: 'raid4294967301' is not a RAID level" },
	{ "\"level\": 5,", "", "array.level: missing" },
	{ "\"name\": \"md0\"", "\"name\": \"data\"", "array.name: 'data' is not an md device" },
	{ "\"chunk\": \"512K\"", "\"chunk\": \"5k\"", "array.chunk: 5120 bytes is not a multiple" },
	{ "\"chunk\"", "\"chunck\"", "array.chunck: unknown key" },
	{ "3f1c2a9e-7b4d", "3f1c2a9e+7b4d", "array.uuid: '3f1c2a9e+7b4d" },
	{ "\"/dev/sdc1\"", "\"sdc1\"", "array.members[2]: 'sdc1' is not a /dev/ path" },
	{ "\"/dev/sdc1\"", "42", "array.members[2]: is an integer, not a device path" },
	{ "\"serial\": \"VNVME-HDD1\", \"partition\": 1", "\"serial\": \"VNVME-HDD1\", "
	  "\"partition\": -1", "array.members[1].partition: -1 is negative" },
	{ "\"journal_mode\": \"write-back\"", "\"journal_mode\": \"fast\"",
	  "array.journal_mode: 'fast' is not write-back or write-through" },
	{ "\"write_cache\": \"keep\"", "\"write_cache\": \"on\"",
	  "array.write_cache: 'on' is not off or keep" },
	{ "\"stripe_cache_size\": 4096", "\"stripe_cache_size\": 99999",
	  "array.tuning.stripe_cache_size: 99999 is out of range (17 to 32768)" },
	{ "\"group_thread_cnt\": 4", "\"group_threads\": 4", "array.tuning.group_threads: "
	  "unknown key" },
	{ "\"size\": \"2G\"", "\"size\": \"lots\"", "cache.size: 'lots' is not a size" },
	{ "\"mode\": \"wa\"", "\"mode\": \"wb\"", "cache.mode: 'wb' is not wa or wt" },
	{ "\"engine\": \"rapiddisk\"", "\"engine\": \"bcache\"",
	  "cache.engine: 'bcache' is not rapiddisk or dm-cache" },
	{ "\"service\": 4420, \"family\"", "\"service\": 99999, \"family\"",
	  "export.port.service: 99999 is out of range (1 to 65535)" },
	{ "\"address\": \"192.168.1.10\", ", "\"address\": \"300.1.1.1\", ",
	  "export.port.address: '300.1.1.1' is not an IPv4 or IPv6 address" },
	{ "[{\"address\": \"192.168.1.10\"", "[{\"address\": \"host.example\"",
	  "connect[0].address: 'host.example' is not an IPv4 or IPv6 address" },
	{ "\"transport\": \"tcp\"", "\"transport\": \"rdma\"",
	  "export.port.transport: 'rdma' is not tcp" },
	{ "\"family\": \"ipv4\"", "\"family\": \"ipx\"", "export.port.family: 'ipx' is not" },
	{ "\"hosts\": [\"" HOSTNQN "\"]", "\"hosts\": []", "export: no host may connect" },
	{ "\"hosts\": [\"" HOSTNQN "\"]", "\"hosts\": [\"" HOSTNQN "\"], \"uuid\": \"1234\"",
	  "export.uuid: '1234' is not a UUID" },
	{ "\"hosts\": [\"" HOSTNQN "\"]", "\"hosts\": [\"" HOSTNQN "\"], \"nguid\": "
	  "\"3b6e1a52-9c07-4f2e-a461-0d885c93e21\"", "export.nguid: '3b6e1a52" },
	{ "\"hosts\": [\"" HOSTNQN "\"]", "\"hosts\": [\"a b\"]",
	  "export.hosts[0]: NQN 'a b' contains whitespace" },
	{ "\"nqn\": \"nqn.2014-08.org.example:vnvme\",\n    \"namespace\"", "\"namespace\"",
	  "export.nqn: missing" },
	{ "\"namespace\": 1", "\"namespace\": 0", "export.namespace: 0 is out of range" },
	{ "\"connect\": [{", "\"connect\": [{\"port\": 1, ", "connect[0].port: unknown key" },
	{ "\"disks\": [\"/dev/sda\"", "\"disks\": [\"sda\"", "disks[0]: 'sda' is not a /dev/" },
	{ "\"disks\"", "\"disk\"", "disk: unknown key" },
	{ "\"level\": 5,", "\"level\": 5, \"level\": 6,", "duplicate object key" },
	{ "\"tuning\": {", "\"tuning\": [", "line " },
	{ "\"hosts\": [\"" HOSTNQN "\"]", "\"hosts\": [\"" HOSTNQN "\"], \"tls_key\": \""
	  TLS_KEY "\"", "export.tls_key: goes with \"tls\": true" },
	{ "\"hosts\": [\"" HOSTNQN "\"]", "\"hosts\": [\"" HOSTNQN "\"], \"tls\": true, "
	  "\"tls_key\": \"NVMeTLSkey-1:01:AAAA:\"", "export.tls_key: not a TLS pre-shared key" },
	{ "\"connect\": [{", "\"connect\": [{\"tls\": 1, ", "connect[0].tls: is an integer" },
};

START_TEST(test_bad_documents)
{
	char *doc = edit(bad_docs[_i].from, bad_docs[_i].to);
	struct vn_stack *s = (struct vn_stack *)&doc;	/* must stay untouched */

	ck_assert_int_eq(vn_stack_decode(ctx, doc, &s), -EINVAL);
	ck_assert_ptr_eq(s, (struct vn_stack *)&doc);
	ck_assert_int_eq(vn_ctx_error_kind(ctx), VN_ERR_INVALID);
	ck_assert_msg(strstr(vn_ctx_error(ctx), bad_docs[_i].error) != NULL,
		      "error '%s' does not say '%s'", vn_ctx_error(ctx), bad_docs[_i].error);
	free(doc);
}
END_TEST

START_TEST(test_bad_structure)
{
	static const struct {
		const char *doc, *error;
	} docs[] = {
		{ "[]", "the document is a list, not an object" },
		{ "{}", "nothing to do" },
		{ "{\"array\": {\"name\": \"md0\", \"level\": 0, \"members\": [\"/dev/sda\"], "
		  "\"journal\": \"/dev/nvme0n1\"}}", "array.journal: a raid0 has no write journal" },
		{ "{\"array\": {\"name\": \"md0\", \"level\": 5, \"members\": [\"/dev/sda\"], "
		  "\"journal_mode\": \"write-back\"}}", "array.journal_mode: the array has no journal" },
		{ "{\"array\": {\"name\": \"md0\", \"level\": 5, \"members\": [\"/dev/sda\"], "
		  "\"write_cache\": \"keep\"}}", "array.write_cache: the array has no journal" },
		{ "{\"array\": {\"name\": \"md0\", \"level\": 1, \"members\": [\"/dev/sda\"], "
		  "\"tuning\": {\"stripe_cache_size\": 512}}}", "array.tuning: only raid4" },
		{ "{\"array\": {\"name\": \"md0\", \"level\": 5, \"members\": []}}",
		  "array.members: empty" },
		{ "{\"cache\": {\"size\": \"1G\"}}", "cache: a cache needs an array" },
		{ "{\"array\": {\"name\": \"md0\", \"level\": 5, \"members\": [\"/dev/sda\"]}, "
		  "\"export\": {\"nqn\": \"nqn.2014-08.org.example:x\", \"hosts\": [\"h\"]}}",
		  "export.port: missing" },
		{ "{\"array\": {\"name\": \"md0\", \"level\": 5, \"members\": [\"/dev/sda\"]}, "
		  "\"export\": {\"nqn\": \"" VN_NQN_DISCOVERY "\", \"allow_any_host\": true}}",
		  "export.nqn: '" VN_NQN_DISCOVERY "' is the discovery subsystem" },
		{ "{\"array\": 1}", "array: is an integer, not an object" },
		{ "{\"array\"", "line 1, column " },
	};

	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		struct vn_stack *s = NULL;

		vn_ctx_clear_error(ctx);
		ck_assert_int_eq(vn_stack_decode(ctx, docs[i].doc, &s), -EINVAL);
		ck_assert_ptr_null(s);
		ck_assert_msg(strstr(vn_ctx_error(ctx), docs[i].error) != NULL,
			      "%s: error '%s' does not say '%s'", docs[i].doc,
			      vn_ctx_error(ctx), docs[i].error);
	}
}
END_TEST

START_TEST(test_load_file)
{
	char path[4096];
	struct vn_stack *s = NULL;

	snprintf(path, sizeof(path), "%s/stack.json", root);
	unit_write(root, "stack.json", article);
	ck_assert_int_eq(vn_stack_load(ctx, path, &s), 0);
	ck_assert_uint_eq(s->array.nmembers, 4);
	free(s);
	snprintf(path, sizeof(path), "%s/missing.json", root);
	ck_assert_int_eq(vn_stack_load(ctx, path, &s), -ENOENT);
	ck_assert_ptr_nonnull(strstr(vn_ctx_error(ctx), "cannot open it"));
}
END_TEST

/* ---- identity, on the tree captured in the lab guest ---- */

START_TEST(test_resolve_by_serial)
{
	struct vn_stack_dev moved = { .device = "/dev/sdz1", .serial = "VNVME-HDD1",
				      .partition = 1 };
	struct vn_stack_dev gone = { .device = "/dev/sdz1", .serial = "NO-SUCH",
				     .partition = 1 };
	struct vn_stack_dev plain = { .device = "/dev/sdc1" };
	struct vn_stack_dev d;
	char name[64];

	unit_load_capture(root, DATA_DIR "/sysfs-lab.txt");
	/* the serial wins over a stale /dev name */
	ck_assert_int_eq(vn_stack_resolve(ctx, &moved, name, sizeof(name)), 0);
	ck_assert_str_eq(name, "sdb1");
	ck_assert_int_eq(vn_stack_resolve(ctx, &plain, name, sizeof(name)), 0);
	ck_assert_str_eq(name, "sdc1");
	ck_assert_int_eq(vn_stack_resolve(ctx, &gone, name, sizeof(name)), -ENODEV);
	ck_assert_ptr_nonnull(strstr(vn_ctx_error(ctx), "no disk with serial NO-SUCH"));
	/* and the way back: what save writes */
	ck_assert_int_eq(vn_stack_describe_dev(ctx, "/dev/sdc1", &d), 0);
	ck_assert_str_eq(d.device, "/dev/sdc1");
	ck_assert_str_eq(d.serial, "VNVME-HDD2");
	ck_assert_uint_eq(d.partition, 1);
}
END_TEST

/* ---- tuning ---- */

START_TEST(test_tuning)
{
	uint64_t stripe = 0, threads = 0;

	unit_write(root, "sys/block/md0/md/stripe_cache_size", "256\n");
	unit_write(root, "sys/block/md0/md/group_thread_cnt", "0");
	ck_assert_int_eq(vn_stack_tune_read(ctx, "md0", &stripe, &threads), 0);
	ck_assert_uint_eq(stripe, 256);
	ck_assert_uint_eq(threads, 0);
	ck_assert_int_eq(vn_stack_tune_apply(ctx, "md0", 4096, 4), 2);
	ck_assert_str_eq(unit_read(root, "sys/block/md0/md/stripe_cache_size"), "4096");
	ck_assert_str_eq(unit_read(root, "sys/block/md0/md/group_thread_cnt"), "4");
	/* already so: nothing written */
	ck_assert_int_eq(vn_stack_tune_apply(ctx, "md0", 4096, 4), 0);
	/* left alone */
	ck_assert_int_eq(vn_stack_tune_apply(ctx, "md0", 0, UINT64_MAX), 0);
	vn_ctx_set_dry_run(ctx, true);
	ck_assert_int_eq(vn_stack_tune_apply(ctx, "md0", 512, 4), 1);
	ck_assert_str_eq(unit_read(root, "sys/block/md0/md/stripe_cache_size"), "4096");
	ck_assert_int_eq(vn_stack_tune_apply(ctx, "md1", 512, 4), -ENOENT);
}
END_TEST

/* ---- lock ---- */

START_TEST(test_lock)
{
	char path[4096];
	int fd, fd2;

	fd = vn_lock_take(ctx, "up stack.json", 1000);
	ck_assert_int_ge(fd, 0);
	snprintf(path, sizeof(path), "%d vnvme up stack.json\n", (int)getpid());
	ck_assert_str_eq(unit_read(root, "run/lock/vnvme.lock"), path);
	/* a second holder (another open file description) waits, then names the first */
	fd2 = vn_lock_take(ctx, "down stack.json", 300);
	ck_assert_int_eq(fd2, -EWOULDBLOCK);
	snprintf(path, sizeof(path), "pid %d vnvme up stack.json", (int)getpid());
	ck_assert_msg(strstr(vn_ctx_error(ctx), path) != NULL, "%s", vn_ctx_error(ctx));
	vn_lock_release(fd);
	fd2 = vn_lock_take(ctx, "down stack.json", 300);
	ck_assert_int_ge(fd2, 0);
	vn_lock_release(fd2);
	ck_assert_str_eq(unit_read(root, "run/lock/vnvme.lock"), "");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("stack");
	TCase *tc = tcase_create("documents");
	TCase *tk = tcase_create("kernel");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_article_decodes);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_tls_round_trip);
	tcase_add_loop_test(tc, test_bad_documents, 0,
			    (int)(sizeof(bad_docs) / sizeof(bad_docs[0])));
	tcase_add_test(tc, test_bad_structure);
	tcase_add_test(tc, test_load_file);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(tk, setup, teardown);
	tcase_add_test(tk, test_resolve_by_serial);
	tcase_add_test(tk, test_tuning);
	tcase_add_test(tk, test_lock);
	suite_add_tcase(s, tk);
	return unit_run(s);
}
