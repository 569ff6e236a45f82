-- kpis: one row of headline counts for the top of the report.
select (select count(*) from marts.country_estimates where metric = 'travelled') as travelled_countries,
       (select count(*) from marts.country_estimates where metric = 'returned') as returned_countries,
       (select count(distinct publication_id) from marts.estimate_timeline) as publications,
       (select count(*) from core.figures where review_status = 'accepted') as accepted_figures,
       (select count(*) from marts.source_comparison where disagreement) as disagreements,
       (select count(*) from marts.pending_figures) as pending_claims,
       (select count(*) from marts.source_comparison where contemporary_disagreement) as contemporary_disagreements
