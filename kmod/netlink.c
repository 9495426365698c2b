// SPDX-License-Identifier: GPL-2.0
/*
 * The "fastvhost" generic netlink family (uapi/fastvhost.yaml): targets,
 * their placement and polling settings, per-queue statistics, and monitor
 * events.  Every op and the monitor group need CAP_NET_ADMIN.  Every
 * handler runs under fv_fabric_mutex, the configuration lock, and so
 * resolves no path and waits on no filesystem (a LUN's node is read from
 * the cache numa.c fills at link time); the data path never takes it.
 */
#include <linux/cpumask.h>
#include <linux/nodemask.h>
#include <linux/slab.h>
#include <net/genetlink.h>
#include <linux/fastvhost.h>

#include "fabric.h"
#include "netlink.h"
#include "netlink-gen.h"
#include "numa.h"
#include "stats.h"
#include "compat.h"

static struct genl_family fv_nl_family;

/* The spec's kernel-side bounds, and what they must agree with here. */
static_assert(FASTVHOST_LAST_QUEUE + 1 == FV_CFG_MAX_VQS);
static_assert(FASTVHOST_LAST_WORKER + 1 == FASTVHOST_MAX_WORKERS);
static_assert(FASTVHOST_LAST_WORKER < FV_CFG_NO_WORKER);
static_assert(FASTVHOST_LAST_NODE + 1 >= MAX_NUMNODES);

/* "hba/name" of the backstore behind @lun, or "" when it has none. */
static void lun_backstore(struct se_lun *lun, char *buf, size_t len)
{
	struct se_device *dev;

	buf[0] = '\0';
	rcu_read_lock();
	dev = rcu_dereference(lun->lun_se_dev);
	if (dev)
		snprintf(buf, len, "%s/%s",
			 config_item_name(&dev->se_hba->hba_group.cg_item),
			 config_item_name(&dev->dev_group.cg_item));
	rcu_read_unlock();
}

