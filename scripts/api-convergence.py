#!/usr/bin/env python3
"""Convergence benchmark of the Kubernetes API source (`make bench-api`).

Starts the fake API server (Tests/FakeAPIServer) over HTTPS and N `clusterdns serve` replicas that
watch it through a kubeconfig, then applies mutations one at a time — a Service created, a
headless Service's EndpointSlice scaled, an EndpointSlice replaced by a new one (new slice, old one
deleted, as the slice controller does on a rollout), a Service deleted — and measures, for each,
the time from the moment the fake accepted it to the first correct answer from every replica.
Meanwhile it checks that the headless name under slice replacement never answers NXDOMAIN.

Loopback only. Prints p50/p90/p99/max per mutation kind and overall, in milliseconds.

    scripts/api-convergence.py [--binary .build/release/clusterdns] [--replicas 3] [--mutations 200]
        [--services N]   # also seed N services: first sync, bytes per object and a forced relist at that size
"""
import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

from dnsmessage import parse_a_reply, query_packet

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FAKE = os.path.join(ROOT, "Tests", "FakeAPIServer", "fake_apiserver.py")


def query(port, name, timeout=0.2):
    """One A query over UDP; returns ('NOERROR', [addresses]) or (rcode name, [])."""
    _, packet = query_packet(name)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    try:
        s.sendto(packet, ("127.0.0.1", port))
        data, _ = s.recvfrom(4096)
    except socket.timeout:
        return ("TIMEOUT", [])
    finally:
        s.close()
    return parse_a_reply(data)


