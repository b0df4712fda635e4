/**
 * Injected failures for fault tests: "the next n matching calls fail with this". Matching lets a
 * test aim at one call (say UpdateMeshFeature) while the calls around it succeed.
 */
export class FaultQueue<Fault, Call> {
  private readonly pending: Array<{ remaining: number; fault: Fault; matches: (call: Call) => boolean }> = [];

  add(times: number, fault: Fault, matches: (call: Call) => boolean = () => true): void {
    if (!Number.isInteger(times) || times < 1) throw new Error(`fault count must be a positive integer (got ${times})`);
    this.pending.push({ remaining: times, fault, matches });
  }

  /** The fault for this call, if one is due; consumes one occurrence. */
  take(call: Call): Fault | null {
    const entry = this.pending.find((p) => p.matches(call));
    if (!entry) return null;
    entry.remaining -= 1;
    if (entry.remaining === 0) this.pending.splice(this.pending.indexOf(entry), 1);
    return entry.fault;
  }

  clear(): void {
    this.pending.length = 0;
  }
}
