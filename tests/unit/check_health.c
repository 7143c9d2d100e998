// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * lib/health.c and lib/check.c: each layer's health from what the kernel
 * shows, the preflight's verdicts on temporary trees, and the exit codes
 * `vnvme status`, `vnvme raid status` and `vnvme check` give for them.
 */
#include <sys/wait.h>

#include "unit.h"
#include "commands.h"

#define DATA "tests/unit/data/md/"

static struct vn_health_report rep;

/* A captured file of tests/unit/data/md (unit_read's static buffer). */
static const char *load_text(const char *name)
{
	char rel[PATH_MAX];

	snprintf(rel, sizeof(rel), DATA "%s", name);
	ck_assert_msg(access(rel, R_OK) == 0, "cannot open %s", rel);
	return unit_read(".", rel);
}

/* Is there a note of health @h whose text holds @text? */
static bool noted(enum vn_health h, const char *text)
{
	for (unsigned int i = 0; i < rep.n; i++)
		if (rep.notes[i].health == h && strstr(rep.notes[i].text, text))
			return true;
	return false;
}

/* A running array of @level with @n members in slots 0.., and a health string. */
static struct vn_md_status array(const char *level, unsigned int n, const char *health)
{
	struct vn_md_status st = { .active = true, .sync_percent = -1, .sync_finish_min = -1 };

	snprintf(st.name, sizeof(st.name), "md0");
	snprintf(st.level, sizeof(st.level), "%s", level);
	snprintf(st.array_state, sizeof(st.array_state), "clean");
	snprintf(st.health, sizeof(st.health), "%s", health);
	st.raid_disks = n;
	for (unsigned int i = 0; i < n; i++) {
		struct vn_md_member *m = &st.members[st.nmembers++];

		snprintf(m->name, sizeof(m->name), "sd%c1", 'a' + i);
		m->slot = health[i] == 'U' ? (int)i : -1;
		m->faulty = health[i] != 'U';
		snprintf(m->state, sizeof(m->state), "%s", m->faulty ? "faulty" : "in_sync");
		st.degraded += m->faulty;
	}
	return st;
}

static void reset(void)
{
	memset(&rep, 0, sizeof(rep));
}

START_TEST(md_levels_survive_what_they_should)
{
	struct vn_md_status st;

	reset();
	st = array("raid5", 4, "UUUU");
	ck_assert_int_eq(vn_health_md(&st, &rep), VN_HEALTH_OK);
	ck_assert_uint_eq(rep.n, 0);
	st = array("raid5", 4, "U_UU");
	ck_assert_int_eq(vn_health_md(&st, &rep), VN_HEALTH_DEGRADED);
	ck_assert(noted(VN_HEALTH_DEGRADED, "member /dev/sdb1 is faulty"));
	ck_assert(noted(VN_HEALTH_DEGRADED, "1 of 4 members missing [U_UU], slot 1"));
	/* the end of a recovery: md/degraded already 0, mdstat still [UUU_] */
	reset();
	st = array("raid5", 4, "UUUU");
	snprintf(st.health, sizeof(st.health), "UUU_");
	ck_assert_int_eq(vn_health_md(&st, &rep), VN_HEALTH_DEGRADED);
	ck_assert(noted(VN_HEALTH_DEGRADED, "1 of 4 members missing [UUU_], slot 3"));
	reset();
	st = array("raid5", 4, "U__U");
	ck_assert_int_eq(vn_health_md(&st, &rep), VN_HEALTH_FAILED);
	ck_assert(noted(VN_HEALTH_FAILED, "more than raid5 survives"));
	ck_assert_int_eq(rep.health, VN_HEALTH_FAILED);
	reset();
	st = array("raid6", 5, "U__UU");
	ck_assert_int_eq(vn_health_md(&st, &rep), VN_HEALTH_DEGRADED);
	st = array("raid6", 5, "U___U");
	ck_assert_int_eq(vn_health_md(&st, &rep), VN_HEALTH_FAILED);
	st = array("raid1", 2, "U_");
	ck_assert_int_eq(vn_health_md(&st, &rep), VN_HEALTH_DEGRADED);
	st = array("raid1", 2, "__");
	ck_assert_int_eq(vn_health_md(&st, &rep), VN_HEALTH_FAILED);
	/* near-2 raid10: one of each mirror may go, not both of one */
	st = array("raid10", 4, "_U_U");
	ck_assert_int_eq(vn_health_md(&st, &rep), VN_HEALTH_DEGRADED);
	st = array("raid10", 4, "__UU");
	ck_assert_int_eq(vn_health_md(&st, &rep), VN_HEALTH_FAILED);
	st = array("raid0", 2, "UU");
	snprintf(st.array_state, sizeof(st.array_state), "broken");
	ck_assert_int_eq(vn_health_md(&st, &rep), VN_HEALTH_FAILED);
	st = array("raid5", 4, "UUUU");
	st.active = false;
	ck_assert_int_eq(vn_health_md(&st, &rep), VN_HEALTH_FAILED);
}
END_TEST