static int put_lun(struct sk_buff *skb, struct fv_tpg *tpg, struct se_lun *lun)
{
	char bs[2 * CONFIGFS_ITEM_NAME_LEN + 2];
	struct nlattr *nest;

	lun_backstore(lun, bs, sizeof(bs));
	nest = nla_nest_start(skb, FASTVHOST_A_TPG_LUN);
	if (!nest)
		return -EMSGSIZE;
	/* The node found at link time: no path lookup under our locks. */
	if (nla_put_u32(skb, FASTVHOST_A_LUN_INDEX, lun->unpacked_lun) ||
	    nla_put_string(skb, FASTVHOST_A_LUN_BACKSTORE, bs) ||
	    nla_put_s32(skb, FASTVHOST_A_LUN_NODE, fv_lun_node(tpg, lun))) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

/* The nexus name of @tpg, "" without one. */
static void tpg_nexus(struct fv_tpg *tpg, char *buf, size_t len)
{
	mutex_lock(&tpg->lock);
	strscpy(buf, tpg->sess ? tpg->nexus_name : "", len);
	mutex_unlock(&tpg->lock);
}

/*
 * A tpg nest opened with its tpgt and nexus (@nexus, from tpg_nexus(), so
 * that no tpg->lock is taken inside tpg_lun_mutex: LIO's session setup
 * takes them the other way round); NULL when the skb is full.
 */
static struct nlattr *open_tpg(struct sk_buff *skb, struct fv_tpg *tpg, const char *nexus)
{
	struct nlattr *nest;

	nest = nla_nest_start(skb, FASTVHOST_A_TARGET_TPG);
	if (!nest)
		return NULL;
	if (nla_put_u16(skb, FASTVHOST_A_TPG_TPGT, tpg->tag) ||
	    (nexus[0] && nla_put_string(skb, FASTVHOST_A_TPG_NEXUS, nexus))) {
		nla_nest_cancel(skb, nest);
		return NULL;
	}
	return nest;
}

/* The tpg nest of one LUN, for the link events. */
static int put_tpg_lun(struct sk_buff *skb, struct fv_tpg *tpg, struct se_lun *lun)
{
	char nexus[FV_NAMELEN];
	struct nlattr *nest;

	tpg_nexus(tpg, nexus, sizeof(nexus));
	nest = open_tpg(skb, tpg, nexus);
	if (!nest)
		return -EMSGSIZE;
	if (put_lun(skb, tpg, lun)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int put_cfg(struct sk_buff *skb, struct fv_tport *tport)
{
	const struct fv_target_cfg *cfg = &tport->cfg;
	struct fv_node_choice nc;

	fv_target_node(tport, &nc);
	if (nla_put_s32(skb, FASTVHOST_A_TARGET_NODE, nc.node) ||
	    nla_put_u8(skb, FASTVHOST_A_TARGET_NODE_AUTO, cfg->node_auto) ||
	    nla_put_u32(skb, FASTVHOST_A_TARGET_NODE_SOURCE, nc.source) ||
	    nla_put_string(skb, FASTVHOST_A_TARGET_NODE_REASON, nc.reason) ||
	    nla_put_string(skb, FASTVHOST_A_TARGET_CPUS, cfg->cpus) ||
	    nla_put_u32(skb, FASTVHOST_A_TARGET_WORKERS, cfg->workers) ||
	    nla_put_u32(skb, FASTVHOST_A_TARGET_POLL_MAX_NS, cfg->poll_max_ns) ||
	    nla_put_u32(skb, FASTVHOST_A_TARGET_POLL_GROW, cfg->poll_grow) ||
	    nla_put_u32(skb, FASTVHOST_A_TARGET_POLL_SHRINK, cfg->poll_shrink))
		return -EMSGSIZE;
	return 0;
}

/*
 * One message of a target.  A target is a row of items: its settings,
 * then each portal group and each of its LUNs, then each queue (of the
 * attached device, or of the configured map).  A message holds the wwn
 * (and owner) and as many items as fit, from @skip on; a tpg nest cut
 * by the end of a message is opened again, with its tpgt, in the next.
 */
struct fv_fill {
	struct sk_buff *skb;
	struct fv_tport *tport;
	bool stats;
	long skip;		/* items sent in earlier messages */
	long pos;		/* items walked in this one */
	bool full;
	struct nlattr *tpg;	/* the open tpg nest, if any */
};

/* Whether the item at f->pos is this message's to put; counts it. */
static bool fill_take(struct fv_fill *f)
{
	if (f->full)
		return false;
	return f->pos++ >= f->skip;
}

/* An item did not fit: it goes to the next message. */
static void fill_full(struct fv_fill *f)
{
	f->pos--;
	f->full = true;
}

static void fill_close_tpg(struct fv_fill *f)
{
	if (f->tpg)
		nla_nest_end(f->skb, f->tpg);
	f->tpg = NULL;
}

static void fill_tpg(struct fv_fill *f, struct fv_tpg *tpg)
{
	struct se_portal_group *se_tpg = &tpg->se_tpg;
	char nexus[FV_NAMELEN];
	struct se_lun *lun;

	tpg_nexus(tpg, nexus, sizeof(nexus));
	if (fill_take(f)) {
		f->tpg = open_tpg(f->skb, tpg, nexus);
		if (!f->tpg) {
			fill_full(f);
			return;
		}
	}
	mutex_lock(&se_tpg->tpg_lun_mutex);
	hlist_for_each_entry(lun, &se_tpg->tpg_lun_hlist, link) {
		if (!fill_take(f))
			continue;
		if (!f->tpg)
			f->tpg = open_tpg(f->skb, tpg, nexus);
		if (!f->tpg || put_lun(f->skb, tpg, lun)) {
			fill_full(f);
			break;
		}
	}
	mutex_unlock(&se_tpg->tpg_lun_mutex);
	fill_close_tpg(f);
}

/* The configured queue-to-worker map, for a target with no guest. */
static void fill_map(struct fv_fill *f)
{
	const struct fv_target_cfg *cfg = &f->tport->cfg;
	struct nlattr *nest;
	int i;

	for (i = 0; i < FV_CFG_MAX_VQS; i++) {
		if (cfg->map[i] == FV_CFG_NO_WORKER || !fill_take(f))
			continue;
		nest = nla_nest_start(f->skb, FASTVHOST_A_TARGET_QUEUE);
		if (!nest)
			goto full;
		if (nla_put_u32(f->skb, FASTVHOST_A_QUEUE_INDEX, i) ||
		    nla_put_u32(f->skb, FASTVHOST_A_QUEUE_WORKER, cfg->map[i])) {
			nla_nest_cancel(f->skb, nest);
			goto full;
		}
		nla_nest_end(f->skb, nest);
	}
	return;
full:
	fill_full(f);
}

static void fill_queues(struct fv_fill *f)
{
	unsigned int i, n;

	if (!f->tport->owner) {
		if (!f->stats)
			fill_map(f);
		return;
	}
	n = fv_stats_nr_queues(f->tport->owner);
	for (i = 0; i < n; i++) {
		if (!fill_take(f))
			continue;
		if (fv_stats_put_queue(f->tport->owner, f->skb, i, f->stats)) {
			fill_full(f);
			return;
		}
	}
}

/*
 * One message of @tport from item *@resume on.  Returns 0 when the
 * target is complete, 1 when it goes on in another message (*@resume is
 * where), -EMSGSIZE when not even one item fits.
 */
static int fill_target(struct sk_buff *skb, struct fv_tport *tport, u32 portid,
		       u32 seq, int flags, u8 cmd, struct netlink_callback *cb,
		       long *resume)
{
	struct fv_fill f = {
		.skb = skb,
		.tport = tport,
		.stats = cmd == FASTVHOST_CMD_STATS_GET,
		.skip = *resume,
	};
	struct fv_tpg *tpg;
	void *hdr;

	lockdep_assert_held(&fv_fabric_mutex);
	hdr = genlmsg_put(skb, portid, seq, &fv_nl_family, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;
	if (cb)
		genl_dump_check_consistent(cb, hdr);

	if (nla_put_string(skb, FASTVHOST_A_TARGET_WWN, tport->name) ||
	    (!f.stats && nla_put_string(skb, FASTVHOST_A_TARGET_FABRIC, tport->fabric)))
		goto err;
	if (tport->owner && nla_put_u32(skb, FASTVHOST_A_TARGET_OWNER_PID, tport->owner_pid))
		goto err;

	/* Item: the settings and the number of queues. */
	if (fill_take(&f) &&
	    ((!f.stats && put_cfg(skb, tport)) ||
	     (tport->owner &&
	      (nla_put_u32(skb, FASTVHOST_A_TARGET_NR_QUEUES,
			   fv_stats_nr_queues(tport->owner)) ||
	       nla_put_u32(skb, FASTVHOST_A_TARGET_MEM_REGIONS,
			   fv_stats_nr_regions(tport->owner))))))
		goto err;
	if (!f.stats)
		list_for_each_entry(tpg, &fv_tpg_list, node)
			if (tpg->tport == tport)
				fill_tpg(&f, tpg);
	fill_queues(&f);

	if (f.full && f.pos == f.skip)
		goto err;	/* not one item */
	genlmsg_end(skb, hdr);
	*resume = f.pos;
	return f.full ? 1 : 0;
err:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

/* The target named by the request's WWN attribute, with extack on error. */
static struct fv_tport *find_tport(struct nlattr **attrs, struct netlink_ext_ack *extack)
{
	struct fv_tport *tport;

	lockdep_assert_held(&fv_fabric_mutex);
	tport = fv_tport_find(nla_data(attrs[FASTVHOST_A_TARGET_WWN]));
	if (!tport) {
		NL_SET_ERR_MSG_ATTR(extack, attrs[FASTVHOST_A_TARGET_WWN],
				    "no fastvhost target with this WWN");
		return ERR_PTR(-ENOENT);
	}
	return tport;
}

static struct fv_tport *req_tport(struct genl_info *info)
{
	if (GENL_REQ_ATTR_CHECK(info, FASTVHOST_A_TARGET_WWN))
		return ERR_PTR(-EINVAL);
	return find_tport(info->attrs, info->extack);
}

int fastvhost_nl_target_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	u8 cmd = info->genlhdr->cmd;
	struct fv_tport *tport;
	struct sk_buff *msg;
	long resume = 0;
	int ret;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;

	mutex_lock(&fv_fabric_mutex);
	tport = req_tport(info);
	if (IS_ERR(tport)) {
		ret = PTR_ERR(tport);
		goto err;
	}
	ret = fill_target(msg, tport, info->snd_portid, info->snd_seq, 0, cmd, NULL, &resume);
	if (ret) {
		NL_SET_ERR_MSG(info->extack,
			       "target too large for one message; dump it with its WWN");
		ret = -EMSGSIZE;
		goto err;
	}
	mutex_unlock(&fv_fabric_mutex);
	return genlmsg_reply(msg, info);
err:
	mutex_unlock(&fv_fabric_mutex);
	nlmsg_free(msg);
	return ret;
}

/*
 * A dump may name one target: the first call fails, with the extack, when
 * it does not exist (the generated per-op table has no .start).
 * cb->args[0]: targets done; cb->args[1]: items of the next one sent;
 * cb->args[2]: set after the first call.
 * Positions, not pointers: the dump is flagged (NLM_F_DUMP_INTR) when
 * fv_fabric_gen moved under it, and the reader starts over.
 */
int fastvhost_nl_target_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	u8 cmd = ((struct genlmsghdr *)nlmsg_data(cb->nlh))->cmd;
	struct nlattr **attrs = fv_genl_dump_attrs(cb);
	const char *only = NULL;
	struct fv_tport *tport;
	long i = 0, done = cb->args[0], resume = cb->args[1];
	int ret = 0;

	if (attrs && attrs[FASTVHOST_A_TARGET_WWN])
		only = nla_data(attrs[FASTVHOST_A_TARGET_WWN]);
	mutex_lock(&fv_fabric_mutex);
	cb->seq = fv_fabric_gen;
	list_for_each_entry(tport, &fv_tport_list, node) {
		if (only && strcmp(tport->name, only))
			continue;
		if (i++ < done)
			continue;
		ret = fill_target(skb, tport, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, NLM_F_MULTI, cmd, cb, &resume);
		if (ret)
			break;
		done++;
		resume = 0;
	}
	mutex_unlock(&fv_fabric_mutex);
	if (only && !i && !cb->args[2]) {
		NL_SET_ERR_MSG_ATTR(cb->extack, attrs[FASTVHOST_A_TARGET_WWN],
				    "no fastvhost target with this WWN");
		return -ENOENT;
	}
	cb->args[2] = 1;
	cb->args[0] = done;
	cb->args[1] = resume;
	/* Not one item of a target in an empty skb is an error, not the end. */
	if (ret < 0 && !skb->len)
		return ret;
	return skb->len;
}

/*
 * The workers a queue map may name: the target's worker count; with one
 * worker per request queue, as many as the attached guest has request
 * queues, or as many as a guest can have while none is attached.
 */
enum fv_map_bound { FV_MAP_WORKERS, FV_MAP_GUEST, FV_MAP_ANY };

static unsigned int map_limit(struct fv_tport *tport, const struct fv_target_cfg *cfg,
			      enum fv_map_bound *why)
{
	if (cfg->workers) {
		*why = FV_MAP_WORKERS;
		return cfg->workers;
	}
	if (tport->owner) {
		*why = FV_MAP_GUEST;
		return min_t(unsigned int, fv_stats_nr_io_queues(tport->owner),
			     FASTVHOST_MAX_WORKERS);
	}
	*why = FV_MAP_ANY;
	return FASTVHOST_MAX_WORKERS;
}

static void map_error(struct netlink_ext_ack *extack, const struct nlattr *attr,
		      enum fv_map_bound why)
{
	switch (why) {
	case FV_MAP_WORKERS:
		NL_SET_ERR_MSG_ATTR(extack, attr, "worker beyond the target's worker count");
		break;
	case FV_MAP_GUEST:
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "worker beyond the attached guest's request queues (a worker each, 130 at most)");
		break;
	case FV_MAP_ANY:
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "worker beyond the workers a target can have");
		break;
	}
}

static int parse_queues(struct genl_info *info, struct fv_tport *tport,
			struct fv_target_cfg *cfg)
{
	struct nlattr *tb[FASTVHOST_A_QUEUE_MAX + 1];
	enum fv_map_bound why;
	unsigned int limit, i;
	struct nlattr *attr;
	int rem, ret;
	u32 q, w;

	limit = map_limit(tport, cfg, &why);
	nlmsg_for_each_attr(attr, info->nlhdr, GENL_HDRLEN, rem) {
		if (nla_type(attr) != FASTVHOST_A_TARGET_QUEUE)
			continue;
		ret = nla_parse_nested(tb, FASTVHOST_A_QUEUE_MAX, attr,
				       fastvhost_queue_nl_policy, info->extack);
		if (ret)
			return ret;
		if (!tb[FASTVHOST_A_QUEUE_INDEX] || !tb[FASTVHOST_A_QUEUE_WORKER]) {
			NL_SET_ERR_MSG_ATTR(info->extack, attr,
					    "a queue map entry needs both index and worker");
			return -EINVAL;
		}
		q = nla_get_u32(tb[FASTVHOST_A_QUEUE_INDEX]);
		w = nla_get_u32(tb[FASTVHOST_A_QUEUE_WORKER]);
		if (w >= limit) {
			map_error(info->extack, tb[FASTVHOST_A_QUEUE_WORKER], why);
			return -EINVAL;
		}
		cfg->map[q] = w;
	}
	/* What the map kept from before must fit a new worker count too. */
	for (i = 0; i < FV_CFG_MAX_VQS; i++) {
		if (cfg->map[i] == FV_CFG_NO_WORKER || cfg->map[i] < limit)
			continue;
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[FASTVHOST_A_TARGET_WORKERS],
				    "the queue map keeps a worker beyond the workers there will be; change or clear it");
		return -EINVAL;
	}
	return 0;
}

