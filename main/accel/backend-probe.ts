/** What probing one compute back end found, before a pin or the priority order picks one. */
export interface BackendProbe {
  name: string;
  /** Loads and computes a known answer correctly. */
  usable: boolean;
  /** Also chosen without a pin: a software GPU adapter is usable but not preferred. */
  preferred: boolean;
  reason: string;
  device: string | null;
  /** The device is a software GPU adapter (a CPU behind the GPU API). */
  software: boolean;
  /** It ran, and computed another answer than the reference (a GBDT kernel that grew other trees): not merely absent. */
  wrongAnswer?: true;
  /** Not run at all (the native GBDT kernel, where the probe process could not start): unusable for want of a check. */
  notProbed?: true;
}
