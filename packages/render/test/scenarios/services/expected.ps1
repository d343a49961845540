# Palisade plan 3000000000000001 (full): replaces the Palisade firewall and IPsec rules. Rendered by @palisade/render; do not edit.
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
New-NetFirewallRule -Group $Group -Name 'Palisade-0002' -DisplayName 'Palisade /orgs/1/sec_policy/active/rule_sets/4/sec_rules/9' -Direction Inbound -Action Allow -Profile Any -RemoteAddress @('192.0.2.40/29', '2001:db8:40::/64') -Protocol ICMPv4 -IcmpType '0' | Out-Null
New-NetFirewallRule -Group $Group -Name 'Palisade-0003' -DisplayName 'Palisade /orgs/1/sec_policy/active/rule_sets/4/sec_rules/9' -Direction Inbound -Action Allow -Profile Any -RemoteAddress @('192.0.2.40/29', '2001:db8:40::/64') -Protocol ICMPv4 -IcmpType '3:4' | Out-Null
New-NetFirewallRule -Group $Group -Name 'Palisade-0004' -DisplayName 'Palisade /orgs/1/sec_policy/active/rule_sets/4/sec_rules/9' -Direction Inbound -Action Allow -Profile Any -RemoteAddress @('192.0.2.40/29', '2001:db8:40::/64') -Protocol ICMPv4 -IcmpType '8' | Out-Null
New-NetFirewallRule -Group $Group -Name 'Palisade-0005' -DisplayName 'Palisade /orgs/1/sec_policy/active/rule_sets/4/sec_rules/9' -Direction Inbound -Action Allow -Profile Any -RemoteAddress @('192.0.2.40/29', '2001:db8:40::/64') -Protocol TCP -LocalPort '22' | Out-Null
New-NetFirewallRule -Group $Group -Name 'Palisade-0006' -DisplayName 'Palisade /orgs/1/sec_policy/active/rule_sets/4/sec_rules/9' -Direction Inbound -Action Allow -Profile Any -RemoteAddress @('192.0.2.40/29', '2001:db8:40::/64') -Protocol TCP -LocalPort '1000-2000' | Out-Null
New-NetFirewallRule -Group $Group -Name 'Palisade-0007' -DisplayName 'Palisade /orgs/1/sec_policy/active/rule_sets/4/sec_rules/9' -Direction Inbound -Action Allow -Profile Any -RemoteAddress @('192.0.2.40/29', '2001:db8:40::/64') -Protocol TCP -LocalPort '8443' | Out-Null
New-NetFirewallRule -Group $Group -Name 'Palisade-0008' -DisplayName 'Palisade /orgs/1/sec_policy/active/rule_sets/4/sec_rules/9' -Direction Inbound -Action Allow -Profile Any -RemoteAddress @('192.0.2.40/29', '2001:db8:40::/64') -Protocol UDP -LocalPort '53' | Out-Null
New-NetFirewallRule -Group $Group -Name 'Palisade-0009' -DisplayName 'Palisade /orgs/1/sec_policy/active/rule_sets/4/sec_rules/9' -Direction Inbound -Action Allow -Profile Any -RemoteAddress @('192.0.2.40/29', '2001:db8:40::/64') -Protocol UDP -LocalPort '5000-5100' | Out-Null
New-NetFirewallRule -Group $Group -Name 'Palisade-0010' -DisplayName 'Palisade /orgs/1/sec_policy/active/rule_sets/4/sec_rules/9' -Direction Inbound -Action Allow -Profile Any -RemoteAddress @('192.0.2.40/29', '2001:db8:40::/64') -Protocol 47 | Out-Null
New-NetFirewallRule -Group $Group -Name 'Palisade-0011' -DisplayName 'Palisade /orgs/1/sec_policy/active/rule_sets/4/sec_rules/9' -Direction Inbound -Action Allow -Profile Any -RemoteAddress @('192.0.2.40/29', '2001:db8:40::/64') -Protocol 50 | Out-Null
New-NetFirewallRule -Group $Group -Name 'Palisade-0012' -DisplayName 'Palisade /orgs/1/sec_policy/active/rule_sets/4/sec_rules/9' -Direction Inbound -Action Allow -Profile Any -RemoteAddress @('192.0.2.40/29', '2001:db8:40::/64') -Protocol ICMPv6 -IcmpType '128' | Out-Null
New-NetFirewallRule -Group $Group -Name 'Palisade-0013' -DisplayName 'Palisade /orgs/1/sec_policy/active/rule_sets/4/sec_rules/9' -Direction Inbound -Action Allow -Profile Any -RemoteAddress @('192.0.2.40/29', '2001:db8:40::/64') -Protocol ICMPv6 -IcmpType '1:4' | Out-Null
New-NetFirewallRule -Group $Group -Name 'Palisade-0014' -DisplayName 'Palisade /orgs/1/sec_policy/active/rule_sets/4/sec_rules/9' -Direction Inbound -Action Allow -Profile Any -RemoteAddress @('192.0.2.40/29', '2001:db8:40::/64') -Protocol 132 | Out-Null
New-NetFirewallRule -Group $Group -Name 'Palisade-0015' -DisplayName 'Palisade /orgs/1/sec_policy/active/rule_sets/4/sec_rules/10' -Direction Inbound -Action Allow -Profile Any -RemoteAddress @('192.0.2.50', '2001:db8::50') -Protocol Any | Out-Null
New-NetFirewallRule -Group $Group -Name 'Palisade-0016' -DisplayName 'Palisade /orgs/1/sec_policy/active/rule_sets/4/sec_rules/11' -Direction Inbound -Action Allow -Profile Any -RemoteAddress @('192.0.2.50', '2001:db8::50') -Protocol UDP | Out-Null
New-NetFirewallRule -Group $Group -Name 'Palisade-0017' -DisplayName 'Palisade /orgs/1/sec_policy/active/rule_sets/4/sec_rules/11' -Direction Inbound -Action Allow -Profile Any -RemoteAddress @('192.0.2.50', '2001:db8::50') -Protocol ICMPv4 | Out-Null
New-NetFirewallRule -Group $Group -Name 'Palisade-0018' -DisplayName 'Palisade /orgs/1/sec_policy/active/rule_sets/4/sec_rules/12' -Direction Outbound -Action Allow -Profile Any -RemoteAddress @('192.0.2.50', '2001:db8::50') -Protocol TCP -RemotePort '0-1023' | Out-Null
New-NetFirewallRule -Group $Group -Name 'Palisade-0019' -DisplayName 'Palisade /orgs/1/sec_policy/active/rule_sets/4/sec_rules/12' -Direction Outbound -Action Allow -Profile Any -RemoteAddress @('192.0.2.50', '2001:db8::50') -Protocol ICMPv6 | Out-Null
