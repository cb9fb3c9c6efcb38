/*
 * Demo success plans and survey answers (demo_success.c), called once per demo account by
 * demo.c: goals with a baseline, a target and measured values, and NPS/CSAT/CES answers over
 * the account's life in the last 24 months, worse for accounts that churn. Deterministic: a
 * pure function of the input (its own PRNG stream from `seed`).
 */
#ifndef KZ_DEMO_SUCCESS_H
#define KZ_DEMO_SUCCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

struct demo_success_input {
    int64_t account_id;
    uint64_t seed;          /* this account's PRNG stream */
    int64_t first_day;      /* days since 1970: its first subscription day */
    int64_t end_day;        /* the last day of its active life: its churn, or today */
    int64_t today;
    bool churned;           /* it ends churned: its answers and goals go sour */
    bool english;
    int64_t csm_id;         /* who records the measurements (0 = nobody) */
    const int64_t *contacts; /* the account's contacts, who answer the surveys */
    size_t ncontacts;
};

/* Writes the account's goals, their values and its survey answers through st (inside the
 * demo's transaction). Returns KZ_OK or a store error. */
int demo_success_account(struct store *st, const struct demo_success_input *in);

#endif
