"""Keeps fake_apiserver.py honest.

1. Real Kubernetes clients (kubectl, and the official Python client `kubernetes`
   when it is importable) list and watch the fake over HTTPS with a bearer token;
   what they see must equal the fake's own state (/fake/objects).
2. Protocol checks with raw sockets (so chunk boundaries are visible): paging with
   one RV, 410 after compaction (LIST continue, WATCH ERROR event, Exact list),
   bookmarks, timeoutSeconds, chunk boundaries not aligned to events, 401 after
   token rotation, mTLS, 429 Retry-After, 503, refused connections, dropped and
   stalled watches, WatchList on/reject/ignore, selectors, stats.

Run: python3 -m unittest discover -s Tests/FakeAPIServer -v     (about 25 s)
Needs: python3 (3.11) and openssl. kubectl for the kubectl tests (skipped if absent; Debian 12's
`kubernetes-client` 1.20 and kubectl 1.32 both pass). The official Python client for its tests
(skipped if not importable: Debian's python3-kubernetes 22.6 under /usr/bin/python3, or
`pip install kubernetes`; both pass).
"""
import http.client
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE = os.path.join(HERE, "fake_apiserver.py")
TOKEN = "token-one"
UA = "fake-apiserver-test/1"
CORE_DNS_POD_SELECTOR = "status.phase!=Succeeded,status.phase!=Failed,status.phase!=Unknown"

PKI = None


def setUpModule():
    global PKI
    if not shutil.which("openssl"):
        raise unittest.SkipTest("openssl not installed (Debian package openssl)")
    d = tempfile.mkdtemp(prefix="fakeapi-pki-")
    PKI = d

    def run(*args):
        subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True)
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt",
        "-days", "2", "-subj", "/CN=fake-apiserver-test-ca")
    for name, ext in (("server", "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n"),
                      ("client", "extendedKeyUsage=clientAuth\n")):
        with open(os.path.join(d, name + ".ext"), "w") as f:
            f.write(ext)
        run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", name + ".key", "-out", name + ".csr",
            "-subj", "/CN=" + ("127.0.0.1" if name == "server" else "system:clusterdns"))
        run("x509", "-req", "-in", name + ".csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", name + ".crt", "-days", "2", "-extfile", name + ".ext")


def tearDownModule():
    if PKI:
        shutil.rmtree(PKI, ignore_errors=True)


def pki(name):
    return os.path.join(PKI, name)


def wait_until(pred, timeout=10.0, what="condition"):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def client_ctx(cert=False):
    ctx = ssl.create_default_context(cafile=pki("ca.crt"))
    if cert:
        ctx.load_cert_chain(pki("client.crt"), pki("client.key"))
    return ctx


