-- Outside a transaction (CREATE INDEX CONCURRENTLY cannot run in one), as Flyway does.
CREATE INDEX CONCURRENTLY visit_path_idx ON visit (path);
