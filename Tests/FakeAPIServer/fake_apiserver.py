#!/usr/bin/env python3
"""A fake Kubernetes API server for ClusterDNS's list/watch client tests.

No kube-apiserver can be installed on the build machines, so this file stands in
for one.  It is Python 3.11 standard library only, listens on 127.0.0.1 only, and
reproduces the behaviour of the real server that a list/watch client can observe
(see /work/shared/reference/kubernetes-api.md and Tests/FakeAPIServer/README.md):

* One global resourceVersion (RV) counter shared by every resource, advanced by
  random, non-contiguous steps, sent as decimal strings (clients must treat them
  as opaque).
* LIST: items WITHOUT kind/apiVersion (as the real server); `limit`/`continue`
  paging where every page shows the snapshot RV of the first page; continue
  tokens expire (HTTP 410 Expired) after a compaction; `resourceVersion` with
  `resourceVersionMatch` NotOlderThan/Exact (Exact below the compaction point ->
  410, beyond the current RV -> 504 "Too large resource version").
  Bodies are sent with chunked encoding in chunks of random sizes.
* WATCH: replay of history after the given RV then live events; an RV older than
  the compaction point gets one ERROR event (Status 410 Expired) in a 200
  response, exactly as the watch cache does; ADDED/MODIFIED/DELETED carry the
  full object WITH kind/apiVersion; DELETED carries the last state with a new RV;
  objects that stop/start matching a selector arrive as DELETED/ADDED; irregular
  BOOKMARKs (and one shortly before the timeoutSeconds deadline) when asked for,
  shaped like the real ones (`creationTimestamp: null`, empty spec, `null`
  lists); `timeoutSeconds` ends the stream cleanly.  The event stream is cut
  into chunks at random points, unrelated to event boundaries.
* Streaming lists (WatchList, sendInitialEvents=true): served (`on`), refused
  with 422 as a server with the WatchList gate off (`reject`), or silently
  ignored as an old server does - no initial-events-end bookmark (`ignore`).
* Bearer-token auth (401 Status otherwise), token rotation that closes watches
  using the old token, optional client-certificate (mTLS) auth, TLS.
* Faults driven from a control API under /fake/: compaction, dropped or stalled
  watches, refused connections, 503, 429 with Retry-After.
* Discovery (/version, /api, /api/v1, /apis, /apis/discovery.k8s.io/v1) enough
  for kubectl and the official Python client.

Known simplifications: a watch or Exact list from any RV handed out before a
compaction gets 410 (etcd would still accept exactly the compaction revision; the
tests want a deterministic relist); `limit` is honoured even with RV=0 (the real
watch cache may ignore it); JSON only (no protobuf, no Table); HTTP/1.1 only.
"""
import argparse
import copy
import json
import os
import random
import re
import select
import signal
import socket
import ssl
import sys
import threading
import time
import uuid
import base64
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

# resource -> (kind, apiVersion, path prefix, namespaced)
RESOURCES = {
    "services": ("Service", "v1", "/api/v1", True),
    "endpointslices": ("EndpointSlice", "discovery.k8s.io/v1", "/apis/discovery.k8s.io/v1", True),
    "namespaces": ("Namespace", "v1", "/api/v1", False),
    "pods": ("Pod", "v1", "/api/v1", True),
}
KIND_TO_RESOURCE = {v[0]: k for k, v in RESOURCES.items()}
SHORT_NAMES = {"services": ["svc"], "namespaces": ["ns"], "pods": ["po"], "endpointslices": []}
# What a real bookmark object looks like besides its metadata (zero values of the Go structs).
BOOKMARK_BODY = {
    "services": {"spec": {}, "status": {"loadBalancer": {}}},
    "endpointslices": {"addressType": "", "endpoints": None},
    "namespaces": {"spec": {}, "status": {}},
    "pods": {"spec": {"containers": None}, "status": {}},
}
FIELD_LABELS = {"metadata.name", "metadata.namespace", "status.phase", "spec.nodeName"}


def dumps(obj):
    return json.dumps(obj, separators=(",", ":"))


class Obj(dict):
    """A stored object (never mutated once stored), with its two JSON forms serialized once:
    `full` (with kind/apiVersion, for watch events and GET) and `item` (without, for LIST)."""
    __slots__ = ("full", "item")


def freeze(d, fresh=False):
    o = Obj(d if fresh else json.loads(dumps(d)))   # json round trip: a faster deep copy
    o.full = dumps(o).encode()
    o.item = dumps({k: v for k, v in o.items() if k not in ("kind", "apiVersion")}).encode()
    return o


def thaw(o):
    return json.loads(o.full)


def parse_bool(v, name):
    """As Go's strconv.ParseBool, which the API server uses ("True" comes from older Python clients)."""
    if v is None or v == "":
        return None
    if v in ("1", "t", "T", "true", "TRUE", "True"):
        return True
    if v in ("0", "f", "F", "false", "FALSE", "False"):
        return False
    raise ApiError(400, "BadRequest", f"invalid boolean value {v!r} for {name}")


