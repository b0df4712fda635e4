import type { TrafficMatrix } from '../core/types';

export interface Notification {
  level: 'info' | 'warning' | 'critical';
  title: string;
  text: string;
  mesh: string;
  at: number;
  /** The decision's one-line explanation (trigger and reasons), when the notice comes from a plan. */
  explanation?: string;
  /** The matrix the plan leaves in force: the new one, or the current one when `matrixChanged` is false. */
  matrix?: TrafficMatrix;
  matrixChanged?: boolean;
  planId?: string;
  /** When the plan was decided (the notice's own `at` is when it is sent, possibly later): the dashboard link opens at this moment. */
  decidedAt?: number;
}

export interface Notifier {
  notify(n: Notification): Promise<void>;
}
