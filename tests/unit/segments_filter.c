/*
 * Unit tests for the segment filter compiler (src/segments/filter.c): the SQL and the binds
 * each operator produces, and every validation error with the JSON path it names.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "segments/filter.h"
#include "util/util.h"

/* 2026-03-10T12:00:00Z */
#define NOW 1773144000LL

static struct seg_sql q;

static void compile_ok(const char *json, int first)
{
    json_error_t je;
    json_t *j = json_loads(json, 0, &je);
    cr_assert(j, "bad test JSON: %s", json);
    struct seg_node *n = NULL;
    struct seg_error err;
    int rc = seg_parse(j, "filter", &n, &err);
    cr_assert_eq(rc, 0, "%s: %s %s", json, err.path, err.detail);
    seg_sql_cleanup(&q);
    seg_compile(n, NOW, first, &q);
    seg_node_free(n);
    json_decref(j);
}

static void fini(void)
{
    seg_sql_cleanup(&q);
}

static void expect_sql(const char *json, const char *sql)
{
    compile_ok(json, 1);
    cr_assert_str_eq(q.sql, sql, "%s", json);
}

static void expect_text(size_t i, const char *s)
{
    cr_assert_gt(q.nbinds, i);
    cr_assert_eq(q.binds[i].type, SEG_BIND_TEXT, "bind %zu", i);
    cr_assert_str_eq(q.binds[i].s, s, "bind %zu", i);
}

static void expect_int(size_t i, int64_t v)
{
    cr_assert_gt(q.nbinds, i);
    cr_assert_eq(q.binds[i].type, SEG_BIND_INT, "bind %zu", i);
    cr_assert_eq(q.binds[i].i, v, "bind %zu: %lld", i, (long long)q.binds[i].i);
}

