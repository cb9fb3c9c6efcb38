/*
 * Unit tests for the account CSV importer (importer/accounts_csv.c) on a fresh SQLite file
 * per test: good rows with their subscription and custom fields; every kind of bad row,
 * reported with its line and column and leaving nothing behind; re-import matching by
 * external_id and by domain; RFC 4180 quoting; BOM, CRLF and header rules; file-level errors.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "importer/accounts_csv.h"
#include "store/db.h"
#include "store/store.h"
#include "unit/testdb.h"

static struct store *st;
static int64_t owner_id;

static void setup(void)
{
    st = test_db_open("importer", "u");
    struct user u = { .role = ROLE_CSM };
    u.email = xstrdup("owner@example.com");
    u.name = xstrdup("Owner");
    cr_assert_eq(store_user_create(st, &u), KZ_OK);
    owner_id = u.id;
    user_cleanup(&u);
}

static void teardown(void)
{
    test_db_close();
}

TestSuite(importer, .init = setup, .fini = teardown);

/* ------------------------------------------------------------ helpers */

static int run(const char *csv, struct import_report *rep)
{
    import_report_init(rep);
    return import_accounts_csv(st, csv, strlen(csv), rep);
}

/* Lines joined with "\n" (and a final one): line i of the array is file line i + 1. */
static char *lines(const char *const *v)
{
    struct buf b;
    buf_init(&b, 0);
    for (; *v; v++)
        buf_printf(&b, "%s\n", *v);
    return buf_steal(&b);
}

/* The error reported for line (there must be exactly one). */
static const struct import_error *error_at(const struct import_report *rep, long line)
{
    const struct import_error *found = NULL;
    for (size_t i = 0; i < rep->nerrors; i++) {
        if (rep->errors[i].line == line) {
            cr_assert_null(found, "more than one error on line %ld", line);
            found = &rep->errors[i];
        }
    }
    cr_assert_not_null(found, "no error on line %ld", line);
    return found;
}

static void expect_error(const struct import_report *rep, long line, const char *column,
                         const char *reason_part)
{
    const struct import_error *e = error_at(rep, line);
    if (column)
        cr_expect_str_eq(e->column ? e->column : "(null)", column, "line %ld", line);
    else
        cr_expect_null(e->column, "line %ld: column %s", line, e->column);
    cr_expect_not_null(strstr(e->reason, reason_part), "line %ld: reason \"%s\" lacks \"%s\"",
                       line, e->reason, reason_part);
}

static void get_by_ext(const char *ext, struct account *a)
{
    account_init(a);
    cr_assert_eq(store_account_by_external_id(st, ext, a), KZ_OK, "account %s", ext);
}

static bool exists_ext(const char *ext)
{
    struct account a;
    account_init(&a);
    int rc = store_account_by_external_id(st, ext, &a);
    account_cleanup(&a);
    return rc == KZ_OK;
}

/* ------------------------------------------------------------ good rows */

