/* What the microkit_api test's PDs share: the patterns of the FP check and the echo's answer. */
#pragma once

#include <stdint.h>

#define FP_PATTERN_API  0x0123456789abcdefULL
#define FP_PATTERN_PEER 0xfedcba9876543210ULL
#define ECHO_LABEL      0x77
#define ECHO_WORDS      64

/* Written by fpu_peer into the shared region: what it saw in v20 on its first notification. */
struct peer_report {
    uint64_t v20_seen;
    uint64_t notifications;
};
