/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The vnvme command layer.
 *
 * Adding a command (or a subcommand to a group):
 *  1. Write `static int cmd_<group>_<verb>(struct vn_cli *, int, char **)` in
 *     cmd/<group>.c, with a `static const struct vn_opt` table beside it.
 *     Parse with vn_getopt(); everything it does not return is handled.
 *  2. Add a `struct vn_cmd` entry (name, function, usage, summary, options,
 *     flags) to the group's table; a new group also goes into main.c's
 *     top-level table and gets an `extern` line below.
 *  3. Library calls only through lib/vnvme.h; report failures with
 *     vn_report(), which picks the exit code.
 *  4. Document it in man/vnvme-<group>.8 (its SYNOPSIS line must equal the
 *     usage line of --help, wrapped at 80 columns onto indented lines:
 *     tests/cli checks), and test it: tests/unit for
 *     logic, tests/cli for the command line, tests/lab for the kernel.
 *  Completion needs nothing: completions/vnvme asks `vnvme __complete`;
 *     .args (and VN_OPT_CONNECTED_*) say which live names it offers.
 *  --json: its one document keeps vnvme(8)'s JSON rules (tests/json-contract
 *     judges every command's in tests/cli: add it to json_args there).
 */
#ifndef VNVME_COMMANDS_H
#define VNVME_COMMANDS_H

#include <getopt.h>
#include <signal.h>
#include <jansson.h>
#include <stdbool.h>

#include "../lib/vnvme.h"

/* Exit codes: an interface, documented in vnvme(8). Never change one. */
enum vn_exit {
	VN_EXIT_OK = 0,
	VN_EXIT_FAILED = 1,
	VN_EXIT_USAGE = 2,
	VN_EXIT_REFUSED = 3,	/* refused for safety: data or in use */
	VN_EXIT_NOKERNEL = 4,	/* kernel support missing: module, configfs */
	VN_EXIT_PERM = 5,	/* not permitted (not root) */
	VN_EXIT_PARTIAL = 6,	/* failed, and not all of its work could be undone */
	/* stopped by SIGINT, SIGTERM, SIGHUP: 128 + the signal, the change undone */
	VN_EXIT_SIGNAL = 128,
	/* health, from status commands (cmd/status.c vn_health_exit) */
	VN_EXIT_DEGRADED = 10,	/* working with less redundancy, or rebuilding */
	VN_EXIT_BROKEN = 11,	/* failed: data unreachable or writes failing */
	VN_EXIT_MISSING = 12,	/* a layer, or what it stands on, is not there */
};

/* vn_opt.flags */
#define VN_OPT_NOCOMPLETE (1u << 0)	/* never offered by completion (--force) */
#define VN_OPT_MULTI (1u << 1)		/* may be given more than once */
#define VN_OPT_CONNECTED_NQN (1u << 2)	/* completion: a connected subsystem's NQN */
#define VN_OPT_CONNECTED_DEV (1u << 3)	/* completion: a connected namespace's node */

struct vn_opt {
	const char *name;	/* long name, without "--" */
	int key;		/* short letter, or an id >= VN_OPT_LONG */
	const char *arg;	/* NULL for a flag; else e.g. "SIZE", "raid|linux" */
	const char *help;
	unsigned int flags;
};

#define VN_OPT_LONG 256

/* How deep groups nest: "cache ramdisk add" is three words. */
#define VN_CMD_DEPTH_MAX 3

/* vn_cmd.flags */
#define VN_CMD_ROOT (1u << 0)	/* needs root (unless --sysroot) */
#define VN_CMD_JSON (1u << 1)	/* has --json output */
#define VN_CMD_DRYRUN (1u << 2)	/* changes the system; --dry-run shows the plan */
#define VN_CMD_HOSTQ (1u << 3)	/* -q is --hostnqn (nvme-cli), quiet is --quiet */
#define VN_CMD_HIDDEN (1u << 4)	/* not listed in help or completion */

/* What a command's positional arguments are, for completion (cmd/complete.c
 * offers the live names: what is running now). */
enum vn_args_kind {
	VN_ARGS_NONE,
	VN_ARGS_BLOCKDEV,
	VN_ARGS_FILE,
	VN_ARGS_COMMAND,
	VN_ARGS_ARRAY,		/* a running md array, then block devices */
	VN_ARGS_ARRAYS,		/* running md arrays */
	VN_ARGS_JOURNAL,	/* a running md array, then write-back|write-through */
	VN_ARGS_CACHE,		/* cache mappings */
	VN_ARGS_RAMDISK,	/* RapidDisk RAM disks */
	VN_ARGS_EXPORT,		/* the NQNs exported by the NVMe target */
	VN_ARGS_CONNECTED,	/* connected NVMe-oF subsystems: NQNs and nodes */
};

struct vn_cli;

struct vn_cmd {
	const char *name;
	int (*fn)(struct vn_cli *cli, int argc, char **argv);
	const char *usage;	/* arguments after the command name */
	const char *summary;	/* one line, lower case, no full stop */
	const char *description;	/* a paragraph for --help, may be NULL */
	const struct vn_opt *opts;	/* terminated by { NULL } */
	const struct vn_cmd *const *subs;	/* a group: NULL-terminated */
	unsigned int flags;
	enum vn_args_kind args;
};

