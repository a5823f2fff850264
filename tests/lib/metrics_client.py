#!/usr/bin/env python3
"""metrics_client.py - the HTTP side of tests/integration/metrics_test.sh: scrape, raw requests,
slow clients, and reading or comparing figures. Standard library only; talks to 127.0.0.1 only. Every socket has a
timeout, so nothing here can hang the test."""
import json
import re
import socket
import sys
import time
import urllib.error
import urllib.request

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse(path):
    """{(name, frozenset(labels)): value} of every sample in an exposition file."""
    out = {}
    with open(path) as f:
        for line in f:
            line = line.rstrip('\n')
            if not line or line.startswith('#'):
                continue
            m = SAMPLE.match(line)
            if not m:
                raise SystemExit('unparsable line: %r' % line)
            labels = frozenset((k, v.encode().decode('unicode_escape')) for k, v in LABEL.findall(m.group(3) or ''))
            out[(m.group(1), labels)] = float(m.group(4))
    return out


def key(name, **labels):
    return (name, frozenset(labels.items()))


def cmd_free_port(first=None, last=None):
    """A TCP port free on 127.0.0.1: any, or the first free one from FIRST to LAST."""
    for port in range(int(first), int(last) + 1) if first else [0]:
        s = socket.socket()
        try:
            s.bind(('127.0.0.1', port))
            print(s.getsockname()[1])
            return 0
        except OSError:
            pass
        finally:
            s.close()
    print('no free port from %s to %s' % (first, last))
    return 1


def cmd_scrape(hostport, out):
    """GET http://HOSTPORT/metrics (127.0.0.1:N or [::1]:N): exit 0 and write the body on 200 with
    the exposition's content type; print what went wrong otherwise."""
    try:
        with urllib.request.urlopen('http://%s/metrics' % hostport, timeout=5) as r:
            body = r.read()
            ctype = r.headers.get('Content-Type', '')
    except (urllib.error.URLError, OSError) as e:
        print('scrape failed: %s' % e)
        return 1
    with open(out, 'wb') as f:
        f.write(body)
    if not ctype.startswith('text/plain; version=0.0.4'):
        print('Content-Type: %s' % ctype)
        return 1
    return 0


def cmd_raw(port, request):
    """Send the request (Python escapes allowed), print the response's status line."""
    data = request.encode().decode('unicode_escape').encode('latin-1')
    s = socket.create_connection(('127.0.0.1', int(port)), timeout=5)
    try:
        s.sendall(data)
    except OSError:
        pass  # refused half-way (oversized): the answer is still there to read
    resp = b''
    try:
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            resp += chunk
    except OSError:
        pass
    s.close()
    print(resp.split(b'\r\n', 1)[0].decode('latin-1'))
    return 0


def cmd_slow(port, mode, seconds, out):
    """A client that stays connected for up to `seconds` without ever completing a request:
    'silent' sends nothing, 'drip' one byte a second, 'trickle' one byte every 50 ms (a wakeup of
    the agent's poll far more often than its 100 ms reload debounce). Writes 'connected', then how
    it ended: 'dropped after N' (the server closed it) or 'still open after N'."""
    interval = {'silent': 1.0, 'drip': 1.0, 'trickle': 0.05}[mode]
    start = time.monotonic()
    s = socket.create_connection(('127.0.0.1', int(port)), timeout=5)
    with open(out, 'w') as f:
        f.write('connected\n')
    request = b'GET /metrics HTTP/1.1\r\nX-Slow: ' + b'a' * 2000   # no end within 5 s at 20 B/s
    i = 0
    ended = None
    s.settimeout(interval)
    while time.monotonic() - start < float(seconds):
        if mode != 'silent' and i < len(request):
            try:
                s.send(request[i:i + 1])
            except OSError:
                ended = 'dropped'
                break
            i += 1
        try:
            if s.recv(4096) == b'':
                ended = 'dropped'
                break
        except socket.timeout:
            pass
        except OSError:
            ended = 'dropped'
            break
    s.close()
    with open(out, 'a') as f:
        f.write('%s after %.1f\n' % (ended or 'still open', time.monotonic() - start))
    return 0


