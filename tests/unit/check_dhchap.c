// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * lib/dhchap.c: DH-HMAC-CHAP keys equal nvme-cli's gen-dhchap-key, byte for
 * byte: known answers recorded from nvme-cli 2.3, and nvme-cli itself when it
 * is installed (tests/deps installs it).
 */
#include "unit.h"

#define NQN "nqn.2014-08.org.nvmexpress:uuid:test"
#define S32 "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define S48 S32 "000102030405060708090a0b0c0d0e0f"
#define S64 S32 S32

static size_t unhex(const char *hex, uint8_t *out)
{
	size_t n = strlen(hex) / 2;

	for (size_t i = 0; i < n; i++)
		sscanf(hex + 2 * i, "%2hhx", &out[i]);
	return n;
}

static const char *key(struct vn_ctx *ctx, const char *hex, int hmac, const char *nqn)
{
	static char out[VN_DHCHAP_STR_SIZE];
	uint8_t secret[64];
	size_t n = unhex(hex, secret);

	ck_assert_msg(vn_dhchap_key(ctx, secret, n, hmac, nqn, out, sizeof(out)) == 0,
		      "%s", vn_ctx_error(ctx));
	return out;
}

/* Recorded with nvme-cli 2.3: nvme gen-dhchap-key --secret=S -m M -n N */
START_TEST(test_known_answers)
{
	struct vn_ctx *ctx = vn_ctx_new();

	ck_assert_str_eq(key(ctx, S32, 0, NULL),
			 "DHHC-1:00:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR:");
	ck_assert_str_eq(key(ctx, S32, 1, NQN),
			 "DHHC-1:01:WulleCBkG4oCs0iIC3Cit9gBDCLWiZ9PNXuhqytWkBIZkvGy:");
	ck_assert_str_eq(key(ctx, S48, 2, "nqn.x"),
			 "DHHC-1:02:gaXIkmPxEUbMpcu7KXGUA9JW6pVHjb3MzGj2DoigWZuZeRws6a0ORy8J"
			 "19xTqBD2QkNHOQ==:");
	ck_assert_str_eq(key(ctx, S64, 3, "nqn.x"),
			 "DHHC-1:03:XIji1hvTvjvgw861Q/lgZlwVckJOCB59OWwsTsWJRHo5D4vgSl3w4PQ3"
			 "8FN4HVZ25tHgNTxRk3TUZYpHXVGNtKBhdXs=:");
	vn_ctx_free(ctx);
}
END_TEST

/* The same against the nvme-cli on this machine, if there is one. */
START_TEST(test_against_nvme_cli)
{
	static const struct { const char *hex; int hmac; const char *nqn; } cases[] = {
		{ S32, 0, NQN }, { S32, 1, NQN }, { S48, 2, NQN }, { S64, 3, NQN },
		{ S48, 0, NQN }, { S32, 1, "nqn.2026-11.example:host-a" },
	};
	struct vn_ctx *ctx = vn_ctx_new();
	char cmd[512], line[VN_DHCHAP_STR_SIZE + 2];
	FILE *p;

	if (system("command -v nvme >/dev/null 2>&1") != 0) {
		fprintf(stderr, "check_dhchap: no nvme-cli here, compared with the "
			"recorded answers only\n");
		vn_ctx_free(ctx);
		return;
	}
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(cmd, sizeof(cmd), "nvme gen-dhchap-key --secret=%s -l %zu -m %d -n %s",
			 cases[i].hex, strlen(cases[i].hex) / 2, cases[i].hmac, cases[i].nqn);
		p = popen(cmd, "r");
		ck_assert_ptr_nonnull(p);
		ck_assert_ptr_nonnull(fgets(line, sizeof(line), p));
		pclose(p);
		line[strcspn(line, "\n")] = '\0';
		ck_assert_str_eq(key(ctx, cases[i].hex, cases[i].hmac, cases[i].nqn), line);
	}
	vn_ctx_free(ctx);
}
END_TEST

