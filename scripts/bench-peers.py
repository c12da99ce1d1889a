#!/usr/bin/env python3
"""ClusterDNS beside NSD, Knot and unbound on one generated cluster: QPS and server CPU per query.

    scripts/bench-peers.py --binary .build/release/clusterdns [--services 2000] [--duration 10]
    scripts/bench-peers.py --binary ... --experiment workers    # 1 vs 2 workers, load unpinned
    scripts/bench-peers.py --binary ... --experiment cache      # Zipf external names, 1 vs 8 workers
    scripts/bench-peers.py --binary ... --experiment profile    # callgrind instructions per query

`make bench-peers` runs the first (installs the peers from Debian, builds the release binary).

Experiment `peers` (the default). One cluster of N services (20 per namespace, every tenth
headless with three named endpoints) is written as manifests for ClusterDNS and as the zone files
its `kubernetes` plugin answers from (cluster.local, 10.in-addr.arpa) for NSD, Knot and unbound
(an auth-zone). ClusterDNS runs the stock kubeadm cache block (cluster.local is not cached), so
cluster and ndots measure its kubernetes plugin. Each target in turn serves it on a free loopback port, pinned to CPU 1, one worker
or thread each; the load generator runs on CPU 0. Workloads:
  cluster   names inside cluster.local: ClusterIP A, headless A, endpoint A, SRV, AAAA (NODATA),
            PTR, NXDOMAIN
  ndots     what a pod with ndots:5 and the search list <ns>.svc.cluster.local svc.cluster.local
            cluster.local sends to cluster DNS, A and AAAA per candidate (mostly NXDOMAIN)
  external  1 000 names under example.test, through forward + cache (ClusterDNS, unbound) from an
            NSD upstream on loopback; after a warm-up every answer is a cache hit. NSD and Knot are
            authoritative only and skip it.
Transports: udp (dnsperf -c 8 -q 500), tcp (dnsperf -m tcp -c 8 -q 500: 8 connections,
pipelined), tcp1 (scripts/bench-tcp-short.c: 64 connections in flight, one query per connection).
CPU per query: the server's utime+stime (/proc/PID/stat, all its threads and child processes) over
the measured run, divided by the answered queries.

Only loopback addresses are used; every process started here is stopped by its PID. The machine
may be shared: compare ratios within one run, not absolute figures across runs.
Standard library only (plus dnsperf, nsd, knotd, unbound and a C compiler on PATH).
"""
import argparse
import bisect
import math
import os
import random
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request

SERVICES_PER_NAMESPACE = 20
ZONE = "cluster.local"
TTL = 30
EXTERNAL_NAMES = 1000
ZIPF_NAMES = 50_000
HERE = os.path.dirname(os.path.abspath(__file__))


# ----------------------------------------------------------------------------- the cluster
def service_ip(i):
    n = (96 << 16) + 256 + i  # 10.96.1.0 up: kubeadm's service range
    return f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"


def endpoint_ip(i, k):
    n = (128 << 16) + 1 + i * 3 + k  # 10.128.0.0/9
    return f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"


def reverse(ip):
    return ".".join(reversed(ip.split("."))) + ".in-addr.arpa."


