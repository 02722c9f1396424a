// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Backend health checks: one thread, one round per interval. A round takes
 * a snapshot of the backends to check under d->lock, probes them all at
 * once (non-blocking sockets, one poll loop, so N dead backends cost one
 * timeout, not N) without the lock, then reports each result back under the
 * lock (lb__backend_health() applies rise/fall and rebuilds tables).
 *
 * A probe is a TCP connect to the backend's address on the service port;
 * `check http PATH` then sends `GET PATH HTTP/1.0` and wants a 2xx status
 * line. Backends start up (a new backend takes traffic at once); `fall`
 * failures in a row take one down, `rise` successes bring it back.
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

#define HEALTH_BATCH	256	/* probes in flight at once */

enum probe_state { PROBE_CONNECTING, PROBE_SENDING, PROBE_READING, PROBE_DONE };

struct probe {
	__u32 svc_id, be_id;
	struct xgw_addr addr;
	__u16 port;
	enum xgw_check_type check;
	char path[XGW_HTTP_PATH_MAX];
	int fd;
	enum probe_state state;
	int result;		/* 0 healthy, else -errno */
	char req[XGW_HTTP_PATH_MAX + 64];
	size_t req_len, req_off;
	char resp[16];
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

static void probe_start(struct probe *p)
{
	struct sockaddr_storage ss = {};
	socklen_t len;
	char abuf[XGW_ADDR_STRLEN];

	if (p->addr.family == AF_INET) {
		struct sockaddr_in *sin = (void *)&ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(p->port);
		sin->sin_addr.s_addr = p->addr.a[0];
		len = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (void *)&ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(p->port);
		memcpy(&sin6->sin6_addr, p->addr.a, 16);
		len = sizeof(*sin6);
	}
	p->fd = socket(p->addr.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (p->fd < 0) {
		probe_finish(p, -errno);
		return;
	}
	p->req_len = snprintf(p->req, sizeof(p->req),
			      "GET %s HTTP/1.0\r\nHost: %s\r\nUser-Agent: xgwd\r\n\r\n",
			      p->path[0] ? p->path : "/",
			      xgw_addr_str(&p->addr, abuf, sizeof(abuf)));
	p->state = PROBE_CONNECTING;
	if (connect(p->fd, (struct sockaddr *)&ss, len) && errno != EINPROGRESS)
		probe_finish(p, -errno);
}

/* "HTTP/1.x 2.." is all we need of the answer. */
static void probe_read(struct probe *p)
{
	ssize_t n = read(p->fd, p->resp + p->resp_len, sizeof(p->resp) - 1 - p->resp_len);

	if (n < 0) {
		if (errno != EAGAIN)
			probe_finish(p, -errno);
		return;
	}
	p->resp_len += n;
	if (p->resp_len >= 12 || n == 0) {
		p->resp[p->resp_len] = 0;
		probe_finish(p, !strncmp(p->resp, "HTTP/1.", 7) && p->resp[9] == '2' ?
				0 : -EPROTO);
	}
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
		if (p->check != XGW_CHECK_HTTP) {
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
		probe_read(p);
		return;
	case PROBE_DONE:
		return;
	}
}

/* Run all probes to completion or until timeout_ms; stop_fd readable aborts. */
static void probe_run(struct probe *pr, size_t n, unsigned int timeout_ms, int stop_fd)
{
	struct pollfd *pfd = calloc(n + 1, sizeof(*pfd));
	__u64 deadline = now_ms() + timeout_ms;
	size_t i, k, *idx = calloc(n + 1, sizeof(*idx));

	for (i = 0; i < n; i++)
		probe_start(&pr[i]);
	while (pfd && idx) {
		__u64 t = now_ms();

		k = 0;
		for (i = 0; i < n; i++) {
			if (pr[i].state == PROBE_DONE)
				continue;
			pfd[k].fd = pr[i].fd;
			pfd[k].events = pr[i].state == PROBE_READING ? POLLIN : POLLOUT;
			pfd[k].revents = 0;
			idx[k++] = i;
		}
		if (!k || t >= deadline)
			break;
		pfd[k].fd = stop_fd;
		pfd[k].events = POLLIN;
		pfd[k].revents = 0;
		if (poll(pfd, k + 1, deadline - t) < 0 && errno != EINTR)
			break;
		if (stop_fd >= 0 && pfd[k].revents)
			break;
		for (i = 0; i < k; i++)
			if (pfd[i].revents)
				probe_event(&pr[idx[i]], pfd[i].revents);
	}
	for (i = 0; i < n; i++)
		if (pr[i].state != PROBE_DONE)
			probe_finish(&pr[i], -ETIMEDOUT);
	free(idx);
	free(pfd);
}

int health__probe(const struct xgw_addr *addr, __u16 port,
		  enum xgw_check_type check, const char *path,
		  unsigned int timeout_ms)
{
	struct probe p = { .addr = *addr, .port = port, .check = check, .fd = -1 };

	if (check == XGW_CHECK_NONE)
		return 0;
	snprintf(p.path, sizeof(p.path), "%s", path ? path : "/");
	probe_run(&p, 1, timeout_ms, -1);
	return p.result;
}

/* Under d->lock: every backend with a check, as a probe. */
static size_t health_snapshot(struct lb_state *st, struct probe **out)
{
	struct probe *pr = NULL, *np;
	size_t n = 0, cap = 0, j;
	__u32 i;

	for (i = 1; i < XGW_MAX_SERVICES; i++) {
		struct lb_service *s = st->svc[i];

		for (j = 0; s && j < s->n_be; j++) {
			struct lb_backend *b = &s->be[j];

			if (b->check == XGW_CHECK_NONE)
				continue;
			if (n == cap) {
				np = realloc(pr, (cap ? cap * 2 : 16) * sizeof(*pr));
				if (!np)
					goto out;
				pr = np;
				cap = cap ? cap * 2 : 16;
			}
			memset(&pr[n], 0, sizeof(pr[n]));
			pr[n].svc_id = s->id;
			pr[n].be_id = b->id;
			pr[n].addr = b->addr;
			pr[n].port = s->svc.port;
			pr[n].check = b->check;
			memcpy(pr[n].path, b->path, sizeof(pr[n].path));
			pr[n].fd = -1;
			n++;
		}
	}
out:
	*out = pr;
	return n;
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

	for (;;) {
		__u64 start = now_ms(), spent;
		struct probe *pr;
		size_t n, i;

		if (!health_lock(d, &stop))
			break;
		lb__adopt_finish(d);
		announce__tick(d);	/* scale: VIP routes, once restored */
		n = health_snapshot(st, &pr);
		pthread_mutex_unlock(&d->lock);
		/* in batches: a socket each, and the fd limit is finite */
		for (i = 0; i < n; i += HEALTH_BATCH)
			probe_run(pr + i, n - i < HEALTH_BATCH ? n - i : HEALTH_BATCH,
				  st->timeout_ms, st->health_stop_fd[0]);
		if (poll(&stop, 1, 0) > 0) {	/* aborted probes are no verdict */
			free(pr);
			break;
		}
		if (!health_lock(d, &stop)) {
			free(pr);
			break;
		}
		for (i = 0; i < n && !d->stop; i++)
			lb__backend_health(d, pr[i].svc_id, pr[i].be_id, !pr[i].result);
		pthread_mutex_unlock(&d->lock);
		free(pr);
		spent = now_ms() - start;
		if (poll(&stop, 1, spent < st->interval_ms ? st->interval_ms - spent : 0) > 0)
			break;
	}
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
