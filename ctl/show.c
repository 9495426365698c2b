// SPDX-License-Identifier: GPL-2.0
/*
 * fvctl show: targets over netlink (target-get), as text or JSON.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fastvhost.h>

#include "fvctl.h"
#include "nl.h"
#include "show.h"
#include "spec.h"

struct lun_row {
	int64_t index, node;
	const char *backstore;
};

static int by_index(const void *a, const void *b)
{
	const struct lun_row *x = a, *y = b;

	return (x->index > y->index) - (x->index < y->index);
}

/* A portal group and its LUNs, in LUN order; all of them, however many. */
static int show_tpg(struct nlattr *attrs, int len, struct nlattr *tpg)
{
	struct nlattr *tb[FASTVHOST_A_TPG_MAX + 1], *l[FASTVHOST_A_LUN_MAX + 1];
	struct lun_row *rows;
	struct nlattr *m, *a;
	int mlen, rem, n = 0, i;

	m = spec_tpg_merge(attrs, len, tpg, &mlen);
	if (!m)
		return mlen ? fv_err("out of memory") : 0;
	rows = calloc((size_t)mlen / NLA_HDRLEN + 1, sizeof(*rows));
	if (!rows || nla_parse(tb, FASTVHOST_A_TPG_MAX, m, mlen, NULL)) {
		free(rows);
		free(m);
		return fv_err("out of memory or a bad reply");
	}
	printf("  tpgt %" PRId64 " nexus %s\n", spec_int(tb[FASTVHOST_A_TPG_TPGT], 0),
	       tb[FASTVHOST_A_TPG_NEXUS] ? nla_get_string(tb[FASTVHOST_A_TPG_NEXUS]) : "none");
	nla_for_each_attr(a, m, mlen, rem) {
		if (nla_type(a) != FASTVHOST_A_TPG_LUN ||
		    nla_parse_nested(l, FASTVHOST_A_LUN_MAX, a, NULL))
			continue;
		rows[n].index = spec_int(l[FASTVHOST_A_LUN_INDEX], 0);
		rows[n].node = l[FASTVHOST_A_LUN_NODE] ?
			(int32_t)nla_get_u32(l[FASTVHOST_A_LUN_NODE]) : -1;
		rows[n].backstore = l[FASTVHOST_A_LUN_BACKSTORE] ?
			nla_get_string(l[FASTVHOST_A_LUN_BACKSTORE]) : "";
		n++;
	}
	qsort(rows, n, sizeof(rows[0]), by_index);
	for (i = 0; i < n; i++)
		printf("    lun %" PRId64 " backstore %s node %" PRId64 "\n", rows[i].index,
		       rows[i].backstore[0] ? rows[i].backstore : "(none)", rows[i].node);
	free(rows);
	free(m);
	return 0;
}

static void show_queue(struct nlattr *q)
{
	struct nlattr *tb[FASTVHOST_A_QUEUE_MAX + 1];

	if (nla_parse_nested(tb, FASTVHOST_A_QUEUE_MAX, q, NULL))
		return;
	printf("  queue %" PRId64, spec_int(tb[FASTVHOST_A_QUEUE_INDEX], 0));
	if (tb[FASTVHOST_A_QUEUE_WORKER])
		printf(" worker %" PRId64, spec_int(tb[FASTVHOST_A_QUEUE_WORKER], 0));
	if (tb[FASTVHOST_A_QUEUE_VMM_WORKER])
		printf(" vmm-worker %" PRId64, spec_int(tb[FASTVHOST_A_QUEUE_VMM_WORKER], 0));
	if (tb[FASTVHOST_A_QUEUE_CPU])
		printf(" cpu %d", (int32_t)nla_get_u32(tb[FASTVHOST_A_QUEUE_CPU]));
	if (tb[FASTVHOST_A_QUEUE_NODE])
		printf(" node %d", (int32_t)nla_get_u32(tb[FASTVHOST_A_QUEUE_NODE]));
	if (tb[FASTVHOST_A_QUEUE_PID])
		printf(" pid %" PRId64, spec_int(tb[FASTVHOST_A_QUEUE_PID], 0));
	if (tb[FASTVHOST_A_QUEUE_INFLIGHT])
		printf(" inflight %" PRId64, spec_int(tb[FASTVHOST_A_QUEUE_INFLIGHT], 0));
	if (tb[FASTVHOST_A_QUEUE_BROKEN])
		printf(" broken");
	putchar('\n');
}

const char *fv_other_fabric(struct nlattr **tb)
{
	const char *f;

	if (!tb[FASTVHOST_A_TARGET_FABRIC])
		return NULL;
	f = nla_get_string(tb[FASTVHOST_A_TARGET_FABRIC]);
	return strcmp(f, FV_FABRIC) ? f : NULL;
}

