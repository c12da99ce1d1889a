#!/usr/bin/env python3
"""Writes a synthetic cluster as manifests, for sizing ClusterDNS (Docs/deploy.md).

    scripts/gen-cluster.py OUT --services 1000

OUT/manifests/ gets one file per namespace (20 services each): per service a ClusterIP Service
with two ports and an EndpointSlice with three ready endpoints, every tenth service headless
(its endpoints with hostnames, so each gets its own name). No Pods: the kubeadm Corefile says
`pods insecure`, which never watches them. OUT/names.txt lists one query name per line
(service A, headless A, SRV and endpoint names) for scripts/query-load.py.
Standard library only; the same arguments always write the same bytes.
"""
import argparse
import os
import sys

SERVICES_PER_NAMESPACE = 20


def service_ip(i):
    # 10.96.0.0/12 from 10.96.1.0 up: kubeadm's default service range.
    n = (96 << 16) + 256 + i
    return f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"


def pod_ip(i, k):
    # 10.128.0.0/9: room for three endpoints each of 100 000+ services.
    n = (128 << 16) + 1 + i * 3 + k
    return f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out")
    parser.add_argument("--services", type=int, required=True)
    args = parser.parse_args()
    if args.services < 0 or args.services > 2_000_000:
        sys.exit("--services must be between 0 and 2000000")
    manifests = os.path.join(args.out, "manifests")
    os.makedirs(manifests, exist_ok=True)
    names = []
    namespaces = max(1, (args.services + SERVICES_PER_NAMESPACE - 1) // SERVICES_PER_NAMESPACE)
    with open(os.path.join(manifests, "00-namespaces.yaml"), "w") as f:
        for n in range(namespaces):
            f.write(f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns{n}\n---\n")
    for n in range(namespaces):
        docs = []
        for s in range(SERVICES_PER_NAMESPACE):
            i = n * SERVICES_PER_NAMESPACE + s
            if i >= args.services:
                break
            name, ns = f"svc{i}", f"ns{n}"
            headless = i % 10 == 9
            cluster_ip = "None" if headless else service_ip(i)
            docs.append(f"""apiVersion: v1
kind: Service
metadata:
  name: {name}
  namespace: {ns}
spec:
  clusterIP: {cluster_ip}
  selector:
    app: {name}
  ports:
  - name: http
    port: 80
    protocol: TCP
  - name: grpc
    port: 9090
    protocol: TCP
""")
            endpoints = []
            for k in range(3):
                hostname = f"\n  hostname: {name}-{k}" if headless else ""
                endpoints.append(f"""- addresses:
  - {pod_ip(i, k)}
  conditions:
    ready: true{hostname}""")
            docs.append(f"""apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: {name}-abcde
  namespace: {ns}
  labels:
    kubernetes.io/service-name: {name}
addressType: IPv4
ports:
- name: http
  port: 8080
  protocol: TCP
- name: grpc
  port: 9090
  protocol: TCP
endpoints:
""" + "\n".join(endpoints) + "\n")
            names.append(f"{name}.{ns}.svc.cluster.local A")
            names.append(f"_http._tcp.{name}.{ns}.svc.cluster.local SRV")
            if headless:
                names.append(f"{name}-0.{name}.{ns}.svc.cluster.local A")
        if docs:
            with open(os.path.join(manifests, f"ns{n}.yaml"), "w") as f:
                f.write("---\n".join(docs))
    with open(os.path.join(args.out, "names.txt"), "w") as f:
        f.write("\n".join(names) + ("\n" if names else ""))
    print(f"{args.out}: {args.services} services in {namespaces} namespaces, {len(names)} query names")


if __name__ == "__main__":
    main()
