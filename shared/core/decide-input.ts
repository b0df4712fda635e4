import { settleScaleDowns } from './capacity';
import { applyCommand } from './commands';
import { batchTrigger, iso, matrixText } from './decide-text';
import { SIGNAL_NOTES_MAX } from './limits';
import type { Policy } from './policy';
import { renderMeshConfig } from './render';
import { healthKey, recordEntryRead } from './scopes';
import { applySignal, capSignals, pruneTombstones } from './signal-lifecycle';
import type { IgnoredSignal, Input, LapsedSignal, MeshState, Refusal } from './types';

/**
 * The first two phases of a decision (decide.ts): take the input into the state, then drop what
 * has lapsed by `now`. Both write the decision's working copy of the state (`draft`, never the
 * caller's) and return everything else they found as a value.
 */

/** What taking one input did. */
export interface InputTaken {
  /** The plan's trigger: what the input was, in words. */
  trigger: string;
  notes: string[];
  /** Signal lines past SIGNAL_NOTES_MAX, only counted (summarised after the expiry notes). */
  signalNotesOver: number;
  refused: Refusal[];
  /** An operator's change (override, clear, resume, adopt) carried out: applied as asked, not rate-limited. */
  manual: boolean;
  /** A command was refused outright (a wrong id): answered to its caller, its refusal not kept in the state. */
  commandRefused: boolean;
  /** A drill was aborted: its revert is applied at once, not as an elective shift. */
  drillAborted: boolean;
  /** Health keys whose signal this input resolved: clear as of now. */
  resolvedIn: string[];
  ignored: IgnoredSignal[];
}

/** Phase 1. Apply the input (signals, a tick's entry read, an adoption, a command) to `draft`. */
export function takeInput(policy: Policy, draft: MeshState, input: Input, now: number, nextId: string): InputTaken {
  const effect = { notes: [] as string[], drillAborted: false, resolvedIn: [] as string[], signalNotes: 0, ignored: [] as IgnoredSignal[] };
  const taken = (trigger: string, more: Partial<Pick<InputTaken, 'refused' | 'manual' | 'commandRefused'>> = {}): InputTaken => ({
    trigger,
    notes: effect.notes,
    signalNotesOver: Math.max(0, effect.signalNotes - SIGNAL_NOTES_MAX),
    refused: more.refused ?? [],
    manual: more.manual ?? false,
    commandRefused: more.commandRefused ?? false,
    drillAborted: effect.drillAborted,
    resolvedIn: effect.resolvedIn,
    ignored: effect.ignored,
  });
  switch (input.kind) {
    case 'signal':
      applySignal(policy, draft, input.signal, now, effect);
      return taken(`signal ${input.signal.key} ${input.signal.status}`);
    case 'signals':
      for (const s of input.signals) applySignal(policy, draft, s, now, effect);
      return taken(batchTrigger(input.signals));
    case 'tick': {
      const note = input.entry ? recordEntryRead(policy, draft, input.entry, now) : null;
      if (note) effect.notes.push(note);
      return taken('tick');
    }
    case 'adopt': {
      const ttl = policy.overrides.defaultTtl;
      draft.applied = { matrix: input.matrix, at: now };
      // The matrix was read back from the mesh: it is what the mesh has.
      draft.meshConfirmed = { matrix: input.matrix, config: renderMeshConfig(input.matrix, policy), planId: null, at: now, decidedAt: now };
      // Adopting means keeping it: the hand-made matrix becomes a manual override with the default
      // expiry, so the layers stop planning it away (the health response still applies on top).
      draft.override = {
        id: `ovr-${nextId}`,
        matrix: input.matrix,
        force: false,
        reason: 'adopted from the live mesh config (drift: adopt)',
        actor: input.actor,
        createdAt: now,
        expiresAt: now + ttl,
      };
      effect.notes.push(
        `adopted the live mesh config as applied and as override ovr-${nextId} until ${iso(now + ttl)}: ${matrixText(input.matrix)}`,
      );
      return taken(`adopt by ${input.actor}`, { manual: true });
    }
    case 'command': {
      const c = input.command;
      const done = applyCommand(policy, draft, c, now, nextId);
      const carriedOut = done.refused.length === 0;
      effect.notes.push(...done.notes);
      if (c.kind === 'abortDrill' && carriedOut) effect.drillAborted = true;
      return taken(`command ${c.kind} by ${c.actor}`, {
        refused: [...done.refused],
        // Only a command that was carried out is an operator's change: a refused one (a wrong id)
        // must not lift the pause or the rate limits for whatever else this decision would do.
        manual: (c.kind === 'override' || c.kind === 'clearOverride' || c.kind === 'resume') && carriedOut,
        commandRefused: !carriedOut,
      });
    }
  }
}

/** What expiry dropped. */
export interface Expired {
  notes: string[];
  /** Signals lapsed by the per-region cap (detection.maxSignalsPerRegion). */
  lapsed: LapsedSignal[];
  /** Per health key, when its lapsed or resolved signals ended (health counts its clear time from then). */
  clearedAt: Record<string, number>;
}

/**
 * Phase 2. Drop what has lapsed by `now` from `draft`: signals past their TTL, an expired
 * override, a finished drill, delayed scale-downs that are due, signals over the per-region cap,
 * old tombstones. `resolvedIn` (from the input) are cleared as of now.
 */
export function expireLapsed(policy: Policy, draft: MeshState, now: number, resolvedIn: readonly string[]): Expired {
  const notes: string[] = [];
  const clearedAt: Record<string, number> = {};
  const lapsedAt = (key: string, at: number) => {
    clearedAt[key] = Math.max(clearedAt[key] ?? at, at);
  };
  for (const [key, s] of Object.entries(draft.signals)) {
    const until = (s.seenAt ?? s.at) + s.ttl;
    if (until <= now) {
      delete draft.signals[key];
      lapsedAt(healthKey(policy, s), until);
      notes.push(`signal ${key} expired after its TTL (${Math.round(s.ttl / 1000)}s) without a resolve`);
    }
  }
  if (draft.override && draft.override.expiresAt <= now) {
    notes.push(`override ${draft.override.id} expired`);
    draft.override = null;
  }
  if (draft.drill && draft.drill.endsAt <= now) {
    notes.push(`drill ${draft.drill.id} ended; ${draft.drill.region} recovers through the normal path`);
    lapsedAt(healthKey(policy, draft.drill), draft.drill.endsAt);
    draft.drill = null;
  }
  settleScaleDowns(draft, now);
  const capped = capSignals(policy, draft);
  notes.push(...capped.notes);
  pruneTombstones(policy, draft, now);
  for (const key of resolvedIn) clearedAt[key] = now;
  return { notes, lapsed: capped.lapsed, clearedAt };
}
