import {
  backendsOf,
  type AccelRuntime,
  type BackendReport,
  type BackendsReport,
  type GbdtKernelName,
  type OrtProviderName,
} from '../contracts/api.js';
import { HearthError } from '../contracts/errors.js';
import { nowIso, type Db } from '../store/database.js';
import type { BackendProbe } from './backend-probe.js';
import { probeBackends, type Probes } from './probe-all.js';
import { readPins, writePin } from './pins.js';
import { environmentValue } from '../settings/environment.js';
import { gbdtKernelNamed } from './gbdt-addon.js';

/**
 * One registry of compute back ends: TensorFlow.js (training the MLP), ONNX Runtime (serving) and the GBDT kernels
 * (training boosted trees and forests). Each is probed once (a known computation, not just a load), then picked by the user's pin or the
 * priority order; a software GPU adapter works but is never picked for speed unless pinned. `hearth doctor`, the
 * settings page and every run report the same thing.
 */
export class AccelRegistry {
  private probes: Promise<Probes & { at: string }> | undefined;
  /** The latest probes that finished: what fits read without waiting for any (gbdtUnusable). */
  private settled: Probes | null = null;

  constructor(
    private readonly db: Db,
    /** How the back ends are probed (a test gives its own answers). */
    private readonly probe: () => Promise<Probes> = probeBackends,
  ) {}

  private probeAll(): Promise<Probes & { at: string }> {
    this.probes ??= (async () => {
      const probes = await this.probe();
      this.settled = probes;
      return { ...probes, at: nowIso() };
    })();
    this.probes.catch(() => (this.probes = undefined));
    return this.probes;
  }

  /**
   * The GBDT kernels the last finished probe found unusable, with why (one that grew other trees than the TypeScript
   * kernel's, did not load, or was not probed because the probe process could not run): every fit that chooses its
   * kernel passes over them (a pin on one included), so that fits run the kernel the report selects. Empty until a
   * probe has run in this process (a server's first model load, the settings page): a probe costs a child process,
   * which a one-off command does not start for its fit.
   */
  gbdtUnusable(): { name: GbdtKernelName; reason: string }[] {
    return (this.settled?.gbdt ?? []).filter((p) => !p.usable).map((p) => ({ name: p.name as GbdtKernelName, reason: p.reason }));
  }

  async report(refresh = false): Promise<BackendsReport> {
    if (refresh) this.probes = undefined;
    const probes = await this.probeAll();
    const pins = readPins(this.db);
    return {
      backends: [
        ...statuses('tfjs', probes.tfjs, pins.tfjs),
        ...statuses('onnxruntime', probes.onnxruntime, pins.onnxruntime),
        ...gbdtStatuses(probes.gbdt, pins.gbdt, gbdtKernelFromEnv()),
      ],
      pins,
      probedAt: probes.at,
    };
  }

  pin(runtime: AccelRuntime, name: string | null): void {
    if (name !== null && !(backendsOf[runtime] as readonly string[]).includes(name))
      throw new HearthError('VALIDATION_FAILED', `${name} is not a ${runtime} back end (${backendsOf[runtime].join(', ')})`);
    writePin(this.db, runtime, name);
  }

  /** The provider the next model load uses. */
  async ortProvider(): Promise<OrtProviderName> {
    const probes = await this.probeAll();
    return choose(probes.onnxruntime, readPins(this.db).onnxruntime).name as OrtProviderName;
  }
}

/** The pinned back end if it works, else the first usable and preferred one in priority order. */
function choose(probes: BackendProbe[], pin: string | null): BackendProbe {
  const pinned = probes.find((p) => p.name === pin && p.usable);
  const chosen = pinned ?? probes.find((p) => p.usable && p.preferred);
  // The last candidate of each runtime (cpu) is always usable; reaching here means the runtime itself is broken.
  if (chosen === undefined)
    throw new HearthError('INTERNAL', `no back end works: ${probes.map((p) => `${p.name}: ${p.reason}`).join('; ')}`);
  return chosen;
}

function statuses(runtime: AccelRuntime, probes: BackendProbe[], pin: string | null): BackendReport[] {
  const chosen = choose(probes, pin);
  const pinFailed = pin !== null && chosen.name !== pin;
  return probes.map((p) => {
    let reason = p.reason;
    if (p.name === pin) reason = p.usable ? `pinned; ${reason}` : `pinned, but cannot run: ${reason}`;
    else if (p === chosen) reason = pinFailed ? `chosen because the pinned ${pin} cannot run; ${reason}` : reason;
    return {
      runtime,
      name: p.name,
      status: p === chosen ? 'selected' : p.usable ? 'available' : 'unavailable',
      reason,
      device: p.device,
      software: p.software,
    };
  });
}

/**
 * What HEARTH_GBDT_KERNEL says: the kernel it names, null for the automatic choice, or the value itself when it names
 * no kernel (every fit that names none refuses it).
 */
function gbdtKernelFromEnv(): { name: string } | { invalid: string } | null {
  const value = environmentValue('HEARTH_GBDT_KERNEL');
  const named = gbdtKernelNamed(value);
  if (named === undefined) return { invalid: value ?? '' };
  return named === null ? null : { name: named };
}

/**
 * The GBDT kernels' statuses: as any runtime's (a pin, else the first that grew the reference trees), except that
 * HEARTH_GBDT_KERNEL, which every fit reads first, selects its kernel outright, and a fit refuses it where it cannot
 * run rather than fall back.
 */
function gbdtStatuses(
  probes: BackendProbe[],
  pin: string | null,
  fromEnv: ReturnType<typeof gbdtKernelFromEnv>,
): BackendReport[] {
  const reports = statuses('gbdt', probes, pin);
  if (fromEnv === null) return reports;
  // A value no kernel has: fits refuse it (INVALID_INPUT), so none is selected, where the automatic choice was shown.
  if ('invalid' in fromEnv)
    return reports.map((r, i) => {
      const probe = probes[i]!;
      return {
        ...r,
        status: probe.usable ? 'available' : 'unavailable',
        reason: `HEARTH_GBDT_KERNEL is ${JSON.stringify(fromEnv.invalid)}, which names no kernel (native, wasm, typescript or auto), so tree fits that name no kernel fail; ${probe.reason}`,
      };
    });
  return reports.map((r, i) => {
    const probe = probes[i]!;
    if (r.name === fromEnv.name)
      return {
        ...r,
        status: 'selected',
        reason: probe.usable
          ? `HEARTH_GBDT_KERNEL selects it; ${probe.reason}`
          : probe.wrongAnswer === true
            ? `HEARTH_GBDT_KERNEL selects it, and tree fits use it although it ${probe.reason}`
            : probe.notProbed === true
              ? `HEARTH_GBDT_KERNEL selects it, and tree fits use it where it loads; ${probe.reason}`
              : `HEARTH_GBDT_KERNEL selects it, but it cannot run here, so tree fits fail: ${probe.reason}`,
      };
    return { ...r, status: probe.usable ? 'available' : 'unavailable', reason: probe.reason };
  });
}
