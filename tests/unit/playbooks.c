/*
 * Unit tests for playbooks' pure rules (playbooks/playbook.c) on plain structs: each trigger
 * fires exactly when it should (and says why) and not otherwise, the cooldown, placeholder
 * rendering, and the parser's JSON paths for bad input; plus the outbound retry schedule.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "playbooks/outbound.h"
#include "playbooks/playbook.h"
#include "util/util.h"

#define NOW 1780000000 /* 2026-05-28T20:26:40Z */

static struct pb_facts none(void)
{
    struct pb_facts f;
    memset(&f, 0, sizeof(f));
    f.nps_score = -1;
    f.expected_days = -1;
    f.seats = -1;
    return f;
}

static const char *at(int64_t secs_ago)
{
    static char buf[8][21];
    static int i;
    i = (i + 1) % 8;
    time_format(NOW - secs_ago, buf[i]);
    return buf[i];
}

/* Fires? Frees the detail; copies its summary into sum when given. */
static bool fires(const struct pb_trigger *t, const struct pb_facts *f, char *sum)
{
    json_t *d = pb_trigger_fires(t, f, NOW);
    if (d && sum)
        snprintf(sum, 200, "%s", json_string_value(json_object_get(d, "summary")));
    bool r = d != NULL;
    json_decref(d);
    return r;
}

Test(playbooks, health_band_changed)
{
    struct pb_trigger t = {.type = PB_HEALTH_BAND_CHANGED};
    struct pb_facts f = none();
    char sum[200];
    strcpy(t.to, "red");
    f.band = "red";
    cr_expect(!fires(&t, &f, NULL), "no band seen before: a baseline, no change");
    f.prev_band = "red";
    cr_expect(!fires(&t, &f, NULL), "unchanged");
    f.prev_band = "yellow";
    cr_expect(fires(&t, &f, sum));
    cr_expect_str_eq(sum, "health yellow → red");
    strcpy(t.from, "green");
    cr_expect(!fires(&t, &f, NULL), "from green only");
    f.prev_band = "green";
    cr_expect(fires(&t, &f, NULL));
    f.band = "yellow";
    cr_expect(!fires(&t, &f, NULL), "to red only");
    f.band = NULL;
    cr_expect(!fires(&t, &f, NULL), "not scored");
}

Test(playbooks, phase_entered)
{
    struct pb_trigger t = {.type = PB_PHASE_ENTERED, .days = 7};
    struct pb_facts f = none();
    strcpy(t.phase, "adoption");
    f.phase = "adoption";
    f.entered_at = at(3600);
    cr_expect(fires(&t, &f, NULL));
    f.last_fired_at = at(60);
    cr_expect(!fires(&t, &f, NULL), "already fired for this entry");
    f.last_fired_at = at(86400 * 30);
    cr_expect(fires(&t, &f, NULL), "a run before this entry does not count");
    f.entered_at = at(86400 * 8);
    f.last_fired_at = NULL;
    cr_expect(!fires(&t, &f, NULL), "entered too long ago");
    f.entered_at = at(3600);
    f.phase = "onboarding";
    cr_expect(!fires(&t, &f, NULL), "another phase");
}

Test(playbooks, renewal_within)
{
    struct pb_trigger t = {.type = PB_RENEWAL_WITHIN, .days = 90};
    struct pb_facts f = none();
    char d[11];
    cr_expect(!fires(&t, &f, NULL), "no renewal date");
    int64_t today = NOW / 86400;
    date_from_days(today + 90, d);
    f.renewal_date = d;
    cr_expect(fires(&t, &f, NULL), "exactly 90 days");
    date_from_days(today + 91, d);
    cr_expect(!fires(&t, &f, NULL));
    date_from_days(today, d);
    cr_expect(fires(&t, &f, NULL), "today");
    date_from_days(today - 1, d);
    cr_expect(!fires(&t, &f, NULL), "past");
}

Test(playbooks, inactive_for)
{
    struct pb_trigger t = {.type = PB_INACTIVE_FOR, .days = 14};
    struct pb_facts f = none();
    char sum[200];
    f.created_at = at(86400 * 100);
    f.last_seen_at = at(86400 * 14);
    cr_expect(fires(&t, &f, sum));
    cr_expect_str_eq(sum, "no activity for 14 days");
    f.last_seen_at = at(86400 * 14 - 60);
    cr_expect(!fires(&t, &f, NULL), "13 days and 23:59");
    /* Never seen: counted from the account's creation. */
    f.last_seen_at = NULL;
    cr_expect(fires(&t, &f, sum));
    cr_expect_str_eq(sum, "never seen, created 100 days ago");
    f.created_at = at(86400 * 2);
    cr_expect(!fires(&t, &f, NULL), "a new account is not inactive yet");
}

