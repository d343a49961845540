/**
 * Pure renderers from a `WorkloadPlan` to the files a host enforces (STYLE §2: compile,
 * don't script). They return text and run nothing. See README.md.
 */
export { renderNftables } from './nftables/nftables-renderer.ts';
export { renderSetDelta } from './nftables/nftables-set-delta.ts';
export type { NftRenderContext } from './nftables/nft-table.ts';
export { nftSetName, nftSetStem } from './nftables/nft-names.ts';
export {
  NFLOG_GROUP_BLOCKED,
  NFLOG_GROUP_POTENTIALLY_BLOCKED,
  logPrefix,
  parseLogPrefix,
  type LogDirection,
  type LogReason,
  type LoggedDecision,
  type ParsedLogPrefix,
} from './nftables/log-prefixes.ts';
export { renderSwanctl, connectionStem, ESP_PROPOSALS, IKE_PROPOSALS, SWANCTL_SECRETS_FILE } from './strongswan/swanctl-renderer.ts';
export type { SwanctlCertificate, SwanctlFiles, SwanctlRenderContext } from './strongswan/swanctl-renderer.ts';
export { renderStrongswanConf, CHARON_PLUGINS, SWANCTL_PLUGINS, type StrongswanConfOptions } from './strongswan/strongswan-conf.ts';
export { renderWindows } from './windows/windows-renderer.ts';
export type { WindowsRenderContext } from './windows/windows-renderer.ts';
export { SC_PEERS_STEM, SC_TCP_MSS, scPeersSetName } from './nftables/nft-secure-connect.ts';
