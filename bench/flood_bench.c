/* flood_bench.c - `make bench`'s line-rate figures: one sender floods a veth pair that
 * bench/flood_bench.sh made in namespaces of its own, while the receiving veth runs, in turn, a
 * bare XDP_DROP program and sip_xdp_prog (the agent's, with its maps), both in native mode, on the
 * same frames; with -f, beside the blocked class, bench/floor.bpf.c's floor_blocked too: the least
 * work a blocked source's drop needs, on sip_xdp_prog's own table, so that a ratio to XDP_DROP can
 * be told from what touching a flooded packet at all costs on this machine. Packets are counted by
 * the kernel (the veth's XDP counters, sip_xdp_prog's own).
 * It must never send outside that veth pair: it refuses interfaces that are no veth or that sit in
 * the namespace it was started in, and frames whose addresses are outside 198.18.0.0/15. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <net/if.h>
#include <dirent.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include "flood_nic.h"
#include "flood_send.h"
#include "floors.h"
#include "frame.h"
#include "vosfp.h"

#define TARGET_RATIO	0.95	/* issue 14: every drop class at >= 0.95x a bare XDP_DROP */
#define LEAD_IN_MAX	1000	/* packets a class may spend settling (a rate limit's burst) */
#define DST_ADDR	"198.18.160.1"

enum payload { P_REGISTER, P_OPTIONS, P_SCANNER, P_JUNK };

/* A drop class: what is sent and which of sip_xdp_prog's counters must count it. A class that
 * settles (a source spends its burst, then gets blocked) spends its first packets, and a rate
 * limit's refills, under lead_in counters: LEAD_IN_MAX at most per flood. */
struct flood_class {
	const char *name;
	const char *what;
	enum payload payload;
	int counter;
	unsigned int lead_in;	/* bit per enum vosfp_counter */
};

static const struct flood_class classes[] = {
	{ "blocked", "blocked source, REGISTER", P_REGISTER, VOSFP_CNT_BLOCKED, 0 },
	{ "options", "OPTIONS from an unknown source", P_OPTIONS, VOSFP_CNT_OPTIONS_DROPPED, 0 },
	{ "malformed", "non-SIP datagram to 5060", P_JUNK, VOSFP_CNT_MALFORMED, 0 },
	{ "scanner", "OPTIONS, User-Agent friendly-scanner", P_SCANNER, VOSFP_CNT_SCANNER_DROPPED, 0 },
	{ "rate_limited", "REGISTER over its source's limit", P_REGISTER, VOSFP_CNT_RATE_LIMITED,
	  1u << VOSFP_CNT_PASSED },
	{ "auto_blocked", "REGISTER from an auto-blocked source", P_REGISTER, VOSFP_CNT_AUTO_BLOCKED,
	  1u << VOSFP_CNT_PASSED | 1u << VOSFP_CNT_RATE_LIMITED },
	{ "decision", "REGISTER, CrowdSec-banned source", P_REGISTER,
	  VOSFP_CNT_DECISION_DROPPED, 0 },
};
#define N_CLASSES (sizeof(classes) / sizeof(classes[0]))

static const char *const counter_names[VOSFP_CNT_COUNT] = {
	"OPTIONS_DROPPED", "REDIRECTED", "PASSED", "BLOCKED", "MALFORMED", "RATE_LIMITED",
	"AUTO_BLOCKED", "SCANNER_DROPPED", "DECISION_DROPPED",
};

struct opts {
	const char *send_ns, *send_dev, *recv_ns, *recv_dev;
	const char *link_pin, *counters_pin, *trivial_obj, *floor_obj, *title;
	double seconds, warmup;
	int rounds;
	int by_wall;		/* rank by wall-clock rate (-W), not by CPU-time rate */
	uint64_t max_packets;
};

struct run {
	struct flood_nic nic;
	struct flood_sender sender;
	int counters_fd, ncpus;
	int drop_fd, sip_fd, attached_fd;
	int ifindex;
	struct floors floors;	/* -f: floor_blocked measured beside the blocked class */
};

struct result {
	double mpps;
	double cpu_mpps;	/* per second the sender's thread and ksoftirqd spent on a CPU */
	uint64_t window, counted, sent, busy;
};

/* ---- the frames ---- */