START_TEST(md_journal_and_leftovers)
{
	struct vn_md_status st;
	struct vn_md_member *j;

	reset();
	st = array("raid5", 4, "UUUU");
	snprintf(st.consistency_policy, sizeof(st.consistency_policy), "journal");
	ck_assert_int_eq(vn_health_md(&st, &rep), VN_HEALTH_FAILED);
	ck_assert(noted(VN_HEALTH_FAILED, "write journal is missing"));
	reset();
	j = &st.members[st.nmembers++];
	*j = (struct vn_md_member){ .slot = -2, .journal = true, .name = "nvme0n1p1",
				    .state = "journal" };
	ck_assert_int_eq(vn_health_md(&st, &rep), VN_HEALTH_OK);
	j->faulty = true;
	ck_assert_int_eq(vn_health_md(&st, &rep), VN_HEALTH_FAILED);
	ck_assert(noted(VN_HEALTH_FAILED, "journal /dev/nvme0n1p1 is faulty"));
	/* replaced: the old member stays listed faulty, the array is whole */
	reset();
	st = array("raid5", 4, "UUUU");
	st.members[st.nmembers++] = (struct vn_md_member){ .slot = -1, .faulty = true,
							   .name = "sde1", .state = "faulty" };
	ck_assert_int_eq(vn_health_md(&st, &rep), VN_HEALTH_OK);
	ck_assert(noted(VN_HEALTH_OK, "member /dev/sde1 is faulty and no longer used"));
}
END_TEST

START_TEST(md_recovery_from_mdstat)
{
	struct vn_md_status st[2];

	reset();
	ck_assert_int_eq(vn_md_mdstat_parse(load_text("mdstat-r5j-recovery.txt"), st, 2), 1);
	ck_assert_int_eq(vn_health_md(&st[0], &rep), VN_HEALTH_DEGRADED);
	ck_assert(noted(VN_HEALTH_DEGRADED, "recovery 0.0%, about 16122 s left"));
	reset();
	ck_assert_int_eq(vn_md_mdstat_parse(load_text("mdstat-r5j-clean.txt"), st, 2), 1);
	ck_assert_int_eq(vn_health_md(&st[0], &rep), VN_HEALTH_OK);
	/* a resync with every member present is information, not degradation */
	reset();
	ck_assert_int_eq(vn_md_mdstat_parse(load_text("mdstat-r6-resync.txt"), st, 2), 1);
	ck_assert_int_eq(vn_health_md(&st[0], &rep), VN_HEALTH_OK);
	ck_assert_uint_eq(rep.n, 1);
	ck_assert(noted(VN_HEALTH_OK, "resync"));
}
END_TEST

