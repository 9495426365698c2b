#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""check_show.py: the shape of 'fvctl -j show' on stdin, as fvctl.8 documents
it: a top-level array of target objects keyed by the YAML attribute names."""
import json
import sys

d = json.load(sys.stdin)
assert isinstance(d, list) and d, 'not a non-empty array'
for t in d:
    for k in ('wwn', 'tpg', 'node', 'node-auto', 'node-source', 'node-reason',
              'cpus', 'workers', 'poll-max-ns', 'poll-grow', 'poll-shrink'):
        assert k in t, '%s lacks %s' % (t.get('wwn'), k)
    assert t['node-source'] in ('any', 'fixed', 'device', 'no-preference'), t['node-source']
    assert isinstance(t['node'], int) and isinstance(t['cpus'], str)
    for g in t['tpg']:
        assert isinstance(g['tpgt'], int)
        for l in g.get('lun', []):
            assert set(l) == {'index', 'backstore', 'node'}, l
            assert '/' in l['backstore'], l
    for q in t.get('queue', []):
        assert isinstance(q['index'], int), q
