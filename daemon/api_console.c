/* api_console.c - GET / and GET /console/...: the web console's static files,
 * embedded in the binary (scripts/embed.sh). API.md section 11.
 *
 * /console/ answers index.html (Cache-Control: no-cache, so a new build is
 * seen at once); it loads its assets from /console/v/<build>/..., which are
 * cached for a year (immutable: a new build has a new path). Every answer has
 * a content-hash ETag, 304 on If-None-Match, and the console's security
 * headers (CSP without inline script or style, no framing, no sniffing, no
 * referrer). */
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "embedded.h"
#include "http_reply.h"
#include "server.h"

/* Also used by the public pages. */
void api_security_headers(request *rq)
{
    reply_header(rq, "Content-Security-Policy",
                 "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                 "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; "
                 "frame-ancestors 'none'");
    reply_header(rq, "X-Content-Type-Options", "nosniff");
    reply_header(rq, "Referrer-Policy", "no-referrer");
    reply_header(rq, "X-Frame-Options", "DENY");
}

static const char *content_type(const char *name)
{
    static const struct { const char *ext, *type; } types[] = {
        { ".html", "text/html; charset=utf-8" }, { ".js", "text/javascript; charset=utf-8" },
        { ".css", "text/css; charset=utf-8" },   { ".svg", "image/svg+xml" },
        { ".json", "application/json; charset=utf-8" }, { ".txt", "text/plain; charset=utf-8" },
    };
    const char *dot = strrchr(name, '.');
    for (size_t i = 0; dot && i < sizeof types / sizeof *types; i++)
        if (strcmp(dot, types[i].ext) == 0)
            return types[i].type;
    return "application/octet-stream";
}

static const embedded_file *find(const char *name)
{
    for (size_t i = 0; i < embedded_console_count; i++)
        if (strcmp(embedded_console[i].name, name) == 0 && embedded_console[i].len)
            return &embedded_console[i];
    return NULL;
}

static void serve(request *rq, const embedded_file *f, const char *cache)
{
    api_security_headers(rq);
    reply_header(rq, "ETag", f->etag);
    reply_header(rq, "Cache-Control", cache);
    const char *inm = evhttp_find_header(evhttp_request_get_input_headers(rq->req), "If-None-Match");
    if (inm && strstr(inm, f->etag)) {
        reply_text(rq, 304, content_type(f->name), "", 0);
        return;
    }
    reply_text(rq, 200, content_type(f->name), f->data, f->len);
}

static void not_found(request *rq)
{
    api_security_headers(rq);
    reply_problem(rq, 404, "not-found", "Not found", "No such page of the console.", NULL, NULL);
}

void api_root(request *rq)
{
    reply_header(rq, "Location", "/console/");
    reply_text(rq, 302, "text/plain; charset=utf-8", "The console is at /console/\n", 28);
}

void api_console(request *rq)
{
    const char *rest = rq->path_param; /* what follows /console/ */
    if (!*rest || strcmp(rest, "index.html") == 0) {
        const embedded_file *f = find("index.html");
        if (f)
            serve(rq, f, "no-cache");
        else
            not_found(rq);
        return;
    }
    /* v/<build>/<file>: the current build's assets are immutable */
    if (strncmp(rest, "v/", 2) == 0) {
        const char *slash = strchr(rest + 2, '/');
        if (!slash) {
            not_found(rq);
            return;
        }
        bool current = (size_t)(slash - (rest + 2)) == strlen(embedded_console_build) &&
                       strncmp(rest + 2, embedded_console_build, strlen(embedded_console_build)) == 0;
        const embedded_file *f = strstr(slash, "..") ? NULL : find(slash + 1);
        if (!f || strcmp(f->name, "index.html") == 0) {
            not_found(rq);
            return;
        }
        serve(rq, f, current ? "public, max-age=31536000, immutable" : "no-cache");
        return;
    }
    not_found(rq);
}
