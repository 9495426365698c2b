#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Netlink helper for the C tests, on the kernel's YNL library.

  fvnl.py stats WWN        one line per queue: "key=value ..." (latency summed)
  fvnl.py set WWN JSON     target-set with the JSON object's attributes
  fvnl.py reset WWN        stats-reset
"""
import json
import os
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SRC = os.environ.get('FV_LINUX_SRC', '/usr/src/linux-source-6.12')
sys.path.insert(0, os.path.join(SRC, 'tools', 'net', 'ynl'))
from lib import YnlFamily  # noqa: E402  pylint: disable=wrong-import-position


def family():
    # One interpreter, no schema validation: the tests call this often.
    return YnlFamily(os.path.join(TOP, 'uapi', 'fastvhost.yaml'), schema='')


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    cmd, wwn = sys.argv[1], sys.argv[2]
    if cmd == 'stats':
        out = family().do('stats-get', {'wwn': wwn})
        for q in out.get('queue', []):
            lat = q.pop('latency', [])
            q['latency'] = sum(lat) if isinstance(lat, list) else lat
            q['broken'] = 1 if 'broken' in q else 0
            print(' '.join(f'{k}={v}' for k, v in q.items()))
    elif cmd == 'set':
        attrs = json.loads(sys.argv[3])
        attrs['wwn'] = wwn
        family().do('target-set', attrs)
    elif cmd == 'reset':
        family().do('stats-reset', {'wwn': wwn})
    else:
        sys.exit(__doc__)


if __name__ == '__main__':
    main()
