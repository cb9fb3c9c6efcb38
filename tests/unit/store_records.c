/*
 * Unit tests of the store's per-account records: contacts, timeline entries (with their
 * participants) and tasks, against a fresh temporary SQLite database for each test.
 * Accounts and users are inserted with raw SQL so these tests depend only on the records
 * code under test and the store core.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/db.h"
#include "store/store.h"

static char dir[] = "/tmp/kz_store_records_XXXXXX";
static char path[256];
static struct store *st;
static int64_t acct1, acct2, user1, user2;

static int64_t insert_row(const char *sql, const char *text)
{
    sqlite3_stmt *s;
    cr_assert_eq(sqlite3_prepare_v2(st->db, sql, -1, &s, NULL), SQLITE_OK);
    sqlite3_bind_text(s, 1, text, -1, SQLITE_TRANSIENT);
    cr_assert_eq(sqlite3_step(s), SQLITE_DONE, "%s", sqlite3_errmsg(st->db));
    sqlite3_finalize(s);
    return sqlite3_last_insert_rowid(st->db);
}

static int64_t add_account(const char *name)
{
    return insert_row("INSERT INTO accounts (name, created_at, updated_at)"
                      " VALUES (?, '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z')",
                      name);
}

static int64_t add_user(const char *email)
{
    return insert_row("INSERT INTO users (email, name, role, created_at, updated_at)"
                      " VALUES (?, 'U', 'csm', '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z')",
                      email);
}

static void setup(void)
{
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/test.db", dir);
    cr_assert_eq(store_init(path), KZ_OK);
    st = store_get();
    cr_assert_not_null(st);
    acct1 = add_account("Acme");
    acct2 = add_account("Globex");
    user1 = add_user("one@example.com");
    user2 = add_user("two@example.com");
}

static void teardown(void)
{
    char f[300];
    store_shutdown();
    const char *suffixes[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(f, sizeof(f), "%s%s", path, suffixes[i]);
        unlink(f);
    }
    rmdir(dir);
}

TestSuite(store_records, .init = setup, .fini = teardown);

/* ------------------------------------------------------------ contacts */

static int64_t make_contact(int64_t account_id, const char *name)
{
    struct contact c = {0};
    c.account_id = account_id;
    c.name = strdup(name);
    cr_assert_eq(store_contact_create(st, &c), KZ_OK);
    int64_t id = c.id;
    contact_cleanup(&c);
    return id;
}

Test(store_records, contact_create_get_defaults)
{
    struct contact c = {0}, g = {0};
    c.account_id = acct1;
    c.name = strdup("Hanako Sato");
    c.email = strdup("hanako@acme.example");
    c.title = strdup("CTO");
    c.phone = strdup("+81 3 1234 5678");
    c.external_user_id = strdup("u-42");
    c.notes = strdup("Prefers email");
    cr_assert_eq(store_contact_create(st, &c), KZ_OK);
    cr_assert_gt(c.id, 0);
    cr_assert_str_eq(c.role, "user");
    cr_assert_eq(strlen(c.created_at), 20);
    cr_assert_str_eq(c.created_at, c.updated_at);

    cr_assert_eq(store_contact_get(st, acct1, c.id, &g), KZ_OK);
    cr_assert_eq(g.id, c.id);
    cr_assert_eq(g.account_id, acct1);
    cr_assert_str_eq(g.name, "Hanako Sato");
    cr_assert_str_eq(g.email, "hanako@acme.example");
    cr_assert_str_eq(g.title, "CTO");
    cr_assert_str_eq(g.role, "user");
    cr_assert_str_eq(g.phone, "+81 3 1234 5678");
    cr_assert_str_eq(g.external_user_id, "u-42");
    cr_assert_str_eq(g.notes, "Prefers email");
    cr_assert_str_eq(g.created_at, c.created_at);
    contact_cleanup(&g);
    contact_cleanup(&c);
}

