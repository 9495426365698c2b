// SPDX-License-Identifier: GPL-2.0
/*
 * fvbench: drive a vhost-scsi device node (/dev/vhost-scsi, /dev/fastvhost)
 * through the vhost ioctl ABI with the vguest library and measure it.
 *
 * One driver thread per request queue keeps iodepth commands in flight.
 * After an optional ramp, I/Os that complete inside the measured window
 * are counted; their latency (submit to reap, kick included) goes into a
 * log-linear histogram. CPU time is taken over the same window for:
 *   - the target's workers: fastvhost kthreads "fv-<pid>-<n>", stock
 *     vhost kthreads "vhost-<pid>" (6.1) or vhost_task threads of this
 *     process named "vhost-<pid>" (6.4+), from /proc/<tid>/schedstat
 *     (or utime+stime of /proc/<tid>/stat when schedstat is missing);
 *   - the driver threads, from getrusage(RUSAGE_THREAD);
 *   - the whole machine, busy time in /proc/stat (catches work done
 *     elsewhere, e.g. LIO completion kworkers).
 * One JSON object is printed on stdout per run.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "vguest.h"

/* Log-linear histogram of nanoseconds: 64 sub-buckets per power of two. */
#define H_SUB_BITS	6
#define H_SUB		(1U << H_SUB_BITS)
#define H_BUCKETS	((64 - H_SUB_BITS + 1) * H_SUB)
#define MAX_TASKS	512
#define MAX_TAGS	16

struct opts {
	const char *dev;
	const char *wwn;
	unsigned int tpgt;
	unsigned int lun;
	const char *rw;
	bool random;
	unsigned int read_pct;
	uint32_t bs;
	unsigned int iodepth;
	unsigned int queues;
	unsigned int ring;
	double runtime;
	double ramp;
	uint64_t ios;			/* 0: time based */
	uint64_t size;			/* bytes; 0: whole LUN */
	uint64_t seed;
	bool worker_per_vq;
	bool dirty_log;
	unsigned int regions;		/* memory table size; 1: the arena */
	bool spin;			/* reap by polling the used ring */
	bool mem;			/* measure kernel memory, no I/O */
	bool human;
	const char *label;
	const char *tags[MAX_TAGS];
	unsigned int ntags;
};

struct breq;

struct drv {
	struct vg_dev *d;
	struct vg_vq *q;
	const struct opts *o;
	unsigned int qi;
	uint32_t lba_blocks;		/* LUN blocks per I/O */
	uint64_t area_blocks;		/* LUN blocks used */
	uint64_t seq_base, seq_span, seq_next;
	uint64_t rng;
	uint64_t quota;			/* I/Os to submit (count mode) */
	struct breq *ios;
	unsigned int *free;
	unsigned int nfree;
	/* measured window */
	uint64_t t_go, t_start, t_end;
	bool in_window, closed;
	uint64_t n_ios, n_reads, n_writes, n_errors, bytes;
	uint64_t lat_sum, lat_min, lat_max;
	uint64_t *hist;
	uint64_t kicks0, calls0;
	uint64_t kicks, calls;
	struct rusage ru0, ru1;
	uint64_t last_done;
	char err[256];
	pthread_t thr;
};

struct breq {
	struct vg_io io;		/* first: vg_io.done gets &io */
	struct drv *w;
	unsigned int idx;
	void *buf;
	bool write;
};

/* Tasks whose CPU time is charged to the target. */
struct task_cpu {
	int tid;
	char comm[32];
	uint64_t ns0, ns1;
	bool seen0, seen1;
};

struct tasks {
	struct task_cpu t[MAX_TASKS];
	unsigned int n;
};

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fvbench: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

/* ---- numbers ---- */

static uint64_t parse_size(const char *s, const char *what)
{
	char *end;
	double v = strtod(s, &end);
	uint64_t m = 1;

	switch (tolower((unsigned char)*end)) {
	case 'k': m = 1ULL << 10; end++; break;
	case 'm': m = 1ULL << 20; end++; break;
	case 'g': m = 1ULL << 30; end++; break;
	default: break;
	}
	if (*end == 'i' || *end == 'I')
		end++;
	if (*end == 'b' || *end == 'B')
		end++;
	if (end == s || *end || v < 0)
		die("bad %s '%s'", what, s);
	return (uint64_t)(v * (double)m);
}

static uint64_t parse_count(const char *s, const char *what)
{
	char *end;
	double v = strtod(s, &end);

	switch (tolower((unsigned char)*end)) {
	case 'k': v *= 1e3; end++; break;
	case 'm': v *= 1e6; end++; break;
	default: break;
	}
	if (end == s || *end || v < 0)
		die("bad %s '%s'", what, s);
	return (uint64_t)v;
}

static double parse_secs(const char *s, const char *what)
{
	char *end;
	double v = strtod(s, &end);

	if (*end == 's')
		end++;
	else if (!strcmp(end, "ms")) {
		v /= 1000;
		end += 2;
	}
	if (end == s || *end || v < 0)
		die("bad %s '%s'", what, s);
	return v;
}

static unsigned int hist_idx(uint64_t v)
{
	unsigned int msb;

	if (v < H_SUB)
		return (unsigned int)v;
	msb = 63 - (unsigned int)__builtin_clzll(v);
	return (msb - H_SUB_BITS + 1) * H_SUB +
	       (unsigned int)((v >> (msb - H_SUB_BITS)) & (H_SUB - 1));
}