static int parse_cpus(struct genl_info *info, struct fv_target_cfg *cfg)
{
	struct nlattr *attr = info->attrs[FASTVHOST_A_TARGET_CPUS];
	cpumask_var_t mask;
	int ret = 0;

	if (!attr)
		return 0;
	if (!*(char *)nla_data(attr)) {
		cfg->cpus[0] = '\0';
		return 0;
	}
	if (!zalloc_cpumask_var(&mask, GFP_KERNEL))
		return -ENOMEM;
	ret = cpulist_parse(nla_data(attr), mask);
	if (ret == -ERANGE) {
		NL_SET_ERR_MSG_ATTR(info->extack, attr, "CPU number out of range");
	} else if (ret) {
		NL_SET_ERR_MSG_ATTR(info->extack, attr, "not a CPU list (like 0-3,8)");
		ret = -EINVAL;
	} else if (!cpumask_subset(mask, cpu_possible_mask)) {
		NL_SET_ERR_MSG_ATTR(info->extack, attr, "CPU list names CPUs this host lacks");
		ret = -EINVAL;
	} else if (cfg->node != NUMA_NO_NODE &&
		   !cpumask_intersects(mask, cpumask_of_node(cfg->node))) {
		NL_SET_ERR_MSG_ATTR(info->extack, attr,
				    "no CPU of the list is on the target's node");
		ret = -EINVAL;
	} else {
		nla_strscpy(cfg->cpus, attr, sizeof(cfg->cpus));
	}
	free_cpumask_var(mask);
	return ret;
}

