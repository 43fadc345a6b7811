// The mage-int UI: Preact + htm as plain ES modules (no build step), talking to the JSON API of `mage-int ui`.
import { h, render } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import htm from 'htm';

const html = htm.bind(h);
const TOKEN = new URLSearchParams(location.search).get('token') ?? '';
const MASK = '********';

async function api(path, options = {}) {
  const response = await fetch(`/api/${path}`, {
    method: options.method ?? 'GET',
    headers: { 'x-mage-int-token': TOKEN, ...(options.body ? { 'content-type': 'application/json' } : {}) },
    body: options.body ? JSON.stringify(options.body) : undefined,
  });
  const body = await response.json();
  if (!response.ok) throw Object.assign(new Error(body.message), body);
  return body;
}

/**
 * A POST answered with server-sent events (fetch, since EventSource only GETs): `on(type, data)` for each event;
 * resolves when the server ends the stream.
 */
async function apiEvents(path, on) {
  const response = await fetch(`/api/${path}`, { method: 'POST', headers: { 'x-mage-int-token': TOKEN, accept: 'text/event-stream' } });
  if (!response.ok) {
    const body = await response.json();
    throw Object.assign(new Error(body.message), body);
  }
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const chunk = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const type = /^event: (.*)$/m.exec(chunk)?.[1];
      const data = /^data: (.*)$/m.exec(chunk)?.[1];
      if (type && data) on(type, JSON.parse(data));
    }
  }
}

/** How far a discovery has got, as a progress bar: `200 of 300 tables`, or a count when the source knows no total. */
function DiscoverBar({ progress, seconds }) {
  if (!progress) return html`<span class="spinner" aria-hidden="true"></span> Discovering the source's streams… ${seconds} s`;
  const { done, total, unit, current } = progress;
  const text = total !== undefined ? `${formatCount(done)} of ${formatCount(total)} ${unit}` : `${formatCount(done)} ${unit}`;
  return html`<span class="discover-progress">
    <label for="discover-bar">Discovering: ${text}</label>
    <progress id="discover-bar" max=${total || 1} value=${total !== undefined ? done : undefined} data-done=${done} data-total=${total}></progress>
    ${current ? html`<span class="muted">${current}</span>` : null} ${seconds !== undefined ? html`<span class="muted">${seconds} s</span>` : null}
  </span>`;
}

const PHASE_LABELS = { 'waiting-for-commit': 'waiting for commit', snapshot: 'snapshot', streaming: 'streaming (CDC)' };

/** A stream's phase as a badge: queued, reading, snapshot, waiting for commit, streaming (CDC), done, failed, stopped. */
function PhaseBadge({ phase }) {
  return html`<span class=${`badge badge-${phase}`} data-phase=${phase}>${PHASE_LABELS[phase] ?? phase}</span>`;
}

/** The phases a stream went through, each with how long it lasted: `reading 2.1 s → waiting for commit 0.3 s → done`. */
function PhaseTrail({ phases, end }) {
  if (!phases || phases.length === 0) return html`<span class="muted">–</span>`;
  return html`<span class="phase-trail">${phases.map((p, i) => {
    const next = phases[i + 1]?.at ?? end;
    const last = i === phases.length - 1;
    return html`${i > 0 ? ' → ' : ''}<span>${PHASE_LABELS[p.phase] ?? p.phase}${!last && next ? ` ${formatDuration(next - p.at)}` : ''}</span>`;
  })}</span>`;
}

const go = (hash) => {
  location.hash = hash;
};

function useRoute() {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const on = () => setHash(location.hash);
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
}

