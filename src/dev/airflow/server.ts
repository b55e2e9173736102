import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Ajv, type ValidateFunction } from 'ajv';
import type { OpenApiSpec } from './spec.js';

/**
 * A local server for the part of Airflow's stable REST API (v1) Rootline's rerun uses, driven by Airflow's
 * published OpenAPI spec (src/dev/airflow/spec.ts): every request is routed by the spec's paths and its body
 * validated against the spec's request schema (read-only properties refused, as OpenAPI means them); every
 * answer is validated against the spec's response schema for its status before it is sent (an answer that
 * does not validate becomes a 500 and is kept in `violations`). A request that fails validation gets 400
 * with the spec's Error body, as Airflow (connexion) answers it. DAGs, DAG runs and task instances live in
 * memory.
 *
 * Implemented operations: get_dag, get_dag_run, post_dag_run, set_dag_run_note, post_clear_task_instances.
 * Other operations of the spec answer 404. Test control (JSON):
 *   GET  /_mock/health
 *   GET  /_mock/calls                       every recorded API call, oldest first
 *   POST /_mock/dags      {dag_id, tasks, is_paused?}
 *   POST /_mock/dagRuns   {dag_id, dag_run_id, states?: {task: state}}
 *   POST /_mock/faults    {operationId?, status, retryAfterSec?, count}
 */

export interface AirflowCall {
  seq: number;
  method: string;
  path: string;
  operationId: string | undefined;
  body: unknown;
  status: number;
  /** Why the request was refused, when it did not validate against the spec. */
  requestErrors?: string[];
  /** A fault injected by the test answered this call. */
  fault?: boolean;
}

export interface AirflowFault {
  operationId?: string | undefined;
  status: number;
  retryAfterSec?: number | undefined;
  count: number;
}

/** A task instance: its state and how often it was cleared. */
export interface MockTaskInstance {
  task_id: string;
  state: string | null;
  clears: number;
}

interface MockDagRun {
  run: Record<string, unknown> & { dag_run_id: string; note: string | null; state: string };
  tis: Map<string, MockTaskInstance>;
}

interface MockDag {
  dag_id: string;
  tasks: string[];
  is_paused: boolean;
  runs: Map<string, MockDagRun>;
}

export interface AirflowServerOptions {
  spec: OpenApiSpec;
  port?: number;
  host?: string;
  /** Basic auth the API requires (with `password`). */
  username?: string;
  password?: string;
  /** Bearer token the API accepts. Without any credentials the API is open. */
  token?: string;
}

export interface AirflowMockServer {
  /** The API base, `http://host:port/api/v1`. */
  readonly url: string;
  readonly port: number;
  readonly calls: AirflowCall[];
  /** Answers of the server that did not validate against the spec (a bug in the server; should stay empty). */
  readonly violations: string[];
  addDag(dag: { dag_id: string; tasks: string[]; is_paused?: boolean }): void;
  addDagRun(r: { dag_id: string; dag_run_id: string; states?: Record<string, string | null> }): void;
  dagRun(dagId: string, runId: string): (Record<string, unknown> & { note: string | null; state: string }) | undefined;
  taskInstance(dagId: string, runId: string, taskId: string): MockTaskInstance | undefined;
  fault(f: AirflowFault): void;
  close(): Promise<void>;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const refName = (ref: string) => ref.slice(ref.lastIndexOf('/') + 1);
type Mode = 'request' | 'response';
const SCHEMA_ID: Record<Mode, string> = { request: 'airflow-request', response: 'airflow-response' };
/** OpenAPI keywords with no JSON Schema meaning (or one Ajv would reject). */
const DROPPED = new Set(['example', 'discriminator', 'xml', 'externalDocs', 'deprecated']);
const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)$/i;

/**
 * An OpenAPI 3.0 schema as JSON Schema for one direction: `$ref`s point into the definitions document of
 * that direction; properties marked readOnly are refused in requests (writeOnly in responses) and not
 * required there; `nullable` becomes a null alternative.
 */
