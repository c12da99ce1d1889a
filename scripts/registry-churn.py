#!/usr/bin/env python3
"""Registry churn benchmark (`make bench-registry`): how fast a change is answered, and what
memory does across changes and relists, at a given cluster size.

Writes a cluster with scripts/gen-cluster.py (services, EndpointSlices, every tenth service
headless), starts `clusterdns serve` on it (manifest source, no cache, loopback only), then:

1. Measures RSS with an empty registry and with the cluster loaded (bytes per object).
2. Applies CHANGES changes one at a time, each an atomic file replacement as kubectl-style tools
   and ConfigMap updates make: a Service added, an EndpointSlice's address changed, a Service
   deleted, in turn. For each it measures the time from the rename to the first correct answer
   (UDP queries from this process every millisecond), and checks that nothing else moved.
3. RSS after the changes, against RSS after the initial load.
4. Peak RSS (VmHWM, reset through /proc/PID/clear_refs) while every file is read again unchanged
   (a full relist of an unchanged cluster), while every document's bytes change but not its
   objects (a rewritten cluster), and while every object changes (a fully changed cluster),
   against the steady RSS before each.
5. The server's own view: `clusterdns_registry_update_seconds` from /metrics.

    scripts/registry-churn.py [--binary .build/release/clusterdns] [--services 100000] [--changes 1000]

Latency figures are wall-clock and include this script's polling and the machine's load: on a
shared machine read them with the server's own update histogram beside them.
"""
import argparse
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

from dnsmessage import parse_a_reply, query_packet, reply_id

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    """A loopback port free for both UDP and TCP."""
    while True:
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        t.bind(("127.0.0.1", 0))
        port = t.getsockname()[1]
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            u.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
        finally:
            t.close()
            u.close()


class Resolver:
    """A UDP client that asks one question and returns (rcode, [A addresses])."""

    def __init__(self, port):
        self.port = port
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.settimeout(0.5)

    def query(self, name, qtype=1):
        qid, packet = query_packet(name, qtype)
        self.sock.sendto(packet, ("127.0.0.1", self.port))
        while True:
            try:
                data, _ = self.sock.recvfrom(4096)
            except socket.timeout:
                return ("TIMEOUT", [])
            if reply_id(data) == qid:
                return parse_a_reply(data)