/* Middle of a bucket, in ns. */
static double hist_val(unsigned int i)
{
	unsigned int msb, sub;
	uint64_t lo, width;

	if (i < H_SUB)
		return i;
	msb = i / H_SUB - 1 + H_SUB_BITS;
	sub = i % H_SUB;
	lo = (uint64_t)(H_SUB + sub) << (msb - H_SUB_BITS);
	width = 1ULL << (msb - H_SUB_BITS);
	return (double)lo + (double)(width - 1) / 2;
}

static double hist_pct(const uint64_t *h, uint64_t n, double pct)
{
	uint64_t want, sum = 0;
	unsigned int i;

	if (!n)
		return 0;
	want = (uint64_t)(pct / 100.0 * (double)n + 0.999999);
	if (!want)
		want = 1;
	for (i = 0; i < H_BUCKETS; i++) {
		sum += h[i];
		if (sum >= want)
			return hist_val(i);
	}
	return hist_val(H_BUCKETS - 1);
}

/* ---- CPU time of the target's workers and of the machine ---- */

static bool read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	bool ok;

	if (!f)
		return false;
	ok = fgets(buf, (int)len, f) != NULL;
	fclose(f);
	if (ok)
		buf[strcspn(buf, "\n")] = 0;
	return ok;
}

/* Run time of a task in ns; false when it is gone. */
static bool task_ns(int tid, uint64_t *ns)
{
	char path[64], buf[1024], *p;
	unsigned long long ut, st;
	long hz = sysconf(_SC_CLK_TCK);

	snprintf(path, sizeof(path), "/proc/%d/schedstat", tid);
	if (read_line(path, buf, sizeof(buf)) &&
	    sscanf(buf, "%llu", &ut) == 1) {
		*ns = ut;
		return true;
	}
	snprintf(path, sizeof(path), "/proc/%d/stat", tid);
	if (!read_line(path, buf, sizeof(buf)))
		return false;
	/* comm may hold spaces and parentheses: fields follow the last ')' */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
			 &ut, &st) != 2)
		return false;
	*ns = (ut + st) * (1000000000ULL / (uint64_t)(hz > 0 ? hz : 100));
	return true;
}

static bool is_worker(const char *comm, const char *fv_prefix,
		      const char *vhost_name)
{
	return !strncmp(comm, fv_prefix, strlen(fv_prefix)) ||
	       !strcmp(comm, vhost_name);
}

static struct task_cpu *task_find(struct tasks *ts, int tid)
{
	unsigned int i;

	for (i = 0; i < ts->n; i++)
		if (ts->t[i].tid == tid)
			return &ts->t[i];
	if (ts->n == MAX_TASKS)
		return NULL;
	memset(&ts->t[ts->n], 0, sizeof(ts->t[0]));
	ts->t[ts->n].tid = tid;
	return &ts->t[ts->n++];
}

static void scan_dir(struct tasks *ts, const char *dir, bool second,
		     const char *fv_prefix, const char *vhost_name)
{
	char path[300], comm[32];
	struct dirent *de;
	struct task_cpu *t;
	uint64_t ns;
	DIR *dp = opendir(dir);

	if (!dp)
		return;
	while ((de = readdir(dp))) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "%s/%s/comm", dir, de->d_name);
		if (!read_line(path, comm, sizeof(comm)) ||
		    !is_worker(comm, fv_prefix, vhost_name))
			continue;
		if (!task_ns(atoi(de->d_name), &ns))
			continue;
		t = task_find(ts, atoi(de->d_name));
		if (!t)
			continue;
		snprintf(t->comm, sizeof(t->comm), "%s", comm);
		if (second) {
			t->ns1 = ns;
			t->seen1 = true;
		} else {
			t->ns0 = ns;
			t->seen0 = true;
		}
	}
	closedir(dp);
}

/*
 * Kernel threads are processes of their own (/proc/N); 6.4+ vhost_task
 * workers are threads of this process (/proc/self/task/N).
 */
static void scan_workers(struct tasks *ts, bool second)
{
	char fv_prefix[32], vhost_name[32];

	snprintf(fv_prefix, sizeof(fv_prefix), "fv-%d-", (int)getpid());
	snprintf(vhost_name, sizeof(vhost_name), "vhost-%d", (int)getpid());
	scan_dir(ts, "/proc", second, fv_prefix, vhost_name);
	scan_dir(ts, "/proc/self/task", second, fv_prefix, vhost_name);
}

static uint64_t workers_ns(const struct tasks *ts, unsigned int *n)
{
	uint64_t sum = 0;
	unsigned int i;

	*n = 0;
	for (i = 0; i < ts->n; i++) {
		const struct task_cpu *t = &ts->t[i];

		if (!t->seen1)
			continue;	/* exited: its time is lost */
		(*n)++;
		sum += t->ns1 - (t->seen0 ? t->ns0 : 0);
	}
	return sum;
}

/* Busy time of all CPUs, ns (user nice system irq softirq steal). */
static uint64_t machine_busy_ns(void)
{
	unsigned long long v[8] = { 0 };
	long hz = sysconf(_SC_CLK_TCK);
	char buf[512];

	if (!read_line("/proc/stat", buf, sizeof(buf)) ||
	    sscanf(buf, "cpu %llu %llu %llu %llu %llu %llu %llu %llu",
		   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) < 8)
		return 0;
	return (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) *
	       (1000000000ULL / (uint64_t)(hz > 0 ? hz : 100));
}

/* ---- the driver threads ---- */

