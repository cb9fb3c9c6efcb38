// Segments (/segments, /segments/new, /segments/:id): the saved filters with their member
// counts, and the editor: name, description and the filter tree (FilterBuilder), with a live
// member count and the first members from POST /api/v1/segments/preview a moment after each
// change. Errors from the API are shown at the field or row their JSON path names. CSMs and
// admins create; the creator or an admin changes or deletes; viewers read.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api, ApiError, qs } from '../api';
import type { Account, List } from '../api';
import { AsyncList, ErrorBox, HealthBadge, Link, Loading, toast, useAsync, useMe } from '../components';
import { fmtDateTime, fmtNumber } from '../format';
import { t } from '../i18n';
import { navigate, useLocation } from '../router';
import { FilterBuilder } from '../segments/FilterBuilder';
import type { NodeError } from '../segments/FilterBuilder';
import type { FieldsInfo, FilterJson, GroupNode, PathMap } from '../segments/filterTree';
import { fromJson, locateError, toJson } from '../segments/filterTree';

export interface Segment {
  id: number; name: string; description: string | null; filter: FilterJson; created_by: number | null;
  created_at: string; updated_at: string; member_count?: number;
}

/** The filter language from the server, fetched once per page load. */
let fieldsP: Promise<FieldsInfo> | null = null;
export function loadSegmentFields(): Promise<FieldsInfo> {
  if (!fieldsP) fieldsP = api.get<FieldsInfo>('/api/v1/segments/fields').catch((e) => { fieldsP = null; throw e; });
  return fieldsP;
}

export function SegmentsRoute() {
  const loc = useLocation();
  const m = loc.path.match(/^\/segments\/([1-9][0-9]{0,15}|new)$/);
  if (m) return <SegmentEditor key={m[1]} id={m[1] === 'new' ? null : Number(m[1])} />;
  return <SegmentList />;
}

