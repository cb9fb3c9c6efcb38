/* The built web app's files, served by `kizuna serve` (http/static.c). */
#ifndef KZ_HTTP_STATIC_H
#define KZ_HTTP_STATIC_H

#include <stdbool.h>

struct req;

/* Finds the web root: dir when given (--web, KIZUNA_WEB), else web/dist in the working
 * directory or next to the binary (or up to two levels above it). Logs what it serves, or
 * that the app is not built (then pages answer 503). Call once before serving. */
void static_init(const char *dir);
void static_shutdown(void);

/* True for requests the web app answers when no route matched: GET or HEAD of a path
 * outside /api/ and /v1/ (those keep their JSON 404). */
bool static_wants(const char *method, const char *path);

/* Replies with the file at path, index.html for an app route, or a 404/503 text. Returns 0. */
int static_serve(struct req *r, const char *path);

#endif
