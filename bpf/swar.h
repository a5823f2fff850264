/* SPDX-License-Identifier: GPL-2.0 */
/* swar.h - byte searches eight bytes at a time in one 64-bit register ("SIMD within a register"),
 * for the datapath's payload scans: one load and four ALU operations test eight bytes, where a
 * byte loop costs a load and a branch per byte. Words are little-endian loads: byte k of the
 * payload is bits 8k..8k+7. */
#ifndef VOSFP_SWAR_H
#define VOSFP_SWAR_H

#define SWAR_ONES	0x0101010101010101ULL
#define SWAR_HIGH	0x8080808080808080ULL

/* 0x80 in every byte of w equal to c (c < 0x80), and maybe in bytes above the first such byte,
 * never below it: a borrow only runs upwards. So the lowest flag is always exact. */
#define SWAR_BYTE_FLAGS(w, c) ((((w) ^ (SWAR_ONES * (c))) - SWAR_ONES) & ~(w) & SWAR_HIGH)

/* 0x80 in exactly the bytes of x that are zero: the top bit is kept out of the addition, so no
 * carry crosses bytes. Costs a few operations more than SWAR_BYTE_FLAGS, for flags above the
 * first that can be trusted. */
static __always_inline __u64 swar_zero_bytes(__u64 x)
{
	return ~(((x & ~SWAR_HIGH) + ~SWAR_HIGH) | x | ~SWAR_HIGH);
}

/* The lowest flag (0x80 in byte k) of a non-zero SWAR mask -> k. Multiplying the isolated
 * 1 << (8k + 7) by this constant brings its byte 7 - k, which holds k, to the top. */
#define SWAR_BYTE_INDEX	0x0001020304050607ULL

static __always_inline __u32 swar_lowest_byte(__u64 flags)
{
	return ((flags & -flags) >> 7) * SWAR_BYTE_INDEX >> 56;
}

#endif
