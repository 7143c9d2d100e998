// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * md status: /proc/mdstat (the array list, members, progress) and the md/
 * attributes in sysfs (Documentation/admin-guide/md.rst).
 */
#include "md_private.h"

bool vn_md_state_has(const char *state, const char *flag)
{
	size_t n = strlen(flag);

	for (const char *p = state; (p = strstr(p, flag)) != NULL; p += n)
		if ((p == state || p[-1] == ',') && (p[n] == '\0' || p[n] == ','))
			return true;
	return false;
}

/* ---- /proc/mdstat ---- */

static void parse_member(struct vn_md_status *st, const char *tok)
{
	struct vn_md_member *m;
	const char *br = strchr(tok, '[');
	size_t n;

	if (!br || st->nmembers >= VN_MD_MEMBERS_MAX)
		return;
	m = &st->members[st->nmembers++];
	*m = (struct vn_md_member){ .slot = -1 };
	n = (size_t)(br - tok);
	if (n >= sizeof(m->name))
		n = sizeof(m->name) - 1;
	memcpy(m->name, tok, n);
	m->name[n] = '\0';
	m->number = atoi(br + 1);
	m->journal = strstr(br, "(J)") != NULL;
	m->faulty = strstr(br, "(F)") != NULL;
	m->spare = strstr(br, "(S)") != NULL;
	m->replacement = strstr(br, "(R)") != NULL;
	if (m->journal)
		m->slot = -2;
}

/* "md0 : active (read-only) raid5 sdc1[5] nvme0n1p1[0](J)" */
static void parse_head(struct vn_md_status *st, char *line)
{
	char *save = NULL, *tok;
	int i = 0;

	for (tok = strtok_r(line, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save), i++) {
		if (i == 0)
			vn_strlcpy(st->name, tok, sizeof(st->name));
		else if (i == 1)
			continue;	/* ":" */
		else if (strcmp(tok, "active") == 0 || strcmp(tok, "broken") == 0)
			st->active = true;	/* 6.12: "broken", running with too few members */
		else if (strcmp(tok, "inactive") == 0)
			st->active = false;
		else if (tok[0] == '(')
			st->readonly = true;
		else if (strchr(tok, '['))
			parse_member(st, tok);
		else
			vn_strlcpy(st->level, tok, sizeof(st->level));
	}
}

static void parse_progress(struct vn_md_status *st, const char *line)
{
	static const char *const kinds[] = { "recovery", "resync", "reshape", "check" };
	unsigned long long done, total;
	const char *p;
	double pct;

	for (size_t k = 0; k < VN_ARRAY_SIZE(kinds); k++) {
		p = strstr(line, kinds[k]);
		if (!p || !strchr(p, '='))
			continue;
		if (sscanf(strchr(p, '=') + 1, " %lf%% (%llu/%llu)", &pct, &done, &total) == 3) {
			st->syncing = true;
			st->sync_percent = pct;
			st->sync_done_kib = done;
			st->sync_total_kib = total;
			if (!st->sync_action[0])
				vn_strlcpy(st->sync_action, kinds[k], sizeof(st->sync_action));
		}
		break;
	}
	p = strstr(line, "finish=");
	if (p)
		st->sync_finish_min = strtod(p + 7, NULL);
	p = strstr(line, "speed=");
	if (p)
		st->sync_speed_kib = strtoull(p + 6, NULL, 10);
}

/* "      774144 blocks super 1.2 level 5, 512k chunk, algorithm 2 [4/3] [UU_U]" */
static void parse_body(struct vn_md_status *st, const char *line)
{
	const char *p = line;
	unsigned int n, m;

	while (*p == ' ' || *p == '\t')
		p++;
	if (strstr(p, " blocks")) {
		st->size_bytes = strtoull(p, NULL, 10) * 1024;
		for (const char *b = strchr(p, '['); b; b = strchr(b + 1, '[')) {
			if (sscanf(b, "[%u/%u]", &n, &m) == 2) {
				st->raid_disks = n;
				st->degraded = n > m ? n - m : 0;
			} else if (b[1] == 'U' || b[1] == '_') {
				size_t len = strcspn(b + 1, "]");

				if (len < sizeof(st->health)) {
					memcpy(st->health, b + 1, len);
					st->health[len] = '\0';
				}
			}
		}
	} else if (strchr(p, '%') || strstr(p, "resync=")) {
		parse_progress(st, p);
	}
}

int vn_md_mdstat_parse(const char *text, struct vn_md_status *ret, size_t max)
{
	char *copy = strdup(text), *save = NULL, *line;
	struct vn_md_status *cur = NULL;
	size_t n = 0;

	if (!copy)
		return -ENOMEM;
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] != ' ' && line[0] != '\t') {
			cur = NULL;
			if (strncmp(line, "Personalities", 13) == 0 ||
			    strncmp(line, "unused devices", 14) == 0 || !strstr(line, " : ") ||
			    n >= max)
				continue;
			cur = &ret[n++];
			*cur = (struct vn_md_status){ .sync_percent = -1, .sync_finish_min = -1 };
			parse_head(cur, line);
		} else if (cur) {
			parse_body(cur, line);
		}
	}
	free(copy);
	return (int)n;
}

