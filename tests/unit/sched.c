/* The scheduler's touched-account set: dedupe, sorted take, overflow to "all". */
#include "sched/sched.h"

#include <criterion/criterion.h>
#include <stdlib.h>

Test(sched, touched_set_dedupes_and_sorts)
{
    int64_t *ids;
    size_t n;
    cr_assert_eq(sched_take_touched(&ids, &n), 0);
    cr_assert_eq(n, 0);
    sched_touch_account(42);
    sched_touch_account(7);
    sched_touch_account(42);
    sched_touch_account(0);   /* not an id: ignored */
    sched_touch_account(-3);
    cr_assert_eq(sched_take_touched(&ids, &n), 0);
    cr_assert_eq(n, 2);
    cr_assert_eq(ids[0], 7);
    cr_assert_eq(ids[1], 42);
    free(ids);
    cr_assert_eq(sched_take_touched(&ids, &n), 0);
    cr_assert_eq(n, 0, "taking empties the set");
}

Test(sched, overflow_asks_for_everything)
{
    int64_t *ids;
    size_t n;
    for (int64_t i = 1; i <= 70000; i++)
        sched_touch_account(i);
    cr_assert_eq(sched_take_touched(&ids, &n), 1);
    cr_assert_null(ids);
    cr_assert_eq(n, 0);
    sched_touch_account(5);
    cr_assert_eq(sched_take_touched(&ids, &n), 0, "the overflow is reset by a take");
    cr_assert_eq(n, 1);
    free(ids);
}
