#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Long-lived TCP connections that talk every 100 ms, for the cluster lab.

server PORT NAME
    Answers every line "SEQ" with "NAME SEQ" on IPv4 and IPv6 (so the client sees which
    backend holds the connection). SIGUSR1 closes the listening socket (new
    connections and health checks are refused, established ones go on),
    SIGUSR2 listens again.

client ADDR PORT CONNS SECONDS OUT [--ready FILE] [--interval S] [--gap S]
    Keeps CONNS connections to ADDR:PORT for SECONDS (or until SIGTERM),
    each sending a line every interval (0.1 s). A connection that is reset
    or closed is counted and replaced by a new one. Writes OUT (JSON): per
    connection its local port, the backends that answered, when it started
    and ended and why, and every gap between two answers longer than
    --gap (default 1.5 intervals), as [time of the answer before, length]
    (a connection that ends or the run's end closes a gap too). FILE appears once every connection has had an answer.
Timestamps are time.time() (the shell's `date +%s.%N`).
"""
import json
import os
import selectors
import signal
import socket
import sys
import time


def server(port, name):
    sel = selectors.DefaultSelector()
    state = {"lsock": None, "want": True}

    def listen():
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)  # and IPv4
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        s.bind(("::", port))
        s.listen(256)
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, None)
        state["lsock"] = s

    def on_usr(sig, _frame):
        state["want"] = sig == signal.SIGUSR2

    signal.signal(signal.SIGUSR1, on_usr)
    signal.signal(signal.SIGUSR2, on_usr)
    listen()
    bufs = {}
    while True:
        if state["want"] != (state["lsock"] is not None):
            if state["lsock"] is None:
                listen()
            else:
                sel.unregister(state["lsock"])
                state["lsock"].close()
                state["lsock"] = None
        for key, _ in sel.select(timeout=0.05):
            s = key.fileobj
            if s is state["lsock"]:
                try:
                    c, _ = s.accept()
                except OSError:
                    continue
                c.setblocking(False)
                sel.register(c, selectors.EVENT_READ, None)
                bufs[c] = b""
                continue
            try:
                data = s.recv(4096)
            except OSError:
                data = b""
            if not data:
                sel.unregister(s)
                s.close()
                bufs.pop(s, None)
                continue
            bufs[s] += data
            *lines, bufs[s] = bufs[s].split(b"\n")
            out = b"".join(name.encode() + b" " + l + b"\n" for l in lines)
            try:
                s.sendall(out)
            except OSError:
                pass


class Conn:
    def __init__(self, slot, addr, port, sel, gap_min):
        self.slot = slot
        self.gap_min = gap_min
        self.sock = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET,
                                  socket.SOCK_STREAM)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.setblocking(False)
        self.sock.connect_ex((addr, port))
        self.sport = None
        self.start = time.time()
        self.last = None  # last answer
        self.seq = 0
        self.buf = b""
        self.backends = []
        self.gaps = []
        self.answers = 0
        self.end = None
        self.why = None
        sel.register(self.sock, selectors.EVENT_READ, self)

    def record(self):
        return {"slot": self.slot, "sport": self.sport, "start": self.start,
                "end": self.end, "why": self.why, "answers": self.answers,
                "backends": self.backends, "gaps": self.gaps}

    def answered(self, t):
        if self.last is not None and t - self.last > self.gap_min:
            self.gaps.append([self.last, t - self.last])
        self.last = t


def client(addr, port, nconn, seconds, out, ready=None, interval=0.1, gap=0.15):
    sel = selectors.DefaultSelector()
    stop = {"now": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))
    conns = [Conn(i, addr, port, sel, gap) for i in range(nconn)]
    done = []
    t_end = time.time() + seconds
    next_send = time.time()
    ready_done = False

    def close(c, why):
        sel.unregister(c.sock)
        c.sock.close()
        c.end = time.time()
        c.why = why
        c.answered(c.end)
        done.append(c)
        conns[c.slot] = Conn(c.slot, addr, port, sel, gap)

    while not stop["now"] and time.time() < t_end:
        now = time.time()
        if now >= next_send:
            next_send += interval
            for c in list(conns):
                try:
                    if c.sport is None:
                        c.sport = c.sock.getsockname()[1]
                    c.seq += 1
                    c.sock.send(b"%d\n" % c.seq)
                except BlockingIOError:
                    pass
                except OSError as e:
                    close(c, "reset" if e.errno == 104 else os.strerror(e.errno))
        for key, _ in sel.select(timeout=max(0.0, next_send - time.time())):
            c = key.data
            try:
                data = c.sock.recv(65536)
            except OSError as e:
                close(c, "reset" if e.errno == 104 else os.strerror(e.errno))
                continue
            if not data:
                close(c, "eof")
                continue
            t = time.time()
            c.buf += data
            *lines, c.buf = c.buf.split(b"\n")
            for l in lines:
                name = l.split(b" ")[0].decode()
                if name not in c.backends:
                    c.backends.append(name)
                c.answers += 1
            if lines:
                c.answered(t)
        if not ready_done and ready and all(c.answers for c in conns):
            open(ready, "w").close()
            ready_done = True
    t = time.time()
    for c in conns:
        c.answered(t)
        c.end = t
        c.why = "open"
        done.append(c)
    with open(out + ".tmp", "w") as f:
        json.dump({"end": t, "conns": [c.record() for c in done]}, f)
    os.rename(out + ".tmp", out)


def main(argv):
    if len(argv) >= 3 and argv[0] == "server":
        server(int(argv[1]), argv[2])
    elif len(argv) >= 6 and argv[0] == "client":
        opts = argv[6:]
        ready = opts[opts.index("--ready") + 1] if "--ready" in opts else None
        interval = float(opts[opts.index("--interval") + 1]) if "--interval" in opts else 0.1
        gap = float(opts[opts.index("--gap") + 1]) if "--gap" in opts else 1.5 * interval
        client(argv[1], int(argv[2]), int(argv[3]), float(argv[4]), argv[5], ready, interval, gap)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
