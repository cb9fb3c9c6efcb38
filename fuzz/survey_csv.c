/*
 * libFuzzer target: the survey response CSV importer (outside input from
 * POST /api/v1/import/survey-responses). The scratch database has one account (external_id
 * F-1, id 1) with a contact (a@f.example), so rows reach the account, contact and natural-key
 * paths. Each input is imported as a csm inside a transaction that is then rolled back.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "importer/surveys_csv.h"
#include "store/store.h"
#include "util/crypto.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    static struct store *st;
    if (!st) {
        char path[64];
        snprintf(path, sizeof(path), "/tmp/kizuna-fuzz-survey-%d.db", getpid());
        unlink(path);
        crypto_setup();
        if (store_init(path))
            return 0;
        st = store_get();
        struct account a;
        account_init(&a);
        a.name = xstrdup("Fuzz");
        a.external_id = xstrdup("F-1");
        store_account_create(st, &a);
        struct contact c;
        memset(&c, 0, sizeof(c));
        c.account_id = a.id;
        c.name = xstrdup("A");
        c.email = xstrdup("a@f.example");
        store_contact_create(st, &c);
        contact_cleanup(&c);
        account_cleanup(&a);
    }
    struct import_report rep;
    import_report_init(&rep);
    store_begin(st);
    import_survey_responses_csv(st, (const char *)data, size, 2, ROLE_CSM, &rep);
    store_rollback(st);
    import_report_free(&rep);
    return 0;
}
