-- The deployment-event pipeline: catalog (products, environments, versions), the immutable event
-- log, one row per deployment of a version to an environment, and the board's current state.

create table product (
  id uuid primary key,                 -- derived from the name (contracts/ids.ts)
  name text not null unique,
  created_at timestamptz not null default now()
);

create table environment (
  id uuid primary key,
  name text not null unique,
  type text not null check (type in ('dev', 'test', 'staging', 'production')),
  -- null: ordered by type, then name
  display_order integer,
  created_at timestamptz not null default now()
);

create table version (
  id uuid primary key,
  product_id uuid not null references product (id),
  version text not null,
  -- claimed by the first event that names it and never overwritten (a version is immutable)
  scm_sha text,
  scm_repository text,
  scm_branch text,
  scm_committed_at timestamptz,
  build_number text,
  build_url text,
  source_system text,
  built_by text,
  built_by_email text,
  built_by_name text,
  build_status text,
  build_started_at timestamptz,
  build_completed_at timestamptz,
  -- own time of the build event that set build_status: a late, older event cannot overwrite it
  build_event_at timestamptz,
  extra_metadata jsonb,
  created_at timestamptz not null default now(),
  unique (product_id, version)
);

-- Every reported event, as received, forever: the audit trail. The primary key on the event id
-- is what makes processing idempotent: a redelivered or re-posted event inserts nothing.
create table event (
  id text primary key,
  stream_seq bigint not null,
  kind text not null check (kind in ('deployment', 'build')),
  product_id uuid not null references product (id),
  version_id uuid not null references version (id),
  environment_id uuid references environment (id),
  status text not null,
  occurred_at timestamptz not null,    -- the event's own time (contracts eventTime)
  received_at timestamptz not null,
  stored_at timestamptz not null default now(),
  -- applied | sha_conflict (names a version with another SHA than the one it was built from)
  outcome text not null,
  reporter text,
  payload jsonb not null
);
create index event_deployment_idx on event (product_id, environment_id, occurred_at desc)
  where kind = 'deployment';
create index event_version_idx on event (version_id, occurred_at desc);

create table deployment (
  id uuid primary key,                 -- derived from (product, version, environment)
  product_id uuid not null references product (id),
  version_id uuid not null references version (id),
  environment_id uuid not null references environment (id),
  status text not null check (status in ('pending', 'started', 'completed', 'failed', 'aborted')),
  started_at timestamptz,
  completed_at timestamptz,
  -- the newest event applied to this row, by (own time, status rank, stream sequence);
  -- see services/release/src/deployments.ts for the rule
  last_event_at timestamptz not null,
  last_event_seq bigint not null,
  last_event_id text not null,
  deployed_by text,
  deployed_by_email text,
  deployed_by_name text,
  source_system text,
  deploy_url text,
  build_url text,
  build_number text,
  invoke_id text,
  extra_metadata jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index deployment_cell_idx on deployment (product_id, environment_id, last_event_at desc);
create index deployment_success_idx on deployment (product_id, environment_id, last_event_at desc)
  where status = 'completed';
create index deployment_version_idx on deployment (version_id);
create index deployment_time_idx on deployment (last_event_at desc, id desc);

-- Versions of board cells and releases: every change takes the next value, so a client keeps
-- whichever copy of a cell has the highest rev, whatever order copies arrive in.
create sequence rev_seq;

-- The board: per product and environment, the newest deployment and the last successful one.
-- Recomputed from deployment rows (never incremented) in the transaction that changes them.
create table environment_state (
  product_id uuid not null references product (id),
  environment_id uuid not null references environment (id),
  current_id uuid not null references deployment (id),
  last_success_id uuid references deployment (id),
  rev bigint not null,
  updated_at timestamptz not null default now(),
  primary key (product_id, environment_id)
);

-- Messages that can never be processed, kept verbatim (bytes: they may not even be valid text).
create table dead_letter (
  id bigserial primary key,
  stream_seq bigint not null unique,
  subject text not null,
  data bytea not null,
  error text not null,
  deliveries integer not null,
  dead_at timestamptz not null default now()
);
