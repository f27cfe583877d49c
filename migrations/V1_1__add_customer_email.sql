ALTER TABLE customer ADD COLUMN email text;
CREATE UNIQUE INDEX customer_email_key ON customer (lower(email));
