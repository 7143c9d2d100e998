// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * Stack files: the whole drive (disks, md array with its journal, RAM
 * cache, NVMe/TCP export, host connections) as one JSON document, its
 * decoder and checker, its encoder, and the identity helpers `vnvme up`
 * uses to find an array's devices by the UUID in their superblocks.
 * See vnvme-stack(5). Silent: errors name the field, the caller the file.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <string.h>

#include "dm_priv.h"
#include "md_super.h"

/* ---- decoding ---- */

/* The field being read, for messages: "array.members[2].device". */
struct field {
	struct vn_ctx *ctx;
	char path[160];
};

static int vbad(struct field *f, const char *key, const char *fmt, va_list ap)
	VN_PRINTF(3, 0);
static int vbad(struct field *f, const char *key, const char *fmt, va_list ap)
{
	char msg[VN_ERR_MSG_MAX - 160];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	return vn_invalid(f->ctx, "%s%s%s: %s", f->path, key[0] && f->path[0] ? "." : "",
			  key, msg);
}

/* The field is wrong: "array.level: 7 is not a RAID level". */
static int bad(struct field *f, const char *fmt, ...) VN_PRINTF(2, 3);
static int bad(struct field *f, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vbad(f, "", fmt, ap);
	va_end(ap);
	return r;
}

/* The same for @key inside the current field: "array" + "level". */
static int bad_at(struct field *f, const char *key, const char *fmt, ...) VN_PRINTF(3, 4);
static int bad_at(struct field *f, const char *key, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vbad(f, key, fmt, ap);
	va_end(ap);
	return r;
}

/* Descend into @key (".key" or "[n]" appended); restored by leave(). */
static size_t enter(struct field *f, const char *fmt, ...) VN_PRINTF(2, 3);
static size_t enter(struct field *f, const char *fmt, ...)
{
	size_t old = strlen(f->path);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(f->path + old, sizeof(f->path) - old, fmt, ap);
	va_end(ap);
	return old;
}

static void leave(struct field *f, size_t old)
{
	f->path[old] = '\0';
}

static const char *type_word(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "a list";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a number";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	default: return "null";
	}
}

/* Refuse keys the document format does not have (a typo would be ignored). */
static int only_keys(struct field *f, const json_t *obj, const char *const *keys)
{
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)obj, k, v) {
		bool known = false;

		for (const char *const *p = keys; *p; p++)
			known = known || strcmp(*p, k) == 0;
		if (!known) {
			size_t o = enter(f, "%s%s", f->path[0] ? "." : "", k);
			int r = bad(f, "unknown key");

			leave(f, o);
			return r;
		}
	}
	return 0;
}

static int get_string(struct field *f, const json_t *obj, const char *key, bool required,
		      char *buf, size_t len)
{
	json_t *v = json_object_get(obj, key);
	size_t o = enter(f, "%s%s", f->path[0] ? "." : "", key);
	int r = 0;

	if (!v) {
		if (required)
			r = bad(f, "missing");
	} else if (!json_is_string(v)) {
		r = bad(f, "is %s, not a string", type_word(v));
	} else if (json_string_length(v) >= len) {
		r = bad(f, "longer than %zu characters", len - 1);
	} else if (json_string_length(v) == 0) {
		r = bad(f, "empty");
	} else {
		vn_strlcpy(buf, json_string_value(v), len);
	}
	leave(f, o);
	return r;
}

/* An integer in [min, max]; a string of digits is accepted too. */
static int get_uint(struct field *f, const json_t *obj, const char *key, bool required,
		    uint64_t min, uint64_t max, uint64_t *ret)
{
	json_t *v = json_object_get(obj, key);
	size_t o = enter(f, "%s%s", f->path[0] ? "." : "", key);
	uint64_t n = 0;
	int r = 0;

	if (!v) {
		if (required)
			r = bad(f, "missing");
		leave(f, o);
		return r;
	}
	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		n = (uint64_t)json_integer_value(v);
	} else if (json_is_string(v) && json_string_value(v)[0] &&
		   strspn(json_string_value(v), "0123456789") == json_string_length(v)) {
		n = strtoull(json_string_value(v), NULL, 10);
	} else {
		r = json_is_integer(v) ? bad(f, "%lld is negative",
					     (long long)json_integer_value(v)) :
			bad(f, "is %s, not a whole number", type_word(v));
		leave(f, o);
		return r;
	}
	if (n < min || n > max)
		r = bad(f, "%llu is out of range (%llu to %llu)", (unsigned long long)n,
			(unsigned long long)min, (unsigned long long)max);
	else
		*ret = n;
	leave(f, o);
	return r;
}

/* A size: "32M", "2G", or an integer of @unit. */
static int get_size(struct field *f, const json_t *obj, const char *key, uint64_t unit,
		    uint64_t *ret)
{
	json_t *v = json_object_get(obj, key);
	size_t o = enter(f, "%s%s", f->path[0] ? "." : "", key);
	int r = 0;

	if (!v)
		r = bad(f, "missing");
	else if (json_is_integer(v) && json_integer_value(v) > 0 &&
		 (uint64_t)json_integer_value(v) <= UINT64_MAX / unit)
		*ret = (uint64_t)json_integer_value(v) * unit;
	else if (!json_is_string(v))
		r = bad(f, "is %s, not a size (\"32M\", \"2G\")", type_word(v));
	else if (vn_size_parse(json_string_value(v), unit, ret) < 0 || *ret == 0)
		r = bad(f, "'%s' is not a size (\"32M\", \"2G\")", json_string_value(v));
	leave(f, o);
	return r;
}

