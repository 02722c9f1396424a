# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Backend servers for the load-balancer netns tests, dual-stack:
#   lb_servers.py tcp PORT NAME   each line is answered with NAME, except
#                                 "peer", answered with the client's address
#   lb_servers.py udp PORT NAME   "ping" is answered with "pong-NAME", "peer"
#                                 with the client's address, anything else
#                                 with "what"
import socket, socketserver, sys

proto, port, name = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode()


def peer(addr):
    a = addr[0]
    return (a[7:] if a.startswith("::ffff:") else a).encode()


if proto == "tcp":
    class H(socketserver.StreamRequestHandler):
        def handle(self):
            for line in self.rfile:
                self.wfile.write((peer(self.client_address) if line == b"peer\n" else name) + b"\n")

    class S(socketserver.ThreadingTCPServer):
        address_family = socket.AF_INET6
        allow_reuse_address = True
        daemon_threads = True

    S(("::", port), H).serve_forever()
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind(("::", port))
while True:
    data, addr = s.recvfrom(2048)
    s.sendto(b"pong-" + name if data == b"ping" else peer(addr) if data == b"peer" else b"what", addr)
