-- Runs outside a transaction (CREATE INDEX CONCURRENTLY cannot run in one), as Flyway does.
CREATE INDEX CONCURRENTLY orders_customer_idx ON orders (customer_id);
