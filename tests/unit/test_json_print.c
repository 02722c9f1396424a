// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * json_print: string escaping (RFC 8259, invalid UTF-8 -> U+FFFD), the same
 * calls giving the expected text and JSON (compact and pretty), nesting
 * checks.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "json_print.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

struct mem {
	FILE *f;
	char *buf;
	size_t len;
};

static void mem_open(struct mem *m)
{
	m->f = open_memstream(&m->buf, &m->len);
	assert_non_null(m->f);
}

static char *mem_close(struct mem *m)
{
	fclose(m->f);
	return m->buf;
}

static void test_escape(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "plain", "\"plain\"" },
		{ "", "\"\"" },
		{ "a\"b", "\"a\\\"b\"" },
		{ "back\\slash", "\"back\\\\slash\"" },
		{ "\b\f\n\r\t", "\"\\b\\f\\n\\r\\t\"" },
		{ "\x01\x1f\x7f", "\"\\u0001\\u001f\\u007f\"" },
		{ "/ stays", "\"/ stays\"" },
		{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"" },
		{ "bad \xff byte", "\"bad \\ufffd byte\"" },
		{ "cut \xc3", "\"cut \\ufffd\"" },
		{ "overlong \xc0\xaf", "\"overlong \\ufffd\\ufffd\"" },
		{ "surrogate \xed\xa0\x80", "\"surrogate \\ufffd\\ufffd\\ufffd\"" },
	};
	struct mem m;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		mem_open(&m);
		assert_int_equal(json_write_string(m.f, cases[i].in), 0);
		mem_close(&m);
		if (strcmp(m.buf, cases[i].out))
			fail_msg("case %zu: got %s, want %s", i, m.buf, cases[i].out);
		free(m.buf);
	}
}

/* One reply, written once, rendered three ways. */
static int render(FILE *f, bool json, bool pretty)
{
	static const char *const names[] = { "eth0", "we\"ird" };

	jp_open(f, json, pretty);
	open_json_object(NULL);
	open_json_array(PRINT_JSON, "links");
	for (int i = 0; i < 2; i++) {
		open_json_object(NULL);
		print_string(PRINT_ANY, "dev", "dev %s", names[i]);
		print_uint(PRINT_ANY, "ifindex", " ifindex %u", i + 2);
		print_u64(PRINT_ANY, "rx_bytes", " rx %llu", 10000000000ULL * (i + 1));
		print_int(PRINT_ANY, "delta", " delta %d", -i);
		print_bool(PRINT_ANY, "up", " up %s", i == 0);
		print_null(PRINT_ANY, "mac", " mac %s", "-");
		print_float(PRINT_ANY, "load", " load %.1f", 0.5 * i);
		print_bool(PRINT_JSON, "json_only", " NEVER %s", true);
		print_string(PRINT_TEXT, "never", " (text)", NULL);
		print_nl();
		close_json_object();
	}
	close_json_array(PRINT_JSON, NULL);
	open_json_array(PRINT_JSON, "empty");
	close_json_array(PRINT_JSON, NULL);
	print_float(PRINT_JSON, "nan", NULL, NAN);
	print_text("end\n");
	close_json_object();
	return jp_close();
}