int fastvhost_nl_target_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr **a = info->attrs;
	struct fv_target_cfg *cfg;
	struct fv_tport *tport;
	void *relayout = NULL;
	int ret;

	cfg = kmalloc(sizeof(*cfg), GFP_KERNEL);
	if (!cfg)
		return -ENOMEM;

	mutex_lock(&fv_fabric_mutex);
	tport = req_tport(info);
	if (IS_ERR(tport)) {
		ret = PTR_ERR(tport);
		goto out;
	}
	*cfg = tport->cfg;

	if (a[FASTVHOST_A_TARGET_NODE]) {
		cfg->node = nla_get_s32(a[FASTVHOST_A_TARGET_NODE]);
		cfg->node_auto = false;
		/* The spec bounds nodes for any kernel; this one may have fewer. */
		if (cfg->node != NUMA_NO_NODE &&
		    (cfg->node >= MAX_NUMNODES || !node_online(cfg->node))) {
			NL_SET_ERR_MSG_ATTR(info->extack, a[FASTVHOST_A_TARGET_NODE],
					    "no such NUMA node online");
			ret = -EINVAL;
			goto out;
		}
	}
	if (a[FASTVHOST_A_TARGET_NODE_AUTO]) {
		cfg->node_auto = nla_get_u8(a[FASTVHOST_A_TARGET_NODE_AUTO]);
		if (cfg->node_auto)
			cfg->node = NUMA_NO_NODE;
	}
	if (a[FASTVHOST_A_TARGET_WORKERS])
		cfg->workers = nla_get_u32(a[FASTVHOST_A_TARGET_WORKERS]);
	if (a[FASTVHOST_A_TARGET_POLL_MAX_NS])
		cfg->poll_max_ns = nla_get_u32(a[FASTVHOST_A_TARGET_POLL_MAX_NS]);
	if (a[FASTVHOST_A_TARGET_POLL_GROW])
		cfg->poll_grow = nla_get_u32(a[FASTVHOST_A_TARGET_POLL_GROW]);
	if (a[FASTVHOST_A_TARGET_POLL_SHRINK])
		cfg->poll_shrink = nla_get_u32(a[FASTVHOST_A_TARGET_POLL_SHRINK]);

	ret = parse_cpus(info, cfg);
	if (ret)
		goto out;
	if (nla_get_flag(a[FASTVHOST_A_TARGET_MAP_RESET]))
		memset(cfg->map, FV_CFG_NO_WORKER, sizeof(cfg->map));
	if (a[FASTVHOST_A_TARGET_WORKERS] || a[FASTVHOST_A_TARGET_QUEUE]) {
		ret = parse_queues(info, tport, cfg);
		if (ret)
			goto out;
	}

	if (tport->owner) {
		ret = fv_stats_apply_cfg(tport->owner, cfg, info->extack);
		if (ret)
			goto out;
	}
	tport->cfg = *cfg;
	fv_fabric_gen++;
	if (tport->owner && (a[FASTVHOST_A_TARGET_WORKERS] ||
			     a[FASTVHOST_A_TARGET_QUEUE] ||
			     a[FASTVHOST_A_TARGET_MAP_RESET] ||
			     a[FASTVHOST_A_TARGET_NODE] ||
			     a[FASTVHOST_A_TARGET_NODE_AUTO]))
		relayout = fv_owner_get(tport->owner);
