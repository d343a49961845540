/**
 * Table types for Kysely. They mirror `migrations/`: a column added there is added here.
 * JSON documents are TEXT in both dialects; timestamps are the ISO strings the service
 * layer writes (compared as text, which orders correctly for one fixed format).
 * Booleans are INTEGER 0/1 in both dialects (better-sqlite3 cannot bind booleans).
 */
import type { Generated } from 'kysely';
import type { PolicyType } from '@palisade/core/href.ts';
import type { Role } from '@palisade/core/model/common.ts';
import type { ChangeType, DocType, EventRow, JobRow } from './store.ts';
import type { ConsoleSessionsTable } from './kysely-session-queries.ts';

/** An id the database assigns (SQLite AUTOINCREMENT, PostgreSQL identity). */
type AutoId = Generated<number>;

export interface OrgsTable {
  id: AutoId;
  name: string;
  created_at: string;
  psk: string;
  psk_previous: string | null;
  psk_generation: number;
  psk_rotation_started_at: string | null;
}

export interface CountersTable {
  org_id: number;
  name: string;
  value: number;
}

export interface UsersTable {
  id: AutoId;
  org_id: number;
  username: string;
  full_name: string;
  password_hash: string | null;
  role: Role;
  created_at: string;
}

export interface ApiKeysTable {
  key_id: string;
  org_id: number;
  user_id: number;
  name: string;
  description: string;
  role: Role;
  secret_hash: string;
  created_at: string;
}

export interface LabelsTable {
  org_id: number;
  id: number;
  key: string;
  value: string;
  /** Lower-cased value, for the partial-match filter (the same in both dialects). */
  value_lc: string;
  created_at: string;
  updated_at: string;
}

export interface WorkloadsTable {
  /** Insertion order: the stable order of listings and the join key of workload_labels. */
  seq: AutoId;
  org_id: number;
  id: string;
  data: string;
  /** JSON array of label ids, so reads need no join; workload_labels is for filtering. */
  label_ids: string;
  /** Lower-cased name and hostname from `data`, for the name filter. */
  name_lc: string;
  hostname_lc: string;
  /** 1 when `data.ven_id` is set. */
  managed: number;
  created_at: string;
  updated_at: string;
}

export interface WorkloadLabelsTable {
  workload_seq: number;
  org_id: number;
  label_id: number;
}

export interface DocsTable {
  seq: AutoId;
  org_id: number;
  type: DocType;
  id: string;
  data: string;
  created_at: string;
  updated_at: string;
}

export interface PolicyDraftTable {
  org_id: number;
  type: PolicyType;
  id: string;
  data: string | null;
  change: ChangeType | null;
  updated_at: string;
  updated_by: string | null;
}

export interface PolicyRevisionsTable {
  org_id: number;
  type: PolicyType;
  id: string;
  since_version: number;
  until_version: number | null;
  data: string;
}

export interface PolicyVersionsTable {
  org_id: number;
  version: number;
  commit_message: string;
  created_at: string;
  created_by: string | null;
  workloads_affected: number;
  changes: string;
}

export interface EventsTable {
  id: AutoId;
  org_id: number;
  timestamp: string;
  event_type: string;
  severity: EventRow['severity'];
  status: EventRow['status'];
  created_by: string;
  data: string;
}

export interface ActivationCodesTable {
  code_hash: string;
  org_id: number;
  pairing_profile_id: string;
  created_at: string;
  expires_at: string | null;
  uses_left: number | null;
}

export interface JobsTable {
  org_id: number;
  id: string;
  job_type: string;
  status: JobRow['status'];
  requested_at: string;
  terminated_at: string | null;
  datafile_id: string | null;
  message: string | null;
}

export interface DatafilesTable {
  org_id: number;
  id: string;
  content: string;
  created_at: string;
}