static size_t payload_of(enum payload p, const char *src, char *buf, size_t cap)
{
	const char *ua = p == P_SCANNER ? "friendly-scanner" : "Linphone/5.2.5 (belle-sip/5.2.94)";
	int n;

	if (p == P_JUNK)
		return frame_junk_payload(buf, cap);
	if (p == P_REGISTER)
		n = snprintf(buf, cap,
			     "REGISTER sip:" DST_ADDR " SIP/2.0\r\n"
			     "Via: SIP/2.0/UDP %s:5060;branch=z9hG4bK-flood-1;rport\r\n"
			     "Max-Forwards: 70\r\n"
			     "From: <sip:1001@" DST_ADDR ">;tag=f1001\r\n"
			     "To: <sip:1001@" DST_ADDR ">\r\n"
			     "Call-ID: flood-1001@%s\r\n"
			     "CSeq: 1 REGISTER\r\n"
			     "Contact: <sip:1001@%s:5060>\r\n"
			     "User-Agent: %s\r\n"
			     "Expires: 3600\r\n"
			     "Content-Length: 0\r\n\r\n", src, src, src, ua);
	else
		n = snprintf(buf, cap,
			     "OPTIONS sip:100@" DST_ADDR " SIP/2.0\r\n"
			     "Via: SIP/2.0/UDP %s:5060;branch=z9hG4bK-flood-2;rport\r\n"
			     "Max-Forwards: 70\r\n"
			     "To: \"100\" <sip:100@" DST_ADDR ">\r\n"
			     "From: \"100\" <sip:100@" DST_ADDR ">;tag=f100\r\n"
			     "User-Agent: %s\r\n"
			     "Call-ID: flood-100@%s\r\n"
			     "CSeq: 1 OPTIONS\r\n"
			     "Contact: <sip:100@%s:5060>\r\n"
			     "Accept: application/sdp\r\n"
			     "Content-Length: 0\r\n\r\n", src, ua, src, src);
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

static int in_bench_block(const char *addr)
{
	struct in_addr a;

	return inet_pton(AF_INET, addr, &a) == 1 && (ntohl(a.s_addr) & 0xfffe0000u) == 0xc6120000u;
}

/* ---- namespaces ---- */

static int same_netns(int a, int b)
{
	struct stat sa, sb;

	return !fstat(a, &sa) && !fstat(b, &sb) && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* Enter the network namespace at path (/run/netns/NAME): never the one we started in. */
static int enter_netns(const char *path, int home)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), err = 0;

	if (fd < 0) {
		err = -errno;
		fprintf(stderr, "flood_bench: %s: %s\n", path, strerror(errno));
		return err;
	}
	if (same_netns(fd, home)) {
		fprintf(stderr, "flood_bench: %s is the namespace this ran in: the flood stays in the bench's own\n", path);
		err = -EPERM;
	} else if (setns(fd, CLONE_NEWNET)) {
		err = -errno;
		fprintf(stderr, "flood_bench: cannot enter %s: %s\n", path, strerror(errno));
	}
	close(fd);
	return err;
}

/* ---- the programs ---- */

static int load_drop(const char *path, struct bpf_object **obj)
{
	struct bpf_program *prog;
	int err;

	*obj = bpf_object__open_file(path, NULL);
	if (!*obj)
		return -errno;
	err = bpf_object__load(*obj);
	prog = bpf_object__find_program_by_name(*obj, "trivial_drop");
	if (err || !prog) {
		fprintf(stderr, "flood_bench: %s: cannot load trivial_drop: %s\n", path,
			strerror(err ? -err : ENOENT));
		return err ? err : -ENOENT;
	}
	return bpf_program__fd(prog);
}

/* The agent's sip_xdp_prog, through the link it pinned: the same program and maps it runs. */
static int agent_prog(const char *link_pin)
{
	struct bpf_link_info info;
	__u32 len = sizeof(info);
	int link = bpf_obj_get(link_pin), fd;

	if (link < 0) {
		fprintf(stderr, "flood_bench: %s: %s\n", link_pin, strerror(errno));
		return -errno;
	}
	memset(&info, 0, sizeof(info));
	fd = bpf_obj_get_info_by_fd(link, &info, &len) ? -errno : bpf_prog_get_fd_by_id(info.prog_id);
	close(link);
	if (fd < 0)
		fprintf(stderr, "flood_bench: no program behind %s: %s\n", link_pin, strerror(-fd));
	return fd < 0 ? -errno : fd;
}

