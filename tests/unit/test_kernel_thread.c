/*
 * The thread state machine (kernel/include/kernel/thread.h, kernel/core/thread.c), on the host:
 * every transition of the documented machine is accepted, every other one stops the kernel with
 * a message naming the thread and both states.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <kernel/thread.h>
#include "fake_arch.h"

#define STATES 6

/* The machine as thread.h documents it, written out here independently: allowed[from][to]. */
static const bool allowed[STATES][STATES] = {
    /* to: INACTIVE, READY, BLOCKED_RECV, BLOCKED_CALL, BLOCKED_FAULT, IDLE_WFI */
    [THREAD_INACTIVE] = {true, true, false, false, false, false},
    [THREAD_READY] = {true, false, true, true, true, true},
    [THREAD_BLOCKED_RECV] = {true, true, false, false, false, false},
    [THREAD_BLOCKED_CALL] = {true, true, false, false, false, false},
    [THREAD_BLOCKED_FAULT] = {true, true, false, false, false, false},
    [THREAD_IDLE_WFI] = {true, true, false, false, false, false},
};

static void every_documented_transition_is_allowed_and_no_other(void **state)
{
    (void)state;
    for (unsigned from = 0; from < STATES; from++) {
        for (unsigned to = 0; to < STATES; to++) {
            assert_int_equal(thread_transition_allowed((enum thread_state)from, (enum thread_state)to),
                             allowed[from][to]);
        }
    }
}

static void allowed_transition_changes_the_state(void **state)
{
    (void)state;
    struct thread t = {.name = "t", .state = THREAD_READY};
    thread_set_state(&t, THREAD_IDLE_WFI);
    assert_int_equal(t.state, THREAD_IDLE_WFI);
    thread_set_state(&t, THREAD_READY);
    assert_int_equal(t.state, THREAD_READY);
    thread_set_state(&t, THREAD_INACTIVE);
    assert_int_equal(t.state, THREAD_INACTIVE);
    thread_set_state(&t, THREAD_INACTIVE); /* stopping a stopped thread is harmless */
    assert_int_equal(t.state, THREAD_INACTIVE);
}

/* One forbidden transition: it panics, names the thread and both states, changes nothing. */
static void check_refused(enum thread_state from, enum thread_state to)
{
    struct thread t = {.name = "worker", .state = from};
    assert_true(FAKE_PANICS(thread_set_state(&t, to)));
    assert_int_equal(t.state, from);
    char expected[96];
    snprintf(expected, sizeof(expected), "thread 'worker': %s -> %s", thread_state_name(from), thread_state_name(to));
    assert_non_null(strstr(fake_panic_message, expected));
}

static void forbidden_transition_panics_and_names_it(void **state)
{
    (void)state;
    unsigned refused = 0;
    for (unsigned from = 0; from < STATES; from++) {
        for (unsigned to = 0; to < STATES; to++) {
            if (!allowed[from][to]) {
                check_refused((enum thread_state)from, (enum thread_state)to);
                refused++;
            }
        }
    }
    assert_int_equal(refused, 21); /* 36 pairs, 15 allowed */
}

/* The ones a real bug would make: a blocked thread "woken" into another wait, a stopped one
 * faulting, a running one readied twice (which used to requeue it). */
static void the_transitions_of_likely_bugs_are_refused(void **state)
{
    (void)state;
    struct thread t = {.name = "t", .state = THREAD_BLOCKED_CALL};
    assert_true(FAKE_PANICS(thread_set_state(&t, THREAD_BLOCKED_RECV)));
    t.state = THREAD_INACTIVE;
    assert_true(FAKE_PANICS(thread_set_state(&t, THREAD_BLOCKED_FAULT)));
    t.state = THREAD_READY;
    assert_true(FAKE_PANICS(thread_set_state(&t, THREAD_READY)));
    t.state = THREAD_IDLE_WFI;
    assert_true(FAKE_PANICS(thread_set_state(&t, THREAD_IDLE_WFI)));
}

static void state_names(void **state)
{
    (void)state;
    assert_string_equal(thread_state_name(THREAD_INACTIVE), "INACTIVE");
    assert_string_equal(thread_state_name(THREAD_READY), "READY");
    assert_string_equal(thread_state_name(THREAD_BLOCKED_RECV), "BLOCKED_RECV");
    assert_string_equal(thread_state_name(THREAD_BLOCKED_CALL), "BLOCKED_CALL");
    assert_string_equal(thread_state_name(THREAD_BLOCKED_FAULT), "BLOCKED_FAULT");
    assert_string_equal(thread_state_name(THREAD_IDLE_WFI), "IDLE_WFI");
    assert_string_equal(thread_state_name((enum thread_state)42), "?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_documented_transition_is_allowed_and_no_other),
        cmocka_unit_test(allowed_transition_changes_the_state),
        cmocka_unit_test(forbidden_transition_panics_and_names_it),
        cmocka_unit_test(the_transitions_of_likely_bugs_are_refused),
        cmocka_unit_test(state_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
