/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Prometheus text exposition (format 0.0.4) helpers. */
#ifndef XGW_PROM_H
#define XGW_PROM_H

#include <stdio.h>

/*
 * Write s as a label value, without the quotes: backslash, double quote
 * and newline escaped as the format says (\\, \", \n), and every byte that
 * is not valid UTF-8 written as U+FFFD, so any device name gives a valid
 * scrape. Returns 0 or -EIO.
 */
int xgw_prom_label(FILE *f, const char *s);

/* "# HELP name help\n# TYPE name type\n" */
void xgw_prom_head(FILE *f, const char *name, const char *type, const char *help);

#endif /* XGW_PROM_H */
