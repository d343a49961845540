/**
 * The Store port. One implementation over Kysely (`kysely-store.ts`) serves both dialects;
 * `sqlite/` and `postgres/` only open connections and supply the few dialect-specific
 * statements. The contract suite (`test/store-contract.test.ts`) runs against both, for real.
 *
 * Rows carry JSON documents as strings (`data`); the service layer parses them. Every
 * write happens inside `transaction`, so a failed request changes nothing.
 */
import type { PolicyType } from '@palisade/core/href.ts';
import type { Role } from '@palisade/core/model/common.ts';
import type { ConsoleSessionQueries } from './kysely-session-queries.ts';

export interface OrgRow {
  readonly id: number;
  readonly name: string;
  readonly created_at: string;
  /** The org's SecureConnect PSK (64 hex). Never leaves the PCE except to the org's agents. */
  readonly psk: string;
  /** During a rotation: the previous PSK, still accepted until the rotation completes. */
  readonly psk_previous: string | null;
  readonly psk_generation: number;
  readonly psk_rotation_started_at: string | null;
}

export interface UserRow {
  readonly org_id: number;
  readonly id: number;
  readonly username: string;
  readonly full_name: string;
  /** scrypt hash (`scrypt$N$salt$hash`), null when the user has no console password. */
  readonly password_hash: string | null;
  readonly role: Role;
  readonly created_at: string;
}

export interface ApiKeyRow {
  /** Public key id, globally unique (the Basic-auth username). */
  readonly key_id: string;
  readonly org_id: number;
  readonly user_id: number;
  readonly name: string;
  readonly description: string;
  readonly role: Role;
  /** sha256 of the secret (the secret is 256 random bits, so a fast hash is enough). */
  readonly secret_hash: string;
  readonly created_at: string;
}

export interface LabelRow {
  readonly org_id: number;
  readonly id: number;
  readonly key: string;
  readonly value: string;
  readonly created_at: string;
  readonly updated_at: string;
}

/** Generic org-scoped documents: label_dimensions, pairing_profiles, vens. */
export type DocType = 'label_dimensions' | 'pairing_profiles' | 'vens';

export interface DocRow {
  readonly org_id: number;
  readonly type: DocType;
  readonly id: string;
  readonly data: string;
  readonly created_at: string;
  readonly updated_at: string;
}

export interface WorkloadRow {
  readonly org_id: number;
  readonly id: string;
  /** JSON of the Workload (core/model/workloads.ts) without id. */
  readonly data: string;
  /** Label ids, kept in a join table for filtering and in-use checks. */
  readonly label_ids: readonly number[];
  readonly created_at: string;
  readonly updated_at: string;
}

export interface WorkloadQuery {
  /** Each inner list is OR-ed, the lists are AND-ed (Illumio's `labels=[[1,2],[3]]`). */
  readonly labelIds?: readonly (readonly number[])[];
  /** Substring match on name or hostname, case-insensitive. */
  readonly name?: string;
  /** Managed: the workload has a paired VEN (`ven_id` set in `data`). */
  readonly managed?: boolean;
  readonly limit?: number;
  readonly offset?: number;
}

export type ChangeType = 'create' | 'update' | 'delete';

export interface DraftRow {
  readonly org_id: number;
  readonly type: PolicyType;
  readonly id: string;
  /** JSON; null for an object deleted in the draft but still active. */
  readonly data: string | null;
  /** Null when the draft equals the active version. */
  readonly change: ChangeType | null;
  readonly updated_at: string;
  readonly updated_by: string | null;
}

export interface RevisionRow {
  readonly org_id: number;
  readonly type: PolicyType;
  readonly id: string;
  /** The object is part of every version v with since_version <= v < until_version. */
  readonly since_version: number;
  readonly until_version: number | null;
  readonly data: string;
}

export interface VersionRow {
  readonly org_id: number;
  readonly version: number;
  readonly commit_message: string;
  readonly created_at: string;
  readonly created_by: string | null;
  readonly workloads_affected: number;
  /** JSON array of {type, id, change}. */
  readonly changes: string;
}

