/*
 * /api/v1/users (admin only) and /api/v1/session (log in, who am I, log out).
 * Passwords are stored as argon2id hashes; the last enabled admin cannot be removed,
 * disabled or demoted, so nobody locks the team out.
 */
#include "api/api.h"
#include "api/fields.h"
#include "http/auth.h"
#include "store/store.h"
#include "util/crypto.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PASSWORD_MIN 8
#define PASSWORD_MAX 1024

/* The JSON form of a user; never includes the password hash. */
static json_t *user_json(const struct user *u)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(u->id));
    json_object_set_new(o, "email", json_str_or_null(u->email));
    json_object_set_new(o, "name", json_str_or_null(u->name));
    json_object_set_new(o, "role", json_string(role_name(u->role)));
    json_object_set_new(o, "disabled", json_boolean(u->disabled));
    json_object_set_new(o, "created_at", json_string(u->created_at));
    json_object_set_new(o, "updated_at", json_string(u->updated_at));
    return o;
}

/* Validates the user fields present in body into u; creating requires them all. */
static int user_fields(struct req *r, json_t *body, struct user *u, bool creating)
{
    static const char *const known[] = { "email", "name", "role", "password", "disabled", NULL };
    static const char *const roles[] = { "admin", "csm", "viewer", NULL };
    unsigned req = creating ? FIELD_REQUIRED : 0;
    char *role = xstrdup(role_name(u->role)), *password = NULL;
    int rc = -1;
    if (fields_known(r, body, known) || field_str(r, body, "email", req, 320, &u->email) ||
        field_str(r, body, "name", req, 200, &u->name) ||
        field_enum(r, body, "role", req, roles, &role) ||
        field_str(r, body, "password", req, PASSWORD_MAX, &password) ||
        field_bool(r, body, "disabled", 0, &u->disabled))
        goto out;
    if (!email_valid(u->email)) {
        reply_field_error(r, "email", "'email' is not an email address");
        goto out;
    }
    role_parse(role, &u->role);
    if (password) {
        if (strlen(password) < PASSWORD_MIN) {
            reply_field_error(r, "password", "'password' needs at least %d characters",
                              PASSWORD_MIN);
            goto out;
        }
        free(u->password_hash);
        u->password_hash = NULL;
        if (password_hash(password, &u->password_hash)) {
            reply_problem(r, 500, "cannot hash the password");
            goto out;
        }
    }
    rc = 0;
out:
    free(role);
    if (password)
        secret_wipe(password);
    free(password);
    return rc;
}

int api_users_list(struct req *r)
{
    int limit;
    bool has;
    char *value;
    int64_t after = 0;
    if (api_limit(r, &limit) || api_cursor(r, &has, &value, &after))
        return 0;
    free(value);
    struct user *v;
    size_t n;
    int rc = store_users_list(store_get(), after, limit, &v, &n);
    if (rc)
        return reply_rc(r, rc, "users");
    json_t *data = json_array();
    for (size_t i = 0; i < n && i < (size_t)limit; i++)
        json_array_append_new(data, user_json(&v[i]));
    char *next = n > (size_t)limit ? api_cursor_encode(NULL, v[limit - 1].id) : NULL;
    for (size_t i = 0; i < n; i++)
        user_cleanup(&v[i]);
    free(v);
    reply_list(r, data, next);
    free(next);
    return 0;
}

int api_users_create(struct req *r)
{
    json_t *body = req_json(r);
    if (!body)
        return 0;
    struct user u = { .role = ROLE_VIEWER };
    if (user_fields(r, body, &u, true) == 0) {
        int rc = store_user_create(store_get(), &u);
        if (rc == KZ_ECONFLICT)
            reply_conflict(r, "email", "a user with this email already exists");
        else if (rc)
            reply_rc(r, rc, "user");
        else
            reply_json(r, 201, user_json(&u));
    }
    user_cleanup(&u);
    return 0;
}

int api_users_get(struct req *r)
{
    struct user u = { 0 };
    int rc = store_user_get(store_get(), req_param_id(r, 0), &u);
    if (rc)
        reply_rc(r, rc, "user");
    else
        reply_json(r, 200, user_json(&u));
    user_cleanup(&u);
    return 0;
}

/* True when removing or demoting user u would leave no enabled admin. */
static bool last_admin(struct store *st, const struct user *u)
{
    int64_t admins = 0;
    store_admin_count(st, &admins);
    return u->role == ROLE_ADMIN && !u->disabled && admins <= 1;
}

