// SPDX-License-Identifier: GPL-2.0
/*
 * fvctl attach and detach: targets in LIO's configfs.
 *
 *   target/fastvhost/<wwn>/tpgt_<T>/lun/lun_<N>/port -> target/core/<hba>/<name>
 *   target/fastvhost/<wwn>/tpgt_<T>/nexus
 *
 * attach logs each thing it makes and undoes the log in reverse when a
 * later step (the netlink settings included) fails.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/fastvhost.h>

#include "fvctl.h"
#include "nl.h"
#include "settings.h"
#include "show.h"
#include "spec.h"

#define PORT_NAME	"port"

enum undo_kind { UNDO_RMDIR, UNDO_UNLINK, UNDO_NEXUS };

struct undo_log {
	int n;
	struct {
		enum undo_kind kind;
		char path[PATH_MAX];
	} step[8];
};

static void logged(struct undo_log *log, enum undo_kind kind, const char *path)
{
	log->step[log->n].kind = kind;
	snprintf(log->step[log->n].path, PATH_MAX, "%s", path);
	log->n++;
}

static int write_attr(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

static void read_attr(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	buf[0] = '\0';
	if (!f)
		return;
	if (!fgets(buf, (int)len, f))
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
}

static void rollback(struct undo_log *log)
{
	int i, ret;

	for (i = log->n - 1; i >= 0; i--) {
		const char *p = log->step[i].path;

		switch (log->step[i].kind) {
		case UNDO_NEXUS:
			ret = write_attr(p, "NULL");
			break;
		case UNDO_UNLINK:
			ret = unlink(p) ? -errno : 0;
			break;
		default:
			ret = rmdir(p) ? -errno : 0;
			break;
		}
		if (ret)
			fv_err("rollback: cannot undo %s: %s", p, strerror(-ret));
	}
	log->n = 0;
}

/* A target of drop-in mode's fabric: targetcli's, not fvctl's to change. */
static bool in_vhost_fabric(const char *wwn)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/vhost/%s", FV_CONFIGFS, wwn);
	return access(path, F_OK) == 0;
}

static bool wwn_ok(const char *wwn)
{
	return !strncmp(wwn, "naa.", 4) || !strncmp(wwn, "fc.", 3) || !strncmp(wwn, "iqn.", 4);
}

/* The initiator name fvctl gives a target's nexus: same prefix, from the WWN. */
static void nexus_for(const char *wwn, char *buf, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	const char *s;

	for (s = wwn; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	if (!strncmp(wwn, "naa.", 4))
		snprintf(buf, len, "naa.5%015llx", (unsigned long long)(h & 0xfffffffffffffffULL));
	else if (!strncmp(wwn, "fc.", 3))
		snprintf(buf, len, "fc.%016llx", (unsigned long long)h);
	else
		snprintf(buf, len, "iqn.2026-01.org.fastvhost:nexus-%016llx", (unsigned long long)h);
}

/*
 * fileio/NAME, block/NAME, ramdisk/NAME (or user/NAME) to the one
 * core/<kind>_<n>/NAME; HBA/NAME is taken as it is.
 */
static int find_backstore(const char *spec, char *path, size_t len)
{
	static const struct { const char *kind, *hba; } kinds[] = {
		{ "fileio", "fileio" }, { "block", "iblock" }, { "iblock", "iblock" },
		{ "ramdisk", "rd_mcp" }, { "rd_mcp", "rd_mcp" }, { "user", "user" },
		{ "pscsi", "pscsi" },
	};
	const char *slash = strchr(spec, '/'), *name;
	char pattern[PATH_MAX];
	struct stat st;
	glob_t g;
	size_t i, klen;
	int ret;

	if (!slash || !slash[1] || strchr(slash + 1, '/') || slash == spec)
		return fv_err("--backstore wants fileio/NAME, block/NAME or ramdisk/NAME, not '%s'", spec);
	name = slash + 1;
	klen = (size_t)(slash - spec);
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strlen(kinds[i].kind) == klen && !strncmp(spec, kinds[i].kind, klen))
			break;
	if (i == sizeof(kinds) / sizeof(kinds[0])) {
		/* An HBA directory name such as rd_mcp_0. */
		snprintf(path, len, "%s/%s", FV_CORE_DIR, spec);
		if (stat(path, &st) || !S_ISDIR(st.st_mode))
			return fv_err("no backstore %s (no %s)", spec, path);
		return 0;
	}
	snprintf(pattern, sizeof(pattern), "%s/%s_*/%s", FV_CORE_DIR, kinds[i].hba, name);
	ret = glob(pattern, GLOB_ONLYDIR, NULL, &g);
	if (ret == GLOB_NOMATCH)
		return fv_err("no backstore %s (nothing at %s; create it with targetcli first)",
			      spec, pattern);
	if (ret)
		return fv_err("cannot look for backstore %s", spec);
	if (g.gl_pathc > 1) {
		fv_err("backstore %s is ambiguous (%s and %s); name the HBA, e.g. --backstore %s",
		       spec, g.gl_pathv[0], g.gl_pathv[1], g.gl_pathv[0] + strlen(FV_CORE_DIR) + 1);
		globfree(&g);
		return 1;
	}
	snprintf(path, len, "%s", g.gl_pathv[0]);
	globfree(&g);
	return 0;
}

