import type { Notification, Notifier } from '../../shared/ports/notifier';
import { FaultQueue, type FaultKind } from './faults';

/** Keeps every notification, in order; can be told to fail (a webhook that is down). */
export class RecordingNotifier implements Notifier {
  readonly sent: Notification[] = [];
  private readonly faults = new FaultQueue<'notify'>();

  async notify(n: Notification): Promise<void> {
    this.faults.take('notify');
    this.sent.push(structuredClone(n));
  }

  failNext(count: number, kind: FaultKind = new Error('webhook unreachable (fake)')): void {
    this.faults.failNext('notify', count, kind);
  }

  at(level: Notification['level']): Notification[] {
    return this.sent.filter((n) => n.level === level);
  }
}
