/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* xgwctl internals: options, the control socket client, batch, top. */
#ifndef XGWCTL_H
#define XGWCTL_H

#include <stdbool.h>
#include <stddef.h>
#include "proto.h"

struct opts {
	bool json;
	bool pretty;
	const char *sock;
	const char *batch;	/* -batch FILE, "-" = stdin */
	long count;		/* top: frames before exit, 0 = forever */
};

struct reply {
	int status;		/* 0 OK, 1 ERR */
	char *body;		/* NUL-terminated, malloc'd */
	size_t len;
};

/* One request: header h, then body (command lines, each ending in '\n').
 * Returns 0 with *r filled, -errno when xgwd cannot be reached (connect),
 * or -EPROTO for a malformed reply. */
int client__request(const char *path, const struct xgw_proto_hdr *h,
		    const char *body, size_t len, struct reply *r);
void reply__free(struct reply *r);

/* Print an error line: text to stderr, or {"error": ...} under -j. */
void print_error(const struct opts *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The daemon could not be reached: one line, exit status 1. */
int report_connect_error(const struct opts *o, int err);

int do_batch(const struct opts *o);
/* Send lines, print the reply; returns the exit status. line_of[k] is the
 * file line of request line k+1 (batch errors name file lines). */
int request_and_print(const struct opts *o, const char *lines, size_t len,
		      bool batch, const int *line_of, int n);
int do_top(const struct opts *o);

#endif /* XGWCTL_H */
