import { ROUTES } from './routes.ts';
import { matchPath, useLocation } from './router.ts';

// Skeleton shell (sign-in and layout come with the console work in progress).
export function App() {
  const loc = useLocation();
  for (const r of ROUTES) {
    const params = matchPath(r.path, loc.path);
    if (params) return <r.component params={params} query={loc.query} />;
  }
  return <p class="empty">No page here.</p>;
}
