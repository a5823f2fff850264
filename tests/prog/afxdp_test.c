/* afxdp_test.c - proves that sip_xdp_prog hands good SIP to a real AF_XDP socket, and nothing
 * else: a veth pair in a private network namespace, the program on one end, an XSK on its queue 0,
 * frames sent from the other end. It must never touch anything outside the namespace it creates,
 * and removes that namespace even when an assertion fails (checked and unchecked teardown, atexit). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netpacket/packet.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/if_xdp.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/xsk.h>
#include <check.h>

#include "frame.h"
#include "prog_harness.h"
#include "sip_logic.skel.h"
#include "counters.h"
#include "vosfp.h"

#define NETNS_DIR	"/var/run/netns"
#define RX_ADDR		"198.18.0.1"	/* receiving end: XDP + XSK */
#define TX_ADDR		"198.18.0.2"	/* sending end */
#define ALLOWED_SRC	"198.18.0.7"	/* allowlisted: its OPTIONS are redirected */
#define UNKNOWN_SRC	"198.18.0.9"	/* listed nowhere: its OPTIONS are dropped */
#define BLOCKED_SRC	"198.18.1.66"	/* blocklisted exactly */
#define BLOCKED_NET	"198.18.2.0/24"	/* blocklisted prefix ... */
#define BLOCKED_NET_SRC	"198.18.2.9"	/* ... and a source inside it */

#define GOOD_FRAMES	64		/* SIP that must reach the socket */
#define GOOD_PER_BAD	4		/* one frame that must not, after every this many good ones */
#define BAD_FRAMES	(GOOD_FRAMES / GOOD_PER_BAD)
#define TOTAL_FRAMES	(GOOD_FRAMES + BAD_FRAMES)
#define SLOT_BYTES	2048

/* UMEM and rings: far more room than the frames sent, so nothing is ever dropped for want of a
 * buffer (an exact count must not depend on ring pressure). */
#define XSK_FRAMES	512
#define XSK_FRAME_SIZE	XSK_UMEM__DEFAULT_FRAME_SIZE

#define RX_WAIT_MS	5000		/* all good frames must arrive within this */
#define SETTLE_WAIT_MS	2000		/* counters must reach their totals within this */
#define QUIET_MS	200		/* and stay there, with no extra frame, this long */
#define CMD_WAIT_MS	10000		/* one ip(8) command */

/* Everything the test creates, so that any teardown path can undo exactly that. */
static struct {
	char ns[32];
	char rx_if[IFNAMSIZ], tx_if[IFNAMSIZ];
	int orig_netns;			/* our original namespace while inside ns, else -1 */
	struct harness h;
	int rx_ifindex;
	__u32 attach_mode;		/* XDP_FLAGS_DRV_MODE / _SKB_MODE while attached, else 0 */
	void *umem_area;
	struct xsk_umem *umem;
	struct xsk_socket *xsk;
	struct xsk_ring_prod fill;
	struct xsk_ring_cons comp, rx;
	int tx_sock;
} env = { .orig_netns = -1, .tx_sock = -1 };

/* One frame sent, and what must become of it. */
struct sent_frame {
	uint8_t bytes[SLOT_BYTES];
	size_t len;
	int counter;			/* enum vosfp_counter, or -1 when uncounted */
	int received;			/* times it came out of the socket */
	const char *what;
};

static struct sent_frame frames[TOTAL_FRAMES];

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static const char *ip_binary(void)
{
	static const char *const candidates[] = { "/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip" };

	for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++)
		if (access(candidates[i], X_OK) == 0)
			return candidates[i];
	return "ip";
}

/* Run ip(8) with argv (argv[0] ignored), waiting a bounded time. Returns its exit status, or -1
 * if it could not run or had to be killed. quiet: its stderr goes to /dev/null. */
