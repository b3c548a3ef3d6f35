-- Release intelligence: releases Shiplog creates by itself, the seed's release fields (dates,
-- targeted environments, chart visibility), analyses attached to releases, and settings.

alter table release
  add column automatic boolean not null default false,
  -- the version an automatic release was created for: at most one automatic release per version
  add column detected_version_id uuid references version (id),
  add column release_date timestamptz,
  add column end_date timestamptz,
  -- targeted environments (ids); null targets all of them
  add column environments uuid[],
  add column visible_on_charts boolean not null default true,
  add column timeline_at timestamptz generated always as (coalesce(release_date, created_at)) stored;

create unique index release_detected_version_idx on release (detected_version_id) where automatic;
create index release_timeline_idx on release (timeline_at desc, id desc);

create table release_analysis (
  id uuid primary key,
  release_id uuid not null references release (id) on delete cascade,
  title text not null,
  url text not null,
  note text,
  created_at timestamptz not null default now(),
  created_by text
);
create index release_analysis_release_idx on release_analysis (release_id, created_at);

create table setting (
  key text primary key,
  value jsonb not null,
  updated_at timestamptz not null default now(),
  updated_by text
);

-- changes to settings are audited like changes to releases
create table setting_history (
  id bigserial primary key,
  key text not null,
  at timestamptz not null default now(),
  actor text not null,
  changes jsonb not null
);

-- DORA and charts read production deployment events by time
create index event_terminal_time_idx on event (occurred_at, product_id)
  where kind = 'deployment' and outcome = 'applied' and status in ('completed', 'failed', 'aborted');

-- When Shiplog first saw each product, environment and version: the earliest own time of any
-- event naming it (a late or backfilled event moves it back). "New in this release" reads it.
alter table product add column first_seen_at timestamptz;
alter table environment add column first_seen_at timestamptz;
alter table version add column first_seen_at timestamptz;
update product t set first_seen_at = coalesce((select min(occurred_at) from event where product_id = t.id), t.created_at);
update environment t set first_seen_at = coalesce((select min(occurred_at) from event where environment_id = t.id), t.created_at);
update version t set first_seen_at = coalesce((select min(occurred_at) from event where version_id = t.id), t.created_at);
alter table product alter column first_seen_at set not null, alter column first_seen_at set default now();
alter table environment alter column first_seen_at set not null, alter column first_seen_at set default now();
alter table version alter column first_seen_at set not null, alter column first_seen_at set default now();
