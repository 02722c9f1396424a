// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Text/JSON writer: see json_print.h. JSON nesting is tracked in a small
 * stack so commas, keys and indentation come out right whatever the caller
 * prints in between.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>
#include "json_print.h"

#define JP_MAX_DEPTH 32

struct jp_level {
	bool is_array;
	unsigned int count;	/* members written so far */
};

struct jp_ctx {
	FILE *f;
	bool json;
	bool pretty;
	bool failed;		/* unbalanced nesting seen */
	int depth;		/* JSON levels open; may exceed JP_MAX_DEPTH */
	unsigned int top_count;	/* values written at depth 0 */
	struct jp_level lvl[JP_MAX_DEPTH];
};

static __thread struct jp_ctx jp;

int jp_open(FILE *f, bool json, bool pretty)
{
	if (jp.f)
		return -EBUSY;
	memset(&jp, 0, sizeof(jp));
	jp.f = f;
	jp.json = json;
	jp.pretty = pretty;
	return 0;
}

int jp_close(void)
{
	int err = 0;

	if (!jp.f)
		return -EINVAL;
	if (jp.depth) {
		err = -EINVAL;
		while (jp.depth) {
			struct jp_level *l = &jp.lvl[jp.depth - 1];

			if (jp.depth <= JP_MAX_DEPTH && l->is_array)
				close_json_array(PRINT_JSON, NULL);
			else
				close_json_object();
		}
	}
	if (jp.failed)
		err = -EINVAL;
	if (jp.json && jp.top_count)
		fputc('\n', jp.f);
	if (fflush(jp.f) || ferror(jp.f))
		err = -EIO;
	jp.f = NULL;
	return err;
}

bool jp_is_json(void)
{
	return jp.f && jp.json;
}

bool jp_is_open(void)
{
	return jp.f != NULL;
}

static void jp_indent(void)
{
	fputc('\n', jp.f);
	for (int i = 0; i < jp.depth; i++)
		fputs("  ", jp.f);
}

size_t xgw_utf8_len(const unsigned char *s)
{
	unsigned int cp, need, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		need = 1, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		need = 2, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		need = 3, cp = s[0] & 0x07;
	else
		return 0;
	for (i = 1; i <= need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates, beyond U+10FFFF */
	if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return need + 1;
}

int json_write_string(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)(str ? str : "");
	size_t n;

	fputc('"', f);
	while (*s) {
		switch (*s) {
		case '"':  fputs("\\\"", f); s++; continue;
		case '\\': fputs("\\\\", f); s++; continue;
		case '\b': fputs("\\b", f); s++; continue;
		case '\f': fputs("\\f", f); s++; continue;
		case '\n': fputs("\\n", f); s++; continue;
		case '\r': fputs("\\r", f); s++; continue;
		case '\t': fputs("\\t", f); s++; continue;
		}
		if (*s < 0x20 || *s == 0x7f) {
			fprintf(f, "\\u%04x", *s);
			s++;
			continue;
		}
		n = xgw_utf8_len(s);
		if (!n) {
			fputs("\\ufffd", f);
			s++;
			continue;
		}
		fwrite(s, 1, n, f);
		s += n;
	}
	fputc('"', f);
	return ferror(f) ? -EIO : 0;
}

/* Separator, indentation and "key": before the next JSON value. */
static void jp_member(const char *key)
{
	struct jp_level *l = NULL;
	unsigned int *count = &jp.top_count;

	if (jp.depth > 0 && jp.depth <= JP_MAX_DEPTH) {
		l = &jp.lvl[jp.depth - 1];
		count = &l->count;
	}
	/* several top-level values: one per line (JSON lines) */
	if (*count && !jp.depth)
		fputc('\n', jp.f);
	else if (*count)
		fputs(jp.pretty ? "," : ", ", jp.f);
	if (jp.pretty && jp.depth)
		jp_indent();
	(*count)++;
	if (l && !l->is_array) {
		json_write_string(jp.f, key ? key : "");
		fputs(": ", jp.f);
	}
}

static void jp_push(const char *key, bool is_array)
{
	jp_member(key);
	fputc(is_array ? '[' : '{', jp.f);
	if (jp.depth < JP_MAX_DEPTH)
		jp.lvl[jp.depth] = (struct jp_level){ .is_array = is_array };
	else
		jp.failed = true;
	jp.depth++;
}

