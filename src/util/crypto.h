/*
 * Secrets, through libsodium: argon2id password hashes, random tokens, token hashes for
 * storage, and constant-time comparison. No secret is ever stored in clear.
 */
#ifndef KZ_CRYPTO_H
#define KZ_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>

/* Initialises libsodium; 0 on success. Call once at start-up before any other function. */
int crypto_setup(void);
/* An argon2id hash string of pw into *out (caller frees); 0 on success. */
int password_hash(const char *pw, char **out);
/* True when pw matches hash (constant time in libsodium). */
bool password_verify(const char *hash, const char *pw);
/* A new secret: prefix followed by 43 base64url characters (256 random bits). Caller frees. */
char *token_new(const char *prefix);
/* The hex BLAKE2b-256 of a secret, which is what the database keeps. */
void token_hash(const char *token, char out[static 65]);
/* Constant-time equality of two NUL-terminated strings (length is not secret). */
bool secure_streq(const char *a, const char *b);
/* Overwrites a secret string with zeros (not optimised away). */
void secret_wipe(char *s);
/* A random password of n characters into out (n + 1 bytes). */
void password_random(char *out, size_t n);

#endif