int api_users_update(struct req *r)
{
    struct store *st = store_get();
    json_t *body = req_json(r);
    if (!body)
        return 0;
    struct user u = { 0 };
    int rc = store_user_get(st, req_param_id(r, 0), &u);
    if (rc) {
        reply_rc(r, rc, "user");
        goto out;
    }
    bool was_last = last_admin(st, &u);
    free(u.password_hash);
    u.password_hash = NULL; /* unchanged unless a new password is given */
    if (user_fields(r, body, &u, false))
        goto out;
    if (was_last && (u.role != ROLE_ADMIN || u.disabled)) {
        reply_problem(r, 409, "this is the last enabled admin: add another admin first");
        goto out;
    }
    rc = store_user_update(st, &u);
    if (rc == KZ_ECONFLICT)
        reply_conflict(r, "email", "a user with this email already exists");
    else if (rc)
        reply_rc(r, rc, "user");
    else
        reply_json(r, 200, user_json(&u));
out:
    user_cleanup(&u);
    return 0;
}

int api_users_delete(struct req *r)
{
    struct store *st = store_get();
    struct user u = { 0 };
    int rc = store_user_get(st, req_param_id(r, 0), &u);
    if (rc == KZ_OK && last_admin(st, &u))
        reply_problem(r, 409, "this is the last enabled admin: add another admin first");
    else if (rc == KZ_OK && (rc = store_user_delete(st, u.id)) == KZ_OK)
        reply_empty(r);
    else
        reply_rc(r, rc, "user");
    user_cleanup(&u);
    return 0;
}

/* ------------------------------------------------------------ session */

static char *dummy;
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void dummy_init(void)
{
    if (password_hash("kizuna-no-such-user", &dummy))
        dummy = NULL;
}

/* A real argon2id hash to verify against when the email is unknown (made once). */
static const char *dummy_hash(void)
{
    pthread_once(&dummy_once, dummy_init);
    return dummy;
}

int api_session_create(struct req *r)
{
    static const char *const known[] = { "email", "password", NULL };
    struct store *st = store_get();
    int retry;
    if (!login_allowed(r->client_ip, &retry)) {
        char s[16];
        snprintf(s, sizeof(s), "%d", retry);
        reply_problem(r, 429, "too many failed logins from this address; retry in %d s", retry);
        reply_add_header(r, "Retry-After", s);
        return 0;
    }
    json_t *body = req_json(r);
    if (!body)
        return 0;
    char *email = NULL, *password = NULL;
    struct user u = { 0 };
    if (fields_known(r, body, known) || field_str(r, body, "email", FIELD_REQUIRED, 320, &email) ||
        field_str(r, body, "password", FIELD_REQUIRED, PASSWORD_MAX, &password))
        goto out;
    int rc = store_user_by_email(st, email, &u);
    /* Verify against a dummy hash when the user is unknown, so timing reveals nothing. */
    bool ok = password_verify(rc == KZ_OK && u.password_hash ? u.password_hash : dummy_hash(),
                              password) && rc == KZ_OK && !u.disabled;
    login_record(r->client_ip, ok);
    if (!ok) {
        reply_problem(r, 401, "wrong email or password");
        goto out;
    }
    char *token = token_new("");
    char hash[65];
    token_hash(token, hash);
    store_sessions_purge(st, now_unix());
    rc = store_session_create(st, hash, u.id, now_unix() + SESSION_TTL);
    if (rc) {
        reply_rc(r, rc, "session");
    } else {
        json_t *o = json_object();
        json_object_set_new(o, "user", user_json(&u));
        json_object_set_new(o, "expires_in", json_integer(SESSION_TTL));
        reply_json(r, 200, o);
        r->session_cookie = session_cookie(token, SESSION_TTL);
    }
    secret_wipe(token);
    free(token);
out:
    free(email);
    if (password)
        secret_wipe(password);
    free(password);
    user_cleanup(&u);
    return 0;
}

int api_session_get(struct req *r)
{
    struct user u = { 0 };
    int rc = store_user_get(store_get(), r->user.user_id, &u);
    if (rc) {
        reply_rc(r, rc, "user");
    } else {
        json_t *o = json_object();
        json_object_set_new(o, "user", user_json(&u));
        json_object_set_new(o, "auth", json_string(r->user.via_cookie ? "session" : "token"));
        reply_json(r, 200, o);
    }
    user_cleanup(&u);
    return 0;
}

int api_session_delete(struct req *r)
{
    const char *cookie = req_cookie(r, SESSION_COOKIE);
    if (cookie) {
        char hash[65];
        token_hash(cookie, hash);
        store_session_delete(store_get(), hash);
    }
    reply_empty(r);
    r->session_cookie = session_cookie("", 0);
    return 0;
}
