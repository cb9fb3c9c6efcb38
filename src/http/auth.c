/*
 * Request authentication: bearer tokens and session cookies are looked up by their hash
 * (only hashes are stored), the user is loaded and refused when disabled. Also the login
 * rate limit: a small fixed table of recent failures per client address.
 */
#include "http/auth.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "util/crypto.h"

void principal_cleanup(struct principal *p)
{
    free(p->email);
    free(p->name);
    memset(p, 0, sizeof(*p));
}

static int load_user(struct req *r, int64_t user_id)
{
    struct user u = { 0 };
    int rc = store_user_get(store_get(), user_id, &u);
    if (rc == KZ_OK && u.disabled)
        rc = KZ_EAUTH;
    if (rc == KZ_OK) {
        r->user.user_id = u.id;
        r->user.role = u.role;
        r->user.email = u.email;
        r->user.name = u.name;
        u.email = u.name = NULL;
    }
    user_cleanup(&u);
    return rc == KZ_OK ? KZ_OK : KZ_EAUTH;
}

int auth_resolve(struct req *r)
{
    struct store *st = store_get();
    char hash[65];
    int64_t user_id = 0;
    const char *authz = req_header(r, MHD_HTTP_HEADER_AUTHORIZATION);
    if (authz) {
        if (strncasecmp(authz, "Bearer ", 7) != 0 || strlen(authz + 7) > 200)
            return KZ_EAUTH;
        token_hash(authz + 7, hash);
        if (store_token_lookup(st, hash, &user_id) != KZ_OK)
            return KZ_EAUTH;
        return load_user(r, user_id);
    }
    const char *cookie = req_cookie(r, SESSION_COOKIE);
    if (cookie) {
        if (strlen(cookie) > 200)
            return KZ_EAUTH;
        token_hash(cookie, hash);
        if (store_session_user(st, hash, now_unix(), &user_id) != KZ_OK)
            return KZ_EAUTH;
        r->user.via_cookie = true;
        return load_user(r, user_id);
    }
    return KZ_OK;
}

char *session_cookie(const char *token, int max_age)
{
    return xasprintf(SESSION_COOKIE "=%s; Path=/; Max-Age=%d; HttpOnly; SameSite=Strict",
                     token, max_age);
}

/* ------------------------------------------------------------ login rate limit */

#define SLOTS 1024

struct slot {
    char ip[64];
    int64_t window_start;
    int failures;
};

static struct slot slots[SLOTS];
static pthread_mutex_t slots_lock = PTHREAD_MUTEX_INITIALIZER;

static struct slot *slot_for(const char *ip)
{
    uint32_t h = 2166136261u;
    for (const char *p = ip; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    struct slot *s = &slots[h % SLOTS];
    if (strcmp(s->ip, ip) != 0) { /* a collision evicts the older address */
        snprintf(s->ip, sizeof(s->ip), "%s", ip);
        s->failures = 0;
        s->window_start = 0;
    }
    return s;
}

bool login_allowed(const char *ip, int *retry_after)
{
    int64_t now = now_unix();
    pthread_mutex_lock(&slots_lock);
    struct slot *s = slot_for(ip);
    bool ok = true;
    if (now - s->window_start >= LOGIN_WINDOW) {
        s->failures = 0;
        s->window_start = now;
    } else if (s->failures >= LOGIN_MAX_FAILURES) {
        ok = false;
        *retry_after = (int)(s->window_start + LOGIN_WINDOW - now);
    }
    pthread_mutex_unlock(&slots_lock);
    return ok;
}

void login_record(const char *ip, bool success)
{
    pthread_mutex_lock(&slots_lock);
    struct slot *s = slot_for(ip);
    if (success) {
        s->failures = 0;
    } else {
        if (s->failures == 0)
            s->window_start = now_unix();
        s->failures++;
    }
    pthread_mutex_unlock(&slots_lock);
}
