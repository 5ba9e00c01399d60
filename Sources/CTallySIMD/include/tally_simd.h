#ifndef TALLY_SIMD_H
#define TALLY_SIMD_H

// Sixteen-byte scans for the JSON decoder (TallyWire/Decoding/JSON). `static inline`
// on purpose: Swift imports these through clang and inlines them into the scanner's
// loops, so each is a handful of SSE2 instructions, not a call. SSE2 is part of every
// x86-64 CPU; elsewhere `TALLY_HAS_SIMD16` is 0 and Swift keeps its word-at-a-time loop.

#include <stdint.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#define TALLY_HAS_SIMD16 1

/// One bit per byte of the 16 at `p` (bit i for p[i]) that a JSON string scan must look
/// at: `"`, `\`, a control byte (< 0x20) or a non-ASCII byte (>= 0x80, whose UTF-8 the
/// scanner validates). The signed compare `< 0x20` catches both of the last two at once:
/// bytes >= 0x80 are negative as signed bytes. The 16 bytes must be readable.
static inline uint32_t tally_string_stops16(const uint8_t *p) {
    __m128i v = _mm_loadu_si128((const __m128i *)p);
    __m128i quote = _mm_cmpeq_epi8(v, _mm_set1_epi8('"'));
    __m128i backslash = _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'));
    __m128i special = _mm_cmplt_epi8(v, _mm_set1_epi8(0x20));
    return (uint32_t)_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(quote, backslash), special));
}
#else
#define TALLY_HAS_SIMD16 0
#endif

#include <stddef.h>

/// Asks the CPU to start loading the cache line at `p` (a hint: no fault, no effect on what
/// any load returns). The engine's dedupe tables outgrow the caches, so the slot a sample's
/// key probes is usually in memory, not cache: the fold asks for it before the work that
/// precedes the probe (the content key, the checks), so the miss overlaps that work.
static inline void tally_prefetch(const void *p) {
#if defined(__GNUC__) || defined(__clang__)
    __builtin_prefetch(p);
#else
    (void)p;
#endif
}

/// glibc's substring search (a GNU extension, in glibc since 2.0), declared here because
/// Swift's Glibc module does not import it: TallyWire's `ByteSearch`, with which the format
/// sniffs ask whether a record holds a key's bytes at all before anything walks it.
void *memmem(const void *haystack, size_t haystacklen, const void *needle, size_t needlelen);

#endif
