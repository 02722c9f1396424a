// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * xgw-decap: IP-in-IP decapsulation for the backends of an ipip service,
 * without xgwd. It loads bpf/decap_only.bpf.c (embedded), pins its program
 * and its two small maps under a pin dir, attaches the program to devices
 * with XDP and fills the address map with the host's own addresses: a
 * tunnel packet to one of them loses its outer header and goes to the stack
 * as the inner packet (whose destination, the VIP, the backend holds on lo).
 *
 *   xgw-decap [ -P DIR ] [ -g ] attach DEV...   load if needed, sync, attach
 *   xgw-decap [ -P DIR ] detach DEV...          only xgw-decap's own program
 *   xgw-decap [ -P DIR ] sync                   addresses from the kernel, once
 *   xgw-decap [ -P DIR ] watch                  ... and on every change, until
 *                                               SIGTERM (a service's job)
 *   xgw-decap [ -P DIR ] [ -j ] show            devices, addresses, counters,
 *                                               the maps' memory
 *   xgw-decap [ -P DIR ] cleanup                detach everywhere, unpin
 *
 * The program stays attached and the maps pinned when xgw-decap exits, so
 * nothing needs to keep running unless addresses change (watch).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "decap_only.skel.h"
#include "addr.h"
#include "json_print.h"
#include "xgw_shared.h"

#define PIN_DIR_DEFAULT	"/sys/fs/bpf/xgw-decap"
#define PROG_PIN	"xgw_decap_only"
#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC	0xcafe4a11
#endif

static const char *const stat_name[XGW_DECAP_STAT_MAX] = {
	[XGW_DECAP_DONE] = "decapsulated",
	[XGW_DECAP_NOT_OURS] = "not_ours",
	[XGW_DECAP_OTHER] = "other",
	[XGW_DECAP_MALFORMED] = "malformed",
};

static const char *const map_name[] = { "xgw_decap_addrs", "xgw_decap_stats" };

struct decap {
	const char *pin_dir;
	int prog_fd, addrs_fd, stats_fd;
	__u32 prog_id;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
	va_list ap;

	fputs("xgw-decap: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

static void pin_path(const struct decap *dc, const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", dc->pin_dir, name);
}

static int ensure_bpffs(void)
{
	struct statfs st;

	if (!statfs("/sys/fs/bpf", &st) && st.f_type == BPF_FS_MAGIC)
		return 0;
	return mount("bpf", "/sys/fs/bpf", "bpf", 0, NULL) ? -errno : 0;
}

static __u32 prog_id_of(int fd)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.id;
}

/* The pinned program and maps, if loaded. 0, or -ENOENT. */
static int decap_open_pinned(struct decap *dc)
{
	char p[PATH_MAX];

	pin_path(dc, PROG_PIN, p, sizeof(p));
	dc->prog_fd = bpf_obj_get(p);
	if (dc->prog_fd < 0)
		return -ENOENT;
	pin_path(dc, map_name[0], p, sizeof(p));
	dc->addrs_fd = bpf_obj_get(p);
	pin_path(dc, map_name[1], p, sizeof(p));
	dc->stats_fd = bpf_obj_get(p);
	if (dc->addrs_fd < 0 || dc->stats_fd < 0)
		return -ENOENT;
	dc->prog_id = prog_id_of(dc->prog_fd);
	return 0;
}

/* Load the embedded object and pin it, unless it is pinned already. */
static int decap_load(struct decap *dc)
{
	struct decap_only_bpf *skel;
	char p[PATH_MAX];
	int err;

	if (!decap_open_pinned(dc))
		return 0;
	err = ensure_bpffs();
	if (err || (mkdir(dc->pin_dir, 0700) && errno != EEXIST))
		return err ? err : -errno;
	skel = decap_only_bpf__open();
	if (!skel)
		return -errno;
	pin_path(dc, map_name[0], p, sizeof(p));
	err = bpf_map__set_pin_path(skel->maps.xgw_decap_addrs, p);
	pin_path(dc, map_name[1], p, sizeof(p));
	err = err ?: bpf_map__set_pin_path(skel->maps.xgw_decap_stats, p);
	err = err ?: decap_only_bpf__load(skel);
	pin_path(dc, PROG_PIN, p, sizeof(p));
	err = err ?: bpf_program__pin(skel->progs.xgw_decap_only, p);
	decap_only_bpf__destroy(skel);	/* the pins hold everything */
	return err ?: decap_open_pinned(dc);
}

/* ---- the host's addresses ----------------------------------------------------- */

static int key_of(const struct sockaddr *sa, struct xgw_decap_addr *k)
{
	memset(k, 0, sizeof(*k));
	if (sa->sa_family == AF_INET)
		k->addr[0] = ((const struct sockaddr_in *)sa)->sin_addr.s_addr;
	else if (sa->sa_family == AF_INET6)
		memcpy(k->addr, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
	else
		return -1;
	k->family = sa->sa_family;
	return 0;
}

/* Make xgw_decap_addrs hold exactly the kernel's addresses. */
static int decap_sync(struct decap *dc)
{
	struct xgw_decap_addr want[XGW_DECAP_ADDRS], k, next, *prev = NULL;
	struct ifaddrs *ifa, *i;
	size_t n = 0, j;
	__u8 one = 1;
	int err = 0;

	if (getifaddrs(&ifa))
		return -errno;
	for (i = ifa; i; i = i->ifa_next) {
		if (!i->ifa_addr || key_of(i->ifa_addr, &k))
			continue;
		if (n == XGW_DECAP_ADDRS) {
			err = -ENOSPC;
			break;
		}
		want[n++] = k;
	}
	freeifaddrs(ifa);
	if (err)
		return err;
	for (j = 0; j < n; j++)
		if (bpf_map_update_elem(dc->addrs_fd, &want[j], &one, BPF_ANY))
			return -errno;
	/* then the ones gone; a delete restarts the walk */
	while (!bpf_map_get_next_key(dc->addrs_fd, prev, &next)) {
		k = next;
		prev = &k;
		for (j = 0; j < n && memcmp(&want[j], &k, sizeof(k)); j++)
			;
		if (j == n) {
			bpf_map_delete_elem(dc->addrs_fd, &k);
			prev = NULL;
		}
	}
	return 0;
}

/* Sync now, then on every address change until SIGTERM/SIGINT. */
static int decap_watch(struct decap *dc)
{
	struct sockaddr_nl sa = {
		.nl_family = AF_NETLINK,
		.nl_groups = RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR,
	};
	struct pollfd pfd = { .events = POLLIN };
	char buf[16384];
	int err;

	pfd.fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
	if (pfd.fd < 0 || bind(pfd.fd, (struct sockaddr *)&sa, sizeof(sa)))
		return -errno;
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	err = decap_sync(dc);
	while (!err && !stop) {
		if (poll(&pfd, 1, -1) < 0)
			continue;	/* a signal: look at stop */
		/* what changed does not matter: read it all, sync once */
		while (recv(pfd.fd, buf, sizeof(buf), 0) > 0)
			;
		err = decap_sync(dc);
	}
	close(pfd.fd);
	return err;
}

/* ---- devices -------------------------------------------------------------------- */

/* Id and mode flag of the XDP program on ifindex (0: none). */
static __u32 xdp_prog_on(int ifindex, __u32 *mode_flag)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	*mode_flag = 0;
	if (bpf_xdp_query(ifindex, 0, &q))
		return 0;
	*mode_flag = q.attach_mode == XDP_ATTACHED_SKB ? XDP_FLAGS_SKB_MODE :
						     XDP_FLAGS_DRV_MODE;
	return q.prog_id;
}

static int decap_attach(struct decap *dc, const char *dev, bool generic)
{
	int ifindex = if_nametoindex(dev), err;
	__u32 flags = XDP_FLAGS_UPDATE_IF_NOEXIST, mode, id;

	if (!ifindex)
		return fail("no device \"%s\"", dev);
	id = xdp_prog_on(ifindex, &mode);
	if (id == dc->prog_id)
		return 0;
	if (id)
		return fail("%s runs another XDP program (id %u): not replaced", dev, id);
	err = bpf_xdp_attach(ifindex, dc->prog_fd,
			     flags | (generic ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE), NULL);
	if (err)
		return fail("cannot attach to %s%s: %s", dev,
			    generic ? "" : " (native; -g for generic XDP)", strerror(-err));
	return 0;
}

static int decap_detach(struct decap *dc, const char *dev)
{
	int ifindex = if_nametoindex(dev), err;
	__u32 mode, id;

	if (!ifindex)
		return fail("no device \"%s\"", dev);
	id = xdp_prog_on(ifindex, &mode);
	if (id != dc->prog_id)
		return fail(id ? "%s runs another XDP program (id %u), not xgw-decap's" :
			    "%s has no xgw-decap program", dev, id);
	err = bpf_xdp_detach(ifindex, mode, NULL);
	return err ? fail("cannot detach from %s: %s", dev, strerror(-err)) : 0;
}

/* ---- show ------------------------------------------------------------------------- */

/* Kernel memory charged to a map (its fdinfo's memlock), in bytes. */
static unsigned long long map_memlock(int fd)
{
	char path[64], line[256];
	unsigned long long v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "memlock: %llu", &v) == 1)
			break;
	if (f)
		fclose(f);
	return v;
}

