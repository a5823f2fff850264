# vosfp build. `make` builds the XDP object (and what user space needs from it); `make check`
# installs missing Debian packages, builds and runs every automated test; `make bench` measures.
# Quiet by default; `make V=1` shows each command.

BPF_DIR    ?= bpf
OUT_DIR    ?= build
VMLINUX_H  ?= $(OUT_DIR)/vmlinux.h
SIP_PROG   ?= $(OUT_DIR)/sip_logic.bpf.o
SIP_SKEL   ?= $(OUT_DIR)/sip_logic.skel.h
KERNEL_BTF ?= /sys/kernel/btf/vmlinux
CLANG      ?= clang
LLVM_STRIP ?= llvm-strip
CC         ?= cc
# bpftool lives in /usr/sbin on Debian, which is not on an ordinary user's PATH.
BPFTOOL    ?= $(or $(shell command -v bpftool 2>/dev/null),$(wildcard /usr/sbin/bpftool))

# The version has one source: debian/changelog's first line, "vosfp (VERSION) ...". The agent's
# --version and the package both read it there.
VERSION    := $(shell awk 'NR == 1 { gsub(/[()]/, "", $$2); print $$2; exit }' debian/changelog 2>/dev/null)

PREFIX     ?= /usr/local
DESTDIR    ?=
SYSCONFDIR ?= /etc
SBINDIR    := $(PREFIX)/sbin
BINDIR     := $(PREFIX)/bin
LIBDIR     := $(PREFIX)/lib/vosfp
DATADIR    := $(PREFIX)/share/vosfp
MANDIR     := $(PREFIX)/share/man
UNITDIR    ?= $(PREFIX)/lib/systemd/system

ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/' \
	-e 's/ppc64le/powerpc/' -e 's/s390x/s390/' -e 's/riscv64/riscv/' -e 's/loongarch64/loongarch/')

BPF_CFLAGS := -target bpf -O2 -mcpu=v3 -I $(OUT_DIR) -I $(BPF_DIR) -I /usr/include \
	-D__TARGET_ARCH_$(ARCH) -Wall -Wno-unused -Wno-pointer-sign -g

PKGS       := libbpf libxdp
# One pkg-config call per package set: a missing one (check, in a runtime-only image build) fails
# its whole call and would silently drop the others' flags.
USER_CFLAGS := -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror -std=gnu11 -I $(BPF_DIR) -I $(OUT_DIR) -I agent -I agent/desired -I agent/kernel -I agent/serve -I agent/feeds -I tests/lib \
	$(shell pkg-config --cflags $(PKGS) libcyaml yaml-0.1 2>/dev/null) $(shell pkg-config --cflags check 2>/dev/null) \
	$(shell pkg-config --cflags json-c libcurl 2>/dev/null)
USER_LIBS  := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null)
CONFIG_LIBS := $(shell pkg-config --libs libcyaml yaml-0.1 2>/dev/null)
# The CrowdSec feed (agent/feeds/): JSON for its pure parts; HTTP and a worker thread for the agent.
JSON_LIBS  := $(shell pkg-config --libs json-c 2>/dev/null)
HTTP_LIBS  := $(shell pkg-config --libs libcurl 2>/dev/null) -pthread
SANITIZE   := -fsanitize=address,undefined -fno-omit-frame-pointer

ifeq ($(V),1)
Q :=
say =
else
Q := @
say = @printf '  %-9s %s\n' '$(1)' '$(2)';
endif

# Under `sudo make`, hand what we wrote back to the invoking user, so a later plain `make`
# can overwrite it (seed pitfall: root-owned build products).
give_back = [ -z "$${SUDO_UID:-}" ] || chown "$$SUDO_UID:$$SUDO_GID" $(OUT_DIR) $(1)

TEST_LIB_SRCS := tests/lib/frame.c tests/lib/reference.c tests/lib/reference_scanner.c tests/lib/verdict_table.c \
	tests/lib/reference_answers.c \
	tests/lib/prog_harness.c agent/kernel/datapath_clock.c agent/kernel/autoblock_horizon.c \
	agent/desired/addr.c agent/serve/counters.c agent/desired/summary.c
