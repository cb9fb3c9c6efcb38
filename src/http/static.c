/*
 * Serving the built web app (web/dist) from `kizuna serve`. The router calls static_serve()
 * for a GET or HEAD that no API route matched and whose path is not under /api/ or /v1/
 * (those keep their JSON 404). A path naming a file inside the web root is sent with its
 * Content-Type; Vite's content-hashed files under /assets/ are cached for a year, every other
 * file is revalidated. Any other path gets index.html (no-cache), so that the app's own
 * routes (/accounts/12, /settings) survive a reload; a missing file with an extension
 * (a stale /assets/x.js) is a plain 404 instead, so a browser never runs HTML as a script.
 *
 * A file with a gzip copy beside it (x.js.gz, made by the web build) is sent compressed to a
 * client that accepts gzip, with Vary: Accept-Encoding.
 *
 * The path is checked segment by segment (no "." or "..", no backslash, no control byte,
 * no "%" left after percent-decoding, which is how a "%00" arrives), then resolved with
 * realpath() and required to stay under the resolved root: neither "..", "%2e%2e" nor a
 * symbolic link leads out. Without a built web app the answer is a 503 saying how to build it.
 */
#include "http/static.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http/http.h"

static char *web_root;       /* realpath of the web directory; NULL when not built */
static char *web_configured; /* what was asked for, for the messages */

/* True when dir/index.html is a regular file. */
static bool has_index(const char *dir)
{
    char p[PATH_MAX];
    struct stat st;
    if (snprintf(p, sizeof(p), "%s/index.html", dir) >= (int)sizeof(p))
        return false;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* The directory of the running binary into out (no trailing slash); false when unknown. */
static bool exe_dir(char *out, size_t n)
{
    ssize_t len = readlink("/proc/self/exe", out, n - 1);
    if (len <= 0)
        return false;
    out[len] = '\0';
    char *slash = strrchr(out, '/');
    if (!slash)
        return false;
    *slash = '\0';
    return true;
}

void static_init(const char *dir)
{
    free(web_root);
    free(web_configured);
    web_root = NULL;
    char cand[PATH_MAX];
    if (dir) { /* --web or KIZUNA_WEB: exactly that directory */
        web_configured = xstrdup(dir);
        if (has_index(dir))
            web_root = realpath(dir, NULL);
    } else {
        /* web/dist in the working directory, else next to the binary or up to two levels
         * above it (build/kizuna and build/test/kizuna in a source tree). */
        web_configured = xstrdup("web/dist");
        char exe[PATH_MAX];
        const char *const ups[] = { "", "/..", "/../.." };
        if (has_index("web/dist")) {
            web_root = realpath("web/dist", NULL);
        } else if (exe_dir(exe, sizeof(exe))) {
            for (size_t i = 0; i < sizeof(ups) / sizeof(ups[0]) && !web_root; i++)
                if (snprintf(cand, sizeof(cand), "%s%s/web/dist", exe, ups[i]) <
                        (int)sizeof(cand) &&
                    has_index(cand))
                    web_root = realpath(cand, NULL);
        }
    }
    if (web_root)
        log_info("web app: serving %s", web_root);
    else
        log_warn("web app: %s has no index.html (build it with `make web`); the API works, "
                 "the pages answer 503",
                 web_configured);
}

void static_shutdown(void)
{
    free(web_root);
    free(web_configured);
    web_root = web_configured = NULL;
}

bool static_wants(const char *method, const char *path)
{
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return false;
    if (path[0] != '/')
        return false;
    return strncmp(path, "/api/", 5) != 0 && strcmp(path, "/api") != 0 &&
           strncmp(path, "/v1/", 4) != 0 && strcmp(path, "/v1") != 0;
}

/* ------------------------------------------------------------ content types */

static const struct {
    const char *ext, *type;
} types[] = {
    { "html", "text/html; charset=utf-8" },
    { "js", "text/javascript; charset=utf-8" },
    { "mjs", "text/javascript; charset=utf-8" },
    { "css", "text/css; charset=utf-8" },
    { "json", "application/json" },
    { "map", "application/json" },
    { "webmanifest", "application/manifest+json" },
    { "svg", "image/svg+xml" },
    { "png", "image/png" },
    { "jpg", "image/jpeg" },
    { "jpeg", "image/jpeg" },
    { "gif", "image/gif" },
    { "webp", "image/webp" },
    { "ico", "image/x-icon" },
    { "woff", "font/woff" },
    { "woff2", "font/woff2" },
    { "txt", "text/plain; charset=utf-8" },
    { "wasm", "application/wasm" },
};

/* The extension of the last segment of path (after its last '.'), or NULL. */
static const char *extension(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    return dot && dot != base && dot[1] ? dot + 1 : NULL;
}

static const char *content_type(const char *path)
{
    const char *ext = extension(path);
    if (ext)
        for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
            if (strcasecmp(ext, types[i].ext) == 0)
                return types[i].type;
    return "application/octet-stream";
}

/* ------------------------------------------------------------ replies */

/* A short text/plain answer (the pages are not JSON; an API client never gets these). */
static int reply_text(struct req *r, unsigned status, const char *text)
{
    char *body = xstrdup(text);
    reply_bytes(r, status, "text/plain; charset=utf-8", body, strlen(body));
    return 0;
}

/* True when path is safe to join to the root: segments without "." / "..", no backslash,
 * no control byte, no '%' (an undecoded "%00" or a stray '%'), not too long. */
static bool path_safe(const char *path)
{
    if (strlen(path) > 1024)
        return false;
    for (const char *p = path; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c < 0x20 || c == 0x7f || c == '\\' || c == '%')
            return false;
    }
    for (const char *seg = path; *seg;) {
        while (*seg == '/')
            seg++;
        const char *end = strchrnul(seg, '/');
        size_t n = (size_t)(end - seg);
        if ((n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.'))
            return false;
        seg = end;
    }
    return true;
}

/* Opens root + rel when it is a regular file that resolves inside the root. Returns the
 * fd (the caller closes it, or hands it to libmicrohttpd) and its size, or -1. */
static int open_inside(const char *rel, uint64_t *size)
{
    char joined[PATH_MAX];
    if (snprintf(joined, sizeof(joined), "%s/%s", web_root, rel) >= (int)sizeof(joined))
        return -1;
    char *real = realpath(joined, NULL);
    if (!real)
        return -1;
    size_t rl = strlen(web_root);
    int fd = -1;
    if (strncmp(real, web_root, rl) == 0 && real[rl] == '/') {
        fd = open(real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        struct stat st;
        if (fd >= 0 && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))) {
            close(fd);
            fd = -1;
        } else if (fd >= 0) {
            *size = (uint64_t)st.st_size;
        }
    }
    free(real);
    return fd;
}

/* True when the request's Accept-Encoding allows gzip (a "gzip" or "*" token without q=0). */
static bool accepts_gzip(struct req *r)
{
    const char *ae = req_header(r, MHD_HTTP_HEADER_ACCEPT_ENCODING);
    while (ae && *ae) {
        ae += strspn(ae, " \t,");
        size_t n = strcspn(ae, ",;");
        size_t tn = n;
        while (tn > 0 && (ae[tn - 1] == ' ' || ae[tn - 1] == '\t'))
            tn--;
        bool name = (tn == 4 && strncasecmp(ae, "gzip", 4) == 0) || (tn == 1 && ae[0] == '*');
        const char *end = ae + strcspn(ae, ",");
        bool zero = false;
        for (const char *q = ae + n; q < end; q++) /* parameters: look for q=0[.000] */
            if ((q[0] == 'q' || q[0] == 'Q') && q[1] == '=') {
                char *stop;
                zero = strtod(q + 2, &stop) <= 0.0 && stop != q + 2;
                break;
            }
        if (name)
            return !zero;
        ae = end;
    }
    return false;
}

/* Sends the open file fd (ownership passes to the response) with its headers; gzipped says
 * the bytes are a gzip copy of a file of type ctype. */
static int reply_file(struct req *r, int fd, uint64_t size, const char *ctype, bool immutable,
                      bool gzipped, bool vary)
{
    struct MHD_Response *resp = MHD_create_response_from_fd64(size, fd);
    if (!resp) {
        close(fd);
        return reply_text(r, 500, "cannot read the file");
    }
    if (r->resp)
        MHD_destroy_response(r->resp);
    r->resp = resp;
    r->status = 200;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Cache-Control",
                            immutable ? "public, max-age=31536000, immutable" : "no-cache");
    if (gzipped)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
    if (vary)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
    if (strncmp(ctype, "text/html", 9) == 0) {
        MHD_add_response_header(resp, "Content-Security-Policy",
                                "default-src 'self'; script-src 'self'; style-src 'self' "
                                "'unsafe-inline'; img-src 'self' data:; object-src 'none'; "
                                "base-uri 'none'; frame-ancestors 'none'; form-action 'self'");
        MHD_add_response_header(resp, "X-Frame-Options", "DENY");
        MHD_add_response_header(resp, "Referrer-Policy", "same-origin");
    }
    return 0;
}

