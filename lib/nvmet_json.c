// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * nvmetcli's saved-config format (nvmetcli nvmet/nvme.py, Root.save_to_file
 * and CFSNode.dump), so a file written by nvmetcli restores with vnvme and
 * the other way round:
 *  - every readable and writable attribute file "<group>_<name>" becomes
 *    "<group>": {"<name>": "<value>"}, values as strings;
 *  - "enable", "nsid", "portid", "ana_grpid" and ANA "grpid" are integers;
 *  - keys sorted, indent 2, a final newline.
 * The codec is pure; save and restore add the file and configfs around it.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <libgen.h>
#include <string.h>
#include <sys/stat.h>

#include "nvmet_priv.h"

/* ---- encode ---- */

/*
 * Each builder returns NULL on failure with the context's error naming the
 * entry: nothing is ever dropped from a save.
 */

static json_t *nomem(struct vn_ctx *ctx)
{
	(void)vn_fail(ctx, -ENOMEM, "out of memory");
	return NULL;
}

/* @s as a JSON string; jansson holds UTF-8 only. */
static json_t *text(struct vn_ctx *ctx, const char *s, const char *where, const char *what)
{
	json_t *v = json_string(s);

	if (!v)
		(void)vn_fail(ctx, -EINVAL, "%s: %s is not UTF-8 text, which JSON "
			      "cannot hold", where, what);
	return v;
}

/* Set @key of @obj to @v (stolen); false when @v is NULL or on error. */
static bool put(struct vn_ctx *ctx, json_t *obj, const char *key, json_t *v)
{
	if (!v)
		return false;
	if (json_object_set_new(obj, key, v) == 0)
		return true;
	(void)nomem(ctx);
	return false;
}

static bool append(struct vn_ctx *ctx, json_t *arr, json_t *v)
{
	if (!v)
		return false;
	if (json_array_append_new(arr, v) == 0)
		return true;
	(void)nomem(ctx);
	return false;
}

/* {"attr": {"model": "Linux"}, ...} from attr_model and friends. */
static bool attrs_to_groups(struct vn_ctx *ctx, json_t *obj, const char *where,
			    const struct vn_nvmet_attr *attrs, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		const char *us = strchr(attrs[i].name, '_');
		char group[sizeof(attrs[i].name)];
		json_t *g;

		if (!us)
			continue;
		vn_strlcpy(group, attrs[i].name, (size_t)(us - attrs[i].name) + 1);
		g = json_object_get(obj, group);
		if (!g && !put(ctx, obj, group, g = json_object()))
			return false;
		if (!put(ctx, g, us + 1, text(ctx, attrs[i].value, where, attrs[i].name)))
			return false;
	}
	return true;
}