out:
	mutex_unlock(&fv_fabric_mutex);
	kfree(cfg);
	if (relayout) {
		ret = fv_owner_relayout(relayout);
		if (ret)
			NL_SET_ERR_MSG(info->extack,
				       "saved, but the workers could not be rebuilt; the old ones serve on");
		fv_owner_put(relayout);
	}
	return ret;
}

int fastvhost_nl_stats_reset_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct fv_tport *tport;
	int ret = 0;

	mutex_lock(&fv_fabric_mutex);
	tport = req_tport(info);
	if (IS_ERR(tport))
		ret = PTR_ERR(tport);
	else if (tport->owner)
		fv_stats_reset(tport->owner);
	mutex_unlock(&fv_fabric_mutex);
	return ret;
}

/* stats-get answers as target-get does; the command picks the attributes. */
int fastvhost_nl_stats_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	return fastvhost_nl_target_get_doit(skb, info);
}

int fastvhost_nl_stats_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	return fastvhost_nl_target_get_dumpit(skb, cb);
}

/* The spec's group is admin-only; the 6.12 generator renders no flags. */
static const struct genl_multicast_group fv_nl_mcgrps[] = {
	{ .name = FASTVHOST_MCGRP_MONITOR, .flags = GENL_MCAST_CAP_NET_ADMIN },
};

