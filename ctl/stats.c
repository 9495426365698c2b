// SPDX-License-Identifier: GPL-2.0
/*
 * fvctl stats: per-queue statistics over netlink (stats-get), once or
 * every --watch seconds, and stats-reset.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/fastvhost.h>

#include "fvctl.h"
#include "nl.h"
#include "show.h"
#include "spec.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t u(struct nlattr **tb, int t)
{
	return (uint64_t)spec_int(tb[t], 0);
}

/* Upper bound in us of the bucket holding the p-th percentile, 0 if none. */
static uint64_t percentile(const uint64_t *b, int n, uint64_t total, double p)
{
	uint64_t sum = 0;
	int i;

	for (i = 0; i < n; i++) {
		sum += b[i];
		if (sum && (double)sum >= p * (double)total)
			return 2ULL << i;
	}
	return 0;
}

static void show_latency(struct nlattr *q)
{
	static const struct { const char *name; double p; } ps[] = {
		{ "p50", 0.50 }, { "p90", 0.90 }, { "p99", 0.99 }, { "p99.9", 0.999 },
	};
	uint64_t b[FASTVHOST_LAT_BUCKETS] = { 0 }, total = 0, ub;
	struct nlattr *a;
	int rem, n = 0;
	size_t i;

	nla_for_each_nested(a, q, rem)
		if (nla_type(a) == FASTVHOST_A_QUEUE_LATENCY && n < FASTVHOST_LAT_BUCKETS)
			total += (b[n++] = (uint64_t)spec_int(a, 0));
	if (!n)
		return;
	printf("    latency");
	if (!total)
		printf(" none");
	for (i = 0; total && i < sizeof(ps) / sizeof(ps[0]); i++) {
		ub = percentile(b, n, total, ps[i].p);
		if (ub >= 2ULL << (FASTVHOST_LAT_BUCKETS - 1))
			printf(" %s >=%" PRIu64 "us", ps[i].name, ub / 2);
		else
			printf(" %s <%" PRIu64 "us", ps[i].name, ub);
	}
	putchar('\n');
}

static void show_queue(struct nlattr *q)
{
	struct nlattr *tb[FASTVHOST_A_QUEUE_MAX + 1];

	if (nla_parse_nested(tb, FASTVHOST_A_QUEUE_MAX, q, NULL))
		return;
	printf("  queue %" PRIu64 "%s\n", u(tb, FASTVHOST_A_QUEUE_INDEX),
	       tb[FASTVHOST_A_QUEUE_BROKEN] ? " broken" : "");
	printf("    requests %" PRIu64 " read %.2f MiB written %.2f MiB errors %" PRIu64
	       " inflight %" PRIu64 "\n",
	       u(tb, FASTVHOST_A_QUEUE_REQUESTS),
	       (double)u(tb, FASTVHOST_A_QUEUE_BYTES_READ) / (1 << 20),
	       (double)u(tb, FASTVHOST_A_QUEUE_BYTES_WRITTEN) / (1 << 20),
	       u(tb, FASTVHOST_A_QUEUE_ERRORS), u(tb, FASTVHOST_A_QUEUE_INFLIGHT));
	printf("    kicks %" PRIu64 " interrupts %" PRIu64 " poll hits %" PRIu64 " misses %"
	       PRIu64 " time %.3f ms window %.3f us\n",
	       u(tb, FASTVHOST_A_QUEUE_KICKS), u(tb, FASTVHOST_A_QUEUE_INTERRUPTS),
	       u(tb, FASTVHOST_A_QUEUE_POLL_HITS), u(tb, FASTVHOST_A_QUEUE_POLL_MISSES),
	       (double)u(tb, FASTVHOST_A_QUEUE_POLL_NS) / 1e6,
	       (double)u(tb, FASTVHOST_A_QUEUE_POLL_WINDOW_NS) / 1e3);
	show_latency(q);
}

