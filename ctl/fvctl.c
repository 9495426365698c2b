// SPDX-License-Identifier: GPL-2.0
/*
 * fvctl: configure and observe fastvhost targets.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fvctl.h"

int fv_err(const char *fmt, ...)
{
	va_list ap;

	fputs("fvctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

static void usage(FILE *f)
{
	fputs("Usage: fvctl [-j] COMMAND [OPTIONS]\n"
	      "\n"
	      "Commands:\n"
	      "  show [--wwn WWN]     targets, portal groups, LUNs and nexus\n"
	      "  help                 this text\n"
	      "\n"
	      "Options:\n"
	      "  -j, --json           JSON output\n"
	      "  -V, --version        print the version\n", f);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "wwn", required_argument, NULL, 'w' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct fv_opts o = { 0 };
	const char *cmd;
	int c;

	while ((c = getopt_long(argc, argv, "+jVh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			o.json = true;
			break;
		case 'V':
			printf("fvctl %s\n", FV_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			return fv_err("unknown option; see 'fvctl help'");
		}
	}

	cmd = optind < argc ? argv[optind++] : "show";
	optind--;
	argv[optind] = (char *)cmd;
	argc -= optind;
	argv += optind;
	optind = 1;

	while ((c = getopt_long(argc, argv, "jw:", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			o.json = true;
			break;
		case 'w':
			o.wwn = optarg;
			break;
		default:
			return fv_err("bad option for '%s'; see 'fvctl help'", cmd);
		}
	}
	if (optind < argc)
		return fv_err("unexpected argument '%s'", argv[optind]);

	if (!strcmp(cmd, "show"))
		return cmd_show(&o);
	if (!strcmp(cmd, "help")) {
		usage(stdout);
		return 0;
	}
	return fv_err("unknown command '%s'; see 'fvctl help'", cmd);
}
