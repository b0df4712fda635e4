import { globMatch } from './glob';
import { matrixProblems } from './matrix';
import { ownValue } from './own';
import type { Policy } from './policy';
import type { ControlCommand, MeshState, Refusal, Signal } from './types';
import { outsideWindowsText, windowOpenUntil } from './windows';

/**
 * Control commands change the layers (override), the drill, or the pause flag. A command that
 * breaks a rule is refused with the rule's name and changes nothing.
 */

export interface CommandEffect {
  refused: Refusal[];
  notes: string[];
}

export function drillSignal(state: MeshState): Signal | null {
  const d = state.drill;
  if (!d) return null;
  return {
    key: `drill|${d.id}`,
    source: 'drill',
    rule: 'drill',
    region: d.region,
    ...(d.service ? { service: d.service } : {}),
    severity: d.severity,
    status: 'firing',
    at: d.startedAt,
    ttl: d.endsAt - d.startedAt,
    name: `drill ${d.id}`,
  };
}

export function applyCommand(policy: Policy, state: MeshState, cmd: ControlCommand, now: number, nextId: string): CommandEffect {
  const refused: Refusal[] = [];
  const notes: string[] = [];
  const refuse = (rule: string, message: string) => {
    refused.push({ rule, message });
    return { refused, notes };
  };
  // A command naming a service acts on that service's host only: it must be a scoped one.
  if ((cmd.kind === 'override' || cmd.kind === 'drill') && cmd.service !== undefined && !ownValue(policy.scopes?.services, cmd.service)) {
    return refuse(
      `${cmd.kind}.service`,
      policy.scopes
        ? `${cmd.service} is not a scoped service (scopes.services: ${Object.keys(policy.scopes.services).join(', ')})`
        : `names service ${cmd.service}, but the policy declares no scopes`,
    );
  }
  switch (cmd.kind) {
    case 'override': {
      const ttl = cmd.ttl ?? policy.overrides.defaultTtl;
      if (ttl > policy.overrides.maxTtl)
        return refuse(
          'override.maxTtl',
          `ttl ${Math.round(ttl / 1000)}s exceeds the maximum ${Math.round(policy.overrides.maxTtl / 1000)}s`,
        );
      if ((cmd.matrix === undefined) === (cmd.drain === undefined)) return refuse('override.shape', 'give exactly one of matrix or drain');
      if (cmd.matrix) {
        const problems = matrixProblems('matrix', cmd.matrix, policy.regionIds);
        if (problems.length) return refuse('override.matrix', problems.join('; '));
      }
      if (cmd.drain) {
        const unknown = cmd.drain.filter((r) => !policy.regionIds.includes(r));
        if (unknown.length) return refuse('override.drain', `unknown region ${unknown.join(', ')}`);
        if (new Set(cmd.drain).size >= policy.regionIds.length)
          return refuse('safety.minServingRegions', 'an override cannot drain every region');
      }
      state.override = {
        id: `ovr-${nextId}`,
        ...(cmd.matrix ? { matrix: cmd.matrix } : {}),
        ...(cmd.drain ? { drain: [...cmd.drain] } : {}),
        ...(cmd.service !== undefined ? { service: cmd.service } : {}),
        force: cmd.force ?? false,
        reason: cmd.reason ?? '',
        actor: cmd.actor,
        createdAt: now,
        expiresAt: now + ttl,
      };
      notes.push(
        `override ${state.override.id}${cmd.service !== undefined ? ` of service ${cmd.service}` : ''} by ${cmd.actor} until ${new Date(now + ttl).toISOString()}${state.override.force ? ' (force: health response bypassed)' : ''}`,
      );
      return { refused, notes };
    }
    case 'clearOverride': {
      if (!state.override) return refuse('override.notFound', 'no override is active');
      if (cmd.id && cmd.id !== state.override.id)
        return refuse('override.notFound', `override ${cmd.id} is not the active one (${state.override.id})`);
      notes.push(`override ${state.override.id} cleared by ${cmd.actor}`);
      state.override = null;
      return { refused, notes };
    }
    case 'drill': {
      if (!policy.regionIds.includes(cmd.region)) return refuse('drill.region', `unknown region ${cmd.region}`);
      if (state.paused) return refuse('paused', 'automation is paused; drills are refused');
      // During a manual intervention the intended matrix is a human's, not the policy's: a drill
      // on top of it could drain the only region the operator left serving.
      if (state.override && state.override.expiresAt > now)
        return refuse('drill.override', `override ${state.override.id} is active; clear it before a drill`);
      if (state.drill) return refuse('drill.active', `drill ${state.drill.id} is already running`);
      if (cmd.duration > policy.drills.maxDuration)
        return refuse('drill.maxDuration', `duration exceeds drills.maxDuration (${Math.round(policy.drills.maxDuration / 1000)}s)`);
      const unhealthy = policy.regionIds.filter((r) => state.health[r]?.status !== 'HEALTHY');
      if (unhealthy.length)
        return refuse('drill.unhealthy', `refused while ${unhealthy.map((r) => `${r} is ${state.health[r]?.status}`).join(', ')}`);
      // A service drill also needs that service healthy everywhere: failing it on top of a real fault could drain it everywhere.
      const svc = cmd.service;
      const sick =
        svc === undefined ? [] : policy.regionIds.filter((r) => (state.serviceHealth?.[r]?.[svc]?.status ?? 'HEALTHY') !== 'HEALTHY');
      if (svc !== undefined && sick.length)
        return refuse(
          'drill.unhealthy',
          `refused while ${sick.map((r) => `${r}/${svc} is ${state.serviceHealth?.[r]?.[svc]?.status}`).join(', ')}`,
        );
      const windows = policy.drills.allowedWindows;
      if (windows.length && !windows.some((w) => windowOpenUntil(w, now) !== null))
        return refuse('drill.window', `outside drills.allowedWindows: ${outsideWindowsText('drills', windows, now)}`);
      // A drill is an elective shift (design §3.3): none inside a freeze window.
      if (policy.safety.freezeWindows.some((w) => windowOpenUntil(w, now) !== null))
        return refuse('safety.freezeWindows', 'inside a freeze window: no drill');
      state.drill = {
        id: `drill-${nextId}`,
        region: cmd.region,
        ...(cmd.service !== undefined ? { service: cmd.service } : {}),
        severity: cmd.severity ?? 'down',
        actor: cmd.actor,
        startedAt: now,
        endsAt: now + cmd.duration,
        reason: cmd.reason ?? '',
      };
      notes.push(
        `drill ${state.drill.id}: ${cmd.region}${cmd.service !== undefined ? `/${cmd.service}` : ''} ${state.drill.severity} for ${Math.round(cmd.duration / 1000)}s by ${cmd.actor}`,
      );
      return { refused, notes };
    }
    case 'abortDrill': {
      if (!state.drill || (cmd.id && cmd.id !== state.drill.id))
        return refuse('drill.notFound', cmd.id ? `drill ${cmd.id} is not running` : 'no drill is running');
      notes.push(...abortDrill(policy, state, `aborted by ${cmd.actor}`, now));
      return { refused, notes };
    }
    case 'pause':
      if (state.paused) return refuse('paused', `already paused by ${state.paused.actor}`);
      state.paused = { actor: cmd.actor, at: now, reason: cmd.reason ?? '' };
      notes.push(`automation paused by ${cmd.actor}${cmd.reason ? `: ${cmd.reason}` : ''}`);
      return { refused, notes };
    case 'resume':
      if (!state.paused) return refuse('paused', 'automation is not paused');
      state.paused = null;
      notes.push(`automation resumed by ${cmd.actor}`);
      return { refused, notes };
  }
}