/* The backstore directory that lun directory links to, or "". */
static void lun_link(const char *lundir, char *link, size_t llen, char *target, size_t tlen)
{
	char path[PATH_MAX];
	struct dirent *d;
	ssize_t n;
	DIR *dir;

	link[0] = target[0] = '\0';
	dir = opendir(lundir);
	if (!dir)
		return;
	while ((d = readdir(dir))) {
		snprintf(path, sizeof(path), "%s/%s", lundir, d->d_name);
		n = readlink(path, target, tlen - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		snprintf(link, llen, "%s", path);
		break;
	}
	closedir(dir);
}

static bool same_dir(const char *a, const char *b)
{
	struct stat sa, sb;

	return !stat(a, &sa) && !stat(b, &sb) && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static int make_dir(struct undo_log *log, const char *path, bool *made)
{
	if (made)
		*made = false;
	if (!mkdir(path, 0755)) {
		logged(log, UNDO_RMDIR, path);
		if (made)
			*made = true;
		return 0;
	}
	if (errno == EEXIST)
		return 0;
	return -errno;
}

static int need_root(const char *cmd)
{
	if (geteuid())
		return fv_err("permission denied: %s changes configfs and needs root", cmd);
	return 0;
}

static int attach_steps(struct fv_opts *o, struct fv_nl *nl, struct undo_log *log)
{
	char bs[PATH_MAX], wdir[PATH_MAX], tdir[PATH_MAX], ldir[PATH_MAX], path[PATH_MAX];
	char link[PATH_MAX], target[PATH_MAX], nexus[256];
	bool new_target;
	int ret;

	if (find_backstore(o->backstore, bs, sizeof(bs)))
		return 1;
	read_attr((snprintf(path, sizeof(path), "%s/enable", bs), path), nexus, sizeof(nexus));
	if (!strcmp(nexus, "0"))
		return fv_err("backstore %s is not enabled; finish it with targetcli, which enables what it creates",
			      o->backstore);
	if (in_vhost_fabric(o->wwn))
		return fv_err("target %s is in the fabric vhost (drop-in mode); targetcli manages its LUNs",
			      o->wwn);

	ret = make_dir(log, FV_FABRIC_DIR, NULL);
	if (ret)
		return fv_err("cannot create %s: %s", FV_FABRIC_DIR, strerror(-ret));
	snprintf(wdir, sizeof(wdir), "%s/%s", FV_FABRIC_DIR, o->wwn);
	ret = make_dir(log, wdir, &new_target);
	if (ret)
		return fv_err("cannot create target %s: %s%s", o->wwn, strerror(-ret),
			      ret == -EINVAL ? " (the kernel refused the name)" : "");
	snprintf(tdir, sizeof(tdir), "%s/tpgt_%d", wdir, o->tpgt);
	ret = make_dir(log, tdir, NULL);
	if (ret)
		return fv_err("cannot create portal group tpgt_%d of %s: %s", o->tpgt, o->wwn,
			      strerror(-ret));

	snprintf(ldir, sizeof(ldir), "%s/lun/lun_%lld", tdir, o->lun);
	lun_link(ldir, link, sizeof(link), target, sizeof(target));
	if (link[0] && o->restoring && same_dir(link, bs)) {
		/* Restoring what is already there. */
	} else if (access(ldir, F_OK) == 0) {
		return fv_err("lun %lld of %s tpgt %d exists already%s%s; choose another --lun, or 'fvctl detach --wwn %s --lun %lld' first",
			      o->lun, o->wwn, o->tpgt, target[0] ? " and links to " : "",
			      target[0] ? (strstr(target, "/core/") ? strstr(target, "/core/") + 6 : target) : "",
			      o->wwn, o->lun);
	} else {
		ret = make_dir(log, ldir, NULL);
		if (ret)
			return fv_err("cannot create lun %lld of %s tpgt %d: %s", o->lun, o->wwn,
				      o->tpgt, strerror(-ret));
		snprintf(path, sizeof(path), "%s/" PORT_NAME, ldir);
		if (symlink(bs, path))
			return fv_err("cannot link lun %lld to backstore %s: %s", o->lun,
				      o->backstore, strerror(errno));
		logged(log, UNDO_UNLINK, path);
	}

	snprintf(path, sizeof(path), "%s/nexus", tdir);
	read_attr(path, nexus, sizeof(nexus));
	if (!nexus[0] && !(o->nexus && !strcmp(o->nexus, "none"))) {
		if (o->nexus)
			snprintf(nexus, sizeof(nexus), "%s", o->nexus);
		else
			nexus_for(o->wwn, nexus, sizeof(nexus));
		ret = write_attr(path, nexus);
		if (ret)
			return fv_err("cannot create the nexus %s on %s tpgt %d: %s%s", nexus,
				      o->wwn, o->tpgt, strerror(-ret),
				      ret == -EINVAL ? " (it needs the target's naa./fc./iqn. prefix)" : "");
		logged(log, UNDO_NEXUS, path);
	}

	if (new_target || fv_settings_given(o))
		return fv_apply(nl, o, o->wwn, new_target);
	return 0;
}

int cmd_attach(struct fv_opts *o)
{
	struct undo_log log = { 0 };
	struct fv_nl nl;
	int ret;

	if (!o->wwn)
		return fv_err("attach needs --wwn") ? EXIT_USAGE : 0;
	if (o->lun < 0)
		return fv_err("attach needs --lun") ? EXIT_USAGE : 0;
	if (!o->backstore)
		return fv_err("attach needs --backstore") ? EXIT_USAGE : 0;
	if (!wwn_ok(o->wwn))
		return fv_err("target name '%s' must start with naa., fc. or iqn. (like naa.5001405000000001)",
			      o->wwn);
	if (strlen(o->wwn) >= FASTVHOST_WWN_LEN)
		return fv_err("target name '%s' is longer than %d bytes", o->wwn,
			      FASTVHOST_WWN_LEN - 1);
	if (o->tpgt < 0)
		o->tpgt = 1;
	if (need_root("attach") || fvnl_open(&nl))
		return 1;
	ret = attach_steps(o, &nl, &log);
	if (ret)
		rollback(&log);
	fvnl_close(&nl);
	return ret;
}

static int unlink_lun(const char *ldir, const char *wwn)
{
	char link[PATH_MAX], target[PATH_MAX];

	lun_link(ldir, link, sizeof(link), target, sizeof(target));
	if (link[0] && unlink(link))
		return fv_err("cannot unlink %s: %s%s", link, strerror(errno),
			      errno == EBUSY ? " (a guest uses the target)" : "");
	if (rmdir(ldir))
		return fv_err("cannot remove %s of %s: %s", strrchr(ldir, '/') + 1, wwn,
			      strerror(errno));
	return 0;
}

static int is_tpg(const struct dirent *d) { return !strncmp(d->d_name, "tpgt_", 5); }
static int is_lun(const struct dirent *d) { return !strncmp(d->d_name, "lun_", 4); }

static int remove_tpg(const char *tdir, const char *wwn)
{
	struct dirent **luns;
	char path[PATH_MAX], nexus[256];
	int n, i, ret = 0;

	snprintf(path, sizeof(path), "%s/nexus", tdir);
	read_attr(path, nexus, sizeof(nexus));
	if (nexus[0]) {
		ret = write_attr(path, "NULL");
		if (ret == -EBUSY)
			return fv_err("target %s is in use by a guest (device busy); stop the guest first",
				      wwn);
		if (ret)
			return fv_err("cannot drop the nexus of %s: %s", wwn, strerror(-ret));
	}
	snprintf(path, sizeof(path), "%s/lun", tdir);
	n = scandir(path, &luns, is_lun, alphasort);
	for (i = 0; i < n; i++) {
		char ldir[PATH_MAX];

		snprintf(ldir, sizeof(ldir), "%s/%s", path, luns[i]->d_name);
		if (!ret)
			ret = unlink_lun(ldir, wwn);
		free(luns[i]);
	}
	if (n >= 0)
		free(luns);
	if (!ret && rmdir(tdir))
		ret = fv_err("cannot remove %s of %s: %s%s", strrchr(tdir, '/') + 1, wwn,
			     strerror(errno), errno == EBUSY ? " (a guest uses the target)" : "");
	return ret;
}

static int owner_of(uint8_t cmd, struct nlattr **tb, struct nlattr *attrs, int len, void *arg)
{
	(void)cmd, (void)attrs, (void)len;
	*(int64_t *)arg = spec_int(tb[FASTVHOST_A_TARGET_OWNER_PID], 0);
	return 0;
}

static int detach_lun(struct fv_opts *o, const char *wdir)
{
	struct dirent **tpgs;
	char ldir[PATH_MAX], found[PATH_MAX] = "";
	int n, i, hits = 0;

	n = scandir(wdir, &tpgs, is_tpg, alphasort);
	for (i = 0; i < n; i++) {
		snprintf(ldir, sizeof(ldir), "%s/%s/lun/lun_%lld", wdir, tpgs[i]->d_name, o->lun);
		if ((o->tpgt < 0 || atoi(tpgs[i]->d_name + 5) == o->tpgt) && !access(ldir, F_OK)) {
			hits++;
			snprintf(found, sizeof(found), "%s", ldir);
		}
		free(tpgs[i]);
	}
	if (n >= 0)
		free(tpgs);
	if (!hits)
		return fv_err("target %s has no lun %lld", o->wwn, o->lun);
	if (hits > 1)
		return fv_err("lun %lld is in several portal groups of %s; name one with --tpgt",
			      o->lun, o->wwn);
	return unlink_lun(found, o->wwn);
}

int cmd_detach(struct fv_opts *o)
{
	char wdir[PATH_MAX];
	struct dirent **tpgs;
	int64_t owner = 0;
	struct fv_nl nl;
	int n, i, ret = 0;

	if (!o->wwn)
		return fv_err("detach needs --wwn") ? EXIT_USAGE : 0;
	if (need_root("detach") || fvnl_open(&nl))
		return 1;
	snprintf(wdir, sizeof(wdir), "%s/%s", FV_FABRIC_DIR, o->wwn);
	if (access(wdir, F_OK)) {
		fvnl_close(&nl);
		if (in_vhost_fabric(o->wwn))
			return fv_err("target %s is in the fabric vhost (drop-in mode); remove it with targetcli",
				      o->wwn);
		return fv_err("no target %s", o->wwn);
	}
	if (o->lun >= 0) {
		ret = detach_lun(o, wdir);
		fvnl_close(&nl);
		return ret;
	}
	ret = fvnl_call(&nl, fvnl_req(&nl, FASTVHOST_CMD_TARGET_GET, false, o->wwn), owner_of, &owner);
	fvnl_close(&nl);
	if (!ret && owner)
		return fv_err("target %s is in use by a guest (pid %lld); stop the guest first",
			      o->wwn, (long long)owner);

	n = scandir(wdir, &tpgs, is_tpg, alphasort);
	for (i = 0; i < n; i++) {
		char tdir[PATH_MAX];

		snprintf(tdir, sizeof(tdir), "%s/%s", wdir, tpgs[i]->d_name);
		if (!ret)
			ret = remove_tpg(tdir, o->wwn);
		free(tpgs[i]);
	}
	if (n >= 0)
		free(tpgs);
	if (ret)
		return ret;
	if (rmdir(wdir))
		return fv_err("cannot remove target %s: %s%s", o->wwn, strerror(errno),
			      errno == EBUSY ? " (a guest uses it)" : "");
	/* The fabric directory holds the module; let it go with the last target. */
	rmdir(FV_FABRIC_DIR);
	return 0;
}
