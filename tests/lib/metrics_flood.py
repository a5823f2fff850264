#!/usr/bin/env python3
"""metrics_flood.py - a bounded connection flood against the agent's /metrics endpoint on
loopback: N idle connections (connect, send nothing) and/or N slowloris-style partial requests (a
request line, then one header byte a second, never the blank line), held while a real scraper is
timed. Talks to loopback addresses only, every connection is closed on exit (also on SIGTERM), and
it never runs longer than --hold seconds.

  metrics_flood.py HOST:PORT [--idle N] [--partial N] [--source ADDR] [--hold S] [--ready FILE]
                   [--reconnect] [--scrape HOST:PORT]

--ready FILE gets 'ready CONNECTED/N' once every connection is established (or after 5 s, with the
count that was). --reconnect opens a new connection for each one the server closes (at most one
per closed connection, so the flood stays at N; the count so far is printed every second). --scrape times one GET /metrics (from
127.0.0.1) while the flood is held and prints 'scrape answered in S s (STATUS)' or 'scrape not
answered in S s: ERROR'; then the flood ends. At the end it prints how many of its connections
the server had closed."""
import argparse
import ipaddress
import os
import resource
import select
import signal
import socket
import sys
import threading
import time

PARTIAL_HEAD = b'GET /metrics HTTP/1.1\r\nHost: flood\r\nX-Slow: '


def loopback(addr):
    if not ipaddress.ip_address(addr).is_loopback:
        sys.exit('metrics_flood.py: %s is not a loopback address; this tool talks to loopback only' % addr)
    return addr


def split_hostport(text):
    host, _, port = text.rpartition(':')
    return loopback(host.strip('[]')), int(port)


