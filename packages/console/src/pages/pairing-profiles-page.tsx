/**
 * Pairing profiles: the labels, enforcement mode and visibility level a newly paired host
 * gets. An admin generates an activation code here and copies the exact commands that install
 * the VEN on a host and pair it with this PCE.
 */
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api/client.ts';
import { DataTable, type Column } from '../components/data-table.tsx';
import { EmptyState } from '../components/empty-state.tsx';
import { ErrorList, fieldErrors } from '../components/error-list.tsx';
import { CheckboxField, SelectField, TextField } from '../components/field.tsx';
import { LabelChips } from '../components/label-chips.tsx';
import { LabelPicker, useLabels } from '../components/label-picker.tsx';
import { Modal } from '../components/modal.tsx';
import { PageHeader } from '../components/page-header.tsx';
import { Loading } from '../components/progress.tsx';
import { notify } from '../components/toast.tsx';
import { CopyButton } from '../components/copy-button.tsx';
import { useFetch } from '../components/use-fetch.ts';
import type { PageProps } from '../page.ts';
import { useSession } from '../session.tsx';
import { activationCommands } from '../policy/activation-commands.ts';
import { ENFORCEMENT_MODES, modeName, VISIBILITY_LEVELS, visibilityName } from '../inventory/inventory-text.ts';
import '../policy/policy.css';

interface Profile {
  readonly href: string;
  readonly name: string;
  readonly description: string;
  readonly enabled: boolean;
  readonly labels: readonly { href: string }[];
  readonly enforcement_mode: string;
  readonly visibility_level: string;
  readonly key_lifespan: 'unlimited' | number;
  readonly allowed_uses_per_key: 'unlimited' | number;
}

const FINGERPRINT_KEY = 'palisade.pce-fingerprint';

function Command(props: { title: string; text: string; testid: string }) {
  return (
    <div>
      <h3>{props.title}</h3>
      <div class="command">
        <pre data-testid={props.testid}>{props.text}</pre>
        <CopyButton text={props.text} testid={`${props.testid}-copy`} />
      </div>
    </div>
  );
}

function ActivationPanel(props: { profile: Profile; code: string; onClose: () => void }) {
  const [pceUrl, setPceUrl] = useState(window.location.origin);
  const [fingerprint, setFingerprint] = useState(() => window.localStorage.getItem(FINGERPRINT_KEY) ?? '');
  useEffect(() => {
    // The PCE names its own certificate's fingerprint in /health; prefill it unless the
    // operator typed one (e.g. for a PCE reached through another name or a proxy).
    if (fingerprint !== '') return;
    void api
      .get<{ tls_fingerprint_sha256?: string | null }[]>('/api/v2/health')
      .then((h) => {
        const fp = h[0]?.tls_fingerprint_sha256;
        if (typeof fp === 'string') setFingerprint((cur) => (cur === '' ? fp : cur));
      })
      .catch(() => undefined);
  }, []);
  const cmds = activationCommands({ pceUrl, activationCode: props.code, fingerprint });
  return (
    <Modal title={`Activation code for ${props.profile.name}`} onClose={props.onClose} testid="activation" wide>
      <p>
        Activation code: <code data-testid="activation-code">{props.code}</code> (shown once; only its hash is kept). Hosts paired with it get this profile's labels, {modeName(props.profile.enforcement_mode).toLowerCase()} mode and visibility “{visibilityName(props.profile.visibility_level).toLowerCase()}”.
      </p>
      <TextField label="PCE URL the host reaches" name="pce_url" value={pceUrl} onInput={setPceUrl} testid="activation-pce-url" />
      {pceUrl.startsWith('https:') && (
        <TextField
          label="PCE certificate fingerprint (SHA-256)"
          name="fingerprint"
          value={fingerprint}
          placeholder="AB:CD:…"
          testid="activation-fingerprint"
          hint='Filled in from this PCE (also printed by "palisade pce start"). Leave empty to compute it on the host with the openssl line below (then compare it with the PCE).'
          onInput={(v) => {
            setFingerprint(v);
            window.localStorage.setItem(FINGERPRINT_KEY, v.trim());
          }}
        />
      )}
      <Command title="1. Install the VEN (Debian, as root)" text={cmds.install} testid="cmd-install" />
      {cmds.fingerprint !== undefined && <Command title="2. Read the PCE fingerprint" text={cmds.fingerprint} testid="cmd-fingerprint" />}
      <Command title={`${cmds.fingerprint ? 3 : 2}. Pair the host`} text={cmds.activate} testid="cmd-activate" />
      <Command title={`${cmds.fingerprint ? 4 : 3}. Start the agent`} text={cmds.run} testid="cmd-run" />
    </Modal>
  );
}

