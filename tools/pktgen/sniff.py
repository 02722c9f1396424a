#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Capture the frames arriving on one device and print them as JSON.

Used by the netns tests to check what crossed the gateway: source and
destination MAC, TTL / hop limit, addresses and ports of every IPv4/IPv6
UDP or TCP frame that matches the filter. Only frames received by DEV are
kept (not those it sends). Optionally also sinks UDP datagrams on the port,
so the kernel sends no ICMP port-unreachable back through the gateway, and
reports their payloads' total length.

  sniff.py --dev eth0 --proto udp --port 5000 [--count N] [--timeout S]
           [--idle S] [--udp-sink] [--ready FILE]

Stops at N matching frames, after S seconds, or after --idle seconds
without a match once one was seen. Prints one JSON object:
  {"frames": [{"smac","dmac","ttl","src","dst","sport","dport","len"}...],
   "udp_datagrams": n, "udp_bytes": n}
"""
import argparse
import ipaddress
import json
import select
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
PROTOS = {"udp": 17, "tcp": 6, "icmp": 1, "icmpv6": 58}


def mac(b):
    return ":".join("%02x" % x for x in b)


def parse(frame):
    """Return a dict for an IPv4/IPv6 frame, None for anything else."""
    if len(frame) < 14:
        return None
    dmac, smac, etype = frame[0:6], frame[6:12], struct.unpack("!H", frame[12:14])[0]
    ip = frame[14:]
    if etype == 0x0800 and len(ip) >= 20:
        ihl = (ip[0] & 0x0F) * 4
        proto, ttl = ip[9], ip[8]
        src, dst = ipaddress.IPv4Address(ip[12:16]), ipaddress.IPv4Address(ip[16:20])
        l4 = ip[ihl:]
    elif etype == 0x86DD and len(ip) >= 40:
        proto, ttl = ip[6], ip[7]
        src, dst = ipaddress.IPv6Address(ip[8:24]), ipaddress.IPv6Address(ip[24:40])
        l4 = ip[40:]
    else:
        return None
    sport = dport = None
    if proto in (6, 17) and len(l4) >= 4:
        sport, dport = struct.unpack("!HH", l4[0:4])
    return {"smac": mac(smac), "dmac": mac(dmac), "ttl": ttl, "proto": proto,
            "src": str(src), "dst": str(dst), "sport": sport, "dport": dport,
            "len": len(frame)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dev", required=True)
    ap.add_argument("--proto", choices=PROTOS.keys(), default="udp")
    ap.add_argument("--port", type=int, help="match either port")
    ap.add_argument("--count", type=int, default=0)
    ap.add_argument("--timeout", type=float, default=5.0)
    ap.add_argument("--idle", type=float, default=0.0)
    ap.add_argument("--udp-sink", action="store_true")
    ap.add_argument("--ready", help="file to create once capturing")
    a = ap.parse_args()

    raw = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    raw.bind((a.dev, 0))
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    socks = [raw]
    udp = None
    if a.udp_sink:
        udp = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        udp.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        udp.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        udp.bind(("::", a.port))
        socks.append(udp)
    if a.ready:
        open(a.ready, "w").close()

    frames, ndgram, nbytes = [], 0, 0
    start = time.monotonic()
    last = None
    want = PROTOS[a.proto]
    while True:
        now = time.monotonic()
        if a.count and len(frames) >= a.count and (not udp or ndgram >= a.count):
            break
        if now - start >= a.timeout:
            break
        if a.idle and last is not None and now - last >= a.idle:
            break
        wait = a.timeout - (now - start)
        if a.idle and last is not None:
            wait = min(wait, a.idle - (now - last))
        r, _, _ = select.select(socks, [], [], max(wait, 0.01))
        if udp in r:
            data = udp.recv(65536)
            ndgram += 1
            nbytes += len(data)
        if raw in r:
            data, addr = raw.recvfrom(65536)
            if addr[2] == PACKET_OUTGOING:
                continue
            p = parse(data)
            if not p or p["proto"] != want:
                continue
            if a.port and a.port not in (p["sport"], p["dport"]):
                continue
            frames.append(p)
            last = time.monotonic()
    json.dump({"frames": frames, "udp_datagrams": ndgram, "udp_bytes": nbytes},
              sys.stdout)
    print()


if __name__ == "__main__":
    main()