Test(store_records, contact_scoped_by_account)
{
    int64_t id = make_contact(acct1, "Taro");
    struct contact g = {0};
    cr_assert_eq(store_contact_get(st, acct2, id, &g), KZ_ENOTFOUND);
    cr_assert_null(g.name);

    struct contact u = {0};
    u.id = id;
    u.account_id = acct2;
    u.name = strdup("Hijacked");
    cr_assert_eq(store_contact_update(st, &u), KZ_ENOTFOUND);
    contact_cleanup(&u);
    cr_assert_eq(store_contact_delete(st, acct2, id), KZ_ENOTFOUND);

    cr_assert_eq(store_contact_get(st, acct1, id, &g), KZ_OK);
    cr_assert_str_eq(g.name, "Taro");
    contact_cleanup(&g);
}

Test(store_records, contact_update_and_delete)
{
    struct contact c = {0}, g = {0};
    c.account_id = acct1;
    c.name = strdup("Jiro");
    c.email = strdup("jiro@acme.example");
    cr_assert_eq(store_contact_create(st, &c), KZ_OK);

    free(c.email);
    c.email = NULL;
    free(c.role);
    c.role = strdup("champion");
    free(c.name);
    c.name = strdup("Jiro Suzuki");
    cr_assert_eq(store_contact_update(st, &c), KZ_OK);
    cr_assert_eq(store_contact_get(st, acct1, c.id, &g), KZ_OK);
    cr_assert_str_eq(g.name, "Jiro Suzuki");
    cr_assert_null(g.email);
    cr_assert_str_eq(g.role, "champion");
    contact_cleanup(&g);

    /* the schema refuses roles outside the enum */
    free(c.role);
    c.role = strdup("boss");
    cr_assert_neq(store_contact_update(st, &c), KZ_OK);

    cr_assert_eq(store_contact_delete(st, acct1, c.id), KZ_OK);
    cr_assert_eq(store_contact_get(st, acct1, c.id, &g), KZ_ENOTFOUND);
    cr_assert_eq(store_contact_delete(st, acct1, c.id), KZ_ENOTFOUND);
    contact_cleanup(&c);
}

Test(store_records, contact_create_missing_account_fails)
{
    struct contact c = {0};
    c.account_id = 9999;
    c.name = strdup("Nobody");
    cr_assert_neq(store_contact_create(st, &c), KZ_OK);
    contact_cleanup(&c);
}

Test(store_records, contacts_list_paginates_by_id)
{
    int64_t ids[5];
    for (int i = 0; i < 5; i++) {
        char name[16];
        snprintf(name, sizeof(name), "c%d", i);
        ids[i] = make_contact(acct1, name);
        make_contact(acct2, "other");
    }
    struct contact *v;
    size_t n;
    cr_assert_eq(store_contacts_list(st, acct1, 0, 2, &v, &n), KZ_OK);
    cr_assert_eq(n, 3); /* limit + 1: there is a next page */
    cr_assert_eq(v[0].id, ids[0]);
    cr_assert_eq(v[1].id, ids[1]);
    cr_assert_str_eq(v[1].name, "c1");
    int64_t after = v[1].id;
    contacts_free(v, n);

    cr_assert_eq(store_contacts_list(st, acct1, after, 2, &v, &n), KZ_OK);
    cr_assert_eq(n, 3);
    cr_assert_eq(v[0].id, ids[2]);
    cr_assert_eq(v[1].id, ids[3]);
    after = v[1].id;
    contacts_free(v, n);

    cr_assert_eq(store_contacts_list(st, acct1, after, 2, &v, &n), KZ_OK);
    cr_assert_eq(n, 1); /* last page */
    cr_assert_eq(v[0].id, ids[4]);
    cr_assert_eq(v[0].account_id, acct1);
    contacts_free(v, n);

    cr_assert_eq(store_contacts_list(st, 9999, 0, 50, &v, &n), KZ_OK);
    cr_assert_eq(n, 0);
    contacts_free(v, n);
}

/* ------------------------------------------------------------ timeline */

static int64_t make_entry(int64_t account_id, const char *type, const char *at, const char *summary)
{
    struct timeline_entry e = {0};
    e.account_id = account_id;
    e.type = strdup(type);
    e.summary = strdup(summary);
    snprintf(e.occurred_at, sizeof(e.occurred_at), "%s", at);
    cr_assert_eq(store_timeline_create(st, &e), KZ_OK);
    int64_t id = e.id;
    timeline_entry_cleanup(&e);
    return id;
}

