// SPDX-License-Identifier: GPL-2.0
/*
 * uapi/fastvhost.yaml's attribute sets, for decoding replies generically.
 */
#include <stdlib.h>
#include <string.h>
#include <linux/fastvhost.h>

#include "spec.h"

const char *const fv_node_sources[] = {
	[FASTVHOST_NODE_SOURCE_ANY] = "any",
	[FASTVHOST_NODE_SOURCE_FIXED] = "fixed",
	[FASTVHOST_NODE_SOURCE_DEVICE] = "device",
	[FASTVHOST_NODE_SOURCE_NO_PREFERENCE] = "no-preference",
	NULL,
};

static const struct fv_attr lun_attrs[FASTVHOST_A_LUN_MAX + 1] = {
	[FASTVHOST_A_LUN_INDEX] = { "index", FV_U32 },
	[FASTVHOST_A_LUN_BACKSTORE] = { "backstore", FV_STR },
	[FASTVHOST_A_LUN_NODE] = { "node", FV_S32 },
};

const struct fv_aset fv_lun_set = { FASTVHOST_A_LUN_MAX, lun_attrs };

static const struct fv_attr tpg_attrs[FASTVHOST_A_TPG_MAX + 1] = {
	[FASTVHOST_A_TPG_TPGT] = { "tpgt", FV_U16 },
	[FASTVHOST_A_TPG_NEXUS] = { "nexus", FV_STR },
	[FASTVHOST_A_TPG_LUN] = { "lun", FV_NEST, true, &fv_lun_set },
};

const struct fv_aset fv_tpg_set = { FASTVHOST_A_TPG_MAX, tpg_attrs };

static const struct fv_attr queue_attrs[FASTVHOST_A_QUEUE_MAX + 1] = {
	[FASTVHOST_A_QUEUE_INDEX] = { "index", FV_U32 },
	[FASTVHOST_A_QUEUE_WORKER] = { "worker", FV_U32 },
	[FASTVHOST_A_QUEUE_CPU] = { "cpu", FV_S32 },
	[FASTVHOST_A_QUEUE_NODE] = { "node", FV_S32 },
	[FASTVHOST_A_QUEUE_PID] = { "pid", FV_U32 },
	[FASTVHOST_A_QUEUE_BROKEN] = { "broken", FV_FLAG },
	[FASTVHOST_A_QUEUE_REQUESTS] = { "requests", FV_U64 },
	[FASTVHOST_A_QUEUE_BYTES_READ] = { "bytes-read", FV_U64 },
	[FASTVHOST_A_QUEUE_BYTES_WRITTEN] = { "bytes-written", FV_U64 },
	[FASTVHOST_A_QUEUE_KICKS] = { "kicks", FV_U64 },
	[FASTVHOST_A_QUEUE_INTERRUPTS] = { "interrupts", FV_U64 },
	[FASTVHOST_A_QUEUE_ERRORS] = { "errors", FV_U64 },
	[FASTVHOST_A_QUEUE_INFLIGHT] = { "inflight", FV_U32 },
	[FASTVHOST_A_QUEUE_POLL_HITS] = { "poll-hits", FV_U64 },
	[FASTVHOST_A_QUEUE_POLL_MISSES] = { "poll-misses", FV_U64 },
	[FASTVHOST_A_QUEUE_POLL_NS] = { "poll-ns", FV_U64 },
	[FASTVHOST_A_QUEUE_POLL_WINDOW_NS] = { "poll-window-ns", FV_U32 },
	[FASTVHOST_A_QUEUE_LATENCY] = { "latency", FV_U64, true },
	[FASTVHOST_A_QUEUE_VMM_WORKER] = { "vmm-worker", FV_U32 },
};

const struct fv_aset fv_queue_set = { FASTVHOST_A_QUEUE_MAX, queue_attrs };

static const struct fv_attr target_attrs[FASTVHOST_A_TARGET_MAX + 1] = {
	[FASTVHOST_A_TARGET_WWN] = { "wwn", FV_STR },
	[FASTVHOST_A_TARGET_TPG] = { "tpg", FV_NEST, true, &fv_tpg_set },
	[FASTVHOST_A_TARGET_OWNER_PID] = { "owner-pid", FV_U32 },
	[FASTVHOST_A_TARGET_NODE] = { "node", FV_S32 },
	[FASTVHOST_A_TARGET_NODE_AUTO] = { "node-auto", FV_U8 },
	[FASTVHOST_A_TARGET_NODE_SOURCE] = { "node-source", FV_U32, false, NULL, fv_node_sources },
	[FASTVHOST_A_TARGET_NODE_REASON] = { "node-reason", FV_STR },
	[FASTVHOST_A_TARGET_CPUS] = { "cpus", FV_STR },
	[FASTVHOST_A_TARGET_WORKERS] = { "workers", FV_U32 },
	[FASTVHOST_A_TARGET_QUEUE] = { "queue", FV_NEST, true, &fv_queue_set },
	[FASTVHOST_A_TARGET_POLL_MAX_NS] = { "poll-max-ns", FV_U32 },
	[FASTVHOST_A_TARGET_POLL_GROW] = { "poll-grow", FV_U32 },
	[FASTVHOST_A_TARGET_POLL_SHRINK] = { "poll-shrink", FV_U32 },
	[FASTVHOST_A_TARGET_NR_QUEUES] = { "nr-queues", FV_U32 },
	[FASTVHOST_A_TARGET_MAP_RESET] = { "map-reset", FV_FLAG },
	[FASTVHOST_A_TARGET_MEM_REGIONS] = { "mem-regions", FV_U32 },
};