static int get_bool(struct field *f, const json_t *obj, const char *key, bool *ret)
{
	json_t *v = json_object_get(obj, key);
	size_t o = enter(f, "%s%s", f->path[0] ? "." : "", key);
	int r = 0;

	if (v && !json_is_boolean(v))
		r = bad(f, "is %s, not true or false", type_word(v));
	else if (v)
		*ret = json_is_true(v);
	leave(f, o);
	return r;
}

/* The object or list @key of @obj (a list of at most @max); NULL when absent. */
static int get_node(struct field *f, const json_t *obj, const char *key, json_type type,
		    size_t max, json_t **ret)
{
	json_t *v = json_object_get(obj, key);
	size_t o;
	int r = 0;

	*ret = NULL;
	if (!v)
		return 0;
	o = enter(f, "%s%s", f->path[0] ? "." : "", key);
	if (json_typeof(v) != type)
		r = bad(f, "is %s, not %s", type_word(v),
			type == JSON_ARRAY ? "a list" : "an object");
	else if (type == JSON_ARRAY && json_array_size(v) > max)
		r = bad(f, "has %zu entries, at most %zu are supported", json_array_size(v), max);
	else
		*ret = v;
	leave(f, o);
	return r;
}

static int get_object(struct field *f, const json_t *obj, const char *key, json_t **ret)
{
	return get_node(f, obj, key, JSON_OBJECT, 0, ret);
}

/* Decode the @i-th entry @v of a list into the caller's @data. */
typedef int (*entry_fn)(struct field *f, const json_t *v, size_t i, void *data);

/*
 * The list @key of @obj (absent: nothing), at most @max entries, each
 * through @fn with the field path at "key[i]". Return: 0 or the first error.
 */
static int decode_list(struct field *f, const json_t *obj, const char *key, size_t max,
		       entry_fn fn, void *data)
{
	json_t *list, *v;
	size_t i;
	int r = get_node(f, obj, key, JSON_ARRAY, max, &list);

	if (r < 0 || !list)
		return r;
	json_array_foreach(list, i, v) {
		size_t o = enter(f, "%s%s[%zu]", f->path[0] ? "." : "", key, i);

		r = fn(f, v, i, data);
		leave(f, o);
		if (r < 0)
			return r;
	}
	return 0;
}

static int check_devpath(struct field *f, const char *path)
{
	if (strncmp(path, "/dev/", 5) != 0 || !path[5] || strstr(path, ".."))
		return bad(f, "'%s' is not a /dev/ path", path);
	return 0;
}

static int decode_disk(struct field *f, const json_t *v, size_t i, void *data)
{
	struct vn_stack *s = data;
	int r;

	(void)i;
	if (!json_is_string(v))
		r = bad(f, "is %s, not a device path", type_word(v));
	else if (json_string_length(v) >= VN_STACK_PATH_MAX)
		r = bad(f, "too long");
	else
		r = check_devpath(f, json_string_value(v));
	if (r == 0)
		vn_strlcpy(s->disks[s->ndisks++], json_string_value(v), VN_STACK_PATH_MAX);
	return r;
}

static int decode_disks(struct field *f, const json_t *root, struct vn_stack *s)
{
	return decode_list(f, root, "disks", VN_STACK_DISKS_MAX, decode_disk, s);
}

/* A member or the journal: "/dev/sda1" or {"device", "serial", "wwn", "partition"}. */
static int decode_dev(struct field *f, const json_t *v, struct vn_stack_dev *d)
{
	static const char *const keys[] = { "device", "serial", "wwn", "partition", NULL };
	uint64_t part = 0;
	int r;

	if (json_is_string(v)) {
		if (json_string_length(v) >= sizeof(d->device))
			return bad(f, "too long");
		vn_strlcpy(d->device, json_string_value(v), sizeof(d->device));
		return check_devpath(f, d->device);
	}
	if (!json_is_object(v))
		return bad(f, "is %s, not a device path or object", type_word(v));
	r = only_keys(f, v, keys);
	if (r == 0)
		r = get_string(f, v, "device", true, d->device, sizeof(d->device));
	if (r == 0) {
		size_t o = enter(f, ".device");

		r = check_devpath(f, d->device);
		leave(f, o);
	}
	if (r == 0)
		r = get_string(f, v, "serial", false, d->serial, sizeof(d->serial));
	if (r == 0)
		r = get_string(f, v, "wwn", false, d->wwn, sizeof(d->wwn));
	if (r == 0)
		r = get_uint(f, v, "partition", false, 0, 128, &part);
	d->partition = (unsigned int)part;
	return r;
}

static int decode_level(struct field *f, const json_t *arr, int *ret)
{
	json_t *v = json_object_get(arr, "level");
	size_t o = enter(f, ".level");
	const char *s;
	char *end;
	long n;
	int r = 0;

	if (!v) {
		r = bad(f, "missing");
	} else if (json_is_integer(v)) {
		n = (long)json_integer_value(v);
		if (n < 0 || n > 10 || !vn_md_level_name((int)n) || json_integer_value(v) != n)
			r = bad(f, "%lld is not a RAID level (0, 1, 4, 5, 6, 10)",
				(long long)json_integer_value(v));
		else
			*ret = (int)n;
	} else if (json_is_string(v)) {
		s = json_string_value(v);
		if (strncmp(s, "raid", 4) == 0)
			s += 4;
		n = strtol(s, &end, 10);
		/* 4294967301 is no 5, however int would cut it */
		if (!*s || *end || n < 0 || n > 10 || !vn_md_level_name((int)n))
			r = bad(f, "'%s' is not a RAID level (0, 1, 4, 5, 6, 10)",
				json_string_value(v));
		else
			*ret = (int)n;
	} else {
		r = bad(f, "is %s, not a RAID level", type_word(v));
	}
	leave(f, o);
	return r;
}