def cmd_value(path, name, *labels):
    """Print one sample's value as an integer (labels as k=v); 'missing' when absent."""
    v = parse(path).get(key(name, **dict(l.split('=', 1) for l in labels)))
    print('missing' if v is None else '%d' % v)
    return 0


def cmd_equal(scrape, stats_json):
    """Every figure of --stats --json must equal the scrape's, and the scrape must have no
    per-interface or list sample the JSON lacks. Prints each difference; exit 1 if any."""
    m = parse(scrape)
    j = json.load(open(stats_json))
    diffs = []
    seen = set()

    def want(k, v):
        seen.add(k)
        if m.get(k) != v:
            diffs.append('%s %s: scrape %s, json %s' % (k[0], dict(k[1]), m.get(k), v))

    for verdict, v in j['counters'].items():
        action = {'passed': 'pass', 'redirected': 'redirect'}.get(verdict, 'drop')
        want(key('vosfp_datapath_packets_total', verdict=verdict, action=action), v)
    for iface in j['interfaces']:
        for what in ('packets', 'bytes'):
            for verdict, v in iface[what].items():
                action = {'passed': 'pass', 'redirected': 'redirect'}.get(verdict, 'drop')
                want(key('vosfp_%s_total' % what, interface=iface['name'], verdict=verdict, action=action), v)
    for lst, fams in j['lists'].items():
        for fam, v in fams.items():
            want(key('vosfp_list_entries', list=lst, family=fam), v)
    for name, mode in j['xdp_modes'].items():
        want(key('vosfp_xdp_mode', interface=name, mode=mode), 1)
    want(key('vosfp_dynamic_blocks'), j['dynamic_blocks'])
    for k in m:
        if k[0] in ('vosfp_packets_total', 'vosfp_bytes_total', 'vosfp_datapath_packets_total',
                    'vosfp_list_entries', 'vosfp_xdp_mode') and k not in seen:
            diffs.append('%s %s: in the scrape only' % (k[0], dict(k[1])))
    for d in diffs:
        print(d)
    return 1 if diffs else 0


def cmd_dashboard_names(dashboard):
    """Metric names used by the dashboard's expressions, one a line."""
    d = json.load(open(dashboard))
    names = set()

    def walk(o):
        if isinstance(o, dict):
            for k, v in o.items():
                if k == 'expr' and isinstance(v, str):
                    names.update(re.findall(r'\bvosfp_[a-zA-Z0-9_]+', v))
                else:
                    walk(v)
        elif isinstance(o, list):
            for v in o:
                walk(v)
    walk(d)
    for n in sorted(names):
        print(n)
    return 0


def dashboard_exprs(o):
    if isinstance(o, dict):
        for k, v in o.items():
            if k == 'expr' and isinstance(v, str):
                yield v
            else:
                yield from dashboard_exprs(v)
    elif isinstance(o, list):
        for v in o:
            yield from dashboard_exprs(v)


def cmd_dashboard_rules(dashboard, out):
    """Every expression of the dashboard as a recording rule (Grafana's variables replaced by
    what they stand for), so `promtool check rules` parses each as PromQL."""
    d = json.load(open(dashboard))
    with open(out, 'w') as f:
        f.write('groups:\n  - name: dashboard\n    rules:\n')
        for i, e in enumerate(dashboard_exprs(d)):
            e = e.replace('$__rate_interval', '5m').replace('$instance', '.*').replace('$interface', '.*')
            f.write('      - record: dashboard:expr_%d\n        expr: %s\n' % (i, json.dumps(e)))
    return 0


def cmd_scrape_names(scrape):
    for n in sorted({k[0] for k in parse(scrape)}):
        print(n)
    return 0


if __name__ == '__main__':
    cmds = {'free-port': cmd_free_port, 'scrape': cmd_scrape, 'raw': cmd_raw, 'slow': cmd_slow,
            'value': cmd_value, 'equal': cmd_equal, 'dashboard-names': cmd_dashboard_names,
            'scrape-names': cmd_scrape_names, 'dashboard-rules': cmd_dashboard_rules}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        sys.exit('usage: metrics_client.py %s ARGS...' % '|'.join(cmds))
    sys.exit(cmds[sys.argv[1]](*sys.argv[2:]) or 0)