PROG_TEST_SRCS := tests/prog/prog_tests.c tests/prog/table_test.c tests/prog/differential_test.c \
	tests/prog/afxdp_test.c tests/prog/iface_test.c tests/prog/defence_test.c tests/prog/scanner_test.c \
	tests/prog/decision_test.c tests/prog/mapped_test.c tests/prog/answers_test.c \
	tests/prog/answers_differential_test.c tests/prog/repeat_test.c tests/prog/guard_test.c tests/prog/clock_test.c \
	agent/desired/scanner.c agent/desired/autoblock.c
PROG_TEST_SRCS += agent/kernel/apply.c
# The feed's parts without kernel or network: decisions, LAPI answers, the held set, alerts,
# the secrets' files.
FEED_SRCS := agent/feeds/decision.c agent/feeds/lapi_stream.c agent/feeds/decision_set.c \
	agent/feeds/alert.c agent/feeds/secret_file.c
CONFIG_SRCS := agent/desired/config.c agent/desired/yamldoc.c agent/diag.c agent/desired/lists.c agent/desired/prefix_set.c agent/desired/summary.c \
	agent/desired/desired.c agent/desired/file_stamp.c agent/desired/iface_file.c agent/plan.c agent/txn.c agent/serve/snapshot.c agent/desired/endpoint.c \
	agent/serve/http.c agent/serve/metrics.c agent/desired/scanner.c agent/desired/autoblock.c \
	agent/desired/file_trust.c $(FEED_SRCS)
CONFIG_SRCS += agent/serve/admission.c
UNIT_TEST_SRCS := tests/unit/unit_tests.c tests/unit/addr_test.c tests/unit/reference_test.c \
	tests/unit/config_test.c tests/unit/plan_test.c tests/unit/txn_test.c tests/unit/http_test.c \
	tests/unit/metrics_test.c tests/unit/autoblock_test.c tests/unit/feed_test.c \
	tests/unit/file_trust_test.c tests/unit/lists_test.c tests/unit/safe_path_test.c agent/safe_path.c \
	agent/desired/addr.c agent/serve/counters.c tests/lib/frame.c tests/lib/reference.c tests/lib/verdict_table.c $(CONFIG_SRCS)
UNIT_TEST_SRCS += tests/unit/admission_test.c
BENCH_SRCS := bench/prog_bench.c bench/floors.c tests/lib/frame.c tests/lib/verdict_table.c tests/lib/prog_harness.c \
	agent/desired/addr.c agent/desired/summary.c agent/desired/scanner.c \
	bench/decision_load.c agent/feeds/decision.c agent/feeds/decision_set.c agent/kernel/decision_map.c \
	agent/kernel/apply.c agent/kernel/pins.c agent/safe_path.c agent/kernel/datapath_clock.c \
	agent/kernel/autoblock_horizon.c