def control(port, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.read()


def service(name, ip):
    return {"kind": "Service", "apiVersion": "v1", "metadata": {"name": name, "namespace": "bench"},
            "spec": {"clusterIP": ip, "clusterIPs": [ip], "ports": [{"name": "http", "port": 80, "protocol": "TCP"}]}}


def headless(name):
    return {"kind": "Service", "apiVersion": "v1", "metadata": {"name": name, "namespace": "bench"},
            "spec": {"clusterIP": "None", "selector": {"app": name}, "ports": [{"name": "tcp", "port": 5432}]}}


def slice_(name, service_name, addresses):
    return {"kind": "EndpointSlice", "apiVersion": "discovery.k8s.io/v1",
            "metadata": {"name": name, "namespace": "bench", "labels": {"kubernetes.io/service-name": service_name}},
            "addressType": "IPv4", "ports": [{"name": "tcp", "port": 5432, "protocol": "TCP"}],
            "endpoints": [{"addresses": [a], "conditions": {"ready": True}} for a in addresses]}


# RSS of a replica watching the API with an empty cluster (`--services 1 --replicas 1` prints
# 40 MB: 6 MB more than a manifest-fed server, for TLS and the HTTP client), for bytes per object.
EMPTY_RSS = 40e6


def status(pid, field):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    return 0


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def metric_sum(port, name):
    """The sum of every series of `name` on the replica's /metrics (0 when absent)."""
    try:
        body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    except OSError:
        return 0
    return sum(float(line.rsplit(" ", 1)[1]) for line in body.splitlines()
               if line.startswith(name + "{") or line.startswith(name + " "))


def scale_objects(count):
    """`count` services, 20 per namespace n0, n1, ..., each with one EndpointSlice of three endpoints."""
    items = []
    for i in range(count):
        ns = f"n{i // 20}"
        if i % 20 == 0:
            items.append({"kind": "Namespace", "apiVersion": "v1", "metadata": {"name": ns}})
        ip = f"10.{96 + i // 65536}.{i // 256 % 256}.{i % 256}"
        items.append({"kind": "Service", "apiVersion": "v1", "metadata": {"name": f"s{i}", "namespace": ns},
                      "spec": {"clusterIP": ip, "clusterIPs": [ip],
                               "ports": [{"name": "http", "port": 80, "protocol": "TCP"}]}})
        items.append({"kind": "EndpointSlice", "apiVersion": "discovery.k8s.io/v1",
                      "metadata": {"name": f"s{i}-x", "namespace": ns, "labels": {"kubernetes.io/service-name": f"s{i}"}},
                      "addressType": "IPv4", "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
                      "endpoints": [{"addresses": [f"10.{128 + (3 * i + k) // 65536}.{(3 * i + k) // 256 % 256}.{(3 * i + k) % 256}"],
                                     "conditions": {"ready": True}} for k in range(3)]})
    return items


def wait_port_file(path, process, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if os.path.exists(path) and open(path).read().strip():
            return int(open(path).read().strip())
        if process.poll() is not None:
            break
        time.sleep(0.02)
    raise SystemExit(f"the fake API server did not start (see {path}.log)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build", "release", "clusterdns"))
    parser.add_argument("--replicas", type=int, default=3)
    parser.add_argument("--mutations", type=int, default=200)
    parser.add_argument("--services", type=int, default=0,
                        help="also seed this many services (20 per namespace, each with an EndpointSlice of three "
                             "endpoints), report the first sync, memory and a forced relist at that size")
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="api-convergence-")
    processes = []
    try:
        subprocess.run(["bash", "-c", f"""set -e; cd {work}
            openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 -subj /CN=bench-ca
            openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=127.0.0.1
            printf 'subjectAltName=IP:127.0.0.1\\n' > ext
            openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 2 -extfile ext"""],
                       check=True, capture_output=True)
        seed = {"items": [{"kind": "Namespace", "apiVersion": "v1", "metadata": {"name": "bench"}},
                          headless("db"), slice_("db-0", "db", ["10.244.0.1", "10.244.0.2"])]}
        seed["items"] += scale_objects(args.services)
        json.dump(seed, open(f"{work}/seed.json", "w"))
        fake = subprocess.Popen([sys.executable, FAKE, "--port", "0", "--port-file", f"{work}/port",
                                 "--control-port-file", f"{work}/cport", "--tls-cert", f"{work}/server.crt",
                                 "--tls-key", f"{work}/server.key", "--token", "bench", "--seed", f"{work}/seed.json"],
                                stdout=open(f"{work}/port.log", "w"), stderr=subprocess.STDOUT)
        processes.append(fake)
        port = wait_port_file(f"{work}/port", fake, timeout=20 + args.services / 500)
        cport = wait_port_file(f"{work}/cport", fake)
        with open(f"{work}/kubeconfig", "w") as f:
            f.write(f"""apiVersion: v1
kind: Config
current-context: b
clusters: [{{name: c, cluster: {{server: "https://127.0.0.1:{port}", certificate-authority: {work}/ca.crt}}}}]
users: [{{name: u, user: {{token: bench}}}}]
contexts: [{{name: b, context: {{cluster: c, user: u}}}}]
""")
        dns_ports = []
        metrics_ports = []
        for i in range(args.replicas):
            dns_port, metrics_port = free_port(), free_port()
            corefile = f"{work}/Corefile{i}"
            with open(corefile, "w") as f:
                f.write(f".:{dns_port} {{\n    bind 127.0.0.1\n    kubernetes cluster.local {{\n"
                        f"        kubeconfig {work}/kubeconfig\n    }}\n    prometheus 127.0.0.1:{metrics_port}\n}}\n")
            metrics_ports.append(metrics_port)
            env = dict(os.environ)
            processes.append(subprocess.Popen([args.binary, "serve", "--conf", corefile, "--workers", "1"],
                                              stdout=open(f"{work}/replica{i}.log", "w"), stderr=subprocess.STDOUT, env=env))
            dns_ports.append(dns_port)
        started_at = time.monotonic()
        for p in dns_ports:
            deadline = time.time() + 30 + args.services / 100
            while query(p, "db.bench.svc.cluster.local")[0] != "NOERROR":
                if time.time() > deadline:
                    raise SystemExit(f"replica on port {p} did not sync; logs in {work}")
                time.sleep(0.05)
        if args.services:
            replicas = processes[1:]
            last = args.services - 1
            probe = f"s{last}.n{last // 20}.svc.cluster.local"
            for p in dns_ports:
                if query(p, probe)[0] != "NOERROR":
                    raise SystemExit(f"replica on port {p}: {probe} missing after the first sync")
            sync = time.monotonic() - started_at
            time.sleep(3)
            objects = args.services * 5
            rss = [status(r.pid, "VmRSS") for r in replicas]
            print(f"{args.services} services ({objects} objects incl. {args.services * 3} endpoint addresses) "
                  f"listed and answered by {len(replicas)} replica(s) in {sync:.1f} s; CPU {cpu_seconds(replicas[0].pid):.1f} s "
                  f"per replica; RSS {max(rss) / 1e6:.0f} MB ({(max(rss) - EMPTY_RSS) / objects:.0f} bytes per object over "
                  f"an empty server's {EMPTY_RSS / 1e6:.0f} MB)")
            # A forced relist: the API compacts its history and drops every watch, so each
            # replica's watch resumes from a resourceVersion that is gone (410) and lists again.
            for r in replicas:
                with open(f"/proc/{r.pid}/clear_refs", "w") as f:
                    f.write("5")
            steady = max(rss)
            cpu0 = [cpu_seconds(r.pid) for r in replicas]
            relists0 = [metric_sum(m, "clusterdns_kubernetes_api_relists_total") for m in metrics_ports]
            control(cport, "POST", "/fake/compact", {"dropWatches": True})
            t0 = time.monotonic()
            # A Service created after the compaction is answered once a replica has relisted
            # and watches again: that, then an idle replica, is the end of the relist. (The fake
            # API, in Python, takes minutes to serve 100 000 objects; the replica's own CPU is
            # the figure that matters.)
            control(cport, "POST", "/fake/objects", service("after-relist", "10.95.0.1"))
            deadline = t0 + 600 + args.services / 100
            pending = set(dns_ports)
            while pending and time.monotonic() < deadline:
                pending = {p for p in pending if query(p, "after-relist.bench.svc.cluster.local") != ("NOERROR", ["10.95.0.1"])}
                time.sleep(0.2)
            if pending:
                raise SystemExit("the replicas did not relist after the compaction")
            settled = time.monotonic() - t0
            while True:
                before = [cpu_seconds(r.pid) for r in replicas]
                time.sleep(2)
                if all(cpu_seconds(r.pid) - b < 0.05 for r, b in zip(replicas, before)):
                    break
            relists = min(metric_sum(m, "clusterdns_kubernetes_api_relists_total") - r0 for m, r0 in zip(metrics_ports, relists0))
            peak = max(status(r.pid, "VmHWM") for r in replicas)
            cpu = max(cpu_seconds(r.pid) - c for r, c in zip(replicas, cpu0))
            for p in dns_ports:
                assert query(p, probe)[0] == "NOERROR", "the relist lost a service"
            print(f"relist after a compaction (410) of the unchanged cluster ({relists:.0f} resources relisted): "
                  f"answered a new Service after {settled:.1f} s (most of it the fake API listing), "
                  f"{cpu:.1f} s of replica CPU, peak RSS {peak / 1e6:.0f} MB = {peak / steady:.2f}x steady")

        results = {}
        nxdomain_during_replacement = 0
        live = []          # services created and not yet deleted
        slice_generation = 0
        db_addresses = ["10.244.0.1", "10.244.0.2"]
        for n in range(args.mutations):
            kind = ["create", "scale", "replace", "delete"][n % 4]
            if kind == "delete" and not live:
                kind = "create"
            name = f"s{n}"
            if kind == "create":
                ip = f"10.96.{n // 250}.{n % 250 + 1}"
                control(cport, "POST", "/fake/objects", service(name, ip))
                started = time.monotonic()
                check = ("NOERROR", [ip])
                qname = f"{name}.bench.svc.cluster.local"
                live.append(name)
            elif kind == "delete":
                victim = live.pop(0)
                control(cport, "DELETE", f"/fake/objects/services/bench/{victim}")
                started = time.monotonic()
                check = ("NXDOMAIN", [])
                qname = f"{victim}.bench.svc.cluster.local"
            elif kind == "scale":
                db_addresses = [f"10.244.{n % 200}.{i + 1}" for i in range(1 + n % 5)]
                control(cport, "POST", "/fake/objects", slice_(f"db-{slice_generation}", "db", db_addresses))
                started = time.monotonic()
                check = ("NOERROR", sorted(db_addresses))
                qname = "db.bench.svc.cluster.local"
            else:  # replace: the new slice, then the old one goes
                old = f"db-{slice_generation}"
                slice_generation += 1
                db_addresses = [f"10.245.{n % 200}.{i + 1}" for i in range(2)]
                control(cport, "POST", "/fake/objects", slice_(f"db-{slice_generation}", "db", db_addresses))
                control(cport, "DELETE", f"/fake/objects/endpointslices/bench/{old}")
                started = time.monotonic()
                check = ("NOERROR", sorted(db_addresses))
                qname = "db.bench.svc.cluster.local"
            pending = set(dns_ports)
            deadline = started + 10
            while pending and time.monotonic() < deadline:
                for p in list(pending):
                    got = query(p, qname)
                    if kind == "replace" and got[0] == "NXDOMAIN":
                        nxdomain_during_replacement += 1
                    if got == check:
                        pending.discard(p)
            elapsed = (time.monotonic() - started) * 1000
            if pending:
                print(f"mutation {n} ({kind}) not converged on {sorted(pending)} after 10 s", file=sys.stderr)
                elapsed = 10_000
            results.setdefault(kind, []).append(elapsed)

        def describe(values):
            values = sorted(values)
            pick = lambda q: values[min(len(values) - 1, int(q * len(values)))]
            return (f"n={len(values):4d}  p50 {statistics.median(values):7.1f}  p90 {pick(0.90):7.1f}  "
                    f"p99 {pick(0.99):7.1f}  max {values[-1]:7.1f} ms")
        print(f"{args.replicas} replicas, {args.mutations} mutations; time from the API accepting a change to the "
              f"first correct answer from every replica")
        for kind in ["create", "scale", "replace", "delete"]:
            if kind in results:
                print(f"  {kind:8s} {describe(results[kind])}")
        print(f"  {'all':8s} {describe([v for vs in results.values() for v in vs])}")
        print(f"  NXDOMAIN answers for the headless name during slice replacement: {nxdomain_during_replacement}")
    finally:
        for p in processes:
            p.terminate()
        for p in processes:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
