#!/usr/bin/env python3
"""A fake CloudShark server for the integration tests (Python 3 stdlib only).

Keeps to the documented API (https://support.cloudshark.io/api/):

  POST /api/v1/TOKEN/upload        multipart/form-data: file (required), filename,
                                   additional_tags (comma-separated)
  PUT  /api/v1/TOKEN/upload        body = the capture; ?filename=...&additional_tags=...
                                   both reply 200 {"filename": ..., "id": ...}
  GET  /api/v1/TOKEN/search        ?search[filename]=SUBSTRING  ?search[tags][]=TAG (repeatable)
                                   ?search[limit]=N (default 10) ?search[page]=P (from 1)
                                   reply 200 {"captures": [INFO, ...], "total_count": N,
                                   "page": P, "per_page": N}, oldest upload first
  GET  /api/v1/TOKEN/info/ID       reply 200 INFO (id, filename, tag_list, size, created_at, ...)
  POST /api/v1/TOKEN/delete/ID     reply 200 {"status": 200, "message": "capture deleted"}

Errors are {"status": CODE, "exceptions": [TEXT, ...]}: 401 for an unknown token, 422 for
an upload that is not pcap/pcapng (magic checked), 404 for an unknown capture or call.

Test controls (not part of CloudShark):
  GET  /__state   {"uploads": [...with "sha256", "size", "tags", "method"],
                   "deleted": [ids], "captures": [ids still present], "requests": N}
  --fail-503 N    answer the first N API requests with 503 (then behave normally)
  POST /__fail?count=N   same, at run time

Usage: fake_cloudshark.py [--port P (0 = any)] --token T [--token T2 ...] [--fail-503 N]
Prints the port on stdout once listening on 127.0.0.1.
"""

import argparse
import email.parser
import email.policy
import hashlib
import json
import secrets
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PCAP_MAGICS = {b"\xa1\xb2\xc3\xd4", b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\x3c\x4d", b"\x4d\x3c\xb2\xa1",
               b"\x0a\x0d\x0d\x0a"}


class State:
    def __init__(self, tokens, fail_503):
        self.lock = threading.Lock()
        self.tokens = set(tokens)
        self.fail_503 = fail_503
        self.captures = {}     # id -> info dict (insertion order = upload order)
        self.blobs = {}        # id -> bytes
        self.uploads = []      # every accepted upload, deleted or not
        self.deleted = []
        self.requests = 0