/* Swap fd in, native mode; only ever replacing the program this run attached. */
static int attach(struct run *r, int fd)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, o, .old_prog_fd = r->attached_fd);
	__u32 flags = XDP_FLAGS_DRV_MODE | (r->attached_fd < 0 ? XDP_FLAGS_UPDATE_IF_NOEXIST : XDP_FLAGS_REPLACE);
	int err = bpf_xdp_attach(r->ifindex, fd, flags, r->attached_fd < 0 ? NULL : &o);

	if (err) {
		fprintf(stderr, "flood_bench: native XDP attach on %s: %s\n", r->nic.ifname, strerror(-err));
		return err;
	}
	r->attached_fd = fd;
	return 0;
}

static int read_counters(const struct run *r, uint64_t out[VOSFP_CNT_COUNT])
{
	uint64_t *v = calloc((size_t)r->ncpus, sizeof(*v));

	if (!v)
		return -ENOMEM;
	for (__u32 k = 0; k < VOSFP_CNT_COUNT; k++) {
		if (bpf_map_lookup_elem(r->counters_fd, &k, v)) {
			free(v);
			return -errno;
		}
		out[k] = 0;
		for (int c = 0; c < r->ncpus; c++)
			out[k] += v[c];
	}
	free(v);
	return 0;
}

/* ---- measuring ---- */

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void nap(double s)
{
	struct timespec d = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };

	while (nanosleep(&d, &d) && errno == EINTR)
		;
}

/* The receive path has drained once its counter stops moving (bounded: 2 s). */
static int settled(const struct run *r, struct flood_count *c)
{
	struct flood_count prev = { 0 };
	int err = flood_nic_read(&r->nic, c);

	for (int i = 0; !err && i < 100; i++) {
		prev = *c;
		nap(0.02);
		if ((err = flood_nic_read(&r->nic, c)))
			break;
		if (c->packets == prev.packets)
			return 0;
	}
	return err ? err : -ETIMEDOUT;
}

/* One timed flood: warm up, then count what XDP saw in the window. */
/* Seconds the flood spent on a CPU, by the kernel's accounting: the sender's thread, which runs
 * the receiving veth's NAPI poll (XDP included) inline when it hands a frame over, plus every
 * ksoftirqd, which takes that poll over when softirqs pile up. Time other work took from the
 * flood is left out: on a shared host this is the steadier clock. It holds while softirq time
 * is charged to the task it interrupts (no CONFIG_IRQ_TIME_ACCOUNTING): flood_bench.sh checks. */
static double cpu_s(const struct run *r)
{
	struct timespec t;
	clockid_t id;
	double sum = 0;
	DIR *d = opendir("/proc");
	struct dirent *e;

	if (!pthread_getcpuclockid(r->sender.thread, &id) && !clock_gettime(id, &t))
		sum = (double)t.tv_sec + (double)t.tv_nsec / 1e9;
	while (d && (e = readdir(d))) {
		char path[300], comm[64] = "";
		unsigned long long ns;
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%s/comm", e->d_name);
		if (!(f = fopen(path, "r")))
			continue;
		if (!fgets(comm, sizeof(comm), f) || strncmp(comm, "ksoftirqd/", 10)) {
			fclose(f);
			continue;
		}
		fclose(f);
		snprintf(path, sizeof(path), "/proc/%s/schedstat", e->d_name);
		if ((f = fopen(path, "r"))) {
			if (fscanf(f, "%llu", &ns) == 1)
				sum += (double)ns / 1e9;
			fclose(f);
		}
	}
	if (d)
		closedir(d);
	return sum;
}

static int flood(struct run *r, const struct opts *o, struct result *res)
{
	struct flood_count a, b;
	double t0, t1, c0 = 0, c1 = 0;
	int err;

	if ((err = flood_start(&r->sender)))
		return err;
	nap(o->warmup);
	err = flood_nic_read(&r->nic, &a);
	t0 = now_s();
	c0 = cpu_s(r);
	if (!err) {
		nap(o->seconds);
		err = flood_nic_read(&r->nic, &b);
		t1 = now_s();
		c1 = cpu_s(r);
	}
	flood_stop(&r->sender);
	if (err)
		return err;
	if (r->sender.err) {
		fprintf(stderr, "flood_bench: sending on the bench veth failed: %s\n", strerror(r->sender.err));
		return -r->sender.err;
	}
	res->window = b.packets - a.packets;
	res->mpps = (double)res->window / (t1 - t0) / 1e6;
	res->cpu_mpps = (double)res->window / (c1 - c0) / 1e6;
	res->sent = r->sender.sent;
	res->busy = r->sender.busy;
	return 0;
}

