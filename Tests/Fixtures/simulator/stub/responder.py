#!/usr/bin/env python3
"""A scripted DNS responder for cross-checking `clusterdns simulate` against real C libraries.

Usage: responder.py LOG RULE...   where RULE is NAME/TYPE=ACTION (TYPE may be *), e.g.
    x.fail.test/*=servfail  db.cluster.local/A=10.0.0.7  db.cluster.local/AAAA=drop
ACTION: nxdomain, nodata, servfail, refused, drop (never answer), or an IPv4 address.
Anything unscripted is NXDOMAIN. Listens on 127.0.0.1:53 (UDP) inside the test's private
network namespace, creates LOG.ready once listening, and appends "name TYPE" per query
received to LOG.
"""
import socket
import struct
import sys

TYPES = {1: "A", 28: "AAAA", 33: "SRV", 16: "TXT"}


def parse_question(packet):
    labels, i = [], 12
    while packet[i] != 0:
        length = packet[i]
        labels.append(packet[i + 1:i + 1 + length].decode("ascii", "replace"))
        i += 1 + length
    qtype, _ = struct.unpack("!HH", packet[i + 1:i + 5])
    return ".".join(labels).lower() + ".", qtype, i + 5


def main():
    log_path, rules = sys.argv[1], {}
    for rule in sys.argv[2:]:
        key, action = rule.split("=", 1)
        name, qtype = key.rsplit("/", 1)
        rules[(name.lower().rstrip(".") + ".", qtype)] = action
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 53))
    open(log_path + ".ready", "w").close()
    while True:
        packet, client = sock.recvfrom(4096)
        if len(packet) < 12:
            continue
        name, qtype, end = parse_question(packet)
        type_name = TYPES.get(qtype, "TYPE%d" % qtype)
        with open(log_path, "a") as log:
            log.write("%s %s\n" % (name, type_name))
        action = rules.get((name, type_name), rules.get((name, "*"), "nxdomain"))
        if action == "drop":
            continue
        flags = 0x8400 | (struct.unpack("!H", packet[2:4])[0] & 0x0100)  # QR, AA, RD copied
        rcode, answer = 0, b""
        if action == "nxdomain":
            rcode = 3
        elif action == "servfail":
            rcode = 2
        elif action == "refused":
            rcode = 5
        elif action != "nodata":
            if qtype == 1:
                answer = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 5, 4) + socket.inet_aton(action)
        header = packet[0:2] + struct.pack("!HHHHH", flags | rcode, 1, 1 if answer else 0, 0, 0)
        sock.sendto(header + packet[12:end] + answer, client)


if __name__ == "__main__":
    main()
