// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * lib/tls.c: TLS pre-shared keys in the interchange form libnvme and
 * nvme-cli read, the PSK derived for a host and a subsystem, and the
 * .nvme keyring and tlshd found in a /proc tree.
 */
#include "unit.h"

#define HOST "nqn.2014-08.org.nvmexpress:uuid:11111111-2222-4333-8444-555555555555"
#define SUB "nqn.2024-01.io.vnvme:tls"

/* libnvme's own test vector (test/psk.c: nvme_export_tls_key) */
static const uint8_t libnvme_psk[32] = {
	0x55, 0x12, 0xDB, 0xB6, 0x73, 0x7D, 0x01, 0x06, 0xF6, 0x59, 0x75, 0xB7,
	0x73, 0xDF, 0xB0, 0x11, 0xFF, 0xC3, 0x44, 0xBC, 0xF4, 0x42, 0xE2, 0xDD,
	0x6D, 0x8B, 0xC4, 0x87, 0x0B, 0x5D, 0x5B, 0x03,
};
#define LIBNVME_KEY "NVMeTLSkey-1:01:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvEhwtdWwNf9LrZ:"
static const uint8_t nvme_cli_psk[32] = {
	0x50, 0x5b, 0xbf, 0xb0, 0x73, 0x2c, 0x19, 0x9f, 0xa8, 0x6b, 0x68, 0xec,
	0x11, 0xb8, 0xc0, 0x61, 0x7b, 0x2e, 0xc4, 0xf9, 0x6e, 0x0a, 0x47, 0x16,
	0x09, 0xd0, 0x50, 0xed, 0x2d, 0x1c, 0x96, 0x79,
};

START_TEST(test_interchange)
{
	struct vn_ctx *ctx = vn_ctx_new();
	char out[VN_TLS_STR_SIZE], other[VN_TLS_STR_SIZE];

	ck_assert_int_eq(vn_tls_key(ctx, libnvme_psk, 32, out, sizeof(out)), 0);
	ck_assert_str_eq(out, LIBNVME_KEY);
	ck_assert_int_eq(vn_tls_key_check(ctx, LIBNVME_KEY), 1);
	ck_assert_int_eq(vn_tls_key(ctx, NULL, 48, out, sizeof(out)), 0);
	ck_assert_int_eq(vn_tls_key(ctx, NULL, 48, other, sizeof(other)), 0);
	ck_assert_str_ne(out, other);
	ck_assert_int_eq(strncmp(out, "NVMeTLSkey-1:02:", 16), 0);
	ck_assert_int_eq(strlen(out), 16 + 72 + 1);
	ck_assert_int_eq(vn_tls_key_check(ctx, out), 2);
	ck_assert_int_eq(vn_tls_key(ctx, NULL, 64, out, sizeof(out)), -EINVAL);
	/* one character changed: the CRC */
	strcpy(out, LIBNVME_KEY);
	out[20] = out[20] == 'A' ? 'B' : 'A';
	ck_assert_int_eq(vn_tls_key_check(ctx, out), -EINVAL);
	ck_assert_ptr_nonnull(strstr(vn_ctx_error(ctx), "CRC"));
	/* a DH-HMAC-CHAP key, a 48-byte key called 01, cut short, nothing */
	ck_assert_int_eq(vn_tls_key_check(ctx, "DHHC-1:00:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR:"),
			 -EINVAL);
	ck_assert_int_eq(vn_tls_key_check(ctx, "NVMeTLSkey-1:0"), -EINVAL);
	ck_assert_int_eq(vn_tls_key_check(ctx, ""), -EINVAL);
	ck_assert_int_eq(vn_tls_key_check(ctx, NULL), -EINVAL);
	ck_assert_int_eq(vn_tls_key(ctx, NULL, 48, out, sizeof(out)), 0);
	out[14] = '1';
	ck_assert_int_eq(vn_tls_key_check(ctx, out), -EINVAL);
	vn_ctx_free(ctx);
}
END_TEST

START_TEST(test_derive)
{
	struct vn_ctx *ctx = vn_ctx_new();
	struct vn_tls_psk a, b;

	ck_assert_int_eq(vn_tls_psk_derive(ctx, LIBNVME_KEY, HOST, SUB, &a), 0);
	ck_assert_str_eq(a.identity, "NVMe0R01 " HOST " " SUB);
	ck_assert_int_eq(a.len, 32);
	/* recorded in the lab (tests/lab/t-tls.sh): the key nvme-cli 2.13's
	 * check-tls-key --insert put in .nvme for this key, host and subsystem */
	ck_assert_mem_eq(a.psk, nvme_cli_psk, 32);
	/* bound to the host and to the subsystem */
	ck_assert_int_eq(vn_tls_psk_derive(ctx, LIBNVME_KEY, HOST, SUB "x", &b), 0);
	ck_assert_mem_ne(a.psk, b.psk, 32);
	ck_assert_int_eq(vn_tls_psk_derive(ctx, LIBNVME_KEY, HOST "x", SUB, &b), 0);
	ck_assert_mem_ne(a.psk, b.psk, 32);
	ck_assert_mem_ne(a.psk, libnvme_psk, 32);
	ck_assert_int_eq(vn_tls_psk_derive(ctx, LIBNVME_KEY, "", SUB, &b), -EINVAL);
	vn_ctx_free(ctx);
}
END_TEST

START_TEST(test_keyring_in_proc)
{
	struct vn_ctx *ctx = vn_ctx_new();
	char *root = unit_tmpdir();
	char id[VN_TLS_IDENTITY_SIZE];

	ck_assert_int_eq(vn_ctx_set_root(ctx, root), 0);
	unit_write(root, "/proc/keys", "");
	ck_assert_int_eq(vn_tls_keyring(ctx), -ENOKEY);
	ck_assert_ptr_nonnull(strstr(vn_ctx_error(ctx), "CONFIG_NVME_TARGET_TCP_TLS"));
	unit_write(root, "/proc/keys",
		   "0f4b8a3c I--Q---     1 perm 3f010000     0     0 keyring   _ses: 1\n"
		   "1a2b3c4d I------     1 perm 3f3f0000     0     0 keyring   .nvme.old: empty\n"
		   "2e6d1f4a I------     1 perm 3f3f0000     0     0 keyring   .nvme: 2\n"
		   "30000001 I------     1 perm 3d010000     0     0 psk       NVMe0R01 " HOST " "
		   SUB "x: 32\n"
		   "30000002 I------     1 perm 3d010000     0     0 psk       NVMe0R01 " HOST " "
		   SUB ": 32\n");
	ck_assert_int_eq(vn_tls_keyring(ctx), 0x2e6d1f4a);
	ck_assert_int_eq(vn_tls_psk_find(ctx, HOST, SUB, id, sizeof(id)), 0x30000002);
	ck_assert_str_eq(id, "NVMe0R01 " HOST " " SUB);
	ck_assert_int_eq(vn_tls_psk_find(ctx, HOST, "nqn.other", id, sizeof(id)), 0);
	/* tlshd: a process whose comm is tlshd */
	unit_write(root, "/proc/1/comm", "init\n");
	ck_assert(!vn_tls_daemon_running(ctx));
	unit_write(root, "/proc/812/comm", "tlshd\n");
	ck_assert(vn_tls_daemon_running(ctx));
	unit_rmtree(root);
	free(root);
	vn_ctx_free(ctx);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tls");
	TCase *tc = tcase_create("tls");

	tcase_add_test(tc, test_interchange);
	tcase_add_test(tc, test_derive);
	tcase_add_test(tc, test_keyring_in_proc);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
