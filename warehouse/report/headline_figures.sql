-- headline_figures: one row per publication × metric whose publisher stated a total
-- (marts.headline_figures), oldest first.
select publication_id, published_on, metric, stated_text, warehouse_sum, warehouse_sum_low,
       warehouse_sum_high, warehouse_countries, gap, countries_gap
from marts.headline_figures
where stated_text is not null
order by published_on, publication_id, metric
