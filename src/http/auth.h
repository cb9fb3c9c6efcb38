/*
 * Authentication for the HTTP layer: resolving the principal of a request from a bearer
 * token or a session cookie, session cookies, and the per-address login rate limit.
 */
#ifndef KZ_HTTP_AUTH_H
#define KZ_HTTP_AUTH_H

#include "http/http.h"

#define SESSION_COOKIE "kizuna_session"
#define SESSION_TTL (12 * 3600)        /* seconds a session lives */
#define LOGIN_MAX_FAILURES 10          /* per address within LOGIN_WINDOW */
#define LOGIN_WINDOW (15 * 60)

/* Fills r->user from "Authorization: Bearer" or the session cookie. Returns KZ_OK (also
 * when no credentials were sent: r->user.user_id stays 0) or KZ_EAUTH when credentials
 * were sent but are invalid, expired, revoked or belong to a disabled user. */
int auth_resolve(struct req *r);
void principal_cleanup(struct principal *p);

/* Login rate limit: true when ip may try now; otherwise *retry_after seconds to wait. */
bool login_allowed(const char *ip, int *retry_after);
void login_record(const char *ip, bool success);

/* Set-Cookie values: a new session (token) or the expired one that logs out. Caller frees. */
char *session_cookie(const char *token, int max_age);

#endif