static struct genl_family fv_nl_family __ro_after_init = {
	.name		= FASTVHOST_FAMILY_NAME,
	.version	= FASTVHOST_FAMILY_VERSION,
	.netnsok	= false,
	.module		= THIS_MODULE,
	.ops		= fastvhost_nl_ops,
	.n_ops		= ARRAY_SIZE(fastvhost_nl_ops),
	.mcgrps		= fv_nl_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(fv_nl_mcgrps),
};

static void notify(struct sk_buff *msg, void *hdr)
{
	genlmsg_end(msg, hdr);
	genlmsg_multicast(&fv_nl_family, msg, 0, 0, GFP_KERNEL);
}

void fv_nl_notify_owner(struct fv_tport *tport, u8 cmd)
{
	struct sk_buff *msg;
	void *hdr;

	if (!genl_has_listeners(&fv_nl_family, &init_net, 0))
		return;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return;
	hdr = genlmsg_put(msg, 0, 0, &fv_nl_family, 0, cmd);
	if (!hdr ||
	    nla_put_string(msg, FASTVHOST_A_TARGET_WWN, tport->name) ||
	    nla_put_u32(msg, FASTVHOST_A_TARGET_OWNER_PID, tport->owner_pid)) {
		nlmsg_free(msg);
		return;
	}
	notify(msg, hdr);
}

