// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * xgwd: loads (or adopts) the xgw datapath, replays the state file, follows
 * the kernel over netlink and serves the control socket and the metrics.
 * Stopping xgwd never stops forwarding: the programs stay attached and the
 * maps pinned, and the next xgwd adopts them.
 */
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include "ctlsock.h"
#include "daemon.h"
#include "ifinfo.h"
#include "lb.h"
#include "link.h"
#include "loader.h"
#include "local.h"
#include "metrics.h"
#include "netlink.h"
#include "nexthop.h"
#include "route.h"
#include "rtable.h"
#include "state.h"
#include "version.h"
#include "xdpprog.h"
#include "vip.h"
#include "xgwd.h"
#include "announce.h"

static struct xgwd *the_daemon;
static const char *pidfile;	/* --pidfile */

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: xgwd [OPTIONS]\n"
		"  -c, --config FILE     state file (default " XGWD_CONFIG_DEFAULT ")\n"
		"  -s, --socket PATH     control socket (default " XGWD_SOCKET_DEFAULT ")\n"
		"  -P, --pin-dir DIR     bpffs pin dir (default " XGW_PIN_DIR_DEFAULT ")\n"
		"  -m, --metrics ADDR:PORT  Prometheus endpoint (default "
		XGWD_METRICS_DEFAULT "; \"none\": off)\n"
		"  -g, --group NAME      group allowed to change state\n"
		"  -f, --foreground      do not daemonize; log to stderr (under systemd:\n"
		"                        the journal; READY=1 once the state is applied)\n"
		"  -p, --pidfile PATH    write the daemon's pid to PATH once it serves\n"
		"      --run-prio N      libxdp run priority of xgw's programs when they\n"
		"                        share a device (lower runs first; default 50)\n"
		"      --cleanup         detach xgw from every device, remove the pins, exit\n"
		"  -v, --verbose         more logging (twice: libbpf debug)\n"
		"  -V, --version\n"
		"  -h, --help\n");
}

static int parse_opts(int argc, char **argv, struct xgwd_opts *o)
{
	static const struct option lo[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "socket", required_argument, NULL, 's' },
		{ "pin-dir", required_argument, NULL, 'P' },
		{ "metrics", required_argument, NULL, 'm' },
		{ "group", required_argument, NULL, 'g' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "cleanup", no_argument, NULL, 'C' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "pidfile", required_argument, NULL, 'p' },
		{ "run-prio", required_argument, NULL, 'R' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	unsigned long prio;
	int c;

	o->config = XGWD_CONFIG_DEFAULT;
	o->socket = XGWD_SOCKET_DEFAULT;
	o->pin_dir = XGW_PIN_DIR_DEFAULT;
	o->metrics = XGWD_METRICS_DEFAULT;
	o->run_prio = XGWD_RUN_PRIO_DEFAULT;
	while ((c = getopt_long(argc, argv, "c:s:P:m:g:fp:vVh", lo, NULL)) != -1) {
		switch (c) {
		case 'c': o->config = optarg; break;
		case 's': o->socket = optarg; break;
		case 'P': o->pin_dir = optarg; break;
		case 'm': o->metrics = optarg; break;
		case 'g': o->group = optarg; break;
		case 'f': o->foreground = true; break;
		case 'C': o->cleanup = true; break;
		case 'v': xgwd_verbose++; break;
		case 'p': pidfile = optarg; break;
		case 'R':
			if (xgw_uint_parse(optarg, 0, 1000000, &prio)) {
				fprintf(stderr, "xgwd: invalid run priority \"%s\"\n", optarg);
				return -EINVAL;
			}
			o->run_prio = prio;
			break;
		case 'V':
			printf("xgwd %s (map layout %u)\n", xgw_version, XGW_LAYOUT_VERSION);
			exit(0);
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "xgwd: unexpected argument \"%s\"\n", argv[optind]);
		return -EINVAL;
	}
	return 0;
}

static volatile sig_atomic_t reload_wanted;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		reload_wanted = 1;
	else if (the_daemon)
		the_daemon->stop = 1;
}

/*
 * Fork; the parent waits until the child says it is serving (or failed),
 * so `xgwd && xgwctl ...` works. Returns the fd to report readiness on.
 */
static int daemonize(void)
{
	int p[2], null;
	char st = 1;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0) {
		close(p[1]);
		if (read(p[0], &st, 1) != 1)
			st = 1;
		if (!st)
			printf("xgwd: running as pid %d\n", pid);
		fflush(stdout);
		_exit(st);
	}
	close(p[0]);
	setsid();
	null = open("/dev/null", O_RDWR);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		close(null);
	}
	return p[1];
}

/* Serving (or failed): pidfile, systemd, then the waiting parent. */
static int ready(int fd, bool ok)
{
	char st = ok ? 0 : 1;
	int err;

	if (ok && pidfile && (err = daemon__pidfile_write(pidfile))) {
		pr_warn("cannot write pidfile %s: %s", pidfile, strerror(-err));
		ok = false;
		st = 1;
	}
	if (ok)
		daemon__notify_ready(the_daemon->opts.socket);
	if (fd < 0)
		return ok ? 0 : -1;
	if (ok)
		daemon__log_detach();	/* says where logs go while stderr is a terminal */
	if (write(fd, &st, 1) < 0)
		pr_debug("readiness pipe: %s", strerror(errno));
	close(fd);
	return ok ? 0 : -1;
}

