/* The peer of tests/unit/spsc_race.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "spsc_race.h"
/* Its own loads are the real ones. */
#undef __atomic_load_n

static spsc_race_action armed;
static void *armed_context;
static unsigned long limit;
static unsigned long loads;

uint32_t spsc_race_load(const uint32_t *word, int order)
{
    (void)order; /* sequentially consistent here, which is at least what any caller asks */
    uint32_t value = __atomic_load_n(word, __ATOMIC_SEQ_CST);
    if (armed != NULL) {
        if (++loads > limit) {
            armed = NULL; /* the test is over: let the code under test unwind quietly */
            fail_msg("more than %lu loads of shared words: a loop over peer data does not end", limit);
        }
        armed((uint32_t *)word, value, armed_context);
    }
    return value;
}

void spsc_race_arm(spsc_race_action action, void *context, unsigned long max_loads)
{
    armed = action;
    armed_context = context;
    limit = max_loads;
    loads = 0;
}

void spsc_race_disarm(void)
{
    armed = NULL;
}

unsigned long spsc_race_loads(void)
{
    return loads;
}

void spsc_race_rewrite_once(uint32_t *word, uint32_t seen, void *context)
{
    (void)seen;
    struct spsc_race_rewrite *r = context;
    if (word == r->word && !r->acted) {
        *r->other = r->value;
        r->acted = true;
    }
}
