import { errorMessage } from '../errors/index.js';
import { retry, sleep, type Backoff } from '../errors/retry.js';
import type { Logger } from './log.js';
import type { MonitorMetrics } from './metrics.js';

/**
 * The state of one part of the monitor: `ok`; `degraded` (working, but a dependency is failing and
 * retried, or a part of the work waits); `down` (not doing its work). `/healthz` answers 503 while
 * any component is down.
 */
export type ComponentState = 'ok' | 'degraded' | 'down';

/** What `/healthz` shows of one component. */
export interface ComponentHealth {
  state: ComponentState;
  /** Why it is not ok (redacted error message). */
  reason?: string;
  /** Since when it is in this state (ISO 8601). */
  since: string;
  /** Times the supervisor restarted it. */
  restarts: number;
}

/** A part the supervisor can restart: stop it (never throws), start it again (throws if it cannot). */
export interface Restartable {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Default backoff between restarts of a crashed component. */
export const DEFAULT_RESTART_BACKOFF: Backoff = { initialMs: 500, maxMs: 30_000 };

const GAUGE: Record<ComponentState, number> = { ok: 1, degraded: 0.5, down: 0 };

/**
 * One component's handle: the component (or an observer of it) reports its state through it, and a
 * component registered with {@link Supervisor.supervise} reports a crash with {@link crashed}, which
 * restarts it with backoff.
 */
export class Component {
  private current: ComponentHealth;
  private lastBeat: number;
  /** @internal set by the supervisor for restartable components. */
  onCrash: ((err: unknown) => void) | undefined;

  constructor(
    readonly name: string,
    private readonly o: {
      now: () => number;
      metrics: MonitorMetrics;
      logger: Logger;
      /** Without a beat (or an ok) for this long, the component counts as down. */
      staleAfterMs?: number | undefined;
    },
  ) {
    this.lastBeat = o.now();
    this.current = { state: 'ok', since: new Date(this.lastBeat).toISOString(), restarts: 0 };
    o.metrics.componentHealth.set(GAUGE.ok, { component: name });
  }

  private set(state: ComponentState, reason?: string): void {
    const changed = state !== this.current.state || reason !== this.current.reason;
    if (!changed) return;
    const log = state === 'ok' ? 'info' : state === 'degraded' ? 'warn' : 'error';
    if (state !== this.current.state)
      this.o.logger[log]({ component: this.name, state, reason, was: this.current.state }, `${this.name} ${state}`);
    this.current = {
      state,
      ...(reason !== undefined ? { reason } : {}),
      since: state === this.current.state ? this.current.since : new Date(this.o.now()).toISOString(),
      restarts: this.current.restarts,
    };
    this.o.metrics.componentHealth.set(GAUGE[state], { component: this.name });
  }

  /** Working; also a beat. */
  ok(): void {
    this.lastBeat = this.o.now();
    this.set('ok');
  }

  /** Working, but something it needs is failing (and retried). */
  degraded(reason: unknown): void {
    this.lastBeat = this.o.now();
    this.set('degraded', errorMessage(reason));
  }

  /** Not doing its work. */
  down(reason: unknown): void {
    this.set('down', errorMessage(reason));
  }

  /** Still alive (for components watched by staleness): a fetch, a heartbeat, a tick. */
  beat(): void {
    this.lastBeat = this.o.now();
  }

  /** The component failed for good: down, and restarted by the supervisor when it is restartable. */
  crashed(err: unknown): void {
    this.down(err);
    this.onCrash?.(err);
  }

  /** @internal */
  restarted(): void {
    this.current = { ...this.current, restarts: this.current.restarts + 1 };
    this.o.metrics.componentRestarts.inc({ component: this.name });
  }

  /** The state now, with staleness applied. */
  health(): ComponentHealth {
    const stale = this.o.staleAfterMs;
    if (stale !== undefined && this.current.state !== 'down' && this.o.now() - this.lastBeat > stale) {
      this.set('down', `no sign of life for ${Math.round((this.o.now() - this.lastBeat) / 1000)} s`);
    }
    return { ...this.current };
  }
}

export interface SupervisorOptions {
  logger: Logger;
  metrics: MonitorMetrics;
  /** Backoff between restart attempts. Default {@link DEFAULT_RESTART_BACKOFF}. */
  backoff?: Backoff;
  now?: () => number;
}

/**
 * Watches every loop of the monitor (reports consumer, actions consumer, ops ticker, the InfluxDB
 * writer, the dependency probes): each has a {@link Component} whose state `/healthz` and `/metrics`
 * show (`rootline_component_health`, `rootline_component_restarts_total`). A restartable component
 * that crashes is stopped and started again, with backoff (src/errors/retry.ts), until it runs again
 * or the supervisor stops.
 */
export class Supervisor {
  private readonly components = new Map<string, Component>();
  private readonly abort = new AbortController();
  private readonly restarting = new Set<Promise<void>>();
  private readonly probes: (() => void)[] = [];
  private readonly now: () => number;

