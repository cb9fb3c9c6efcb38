-- 009: segments, saved filters on any account field (docs/segments.md). The filter is the
-- JSON tree as the user wrote it; it is compiled to SQL each time it is used, so that
-- relative conditions ("renews within 60 days") follow the calendar.
CREATE TABLE segments (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    description TEXT,
    filter      TEXT NOT NULL,
    created_by  INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
