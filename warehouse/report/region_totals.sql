-- region_totals: one row per region × publication × metric where the publisher gave a regional
-- figure (marts.region_totals; the world total is in the headline table).
select region_name, publication_id, metric, publisher_qualifier, publisher_value, publisher_value_low,
       publisher_value_high, member_sum, member_sum_low, member_sum_high, countries_counted,
       members_total, gap
from marts.region_totals
where region_code <> 'WLD' and (publisher_value is not null or publisher_value_low is not null)
order by region_name, published_on, metric
