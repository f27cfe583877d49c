CREATE TABLE orders (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id bigint      NOT NULL REFERENCES customer (id),
    total_cents bigint      NOT NULL CHECK (total_cents >= 0),
    placed_at   timestamptz NOT NULL DEFAULT now()
);

-- A function with a dollar-quoted body: semicolons inside do not split the statement.
CREATE FUNCTION order_count(customer bigint) RETURNS bigint
LANGUAGE plpgsql STABLE AS $body$
BEGIN
    RETURN (SELECT count(*) FROM orders WHERE customer_id = customer);
END;
$body$;

COPY customer (name, email) FROM STDIN;
Ada Lovelace	ada@example.com
Grace Hopper	grace@example.com
\.
