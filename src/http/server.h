/* The HTTP server: `kizuna serve`. */
#ifndef KZ_HTTP_SERVER_H
#define KZ_HTTP_SERVER_H

#include "kizuna.h"

/* Serves until SIGINT or SIGTERM, then stops accepting, lets in-flight requests finish
 * (up to 10 s) and returns 0; returns 1 when the server cannot start. store_init() must
 * have succeeded before. */
int http_serve(const struct config *cfg);

#endif