static json_t *names_json(struct vn_ctx *ctx, char (*names)[VN_NQN_SIZE], unsigned int n,
			  const char *where, const char *field)
{
	json_t *arr = json_array();
	char what[64];

	for (unsigned int i = 0; arr && i < n; i++) {
		snprintf(what, sizeof(what), "%s[%u]", field, i);
		if (!append(ctx, arr, text(ctx, names[i], where, what))) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr ? arr : nomem(ctx);
}

/* @o, or NULL (freed) when @ok is false. */
static json_t *done(struct vn_ctx *ctx, json_t *o, bool ok)
{
	if (ok && o)
		return o;
	json_decref(o);
	return ok ? nomem(ctx) : NULL;
}

static json_t *ns_json(struct vn_ctx *ctx, const char *nqn, const struct vn_nvmet_ns *ns)
{
	unsigned int grp = ns->ana_grpid ? ns->ana_grpid : 1;
	char grpid[16], where[VN_NQN_SIZE + 48];
	json_t *o;

	snprintf(grpid, sizeof(grpid), "%u", grp);
	snprintf(where, sizeof(where), "subsystem %s: namespace %" PRIu32, nqn, ns->nsid);
	o = json_pack("{s:{s:s}, s:I, s:i, s:I, s:{}}", "ana", "grpid", grpid,
		      "ana_grpid", (json_int_t)grp, "enable", ns->enabled ? 1 : 0,
		      "nsid", (json_int_t)ns->nsid, "device");
	return done(ctx, o, o && attrs_to_groups(ctx, o, where, ns->attrs, ns->nattrs));
}

static json_t *subsys_json(struct vn_ctx *ctx, const struct vn_nvmet_subsys *s)
{
	char where[VN_NQN_SIZE + 16];
	json_t *o = json_object(), *nss = json_array();
	bool ok = o && put(ctx, o, "namespaces", nss) && put(ctx, o, "attr", json_object());

	snprintf(where, sizeof(where), "subsystem %s", s->nqn);
	for (unsigned int i = 0; ok && i < s->nns; i++)
		ok = append(ctx, nss, ns_json(ctx, s->nqn, &s->ns[i]));
	ok = ok && put(ctx, o, "nqn", text(ctx, s->nqn, where, "the NQN")) &&
	     put(ctx, o, "allowed_hosts", names_json(ctx, s->hosts, s->nhosts, where,
						     "allowed_hosts")) &&
	     attrs_to_groups(ctx, o, where, s->attrs, s->nattrs);
	return done(ctx, o, ok);
}

static json_t *referral_json(struct vn_ctx *ctx, const char *where,
			     const struct vn_nvmet_referral *ref)
{
	json_t *o = json_pack("{s:{}, s:i}", "addr", "enable", ref->enabled ? 1 : 0);

	return done(ctx, o, o && put(ctx, o, "name", text(ctx, ref->name, where,
							   "a referral name")) &&
		    attrs_to_groups(ctx, o, where, ref->attrs, ref->nattrs));
}

static json_t *port_json(struct vn_ctx *ctx, const struct vn_nvmet_port *p)
{
	json_t *ana = json_array(), *refs = json_array(), *o;
	char where[32];
	bool ok;

	snprintf(where, sizeof(where), "port %u", p->portid);
	o = json_pack("{s:{}, s:o, s:{}, s:I, s:o}", "addr", "ana_groups", ana, "param",
		      "portid", (json_int_t)p->portid, "referrals", refs);
	ok = o != NULL;
	for (unsigned int i = 0; ok && i < p->nana; i++)
		ok = append(ctx, ana, json_pack("{s:{s:o}, s:I}", "ana", "state",
			text(ctx, p->ana[i].state, where, "an ANA state"),
			"grpid", (json_int_t)p->ana[i].grpid));
	for (unsigned int i = 0; ok && i < p->nrefs; i++)
		ok = append(ctx, refs, referral_json(ctx, where, &p->refs[i]));
	ok = ok && put(ctx, o, "subsystems", names_json(ctx, p->subsys, p->nsubsys, where,
							"subsystems")) &&
	     attrs_to_groups(ctx, o, where, p->attrs, p->nattrs);
	return done(ctx, o, ok);
}

static json_t *hosts_json(struct vn_ctx *ctx, const struct vn_nvmet_config *cfg)
{
	json_t *arr = json_array();
	bool ok = arr != NULL;
	char what[32];

	for (unsigned int i = 0; ok && i < cfg->nhosts; i++) {
		json_t *h;

		snprintf(what, sizeof(what), "hosts[%u]", i);
		h = json_pack("{s:o}", "nqn", text(ctx, cfg->hosts[i], "hosts", what));
		/* "dhchap": {"key", "ctrl_key", "hash", "dhgroup"}, as CFSNode.dump would */
		if (h && cfg->host_attrs &&
		    !attrs_to_groups(ctx, h, what, cfg->host_attrs[i].attrs,
				     cfg->host_attrs[i].nattrs)) {
			json_decref(h);
			h = NULL;
		}
		ok = append(ctx, arr, h);
	}
	return done(ctx, arr, ok);
}

static json_t *config_json(struct vn_ctx *ctx, const struct vn_nvmet_config *cfg)
{
	json_t *root = json_object(), *ports = json_array(), *subs = json_array();
	bool ok = root && put(ctx, root, "ports", ports) && put(ctx, root, "subsystems", subs) &&
		  put(ctx, root, "hosts", hosts_json(ctx, cfg));

	for (unsigned int i = 0; ok && i < cfg->nports; i++)
		ok = append(ctx, ports, port_json(ctx, &cfg->ports[i]));
	for (unsigned int i = 0; ok && i < cfg->nsubsys; i++)
		ok = append(ctx, subs, subsys_json(ctx, &cfg->subsys[i]));
	return done(ctx, root, ok);
}

int vn_nvmet_json_encode(struct vn_ctx *ctx, const struct vn_nvmet_config *cfg,
			 char **ret_text)
{
	json_t *root = config_json(ctx, cfg);
	char *out;

	if (!root)
		return -EINVAL;
	/* json.dumps(dump, sort_keys=True, indent=2) + "\n" */
	out = json_dumps(root, JSON_SORT_KEYS | JSON_INDENT(2));
	json_decref(root);
	if (!out)
		return vn_fail(ctx, -ENOMEM, "out of memory");
	*ret_text = realloc(out, strlen(out) + 2);
	if (!*ret_text) {
		free(out);
		return vn_fail(ctx, -ENOMEM, "out of memory");
	}
	strcat(*ret_text, "\n");
	return 0;
}

/* ---- decode ---- */

/*
 * A JSON value as nvmetcli would write it into a file: strings as they are.
 * One that does not fit is refused, never cut: a cut device path is
 * another path. Return: 0, -EINVAL (not a value), -E2BIG (too long).
 */
static int value_string(const json_t *v, char *buf, size_t len)
{
	int n;

	if (json_is_string(v))
		n = snprintf(buf, len, "%s", json_string_value(v));
	else if (json_is_integer(v))
		n = snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_boolean(v))
		n = snprintf(buf, len, "%d", json_is_true(v) ? 1 : 0);
	else
		return -EINVAL;
	return n >= 0 && (size_t)n < len ? 0 : -E2BIG;
}

