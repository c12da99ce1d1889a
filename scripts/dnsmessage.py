"""The few DNS wire operations the benchmark scripts need (standard library only): a query
packet for one name, and the rcode and A addresses of its reply. Shared by
scripts/api-convergence.py and scripts/registry-churn.py."""
import random
import socket
import struct

RCODES = {0: "NOERROR", 2: "SERVFAIL", 3: "NXDOMAIN"}


def query_packet(name, qtype=1):
    """(id, packet) for a recursive-desired query of `name` and `qtype` in class IN."""
    qid = random.randrange(65536)
    packet = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.rstrip(".").split("."):
        packet += bytes([len(label)]) + label.encode()
    return qid, packet + b"\x00" + struct.pack("!HH", qtype, 1)


def reply_id(data):
    return struct.unpack("!H", data[:2])[0] if len(data) >= 12 else None


def parse_a_reply(data):
    """('NOERROR', sorted A addresses) or (rcode name, [])."""
    rcode = data[3] & 0x0F
    answers = struct.unpack("!H", data[6:8])[0]
    offset = 12
    while data[offset] != 0:  # the question name (a question is never compressed)
        offset += data[offset] + 1
    offset += 5
    addresses = []
    for _ in range(answers):
        if data[offset] & 0xC0 == 0xC0:
            offset += 2
        else:
            while data[offset] != 0:
                offset += data[offset] + 1
            offset += 1
        rtype, _, _, length = struct.unpack("!HHIH", data[offset:offset + 10])
        offset += 10
        if rtype == 1 and length == 4:
            addresses.append(socket.inet_ntoa(data[offset:offset + 4]))
        offset += length
    return (RCODES.get(rcode, str(rcode)), sorted(addresses))
