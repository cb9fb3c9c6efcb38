/*
 * Shared types for the whole program: the one result-code enum (mapped to HTTP status in
 * exactly one place, http/reply.c), user roles, and the server configuration.
 */
#ifndef KIZUNA_H
#define KIZUNA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifndef KZ_VERSION
#define KZ_VERSION "dev"
#endif

enum kz_rc {
    KZ_OK = 0,
    KZ_ENOMEM,     /* allocation failed (normally we abort instead) */
    KZ_EINVAL,     /* bad input: 400 */
    KZ_ENOTFOUND,  /* no such row: 404 */
    KZ_ECONFLICT,  /* unique constraint, state conflict: 409 */
    KZ_EBUSY,      /* database locked past the busy timeout: 503 */
    KZ_EDB,        /* any other database failure: 500 */
    KZ_ETOOBIG,    /* a size limit was reached: 413 */
    KZ_EAUTH,      /* not authenticated: 401 */
    KZ_EFORBIDDEN, /* authenticated but not allowed: 403 */
};

const char *kz_strerror(enum kz_rc rc);

/* Roles are ordered: a higher role may do everything a lower one may. */
enum role { ROLE_NONE = 0, ROLE_VIEWER = 1, ROLE_CSM = 2, ROLE_ADMIN = 3 };

const char *role_name(enum role r);
/* Returns KZ_OK and sets *out when s names a role, KZ_EINVAL otherwise. */
int role_parse(const char *s, enum role *out);

struct config {
    const char *db_path; /* --db, KIZUNA_DB, default "kizuna.db" */
    const char *listen;  /* --listen, KIZUNA_LISTEN, default "127.0.0.1:8080" */
    const char *web_dir; /* --web, KIZUNA_WEB; NULL = web/dist in the cwd or by the binary */
    int threads;         /* --threads, default: number of CPUs */
};

#endif
