#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""jsoncmp.py A B: compare two target lists (fvctl show -j, YNL target-get
dumps) after sorting targets by wwn, tpgs by tpgt and LUNs by index; print
the difference and exit 1 when they differ."""
import json
import sys


def norm(targets):
    for t in targets:
        for g in t.get('tpg', []):
            g.get('lun', []).sort(key=lambda l: l['index'])
        t.get('tpg', []).sort(key=lambda g: g['tpgt'])
    return sorted(targets, key=lambda t: t['wwn'])


a, b = (norm(json.load(open(f))) for f in sys.argv[1:3])
if a != b:
    print('differ:\n %s\n %s' % (json.dumps(a, sort_keys=True), json.dumps(b, sort_keys=True)))
    sys.exit(1)