static void show_devices(const struct decap *dc)
{
	struct if_nameindex *ifs = if_nameindex(), *i;
	__u32 mode;

	open_json_array(PRINT_JSON, "attached");
	for (i = ifs; i && i->if_index; i++) {
		if (xdp_prog_on(i->if_index, &mode) != dc->prog_id)
			continue;
		open_json_object(NULL);
		print_string(PRINT_ANY, "dev", "attached %s", i->if_name);
		print_string(PRINT_ANY, "mode", " (%s)",
			     mode == XDP_FLAGS_SKB_MODE ? "generic" : "native");
		print_nl();
		close_json_object();
	}
	close_json_array(PRINT_JSON, NULL);
	if (ifs)
		if_freenameindex(ifs);
}

static void show_addresses(const struct decap *dc)
{
	struct xgw_decap_addr k, next, *prev = NULL;
	char buf[XGW_ADDR_STRLEN];

	open_json_array(PRINT_JSON, "addresses");
	while (!bpf_map_get_next_key(dc->addrs_fd, prev, &next)) {
		struct xgw_addr a = { .family = next.family };

		k = next;
		prev = &k;
		memcpy(a.a, k.addr, sizeof(a.a));
		print_string(PRINT_ANY, NULL, "address %s\n", xgw_addr_str(&a, buf, sizeof(buf)));
	}
	close_json_array(PRINT_JSON, NULL);
}

