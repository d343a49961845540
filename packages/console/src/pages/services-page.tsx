/**
 * Services: named sets of ports and protocols (TCP/UDP/SCTP ports and ranges, ICMP types,
 * every protocol). The form checks what it can as you type; the API's messages appear under
 * the port row they name.
 */
import { useState } from 'preact/hooks';
import { ErrorList, FieldErrors, fieldErrors } from '../components/error-list.tsx';
import { SelectField, TextAreaField, TextField } from '../components/field.tsx';
import { Modal } from '../components/modal.tsx';
import type { PageProps } from '../page.ts';
import { apiToPortRows, ICMP, PORTED, portRowProblems, portRowsToApi, PROTOCOLS, servicePortText, type PortRow } from '../inventory/inventory-text.ts';
import { FormActions, ObjectListPage, useObjectSave, type ObjectFormProps } from '../inventory/object-list.tsx';
import type { Service } from '../inventory/types.ts';

const EMPTY_ROW: PortRow = { proto: '6', port: '', to_port: '', icmp_type: '', icmp_code: '' };

export function ServicesPage(_props: PageProps) {
  return (
    <ObjectListPage<Service>
      title="Services"
      subtitle="Ports and protocols that rules allow."
      type="services"
      what="service"
      testid="service"
      editRole="admin"
      form={ServiceForm}
      emptyNext="Create one such as HTTPS (TCP 443) or DNS (UDP 53, TCP 53)."
      columns={[
        { key: 'name', header: 'Name', render: (s) => s.name, sortValue: (s) => s.name },
        { key: 'ports', header: 'Ports and protocols', render: (s) => <span class="mono">{s.service_ports.map(servicePortText).join(', ')}</span> },
        { key: 'description', header: 'Description', render: (s) => s.description ?? '' },
      ]}
    />
  );
}

function ServiceForm(props: ObjectFormProps<Service>) {
  const ex = props.existing;
  const [name, setName] = useState(ex?.name ?? '');
  const [description, setDescription] = useState(ex?.description ?? '');
  const [rows, setRows] = useState<PortRow[]>(ex ? apiToPortRows(ex.service_ports) : [{ ...EMPTY_ROW }]);
  const [checked, setChecked] = useState(false);
  const { error, busy, save } = useObjectSave('services', 'service', ex, props.onSaved);
  const setRow = (i: number, patch: Partial<PortRow>): void => setRows((rs) => rs.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  const problems = rows.map(portRowProblems);
  const submit = (e: Event): void => {
    e.preventDefault();
    setChecked(true);
    if (problems.some((p) => Object.keys(p).length > 0)) return;
    void save({ name, description, service_ports: portRowsToApi(rows) });
  };
  const errs = (i: number, k: keyof PortRow): string[] => [...(checked && problems[i]?.[k] ? [problems[i]?.[k] ?? ''] : []), ...fieldErrors(error, `service_ports[${i}].${k}`)];
  return (
    <Modal title={ex ? `Edit ${ex.name}` : 'Create service'} onClose={props.onClose} testid="service-form" wide>
      <form onSubmit={submit} noValidate>
        <ErrorList error={error} exclude={['name', 'description', 'service_ports']} />
        <TextField label="Name" name="name" value={name} onInput={setName} required errors={fieldErrors(error, 'name')} testid="service-name" />
        <TextAreaField label="Description" name="description" value={description} onInput={setDescription} rows={2} errors={fieldErrors(error, 'description')} />
        <h3>Ports and protocols</h3>
        <FieldErrors messages={fieldErrors(error, 'service_ports', true)} />
        <div class="rows-editor" data-testid="service-ports">
          {rows.map((r, i) => {
            const proto = Number(r.proto);
            return (
              <div class="rows-editor-row" key={i} data-testid={`service-port-${i}`}>
                <SelectField label="Protocol" name={`proto_${i}`} value={r.proto} options={PROTOCOLS} onChange={(v) => setRow(i, { proto: v, ...(PORTED.has(Number(v)) ? { icmp_type: '', icmp_code: '' } : { port: '', to_port: '' }) })} errors={fieldErrors(error, `service_ports[${i}].proto`)} testid={`service-proto-${i}`} />
                {PORTED.has(proto) && (
                  <>
                    <TextField label="Port (empty: all)" name={`port_${i}`} value={r.port} onInput={(v) => setRow(i, { port: v })} errors={errs(i, 'port')} testid={`service-port-from-${i}`} />
                    <TextField label="To port (range)" name={`to_port_${i}`} value={r.to_port} onInput={(v) => setRow(i, { to_port: v })} errors={errs(i, 'to_port')} testid={`service-port-to-${i}`} />
                  </>
                )}
                {ICMP.has(proto) && (
                  <>
                    <TextField label="ICMP type (empty: all)" name={`icmp_type_${i}`} value={r.icmp_type} onInput={(v) => setRow(i, { icmp_type: v })} errors={errs(i, 'icmp_type')} testid={`service-icmp-type-${i}`} />
                    <TextField label="ICMP code" name={`icmp_code_${i}`} value={r.icmp_code} onInput={(v) => setRow(i, { icmp_code: v })} errors={errs(i, 'icmp_code')} testid={`service-icmp-code-${i}`} />
                  </>
                )}
                <button type="button" class="icon-button" aria-label={`Remove port row ${i + 1}`} disabled={rows.length === 1} onClick={() => setRows((rs) => rs.filter((_, j) => j !== i))}>
                  ×
                </button>
              </div>
            );
          })}
          <div>
            <button type="button" class="button" data-testid="add-service-port" onClick={() => setRows((rs) => [...rs, { ...EMPTY_ROW }])}>
              Add port or protocol
            </button>
          </div>
        </div>
        <FormActions onClose={props.onClose} busy={busy} creating={!ex} testid="service" />
      </form>
    </Modal>
  );
}