static int run_ip(char *const argv[], int quiet)
{
	posix_spawn_file_actions_t fa;
	const char *ip = ip_binary();
	int status = 0, ret;
	pid_t pid;

	posix_spawn_file_actions_init(&fa);
	if (quiet)
		posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
	ret = ip[0] == '/' ? posix_spawn(&pid, ip, &fa, NULL, argv, environ)
			   : posix_spawnp(&pid, ip, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (ret) {
		fprintf(stderr, "afxdp: cannot run %s: %s\n", ip, strerror(ret));
		return -1;
	}
	for (long waited = 0;; waited += 10) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid)
			break;
		if (w < 0 && errno != EINTR)
			return -1;
		if (waited >= CMD_WAIT_MS) {
			fprintf(stderr, "afxdp: %s %s did not finish in %d ms: killed\n", ip, argv[1],
				CMD_WAIT_MS);
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -1;
		}
		sleep_ms(10);
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

#define IP(quiet, ...) run_ip((char *const[]){ "ip", __VA_ARGS__, NULL }, quiet)

static int ns_exists(void)
{
	char path[sizeof(NETNS_DIR) + sizeof(env.ns) + 1];

	snprintf(path, sizeof(path), NETNS_DIR "/%s", env.ns);
	return env.ns[0] && access(path, F_OK) == 0;
}

/* Delete the namespace (and, first, the veth pair in it: should a reference keep the namespace
 * alive, the interfaces still go now). Idempotent. */
static void ns_remove(void)
{
	if (!ns_exists())
		return;
	IP(1, "-n", env.ns, "link", "del", env.rx_if);
	IP(0, "netns", "del", env.ns);
}

/* Undo what this process holds, in reverse order of creation. Idempotent. */
static void release_local(void)
{
	if (env.attach_mode) {
		int err = bpf_xdp_detach(env.rx_ifindex, env.attach_mode, NULL);

		if (err)
			fprintf(stderr, "afxdp: %s: detach failed: %s\n", env.rx_if, strerror(-err));
		env.attach_mode = 0;
	}
	if (env.xsk)
		xsk_socket__delete(env.xsk);
	env.xsk = NULL;
	if (env.umem)
		xsk_umem__delete(env.umem);
	env.umem = NULL;
	if (env.umem_area)
		munmap(env.umem_area, (size_t)XSK_FRAMES * XSK_FRAME_SIZE);
	env.umem_area = NULL;
	harness_close(&env.h);
	if (env.tx_sock >= 0)
		close(env.tx_sock);
	env.tx_sock = -1;
	if (env.orig_netns >= 0) {
		if (setns(env.orig_netns, CLONE_NEWNET))
			fprintf(stderr, "afxdp: cannot return to the original network namespace: %s\n",
				strerror(errno));
		close(env.orig_netns);
		env.orig_netns = -1;
	}
}

/* Every teardown path: the checked fixture (after a failure it runs only under CK_NOFORK; a
 * failed forked test exits at once), the unchecked fixture in the runner itself (cleans up for a
 * forked test that failed, crashed or timed out) and atexit (a runner that exits early). */
static void cleanup_all(void)
{
	release_local();
	ns_remove();
}

/* Unchecked setup, in the runner's own process: fix the names (a forked test inherits them) and
 * make sure whatever happens to the test, the runner removes the namespace. */
static void afxdp_setup(void)
{
	static int registered;
	unsigned pid = (unsigned)getpid();

	snprintf(env.ns, sizeof(env.ns), "vosfp-xsk-%u", pid);
	snprintf(env.rx_if, sizeof(env.rx_if), "vxa%u", pid);
	snprintf(env.tx_if, sizeof(env.tx_if), "vxb%u", pid);
	if (!registered && atexit(cleanup_all) == 0)
		registered = 1;
}

static int get_mac(int fd, const char *ifname, uint8_t mac[ETH_ALEN])
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr))
		return -errno;
	memcpy(mac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	return 0;
}

