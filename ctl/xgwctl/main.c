// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * xgwctl: the operator's CLI. Every command is parsed here first, so a typo
 * fails fast with the same words xgwd would use, even with no daemon; then
 * the canonical line goes to xgwd and its reply is printed as it came.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmd.h"
#include "json_print.h"
#include "version.h"
#include "xgwctl.h"

#define MAX_WORDS	64

static void usage(FILE *f)
{
	fputs(xgw_cmd_help(-1), f);
	fputs("Run \"xgwctl OBJECT help\" for the commands of each object.\n", f);
}

/* "line K: ..." from xgwd counts request lines; say the file's line. */
static void remap_line(char **body, const int *line_of, int n)
{
	const char *pre = strncmp(*body, "{\"error\": \"", 11) ? "" : "{\"error\": \"";
	size_t pl = strlen(pre);
	char *p = *body + pl, *end, *nb;
	long k;

	if (!line_of || strncmp(p, "line ", 5))
		return;
	k = strtol(p + 5, &end, 10);
	if (k < 1 || k > n || *end != ':')
		return;
	if (asprintf(&nb, "%sline %d%s", pre, line_of[k - 1], end) < 0)
		return;
	free(*body);
	*body = nb;
}

int request_and_print(const struct opts *o, const char *lines, size_t len,
		      bool batch, const int *line_of, int n)
{
	struct xgw_proto_hdr h = { .json = o->json, .pretty = o->pretty, .batch = batch };
	struct reply r;
	int err;

	err = client__request(o->sock, &h, lines, len, &r);
	if (err)
		return report_connect_error(o, err);
	if (r.status)
		remap_line(&r.body, line_of, n);
	fputs(r.body, r.status ? stderr : stdout);
	if (r.len && r.body[strlen(r.body) - 1] != '\n')
		fputc('\n', r.status ? stderr : stdout);
	err = r.status ? 1 : 0;
	reply__free(&r);
	return err;
}

/* "top -n COUNT": -n may follow top as well as precede it. */
static int take_count(struct opts *o, int *argc, char **argv)
{
	size_t l = strlen(argv[0]);
	unsigned long v;

	if (!l || strncmp(argv[0], "top", l))
		return 0;
	for (int i = 1; i < *argc; i++) {
		if (strcmp(argv[i], "-n"))
			continue;
		if (i + 1 >= *argc || xgw_uint_parse(argv[i + 1], 1, 1000000000, &v)) {
			print_error(o, "invalid count \"%s\" after \"-n\"",
				    i + 1 < *argc ? argv[i + 1] : "");
			return -EINVAL;
		}
		o->count = v;
		memmove(&argv[i], &argv[i + 2], (*argc - i - 2) * sizeof(*argv));
		*argc -= 2;
		i--;
	}
	return 0;
}

static int run_one(struct opts *o, int argc, char **argv)
{
	char err[256], line[1024];
	struct xgw_cmd cmd;
	int n;

	if (take_count(o, &argc, argv))
		return 1;
	if (xgw_cmd_parse(argc, argv, &cmd, err, sizeof(err))) {
		print_error(o, "%s", err);
		return 1;
	}
	if (cmd.verb == XGW_V_HELP) {
		fputs(xgw_cmd_help(cmd.obj), stdout);
		return 0;
	}
	if (cmd.obj == XGW_OBJ_TOP)
		return do_top(o);
	n = xgw_cmd_format(&cmd, line, sizeof(line) - 1);
	if (n < 0) {
		print_error(o, "cannot format command: %s", strerror(-n));
		return 1;
	}
	line[n++] = '\n';
	return request_and_print(o, line, n, false, NULL, 0);
}

/* Long options take one or two dashes; short ones one. */
static const char *opt_name(const char *a)
{
	if (a[0] != '-' || !a[1])
		return NULL;
	return a[1] == '-' ? a + 2 : a + 1;
}

static int opt_value(int argc, char **argv, int *i, const char **val)
{
	if (*i + 1 >= argc) {
		fprintf(stderr, "xgwctl: option \"%s\" needs an argument\n", argv[*i]);
		return -EINVAL;
	}
	*val = argv[++*i];
	return 0;
}

/* Returns the index of the first non-option word, or -1 to exit(ret). */
static int parse_opts(int argc, char **argv, struct opts *o, int *ret)
{
	const char *n, *cnt;
	unsigned long v;
	int i;

	for (i = 1; i < argc && (n = opt_name(argv[i])); i++) {
		*ret = 1;
		if (!strcmp(n, "")) {		/* "--" */
			i++;
			break;
		} else if (!strcmp(n, "j") || !strcmp(n, "json")) {
			o->json = true;
		} else if (!strcmp(n, "p") || !strcmp(n, "pretty")) {
			o->json = o->pretty = true;	/* as bpftool: -p implies -j */
		} else if (!strcmp(n, "s") || !strcmp(n, "socket")) {
			if (opt_value(argc, argv, &i, &o->sock))
				return -1;
		} else if (!strcmp(n, "b") || !strcmp(n, "batch")) {
			if (opt_value(argc, argv, &i, &o->batch))
				return -1;
		} else if (!strcmp(n, "n")) {
			if (opt_value(argc, argv, &i, &cnt))
				return -1;
			if (xgw_uint_parse(cnt, 1, 1000000000, &v)) {
				fprintf(stderr, "xgwctl: invalid count \"%s\" after \"-n\"\n", cnt);
				return -1;
			}
			o->count = v;
		} else if (!strcmp(n, "V") || !strcmp(n, "version")) {
			printf("xgwctl %s (protocol %s)\n", xgw_version, XGW_PROTO_MAGIC);
			*ret = 0;
			return -1;
		} else if (!strcmp(n, "h") || !strcmp(n, "help")) {
			usage(stdout);
			*ret = 0;
			return -1;
		} else {
			fprintf(stderr, "xgwctl: unknown option \"%s\" (try \"xgwctl -h\")\n",
				argv[i]);
			return -1;
		}
	}
	return i;
}

int main(int argc, char **argv)
{
	struct opts o = { .sock = XGW_SOCKET_DEFAULT };
	int first, ret = 1;

	first = parse_opts(argc, argv, &o, &ret);
	if (first < 0)
		return ret;
	if (o.batch) {
		if (first < argc) {
			print_error(&o, "unexpected \"%s\" after -batch FILE", argv[first]);
			return 1;
		}
		return do_batch(&o);
	}
	if (first >= argc) {
		usage(stderr);
		return 1;
	}
	if (argc - first == 1 && !strcmp(argv[first], "help")) {
		usage(stdout);
		return 0;
	}
	return run_one(&o, argc - first, argv + first);
}
