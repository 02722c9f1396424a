// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * xgw-pktgen: a UDP packet generator built on XDP live frames, and the sink
 * that counts what arrives at the far end. This kernel has no pktgen module;
 * BPF_PROG_RUN with BPF_F_TEST_XDP_LIVE_FRAMES runs pktgen.bpf.c against the
 * device, which transmits each run's frame with XDP_TX.
 *
 *   xgw-pktgen [send] --dev DEV --src ADDR --dst ADDR[-ADDR] --dmac MAC
 *              [--smac MAC] [--flows N] [--size BYTES] [--rate PPS]
 *              [--duration SEC | --count N] [--sport P] [--dport P] [-j]
 *   xgw-pktgen sink --dev DEV [--duration SEC] [--dport P] [--pass] [-j]
 *
 * --size is the frame as handed to the device, without the FCS.
 */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/ioctl.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "addr.h"
#include "pktgen.h"
#include "pktgen.skel.h"

#define FRAME_MAX	1514

struct gen_opts {
	char dev[IF_NAMESIZE];
	struct xgw_addr src, dst_lo, dst_hi;
	__u8 smac[6], dmac[6];
	bool have_src, have_dst, have_dmac, have_smac, json;
	unsigned long flows, size, rate, duration, count, sport, dport;
};

volatile sig_atomic_t pktgen_stop;

static void on_signal(int sig)
{
	(void)sig;
	pktgen_stop = 1;
}

void pktgen__signals(void)
{
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
}

double pktgen__now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_WARN)
		return vfprintf(stderr, fmt, ap);
	return 0;
}

void pktgen__libbpf_init(void)
{
	libbpf_set_print(libbpf_quiet);
}

int pktgen__ifindex(const char *dev)
{
	int ifindex = if_nametoindex(dev);

	if (!ifindex)
		fprintf(stderr, "xgw-pktgen: no device \"%s\"\n", dev);
	return ifindex;
}

static int dev_mac(const char *dev, __u8 mac[6])
{
	struct ifreq ifr = {};
	int fd, err = 0;

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
		err = -errno;
	else
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	close(fd);
	return err;
}

static __u32 csum_add(__u32 sum, const void *buf, size_t len)
{
	const __u8 *p = buf;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (p[i] << 8) | p[i + 1];
	if (len & 1)
		sum += p[len - 1] << 8;
	return sum;
}

static __u16 csum_fold(__u32 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons(~sum & 0xffff);
}

/* The UDP checksum over the pseudo header, header and payload. */
static void udp_csum(struct udphdr *udp, const void *src, const void *dst, size_t alen)
{
	__u32 sum = 0;
	size_t len = ntohs(udp->len);

	sum = csum_add(sum, src, alen);
	sum = csum_add(sum, dst, alen);
	sum += IPPROTO_UDP + len;
	udp->check = 0;
	sum = csum_add(sum, udp, len);
	udp->check = csum_fold(sum);
	if (!udp->check)
		udp->check = 0xffff;
}

/* Build the first frame of the stream into buf; returns its length. */
static size_t frame_build(const struct gen_opts *o, __u8 *buf)
{
	struct ethhdr *eth = (void *)buf;
	bool v6 = o->dst_lo.family == AF_INET6;
	size_t l3 = v6 ? sizeof(struct ipv6hdr) : sizeof(struct iphdr);
	struct udphdr *udp = (void *)(buf + ETH_HLEN + l3);

	memset(buf, 0, FRAME_MAX);
	memcpy(eth->h_dest, o->dmac, 6);
	memcpy(eth->h_source, o->smac, 6);
	eth->h_proto = htons(v6 ? ETH_P_IPV6 : ETH_P_IP);
	udp->source = htons(o->sport);
	udp->dest = htons(o->dport);
	udp->len = htons(o->size - ETH_HLEN - l3);
	if (v6) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		ip6->version = 6;
		ip6->payload_len = udp->len;
		ip6->nexthdr = IPPROTO_UDP;
		ip6->hop_limit = 64;
		memcpy(&ip6->saddr, o->src.a, 16);
		memcpy(&ip6->daddr, o->dst_lo.a, 16);
		udp_csum(udp, &ip6->saddr, &ip6->daddr, 16);
	} else {
		struct iphdr *ip = (void *)(eth + 1);

		ip->version = 4;
		ip->ihl = 5;
		ip->tot_len = htons(o->size - ETH_HLEN);
		ip->ttl = 64;
		ip->protocol = IPPROTO_UDP;
		ip->saddr = o->src.a[0];
		ip->daddr = o->dst_lo.a[0];
		ip->check = csum_fold(csum_add(0, ip, sizeof(*ip)));
		udp_csum(udp, &ip->saddr, &ip->daddr, 4);
	}
	return o->size;
}