START_TEST(test_random_and_check)
{
	struct vn_ctx *ctx = vn_ctx_new();
	char a[VN_DHCHAP_STR_SIZE], b[VN_DHCHAP_STR_SIZE];

	ck_assert_int_eq(vn_dhchap_key(ctx, NULL, 48, 0, NULL, a, sizeof(a)), 0);
	ck_assert_int_eq(vn_dhchap_key(ctx, NULL, 48, 0, NULL, b, sizeof(b)), 0);
	ck_assert_str_ne(a, b);
	ck_assert_int_eq(strlen(a), 10 + 72 + 1);
	ck_assert_int_eq(vn_dhchap_check(ctx, a), 0);
	ck_assert_int_eq(vn_dhchap_key(ctx, NULL, 64, 3, NQN, a, sizeof(a)), 0);
	ck_assert_int_eq(vn_dhchap_check(ctx, a), 3);
	ck_assert_int_eq(vn_dhchap_check(ctx, key(ctx, S32, 1, NQN)), 1);
	/* one character changed: the CRC catches it */
	strcpy(a, key(ctx, S32, 0, NULL));
	a[12] = a[12] == 'A' ? 'B' : 'A';
	ck_assert_int_eq(vn_dhchap_check(ctx, a), -EINVAL);
	ck_assert_ptr_nonnull(strstr(vn_ctx_error(ctx), "CRC"));
	ck_assert_int_eq(vn_dhchap_check(ctx, "DHHC-1:04:AAAA:"), -EINVAL);
	ck_assert_int_eq(vn_dhchap_check(ctx, "DHHC-1:00:AAECAwQF:"), -EINVAL);
	ck_assert_int_eq(vn_dhchap_check(ctx, "secret"), -EINVAL);
	/* found by tests/fuzz/dhchap.c: cut short after the prefix, it was read
	 * past its end; a sign or a space is no hex digit */
	ck_assert_int_eq(vn_dhchap_check(ctx, "DHHC-1:0"), -EINVAL);
	ck_assert_int_eq(vn_dhchap_check(ctx, "DHHC-1:"), -EINVAL);
	strcpy(a, key(ctx, S32, 1, NQN));
	a[7] = '+';
	ck_assert_int_eq(vn_dhchap_check(ctx, a), -EINVAL);
	a[7] = ' ';
	ck_assert_int_eq(vn_dhchap_check(ctx, a), -EINVAL);
	vn_ctx_free(ctx);
}
END_TEST

START_TEST(test_refusals)
{
	struct vn_ctx *ctx = vn_ctx_new();
	char *root = unit_tmpdir();
	char out[VN_DHCHAP_STR_SIZE];
	uint8_t s[64] = { 0 };

	ck_assert_int_eq(vn_dhchap_key(ctx, s, 16, 0, NULL, out, sizeof(out)), -EINVAL);
	ck_assert_int_eq(vn_dhchap_key(ctx, s, 32, 2, NQN, out, sizeof(out)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(vn_ctx_error(ctx), "48 bytes"));
	ck_assert_int_eq(vn_dhchap_key(ctx, s, 32, 4, NQN, out, sizeof(out)), -EINVAL);
	ck_assert_int_eq(vn_dhchap_key(ctx, s, 32, 1, "", out, sizeof(out)), -EINVAL);
	/* no NQN given: /etc/nvme/hostnqn, as nvme-cli */
	ck_assert_int_eq(vn_ctx_set_root(ctx, root), 0);
	ck_assert_int_eq(vn_dhchap_key(ctx, s, 32, 1, NULL, out, sizeof(out)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(vn_ctx_error(ctx), "/etc/nvme/hostnqn"));
	unit_write(root, "/etc/nvme/hostnqn", NQN "\n");
	ck_assert_str_eq(key(ctx, S32, 1, NULL),
			 "DHHC-1:01:WulleCBkG4oCs0iIC3Cit9gBDCLWiZ9PNXuhqytWkBIZkvGy:");
	unit_rmtree(root);
	free(root);
	vn_ctx_free(ctx);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dhchap");
	TCase *tc = tcase_create("dhchap");

	tcase_add_test(tc, test_known_answers);
	tcase_add_test(tc, test_against_nvme_cli);
	tcase_add_test(tc, test_random_and_check);
	tcase_add_test(tc, test_refusals);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
