// SPDX-License-Identifier: GPL-2.0
/*
 * Generic netlink client: family lookup, requests, replies, monitor
 * events, and the kernel's extended ack on errors.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <linux/fastvhost.h>

#include "fvctl.h"
#include "nl.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

/* A dump that the kernel saw change under it is read again, this often. */
#define DUMP_TRIES	20

struct call {
	struct fv_nl *nl;
	struct nlmsghdr *req;
	fv_nl_cb cb;
	void *arg;
	bool done;
	int ret;
	/* Dumps: the replies are held until the whole dump is consistent. */
	bool dump;
	bool intr;
	struct nlmsghdr **held;
	size_t nheld;
};

int fvnl_open(struct fv_nl *nl)
{
	int one = 1;

	memset(nl, 0, sizeof(*nl));
	nl->sk = nl_socket_alloc();
	if (!nl->sk)
		return fv_err("out of memory");
	if (genl_connect(nl->sk)) {
		fvnl_close(nl);
		return fv_err("cannot open a generic netlink socket");
	}
	/* Error messages from the kernel, without our request echoed back. */
	setsockopt(nl_socket_get_fd(nl->sk), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(nl_socket_get_fd(nl->sk), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	nl_socket_enable_msg_peek(nl->sk);
	nl->family = genl_ctrl_resolve(nl->sk, FASTVHOST_FAMILY_NAME);
	if (nl->family < 0) {
		fvnl_close(nl);
		return fv_err("the fastvhost module is not loaded (no generic netlink family \"%s\")",
			      FASTVHOST_FAMILY_NAME);
	}
	return 0;
}

void fvnl_close(struct fv_nl *nl)
{
	if (nl->sk)
		nl_socket_free(nl->sk);
	nl->sk = NULL;
}

struct nl_msg *fvnl_req(struct fv_nl *nl, uint8_t cmd, bool dump, const char *wwn)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl->family, 0,
			 dump ? NLM_F_DUMP : 0, cmd, FASTVHOST_FAMILY_VERSION) ||
	    (wwn && nla_put_string(msg, FASTVHOST_A_TARGET_WWN, wwn))) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

/* Which attribute of our request lies at byte off of it. */
static void blame(struct fv_nl *nl, struct nlmsghdr *req, uint32_t off)
{
	struct nlattr *a, *n;
	int rem, nrem;

	if (!req)
		return;
	nlmsg_for_each_attr(a, req, GENL_HDRLEN, rem) {
		uint32_t start = (uint32_t)((char *)a - (char *)req);

		if (off < start || off >= start + nla_total_size(nla_len(a)))
			continue;
		nl->bad_attr = nla_type(a);
		nla_for_each_nested(n, a, nrem) {
			uint32_t ns = (uint32_t)((char *)n - (char *)req);

			if (off >= ns && off < ns + nla_total_size(nla_len(n)))
				nl->bad_nested = nla_type(n);
		}
		return;
	}
}

static void policy(struct fv_nl *nl, struct nlattr *pol)
{
	struct nlattr *tb[NL_POLICY_TYPE_ATTR_MAX + 1];

	if (nla_parse_nested(tb, NL_POLICY_TYPE_ATTR_MAX, pol, NULL))
		return;
	if (tb[NL_POLICY_TYPE_ATTR_MIN_VALUE_S]) {
		nl->has_min = true;
		nl->min = (int64_t)nla_get_u64(tb[NL_POLICY_TYPE_ATTR_MIN_VALUE_S]);
	} else if (tb[NL_POLICY_TYPE_ATTR_MIN_VALUE_U]) {
		nl->has_min = true;
		nl->min = (int64_t)nla_get_u64(tb[NL_POLICY_TYPE_ATTR_MIN_VALUE_U]);
	}
	if (tb[NL_POLICY_TYPE_ATTR_MAX_VALUE_S]) {
		nl->has_max = true;
		nl->max = (int64_t)nla_get_u64(tb[NL_POLICY_TYPE_ATTR_MAX_VALUE_S]);
	} else if (tb[NL_POLICY_TYPE_ATTR_MAX_VALUE_U]) {
		nl->has_max = true;
		nl->max = (int64_t)nla_get_u64(tb[NL_POLICY_TYPE_ATTR_MAX_VALUE_U]);
	}
}