/* Groups of @obj named in @groups back to attr files "<group>_<name>". */
static int groups_to_attrs(struct vn_ctx *ctx, const json_t *obj,
			   const char *const *groups, const char *where,
			   struct vn_nvmet_attr *attrs, unsigned int *n)
{
	*n = 0;
	for (; *groups; groups++) {
		const json_t *g = json_object_get(obj, *groups), *v;
		const char *key;

		if (!g)
			continue;
		if (!json_is_object(g))
			return vn_fail(ctx, -EINVAL, "%s: \"%s\" is not an object", where,
				       *groups);
		json_object_foreach((json_t *)g, key, v) {
			struct vn_nvmet_attr *a = &attrs[*n];
			int r;

			if (*n >= VN_NVMET_ATTRS_MAX)
				return vn_fail(ctx, -EINVAL, "%s: too many attributes", where);
			if (snprintf(a->name, sizeof(a->name), "%s_%s", *groups, key) >=
			    (int)sizeof(a->name) || strchr(key, '/'))
				return vn_fail(ctx, -EINVAL, "%s: bad attribute name '%s'",
					       where, key);
			r = value_string(v, a->value, sizeof(a->value));
			if (r == -E2BIG)
				return vn_fail(ctx, -EINVAL, "%s: %s.%s is longer than %zu "
					       "characters", where, *groups, key,
					       sizeof(a->value) - 1);
			if (r < 0)
				return vn_fail(ctx, -EINVAL, "%s: %s.%s is not a string",
					       where, *groups, key);
			(*n)++;
		}
	}
	return 0;
}

/* "7", "0x10": the whole string, as the kernel's kstrto* would take it. */
static bool parse_int(const char *s, int64_t *ret)
{
	char *end;

	errno = 0;
	*ret = strtoll(s, &end, 0);
	return errno == 0 && end != s && *end == '\0';
}