static int read_mdstat(struct vn_ctx *ctx, char **ret)
{
	char path[VN_PATH_MAX];
	_cleanup_close_ int fd = -1;
	char *buf;
	size_t got = 0;
	ssize_t n;

	if (vn_path(ctx, path, sizeof(path), MDSTAT) < 0)
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return vn_nosupport(ctx, -errno, "cannot read %s: %s (is md_mod loaded?)",
				    MDSTAT, strerror(errno));
	buf = malloc(MDSTAT_MAX);
	if (!buf)
		return vn_fail(ctx, -ENOMEM, "out of memory");
	while (got < MDSTAT_MAX - 1 && (n = read(fd, buf + got, MDSTAT_MAX - 1 - got)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
	*ret = buf;
	return 0;
}

/* ---- status from md/ sysfs ---- */

static void read_member_sysfs(struct vn_ctx *ctx, const char *md, struct vn_md_member *m)
{
	char slot[16];
	uint64_t kib;

	(void)vn_read_str(ctx, m->state, sizeof(m->state), "/sys/block/%s/md/dev-%s/state",
			  md, m->name);
	if (vn_read_str(ctx, slot, sizeof(slot), "/sys/block/%s/md/dev-%s/slot",
			md, m->name) > 0) {
		if (strcmp(slot, "journal") == 0)
			m->slot = -2;
		else if (isdigit((unsigned char)slot[0]))
			m->slot = atoi(slot);
	}
	if (vn_read_u64(ctx, &kib, "/sys/block/%s/md/dev-%s/size", md, m->name) == 0)
		m->size_bytes = kib * 1024;
	if (strstr(m->state, "journal"))
		m->journal = true;
	if (strstr(m->state, "faulty"))
		m->faulty = true;
	if (vn_md_state_has(m->state, "replacement"))
		m->replacement = true;
	if (m->slot == -1 && !m->faulty && !m->journal)
		m->spare = true;
}


static void read_array_sysfs(struct vn_ctx *ctx, struct vn_md_status *st)
{
	const char *md = st->name;
	char mode[64];
	uint64_t v;

	(void)vn_read_str(ctx, st->level, sizeof(st->level), "/sys/block/%s/md/level", md);
	vn_md_array_state(ctx, md, st->array_state, sizeof(st->array_state));
	(void)vn_read_str(ctx, st->sync_action, sizeof(st->sync_action),
			  "/sys/block/%s/md/sync_action", md);
	(void)vn_read_str(ctx, st->consistency_policy, sizeof(st->consistency_policy),
			  "/sys/block/%s/md/consistency_policy", md);
	(void)vn_read_str(ctx, st->uuid, sizeof(st->uuid), "/sys/block/%s/md/uuid", md);
	if (vn_read_str(ctx, mode, sizeof(mode), "/sys/block/%s/md/journal_mode", md) > 0)
		vn_md_bracketed(mode, st->journal_mode, sizeof(st->journal_mode));
	if (vn_read_u64(ctx, &v, "/sys/block/%s/md/degraded", md) == 0)
		st->degraded = (unsigned int)v;
	if (vn_read_u64(ctx, &v, "/sys/block/%s/md/raid_disks", md) == 0)
		st->raid_disks = (unsigned int)v;
	if (vn_read_u64(ctx, &v, "/sys/block/%s/md/chunk_size", md) == 0)
		st->chunk_bytes = (unsigned int)v;
	if (vn_read_u64(ctx, &v, "/sys/block/%s/md/component_size", md) == 0)
		st->component_bytes = v * 1024;
	if (vn_read_u64(ctx, &v, "/sys/block/%s/size", md) == 0 && v)
		st->size_bytes = v * VN_SECTOR_SIZE;
	if (strcmp(st->sync_action, "idle") != 0 && strcmp(st->sync_action, "frozen") != 0 &&
	    st->sync_action[0])
		st->syncing = true;
	for (unsigned int i = 0; i < st->nmembers; i++)
		read_member_sysfs(ctx, md, &st->members[i]);
}

/* Events from the superblock of a working member (best effort, needs root). */
static void read_events(struct vn_ctx *ctx, struct vn_md_status *st)
{
	struct vn_md_sb *sb = malloc(sizeof(*sb));

	if (!sb)
		return;
	for (unsigned int i = 0; i < st->nmembers; i++) {
		if (st->members[i].faulty || st->members[i].journal)
			continue;
		if (vn_md_read_sb(ctx, st->members[i].name, sb) == 0) {
			st->events = sb->events;
			break;
		}
	}
	vn_ctx_clear_error(ctx);
	free(sb);
}

int vn_md_list(struct vn_ctx *ctx, struct vn_md_status **ret)
{
	_cleanup_free_ char *text = NULL;
	struct vn_md_status *arr;
	int n, r;

	r = read_mdstat(ctx, &text);
	if (r < 0)
		return r;
	arr = calloc(VN_MD_MEMBERS_MAX, sizeof(*arr));
	if (!arr)
		return vn_fail(ctx, -ENOMEM, "out of memory");
	n = vn_md_mdstat_parse(text, arr, VN_MD_MEMBERS_MAX);
	if (n < 0) {
		free(arr);
		return vn_fail(ctx, n, "cannot parse %s", MDSTAT);
	}
	for (int i = 0; i < n; i++) {
		read_array_sysfs(ctx, &arr[i]);
		read_events(ctx, &arr[i]);
	}
	*ret = arr;
	return n;
}

int vn_md_status(struct vn_ctx *ctx, const char *md_arg, struct vn_md_status *ret)
{
	struct vn_md_status *all = NULL;
	char md[VN_NAME_MAX];
	int n, r;

	r = vn_md_name(ctx, md_arg, md, sizeof(md), NULL);
	if (r < 0)
		return r;
	n = vn_md_list(ctx, &all);
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		if (strcmp(all[i].name, md) == 0) {
			*ret = all[i];
			free(all);
			return 0;
		}
	}
	free(all);
	return vn_fail(ctx, -ENODEV, "%s: no such array", md);
}

int64_t vn_md_sync_left(const struct vn_md_status *st)
{
	if (!st->syncing || st->sync_finish_min < 0)
		return -1;
	return (int64_t)(st->sync_finish_min * 60 + 0.5);
}