Test(store_records, timeline_create_get_contacts_round_trip)
{
    int64_t c1 = make_contact(acct1, "A"), c2 = make_contact(acct1, "B");
    struct timeline_entry e = {0}, g = {0};
    e.account_id = acct1;
    e.type = strdup("meeting");
    e.author_id = user1;
    e.summary = strdup("Kick-off");
    e.body = strdup("Agreed on the onboarding plan.");
    e.contact_ids = malloc(3 * sizeof(int64_t));
    e.contact_ids[0] = c2;
    e.contact_ids[1] = c1;
    e.contact_ids[2] = c2; /* duplicates are stored once */
    e.ncontacts = 3;
    cr_assert_eq(store_timeline_create(st, &e), KZ_OK);
    cr_assert_gt(e.id, 0);
    cr_assert_eq(e.ncontacts, 2);
    cr_assert_eq(e.contact_ids[0], c1); /* sorted, as reads return them */
    cr_assert_eq(e.contact_ids[1], c2);
    cr_assert_eq(strlen(e.occurred_at), 20); /* defaulted to now */
    cr_assert_str_eq(e.occurred_at, e.created_at);

    cr_assert_eq(store_timeline_get(st, acct1, e.id, &g), KZ_OK);
    cr_assert_str_eq(g.type, "meeting");
    cr_assert_eq(g.author_id, user1);
    cr_assert_str_eq(g.summary, "Kick-off");
    cr_assert_str_eq(g.body, "Agreed on the onboarding plan.");
    cr_assert_str_eq(g.occurred_at, e.occurred_at);
    cr_assert_eq(g.ncontacts, 2);
    cr_assert_eq(g.contact_ids[0], c1); /* ascending */
    cr_assert_eq(g.contact_ids[1], c2);
    timeline_entry_cleanup(&g);

    cr_assert_eq(store_timeline_get(st, acct2, e.id, &g), KZ_ENOTFOUND);
    timeline_entry_cleanup(&e);
}

Test(store_records, timeline_no_body_no_contacts)
{
    struct timeline_entry e = {0}, g = {0};
    e.account_id = acct1;
    e.type = strdup("note");
    e.summary = strdup("Quick note");
    snprintf(e.occurred_at, sizeof(e.occurred_at), "2024-02-03T04:05:06Z");
    cr_assert_eq(store_timeline_create(st, &e), KZ_OK);
    cr_assert_eq(store_timeline_get(st, acct1, e.id, &g), KZ_OK);
    cr_assert_null(g.body);
    cr_assert_eq(g.author_id, 0);
    cr_assert_eq(g.ncontacts, 0);
    cr_assert_null(g.contact_ids);
    cr_assert_str_eq(g.occurred_at, "2024-02-03T04:05:06Z");
    timeline_entry_cleanup(&g);
    timeline_entry_cleanup(&e);
}

Test(store_records, timeline_rejects_foreign_contact)
{
    int64_t mine = make_contact(acct1, "Mine");
    int64_t theirs = make_contact(acct2, "Theirs");
    struct timeline_entry e = {0};
    struct timeline_entry *v;
    size_t n;
    e.account_id = acct1;
    e.type = strdup("call");
    e.summary = strdup("Call");
    e.contact_ids = malloc(2 * sizeof(int64_t));
    e.contact_ids[0] = mine;
    e.contact_ids[1] = theirs;
    e.ncontacts = 2;
    cr_assert_eq(store_timeline_create(st, &e), KZ_EINVAL);
    cr_assert_eq(e.id, 0);
    timeline_entry_cleanup(&e);

    /* nothing of the failed create was kept */
    struct timeline_filter f = {.account_id = acct1, .limit = 10};
    cr_assert_eq(store_timeline_list(st, &f, &v, &n), KZ_OK);
    cr_assert_eq(n, 0);
    timeline_entries_free(v, n);
    cr_assert_eq(st->depth, 0);

    /* an update naming a foreign contact changes nothing */
    struct timeline_entry u = {0}, g = {0};
    u.account_id = acct1;
    u.type = strdup("call");
    u.summary = strdup("Call");
    u.contact_ids = malloc(sizeof(int64_t));
    u.contact_ids[0] = mine;
    u.ncontacts = 1;
    cr_assert_eq(store_timeline_create(st, &u), KZ_OK);
    free(u.summary);
    u.summary = strdup("Changed");
    u.contact_ids[0] = theirs;
    cr_assert_eq(store_timeline_update(st, &u), KZ_EINVAL);
    cr_assert_eq(store_timeline_get(st, acct1, u.id, &g), KZ_OK);
    cr_assert_str_eq(g.summary, "Call");
    cr_assert_eq(g.ncontacts, 1);
    cr_assert_eq(g.contact_ids[0], mine);
    timeline_entry_cleanup(&g);
    timeline_entry_cleanup(&u);
}

