// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Prometheus text exposition (format 0.0.4), served by libmicrohttpd from
 * its own thread, never from the main loop: a slow or half-open scraper
 * costs one of MHD's connections (capped, per address too), nothing else.
 * MHD closes a connection idle for XGWD_METRICS_TIMEOUT_S; one that sends
 * a byte now and then is never idle, so each request also has a total
 * deadline (XGWD_METRICS_REQUEST_S from its connection or the previous
 * request's end): the main loop's tick shuts down overdue connections.
 *
 * A scrape serves a snapshot of the daemon's state that the main loop
 * writes under d->lock: the scraper asks for a fresh one (an eventfd the
 * main loop polls) and waits for it at most XGWD_METRICS_WAIT_MS; a main
 * loop busy with a long batch gets the previous snapshot served instead.
 * Hash maps are counted with bpf_map_lookup_batch() (thousands of entries
 * per syscall): the devmap in the scraping thread, off the
 * lock; the connection table by lb.c in the snapshot (NAT flows per service
 * need its services).
 * Label values are escaped per the exposition format (prom.c).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <microhttpd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "fib.h"
#include "follow.h"
#include "lb.h"
#include "link.h"
#include "metrics.h"
#include "nexthop.h"
#include "rtable.h"
#include "stats.h"
#include "xgwd.h"
#include "xgw.skel.h"
#include "ctlsock.h"
#include "metrics.h"
#include "prom.h"
#include "state.h"
#include "util.h"

/* Metrics connections closed at their deadline (metrics__tick()). */
static unsigned long mx_overdue;

static void metrics__reasons(struct xgwd *d, FILE *f)
{
	struct xgw_counter r[XGW_REASON_MAX];
	int i, k;

	if (stats__read(bpf_map__fd(d->skel->maps.xgw_stats), XGW_REASON_MAX, r))
		return;
	for (k = 0; k < 2; k++) {
		const char *name = k ? "xgw_bytes_total" : "xgw_packets_total";

		xgw_prom_head(f, name, "counter", k ? "Bytes seen by the datapath, by final reason." :
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

		xgw_prom_head(f, name, "counter", k ? "Bytes forwarded per next hop." :
			  "Packets forwarded per next hop.");
		for (id = 1; id < XGW_MAX_NEXTHOPS; id++) {
			const struct xgwd_nexthop *n = nexthop__find(d, id);
			struct xgwd_link *l = n ? link__find(d, n->ifindex) : NULL;

			if (!n)
				continue;
			fprintf(f, "%s{nh_id=\"%u\",via=\"%s\",dev=\"", name, id,
				xgw_addr_str(&n->gw, buf, sizeof(buf)));
			xgw_prom_label(f, l ? l->name : "");
			fprintf(f, "\"} %llu\n",
				(unsigned long long)(k ? nh[id].bytes : nh[id].packets));
		}
	}
	xgw_prom_head(f, "xgw_nexthop_resolved", "gauge",
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
	xgw_prom_head(f, "xgw_latency_seconds", "histogram",
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
	xgw_prom_head(f, "xgw_latency_sample", "gauge",
		  "One packet in N is timed (0: sampling off).");
	fprintf(f, "xgw_latency_sample %u\n", d->config.latency_sample);
}

/* The FIBs: routes, and the memory their lookups can touch (of the most). */
static void metrics__fib(struct xgwd *d, FILE *f)
{
	static const char *const fam[2] = { "ipv4", "ipv6" };
	struct xgw_fib_stats st[2];
	int i;

	for (i = 0; i < 2; i++)
		xgw_fib_stats(d->fib[i], &st[i]);
	xgw_prom_head(f, "xgw_fib_routes", "gauge",
		      "FIB routes: prefixes, host routes, own addresses, VIP marks.");
	for (i = 0; i < 2; i++)
		fprintf(f, "xgw_fib_routes{family=\"%s\"} %u\n", fam[i], st[i].routes);
	xgw_prom_head(f, "xgw_fib_memory_bytes", "gauge",
		      "FIB memory the lookups use: direct table, leaves, chunks, hash buckets.");
	for (i = 0; i < 2; i++)
		fprintf(f, "xgw_fib_memory_bytes{family=\"%s\"} %llu\n", fam[i],
			(unsigned long long)st[i].bytes);
	xgw_prom_head(f, "xgw_fib_memory_max_bytes", "gauge",
		      "FIB memory there is (XGW_FIB4_HEAP, XGW_FIB6_HEAP, XGW_FIB6_H32/H48/HD).");
	for (i = 0; i < 2; i++)
		fprintf(f, "xgw_fib_memory_max_bytes{family=\"%s\"} %llu\n", fam[i],
			(unsigned long long)st[i].bytes_max);
}

/* The daemon's own health: control clients, the state file. */
static void metrics__daemon(struct xgwd *d, FILE *f)
{
	struct ctlsock_stats cs;

	ctlsock__stats(&cs);
	xgw_prom_head(f, "xgw_control_connections", "gauge", "Control socket clients now.");
	fprintf(f, "xgw_control_connections %u\n", cs.open);
	xgw_prom_head(f, "xgw_control_dropped_total", "counter",
		      "Control clients dropped without running a request, by why.");
	fprintf(f, "xgw_control_dropped_total{why=\"over_limit\"} %lu\n", cs.refused);
	fprintf(f, "xgw_control_dropped_total{why=\"deadline\"} %lu\n", cs.timed_out);
	fprintf(f, "xgw_control_dropped_total{why=\"incomplete\"} %lu\n", cs.cut);
	xgw_prom_head(f, "xgw_metrics_dropped_total", "counter",
		      "Metrics connections closed with their request not answered in time.");
	fprintf(f, "xgw_metrics_dropped_total{why=\"deadline\"} %lu\n", mx_overdue);
	state__metrics(d, f);
}

int metrics__write(struct xgwd *d, FILE *f)
{
	size_t i;
	unsigned int up = 0;

	xgw_prom_head(f, "xgw_links", "gauge", "Attached links, and how many are up.");
	for (i = 0; i < d->links.n; i++)
		up += xgwd_vec__at(&d->links, struct xgwd_link, i)->up;
	fprintf(f, "xgw_links{state=\"attached\"} %zu\nxgw_links{state=\"up\"} %u\n",
		d->links.n, up);
	xgw_prom_head(f, "xgw_routes", "gauge", "Configured routes.");
	fprintf(f, "xgw_routes %zu\n", d->routes.n);
	metrics__reasons(d, f);
	metrics__nexthops(d, f);
	metrics__latency(d, f);
	metrics__fib(d, f);
	metrics__daemon(d, f);
	link__metrics(d, f);
	follow__metrics(d, f);
	lb__metrics(d, f);
	return ferror(f) ? -EIO : 0;
}


/* ---- the server ------------------------------------------------------------ */
static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;		/* a new snapshot is there */
	char *text;			/* metrics__write() of the main loop */
	size_t len;
	unsigned int nh_used;		/* next hops in use */
	unsigned long gen;		/* snapshots written so far */
	long long at;			/* when the last one was written, ms */
	bool asked;			/* a scraper is waiting for one */
	int wake_fd;			/* eventfd: the main loop refreshes */
	struct {
		const char *name;
		int fd;
		__u32 ksz, vsz, max;
	} maps[1];			/* counted per scrape, off the lock */
	struct MHD_Daemon *mhd;
	int lfd;
	/* open connections and when their current request began (MHD's
	 * thread adds and removes them, the main loop's tick reads) */
	struct mx_conn {
		struct MHD_Connection *conn;
		int fd;
		long long since;	/* ms */
	} conn[XGWD_METRICS_MAX_CONN];
	unsigned int n_conn;
} mx = {
	.mu = PTHREAD_MUTEX_INITIALIZER, .wake_fd = -1, .lfd = -1,
};

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

/* The families counted in the scraping thread (the connection table is
 * lb.c's, in the snapshot: it counts NAT flows per service too). */
static void mx_maps(FILE *f, unsigned int nh_used)
{
	long count[1];
	int i;

	for (i = 0; i < 1; i++)
		count[i] = xgw_map_walk(mx.maps[i].fd, mx.maps[i].ksz, mx.maps[i].vsz, NULL, NULL);
	xgw_prom_head(f, "xgw_map_entries", "gauge", "Entries in use per map.");
	for (i = 0; i < 1; i++)
		fprintf(f, "xgw_map_entries{map=\"%s\"} %ld\n", mx.maps[i].name, count[i]);
	fprintf(f, "xgw_map_entries{map=\"xgw_nexthops\"} %u\n", nh_used);
	xgw_prom_head(f, "xgw_map_capacity", "gauge", "Maximum entries per map.");
	for (i = 0; i < 1; i++)
		fprintf(f, "xgw_map_capacity{map=\"%s\"} %u\n", mx.maps[i].name,
			mx.maps[i].max);
	fprintf(f, "xgw_map_capacity{map=\"xgw_nexthops\"} %u\n", XGW_MAX_NEXTHOPS - 1);
}

/* Main loop: a scraper asked (wake_fd); write a snapshot under d->lock. */
void metrics__refresh(struct xgwd *d)
{
	char *text = NULL;
	size_t len = 0;
	__u64 v;
	FILE *f;
	unsigned int used = 0;
	__u32 id;

	if (read(mx.wake_fd, &v, sizeof(v)) != sizeof(v))
		return;
	f = open_memstream(&text, &len);
	if (!f)
		return;
	pthread_mutex_lock(&d->lock);
	metrics__write(d, f);
	for (id = 1; id < XGW_MAX_NEXTHOPS; id++)
		used += d->nexthops[id].id != 0;
	pthread_mutex_unlock(&d->lock);
	fclose(f);
	pthread_mutex_lock(&mx.mu);
	free(mx.text);
	mx.text = text;
	mx.len = len;
	mx.nh_used = used;
	mx.gen++;
	mx.at = xgw_now_ms();
	mx.asked = false;
	pthread_cond_broadcast(&mx.cv);
	pthread_mutex_unlock(&mx.mu);
}

int metrics__fd(void)
{
	return mx.wake_fd;
}

/* MHD's thread: a fresh snapshot if the main loop gives one in time. */
static char *mx_scrape(size_t *len)
{
	char *body = NULL;
	size_t blen = 0;
	unsigned int nh_used;
	struct timespec ts;
	unsigned long gen;
	FILE *f = open_memstream(&body, &blen);
	__u64 one = 1;
	int err = 0;

	if (!f)
		return NULL;
	pthread_mutex_lock(&mx.mu);
	if (!mx.text || xgw_now_ms() - mx.at > XGWD_METRICS_FRESH_MS) {
		gen = mx.gen;
		if (!mx.asked && write(mx.wake_fd, &one, sizeof(one)) == sizeof(one))
			mx.asked = true;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += XGWD_METRICS_WAIT_MS * 1000000L;
		ts.tv_sec += ts.tv_nsec / 1000000000L;
		ts.tv_nsec %= 1000000000L;
		while (mx.gen == gen && !err)
			err = pthread_cond_timedwait(&mx.cv, &mx.mu, &ts);
	}
	if (mx.text)
		fwrite(mx.text, 1, mx.len, f);
	nh_used = mx.nh_used;
	pthread_mutex_unlock(&mx.mu);
	mx_maps(f, nh_used);
	fclose(f);
	*len = blen;
	return body;
}

static enum MHD_Result mx_handle(void *cls, struct MHD_Connection *conn, const char *url,
				 const char *method, const char *version,
				 const char *upload, size_t *upload_len, void **con_cls)
{
	static char not_found[] = "not found: try /metrics\n";
	struct MHD_Response *r;
	enum MHD_Result ret;
	unsigned int code = MHD_HTTP_OK;
	char *body;
	size_t len;

	(void)cls, (void)version, (void)upload, (void)upload_len, (void)con_cls;
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return MHD_NO;
	if (strcmp(url, "/metrics") && strcmp(url, "/")) {
		code = MHD_HTTP_NOT_FOUND;
		r = MHD_create_response_from_buffer(sizeof(not_found) - 1, not_found,
						    MHD_RESPMEM_PERSISTENT);
	} else {
		body = mx_scrape(&len);
		if (!body)
			return MHD_NO;
		r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
		if (!r)
			free(body);
	}
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", code == MHD_HTTP_OK ?
				"text/plain; version=0.0.4; charset=utf-8" : "text/plain");
	ret = MHD_queue_response(conn, code, r);
	MHD_destroy_response(r);
	return ret;
}

static struct mx_conn *mx_conn_find(struct MHD_Connection *conn)
{
	unsigned int i;

	for (i = 0; i < mx.n_conn; i++)
		if (mx.conn[i].conn == conn)
			return &mx.conn[i];
	return NULL;
}

/* MHD's thread: a connection opened or closed (before MHD closes its fd). */
static void mx_notify_conn(void *cls, struct MHD_Connection *conn, void **socket_ctx,
			   enum MHD_ConnectionNotificationCode code)
{
	const union MHD_ConnectionInfo *ci;
	struct mx_conn *c;

	(void)cls, (void)socket_ctx;
	pthread_mutex_lock(&mx.mu);
	c = mx_conn_find(conn);
	if (code == MHD_CONNECTION_NOTIFY_CLOSED && c) {
		*c = mx.conn[--mx.n_conn];
	} else if (code == MHD_CONNECTION_NOTIFY_STARTED && !c &&
		   mx.n_conn < XGWD_METRICS_MAX_CONN &&
		   (ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD))) {
		mx.conn[mx.n_conn].conn = conn;
		mx.conn[mx.n_conn].fd = ci->connect_fd;
		mx.conn[mx.n_conn++].since = xgw_now_ms();
	}
	pthread_mutex_unlock(&mx.mu);
}

/* MHD's thread: a request was answered; a kept-alive connection's next
 * one has its own deadline. */
static void mx_notify_done(void *cls, struct MHD_Connection *conn, void **con_cls,
			   enum MHD_RequestTerminationCode toe)
{
	struct mx_conn *c;

	(void)cls, (void)con_cls, (void)toe;
	pthread_mutex_lock(&mx.mu);
	c = mx_conn_find(conn);
	if (c)
		c->since = xgw_now_ms();
	pthread_mutex_unlock(&mx.mu);
}

void metrics__tick(void)
{
	long long now = xgw_now_ms();
	unsigned int i;

	/* MHD's CLOSED notice takes mx.mu before it closes the fd: an fd
	 * found here under mx.mu is still the connection's */
	pthread_mutex_lock(&mx.mu);
	for (i = 0; i < mx.n_conn; i++) {
		if (now - mx.conn[i].since < XGWD_METRICS_REQUEST_S * 1000LL)
			continue;
		/* MHD reads end of file and closes it itself */
		shutdown(mx.conn[i].fd, SHUT_RDWR);
		mx.conn[i].since = now;		/* once */
		mx_overdue++;
	}
	pthread_mutex_unlock(&mx.mu);
}

static int mx_listen(const char *addr)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int s, one = 1, err;

	if (parse_listen(addr, &ss, &len)) {
		pr_warn("invalid metrics address \"%s\" (ADDR:PORT)", addr);
		return -EINVAL;
	}
	s = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s < 0)
		return -errno;
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s, (struct sockaddr *)&ss, len) || listen(s, 128)) {
		err = -errno;
		pr_warn("metrics %s: %s", addr, strerror(errno));
		close(s);
		return err;
	}
	return s;
}

