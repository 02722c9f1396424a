/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * One output writer for text and JSON, in the manner of iproute2's
 * json_print: every reply is written by the same calls, and the mode chosen
 * at jp_open() decides whether the text format or the JSON key is used.
 *
 *	FILE *f = open_memstream(&buf, &len);	(or stdout)
 *	jp_open(f, json, pretty);
 *	open_json_array(PRINT_JSON, "routes");	(top-level containers too)
 *	for (each route) {
 *		open_json_object(NULL);
 *		print_string(PRINT_ANY, "dst", "%s", dst);
 *		print_string(PRINT_ANY, "via", " via %s", via);
 *		print_uint(PRINT_ANY, "nh_id", " nh %u", id);
 *		print_bool(PRINT_JSON, "resolved", NULL, ok);
 *		print_nl();			(text only)
 *		close_json_object();
 *	}
 *	close_json_array(PRINT_JSON, NULL);
 *	jp_close();		(JSON: final newline; checks nesting)
 *
 * PRINT_TEXT calls write fmt (printf style, one conversion for the value)
 * only in text mode; PRINT_JSON calls write "key": value only in JSON mode;
 * PRINT_ANY writes whichever applies. A NULL fmt prints nothing in text
 * mode. Text formats take: %s (string, bool, null), %u (uint), %d (int),
 * %llu (u64, passed as unsigned long long), %f/%g family (float).
 * Inside a JSON array the key is ignored. Compact JSON is
 * {"a": 1, "b": [2, 3]}; pretty JSON indents by two spaces per level.
 * Strings are escaped per RFC 8259; invalid UTF-8 bytes become U+FFFD, so
 * the output always parses.
 *
 * The context is per thread (one request at a time per thread); calls made
 * without jp_open() are ignored.
 */
#ifndef XGW_JSON_PRINT_H
#define XGW_JSON_PRINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum output_type {
	PRINT_TEXT = 1,
	PRINT_JSON = 2,
	PRINT_ANY = PRINT_TEXT | PRINT_JSON,
};

/* Start writing one reply to f. Returns 0, or -EBUSY if already open. */
int jp_open(FILE *f, bool json, bool pretty);
/* Finish: JSON gets its newline, f is flushed (not closed). Returns 0, or
 * -EINVAL when objects/arrays were left open (they are closed anyway),
 * or -EIO when a write failed. */
int jp_close(void);
bool jp_is_json(void);
bool jp_is_open(void);

void open_json_object(const char *key);
void close_json_object(void);
/* Arrays: the type only decides text output of the delimiter on close. */
void open_json_array(enum output_type t, const char *key);
void close_json_array(enum output_type t, const char *text_delim);

void print_string(enum output_type t, const char *key, const char *fmt,
		  const char *value);
void print_uint(enum output_type t, const char *key, const char *fmt,
		unsigned int value);
void print_int(enum output_type t, const char *key, const char *fmt,
	       int value);
void print_u64(enum output_type t, const char *key, const char *fmt,
	       uint64_t value);
/* Non-finite values are JSON null. */
void print_float(enum output_type t, const char *key, const char *fmt,
		 double value);
/* Text gets fmt with "true"/"false". */
void print_bool(enum output_type t, const char *key, const char *fmt,
		bool value);
/* JSON null; text gets fmt with text_value (e.g. "-"). */
void print_null(enum output_type t, const char *key, const char *fmt,
		const char *text_value);
/* Text only: a newline, or printf. */
void print_nl(void);
void print_text(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The length of the UTF-8 sequence at s (1-4), or 0 if it is invalid
 * (overlong, surrogate, beyond U+10FFFF, cut). */
size_t xgw_utf8_len(const unsigned char *s);
/* Write s as a quoted JSON string. Returns 0 or -EIO. */
int json_write_string(FILE *f, const char *s);
/* One-line error reply body: `msg\n`, or `{"error": "msg"}\n` under JSON. */
int jp_print_error(FILE *f, bool json, const char *msg);

#endif /* XGW_JSON_PRINT_H */