static void expect_error(const char *json, const char *path, const char *detail_part)
{
    json_error_t je;
    json_t *j = json_loads(json, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    cr_assert(j, "bad test JSON: %s", json);
    struct seg_node *n = (struct seg_node *)1;
    struct seg_error err;
    cr_assert_eq(seg_parse(j, "filter", &n, &err), -1, "accepted: %s", json);
    cr_assert_null(n);
    cr_assert_str_eq(err.path, path, "%s: path %s (%s)", json, err.path, err.detail);
    if (detail_part)
        cr_assert(strstr(err.detail, detail_part), "%s: detail '%s' lacks '%s'", json,
                  err.detail, detail_part);
    json_decref(j);
}

TestSuite(segments_filter, .fini = fini);

Test(segments_filter, comparisons_on_plain_columns)
{
    expect_sql("{\"field\":\"tier\",\"op\":\"eq\",\"value\":\"high\"}", "a.tier = ?1");
    expect_text(0, "high");
    cr_assert_eq(q.nbinds, 1);
    expect_sql("{\"field\":\"health\",\"op\":\"lt\",\"value\":40}", "a.health_score < ?1");
    expect_int(0, 40);
    expect_sql("{\"field\":\"employees\",\"op\":\"gte\",\"value\":100}", "a.employees >= ?1");
    expect_sql("{\"field\":\"mrr\",\"op\":\"lte\",\"value\":5}", "s.mrr <= ?1");
    expect_sql("{\"field\":\"arr\",\"op\":\"gt\",\"value\":1200000}", "(s.mrr * 12) > ?1");
    expect_int(0, 1200000);
    expect_sql("{\"field\":\"owner\",\"op\":\"eq\",\"value\":7}", "a.owner_id = ?1");
    expect_sql("{\"field\":\"band\",\"op\":\"ne\",\"value\":\"red\"}",
               "(a.health_band IS NULL OR a.health_band <> ?1)");
    expect_text(0, "red");
    expect_sql("{\"field\":\"auto_renew\",\"op\":\"eq\",\"value\":false}", "s.auto_renew = ?1");
    expect_int(0, 0);
    expect_sql("{\"field\":\"subscription_status\",\"op\":\"in\",\"value\":[\"trial\",\"active\"]}",
               "s.status IN (?1, ?2)");
    expect_text(0, "trial");
    expect_text(1, "active");
    expect_sql("{\"field\":\"industry\",\"op\":\"is_null\"}", "a.industry IS NULL");
    cr_assert_eq(q.nbinds, 0);
    expect_sql("{\"field\":\"industry\",\"op\":\"is_null\",\"value\":false}",
               "a.industry IS NOT NULL");
    expect_sql("{\"field\":\"nps\",\"op\":\"lte\",\"value\":6}",
               "(SELECT r.score FROM survey_responses r WHERE r.account_id = a.id AND "
               "r.type = 'nps' ORDER BY r.answered_at DESC, r.id DESC LIMIT 1) <= ?1");
    expect_sql("{\"field\":\"sentiment\",\"op\":\"eq\",\"value\":2}", "a.sentiment = ?1");
}

Test(segments_filter, contains_escapes_like_wildcards)
{
    expect_sql("{\"field\":\"name\",\"op\":\"contains\",\"value\":\"50%_off\\\\\"}",
               "a.name LIKE ?1 ESCAPE '\\'");
    expect_text(0, "%50\\%\\_off\\\\%");
}

Test(segments_filter, dates_and_within_days)
{
    expect_sql("{\"field\":\"renewal_date\",\"op\":\"lt\",\"value\":\"2026-06-01\"}",
               "s.renewal_date < ?1");
    expect_text(0, "2026-06-01");
    /* renewal: the next N days */
    expect_sql("{\"field\":\"renewal_date\",\"op\":\"within_days\",\"value\":60}",
               "(s.renewal_date >= ?1 AND s.renewal_date <= ?2)");
    expect_text(0, "2026-03-10");
    expect_text(1, "2026-05-09");
    /* created_at: the last N days, on the date part of the timestamp */
    expect_sql("{\"field\":\"created_at\",\"op\":\"within_days\",\"value\":10}",
               "(substr(a.created_at, 1, 10) >= ?1 AND substr(a.created_at, 1, 10) <= ?2)");
    expect_text(0, "2026-02-28");
    expect_text(1, "2026-03-10");
}

Test(segments_filter, days_since_cutoffs)
{
    /* inactive for more than 14 days: last seen at or before now - 15 days */
    expect_sql("{\"field\":\"last_seen\",\"op\":\"gt\",\"value\":14}", "a.last_seen_at <= ?1");
    expect_text(0, "2026-02-23T12:00:00Z");
    expect_sql("{\"field\":\"last_seen\",\"op\":\"gte\",\"value\":14}", "a.last_seen_at <= ?1");
    expect_text(0, "2026-02-24T12:00:00Z");
    expect_sql("{\"field\":\"last_seen\",\"op\":\"lt\",\"value\":7}", "a.last_seen_at > ?1");
    expect_text(0, "2026-03-03T12:00:00Z");
    expect_sql("{\"field\":\"last_seen\",\"op\":\"lte\",\"value\":7}", "a.last_seen_at > ?1");
    expect_text(0, "2026-03-02T12:00:00Z");
    expect_sql("{\"field\":\"last_seen\",\"op\":\"within_days\",\"value\":7}",
               "a.last_seen_at > ?1");
    expect_text(0, "2026-03-02T12:00:00Z");
    expect_sql("{\"field\":\"days_in_phase\",\"op\":\"eq\",\"value\":3}",
               "(a.phase_entered_at > ?1 AND a.phase_entered_at <= ?2)");
    expect_text(0, "2026-03-06T12:00:00Z");
    expect_text(1, "2026-03-07T12:00:00Z");
    expect_sql("{\"field\":\"last_seen\",\"op\":\"ne\",\"value\":3}",
               "(a.last_seen_at IS NULL OR a.last_seen_at <= ?1 OR a.last_seen_at > ?2)");
    expect_sql("{\"field\":\"last_seen\",\"op\":\"is_null\"}", "a.last_seen_at IS NULL");
}

Test(segments_filter, custom_fields_bind_the_key)
{
    expect_sql("{\"field\":\"custom.region\",\"op\":\"eq\",\"value\":\"APAC\"}",
               "json_extract(a.custom, ?1) = ?2");
    expect_text(0, "$.\"region\"");
    expect_text(1, "APAC");
    /* A key made to break out of the SQL stays in the bound path. */
    expect_sql("{\"field\":\"custom.x') OR 1=1; DROP TABLE accounts; --\",\"op\":\"ne\","
               "\"value\":3.5}",
               "(json_extract(a.custom, ?1) IS NULL OR json_extract(a.custom, ?1) <> ?2)");
    expect_text(0, "$.\"x') OR 1=1; DROP TABLE accounts; --\"");
    cr_assert_eq(q.binds[1].type, SEG_BIND_REAL);
    cr_assert_float_eq(q.binds[1].d, 3.5, 1e-9);
    expect_sql("{\"field\":\"custom.seats used\",\"op\":\"in\",\"value\":[1,\"two\"]}",
               "json_extract(a.custom, ?1) IN (?2, ?3)");
    expect_int(1, 1);
    expect_text(2, "two");
    expect_sql("{\"field\":\"custom.vip\",\"op\":\"eq\",\"value\":true}",
               "json_extract(a.custom, ?1) = ?2");
    expect_int(1, 1);
    expect_sql("{\"field\":\"custom.note\",\"op\":\"is_null\"}",
               "json_extract(a.custom, ?1) IS NULL");
}

Test(segments_filter, values_are_never_in_the_sql)
{
    expect_sql("{\"field\":\"name\",\"op\":\"eq\",\"value\":\"x' OR '1'='1\"}", "a.name = ?1");
    expect_text(0, "x' OR '1'='1");
}

Test(segments_filter, and_or_not_nesting_and_numbering)
{
    compile_ok("{\"and\":[{\"field\":\"tier\",\"op\":\"eq\",\"value\":\"high\"},"
               "{\"or\":[{\"field\":\"band\",\"op\":\"eq\",\"value\":\"red\"},"
               "{\"field\":\"health\",\"op\":\"lt\",\"value\":50}]},"
               "{\"not\":{\"field\":\"industry\",\"op\":\"eq\",\"value\":\"SaaS\"}}]}",
               13);
    cr_assert_str_eq(q.sql, "(a.tier = ?13 AND (a.health_band = ?14 OR a.health_score < ?15) "
                            "AND NOT COALESCE(a.industry = ?16, 0))");
    cr_assert_eq(q.nbinds, 4);
    expect_text(0, "high");
    expect_text(1, "red");
    expect_int(2, 50);
    expect_text(3, "SaaS");
    expect_sql("{\"and\":[]}", "1 = 1");
    expect_sql("{\"or\":[]}", "1 = 0");
    expect_sql("{\"not\":{\"or\":[]}}", "NOT COALESCE(1 = 0, 0)");
}

Test(segments_filter, limits)
{
    /* 8 levels are fine, 9 are not: the path names the ninth. */
    char deep[512] = "";
    for (int i = 0; i < 7; i++)
        strcat(deep, "{\"not\":");
    strcat(deep, "{\"field\":\"tier\",\"op\":\"eq\",\"value\":\"low\"}");
    for (int i = 0; i < 7; i++)
        strcat(deep, "}");
    compile_ok(deep, 1);
    char deeper[600];
    snprintf(deeper, sizeof(deeper), "{\"and\":[%s]}", deep);
    expect_error(deeper, "filter.and[0].not.not.not.not.not.not.not", "8 levels");

    /* 100 conditions are fine, the 101st is named. */
    struct buf b;
    buf_init(&b, 0);
    buf_printf(&b, "{\"or\":[");
    for (int i = 0; i < 100; i++)
        buf_printf(&b, "%s{\"field\":\"health\",\"op\":\"eq\",\"value\":%d}", i ? "," : "", i);
    buf_printf(&b, "]}");
    compile_ok(b.p, 1);
    cr_assert_eq(q.nbinds, 100);
    buf_reset(&b);
    buf_printf(&b, "{\"or\":[{\"or\":[");
    for (int i = 0; i < 100; i++)
        buf_printf(&b, "%s{\"field\":\"health\",\"op\":\"eq\",\"value\":%d}", i ? "," : "", i % 100);
    buf_printf(&b, "]},{\"field\":\"tier\",\"op\":\"eq\",\"value\":\"low\"}]}");
    expect_error(b.p, "filter.or[1]", "at most 100 conditions");
    /* Groups count too: 401 empty ones are refused where the 401st node is. */
    buf_reset(&b);
    buf_printf(&b, "{\"or\":[");
    for (int i = 0; i < 400; i++)
        buf_printf(&b, "%s{\"and\":[]}", i ? "," : "");
    buf_printf(&b, "]}");
    expect_error(b.p, "filter.or[399]", "at most 400 nodes");
    buf_free(&b);
}

Test(segments_filter, validation_errors_name_the_path)
{
    expect_error("[]", "filter", "must be an object");
    expect_error("{}", "filter.field", "is required");
    expect_error("{\"and\":{}}", "filter.and", "array");
    expect_error("{\"and\":[1]}", "filter.and[0]", "must be an object");
    expect_error("{\"and\":[],\"or\":[]}", "filter.or", "beside");
    expect_error("{\"not\":[]}", "filter.not", "must be an object");
    expect_error("{\"and\":[{\"field\":\"tier\",\"op\":\"eq\",\"value\":\"high\"},"
                 "{\"or\":[{\"field\":\"tier\",\"op\":\"like\",\"value\":\"x\"}]}]}",
                 "filter.and[1].or[0].op", "unknown operator");
    expect_error("{\"field\":\"colour\",\"op\":\"eq\",\"value\":\"x\"}", "filter.field",
                 "unknown field");
    expect_error("{\"field\":7,\"op\":\"eq\",\"value\":\"x\"}", "filter.field", "string");
    expect_error("{\"field\":\"tier\",\"op\":\"eq\",\"value\":\"x\",\"extra\":1}",
                 "filter.extra", "unknown key");
    expect_error("{\"field\":\"tier\",\"value\":\"x\"}", "filter.op", "required");
    expect_error("{\"field\":\"tier\",\"op\":5,\"value\":\"x\"}", "filter.op", "unknown operator");
    expect_error("{\"field\":\"tier\",\"op\":\"eq\"}", "filter.value", "required");
    expect_error("{\"field\":\"tier\",\"op\":\"eq\",\"value\":\"gold\"}", "filter.value",
                 "high, low, tech");
    expect_error("{\"field\":\"tier\",\"op\":\"lt\",\"value\":\"high\"}", "filter.op",
                 "does not apply");
    expect_error("{\"field\":\"name\",\"op\":\"gt\",\"value\":\"a\"}", "filter.op",
                 "does not apply");
    expect_error("{\"field\":\"health\",\"op\":\"contains\",\"value\":\"5\"}", "filter.op",
                 "does not apply");
    expect_error("{\"field\":\"health\",\"op\":\"within_days\",\"value\":5}", "filter.op",
                 "does not apply");
    expect_error("{\"field\":\"health\",\"op\":\"eq\",\"value\":\"50\"}", "filter.value",
                 "integer");
    expect_error("{\"field\":\"health\",\"op\":\"eq\",\"value\":50.5}", "filter.value",
                 "integer");
    expect_error("{\"field\":\"health\",\"op\":\"eq\",\"value\":101}", "filter.value",
                 "from 0 to 100");
    expect_error("{\"field\":\"nps\",\"op\":\"lt\",\"value\":-1}", "filter.value", "from 0 to 10");
    expect_error("{\"field\":\"owner\",\"op\":\"eq\",\"value\":0}", "filter.value", "from 1");
    expect_error("{\"field\":\"tier\",\"op\":\"in\",\"value\":\"high\"}", "filter.value",
                 "array");
    expect_error("{\"field\":\"tier\",\"op\":\"in\",\"value\":[]}", "filter.value", "1 to 100");
    expect_error("{\"field\":\"tier\",\"op\":\"in\",\"value\":[\"high\",3]}", "filter.value[1]",
                 "string");
    expect_error("{\"field\":\"renewal_date\",\"op\":\"lt\",\"value\":\"2026-02-30\"}",
                 "filter.value", "YYYY-MM-DD");
    expect_error("{\"field\":\"renewal_date\",\"op\":\"within_days\",\"value\":\"60\"}",
                 "filter.value", "integer");
    expect_error("{\"field\":\"renewal_date\",\"op\":\"within_days\",\"value\":-1}",
                 "filter.value", "from 0");
    expect_error("{\"field\":\"last_seen\",\"op\":\"gt\",\"value\":\"14\"}", "filter.value",
                 "integer");
    expect_error("{\"field\":\"auto_renew\",\"op\":\"eq\",\"value\":1}", "filter.value",
                 "true or false");
    expect_error("{\"field\":\"industry\",\"op\":\"is_null\",\"value\":\"yes\"}", "filter.value",
                 "true");
    expect_error("{\"field\":\"custom.\",\"op\":\"eq\",\"value\":1}", "filter.field", "1 to");
    expect_error("{\"field\":\"custom.a\\\"b\",\"op\":\"eq\",\"value\":1}", "filter.field",
                 "may not contain");
    expect_error("{\"field\":\"custom.a\\\\b\",\"op\":\"eq\",\"value\":1}", "filter.field",
                 "may not contain");
    expect_error("{\"field\":\"custom.x\",\"op\":\"contains\",\"value\":1}", "filter.value",
                 "string");
    expect_error("{\"field\":\"custom.x\",\"op\":\"lt\",\"value\":true}", "filter.value",
                 "string or a number");
    expect_error("{\"field\":\"custom.x\",\"op\":\"eq\",\"value\":{}}", "filter.value",
                 "boolean");
    expect_error("{\"field\":\"custom.x\",\"op\":\"within_days\",\"value\":3}", "filter.op",
                 "does not apply");
    expect_error("{\"field\":\"name\",\"op\":\"eq\",\"value\":null}", "filter.value", "string");
}

Test(segments_filter, long_values_are_refused)
{
    char big[SEG_TEXT_MAX + 64];
    memset(big, 'x', sizeof(big));
    big[SEG_TEXT_MAX + 1] = '\0';
    char *json = xasprintf("{\"field\":\"name\",\"op\":\"eq\",\"value\":\"%s\"}", big);
    expect_error(json, "filter.value", "longer than");
    free(json);
    json = xasprintf("{\"field\":\"name\",\"op\":\"eq\",\"value\":\"a\\u0000b\"}");
    expect_error(json, "filter.value", "NUL");
    free(json);
}
