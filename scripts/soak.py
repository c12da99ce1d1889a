#!/usr/bin/env python3
"""Soak test: a mixed workload at a fraction of the measured maximum rate, answers checked,
while the manifest directory changes every 100 ms and the upstream is flaky (make soak).

    scripts/soak.py --binary .build/release/clusterdns [--seconds 300] [--fraction 0.8]

What it does, all on 127.0.0.1 in a temporary directory:
  1. Writes a Corefile (kubernetes from a manifest directory, cache, forward) and a cluster of
     STABLE Services that never change, plus a churn file rewritten (write + rename) every
     --churn-interval seconds with Services that appear, move and vanish.
  2. Starts a flaky upstream (this process, a thread): answers NAME.ext.test A with an address
     derived from the name, drops --drop of the queries and delays --delay of them by 300 ms.
  3. Starts the server, warms up, then measures the maximum rate of the mix with WINDOW queries
     outstanding for --measure seconds (the rate this generator and the server reach together
     on this machine: both share its CPUs).
  4. Sends the mix open-loop at --fraction of that rate for --seconds, checking every answer:
       cluster  svcN.soak.svc.cluster.local A          exactly its ClusterIP          (40 %)
       ndots    NAME.ext.test.soak.svc.cluster.local A  NXDOMAIN (a search-list try)   (20 %)
       churn    churnN.soak.svc.cluster.local A        NXDOMAIN or an address it had  (10 %)
       external NAME.ext.test A (half repeated, half unique) its derived address, or
                SERVFAIL when the flaky upstream lost both attempts, REFUSED when
                forward's max_concurrent is reached                                (30 %)
  5. Reports: queries, answers, wrong answers (with examples), SERVFAILs, REFUSEDs, lost queries (no
     answer in --timeout seconds), whether the server is still running, VmRSS at the start
     and the end of the soak (and VmHWM), and the churn applied. Exit status 1 when an answer
     was wrong or the server died; lost queries and SERVFAILs are reported, not failed.

Standard library only. Not part of `make test` (minutes long); `make soak SOAK_SECONDS=60`.
"""
import argparse
import hashlib
import heapq
import json
import multiprocessing
import os
import random
import select
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

STABLE = 300
CHURN = 40
CHURN_PREFIX = "10.77"
CLUSTER_ZONE = "soak.svc.cluster.local"


def encode_query(qid, name, qtype=1):
    wire = b"".join(bytes([len(label)]) + label.encode() for label in name.rstrip(".").split(".")) + b"\0"
    # RD set, EDNS OPT (1232) so answers are not cut at 512.
    opt = b"\0" + struct.pack(">HHIH", 41, 1232, 0, 0)
    return struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 1) + wire + struct.pack(">HH", qtype, 1) + opt


def skip_name(data, p):
    while True:
        length = data[p]
        if length == 0:
            return p + 1
        if length & 0xC0 == 0xC0:
            return p + 2
        p += 1 + length


def parse_answer(data):
    """(id, rcode, [A addresses as strings]); raises on malformed input."""
    qid, flags, qd, an, _, _ = struct.unpack_from(">HHHHHH", data, 0)
    p = 12
    for _ in range(qd):
        p = skip_name(data, p) + 4
    addresses = []
    for _ in range(an):
        p = skip_name(data, p)
        rtype, _, _, rdlength = struct.unpack_from(">HHIH", data, p)
        p += 10
        if rtype == 1 and rdlength == 4:
            addresses.append(socket.inet_ntoa(data[p:p + 4]))
        p += rdlength
    return qid, flags & 0x0F, addresses


def external_address(name):
    digest = hashlib.sha256(name.lower().encode()).digest()
    return f"198.18.{digest[0]}.{digest[1]}"


def stable_ip(i):
    return f"10.66.{i // 250}.{i % 250 + 1}"


def write_atomic(path, text):
    temporary = os.path.join(os.path.dirname(path), "." + os.path.basename(path) + ".tmp")
    with open(temporary, "w") as f:
        f.write(text)
    os.rename(temporary, path)


def service_yaml(name, ip):
    return (f"apiVersion: v1\nkind: Service\nmetadata: {{name: {name}, namespace: soak}}\n"
            f"spec:\n  clusterIP: {ip}\n  ports: [{{name: dns, port: 53, protocol: UDP}}]\n")