/* Flood with a program that drops every frame of the flood (the bare XDP_DROP, or floor_blocked
 * for a source in the table): every frame the receive path saw was dropped. */
static int measure_drop(struct run *r, const struct opts *o, int fd, const char *name, struct result *res)
{
	struct flood_count before, after;
	int err = attach(r, fd);

	if (!err)
		err = settled(r, &before);
	if (!err)
		err = flood(r, o, res);
	if (!err)
		err = settled(r, &after);
	if (err)
		return err;
	res->counted = after.packets - before.packets;
	if (after.drops - before.drops != res->counted) {
		fprintf(stderr, "flood_bench: %s: %s saw %llu frames, dropped %llu\n", name, r->nic.ifname,
			(unsigned long long)res->counted, (unsigned long long)(after.drops - before.drops));
		return -EPROTO;
	}
	return 0;
}

/* Flood with sip_xdp_prog: its own counters, read with the flood stopped, must account for every
 * frame the veth saw, all under the class's counter but for a lead-in. */
static int measure_sip(struct run *r, const struct opts *o, const struct flood_class *c,
		       struct result *res)
{
	uint64_t before[VOSFP_CNT_COUNT], after[VOSFP_CNT_COUNT], lead = 0, other = 0;
	struct flood_count nb, na;
	int err = attach(r, r->sip_fd);

	if (!err)
		err = settled(r, &nb);
	if (!err)
		err = read_counters(r, before);
	if (!err)
		err = flood(r, o, res);
	if (!err)
		err = settled(r, &na);
	if (!err)
		err = read_counters(r, after);
	if (err)
		return err;
	res->counted = after[c->counter] - before[c->counter];
	for (int k = 0; k < VOSFP_CNT_COUNT; k++) {
		uint64_t d = after[k] - before[k];

		if (k == c->counter || !d)
			continue;
		if (c->lead_in & (1u << k))
			lead += d;
		else
			other += d;
	}
	if (res->counted + lead + other == na.packets - nb.packets && !other && lead <= LEAD_IN_MAX &&
	    res->counted)
		return 0;
	fprintf(stderr, "flood_bench: %s: %s saw %llu frames; sip_xdp_prog counted %llu under %s, "
		"%llu settling, %llu elsewhere:", c->name, r->nic.ifname,
		(unsigned long long)(na.packets - nb.packets), (unsigned long long)res->counted,
		counter_names[c->counter], (unsigned long long)lead, (unsigned long long)other);
	for (int k = 0; k < VOSFP_CNT_COUNT; k++)
		if (after[k] != before[k])
			fprintf(stderr, " %s +%llu", counter_names[k], (unsigned long long)(after[k] - before[k]));
	fprintf(stderr, "\n");
	return -EPROTO;
}

static const struct flood_class *class_named(const char *name)
{
	for (size_t i = 0; i < N_CLASSES; i++)
		if (!strcmp(classes[i].name, name))
			return &classes[i];
	return NULL;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: flood_bench [-d SECONDS] [-r ROUNDS] [-W] [-w WARMUP] [-m MAX_PACKETS] [-T TITLE] -n SEND_NS -i SEND_DEV\n"
		"                   -N RECV_NS -I RECV_DEV -l LINK_PIN -c COUNTERS_PIN -t TRIVIAL_OBJ CLASS=SRC...\n"
		"Flood RECV_DEV from its veth peer SEND_DEV (namespaces as /run/netns/NAME paths) with one\n"
		"sender, each CLASS from source SRC, under a bare XDP_DROP (trivial_drop of TRIVIAL_OBJ) and\n"
		"under the sip_xdp_prog behind the agent's pinned LINK_PIN (COUNTERS_PIN: its xdp_counters),\n"
		"both attached natively to RECV_DEV in turn. Run by bench/flood_bench.sh, which makes them.\n"
		"  -d SECONDS      timed window per flood (default 1)\n"
		"  -r ROUNDS       floods per program and class, taking turns; the best counts (default 3)\n"
		"  -W              rank rounds and ratios by the wall-clock rate (default: packets per\n"
		"                  second the flood spent on a CPU: the sender's thread and ksoftirqd)\n"
		"  -w WARMUP       flood before the window opens (default 0.2)\n"
		"  -m MAX_PACKETS  bound per flood (default 100000000)\n"
		"  -f FLOOR_OBJ    also flood floor_blocked of FLOOR_OBJ (bench/floor.bpf.c) beside the\n"
		"                  blocked class, on the table pinned beside COUNTERS_PIN\n"
		"Classes:");
	for (size_t i = 0; i < N_CLASSES; i++)
		fprintf(f, " %s", classes[i].name);
	fprintf(f, "\nSources and the destination lie in 198.18.0.0/15.\n"
		"Exit status: 0 measured (targets met or not); 1 something did not work; 2 usage.\n");
}