Test(playbooks, nps_detractor)
{
    struct pb_trigger t = {.type = PB_NPS_DETRACTOR, .max_score = 6, .days = 14};
    struct pb_facts f = none();
    cr_expect(!fires(&t, &f, NULL), "no answer");
    f.nps_score = 6;
    f.nps_at = at(3600);
    cr_expect(fires(&t, &f, NULL));
    f.nps_score = 7;
    cr_expect(!fires(&t, &f, NULL), "passive");
    f.nps_score = 0;
    f.last_fired_at = at(60);
    cr_expect(!fires(&t, &f, NULL), "followed up since the answer");
    f.last_fired_at = at(7200);
    cr_expect(fires(&t, &f, NULL), "a new answer after the last run");
    t.max_score = 4;
    f.nps_score = 5;
    cr_expect(!fires(&t, &f, NULL), "stricter threshold");
}

Test(playbooks, event_seen)
{
    struct pb_trigger t = {.type = PB_EVENT_SEEN, .count = 3, .window_days = 7};
    struct pb_facts f = none();
    char sum[200];
    strcpy(t.event, "Export");
    f.count = 2;
    cr_expect(!fires(&t, &f, NULL));
    f.count = 3;
    cr_expect(fires(&t, &f, sum));
    cr_expect_str_eq(sum, "Export seen 3 times in 7 days");
}

Test(playbooks, milestone_overdue)
{
    struct pb_trigger t = {.type = PB_MILESTONE_OVERDUE};
    struct pb_facts f = none();
    strcpy(t.phase, "onboarding");
    f.phase = "onboarding";
    f.entered_at = at(86400 * 31);
    f.expected_days = 30;
    f.open_required = 2;
    cr_expect(fires(&t, &f, NULL));
    f.entered_at = at(86400 * 30);
    cr_expect(!fires(&t, &f, NULL), "30 days is not longer than expected");
    f.entered_at = at(86400 * 60);
    f.open_required = 0;
    cr_expect(!fires(&t, &f, NULL), "every required milestone done");
    f.open_required = 1;
    f.expected_days = -1;
    cr_expect(!fires(&t, &f, NULL), "no expectation");
    f.expected_days = 30;
    f.phase = "adoption";
    cr_expect(!fires(&t, &f, NULL), "another phase");
    t.phase[0] = '\0';
    cr_expect(fires(&t, &f, NULL), "any phase");
}

Test(playbooks, seats_used)
{
    struct pb_trigger t = {.type = PB_SEATS_USED, .min_percent = 90};
    struct pb_facts f = none();
    char sum[200];
    f.active_users = 9;
    cr_expect(!fires(&t, &f, NULL), "no subscription");
    f.seats = 10;
    cr_expect(fires(&t, &f, sum));
    cr_expect_str_eq(sum, "9 of 10 seats used (90%)");
    f.active_users = 8;
    cr_expect(!fires(&t, &f, NULL));
    f.seats = 0;
    cr_expect(!fires(&t, &f, NULL), "no seats");
}

Test(playbooks, cooldown)
{
    cr_expect(pb_cooldown_over(NULL, 30, NOW));
    cr_expect(!pb_cooldown_over(at(86400 * 29), 30, NOW));
    cr_expect(pb_cooldown_over(at(86400 * 30), 30, NOW));
}

Test(playbooks, render)
{
    json_t *v = json_pack("{s:s, s:I, s:s}", "account.name", "Acme", "account.health_score",
                          (json_int_t)42, "trigger", "NPS 3");
    char *s = pb_render("{{account.name}} ({{ account.health_score }}): {{trigger}} "
                        "{{owner.name}}{{ unclosed",
                        v);
    cr_expect_str_eq(s, "Acme (42): NPS 3 {{ unclosed");
    free(s);
    json_decref(v);
    cr_expect(pb_placeholder_known("account.name", 12));
    cr_expect(!pb_placeholder_known("account.password", 16));
}

/* Parses text; returns the error path ("" when valid). */
static const char *parse_path(const char *text)
{
    static char field[200];
    char msg[300];
    struct playbook p;
    memset(&p, 0, sizeof(p));
    json_t *root = json_loads(text, 0, NULL);
    cr_assert(root, "test JSON: %s", text);
    field[0] = '\0';
    if (pb_parse(root, &p, false, field, sizeof(field), msg, sizeof(msg)) == 0)
        field[0] = '\0';
    playbook_cleanup(&p);
    json_decref(root);
    return field;
}

Test(playbooks, parse_paths)
{
#define T "\"trigger\":{\"type\":\"renewal_within\",\"days\":90}"
#define A "{\"type\":\"create_task\",\"title\":\"t\"}"
    cr_expect_str_eq(parse_path("{\"name\":\"n\"," T ",\"actions\":[" A "]}"), "");
    cr_expect_str_eq(parse_path("{\"name\":\"n\"," T ",\"actions\":[" A ",{\"type\":\"create_task\","
                                "\"title\":\"t\",\"due_in_days\":-2}]}"),
                     "actions[1].due_in_days");
    cr_expect_str_eq(parse_path("{\"name\":\"n\",\"trigger\":{\"type\":\"event_seen\"},"
                                "\"actions\":[" A "]}"),
                     "trigger.name");
    cr_expect_str_eq(parse_path("{\"name\":\"n\"," T ",\"actions\":[{\"type\":\"call_webhook\","
                                "\"url\":\"http://h/\",\"payload\":{\"blocks\":[{\"text\":"
                                "\"{{x}}\"}]}}]}"),
                     "actions[0].payload.blocks[0].text");
    cr_expect_str_eq(parse_path("{\"name\":\"n\"," T ",\"actions\":[" A "],\"audience\":"
                                "{\"tier\":\"high\",\"segment_id\":1}}"),
                     "audience.segment_id");
    cr_expect_str_eq(parse_path("{\"name\":\"n\"," T ",\"actions\":[{\"type\":\"call_webhook\","
                                "\"url\":\"http://h/a\\tb\",\"payload\":{}}]}"),
                     "actions[0].url");
#undef T
#undef A
}

