-- PostgreSQL's access log drops its foreign key for a delete trigger (see its migration);
-- SQLite checks the key in process, at no cost worth a table rebuild. Nothing to change.
SELECT 1;
