// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * xgw-pktgen sink: attach sink.bpf.c in native mode to a device, count what
 * arrives until --duration ends or a signal comes, print the totals, detach.
 * The generator's frames (UDP to --dport, default 9 as the generator's) are
 * counted apart from everything else (the kernel's own ND, MLD...), so the
 * count equals what was sent.
 */
#include <errno.h>
#include <getopt.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "addr.h"
#include "pktgen.h"
#include "sink.skel.h"

struct sink_opts {
	const char *dev;
	unsigned long duration, dport;
	bool pass, json;
};

/* Sum the per-CPU counters. */
static int sink_read(struct sink_bpf *skel, __u32 slot, __u64 *packets, __u64 *bytes)
{
	int ncpu = libbpf_num_possible_cpus(), i, err;
	struct { __u64 packets, bytes; } *v;

	if (ncpu < 0)
		return ncpu;
	v = calloc(ncpu, sizeof(*v));
	if (!v)
		return -ENOMEM;
	err = bpf_map_lookup_elem(bpf_map__fd(skel->maps.sink_counts), &slot, v);
	if (err) {
		err = -errno;
		goto out;
	}
	*packets = *bytes = 0;
	for (i = 0; i < ncpu; i++) {
		*packets += v[i].packets;
		*bytes += v[i].bytes;
	}
out:
	free(v);
	return err;
}

static int sink_run(const struct sink_opts *o, struct sink_bpf *skel, int ifindex)
{
	__u32 flags = XDP_FLAGS_DRV_MODE | XDP_FLAGS_UPDATE_IF_NOEXIST;
	__u64 packets = 0, bytes = 0, other = 0, other_bytes = 0;
	double start, secs;
	int err;

	err = bpf_xdp_attach(ifindex, bpf_program__fd(skel->progs.xgw_sink), flags, NULL);
	if (err) {
		fprintf(stderr, "xgw-pktgen: sink: attaching to \"%s\": %s%s\n", o->dev,
			strerror(-err), err == -EBUSY ? " (another XDP program is attached)" : "");
		return err;
	}
	pktgen__signals();
	start = pktgen__now();
	while (!pktgen_stop && (!o->duration || pktgen__now() - start < o->duration))
		usleep(20000);
	secs = pktgen__now() - start;
	err = sink_read(skel, 0, &packets, &bytes) ?: sink_read(skel, 1, &other, &other_bytes);
	bpf_xdp_detach(ifindex, XDP_FLAGS_DRV_MODE, NULL);
	if (err) {
		fprintf(stderr, "xgw-pktgen: sink: reading counters: %s\n", strerror(-err));
		return err;
	}
	if (o->json)
		printf("{\"packets\":%llu,\"bytes\":%llu,\"other_packets\":%llu,"
		       "\"seconds\":%.6f}\n", (unsigned long long)packets,
		       (unsigned long long)bytes, (unsigned long long)other, secs);
	else
		printf("received %llu packets, %llu bytes in %.3f s (%llu other frames)\n",
		       (unsigned long long)packets, (unsigned long long)bytes, secs,
		       (unsigned long long)other);
	return 0;
}

static int sink_parse(int argc, char **argv, struct sink_opts *o)
{
	static const struct option longopts[] = {
		{ "dev", required_argument, NULL, 'd' },
		{ "duration", required_argument, NULL, 'D' },
		{ "pass", no_argument, NULL, 'p' },
		{ "dport", required_argument, NULL, 'P' },
		{ "json", no_argument, NULL, 'j' },
		{}
	};
	int c;

	while ((c = getopt_long(argc, argv, "j", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			o->dev = optarg;
			break;
		case 'D':
			if (xgw_uint_parse(optarg, 0, 86400, &o->duration)) {
				fprintf(stderr, "xgw-pktgen: invalid --duration \"%s\"\n", optarg);
				return -EINVAL;
			}
			break;
		case 'p':
			o->pass = true;
			break;
		case 'P':
			if (xgw_uint_parse(optarg, 1, 65535, &o->dport)) {
				fprintf(stderr, "xgw-pktgen: invalid --dport \"%s\"\n", optarg);
				return -EINVAL;
			}
			break;
		case 'j':
			o->json = true;
			break;
		default:
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "xgw-pktgen: unexpected argument \"%s\"\n", argv[optind]);
		return -EINVAL;
	}
	if (!o->dev) {
		fprintf(stderr, "xgw-pktgen: sink needs --dev\n");
		return -EINVAL;
	}
	return 0;
}

int sink__main(int argc, char **argv)
{
	struct sink_opts o = { .dport = 9 };
	struct sink_bpf *skel;
	int ifindex, err;

	if (sink_parse(argc, argv, &o))
		return 2;
	ifindex = pktgen__ifindex(o.dev);
	if (!ifindex)
		return 1;
	skel = sink_bpf__open();
	if (!skel)
		return 1;
	skel->rodata->pass = o.pass;
	skel->rodata->dport = htons(o.dport);
	err = sink_bpf__load(skel);
	if (err)
		fprintf(stderr, "xgw-pktgen: loading the sink: %s\n", strerror(-err));
	else
		err = sink_run(&o, skel, ifindex);
	sink_bpf__destroy(skel);
	return err ? 1 : 0;
}
