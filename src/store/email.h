/*
 * Store: email templates (the email-templates resource), and the reads that rendering an
 * email needs: one account's placeholder values and the contacts of a role. Strings in the
 * structs are heap copies owned by the struct. Functions return kz_rc.
 */
#ifndef KZ_STORE_EMAIL_H
#define KZ_STORE_EMAIL_H

#include "store/playbooks.h"

struct email_template {
    int64_t id;
    char *name, *subject, *body_text;
    char *body_html; /* NULL = none */
    char created_at[21];
    char updated_at[21];
};
void email_template_cleanup(struct email_template *t);
void email_templates_free(struct email_template *v, size_t n);

int store_email_template_create(struct store *st, struct email_template *t);
int store_email_template_get(struct store *st, int64_t id, struct email_template *out);
/* Saves every field of t->id; sets updated_at. KZ_ENOTFOUND when missing. */
int store_email_template_update(struct store *st, struct email_template *t);
int store_email_template_delete(struct store *st, int64_t id);
/* Templates by id after after_id, up to limit + 1. */
int store_email_templates_list(struct store *st, int64_t after_id, int limit,
                               struct email_template **out, size_t *n);

/* The account columns a rendering uses (name, tier, phase, owner, health, renewal date) into
 * *out (the strings are the caller's: free with pb_candidate_cleanup). KZ_ENOTFOUND when
 * the account does not exist. */
int store_email_account(struct store *st, int64_t account_id, struct pb_candidate *out);

/* Contacts of the account with this role and an email address, by id (at most 50); *out is
 * a heap array (contacts_free, store.h). */
int store_contacts_with_role(struct store *st, int64_t account_id, const char *role,
                             struct contact **out, size_t *n);

#endif
