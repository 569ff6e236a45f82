-- publications: one row per publication with accepted figures (core.accepted_readings), oldest
-- first, for the report's short labels and colours.
select publication_id, min(publication_date) as published_on
from core.accepted_readings
group by publication_id
order by published_on, publication_id