class FlakyUpstream(multiprocessing.Process):
    """UDP upstream for *.ext.test: answers with external_address, drops and delays some. Its own
    process, so the load generator's work never starves it (one interpreter lock each)."""

    def __init__(self, drop, delay, seed):
        super().__init__(daemon=True)
        self.counters = multiprocessing.Array("q", 3)  # received, dropped, delayed
        self.stop_event = multiprocessing.Event()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.setblocking(False)
        self.port = self.sock.getsockname()[1]
        self.drop, self.delay = drop, delay
        self.random = random.Random(seed)

    @property
    def received(self):
        return self.counters[0]

    @property
    def dropped(self):
        return self.counters[1]

    @property
    def delayed(self):
        return self.counters[2]

    def answer(self, query):
        qid, flags, qd, _, _, arcount = struct.unpack_from(">HHHHHH", query, 0)
        end = skip_name(query, 12)
        labels, p = [], 12
        while query[p]:
            labels.append(query[p + 1:p + 1 + query[p]].decode(errors="replace"))
            p += 1 + query[p]
        name = ".".join(labels)
        qtype = struct.unpack_from(">H", query, end)[0]
        question = query[12:end + 4]
        opt = b"\0" + struct.pack(">HHIH", 41, 1232, 0, 0) if arcount else b""
        if name.lower().endswith("ext.test") and qtype == 1:
            rr = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 30, 4) + socket.inet_aton(external_address(name))
            header = struct.pack(">HHHHHH", qid, 0x8180 | (flags & 0x0100), 1, 1, 0, 1 if opt else 0)
            return header + question + rr + opt
        rcode = 0 if name.lower().endswith("ext.test") or name == "" else 3
        header = struct.pack(">HHHHHH", qid, 0x8180 | (flags & 0x0100) | rcode, 1, 0, 0, 1 if opt else 0)
        return header + question + opt

    def run(self):
        pending = []  # (due, answer, peer)
        received = dropped = delayed = 0
        while not self.stop_event.is_set():
            self.counters[0], self.counters[1], self.counters[2] = received, dropped, delayed
            timeout = max(0.0, pending[0][0] - time.monotonic()) if pending else 0.1
            ready, _, _ = select.select([self.sock], [], [], min(timeout, 0.1))
            now = time.monotonic()
            while pending and pending[0][0] <= now:
                _, reply, peer = heapq.heappop(pending)
                self.send(reply, peer)
            if not ready:
                continue
            for _ in range(256):
                try:
                    query, peer = self.sock.recvfrom(4096)
                except BlockingIOError:
                    break
                received += 1
                try:
                    reply = self.answer(query)
                except Exception:
                    continue
                r = self.random.random()
                if r < self.drop:
                    dropped += 1
                elif r < self.drop + self.delay:
                    delayed += 1
                    heapq.heappush(pending, (now + 0.3, reply, peer))
                else:
                    self.send(reply, peer)

    def send(self, reply, peer):
        try:
            self.sock.sendto(reply, peer)
        except OSError:
            pass  # a full socket buffer: a loss, as on a real network


class Churn(threading.Thread):
    """Rewrites churn.yaml every interval: each churn Service is present or not, at one of two addresses."""

    def __init__(self, directory, interval, seed):
        super().__init__(daemon=True)
        self.path = os.path.join(directory, "churn.yaml")
        self.interval = interval
        self.random = random.Random(seed)
        self.writes = 0
        self.stopped = False

    def content(self):
        docs = []
        for i in range(CHURN):
            if self.random.random() < 0.7:
                docs.append(service_yaml(f"churn{i}", f"{CHURN_PREFIX}.{i}.{self.random.choice((1, 2))}"))
        # A stable object in the churn file too, so the file is never empty.
        docs.append(service_yaml("churn-anchor", f"{CHURN_PREFIX}.200.1"))
        return "---\n".join(docs)

    def run(self):
        next_at = time.monotonic()
        while not self.stopped:
            write_atomic(self.path, self.content())
            self.writes += 1
            next_at += self.interval
            time.sleep(max(0.0, next_at - time.monotonic()))


