/*
 * Helpers shared by the metrics handlers (api/metrics.c: revenue and currency settings;
 * api/metrics_cs.c: renewals, journey, health, surveys, team activity): the query string
 * every metric takes, the currency settings, and replies as JSON or CSV.
 */
#ifndef KZ_API_METRICS_H
#define KZ_API_METRICS_H

#include "api/api.h"
#include "metrics/metrics.h"
#include "store/metrics.h"

struct metric_query {
    struct metrics_filter filter;
    int from, to;          /* months, inclusive */
    bool csv;              /* ?format=csv */
};

/*
 * Parses owner, tier, phase, industry, from, to (YYYY-MM; default: the 12 months ending with
 * the current one) and format=json|csv, refusing any parameter not in those nor in extra
 * (NULL-terminated, may be NULL). Returns 0, or -1 after replying 400 naming the parameter.
 */
int metric_query_parse(struct req *r, const char *const *extra, struct metric_query *q);

/* Loads the currency settings (defaults when never saved). Returns a kz_rc. */
int metrics_fx_load(struct fx *fx);

/*
 * Replies with the table: as JSON, {"currency"?, "from", "to", <extra members>, "data": rows};
 * as CSV (q->csv), the rows only, one column per name in cols (NULL-terminated), each row's
 * member of that name (null and absent are empty cells), named <name>.csv. rows and extra
 * (an object or NULL) are stolen.
 */
int metrics_reply(struct req *r, const struct metric_query *q, const char *name,
                  const char *currency, json_t *extra, json_t *rows, const char *const *cols);

/* A reply's secondary table for CSV: `table` names one of the JSON reply's members that is
 * a table (renewal windows, journey phases and funnel, current health, the book). */
struct metric_table {
    const char *name;            /* the ?table= value and the member of the JSON reply */
    const char *const *cols;     /* its CSV columns */
};
/*
 * Parses ?table= (only with format=csv) against tables (n entries): *idx is -1 when absent.
 * Returns 0, or -1 after replying 400 naming `table`. Pass "table" in the extra parameters
 * of metric_query_parse.
 */
int metric_table_parse(struct req *r, const struct metric_query *q,
                       const struct metric_table *tables, size_t n, int *idx);
/* Replies with table idx of the JSON reply x as CSV; x and rows are released. */
int metrics_reply_table(struct req *r, const struct metric_query *q, const char *name,
                        const struct metric_table *t, json_t *x, json_t *rows);

/* A ratio for JSON: num / den, or null when den is 0. */
json_t *json_ratio(int64_t num, int64_t den);

#endif