static int on_error(struct sockaddr_nl *who, struct nlmsgerr *e, void *arg)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	struct call *c = arg;
	struct fv_nl *nl = c->nl;
	size_t ack = sizeof(*e);
	int len;

	(void)who;
	c->done = true;
	c->ret = e->error;
	nl->err = -e->error;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return NL_STOP;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		ack += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
	len = (int)nlh->nlmsg_len - NLMSG_HDRLEN - (int)ack;
	if (len <= 0 || nla_parse(tb, NLMSGERR_ATTR_MAX, (struct nlattr *)((char *)e + ack),
				  len, NULL))
		return NL_STOP;
	if (tb[NLMSGERR_ATTR_MSG])
		snprintf(nl->msg, sizeof(nl->msg), "%s", nla_get_string(tb[NLMSGERR_ATTR_MSG]));
	if (tb[NLMSGERR_ATTR_OFFS])
		blame(nl, c->req, nla_get_u32(tb[NLMSGERR_ATTR_OFFS]));
	if (tb[NLMSGERR_ATTR_POLICY])
		policy(nl, tb[NLMSGERR_ATTR_POLICY]);
	return NL_STOP;
}

/* The end of a dump, which carries an error when the dump failed. */
static int on_done(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	struct call *c = arg;
	int err, len;

	c->done = true;
	if (nlh->nlmsg_type != NLMSG_DONE || nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(int))
		return NL_STOP;
	memcpy(&err, nlmsg_data(nlh), sizeof(err));
	if (err >= 0)
		return NL_STOP;
	c->ret = err;
	c->nl->err = -err;
	len = (int)nlh->nlmsg_len - NLMSG_HDRLEN - (int)NLA_ALIGN(sizeof(int));
	if ((nlh->nlmsg_flags & NLM_F_ACK_TLVS) && len > 0 &&
	    !nla_parse(tb, NLMSGERR_ATTR_MAX,
		       (struct nlattr *)((char *)nlmsg_data(nlh) + NLA_ALIGN(sizeof(int))),
		       len, NULL) && tb[NLMSGERR_ATTR_MSG])
		snprintf(c->nl->msg, sizeof(c->nl->msg), "%s",
			 nla_get_string(tb[NLMSGERR_ATTR_MSG]));
	return NL_STOP;
}

static int deliver(struct call *c, struct nlmsghdr *nlh)
{
	struct nlattr *tb[FASTVHOST_A_TARGET_MAX + 1];
	struct genlmsghdr *g = nlmsg_data(nlh);

	if (nla_parse(tb, FASTVHOST_A_TARGET_MAX, genlmsg_attrdata(g, 0),
		      genlmsg_attrlen(g, 0), NULL))
		return 0;
	return c->cb(g->cmd, tb, genlmsg_attrdata(g, 0), genlmsg_attrlen(g, 0), c->arg);
}

/* The WWN attribute of a reply, or NULL. */
static const char *wwn_of(struct nlmsghdr *nlh)
{
	struct nlattr *a;
	int rem;

	nlmsg_for_each_attr(a, nlh, GENL_HDRLEN, rem)
		if (nla_type(a) == FASTVHOST_A_TARGET_WWN && nla_len(a) > 0 &&
		    memchr(nla_data(a), '\0', (size_t)nla_len(a)))
			return nla_get_string(a);
	return NULL;
}

/*
 * The kernel splits a large target over messages, each with its WWN
 * (uapi/fastvhost.yaml): n held messages of one target as one, their
 * attributes one after the other, the WWN and owner once.  Nests of one
 * portal group stay apart: spec_tpg_merge() joins them.
 */