const struct fv_aset fv_target_set = { FASTVHOST_A_TARGET_MAX, target_attrs };

int64_t spec_int(const struct nlattr *a, int64_t dflt)
{
	if (!a)
		return dflt;
	switch (nla_len(a)) {
	case 1:
		return *(const uint8_t *)nla_data(a);
	case 2:
		return *(const uint16_t *)nla_data(a);
	case 4:
		return *(const uint32_t *)nla_data(a);
	case 8:
		return (int64_t)*(const uint64_t *)nla_data(a);
	}
	return dflt;
}

const char *spec_enum(const char *const *names, unsigned int v)
{
	unsigned int i;

	for (i = 0; names[i]; i++)
		if (i == v)
			return names[i];
	return NULL;
}

static void value(struct json *j, const char *key, const struct fv_attr *d, struct nlattr *a)
{
	const char *name;

	switch (d->type) {
	case FV_S32:
		if (nla_len(a) == 4)
			json_int(j, key, *(int32_t *)nla_data(a));
		break;
	case FV_STR:
		json_str(j, key, nla_len(a) ? nla_get_string(a) : "");
		break;
	case FV_FLAG:
		json_bool(j, key, true);
		break;
	case FV_NEST:
		json_obj_open(j, key);
		spec_json(j, d->nest, nla_data(a), nla_len(a));
		json_obj_close(j);
		break;
	default:
		name = d->enums ? spec_enum(d->enums, (unsigned int)spec_int(a, 0)) : NULL;
		if (name)
			json_str(j, key, name);
		else
			json_uint(j, key, (uint64_t)spec_int(a, 0));
		break;
	}
}

static int64_t tpgt_of(struct nlattr *tpg)
{
	struct nlattr *a;
	int rem;

	nla_for_each_nested(a, tpg, rem)
		if (nla_type(a) == FASTVHOST_A_TPG_TPGT)
			return spec_int(a, -1);
	return -1;
}

struct nlattr *spec_tpg_merge(struct nlattr *attrs, int len, struct nlattr *tpg, int *out_len)
{
	int64_t tpgt = tpgt_of(tpg);
	struct nlattr *a, *n;
	char *buf, *p;
	int rem, nrem;

	*out_len = 0;
	nla_for_each_attr(a, attrs, len, rem)
		if (a != tpg && nla_type(a) == FASTVHOST_A_TARGET_TPG && tpgt_of(a) == tpgt) {
			if (a < tpg)
				return NULL;	/* merged into that one */
		}
	p = buf = malloc(len > 0 ? (size_t)len : 1);
	if (!buf) {
		*out_len = -1;
		return NULL;
	}
	nla_for_each_attr(a, attrs, len, rem) {
		if (a < tpg || nla_type(a) != FASTVHOST_A_TARGET_TPG || tpgt_of(a) != tpgt)
			continue;
		nla_for_each_nested(n, a, nrem) {
			if (a != tpg && (nla_type(n) == FASTVHOST_A_TPG_TPGT ||
					 nla_type(n) == FASTVHOST_A_TPG_NEXUS))
				continue;
			memcpy(p, n, NLA_ALIGN(n->nla_len));
			p += NLA_ALIGN(n->nla_len);
		}
	}
	*out_len = (int)(p - buf);
	return (struct nlattr *)buf;
}

void spec_json(struct json *j, const struct fv_aset *set, struct nlattr *attrs, int len)
{
	struct nlattr *a, *last;
	int t, rem;

	for (t = 1; t <= set->max; t++) {
		const struct fv_attr *d = &set->attrs[t];

		if (!d->name)
			continue;
		if (d->multi) {
			bool open = false;

			nla_for_each_attr(a, attrs, len, rem) {
				struct nlattr *m = NULL;
				int mlen = 0;

				if (nla_type(a) != t)
					continue;
				/* One object per portal group, however it came split. */
				if (d->nest == &fv_tpg_set) {
					m = spec_tpg_merge(attrs, len, a, &mlen);
					if (!m)
						continue;
				}
				if (!open)
					json_arr_open(j, d->name);
				open = true;
				if (m) {
					json_obj_open(j, NULL);
					spec_json(j, d->nest, m, mlen);
					json_obj_close(j);
					free(m);
				} else {
					value(j, NULL, d, a);
				}
			}
			if (open)
				json_arr_close(j);
			continue;
		}
		last = NULL;
		nla_for_each_attr(a, attrs, len, rem)
			if (nla_type(a) == t)
				last = a;
		if (last)
			value(j, d->name, d, last);
	}
}