const formatCount = (n) => (n ?? 0).toLocaleString('en-US');
const formatDuration = (ms) =>
  ms === undefined || ms === null
    ? '–'
    : ms < 1000
      ? `${ms} ms`
      : ms < 60_000
        ? `${(ms / 1000).toFixed(1)} s`
        : `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
const formatTime = (iso) => (iso ? new Date(iso).toLocaleString() : '–');
const short = (value) => (value === undefined ? '–' : JSON.stringify(value));

function ErrorBox({ error }) {
  if (!error) return null;
  return html`<div class="error" role="alert">
    <strong>${error.message}</strong>${error.hint ? html`<div class="hint">hint: ${error.hint}</div>` : null}
  </div>`;
}

/** A run record's error as ErrorBox shows it (message, then hint). */
const recordError = (record) => (record?.error ? { message: record.error, ...record.errorDetail } : undefined);

function StatusBadge({ status }) {
  return html`<span class=${`badge badge-${status ?? 'none'}`}>${status ?? 'never run'}</span>`;
}

function Confirm({ label, question, confirmLabel, onConfirm, danger }) {
  const [asking, setAsking] = useState(false);
  const yes = useRef();
  useEffect(() => asking && yes.current?.focus(), [asking]);
  if (!asking) return html`<button type="button" class=${danger ? 'danger' : ''} onClick=${() => setAsking(true)}>${label}</button>`;
  return html`<span class="confirm" role="group" aria-label=${question}>
    <span>${question}</span>
    <button type="button" class="danger" ref=${yes} onClick=${() => {
      setAsking(false);
      onConfirm();
    }}>${confirmLabel}</button>
    <button type="button" onClick=${() => setAsking(false)}>Cancel</button>
  </span>`;
}

// ---------- Pipelines ----------

function PipelineList() {
  const [list, setList] = useState();
  const [error, setError] = useState();
  const [copying, setCopying] = useState();
  const [copyName, setCopyName] = useState('');
  const load = () => api('pipelines').then(setList, setError);
  useEffect(load, []);
  const duplicate = async (event) => {
    event.preventDefault();
    try {
      await api(`pipelines/${encodeURIComponent(copying)}/duplicate`, { method: 'POST', body: { to: copyName } });
      setCopying(undefined);
      setError(undefined);
      await load();
    } catch (e) {
      setError(e);
    }
  };
  return html`<section aria-labelledby="pipelines-title">
    <div class="title-row">
      <h1 id="pipelines-title">Pipelines</h1>
      <a class="button primary" href="#/new">New pipeline</a>
    </div>
    <${ErrorBox} error=${error} />
    ${
      list === undefined
        ? html`<p>Loading…</p>`
        : list.length === 0
          ? html`<p>No pipelines yet in <code>pipelines/</code>. Create one.</p>`
          : html`
    <table class="grid">
      <thead><tr><th scope="col">Pipeline</th><th scope="col">Source → destination</th><th scope="col">Last run</th><th scope="col" class="num">Rows</th><th scope="col" class="num">Duration</th><th scope="col">Actions</th></tr></thead>
      <tbody>
        ${list.map(
          (p) => html`<tr key=${p.name}>
          <th scope="row"><a href=${`#/p/${encodeURIComponent(p.name)}`}>${p.name}</a></th>
          <td>${p.error ? html`<span class="field-error">${p.error.message}</span>` : `${p.source} → ${p.destination}`}</td>
          <td>${p.running ? html`<a href=${`#/p/${encodeURIComponent(p.name)}/run`}><${StatusBadge} status="running" /></a>` : html`<${StatusBadge} status=${p.lastRun?.status} />`}</td>
          <td class="num">${p.lastRun ? formatCount(p.lastRun.rows) : '–'}</td>
          <td class="num">${formatDuration(p.lastRun?.elapsedMs)}</td>
          <td class="actions">
            ${
              copying === p.name
                ? html`<form class="inline" onSubmit=${duplicate}>
                  <label for="copy-name">Name of the copy</label>
                  <input id="copy-name" value=${copyName} onInput=${(e) => setCopyName(e.target.value)} required />
                  <button type="submit">Duplicate</button><button type="button" onClick=${() => setCopying(undefined)}>Cancel</button>
                </form>`
                : html`<button type="button" onClick=${() => {
                    setCopying(p.name);
                    setCopyName(`${p.name}-copy`);
                  }}>Duplicate…</button>`
            }
            <${Confirm} label="Delete…" question=${`Delete pipeline ${p.name}?`} confirmLabel="Delete" danger onConfirm=${() => api(`pipelines/${encodeURIComponent(p.name)}`, { method: 'DELETE' }).then(load, setError)} />
          </td>
        </tr>`,
        )}
      </tbody>
    </table>`
    }
  </section>`;
}

// ---------- Config form generated from a connector's spec.json ----------

function typeOf(property) {
  const types = Array.isArray(property.type) ? property.type.filter((t) => t !== 'null') : [property.type];
  return types[0] ?? 'string';
}

function ConfigField({ id, name, property, required, secret, value, onChange, error }) {
  const type = typeOf(property);
  const help = property.description ? `${id}-help` : undefined;
  const errorId = error ? `${id}-error` : undefined;
  const describedBy = [errorId, help].filter(Boolean).join(' ') || undefined;
  const common = { id, name, 'aria-describedby': describedBy, 'aria-invalid': error ? 'true' : undefined, required };
  const defaultText = property.default === undefined ? '' : `default ${JSON.stringify(property.default)}`;
  let input;
  if (type === 'boolean') {
    const checked = value === undefined ? property.default === true : value === true;
    input = html`<input type="checkbox" ...${common} required=${false} checked=${checked} onChange=${(e) => onChange(e.target.checked)} />`;
  } else if (Array.isArray(property.enum)) {
    input = html`<select ...${common} value=${value ?? ''} onChange=${(e) => onChange(e.target.value === '' ? undefined : e.target.value)}>
      <option value="">${property.default === undefined ? '(not set)' : `(default: ${property.default})`}</option>
      ${property.enum.map((option) => html`<option value=${option}>${String(option)}</option>`)}
    </select>`;
  } else if (type === 'integer' || type === 'number') {
    input = html`<input type="number" step=${type === 'integer' ? 1 : 'any'} min=${property.minimum} max=${property.maximum} placeholder=${defaultText} ...${common}
      value=${value ?? ''} onInput=${(e) => onChange(e.target.value === '' ? undefined : Number.isNaN(Number(e.target.value)) ? e.target.value : Number(e.target.value))} />`;
  } else if (type === 'object' || type === 'array') {
    input = html`<textarea ...${common} rows="3" placeholder=${defaultText || 'JSON'} value=${value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value)}
      onInput=${(e) => {
        const text = e.target.value;
        if (text === '') return onChange(undefined);
        try {
          onChange(JSON.parse(text));
        } catch {
          onChange(text);
        }
      }}></textarea>`;
  } else {
    input = html`<input type=${secret ? 'password' : 'text'} autocomplete=${secret ? 'new-password' : 'off'} placeholder=${secret ? 'value, or ${ENV_VAR}' : defaultText} ...${common}
      value=${value ?? ''} onFocus=${(e) => secret && e.target.value === MASK && e.target.select()} onInput=${(e) => onChange(e.target.value === '' ? undefined : e.target.value)} />`;
  }
  return html`<div class=${`field ${type === 'boolean' ? 'field-check' : ''} ${error ? 'has-error' : ''}`}>
    <label for=${id}>${property.title ?? name}${required ? html`<span class="required" aria-hidden="true"> *</span>` : null}${secret ? html`<span class="secret-tag"> (secret)</span>` : null}</label>
    ${input}
    ${error ? html`<p class="field-error" id=${errorId} role="alert">${error}</p>` : null}
    ${property.description ? html`<p class="help" id=${help}>${property.description}</p>` : null}
  </div>`;
}

function ConfigForm({ kind, connector, values, onChange, errors }) {
  if (!connector) return null;
  const spec = connector.spec ?? {};
  const required = new Set(spec.required ?? []);
  // Other names of a setting (deprecated ones, Mage's names: `x-alias-of`) and other tools' settings mage-int ignores are not fields.
  const properties = Object.entries(spec.properties ?? {}).filter(([, p]) => !p.deprecated && !p['x-alias-of'] && !p['x-ignored']);
  return html`<div class="config-form">
    ${spec.description ? html`<p class="help">${spec.description}</p>` : null}
    ${properties.map(
      ([
        name,
        property,
      ]) => html`<${ConfigField} key=${name} id=${`${kind}-${name}`} name=${name} property=${property} required=${required.has(name)}
      secret=${connector.secrets.includes(name)} value=${values[name]} error=${errors?.[name]}
      onChange=${(v) => {
        const next = { ...values };
        if (v === undefined) delete next[name];
        else next[name] = v;
        onChange(next);
      }} />`,
    )}
  </div>`;
}

/** The config key a check error names (`orders`, `ssl.mode` → `ssl`), or undefined. */
function fieldKey(error, connector) {
  const field = error?.field?.split(/[.[]/)[0];
  return field && connector?.spec?.properties?.[field] ? field : undefined;
}

function PipelineEditor({ name }) {
  const creating = name === undefined;
  const [connectors, setConnectors] = useState();
  const [draft, setDraft] = useState({ name: '', source: { name: '', config: {} }, destination: { name: '', config: {} } });
  const [error, setError] = useState();
  const [saved, setSaved] = useState('');
  const [check, setCheck] = useState();
  const [checking, setChecking] = useState(false);
  useEffect(() => {
    api('connectors').then(setConnectors, setError);
    if (!creating)
      api(`pipelines/${encodeURIComponent(name)}`).then(
        (p) => setDraft({ name: p.name, source: p.source, destination: p.destination }),
        setError,
      );
  }, [name]);
  if (!connectors) return html`<p>Loading…</p>`;
  const of = (kind) => connectors.filter((c) => c.kind === kind);
  const find = (kind) => connectors.find((c) => c.kind === kind && c.name === draft[kind].name);
  const errorsOf = (kind) => {
    const result = check?.[kind];
    const key = result && !result.ok ? fieldKey(result.error, find(kind)) : undefined;
    return key ? { [key]: result.error.message + (result.error.hint ? ` (hint: ${result.error.hint})` : '') } : {};
  };
  const endProblem = (kind) => {
    const result = check?.[kind];
    if (!result) return null;
    if (result.ok) return html`<p class="ok" role="status">✓ ${kind} connected${result.message ? `: ${result.message}` : ''}</p>`;
    return fieldKey(result.error, find(kind))
      ? html`<p class="field-error">${kind} check failed: see the field marked below</p>`
      : html`<${ErrorBox} error=${result.error} />`;
  };
  const body = () => ({ name: draft.name, source: draft.source, destination: draft.destination });
  const save = async (event) => {
    event.preventDefault();
    setError(undefined);
    setSaved('');
    try {
      if (creating) {
        await api('pipelines', { method: 'POST', body: body() });
        go(`#/p/${encodeURIComponent(draft.name)}`);
      } else {
        const p = await api(`pipelines/${encodeURIComponent(name)}`, { method: 'PUT', body: body() });
        setDraft({ name: p.name, source: p.source, destination: p.destination });
      }
      setSaved(`Saved pipelines/${draft.name}.yaml`);
    } catch (e) {
      setError(e);
    }
  };
  const test = async () => {
    setChecking(true);
    setCheck(undefined);
    setError(undefined);
    try {
      const result = await api(`pipelines/${encodeURIComponent(draft.name || 'draft')}/check`, { method: 'POST', body: body() });
      if (result.error) setError(result.error);
      setCheck(result);
    } catch (e) {
      setError(e);
    } finally {
      setChecking(false);
    }
  };
  const pickEnd = (kind) => html`<fieldset class="end">
    <legend>${kind === 'source' ? 'Source' : 'Destination'}</legend>
    <div class="field">
      <label for=${`${kind}-connector`}>${kind === 'source' ? 'Source connector' : 'Destination connector'}</label>
      <select id=${`${kind}-connector`} required value=${draft[kind].name} onChange=${(e) => setDraft({ ...draft, [kind]: { name: e.target.value, config: {} } })}>
        <option value="">Pick an installed ${kind}…</option>
        ${of(kind).map((c) => html`<option value=${c.name}>${c.name} (${c.packageName})</option>`)}
      </select>
    </div>
    ${endProblem(kind)}
    <${ConfigForm} kind=${kind} connector=${find(kind)} values=${draft[kind].config} errors=${errorsOf(kind)} onChange=${(config) => setDraft({ ...draft, [kind]: { ...draft[kind], config } })} />
  </fieldset>`;
  return html`<form class="editor" onSubmit=${save} aria-labelledby="editor-title">
    ${creating ? html`<h1 id="editor-title">New pipeline</h1>` : html`<h2 id="editor-title" class="visually-hidden">Configuration</h2>`}
    <${ErrorBox} error=${error && !error.field?.startsWith?.('source') && !error.field?.startsWith?.('destination') && error.field !== 'name' ? error : undefined} />
    ${
      creating
        ? html`<div class=${`field ${error?.field === 'name' ? 'has-error' : ''}`}>
      <label for="pipeline-name">Pipeline name</label>
      <input id="pipeline-name" required pattern="[A-Za-z0-9][A-Za-z0-9._\\-]*" aria-describedby="pipeline-name-help" value=${draft.name} onInput=${(e) => setDraft({ ...draft, name: e.target.value })} />
      ${error?.field === 'name' ? html`<p class="field-error" role="alert">${error.message}</p>` : null}
      <p class="help" id="pipeline-name-help">Saved as <code>pipelines/${draft.name || '<name>'}.yaml</code>; letters, digits, ".", "_" and "-".</p>
    </div>`
        : null
    }
    <div class="ends">${pickEnd('source')}${pickEnd('destination')}</div>
    <div class="buttons">
      <button type="submit" class="primary">${creating ? 'Create pipeline' : 'Save'}</button>
      <button type="button" onClick=${test} disabled=${checking || !draft.source.name || !draft.destination.name}>${checking ? 'Testing…' : 'Test connection'}</button>
      <span role="status" class="ok">${saved}${check?.ok ? ' Both ends connected.' : ''}</span>
    </div>
  </form>`;
}