Test(store_records, timeline_update_replaces_contacts)
{
    int64_t c1 = make_contact(acct1, "A"), c2 = make_contact(acct1, "B");
    struct timeline_entry e = {0}, g = {0};
    e.account_id = acct1;
    e.type = strdup("email");
    e.summary = strdup("Sent the proposal");
    e.contact_ids = malloc(sizeof(int64_t));
    e.contact_ids[0] = c1;
    e.ncontacts = 1;
    cr_assert_eq(store_timeline_create(st, &e), KZ_OK);

    free(e.type);
    e.type = strdup("ticket");
    free(e.summary);
    e.summary = strdup("Support ticket");
    e.body = strdup("Login fails");
    snprintf(e.occurred_at, sizeof(e.occurred_at), "2023-12-24T10:00:00Z");
    e.contact_ids[0] = c2;
    cr_assert_eq(store_timeline_update(st, &e), KZ_OK);

    cr_assert_eq(store_timeline_get(st, acct1, e.id, &g), KZ_OK);
    cr_assert_str_eq(g.type, "ticket");
    cr_assert_str_eq(g.summary, "Support ticket");
    cr_assert_str_eq(g.body, "Login fails");
    cr_assert_str_eq(g.occurred_at, "2023-12-24T10:00:00Z");
    cr_assert_eq(g.ncontacts, 1);
    cr_assert_eq(g.contact_ids[0], c2);
    timeline_entry_cleanup(&g);

    /* deleting a contact removes it from the entry */
    cr_assert_eq(store_contact_delete(st, acct1, c2), KZ_OK);
    cr_assert_eq(store_timeline_get(st, acct1, e.id, &g), KZ_OK);
    cr_assert_eq(g.ncontacts, 0);
    timeline_entry_cleanup(&g);

    /* wrong account: not found, then delete */
    e.account_id = acct2;
    cr_assert_eq(store_timeline_update(st, &e), KZ_ENOTFOUND);
    cr_assert_eq(store_timeline_delete(st, acct2, e.id), KZ_ENOTFOUND);
    cr_assert_eq(store_timeline_delete(st, acct1, e.id), KZ_OK);
    cr_assert_eq(store_timeline_get(st, acct1, e.id, &g), KZ_ENOTFOUND);
    cr_assert_eq(store_timeline_delete(st, acct1, e.id), KZ_ENOTFOUND);
    timeline_entry_cleanup(&e);
}