def make_handler(state):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "FakeCloudShark/1.0"

        def log_message(self, fmt, *args):  # quiet
            pass

        # ---------------------------------------------------------------- helpers
        def reply(self, code, obj):
            body = json.dumps(obj).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def error(self, code, *exceptions):
            self.reply(code, {"status": code, "exceptions": list(exceptions)})

        def body(self):
            n = int(self.headers.get("Content-Length") or 0)
            if self.headers.get("Expect", "").lower() == "100-continue":
                pass  # http.server already answered 100 Continue (protocol HTTP/1.1)
            return self.rfile.read(n) if n else b""

        def route(self, method):
            url = urllib.parse.urlsplit(self.path)
            query = urllib.parse.parse_qs(url.query, keep_blank_values=True)
            parts = [urllib.parse.unquote(p) for p in url.path.split("/") if p]
            if parts[:1] == ["__state"] and method == "GET":
                return self.admin_state()
            if parts[:1] == ["__fail"] and method == "POST":
                self.body()
                with state.lock:
                    state.fail_503 = int(query.get("count", ["1"])[0])
                return self.reply(200, {"fail_503": state.fail_503})
            data = self.body() if method in ("POST", "PUT") else b""
            with state.lock:
                state.requests += 1
                if state.fail_503 > 0:
                    state.fail_503 -= 1
                    return self.error(503, "Service temporarily unavailable")
            if len(parts) < 4 or parts[0] != "api" or parts[1] != "v1":
                return self.error(404, "No such API call")
            token, call, rest = parts[2], parts[3], parts[4:]
            if token not in state.tokens:
                return self.error(401, "API token is invalid or has no permission for this call")
            if call == "upload" and method in ("POST", "PUT") and not rest:
                return self.upload(method, data, query)
            if call == "search" and method == "GET" and not rest:
                return self.search(query)
            if call == "info" and method == "GET" and len(rest) == 1:
                return self.info(rest[0])
            if call == "delete" and method == "POST" and len(rest) == 1:
                return self.delete(rest[0])
            return self.error(404, "No such API call")

        # ---------------------------------------------------------------- calls
        def upload(self, method, data, query):
            filename = query.get("filename", [""])[0]
            tags = query.get("additional_tags", [""])[0]
            content = None
            if method == "POST":
                ctype = self.headers.get("Content-Type", "")
                if not ctype.startswith("multipart/form-data"):
                    return self.error(422, "Expected multipart/form-data with a 'file' field")
                msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                    b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + data)
                for part in msg.iter_parts():
                    name = part.get_param("name", header="content-disposition")
                    payload = part.get_payload(decode=True) or b""
                    if name == "file":
                        content = payload
                        filename = filename or part.get_filename() or ""
                    elif name == "filename":
                        filename = payload.decode()
                    elif name == "additional_tags":
                        tags = payload.decode()
                if content is None:
                    return self.error(422, "No file was uploaded (field 'file')")
            else:
                content = data
            if content[:4] not in PCAP_MAGICS:
                return self.error(422, "The uploaded file is not a supported capture file")
            cid = secrets.token_hex(6)
            filename = filename or ("upload-%s.pcap" % cid)
            info = {
                "id": cid,
                "filename": filename,
                "tag_list": tags,
                "size": len(content),
                "created_at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()),
                "file_source": "upload",
            }
            with state.lock:
                state.captures[cid] = info
                state.blobs[cid] = content
                state.uploads.append(dict(info, method=method,
                                          sha256=hashlib.sha256(content).hexdigest(),
                                          tags=[t for t in tags.split(",") if t]))
            return self.reply(200, {"filename": filename, "id": cid})

        def search(self, query):
            substring = query.get("search[filename]", [""])[0]
            want_tags = query.get("search[tags][]", [])
            try:
                limit = int(query.get("search[limit]", ["10"])[0])
                page = int(query.get("search[page]", ["1"])[0])
            except ValueError:
                return self.error(422, "limit and page must be numbers")
            if limit < 1 or page < 1:
                return self.error(422, "limit and page must be positive")
            with state.lock:
                found = [dict(c) for c in state.captures.values()
                         if substring in c["filename"]
                         and all(t in c["tag_list"].split(",") for t in want_tags)]
            chunk = found[(page - 1) * limit: page * limit]
            return self.reply(200, {"captures": chunk, "total_count": len(found), "page": page,
                                    "per_page": limit})

        def info(self, cid):
            with state.lock:
                c = state.captures.get(cid)
            if c is None:
                return self.error(404, "Capture %s not found" % cid)
            return self.reply(200, c)

        def delete(self, cid):
            with state.lock:
                if cid not in state.captures:
                    return self.error(404, "Capture %s not found" % cid)
                del state.captures[cid]
                del state.blobs[cid]
                state.deleted.append(cid)
            return self.reply(200, {"status": 200, "message": "capture deleted"})

        def admin_state(self):
            with state.lock:
                self.reply(200, {"uploads": state.uploads, "deleted": state.deleted,
                                 "captures": list(state.captures), "requests": state.requests,
                                 "fail_503": state.fail_503})

        def do_GET(self):
            self.route("GET")

        def do_POST(self):
            self.route("POST")

        def do_PUT(self):
            self.route("PUT")

        def do_DELETE(self):
            self.body()
            self.error(404, "No such API call")

    return Handler


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--token", action="append", required=True)
    ap.add_argument("--fail-503", type=int, default=0)
    args = ap.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(State(args.token, args.fail_503)))
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