// ---------- Streams ----------

const METHODS = ['FULL_TABLE', 'INCREMENTAL', 'LOG_BASED'];

/** The replication key INCREMENTAL starts with: the one chosen, else the source's first valid key, else an `updated_at`. */
function defaultKey(row, choice) {
  return choice?.replicationKey ?? row.validReplicationKeys[0] ?? row.fields.find((f) => f.name === 'updated_at')?.name;
}

/** The choice after picking a replication method. */
function withMethod(row, choice, method) {
  return { ...choice, replicationMethod: method, ...(method === 'INCREMENTAL' ? { replicationKey: defaultKey(row, choice) } : {}) };
}

function choiceOf(row) {
  return {
    selected: row.selected,
    replicationMethod: row.replicationMethod,
    replicationKey: row.replicationKey,
    keyProperties: row.keyProperties,
    fields: row.fields.filter((f) => f.selected).map((f) => f.name),
  };
}

function Streams({ name }) {
  const [rows, setRows] = useState();
  const [choices, setChoices] = useState({});
  const [changes, setChanges] = useState();
  const [error, setError] = useState();
  const [busy, setBusy] = useState(false);
  const [seconds, setSeconds] = useState(0);
  const [progress, setProgress] = useState();
  const [query, setQuery] = useState('');
  const [sort, setSort] = useState({ key: 'id', dir: 1 });
  const [bulkMethod, setBulkMethod] = useState('');
  const [status, setStatus] = useState('');
  const [open, setOpen] = useState(new Set());
  const apply = (result) => {
    setRows(result.discovered ? result.streams : undefined);
    setChoices(Object.fromEntries((result.streams ?? []).map((r) => [r.id, choiceOf(r)])));
  };
  useEffect(() => {
    api(`pipelines/${encodeURIComponent(name)}/streams`).then(apply, setError);
  }, [name]);
  useEffect(() => {
    if (!busy) return undefined;
    const started = Date.now();
    const timer = setInterval(() => setSeconds(Math.round((Date.now() - started) / 1000)), 500);
    return () => clearInterval(timer);
  }, [busy]);
  const discover = async () => {
    setBusy(true);
    setSeconds(0);
    setProgress(undefined);
    setError(undefined);
    setStatus('');
    try {
      let result;
      let failure;
      await apiEvents(`pipelines/${encodeURIComponent(name)}/discover`, (type, data) => {
        if (type === 'progress') setProgress(data);
        else if (type === 'result') result = data;
        else if (type === 'error') failure = data;
      });
      if (failure) throw Object.assign(new Error(failure.message), failure);
      apply(result);
      setChanges(result.changes);
      setStatus(`Discovered ${result.streams.length} streams.`);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const save = async () => {
    setError(undefined);
    try {
      apply(await api(`pipelines/${encodeURIComponent(name)}/streams`, { method: 'PUT', body: { streams: choices } }));
      setStatus(`Saved the stream choices to pipelines/${name}.yaml.`);
    } catch (e) {
      setError(e);
    }
  };
  const visible = useMemo(() => {
    if (!rows) return [];
    const q = query.trim().toLowerCase();
    const filtered = q ? rows.filter((r) => r.id.toLowerCase().includes(q)) : rows.slice();
    const value = (r) =>
      sort.key === 'id'
        ? r.id
        : sort.key === 'selected'
          ? String(!choices[r.id]?.selected)
          : sort.key === 'method'
            ? (choices[r.id]?.replicationMethod ?? '')
            : String(r.fields.length).padStart(6, '0');
    return filtered.sort((a, b) => value(a).localeCompare(value(b)) * sort.dir);
  }, [rows, query, sort, choices]);
  const update = (id, patch) => setChoices((all) => ({ ...all, [id]: { ...all[id], ...patch } }));
  const updateMany = (ids, patch) =>
    setChoices((all) => ({ ...all, ...Object.fromEntries(ids.map((id) => [id, { ...all[id], ...patch }])) }));
  const header = (key, label) => html`<th scope="col" aria-sort=${sort.key === key ? (sort.dir > 0 ? 'ascending' : 'descending') : 'none'}>
    <button type="button" class="sort" onClick=${() => setSort({ key, dir: sort.key === key ? -sort.dir : 1 })}>${label}${sort.key === key ? (sort.dir > 0 ? ' ▲' : ' ▼') : ''}</button>
  </th>`;
  const selectedCount = rows ? rows.filter((r) => choices[r.id]?.selected).length : 0;
  return html`<section aria-labelledby="streams-title">
    <h2 id="streams-title" class="visually-hidden">Streams</h2>
    <div class="buttons">
      <button type="button" class="primary" onClick=${discover} disabled=${busy}>${rows ? 'Discover again' : 'Discover'}</button>
      <span role="status" aria-live="polite">${busy ? html`<${DiscoverBar} progress=${progress} seconds=${seconds} />` : status}</span>
      ${!busy && progress?.total !== undefined ? html`<span class="muted" data-discovered=${progress.done}>(discovery: ${formatCount(progress.done)} of ${formatCount(progress.total)} ${progress.unit})</span>` : null}
    </div>
    <${ErrorBox} error=${error} />
    ${
      changes && (changes.addedStreams.length || changes.removedStreams.length || changes.columns.length)
        ? html`<div class="changes" role="region" aria-label="Changes since the last discovery">
      <strong>Changes since the last discovery</strong> (your choices are kept)
      <ul>
        ${changes.addedStreams.length ? html`<li>New streams: ${changes.addedStreams.join(', ')}</li>` : null}
        ${changes.removedStreams.length ? html`<li>Removed streams: ${changes.removedStreams.join(', ')}</li>` : null}
        ${changes.columns.map((c) => html`<li>${c.stream}: ${c.added.length ? `new columns ${c.added.join(', ')}` : ''}${c.added.length && c.removed.length ? '; ' : ''}${c.removed.length ? `removed columns ${c.removed.join(', ')}` : ''}</li>`)}
      </ul>
    </div>`
        : changes
          ? html`<p class="help">No changes since the last discovery.</p>`
          : null
    }
    ${
      rows === undefined
        ? html`<p>Not discovered yet: press Discover to list the source's streams.</p>`
        : html`
    <div class="toolbar">
      <div class="field inline"><label for="stream-search">Search streams</label><input id="stream-search" type="search" value=${query} onInput=${(e) => setQuery(e.target.value)} /></div>
      <button type="button" onClick=${() =>
        updateMany(
          rows.map((r) => r.id),
          { selected: true },
        )}>Select all</button>
      <button type="button" onClick=${() =>
        updateMany(
          rows.map((r) => r.id),
          { selected: false },
        )}>Select none</button>
      <button type="button" onClick=${() =>
        updateMany(
          visible.map((r) => r.id),
          { selected: true },
        )}>Select filtered</button>
      <button type="button" onClick=${() =>
        updateMany(
          visible.map((r) => r.id),
          { selected: false },
        )}>Deselect filtered</button>
      <div class="field inline"><label for="bulk-method">Replication of filtered</label>
        <select id="bulk-method" value=${bulkMethod} onChange=${(e) => setBulkMethod(e.target.value)}><option value="">choose…</option>${METHODS.map((m) => html`<option value=${m}>${m}</option>`)}</select>
        <button type="button" disabled=${!bulkMethod} onClick=${() => setChoices((all) => ({ ...all, ...Object.fromEntries(visible.filter((r) => r.methods.includes(bulkMethod)).map((r) => [r.id, withMethod(r, all[r.id], bulkMethod)])) }))}>Apply</button>
      </div>
    </div>
    <p class="help" aria-live="polite">${selectedCount} of ${rows.length} streams selected; showing ${visible.length}.</p>
    <table class="grid streams">
      <thead><tr>${header('selected', 'Sync')}${header('id', 'Stream')}${header('method', 'Replication')}<th scope="col">Replication key</th><th scope="col">Key properties</th>${header('fields', 'Fields')}</tr></thead>
      <tbody>
        ${visible.map((row) => {
          const choice = choices[row.id] ?? choiceOf(row);
          const fieldsOpen = open.has(row.id);
          return html`<tr key=${row.id} class=${choice.selected ? '' : 'deselected'}>
            <td><input type="checkbox" id=${`sync-${row.id}`} aria-label=${`Sync ${row.id}`} checked=${choice.selected} onChange=${(e) => update(row.id, { selected: e.target.checked })} /></td>
            <th scope="row"><label for=${`sync-${row.id}`}>${row.id}</label></th>
            <td><select aria-label=${`Replication method of ${row.id}`} value=${choice.replicationMethod} onChange=${(e) => setChoices((all) => ({ ...all, [row.id]: withMethod(row, all[row.id] ?? choice, e.target.value) }))}>
              ${row.methods.map((m) => html`<option value=${m}>${m}</option>`)}</select></td>
            <td>${
              choice.replicationMethod === 'INCREMENTAL'
                ? html`<select aria-label=${`Replication key of ${row.id}`} value=${choice.replicationKey ?? ''} onChange=${(e) => update(row.id, { replicationKey: e.target.value || undefined })}>
              <option value="">(none)</option>${(row.validReplicationKeys.length ? row.validReplicationKeys : row.fields.map((f) => f.name)).map((k) => html`<option value=${k}>${k}</option>`)}</select>`
                : html`<span class="muted">–</span>`
            }</td>
            <td><input aria-label=${`Key properties of ${row.id}`} value=${(choice.keyProperties ?? []).join(', ')} onChange=${(e) =>
              update(row.id, {
                keyProperties: e.target.value
                  .split(',')
                  .map((s) => s.trim())
                  .filter(Boolean),
              })} /></td>
            <td>
              <button type="button" aria-expanded=${fieldsOpen} onClick=${() =>
                setOpen((s) => {
                  const n = new Set(s);
                  n.has(row.id) ? n.delete(row.id) : n.add(row.id);
                  return n;
                })}>
                ${choice.fields?.length ?? row.fields.length}/${row.fields.length} fields
              </button>
              ${
                fieldsOpen
                  ? html`<fieldset class="fields"><legend class="visually-hidden">Fields of ${row.id}</legend>
                ${row.fields.map(
                  (
                    f,
                  ) => html`<label class="field-choice"><input type="checkbox" disabled=${f.automatic} checked=${f.automatic || choice.fields?.includes(f.name)}
                  onChange=${(e) => update(row.id, { fields: e.target.checked ? [...(choice.fields ?? []), f.name] : (choice.fields ?? []).filter((x) => x !== f.name) })} /> ${f.name}${f.automatic ? ' (key)' : ''}</label>`,
                )}
              </fieldset>`
                  : null
              }
            </td>
          </tr>`;
        })}
      </tbody>
    </table>
    <div class="buttons"><button type="button" class="primary" onClick=${save}>Save stream choices</button></div>`
    }
  </section>`;
}

// ---------- Run ----------

function useRunEvents(runId) {
  const [run, setRun] = useState();
  useEffect(() => {
    if (!runId) return undefined;
    const source = new EventSource(`/api/runs/${encodeURIComponent(runId)}/events?token=${encodeURIComponent(TOKEN)}`);
    source.addEventListener('snapshot', (e) => {
      const d = JSON.parse(e.data);
      setRun({
        record: d.record,
        streams: d.streams,
        committedStates: d.committedStates,
        log: d.log,
        discover: d.discover,
        onWorkers: d.onWorkers,
      });
    });
    source.addEventListener('progress', (e) => {
      const d = JSON.parse(e.data);
      setRun(
        (r) => r && { ...r, streams: d.streams, committedStates: d.committedStates, rates: nextRates(r.rates ?? {}, r.streams, d.streams) },
      );
    });
    source.addEventListener('discover', (e) => {
      const d = JSON.parse(e.data);
      setRun((r) => r && { ...r, discover: d.progress });
    });
    source.addEventListener('log', (e) => {
      const d = JSON.parse(e.data);
      setRun((r) => r && { ...r, log: [...r.log.slice(-499), d.line] });
    });
    source.addEventListener('end', (e) => {
      const d = JSON.parse(e.data);
      setRun((r) => r && { ...r, record: d.record });
      source.close();
    });
    source.onerror = () => source.close();
    return () => source.close();
  }, [runId]);
  return run;
}

const LEVELS = ['debug', 'info', 'warn', 'error'];

function LogTail({ lines, empty = 'no lines at this level' }) {
  const [level, setLevel] = useState('info');
  const shown = lines.filter((l) => LEVELS.indexOf(l.level) >= LEVELS.indexOf(level)).slice(-200);
  return html`<section class="log" aria-labelledby="log-title">
    <div class="title-row"><h3 id="log-title">Log</h3>
      <div class="field inline"><label for="log-level">Level</label>
        <select id="log-level" value=${level} onChange=${(e) => setLevel(e.target.value)}>${LEVELS.map((l) => html`<option value=${l}>${l} and above</option>`)}</select></div>
    </div>
    <pre tabindex="0" aria-label="Log lines">${shown.length === 0 ? empty : shown.map((l) => `${l.time.slice(11, 19)} ${l.level.toUpperCase().padEnd(5)} ${l.message}`).join('\n')}</pre>
  </section>`;
}

/** Per stream, the rows/s between consecutive progress events (the last 40), for the sparkline. */
function nextRates(rates, before, after) {
  const out = { ...rates };
  for (const s of after) {
    const was = before.find((b) => b.stream === s.stream);
    const dt = was ? s.elapsedMs - was.elapsedMs : 0;
    if (dt > 0) out[s.stream] = [...(out[s.stream] ?? []), ((s.rows - was.rows) * 1000) / dt].slice(-40);
  }
  return out;
}

function Sparkline({ values }) {
  if (!values || values.length < 2) return null;
  const max = Math.max(...values, 1);
  const points = values.map((v, i) => `${(i / (values.length - 1)) * 80},${20 - (v / max) * 18}`).join(' ');
  return html`<svg class="spark" width="80" height="20" viewBox="0 0 80 20" role="img" aria-label=${`rows per second over time, last ${formatCount(Math.round(values.at(-1)))}`}>
    <polyline points=${points} fill="none" stroke="currentColor" stroke-width="1.5" />
  </svg>`;
}

function RunStreams({ streams, running, rates }) {
  return html`<table class="grid">
    <caption class="visually-hidden">Streams of the run</caption>
    <thead><tr><th scope="col">Stream</th><th scope="col">Phase</th><th scope="col" class="num">Rows</th><th scope="col" class="num">Rows/s</th><th scope="col" class="num">Elapsed</th><th scope="col">Last committed state</th></tr></thead>
    <tbody>
      ${
        streams.length === 0
          ? html`<tr><td colspan="6">${running ? 'Starting…' : 'No records were synced.'}</td></tr>`
          : streams.map(
              (s) => html`<tr key=${s.stream} data-stream=${s.stream}>
        <th scope="row">${s.stream}</th><td><${PhaseBadge} phase=${s.phase ?? s.status} />${running && s.phaseSince && s.phase !== 'queued' ? html` <span class="muted since">${formatDuration(Math.max(0, Date.now() - s.phaseSince))}</span>` : null}</td>
        <td class="num" data-rows>${formatCount(s.rows)}</td><td class="num">${formatCount(s.rowsPerSecond)} <${Sparkline} values=${rates?.[s.stream]} /></td><td class="num">${formatDuration(s.elapsedMs)}</td>
        <td><code class="bookmark">${short(s.committed)}</code></td>
      </tr>`,
            )
      }
    </tbody>
  </table>`;
}

function Run({ name }) {
  const [runId, setRunId] = useState();
  const [error, setError] = useState();
  const [hasExecutor, setHasExecutor] = useState(false);
  const run = useRunEvents(runId);
  useEffect(() => {
    api(`pipelines/${encodeURIComponent(name)}`).then((p) => {
      setHasExecutor(p.executor === true);
      if (p.running) setRunId(p.running);
    }, setError);
  }, [name]);
  const running = ['running', 'waiting', 'cancelling'].includes(run?.record.status);
  const start = async (onWorkers) => {
    setError(undefined);
    try {
      setRunId(
        (await api(`pipelines/${encodeURIComponent(name)}/runs`, { method: 'POST', body: onWorkers ? { onWorkers: true } : {} })).runId,
      );
    } catch (e) {
      setError(e);
    }
  };
  const cancel = () => api(`runs/${encodeURIComponent(runId)}/cancel`, { method: 'POST' }).catch(setError);
  return html`<section aria-labelledby="run-title">
    <h2 id="run-title" class="visually-hidden">Run</h2>
    <div class="buttons">
      <button type="button" class="primary" onClick=${() => start(false)} disabled=${running}>Start run</button>
      ${hasExecutor ? html`<button type="button" onClick=${() => start(true)} disabled=${running}>Submit to workers</button>` : null}
      <button type="button" onClick=${cancel} disabled=${!running}>Cancel run</button>
      <span role="status" aria-live="polite">${run ? html`<${StatusBadge} status=${run.record.status} /> ${run.onWorkers || run.record.executor === 'bullmq' ? html`<span class="badge badge-workers">on workers</span> ` : null}${running ? (run.onWorkers || run.record.executor === 'bullmq' ? `${formatCount(run.streams.reduce((sum, x) => sum + x.rows, 0))} rows so far` : `${run.committedStates} commits so far`) : `${formatCount(run.record.rows)} rows, ${run.record.committedStates} commits`}` : 'Not running.'}</span>
    </div>
    <${ErrorBox} error=${error ?? recordError(run?.record)} />
    ${running && run.discover && run.streams.length === 0 ? html`<p><${DiscoverBar} progress=${run.discover} /></p>` : null}
    ${run ? html`<${RunStreams} streams=${run.streams} running=${running} rates=${run.rates} /><${LogTail} lines=${run.log} empty=${run.onWorkers || run.record.executor === 'bullmq' ? 'the log of a run on the workers is on the workers (mage-int worker prints it)' : undefined} />` : null}
  </section>`;
}

// ---------- History and state ----------

function History({ name }) {
  const [runs, setRuns] = useState();
  const [chosen, setChosen] = useState();
  const [error, setError] = useState();
  useEffect(() => {
    let timer;
    let first = true;
    // Runs still going (here or on the workers) are shown live: the list reloads every two seconds until all have ended.
    const load = () =>
      api(`pipelines/${encodeURIComponent(name)}/runs`).then((r) => {
        setRuns(r);
        if (first) setChosen(r[0]?.id);
        first = false;
        if (r.some((x) => ['waiting', 'running', 'cancelling'].includes(x.status))) timer = setTimeout(load, 2000);
      }, setError);
    void load();
    return () => clearTimeout(timer);
  }, [name]);
  const record = runs?.find((r) => r.id === chosen);
  return html`<section aria-labelledby="history-title">
    <h2 id="history-title" class="visually-hidden">History</h2>
    <${ErrorBox} error=${error} />
    ${
      runs === undefined
        ? html`<p>Loading…</p>`
        : runs.length === 0
          ? html`<p>No runs yet.</p>`
          : html`<div class="split">
      <table class="grid runs">
        <thead><tr><th scope="col">Started</th><th scope="col">Status</th><th scope="col" class="num">Rows</th><th scope="col" class="num">Duration</th></tr></thead>
        <tbody>${runs.map(
          (r) => html`<tr key=${r.id} class=${r.id === chosen ? 'current' : ''}>
          <th scope="row"><button type="button" class="link" aria-pressed=${r.id === chosen} onClick=${() => setChosen(r.id)}>${formatTime(r.startedAt ?? r.submittedAt)}</button></th>
          <td><${StatusBadge} status=${r.status} />${r.executor === 'bullmq' ? html` <span class="badge badge-workers">workers</span>` : null}</td><td class="num">${formatCount(r.rows)}</td>
          <td class="num">${formatDuration(r.finishedAt && r.startedAt ? r.finishedAt - r.startedAt : undefined)}</td></tr>`,
        )}</tbody>
      </table>
      ${
        record
          ? html`<article class="run-detail" aria-label="Run details">
        <h3>Run of ${formatTime(record.startedAt ?? record.submittedAt)} <${StatusBadge} status=${record.status} /></h3>
        ${record.executor === 'bullmq' ? html`<p class="help">On the workers (run ${record.id})${record.tasks?.length ? `: ${record.tasks.map((t) => `[${t.streams.join(', ')}] ${t.status}${t.worker ? ` on ${t.worker}` : ''}`).join('; ')}` : ''}.</p>` : null}
        <${ErrorBox} error=${recordError(record)} />
        <p>${formatCount(record.rows)} rows, ${record.committedStates} commits${record.only ? `, only ${record.only.join(', ')}` : ''}${record.fullRefresh ? ', full refresh' : ''}.</p>
        <table class="grid"><thead><tr><th scope="col">Stream</th><th scope="col">Phase</th><th scope="col" class="num">Rows</th><th scope="col" class="num">Elapsed</th><th scope="col">Phases</th></tr></thead>
          <tbody>${record.streams.map(
            (s) =>
              html`<tr data-stream=${s.stream}><th scope="row">${s.stream}</th><td>${s.phase ? html`<${PhaseBadge} phase=${s.phase} />` : html`<span class="muted">–</span>`}</td><td class="num">${formatCount(s.rows)}</td><td class="num">${formatDuration(s.elapsedMs)}</td><td><${PhaseTrail} phases=${s.phases} end=${record.finishedAt} /></td></tr>`,
          )}</tbody></table>
        <${LogTail} lines=${record.log ?? []} empty=${record.executor === 'bullmq' ? 'the log of a run on the workers is on the workers (mage-int worker prints it)' : undefined} />
      </article>`
          : null
      }
    </div>`
    }
  </section>`;
}

function StateView({ name }) {
  const [data, setData] = useState();
  const [error, setError] = useState();
  const [status, setStatus] = useState('');
  const load = () => api(`pipelines/${encodeURIComponent(name)}/state`).then(setData, setError);
  useEffect(load, [name]);
  const reset = async (stream) => {
    try {
      setData(await api(`pipelines/${encodeURIComponent(name)}/state/reset`, { method: 'POST', body: { stream } }));
      setStatus(`Reset ${stream}: its next run starts from the beginning.`);
    } catch (e) {
      setError(e);
    }
  };
  const fullRefresh = async (stream) => {
    try {
      await api(`pipelines/${encodeURIComponent(name)}/runs`, { method: 'POST', body: { only: [stream], fullRefresh: true } });
      go(`#/p/${encodeURIComponent(name)}/run`);
    } catch (e) {
      setError(e);
    }
  };
  const bookmarks = Object.entries(data?.state?.bookmarks ?? {});
  return html`<section aria-labelledby="state-title">
    <h2 id="state-title" class="visually-hidden">State</h2>
    <${ErrorBox} error=${error} />
    <p role="status" class="ok">${status}</p>
    ${
      data
        ? html`<p class="help">Saved in <code>${data.location}</code>.</p>
    ${
      bookmarks.length === 0
        ? html`<p>No saved state: the next run starts every stream from the beginning.</p>`
        : html`<table class="grid">
      <thead><tr><th scope="col">Stream</th><th scope="col">Bookmark</th><th scope="col">Actions</th></tr></thead>
      <tbody>${bookmarks.map(
        ([stream, bookmark]) => html`<tr key=${stream}>
        <th scope="row">${stream}</th><td><code class="bookmark">${JSON.stringify(bookmark)}</code></td>
        <td class="actions">
          <${Confirm} label=${`Reset ${stream}`} question=${`Forget ${stream}'s bookmark?`} confirmLabel="Reset state" danger onConfirm=${() => reset(stream)} />
          <${Confirm} label=${`Full refresh ${stream}`} question=${`Sync ${stream} again from the beginning now?`} confirmLabel="Start full refresh" onConfirm=${() => fullRefresh(stream)} />
        </td></tr>`,
      )}</tbody>
    </table>`
    }`
        : html`<p>Loading…</p>`
    }
  </section>`;
}

