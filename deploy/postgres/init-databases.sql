-- One database per service (docker-compose.yml mounts this into /docker-entrypoint-initdb.d/).
-- It runs once, when the postgres volume is empty; the services' migrations create the tables.
CREATE DATABASE cpmo_programmes;
CREATE DATABASE cpmo_risks;
CREATE DATABASE cpmo_kpis;
CREATE DATABASE cpmo_reporting;