static bool uuid_valid(const char *u)
{
	static const char shape[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";

	if (strlen(u) != sizeof(shape) - 1)
		return false;
	for (size_t i = 0; shape[i]; i++)
		if (shape[i] == '-' ? u[i] != '-' : !isxdigit((unsigned char)u[i]))
			return false;
	return true;
}

static int decode_member(struct field *f, const json_t *v, size_t i, void *data)
{
	struct vn_stack_array *a = data;
	int r = decode_dev(f, v, &a->members[i]);

	if (r == 0)
		a->nmembers++;
	return r;
}

static int decode_members(struct field *f, const json_t *arr, struct vn_stack_array *a)
{
	int r = decode_list(f, arr, "members", VN_MD_MEMBERS_MAX, decode_member, a);

	if (r == 0 && a->nmembers == 0) {
		size_t o = enter(f, ".members");

		r = bad(f, "%s", json_object_get(arr, "members") ? "empty" : "missing");
		leave(f, o);
	}
	return r;
}

static int decode_tuning(struct field *f, const json_t *arr, struct vn_stack_array *a)
{
	static const char *const keys[] = { "stripe_cache_size", "group_thread_cnt", NULL };
	json_t *t;
	size_t o;
	int r = get_object(f, arr, "tuning", &t);

	if (r < 0 || !t)
		return r;
	o = enter(f, ".tuning");
	if (a->level != 4 && a->level != 5 && a->level != 6)
		r = bad(f, "only raid4, raid5 and raid6 have a stripe cache");
	if (r == 0)
		r = only_keys(f, t, keys);
	/* the kernel's bounds: raid5_set_cache_size(), group_thread_cnt_store() */
	if (r == 0)
		r = get_uint(f, t, "stripe_cache_size", false, 17, 32768, &a->stripe_cache_size);
	if (r == 0)
		r = get_uint(f, t, "group_thread_cnt", false, 0, 8192, &a->group_thread_cnt);
	leave(f, o);
	return r;
}

static int decode_journal(struct field *f, const json_t *arr, struct vn_stack_array *a)
{
	json_t *j = json_object_get(arr, "journal");
	bool has_level = a->level == 4 || a->level == 5 || a->level == 6;
	size_t o;
	int r = 0;

	if (j) {
		o = enter(f, ".journal");
		r = has_level ? decode_dev(f, j, &a->journal) :
			bad(f, "a %s has no write journal (raid4, raid5, raid6 only)",
			    vn_md_level_name(a->level));
		leave(f, o);
		if (r < 0)
			return r;
		a->has_journal = true;
	}
	r = get_string(f, arr, "journal_mode", false, a->journal_mode,
		       sizeof(a->journal_mode));
	if (r < 0 || !a->journal_mode[0])
		return r;
	o = enter(f, ".journal_mode");
	if (strcmp(a->journal_mode, "write-back") && strcmp(a->journal_mode, "write-through"))
		r = bad(f, "'%s' is not write-back or write-through", a->journal_mode);
	else if (!a->has_journal)
		r = bad(f, "the array has no journal");
	leave(f, o);
	return r;
}

/* "write_cache": "off" (the default: vnvme-raid(8), WRITE CACHES) or "keep". */
static int decode_write_cache(struct field *f, const json_t *arr, struct vn_stack_array *a)
{
	char v[16] = "";
	size_t o;
	int r = get_string(f, arr, "write_cache", false, v, sizeof(v));

	if (r < 0 || !v[0])
		return r;
	o = enter(f, ".write_cache");
	if (strcmp(v, "keep") && strcmp(v, "off"))
		r = bad(f, "'%s' is not off or keep", v);
	else if (!a->has_journal && strcmp(v, "keep") == 0)
		r = bad(f, "the array has no journal (only a journal's members are changed)");
	a->keep_write_cache = strcmp(v, "keep") == 0;
	leave(f, o);
	return r;
}

static int decode_array(struct field *f, const json_t *root, struct vn_stack *s)
{
	static const char *const keys[] = { "name", "uuid", "level", "chunk", "members",
		"journal", "journal_mode", "write_cache", "tuning", NULL };
	struct vn_stack_array *a = &s->array;
	uint64_t chunk = 0;
	json_t *arr;
	size_t o;
	int r = get_object(f, root, "array", &arr);

	if (r < 0 || !arr)
		return r;
	s->has_array = true;
	a->group_thread_cnt = UINT64_MAX;
	o = enter(f, "array");
	r = only_keys(f, arr, keys);
	if (r == 0)
		r = get_string(f, arr, "name", true, a->name, sizeof(a->name));
	if (r == 0 && (strncmp(a->name, "md", 2) || !a->name[2] ||
		       strspn(a->name + 2, "0123456789") != strlen(a->name + 2)))
		r = bad_at(f, "name", "'%s' is not an md device name (md0, md1, ...)", a->name);
	if (r == 0)
		r = get_string(f, arr, "uuid", false, a->uuid, sizeof(a->uuid));
	if (r == 0 && a->uuid[0] && !uuid_valid(a->uuid))
		r = bad_at(f, "uuid", "'%s' is not a UUID (8-4-4-4-12 hex digits)", a->uuid);
	if (r == 0)
		r = decode_level(f, arr, &a->level);
	if (r == 0 && json_object_get(arr, "chunk")) {
		r = get_size(f, arr, "chunk", 1024, &chunk);
		if (r == 0 && (chunk % 4096 || chunk / 1024 > (1u << 30)))
			r = bad_at(f, "chunk", "%llu bytes is not a multiple of 4 KiB",
				   (unsigned long long)chunk);
		a->chunk_kib = (unsigned int)(chunk / 1024);
	}
	if (r == 0)
		r = decode_members(f, arr, a);
	if (r == 0)
		r = decode_journal(f, arr, a);
	if (r == 0)
		r = decode_write_cache(f, arr, a);
	if (r == 0)
		r = decode_tuning(f, arr, a);
	leave(f, o);
	return r;
}

static int decode_cache(struct field *f, const json_t *root, struct vn_stack *s)
{
	static const char *const keys[] = { "engine", "size", "mode", "name", NULL };
	struct vn_stack_cache *c = &s->cache;
	char mode[8] = "wa";
	json_t *obj;
	size_t o;
	int r = get_object(f, root, "cache", &obj);

	if (r < 0 || !obj)
		return r;
	s->has_cache = true;
	o = enter(f, "cache");
	if (!s->has_array)
		r = bad(f, "a cache needs an array to sit in front of");
	if (r == 0)
		r = only_keys(f, obj, keys);
	if (r == 0)
		r = get_string(f, obj, "engine", false, c->engine, sizeof(c->engine));
	if (r == 0 && c->engine[0] && strcmp(c->engine, "rapiddisk") &&
	    strcmp(c->engine, "dm-cache"))
		r = bad_at(f, "engine", "'%s' is not rapiddisk or dm-cache", c->engine);
	if (r == 0)
		r = get_size(f, obj, "size", 1ull << 20, &c->size_bytes);
	if (r == 0)
		r = get_string(f, obj, "mode", false, mode, sizeof(mode));
	if (r == 0) {
		size_t k = enter(f, ".mode");

		if (vn_cache_mode_parse(mode, &c->mode) < 0 || c->mode == VN_CACHE_WB)
			r = bad(f, "'%s' is not wa or wt (a write-back RAM cache loses "
				"acknowledged writes on power loss)", mode);
		leave(f, k);
	}
	if (r == 0)
		r = get_string(f, obj, "name", false, c->name, sizeof(c->name));
	if (r == 0 && c->name[0] && !vn_dm_valid_name(c->name))
		r = bad_at(f, "name", "'%s' is not a device-mapper name", c->name);
	leave(f, o);
	return r;
}

static int decode_nqn(struct field *f, const json_t *obj, const char *key, bool required,
		      char *buf)
{
	size_t o;
	int r = get_string(f, obj, key, required, buf, VN_NQN_SIZE);

	if (r < 0 || !buf[0])
		return r;
	o = enter(f, ".%s", key);
	if (vn_nvmet_nqn_check(f->ctx, buf) < 0) {
		char why[VN_ERR_MSG_MAX];

		vn_strlcpy(why, vn_ctx_error(f->ctx), sizeof(why));
		r = bad(f, "%s", why);
	} else {
		vn_ctx_clear_error(f->ctx);	/* 1: accepted, non-standard form */
	}
	leave(f, o);
	return r;
}

/* transport, address, service (and family): an export's port or a connection. */
static int decode_addr(struct field *f, const json_t *obj, char *transport, char *address,
		       uint16_t *service)
{
	uint64_t svc = VN_NVME_TCP_PORT;
	int r = get_string(f, obj, "transport", false, transport, 8);

	if (r == 0 && strcmp(transport, "tcp"))
		r = bad_at(f, "transport", "'%s' is not tcp (the only transport supported)",
			   transport);
	if (r == 0)
		r = get_string(f, obj, "address", true, address, 64);
	if (r == 0) {	/* as export create and connect take it, checked up front */
		unsigned char bin[sizeof(struct in6_addr)];

		if (inet_pton(AF_INET, address, bin) != 1 && inet_pton(AF_INET6, address, bin) != 1)
			r = bad_at(f, "address", "'%s' is not an IPv4 or IPv6 address", address);
	}
	if (r == 0)
		r = get_uint(f, obj, "service", false, 1, 65535, &svc);
	*service = (uint16_t)svc;
	return r;
}

static int decode_host(struct field *f, const json_t *v, size_t i, void *data)
{
	struct vn_stack_export *e = data;

	(void)i;
	if (!json_is_string(v) || json_string_length(v) >= VN_NQN_SIZE)
		return bad(f, "is not a host NQN");
	if (vn_nvmet_nqn_check(f->ctx, json_string_value(v)) < 0) {
		char why[VN_ERR_MSG_MAX];

		vn_strlcpy(why, vn_ctx_error(f->ctx), sizeof(why));
		return bad(f, "%s", why);
	}
	vn_ctx_clear_error(f->ctx);
	vn_strlcpy(e->hosts[e->nhosts++], json_string_value(v), VN_NQN_SIZE);
	return 0;
}

static int decode_hosts(struct field *f, const json_t *obj, struct vn_stack_export *e)
{
	return decode_list(f, obj, "hosts", VN_STACK_HOSTS_MAX, decode_host, e);
}

static int decode_port(struct field *f, const json_t *obj, struct vn_stack_export *e)
{
	static const char *const keys[] = { "transport", "address", "service", "family", NULL };
	json_t *p;
	size_t o;
	int r = get_object(f, obj, "port", &p);

	if (r == 0 && !p) {
		o = enter(f, ".port");
		r = bad(f, "missing");
		leave(f, o);
	}
	if (r < 0)
		return r;
	o = enter(f, ".port");
	r = only_keys(f, p, keys);
	if (r == 0)
		r = decode_addr(f, p, e->transport, e->address, &e->service);
	if (r == 0)
		r = get_string(f, p, "family", false, e->family, sizeof(e->family));
	if (r == 0 && !e->family[0])
		vn_strlcpy(e->family, strchr(e->address, ':') ? "ipv6" : "ipv4",
			   sizeof(e->family));
	if (r == 0 && strcmp(e->family, "ipv4") && strcmp(e->family, "ipv6"))
		r = bad_at(f, "family", "'%s' is not ipv4 or ipv6", e->family);
	leave(f, o);
	return r;
}

/* A DH-HMAC-CHAP key at @key of @obj, checked (its CRC) as the kernel would. */
static int get_dhchap_key(struct field *f, const json_t *obj, const char *key,
			  bool required, char *buf, size_t len)
{
	int r = get_string(f, obj, key, required, buf, len);

	if (r == 0 && buf[0] && vn_dhchap_check(f->ctx, buf) < 0) {
		char why[VN_ERR_MSG_MAX];

		vn_strlcpy(why, vn_ctx_error(f->ctx), sizeof(why));
		buf[0] = '\0';
		return bad_at(f, key, "%s", why);
	}
	return r;
}

/* A TLS key at @key of @obj, checked (its CRC); with it, "tls" is true. */
static int get_tls(struct field *f, const json_t *obj, bool *tls, char *buf, size_t len)
{
	int r = get_bool(f, obj, "tls", tls);

	if (r == 0)
		r = get_string(f, obj, "tls_key", false, buf, len);
	if (r == 0 && buf[0] && vn_tls_key_check(f->ctx, buf) < 0) {
		char why[VN_ERR_MSG_MAX];

		vn_strlcpy(why, vn_ctx_error(f->ctx), sizeof(why));
		buf[0] = '\0';
		return bad_at(f, "tls_key", "%s", why);
	}
	if (r == 0 && buf[0] && !*tls)
		r = bad_at(f, "tls_key", "goes with \"tls\": true");
	return r;
}

/* export.dhchap: {"key", "ctrl_key", "hash", "dhgroup"} for the one host. */
static int decode_dhchap(struct field *f, const json_t *obj, struct vn_stack_export *e)
{
	static const char *const keys[] = { "key", "ctrl_key", "hash", "dhgroup", NULL };
	json_t *d;
	size_t o;
	int r = get_object(f, obj, "dhchap", &d);

	if (r < 0 || !d)
		return r;
	o = enter(f, ".dhchap");
	r = only_keys(f, d, keys);
	if (r == 0 && (e->nhosts != 1 || e->allow_any_host))
		r = bad(f, "the keys of one host: list exactly one in \"hosts\"");
	if (r == 0)
		r = get_dhchap_key(f, d, "key", true, e->dhchap.key, sizeof(e->dhchap.key));
	if (r == 0)
		r = get_dhchap_key(f, d, "ctrl_key", false, e->dhchap.ctrl_key,
				   sizeof(e->dhchap.ctrl_key));
	if (r == 0)
		r = get_string(f, d, "hash", false, e->dhchap.hash, sizeof(e->dhchap.hash));
	if (r == 0 && e->dhchap.hash[0] && strcmp(e->dhchap.hash, "sha256") &&
	    strcmp(e->dhchap.hash, "sha384") && strcmp(e->dhchap.hash, "sha512"))
		r = bad_at(f, "hash", "'%s' is not sha256, sha384 or sha512", e->dhchap.hash);
	if (r == 0)
		r = get_string(f, d, "dhgroup", false, e->dhchap.dhgroup,
			       sizeof(e->dhchap.dhgroup));
	leave(f, o);
	return r;
}

static int decode_export(struct field *f, const json_t *root, struct vn_stack *s)
{
	static const char *const keys[] = { "nqn", "namespace", "port", "hosts",
		"allow_any_host", "serial", "model", "uuid", "nguid", "dhchap", "tls",
		"tls_key", NULL };
	struct vn_stack_export *e = &s->export_;
	uint64_t nsid = 1;
	json_t *obj;
	size_t o;
	int r = get_object(f, root, "export", &obj);

	if (r < 0 || !obj)
		return r;
	s->has_export = true;
	vn_strlcpy(e->transport, "tcp", sizeof(e->transport));
	o = enter(f, "export");
	if (!s->has_array)
		r = bad(f, "an export needs an array (and its cache) to export");
	if (r == 0)
		r = only_keys(f, obj, keys);
	if (r == 0)
		r = decode_nqn(f, obj, "nqn", true, e->nqn);
	if (r == 0)
		r = get_uint(f, obj, "namespace", false, 1, 0xfffffffeULL, &nsid);
	e->nsid = (uint32_t)nsid;
	if (r == 0)
		r = decode_port(f, obj, e);
	if (r == 0)
		r = decode_hosts(f, obj, e);
	if (r == 0)
		r = get_bool(f, obj, "allow_any_host", &e->allow_any_host);
	if (r == 0 && !e->nhosts && !e->allow_any_host)
		r = bad(f, "no host may connect: list them in \"hosts\" (or set "
			"\"allow_any_host\": true)");
	if (r == 0 && e->nhosts && e->allow_any_host)
		r = bad(f, "\"hosts\" and \"allow_any_host\" exclude each other");
	if (r == 0)
		r = decode_dhchap(f, obj, e);
	if (r == 0)
		r = get_tls(f, obj, &e->tls, e->tls_key, sizeof(e->tls_key));
	if (r == 0 && e->tls_key[0] && e->nhosts != 1)
		r = bad_at(f, "tls_key", "is the key of one host: list exactly one in \"hosts\"");
	if (r == 0)
		r = get_string(f, obj, "serial", false, e->serial, sizeof(e->serial));
	if (r == 0)
		r = get_string(f, obj, "model", false, e->model, sizeof(e->model));
	if (r == 0)
		r = get_string(f, obj, "uuid", false, e->ns_uuid, sizeof(e->ns_uuid));
	if (r == 0 && e->ns_uuid[0] && !vn_uuid_valid(e->ns_uuid))
		r = bad_at(f, "uuid", "'%s' is not a UUID (xxxxxxxx-xxxx-xxxx-xxxx-"
			   "xxxxxxxxxxxx)", e->ns_uuid);
	if (r == 0)
		r = get_string(f, obj, "nguid", false, e->ns_nguid, sizeof(e->ns_nguid));
	if (r == 0 && e->ns_nguid[0] && !vn_uuid_valid(e->ns_nguid))
		r = bad_at(f, "nguid", "'%s' is not an NGUID in UUID form", e->ns_nguid);
	leave(f, o);
	return r;
}

static int decode_connect_one(struct field *f, const json_t *v, size_t i, void *data)
{
	static const char *const keys[] = { "transport", "address", "service", "nqn",
		"dhchap_secret", "dhchap_ctrl_secret", "tls", "tls_key", NULL };
	struct vn_stack *s = data;
	struct vn_stack_connect *c = &s->connect[i];
	int r;

	vn_strlcpy(c->transport, "tcp", sizeof(c->transport));
	r = json_is_object(v) ? only_keys(f, v, keys) :
		bad(f, "is %s, not an object", type_word(v));
	if (r == 0)
		r = decode_addr(f, v, c->transport, c->address, &c->service);
	if (r == 0)
		r = decode_nqn(f, v, "nqn", true, c->nqn);
	if (r == 0)
		r = get_dhchap_key(f, v, "dhchap_secret", false, c->dhchap_secret,
				   sizeof(c->dhchap_secret));
	if (r == 0)
		r = get_dhchap_key(f, v, "dhchap_ctrl_secret", false,
				   c->dhchap_ctrl_secret, sizeof(c->dhchap_ctrl_secret));
	if (r == 0 && c->dhchap_ctrl_secret[0] && !c->dhchap_secret[0])
		r = bad_at(f, "dhchap_ctrl_secret", "goes with \"dhchap_secret\"");
	if (r == 0)
		r = get_tls(f, v, &c->tls, c->tls_key, sizeof(c->tls_key));
	if (r == 0)
		s->nconnect++;
	return r;
}

static int decode_connect(struct field *f, const json_t *root, struct vn_stack *s)
{
	return decode_list(f, root, "connect", VN_STACK_CONNECT_MAX, decode_connect_one, s);
}

static int decode_root(struct field *f, const json_t *root, struct vn_stack *s)
{
	static const char *const keys[] = { "disks", "array", "cache", "export", "connect",
		NULL };
	int r;

	if (!json_is_object(root))
		return vn_invalid(f->ctx, "the document is %s, not an object", type_word(root));
	r = only_keys(f, root, keys);
	if (r == 0)
		r = decode_disks(f, root, s);
	if (r == 0)
		r = decode_array(f, root, s);
	if (r == 0)
		r = decode_cache(f, root, s);
	if (r == 0)
		r = decode_export(f, root, s);
	if (r == 0)
		r = decode_connect(f, root, s);
	if (r == 0 && !s->has_array && !s->nconnect && !s->ndisks)
		r = vn_invalid(f->ctx, "nothing to do: no \"disks\", \"array\" or \"connect\"");
	return r;
}

int vn_stack_decode(struct vn_ctx *ctx, const char *text, struct vn_stack **ret)
{
	struct field f = { .ctx = ctx };
	struct vn_stack *s;
	json_error_t jerr;
	json_t *root;
	int r;

	root = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return vn_invalid(ctx, "line %d, column %d: %s", jerr.line, jerr.column,
				  jerr.text);
	s = calloc(1, sizeof(*s));
	if (!s) {
		json_decref(root);
		return vn_fail(ctx, -ENOMEM, "out of memory");
	}
	r = decode_root(&f, root, s);
	json_decref(root);
	if (r < 0) {
		free(s);
		return r;
	}
	*ret = s;
	return 0;
}

int vn_stack_load(struct vn_ctx *ctx, const char *path, struct vn_stack **ret)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "re");
	char *text = NULL;
	size_t len = 0;
	FILE *mem;
	int r, c;

	if (!f)
		return vn_fail(ctx, -errno, "cannot open it: %s", strerror(errno));
	mem = open_memstream(&text, &len);
	if (!mem) {
		if (f != stdin)
			fclose(f);
		return vn_fail(ctx, -ENOMEM, "out of memory");
	}
	while ((c = getc(f)) != EOF && len < (1u << 20))
		putc(c, mem);
	r = ferror(f) ? -EIO : 0;
	if (f != stdin)
		fclose(f);
	fclose(mem);
	if (r < 0) {
		free(text);
		return vn_fail(ctx, r, "cannot read it");
	}
	r = vn_stack_decode(ctx, text, ret);
	free(text);
	return r;
}

