#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Hostile clients of xgwd's control socket and metrics port (tests only).

  ctlfuzz.py stall SOCK METRICS_ADDR PORT SECONDS
      8 control clients that never finish their request, 1 that sends a
      byte every 1.5 s, 100 half-open metrics connections; all held for
      SECONDS, then closed. Prints "ready" once they are all connected.
  ctlfuzz.py fuzz SOCK SEED COUNT
      COUNT requests that must change nothing: garbage, valid writes cut
      at random points, lengths that lie (short, over the maximum), bad
      headers, NUL bytes, a missing final newline. Prints one line per
      kind: "KIND sent N answered-ERR M".
  ctlfuzz.py loris ADDR PORT N SECONDS
      N metrics connections that send a request's header a byte every 2 s
      (never idle long enough for an idle timeout) for SECONDS. Prints
      "ready" once they are connected.
  ctlfuzz.py concurrent SOCK N PREFIX
      N clients at once, each a complete 'route add PREFIX.I.0/24
      blackhole'; prints how many answered OK.
The seed is printed so a failure replays.
"""
import os
import random
import socket
import sys
import threading
import time

MAX_BODY = 1 << 30


def header(length, batch=0, json=0):
    return b"XGW/2 json=%d pretty=0 batch=%d length=%d\n" % (json, batch, length)


def request(lines, batch=0):
    body = "".join(l + "\n" for l in lines).encode()
    return header(len(body), batch) + body


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(15)
    s.connect(path)
    return s


def exchange(path, data, shut=True):
    """Send data (as much as the server takes), then read the reply."""
    s = connect(path)
    try:
        s.sendall(data)
    except OSError:
        pass
    if shut:
        try:
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass
    out = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            out += b
    except OSError:
        pass
    s.close()
    return out


def stall(path, maddr, mport, secs):
    held = []
    for i in range(8):
        s = connect(path)
        s.sendall(b"XGW/2 json=0 pretty=0 batch=0 length=100\nroute sh")
        held.append(s)
    trickle = connect(path)
    held.append(trickle)
    for i in range(100):
        m = socket.create_connection((maddr, int(mport)))
        if i % 2:
            m.sendall(b"GET /metr")
        held.append(m)
    print("ready", flush=True)
    msg = request(["route show"])
    end = time.time() + float(secs)
    i = 0
    while time.time() < end:
        if i < len(msg):
            try:
                trickle.sendall(msg[i:i + 1])
            except OSError:
                break
            i += 1
        time.sleep(1.5)
    for s in held:
        s.close()


def loris(addr, port, n, secs):
    held = []
    for i in range(int(n)):
        m = socket.create_connection((addr, int(port)))
        m.sendall(b"GET /metrics HTTP/1.1\r\n")
        held.append(m)
    print("ready", flush=True)
    end = time.time() + float(secs)
    while time.time() < end:
        for m in held:
            try:
                m.sendall(b"X")
            except OSError:
                pass
        time.sleep(2)
    for m in held:
        m.close()


def fuzz(path, seed, count):
    rnd = random.Random(seed)
    print("seed %d" % seed, flush=True)
    writes = ["route add 10.55.%d.0/24 blackhole" % i for i in range(256)] + \
             ["backend del 10.77.0.100:80/tcp 10.77.0.250",
              "route del 10.77.0.0/16", "link detach xa",
              "set latency-sample 5", "route add 10.56.0.0/16 via 10.77.0.2"]
    kinds = {}

    def note(kind, reply):
        sent, err = kinds.get(kind, (0, 0))
        kinds[kind] = (sent + 1, err + reply.startswith(b"ERR"))

    for n in range(count):
        k = rnd.randrange(7)
        if k == 0:      # garbage
            data = bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 300)))
            note("garbage", exchange(path, data))
        elif k == 1:    # a valid write, cut anywhere before its end
            lines = rnd.sample(writes, rnd.randrange(1, 4))
            full = request(lines, batch=rnd.randrange(2))
            note("cut", exchange(path, full[:rnd.randrange(len(full))]))
        elif k == 2:    # the length says more than comes
            body = request([rnd.choice(writes)])
            hl = body.index(b"\n") + 1
            extra = rnd.randrange(1, 50)
            data = header(len(body) - hl + extra) + body[hl:]
            note("short", exchange(path, data))
        elif k == 3:    # over the maximum
            data = header(MAX_BODY + rnd.randrange(1, 1 << 20)) + b"route show\n"
            note("oversized", exchange(path, data))
        elif k == 4:    # a mutated header
            h = bytearray(header(30))
            for _ in range(rnd.randrange(1, 4)):
                h[rnd.randrange(len(h) - 1)] = rnd.randrange(256)
            # whatever the mutation makes of it, this body never parses
            note("bad-header", exchange(path, bytes(h) + b"route add 10.57.0.0/16 frobnicate\n"))
        elif k == 5:    # a NUL byte, or no final newline
            line = rnd.choice(writes).encode()
            if rnd.randrange(2):
                i = rnd.randrange(len(line))
                body = line[:i] + b"\0" + line[i:] + b"\n"
            else:
                body = line
            note("nul-or-no-newline", exchange(path, header(len(body)) + body))
        else:           # a valid header, a body of random words
            words = [rnd.choice(["route", "add", "del", "10.55.0.0/24", "via",
                                 "blackhole", "link", "attach", "xa", "set",
                                 "backend", "service", "10.77.0.100:80/tcp"])
                     for _ in range(rnd.randrange(1, 8))]
            # only lines that cannot parse, or writes that cannot apply
            body = (" ".join(words) + " frobnicate\n").encode()
            note("bad-words", exchange(path, header(len(body), batch=1) + body))
    for kind in sorted(kinds):
        print("%s sent %d answered-ERR %d" % (kind, kinds[kind][0], kinds[kind][1]))


def concurrent(path, n, prefix):
    ok = [0]
    lock = threading.Lock()

    def one(i):
        r = exchange(path, request(["route add %s.%d.0/24 blackhole" % (prefix, i)]))
        if r.startswith(b"OK length="):
            with lock:
                ok[0] += 1
    ts = [threading.Thread(target=one, args=(i,)) for i in range(int(n))]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    print(ok[0])


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "stall":
        stall(*sys.argv[2:6])
    elif cmd == "fuzz":
        seed = int(sys.argv[3]) if sys.argv[3] != "-" else int.from_bytes(os.urandom(4), "big")
        fuzz(sys.argv[2], seed, int(sys.argv[4]))
    elif cmd == "loris":
        loris(*sys.argv[2:6])
    elif cmd == "concurrent":
        concurrent(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        sys.exit("usage: see the top of " + sys.argv[0])
