/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _FVCTL_H
#define _FVCTL_H

#include <stdbool.h>

#define FV_CONFIGFS	"/sys/kernel/config/target"
#define FV_FABRIC_DIR	FV_CONFIGFS "/fastvhost"

struct fv_opts {
	bool json;
	const char *wwn;
};

/* Print one line "fvctl: ..." to stderr; returns 1 for use as exit code. */
int fv_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

int cmd_show(struct fv_opts *o);

#endif