Test(importer, good_rows_with_subscription_and_custom_fields)
{
    static const char *const csv_lines[] = {
        "external_id,name,domain,industry,employees,owner_email,plan,mrr,currency,seats,"
        "start_date,renewal_date,status,auto_renew,address,purpose,challenges,region,Segment",
        "A1,株式会社さくら,sakura.example,製造業,120,owner@example.com,Standard,60000,JPY,10,"
        "2024-01-15,2025-01-15,active,false,東京都千代田区,属人化の解消,Excel集計の工数,関東,SMB",
        "A2,Beta Inc.,beta.example,SaaS,,,,,,,,,,,,,,,",
        "A3,Gamma,gamma.example,,5,,Trial,0,USD,,2024-03-01,,trial,,,,,九州,",
        NULL,
    };
    char *csv = lines(csv_lines);
    struct import_report rep;
    cr_assert_eq(run(csv, &rep), KZ_OK);
    cr_expect_eq(rep.rows, 3);
    cr_expect_eq(rep.created, 3);
    cr_expect_eq(rep.updated, 0);
    cr_expect_eq(rep.failed, 0);
    cr_expect_eq(rep.nerrors, 0, "first error: %s", rep.nerrors ? rep.errors[0].reason : "");

    struct account a;
    get_by_ext("A1", &a);
    cr_expect_str_eq(a.name, "株式会社さくら");
    cr_expect_str_eq(a.domain, "sakura.example");
    cr_expect_str_eq(a.industry, "製造業");
    cr_expect_eq(a.employees, 120);
    cr_expect_eq(a.owner_id, owner_id);
    cr_expect_str_eq(a.address, "東京都千代田区");
    cr_expect_str_eq(a.purpose, "属人化の解消");
    cr_expect_str_eq(a.challenges, "Excel集計の工数");
    cr_expect_str_eq(a.custom, "{\"region\":\"関東\",\"Segment\":\"SMB\"}");
    cr_expect_str_eq(a.phase, "onboarding");
    cr_expect_str_eq(a.tier, "tech", "ARR 720,000 JPY is below the low-touch threshold");
    struct subscription s;
    cr_assert_eq(store_subscription_get(st, a.id, &s), KZ_OK);
    cr_expect_str_eq(s.plan, "Standard");
    cr_expect_eq(s.mrr, 60000);
    cr_expect_str_eq(s.currency, "JPY");
    cr_expect_eq(s.seats, 10);
    cr_expect_str_eq(s.start_date, "2024-01-15");
    cr_expect_str_eq(s.renewal_date, "2025-01-15");
    cr_expect_str_eq(s.status, "active");
    cr_expect(!s.auto_renew);
    subscription_cleanup(&s);
    struct subscription *h;
    size_t n;
    cr_assert_eq(store_subscription_history(st, a.id, &h, &n), KZ_OK);
    cr_expect_eq(n, 1);
    cr_expect_str_eq(h[0].effective_date, "2024-01-15", "a first subscription starts at its start");
    subscriptions_free(h, n);
    account_cleanup(&a);

    get_by_ext("A2", &a);
    cr_expect_eq(a.employees, -1);
    cr_expect_eq(a.owner_id, 0);
    cr_expect_str_eq(a.custom, "{}", "empty custom cells are skipped");
    cr_expect(!a.has_subscription, "no subscription columns filled: no subscription");
    account_cleanup(&a);

    get_by_ext("A3", &a);
    cr_assert_eq(store_subscription_get(st, a.id, &s), KZ_OK);
    cr_expect_eq(s.seats, 1, "seats default to 1");
    cr_expect_str_eq(s.status, "trial");
    cr_expect(s.auto_renew, "auto_renew defaults to true");
    cr_expect_null(s.renewal_date);
    subscription_cleanup(&s);
    account_cleanup(&a);

    import_report_free(&rep);
    free(csv);
}

/* ------------------------------------------------------------ bad rows */

