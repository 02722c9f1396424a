// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Health probes (ctl/xgwd/health.c) against real sockets on loopback: TCP
 * connect accepted / refused / unanswered, HTTP 2xx / 404 / silence, IPv6,
 * and the request line the backend receives.
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
	assert_int_equal(health__probe(&a, port, XGW_CHECK_TCP, NULL, 500), 0);
	close(fd);
}

static void test_tcp_refused(void **st)
{
	struct xgw_addr a = lo4();
	__u16 port;
	int fd = listen_on(AF_INET, &port, 8);

	(void)st;
	close(fd);	/* nobody listens there now */
	assert_int_equal(health__probe(&a, port, XGW_CHECK_TCP, NULL, 500), -ECONNREFUSED);
	/* check none never connects: healthy by definition */
	assert_int_equal(health__probe(&a, port, XGW_CHECK_NONE, NULL, 500), 0);
}

static void test_tcp_v6(void **st)
{
	struct xgw_addr a = { .family = AF_INET6 };
	__u16 port;
	int fd = listen_on(AF_INET6, &port, 8);

	(void)st;
	memcpy(a.a, &in6addr_loopback, 16);
	assert_int_equal(health__probe(&a, port, XGW_CHECK_TCP, NULL, 500), 0);
	close(fd);
	assert_int_equal(health__probe(&a, port, XGW_CHECK_TCP, NULL, 500), -ECONNREFUSED);
}

static void test_http_2xx(void **st)
{
	struct xgw_addr a = lo4();
	struct server s;

	(void)st;
	server_start(&s, AF_INET, "HTTP/1.1 204 No Content\r\n\r\n");
	assert_int_equal(health__probe(&a, s.port, XGW_CHECK_HTTP, "/healthz", 500), 0);
	server_stop(&s);
	assert_true(!strncmp(s.request, "GET /healthz HTTP/1.0\r\n", 23));
}

static void test_http_404(void **st)
{
	struct xgw_addr a = lo4();
	struct server s;

	(void)st;
	server_start(&s, AF_INET, "HTTP/1.0 404 Not Found\r\n\r\n");
	assert_int_equal(health__probe(&a, s.port, XGW_CHECK_HTTP, "/x", 500), -EPROTO);
	server_stop(&s);
	server_start(&s, AF_INET, "garbage\r\n");
	assert_int_equal(health__probe(&a, s.port, XGW_CHECK_HTTP, "/x", 500), -EPROTO);
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
	ret = health__probe(&a, s.port, XGW_CHECK_HTTP, "/", 200);
	dt = now_s() - t0;
	server_stop(&s);
	assert_int_equal(ret, -ETIMEDOUT);
	assert_true(dt >= 0.19 && dt < 0.35);
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
	};

	return cmocka_run_group_tests_name("lb_health", tests, NULL, NULL);
}
