-- Every request to /visit records one row (the example app's only table).
CREATE TABLE visit (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    path       text        NOT NULL,
    visited_at timestamptz NOT NULL DEFAULT now()
);