def status_obj(code, reason, message, details=None):
    s = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
         "message": message, "reason": reason, "code": code}
    if details:
        s["details"] = details
    return s


class ApiError(Exception):
    def __init__(self, code, reason, message, headers=None):
        super().__init__(message)
        self.status = status_obj(code, reason, message)
        self.code = code
        self.headers = headers or {}


# ---------------------------------------------------------------- selectors

def parse_label_selector(text):
    """Returns a predicate on labels; supports k=v, k==v, k!=v, k, !k, k in (..), k notin (..)."""
    reqs = []
    for term in re.split(r",(?![^()]*\))", text or ""):
        term = term.strip()
        if not term:
            continue
        m = re.fullmatch(r"([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)", term)
        if m:
            vals = {v.strip() for v in m.group(3).split(",") if v.strip()}
            reqs.append((m.group(2), m.group(1), vals))
            continue
        m = re.fullmatch(r"([\w./-]+)\s*(!=|==|=)\s*([\w./-]*)", term)
        if m:
            reqs.append(("ne" if m.group(2) == "!=" else "eq", m.group(1), m.group(3)))
            continue
        m = re.fullmatch(r"(!?)([\w./-]+)", term)
        if m:
            reqs.append(("absent" if m.group(1) else "exists", m.group(2), None))
            continue
        raise ApiError(400, "BadRequest", f"unable to parse requirement: {term!r}")
    if not reqs:
        return lambda labels: True

    def pred(labels):
        labels = labels or {}
        for op, k, v in reqs:
            if op == "eq" and labels.get(k) != v:
                return False
            if op == "ne" and labels.get(k) == v:
                return False
            if op == "exists" and k not in labels:
                return False
            if op == "absent" and k in labels:
                return False
            if op == "in" and labels.get(k) not in v:
                return False
            if op == "notin" and labels.get(k) in v:
                return False
        return True
    return pred


def parse_field_selector(text, resource):
    reqs = []
    for term in (text or "").split(","):
        term = term.strip()
        if not term:
            continue
        m = re.fullmatch(r"([\w.]+)\s*(!=|==|=)\s*(.*)", term)
        if not m:
            raise ApiError(400, "BadRequest", f"invalid selector: {term!r}")
        field = m.group(1)
        if field not in FIELD_LABELS or (field.startswith(("status.", "spec.")) and resource != "pods"):
            raise ApiError(400, "BadRequest",
                           f'field label not supported: {field}')
        reqs.append((field.split("."), m.group(2) == "!=", m.group(3)))
    if not reqs:
        return None

    def pred(obj):
        for path, negate, val in reqs:
            cur = obj
            for p in path:
                cur = cur.get(p) if isinstance(cur, dict) else None
            cur = "" if cur is None else str(cur)
            if (cur == val) == negate:
                return False
        return True
    return pred


# ---------------------------------------------------------------- state

class Event:
    __slots__ = ("rv", "res", "key", "type", "obj", "prev")

    def __init__(self, rv, res, key, type_, obj, prev):
        self.rv, self.res, self.key, self.type, self.obj, self.prev = rv, res, key, type_, obj, prev


class Watch:
    def __init__(self, res, ua, auth, conn):
        self.res, self.ua, self.auth, self.conn = res, ua, auth, conn
        self.closed = False     # set by drop/token rotation/down: close abruptly
        self.stalled = False


def new_counters():
    return {"lists": {}, "pages": {}, "watches": {}, "watchlists": {}, "gets": {}}


