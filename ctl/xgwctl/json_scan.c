// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Minimal JSON reader: enough for top to read xgwd's own `stats show -j`
 * (no dependency for one screen). Recursion depth is bounded.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "xgwctl.h"

#define JSON_MAX_DEPTH 64

struct jp_in {
	const char *s;
	int depth;
};

static void ws(struct jp_in *in)
{
	while (isspace((unsigned char)*in->s))
		in->s++;
}

/* Strings: escapes decoded; \uXXXX outside ASCII becomes '?' (names only). */
static char *jstring(struct jp_in *in)
{
	const char *s = in->s + 1;
	char *out = malloc(strlen(s) + 1), *o = out;

	if (!out)
		return NULL;
	for (; *s && *s != '"'; s++) {
		if (*s != '\\') {
			*o++ = *s;
			continue;
		}
		s++;
		switch (*s) {
		case 'n': *o++ = '\n'; break;
		case 't': *o++ = '\t'; break;
		case 'r': *o++ = '\r'; break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'u': {
			char hex[5] = {};
			long v;

			if (strlen(s + 1) < 4)
				goto bad;
			memcpy(hex, s + 1, 4);
			v = strtol(hex, NULL, 16);
			*o++ = v < 0x80 ? (char)v : '?';
			s += 4;
			break;
		}
		case '\0':
			goto bad;
		default: *o++ = *s; break;
		}
	}
	if (*s != '"')
		goto bad;
	*o = '\0';
	in->s = s + 1;
	return out;
bad:
	free(out);
	return NULL;
}

static struct jnode *jvalue(struct jp_in *in);

static int jmembers(struct jp_in *in, struct jnode *n, char close)
{
	struct jnode **tail = &n->child;

	in->s++;
	ws(in);
	if (*in->s == close) {
		in->s++;
		return 0;
	}
	for (;;) {
		char *key = NULL;
		struct jnode *c;

		ws(in);
		if (close == '}') {
			if (*in->s != '"' || !(key = jstring(in)))
				return -1;
			ws(in);
			if (*in->s++ != ':') {
				free(key);
				return -1;
			}
		}
		c = jvalue(in);
		if (!c) {
			free(key);
			return -1;
		}
		c->key = key;
		*tail = c;
		tail = &c->next;
		ws(in);
		if (*in->s == ',') {
			in->s++;
			continue;
		}
		if (*in->s++ != close)
			return -1;
		return 0;
	}
}

static struct jnode *jvalue(struct jp_in *in)
{
	struct jnode *n = calloc(1, sizeof(*n));
	char *end;

	if (!n || ++in->depth > JSON_MAX_DEPTH)
		goto bad;
	ws(in);
	if (*in->s == '{' || *in->s == '[') {
		n->type = *in->s == '{' ? J_OBJ : J_ARR;
		if (jmembers(in, n, *in->s == '{' ? '}' : ']'))
			goto bad;
	} else if (*in->s == '"') {
		n->type = J_STR;
		if (!(n->str = jstring(in)))
			goto bad;
	} else if (!strncmp(in->s, "true", 4) || !strncmp(in->s, "false", 5)) {
		n->type = J_BOOL;
		n->num = in->s[0] == 't';
		in->s += n->num ? 4 : 5;
	} else if (!strncmp(in->s, "null", 4)) {
		in->s += 4;
	} else {
		n->type = J_NUM;
		n->num = strtod(in->s, &end);
		if (end == in->s)
			goto bad;
		in->s = end;
	}
	in->depth--;
	return n;
bad:
	json_free(n);
	return NULL;
}

struct jnode *json_parse(const char *s)
{
	struct jp_in in = { s, 0 };
	struct jnode *n = jvalue(&in);

	if (!n)
		return NULL;
	ws(&in);
	if (*in.s) {
		json_free(n);
		return NULL;
	}
	return n;
}

void json_free(struct jnode *n)
{
	while (n) {
		struct jnode *next = n->next;

		json_free(n->child);
		free(n->key);
		free(n->str);
		free(n);
		n = next;
	}
}

const struct jnode *json_get(const struct jnode *obj, const char *key)
{
	if (!obj || obj->type != J_OBJ)
		return NULL;
	for (const struct jnode *c = obj->child; c; c = c->next)
		if (c->key && !strcmp(c->key, key))
			return c;
	return NULL;
}
