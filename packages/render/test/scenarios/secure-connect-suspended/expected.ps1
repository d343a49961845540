# Palisade plan b34010731427875b (full): replaces the Palisade firewall and IPsec rules. Rendered by @palisade/render; do not edit.
#Requires -Modules NetSecurity
$ErrorActionPreference = 'Stop'
$Group = 'Palisade'
# Only our own group: rules of other groups and IPsec configuration made by others stay (DESIGN §4 item 11).
Get-NetIPsecRule -Group $Group -ErrorAction SilentlyContinue | Remove-NetIPsecRule
Get-NetIPsecMainModeRule -Group $Group -ErrorAction SilentlyContinue | Remove-NetIPsecMainModeRule
Get-NetIPsecPhase1AuthSet -ErrorAction SilentlyContinue | Where-Object { $_.Name -like 'Palisade-*' } | Remove-NetIPsecPhase1AuthSet
Get-NetIPsecMainModeCryptoSet -ErrorAction SilentlyContinue | Where-Object { $_.Name -like 'Palisade-*' } | Remove-NetIPsecMainModeCryptoSet
Get-NetIPsecQuickModeCryptoSet -ErrorAction SilentlyContinue | Where-Object { $_.Name -like 'Palisade-*' } | Remove-NetIPsecQuickModeCryptoSet
Get-NetFirewallRule -Group $Group -ErrorAction SilentlyContinue | Remove-NetFirewallRule
Set-NetFirewallProfile -Profile Domain, Private, Public -Enabled True -DefaultInboundAction Block -DefaultOutboundAction Block

# always: the PCE
New-NetFirewallRule -Group $Group -Name 'Palisade-0001' -DisplayName 'Palisade PCE' -Direction Outbound -Action Allow -Profile Any -RemoteAddress @('192.0.2.1', '2001:db8::1') -Protocol TCP -RemotePort '8443' | Out-Null

# SecureConnect (DESIGN §4): IKE and ESP with every peer, whatever the rest of the policy says
New-NetFirewallRule -Group $Group -Name 'Palisade-0002' -DisplayName 'Palisade SecureConnect IKE' -Direction Inbound -Action Allow -Profile Any -RemoteAddress @('192.0.2.22', '2001:db8::22') -Protocol UDP -LocalPort @('500', '4500') | Out-Null
New-NetFirewallRule -Group $Group -Name 'Palisade-0003' -DisplayName 'Palisade SecureConnect ESP' -Direction Inbound -Action Allow -Profile Any -RemoteAddress @('192.0.2.22', '2001:db8::22') -Protocol 50 | Out-Null
New-NetFirewallRule -Group $Group -Name 'Palisade-0004' -DisplayName 'Palisade SecureConnect IKE' -Direction Outbound -Action Allow -Profile Any -RemoteAddress @('192.0.2.22', '2001:db8::22') -Protocol UDP -LocalPort @('500', '4500') | Out-Null
New-NetFirewallRule -Group $Group -Name 'Palisade-0005' -DisplayName 'Palisade SecureConnect ESP' -Direction Outbound -Action Allow -Profile Any -RemoteAddress @('192.0.2.22', '2001:db8::22') -Protocol 50 | Out-Null
# Phase 1 authentication: the org PSK or a machine certificate from the org CA
$p1 = @(New-NetIPsecAuthProposal -Machine -PreSharedKey (Get-Content -LiteralPath 'C:\ProgramData\Palisade\etc\ipsec.d\psk' -Raw).Trim())
$p1 += New-NetIPsecAuthProposal -Machine -PreSharedKey (Get-Content -LiteralPath 'C:\ProgramData\Palisade\etc\ipsec.d\psk.previous' -Raw).Trim()
New-NetIPsecPhase1AuthSet -Name 'Palisade-P1' -DisplayName 'Palisade phase 1' -Proposal $p1 | Out-Null
New-NetIPsecMainModeCryptoSet -Name 'Palisade-MM' -DisplayName 'Palisade main mode' -Proposal @((New-NetIPsecMainModeCryptoProposal -Encryption AES256 -Hash SHA256 -KeyExchange DH14), (New-NetIPsecMainModeCryptoProposal -Encryption AES128 -Hash SHA1 -KeyExchange DH14)) | Out-Null
New-NetIPsecQuickModeCryptoSet -Name 'Palisade-QM' -DisplayName 'Palisade quick mode' -Proposal @((New-NetIPsecQuickModeCryptoProposal -Encapsulation ESP -Encryption AESGCM256 -ESPHash AESGMAC256), (New-NetIPsecQuickModeCryptoProposal -Encapsulation ESP -Encryption AESGCM128 -ESPHash AESGMAC128)) | Out-Null
New-NetIPsecMainModeRule -Group $Group -Name 'Palisade-MM' -DisplayName 'Palisade main mode' -RemoteAddress @('192.0.2.22', '2001:db8::22') -MainModeCryptoSet 'Palisade-MM' -Phase1AuthSet 'Palisade-P1' | Out-Null
# One transport-mode rule per peer, all protocols: host to host, required both ways. A peer that
# cannot do IPsec gets one too: no SA can come up, so traffic with it is blocked (fail closed).
New-NetIPsecRule -Group $Group -Name 'Palisade-sc-wl-db2' -DisplayName 'Palisade SecureConnect db2' -Mode Transport -Protocol Any -RemoteAddress @('192.0.2.22', '2001:db8::22') -InboundSecurity Require -OutboundSecurity Require -KeyModule IKEv2 -Phase1AuthSet 'Palisade-P1' -QuickModeCryptoSet 'Palisade-QM' | Out-Null

# deny rules (Windows: a block rule wins over any allow rule)

# allow rules (SecureConnect entries: IPsec required)
New-NetFirewallRule -Group $Group -Name 'Palisade-0006' -DisplayName 'Palisade /orgs/1/sec_policy/active/rule_sets/1/sec_rules/1' -Direction Inbound -Action Allow -Profile Any -RemoteAddress @('192.0.2.21-192.0.2.22', '2001:db8::21-2001:db8::22') -Protocol TCP -LocalPort '5432' -Authentication Required -Encryption Required | Out-Null
New-NetFirewallRule -Group $Group -Name 'Palisade-0007' -DisplayName 'Palisade /orgs/1/sec_policy/active/rule_sets/1/sec_rules/2' -Direction Inbound -Action Allow -Profile Any -RemoteAddress @('192.0.2.30', '2001:db8::30') -Protocol TCP -LocalPort '5432' | Out-Null
New-NetFirewallRule -Group $Group -Name 'Palisade-0008' -DisplayName 'Palisade /orgs/1/sec_policy/active/rule_sets/1/sec_rules/1' -Direction Outbound -Action Allow -Profile Any -RemoteAddress @('192.0.2.21-192.0.2.22', '2001:db8::21-2001:db8::22') -Protocol TCP -RemotePort '5432' -Authentication Required -Encryption Required | Out-Null