int metrics__open(struct xgwd *d)
{
	struct bpf_map *maps[1] = { d->skel->maps.xgw_tx_ports };
	pthread_condattr_t ca;
	int i;

	d->metrics_fd = -1;
	if (!d->opts.metrics[0] || !strcmp(d->opts.metrics, "none"))
		return 0;
	for (i = 0; i < 1; i++) {
		mx.maps[i].name = bpf_map__name(maps[i]);
		mx.maps[i].fd = bpf_map__fd(maps[i]);
		mx.maps[i].ksz = bpf_map__key_size(maps[i]);
		mx.maps[i].vsz = bpf_map__value_size(maps[i]);
		mx.maps[i].max = bpf_map__max_entries(maps[i]);
	}
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&mx.cv, &ca);
	pthread_condattr_destroy(&ca);
	mx.wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (mx.wake_fd < 0)
		return -errno;
	mx.lfd = mx_listen(d->opts.metrics);
	if (mx.lfd < 0)
		return mx.lfd;
	mx.mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, 0,
				  NULL, NULL, mx_handle, d,
				  MHD_OPTION_LISTEN_SOCKET, mx.lfd,
				  MHD_OPTION_CONNECTION_LIMIT, (unsigned int)XGWD_METRICS_MAX_CONN,
				  MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)XGWD_METRICS_PER_IP,
				  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)XGWD_METRICS_TIMEOUT_S,
				  MHD_OPTION_NOTIFY_CONNECTION, mx_notify_conn, NULL,
				  MHD_OPTION_NOTIFY_COMPLETED, mx_notify_done, NULL,
				  MHD_OPTION_END);
	if (!mx.mhd) {
		pr_warn("metrics %s: cannot start the HTTP server", d->opts.metrics);
		return -EIO;
	}
	d->metrics_fd = mx.lfd;
	return 0;
}

void metrics__close(struct xgwd *d)
{
	if (mx.mhd) {
		MHD_stop_daemon(mx.mhd);	/* closes the listening socket too */
		mx.lfd = -1;
	}
	mx.mhd = NULL;
	if (mx.lfd >= 0)
		close(mx.lfd);
	if (mx.wake_fd >= 0)
		close(mx.wake_fd);
	mx.lfd = mx.wake_fd = -1;
	free(mx.text);
	mx.text = NULL;
	d->metrics_fd = -1;
}
