/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _FV_NETLINK_H
#define _FV_NETLINK_H

#include <linux/types.h>

struct fv_tport;
struct fv_tpg;
struct se_lun;

int fv_nl_init(void);
void fv_nl_exit(void);

/* Monitor-group events.  The first two need fv_fabric_mutex held. */
void fv_nl_notify_owner(struct fv_tport *tport, u8 cmd);
void fv_nl_notify_lun(struct fv_tpg *tpg, struct se_lun *lun, u8 cmd);
void fv_nl_notify_broken(const char *wwn, pid_t pid, unsigned int index);

#endif /* _FV_NETLINK_H */