void fv_nl_notify_lun(struct fv_tpg *tpg, struct se_lun *lun, u8 cmd)
{
	struct sk_buff *msg;
	void *hdr;

	if (!genl_has_listeners(&fv_nl_family, &init_net, 0))
		return;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return;
	hdr = genlmsg_put(msg, 0, 0, &fv_nl_family, 0, cmd);
	if (!hdr ||
	    nla_put_string(msg, FASTVHOST_A_TARGET_WWN, tpg->tport->name) ||
	    put_tpg_lun(msg, tpg, lun)) {
		nlmsg_free(msg);
		return;
	}
	notify(msg, hdr);
}

void fv_nl_notify_broken(const char *wwn, pid_t pid, unsigned int index)
{
	struct nlattr *nest;
	struct sk_buff *msg;
	void *hdr;

	if (!genl_has_listeners(&fv_nl_family, &init_net, 0))
		return;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return;
	hdr = genlmsg_put(msg, 0, 0, &fv_nl_family, 0, FASTVHOST_CMD_QUEUE_BROKEN_NTF);
	if (!hdr ||
	    nla_put_string(msg, FASTVHOST_A_TARGET_WWN, wwn) ||
	    nla_put_u32(msg, FASTVHOST_A_TARGET_OWNER_PID, pid))
		goto err;
	nest = nla_nest_start(msg, FASTVHOST_A_TARGET_QUEUE);
	if (!nest || nla_put_u32(msg, FASTVHOST_A_QUEUE_INDEX, index) ||
	    nla_put_flag(msg, FASTVHOST_A_QUEUE_BROKEN))
		goto err;
	nla_nest_end(msg, nest);
	notify(msg, hdr);
	return;
err:
	nlmsg_free(msg);
}

int fv_nl_init(void)
{
	return genl_register_family(&fv_nl_family);
}

void fv_nl_exit(void)
{
	genl_unregister_family(&fv_nl_family);
}
