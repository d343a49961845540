/**
 * IP lists: addresses, ranges and CIDRs (each may be an exclusion) and FQDNs. The API checks
 * every entry; its messages name the entry (`ip_ranges[2].from_ip`), so they appear under
 * the field at fault.
 */
import { useState } from 'preact/hooks';
import { ErrorList, FieldErrors, fieldErrors } from '../components/error-list.tsx';
import { CheckboxField, TextAreaField, TextField } from '../components/field.tsx';
import { Modal } from '../components/modal.tsx';
import type { PageProps } from '../page.ts';
import { ipRangeText } from '../inventory/inventory-text.ts';
import { FormActions, ObjectListPage, useObjectSave, type ObjectFormProps } from '../inventory/object-list.tsx';
import type { IpList } from '../inventory/types.ts';

interface RangeRow {
  from_ip: string;
  to_ip: string;
  exclusion: boolean;
}

export function IpListsPage(_props: PageProps) {
  return (
    <ObjectListPage<IpList>
      title="IP lists"
      subtitle="Addresses outside your workloads (networks, partners, the internet) for rules."
      type="ip_lists"
      what="IP list"
      testid="ip-list"
      editRole="admin"
      form={IpListForm}
      emptyNext="Create one with the addresses, CIDRs or domain names a rule should allow."
      columns={[
        { key: 'name', header: 'Name', render: (l) => l.name, sortValue: (l) => l.name },
        {
          key: 'ranges',
          header: 'Addresses',
          render: (l) => (
            <span class="mono">
              {l.ip_ranges.slice(0, 6).map(ipRangeText).join(', ')}
              {l.ip_ranges.length > 6 && ` and ${l.ip_ranges.length - 6} more`}
            </span>
          ),
        },
        { key: 'fqdns', header: 'FQDNs', render: (l) => <span class="mono">{l.fqdns.map((f) => f.fqdn).join(', ')}</span> },
        { key: 'description', header: 'Description', render: (l) => l.description ?? '' },
      ]}
    />
  );
}

function IpListForm(props: ObjectFormProps<IpList>) {
  const ex = props.existing;
  const [name, setName] = useState(ex?.name ?? '');
  const [description, setDescription] = useState(ex?.description ?? '');
  const [ranges, setRanges] = useState<RangeRow[]>(ex ? ex.ip_ranges.map((r) => ({ from_ip: r.from_ip, to_ip: r.to_ip ?? '', exclusion: r.exclusion ?? false })) : [{ from_ip: '', to_ip: '', exclusion: false }]);
  const [fqdns, setFqdns] = useState<string[]>(ex ? ex.fqdns.map((f) => f.fqdn) : []);
  const { error, busy, save } = useObjectSave('ip_lists', 'IP list', ex, props.onSaved);
  const setRange = (i: number, patch: Partial<RangeRow>): void => setRanges((rs) => rs.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  const submit = (e: Event): void => {
    e.preventDefault();
    // Blank rows are dropped; everything else goes to the API as typed (it judges).
    const kept = ranges.filter((r) => r.from_ip.trim() !== '' || r.to_ip.trim() !== '');
    setRanges(kept.length ? kept : [{ from_ip: '', to_ip: '', exclusion: false }]);
    const fq = fqdns.map((f) => f.trim()).filter((f) => f !== '');
    setFqdns(fq);
    void save({
      name,
      description,
      ip_ranges: kept.map((r) => ({ from_ip: r.from_ip.trim(), ...(r.to_ip.trim() ? { to_ip: r.to_ip.trim() } : {}), exclusion: r.exclusion })),
      fqdns: fq.map((fqdn) => ({ fqdn })),
    });
  };
  return (
    <Modal title={ex ? `Edit ${ex.name}` : 'Create IP list'} onClose={props.onClose} testid="ip-list-form" wide>
      <form onSubmit={submit} noValidate>
        <ErrorList error={error} exclude={['name', 'description', 'ip_ranges', 'fqdns']} />
        <TextField label="Name" name="name" value={name} onInput={setName} required errors={fieldErrors(error, 'name')} testid="ip-list-name" />
        <TextAreaField label="Description" name="description" value={description} onInput={setDescription} rows={2} errors={fieldErrors(error, 'description')} />
        <h3>Addresses</h3>
        <p class="field-hint">An address (10.0.0.5), a CIDR (10.0.0.0/8, 2001:db8::/32) or a range (from 10.0.0.1 to 10.0.0.9). Exclusions are taken out of the rest.</p>
        <FieldErrors messages={fieldErrors(error, 'ip_ranges', true)} />
        <div class="rows-editor" data-testid="ip-ranges">
          {ranges.map((r, i) => (
            <div class="rows-editor-row" key={i} data-testid={`ip-range-${i}`}>
              <TextField label={i === 0 ? 'From (address or CIDR)' : `From #${i + 1}`} name={`from_ip_${i}`} value={r.from_ip} onInput={(v) => setRange(i, { from_ip: v })} errors={fieldErrors(error, `ip_ranges[${i}].from_ip`)} testid={`ip-range-from-${i}`} />
              <TextField label="To (optional)" name={`to_ip_${i}`} value={r.to_ip} onInput={(v) => setRange(i, { to_ip: v })} errors={fieldErrors(error, `ip_ranges[${i}].to_ip`)} testid={`ip-range-to-${i}`} />
              <CheckboxField label="Exclusion" name={`exclusion_${i}`} checked={r.exclusion} onChange={(v) => setRange(i, { exclusion: v })} testid={`ip-range-exclusion-${i}`} />
              <button type="button" class="icon-button" aria-label={`Remove address row ${i + 1}`} onClick={() => setRanges((rs) => rs.filter((_, j) => j !== i))}>
                ×
              </button>
            </div>
          ))}
          <div>
            <button type="button" class="button" data-testid="add-ip-range" onClick={() => setRanges((rs) => [...rs, { from_ip: '', to_ip: '', exclusion: false }])}>
              Add address
            </button>
          </div>
        </div>
        <h3>FQDNs</h3>
        <div class="rows-editor" data-testid="fqdns">
          {fqdns.map((f, i) => (
            <div class="rows-editor-row" key={i}>
              <TextField label={`Domain name #${i + 1}`} name={`fqdn_${i}`} value={f} onInput={(v) => setFqdns((fs) => fs.map((x, j) => (j === i ? v : x)))} errors={fieldErrors(error, `fqdns[${i}]`)} testid={`fqdn-${i}`} placeholder="db.example.com or *.example.com" />
              <button type="button" class="icon-button" aria-label={`Remove domain name ${i + 1}`} onClick={() => setFqdns((fs) => fs.filter((_, j) => j !== i))}>
                ×
              </button>
            </div>
          ))}
          <div>
            <button type="button" class="button" data-testid="add-fqdn" onClick={() => setFqdns((fs) => [...fs, ''])}>
              Add domain name
            </button>
          </div>
        </div>
        <FormActions onClose={props.onClose} busy={busy} creating={!ex} testid="ip-list" />
      </form>
    </Modal>
  );
}
