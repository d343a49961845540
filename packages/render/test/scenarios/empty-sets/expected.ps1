# Palisade plan 5000000000000001 (selective): replaces the Palisade firewall and IPsec rules. Rendered by @palisade/render; do not edit.
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
Set-NetFirewallProfile -Profile Domain, Private, Public -Enabled True -DefaultInboundAction Allow -DefaultOutboundAction Allow

# always: the PCE
New-NetFirewallRule -Group $Group -Name 'Palisade-0001' -DisplayName 'Palisade PCE' -Direction Outbound -Action Allow -Profile Any -RemoteAddress '192.0.2.1' -Protocol TCP -RemotePort '8443' | Out-Null

# deny rules (Windows: a block rule wins over any allow rule)
# deny_inbound[0] /orgs/1/sec_policy/active/rule_sets/8/deny_rules/21: no peer addresses (yet), no rule

# allow rules (SecureConnect entries: IPsec required)
# inbound[0] /orgs/1/sec_policy/active/rule_sets/7/sec_rules/18: no peer addresses (yet), no rule
New-NetFirewallRule -Group $Group -Name 'Palisade-0002' -DisplayName 'Palisade /orgs/1/sec_policy/active/rule_sets/7/sec_rules/19' -Direction Inbound -Action Allow -Profile Any -RemoteAddress '203.0.113.16/28' -Protocol TCP -LocalPort '22' | Out-Null
# outbound[0] /orgs/1/sec_policy/active/rule_sets/7/sec_rules/20: no peer addresses (yet), no rule
