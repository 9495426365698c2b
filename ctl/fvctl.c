// SPDX-License-Identifier: GPL-2.0
/*
 * fvctl: configure and observe fastvhost targets.  The command line:
 *
 *   fvctl [-j [-p]] COMMAND [OPTIONS]
 *
 * with long options after the command; -j/-p may come on either side.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fvctl.h"

enum {
	O_JSON = 'j', O_PRETTY = 'p', O_HELP = 'h', O_VERSION = 'V',
	O_WWN = 256, O_TPGT, O_LUN, O_BACKSTORE, O_NEXUS, O_NODE, O_CPUS,
	O_POLL_US, O_POLL_NS, O_POLL_GROW, O_POLL_SHRINK, O_WORKERS, O_MAP,
	O_WATCH, O_RESET,
};

static const struct option long_opts[] = {
	{ "json", no_argument, NULL, O_JSON },
	{ "pretty", no_argument, NULL, O_PRETTY },
	{ "help", no_argument, NULL, O_HELP },
	{ "version", no_argument, NULL, O_VERSION },
	{ "wwn", required_argument, NULL, O_WWN },
	{ "tpgt", required_argument, NULL, O_TPGT },
	{ "lun", required_argument, NULL, O_LUN },
	{ "backstore", required_argument, NULL, O_BACKSTORE },
	{ "nexus", required_argument, NULL, O_NEXUS },
	{ "node", required_argument, NULL, O_NODE },
	{ "cpus", required_argument, NULL, O_CPUS },
	{ "poll-us", required_argument, NULL, O_POLL_US },
	{ "poll-ns", required_argument, NULL, O_POLL_NS },
	{ "poll-grow", required_argument, NULL, O_POLL_GROW },
	{ "poll-shrink", required_argument, NULL, O_POLL_SHRINK },
	{ "workers", required_argument, NULL, O_WORKERS },
	{ "map", required_argument, NULL, O_MAP },
	{ "watch", required_argument, NULL, O_WATCH },
	{ "reset", no_argument, NULL, O_RESET },
	{ 0 }
};

#define SETTINGS O_NODE, O_CPUS, O_POLL_US, O_POLL_NS, O_POLL_GROW, O_POLL_SHRINK, O_WORKERS

struct command {
	const char *name;
	int (*fn)(struct fv_opts *o);
	int nargs;		/* positional arguments allowed */
	int opts[20];		/* options it takes, 0-terminated */
};

static const struct command commands[] = {
	{ "attach", cmd_attach, 0, { O_WWN, O_TPGT, O_LUN, O_BACKSTORE, O_NEXUS, SETTINGS, O_MAP } },
	{ "detach", cmd_detach, 0, { O_WWN, O_TPGT, O_LUN } },
	{ "show", cmd_show, 0, { O_WWN, O_JSON, O_PRETTY } },
	{ "set", cmd_set, 0, { O_WWN, SETTINGS, O_MAP } },
	{ "stats", cmd_stats, 0, { O_WWN, O_JSON, O_PRETTY, O_WATCH, O_RESET } },
	{ "monitor", cmd_monitor, 0, { O_JSON, O_PRETTY } },
	{ "save", cmd_save, 1, { 0 } },
	{ "restore", cmd_restore, 1, { 0 } },
	{ "help", NULL, 1, { 0 } },
	{ NULL }
};

static const char usage_text[] =
	"Usage: fvctl [-j [-p]] COMMAND [OPTIONS]\n"
	"\n"
	"Commands:\n"
	"  attach --wwn WWN [--tpgt N] --lun N --backstore fileio/NAME|block/NAME|ramdisk/NAME\n"
	"         [--nexus NAME|none] [SETTINGS]\n"
	"                       create the target, portal group, LUN and nexus as needed\n"
	"  detach --wwn WWN [--tpgt N] [--lun N]\n"
	"                       remove one LUN, or the whole target\n"
	"  show [--wwn WWN[,WWN...]]\n"
	"                       targets, portal groups, LUNs, placement, polling, queues\n"
	"  set --wwn WWN SETTINGS\n"
	"                       change placement and polling, live\n"
	"  stats [--wwn WWN[,WWN...]] [--watch SEC] [--reset]\n"
	"                       per-queue statistics; --watch adds rates\n"
	"  monitor              print attach, detach, queue and LUN events as they happen\n"
	"  save [FILE]          write the targets as fvctl commands (default " FV_CONF_FILE ")\n"
	"  restore [FILE]       run the commands of a saved file\n"
	"  help                 this text\n"
	"\n"
	"Settings:\n"
	"  --node N|auto        NUMA node of the workers (-1: any; auto: from the storage)\n"
	"  --cpus LIST|all      CPUs the workers may use (\"0-3,8\")\n"
	"  --poll-us N          longest adaptive polling window in microseconds (0: off)\n"
	"  --poll-ns N          the same in nanoseconds\n"
	"  --poll-grow N        factor the window grows by (0: default)\n"
	"  --poll-shrink N      divisor the window shrinks by (0: reset at once)\n"
	"  --workers N          number of worker threads (0: one per request queue)\n"
	"  --map Q=W[,Q=W...]   serve queue Q by worker W ('default' first: clear the map)\n"
	"\n"
	"Options:\n"
	"  -j, --json           JSON output\n"
	"  -p, --pretty         indented JSON (with -j)\n"
	"  -V, --version        print the version\n";