static int get_int(struct vn_ctx *ctx, const json_t *obj, const char *key,
		   const char *where, int64_t min, int64_t max, int64_t def,
		   int64_t *ret)
{
	const json_t *v = json_object_get(obj, key);
	int64_t x;

	if (!v) {
		if (def < min)
			return vn_fail(ctx, -EINVAL, "%s: \"%s\" is missing", where, key);
		*ret = def;
		return 0;
	}
	if (json_is_integer(v))
		x = json_integer_value(v);
	else if (json_is_boolean(v))
		x = json_is_true(v);
	else if (json_is_string(v) && parse_int(json_string_value(v), &x))
		;
	else
		return vn_fail(ctx, -EINVAL, "%s: \"%s\" is not a number", where, key);
	if (x < min || x > max)
		return vn_fail(ctx, -EINVAL, "%s: \"%s\" %" PRId64 " is out of range",
			       where, key, x);
	*ret = x;
	return 0;
}

/* An array of strings (or of {"nqn": s} objects) into NQN-sized names. */
static int get_names(struct vn_ctx *ctx, const json_t *arr, const char *where,
		     char (**ret)[VN_NQN_SIZE], unsigned int *ret_n)
{
	size_t i;
	json_t *v;

	*ret = NULL;
	*ret_n = 0;
	if (!arr)
		return 0;
	if (!json_is_array(arr))
		return vn_fail(ctx, -EINVAL, "%s is not an array", where);
	if (json_array_size(arr) == 0)
		return 0;
	*ret = calloc(json_array_size(arr), VN_NQN_SIZE);
	if (!*ret)
		return vn_fail(ctx, -ENOMEM, "out of memory");
	json_array_foreach(arr, i, v) {
		const json_t *s = json_is_object(v) ? json_object_get(v, "nqn") : v;

		if (!json_is_string(s) || strlen(json_string_value(s)) >= VN_NQN_SIZE ||
		    !json_string_value(s)[0])
			return vn_fail(ctx, -EINVAL, "%s[%zu] is not an NQN", where, i);
		vn_strlcpy((*ret)[i], json_string_value(s), VN_NQN_SIZE);
		(*ret_n)++;
	}
	return 0;
}

static int decode_ns(struct vn_ctx *ctx, const json_t *o, const char *nqn,
		     struct vn_nvmet_ns *ns)
{
	char where[VN_NQN_SIZE + 32];
	const json_t *ana = json_object_get(o, "ana");
	int64_t v, grp = 1;
	int r;

	snprintf(where, sizeof(where), "subsystem %s: namespace", nqn);
	/* nsid 0 and 0xffffffff are refused by the kernel */
	r = get_int(ctx, o, "nsid", where, 1, 0xfffffffe, 0, &v);
	if (r < 0)
		return r;
	ns->nsid = (uint32_t)v;
	r = get_int(ctx, o, "enable", where, 0, 1, 0, &v);
	if (r < 0)
		return r;
	ns->enabled = v;
	/* "ana_grpid" (nvmetcli > 0.7), else the "ana" group, else 1 */
	if (json_is_object(ana))
		r = get_int(ctx, ana, "grpid", where, 1, 128, 1, &grp);
	if (r == 0)
		r = get_int(ctx, o, "ana_grpid", where, 1, 128, grp, &grp);
	if (r < 0)
		return r;
	ns->ana_grpid = (unsigned int)grp;
	return groups_to_attrs(ctx, o, vn_nvmet_ns_groups, where, ns->attrs, &ns->nattrs);
}

