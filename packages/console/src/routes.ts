/** Every page of the console: the router and the navigation both read this table. */
import type { RouteEntry } from './page.ts';
import { WorkloadsPage } from './pages/workloads-page.tsx';
import { WorkloadPage } from './pages/workload-page.tsx';
import { LabelsPage } from './pages/labels-page.tsx';
import { LabelGroupsPage } from './pages/label-groups-page.tsx';
import { IpListsPage } from './pages/ip-lists-page.tsx';
import { ServicesPage } from './pages/services-page.tsx';
import { PairingProfilesPage } from './pages/pairing-profiles-page.tsx';
import { EventsPage } from './pages/events-page.tsx';
import { RuleSetsPage } from './pages/rule-sets-page.tsx';
import { RuleSetPage } from './pages/rule-set-page.tsx';
import { ProvisionPage } from './pages/provision-page.tsx';
import { VersionsPage } from './pages/versions-page.tsx';
import { TrafficMapPage } from './pages/traffic-map-page.tsx';
import { ExplorerPage } from './pages/explorer-page.tsx';
import { UsersPage } from './pages/users-page.tsx';
import { UserPage } from './pages/user-page.tsx';

export const ROUTES: readonly RouteEntry[] = [
  { path: '/rule-sets', title: 'Rule sets', nav: 'Policy', component: RuleSetsPage },
  { path: '/rule-sets/:id', title: 'Rule set', component: RuleSetPage },
  { path: '/provision', title: 'Provision', nav: 'Policy', component: ProvisionPage },
  { path: '/versions', title: 'Policy versions', nav: 'Policy', component: VersionsPage },
  { path: '/workloads', title: 'Workloads', nav: 'Inventory', component: WorkloadsPage },
  { path: '/workloads/:id', title: 'Workload', component: WorkloadPage },
  { path: '/labels', title: 'Labels', nav: 'Inventory', component: LabelsPage },
  { path: '/label-groups', title: 'Label groups', nav: 'Inventory', component: LabelGroupsPage },
  { path: '/ip-lists', title: 'IP lists', nav: 'Inventory', component: IpListsPage },
  { path: '/services', title: 'Services', nav: 'Inventory', component: ServicesPage },
  { path: '/pairing-profiles', title: 'Pairing profiles', nav: 'Inventory', component: PairingProfilesPage },
  { path: '/traffic-map', title: 'Traffic map', nav: 'Visibility', component: TrafficMapPage },
  { path: '/explorer', title: 'Explorer', nav: 'Visibility', component: ExplorerPage },
  { path: '/events', title: 'Events', nav: 'Admin', component: EventsPage },
  { path: '/users', title: 'Users', nav: 'Admin', component: UsersPage },
  { path: '/users/:id', title: 'User', component: UserPage },
];
