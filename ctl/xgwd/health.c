// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Backend health checks: one thread and one poll loop for every probe in
 * flight (non-blocking sockets, so N dead backends cost one timeout each in
 * parallel, not N in a row). Each backend runs its own check (its own, its
 * service's or the defaults: lb__check_effective()) on its own clock: a
 * probe starts every `interval` and gives up after `timeout`.
 *
 * The loop takes d->lock only to start the probes that are due (a snapshot
 * of what to probe) and to report results (lb__backend_health() applies
 * rise/fall and rebuilds tables); the probes themselves run without it.
 *
 * Probes: tcp connects; http then sends `GET PATH HTTP/1.0` and wants the
 * expected status (any 2xx by default); udp sends its payload on a
 * connected socket and wants an answer that starts with the expected
 * bytes (an ICMP port unreachable fails it at once). Backends start up (a
 * new backend takes traffic at once); `fall` failures in a row take one
 * down, `rise` successes bring it back. A backend goes down at most
 * fall x interval + timeout after it stopped answering.
 */
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "lb.h"
#include "announce.h"

#define HEALTH_INFLIGHT_MAX	256	/* probes (sockets) at once */
#define HEALTH_TICK_MS		200	/* longest sleep: picks up new backends */

enum probe_state { PROBE_CONNECTING, PROBE_SENDING, PROBE_READING, PROBE_DONE };

struct probe {
	__u32 svc_id, be_id;
	struct xgw_addr addr;
	__u16 port;
	struct xgw_check ck;
	int fd;
	enum probe_state state;
	int result;		/* 0 healthy, else -errno */
	__u64 deadline_ms;
	char req[XGW_HTTP_PATH_MAX + 64];
	size_t req_len, req_off;
	char resp[XGW_CHECK_DATA_MAX + 1];
	size_t resp_len;
};

static __u64 now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void probe_finish(struct probe *p, int result)
{
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
	p->state = PROBE_DONE;
	p->result = result;
}

static socklen_t probe_sockaddr(const struct probe *p, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (p->addr.family == AF_INET) {
		struct sockaddr_in *sin = (void *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(p->port);
		sin->sin_addr.s_addr = p->addr.a[0];
		return sizeof(*sin);
	}
	struct sockaddr_in6 *sin6 = (void *)ss;

	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(p->port);
	memcpy(&sin6->sin6_addr, p->addr.a, 16);
	return sizeof(*sin6);
}

static void probe_start(struct probe *p, __u64 now)
{
	bool udp = p->ck.type == XGW_CHECK_UDP;
	struct sockaddr_storage ss;
	socklen_t len = probe_sockaddr(p, &ss);
	char abuf[XGW_ADDR_STRLEN];

	p->deadline_ms = now + p->ck.timeout_ms;
	p->fd = socket(p->addr.family, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK |
		       SOCK_CLOEXEC, 0);
	if (p->fd < 0) {
		probe_finish(p, -errno);
		return;
	}
	if (udp) {
		memcpy(p->req, p->ck.payload, p->ck.payload_len);
		p->req_len = p->ck.payload_len;
	} else {
		p->req_len = snprintf(p->req, sizeof(p->req),
				      "GET %s HTTP/1.0\r\nHost: %s\r\nUser-Agent: xgwd\r\n\r\n",
				      p->ck.path[0] ? p->ck.path : "/",
				      xgw_addr_str(&p->addr, abuf, sizeof(abuf)));
	}
	p->state = udp ? PROBE_SENDING : PROBE_CONNECTING;
	if (connect(p->fd, (struct sockaddr *)&ss, len) && errno != EINPROGRESS)
		probe_finish(p, -errno);
}

/* "HTTP/1.x NNN": the status is what we want of the answer. */
static int http_verdict(const struct probe *p)
{
	const char *r = p->resp;
	unsigned int code;

	if (p->resp_len < 12 || strncmp(r, "HTTP/1.", 7) || r[8] != ' ' ||
	    r[9] < '1' || r[9] > '5' || r[10] < '0' || r[10] > '9' || r[11] < '0' ||
	    r[11] > '9')
		return -EPROTO;
	code = (r[9] - '0') * 100 + (r[10] - '0') * 10 + (r[11] - '0');
	if (p->ck.expect_code)
		return code == p->ck.expect_code ? 0 : -EPROTO;
	return code / 100 == 2 ? 0 : -EPROTO;
}

static void probe_read(struct probe *p)
{
	size_t room = p->ck.type == XGW_CHECK_UDP ? sizeof(p->resp) - 1 : 12;
	ssize_t n = recv(p->fd, p->resp + p->resp_len, room - p->resp_len, 0);

	if (n < 0) {
		if (errno != EAGAIN)
			probe_finish(p, -errno);
		return;
	}
	if (p->ck.type == XGW_CHECK_UDP) {
		/* one datagram is the whole answer */
		probe_finish(p, (size_t)n >= p->ck.expect_len &&
				!memcmp(p->resp, p->ck.expect, p->ck.expect_len) ? 0 : -EPROTO);
		return;
	}
	p->resp_len += n;
	if (p->resp_len >= room || n == 0)
		probe_finish(p, http_verdict(p));
}

static void probe_event(struct probe *p, short revents)
{
	int soerr = 0;
	socklen_t sl = sizeof(soerr);
	ssize_t n;

	switch (p->state) {
	case PROBE_CONNECTING:
		getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
		if (soerr || (revents & (POLLERR | POLLHUP))) {
			probe_finish(p, soerr ? -soerr : -ECONNREFUSED);
			return;
		}
		if (p->ck.type != XGW_CHECK_HTTP) {
			probe_finish(p, 0);
			return;
		}
		p->state = PROBE_SENDING;
		/* fall through */
	case PROBE_SENDING:
		n = send(p->fd, p->req + p->req_off, p->req_len - p->req_off, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno != EAGAIN)
				probe_finish(p, -errno);
			return;
		}
		p->req_off += n;
		if (p->req_off == p->req_len)
			p->state = PROBE_READING;
		return;
	case PROBE_READING:
		if ((revents & POLLERR) && !(revents & POLLIN)) {
			getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
			probe_finish(p, soerr ? -soerr : -EPROTO);
			return;
		}
		probe_read(p);
		return;
	case PROBE_DONE:
		return;
	}
}

/*
 * One poll over the probes in flight, until the first event or wake_ms;
 * probes past their deadline time out. stop_fd readable: returns false.
 */
static bool probe_poll(struct probe *pr, size_t n, __u64 wake_ms, int stop_fd)
{
	struct pollfd pfd[HEALTH_INFLIGHT_MAX + 1];
	size_t idx[HEALTH_INFLIGHT_MAX], i, k = 0;
	__u64 t = now_ms(), until = wake_ms;

	for (i = 0; i < n; i++) {
		if (pr[i].state == PROBE_DONE)
			continue;
		if (pr[i].deadline_ms < until)
			until = pr[i].deadline_ms;
		pfd[k].fd = pr[i].fd;
		pfd[k].events = pr[i].state == PROBE_READING ? POLLIN : POLLOUT;
		pfd[k].revents = 0;
		idx[k++] = i;
	}
	pfd[k].fd = stop_fd;
	pfd[k].events = POLLIN;
	pfd[k].revents = 0;
	if (poll(pfd, k + 1, until > t ? (int)(until - t) : 0) < 0 && errno != EINTR)
		return true;
	if (stop_fd >= 0 && pfd[k].revents)
		return false;
	for (i = 0; i < k; i++)
		if (pfd[i].revents)
			probe_event(&pr[idx[i]], pfd[i].revents);
	t = now_ms();
	for (i = 0; i < n; i++)
		if (pr[i].state != PROBE_DONE && t >= pr[i].deadline_ms)
			probe_finish(&pr[i], -ETIMEDOUT);
	return true;
}

int health__probe(const struct xgw_addr *addr, __u16 port, const struct xgw_check *ck)
{
	struct probe p = { .addr = *addr, .port = port, .ck = *ck, .fd = -1 };

	if (ck->type == XGW_CHECK_NONE || ck->type == XGW_CHECK_DEFAULT)
		return 0;
	probe_start(&p, now_ms());
	while (p.state != PROBE_DONE)
		probe_poll(&p, 1, p.deadline_ms, -1);
	return p.result;
}

/*
 * Under d->lock: start a probe for every backend whose check is due, up to
 * the free room in pr[]; returns the new count and sets *wake to when the
 * next one falls due.
 */
static size_t health_due(struct lb_state *st, struct probe *pr, size_t n, __u64 now,
			 __u64 *wake)
{
	struct xgw_check ck;
	size_t j;
	__u32 i;

	*wake = now + HEALTH_TICK_MS;
	for (i = 1; i < XGW_MAX_SERVICES; i++) {
		struct lb_service *s = st->svc[i];

		for (j = 0; s && j < s->n_be; j++) {
			struct lb_backend *b = &s->be[j];
			struct probe *p;

			if (b->probing)
				continue;
			if (b->next_probe_ms > now) {
				if (b->next_probe_ms < *wake)
					*wake = b->next_probe_ms;
				continue;
			}
			lb__check_effective(s, b, &ck);
			if (ck.type == XGW_CHECK_NONE || n == HEALTH_INFLIGHT_MAX)
				continue;
			p = &pr[n++];
			memset(p, 0, sizeof(*p));
			p->svc_id = s->id;
			p->be_id = b->id;
			p->addr = b->addr;
			p->port = lb_backend_port(s, b);
			p->ck = ck;
			p->fd = -1;
			b->probing = true;
			/* start to start: a slow probe does not stretch the interval */
			b->next_probe_ms = now + ck.interval_ms;
		}
	}
	return n;
}

/* Under d->lock: report finished probes, keep the others first in pr[]. */
static size_t health_report(struct xgwd *d, struct probe *pr, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		if (pr[i].state != PROBE_DONE) {
			pr[k++] = pr[i];
			continue;
		}
		if (!d->stop)
			lb__backend_health(d, pr[i].svc_id, pr[i].be_id, !pr[i].result);
	}
	return k;
}

