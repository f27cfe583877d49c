CREATE TABLE b (id int);
SELECT 1/0;
CREATE TABLE c (id int);
