# Palisade plan 4000000000000001 (full): replaces the Palisade firewall and IPsec rules. Rendered by @palisade/render; do not edit.
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
New-NetFirewallRule -Group $Group -Name 'Palisade-0002' -DisplayName 'Palisade /orgs/1/sec_policy/active/rule_sets/6/deny_rules/15' -Direction Inbound -Action Block -Profile Any -RemoteAddress @('192.0.2.66', '192.0.2.67', '2001:db8::66') -Protocol TCP -LocalPort '22' | Out-Null
New-NetFirewallRule -Group $Group -Name 'Palisade-0003' -DisplayName 'Palisade /orgs/1/sec_policy/active/rule_sets/6/deny_rules/15' -Direction Inbound -Action Block -Profile Any -RemoteAddress @('192.0.2.66', '192.0.2.67', '2001:db8::66') -Protocol TCP -LocalPort '3389' | Out-Null
New-NetFirewallRule -Group $Group -Name 'Palisade-0004' -DisplayName 'Palisade /orgs/1/sec_policy/active/rule_sets/6/deny_rules/16' -Direction Inbound -Action Block -Profile Any -RemoteAddress @('192.0.2.66', '192.0.2.67', '2001:db8::66') -Protocol ICMPv4 -IcmpType '8' | Out-Null
New-NetFirewallRule -Group $Group -Name 'Palisade-0005' -DisplayName 'Palisade /orgs/1/sec_policy/active/rule_sets/6/deny_rules/17' -Direction Outbound -Action Block -Profile Any -RemoteAddress '198.51.100.0/24' -Protocol TCP -RemotePort '25' | Out-Null

# allow rules (SecureConnect entries: IPsec required)
New-NetFirewallRule -Group $Group -Name 'Palisade-0006' -DisplayName 'Palisade /orgs/1/sec_policy/active/rule_sets/5/sec_rules/13' -Direction Inbound -Action Allow -Profile Any -RemoteAddress @('192.0.2.0/24', '2001:db8::/64') -Protocol Any | Out-Null
New-NetFirewallRule -Group $Group -Name 'Palisade-0007' -DisplayName 'Palisade /orgs/1/sec_policy/active/rule_sets/5/sec_rules/14' -Direction Outbound -Action Allow -Profile Any -RemoteAddress '198.51.100.0/24' -Protocol TCP -RemotePort '443' | Out-Null
