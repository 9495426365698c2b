// SPDX-License-Identifier: GPL-2.0
/*
 * fvctl set, and the settings step of attach: one target-set request.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fastvhost.h>

#include "fvctl.h"
#include "nl.h"
#include "settings.h"

/* The option that set a request attribute, to name it in errors. */
static const char *option_of(int attr)
{
	switch (attr) {
	case FASTVHOST_A_TARGET_WWN:
		return "--wwn";
	case FASTVHOST_A_TARGET_NODE:
	case FASTVHOST_A_TARGET_NODE_AUTO:
		return "--node";
	case FASTVHOST_A_TARGET_CPUS:
		return "--cpus";
	case FASTVHOST_A_TARGET_WORKERS:
		return "--workers";
	case FASTVHOST_A_TARGET_QUEUE:
		return "--map";
	case FASTVHOST_A_TARGET_POLL_MAX_NS:
		return "--poll-us/--poll-ns (in ns)";
	case FASTVHOST_A_TARGET_POLL_GROW:
		return "--poll-grow";
	case FASTVHOST_A_TARGET_POLL_SHRINK:
		return "--poll-shrink";
	}
	return NULL;
}

/* "Q=W,Q=W" as queue nests; a leading "default" clears the map first. */
static int put_map(struct nl_msg *msg, const char *map)
{
	char *copy = strdup(map), *tok, *save = NULL, *end;
	unsigned long q, w;
	struct nlattr *nest;
	int ret = 0;

	if (!copy)
		return fv_err("out of memory");
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "default") && tok == copy) {
			if (nla_put_flag(msg, FASTVHOST_A_TARGET_MAP_RESET)) {
				ret = fv_err("--map has too many entries");
				break;
			}
			continue;
		}
		q = strtoul(tok, &end, 10);
		if (end == tok || *end != '=' || !end[1]) {
			ret = fv_err("--map wants QUEUE=WORKER pairs, not '%s'", tok);
			break;
		}
		w = strtoul(end + 1, &end, 10);
		if (*end || q > UINT32_MAX || w > UINT32_MAX) {
			ret = fv_err("--map wants QUEUE=WORKER pairs, not '%s'", tok);
			break;
		}
		nest = nla_nest_start(msg, FASTVHOST_A_TARGET_QUEUE);
		if (!nest || nla_put_u32(msg, FASTVHOST_A_QUEUE_INDEX, (uint32_t)q) ||
		    nla_put_u32(msg, FASTVHOST_A_QUEUE_WORKER, (uint32_t)w)) {
			ret = fv_err("--map has too many entries");
			break;
		}
		nla_nest_end(msg, nest);
	}
	free(copy);
	return ret;
}

static struct nl_msg *build(struct fv_nl *nl, const struct fv_opts *o, const char *wwn,
			    bool node_auto)
{
	struct nl_msg *msg = fvnl_req(nl, FASTVHOST_CMD_TARGET_SET, false, wwn);

	if (!msg)
		return NULL;
	if (o->has_node && !o->node_auto)
		nla_put_s32(msg, FASTVHOST_A_TARGET_NODE, o->node);
	if ((o->has_node && o->node_auto) || (!o->has_node && node_auto))
		nla_put_u8(msg, FASTVHOST_A_TARGET_NODE_AUTO, 1);
	if (o->cpus)
		nla_put_string(msg, FASTVHOST_A_TARGET_CPUS, o->cpus);
	if (o->workers >= 0)
		nla_put_u32(msg, FASTVHOST_A_TARGET_WORKERS, (uint32_t)o->workers);
	if (o->has_poll)
		nla_put_u32(msg, FASTVHOST_A_TARGET_POLL_MAX_NS, o->poll_ns);
	if (o->poll_grow >= 0)
		nla_put_u32(msg, FASTVHOST_A_TARGET_POLL_GROW, (uint32_t)o->poll_grow);
	if (o->poll_shrink >= 0)
		nla_put_u32(msg, FASTVHOST_A_TARGET_POLL_SHRINK, (uint32_t)o->poll_shrink);
	if (o->map && put_map(msg, o->map)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

int fv_apply(struct fv_nl *nl, const struct fv_opts *o, const char *wwn, bool node_auto)
{
	struct nl_msg *msg = build(nl, o, wwn, node_auto);
	const char *opt;
	char range[96] = "";
	int ret;

	if (!msg)
		return 1;
	ret = fvnl_call(nl, msg, NULL, NULL);
	if (!ret)
		return 0;
	if (nl->err == EPERM)
		return fv_err("permission denied: changing the settings of %s needs CAP_NET_ADMIN",
			      wwn);
	if (nl->err == ENOENT && (!nl->msg[0] || nl->bad_attr == FASTVHOST_A_TARGET_WWN))
		return fv_err("no target %s", wwn);
	if (nl->has_min && nl->has_max)
		snprintf(range, sizeof(range), " (the kernel takes %" PRId64 " to %" PRId64 ")",
			 nl->min, nl->max);
	else if (nl->has_max)
		snprintf(range, sizeof(range), " (the kernel takes at most %" PRId64 ")", nl->max);
	opt = option_of(nl->bad_attr);
	if (opt)
		return fv_err("%s: %s: %s%s", wwn, opt, fvnl_strerror(nl), range);
	return fv_err("%s: %s%s", wwn, fvnl_strerror(nl), range);
}

int cmd_set(struct fv_opts *o)
{
	struct fv_nl nl;
	int ret;

	if (!o->wwn)
		return fv_err("set needs --wwn") ? EXIT_USAGE : 0;
	if (!fv_settings_given(o))
		return fv_err("set needs at least one of --node, --cpus, --poll-us, --poll-ns, --poll-grow, --poll-shrink, --workers, --map") ? EXIT_USAGE : 0;
	if (fvnl_open(&nl))
		return 1;
	ret = fv_apply(&nl, o, o->wwn, false);
	fvnl_close(&nl);
	return ret;
}
