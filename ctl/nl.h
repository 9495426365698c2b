/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A generic netlink client for the "fastvhost" family on libnl, which
 * keeps the kernel's extended ack (message, offending attribute, policy)
 * of the last failed request.
 */
#ifndef _FVCTL_NL_H
#define _FVCTL_NL_H

#include <stdbool.h>
#include <stdint.h>
#include <netlink/netlink.h>
#include <netlink/genl/genl.h>

struct fv_nl {
	struct nl_sock *sk;
	int family;
	/* The last error: an errno and what the kernel said about it. */
	int err;
	char msg[256];
	int bad_attr;		/* top-level attribute the kernel blamed, or 0 */
	int bad_nested;		/* and the attribute inside it, or 0 */
	bool has_min, has_max;
	int64_t min, max;	/* the policy's range for bad_attr */
};

/* Called for each reply; tb is the target attribute set, indexed by type. */
typedef int (*fv_nl_cb)(uint8_t cmd, struct nlattr **tb, struct nlattr *attrs,
			int len, void *arg);

/* Connect and resolve the family; prints "fvctl: ..." and fails when absent. */
int fvnl_open(struct fv_nl *nl);
void fvnl_close(struct fv_nl *nl);
/* A request for cmd, a dump if dump; the WWN attribute when wwn is set. */
struct nl_msg *fvnl_req(struct fv_nl *nl, uint8_t cmd, bool dump, const char *wwn);
/* Send, and hand each reply to cb; frees msg.  Returns 0 or -errno. */
int fvnl_call(struct fv_nl *nl, struct nl_msg *msg, fv_nl_cb cb, void *arg);
/* Join the "monitor" group and call cb for each event until *stop is set. */
int fvnl_monitor(struct fv_nl *nl, fv_nl_cb cb, void *arg, volatile int *stop);
/* The kernel's extack message, or strerror() of the error. */
const char *fvnl_strerror(const struct fv_nl *nl);

#endif