static struct nlmsghdr *join(struct nlmsghdr **msgs, size_t n)
{
	size_t i, hdr = NLMSG_HDRLEN + GENL_HDRLEN, size = hdr;
	struct nlattr *a;
	char *buf, *p;
	int rem;

	for (i = 0; i < n; i++)
		size += msgs[i]->nlmsg_len;
	buf = malloc(size);
	if (!buf)
		return NULL;
	memcpy(buf, msgs[0], hdr);
	p = buf + hdr;
	for (i = 0; i < n; i++) {
		nlmsg_for_each_attr(a, msgs[i], GENL_HDRLEN, rem) {
			if (i && (nla_type(a) == FASTVHOST_A_TARGET_WWN ||
				  nla_type(a) == FASTVHOST_A_TARGET_OWNER_PID))
				continue;
			memcpy(p, a, NLA_ALIGN(a->nla_len));
			p += NLA_ALIGN(a->nla_len);
		}
	}
	((struct nlmsghdr *)buf)->nlmsg_len = (uint32_t)(p - buf);
	return (struct nlmsghdr *)buf;
}

/* Hand the held replies of a dump on, one call per target. */
static int deliver_held(struct call *c)
{
	struct nlmsghdr *one;
	const char *w, *next;
	size_t i, j;
	int ret = 0;

	for (i = 0; !ret && i < c->nheld; i = j) {
		w = wwn_of(c->held[i]);
		for (j = i + 1; w && j < c->nheld; j++) {
			next = wwn_of(c->held[j]);
			if (!next || strcmp(w, next))
				break;
		}
		if (j == i + 1) {
			ret = deliver(c, c->held[i]);
			continue;
		}
		one = join(c->held + i, j - i);
		if (!one)
			return -ENOMEM;
		ret = deliver(c, one);
		free(one);
	}
	return ret;
}

static int hold(struct call *c, struct nlmsghdr *nlh)
{
	struct nlmsghdr **h, *copy;

	h = realloc(c->held, (c->nheld + 1) * sizeof(*h));
	if (!h)
		return -ENOMEM;
	c->held = h;
	copy = malloc(nlh->nlmsg_len);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, nlh, nlh->nlmsg_len);
	c->held[c->nheld++] = copy;
	return 0;
}

static void drop_held(struct call *c)
{
	while (c->nheld)
		free(c->held[--c->nheld]);
	free(c->held);
	c->held = NULL;
}

static int on_valid(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct call *c = arg;
	int ret;

	if (nlh->nlmsg_type != c->nl->family || !c->cb)
		return NL_OK;
	ret = c->dump ? hold(c, nlh) : deliver(c, nlh);
	if (ret) {
		c->ret = ret;
		return NL_STOP;
	}
	return NL_OK;
}

/* The kernel's dump spanned a change: keep reading, then start over. */
static int on_dump_intr(struct nl_msg *msg, void *arg)
{
	struct call *c = arg;

	(void)msg;
	c->intr = true;
	return NL_OK;
}

/* Events carry no sequence number of ours. */
static int any_seq(struct nl_msg *msg, void *arg)
{
	(void)msg, (void)arg;
	return NL_OK;
}

static struct nl_cb *callbacks(struct call *c)
{
	struct nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);

	if (!cb)
		return NULL;
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_valid, c);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, on_done, c);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_done, c);
	nl_cb_set(cb, NL_CB_DUMP_INTR, NL_CB_CUSTOM, on_dump_intr, c);
	nl_cb_err(cb, NL_CB_CUSTOM, on_error, c);
	return cb;
}

static void clear_error(struct fv_nl *nl)
{
	nl->err = 0;
	nl->msg[0] = '\0';
	nl->bad_attr = nl->bad_nested = 0;
	nl->has_min = nl->has_max = false;
}

