// SPDX-License-Identifier: GPL-2.0
/*
 * fvctl save and restore.  The file holds fvctl commands, one a line:
 * "attach" lines for the LUNs, then a "set" line with the settings of
 * each target.  restore runs them in order; '#' starts a comment.
 */
#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <linux/fastvhost.h>

#include "fvctl.h"
#include "nl.h"
#include "show.h"
#include "spec.h"

struct lun_line {
	int64_t index;
	const char *backstore;
};

static int by_index(const void *a, const void *b)
{
	const struct lun_line *x = a, *y = b;

	return (x->index > y->index) - (x->index < y->index);
}

/* Every LUN of a portal group, in LUN order; 1 on failure, said. */
static int save_tpg(FILE *f, const char *wwn, struct nlattr *attrs, int len, struct nlattr *tpg)
{
	struct nlattr *tb[FASTVHOST_A_TPG_MAX + 1], *l[FASTVHOST_A_LUN_MAX + 1], *a, *m;
	struct lun_line *luns;
	const char *nexus;
	int64_t tpgt;
	int mlen, rem, n = 0, i;

	m = spec_tpg_merge(attrs, len, tpg, &mlen);
	if (!m)
		return mlen ? fv_err("out of memory") : 0;
	luns = calloc((size_t)mlen / NLA_HDRLEN + 1, sizeof(*luns));
	if (!luns || nla_parse(tb, FASTVHOST_A_TPG_MAX, m, mlen, NULL)) {
		free(luns);
		free(m);
		return fv_err("out of memory or a bad reply");
	}
	tpgt = spec_int(tb[FASTVHOST_A_TPG_TPGT], 0);
	nexus = tb[FASTVHOST_A_TPG_NEXUS] ? nla_get_string(tb[FASTVHOST_A_TPG_NEXUS]) : "none";
	nla_for_each_attr(a, m, mlen, rem) {
		if (nla_type(a) != FASTVHOST_A_TPG_LUN)
			continue;
		if (nla_parse_nested(l, FASTVHOST_A_LUN_MAX, a, NULL) ||
		    !l[FASTVHOST_A_LUN_INDEX]) {
			free(luns);
			free(m);
			return fv_err("%s tpgt %" PRId64 ": a LUN the kernel sent cannot be read",
				      wwn, tpgt);
		}
		/* A LUN without a backstore has nothing to restore. */
		if (!l[FASTVHOST_A_LUN_BACKSTORE] || !nla_get_string(l[FASTVHOST_A_LUN_BACKSTORE])[0]) {
			fprintf(f, "# %s tpgt %" PRId64 " lun %" PRId64 " has no backstore: not saved\n",
				wwn, tpgt, spec_int(l[FASTVHOST_A_LUN_INDEX], 0));
			continue;
		}
		luns[n].index = spec_int(l[FASTVHOST_A_LUN_INDEX], 0);
		luns[n].backstore = nla_get_string(l[FASTVHOST_A_LUN_BACKSTORE]);
		n++;
	}
	if (!n)
		fprintf(f, "# %s tpgt %" PRId64 " has no LUNs: not saved\n", wwn, tpgt);
	qsort(luns, n, sizeof(luns[0]), by_index);
	for (i = 0; i < n; i++)
		fprintf(f, "attach --wwn %s --tpgt %" PRId64 " --lun %" PRId64
			" --backstore %s --nexus %s\n", wwn, tpgt, luns[i].index,
			luns[i].backstore, nexus);
	free(luns);
	free(m);
	return 0;
}

static void save_map(FILE *f, struct nlattr *attrs, int len)
{
	struct nlattr *tb[FASTVHOST_A_QUEUE_MAX + 1], *a;
	const char *sep = " --map default,";
	int rem;

	nla_for_each_attr(a, attrs, len, rem) {
		if (nla_type(a) != FASTVHOST_A_TARGET_QUEUE ||
		    nla_parse_nested(tb, FASTVHOST_A_QUEUE_MAX, a, NULL) ||
		    !tb[FASTVHOST_A_QUEUE_WORKER])
			continue;
		fprintf(f, "%s%" PRId64 "=%" PRId64, sep, spec_int(tb[FASTVHOST_A_QUEUE_INDEX], 0),
			spec_int(tb[FASTVHOST_A_QUEUE_WORKER], 0));
		sep = ",";
	}
	/* Always a whole map: a restore replaces the map it finds. */
	if (sep[0] == ' ')
		fputs(" --map default", f);
}

