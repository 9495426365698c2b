// SPDX-License-Identifier: GPL-2.0
/*
 * Targets as LIO's configfs shows them: target/fastvhost/<wwn>/tpgt_N,
 * its nexus and its LUNs with the backstores they link to.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fvctl.h"
#include "json.h"

static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	buf[0] = '\0';
	if (!f)
		return -errno;
	if (!fgets(buf, (int)len, f))
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strverscmp((*a)->d_name, (*b)->d_name);
}

static int prefixed(const struct dirent *d, const char *pfx)
{
	return !strncmp(d->d_name, pfx, strlen(pfx));
}

static int is_wwn(const struct dirent *d)
{
	return prefixed(d, "naa.") || prefixed(d, "fc.") || prefixed(d, "iqn.");
}

static int is_tpg(const struct dirent *d) { return prefixed(d, "tpgt_"); }
static int is_lun(const struct dirent *d) { return prefixed(d, "lun_"); }

/* The backstore a LUN links to, as "rd_mcp_0/name", or "" if none. */
static void lun_backstore(const char *lundir, char *out, size_t len)
{
	char path[PATH_MAX], target[PATH_MAX];
	struct dirent *d;
	DIR *dir;
	ssize_t n;

	out[0] = '\0';
	dir = opendir(lundir);
	if (!dir)
		return;
	while ((d = readdir(dir))) {
		snprintf(path, sizeof(path), "%s/%s", lundir, d->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		const char *core = strstr(target, "/core/");

		snprintf(out, len, "%s", core ? core + 6 : target);
		break;
	}
	closedir(dir);
}

static void show_tpg(struct json *j, const char *wdir, const char *tname)
{
	char dir[PATH_MAX], path[PATH_MAX], nexus[256], bs[PATH_MAX];
	struct dirent **luns;
	int n, i;

	snprintf(dir, sizeof(dir), "%s/%s", wdir, tname);
	snprintf(path, sizeof(path), "%s/nexus", dir);
	read_line(path, nexus, sizeof(nexus));

	if (j) {
		json_obj_open(j, NULL);
		json_uint(j, "tpgt", strtoul(tname + 5, NULL, 10));
		if (nexus[0])
			json_str(j, "nexus", nexus);
		else
			json_null(j, "nexus");
		json_arr_open(j, "luns");
	} else {
		printf("  tpgt %s nexus %s\n", tname + 5, nexus[0] ? nexus : "(none)");
	}

	snprintf(path, sizeof(path), "%s/lun", dir);
	n = scandir(path, &luns, is_lun, by_name);
	for (i = 0; i < n; i++) {
		char ldir[PATH_MAX];

		snprintf(ldir, sizeof(ldir), "%s/%s", path, luns[i]->d_name);
		lun_backstore(ldir, bs, sizeof(bs));
		if (j) {
			json_obj_open(j, NULL);
			json_uint(j, "lun", strtoul(luns[i]->d_name + 4, NULL, 10));
			json_str(j, "backstore", bs);
			json_obj_close(j);
		} else {
			printf("    lun %s backstore %s\n", luns[i]->d_name + 4,
			       bs[0] ? bs : "(unlinked)");
		}
		free(luns[i]);
	}
	if (n > 0)
		free(luns);
	if (j) {
		json_arr_close(j);
		json_obj_close(j);
	}
}

int cmd_show(struct fv_opts *o)
{
	struct dirent **wwns, **tpgs;
	struct json js, *j = NULL;
	char wdir[PATH_MAX];
	int n, m, i, k, found = 0;

	if (access("/sys/module/fastvhost", F_OK))
		return fv_err("the fastvhost module is not loaded");
	n = scandir(FV_FABRIC_DIR, &wwns, is_wwn, by_name);
	if (n < 0 && errno != ENOENT)
		return fv_err("cannot read %s: %s", FV_FABRIC_DIR, strerror(errno));

	if (o->json) {
		j = &js;
		json_init(j, stdout);
		json_arr_open(j, NULL);
	}
	for (i = 0; i < n; i++) {
		const char *name = wwns[i]->d_name;

		if (o->wwn && strcmp(o->wwn, name))
			goto next;
		found++;
		snprintf(wdir, sizeof(wdir), "%s/%s", FV_FABRIC_DIR, name);
		if (j) {
			json_obj_open(j, NULL);
			json_str(j, "wwn", name);
			json_arr_open(j, "tpgs");
		} else {
			printf("target %s\n", name);
		}
		m = scandir(wdir, &tpgs, is_tpg, by_name);
		for (k = 0; k < m; k++) {
			show_tpg(j, wdir, tpgs[k]->d_name);
			free(tpgs[k]);
		}
		if (m > 0)
			free(tpgs);
		if (j) {
			json_arr_close(j);
			json_obj_close(j);
		}
next:
		free(wwns[i]);
	}
	if (n > 0)
		free(wwns);
	if (j)
		json_arr_close(j);
	if (o->wwn && !found)
		return fv_err("no target %s", o->wwn);
	return 0;
}