/**
 * End a drill at once and revert its region: the drill was synthetic, so no hold or stepped
 * recovery. `now` is when the region became HEALTHY again (its `since`).
 */
export function abortDrill(policy: Policy, state: MeshState, why: string, now?: number): string[] {
  const d = state.drill;
  if (!d) return [];
  state.drill = null;
  // A service drill failed that (region, service) only: that record is the one to revert.
  const records = d.service !== undefined ? state.serviceHealth?.[d.region] : state.health;
  const key = d.service ?? d.region;
  const h = records?.[key];
  const drillKey = `drill|${d.id}`;
  if (records && h && h.causes.every((c) => c === drillKey)) {
    records[key] = { status: 'HEALTHY', since: now ?? h.since, clearSince: null, hold: policy.recovery.holdFor, causes: [] };
  }
  return [`drill ${d.id} ${why}; ${d.region} reverted`];
}

/** Does a real signal abort the running drill? Any real signal firing anywhere does; an outcome alarm is named as such. */
export function drillAbortReason(policy: Policy, state: MeshState, signal: Signal): string | null {
  if (!state.drill || signal.source === 'drill' || signal.status !== 'firing') return null;
  const outcome = policy.drills.outcomeAlarms.find((g) => globMatch(g, signal.name ?? ''));
  return outcome ? `aborted: outcome alarm ${signal.name} fired` : `aborted: real signal ${signal.key} fired in ${signal.region}`;
}
