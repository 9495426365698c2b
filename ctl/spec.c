// SPDX-License-Identifier: GPL-2.0
/*
 * Replies decoded generically, with the attribute tables scripts/nlgen
 * generates from uapi/fastvhost.yaml (spec-gen.c).
 */
#include <stdlib.h>
#include <string.h>
#include <linux/fastvhost.h>

#include "spec.h"

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
