/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Known disagreements: datapath bugs the fuzzer found, reported to their
 * owner on the board, not yet fixed. The model states the specified
 * behaviour and, at the very rule the bug breaks, what the datapath does
 * instead, marking the frame with the bug's id (fz_known_dev()): such a
 * frame is counted for the bug rather than failing its configuration, and
 * the suite reports every open bug as "not ok ... # TODO" (never as a
 * pass). When the fix lands the datapath disagrees with the deviation: the
 * entry is then deleted here and in the model.
 */
#ifndef XGW_DPFUZZ_KNOWN_H
#define XGW_DPFUZZ_KNOWN_H

#include <stdbool.h>
#include <stdint.h>

enum fz_known_id {
	FZ_K_NONE = 0,		/* none open (router-dp's FZ_K_OPT_SHORT: fixed, 8017be2 and after) */
	FZ_K_MAX
};

struct fz_known {
	const char *owner;	/* the stream that owns the fix */
	const char *what;	/* one line, as on the board */
	unsigned long hits;	/* frames that showed it this run */
	uint64_t first_cfg;
	unsigned long first_frame;
};

extern struct fz_known fz_known[FZ_K_MAX];

/* --strict: no deviation modelled, every known bug shows as a disagreement. */
extern bool fz_known_strict;

/* Whether known bug @id is still open (its deviation modelled). */
bool fz_known_open(enum fz_known_id id);

#endif /* XGW_DPFUZZ_KNOWN_H */