FLOOD_BENCH_SRCS := bench/flood_bench.c bench/flood_send.c bench/flood_nic.c bench/floors.c tests/lib/frame.c
HEADERS := $(wildcard $(BPF_DIR)/*.h agent/*.h agent/*/*.h tests/lib/*.h)

.PHONY: all check test bench demo clean deps unit-tests prog-tests build-tests install uninstall deb print-%

AGENT_SRCS := agent/main.c agent/log.c agent/kernel/pins.c agent/kernel/state.c agent/desired/addr.c agent/kernel/apply.c \
	agent/kernel/datapath.c agent/kernel/links.c agent/reconcile.c agent/watch.c agent/serve/stats.c agent/serve/counters.c \
	agent/kernel/iface_stats.c agent/serve/metrics_server.c agent/kernel/autoblock_map.c agent/kernel/autoblock_horizon.c agent/kernel/egress.c \
	agent/kernel/decision_map.c agent/feeds/lapi_client.c agent/feeds/lapi_worker.c \
	agent/feeds/crowdsec_feed.c agent/feeds/crowdsec_check.c $(CONFIG_SRCS) \
	agent/kernel/guard.c agent/kernel/pin_repair.c agent/safe_path.c \
	agent/kernel/xdp_dispatch.c agent/kernel/xdp_census.c agent/kernel/hook_watch.c agent/kernel/datapath_clock.c \
	agent/kernel/daemon_claim.c agent/kernel/iface_wait.c

all: $(VMLINUX_H) $(SIP_PROG) $(SIP_SKEL) $(OUT_DIR)/vosfp-agent $(OUT_DIR)/vosfp-send

$(OUT_DIR):
	$(Q)mkdir -p $@
	$(Q)$(call give_back,)

$(VMLINUX_H): | $(OUT_DIR)
	@if [ ! -r "$(KERNEL_BTF)" ]; then \
		echo "ERROR: Kernel BTF not found at $(KERNEL_BTF): the kernel must be built with CONFIG_DEBUG_INFO_BTF=y (Debian 12's is)." >&2; \
		exit 1; fi
	@if [ -z "$(BPFTOOL)" ]; then \
		echo "ERROR: bpftool not found (looked on PATH and in /usr/sbin)." >&2; \
		echo "  Install it: apt-get install bpftool (Debian 12), or linux-tools-$$(uname -r) / linux-tools-generic (Ubuntu)." >&2; \
		exit 1; fi
	$(call say,GEN,$@)
	$(Q)$(BPFTOOL) btf dump file $(KERNEL_BTF) format c > $@.tmp && mv -f $@.tmp $@
	$(Q)$(call give_back,$@)

BPF_SRCS := $(BPF_DIR)/sip_logic.bpf.c $(BPF_DIR)/sip_answers.bpf.c $(wildcard $(BPF_DIR)/*.h)

# bpf_object OUT,FLAGS: the object's two programs (XDP ingress, TC egress) compiled apart and
# linked into one (bpftool gen object), so they share every map and load, pin and swap as one.
# FLAGS go to the egress program (the test build's clock).
define bpf_object
	$(Q)rm -f $(1) $(1).xdp.o $(1).tc.o
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $(BPF_DIR)/sip_logic.bpf.c -o $(1).xdp.o
	$(Q)$(CLANG) $(BPF_CFLAGS) $(2) -c $(BPF_DIR)/sip_answers.bpf.c -o $(1).tc.o
	$(Q)$(BPFTOOL) gen object $(1) $(1).xdp.o $(1).tc.o
	$(Q)rm -f $(1).xdp.o $(1).tc.o
	$(Q)$(call give_back,$(1))
endef

$(SIP_PROG): $(BPF_SRCS) $(VMLINUX_H) | $(OUT_DIR)
	$(call say,CLANG,$@)
	$(call bpf_object,$@,)

# For the answer rule's differential test only: the egress program's clock is a map the test sets.
$(OUT_DIR)/sip_logic_tclock.bpf.o: $(BPF_SRCS) $(VMLINUX_H) | $(OUT_DIR)
	$(call say,CLANG,$@)
	$(call bpf_object,$@,-DVOSFP_TEST_CLOCK)

$(OUT_DIR)/sip_logic_tclock.skel.h: $(OUT_DIR)/sip_logic_tclock.bpf.o
	$(call say,GEN,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name sip_logic_tclock > $@.tmp && mv -f $@.tmp $@

$(SIP_SKEL): $(SIP_PROG)
	$(call say,GEN,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name sip_logic > $@.tmp && mv -f $@.tmp $@
	$(Q)$(call give_back,$@)

$(OUT_DIR)/trivial.bpf.o $(OUT_DIR)/floor.bpf.o: $(OUT_DIR)/%.bpf.o: bench/%.bpf.c $(BPF_DIR)/vosfp.h $(VMLINUX_H) | $(OUT_DIR)
	$(call say,CLANG,$@)
	$(Q)rm -f $@
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUT_DIR)/tests/prog_tests: $(PROG_TEST_SRCS) $(TEST_LIB_SRCS) $(HEADERS) $(SIP_SKEL) $(OUT_DIR)/sip_logic_tclock.skel.h
	$(call say,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(USER_CFLAGS) -o $@ $(PROG_TEST_SRCS) $(TEST_LIB_SRCS) $(USER_LIBS) $(CHECK_LIBS)

$(OUT_DIR)/tests/unit_tests: $(UNIT_TEST_SRCS) $(HEADERS)
	$(call say,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(USER_CFLAGS) $(SANITIZE) -o $@ $(UNIT_TEST_SRCS) $(CHECK_LIBS) $(CONFIG_LIBS) $(JSON_LIBS)

$(OUT_DIR)/bench/prog_bench: $(BENCH_SRCS) $(HEADERS) $(SIP_SKEL)
	$(call say,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(USER_CFLAGS) -o $@ $(BENCH_SRCS) $(USER_LIBS)

$(OUT_DIR)/bench/flood_bench: $(FLOOD_BENCH_SRCS) $(HEADERS)
	$(call say,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(USER_CFLAGS) -o $@ $(FLOOD_BENCH_SRCS) $(USER_LIBS) -lpthread

# The agent's default object path comes from PREFIX: rebuild it when PREFIX changes
# (e.g. `make` then `make install PREFIX=/usr`).
$(OUT_DIR)/prefix.stamp: FORCE | $(OUT_DIR)
	$(Q)[ "$$(cat $@ 2>/dev/null)" = "$(PREFIX)" ] || { echo "$(PREFIX)" > $@.tmp && mv -f $@.tmp $@; }
	$(Q)$(call give_back,$@)

.PHONY: FORCE
FORCE:

# What gets installed honours the CPPFLAGS, CFLAGS and LDFLAGS of the environment (a distribution's
# hardening flags: dpkg-buildflags under debian/rules); the tests keep their own flags.
$(OUT_DIR)/vosfp-agent: $(AGENT_SRCS) $(HEADERS) $(OUT_DIR)/prefix.stamp debian/changelog | $(OUT_DIR)
	$(call say,CC,$@)
	$(Q)[ -n "$(VERSION)" ] || { echo "ERROR: no version: debian/changelog's first line must read 'vosfp (VERSION) ...'" >&2; exit 1; }
	$(Q)$(CC) $(USER_CFLAGS) $(CPPFLAGS) $(CFLAGS) -DVOSFP_VERSION='"$(VERSION)"' \
		-DVOSFP_INSTALLED_OBJECT='"$(LIBDIR)/sip_logic.bpf.o"' -o $@ $(AGENT_SRCS) $(LDFLAGS) $(USER_LIBS) $(CONFIG_LIBS) \
		$(JSON_LIBS) $(HTTP_LIBS)
	$(Q)$(call give_back,$@)

# The agent under ASan+UBSan with every finding fatal, for sanitized_agent_test.sh: the unit tests
# sanitize the parsers; this runs the modes that read live pins and maps.
$(OUT_DIR)/san/vosfp-agent: $(AGENT_SRCS) $(HEADERS) | $(OUT_DIR)
	$(call say,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(USER_CFLAGS) $(SANITIZE) -fno-sanitize-recover=all -DVOSFP_VERSION='"$(VERSION)"' -o $@ $(AGENT_SRCS) \
		$(USER_LIBS) $(CONFIG_LIBS) $(JSON_LIBS) $(HTTP_LIBS)

$(OUT_DIR)/vosfp-send: tools/vosfp-send.c | $(OUT_DIR)
	$(call say,CC,$@)
	$(Q)$(CC) $(USER_CFLAGS) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(LDFLAGS)
	$(Q)$(call give_back,$@)

# An AF_XDP socket bound through libxdp, for coexist_test.sh.
$(OUT_DIR)/tests/xsk_count: tests/tools/xsk_count.c
	$(call say,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(USER_CFLAGS) -o $@ $< $(USER_LIBS)

build-tests: all $(OUT_DIR)/tests/prog_tests $(OUT_DIR)/tests/unit_tests $(OUT_DIR)/san/vosfp-agent $(OUT_DIR)/tests/xsk_count

deps:
	$(Q)bash scripts/install-deps.sh

# The README's test command: sets up a fresh Debian 12 host, then runs every test.
check: deps
	$(Q)$(MAKE) --no-print-directory build-tests
	$(Q)bash tests/run.sh $(OUT_DIR)

# The seed's correctness run.
test: all
	$(Q)if [ "$$(id -u)" -eq 0 ]; then bash scripts/stress_test.sh 1; else sudo bash scripts/stress_test.sh 1; fi

# The README's first command: a fresh Debian 12 host to the simulated end-to-end run (sim, agent,
# Kamailio, sipp; about 5 s). Packages first, then a make that sees them (pkg-config flags).
demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)if [ "$$(id -u)" -eq 0 ]; then bash scripts/demo.sh; else sudo bash scripts/demo.sh; fi

# The benchmarks: the datapath per packet (beside a trivial program), then the agent (1M-entry
# list: cold start, edit-to-effect, peak RSS, beside the seed's bpftool-per-entry method), then
# the CrowdSec feed (a 100,000-decision startup answer to in force, its extra RSS, 1,000 changes).
bench: all $(OUT_DIR)/trivial.bpf.o $(OUT_DIR)/floor.bpf.o $(OUT_DIR)/bench/prog_bench $(OUT_DIR)/bench/flood_bench
	$(Q)$(OUT_DIR)/bench/prog_bench $(SIP_PROG) $(OUT_DIR)/trivial.bpf.o $(OUT_DIR)/floor.bpf.o
	$(Q)bash bench/flood_bench.sh
	$(Q)bash bench/agent_bench.sh
	$(Q)bash bench/crowdsec_bench.sh

# install_man PAGE,SECTION: man/PAGE into its section, with the version (debian/changelog's) filled in.
install_man = install -d $(DESTDIR)$(MANDIR)/man$(2) && sed 's|@VERSION@|$(VERSION)|g' man/$(1) \
	>$(DESTDIR)$(MANDIR)/man$(2)/$(1) && chmod 0644 $(DESTDIR)$(MANDIR)/man$(2)/$(1)

# Fuzz targets (libFuzzer in clang, with ASan and UBSan): one per parser of outside input. A target
# is tests/fuzz/NAME_fuzz.c (LLVMFuzzerTestOneInput calling that parser's public functions) with
# its seeds in tests/fuzz/corpus/NAME/ (an optional dictionary: tests/fuzz/NAME.dict); adding one is
# that file, its seeds and one FUZZ_TARGETS line below (tests/fuzz/README). `make fuzz` builds them
# and runs each for FUZZ_SECONDS (tests/build/fuzz_test.sh, which make check runs with 15 s each);
# `make fuzz FUZZ_SECONDS=600` for a longer hunt. What a target finds lands in build/fuzz/artifacts/.
FUZZ_TARGETS := config
FUZZ_TARGETS += list_file
FUZZ_TARGETS += iface_file
FUZZ_TARGETS += autoblock_persist
FUZZ_TARGETS += http_request
FUZZ_TARGETS += lapi_stream
FUZZ_SECONDS ?= 15
FUZZ_CC    ?= clang
FUZZ_CFLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all -I tests/fuzz
# Every target links what the unit tests link (CONFIG_SRCS): a parser outside it is one more
# FUZZ_SRCS line (and its libraries FUZZ_LIBS).
FUZZ_SRCS  := $(CONFIG_SRCS) agent/desired/addr.c agent/serve/counters.c tests/fuzz/fuzz_file.c
FUZZ_LIBS  := $(CONFIG_LIBS) $(JSON_LIBS)
FUZZ_OBJS   = $(patsubst %.c,$(OUT_DIR)/fuzz/obj/%.o,$(FUZZ_SRCS))
# Made by a pattern rule, so make would delete them as intermediates after each link.
.SECONDARY: $(FUZZ_OBJS)

$(OUT_DIR)/fuzz/obj/%.o: %.c $(HEADERS) tests/fuzz/fuzz_file.h
	$(call say,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(USER_CFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(OUT_DIR)/fuzz/%_fuzz: tests/fuzz/%_fuzz.c $(FUZZ_OBJS) $(HEADERS) tests/fuzz/fuzz_file.h
	$(call say,FUZZ,$@)
	$(Q)$(FUZZ_CC) $(USER_CFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_OBJS) $(FUZZ_LIBS)

.PHONY: fuzz fuzz-build
fuzz-build: $(patsubst %,$(OUT_DIR)/fuzz/%_fuzz,$(FUZZ_TARGETS))

fuzz: fuzz-build
	$(Q)bash tests/build/fuzz_test.sh -o $(OUT_DIR) -s $(FUZZ_SECONDS)

# Binary, object, scripts, example config (and /etc/vosfp.yaml if there is none), schema, systemd
# unit, man pages. PREFIX and DESTDIR as usual; an operator's /etc/vosfp.yaml is never replaced.
install: all
	$(call say,INSTALL,$(DESTDIR)$(PREFIX))
	$(Q)install -D -m 0755 $(OUT_DIR)/vosfp-agent $(DESTDIR)$(SBINDIR)/vosfp-agent
	$(Q)install -D -m 0755 $(OUT_DIR)/vosfp-send $(DESTDIR)$(BINDIR)/vosfp-send
	$(Q)install -D -m 0644 $(SIP_PROG) $(DESTDIR)$(LIBDIR)/sip_logic.bpf.o
	$(Q)install -d $(DESTDIR)$(DATADIR)/scripts
	$(Q)install -m 0755 $(filter-out %lib.sh,$(wildcard scripts/*.sh)) $(DESTDIR)$(DATADIR)/scripts/
	$(Q)install -m 0644 $(filter %lib.sh,$(wildcard scripts/*.sh)) $(DESTDIR)$(DATADIR)/scripts/
	$(Q)install -D -m 0644 etc/vosfp.yaml $(DESTDIR)$(DATADIR)/vosfp.yaml.example
	$(Q)install -D -m 0644 schemas/vosfp.schema.json $(DESTDIR)$(DATADIR)/vosfp.schema.json
	$(Q)[ -e $(DESTDIR)$(SYSCONFDIR)/vosfp.yaml ] || install -D -m 0644 etc/vosfp.yaml $(DESTDIR)$(SYSCONFDIR)/vosfp.yaml
	$(Q)install -d $(DESTDIR)$(UNITDIR)
	$(Q)sed 's|@SBINDIR@|$(SBINDIR)|g' deploy/systemd/vosfp-agent.service > $(DESTDIR)$(UNITDIR)/vosfp-agent.service
	$(Q)chmod 0644 $(DESTDIR)$(UNITDIR)/vosfp-agent.service
	$(Q)$(call install_man,vosfp-agent.8,8)
	$(Q)$(call install_man,vosfp.yaml.5,5)
	$(Q)$(call install_man,vosfp-send.1,1)
	$(Q)install -D -m 0644 deploy/grafana/vosfp-dashboard.json $(DESTDIR)$(DATADIR)/grafana/vosfp-dashboard.json
	$(Q)install -D -m 0644 deploy/grafana/prometheus.yml $(DESTDIR)$(DATADIR)/grafana/prometheus.yml

# Everything install put there except the operator's /etc/vosfp.yaml and the state in /var/lib.
uninstall:
	$(Q)rm -f $(DESTDIR)$(SBINDIR)/vosfp-agent $(DESTDIR)$(BINDIR)/vosfp-send \
		$(DESTDIR)$(UNITDIR)/vosfp-agent.service $(DESTDIR)$(MANDIR)/man8/vosfp-agent.8 \
		$(DESTDIR)$(MANDIR)/man5/vosfp.yaml.5 $(DESTDIR)$(MANDIR)/man1/vosfp-send.1
	$(Q)rm -rf $(DESTDIR)$(LIBDIR) $(DESTDIR)$(DATADIR)

# vosfp_VERSION_ARCH.deb in build/, with the Debian tools, from HEAD's tree (git archive): the
# package is always a commit, so a tree with uncommitted changes is refused (exit 2), as is a host
# without the tools (it names them). tools/build-deb.sh REV packages another commit.
deb:
	$(Q)bash tools/build-deb.sh -o $(OUT_DIR)

clean:
	$(call say,CLEAN,$(OUT_DIR))
	$(Q)rm -rf $(OUT_DIR)

print-%:
	@echo '$($*)'
