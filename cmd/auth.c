// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * gen-dhchap-key: a DH-HMAC-CHAP secret for NVMe in-band authentication,
 * with nvme-cli's option letters (-s secret, -l key length, -m hmac, -n host
 * NQN) and its output, one DHHC-1 line. gen-tls-key: a configured TLS
 * pre-shared key (NVMeTLSkey-1), with nvme-cli's -s and -m.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"

enum {
	OPT_SECRET = 's',
	OPT_KEYLEN = 'l',
	OPT_HMAC = 'm',
	OPT_NQN = 'n',
};

static const struct vn_opt gen_opts[] = {
	{ "secret", OPT_SECRET, "HEX", "the secret, 32, 48 or 64 bytes in hexadecimal "
	  "(default: random)", 0 },
	{ "key-length", OPT_KEYLEN, "32|48|64", "length of a random secret in bytes "
	  "(default 32, or the hmac's digest length)", 0 },
	{ "hmac", OPT_HMAC, "0|1|2|3", "transform the key with HMAC: 0 none (default), "
	  "1 SHA-256, 2 SHA-384, 3 SHA-512", 0 },
	{ "nqn", OPT_NQN, "HOSTNQN", "the host NQN a transformed key is bound to "
	  "(default /etc/nvme/hostnqn)", 0 },
	{ NULL }
};

/* @hex into @out; return the byte count, or -1 if not whole hex bytes. */
static int parse_hex(const char *hex, uint8_t *out, size_t outsz)
{
	size_t n = strlen(hex);

	if (n == 0 || n % 2 || n / 2 > outsz)
		return -1;
	for (size_t i = 0; i < n; i += 2) {
		char byte[3] = { hex[i], hex[i + 1], 0 };

		if (!isxdigit((unsigned char)hex[i]) || !isxdigit((unsigned char)hex[i + 1]))
			return -1;
		out[i / 2] = (uint8_t)strtoul(byte, NULL, 16);
	}
	return (int)(n / 2);
}

/* The key on a line, or {"key", "hmac", "key_length"}. */
static int print_key(const struct vn_cli *cli, const char *key, int hmac, int len)
{
	if (cli->json)
		return vn_output_json(json_pack("{s:s, s:i, s:i}", "key", key,
						"hmac", hmac, "key_length", len));
	printf("%s\n", key);
	return VN_EXIT_OK;
}

static int cmd_gen_dhchap_key(struct vn_cli *cli, int argc, char **argv)
{
	static const int digest_len[] = { 32, 32, 48, 64 };
	uint8_t secret[VN_DHCHAP_SECRET_MAX];
	const char *hex = NULL, *nqn = NULL;
	char key[VN_DHCHAP_STR_SIZE], *end;
	struct vn_getopt g = { 0 };
	long keylen = 0, hmac = 0;
	int c, len;

	while ((c = vn_getopt(cli, &g, argc, argv)) != -1) {
		switch (c) {
		case VN_GETOPT_STOP:
			return cli->exit;
		case OPT_SECRET:
			hex = g.arg;
			break;
		case OPT_KEYLEN:
			keylen = strtol(g.arg, &end, 10);
			if (*end || (keylen != 32 && keylen != 48 && keylen != 64))
				return vn_usage_error(cli, "--key-length: '%s' is not 32, 48 or 64",
						      g.arg);
			break;
		case OPT_HMAC:
			hmac = strtol(g.arg, &end, 10);
			if (end == g.arg || *end || hmac < 0 || hmac > 3)
				return vn_usage_error(cli, "--hmac: '%s' is not 0, 1, 2 or 3", g.arg);
			break;
		case OPT_NQN:
			nqn = g.arg;
			break;
		default:
			break;
		}
	}
	if (g.optind < argc)
		return vn_usage_error(cli, "unexpected argument '%s'", argv[g.optind]);
	len = keylen ? (int)keylen : digest_len[hmac];
	if (hex) {
		len = parse_hex(hex, secret, sizeof(secret));
		if (len != 32 && len != 48 && len != 64)
			return vn_usage_error(cli, "--secret: not 32, 48 or 64 bytes in hexadecimal "
					      "(64, 96 or 128 hex digits)");
		if (keylen && keylen != len)
			return vn_usage_error(cli, "--secret is %d bytes, --key-length says %ld",
					      len, keylen);
	}
	if (hmac && len != digest_len[hmac])
		return vn_usage_error(cli, "--hmac %ld makes %d-byte keys: the secret must be "
				      "%d bytes, not %d", hmac, digest_len[hmac],
				      digest_len[hmac], len);
	if (vn_dhchap_key(cli->ctx, hex ? secret : NULL, (size_t)len, (int)hmac, nqn, key,
			  sizeof(key)) < 0)
		return vn_report(cli);
	return print_key(cli, key, (int)hmac, len);
}

