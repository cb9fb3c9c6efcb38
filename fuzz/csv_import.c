/*
 * libFuzzer target: the account CSV importer (outside input from POST /api/v1/import/accounts
 * and `kizuna import`). Each input is imported into a scratch database inside a transaction
 * that is then rolled back, so the database stays small.
 */
#include <stdio.h>
#include <unistd.h>

#include "importer/accounts_csv.h"
#include "store/store.h"
#include "util/crypto.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    static struct store *st;
    if (!st) {
        char path[64];
        snprintf(path, sizeof(path), "/tmp/kizuna-fuzz-csv-%d.db", getpid());
        unlink(path);
        crypto_setup();
        if (store_init(path))
            return 0;
        st = store_get();
    }
    struct import_report rep;
    import_report_init(&rep);
    store_begin(st);
    import_accounts_csv(st, (const char *)data, size, &rep);
    store_rollback(st);
    import_report_free(&rep);
    return 0;
}
