// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * The NVMe-oF host commands, with nvme-cli's option letters (fabrics.c
 * NVMF_OPTS): discover, connect, list, disconnect. -q is --hostnqn here,
 * as in nvme-cli; quiet is --quiet.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"

enum {
	OPT_TRANSPORT = 't',
	OPT_TRADDR = 'a',
	OPT_TRSVCID = 's',
	OPT_NQN = 'n',
	OPT_HOSTNQN = 'q',
	OPT_HOSTID = 'I',
	OPT_DEVICE = 'd',
	OPT_OUTPUT = 'o',
	OPT_CTRL_LOSS_TMO = 'l',
	OPT_RECONNECT_DELAY = 'c',
	OPT_KEEP_ALIVE_TMO = 'k',
	OPT_NR_IO_QUEUES = 'i',
	OPT_DHCHAP_SECRET = 'S',
	OPT_DHCHAP_CTRL_SECRET = 'C',
	OPT_TLS = VN_OPT_LONG,
	OPT_TLS_KEY,
};

/* nvme-cli's spelling of --json. */
#define OUTPUT_OPT \
	{ "output-format", OPT_OUTPUT, "normal|json", "nvme-cli's spelling: json is --json", 0 }

/* The fabrics block shared by discover and connect. */
#define FABRICS_OPTS \
	{ "transport", OPT_TRANSPORT, "tcp", "transport (only tcp)", 0 }, \
	{ "traddr", OPT_TRADDR, "ADDR", "target address", 0 }, \
	{ "trsvcid", OPT_TRSVCID, "PORT", "target port", 0 }, \
	{ "hostnqn", OPT_HOSTNQN, "HOSTNQN", "host NQN (default /etc/nvme/hostnqn)", 0 }, \
	{ "hostid", OPT_HOSTID, "UUID", "host ID (default /etc/nvme/hostid)", 0 }

static const struct vn_opt discover_opts[] = {
	FABRICS_OPTS,
	OUTPUT_OPT,
	{ NULL }
};

static const struct vn_opt connect_opts[] = {
	FABRICS_OPTS,
	{ "nqn", OPT_NQN, "NQN", "subsystem NQN to connect to", 0 },
	{ "ctrl-loss-tmo", OPT_CTRL_LOSS_TMO, "SEC", "give up reconnecting after SEC "
	  "seconds (-1: never; default 600)", 0 },
	{ "reconnect-delay", OPT_RECONNECT_DELAY, "SEC", "seconds between reconnect "
	  "attempts (default 10)", 0 },
	{ "keep-alive-tmo", OPT_KEEP_ALIVE_TMO, "SEC", "keep-alive timeout in seconds "
	  "(default 5)", 0 },
	{ "nr-io-queues", OPT_NR_IO_QUEUES, "N", "number of I/O queues (default: one "
	  "per CPU)", 0 },
	{ "dhchap-secret", OPT_DHCHAP_SECRET, "KEY", "authenticate this host with its "
	  "DH-HMAC-CHAP key (the key the export gave this host)", 0 },
	{ "dhchap-ctrl-secret", OPT_DHCHAP_CTRL_SECRET, "KEY", "and require the target "
	  "to prove this controller key (bidirectional)", 0 },
	{ "tls", OPT_TLS, NULL, "connect over TLS 1.3 with the pre-shared key for this "
	  "host and subsystem in the .nvme keyring (tlshd must run)", 0 },
	{ "tls-key", OPT_TLS_KEY, "KEY", "put that key there first, from this TLS key "
	  "(the export's --tls-key); implies --tls", 0 },
	OUTPUT_OPT,
	{ NULL }
};

static const struct vn_opt list_opts[] = {
	OUTPUT_OPT,
	{ NULL }
};

/* -o json|normal: nvme-cli's --output-format. */
static int output_format(struct vn_cli *cli, const char *arg)
{
	if (strcmp(arg, "json") == 0)
		cli->json = true;
	else if (strcmp(arg, "normal") != 0)
		return vn_usage_error(cli, "--output-format: '%s' is not normal or json",
				      arg);
	return 0;
}