static uint64_t tv_ns(const struct timeval *tv)
{
	return (uint64_t)tv->tv_sec * 1000000000ULL + (uint64_t)tv->tv_usec * 1000ULL;
}

static uint64_t ru_ns(const struct rusage *r)
{
	return tv_ns(&r->ru_utime) + tv_ns(&r->ru_stime);
}

static void drv_fail(struct drv *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void drv_fail(struct drv *w, const char *fmt, ...)
{
	va_list ap;

	w->n_errors++;
	if (w->err[0])
		return;
	va_start(ap, fmt);
	vsnprintf(w->err, sizeof(w->err), fmt, ap);
	va_end(ap);
}

static void open_window(struct drv *w)
{
	w->in_window = true;
	w->kicks0 = w->q->n_kicks;
	w->calls0 = w->q->n_calls;
	getrusage(RUSAGE_THREAD, &w->ru0);
}

static void close_window(struct drv *w)
{
	w->closed = true;
	w->kicks = w->q->n_kicks - w->kicks0;
	w->calls = w->q->n_calls - w->calls0;
	getrusage(RUSAGE_THREAD, &w->ru1);
}

static void on_done(struct vg_io *io)
{
	struct breq *b = (struct breq *)io;
	struct drv *w = b->w;
	uint64_t lat = io->t_done - io->t_submit;
	char s[160];

	w->free[w->nfree++] = b->idx;
	if (!vg_io_ok(io) || io->resid) {
		drv_fail(w, "queue %u %s: %s", w->qi,
			 b->write ? "write" : "read",
			 vg_io_str(io, s, sizeof(s)));
		return;
	}
	/* Count what completes inside the window, whenever it started. */
	if (!w->in_window || w->closed)
		return;
	w->n_ios++;
	w->bytes += w->o->bs;
	if (b->write)
		w->n_writes++;
	else
		w->n_reads++;
	w->lat_sum += lat;
	if (!w->lat_min || lat < w->lat_min)
		w->lat_min = lat;
	if (lat > w->lat_max)
		w->lat_max = lat;
	w->hist[hist_idx(lat)]++;
	w->last_done = io->t_done;
}

static void fill(struct drv *w, struct breq *b)
{
	const struct opts *o = w->o;
	uint64_t r = vg_rand(&w->rng), lba;
	uint64_t slots = w->area_blocks / w->lba_blocks;

	if (o->random) {
		lba = (vg_rand(&w->rng) % slots) * w->lba_blocks;
	} else {
		if (w->seq_next + w->lba_blocks > w->seq_span)
			w->seq_next = 0;
		lba = w->seq_base + w->seq_next;
		w->seq_next += w->lba_blocks;
	}
	b->write = (r % 100) >= o->read_pct;
	vg_io_init(&b->io, (uint16_t)o->lun);
	b->io.done = on_done;
	vg_cdb_rw(&b->io, 16, b->write, lba, w->lba_blocks);
	if (b->write) {
		b->io.dout = b->buf;
		b->io.dout_len = o->bs;
	} else {
		b->io.din = b->buf;
		b->io.din_len = o->bs;
	}
}

static void sleep_until(uint64_t t)
{
	struct timespec ts = {
		.tv_sec = (time_t)(t / 1000000000ULL),
		.tv_nsec = (long)(t % 1000000000ULL),
	};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/*
 * Reap without sleeping: the driver watches the used ring with the
 * target's calls turned off, as a guest whose vCPU stays on its CPU
 * (KVM halt-polling, or a polling guest driver) would see completions.
 */
static int spin_reap(struct vg_vq *q, int timeout_ms)
{
	uint64_t end = vg_now_ns() + (uint64_t)timeout_ms * 1000000ULL;
	unsigned int n = 0;

	while (vg_io_reap(q) <= 0) {
		if ((++n & 1023) == 0 && vg_now_ns() >= end)
			return -ETIMEDOUT;
		__builtin_ia32_pause();
	}
	return 0;
}

static void *drv_main(void *arg)
{
	struct drv *w = arg;
	const struct opts *o = w->o;
	unsigned int inflight = 0;
	uint64_t submitted = 0, now;
	bool more = true;
	char name[16];
	int rc;

	snprintf(name, sizeof(name), "fvbench-q%u", w->qi);
	pthread_setname_np(pthread_self(), name);
	if (o->spin)
		vg_vq_enable_cb(w->q, false);
	sleep_until(w->t_go);
	if (o->ios)
		open_window(w);
	for (;;) {
		now = vg_now_ns();
		if (!o->ios) {
			if (!w->in_window && now >= w->t_start)
				open_window(w);
			if (now >= w->t_end) {
				if (!w->closed)
					close_window(w);
				more = false;
			}
		} else if (submitted >= w->quota) {
			more = false;
		}
		if (w->n_errors)
			more = false;
		while (more && w->nfree && (!o->ios || submitted < w->quota)) {
			struct breq *b = &w->ios[w->free[w->nfree - 1]];

			fill(w, b);
			rc = vg_io_submit(w->q, &b->io);
			if (rc == -ENOSPC && inflight)
				break;
			if (rc) {
				drv_fail(w, "queue %u: submit: %s", w->qi,
					 strerror(-rc));
				more = false;
				break;
			}
			w->nfree--;
			inflight++;
			submitted++;
		}
		vg_vq_kick(w->q);
		if (!inflight) {
			if (more)
				continue;
			break;
		}
		rc = o->spin ? spin_reap(w->q, 10000) :
			       vg_io_wait(w->q, NULL, 10000);
		if (rc) {
			drv_fail(w, "queue %u: no completion in 10 s, %u in flight",
				 w->qi, inflight);
			break;
		}
		inflight = o->iodepth - w->nfree;
	}
	if (!w->closed) {
		close_window(w);
		if (o->ios)
			w->t_end = w->last_done ? w->last_done : vg_now_ns();
	}
	return NULL;
}

/* ---- setup ---- */

static void usage(int rc)
{
	fprintf(rc ? stderr : stdout,
"usage: fvbench [options]\n"
"  -d, --dev PATH        device node (default $FV_DEV, else /dev/vhost-scsi)\n"
"  -w, --wwn WWN         target WWN (default $FV_WWN)\n"
"  -t, --tpgt N          portal group tag (default $FV_TPGT, else 1)\n"
"  -l, --lun N           LUN (default 0)\n"
"      --rw MODE         read write rw randread randwrite randrw (default randread)\n"
"      --rwmixread PCT   reads in rw/randrw, percent (default 50)\n"
"  -b, --bs SIZE         bytes per I/O, k/m suffixes (default 4k)\n"
"  -q, --iodepth N       commands in flight per queue (default 1)\n"
"  -j, --queues N        request queues, one driver thread each (default 1)\n"
"  -r, --runtime SEC     measured time (default 5)\n"
"      --ramp SEC        warm-up before the measured time (default 0.5)\n"
"  -n, --ios N           stop after N I/Os in all instead of after a time\n"
"      --size SIZE       bytes of the LUN used from its start (default all)\n"
"      --ring N          virtqueue size (default: 128, or iodepth rounded up)\n"
"      --worker-per-vq   one vhost worker per request queue\n"
"                        (VHOST_NEW_WORKER + VHOST_ATTACH_VRING_WORKER, 6.5+)\n"
"      --spin            reap by watching the used ring, calls off, no sleeping\n"
"      --dirty-log       log dirty pages as during a live migration\n"
"                        (VHOST_F_LOG_ALL, VHOST_SET_LOG_BASE, VHOST_VRING_F_LOG)\n"
"      --regions N       memory table of N regions: the arena and N-1 pages\n"
"                        above it that no I/O uses (default 1)\n"
"      --mem             no I/O: the kernel memory the attached device takes,\n"
"                        one command served on every queue\n"
"      --seed N          PRNG seed (default 1)\n"
"      --label TEXT      copied into the output\n"
"      --tag KEY=VALUE   copied into the output's \"tags\" (repeatable)\n"
"  -H, --human           also print a summary line on stderr\n"
"Prints one JSON object on stdout. Exit status 0 when every I/O succeeded,\n"
"1 when some failed, 2 on a setup error.\n");
	exit(rc);
}

static void parse(int argc, char **argv, struct opts *o)
{
	enum { O_RW = 256, O_MIX, O_RAMP, O_SIZE, O_RING, O_WPV, O_SPIN, O_SEED,
	       O_LABEL, O_TAG, O_LOG, O_REGIONS, O_MEM };
	static const struct option lo[] = {
		{ "dev", required_argument, NULL, 'd' },
		{ "wwn", required_argument, NULL, 'w' },
		{ "tpgt", required_argument, NULL, 't' },
		{ "lun", required_argument, NULL, 'l' },
		{ "rw", required_argument, NULL, O_RW },
		{ "rwmixread", required_argument, NULL, O_MIX },
		{ "bs", required_argument, NULL, 'b' },
		{ "iodepth", required_argument, NULL, 'q' },
		{ "queues", required_argument, NULL, 'j' },
		{ "runtime", required_argument, NULL, 'r' },
		{ "ramp", required_argument, NULL, O_RAMP },
		{ "ios", required_argument, NULL, 'n' },
		{ "size", required_argument, NULL, O_SIZE },
		{ "ring", required_argument, NULL, O_RING },
		{ "worker-per-vq", no_argument, NULL, O_WPV },
		{ "spin", no_argument, NULL, O_SPIN },
		{ "dirty-log", no_argument, NULL, O_LOG },
		{ "regions", required_argument, NULL, O_REGIONS },
		{ "mem", no_argument, NULL, O_MEM },
		{ "seed", required_argument, NULL, O_SEED },
		{ "label", required_argument, NULL, O_LABEL },
		{ "tag", required_argument, NULL, O_TAG },
		{ "human", no_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *env;
	unsigned int mix = 50;
	int c;

	memset(o, 0, sizeof(*o));
	env = getenv("FV_DEV");
	o->dev = env && *env ? env : "/dev/vhost-scsi";
	o->wwn = getenv("FV_WWN");
	env = getenv("FV_TPGT");
	o->tpgt = env && *env ? (unsigned int)atoi(env) : 1;
	o->rw = "randread";
	o->bs = 4096;
	o->iodepth = 1;
	o->queues = 1;
	o->runtime = 5;
	o->ramp = 0.5;
	o->seed = 1;
	o->regions = 1;
	while ((c = getopt_long(argc, argv, "d:w:t:l:b:q:j:r:n:Hh", lo, NULL)) != -1) {
		switch (c) {
		case 'd': o->dev = optarg; break;
		case 'w': o->wwn = optarg; break;
		case 't': o->tpgt = (unsigned int)parse_count(optarg, "tpgt"); break;
		case 'l': o->lun = (unsigned int)parse_count(optarg, "lun"); break;
		case O_RW: o->rw = optarg; break;
		case O_MIX: mix = (unsigned int)parse_count(optarg, "rwmixread"); break;
		case 'b': o->bs = (uint32_t)parse_size(optarg, "bs"); break;
		case 'q': o->iodepth = (unsigned int)parse_count(optarg, "iodepth"); break;
		case 'j': o->queues = (unsigned int)parse_count(optarg, "queues"); break;
		case 'r': o->runtime = parse_secs(optarg, "runtime"); break;
		case O_RAMP: o->ramp = parse_secs(optarg, "ramp"); break;
		case 'n': o->ios = parse_count(optarg, "ios"); break;
		case O_SIZE: o->size = parse_size(optarg, "size"); break;
		case O_RING: o->ring = (unsigned int)parse_count(optarg, "ring"); break;
		case O_WPV: o->worker_per_vq = true; break;
		case O_SPIN: o->spin = true; break;
		case O_LOG: o->dirty_log = true; break;
		case O_REGIONS: o->regions = (unsigned int)parse_count(optarg, "regions"); break;
		case O_MEM: o->mem = true; break;
		case O_SEED: o->seed = parse_count(optarg, "seed"); break;
		case O_LABEL: o->label = optarg; break;
		case O_TAG:
			if (o->ntags == MAX_TAGS || !strchr(optarg, '='))
				die("--tag wants KEY=VALUE, at most %d", MAX_TAGS);
			o->tags[o->ntags++] = optarg;
			break;
		case 'H': o->human = true; break;
		case 'h': usage(0); break;
		default: usage(2);
		}
	}
	if (optind != argc)
		usage(2);
	if (!o->wwn || !*o->wwn)
		die("no target: give --wwn or set FV_WWN");
	if (!strcmp(o->rw, "read") || !strcmp(o->rw, "randread"))
		o->read_pct = 100;
	else if (!strcmp(o->rw, "write") || !strcmp(o->rw, "randwrite"))
		o->read_pct = 0;
	else if (!strcmp(o->rw, "rw") || !strcmp(o->rw, "randrw"))
		o->read_pct = mix > 100 ? 100 : mix;
	else
		die("unknown --rw %s", o->rw);
	o->random = !strncmp(o->rw, "rand", 4);
	if (!o->iodepth || o->iodepth > 4096)
		die("iodepth %u out of 1..4096", o->iodepth);
	if (!o->queues || o->queues > VG_MAX_IO_VQS)
		die("queues %u out of 1..%d", o->queues, VG_MAX_IO_VQS);
	if (!o->bs || o->bs % 512 || o->bs > (16U << 20))
		die("bs %u: a multiple of 512 up to 16 MiB", o->bs);
	if (!o->ring) {
		o->ring = 128;
		while (o->ring < o->iodepth)
			o->ring *= 2;
	}
	if (o->ring < o->iodepth || (o->ring & (o->ring - 1)) || o->ring > 32768)
		die("ring %u: a power of two >= iodepth, <= 32768", o->ring);
	if (!o->ios && o->runtime <= 0)
		die("runtime must be > 0");
}

static int attach_workers(struct vg_dev *d, unsigned int queues)
{
	unsigned int i;

	for (i = 0; i < queues; i++) {
		struct vhost_worker_state ws = { 0 };
		struct vhost_vring_worker vw;
		int rc;

		rc = vg_ioctl(d, VHOST_NEW_WORKER, &ws, "VHOST_NEW_WORKER");
		if (rc)
			return rc;
		vw.index = VG_VQ_REQ0 + i;
		vw.worker_id = ws.worker_id;
		rc = vg_ioctl(d, VHOST_ATTACH_VRING_WORKER, &vw,
			      "VHOST_ATTACH_VRING_WORKER");
		if (rc)
			return rc;
	}
	return 0;
}

/*
 * What a VMM does when a migration starts: a bitmap over guest memory,
 * VHOST_F_LOG_ALL, and the used rings logged.  Nobody harvests the bits:
 * the device pays the same atomic OR either way.
 */
static int dirty_log_on(struct vg_dev *d)
{
	uint64_t base, f = d->features | (1ULL << VHOST_F_LOG_ALL);
	size_t len = vg_log_size(d);
	void *bm;
	int rc;

	bm = mmap(NULL, len, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (bm == MAP_FAILED)
		return -errno;
	base = (uintptr_t)bm;
	rc = vg_ioctl(d, VHOST_SET_LOG_BASE, &base, "VHOST_SET_LOG_BASE");
	if (!rc)
		rc = vg_set_features(d, f);
	if (!rc)
		rc = vg_vring_log(d, true);
	return rc;
}

/*
 * A memory table as large as a guest with many DIMMs gives: the arena,
 * then @n - 1 regions of a page each above it.  Every buffer stays in the
 * arena, so what changes is the lookup of each address among @n.
 */
static int many_regions(struct vg_dev *d, unsigned int n)
{
	const struct vg_region *r = &d->reg[0];
	struct vhost_memory *m;
	unsigned int i;
	char *pages;
	int rc;

	if (n < 2)
		return 0;
	pages = mmap(NULL, (size_t)(n - 1) * 4096, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (pages == MAP_FAILED)
		return -errno;
	m = calloc(1, sizeof(*m) + n * sizeof(m->regions[0]));
	if (!m)
		return -ENOMEM;
	m->nregions = n;
	m->regions[0].guest_phys_addr = r->gpa;
	m->regions[0].memory_size = r->size;
	m->regions[0].userspace_addr = (uintptr_t)r->host;
	for (i = 1; i < n; i++) {
		struct vhost_memory_region *v = &m->regions[i];

		v->guest_phys_addr = r->gpa + r->size + (i - 1) * 8192ULL;
		v->memory_size = 4096;
		v->userspace_addr = (uintptr_t)(pages + (size_t)(i - 1) * 4096);
	}
	rc = vg_ioctl(d, VHOST_SET_MEM_TABLE, m, "VHOST_SET_MEM_TABLE");
	free(m);
	return rc;
}

/* ---- output ---- */

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void json_kv(FILE *f, const char *k, const char *v, bool comma)
{
	json_str(f, k);
	fputc(':', f);
	json_str(f, v);
	if (comma)
		fputc(',', f);
}

static void json_tags(FILE *f, const struct opts *o)
{
	unsigned int i;

	fprintf(f, "\"tags\":{");
	for (i = 0; i < o->ntags; i++) {
		const char *eq = strchr(o->tags[i], '=');
		char key[64];

		snprintf(key, sizeof(key), "%.*s", (int)(eq - o->tags[i]),
			 o->tags[i]);
		json_kv(f, key, eq + 1, i + 1 < o->ntags);
	}
	fprintf(f, "},");
}

/*
 * The kernel's own memory, KiB: unreclaimable slab, kernel stacks and
 * vmalloc.  Reclaimable slab (dentries, inodes) moves with anything else
 * the machine does; page tables grow with the driver's arena, not with
 * the device.
 */
static long kernel_kib(void)
{
	static const char *const keys[] = { "SUnreclaim:", "KernelStack:",
					    "VmallocUsed:" };
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	long sum = 0, v;
	unsigned int i;

	if (!f)
		die("/proc/meminfo: %s", strerror(errno));
	while (fgets(line, sizeof(line), f))
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (!strncmp(line, keys[i], strlen(keys[i])) &&
			    sscanf(line + strlen(keys[i]), "%ld", &v) == 1)
				sum += v;
	fclose(f);
	return sum;
}

/*
 * --mem: what the device holds with every queue in use, measured around
 * it (vg_open() to the last queue's first command), and what is left
 * after the close.  Anything else the machine allocates meanwhile counts
 * too: take the median of several runs.
 */
static void report_mem(const struct opts *o, long before, long attached,
		       long after)
{
	struct utsname u;

	uname(&u);
	printf("{\"tool\":\"fvbench\",\"mode\":\"mem\",");
	json_kv(stdout, "kernel", u.release, true);
	json_kv(stdout, "label", o->label ? o->label : "", true);
	json_tags(stdout, o);
	json_kv(stdout, "dev", o->dev, true);
	printf("\"ok\":true,\"queues\":%u,\"ring\":%u,\"worker_per_vq\":%s,"
	       "\"kernel_kib\":{\"attached\":%ld,\"after_close\":%ld}}\n",
	       o->queues, o->ring, o->worker_per_vq ? "true" : "false",
	       attached - before, after - before);
	if (o->human)
		fprintf(stderr, "%s: %u queues of %u: %ld KiB attached, %ld KiB after close\n",
			o->dev, o->queues, o->ring, attached - before,
			after - before);
}

/* Everything the run measured, for the report. */
struct result {
	uint64_t ios, reads, writes, errors, bytes, kicks, calls;
	uint64_t lat_sum, lat_min, lat_max;
	uint64_t *hist;
	double secs;
	uint64_t worker_ns, driver_ns, driver_sys_ns, machine_ns;
	unsigned int nworkers;
	const struct tasks *ts;
	uint64_t lun_blocks;
	uint32_t lun_block_size;
	const char *err;
};

static double per_io_us(uint64_t ns, uint64_t ios)
{
	return ios ? (double)ns / 1000.0 / (double)ios : 0;
}

static void report(const struct opts *o, const struct result *r)
{
	struct utsname u;
	double iops = r->secs > 0 ? (double)r->ios / r->secs : 0;
	double mibs = r->secs > 0 ? (double)r->bytes / r->secs / 1048576.0 : 0;
	unsigned int i;
	FILE *f = stdout;

	uname(&u);
	fputc('{', f);
	json_kv(f, "tool", "fvbench", true);
	json_kv(f, "kernel", u.release, true);
	json_kv(f, "label", o->label ? o->label : "", true);
	json_tags(f, o);
	json_kv(f, "dev", o->dev, true);
	json_kv(f, "wwn", o->wwn, true);
	fprintf(f, "\"tpgt\":%u,\"lun\":%u,", o->tpgt, o->lun);
	json_kv(f, "rw", o->rw, true);
	fprintf(f, "\"rwmixread\":%u,\"bs\":%u,\"iodepth\":%u,\"queues\":%u,"
		"\"ring\":%u,\"worker_per_vq\":%s,\"spin\":%s,\"dirty_log\":%s,"
		"\"regions\":%u,",
		o->read_pct, o->bs, o->iodepth, o->queues, o->ring,
		o->worker_per_vq ? "true" : "false", o->spin ? "true" : "false",
		o->dirty_log ? "true" : "false", o->regions);
	fprintf(f, "\"lun_blocks\":%" PRIu64 ",\"lun_block_size\":%u,",
		r->lun_blocks, r->lun_block_size);
	fprintf(f, "\"ok\":%s,", r->errors || r->err ? "false" : "true");
	json_kv(f, "error", r->err ? r->err : "", true);
	fprintf(f, "\"runtime_s\":%.4f,\"ramp_s\":%.3f,", r->secs,
		o->ios ? 0.0 : o->ramp);
	fprintf(f, "\"ios\":%" PRIu64 ",\"reads\":%" PRIu64 ",\"writes\":%"
		PRIu64 ",\"errors\":%" PRIu64 ",\"bytes\":%" PRIu64 ",",
		r->ios, r->reads, r->writes, r->errors, r->bytes);
	fprintf(f, "\"iops\":%.1f,\"mib_s\":%.2f,", iops, mibs);
	fprintf(f, "\"lat_us\":{\"mean\":%.2f,\"min\":%.2f,\"p50\":%.2f,"
		"\"p99\":%.2f,\"p99.9\":%.2f,\"max\":%.2f},",
		r->ios ? (double)r->lat_sum / (double)r->ios / 1000 : 0,
		(double)r->lat_min / 1000,
		hist_pct(r->hist, r->ios, 50) / 1000,
		hist_pct(r->hist, r->ios, 99) / 1000,
		hist_pct(r->hist, r->ios, 99.9) / 1000,
		(double)r->lat_max / 1000);
	fprintf(f, "\"kicks_per_io\":%.3f,\"calls_per_io\":%.3f,",
		r->ios ? (double)r->kicks / (double)r->ios : 0,
		r->ios ? (double)r->calls / (double)r->ios : 0);
	fprintf(f, "\"cpu\":{\"worker_s\":%.4f,\"worker_us_per_io\":%.3f,"
		"\"driver_s\":%.4f,\"driver_sys_s\":%.4f,\"driver_us_per_io\":%.3f,"
		"\"machine_s\":%.4f,\"machine_us_per_io\":%.3f,"
		"\"ncpus\":%ld},",
		(double)r->worker_ns / 1e9, per_io_us(r->worker_ns, r->ios),
		(double)r->driver_ns / 1e9, (double)r->driver_sys_ns / 1e9,
		per_io_us(r->driver_ns, r->ios),
		(double)r->machine_ns / 1e9, per_io_us(r->machine_ns, r->ios),
		sysconf(_SC_NPROCESSORS_ONLN));
	fprintf(f, "\"workers\":[");
	for (i = 0; i < r->ts->n; i++) {
		const struct task_cpu *t = &r->ts->t[i];

		fprintf(f, "%s{\"tid\":%d,\"comm\":", i ? "," : "", t->tid);
		json_str(f, t->comm);
		fprintf(f, ",\"cpu_s\":%.4f}", t->seen1 ?
			(double)(t->ns1 - (t->seen0 ? t->ns0 : 0)) / 1e9 : 0.0);
	}
	fprintf(f, "]}\n");
	fflush(f);

	if (o->human)
		fprintf(stderr, "%s %s bs=%u qd=%u q=%u: %.0f IOPS %.1f MiB/s "
			"lat p50 %.1f p99 %.1f p99.9 %.1f us; cpu/io worker %.2f "
			"driver %.2f machine %.2f us (%u workers)%s%s\n",
			o->dev, o->rw, o->bs, o->iodepth, o->queues, iops, mibs,
			hist_pct(r->hist, r->ios, 50) / 1000,
			hist_pct(r->hist, r->ios, 99) / 1000,
			hist_pct(r->hist, r->ios, 99.9) / 1000,
			per_io_us(r->worker_ns, r->ios),
			per_io_us(r->driver_ns, r->ios),
			per_io_us(r->machine_ns, r->ios), r->nworkers,
			r->err ? ": " : "", r->err ? r->err : "");
}

int main(int argc, char **argv)
{
	static struct tasks ts;
	struct opts o;
	struct vg_opts vo;
	struct vg_dev *d;
	struct drv *w;
	struct result r = { 0 };
	struct vg_io tur;
	uint64_t blocks, area, t0, m0 = 0, m1 = 0;
	long k0 = 0, k1;
	uint32_t lbs;
	size_t bufs;
	unsigned int i, j;
	int rc;

	parse(argc, argv, &o);

	vg_opts_default(&vo);
	vo.path = o.dev;
	vo.nr_io_queues = o.queues;
	vo.ring_size = o.ring;
	vo.want_features = (1ULL << VIRTIO_F_VERSION_1) |
			   (1ULL << VIRTIO_RING_F_INDIRECT_DESC) |
			   (1ULL << VIRTIO_RING_F_EVENT_IDX);
	bufs = (size_t)o.queues * o.iodepth * o.bs;
	vo.arena_size = ((bufs + (32 << 20)) + 4095) & ~(size_t)4095;
	if (o.mem)
		k0 = kernel_kib();
	rc = vg_open(&d, &vo);
	if (rc)
		die("open %s: %s", o.dev, strerror(-rc));
	if (o.worker_per_vq && attach_workers(d, o.queues))
		die("%s: worker per queue: %s", o.dev, vg_strerror(d));
	rc = vg_start(d, o.wwn, (uint16_t)o.tpgt);
	if (rc)
		die("%s: attach to %s: %s", o.dev, o.wwn, vg_strerror(d));
	rc = o.dirty_log ? dirty_log_on(d) : 0;
	if (rc)
		die("%s: dirty logging: %s", o.dev, strerror(-rc));
	rc = many_regions(d, o.regions);
	if (rc)
		die("%s: %u memory regions: %s", o.dev, o.regions, strerror(-rc));
	d->quiet = true;
	/* A first command may meet a unit attention; then size the LUN. */
	vg_tur(vg_ioq(d, 0), (uint16_t)o.lun, &tur);
	rc = vg_read_capacity(vg_ioq(d, 0), (uint16_t)o.lun, &blocks, &lbs);
	if (rc)
		rc = vg_read_capacity(vg_ioq(d, 0), (uint16_t)o.lun, &blocks, &lbs);
	if (rc || !lbs || o.bs % lbs)
		die("LUN %u: READ CAPACITY failed or block size %u does not divide bs %u",
		    o.lun, lbs, o.bs);
	r.lun_blocks = blocks;
	r.lun_block_size = lbs;
	if (o.mem) {
		for (i = 1; i < o.queues; i++)
			vg_tur(vg_ioq(d, i), (uint16_t)o.lun, &tur);
		k1 = kernel_kib();
		vg_close(d);
		/* Workers and LIO's sessions go asynchronously. */
		usleep(300000);
		report_mem(&o, k0, k1, kernel_kib());
		return 0;
	}
	area = o.size ? o.size / lbs : blocks;
	if (area > blocks)
		die("--size is larger than the LUN (%" PRIu64 " bytes)", blocks * lbs);
	if (area < (uint64_t)(o.bs / lbs) * o.queues)
		die("LUN area too small for %u queues of %u-byte I/Os", o.queues, o.bs);

	d->timing = true;
	w = calloc(o.queues, sizeof(*w));
	if (!w)
		die("out of memory");
	for (i = 0; i < o.queues; i++) {
		struct drv *x = &w[i];
		uint8_t *mem;

		x->d = d;
		x->q = vg_ioq(d, i);
		x->o = &o;
		x->qi = i;
		x->lba_blocks = o.bs / lbs;
		x->area_blocks = area;
		/* sequential: each queue streams through its own slice */
		x->seq_span = area / o.queues / x->lba_blocks * x->lba_blocks;
		x->seq_base = x->seq_span * i;
		x->rng = (o.seed * 0x9e3779b97f4a7c15ULL) ^ (i + 1);
		x->quota = o.ios / o.queues + (i < o.ios % o.queues);
		x->ios = calloc(o.iodepth, sizeof(*x->ios));
		x->free = calloc(o.iodepth, sizeof(*x->free));
		x->hist = calloc(H_BUCKETS, sizeof(*x->hist));
		mem = vg_alloc(d, (size_t)o.iodepth * o.bs, 4096);
		if (!x->ios || !x->free || !x->hist || !mem)
			die("out of memory for buffers");
		memset(mem, 0x5a, (size_t)o.iodepth * o.bs);
		for (j = 0; j < o.iodepth; j++) {
			x->ios[j].w = x;
			x->ios[j].idx = j;
			x->ios[j].buf = mem + (size_t)j * o.bs;
			x->free[j] = o.iodepth - 1 - j;
		}
		x->nfree = o.iodepth;
	}

	if (o.ios) {
		scan_workers(&ts, false);
		m0 = machine_busy_ns();
	}
	t0 = vg_now_ns() + 20000000ULL;
	for (i = 0; i < o.queues; i++) {
		w[i].t_go = t0;
		w[i].t_start = t0 + (uint64_t)(o.ramp * 1e9);
		w[i].t_end = w[i].t_start + (uint64_t)(o.runtime * 1e9);
		if (pthread_create(&w[i].thr, NULL, drv_main, &w[i]))
			die("pthread_create failed");
	}
	if (!o.ios) {
		sleep_until(w[0].t_start);
		scan_workers(&ts, false);
		m0 = machine_busy_ns();
		sleep_until(w[0].t_end);
		scan_workers(&ts, true);
		m1 = machine_busy_ns();
	}
	r.hist = calloc(H_BUCKETS, sizeof(*r.hist));
	if (!r.hist)
		die("out of memory");
	for (i = 0; i < o.queues; i++) {
		struct drv *x = &w[i];

		pthread_join(x->thr, NULL);
		r.ios += x->n_ios;
		r.reads += x->n_reads;
		r.writes += x->n_writes;
		r.errors += x->n_errors;
		r.bytes += x->bytes;
		r.kicks += x->kicks;
		r.calls += x->calls;
		r.lat_sum += x->lat_sum;
		if (x->lat_min && (!r.lat_min || x->lat_min < r.lat_min))
			r.lat_min = x->lat_min;
		if (x->lat_max > r.lat_max)
			r.lat_max = x->lat_max;
		for (j = 0; j < H_BUCKETS; j++)
			r.hist[j] += x->hist[j];
		r.driver_ns += ru_ns(&x->ru1) - ru_ns(&x->ru0);
		r.driver_sys_ns += tv_ns(&x->ru1.ru_stime) - tv_ns(&x->ru0.ru_stime);
		if (x->err[0] && !r.err)
			r.err = x->err;
	}
	if (o.ios) {
		uint64_t end = 0;

		scan_workers(&ts, true);
		m1 = machine_busy_ns();
		for (i = 0; i < o.queues; i++)
			if (w[i].t_end > end)
				end = w[i].t_end;
		r.secs = (double)(end - t0) / 1e9;
	} else {
		r.secs = o.runtime;
	}
	r.worker_ns = workers_ns(&ts, &r.nworkers);
	r.machine_ns = m1 > m0 ? m1 - m0 : 0;
	r.ts = &ts;
	report(&o, &r);
	vg_close(d);
	return r.errors || r.err ? 1 : 0;
}