static int on_stats(uint8_t cmd, struct nlattr **tb, struct nlattr *attrs, int len, void *arg)
{
	struct json *j = arg;
	struct nlattr *a;
	int rem;

	(void)cmd;
	if (!tb[FASTVHOST_A_TARGET_WWN])
		return 0;
	if (j) {
		json_obj_open(j, NULL);
		spec_json(j, &fv_target_set, attrs, len);
		json_obj_close(j);
		return 0;
	}
	printf("target %s", nla_get_string(tb[FASTVHOST_A_TARGET_WWN]));
	if (!tb[FASTVHOST_A_TARGET_OWNER_PID]) {
		printf(": no guest attached\n");
		return 0;
	}
	printf(" owner-pid %" PRIu64 "\n", u(tb, FASTVHOST_A_TARGET_OWNER_PID));
	nla_for_each_attr(a, attrs, len, rem)
		if (nla_type(a) == FASTVHOST_A_TARGET_QUEUE)
			show_queue(a);
	return 0;
}

struct names {
	char (*wwn)[FASTVHOST_WWN_LEN];
	size_t n;
};

static int collect(uint8_t cmd, struct nlattr **tb, struct nlattr *attrs, int len, void *arg)
{
	struct names *names = arg;
	char (*more)[FASTVHOST_WWN_LEN];

	(void)cmd, (void)attrs, (void)len;
	if (!tb[FASTVHOST_A_TARGET_WWN])
		return 0;
	more = realloc(names->wwn, (names->n + 1) * sizeof(*more));
	if (!more)
		return fv_err("out of memory");
	names->wwn = more;
	snprintf(names->wwn[names->n++], FASTVHOST_WWN_LEN, "%s",
		 nla_get_string(tb[FASTVHOST_A_TARGET_WWN]));
	return 0;
}

static int reset(struct fv_nl *nl, const char *wwn)
{
	int ret = fvnl_call(nl, fvnl_req(nl, FASTVHOST_CMD_STATS_RESET, false, wwn), NULL, NULL);

	if (!ret)
		return 0;
	if (nl->err == EPERM)
		return fv_err("permission denied: resetting statistics needs CAP_NET_ADMIN");
	if (nl->err == ENOENT)
		return fv_err("no target %s", wwn);
	return fv_err("%s: %s", wwn, fvnl_strerror(nl));
}

/* Every target when wwn is NULL, however many. */
static int reset_all(struct fv_nl *nl, const char *wwn)
{
	struct names names = { 0 };
	size_t i;
	int ret;

	if (wwn)
		return reset(nl, wwn);
	ret = fv_get(nl, FASTVHOST_CMD_TARGET_GET, NULL, collect, &names);
	for (i = 0; !ret && i < names.n; i++)
		ret = reset(nl, names.wwn[i]);
	free(names.wwn);
	return ret;
}

static int once(struct fv_nl *nl, struct fv_opts *o)
{
	struct json js, *j = NULL;
	int ret;

	if (o->json) {
		j = &js;
		json_init(j, stdout, o->pretty);
		json_arr_open(j, NULL);
	}
	ret = fv_get(nl, FASTVHOST_CMD_STATS_GET, o->wwn, on_stats, j);
	if (j)
		json_arr_close(j);
	fflush(stdout);
	return ret;
}

int cmd_stats(struct fv_opts *o)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct timespec ts;
	struct fv_nl nl;
	char when[64];
	time_t now;
	int ret;

	if (fvnl_open(&nl))
		return 1;
	if (o->reset) {
		ret = reset_all(&nl, o->wwn);
		if (ret || !o->watch) {
			fvnl_close(&nl);
			return ret;
		}
	}
	if (!o->watch) {
		ret = once(&nl, o);
		fvnl_close(&nl);
		return ret;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	ts.tv_sec = (time_t)o->watch;
	ts.tv_nsec = (long)((o->watch - (double)ts.tv_sec) * 1e9);
	for (ret = 0; !stop && !ret; nanosleep(&ts, NULL)) {
		if (!o->json) {
			now = time(NULL);
			strftime(when, sizeof(when), "%F %T", localtime(&now));
			printf("%s\n", when);
		}
		ret = once(&nl, o);
		if (!o->json && !stop)
			putchar('\n');
	}
	fvnl_close(&nl);
	return ret;
}
