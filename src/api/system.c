/* GET /healthz (liveness: the database answers) and GET /metrics (Prometheus text). */
#include "api/api.h"
#include "http/metrics.h"
#include "store/store.h"

#include <string.h>

int api_healthz(struct req *r)
{
    int64_t n;
    if (store_admin_count(store_get(), &n) != KZ_OK)
        return reply_problem(r, 503, "the database does not answer");
    json_t *o = json_object();
    json_object_set_new(o, "status", json_string("ok"));
    json_object_set_new(o, "version", json_string(KZ_VERSION));
    return reply_json(r, 200, o);
}

int api_metrics(struct req *r)
{
    char *text = metrics_render();
    return reply_bytes(r, 200, "text/plain; version=0.0.4; charset=utf-8", text, strlen(text));
}
