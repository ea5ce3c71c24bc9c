-- Demo schema for the JDBC source: a table for each mode.
CREATE TABLE IF NOT EXISTS customers (
    id          serial PRIMARY KEY,
    name        varchar(100) NOT NULL,
    email       varchar(200) NOT NULL,
    updated_at  timestamp NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS orders (
    id           bigserial PRIMARY KEY,
    customer_id  int NOT NULL REFERENCES customers(id),
    amount       numeric(12,2) NOT NULL,
    status       text NOT NULL DEFAULT 'new',
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
INSERT INTO customers (name, email) VALUES ('Ada', 'ada@example.com'), ('Linus', 'linus@example.com');
INSERT INTO orders (customer_id, amount) VALUES (1, 12.50), (2, 99.99);
