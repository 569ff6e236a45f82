-- markdown_largest: the ten countries with the largest best "travelled" estimate, with their
-- best "returned" estimate beside it (marts.country_estimates), for the run's Prefect artifact.
select t.country_name, t.qualifier, t.value, t.value_low, t.value_high, t.best_publication_id,
       r.qualifier, r.value, r.value_low, r.value_high, r.best_publication_id
from marts.country_estimates t
left join marts.country_estimates r on r.country_iso3 = t.country_iso3 and r.metric = 'returned'
where t.metric = 'travelled'
order by coalesce(t.value, t.value_high, t.value_low) desc, t.country_iso3
limit 10
