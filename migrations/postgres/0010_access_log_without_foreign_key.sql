-- The access log is the machine API's one write per request. A foreign key would look up,
-- and key-share lock, the key's row for every logged request; deleting a key (with its
-- application or workspace) deletes its log by a trigger instead: the same cascade, paid on
-- the rare delete rather than on every request.
ALTER TABLE key_access_log DROP CONSTRAINT key_access_log_v2_key_row_id_fkey;

CREATE FUNCTION key_access_log_follow_key() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM key_access_log WHERE key_row_id = OLD.id;
    RETURN OLD;
END
$$;

CREATE TRIGGER api_keys_take_their_log AFTER DELETE ON api_keys
    FOR EACH ROW EXECUTE FUNCTION key_access_log_follow_key();
