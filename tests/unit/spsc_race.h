/*
 * A peer that acts between any two reads of shared memory, for host tests of ring code. The test
 * build includes this header (-include) into the code under test, so that each of its
 * __atomic_load_n calls goes through spsc_race_load: the load happens, then the armed action runs,
 * as a peer on another core could between this load and the next. Code that reads an index twice
 * in one operation then sees two different values, which is how the tests catch it. The macro
 * also makes a loop over peer data countable: the armed limit fails the test when it is passed.
 * Only uint32_t words are loaded this way, which is all the ring code loads.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* Runs right after the code under test loaded `word` and got `seen`. */
typedef void (*spsc_race_action)(uint32_t *word, uint32_t seen, void *context);

uint32_t spsc_race_load(const uint32_t *word, int order);
/* From now on run `action` after every load; more than `max_loads` loads fail the test (a loop
 * that never ends). */
void spsc_race_arm(spsc_race_action action, void *context, unsigned long max_loads);
void spsc_race_disarm(void);
/* Loads since the last arm. */
unsigned long spsc_race_loads(void);

/* A ready-made action: the first time `word` is loaded, the peer writes `value` to `other`. */
struct spsc_race_rewrite {
    uint32_t *word;
    uint32_t *other;
    uint32_t value;
    bool acted;
};
void spsc_race_rewrite_once(uint32_t *word, uint32_t seen, void *context);

#define __atomic_load_n(word, order) spsc_race_load((word), (order))