Test(store_records, timeline_list_newest_first_with_cursor)
{
    int64_t jan = make_entry(acct1, "note", "2024-01-01T00:00:00Z", "jan");
    int64_t mar = make_entry(acct1, "call", "2024-03-01T00:00:00Z", "mar");
    int64_t feb_a = make_entry(acct1, "note", "2024-02-01T00:00:00Z", "feb a");
    int64_t feb_b = make_entry(acct1, "meeting", "2024-02-01T00:00:00Z", "feb b");
    make_entry(acct2, "note", "2024-04-01T00:00:00Z", "other account");
    int64_t want[] = {mar, feb_b, feb_a, jan}; /* same time: higher id first */

    struct timeline_filter f = {.account_id = acct1, .limit = 2};
    struct timeline_entry *v;
    size_t n, seen = 0;
    for (int page = 0; page < 3; page++) {
        cr_assert_eq(store_timeline_list(st, &f, &v, &n), KZ_OK);
        size_t shown = n > 2 ? 2 : n;
        for (size_t i = 0; i < shown; i++) {
            cr_assert_lt(seen, 4);
            cr_assert_eq(v[i].id, want[seen], "position %zu", seen);
            cr_assert_eq(v[i].account_id, acct1);
            seen++;
        }
        if (n <= 2) {
            timeline_entries_free(v, n);
            break;
        }
        f.has_cursor = true;
        memcpy(f.cursor_at, v[1].occurred_at, sizeof(f.cursor_at));
        f.cursor_id = v[1].id;
        timeline_entries_free(v, n);
    }
    cr_assert_eq(seen, 4);

    struct timeline_filter tf = {.account_id = acct1, .type = "note", .limit = 10};
    cr_assert_eq(store_timeline_list(st, &tf, &v, &n), KZ_OK);
    cr_assert_eq(n, 2);
    cr_assert_eq(v[0].id, feb_a);
    cr_assert_eq(v[1].id, jan);
    cr_assert_str_eq(v[1].summary, "jan");
    timeline_entries_free(v, n);

    /* type filter and cursor together */
    tf.has_cursor = true;
    snprintf(tf.cursor_at, sizeof(tf.cursor_at), "2024-02-01T00:00:00Z");
    tf.cursor_id = feb_a;
    cr_assert_eq(store_timeline_list(st, &tf, &v, &n), KZ_OK);
    cr_assert_eq(n, 1);
    cr_assert_eq(v[0].id, jan);
    timeline_entries_free(v, n);
}

Test(store_records, timeline_create_inside_outer_transaction_rolls_back)
{
    cr_assert_eq(store_begin(st), KZ_OK);
    int64_t id = make_entry(acct1, "note", "2024-01-01T00:00:00Z", "nested");
    cr_assert_eq(st->depth, 1);
    store_rollback(st);
    cr_assert_eq(st->depth, 0);
    struct timeline_entry g = {0};
    cr_assert_eq(store_timeline_get(st, acct1, id, &g), KZ_ENOTFOUND);
}

/* ------------------------------------------------------------ tasks */

static int64_t make_task(int64_t account_id, const char *title, const char *due, int64_t assignee,
                         const char *type, const char *status)
{
    struct task t = {0};
    t.account_id = account_id;
    t.title = strdup(title);
    t.due_date = due ? strdup(due) : NULL;
    t.assignee_id = assignee;
    t.type = type ? strdup(type) : NULL;
    t.status = status ? strdup(status) : NULL;
    cr_assert_eq(store_task_create(st, &t), KZ_OK);
    int64_t id = t.id;
    task_cleanup(&t);
    return id;
}

Test(store_records, task_create_defaults_and_get)
{
    struct task t = {0}, g = {0};
    t.account_id = acct1;
    t.title = strdup("Call the champion");
    t.assignee_id = user1;
    t.created_by = user2;
    t.due_date = strdup("2024-06-30");
    t.notes = strdup("Ask about renewal");
    cr_assert_eq(store_task_create(st, &t), KZ_OK);
    cr_assert_gt(t.id, 0);
    cr_assert_str_eq(t.type, "other");
    cr_assert_str_eq(t.status, "open");
    cr_assert_str_eq(t.source, "manual");
    cr_assert_null(t.completed_at);

    cr_assert_eq(store_task_get(st, t.id, &g), KZ_OK);
    cr_assert_eq(g.account_id, acct1);
    cr_assert_str_eq(g.title, "Call the champion");
    cr_assert_eq(g.assignee_id, user1);
    cr_assert_eq(g.created_by, user2);
    cr_assert_str_eq(g.due_date, "2024-06-30");
    cr_assert_str_eq(g.type, "other");
    cr_assert_str_eq(g.status, "open");
    cr_assert_str_eq(g.source, "manual");
    cr_assert_str_eq(g.notes, "Ask about renewal");
    cr_assert_null(g.completed_at);
    cr_assert_eq(strlen(g.created_at), 20);
    task_cleanup(&g);
    task_cleanup(&t);

    cr_assert_eq(store_task_get(st, 9999, &g), KZ_ENOTFOUND);
}