export interface EventRow {
  readonly org_id: number;
  /** Assigned by the store. */
  readonly id: number;
  readonly timestamp: string;
  readonly event_type: string;
  readonly severity: 'info' | 'warning' | 'error';
  readonly status: 'success' | 'failure';
  /** JSON: who did it ({"api_key": …} or {"user": …} or {"agent": …}). */
  readonly created_by: string;
  /** JSON: resource_changes / notifications. */
  readonly data: string;
}

export interface EventQuery {
  readonly eventType?: string;
  /** Inclusive bounds on `timestamp` (ISO strings, compared as text). */
  readonly since?: string;
  readonly until?: string;
  readonly limit?: number;
}

export interface ActivationCodeRow {
  /** sha256 of the code. */
  readonly code_hash: string;
  readonly org_id: number;
  readonly pairing_profile_id: string;
  readonly created_at: string;
  readonly expires_at: string | null;
  /** Null for unlimited. */
  readonly uses_left: number | null;
}

export interface JobRow {
  readonly org_id: number;
  readonly id: string;
  readonly job_type: string;
  readonly status: 'pending' | 'running' | 'done' | 'failed';
  readonly requested_at: string;
  readonly terminated_at: string | null;
  readonly datafile_id: string | null;
  readonly message: string | null;
}

/** DESIGN §3: what the policy decides for a flow. */
export type FlowDecision = 'allowed' | 'potentially_blocked' | 'blocked' | 'unknown';
/** What the reporting host's firewall did. */
export type FlowState = 'allowed' | 'potentially_blocked' | 'blocked';
export type FlowDirection = 'inbound' | 'outbound';

/** One end of flows: an address and the workload that had it (null: none). */
export interface FlowEndpoint {
  readonly ip: string;
  readonly workload: string | null;
}

/**
 * A flow report, added into its day's summary (`addFlows`: the UTC day of `last_seen`).
 * Times are epoch milliseconds.
 */
export interface NewFlowRow {
  readonly org_id: number;
  /** Endpoint ids (`flowEndpointIds`). */
  readonly src_ep: number;
  readonly dst_ep: number;
  /** Label set ids (`labelSetIds`) of each end when the flow was reported; null for no workload. */
  readonly src_set: number | null;
  readonly dst_set: number | null;
  readonly proto: number;
  /** Null for protocols without ports (ICMP). */
  readonly port: number | null;
  readonly direction: FlowDirection;
  readonly first_seen: number;
  readonly last_seen: number;
  readonly connections: number;
  readonly bytes_in: number | null;
  readonly bytes_out: number | null;
  readonly state: FlowState;
  readonly policy_decision: FlowDecision;
  readonly draft_policy_decision: FlowDecision;
}

/** Flat sorted [from, to, from, to, …] address ranges per family (as `ipListRanges` answers). */
export interface FlowIpRanges {
  readonly v4: readonly number[];
  readonly v6: readonly bigint[];
}

/**
 * One endpoint condition: carries the label (at flow time), carries any of the labels (a
 * label group, expanded), is the workload, has the IP, or has an IP in the ranges (an IP
 * list or a CIDR).
 */
export type FlowEndpointTerm =
  | { readonly labelId: number }
  | { readonly anyLabel: readonly number[] }
  | { readonly workload: string }
  | { readonly ip: string }
  | { readonly ipRanges: FlowIpRanges };

export interface FlowSideFilter {
  /** OR of ANDs (Illumio's `include: [[a, b], [c]]`); empty: any endpoint. */
  readonly include: readonly (readonly FlowEndpointTerm[])[];
  /** Any match excludes. */
  readonly exclude: readonly FlowEndpointTerm[];
}

export interface FlowServiceTerm {
  readonly proto?: number;
  /** A port, or the first of a range up to `toPort`. */
  readonly port?: number;
  readonly toPort?: number;
}

