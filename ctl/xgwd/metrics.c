// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Prometheus text exposition (format 0.0.4) over a minimal HTTP/1.0
 * server: GET /metrics, one request per connection, served from the main
 * loop. Counters come straight from the per-CPU maps, summed.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "fib4.h"
#include "follow.h"
#include "lb.h"
#include "link.h"
#include "metrics.h"
#include "nexthop.h"
#include "rtable.h"
#include "stats.h"
#include "xgwd.h"
#include "xgw.skel.h"
#include "sockio.h"

/* "ADDR:PORT" or "[V6ADDR]:PORT" -> sockaddr. */
static int parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[64];
	const char *colon = strrchr(s, ':');
	unsigned long port;
	struct xgw_addr a;
	size_t hl;

	if (!colon || xgw_uint_parse(colon + 1, 1, 65535, &port))
		return -EINVAL;
	hl = colon - s;
	if (hl >= 2 && s[0] == '[' && s[hl - 1] == ']') {
		s++;
		hl -= 2;
	}
	if (hl >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, hl);
	host[hl] = '\0';
	if (xgw_addr_parse(host, &a))
		return -EINVAL;
	memset(ss, 0, sizeof(*ss));
	if (a.family == AF_INET) {
		struct sockaddr_in *in = (void *)ss;

		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		in->sin_addr.s_addr = a.a[0];
		*len = sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 = (void *)ss;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		memcpy(&in6->sin6_addr, a.a, 16);
		*len = sizeof(*in6);
	}
	return 0;
}

int metrics__open(struct xgwd *d)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int s, one = 1, err;

	d->metrics_fd = -1;
	if (!d->opts.metrics[0] || !strcmp(d->opts.metrics, "none"))
		return 0;
	if (parse_listen(d->opts.metrics, &ss, &len)) {
		pr_warn("invalid metrics address \"%s\" (ADDR:PORT)", d->opts.metrics);
		return -EINVAL;
	}
	s = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s < 0)
		return -errno;
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s, (struct sockaddr *)&ss, len) || listen(s, 16)) {
		err = -errno;
		pr_warn("metrics %s: %s", d->opts.metrics, strerror(errno));
		close(s);
		return err;
	}
	d->metrics_fd = s;
	return 0;
}

void metrics__close(struct xgwd *d)
{
	if (d->metrics_fd >= 0)
		close(d->metrics_fd);
	d->metrics_fd = -1;
}

