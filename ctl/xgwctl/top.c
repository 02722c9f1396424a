// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * top: rates from two `stats show -j` samples a second apart, redrawn every
 * second. Client side only, so xgwd keeps no per-viewer state. Counters
 * are found by reason name wherever the reply nests them, either as
 * {"reason": "blackhole", "packets": N, "bytes": N} or as
 * "blackhole": {"packets": N, "bytes": N}.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include "xgw_shared.h"
#include "xgwctl.h"

struct sample {
	double t;		/* seconds, monotonic */
	double pkts[XGW_REASON_MAX];
	double bytes[XGW_REASON_MAX];
};

static volatile sig_atomic_t top_stop;

static void on_signal(int sig)
{
	(void)sig;
	top_stop = 1;
}

static int reason_index(const char *name)
{
	for (int i = 0; i < XGW_REASON_MAX; i++)
		if (name && !strcmp(name, xgw_reason_desc[i].name))
			return i;
	return -1;
}

static void record(struct sample *s, int r, const struct jnode *obj)
{
	const struct jnode *p = json_get(obj, "packets"), *b = json_get(obj, "bytes");

	if (r < 0 || !p || p->type != J_NUM)
		return;
	s->pkts[r] = p->num;
	s->bytes[r] = b && b->type == J_NUM ? b->num : 0;
}

static void collect(struct sample *s, const struct jnode *n)
{
	const struct jnode *name;

	if (n->type == J_OBJ) {
		name = json_get(n, "reason");
		if (!name)
			name = json_get(n, "name");
		if (name && name->type == J_STR)
			record(s, reason_index(name->str), n);
	}
	for (const struct jnode *c = n->child; c; c = c->next) {
		if (n->type == J_OBJ && c->type == J_OBJ)
			record(s, reason_index(c->key), c);
		collect(s, c);
	}
}

static int sample__take(const struct opts *o, struct sample *s)
{
	struct xgw_proto_hdr h = { .json = true };
	static const char req[] = "stats show\n";
	struct timespec ts;
	struct jnode *root;
	struct reply r;
	int err;

	memset(s, 0, sizeof(*s));
	err = client__request(o->sock, &h, req, sizeof(req) - 1, &r);
	if (err)
		return report_connect_error(o, err);
	if (r.status) {
		fputs(r.body, stderr);
		reply__free(&r);
		return 1;
	}
	root = json_parse(r.body);
	reply__free(&r);
	if (!root) {
		print_error(o, "top: cannot parse the reply to \"stats show\"");
		return 1;
	}
	collect(s, root);
	json_free(root);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	s->t = ts.tv_sec + ts.tv_nsec / 1e9;
	return 0;
}

static const char *si(double v, char *buf, size_t len)
{
	static const char unit[] = " kMGT";
	int u = 0;

	while (v >= 1000 && u < 4) {
		v /= 1000;
		u++;
	}
	snprintf(buf, len, u ? "%.2f%c" : "%.0f", v, unit[u]);
	return buf;
}

static void draw(const struct sample *a, const struct sample *b, bool tty)
{
	double dt = b->t - a->t > 0 ? b->t - a->t : 1, pps[XGW_CLASS_MAX] = {};
	double bps[XGW_CLASS_MAX] = {}, rx = 0, rxb = 0, d;
	char x[32], y[32];
	int i;

	for (i = 0; i < XGW_REASON_MAX; i++) {
		int c = xgw_reason_desc[i].cls;

		pps[c] += (b->pkts[i] - a->pkts[i]) / dt;
		bps[c] += (b->bytes[i] - a->bytes[i]) * 8 / dt;
	}
	for (i = 0; i < XGW_CLASS_MAX; i++)
		if (i != XGW_CLASS_ERROR) {
			rx += pps[i];
			rxb += bps[i];
		}
	if (tty)
		fputs("\033[H\033[2J", stdout);
	printf("xgw top: rates per second (q to quit)\n\n");
	printf("%-12s %10s pps %10s bit/s\n", "received", si(rx, x, sizeof(x)),
	       si(rxb, y, sizeof(y)));
	for (i = 0; i < XGW_CLASS_MAX; i++)
		printf("%-12s %10s pps %10s bit/s\n", xgw_class_name[i],
		       si(pps[i], x, sizeof(x)), si(bps[i], y, sizeof(y)));
	printf("\n%-16s %10s\n", "by reason", "pkt/s");
	for (i = 0; i < XGW_REASON_MAX; i++) {
		d = (b->pkts[i] - a->pkts[i]) / dt;
		if (xgw_reason_desc[i].cls != XGW_CLASS_FWD && d > 0)
			printf("%-16s %10s\n", xgw_reason_desc[i].name, si(d, x, sizeof(x)));
	}
	if (!tty)
		putchar('\n');
	fflush(stdout);
}

/* Wait about a second; true when the user asked to quit. */
static bool wait_tick(bool tty)
{
	struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
	char c;

	if (!tty) {
		usleep(1000000);
		return top_stop;
	}
	if (poll(&p, 1, 1000) > 0 && read(STDIN_FILENO, &c, 1) == 1)
		return c == 'q' || c == 'Q' || c == 3;
	return top_stop;
}

int do_top(const struct opts *o)
{
	bool tty = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
	struct termios old, raw;
	struct sample s[2];
	int cur = 0, ret;
	long frames = 0;

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	ret = sample__take(o, &s[0]);
	if (ret)
		return ret;
	if (tty && !tcgetattr(STDIN_FILENO, &old)) {
		raw = old;
		raw.c_lflag &= ~(ICANON | ECHO);
		tcsetattr(STDIN_FILENO, TCSANOW, &raw);
	} else {
		tty = false;
	}
	while (!top_stop && !wait_tick(tty)) {
		ret = sample__take(o, &s[!cur]);
		if (ret)
			break;
		cur = !cur;
		draw(&s[!cur], &s[cur], tty);
		if (o->count && ++frames >= o->count)
			break;
	}
	if (tty)
		tcsetattr(STDIN_FILENO, TCSANOW, &old);
	return ret;
}
