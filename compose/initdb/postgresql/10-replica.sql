-- Runs once, when the postgres container initialises its data directory (POSTGRES_DB=shop exists
-- already): the replica database that the MariaDB → PostgreSQL sink writes (it creates the tables,
-- auto.create=true). POSTGRES_USER=app owns both and, as their superuser, sees the open
-- transactions the JDBC source waits for (pg_read_all_stats is implied).
CREATE DATABASE replica OWNER app;