export interface FlowQuery {
  readonly src?: FlowSideFilter;
  readonly dst?: FlowSideFilter;
  /** `or`: a flow matches when its source or its destination matches the includes (Illumio's `sources_destinations_query_op`); excludes always apply. */
  readonly sidesOp?: 'and' | 'or';
  readonly services?: { readonly include: readonly FlowServiceTerm[]; readonly exclude: readonly FlowServiceTerm[] };
  readonly decisions?: readonly FlowDecision[];
  /** Flows seen at some time in [since, until] (epoch ms): last_seen >= since, first_seen <= until. */
  readonly since?: number;
  readonly until?: number;
  /** Newest (last_seen) first, at most this many. */
  readonly limit: number;
}

/**
 * Flows aggregated per (src IP, dst IP, their workloads and label sets, protocol, port,
 * direction, policy decision), as Illumio's Explorer shows them: connections and bytes
 * summed, first and last seen over the group, `state` and `draft_policy_decision` the worst
 * seen (blocked over potentially blocked over allowed; unknown worst for the draft).
 */
export interface FlowSummaryRow extends Omit<NewFlowRow, 'org_id' | 'src_ep' | 'dst_ep'> {
  readonly src_ip: string;
  readonly dst_ip: string;
  readonly src_workload: string | null;
  readonly dst_workload: string | null;
  /** Flow reports in the group. */
  readonly flows: number;
}

export interface FlowBatchRow {
  readonly org_id: number;
  readonly batch_id: string;
  readonly reporter_workload: string | null;
  readonly received_at: number;
  readonly flows: number;
  readonly dropped: number;
}

export type FlowQueryStatus = 'queued' | 'working' | 'completed' | 'failed';

export interface FlowQueryRow {
  readonly org_id: number;
  readonly id: string;
  /** JSON of the request body as validated. */
  readonly query: string;
  readonly status: FlowQueryStatus;
  /** JSON: who asked ({"api_key": …}). */
  readonly created_by: string;
  readonly created_at: string;
  readonly updated_at: string;
  readonly flows_count: number | null;
  readonly datafile_id: string | null;
  readonly message: string | null;
}

export interface StoreTx extends ConsoleSessionQueries {
  /** Serialize policy writes of one org (PostgreSQL: row lock; SQLite: already serialized). */
  lockOrg(org: number): Promise<void>;
  /** Next value of a per-org counter (ids of labels, rules, versions, …). */
  nextId(org: number, counter: string): Promise<number>;

  insertOrg(row: Omit<OrgRow, 'id'>): Promise<number>;
  getOrg(id: number): Promise<OrgRow | undefined>;
  listOrgs(): Promise<OrgRow[]>;
  updateOrgPsk(id: number, psk: Pick<OrgRow, 'psk' | 'psk_previous' | 'psk_generation' | 'psk_rotation_started_at'>): Promise<void>;

  insertUser(row: Omit<UserRow, 'id'>): Promise<number>;
  getUser(org: number, id: number): Promise<UserRow | undefined>;
  getUserByUsername(username: string): Promise<UserRow | undefined>;
  listUsers(org: number): Promise<UserRow[]>;

  insertApiKey(row: ApiKeyRow): Promise<void>;
  getApiKey(keyId: string): Promise<ApiKeyRow | undefined>;
  listApiKeys(org: number, userId: number): Promise<ApiKeyRow[]>;
  /** False when there was no such key in that org. */
  deleteApiKey(org: number, keyId: string): Promise<boolean>;

  insertLabel(row: LabelRow): Promise<void>;
  getLabel(org: number, id: number): Promise<LabelRow | undefined>;
  getLabels(org: number, ids: readonly number[]): Promise<LabelRow[]>;
  findLabel(org: number, key: string, value: string): Promise<LabelRow | undefined>;
  /** `key` matches exactly, `value` is a case-insensitive substring (Illumio's partial match); ordered by id. */
  listLabels(org: number, q: { key?: string; value?: string; limit?: number; offset?: number }): Promise<{ rows: LabelRow[]; total: number }>;
  updateLabel(org: number, id: number, value: string, updatedAt: string): Promise<void>;
  deleteLabel(org: number, id: number): Promise<void>;
  /** Number of workloads carrying the label. */
  countWorkloadsWithLabel(org: number, labelId: number): Promise<number>;