def raise_fd_limit(want):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < want:
        new = want if hard == resource.RLIM_INFINITY else min(want, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
        if new < want:
            sys.exit('metrics_flood.py: RLIMIT_NOFILE hard limit %d is below the %d descriptors needed' % (hard, want))


class Conn:
    def __init__(self, sock, partial):
        self.sock = sock
        self.partial = partial
        self.connected = False
        self.closed_by_server = False
        self.sent = 0


def open_flood(target, source, idle, partial):
    family = socket.AF_INET6 if ':' in target[0] else socket.AF_INET
    conns = []
    for i in range(idle + partial):
        s = socket.socket(family, socket.SOCK_STREAM)
        s.setblocking(False)
        if source:
            s.bind((source, 0))
        s.connect_ex(target)
        conns.append(Conn(s, i >= idle))
    return conns


def wait_connected(conns, bound):
    """Poll until every connect completed (or bound seconds passed); partial requests start then."""
    p = select.poll()
    by_fd = {}
    for c in conns:
        p.register(c.sock.fileno(), select.POLLOUT)
        by_fd[c.sock.fileno()] = c
    end = time.monotonic() + bound
    pending = len(conns)
    while pending and time.monotonic() < end:
        for fd, ev in p.poll(100):
            c = by_fd[fd]
            p.unregister(fd)
            pending -= 1
            if c.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0 and not ev & (select.POLLERR | select.POLLHUP):
                c.connected = True
                if c.partial:
                    drip(c, len(PARTIAL_HEAD))
    return sum(c.connected for c in conns)


def drip(c, n):
    """Send the next n bytes of an endless partial request; a failure means the server dropped us."""
    if c.closed_by_server or not c.connected:
        return
    data = (PARTIAL_HEAD + b'a' * (c.sent + n))[c.sent:c.sent + n]
    try:
        c.sent += c.sock.send(data)
    except OSError:
        c.closed_by_server = True


def note_closes(conns, poller, by_fd, timeout_ms, reopen=None):
    """Count the connections the server closed; with reopen, replace each by a new one."""
    for fd, _ in poller.poll(timeout_ms):
        c = by_fd[fd]
        try:
            if c.sock.recv(65536) == b'':
                c.closed_by_server = True
        except BlockingIOError:
            continue
        except OSError:
            c.closed_by_server = True
        if c.closed_by_server:
            poller.unregister(fd)
            del by_fd[fd]
            if reopen:
                reopen(c)


def scrape(hostport, bound):
    """One GET /metrics, timed from connect to the end of the response."""
    host, port = split_hostport(hostport)
    t0 = time.monotonic()
    try:
        s = socket.create_connection((host, port), timeout=bound)
        s.sendall(b'GET /metrics HTTP/1.1\r\nHost: scraper\r\nConnection: close\r\n\r\n')
        resp = b''
        while True:
            s.settimeout(max(0.01, bound - (time.monotonic() - t0)))
            chunk = s.recv(65536)
            if not chunk:
                break
            resp += chunk
        s.close()
    except OSError as e:
        return 'scrape not answered in %.3f s: %s' % (time.monotonic() - t0, e)
    return 'scrape answered in %.3f s (%s, %d bytes)' % (time.monotonic() - t0,
                                                          resp.split(b'\r\n', 1)[0].decode('latin-1'), len(resp))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('target')
    ap.add_argument('--idle', type=int, default=0)
    ap.add_argument('--partial', type=int, default=0)
    ap.add_argument('--source')
    ap.add_argument('--hold', type=float, default=30.0)
    ap.add_argument('--ready')
    ap.add_argument('--scrape')
    ap.add_argument('--reconnect', action='store_true')
    ap.add_argument('--scrape-bound', type=float, default=60.0)
    a = ap.parse_args()
    target = split_hostport(a.target)
    if a.source:
        loopback(a.source)
    if not 0 <= a.idle + a.partial <= 10000 or not 0 < a.hold <= 600:
        sys.exit('metrics_flood.py: at most 10000 connections, held at most 600 s')
    start = time.monotonic()
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    raise_fd_limit(a.idle + a.partial + 64)
    conns = open_flood(target, a.source, a.idle, a.partial)
    try:
        n = wait_connected(conns, 5.0)
        if a.ready:
            with open(a.ready + '.tmp', 'w') as f:
                f.write('ready %d/%d\n' % (n, len(conns)))
            os.rename(a.ready + '.tmp', a.ready)
        print('flood: %d of %d connections established in %.3f s' % (n, len(conns), time.monotonic() - start), flush=True)
        result = []
        if a.scrape:
            t = threading.Thread(target=lambda: result.append(scrape(a.scrape, a.scrape_bound)), daemon=True)
            t.start()
        poller = select.poll()
        by_fd = {}
        reopened = []

        def watch(c):
            poller.register(c.sock.fileno(), select.POLLIN)
            by_fd[c.sock.fileno()] = c

        def reopen(c):
            c.sock.close()
            fresh = Conn(socket.socket(socket.AF_INET6 if ':' in target[0] else socket.AF_INET), c.partial)
            try:
                if a.source:
                    fresh.sock.bind((a.source, 0))
                fresh.sock.settimeout(0.5)
                fresh.sock.connect(target)
                fresh.sock.setblocking(False)
            except OSError:
                fresh.sock.close()
                return
            fresh.connected = True
            if fresh.partial:
                drip(fresh, len(PARTIAL_HEAD))
            conns.append(fresh)
            reopened.append(1)
            watch(fresh)

        for c in conns:
            if c.connected and not c.closed_by_server:
                watch(c)
        next_drip = time.monotonic() + 1.0
        while not stop and time.monotonic() - start < a.hold:
            note_closes(conns, poller, by_fd, 100, reopen if a.reconnect else None)
            if time.monotonic() >= next_drip:
                next_drip += 1.0
                for c in conns:
                    if c.partial:
                        drip(c, 1)
                if reopened:
                    print('flood: %d connections reopened so far' % len(reopened), flush=True)
            if a.scrape and result:
                print(result[0], flush=True)
                break
        if reopened:
            print('flood: %d connections reopened' % len(reopened), flush=True)
        note_closes(conns, poller, by_fd, 0)
    finally:
        for c in conns:
            c.sock.close()
    closed = sum(c.closed_by_server for c in conns)
    print('flood: the server closed %d of %d; all %d closed here after %.1f s' %
          (closed, len(conns), len(conns), time.monotonic() - start), flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