class Fake:
    def __init__(self, args):
        self.cond = threading.Condition()
        self.rv = random.randint(1000, 9000)
        self.objects = {}          # (resource, namespace, name) -> stored object (never mutated)
        self.history = []          # every Event since start (compaction only moves the marker)
        self.compacted_rv = 0      # watch / Exact list from an RV below this -> 410
        self.epoch = 0             # bumped by compaction: older continue tokens expire
        self.token = args.token
        self.client_ca = args.client_ca
        self.bookmark_interval = args.bookmark_interval
        self.watchlist = args.watchlist
        self.chunk_max = max(1, args.chunk_max)
        self.chunk_pause = args.chunk_pause_ms / 1000.0
        self.verbose = args.verbose
        self.watches = set()
        self.api_conns = set()
        self.down_until = 0.0
        self.down_mode = None
        self.retry_after = 1
        self.listener = None
        self.reset_stats()

    # -- stats
    def reset_stats(self):
        with self.cond:
            self.stats = new_counters()
            self.stats["rejected"] = {}
            self.by_client = {}

    def count(self, kind, res, ua):
        with self.cond:
            for d in (self.stats, self.by_client.setdefault(ua, new_counters())):
                d[kind][res] = d[kind].get(res, 0) + 1

    def count_rejected(self, code):
        with self.cond:
            r = self.stats["rejected"]
            r[str(code)] = r.get(str(code), 0) + 1

    def stats_json(self):
        with self.cond:
            out = copy.deepcopy(self.stats)
            out["openWatches"] = len(self.watches)
            out["openWatchesByResource"] = {}
            for w in self.watches:
                out["openWatchesByResource"][w.res] = out["openWatchesByResource"].get(w.res, 0) + 1
            clients = copy.deepcopy(self.by_client)
            for w in self.watches:
                clients.setdefault(w.ua, new_counters())
            for ua, c in clients.items():
                c["open"] = sum(1 for w in self.watches if w.ua == ua)
            out["byClient"] = clients
            out["resourceVersion"] = str(self.rv)
            return out

    # -- mutations
    def _bump(self):
        self.rv += random.randint(1, 7)
        return self.rv

    def apply(self, obj):
        if not isinstance(obj, dict):
            raise ApiError(400, "BadRequest", "object must be a JSON object")
        res = KIND_TO_RESOURCE.get(obj.get("kind"))
        if res is None:
            raise ApiError(400, "BadRequest", f"unsupported kind {obj.get('kind')!r}")
        kind, api_version, _, namespaced = RESOURCES[res]
        o = json.loads(dumps(obj))
        o.pop("apiVersion", None)
        o = {"kind": kind, "apiVersion": api_version, **o}
        md = o.setdefault("metadata", {})
        name = md.get("name")
        if not name:
            raise ApiError(400, "BadRequest", "metadata.name is required")
        if namespaced:
            ns = md.setdefault("namespace", "default")
        else:
            md.pop("namespace", None)
            ns = ""
        key = (res, ns, name)
        with self.cond:
            prev = self.objects.get(key)
            md.setdefault("uid", prev["metadata"]["uid"] if prev else str(uuid.uuid4()))
            md.setdefault("creationTimestamp", prev["metadata"].get("creationTimestamp") if prev
                          else time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
            if prev is not None:
                md["resourceVersion"] = prev["metadata"]["resourceVersion"]
                if o == prev:      # a no-op update: the real server keeps the RV and sends no event
                    return prev
            md["resourceVersion"] = str(self._bump())
            o = freeze(o, fresh=True)
            self.objects[key] = o
            self.history.append(Event(self.rv, res, key, "MODIFIED" if prev else "ADDED", o, prev))
            self.cond.notify_all()
            return o

    def delete(self, res, ns, name):
        key = (res, "" if ns == "_" else ns, name)
        with self.cond:
            prev = self.objects.pop(key, None)
            if prev is None:
                raise ApiError(404, "NotFound", f'{res} "{name}" not found')
            last = thaw(prev)
            last["metadata"]["resourceVersion"] = str(self._bump())
            last = freeze(last, fresh=True)
            self.history.append(Event(self.rv, res, key, "DELETED", last, prev))
            self.cond.notify_all()
            return last

    def compact(self, drop):
        with self.cond:
            self._bump()                 # every RV handed out so far is now too old
            self.compacted_rv = self.rv
            self.epoch += 1
            self.cond.notify_all()
        if drop:
            self.drop_watches(None)

    def state_at(self, rv):
        """Objects as they were at rv (history is never trimmed, so undo is exact). Under lock."""
        st = dict(self.objects)
        for e in reversed(self.history):
            if e.rv <= rv:
                break
            if e.prev is None:
                st.pop(e.key, None)
            else:
                st[e.key] = e.prev
        return st

    def wait_for_rv(self, n, seconds=3.0):
        """Real servers wait up to 3 s for a too-large RV, then answer 504. Under lock."""
        end = time.monotonic() + seconds
        while self.rv < n and time.monotonic() < end:
            self.cond.wait(end - time.monotonic())
        if self.rv < n:
            raise ApiError(504, "Timeout", f"Too large resource version: {n}, current: {self.rv}")

    # -- watch control
    @staticmethod
    def _close_conn(conn):
        # socket.socket.shutdown, not SSLSocket.shutdown: the latter drops the TLS state under the
        # feet of the thread writing to it; this way that thread just gets an OSError.
        try:
            socket.socket.shutdown(conn, socket.SHUT_RDWR)
        except OSError:
            pass

    def drop_watches(self, res=None, pred=None):
        with self.cond:
            victims = [w for w in self.watches if (res is None or w.res == res) and (pred is None or pred(w))]
            for w in victims:
                w.closed = True
            self.cond.notify_all()
        for w in victims:
            self._close_conn(w.conn)
        return len(victims)

    def stall_watches(self, stalled):
        with self.cond:
            for w in self.watches:
                w.stalled = stalled
            self.cond.notify_all()
            return len(self.watches)

    def set_token(self, token):
        with self.cond:
            old = self.token
            self.token = token
        if old != token:
            self.drop_watches(None, lambda w: w.auth == ("token", old))

    def go_down(self, seconds, mode, retry_after, drop, keep_conn=None):
        if mode == "refuse":
            self.listener.stop()
            self.drop_watches(None)
            with self.cond:
                conns = [c for c in self.api_conns if c is not keep_conn]
            for c in conns:
                self._close_conn(c)
            t = threading.Timer(seconds, self.listener.start)
            t.daemon = True
            t.start()
            return
        with self.cond:
            self.down_until = time.monotonic() + seconds
            self.down_mode = mode
            self.retry_after = retry_after
        if drop:
            self.drop_watches(None)

    def current_down_mode(self):
        with self.cond:
            if self.down_mode and time.monotonic() < self.down_until:
                return self.down_mode
            self.down_mode = None
            return None


def continue_token(rv, epoch, last_key):
    raw = dumps({"rv": rv, "e": epoch, "k": list(last_key)}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def parse_continue(tok):
    try:
        d = json.loads(base64.urlsafe_b64decode(tok + "=" * (-len(tok) % 4)))
        return int(d["rv"]), int(d["e"]), tuple(d["k"])
    except Exception:
        raise ApiError(400, "BadRequest", "continue key is not valid: illegal base64 data")


# ---------------------------------------------------------------- HTTP

class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, addr, fake, control_only, sslctx):
        self.fake, self.control_only, self.sslctx = fake, control_only, sslctx
        super().__init__(addr, Handler)

    def finish_request(self, request, client_address):
        # The TLS handshake runs here, in the connection's own thread, not in the accept loop.
        if self.sslctx:
            try:
                request.settimeout(10)
                request = self.sslctx.wrap_socket(request, server_side=True)
                request.settimeout(None)
            except (ssl.SSLError, OSError):
                return
        try:
            self.RequestHandlerClass(request, client_address, self)
        finally:
            try:
                request.close()
            except OSError:
                pass


class ApiListener:
    """The API port; it can be closed (connections refused) and reopened on the same port."""

    def __init__(self, fake, host, port, sslctx):
        self.fake, self.host, self.port, self.sslctx = fake, host, port, sslctx
        self.server = None
        self.lock = threading.Lock()

    def start(self):
        with self.lock:
            if self.server:
                return
            while True:
                try:
                    self.server = Server((self.host, self.port), self.fake, False, self.sslctx)
                    break
                except OSError:
                    time.sleep(0.05)
            self.port = self.server.server_address[1]
            threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                             daemon=True).start()

    def stop(self):
        with self.lock:
            if self.server:
                self.server.shutdown()
                self.server.server_close()
                self.server = None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-apiserver/1"

    def log_message(self, fmt, *args):
        if self.server.fake.verbose:
            sys.stderr.write("fake-apiserver: %s %s\n" % (self.address_string(), fmt % args))

    def setup(self):
        super().setup()
        if not self.server.control_only:
            with self.server.fake.cond:
                self.server.fake.api_conns.add(self.connection)

    def finish(self):
        with self.server.fake.cond:
            self.server.fake.api_conns.discard(self.connection)
        try:
            super().finish()
        except OSError:
            pass

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_PUT(self):
        self.dispatch("PUT")

    def do_DELETE(self):
        self.dispatch("DELETE")

    # -- plumbing
    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def send_json(self, code, obj, headers=None):
        body = (dumps(obj) + "\n").encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, str(v))
        self.end_headers()
        self.wfile.write(body)

    def send_error_status(self, err):
        self.send_json(err.code, err.status, err.headers)

    def start_chunked(self, code=200):
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache, private")
        self.end_headers()

    def write_chunks(self, data):
        """Writes data as HTTP chunks of random sizes (1..chunk-max bytes), cut anywhere."""
        f = self.server.fake
        cuts, i, sizes = [], 0, range(1, f.chunk_max + 1)
        while i < len(data):
            for n in random.choices(sizes, k=len(data) // max(1, f.chunk_max // 2) + 8):
                cuts.append(i)
                i += n
                if i >= len(data):
                    break
        cuts.append(len(data))
        frames = [b"%x\r\n%s\r\n" % (b - a, data[a:b]) for a, b in zip(cuts, cuts[1:])]
        if f.chunk_pause:
            for fr in frames:
                self.wfile.write(fr)
                time.sleep(f.chunk_pause)
        elif frames:
            self.wfile.write(b"".join(frames))

    def end_chunks(self):
        self.wfile.write(b"0\r\n\r\n")

    # -- routing
    def dispatch(self, method):
        fake = self.server.fake
        url = urlsplit(self.path)
        path = url.path.rstrip("/") or "/"
        q = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        try:
            body = self.read_body()
            if path.startswith("/fake/") or path == "/fake":
                return self.control(method, path, body, q)
            if self.server.control_only:
                raise ApiError(404, "NotFound", "the control port serves /fake/ only")
            mode = fake.current_down_mode()
            if mode == "503":
                fake.count_rejected(503)
                raise ApiError(503, "ServiceUnavailable", "the server is currently unable to handle the request")
            if mode == "429":
                fake.count_rejected(429)
                raise ApiError(429, "TooManyRequests", "Too many requests, please try again later.",
                               {"Retry-After": fake.retry_after})
            auth = self.authenticate()
            if auth is None:
                fake.count_rejected(401)
                raise ApiError(401, "Unauthorized", "Unauthorized")
            if method != "GET":
                raise ApiError(405, "MethodNotAllowed", "this fake serves GET only (use /fake/ to mutate)")
            self.api_get(path, q, auth)
        except ApiError as e:
            self.send_error_status(e)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
            self.close_connection = True
        except Exception as e:  # a bug or a malformed control body: say so, keep serving
            import traceback
            traceback.print_exc()
            self.close_connection = True
            try:
                self.send_json(500, status_obj(500, "InternalError", f"fake-apiserver: {e!r}"))
            except OSError:
                pass

    def authenticate(self):
        fake = self.server.fake
        token, ca = fake.token, fake.client_ca
        if not token and not ca:
            return ("none", None)
        if token and self.headers.get("Authorization", "") == "Bearer " + token:
            return ("token", token)
        if ca and isinstance(self.connection, ssl.SSLSocket):
            try:
                if self.connection.getpeercert():
                    return ("cert", None)
            except (ValueError, OSError):
                pass
        return None

    def api_get(self, path, q, auth):
        disc = discovery(path)
        if disc is not None:
            return self.send_json(200, disc)
        res, ns, name = route(path)
        if name is not None:
            return self.get_one(res, ns, name)
        if parse_bool(q.get("watch"), "watch"):
            return self.serve_watch(res, ns, q, auth)
        return self.serve_list(res, ns, q)

    def get_one(self, res, ns, name):
        fake = self.server.fake
        fake.count("gets", res, self.headers.get("User-Agent", ""))
        with fake.cond:
            obj = fake.objects.get((res, ns or "", name))
        if obj is None:
            raise ApiError(404, "NotFound", f'{res} "{name}" not found')
        self.send_json(200, obj)

    # -- LIST
    def serve_list(self, res, ns, q):
        fake = self.server.fake
        kind, api_version, _, _ = RESOURCES[res]
        labels = parse_label_selector(q.get("labelSelector"))
        fields = parse_field_selector(q.get("fieldSelector"), res)
        try:
            limit = int(q.get("limit") or 0)
        except ValueError:
            raise ApiError(400, "BadRequest", "limit must be an integer")
        cont = q.get("continue") or ""
        rvp = q.get("resourceVersion") or ""
        match = q.get("resourceVersionMatch") or ""
        ua = self.headers.get("User-Agent", "")
        fake.count("pages", res, ua)
        if not cont:
            fake.count("lists", res, ua)
        with fake.cond:
            after = None
            if cont:
                if rvp or match:
                    raise ApiError(400, "BadRequest",
                                   "specifying resource version is not allowed when using continue")
                snap, epoch, after = parse_continue(cont)
                if epoch != fake.epoch or snap < fake.compacted_rv:
                    raise ApiError(410, "Expired",
                                   "The provided continue parameter is too old to display a consistent "
                                   "list result. You can start a new list without the continue parameter.")
            elif rvp in ("", "0"):
                if match == "Exact":
                    raise ApiError(422, "Invalid", "resourceVersionMatch: Forbidden: resourceVersionMatch "
                                   "\"exact\" is forbidden for resourceVersion \"0\"")
                snap = fake.rv
            else:
                try:
                    n = int(rvp)
                except ValueError:
                    raise ApiError(400, "BadRequest", f"invalid resource version: {rvp}")
                if match == "Exact":
                    if n < fake.compacted_rv:
                        raise ApiError(410, "Expired", f"too old resource version: {n} ({fake.rv})")
                    fake.wait_for_rv(n)
                    snap = n
                elif match in ("", "NotOlderThan"):
                    fake.wait_for_rv(n)
                    snap = fake.rv
                else:
                    raise ApiError(422, "Invalid", f"resourceVersionMatch: Unsupported value: \"{match}\"")
            state = fake.state_at(snap) if snap < fake.rv else fake.objects
            keys = sorted(k for k in state if k[0] == res and (not ns or k[1] == ns))
            epoch = fake.epoch
            objs = [(k, state[k]) for k in keys]
        if after is not None:
            objs = [(k, o) for k, o in objs if k > after]
        if q.get("labelSelector") or fields:
            objs = [(k, o) for k, o in objs
                    if labels(o.get("metadata", {}).get("labels")) and (fields is None or fields(o))]
        meta = {"resourceVersion": str(snap)}
        if limit > 0 and len(objs) > limit:
            meta["continue"] = continue_token(snap, epoch, objs[limit - 1][0])
            if not q.get("labelSelector") and not q.get("fieldSelector"):
                meta["remainingItemCount"] = len(objs) - limit
            objs = objs[:limit]
        head = dumps({"kind": kind + "List", "apiVersion": api_version, "metadata": meta})
        parts = [head[:-1].encode(), b',"items":[']
        for i, (_, o) in enumerate(objs):
            if i:
                parts.append(b",")
            parts.append(o.item)
        parts.append(b"]}\n")
        self.start_chunked()
        self.write_chunks(b"".join(parts))
        self.end_chunks()

    # -- WATCH
    def serve_watch(self, res, ns, q, auth):
        fake = self.server.fake
        kind, api_version, _, _ = RESOURCES[res]
        labels = parse_label_selector(q.get("labelSelector"))
        fields = parse_field_selector(q.get("fieldSelector"), res)
        allow_bm = bool(parse_bool(q.get("allowWatchBookmarks"), "allowWatchBookmarks"))
        rvp = q.get("resourceVersion") or ""
        match = q.get("resourceVersionMatch") or ""
        send_initial = parse_bool(q.get("sendInitialEvents"), "sendInitialEvents")
        try:
            timeout = float(q["timeoutSeconds"]) if q.get("timeoutSeconds") else random.uniform(1800, 3600)
        except ValueError:
            raise ApiError(400, "BadRequest", "timeoutSeconds must be a number")
        watchlist = False
        if send_initial is not None and fake.watchlist == "reject":
            raise ApiError(422, "Invalid", 'ListOptions.meta.k8s.io "" is invalid: sendInitialEvents: '
                           'Forbidden: sendInitialEvents is forbidden for watch unless the WatchList '
                           'feature gate is enabled')
        if send_initial and fake.watchlist == "on":
            if match != "NotOlderThan":
                raise ApiError(422, "Invalid", "resourceVersionMatch: Forbidden: sendInitialEvents requires "
                               "setting resourceVersionMatch to NotOlderThan")
            if not allow_bm:
                raise ApiError(422, "Invalid", "allowWatchBookmarks: Forbidden: sendInitialEvents requires "
                               "allowWatchBookmarks=true")
            watchlist = True
        elif match and send_initial is None and fake.watchlist != "ignore":
            raise ApiError(422, "Invalid", "resourceVersionMatch: Forbidden: resourceVersionMatch is "
                           "forbidden for watch unless sendInitialEvents is provided")
        if rvp not in ("", "0"):
            try:
                n = int(rvp)
            except ValueError:
                raise ApiError(400, "BadRequest", f"invalid resource version: {rvp}")
        ua = self.headers.get("User-Agent", "")
        fake.count("watchlists" if watchlist else "watches", res, ua)

        def visible(o):
            return (o is not None and (not ns or o["metadata"].get("namespace", "") == ns)
                    and labels(o["metadata"].get("labels")) and (fields is None or fields(o)))

        error = None
        initial = []
        w = Watch(res, ua, auth, self.connection)
        with fake.cond:
            if watchlist or rvp in ("", "0"):
                if watchlist and rvp not in ("", "0"):
                    try:
                        fake.wait_for_rv(n)
                    except ApiError as e:
                        error = e.status
                start = fake.rv
                initial = [o for k, o in sorted(fake.objects.items()) if k[0] == res and visible(o)]
            else:
                start = n
                if n < fake.compacted_rv:
                    error = status_obj(410, "Expired", f"too old resource version: {n} ({fake.rv})")
                else:
                    try:
                        fake.wait_for_rv(n)
                    except ApiError as e:
                        error = e.status
            if error is None:
                fake.watches.add(w)
        self.start_chunked()
        if error is not None:
            self.write_chunks((dumps({"type": "ERROR", "object": error}) + "\n").encode())
            self.end_chunks()
            return
        try:
            self.watch_loop(w, res, kind, api_version, visible, allow_bm, timeout, start, initial, watchlist)
        finally:
            with fake.cond:
                fake.watches.discard(w)

    def watch_loop(self, w, res, kind, api_version, visible, allow_bm, timeout, last, initial, watchlist):
        fake = self.server.fake

        def ev(t, obj):
            if isinstance(obj, Obj):
                return b'{"type":"%s","object":%s}\n' % (t.encode(), obj.full)
            return (dumps({"type": t, "object": obj}) + "\n").encode()

        def bookmark(rv, end=False):
            md = {"resourceVersion": str(rv), "creationTimestamp": None}
            if end:
                md["annotations"] = {"k8s.io/initial-events-end": "true"}
            return ev("BOOKMARK", {"kind": kind, "apiVersion": api_version, "metadata": md,
                                   **BOOKMARK_BODY[res]})

        out = [ev("ADDED", o) for o in initial]
        if watchlist:
            out.append(bookmark(last, end=True))
        now = time.monotonic()
        deadline = now + timeout
        final_bm = deadline - min(2.0, timeout / 4)
        next_bm = None
        sent_final = False
        while True:
            if out:
                self.write_chunks(b"".join(out))
                out = []
            with fake.cond:
                while True:
                    now = time.monotonic()
                    interval = fake.bookmark_interval
                    bm_on = allow_bm and interval > 0
                    if w.closed:
                        break
                    if w.stalled:
                        fake.cond.wait(0.2)
                        continue
                    if now >= deadline:
                        break
                    i = len(fake.history)
                    while i > 0 and fake.history[i - 1].rv > last:
                        i -= 1
                    for e in fake.history[i:]:
                        if e.res != res:
                            continue
                        new_ok = e.type != "DELETED" and visible(e.obj)
                        old_ok = visible(e.prev)
                        if e.type == "DELETED":
                            if old_ok:
                                out.append(ev("DELETED", e.obj))
                        elif new_ok:
                            out.append(ev("MODIFIED" if old_ok else "ADDED", e.obj))
                        elif old_ok:
                            gone = thaw(e.prev)
                            gone["metadata"]["resourceVersion"] = str(e.rv)
                            out.append(ev("DELETED", gone))
                    last = fake.rv
                    if bm_on:
                        if next_bm is None:
                            next_bm = now + interval * random.uniform(0.5, 1.5)
                        if now >= next_bm:
                            out.append(bookmark(last))
                            next_bm = now + interval * random.uniform(0.5, 1.5)
                        elif now >= final_bm and not sent_final:
                            out.append(bookmark(last))
                            sent_final = True
                    if out:
                        break
                    wake = deadline
                    if bm_on:
                        wake = min(wake, next_bm, final_bm if not sent_final else wake)
                    fake.cond.wait(max(0.0, min(wake - now, 0.5)))
                    if self.client_gone():
                        w.closed = True
            if w.closed:
                self.close_connection = True
                Fake._close_conn(self.connection)
                return
            if not out:          # deadline: end the stream cleanly
                self.end_chunks()
                return

    def client_gone(self):
        try:
            r, _, _ = select.select([self.connection], [], [], 0)
        except (ValueError, OSError):
            return True
        return bool(r)   # a watch client sends nothing; readable means EOF (or junk): give up

    # -- control API
    def control(self, method, path, body, q):
        fake = self.server.fake
        try:
            data = json.loads(body) if body.strip() else {}
        except ValueError:
            raise ApiError(400, "BadRequest", "body is not JSON")
        parts = path.split("/")[2:]
        if parts == ["objects"] and method == "POST":
            items = data["items"] if isinstance(data, dict) and "items" in data and "kind" not in data else None
            if items is not None:
                return self.send_json(200, {"items": [fake.apply(o) for o in items], "resourceVersion": str(fake.rv)})
            return self.send_json(200, fake.apply(data))
        if parts == ["objects"] and method == "GET":
            with fake.cond:
                items = [o for k, o in sorted(fake.objects.items())
                         if not q.get("resource") or k[0] == q["resource"]]
                return self.send_json(200, {"items": items, "resourceVersion": str(fake.rv)})
        if len(parts) == 4 and parts[0] == "objects" and method == "DELETE":
            if parts[1] not in RESOURCES:
                raise ApiError(404, "NotFound", f"unknown resource {parts[1]}")
            return self.send_json(200, fake.delete(parts[1], parts[2], parts[3]))
        if method != "POST" and parts not in (["stats"], ["objects"]):
            raise ApiError(405, "MethodNotAllowed", "use POST")
        if parts == ["compact"]:
            fake.compact(bool(data.get("dropWatches")))
            return self.send_json(200, {"compactedResourceVersion": str(fake.compacted_rv)})
        if parts == ["watches", "drop"]:
            return self.send_json(200, {"dropped": fake.drop_watches(data.get("resource"))})
        if parts == ["watches", "stall"]:
            return self.send_json(200, {"stalled": fake.stall_watches(True)})
        if parts == ["watches", "resume"]:
            return self.send_json(200, {"resumed": fake.stall_watches(False)})
        if parts == ["down"]:
            mode = str(data.get("mode", "refuse"))
            if mode not in ("refuse", "503", "429"):
                raise ApiError(400, "BadRequest", "mode must be refuse, 503 or 429")
            fake.go_down(float(data.get("seconds", 5)), mode, int(data.get("retryAfter", 1)),
                         bool(data.get("dropWatches")), self.connection)
            if not self.server.control_only:
                self.close_connection = True
            return self.send_json(200, {"down": float(data.get("seconds", 5)), "mode": mode})
        if parts == ["token"]:
            fake.set_token(data.get("token") or None)
            return self.send_json(200, {"ok": True})
        if parts == ["config"]:
            if "bookmarkInterval" in data:
                fake.bookmark_interval = float(data["bookmarkInterval"])
            if "watchlist" in data:
                if data["watchlist"] not in ("on", "reject", "ignore"):
                    raise ApiError(400, "BadRequest", "watchlist must be on, reject or ignore")
                fake.watchlist = data["watchlist"]
            if "chunkMax" in data:
                fake.chunk_max = max(1, int(data["chunkMax"]))
            with fake.cond:
                fake.cond.notify_all()
            return self.send_json(200, {"bookmarkInterval": fake.bookmark_interval,
                                        "watchlist": fake.watchlist, "chunkMax": fake.chunk_max})
        if parts == ["stats"]:
            return self.send_json(200, fake.stats_json())
        if parts == ["reset"]:
            fake.reset_stats()
            return self.send_json(200, {"ok": True})
        raise ApiError(404, "NotFound", f"no control endpoint {path}")


def route(path):
    """Returns (resource, namespace or None, name or None) for an API path, else raises 404."""
    for prefix in ("/api/v1", "/apis/discovery.k8s.io/v1"):
        if path.startswith(prefix + "/"):
            parts = path[len(prefix) + 1:].split("/")
            break
    else:
        raise ApiError(404, "NotFound", "the server could not find the requested resource")
    ns = name = None
    if len(parts) >= 3 and parts[0] == "namespaces":
        ns, parts = parts[1], parts[2:]
    if len(parts) > 2 or not parts:
        raise ApiError(404, "NotFound", "the server could not find the requested resource")
    res = parts[0]
    if res not in RESOURCES or RESOURCES[res][2] != prefix or (ns is not None and not RESOURCES[res][3]):
        raise ApiError(404, "NotFound", "the server could not find the requested resource")
    if len(parts) == 2:
        name = parts[1]
    return res, ns, name


def discovery(path):
    def resource_list(group_version, prefix):
        return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version,
                "resources": [{"name": r, "singularName": k.lower(), "namespaced": nsd, "kind": k,
                               "verbs": ["get", "list", "watch"], "shortNames": SHORT_NAMES[r]}
                              for r, (k, _, p, nsd) in RESOURCES.items() if p == prefix]}
    if path == "/version":
        return {"major": "1", "minor": "34", "gitVersion": "v1.34.0-fake", "gitCommit": "fake",
                "gitTreeState": "clean", "buildDate": "2026-01-01T00:00:00Z", "goVersion": "go1.24",
                "compiler": "gc", "platform": "linux/amd64"}
    if path == "/api":
        return {"kind": "APIVersions", "versions": ["v1"],
                "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]}
    if path == "/api/v1":
        return resource_list("v1", "/api/v1")
    if path == "/apis":
        gv = {"groupVersion": "discovery.k8s.io/v1", "version": "v1"}
        return {"kind": "APIGroupList", "apiVersion": "v1",
                "groups": [{"name": "discovery.k8s.io", "versions": [gv], "preferredVersion": gv}]}
    if path == "/apis/discovery.k8s.io":
        gv = {"groupVersion": "discovery.k8s.io/v1", "version": "v1"}
        return {"kind": "APIGroup", "apiVersion": "v1", "name": "discovery.k8s.io",
                "versions": [gv], "preferredVersion": gv}
    if path == "/apis/discovery.k8s.io/v1":
        return resource_list("discovery.k8s.io/v1", "/apis/discovery.k8s.io/v1")
    return None


def write_port_file(path, port):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(f"{port}\n")
    os.replace(tmp, path)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--control-port-file", help="also serve /fake/ (plain HTTP) on its own port that never goes down")
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--client-ca")
    ap.add_argument("--token")
    ap.add_argument("--seed")
    ap.add_argument("--bookmark-interval", type=float, default=5.0)
    ap.add_argument("--watchlist", choices=("on", "reject", "ignore"), default="on")
    ap.add_argument("--chunk-max", type=int, default=97)
    ap.add_argument("--chunk-pause-ms", type=float, default=0.0,
                    help="sleep between chunks so clients really see partial reads (default 0)")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args(argv)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        ap.error("the fake listens on loopback only")
    if args.host == "localhost":
        args.host = "127.0.0.1"
    if args.client_ca and not args.tls_cert:
        ap.error("--client-ca needs --tls-cert/--tls-key")

    sslctx = None
    if args.tls_cert:
        sslctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        sslctx.load_cert_chain(args.tls_cert, args.tls_key)
        sslctx.set_alpn_protocols(["http/1.1"])
        if args.client_ca:
            sslctx.load_verify_locations(args.client_ca)
            sslctx.verify_mode = ssl.CERT_OPTIONAL

    fake = Fake(args)
    if args.seed:
        with open(args.seed) as f:
            for o in json.load(f).get("items", []):
                fake.apply(o)
    if args.host == "::1":
        Server.address_family = socket.AF_INET6
    fake.listener = ApiListener(fake, args.host, args.port, sslctx)
    fake.listener.start()
    if args.control_port_file:
        ctl = Server((args.host, 0), fake, True, None)
        threading.Thread(target=ctl.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        write_port_file(args.control_port_file, ctl.server_address[1])
    if args.port_file:
        write_port_file(args.port_file, fake.listener.port)
    else:
        print(fake.listener.port, flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    done.wait()


if __name__ == "__main__":
    main()
