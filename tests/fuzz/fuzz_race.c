/* The peer of fuzz_race.h. Its own loads are the real ones: this file is built without the
 * -include, and undefines the macro in case it is. */
#include "fuzz_race.h"
#include "fuzz.h"
#undef __atomic_load_n

static fuzz_race_hook hook;
static void *hook_context;
static unsigned long limit;
static unsigned long loads;
static const char *limit_what = "";
static bool in_hook;

void fuzz_race_after_load(const volatile void *address, unsigned size)
{
    if (in_hook) {
        return; /* the peer's own operation: neither counted nor raced */
    }
    loads++;
    FUZZ_CHECK(limit == 0 || loads <= limit, "more than %lu loads of shared memory in one call: %s", limit, limit_what);
    if (hook != NULL) {
        in_hook = true;
        hook(address, size, hook_context);
        in_hook = false;
    }
}

void fuzz_race_arm(fuzz_race_hook new_hook, void *context, unsigned long max_loads, const char *what)
{
    hook = new_hook;
    hook_context = context;
    limit = max_loads;
    limit_what = what;
    loads = 0;
}

void fuzz_race_disarm(void)
{
    hook = NULL;
    limit = 0;
}

unsigned long fuzz_race_loads(void)
{
    return loads;
}
