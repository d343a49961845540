# Palisade plan 7000000000000001 (full): replaces the Palisade firewall and IPsec rules. Rendered by @palisade/render; do not edit.
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

# deny rules (Windows: a block rule wins over any allow rule)

# allow rules (SecureConnect entries: IPsec required)
New-NetFirewallRule -Group $Group -Name 'Palisade-0002' -DisplayName 'Palisade /orgs/1/sec_policy/active/rule_sets/10/sec_rules/25' -Direction Inbound -Action Allow -Profile Any -RemoteAddress @('192.0.2.80', '192.0.2.81', '2001:db8::80') -Protocol TCP -LocalPort '5432' -Authentication Required -Encryption Required | Out-Null
New-NetFirewallRule -Group $Group -Name 'Palisade-0003' -DisplayName 'Palisade /orgs/1/sec_policy/active/rule_sets/10/sec_rules/26' -Direction Outbound -Action Allow -Profile Any -RemoteAddress @('192.0.2.80', '192.0.2.81', '2001:db8::80') -Protocol Any -Authentication Required -Encryption Required | Out-Null