static void create_namespace(void)
{
	if (ns_exists()) {
		fprintf(stderr, "afxdp: removing %s, left by an earlier failed run\n", env.ns);
		ns_remove();
	}
	ck_assert_msg(IP(0, "netns", "add", env.ns) == 0, "ip netns add %s failed", env.ns);
	/* One queue each way: the socket is bound to queue 0 and every frame must arrive there. */
	ck_assert_msg(IP(0, "-n", env.ns, "link", "add", env.rx_if, "numtxqueues", "1", "numrxqueues",
			 "1", "type", "veth", "peer", "name", env.tx_if, "numtxqueues", "1",
			 "numrxqueues", "1") == 0,
		      "cannot create veth pair %s/%s in %s", env.rx_if, env.tx_if, env.ns);
	ck_assert(IP(0, "-n", env.ns, "addr", "add", RX_ADDR "/32", "dev", env.rx_if) == 0);
	ck_assert(IP(0, "-n", env.ns, "addr", "add", TX_ADDR "/32", "dev", env.tx_if) == 0);
	ck_assert(IP(0, "-n", env.ns, "link", "set", env.rx_if, "up") == 0);
	ck_assert(IP(0, "-n", env.ns, "link", "set", env.tx_if, "up") == 0);
}

static void enter_namespace(void)
{
	char path[sizeof(NETNS_DIR) + sizeof(env.ns) + 1];
	int fd;

	snprintf(path, sizeof(path), NETNS_DIR "/%s", env.ns);
	env.orig_netns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	ck_assert_msg(env.orig_netns >= 0, "cannot open own netns: %s", strerror(errno));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ck_assert_msg(fd >= 0, "cannot open %s: %s", path, strerror(errno));
	if (setns(fd, CLONE_NEWNET)) {
		int err = errno;

		close(fd);
		close(env.orig_netns);
		env.orig_netns = -1;
		ck_abort_msg("setns(%s) failed: %s", path, strerror(err));
	}
	close(fd);
}

/* Native first (veth runs XDP in its NAPI poll), generic when the kernel refuses it or when
 * generic is what this run is for. */
static const char *attach_program(int generic_only)
{
	int prog_fd = env.h.prog_fd, err;

	if (!generic_only) {
		err = bpf_xdp_attach(env.rx_ifindex, prog_fd,
				     XDP_FLAGS_UPDATE_IF_NOEXIST | XDP_FLAGS_DRV_MODE, NULL);
		if (!err) {
			env.attach_mode = XDP_FLAGS_DRV_MODE;
			return "native (driver) mode";
		}
		fprintf(stderr, "afxdp: %s: native XDP refused (%s), trying generic\n", env.rx_if,
			strerror(-err));
	}
	err = bpf_xdp_attach(env.rx_ifindex, prog_fd,
			     XDP_FLAGS_UPDATE_IF_NOEXIST | XDP_FLAGS_SKB_MODE, NULL);
	ck_assert_msg(!err, "%s: generic XDP attach failed: %s", env.rx_if, strerror(-err));
	env.attach_mode = XDP_FLAGS_SKB_MODE;
	return "generic (SKB) mode";
}

static void open_xsk(void)
{
	struct xsk_umem_config ucfg = {
		.fill_size = XSK_FRAMES,
		.comp_size = XSK_RING_CONS__DEFAULT_NUM_DESCS,
		.frame_size = XSK_FRAME_SIZE,
		.frame_headroom = 0,
		.flags = 0,
	};
	struct xsk_socket_config scfg = {
		.rx_size = XSK_FRAMES,
		.tx_size = XSK_RING_PROD__DEFAULT_NUM_DESCS,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,	/* our program, not libxdp's */
		.xdp_flags = env.attach_mode,
		.bind_flags = XDP_COPY,
	};
	size_t size = (size_t)XSK_FRAMES * XSK_FRAME_SIZE;
	__u32 key = 0, idx = 0;
	int xsk_fd, err;
	void *area;

	/* libxdp initialises the rings' cached producer index only by assuming a zeroed struct:
	 * a ring left over from an earlier run (CK_NOFORK runs the loop in one process) would
	 * start full. */
	memset(&env.fill, 0, sizeof(env.fill));
	memset(&env.comp, 0, sizeof(env.comp));
	memset(&env.rx, 0, sizeof(env.rx));
	area = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_msg(area != MAP_FAILED, "cannot map UMEM: %s", strerror(errno));
	env.umem_area = area;
	err = xsk_umem__create(&env.umem, env.umem_area, size, &env.fill, &env.comp, &ucfg);
	ck_assert_msg(!err, "xsk_umem__create: %s", strerror(-err));
	err = xsk_socket__create(&env.xsk, env.rx_if, 0, env.umem, &env.rx, NULL, &scfg);
	ck_assert_msg(!err, "xsk_socket__create(%s, queue 0, copy mode): %s", env.rx_if,
		      strerror(-err));

	xsk_fd = xsk_socket__fd(env.xsk);
	err = bpf_map_update_elem(bpf_map__fd(env.h.skel->maps.xsks_map), &key, &xsk_fd, BPF_ANY);
	ck_assert_msg(!err, "cannot put the socket in xsks_map[0]: %s", strerror(errno));

	ck_assert_uint_eq(xsk_ring_prod__reserve(&env.fill, XSK_FRAMES, &idx), XSK_FRAMES);
	for (__u32 i = 0; i < XSK_FRAMES; i++)
		*xsk_ring_prod__fill_addr(&env.fill, idx + i) = (__u64)i * XSK_FRAME_SIZE;
	xsk_ring_prod__submit(&env.fill, XSK_FRAMES);
}

