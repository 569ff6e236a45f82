-- pending_figures: one row per figure still waiting for review (review_status 'pending',
-- e.g. claims machine-extracted from a news report) — kept out of every other mart until a
-- reviewer accepts it — beside the accepted figure of the same publication, area and metric
-- where there is one (main reading first, then the publication's own document, then
-- unflagged, then the latest reference date), so a reviewer sees at once whether it agrees.
with pending as (
    select * from core.pending_figures
),
accepted as (
    select * from core.accepted_readings
),
areas as (
    select country_iso3 as area_code, country_name as area_name from ref.countries
    union all
    select region_code, region_name from ref.regions
)
select p.source_id, p.publication_id, p.country_iso3 as area_code,
       coalesce(n.area_name, p.country_as_published) as area_name,
       p.area_kind, p.country_as_published, p.metric, p.variant,
       p.qualifier, p.value, p.value_low, p.value_high, p.share, p.share_of, p.countries_count,
       p.reference_date, p.published_on,
       a.qualifier as accepted_qualifier,
       a.value as accepted_value,
       a.value_low as accepted_value_low,
       a.value_high as accepted_value_high,
       a.source_id as accepted_source_id,
       case when a.source_id is null then null
            else p.value is not distinct from a.value
                 and p.value_low is not distinct from a.value_low
                 and p.value_high is not distinct from a.value_high end as agrees_with_accepted,
       p.is_secondary, p.document_url, p.page, p.quote, p.quote_kind, p.flag, p.note
from pending p
left join accepted a
  on a.publication_id = p.publication_id and a.country_iso3 = p.country_iso3
 and a.metric = p.metric and a.reading_rank = 1
left join areas n on n.area_code = p.country_iso3
order by p.publication_id, p.area_kind, p.country_iso3, p.metric, p.variant
