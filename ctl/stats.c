// SPDX-License-Identifier: GPL-2.0
/*
 * fvctl stats: per-queue statistics over netlink (stats-get), once or
 * every --watch seconds with each queue's rates since the sample before,
 * and stats-reset.
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

/* A queue's counters at one sample, for the rates of the next. */
struct sample {
	char wwn[FASTVHOST_WWN_LEN];
	uint64_t index, requests, rd, wr;
};

struct samples {
	struct sample *s;
	size_t n, cap;
};

/* What a pass over the targets prints with, and keeps for the next. */
struct pass {
	struct json *j;
	struct samples prev, cur;
	double secs;			/* since the previous pass; 0: none */
	const char *wwn;		/* the target on_stats is in */
};

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

static const struct sample *find(const struct samples *ss, const char *wwn, uint64_t index)
{
	size_t i;

	for (i = 0; i < ss->n; i++)
		if (ss->s[i].index == index && !strcmp(ss->s[i].wwn, wwn))
			return &ss->s[i];
	return NULL;
}

/*
 * Keep queue @tb's counters in this pass; true with @rate (requests, MiB
 * read and written a second) when the pass before had the queue too and
 * its counters have not gone back (a reset, a new guest).
 */
static bool sample(struct pass *p, struct nlattr **tb, double rate[3])
{
	struct sample now = {
		.index = u(tb, FASTVHOST_A_QUEUE_INDEX),
		.requests = u(tb, FASTVHOST_A_QUEUE_REQUESTS),
		.rd = u(tb, FASTVHOST_A_QUEUE_BYTES_READ),
		.wr = u(tb, FASTVHOST_A_QUEUE_BYTES_WRITTEN),
	};
	const struct sample *was;
	struct sample *more;

	snprintf(now.wwn, sizeof(now.wwn), "%s", p->wwn);
	if (p->cur.n == p->cur.cap) {
		more = realloc(p->cur.s, (p->cur.cap * 2 + 16) * sizeof(*more));
		if (!more)
			return false;
		p->cur.s = more;
		p->cur.cap = p->cur.cap * 2 + 16;
	}
	p->cur.s[p->cur.n++] = now;
	was = p->secs > 0 ? find(&p->prev, p->wwn, now.index) : NULL;
	if (!was || now.requests < was->requests || now.rd < was->rd || now.wr < was->wr)
		return false;
	rate[0] = (double)(now.requests - was->requests) / p->secs;
	rate[1] = (double)(now.rd - was->rd) / p->secs / (1 << 20);
	rate[2] = (double)(now.wr - was->wr) / p->secs / (1 << 20);
	return true;
}

static void show_queue(struct pass *p, struct nlattr *q)
{
	struct nlattr *tb[FASTVHOST_A_QUEUE_MAX + 1];
	double rate[3];

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
	if (sample(p, tb, rate))
		printf("    rate %.0f requests/s read %.2f MiB/s written %.2f MiB/s\n",
		       rate[0], rate[1], rate[2]);
	show_latency(q);
}

/* A target's "rates" in JSON: one object a queue the pass before had. */
static void json_rates(struct pass *p, struct nlattr *attrs, int len)
{
	struct nlattr *tb[FASTVHOST_A_QUEUE_MAX + 1], *a;
	bool open = false;
	double rate[3];
	int rem;

	nla_for_each_attr(a, attrs, len, rem) {
		if (nla_type(a) != FASTVHOST_A_TARGET_QUEUE ||
		    nla_parse_nested(tb, FASTVHOST_A_QUEUE_MAX, a, NULL) ||
		    !sample(p, tb, rate))
			continue;
		if (!open)
			json_arr_open(p->j, "rates");
		open = true;
		json_obj_open(p->j, NULL);
		json_uint(p->j, "index", u(tb, FASTVHOST_A_QUEUE_INDEX));
		json_double(p->j, "requests-per-s", rate[0], 1);
		json_double(p->j, "read-mib-per-s", rate[1], 3);
		json_double(p->j, "written-mib-per-s", rate[2], 3);
		json_obj_close(p->j);
	}
	if (open)
		json_arr_close(p->j);
}

static int on_stats(uint8_t cmd, struct nlattr **tb, struct nlattr *attrs, int len, void *arg)
{
	struct pass *p = arg;
	struct json *j = p->j;
	struct nlattr *a;
	int rem;

	(void)cmd;
	if (!tb[FASTVHOST_A_TARGET_WWN])
		return 0;
	p->wwn = nla_get_string(tb[FASTVHOST_A_TARGET_WWN]);
	if (j) {
		json_obj_open(j, NULL);
		spec_json(j, &fv_target_set, attrs, len);
		json_rates(p, attrs, len);
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
			show_queue(p, a);
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

/* The targets of @wwns (NULL: every one, however many); none if one is missing. */
static int reset_all(struct fv_nl *nl, const char *wwns)
{
	struct names names = { 0 };
	size_t i;
	int ret;

	ret = fv_get_list(nl, FASTVHOST_CMD_TARGET_GET, wwns, collect, &names);
	for (i = 0; !ret && i < names.n; i++)
		ret = reset(nl, names.wwn[i]);
	free(names.wwn);
	return ret;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One pass; @p keeps its counters (and when) for the next one's rates. */
static int once(struct fv_nl *nl, struct fv_opts *o, struct pass *p, double *when)
{
	struct samples old = p->prev;
	struct json js;
	double t = now_s();
	int ret;

	p->j = NULL;
	p->secs = *when > 0 ? t - *when : 0;
	if (o->json) {
		p->j = &js;
		json_init(p->j, stdout, o->pretty);
		json_arr_open(p->j, NULL);
	}
	ret = fv_get_list(nl, FASTVHOST_CMD_STATS_GET, o->wwn, on_stats, p);
	if (p->j)
		json_arr_close(p->j);
	fflush(stdout);
	/* This pass's counters become the next one's "before". */
	p->prev = p->cur;
	p->cur = old;
	p->cur.n = 0;
	*when = t;
	return ret;
}

int cmd_stats(struct fv_opts *o)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct pass p = { 0 };
	double last = 0;
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
		ret = once(&nl, o, &p, &last);
		goto out;
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
		ret = once(&nl, o, &p, &last);
		if (!o->json && !stop)
			putchar('\n');
	}
out:
	free(p.prev.s);
	free(p.cur.s);
	fvnl_close(&nl);
	return ret;
}