int static_serve(struct req *r, const char *path)
{
    if (!web_root)
        return reply_text(r, 503,
                          "The Kizuna web app has not been built. Build it with `make web` "
                          "(npm ci and vite build in web/), or point `kizuna serve --web DIR` "
                          "(or KIZUNA_WEB) at a built web/dist. The API is available under "
                          "/api/v1/.\n");
    if (!path_safe(path))
        return reply_text(r, 404, "not found\n");

    const char *rel = path + strspn(path, "/");
    uint64_t size = 0;
    int fd = rel[0] ? open_inside(rel, &size) : -1;
    if (fd >= 0) {
        bool immutable = strncmp(rel, "assets/", 7) == 0;
        char gz[PATH_MAX];
        uint64_t gzsize = 0;
        int gzfd = -1;
        bool has_gz = snprintf(gz, sizeof(gz), "%s.gz", rel) < (int)sizeof(gz) &&
                      (gzfd = open_inside(gz, &gzsize)) >= 0;
        if (has_gz && accepts_gzip(r)) {
            close(fd);
            return reply_file(r, gzfd, gzsize, content_type(rel), immutable, true, true);
        }
        if (gzfd >= 0)
            close(gzfd);
        return reply_file(r, fd, size, content_type(rel), immutable, false, has_gz);
    }

    /* A missing file with an extension is a 404; any other path is a page of the app. */
    if (extension(rel) && strcmp(rel, "index.html") != 0)
        return reply_text(r, 404, "not found\n");
    fd = open_inside("index.html", &size);
    if (fd < 0)
        return reply_text(r, 503, "The Kizuna web app's index.html is missing: rebuild it "
                                  "with `make web`.\n");
    return reply_file(r, fd, size, "text/html; charset=utf-8", false, false, false);
}
