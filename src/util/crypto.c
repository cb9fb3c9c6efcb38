/* Implementation of crypto.h over libsodium. */
#include "util/crypto.h"
#include "util/util.h"

#include <sodium.h>
#include <string.h>

int crypto_setup(void)
{
    return sodium_init() < 0 ? -1 : 0;
}

int password_hash(const char *pw, char **out)
{
    char hash[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str(hash, pw, strlen(pw), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        return -1;
    *out = xstrdup(hash);
    return 0;
}

bool password_verify(const char *hash, const char *pw)
{
    if (!hash || !pw)
        return false;
    return crypto_pwhash_str_verify(hash, pw, strlen(pw)) == 0;
}

char *token_new(const char *prefix)
{
    unsigned char raw[32];
    char b64[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2base64(b64, sizeof(b64), raw, sizeof(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return xasprintf("%s%s", prefix, b64);
}

void token_hash(const char *token, char out[static 65])
{
    unsigned char h[32];
    crypto_generichash(h, sizeof(h), (const unsigned char *)token, strlen(token), NULL, 0);
    sodium_bin2hex(out, 65, h, sizeof(h));
}

bool secure_streq(const char *a, const char *b)
{
    size_t n = strlen(a);
    if (n != strlen(b))
        return false;
    return sodium_memcmp(a, b, n) == 0;
}

void password_random(char *out, size_t n)
{
    static const char alphabet[] = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    for (size_t i = 0; i < n; i++)
        out[i] = alphabet[randombytes_uniform(sizeof(alphabet) - 1)];
    out[n] = '\0';
}

void secret_wipe(char *s)
{
    sodium_memzero(s, strlen(s));
}
