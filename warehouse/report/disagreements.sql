-- disagreements: one row per country × metric where the publications disagree or two readings of
-- one publication differ (marts.source_comparison), the most pressing first.
select country_name, metric, publications, values_by_publication, spread, disagreement,
       contemporary_disagreement, readings_differ
from marts.source_comparison
where disagreement or readings_differ
order by contemporary_disagreement desc, readings_differ desc, spread desc nulls last, country_name, metric
