/*
 * libFuzzer target: JSON request bodies, through the real handler for POST /api/v1/accounts
 * (body parsing, UTF-8 checks, field validation, the store) as an admin. The created rows are
 * rolled back after each input.
 */
#include <microhttpd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "api/api.h"
#include "store/store.h"
#include "util/crypto.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    static struct store *st;
    if (!st) {
        char path[64];
        snprintf(path, sizeof(path), "/tmp/kizuna-fuzz-json-%d.db", getpid());
        unlink(path);
        crypto_setup();
        if (store_init(path))
            return 0;
        st = store_get();
    }
    struct req r;
    memset(&r, 0, sizeof(r));
    r.method = "POST";
    r.user.user_id = 1;
    r.user.role = ROLE_ADMIN;
    buf_init(&r.body, HTTP_BODY_MAX);
    if (buf_append(&r.body, data, size) == 0) {
        store_begin(st);
        api_accounts_create(&r);
        store_rollback(st);
    }
    buf_free(&r.body);
    json_decref(r.json);
    if (r.resp)
        MHD_destroy_response(r.resp);
    return 0;
}