function CreateProfile(props: { onClose: () => void; onCreated: () => void }) {
  const { orgHref } = useSession();
  const [name, setName] = useState('');
  const [labels, setLabels] = useState<string[]>([]);
  const [mode, setMode] = useState('visibility_only');
  const [visibility, setVisibility] = useState('flow_summary');
  const [enabled, setEnabled] = useState(true);
  const [error, setError] = useState<unknown>();
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    try {
      await api.post(`${orgHref}/pairing_profiles`, { name, labels: labels.map((href) => ({ href })), enforcement_mode: mode, visibility_level: visibility, enabled });
      notify.success(`Pairing profile "${name}" created`);
      props.onCreated();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <Modal title="New pairing profile" onClose={props.onClose} testid="create-profile" wide>
      <form onSubmit={submit}>
        <ErrorList error={error} exclude={['name', 'labels']} />
        <TextField label="Name" name="name" value={name} onInput={setName} required autoFocus errors={fieldErrors(error, 'name')} testid="profile-name" />
        <fieldset class="field">
          <legend>Labels given to paired hosts</legend>
          <LabelPicker value={labels} onChange={setLabels} />
        </fieldset>
        <SelectField label="Enforcement mode" name="enforcement_mode" value={mode} onChange={setMode} options={ENFORCEMENT_MODES} testid="profile-mode" />
        <SelectField label="Visibility level" name="visibility_level" value={visibility} onChange={setVisibility} options={VISIBILITY_LEVELS} testid="profile-visibility" />
        <CheckboxField label="Enabled (can generate activation codes)" name="enabled" checked={enabled} onChange={setEnabled} />
        <div class="form-actions">
          <button type="button" class="button button-quiet" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" class="button button-primary" data-testid="create-profile-submit" disabled={name.trim() === ''}>
            Create profile
          </button>
        </div>
      </form>
    </Modal>
  );
}

export function PairingProfilesPage(_props: PageProps) {
  const { orgHref, can } = useSession();
  const isAdmin = can('admin');
  const { labels } = useLabels();
  const f = useFetch(() => api.list<Profile>(`${orgHref}/pairing_profiles`, { max_results: 500 }), [orgHref]);
  const [creating, setCreating] = useState(false);
  const [activation, setActivation] = useState<{ profile: Profile; code: string }>();
  const [busy, setBusy] = useState<string>();
  const byHref = new Map(labels.map((l) => [l.href, l]));
  const generate = async (p: Profile): Promise<void> => {
    setBusy(p.href);
    try {
      const { activation_code } = await api.post<{ activation_code: string }>(`${p.href}/pairing_key`, {});
      setActivation({ profile: p, code: activation_code });
    } catch (err) {
      notify.error(`Could not generate a code for "${p.name}"`, err);
    } finally {
      setBusy(undefined);
    }
  };
  const columns: Column<Profile>[] = [
    { key: 'name', header: 'Name', sortValue: (p) => p.name, render: (p) => p.name },
    { key: 'labels', header: 'Labels', render: (p) => <LabelChips labels={p.labels.flatMap((l) => byHref.get(l.href) ?? [])} /> },
    { key: 'mode', header: 'Enforcement', sortValue: (p) => p.enforcement_mode, render: (p) => modeName(p.enforcement_mode) },
    { key: 'vis', header: 'Visibility', sortValue: (p) => p.visibility_level, render: (p) => visibilityName(p.visibility_level) },
    { key: 'uses', header: 'Uses per code', render: (p) => String(p.allowed_uses_per_key) },
    { key: 'enabled', header: 'Enabled', render: (p) => <span class={`status ${p.enabled ? 'status-ok' : ''}`}>{p.enabled ? 'enabled' : 'disabled'}</span> },
    ...(isAdmin
      ? [
          {
            key: 'code',
            header: '',
            render: (p: Profile) => (
              <button type="button" class="button" disabled={!p.enabled || busy === p.href} data-testid={`generate-code-${p.name}`} onClick={() => generate(p)} title={p.enabled ? undefined : 'Enable the profile first'}>
                {busy === p.href ? 'Generating…' : 'Generate activation code'}
              </button>
            ),
          },
        ]
      : []),
  ];
  return (
    <section data-testid="pairing-profiles-page">
      <PageHeader title="Pairing profiles" subtitle="How a new host joins: its labels, enforcement mode and visibility level.">
        {isAdmin && (
          <button type="button" class="button button-primary" data-testid="new-profile" onClick={() => setCreating(true)}>
            New pairing profile
          </button>
        )}
      </PageHeader>
      <ErrorList error={f.error} />
      {f.loading && !f.data ? (
        <Loading what="pairing profiles" />
      ) : (
        <DataTable
          testid="profiles-table"
          caption="Pairing profiles"
          columns={columns}
          rows={f.data?.items ?? []}
          rowKey={(p) => p.href}
          empty={<EmptyState title="No pairing profile yet">{isAdmin ? 'Create a profile, then generate an activation code to pair hosts with it.' : 'An admin creates pairing profiles.'}</EmptyState>}
        />
      )}
      {creating && (
        <CreateProfile
          onClose={() => setCreating(false)}
          onCreated={() => {
            setCreating(false);
            f.reload();
          }}
        />
      )}
      {activation && <ActivationPanel profile={activation.profile} code={activation.code} onClose={() => setActivation(undefined)} />}
    </section>
  );
}