static int parse(int argc, char **argv, struct opts *o)
{
	int c;

	*o = (struct opts){ .seconds = 1, .warmup = 0.2, .rounds = 3, .max_packets = 100000000, .title = "" };
	while ((c = getopt(argc, argv, "d:r:Ww:m:T:n:i:N:I:l:c:t:f:h")) != -1) {
		switch (c) {
		case 'd': o->seconds = atof(optarg); break;
		case 'r': o->rounds = atoi(optarg); break;
		case 'W': o->by_wall = 1; break;
		case 'w': o->warmup = atof(optarg); break;
		case 'm': o->max_packets = strtoull(optarg, NULL, 10); break;
		case 'T': o->title = optarg; break;
		case 'n': o->send_ns = optarg; break;
		case 'i': o->send_dev = optarg; break;
		case 'N': o->recv_ns = optarg; break;
		case 'I': o->recv_dev = optarg; break;
		case 'l': o->link_pin = optarg; break;
		case 'c': o->counters_pin = optarg; break;
		case 't': o->trivial_obj = optarg; break;
		case 'f': o->floor_obj = optarg; break;
		case 'h': usage(stdout); exit(0);
		default: return -1;
		}
	}
	if (!o->send_ns || !o->send_dev || !o->recv_ns || !o->recv_dev || !o->link_pin ||
	    !o->counters_pin || !o->trivial_obj || optind >= argc || o->seconds <= 0 ||
	    o->seconds > 60 || o->rounds < 1 || o->rounds > 20 || o->warmup < 0 || o->warmup > 10 || !o->max_packets)
		return -1;
	for (int i = optind; i < argc; i++) {
		char *eq = strchr(argv[i], '=');
		int known = 0;

		if (eq) {
			*eq = 0;
			known = class_named(argv[i]) && in_bench_block(eq + 1);
			*eq = '=';
		}
		if (!known) {
			fprintf(stderr, "flood_bench: '%s' is not CLASS=SRC with a known class and a source in 198.18.0.0/15\n",
				argv[i]);
			return -1;
		}
	}
	return 0;
}

/* The floors on the agent's own maps, pinned beside its counters: floor_blocked looks the flood's
 * source up in the same 1,000,000-entry table as sip_xdp_prog. */
static int open_floors(struct run *r, const struct opts *o)
{
	const char *slash = strrchr(o->counters_pin, '/');
	int dir_len = slash ? (int)(slash - o->counters_pin) : 1, blocked, rate, err;
	char path[4096];

	snprintf(path, sizeof(path), "%.*s/blocked_ips", dir_len, slash ? o->counters_pin : ".");
	blocked = bpf_obj_get(path);
	snprintf(path, sizeof(path), "%.*s/rate_slots", dir_len, slash ? o->counters_pin : ".");
	rate = bpf_obj_get(path);
	if (blocked < 0 || rate < 0) {
		fprintf(stderr, "flood_bench: the agent's blocked_ips and rate_slots pins: %s\n", strerror(errno));
		err = -errno;
	} else {
		err = floors_open(&r->floors, o->floor_obj, blocked, rate, 0);
	}
	if (blocked >= 0)
		close(blocked);
	if (rate >= 0)
		close(rate);
	return err;
}