/* ---- the frames ---- */

static size_t sip_request(char *buf, size_t cap, const char *method, const char *src, int seq,
			  size_t body)
{
	int n = snprintf(buf, cap,
			 "%s sip:" RX_ADDR " SIP/2.0\r\n"
			 "Via: SIP/2.0/UDP %s:5060;branch=z9hG4bK-xsk%d\r\n"
			 "From: <sip:t%d@" RX_ADDR ">;tag=%d\r\n"
			 "To: <sip:t%d@" RX_ADDR ">\r\n"
			 "Call-ID: xsk-%d@%s\r\n"
			 "CSeq: %d %s\r\n"
			 "Max-Forwards: 70\r\n"
			 "Content-Length: %zu\r\n\r\n",
			 method, src, seq, seq, seq, seq, seq, src, seq, method, body);

	if (n < 0 || (size_t)n + body >= cap)
		return 0;
	memset(buf + n, 'x', body);
	return (size_t)n + body;
}

/* The frames that must not reach the socket, each with the counter it must move. */
enum bad_kind {
	BAD_BLOCKED,		/* REGISTER from a blocklisted address */
	BAD_BLOCKED_NET,	/* REGISTER from inside a blocklisted prefix */
	BAD_BLOCKED_OPTIONS,	/* OPTIONS from a blocklisted address: the blocklist decides first */
	BAD_OPTIONS,		/* OPTIONS from a source in no list: stealth */
	BAD_GARBAGE,		/* >= 20 bytes without SIP/2.0 */
	BAD_SHORT_REGISTER,	/* REGISTER shorter than 20 bytes */
	BAD_OTHER_PORT,		/* valid SIP to a port that is not inspected: uncounted pass */
	BAD_FIRST_FRAGMENT,	/* first fragment of a big INVITE: passed, never redirected */
	BAD_KINDS
};

static void build_frame(struct sent_frame *f, const struct frame_spec *spec,
			const uint8_t rx_mac[ETH_ALEN], const uint8_t tx_mac[ETH_ALEN])
{
	f->len = frame_build(spec, f->bytes, sizeof(f->bytes));
	ck_assert_msg(f->len > 0, "frame_build failed for %s", f->what);
	memcpy(f->bytes, rx_mac, ETH_ALEN);
	memcpy(f->bytes + ETH_ALEN, tx_mac, ETH_ALEN);
}

static void build_good(struct sent_frame *f, int seq, const uint8_t rx_mac[ETH_ALEN],
		       const uint8_t tx_mac[ETH_ALEN])
{
	static char payload[1024];
	struct frame_spec spec = { .family = 4, .dst = RX_ADDR, .sport = (uint16_t)(20000 + seq) };
	const char *method = "REGISTER";

	spec.src = TX_ADDR;
	if (seq % 8 == 3) {
		method = "INVITE";
	} else if (seq % 8 == 7) {
		method = "OPTIONS";	/* allowlisted source: stealth lets it through */
		spec.src = ALLOWED_SRC;
	}
	spec.payload = payload;
	spec.payload_len = sip_request(payload, sizeof(payload), method, spec.src, seq, 0);
	ck_assert_msg(spec.payload_len > 0, "payload for %s does not fit", method);
	f->what = method;
	f->counter = VOSFP_CNT_REDIRECTED;
	build_frame(f, &spec, rx_mac, tx_mac);
}

