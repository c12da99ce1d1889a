#!/usr/bin/env python3
"""Sends a fixed number of DNS queries over UDP and counts the answers, for sizing (Docs/deploy.md).

    scripts/query-load.py 127.0.0.1 53 NAMES --queries 200000 [--window 64]

NAMES holds `name TYPE` lines (scripts/gen-cluster.py writes names.txt); they are asked in turn,
keeping at most WINDOW queries outstanding. Prints queries, answers by rcode, lost and the rate.
Not a benchmark tool (dnsperf is one); enough load to read the server's CPU time per query.
Standard library only.
"""
import argparse
import random
import select
import socket
import struct
import sys
import time

TYPES = {"A": 1, "AAAA": 28, "SRV": 33, "PTR": 12, "TXT": 16}
RCODES = {0: "NOERROR", 2: "SERVFAIL", 3: "NXDOMAIN", 5: "REFUSED"}


def encode(qid, name, qtype):
    wire = b"".join(bytes([len(label)]) + label.encode() for label in name.rstrip(".").split(".")) + b"\0"
    return struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0) + wire + struct.pack(">HH", qtype, 1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("names")
    parser.add_argument("--queries", type=int, default=100_000)
    parser.add_argument("--window", type=int, default=64)
    parser.add_argument("--timeout", type=float, default=2.0, help="seconds to wait for the last answers")
    args = parser.parse_args()
    questions = []
    with open(args.names) as f:
        for line in f:
            fields = line.split()
            if len(fields) == 2 and fields[1] in TYPES:
                questions.append((fields[0], TYPES[fields[1]]))
    if not questions:
        sys.exit(f"{args.names}: no `name TYPE` lines")
    packets = [encode(0, n, t) for n, t in questions]
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.connect((args.host, args.port))
    sock.setblocking(False)
    outstanding = {}
    counts = {}
    sent = received = 0
    next_id = random.randrange(65536)
    start = time.monotonic()
    last_progress = start
    while received < args.queries:
        while sent < args.queries and len(outstanding) < args.window:
            next_id = (next_id + 1) & 0xFFFF
            packet = bytearray(packets[sent % len(packets)])
            struct.pack_into(">H", packet, 0, next_id)
            try:
                sock.send(packet)
            except BlockingIOError:
                break
            except ConnectionRefusedError:
                # An ICMP error for an earlier datagram (nothing listening yet, or a restart).
                continue
            outstanding[next_id] = True
            sent += 1
        ready, _, _ = select.select([sock], [], [], 0.05)
        if ready:
            while True:
                try:
                    reply = sock.recv(65535)
                except (BlockingIOError, ConnectionRefusedError):
                    break
                qid, flags = struct.unpack_from(">HH", reply)
                if outstanding.pop(qid, None):
                    received += 1
                    name = RCODES.get(flags & 15, str(flags & 15))
                    counts[name] = counts.get(name, 0) + 1
                    last_progress = time.monotonic()
        elif time.monotonic() - last_progress > args.timeout:
            # What is still outstanding is lost; free the window and go on (UDP may drop).
            outstanding.clear()
            last_progress = time.monotonic()
            if sent >= args.queries:
                break
    elapsed = time.monotonic() - start
    rcodes = " ".join(f"{k}={v}" for k, v in sorted(counts.items()))
    print(f"queries {sent} answers {received} ({rcodes}) lost {sent - received} "
          f"in {elapsed:.2f} s ({received / elapsed:.0f}/s)")


if __name__ == "__main__":
    main()