static int decode_subsys(struct vn_ctx *ctx, const json_t *o, struct vn_nvmet_subsys *s)
{
	const json_t *nqn = json_object_get(o, "nqn"), *nss, *v;
	char where[VN_NQN_SIZE + 32];
	size_t i;
	int r;

	if (!json_is_string(nqn) || strlen(json_string_value(nqn)) >= VN_NQN_SIZE)
		return vn_fail(ctx, -EINVAL, "a subsystem has no valid \"nqn\"");
	vn_strlcpy(s->nqn, json_string_value(nqn), sizeof(s->nqn));
	snprintf(where, sizeof(where), "subsystem %s", s->nqn);
	r = groups_to_attrs(ctx, o, vn_nvmet_subsys_groups, where, s->attrs, &s->nattrs);
	if (r == 0)
		r = get_names(ctx, json_object_get(o, "allowed_hosts"), where, &s->hosts,
			      &s->nhosts);
	if (r < 0)
		return r;
	nss = json_object_get(o, "namespaces");
	if (!nss || !json_array_size(nss))
		return 0;
	if (!json_is_array(nss))
		return vn_fail(ctx, -EINVAL, "%s: \"namespaces\" is not an array", where);
	s->ns = calloc(json_array_size(nss), sizeof(*s->ns));
	if (!s->ns)
		return vn_fail(ctx, -ENOMEM, "out of memory");
	json_array_foreach(nss, i, v) {
		r = decode_ns(ctx, v, s->nqn, &s->ns[s->nns]);
		if (r < 0)
			return r;
		s->nns++;
	}
	return 0;
}

static int decode_ana(struct vn_ctx *ctx, const json_t *arr, const char *where,
		      struct vn_nvmet_port *p)
{
	size_t i;
	json_t *v;

	if (!arr || !json_array_size(arr))
		return 0;
	p->ana = calloc(json_array_size(arr), sizeof(*p->ana));
	if (!p->ana)
		return vn_fail(ctx, -ENOMEM, "out of memory");
	json_array_foreach(arr, i, v) {
		struct vn_nvmet_ana *a = &p->ana[p->nana];
		const json_t *st = json_object_get(json_object_get(v, "ana"), "state");
		int64_t grp;
		int r = get_int(ctx, v, "grpid", where, 1, 128, 0, &grp);

		if (r < 0)
			return r;
		a->grpid = (unsigned int)grp;
		vn_strlcpy(a->state, json_is_string(st) ? json_string_value(st) : "",
			   sizeof(a->state));
		p->nana++;
	}
	return 0;
}

static int decode_referrals(struct vn_ctx *ctx, const json_t *arr, const char *where,
			    struct vn_nvmet_port *p)
{
	size_t i;
	json_t *v;

	if (!arr || !json_array_size(arr))
		return 0;
	p->refs = calloc(json_array_size(arr), sizeof(*p->refs));
	if (!p->refs)
		return vn_fail(ctx, -ENOMEM, "out of memory");
	json_array_foreach(arr, i, v) {
		struct vn_nvmet_referral *ref = &p->refs[p->nrefs];
		const json_t *name = json_object_get(v, "name");
		int64_t en;
		int r;

		/* the name itself is checked with the rest (vn_nvmet_config_check) */
		if (!json_is_string(name) || strlen(json_string_value(name)) >= sizeof(ref->name))
			return vn_fail(ctx, -EINVAL, "%s: a referral has no valid name", where);
		vn_strlcpy(ref->name, json_string_value(name), sizeof(ref->name));
		r = get_int(ctx, v, "enable", where, 0, 1, 0, &en);
		if (r == 0)
			r = groups_to_attrs(ctx, v, vn_nvmet_referral_groups, where, ref->attrs,
					    &ref->nattrs);
		if (r < 0)
			return r;
		ref->enabled = en;
		p->nrefs++;
	}
	return 0;
}

static int decode_port(struct vn_ctx *ctx, const json_t *o, struct vn_nvmet_port *p)
{
	char where[64];
	int64_t id;
	int r;

	/* the port id is a u16 directory name (kstrtou16) */
	r = get_int(ctx, o, "portid", "a port", 0, UINT16_MAX, -1, &id);
	if (r < 0)
		return r;
	p->portid = (uint16_t)id;
	snprintf(where, sizeof(where), "port %u", p->portid);
	r = groups_to_attrs(ctx, o, vn_nvmet_port_groups, where, p->attrs, &p->nattrs);
	if (r == 0)
		r = get_names(ctx, json_object_get(o, "subsystems"), where, &p->subsys,
			      &p->nsubsys);
	if (r == 0)
		r = decode_ana(ctx, json_object_get(o, "ana_groups"), where, p);
	if (r == 0)
		r = decode_referrals(ctx, json_object_get(o, "referrals"), where, p);
	return r;
}

