-- Release intelligence at volume (a year of history: ~2 million events, tens of thousands of
-- releases; pnpm bench:api): the timeline, release reports, the deployments chart and DORA read
-- what they need from indexes alone, and iso() costs what its expression costs.

-- iso() was declared immutable, but to_char() is only stable, so Postgres could not inline it and
-- ran it as a SQL function for every value (about three times the expression's cost; DORA and
-- the report format thousands). Declared stable, it is inlined. The text is the same.
create or replace function iso(t timestamptz) returns text
  language sql stable strict parallel safe
  as $$ select to_char(t at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') $$;

-- The commit time an event reported, as its payload has it (ingest wrote it as ISO 8601 UTC).
-- Postgres keeps it next to the payload, so DORA's lead time reads it from an index instead of
-- opening every production deployment's payload. Adding it rewrites the table once.
alter table event add column payload_scm_committed_at text
  generated always as (payload->>'scm_committed_at') stored;

-- Finished deployments of each board cell by time, with what reads of them need: the report's
-- adoption (completed, which version) and DORA (status, version, reported commit time).
create index event_cell_finished_idx on event (product_id, environment_id, occurred_at)
  include (status, version_id, payload_scm_committed_at)
  where kind = 'deployment' and outcome = 'applied' and status in ('completed', 'failed', 'aborted');

-- It answers every read event_deployment_idx served (the report's latest deployment of a cell
-- before a date), and no query reads started or pending events by cell: one index fewer to keep
-- up to date per recorded event.
drop index event_deployment_idx;

-- The deployments chart counts finished deployments by time and status, optionally of one product
-- or environment: the same index as before, now covering what the chart reads.
drop index event_terminal_time_idx;
create index event_terminal_time_idx on event (occurred_at)
  include (status, product_id, environment_id)
  where kind = 'deployment' and outcome = 'applied' and status in ('completed', 'failed', 'aborted');

-- DORA's lead time falls back on the version's commit or build start time for deployments that
-- reported none: thousands of look-ups by id per request, answered from this index alone.
create index version_commit_idx on version (id) include (scm_committed_at, build_started_at);

-- "New in this release": a product's versions first seen within a window of time.
create index version_first_seen_idx on version (product_id, first_seen_at);

-- The timeline of one product starts from that product's releases: read from the index alone.
drop index release_version_product_idx;
create index release_version_product_idx on release_version (product_id, release_id);
