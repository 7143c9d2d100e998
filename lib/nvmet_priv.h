/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Private to the nvmet module (lib/nvmet.c, nvmet_json.c) and its users in lib/. */
#ifndef VNVME_NVMET_PRIV_H
#define VNVME_NVMET_PRIV_H

#include "internal.h"

/*
 * nvmetcli's attribute groups: an object's saved attributes are its
 * configfs files "<group>_<name>" (device_path, attr_model, addr_traddr),
 * saved as {"<group>": {"<name>": ...}} (nvmetcli nvmet/nvme.py).
 */
extern const char *const vn_nvmet_ns_groups[];
extern const char *const vn_nvmet_subsys_groups[];
extern const char *const vn_nvmet_port_groups[];
extern const char *const vn_nvmet_referral_groups[];
extern const char *const vn_nvmet_host_groups[];

/*
 * vn_nvmet_ns_devices() - call @fn with each namespace's subsystem NQN and
 * device_path, subsystems and namespaces in sorted order (vn_blk_holds()
 * uses it for "exported"). Silent; without nvmet there are none.
 */
void vn_nvmet_ns_devices(const struct vn_ctx *ctx,
			 void (*fn)(void *data, const char *nqn, const char *device_path),
			 void *data);

#endif /* VNVME_NVMET_PRIV_H */
