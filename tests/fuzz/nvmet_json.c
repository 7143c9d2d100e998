// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * The nvmetcli saved-config file `export restore` reads: vn_nvmet_json_decode()
 * then vn_nvmet_config_check(), as vn_nvmet_load() does. A configuration
 * that decodes encodes (vn_nvmet_json_encode, what `export save` writes),
 * and that text decodes and encodes again to the very same text. Each
 * subsystem is judged as `vnvme status` does (vn_health_export).
 */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vn_nvmet_config *cfg = NULL, *again = NULL;
	struct vn_ctx *ctx = fuzz_ctx();
	char *text = fuzz_str(data, size), *out = NULL, *out2 = NULL;
	int r;

	r = vn_nvmet_json_decode(ctx, text, &cfg);
	free(text);
	if (r < 0) {
		FUZZ_ASSERT(vn_ctx_error(ctx)[0]);
		return 0;
	}
	(void)vn_nvmet_config_check(ctx, cfg);
	vn_ctx_clear_error(ctx);
	for (unsigned int i = 0; i < cfg->nsubsys; i++) {
		struct vn_health_report rep = { 0 };

		(void)vn_health_export(ctx, cfg, &cfg->subsys[i], &rep);
		FUZZ_ASSERT(rep.n <= VN_HEALTH_NOTES_MAX);
	}
	if (vn_nvmet_json_encode(ctx, cfg, &out) == 0) {
		FUZZ_ASSERT(vn_nvmet_json_decode(ctx, out, &again) == 0);
		FUZZ_ASSERT(vn_nvmet_json_encode(ctx, again, &out2) == 0);
		FUZZ_ASSERT(strcmp(out, out2) == 0);
		vn_nvmet_config_free(again);
	}
	free(out);
	free(out2);
	vn_nvmet_config_free(cfg);
	return 0;
}
