/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The control tool, ctl/fvctl (make ctl), from the tests: run it, and read
 * the queues out of "fvctl -j stats".  Include after kselftest_harness.h
 * and tests_common.h.
 */
#ifndef FVCTL_COMMON_H
#define FVCTL_COMMON_H

#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>

#define PL_MAXQ	8

struct pl_q {
	long index, worker, node, pid, broken, vmm_worker;
	unsigned long long requests, bytes_read, bytes_written, kicks;
	unsigned long long interrupts, errors, inflight;
	unsigned long long poll_hits, poll_misses, poll_ns, window, latency;
};

static char pl_top[PATH_MAX];

/* The repository: build/selftests/placement -> ../.. */
static const char *top(void)
{
	char *p;

	if (pl_top[0])
		return pl_top;
	if (!realpath("/proc/self/exe", pl_top))
		return ".";
	for (int i = 0; i < 3 && (p = strrchr(pl_top, '/')); i++)
		*p = '\0';
	return pl_top;
}

/* Run the control tool, ctl/fvctl (make ctl), with the arguments @fmt. */
static int fvctl(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	n = snprintf(buf, sizeof(buf), "%s/ctl/fvctl ", top());
	va_start(ap, fmt);
	vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	va_end(ap);
	return system(buf) == 0 ? 0 : -1;
}

/* target-set with @settings in fvctl's options ("--node 1 --workers 1"). */
static int nl_set(const char *wwn, const char *settings)
{
	return fvctl("set --wwn %s %s", wwn, settings);
}

static inline int nl_reset(const char *wwn)
{
	return fvctl("stats --reset --wwn %s", wwn);
}

static void parse(struct pl_q *q, const char *key, const char *val)
{
	static const struct { const char *k; size_t off; bool u; } f[] = {
#define L(k, m) { k, offsetof(struct pl_q, m), false }
#define U(k, m) { k, offsetof(struct pl_q, m), true }
		L("index", index), L("worker", worker), L("node", node),
		L("pid", pid), L("broken", broken), L("vmm-worker", vmm_worker),
		U("requests", requests), U("bytes-read", bytes_read),
		U("bytes-written", bytes_written), U("kicks", kicks),
		U("interrupts", interrupts), U("errors", errors),
		U("inflight", inflight), U("poll-hits", poll_hits),
		U("poll-misses", poll_misses), U("poll-ns", poll_ns),
		U("poll-window-ns", window), U("latency", latency),
	};

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		if (strcmp(key, f[i].k))
			continue;
		if (f[i].u)
			*(unsigned long long *)((char *)q + f[i].off) = strtoull(val, NULL, 0);
		else
			*(long *)((char *)q + f[i].off) = strtol(val, NULL, 0);
	}
}

/*
 * A small scanner for the JSON of "fvctl -j stats": an array of targets,
 * each with a "queue" array of objects.  It takes the queues' number and
 * boolean members, sums their arrays of numbers ("latency") and skips
 * everything else, whatever its shape.
 */
struct pl_json {
	const char *p;
	struct pl_q *qs;
	int n;
	unsigned long long sum;
};

typedef int (*js_member_fn)(struct pl_json *j, const char *key);
typedef int (*js_elem_fn)(struct pl_json *j);

static void js_ws(struct pl_json *j)
{
	while (isspace((unsigned char)*j->p))
		j->p++;
}

/* A string; into @buf unless NULL, an escaped character without its '\\'. */
static int js_str(struct pl_json *j, char *buf, size_t len)
{
	size_t n = 0;

	js_ws(j);
	if (*j->p != '"')
		return -1;
	for (j->p++; *j->p && *j->p != '"'; j->p++) {
		if (*j->p == '\\' && j->p[1])
			j->p++;
		if (buf && n + 1 < len)
			buf[n++] = *j->p;
	}
	if (*j->p != '"')
		return -1;
	j->p++;
	if (buf)
		buf[n] = '\0';
	return 0;
}

/* A bare word: a number, true, false or null. */
static int js_word(struct pl_json *j, char *buf, size_t len)
{
	static const char stop[] = ",:[]{}\"";
	size_t n = 0;

	js_ws(j);
	if (!*j->p || strchr(stop, *j->p))
		return -1;
	for (; *j->p && !strchr(stop, *j->p) && !isspace((unsigned char)*j->p); j->p++)
		if (buf && n + 1 < len)
			buf[n++] = *j->p;
	if (buf)
		buf[n] = '\0';
	return 0;
}

static int js_skip(struct pl_json *j);

