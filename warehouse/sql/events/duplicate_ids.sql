-- Event ids that appear more than once in a release: none of their rows is loaded.
SELECT id, count(*) AS copies FROM events_staged WHERE id IS NOT NULL GROUP BY id HAVING count(*) > 1;