// ---------- Shell ----------

const TABS = [
  ['', 'Configuration'],
  ['streams', 'Streams'],
  ['run', 'Run'],
  ['history', 'History'],
  ['state', 'State'],
];

function PipelinePage({ name, tab }) {
  const pages = { '': PipelineEditor, streams: Streams, run: Run, history: History, state: StateView };
  const Page = pages[tab] ?? PipelineEditor;
  return html`<div>
    <div class="title-row"><h1>${name}</h1><a href="#/">All pipelines</a></div>
    <nav class="tabs" aria-label="Pipeline">
      ${TABS.map(([key, label]) => html`<a href=${`#/p/${encodeURIComponent(name)}${key ? `/${key}` : ''}`} aria-current=${tab === key ? 'page' : undefined}>${label}</a>`)}
    </nav>
    <${Page} name=${name} key=${`${name}/${tab}`} />
  </div>`;
}

function App() {
  const [first, name, tab] = useRoute();
  useEffect(() => {
    document.title = name ? `${name} – mage-int` : 'mage-int';
    // A new page moves focus to its heading, so keyboard and screen-reader users start at the top of it.
    const heading = document.querySelector('main h1');
    if (heading) {
      heading.tabIndex = -1;
      heading.focus({ preventScroll: true });
    }
  }, [first, name, tab]);
  return html`<header class="top"><a class="brand" href="#/">mage-int</a><span class="muted">local UI</span></header>
    <main id="main">${first === 'new' ? html`<${PipelineEditor} />` : first === 'p' && name ? html`<${PipelinePage} name=${name} tab=${tab ?? ''} />` : html`<${PipelineList} />`}</main>`;
}

const root = document.getElementById('app');
root.textContent = '';
render(html`<${App} />`, root);
