// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Packet-test toolkit: see pkt_lib.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "pkt_lib.h"

const uint8_t PKT_DMAC_IN[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };	/* the gateway */
const uint8_t PKT_SMAC_IN[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };	/* the sender */

static int tap_n, tap_failed;

static void __attribute__((noreturn)) fixture_bug(const char *what)
{
	fprintf(stderr, "pkt_lib: fixture bug: %s\n", what);
	exit(2);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

uint16_t pkt_csum(const uint8_t *p, size_t len, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

static void fill_payload(uint8_t *p, int n, unsigned int seed)
{
	int i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

static void parse_addr(int family, const char *text, uint8_t *out)
{
	if (!text || inet_pton(family, text, out) != 1)
		fixture_bug(text ? text : "missing address");
}

size_t pkt_l3_off(const struct pkt_spec *s)
{
	return 14 + 4 * (size_t)s->nvlan;
}

/* L4 header and payload at @p; returns their length. */
static size_t build_l4(const struct pkt_spec *s, uint8_t proto, uint8_t *p)
{
	size_t hlen;

	switch (proto) {
	case IPPROTO_UDP:
		hlen = 8;
		put16(p, s->sport);
		put16(p + 2, s->dport);
		put16(p + 4, hlen + s->payload);
		put16(p + 6, 0x1234);	/* carried unchanged: any value will do */
		break;
	case IPPROTO_TCP: {
		int doff = s->tcp_doff ? s->tcp_doff : 5;

		hlen = doff > 5 ? (size_t)doff * 4 : 20;
		memset(p, 0, hlen);
		put16(p, s->sport);
		put16(p + 2, s->dport);
		put32(p + 4, 1);
		p[12] = doff << 4;
		p[13] = 0x10;		/* ACK */
		put16(p + 14, 65535);
		put16(p + 16, 0x4321);
		memset(p + 20, 1, hlen - 20);	/* NOP options */
		break;
	}
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		hlen = 8;
		p[0] = s->icmp_type;
		p[1] = 0;
		put16(p + 2, 0xabcd);
		put32(p + 4, 0x00010002);
		break;
	default:
		hlen = 0;		/* opaque payload */
	}
	fill_payload(p + hlen, s->payload, proto);
	return hlen + s->payload;
}

static size_t build_ipv4(const struct pkt_spec *s, uint8_t *p)
{
	size_t hlen = 20 + s->ip_opts;
	uint8_t proto = s->proto ? s->proto : IPPROTO_UDP;
	size_t tot;

	if (s->ip_opts % 4 || s->ip_opts > 40)
		fixture_bug("IPv4 options");
	tot = hlen + build_l4(s, proto, p + hlen);
	p[0] = 0x40 | hlen / 4;
	p[1] = 0;
	put16(p + 2, tot);
	put16(p + 4, s->ip_id);
	put16(p + 6, s->frag);
	p[8] = s->ttl_zero ? 0 : s->ttl ? s->ttl : 64;
	p[9] = proto;
	put16(p + 10, 0);
	parse_addr(AF_INET, s->src, p + 12);
	parse_addr(AF_INET, s->dst, p + 16);
	if (s->opt_bytes)
		memcpy(p + 20, s->opt_bytes, s->ip_opts);
	else
		memset(p + 20, 1, s->ip_opts);	/* NOP options */

	if (s->bad_version)
		p[0] = (p[0] & 0x0f) | s->bad_version << 4;
	if (s->bad_ihl)
		p[0] = (p[0] & 0xf0) | (s->bad_ihl & 0xf);
	put16(p + 2, tot + s->len_delta);
	put16(p + 10, pkt_csum(p, hlen, 0));
	return tot;
}

/* One IPv6 extension header of type @type at @p, followed by @next. */
static size_t build_ipv6_ext(const struct pkt_spec *s, uint8_t type, uint8_t next, uint8_t *p)
{
	memset(p, 0, 8);
	p[0] = next;
	switch (type) {
	case IPPROTO_HOPOPTS:
		if (s->hbh_opts) {
			if ((2 + s->hbh_len) % 8 || s->hbh_len > 254 * 8)
				fixture_bug("hop-by-hop options length");
			p[1] = (2 + s->hbh_len) / 8 - 1;
			memcpy(p + 2, s->hbh_opts, s->hbh_len);
			return 2 + s->hbh_len;
		}
		/* fall through */
	case IPPROTO_DSTOPTS:
		p[2] = 1;		/* PadN over the remaining 4 bytes */
		p[3] = 4;
		return 8;
	case IPPROTO_ROUTING:
		p[2] = 4;		/* segment routing, segments left 0 */
		return 8;
	case IPPROTO_FRAGMENT:
		put16(p + 2, s->frag);
		put32(p + 4, 0xf00d);
		return 8;
	case IPPROTO_AH:
		memset(p, 0, 12);
		p[0] = next;
		p[1] = 1;		/* (1 + 2) * 4 = 12 bytes */
		put32(p + 4, 0x100);	/* SPI */
		put32(p + 8, 1);	/* sequence */
		return 12;
	}
	fixture_bug("IPv6 extension header type");
}

static size_t build_ipv6(const struct pkt_spec *s, uint8_t *p)
{
	uint8_t proto = s->proto ? s->proto : IPPROTO_UDP;
	size_t off = 40;
	size_t plen;
	int i;

	if (s->next > PKT_MAX_EXT)
		fixture_bug("too many extension headers");
	for (i = 0; i < s->next; i++)
		off += build_ipv6_ext(s, s->ext[i], i + 1 < s->next ? s->ext[i + 1] : proto,
				      p + off);
	plen = off - 40 + build_l4(s, proto, p + off);
	p[0] = 0x60;
	p[1] = p[2] = p[3] = 0;
	put16(p + 4, plen + s->len_delta);
	p[6] = s->next ? s->ext[0] : proto;
	p[7] = s->ttl_zero ? 0 : s->ttl ? s->ttl : 64;
	parse_addr(AF_INET6, s->src, p + 8);
	parse_addr(AF_INET6, s->dst, p + 24);
	if (s->bad_version)
		p[0] = s->bad_version << 4;
	return 40 + plen;
}

size_t pkt_build(const struct pkt_spec *s, uint8_t *buf)
{
	size_t off = 12, len;
	uint16_t type;
	int i;

	if (s->nvlan > PKT_MAX_VLAN)
		fixture_bug("too many VLAN tags");
	memset(buf, 0, PKT_MAX);
	memcpy(buf, s->dmac ? s->dmac : PKT_DMAC_IN, 6);
	memcpy(buf + 6, s->smac ? s->smac : PKT_SMAC_IN, 6);
	for (i = 0; i < s->nvlan; i++, off += 4) {
		put16(buf + off, s->tpid[i] ? s->tpid[i] : 0x8100);
		put16(buf + off + 2, s->vid[i]);
	}
	if (s->ethertype)
		type = s->ethertype;
	else
		type = s->family == AF_INET ? 0x0800 : 0x86dd;
	put16(buf + off, type);
	off += 2;

	if (s->ethertype) {
		fill_payload(buf + off, s->payload, 0x5a);
		len = s->payload;
	} else if (s->family == AF_INET) {
		len = build_ipv4(s, buf + off);
	} else if (s->family == AF_INET6) {
		len = build_ipv6(s, buf + off);
	} else {
		fixture_bug("family");
	}
	len += off + s->pad;	/* padding: zeros, from the memset */
	if (len > PKT_MAX)
		fixture_bug("frame too long");
	return len;
}

void pkt_run(int prog_fd, const uint8_t *in, size_t len, int repeat, struct pkt_run *r)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = in,
		.data_size_in = len,
		.data_out = r->out,
		.data_size_out = sizeof(r->out),
		.repeat = repeat,
	);
	int err;

	memset(r, 0, sizeof(*r));
	err = bpf_prog_test_run_opts(prog_fd, &opts);
	r->err = err < 0 ? -errno : 0;
	r->retval = opts.retval;
	r->out_len = opts.data_size_out;
}

static void counters_sum(int fd, uint32_t n, struct xgw_counter *out)
{
	int ncpu = libbpf_num_possible_cpus();
	struct xgw_counter *v;
	uint32_t key;
	int cpu;

	if (ncpu <= 0)
		fixture_bug("libbpf_num_possible_cpus");
	v = calloc(ncpu, sizeof(*v));
	if (!v)
		fixture_bug("out of memory");
	for (key = 0; key < n; key++) {
		if (bpf_map_lookup_elem(fd, &key, v)) {
			fprintf(stderr, "pkt_lib: counter map lookup %u: %s\n", key, strerror(errno));
			exit(2);
		}
		out[key].packets = out[key].bytes = 0;
		for (cpu = 0; cpu < ncpu; cpu++) {
			out[key].packets += v[cpu].packets;
			out[key].bytes += v[cpu].bytes;
		}
	}
	free(v);
}

void pkt_counters_read(int stats_fd, int nh_stats_fd, struct pkt_counters *c)
{
	counters_sum(stats_fd, XGW_REASON_MAX, c->reason);
	counters_sum(nh_stats_fd, PKT_NH_TRACKED, c->nh);
}

static bool counter_check(const char *what, uint32_t idx, const struct xgw_counter *b,
			  const struct xgw_counter *a, uint64_t packets, uint64_t bytes)
{
	uint64_t dp = a->packets - b->packets, db = a->bytes - b->bytes;

	if (dp == packets && db == bytes)
		return true;
	tap_diag("%s[%u]: +%llu packets +%llu bytes, expected +%llu +%llu", what, idx,
		 (unsigned long long)dp, (unsigned long long)db, (unsigned long long)packets,
		 (unsigned long long)bytes);
	return false;
}

bool pkt_counters_expect(const struct pkt_counters *before, const struct pkt_counters *after,
			 enum xgw_reason reason, uint32_t nh_id, uint64_t packets, uint64_t bytes)
{
	bool ok = true;
	uint32_t i;

	for (i = 0; i < XGW_REASON_MAX; i++) {
		bool hit = i == (uint32_t)reason;

		ok &= counter_check(xgw_reason_desc[i].name, i, &before->reason[i],
				    &after->reason[i], hit ? packets : 0, hit ? bytes : 0);
	}
	for (i = 0; i < PKT_NH_TRACKED; i++) {
		bool hit = nh_id && i == nh_id;

		ok &= counter_check("nh", i, &before->nh[i], &after->nh[i],
				    hit ? packets : 0, hit ? bytes : 0);
	}
	return ok;
}

void tap_diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
}

bool tap_result(bool ok, const char *fmt, ...)
{
	va_list ap;

	tap_n++;
	if (!ok)
		tap_failed++;
	printf("%sok %d - ", ok ? "" : "not ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
	return ok;
}

int tap_finish(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

void tap_diff(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	size_t i, n = alen > blen ? alen : blen;
	char line[16 * 5 + 8];
	int pos = 0;

	tap_diag("got %zu bytes, expected %zu ('*' marks a difference)", alen, blen);
	for (i = 0; i < n; i++) {
		bool diff = i >= alen || i >= blen || a[i] != b[i];

		if (i < alen)
			pos += snprintf(line + pos, sizeof(line) - pos, "%02x%c ", a[i],
					diff ? '*' : ' ');
		else
			pos += snprintf(line + pos, sizeof(line) - pos, "-- * ");
		if (i % 16 == 15 || i + 1 == n) {
			tap_diag("%04zx: %s", i & ~(size_t)15, line);
			pos = 0;
		}
	}
}

const char *pkt_verdict_name(uint32_t v)
{
	static const char *const names[] = { "XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX",
					     "XDP_REDIRECT" };

	return v < sizeof(names) / sizeof(names[0]) ? names[v] : "XDP_?";
}
