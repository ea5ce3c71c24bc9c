-- Runs once, when the mariadb container initialises its data directory, after MARIADB_DATABASE=shop
-- and MARIADB_USER=app exist: the replica database that the PostgreSQL → MariaDB sink writes, and
-- PROCESS, which the JDBC source needs to see open transactions (docs/design/jdbc-source.md).
CREATE DATABASE IF NOT EXISTS replica;
GRANT ALL PRIVILEGES ON replica.* TO 'app'@'%';
GRANT PROCESS ON *.* TO 'app'@'%';