/* The hosts' "dhchap" groups (vnvme's addition; nvmetcli saves only "nqn"). */
static int decode_host_attrs(struct vn_ctx *ctx, const json_t *hosts,
			     struct vn_nvmet_config *cfg)
{
	char where[32];
	size_t i;
	json_t *v;

	if (!cfg->nhosts)
		return 0;
	cfg->host_attrs = calloc(cfg->nhosts, sizeof(*cfg->host_attrs));
	if (!cfg->host_attrs)
		return vn_fail(ctx, -ENOMEM, "out of memory");
	json_array_foreach(hosts, i, v) {
		int r;

		if (!json_is_object(v))
			continue;
		snprintf(where, sizeof(where), "hosts[%zu]", i);
		r = groups_to_attrs(ctx, v, vn_nvmet_host_groups, where, cfg->host_attrs[i].attrs,
				    &cfg->host_attrs[i].nattrs);
		if (r < 0)
			return r;
	}
	return 0;
}

static int decode_root(struct vn_ctx *ctx, const json_t *root, struct vn_nvmet_config *cfg)
{
	const json_t *subs = json_object_get(root, "subsystems");
	const json_t *ports = json_object_get(root, "ports");
	size_t i;
	json_t *v;
	int r;

	if (!json_is_object(root))
		return vn_fail(ctx, -EINVAL, "the top level is not an object");
	if ((subs && !json_is_array(subs)) || (ports && !json_is_array(ports)))
		return vn_fail(ctx, -EINVAL, "\"subsystems\" and \"ports\" must be arrays");
	r = get_names(ctx, json_object_get(root, "hosts"), "hosts", &cfg->hosts,
		      &cfg->nhosts);
	if (r == 0)
		r = decode_host_attrs(ctx, json_object_get(root, "hosts"), cfg);
	if (r < 0)
		return r;
	if (json_array_size(subs)) {
		cfg->subsys = calloc(json_array_size(subs), sizeof(*cfg->subsys));
		if (!cfg->subsys)
			return vn_fail(ctx, -ENOMEM, "out of memory");
	}
	json_array_foreach(subs, i, v) {
		r = decode_subsys(ctx, v, &cfg->subsys[cfg->nsubsys++]);
		if (r < 0)
			return r;
	}
	if (json_array_size(ports)) {
		cfg->ports = calloc(json_array_size(ports), sizeof(*cfg->ports));
		if (!cfg->ports)
			return vn_fail(ctx, -ENOMEM, "out of memory");
	}
	json_array_foreach(ports, i, v) {
		r = decode_port(ctx, v, &cfg->ports[cfg->nports++]);
		if (r < 0)
			return r;
	}
	return 0;
}

int vn_nvmet_json_decode(struct vn_ctx *ctx, const char *text,
			 struct vn_nvmet_config **ret_cfg)
{
	struct vn_nvmet_config *cfg;
	json_error_t jerr;
	json_t *root;
	int r;

	root = json_loads(text, 0, &jerr);
	if (!root)
		return vn_fail(ctx, -EINVAL, "not JSON: line %d: %s", jerr.line, jerr.text);
	cfg = calloc(1, sizeof(*cfg));
	if (!cfg) {
		json_decref(root);
		return vn_fail(ctx, -ENOMEM, "out of memory");
	}
	r = decode_root(ctx, root, cfg);
	json_decref(root);
	if (r < 0) {
		vn_nvmet_config_free(cfg);
		return r;
	}
	*ret_cfg = cfg;
	return 0;
}

/* ---- save and restore ---- */

/*
 * Write @text to @path as nvmetcli does: <path>.temp, fsync, rename. The
 * temp file is made new (O_EXCL, O_NOFOLLOW, mode 0600): a file or symlink
 * already there is never followed nor overwritten.
 */
