-- The demo shop for MariaDB: the same three tables as migrations/postgresql/001_shop.sql, used as the
-- target of `dbconnect demo --target mariadb` and as a source in the compose stack.
-- No foreign keys: a replication target receives each table's topic independently, so an order
-- may arrive before its customer. updated_at follows every UPDATE (ON UPDATE); deleted_at marks a
-- soft delete (see the PostgreSQL file).
CREATE TABLE IF NOT EXISTS customers (
    id           BIGINT AUTO_INCREMENT PRIMARY KEY,
    name         VARCHAR(100) NOT NULL,
    email        VARCHAR(200) NOT NULL,
    country      CHAR(2),
    vip          BOOLEAN NOT NULL DEFAULT FALSE,
    signup_date  DATE NOT NULL,
    preferences  LONGTEXT,
    updated_at   DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
    deleted_at   DATETIME(3),
    KEY customers_updated_at (updated_at, id)
);

CREATE TABLE IF NOT EXISTS products (
    id          INT AUTO_INCREMENT PRIMARY KEY,
    sku         VARCHAR(32) NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    price       DECIMAL(10,2) NOT NULL,
    in_stock    BOOLEAN NOT NULL DEFAULT TRUE,
    attributes  LONGTEXT,
    updated_at  DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
    deleted_at  DATETIME(3),
    KEY products_updated_at (updated_at, id)
);

CREATE TABLE IF NOT EXISTS orders (
    id           BIGINT AUTO_INCREMENT PRIMARY KEY,
    customer_id  BIGINT NOT NULL,
    product_id   INT NOT NULL,
    quantity     INT NOT NULL,
    total        DECIMAL(12,2) NOT NULL,
    status       VARCHAR(16) NOT NULL DEFAULT 'new',
    ordered_on   DATE NOT NULL,
    note         TEXT,
    updated_at   DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
    deleted_at   DATETIME(3),
    KEY orders_updated_at (updated_at, id)
);