/* Packets to send in the next call: paced by --rate, capped by --count. */
static __u32 gen_chunk(const struct gen_opts *o, __u64 sent, double elapsed)
{
	__u64 chunk = 65536, allowed;

	if (o->count && o->count - sent < chunk)
		chunk = o->count - sent;
	if (o->rate) {
		allowed = (__u64)(o->rate * elapsed) + o->rate / 1000 + 1;
		if (allowed <= sent)
			return 0;
		if (allowed - sent < chunk)
			chunk = allowed - sent;
	}
	return chunk;
}

static int gen_run(const struct gen_opts *o, int prog_fd, int ifindex, __u8 *tmpl,
		   size_t tmpl_len)
{
	__u8 frame[FRAME_MAX];
	struct xdp_md ctx = { .ingress_ifindex = ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, run, .data_in = frame, .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .flags = BPF_F_TEST_XDP_LIVE_FRAMES,
		    .batch_size = 64);
	double start, elapsed = 0;
	__u64 sent = 0;
	__u32 chunk;
	int err = 0;

	run.data_size_in = frame_build(o, frame);
	memcpy(tmpl, frame, tmpl_len);
	ctx.data_end = run.data_size_in;
	start = pktgen__now();
	while (!pktgen_stop && (!o->count || sent < o->count) &&
	       (!o->duration || elapsed < o->duration)) {
		chunk = gen_chunk(o, sent, elapsed);
		if (!chunk) {
			usleep(200);
		} else {
			/* Live frames report no verdict: the sink counts. */
			run.repeat = chunk;
			err = bpf_prog_test_run_opts(prog_fd, &run);
			if (err) {
				fprintf(stderr, "xgw-pktgen: BPF_PROG_RUN: %s\n", strerror(-err));
				break;
			}
			sent += chunk;
		}
		elapsed = pktgen__now() - start;
	}
	if (o->json)
		printf("{\"packets\":%llu,\"bytes\":%llu,\"seconds\":%.6f,\"pps\":%.0f}\n",
		       (unsigned long long)sent, (unsigned long long)sent * o->size,
		       elapsed, elapsed > 0 ? sent / elapsed : 0);
	else
		printf("sent %llu packets of %lu bytes in %.3f s: %.0f pps, %.1f Mbit/s\n",
		       (unsigned long long)sent, o->size, elapsed,
		       elapsed > 0 ? sent / elapsed : 0,
		       elapsed > 0 ? sent * o->size * 8 / elapsed / 1e6 : 0);
	return err;
}

/* The destination range must differ only in its low 32 bits. */
static int dst_range(struct gen_opts *o, __u32 *n)
{
	int last = o->dst_lo.family == AF_INET6 ? 3 : 0;
	__u64 lo = ntohl(o->dst_lo.a[last]), hi = ntohl(o->dst_hi.a[last]);

	if (o->dst_hi.family != o->dst_lo.family ||
	    memcmp(o->dst_lo.a, o->dst_hi.a, last * 4) || hi < lo || hi - lo >= 1 << 24)
		return -EINVAL;
	*n = hi - lo + 1;
	return 0;
}