static int setup(struct run *r, const struct opts *o, struct bpf_object **drop_obj)
{
	int home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC), err;
	struct flood_nic peer;

	if (home < 0)
		return -errno;
	/* The sender's socket is bound in its namespace, to a veth; then this thread stays in the
	 * receiver's, where the XDP attachments and ethtool reads resolve. */
	err = enter_netns(o->send_ns, home);
	if (!err && !(err = flood_nic_open(&peer, o->send_dev))) {
		flood_nic_close(&peer);
		r->sender.fd = flood_socket(o->send_dev);
		if (r->sender.fd < 0) {
			err = r->sender.fd;
			fprintf(stderr, "flood_bench: packet socket on %s: %s\n", o->send_dev, strerror(-err));
		}
	}
	if (!err)
		err = enter_netns(o->recv_ns, home);
	close(home);
	if (err || (err = flood_nic_open(&r->nic, o->recv_dev)))
		return err;
	r->ifindex = (int)if_nametoindex(o->recv_dev);
	r->ncpus = libbpf_num_possible_cpus();
	r->counters_fd = bpf_obj_get(o->counters_pin);
	if (r->counters_fd < 0) {
		fprintf(stderr, "flood_bench: %s: %s\n", o->counters_pin, strerror(errno));
		return -errno;
	}
	if ((r->sip_fd = agent_prog(o->link_pin)) < 0)
		return r->sip_fd;
	r->drop_fd = load_drop(o->trivial_obj, drop_obj);
	if (r->drop_fd < 0)
		return r->drop_fd;
	return o->floor_obj ? open_floors(r, o) : 0;
}

/* Best and worst of a program's rounds: on a shared host the best is the one least disturbed. */
struct rounds {
	double best, worst;		/* the ranking rate (-W: wall, else CPU) */
	double best_wall, best_cpu;	/* both rates of the best round */
	uint64_t counted, sent;
};

static void add_round(struct rounds *r, int i, const struct result *res, int by_wall)
{
	double rate = by_wall ? res->mpps : res->cpu_mpps;

	if (!i || rate > r->best) {
		r->best = rate;
		r->best_wall = res->mpps;
		r->best_cpu = res->cpu_mpps;
	}
	if (!i || rate < r->worst)
		r->worst = rate;
	r->counted += res->counted;
	r->sent += res->sent;
}

static void print_row(const struct flood_class *c, size_t bytes, const struct rounds *sip,
		      const struct rounds *drop, int by_wall)
{
	double ratio = drop->best > 0 ? sip->best / drop->best : 0;
	/* What sip_xdp_prog adds to each packet's whole trip (sending included), in ns. */
	double extra = sip->best > 0 && drop->best > 0 ? 1e3 / sip->best - 1e3 / drop->best : 0;
	const char *status = ratio >= TARGET_RATIO ? "ok" : "over";

	printf("%-13s %-38s %5zu %6.3f (%5.3f) %6.3f (%5.3f) %6.1f %6.3f %6.2f %-6s\n", c->name,
	       c->what, bytes, sip->best, sip->worst, drop->best, drop->worst, extra, ratio,
	       TARGET_RATIO, status);
	printf("BENCH flood class=%s bytes=%zu mpps=%.3f drop_mpps=%.3f ratio=%.3f target=%.2f status=%s "
	       "extra_ns=%.1f basis=%s mpps_worst=%.3f drop_mpps_worst=%.3f wall_mpps=%.3f drop_wall_mpps=%.3f "
	       "cpu_mpps=%.3f drop_cpu_mpps=%.3f packets=%llu drop_packets=%llu sent=%llu drop_sent=%llu\n",
	       c->name, bytes, sip->best, drop->best, ratio, TARGET_RATIO, status, extra,
	       by_wall ? "wall" : "cpu",
	       sip->worst, drop->worst, sip->best_wall, drop->best_wall, sip->best_cpu, drop->best_cpu,
	       (unsigned long long)sip->counted, (unsigned long long)drop->counted,
	       (unsigned long long)sip->sent, (unsigned long long)drop->sent);
	fflush(stdout);
}

/* floor_blocked beside the blocked class: the share of XDP_DROP that any filter doing a blocked
 * source's job can keep here. */