class Stream:
    """One raw HTTP/1.1 GET over TLS that exposes the chunk framing."""

    def __init__(self, port, path, token=TOKEN, cert=False, timeout=10, tls=True):
        s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock = client_ctx(cert).wrap_socket(s, server_hostname="127.0.0.1") if tls else s
        req = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: {UA}\r\nAccept: application/json\r\n"
        if token:
            req += f"Authorization: Bearer {token}\r\n"
        self.sock.sendall((req + "\r\n").encode())
        self.raw = b""          # bytes received but not parsed yet (survives socket timeouts)
        self.status = int(self.readline().split()[1])
        self.headers = {}
        while True:
            line = self.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            k, v = line.decode().split(":", 1)
            self.headers[k.strip().lower()] = v.strip()
        self.buf = b""
        self.ended = False
        self.chunks = []

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise EOFError("connection closed")
        self.raw += data

    def readline(self):
        while b"\n" not in self.raw:
            self._fill()
        line, self.raw = self.raw.split(b"\n", 1)
        return line + b"\n"

    def read(self, n):
        while len(self.raw) < n:
            self._fill()
        data, self.raw = self.raw[:n], self.raw[n:]
        return data

    def chunk(self):
        """Next chunk's bytes; b"" for the terminating chunk; EOFError on an abrupt close.
        A socket timeout leaves the stream usable (nothing is consumed until a chunk is whole)."""
        while True:
            head, sep, rest = self.raw.partition(b"\r\n")
            if sep:
                n = int(head.strip(), 16)
                if len(rest) >= n + 2:
                    if rest[n:n + 2] != b"\r\n":
                        raise AssertionError("bad chunk framing")
                    data, self.raw = rest[:n], rest[n + 2:]
                    if n == 0:
                        self.ended = True
                    else:
                        self.chunks.append(data)
                    return data
            self._fill()

    def body(self):
        if self.headers.get("transfer-encoding") == "chunked":
            out = b""
            while not self.ended:
                out += self.chunk()
            return out
        return self.read(int(self.headers.get("content-length", 0)))

    def json(self):
        return json.loads(self.body())

    def event(self):
        """Next watch event, or None at the clean end of the stream."""
        while b"\n" not in self.buf:
            if self.ended:
                return None
            self.buf += self.chunk()
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class FakeCase(unittest.TestCase):
    extra_args = ("--bookmark-interval", "0.3")
    secure = True     # TLS, bearer token and client CA

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="fakeapi-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        pf, cf = os.path.join(self.dir, "port"), os.path.join(self.dir, "control-port")
        security = ["--tls-cert", pki("server.crt"), "--tls-key", pki("server.key"),
                    "--client-ca", pki("ca.crt"), "--token", TOKEN] if self.secure else []
        self.proc = subprocess.Popen(
            [sys.executable, FAKE, "--port", "0", "--port-file", pf, "--control-port-file", cf,
             *security, *self.fake_args()])
        self.addCleanup(self.stop_fake)

        def ports():
            try:
                with open(pf) as a, open(cf) as b:
                    return int(a.read()), int(b.read())
            except (OSError, ValueError):
                return None
        self.port, self.cport = wait_until(ports, what="fake port files")

    def fake_args(self):
        return list(self.extra_args)

    def stop_fake(self):
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def ctl(self, method, path, body=None):
        c = http.client.HTTPConnection("127.0.0.1", self.cport, timeout=10)
        c.request(method, "/fake/" + path, body=json.dumps(body) if body is not None else None,
                  headers={"Content-Type": "application/json"})
        r = c.getresponse()
        data = json.loads(r.read())
        c.close()
        self.assertEqual(r.status, 200, data)
        return data

    def api(self, path, **kw):
        s = Stream(self.port, path, **kw)
        self.addCleanup(s.close)
        return s

    def apply(self, *objs):
        return self.ctl("POST", "objects", {"items": list(objs)})["items"]

    def objects(self, resource):
        return self.ctl("GET", "objects?resource=" + resource)["items"]