static int gen_setup(struct gen_opts *o, struct pktgen_bpf *skel)
{
	size_t min = o->dst_lo.family == AF_INET6 ? 62 : 60;
	__u32 ndst;

	if (o->src.family != o->dst_lo.family) {
		fprintf(stderr, "xgw-pktgen: --src and --dst are of different families\n");
		return -EINVAL;
	}
	if (dst_range(o, &ndst)) {
		fprintf(stderr, "xgw-pktgen: invalid destination range (low 32 bits, at most 2^24)\n");
		return -EINVAL;
	}
	if (o->size < min || o->size > FRAME_MAX) {
		fprintf(stderr, "xgw-pktgen: invalid size \"%lu\" (%zu..%d)\n", o->size, min,
			FRAME_MAX);
		return -EINVAL;
	}
	if (o->sport + o->flows > 65536) {
		fprintf(stderr, "xgw-pktgen: --sport + --flows exceeds 65535\n");
		return -EINVAL;
	}
	if (!o->have_smac && dev_mac(o->dev, o->smac)) {
		fprintf(stderr, "xgw-pktgen: cannot read the MAC of \"%s\"\n", o->dev);
		return -ENODEV;
	}
	skel->rodata->nflows = o->flows;
	skel->rodata->sport_base = o->sport;
	skel->rodata->ndst = ndst;
	skel->rodata->dst_base = ntohl(o->dst_lo.a[o->dst_lo.family == AF_INET6 ? 3 : 0]);
	skel->rodata->is_ipv6 = o->dst_lo.family == AF_INET6;
	return 0;
}

static int gen_main(struct gen_opts *o)
{
	struct pktgen_bpf *skel;
	int ifindex, err;

	ifindex = pktgen__ifindex(o->dev);
	if (!ifindex)
		return -ENODEV;
	skel = pktgen_bpf__open();
	if (!skel)
		return -errno;
	err = gen_setup(o, skel);
	if (err)
		goto out;
	err = pktgen_bpf__load(skel);
	if (err) {
		fprintf(stderr, "xgw-pktgen: loading the generator: %s\n", strerror(-err));
		goto out;
	}
	pktgen__signals();
	err = gen_run(o, bpf_program__fd(skel->progs.xgw_pktgen), ifindex, skel->data->tmpl,
		      o->dst_lo.family == AF_INET6 ? sizeof(skel->data->tmpl) : ETH_HLEN + 28);
out:
	pktgen_bpf__destroy(skel);
	return err;
}

static int parse_num(const char *opt, const char *s, unsigned long min, unsigned long max,
		     unsigned long *out)
{
	if (xgw_uint_parse(s, min, max, out)) {
		fprintf(stderr, "xgw-pktgen: invalid %s \"%s\"\n", opt, s);
		return -EINVAL;
	}
	return 0;
}

static int parse_dst(struct gen_opts *o, const char *s)
{
	char lo[XGW_ADDR_STRLEN + 1];
	const char *dash = strchr(s, '-');
	size_t n = dash ? (size_t)(dash - s) : strlen(s);

	if (n >= sizeof(lo))
		goto bad;
	memcpy(lo, s, n);
	lo[n] = '\0';
	if (xgw_addr_parse(lo, &o->dst_lo))
		goto bad;
	o->dst_hi = o->dst_lo;
	if (dash && xgw_addr_parse(dash + 1, &o->dst_hi))
		goto bad;
	o->have_dst = true;
	return 0;
bad:
	fprintf(stderr, "xgw-pktgen: invalid destination \"%s\"\n", s);
	return -EINVAL;
}

