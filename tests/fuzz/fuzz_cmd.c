// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The command grammar two ways: as xgwd and -batch see it (one line,
 * split into words) and as xgwctl sees it (argv from the shell: any bytes
 * in a word; here the input's NUL bytes separate the words). Properties:
 * split yields non-empty words without spaces; a refusal is -EINVAL with
 * exactly one non-empty line of error; an accepted command formats to a
 * canonical line which splits and parses back to the same struct and
 * formats to the same line again (that line is what the state file keeps).
 */
#include <ctype.h>
#include <errno.h>
#include "cmd.h"
#include "fuzz.h"

#define MAX_WORDS	64

static void check_split(char **argv, int argc)
{
	fuzz_assert(argc >= -E2BIG && argc <= MAX_WORDS && argc != -1,
		    "split returned %d", argc);
	for (int i = 0; i < argc; i++) {
		fuzz_assert(argv[i][0] && argv[i][0] != '#', "word %d \"%s\"", i, argv[i]);
		for (const char *c = argv[i]; *c; c++)
			fuzz_assert(!isspace((unsigned char)*c), "space in word %d", i);
	}
}

/* parse(format(c)) == c and format is a fixed point. */
static void check_round_trip(const struct xgw_cmd *c)
{
	char line[1024], again[1024], err[256], *argv[MAX_WORDS];
	struct xgw_cmd c2;
	int n, argc, r;

	n = xgw_cmd_format(c, line, sizeof(line));
	fuzz_assert(n > 0 && (size_t)n == strlen(line), "format returned %d", n);
	argc = xgw_cmd_split(strcpy(again, line), argv, MAX_WORDS);
	fuzz_assert(argc > 0, "canonical \"%s\" splits to %d", line, argc);
	r = xgw_cmd_parse(argc, argv, &c2, err, sizeof(err));
	fuzz_assert(!r, "canonical \"%s\" refused: %s", line, err);
	fuzz_assert(!memcmp(c, &c2, sizeof(c2)), "\"%s\" parses to another command", line);
	n = xgw_cmd_format(&c2, again, sizeof(again));
	fuzz_assert(n > 0 && !strcmp(line, again), "\"%s\" formats as \"%s\"", line, again);
	/* a buffer one byte short must be refused, not overrun */
	n = xgw_cmd_format(c, again, strlen(line));
	fuzz_assert(n == -ENOSPC, "short buffer: %d", n);
}

static void check_parse(int argc, char **argv)
{
	struct xgw_cmd c;
	char err[256];
	int r;

	memset(err, 'x', sizeof(err));
	r = xgw_cmd_parse(argc, argv, &c, err, sizeof(err));
	if (r) {
		fuzz_assert(r == -EINVAL, "parse returned %d", r);
		fuzz_assert(memchr(err, '\0', sizeof(err)), "error not terminated");
		fuzz_assert(err[0], "empty error");
		for (const char *e = err; *e; e++)
			fuzz_assert(!iscntrl((unsigned char)*e), "control byte in \"%s\"", err);
		return;
	}
	fuzz_assert(xgw_cmd_help(c.obj), "no help for object %d", c.obj);
	(void)xgw_cmd_is_write(&c);
	check_round_trip(&c);
}

/* Words separated by NUL bytes, as a shell would pass them. */
static void check_argv(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *argv[MAX_WORDS];
	int argc = 0;
	size_t i, start = 0;

	if (!buf)
		abort();
	memcpy(buf, data, size);
	buf[size] = '\0';
	for (i = 0; i <= size && argc < MAX_WORDS; i++) {
		if (buf[i])
			continue;
		argv[argc++] = buf + start;
		start = i + 1;
	}
	check_parse(argc, argv);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = fuzz_str(data, size), *argv[MAX_WORDS];
	int argc;

	argc = xgw_cmd_split(line, argv, MAX_WORDS);
	check_split(argv, argc);
	if (argc >= 0)
		check_parse(argc, argv);
	free(line);
	if (memchr(data, '\0', size))
		check_argv(data, size);
	return 0;
}