Test(store_records, task_completed_at_follows_status)
{
    struct task t = {0}, g = {0};
    t.account_id = acct1;
    t.title = strdup("Already done");
    t.status = strdup("done");
    cr_assert_eq(store_task_create(st, &t), KZ_OK);
    cr_assert_not_null(t.completed_at);
    cr_assert_str_eq(t.completed_at, t.created_at);

    free(t.status);
    t.status = strdup("open");
    cr_assert_eq(store_task_update(st, &t), KZ_OK);
    cr_assert_null(t.completed_at);
    cr_assert_eq(store_task_get(st, t.id, &g), KZ_OK);
    cr_assert_null(g.completed_at);
    cr_assert_str_eq(g.status, "open");
    task_cleanup(&g);

    free(t.status);
    t.status = strdup("done");
    cr_assert_eq(store_task_update(st, &t), KZ_OK);
    cr_assert_eq(store_task_get(st, t.id, &g), KZ_OK);
    cr_assert_not_null(g.completed_at);
    cr_assert_eq(strlen(g.completed_at), 20);
    task_cleanup(&g);

    /* saving a done task again keeps its completion time */
    free(t.completed_at);
    t.completed_at = strdup("2020-01-01T00:00:00Z");
    cr_assert_eq(store_task_update(st, &t), KZ_OK);
    cr_assert_eq(store_task_get(st, t.id, &g), KZ_OK);
    cr_assert_str_eq(g.completed_at, "2020-01-01T00:00:00Z");
    task_cleanup(&g);

    free(t.status);
    t.status = strdup("cancelled");
    cr_assert_eq(store_task_update(st, &t), KZ_OK);
    cr_assert_eq(store_task_get(st, t.id, &g), KZ_OK);
    cr_assert_null(g.completed_at);
    cr_assert_str_eq(g.status, "cancelled");
    task_cleanup(&g);
    task_cleanup(&t);
}

Test(store_records, task_update_and_delete)
{
    int64_t id = make_task(acct1, "Review usage", NULL, user1, "review", NULL);
    struct task t = {0};
    cr_assert_eq(store_task_get(st, id, &t), KZ_OK);
    free(t.title);
    t.title = strdup("Review usage with the team");
    t.assignee_id = 0;
    t.due_date = strdup("2024-07-01");
    cr_assert_eq(store_task_update(st, &t), KZ_OK);
    task_cleanup(&t);
    cr_assert_eq(store_task_get(st, id, &t), KZ_OK);
    cr_assert_str_eq(t.title, "Review usage with the team");
    cr_assert_eq(t.assignee_id, 0);
    cr_assert_str_eq(t.due_date, "2024-07-01");
    cr_assert_str_eq(t.type, "review");
    task_cleanup(&t);

    cr_assert_eq(store_task_delete(st, id), KZ_OK);
    cr_assert_eq(store_task_get(st, id, &t), KZ_ENOTFOUND);
    cr_assert_eq(store_task_delete(st, id), KZ_ENOTFOUND);
    t.id = id;
    t.title = strdup("gone");
    cr_assert_eq(store_task_update(st, &t), KZ_ENOTFOUND);
    task_cleanup(&t);
}

