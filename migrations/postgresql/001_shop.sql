-- The demo shop: three related tables that `dbconnect demo` (and the compose stack) replicate.
-- updated_at is set by a trigger on every UPDATE, so any change (the demo's or yours) is picked up
-- by a timestamp+incrementing source. deleted_at marks a soft delete: the source publishes such
-- rows as tombstones (soft.delete.column.name), and a sink with delete.enabled=true deletes them.
-- Timestamps have millisecond precision, the precision of Connect's Timestamp.
CREATE TABLE customers (
    id           bigserial PRIMARY KEY,
    name         varchar(100) NOT NULL,
    email        varchar(200) NOT NULL,
    country      char(2),
    vip          boolean NOT NULL DEFAULT false,
    signup_date  date NOT NULL,
    preferences  jsonb,
    updated_at   timestamptz(3) NOT NULL DEFAULT now(),
    deleted_at   timestamptz(3)
);

CREATE TABLE products (
    id          serial PRIMARY KEY,
    sku         varchar(32) NOT NULL UNIQUE,
    name        text NOT NULL,
    price       numeric(10,2) NOT NULL,
    in_stock    boolean NOT NULL DEFAULT true,
    attributes  jsonb,
    updated_at  timestamptz(3) NOT NULL DEFAULT now(),
    deleted_at  timestamptz(3)
);

CREATE TABLE orders (
    id           bigserial PRIMARY KEY,
    customer_id  bigint NOT NULL REFERENCES customers (id),
    product_id   integer NOT NULL REFERENCES products (id),
    quantity     integer NOT NULL,
    total        numeric(12,2) NOT NULL,
    status       varchar(16) NOT NULL DEFAULT 'new',
    ordered_on   date NOT NULL,
    note         text,
    updated_at   timestamptz(3) NOT NULL DEFAULT now(),
    deleted_at   timestamptz(3)
);

CREATE FUNCTION shop_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END
$$;

CREATE TRIGGER customers_touch BEFORE UPDATE ON customers FOR EACH ROW EXECUTE FUNCTION shop_touch();
CREATE TRIGGER products_touch BEFORE UPDATE ON products FOR EACH ROW EXECUTE FUNCTION shop_touch();
CREATE TRIGGER orders_touch BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION shop_touch();

-- The source's query is WHERE updated_at ... ORDER BY updated_at, id: these keep it an index scan.
CREATE INDEX customers_updated_at ON customers (updated_at, id);
CREATE INDEX products_updated_at ON products (updated_at, id);
CREATE INDEX orders_updated_at ON orders (updated_at, id);