  constructor(private readonly o: SupervisorOptions) {
    this.now = o.now ?? Date.now;
  }

  /** A component whose state is reported by the component itself or by an observer. */
  component(name: string, options: { staleAfterMs?: number } = {}): Component {
    const existing = this.components.get(name);
    if (existing) return existing;
    const c = new Component(name, {
      now: this.now,
      metrics: this.o.metrics,
      logger: this.o.logger.child({ component: 'supervisor' }),
      staleAfterMs: options.staleAfterMs,
    });
    this.components.set(name, c);
    return c;
  }

  /**
   * A restartable component, already started: when it reports {@link Component.crashed}, it is
   * stopped and started again with backoff; it counts as ok again once it started.
   */
  supervise(name: string, part: Restartable, options: { staleAfterMs?: number } = {}): Component {
    const c = this.component(name, options);
    let inFlight = false;
    c.onCrash = (err) => {
      if (inFlight || this.abort.signal.aborted) return;
      inFlight = true;
      this.o.logger.warn({ component: name, err: errorMessage(err) }, `${name} crashed; restarting`);
      const run = this.restart(c, part).finally(() => {
        inFlight = false;
        this.restarting.delete(run);
      });
      this.restarting.add(run);
    };
    return c;
  }

  private async restart(c: Component, part: Restartable): Promise<void> {
    try {
      await retry(
        async () => {
          await part.stop();
          if (this.abort.signal.aborted) return;
          await part.start();
          c.restarted();
          c.ok();
        },
        {
          backoff: this.o.backoff ?? DEFAULT_RESTART_BACKOFF,
          retriable: () => true,
          signal: this.abort.signal,
          onRetry: (err, attempt, waitMs) => {
            c.down(err);
            this.o.logger.warn(
              { component: c.name, err: errorMessage(err), attempt, waitMs },
              `${c.name} did not restart; retrying`,
            );
          },
        },
      );
    } catch (err: unknown) {
      if (!this.abort.signal.aborted) c.down(err);
    }
  }

  /**
   * A dependency checked every `intervalMs` by `check` (which must answer within `timeoutMs`):
   * ok when it answers, `failState` (default down) with the reason when it does not. Checks never
   * overlap; a check still running after three intervals counts as a failure.
   */
  probe(
    name: string,
    check: () => Promise<unknown>,
    o: { intervalMs: number; timeoutMs: number; failState?: 'degraded' | 'down' },
  ): Component {
    const c = this.component(name, { staleAfterMs: Math.max(3 * o.intervalMs, o.timeoutMs * 2) });
    const once = async () => {
      try {
        await withTimeout(check(), o.timeoutMs, `${name} did not answer within ${o.timeoutMs} ms`);
        c.ok();
      } catch (err: unknown) {
        c.beat();
        if (o.failState === 'degraded') c.degraded(err);
        else c.down(err);
      }
    };
    let stopped = false;
    const loop = async () => {
      while (!stopped) {
        await once();
        await sleep(o.intervalMs, this.abort.signal);
      }
    };
    void loop();
    this.probes.push(() => (stopped = true));
    return c;
  }

  /** Every component's health; `ok` is false while any is down. */
  health(): { ok: boolean; components: Record<string, ComponentHealth> } {
    const components: Record<string, ComponentHealth> = Object.create(null) as Record<string, ComponentHealth>;
    let ok = true;
    for (const [name, c] of this.components) {
      const h = c.health();
      components[name] = h;
      if (h.state === 'down') ok = false;
    }
    return { ok, components };
  }

  /** Stops restarting and probing; waits for restarts in progress. */
  async stop(): Promise<void> {
    this.abort.abort();
    for (const p of this.probes) p();
    await Promise.all(this.restarting);
  }
}

/** `p`, or a rejection with `message` after `ms`. */
export function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
