# Palisade plan 1000000000000004 (full): replaces the Palisade firewall and IPsec rules. Rendered by @palisade/render; do not edit.
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
New-NetFirewallRule -Group $Group -Name 'Palisade-0001' -DisplayName 'Palisade PCE' -Direction Outbound -Action Allow -Profile Any -RemoteAddress '192.0.2.1' -Protocol TCP -RemotePort '8443' | Out-Null

# deny rules (Windows: a block rule wins over any allow rule)
New-NetFirewallRule -Group $Group -Name 'Palisade-0002' -DisplayName 'Palisade /orgs/1/sec_policy/active/rule_sets/2/deny_rules/4' -Direction Inbound -Action Block -Profile Any -RemoteAddress '203.0.113.128/25' -Protocol Any | Out-Null

# allow rules (SecureConnect entries: IPsec required)
New-NetFirewallRule -Group $Group -Name 'Palisade-0003' -DisplayName 'Palisade /orgs/1/sec_policy/active/rule_sets/1/sec_rules/1' -Direction Inbound -Action Allow -Profile Any -RemoteAddress @('192.0.2.20', '192.0.2.21', '192.0.2.32/28') -Protocol TCP -LocalPort '443' | Out-Null
New-NetFirewallRule -Group $Group -Name 'Palisade-0004' -DisplayName 'Palisade /orgs/1/sec_policy/active/rule_sets/1/sec_rules/2' -Direction Inbound -Action Allow -Profile Any -RemoteAddress '203.0.113.7' -Protocol TCP -LocalPort '22' | Out-Null
New-NetFirewallRule -Group $Group -Name 'Palisade-0005' -DisplayName 'Palisade /orgs/1/sec_policy/active/rule_sets/1/sec_rules/3' -Direction Outbound -Action Allow -Profile Any -RemoteAddress '198.51.100.5' -Protocol TCP -RemotePort '5432' | Out-Null
