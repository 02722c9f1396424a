// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The connection table's sweeper: see ctgc.h. */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "xgw.skel.h"
#include "ct.h"
#include "ctgc.h"

#define CTGC_HZ_MS	1000	/* how long HZ is measured over: +-2 jiffies of 250 is 0.8% */

/* One daemon, one sweeper. */
static struct {
	pthread_t thread;
	bool running;
	int stop_fd[2];
	struct xgw_clock clock;
	int ct_fd, cfg_fd;
} gc = { .stop_fd = { -1, -1 } };

/* Give the datapath the measured HZ, as `xgwctl set` writes a setting. */
static void ctgc_set_hz(struct xgwd *d, __u32 hz, struct pollfd *stop)
{
	struct xgw_config cfg;
	__u32 key = 0;

	while (pthread_mutex_trylock(&d->lock)) {	/* never block a stopping daemon */
		if (poll(stop, 1, 10) > 0)
			return;
	}
	if (d->config.hz != hz) {
		cfg = d->config;
		cfg.hz = hz;
		if (bpf_map_update_elem(gc.cfg_fd, &key, &cfg, BPF_ANY))
			pr_warn("ct: cannot write xgw_config: %s", strerror(errno));
		else
			d->config = cfg;
	}
	pthread_mutex_unlock(&d->lock);
}

static void *ctgc_thread(void *arg)
{
	struct pollfd stop = { .fd = gc.stop_fd[0], .events = POLLIN };
	struct xgwd *d = arg;
	struct xgw_ct_sweep st;
	struct xgw_config cfg;
	__u64 jiffies;
	__u32 hz, key = 0;
	int err;

	/* an adopted datapath keeps its hz: pins do not outlive a boot, nor HZ */
	pthread_mutex_lock(&d->lock);
	hz = d->config.hz;
	pthread_mutex_unlock(&d->lock);
	if (!hz) {
		err = xgw_clock_hz(&gc.clock, CTGC_HZ_MS, &hz);
		if (err)
			pr_warn("ct: cannot measure HZ (%s): timeouts assume %u", strerror(-err),
				XGW_HZ_DEFAULT);
		else
			ctgc_set_hz(d, hz, &stop);
	}
	while (poll(&stop, 1, CTGC_INTERVAL_MS) == 0) {
		if (bpf_map_lookup_elem(gc.cfg_fd, &key, &cfg) ||
		    xgw_clock_now(&gc.clock, &jiffies, NULL))
			continue;
		err = xgw_ct_sweep(gc.ct_fd, &cfg, jiffies, &st);
		if (err)
			pr_warn("ct: sweep: %s", strerror(-err));
		else if (st.deleted)
			pr_debug("ct: swept %llu of %llu entries (%llu NAT flows, %llu orphans)",
				 (unsigned long long)st.deleted, (unsigned long long)st.entries,
				 (unsigned long long)st.nat_flows, (unsigned long long)st.orphans);
	}
	return NULL;
}

int ctgc__start(struct xgwd *d)
{
	int err;

	if (gc.running)
		return 0;
	err = xgw_clock_open(&gc.clock);
	if (err)
		return err;
	gc.ct_fd = bpf_map__fd(d->skel->maps.xgw_conntrack);
	gc.cfg_fd = bpf_map__fd(d->skel->maps.xgw_config);
	if (pipe2(gc.stop_fd, O_CLOEXEC)) {
		err = -errno;
		goto fail;
	}
	err = -pthread_create(&gc.thread, NULL, ctgc_thread, d);
	if (!err) {
		gc.running = true;
		return 0;
	}
	close(gc.stop_fd[0]);
	close(gc.stop_fd[1]);
	gc.stop_fd[0] = gc.stop_fd[1] = -1;
fail:
	xgw_clock_close(&gc.clock);
	return err;
}

void ctgc__stop(struct xgwd *d)
{
	(void)d;
	if (!gc.running)
		return;
	if (write(gc.stop_fd[1], "x", 1) < 0)
		pr_warn("ct: cannot signal the sweeper: %s", strerror(errno));
	pthread_join(gc.thread, NULL);
	gc.running = false;
	close(gc.stop_fd[0]);
	close(gc.stop_fd[1]);
	gc.stop_fd[0] = gc.stop_fd[1] = -1;
	xgw_clock_close(&gc.clock);
}