static int xgwd__start(struct xgwd *d)
{
	int err;

	err = loader__open(d);
	if (!err)
		err = nexthop__init(d);
	if (!err)
		err = netlink__open(d);
	if (err)
		return err;
	pthread_mutex_lock(&d->lock);
	netlink__dump(d);
	err = lb__init(d);
	/*
	 * The state file never keeps xgwd from starting, nor takes down an
	 * adopted datapath: state.c applies what applies and reports the rest
	 * (xgwctl daemon show); only running out of memory stops here.
	 */
	if (!err)
		err = state__restore(d);
	pthread_mutex_unlock(&d->lock);
	if (err)
		return err;
	err = ctlsock__open(d);
	if (!err)
		err = metrics__open(d);
	return err;
}

/*
 * One thread owns the daemon's state: it takes netlink events and runs
 * complete control requests, and never waits for a client (ctlsock.c reads
 * and writes without blocking, the metrics have their own thread).
 */
static void xgwd__reload(struct xgwd *d)
{
	char err[512];
	int ret;

	reload_wanted = 0;
	pr_info("SIGHUP: reloading %s", d->opts.config);
	daemon__notify_reloading();
	pthread_mutex_lock(&d->lock);
	ret = state__reload(d, err, sizeof(err));
	pthread_mutex_unlock(&d->lock);
	daemon__notify_ready(ret ? "serving; reload refused (xgwctl daemon show)" : "serving");
}

static void xgwd__loop(struct xgwd *d)
{
	struct pollfd pf[3] = {
		{ .fd = ctlsock__fd(), .events = POLLIN },
		{ .fd = d->nl_fd, .events = POLLIN },
		{ .fd = metrics__fd(), .events = POLLIN },
	};
	time_t last = time(NULL);

	while (!d->stop) {
		int next = ctlsock__tick(), n;

		if (reload_wanted)
			xgwd__reload(d);
		n = poll(pf, 3, next < 0 || next > 1000 ? 1000 : next);
		if (n < 0 && errno != EINTR) {
			pr_warn("poll: %s", strerror(errno));
			break;
		}
		if (n > 0 && (pf[1].revents & POLLIN)) {
			pthread_mutex_lock(&d->lock);
			netlink__process(d);
			pthread_mutex_unlock(&d->lock);
		}
		if (n > 0 && (pf[0].revents & POLLIN))
			ctlsock__serve(d);
		if (n > 0 && (pf[2].revents & POLLIN))
			metrics__refresh(d);
		if (time(NULL) != last) {
			last = time(NULL);
			pthread_mutex_lock(&d->lock);
			nexthop__retry(d);
			pthread_mutex_unlock(&d->lock);
			metrics__tick();
		}
	}
}

int main(int argc, char **argv)
{
	struct xgwd d = {
		.lock = PTHREAD_MUTEX_INITIALIZER,
		.links.size = sizeof(struct xgwd_link),
		.routes.size = sizeof(struct xgwd_route),
		.locals.size = sizeof(struct xgwd_local),
		.vips.size = sizeof(struct xgwd_vip),
		.onlink.size = sizeof(struct xgwd_onlink),
		.ctl_fd = -1, .nl_fd = -1, .metrics_fd = -1,
	};
	struct sigaction sa = { .sa_handler = on_signal };
	int err, ready_fd = -1;

	if (parse_opts(argc, argv, &d.opts))
		return 2;
	if (d.opts.cleanup)
		return loader__cleanup(&d) | announce__cleanup() ? 1 : 0;
	if (ctlsock__in_use(d.opts.socket)) {
		pr_warn("another xgwd answers on %s", d.opts.socket);
		return 1;
	}
	if (!d.opts.foreground) {
		ready_fd = daemonize();
		if (ready_fd < 0) {
			pr_warn("cannot daemonize: %s", strerror(-ready_fd));
			return 1;
		}
	}
	the_daemon = &d;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	err = xgwd__start(&d);
	if (ready(ready_fd, !err))
		err = err ? err : -EIO;
	if (!err) {
		pr_info("serving on %s", d.opts.socket);
		xgwd__loop(&d);
		daemon__notify_stopping();
		pr_info("stopping; the datapath keeps forwarding");
	}
	if (pidfile && !err)
		daemon__pidfile_remove(pidfile);
	if (d.skel)
		lb__fini(&d);
	metrics__close(&d);
	ctlsock__close(&d);
	netlink__close(&d);
	loader__close(&d);
	free(d.nexthops);
	free(d.rt_heads);
	xgwd_vec__free(&d.links);
	xgwd_vec__free(&d.routes);
	xgwd_vec__free(&d.locals);
	xgwd_vec__free(&d.vips);
	xgwd_vec__free(&d.onlink);
	ifinfo__free(&d);
	return err ? 1 : 0;
}
