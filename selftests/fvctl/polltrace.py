#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""polltrace.py TRACE WINDOW_NS: check a worker's fastvhost:fv_poll_adjust
events (kmod/poll.c) from the ftrace buffer TRACE.

Every event must follow the rule from its own inputs (caught: the window
stays; a block over poll-max: shrink; below it: grow, from 0 to 4 us),
each worker's window must be the one its previous event left, polling
must have caught a request, and the window must have grown to poll-max
at least once.  Prints the counts and, last, the window the busiest
worker's last event left: fvctl.sh compares it with fvctl stats.
"""
import re
import sys

START_NS = 4000		# FV_POLL_START_NS, kmod/fastvhost.h
EV = re.compile(r"^\s*(.+)-(\d+)\s+\[\d+\].*fv_poll_adjust: block=(\d+) "
                r"window=(\d+) new=(\d+) max=(\d+) grow=(\d+) shrink=(\d+)")


def rule(block, old, mx, grow, shrink):
    if not mx:
        return 0
    if old and block <= old:
        win = old
    elif block > mx:
        win = old // shrink if shrink else 0
    elif old < mx:
        win = old * (grow or 2) if old else START_NS
    else:
        win = old
    return min(win, mx)


def main():
    want_max = int(sys.argv[2])
    last = {}
    count = {}
    n = caught = grown = shrunk = 0
    bad = []
    for line in open(sys.argv[1], errors="replace"):
        m = EV.match(line)
        if not m:
            continue
        pid = int(m.group(2))
        block, old, new, mx, grow, shrink = map(int, m.groups()[2:])
        n += 1
        if mx != want_max:
            bad.append("poll-max %d, not %d: %s" % (mx, want_max, line.strip()))
        if pid in last and last[pid] != old:
            bad.append("window %d, but the event before left %d: %s" %
                       (old, last[pid], line.strip()))
        if rule(block, old, mx, grow, shrink) != new:
            bad.append("not the rule (%d expected): %s" %
                       (rule(block, old, mx, grow, shrink), line.strip()))
        last[pid] = new
        count[pid] = count.get(pid, 0) + 1
        if old and block <= old:
            caught += 1
        elif block > mx:
            shrunk += 1
        elif new == mx and old < mx:
            grown += 1
    print("%d events of %d worker(s): %d caught by polling, %d grew the "
          "window to poll-max, %d blocks over poll-max" %
          (n, len(last), caught, grown, shrunk))
    for b in bad[:5]:
        print(b)
    if bad:
        return 1
    if not grown:
        print("the window never grew to poll-max")
        return 1
    if not caught:
        print("polling caught no request")
        return 1
    busiest = max(last, key=lambda p: count[p])
    print("last window %d" % last[busiest])
    return 0


if __name__ == "__main__":
    sys.exit(main())