class Mix:
    """Draws questions and knows what each must be answered with."""

    def __init__(self, seed):
        self.random = random.Random(seed)
        self.unique = 0
        self.repeated = [f"r{i}.ext.test" for i in range(2000)]

    def draw(self):
        """(kind, name, check) where check(rcode, addresses) -> None when right, else why not."""
        r = self.random.random()
        if r < 0.4:
            i = self.random.randrange(STABLE)
            want = stable_ip(i)
            return "cluster", f"svc{i}.{CLUSTER_ZONE}", lambda rc, a, w=want: None if rc == 0 and a == [w] else f"rcode {rc} {a}, want {w}"
        if r < 0.6:
            n = f"q{self.random.randrange(100000)}.ext.test.{CLUSTER_ZONE}"
            return "ndots", n, lambda rc, a: None if rc == 3 and not a else f"rcode {rc} {a}, want NXDOMAIN"
        if r < 0.7:
            i = self.random.randrange(CHURN)
            allowed = {f"{CHURN_PREFIX}.{i}.1", f"{CHURN_PREFIX}.{i}.2"}
            return "churn", f"churn{i}.{CLUSTER_ZONE}", lambda rc, a, ok=allowed: (
                None if (rc == 3 and not a) or (rc == 0 and len(a) == 1 and a[0] in ok) else f"rcode {rc} {a}, want NXDOMAIN or one of {sorted(ok)}")
        if self.random.random() < 0.5:
            name = self.random.choice(self.repeated)
        else:
            self.unique += 1
            name = f"u{self.unique}-{self.random.randrange(1 << 30)}.ext.test"
        want = external_address(name)
        # SERVFAIL is the documented outcome when the flaky upstream lost every attempt, REFUSED
        # when forward's max_concurrent is reached (both counted apart, not wrong).
        return "external", name, lambda rc, a, w=want: None if (rc == 0 and a == [w]) or rc in (2, 5) else f"rcode {rc} {a}, want {w}"


class Client:
    """Sockets to the server; tracks outstanding queries by (socket, ID)."""

    def __init__(self, port, sockets=16):
        self.sockets = []
        for _ in range(sockets):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
            s.connect(("127.0.0.1", port))
            s.setblocking(False)
            self.sockets.append(s)
        self.by_fd = {s.fileno(): i for i, s in enumerate(self.sockets)}
        self.poller = select.epoll()
        for s in self.sockets:
            self.poller.register(s.fileno(), select.EPOLLIN)
        self.next_id = [random.randrange(65536) for _ in self.sockets]
        self.turn = 0
        self.outstanding = {}  # (socket index, id) -> (sent, kind, name, check)

    def send(self, question, now):
        for _ in range(len(self.sockets)):
            i = self.turn
            self.turn = (self.turn + 1) % len(self.sockets)
            qid = self.next_id[i] = (self.next_id[i] + 1) & 0xFFFF
            if (i, qid) in self.outstanding:
                continue
            kind, name, check = question
            try:
                self.sockets[i].send(encode_query(qid, name))
            except (BlockingIOError, ConnectionRefusedError):
                return False
            self.outstanding[(i, qid)] = (now, kind, name, check)
            return True
        return False

    def receive(self, timeout, on_answer):
        for fd, _ in self.poller.poll(timeout):
            i = self.by_fd[fd]
            while True:
                try:
                    data = self.sockets[i].recv(65535)
                except (BlockingIOError, ConnectionRefusedError):
                    break
                try:
                    qid, rcode, addresses = parse_answer(data)
                except Exception:
                    on_answer(None, None, None, "malformed answer")
                    continue
                entry = self.outstanding.pop((i, qid), None)
                if entry is not None:
                    on_answer(entry, rcode, addresses, None)

    def expire(self, now, timeout):
        lost = [(key, entry) for key, entry in self.outstanding.items() if now - entry[0] > timeout]
        for key, _ in lost:
            del self.outstanding[key]
        return [entry for _, entry in lost]


def free_port():
    """A port free for both UDP and TCP on every address (the server binds 0.0.0.0 and ::)."""
    for _ in range(100):
        port = random.randrange(20000, 60000)
        try:
            for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
                with socket.socket(socket.AF_INET, kind) as probe:
                    probe.bind(("0.0.0.0", port))
            return port
        except OSError:
            continue
    sys.exit("soak: no free port")


def status_kb(pid, field):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def open_fds(pid):
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return None


