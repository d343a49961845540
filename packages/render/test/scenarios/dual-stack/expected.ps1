# Palisade plan 2000000000000001 (full): replaces the Palisade firewall and IPsec rules. Rendered by @palisade/render; do not edit.
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
New-NetFirewallRule -Group $Group -Name 'Palisade-0002' -DisplayName 'Palisade /orgs/1/sec_policy/active/rule_sets/3/sec_rules/5' -Direction Inbound -Action Allow -Profile Any -RemoteAddress @('192.0.2.0/27', '198.51.100.1-198.51.100.9', '2001:db8:1::/64', '2001:db8:2::5', '2001:db8:3::1-2001:db8:3::ff') -Protocol TCP -LocalPort '443' | Out-Null
New-NetFirewallRule -Group $Group -Name 'Palisade-0003' -DisplayName 'Palisade /orgs/1/sec_policy/active/rule_sets/3/sec_rules/5' -Direction Inbound -Action Allow -Profile Any -RemoteAddress @('192.0.2.0/27', '198.51.100.1-198.51.100.9', '2001:db8:1::/64', '2001:db8:2::5', '2001:db8:3::1-2001:db8:3::ff') -Protocol ICMPv6 -IcmpType '128' | Out-Null
New-NetFirewallRule -Group $Group -Name 'Palisade-0004' -DisplayName 'Palisade /orgs/1/sec_policy/active/rule_sets/3/sec_rules/5' -Direction Inbound -Action Allow -Profile Any -RemoteAddress @('192.0.2.0/27', '198.51.100.1-198.51.100.9', '2001:db8:1::/64', '2001:db8:2::5', '2001:db8:3::1-2001:db8:3::ff') -Protocol ICMPv4 -IcmpType '8' | Out-Null
New-NetFirewallRule -Group $Group -Name 'Palisade-0005' -DisplayName 'Palisade /orgs/1/sec_policy/active/rule_sets/3/sec_rules/6' -Direction Inbound -Action Allow -Profile Any -RemoteAddress '2001:db8:aa::/48' -Protocol TCP -LocalPort '22' | Out-Null
New-NetFirewallRule -Group $Group -Name 'Palisade-0006' -DisplayName 'Palisade /orgs/1/sec_policy/active/rule_sets/3/sec_rules/7' -Direction Outbound -Action Allow -Profile Any -RemoteAddress '203.0.113.0/24' -Protocol UDP -RemotePort '53' | Out-Null
New-NetFirewallRule -Group $Group -Name 'Palisade-0007' -DisplayName 'Palisade /orgs/1/sec_policy/active/rule_sets/3/sec_rules/8' -Direction Outbound -Action Allow -Profile Any -RemoteAddress '2001:db8:aa::/48' -Protocol TCP -RemotePort '80' | Out-Null
New-NetFirewallRule -Group $Group -Name 'Palisade-0008' -DisplayName 'Palisade /orgs/1/sec_policy/active/rule_sets/3/sec_rules/8' -Direction Outbound -Action Allow -Profile Any -RemoteAddress '2001:db8:aa::/48' -Protocol TCP -RemotePort '443' | Out-Null