def status(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return 0


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def replace(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, path)


def wait_for(resolver, name, expected, timeout=600, server=None):
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if server is not None and server.poll() is not None:
            raise SystemExit(f"the server exited ({server.returncode}); see its log")
        if resolver.query(name) == expected:
            return time.monotonic() - start
        time.sleep(0.001)
    raise SystemExit(f"{name}: no {expected} after {timeout} s")


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def metric(port, name):
    body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    return {line.split(" ")[0]: float(line.split(" ")[1]) for line in body.splitlines() if line.startswith(name)}


def merge(manifests, count):
    """Merges the per-namespace files into `count` files (group-K.yaml), documents kept in order."""
    names = sorted((f for f in os.listdir(manifests) if f.startswith("ns")), key=lambda f: int(f[2:-5]))
    if count <= 0 or len(names) <= count:
        return
    for k in range(count):
        group = names[k::count]
        with open(os.path.join(manifests, f"group-{k:03d}.yaml"), "w") as out:
            for n, name in enumerate(group):
                path = os.path.join(manifests, name)
                out.write(("---\n" if n else "") + open(path).read())
                os.remove(path)


def start_server(binary, work, manifests, dns_port, metrics_port):
    corefile = os.path.join(work, "Corefile")
    with open(corefile, "w") as f:
        f.write(f""".:{dns_port} {{
    bind 127.0.0.1
    kubernetes cluster.local in-addr.arpa ip6.arpa {{
        manifests {manifests}
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
    }}
    prometheus 127.0.0.1:{metrics_port}
}}
""")
    log = open(os.path.join(work, "server.log"), "w")
    return subprocess.Popen([binary, "serve", "--conf", corefile], stdout=log, stderr=subprocess.STDOUT)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build/release/clusterdns"))
    parser.add_argument("--services", type=int, default=100_000)
    parser.add_argument("--changes", type=int, default=1000)
    parser.add_argument("--files", type=int, default=40,
                        help="namespace files merged into this many (a large cluster's manifests: few MB-sized files)")
    parser.add_argument("--work", default=None, help="keep files here (default: a temporary directory)")
    parser.add_argument("--skip-relist", action="store_true")
    args = parser.parse_args()
    work = args.work or tempfile.mkdtemp(prefix="clusterdns-churn-")
    os.makedirs(work, exist_ok=True)
    cluster = os.path.join(work, "cluster")
    manifests = os.path.join(cluster, "manifests")
    pristine = os.path.join(cluster, "manifests.pristine")
    if not os.path.isdir(pristine):
        shutil.rmtree(cluster, ignore_errors=True)
        subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "gen-cluster.py"), cluster,
                        "--services", str(args.services)], check=True)
        merge(manifests, args.files)
        shutil.copytree(manifests, pristine)
    else:
        # A kept --work directory: start from the generated files, not from the last run's
        # edits (a change the files already hold would be "answered" before it is made).
        shutil.rmtree(manifests, ignore_errors=True)
        shutil.copytree(pristine, manifests)
    empty = os.path.join(work, "empty")
    os.makedirs(empty, exist_ok=True)
    dns_port, metrics_port = free_port(), free_port()

    # RSS of an empty registry, for bytes per object.
    server = start_server(args.binary, work, empty, dns_port, metrics_port)
    resolver = Resolver(dns_port)
    wait_for(resolver, "x.y.svc.cluster.local", ("NXDOMAIN", []), timeout=60, server=server)
    rss_empty = status(server.pid, "VmRSS")
    server.send_signal(signal.SIGTERM)
    server.wait()

    started = time.monotonic()
    server = start_server(args.binary, work, manifests, dns_port, metrics_port)
    try:
        # The first service of the first namespace file answers once loaded.
        wait_for(resolver, "svc0.ns0.svc.cluster.local", ("NOERROR", ["10.96.1.0"]), timeout=3600, server=server)
        load_wall = time.monotonic() - started
        load_cpu = cpu_seconds(server.pid)
        time.sleep(2)
        rss_loaded = status(server.pid, "VmRSS")
        files = sorted(f for f in os.listdir(manifests) if f != "00-namespaces.yaml")
        objects = args.services * 2 + args.services * 3
        print(f"loaded {args.services} services ({objects} objects incl. {args.services * 3} endpoint addresses, "
              f"{sum(os.path.getsize(os.path.join(manifests, f)) for f in os.listdir(manifests)) / 1e6:.0f} MB) "
              f"in {load_wall:.1f} s wall, {load_cpu:.1f} s CPU")
        print(f"RSS empty {rss_empty / 1e6:.0f} MB, loaded {rss_loaded / 1e6:.0f} MB: "
              f"{(rss_loaded - rss_empty) / objects:.0f} bytes per object")

        latencies = {"add Service": [], "change EndpointSlice": [], "delete Service": []}
        added = []
        rng = random.Random(7)
        cpu_before = cpu_seconds(server.pid)
        for n in range(args.changes):
            kind = list(latencies)[n % 3]
            if kind == "add Service" or (kind == "delete Service" and not added):
                f = rng.choice(files)
                path = os.path.join(manifests, f)
                text = open(path).read()
                ns = re.search(r"namespace: (ns\d+)", text).group(1)
                name = f"churn{n}"
                ip = f"10.{100 + n // 65025 % 100}.{n // 255 % 255}.{n % 255 + 1}"
                doc = (f"---\napiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n  namespace: {ns}\n"
                       f"spec:\n  clusterIP: {ip}\n  ports:\n  - port: 80\n")
                t0 = time.monotonic()
                replace(path, text + doc)
                wait_for(resolver, f"{name}.{ns}.svc.cluster.local", ("NOERROR", [ip]))
                latencies["add Service"].append(time.monotonic() - t0)
                added.append((path, name, ns, doc))
            elif kind == "change EndpointSlice":
                f = rng.choice(files)
                path = os.path.join(manifests, f)
                text = open(path).read()
                # A headless service's slice: its name answers its addresses.
                # A ClusterIP service's slice (headless ones name endpoints by hostname): the
                # endpoint's dashed name answers its new address.
                m = rng.choice(list(re.finditer(r"name: (svc\d*[0-8])-abcde\n  namespace: (ns\d+)\n(?:.*\n){10}endpoints:\n- addresses:\n  - (10\.\d+\.\d+\.\d+)\n", text)))
                name, ns = m.group(1), m.group(2)
                new = f"10.{200 + n // 65025 % 50}.{n // 255 % 255}.{n % 255 + 1}"
                t0 = time.monotonic()
                replace(path, text[:m.start(3)] + new + text[m.end(3):])
                wait_for(resolver, f"{new.replace('.', '-')}.{name}.{ns}.svc.cluster.local", ("NOERROR", [new]))
                latencies[kind].append(time.monotonic() - t0)
            else:
                path, name, ns, doc = added.pop(0)
                text = open(path).read()
                t0 = time.monotonic()
                replace(path, text.replace(doc, ""))
                wait_for(resolver, f"{name}.{ns}.svc.cluster.local", ("NXDOMAIN", []))
                latencies[kind].append(time.monotonic() - t0)
            if (n + 1) % max(1, args.changes // 10) == 0:
                print(f"  {n + 1} changes, RSS {status(server.pid, 'VmRSS') / 1e6:.0f} MB", flush=True)
        cpu_changes = cpu_seconds(server.pid) - cpu_before
        time.sleep(2)
        rss_after = status(server.pid, "VmRSS")
        everything = [v for values in latencies.values() for v in values]
        print(f"\n{'change':<22} {'n':>5} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'max ms':>8}")
        for kind, values in list(latencies.items()) + [("all", everything)]:
            if values:
                print(f"{kind:<22} {len(values):>5} {percentile(values, 50) * 1000:>8.1f} {percentile(values, 90) * 1000:>8.1f} "
                      f"{percentile(values, 99) * 1000:>8.1f} {max(values) * 1000:>8.1f}")
        print(f"server CPU per change: {cpu_changes / max(1, args.changes) * 1000:.1f} ms")
        print(f"RSS after {args.changes} changes {rss_after / 1e6:.0f} MB = {rss_after / rss_loaded:.2f}x the loaded RSS")
        try:
            update = metric(metrics_port, "clusterdns_registry_update_seconds")
            count = update.get("clusterdns_registry_update_seconds_count", 0)
            buckets = sorted((float(re.search(r'le="([^"]+)"', k).group(1).replace("+Inf", "inf")), v)
                             for k, v in update.items() if "_bucket" in k)
            p99 = next((le for le, v in buckets if count and v >= 0.99 * count), None)
            print(f"server update time (file event to answers published), {count:.0f} updates: "
                  f"mean {update.get('clusterdns_registry_update_seconds_sum', 0) / max(1, count) * 1000:.1f} ms, p99 <= {p99 * 1000 if p99 is not None else 0:.0f} ms")
        except Exception as error:  # the metric is informative; the run stands without it
            print(f"(no update metric: {error})")

        if not args.skip_relist:
            # Unchanged: every file rewritten as it is. Rewritten: every document's bytes change
            # (a comment), the objects do not (a tool re-exporting the cluster). Fully changed:
            # every object changes (the grpc port of every Service and EndpointSlice).
            for label, edit in [("unchanged", lambda t: t),
                                ("rewritten", lambda t: t.replace("\nkind: ", "\n# relisted\nkind: ")),
                                ("fully changed", lambda t: t.replace("port: 9090", "port: 9091"))]:
                steady = status(server.pid, "VmRSS")
                with open(f"/proc/{server.pid}/clear_refs", "w") as f:
                    f.write("5")
                probe = f"svc{args.services - 1}.ns{(args.services - 1) // 20}.svc.cluster.local"
                expected = resolver.query(probe)
                t0 = time.monotonic()
                for f in files:
                    path = os.path.join(manifests, f)
                    replace(path, edit(open(path).read()))
                # Every file read again: wait until the rescan settles (the last file's service answers, then quiet).
                time.sleep(1)
                cpu0 = cpu_seconds(server.pid)
                while True:
                    time.sleep(2)
                    cpu1 = cpu_seconds(server.pid)
                    if cpu1 - cpu0 < 0.05:
                        break
                    cpu0 = cpu1
                assert resolver.query(probe) == expected, "the relist changed an answer"
                peak = status(server.pid, "VmHWM")
                print(f"relist of a {label} cluster: {time.monotonic() - t0:.1f} s, peak RSS {peak / 1e6:.0f} MB = "
                      f"{peak / steady:.2f}x steady ({steady / 1e6:.0f} MB), after {status(server.pid, 'VmRSS') / 1e6:.0f} MB")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait()
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
