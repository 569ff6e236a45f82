-- country_disagreements: one row per country × metric that two or more publications give
-- (marts.source_comparison), flagged or not, for the country page.
select country_iso3, metric, publications, values_by_publication, spread,
       disagreement, contemporary_disagreement, readings_differ
from marts.source_comparison
order by country_iso3, metric