static int save_target(uint8_t cmd, struct nlattr **tb, struct nlattr *attrs, int len, void *arg)
{
	FILE *f = arg;
	const char *wwn, *cpus;
	struct nlattr *a;
	int rem;

	(void)cmd;
	if (!tb[FASTVHOST_A_TARGET_WWN])
		return 0;
	wwn = nla_get_string(tb[FASTVHOST_A_TARGET_WWN]);
	/* Drop-in mode's targets (fabric "vhost") are targetcli's to save. */
	if (fv_other_fabric(tb))
		return 0;
	nla_for_each_attr(a, attrs, len, rem)
		if (nla_type(a) == FASTVHOST_A_TARGET_TPG && save_tpg(f, wwn, attrs, len, a))
			return 1;
	fprintf(f, "set --wwn %s --node ", wwn);
	if (spec_int(tb[FASTVHOST_A_TARGET_NODE_AUTO], 0))
		fprintf(f, "auto");
	else
		fprintf(f, "%d", tb[FASTVHOST_A_TARGET_NODE] ?
			(int32_t)nla_get_u32(tb[FASTVHOST_A_TARGET_NODE]) : -1);
	cpus = tb[FASTVHOST_A_TARGET_CPUS] ? nla_get_string(tb[FASTVHOST_A_TARGET_CPUS]) : "";
	fprintf(f, " --cpus %s --workers %" PRId64 " --poll-ns %" PRId64 " --poll-grow %" PRId64
		" --poll-shrink %" PRId64, cpus[0] ? cpus : "all",
		spec_int(tb[FASTVHOST_A_TARGET_WORKERS], 0),
		spec_int(tb[FASTVHOST_A_TARGET_POLL_MAX_NS], 0),
		spec_int(tb[FASTVHOST_A_TARGET_POLL_GROW], 0),
		spec_int(tb[FASTVHOST_A_TARGET_POLL_SHRINK], 0));
	/* The configured queue map; while a guest is attached it is not shown. */
	if (!tb[FASTVHOST_A_TARGET_OWNER_PID])
		save_map(f, attrs, len);
	fputc('\n', f);
	return 0;
}

static int mkdirs(const char *file)
{
	char dir[PATH_MAX], *d;

	snprintf(dir, sizeof(dir), "%s", file);
	d = dirname(dir);
	if (!strcmp(d, ".") || !strcmp(d, "/") || !access(d, F_OK))
		return 0;
	if (mkdirs(d))
		return -1;
	return mkdir(d, 0755) && errno != EEXIST ? -1 : 0;
}

int cmd_save(struct fv_opts *o)
{
	const char *file = o->file ? o->file : FV_CONF_FILE;
	char tmp[PATH_MAX], when[64];
	struct fv_nl nl;
	time_t now = time(NULL);
	FILE *f;
	int ret;

	if (fvnl_open(&nl))
		return 1;
	if (!strcmp(file, "-")) {
		f = stdout;
	} else {
		snprintf(tmp, sizeof(tmp), "%s.tmp", file);
		if (mkdirs(file) || !(f = fopen(tmp, "w"))) {
			fvnl_close(&nl);
			return fv_err("cannot write %s: %s", file, strerror(errno));
		}
	}
	strftime(when, sizeof(when), "%F %T", localtime(&now));
	fprintf(f, "# fastvhost targets, saved by fvctl %s on %s.\n"
		"# One fvctl command a line; 'fvctl restore' runs them in order.\n", FV_VERSION, when);
	ret = fv_get(&nl, FASTVHOST_CMD_TARGET_GET, NULL, save_target, f);
	fvnl_close(&nl);
	if (f == stdout)
		return ret;
	if (fclose(f) && !ret)
		ret = fv_err("cannot write %s: %s", file, strerror(errno));
	if (!ret && rename(tmp, file))
		ret = fv_err("cannot write %s: %s", file, strerror(errno));
	if (ret)
		unlink(tmp);
	return ret;
}

int cmd_restore(struct fv_opts *o)
{
	const char *file = o->file ? o->file : FV_CONF_FILE;
	struct fv_opts global = {
		.tpgt = -1, .lun = -1, .poll_grow = -1, .poll_shrink = -1, .workers = -1,
	};
	char *line = NULL, *argv[64], *save, *tok;
	size_t cap = 0;
	int argc, lineno = 0, ret = 0;
	FILE *f;

	f = strcmp(file, "-") ? fopen(file, "r") : stdin;
	if (!f)
		return fv_err("cannot read %s: %s", file, strerror(errno));
	if (geteuid()) {
		ret = fv_err("permission denied: restore changes configfs and needs root");
		goto out;
	}
	while (!ret && getline(&line, &cap, f) > 0) {
		lineno++;
		line[strcspn(line, "#")] = '\0';
		argc = 0;
		for (tok = strtok_r(line, " \t\r\n", &save); tok && argc < 63;
		     tok = strtok_r(NULL, " \t\r\n", &save))
			argv[argc++] = tok;
		argv[argc] = NULL;
		if (!argc)
			continue;
		if (strcmp(argv[0], "attach") && strcmp(argv[0], "set")) {
			ret = fv_err("%s:%d: '%s' is not a command a configuration may hold", file,
				     lineno, argv[0]);
			break;
		}
		ret = fv_run(argc, argv, &global, true);
		if (ret)
			fv_err("%s:%d: %s failed; stopped here", file, lineno, argv[0]);
	}
out:
	free(line);
	if (f != stdin)
		fclose(f);
	return ret;
}
