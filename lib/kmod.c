// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * Kernel modules through libkmod: what `modprobe NAME` does (look the name
 * up as an alias, insert it with its dependencies and soft dependencies),
 * without running modprobe. A module that is already loaded or built in is
 * success.
 */
#include <errno.h>
#include <libkmod.h>
#include <string.h>
#include <syslog.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "internal.h"

/* Where a module comes from on Debian, when it is not in the kernel package. */
static const struct {
	const char *module;
	const char *package;
} module_packages[] = {
	{ "rapiddisk", "rapiddisk-dkms" },
	{ "rapiddisk-cache", "rapiddisk-dkms" },
	{ "rapiddisk_cache", "rapiddisk-dkms" },
};

/* libkmod's last error line, to fold into our own message. */
struct kmod_log {
	char last[256];
};

static void kmod_log_fn(void *data, int priority, const char *file, int line,
			const char *fn, const char *format, va_list args)
{
	struct kmod_log *log = data;
	size_t n;

	(void)file;
	(void)line;
	(void)fn;
	if (priority > LOG_ERR)
		return;
	vsnprintf(log->last, sizeof(log->last), format, args);
	n = strlen(log->last);
	while (n > 0 && log->last[n - 1] == '\n')
		log->last[--n] = '\0';
}

static const char *package_of(const char *name)
{
	for (size_t i = 0; i < VN_ARRAY_SIZE(module_packages); i++)
		if (strcmp(module_packages[i].module, name) == 0)
			return module_packages[i].package;
	return NULL;
}

/* " (Debian package rapiddisk-dkms)" or "". */
static const char *package_hint(const char *name, char *buf, size_t len)
{
	const char *pkg = package_of(name);

	if (!pkg)
		return "";
	snprintf(buf, len, " (Debian package %s)", pkg);
	return buf;
}

/* /sys/module uses the kernel's spelling: dashes become underscores. */
static const char *sys_module_name(const char *name, char *buf, size_t len)
{
	vn_strlcpy(buf, name, len);
	for (char *p = buf; *p; p++)
		if (*p == '-')
			*p = '_';
	return buf;
}

static bool module_loaded(const struct vn_ctx *ctx, const char *name)
{
	char kname[VN_NAME_MAX];

	return vn_exists(ctx, "/sys/module/%s", sys_module_name(name, kname, sizeof(kname)));
}

static int insert_all(struct vn_ctx *ctx, struct kmod_list *list,
		      const char *name, const struct kmod_log *log)
{
	struct kmod_list *l;
	char hint[64];
	int r;

	kmod_list_foreach(l, list) {
		struct kmod_module *mod = kmod_module_get_module(l);

		r = kmod_module_probe_insert_module(mod, 0, NULL, NULL, NULL, NULL);
		kmod_module_unref(mod);
		if (r == -EPERM || r == -EACCES)
			return vn_fail(ctx, r, "loading module %s: not permitted", name);
		if (r < 0)
			return vn_nosupport(ctx, r, "cannot load module %s%s: %s",
					    name, package_hint(name, hint, sizeof(hint)),
					    log->last[0] ? log->last : strerror(-r));
	}
	return 0;
}

/**
 * vn_kmod_load() - load a kernel module and its dependencies, as modprobe.
 * @ctx: context; its root is only used to see /sys/module.
 * @name: module name or alias ("rapiddisk", "dm-cache", "nvmet_tcp").
 *
 * A module already in /sys/module, or built in, is success; in dry-run mode
 * the load is recorded, not done.
 *
 * Return: 0; -ENOENT (VN_ERR_NOSUPPORT, naming the Debian package where
 * known) when the module does not exist; another negative errno when it
 * fails to load (VN_ERR_NOSUPPORT, or VN_ERR_PERM when not permitted).
 */
int vn_kmod_load(struct vn_ctx *ctx, const char *name)
{
	struct kmod_log log = { .last = "" };
	struct kmod_list *list = NULL;
	struct kmod_ctx *kctx;
	char hint[64];
	int r;

	if (module_loaded(ctx, name))
		return 0;
	if (!vn_action(ctx, "load module %s", name))
		return 0;
	kctx = kmod_new(NULL, NULL);
	if (!kctx)
		return vn_nosupport(ctx, -ENOMEM, "cannot load module %s: libkmod "
				    "cannot be initialised", name);
	kmod_set_log_fn(kctx, kmod_log_fn, &log);
	r = kmod_module_new_from_lookup(kctx, name, &list);
	if (r < 0) {
		r = vn_nosupport(ctx, r, "cannot look up module %s: %s", name,
				 strerror(-r));
		goto out_unref_ctx;
	}
	if (!list) {
		r = vn_nosupport(ctx, -ENOENT, "kernel module %s is not available%s",
				 name, package_hint(name, hint, sizeof(hint)));
		goto out_unref_ctx;
	}
	r = insert_all(ctx, list, name, &log);
	kmod_module_unref_list(list);
out_unref_ctx:
	kmod_unref(kctx);
	return r;
}