static int show_text(struct nlattr **tb, struct nlattr *attrs, int len)
{
	const char *src, *cpus;
	struct nlattr *a;
	int64_t poll;
	int rem;

	printf("target %s", nla_get_string(tb[FASTVHOST_A_TARGET_WWN]));
	if (fv_other_fabric(tb))
		printf(" fabric %s", fv_other_fabric(tb));
	putchar('\n');
	if (tb[FASTVHOST_A_TARGET_OWNER_PID])
		printf("  owner-pid %" PRId64 " queues %" PRId64
		       " mem-regions %" PRId64 "\n",
		       spec_int(tb[FASTVHOST_A_TARGET_OWNER_PID], 0),
		       spec_int(tb[FASTVHOST_A_TARGET_NR_QUEUES], 0),
		       spec_int(tb[FASTVHOST_A_TARGET_MEM_REGIONS], 0));
	else
		printf("  owner none\n");
	src = spec_enum(fv_node_sources,
			(unsigned int)spec_int(tb[FASTVHOST_A_TARGET_NODE_SOURCE], 0));
	printf("  node %d%s source %s",
	       tb[FASTVHOST_A_TARGET_NODE] ? (int32_t)nla_get_u32(tb[FASTVHOST_A_TARGET_NODE]) : -1,
	       spec_int(tb[FASTVHOST_A_TARGET_NODE_AUTO], 0) ? " auto" : "",
	       src ? src : "unknown");
	if (tb[FASTVHOST_A_TARGET_NODE_REASON])
		printf(" reason \"%s\"", nla_get_string(tb[FASTVHOST_A_TARGET_NODE_REASON]));
	putchar('\n');
	cpus = tb[FASTVHOST_A_TARGET_CPUS] ? nla_get_string(tb[FASTVHOST_A_TARGET_CPUS]) : "";
	poll = spec_int(tb[FASTVHOST_A_TARGET_POLL_MAX_NS], 0);
	printf("  cpus %s workers %" PRId64 "%s\n", cpus[0] ? cpus : "all",
	       spec_int(tb[FASTVHOST_A_TARGET_WORKERS], 0),
	       spec_int(tb[FASTVHOST_A_TARGET_WORKERS], 0) ? "" : " (one per queue, or as the VMM groups them)");
	if (poll)
		printf("  polling max %" PRId64 ".%03" PRId64 " us grow %" PRId64 " shrink %" PRId64 "\n",
		       poll / 1000, poll % 1000, spec_int(tb[FASTVHOST_A_TARGET_POLL_GROW], 0),
		       spec_int(tb[FASTVHOST_A_TARGET_POLL_SHRINK], 0));
	else
		printf("  polling off\n");
	nla_for_each_attr(a, attrs, len, rem)
		if (nla_type(a) == FASTVHOST_A_TARGET_TPG && show_tpg(attrs, len, a))
			return 1;
	nla_for_each_attr(a, attrs, len, rem)
		if (nla_type(a) == FASTVHOST_A_TARGET_QUEUE)
			show_queue(a);
	return 0;
}

static int on_target(uint8_t cmd, struct nlattr **tb, struct nlattr *attrs, int len, void *arg)
{
	struct json *j = arg;

	(void)cmd;
	if (!tb[FASTVHOST_A_TARGET_WWN])
		return 0;
	if (j) {
		json_obj_open(j, NULL);
		spec_json(j, &fv_target_set, attrs, len);
		json_obj_close(j);
		return 0;
	}
	return show_text(tb, attrs, len);
}

struct get {
	fv_nl_cb cb;
	void *arg;
	unsigned int n;
};

static int count(uint8_t cmd, struct nlattr **tb, struct nlattr *attrs, int len, void *arg)
{
	struct get *g = arg;

	g->n++;
	return g->cb(cmd, tb, attrs, len, g->arg);
}

/*
 * Always a dump, of one target when wwn is set: a target with many LUNs
 * or queues comes in several messages, which fvnl_call() joins.
 */
int fv_get(struct fv_nl *nl, uint8_t cmd, const char *wwn, fv_nl_cb cb, void *arg)
{
	struct get g = { .cb = cb, .arg = arg };
	int ret = fvnl_call(nl, fvnl_req(nl, cmd, true, wwn), count, &g);

	if ((ret == -ENOENT || (!ret && !g.n)) && wwn)
		return fv_err("no target %s", wwn);
	if (ret == -EPERM)
		return fv_err("permission denied: reading targets and statistics needs CAP_NET_ADMIN");
	if (ret < 0)
		return fv_err("%s", fvnl_strerror(nl));
	return ret;
}

/*
 * fv_get() for each target of @wwns, a comma-separated list (NULL: every
 * target), in its order; every one is tried, the first failure returned.
 */
int fv_get_list(struct fv_nl *nl, uint8_t cmd, const char *wwns, fv_nl_cb cb, void *arg)
{
	char wwn[FASTVHOST_WWN_LEN];
	const char *p = wwns, *end;
	int ret = 0, r;
	size_t n;

	if (!wwns)
		return fv_get(nl, cmd, NULL, cb, arg);
	for (; *p; p = *end ? end + 1 : end) {
		end = strchrnul(p, ',');
		n = (size_t)(end - p);
		if (!n || n >= sizeof(wwn)) {
			r = fv_err("--wwn wants target names separated by commas, not '%s'", wwns);
		} else {
			memcpy(wwn, p, n);
			wwn[n] = '\0';
			r = fv_get(nl, cmd, wwn, cb, arg);
		}
		if (!ret)
			ret = r;
	}
	return ret;
}

int cmd_show(struct fv_opts *o)
{
	struct json js, *j = NULL;
	struct fv_nl nl;
	int ret;

	if (fvnl_open(&nl))
		return 1;
	if (o->json) {
		j = &js;
		json_init(j, stdout, o->pretty);
		json_arr_open(j, NULL);
	}
	ret = fv_get_list(&nl, FASTVHOST_CMD_TARGET_GET, o->wwn, on_target, j);
	if (j)
		json_arr_close(j);
	fvnl_close(&nl);
	return ret;
}