/* Global options and state, filled by main.c. */
struct vn_cli {
	bool json;
	bool dry_run;
	bool yes;
	bool force;
	bool quiet;
	int verbose;
	const char *sysroot;
	struct vn_ctx *ctx;
	const struct vn_cmd *cmd;	/* the command being run */
	char cmdname[64];		/* "partition", "raid create", "cache ramdisk add" */
	int exit;			/* set when vn_getopt() returns VN_GETOPT_STOP */
	int actions;			/* changes recorded so far */
	bool parsed;			/* the command line was accepted: the command runs */
	json_t *changes;		/* with --json: each change made (or, dry, planned) */
	bool lock_held;			/* main.c holds the change lock, */
	int lock;			/* on this fd */
	bool lock_dropped;		/* vn_cli_unlock() let it go */
};

/* ---- cmd/opts.c ---- */

#define VN_OPTS_MAX 64

/* vn_getopt() state; one per command run, on the caller's stack. */
struct vn_getopt {
	int optind;		/* first positional argument after the loop */
	const char *arg;	/* the current option's argument */
	/* private: the getopt_long tables built from the command's */
	bool started;
	struct option lopts[VN_OPTS_MAX + 1];
	const struct vn_opt *map[VN_OPTS_MAX];
	char shortopts[3 * VN_OPTS_MAX + 4];
	int n;
	int ncmd;		/* map[0..ncmd) are the command's own options */
};

#define VN_GETOPT_STOP (-2)

/*
 * vn_getopt() - the next command option. Handles the global options (they
 * may come before or after the command word) and --help itself. Positional
 * arguments and options may be mixed (GNU getopt permutes argv).
 * Return: the option's key; -1 at the end (positional arguments start at
 * g->optind); VN_GETOPT_STOP when the command must return cli->exit
 * (help printed: 0, bad option: 2, not root: 5).
 */
int vn_getopt(struct vn_cli *cli, struct vn_getopt *g, int argc, char **argv);

/*
 * vn_getopt_args() - for a command with no options of its own: parse the
 * global ones and check that it got @min to @max (-1: any) positional
 * arguments, else say @what it needs.
 * Return: the index of the first positional argument, or -1 when the
 * command must return cli->exit.
 */
int vn_getopt_args(struct vn_cli *cli, int argc, char **argv, int min, int max,
		   const char *what);

void vn_print_help(const struct vn_cli *cli, const struct vn_cmd *cmd,
		   const char *path, FILE *out);