/* The connect settings nvme-cli spells -l -c -k -i. */
static int connect_setting(struct vn_cli *cli, int c, const char *arg,
			   struct vn_nvme_target *t)
{
	unsigned long v = 0;

	switch (c) {
	case OPT_CTRL_LOSS_TMO:
		if (strcmp(arg, "-1") == 0) {
			t->ctrl_loss_tmo = -1;
		} else if (vn_opt_uint(cli, "ctrl-loss-tmo", arg, 0, INT_MAX, &v)) {
			return VN_EXIT_USAGE;
		} else {
			t->ctrl_loss_tmo = (int)v;
		}
		t->set |= VN_NVME_SET_CTRL_LOSS_TMO;
		return 0;
	case OPT_RECONNECT_DELAY:
		if (vn_opt_uint(cli, "reconnect-delay", arg, 1, INT_MAX, &v))
			return VN_EXIT_USAGE;
		t->reconnect_delay = (int)v;
		t->set |= VN_NVME_SET_RECONNECT_DELAY;
		return 0;
	case OPT_KEEP_ALIVE_TMO:
		if (vn_opt_uint(cli, "keep-alive-tmo", arg, 0, 65535, &v))
			return VN_EXIT_USAGE;
		t->keep_alive_tmo = (int)v;
		t->set |= VN_NVME_SET_KEEP_ALIVE_TMO;
		return 0;
	case OPT_NR_IO_QUEUES:
		if (vn_opt_uint(cli, "nr-io-queues", arg, 1, 65535, &v))
			return VN_EXIT_USAGE;
		t->nr_io_queues = (int)v;
		t->set |= VN_NVME_SET_NR_IO_QUEUES;
		return 0;
	case OPT_DHCHAP_SECRET:
		t->dhchap_secret = arg;
		return 0;
	case OPT_DHCHAP_CTRL_SECRET:
		t->dhchap_ctrl_secret = arg;
		return 0;
	case OPT_TLS_KEY:
		t->tls_key = arg;
		/* fall through */
	case OPT_TLS:
		t->tls = true;
		return 0;
	default:
		return 0;
	}
}

static const struct vn_opt disconnect_opts[] = {
	{ "nqn", OPT_NQN, "NQN", "disconnect every controller of this subsystem",
	  VN_OPT_CONNECTED_NQN },
	{ "device", OPT_DEVICE, "DEV", "disconnect the subsystem of /dev/nvmeXnY or "
	  "controller nvmeX", VN_OPT_CONNECTED_DEV },
	{ NULL }
};

/* Parse the fabrics options into @t; -1 at the end, else an exit code. */
static int fabrics_getopt(struct vn_cli *cli, struct vn_getopt *g, int argc,
			  char **argv, struct vn_nvme_target *t)
{
	int c;

	while ((c = vn_getopt(cli, g, argc, argv)) != -1) {
		switch (c) {
		case VN_GETOPT_STOP:
			return cli->exit;
		case OPT_TRANSPORT:
			t->transport = g->arg;
			break;
		case OPT_TRADDR:
			t->traddr = g->arg;
			break;
		case OPT_TRSVCID:
			t->trsvcid = g->arg;
			break;
		case OPT_NQN:
			t->nqn = g->arg;
			break;
		case OPT_HOSTNQN:
			t->hostnqn = g->arg;
			break;
		case OPT_HOSTID:
			t->hostid = g->arg;
			break;
		case OPT_OUTPUT:
			if (output_format(cli, g->arg))
				return VN_EXIT_USAGE;
			break;
		default:
			if (connect_setting(cli, c, g->arg, t))
				return VN_EXIT_USAGE;
			break;
		}
	}
	if (g->optind < argc)
		return vn_usage_error(cli, "unexpected argument '%s'", argv[g->optind]);
	if (!t->transport)
		return vn_usage_error(cli, "--transport (-t) is required");
	if (!t->traddr)
		return vn_usage_error(cli, "--traddr (-a) is required");
	return -1;
}