int fv_err(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("fvctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

static int usage_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_err(const char *fmt, ...)
{
	va_list ap;

	fputs("fvctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("; see 'fvctl help'\n", stderr);
	return EXIT_USAGE;
}

bool fv_settings_given(const struct fv_opts *o)
{
	return o->has_node || o->cpus || o->has_poll || o->poll_grow >= 0 ||
	       o->poll_shrink >= 0 || o->workers >= 0 || o->map;
}

/* A decimal integer in [min, max]; on error, prints and returns false. */
static bool number(const char *opt, const char *s, long long min, long long max,
		   long long *out)
{
	char *end;

	errno = 0;
	*out = strtoll(s, &end, 10);
	if (!*s || *end || errno == ERANGE) {
		if (errno == ERANGE)
			fv_err("--%s %s is out of range (at most %lld)", opt, s, max);
		else
			fv_err("--%s wants a number, not '%s'", opt, s);
		return false;
	}
	if (*out < min || *out > max) {
		fv_err("--%s %s is out of range (%lld to %lld)", opt, s, min, max);
		return false;
	}
	return true;
}

static bool takes(const struct command *c, int opt)
{
	int i;

	if (opt == O_JSON || opt == O_PRETTY || opt == O_HELP)
		return true;
	for (i = 0; c->opts[i]; i++)
		if (c->opts[i] == opt)
			return true;
	return false;
}

static const char *opt_name(int opt)
{
	const struct option *lo;

	for (lo = long_opts; lo->name; lo++)
		if (lo->val == opt)
			return lo->name;
	return "?";
}

/* Fill o from one option; false (after a message) on bad values. */
static bool parse_opt(struct fv_opts *o, int opt, const char *arg)
{
	const char *name = opt_name(opt);
	long long v;

	switch (opt) {
	case O_JSON:
		o->json = true;
		break;
	case O_PRETTY:
		o->pretty = true;
		break;
	case O_WWN:
		o->wwn = arg;
		break;
	case O_TPGT:
		if (!number(name, arg, 0, 255, &v))
			return false;
		o->tpgt = (int)v;
		break;
	case O_LUN:
		if (!number(name, arg, 0, 65535, &v))
			return false;
		o->lun = v;
		break;
	case O_BACKSTORE:
		o->backstore = arg;
		break;
	case O_NEXUS:
		o->nexus = arg;
		break;
	case O_NODE:
		o->has_node = true;
		if (!strcmp(arg, "auto")) {
			o->node_auto = true;
			break;
		}
		if (!number(name, arg, INT_MIN, INT_MAX, &v))
			return false;
		o->node_auto = false;
		o->node = (int)v;
		break;
	case O_CPUS:
		o->cpus = strcmp(arg, "all") ? arg : "";
		break;
	case O_POLL_US:
		if (!number(name, arg, 0, UINT32_MAX / 1000, &v))
			return false;
		o->has_poll = true;
		o->poll_ns = (uint32_t)(v * 1000);
		break;
	case O_POLL_NS:
		if (!number(name, arg, 0, UINT32_MAX, &v))
			return false;
		o->has_poll = true;
		o->poll_ns = (uint32_t)v;
		break;
	case O_POLL_GROW:
		return number(name, arg, 0, UINT32_MAX, &o->poll_grow);
	case O_POLL_SHRINK:
		return number(name, arg, 0, UINT32_MAX, &o->poll_shrink);
	case O_WORKERS:
		return number(name, arg, 0, UINT32_MAX, &o->workers);
	case O_MAP:
		o->map = arg;
		break;
	case O_WATCH:
		o->watch = strtod(arg, NULL);
		if (o->watch <= 0 || o->watch > 86400) {
			fv_err("--watch wants a number of seconds, not '%s'", arg);
			return false;
		}
		break;
	case O_RESET:
		o->reset = true;
		break;
	}
	return true;
}

static const struct command *find_command(const char *name)
{
	const struct command *c;

	for (c = commands; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

int fv_run(int argc, char **argv, const struct fv_opts *global, bool restoring)
{
	const struct command *c = find_command(argv[0]);
	struct fv_opts o = *global;
	int opt;

	if (!c)
		return usage_err("unknown command '%s'", argv[0]);
	o.restoring = restoring;
	optind = 0;		/* a full rescan, also for restore's lines */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+:jph", long_opts, NULL)) != -1) {
		if (opt == '?')
			return usage_err("%s: unknown option '%s'", c->name, argv[optind - 1]);
		if (opt == ':')
			return usage_err("%s: option '%s' needs a value", c->name, argv[optind - 1]);
		if (opt == O_HELP) {
			fputs(usage_text, stdout);
			return 0;
		}
		if (!takes(c, opt))
			return usage_err("%s does not take --%s", c->name, opt_name(opt));
		if (!parse_opt(&o, opt, optarg))
			return EXIT_USAGE;
	}
	if (argc - optind > c->nargs)
		return usage_err("%s: unexpected argument '%s'", c->name, argv[optind + c->nargs]);
	if (optind < argc)
		o.file = argv[optind];
	if (!c->fn) {
		fputs(usage_text, stdout);
		return 0;
	}
	return c->fn(&o);
}

int main(int argc, char **argv)
{
	struct fv_opts o = {
		.tpgt = -1, .lun = -1, .poll_grow = -1, .poll_shrink = -1, .workers = -1,
	};
	char *show[] = { "show", NULL };
	int opt;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+jphV", long_opts, NULL)) != -1) {
		switch (opt) {
		case O_JSON:
			o.json = true;
			break;
		case O_PRETTY:
			o.pretty = true;
			break;
		case O_VERSION:
			printf("fvctl %s\n", FV_VERSION);
			return 0;
		case O_HELP:
			fputs(usage_text, stdout);
			return 0;
		default:
			return usage_err("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return fv_run(1, show, &o, false);
	return fv_run(argc - optind, argv + optind, &o, false);
}
