// SPDX-License-Identifier: GPL-2.0
/*
 * fvctl monitor: one line per event of the "monitor" multicast group,
 * until SIGINT or SIGTERM.
 */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <linux/fastvhost.h>

#include "fvctl.h"
#include "nl.h"
#include "spec.h"

static volatile int stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static const char *event_name(uint8_t cmd)
{
	switch (cmd) {
	case FASTVHOST_CMD_ATTACH_NTF:
		return "attach";
	case FASTVHOST_CMD_DETACH_NTF:
		return "detach";
	case FASTVHOST_CMD_QUEUE_BROKEN_NTF:
		return "queue-broken";
	case FASTVHOST_CMD_LUN_ADD_NTF:
		return "lun-add";
	case FASTVHOST_CMD_LUN_DEL_NTF:
		return "lun-del";
	}
	return NULL;
}

static void text_tpg(struct nlattr *tpg)
{
	struct nlattr *tb[FASTVHOST_A_TPG_MAX + 1], *l[FASTVHOST_A_LUN_MAX + 1], *a;
	int rem;

	if (nla_parse_nested(tb, FASTVHOST_A_TPG_MAX, tpg, NULL))
		return;
	printf(" tpgt %" PRId64, spec_int(tb[FASTVHOST_A_TPG_TPGT], 0));
	nla_for_each_nested(a, tpg, rem) {
		if (nla_type(a) != FASTVHOST_A_TPG_LUN ||
		    nla_parse_nested(l, FASTVHOST_A_LUN_MAX, a, NULL))
			continue;
		printf(" lun %" PRId64, spec_int(l[FASTVHOST_A_LUN_INDEX], 0));
		if (l[FASTVHOST_A_LUN_BACKSTORE])
			printf(" backstore %s", nla_get_string(l[FASTVHOST_A_LUN_BACKSTORE]));
	}
}

static void text_queue(struct nlattr *q)
{
	struct nlattr *tb[FASTVHOST_A_QUEUE_MAX + 1];

	if (!nla_parse_nested(tb, FASTVHOST_A_QUEUE_MAX, q, NULL))
		printf(" queue %" PRId64, spec_int(tb[FASTVHOST_A_QUEUE_INDEX], 0));
}

static int on_event(uint8_t cmd, struct nlattr **tb, struct nlattr *attrs, int len, void *arg)
{
	const char *name = event_name(cmd);
	struct json *j = arg;
	struct nlattr *a;
	int rem;

	if (!name)
		return 0;
	if (j) {
		json_init(j, stdout, false);
		json_obj_open(j, NULL);
		json_str(j, "event", name);
		spec_json(j, &fv_target_set, attrs, len);
		json_obj_close(j);
	} else {
		printf("%s %s", name, tb[FASTVHOST_A_TARGET_WWN] ?
		       nla_get_string(tb[FASTVHOST_A_TARGET_WWN]) : "?");
		if (tb[FASTVHOST_A_TARGET_OWNER_PID])
			printf(" owner-pid %" PRId64, spec_int(tb[FASTVHOST_A_TARGET_OWNER_PID], 0));
		nla_for_each_attr(a, attrs, len, rem) {
			if (nla_type(a) == FASTVHOST_A_TARGET_TPG)
				text_tpg(a);
			else if (nla_type(a) == FASTVHOST_A_TARGET_QUEUE)
				text_queue(a);
		}
		putchar('\n');
	}
	fflush(stdout);
	return 0;
}

int cmd_monitor(struct fv_opts *o)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct json js, *j = NULL;
	struct fv_nl nl;
	sigset_t block;
	int ret;

	/* Blocked but for the wait in fvnl_monitor(), so that none is missed. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (fvnl_open(&nl))
		return 1;
	if (o->json) {
		/* JSON lines: one object per event. */
		j = &js;
	}
	ret = fvnl_monitor(&nl, on_event, j, &stop);
	fvnl_close(&nl);
	return ret;
}
