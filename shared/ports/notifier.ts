export interface Notification {
  level: 'info' | 'warning' | 'critical';
  title: string;
  text: string;
  mesh: string;
  at: number;
}

export interface Notifier {
  notify(n: Notification): Promise<void>;
}