static void build_bad(struct sent_frame *f, enum bad_kind kind, int seq,
		      const uint8_t rx_mac[ETH_ALEN], const uint8_t tx_mac[ETH_ALEN])
{
	static char payload[1024];
	struct frame_spec spec = { .family = 4, .src = TX_ADDR, .dst = RX_ADDR,
				   .sport = (uint16_t)(30000 + seq), .payload = payload };
	size_t len = 0;

	switch (kind) {
	case BAD_BLOCKED:
		spec.src = BLOCKED_SRC;
		len = sip_request(payload, sizeof(payload), "REGISTER", spec.src, seq, 0);
		f->what = "REGISTER from a blocked address";
		f->counter = VOSFP_CNT_BLOCKED;
		break;
	case BAD_BLOCKED_NET:
		spec.src = BLOCKED_NET_SRC;
		len = sip_request(payload, sizeof(payload), "REGISTER", spec.src, seq, 0);
		f->what = "REGISTER from a blocked prefix";
		f->counter = VOSFP_CNT_BLOCKED;
		break;
	case BAD_BLOCKED_OPTIONS:
		spec.src = BLOCKED_SRC;
		len = sip_request(payload, sizeof(payload), "OPTIONS", spec.src, seq, 0);
		f->what = "OPTIONS from a blocked address";
		f->counter = VOSFP_CNT_BLOCKED;
		break;
	case BAD_OPTIONS:
		spec.src = UNKNOWN_SRC;
		len = sip_request(payload, sizeof(payload), "OPTIONS", spec.src, seq, 0);
		f->what = "OPTIONS from an unknown source";
		f->counter = VOSFP_CNT_OPTIONS_DROPPED;
		break;
	case BAD_GARBAGE:
		len = (size_t)snprintf(payload, sizeof(payload), "GARBAGE %04d GARBAGE GARBAGE\r\n", seq);
		f->what = "garbage";
		f->counter = VOSFP_CNT_MALFORMED;
		break;
	case BAD_SHORT_REGISTER:
		len = (size_t)snprintf(payload, sizeof(payload), "REGISTER x%02d\r\n", seq % 100);
		f->what = "short REGISTER";
		f->counter = VOSFP_CNT_MALFORMED;
		break;
	case BAD_OTHER_PORT:
		spec.dport = 5070;
		len = sip_request(payload, sizeof(payload), "REGISTER", spec.src, seq, 0);
		f->what = "REGISTER to port 5070";
		f->counter = -1;
		break;
	case BAD_FIRST_FRAGMENT:
		len = sip_request(payload, sizeof(payload), "INVITE", spec.src, seq, 400);
		spec.frag = FRAG_FIRST;
		spec.frag_bytes = 8 + 192;	/* UDP header + a multiple of 8 payload bytes */
		f->what = "first fragment of an INVITE";
		f->counter = VOSFP_CNT_PASSED;
		break;
	default:
		ck_abort_msg("bad kind %d", kind);
	}
	ck_assert_msg(len > 0 && len < sizeof(payload), "payload for %s does not fit", f->what);
	spec.payload_len = len;
	build_frame(f, &spec, rx_mac, tx_mac);
}

/* Good frames with a bad one after every GOOD_PER_BAD of them, cycling through every kind. */
static void build_frames(const uint8_t rx_mac[ETH_ALEN], const uint8_t tx_mac[ETH_ALEN],
			 uint64_t expect[VOSFP_COUNTER_SLOTS])
{
	int n = 0, bad = 0;

	memset(expect, 0, sizeof(uint64_t) * VOSFP_COUNTER_SLOTS);
	for (int seq = 0; seq < GOOD_FRAMES; seq++) {
		build_good(&frames[n++], seq, rx_mac, tx_mac);
		if ((seq + 1) % GOOD_PER_BAD == 0) {
			build_bad(&frames[n++], (enum bad_kind)(bad % BAD_KINDS), bad, rx_mac, tx_mac);
			bad++;
		}
	}
	ck_assert_int_eq(n, TOTAL_FRAMES);
	for (int i = 0; i < n; i++) {
		frames[i].received = 0;
		if (frames[i].counter >= 0)
			expect[frames[i].counter]++;
	}
}

