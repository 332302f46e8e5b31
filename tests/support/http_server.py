#!/usr/bin/env python3
"""A stand-in for the Hugging Face hub, for tests on a machine without internet.

Serves ROOT/<org>/<repo>/<file> at /<org>/<repo>/resolve/<revision>/<file> the way the hub does: weight
files (.safetensors, .bin) are answered with a 302 to /cdn/<org>/<repo>/<file> that carries X-Linked-Etag
(their sha256) and X-Linked-Size; other files are served directly. Range requests get 206 (or 416). Faults on
demand: 404 for some files, a transfer cut after N bytes (once per file), corrupted bytes, Range ignored.

Binds 127.0.0.1 on a free port, prints the port on stdout, logs one JSON line per request to --log, and exits
by itself after --lifetime seconds (the tests also kill it when they end).
"""
import argparse
import hashlib
import http.server
import json
import os
import socket
import sys
import threading
import time

CHUNK = 1 << 16
LFS_SUFFIXES = (".safetensors", ".bin")


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--root", required=True, help="directory laid out as <org>/<repo>/<file>")
    p.add_argument("--log", help="append one JSON line per request here")
    p.add_argument("--lifetime", type=float, default=120, help="seconds before the server exits on its own")
    p.add_argument("--not-found", action="append", default=[], metavar="FILE", help="answer 404 for this file name")
    p.add_argument("--cut", action="append", default=[], metavar="FILE:BYTES",
                   help="close the first transfer of FILE after BYTES body bytes")
    p.add_argument("--corrupt", action="append", default=[], metavar="FILE",
                   help="flip one byte of FILE in every transfer (X-Linked-Etag stays the true digest)")
    p.add_argument("--ignore-range", action="store_true", help="answer Range requests with 200 and the whole file")
    p.add_argument("--no-linked-etag", action="store_true", help="redirect weight files without X-Linked-Etag")
    return p.parse_args()


class HubHandler(http.server.BaseHTTPRequestHandler):
    server_version = "fake-hub"
    args = None
    cuts = {}  # file name -> bytes to send before cutting; removed once used
    lock = threading.Lock()

    def log_message(self, *_):
        pass

    def do_HEAD(self):
        self.handle_request(send_body=False)

    def do_GET(self):
        self.handle_request(send_body=True)

    def handle_request(self, send_body):
        self.record()
        parts = self.path.split("?")[0].strip("/").split("/")
        if len(parts) == 5 and parts[2] == "resolve":
            self.resolve(parts[0], parts[1], parts[4], send_body)
        elif len(parts) == 4 and parts[0] == "cdn":
            self.serve_file(parts[1], parts[2], parts[3], send_body)
        else:
            self.send_error(404)

    def record(self):
        if not self.args.log:
            return
        entry = {"method": self.command, "path": self.path, "range": self.headers.get("Range")}
        with self.lock, open(self.args.log, "a") as log:
            log.write(json.dumps(entry) + "\n")

    def local_path(self, org, repo, name):
        # normpath, not realpath: the tests' files may be symlinks to tests/data.
        root = os.path.abspath(self.args.root)
        path = os.path.normpath(os.path.join(root, org, repo, name))
        if not path.startswith(root + os.sep) or not os.path.isfile(path) or name in self.args.not_found:
            return None
        return path

    def resolve(self, org, repo, name, send_body):
        path = self.local_path(org, repo, name)
        if path is None:
            self.send_error(404, "Entry not found")
            return
        if not name.endswith(LFS_SUFFIXES):
            self.serve_file(org, repo, name, send_body)
            return
        self.send_response(302)
        self.send_header("Location", f"/cdn/{org}/{repo}/{name}")
        if not self.args.no_linked_etag:
            with open(path, "rb") as f:
                digest = hashlib.sha256(f.read()).hexdigest()
            self.send_header("X-Linked-Etag", f'"{digest}"')
            self.send_header("X-Linked-Size", str(os.path.getsize(path)))
        self.send_header("Content-Length", "0")
        self.end_headers()

    def serve_file(self, org, repo, name, send_body):
        path = self.local_path(org, repo, name)
        if path is None:
            self.send_error(404, "Entry not found")
            return
        with open(path, "rb") as f:
            data = bytearray(f.read())
        if name in self.args.corrupt and data:
            data[len(data) // 2] ^= 0xFF
        start = self.range_start()
        if start is not None and start >= len(data):
            self.send_response(416)
            self.send_header("Content-Range", f"bytes */{len(data)}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if start is None:
            self.send_response(200)
            body = data
        else:
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            body = data[start:]
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        if send_body:
            self.send_body(name, body)

    # "bytes=N-" or "bytes=N-M" (M ignored: clients here only resume); None for no or ignored Range.
    def range_start(self):
        value = self.headers.get("Range")
        if not value or self.args.ignore_range or not value.startswith("bytes="):
            return None
        return int(value[len("bytes="):].split("-")[0])

    def send_body(self, name, body):
        with self.lock:
            limit = self.cuts.pop(name, None)
        if limit is not None:
            body = body[:limit]
        try:
            for at in range(0, len(body), CHUNK):
                self.wfile.write(body[at:at + CHUNK])
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            return
        if limit is not None:
            # Fewer bytes than Content-Length promised, then a closed connection: an interrupted download.
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True


def main():
    args = parse_args()
    HubHandler.args = args
    for spec in args.cut:
        name, count = spec.rsplit(":", 1)
        HubHandler.cuts[name] = int(count)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), HubHandler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(server.server_address[1], flush=True)
    time.sleep(args.lifetime)
    sys.exit(0)


if __name__ == "__main__":
    main()