/* ---- encoding ---- */

static json_t *size_json(uint64_t bytes, uint64_t unit, const char *suffix)
{
	char buf[32];

	if (bytes % unit)
		return json_integer((json_int_t)bytes);
	snprintf(buf, sizeof(buf), "%llu%s", (unsigned long long)(bytes / unit), suffix);
	return json_string(buf);
}

static json_t *dev_json(const struct vn_stack_dev *d)
{
	json_t *o = json_pack("{s:s}", "device", d->device);

	if (d->serial[0])
		json_object_set_new(o, "serial", json_string(d->serial));
	else if (d->wwn[0])
		json_object_set_new(o, "wwn", json_string(d->wwn));
	if ((d->serial[0] || d->wwn[0]) && d->partition)
		json_object_set_new(o, "partition", json_integer(d->partition));
	return o;
}

static json_t *array_json(const struct vn_stack_array *a)
{
	json_t *o = json_pack("{s:s}", "name", a->name), *m = json_array(), *t;

	if (a->uuid[0])
		json_object_set_new(o, "uuid", json_string(a->uuid));
	json_object_set_new(o, "level", json_integer(a->level));
	if (a->chunk_kib)
		json_object_set_new(o, "chunk", size_json(a->chunk_kib * 1024ull, 1024, "K"));
	for (unsigned int i = 0; i < a->nmembers; i++)
		json_array_append_new(m, dev_json(&a->members[i]));
	json_object_set_new(o, "members", m);
	if (a->has_journal)
		json_object_set_new(o, "journal", dev_json(&a->journal));
	if (a->journal_mode[0])
		json_object_set_new(o, "journal_mode", json_string(a->journal_mode));
	if (a->keep_write_cache)
		json_object_set_new(o, "write_cache", json_string("keep"));
	if (a->stripe_cache_size || a->group_thread_cnt != UINT64_MAX) {
		t = json_object();
		if (a->stripe_cache_size)
			json_object_set_new(t, "stripe_cache_size",
					    json_integer((json_int_t)a->stripe_cache_size));
		if (a->group_thread_cnt != UINT64_MAX)
			json_object_set_new(t, "group_thread_cnt",
					    json_integer((json_int_t)a->group_thread_cnt));
		json_object_set_new(o, "tuning", t);
	}
	return o;
}

