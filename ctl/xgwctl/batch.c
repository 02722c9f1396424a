// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * -batch FILE: every line is checked here before anything is sent, then
 * all of them go in one batch=1 request, which xgwd applies all or nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmd.h"
#include "xgwctl.h"

#define MAX_WORDS	64

struct batch {
	char *buf;		/* canonical lines sent to xgwd */
	size_t len, cap;
	int *line_of;		/* file line of each request line */
	int n, ncap;
};

static int batch__add(struct batch *b, const char *line, size_t len, int lineno)
{
	char *nb;
	int *nl;

	if (b->len + len + 1 > XGW_PROTO_MAX_BODY)
		return -E2BIG;
	if (b->len + len + 1 > b->cap) {
		size_t cap = (b->cap ? b->cap * 2 : 4096) + len + 1;

		if (!(nb = realloc(b->buf, cap)))
			return -ENOMEM;
		b->buf = nb;
		b->cap = cap;
	}
	if (b->n == b->ncap) {
		int ncap = b->ncap ? b->ncap * 2 : 64;

		if (!(nl = realloc(b->line_of, ncap * sizeof(*nl))))
			return -ENOMEM;
		b->line_of = nl;
		b->ncap = ncap;
	}
	memcpy(b->buf + b->len, line, len);
	b->len += len;
	b->buf[b->len++] = '\n';
	b->line_of[b->n++] = lineno;
	return 0;
}

/* Check one file line; append its canonical form. 1: blank, 0: added. */
static int batch__line(const struct opts *o, struct batch *b, char *text,
		       int lineno)
{
	char *argv[MAX_WORDS], err[256], line[1024];
	struct xgw_cmd cmd;
	int argc, n;

	argc = xgw_cmd_split(text, argv, MAX_WORDS);
	if (argc == 0)
		return 1;
	if (argc < 0) {
		print_error(o, "line %d: more than %d words", lineno, MAX_WORDS);
		return -EINVAL;
	}
	if (xgw_cmd_parse(argc, argv, &cmd, err, sizeof(err))) {
		print_error(o, "line %d: %s", lineno, err);
		return -EINVAL;
	}
	if (cmd.verb == XGW_V_HELP || cmd.obj == XGW_OBJ_TOP) {
		print_error(o, "line %d: \"%s\" cannot be batched", lineno, argv[0]);
		return -EINVAL;
	}
	n = xgw_cmd_format(&cmd, line, sizeof(line));
	if (n < 0 || (n = batch__add(b, line, n, lineno))) {
		print_error(o, "line %d: %s", lineno,
			    n == -E2BIG ? "batch larger than the protocol's 1 GiB" :
			    strerror(-n));
		return -EINVAL;
	}
	return 0;
}

int do_batch(const struct opts *o)
{
	struct batch b = {};
	FILE *f = stdin;
	char *text = NULL;
	size_t tcap = 0;
	int lineno = 0, ret = 1;

	if (strcmp(o->batch, "-") && !(f = fopen(o->batch, "r"))) {
		print_error(o, "cannot open \"%s\": %s", o->batch, strerror(errno));
		return 1;
	}
	for (;;) {
		errno = 0;
		if (getline(&text, &tcap, f) < 0)
			break;
		lineno++;
		if (batch__line(o, &b, text, lineno) < 0)
			goto out;
	}
	/* getline() says -1 for out of memory as for the end: only the end
	 * of the file (feof) is the end of the batch */
	if (ferror(f) || !feof(f)) {
		print_error(o, "cannot read \"%s\" after line %d: %s; nothing applied",
			    o->batch, lineno, strerror(errno ? errno : EIO));
		goto out;
	}
	/* an empty file is a valid (empty) configuration */
	ret = b.n ? request_and_print(o, b.buf, b.len, true, b.line_of, b.n) : 0;
out:
	free(text);
	free(b.line_of);
	free(b.buf);
	if (f != stdin)
		fclose(f);
	return ret;
}
