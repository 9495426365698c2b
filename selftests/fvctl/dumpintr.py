#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A target dump that spans a change is flagged NLM_F_DUMP_INTR.

    dumpintr.py FASTVHOST_H CHANGE_CMD

Sends a raw target-get dump, reads its first part, runs CHANGE_CMD (a
shell command that adds or removes a target), reads the rest, and
prints how many parts and targets came and whether the kernel flagged
the dump.  Exit 0 when flagged, 1 when not, 2 on errors.  With
CHANGE_CMD "true" it must not be flagged (exit 1).
"""
import re
import socket
import struct
import subprocess
import sys

NLM_F_REQUEST, NLM_F_MULTI, NLM_F_DUMP = 0x1, 0x2, 0x300
NLM_F_DUMP_INTR = 0x10
NLMSG_ERROR, NLMSG_DONE, GENL_ID_CTRL = 2, 3, 0x10
CTRL_CMD_GETFAMILY, CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME = 3, 1, 2


def attrs(buf):
    out, off = {}, 0
    while off + 4 <= len(buf):
        ln, typ = struct.unpack_from("HH", buf, off)
        if ln < 4:
            break
        out[typ & 0x3fff] = buf[off + 4:off + ln]
        off += (ln + 3) & ~3
    return out


def msgs(data):
    off = 0
    while off + 16 <= len(data):
        ln, typ, flags, seq, pid = struct.unpack_from("IHHII", data, off)
        yield typ, flags, data[off + 16:off + ln]
        off += (ln + 3) & ~3


def request(typ, flags, seq, cmd, version, payload=b""):
    body = struct.pack("BBH", cmd, version, 0) + payload
    return struct.pack("IHHII", 16 + len(body), typ, flags, seq, 0) + body


def main():
    hdr, change = sys.argv[1], sys.argv[2]
    text = open(hdr).read()
    cmd = int(re.search(r"FASTVHOST_CMD_TARGET_GET = (\d+)", text).group(1))
    ver = int(re.search(r"FASTVHOST_FAMILY_VERSION\s+(\d+)", text).group(1))
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 16)
    s.bind((0, 0))

    name = b"fastvhost\0"
    a = struct.pack("HH", 4 + len(name), CTRL_ATTR_FAMILY_NAME) + name
    a += b"\0" * ((4 - len(a) % 4) % 4)
    s.send(request(GENL_ID_CTRL, NLM_F_REQUEST, 1, CTRL_CMD_GETFAMILY, 1, a))
    fid = None
    for typ, _, body in msgs(s.recv(65536)):
        if typ == GENL_ID_CTRL:
            fid = struct.unpack("H", attrs(body[4:])[CTRL_ATTR_FAMILY_ID][:2])[0]
    if fid is None:
        print("no fastvhost family")
        return 2

    s.send(request(fid, NLM_F_REQUEST | NLM_F_DUMP, 2, cmd, ver))
    parts = targets = 0
    flagged = done = False
    while not done:
        data = s.recv(65536)
        parts += 1
        for typ, flags, body in msgs(data):
            if flags & NLM_F_DUMP_INTR:
                flagged = True
            if typ == NLMSG_DONE:
                done = True
            elif typ == NLMSG_ERROR:
                print("dump error %d" % struct.unpack_from("i", body)[0])
                return 2
            elif typ == fid:
                targets += 1
        if parts == 1:
            subprocess.run(change, shell=True, check=False)
    print("%d parts, %d targets, %s" % (parts, targets,
                                        "flagged DUMP_INTR" if flagged else "not flagged"))
    return 0 if flagged else 1


if __name__ == "__main__":
    sys.exit(main())