  insertDoc(row: DocRow): Promise<void>;
  getDoc(org: number, type: DocType, id: string): Promise<DocRow | undefined>;
  listDocs(org: number, type: DocType): Promise<DocRow[]>;
  updateDoc(org: number, type: DocType, id: string, data: string, updatedAt: string): Promise<void>;
  deleteDoc(org: number, type: DocType, id: string): Promise<void>;
  /** Documents of any type whose JSON mentions `"<href>"` (exact, quote-bounded). */
  docsReferencing(org: number, href: string): Promise<DocRow[]>;

  insertWorkload(row: WorkloadRow): Promise<void>;
  getWorkload(org: number, id: string): Promise<WorkloadRow | undefined>;
  /** The workloads among `ids` that exist (any order; unknown ids are left out). */
  getWorkloads(org: number, ids: readonly string[]): Promise<WorkloadRow[]>;
  /** In creation order; `total` counts every match, ignoring limit and offset. */
  listWorkloads(org: number, q: WorkloadQuery): Promise<{ rows: WorkloadRow[]; total: number }>;
  /** Every workload of the org (policy validation, compute). */
  allWorkloads(org: number): Promise<WorkloadRow[]>;
  updateWorkload(row: WorkloadRow): Promise<void>;
  deleteWorkload(org: number, id: string): Promise<void>;

  getDraft(org: number, type: PolicyType, id: string): Promise<DraftRow | undefined>;
  /** Draft rows of a type that are not deleted (data not null). */
  listDraft(org: number, type: PolicyType): Promise<DraftRow[]>;
  putDraft(row: DraftRow): Promise<void>;
  /** putDraft for many rows in few statements (provisioning updates thousands at once). */
  putDrafts(rows: readonly DraftRow[]): Promise<void>;
  deleteDraftRow(org: number, type: PolicyType, id: string): Promise<void>;
  /** Rows with a pending change. */
  listPending(org: number): Promise<DraftRow[]>;
  /** Non-deleted draft rows whose JSON mentions `"<href>"`. */
  draftReferencing(org: number, href: string): Promise<DraftRow[]>;

  /** The revision of an object that is part of `version`. */
  getRevision(org: number, type: PolicyType, id: string, version: number): Promise<RevisionRow | undefined>;
  listRevisions(org: number, type: PolicyType, version: number): Promise<RevisionRow[]>;
  /** Revisions in `version` whose JSON mentions `"<href>"`. */
  revisionsReferencing(org: number, href: string, version: number): Promise<RevisionRow[]>;
  insertRevision(row: RevisionRow): Promise<void>;
  /** Ends the open revision of an object at `version` (sets until_version). */
  closeRevision(org: number, type: PolicyType, id: string, version: number): Promise<void>;
  /** insertRevision for many rows in few statements (one round trip per few hundred rows). */
  insertRevisions(rows: readonly RevisionRow[]): Promise<void>;
  /** closeRevision for many objects in few statements. */
  closeRevisions(org: number, objects: readonly { readonly type: PolicyType; readonly id: string }[], version: number): Promise<void>;

  latestVersion(org: number): Promise<number>;
  insertVersion(row: VersionRow): Promise<void>;
  getVersion(org: number, version: number): Promise<VersionRow | undefined>;
  /** Newest first. */
  listVersions(org: number, q: { limit?: number }): Promise<{ rows: VersionRow[]; total: number }>;

  insertEvent(row: Omit<EventRow, 'id'>): Promise<number>;
  /** Newest first; `total` counts every match, ignoring limit. */
  listEvents(org: number, q: EventQuery): Promise<{ rows: EventRow[]; total: number }>;
  getEvent(org: number, id: number): Promise<EventRow | undefined>;

