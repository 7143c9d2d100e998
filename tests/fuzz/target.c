// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * Names and addresses from the command line and from files: a connect
 * target (vn_nvme_target_check: transport, address, port, NQNs, host ID),
 * configfs names (vn_nvmet_name_check), NQNs (vn_nvmet_nqn_check), UUIDs
 * (vn_uuid_valid), md array names (vn_md_status: /dev/mdN, mdN; no
 * /proc/mdstat here), and the host identity from /etc/nvme/hostnqn and hostid
 * (vn_nvme_host_identity, dry run). The input is up to six lines: transport,
 * address, port, NQN, host NQN, host ID.
 */
#include "fuzz.h"

#define FIELDS 6

static void check_name(struct vn_ctx *ctx, const char *s)
{
	static struct vn_md_status st;
	int r = vn_nvmet_name_check(ctx, "name", s, VN_NQN_SIZE - 1);

	if (r == 0) {
		FUZZ_ASSERT(s[0] && strlen(s) < VN_NQN_SIZE && !strchr(s, '/'));
		FUZZ_ASSERT(strcmp(s, ".") && strcmp(s, ".."));
		for (const char *p = s; *p; p++)
			FUZZ_ASSERT(*p > ' ' && *p < 0x7f);
	}
	vn_ctx_clear_error(ctx);
	r = vn_nvmet_nqn_check(ctx, s);
	FUZZ_ASSERT(r == 0 || r == 1 || r == -EINVAL);
	if (r >= 0)
		FUZZ_ASSERT(strcmp(s, VN_NQN_DISCOVERY) != 0);
	vn_ctx_clear_error(ctx);
	(void)vn_md_status(ctx, s, &st);
	vn_ctx_clear_error(ctx);
	if (vn_uuid_valid(s))
		FUZZ_ASSERT(strlen(s) == 36);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vn_ctx *ctx = fuzz_ctx();
	char *text = fuzz_str(data, size), *f[FIELDS] = { NULL };
	char saved[VN_NQN_SIZE] = "";
	struct vn_nvme_identity id;
	struct vn_nvme_target t;
	int n = 0, r;

	for (char *p = text, *nl; n < FIELDS && p; p = nl ? nl + 1 : NULL) {
		nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		f[n++] = p;
	}
	for (int i = 0; i < n; i++)
		check_name(ctx, f[i]);
	t = (struct vn_nvme_target){ .transport = f[0], .traddr = f[1], .trsvcid = f[2],
				     .nqn = f[3], .hostnqn = f[4], .hostid = f[5] };
	r = vn_nvme_target_check(ctx, &t);
	FUZZ_ASSERT(r == 0 || r == -EINVAL);
	if (r == 0) {
		FUZZ_ASSERT(strcmp(t.transport, "tcp") == 0 && t.traddr[0]);
		FUZZ_ASSERT(!t.hostid || vn_uuid_valid(t.hostid));
	}
	vn_ctx_clear_error(ctx);

	/* the saved identity: line 4 the file's host NQN, line 5 its host ID */
	fuzz_write_str("/etc/nvme/hostnqn", f[3] ? f[3] : "");
	fuzz_write_str("/etc/nvme/hostid", f[4] ? f[4] : "");
	vn_ctx_set_dry_run(ctx, true);
	if (f[3] && f[3][0] && !strchr(f[3], '\n')) {
		(void)vn_nvme_host_identity(ctx, NULL, NULL, &id);
		vn_ctx_clear_error(ctx);
	}
	/* another NQN than the saved one: its host ID is made from it */
	(void)vn_read_str(ctx, saved, sizeof(saved), "/etc/nvme/hostnqn");
	if (f[1] && vn_nvme_host_identity(ctx, f[1], NULL, &id) == 0 &&
	    strcmp(f[1], saved) != 0)
		FUZZ_ASSERT(vn_uuid_valid(id.hostid));
	vn_ctx_set_dry_run(ctx, false);
	vn_ctx_clear_error(ctx);
	free(text);
	return 0;
}