def svc(name, ns="default", ip="10.96.0.10", labels=None):
    return {"kind": "Service", "apiVersion": "v1",
            "metadata": {"name": name, "namespace": ns, "labels": labels or {"app": name}},
            "spec": {"type": "ClusterIP", "clusterIP": ip, "clusterIPs": [ip],
                     "ports": [{"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53}]}}


def slice_(name, service, ns="default", ips=("10.244.0.5",)):
    return {"kind": "EndpointSlice", "apiVersion": "discovery.k8s.io/v1",
            "metadata": {"name": name, "namespace": ns, "labels": {"kubernetes.io/service-name": service}},
            "addressType": "IPv4",
            "endpoints": [{"addresses": [ip], "conditions": {"ready": True}} for ip in ips],
            "ports": [{"name": "dns", "port": 53, "protocol": "UDP"}]}


def pod(name, phase, ns="default", ip="10.244.1.1"):
    return {"kind": "Pod", "apiVersion": "v1", "metadata": {"name": name, "namespace": ns},
            "spec": {"containers": [{"name": "c", "image": "busybox"}]},
            "status": {"phase": phase, "podIP": ip}}


def ns_(name):
    return {"kind": "Namespace", "apiVersion": "v1", "metadata": {"name": name}}


def key(o):
    return (o["metadata"].get("namespace", ""), o["metadata"]["name"])


def strip(o):
    """An object as the fake stores it, for comparison with what a client decoded."""
    return {k: v for k, v in o.items() if k not in ("kind", "apiVersion")}


class ProtocolTests(FakeCase):
    def test_list_paging_one_rv_items_without_kind(self):
        self.apply(*[svc(f"s{i}", ip=f"10.96.0.{i + 1}") for i in range(7)], ns_("default"))
        s = self.api("/api/v1/services?limit=3")
        self.assertEqual(s.status, 200)
        page = s.json()
        self.assertGreater(len(s.chunks), 1, "a LIST body comes in several chunks")
        rv = page["metadata"]["resourceVersion"]
        self.assertEqual(page["kind"], "ServiceList")
        self.assertEqual(page["metadata"]["remainingItemCount"], 4)
        seen = list(page["items"])
        # Mutations after the first page must not show in later pages.
        self.ctl("DELETE", "objects/services/default/s6")
        self.apply(svc("s9"))
        while page["metadata"].get("continue"):
            s = self.api("/api/v1/services?limit=3&continue=" + page["metadata"]["continue"])
            page = s.json()
            self.assertEqual(page["metadata"]["resourceVersion"], rv)
            seen += page["items"]
        self.assertEqual([i["metadata"]["name"] for i in seen], [f"s{i}" for i in range(7)])
        for item in seen:
            self.assertNotIn("kind", item)
            self.assertNotIn("apiVersion", item)

    def test_rvs_shared_non_contiguous_increasing(self):
        made = self.apply(*[svc(f"s{i}") for i in range(10)], ns_("a"), slice_("s0-x", "s0"), pod("p", "Running"))
        rvs = [int(o["metadata"]["resourceVersion"]) for o in made]
        self.assertEqual(rvs, sorted(set(rvs)))
        self.assertTrue(any(b - a > 1 for a, b in zip(rvs, rvs[1:])), rvs)
        for path in ("/api/v1/services", "/api/v1/namespaces", "/apis/discovery.k8s.io/v1/endpointslices"):
            self.assertEqual(self.api(path).json()["metadata"]["resourceVersion"], str(rvs[-1]))

    def test_continue_token_expires_after_compaction(self):
        self.apply(*[svc(f"s{i}") for i in range(4)])
        page = self.api("/api/v1/services?limit=2").json()
        self.ctl("POST", "compact")
        s = self.api("/api/v1/services?limit=2&continue=" + page["metadata"]["continue"])
        self.assertEqual(s.status, 410)
        st = s.json()
        self.assertEqual((st["kind"], st["reason"], st["code"]), ("Status", "Expired", 410))

    def test_exact_list_and_too_old(self):
        self.apply(svc("a"))
        rv = self.api("/api/v1/services").json()["metadata"]["resourceVersion"]
        self.apply(svc("b"))
        old = self.api(f"/api/v1/services?resourceVersion={rv}&resourceVersionMatch=Exact").json()
        self.assertEqual([i["metadata"]["name"] for i in old["items"]], ["a"])
        self.assertEqual(old["metadata"]["resourceVersion"], rv)
        newer = self.api(f"/api/v1/services?resourceVersion={rv}&resourceVersionMatch=NotOlderThan").json()
        self.assertEqual(len(newer["items"]), 2)
        self.ctl("POST", "compact")
        self.assertEqual(self.api(f"/api/v1/services?resourceVersion={rv}&resourceVersionMatch=Exact").status, 410)

    def test_watch_replays_history_then_live(self):
        self.apply(svc("a"))
        rv = self.api("/api/v1/services").json()["metadata"]["resourceVersion"]
        self.apply(svc("b"), ns_("other"), dict(svc("a"), spec={"clusterIP": "10.96.1.1"}))
        gone = self.ctl("DELETE", "objects/services/default/b")
        w = self.api(f"/api/v1/services?watch=1&resourceVersion={rv}&timeoutSeconds=30")
        evs = [w.event() for _ in range(3)]
        self.assertEqual([(e["type"], e["object"]["metadata"]["name"]) for e in evs],
                         [("ADDED", "b"), ("MODIFIED", "a"), ("DELETED", "b")])
        for e in evs:
            self.assertEqual((e["object"]["kind"], e["object"]["apiVersion"]), ("Service", "v1"))
        self.assertEqual(evs[2]["object"]["metadata"]["resourceVersion"], gone["metadata"]["resourceVersion"])
        self.assertNotEqual(evs[2]["object"]["metadata"]["resourceVersion"],
                            evs[0]["object"]["metadata"]["resourceVersion"])
        same = self.apply(dict(svc("a"), spec={"clusterIP": "10.96.1.1"}))[0]   # unchanged: no new RV, no event
        self.assertEqual(same["metadata"]["resourceVersion"], evs[1]["object"]["metadata"]["resourceVersion"])
        self.apply(svc("live"))
        e = w.event()
        self.assertEqual((e["type"], e["object"]["metadata"]["name"]), ("ADDED", "live"))
        w.close()

    def test_watch_from_compacted_rv_gets_410_error_event(self):
        self.apply(svc("a"))
        rv = self.api("/api/v1/services").json()["metadata"]["resourceVersion"]
        self.apply(svc("b"))
        self.ctl("POST", "compact")
        w = self.api(f"/api/v1/services?watch=true&resourceVersion={rv}&allowWatchBookmarks=true")
        self.assertEqual(w.status, 200)
        e = w.event()
        self.assertEqual(e["type"], "ERROR")
        self.assertEqual((e["object"]["code"], e["object"]["reason"]), (410, "Expired"))
        self.assertIn("too old resource version", e["object"]["message"])
        self.assertIsNone(w.event())
        self.assertTrue(w.ended)

    def test_bookmarks_irregular_and_timeout_ends_cleanly(self):
        self.apply(svc("a"))
        rv = self.api("/api/v1/services").json()["metadata"]["resourceVersion"]
        t0 = time.monotonic()
        w = self.api(f"/api/v1/services?watch=1&resourceVersion={rv}&allowWatchBookmarks=true&timeoutSeconds=2")
        times, bms = [], []
        while (e := w.event()) is not None:
            self.assertEqual(e["type"], "BOOKMARK")
            self.assertEqual(e["object"]["kind"], "Service")
            bms.append(e["object"]["metadata"]["resourceVersion"])
            times.append(time.monotonic() - t0)
        elapsed = time.monotonic() - t0
        self.assertTrue(w.ended, "clean end: terminating chunk")
        self.assertGreaterEqual(elapsed, 1.9)
        self.assertLess(elapsed, 4)
        self.assertGreaterEqual(len(bms), 3)
        self.assertEqual(set(bms), {rv})
        gaps = [round(b - a, 2) for a, b in zip(times, times[1:])]
        self.assertGreater(len(set(gaps)), 1, f"bookmark gaps should be irregular: {gaps}")

    def test_no_bookmarks_when_interval_zero(self):
        self.ctl("POST", "config", {"bookmarkInterval": 0})
        # Booleans parse as Go's strconv.ParseBool: older Python clients send "True".
        w = self.api("/api/v1/services?watch=True&resourceVersion=&allowWatchBookmarks=True&timeoutSeconds=1")
        self.assertEqual(w.headers.get("transfer-encoding"), "chunked")
        self.assertIsNone(w.event())
        self.assertTrue(w.ended)

    def test_chunk_boundaries_unrelated_to_events(self):
        self.apply(*[svc(f"svc-{i}") for i in range(30)])
        w = self.api("/api/v1/services?watch=1&timeoutSeconds=1")
        events = []
        while (e := w.event()) is not None:
            events.append(e)
        self.assertEqual(len(events), 30)
        self.assertTrue(all(e["type"] == "ADDED" for e in events))
        self.assertLessEqual(max(len(c) for c in w.chunks), 97)
        stream = b"".join(w.chunks)
        event_ends = {i + 1 for i, b in enumerate(stream) if b == ord("\n")}
        chunk_ends, off = set(), 0
        for c in w.chunks:
            off += len(c)
            chunk_ends.add(off)
        self.assertTrue(chunk_ends - event_ends, "some chunk must end inside an event")

    def test_token_rotation(self):
        w = self.api("/api/v1/services?watch=1&timeoutSeconds=30")
        self.assertEqual(w.status, 200)
        wait_until(lambda: self.ctl("GET", "stats")["openWatches"] == 1, what="watch open")
        self.ctl("POST", "token", {"token": "token-two"})
        with self.assertRaises(EOFError):
            while True:
                w.chunk()
        s = self.api("/api/v1/services")
        self.assertEqual(s.status, 401)
        self.assertEqual(s.json()["reason"], "Unauthorized")
        self.assertEqual(self.api("/api/v1/services", token="token-two").status, 200)
        self.assertEqual(self.api("/api/v1/services", token=None).status, 401)

    def test_client_certificate_instead_of_token(self):
        self.assertEqual(self.api("/api/v1/services", token=None, cert=True).status, 200)

    def test_429_retry_after_then_back(self):
        self.ctl("POST", "down", {"seconds": 1, "mode": "429", "retryAfter": 3})
        s = self.api("/api/v1/services")
        self.assertEqual(s.status, 429)
        self.assertEqual(s.headers.get("retry-after"), "3")
        self.assertEqual(s.json()["reason"], "TooManyRequests")
        self.assertEqual(self.ctl("GET", "stats")["rejected"]["429"], 1)
        wait_until(lambda: self.api("/api/v1/services").status == 200, what="back from 429")

    def test_503_then_back(self):
        self.ctl("POST", "down", {"seconds": 1, "mode": "503"})
        s = self.api("/api/v1/namespaces")
        self.assertEqual(s.status, 503)
        self.assertEqual(s.json()["code"], 503)
        wait_until(lambda: self.api("/api/v1/namespaces").status == 200, what="back from 503")

    def test_refuse_drops_watches_and_comes_back(self):
        w = self.api("/api/v1/services?watch=1&timeoutSeconds=30")
        wait_until(lambda: self.ctl("GET", "stats")["openWatches"] == 1, what="watch open")
        self.ctl("POST", "down", {"seconds": 1, "mode": "refuse"})
        with self.assertRaises((EOFError, OSError)):
            while True:
                w.chunk()
        with self.assertRaises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", self.port), timeout=2).close()

        def up():
            try:
                return self.api("/api/v1/services").status == 200
            except OSError:
                return False
        wait_until(up, what="listener back")

    def test_drop_and_stall(self):
        self.ctl("POST", "config", {"bookmarkInterval": 0.1})
        a = self.api("/api/v1/services?watch=1&allowWatchBookmarks=true&timeoutSeconds=30")
        b = self.api("/api/v1/namespaces?watch=1&allowWatchBookmarks=true&timeoutSeconds=30")
        self.assertEqual(a.event()["type"], "BOOKMARK")
        wait_until(lambda: self.ctl("GET", "stats")["openWatchesByResource"] == {"services": 1, "namespaces": 1},
                   what="watches open")
        self.assertEqual(self.ctl("POST", "watches/drop", {"resource": "services"})["dropped"], 1)
        with self.assertRaises(EOFError):
            while True:
                a.chunk()
        self.assertEqual(b.event()["type"], "BOOKMARK")
        self.ctl("POST", "watches/stall")
        b.buf = b""
        b.sock.settimeout(0.3)
        time.sleep(0.05)   # let a bookmark already in flight arrive
        try:
            while True:
                b.chunk()
        except (TimeoutError, socket.timeout):
            pass
        b.sock.settimeout(0.8)
        self.apply(ns_("quiet"))
        with self.assertRaises((TimeoutError, socket.timeout)):
            b.chunk()
        b.sock.settimeout(10)
        self.ctl("POST", "watches/resume")
        while (e := b.event())["type"] == "BOOKMARK":
            pass
        self.assertEqual((e["type"], e["object"]["metadata"]["name"]), ("ADDED", "quiet"))

    def test_watchlist_modes(self):
        self.apply(svc("a"), svc("b", ns="kube-system"))
        q = "/api/v1/services?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan" \
            "&allowWatchBookmarks=true&resourceVersion=&timeoutSeconds=1"
        self.ctl("POST", "config", {"bookmarkInterval": 0})
        w = self.api(q)
        evs = [w.event() for _ in range(3)]
        self.assertEqual([e["type"] for e in evs], ["ADDED", "ADDED", "BOOKMARK"])
        self.assertEqual(evs[2]["object"]["metadata"]["annotations"], {"k8s.io/initial-events-end": "true"})
        self.assertEqual(evs[2]["object"]["metadata"]["resourceVersion"], self.ctl("GET", "stats")["resourceVersion"])
        self.assertEqual(self.ctl("GET", "stats")["watchlists"], {"services": 1})
        w.close()
        self.ctl("POST", "config", {"watchlist": "reject"})
        s = self.api(q)
        self.assertEqual(s.status, 422)
        self.assertIn("sendInitialEvents is forbidden", s.json()["message"])
        self.ctl("POST", "config", {"watchlist": "ignore"})
        w = self.api(q)
        types = []
        while (e := w.event()) is not None:
            types.append(e["type"])
        self.assertEqual(types, ["ADDED", "ADDED"], "ignore: objects but never the end bookmark")

    def test_pod_field_selector_as_coredns_sends_it(self):
        self.apply(pod("run", "Running"), pod("pend", "Pending"), pod("done", "Succeeded"),
                   pod("bad", "Failed"), pod("unk", "Unknown"))
        sel = urllib.parse.quote(CORE_DNS_POD_SELECTOR, safe="")
        self.assertIn("%21%3D", sel)
        page = self.api("/api/v1/pods?fieldSelector=" + sel).json()
        self.assertEqual(sorted(i["metadata"]["name"] for i in page["items"]), ["pend", "run"])
        rv = page["metadata"]["resourceVersion"]
        w = self.api(f"/api/v1/pods?watch=1&resourceVersion={rv}&fieldSelector={sel}")
        self.apply(pod("run", "Succeeded"), pod("done", "Running"))
        e1, e2 = w.event(), w.event()
        self.assertEqual((e1["type"], e1["object"]["metadata"]["name"]), ("DELETED", "run"))
        self.assertEqual((e2["type"], e2["object"]["metadata"]["name"]), ("ADDED", "done"))
        plain = self.api("/api/v1/pods?fieldSelector=status.phase!=Running").json()
        self.assertEqual(sorted(i["metadata"]["name"] for i in plain["items"]), ["bad", "pend", "run", "unk"])
        w.close()

    def test_namespaced_paths_labels_get_and_stats(self):
        self.apply(svc("a", labels={"tier": "x"}), svc("b", ns="kube-system", labels={"tier": "y"}),
                   slice_("a-1", "a"), ns_("default"))
        self.ctl("POST", "reset")
        names = lambda p: [i["metadata"]["name"] for i in self.api(p).json()["items"]]
        self.assertEqual(names("/api/v1/namespaces/kube-system/services"), ["b"])
        self.assertEqual(names("/api/v1/services?labelSelector=tier%3Dx"), ["a"])
        self.assertEqual(names("/api/v1/services?labelSelector=tier!%3Dx"), ["b"])
        self.assertEqual(names("/api/v1/services?labelSelector=tier"), ["a", "b"])
        self.assertEqual(names("/apis/discovery.k8s.io/v1/namespaces/default/endpointslices"), ["a-1"])
        one = self.api("/api/v1/namespaces/default/services/a").json()
        self.assertEqual((one["kind"], one["metadata"]["name"]), ("Service", "a"))
        self.assertEqual(self.api("/api/v1/namespaces/default").json()["kind"], "Namespace")
        self.assertEqual(self.api("/api/v1/namespaces/default/services/zz").status, 404)
        self.api("/api/v1/services?limit=1").json()
        st = self.ctl("GET", "stats")
        self.assertEqual(st["lists"], {"services": 5, "endpointslices": 1})
        self.assertEqual(st["gets"], {"services": 2, "namespaces": 1})
        page = self.api("/api/v1/services?limit=1").json()
        self.api("/api/v1/services?limit=1&continue=" + page["metadata"]["continue"]).json()
        st = self.ctl("GET", "stats")
        self.assertEqual(st["lists"]["services"], 6)
        self.assertEqual(st["pages"]["services"], 7)
        self.assertEqual(st["byClient"][UA]["lists"]["services"], 6)


class PlainSeededTests(FakeCase):
    """No TLS, no token, objects from --seed; read with http.client, a stock HTTP/1.1 client."""
    secure = False

    def fake_args(self):
        seed = os.path.join(self.dir, "seed.json")
        with open(seed, "w") as f:
            json.dump({"items": [ns_("default"), svc("a"), svc("b", "kube-system"), slice_("a-1", "a")]}, f)
        return ["--seed", seed, "--watchlist", "reject", "--chunk-max", "5"]

    def test_seeded_objects_over_plain_http_keepalive(self):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        self.addCleanup(c.close)
        for path, names in (("/api/v1/services", ["a", "b"]), ("/api/v1/namespaces", ["default"]),
                            ("/apis/discovery.k8s.io/v1/endpointslices", ["a-1"])):
            c.request("GET", path)     # the same connection each time: keep-alive after chunked bodies
            r = c.getresponse()
            self.assertEqual((r.status, r.getheader("Transfer-Encoding")), (200, "chunked"))
            self.assertEqual([i["metadata"]["name"] for i in json.loads(r.read())["items"]], names)
        c.request("GET", "/api/v1/services?watch=1&timeoutSeconds=1")
        r = c.getresponse()
        lines = r.read().splitlines()
        self.assertEqual([json.loads(x)["type"] for x in lines], ["ADDED", "ADDED"])
        c.request("GET", "/api/v1/services?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan"
                         "&allowWatchBookmarks=true")
        r = c.getresponse()
        self.assertEqual(r.status, 422)
        self.assertEqual(json.loads(r.read())["reason"], "Invalid")
        s = Stream(self.port, "/api/v1/namespaces", token=None, tls=False)
        self.addCleanup(s.close)
        s.json()
        self.assertLessEqual(max(len(x) for x in s.chunks), 5)


def kubeconfig(dirname, port, token=TOKEN):
    path = os.path.join(dirname, "kubeconfig")
    with open(path, "w") as f:
        json.dump({"apiVersion": "v1", "kind": "Config", "current-context": "fake",
                   "clusters": [{"name": "fake", "cluster": {"server": f"https://127.0.0.1:{port}",
                                                             "certificate-authority": pki("ca.crt")}}],
                   "users": [{"name": "u", "user": {"token": token}}],
                   "contexts": [{"name": "fake", "context": {"cluster": "fake", "user": "u"}}]}, f)
    return path


def json_stream(pipe, out, lock):
    """Splits kubectl's stream of (pretty-printed) JSON documents."""
    dec = json.JSONDecoder()
    buf = ""
    for line in pipe:
        buf += line
        while True:
            s = buf.lstrip()
            if not s:
                buf = ""
                break
            try:
                obj, end = dec.raw_decode(s)
            except ValueError:
                break
            with lock:
                out.append(obj)
            buf = s[end:]


def seed_cluster(case):
    case.apply(ns_("default"), ns_("kube-system"),
               svc("kubernetes", ip="10.96.0.1"), svc("kube-dns", "kube-system", "10.96.0.10"),
               slice_("kube-dns-abcde", "kube-dns", "kube-system", ("10.244.0.2", "10.244.0.3")),
               pod("coredns-1", "Running", "kube-system", "10.244.0.2"), pod("job-1", "Succeeded"))


@unittest.skipUnless(shutil.which("kubectl"), "kubectl not installed")
class KubectlTests(FakeCase):
    extra_args = ("--bookmark-interval", "1")

    def kubectl(self, *args):
        env = dict(os.environ, HOME=self.dir, KUBECACHEDIR=os.path.join(self.dir, "cache"))
        return subprocess.run(["kubectl", "--kubeconfig", kubeconfig(self.dir, self.port), *args],
                              capture_output=True, text=True, timeout=30, env=env)

    def test_kubectl_get_matches_fake(self):
        seed_cluster(self)
        for resource, extra in (("services", ()), ("endpointslices", ()), ("namespaces", ()),
                                ("pods", ("--field-selector", CORE_DNS_POD_SELECTOR))):
            r = self.kubectl("get", resource, "-A", "-o", "json", "--chunk-size=1", *extra)
            self.assertEqual(r.returncode, 0, r.stderr)
            got = {key(i): i for i in json.loads(r.stdout)["items"]}
            want = {key(o): o for o in self.objects(resource)}
            if resource == "pods":
                want = {k: o for k, o in want.items() if o["status"]["phase"] == "Running"}
            self.assertEqual(got, want, resource)
        r = self.kubectl("get", "svc", "-n", "kube-system", "kube-dns", "-o", "json")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["spec"]["clusterIP"], "10.96.0.10")

    def test_kubectl_watch_matches_fake(self):
        seed_cluster(self)
        env = dict(os.environ, HOME=self.dir, KUBECACHEDIR=os.path.join(self.dir, "cache"))
        p = subprocess.Popen(["kubectl", "--kubeconfig", kubeconfig(self.dir, self.port), "get", "services",
                              "-A", "--watch", "-o", "json", "--output-watch-events"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        self.addCleanup(lambda: (p.kill(), p.wait(), p.stdout.close(), p.stderr.close()))
        events, lock = [], threading.Lock()
        threading.Thread(target=json_stream, args=(p.stdout, events, lock), daemon=True).start()
        wait_until(lambda: len(events) >= 2, what="kubectl initial events")
        wait_until(lambda: self.ctl("GET", "stats")["watches"].get("services"), what="kubectl watch")
        self.apply(svc("web", ip="10.96.5.5"))
        self.apply(dict(svc("web", ip="10.96.5.5"), spec={"clusterIP": "10.96.5.5", "type": "ClusterIP",
                                                          "ports": [{"port": 80, "protocol": "TCP"}]}))
        self.apply(svc("api", "kube-system", "10.96.6.6"))
        self.ctl("DELETE", "objects/services/default/kubernetes")
        final_rv = self.ctl("GET", "stats")["resourceVersion"]

        def replayed():
            state = {}
            with lock:
                evs = list(events)
            for e in evs:
                if e["type"] == "DELETED":
                    state.pop(key(e["object"]), None)
                else:
                    state[key(e["object"])] = e["object"]
            return state, evs
        want = {key(o): o for o in self.objects("services")}
        wait_until(lambda: replayed()[0] == want, what="kubectl's view to equal the fake's")
        state, evs = replayed()
        self.assertEqual([e["type"] for e in evs[2:]], ["ADDED", "MODIFIED", "ADDED", "DELETED"])
        self.assertEqual(evs[-1]["object"]["metadata"]["resourceVersion"], final_rv)


class PythonClientTests(FakeCase):
    extra_args = ("--bookmark-interval", "0.5")

    def setUp(self):
        try:
            import kubernetes  # noqa: F401
        except ImportError:
            self.skipTest("the Python package 'kubernetes' is not importable (pip install kubernetes); "
                          "official-client checks skipped")
        super().setUp()
        from kubernetes import client
        conf = client.Configuration()
        conf.host = f"https://127.0.0.1:{self.port}"
        conf.ssl_ca_cert = pki("ca.crt")
        conf.api_key = {"authorization": "Bearer " + TOKEN}
        self.api_client = client.ApiClient(conf)
        self.addCleanup(self.api_client.close)
        self.core = client.CoreV1Api(self.api_client)
        self.disc = client.DiscoveryV1Api(self.api_client)

    def test_list_with_paging_matches_fake(self):
        seed_cluster(self)
        self.apply(*[svc(f"s{i}", ip=f"10.96.9.{i}") for i in range(5)])
        items, cont, rvs = [], None, set()
        while True:
            kw = {"limit": 2}
            if cont:
                kw["_continue"] = cont
            page = self.core.list_service_for_all_namespaces(**kw)
            items += page.items
            rvs.add(page.metadata.resource_version)
            cont = page.metadata._continue
            if not cont:
                break
        self.assertEqual(len(rvs), 1)
        want = {key(o): o for o in self.objects("services")}
        self.assertEqual({(i.metadata.namespace, i.metadata.name): i.metadata.resource_version for i in items},
                         {k: o["metadata"]["resourceVersion"] for k, o in want.items()})
        self.assertEqual({(i.metadata.namespace, i.metadata.name): i.spec.cluster_ip for i in items},
                         {k: o["spec"]["clusterIP"] for k, o in want.items()})
        slices = self.disc.list_endpoint_slice_for_all_namespaces()
        self.assertEqual([[a for e in s.endpoints for a in e.addresses] for s in slices.items],
                         [["10.244.0.2", "10.244.0.3"]])
        pods = self.core.list_pod_for_all_namespaces(field_selector=CORE_DNS_POD_SELECTOR)
        self.assertEqual([p.metadata.name for p in pods.items], ["coredns-1"])

    def test_watch_stream_matches_fake_and_410(self):
        from kubernetes import watch
        from kubernetes.client.exceptions import ApiException
        seed_cluster(self)
        lst = self.core.list_service_for_all_namespaces()
        state = {(i.metadata.namespace, i.metadata.name): i.metadata.resource_version for i in lst.items}
        rv = lst.metadata.resource_version
        seen, done = [], threading.Event()

        def run():
            w = watch.Watch()
            try:
                for ev in w.stream(self.core.list_service_for_all_namespaces, resource_version=rv,
                                   allow_watch_bookmarks=True, timeout_seconds=20):
                    seen.append((ev["type"], ev["raw_object"]))
            except Exception as e:   # the drop below ends the stream abruptly
                if not done.is_set():
                    raise
                seen.append(("closed", repr(e)))
        t = threading.Thread(target=run, daemon=True)
        t.start()
        wait_until(lambda: self.ctl("GET", "stats")["openWatches"] == 1, what="python watch")
        self.apply(svc("web"), svc("kube-dns", "kube-system", "10.96.0.99"))
        self.ctl("DELETE", "objects/services/default/web")
        want = {key(o): o["metadata"]["resourceVersion"] for o in self.objects("services")}

        def replay():
            s = dict(state)
            for typ, obj in list(seen):
                if typ == "DELETED":
                    s.pop(key(obj), None)
                elif typ in ("ADDED", "MODIFIED"):
                    s[key(obj)] = obj["metadata"]["resourceVersion"]
            return s
        wait_until(lambda: replay() == want, what="python client's view to equal the fake's")
        wait_until(lambda: any(t == "BOOKMARK" for t, _ in seen), what="a bookmark")
        done.set()
        self.ctl("POST", "watches/drop")
        t.join(10)
        self.ctl("POST", "compact")
        with self.assertRaises(ApiException) as cm:
            for _ in watch.Watch().stream(self.core.list_service_for_all_namespaces, resource_version=rv,
                                          timeout_seconds=5):
                pass
        self.assertEqual(cm.exception.status, 410)


if __name__ == "__main__":
    unittest.main()
