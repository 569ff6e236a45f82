-- Invented events in the UCDP GED yearly-release layout (49 columns, same order), for tests and the
-- benchmark only: never loaded by the main job, never in a mirror.
-- ged_release(n, seed, revision): events 1..n of release 0; revision 1 is the next release of the same
-- events: 1 % revised (deaths_civilians, best and high + 1), 0.1 % withdrawn, n / 1000 new events.
-- Every value is a hash of (seed, id, column), so a file is the same on every machine and thread count.
CREATE OR REPLACE MACRO ged_pick(seed, id, salt, m) AS (hash(seed, id, salt) % m)::INTEGER;
CREATE OR REPLACE MACRO ged_is_withdrawn(seed, id) AS hash(seed, id, 'revise') % 1000 = 1;
CREATE OR REPLACE MACRO ged_is_revised(seed, id) AS hash(seed, id, 'revise') % 100 = 0;

-- 30 countries in GED's naming (with Gleditsch-Ward codes) and a point inside each; slot c in 0..29.
CREATE OR REPLACE MACRO ged_country(c) AS ([
    {'gw': 652, 'country': 'Syria', 'region': 'Middle East', 'iso3': 'SYR', 'lat': 35.0, 'lon': 38.0},
    {'gw': 645, 'country': 'Iraq', 'region': 'Middle East', 'iso3': 'IRQ', 'lat': 33.0, 'lon': 44.0},
    {'gw': 700, 'country': 'Afghanistan', 'region': 'Asia', 'iso3': 'AFG', 'lat': 34.0, 'lon': 66.0},
    {'gw': 520, 'country': 'Somalia', 'region': 'Africa', 'iso3': 'SOM', 'lat': 5.0, 'lon': 46.0},
    {'gw': 475, 'country': 'Nigeria', 'region': 'Africa', 'iso3': 'NGA', 'lat': 9.0, 'lon': 8.0},
    {'gw': 678, 'country': 'Yemen (North Yemen)', 'region': 'Middle East', 'iso3': 'YEM', 'lat': 15.5, 'lon': 48.0},
    {'gw': 490, 'country': 'DR Congo (Zaire)', 'region': 'Africa', 'iso3': 'COD', 'lat': -3.0, 'lon': 23.0},
    {'gw': 365, 'country': 'Russia (Soviet Union)', 'region': 'Europe', 'iso3': 'RUS', 'lat': 43.3, 'lon': 45.7},
    {'gw': 770, 'country': 'Pakistan', 'region': 'Asia', 'iso3': 'PAK', 'lat': 30.0, 'lon': 70.0},
    {'gw': 750, 'country': 'India', 'region': 'Asia', 'iso3': 'IND', 'lat': 22.0, 'lon': 79.0},
    {'gw': 432, 'country': 'Mali', 'region': 'Africa', 'iso3': 'MLI', 'lat': 17.0, 'lon': -4.0},
    {'gw': 625, 'country': 'Sudan', 'region': 'Africa', 'iso3': 'SDN', 'lat': 15.0, 'lon': 30.0},
    {'gw': 530, 'country': 'Ethiopia', 'region': 'Africa', 'iso3': 'ETH', 'lat': 9.0, 'lon': 40.0},
    {'gw': 100, 'country': 'Colombia', 'region': 'Americas', 'iso3': 'COL', 'lat': 4.0, 'lon': -72.0},
    {'gw': 70, 'country': 'Mexico', 'region': 'Americas', 'iso3': 'MEX', 'lat': 23.0, 'lon': -102.0},
    {'gw': 840, 'country': 'Philippines', 'region': 'Asia', 'iso3': 'PHL', 'lat': 13.0, 'lon': 122.0},
    {'gw': 640, 'country': 'Turkey', 'region': 'Europe', 'iso3': 'TUR', 'lat': 39.0, 'lon': 35.0},
    {'gw': 616, 'country': 'Tunisia', 'region': 'Africa', 'iso3': 'TUN', 'lat': 34.0, 'lon': 9.0},
    {'gw': 220, 'country': 'France', 'region': 'Europe', 'iso3': 'FRA', 'lat': 46.0, 'lon': 2.0},
    {'gw': 211, 'country': 'Belgium', 'region': 'Europe', 'iso3': 'BEL', 'lat': 50.8, 'lon': 4.0},
    {'gw': 369, 'country': 'Ukraine', 'region': 'Europe', 'iso3': 'UKR', 'lat': 49.0, 'lon': 32.0},
    {'gw': 620, 'country': 'Libya', 'region': 'Africa', 'iso3': 'LBY', 'lat': 27.0, 'lon': 17.0},
    {'gw': 651, 'country': 'Egypt', 'region': 'Middle East', 'iso3': 'EGY', 'lat': 26.0, 'lon': 30.0},
    {'gw': 615, 'country': 'Algeria', 'region': 'Africa', 'iso3': 'DZA', 'lat': 28.0, 'lon': 3.0},
    {'gw': 471, 'country': 'Cameroon', 'region': 'Africa', 'iso3': 'CMR', 'lat': 6.0, 'lon': 12.0},
    {'gw': 439, 'country': 'Burkina Faso', 'region': 'Africa', 'iso3': 'BFA', 'lat': 12.0, 'lon': -1.5},
    {'gw': 436, 'country': 'Niger', 'region': 'Africa', 'iso3': 'NER', 'lat': 16.0, 'lon': 8.0},
    {'gw': 541, 'country': 'Mozambique', 'region': 'Africa', 'iso3': 'MOZ', 'lat': -18.0, 'lon': 35.0},
    {'gw': 775, 'country': 'Myanmar (Burma)', 'region': 'Asia', 'iso3': 'MMR', 'lat': 21.0, 'lon': 96.0},
    {'gw': 660, 'country': 'Lebanon', 'region': 'Middle East', 'iso3': 'LBN', 'lat': 33.8, 'lon': 35.8}
][c + 1]);

