/* Unit tests for src/util: buffers with caps, checked parsing, dates and times, UTF-8. */
#include <criterion/criterion.h>
#include <string.h>

#include "kizuna.h"
#include "util/crypto.h"
#include "util/util.h"

Test(buf, refuses_to_grow_past_its_cap)
{
    struct buf b;
    buf_init(&b, 8);
    cr_assert_eq(buf_append(&b, "12345", 5), 0);
    cr_assert_eq(buf_append(&b, "6789", 4), KZ_ETOOBIG);
    cr_assert_str_eq(b.p, "12345");
    cr_assert_eq(buf_printf(&b, "%d", 678), 0);
    cr_assert_str_eq(b.p, "12345678");
    cr_assert_eq(buf_printf(&b, "x"), KZ_ETOOBIG);
    cr_assert_eq(b.len, 8);
    buf_free(&b);
}

Test(buf, steal_leaves_it_empty)
{
    struct buf b;
    buf_init(&b, 0);
    buf_printf(&b, "%s-%d", "a", 1);
    char *s = buf_steal(&b);
    cr_assert_str_eq(s, "a-1");
    cr_assert_null(b.p);
    cr_assert_eq(b.len, 0);
    free(s);
}

Test(parse, integers_whole_string_only)
{
    int64_t v;
    long l;
    cr_assert_eq(parse_i64("42", &v), 0);
    cr_assert_eq(v, 42);
    cr_assert_eq(parse_i64("-9223372036854775808", &v), 0);
    cr_assert_eq(parse_i64("9223372036854775808", &v), -1);
    cr_assert_eq(parse_i64("12abc", &v), -1);
    cr_assert_eq(parse_i64("", &v), -1);
    cr_assert_eq(parse_i64(" 1", &v), -1);
    cr_assert_eq(parse_int_range("500", 1, 500, &l), 0);
    cr_assert_eq(parse_int_range("501", 1, 500, &l), -1);
    cr_assert_eq(parse_int_range("0", 1, 500, &l), -1);
}

Test(date, validates_real_calendar_dates)
{
    cr_assert_eq(date_valid("2024-02-29"), 0);
    cr_assert_eq(date_valid("2023-02-29"), -1);
    cr_assert_eq(date_valid("2026-13-01"), -1);
    cr_assert_eq(date_valid("2026-1-01"), -1);
    cr_assert_eq(date_valid("2026-01-01x"), -1);
    cr_assert_eq(date_valid(NULL), -1);
}

Test(date, days_round_trip)
{
    char out[11];
    cr_assert_eq(date_to_days("1970-01-01"), 0);
    cr_assert_eq(date_to_days("2000-03-01"), 11017);
    date_from_days(date_to_days("2026-11-22") + 10, out);
    cr_assert_str_eq(out, "2026-12-02");
}

Test(date, add_months_clamps_to_the_month_end)
{
    char out[11];
    date_from_days(date_add_months(date_to_days("2024-01-31"), 1), out);
    cr_assert_str_eq(out, "2024-02-29");
    date_from_days(date_add_months(date_to_days("2023-01-31"), 1), out);
    cr_assert_str_eq(out, "2023-02-28");
    date_from_days(date_add_months(date_to_days("2026-11-22"), -24), out);
    cr_assert_str_eq(out, "2024-11-22");
    date_from_days(date_add_months(date_to_days("2025-12-15"), 1), out);
    cr_assert_str_eq(out, "2026-01-15");
}

Test(time, parses_rfc3339_with_offsets_and_fractions)
{
    int64_t t;
    char out[21];
    cr_assert_eq(time_parse("2026-11-22T09:00:00+09:00", &t), 0);
    time_format(t, out);
    cr_assert_str_eq(out, "2026-11-22T00:00:00Z");
    cr_assert_eq(time_parse("2026-11-22T00:00:00.123Z", &t), 0);
    time_format(t, out);
    cr_assert_str_eq(out, "2026-11-22T00:00:00Z");
    cr_assert_eq(time_parse("2026-11-22 00:00:00Z", &t), 0);
    cr_assert_eq(time_parse("2026-11-22T24:00:00Z", &t), -1);
    cr_assert_eq(time_parse("2026-11-22T00:00:00", &t), -1);
    cr_assert_eq(time_parse("2026-11-22T00:00:00Zjunk", &t), -1);
    cr_assert_eq(time_parse("yesterday", &t), -1);
}

Test(utf8, accepts_valid_and_refuses_malformed)
{
    const char *ok = "絆 kizuna ✓ 😀";
    cr_assert(utf8_valid(ok, strlen(ok)));
    cr_assert_not(utf8_valid("\xc3\x28", 2));          /* bad continuation */
    cr_assert_not(utf8_valid("\xc0\xaf", 2));          /* overlong */
    cr_assert_not(utf8_valid("\xed\xa0\x80", 3));      /* surrogate */
    cr_assert_not(utf8_valid("\xf4\x90\x80\x80", 4));  /* above U+10FFFF */
    cr_assert_not(utf8_valid("\xe7\xb5", 2));          /* truncated */
}

Test(currency, three_uppercase_letters)
{
    cr_assert(currency_code_valid("JPY"));
    cr_assert_not(currency_code_valid("jpy"));
    cr_assert_not(currency_code_valid("JP"));
    cr_assert_not(currency_code_valid("JPYY"));
    cr_assert_not(currency_code_valid(NULL));
}

Test(crypto, passwords_and_tokens)
{
    cr_assert_eq(crypto_setup(), 0);
    char *h;
    cr_assert_eq(password_hash("correct horse", &h), 0);
    cr_assert(strncmp(h, "$argon2id$", 10) == 0);
    cr_assert(password_verify(h, "correct horse"));
    cr_assert_not(password_verify(h, "correct horsE"));
    free(h);
    char *a = token_new("kz_"), *b = token_new("kz_");
    cr_assert_eq(strlen(a), 3 + 43);
    cr_assert_str_neq(a, b);
    char ha[65], hb[65];
    token_hash(a, ha);
    token_hash(b, hb);
    cr_assert_eq(strlen(ha), 64);
    cr_assert_str_neq(ha, hb);
    cr_assert(secure_streq(a, a));
    cr_assert_not(secure_streq(a, b));
    free(a);
    free(b);
}
