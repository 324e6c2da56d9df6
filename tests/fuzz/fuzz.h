/*
 * What every fuzz harness shares: the input read as a stream of choices, and the one way a broken
 * invariant ends a run (a message naming it, then abort(), which libFuzzer and the replay both
 * report as a failure with the input that caused it).
 *
 * A harness reads its input as a little program: each choice takes the next bytes, and once the
 * input is used up every choice reads as 0, so any byte string is a valid program and a mutation
 * anywhere changes only what comes after it.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

struct fuzz_input {
    const uint8_t *data;
    size_t size;
    size_t pos;
};

static inline struct fuzz_input fuzz_input(const uint8_t *data, size_t size)
{
    return (struct fuzz_input){data, size, 0};
}

static inline bool fuzz_more(const struct fuzz_input *in)
{
    return in->pos < in->size;
}

static inline size_t fuzz_left(const struct fuzz_input *in)
{
    return in->size - in->pos;
}

static inline uint8_t fuzz_u8(struct fuzz_input *in)
{
    return in->pos < in->size ? in->data[in->pos++] : 0;
}

static inline uint16_t fuzz_u16(struct fuzz_input *in)
{
    uint16_t lo = fuzz_u8(in);
    return (uint16_t)(lo | (uint16_t)fuzz_u8(in) << 8);
}

static inline uint32_t fuzz_u32(struct fuzz_input *in)
{
    uint32_t lo = fuzz_u16(in);
    return lo | (uint32_t)fuzz_u16(in) << 16;
}

static inline uint64_t fuzz_u64(struct fuzz_input *in)
{
    uint64_t lo = fuzz_u32(in);
    return lo | (uint64_t)fuzz_u32(in) << 32;
}

static inline bool fuzz_bool(struct fuzz_input *in)
{
    return (fuzz_u8(in) & 1) != 0;
}

/* 0 .. n - 1 (n > 0), from one byte when n fits in one, so that small choices stay small. */
static inline uint32_t fuzz_below(struct fuzz_input *in, uint32_t n)
{
    uint32_t v = n <= 256 ? fuzz_u8(in) : n <= 65536 ? fuzz_u16(in) : fuzz_u32(in);
    return v % n;
}

/* Split off a second stream: the first byte says how many of the input's last bytes are the
 * choices of a peer acting between two loads (fuzz_race.h), which come at moments the program
 * cannot predict; kept apart, they leave the program's own bytes where they are, so an input
 * can be written by hand. */
static inline struct fuzz_input fuzz_split(struct fuzz_input *in)
{
    size_t n = fuzz_u8(in);
    n = n < fuzz_left(in) ? n : fuzz_left(in);
    in->size -= n;
    return (struct fuzz_input){in->data + in->size, n, 0};
}

/* Copy up to `max` of the next bytes into `to`; returns how many there were. */
static inline size_t fuzz_bytes(struct fuzz_input *in, void *to, size_t max)
{
    size_t n = fuzz_left(in) < max ? fuzz_left(in) : max;
    for (size_t i = 0; i < n; i++) {
        ((uint8_t *)to)[i] = in->data[in->pos + i];
    }
    in->pos += n;
    return n;
}

/* A broken invariant: say which, then abort (never return, so the run stops at the first). */
#define FUZZ_CHECK(cond, ...)                                                                    \
    do {                                                                                         \
        if (!(cond)) {                                                                           \
            fprintf(stderr, "fuzz invariant broken at %s:%d (%s): ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                                        \
            fputc('\n', stderr);                                                                 \
            fflush(stderr);                                                                      \
            abort();                                                                             \
        }                                                                                        \
    } while (0)

/* FUZZ_TRACE=1 in the environment: harnesses say what each step does, to read a finding. */
static inline bool fuzz_tracing(void)
{
    static int tracing = -1;
    if (tracing < 0) {
        tracing = getenv("FUZZ_TRACE") != NULL;
    }
    return tracing != 0;
}

#define FUZZ_TRACE(...)                   \
    do {                                  \
        if (fuzz_tracing()) {             \
            fprintf(stderr, __VA_ARGS__); \
            fputc('\n', stderr);          \
        }                                 \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
