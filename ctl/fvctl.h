/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fvctl: shared declarations.  Commands return the process exit status:
 * 0 on success, 1 on failure, 2 on bad usage.
 */
#ifndef _FVCTL_H
#define _FVCTL_H

#include <stdbool.h>
#include <stdint.h>

#define FV_CONFIGFS	"/sys/kernel/config/target"
#define FV_CORE_DIR	FV_CONFIGFS "/core"
#define FV_FABRIC	"fastvhost"	/* the LIO fabric; drop-in mode adds "vhost" */
#define FV_FABRIC_DIR	FV_CONFIGFS "/" FV_FABRIC
#define FV_CONF_FILE	"/etc/fastvhost/fastvhost.conf"

#define EXIT_USAGE	2

/* Everything the command line can say; unset fields are "not given". */
struct fv_opts {
	bool json, pretty;
	bool reset;
	bool restoring;		/* attach from restore: an identical LUN is fine */
	const char *wwn;
	const char *backstore;
	const char *nexus;
	const char *cpus;
	const char *map;
	int tpgt;		/* -1: not given */
	long long lun;		/* -1: not given */
	bool has_node;
	bool node_auto;
	int node;
	bool has_poll;
	uint32_t poll_ns;
	long long poll_grow, poll_shrink, workers;	/* -1: not given */
	double watch;		/* 0: not given */
	const char *file;
};

int fv_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
bool fv_settings_given(const struct fv_opts *o);

int cmd_attach(struct fv_opts *o);
int cmd_detach(struct fv_opts *o);
int cmd_show(struct fv_opts *o);
int cmd_set(struct fv_opts *o);
int cmd_stats(struct fv_opts *o);
int cmd_monitor(struct fv_opts *o);
int cmd_save(struct fv_opts *o);
int cmd_restore(struct fv_opts *o);

/* Parse and run one command line (argv[0] is the command); for restore. */
int fv_run(int argc, char **argv, const struct fv_opts *global, bool restoring);

#endif
