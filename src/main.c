/*
 * kizuna: the command line. Subcommands serve, demo, import, backup, check and version;
 * options from flags, then KIZUNA_* environment variables, then defaults. serve and demo
 * create the first admin when the database has none.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "demo/demo.h"
#include "http/server.h"
#include "importer/accounts_csv.h"
#include "ingest/ingest.h"
#include "sched/sched.h"
#include "playbooks/outbound.h"
#include "kizuna.h"
#include "store/store.h"
#include "util/crypto.h"
#include "util/util.h"

static const char usage[] =
    "kizuna " KZ_VERSION " - customer success platform\n"
    "\n"
    "usage: kizuna <command> [options]\n"
    "\n"
    "commands:\n"
    "  serve                      run the HTTP server (API and web app)\n"
    "  demo                       fill the database with a realistic demo dataset\n"
    "  import accounts FILE.csv   import or update accounts from a CSV file\n"
    "  backup FILE                copy the live database to FILE (online, consistent)\n"
    "  check                      run an integrity check of the database\n"
    "  version                    print the version\n"
    "  help, --help               print this help\n"
    "\n"
    "options:\n"
    "  --db FILE                  SQLite database file (env KIZUNA_DB; default kizuna.db)\n"
    "  --listen ADDR:PORT         serve: address to listen on (env KIZUNA_LISTEN;\n"
    "                             default 127.0.0.1:8080)\n"
    "  --threads N                serve: HTTP worker threads (default: number of CPUs)\n"
    "  --web DIR                  serve: the built web app (env KIZUNA_WEB; default web/dist\n"
    "                             in the working directory or next to the binary)\n"
    "  --seed N                   demo: random seed (default 1); same seed, same data\n"
    "  --today YYYY-MM-DD         demo: the date the data ends at (default today)\n"
    "\n"
    "environment:\n"
    "  KIZUNA_ADMIN_EMAIL         first admin's email (default admin@example.com)\n"
    "  KIZUNA_ADMIN_PASSWORD      first admin's password (default: random, printed once)\n";

struct opts {
    struct config cfg;
    uint64_t seed;
    const char *today;
    char **args;   /* positional arguments after the command */
    int nargs;
};

static int parse_opts(int argc, char **argv, struct opts *o)
{
    o->cfg.db_path = getenv("KIZUNA_DB") ? getenv("KIZUNA_DB") : "kizuna.db";
    o->cfg.listen = getenv("KIZUNA_LISTEN") ? getenv("KIZUNA_LISTEN") : "127.0.0.1:8080";
    o->cfg.web_dir = getenv("KIZUNA_WEB") && *getenv("KIZUNA_WEB") ? getenv("KIZUNA_WEB") : NULL;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    o->cfg.threads = ncpu > 0 ? (int)ncpu : 2;
    o->seed = 1;
    o->args = xcalloc((size_t)argc + 1, sizeof(char *));
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        long n;
        int64_t seed;
        if ((!strcmp(a, "--db") || !strcmp(a, "--listen") || !strcmp(a, "--threads") || !strcmp(a, "--web") ||
             !strcmp(a, "--seed") || !strcmp(a, "--today")) && !v) {
            fprintf(stderr, "kizuna: %s needs a value\n", a);
            return -1;
        }
        if (!strcmp(a, "--db")) {
            o->cfg.db_path = v, i++;
        } else if (!strcmp(a, "--listen")) {
            o->cfg.listen = v, i++;
        } else if (!strcmp(a, "--web")) {
            o->cfg.web_dir = v, i++;
        } else if (!strcmp(a, "--threads")) {
            if (parse_int_range(v, 1, 256, &n))
                return fprintf(stderr, "kizuna: --threads must be 1..256\n"), -1;
            o->cfg.threads = (int)n, i++;
        } else if (!strcmp(a, "--seed")) {
            if (parse_i64(v, &seed) || seed < 0)
                return fprintf(stderr, "kizuna: --seed must be a non-negative integer\n"), -1;
            o->seed = (uint64_t)seed, i++;
        } else if (!strcmp(a, "--today")) {
            if (date_valid(v))
                return fprintf(stderr, "kizuna: --today must be YYYY-MM-DD\n"), -1;
            o->today = v, i++;
        } else if (a[0] == '-' && a[1] == '-') {
            fprintf(stderr, "kizuna: unknown option %s (see kizuna --help)\n", a);
            return -1;
        } else {
            o->args[o->nargs++] = argv[i];
        }
    }
    return 0;
}

