-- Releases: one version per product that should reach production together, with their progress
-- (recomputed by the release service in the transaction that changes it) and their audit trail.

create table release (
  id uuid primary key,                        -- UUIDv7: time-ordered, so "newest first" is id order
  name text not null,
  description text,
  status text not null default 'draft'
    check (status in ('draft', 'in_progress', 'completed', 'cancelled')),
  extra_metadata jsonb not null default '{}',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  created_by text,
  -- the progress matrix and its summary, as computed by services/release/src/progress.ts
  progress jsonb not null default '{"environments":[],"rows":[],"production":{"reached":0,"total":0,"fraction":0,"all":false}}',
  versions_count integer not null default 0,
  production_fraction real not null default 0,
  all_in_production boolean not null default false,
  rev bigint not null default nextval('rev_seq')
);
create index release_status_idx on release (status, id desc);

create extension if not exists pg_trgm;
create index release_name_trgm_idx on release using gin (name gin_trgm_ops);

create table release_version (
  release_id uuid not null references release (id) on delete cascade,
  version_id uuid not null references version (id),
  product_id uuid not null references product (id),
  added_at timestamptz not null default now(),
  added_by text,
  primary key (release_id, version_id),
  -- the seed's rule: a release holds one version per product
  constraint release_version_one_per_product unique (release_id, product_id)
);
create index release_version_version_idx on release_version (version_id);
create index release_version_product_idx on release_version (product_id);

create table release_history (
  id bigserial primary key,
  release_id uuid not null references release (id) on delete cascade,
  at timestamptz not null default now(),
  actor text not null,
  action text not null
    check (action in ('created', 'edited', 'status_changed', 'version_added', 'version_removed')),
  changes jsonb not null default '{}'
);
create index release_history_release_idx on release_history (release_id, id);

-- Timestamps in API answers look the same whether JavaScript or SQL wrote them:
-- 2026-01-31T12:00:00.000Z
create function iso(t timestamptz) returns text
  language sql immutable strict parallel safe
  as $$ select to_char(t at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') $$;

-- The deployments list filtered by product or by environment, newest first.
create index deployment_product_time_idx on deployment (product_id, last_event_at desc, id desc);
create index deployment_environment_time_idx on deployment (environment_id, last_event_at desc, id desc);
create index version_product_idx on version (product_id, created_at desc, id desc);