static void jp_pop(bool is_array)
{
	bool had;

	if (!jp.depth) {
		jp.failed = true;
		return;
	}
	had = jp.depth > JP_MAX_DEPTH || jp.lvl[jp.depth - 1].count;
	if (jp.depth <= JP_MAX_DEPTH && jp.lvl[jp.depth - 1].is_array != is_array)
		jp.failed = true;
	jp.depth--;
	if (jp.pretty && had)
		jp_indent();
	fputc(is_array ? ']' : '}', jp.f);
}

void open_json_object(const char *key)
{
	if (jp_is_json())
		jp_push(key, false);
}

void close_json_object(void)
{
	if (jp_is_json())
		jp_pop(false);
}

void open_json_array(enum output_type t, const char *key)
{
	(void)t;
	if (jp_is_json())
		jp_push(key, true);
}

void close_json_array(enum output_type t, const char *text_delim)
{
	if (jp_is_json())
		jp_pop(true);
	else if (jp.f && (t & PRINT_TEXT) && text_delim)
		fputs(text_delim, jp.f);
}

/* True when the text side of a call should print. */
static bool jp_text(enum output_type t, const char *fmt)
{
	return jp.f && !jp.json && (t & PRINT_TEXT) && fmt;
}

/* True when the JSON side should print; writes the member prefix. */
static bool jp_json(enum output_type t, const char *key)
{
	if (!jp_is_json() || !(t & PRINT_JSON))
		return false;
	jp_member(key);
	return true;
}

void print_string(enum output_type t, const char *key, const char *fmt,
		  const char *value)
{
	if (jp_json(t, key))
		json_write_string(jp.f, value);
	else if (jp_text(t, fmt))
		fprintf(jp.f, fmt, value ? value : "");
}

void print_uint(enum output_type t, const char *key, const char *fmt,
		unsigned int value)
{
	if (jp_json(t, key))
		fprintf(jp.f, "%u", value);
	else if (jp_text(t, fmt))
		fprintf(jp.f, fmt, value);
}

void print_int(enum output_type t, const char *key, const char *fmt,
	       int value)
{
	if (jp_json(t, key))
		fprintf(jp.f, "%d", value);
	else if (jp_text(t, fmt))
		fprintf(jp.f, fmt, value);
}

void print_u64(enum output_type t, const char *key, const char *fmt,
	       uint64_t value)
{
	if (jp_json(t, key))
		fprintf(jp.f, "%llu", (unsigned long long)value);
	else if (jp_text(t, fmt))
		fprintf(jp.f, fmt, (unsigned long long)value);
}

void print_float(enum output_type t, const char *key, const char *fmt,
		 double value)
{
	if (jp_json(t, key)) {
		if (isfinite(value))
			fprintf(jp.f, "%.15g", value);
		else
			fputs("null", jp.f);
	} else if (jp_text(t, fmt)) {
		fprintf(jp.f, fmt, value);
	}
}

void print_bool(enum output_type t, const char *key, const char *fmt,
		bool value)
{
	if (jp_json(t, key))
		fputs(value ? "true" : "false", jp.f);
	else if (jp_text(t, fmt))
		fprintf(jp.f, fmt, value ? "true" : "false");
}

void print_null(enum output_type t, const char *key, const char *fmt,
		const char *text_value)
{
	if (jp_json(t, key))
		fputs("null", jp.f);
	else if (jp_text(t, fmt))
		fprintf(jp.f, fmt, text_value ? text_value : "");
}

void print_nl(void)
{
	if (jp.f && !jp.json)
		fputc('\n', jp.f);
}

void print_text(const char *fmt, ...)
{
	va_list ap;

	if (!jp.f || jp.json)
		return;
	va_start(ap, fmt);
	vfprintf(jp.f, fmt, ap);
	va_end(ap);
}

int jp_print_error(FILE *f, bool json, const char *msg)
{
	if (json) {
		fputs("{\"error\": ", f);
		json_write_string(f, msg);
		fputs("}\n", f);
	} else {
		fprintf(f, "%s\n", msg ? msg : "");
	}
	fflush(f);
	return ferror(f) ? -EIO : 0;
}