/* "tls": true and the key, when there is TLS. */
static void tls_json(json_t *o, bool tls, const char *key)
{
	if (tls)
		json_object_set_new(o, "tls", json_true());
	if (key[0])
		json_object_set_new(o, "tls_key", json_string(key));
}

static json_t *export_json(const struct vn_stack_export *e)
{
	json_t *hosts = json_array(), *o;

	for (unsigned int i = 0; i < e->nhosts; i++)
		json_array_append_new(hosts, json_string(e->hosts[i]));
	o = json_pack("{s:s, s:I, s:{s:s, s:s, s:I, s:s}}", "nqn", e->nqn,
		      "namespace", (json_int_t)e->nsid, "port", "transport", e->transport,
		      "address", e->address, "service", (json_int_t)e->service,
		      "family", e->family);
	if (e->allow_any_host) {
		json_decref(hosts);
		json_object_set_new(o, "allow_any_host", json_true());
	} else {
		json_object_set_new(o, "hosts", hosts);
	}
	if (e->serial[0])
		json_object_set_new(o, "serial", json_string(e->serial));
	if (e->model[0])
		json_object_set_new(o, "model", json_string(e->model));
	if (e->ns_uuid[0])
		json_object_set_new(o, "uuid", json_string(e->ns_uuid));
	if (e->ns_nguid[0])
		json_object_set_new(o, "nguid", json_string(e->ns_nguid));
	if (e->dhchap.key[0]) {
		json_t *d = json_pack("{s:s}", "key", e->dhchap.key);

		if (e->dhchap.ctrl_key[0])
			json_object_set_new(d, "ctrl_key", json_string(e->dhchap.ctrl_key));
		if (e->dhchap.hash[0])
			json_object_set_new(d, "hash", json_string(e->dhchap.hash));
		if (e->dhchap.dhgroup[0])
			json_object_set_new(d, "dhgroup", json_string(e->dhchap.dhgroup));
		json_object_set_new(o, "dhchap", d);
	}
	tls_json(o, e->tls, e->tls_key);
	return o;
}

