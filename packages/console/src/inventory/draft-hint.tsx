/** Policy objects (IP lists, services, label groups) change in the draft: say how they take effect. */
import { link } from '../router.ts';

export function DraftHint(props: { what: string }) {
  return (
    <p class="hint-draft" data-testid="draft-hint">
      Changes to {props.what} are saved in the draft policy; they reach workloads once provisioned on the <a href={link('/provision')}>Provision</a> page.
    </p>
  );
}

/** `/orgs/1/sec_policy/draft/ip_lists` */
export function draftPath(orgHref: string, type: 'ip_lists' | 'services' | 'label_groups'): string {
  return `${orgHref}/sec_policy/draft/${type}`;
}
