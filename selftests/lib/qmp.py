#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""A QMP client for selftests/migrate.sh.

  qmp.py SOCK run COMMAND [JSON-ARGUMENTS]   one command; prints its return
  qmp.py SOCK migrate URI [--no-wait]        migrate and wait for the end;
                                             prints one line of statistics
  qmp.py SOCK status                         the run state (query-status)
  qmp.py SOCK wait-migration STATES TIMEOUT  until query-migrate's status is
                                             one of STATES (comma separated)

Exit status 0 on success, 1 when QEMU answers with an error, does not
answer in 120 s or a migration does not complete, 2 on bad usage or when
the socket does not come up.
"""
import json
import socket
import sys
import time


# A QEMU whose main loop is stuck answers nothing: this long, then fail.
ANSWER_TIMEOUT = 120


class Qmp:
    def __init__(self, path, timeout=30):
        end = time.monotonic() + timeout
        while True:
            try:
                self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.s.connect(path)
                break
            except OSError:
                self.s.close()
                if time.monotonic() > end:
                    raise
                time.sleep(0.1)
        self.s.settimeout(ANSWER_TIMEOUT)
        self.f = self.s.makefile("rw")
        self._read()                      # the greeting
        self.cmd("qmp_capabilities")

    def _read(self):
        while True:
            line = self.f.readline()
            if not line:
                raise EOFError("QEMU closed the QMP socket")
            msg = json.loads(line)
            if "event" not in msg:
                return msg

    def cmd(self, name, args=None):
        req = {"execute": name}
        if args:
            req["arguments"] = args
        self.f.write(json.dumps(req) + "\n")
        self.f.flush()
        msg = self._read()
        if "error" in msg:
            raise RuntimeError("%s: %s" % (name, msg["error"].get("desc")))
        return msg.get("return")


def wait_migration(q, states, timeout):
    end = time.monotonic() + timeout
    while True:
        info = q.cmd("query-migrate")
        if info.get("status") in states:
            return info
        if time.monotonic() > end:
            raise RuntimeError("migration still %s after %ss" %
                               (info.get("status"), timeout))
        time.sleep(0.1)


def migrate(q, uri, wait=True):
    # Nested under TCG copying is slow: no bandwidth cap, and a downtime
    # the last pass can meet while the guest keeps its disks busy.
    q.cmd("migrate-set-parameters", {"max-bandwidth": 1 << 34,
                                     "downtime-limit": 2000})
    q.cmd("migrate", {"uri": uri})
    if not wait:
        return None
    info = wait_migration(q, ("completed", "failed", "cancelled"), 600)
    # The state turns "completed" a moment before the times are filled
    # in (two runs printed 0 ms): ask again for up to 5 s.
    for _ in range(50):
        if info.get("status") != "completed" or info.get("total-time"):
            break
        time.sleep(0.1)
        info = q.cmd("query-migrate")
    ram = info.get("ram", {})
    print("status %s total-time %s ms downtime %s ms setup-time %s ms "
          "ram %d MiB passes %s" %
          (info.get("status"), info.get("total-time"), info.get("downtime"),
           info.get("setup-time"), ram.get("transferred", 0) >> 20,
           ram.get("dirty-sync-count")))
    if info.get("status") != "completed":
        print("error: %s" % info.get("error-desc", "?"))
        return 1
    return 0


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        q = Qmp(argv[1])
    except TimeoutError:
        print("qmp: %s: no greeting in %d s" % (argv[1], ANSWER_TIMEOUT),
              file=sys.stderr)
        return 2
    except OSError as e:
        print("qmp: %s: %s" % (argv[1], e), file=sys.stderr)
        return 2
    op = argv[2]
    try:
        if op == "run":
            args = json.loads(argv[4]) if len(argv) > 4 else None
            print(json.dumps(q.cmd(argv[3], args)))
            return 0
        if op == "migrate":
            return migrate(q, argv[3], "--no-wait" not in argv[4:])
        if op == "status":
            print(q.cmd("query-status").get("status"))
            return 0
        if op == "wait-migration":
            info = wait_migration(q, argv[3].split(","), float(argv[4]))
            print(info.get("status"))
            return 0
    except TimeoutError:
        print("qmp: no answer in %d s" % ANSWER_TIMEOUT)
        return 1
    except (RuntimeError, EOFError, OSError) as e:
        print("qmp: %s" % e)
        return 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
