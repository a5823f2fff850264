#!/usr/bin/env python3
"""crowdsec_fake_lapi.py - answers GET /v1/decisions/stream the way a broken or hostile LAPI
would, for crowdsec_bad_input_test.sh: a real LAPI never sends a bad address, a 50 MB body or
truncated JSON, and cannot be made to. It listens on 127.0.0.1 only.

usage: crowdsec_fake_lapi.py PORT KEY DIR
Each request reads DIR/mode (one word) and answers accordingly; DIR/requests gets one line per
request ("startup" or "poll" and the mode). Modes:
  good        startup: a ban on 198.19.176.5 for 1 h; poll: nothing new
  badaddr     a new ban on 198.19.176.6, then one on 198.19.176.999
  badscope    a new ban on 198.19.176.6, then one of scope Galaxy (set aside, counted)
  huge        a 50 MB answer with Content-Length
  hugestream  a 50 MB answer without Content-Length (read until the server closes)
  invalid     a new ban on 198.19.176.6 and a broken list ([... ,}])
  truncated   Content-Length 4096, 200 bytes sent, then the connection closes
  error500    HTTP 500
  hang        no answer until DIR/release exists (at most 120 s); DIR/hanging is written first
  files       (bench/crowdsec_bench.sh) startup: DIR/startup.json; poll: DIR/poll.json, once (it
              is renamed poll.json.served), else nothing new; DIR/fail-once: one HTTP 500 (the
              file is removed), which makes the agent ask for a startup answer again. The
              Unix time (s, to the microsecond) a request arrived goes to DIR/startup.t or
              DIR/poll.t.
A wrong X-Api-Key gets 403 whatever the mode.
"""
import http.server
import json
import os
import sys
import time

PORT, KEY, DIR = int(sys.argv[1]), sys.argv[2], sys.argv[3]


def ban(value, scope="Ip", duration="1h"):
    return {"duration": duration, "id": 1, "origin": "cscli", "scenario": "vosfp-test",
            "scope": scope, "type": "ban", "value": value}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, body, length=None):
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        try:
            self.wfile.write(body)
        except OSError:  # the agent hung up (an answer too big for it): what it should do
            self.close_connection = True

    def do_GET(self):
        mode = open(os.path.join(DIR, "mode")).read().split()[0]
        startup = "startup=true" in self.path
        with open(os.path.join(DIR, "requests"), "a") as f:
            f.write("%s %s\n" % ("startup" if startup else "poll", mode))
        if self.headers.get("X-Api-Key") != KEY:
            return self.answer(403, b'{"message":"access forbidden"}')
        if mode == "good":
            news = [ban("198.19.176.5")] if startup else None
            return self.answer(200, json.dumps({"new": news, "deleted": None}).encode())
        if mode in ("badaddr", "badscope"):
            bad = ban("198.19.176.999") if mode == "badaddr" else ban("M31", scope="Galaxy")
            return self.answer(200, json.dumps({"new": [ban("198.19.176.6"), bad], "deleted": None}).encode())
        if mode in ("huge", "hugestream"):
            one = json.dumps(ban("198.19.176.7")).encode()
            count = 50 * 1024 * 1024 // (len(one) + 1)
            body = b'{"deleted":null,"new":[' + b",".join([one] * count) + b"]}"
            if mode == "huge":
                return self.answer(200, body)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            for at in range(0, len(body), 1 << 20):
                try:
                    self.wfile.write(body[at:at + (1 << 20)])
                except OSError:	# the agent hung up, as it should
                    return
            return
        if mode == "invalid":
            return self.answer(200, b'{"new":[' + json.dumps(ban("198.19.176.6")).encode() + b',}]}')
        if mode == "truncated":
            self.answer(200, json.dumps({"new": [ban("198.19.176.6")] * 3})[:200].encode(), length=4096)
            self.close_connection = True
            return
        if mode == "error500":
            return self.answer(500, b'{"message":"database is locked"}')
        if mode == "files":
            return self.files(startup)
        if mode == "hang":
            open(os.path.join(DIR, "hanging"), "w").close()
            deadline = time.monotonic() + 120
            while not os.path.exists(os.path.join(DIR, "release")) and time.monotonic() < deadline:
                time.sleep(0.05)
            return self.answer(503, b'{"message":"released"}')
        return self.answer(500, b'{"message":"unknown test mode"}')


    def files(self, startup):
        arrived = time.time()
        fail = os.path.join(DIR, "fail-once")
        if os.path.exists(fail):
            os.unlink(fail)
            return self.answer(500, b'{"message":"once"}')
        name = os.path.join(DIR, "startup.json" if startup else "poll.json")
        if not os.path.exists(name):
            return self.answer(200, b'{"new":null,"deleted":null}')
        with open(os.path.join(DIR, ("startup" if startup else "poll") + ".t"), "w") as f:
            f.write("%.6f\n" % arrived)
        body = open(name, "rb").read()
        if not startup:
            os.rename(name, name + ".served")
        return self.answer(200, body)


http.server.ThreadingHTTPServer.daemon_threads = True
http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