def measure(client, mix, seconds, window):
    """Answers per second with `window` queries outstanding (closed loop)."""
    answered = 0
    start = time.monotonic()

    def on_answer(entry, rcode, addresses, error):
        nonlocal answered
        answered += 1

    while time.monotonic() - start < seconds:
        now = time.monotonic()
        while len(client.outstanding) < window:
            if not client.send(mix.draw(), now):
                break
        client.receive(0.01, on_answer)
        client.expire(time.monotonic(), 2.0)
    elapsed = time.monotonic() - start
    # Drain so the soak starts clean.
    end = time.monotonic() + 6
    while client.outstanding and time.monotonic() < end:
        client.receive(0.05, on_answer)
    client.outstanding.clear()
    return answered / elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", default=".build/release/clusterdns")
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--fraction", type=float, default=0.8)
    parser.add_argument("--measure", type=float, default=10, help="seconds of the maximum-rate measurement")
    parser.add_argument("--rate", type=float, help="send at this rate instead of measuring")
    parser.add_argument("--window", type=int, default=256)
    parser.add_argument("--churn-interval", type=float, default=0.1)
    parser.add_argument("--drop", type=float, default=0.01)
    parser.add_argument("--delay", type=float, default=0.02)
    parser.add_argument("--timeout", type=float, default=8.0, help="seconds before a query counts as lost")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--json", help="also write the report here")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()

    if not os.access(args.binary, os.X_OK):
        sys.exit(f"soak: {args.binary} is not an executable (make build)")
    work = tempfile.mkdtemp(prefix="clusterdns-soak-")
    manifests = os.path.join(work, "cluster")
    os.makedirs(manifests)
    with open(os.path.join(manifests, "namespaces.yaml"), "w") as f:
        f.write("apiVersion: v1\nkind: Namespace\nmetadata: {name: soak}\n")
    with open(os.path.join(manifests, "stable.yaml"), "w") as f:
        f.write("---\n".join(service_yaml(f"svc{i}", stable_ip(i)) for i in range(STABLE)))
    churn = Churn(manifests, args.churn_interval, args.seed)
    write_atomic(churn.path, churn.content())

    upstream = FlakyUpstream(args.drop, args.delay, args.seed)
    upstream.start()
    port = free_port()
    corefile = os.path.join(work, "Corefile")
    with open(corefile, "w") as f:
        f.write(f""".:{port} {{
    errors
    kubernetes cluster.local in-addr.arpa ip6.arpa {{
        manifests {manifests}
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
    }}
    cache 30
    forward . 127.0.0.1:{upstream.port} {{
        max_concurrent 1000
    }}
}}
""")
    log_path = os.path.join(work, "server.log")
    log = open(log_path, "w")
    server = subprocess.Popen([args.binary, "serve", "--conf", corefile, "--workers", str(args.workers)],
                              stdout=log, stderr=subprocess.STDOUT)
    report = {"binary": args.binary, "workers": args.workers, "directory": work}
    try:
        client = Client(port)
        mix = Mix(args.seed)
        # Wait until a stable name answers.
        deadline = time.monotonic() + 30
        ready = False
        while time.monotonic() < deadline and not ready:
            if server.poll() is not None:
                sys.exit(f"soak: the server exited ({server.returncode}):\n" + open(log_path).read())
            client.send(("cluster", f"svc0.{CLUSTER_ZONE}", None), time.monotonic())
            client.receive(200, lambda e, rc, a, err: None)
            ready = not client.outstanding
            client.outstanding.clear()
        if not ready:
            sys.exit("soak: the server did not answer within 30 s:\n" + open(log_path).read())

        churn.start()
        if args.rate:
            rate = args.rate
            report["max_qps"] = None
        else:
            measure(client, mix, 3, args.window)  # warm-up: caches, sockets, page faults
            max_qps = measure(client, mix, args.measure, args.window)
            report["max_qps"] = round(max_qps)
            rate = max_qps * args.fraction
        report["target_qps"] = round(rate)
        print(f"soak: maximum {report['max_qps']} queries/s measured; soaking at {rate:.0f}/s for {args.seconds:.0f} s "
              f"with churn every {args.churn_interval * 1000:.0f} ms", flush=True)

        pid = server.pid
        rss_start, fds_start = status_kb(pid, "VmRSS"), open_fds(pid)
        counts = {k: {"sent": 0, "answered": 0, "wrong": 0, "servfail": 0, "refused": 0, "lost": 0}
                  for k in ("cluster", "ndots", "churn", "external")}
        wrong_examples = []
        malformed = 0
        rss_samples = []

        def on_answer(entry, rcode, addresses, error):
            nonlocal malformed
            if entry is None:
                malformed += 1
                return
            _, kind, name, check = entry
            c = counts[kind]
            c["answered"] += 1
            if rcode == 2:
                c["servfail"] += 1
            elif rcode == 5:
                c["refused"] += 1
            why = check(rcode, addresses)
            if why is not None:
                c["wrong"] += 1
                if len(wrong_examples) < 20:
                    wrong_examples.append(f"{kind} {name}: {why}")

        start = time.monotonic()
        sent = 0
        next_sample = start
        while True:
            now = time.monotonic()
            elapsed = now - start
            if elapsed >= args.seconds:
                rss_samples.append((round(elapsed), status_kb(pid, "VmRSS"), open_fds(pid)))
                break
            due = int(elapsed * rate)
            burst = 0
            while sent < due and burst < 2000:
                question = mix.draw()
                if client.send(question, now):
                    counts[question[0]]["sent"] += 1
                sent += 1
                burst += 1
            client.receive(0.002, on_answer)
            for entry in client.expire(time.monotonic(), args.timeout):
                counts[entry[1]]["lost"] += 1
            if now >= next_sample:
                rss_samples.append((round(elapsed), status_kb(pid, "VmRSS"), open_fds(pid)))
                next_sample += 10
                if server.poll() is not None:
                    break
        # The last answers.
        end = time.monotonic() + args.timeout
        while client.outstanding and time.monotonic() < end:
            client.receive(0.05, on_answer)
        for entry in list(client.outstanding.values()):
            counts[entry[1]]["lost"] += 1
        duration = min(time.monotonic() - start, args.seconds)
        churn.stopped = True
        running = server.poll() is None
        report.update({
            "seconds": round(duration, 1),
            "sent": sum(c["sent"] for c in counts.values()),
            "answered": sum(c["answered"] for c in counts.values()),
            "achieved_qps": round(sum(c["answered"] for c in counts.values()) / duration),
            "wrong": sum(c["wrong"] for c in counts.values()),
            "servfail": sum(c["servfail"] for c in counts.values()),
            "refused": sum(c["refused"] for c in counts.values()),
            "lost": sum(c["lost"] for c in counts.values()),
            "malformed": malformed,
            "by_kind": counts,
            "wrong_examples": wrong_examples,
            "server_running": running,
            "exit_code": server.returncode,
            "rss_kb_start": rss_start,
            "rss_kb_end": status_kb(pid, "VmRSS") if running else None,
            "hwm_kb": status_kb(pid, "VmHWM") if running else None,
            "fds_start": fds_start,
            "fds_end": open_fds(pid) if running else None,
            "rss_samples": rss_samples,
            "churn_writes": churn.writes,
            "upstream": {"received": upstream.received, "dropped": upstream.dropped, "delayed": upstream.delayed},
        })
        if report["rss_kb_start"] and report["rss_kb_end"]:
            report["rss_change_percent"] = round(100 * (report["rss_kb_end"] - rss_start) / rss_start, 1)
        with open(log_path) as f:
            text = f.read()
        report["log_errors"] = sum(1 for line in text.splitlines() if "error" in line.lower())
        report["log_lines"] = len(text.splitlines())
    finally:
        churn.stopped = True
        upstream.stop_event.set()
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(20)
            except subprocess.TimeoutExpired:
                server.kill()
        log.close()

    summary = {k: v for k, v in report.items() if k not in ("rss_samples", "by_kind")}
    print(json.dumps(summary, indent=1))
    print("by kind: " + json.dumps(report["by_kind"]))
    print("VmRSS / fds every 10 s: " + " ".join(f"{t}s:{r}kB/{n}" for t, r, n in report["rss_samples"]))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)
    if not args.keep and report.get("wrong") == 0 and report.get("server_running"):
        subprocess.run(["rm", "-rf", work])
    else:
        print(f"soak: kept {work} (server.log, Corefile, manifests)")
    if report.get("wrong", 1) or not report.get("server_running", False):
        sys.exit(1)


if __name__ == "__main__":
    main()
