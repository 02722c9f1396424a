// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * JSON both ways: the reader xgwctl's top feeds with xgwd's replies (json-c)
 * on arbitrary bytes, and json_print's string writer (which echoes operator
 * tokens, device names and errors) on arbitrary bytes. Properties: whatever
 * json_write_string() writes reads back as one string, byte for byte when
 * the input was ASCII.
 */
#include <json-c/json.h>
#include "fuzz.h"
#include "json_print.h"

static bool is_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return false;
	return true;
}

static void check_writer(const char *s)
{
	struct json_object *n;
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (!f)
		abort();
	json_write_string(f, s);
	fclose(f);
	n = json_tokener_parse(out);
	fuzz_assert(n && json_object_is_type(n, json_type_string),
		    "writer output does not read: %s", out);
	fuzz_assert(!is_ascii(s) || !strcmp(json_object_get_string(n), s),
		    "\"%s\" reads back as \"%s\"", s, json_object_get_string(n));
	json_object_put(n);
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size);
	struct json_object *n = json_tokener_parse(s);
	struct json_object *v;

	if (n && json_object_is_type(n, json_type_object))
		(void)json_object_object_get_ex(n, "reasons", &v);
	json_object_put(n);
	check_writer(s);
	free(s);
	return 0;
}
