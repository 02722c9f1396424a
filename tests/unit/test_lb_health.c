// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Health probes (ctl/xgwd/health.c) against real sockets on loopback: TCP
 * connect accepted / refused / unanswered, HTTP 2xx / 404 / silence / an
 * expected status, UDP answered / wrong answer / refused / silent, IPv6,
 * and the request line the backend receives; and which check a backend
 * runs (lb__check_effective(): defaults, service, backend).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "../../ctl/xgwd/lb.h"

struct server {
	int fd;
	__u16 port;
	const char *reply;	/* NULL: accept, read, never answer */
	char request[256];
	pthread_t thr;
};

static int listen_on(int family, __u16 *port, int backlog)
{
	struct sockaddr_storage ss = {};
	socklen_t len = family == AF_INET ? sizeof(struct sockaddr_in) :
					    sizeof(struct sockaddr_in6);
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	ss.ss_family = family;
	if (family == AF_INET)
		((struct sockaddr_in *)&ss)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else
		((struct sockaddr_in6 *)&ss)->sin6_addr = in6addr_loopback;
	assert_int_equal(bind(fd, (struct sockaddr *)&ss, len), 0);
	assert_int_equal(listen(fd, backlog), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	*port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port :
					  ((struct sockaddr_in6 *)&ss)->sin6_port);
	return fd;
}

static void *serve_one(void *arg)
{
	struct server *s = arg;
	int c = accept(s->fd, NULL, NULL);
	ssize_t n;

	if (c < 0)
		return NULL;
	n = read(c, s->request, sizeof(s->request) - 1);
	if (n > 0)
		s->request[n] = 0;
	if (s->reply) {
		if (write(c, s->reply, strlen(s->reply)) < 0)
			s->request[0] = 0;
	} else {
		usleep(400 * 1000);	/* past the probe's timeout */
	}
	close(c);
	return NULL;
}

static void server_start(struct server *s, int family, const char *reply)
{
	memset(s, 0, sizeof(*s));
	s->reply = reply;
	s->fd = listen_on(family, &s->port, 8);
	assert_int_equal(pthread_create(&s->thr, NULL, serve_one, s), 0);
}

static void server_stop(struct server *s)
{
	pthread_join(s->thr, NULL);
	close(s->fd);
}

static struct xgw_addr lo4(void)
{
	struct xgw_addr a = { .family = AF_INET };

	a.a[0] = htonl(INADDR_LOOPBACK);
	return a;
}

