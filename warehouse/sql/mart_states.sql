-- One row per mart whose table exists: the input state it was last built from.
select b.mart, b.input_state
from meta.mart_builds b
join duckdb_tables() t on t.schema_name = 'marts' and t.table_name = b.mart
