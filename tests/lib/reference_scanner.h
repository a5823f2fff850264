/* reference_scanner.h - the datapath's scanner User-Agent decision (is_scanner in
 * bpf/sip_logic.bpf.c) written for a reader, in plain C with no BPF: the oracle the scanner
 * differential test holds the kernel program to. */
#ifndef VOSFP_TEST_REFERENCE_SCANNER_H
#define VOSFP_TEST_REFERENCE_SCANNER_H

#include <stddef.h>
#include <stdint.h>

/* Is payload a SIP request whose User-Agent value starts with one of the tokens' first words?
 * len is the payload length the datapath trusts (UDP length bounded by the IP datagram);
 * avail the bytes the frame really holds from the payload's start (it may be less than len
 * in a truncated frame, or more with Ethernet padding). 1 yes, 0 no. */
int reference_is_scanner(const uint8_t *payload, size_t len, size_t avail,
			 const char *const *tokens, size_t n_tokens);

#endif