/* Say so when the host identity was just created. */
static int identity(struct vn_cli *cli, const struct vn_nvme_target *t)
{
	struct vn_nvme_identity id;

	if (vn_nvme_host_identity(cli->ctx, t->hostnqn, t->hostid, &id) < 0)
		return vn_report(cli);
	if (id.created && !cli->dry_run)
		fprintf(stderr, "vnvme: %s: generated host NQN %s and host ID %s, written "
			"to /etc/nvme/hostnqn and /etc/nvme/hostid\n", cli->cmdname,
			id.hostnqn, id.hostid);
	return VN_EXIT_OK;
}

static const struct vn_col discover_cols[] = {
	{ "subtype", "SUBTYPE", VN_COL_STR },
	{ "subnqn", "SUBNQN", VN_COL_STR },
	{ "trtype", "TRTYPE", VN_COL_STR },
	{ "adrfam", "ADRFAM", VN_COL_STR },
	{ "traddr", "TRADDR", VN_COL_STR },
	{ "trsvcid", "TRSVCID", VN_COL_STR },
	{ "portid", "PORTID", VN_COL_INT },
	{ "sectype", "SECTYPE", VN_COL_STR },
	{ NULL }
};

static int cmd_discover(struct vn_cli *cli, int argc, char **argv)
{
	struct vn_nvme_target t = { 0 };
	struct vn_nvme_disc_entry *e = NULL;
	struct vn_getopt g = { 0 };
	uint64_t genctr = 0;
	json_t *rows;
	int r, n;

	r = fabrics_getopt(cli, &g, argc, argv, &t);
	if (r >= 0)
		return r;
	if (vn_nvme_target_check(cli->ctx, &t) < 0)
		return vn_report(cli);
	r = identity(cli, &t);
	if (r != VN_EXIT_OK)
		return r;
	n = vn_nvme_discover(cli->ctx, &t, &e, &genctr);
	if (n < 0)
		return vn_report(cli);
	rows = json_array();
	/* nvme-cli's `discover -o json` keys, with integers where it has them */
	for (int i = 0; i < n; i++)
		json_array_append_new(rows, json_pack("{s:s, s:s, s:s, s:s, s:I, s:s,"
			" s:s, s:s, s:s, s:s}",
			"trtype", e[i].trtype, "adrfam", e[i].adrfam, "subtype", e[i].subtype,
			"treq", e[i].treq, "portid", (json_int_t)e[i].portid,
			"trsvcid", e[i].trsvcid, "subnqn", e[i].subnqn, "traddr", e[i].traddr,
			"eflags", e[i].eflags, "sectype", e[i].sectype));
	free(e);
	if (cli->dry_run) {
		json_decref(rows);
		return VN_EXIT_OK;
	}
	return vn_output(cli, json_pack("{s:I, s:o}", "genctr", (json_int_t)genctr,
					"records", rows), "records", discover_cols);
}

static int cmd_connect(struct vn_cli *cli, int argc, char **argv)
{
	struct vn_nvme_target t = { 0 };
	struct vn_nvme_connected res;
	struct vn_getopt g = { 0 };
	char dev[48];
	int r;

	r = fabrics_getopt(cli, &g, argc, argv, &t);
	if (r >= 0)
		return r;
	if (!t.nqn)
		return vn_usage_error(cli, "--nqn (-n) is required");
	if (vn_nvme_target_check(cli->ctx, &t) < 0)
		return vn_report(cli);
	r = identity(cli, &t);
	if (r != VN_EXIT_OK)
		return r;
	if (vn_nvme_connect(cli->ctx, &t, &res) < 0)
		return vn_report(cli);
	if (cli->dry_run)
		return VN_EXIT_OK;
	snprintf(dev, sizeof(dev), "%s%s", res.dev[0] ? "/dev/" : "", res.dev);
	if (cli->json)
		return vn_output_json(json_pack("{s:s, s:s, s:s, s:o}", "device", res.ctrl,
						"namespace", dev, "nqn", t.nqn, "tls_identity",
						vn_json_str(res.tls_identity)));
	if (res.dev[0]) {
		/* the result, bare on stdout: DEV=$(vnvme connect ...) */
		vn_info(cli, "connected %s to %s", res.ctrl, t.nqn);
		printf("%s\n", dev);
	} else
		vn_warn(cli, "connected %s to %s, but no namespace appeared within 10 s",
			res.ctrl, t.nqn);
	return VN_EXIT_OK;
}