static void send_frames(const uint8_t rx_mac[ETH_ALEN])
{
	struct sockaddr_ll to = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_IP),
		.sll_ifindex = (int)if_nametoindex(env.tx_if),
		.sll_halen = ETH_ALEN,
	};

	ck_assert_msg(to.sll_ifindex > 0, "%s has no ifindex", env.tx_if);
	memcpy(to.sll_addr, rx_mac, ETH_ALEN);
	/* Protocol 0: this socket sends only, it never receives. */
	env.tx_sock = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	ck_assert_msg(env.tx_sock >= 0, "AF_PACKET socket: %s", strerror(errno));
	for (int i = 0; i < TOTAL_FRAMES; i++) {
		ssize_t n = sendto(env.tx_sock, frames[i].bytes, frames[i].len, 0,
				   (struct sockaddr *)&to, sizeof(to));

		ck_assert_msg(n == (ssize_t)frames[i].len, "sending frame %d (%s) on %s: %s", i,
			      frames[i].what, env.tx_if, n < 0 ? strerror(errno) : "short write");
	}
}

/* Drain the RX ring once, matching every frame against what was sent. Returns frames seen;
 * *unknown counts those that match no good frame not already received. */
static unsigned drain_rx(unsigned *unknown)
{
	__u32 idx = 0;
	unsigned got = xsk_ring_cons__peek(&env.rx, XSK_FRAMES, &idx);

	for (unsigned k = 0; k < got; k++) {
		const struct xdp_desc *d = xsk_ring_cons__rx_desc(&env.rx, idx + k);
		const uint8_t *data = xsk_umem__get_data(env.umem_area, d->addr);
		int match = -1;

		for (int i = 0; i < TOTAL_FRAMES && match < 0; i++)
			if (frames[i].counter == VOSFP_CNT_REDIRECTED && !frames[i].received &&
			    frames[i].len == d->len && memcmp(frames[i].bytes, data, d->len) == 0)
				match = i;
		if (match >= 0) {
			frames[match].received++;
		} else {
			(*unknown)++;
			fprintf(stderr, "afxdp: unexpected frame in the socket: %u bytes\n", d->len);
		}
	}
	if (got)
		xsk_ring_cons__release(&env.rx, got);
	return got;
}

static int counters_equal(const uint64_t *a, const uint64_t *b)
{
	return memcmp(a, b, sizeof(uint64_t) * VOSFP_COUNTER_SLOTS) == 0;
}

/* Iteration 0: the mode an operator gets by default (native, generic as fallback).
 * Iteration 1: generic mode, which every interface offers. */