/* Creates the first admin when there is none; prints the login when the password is new. */
static int ensure_admin(void)
{
    struct store *st = store_get();
    int64_t admins = 0;
    if (store_admin_count(st, &admins) || admins > 0)
        return 0;
    const char *email = getenv("KIZUNA_ADMIN_EMAIL");
    const char *pw = getenv("KIZUNA_ADMIN_PASSWORD");
    char random_pw[17];
    if (!email || !*email)
        email = "admin@example.com";
    if (!pw || strlen(pw) < 8) {
        if (pw)
            log_warn("KIZUNA_ADMIN_PASSWORD is shorter than 8 characters; using a random one");
        password_random(random_pw, 16);
        pw = random_pw;
    }
    struct user u = { .role = ROLE_ADMIN };
    int rc = store_user_by_email(st, email, &u);
    u.role = ROLE_ADMIN;
    u.disabled = false;
    free(u.password_hash);
    u.password_hash = NULL;
    if (password_hash(pw, &u.password_hash)) {
        user_cleanup(&u);
        return -1;
    }
    if (rc == KZ_OK) {
        rc = store_user_update(st, &u);
    } else {
        u.email = xstrdup(email);
        u.name = xstrdup("Administrator");
        rc = store_user_create(st, &u);
    }
    user_cleanup(&u);
    if (rc)
        return -1;
    fprintf(stderr, "created the first admin: %s / %s\n", email,
            pw == random_pw ? random_pw : "(password from KIZUNA_ADMIN_PASSWORD)");
    return 0;
}

static int open_store(const struct opts *o)
{
    if (crypto_setup()) {
        fprintf(stderr, "kizuna: cannot initialise libsodium\n");
        return -1;
    }
    if (store_init(o->cfg.db_path)) {
        fprintf(stderr, "kizuna: cannot open database %s\n", o->cfg.db_path);
        return -1;
    }
    return 0;
}

static int cmd_serve(struct opts *o)
{
    if (open_store(o) || ensure_admin())
        return 1;
    if (ingest_writer_start()) {
        fprintf(stderr, "kizuna: cannot start the ingest writer\n");
        return 1;
    }
    if (sched_start()) {
        fprintf(stderr, "kizuna: cannot start the scheduler\n");
        ingest_writer_stop();
        return 1;
    }
    if (outbound_start()) {
        fprintf(stderr, "kizuna: cannot start the outbound worker\n");
        sched_stop();
        ingest_writer_stop();
        return 1;
    }
    int rc = http_serve(&o->cfg);
    ingest_writer_stop(); /* after the server: in-flight tracking requests are committed */
    sched_stop();
    outbound_stop();
    store_shutdown();
    return rc;
}

static int cmd_demo(struct opts *o)
{
    char today[11];
    if (o->today)
        snprintf(today, sizeof(today), "%s", o->today);
    else
        date_today(today);
    if (open_store(o) || ensure_admin())
        return 1;
    int rc = demo_generate(store_get(), o->seed, today, stderr);
    store_shutdown();
    return rc ? 1 : 0;
}

static int cmd_import(struct opts *o)
{
    if (o->nargs != 2 || strcmp(o->args[0], "accounts") != 0) {
        fprintf(stderr, "usage: kizuna import accounts FILE.csv --db FILE\n");
        return 2;
    }
    if (open_store(o))
        return 2;
    int rc = importer_cli(o->args[1], stdout);
    store_shutdown();
    return rc;
}

static int cmd_backup(struct opts *o)
{
    if (o->nargs != 1) {
        fprintf(stderr, "usage: kizuna backup FILE --db FILE\n");
        return 2;
    }
    if (open_store(o))
        return 1;
    int rc = store_backup(store_get(), o->args[0]);
    store_shutdown();
    if (rc == KZ_OK)
        printf("backed up %s to %s\n", o->cfg.db_path, o->args[0]);
    return rc ? 1 : 0;
}

static int cmd_check(struct opts *o)
{
    if (access(o->cfg.db_path, R_OK) != 0) {
        fprintf(stderr, "kizuna: no database at %s\n", o->cfg.db_path);
        return 1;
    }
    if (open_store(o))
        return 1;
    int rc = store_integrity_check(store_get());
    store_shutdown();
    printf("%s\n", rc == KZ_OK ? "ok" : "integrity check failed");
    return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
    const char *cmd = argc > 1 ? argv[1] : "help";
    if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
        fputs(usage, stdout);
        return 0;
    }
    if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
        printf("kizuna %s\n", KZ_VERSION);
        return 0;
    }
    struct opts o = { 0 };
    int rc = 2;
    if (parse_opts(argc, argv, &o) == 0) {
        if (!strcmp(cmd, "serve"))
            rc = cmd_serve(&o);
        else if (!strcmp(cmd, "demo"))
            rc = cmd_demo(&o);
        else if (!strcmp(cmd, "import"))
            rc = cmd_import(&o);
        else if (!strcmp(cmd, "backup"))
            rc = cmd_backup(&o);
        else if (!strcmp(cmd, "check"))
            rc = cmd_check(&o);
        else
            fprintf(stderr, "kizuna: unknown command '%s' (see kizuna --help)\n", cmd);
    }
    free(o.args);
    return rc;
}