int vn_stack_encode(const struct vn_stack *s, char **ret_text)
{
	json_t *root = json_object();
	char *text;

	if (s->ndisks) {
		json_t *d = json_array();

		for (unsigned int i = 0; i < s->ndisks; i++)
			json_array_append_new(d, json_string(s->disks[i]));
		json_object_set_new(root, "disks", d);
	}
	if (s->has_array)
		json_object_set_new(root, "array", array_json(&s->array));
	if (s->has_cache) {
		json_t *c = json_object();

		if (s->cache.engine[0])
			json_object_set_new(c, "engine", json_string(s->cache.engine));
		json_object_set_new(c, "size", size_json(s->cache.size_bytes, 1ull << 20, "M"));
		json_object_set_new(c, "mode", json_string(vn_cache_mode_name(s->cache.mode)));
		if (s->cache.name[0])
			json_object_set_new(c, "name", json_string(s->cache.name));
		json_object_set_new(root, "cache", c);
	}
	if (s->has_export)
		json_object_set_new(root, "export", export_json(&s->export_));
	if (s->nconnect) {
		json_t *l = json_array();

		for (unsigned int i = 0; i < s->nconnect; i++) {
			const struct vn_stack_connect *c = &s->connect[i];
			json_t *o = json_pack("{s:s, s:s, s:I, s:s}", "transport", c->transport,
					      "address", c->address,
					      "service", (json_int_t)c->service, "nqn", c->nqn);

			if (c->dhchap_secret[0])
				json_object_set_new(o, "dhchap_secret",
						    json_string(c->dhchap_secret));
			if (c->dhchap_ctrl_secret[0])
				json_object_set_new(o, "dhchap_ctrl_secret",
						    json_string(c->dhchap_ctrl_secret));
			tls_json(o, c->tls, c->tls_key);
			json_array_append_new(l, o);
		}
		json_object_set_new(root, "connect", l);
	}
	text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (!text)
		return -ENOMEM;
	*ret_text = text;
	return 0;
}