Test(store_records, tasks_list_by_due_date_nulls_last_with_cursor)
{
    int64_t may = make_task(acct1, "may", "2024-05-01", user1, NULL, NULL);
    int64_t none1 = make_task(acct1, "none1", NULL, user1, NULL, NULL);
    int64_t jan = make_task(acct1, "jan", "2024-01-15", user1, NULL, NULL);
    int64_t none2 = make_task(acct2, "none2", NULL, user2, NULL, NULL);
    int64_t mar = make_task(acct2, "mar", "2024-03-01", user2, NULL, NULL);
    int64_t mar2 = make_task(acct1, "mar2", "2024-03-01", 0, NULL, NULL);
    int64_t want[] = {jan, mar, mar2, may, none1, none2};

    for (int limit = 1; limit <= 4; limit++) {
        struct task_filter f = {.limit = limit};
        char cursor_due[11] = "";
        size_t seen = 0;
        for (int page = 0; page < 10; page++) {
            struct task *v;
            size_t n;
            cr_assert_eq(store_tasks_list(st, &f, &v, &n), KZ_OK);
            size_t shown = n > (size_t)limit ? (size_t)limit : n;
            for (size_t i = 0; i < shown; i++) {
                cr_assert_lt(seen, 6);
                cr_assert_eq(v[i].id, want[seen], "limit %d position %zu", limit, seen);
                seen++;
            }
            bool more = n > shown;
            if (more) {
                f.has_cursor = true;
                f.cursor_id = v[shown - 1].id;
                if (v[shown - 1].due_date) {
                    snprintf(cursor_due, sizeof(cursor_due), "%s", v[shown - 1].due_date);
                    f.cursor_due = cursor_due;
                } else {
                    f.cursor_due = NULL;
                }
            }
            tasks_free(v, n);
            if (!more)
                break;
        }
        cr_assert_eq(seen, 6, "limit %d", limit);
    }
}

static size_t list_ids(const struct task_filter *f, int64_t *ids, size_t max)
{
    struct task *v;
    size_t n;
    cr_assert_eq(store_tasks_list(st, f, &v, &n), KZ_OK);
    cr_assert_leq(n, max);
    for (size_t i = 0; i < n; i++)
        ids[i] = v[i].id;
    tasks_free(v, n);
    return n;
}

Test(store_records, tasks_list_filters)
{
    int64_t a = make_task(acct1, "a", "2024-01-10", user1, "call", NULL);
    int64_t b = make_task(acct1, "b", "2024-02-10", user2, "email", "done");
    int64_t c = make_task(acct2, "c", NULL, user1, "call", "cancelled");
    int64_t d = make_task(acct2, "d", "2024-03-10", 0, "meeting", NULL);
    int64_t ids[10];

    struct task_filter f = {.assignee_id = user1, .limit = 50};
    cr_assert_eq(list_ids(&f, ids, 10), 2);
    cr_assert_eq(ids[0], a);
    cr_assert_eq(ids[1], c);

    f = (struct task_filter){.assignee_id = -1, .limit = 50};
    cr_assert_eq(list_ids(&f, ids, 10), 1);
    cr_assert_eq(ids[0], d);

    f = (struct task_filter){.account_id = acct2, .limit = 50};
    cr_assert_eq(list_ids(&f, ids, 10), 2);
    cr_assert_eq(ids[0], d);
    cr_assert_eq(ids[1], c);

    f = (struct task_filter){.status = "open", .limit = 50};
    cr_assert_eq(list_ids(&f, ids, 10), 2);
    cr_assert_eq(ids[0], a);
    cr_assert_eq(ids[1], d);

    f = (struct task_filter){.type = "call", .limit = 50};
    cr_assert_eq(list_ids(&f, ids, 10), 2);
    cr_assert_eq(ids[0], a);
    cr_assert_eq(ids[1], c);

    /* due_before is exclusive and leaves out undated tasks */
    f = (struct task_filter){.due_before = "2024-02-10", .limit = 50};
    cr_assert_eq(list_ids(&f, ids, 10), 1);
    cr_assert_eq(ids[0], a);
    f = (struct task_filter){.due_before = "2024-12-31", .limit = 50};
    cr_assert_eq(list_ids(&f, ids, 10), 3);
    cr_assert_eq(ids[2], d);

    /* filters combine */
    f = (struct task_filter){.assignee_id = user1,
                             .status = "cancelled",
                             .account_id = acct2,
                             .type = "call",
                             .limit = 50};
    cr_assert_eq(list_ids(&f, ids, 10), 1);
    cr_assert_eq(ids[0], c);
    f = (struct task_filter){.assignee_id = user2, .status = "open", .limit = 50};
    cr_assert_eq(list_ids(&f, ids, 10), 0);
    f = (struct task_filter){.status = "done", .limit = 50};
    cr_assert_eq(list_ids(&f, ids, 10), 1);
    cr_assert_eq(ids[0], b);
}
