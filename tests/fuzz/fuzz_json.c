// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * JSON both ways: xgwctl's reader (ctl/xgwctl/json_scan.c, which top feeds
 * with xgwd's replies) on arbitrary bytes, and json_print's string writer
 * (which echoes operator tokens, device names and errors) on arbitrary
 * bytes. Properties: whatever json_write_string() writes reads back as
 * one string, byte for byte when the input was ASCII.
 */
#include "fuzz.h"
#include "json_print.h"
#include "xgwctl.h"

static void walk(const struct jnode *n)
{
	for (; n; n = n->next) {
		if (n->type == J_OBJ)
			(void)json_get(n, "reasons");
		walk(n->child);
	}
}

static bool is_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return false;
	return true;
}

static void check_writer(const char *s)
{
	struct jnode *n;
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (!f)
		abort();
	json_write_string(f, s);
	fclose(f);
	n = json_parse(out);
	fuzz_assert(n && n->type == J_STR, "writer output does not read: %s", out);
	fuzz_assert(!is_ascii(s) || !strcmp(n->str, s), "\"%s\" reads back as \"%s\"",
		    s, n->str);
	json_free(n);
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size);
	struct jnode *n = json_parse(s);

	walk(n);
	json_free(n);
	check_writer(s);
	free(s);
	return 0;
}