const struct vn_cmd vn_cmd_gen_dhchap_key = {
	.name = "gen-dhchap-key",
	.fn = cmd_gen_dhchap_key,
	.usage = "[-s HEX] [-l 32|48|64] [-m 0|1|2|3] [-n HOSTNQN] [--json]",
	.summary = "make a DH-HMAC-CHAP secret for NVMe in-band authentication",
	.description = "Prints a secret in the DHHC-1 form that nvmet, nvme-cli and the "
		"kernel read, made as nvme-cli's gen-dhchap-key makes it: random or "
		"--secret; with --hmac, transformed with HMAC(secret, host NQN || "
		"\"NVMe-over-Fabrics\"), so it belongs to that host NQN.",
	.opts = gen_opts,
	.flags = VN_CMD_JSON,
};

static const struct vn_opt tls_opts[] = {
	{ "secret", OPT_SECRET, "HEX", "the key, 32 or 48 bytes in hexadecimal (default: "
	  "random)", 0 },
	{ "hmac", OPT_HMAC, "1|2", "1 SHA-256, a 32-byte key (default); 2 SHA-384, 48 bytes", 0 },
	{ NULL }
};

static int cmd_gen_tls_key(struct vn_cli *cli, int argc, char **argv)
{
	uint8_t secret[VN_TLS_PSK_MAX];
	char key[VN_TLS_STR_SIZE], *end;
	struct vn_getopt g = { 0 };
	const char *hex = NULL;
	long hmac = 1;
	int c, len;

	while ((c = vn_getopt(cli, &g, argc, argv)) != -1) {
		if (c == VN_GETOPT_STOP)
			return cli->exit;
		if (c == OPT_SECRET)
			hex = g.arg;
		if (c != OPT_HMAC)
			continue;
		hmac = strtol(g.arg, &end, 10);
		if (end == g.arg || *end || hmac < 1 || hmac > 2)
			return vn_usage_error(cli, "--hmac: '%s' is not 1 or 2", g.arg);
	}
	if (g.optind < argc)
		return vn_usage_error(cli, "unexpected argument '%s'", argv[g.optind]);
	len = hmac == 1 ? 32 : 48;
	if (hex && parse_hex(hex, secret, sizeof(secret)) != len)
		return vn_usage_error(cli, "--secret: not %d bytes in hexadecimal (%d hex "
				      "digits) for --hmac %ld", len, 2 * len, hmac);
	if (vn_tls_key(cli->ctx, hex ? secret : NULL, (size_t)len, key, sizeof(key)) < 0)
		return vn_report(cli);
	return print_key(cli, key, (int)hmac, len);
}

const struct vn_cmd vn_cmd_gen_tls_key = {
	.name = "gen-tls-key",
	.fn = cmd_gen_tls_key,
	.usage = "[-s HEX] [-m 1|2] [--json]",
	.summary = "make a TLS pre-shared key for NVMe/TCP",
	.description = "Prints a configured PSK in the NVMeTLSkey-1 form nvme-cli and "
		"libnvme read: random or given. The TLS key options of export create and "
		"connect derive from it the key of one host and one subsystem and put it "
		"in the kernel's .nvme keyring.",
	.opts = tls_opts,
	.flags = VN_CMD_JSON,
};
