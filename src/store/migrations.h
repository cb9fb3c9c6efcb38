/* The numbered migrations compiled into the binary (build/gen/migrations.c). */
#ifndef KZ_MIGRATIONS_H
#define KZ_MIGRATIONS_H
struct migration {
    int version;
    const char *name;
    const char *sql;
};
extern const struct migration migrations[];
extern const int migrations_count;
#endif