int vn_stack_cache_name(const struct vn_stack *s, const char *md, char *buf, size_t len)
{
	if (s->cache.name[0]) {
		vn_strlcpy(buf, s->cache.name, len);
		return 0;
	}
	return vn_cache_default_name(s->cache.mode, md, buf, len);
}

/* ---- identity ---- */

struct find_args {
	struct vn_ctx *ctx;
	const char *uuid;
	struct vn_stack_found *ret;
	struct vn_md_sb *sb;
};

static int find_cb(void *data, const char *uuid, const char *name,
		   const char *const *devs, unsigned int n)
{
	struct find_args *a = data;
	struct vn_stack_found *f = a->ret;

	(void)name;
	if (strcasecmp(uuid, a->uuid) != 0)
		return 0;
	for (unsigned int i = 0; i < n; i++) {
		if (vn_md_examine(a->ctx, devs[i], a->sb) < 0) {
			vn_ctx_clear_error(a->ctx);
			continue;
		}
		/* clean: resync_offset at MaxSector; a dirty journal array replays its log */
		if (a->sb->resync_offset != VN_MD_MAX_SECTOR)
			f->clean = false;
		if (vn_md_sb_role(a->sb) == VN_MD_ROLE_JOURNAL)
			vn_strlcpy(f->journal, vn_basename(devs[i]), sizeof(f->journal));
		else if (f->nmembers < VN_MD_MEMBERS_MAX)
			vn_strlcpy(f->members[f->nmembers++], vn_basename(devs[i]),
				   VN_NAME_MAX);
	}
	return 0;
}

