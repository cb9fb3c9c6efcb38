/*
 * Helpers shared by the API handlers: the page size, opaque keyset cursors (base64url of
 * "id\nvalue"), and the account access checks that implement the role rules.
 */
#include "api/api.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"

int api_limit(struct req *r, int *limit)
{
    const char *s = req_query(r, "limit");
    long v = API_LIMIT_DEFAULT;
    if (s && parse_int_range(s, 1, API_LIMIT_MAX, &v)) {
        reply_field_error(r, "limit", "'limit' must be an integer from 1 to %d", API_LIMIT_MAX);
        return -1;
    }
    *limit = (int)v;
    return 0;
}

char *api_cursor_encode(const char *value, int64_t id)
{
    char *raw = xasprintf("%lld\n%s", (long long)id, value ? value : "");
    size_t n = strlen(raw);
    size_t cap = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *out = xmalloc(cap);
    sodium_bin2base64(out, cap, (const unsigned char *)raw, n,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    free(raw);
    return out;
}

int api_cursor(struct req *r, bool *has, char **value, int64_t *id)
{
    const char *s = req_query(r, "cursor");
    *has = false;
    *value = NULL;
    if (!s)
        return 0;
    size_t n = strlen(s), len;
    unsigned char *raw = xmalloc(n + 1);
    char *nl;
    if (n > 2048 ||
        sodium_base642bin(raw, n, s, n, NULL, &len, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
        goto bad;
    raw[len] = '\0';
    nl = memchr(raw, '\n', len);
    if (!nl || strlen((char *)raw) != len)
        goto bad;
    *nl = '\0';
    if (parse_i64((char *)raw, id) || *id < 0 || !utf8_valid(nl + 1, strlen(nl + 1)))
        goto bad;
    *value = xstrdup(nl + 1);
    *has = true;
    free(raw);
    return 0;
bad:
    free(raw);
    reply_field_error(r, "cursor", "'cursor' is not a cursor this server issued");
    return -1;
}

int api_account_readable(struct req *r, int64_t account_id)
{
    int64_t owner;
    int rc = account_id ? store_account_owner(store_get(), account_id, &owner) : KZ_ENOTFOUND;
    if (rc == KZ_OK)
        return 0;
    reply_rc(r, rc, "account");
    return -1;
}

int api_account_writable(struct req *r, int64_t account_id)
{
    int64_t owner;
    int rc = account_id ? store_account_owner(store_get(), account_id, &owner) : KZ_ENOTFOUND;
    if (rc) {
        reply_rc(r, rc, "account");
        return -1;
    }
    if (r->user.role >= ROLE_ADMIN)
        return 0;
    if (r->user.role == ROLE_CSM && (owner == 0 || owner == r->user.user_id))
        return 0;
    reply_problem(r, 403, "a %s may only change accounts they own or unassigned ones",
                  role_name(r->user.role));
    return -1;
}