static int write_atomic(struct vn_ctx *ctx, const char *path, const char *text)
{
	char tmp[VN_PATH_MAX], dir[VN_PATH_MAX];
	size_t len = strlen(text);
	_cleanup_close_ int fd = -1;
	int r;

	if (snprintf(tmp, sizeof(tmp), "%s.temp", path) >= (int)sizeof(tmp))
		return vn_fail(ctx, -ENAMETOOLONG, "%s: path too long", path);
	vn_strlcpy(dir, path, sizeof(dir));
	if (!vn_action(ctx, "write %s", path))
		return 0;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return vn_fail(ctx, -errno, "cannot create %s: %s%s", tmp, strerror(errno),
			       errno == EEXIST ? " (left by an earlier save? remove it)" : "");
	if (write(fd, text, len) != (ssize_t)len || fsync(fd) < 0) {
		r = errno ? -errno : -EIO;
		(void)unlink(tmp);
		return vn_fail(ctx, r, "cannot write %s: %s", tmp, strerror(-r));
	}
	if (rename(tmp, path) < 0) {
		r = -errno;
		(void)unlink(tmp);
		return vn_fail(ctx, r, "cannot rename %s to %s: %s", tmp, path,
			       strerror(-r));
	}
	/* make the rename durable */
	close(fd);
	fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0)
		(void)fsync(fd);
	return 0;
}

int vn_nvmet_dump(struct vn_ctx *ctx, char **ret_text)
{
	struct vn_nvmet_config *cfg = NULL;
	int r;

	r = vn_nvmet_read(ctx, &cfg);
	if (r < 0)
		return r;
	r = vn_nvmet_json_encode(ctx, cfg, ret_text);
	vn_nvmet_config_free(cfg);
	return r;
}

int vn_nvmet_save(struct vn_ctx *ctx, const char *path)
{
	char *text = NULL;
	int r;

	r = vn_nvmet_dump(ctx, &text);
	if (r < 0)
		return r;
	r = write_atomic(ctx, path, text);
	free(text);
	return r;
}

static int read_file(struct vn_ctx *ctx, const char *path, char **ret_text)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	char *text = NULL;
	size_t cap = 0, n = 0, got;

	if (!f && errno == ENOENT)	/* as a stack file: bad input, exit 2 */
		return vn_invalid_errno(ctx, -ENOENT, "cannot open %s: %s", path,
					strerror(ENOENT));
	if (!f)
		return vn_fail(ctx, -errno, "cannot open %s: %s", path, strerror(errno));
	do {
		char *nt;

		if (cap - n < 4096) {
			cap = cap ? cap * 2 : 65536;
			nt = realloc(text, cap + 1);
			if (!nt) {
				free(text);
				return vn_fail(ctx, -ENOMEM, "out of memory");
			}
			text = nt;
		}
		got = fread(text + n, 1, cap - n, f);
		n += got;
	} while (got > 0);
	if (ferror(f)) {
		free(text);
		return vn_fail(ctx, -EIO, "cannot read %s", path);
	}
	text[n] = '\0';
	*ret_text = text;
	return 0;
}

int vn_nvmet_load(struct vn_ctx *ctx, const char *path,
		  struct vn_nvmet_config **ret_cfg)
{
	struct vn_nvmet_config *cfg = NULL;
	char *text = NULL, msg[VN_ERR_MSG_MAX];
	int r;

	r = read_file(ctx, path, &text);
	if (r < 0)
		return r;
	r = vn_nvmet_json_decode(ctx, text, &cfg);
	free(text);
	if (r == 0)
		r = vn_nvmet_config_check(ctx, cfg);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		vn_nvmet_config_free(cfg);
		/* whatever is wrong in the file, nothing was changed: invalid input */
		vn_strlcpy(msg, vn_ctx_error(ctx), sizeof(msg));
		return vn_invalid(ctx, "%s: %s", path, msg);
	}
	*ret_cfg = cfg;
	return 0;
}