/* One probe of a check of the given type, path and timeout. */
static int probe(const struct xgw_addr *a, __u16 port, enum xgw_check_type type,
		 const char *path, unsigned int timeout_ms)
{
	struct xgw_check ck = { .type = type, .timeout_ms = timeout_ms };

	if (path)
		snprintf(ck.path, sizeof(ck.path), "%s", path);
	return health__probe(a, port, &ck);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_tcp_ok(void **st)
{
	struct xgw_addr a = lo4();
	__u16 port;
	int fd = listen_on(AF_INET, &port, 8);

	(void)st;
	assert_int_equal(probe(&a, port, XGW_CHECK_TCP, NULL, 500), 0);
	close(fd);
}

static void test_tcp_refused(void **st)
{
	struct xgw_addr a = lo4();
	__u16 port;
	int fd = listen_on(AF_INET, &port, 8);

	(void)st;
	close(fd);	/* nobody listens there now */
	assert_int_equal(probe(&a, port, XGW_CHECK_TCP, NULL, 500), -ECONNREFUSED);
	/* check none never connects: healthy by definition */
	assert_int_equal(probe(&a, port, XGW_CHECK_NONE, NULL, 500), 0);
}

static void test_tcp_v6(void **st)
{
	struct xgw_addr a = { .family = AF_INET6 };
	__u16 port;
	int fd = listen_on(AF_INET6, &port, 8);

	(void)st;
	memcpy(a.a, &in6addr_loopback, 16);
	assert_int_equal(probe(&a, port, XGW_CHECK_TCP, NULL, 500), 0);
	close(fd);
	assert_int_equal(probe(&a, port, XGW_CHECK_TCP, NULL, 500), -ECONNREFUSED);
}

static void test_http_2xx(void **st)
{
	struct xgw_addr a = lo4();
	struct server s;

	(void)st;
	server_start(&s, AF_INET, "HTTP/1.1 204 No Content\r\n\r\n");
	assert_int_equal(probe(&a, s.port, XGW_CHECK_HTTP, "/healthz", 500), 0);
	server_stop(&s);
	assert_true(!strncmp(s.request, "GET /healthz HTTP/1.0\r\n", 23));
}

static void test_http_404(void **st)
{
	struct xgw_addr a = lo4();
	struct server s;

	(void)st;
	server_start(&s, AF_INET, "HTTP/1.0 404 Not Found\r\n\r\n");
	assert_int_equal(probe(&a, s.port, XGW_CHECK_HTTP, "/x", 500), -EPROTO);
	server_stop(&s);
	server_start(&s, AF_INET, "garbage\r\n");
	assert_int_equal(probe(&a, s.port, XGW_CHECK_HTTP, "/x", 500), -EPROTO);
	server_stop(&s);
}

static void test_http_silent(void **st)
{
	struct xgw_addr a = lo4();
	struct server s;
	double t0, dt;
	int ret;

	(void)st;
	server_start(&s, AF_INET, NULL);
	t0 = now_s();
	ret = probe(&a, s.port, XGW_CHECK_HTTP, "/", 200);
	dt = now_s() - t0;
	server_stop(&s);
	assert_int_equal(ret, -ETIMEDOUT);
	assert_true(dt >= 0.19 && dt < 0.35);
}

static void test_http_expect(void **st)
{
	struct xgw_check ck = { .type = XGW_CHECK_HTTP, .timeout_ms = 500, .path = "/x" };
	struct xgw_addr a = lo4();
	struct server s;

	(void)st;
	/* an operator who wants a 404 gets it, and a 200 then fails */
	ck.expect_code = 404;
	server_start(&s, AF_INET, "HTTP/1.0 404 Not Found\r\n\r\n");
	assert_int_equal(health__probe(&a, s.port, &ck), 0);
	server_stop(&s);
	server_start(&s, AF_INET, "HTTP/1.1 200 OK\r\n\r\n");
	assert_int_equal(health__probe(&a, s.port, &ck), -EPROTO);
	server_stop(&s);
	/* default: any 2xx; a 3xx is not healthy */
	ck.expect_code = 0;
	server_start(&s, AF_INET, "HTTP/1.1 301 Moved\r\n\r\n");
	assert_int_equal(health__probe(&a, s.port, &ck), -EPROTO);
	server_stop(&s);
}

/* A UDP server answering one datagram with reply (NULL: never answering). */
struct udp_server {
	int fd;
	__u16 port;
	const char *reply;
	char got[64];
	ssize_t got_len;
	pthread_t thr;
};

static void *udp_serve_one(void *arg)
{
	struct udp_server *u = arg;
	struct sockaddr_storage from;
	socklen_t fl = sizeof(from);

	u->got_len = recvfrom(u->fd, u->got, sizeof(u->got), 0, (struct sockaddr *)&from, &fl);
	if (u->got_len >= 0 && u->reply)
		sendto(u->fd, u->reply, strlen(u->reply), 0, (struct sockaddr *)&from, fl);
	return NULL;
}

static void udp_start(struct udp_server *u, const char *reply)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);

	memset(u, 0, sizeof(*u));
	u->reply = reply;
	u->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(u->fd >= 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(u->fd, (struct sockaddr *)&sin, len), 0);
	assert_int_equal(getsockname(u->fd, (struct sockaddr *)&sin, &len), 0);
	u->port = ntohs(sin.sin_port);
	assert_int_equal(pthread_create(&u->thr, NULL, udp_serve_one, u), 0);
}

static void udp_stop(struct udp_server *u)
{
	shutdown(u->fd, SHUT_RDWR);	/* a server that got nothing stops waiting */
	pthread_join(u->thr, NULL);
	close(u->fd);
}

