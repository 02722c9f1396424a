/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The version both programs print: `git describe` of the tree they were
 * built from, or the Debian package version when the tree has no .git
 * (the Makefile's version rule writes it into build/version.h).
 */
#ifndef XGW_VERSION_H
#define XGW_VERSION_H

extern const char xgw_version[];

#endif /* XGW_VERSION_H */
