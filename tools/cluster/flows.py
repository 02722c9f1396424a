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
    one whose entry is youngest. IPv4 only, like the cluster lab.
"""
import ipaddress
import json
import subprocess
import sys
import time


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


def main(args):
    for arg in args:
        gw, pin = arg.split("=", 1)
        backends = {e["key"]: ip4(e["value"]["addr"]) for e in dump(pin, "xgw_backends")
                    if e["value"]["family"]}
        now = time.monotonic_ns()
        for e in dump(pin, "xgw_conntrack"):
            k, v = e["key"], e["value"]
            print(json.dumps({"gw": gw, "src": ip4(k["src"]), "sport": port(k["sport"]),
                              "dst": ip4(k["dst"]), "dport": port(k["dport"]),
                              "proto": k["proto"], "backend": backends.get(v["backend_id"]),
                              "atime_ns": v["atime_ns"],
                              "age_ms": (now - v["atime_ns"]) // 1000000}))


if __name__ == "__main__":
    if not sys.argv[1:]:
        sys.exit(__doc__)
    main(sys.argv[1:])