function convert(s: unknown, mode: Mode, schemas: Obj): unknown {
  if (Array.isArray(s)) return s.map((x) => convert(x, mode, schemas));
  if (!isObj(s)) return s;
  if (typeof s.$ref === 'string') {
    const ref = { $ref: `${SCHEMA_ID[mode]}#/definitions/${refName(s.$ref)}` };
    return s.nullable === true ? { anyOf: [ref, { type: 'null' }] } : ref;
  }
  const hiddenKey = mode === 'request' ? 'readOnly' : 'writeOnly';
  const hidden = (p: unknown): boolean => {
    if (!isObj(p)) return false;
    if (p[hiddenKey] === true) return true;
    const target = typeof p.$ref === 'string' ? schemas[refName(p.$ref)] : undefined;
    return isObj(target) && target[hiddenKey] === true;
  };
  const out: Obj = {};
  const hiddenProps = new Set<string>();
  for (const [k, v] of Object.entries(s)) {
    if (DROPPED.has(k) || k.startsWith('x-')) continue;
    if (k === 'nullable') continue;
    if (k === 'properties' && isObj(v)) {
      const props: Obj = {};
      for (const [pk, pv] of Object.entries(v)) {
        if (hidden(pv)) hiddenProps.add(pk);
        props[pk] = hidden(pv) ? false : convert(pv, mode, schemas);
      }
      out.properties = props;
    } else out[k] = convert(v, mode, schemas);
  }
  if (Array.isArray(out.required)) out.required = (out.required as string[]).filter((r) => !hiddenProps.has(r));
  if (s.nullable === true) {
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
    if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...(out.enum as unknown[]), null];
  }
  return out;
}

interface Route {
  method: string;
  template: string;
  re: RegExp;
  names: string[];
  operationId: string | undefined;
  requestSchema: ValidateFunction | undefined;
  bodyRequired: boolean;
  responses: Map<string, ValidateFunction | 'no-body'>;
}

function buildRoutes(spec: OpenApiSpec): { routes: Route[]; error: ValidateFunction } {
  const ajv = new Ajv({ strict: false, allErrors: true, logger: false });
  for (const f of ['date-time', 'datetime']) ajv.addFormat(f, RFC3339);
  const schemas = spec.components.schemas as Obj;
  for (const mode of ['request', 'response'] as const) {
    const definitions: Obj = {};
    for (const [name, s] of Object.entries(schemas)) definitions[name] = convert(s, mode, schemas);
    ajv.addSchema({ $id: SCHEMA_ID[mode], definitions });
  }
  const resolve = (x: unknown, kind: 'responses' | 'parameters'): Obj | undefined => {
    if (isObj(x) && typeof x.$ref === 'string') return spec.components[kind][refName(x.$ref)] as Obj | undefined;
    return isObj(x) ? x : undefined;
  };
  const jsonSchema = (content: unknown): unknown => {
    const c = isObj(content) ? content['application/json'] : undefined;
    return isObj(c) ? c.schema : undefined;
  };
  const routes: Route[] = [];
  for (const [template, item] of Object.entries(spec.paths)) {
    const names: string[] = [];
    const re = new RegExp(
      `^${template
        .split(/(\{[^}]+\})/)
        .map((part) => {
          if (part.startsWith('{') && part.endsWith('}')) {
            names.push(part.slice(1, -1));
            return '([^/]+)';
          }
          return part.replace(/[.*+?^${}()|[\]\\~]/g, '\\$&');
        })
        .join('')}$`,
    );
    for (const method of ['get', 'post', 'patch', 'put', 'delete']) {
      const op = item[method];
      if (!isObj(op)) continue;
      const body = isObj(op.requestBody) ? op.requestBody : undefined;
      const reqSchema = body ? jsonSchema(body.content) : undefined;
      const responses = new Map<string, ValidateFunction | 'no-body'>();
      for (const [status, r] of Object.entries(isObj(op.responses) ? op.responses : {})) {
        const schema = jsonSchema(resolve(r, 'responses')?.content);
        responses.set(
          status,
          schema === undefined ? 'no-body' : ajv.compile(convert(schema, 'response', schemas) as Obj),
        );
      }
      routes.push({
        method: method.toUpperCase(),
        template,
        re,
        names,
        operationId: typeof op.operationId === 'string' ? op.operationId : undefined,
        requestSchema: reqSchema === undefined ? undefined : ajv.compile(convert(reqSchema, 'request', schemas) as Obj),
        bodyRequired: body?.required === true,
        responses,
      });
    }
  }
  // Literal segments win over parameters (/dags/~/dagRuns/list before /dags/{dag_id}/dagRuns/{dag_run_id}).
  routes.sort((a, b) => a.names.length - b.names.length);
  return { routes, error: ajv.compile({ $ref: `${SCHEMA_ID.response}#/definitions/Error` }) };
}

