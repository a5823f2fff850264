/* bpf_errno.h - the kernel's ENOTSUPP (524), which the bpf() syscall returns for operations a map
 * type lacks (batch ops on some maps) but which no libc header defines. */
#ifndef VOSFP_BPF_ERRNO_H
#define VOSFP_BPF_ERRNO_H

#ifndef ENOTSUPP
#define ENOTSUPP 524
#endif

#endif