static int show_counters(const struct decap *dc)
{
	int ncpu = libbpf_num_possible_cpus(), c;
	struct xgw_counter *v;
	__u32 i;

	if (ncpu <= 0)
		return ncpu;
	v = calloc(ncpu, sizeof(*v));
	if (!v)
		return -ENOMEM;
	open_json_object("counters");
	for (i = 0; i < XGW_DECAP_STAT_MAX; i++) {
		struct xgw_counter sum = {};

		if (!bpf_map_lookup_elem(dc->stats_fd, &i, v)) {
			for (c = 0; c < ncpu; c++) {
				sum.packets += v[c].packets;
				sum.bytes += v[c].bytes;
			}
		}
		print_string(PRINT_TEXT, NULL, "%-13s", stat_name[i]);
		open_json_object(stat_name[i]);
		print_u64(PRINT_ANY, "packets", " %llu packets", sum.packets);
		print_u64(PRINT_ANY, "bytes", " %llu bytes", sum.bytes);
		close_json_object();
		print_nl();
	}
	close_json_object();
	free(v);
	return 0;
}

static int decap_show(struct decap *dc, bool json)
{
	unsigned long long mem = map_memlock(dc->addrs_fd) + map_memlock(dc->stats_fd);
	int err;

	jp_open(stdout, json, false);
	open_json_object(NULL);
	print_uint(PRINT_ANY, "prog_id", "program %u", dc->prog_id);
	print_string(PRINT_ANY, "pin_dir", " pinned in %s", dc->pin_dir);
	print_u64(PRINT_ANY, "maps_bytes", " maps %llu bytes", mem);
	print_nl();
	show_devices(dc);
	show_addresses(dc);
	err = show_counters(dc);
	close_json_object();
	return jp_close() ?: err;
}

