-- The lines to stage for a sibling delta (the release last loaded is a line delta against the same base):
-- the new release's inserted lines, and the base lines the last release had dropped or changed that the
-- new one keeps (they are new again to the current versions). Written one line per line, as read.
COPY (
    SELECT line FROM read_csv($inserted, header = false, auto_detect = false, delim = chr(1), quote = '',
                              escape = '', columns = {'line': 'VARCHAR'})
    WHERE line IS NOT NULL AND line <> ''
    UNION ALL
    SELECT line FROM read_csv($previous_removed, header = false, auto_detect = false, delim = chr(1), quote = '',
                              escape = '', columns = {'line': 'VARCHAR'})
    WHERE line IS NOT NULL AND line <> ''
      AND hash(line) NOT IN (SELECT hash(line) FROM read_csv($removed, header = false, auto_detect = false,
                                                             delim = chr(1), quote = '', escape = '',
                                                             columns = {'line': 'VARCHAR'})
                             WHERE line IS NOT NULL)
) TO $target (FORMAT csv, HEADER false, QUOTE '', ESCAPE '', DELIMITER chr(1));