int vn_stack_find(struct vn_ctx *ctx, const char *uuid, struct vn_stack_found *ret)
{
	struct find_args a = { .ctx = ctx, .uuid = uuid, .ret = ret };
	int r;

	*ret = (struct vn_stack_found){ .clean = true };
	a.sb = malloc(sizeof(*a.sb));
	if (!a.sb)
		return vn_fail(ctx, -ENOMEM, "out of memory");
	r = vn_md_scan(ctx, find_cb, &a);
	free(a.sb);
	if (r < 0)
		return r;
	return (int)ret->nmembers + (ret->journal[0] ? 1 : 0);
}

static void read_wwn(struct vn_ctx *ctx, const char *disk, char *buf, size_t len)
{
	if (vn_read_str(ctx, buf, len, "/sys/block/%s/wwid", disk) <= 0 &&
	    vn_read_str(ctx, buf, len, "/sys/block/%s/device/wwid", disk) <= 0)
		buf[0] = '\0';
}

int vn_stack_describe_dev(struct vn_ctx *ctx, const char *name, struct vn_stack_dev *ret)
{
	struct vn_blkdev dev, disk;
	int r = vn_blk_get(ctx, name, &dev);

	if (r < 0)
		return r;
	snprintf(ret->device, sizeof(ret->device), "/dev/%s", dev.name);
	ret->partition = dev.partno;
	ret->serial[0] = ret->wwn[0] = '\0';
	if (vn_blk_get(ctx, dev.disk, &disk) == 0)
		vn_strlcpy(ret->serial, disk.serial, sizeof(ret->serial));
	vn_ctx_clear_error(ctx);
	if (!ret->serial[0])
		read_wwn(ctx, dev.disk, ret->wwn, sizeof(ret->wwn));
	return 0;
}

/* The disk whose serial or WWN is the hint, then its partition. */
static int by_identity(struct vn_ctx *ctx, const struct vn_stack_dev *d, char *ret,
		       size_t len)
{
	struct vn_blkdev *devs = NULL;
	int n = vn_blk_list(ctx, &devs), found = -ENODEV;

	for (int i = 0; i < n && found < 0; i++) {
		char wwn[64] = "";

		if (devs[i].partno)
			continue;
		if (d->wwn[0])
			read_wwn(ctx, devs[i].name, wwn, sizeof(wwn));
		if (!(d->serial[0] && strcmp(devs[i].serial, d->serial) == 0) &&
		    !(d->wwn[0] && strcmp(wwn, d->wwn) == 0))
			continue;
		for (int k = 0; k < n; k++)
			if (strcmp(devs[k].disk, devs[i].name) == 0 &&
			    devs[k].partno == d->partition) {
				vn_strlcpy(ret, devs[k].name, len);
				found = 0;
			}
	}
	free(devs);
	vn_ctx_clear_error(ctx);
	return found;
}

int vn_stack_resolve(struct vn_ctx *ctx, const struct vn_stack_dev *d, char *ret,
		     size_t len)
{
	struct vn_blkdev b;

	if ((d->serial[0] || d->wwn[0]) && by_identity(ctx, d, ret, len) == 0)
		return 0;
	if (vn_blk_get(ctx, d->device, &b) < 0) {
		vn_ctx_clear_error(ctx);
		if (d->serial[0] || d->wwn[0])
			return vn_fail(ctx, -ENODEV, "%s: no such device, and no disk with "
				       "%s %s", d->device, d->serial[0] ? "serial" : "WWN",
				       d->serial[0] ? d->serial : d->wwn);
		return vn_fail(ctx, -ENODEV, "%s: no such device", d->device);
	}
	vn_strlcpy(ret, b.name, len);
	return 0;
}

/* ---- what the kernel said while the array started (/dev/kmsg) ---- */

int vn_stack_kmsg_mark(struct vn_ctx *ctx)
{
	char path[VN_PATH_MAX];
	int fd;

	if (vn_path(ctx, path, sizeof(path), "/dev/kmsg") < 0)
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (lseek(fd, 0, SEEK_END) < 0) {
		(void)close(fd);
		return -errno;
	}
	return fd;
}

int vn_stack_kmsg_find(int fd, const char *needle, char *ret, size_t len)
{
	char rec[2048];
	int found = 0;

	if (fd < 0)
		return 0;
	for (;;) {
		ssize_t n = read(fd, rec, sizeof(rec) - 1);
		char *text;

		if (n < 0 && errno == EPIPE)
			continue;	/* records overwritten meanwhile: go on */
		if (n <= 0)
			break;
		rec[n] = '\0';
		text = strchr(rec, ';');	/* "prio,seq,usec,flags;text\n" */
		text = text ? text + 1 : rec;
		text[strcspn(text, "\n")] = '\0';
		if (strstr(text, needle)) {
			vn_strlcpy(ret, text, len);
			found = 1;
		}
	}
	(void)close(fd);
	return found;
}
