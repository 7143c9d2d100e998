// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * Stack files (vnvme-stack(5)), what `vnvme up` and `check --stack` read:
 * vn_stack_decode(). A stack that decodes encodes (vn_stack_encode, what
 * `vnvme save` writes), and that text decodes and encodes to the same text.
 */
#include <jansson.h>

#include "fuzz.h"

/* The level as written: an integer stays that integer, "raidN" that N. */
static void same_level(const char *text, int level)
{
	json_t *root = json_loads(text, 0, NULL);
	json_t *v = json_object_get(json_object_get(root, "array"), "level");

	if (json_is_integer(v))
		FUZZ_ASSERT(json_integer_value(v) == level);
	json_decref(root);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vn_stack *s = NULL, *again = NULL;
	struct vn_ctx *ctx = fuzz_ctx();
	char *text = fuzz_str(data, size), *out = NULL, *out2 = NULL;
	char name[VN_NAME_MAX];
	int r;

	r = vn_stack_decode(ctx, text, &s);
	if (r < 0) {
		free(text);
		FUZZ_ASSERT(r == -EINVAL || r == -ENOMEM);
		FUZZ_ASSERT(vn_ctx_error(ctx)[0]);
		return 0;
	}
	if (s->has_array)
		same_level(text, s->array.level);
	free(text);
	if (s->has_array)
		(void)vn_stack_cache_name(s, s->array.name, name, sizeof(name));
	FUZZ_ASSERT(vn_stack_encode(s, &out) == 0);
	r = vn_stack_decode(ctx, out, &again);
	if (r < 0)
		fprintf(stderr, "%s\n%s\n", out, vn_ctx_error(ctx));
	FUZZ_ASSERT(r == 0);
	FUZZ_ASSERT(vn_stack_encode(again, &out2) == 0);
	FUZZ_ASSERT(strcmp(out, out2) == 0);
	free(again);
	free(out);
	free(out2);
	free(s);
	return 0;
}
