// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * What makes forwarding through a link fail silently (#12.5), said at
 * `link attach` (one log line) and by `link show`, computed afresh each
 * time (a peer may gain GRO or an XDP program later):
 * - the device cannot take redirected frames: its XDP features (the
 *   netdev generic netlink family) lack ndo_xdp_xmit, which is what a veth
 *   whose peer has neither GRO nor an XDP program looks like; every frame
 *   xgw forwards to it is dropped (counted redirect_error);
 * - kernel forwarding is off on it, while xgw hands the kernel what it
 *   does not forward itself (unresolved next hops, TTL expiry, frames over
 *   the MTU, on-link prefixes);
 * - generic (skb) mode: slow, for testing.
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include "json_print.h"
#include "linkcheck.h"
#include "xgwd.h"

/* include/uapi/linux/netdev.h (not in this system's headers) */
#define NETDEV_FAMILY_NAME		"netdev"
#define NETDEV_CMD_DEV_GET		1
#define NETDEV_A_DEV_IFINDEX		1
#define NETDEV_A_DEV_XDP_FEATURES	3
#define NETDEV_XDP_ACT_NDO_XMIT		(1ull << 2)

struct genl_req {
	struct nlmsghdr n;
	struct genlmsghdr g;
	char attrs[64];
};

static void put_attr(struct genl_req *r, int type, const void *data, int len)
{
	struct nlattr *a = (void *)((char *)r + NLMSG_ALIGN(r->n.nlmsg_len));

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	memcpy((char *)a + NLA_HDRLEN, data, len);
	r->n.nlmsg_len = NLMSG_ALIGN(r->n.nlmsg_len) + NLA_ALIGN(a->nla_len);
}

/* Send r and find attribute want in the reply's genl payload. */
static int genl_talk(int s, struct genl_req *r, int want, void *out, int outlen)
{
	char buf[4096];
	struct nlmsghdr *h = (void *)buf;
	struct nlattr *a;
	int n, len;

	if (send(s, r, r->n.nlmsg_len, 0) < 0)
		return -errno;
	n = recv(s, buf, sizeof(buf), 0);
	if (n < 0)
		return -errno;
	if (!NLMSG_OK(h, (unsigned int)n) || h->nlmsg_type == NLMSG_ERROR)
		return h->nlmsg_type == NLMSG_ERROR ?
		       ((struct nlmsgerr *)NLMSG_DATA(h))->error : -EIO;
	len = h->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
	a = (void *)((char *)NLMSG_DATA(h) + GENL_HDRLEN);
	while (len >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN && a->nla_len <= len) {
		if ((a->nla_type & NLA_TYPE_MASK) == want) {
			memcpy(out, (char *)a + NLA_HDRLEN,
			       a->nla_len - NLA_HDRLEN < outlen ? a->nla_len - NLA_HDRLEN : outlen);
			return 0;
		}
		len -= NLA_ALIGN(a->nla_len);
		a = (void *)((char *)a + NLA_ALIGN(a->nla_len));
	}
	return -ENOENT;
}

/* The device's XDP features, or -errno (an older kernel has no family). */
static int xdp_features(int ifindex, __u64 *feat)
{
	struct genl_req r = {
		.n.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN),
		.n.nlmsg_type = GENL_ID_CTRL,
		.n.nlmsg_flags = NLM_F_REQUEST,
		.g.cmd = CTRL_CMD_GETFAMILY,
		.g.version = 1,
	};
	struct timeval tv = { .tv_sec = 1 };
	__u16 family = 0;
	__u32 idx = ifindex;
	int s, err;

	s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (s < 0)
		return -errno;
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	put_attr(&r, CTRL_ATTR_FAMILY_NAME, NETDEV_FAMILY_NAME, sizeof(NETDEV_FAMILY_NAME));
	err = genl_talk(s, &r, CTRL_ATTR_FAMILY_ID, &family, sizeof(family));
	if (!err) {
		memset(&r, 0, sizeof(r));
		r.n.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
		r.n.nlmsg_type = family;
		r.n.nlmsg_flags = NLM_F_REQUEST;
		r.g.cmd = NETDEV_CMD_DEV_GET;
		r.g.version = 1;
		put_attr(&r, NETDEV_A_DEV_IFINDEX, &idx, sizeof(idx));
		*feat = 0;
		err = genl_talk(s, &r, NETDEV_A_DEV_XDP_FEATURES, feat, sizeof(*feat));
	}
	close(s);
	return err;
}

/* A sysctl that reads "0". */
static bool sysctl_is_off(const char *fmt, const char *dev)
{
	char path[128], v[8] = "";
	int fd;

	snprintf(path, sizeof(path), fmt, dev);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	if (read(fd, v, sizeof(v) - 1) < 0)
		v[0] = '\0';
	close(fd);
	return v[0] == '0' && (v[1] == '\n' || !v[1]);
}

int linkcheck__run(const char *dev, int ifindex, bool generic, bool decap,
		   char *out, size_t len)
{
	bool v4off, v6off;
	size_t n = 0;
	__u64 feat;

	out[0] = '\0';
#define ADD(...) (n += snprintf(out + n, n < len ? len - n : 0, __VA_ARGS__))
	if (generic)
		ADD("generic (skb) mode: slow, for testing only");
	if (decap)
		return n ? 1 : 0;
	if (!xdp_features(ifindex, &feat) && !(feat & NETDEV_XDP_ACT_NDO_XMIT))
		ADD("%scannot take redirected frames (no ndo_xdp_xmit: a veth whose peer has "
		    "neither GRO nor an XDP program?): what xgw forwards to it is dropped, "
		    "counted redirect_error", n ? "; " : "");
	v4off = sysctl_is_off("/proc/sys/net/ipv4/conf/%s/forwarding", dev);
	v6off = sysctl_is_off("/proc/sys/net/ipv6/conf/%s/forwarding", dev);
	if (v4off || v6off)
		ADD("%s%s kernel forwarding is off: what xgw hands the kernel (unresolved "
		    "next hops, TTL expiry, frames over the MTU, on-link prefixes) is not "
		    "forwarded", n ? "; " : "", v4off && v6off ? "IPv4 and IPv6" :
		    v4off ? "IPv4" : "IPv6");
#undef ADD
	return n ? 1 : 0;
}

void linkcheck__attached(const char *dev, int ifindex, bool decap)
{
	char w[512];

	/* generic mode: link.c says so itself */
	if (linkcheck__run(dev, ifindex, false, decap, w, sizeof(w)))
		pr_warn("WARNING: %s: %s", dev, w);
}

void linkcheck__show(const char *dev, int ifindex, bool generic, bool decap)
{
	char w[512];

	if (linkcheck__run(dev, ifindex, generic, decap, w, sizeof(w)))
		print_string(PRINT_ANY, "warning", " warning: %s", w);
}
