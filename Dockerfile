# vosfp-agent image: builds the agent and the XDP object on Debian 12, ships them on debian:12-slim
# with only the libraries the agent links. Used by docker-compose.yml and deploy/kubernetes/.
# The image never starts filtering by itself: it runs the agent on the config mounted at /etc/vosfp.

# --- build stage ----------------------------------------------------------------------------------
FROM debian:12 AS build
# What `make all` needs: a C compiler and libc headers (agent, vosfp-send), clang/llvm (the BPF
# object), bpftool (vmlinux.h and the skeleton), and the -dev packages pkg-config asks for
# (libbpf, libxdp: the Makefile links both; libcyaml, libyaml: the config parser; libcurl and
# json-c: the CrowdSec feed).
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      make gcc libc6-dev clang llvm pkg-config bpftool \
      libbpf-dev libxdp-dev libcyaml-dev libyaml-dev libcurl4-openssl-dev libjson-c-dev \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /src
# Only what `make all` and `make install` read (tests, benches and docs stay out of the image).
COPY Makefile ./
# The version's one source (the Makefile reads it for the agent's --version and the man pages).
COPY debian/changelog debian/
COPY bpf/ bpf/
COPY agent/ agent/
COPY tools/ tools/
COPY scripts/ scripts/
COPY etc/ etc/
COPY schemas/ schemas/
COPY man/ man/
COPY deploy/systemd/ deploy/systemd/
COPY deploy/grafana/ deploy/grafana/

# vmlinux.h is generated from the BTF of the kernel the build runs on. /sys/kernel/btf/vmlinux is
# normally readable inside `docker build` (RUN steps see the host's sysfs read-only); a builder
# that hides /sys can put a BTF file in the build context and pass
#   --build-arg KERNEL_BTF=/src/vmlinux.btf
# CO-RE relocates the object at load time, so it runs on other kernels than the builder's.
ARG KERNEL_BTF=/sys/kernel/btf/vmlinux
# The same PREFIX for both steps: the agent's default object path is compiled in from it.
RUN make all PREFIX=/usr/local KERNEL_BTF="$KERNEL_BTF" \
 && make install PREFIX=/usr/local DESTDIR=/out

# --- runtime stage --------------------------------------------------------------------------------
FROM debian:12-slim
# The agent links libbpf1, libcyaml1 and libyaml-0-2 (libelf1 and zlib1g come with libbpf1), libxdp1
# (the dispatcher attach method), libcurl4 and libjson-c5 (the CrowdSec feed; ca-certificates for an
# https LAPI without a ca_file). iproute2 and bpftool are for the operator scripts.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libbpf1 libxdp1 libcyaml1 libyaml-0-2 libcurl4 libjson-c5 ca-certificates iproute2 bpftool \
 && rm -rf /var/lib/apt/lists/*

# Agent (sbin), vosfp-send (bin), the XDP object (lib/vosfp), and the scripts, schema and
# example config (share/vosfp), at the paths the agent was built for.
COPY --from=build /out/usr/local/ /usr/local/

# The scripts default to /etc/vosfp.yaml; in a container the config is a mounted directory.
ENV VOSFP_CONFIG=/etc/vosfp/vosfp.yaml

# SIGTERM (docker stop, a pod's deletion) makes the agent exit 0 and leave filtering in place
# (fail-static): the pinned program, links and maps keep working while the container is gone or
# being replaced. Removing the filter is explicit:
#   docker compose run --rm vosfp-agent --down --config /etc/vosfp/vosfp.yaml
STOPSIGNAL SIGTERM
ENTRYPOINT ["vosfp-agent"]
CMD ["--config", "/etc/vosfp/vosfp.yaml"]