START_TEST(cache_export_ctrl_on_a_tree)
{
	char *root = unit_tmpdir();
	struct vn_ctx *ctx = unit_ctx(root);
	struct vn_cache_info c = { .name = "rc-wa_md0", .target = "md0", .cache_dev = "rd0",
				   .mode = VN_CACHE_WA };
	struct vn_nvmet_ns ns = { .nsid = 1, .enabled = true, .nattrs = 1,
				  .attrs = { { "device_path", "/dev/mapper/rc-wa_md0" } } };
	char links[1][VN_NQN_SIZE] = { "nqn.x" };
	struct vn_nvmet_subsys s = { .nqn = "nqn.x", .nns = 1, .ns = &ns, .nhosts = 1 };
	struct vn_nvmet_port p = { .portid = 1, .nsubsys = 1, .subsys = links };
	struct vn_nvmet_config cfg = { .nsubsys = 1, .subsys = &s, .nports = 1, .ports = &p };
	struct vn_nvme_ctrl *ctrls;

	reset();
	unit_write(root, "/sys/class/block/rd0/dev", "252:0\n");
	ck_assert_int_eq(vn_health_cache(ctx, &c, &rep), VN_HEALTH_MISSING);
	ck_assert(noted(VN_HEALTH_MISSING, "its target /dev/md0 is gone"));
	unit_write(root, "/sys/class/block/md0/dev", "9:0\n");
	reset();
	ck_assert_int_eq(vn_health_cache(ctx, &c, &rep), VN_HEALTH_OK);
	ck_assert_uint_eq(rep.n, 0);

	ck_assert_int_eq(vn_health_export(ctx, &cfg, &s, &rep), VN_HEALTH_MISSING);
	ck_assert(noted(VN_HEALTH_MISSING, "its device /dev/mapper/rc-wa_md0 is gone"));
	unit_write(root, "/dev/mapper/rc-wa_md0", "");
	reset();
	ck_assert_int_eq(vn_health_export(ctx, &cfg, &s, &rep), VN_HEALTH_OK);
	ns.enabled = false;
	ck_assert_int_eq(vn_health_export(ctx, &cfg, &s, &rep), VN_HEALTH_MISSING);
	ck_assert(noted(VN_HEALTH_MISSING, "namespace 1 (/dev/mapper/rc-wa_md0) is disabled"));
	ns.enabled = true;
	cfg.nports = 0;
	reset();
	ck_assert_int_eq(vn_health_export(ctx, &cfg, &s, &rep), VN_HEALTH_MISSING);
	ck_assert(noted(VN_HEALTH_MISSING, "linked to no port"));

	/* who is connected: the distinct peers of established sockets on the port */
	{
		char peers[4][VN_PEER_MAX];

		unit_write(root, "/proc/net/tcp",
			   "  sl  local_address rem_address   st\n"
			   "   0: 0100007F:1144 00000000:0000 0A 0\n"
			   "   1: 0100007F:1144 0100007F:C3A2 01 0\n"
			   "   2: 0100007F:1144 0100007F:C3A4 01 0\n"
			   "   3: 0100007F:C3A2 0100007F:1144 01 0\n"
			   "   4: 0100007F:1144 0201A8C0:D000 06 0\n");
		unit_write(root, "/proc/net/tcp6", "  sl  local_address\n"
			   "   0: 00000000000000000000000001000000:1144 "
			   "0000000000000000FFFF00000501A8C0:9000 01 0\n");
		ck_assert_int_eq(vn_tcp_peers(ctx, 4420, peers, 4), 2);
		ck_assert_str_eq(peers[0], "127.0.0.1");
		ck_assert_str_eq(peers[1], "::ffff:192.168.1.5");
		ck_assert_int_eq(vn_tcp_peers(ctx, 4421, peers, 4), 0);
	}

	/* the host side: a PCIe drive and a fabrics controller with its multipath head */
	unit_write(root, "/sys/class/nvme/nvme0/transport", "pcie\n");
	unit_write(root, "/sys/class/nvme/nvme0/state", "live\n");
	unit_write(root, "/sys/class/nvme/nvme1/transport", "tcp\n");
	unit_write(root, "/sys/class/nvme/nvme1/state", "connecting\n");
	unit_write(root, "/sys/class/nvme/nvme1/subsysnqn", "nqn.x\n");
	unit_write(root, "/sys/class/nvme/nvme1/address", "traddr=127.0.0.1,trsvcid=4420\n");
	unit_write(root, "/sys/class/nvme/nvme1/nvme1c1n1/dev", "259:3\n");
	unit_write(root, "/sys/class/nvme-subsystem/nvme-subsys1/nvme1/state", "x\n");
	unit_write(root, "/sys/class/nvme-subsystem/nvme-subsys1/nvme1n1/dev", "259:4\n");
	ck_assert_int_eq(vn_nvme_ctrl_list(ctx, &ctrls), 2);
	ck_assert_str_eq(ctrls[1].name, "nvme1");
	ck_assert_str_eq(ctrls[1].dev, "nvme1n1");
	ck_assert_str_eq(ctrls[1].transport, "tcp");
	reset();
	ck_assert_int_eq(vn_health_ctrl(&ctrls[1], &rep), VN_HEALTH_MISSING);
	ck_assert(noted(VN_HEALTH_MISSING, "controller nvme1 for nqn.x is connecting"));
	snprintf(ctrls[1].state, sizeof(ctrls[1].state), "live");
	ck_assert_int_eq(vn_health_ctrl(&ctrls[1], &rep), VN_HEALTH_OK);
	snprintf(ctrls[1].state, sizeof(ctrls[1].state), "dead");
	ck_assert_int_eq(vn_health_ctrl(&ctrls[1], &rep), VN_HEALTH_FAILED);
	free(ctrls);
	vn_ctx_free(ctx);
	unit_rmtree(root);
	free(root);
}
END_TEST

