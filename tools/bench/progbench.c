// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * progbench: ns per packet of the XDP program a running xgwd has attached,
 * with the maps it has filled (BPF_PROG_TEST_RUN on that very program).
 *
 *   progbench --dev DEV --dst-file FILE [--runs R] [--calls C] [-j]
 *
 * Run in DEV's network namespace. FILE holds IPv4 destinations, one a line;
 * call i sends a 64-byte UDP frame (TTL 255) to destination i mod N, 250
 * times over (BPF_PROG_TEST_RUN's repeat reuses the buffer, so the TTL
 * never reaches 1), and must get XDP_REDIRECT: every call takes the real
 * forward path, and successive calls look up different destinations. The
 * same loop over a two-instruction XDP_PASS program gives the per-call
 * floor, printed beside. Median over R runs of C calls (min-max shown).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#define REPEAT		250
#define FRAME_LEN	64
#define MAX_RUNS	64

struct opts {
	const char *dev, *dst_file;
	unsigned long runs, calls;
	bool json;
};

static __be32 *read_dsts(const char *path, size_t *n)
{
	FILE *f = fopen(path, "r");
	char line[64];
	__be32 *v = NULL, *nv;
	size_t cap = 0;

	*n = 0;
	if (!f)
		return NULL;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (*n == cap) {
			cap = cap ? cap * 2 : 1024;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv)
				break;
			v = nv;
		}
		if (inet_pton(AF_INET, line, &v[*n]) == 1)
			(*n)++;
	}
	fclose(f);
	return v;
}

static void frame_set_dst(__u8 *buf, __be32 dst)
{
	struct iphdr *ip = (void *)(buf + ETH_HLEN);
	__u16 *w = (void *)ip;
	__u32 sum = 0;
	size_t i;

	ip->daddr = dst;
	ip->check = 0;
	for (i = 0; i < sizeof(*ip) / 2; i++)
		sum += w[i];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	ip->check = ~sum;
}

static void frame_build(__u8 *buf)
{
	struct ethhdr *eth = (void *)buf;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *udp = (void *)(ip + 1);

	memset(buf, 0, FRAME_LEN);
	memcpy(eth->h_dest, "\x02\x00\x00\x00\x00\x01", 6);
	memcpy(eth->h_source, "\x02\x00\x00\x00\x00\x02", 6);
	eth->h_proto = htons(ETH_P_IP);
	ip->version = 4;
	ip->ihl = 5;
	ip->tot_len = htons(FRAME_LEN - ETH_HLEN);
	ip->ttl = 255;
	ip->protocol = IPPROTO_UDP;
	inet_pton(AF_INET, "10.10.1.2", &ip->saddr);
	udp->source = htons(10000);
	udp->dest = htons(9);
	udp->len = htons(FRAME_LEN - ETH_HLEN - sizeof(*ip));
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* ns/packet of each run into runs[]; want: the verdict every call must give. */
static int measure(const struct opts *o, int fd, const __be32 *dst, size_t n,
		   __u32 want, double *runs)
{
	__u8 frame[FRAME_LEN];
	LIBBPF_OPTS(bpf_test_run_opts, run, .data_in = frame, .data_size_in = FRAME_LEN,
		    .repeat = REPEAT);
	unsigned long r, c, k = 0;
	__u64 total;

	frame_build(frame);
	for (r = 0; r <= o->runs; r++) {	/* run 0: untimed warm-up */
		total = 0;
		for (c = 0; c < o->calls; c++) {
			frame_set_dst(frame, dst[k++ % n]);
			if (bpf_prog_test_run_opts(fd, &run))
				return -errno;
			if (run.retval != want) {
				fprintf(stderr, "progbench: verdict %u for a destination, want %u\n",
					run.retval, want);
				return -EPROTO;
			}
			total += run.duration;
		}
		if (r)
			runs[r - 1] = (double)total / o->calls;
	}
	return 0;
}

static double median(const double *runs, unsigned long n, double *lo, double *hi)
{
	double s[MAX_RUNS];

	memcpy(s, runs, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_double);
	*lo = s[0];
	*hi = s[n - 1];
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/* The program attached to dev (native, else generic). */
static int attached_prog(const char *dev)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	int ifindex = if_nametoindex(dev);
	__u32 id;

	if (!ifindex || bpf_xdp_query(ifindex, 0, &q))
		return -ENODEV;
	id = q.drv_prog_id ? q.drv_prog_id : q.skb_prog_id;
	if (!id)
		return -ENOENT;
	return bpf_prog_get_fd_by_id(id);
}

static int pass_prog(void)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = XDP_PASS },
		{ .code = BPF_JMP | BPF_EXIT },
	};

	return bpf_prog_load(BPF_PROG_TYPE_XDP, "progbench_pass", "GPL", insns, 2, NULL);
}

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "dev", required_argument, NULL, 'd' },
		{ "dst-file", required_argument, NULL, 'f' },
		{ "runs", required_argument, NULL, 'r' },
		{ "calls", required_argument, NULL, 'c' },
		{}
	};
	int c;

	*o = (struct opts){ .runs = 5, .calls = 400 };
	while ((c = getopt_long(argc, argv, "j", lo, NULL)) != -1) {
		switch (c) {
		case 'd': o->dev = optarg; break;
		case 'f': o->dst_file = optarg; break;
		case 'r': o->runs = strtoul(optarg, NULL, 0); break;
		case 'c': o->calls = strtoul(optarg, NULL, 0); break;
		case 'j': o->json = true; break;
		default: return -EINVAL;
		}
	}
	if (!o->dev || !o->dst_file || !o->runs || o->runs > MAX_RUNS || !o->calls) {
		fprintf(stderr, "usage: progbench --dev DEV --dst-file FILE [--runs 1..%d] "
			"[--calls C] [-j]\n", MAX_RUNS);
		return -EINVAL;
	}
	return 0;
}