class Cluster:
    """Services svc<i> in namespaces ns<i // 20>; every tenth (i % 10 == 9) headless."""

    def __init__(self, services):
        self.services = services
        self.namespaces = max(1, (services + SERVICES_PER_NAMESPACE - 1) // SERVICES_PER_NAMESPACE)

    @staticmethod
    def headless(i):
        return i % 10 == 9

    @staticmethod
    def where(i):
        return f"svc{i}", f"ns{i // SERVICES_PER_NAMESPACE}"

    def fqdn(self, i):
        name, ns = self.where(i)
        return f"{name}.{ns}.svc.{ZONE}."

    def write_manifests(self, out):
        os.makedirs(out, exist_ok=True)
        with open(os.path.join(out, "00-namespaces.yaml"), "w") as f:
            for n in range(self.namespaces):
                f.write(f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns{n}\n---\n")
        for n in range(self.namespaces):
            docs = []
            for i in range(n * SERVICES_PER_NAMESPACE, min(self.services, (n + 1) * SERVICES_PER_NAMESPACE)):
                name, ns = self.where(i)
                headless = self.headless(i)
                docs.append(
                    f"apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n"
                    f"  clusterIP: {'None' if headless else service_ip(i)}\n  ports:\n"
                    f"  - name: http\n    port: 80\n    protocol: TCP\n"
                    f"  - name: grpc\n    port: 9090\n    protocol: TCP\n")
                endpoints = "".join(
                    f"- addresses: [\"{endpoint_ip(i, k)}\"]\n  conditions:\n    ready: true\n"
                    + (f"  hostname: ep-{k}\n" if headless else "")
                    for k in range(3))
                docs.append(
                    f"apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: {name}-x\n"
                    f"  namespace: {ns}\n  labels:\n    kubernetes.io/service-name: {name}\naddressType: IPv4\n"
                    f"ports:\n- name: http\n  port: 8080\n  protocol: TCP\n- name: grpc\n  port: 9090\n  protocol: TCP\n"
                    f"endpoints:\n{endpoints}")
            with open(os.path.join(out, f"ns{n}.yaml"), "w") as f:
                f.write("---\n".join(docs))

    def write_zones(self, out):
        """The records the kubernetes plugin answers with for the names the workloads ask
        (Kubernetes DNS spec 1.1.0, `pods insecure`), as NSD/Knot/unbound zone files."""
        with open(os.path.join(out, "cluster.local.zone"), "w") as f:
            f.write(f"$ORIGIN {ZONE}.\n$TTL {TTL}\n")
            f.write(f"@ IN SOA ns.dns.{ZONE}. hostmaster.{ZONE}. 1 7200 1800 86400 {TTL}\n")
            f.write(f"@ IN NS ns.dns.{ZONE}.\nns.dns IN A 10.96.0.10\n")
            f.write('dns-version IN TXT "1.1.0"\n')
            for i in range(self.services):
                own = self.fqdn(i)
                if self.headless(i):
                    for k in range(3):
                        f.write(f"{own} IN A {endpoint_ip(i, k)}\n")
                        f.write(f"ep-{k}.{own} IN A {endpoint_ip(i, k)}\n")
                        for port, number in (("http", 8080), ("grpc", 9090)):
                            f.write(f"_{port}._tcp.{own} IN SRV 0 33 {number} ep-{k}.{own}\n")
                else:
                    f.write(f"{own} IN A {service_ip(i)}\n")
                    for port, number in (("http", 80), ("grpc", 9090)):
                        f.write(f"_{port}._tcp.{own} IN SRV 0 100 {number} {own}\n")
        with open(os.path.join(out, "10.in-addr.arpa.zone"), "w") as f:
            f.write(f"$ORIGIN 10.in-addr.arpa.\n$TTL {TTL}\n")
            f.write(f"@ IN SOA ns.dns.{ZONE}. hostmaster.{ZONE}. 1 7200 1800 86400 {TTL}\n@ IN NS ns.dns.{ZONE}.\n")
            for i in range(self.services):
                own = self.fqdn(i)
                if self.headless(i):
                    for k in range(3):
                        f.write(f"{reverse(endpoint_ip(i, k))} IN PTR ep-{k}.{own}\n")
                else:
                    f.write(f"{reverse(service_ip(i))} IN PTR {own}\n")
        with open(os.path.join(out, "example.test.zone"), "w") as f:
            f.write("$ORIGIN example.test.\n$TTL 300\n")
            f.write("@ IN SOA ns.example.test. hostmaster.example.test. 1 7200 1800 86400 300\n")
            f.write("@ IN NS ns.example.test.\nns IN A 192.0.2.53\n")
            for n in range(ZIPF_NAMES):
                f.write(f"h{n} IN A 198.18.{n >> 8 & 255}.{n & 255}\n")

    # ------------------------------------------------------------------------- workloads
    def cluster_queries(self, rng, count):
        out = []
        plain = [i for i in range(self.services) if not self.headless(i)]
        heads = [i for i in range(self.services) if self.headless(i)] or plain
        for _ in range(count):
            r = rng.random()
            if r < 0.35:
                out.append(f"{self.fqdn(rng.choice(plain))} A")
            elif r < 0.45:
                out.append(f"{self.fqdn(rng.choice(heads))} A")
            elif r < 0.50:
                out.append(f"ep-{rng.randrange(3)}.{self.fqdn(rng.choice(heads))} A")
            elif r < 0.60:
                out.append(f"_{rng.choice(['http', 'grpc'])}._tcp.{self.fqdn(rng.choice(plain))} SRV")
            elif r < 0.65:
                out.append(f"_http._tcp.{self.fqdn(rng.choice(heads))} SRV")
            elif r < 0.80:
                out.append(f"{self.fqdn(rng.choice(plain))} AAAA")
            elif r < 0.90:
                i = rng.choice(plain + heads)
                out.append(f"{reverse(endpoint_ip(i, 0) if self.headless(i) else service_ip(i))} PTR")
            else:
                _, ns = self.where(rng.randrange(self.services))
                out.append(f"missing{rng.randrange(10**6)}.{ns}.svc.{ZONE}. A")
        return out

    def ndots_queries(self, rng, count):
        """glibc with ndots:5: a name with fewer than five dots is tried with each search suffix
        in turn until one answers, A and AAAA each. The last, absolute try of an external name
        goes to forward in a cluster; it is left out so every target answers every query."""
        out = []
        while len(out) < count:
            i = rng.randrange(self.services)
            name, ns = self.where(i)
            pod_ns = f"ns{rng.randrange(self.namespaces)}"
            search = [f"{pod_ns}.svc.{ZONE}", f"svc.{ZONE}", ZONE]
            r = rng.random()
            if r < 0.5:  # a service of the pod's own namespace: the first candidate answers
                short, pod_ns = name, ns
                search[0] = f"{ns}.svc.{ZONE}"
                tries = 1
            elif r < 0.8:  # name.namespace: the second candidate answers
                short, tries = f"{name}.{ns}", 2
            else:  # an external name: every cluster candidate is NXDOMAIN
                short, tries = f"h{rng.randrange(EXTERNAL_NAMES)}.example.test", 3
            for suffix in search[:tries]:
                out.append(f"{short}.{suffix}. A")
                out.append(f"{short}.{suffix}. AAAA")
        return out[:count]


def external_queries(rng, count):
    return [f"h{rng.randrange(EXTERNAL_NAMES)}.example.test. A" for _ in range(count)]


def zipf_queries(rng, count, names=ZIPF_NAMES, s=1.0):
    """`count` names drawn from h0…h(names-1) with probability ∝ 1/rank^s (rank = index + 1)."""
    cumulative, total = [], 0.0
    for rank in range(1, names + 1):
        total += 1.0 / rank ** s
        cumulative.append(total)
    return [f"h{bisect.bisect_left(cumulative, rng.random() * total)}.example.test. A" for _ in range(count)]


def write_dataset(directory, services):
    stamp = os.path.join(directory, "complete")
    if os.path.exists(stamp):
        return
    cluster = Cluster(services)
    shutil.rmtree(directory, ignore_errors=True)
    cluster.write_manifests(os.path.join(directory, "manifests"))
    cluster.write_zones(directory)
    rng = random.Random(16)
    for name, lines in (("cluster", cluster.cluster_queries(rng, 100_000)),
                        ("ndots", cluster.ndots_queries(rng, 100_000)),
                        ("external", external_queries(rng, 100_000)),
                        ("zipf", zipf_queries(rng, 200_000))):
        with open(os.path.join(directory, f"queries-{name}.txt"), "w") as f:
            f.write("\n".join(lines) + "\n")
    open(stamp, "w").close()


# ----------------------------------------------------------------------------- processes
def free_port():
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            u.bind(("127.0.0.1", 0))
            port = u.getsockname()[1]
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
            try:
                t.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue


TYPES = {"A": 1, "PTR": 12, "TXT": 16, "AAAA": 28, "SRV": 33}


def ask(port, name, qtype, timeout=0.5):
    """(rcode, answer count) of one UDP query, or None without an answer."""
    qid = random.randrange(65536)
    wire = b"".join(bytes([len(l)]) + l.encode() for l in name.rstrip(".").split(".")) + b"\0"
    packet = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0) + wire + struct.pack(">HH", TYPES[qtype], 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        try:
            s.sendto(packet, ("127.0.0.1", port))
            data = s.recv(65535)
        except OSError:
            return None
    if len(data) < 12 or struct.unpack(">H", data[:2])[0] != qid:
        return None
    flags, _, ancount = struct.unpack(">HHH", data[2:8])
    return flags & 15, ancount


def wait_answering(port, process, seconds=120):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        if ask(port, f"dns-version.{ZONE}.", "TXT") == (0, 1):
            return True
        time.sleep(0.1)
    return False


def process_tree(pid):
    """pid and its descendants (NSD forks its server processes)."""
    pids, queue = [], [pid]
    while queue:
        p = queue.pop()
        pids.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    queue.extend(int(c) for c in f.read().split())
        except OSError:
            pass
    return pids


def cpu_seconds(pid):
    """utime + stime of a process tree (the process line sums all its threads)."""
    ticks = 0
    for p in process_tree(pid):
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return ticks / os.sysconf("SC_CLK_TCK")


def stop(process):
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Bench:
    def __init__(self, args):
        self.args = args
        self.data = os.path.join(args.work, f"data-{args.services}")
        self.run = tempfile.mkdtemp(prefix="run-", dir=args.work)
        self.processes = []
        self.wrapper = []
        self.timeout = 2  # dnsperf's -t: seconds before a query counts as lost
        pin = args.pin and os.cpu_count() >= 2
        self.server_cpu = ["taskset", "-c", "1"] if pin else []
        self.load_cpu = ["taskset", "-c", "0"] if pin else []
        self.short = os.path.join(self.run, "bench-tcp-short")
        subprocess.run([args.cc, "-O2", "-o", self.short, os.path.join(HERE, "bench-tcp-short.c")], check=True)

    def spawn(self, command, log):
        with open(log, "w") as out:
            p = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        self.processes.append(p)
        return p

    def close(self):
        for p in self.processes:
            stop(p)

    def nsd_conf(self, directory, port, zones):
        text = (f"server:\n  ip-address: 127.0.0.1@{port}\n  server-count: 1\n  zonesdir: \"{self.data}\"\n"
                f"  pidfile: \"{directory}/nsd.pid\"\n  database: \"\"\n  username: \"\"\n  chroot: \"\"\n"
                f"  xfrdfile: \"{directory}/xfrd.state\"\n  zonelistfile: \"{directory}/zone.list\"\n"
                f"  xfrdir: \"{directory}\"\n  logfile: \"{directory}/nsd.log\"\n  verbosity: 0\n"
                f"  tcp-count: 1000\n  tcp-query-count: 0\n"
                # Debian's NSD has response rate limiting on (200 answers/s per /24): every
                # query here comes from 127.0.0.1, so it would drop or truncate most of them.
                f"  rrl-ratelimit: 0\n  rrl-whitelist-ratelimit: 0\n"
                "remote-control:\n  control-enable: no\n")
        for zone in zones:
            text += f"zone:\n  name: {zone}\n  zonefile: {zone}.zone\n"
        path = os.path.join(directory, "nsd.conf")
        with open(path, "w") as f:
            f.write(text)
        return path

    def start_upstream(self):
        d = os.path.join(self.run, "upstream")
        os.makedirs(d)
        port = free_port()
        conf = self.nsd_conf(d, port, ["example.test"])
        p = self.spawn(["nsd", "-d", "-c", conf], os.path.join(d, "out.log"))
        deadline = time.monotonic() + 60
        while ask(port, "h0.example.test.", "A") != (0, 1):
            if time.monotonic() > deadline or p.poll() is not None:
                sys.exit(f"the upstream NSD did not start; see {d}/out.log")
            time.sleep(0.1)
        self.upstream = port

    def start(self, target, workers=1, metrics_port=None, cache_capacity=None):
        """Starts a target on a free port; returns (process, port)."""
        d = os.path.join(self.run, target + (f"-{workers}w" if target == "clusterdns" else ""))
        os.makedirs(d, exist_ok=True)
        port = free_port()
        if target == "clusterdns":
            metrics = f"    prometheus 127.0.0.1:{metrics_port}\n" if metrics_port else ""
            # The stock kubeadm cache block (kubeadm 1.32 on): cluster.local answers are not cached,
            # so the cluster and ndots workloads measure the kubernetes plugin, not the cache.
            cache = ("cache 30 {\n        disable success cluster.local\n        disable denial cluster.local\n"
                     + (f"        success {cache_capacity}\n" if cache_capacity else "") + "    }")
            with open(os.path.join(d, "Corefile"), "w") as f:
                f.write(f".:{port} {{\n    bind 127.0.0.1\n"
                        f"    kubernetes {ZONE} in-addr.arpa ip6.arpa {{\n"
                        f"        manifests {self.data}/manifests\n        pods insecure\n"
                        f"        fallthrough in-addr.arpa ip6.arpa\n        ttl {TTL}\n    }}\n"
                        f"    forward . 127.0.0.1:{self.upstream}\n    {cache}\n{metrics}}}\n")
            command = [self.args.binary, "serve", "--conf", os.path.join(d, "Corefile"),
                       "--workers", str(workers), "--log-level", "warning"]
        elif target == "nsd":
            command = ["nsd", "-d", "-c", self.nsd_conf(d, port, [ZONE, "10.in-addr.arpa"])]
        elif target == "knot":
            zones = "".join(f"  - domain: {z}\n    storage: \"{self.data}\"\n    file: {z}.zone\n"
                            f"    journal-content: none\n    zonefile-sync: -1\n" for z in (ZONE, "10.in-addr.arpa"))
            with open(os.path.join(d, "knot.conf"), "w") as f:
                f.write(f"server:\n  listen: 127.0.0.1@{port}\n  udp-workers: 1\n  tcp-workers: 1\n"
                        f"  background-workers: 1\n  rundir: \"{d}\"\n  tcp-max-clients: 1000\n"
                        f"database:\n  storage: \"{d}/db\"\nzone:\n{zones}log:\n  - target: stderr\n    any: error\n")
            command = ["knotd", "-c", os.path.join(d, "knot.conf")]
        elif target == "unbound":
            auth = "".join(f"auth-zone:\n  name: \"{z}\"\n  zonefile: \"{self.data}/{z}.zone\"\n"
                           f"  for-downstream: yes\n  for-upstream: no\n  fallback-enabled: no\n"
                           for z in (ZONE, "10.in-addr.arpa"))
            with open(os.path.join(d, "unbound.conf"), "w") as f:
                f.write(f"server:\n  interface: 127.0.0.1@{port}\n  port: {port}\n  num-threads: 1\n"
                        f"  do-daemonize: no\n  username: \"\"\n  chroot: \"\"\n  directory: \"{d}\"\n"
                        f"  pidfile: \"{d}/unbound.pid\"\n  use-syslog: no\n  logfile: \"\"\n  verbosity: 0\n"
                        f"  access-control: 127.0.0.0/8 allow\n  do-not-query-localhost: no\n"
                        f"  module-config: \"iterator\"\n  local-zone: \"test.\" nodefault\n"
                        f"  local-zone: \"10.in-addr.arpa.\" nodefault\n  domain-insecure: \".\"\n"
                        f"  incoming-num-tcp: 1000\n  num-queries-per-thread: 4096\n"
                        f"  msg-cache-size: 64m\n  rrset-cache-size: 128m\n"
                        f"{auth}forward-zone:\n  name: \".\"\n  forward-addr: 127.0.0.1@{self.upstream}\n")
            command = ["unbound", "-d", "-c", os.path.join(d, "unbound.conf")]
        else:
            raise SystemExit(f"unknown target {target}")
        process = self.spawn(self.server_cpu + self.wrapper + command, os.path.join(d, "out.log"))
        if not wait_answering(port, process, seconds=900 if self.wrapper else 120):
            stop(process)
            with open(os.path.join(d, "out.log"), errors="replace") as f:
                tail = f.readlines()[-10:]
            print(f"warning: {target} did not answer; the end of its output:\n" + "".join(tail), file=sys.stderr)
            return None, port
        return process, port

    def load(self, port, workload, transport, duration, pid, passes=None, clients=8, outstanding=500, query_file=None):
        """One measured run: (qps, completed, lost %, CPU µs per completed query)."""
        queries = query_file or os.path.join(self.data, f"queries-{workload}.txt")
        if transport == "tcp1":
            command = [self.short, "-s", "127.0.0.1", "-p", str(port), "-d", queries, "-l", str(duration), "-c", "64"]
        else:
            command = ["dnsperf", "-s", "127.0.0.1", "-p", str(port), "-d", queries, "-c", str(clients), "-q", str(outstanding),
                       "-t", str(self.timeout)]
            command += ["-n", str(passes)] if passes else ["-l", str(duration)]
            if transport == "tcp":
                command += ["-m", "tcp"]
        before = cpu_seconds(pid)
        out = subprocess.run(self.load_cpu + command, capture_output=True, text=True).stdout
        used = cpu_seconds(pid) - before

        def field(label):
            m = re.search(rf"{label}:\s+([0-9.]+)", out)
            return float(m.group(1)) if m else 0.0
        sent, done, qps = field("Queries sent"), field("Queries completed"), field("Queries per second")
        lost = 100.0 * (sent - done) / sent if sent else 100.0
        return qps, int(done), lost, (1e6 * used / done if done else float("nan"))


def metric(port, name, labels=""):
    """Sum of a Prometheus counter's series whose labels contain `labels`."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
        text = r.read().decode()
    total = 0.0
    for line in text.splitlines():
        if (line.startswith(name + "{") or line.startswith(name + " ")) and labels in line:
            total += float(line.rsplit(" ", 1)[1])
    return total


def sample_answers(bench, port):
    """(rcode, answer count) of a sample of the cluster and ndots workloads, to compare targets."""
    sample = []
    for w in ("cluster", "ndots"):
        with open(os.path.join(bench.data, f"queries-{w}.txt")) as f:
            sample += [tuple(line.split()) for _, line in zip(range(100), f)]
    return {q: ask(port, *q) for q in sample}


def compare_answers(answers):
    """Says where a target's rcode or answer count differs from ClusterDNS's on the sample."""
    reference = answers.get("clusterdns")
    if not reference:
        return
    for target, seen in answers.items():
        differ = [q for q in reference if seen.get(q) != reference[q]]
        for name, qtype in differ[:5]:
            print(f"note: {target} answers {name} {qtype} with (rcode, answers) {seen.get((name, qtype))}, "
                  f"clusterdns with {reference[(name, qtype)]}", file=sys.stderr)
        if target != "clusterdns":
            print(f"{target}: {len(reference) - len(differ)}/{len(reference)} sample answers match ClusterDNS's "
                  "(rcode and answer count)", file=sys.stderr)


def experiment_peers(bench, args):
    rows, answers = [], {}
    for target in args.targets:
        process, port = bench.start(target)
        if process is None:
            continue
        answers[target] = sample_answers(bench, port)
        for workload in args.workloads:
            if workload == "external" and target in ("nsd", "knot"):
                continue
            for transport in args.transports:
                bench.load(port, workload, transport, 2, process.pid)  # warm-up: caches, connections
                qps, done, lost, cpu = bench.load(port, workload, transport, args.duration, process.pid)
                rows.append((workload, transport, target, qps, lost, cpu))
                print(f"  {target:<10} {workload:<9} {transport:<5} {qps:>9.0f} q/s  {cpu:6.2f} us/q  lost {lost:.2f}%",
                      file=sys.stderr)
        stop(process)
    compare_answers(answers)
    print_peers(rows, args)


def print_peers(rows, args):
    print(f"\n{time.strftime('%Y-%m-%d', time.gmtime())}, {os.cpu_count()} cores, {os.uname().release}; "
          f"{args.services} services; {args.duration} s per run; pinned: {args.pin}\n")
    print("| workload | transport | target | QPS | CPU µs/query | CPU / cheapest peer | lost % |")
    print("| --- | --- | --- | ---: | ---: | ---: | ---: |")
    for workload in args.workloads:
        for transport in args.transports:
            group = [r for r in rows if r[0] == workload and r[1] == transport]
            peers = [r[5] for r in group if r[2] != "clusterdns" and not math.isnan(r[5]) and r[5] > 0]
            cheapest = min(peers) if peers else None
            for _, _, target, qps, lost, cpu in group:
                ratio = f"{cpu / cheapest:.2f}×" if cheapest and not math.isnan(cpu) else "—"
                print(f"| {workload} | {transport} | {target} | {qps:,.0f} | {cpu:.2f} | {ratio} | {lost:.2f} |")


def experiment_workers(bench, args):
    """CPU per query with 1 and 2 workers, nothing pinned (both cores shared by load and server),
    with the UDP batch size (datagrams per recvmmsg that returned any, from the server's metrics):
    fewer queries per wake-up means more system calls per query."""
    bench.server_cpu, bench.load_cpu = [], []
    print("\n| workload | transport | workers | QPS | CPU µs/query | vs 1 worker | datagrams per recvmmsg |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    results = {}
    for workers in (1, 2):
        metrics_port = free_port()
        process, port = bench.start("clusterdns", workers=workers, metrics_port=metrics_port)
        if process is None:
            continue
        for workload in args.workloads:
            for transport in args.transports:
                bench.load(port, workload, transport, 2, process.pid)
                before = (metric(metrics_port, "clusterdns_udp_received_total"),
                          metric(metrics_port, "clusterdns_udp_receive_batches_total"))
                r = bench.load(port, workload, transport, args.duration, process.pid)
                received = metric(metrics_port, "clusterdns_udp_received_total") - before[0]
                batches = metric(metrics_port, "clusterdns_udp_receive_batches_total") - before[1]
                results[(workers, workload, transport)] = r + (received / batches if batches else None,)
        stop(process)
    for workload in args.workloads:
        for transport in args.transports:
            for workers in (1, 2):
                r = results.get((workers, workload, transport))
                if not r:
                    continue
                base = results.get((1, workload, transport))
                ratio = f"{r[3] / base[3]:.2f}×" if base else "—"
                batch = f"{r[4]:.1f}" if r[4] else "—"
                print(f"| {workload} | {transport} | {workers} | {r[0]:,.0f} | {r[3]:.2f} | {ratio} | {batch} |")


def experiment_cache(bench, args):
    """Cache hit ratio over one pass of a Zipf-distributed external workload (200 000 queries over
    50 000 names, s = 1), by worker count and cache capacity. dnsperf uses 64 sockets so the
    kernel's SO_REUSEPORT hash spreads the flows over the workers as many pods would."""
    print("\n| workers | cache capacity (success) | queries | cache hits | hit ratio | upstream queries | QPS | CPU µs/query |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for spec in args.cache_workers:
        workers, _, capacity = spec.partition("x")
        workers, capacity = int(workers), int(capacity) if capacity else None
        metrics_port = free_port()
        process, port = bench.start("clusterdns", workers=workers, metrics_port=metrics_port, cache_capacity=capacity)
        if process is None:
            continue
        qps, done, lost, cpu = bench.load(port, "zipf", "udp", 0, process.pid, passes=1, clients=64)
        hits = metric(metrics_port, "coredns_cache_hits_total")
        requests = metric(metrics_port, "coredns_cache_requests_total")
        upstream = metric(metrics_port, "coredns_forward_requests_total")
        shown = f"{capacity:,}" if capacity else "9,984 (default)"
        print(f"| {workers} | {shown} | {requests:,.0f} | {hits:,.0f} | {hits / requests if requests else 0:.3f} | "
              f"{upstream:,.0f} | {qps:,.0f} | {cpu:.2f} |")
        stop(process)


def callgrind_calls(path, names):
    """Calls to the functions `names` in a callgrind output file (its `cfn=` / `calls=` lines)."""
    ids, counts, callee = {}, dict.fromkeys(names, 0), None
    with open(path, errors="replace") as f:
        for line in f:
            if line.startswith(("fn=", "cfn=")):
                m = re.match(r"c?fn=\((\d+)\)(?: (.*))?", line.rstrip("\n"))
                if m:
                    if m.group(2):
                        ids[m.group(1)] = m.group(2)
                    if line.startswith("cfn="):
                        callee = ids.get(m.group(1))
            elif line.startswith("calls=") and callee in counts:
                counts[callee] += int(line[6:].split()[0])
    return counts


def experiment_profile(bench, args):
    """User-space instructions per query of ClusterDNS under callgrind (repeatable where time is
    not): the server runs under `valgrind --tool=callgrind --instr-atstart=no`, is warmed up,
    instrumentation is switched on for exactly one pass over a fixed query set (dnsperf -n 1), then the
    profile is dumped and its top functions printed (callgrind_annotate)."""
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        sys.exit("valgrind is not installed (apt-get install valgrind)")
    out = args.profile_out or os.path.join(args.work, "profiles")
    os.makedirs(out, exist_ok=True)
    bench.server_cpu, bench.load_cpu, bench.timeout = [], [], 20
    # Valgrind 3.19 gives up on the DWARF 5 debug info Swift 6 emits ("Possibly corrupted
    # debuginfo file"): profile a copy without it (the symbol table, hence function names, stays).
    binary = args.binary
    args.binary = os.path.join(bench.run, "clusterdns-nodebug")
    subprocess.run(["strip", "--strip-debug", "-o", args.binary, binary], check=True)
    print("\n| workload | transport | queries answered | instructions (Ir) | Ir per query | swift_retain per query | swift_release per query |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for workload in args.workloads:
        for transport in args.transports:
            subset = os.path.join(bench.run, f"profile-{workload}.txt")
            with open(os.path.join(bench.data, f"queries-{workload}.txt")) as f, open(subset, "w") as g:
                g.writelines(line for _, line in zip(range(args.profile_queries), f))
            stem = os.path.join(out, f"callgrind-{workload}-{transport}")
            for old in (stem + ".out", stem + ".out.1"):
                if os.path.exists(old):
                    os.remove(old)
            bench.wrapper = ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={stem}.out"]
            process, port = bench.start("clusterdns")
            bench.wrapper = []
            if process is None:
                continue
            # Warm-up (caches filled, pools grown, first-use paths taken), then one counted pass.
            bench.load(port, workload, transport, 0, process.pid, passes=1, clients=1, outstanding=20, query_file=subset)
            subprocess.run(["callgrind_control", "-i", "on", str(process.pid)], capture_output=True, check=False)
            _, done, _, _ = bench.load(port, workload, transport, 0, process.pid, passes=1, clients=1, outstanding=20,
                                       query_file=subset)
            subprocess.run(["callgrind_control", "-i", "off", str(process.pid)], capture_output=True, check=False)
            subprocess.run(["callgrind_control", "-d", str(process.pid)], capture_output=True, check=False)
            stop(process)
            dumps = sorted(f for f in os.listdir(out) if f.startswith(os.path.basename(stem) + ".out"))
            total = 0
            annotated = ""
            calls = {"swift_retain": 0, "swift_release": 0}
            for dump in dumps:
                for name, n in callgrind_calls(os.path.join(out, dump), calls).items():
                    calls[name] += n
                text = subprocess.run(["callgrind_annotate", "--threshold=99", os.path.join(out, dump)],
                                      capture_output=True, text=True).stdout
                m = re.search(r"([0-9,]+) \(100.0%\)\s+PROGRAM TOTALS", text)
                if m:
                    total += int(m.group(1).replace(",", ""))
                    annotated += text
            with open(stem + ".txt", "w") as f:
                f.write(annotated)
            per = (lambda n: f"{n / done:,.1f}" if done else "—")
            print(f"| {workload} | {transport} | {done:,} | {total:,} | {per(total)} | {per(calls['swift_retain'])} "
                  f"| {per(calls['swift_release'])} |")
    print(f"\nProfiles and their annotations (top functions): {out}/callgrind-*.txt")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", default=".build/release/clusterdns")
    parser.add_argument("--experiment", choices=["peers", "workers", "cache", "profile"], default="peers")
    parser.add_argument("--profile-queries", type=int, default=20_000, help="--experiment profile: queries counted")
    parser.add_argument("--profile-out", help="--experiment profile: where the callgrind files go")
    parser.add_argument("--services", type=int, default=2000)
    parser.add_argument("--duration", type=float, default=10, help="seconds per measured run")
    parser.add_argument("--targets", default="clusterdns,nsd,knot,unbound")
    parser.add_argument("--workloads", default="cluster,ndots,external")
    parser.add_argument("--transports", default="udp,tcp,tcp1")
    parser.add_argument("--cache-workers", default="1,8,8x79872",
                        help="--experiment cache: worker counts, WORKERSxCAPACITY for an explicit success capacity")
    parser.add_argument("--work", default=os.path.join(tempfile.gettempdir(), "clusterdns-bench-peers"))
    parser.add_argument("--no-pin", dest="pin", action="store_false", help="do not pin load and server to CPUs 0 and 1")
    parser.add_argument("--cc", default=os.environ.get("CC", "cc"))
    args = parser.parse_args()
    if not 1 <= args.services <= 1_000_000:
        sys.exit("--services must be between 1 and 1000000")
    args.targets = args.targets.split(",")
    args.workloads = args.workloads.split(",")
    args.transports = args.transports.split(",")
    args.cache_workers = args.cache_workers.split(",")
    args.binary = os.path.abspath(args.binary)
    for tool in ("dnsperf", "nsd", "taskset", args.cc) + (("knotd",) if "knot" in args.targets else ()) \
            + (("unbound",) if "unbound" in args.targets else ()):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is not installed (make bench-peers installs the Debian packages)")
    if not os.access(args.binary, os.X_OK):
        sys.exit(f"{args.binary}: no such executable (make build)")
    os.makedirs(args.work, exist_ok=True)
    bench = Bench(args)
    try:
        print(f"dataset: {args.services} services ...", file=sys.stderr)
        write_dataset(bench.data, args.services)
        bench.start_upstream()
        {"peers": experiment_peers, "workers": experiment_workers, "cache": experiment_cache,
         "profile": experiment_profile}[args.experiment](bench, args)
    finally:
        bench.close()
        shutil.rmtree(bench.run, ignore_errors=True)


if __name__ == "__main__":
    main()