const ajvErrors = (v: ValidateFunction): string[] =>
  (v.errors ?? []).map((e) =>
    e.keyword === 'false schema'
      ? `${e.instancePath} is read-only (readOnly in the spec): not accepted in a request`
      : `${e.instancePath || '(body)'} ${e.message ?? ''}`.trim(),
  );

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const problem = (status: number, title: string, detail: string) => ({
  type: `https://airflow.apache.org/docs/apache-airflow/2.10.5/stable-rest-api-ref.html#section/Errors/${title.replace(/ /g, '')}`,
  title,
  status,
  detail,
});

/** Starts the local Airflow API server. */
export async function startAirflowMockServer(o: AirflowServerOptions): Promise<AirflowMockServer> {
  const { routes, error: errorSchema } = buildRoutes(o.spec);
  const calls: AirflowCall[] = [];
  const violations: string[] = [];
  const faults: AirflowFault[] = [];
  const dags = new Map<string, MockDag>();
  let seq = 0;

  const addDag = (d: { dag_id: string; tasks: string[]; is_paused?: boolean }) => {
    dags.set(d.dag_id, { dag_id: d.dag_id, tasks: [...d.tasks], is_paused: d.is_paused ?? false, runs: new Map() });
  };
  const newRun = (dag: MockDag, runId: string, runType: string, conf: Obj, note: string | null): MockDagRun => {
    const now = new Date().toISOString();
    return {
      run: {
        dag_run_id: runId,
        dag_id: dag.dag_id,
        logical_date: now,
        execution_date: now,
        start_date: now,
        end_date: null,
        data_interval_start: now,
        data_interval_end: now,
        last_scheduling_decision: null,
        run_type: runType,
        state: 'queued',
        external_trigger: runType === 'manual',
        conf,
        note,
      },
      tis: new Map(dag.tasks.map((t) => [t, { task_id: t, state: null, clears: 0 }])),
    };
  };
  const addDagRun = (r: { dag_id: string; dag_run_id: string; states?: Record<string, string | null> }) => {
    const dag = dags.get(r.dag_id);
    if (!dag) throw new Error(`no DAG ${r.dag_id}`);
    const run = newRun(dag, r.dag_run_id, 'scheduled', {}, null);
    run.run.state = 'success';
    for (const ti of run.tis.values()) ti.state = 'success';
    for (const [t, s] of Object.entries(r.states ?? {})) {
      const ti = run.tis.get(t);
      if (ti) ti.state = s;
    }
    if ([...run.tis.values()].some((t) => t.state === 'failed')) run.run.state = 'failed';
    dag.runs.set(r.dag_run_id, run);
  };

  type Answer = { status: number; body: unknown };
  const handlers: Record<string, (p: Record<string, string>, body: Obj) => Answer> = {
    get_dag: (p) => {
      const dag = dags.get(p.dag_id!);
      if (!dag) return { status: 404, body: problem(404, 'DAG not found', `DAG with dag_id: '${p.dag_id}' not found`) };
      return {
        status: 200,
        body: {
          dag_id: dag.dag_id,
          dag_display_name: dag.dag_id,
          root_dag_id: null,
          is_paused: dag.is_paused,
          is_active: true,
          is_subdag: false,
          fileloc: `/opt/airflow/dags/${dag.dag_id}.py`,
          file_token: 'local',
          owners: ['airflow'],
          description: null,
          tags: [],
        },
      };
    },
    get_dag_run: (p) => {
      const run = dags.get(p.dag_id!)?.runs.get(p.dag_run_id!);
      if (!run)
        return {
          status: 404,
          body: problem(
            404,
            'DAGRun not found',
            `DAGRun with DAG ID: '${p.dag_id}' and DagRun ID: '${p.dag_run_id}' not found`,
          ),
        };
      return { status: 200, body: run.run };
    },
    post_dag_run: (p, body) => {
      const dag = dags.get(p.dag_id!);
      if (!dag) return { status: 404, body: problem(404, 'DAG not found', `DAG with dag_id: '${p.dag_id}' not found`) };
      const runId = typeof body.dag_run_id === 'string' ? body.dag_run_id : `manual__${new Date().toISOString()}`;
      if (dag.runs.has(runId))
        return {
          status: 409,
          body: problem(
            409,
            'Already Exists',
            `DAGRun with DAG ID: '${dag.dag_id}' and DAGRun ID: '${runId}' already exists`,
          ),
        };
      const run = newRun(
        dag,
        runId,
        'manual',
        isObj(body.conf) ? body.conf : {},
        typeof body.note === 'string' ? body.note : null,
      );
      dag.runs.set(runId, run);
      return { status: 200, body: run.run };
    },
    set_dag_run_note: (p, body) => {
      const run = dags.get(p.dag_id!)?.runs.get(p.dag_run_id!);
      if (!run) return { status: 404, body: problem(404, 'DAGRun not found', `DAGRun ${p.dag_run_id} not found`) };
      if (typeof body.note !== 'string') return { status: 400, body: problem(400, 'Bad Request', 'note is required') };
      run.run.note = body.note;
      return { status: 200, body: run.run };
    },
    post_clear_task_instances: (p, body) => {
      const dag = dags.get(p.dag_id!);
      if (!dag) return { status: 404, body: problem(404, 'DAG not found', `Dag id ${p.dag_id} not found`) };
      let runs = [...dag.runs.values()];
      if (typeof body.dag_run_id === 'string') {
        const run = dag.runs.get(body.dag_run_id);
        if (!run)
          return {
            status: 404,
            body: problem(404, 'Dag Run not found', `Dag Run id ${body.dag_run_id} not found in dag ${dag.dag_id}`),
          };
        runs = [run];
      }
      const taskIds = Array.isArray(body.task_ids) ? (body.task_ids as string[]) : dag.tasks;
      // The spec's defaults: dry_run true, only_failed true.
      const dryRun = body.dry_run !== false;
      const onlyFailed = body.only_failed !== false;
      const onlyRunning = body.only_running === true;
      const refs: Obj[] = [];
      for (const r of runs) {
        for (const t of taskIds) {
          const ti = r.tis.get(t);
          if (!ti || (onlyFailed && ti.state !== 'failed') || (onlyRunning && ti.state !== 'running')) continue;
          refs.push({
            task_id: t,
            dag_id: dag.dag_id,
            execution_date: r.run.execution_date,
            dag_run_id: r.run.dag_run_id,
          });
          if (!dryRun) {
            ti.state = null;
            ti.clears += 1;
            if (body.reset_dag_runs === true) r.run.state = 'queued';
          }
        }
      }
      return { status: 200, body: { task_instances: refs } };
    },
  };

  const send = (res: ServerResponse, a: Answer, headers: Record<string, string> = {}) => {
    res.writeHead(a.status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(a.body));
  };

  const authorized = (req: IncomingMessage): boolean => {
    if (o.username === undefined && o.token === undefined) return true;
    const h = req.headers.authorization ?? '';
    if (o.token !== undefined && h === `Bearer ${o.token}`) return true;
    if (o.username !== undefined)
      return h === `Basic ${Buffer.from(`${o.username}:${o.password ?? ''}`).toString('base64')}`;
    return false;
  };

  const control = async (req: IncomingMessage, res: ServerResponse, path: string) => {
    const body = req.method === 'POST' ? (JSON.parse((await readBody(req)) || '{}') as Obj) : {};
    if (path === '/_mock/health') return send(res, { status: 200, body: { ok: true } });
    if (path === '/_mock/calls') return send(res, { status: 200, body: calls });
    if (path === '/_mock/dags' && req.method === 'POST') {
      addDag(body as { dag_id: string; tasks: string[] });
      return send(res, { status: 200, body: { ok: true } });
    }
    if (path === '/_mock/dagRuns' && req.method === 'POST') {
      addDagRun(body as { dag_id: string; dag_run_id: string });
      return send(res, { status: 200, body: { ok: true } });
    }
    if (path === '/_mock/faults' && req.method === 'POST') {
      faults.push(body as unknown as AirflowFault);
      return send(res, { status: 200, body: { ok: true } });
    }
    send(res, { status: 404, body: { error: 'unknown control path' } });
  };

  const api = async (req: IncomingMessage, res: ServerResponse, path: string) => {
    const method = req.method ?? 'GET';
    const raw = await readBody(req);
    let route: Route | undefined;
    let m: RegExpExecArray | null = null;
    for (const r of routes) {
      if (r.method !== method) continue;
      m = r.re.exec(path);
      if (m) {
        route = r;
        break;
      }
    }
    const call: AirflowCall = { seq: ++seq, method, path, operationId: route?.operationId, body: undefined, status: 0 };
    calls.push(call);
    const answer = (a: Answer, headers?: Record<string, string>) => {
      const v = route?.responses.get(String(a.status)) ?? route?.responses.get('default');
      // Connexion answers a request that fails validation with 400 even where the operation lists no 400.
      const check = v ?? (a.status === 400 ? errorSchema : undefined);
      if (!call.fault && route && check !== 'no-body') {
        const problemText = !check
          ? `${method} ${route.template}: status ${a.status} is not in the spec`
          : !check(a.body)
            ? `${method} ${route.template} ${a.status}: ${ajvErrors(check).join('; ')}`
            : undefined;
        if (problemText) {
          violations.push(problemText);
          a = { status: 500, body: problem(500, 'Unknown', `local server answer off the spec: ${problemText}`) };
        }
      }
      call.status = a.status;
      send(res, a, headers);
    };
    if (!route)
      return answer({ status: 404, body: problem(404, 'Not Found', `no operation ${method} ${path} in the spec`) });
    if (!authorized(req))
      return answer({ status: 401, body: problem(401, 'Unauthorized', 'No credentials or invalid credentials') });
    let body: unknown;
    if (raw !== '') {
      if (!(req.headers['content-type'] ?? '').includes('application/json'))
        return answer({ status: 400, body: problem(400, 'Bad Request', 'the body must be application/json') });
      try {
        body = JSON.parse(raw);
      } catch {
        return answer({ status: 400, body: problem(400, 'Bad Request', 'the body is not JSON') });
      }
    }
    call.body = body;
    const fault = faults.find(
      (f) => f.count > 0 && (f.operationId === undefined || f.operationId === route.operationId),
    );
    if (fault) {
      fault.count -= 1;
      call.fault = true;
      return answer(
        { status: fault.status, body: problem(fault.status, 'Injected fault', 'a fault the test asked for') },
        fault.retryAfterSec !== undefined ? { 'retry-after': String(fault.retryAfterSec) } : {},
      );
    }
    const errors: string[] = [];
    if (route.requestSchema) {
      if (body === undefined) {
        if (route.bodyRequired) errors.push('(body) is required');
      } else if (!route.requestSchema(body)) errors.push(...ajvErrors(route.requestSchema));
    }
    if (errors.length > 0) {
      call.requestErrors = errors;
      return answer({ status: 400, body: problem(400, 'Bad Request', errors.join('; ')) });
    }
    const params: Record<string, string> = {};
    route.names.forEach((n, i) => (params[n] = decodeURIComponent(m![i + 1]!)));
    const h = route.operationId ? handlers[route.operationId] : undefined;
    if (!h)
      return answer({
        status: 404,
        body: problem(
          404,
          'Not Found',
          `${route.operationId ?? route.template} is not implemented by the local server`,
        ),
      });
    answer(h(params, isObj(body) ? body : {}));
  };

  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const handle = path.startsWith('/_mock/')
      ? control(req, res, path)
      : path.startsWith('/api/v1/')
        ? api(req, res, path.slice('/api/v1'.length))
        : Promise.resolve(send(res, { status: 404, body: problem(404, 'Not Found', 'not under /api/v1') }));
    handle.catch((err: unknown) => {
      if (!res.headersSent) send(res, { status: 500, body: problem(500, 'Unknown', String(err)) });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, o.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/api/v1`,
    port,
    calls,
    violations,
    addDag,
    addDagRun,
    dagRun: (d, r) => dags.get(d)?.runs.get(r)?.run,
    taskInstance: (d, r, t) => dags.get(d)?.runs.get(r)?.tis.get(t),
    fault: (f) => faults.push({ ...f }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