static bool module_has_initstate(const struct vn_ctx *ctx, const char *name)
{
	char kname[VN_NAME_MAX];

	return vn_exists(ctx, "/sys/module/%s/initstate",
			 sys_module_name(name, kname, sizeof(kname)));
}

/* The kernel release whose modules count: the root's osrelease, else ours. */
static void kernel_release(const struct vn_ctx *ctx, char *buf, size_t len)
{
	struct utsname u;

	if (vn_read_str(ctx, buf, len, "/proc/sys/kernel/osrelease") > 0)
		return;
	vn_strlcpy(buf, uname(&u) == 0 ? u.release : "", len);
}

const char *vn_kmod_state_name(enum vn_kmod_state state)
{
	static const char *const names[VN_KMOD_STATE_MAX] = {
		[VN_KMOD_MISSING] = "missing",
		[VN_KMOD_AVAILABLE] = "available",
		[VN_KMOD_LOADED] = "loaded",
		[VN_KMOD_BUILTIN] = "builtin",
	};

	return state < VN_KMOD_STATE_MAX ? names[state] : "unknown";
}

/* Whether libkmod resolves @name for the modules tree @dir (NULL: the running one). */
static enum vn_kmod_state lookup(const char *dir, const char *name, bool live,
				 char *path, size_t len)
{
	enum vn_kmod_state state = VN_KMOD_MISSING;
	struct kmod_list *list = NULL, *l;
	struct kmod_ctx *kctx;

	kctx = kmod_new(dir, NULL);
	if (!kctx)
		return VN_KMOD_MISSING;
	kmod_set_log_priority(kctx, LOG_EMERG);
	if (kmod_module_new_from_lookup(kctx, name, &list) < 0 || !list)
		goto out_unref_ctx;
	kmod_list_foreach(l, list) {
		struct kmod_module *mod = kmod_module_get_module(l);
		const char *p = kmod_module_get_path(mod);
		int init = live ? kmod_module_get_initstate(mod) : -ENOENT;

		if (init == KMOD_MODULE_BUILTIN)
			state = VN_KMOD_BUILTIN;
		else if (init == KMOD_MODULE_LIVE || init == KMOD_MODULE_COMING)
			state = VN_KMOD_LOADED;
		else if (p && access(p, R_OK) == 0)
			state = VN_KMOD_AVAILABLE;
		else if (!p && kmod_module_get_name(mod))
			state = VN_KMOD_BUILTIN;	/* in modules.builtin */
		if (p && path)
			vn_strlcpy(path, p, len);
		kmod_module_unref(mod);
		if (state != VN_KMOD_MISSING)
			break;
	}
	kmod_module_unref_list(list);
out_unref_ctx:
	kmod_unref(kctx);
	return state;
}

/**
 * vn_kmod_state() - whether a module is loaded, built in, or could be
 * loaded for this kernel, without loading it (libkmod's lookup, as
 * `modprobe --dry-run`).
 * @ctx: context; with a root other than "/", the modules tree under it
 * (ROOT/lib/modules/RELEASE, RELEASE from ROOT/proc/sys/kernel/osrelease).
 * @name: module name or alias.
 * @ret: the state.
 * @path: the module file when one was found (may be NULL).
 * @len: size of @path.
 *
 * Return: 0.
 */
int vn_kmod_state(struct vn_ctx *ctx, const char *name, enum vn_kmod_state *ret,
		  char *path, size_t len)
{
	const char *root = vn_ctx_root(ctx);
	bool live = strcmp(root, "/") == 0;
	char release[128], dir[VN_PATH_MAX];

	if (path && len)
		path[0] = '\0';
	if (module_loaded(ctx, name)) {
		/* only a loadable module has an initstate */
		*ret = module_has_initstate(ctx, name) ? VN_KMOD_LOADED : VN_KMOD_BUILTIN;
		return 0;
	}
	if (live) {
		*ret = lookup(NULL, name, true, path, len);
		return 0;
	}
	kernel_release(ctx, release, sizeof(release));
	if (vn_path(ctx, dir, sizeof(dir), "/lib/modules/%s", release) < 0 ||
	    access(dir, F_OK) != 0) {
		*ret = VN_KMOD_MISSING;
		return 0;
	}
	*ret = lookup(dir, name, false, path, len);
	return 0;
}