static void test_text_json_same_calls(void **state)
{
	static const char text[] =
		"dev eth0 ifindex 2 rx 10000000000 delta 0 up true mac - load 0.0 (text)\n"
		"dev we\"ird ifindex 3 rx 20000000000 delta -1 up false mac - load 0.5 (text)\n"
		"end\n";
	static const char json[] =
		"{\"links\": [{\"dev\": \"eth0\", \"ifindex\": 2, \"rx_bytes\": 10000000000, "
		"\"delta\": 0, \"up\": true, \"mac\": null, \"load\": 0, \"json_only\": true}, "
		"{\"dev\": \"we\\\"ird\", \"ifindex\": 3, \"rx_bytes\": 20000000000, "
		"\"delta\": -1, \"up\": false, \"mac\": null, \"load\": 0.5, \"json_only\": true}], "
		"\"empty\": [], \"nan\": null}\n";
	static const char pretty_head[] =
		"{\n  \"links\": [\n    {\n      \"dev\": \"eth0\",\n      \"ifindex\": 2,\n";
	struct mem m;

	(void)state;
	mem_open(&m);
	assert_int_equal(render(m.f, false, false), 0);
	assert_string_equal(mem_close(&m), text);
	free(m.buf);

	mem_open(&m);
	assert_int_equal(render(m.f, true, false), 0);
	assert_string_equal(mem_close(&m), json);
	free(m.buf);

	mem_open(&m);
	assert_int_equal(render(m.f, true, true), 0);
	mem_close(&m);
	assert_memory_equal(m.buf, pretty_head, strlen(pretty_head));
	assert_non_null(strstr(m.buf, "\n  \"empty\": [],\n  \"nan\": null\n}\n"));
	/* pretty and compact differ only in whitespace outside strings */
	{
		char *a = m.buf, *o = m.buf;
		bool in_str = false;

		for (; *a; a++) {
			if (*a == '"' && (a == m.buf || a[-1] != '\\'))
				in_str = !in_str;
			if (in_str || !strchr(" \n", *a))
				*o++ = *a;
		}
		*o = '\0';
		char squeezed[sizeof(json)];
		size_t k = 0;

		in_str = false;
		for (const char *c = json; *c; c++) {
			if (*c == '"' && (c == json || c[-1] != '\\'))
				in_str = !in_str;
			if (in_str || !strchr(" \n", *c))
				squeezed[k++] = *c;
		}
		squeezed[k] = '\0';
		assert_string_equal(m.buf, squeezed);
	}
	free(m.buf);
}

static void test_nesting(void **state)
{
	struct mem m;

	(void)state;
	mem_open(&m);
	assert_int_equal(jp_open(m.f, true, false), 0);
	assert_int_equal(jp_open(m.f, true, false), -EBUSY);
	open_json_object(NULL);
	open_json_array(PRINT_JSON, "a");
	/* left open: closed for the reader, reported to the caller */
	assert_int_equal(jp_close(), -EINVAL);
	assert_string_equal(mem_close(&m), "{\"a\": []}\n");
	free(m.buf);

	mem_open(&m);
	jp_open(m.f, true, false);
	close_json_object();		/* nothing open */
	assert_int_equal(jp_close(), -EINVAL);
	mem_close(&m);
	free(m.buf);

	/* several top-level values: one per line */
	mem_open(&m);
	jp_open(m.f, true, false);
	open_json_object(NULL);
	close_json_object();
	open_json_object(NULL);
	print_uint(PRINT_ANY, "x", "%u", 1);
	close_json_object();
	assert_int_equal(jp_close(), 0);
	assert_string_equal(mem_close(&m), "{}\n{\"x\": 1}\n");
	free(m.buf);

	/* no context open: calls are ignored, nothing crashes */
	print_string(PRINT_ANY, "k", "%s", "v");
	assert_false(jp_is_open());
	assert_int_equal(jp_close(), -EINVAL);
}

static void test_error_body(void **state)
{
	struct mem m;

	(void)state;
	mem_open(&m);
	jp_print_error(m.f, true, "invalid prefix \"10.0.0.0/33\"");
	assert_string_equal(mem_close(&m), "{\"error\": \"invalid prefix \\\"10.0.0.0/33\\\"\"}\n");
	free(m.buf);
	mem_open(&m);
	jp_print_error(m.f, false, "invalid prefix \"10.0.0.0/33\"");
	assert_string_equal(mem_close(&m), "invalid prefix \"10.0.0.0/33\"\n");
	free(m.buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_text_json_same_calls),
		cmocka_unit_test(test_nesting),
		cmocka_unit_test(test_error_body),
	};

	return cmocka_run_group_tests_name("json_print", tests, NULL, NULL);
}