export interface Database {
  orgs: OrgsTable;
  counters: CountersTable;
  users: UsersTable;
  api_keys: ApiKeysTable;
  labels: LabelsTable;
  workloads: WorkloadsTable;
  workload_labels: WorkloadLabelsTable;
  docs: DocsTable;
  policy_draft: PolicyDraftTable;
  policy_revisions: PolicyRevisionsTable;
  policy_versions: PolicyVersionsTable;
  events: EventsTable;
  activation_codes: ActivationCodesTable;
  jobs: JobsTable;
  datafiles: DatafilesTable;
  /** Dropped by migration 005; only migrations 002 and 004 name it. */
  flows: FlowsTable;
  flow_endpoints: FlowEndpointsTable;
  flow_summaries: FlowSummariesTable;
  flow_label_sets: FlowLabelSetsTable;
  flow_label_set_labels: FlowLabelSetLabelsTable;
  flow_batches: FlowBatchesTable;
  flow_queries: FlowQueriesTable;
  console_sessions: ConsoleSessionsTable;
}

/** Epoch milliseconds; PostgreSQL's bigint arrives as a string. */
type Millis = number | string;

/** Before migration 005: one row per reported flow. */
export interface FlowsTable {
  id: Generated<number | string>;
  org_id: number;
  src_ip: string;
  dst_ip: string;
  src_workload: string | null;
  dst_workload: string | null;
  /** Label set ids (flow_label_sets) of each end at the time of the flow. */
  src_set: number | null;
  dst_set: number | null;
  proto: number;
  port: number | null;
  /** Codes: see kysely-flow-queries.ts. */
  direction: number;
  first_seen: Millis;
  last_seen: Millis;
  connections: number;
  bytes_in: Millis | null;
  bytes_out: Millis | null;
  reporter_workload: string | null;
  state: number;
  policy_decision: number;
  draft_policy_decision: number;
  /** The addresses as sortable bytes (migration 004, `ipKeyOf`): IP list and CIDR filters. */
  src_ipk: Buffer | null;
  dst_ipk: Buffer | null;
}

/** An (IP, workload) pair of flows, interned (migration 005). */
export interface FlowEndpointsTable {
  id: Generated<number | string>;
  org_id: number;
  ip: string;
  /** The address as sortable bytes (`ipKeyOf`): IP list and CIDR filters. */
  ipk: Buffer | null;
  /** The workload's id; '' for none. */
  workload: string;
  /** The last UTC day (days since the epoch) ingest used it: retention (migration 006). */
  last_day: Generated<number>;
}

/** A day's summary of a flow (migration 005); codes in kysely-flow-queries.ts. */
export interface FlowSummariesTable {
  org_id: number;
  /** UTC days since the epoch, of last_seen. */
  day: number;
  src_ep: number | string;
  dst_ep: number | string;
  /** Label set ids (flow_label_sets) of each end at the time of the flow; 0 for no workload. */
  src_set: number;
  dst_set: number;
  proto: number;
  /** -1 for protocols without ports. */
  port: number;
  direction: number;
  policy_decision: number;
  draft_policy_decision: number;
  state: number;
  first_seen: Millis;
  last_seen: Millis;
  connections: Millis;
  bytes_in: Millis | null;
  bytes_out: Millis | null;
  /** Reports merged into the row. */
  reports: number;
}

export interface FlowLabelSetsTable {
  org_id: number;
  id: number;
  /** Sorted label ids, comma-separated: the interning key. */
  label_ids: string;
}

export interface FlowLabelSetLabelsTable {
  org_id: number;
  label_id: number;
  set_id: number;
}

export interface FlowBatchesTable {
  org_id: number;
  batch_id: string;
  reporter_workload: string | null;
  received_at: Millis;
  flows: number;
  dropped: number;
}

export interface FlowQueriesTable {
  org_id: number;
  id: string;
  query: string;
  status: string;
  created_by: string;
  created_at: string;
  updated_at: string;
  flows_count: number | null;
  datafile_id: string | null;
  message: string | null;
}