static const struct option gen_longopts[] = {
	{ "dev", required_argument, NULL, 'd' },   { "src", required_argument, NULL, 's' },
	{ "dst", required_argument, NULL, 't' },   { "dmac", required_argument, NULL, 'm' },
	{ "smac", required_argument, NULL, 'M' },  { "flows", required_argument, NULL, 'f' },
	{ "size", required_argument, NULL, 'z' },  { "rate", required_argument, NULL, 'r' },
	{ "duration", required_argument, NULL, 'D' }, { "count", required_argument, NULL, 'c' },
	{ "sport", required_argument, NULL, 'p' }, { "dport", required_argument, NULL, 'P' },
	{ "json", no_argument, NULL, 'j' },        { "help", no_argument, NULL, 'h' },
	{}
};

static int bad_value(const char *opt, const char *arg)
{
	fprintf(stderr, "xgw-pktgen: invalid %s \"%s\"\n", opt, arg);
	return -EINVAL;
}

static int gen_opt(struct gen_opts *o, int c, const char *arg)
{
	switch (c) {
	case 'd':
		if (strlen(arg) >= IF_NAMESIZE)
			return bad_value("--dev", arg);
		strcpy(o->dev, arg);
		return 0;
	case 's':
		o->have_src = !xgw_addr_parse(arg, &o->src);
		return o->have_src ? 0 : bad_value("--src", arg);
	case 't': return parse_dst(o, arg);
	case 'm':
		o->have_dmac = !xgw_mac_parse(arg, o->dmac);
		return o->have_dmac ? 0 : bad_value("--dmac", arg);
	case 'M':
		o->have_smac = !xgw_mac_parse(arg, o->smac);
		return o->have_smac ? 0 : bad_value("--smac", arg);
	case 'f': return parse_num("--flows", arg, 1, 65535, &o->flows);
	case 'z': return parse_num("--size", arg, 0, 65535, &o->size);
	case 'r': return parse_num("--rate", arg, 0, 1000000000, &o->rate);
	case 'D': return parse_num("--duration", arg, 1, 86400, &o->duration);
	case 'c': return parse_num("--count", arg, 1, 1UL << 40, &o->count);
	case 'p': return parse_num("--sport", arg, 1, 65535, &o->sport);
	case 'P': return parse_num("--dport", arg, 1, 65535, &o->dport);
	case 'j': o->json = true; return 0;
	}
	return -EINVAL;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: xgw-pktgen [send] --dev DEV --src ADDR --dst ADDR[-ADDR] --dmac MAC\n"
		"                  [--smac MAC] [--flows N] [--size BYTES] [--rate PPS (0=max)]\n"
		"                  [--duration SEC | --count N] [--sport P] [--dport P] [-j]\n"
		"       xgw-pktgen sink --dev DEV [--duration SEC] [--dport P] [--pass] [-j]\n");
}

static int gen_cli(int argc, char **argv)
{
	struct gen_opts o = { .flows = 1, .size = 64, .sport = 10000, .dport = 9 };
	int c;

	while ((c = getopt_long(argc, argv, "j", gen_longopts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 0;
		}
		if (c == '?' || gen_opt(&o, c, optarg))
			return 2;
	}
	if (optind < argc) {
		fprintf(stderr, "xgw-pktgen: unexpected argument \"%s\"\n", argv[optind]);
		return 2;
	}
	if (!o.dev[0] || !o.have_src || !o.have_dst || !o.have_dmac) {
		fprintf(stderr, "xgw-pktgen: --dev, --src, --dst and --dmac are required\n");
		return 2;
	}
	if (!o.count && !o.duration)
		o.duration = 10;
	return gen_main(&o) ? 1 : 0;
}

int main(int argc, char **argv)
{
	pktgen__libbpf_init();
	if (argc > 1 && !strcmp(argv[1], "sink"))
		return sink__main(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "send"))
		return gen_cli(argc - 1, argv + 1);
	if (argc > 1 && argv[1][0] != '-') {
		fprintf(stderr, "xgw-pktgen: unknown command \"%s\" (send, sink)\n", argv[1]);
		usage(stderr);
		return 2;
	}
	return gen_cli(argc, argv);
}