int main(int argc, char **argv)
{
	double runs[MAX_RUNS], floor_runs[MAX_RUNS], lo, hi, flo, fhi, ns, fl;
	struct opts o;
	__be32 *dst;
	size_t n, i;
	int fd, pfd, err;

	if (parse(argc, argv, &o))
		return 2;
	dst = read_dsts(o.dst_file, &n);
	if (!n) {
		fprintf(stderr, "progbench: no IPv4 address in %s\n", o.dst_file);
		return 1;
	}
	fd = attached_prog(o.dev);
	pfd = pass_prog();
	if (fd < 0 || pfd < 0) {
		fprintf(stderr, "progbench: %s: %s\n", fd < 0 ? o.dev : "XDP_PASS program",
			strerror(fd < 0 ? -fd : errno));
		return 1;
	}
	err = measure(&o, fd, dst, n, XDP_REDIRECT, runs);
	if (!err)
		err = measure(&o, pfd, dst, n, XDP_PASS, floor_runs);
	if (err) {
		fprintf(stderr, "progbench: %s\n", strerror(-err));
		return 1;
	}
	ns = median(runs, o.runs, &lo, &hi);
	fl = median(floor_runs, o.runs, &flo, &fhi);
	if (!o.json) {
		printf("%.1f ns/packet (%.1f-%.1f), XDP_PASS floor %.1f (%.1f-%.1f), "
		       "%zu destinations\n", ns, lo, hi, fl, flo, fhi, n);
		return 0;
	}
	printf("{\"ns\": %.2f, \"floor_ns\": %.2f, \"destinations\": %zu, \"runs\": [", ns, fl, n);
	for (i = 0; i < o.runs; i++)
		printf("%s%.2f", i ? ", " : "", runs[i]);
	printf("], \"floor_runs\": [");
	for (i = 0; i < o.runs; i++)
		printf("%s%.2f", i ? ", " : "", floor_runs[i]);
	printf("]}\n");
	free(dst);
	return 0;
}