static void print_floor(const struct flood_class *c, const struct rounds *floor, const struct rounds *drop,
			int by_wall)
{
	double ratio = drop->best > 0 ? floor->best / drop->best : 0;
	double extra = floor->best > 0 && drop->best > 0 ? 1e3 / floor->best - 1e3 / drop->best : 0;

	printf("  %-11s %-38s %5s %6.3f (%5.3f) %6.3f (%5.3f) %6.1f %6.3f  (floor: parse, one lookup in the same table, one counter)\n",
	       "floor", "floor_blocked, the same frames", "", floor->best, floor->worst, drop->best, drop->worst,
	       extra, ratio);
	printf("BENCH flood_floor name=floor_blocked class=%s mpps=%.3f drop_mpps=%.3f ratio=%.3f extra_ns=%.1f basis=%s "
	       "mpps_worst=%.3f packets=%llu\n", c->name, floor->best, drop->best, ratio, extra,
	       by_wall ? "wall" : "cpu", floor->worst, (unsigned long long)floor->counted);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct run r = { .counters_fd = -1, .drop_fd = -1, .sip_fd = -1, .attached_fd = -1 };
	struct bpf_object *drop_obj = NULL;
	struct opts o;
	int err;

	if (parse(argc, argv, &o)) {
		usage(stderr);
		return 2;
	}
	r.nic.fd = r.sender.fd = -1;
	err = setup(&r, &o, &drop_obj);
	if (!err)
		printf("\nflood: one sender, native XDP on %s (veth); %s\n"
		       "Mpps %s: the best (worst) of %d floods of %.1f s per program, taking turns;\n"
		       "+ns: what sip_xdp_prog adds to a packet's whole trip (send, veth, XDP), from the bests\n"
		       "%-13s %-38s %5s %14s %14s %6s %6s %6s %-6s\n", o.recv_dev, o.title,
		       o.by_wall ? "by the wall clock" : "per second of CPU the flood had (sender + softirq)",
		       o.rounds, o.seconds, "class", "frames", "bytes", "vosfp", "XDP_DROP", "+ns", "ratio",
		       "target", "status");
	for (int i = optind; !err && i < argc; i++) {
		char *src = strchr(argv[i], '=') + 1, payload[1024];
		const struct flood_class *c;
		struct frame_spec spec = { .family = 4, .src = src, .dst = DST_ADDR, .sport = 5060 };
		static uint8_t frame[FRAME_MAX];
		struct rounds sip = { 0 }, drop = { 0 }, floor = { 0 };
		int with_floor;

		src[-1] = 0;
		c = class_named(argv[i]);
		with_floor = o.floor_obj && c->counter == VOSFP_CNT_BLOCKED;
		spec.payload = payload;
		spec.payload_len = payload_of(c->payload, src, payload, sizeof(payload));
		r.sender.frame = frame;
		r.sender.len = frame_build(&spec, frame, sizeof(frame));
		r.sender.max_packets = o.max_packets;
		r.sender.max_seconds = o.warmup + o.seconds + 1;
		if (!spec.payload_len || !r.sender.len) {
			fprintf(stderr, "flood_bench: %s: frame does not fit\n", c->name);
			err = -EINVAL;
			break;
		}
		/* XDP_DROP and sip_xdp_prog take turns: both meet the same moods of a shared host. */
		for (int round = 0; !err && round < o.rounds; round++) {
			struct result res = { 0 };

			if (!(err = measure_drop(&r, &o, r.drop_fd, "XDP_DROP", &res)))
				add_round(&drop, round, &res, o.by_wall);
			if (!err && with_floor &&
			    !(err = measure_drop(&r, &o, r.floors.fds[FLOOR_BLOCKED], "floor_blocked", &res)))
				add_round(&floor, round, &res, o.by_wall);
			if (!err && !(err = measure_sip(&r, &o, c, &res)))
				add_round(&sip, round, &res, o.by_wall);
		}
		if (!err)
			print_row(c, r.sender.len, &sip, &drop, o.by_wall);
		if (!err && with_floor)
			print_floor(c, &floor, &drop, o.by_wall);
	}
	if (r.attached_fd >= 0) {
		LIBBPF_OPTS(bpf_xdp_attach_opts, mine, .old_prog_fd = r.attached_fd);

		bpf_xdp_detach(r.ifindex, XDP_FLAGS_DRV_MODE | XDP_FLAGS_REPLACE, &mine);
	}
	bpf_object__close(drop_obj);
	floors_close(&r.floors);
	return err ? 1 : 0;
}