/* ---- check ---- */

static void loaded(const char *root, const char *module)
{
	char rel[128];

	snprintf(rel, sizeof(rel), "/sys/module/%s/initstate", module);
	unit_write(root, rel, "live\n");
}

static void machine(const char *root, bool rapiddisk)
{
	static const char *const mods[] = { "md_mod", "raid456", "dm_mod", "dm_cache",
		"dm_cache_smq", "zram", "configfs", "nvmet", "nvmet_tcp", "nvme_fabrics",
		"nvme_tcp" };

	for (size_t i = 0; i < sizeof(mods) / sizeof(mods[0]); i++)
		loaded(root, mods[i]);
	if (rapiddisk) {
		loaded(root, "rapiddisk");
		loaded(root, "rapiddisk_cache");
	}
	unit_write(root, "/proc/sys/kernel/osrelease", "6.1.0-lab-amd64\n");
	unit_write(root, "/proc/meminfo", "MemTotal:        2000000 kB\n"
		   "MemFree:         1500000 kB\nMemAvailable:    1800000 kB\n");
	unit_write(root, "/proc/self/mountinfo", "30 20 0:26 / /sys/kernel/config rw - "
		   "configfs none rw\n");
}

static const struct vn_check_finding *found(const struct vn_check_report *r,
					    enum vn_check_level level, const char *text)
{
	for (unsigned int i = 0; i < r->nfindings; i++)
		if (r->findings[i].level == level && (strstr(r->findings[i].text, text) ||
						      strstr(r->findings[i].meaning, text)))
			return &r->findings[i];
	return NULL;
}