/* Detach from every device that runs our program, then unpin. */
static int decap_cleanup(struct decap *dc)
{
	struct if_nameindex *ifs = if_nameindex(), *i;
	char p[PATH_MAX];
	__u32 mode;
	size_t j;

	for (i = ifs; i && i->if_index; i++)
		if (xdp_prog_on(i->if_index, &mode) == dc->prog_id)
			bpf_xdp_detach(i->if_index, mode, NULL);
	if (ifs)
		if_freenameindex(ifs);
	pin_path(dc, PROG_PIN, p, sizeof(p));
	unlink(p);
	for (j = 0; j < sizeof(map_name) / sizeof(map_name[0]); j++) {
		pin_path(dc, map_name[j], p, sizeof(p));
		unlink(p);
	}
	rmdir(dc->pin_dir);
	return 0;
}

static void usage(FILE *f)
{
	fputs("Usage: xgw-decap [ -P DIR ] [ -g ] attach DEV...\n"
	      "       xgw-decap [ -P DIR ] detach DEV...\n"
	      "       xgw-decap [ -P DIR ] { sync | watch | cleanup }\n"
	      "       xgw-decap [ -P DIR ] [ -j ] show\n"
	      "-P DIR: pin dir (default " PIN_DIR_DEFAULT "); -g: generic XDP; -j: JSON\n", f);
}

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

int main(int argc, char **argv)
{
	struct decap dc = { .pin_dir = PIN_DIR_DEFAULT, .prog_fd = -1 };
	bool generic = false, json = false;
	const char *cmd;
	int opt, err, i, ret = 0;

	while ((opt = getopt(argc, argv, "+P:gjh")) != -1) {
		switch (opt) {
		case 'P': dc.pin_dir = optarg; break;
		case 'g': generic = true; break;
		case 'j': json = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 1;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 1;
	}
	libbpf_set_print(libbpf_quiet);
	cmd = argv[optind++];
	if (!strcmp(cmd, "attach") || !strcmp(cmd, "detach")) {
		if (optind >= argc)
			return fail("missing DEV after \"%s\"", cmd);
	} else if (optind < argc) {
		return fail("unexpected \"%s\"", argv[optind]);
	}
	if (!strcmp(cmd, "attach")) {
		err = decap_load(&dc);
		if (err)
			return fail("cannot load the decap program: %s", strerror(-err));
		err = decap_sync(&dc);
		if (err)
			return fail("cannot read the host's addresses: %s", strerror(-err));
		for (i = optind; i < argc; i++)
			ret |= decap_attach(&dc, argv[i], generic);
		return ret;
	}
	if (strcmp(cmd, "detach") && strcmp(cmd, "sync") && strcmp(cmd, "watch") &&
	    strcmp(cmd, "show") && strcmp(cmd, "cleanup"))
		return fail("unknown command \"%s\"", cmd);
	if (decap_open_pinned(&dc))
		return fail("not loaded: no pinned program in %s (xgw-decap attach DEV first)",
			    dc.pin_dir);
	if (!strcmp(cmd, "detach")) {
		for (i = optind; i < argc; i++)
			ret |= decap_detach(&dc, argv[i]);
		return ret;
	}
	if (!strcmp(cmd, "sync") || !strcmp(cmd, "watch")) {
		err = !strcmp(cmd, "sync") ? decap_sync(&dc) : decap_watch(&dc);
		return err ? fail("cannot sync addresses: %s", strerror(-err)) : 0;
	}
	if (!strcmp(cmd, "cleanup"))
		return decap_cleanup(&dc);
	return decap_show(&dc, json) ? 1 : 0;
}
