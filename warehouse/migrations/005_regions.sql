-- Regions and their member countries (flows/reference/regions.csv, region_members.csv).
-- The warehouse carries its own copy: warehouse/regions.py reloads both tables from the
-- reference files before the marts are built, so marts never read files outside the warehouse.
CREATE TABLE ref.regions (
    region_code VARCHAR PRIMARY KEY,
    region_name VARCHAR NOT NULL,
    defined_by  VARCHAR NOT NULL,
    source_url  VARCHAR,
    note        VARCHAR,
    loaded_at   TIMESTAMPTZ NOT NULL
);
CREATE TABLE ref.region_members (
    region_code  VARCHAR NOT NULL,
    country_iso3 VARCHAR NOT NULL,
    member_from  DATE,
    member_to    DATE,
    note         VARCHAR,
    loaded_at    TIMESTAMPTZ NOT NULL
);
COMMENT ON TABLE ref.regions IS 'Regions publishers report totals for (EU, Maghreb, Western Europe, ...) and how the warehouse defines them; WLD (world) has no member list: every country belongs';
COMMENT ON COLUMN ref.regions.defined_by IS 'The definition used for the member list (treaty, UN M49 sub-region, or an approximation and why)';
COMMENT ON TABLE ref.region_members IS 'Member countries of each region with valid-time membership dates (e.g. EU accessions, the UK''s withdrawal)';
COMMENT ON COLUMN ref.region_members.member_from IS 'First day of membership; NULL = a member for as long as the data goes back';
COMMENT ON COLUMN ref.region_members.member_to IS 'Last day of membership; NULL = still a member';
