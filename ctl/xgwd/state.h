/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Applying commands, all-or-nothing batches, the state file and reloads
 * (state.c, reload.c).
 */
#ifndef XGWD_STATE_H
#define XGWD_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "cmd.h"

struct xgwd;
struct xgwd_undo;

/* Replay the state file (fail-safe: see state.c). 0, or -ENOMEM. */
int state__load(struct xgwd *d, const char *path);
int state__write(struct xgwd *d, FILE *f);
/* Rewrite the state file now (lb.c: after a change made outside a request). */
int state__save(struct xgwd *d);
int xgwd__apply(struct xgwd *d, const struct xgw_cmd *c,
		struct xgwd_undo *undo, char *err, size_t errlen);
int xgwd__batch(struct xgwd *d, char *text, char *err, size_t errlen);
/* One transaction of command lines; writes need may_write (peer creds). */
int xgwd__run(struct xgwd *d, char *text, bool may_write, bool numbered,
	      char *err, size_t errlen);

enum state_status {
	STATE_OK,
	STATE_DEGRADED,		/* some lines did not apply (kept in the file) */
	STATE_NOT_LOADED,	/* the file was not applied: changes refused */
};

enum state_status state__status(void);
/* The file at path was not applied, for why: changes are refused. */
void state__not_loaded(const char *path, const char *why);

/* Parsed command lines with their line numbers. */
struct parsed {
	struct xgw_cmd *cmds;
	int *lines;		/* file line; <= 0: none (a reload's removal) */
	size_t n, cap;
	unsigned int bad;	/* lines that did not parse */
};
int parsed__push(struct parsed *p, const struct xgw_cmd *c, int line);
void parsed__free(struct parsed *p);

/*
 * Parse text's lines (split in place). Without report: the first bad line
 * (parse or check) ends it with err ("line N: ..." when numbered). With
 * report (a file name): parse only, every bad line logged as FILE:N,
 * p->bad counts them. Returns 0, -EINVAL or -ENOMEM.
 */
int state__parse(struct xgwd *d, char *text, bool numbered, const char *report,
		 struct parsed *p, char *err, size_t errlen);
/* Apply p as one transaction (rolled back on failure, saved on success);
 * declare: skip lines that hold already. 0 or -errno with err. */
int state__apply_all(struct xgwd *d, const struct parsed *p, bool numbered,
		     bool declare, char *err, size_t errlen);
void xgwd__rollback(struct xgwd *d, struct xgwd_undo *u);

/* What a command is about: "route 10.0.0.0/8", "link eth0"... */
int state__key(const struct xgw_cmd *c, char *buf, size_t len);

/* The whole file (no size limit). 0 or -errno (-ENOENT: none). */
int state__read(const char *path, char **text, size_t *len);
/* Whole (not cut)? 0, or -EINVAL with why. */
int state__complete(const char *text, size_t len, char *why, size_t whylen);
/* Remove temp files a killed save left next to config. */
void state__clean_tmp(const char *config);

/* Over an adopted datapath, before the FIB commit: keep failed routes. */
void state__keep_failed(struct xgwd *d);
/* Hold adopted next hop slot id for a kept entry whose next hop is gw, on
 * the device the map has. 0 or -errno (the slot is not to be had). */
int state__hold_nh(struct xgwd *d, __u32 id, const struct xgw_addr *gw);
/* Is p a kept entry (route.c's IPv6 sweep leaves it)? */
bool state__keeps(const struct xgw_prefix *p);
/* Forget every failed line; remove: their kept entries leave too. */
void state__forget_failed(struct xgwd *d, bool remove);

/* A set of command lines, sorted (the running state, a file). */
struct state_lines {
	char *text;
	char **line;
	size_t n;
};
int state_lines__running(struct xgwd *d, struct state_lines *s);
int state_lines__from_text(struct state_lines *s, char *text);
bool state_lines__has(const struct state_lines *s, const char *line);
void state_lines__free(struct state_lines *s);

/* `xgwctl daemon show` and the metrics. */
void state__show(struct xgwd *d);
void state__metrics(struct xgwd *d, FILE *f);
void state__reloaded(int err, const char *msg);

/* reload.c: the start-up restore, and a reload (SIGHUP, daemon reload):
 * the difference between the file and the running state, all or nothing. */
int state__restore(struct xgwd *d);
int state__reload(struct xgwd *d, char *err, size_t errlen);
int daemon__apply(struct xgwd *d, const struct xgw_cmd *c, char *err, size_t errlen);

#endif /* XGWD_STATE_H */