static void help_type(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void metrics__reasons(struct xgwd *d, FILE *f)
{
	struct xgw_counter r[XGW_REASON_MAX];
	int i, k;

	if (stats__read(bpf_map__fd(d->skel->maps.xgw_stats), XGW_REASON_MAX, r))
		return;
	for (k = 0; k < 2; k++) {
		const char *name = k ? "xgw_bytes_total" : "xgw_packets_total";

		help_type(f, name, "counter", k ? "Bytes seen by the datapath, by final reason." :
			  "Packets seen by the datapath, by final reason.");
		for (i = 0; i < XGW_REASON_MAX; i++)
			fprintf(f, "%s{reason=\"%s\",class=\"%s\"} %llu\n", name,
				xgw_reason_desc[i].name,
				xgw_class_name[xgw_reason_desc[i].cls],
				(unsigned long long)(k ? r[i].bytes : r[i].packets));
	}
}

static void metrics__nexthops(struct xgwd *d, FILE *f)
{
	struct xgw_counter *nh = calloc(XGW_MAX_NEXTHOPS, sizeof(*nh));
	char buf[XGW_ADDR_STRLEN];
	int k;
	__u32 id;

	if (!nh || stats__read(bpf_map__fd(d->skel->maps.xgw_nh_stats),
			       XGW_MAX_NEXTHOPS, nh))
		goto out;
	for (k = 0; k < 2; k++) {
		const char *name = k ? "xgw_nexthop_bytes_total" :
				   "xgw_nexthop_packets_total";

		help_type(f, name, "counter", k ? "Bytes forwarded per next hop." :
			  "Packets forwarded per next hop.");
		for (id = 1; id < XGW_MAX_NEXTHOPS; id++) {
			const struct xgwd_nexthop *n = nexthop__find(d, id);
			struct xgwd_link *l = n ? link__find(d, n->ifindex) : NULL;

			if (!n)
				continue;
			fprintf(f, "%s{nh_id=\"%u\",via=\"%s\",dev=\"%s\"} %llu\n", name, id,
				xgw_addr_str(&n->gw, buf, sizeof(buf)), l ? l->name : "",
				(unsigned long long)(k ? nh[id].bytes : nh[id].packets));
		}
	}
	help_type(f, "xgw_nexthop_resolved", "gauge",
		  "1 when the next hop's MAC is known and its link is up.");
	for (id = 1; id < XGW_MAX_NEXTHOPS; id++) {
		const struct xgwd_nexthop *n = nexthop__find(d, id);
		struct xgwd_link *l = n ? link__find(d, n->ifindex) : NULL;

		if (n)
			fprintf(f, "xgw_nexthop_resolved{nh_id=\"%u\"} %d\n", id,
				n->has_mac && l && l->up);
	}
out:
	free(nh);
}

static void metrics__latency(struct xgwd *d, FILE *f)
{
	struct xgw_latency l;
	unsigned long long cum = 0;
	int i;

	if (stats__latency(d, &l))
		return;
	help_type(f, "xgw_latency_seconds", "histogram",
		  "Sampled XDP processing time per packet (1 in latency-sample).");
	for (i = 0; i < XGW_LAT_BUCKETS - 1; i++) {
		cum += l.bucket[i];
		fprintf(f, "xgw_latency_seconds_bucket{le=\"%.9g\"} %llu\n",
			stats__bucket_hi(i) / 1e9, cum);
	}
	cum += l.bucket[XGW_LAT_BUCKETS - 1];
	fprintf(f, "xgw_latency_seconds_bucket{le=\"+Inf\"} %llu\n", cum);
	fprintf(f, "xgw_latency_seconds_sum %.9f\n", l.sum_ns / 1e9);
	fprintf(f, "xgw_latency_seconds_count %llu\n", cum);
	help_type(f, "xgw_latency_sample", "gauge",
		  "One packet in N is timed (0: sampling off).");
	fprintf(f, "xgw_latency_sample %u\n", d->config.latency_sample);
}

/* Entries of a hash/LPM map by walking its keys (no count in the API). */
static long map_count(struct bpf_map *m)
{
	int fd = bpf_map__fd(m);
	char key[64], next[64];
	long n = 0;
	void *prev = NULL;

	if (bpf_map__key_size(m) > sizeof(key))
		return -1;
	while (!bpf_map_get_next_key(fd, prev, next)) {
		memcpy(key, next, sizeof(key));
		prev = key;
		n++;
	}
	return n;
}

/* LPM entries are exactly our prefix routes (walking 1M keys per scrape
 * would take seconds); the host map mixes routes, locals and VIPs: walked. */
static long lpm_count(struct xgwd *d, int family)
{
	long n = 0;
	size_t i;

	for (i = 0; i < d->routes.n; i++) {
		struct xgwd_route *r = xgwd_vec__at(&d->routes, struct xgwd_route, i);

		n += r->dst.addr.family == family &&
		     r->dst.len != (family == AF_INET ? 32 : 128);
	}
	return n;
}

/* The IPv4 FIB's arrays have no entry count: its own route set and groups. */
static void metrics__fib4(struct xgwd *d, FILE *f)
{
	struct xgw_fib4_stats st;

	xgw_fib4_stats(d->fib4, &st);
	help_type(f, "xgw_fib4_routes", "gauge",
		  "IPv4 FIB entries: prefixes, host routes, own addresses, VIP marks.");
	fprintf(f, "xgw_fib4_routes %u\n", st.routes);
	help_type(f, "xgw_fib4_groups_used", "gauge",
		  "IPv4 FIB /24s holding routes longer than /24 (256-entry groups in use).");
	fprintf(f, "xgw_fib4_groups_used %u\n", st.groups_used);
	help_type(f, "xgw_fib4_groups_max", "gauge",
		  "IPv4 FIB groups available (XGW_FIB4_GROUPS).");
	fprintf(f, "xgw_fib4_groups_max %u\n", st.groups_max);
}

static void metrics__maps(struct xgwd *d, FILE *f)
{
	struct bpf_map *maps[] = {
		d->skel->maps.xgw_host6, d->skel->maps.xgw_lpm6, d->skel->maps.xgw_tx_ports,
	};
	long count[] = {
		map_count(maps[0]), lpm_count(d, AF_INET6), map_count(maps[2]),
	};
	unsigned int used = 0;
	size_t i;
	__u32 id;

	help_type(f, "xgw_map_entries", "gauge", "Entries in use per map.");
	for (i = 0; i < sizeof(maps) / sizeof(maps[0]); i++)
		fprintf(f, "xgw_map_entries{map=\"%s\"} %ld\n", bpf_map__name(maps[i]),
			count[i]);
	for (id = 1; id < XGW_MAX_NEXTHOPS; id++)
		used += d->nexthops[id].id != 0;
	fprintf(f, "xgw_map_entries{map=\"xgw_nexthops\"} %u\n", used);
	help_type(f, "xgw_map_capacity", "gauge", "Maximum entries per map.");
	for (i = 0; i < sizeof(maps) / sizeof(maps[0]); i++)
		fprintf(f, "xgw_map_capacity{map=\"%s\"} %u\n", bpf_map__name(maps[i]),
			bpf_map__max_entries(maps[i]));
	fprintf(f, "xgw_map_capacity{map=\"xgw_nexthops\"} %u\n", XGW_MAX_NEXTHOPS - 1);
}

int metrics__write(struct xgwd *d, FILE *f)
{
	size_t i;
	unsigned int up = 0;

	help_type(f, "xgw_links", "gauge", "Attached links, and how many are up.");
	for (i = 0; i < d->links.n; i++)
		up += xgwd_vec__at(&d->links, struct xgwd_link, i)->up;
	fprintf(f, "xgw_links{state=\"attached\"} %zu\nxgw_links{state=\"up\"} %u\n",
		d->links.n, up);
	help_type(f, "xgw_routes", "gauge", "Configured routes.");
	fprintf(f, "xgw_routes %zu\n", d->routes.n);
	metrics__reasons(d, f);
	metrics__nexthops(d, f);
	metrics__latency(d, f);
	metrics__maps(d, f);
	metrics__fib4(d, f);
	link__metrics(d, f);
	follow__metrics(d, f);
	lb__metrics(d, f);
	return ferror(f) ? -EIO : 0;
}

static void metrics__handle(struct xgwd *d, int fd)
{
	char req[2048] = "", hdr[256], *body = NULL;
	size_t blen = 0, got = 0;
	bool ok = false;
	FILE *f;
	ssize_t n;

	while (got < sizeof(req) - 1 && !strstr(req, "\r\n\r\n") && !strstr(req, "\n\n")) {
		n = recv(fd, req + got, sizeof(req) - 1 - got, 0);
		if (n <= 0)
			break;
		got += n;
		req[got] = '\0';
	}
	req[got] = '\0';
	if (!strncmp(req, "GET /metrics ", 13) || !strncmp(req, "GET /metrics?", 13) ||
	    !strncmp(req, "GET / ", 6))
		ok = true;
	f = open_memstream(&body, &blen);
	if (!f)
		return;
	if (ok) {
		pthread_mutex_lock(&d->lock);
		metrics__write(d, f);
		pthread_mutex_unlock(&d->lock);
	} else {
		fputs("not found: try /metrics\n", f);
	}
	fclose(f);
	snprintf(hdr, sizeof(hdr), "HTTP/1.0 %s\r\nContent-Type: %s\r\n"
		 "Content-Length: %zu\r\nConnection: close\r\n\r\n",
		 ok ? "200 OK" : "404 Not Found",
		 ok ? "text/plain; version=0.0.4; charset=utf-8" : "text/plain",
		 blen);
	xgw_send_all(fd, hdr, strlen(hdr));
	xgw_send_all(fd, body, blen);
	free(body);
}

void metrics__serve(struct xgwd *d)
{
	int fd;

	for (;;) {
		fd = xgw_accept_timed(d->metrics_fd, 2);
		if (fd < 0)
			return;
		metrics__handle(d, fd);
		close(fd);
	}
}
