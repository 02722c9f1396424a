// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * top: rates from two `stats show -j` samples a second apart, redrawn every
 * second. Client side only, so xgwd keeps no per-viewer state. The reply
 * is read with json-c: its "reasons" array, one {"reason", "packets",
 * "bytes"} object per reason. Under -j each frame is one JSON line.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>
#include "json_print.h"
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

static double member_num(const struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return -1;
	return (double)json_object_get_uint64(v);
}

/* Counters by reason name; reasons this xgwctl does not know are skipped. */
static int sample__read(struct sample *s, const char *body)
{
	enum json_tokener_error jerr;
	struct json_object *root, *reasons, *name;
	size_t i, n;
	int ret = -EPROTO;

	root = json_tokener_parse_verbose(body, &jerr);
	if (!root)
		return -EPROTO;
	if (!json_object_object_get_ex(root, "reasons", &reasons) ||
	    !json_object_is_type(reasons, json_type_array))
		goto out;
	n = json_object_array_length(reasons);
	for (i = 0; i < n; i++) {
		struct json_object *r = json_object_array_get_idx(reasons, i);
		int k;

		if (!json_object_object_get_ex(r, "reason", &name))
			goto out;
		k = reason_index(json_object_get_string(name));
		if (k < 0)
			continue;
		s->pkts[k] = member_num(r, "packets");
		s->bytes[k] = member_num(r, "bytes");
		if (s->pkts[k] < 0 || s->bytes[k] < 0)
			goto out;
	}
	ret = 0;
out:
	json_object_put(root);
	return ret;
}

static int sample__take(const struct opts *o, struct sample *s)
{
	struct xgw_proto_hdr h = { .json = true };
	static const char req[] = "stats show\n";
	struct timespec ts;
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
	err = sample__read(s, r.body);
	reply__free(&r);
	if (err) {
		print_error(o, "top: cannot read the reply to \"stats show\"");
		return 1;
	}
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

/* One rate pair: text "label  x pps  y bit/s", JSON "key": {"pps", "bps"}. */
static void print_rate(const char *key, double pps, double bps)
{
	char x[32], y[32];

	open_json_object(key);
	print_text("%-12s", key);
	print_float(PRINT_JSON, "pps", NULL, pps);
	print_string(PRINT_TEXT, NULL, " %10s pps", si(pps, x, sizeof(x)));
	print_float(PRINT_JSON, "bps", NULL, bps);
	print_string(PRINT_TEXT, NULL, " %10s bit/s", si(bps, y, sizeof(y)));
	print_nl();
	close_json_object();
}

/* Every reason's rate in JSON; in text the non-forwarding ones that move. */
static void print_reasons(const struct sample *a, const struct sample *b, double dt)
{
	char x[32];

	print_text("\n%-16s %10s\n", "by reason", "pkt/s");
	open_json_array(PRINT_JSON, "reasons");
	for (int i = 0; i < XGW_REASON_MAX; i++) {
		double d = (b->pkts[i] - a->pkts[i]) / dt;
		enum output_type t = xgw_reason_desc[i].cls != XGW_CLASS_FWD && d > 0 ?
				     PRINT_ANY : PRINT_JSON;

		open_json_object(NULL);
		print_string(t, "reason", "%-16s", xgw_reason_desc[i].name);
		print_string(PRINT_JSON, "class", NULL,
			     xgw_class_name[xgw_reason_desc[i].cls]);
		print_float(PRINT_JSON, "pps", NULL, d);
		if (t == PRINT_ANY) {
			print_string(PRINT_TEXT, NULL, " %10s", si(d, x, sizeof(x)));
			print_nl();
		}
		close_json_object();
	}
	close_json_array(PRINT_JSON, NULL);
}

static void draw(const struct opts *o, const struct sample *a, const struct sample *b,
		 bool tty)
{
	double dt = b->t - a->t > 0 ? b->t - a->t : 1, pps[XGW_CLASS_MAX] = {};
	double bps[XGW_CLASS_MAX] = {}, rx = 0, rxb = 0;
	struct timespec now;
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
	if (tty && !o->json)
		fputs("\033[H\033[2J", stdout);
	clock_gettime(CLOCK_REALTIME, &now);
	jp_open(stdout, o->json, o->pretty);
	open_json_object(NULL);
	print_text("xgw top: rates per second (q to quit)\n\n");
	print_float(PRINT_JSON, "time", NULL, now.tv_sec + now.tv_nsec / 1e9);
	print_float(PRINT_JSON, "interval", NULL, dt);
	print_rate("received", rx, rxb);
	for (i = 0; i < XGW_CLASS_MAX; i++)
		print_rate(xgw_class_name[i], pps[i], bps[i]);
	print_reasons(a, b, dt);
	close_json_object();
	if (!tty && !o->json)
		print_nl();
	jp_close();
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
		draw(o, &s[!cur], &s[cur], tty);
		if (o->count && ++frames >= o->count)
			break;
	}
	if (tty)
		tcsetattr(STDIN_FILENO, TCSANOW, &old);
	return ret;
}