/* vn_usage_error() - "vnvme: X: msg" + "try 'vnvme X --help'"; returns 2. */
int vn_usage_error(const struct vn_cli *cli, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/*
 * Parse a decimal whole number from @min to @max (digits only: no sign, no
 * space), reporting a usage error that says "too large" rather than
 * clamping. Return: 0, or VN_EXIT_USAGE after the message.
 */
int vn_opt_uint(const struct vn_cli *cli, const char *opt, const char *s,
		unsigned long min, unsigned long max, unsigned long *ret);
/* Parse a size with a default unit, reporting a usage error. */
int vn_opt_size(const struct vn_cli *cli, const char *opt, const char *s,
		uint64_t default_unit, uint64_t *ret);

/* ---- cmd/report.c ---- */

void vn_err(const struct vn_cli *cli, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void vn_warn(const struct vn_cli *cli, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A warning from what a successful library call left in the context's
 * message (e.g. vn_md_stop()), then the message cleared. */
void vn_warn_pending(const struct vn_cli *cli);
/* The journal in write-back on a kernel where md's own switch out of it
 * hangs the array (vn_md_writeback_fails_on_degrade()): say so. */
void vn_warn_writeback(const struct vn_cli *cli);
/* Informational line on stderr (stdout is for results); dropped by --quiet
 * and by --json. */
void vn_info(const struct vn_cli *cli, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/*
 * The signal (SIGINT, SIGTERM, SIGHUP) that asked a change to stop, or 0:
 * set by cmd/main.c's handlers, installed for the commands that change the
 * system, and given to the library with vn_ctx_set_stop().
 */
extern volatile sig_atomic_t vn_signal;

/*
 * vn_report() - print the library's error for this command, with the remedy
 * ("use --force") where forcing would help, and return the exit code for it.
 */
int vn_report(const struct vn_cli *cli);
/*
 * vn_confirm() - ask "QUESTION? [y/N]" on a terminal; true with --yes or
 * --dry-run. Never asks when stdin is not a terminal: that is a refusal
 * naming --yes. When false, cli->exit is the exit code (3).
 */
bool vn_confirm(struct vn_cli *cli, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The action callback: dry-run plans and -v traces. */
void vn_report_action(void *data, bool dry_run, const char *action);

/* ---- cmd/output.c ---- */

enum vn_col_type {
	VN_COL_STR,
	VN_COL_INT,
	VN_COL_SIZE,	/* an integer of bytes, shown in binary units */
	VN_COL_BOOL,
	VN_COL_LIST,	/* an array of strings, joined with "," */
};

struct vn_col {
	const char *key;	/* JSON key in each row */
	const char *header;
	enum vn_col_type type;
};

/*
 * vn_output() - print @doc: as JSON with --json, else the array @doc[@key]
 * as a table with @cols. Takes a reference to @doc. Return: exit code.
 */
int vn_output(const struct vn_cli *cli, json_t *doc, const char *key,
	      const struct vn_col *cols);
/*
 * vn_output_json() - print the command's one JSON document (a second one is
 * refused: one document per invocation). In a command that changes the
 * system, "dry_run" and "changes" (each change made, or planned) are added.
 */
int vn_output_json(json_t *doc);
/* A device as a /dev path ("md0" -> "/dev/md0"); null for none or "". */
json_t *vn_json_dev(const char *name);
/* A string, or null for none or "" (JSON says null where unknown). */
json_t *vn_json_str(const char *s);
/* main.c: before the command runs, and after: a command that changes the
 * system and printed no document of its own gets {"dry_run", "changes"}. */
void vn_output_begin(struct vn_cli *cli);
int vn_output_end(struct vn_cli *cli, int code);

/* ---- command groups ---- */
extern const struct vn_cmd vn_cmd_disks;
extern const struct vn_cmd vn_cmd_partition;
extern const struct vn_cmd vn_cmd_complete;
/* raid, journal-mode */
extern const struct vn_cmd vn_cmd_raid;
extern const struct vn_cmd vn_cmd_journal_mode;
/* cache */
extern const struct vn_cmd vn_cmd_cache;
/* export, discover, connect, list, disconnect */
extern const struct vn_cmd vn_cmd_export;
extern const struct vn_cmd vn_cmd_discover;
extern const struct vn_cmd vn_cmd_connect;
extern const struct vn_cmd vn_cmd_list;
extern const struct vn_cmd vn_cmd_disconnect;
/* up, down, save: the drive as one object (cmd/stack.c) */
extern const struct vn_cmd vn_cmd_up;
extern const struct vn_cmd vn_cmd_down;
extern const struct vn_cmd vn_cmd_save;

/* status, check */
extern const struct vn_cmd vn_cmd_status;
extern const struct vn_cmd vn_cmd_check;

/* ---- cmd/status.c: shared with raid status ---- */

/* vn_health_exit() - the exit code for a health: 0, 10, 11 or 12. */
int vn_health_exit(enum vn_health h);
/*
 * vn_md_json() - one array as JSON (devices as /dev paths, sizes in bytes,
 * times in seconds, null where unknown) with its health; its notes are
 * also added to @rep (may be NULL).
 */
json_t *vn_md_json(const struct vn_md_status *st, struct vn_health_report *rep);
/* vn_journal_advice_json() - vn_md_journal_advice as JSON, null without a journal. */
json_t *vn_journal_advice_json(const struct vn_md_journal_advice *a);
/*
 * vn_write_caches_off() - turn off the write caches of @md's members when it
 * has a journal (vn_md_write_caches_off()); "sdb, sdc" in @buf for those
 * turned off (empty: none), a warning for each left volatile and for an
 * error part way. Return: the JSON list [{"disk": "/dev/sdb", "state"}],
 * or NULL when no member could be read (after a warning).
 */
json_t *vn_write_caches_off(const struct vn_cli *cli, const char *md, char *buf, size_t len);
/* vn_print_notes() - a JSON notes array as text lines, each after @indent. */
void vn_print_notes(json_t *notes, const char *indent);

extern const struct vn_cmd vn_cmd_gen_dhchap_key;
extern const struct vn_cmd vn_cmd_gen_tls_key;

/* main.c: the top-level table, for help and completion; NULL-terminated. */
extern const struct vn_cmd *const vn_commands[];
/* Find a command by its exact name; NULL if none. */
const struct vn_cmd *vn_find_cmd(const struct vn_cmd *const *cmds, const char *name);

/* main.c: the whole command line; cmd/vnvme.c's main() and the unit tests. */
int vn_main(int argc, char **argv);
/*
 * A command that changes the system holds the change lock while it runs.
 * vn_cli_unlock() lets it go for a long wait that changes nothing (raid
 * replace while md copies, hours on big disks), so that other changes can
 * be made meanwhile; vn_cli_relock() takes it again (waiting as at the
 * start) before the command's next change: 0, or negative errno with the
 * error in cli->ctx. Both do nothing where no lock was held.
 */
void vn_cli_unlock(struct vn_cli *cli);
int vn_cli_relock(struct vn_cli *cli);

/* cmd/opts.c, for main.c and completion */
int vn_parse_globals(struct vn_cli *cli, int argc, char **argv);
const struct vn_opt *vn_global_opts(void);
/* Whether a global option means something for @cmd (help and completion). */
bool vn_global_applies(const struct vn_cmd *cmd, const struct vn_opt *o);

#endif /* VNVME_COMMANDS_H */