START_TEST(check_modules_engine_and_auth)
{
	char *root = unit_tmpdir();
	struct vn_ctx *ctx = unit_ctx(root);
	struct vn_check_req req = { .needs = VN_NEED_DEFAULT };
	struct vn_check_report *r = malloc(sizeof(*r));

	machine(root, true);
	ck_assert_int_eq(vn_check(ctx, &req, r), 0);
	ck_assert(r->ok);
	ck_assert_str_eq(r->release, "6.1.0-lab-amd64");
	ck_assert_str_eq(r->cache_engine, "rapiddisk");
	ck_assert(r->configfs_mounted);
	ck_assert_uint_eq(r->mem_available_bytes, 1800000ull * 1024);
	/* no nvmet host, no /boot/config: nvmet without nvme-auth has none */
	ck_assert_int_eq(r->auth, 0);
	loaded(root, "nvme_auth");
	ck_assert_int_eq(vn_check(ctx, &req, r), 0);
	ck_assert_int_eq(r->auth, -1);	/* nvme-auth may serve the host side only */
	ck_assert_ptr_nonnull(found(r, VN_CHECK_INFO, "cannot tell"));
	ck_assert_int_eq(r->modules[1].state, VN_KMOD_LOADED);

	/* 6.1: a host directory without dhchap_key; a kernel config saying so */
	unit_write(root, "/sys/kernel/config/nvmet/hosts/nqn.h/.keep", "");
	ck_assert_int_eq(vn_check(ctx, &req, r), 0);
	ck_assert_int_eq(r->auth, 0);
	ck_assert(r->ok);	/* not needed by default */
	req.needs |= VN_NEED_AUTH;
	ck_assert_int_eq(vn_check(ctx, &req, r), 0);
	ck_assert(!r->ok);
	ck_assert_ptr_nonnull(found(r, VN_CHECK_MISSING, "no NVMe in-band authentication"));
	unit_write(root, "/sys/kernel/config/nvmet/hosts/nqn.h/dhchap_key", "\n");
	ck_assert_int_eq(vn_check(ctx, &req, r), 0);
	ck_assert_int_eq(r->auth, 1);
	ck_assert(r->ok);

	/* without RapidDisk: dm-cache, and a warning that says so */
	unit_rmtree(root);
	machine(root, false);
	req.needs = VN_NEED_DEFAULT;
	ck_assert_int_eq(vn_check(ctx, &req, r), 0);
	ck_assert(r->ok);
	ck_assert_str_eq(r->cache_engine, "dm-cache");
	ck_assert_ptr_nonnull(found(r, VN_CHECK_WARN, "uses the kernel's dm-cache"));

	/* no md: raid cannot work; not needed, it is only information */
	unit_rmtree(root);
	machine(root, true);
	{
		char p[PATH_MAX];

		snprintf(p, sizeof(p), "%s/sys/module/raid456/initstate", root);
		ck_assert_int_eq(unlink(p), 0);
		snprintf(p, sizeof(p), "%s/sys/module/raid456", root);
		ck_assert_int_eq(rmdir(p), 0);
	}
	ck_assert_int_eq(vn_check(ctx, &req, r), 0);
	ck_assert(!r->ok);
	ck_assert_ptr_nonnull(found(r, VN_CHECK_MISSING, "'vnvme raid create --level 5'"));
	ck_assert(found(r, VN_CHECK_MISSING, "raid456")->kernel);
	req.needs = VN_NEED_CACHE | VN_NEED_EXPORT;
	ck_assert_int_eq(vn_check(ctx, &req, r), 0);
	ck_assert(r->ok);
	ck_assert_ptr_nonnull(found(r, VN_CHECK_INFO, "raid456"));
	free(r);
	vn_ctx_free(ctx);
	unit_rmtree(root);
	free(root);
}
END_TEST

static void disk(const char *root, const char *name, const char *lbs, const char *pbs)
{
	char rel[128];

	snprintf(rel, sizeof(rel), "/sys/block/%s/size", name);
	unit_write(root, rel, "524288\n");
	snprintf(rel, sizeof(rel), "/sys/block/%s/dev", name);
	unit_write(root, rel, "8:0\n");
	snprintf(rel, sizeof(rel), "/sys/block/%s/queue/logical_block_size", name);
	unit_write(root, rel, lbs);
	snprintf(rel, sizeof(rel), "/sys/block/%s/queue/physical_block_size", name);
	unit_write(root, rel, pbs);
	snprintf(rel, sizeof(rel), "/sys/block/%s/queue/rotational", name);
	unit_write(root, rel, "1\n");
}

START_TEST(check_block_sizes)
{
	char *root = unit_tmpdir();
	struct vn_ctx *ctx = unit_ctx(root);
	const char *devs[] = { "/dev/sda", "/dev/sdb" };
	struct vn_check_req req = { .needs = VN_NEED_RAID, .devices = devs, .ndevices = 2,
				    .journal = "/dev/nvme0n1" };
	struct vn_check_report *r = malloc(sizeof(*r));

	machine(root, true);
	disk(root, "sda", "512\n", "4096\n");	/* 512e */
	disk(root, "sdb", "512\n", "4096\n");
	disk(root, "nvme0n1", "4096\n", "4096\n");	/* 4Kn */
	ck_assert_int_eq(vn_check(ctx, &req, r), 0);
	ck_assert_uint_eq(r->ndevices, 3);
	ck_assert_uint_eq(r->devices[0].logical_block_size, 512);
	ck_assert_uint_eq(r->devices[0].physical_block_size, 4096);
	ck_assert(r->devices[2].journal);
	ck_assert_ptr_nonnull(found(r, VN_CHECK_WARN, "journal /dev/nvme0n1 has 4096-byte "
				    "logical blocks (4Kn) under members with 512"));
	ck_assert(r->ok);	/* a warning, not a missing piece */
	disk(root, "nvme0n1", "512\n", "512\n");
	ck_assert_int_eq(vn_check(ctx, &req, r), 0);
	ck_assert_ptr_null(found(r, VN_CHECK_WARN, "4Kn"));
	devs[1] = "/dev/sdz";
	ck_assert_int_eq(vn_check(ctx, &req, r), 0);
	ck_assert(!r->ok);
	ck_assert(!found(r, VN_CHECK_MISSING, "sdz")->kernel);
	free(r);
	vn_ctx_free(ctx);
	unit_rmtree(root);
	free(root);
}
END_TEST