static void test_udp(void **st)
{
	struct xgw_check ck = { .type = XGW_CHECK_UDP, .timeout_ms = 300 };
	struct xgw_addr a = lo4();
	struct udp_server u;
	double t0;

	(void)st;
	memcpy(ck.payload, "ping\0\x01", 6);
	ck.payload_len = 6;
	memcpy(ck.expect, "pong", 4);
	ck.expect_len = 4;
	/* the answer starts with EXPECT: healthy; the server got the payload */
	udp_start(&u, "pong and more");
	assert_int_equal(health__probe(&a, u.port, &ck), 0);
	udp_stop(&u);
	assert_int_equal(u.got_len, 6);
	assert_memory_equal(u.got, "ping\0\x01", 6);
	/* another answer */
	udp_start(&u, "nope");
	assert_int_equal(health__probe(&a, u.port, &ck), -EPROTO);
	udp_stop(&u);
	/* nobody there: the ICMP port unreachable fails it at once */
	udp_start(&u, NULL);
	udp_stop(&u);
	t0 = now_s();
	assert_int_equal(health__probe(&a, u.port, &ck), -ECONNREFUSED);
	assert_true(now_s() - t0 < 0.2);
	/* a server that never answers: timeout */
	udp_start(&u, NULL);
	t0 = now_s();
	assert_int_equal(health__probe(&a, u.port, &ck), -ETIMEDOUT);
	assert_true(now_s() - t0 >= 0.29);
	udp_stop(&u);
}

/* Defaults, then the service's word, then the backend's. */
static void test_effective(void **st)
{
	struct lb_service s = { .svc = { .port = 53, .proto = IPPROTO_UDP } };
	struct lb_backend b = {};
	struct xgw_check ck;

	(void)st;
	/* a UDP service is not TCP-checked unless told so */
	lb__check_effective(&s, &b, &ck);
	assert_int_equal(ck.type, XGW_CHECK_NONE);
	assert_int_equal(ck.interval_ms, LB_CHECK_INTERVAL_MS);
	assert_int_equal(ck.timeout_ms, LB_CHECK_TIMEOUT_MS);
	assert_int_equal(ck.rise, LB_CHECK_RISE);
	assert_int_equal(ck.fall, LB_CHECK_FALL);
	s.svc.proto = IPPROTO_TCP;
	lb__check_effective(&s, &b, &ck);
	assert_int_equal(ck.type, XGW_CHECK_TCP);
	/* the service's check and timing for every backend */
	s.check.type = XGW_CHECK_HTTP;
	strcpy(s.check.path, "/svc");
	s.check.interval_ms = 200;
	s.check.fall = 5;
	lb__check_effective(&s, &b, &ck);
	assert_int_equal(ck.type, XGW_CHECK_HTTP);
	assert_string_equal(ck.path, "/svc");
	assert_int_equal(ck.interval_ms, 200);
	assert_int_equal(ck.fall, 5);
	assert_int_equal(ck.rise, LB_CHECK_RISE);
	/* a backend's own word wins, field by field */
	b.check.type = XGW_CHECK_TCP;
	b.check.fall = 2;
	lb__check_effective(&s, &b, &ck);
	assert_int_equal(ck.type, XGW_CHECK_TCP);
	assert_string_equal(ck.path, "");
	assert_int_equal(ck.interval_ms, 200);
	assert_int_equal(ck.fall, 2);
	/* the service's own view ignores backends */
	lb__check_effective(&s, NULL, &ck);
	assert_int_equal(ck.type, XGW_CHECK_HTTP);
	assert_int_equal(ck.fall, 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp_ok),
		cmocka_unit_test(test_tcp_refused),
		cmocka_unit_test(test_tcp_v6),
		cmocka_unit_test(test_http_2xx),
		cmocka_unit_test(test_http_404),
		cmocka_unit_test(test_http_silent),
		cmocka_unit_test(test_http_expect),
		cmocka_unit_test(test_udp),
		cmocka_unit_test(test_effective),
	};

	return cmocka_run_group_tests_name("lb_health", tests, NULL, NULL);
}