static const struct vn_col list_cols[] = {
	{ "node", "NODE", VN_COL_STR },
	{ "nqn", "SUBSYSTEM", VN_COL_STR },
	{ "model", "MODEL", VN_COL_STR },
	{ "serial", "SERIAL", VN_COL_STR },
	{ "size_bytes", "SIZE", VN_COL_SIZE },
	{ "transport", "TRANSPORT", VN_COL_STR },
	{ "address", "ADDRESS", VN_COL_STR },
	{ NULL }
};

static int cmd_list(struct vn_cli *cli, int argc, char **argv)
{
	struct vn_nvme_nsinfo *ns = NULL;
	struct vn_getopt g = { 0 };
	json_t *rows;
	int c, n;

	while ((c = vn_getopt(cli, &g, argc, argv)) != -1) {
		if (c == VN_GETOPT_STOP)
			return cli->exit;
		if (c == OPT_OUTPUT && output_format(cli, g.arg))
			return VN_EXIT_USAGE;
	}
	if (g.optind < argc)
		return vn_usage_error(cli, "takes no arguments");
	n = vn_nvme_list(cli->ctx, &ns);
	if (n < 0)
		return vn_report(cli);
	rows = json_array();
	for (int i = 0; i < n; i++) {
		char node[48], generic[48], addr[300];

		snprintf(node, sizeof(node), "/dev/%s", ns[i].dev);
		snprintf(generic, sizeof(generic), "%s%s", ns[i].generic[0] ? "/dev/" : "",
			 ns[i].generic);
		snprintf(addr, sizeof(addr), "%s%s%s", ns[i].traddr,
			 ns[i].trsvcid[0] ? ":" : "", ns[i].trsvcid);
		json_array_append_new(rows, json_pack("{s:s, s:o, s:o, s:o, s:I, s:o, s:o,"
			" s:o, s:I, s:I, s:I, s:o, s:o, s:o, s:o}",
			"node", node, "generic", vn_json_str(generic),
			"controller", vn_json_dev(ns[i].ctrl),
			"nqn", vn_json_str(ns[i].subsysnqn), "nsid", (json_int_t)ns[i].nsid,
			"model", vn_json_str(ns[i].model), "serial", vn_json_str(ns[i].serial),
			"firmware", vn_json_str(ns[i].firmware),
			"size_bytes", (json_int_t)ns[i].size_bytes,
			"lba_size", (json_int_t)ns[i].lba_size,
			"lba_count", (json_int_t)ns[i].lba_count,
			"transport", vn_json_str(ns[i].transport), "traddr", vn_json_str(ns[i].traddr),
			"trsvcid", vn_json_str(ns[i].trsvcid), "address", vn_json_str(addr)));
	}
	free(ns);
	return vn_output(cli, json_pack("{s:o}", "devices", rows), "devices", list_cols);
}

static int cmd_disconnect(struct vn_cli *cli, int argc, char **argv)
{
	struct vn_getopt g = { 0 };
	const char *what = NULL;
	int c, n;

	while ((c = vn_getopt(cli, &g, argc, argv)) != -1) {
		if (c == VN_GETOPT_STOP)
			return cli->exit;
		if (what)
			return vn_usage_error(cli, "give one NQN or device");
		what = g.arg;
	}
	if (g.optind < argc) {
		if (what || argc - g.optind != 1)
			return vn_usage_error(cli, "give one NQN or device");
		what = argv[g.optind];
	}
	if (!what)
		return vn_usage_error(cli, "give an NQN or a device");
	n = vn_nvme_disconnect(cli->ctx, what);
	if (n < 0)
		return vn_report(cli);
	if (!cli->dry_run)
		vn_info(cli, "disconnected %s: %d controller%s", what, n, n == 1 ? "" : "s");
	return VN_EXIT_OK;
}

