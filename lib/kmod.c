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
static bool module_loaded(const struct vn_ctx *ctx, const char *name)
{
	char kname[VN_NAME_MAX];

	vn_strlcpy(kname, name, sizeof(kname));
	for (char *p = kname; *p; p++)
		if (*p == '-')
			*p = '_';
	return vn_exists(ctx, "/sys/module/%s", kname);
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