START_TEST(afxdp_redirects_exactly_good_sip)
{
	uint64_t expect[VOSFP_COUNTER_SLOTS], got[VOSFP_COUNTER_SLOTS];
	uint8_t rx_mac[ETH_ALEN], tx_mac[ETH_ALEN];
	unsigned received = 0, unknown = 0;
	int missing = 0, first_missing = -1;
	const char *mode;
	long deadline;
	int fd, err;

	ck_assert_msg(geteuid() == 0, "the AF_XDP test needs root (netns, XDP attach, AF_XDP)");
	ck_assert_msg(env.ns[0], "fixture did not name the namespace");

	create_namespace();
	enter_namespace();

	err = harness_open(&env.h, 0);
	ck_assert_msg(!err, "harness_open: %s", strerror(-err));
	harness_allow_str(&env.h, ALLOWED_SRC);
	harness_block_str(&env.h, BLOCKED_SRC);
	harness_block_str(&env.h, BLOCKED_NET);

	env.rx_ifindex = (int)if_nametoindex(env.rx_if);
	ck_assert_msg(env.rx_ifindex > 0, "%s not found in %s", env.rx_if, env.ns);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert_msg(fd >= 0, "socket: %s", strerror(errno));
	err = get_mac(fd, env.rx_if, rx_mac);
	if (!err)
		err = get_mac(fd, env.tx_if, tx_mac);
	close(fd);
	ck_assert_msg(!err, "cannot read the veth MAC addresses: %s", strerror(-err));

	mode = attach_program(_i == 1);
	printf("afxdp: sip_xdp_prog attached to %s in %s; AF_XDP socket on queue 0, copy mode\n",
	       env.rx_if, mode);
	fflush(stdout);
	open_xsk();

	build_frames(rx_mac, tx_mac, expect);
	ck_assert_uint_eq(expect[VOSFP_CNT_REDIRECTED], GOOD_FRAMES);
	err = harness_reset_counters(&env.h);
	ck_assert_msg(!err, "cannot reset counters: %s", strerror(-err));
	send_frames(rx_mac);

	/* Every good frame must come out of the socket... */
	deadline = now_ms() + RX_WAIT_MS;
	while (received < GOOD_FRAMES && now_ms() < deadline) {
		struct pollfd pfd = { .fd = xsk_socket__fd(env.xsk), .events = POLLIN };

		poll(&pfd, 1, 50);
		received += drain_rx(&unknown);
	}
	/* ...the counters must reach exactly their totals (the dropped frames may still be in
	 * flight when the last good one arrives)... */
	deadline = now_ms() + SETTLE_WAIT_MS;
	do {
		err = harness_counters(&env.h, got, VOSFP_COUNTER_SLOTS);
		ck_assert_msg(!err, "cannot read counters: %s", strerror(-err));
		if (counters_equal(got, expect))
			break;
		sleep_ms(10);
	} while (now_ms() < deadline);
	/* ...and stay there, with nothing more arriving in the socket. */
	sleep_ms(QUIET_MS);
	received += drain_rx(&unknown);
	err = harness_counters(&env.h, got, VOSFP_COUNTER_SLOTS);
	ck_assert_msg(!err, "cannot read counters: %s", strerror(-err));

	for (int i = 0; i < TOTAL_FRAMES; i++) {
		if (frames[i].counter != VOSFP_CNT_REDIRECTED || frames[i].received)
			continue;
		if (missing++ == 0)
			first_missing = i;
	}
	ck_assert_msg(missing == 0, "%d good frames never reached the socket (first: frame %d, %s); "
		      "%u frames received", missing, first_missing,
		      first_missing >= 0 ? frames[first_missing].what : "", received);
	ck_assert_msg(unknown == 0, "%u frames in the socket match no good frame sent", unknown);
	ck_assert_msg(received == GOOD_FRAMES, "socket received %u frames, expected %d", received,
		      GOOD_FRAMES);
	for (int slot = 0; slot < VOSFP_COUNTER_SLOTS; slot++)
		ck_assert_msg(got[slot] == expect[slot], "counter %d (%s): %llu, expected %llu", slot,
			      vosfp_counter_name(slot), (unsigned long long)got[slot],
			      (unsigned long long)expect[slot]);

	printf("afxdp: %u/%d good frames redirected byte-identical; of %d others: blocked %llu, "
	       "OPTIONS dropped %llu, malformed %llu, passed %llu, the rest uncounted\n",
	       received, GOOD_FRAMES, BAD_FRAMES, (unsigned long long)got[VOSFP_CNT_BLOCKED],
	       (unsigned long long)got[VOSFP_CNT_OPTIONS_DROPPED],
	       (unsigned long long)got[VOSFP_CNT_MALFORMED], (unsigned long long)got[VOSFP_CNT_PASSED]);
	fflush(stdout);

	cleanup_all();
	ck_assert_msg(!ns_exists(), "namespace %s still exists after cleanup", env.ns);
}
END_TEST

TCase *afxdp_tcase(void)
{
	TCase *tc = tcase_create("afxdp");

	/* Unchecked: runs in the runner itself, so the namespace goes even if a forked test dies.
	 * Checked: also cleans up after a failure when the runner does not fork. */
	tcase_add_unchecked_fixture(tc, afxdp_setup, cleanup_all);
	tcase_add_checked_fixture(tc, NULL, cleanup_all);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, afxdp_redirects_exactly_good_sip, 0, 2);
	return tc;
}