/* An object, @fn taking each member's value (NULL: skip them). */
static int js_object(struct pl_json *j, js_member_fn fn)
{
	char key[64];

	js_ws(j);
	if (*j->p != '{')
		return -1;
	j->p++;
	js_ws(j);
	if (*j->p == '}') {
		j->p++;
		return 0;
	}
	for (;;) {
		if (js_str(j, key, sizeof(key)))
			return -1;
		js_ws(j);
		if (*j->p != ':')
			return -1;
		j->p++;
		if (fn ? fn(j, key) : js_skip(j))
			return -1;
		js_ws(j);
		if (*j->p == '}') {
			j->p++;
			return 0;
		}
		if (*j->p != ',')
			return -1;
		j->p++;
	}
}

/* An array, @fn taking each element (NULL: skip them). */
static int js_array(struct pl_json *j, js_elem_fn fn)
{
	js_ws(j);
	if (*j->p != '[')
		return -1;
	j->p++;
	js_ws(j);
	if (*j->p == ']') {
		j->p++;
		return 0;
	}
	for (;;) {
		if (fn ? fn(j) : js_skip(j))
			return -1;
		js_ws(j);
		if (*j->p == ']') {
			j->p++;
			return 0;
		}
		if (*j->p != ',')
			return -1;
		j->p++;
	}
}

static int js_skip(struct pl_json *j)
{
	js_ws(j);
	switch (*j->p) {
	case '{':
		return js_object(j, NULL);
	case '[':
		return js_array(j, NULL);
	case '"':
		return js_str(j, NULL, 0);
	default:
		return js_word(j, NULL, 0);
	}
}

static int js_add(struct pl_json *j)
{
	char w[32];

	js_ws(j);
	if (*j->p != '-' && !isdigit((unsigned char)*j->p))
		return js_skip(j);
	if (js_word(j, w, sizeof(w)))
		return -1;
	j->sum += strtoull(w, NULL, 0);
	return 0;
}

static int js_queue_member(struct pl_json *j, const char *key)
{
	struct pl_q *q = &j->qs[j->n];
	char w[32];

	js_ws(j);
	if (*j->p == '[') {
		j->sum = 0;
		if (js_array(j, js_add))
			return -1;
		snprintf(w, sizeof(w), "%llu", j->sum);
		parse(q, key, w);
		return 0;
	}
	if (*j->p == '"' || *j->p == '{')
		return js_skip(j);
	if (js_word(j, w, sizeof(w)))
		return -1;
	if (!strcmp(w, "true") || !strcmp(w, "false"))
		parse(q, key, w[0] == 't' ? "1" : "0");
	else if (w[0] == '-' || isdigit((unsigned char)w[0]))
		parse(q, key, w);
	return 0;
}

static int js_queue(struct pl_json *j)
{
	struct pl_q *q;

	if (j->n == PL_MAXQ)
		return js_skip(j);
	q = &j->qs[j->n];
	q->worker = q->pid = q->node = q->vmm_worker = -1;
	if (js_object(j, js_queue_member))
		return -1;
	j->n++;
	return 0;
}

static int js_target_member(struct pl_json *j, const char *key)
{
	if (!strcmp(key, "queue"))
		return js_array(j, js_queue);
	return js_skip(j);
}

static int js_target(struct pl_json *j)
{
	return js_object(j, js_target_member);
}

/* Queues of the attached device, by index; returns how many, or -1. */
static int nl_stats(const char *wwn, struct pl_q *qs)
{
	struct pl_json j = { .qs = qs };
	size_t len = 0, size = 4096, r;
	char cmd[512], *out, *more;
	int rc = -1;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "%s/ctl/fvctl -j stats --wwn %s", top(), wwn);
	out = malloc(size);
	if (!out)
		return -1;
	f = popen(cmd, "r");
	if (!f) {
		free(out);
		return -1;
	}
	while ((r = fread(out + len, 1, size - len - 1, f)) > 0) {
		len += r;
		if (len + 1 < size)
			continue;
		more = realloc(out, size * 2);
		if (!more)
			break;
		out = more;
		size *= 2;
	}
	out[len] = '\0';
	memset(qs, 0, sizeof(*qs) * PL_MAXQ);
	if (pclose(f) == 0) {
		j.p = out;
		if (!js_array(&j, js_target)) {
			js_ws(&j);
			if (!*j.p)
				rc = j.n;
		}
		if (rc < 0)
			fprintf(stderr, "# cannot read the queues in: %s\n", out);
	}
	free(out);
	return rc;
}

#endif /* FVCTL_COMMON_H */
