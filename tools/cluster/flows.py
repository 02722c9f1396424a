#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Which gateway carries which flow, to which backend: the connection tables.

flows.py NAME=PIN_DIR...   (tools/lab cluster flows)
    For each gateway NAME, reads its pinned xgw_conntrack and xgw_backends
    with bpftool (a killed xgwd's pins still answer) and prints one JSON
    object per line: {"gw", "src", "sport", "dst", "dport", "proto",
    "backend", "atime_ns", "age_ms"}. atime_ns is the entry's last use on
    CLOCK_MONOTONIC, age_ms how long ago that was: an entry stays after its
    flow moved to another gateway, so the gateway carrying a flow now is the
    one whose entry is youngest. The datapath keeps that time in jiffies,
    stored at most every quarter second (xgw_shared.h, XGW_CT_TOUCH_DIV), and
    learns a flow on its second packet: /proc/timer_list gives jiffies and
    CLOCK_MONOTONIC together, xgw_config.hz the rate. IPv4 flows only.
"""
import ipaddress
import json
import subprocess
import sys


def dump(pin, name):
    out = subprocess.run(["bpftool", "-j", "map", "dump", "pinned", f"{pin}/{name}"],
                         capture_output=True, text=True, check=True).stdout
    return [e["formatted"] for e in json.loads(out) if "formatted" in e]


def ip4(addr):
    # the maps' BTF views print an address as its network-order bytes
    # ([10,0,0,1,0,...]); a bare __be32 prints as the bytes read as a
    # host (LE) integer, or in an array of four of them
    if isinstance(addr, list) and len(addr) >= 4 and all(b < 256 for b in addr[:4]) \
            and len(addr) != 4:
        return str(ipaddress.IPv4Address(bytes(addr[:4])))
    if isinstance(addr, list):
        addr = addr[0]
    return str(ipaddress.IPv4Address(int(addr).to_bytes(4, "little")))


def port(be16):
    if isinstance(be16, list):  # a view: the two network-order bytes
        return be16[0] << 8 | be16[1]
    return int(be16).to_bytes(2, "little")[0] << 8 | int(be16).to_bytes(2, "little")[1]


def clock():
    """The kernel's jiffies and CLOCK_MONOTONIC ns, read together."""
    now_ns = None
    with open("/proc/timer_list") as f:
        for line in f:
            if now_ns is None and line.startswith("now at "):
                now_ns = int(line.split()[2])
            elif line.startswith("jiffies: "):
                return int(line.split()[1]), now_ns
    sys.exit("flows.py: no jiffies in /proc/timer_list")


def main(args):
    for arg in args:
        gw, pin = arg.split("=", 1)
        backends = {e["key"]: ip4(e["value"]["addr"]) for e in dump(pin, "xgw_backends")
                    if e["value"]["family"]}
        hz = dump(pin, "xgw_config")[0]["value"]["hz"] or 250
        jiffies, now = clock()
        for e in dump(pin, "xgw_conntrack"):
            k, v = e["key"], e["value"]
            ago = (jiffies - v["atime"]) & 0xffffffff
            age_ms = 0 if ago >= 1 << 31 else ago * 1000 // hz
            print(json.dumps({"gw": gw, "src": ip4(k["src"]), "sport": port(k["sport"]),
                              "dst": ip4(k["dst"]), "dport": port(k["dport"]),
                              "proto": k["proto"], "backend": backends.get(v["backend_id"]),
                              "atime_ns": now - age_ms * 1000000, "age_ms": age_ms}))


if __name__ == "__main__":
    if not sys.argv[1:]:
        sys.exit(__doc__)
    main(sys.argv[1:])