Test(importer, each_bad_row_is_reported_and_nothing_of_it_written)
{
    char big[IMPORT_MAX_CELL + 2];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    char *too_big = xasprintf("B13,%s,b13.example,,,,,,,,,,", big);
    const char *header = "external_id,name,domain,employees,owner_email,plan,mrr,currency,"
                         "seats,start_date,renewal_date,status,auto_renew";
    const char *csv_lines[] = {
        /* 1 */ header,
        /* 2 */ "G1,Good One,g1.example,10,owner@example.com,Pro,1000,JPY,2,2024-01-01,,,",
        /* 3 */ "B1,Bad Employees,b1.example,-5,,,,,,,,,",
        /* 4 */ "B2,Bad Mrr,b2.example,,,Pro,12.5,JPY,,2024-01-01,,,",
        /* 5 */ "B3,Bad Currency,b3.example,,,Pro,100,jpy,,2024-01-01,,,",
        /* 6 */ "B4,Bad Date,b4.example,,,Pro,100,JPY,,2024-02-30,,,",
        /* 7 */ "B5,Bad Owner,b5.example,,nobody@example.com,,,,,,,,",
        /* 8 */ "B6,,b6.example,,,,,,,,,,",
        /* 9 */ "B7,Missing Plan,b7.example,,,,500,JPY,,2024-01-01,,,",
        /* 10 */ "B8,Too Many,b8.example,,,,,,,,,,,extra",
        /* 11 */ "B9,Bad \xff\xfe UTF-8,b9.example,,,,,,,,,,",
        /* 12 */ "\"G2\",\"Multi",
        /* 13 */ "line name\",g2.example,,,,,,,,,,",
        /* 14 */ "B10,Bad Seats,b10.example,,,Pro,100,JPY,many,2024-01-01,,,",
        /* 15 */ "B11,Bad Status,b11.example,,,Pro,100,JPY,,2024-01-01,,paused,",
        /* 16 */ "B12,Bad Renewal,b12.example,,,Pro,100,JPY,,2024-05-01,2024-04-01,,",
        /* 17 */ too_big,
        /* 18 */ "B14,Bad AutoRenew,b14.example,,,Pro,100,JPY,,2024-01-01,,,maybe",
        /* 19 */ "G3,Good Three,g3.example,,,,,,,,,,",
        NULL,
    };
    char *csv = lines(csv_lines);
    struct import_report rep;
    cr_assert_eq(run(csv, &rep), KZ_OK);
    cr_expect_eq(rep.rows, 17);
    cr_expect_eq(rep.created, 3);
    cr_expect_eq(rep.failed, 14);
    cr_expect(!rep.fatal);

    expect_error(&rep, 3, "employees", "integer");
    expect_error(&rep, 4, "mrr", "integer");
    expect_error(&rep, 5, "currency", "ISO 4217");
    expect_error(&rep, 6, "start_date", "date");
    expect_error(&rep, 7, "owner_email", "no user");
    expect_error(&rep, 8, "name", "required");
    expect_error(&rep, 9, "plan", "required");
    expect_error(&rep, 10, NULL, "cells");
    expect_error(&rep, 11, "name", "UTF-8");
    expect_error(&rep, 14, "seats", "integer");
    expect_error(&rep, 15, "status", "trial, active or churned");
    expect_error(&rep, 16, "renewal_date", "before start_date");
    expect_error(&rep, 17, "name", "10000 bytes");
    expect_error(&rep, 18, "auto_renew", "true or false");
    cr_expect_eq(rep.nerrors, 14);

    static const char *const bad[] = { "B1", "B2", "B3", "B4", "B5", "B6", "B7", "B8", "B9",
                                       "B10", "B11", "B12", "B13", "B14" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_expect(!exists_ext(bad[i]), "%s must not be written", bad[i]);
    cr_expect_eq(q_i64("SELECT count(*) FROM accounts"), 3);
    cr_expect_eq(q_i64("SELECT count(*) FROM subscription_history"), 1);

    struct account a;
    get_by_ext("G2", &a);
    cr_expect_str_eq(a.name, "Multi\nline name");
    account_cleanup(&a);

    import_report_free(&rep);
    free(csv);
    free(too_big);
}

Test(importer, bad_cells_of_an_update_leave_the_account_unchanged)
{
    struct import_report rep;
    cr_assert_eq(run("external_id,name,employees,plan,mrr,currency,start_date\n"
                     "U1,Before,10,Pro,1000,JPY,2024-01-01\n", &rep), KZ_OK);
    import_report_free(&rep);
    cr_assert_eq(run("external_id,name,employees,plan,mrr,currency,start_date\n"
                     "U1,After,20,Pro,2000,EURO,2024-01-01\n", &rep), KZ_OK);
    cr_expect_eq(rep.failed, 1);
    expect_error(&rep, 2, "currency", "ISO 4217");
    import_report_free(&rep);
    struct account a;
    get_by_ext("U1", &a);
    cr_expect_str_eq(a.name, "Before");
    cr_expect_eq(a.employees, 10);
    cr_expect_eq(a.mrr, 1000);
    account_cleanup(&a);
    cr_expect_eq(q_i64("SELECT count(*) FROM subscription_history"), 1);
}

/* ------------------------------------------------------------ re-import */

Test(importer, reimport_by_external_id_updates)
{
    struct import_report rep;
    const char *first = "external_id,name,domain,plan,mrr,currency,seats,start_date,color\n"
                        "X1,Acme,acme.example,Basic,1000,JPY,5,2024-01-01,red\n";
    cr_assert_eq(run(first, &rep), KZ_OK);
    cr_expect_eq(rep.created, 1);
    import_report_free(&rep);

    /* The same values again: matched, nothing new in the history. */
    cr_assert_eq(run(first, &rep), KZ_OK);
    cr_expect_eq(rep.created, 0);
    cr_expect_eq(rep.updated, 1);
    import_report_free(&rep);
    cr_expect_eq(q_i64("SELECT count(*) FROM subscription_history"), 1);

    /* New values, a new domain, another custom column and an empty one. */
    cr_assert_eq(run("external_id,name,domain,plan,mrr,currency,seats,start_date,size,color\n"
                     "X1,Acme Renamed,acme2.example,Pro,3000,JPY,5,2024-01-01,L,\n", &rep),
                 KZ_OK);
    cr_expect_eq(rep.created, 0);
    cr_expect_eq(rep.updated, 1);
    cr_expect_eq(rep.failed, 0);
    import_report_free(&rep);

    cr_expect_eq(q_i64("SELECT count(*) FROM accounts"), 1);
    struct account a;
    get_by_ext("X1", &a);
    cr_expect_str_eq(a.name, "Acme Renamed");
    cr_expect_str_eq(a.domain, "acme2.example");
    cr_expect_str_eq(a.custom, "{\"color\":\"red\",\"size\":\"L\"}");
    cr_expect_eq(a.mrr, 3000);
    struct subscription *h;
    size_t n;
    cr_assert_eq(store_subscription_history(st, a.id, &h, &n), KZ_OK);
    cr_assert_eq(n, 2);
    char today[11];
    date_today(today);
    cr_expect_str_eq(h[1].effective_date, today, "a change to a subscription takes effect today");
    cr_expect_str_eq(h[1].plan, "Pro");
    subscriptions_free(h, n);
    account_cleanup(&a);
}

Test(importer, reimport_by_domain_updates)
{
    struct import_report rep;
    cr_assert_eq(run("name,domain,industry\nAcme,acme.example,SaaS\n", &rep), KZ_OK);
    cr_expect_eq(rep.created, 1);
    import_report_free(&rep);
    cr_assert_eq(run("name,domain,industry,employees\nAcme KK,acme.example,小売,40\n", &rep),
                 KZ_OK);
    cr_expect_eq(rep.created, 0);
    cr_expect_eq(rep.updated, 1);
    import_report_free(&rep);
    /* An external_id not known yet attaches to the account found by domain. */
    cr_assert_eq(run("external_id,domain,employees\nCRM-9,acme.example,41\n", &rep), KZ_OK);
    cr_expect_eq(rep.updated, 1);
    import_report_free(&rep);

    cr_expect_eq(q_i64("SELECT count(*) FROM accounts"), 1);
    struct account a;
    get_by_ext("CRM-9", &a);
    cr_expect_str_eq(a.name, "Acme KK");
    cr_expect_str_eq(a.industry, "小売");
    cr_expect_eq(a.employees, 41);
    account_cleanup(&a);
}

Test(importer, same_key_twice_in_one_file_is_one_account)
{
    struct import_report rep;
    cr_assert_eq(run("external_id,name\nD1,First\nD1,Second\n", &rep), KZ_OK);
    cr_expect_eq(rep.created, 1);
    cr_expect_eq(rep.updated, 1);
    import_report_free(&rep);
    struct account a;
    get_by_ext("D1", &a);
    cr_expect_str_eq(a.name, "Second");
    account_cleanup(&a);
}

/* ------------------------------------------------------------ CSV syntax */

Test(importer, quoted_fields_with_commas_newlines_and_quotes)
{
    struct import_report rep;
    const char *csv = "name,domain,purpose,note\n"
                      "\"Acme, Inc. \"\"West\"\"\",acme.example,\"line1\nline2, with comma\","
                      "\"  kept  \"\n"
                      "Plain,plain.example,,\n"
                      "\"'=SUM(A1)\",f.example,,'+81 3\n";
    cr_assert_eq(run(csv, &rep), KZ_OK);
    cr_expect_eq(rep.created, 3);
    cr_expect_eq(rep.failed, 0);
    import_report_free(&rep);
    struct account a;
    account_init(&a);
    cr_assert_eq(store_account_by_domain(st, "acme.example", &a), KZ_OK);
    cr_expect_str_eq(a.name, "Acme, Inc. \"West\"");
    cr_expect_str_eq(a.purpose, "line1\nline2, with comma");
    cr_expect_str_eq(a.custom, "{\"note\":\"kept\"}", "cells are trimmed");
    account_cleanup(&a);
    /* The formula guard an export adds (a leading ') is removed again. */
    account_init(&a);
    cr_assert_eq(store_account_by_domain(st, "f.example", &a), KZ_OK);
    cr_expect_str_eq(a.name, "=SUM(A1)");
    cr_expect_str_eq(a.custom, "{\"note\":\"+81 3\"}");
    account_cleanup(&a);
}

Test(importer, bom_crlf_and_header_names_trimmed_case_insensitive)
{
    struct import_report rep;
    const char *csv = "\xEF\xBB\xBF Name ,DOMAIN,External_ID\r\n"
                      "\r\n"
                      "Bom Co,bom.example,BOM-1\r\n"
                      ",,\r\n"
                      "Bad,bad.example,BOM-2,x\r\n";
    cr_assert_eq(run(csv, &rep), KZ_OK);
    cr_expect_eq(rep.rows, 2, "blank lines and empty rows are not rows");
    cr_expect_eq(rep.created, 1);
    expect_error(&rep, 5, NULL, "cells");
    import_report_free(&rep);
    struct account a;
    get_by_ext("BOM-1", &a);
    cr_expect_str_eq(a.name, "Bom Co");
    cr_expect_str_eq(a.custom, "{}");
    account_cleanup(&a);
}

/* ------------------------------------------------------------ unusable files */

static void expect_fatal(const char *csv, long line, const char *column, const char *part)
{
    struct import_report rep;
    cr_expect_eq(run(csv, &rep), KZ_EINVAL, "%s", csv);
    cr_expect(rep.fatal);
    cr_expect_eq(rep.rows + rep.created + rep.updated + rep.failed, 0);
    cr_assert_eq(rep.nerrors, 1);
    expect_error(&rep, line, column, part);
    import_report_free(&rep);
    cr_expect_eq(q_i64("SELECT count(*) FROM accounts"), 0, "nothing is imported");
}

Test(importer, unusable_files)
{
    expect_fatal("", 1, NULL, "empty");
    expect_fatal("\n\n", 1, NULL, "empty");
    expect_fatal("name,Domain,NAME\nx,y,z\n", 1, "NAME", "duplicate");
    expect_fatal("industry,employees\nSaaS,3\n", 1, NULL, "name, external_id, domain");
    expect_fatal("na\xffme\nx\n", 1, "#1", "UTF-8");
    /* Malformed quoting: the rows before are not imported either. */
    expect_fatal("name,domain\nok,ok.example\nbad\"quote,x\n", 3, NULL, "quoting");
    expect_fatal("name,domain\nok,ok.example\n\"unterminated,x\nmore\n", 3, NULL, "quoting");
    expect_fatal("name,domain\n\"a\"b,x\n", 2, NULL, "quoting");
}

Test(importer, column_and_row_limits)
{
    struct buf b;
    buf_init(&b, 0);
    buf_printf(&b, "name");
    for (int i = 1; i < IMPORT_MAX_COLUMNS + 1; i++)
        buf_printf(&b, ",c%d", i);
    buf_printf(&b, "\nx\n");
    expect_fatal(b.p, 1, NULL, "columns");
    buf_free(&b);

    /* One row too many (rows that fail validation, so that the test stays quick). */
    buf_printf(&b, "name,employees\n");
    for (int i = 0; i < IMPORT_MAX_ROWS + 1; i++)
        buf_printf(&b, "a,x\n");
    expect_fatal(b.p, IMPORT_MAX_ROWS + 2, NULL, "rows");
    buf_free(&b);

    /* Exactly at the limit: read; errors beyond the cap are only counted. */
    buf_printf(&b, "name,employees\n");
    for (int i = 0; i < IMPORT_MAX_ROWS; i++)
        buf_printf(&b, "a,x\n");
    struct import_report rep;
    cr_expect_eq(run(b.p, &rep), KZ_OK);
    cr_expect_eq(rep.rows, IMPORT_MAX_ROWS);
    cr_expect_eq(rep.failed, IMPORT_MAX_ROWS);
    cr_expect_eq(rep.nerrors, IMPORT_MAX_ERRORS);
    cr_expect_eq(rep.errors_omitted, IMPORT_MAX_ROWS - IMPORT_MAX_ERRORS);
    import_report_free(&rep);
    buf_free(&b);
}

/* ------------------------------------------------------------ command line */

Test(importer, cli_exit_codes)
{
    char csv_path[80], out_path[80];
    snprintf(csv_path, sizeof(csv_path), "/tmp/kz-importer-%d.csv", getpid());
    snprintf(out_path, sizeof(out_path), "/tmp/kz-importer-%d.out", getpid());
    FILE *out = fopen(out_path, "w+");
    cr_assert_not_null(out);

    cr_expect_eq(importer_cli("/nonexistent/kz.csv", out), 2);

    FILE *f = fopen(csv_path, "w");
    fputs("external_id,name\nC1,Cli Co\n", f);
    fclose(f);
    cr_expect_eq(importer_cli(csv_path, out), 0);

    f = fopen(csv_path, "w");
    fputs("external_id,name,employees\nC2,Cli Two,lots\n", f);
    fclose(f);
    cr_expect_eq(importer_cli(csv_path, out), 1);

    fflush(out);
    rewind(out);
    char text[4096];
    size_t n = fread(text, 1, sizeof(text) - 1, out);
    text[n] = '\0';
    cr_expect_not_null(strstr(text, "1 rows: 1 created, 0 updated, 0 failed"), "%s", text);
    cr_expect_not_null(strstr(text, "line 2, column \"employees\""), "%s", text);
    fclose(out);
    unlink(csv_path);
    unlink(out_path);
    cr_expect(exists_ext("C1"));
    cr_expect(!exists_ext("C2"));
}