CREATE OR REPLACE MACRO ged_release(n, seed, revision) AS TABLE
WITH ids AS (
    SELECT i AS id FROM range(1, n + 1) AS r(i)
    WHERE revision = 0 OR NOT ged_is_withdrawn(seed, i)
    UNION ALL
    SELECT n + i AS id FROM range(1, n // 1000 + 1) AS r(i) WHERE revision = 1
), drawn AS (
    SELECT id,
           1989 + ged_pick(seed, id, 'year', 37) AS year,
           ged_country(ged_pick(seed, id, 'country', 30)) AS g,
           1 + ged_pick(seed, id, 'tov', 3) AS type_of_violence,
           200 + ged_pick(seed, id, 'conflict', 900) AS conflict,
           ged_pick(seed, id, 'da', 12) AS deaths_a,
           ged_pick(seed, id, 'db', 9) AS deaths_b,
           ged_pick(seed, id, 'dc', 7) + CASE WHEN revision = 1 AND ged_is_revised(seed, id) THEN 1 ELSE 0 END AS deaths_civilians,
           ged_pick(seed, id, 'du', 4) AS deaths_unknown,
           ged_pick(seed, id, 'low', 2) AS low_gap,
           ged_pick(seed, id, 'high', 6) AS high_gap,
           ged_pick(seed, id, 'day', 365) AS day,
           ged_pick(seed, id, 'lat', 20000) / 10000.0 - 1.0 AS dlat,
           ged_pick(seed, id, 'lon', 20000) / 10000.0 - 1.0 AS dlon
    FROM ids
)
SELECT d.id,
       d.g.iso3 || '-' || d.year || '-' || d.type_of_violence || '-' || d.conflict || '-' || d.id AS relid,
       d.year,
       (d.id % 5 <> 0)::INTEGER AS active_year,
       'Clear' AS code_status,
       d.type_of_violence,
       d.conflict AS conflict_dset_id, d.conflict AS conflict_new_id,
       d.g.country || ': Government' AS conflict_name,
       d.conflict + 10000 AS dyad_dset_id, d.conflict + 10000 AS dyad_new_id,
       'Government of ' || d.g.country || ' - IS' AS dyad_name,
       d.g.gw AS side_a_dset_id, d.g.gw AS side_a_new_id, 'Government of ' || d.g.country AS side_a,
       234 AS side_b_dset_id, 234 AS side_b_new_id, 'IS' AS side_b,
       1 + ged_pick(seed, d.id, 'nsrc', 6) AS number_of_sources,
       'Agence France Presse,' || d.year || '-01-15,"Clashes near town ' || d.id % 977 || ' leave dead"' AS source_article,
       'AFP' AS source_office,
       d.year || '-01-15' AS source_date,
       'Clashes near town ' || d.id % 977 || ', ' || d.g.country AS source_headline,
       'local sources' AS source_original,
       1 + ged_pick(seed, d.id, 'wprec', 7) AS where_prec,
       'Town ' || d.id % 977 AS where_coordinates,
       'Town ' || d.id % 977 || ' and its surroundings' AS where_description,
       'Province ' || d.id % 31 || ' ' || d.g.country AS adm_1,
       'District ' || d.id % 211 AS adm_2,
       round(d.g.lat + d.dlat, 4) AS latitude, round(d.g.lon + d.dlon, 4) AS longitude,
       'POINT (' || round(d.g.lon + d.dlon, 4) || ' ' || round(d.g.lat + d.dlat, 4) || ')' AS geom_wkt,
       100000 + d.id % 150000 AS priogrid_gid,
       d.g.country, d.g.gw AS country_id, d.g.region,
       1 + ged_pick(seed, d.id, 'clarity', 2) AS event_clarity,
       1 + ged_pick(seed, d.id, 'dprec', 5) AS date_prec,
       make_date(d.year, 1, 1) + d.day::INTEGER AS date_start,
       make_date(d.year, 1, 1) + (d.day + d.id % 3)::INTEGER AS date_end,
       d.deaths_a, d.deaths_b, d.deaths_civilians, d.deaths_unknown,
       d.deaths_a + d.deaths_b + d.deaths_civilians + d.deaths_unknown AS best,
       d.deaths_a + d.deaths_b + d.deaths_civilians + d.deaths_unknown + d.high_gap
           + CASE WHEN revision = 1 AND ged_is_revised(seed, d.id) THEN 1 ELSE 0 END AS high,
       greatest(d.deaths_a + d.deaths_b + d.deaths_civilians + d.deaths_unknown - d.low_gap, 0) AS low,
       d.g.gw::VARCHAR AS gwnoa,
       NULL::VARCHAR AS gwnob
FROM drawn AS d;
