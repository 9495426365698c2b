/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The attribute sets of uapi/fastvhost.yaml as tables (spec-gen.c, made by
 * scripts/nlgen), so that JSON output uses the spec's names and shapes: one
 * key per attribute, an array for a multi-attr, an object for a nest, the
 * entry name for an enum.
 */
#ifndef _FVCTL_SPEC_H
#define _FVCTL_SPEC_H

#include <netlink/attr.h>

#include "json.h"

enum fv_type { FV_U8, FV_U16, FV_U32, FV_U64, FV_S32, FV_STR, FV_FLAG, FV_NEST };

struct fv_aset;

struct fv_attr {
	const char *name;
	enum fv_type type;
	bool multi;
	const struct fv_aset *nest;
	const char *const *enums;
};

struct fv_aset {
	int max;
	const struct fv_attr *attrs;	/* indexed by attribute type */
};

extern const struct fv_aset fv_target_set, fv_tpg_set, fv_lun_set, fv_queue_set;
extern const char *const fv_node_sources[];

/* Members for the attributes of set in attrs/len, inside an open object. */
void spec_json(struct json *j, const struct fv_aset *set, struct nlattr *attrs, int len);
/*
 * The attributes of portal group nest tpg (one of attrs/len, a target's)
 * together with those of later nests of the same tpgt, which a large
 * portal group is split into; their tpgt and nexus once.  NULL when an
 * earlier nest has that tpgt (it was merged there; *out_len is 0) or out
 * of memory (*out_len is -1).
 * The caller frees the result; *out_len is its length.
 */
struct nlattr *spec_tpg_merge(struct nlattr *attrs, int len, struct nlattr *tpg, int *out_len);
/* An integer attribute of any width; dflt when absent. */
int64_t spec_int(const struct nlattr *a, int64_t dflt);
const char *spec_enum(const char *const *names, unsigned int v);

#endif