/*
 * Take d->lock unless asked to stop meanwhile: lb__fini() may hold the lock
 * while it waits for this thread to end.
 */
static bool health_lock(struct xgwd *d, struct pollfd *stop)
{
	while (pthread_mutex_trylock(&d->lock)) {
		if (poll(stop, 1, 10) > 0)
			return false;
	}
	return true;
}

static void *health_thread(void *arg)
{
	struct xgwd *d = arg;
	struct lb_state *st = lb_state(d);
	struct pollfd stop = { .fd = st->health_stop_fd[0], .events = POLLIN };
	struct probe *pr = calloc(HEALTH_INFLIGHT_MAX, sizeof(*pr));
	size_t n = 0, i, n0;
	__u64 wake = 0, now;

	while (pr) {
		if (!health_lock(d, &stop))
			break;
		lb__adopt_finish(d);
		announce__tick(d);	/* scale: VIP routes, once restored */
		n = health_report(d, pr, n);
		n0 = n;
		now = now_ms();
		n = health_due(st, pr, n, now, &wake);
		pthread_mutex_unlock(&d->lock);
		for (i = n0; i < n; i++)
			probe_start(&pr[i], now);
		if (!probe_poll(pr, n, wake, st->health_stop_fd[0]))
			break;
	}
	for (i = 0; pr && i < n; i++)	/* aborted probes are no verdict */
		if (pr[i].fd >= 0)
			close(pr[i].fd);
	free(pr);
	return NULL;
}

int health__start(struct xgwd *d)
{
	struct lb_state *st = lb_state(d);
	int err;

	if (pipe2(st->health_stop_fd, O_CLOEXEC))
		return -errno;
	err = pthread_create(&st->health, NULL, health_thread, d);
	if (err) {
		close(st->health_stop_fd[0]);
		close(st->health_stop_fd[1]);
		st->health_stop_fd[0] = st->health_stop_fd[1] = -1;
		return -err;
	}
	st->health_running = true;
	return 0;
}

/* Whether or not the caller holds d->lock: the checker never blocks on it. */
void health__stop(struct xgwd *d)
{
	struct lb_state *st = lb_state(d);

	if (!st->health_running)
		return;
	if (write(st->health_stop_fd[1], "x", 1) < 0)
		pr_warn("health: cannot signal the checker: %s", strerror(errno));
	pthread_join(st->health, NULL);
	st->health_running = false;
	close(st->health_stop_fd[0]);
	close(st->health_stop_fd[1]);
	st->health_stop_fd[0] = st->health_stop_fd[1] = -1;
}