/* Send @msg and read until its answer is complete. */
static void exchange(struct call *c, struct nl_cb *cb, struct nl_msg *msg)
{
	int ret;

	c->done = false;
	c->intr = false;
	c->ret = 0;
	nlmsg_hdr(msg)->nlmsg_seq = NL_AUTO_SEQ;
	ret = nl_send_auto(c->nl->sk, msg);
	if (ret < 0) {
		c->nl->err = EIO;
		c->ret = -EIO;
		return;
	}
	while (!c->done && c->ret == 0) {
		ret = nl_recvmsgs(c->nl->sk, cb);
		if (ret < 0 && ret != -NLE_DUMP_INTR && !c->done && c->ret == 0) {
			c->nl->err = EIO;
			c->ret = -EIO;
		}
	}
}

int fvnl_call(struct fv_nl *nl, struct nl_msg *msg, fv_nl_cb fn, void *arg)
{
	struct call c = { .nl = nl, .cb = fn, .arg = arg };
	struct nl_cb *cb;
	int tries;

	clear_error(nl);
	if (!msg)
		return -(nl->err = ENOMEM);
	cb = callbacks(&c);
	if (!cb) {
		nlmsg_free(msg);
		return -(nl->err = ENOMEM);
	}
	c.req = nlmsg_hdr(msg);
	c.dump = c.req->nlmsg_flags & NLM_F_DUMP;
	for (tries = 0; tries < DUMP_TRIES; tries++) {
		exchange(&c, cb, msg);
		if (!c.intr || c.ret)
			break;
		drop_held(&c);
	}
	if (c.ret == 0 && c.intr) {
		snprintf(nl->msg, sizeof(nl->msg),
			 "targets kept changing during %d dumps; try again", DUMP_TRIES);
		nl->err = EAGAIN;
		c.ret = -EAGAIN;
	}
	if (c.ret == 0)
		c.ret = deliver_held(&c);
	drop_held(&c);
	nl_cb_put(cb);
	nlmsg_free(msg);
	/* A callback's own failure is an exit status (> 0). */
	return c.ret;
}

int fvnl_monitor(struct fv_nl *nl, fv_nl_cb fn, void *arg, volatile int *stop)
{
	struct call c = { .nl = nl, .cb = fn, .arg = arg };
	struct pollfd pfd;
	struct nl_cb *cb;
	sigset_t none;
	int grp, ret = 0;

	grp = genl_ctrl_resolve_grp(nl->sk, FASTVHOST_FAMILY_NAME, FASTVHOST_MCGRP_MONITOR);
	if (grp < 0)
		return fv_err("the fastvhost family has no \"%s\" group", FASTVHOST_MCGRP_MONITOR);
	ret = nl_socket_add_membership(nl->sk, grp);
	if (ret == -NLE_PERM)
		return fv_err("permission denied: monitor needs CAP_NET_ADMIN");
	if (ret)
		return fv_err("cannot join the \"%s\" group: %s", FASTVHOST_MCGRP_MONITOR,
			      nl_geterror(ret));
	cb = callbacks(&c);
	if (!cb)
		return fv_err("out of memory");
	nl_cb_set(cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, any_seq, NULL);
	sigemptyset(&none);
	pfd.fd = nl_socket_get_fd(nl->sk);
	pfd.events = POLLIN;
	while (!*stop) {
		/* Signals are blocked except while waiting here. */
		ret = ppoll(&pfd, 1, NULL, &none);
		if (ret < 0 && errno == EINTR) {
			ret = 0;
			continue;
		}
		if (ret < 0) {
			ret = fv_err("poll: %s", strerror(errno));
			break;
		}
		c.ret = 0;
		if (nl_recvmsgs(nl->sk, cb) < 0 && c.ret == 0) {
			ret = fv_err("receiving events failed");
			break;
		}
		ret = 0;
	}
	nl_cb_put(cb);
	return ret;
}

const char *fvnl_strerror(const struct fv_nl *nl)
{
	if (nl->msg[0])
		return nl->msg;
	return strerror(nl->err);
}
