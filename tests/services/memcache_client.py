#!/usr/bin/env python3
"""Loopback memcached client for the S3 service test: a deterministic workload whose printed
summary must be identical with and without the shim (set/get/add/append/incr/decr/delete/
multi-get over 3000 keys, with values of 1 B to 200 KB, from 4 connections in turn)."""

import hashlib
import socket
import sys


class Conn:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.buf = b""

    def line(self):
        while b"\r\n" not in self.buf:
            chunk = self.s.recv(65536)
            if not chunk:
                raise EOFError("connection closed")
            self.buf += chunk
        l, self.buf = self.buf.split(b"\r\n", 1)
        return l

    def exact(self, n):
        while len(self.buf) < n:
            self.buf += self.s.recv(65536)
        d, self.buf = self.buf[:n], self.buf[n:]
        return d

    def cmd(self, c, data=None):
        self.s.sendall(c.encode() + b"\r\n" + (data + b"\r\n" if data is not None else b""))
        return self.line().decode()

    def get(self, *keys):
        self.s.sendall(("get " + " ".join(keys)).encode() + b"\r\n")
        out = {}
        while True:
            l = self.line().decode()
            if l == "END":
                return out
            _, k, _, n = l.split()
            out[k] = self.exact(int(n))
            self.exact(2)


def value(i):
    size = [1, 100, 4000, 70000, 200000][i % 5]
    return (hashlib.sha256(str(i).encode()).hexdigest().encode() * (size // 64 + 1))[:size]


def main():
    port = int(sys.argv[1])
    conns = [Conn(port) for _ in range(4)]
    digest, counts = hashlib.sha256(), {}

    def note(what):
        counts[what] = counts.get(what, 0) + 1
        digest.update(what.encode())

    for i in range(3000):
        c = conns[i % 4]
        note(c.cmd(f"set k{i} {i % 7} 0 {len(value(i))}", value(i)))
    for i in range(3000):
        got = conns[(i + 1) % 4].get(f"k{i}")
        note("get-ok" if got.get(f"k{i}") == value(i) else "get-BAD")
    for i in range(0, 3000, 3):
        note(conns[i % 4].cmd(f"append k{i} 0 0 3", b"xyz"))
        note(conns[i % 4].cmd(f"add k{i} 0 0 1", b"a"))
    for i in range(500):
        note(conns[0].cmd(f"set n{i} 0 0 1", b"5"))
        note("incr-ok" if conns[1].cmd(f"incr n{i} {i}") == str(5 + i) else "incr-BAD")
        note("decr-ok" if conns[2].cmd(f"decr n{i} 3") == str(2 + i) else "decr-BAD")
    for i in range(0, 3000, 2):
        note(conns[i % 4].cmd(f"delete k{i}"))
    multi = conns[3].get(*[f"k{i}" for i in range(0, 60)])
    note(f"multi={len(multi)}")
    for k in sorted(counts):
        print(f"{k}: {counts[k]}")
    print("digest", digest.hexdigest())


if __name__ == "__main__":
    main()