function SegmentList() {
  const me = useMe();
  useEffect(() => { document.title = `${t('segments.title')} · Kizuna`; });
  const list = useAsync(() => api.get<List<Segment>>('/api/v1/segments?limit=500').then((r) => r.data), []);
  return (
    <section class="page">
      <div class="page-head">
        <h1>{t('segments.title')}</h1>
        {me.role !== 'viewer' && <Link href="/segments/new" class="btn btn-primary" data-testid="segment-new">+ {t('segments.new')}</Link>}
      </div>
      {me.role === 'viewer' && <p class="notice">{t('segments.viewerNote')}</p>}
      <AsyncList state={list} empty={t('segments.empty')}>
        {(items) => (
          <div class="table-wrap">
            <table class="table" data-testid="segments-table">
              <thead>
                <tr>
                  <th scope="col">{t('common.name')}</th>
                  <th scope="col" class="num">{t('segments.members')}</th>
                  <th scope="col">{t('segments.updated')}</th>
                  <th scope="col"><span class="sr-only">{t('segments.viewMembers')}</span></th>
                </tr>
              </thead>
              <tbody>
                {items.map((s) => (
                  <tr key={s.id} data-testid="segment-row">
                    <th scope="row" class="cell-name">
                      <Link href={`/segments/${s.id}`}>{s.name}</Link>
                      {s.description && <span class="muted small">{s.description}</span>}
                    </th>
                    <td class="num"><MemberCount id={s.id} /></td>
                    <td>{fmtDateTime(s.updated_at)}</td>
                    <td><Link href={`/accounts${qs({ segment: s.id })}`}>{t('segments.viewMembers')}</Link></td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </AsyncList>
    </section>
  );
}

/** A segment's live member count (GET /api/v1/segments/:id counts it). */
function MemberCount({ id }: { id: number }) {
  const s = useAsync(() => api.get<Segment>(`/api/v1/segments/${id}`), [id]);
  if (s.error) return <span class="muted" title={(s.error as Error).message}>{t('common.none')}</span>;
  if (!s.data) return <span class="muted" aria-busy="true">…</span>;
  return <span data-testid="segment-count">{fmtNumber(s.data.member_count ?? null)}</span>;
}

interface Preview { count: number; data: Account[] }

function SegmentEditor({ id }: { id: number | null }) {
  const me = useMe();
  const fields = useAsync(() => loadSegmentFields(), []);
  const seg = useAsync(() => (id ? api.get<Segment>(`/api/v1/segments/${id}`) : Promise.resolve(null)), [id]);
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [tree, setTree] = useState<GroupNode | null>(null);
  const [saveError, setSaveError] = useState<ApiError | null>(null);
  const [saving, setSaving] = useState(false);
  const [preview, setPreview] = useState<{ loading: boolean; data?: Preview; error?: ApiError | Error }>({ loading: false });
  useEffect(() => { document.title = `${seg.data?.name ?? t('segments.new')} · ${t('segments.title')} · Kizuna`; });

  // The form starts from the saved segment (or an empty AND) once the fields are known.
  useEffect(() => {
    if (!fields.data || (id && !seg.data)) return;
    setName(seg.data?.name ?? '');
    setDescription(seg.data?.description ?? '');
    setTree(fromJson(seg.data?.filter ?? null, fields.data));
  }, [fields.data, seg.data]);

  const canEdit = me.role === 'admin' || (me.role === 'csm' && (id === null || seg.data?.created_by === me.id));
  const paths = useRef<PathMap>(new Map());
  const filter = useMemo(() => {
    if (!tree || !fields.data) return null;
    const p: PathMap = new Map();
    const j = toJson(tree, fields.data, p);
    paths.current = p;
    return j;
  }, [tree, fields.data]);
  const filterText = filter ? JSON.stringify(filter) : '';

  // The live count: a moment after the last change; answers to older filters are dropped.
  const seq = useRef(0);
  useEffect(() => {
    if (!filter) return;
    const n = ++seq.current;
    setPreview((p) => ({ ...p, loading: true }));
    const timer = setTimeout(() => {
      api.post<Preview>('/api/v1/segments/preview', { filter, limit: 5 }).then(
        (data) => { if (n === seq.current) setPreview({ loading: false, data }); },
        (error) => { if (n === seq.current) setPreview({ loading: false, error }); },
      );
    }, 350);
    return () => clearTimeout(timer);
  }, [filterText]);

  if (fields.error) return <section class="page"><ErrorBox error={new Error(t('segments.fieldsError', { msg: (fields.error as Error).message }))} retry={fields.reload} /></section>;
  if (seg.error) {
    const nf = seg.error instanceof ApiError && seg.error.status === 404;
    return (
      <section class="page">
        <p class="crumb"><Link href="/segments">← {t('segments.back')}</Link></p>
        {nf ? <p class="state state-empty">{t('segments.notFound')}</p> : <ErrorBox error={seg.error} retry={seg.reload} />}
      </section>
    );
  }
  if (!fields.data || !tree) return <section class="page"><Loading /></section>;

  // The error to show: a failed save first, else the live preview's.
  const err = saveError ?? (preview.error instanceof ApiError && preview.error.status === 400 ? preview.error : null);
  const located = err?.field?.startsWith('filter') ? locateError(paths.current, err.field) : null;
  const nodeError: NodeError | null = located && err ? { ...located, message: err.message } : null;
  const fieldErr = (f: string) => (saveError && saveError.field === f ? saveError.message : null);
  const otherErr = saveError && !nodeError && saveError.field !== 'name' && saveError.field !== 'description' ? saveError.message : null;

  const save = async (e: Event) => {
    e.preventDefault();
    if (!filter) return;
    setSaving(true);
    setSaveError(null);
    const body = { name: name.trim(), description: description.trim() || null, filter };
    try {
      if (id) {
        const s = await api.patch<Segment>(`/api/v1/segments/${id}`, body);
        seg.set(s);
        toast(t('segments.saved'));
      } else {
        const s = await api.post<Segment>('/api/v1/segments', body);
        toast(t('segments.created', { name: s.name }));
        navigate(`/segments/${s.id}`, true);
      }
    } catch (x) {
      if (x instanceof ApiError) setSaveError(x); else setSaveError(new ApiError(0, (x as Error).message));
    } finally {
      setSaving(false);
    }
  };
  const remove = async () => {
    if (!id || !seg.data || !confirm(t('segments.deleteConfirm', { name: seg.data.name }))) return;
    try {
      await api.del(`/api/v1/segments/${id}`);
      toast(t('segments.deleted'));
      navigate('/segments');
    } catch (x) { toast(t('common.actionFailed', { msg: (x as Error).message })); }
  };

  return (
    <section class="page">
      <p class="crumb"><Link href="/segments">← {t('segments.back')}</Link></p>
      <div class="page-head">
        <h1>{seg.data?.name ?? t('segments.new')}</h1>
        {id && <Link href={`/accounts${qs({ segment: id })}`} class="btn" data-testid="segment-members-link">{t('segments.viewMembers')}</Link>}
      </div>
      {!canEdit && <p class="notice" data-testid="segment-readonly">{me.role === 'viewer' ? t('segments.viewerNote') : t('segments.readOnly')}</p>}
      <div class="seg-layout">
        <form class="form card" onSubmit={save} aria-label={t('segments.title')}>
          <label class="field">
            <span>{t('segments.name')}</span>
            <input type="text" required maxLength={200} value={name} disabled={!canEdit} data-testid="segment-name"
              aria-invalid={fieldErr('name') ? true : undefined} aria-describedby={fieldErr('name') ? 'seg-name-err' : undefined}
              onInput={(e) => setName((e.currentTarget as HTMLInputElement).value)} />
          </label>
          {fieldErr('name') && <p class="form-error" id="seg-name-err" role="alert">{fieldErr('name')}</p>}
          <label class="field">
            <span>{t('segments.description')}</span>
            <textarea rows={2} maxLength={2000} value={description} disabled={!canEdit} data-testid="segment-description"
              aria-invalid={fieldErr('description') ? true : undefined}
              onInput={(e) => setDescription((e.currentTarget as HTMLTextAreaElement).value)} />
          </label>
          {fieldErr('description') && <p class="form-error" role="alert">{fieldErr('description')}</p>}
          <div>
            <h2>{t('segments.filter')}</h2>
            <FilterBuilder info={fields.data} value={tree} readOnly={!canEdit} error={nodeError}
              onChange={(g) => { setTree(g); setSaveError(null); }} />
          </div>
          {otherErr && <p class="form-error" role="alert">{otherErr}</p>}
          {canEdit && (
            <div class="actions">
              {id && <button type="button" class="btn btn-danger" onClick={remove} data-testid="segment-delete">{t('segments.delete')}</button>}
              <button type="submit" class="btn btn-primary" disabled={saving} data-testid="segment-save">{saving ? t('common.saving') : t('segments.save')}</button>
            </div>
          )}
        </form>
        <aside class="card seg-preview" aria-labelledby="seg-live" aria-busy={preview.loading}>
          <h2 id="seg-live">{t('segments.liveCount')}</h2>
          <p class="seg-count" role="status" aria-live="polite" data-testid="segment-live-count">
            {preview.data ? t('segments.countN', { n: fmtNumber(preview.data.count) }) : preview.loading ? t('segments.counting') : t('common.none')}
          </p>
          {preview.error && !nodeError && <p class="form-error">{t('segments.previewError', { msg: preview.error.message })}</p>}
          {preview.data && (
            preview.data.data.length === 0 ? <p class="state state-empty">{t('segments.sampleEmpty')}</p> : (
              <>
                <h3 class="small muted">{t('segments.sample')}</h3>
                <ul class="rows" data-testid="segment-sample">
                  {preview.data.data.map((a) => (
                    <li class="row" key={a.id}><Link href={`/accounts/${a.id}`}>{a.name}</Link><HealthBadge account={a} /></li>
                  ))}
                </ul>
              </>
            )
          )}
        </aside>
      </div>
    </section>
  );
}