/* ---- exit codes through the dispatcher ---- */

static int exit_of(const char *const *args)
{
	char *argv[16];
	int argc = 0, status, null;
	pid_t pid;

	argv[argc++] = (char *)"vnvme";
	for (; *args && argc < 15; args++)
		argv[argc++] = (char *)*args;
	argv[argc] = NULL;
	fflush(NULL);
	pid = fork();
	ck_assert(pid >= 0);
	if (pid == 0) {
		null = open("/dev/null", O_WRONLY);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		_exit(vn_main(argc, argv));
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	return WEXITSTATUS(status);
}

#define EXIT_OF(...) exit_of((const char *const[]){ __VA_ARGS__, NULL })

START_TEST(exit_codes)
{
	char *root = unit_tmpdir();

	ck_assert_int_eq(vn_health_exit(VN_HEALTH_OK), 0);
	ck_assert_int_eq(vn_health_exit(VN_HEALTH_DEGRADED), 10);
	ck_assert_int_eq(vn_health_exit(VN_HEALTH_FAILED), 11);
	ck_assert_int_eq(vn_health_exit(VN_HEALTH_MISSING), 12);
	/* nothing runs: a layer missing */
	ck_assert_int_eq(EXIT_OF("status", "--sysroot", root), 12);
	unit_write(root, "/proc/mdstat", load_text("mdstat-r5j-recovery.txt"));
	ck_assert_int_eq(EXIT_OF("status", "--sysroot", root), 10);
	ck_assert_int_eq(EXIT_OF("raid", "status", "--sysroot", root), 10);
	ck_assert_int_eq(EXIT_OF("raid", "status", "--sysroot", root, "/dev/md0"), 10);
	ck_assert_int_eq(EXIT_OF("raid", "status", "--sysroot", root, "/dev/md7"), 12);
	ck_assert_int_eq(EXIT_OF("status", "--sysroot", root, "/dev/md7"), 12);
	unit_write(root, "/proc/mdstat", load_text("mdstat-r5j-clean.txt"));
	ck_assert_int_eq(EXIT_OF("status", "--sysroot", root), 0);
	ck_assert_int_eq(EXIT_OF("raid", "status", "--sysroot", root), 0);
	ck_assert_int_eq(EXIT_OF("status", "--sysroot", root, "--json"), 0);
	machine(root, true);
	ck_assert_int_eq(EXIT_OF("check", "--sysroot", root), 0);
	unit_write(root, "/sys/kernel/config/nvmet/hosts/nqn.h/.keep", "");
	ck_assert_int_eq(EXIT_OF("check", "--sysroot", root, "--need", "auth"), 4);
	ck_assert_int_eq(EXIT_OF("check", "--sysroot", root, "/dev/sdz"), 1);
	ck_assert_int_eq(EXIT_OF("check", "--sysroot", root, "--need", "nope"), 2);
	unit_rmtree(root);
	free(root);
}
END_TEST

static Suite *health_suite(void)
{
	Suite *s = suite_create("health");
	TCase *tc = tcase_create("health");

	tcase_add_test(tc, md_levels_survive_what_they_should);
	tcase_add_test(tc, md_journal_and_leftovers);
	tcase_add_test(tc, md_recovery_from_mdstat);
	tcase_add_test(tc, cache_export_ctrl_on_a_tree);
	tcase_add_test(tc, check_modules_engine_and_auth);
	tcase_add_test(tc, check_block_sizes);
	tcase_add_test(tc, exit_codes);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run(health_suite());
}
