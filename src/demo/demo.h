/*
 * The demo dataset behind `kizuna demo`: CSM users and a few hundred realistic accounts
 * (Japanese and English companies) with two years of subscription history, contacts,
 * timeline entries and tasks, so that every screen and metric has something to show.
 * The data is a pure function of the seed and `today`: the generator has its own PRNG.
 */
#ifndef KZ_DEMO_H
#define KZ_DEMO_H

#include <stdint.h>
#include <stdio.h>

#include "store/store.h"

#define DEMO_ACCOUNTS 300
#define DEMO_PASSWORD "kizuna-demo"

/* Fills st with the demo data in one transaction, dated up to today ("YYYY-MM-DD"; NULL for
 * the current UTC date), and prints a one-line summary to log (may be NULL). The users
 * (3 CSMs, 1 viewer, password DEMO_PASSWORD) are reused if they exist; the admin is not
 * created here. Returns KZ_OK; KZ_EINVAL for a bad today; KZ_ECONFLICT when the database
 * already has accounts (nothing is written); a store error otherwise (all rolled back).
 * crypto_setup() must have been called. */
int demo_generate(struct store *st, uint64_t seed, const char *today, FILE *log);

#endif