const struct vn_cmd vn_cmd_discover = {
	.name = "discover",
	.fn = cmd_discover,
	.usage = "-t tcp -a ADDR [-s PORT] [-q HOSTNQN] [-I HOSTID] [-o normal|json] [--json]",
	.summary = "list the subsystems an NVMe-oF target offers this host",
	.description =
		"Asks the discovery service at ADDR:PORT (default port 8009; nvmet answers\n"
		"on every port it listens on, e.g. 4420) for its log, as this host: a\n"
		"subsystem that does not allow the host NQN is not listed. The host NQN is\n"
		"-q, else /etc/nvme/hostnqn; when there is none, one is generated and\n"
		"written there with /etc/nvme/hostid, so target allow-lists keep matching.",
	.opts = discover_opts,
	.flags = VN_CMD_ROOT | VN_CMD_JSON | VN_CMD_DRYRUN | VN_CMD_HOSTQ,
	.args = VN_ARGS_NONE,
};

const struct vn_cmd vn_cmd_connect = {
	.name = "connect",
	.fn = cmd_connect,
	.usage = "-t tcp -a ADDR [-s PORT] -n NQN [-q HOSTNQN] [-I HOSTID] [-l SEC] "
		 "[-c SEC] [-k SEC] [-i N] [-S KEY [-C KEY]] [--tls [--tls-key KEY]] "
		 "[-o normal|json] [--json]",
	.summary = "connect to an NVMe-oF subsystem and print its block device",
	.description =
		"Loads nvme-tcp, connects an I/O controller to subsystem NQN at ADDR:PORT\n"
		"(default 4420) through libnvme, and waits for the namespace's block\n"
		"device (/dev/nvmeXnY), which it prints. The host identity is as for\n"
		"discover. With -S the host answers the target's DH-HMAC-CHAP challenge\n"
		"(NVMe in-band authentication, Linux 6.7+ or a kernel built with it);\n"
		"with -C too, the target must prove its own key, else the host refuses it.\n"
		"A kernel whose host cannot authenticate is refused (exit 4): it would\n"
		"connect without the key. With --tls the connection is TLS 1.3 with the\n"
		"pre-shared key of this host NQN and NQN in the kernel's .nvme keyring\n"
		"(--tls-key puts it there; tlshd makes the handshake). libnvme 1.3 has no\n"
		"TLS, so vnvme writes that connect to /dev/nvme-fabrics itself.",
	.opts = connect_opts,
	.flags = VN_CMD_ROOT | VN_CMD_JSON | VN_CMD_DRYRUN | VN_CMD_HOSTQ,
	.args = VN_ARGS_NONE,
};

const struct vn_cmd vn_cmd_list = {
	.name = "list",
	.fn = cmd_list,
	.usage = "[-o normal|json] [--json]",
	.summary = "list NVMe namespaces: node, subsystem, model, serial, size, address",
	.opts = list_opts,
	.flags = VN_CMD_JSON | VN_CMD_HOSTQ,
	.args = VN_ARGS_NONE,
};

const struct vn_cmd vn_cmd_disconnect = {
	.name = "disconnect",
	.fn = cmd_disconnect,
	.usage = "NQN|/dev/nvmeXnY | -n NQN | -d DEV",
	.summary = "disconnect an NVMe-oF subsystem by NQN or device",
	.description =
		"Disconnects every controller of the subsystem NQN, or of the subsystem\n"
		"behind /dev/nvmeXnY (or the controller nvmeX). -n NQN and -d DEV, as in\n"
		"nvme-cli, work too. A local PCIe drive is refused.",
	.opts = disconnect_opts,
	.flags = VN_CMD_ROOT | VN_CMD_DRYRUN | VN_CMD_HOSTQ,
	.args = VN_ARGS_CONNECTED,
};