  insertActivationCode(row: ActivationCodeRow): Promise<void>;
  getActivationCode(codeHash: string): Promise<ActivationCodeRow | undefined>;
  setActivationCodeUses(codeHash: string, usesLeft: number | null): Promise<void>;

  insertJob(row: JobRow): Promise<void>;
  updateJob(org: number, id: string, patch: Partial<Pick<JobRow, 'status' | 'terminated_at' | 'datafile_id' | 'message'>>): Promise<void>;
  getJob(org: number, id: string): Promise<JobRow | undefined>;
  insertDatafile(org: number, id: string, content: string, createdAt: string): Promise<void>;
  getDatafile(org: number, id: string): Promise<string | undefined>;

  /** Records an agent batch; false when that batch id was recorded before (a resend: store nothing). */
  recordFlowBatch(row: FlowBatchRow): Promise<boolean>;
  /** The id of each label set (sorted, deduplicated label ids), interned on first use. */
  labelSetIds(org: number, sets: readonly (readonly number[])[]): Promise<number[]>;
  /** The label ids of label sets. */
  labelSets(org: number, ids: readonly number[]): Promise<Map<number, number[]>>;
  /**
   * The id of each flow endpoint, interned on first use, and used on `day` (UTC days since the
   * epoch): its last day of use is raised to it, so retention keeps it (`deleteFlowEndpointsBefore`).
   */
  flowEndpointIds(org: number, endpoints: readonly FlowEndpoint[], day: number): Promise<number[]>;
  /** Adds flow reports into their daily summaries, in few statements (ingest adds thousands at once). */
  addFlows(rows: readonly NewFlowRow[]): Promise<void>;
  /** The matching flows aggregated (`FlowSummaryRow`), newest group (last seen) first, at most `q.limit` groups. */
  queryFlowSummaries(org: number, q: FlowQuery): Promise<FlowSummaryRow[]>;
  /** Stored daily flow summaries. */
  countFlows(org: number): Promise<number>;
  /**
   * Retention: deletes at most `limit` daily summaries last seen before `cutoff` (epoch ms),
   * and the batch ids received before it; answers the summaries deleted (fewer than `limit`:
   * none is left).
   */
  deleteFlowsBefore(org: number, cutoff: number, limit: number): Promise<number>;
  /**
   * Retention: deletes at most `limit` flow endpoints last used before `day` (UTC days since
   * the epoch); answers how many (fewer than `limit`: none is left).
   */
  deleteFlowEndpointsBefore(org: number, day: number, limit: number): Promise<number>;

  /**
   * A value that changes whenever the draft policy, the workloads or the labels of the org
   * change (counts and newest update times): the key of a cached draft policy engine.
   */
  draftStamp(org: number): Promise<string>;

  insertFlowQuery(row: FlowQueryRow): Promise<void>;
  updateFlowQuery(org: number, id: string, patch: Partial<Pick<FlowQueryRow, 'status' | 'updated_at' | 'flows_count' | 'datafile_id' | 'message'>>): Promise<void>;
  getFlowQuery(org: number, id: string): Promise<FlowQueryRow | undefined>;
  /** Newest first. */
  listFlowQueries(org: number): Promise<FlowQueryRow[]>;
}

export interface Store {
  readonly dialect: 'sqlite' | 'postgres';
  /** Runs `fn` in one transaction; it commits when `fn` resolves and rolls back when it throws. */
  transaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T>;
  /** Runs `fn` for reading (a transaction too, for a consistent view). */
  read<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T>;
  /**
   * Records a flow batch and adds its flows (`recordFlowBatch` + `addFlows`) in one
   * transaction of its own; false, adding nothing, for a batch id recorded before. SQLite on
   * a file writes on a thread of its own (`sqlite/flow-writer.ts`), so ingest decides the
   * next batches while one is written.
   */
  addFlowBatch(batch: FlowBatchRow, rows: readonly NewFlowRow[]): Promise<boolean>;
  close(): Promise<void>;
}