Test(playbooks, backoff)
{
    cr_expect_eq(outbound_backoff(1), OUTBOUND_BACKOFF_S);
    cr_expect_eq(outbound_backoff(2), 2 * OUTBOUND_BACKOFF_S);
    cr_expect_eq(outbound_backoff(4), 8 * OUTBOUND_BACKOFF_S);
    cr_expect_eq(outbound_backoff(40), 3600);
}

Test(playbooks, http_post_refuses_other_protocols)
{
    char err[200] = "";
    cr_expect_eq(outbound_http_post("ftp://127.0.0.1/x", "{}", NULL, NULL, err, sizeof(err)), -1);
    cr_expect(err[0], "the error says why");
}

Test(playbooks, webhook_signature)
{
    char sig[72];
    /* python3: hmac.new(b'whsec_test_secret_0123456789', b'1700000000.{"text":"hi"}',
     * hashlib.sha256).hexdigest() */
    outbound_signature("whsec_test_secret_0123456789", 1700000000, "{\"text\":\"hi\"}", sig);
    cr_expect_str_eq(sig, "sha256=7a67020e945750685f5433a92c15e2d91432fa8daa7007f48e99340e2385d6fd");
}

Test(playbooks, render_html_escapes_values_only)
{
    json_t *v = json_pack("{s:s}", "account.name", "<b>A&B</b> \"q\" 'x'");
    char *h = pb_render_html("<p>{{account.name}}</p>", v);
    char *t = pb_render("{{account.name}}", v);
    cr_expect_str_eq(h, "<p>&lt;b&gt;A&amp;B&lt;/b&gt; &quot;q&quot; &#39;x&#39;</p>");
    cr_expect_str_eq(t, "<b>A&B</b> \"q\" 'x'");
    free(h);
    free(t);
    json_decref(v);
    char msg[300];
    cr_expect_eq(pb_check_template("body_html", "{{contact.name}} {{health.band}}", msg,
                                   sizeof(msg)), 0);
    cr_expect_eq(pb_check_template("body_html", "{{contact.password}}", msg, sizeof(msg)), -1);
    cr_expect(strstr(msg, "body_html") && strstr(msg, "contact.password"), "%s", msg);
}

Test(playbooks, email_message)
{
    const char *to[] = {"a@example.com"};
    /* A Japanese subject: encoded words of whole characters; both bodies: multipart. */
    char *m = outbound_email_message("cs@example.com", to, 1, "更新のご案内 / Renewal", "テキスト",
                                     "<p>HTML</p>", "pb1.a2.t3.x0.c4@example.com", 0);
    cr_expect(strstr(m, "Subject: =?UTF-8?B?5pu05paw44Gu44GU5qGI5YaFIC8gUmVuZXdhbA==?=\r\n"), "%s",
              m);
    cr_expect(strstr(m, "Message-ID: <pb1.a2.t3.x0.c4@example.com>\r\n"));
    cr_expect(strstr(m, "Content-Type: multipart/alternative; boundary="));
    cr_expect(strstr(m, "Content-Type: text/plain; charset=UTF-8"));
    cr_expect(strstr(m, "Content-Type: text/html; charset=UTF-8"));
    cr_expect(strstr(m, "Date: Thu, 01 Jan 1970 00:00:00 +0000\r\n"));
    free(m);
    /* A long subject is folded into words of at most 45 bytes, none splitting a character. */
    char subj[400] = "";
    for (int i = 0; i < 40; i++)
        strcat(subj, "あ");
    m = outbound_email_message("cs@example.com", to, 1, subj, "x", NULL, "k@example.com", 0);
    cr_expect(strstr(m, "Content-Type: text/plain; charset=UTF-8"));
    cr_expect(!strstr(m, "multipart"));
    size_t words = 0;
    for (const char *p = m; (p = strstr(p, "=?UTF-8?B?")); p++)
        words++;
    cr_expect_eq(words, 3, "120 bytes in words of 45 (15 characters): 3 words");
    free(m);
    /* Plain ASCII stays as it is. */
    m = outbound_email_message("cs@example.com", to, 1, "Hello", "x", NULL, "k@example.com", 0);
    cr_expect(strstr(m, "Subject: Hello\r\n"));
    free(m);
}
